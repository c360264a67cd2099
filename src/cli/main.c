/* SPDX-License-Identifier: Apache-2.0 */
/* leakscan command line: dispatch to a subcommand. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util/alloc.h"

static void usage(FILE *f)
{
	fputs("usage: leakscan scan [OPTIONS] [PATH...]   scan files, directories, archives ('-' = stdin)\n"
	      "       leakscan rules list|check DIR|test   list, lint or test rules\n"
	      "       leakscan rules bench FILE            the costliest rules on a reference input\n"
	      "       leakscan version\n"
	      "Run 'leakscan scan --help' for scan options.\n",
	      f);
}

int main(int argc, char **argv)
{
	/* Before the first malloc (see there). */
	lsi_heap_on_huge_pages();
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
