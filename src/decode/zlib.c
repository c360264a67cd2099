/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Raw zlib (RFC 1950) decoder, streaming, under the shared expansion
 * guard. Deliberately absent from the sniffing table: a 0x78 first byte
 * is far too common to mean "zlib" by itself, so the pipeline applies this
 * decoder only where a member's name says what it is (git loose objects).
 */
#include <string.h>
#include <zlib.h>

#include "decode.h"
#include "util/alloc.h"

#define OUT_CAP (64u * 1024u)

struct zl_stream {
	struct lsi_bstream base;
	struct lsi_bstream *in;
	struct lsi_guard guard;
	z_stream z;
	bool done;
	int pending;          /* a zlib error to report after the bytes before it */
	const char *pending_msg;
	uint64_t in_total, out_total;
	uint8_t out[OUT_CAP];
};

/* A valid zlib header: deflate method, window <= 32 KiB, FCHECK right. */
static int zl_probe(const uint8_t *h, size_t n)
{
	return n >= 2 && (h[0] & 0x0f) == 8 && (h[0] >> 4) <= 7 &&
	       ((unsigned)h[0] << 8 | h[1]) % 31 == 0;
}

static enum lsi_rd zl_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct zl_stream *s = (struct zl_stream *)bs;

	if (s->done)
		return LSI_RD_EOF;
	if (s->pending) {
		s->done = true;
		lsi_bstream_fail(bs, "corrupt zlib data: %s", s->pending_msg);
		return s->pending == Z_MEM_ERROR ? LSI_RD_NOMEM : LSI_RD_DAMAGED;
	}
	for (;;) {
		int zr;
		size_t produced;

		if (s->z.avail_in == 0) {
			const uint8_t *b;
			size_t n;
			enum lsi_rd st = lsi_bstream_read(s->in, &b, &n);

			if (st == LSI_RD_EOF) {
				s->done = true;
				lsi_bstream_fail(bs, "truncated zlib stream (after %llu bytes)",
						 (unsigned long long)s->in_total);
				return LSI_RD_DAMAGED;
			}
			if (st != LSI_RD_OK) {
				memcpy(bs->msg, s->in->msg, sizeof(bs->msg));
				s->done = true;
				return st;
			}
			/* zlib's avail_in is 32-bit; blocks never exceed that. */
			s->z.next_in = (Bytef *)(uintptr_t)b;
			s->z.avail_in = (uInt)n;
			s->in_total += n;
		}
		s->z.next_out = s->out;
		s->z.avail_out = OUT_CAP;
		zr = inflate(&s->z, Z_NO_FLUSH);
		produced = OUT_CAP - s->z.avail_out;
		if (zr == Z_STREAM_END) {
			/* Bytes after the stream's end are not ours: ignored. */
			s->done = true;
		} else if (zr == Z_BUF_ERROR && produced == 0 && s->z.avail_in == 0) {
			continue;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			const char *why = s->z.msg ? s->z.msg : "inflate failed";

			if (!produced) {
				s->done = true;
				lsi_bstream_fail(bs, "corrupt zlib data: %s", why);
				return zr == Z_MEM_ERROR ? LSI_RD_NOMEM : LSI_RD_DAMAGED;
			}
			/* The bytes inflated before the damage go out first. */
			s->pending = zr;
			s->pending_msg = why;
		}
		if (produced)
			return lsi_decode_emit(&s->guard, bs, s->in_total - s->z.avail_in,
					       &s->out_total, s->out, produced, &s->done, buf, len);
		if (s->done)
			return LSI_RD_EOF;
	}
}

static void zl_close(struct lsi_bstream *bs)
{
	struct zl_stream *s = (struct zl_stream *)bs;

	inflateEnd(&s->z);
	lsi_bstream_close(s->in);
	lsi_free(s);
}

static const struct lsi_bstream_ops zl_ops = { zl_read, zl_close };

static struct lsi_bstream *zl_open(struct lsi_bstream *in, const struct lsi_guard *g)
{
	struct zl_stream *s = lsi_calloc(1, sizeof(*s));

	if (!s) {
		lsi_bstream_close(in);
		return NULL;
	}
	s->base.ops = &zl_ops;
	s->in = in;
	s->guard = *g;
	if (inflateInit(&s->z) != Z_OK) {
		lsi_bstream_close(in);
		lsi_free(s);
		return NULL;
	}
	return &s->base;
}

const struct lsi_decoder_ops lsi_decoder_zlib = { "zlib", 2, zl_probe, zl_open, NULL };
