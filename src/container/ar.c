/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ar reader: the common format of Debian packages (debian-binary,
 * control.tar.*, data.tar.*, each opened again by content), static
 * libraries and others. GNU long names ("//" table, "/N" references) and
 * BSD long names ("#1/N", name at the start of the data) are resolved;
 * symbol tables are skipped. Member data streams zero-copy.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "container.h"
#include "util/alloc.h"
#include "util/buf.h"

#define HDR 60
#define MAX_NAMES (1u << 20)   /* GNU long-name table held in memory */
#define MAX_BSD_NAME 4096      /* BSD names are read from the member data */

struct ar;

struct ar_data {
	struct lsi_bstream base;
	struct ar *a;
};

struct ar {
	struct lsi_bstream *in;
	struct lsi_reader rd;
	struct lsi_climits lim;
	struct ar_data data;
	uint64_t remaining;     /* unread bytes of the current member */
	uint64_t padding;       /* 0 or 1: members start on even offsets */
	uint64_t members;
	bool started, ended;
	bool resync;            /* after a bad header: search for the next one */
	struct lsi_buf names;   /* GNU "//" table */
	struct lsi_buf name;
};

static int ar_probe(const uint8_t *h, size_t n)
{
	return n >= 8 && memcmp(h, "!<arch>\n", 8) == 0;
}

static enum lsi_rd data_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct ar *a = ((struct ar_data *)bs)->a;
	enum lsi_rd st;

	if (a->remaining == 0)
		return LSI_RD_EOF;
	st = lsi_reader_next(&a->rd, a->remaining > SIZE_MAX ? SIZE_MAX : (size_t)a->remaining,
			     buf, len);
	if (st == LSI_RD_OK) {
		a->remaining -= *len;
		return st;
	}
	a->ended = true;
	if (st == LSI_RD_EOF) {
		lsi_bstream_fail(bs, "ar member truncated: %" PRIu64 " bytes missing", a->remaining);
		a->remaining = 0;
		return LSI_RD_DAMAGED;
	}
	memcpy(bs->msg, a->in->msg, sizeof(bs->msg));
	return st;
}

static void data_close(struct lsi_bstream *bs)
{
	(void)bs; /* owned by the archive */
}

static const struct lsi_bstream_ops data_ops = { data_read, data_close };

static void *ar_open(struct lsi_bstream *in, const struct lsi_climits *lim)
{
	struct ar *a = lsi_calloc(1, sizeof(*a));

	if (!a) {
		lsi_bstream_close(in);
		return NULL;
	}
	a->in = in;
	a->lim = *lim;
	lsi_reader_init(&a->rd, in);
	a->data.base.ops = &data_ops;
	a->data.a = a;
	lsi_buf_init(&a->names, MAX_NAMES);
	lsi_buf_init(&a->name, MAX_BSD_NAME + 1);
	return a;
}

static void ar_close(void *c)
{
	struct ar *a = c;

	if (!a)
		return;
	lsi_buf_fini(&a->names);
	lsi_buf_fini(&a->name);
	lsi_bstream_close(a->in);
	lsi_free(a);
}

/* A decimal field; false when it holds anything but digits and spaces. */
static bool decimal(const uint8_t *p, size_t n, uint64_t *v)
{
	size_t i = 0;
	bool any = false;

	*v = 0;
	while (i < n && p[i] == ' ')
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		if (*v > (UINT64_MAX - 9) / 10)
			return false;
		*v = *v * 10 + (uint64_t)(p[i] - '0');
		any = true;
	}
	for (; i < n; i++)
		if (p[i] != ' ')
			return false;
	return any;
}

/* Trailing spaces of a fixed-width field do not belong to the name. */
static size_t trim(const uint8_t *p, size_t n)
{
	while (n && p[n - 1] == ' ')
		n--;
	return n;
}

/* Whether the HDR bytes at @h look like an ar member header. */
static bool header_like(const uint8_t *h)
{
	uint64_t size;

	if (h[58] != '`' || h[59] != '\n' || !decimal(h + 48, 10, &size))
		return false;
	for (int i = 0; i < 16; i++)
		if (h[i] < 0x20 || h[i] > 0x7e)
			return false;
	return true;
}

/*
 * After a header that cannot be read (its member's size is unknown), as
 * bsdtar does: reads on byte by byte until the last HDR bytes look like a
 * member header (tested only where a header's closing "`\n" is), into @h.
 */
static enum lsi_rd find_header(struct ar *a, uint8_t *h)
{
	uint8_t ring[HDR];
	size_t n = 0;
	enum lsi_rd st;

	for (;;) {
		uint8_t c;

		if ((st = lsi_reader_read(&a->rd, &c, 1)) != LSI_RD_OK)
			return st;
		ring[n++ % HDR] = c;
		if (n < HDR || c != '\n' || ring[(n - 2) % HDR] != '`')
			continue;
		for (size_t k = 0; k < HDR; k++)
			h[k] = ring[(n + k) % HDR];
		if (header_like(h))
			return LSI_RD_OK;
	}
}

static enum lsi_rd damaged(struct ar *a, char *msg, const char *what)
{
	a->ended = true;
	/* Damage underneath (a truncated gzip around us) says more than we can. */
	if (a->rd.err && a->in->msg[0])
		memcpy(msg, a->in->msg, LSI_MSG_LEN);
	else
		snprintf(msg, LSI_MSG_LEN, "%s at offset %" PRIu64, what, a->rd.consumed);
	return LSI_RD_DAMAGED;
}

/* A header read that failed with @st (not EOF): the archive ends there. */
static enum lsi_rd header_failed(struct ar *a, char *msg, enum lsi_rd st, const char *what)
{
	if (st == LSI_RD_DAMAGED)
		return damaged(a, msg, what);
	a->ended = true;
	memcpy(msg, a->in->msg, LSI_MSG_LEN);
	return st;
}

/* Resolves the member's name into a->name; false when it is unreadable. */
static enum lsi_rd member_name(struct ar *a, const uint8_t *h, uint64_t *size, char *msg)
{
	size_t n = trim(h, 16);
	uint64_t v;

	lsi_buf_reset(&a->name);
	if (n >= 3 && memcmp(h, "#1/", 3) == 0 && decimal(h + 3, n - 3, &v)) {
		/* BSD: the name is the first v bytes of the data. */
		uint8_t tmp[MAX_BSD_NAME];
		enum lsi_rd st;

		if (v > *size || v > MAX_BSD_NAME)
			return damaged(a, msg, "bad BSD ar long name length");
		st = lsi_reader_read(&a->rd, tmp, (size_t)v);
		if (st != LSI_RD_OK)
			return damaged(a, msg, "ar archive truncated in a long name");
		*size -= v;
		n = (size_t)v;
		while (n && tmp[n - 1] == '\0')
			n--;
		lsi_buf_append(&a->name, tmp, n);
		return LSI_RD_OK;
	}
	if (n >= 2 && h[0] == '/' && decimal(h + 1, n - 1, &v)) {
		/* GNU: offset into the "//" table; names end in "/\n". */
		const uint8_t *t = a->names.data, *e;

		if (!t || v >= a->names.len)
			return damaged(a, msg, "ar long name points outside the name table");
		e = memchr(t + v, '\n', a->names.len - (size_t)v);
		n = e ? (size_t)(e - (t + v)) : a->names.len - (size_t)v;
		if (n && t[v + n - 1] == '/')
			n--;
		lsi_buf_append(&a->name, t + v, n);
		return LSI_RD_OK;
	}
	/* GNU short names end in '/'; BSD and System V ones do not. */
	if (n > 1 && h[n - 1] == '/')
		n--;
	lsi_buf_append(&a->name, h, n);
	return LSI_RD_OK;
}

static enum lsi_rd ar_next(void *c, struct lsi_member *m, char msg[LSI_MSG_LEN])
{
	struct ar *a = c;
	uint8_t h[HDR];
	enum lsi_rd st;

	memset(m, 0, sizeof(*m));
	if (a->ended)
		return LSI_RD_EOF;
	if (!a->started) {
		a->started = true;
		if (lsi_reader_read(&a->rd, h, 8) != LSI_RD_OK || memcmp(h, "!<arch>\n", 8) != 0)
			return damaged(a, msg, "not an ar archive");
	}
	st = lsi_reader_skip(&a->rd, a->remaining + a->padding);
	a->remaining = a->padding = 0;
	if (st != LSI_RD_OK)
		return damaged(a, msg, "ar archive truncated inside a member");
	for (;;) {
		uint64_t size;
		size_t n;

		if (a->resync) {
			st = find_header(a, h);
			if (st == LSI_RD_EOF) {
				a->ended = true;
				return LSI_RD_EOF; /* the damage was said */
			}
			/* The bytes underneath failed (a sticky error): no
			 * header can follow; said once, then the end. */
			if (st != LSI_RD_OK)
				return header_failed(a, msg, st, "ar archive truncated");
			a->resync = false;
			goto parse;
		}
		st = lsi_reader_read(&a->rd, h, 1);
		/* Some writers pad with a newline beyond the even boundary. */
		while (st == LSI_RD_OK && h[0] == '\n')
			st = lsi_reader_read(&a->rd, h, 1);
		if (st == LSI_RD_EOF) {
			a->ended = true;
			return LSI_RD_EOF;
		}
		if (st == LSI_RD_OK)
			st = lsi_reader_read(&a->rd, h + 1, HDR - 1);
		if (st != LSI_RD_OK)
			return header_failed(a, msg, st, "ar archive truncated inside a header");
parse:
		if (h[58] != '`' || h[59] != '\n' || !decimal(h + 48, 10, &size)) {
			/* Its member cannot be stepped over: the next header is
			 * searched for, and what follows it still scanned. */
			a->resync = true;
			snprintf(msg, LSI_MSG_LEN, "bad ar member header at offset %" PRIu64
				 "; looking for the next header", a->rd.consumed - HDR);
			return LSI_RD_DAMAGED;
		}
		n = trim(h, 16);
		if ((n == 1 && h[0] == '/') || (n == 7 && memcmp(h, "/SYM64/", 7) == 0) ||
		    (n >= 9 && memcmp(h, "__.SYMDEF", 9) == 0)) {
			/* A symbol table: an index, not a member. */
			if (lsi_reader_skip(&a->rd, size + (size & 1)) != LSI_RD_OK)
				return damaged(a, msg, "ar archive truncated in its symbol table");
			continue;
		}
		if (n == 2 && memcmp(h, "//", 2) == 0) {
			lsi_buf_reset(&a->names);
			if (size > MAX_NAMES) {
				snprintf(msg, LSI_MSG_LEN, "ar long-name table of %" PRIu64
					 " bytes is too large", size);
				a->ended = true;
				return LSI_RD_DAMAGED;
			}
			for (uint64_t left = size; left;) {
				const uint8_t *p;
				size_t k;

				st = lsi_reader_next(&a->rd, (size_t)left, &p, &k);
				if (st != LSI_RD_OK)
					return damaged(a, msg, "ar archive truncated in its name table");
				if (!lsi_buf_append(&a->names, p, k)) {
					a->ended = true;
					return LSI_RD_NOMEM;
				}
				left -= k;
			}
			if ((size & 1) && lsi_reader_skip(&a->rd, 1) != LSI_RD_OK)
				return damaged(a, msg, "ar archive truncated in its name table");
			continue;
		}
		if (++a->members > a->lim.max_members && a->lim.max_members) {
			snprintf(msg, LSI_MSG_LEN, "max-members: more than %" PRIu64 " members in this ar archive",
				 a->lim.max_members);
			a->ended = true;
			return LSI_RD_LIMIT;
		}
		a->padding = size & 1;
		st = member_name(a, h, &size, msg);
		if (st != LSI_RD_OK)
			return st;
		a->remaining = size;
		m->name = lsi_buf_str(&a->name);
		m->name_len = a->name.len;
		m->type = LSI_M_FILE;
		m->size = (int64_t)size;
		a->data.base.pos = 0;
		a->data.base.msg[0] = '\0';
		m->data = &a->data.base;
		return LSI_RD_OK;
	}
}

const struct lsi_container_ops lsi_container_ar = {
	"ar", 8, ar_probe, ar_open, ar_next, ar_close, true,
};
