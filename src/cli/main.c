/* SPDX-License-Identifier: Apache-2.0 */
/* leakscan command line: dispatch to a subcommand. */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
	fputs("usage: leakscan scan [OPTIONS] [PATH...]   scan files, directories, archives ('-' = stdin)\n"
	      "       leakscan rules list|check DIR|test   list, lint or test rules\n"
	      "       leakscan rules bench FILE            the costliest rules on a reference input\n"
	      "       leakscan version\n"
	      "Run 'leakscan scan --help' for scan options.\n",
	      f);
}

/*
 * Puts malloc's heap on transparent huge pages. A scan's heap reaches
 * 1-5 MiB, and on a virtual machine each 4 KiB page touched for the first
 * time costs 6-10 us: 280-450 faults, 3-4 ms of a 50 ms scan. A fresh
 * 2 MiB page costs about 0.1 ms.
 * Called before the first malloc. The break moves, untouched, to one page
 * short of a 2 MiB boundary; malloc's first call reserves HEAP_RESERVE and
 * writes its headers in that page only, so the run from the boundary is
 * still untouched when it is marked for huge pages. Nothing here is needed
 * for correctness: on any failure the heap stays on small pages.
 */
#define HUGE_PAGE ((uintptr_t)2 << 20)
#define SMALL_PAGE ((uintptr_t)4096)
#define HEAP_RESERVE ((size_t)8 << 20)

static void heap_on_huge_pages(void)
{
#if defined(MADV_HUGEPAGE) && defined(M_TOP_PAD)
	uintptr_t brk0 = (uintptr_t)sbrk(0), boundary, at;
	void *p;

	if (brk0 == (uintptr_t)-1 || brk0 % SMALL_PAGE)
		return;
	boundary = (brk0 + SMALL_PAGE + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
	if (sbrk((intptr_t)(boundary - SMALL_PAGE - brk0)) == (void *)-1)
		return;
	mallopt(M_TOP_PAD, (int)HEAP_RESERVE);
	p = malloc(1);
	at = (uintptr_t)p;
	/* Only if malloc's heap starts in that page and reaches past the run. */
	if (at >= boundary - SMALL_PAGE && at < boundary &&
	    (uintptr_t)sbrk(0) >= boundary + HEAP_RESERVE - HUGE_PAGE)
		(void)madvise((void *)boundary, HEAP_RESERVE - HUGE_PAGE, MADV_HUGEPAGE);
	free(p);
	mallopt(M_TOP_PAD, 128 << 10); /* glibc's default */
#endif
}

int main(int argc, char **argv)
{
	heap_on_huge_pages();
#if defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
	/* With --threads, member copies come and go by the thousand: keep
	 * freed memory for reuse instead of handing it back to the kernel
	 * and faulting it in again (the peak, and so peak RSS, is the same). */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 8 << 20);
#endif
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "scan") == 0)
		return cmd_scan(argc - 1, argv + 1);
	if (strcmp(argv[1], "rules") == 0)
		return cmd_rules(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	cli_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
