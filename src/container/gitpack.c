/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Git pack files (.pack under .git/objects/pack, versions 2 and 3) as a
 * container: each object is a member named "<type>@<offset>" whose data
 * is the inflated object. Deltas are not resolved (that needs random
 * access to their bases); a delta member carries the bytes its
 * instructions insert, which is where text added in a later version
 * lives. Trees (names and ids only) are inflated and skipped. Not in the
 * sniffing table: core/gitdir.c opens packs it finds by name.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "container.h"
#include "decode/decode.h"
#include "util/alloc.h"

#define OUT_CAP (64u * 1024u)
/* Output allowed past an object's declared size before it is damage. */
#define SIZE_SLACK 64u

enum { OBJ_COMMIT = 1, OBJ_TREE = 2, OBJ_BLOB = 3, OBJ_TAG = 4, OBJ_OFS_DELTA = 6,
       OBJ_REF_DELTA = 7 };

/* Where a delta's instruction stream stands (see delta_filter). */
enum dstate { D_SRC, D_DST, D_OP, D_COPY, D_INSERT };

struct pack {
	struct lsi_bstream *in;
	struct lsi_reader r;
	struct lsi_climits lim;
	uint32_t count, done;
	bool broken;             /* damage lost the framing: no more members */
	/* the current object */
	struct lsi_bstream data; /* its stream, handed out as the member's data */
	z_stream z;
	bool z_live;
	bool z_end;              /* inflate reached the object's end */
	int type;
	uint64_t declared, out_total, in_start;
	enum dstate ds;
	unsigned dleft;          /* bytes left in the current delta step */
	char name[48];
	uint8_t out[OUT_CAP];
	uint8_t filtered[OUT_CAP];
};

static int pack_probe(const uint8_t *h, size_t n)
{
	return n >= 12 && memcmp(h, "PACK\0\0\0", 7) == 0 && (h[7] == 2 || h[7] == 3);
}

/* Keeps the bytes a delta inserts; copies from the base leave a line break. */
static size_t delta_filter(struct pack *p, const uint8_t *b, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = b[i];

		switch (p->ds) {
		case D_SRC:
		case D_DST:
			/* two size varints */
			if (!(c & 0x80))
				p->ds = p->ds == D_SRC ? D_DST : D_OP;
			break;
		case D_OP:
			if (c & 0x80) {
				/* copy: one byte per offset and size bit set */
				p->dleft = (unsigned)__builtin_popcount(c & 0x7f);
				p->ds = p->dleft ? D_COPY : D_OP;
				p->filtered[o++] = '\n';
			} else if (c) {
				p->dleft = c;
				p->ds = D_INSERT;
			}
			break;
		case D_COPY:
			if (--p->dleft == 0)
				p->ds = D_OP;
			break;
		case D_INSERT:
			p->filtered[o++] = c;
			if (--p->dleft == 0)
				p->ds = D_OP;
			break;
		}
	}
	return o;
}

static enum lsi_rd obj_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct pack *p = (struct pack *)((char *)bs - offsetof(struct pack, data));

	while (!p->z_end) {
		const uint8_t *in;
		size_t n, produced;
		enum lsi_rd st = lsi_reader_next(&p->r, UINT32_MAX, &in, &n);
		int zr;

		if (st == LSI_RD_EOF) {
			p->broken = true;
			lsi_bstream_fail(bs, "truncated pack object at offset %" PRIu64, p->in_start);
			return LSI_RD_DAMAGED;
		}
		if (st != LSI_RD_OK) {
			p->broken = true;
			memcpy(bs->msg, p->in->msg, sizeof(bs->msg));
			return st;
		}
		p->z.next_in = (Bytef *)(uintptr_t)in;
		p->z.avail_in = (uInt)n;
		p->z.next_out = p->out;
		p->z.avail_out = OUT_CAP;
		zr = inflate(&p->z, Z_NO_FLUSH);
		/* What inflate did not take belongs to the next object: give it back. */
		p->r.cur -= p->z.avail_in;
		p->r.left += p->z.avail_in;
		p->r.consumed -= p->z.avail_in;
		produced = OUT_CAP - p->z.avail_out;
		if (zr == Z_STREAM_END) {
			p->z_end = true;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			p->broken = true;
			lsi_bstream_fail(bs, "corrupt pack object at offset %" PRIu64 ": %s", p->in_start,
					 p->z.msg ? p->z.msg : "inflate failed");
			return zr == Z_MEM_ERROR ? LSI_RD_NOMEM : LSI_RD_DAMAGED;
		}
		if (!produced)
			continue;
		p->out_total += produced;
		if (p->out_total > p->declared + SIZE_SLACK) {
			p->broken = true;
			lsi_bstream_fail(bs, "pack object at offset %" PRIu64 " inflates past its size",
					 p->in_start);
			return LSI_RD_DAMAGED;
		}
		if (p->lim.guard) {
			enum lsi_rd g = lsi_guard_check(p->lim.guard, bs, p->z.total_in, p->out_total,
							produced);

			if (g != LSI_RD_OK) {
				p->broken = true;
				return g;
			}
		}
		if (p->type == OBJ_OFS_DELTA || p->type == OBJ_REF_DELTA) {
			produced = delta_filter(p, p->out, produced);
			if (!produced)
				continue;
			*buf = p->filtered;
		} else {
			*buf = p->out;
		}
		*len = produced;
		return LSI_RD_OK;
	}
	return LSI_RD_EOF;
}

static void obj_close(struct lsi_bstream *bs)
{
	(void)bs; /* owned by the pack */
}

static const struct lsi_bstream_ops obj_ops = { obj_read, obj_close };

static void *pack_open(struct lsi_bstream *in, const struct lsi_climits *lim)
{
	struct pack *p = lsi_calloc(1, sizeof(*p));

	if (!p) {
		lsi_bstream_close(in);
		return NULL;
	}
	p->in = in;
	p->lim = *lim;
	lsi_reader_init(&p->r, in);
	p->data.ops = &obj_ops;
	if (inflateInit(&p->z) != Z_OK) {
		lsi_bstream_close(in);
		lsi_free(p);
		return NULL;
	}
	p->z_live = true;
	p->done = UINT32_MAX; /* header not read yet */
	return p;
}

static enum lsi_rd fail(struct pack *p, char msg[LSI_MSG_LEN], enum lsi_rd st, const char *what)
{
	p->broken = true;
	if (st == LSI_RD_NOMEM || st == LSI_RD_IO || st == LSI_RD_LIMIT)
		snprintf(msg, LSI_MSG_LEN, "%s", p->in->msg);
	else
		snprintf(msg, LSI_MSG_LEN, "%s", what);
	return st == LSI_RD_EOF ? LSI_RD_DAMAGED : st;
}

/* Reads a byte of an entry header. */
static enum lsi_rd byte(struct pack *p, uint8_t *c)
{
	return lsi_reader_read(&p->r, c, 1);
}

static enum lsi_rd pack_next(void *c, struct lsi_member *m, char msg[LSI_MSG_LEN])
{
	struct pack *p = c;
	static const char *const names[8] = { NULL, "commit", "tree", "blob", "tag", NULL,
					      "delta", "delta" };

	for (;;) {
		uint8_t h[12], b;
		enum lsi_rd st;
		unsigned shift = 4;

		if (p->broken)
			return LSI_RD_EOF;
		if (p->done == UINT32_MAX) {
			st = lsi_reader_read(&p->r, h, sizeof(h));
			if (st != LSI_RD_OK || !pack_probe(h, sizeof(h)))
				return fail(p, msg, st == LSI_RD_OK ? LSI_RD_DAMAGED : st, "not a git pack");
			p->count = (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 | (uint32_t)h[10] << 8 | h[11];
			p->done = 0;
		}
		/* The previous object's unread rest must go by first. */
		while (p->z_live && !p->z_end && p->done) {
			const uint8_t *x;
			size_t n;

			st = obj_read(&p->data, &x, &n);
			if (st == LSI_RD_EOF)
				break;
			if (st != LSI_RD_OK) {
				snprintf(msg, LSI_MSG_LEN, "%s", p->data.msg);
				return st;
			}
		}
		if (p->done == p->count)
			return LSI_RD_EOF; /* the trailing checksum is not needed */
		if (p->done >= p->lim.max_members) {
			p->broken = true;
			snprintf(msg, LSI_MSG_LEN, "max-members: more than %" PRIu64 " objects in this pack",
				 p->lim.max_members);
			return LSI_RD_LIMIT;
		}
		p->in_start = p->r.consumed;
		if ((st = byte(p, &b)) != LSI_RD_OK)
			return fail(p, msg, st, "truncated pack entry header");
		p->type = (b >> 4) & 7;
		p->declared = b & 15;
		while (b & 0x80) {
			if ((st = byte(p, &b)) != LSI_RD_OK)
				return fail(p, msg, st, "truncated pack entry header");
			if (shift > 57)
				return fail(p, msg, LSI_RD_DAMAGED, "pack entry size out of range");
			p->declared |= (uint64_t)(b & 0x7f) << shift;
			shift += 7;
		}
		if (!names[p->type])
			return fail(p, msg, LSI_RD_DAMAGED, "unknown pack entry type");
		if (p->type == OBJ_OFS_DELTA) {
			unsigned k = 0;

			do {
				if ((st = byte(p, &b)) != LSI_RD_OK || ++k > 10)
					return fail(p, msg, st == LSI_RD_OK ? LSI_RD_DAMAGED : st,
						    "bad delta base offset");
			} while (b & 0x80);
		} else if (p->type == OBJ_REF_DELTA) {
			/* A SHA-1 base id; SHA-256 packs say so in their index, not here. */
			if ((st = lsi_reader_skip(&p->r, 20)) != LSI_RD_OK)
				return fail(p, msg, st, "truncated delta base id");
		}
		inflateReset(&p->z);
		p->z_end = false;
		p->out_total = 0;
		p->ds = D_SRC;
		p->dleft = 0;
		p->done++;
		snprintf(p->name, sizeof(p->name), "%s@%" PRIu64, names[p->type], p->in_start);
		if (p->type == OBJ_TREE)
			continue; /* drained by the loop above */
		memset(m, 0, sizeof(*m));
		m->name = p->name;
		m->name_len = strlen(p->name);
		m->type = LSI_M_FILE;
		m->size = -1;
		m->data = &p->data;
		m->report_severity = -1;
		return LSI_RD_OK;
	}
}

static void pack_close(void *c)
{
	struct pack *p = c;

	if (!p)
		return;
	if (p->z_live)
		inflateEnd(&p->z);
	lsi_bstream_close(p->in);
	lsi_free(p);
}

const struct lsi_container_ops lsi_container_gitpack = {
	"git-pack", 12, pack_probe, pack_open, pack_next, pack_close, false,
};
