/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whole pipeline on arbitrary bytes through the public API: sniffing,
 * gzip, tar, nesting, the engine. The first byte picks the chunking of a
 * second pass over the same bytes as a stream; both must agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakscan.h"

static ls_rules *rules;

struct tally {
	size_t n;
	uint64_t sum;
};

static int on_finding(const ls_finding *f, void *user)
{
	struct tally *t = user;

	t->n++;
	t->sum += f->offset * 31 + f->line;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ls_scanner *s = NULL;
	struct tally a = { 0, 0 }, b = { 0, 0 };
	int fds[2];

	if (!rules) {
		ls_compiler *c;

		if (ls_compiler_new(&c) != LS_OK || ls_compiler_add_builtin(c) != LS_OK ||
		    ls_compiler_finish(c, &rules) != LS_OK)
			abort();
	}
	if (ls_scanner_new(rules, &s) != LS_OK)
		abort();
	ls_scanner_set_param(s, LS_PARAM_MIN_SEVERITY, LS_SEV_INFO);
	ls_scanner_set_param(s, LS_PARAM_MAX_TOTAL_BYTES, 64 << 20);
	ls_scanner_set_callback(s, on_finding, &a);
	ls_scanner_scan_mem(s, data, size, "fuzz");
	/* The same bytes through a pipe arrive in other chunk sizes. */
	if (size < 60000 && pipe(fds) == 0) {
		ssize_t w = write(fds[1], data, size);

		close(fds[1]);
		ls_scanner_set_callback(s, on_finding, &b);
		ls_scanner_scan_fd(s, fds[0], "fuzz");
		close(fds[0]);
		if (w == (ssize_t)size && (a.n != b.n || a.sum != b.sum))
			abort();
	}
	ls_scanner_free(s);
	return 0;
}
