/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gzip decoder over ISA-L's isal_inflate, several times faster than zlib
 * on the same bytes (bench/). Same contract as gzip.c: streaming,
 * multi-member, trailing padding ignored, damage graded.
 */
#include <isa-l/igzip_lib.h>
#include <string.h>

#include "decode.h"
#include "util/alloc.h"

#define OUT_CAP (256u * 1024u)

/* Where in a member's gzip header we are (RFC 1952, 2.3). */
enum hdr_state { HDR_FIXED, HDR_XLEN, HDR_EXTRA, HDR_NAME, HDR_COMMENT, HDR_HCRC, HDR_DONE };

struct isal_stream {
	struct lsi_bstream base;
	struct lsi_bstream *in;
	struct lsi_guard guard;
	struct inflate_state st;
	/* The header is read here, not by ISA-L: its own parser mishandles a
	 * header longer than its buffer (a file name of 300 KB read memory
	 * it had not written). ISA-L then inflates raw deflate and checks the
	 * trailer (ISAL_GZIP_NO_HDR_VER). */
	enum hdr_state hdr;
	uint8_t flags;
	uint8_t fixed[10];
	uint32_t need;          /* bytes of the current header part still to come */
	bool member_done;
	bool done;
	int pending; /* an ISA-L error to report after the bytes before it */
	uint64_t in_total, out_total;
	uint8_t out[OUT_CAP];
};

static int isal_probe(const uint8_t *h, size_t n)
{
	return n >= 3 && h[0] == 0x1f && h[1] == 0x8b && h[2] == 8;
}

#define FHCRC 0x02
#define FEXTRA 0x04
#define FNAME 0x08
#define FCOMMENT 0x10

/* Skips what is left of s->need bytes of input; true once all are gone. */
static bool skip_needed(struct isal_stream *s)
{
	uint32_t n = s->need < s->st.avail_in ? s->need : s->st.avail_in;

	s->st.next_in += n;
	s->st.avail_in -= n;
	s->need -= n;
	return s->need == 0;
}

/*
 * Consumes header bytes from the input ISA-L would read. Returns 1 when
 * the header is done, 0 when more input is needed, -1 when it is not a
 * gzip header.
 */
static int read_header(struct isal_stream *s)
{
	struct inflate_state *st = &s->st;

	while (s->hdr != HDR_DONE) {
		uint32_t n;

		if (!st->avail_in)
			return 0;
		switch (s->hdr) {
		case HDR_FIXED:
			n = s->need < st->avail_in ? s->need : st->avail_in;
			memcpy(s->fixed + (10 - s->need), st->next_in, n);
			s->need -= n;
			st->next_in += n;
			st->avail_in -= n;
			if (s->need)
				break;
			if (s->fixed[0] != 0x1f || s->fixed[1] != 0x8b || s->fixed[2] != 8 ||
			    (s->fixed[3] & 0xe0))
				return -1;
			s->flags = s->fixed[3];
			s->hdr = HDR_XLEN;
			s->need = 2;
			if (!(s->flags & FEXTRA))
				s->hdr = HDR_NAME;
			break;
		case HDR_XLEN:
			/* Little-endian: the low byte comes first. */
			s->fixed[2 - s->need] = *st->next_in++;
			st->avail_in--;
			if (--s->need)
				break;
			s->need = (uint32_t)s->fixed[0] | (uint32_t)s->fixed[1] << 8;
			s->hdr = s->need ? HDR_EXTRA : HDR_NAME;
			break;
		case HDR_EXTRA:
			if (skip_needed(s))
				s->hdr = HDR_NAME;
			break;
		case HDR_NAME:
		case HDR_COMMENT: {
			bool want = s->flags & (s->hdr == HDR_NAME ? FNAME : FCOMMENT);
			const uint8_t *z = want ? memchr(st->next_in, 0, st->avail_in) : NULL;

			if (want) {
				n = z ? (uint32_t)(z - st->next_in) + 1 : st->avail_in;
				st->next_in += n;
				st->avail_in -= n;
				if (!z)
					break; /* the string goes on in the next input */
			}
			s->hdr = s->hdr == HDR_NAME ? HDR_COMMENT : HDR_HCRC;
			s->need = 2;
			break;
		}
		case HDR_HCRC:
			if (!(s->flags & FHCRC)) {
				s->hdr = HDR_DONE;
				break;
			}
			if (skip_needed(s))
				s->hdr = HDR_DONE;
			break;
		case HDR_DONE:
			break;
		}
	}
	return 1;
}

/* A new member: its header first, then raw deflate and the checked trailer. */
static void start_member(struct isal_stream *s)
{
	isal_inflate_reset(&s->st);
	s->st.crc_flag = ISAL_GZIP_NO_HDR_VER;
	s->hdr = HDR_FIXED;
	s->need = 10;
}

static const char *isal_err(int r)
{
	switch (r) {
	case ISAL_INVALID_BLOCK: return "invalid deflate block";
	case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK: return "invalid back-reference distance";
	case ISAL_INVALID_WRAPPER: return "invalid gzip header";
	case ISAL_UNSUPPORTED_METHOD: return "unsupported compression method";
	case ISAL_INCORRECT_CHECKSUM: return "checksum mismatch";
	default: return "inflate failed";
	}
}

/* Inflates into @out (@cap bytes): the one body of read() and read_into(). */
static enum lsi_rd isal_fill(struct lsi_bstream *bs, uint8_t *out, size_t cap,
			     const uint8_t **buf, size_t *len)
{
	struct isal_stream *s = (struct isal_stream *)bs;

	if (s->done)
		return LSI_RD_EOF;
	if (s->pending) {
		s->done = true;
		lsi_bstream_fail(bs, "corrupt gzip data: %s", isal_err(s->pending));
		return LSI_RD_DAMAGED;
	}
	for (;;) {
		int r;
		size_t produced;

		if (s->st.avail_in == 0) {
			const uint8_t *b;
			size_t n;
			enum lsi_rd rd = lsi_bstream_read(s->in, &b, &n);

			if (rd == LSI_RD_EOF) {
				s->done = true;
				if (s->member_done)
					return LSI_RD_EOF;
				lsi_bstream_fail(bs, "truncated gzip stream (after %llu bytes)",
						 (unsigned long long)s->in_total);
				return LSI_RD_DAMAGED;
			}
			if (rd != LSI_RD_OK) {
				memcpy(bs->msg, s->in->msg, sizeof(bs->msg));
				s->done = true;
				return rd;
			}
			s->st.next_in = (uint8_t *)(uintptr_t)b;
			s->st.avail_in = (uint32_t)n;
			s->in_total += n;
		}
		if (s->member_done) {
			/* Another member only if its magic follows; else padding. */
			if (s->st.next_in[0] != 0x1f) {
				s->done = true;
				return LSI_RD_EOF;
			}
			start_member(s);
			s->member_done = false;
		}
		if (s->hdr != HDR_DONE) {
			int h = read_header(s);

			if (h < 0) {
				s->done = true;
				lsi_bstream_fail(bs, "corrupt gzip data: %s",
						 isal_err(ISAL_INVALID_WRAPPER));
				return LSI_RD_DAMAGED;
			}
			if (!h)
				continue; /* more input */
		}
		s->st.next_out = out;
		s->st.avail_out = (uint32_t)cap;
		r = isal_inflate(&s->st);
		produced = cap - s->st.avail_out;
		if (r < 0 && produced) {
			/* A small stream is inflated whole in one call: its bytes
			 * are all here before the trailer's checksum fails. */
			s->pending = r;
		} else if (r < 0) {
			s->done = true;
			lsi_bstream_fail(bs, "corrupt gzip data: %s", isal_err(r));
			return LSI_RD_DAMAGED;
		}
		if (s->st.block_state == ISAL_BLOCK_FINISH)
			s->member_done = true;
		if (produced)
			return lsi_decode_emit(&s->guard, bs, s->in_total - s->st.avail_in,
					       &s->out_total, out, produced, &s->done, buf, len);
		if (s->member_done && s->st.avail_in == 0)
			continue; /* next block decides: more members or the end */
	}
}

static enum lsi_rd isal_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	return isal_fill(bs, ((struct isal_stream *)bs)->out, OUT_CAP, buf, len);
}

static enum lsi_rd isal_read_into(struct lsi_bstream *bs, uint8_t *dst, size_t cap, size_t *len)
{
	const uint8_t *b;
	enum lsi_rd r;

	if (cap > UINT32_MAX)
		cap = UINT32_MAX;
	r = isal_fill(bs, dst, cap, &b, len);
	if (r == LSI_RD_OK)
		bs->pos += *len;
	return r;
}

static void isal_close(struct lsi_bstream *bs)
{
	struct isal_stream *s = (struct isal_stream *)bs;

	lsi_bstream_close(s->in);
	lsi_free(s);
}

static const struct lsi_bstream_ops isal_ops = { isal_read, isal_close };

static struct lsi_bstream *isal_open(struct lsi_bstream *in, const struct lsi_guard *g)
{
	struct isal_stream *s = lsi_malloc(sizeof(*s));

	if (!s) {
		lsi_bstream_close(in);
		return NULL;
	}
	/* Only the header part needs zeroing; the buffers are written before read. */
	memset(s, 0, offsetof(struct isal_stream, out));
	s->base.ops = &isal_ops;
	s->in = in;
	s->guard = *g;
	isal_inflate_init(&s->st);
	start_member(s);
	return &s->base;
}

const struct lsi_decoder_ops lsi_decoder_gzip_isal = { "gzip", 3, isal_probe, isal_open,
							isal_read_into };
