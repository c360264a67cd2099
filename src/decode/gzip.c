/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gzip decoder over zlib, streaming, with multi-member files (RFC 1952
 * allows concatenated members; `cat a.gz b.gz` is valid). Bytes after the
 * last member that are not another member are ignored, as gzip(1) does.
 */
#include <string.h>
#include <zlib.h>

#include "decode.h"
#include "util/alloc.h"

#define OUT_CAP (256u * 1024u)

struct gz_stream {
	struct lsi_bstream base;
	struct lsi_bstream *in;
	struct lsi_guard guard;
	z_stream z;
	bool z_live;
	bool member_done;     /* between members: look for another header */
	bool done;
	int pending;          /* a zlib error to report after the bytes before it */
	const char *pending_msg;
	uint64_t in_total, out_total;
	uint8_t out[OUT_CAP];
};

static int gz_probe(const uint8_t *h, size_t n)
{
	return n >= 3 && h[0] == 0x1f && h[1] == 0x8b && h[2] == 8;
}

static enum lsi_rd gz_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct gz_stream *s = (struct gz_stream *)bs;

	if (s->done)
		return LSI_RD_EOF;
	if (s->pending) {
		s->done = true;
		lsi_bstream_fail(bs, "corrupt gzip data: %s", s->pending_msg);
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
				if (s->member_done)
					return LSI_RD_EOF;
				lsi_bstream_fail(bs, "truncated gzip stream (after %llu bytes)",
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
		if (s->member_done) {
			/* Another member follows only if its magic does; anything else
			 * is trailing padding. A wrong second byte fails in inflate. */
			if (s->z.next_in[0] != 0x1f) {
				s->done = true;
				return LSI_RD_EOF;
			}
			inflateReset(&s->z);
			s->member_done = false;
		}
		s->z.next_out = s->out;
		s->z.avail_out = OUT_CAP;
		zr = inflate(&s->z, Z_NO_FLUSH);
		produced = OUT_CAP - s->z.avail_out;
		if (zr == Z_STREAM_END) {
			s->member_done = true;
		} else if (zr == Z_BUF_ERROR && produced == 0 && s->z.avail_in == 0) {
			continue;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			/* The bytes inflated before the damage (a whole small
			 * stream before its trailer's checksum) go out first. */
			const char *why = s->z.msg ? s->z.msg : "inflate failed";

			if (!produced) {
				s->done = true;
				lsi_bstream_fail(bs, "corrupt gzip data: %s", why);
				return zr == Z_MEM_ERROR ? LSI_RD_NOMEM : LSI_RD_DAMAGED;
			}
			s->pending = zr;
			s->pending_msg = why;
		}
		if (produced)
			return lsi_decode_emit(&s->guard, bs, s->in_total - s->z.avail_in,
					       &s->out_total, s->out, produced, &s->done, buf, len);
	}
}

static void gz_close(struct lsi_bstream *bs)
{
	struct gz_stream *s = (struct gz_stream *)bs;

	if (s->z_live)
		inflateEnd(&s->z);
	lsi_bstream_close(s->in);
	lsi_free(s);
}

static const struct lsi_bstream_ops gz_ops = { gz_read, gz_close };

static struct lsi_bstream *gz_open(struct lsi_bstream *in, const struct lsi_guard *g)
{
	struct gz_stream *s = lsi_calloc(1, sizeof(*s));

	if (!s) {
		lsi_bstream_close(in);
		return NULL;
	}
	s->base.ops = &gz_ops;
	s->in = in;
	s->guard = *g;
	if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) {
		lsi_bstream_close(in);
		lsi_free(s);
		return NULL;
	}
	s->z_live = true;
	return &s->base;
}

const struct lsi_decoder_ops lsi_decoder_gzip_zlib = { "gzip", 3, gz_probe, gz_open, NULL };
