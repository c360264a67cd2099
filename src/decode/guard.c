/* SPDX-License-Identifier: Apache-2.0 */
/* The one expansion guard of all decoders: total bytes and ratio. */
#include <inttypes.h>

#include "decode.h"

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
