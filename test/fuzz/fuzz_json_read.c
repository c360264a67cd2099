/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The streaming JSON tokenizer on arbitrary bytes. The first byte picks a
 * piece buffer size and a block size; the rest is tokenized whole and in
 * those blocks, and a digest of every token (with piece bytes and
 * offsets) must agree, as must the error; and whole, with and without the
 * 64-byte string paths (lsi_jr_isa_cap).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_read.h"

struct digest {
	uint64_t h;
	size_t tokens;
	int err;
};

static void mix(struct digest *d, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		d->h = (d->h ^ b[i]) * 0x100000001b3ull;
}

static void run(const uint8_t *data, size_t size, size_t piece_cap, size_t block, bool skip,
		struct digest *d)
{
	uint8_t piece[300];
	struct lsi_jr r;
	size_t pos = 0;

	memset(d, 0, sizeof(*d));
	d->h = 0xcbf29ce484222325ull;
	lsi_jr_init(&r, piece, piece_cap, 24);
	for (;;) {
		struct lsi_jr_event ev;
		enum lsi_jr_tok t = lsi_jr_next(&r, &ev);

		if (t == LSI_JR_NEED_INPUT) {
			size_t n = size - pos < block ? size - pos : block;

			if (!n) {
				lsi_jr_finish(&r);
			} else {
				lsi_jr_feed(&r, data + pos, n);
				pos += n;
			}
			continue;
		}
		if (t == LSI_JR_ERROR) {
			d->err = (int)r.err_kind;
			mix(d, r.err, strlen(r.err));
			return;
		}
		d->tokens++;
		mix(d, &ev.tok, sizeof(ev.tok));
		mix(d, &ev.depth, sizeof(ev.depth));
		mix(d, &ev.offset, sizeof(ev.offset));
		if (ev.tok == LSI_JR_KEY || ev.tok == LSI_JR_STR || ev.tok == LSI_JR_NUM) {
			if (ev.n > piece_cap && ev.tok != LSI_JR_NUM)
				abort();
			mix(d, ev.p, ev.n);
			mix(d, &ev.first, 1);
			mix(d, &ev.last, 1);
			/* Skipping the rest of a string must not change what follows. */
			if (skip && ev.tok == LSI_JR_STR && !ev.last)
				lsi_jr_skip_string(&r);
		}
		if (t == LSI_JR_END)
			return;
		if (d->tokens > 4 * size + 16)
			abort(); /* no progress */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest whole, split, skipped, skipped_split;
	size_t piece_cap, block;

	if (size < 1)
		return 0;
	/* Up to 256 + PIECE_MIN: room for the 64-byte string path too. */
	piece_cap = LSI_JR_PIECE_MIN + (size_t)(data[0] % 64) * 4;
	block = 1 + (data[0] >> 4) % 7;
	data++;
	size--;
	run(data, size, piece_cap, size ? size : 1, false, &whole);
	run(data, size, piece_cap, block, false, &split);
	if (whole.h != split.h || whole.tokens != split.tokens || whole.err != split.err)
		abort();
	run(data, size, piece_cap, 1, false, &split);
	if (whole.h != split.h)
		abort();
	for (int cap = 1; cap <= 2; cap++) {
		lsi_jr_isa_cap = cap;
		run(data, size, piece_cap, size ? size : 1, false, &split);
		lsi_jr_isa_cap = 0;
		if (whole.h != split.h || whole.err != split.err)
			abort();
	}
	run(data, size, piece_cap, size ? size : 1, true, &skipped);
	run(data, size, piece_cap, block, true, &skipped_split);
	if (skipped.h != skipped_split.h || skipped.err != whole.err)
		abort();
	return 0;
}
