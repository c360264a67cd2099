/* SPDX-License-Identifier: Apache-2.0 */
/*
 * .git folders (gitdir.h): per-root counters fed from member names, small
 * observing streams for config, packed-refs and pack headers, and the
 * name-aware decode of loose objects (zlib, then the "blob 123\0" header
 * dropped); packs are handed to the pack container. State is bounded:
 * at most LSI_GITDIR_MAX_ROOTS roots, each with counters and at most
 * LSI_GITDIR_CONFIG_MAX bytes of config.
 */
#include "gitdir.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "container/gitpack.h"
#include "decode/decode.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json_write.h"

#define REMOTE_MAX 512

struct root {
	char *name;              /* up to and including ".git" */
	uint64_t loose, packed, packs, pack_bytes, refs;
	bool config_seen;
	struct lsi_buf config;   /* the first config member, capped */
};

struct lsi_gitdir {
	struct root *roots[LSI_GITDIR_MAX_ROOTS];
	size_t count;
	bool limit_noted;
};

static bool is_hex(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

/* Length of the root prefix ("x/.git") of @name, or 0 when not under one. */
static size_t root_len(const char *name)
{
	for (const char *p = name; (p = strstr(p, ".git")); p++) {
		if ((p == name || p[-1] == '/') && (p[4] == '/' || p[4] == '\0'))
			return (size_t)(p - name) + 4;
	}
	return 0;
}

static void root_free(struct root *r)
{
	if (!r)
		return;
	lsi_free(r->name);
	lsi_buf_fini(&r->config);
	lsi_free(r);
}

void lsi_gitdir_free(struct lsi_gitdir *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->count; i++)
		root_free(g->roots[i]);
	lsi_free(g);
}

/* The root @name (of @len bytes) lies under; created on first sight. */
static struct root *find_root(ls_scanner *s, struct lsi_gitdir *g, const char *name, size_t len,
			      bool *nomem)
{
	struct root *r;

	for (size_t i = 0; i < g->count; i++)
		if (strlen(g->roots[i]->name) == len && memcmp(g->roots[i]->name, name, len) == 0)
			return g->roots[i];
	if (g->count == LSI_GITDIR_MAX_ROOTS || len > LSI_GITDIR_MAX_ROOT_LEN) {
		if (!g->limit_noted) {
			char msg[160];

			g->limit_noted = true;
			snprintf(msg, sizeof(msg), "git folders: only %d .git folders (with names up to "
				 "%d bytes) are counted in one container", LSI_GITDIR_MAX_ROOTS,
				 LSI_GITDIR_MAX_ROOT_LEN);
			lsi_pipeline_note(s, LS_NOTE_LIMIT, "A scan limit was reached",
					  LS_CAT_DEBUG_INFO, msg);
		}
		return NULL;
	}
	if (!(r = lsi_calloc(1, sizeof(*r))) || !(r->name = lsi_strndup(name, len))) {
		lsi_free(r);
		*nomem = true;
		return NULL;
	}
	lsi_buf_init(&r->config, LSI_GITDIR_CONFIG_MAX);
	g->roots[g->count++] = r;
	return r;
}

/* Streams that watch a member go by, on behalf of its root. */
enum watch_kind { W_CONFIG, W_PACKED_REFS, W_PACK };

struct watch {
	struct lsi_bstream base;
	struct lsi_bstream *in;
	struct root *r;          /* lives until the flush, after this stream closes */
	enum watch_kind kind;
	int64_t size;            /* the member's size, -1 when unknown */
	uint64_t seen;
	bool line_start;
	uint8_t head[12];        /* a pack's header */
};

static enum lsi_rd watch_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct watch *w = (struct watch *)bs;
	enum lsi_rd rd = lsi_bstream_read(w->in, buf, len);

	if (rd != LSI_RD_OK) {
		if (rd != LSI_RD_EOF)
			memcpy(bs->msg, w->in->msg, sizeof(bs->msg));
		return rd;
	}
	switch (w->kind) {
	case W_CONFIG: {
		size_t room = w->r->config.max - w->r->config.len;

		/* What does not fit is not needed: the remote comes early. */
		lsi_buf_append(&w->r->config, *buf, *len < room ? *len : room);
		break;
	}
	case W_PACKED_REFS:
		/* A ref line starts with its object id; '#' and '^' lines do not count. */
		for (size_t i = 0; i < *len; i++) {
			uint8_t c = (*buf)[i];

			if (w->line_start && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				w->r->refs++;
			w->line_start = c == '\n';
		}
		break;
	case W_PACK:
		for (size_t i = 0; i < *len && w->seen + i < sizeof(w->head); i++)
			w->head[w->seen + i] = (*buf)[i];
		break;
	}
	w->seen += *len;
	return LSI_RD_OK;
}

static void watch_close(struct lsi_bstream *bs)
{
	struct watch *w = (struct watch *)bs;

	if (w->kind == W_PACK) {
		w->r->packs++;
		w->r->pack_bytes += w->size >= 0 ? (uint64_t)w->size : w->seen;
		/* "PACK", version 2 or 3, object count (big-endian). */
		if (w->seen >= 12 && memcmp(w->head, "PACK", 4) == 0 && w->head[4] == 0 &&
		    w->head[5] == 0 && w->head[6] == 0 && (w->head[7] == 2 || w->head[7] == 3))
			w->r->packed += (uint64_t)w->head[8] << 24 | (uint64_t)w->head[9] << 16 |
					(uint64_t)w->head[10] << 8 | w->head[11];
	}
	lsi_bstream_close(w->in);
	lsi_free(w);
}

static const struct lsi_bstream_ops watch_ops = { watch_read, watch_close };

/* A loose object's content: the zlib output without "type size\0". */
struct gitobj {
	struct lsi_bstream base;
	struct lsi_bstream *in;
	bool hdr_done;
	size_t hdr_len;
	const uint8_t *pend;     /* bytes of the block after a non-header */
	size_t pend_len;
	uint8_t hdr[32];         /* "commit 12345678901234567890\0" fits */
};

static enum lsi_rd gitobj_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct gitobj *o = (struct gitobj *)bs;

	if (o->pend_len) {
		*buf = o->pend;
		*len = o->pend_len;
		o->pend_len = 0;
		return LSI_RD_OK;
	}
	for (;;) {
		const uint8_t *b;
		size_t n;
		enum lsi_rd rd = lsi_bstream_read(o->in, &b, &n);

		if (rd != LSI_RD_OK) {
			if (rd == LSI_RD_EOF && !o->hdr_done && o->hdr_len) {
				/* No header after all: what was held is content. */
				o->hdr_done = true;
				*buf = o->hdr;
				*len = o->hdr_len;
				return LSI_RD_OK;
			}
			if (rd != LSI_RD_EOF)
				memcpy(bs->msg, o->in->msg, sizeof(bs->msg));
			return rd;
		}
		if (o->hdr_done) {
			*buf = b;
			*len = n;
			return LSI_RD_OK;
		}
		for (size_t i = 0; i < n; i++) {
			if (b[i] == 0) {
				o->hdr_done = true;
				if (i + 1 == n)
					break;
				*buf = b + i + 1;
				*len = n - i - 1;
				return LSI_RD_OK;
			}
			if (o->hdr_len == sizeof(o->hdr)) {
				o->hdr_done = true;
				o->pend = b + i;
				o->pend_len = n - i;
				*buf = o->hdr;
				*len = o->hdr_len;
				return LSI_RD_OK;
			}
			o->hdr[o->hdr_len++] = b[i];
		}
	}
}

static void gitobj_close(struct lsi_bstream *bs)
{
	struct gitobj *o = (struct gitobj *)bs;

	lsi_bstream_close(o->in);
	lsi_free(o);
}

static const struct lsi_bstream_ops gitobj_ops = { gitobj_read, gitobj_close };

/* Wraps a loose object: NULL on OOM (then *data is untouched). */
static ls_status open_object(ls_scanner *s, struct lsi_bstream **data, int64_t *size_hint)
{
	const uint8_t *head;
	size_t head_len;
	enum lsi_rd rd;
	struct lsi_bstream *p = lsi_bstream_peek(*data, 2, &head, &head_len, &rd);
	struct lsi_guard g = lsi_pipeline_guard(s);
	struct gitobj *o;
	struct lsi_bstream *z;

	if (!p)
		return LS_ERR_NOMEM;
	*data = p;
	if (!lsi_decoder_zlib.probe(head, head_len))
		return LS_OK; /* not zlib: scanned as it is */
	if (!(o = lsi_calloc(1, sizeof(*o))))
		return LS_ERR_NOMEM;
	if (!(z = lsi_decoder_zlib.open(p, &g))) {
		/* The decoder closed p; nothing is left to scan. */
		lsi_free(o);
		*data = NULL;
		return LS_ERR_NOMEM;
	}
	o->base.ops = &gitobj_ops;
	o->in = z;
	*data = &o->base;
	*size_hint = -1;
	return LS_OK;
}

static ls_status open_watch(struct root *r, enum watch_kind kind, int64_t size,
			    struct lsi_bstream **data)
{
	struct watch *w = lsi_calloc(1, sizeof(*w));

	if (!w)
		return LS_ERR_NOMEM;
	w->base.ops = &watch_ops;
	w->in = *data;
	w->r = r;
	w->kind = kind;
	w->size = size;
	w->line_start = true;
	*data = &w->base;
	return LS_OK;
}

ls_status lsi_gitdir_member(ls_scanner *s, struct lsi_gitdir **g, const char *name,
			    bool is_file, int64_t size, struct lsi_bstream **data,
			    int64_t *size_hint, const struct lsi_container_ops **open_as)
{
	size_t rl = root_len(name);
	const char *rest = name + rl;
	size_t rest_len;
	struct root *r;
	bool nomem = false;

	*open_as = NULL;
	if (!rl)
		return LS_OK;
	if (!*g && !(*g = lsi_calloc(1, sizeof(**g))))
		return LS_ERR_NOMEM;
	if (!(r = find_root(s, *g, name, rl, &nomem)))
		return nomem ? LS_ERR_NOMEM : LS_OK;
	if (*rest == '/')
		rest++;
	rest_len = strlen(rest);
	if (!is_file)
		return LS_OK;
	if (strncmp(rest, "objects/", 8) == 0 && (rest_len == 8 + 2 + 1 + 38 ||
						  rest_len == 8 + 2 + 1 + 62) &&
	    rest[10] == '/' && is_hex(rest + 8, 2) && is_hex(rest + 11, rest_len - 11)) {
		r->loose++;
		return data && *data ? open_object(s, data, size_hint) : LS_OK;
	}
	if (strncmp(rest, "objects/pack/", 13) == 0 && rest_len > 18 &&
	    strcmp(rest + rest_len - 5, ".pack") == 0) {
		if (!data || !*data)
			return LS_OK;
		*open_as = &lsi_container_gitpack;
		*size_hint = -1;
		return open_watch(r, W_PACK, size, data);
	}
	if (strncmp(rest, "refs/", 5) == 0) {
		r->refs++;
		return LS_OK;
	}
	if (strcmp(rest, "packed-refs") == 0)
		return data && *data ? open_watch(r, W_PACKED_REFS, size, data) : LS_OK;
	if (strcmp(rest, "config") == 0 && !r->config_seen) {
		r->config_seen = true;
		return data && *data ? open_watch(r, W_CONFIG, size, data) : LS_OK;
	}
	return LS_OK;
}

/* Masks what authenticates in a URL's user part ("https://user:TOKEN@host"). */
static void mask_userinfo(const char *url, size_t len, char *out, size_t cap)
{
	const char *scheme = memmem(url, len, "://", 3);
	const char *host = scheme ? scheme + 3 : NULL, *at = NULL, *colon = NULL;
	struct lsi_buf b;

	if (host) {
		for (const char *p = host; p < url + len && *p != '/'; p++) {
			if (*p == '@')
				at = p;
			else if (*p == ':' && !at && !colon)
				colon = p;
		}
	}
	lsi_buf_init(&b, cap - 1);
	if (!at) {
		lsi_buf_append(&b, url, len < cap - 1 ? len : cap - 1);
	} else if (colon && colon < at) {
		/* user:password@host: keep the user */
		lsi_buf_append(&b, url, (size_t)(colon - url) + 1);
		lsi_buf_puts(&b, "***");
		lsi_buf_append(&b, at, (size_t)(url + len - at));
	} else {
		/* token@host: the user part may be the token itself */
		lsi_buf_append(&b, url, (size_t)(host - url));
		lsi_buf_puts(&b, "***");
		lsi_buf_append(&b, at, (size_t)(url + len - at));
	}
	snprintf(out, cap, "%s", lsi_buf_str(&b));
	lsi_buf_fini(&b);
}

bool lsi_gitdir_config_remote(const char *cfg, size_t len, char *out, size_t cap)
{
	const char *p = cfg, *end = cfg + len;
	bool in_remote = false;

	if (!cap)
		return false;
	out[0] = '\0';
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *q = p;

		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		if (q < le && *q == '[') {
			in_remote = (size_t)(le - q) > 7 && strncasecmp(q + 1, "remote", 6) == 0 &&
				    (q[7] == ' ' || q[7] == '\t' || q[7] == '"' || q[7] == '.');
		} else if (in_remote && (size_t)(le - q) > 3 && strncasecmp(q, "url", 3) == 0) {
			const char *v = q + 3, *ve = le;

			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			if (v < le && *v == '=') {
				v++;
				while (v < le && (*v == ' ' || *v == '\t'))
					v++;
				while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
					ve--;
				if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
					v++;
					ve--;
				}
				if (ve > v) {
					mask_userinfo(v, (size_t)(ve - v), out, cap);
					return true;
				}
			}
		}
		p = nl ? nl + 1 : end;
	}
	return false;
}

static ls_status report_root(ls_scanner *s, const struct root *r)
{
	struct lsi_buf d, msg;
	struct lsi_json j;
	char remote[REMOTE_MAX];
	bool has_remote = r->config.len &&
			  lsi_gitdir_config_remote(lsi_buf_str(&r->config), r->config.len, remote,
						   sizeof(remote));
	ls_status st;

	lsi_buf_init(&d, 1 << 16);
	lsi_buf_init(&msg, 1 << 12);
	lsi_json_init(&j, &d, false);
	lsi_json_obj_begin(&j);
	lsi_json_key(&j, "objects");
	lsi_json_uint(&j, r->loose + r->packed);
	lsi_json_key(&j, "loose_objects");
	lsi_json_uint(&j, r->loose);
	lsi_json_key(&j, "packed_objects");
	lsi_json_uint(&j, r->packed);
	lsi_json_key(&j, "packs");
	lsi_json_uint(&j, r->packs);
	lsi_json_key(&j, "pack_bytes");
	lsi_json_uint(&j, r->pack_bytes);
	lsi_json_key(&j, "refs");
	lsi_json_uint(&j, r->refs);
	lsi_json_key(&j, "remote");
	if (has_remote)
		lsi_json_cstr(&j, remote);
	else
		lsi_json_null(&j);
	lsi_json_obj_end(&j);
	lsi_buf_printf(&msg, "git repository: %" PRIu64 " objects (%" PRIu64 " loose, %" PRIu64
		       " in %" PRIu64 " packs), %" PRIu64 " refs%s%s",
		       r->loose + r->packed, r->loose, r->packed, r->packs, r->refs,
		       has_remote ? ", remote " : "", has_remote ? remote : "");
	if (!j.ok || !msg.len) {
		st = LS_ERR_NOMEM;
	} else {
		st = lsi_pipeline_analyzer(s, "git-directory", -1, r->name, lsi_buf_str(&msg),
					   lsi_buf_str(&d));
	}
	lsi_buf_fini(&d);
	lsi_buf_fini(&msg);
	return st;
}

ls_status lsi_gitdir_flush(ls_scanner *s, struct lsi_gitdir *g)
{
	ls_status st = LS_OK;

	if (!g)
		return LS_OK;
	for (size_t i = 0; i < g->count; i++) {
		if (st == LS_OK && !s->aborted)
			st = report_root(s, g->roots[i]);
		root_free(g->roots[i]);
		g->roots[i] = NULL;
	}
	g->count = 0;
	g->limit_noted = false;
	return st;
}

ls_status lsi_gitdir_flush_unless_under(ls_scanner *s, struct lsi_gitdir *g, const char *name)
{
	size_t rl;

	if (!g || !g->count)
		return LS_OK;
	rl = root_len(name);
	for (size_t i = 0; i < g->count; i++)
		if (rl && strlen(g->roots[i]->name) == rl && memcmp(g->roots[i]->name, name, rl) == 0)
			return LS_OK;
	return lsi_gitdir_flush(s, g);
}
