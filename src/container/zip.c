/* SPDX-License-Identifier: Apache-2.0 */
/*
 * zip reader (jar, war, ear, whl, apk, aar, nupkg, vsix, docx, xlsx, egg
 * are all zip by content; crx is a zip behind a small header). A zip's
 * central directory is authoritative but sits at the end, so a zip of up
 * to max-member-bytes is read into memory and walked by its central
 * directory (zip64, prefixed data, data descriptors). A larger zip, or
 * one whose central directory is bogus, is read by its local headers
 * instead, front to back. Stored, deflated (raw inflate: ISA-L or zlib), bzip2,
 * zstd and xz entries are read; encrypted entries and other methods are
 * reported as unreadable members, never guessed at.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "container.h"
#include "decode/decode.h"
#include "decode/rawinflate.h"
#include "util/alloc.h"
#include "util/buf.h"

#define OUT_CAP (256u * 1024u)
#define MEM_BLOCK (256u * 1024u)  /* blocks handed out of an in-memory zip */
#define READ_CHUNK (1u << 30)     /* zlib counts input in 32 bits */

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_LOC64 0x07064b50u
#define SIG_DD 0x08074b50u
#define SIG_SPAN1 0x30304b50u     /* "PK00": single-segment split marker */

#define FLAG_ENCRYPTED 0x1u
#define FLAG_DD 0x8u

enum zstate { ZM_NONE, ZM_READING, ZM_DONE };

struct zip;

/* Compressed bytes of the current member: from memory, or from the reader. */
struct zslice {
	struct lsi_bstream base;
	struct zip *z;
	const uint8_t *p;      /* memory source; NULL = the streaming reader */
	uint64_t left;
};

struct zdata {
	struct lsi_bstream base;
	struct zip *z;
};

struct zcur {
	uint16_t flags, method;
	uint32_t want_crc, crc;
	uint64_t csize, usize;
	bool sizes_known;       /* csize/usize/crc known before the data */
	bool zip64;             /* data descriptor sizes are 8 bytes */
	bool dd_inflate;        /* streaming, size unknown: inflate finds the end */
	bool inflate_end;       /* the deflate stream ended */
	bool dd_read;           /* its data descriptor was read */
	bool overrun;           /* more data than the declared size follows */
	uint64_t out_total;
	enum zstate state;
	enum lsi_rd fail;       /* sticky outcome once failed */
};

struct zip {
	struct lsi_bstream *in;
	struct lsi_climits lim;
	bool streaming;
	/* In memory: the whole zip. */
	struct lsi_buf mem;
	uint64_t held;          /* what we added to *lim.held */
	size_t base;            /* where the zip starts (after a crx header) */
	const uint8_t *cd, *cd_end;
	uint64_t cd_count;      /* entries the central directory declares */
	/* Comments, scanned as members of their own: the archive's (from the
	 * end record) and the last entry's, still to be handed out. */
	const uint8_t *zip_comment, *entry_comment;
	size_t zip_comment_len, entry_comment_len;
	/* Entries the central directory does not list (hidden.c of a zip a
	 * streaming extractor would still write): found after its last entry
	 * by their local headers outside the listed entries' bytes. */
	const uint8_t *cd_begin;
	struct zrange { uint64_t start, end; } *ranges;
	size_t nranges;
	uint64_t hidden_pos;    /* where the search for the next one goes on */
	uint64_t hidden_at;     /* the one found, read next */
	bool hidden_pending, hidden_done, hidden; /* hidden: reading one now */
	uint64_t bias;          /* bytes before the zip the offsets do not count */
	/* Front to back. */
	struct lsi_bstream *rs; /* what the reader reads */
	struct lsi_reader rd;
	bool resync;            /* lost our place: search for the next header */
	bool ended, saw_cd, cd_reported;
	bool have_sig;          /* resync() consumed the signature in pending_sig */
	uint32_t pending_sig;
	char note[LSI_MSG_LEN]; /* damage to report before the first member */
	enum lsi_rd note_st;
	/* A limit to report after the last member (a limit ends the reader's turn). */
	char end_note[LSI_MSG_LEN];
	uint64_t members;
	/* The current member. */
	struct lsi_buf name;
	struct zcur cur;
	struct zslice slice;
	struct zdata data;
	struct lsi_bstream *dec; /* library decoder over the slice, opened on first read */
	const struct lsi_decoder_ops *dec_ops;
	struct lsi_rawinf *inf; /* deflate: ISA-L or zlib, made on first read */
	struct lsi_packed packed; /* the current member, for another thread */
	/* Last, so that a detached entry reader (zip_packed_open) neither
	 * clears out nor allocates hbuf, which only the local-header walk uses. */
	uint8_t out[OUT_CAP];
	uint8_t hbuf[65536];    /* a local header's name or extra field */
};

/* What a detached entry reader needs to know of the entry. */
struct zrecipe {
	uint16_t flags, method;
	uint32_t want_crc;
	uint64_t csize, usize;
};
_Static_assert(sizeof(struct zrecipe) <= LSI_RECIPE_LEN, "recipe does not fit");

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Length of a crx (Chrome extension) header before its zip, or 0. */
static size_t crx_header_len(const uint8_t *h, size_t n)
{
	uint64_t len;

	if (n < 12 || memcmp(h, "Cr24", 4) != 0)
		return 0;
	if (le32(h + 4) == 2 && n >= 16)
		len = 16 + (uint64_t)le32(h + 8) + le32(h + 12);
	else if (le32(h + 4) == 3)
		len = 12 + (uint64_t)le32(h + 8);
	else
		return 0;
	return len > (1u << 24) ? 0 : (size_t)len; /* keys and signatures are small */
}

static int zip_probe(const uint8_t *h, size_t n)
{
	if (n < 4)
		return 0;
	if (le32(h) == SIG_LOCAL || le32(h) == SIG_EOCD)
		return 100;
	if ((le32(h) == SIG_DD || le32(h) == SIG_SPAN1) && n >= 8 && le32(h + 4) == SIG_LOCAL)
		return 100;
	return crx_header_len(h, n) ? 90 : 0;
}

/* Gives back @n bytes of the reader's current block (taken by lsi_reader_next). */
static void reader_unread(struct lsi_reader *r, size_t n)
{
	r->cur -= n;
	r->left += n;
	r->consumed -= n;
}

/* ---- member data ---- */

static enum lsi_rd slice_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct zslice *s = (struct zslice *)bs;
	enum lsi_rd st;

	if (s->left == 0)
		return LSI_RD_EOF;
	if (s->p) {
		size_t n = s->left < MEM_BLOCK ? (size_t)s->left : MEM_BLOCK;

		*buf = s->p;
		*len = n;
		s->p += n;
		s->left -= n;
		return LSI_RD_OK;
	}
	st = lsi_reader_next(&s->z->rd, s->left < READ_CHUNK ? (size_t)s->left : READ_CHUNK, buf,
			     len);
	if (st == LSI_RD_OK) {
		s->left -= *len;
		return st;
	}
	s->z->ended = true;
	if (st == LSI_RD_EOF) {
		lsi_bstream_fail(bs, "zip member truncated: %" PRIu64 " compressed bytes missing",
				 s->left);
		return LSI_RD_DAMAGED;
	}
	memcpy(bs->msg, s->z->rs->msg, sizeof(bs->msg));
	return st;
}

static void noop_close(struct lsi_bstream *bs)
{
	(void)bs; /* owned by the zip */
}

static const struct lsi_bstream_ops slice_ops = { slice_read, noop_close };

static enum lsi_rd member_fail(struct zip *z, enum lsi_rd st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum lsi_rd member_fail(struct zip *z, enum lsi_rd st, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(z->data.base.msg, sizeof(z->data.base.msg), fmt, ap);
		va_end(ap);
	}
	z->cur.state = ZM_DONE;
	z->cur.fail = st;
	return st;
}

/* Reads a data descriptor after a streamed member's data. */
static enum lsi_rd read_descriptor(struct zip *z)
{
	uint8_t d[24];
	size_t sz = z->cur.zip64 ? 8 : 4;
	enum lsi_rd st = lsi_reader_read(&z->rd, d, 4);

	z->cur.dd_read = true;
	/* The signature is optional; without it the first word is the CRC. */
	if (st == LSI_RD_OK && le32(d) == SIG_DD)
		st = lsi_reader_read(&z->rd, d, 4);
	if (st == LSI_RD_OK)
		st = lsi_reader_read(&z->rd, d + 4, 2 * sz);
	if (st != LSI_RD_OK) {
		z->ended = true;
		return LSI_RD_DAMAGED;
	}
	z->cur.want_crc = le32(d);
	z->cur.csize = sz == 8 ? le64(d + 4) : le32(d + 4);
	z->cur.usize = sz == 8 ? le64(d + 12) : le32(d + 8);
	return LSI_RD_OK;
}

/* Streaming: moves the reader past the member's compressed bytes and descriptor. */
static enum lsi_rd finish_position(struct zip *z)
{
	struct zcur *c = &z->cur;

	if (!z->streaming)
		return LSI_RD_OK;
	if (!c->dd_inflate && z->slice.left && !z->slice.p) {
		if (lsi_reader_skip(&z->rd, z->slice.left) != LSI_RD_OK) {
			z->ended = true;
			return LSI_RD_DAMAGED;
		}
		z->slice.left = 0;
	}
	if ((c->flags & FLAG_DD) && !c->dd_read)
		return read_descriptor(z);
	return LSI_RD_OK;
}

/* The member's bytes all arrived: check them against what the zip says. */
static enum lsi_rd member_finish(struct zip *z)
{
	struct zcur *c = &z->cur;

	if (finish_position(z) != LSI_RD_OK)
		return member_fail(z, LSI_RD_DAMAGED, "zip truncated after this member");
	c->state = ZM_DONE;
	if (c->out_total != c->usize)
		return member_fail(z, LSI_RD_DAMAGED, "zip member is %" PRIu64 " bytes, not the %" PRIu64
				   " its header declares", c->out_total, c->usize);
	if (c->crc != c->want_crc)
		return member_fail(z, LSI_RD_DAMAGED, "zip member CRC mismatch (stored %08" PRIx32
				   ", computed %08" PRIx32 ")", c->want_crc, c->crc);
	return LSI_RD_EOF;
}

/* Next compressed input for inflate. */
static enum lsi_rd inflate_input(struct zip *z)
{
	const uint8_t *p;
	size_t n;
	enum lsi_rd st;

	if (z->cur.dd_inflate) {
		st = lsi_reader_next(&z->rd, READ_CHUNK, &p, &n);
		if (st != LSI_RD_OK)
			z->ended = true;
	} else {
		st = lsi_bstream_read(&z->slice.base, &p, &n);
	}
	if (st == LSI_RD_OK)
		lsi_rawinf_feed(z->inf, p, n);
	return st;
}

/* Inflates into z->out: LSI_RD_OK with *len > 0, or EOF at the end of the deflate stream. */
static enum lsi_rd inflate_some(struct zip *z, size_t *len)
{
	*len = 0;
	if (z->cur.inflate_end)
		return LSI_RD_EOF;
	/* ISA-L where the entry's size is known. Where only the deflate end
	 * tells where the data descriptor starts, zlib: ISA-L may hold bytes
	 * past the end in its bit buffer, read from a block the reader can
	 * no longer step back into. */
	if (!z->inf && !(z->inf = lsi_rawinf_new(!z->cur.dd_inflate)))
		return member_fail(z, LSI_RD_NOMEM, "out of memory inflating a zip member");
	for (;;) {
		enum lsi_inf ir;
		const char *msg;

		if (lsi_rawinf_pending(z->inf) == 0) {
			enum lsi_rd st = inflate_input(z);

			if (st == LSI_RD_EOF || (st == LSI_RD_DAMAGED && z->cur.dd_inflate))
				return member_fail(z, LSI_RD_DAMAGED, "truncated deflate data in zip member");
			if (st != LSI_RD_OK) {
				memcpy(z->data.base.msg, z->cur.dd_inflate ? z->rs->msg : z->slice.base.msg,
				       LSI_MSG_LEN);
				return member_fail(z, st, NULL);
			}
		}
		ir = lsi_rawinf_run(z->inf, z->out, OUT_CAP, len, &msg);
		if (ir == LSI_INF_END) {
			/* Bytes after the deflate end belong to what follows. */
			if (z->cur.dd_inflate)
				reader_unread(&z->rd, lsi_rawinf_pending(z->inf));
			lsi_rawinf_feed(z->inf, NULL, 0);
			z->cur.inflate_end = true;
			return *len ? LSI_RD_OK : LSI_RD_EOF;
		}
		if (ir == LSI_INF_NOMEM)
			return member_fail(z, LSI_RD_NOMEM, "out of memory inflating a zip member");
		if (ir == LSI_INF_ERROR)
			return member_fail(z, LSI_RD_DAMAGED, "corrupt deflate data in zip member: %s",
					   msg);
		if (*len)
			return LSI_RD_OK;
	}
}

static enum lsi_rd data_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct zip *z = ((struct zdata *)bs)->z;
	struct zcur *c = &z->cur;
	enum lsi_rd st;

	if (c->state != ZM_READING)
		return c->fail ? c->fail : LSI_RD_EOF;
	if (c->overrun)
		return member_fail(z, LSI_RD_DAMAGED, "zip member holds more than its declared %" PRIu64
				   " bytes; the rest was not scanned", c->usize);
	if (c->method == 0) {
		st = lsi_bstream_read(&z->slice.base, buf, len);
		if (st != LSI_RD_OK && st != LSI_RD_EOF) {
			memcpy(bs->msg, z->slice.base.msg, sizeof(bs->msg));
			return member_fail(z, st, NULL);
		}
	} else if (c->method == 8) {
		st = inflate_some(z, len);
		*buf = z->out;
		if (st != LSI_RD_OK && st != LSI_RD_EOF)
			return st; /* member_fail() said why */
	} else {
		if (!z->dec) {
			static const struct lsi_guard none = { 0, 0, NULL, 0, 0, 0 };

			z->dec = z->dec_ops->open(&z->slice.base, z->lim.guard ? z->lim.guard : &none);
			if (!z->dec)
				return member_fail(z, LSI_RD_NOMEM, "out of memory opening a zip member");
		}
		st = lsi_bstream_read(z->dec, buf, len);
		if (st != LSI_RD_OK && st != LSI_RD_EOF) {
			memcpy(bs->msg, z->dec->msg, sizeof(bs->msg));
			return member_fail(z, st, NULL);
		}
	}
	if (st == LSI_RD_EOF)
		return member_finish(z);
	/* Never more than the declared size: whoever reads the member sees
	 * the same bytes and, past them, the same damage. */
	if (c->sizes_known && *len > c->usize - c->out_total) {
		*len = (size_t)(c->usize - c->out_total);
		c->overrun = true;
		if (!*len)
			return data_read(bs, buf, len);
	}
	c->out_total += *len;
	c->crc = (uint32_t)crc32_z(c->crc, *buf, *len);
	/* Library decoders answer to the guard themselves; inflate does here. */
	if (c->method == 8 && z->lim.guard) {
		/* The entry's declared compressed size is its in_size, as for
		 * any stream of known size (decode.h). */
		struct lsi_guard eg = *z->lim.guard;
		enum lsi_rd g;

		eg.in_size = c->sizes_known ? c->csize : 0;
		g = lsi_guard_check(&eg, bs, lsi_rawinf_total_in(z->inf), c->out_total, *len);

		if (g != LSI_RD_OK) {
			if (c->sizes_known && c->usize > c->out_total) {
				size_t l = strlen(bs->msg);

				snprintf(bs->msg + l, sizeof(bs->msg) - l,
					 "; %" PRIu64 " of its declared %" PRIu64 " bytes not scanned",
					 c->usize - c->out_total, c->usize);
			}
			return member_fail(z, g, NULL);
		}
	}
	return LSI_RD_OK;
}

static const struct lsi_bstream_ops data_ops = { data_read, noop_close };

/* ---- opening ---- */

static void release_member(struct zip *z)
{
	lsi_bstream_close(z->dec);
	z->dec = NULL;
	z->dec_ops = NULL;
	lsi_rawinf_free(z->inf);
	z->inf = NULL;
	memset(&z->cur, 0, sizeof(z->cur));
}

/* Reads the input into memory while it fits in the budget. */
static enum lsi_rd slurp(struct zip *z, bool *fits, const uint8_t **tail, size_t *tail_len)
{
	uint64_t budget = z->lim.max_member_bytes;

	if (z->lim.held)
		budget = *z->lim.held >= budget ? 0 : budget - *z->lim.held;
	*fits = false;
	for (;;) {
		const uint8_t *b;
		size_t n;
		enum lsi_rd st = lsi_bstream_read(z->in, &b, &n);

		if (st == LSI_RD_EOF) {
			*fits = true;
			return LSI_RD_OK;
		}
		if (st != LSI_RD_OK)
			return st;
		if (z->mem.len + n > budget || !lsi_buf_append(&z->mem, b, n)) {
			*tail = b;
			*tail_len = n;
			return LSI_RD_OK;
		}
		if (z->lim.held)
			*z->lim.held += n;
		z->held += n;
	}
}

/* Replays the bytes read into memory, then the rest of the input. */
struct replay {
	struct lsi_bstream base;
	struct zip *z;
	size_t off;
	const uint8_t *tail;
	size_t tail_len;
	bool mem_done;
};

static void drop_mem(struct zip *z)
{
	if (z->lim.held)
		*z->lim.held -= z->held;
	z->held = 0;
	lsi_buf_fini(&z->mem);
}

static enum lsi_rd replay_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct replay *r = (struct replay *)bs;
	struct zip *z = r->z;
	enum lsi_rd st;

	if (r->off < z->mem.len) {
		size_t n = z->mem.len - r->off < MEM_BLOCK ? z->mem.len - r->off : MEM_BLOCK;

		*buf = z->mem.data + r->off;
		*len = n;
		r->off += n;
		return LSI_RD_OK;
	}
	if (!r->mem_done) {
		/* The last memory block is no longer referenced: give it back. */
		r->mem_done = true;
		drop_mem(z);
	}
	if (r->tail_len) {
		*buf = r->tail;
		*len = r->tail_len;
		r->tail_len = 0;
		return LSI_RD_OK;
	}
	st = lsi_bstream_read(z->in, buf, len);
	if (st != LSI_RD_OK && st != LSI_RD_EOF)
		memcpy(bs->msg, z->in->msg, sizeof(bs->msg));
	return st;
}

static void replay_close(struct lsi_bstream *bs)
{
	lsi_free(bs);
}

static const struct lsi_bstream_ops replay_ops = { replay_read, replay_close };

/* Zip64 extra field (0x0001): the 64-bit values of the fields set to all ones. */
static void zip64_extra(const uint8_t *x, size_t xlen, bool local, uint64_t *usize,
			uint64_t *csize, uint64_t *off, bool *seen)
{
	while (xlen >= 4) {
		uint16_t id = le16(x), n = le16(x + 2);
		const uint8_t *d = x + 4;
		size_t k = n;

		if ((size_t)n + 4 > xlen)
			return;
		if (id == 0x0001) {
			*seen = true;
			if ((local || *usize == 0xffffffffu) && k >= 8) {
				*usize = le64(d);
				d += 8;
				k -= 8;
			}
			if ((local || *csize == 0xffffffffu) && k >= 8) {
				*csize = le64(d);
				d += 8;
				k -= 8;
			}
			if (off && *off == 0xffffffffu && k >= 8)
				*off = le64(d);
			return;
		}
		x += 4 + n;
		xlen -= 4 + (size_t)n;
	}
}

/* A local header signature at @off of the zip in memory. */
static bool local_at(const uint8_t *zp, size_t len, uint64_t off)
{
	return off < len && len - off >= 30 && le32(zp + off) == SIG_LOCAL;
}

/*
 * Finds the end of central directory record and checks every central
 * entry's signature and bounds. false: use the local headers instead.
 */
static bool load_cd(struct zip *z, char *why, size_t why_len)
{
	const uint8_t *zp = z->mem.data;
	size_t len = z->mem.len, eocd = SIZE_MAX, cd_end, stop;
	uint64_t count, cd_size, cd_off, cd_start, n = 0;
	const uint8_t *p;

	if (!zp || len < 22) {
		snprintf(why, why_len, "no end of central directory record");
		return false;
	}
	stop = len - 22 > 65535 ? len - 22 - 65535 : 0;
	for (size_t i = len - 22 + 1; i-- > stop;) {
		if (le32(zp + i) == SIG_EOCD && i + 22 + le16(zp + i + 20) <= len) {
			eocd = i;
			break;
		}
	}
	if (eocd == SIZE_MAX) {
		snprintf(why, why_len, "no end of central directory record");
		return false;
	}
	p = zp + eocd;
	z->zip_comment = p + 22;
	z->zip_comment_len = le16(p + 20);
	count = le16(p + 10);
	cd_size = le32(p + 12);
	cd_off = le32(p + 16);
	cd_end = eocd;
	if ((count == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu) && eocd >= 20 + 56 &&
	    le32(p - 20) == SIG_LOC64) {
		uint64_t off64 = le64(p - 20 + 8);

		/* The record usually sits right before the locator. */
		if (off64 > len - 56 || le32(zp + off64) != SIG_EOCD64)
			off64 = eocd - 20 - 56;
		if (le32(zp + off64) != SIG_EOCD64) {
			snprintf(why, why_len, "zip64 end of central directory record missing");
			return false;
		}
		count = le64(zp + off64 + 32);
		cd_size = le64(zp + off64 + 40);
		cd_off = le64(zp + off64 + 48);
		cd_end = (size_t)off64;
	}
	if (cd_size > cd_end) {
		snprintf(why, why_len, "central directory size %" PRIu64 " out of bounds", cd_size);
		return false;
	}
	/* Prefixed data (crx, self-extractors) shifts everything by a bias. */
	cd_start = cd_end - cd_size;
	if (cd_off <= cd_start && (count == 0 || le32(zp + cd_start) == SIG_CENTRAL)) {
		z->bias = cd_start - cd_off;
	} else if (cd_off < cd_end && le32(zp + cd_off) == SIG_CENTRAL) {
		z->bias = 0;
		cd_start = cd_off;
	} else {
		snprintf(why, why_len, "central directory not found at offset %" PRIu64, cd_off);
		return false;
	}
	/* Walk it once, so a bogus entry sends us to the local headers up front. */
	p = zp + cd_start;
	while ((size_t)(zp + cd_end - p) >= 4 && le32(p) == SIG_CENTRAL) {
		size_t left = (size_t)(zp + cd_end - p), elen;

		if (left < 46) {
			snprintf(why, why_len, "central directory entry %" PRIu64 " is cut short", n);
			return false;
		}
		elen = 46 + (size_t)le16(p + 28) + le16(p + 30) + le16(p + 32);
		if (elen > left) {
			snprintf(why, why_len, "central directory entry %" PRIu64 " out of bounds", n);
			return false;
		}
		p += elen;
		if (++n > z->lim.max_members && z->lim.max_members)
			break; /* enough to cross the limit */
	}
	/* Data before the zip, or a corrupt offset? The first local header decides. */
	if (n && z->bias) {
		const uint8_t *e = zp + cd_start;
		uint64_t us = le32(e + 24), cs = le32(e + 20), lho = le32(e + 42);
		bool z64 = false;

		zip64_extra(e + 46 + le16(e + 28), le16(e + 30), false, &us, &cs, &lho, &z64);
		if (!local_at(zp, len, lho + z->bias) && local_at(zp, len, lho))
			z->bias = 0;
	}
	/* Old writers wrap the 16-bit count; fewer entries than declared is damage. */
	if (n < count && (n <= z->lim.max_members || !z->lim.max_members)) {
		snprintf(why, why_len, "central directory holds %" PRIu64 " entries, not %" PRIu64, n,
			 count);
		return false;
	}
	count = n;
	z->cd_begin = zp + cd_start;
	z->cd = zp + cd_start;
	z->cd_end = zp + cd_end;
	z->cd_count = count;
	return true;
}

static void *zip_open(struct lsi_bstream *in, const struct lsi_climits *lim)
{
	struct zip *z = lsi_calloc(1, sizeof(*z));
	const uint8_t *tail = NULL;
	size_t tail_len = 0;
	bool fits;
	enum lsi_rd st;

	if (!z) {
		lsi_bstream_close(in);
		return NULL;
	}
	{
		/* A crx header: where front-to-back reading starts. */
		const uint8_t *head;
		size_t hl;

		in = lsi_bstream_peek(in, 16, &head, &hl, &st);
		if (!in) {
			lsi_free(z);
			return NULL;
		}
		z->base = crx_header_len(head, hl);
	}
	z->in = in;
	z->lim = *lim;
	z->slice.base.ops = &slice_ops;
	z->slice.z = z;
	z->data.base.ops = &data_ops;
	z->data.z = z;
	lsi_buf_init(&z->name, 65536 + 1);
	lsi_buf_init(&z->mem, lim->max_member_bytes > SIZE_MAX ? SIZE_MAX
							       : (size_t)lim->max_member_bytes);
	st = slurp(z, &fits, &tail, &tail_len);
	if (st != LSI_RD_OK) {
		/* Damaged input: read what arrived front to back. */
		snprintf(z->note, sizeof(z->note), "%s", in->msg[0] ? in->msg : "read error");
		z->note_st = st == LSI_RD_NOMEM ? st : LSI_RD_DAMAGED;
		z->cd_reported = true;
		fits = true;
	}
	if (fits) {
		char why[160];

		/* The bias in load_cd() finds a crx header (or any prefix) by itself. */
		if (!z->note_st && load_cd(z, why, sizeof(why)))
			return z;
		if (!z->note_st) {
			snprintf(z->note, sizeof(z->note),
				 "zip central directory unusable (%s); reading local headers instead", why);
			z->note_st = LSI_RD_DAMAGED;
			z->cd_reported = true;
		}
		z->rs = lsi_bstream_mem(z->mem.data ? z->mem.data : (const uint8_t *)"", z->mem.len,
					MEM_BLOCK);
	} else {
		struct replay *r = lsi_calloc(1, sizeof(*r));

		if (r) {
			r->base.ops = &replay_ops;
			r->z = z;
			r->tail = tail;
			r->tail_len = tail_len;
		}
		z->rs = r ? &r->base : NULL;
		snprintf(z->end_note, sizeof(z->end_note), "max-member-bytes: zip larger than %"
			 PRIu64 " bytes was read by its local headers, not its central directory",
			 lim->max_member_bytes);
	}
	if (!z->rs) {
		lsi_buf_fini(&z->name);
		drop_mem(z);
		lsi_bstream_close(in);
		lsi_free(z);
		return NULL;
	}
	z->streaming = true;
	lsi_reader_init(&z->rd, z->rs);
	if (z->base)
		lsi_reader_skip(&z->rd, z->base);
	return z;
}

static void zip_close(void *c)
{
	struct zip *z = c;

	if (!z)
		return;
	release_member(z);
	lsi_bstream_close(z->rs);
	lsi_free(z->ranges);
	lsi_buf_fini(&z->name);
	drop_mem(z);
	lsi_bstream_close(z->in);
	lsi_free(z);
}

/* ---- members ---- */

/* Sets up the current member's data stream over z->slice. */
static void start_member(struct zip *z, struct lsi_member *m)
{
	struct zcur *c = &z->cur;
	const struct lsi_decoder_ops *dec = NULL;

	c->state = ZM_READING;
	c->crc = 0;
	z->data.base.pos = 0;
	z->data.base.msg[0] = '\0';
	z->slice.base.pos = 0;
	z->slice.base.msg[0] = '\0';
	m->data = &z->data.base;
	/* The declared size lets the pipeline skip large members early and
	 * count what a limit skipped; verify_rest() checks the claim. */
	m->size = c->sizes_known && c->usize <= INT64_MAX ? (int64_t)c->usize : -1;
	if (c->flags & FLAG_ENCRYPTED) {
		member_fail(z, LSI_RD_DAMAGED, "encrypted zip entry (method %u): not scanned",
			    c->method);
		return;
	}
	switch (c->method) {
	case 0:
		if (c->dd_inflate)
			member_fail(z, LSI_RD_DAMAGED, "stored zip entry with a data descriptor: "
				    "its end cannot be found without the central directory");
		return;
	case 8:
		/* Made now where an unread member must still be inflated to find
		 * its end (skip_current), else on the first read. */
		if (c->dd_inflate && !(z->inf = lsi_rawinf_new(false)))
			member_fail(z, LSI_RD_NOMEM, "out of memory inflating a zip member");
		return;
	case 12:
		dec = &lsi_decoder_bzip2;
		break;
	case 93:
		dec = &lsi_decoder_zstd;
		break;
	case 95:
		dec = &lsi_decoder_xz;
		break;
	default:
		member_fail(z, LSI_RD_DAMAGED, "zip compression method %u is not supported: not scanned",
			    c->method);
		return;
	}
	if (c->dd_inflate) {
		member_fail(z, LSI_RD_DAMAGED, "zip entry of method %u with a data descriptor: its end "
			    "cannot be found without the central directory", c->method);
		return;
	}
	z->dec_ops = dec;
}

static enum lsi_rd limit_members(struct zip *z, char *msg)
{
	if (++z->members > z->lim.max_members && z->lim.max_members) {
		snprintf(msg, LSI_MSG_LEN, "max-members: more than %" PRIu64 " members in this zip",
			 z->lim.max_members);
		z->ended = true;
		return LSI_RD_LIMIT;
	}
	return LSI_RD_OK;
}

static void set_name(struct zip *z, struct lsi_member *m, const uint8_t *name, size_t n)
{
	lsi_buf_reset(&z->name);
	lsi_buf_append(&z->name, name, n);
	m->name = lsi_buf_str(&z->name);
	m->name_len = z->name.len;
	m->type = n && name[n - 1] == '/' ? LSI_M_DIR : LSI_M_FILE;
}

/* ---- a detached entry: one member's bytes decoded on another thread ---- */

static void detached_close(struct lsi_bstream *bs)
{
	struct zip *z = ((struct zdata *)bs)->z;

	release_member(z);
	lsi_free(z);
}

static const struct lsi_bstream_ops detached_ops = { data_read, detached_close };

/*
 * The member of a zip read from memory, over a copy of its compressed
 * bytes: the same reading code as inside the zip, so the same bytes and
 * the same damage, whichever thread reads it.
 */
static struct lsi_bstream *zip_packed_open(const uint8_t *raw, size_t len, const void *recipe,
					   const struct lsi_guard *guard)
{
	struct zip *z = lsi_malloc(offsetof(struct zip, hbuf));
	struct zrecipe r;
	struct lsi_member m;

	if (!z)
		return NULL;
	memset(z, 0, offsetof(struct zip, out));
	memcpy(&r, recipe, sizeof(r));
	z->lim.guard = guard;
	z->cur.flags = r.flags;
	z->cur.method = r.method;
	z->cur.want_crc = r.want_crc;
	z->cur.csize = r.csize;
	z->cur.usize = r.usize;
	z->cur.sizes_known = true;
	z->slice.base.ops = &slice_ops;
	z->slice.z = z;
	z->data.base.ops = &detached_ops;
	z->data.z = z;
	memset(&m, 0, sizeof(m));
	start_member(z, &m);
	z->slice.p = raw;
	z->slice.left = len;
	return &z->data.base;
}

/*
 * A comment of @n bytes at @p as a stored member named @name (appended to
 * the current name when @suffix): what a person typed into the zip is
 * scanned like any member. @p stays valid until the next member.
 */
static enum lsi_rd comment_member(struct zip *z, struct lsi_member *m, const uint8_t *p, size_t n,
				  const char *name, bool suffix)
{
	struct zcur *c = &z->cur;

	if (!suffix)
		lsi_buf_reset(&z->name);
	if (!lsi_buf_puts(&z->name, name))
		return LSI_RD_NOMEM;
	m->name = lsi_buf_str(&z->name);
	m->name_len = z->name.len;
	m->type = LSI_M_FILE;
	c->method = 0;
	c->sizes_known = true;
	c->csize = c->usize = n;
	c->want_crc = (uint32_t)crc32_z(0, p, n);
	start_member(z, m);
	z->slice.p = p;
	z->slice.left = n;
	return LSI_RD_OK;
}

static void skip_current(struct zip *z);
static enum lsi_rd next_local(struct zip *z, struct lsi_member *m, char *msg);

static int by_start(const void *a, const void *b)
{
	const struct zrange *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* The bytes each listed entry spans (local header to the end of its data). */
static bool build_ranges(struct zip *z)
{
	const uint8_t *zp = z->mem.data, *p = z->cd_begin;
	size_t len = z->mem.len;

	if (!(z->ranges = lsi_calloc(z->cd_count + 1, sizeof(*z->ranges))))
		return false;
	for (uint64_t i = 0; i < z->cd_count && p + 46 <= z->cd_end; i++) {
		uint64_t us = le32(p + 24), cs = le32(p + 20), lho = le32(p + 42), data;
		bool z64 = false;

		zip64_extra(p + 46 + le16(p + 28), le16(p + 30), false, &us, &cs, &lho, &z64);
		lho += z->bias;
		if (local_at(zp, len, lho)) {
			data = lho + 30 + le16(zp + lho + 26) + le16(zp + lho + 28);
			/* A data descriptor after the data: up to 24 bytes. */
			z->ranges[z->nranges].start = lho;
			z->ranges[z->nranges++].end = data + cs + ((le16(p + 8) & FLAG_DD) ? 24 : 0);
		}
		p += 46 + le16(p + 28) + le16(p + 30) + le16(p + 32);
	}
	qsort(z->ranges, z->nranges, sizeof(*z->ranges), by_start);
	return true;
}

/* The end of a listed entry's bytes that hold @off, or 0. */
static uint64_t listed_end(const struct zip *z, uint64_t off)
{
	size_t lo = 0, hi = z->nranges;
	uint64_t end = 0;

	while (lo < hi) { /* the last range starting at or before off */
		size_t mid = lo + (hi - lo) / 2;

		if (z->ranges[mid].start <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Ranges may overlap (entries sharing bytes): any before may cover. */
	for (size_t i = lo; i-- > 0 && !end;)
		if (z->ranges[i].end > off)
			end = z->ranges[i].end;
	return end;
}

/* The next local header outside every listed entry, before the central directory. */
static bool find_hidden(struct zip *z, uint64_t *at)
{
	const uint8_t *zp = z->mem.data;
	uint64_t stop = (uint64_t)(z->cd_begin - zp), pos;

	if (!z->ranges && !build_ranges(z))
		return false;
	pos = z->hidden_pos > z->bias ? z->hidden_pos : z->bias;
	while (pos + 30 <= stop) {
		const uint8_t *q = memmem(zp + pos, (size_t)(stop - pos), "PK\x03\x04", 4);
		uint64_t off, end;

		if (!q)
			break;
		off = (uint64_t)(q - zp);
		if ((end = listed_end(z, off)) > off) {
			pos = end;
			continue;
		}
		if (off + 30 <= stop && le16(zp + off + 26) > 0 &&
		    off + 30 + le16(zp + off + 26) + le16(zp + off + 28) <= stop) {
			*at = off;
			return true;
		}
		pos = off + 1;
	}
	return false;
}

/* Reads the hidden entry at z->hidden_at by its local header. */
static enum lsi_rd open_hidden(struct zip *z, struct lsi_member *m, char *msg)
{
	const uint8_t *zp = z->mem.data;

	z->rs = lsi_bstream_mem(zp + z->hidden_at,
				(size_t)(z->cd_begin - zp) - (size_t)z->hidden_at, MEM_BLOCK);
	if (!z->rs) {
		z->hidden_done = true;
		return LSI_RD_NOMEM;
	}
	lsi_reader_init(&z->rd, z->rs);
	z->streaming = z->hidden = true;
	z->resync = z->have_sig = z->ended = false;
	return next_local(z, m, msg);
}

/* After a hidden entry: back to the central directory's end. */
static void close_hidden(struct zip *z)
{
	uint64_t used;

	skip_current(z);
	used = z->rd.consumed;
	release_member(z);
	lsi_bstream_close(z->rs);
	z->rs = NULL;
	z->streaming = z->hidden = false;
	z->ended = false;
	z->hidden_pos = z->hidden_at + (used > 4 ? used : 4);
}

static enum lsi_rd next_central(struct zip *z, struct lsi_member *m, char *msg)
{
	const uint8_t *zp = z->mem.data, *p = z->cd;
	size_t zlen = z->mem.len;
	uint16_t nlen, xlen, clen;
	uint64_t usize, csize, off, data;
	bool z64 = false;
	struct zcur *c = &z->cur;

	if (z->entry_comment_len) {
		size_t n = z->entry_comment_len;

		z->entry_comment_len = 0;
		return comment_member(z, m, z->entry_comment, n, " (comment)", true);
	}
	if (z->members >= z->cd_count || p >= z->cd_end) {
		size_t n = z->zip_comment_len;

		if (z->hidden_pending) {
			z->hidden_pending = false;
			return open_hidden(z, m, msg);
		}
		if (!z->hidden_done && z->members <= z->cd_count && find_hidden(z, &z->hidden_at)) {
			z->hidden_pending = true;
			snprintf(msg, LSI_MSG_LEN, "zip entry at offset %" PRIu64 " is not in the central "
				 "directory (an extractor going by local headers writes it): read by "
				 "its local header", z->hidden_at);
			return LSI_RD_DAMAGED;
		}
		z->hidden_done = true;
		z->zip_comment_len = 0;
		return n ? comment_member(z, m, z->zip_comment, n, "(zip comment)", false)
			 : LSI_RD_EOF;
	}
	if (limit_members(z, msg) != LSI_RD_OK)
		return LSI_RD_LIMIT;
	/* Signature and bounds were checked by load_cd(). */
	nlen = le16(p + 28);
	xlen = le16(p + 30);
	clen = le16(p + 32);
	z->cd = p + 46 + nlen + xlen + clen;
	z->entry_comment = p + 46 + nlen + xlen;
	z->entry_comment_len = clen;
	c->flags = le16(p + 8);
	c->method = le16(p + 10);
	c->want_crc = le32(p + 16);
	csize = le32(p + 20);
	usize = le32(p + 24);
	off = le32(p + 42);
	zip64_extra(p + 46 + nlen, xlen, false, &usize, &csize, &off, &z64);
	c->csize = csize;
	c->usize = usize;
	c->sizes_known = true;
	set_name(z, m, p + 46, nlen);
	if (m->type == LSI_M_DIR)
		return LSI_RD_OK;
	start_member(z, m);
	if (c->state != ZM_READING)
		return LSI_RD_OK;
	/* The local header says where the data starts. */
	off += z->bias;
	if (off > zlen || zlen - off < 30 || le32(zp + off) != SIG_LOCAL) {
		member_fail(z, LSI_RD_DAMAGED, "zip local header of this entry is missing (offset %" PRIu64
			    ")", off);
		return LSI_RD_OK;
	}
	data = off + 30 + le16(zp + off + 26) + le16(zp + off + 28);
	if (data > zlen || zlen - data < csize) {
		member_fail(z, LSI_RD_DAMAGED, "zip entry data out of bounds (%" PRIu64 " bytes at %"
			    PRIu64 ")", csize, data);
		return LSI_RD_OK;
	}
	z->slice.p = zp + data;
	z->slice.left = csize;
	if (usize) {
		struct zrecipe r = { c->flags, c->method, c->want_crc, csize, usize };

		z->packed.raw = z->slice.p;
		z->packed.len = (size_t)csize;
		z->packed.open = zip_packed_open;
		memcpy(z->packed.recipe, &r, sizeof(r));
		m->packed = &z->packed;
	}
	return LSI_RD_OK;
}

/*
 * Searches for the next header signature we know. On success the reader
 * stands right after it and pending_sig holds it; false at the end.
 */
static bool resync(struct zip *z)
{
	uint32_t w = 0;

	for (;;) {
		const uint8_t *p;
		size_t n;

		if (lsi_reader_next(&z->rd, READ_CHUNK, &p, &n) != LSI_RD_OK)
			return false;
		for (size_t i = 0; i < n; i++) {
			w = (w >> 8) | (uint32_t)p[i] << 24;
			if (w == SIG_LOCAL || w == SIG_CENTRAL || w == SIG_EOCD) {
				reader_unread(&z->rd, n - i - 1);
				z->pending_sig = w;
				z->have_sig = true;
				return true;
			}
		}
	}
}

/*
 * Streaming: gets the reader past the current member, whatever state the
 * pipeline left it in. Where the end cannot be found (damage inside a
 * member of unknown length) it asks for a resync instead.
 */
static void skip_current(struct zip *z)
{
	struct zcur *c = &z->cur;

	if (c->state == ZM_NONE || z->ended)
		return;
	if (c->dd_inflate && !c->inflate_end) {
		/* Nobody read it to the end, or it failed: inflate on, output
		 * unused, within the ratio limit; else search for the next entry. */
		uint64_t floor = z->lim.guard ? z->lim.guard->ratio_floor : 0;
		uint64_t ratio = z->lim.guard ? z->lim.guard->max_ratio : 0;

		while (c->state == ZM_READING && z->inf) {
			size_t n = 0;

			if (inflate_some(z, &n) != LSI_RD_OK)
				break;
			c->out_total += n;
			if (ratio && c->out_total > floor &&
			    c->out_total / (lsi_rawinf_total_in(z->inf) ? lsi_rawinf_total_in(z->inf) : 1) >
				    ratio)
				break;
		}
		if (!c->inflate_end) {
			z->resync = !z->ended;
			return;
		}
	}
	if (finish_position(z) != LSI_RD_OK)
		z->ended = true;
}

/* Reads the next local header into @m. */
/*
 * Reading front to back, past the last entry: the central directory and
 * its end record, read for their comments (the entries themselves were
 * read by their local headers). OK with @m set for a comment, OK with @m
 * unset to go on, EOF at the end record or where the bytes stop making
 * sense (what follows is no member).
 */
static enum lsi_rd central_comment(struct zip *z, struct lsi_member *m, uint32_t sig)
{
	uint8_t h[56];
	uint16_t nlen, xlen, clen;

	switch (sig) {
	case SIG_CENTRAL:
		if (lsi_reader_read(&z->rd, h + 4, 42) != LSI_RD_OK)
			return LSI_RD_EOF;
		nlen = le16(h + 28);
		xlen = le16(h + 30);
		clen = le16(h + 32);
		lsi_buf_reset(&z->name);
		if (lsi_reader_read(&z->rd, z->hbuf, nlen) != LSI_RD_OK ||
		    !lsi_buf_append(&z->name, z->hbuf, nlen) ||
		    lsi_reader_skip(&z->rd, xlen) != LSI_RD_OK ||
		    lsi_reader_read(&z->rd, z->hbuf, clen) != LSI_RD_OK)
			return LSI_RD_EOF;
		return clen ? comment_member(z, m, z->hbuf, clen, " (comment)", true) : LSI_RD_OK;
	case SIG_EOCD64:
		/* Its size (of what follows the size field) says what to skip. */
		if (lsi_reader_read(&z->rd, h + 4, 8) != LSI_RD_OK ||
		    lsi_reader_skip(&z->rd, le64(h + 4)) != LSI_RD_OK)
			return LSI_RD_EOF;
		return LSI_RD_OK;
	case SIG_LOC64:
		return lsi_reader_skip(&z->rd, 16) == LSI_RD_OK ? LSI_RD_OK : LSI_RD_EOF;
	default: /* SIG_EOCD */
		if (lsi_reader_read(&z->rd, h + 4, 18) != LSI_RD_OK)
			return LSI_RD_EOF;
		clen = le16(h + 20);
		if (!clen || lsi_reader_read(&z->rd, z->hbuf, clen) != LSI_RD_OK)
			return LSI_RD_EOF;
		z->ended = true; /* nothing after the comment is read */
		return comment_member(z, m, z->hbuf, clen, "(zip comment)", false);
	}
}

static enum lsi_rd next_local(struct zip *z, struct lsi_member *m, char *msg)
{
	uint8_t h[30];
	struct zcur *c = &z->cur;
	uint64_t usize, csize;
	uint16_t nlen, xlen;
	bool z64 = false;
	enum lsi_rd st;

	for (;;) {
		uint32_t sig;

		if (z->resync && !z->have_sig && !resync(z)) {
			z->ended = true;
			return LSI_RD_EOF;
		}
		if (z->have_sig) {
			sig = z->pending_sig;
			z->have_sig = false;
		} else {
			st = lsi_reader_read(&z->rd, h, 4);
			if (st == LSI_RD_EOF || (st == LSI_RD_DAMAGED && z->rd.eof)) {
				z->ended = true;
				if (z->saw_cd || z->cd_reported)
					return LSI_RD_EOF;
				snprintf(msg, LSI_MSG_LEN, "zip ends without a central directory "
					 "(truncated?) at offset %" PRIu64, z->rd.consumed);
				return LSI_RD_DAMAGED;
			}
			if (st != LSI_RD_OK) {
				z->ended = true;
				memcpy(msg, z->rs->msg, LSI_MSG_LEN);
				return st;
			}
			sig = le32(h);
		}
		if (sig == SIG_LOCAL)
			break;
		if (sig == SIG_CENTRAL || sig == SIG_EOCD || sig == SIG_EOCD64 || sig == SIG_LOC64) {
			z->saw_cd = true;
			z->resync = false; /* found our place again */
			st = central_comment(z, m, sig);
			if (st == LSI_RD_EOF)
				z->ended = true;
			if (st == LSI_RD_OK && !m->name)
				continue; /* an entry without a comment */
			return st;
		}
		if ((sig == SIG_DD || sig == SIG_SPAN1) && z->rd.consumed == z->base + 4)
			continue; /* split-archive marker before the first entry */
		if (!z->resync) {
			z->resync = true;
			snprintf(msg, LSI_MSG_LEN, "bad zip header signature at offset %" PRIu64
				 "; looking for the next entry", z->rd.consumed - 4);
			return LSI_RD_DAMAGED;
		}
	}
	st = lsi_reader_read(&z->rd, h + 4, 26);
	nlen = le16(h + 26);
	xlen = le16(h + 28);
	if (st == LSI_RD_OK)
		st = lsi_reader_read(&z->rd, z->hbuf, nlen);
	if (st == LSI_RD_OK) {
		lsi_buf_reset(&z->name);
		if (!lsi_buf_append(&z->name, z->hbuf, nlen))
			st = LSI_RD_NOMEM;
	}
	if (st == LSI_RD_OK)
		st = lsi_reader_read(&z->rd, z->hbuf, xlen);
	if (st != LSI_RD_OK) {
		z->ended = true;
		if (st == LSI_RD_NOMEM)
			return st;
		snprintf(msg, LSI_MSG_LEN, "zip truncated inside a local header at offset %" PRIu64,
			 z->rd.consumed);
		return LSI_RD_DAMAGED;
	}
	z->resync = false;
	if (limit_members(z, msg) != LSI_RD_OK)
		return LSI_RD_LIMIT;
	c->flags = le16(h + 6);
	c->method = le16(h + 8);
	c->want_crc = le32(h + 14);
	csize = le32(h + 18);
	usize = le32(h + 22);
	zip64_extra(z->hbuf, xlen, true, &usize, &csize, NULL, &z64);
	c->zip64 = z64;
	c->csize = csize;
	c->usize = usize;
	/* With a data descriptor the header's sizes may be zeros: a deflate
	 * stream then finds its own end, other methods cannot. */
	c->sizes_known = !(c->flags & FLAG_DD);
	c->dd_inflate = (c->flags & FLAG_DD) && (c->method == 8 || csize == 0);
	m->name = lsi_buf_str(&z->name);
	m->name_len = z->name.len;
	m->type = nlen && z->name.data[nlen - 1] == '/' ? LSI_M_DIR : LSI_M_FILE;
	z->slice.p = NULL;
	z->slice.left = c->dd_inflate ? 0 : csize;
	if (m->type == LSI_M_DIR && !c->dd_inflate) {
		c->state = ZM_DONE;
		return LSI_RD_OK;
	}
	start_member(z, m);
	if (m->type == LSI_M_DIR)
		m->data = NULL;
	return LSI_RD_OK;
}

/*
 * The pipeline stops reading a member at its declared size, so the end of
 * its data (overrun, CRC) is checked here before moving on. DAMAGED with
 * @msg when the member was not what its header claimed.
 */
static enum lsi_rd verify_rest(struct zip *z, char *msg)
{
	struct zcur *c = &z->cur;
	const uint8_t *b;
	size_t n;
	enum lsi_rd st;

	if (c->state != ZM_READING || !c->sizes_known || c->out_total != c->usize)
		return LSI_RD_OK; /* not read to its declared end: nothing to say */
	st = data_read(&z->data.base, &b, &n);
	if (st == LSI_RD_EOF)
		return LSI_RD_OK;
	if (st == LSI_RD_OK) {
		member_fail(z, LSI_RD_DAMAGED, NULL);
		snprintf(msg, LSI_MSG_LEN, "zip member '%.*s' holds more than its declared %" PRIu64
			 " bytes; the rest was not scanned", (int)(z->name.len < 100 ? z->name.len : 100),
			 lsi_buf_str(&z->name), c->usize);
		return LSI_RD_DAMAGED;
	}
	snprintf(msg, LSI_MSG_LEN, "zip member '%.*s': %.150s",
		 (int)(z->name.len < 80 ? z->name.len : 80), lsi_buf_str(&z->name), z->data.base.msg);
	return st == LSI_RD_NOMEM ? st : LSI_RD_DAMAGED;
}

static enum lsi_rd zip_next(void *cv, struct lsi_member *m, char msg[LSI_MSG_LEN])
{
	struct zip *z = cv;
	enum lsi_rd st;

	memset(m, 0, sizeof(*m));
	if (z->note_st != LSI_RD_OK) {
		/* A note from open(); the members follow. */
		st = z->note_st;

		memcpy(msg, z->note, LSI_MSG_LEN);
		z->note_st = LSI_RD_OK;
		if (st == LSI_RD_NOMEM)
			z->ended = true;
		return st;
	}
	if ((st = verify_rest(z, msg)) != LSI_RD_OK)
		return st;
	if (z->hidden)
		close_hidden(z);
	if (!z->streaming) {
		release_member(z);
		return next_central(z, m, msg);
	}
	skip_current(z);
	release_member(z);
	st = z->ended ? LSI_RD_EOF : next_local(z, m, msg);
	if (st == LSI_RD_EOF && z->end_note[0]) {
		memcpy(msg, z->end_note, LSI_MSG_LEN);
		z->end_note[0] = '\0';
		return LSI_RD_LIMIT;
	}
	return st;
}

const struct lsi_container_ops lsi_container_zip = {
	"zip", 4, zip_probe, zip_open, zip_next, zip_close, false,
};
