/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bzip2 decoder over libbz2, streaming, with concatenated streams (what
 * pbzip2 and `cat a.bz2 b.bz2` produce). Bytes after the last stream that
 * do not start another one are ignored, as bzip2(1) does.
 */
#include <bzlib.h>
#include <string.h>

#include "decode.h"
#include "util/alloc.h"

#define OUT_CAP (256u * 1024u)

struct bz_stream_state {
	struct lsi_bstream base;
	struct lsi_bstream *in;
	struct lsi_guard guard;
	bz_stream z;
	bool z_live;
	bool stream_done;     /* between streams: look for another header */
	bool in_eof;
	bool done;
	int pending;          /* libbz2 error to report after the bytes before it */
	uint64_t in_total, out_total;
	uint8_t out[OUT_CAP];
};

static int bz_probe(const uint8_t *h, size_t n)
{
	/* "BZh" + block size '1'..'9' + the first block's magic (pi). */
	return n >= 10 && h[0] == 'B' && h[1] == 'Z' && h[2] == 'h' && h[3] >= '1' &&
	       h[3] <= '9' && ((memcmp(h + 4, "\x31\x41\x59\x26\x53\x59", 6) == 0) ||
			       memcmp(h + 4, "\x17\x72\x45\x38\x50\x90", 6) == 0);
}

static enum lsi_rd fail(struct bz_stream_state *s, int r)
{
	s->done = true;
	if (r == BZ_MEM_ERROR) {
		lsi_bstream_fail(&s->base, "out of memory in the bzip2 decoder");
		return LSI_RD_NOMEM;
	}
	if (r == BZ_UNEXPECTED_EOF) {
		lsi_bstream_fail(&s->base, "truncated bzip2 stream (after %llu bytes)",
				 (unsigned long long)s->in_total);
		return LSI_RD_DAMAGED;
	}
	lsi_bstream_fail(&s->base, "corrupt bzip2 data (%s, after %llu compressed bytes)",
			 r == BZ_DATA_ERROR_MAGIC ? "bad magic" :
			 r == BZ_DATA_ERROR ? "bad block" : "decoder error",
			 (unsigned long long)(s->in_total - s->z.avail_in));
	return LSI_RD_DAMAGED;
}

static bool restart(struct bz_stream_state *s)
{
	if (s->z_live)
		BZ2_bzDecompressEnd(&s->z);
	s->z_live = false;
	{
		char *next_in = s->z.next_in;
		unsigned avail_in = s->z.avail_in;

		memset(&s->z, 0, sizeof(s->z));
		s->z.next_in = next_in;
		s->z.avail_in = avail_in;
	}
	if (BZ2_bzDecompressInit(&s->z, 0, 0) != BZ_OK)
		return false;
	s->z_live = true;
	return true;
}

static enum lsi_rd bz_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct bz_stream_state *s = (struct bz_stream_state *)bs;

	if (s->done)
		return LSI_RD_EOF;
	if (s->pending)
		return fail(s, s->pending);
	for (;;) {
		int r;
		size_t produced;

		if (s->z.avail_in == 0 && !s->in_eof) {
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
				/* libbz2 counts in unsigned int; stream blocks are far smaller. */
				s->z.next_in = (char *)(uintptr_t)b;
				s->z.avail_in = (unsigned)n;
				s->in_total += n;
			}
		}
		if (s->z.avail_in == 0 && s->in_eof) {
			s->done = true;
			if (s->stream_done)
				return LSI_RD_EOF;
			return fail(s, BZ_UNEXPECTED_EOF);
		}
		if (s->stream_done) {
			/* Another stream follows only if its magic does. */
			if (s->z.next_in[0] != 'B') {
				s->done = true;
				return LSI_RD_EOF;
			}
			if (!restart(s))
				return fail(s, BZ_MEM_ERROR);
			s->stream_done = false;
		}
		s->z.next_out = (char *)s->out;
		s->z.avail_out = OUT_CAP;
		r = BZ2_bzDecompress(&s->z);
		produced = OUT_CAP - s->z.avail_out;
		if (r == BZ_STREAM_END)
			s->stream_done = true;
		else if (r != BZ_OK)
			s->pending = r;
		if (produced)
			return lsi_decode_emit(&s->guard, bs, s->in_total - s->z.avail_in,
					       &s->out_total, (const uint8_t *)s->out, produced, &s->done,
					       buf, len);
		if (s->pending)
			return fail(s, s->pending);
	}
}

static void bz_close(struct lsi_bstream *bs)
{
	struct bz_stream_state *s = (struct bz_stream_state *)bs;

	if (s->z_live)
		BZ2_bzDecompressEnd(&s->z);
	lsi_bstream_close(s->in);
	lsi_free(s);
}

static const struct lsi_bstream_ops bz_ops = { bz_read, bz_close };

static struct lsi_bstream *bz_open(struct lsi_bstream *in, const struct lsi_guard *g)
{
	struct bz_stream_state *s = lsi_calloc(1, sizeof(*s));

	if (!s) {
		lsi_bstream_close(in);
		return NULL;
	}
	s->base.ops = &bz_ops;
	s->in = in;
	s->guard = *g;
	if (!restart(s)) {
		lsi_bstream_close(in);
		lsi_free(s);
		return NULL;
	}
	return &s->base;
}

const struct lsi_decoder_ops lsi_decoder_bzip2 = { "bzip2", 10, bz_probe, bz_open, NULL };
