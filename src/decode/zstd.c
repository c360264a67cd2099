/* SPDX-License-Identifier: Apache-2.0 */
/*
 * zstd decoder over libzstd, streaming, with concatenated and skippable
 * frames (pzstd and `cat a.zst b.zst` produce them). The window a frame
 * may ask for is capped, so a hostile header cannot make us reserve
 * gigabytes.
 */
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "decode.h"
#include "util/alloc.h"

#define OUT_CAP (256u * 1024u)
/* 2^27 = 128 MiB: zstd's own default maximum, enough for --ultra -22. */
#define ZSTD_WINDOW_LOG_MAX 27

struct zstd_stream {
	struct lsi_bstream base;
	struct lsi_bstream *in;
	struct lsi_guard guard;
	ZSTD_DCtx *dctx;
	ZSTD_inBuffer zin;
	size_t last;          /* last return of ZSTD_decompressStream: 0 = frame complete */
	bool in_eof;
	bool done;
	size_t pending;       /* libzstd error to report after the bytes before it */
	uint64_t in_total, out_total;
	uint8_t out[OUT_CAP];
};

static int zstd_probe(const uint8_t *h, size_t n)
{
	if (n < 4)
		return 0;
	if (memcmp(h, "\x28\xb5\x2f\xfd", 4) == 0)
		return 1;
	/* Skippable frame 0x184D2A5?, as pzstd writes first. */
	return (h[0] & 0xf0) == 0x50 && h[1] == 0x2a && h[2] == 0x4d && h[3] == 0x18;
}

static enum lsi_rd fail(struct zstd_stream *s, size_t code)
{
	ZSTD_ErrorCode e = ZSTD_getErrorCode(code);

	s->done = true;
	if (e == ZSTD_error_memory_allocation) {
		lsi_bstream_fail(&s->base, "out of memory in the zstd decoder");
		return LSI_RD_NOMEM;
	}
	if (e == ZSTD_error_frameParameter_windowTooLarge) {
		lsi_bstream_fail(&s->base, "zstd frame needs a window over %u MiB; not decoded",
				 (1u << ZSTD_WINDOW_LOG_MAX) >> 20);
		return LSI_RD_LIMIT;
	}
	lsi_bstream_fail(&s->base, "corrupt zstd frame: %s (after %llu compressed bytes)",
			 ZSTD_getErrorName(code),
			 (unsigned long long)(s->in_total - (s->zin.size - s->zin.pos)));
	return LSI_RD_DAMAGED;
}

static enum lsi_rd zstd_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct zstd_stream *s = (struct zstd_stream *)bs;

	if (s->done)
		return LSI_RD_EOF;
	if (s->pending)
		return fail(s, s->pending);
	for (;;) {
		ZSTD_outBuffer zout = { s->out, OUT_CAP, 0 };
		size_t r;

		if (s->zin.pos == s->zin.size && !s->in_eof) {
			const uint8_t *b;
			size_t n;
			enum lsi_rd st = lsi_bstream_read(s->in, &b, &n);

			if (st == LSI_RD_EOF) {
				s->in_eof = true;
			} else if (st != LSI_RD_OK) {
				memcpy(bs->msg, s->in->msg, sizeof(bs->msg));
				s->done = true;
				return st;
			} else {
				s->zin.src = b;
				s->zin.size = n;
				s->zin.pos = 0;
				s->in_total += n;
			}
		}
		if (s->zin.pos == s->zin.size && s->in_eof && s->last == 0) {
			/* Every frame ended exactly at the end of the input. */
			s->done = true;
			return LSI_RD_EOF;
		}
		{
			size_t before_in = s->zin.pos;

			r = ZSTD_decompressStream(s->dctx, &zout, &s->zin);
			if (ZSTD_isError(r)) {
				s->pending = r;
			} else {
				s->last = r;
				/* Out of input with a frame still open, and no output pending. */
				if (zout.pos == 0 && s->in_eof && s->zin.pos == before_in) {
					s->done = true;
					lsi_bstream_fail(bs, "truncated zstd stream (after %llu bytes)",
							 (unsigned long long)s->in_total);
					return LSI_RD_DAMAGED;
				}
			}
		}
		if (zout.pos)
			return lsi_decode_emit(&s->guard, bs, s->in_total - (s->zin.size - s->zin.pos),
					       &s->out_total, s->out, zout.pos, &s->done, buf, len);
		if (s->pending)
			return fail(s, s->pending);
	}
}

static void zstd_close(struct lsi_bstream *bs)
{
	struct zstd_stream *s = (struct zstd_stream *)bs;

	ZSTD_freeDCtx(s->dctx);
	lsi_bstream_close(s->in);
	lsi_free(s);
}

static const struct lsi_bstream_ops zstd_ops = { zstd_read, zstd_close };

static struct lsi_bstream *zstd_open(struct lsi_bstream *in, const struct lsi_guard *g)
{
	struct zstd_stream *s = lsi_calloc(1, sizeof(*s));

	if (!s) {
		lsi_bstream_close(in);
		return NULL;
	}
	s->base.ops = &zstd_ops;
	s->in = in;
	s->guard = *g;
	s->dctx = ZSTD_createDCtx();
	if (!s->dctx ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(s->dctx, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX))) {
		ZSTD_freeDCtx(s->dctx);
		lsi_bstream_close(in);
		lsi_free(s);
		return NULL;
	}
	return &s->base;
}

const struct lsi_decoder_ops lsi_decoder_zstd = { "zstd", 4, zstd_probe, zstd_open, NULL };
