/* SPDX-License-Identifier: Apache-2.0 */
/* The CPUs this process's threads of one name may run on, for tests. */
#ifndef LS_TEST_THREAD_CPUS_H
#define LS_TEST_THREAD_CPUS_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Calls @fn with the CPUs each live thread named @name may run on; the
 * number of such threads. Threads that end meanwhile are skipped.
 */
size_t threads_cpus(const char *name, void (*fn)(const cpu_set_t *cpus, void *user),
		    void *user);

#endif
