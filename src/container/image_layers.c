/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The whiteout analysis of a container image (used by oci.c): while the
 * pipeline reads each layer, a header-only walk of the same bytes records
 * the layer's file names and whiteouts (.wh.<name>, .wh..wh..opq), capped;
 * the manifests (docker's manifest.json, or OCI's index.json and manifest
 * blobs) are picked apart by the shared JSON tokenizer as they stream by,
 * keeping only the strings that order the layers. After the image, each
 * file present in a layer but deleted by a later one becomes a report.
 * Nothing here reads a stream: it is fed bytes, so nothing is read twice.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "image_layers.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json_read.h"
#include "util/json_write.h"

#define BLOCK 512
#define MAX_MANIFEST_STRS (4u << 20) /* strings picked out of manifests, per image */
#define MAX_STR 1024                 /* one such string (a tag, a path, a digest) */
#define MAX_KEY 48                   /* longer keys are none we look for */
#define MAX_NAMES (16u << 20)        /* layer file names kept for the analysis */
#define MAX_FILES (1u << 20)         /* layer file records kept */
#define MAX_META (64u * 1024u)       /* a pax record or long name in a layer */
#define MAX_REPORTS 1000             /* deleted-file findings per image tarball */
#define JSON_DEPTH 8                 /* keys remembered; we look at depth 4 at most */
#define JSON_MAX_DEPTH 64            /* nesting the tokenizer accepts */

struct frec {                /* a regular file or whiteout seen in a layer */
	uint32_t layer;
	uint32_t name_off, name_len;
	uint8_t what;            /* 0 file, 1 whiteout of name, 2 opaque dir name */
};

struct layer {
	char *member;            /* member name in the image tar, without "./" */
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

struct report {
	uint32_t file, at, by;   /* file record, its layer's and the deleting layer's position */
	uint32_t image;
};

struct lsi_layers {
	enum { L_NONE, L_LAYER, L_JSON } kind; /* the member being fed */
	struct observer obs;
	struct jwalk jw;
	struct lsi_buf member;      /* its name, without "./" */
	struct lsi_buf layers, files, names, docs, links; /* arrays, capped */
	struct lsi_buf strs;        /* what manifests said: see struct doc */
	bool names_full;
	struct lsi_buf reports;     /* struct report */
	size_t report_more;
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

const char *lsi_image_name(const char *s, size_t *len)
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

/* A ustar (or GNU, or pax) header with a valid checksum. */
bool lsi_tar_header_ok(const uint8_t *h)
{
	uint64_t want = 0, us;
	int64_t ss;
	size_t i = 148;

	if (memcmp(h + 257, "ustar", 5) != 0)
		return false;
	while (i < 156 && (h[i] == ' ' || h[i] == '\0'))
		i++;
	for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++)
		want = want * 8 + (uint64_t)(h[i] - '0');
	us = lsi_tar_sum(h, &ss);
	return want == us || (int64_t)want == ss;
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

/* Records a regular file of the current layer: a file, or a whiteout. */
static void record(struct lsi_layers *o, const char *name, size_t len)
{
	struct frec r = { o->obs.layer, (uint32_t)o->names.len, 0, 0 };
	const char *base;
	size_t dlen;
	bool ok;

	name = lsi_image_name(name, &len);
	while (len && name[len - 1] == '/')
		len--;
	base = memrchr(name, '/', len);
	base = base ? base + 1 : name;
	dlen = (size_t)(base - name); /* the directory, with its '/' */
	if (len - dlen == 12 && memcmp(base, ".wh..wh..opq", 12) == 0) {
		/* Opaque: everything below the directory in lower layers is gone. */
		r.what = 2;
		r.name_len = (uint32_t)(dlen ? dlen - 1 : 0);
		ok = lsi_buf_append(&o->names, name, r.name_len);
	} else if (len - dlen > 4 && memcmp(base, ".wh.", 4) == 0) {
		/* The deleted path: the directory plus the rest of the name. */
		r.what = 1;
		r.name_len = (uint32_t)(len - 4);
		ok = lsi_buf_append(&o->names, name, dlen) &&
		     lsi_buf_append(&o->names, base + 4, len - dlen - 4);
	} else {
		r.name_len = (uint32_t)len;
		ok = lsi_buf_append(&o->names, name, len);
	}
	if (!ok || !lsi_buf_append(&o->files, &r, sizeof(r)))
		o->names_full = true; /* the analysis goes on with what it has */
}

static void observe_header(struct lsi_layers *o)
{
	struct observer *ob = &o->obs;
	const uint8_t *h = ob->hdr;
	uint64_t size = octal(h + 124, 12), pad = (BLOCK - size % BLOCK) % BLOCK;
	char type = (char)h[156];

	if (block_zero(h) || !lsi_tar_header_ok(h)) {
		/* End of archive, or damage (the tar reader reports it): the
		 * rest of this layer is not analysed. */
		ob->ended = true;
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

static void observe(struct lsi_layers *o, const uint8_t *b, size_t n)
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

/* ---- manifests, picked out of JSON as it streams by ---- */

static void jwalk_start(struct lsi_layers *o)
{
	struct jwalk *w = &o->jw;

	lsi_jr_init(&w->jr, w->piece, sizeof(w->piece), JSON_MAX_DEPTH);
	w->top = 0;
	memset(w->keys, 0, sizeof(w->keys));
	w->key_len = 0;
	w->key_long = false;
	lsi_buf_reset(&w->str);
	w->str_long = false;
	w->off = o->strs.len;
	w->done = w->failed = false;
}

static void add_str(struct lsi_layers *o, char tag, const void *p, size_t n)
{
	if (!lsi_buf_putc(&o->strs, tag) || !lsi_buf_append(&o->strs, p, n) ||
	    !lsi_buf_putc(&o->strs, '\0'))
		o->jw.failed = true; /* out of room: this member's records are dropped */
}

static bool key_is(const struct jwalk *w, int depth, const char *k)
{
	return depth < JSON_DEPTH && strcmp(w->keys[depth], k) == 0;
}

/* A whole string value at @depth: keep it if it orders layers. */
static void jwalk_string(struct lsi_layers *o, int depth)
{
	struct jwalk *w = &o->jw;
	const char *v = lsi_buf_str(&w->str);
	size_t n = w->str.len;

	if (w->str_long)
		return;
	if (w->top == LSI_JR_ARR_BEGIN) {
		/* docker: [{"Config": "...", "RepoTags": ["..."], "Layers": ["..."]}] */
		if (depth == 3 && key_is(w, 2, "Layers"))
			add_str(o, 'L', v, n);
		else if (depth == 3 && key_is(w, 2, "RepoTags"))
			add_str(o, 'T', v, n);
		else if (depth == 2 && key_is(w, 2, "Config"))
			add_str(o, 'C', v, n);
	} else if (key_is(w, 1, "manifests")) {
		/* OCI index: {"manifests": [{"digest": ..., "annotations": {ref.name}}]} */
		if (depth == 3 && key_is(w, 3, "digest"))
			add_str(o, 'D', v, n);
		else if (depth == 4 && key_is(w, 3, "annotations") &&
			 key_is(w, 4, "org.opencontainers.image.ref.name"))
			add_str(o, 'R', v, n);
	} else if (key_is(w, 1, "layers") && depth == 3 && key_is(w, 3, "digest")) {
		/* OCI manifest: {"layers": [{"digest": ...}]} */
		add_str(o, 'L', v, n);
	}
}

/* Pulls every token the fed bytes make. */
static void jwalk_pull(struct lsi_layers *o)
{
	struct jwalk *w = &o->jw;
	struct lsi_jr_event ev;

	while (!w->done && !w->failed) {
		switch (lsi_jr_next(&w->jr, &ev)) {
		case LSI_JR_NEED_INPUT:
			return;
		case LSI_JR_ERROR:
			w->failed = true;
			return;
		case LSI_JR_END:
			w->done = true;
			return;
		case LSI_JR_ARR_BEGIN:
		case LSI_JR_OBJ_BEGIN:
			if (ev.depth == 0)
				w->top = ev.tok;
			else if (ev.tok == LSI_JR_OBJ_BEGIN && ev.depth == 1 && w->top == LSI_JR_ARR_BEGIN)
				add_str(o, 'I', "", 0);
			else if (ev.tok == LSI_JR_OBJ_BEGIN && ev.depth == 2 &&
				 w->top == LSI_JR_OBJ_BEGIN && key_is(w, 1, "manifests"))
				add_str(o, 'M', "", 0);
			/* A new container: keys below it are not its own yet. */
			for (int d = ev.depth + 1; d < JSON_DEPTH; d++)
				w->keys[d][0] = '\0';
			break;
		case LSI_JR_KEY:
			if (ev.first) {
				w->key_len = 0;
				w->key_long = false;
			}
			if (w->key_len + ev.n > MAX_KEY)
				w->key_long = true;
			else {
				memcpy(w->key + w->key_len, ev.p, ev.n);
				w->key_len += ev.n;
			}
			if (ev.last && ev.depth < JSON_DEPTH) {
				w->key[w->key_long ? 0 : w->key_len] = '\0';
				memcpy(w->keys[ev.depth], w->key, sizeof(w->key));
			}
			break;
		case LSI_JR_STR:
			if (ev.first) {
				lsi_buf_reset(&w->str);
				w->str_long = false;
			}
			if (!w->str_long && !lsi_buf_append(&w->str, ev.p, ev.n))
				w->str_long = true;
			if (ev.last)
				jwalk_string(o, ev.depth);
			break;
		default:
			break;
		}
	}
}

static void jwalk_feed(struct lsi_layers *o, const uint8_t *b, size_t n)
{
	if (o->jw.done || o->jw.failed)
		return;
	lsi_jr_feed(&o->jw.jr, b, n);
	jwalk_pull(o);
}

/* The member ended: keep what it said if it was whole, valid JSON. */
static void jwalk_end(struct lsi_layers *o)
{
	struct jwalk *w = &o->jw;
	struct doc d = { NULL, w->off, o->strs.len };

	if (!w->done && !w->failed) {
		lsi_jr_finish(&w->jr);
		jwalk_pull(o);
	}
	if (w->done && !w->failed && d.end > d.off && (d.member = lsi_strdup(lsi_buf_str(&o->member))) &&
	    lsi_buf_append(&o->docs, &d, sizeof(d)))
		return;
	lsi_free(d.member);
	o->strs.len = w->off; /* drop its records */
}

/* ---- layer order ---- */

static const struct doc *find_doc(const struct lsi_layers *o, const char *member, size_t len)
{
	const struct doc *d = (const struct doc *)o->docs.data;

	for (size_t i = 0; i < count_of(&o->docs, sizeof(*d)); i++)
		if (strlen(d[i].member) == len && memcmp(d[i].member, member, len) == 0)
			return &d[i];
	return NULL;
}

/* The next record of @d after *pos (start at d->off); NULL at its end. */
static const char *next_rec(const struct lsi_layers *o, const struct doc *d, size_t *pos, char *tag)
{
	const char *r;

	if (*pos >= d->end)
		return NULL;
	r = (const char *)o->strs.data + *pos;
	*tag = r[0];
	*pos += strlen(r) + 1;
	return r + 1;
}

/* The layer index whose member is @name (following one symlink), or -1. */
static long find_layer(const struct lsi_layers *o, const char *name, size_t len)
{
	const struct layer *l = (const struct layer *)o->layers.data;
	const struct link *k = (const struct link *)o->links.data;
	char resolved[1024];

	name = lsi_image_name(name, &len);
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

static bool add_image(struct lsi_layers *o, const char *label)
{
	char *s = lsi_strdup(label);
	size_t start = count_of(&o->order, sizeof(uint32_t));

	if (!s)
		return false;
	if (!lsi_buf_append(&o->images, &s, sizeof(s))) {
		lsi_free(s);
		return false;
	}
	return lsi_buf_append(&o->order_start, &start, sizeof(start));
}

static void add_layer_pos(struct lsi_layers *o, const char *name)
{
	long i = find_layer(o, name, strlen(name));
	uint32_t v = i < 0 ? UINT32_MAX : (uint32_t)i;

	lsi_buf_append(&o->order, &v, sizeof(v));
}

/* docker save: images in manifest.json, each named by its first tag, else its config. */
static void read_docker_manifest(struct lsi_layers *o, const struct doc *d)
{
	size_t pos = d->off;
	const char *v;
	char tag;

	while ((v = next_rec(o, d, &pos, &tag))) {
		size_t p2 = pos;
		const char *first_tag = NULL, *config = NULL, *w;
		char t2;

		if (tag != 'I')
			continue;
		/* This image's records run to the next 'I'. */
		while ((w = next_rec(o, d, &p2, &t2)) && t2 != 'I') {
			if (t2 == 'T' && !first_tag)
				first_tag = w;
			else if (t2 == 'C' && !config)
				config = w;
		}
		if (!add_image(o, first_tag ? first_tag : config ? config : ""))
			return;
		p2 = pos;
		while ((w = next_rec(o, d, &p2, &t2)) && t2 != 'I')
			if (t2 == 'L')
				add_layer_pos(o, w);
	}
}

static bool blob_of(const char *digest, char *member, size_t cap)
{
	if (strlen(digest) != 71 || strncmp(digest, "sha256:", 7) != 0)
		return false;
	snprintf(member, cap, "blobs/sha256/%s", digest + 7);
	return true;
}

/* OCI: index.json -> manifest blobs -> layer digests (one nested index followed). */
static void read_oci_index(struct lsi_layers *o, const struct doc *d, int depth)
{
	size_t pos = d->off;
	const char *v, *digest = NULL, *ref = NULL;
	char tag;

	for (;;) {
		v = next_rec(o, d, &pos, &tag);
		if ((!v || tag == 'M') && digest) {
			/* One manifest entry is complete. */
			char member[128], lm[128];
			const struct doc *md;

			if (blob_of(digest, member, sizeof(member)) &&
			    (md = find_doc(o, member, strlen(member)))) {
				size_t p2 = md->off;
				const char *w;
				char t2;
				bool nested = false;

				while ((w = next_rec(o, md, &p2, &t2)))
					nested |= t2 == 'M';
				if (nested) {
					if (depth < 2)
						read_oci_index(o, md, depth + 1);
				} else if (add_image(o, ref ? ref : member)) {
					for (p2 = md->off; (w = next_rec(o, md, &p2, &t2));)
						if (t2 == 'L' && blob_of(w, lm, sizeof(lm)))
							add_layer_pos(o, lm);
				}
			}
			digest = ref = NULL;
		}
		if (!v)
			return;
		if (tag == 'D')
			digest = v;
		else if (tag == 'R')
			ref = v;
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
static void match(struct lsi_layers *o, const struct entry *es, size_t n, const char *p, size_t pl,
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

static void analyse_image(struct lsi_layers *o, uint32_t image)
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

size_t lsi_layers_analyse(struct lsi_layers *o)
{
	const struct doc *d = find_doc(o, "manifest.json", 13);
	struct report *r;
	size_t n, k = 0;

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
	return count_of(&o->reports, sizeof(*r));
}

static const char *layer_at(const struct lsi_layers *o, uint32_t image, uint32_t pos)
{
	const size_t *starts = (const size_t *)o->order_start.data;
	uint32_t li = ((const uint32_t *)o->order.data)[starts[image] + pos];

	return ((const struct layer *)o->layers.data)[li].member;
}

void lsi_layers_report(struct lsi_layers *o, size_t i, const char **layer, const char **msg,
		       const char **details)
{
	const struct report *r = (const struct report *)o->reports.data + i;
	const struct frec *f = (const struct frec *)o->files.data + r->file;
	const char *file = (const char *)o->names.data + f->name_off;
	const char *at = layer_at(o, r->image, r->at), *by = layer_at(o, r->image, r->by);
	const char *image = ((char *const *)o->images.data)[r->image];
	bool last = (i + 1) * sizeof(*r) == o->reports.len;
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
	*layer = lsi_buf_str(&o->r_name);
	*msg = lsi_buf_str(&o->r_msg);
	*details = j.ok ? lsi_buf_str(&o->r_details) : NULL;
}

static void free_strings(struct lsi_buf *b, size_t elem, size_t nptr)
{
	for (size_t i = 0; i < count_of(b, elem); i++)
		for (size_t k = 0; k < nptr; k++)
			lsi_free(((char **)(b->data + i * elem))[k]);
	lsi_buf_fini(b);
}


/* ---- the interface ---- */

struct lsi_layers *lsi_layers_new(void)
{
	struct lsi_layers *o = lsi_calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	lsi_buf_init(&o->jw.str, MAX_STR);
	lsi_buf_init(&o->strs, MAX_MANIFEST_STRS);
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

void lsi_layers_free(struct lsi_layers *o)
{
	if (!o)
		return;
	free_strings(&o->layers, sizeof(struct layer), 1);
	free_strings(&o->docs, sizeof(struct doc), 1);
	free_strings(&o->links, sizeof(struct link), 2);
	free_strings(&o->images, sizeof(char *), 1);
	lsi_buf_fini(&o->jw.str);
	lsi_buf_fini(&o->strs);
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

static void set_member(struct lsi_layers *o, const char *name, size_t len)
{
	name = lsi_image_name(name, &len);
	lsi_buf_reset(&o->member);
	lsi_buf_append(&o->member, name, len);
}

void lsi_layers_begin_layer(struct lsi_layers *o, const char *name, size_t len)
{
	struct layer l;
	struct observer *ob = &o->obs;

	lsi_layers_end(o);
	set_member(o, name, len);
	l.member = lsi_strdup(lsi_buf_str(&o->member));
	if (!l.member || count_of(&o->layers, sizeof(l)) >= UINT32_MAX ||
	    !lsi_buf_append(&o->layers, &l, sizeof(l))) {
		lsi_free(l.member);
		return;
	}
	ob->layer = (uint32_t)(count_of(&o->layers, sizeof(l)) - 1);
	ob->fill = 0;
	ob->skip = ob->meta_left = 0;
	ob->ended = false;
	lsi_buf_reset(&ob->long_name);
	lsi_buf_reset(&ob->pax_path);
	o->kind = L_LAYER;
}

void lsi_layers_begin_json(struct lsi_layers *o, const char *name, size_t len)
{
	lsi_layers_end(o);
	set_member(o, name, len);
	jwalk_start(o);
	o->kind = L_JSON;
}

void lsi_layers_feed(struct lsi_layers *o, const uint8_t *b, size_t n)
{
	if (o->kind == L_LAYER)
		observe(o, b, n);
	else if (o->kind == L_JSON)
		jwalk_feed(o, b, n);
}

bool lsi_layers_wants_more(const struct lsi_layers *o)
{
	return o->kind == L_JSON && !o->jw.done && !o->jw.failed;
}

void lsi_layers_end(struct lsi_layers *o)
{
	if (o->kind == L_JSON)
		jwalk_end(o);
	o->kind = L_NONE;
}

void lsi_layers_link(struct lsi_layers *o, const char *name, size_t len, const char *target)
{
	struct link k;

	name = lsi_image_name(name, &len);
	k.member = lsi_strndup(name, len);
	k.target = lsi_strdup(target);
	if (!k.member || !k.target || !lsi_buf_append(&o->links, &k, sizeof(k))) {
		lsi_free(k.member);
		lsi_free(k.target);
	}
}
