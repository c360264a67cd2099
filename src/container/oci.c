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
 * as they are made. So while the pipeline reads each layer, a second,
 * header-only walk of the same bytes records the layer's file names and
 * whiteouts (capped); at the end of the image the manifests are parsed
 * and each file that is present in a layer but deleted by a later one is
 * reported as an analyzer finding (rule image-layer-deleted-file) naming
 * the layer, the file and the deleting layer. Nothing is read twice, and
 * manifests are not held: the strings that order layers are picked out of
 * them by the shared JSON tokenizer as they stream by.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "decode/decode.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json_read.h"
#include "util/json_write.h"

#define BLOCK 512
#define MAX_JSON (1u << 20)          /* a member larger than this is no manifest */
#define MAX_MANIFEST_STRS (4u << 20) /* strings picked out of manifests, per image */
#define MAX_STR 1024                 /* one such string (a tag, a path, a digest) */
#define MAX_KEY 48                   /* longer keys are none we look for */
#define MAX_NAMES (16u << 20)        /* layer file names kept for the analysis */
#define MAX_FILES (1u << 20)         /* layer file records kept */
#define MAX_META (64u * 1024u)       /* a pax record or long name in a layer */
#define MAX_REPORTS 1000             /* deleted-file findings per image tarball */
#define JSON_DEPTH 8                 /* we look at depth 4 at most */
#define RULE "image-layer-deleted-file"

enum kind { K_PASS, K_LAYER, K_JSON };

struct frec {                /* a regular file or whiteout seen in a layer */
	uint32_t layer;
	uint32_t name_off, name_len;
	uint8_t what;            /* 0 file, 1 whiteout of name, 2 opaque dir name */
};

struct layer {
	char *member;            /* member name in the image tar, without "./" */
	bool complete;           /* its tar was walked to the end */
};

/*
 * What a JSON member said about layer order: tagged strings in o->strs
 * [off, end), each a tag byte, the bytes and a NUL. Tags: docker
 * manifest.json: 'I' a new image, 'T' a tag, 'C' its config, 'L' a layer
 * path; OCI index: 'M' a new manifest, 'D' its digest, 'R' its ref name;
 * OCI manifest: 'L' a layer digest.
 */
struct doc {
	char *member;
	size_t off, end;
};

/* The tokenizer's walk over one JSON member. */
struct jwalk {
	struct lsi_jr jr;
	uint8_t piece[256];
	int top;                  /* LSI_JR_ARR_BEGIN or LSI_JR_OBJ_BEGIN */
	char keys[JSON_DEPTH][MAX_KEY + 1];
	char key[MAX_KEY + 1];
	size_t key_len;
	bool key_long;
	struct lsi_buf str;       /* the string being assembled */
	bool str_long;
	size_t off;               /* where this member's records start in o->strs */
	bool done, failed;
};

struct link {
	char *member, *target;
};

/* Header-only walk of a layer's tar, fed the bytes the pipeline reads. */
struct observer {
	uint8_t hdr[BLOCK];
	size_t fill;
	uint64_t skip;           /* data and padding to pass over */
	uint64_t meta_left;      /* bytes of a pax record or long name still to keep */
	char meta_type;
	struct lsi_buf meta, long_name, pax_path, name;
	uint32_t layer;
	bool ended;
};

struct oci;

struct tee {
	struct lsi_bstream base;
	struct oci *o;
};

struct report {
	uint32_t file, at, by;   /* file record, its layer's and the deleting layer's position */
	uint32_t image;
};

struct oci {
	void *tar;
	struct lsi_climits lim;
	struct tee tee;
	struct lsi_bstream *chain;  /* peek/decoder over the tar member; owned */
	enum kind kind;
	bool chain_eof;
	struct observer obs;
	struct jwalk jw;            /* JSON member being read */
	struct lsi_buf member;      /* its name, without "./" */
	struct lsi_buf layers, files, names, docs, links; /* arrays, capped */
	struct lsi_buf strs;        /* what manifests said: see struct doc */
	bool names_full;
	/* The end: reports. */
	bool analysed;
	struct lsi_buf reports;     /* struct report */
	size_t report_pos, report_more;
	struct lsi_buf images;      /* char * labels, owned */
	struct lsi_buf order;       /* uint32_t layer indexes of all images, concatenated */
	struct lsi_buf order_start; /* size_t: where each image's order starts */
	struct lsi_buf r_name, r_msg, r_details;
};

/* ---- small helpers ---- */

static size_t count_of(const struct lsi_buf *b, size_t elem)
{
	return b->len / elem;
}

static const char *strip_dot(const char *s, size_t *len)
{
	while (*len >= 2 && s[0] == '.' && s[1] == '/') {
		s += 2;
		*len -= 2;
	}
	while (*len && s[0] == '/') {
		s++;
		(*len)--;
	}
	return s;
}

static bool is_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* A ustar (or GNU, or pax) header with a valid checksum. */
static bool header_ok(const uint8_t *h)
{
	uint64_t want = 0, us = 0;
	int64_t ss = 0;
	size_t i = 148;

	while (i < 156 && (h[i] == ' ' || h[i] == '\0'))
		i++;
	for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++)
		want = want * 8 + (uint64_t)(h[i] - '0');
	for (i = 0; i < BLOCK; i++) {
		uint8_t c = (i >= 148 && i < 156) ? ' ' : h[i];

		us += c;
		ss += (int8_t)c;
	}
	return memcmp(h + 257, "ustar", 5) == 0 && (want == us || (int64_t)want == ss);
}

static int oci_probe(const uint8_t *h, size_t n)
{
	char name[101];
	size_t len;
	const char *p;

	if (n < BLOCK || !header_ok(h))
		return 0;
	memcpy(name, h, 100);
	name[100] = '\0';
	len = strlen(name);
	p = strip_dot(name, &len);
	if (strncmp(p, "blobs/", 6) == 0 || strcmp(p, "blobs") == 0 || strcmp(p, "oci-layout") == 0 ||
	    strcmp(p, "index.json") == 0 || strcmp(p, "manifest.json") == 0 ||
	    strcmp(p, "repositories") == 0)
		return 100;
	if (len >= 64 && is_hex64(p) &&
	    (p[64] == '/' || strcmp(p + 64, ".json") == 0 || strcmp(p + 64, ".tar") == 0))
		return 100;
	return 0;
}

/* ---- the header-only layer walk ---- */

static uint64_t octal(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i = 0;

	if (n && (p[0] & 0x80)) {
		for (i = 1; i < n && !(v >> 56); i++)
			v = (v << 8) | p[i];
		return v;
	}
	while (i < n && (p[i] == ' ' || p[i] == '\0'))
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '7' && !(v >> 60); i++)
		v = v * 8 + (uint64_t)(p[i] - '0');
	return v;
}

static bool block_zero(const uint8_t *h)
{
	for (int i = 0; i < BLOCK; i++)
		if (h[i])
			return false;
	return true;
}

static void record(struct oci *o, const char *name, size_t len)
{
	struct frec r = { o->obs.layer, 0, 0, 0 };
	const char *base;
	size_t dlen;

	name = strip_dot(name, &len);
	while (len && name[len - 1] == '/')
		len--;
	base = memrchr(name, '/', len);
	base = base ? base + 1 : name;
	dlen = (size_t)(base - name); /* directory with its '/' */
	if (len - dlen >= 4 && memcmp(base, ".wh.", 4) == 0) {
		if (len - dlen == 12 && memcmp(base, ".wh..wh..opq", 12) == 0) {
			r.what = 2;
			len = dlen ? dlen - 1 : 0;
		} else {
			/* The deleted path is the directory plus the rest of the name. */
			r.what = 1;
			r.name_off = (uint32_t)o->names.len;
			if (o->names.len + len > MAX_NAMES || !lsi_buf_append(&o->names, name, dlen) ||
			    !lsi_buf_append(&o->names, base + 4, len - dlen - 4)) {
				o->names_full = true;
				return;
			}
			r.name_len = (uint32_t)(len - 4);
			goto add;
		}
	}
	r.name_off = (uint32_t)o->names.len;
	r.name_len = (uint32_t)len;
	if (!lsi_buf_append(&o->names, name, len)) {
		o->names_full = true;
		return;
	}
add:
	if (!lsi_buf_append(&o->files, &r, sizeof(r)))
		o->names_full = true;
}

static void observe_header(struct oci *o)
{
	struct observer *ob = &o->obs;
	const uint8_t *h = ob->hdr;
	uint64_t size = octal(h + 124, 12), pad = (BLOCK - size % BLOCK) % BLOCK;
	char type = (char)h[156];

	if (block_zero(h) || !header_ok(h)) {
		/* End of archive, or damage the tar reader reports: stop here. */
		ob->ended = true;
		((struct layer *)o->layers.data)[ob->layer].complete = block_zero(h);
		return;
	}
	if (type == 'x' || type == 'L') {
		ob->meta_type = type;
		ob->meta_left = size;
		lsi_buf_reset(&ob->meta);
		ob->skip = size + pad;
		return;
	}
	if (type == '1' || type == '2')
		size = pad = 0; /* links carry no data, as the tar reader assumes */
	ob->skip = size + pad;
	if (type == '0' || type == '\0' || type == '7') {
		lsi_buf_reset(&ob->name);
		if (ob->pax_path.len) {
			lsi_buf_append(&ob->name, ob->pax_path.data, ob->pax_path.len);
		} else if (ob->long_name.len) {
			lsi_buf_append(&ob->name, ob->long_name.data, ob->long_name.len);
		} else {
			const uint8_t *z = memchr(h + 345, 0, 155);
			size_t pl = memcmp(h + 257, "ustar\0", 6) == 0 ? (z ? (size_t)(z - (h + 345)) : 155)
								      : 0;

			if (pl) {
				lsi_buf_append(&ob->name, h + 345, pl);
				lsi_buf_putc(&ob->name, '/');
			}
			z = memchr(h, 0, 100);
			lsi_buf_append(&ob->name, h, z ? (size_t)(z - h) : 100);
		}
		if (!o->names_full)
			record(o, lsi_buf_str(&ob->name), ob->name.len);
	}
	if (type != 'g') {
		lsi_buf_reset(&ob->pax_path);
		lsi_buf_reset(&ob->long_name);
	}
}

/* A pax record set or GNU long name is complete. */
static void observe_meta(struct observer *ob)
{
	const char *p = (const char *)lsi_buf_str(&ob->meta), *end = p + ob->meta.len;

	if (ob->meta_type == 'L') {
		const char *z = memchr(p, 0, ob->meta.len);

		lsi_buf_reset(&ob->long_name);
		lsi_buf_append(&ob->long_name, p, z ? (size_t)(z - p) : ob->meta.len);
		return;
	}
	while (p < end) {
		size_t len = 0;
		const char *q = p, *eq;

		while (q < end && *q >= '0' && *q <= '9' && len < MAX_META)
			len = len * 10 + (size_t)(*q++ - '0');
		if (q >= end || *q != ' ' || len == 0 || len > (size_t)(end - p) || p[len - 1] != '\n')
			return;
		eq = memchr(q + 1, '=', (size_t)(p + len - 1 - (q + 1)));
		if (eq && eq - (q + 1) == 4 && memcmp(q + 1, "path", 4) == 0) {
			lsi_buf_reset(&ob->pax_path);
			lsi_buf_append(&ob->pax_path, eq + 1, (size_t)(p + len - 1 - (eq + 1)));
		}
		p += len;
	}
}

static void observe(struct oci *o, const uint8_t *b, size_t n)
{
	struct observer *ob = &o->obs;

	while (n && !ob->ended) {
		size_t k;

		if (ob->skip) {
			k = ob->skip < n ? (size_t)ob->skip : n;
			if (ob->meta_left) {
				size_t m = ob->meta_left < k ? (size_t)ob->meta_left : k;

				if (!lsi_buf_append(&ob->meta, b, m))
					ob->meta_type = 0; /* too long: ignored */
				ob->meta_left -= m;
				if (ob->meta_left == 0 && ob->meta_type)
					observe_meta(ob);
			}
			ob->skip -= k;
			b += k;
			n -= k;
			continue;
		}
		k = BLOCK - ob->fill < n ? BLOCK - ob->fill : n;
		memcpy(ob->hdr + ob->fill, b, k);
		ob->fill += k;
		b += k;
		n -= k;
		if (ob->fill == BLOCK) {
			ob->fill = 0;
			observe_header(o);
		}
	}
}

/* ---- the stream handed to the pipeline ---- */

static enum lsi_rd tee_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct oci *o = ((struct tee *)bs)->o;
	enum lsi_rd st = lsi_bstream_read(o->chain, buf, len);

	if (st == LSI_RD_OK) {
		if (o->kind == K_LAYER)
			observe(o, *buf, *len);
		else if (o->kind == K_JSON && !lsi_buf_append(&o->capture, *buf, *len))
			o->kind = K_PASS; /* too large to be a manifest */
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

/* ---- open and close ---- */

static void *oci_open(struct lsi_bstream *in, const struct lsi_climits *lim)
{
	struct oci *o = lsi_calloc(1, sizeof(*o));

	if (!o) {
		lsi_bstream_close(in);
		return NULL;
	}
	o->lim = *lim;
	o->tar = lsi_container_tar.open(in, lim);
	if (!o->tar) {
		lsi_free(o);
		return NULL;
	}
	o->tee.base.ops = &tee_ops;
	o->tee.o = o;
	lsi_buf_init(&o->capture, MAX_JSON);
	lsi_buf_init(&o->member, 1u << 16);
	lsi_buf_init(&o->layers, 1u << 20);
	lsi_buf_init(&o->files, MAX_FILES * sizeof(struct frec));
	lsi_buf_init(&o->names, MAX_NAMES);
	lsi_buf_init(&o->docs, 1u << 16);
	lsi_buf_init(&o->links, 1u << 20);
	lsi_buf_init(&o->reports, MAX_FILES * sizeof(struct report));
	lsi_buf_init(&o->images, 1u << 16);
	lsi_buf_init(&o->order, 1u << 20);
	lsi_buf_init(&o->order_start, 1u << 16);
	lsi_buf_init(&o->r_name, 1u << 16);
	lsi_buf_init(&o->r_msg, 1u << 17);
	lsi_buf_init(&o->r_details, 1u << 18);
	lsi_buf_init(&o->obs.meta, MAX_META);
	lsi_buf_init(&o->obs.long_name, MAX_META);
	lsi_buf_init(&o->obs.pax_path, MAX_META);
	lsi_buf_init(&o->obs.name, 2 * MAX_META);
	return o;
}

static void free_strings(struct lsi_buf *b, size_t elem, size_t nptr)
{
	for (size_t i = 0; i < count_of(b, elem); i++)
		for (size_t k = 0; k < nptr; k++)
			lsi_free(((char **)(b->data + i * elem))[k]);
	lsi_buf_fini(b);
}

static void oci_close(void *c)
{
	struct oci *o = c;

	if (!o)
		return;
	lsi_bstream_close(o->chain);
	lsi_container_tar.close(o->tar);
	free_strings(&o->layers, sizeof(struct layer), 1);
	free_strings(&o->docs, sizeof(struct doc), 2);
	free_strings(&o->links, sizeof(struct link), 2);
	free_strings(&o->images, sizeof(char *), 1);
	lsi_buf_fini(&o->capture);
	lsi_buf_fini(&o->member);
	lsi_buf_fini(&o->files);
	lsi_buf_fini(&o->names);
	lsi_buf_fini(&o->reports);
	lsi_buf_fini(&o->order);
	lsi_buf_fini(&o->order_start);
	lsi_buf_fini(&o->r_name);
	lsi_buf_fini(&o->r_msg);
	lsi_buf_fini(&o->r_details);
	lsi_buf_fini(&o->obs.meta);
	lsi_buf_fini(&o->obs.long_name);
	lsi_buf_fini(&o->obs.pax_path);
	lsi_buf_fini(&o->obs.name);
	lsi_free(o);
}

/* ---- JSON: just enough to read manifests, without building a tree ---- */

static const char *ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Past the string at p (which is '"'); NULL when malformed. */
static const char *skip_str(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* Past one value; NULL when malformed or nested too deep. */
static const char *skip_value(const char *p, const char *e, int depth)
{
	p = ws(p, e);
	if (p >= e || depth > JSON_DEPTH)
		return NULL;
	if (*p == '"')
		return skip_str(p, e);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';

		p = ws(p + 1, e);
		if (p < e && *p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				p = ws(p, e);
				if (p >= e || *p != '"' || !(p = skip_str(p, e)))
					return NULL;
				p = ws(p, e);
				if (p >= e || *p++ != ':')
					return NULL;
			}
			if (!(p = skip_value(p, e, depth + 1)))
				return NULL;
			p = ws(p, e);
			if (p < e && *p == ',') {
				p++;
				continue;
			}
			return p < e && *p == close ? p + 1 : NULL;
		}
	}
	while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' &&
	       *p != '\r' && *p != '\t')
		p++;
	return p;
}

/* The value of @key in the object at p, or NULL. */
static const char *get(const char *p, const char *e, const char *key)
{
	size_t kl = strlen(key);

	p = ws(p, e);
	if (!p || p >= e || *p != '{')
		return NULL;
	p = ws(p + 1, e);
	while (p < e && *p == '"') {
		const char *k = p + 1, *ke = skip_str(p, e);

		if (!ke)
			return NULL;
		p = ws(ke, e);
		if (p >= e || *p++ != ':')
			return NULL;
		p = ws(p, e);
		if ((size_t)(ke - 1 - k) == kl && memcmp(k, key, kl) == 0)
			return p;
		if (!(p = skip_value(p, e, 1)))
			return NULL;
		p = ws(p, e);
		if (p < e && *p == ',')
			p = ws(p + 1, e);
	}
	return NULL;
}

/* Array iteration: *it starts at the '['; each call yields the next element. */
static const char *next_elem(const char **it, const char *e)
{
	const char *p = *it, *v;

	if (!p)
		return NULL;
	p = ws(p, e);
	if (p < e && (*p == '[' || *p == ','))
		p = ws(p + 1, e);
	else
		return NULL;
	if (p >= e || *p == ']')
		return NULL;
	v = p;
	*it = skip_value(p, e, 1);
	if (*it)
		*it = ws(*it, e);
	return v;
}

/* A string value's raw bytes (escapes kept; our values never need them). */
static bool str_val(const char *p, const char *e, const char **s, size_t *len)
{
	const char *end;

	if (!p || p >= e || *p != '"' || !(end = skip_str(p, e)))
		return false;
	*s = p + 1;
	*len = (size_t)(end - 1 - *s);
	return true;
}

/* ---- manifests ---- */

static const struct doc *find_doc(const struct oci *o, const char *member, size_t len)
{
	const struct doc *d = (const struct doc *)o->docs.data;

	for (size_t i = 0; i < count_of(&o->docs, sizeof(*d)); i++)
		if (strlen(d[i].member) == len && memcmp(d[i].member, member, len) == 0)
			return &d[i];
	return NULL;
}

/* The layer index whose member is @name (following one symlink), or -1. */
static long find_layer(const struct oci *o, const char *name, size_t len)
{
	const struct layer *l = (const struct layer *)o->layers.data;
	const struct link *k = (const struct link *)o->links.data;
	char resolved[1024];

	name = strip_dot(name, &len);
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < count_of(&o->layers, sizeof(*l)); i++)
			if (strlen(l[i].member) == len && memcmp(l[i].member, name, len) == 0)
				return (long)i;
		for (size_t i = 0; round == 0 && i < count_of(&o->links, sizeof(*k)); i++) {
			const char *slash;
			size_t dl, tl = strlen(k[i].target);
			const char *t = k[i].target;

			if (strlen(k[i].member) != len || memcmp(k[i].member, name, len) != 0)
				continue;
			/* Relative to the link's directory; "../" climbs one level. */
			slash = memrchr(name, '/', len);
			dl = slash ? (size_t)(slash - name) : 0;
			while (tl >= 3 && memcmp(t, "../", 3) == 0) {
				const char *up = dl ? memrchr(name, '/', dl) : NULL;

				dl = up ? (size_t)(up - name) : 0;
				t += 3;
				tl -= 3;
			}
			if (dl + 1 + tl >= sizeof(resolved))
				return -1;
			if (dl) {
				memcpy(resolved, name, dl);
				resolved[dl] = '/';
				memcpy(resolved + dl + 1, t, tl);
				len = dl + 1 + tl;
			} else {
				memcpy(resolved, t, tl);
				len = tl;
			}
			name = resolved;
			break;
		}
	}
	return -1;
}

static bool add_image(struct oci *o, const char *label, size_t len)
{
	char *s = lsi_strndup(label ? label : "", label ? len : 0);
	size_t start = count_of(&o->order, sizeof(uint32_t));

	if (!s)
		return false;
	if (!lsi_buf_append(&o->images, &s, sizeof(s))) {
		lsi_free(s);
		return false;
	}
	return lsi_buf_append(&o->order_start, &start, sizeof(start));
}

static void add_layer_pos(struct oci *o, const char *name, size_t len)
{
	long i = find_layer(o, name, len);
	uint32_t v = i < 0 ? UINT32_MAX : (uint32_t)i;

	lsi_buf_append(&o->order, &v, sizeof(v));
}

/* docker save: [{"Config": ..., "RepoTags": [...], "Layers": [...]}, ...] */
static void read_docker_manifest(struct oci *o, const struct doc *d)
{
	const char *e = d->text + d->len, *it = ws(d->text, e), *img;

	while ((img = next_elem(&it, e))) {
		const char *tags = get(img, e, "RepoTags"), *layers = get(img, e, "Layers");
		const char *t, *s = NULL;
		size_t sl = 0;

		/* Named by its first tag, else by its config blob. */
		if (!((t = next_elem(&tags, e)) && str_val(t, e, &s, &sl)))
			str_val(get(img, e, "Config"), e, &s, &sl);
		if (!layers || !add_image(o, s, sl))
			continue;
		while ((t = next_elem(&layers, e)))
			if (str_val(t, e, &s, &sl))
				add_layer_pos(o, s, sl);
	}
}

/* OCI: index.json -> manifest blobs -> layers (one nested index followed). */
static void read_oci_index(struct oci *o, const struct doc *d, int depth)
{
	const char *e = d->text + d->len, *ms = get(d->text, e, "manifests"), *m;

	while (ms && (m = next_elem(&ms, e))) {
		const char *dg, *layers, *l, *ref = NULL;
		const struct doc *md;
		char member[128];
		size_t dl, rl = 0;
		const char *ann = get(m, e, "annotations");

		if (!str_val(get(m, e, "digest"), e, &dg, &dl) || dl != 71 || memcmp(dg, "sha256:", 7))
			continue;
		snprintf(member, sizeof(member), "blobs/sha256/%.64s", dg + 7);
		if (!(md = find_doc(o, member, strlen(member))))
			continue;
		if (get(md->text, md->text + md->len, "manifests")) {
			if (depth < 2)
				read_oci_index(o, md, depth + 1);
			continue;
		}
		layers = get(md->text, md->text + md->len, "layers");
		if (!layers)
			continue;
		if (ann)
			str_val(get(ann, e, "org.opencontainers.image.ref.name"), e, &ref, &rl);
		if (!add_image(o, ref ? ref : member, ref ? rl : strlen(member)))
			continue;
		while ((l = next_elem(&layers, md->text + md->len))) {
			if (str_val(get(l, md->text + md->len, "digest"), md->text + md->len, &dg, &dl) &&
			    dl == 71 && memcmp(dg, "sha256:", 7) == 0) {
				snprintf(member, sizeof(member), "blobs/sha256/%.64s", dg + 7);
				add_layer_pos(o, member, strlen(member));
			}
		}
	}
}

/* ---- the analysis ---- */

struct entry {
	const char *name;
	uint32_t len, pos, file;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static int cmp_report(const void *a, const void *b)
{
	const struct report *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->by < y->by ? -1 : x->by > y->by;
}

/* Files in layers before @by whose names are @p or under @p/ (dir: under only). */
static void match(struct oci *o, const struct entry *es, size_t n, const char *p, size_t pl,
		  uint32_t by, bool dir_only, uint32_t image)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		size_t k = es[mid].len < pl ? es[mid].len : pl;
		int c = memcmp(es[mid].name, p, k);

		if (c < 0 || (c == 0 && es[mid].len < pl))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < n; i++) {
		const struct entry *x = &es[i];
		bool exact = x->len == pl, under;

		if (x->len < pl || memcmp(x->name, p, pl) != 0)
			break;
		under = pl == 0 || (x->len > pl && x->name[pl] == '/');
		if (!(exact && !dir_only) && !under)
			continue; /* a sibling such as "name2" */
		if (x->pos < by) {
			struct report r = { x->file, x->pos, by, image };

			lsi_buf_append(&o->reports, &r, sizeof(r));
		}
	}
}

static void analyse_image(struct oci *o, uint32_t image)
{
	const uint32_t *order = (const uint32_t *)o->order.data;
	const size_t *starts = (const size_t *)o->order_start.data;
	size_t first = starts[image], nimg = count_of(&o->order_start, sizeof(size_t));
	size_t last = image + 1 < nimg ? starts[image + 1] : count_of(&o->order, sizeof(uint32_t));
	const struct frec *f = (const struct frec *)o->files.data;
	size_t nf = count_of(&o->files, sizeof(*f)), ne = 0;
	uint32_t *pos_of;
	struct entry *es;
	size_t nl = count_of(&o->layers, sizeof(struct layer));

	if (last <= first || nf == 0)
		return;
	pos_of = lsi_malloc(nl * sizeof(*pos_of) + 1);
	es = lsi_malloc(nf * sizeof(*es) + 1);
	if (!pos_of || !es)
		goto out;
	for (size_t i = 0; i < nl; i++)
		pos_of[i] = UINT32_MAX;
	for (size_t i = first; i < last; i++)
		if (order[i] != UINT32_MAX && pos_of[order[i]] == UINT32_MAX)
			pos_of[order[i]] = (uint32_t)(i - first);
	for (size_t i = 0; i < nf; i++) {
		if (f[i].what != 0 || pos_of[f[i].layer] == UINT32_MAX)
			continue;
		es[ne].name = (const char *)o->names.data + f[i].name_off;
		es[ne].len = f[i].name_len;
		es[ne].pos = pos_of[f[i].layer];
		es[ne].file = (uint32_t)i;
		ne++;
	}
	qsort(es, ne, sizeof(*es), cmp_entry);
	for (size_t i = 0; i < nf; i++) {
		if (f[i].what == 0 || pos_of[f[i].layer] == UINT32_MAX)
			continue;
		match(o, es, ne, (const char *)o->names.data + f[i].name_off, f[i].name_len,
		      pos_of[f[i].layer], f[i].what == 2, image);
	}
out:
	lsi_free(pos_of);
	lsi_free(es);
}

static void analyse(struct oci *o)
{
	const struct doc *d = find_doc(o, "manifest.json", 13);
	struct report *r;
	size_t n, k = 0;

	o->analysed = true;
	if (d)
		read_docker_manifest(o, d);
	else if ((d = find_doc(o, "index.json", 10)))
		read_oci_index(o, d, 0);
	for (uint32_t i = 0; i < count_of(&o->order_start, sizeof(size_t)); i++)
		analyse_image(o, i);
	/* One finding per file, for the first layer that deleted it. */
	r = (struct report *)o->reports.data;
	n = count_of(&o->reports, sizeof(*r));
	if (n)
		qsort(r, n, sizeof(*r), cmp_report);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || r[k - 1].file != r[i].file || r[k - 1].image != r[i].image)
			r[k++] = r[i];
	o->reports.len = k * sizeof(*r);
	if (k > MAX_REPORTS) {
		o->report_more = k - MAX_REPORTS;
		o->reports.len = MAX_REPORTS * sizeof(*r);
	}
}

static const char *layer_at(const struct oci *o, uint32_t image, uint32_t pos)
{
	const size_t *starts = (const size_t *)o->order_start.data;
	uint32_t li = ((const uint32_t *)o->order.data)[starts[image] + pos];

	return ((const struct layer *)o->layers.data)[li].member;
}

static enum lsi_rd emit_report(struct oci *o, struct lsi_member *m)
{
	const struct report *r = (const struct report *)o->reports.data + o->report_pos++;
	const struct frec *f = (const struct frec *)o->files.data + r->file;
	const char *file = (const char *)o->names.data + f->name_off;
	const char *at = layer_at(o, r->image, r->at), *by = layer_at(o, r->image, r->by);
	const char *image = ((char *const *)o->images.data)[r->image];
	bool last = o->report_pos * sizeof(*r) == o->reports.len;
	struct lsi_json j;

	lsi_buf_reset(&o->r_name);
	lsi_buf_reset(&o->r_msg);
	lsi_buf_reset(&o->r_details);
	lsi_buf_puts(&o->r_name, at);
	lsi_buf_append(&o->r_msg, file, f->name_len);
	lsi_buf_printf(&o->r_msg, " was deleted in a later layer (%s) but is still in the image", by);
	if (last && o->report_more)
		lsi_buf_printf(&o->r_msg, "; %zu more deleted files not listed", o->report_more);
	lsi_json_init(&j, &o->r_details, false);
	lsi_json_obj_begin(&j);
	lsi_json_key(&j, "file");
	lsi_json_str(&j, file, f->name_len);
	lsi_json_key(&j, "layer");
	lsi_json_cstr(&j, at);
	lsi_json_key(&j, "layer_index");
	lsi_json_uint(&j, r->at);
	lsi_json_key(&j, "deleted_in");
	lsi_json_cstr(&j, by);
	lsi_json_key(&j, "deleted_in_index");
	lsi_json_uint(&j, r->by);
	lsi_json_key(&j, "image");
	lsi_json_cstr(&j, image);
	lsi_json_key(&j, "reason");
	lsi_json_cstr(&j, "deleted in a later layer");
	lsi_json_obj_end(&j);
	m->type = LSI_M_REPORT;
	m->name = lsi_buf_str(&o->r_name);
	m->name_len = o->r_name.len;
	m->report_rule = RULE;
	m->report_severity = -1;
	m->message = lsi_buf_str(&o->r_msg);
	m->details_json = j.ok ? lsi_buf_str(&o->r_details) : NULL;
	return LSI_RD_OK;
}

/* ---- members ---- */

/* Wraps up the member the pipeline was reading. */
static void finish_member(struct oci *o)
{
	if (!o->chain)
		return;
	if (o->kind == K_JSON) {
		const uint8_t *b;
		size_t n;

		/* Whatever the pipeline left unread still belongs to the document. */
		while (o->kind == K_JSON && !o->chain_eof &&
		       lsi_bstream_read(o->chain, &b, &n) == LSI_RD_OK)
			if (!lsi_buf_append(&o->capture, b, n))
				o->kind = K_PASS;
	}
	if (o->kind == K_JSON && o->capture.len && o->json_total + o->capture.len <= MAX_JSON_TOTAL) {
		const char *t = lsi_buf_str(&o->capture), *e = t + o->capture.len;
		struct doc d = { NULL, NULL, o->capture.len };

		/* Only documents that order layers are kept. */
		if (strcmp(lsi_buf_str(&o->member), "manifest.json") == 0 ||
		    get(t, e, "manifests") || get(t, e, "layers")) {
			d.member = lsi_strdup(lsi_buf_str(&o->member));
			d.text = lsi_buf_steal(&o->capture);
			if (d.member && d.text && lsi_buf_append(&o->docs, &d, sizeof(d))) {
				o->json_total += d.len;
			} else {
				lsi_free(d.member);
				lsi_free(d.text);
			}
		}
	}
	lsi_buf_reset(&o->capture);
	lsi_bstream_close(o->chain);
	o->chain = NULL;
	o->kind = K_PASS;
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
	static const struct lsi_guard none = { 0, 0, NULL, 0 };
	const uint8_t *head;
	size_t hl, len = m->name_len;
	enum lsi_rd st;
	const struct lsi_decoder_ops *dec;
	const char *name = strip_dot(m->name, &len);
	struct lsi_bstream *s = lsi_bstream_peek(m->data, LSI_SNIFF_LEN, &head, &hl, &st);

	if (!s)
		return LSI_RD_NOMEM;
	o->chain = s;
	o->chain_eof = false;
	o->kind = K_PASS;
	dec = hl ? lsi_decoder_sniff(head, hl) : NULL;
	if (dec) {
		struct lsi_bstream *d = dec->open(s, o->lim.guard ? o->lim.guard : &none);

		o->chain = d ? lsi_bstream_peek(d, LSI_SNIFF_LEN, &head, &hl, &st) : NULL;
		if (!o->chain)
			return LSI_RD_NOMEM;
		m->size = -1;
	}
	/* The name (without "./") is what manifests refer to. */
	lsi_buf_reset(&o->member);
	lsi_buf_append(&o->member, name, len);
	if (hl >= BLOCK && header_ok(head)) {
		struct layer l = { lsi_strndup(name, len), false };

		if (l.member && count_of(&o->layers, sizeof(l)) < UINT32_MAX &&
		    lsi_buf_append(&o->layers, &l, sizeof(l))) {
			struct observer *ob = &o->obs;

			ob->layer = (uint32_t)(count_of(&o->layers, sizeof(l)) - 1);
			ob->fill = 0;
			ob->skip = ob->meta_left = 0;
			ob->ended = false;
			lsi_buf_reset(&ob->long_name);
			lsi_buf_reset(&ob->pax_path);
			o->kind = K_LAYER;
		} else {
			lsi_free(l.member);
		}
	} else if (!dec && m->size >= 0 && m->size <= MAX_JSON && is_json_head(head, hl)) {
		o->kind = K_JSON;
		lsi_buf_reset(&o->capture);
	}
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
	if (o->analysed) {
		memset(m, 0, sizeof(*m));
		if (o->report_pos * sizeof(struct report) < o->reports.len)
			return emit_report(o, m);
		return LSI_RD_EOF;
	}
	st = lsi_container_tar.next(o->tar, m, msg);
	if (st == LSI_RD_EOF) {
		analyse(o);
		return oci_next(o, m, msg);
	}
	if (st != LSI_RD_OK)
		return st;
	if (m->type == LSI_M_SYMLINK && m->link) {
		size_t nl = m->name_len;
		const char *n = strip_dot(m->name, &nl);
		struct link k = { lsi_strndup(n, nl), lsi_strdup(m->link) };

		if (!k.member || !k.target || !lsi_buf_append(&o->links, &k, sizeof(k))) {
			lsi_free(k.member);
			lsi_free(k.target);
		}
	}
	if (m->type == LSI_M_FILE && m->data)
		return wrap_member(o, m);
	return LSI_RD_OK;
}

const struct lsi_container_ops lsi_container_oci = {
	"oci", BLOCK, oci_probe, oci_open, oci_next, oci_close,
};
