/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container images: `docker save` tarballs (manifest.json, layers as
 * <id>/layer.tar, <hex>.tar or blobs/sha256/<hex>) and OCI image-layout
 * tarballs (index.json, blobs/sha256/...). The image is a tar; this
 * reader wraps the tar reader, decodes each layer blob itself (gzip, zstd,
 * xz, by content) and hands the layer on as a nested tar, so findings
 * read [image.tar, blobs/sha256/<digest>, etc/app/.env].
 *
 * Whiteouts: a file deleted in a later layer (.wh.<name>, or hidden by
 * .wh..wh..opq) is still in the image and is still scanned when its own
 * layer goes by. Which layer comes "later" is only known from the
 * manifest, which may come after the layers, and findings are delivered
 * as they are made. So the bytes of each layer and manifest are also fed,
 * as the pipeline reads them, to the analysis in image_layers.c, and at
 * the end of the image each file present in a layer but deleted by a
 * later one is reported (rule image-layer-deleted-file), naming the layer,
 * the file and the deleting layer.
 */
#include <stdio.h>
#include <string.h>

#include "container.h"
#include "decode/decode.h"
#include "image_layers.h"
#include "util/alloc.h"

#define BLOCK 512
#define MAX_JSON (1u << 20) /* a member larger than this is no manifest */

struct oci;

struct tee {
	struct lsi_bstream base;
	struct oci *o;
};

struct oci {
	void *tar;
	struct lsi_climits lim;
	struct tee tee;
	struct lsi_bstream *chain;  /* peek/decoder over the tar member; owned */
	bool chain_eof;
	struct lsi_layers *ly;
	bool analysed;
	size_t reports, report_pos;
};

static bool is_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static int oci_probe(const uint8_t *h, size_t n)
{
	char name[101];
	size_t len;
	const char *p;

	if (n < BLOCK || !lsi_tar_header_ok(h))
		return 0;
	memcpy(name, h, 100);
	name[100] = '\0';
	len = strlen(name);
	p = lsi_image_name(name, &len);
	if (strncmp(p, "blobs/", 6) == 0 || strcmp(p, "blobs") == 0 || strcmp(p, "oci-layout") == 0 ||
	    strcmp(p, "index.json") == 0 || strcmp(p, "manifest.json") == 0 ||
	    strcmp(p, "repositories") == 0)
		return 100;
	if (len >= 64 && is_hex64(p) &&
	    (p[64] == '/' || strcmp(p + 64, ".json") == 0 || strcmp(p + 64, ".tar") == 0))
		return 100;
	return 0;
}

/* The member's bytes go to the pipeline and, on the way, to the analysis. */
static enum lsi_rd tee_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct oci *o = ((struct tee *)bs)->o;
	enum lsi_rd st = lsi_bstream_read(o->chain, buf, len);

	if (st == LSI_RD_OK) {
		lsi_layers_feed(o->ly, *buf, *len);
	} else {
		o->chain_eof = true;
		if (st != LSI_RD_EOF)
			memcpy(bs->msg, o->chain->msg, sizeof(bs->msg));
	}
	return st;
}

static void tee_close(struct lsi_bstream *bs)
{
	(void)bs; /* owned by the image reader */
}

static const struct lsi_bstream_ops tee_ops = { tee_read, tee_close };

static void *oci_open(struct lsi_bstream *in, const struct lsi_climits *lim)
{
	struct oci *o = lsi_calloc(1, sizeof(*o));

	if (!o) {
		lsi_bstream_close(in);
		return NULL;
	}
	o->lim = *lim;
	o->ly = lsi_layers_new();
	o->tar = o->ly ? lsi_container_tar.open(in, lim) : NULL;
	if (!o->tar) {
		if (!o->ly)
			lsi_bstream_close(in);
		lsi_layers_free(o->ly);
		lsi_free(o);
		return NULL;
	}
	o->tee.base.ops = &tee_ops;
	o->tee.o = o;
	return o;
}

static void oci_close(void *c)
{
	struct oci *o = c;

	if (!o)
		return;
	lsi_bstream_close(o->chain);
	lsi_container_tar.close(o->tar);
	lsi_layers_free(o->ly);
	lsi_free(o);
}

/* Wraps up the member the pipeline was reading. */
static void finish_member(struct oci *o)
{
	const uint8_t *b;
	size_t n;

	if (!o->chain)
		return;
	/* What the pipeline left unread of a manifest still belongs to it. */
	while (!o->chain_eof && lsi_layers_wants_more(o->ly) &&
	       lsi_bstream_read(o->chain, &b, &n) == LSI_RD_OK)
		lsi_layers_feed(o->ly, b, n);
	lsi_layers_end(o->ly);
	lsi_bstream_close(o->chain);
	o->chain = NULL;
}

static bool is_json_head(const uint8_t *h, size_t n)
{
	size_t i = 0;

	while (i < n && (h[i] == ' ' || h[i] == '\n' || h[i] == '\r' || h[i] == '\t'))
		i++;
	return i < n && (h[i] == '{' || h[i] == '[');
}

/* Sets up the stream of a file member: decode a layer blob, watch manifests. */
static enum lsi_rd wrap_member(struct oci *o, struct lsi_member *m)
{
	static const struct lsi_guard none = { 0, 0, NULL, 0, 0, 0 };
	const uint8_t *head;
	size_t hl;
	enum lsi_rd st;
	const struct lsi_decoder_ops *dec;
	struct lsi_bstream *s = lsi_bstream_peek(m->data, LSI_SNIFF_LEN, &head, &hl, &st);

	if (!s)
		return LSI_RD_NOMEM;
	o->chain = s;
	o->chain_eof = false;
	dec = hl ? lsi_decoder_sniff(head, hl) : NULL;
	if (dec) {
		struct lsi_bstream *d = dec->open(s, o->lim.guard ? o->lim.guard : &none);

		o->chain = d ? lsi_bstream_peek(d, LSI_SNIFF_LEN, &head, &hl, &st) : NULL;
		if (!o->chain)
			return LSI_RD_NOMEM;
		m->size = -1; /* decoded: its size is known once read */
	}
	if (hl >= BLOCK && lsi_tar_header_ok(head))
		lsi_layers_begin_layer(o->ly, m->name, m->name_len);
	else if (!dec && m->size >= 0 && m->size <= MAX_JSON && is_json_head(head, hl))
		lsi_layers_begin_json(o->ly, m->name, m->name_len);
	o->tee.base.pos = 0;
	o->tee.base.msg[0] = '\0';
	m->data = &o->tee.base;
	return LSI_RD_OK;
}

static enum lsi_rd oci_next(void *c, struct lsi_member *m, char msg[LSI_MSG_LEN])
{
	struct oci *o = c;
	enum lsi_rd st;

	finish_member(o);
	if (!o->analysed) {
		st = lsi_container_tar.next(o->tar, m, msg);
		if (st != LSI_RD_EOF) {
			if (st == LSI_RD_OK && m->type == LSI_M_SYMLINK && m->link)
				lsi_layers_link(o->ly, m->name, m->name_len, m->link);
			if (st == LSI_RD_OK && m->type == LSI_M_FILE && m->data)
				return wrap_member(o, m);
			return st;
		}
		o->analysed = true;
		o->reports = lsi_layers_analyse(o->ly);
	}
	memset(m, 0, sizeof(*m));
	if (o->report_pos >= o->reports)
		return LSI_RD_EOF;
	lsi_layers_report(o->ly, o->report_pos++, &m->name, &m->message, &m->details_json);
	m->type = LSI_M_REPORT;
	m->name_len = strlen(m->name);
	m->report_rule = LSI_IMAGE_RULE;
	m->report_severity = -1;
	return LSI_RD_OK;
}

const struct lsi_container_ops lsi_container_oci = {
	"oci", BLOCK, oci_probe, oci_open, oci_next, oci_close, false,
};
