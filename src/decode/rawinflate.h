/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Raw deflate (no zlib or gzip wrapper), for zip entries: ISA-L's
 * isal_inflate where the build has it, several times faster, zlib's
 * inflate otherwise. Push input, pull output. With zlib, the bytes after
 * the end of the deflate stream stay pending (a zip data descriptor);
 * ISA-L may have taken up to 8 of them into its bit buffer, so callers
 * that need them ask for zlib.
 */
#ifndef LSI_RAWINFLATE_H
#define LSI_RAWINFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lsi_inf {
	LSI_INF_OK = 0,     /* progress (maybe no output: feed more input) */
	LSI_INF_END = 1,    /* the deflate stream ended */
	LSI_INF_ERROR = -1, /* corrupt data; *msg says how */
	LSI_INF_NOMEM = -2
};

struct lsi_rawinf;

/* A new inflater: ISA-L when @isal and the build has it, else zlib. NULL on OOM. */
struct lsi_rawinf *lsi_rawinf_new(bool isal);
void lsi_rawinf_free(struct lsi_rawinf *r);
/* Which backend runs: "isa-l" or "zlib". */
const char *lsi_rawinf_backend(const struct lsi_rawinf *r);
/* Gives the next input (borrowed until consumed); replaces any pending. */
void lsi_rawinf_feed(struct lsi_rawinf *r, const uint8_t *p, size_t n);
/* Input bytes fed but not consumed (after END: bytes past the stream). */
size_t lsi_rawinf_pending(const struct lsi_rawinf *r);
/* Input bytes consumed so far. */
uint64_t lsi_rawinf_total_in(const struct lsi_rawinf *r);
/* Inflates into @out (@cap bytes); *produced gets the bytes written. */
enum lsi_inf lsi_rawinf_run(struct lsi_rawinf *r, uint8_t *out, size_t cap, size_t *produced,
			    const char **msg);

#endif
