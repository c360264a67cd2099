/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Packed rule lists: the built-in rule files are parsed once, at build
 * time, and embedded in this form, so start-up reads a few hundred rules
 * without parsing 400 KB of YAML (that was about 40% of a warm start).
 *
 * Layout, little-endian: "LSRP1\n", u32 rule count, then per rule the
 * strings id, name, pattern, hs_pattern, validator, no_literal_reason and
 * file (u32 length, 0xffffffff for none, then the bytes and a NUL), u8 category,
 * u8 severity, u8 flags (1 path rule, 2 analyzer), min_entropy as the u64
 * bits of a double, u32 line, then references, examples and negative
 * examples (u32 count, then per item a u32 line and a string).
 */
#include <string.h>

#include "ruleset.h"
#include "util/alloc.h"
#include "util/buf.h"

#define MAGIC "LSRP2\n"
#define NO_STR 0xffffffffu

/* ---- writing ---- */

static bool put_u32(struct lsi_buf *b, uint32_t v)
{
	uint8_t p[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	return lsi_buf_append(b, p, 4);
}

static bool put_str(struct lsi_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!s)
		return put_u32(b, NO_STR);
	return n < NO_STR && put_u32(b, (uint32_t)n) && lsi_buf_append(b, s, n + 1);
}

static bool put_list(struct lsi_buf *b, const struct lsi_strlist *l)
{
	if (l->count >= NO_STR || !put_u32(b, (uint32_t)l->count))
		return false;
	for (size_t i = 0; i < l->count; i++)
		if (!put_u32(b, l->lines ? l->lines[i] : 0) || !put_str(b, l->items[i]))
			return false;
	return true;
}

bool lsi_ruleset_pack(const struct lsi_ruleset *rs, struct lsi_buf *out)
{
	if (!lsi_buf_append(out, MAGIC, 6) || !put_u32(out, (uint32_t)rs->count))
		return false;
	for (size_t i = 0; i < rs->count; i++) {
		const struct lsi_rule *r = &rs->rules[i];
		uint64_t bits;
		uint8_t small[3] = { (uint8_t)r->category, (uint8_t)r->severity,
				     (uint8_t)((r->path_rule ? 1 : 0) | (r->analyzer ? 2 : 0)) };

		memcpy(&bits, &r->min_entropy, 8);
		if (!put_str(out, r->id) || !put_str(out, r->name) || !put_str(out, r->pattern) ||
		    !put_str(out, r->hs_pattern) || !put_str(out, r->validator) ||
		    !put_str(out, r->no_literal) || !put_str(out, r->file) ||
		    !lsi_buf_append(out, small, 3) || !put_u32(out, (uint32_t)bits) ||
		    !put_u32(out, (uint32_t)(bits >> 32)) || !put_u32(out, r->line) ||
		    !put_list(out, &r->references) || !put_list(out, &r->examples) ||
		    !put_list(out, &r->negatives))
			return false;
	}
	return true;
}

/* ---- reading ---- */

struct rd {
	const uint8_t *p, *end;
	bool bad;
	bool borrow; /* strings stay in the packed bytes */
};

static uint32_t get_u32(struct rd *r)
{
	uint32_t v;

	if (r->end - r->p < 4) {
		r->bad = true;
		return 0;
	}
	v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
	    (uint32_t)r->p[3] << 24;
	r->p += 4;
	return v;
}

/*
 * The next string (NULL for none, or on damage: r->bad says): in place
 * when r->borrow (the packed bytes outlive the rules: the built-in rules
 * are packed into the binary, and start-up copies none of them), else a
 * copy.
 */
static char *get_str(struct rd *r, bool *oom)
{
	uint32_t n = get_u32(r);
	char *s;

	if (r->bad || n == NO_STR)
		return NULL;
	if ((size_t)(r->end - r->p) <= n || r->p[n] != '\0') {
		r->bad = true;
		return NULL;
	}
	if (r->borrow)
		s = (char *)r->p;
	else if (!(s = lsi_strndup((const char *)r->p, n)))
		*oom = true;
	r->p += (size_t)n + 1;
	return s;
}

static void get_list(struct rd *r, struct lsi_strlist *l, bool *oom)
{
	uint32_t n = get_u32(r);

	if (r->bad || !n)
		return;
	if ((size_t)(r->end - r->p) / 8 < n) {
		r->bad = true;
		return;
	}
	l->items = lsi_calloc(n, sizeof(*l->items));
	l->lines = lsi_calloc(n, sizeof(*l->lines));
	if (!l->items || !l->lines) {
		*oom = true;
		return;
	}
	for (; l->count < n && !r->bad && !*oom; l->count++) {
		l->lines[l->count] = get_u32(r);
		l->items[l->count] = get_str(r, oom);
		if (!l->items[l->count] && !*oom)
			r->bad = true; /* items are never missing */
	}
}

ls_status lsi_ruleset_unpack(struct lsi_ruleset *rs, const uint8_t *data, size_t len,
			     bool builtin)
{
	struct rd r = { data, data + len, false, builtin };
	bool oom = false;
	uint32_t count;

	if (len < 6 || memcmp(data, MAGIC, 6) != 0)
		return LS_ERR_RULES;
	r.p += 6;
	count = get_u32(&r);
	if (r.bad)
		return LS_ERR_RULES;
	if (rs->cap - rs->count < count) {
		struct lsi_rule *n = lsi_realloc(rs->rules, (rs->count + count) * sizeof(*n));

		if (!n)
			return LS_ERR_NOMEM;
		rs->rules = n;
		rs->cap = rs->count + count;
	}
	for (uint32_t i = 0; i < count; i++) {
		struct lsi_rule *x = &rs->rules[rs->count];
		uint64_t lo, hi, bits;

		memset(x, 0, sizeof(*x));
		x->builtin = builtin;
		x->borrowed = builtin;
		x->id = get_str(&r, &oom);
		x->name = get_str(&r, &oom);
		x->pattern = get_str(&r, &oom);
		x->hs_pattern = get_str(&r, &oom);
		x->validator = get_str(&r, &oom);
		x->no_literal = get_str(&r, &oom);
		x->file = get_str(&r, &oom);
		if (r.end - r.p < 3) {
			r.bad = true;
		} else {
			x->category = (ls_category)r.p[0];
			x->severity = (ls_severity)r.p[1];
			x->path_rule = r.p[2] & 1;
			x->analyzer = r.p[2] & 2;
			r.p += 3;
		}
		lo = get_u32(&r);
		hi = get_u32(&r);
		bits = lo | hi << 32;
		memcpy(&x->min_entropy, &bits, 8);
		x->line = get_u32(&r);
		get_list(&r, &x->references, &oom);
		get_list(&r, &x->examples, &oom);
		get_list(&r, &x->negatives, &oom);
		/* Counted even when damaged, so that fini frees what was read. */
		rs->count++;
		if (oom)
			return LS_ERR_NOMEM;
		if (r.bad || !x->id || !x->name || !x->file)
			return LS_ERR_RULES;
	}
	return r.p == r.end ? LS_OK : LS_ERR_RULES;
}
