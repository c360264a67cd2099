/* SPDX-License-Identifier: Apache-2.0 */
/* The one expansion guard of all decoders: total bytes and ratio. */
#include <inttypes.h>
#include <string.h>

#include "decode.h"
#include "util/alloc.h"

enum lsi_rd lsi_guard_check(const struct lsi_guard *g, struct lsi_bstream *s,
			    uint64_t in_bytes, uint64_t out_bytes, size_t out_delta)
{
	if (g->total) {
		/* Atomic: a decoder may run on the read-ahead thread (async.c). */
		uint64_t total = __atomic_add_fetch(g->total, out_delta, __ATOMIC_RELAXED);

		if (g->max_total && total > g->max_total) {
			lsi_bstream_fail(s, "max-total-bytes: more than %" PRIu64
					 " expanded bytes in this input", g->max_total);
			return LSI_RD_LIMIT;
		}
	}
	if (g->in_size > in_bytes)
		in_bytes = g->in_size;
	if (g->max_ratio && out_bytes > g->ratio_floor &&
	    out_bytes / (in_bytes ? in_bytes : 1) > g->max_ratio) {
		lsi_bstream_fail(s, "max-ratio: expands more than %" PRIu64 ":1 (%" PRIu64
				 " bytes from %" PRIu64 ")", g->max_ratio, out_bytes, in_bytes);
		return LSI_RD_LIMIT;
	}
	return LSI_RD_OK;
}

enum lsi_rd lsi_decode_emit(const struct lsi_guard *g, struct lsi_bstream *s, uint64_t in_used,
			    uint64_t *out_total, const uint8_t *out, size_t produced, bool *done,
			    const uint8_t **buf, size_t *len)
{
	enum lsi_rd r;

	*out_total += produced;
	r = lsi_guard_check(g, s, in_used, *out_total, produced);
	if (r != LSI_RD_OK) {
		*done = true;
		return r;
	}
	*buf = out;
	*len = produced;
	return LSI_RD_OK;
}

/* lsi_bstream_guarded: a decoder's limits, checked where its blocks are read. */
struct guarded_stream {
	struct lsi_bstream base;
	struct lsi_bstream *in;
	struct lsi_guard guard;
	uint64_t out_total;
	bool done;               /* a limit was crossed: nothing more */
};

static enum lsi_rd guarded_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct guarded_stream *s = (struct guarded_stream *)bs;
	const uint8_t *b;
	size_t n;
	enum lsi_rd st;

	if (s->done)
		return LSI_RD_LIMIT;
	st = lsi_bstream_read(s->in, &b, &n);
	if (st != LSI_RD_OK) {
		memcpy(bs->msg, s->in->msg, sizeof(bs->msg));
		return st;
	}
	/* No input count of its own: the guard's in_size stands for it. */
	return lsi_decode_emit(&s->guard, bs, 0, &s->out_total, b, n, &s->done, buf, len);
}

static void guarded_close(struct lsi_bstream *bs)
{
	struct guarded_stream *s = (struct guarded_stream *)bs;

	lsi_bstream_close(s->in);
	lsi_free(s);
}

static const struct lsi_bstream_ops guarded_ops = { guarded_read, guarded_close };

struct lsi_bstream *lsi_bstream_guarded(struct lsi_bstream *in, const struct lsi_guard *g)
{
	struct guarded_stream *s = lsi_calloc(1, sizeof(*s));

	if (!s) {
		lsi_bstream_close(in);
		return NULL;
	}
	s->base.ops = &guarded_ops;
	s->in = in;
	s->guard = *g;
	return &s->base;
}
