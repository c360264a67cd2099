/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xz decoder over liblzma, streaming, with concatenated streams and
 * stream padding (both valid in .xz files). The legacy .lzma format has
 * no reliable magic and is not sniffed. With threads to spare (--threads
 * on the calling thread), a stream of several blocks, as xz 5.4 and later
 * write by default, is decoded by liblzma's threaded decoder: the same
 * bytes, and on damage the same bytes before the same error.
 */
#include <lzma.h>
#include <string.h>

#include "decode.h"
#include "util/alloc.h"

#define OUT_CAP (256u * 1024u)
/*
 * Dictionary memory one xz stream may ask for. xz -9 (and -9e) needs
 * about 65 MiB to decode; only hand-tuned dictionaries need more, and a
 * hostile header could ask for 1.5 GiB. Crossing it is a limit finding.
 */
#define XZ_MEMLIMIT (128u * 1024u * 1024u)
/* Memory the threaded decoder may use, per thread we have: past it, it
 * uses fewer threads (one, for xz -9's dictionaries); with two threads, a
 * stream of xz -6 blocks decodes on two. */
#define XZ_MT_MEMLIMIT_PER_THREAD (28u * 1024u * 1024u)
#define XZ_MT_MEMLIMIT_BASE (16u * 1024u * 1024u)

struct xz_stream {
	struct lsi_bstream base;
	struct lsi_bstream *in;
	struct lsi_guard guard;
	lzma_stream z;
	bool in_eof;
	bool done;
	lzma_ret pending;     /* an error to report after the bytes before it */
	int stalls;           /* calls in a row without progress at end of input */
	uint64_t in_total, out_total;
	uint8_t out[OUT_CAP];
};

static int xz_probe(const uint8_t *h, size_t n)
{
	return n >= 6 && memcmp(h, "\xfd" "7zXZ\0", 6) == 0;
}

static enum lsi_rd fail(struct xz_stream *s, lzma_ret r)
{
	s->done = true;
	switch (r) {
	case LZMA_MEM_ERROR:
		lsi_bstream_fail(&s->base, "out of memory in the xz decoder");
		return LSI_RD_NOMEM;
	case LZMA_MEMLIMIT_ERROR:
		/* The threaded decoder does not say how much it needed (0): the
		 * same words whatever the thread count. */
		lsi_bstream_fail(&s->base, "xz stream needs more than %u MiB to decode (dictionary "
				 "memory); not decoded", XZ_MEMLIMIT >> 20);
		return LSI_RD_LIMIT;
	case LZMA_FORMAT_ERROR:
		lsi_bstream_fail(&s->base, "corrupt xz stream: not in .xz format");
		return LSI_RD_DAMAGED;
	case LZMA_OPTIONS_ERROR:
		lsi_bstream_fail(&s->base, "corrupt xz stream: unsupported options");
		return LSI_RD_DAMAGED;
	case LZMA_DATA_ERROR:
		/* Where in the output: the threaded decoder reads input ahead,
		 * so its input position would differ from one thread's. */
		lsi_bstream_fail(&s->base, "corrupt xz stream (after %llu decompressed bytes)",
				 (unsigned long long)s->out_total);
		return LSI_RD_DAMAGED;
	case LZMA_BUF_ERROR:
		lsi_bstream_fail(&s->base, "truncated xz stream (after %llu bytes)",
				 (unsigned long long)s->in_total);
		return LSI_RD_DAMAGED;
	default:
		lsi_bstream_fail(&s->base, "xz decoder failed (code %d)", (int)r);
		return LSI_RD_DAMAGED;
	}
}

static enum lsi_rd xz_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct xz_stream *s = (struct xz_stream *)bs;

	if (s->done)
		return LSI_RD_EOF;
	if (s->pending != LZMA_OK)
		return fail(s, s->pending);
	for (;;) {
		lzma_ret r;
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
				s->z.next_in = b;
				s->z.avail_in = n;
				s->in_total += n;
			}
		}
		s->z.next_out = s->out;
		s->z.avail_out = OUT_CAP;
		/* LZMA_FINISH tells a concatenated decoder the input is over. */
		r = lzma_code(&s->z, s->in_eof ? LZMA_FINISH : LZMA_RUN);
		produced = OUT_CAP - s->z.avail_out;
		if (produced) {
			enum lsi_rd g = lsi_decode_emit(&s->guard, bs, s->in_total - s->z.avail_in,
							&s->out_total, s->out, produced, &s->done,
							buf, len);

			if (g != LSI_RD_OK)
				return g;
			/* Deliver what decoded before the damage; report it next. */
			if (r == LZMA_STREAM_END)
				s->done = true; /* this block, then EOF */
			else if (r != LZMA_OK)
				s->pending = r;
			s->stalls = 0;
			return LSI_RD_OK;
		}
		if (r == LZMA_STREAM_END) {
			s->done = true;
			return LSI_RD_EOF;
		}
		if (r != LZMA_OK)
			return fail(s, r);
		/* FINISH without progress and without an end: the input stopped short. */
		if (s->in_eof && s->z.avail_in == 0 && ++s->stalls > 1)
			return fail(s, LZMA_BUF_ERROR);
	}
}

static void xz_close(struct lsi_bstream *bs)
{
	struct xz_stream *s = (struct xz_stream *)bs;

	lzma_end(&s->z);
	lsi_bstream_close(s->in);
	lsi_free(s);
}

static const struct lsi_bstream_ops xz_ops = { xz_read, xz_close };

static bool start_decoder(lzma_stream *z, unsigned threads)
{
#if LZMA_VERSION >= 50040002
	if (threads > 1) {
		/* Without LZMA_FAIL_FAST: damage comes after every byte before it,
		 * as from the single-threaded decoder. */
		lzma_mt mt = {
			.flags = LZMA_CONCATENATED,
			.threads = threads,
			.memlimit_threading = (uint64_t)threads * XZ_MT_MEMLIMIT_PER_THREAD +
					      XZ_MT_MEMLIMIT_BASE,
			.memlimit_stop = XZ_MEMLIMIT,
		};

		if (lzma_stream_decoder_mt(z, &mt) == LZMA_OK)
			return true;
	}
#else
	(void)threads;
#endif
	return lzma_stream_decoder(z, XZ_MEMLIMIT, LZMA_CONCATENATED) == LZMA_OK;
}

static struct lsi_bstream *xz_open(struct lsi_bstream *in, const struct lsi_guard *g)
{
	struct xz_stream *s = lsi_calloc(1, sizeof(*s));
	lzma_stream init = LZMA_STREAM_INIT;

	if (!s) {
		lsi_bstream_close(in);
		return NULL;
	}
	s->base.ops = &xz_ops;
	s->in = in;
	s->guard = *g;
	s->z = init;
	if (!start_decoder(&s->z, g->threads)) {
		lsi_bstream_close(in);
		lsi_free(s);
		return NULL;
	}
	return &s->base;
}

const struct lsi_decoder_ops lsi_decoder_xz = { "xz", 6, xz_probe, xz_open, NULL };
