/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rpm reader: the lead, the signature header and the main header, then
 * the payload, a cpio archive (usually compressed with gzip, xz or zstd,
 * found by content). The payload's files become this container's members
 * directly, so a finding's path is [package.rpm, ./usr/...]. The main
 * header (names, descriptions, install scriptlets) is itself offered as
 * the member "<rpm header>", since scriptlets can carry secrets.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "container.h"
#include "decode/decode.h"
#include "util/alloc.h"

#define LEAD 96
#define HEADER_INTRO 16
#define MAX_INDEX 0x10000u       /* rpm's own limit on header index entries */
#define MAX_STORE (256u << 20)   /* and on a header's data store */
#define HEADER_NAME "<rpm header>"

enum rpm_state { R_START, R_HEADER, R_PAYLOAD, R_END };

struct rpm;

struct rpm_stream {
	struct lsi_bstream base;
	struct rpm *r;
};

struct rpm {
	struct lsi_bstream *in;
	struct lsi_reader rd;
	struct lsi_climits lim;
	enum rpm_state state;
	uint64_t hdr_left;          /* unread bytes of the main header member */
	struct rpm_stream hdr;      /* the main header, as a member */
	struct rpm_stream rest;     /* everything after it: the payload */
	void *cpio;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int rpm_probe(const uint8_t *h, size_t n)
{
	return n >= LEAD && memcmp(h, "\xed\xab\xee\xdb", 4) == 0 && (h[4] == 3 || h[4] == 4);
}

static enum lsi_rd hdr_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct rpm *r = ((struct rpm_stream *)bs)->r;
	enum lsi_rd st;

	if (r->hdr_left == 0)
		return LSI_RD_EOF;
	st = lsi_reader_next(&r->rd, (size_t)r->hdr_left, buf, len);
	if (st == LSI_RD_OK) {
		r->hdr_left -= *len;
		return st;
	}
	r->state = R_END;
	if (st == LSI_RD_EOF) {
		lsi_bstream_fail(bs, "rpm truncated inside its header");
		return LSI_RD_DAMAGED;
	}
	memcpy(bs->msg, r->in->msg, sizeof(bs->msg));
	return st;
}

static enum lsi_rd rest_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct rpm *r = ((struct rpm_stream *)bs)->r;
	enum lsi_rd st = lsi_reader_next(&r->rd, SIZE_MAX, buf, len);

	if (st != LSI_RD_OK && st != LSI_RD_EOF)
		memcpy(bs->msg, r->in->msg, sizeof(bs->msg));
	return st;
}

static void noop_close(struct lsi_bstream *bs)
{
	(void)bs; /* owned by the rpm */
}

static const struct lsi_bstream_ops hdr_ops = { hdr_read, noop_close };
static const struct lsi_bstream_ops rest_ops = { rest_read, noop_close };

static void *rpm_open(struct lsi_bstream *in, const struct lsi_climits *lim)
{
	struct rpm *r = lsi_calloc(1, sizeof(*r));

	if (!r) {
		lsi_bstream_close(in);
		return NULL;
	}
	r->in = in;
	r->lim = *lim;
	lsi_reader_init(&r->rd, in);
	r->hdr.base.ops = &hdr_ops;
	r->hdr.r = r;
	r->rest.base.ops = &rest_ops;
	r->rest.r = r;
	return r;
}

static void rpm_close(void *c)
{
	struct rpm *r = c;

	if (!r)
		return;
	if (r->cpio)
		lsi_container_cpio.close(r->cpio);
	lsi_bstream_close(r->in);
	lsi_free(r);
}

static enum lsi_rd damaged(struct rpm *r, char *msg, const char *what)
{
	r->state = R_END;
	/* Damage underneath (a truncated gzip around us) says more than we can. */
	if (r->rd.err && r->in->msg[0])
		memcpy(msg, r->in->msg, LSI_MSG_LEN);
	else
		snprintf(msg, LSI_MSG_LEN, "%s at offset %" PRIu64, what, r->rd.consumed);
	return LSI_RD_DAMAGED;
}

/* Reads a header's intro; *len gets the size of its index and store. */
static enum lsi_rd header_intro(struct rpm *r, uint64_t *len, char *msg)
{
	uint8_t h[HEADER_INTRO];
	uint32_t il, dl;

	if (lsi_reader_read(&r->rd, h, sizeof(h)) != LSI_RD_OK)
		return damaged(r, msg, "rpm truncated in a header");
	if (memcmp(h, "\x8e\xad\xe8\x01", 4) != 0)
		return damaged(r, msg, "bad rpm header magic");
	il = be32(h + 8);
	dl = be32(h + 12);
	if (il > MAX_INDEX || dl > MAX_STORE)
		return damaged(r, msg, "rpm header too large");
	*len = (uint64_t)il * 16 + dl;
	return LSI_RD_OK;
}

/* Lead and signature; leaves the reader at the main header's index. */
static enum lsi_rd read_headers(struct rpm *r, char *msg)
{
	uint8_t lead[LEAD];
	uint64_t len;
	enum lsi_rd st;

	if (lsi_reader_read(&r->rd, lead, LEAD) != LSI_RD_OK)
		return damaged(r, msg, "rpm truncated in its lead");
	if ((st = header_intro(r, &len, msg)) != LSI_RD_OK)
		return st;
	/* The signature header is padded to 8 bytes; the main header is not. */
	if (lsi_reader_skip(&r->rd, len + (8 - len % 8) % 8) != LSI_RD_OK)
		return damaged(r, msg, "rpm truncated in its signature");
	if ((st = header_intro(r, &len, msg)) != LSI_RD_OK)
		return st;
	r->hdr_left = len;
	return LSI_RD_OK;
}

/* Opens the payload: decoder by content, then cpio. */
static enum lsi_rd open_payload(struct rpm *r, char *msg)
{
	static const struct lsi_guard none = { 0, 0, NULL, 0, 0, 0 };
	const struct lsi_decoder_ops *dec;
	const uint8_t *head;
	size_t hl;
	enum lsi_rd st;
	struct lsi_bstream *s = lsi_bstream_peek(&r->rest.base, LSI_SNIFF_LEN, &head, &hl, &st);

	if (!s)
		return LSI_RD_NOMEM;
	if (hl == 0) {
		lsi_bstream_close(s);
		if (st != LSI_RD_OK)
			return damaged(r, msg, "rpm payload unreadable");
		r->state = R_END;
		return LSI_RD_EOF; /* a package without files */
	}
	dec = lsi_decoder_sniff(head, hl);
	if (dec) {
		struct lsi_bstream *d = dec->open(s, r->lim.guard ? r->lim.guard : &none);

		s = d ? lsi_bstream_peek(d, LSI_SNIFF_LEN, &head, &hl, &st) : NULL;
		if (!s)
			return LSI_RD_NOMEM;
		if (hl == 0 && st != LSI_RD_OK) {
			/* The decoder failed at once: say why (the peek still owns d). */
			snprintf(msg, LSI_MSG_LEN, "rpm payload (%s): %.200s", dec->name, d->msg);
			lsi_bstream_close(s);
			r->state = R_END;
			return st;
		}
	}
	if (!lsi_container_cpio.probe(head, hl)) {
		lsi_bstream_close(s);
		return damaged(r, msg, dec ? "rpm payload is not a cpio archive"
				       : "rpm payload compression not recognised");
	}
	r->cpio = lsi_container_cpio.open(s, &r->lim);
	if (!r->cpio)
		return LSI_RD_NOMEM;
	r->state = R_PAYLOAD;
	return LSI_RD_OK;
}

static enum lsi_rd rpm_next(void *c, struct lsi_member *m, char msg[LSI_MSG_LEN])
{
	struct rpm *r = c;
	enum lsi_rd st;

	memset(m, 0, sizeof(*m));
	switch (r->state) {
	case R_START:
		if ((st = read_headers(r, msg)) != LSI_RD_OK)
			return st;
		r->state = R_HEADER;
		m->name = HEADER_NAME;
		m->name_len = strlen(HEADER_NAME);
		m->type = LSI_M_FILE;
		m->size = (int64_t)r->hdr_left;
		m->data = &r->hdr.base;
		return LSI_RD_OK;
	case R_HEADER:
		if (lsi_reader_skip(&r->rd, r->hdr_left) != LSI_RD_OK)
			return damaged(r, msg, "rpm truncated inside its header");
		r->hdr_left = 0;
		st = open_payload(r, msg);
		if (st != LSI_RD_OK)
			return st;
		/* fall through */
	case R_PAYLOAD:
		st = lsi_container_cpio.next(r->cpio, m, msg);
		if (st == LSI_RD_EOF || st == LSI_RD_IO || st == LSI_RD_NOMEM)
			r->state = R_END;
		return st;
	case R_END:
		break;
	}
	return LSI_RD_EOF;
}

const struct lsi_container_ops lsi_container_rpm = {
	"rpm", LEAD, rpm_probe, rpm_open, rpm_next, rpm_close, false,
};
