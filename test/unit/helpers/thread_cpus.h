/* SPDX-License-Identifier: Apache-2.0 */
/* The CPUs this process's threads of one name may run on, for tests. */
#ifndef LS_TEST_THREAD_CPUS_H
#define LS_TEST_THREAD_CPUS_H

#include <sched.h>
#include <stddef.h>

/*
 * How many live threads named @name may run on exactly the CPUs @want;
 * *found is how many threads of that name there are. Threads that end
 * meanwhile are not counted.
 */
size_t threads_on_cpus(const char *name, const cpu_set_t *want, size_t *found);

#endif
