/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for baseline files (ls_baseline_load). Beyond no crash: a
 * rejected file adds nothing; an accepted one writes out as JSON that
 * loads back to as many entries, every entry matches a finding with its
 * fingerprint and rule, and after that one round trip (which turns
 * invalid UTF-8 into U+FFFD) writing is a fixed point.
 */
#include <stdlib.h>
#include <string.h>

#include "../../include/leakscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
	char *p;
	size_t n;
};

static int collect(const void *buf, size_t len, void *user)
{
	struct out *o = user;
	char *np = realloc(o->p, o->n + len + 1);

	if (!np)
		return -1;
	memcpy(np + o->n, buf, len);
	o->p = np;
	o->n += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ls_baseline *a = NULL, *b = NULL, *c = NULL;
	struct out w1 = { NULL, 0 }, w2 = { NULL, 0 }, w3 = { NULL, 0 };

	if (ls_baseline_new(&a) != LS_OK || ls_baseline_new(&b) != LS_OK ||
	    ls_baseline_new(&c) != LS_OK)
		abort();
	if (ls_baseline_load(a, "fuzz", data, size, NULL, NULL) != LS_OK) {
		if (ls_baseline_count(a) != 0)
			abort();
		goto out;
	}
	if (ls_baseline_write(a, collect, &w1) != LS_OK ||
	    ls_baseline_load(b, "again", w1.p, w1.n, NULL, NULL) != LS_OK ||
	    ls_baseline_count(b) != ls_baseline_count(a) ||
	    ls_baseline_write(b, collect, &w2) != LS_OK ||
	    ls_baseline_load(c, "thrice", w2.p, w2.n, NULL, NULL) != LS_OK ||
	    ls_baseline_write(c, collect, &w3) != LS_OK || w2.n != w3.n ||
	    memcmp(w2.p, w3.p, w2.n) != 0)
		abort();
	for (size_t i = 0; i < ls_baseline_count(a); i++) {
		ls_baseline_entry e;
		ls_finding f;

		if (ls_baseline_get(a, i, &e) != LS_OK)
			abort();
		memset(&f, 0, sizeof(f));
		f.fingerprint = e.fingerprint;
		f.rule = e.rule;
		if (ls_baseline_match(b, &f) != 1)
			abort();
	}
out:
	free(w1.p);
	free(w2.p);
	free(w3.p);
	ls_baseline_free(a);
	ls_baseline_free(b);
	ls_baseline_free(c);
	return 0;
}
