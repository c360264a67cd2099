/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fingerprint sets: ls_baseline (accepted findings, read from and written
 * as stable JSON) and the per-scan repeat counter. Both are open-addressing
 * hash tables over fingerprints; neither ever holds a secret or the text
 * of a match, only fingerprints, rule ids and locations.
 */
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json_read.h"
#include "util/json_write.h"

#define BASELINE_FORMAT 1         /* "leakscan_baseline" in the file */
#define STR_MAX (64u << 10)       /* longest string kept from a baseline file */
#define PATH_MAX_ELEMS 128        /* path elements kept per entry */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* ---- Repeat counter ---- */

struct lsi_fpcount {
	uint8_t (*key)[16];
	uint32_t *count;             /* 0 = empty slot */
	size_t cap, used;            /* cap: a power of two */
};

static void fp_key(const char *fp, uint8_t key[16])
{
	memset(key, 0, 16);
	for (size_t i = 0; i < 32 && fp[i]; i++) {
		char c = fp[i];
		uint8_t v = (uint8_t)(c >= '0' && c <= '9' ? c - '0'
				      : c >= 'a' && c <= 'f' ? c - 'a' + 10
				      : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0);

		key[i / 2] |= (uint8_t)(i % 2 ? v : v << 4);
	}
}

static bool fpcount_grow(struct lsi_fpcount *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 256;
	uint8_t (*nkey)[16] = lsi_calloc(ncap, sizeof(*nkey));
	uint32_t *ncount = lsi_calloc(ncap, sizeof(*ncount));

	if (!nkey || !ncount) {
		lsi_free(nkey);
		lsi_free(ncount);
		return false;
	}
	for (size_t i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->count[i])
			continue;
		j = fnv(0xcbf29ce484222325ull, t->key[i], 16) & (ncap - 1);
		while (ncount[j])
			j = (j + 1) & (ncap - 1);
		memcpy(nkey[j], t->key[i], 16);
		ncount[j] = t->count[i];
	}
	lsi_free(t->key);
	lsi_free(t->count);
	t->key = nkey;
	t->count = ncount;
	t->cap = ncap;
	return true;
}

uint32_t lsi_fpcount_bump(struct lsi_fpcount **tp, const char *fp)
{
	struct lsi_fpcount *t = *tp;
	uint8_t key[16];
	size_t j;

	if (!t && !(t = *tp = lsi_calloc(1, sizeof(*t))))
		return 0;
	/* Keep the load under one half. */
	if (2 * (t->used + 1) > t->cap && t->used < LSI_REPEAT_MAX && !fpcount_grow(t))
		return 0;
	fp_key(fp, key);
	j = fnv(0xcbf29ce484222325ull, key, 16) & (t->cap - 1);
	while (t->count[j]) {
		if (memcmp(t->key[j], key, 16) == 0)
			return t->count[j] < UINT32_MAX ? t->count[j]++ : t->count[j];
		j = (j + 1) & (t->cap - 1);
	}
	if (t->used >= LSI_REPEAT_MAX)
		return 0;
	memcpy(t->key[j], key, 16);
	t->count[j] = 1;
	t->used++;
	return 0;
}

void lsi_fpcount_reset(struct lsi_fpcount *t)
{
	if (!t || !t->used)
		return;
	memset(t->count, 0, t->cap * sizeof(*t->count));
	t->used = 0;
}

void lsi_fpcount_free(struct lsi_fpcount *t)
{
	if (!t)
		return;
	lsi_free(t->key);
	lsi_free(t->count);
	lsi_free(t);
}

/* ---- Baseline ---- */

struct bl_entry {
	char *fp, *rule;
	char **path;
	size_t path_count;
	uint64_t line;
	uint64_t matched;
};

struct ls_baseline {
	struct bl_entry *e;
	size_t count, cap;
	uint32_t *slot;              /* entry index + 1; 0 = empty */
	size_t slot_cap;             /* a power of two, > 2 * count */
};

static uint64_t key_hash(const char *fp, const char *rule)
{
	uint64_t h = fnv(0xcbf29ce484222325ull, fp, strlen(fp) + 1);

	return fnv(h, rule, strlen(rule));
}

/* Index of (fp, rule), or SIZE_MAX. */
static size_t bl_find(const ls_baseline *b, const char *fp, const char *rule)
{
	size_t j;

	if (!b->slot_cap)
		return SIZE_MAX;
	j = key_hash(fp, rule) & (b->slot_cap - 1);
	while (b->slot[j]) {
		const struct bl_entry *e = &b->e[b->slot[j] - 1];

		if (strcmp(e->fp, fp) == 0 && strcmp(e->rule, rule) == 0)
			return b->slot[j] - 1;
		j = (j + 1) & (b->slot_cap - 1);
	}
	return SIZE_MAX;
}

static void bl_place(ls_baseline *b, size_t idx)
{
	size_t j = key_hash(b->e[idx].fp, b->e[idx].rule) & (b->slot_cap - 1);

	while (b->slot[j])
		j = (j + 1) & (b->slot_cap - 1);
	b->slot[j] = (uint32_t)(idx + 1);
}

static void entry_fini(struct bl_entry *e)
{
	lsi_free(e->fp);
	lsi_free(e->rule);
	for (size_t i = 0; i < e->path_count; i++)
		lsi_free(e->path[i]);
	lsi_free(e->path);
	memset(e, 0, sizeof(*e));
}

/* Takes ownership of @e's strings (freed on failure too). */
static ls_status bl_insert(ls_baseline *b, struct bl_entry *e)
{
	if (bl_find(b, e->fp, e->rule) != SIZE_MAX) {
		entry_fini(e); /* a known key keeps its first location */
		return LS_OK;
	}
	if (b->count >= UINT32_MAX - 1)
		goto nomem;
	if (b->count == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 16;
		struct bl_entry *n = lsi_realloc(b->e, ncap * sizeof(*n));

		if (!n)
			goto nomem;
		b->e = n;
		b->cap = ncap;
	}
	if (2 * (b->count + 1) >= b->slot_cap) {
		size_t ncap = b->slot_cap ? b->slot_cap * 2 : 64;
		uint32_t *n = lsi_calloc(ncap, sizeof(*n));

		if (!n)
			goto nomem;
		lsi_free(b->slot);
		b->slot = n;
		b->slot_cap = ncap;
		for (size_t i = 0; i < b->count; i++)
			bl_place(b, i);
	}
	b->e[b->count] = *e;
	bl_place(b, b->count);
	b->count++;
	return LS_OK;
nomem:
	entry_fini(e);
	return LS_ERR_NOMEM;
}

ls_status ls_baseline_new(ls_baseline **out)
{
	if (!out)
		return LS_ERR_INVALID_ARG;
	*out = lsi_calloc(1, sizeof(**out));
	return *out ? LS_OK : LS_ERR_NOMEM;
}

void ls_baseline_free(ls_baseline *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->count; i++)
		entry_fini(&b->e[i]);
	lsi_free(b->e);
	lsi_free(b->slot);
	lsi_free(b);
}

size_t ls_baseline_count(const ls_baseline *b)
{
	return b ? b->count : 0;
}

ls_status ls_baseline_get(const ls_baseline *b, size_t i, ls_baseline_entry *out)
{
	const struct bl_entry *e;

	if (!b || !out || i >= b->count)
		return LS_ERR_INVALID_ARG;
	e = &b->e[i];
	out->fingerprint = e->fp;
	out->rule = e->rule;
	out->path = (const char *const *)e->path;
	out->path_count = e->path_count;
	out->line = e->line;
	out->matched = e->matched;
	return LS_OK;
}

uint64_t lsi_baseline_suppressed(const ls_baseline *b)
{
	uint64_t n = 0;

	for (size_t i = 0; b && i < b->count; i++)
		n += b->e[i].matched;
	return n;
}

ls_status ls_baseline_add(ls_baseline *b, const ls_finding *f)
{
	struct bl_entry e = { 0 };
	size_t n;

	if (!b || !f || !f->fingerprint || !f->rule || (f->path_count && !f->path))
		return LS_ERR_INVALID_ARG;
	if (bl_find(b, f->fingerprint, f->rule) != SIZE_MAX)
		return LS_OK;
	n = f->path_count < PATH_MAX_ELEMS ? f->path_count : PATH_MAX_ELEMS;
	e.fp = lsi_strdup(f->fingerprint);
	e.rule = lsi_strdup(f->rule);
	e.path = n ? lsi_calloc(n, sizeof(char *)) : NULL;
	e.line = f->line;
	if (!e.fp || !e.rule || (n && !e.path)) {
		entry_fini(&e);
		return LS_ERR_NOMEM;
	}
	for (; e.path_count < n; e.path_count++) {
		const char *p = f->path[e.path_count];

		if (!(e.path[e.path_count] = lsi_strdup(p ? p : ""))) {
			entry_fini(&e);
			return LS_ERR_NOMEM;
		}
	}
	return bl_insert(b, &e);
}

int ls_baseline_match(ls_baseline *b, const ls_finding *f)
{
	size_t i;

	if (!b || !f || !f->fingerprint || !f->rule)
		return 0;
	i = bl_find(b, f->fingerprint, f->rule);
	if (i == SIZE_MAX)
		return 0;
	b->e[i].matched++;
	return 1;
}

static int cmp_entry(const void *a, const void *b, void *ctx)
{
	const struct bl_entry *e = ctx;
	const struct bl_entry *x = &e[*(const size_t *)a], *y = &e[*(const size_t *)b];
	int c = strcmp(x->fp, y->fp);

	return c ? c : strcmp(x->rule, y->rule);
}

static int write_buf(struct lsi_buf *buf, ls_write_fn w, void *user)
{
	int rc = buf->len ? w(buf->data, buf->len, user) : 0;

	lsi_buf_reset(buf);
	return rc;
}

ls_status ls_baseline_write(const ls_baseline *b, ls_write_fn w, void *user)
{
	struct lsi_buf buf;
	struct lsi_json j;
	size_t *ord = NULL;
	ls_status st = LS_OK;

	if (!b || !w)
		return LS_ERR_INVALID_ARG;
	if (b->count && !(ord = lsi_calloc(b->count, sizeof(*ord))))
		return LS_ERR_NOMEM;
	for (size_t i = 0; i < b->count; i++)
		ord[i] = i;
	if (b->count)
		qsort_r(ord, b->count, sizeof(*ord), cmp_entry, b->e);
	lsi_buf_init(&buf, 64u << 20);
	lsi_json_init(&j, &buf, true);
	lsi_json_obj_begin(&j);
	lsi_json_key(&j, "leakscan_baseline");
	lsi_json_int(&j, BASELINE_FORMAT);
	lsi_json_key(&j, "findings");
	lsi_json_arr_begin(&j);
	for (size_t i = 0; i < b->count && st == LS_OK; i++) {
		const struct bl_entry *e = &b->e[ord[i]];

		lsi_json_obj_begin(&j);
		lsi_json_key(&j, "fingerprint");
		lsi_json_cstr(&j, e->fp);
		lsi_json_key(&j, "rule");
		lsi_json_cstr(&j, e->rule);
		lsi_json_key(&j, "path");
		lsi_json_arr_begin(&j);
		for (size_t k = 0; k < e->path_count; k++)
			lsi_json_cstr(&j, e->path[k]);
		lsi_json_arr_end(&j);
		lsi_json_key(&j, "line");
		if (e->line)
			lsi_json_uint(&j, e->line);
		else
			lsi_json_null(&j);
		lsi_json_obj_end(&j);
		if (!j.ok)
			st = LS_ERR_NOMEM;
		else if (write_buf(&buf, w, user))
			st = LS_ERR_IO;
	}
	lsi_json_arr_end(&j);
	lsi_json_obj_end(&j);
	lsi_buf_putc(&buf, '\n');
	if (st == LS_OK && !j.ok)
		st = LS_ERR_NOMEM;
	if (st == LS_OK && write_buf(&buf, w, user))
		st = LS_ERR_IO;
	lsi_buf_fini(&buf);
	lsi_free(ord);
	return st;
}

/* ---- Reading ---- */

struct loader {
	ls_baseline *b;
	const char *label;
	const uint8_t *buf;
	size_t len;
	ls_diag_fn fn;
	void *user;
	struct lsi_buf str;          /* the string being assembled from pieces */
	struct bl_entry cur;         /* the entry being read */
	bool in_entry, in_path;
	bool findings_key;           /* the last top-level key was "findings" */
	bool findings_open;          /* inside the top-level findings array */
	bool findings_seen;
	int field;                   /* what the last key at entry level named */
};

enum { F_OTHER, F_FP, F_RULE, F_PATH, F_LINE };

static unsigned line_of(const struct loader *l, uint64_t off)
{
	unsigned line = 1;

	for (uint64_t i = 0; i < off && i < l->len; i++)
		line += l->buf[i] == '\n';
	return line;
}

static ls_status fail(struct loader *l, uint64_t off, const char *msg)
{
	if (l->fn)
		l->fn(l->label, line_of(l, off), msg, l->user);
	return LS_ERR_RULES;
}

/* Fingerprints are hex and rule ids [a-z0-9-]: printable ASCII, no blanks. */
static bool key_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((uint8_t)*s <= ' ' || (uint8_t)*s >= 0x7f)
			return false;
	return true;
}

static ls_status entry_end(struct loader *l, uint64_t off)
{
	ls_status st;

	l->in_entry = false;
	if (!l->cur.fp || !l->cur.rule) {
		entry_fini(&l->cur);
		return fail(l, off, "a baseline entry needs a 'fingerprint' and a 'rule'");
	}
	if (!key_ok(l->cur.fp) || !key_ok(l->cur.rule)) {
		entry_fini(&l->cur);
		return fail(l, off, "a baseline fingerprint or rule is not a printable word");
	}
	st = bl_insert(l->b, &l->cur);
	memset(&l->cur, 0, sizeof(l->cur));
	return st;
}

/* A complete string (key or value) at @ev's depth. */
static ls_status on_string(struct loader *l, const struct lsi_jr_event *ev, const char *s)
{
	char **slot = NULL;

	if (ev->tok == LSI_JR_KEY) {
		if (ev->depth == 1)
			l->findings_key = strcmp(s, "findings") == 0;
		if (ev->depth == 3 && l->in_entry)
			l->field = strcmp(s, "fingerprint") == 0 ? F_FP
				 : strcmp(s, "rule") == 0	 ? F_RULE
				 : strcmp(s, "path") == 0	 ? F_PATH
				 : strcmp(s, "line") == 0	 ? F_LINE
							 : F_OTHER;
		return LS_OK;
	}
	if (ev->depth == 3 && l->in_entry && l->field == F_FP)
		slot = &l->cur.fp;
	else if (ev->depth == 3 && l->in_entry && l->field == F_RULE)
		slot = &l->cur.rule;
	if (slot) {
		lsi_free(*slot);
		return (*slot = lsi_strdup(s)) ? LS_OK : LS_ERR_NOMEM;
	}
	if (ev->depth == 4 && l->in_path && l->cur.path_count < PATH_MAX_ELEMS) {
		char **n = lsi_realloc(l->cur.path, (l->cur.path_count + 1) * sizeof(*n));

		if (!n)
			return LS_ERR_NOMEM;
		l->cur.path = n;
		if (!(n[l->cur.path_count] = lsi_strdup(s)))
			return LS_ERR_NOMEM;
		l->cur.path_count++;
	}
	return LS_OK;
}

static ls_status on_event(struct loader *l, const struct lsi_jr_event *ev)
{
	switch (ev->tok) {
	case LSI_JR_KEY:
	case LSI_JR_STR:
		if (ev->first)
			lsi_buf_reset(&l->str);
		if (!lsi_buf_append(&l->str, ev->p, ev->n))
			return fail(l, ev->offset, "string too long for a baseline");
		if (!ev->last)
			return LS_OK;
		if (memchr(lsi_buf_str(&l->str), '\0', l->str.len))
			return fail(l, ev->offset, "NUL byte in a baseline string");
		return on_string(l, ev, lsi_buf_str(&l->str));
	case LSI_JR_OBJ_BEGIN:
		if (ev->depth == 2 && l->findings_open) {
			l->in_entry = true;
			l->field = F_OTHER;
		}
		return LS_OK;
	case LSI_JR_OBJ_END:
		return ev->depth == 2 && l->in_entry ? entry_end(l, ev->offset) : LS_OK;
	case LSI_JR_ARR_BEGIN:
		if (ev->depth == 1 && l->findings_key && !l->findings_seen)
			l->findings_open = l->findings_seen = true;
		else if (ev->depth == 3 && l->in_entry && l->field == F_PATH)
			l->in_path = true;
		return LS_OK;
	case LSI_JR_ARR_END:
		if (ev->depth == 3)
			l->in_path = false;
		if (ev->depth == 1)
			l->findings_open = false;
		return LS_OK;
	case LSI_JR_NUM:
		if (ev->depth == 3 && l->in_entry && l->field == F_LINE) {
			uint64_t v = 0;

			for (size_t i = 0; i < ev->n && ev->p[i] >= '0' && ev->p[i] <= '9'; i++)
				v = v < UINT64_MAX / 10 ? v * 10 + (ev->p[i] - '0') : UINT64_MAX;
			l->cur.line = v;
		}
		return LS_OK;
	default:
		return LS_OK;
	}
}

ls_status ls_baseline_load(ls_baseline *b, const char *label, const void *buf, size_t len,
			   ls_diag_fn fn, void *user)
{
	struct loader l;
	struct lsi_jr jr;
	uint8_t piece[4096];
	size_t before;
	ls_status st = LS_OK;
	bool top_object = false;

	if (!b || (!buf && len))
		return LS_ERR_INVALID_ARG;
	before = b->count;
	memset(&l, 0, sizeof(l));
	l.b = b;
	l.label = label ? label : "baseline";
	l.buf = buf;
	l.len = len;
	l.fn = fn;
	l.user = user;
	lsi_buf_init(&l.str, STR_MAX);
	lsi_jr_init(&jr, piece, sizeof(piece), 16);
	lsi_jr_feed(&jr, buf ? buf : (const void *)"", len);
	lsi_jr_finish(&jr);
	while (st == LS_OK) {
		struct lsi_jr_event ev;
		enum lsi_jr_tok t = lsi_jr_next(&jr, &ev);

		if (t == LSI_JR_END)
			break;
		if (t == LSI_JR_ERROR || t == LSI_JR_NEED_INPUT) {
			st = fail(&l, lsi_jr_offset(&jr), jr.err[0] ? jr.err : "not JSON");
			break;
		}
		if (ev.depth == 0 && t == LSI_JR_OBJ_BEGIN)
			top_object = true;
		else if (ev.depth == 0 && !top_object) {
			st = fail(&l, ev.offset, "a baseline is a JSON object with a 'findings' array");
			break;
		}
		st = on_event(&l, &ev);
	}
	if (st == LS_OK && !l.findings_seen)
		st = fail(&l, 0, "a baseline is a JSON object with a 'findings' array");
	entry_fini(&l.cur);
	lsi_buf_fini(&l.str);
	if (st != LS_OK) {
		/* All or nothing: a half-read baseline would suppress at random. */
		for (size_t i = before; i < b->count; i++)
			entry_fini(&b->e[i]);
		b->count = before;
		if (b->slot_cap)
			memset(b->slot, 0, b->slot_cap * sizeof(*b->slot));
		for (size_t i = 0; i < b->count; i++)
			bl_place(b, i);
	}
	return st;
}
