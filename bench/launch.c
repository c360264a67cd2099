/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench-launch CMD [ARG...]: runs CMD with its output to /dev/null and
 * prints "SECONDS MAXRSS_KIB STATUS" for it alone. The clock starts just
 * before fork and stops when wait4 returns, so the time is the command's
 * whole life (exec and dynamic linking included) and not the start-up of
 * whatever drives the benchmark (Python's subprocess, GNU time: 3-5 ms
 * on a small virtual machine, which would be counted in every tool's
 * time). Peak RSS is wait4's: the forked copy of this small process is
 * what the command replaces at exec, as with GNU time. STATUS is the exit
 * status, or minus the signal that ended the command.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status, null;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: bench-launch CMD [ARG...]\n");
		return 2;
	}
	null = open("/dev/null", O_RDWR);
	if (null < 0) {
		perror("bench-launch: /dev/null");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		perror("bench-launch: fork");
		return 2;
	}
	if (pid == 0) {
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("bench-launch: wait4");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.6f %ld %d\n",
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
	return 0;
}
