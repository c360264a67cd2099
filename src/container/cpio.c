/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cpio reader: "newc" (070701), its checksummed twin (070702) and the
 * portable "odc" (070707) headers, as rpm payloads and initramfs images
 * use. The archive ends at TRAILER!!!; symbolic link targets are member
 * data and are read as labels. Member data streams zero-copy.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "container.h"
#include "util/alloc.h"
#include "util/buf.h"

#define NEWC_HDR 110
#define ODC_HDR 76
#define MAX_NAME 65536         /* PATH_MAX is far smaller; anything larger is damage */
#define MAX_LINK 65536

#define S_TYPE 0170000u
#define S_REG 0100000u
#define S_DIR 0040000u
#define S_LNK 0120000u

struct cpio;

struct cpio_data {
	struct lsi_bstream base;
	struct cpio *c;
};

struct cpio {
	struct lsi_bstream *in;
	struct lsi_reader rd;
	struct lsi_climits lim;
	struct cpio_data data;
	uint64_t remaining, padding;
	uint64_t members;
	bool ended;
	bool resync;            /* after a bad header: search for the next magic */
	struct lsi_buf name, link;
};

static int cpio_probe(const uint8_t *h, size_t n)
{
	return n >= 6 && (memcmp(h, "070701", 6) == 0 || memcmp(h, "070702", 6) == 0 ||
			  memcmp(h, "070707", 6) == 0);
}

static enum lsi_rd data_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct cpio *c = ((struct cpio_data *)bs)->c;
	enum lsi_rd st;

	if (c->remaining == 0)
		return LSI_RD_EOF;
	st = lsi_reader_next(&c->rd, c->remaining > SIZE_MAX ? SIZE_MAX : (size_t)c->remaining,
			     buf, len);
	if (st == LSI_RD_OK) {
		c->remaining -= *len;
		return st;
	}
	c->ended = true;
	if (st == LSI_RD_EOF) {
		lsi_bstream_fail(bs, "cpio member truncated: %" PRIu64 " bytes missing", c->remaining);
		c->remaining = 0;
		return LSI_RD_DAMAGED;
	}
	memcpy(bs->msg, c->in->msg, sizeof(bs->msg));
	return st;
}

static void data_close(struct lsi_bstream *bs)
{
	(void)bs; /* owned by the archive */
}

static const struct lsi_bstream_ops data_ops = { data_read, data_close };

static void *cpio_open(struct lsi_bstream *in, const struct lsi_climits *lim)
{
	struct cpio *c = lsi_calloc(1, sizeof(*c));

	if (!c) {
		lsi_bstream_close(in);
		return NULL;
	}
	c->in = in;
	c->lim = *lim;
	lsi_reader_init(&c->rd, in);
	c->data.base.ops = &data_ops;
	c->data.c = c;
	lsi_buf_init(&c->name, MAX_NAME + 1);
	lsi_buf_init(&c->link, MAX_LINK + 1);
	return c;
}

static void cpio_close(void *p)
{
	struct cpio *c = p;

	if (!c)
		return;
	lsi_buf_fini(&c->name);
	lsi_buf_fini(&c->link);
	lsi_bstream_close(c->in);
	lsi_free(c);
}

static bool number(const uint8_t *p, size_t n, unsigned base, uint64_t *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (base == 16 && p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (base == 16 && p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return false;
		if (d >= base)
			return false;
		*v = *v * base + d;
	}
	return true;
}

/*
 * A header that cannot be read: its member's size is unknown, so (as
 * bsdtar does) the next header is searched for byte by byte; what follows
 * it is still scanned.
 */
static enum lsi_rd bad_header(struct cpio *c, char *msg, const char *what)
{
	c->resync = true;
	snprintf(msg, LSI_MSG_LEN, "%s at offset %" PRIu64 "; looking for the next header", what,
		 c->rd.consumed);
	return LSI_RD_DAMAGED;
}

/* Reads up to a cpio magic ("07070" and 1, 2 or 7) into @h[0..6). */
static enum lsi_rd find_magic(struct cpio *c, uint8_t *h)
{
	enum lsi_rd st = lsi_reader_read(&c->rd, h, 6);

	while (st == LSI_RD_OK &&
	       !(memcmp(h, "07070", 5) == 0 && (h[5] == '1' || h[5] == '2' || h[5] == '7'))) {
		memmove(h, h + 1, 5);
		st = lsi_reader_read(&c->rd, h + 5, 1);
	}
	return st;
}

static enum lsi_rd damaged(struct cpio *c, char *msg, const char *what)
{
	c->ended = true;
	/* Damage underneath (a truncated gzip around us) says more than we can. */
	if (c->rd.err && c->in->msg[0])
		memcpy(msg, c->in->msg, LSI_MSG_LEN);
	else
		snprintf(msg, LSI_MSG_LEN, "%s at offset %" PRIu64, what, c->rd.consumed);
	return LSI_RD_DAMAGED;
}

/* Reads @n bytes into @b (reset first). */
static enum lsi_rd read_into(struct cpio *c, struct lsi_buf *b, uint64_t n)
{
	lsi_buf_reset(b);
	while (n) {
		const uint8_t *p;
		size_t k;
		enum lsi_rd st = lsi_reader_next(&c->rd, n > SIZE_MAX ? SIZE_MAX : (size_t)n, &p, &k);

		if (st != LSI_RD_OK)
			return st == LSI_RD_EOF ? LSI_RD_DAMAGED : st;
		if (!lsi_buf_append(b, p, k))
			return LSI_RD_NOMEM;
		n -= k;
	}
	return LSI_RD_OK;
}

static enum lsi_rd cpio_next(void *p, struct lsi_member *m, char msg[LSI_MSG_LEN])
{
	struct cpio *c = p;
	uint8_t h[NEWC_HDR];
	uint64_t mode, size, namesize, npad;
	bool newc;
	enum lsi_rd st;
	size_t nlen;

	memset(m, 0, sizeof(*m));
	if (c->ended)
		return LSI_RD_EOF;
	st = lsi_reader_skip(&c->rd, c->remaining + c->padding);
	c->remaining = c->padding = 0;
	if (st != LSI_RD_OK)
		return damaged(c, msg, "cpio archive truncated inside a member");
	st = c->resync ? find_magic(c, h) : lsi_reader_read(&c->rd, h, 6);
	if (st == LSI_RD_EOF || (c->resync && st == LSI_RD_DAMAGED && c->rd.eof)) {
		c->ended = true;
		if (c->resync)
			return LSI_RD_EOF; /* the damage was said */
		return damaged(c, msg, "cpio archive ends without its trailer");
	}
	c->resync = false;
	if (st != LSI_RD_OK)
		return damaged(c, msg, "cpio archive truncated inside a header");
	newc = memcmp(h, "070701", 6) == 0 || memcmp(h, "070702", 6) == 0;
	if (!newc && memcmp(h, "070707", 6) != 0)
		return bad_header(c, msg, "bad cpio header magic");
	st = lsi_reader_read(&c->rd, h + 6, (newc ? NEWC_HDR : ODC_HDR) - 6);
	if (st != LSI_RD_OK)
		return damaged(c, msg, "cpio archive truncated inside a header");
	if (newc) {
		if (!number(h + 14, 8, 16, &mode) || !number(h + 54, 8, 16, &size) ||
		    !number(h + 94, 8, 16, &namesize))
			return bad_header(c, msg, "bad number in cpio header");
		/* Header and name together are padded to 4 bytes, and so is the data. */
		npad = (4 - (NEWC_HDR + namesize) % 4) % 4;
		c->padding = (4 - size % 4) % 4;
	} else {
		if (!number(h + 18, 6, 8, &mode) || !number(h + 59, 6, 8, &namesize) ||
		    !number(h + 65, 11, 8, &size))
			return bad_header(c, msg, "bad number in cpio header");
		npad = 0;
		c->padding = 0;
	}
	if (namesize == 0 || namesize > MAX_NAME)
		return damaged(c, msg, "bad cpio name length");
	st = read_into(c, &c->name, namesize);
	if (st == LSI_RD_OK)
		st = lsi_reader_skip(&c->rd, npad);
	if (st != LSI_RD_OK) {
		if (st == LSI_RD_NOMEM) {
			c->ended = true;
			return st;
		}
		return damaged(c, msg, "cpio archive truncated in a name");
	}
	/* The stored name includes its NUL. */
	nlen = c->name.len;
	while (nlen && c->name.data[nlen - 1] == '\0')
		nlen--;
	if (nlen == 10 && memcmp(c->name.data, "TRAILER!!!", 10) == 0) {
		c->ended = true;
		return LSI_RD_EOF;
	}
	if (++c->members > c->lim.max_members && c->lim.max_members) {
		snprintf(msg, LSI_MSG_LEN, "max-members: more than %" PRIu64 " members in this cpio archive",
			 c->lim.max_members);
		c->ended = true;
		return LSI_RD_LIMIT;
	}
	m->name = (const char *)c->name.data;
	m->name_len = nlen;
	m->size = (int64_t)size;
	switch (mode & S_TYPE) {
	case S_REG:
		m->type = LSI_M_FILE;
		break;
	case S_DIR:
		m->type = LSI_M_DIR;
		break;
	case S_LNK:
		m->type = LSI_M_SYMLINK;
		break;
	default:
		m->type = LSI_M_OTHER;
	}
	if (m->type == LSI_M_SYMLINK && size <= MAX_LINK) {
		st = read_into(c, &c->link, size);
		if (st != LSI_RD_OK) {
			c->ended = true;
			return st == LSI_RD_NOMEM ? st : damaged(c, msg, "cpio archive truncated in a link");
		}
		m->link = lsi_buf_str(&c->link);
		m->size = 0;
		return LSI_RD_OK;
	}
	c->remaining = size;
	if (m->type == LSI_M_FILE) {
		c->data.base.pos = 0;
		c->data.base.msg[0] = '\0';
		m->data = &c->data.base;
	}
	return LSI_RD_OK;
}

const struct lsi_container_ops lsi_container_cpio = {
	"cpio", 6, cpio_probe, cpio_open, cpio_next, cpio_close, true,
};
