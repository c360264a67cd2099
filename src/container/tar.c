/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tar reader: v7, ustar, pax extended headers (path, linkpath, size,
 * GNU sparse names and maps), GNU long names and GNU sparse files. Streams member data zero-copy from the underlying
 * stream. A header with a bad checksum is reported once, then the reader
 * resynchronises on the next valid header.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "container.h"
#include "util/alloc.h"
#include "util/buf.h"

#define BLOCK 512
#define MAX_META (1u << 20) /* pax / GNU long-name records held in memory */

struct tar;

struct tar_data {
	struct lsi_bstream base;
	struct tar *t;
};

struct tar {
	struct lsi_bstream *in;
	struct lsi_reader rd;
	struct lsi_climits lim;
	struct tar_data data;
	uint64_t remaining;      /* unread bytes of the current member */
	uint64_t padding;        /* bytes after it up to the block boundary */
	uint64_t members;
	bool resync;             /* skipping blocks after a bad header */
	bool ended;
	struct lsi_buf name, link, long_name, long_link, pax_path, pax_link;
	struct lsi_buf sparse_name; /* pax GNU.sparse.name: a sparse file's real name */
	bool sparse_map;            /* pax GNU.sparse.major=1: a map leads the data */
	bool have_pax_size;
	uint64_t pax_size;
	struct lsi_buf global_path; /* unused by us, but parsed for bounds */
};

static uint64_t octal(const uint8_t *p, size_t n, bool *ok)
{
	uint64_t v = 0;
	size_t i = 0;

	*ok = true;
	if (n && (p[0] & 0x80)) {
		/* GNU base-256 for sizes past 8 GiB. */
		if (p[0] != 0x80) {
			*ok = false;
			return 0;
		}
		for (i = 1; i < n; i++) {
			if (v >> 56) {
				*ok = false;
				return 0;
			}
			v = (v << 8) | p[i];
		}
		return v;
	}
	while (i < n && (p[i] == ' ' || p[i] == '\0'))
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
		if (v >> 60) {
			*ok = false;
			return 0;
		}
		v = v * 8 + (uint64_t)(p[i] - '0');
	}
	for (; i < n; i++)
		if (p[i] != ' ' && p[i] != '\0')
			*ok = false;
	return v;
}

static bool checksum_ok(const uint8_t *h)
{
	uint64_t want, us;
	int64_t ss;
	bool ok;

	want = octal(h + 148, 8, &ok);
	if (!ok)
		return false;
	us = lsi_tar_sum(h, &ss);
	/* Some old writers summed signed chars. */
	return want == us || (int64_t)want == ss;
}

uint64_t lsi_tar_sum(const uint8_t *h, int64_t *sgn)
{
	/* Plain sums the compiler vectorises; every member's first block is
	 * probed with this, so a per-byte branch showed in profiles. */
	uint32_t u = 0;
	int32_t sg = 0;

	for (int i = 0; i < BLOCK; i++) {
		u += h[i];
		sg += (int8_t)h[i];
	}
	for (int i = 148; i < 156; i++) {
		u -= h[i];
		sg -= (int8_t)h[i];
	}
	*sgn = (int64_t)sg + 8 * ' ';
	return (uint64_t)u + 8 * ' ';
}

static bool all_zero(const uint8_t *h)
{
	for (int i = 0; i < BLOCK; i++)
		if (h[i])
			return false;
	return true;
}

static int tar_probe(const uint8_t *h, size_t n)
{
	if (n < BLOCK)
		return 0;
	if (memcmp(h + 257, "ustar", 5) == 0 && checksum_ok(h))
		return 100;
	/* v7 tar: no magic; a valid checksum and a name are the evidence. */
	if (h[0] && checksum_ok(h) && !all_zero(h + 148 - 8))
		return 50;
	return 0;
}

static enum lsi_rd data_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct tar *t = ((struct tar_data *)bs)->t;
	enum lsi_rd st;

	if (t->remaining == 0)
		return LSI_RD_EOF;
	st = lsi_reader_next(&t->rd, t->remaining > SIZE_MAX ? SIZE_MAX : (size_t)t->remaining,
			     buf, len);
	if (st == LSI_RD_EOF) {
		lsi_bstream_fail(bs, "tar member truncated: %" PRIu64 " bytes missing",
				 t->remaining);
		t->remaining = 0;
		t->ended = true;
		return LSI_RD_DAMAGED;
	}
	if (st != LSI_RD_OK) {
		memcpy(bs->msg, t->in->msg, sizeof(bs->msg));
		t->ended = true;
		return st;
	}
	t->remaining -= *len;
	return LSI_RD_OK;
}

static void data_close(struct lsi_bstream *bs)
{
	(void)bs; /* owned by the tar */
}

static const struct lsi_bstream_ops data_ops = { data_read, data_close };

static void *tar_open(struct lsi_bstream *in, const struct lsi_climits *lim)
{
	struct tar *t = lsi_calloc(1, sizeof(*t));

	if (!t) {
		lsi_bstream_close(in);
		return NULL;
	}
	t->in = in;
	t->lim = *lim;
	lsi_reader_init(&t->rd, in);
	t->data.base.ops = &data_ops;
	t->data.t = t;
	lsi_buf_init(&t->name, MAX_META);
	lsi_buf_init(&t->link, MAX_META);
	lsi_buf_init(&t->long_name, MAX_META);
	lsi_buf_init(&t->long_link, MAX_META);
	lsi_buf_init(&t->pax_path, MAX_META);
	lsi_buf_init(&t->pax_link, MAX_META);
	lsi_buf_init(&t->sparse_name, MAX_META);
	lsi_buf_init(&t->global_path, MAX_META);
	return t;
}

static void tar_close(void *c)
{
	struct tar *t = c;

	if (!t)
		return;
	lsi_buf_fini(&t->name);
	lsi_buf_fini(&t->link);
	lsi_buf_fini(&t->long_name);
	lsi_buf_fini(&t->long_link);
	lsi_buf_fini(&t->pax_path);
	lsi_buf_fini(&t->pax_link);
	lsi_buf_fini(&t->sparse_name);
	lsi_buf_fini(&t->global_path);
	lsi_bstream_close(t->in);
	lsi_free(t);
}

/* Reads a metadata member's body (pax, GNU long name) into @b. */
static enum lsi_rd read_meta(struct tar *t, uint64_t size, struct lsi_buf *b, char *msg)
{
	enum lsi_rd st;
	uint64_t pad = (BLOCK - size % BLOCK) % BLOCK;

	lsi_buf_reset(b);
	if (size > MAX_META) {
		snprintf(msg, LSI_MSG_LEN, "tar metadata record of %" PRIu64 " bytes is too large",
			 size);
		st = lsi_reader_skip(&t->rd, size + pad);
		return st == LSI_RD_OK ? LSI_RD_DAMAGED : st;
	}
	while (size) {
		const uint8_t *p;
		size_t n;

		st = lsi_reader_next(&t->rd, (size_t)size, &p, &n);
		if (st != LSI_RD_OK)
			return st == LSI_RD_EOF ? LSI_RD_DAMAGED : st;
		if (!lsi_buf_append(b, p, n))
			return LSI_RD_NOMEM;
		size -= n;
	}
	st = lsi_reader_skip(&t->rd, pad);
	return st;
}

/* Parses pax records "LEN key=value\n" for the keys we use; false when
 * a size is given that is no number (the member's end is then unknown). */
static bool parse_pax(struct tar *t, const struct lsi_buf *b, bool global)
{
	bool sized = true;

	const char *p = (const char *)b->data, *end = p + b->len;

	while (p && p < end) {
		uint64_t len = 0;
		const char *q = p, *kv, *eq, *rec_end;

		while (q < end && *q >= '0' && *q <= '9' && len < MAX_META)
			len = len * 10 + (uint64_t)(*q++ - '0');
		if (q >= end || *q != ' ' || len == 0 || len > (uint64_t)(end - p))
			return sized;
		kv = q + 1;
		rec_end = p + len - 1; /* the '\n' */
		if (rec_end < kv || *rec_end != '\n')
			return sized;
		eq = memchr(kv, '=', (size_t)(rec_end - kv));
		if (eq && !global) {
			size_t klen = (size_t)(eq - kv), vlen = (size_t)(rec_end - eq - 1);

			if (klen == 4 && memcmp(kv, "path", 4) == 0) {
				lsi_buf_reset(&t->pax_path);
				lsi_buf_append(&t->pax_path, eq + 1, vlen);
			} else if (klen == 15 && memcmp(kv, "GNU.sparse.name", 15) == 0) {
				lsi_buf_reset(&t->sparse_name);
				lsi_buf_append(&t->sparse_name, eq + 1, vlen);
			} else if (klen == 16 && memcmp(kv, "GNU.sparse.major", 16) == 0) {
				t->sparse_map = vlen == 1 && eq[1] == '1';
			} else if (klen == 8 && memcmp(kv, "linkpath", 8) == 0) {
				lsi_buf_reset(&t->pax_link);
				lsi_buf_append(&t->pax_link, eq + 1, vlen);
			} else if (klen == 4 && memcmp(kv, "size", 4) == 0) {
				uint64_t v = 0;
				bool ok = vlen > 0 && vlen < 20;

				for (size_t i = 0; ok && i < vlen; i++) {
					char c = eq[1 + i];

					if (c < '0' || c > '9')
						ok = false;
					else
						v = v * 10 + (uint64_t)(c - '0');
				}
				if (ok) {
					t->have_pax_size = true;
					t->pax_size = v;
				} else {
					sized = false;
				}
			}
		}
		p += len;
	}
	return sized;
}

static size_t field_len(const uint8_t *p, size_t max)
{
	const uint8_t *z = memchr(p, 0, max);

	return z ? (size_t)(z - p) : max;
}

static void clear_pending(struct tar *t)
{
	lsi_buf_reset(&t->long_name);
	lsi_buf_reset(&t->long_link);
	lsi_buf_reset(&t->pax_path);
	lsi_buf_reset(&t->pax_link);
	lsi_buf_reset(&t->sparse_name);
	t->sparse_map = false;
	t->have_pax_size = false;
}

/* A header we cannot go on from: said once, then the next valid header is
 * searched for block by block. */
static enum lsi_rd lose_place(struct tar *t, char *msg, const char *what, uint64_t off)
{
	t->resync = true;
	clear_pending(t);
	snprintf(msg, LSI_MSG_LEN, "%s at offset %" PRIu64 "; skipping to the next valid header",
		 what, off);
	return LSI_RD_DAMAGED;
}

/*
 * Sparse files are stored as their data extents, holes left out; they
 * are scanned as those extents back to back (offsets count stored
 * bytes). Old GNU ('S'): more extent tables may follow the header, one
 * block each while the "extended" flag is set.
 */
static enum lsi_rd skip_gnu_sparse_tables(struct tar *t, const uint8_t *h)
{
	uint8_t b[BLOCK];
	bool more = h[482] != 0;

	for (unsigned n = 0; more; n++) {
		enum lsi_rd st;

		if (n > 1u << 16)
			return LSI_RD_DAMAGED;
		if ((st = lsi_reader_read(&t->rd, b, BLOCK)) != LSI_RD_OK)
			return st == LSI_RD_EOF ? LSI_RD_DAMAGED : st;
		more = b[504] != 0;
	}
	return LSI_RD_OK;
}

/*
 * pax sparse 1.0: the data opens with the extent map, decimal numbers a
 * line each (a count, then offset and size pairs), padded to a block.
 * Reads it; returns its length through @used.
 */
static enum lsi_rd skip_pax_sparse_map(struct tar *t, uint64_t size, uint64_t *used)
{
	uint8_t b[BLOCK];
	uint64_t lines = 0, want = 1, count = 0;
	bool first = true;

	*used = 0;
	while (lines < want) {
		enum lsi_rd st;

		if (*used + BLOCK > size)
			return LSI_RD_DAMAGED;
		if ((st = lsi_reader_read(&t->rd, b, BLOCK)) != LSI_RD_OK)
			return st == LSI_RD_EOF ? LSI_RD_DAMAGED : st;
		*used += BLOCK;
		for (size_t i = 0; i < BLOCK && lines < want; i++) {
			if (b[i] == '\n') {
				lines++;
				if (first) {
					first = false;
					if (count > (1u << 20))
						return LSI_RD_DAMAGED;
					want = 1 + 2 * count;
				}
			} else if (b[i] >= '0' && b[i] <= '9') {
				if (first)
					count = count * 10 + (uint64_t)(b[i] - '0');
			} else {
				return LSI_RD_DAMAGED;
			}
		}
	}
	return LSI_RD_OK;
}

static enum lsi_rd tar_next(void *c, struct lsi_member *m, char msg[LSI_MSG_LEN])
{
	struct tar *t = c;
	uint8_t h[BLOCK];
	enum lsi_rd st;

	memset(m, 0, sizeof(*m));
	if (t->ended)
		return LSI_RD_EOF;
	/* Skip what the caller did not read of the previous member. */
	st = lsi_reader_skip(&t->rd, t->remaining + t->padding);
	t->remaining = t->padding = 0;
	if (st != LSI_RD_OK) {
		t->ended = true;
		/* Damage underneath (a gzip checksum after the last member's
		 * data) says more than the end of the bytes does. */
		if (st == LSI_RD_DAMAGED && !(t->rd.err && t->in->msg[0]))
			snprintf(msg, LSI_MSG_LEN, "tar archive truncated inside a member");
		else if (st != LSI_RD_EOF)
			memcpy(msg, t->in->msg, LSI_MSG_LEN);
		return st;
	}
	for (;;) {
		uint64_t size;
		bool ok;
		char type;

		st = lsi_reader_read(&t->rd, h, BLOCK);
		if (st == LSI_RD_EOF) {
			t->ended = true;
			return LSI_RD_EOF;
		}
		if (st != LSI_RD_OK) {
			t->ended = true;
			if (st == LSI_RD_DAMAGED)
				snprintf(msg, LSI_MSG_LEN,
					 "tar archive truncated inside a header at offset %" PRIu64,
					 t->rd.consumed);
			else
				memcpy(msg, t->in->msg, LSI_MSG_LEN);
			return st;
		}
		if (all_zero(h)) {
			/* End-of-archive marker; anything after it is padding. */
			t->ended = true;
			return LSI_RD_EOF;
		}
		if (!checksum_ok(h)) {
			if (t->resync)
				continue;
			return lose_place(t, msg, "bad tar header checksum", t->rd.consumed - BLOCK);
		}
		size = octal(h + 124, 12, &ok);
		if (!ok) {
			/* Its data cannot be stepped over: as GNU tar does, look
			 * for the next header block by block. */
			if (t->resync)
				continue;
			return lose_place(t, msg, "bad size field in tar header", t->rd.consumed - BLOCK);
		}
		t->resync = false;
		type = (char)h[156];
		if (type == 'x' || type == 'g') {
			st = read_meta(t, size, type == 'x' ? &t->name : &t->global_path, msg);
			if (st != LSI_RD_OK) {
				t->ended = st != LSI_RD_DAMAGED || !msg[0];
				if (!msg[0])
					snprintf(msg, LSI_MSG_LEN, "tar archive truncated in a pax header");
				return st == LSI_RD_NOMEM ? st : LSI_RD_DAMAGED;
			}
			/* As a bad size field: the next header is searched for. */
			if (!parse_pax(t, type == 'x' ? &t->name : &t->global_path, type == 'g'))
				return lose_place(t, msg, "bad size in a tar pax header ending",
						  t->rd.consumed);
			continue;
		}
		if (type == 'L' || type == 'K') {
			struct lsi_buf *b = type == 'L' ? &t->long_name : &t->long_link;

			st = read_meta(t, size, b, msg);
			if (st != LSI_RD_OK) {
				t->ended = st != LSI_RD_DAMAGED || !msg[0];
				if (!msg[0])
					snprintf(msg, LSI_MSG_LEN, "tar archive truncated in a long name");
				return st == LSI_RD_NOMEM ? st : LSI_RD_DAMAGED;
			}
			/* The stored name includes its terminating NUL. */
			b->len = field_len(b->data ? b->data : (const uint8_t *)"", b->len);
			continue;
		}
		if (t->have_pax_size)
			size = t->pax_size;
		if (++t->members > t->lim.max_members && t->lim.max_members) {
			snprintf(msg, LSI_MSG_LEN, "max-members: more than %" PRIu64 " members",
				 t->lim.max_members);
			t->ended = true;
			return LSI_RD_LIMIT;
		}
		/* Name: a sparse file's real name > pax path > GNU long name >
		 * ustar prefix/name. */
		lsi_buf_reset(&t->name);
		if (t->sparse_name.len) {
			lsi_buf_append(&t->name, t->sparse_name.data, t->sparse_name.len);
		} else if (t->pax_path.len) {
			lsi_buf_append(&t->name, t->pax_path.data, t->pax_path.len);
		} else if (t->long_name.len) {
			lsi_buf_append(&t->name, t->long_name.data, t->long_name.len);
		} else {
			size_t pl = memcmp(h + 257, "ustar\0", 6) == 0 ? field_len(h + 345, 155) : 0;

			if (pl) {
				lsi_buf_append(&t->name, h + 345, pl);
				lsi_buf_putc(&t->name, '/');
			}
			lsi_buf_append(&t->name, h, field_len(h, 100));
		}
		lsi_buf_reset(&t->link);
		if (t->pax_link.len)
			lsi_buf_append(&t->link, t->pax_link.data, t->pax_link.len);
		else if (t->long_link.len)
			lsi_buf_append(&t->link, t->long_link.data, t->long_link.len);
		else
			lsi_buf_append(&t->link, h + 157, field_len(h + 157, 100));
		if (type == 'S' && (st = skip_gnu_sparse_tables(t, h)) != LSI_RD_OK) {
			t->ended = true;
			snprintf(msg, LSI_MSG_LEN, "bad GNU sparse header at offset %" PRIu64,
				 t->rd.consumed);
			return st == LSI_RD_NOMEM ? st : LSI_RD_DAMAGED;
		}
		if (t->sparse_map && (type == '0' || type == '\0')) {
			uint64_t used;

			if ((st = skip_pax_sparse_map(t, size, &used)) != LSI_RD_OK) {
				t->ended = true;
				snprintf(msg, LSI_MSG_LEN, "bad pax sparse map at offset %" PRIu64,
					 t->rd.consumed);
				return st == LSI_RD_NOMEM ? st : LSI_RD_DAMAGED;
			}
			size -= used; /* padding after the data is unchanged */
		}
		clear_pending(t);
		m->name = lsi_buf_str(&t->name);
		m->name_len = t->name.len;
		m->size = (int64_t)size;
		switch (type) {
		case '0': case '\0': case '7': case 'S':
			m->type = LSI_M_FILE;
			break;
		case '1':
			m->type = LSI_M_HARDLINK;
			break;
		case '2':
			m->type = LSI_M_SYMLINK;
			break;
		case '5':
			m->type = LSI_M_DIR;
			break;
		default:
			m->type = LSI_M_OTHER;
		}
		if (m->type == LSI_M_SYMLINK || m->type == LSI_M_HARDLINK) {
			m->link = lsi_buf_str(&t->link);
			size = 0; /* links carry no data, whatever the header says */
		}
		t->remaining = size;
		t->padding = (BLOCK - size % BLOCK) % BLOCK;
		if (m->type == LSI_M_FILE) {
			t->data.base.pos = 0;
			t->data.base.msg[0] = '\0';
			m->data = &t->data.base;
		}
		return LSI_RD_OK;
	}
}

const struct lsi_container_ops lsi_container_tar = {
	"tar", BLOCK, tar_probe, tar_open, tar_next, tar_close, true,
};
