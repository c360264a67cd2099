/* SPDX-License-Identifier: Apache-2.0 */
#include "thread_cpus.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t threads_on_cpus(const char *name, const cpu_set_t *want, size_t *found)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	size_t n = 0;

	*found = 0;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[64], comm[32] = "";
		cpu_set_t cpus;
		FILE *f;
		long tid = strtol(de->d_name, NULL, 10);

		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%ld/comm", tid);
		if (!(f = fopen(path, "r")))
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
		if (strcmp(comm, name) != 0 || sched_getaffinity((pid_t)tid, sizeof(cpus), &cpus) != 0)
			continue;
		(*found)++;
		n += CPU_EQUAL(&cpus, want) != 0;
	}
	closedir(d);
	return n;
}
