/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Builds the engine: PCRE2 code for every rule, one Hyperscan streaming
 * database over every enabled content rule. A pattern Hyperscan cannot
 * run exactly (look-around, back-references) is compiled in prefilter
 * mode: Hyperscan over-approximates and PCRE2 decides.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dbcache.h"
#include "engine_int.h"
#include "hscompiler.h"
#include "util/alloc.h"

#define HS_FLAGS (HS_FLAG_MULTILINE)
#define PCRE_FLAGS (PCRE2_MULTILINE)

/*
 * Hyperscan sizes the hash table of its main literal matcher by how many
 * literals a database holds: 2^12 entries below 1,000, 2^13 from there.
 * The built-in catalogue makes about 730, most of them pieces of the words
 * code is made of, and they fill that table so that typescript's 22 MB
 * raise 470,000 confirm attempts; past 1,000 literals the table doubles
 * and 290,000 remain (Hyperscan's time 12% less, a whole -j1 scan 4%).
 * A database of LSI_PAD_FROM to LSI_PAD_UNTIL content expressions
 * (about 1.8 literals each) is therefore padded with LSI_PAD_COUNT
 * literals no text holds: bytes F5-FF never occur in UTF-8, and eight in
 * a row are as rare in binary data.
 * The first pad is two bytes and any character: Hyperscan 5.4 strides
 * that matcher by its shortest literal (stride 2 once all have three
 * bytes or more), and stride 2 took twice the time on typescript; without
 * it only two rules' two-byte literals (pdb-path's, azure-ad-client-
 * secret's) would keep the stride at 1. (Two bytes alone are matched
 * elsewhere, not by that table.) Their ids lie past the rules and
 * take_hit drops them. The numbers are in engine_int.h.
 */

/* A change to these bytes raises LSI_PAD_VERSION (the cache key). */
size_t lsi_engine_pad_literal(unsigned k, uint8_t out[LSI_PAD_LEN])
{
	uint32_t x = 0x9e3779b9u * (k + 1);
	size_t len = k == 0 ? 2 : LSI_PAD_LEN;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		out[i] = (uint8_t)(0xf5u + (x >> 16) % 11u);
	}
	return len;
}

/* Pad literal @k as Hyperscan reads it ("\xf5..."): 4 * LSI_PAD_LEN + 1 bytes at @out. */
static void pad_expr(unsigned k, char *out)
{
	uint8_t b[LSI_PAD_LEN];
	size_t len = lsi_engine_pad_literal(k, b);

	for (size_t i = 0; i < len; i++)
		snprintf(out + 4 * i, 5, "\\x%02x", b[i]);
	if (len < LSI_PAD_LEN)
		strcpy(out + 4 * len, "."); /* a literal, not a whole expression */
}

/* Compiles (and JITs) a rule pattern; NULL with err and erroff set on failure. */
static pcre2_code *build_re(const struct lsi_rule *r, int *err, PCRE2_SIZE *erroff)
{
	/* The offset limit bounds where a confirmation's match may start. */
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)r->pattern, PCRE2_ZERO_TERMINATED,
				       PCRE_FLAGS | PCRE2_USE_OFFSET_LIMIT, err, erroff, NULL);

	/* JIT is an optimisation; when unavailable the interpreter runs. */
	if (re)
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

pcre2_code *lsi_crule_re(const struct lsi_crule *cr)
{
	/* The engine is shared and logically immutable; compiling a lazy
	 * rule's code on first use is a cache fill, published once by CAS. */
	struct lsi_crule *m = (struct lsi_crule *)cr;
	pcre2_code *re = atomic_load_explicit(&m->re, memory_order_acquire);
	pcre2_code *expected = NULL;
	int err;
	PCRE2_SIZE off;

	if (re || !cr->lazy)
		return re;
	if (!(re = build_re(cr->def, &err, &off)))
		return NULL;
	if (!atomic_compare_exchange_strong_explicit(&m->re, &expected, re, memory_order_acq_rel,
						     memory_order_acquire)) {
		pcre2_code_free(re); /* another thread was first */
		re = expected;
	}
	return re;
}

static bool compile_pcre(struct lsi_engine *e, struct lsi_crule *cr)
{
	const struct lsi_rule *r = cr->def;
	int err;
	PCRE2_SIZE erroff;
	uint32_t caps = 0;
	char msg[256];
	pcre2_code *re = build_re(r, &err, &erroff);

	if (!re) {
		pcre2_get_error_message(err, (PCRE2_UCHAR *)msg, sizeof(msg));
		lsi_ruleset_diag(e->rs, r->file, r->pattern_line ? r->pattern_line : r->line,
				 "rule '%s': bad pattern at offset %zu: %s", r->id, (size_t)erroff, msg);
		return false;
	}
	atomic_store_explicit(&cr->re, re, memory_order_release);
	pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &caps);
	cr->has_capture = caps > 0;
	if (r->category == LS_CAT_SECRET && !r->path_rule && !cr->has_capture)
		lsi_ruleset_diag(e->rs, r->file, r->line,
				 "rule '%s': a secret rule needs a capture group for the secret", r->id);
	return true;
}

/*
 * Hyperscan's view of @expr: exact when it can, else prefilter mode
 * (*prefilter set). Returns the expression's max width (UINT_MAX when
 * unbounded), or 0 with *msg set when Hyperscan cannot take it at all.
 */
static unsigned hs_probe(const char *expr, bool *prefilter, char *msg, size_t msg_len)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *cerr = NULL;
	unsigned w;

	*prefilter = false;
	if (lsi_hsc_expression_info(expr, HS_FLAGS, &info, &cerr) != HS_SUCCESS) {
		lsi_hsc_free_compile_error(cerr);
		cerr = NULL;
		if (lsi_hsc_expression_info(expr, HS_FLAGS | HS_FLAG_PREFILTER, &info, &cerr) !=
		    HS_SUCCESS) {
			snprintf(msg, msg_len, "%s",
				 cerr && cerr->message ? cerr->message : "unknown error");
			lsi_hsc_free_compile_error(cerr);
			return 0;
		}
		*prefilter = true;
	}
	w = info->min_width == 0 ? 0 : info->max_width;
	if (info->min_width == 0)
		snprintf(msg, msg_len, "the pattern can match the empty string");
	free(info); /* allocated by Hyperscan's default allocator (malloc) */
	return w;
}

/*
 * Decides exact vs prefilter mode and the confirmation width of a content
 * rule. PCRE2 looks @width bytes behind (and ahead of) each hit, so the
 * width is what bounds the cost of a hit: a prefilter rule gets its
 * approximation's width (an upper bound on the pattern's own), a rule
 * with a separate hs_pattern the widths of both (its hits overlap the
 * match), and only an unbounded pattern the whole LSI_WINDOW.
 */
static bool probe_hs(struct lsi_engine *e, struct lsi_crule *cr)
{
	const struct lsi_rule *r = cr->def;
	char msg[256] = "";
	bool pre;
	unsigned w = hs_probe(r->hs_pattern ? r->hs_pattern : r->pattern, &pre, msg, sizeof(msg));

	if (!w) {
		lsi_ruleset_diag(e->rs, r->file, r->pattern_line ? r->pattern_line : r->line,
				 "rule '%s': Hyperscan: %s", r->id, msg);
		return false;
	}
	cr->prefilter = pre;
	if (w > e->hs_span)
		e->hs_span = w > UINT32_MAX ? UINT32_MAX : w;
	if (r->hs_pattern) {
		bool pre2;
		unsigned w2 = hs_probe(r->pattern, &pre2, msg, sizeof(msg));

		/* A separate Hyperscan expression only finds where to look. */
		cr->prefilter = true;
		w = w2 && w2 < LSI_WINDOW && w < LSI_WINDOW ? w + w2 : LSI_WINDOW;
	}
	cr->width = w > LSI_WINDOW ? LSI_WINDOW : w;
	return true;
}

bool lsi_rule_unbounded(const struct lsi_rule *r)
{
	char msg[256];
	bool pre;

	/* 0 when Hyperscan refuses it: loading the rule reports that. */
	return hs_probe(r->hs_pattern ? r->hs_pattern : r->pattern, &pre, msg, sizeof(msg)) ==
	       UINT_MAX;
}

/* Whether Hyperscan can run path rule @cr; sets its mode. */
static bool probe_path(struct lsi_crule *cr)
{
	char msg[256];

	if (!hs_probe(cr->def->pattern, &cr->prefilter, msg, sizeof(msg))) {
		cr->path_always = true;
		return false;
	}
	return true;
}

/* One block-mode database over the path rules Hyperscan can run. */
static void build_path_db(struct lsi_engine *e)
{
	const char **exprs = lsi_calloc(e->path_rules + 1, sizeof(*exprs));
	unsigned *flags = lsi_calloc(e->path_rules + 1, sizeof(*flags));
	unsigned *ids = lsi_calloc(e->path_rules + 1, sizeof(*ids));
	hs_compile_error_t *cerr = NULL;
	unsigned n = 0;

	if (!exprs || !flags || !ids)
		goto fallback;
	for (size_t k = 0; k < e->path_rules; k++) {
		struct lsi_crule *cr = &e->rules[e->path_ids[k]];

		if (!probe_path(cr))
			continue;
		exprs[n] = cr->def->pattern;
		flags[n] = HS_FLAGS | HS_FLAG_SINGLEMATCH | (cr->prefilter ? HS_FLAG_PREFILTER : 0);
		ids[n++] = e->path_ids[k];
	}
	if (n && lsi_hsc_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, &e->path_db,
				       &cerr) != HS_SUCCESS) {
		lsi_hsc_free_compile_error(cerr);
		e->path_db = NULL;
		goto fallback;
	}
	goto out;
fallback:
	/* Still correct, only slower: PCRE2 tries every path rule. */
	for (size_t k = 0; k < e->path_rules; k++)
		e->rules[e->path_ids[k]].path_always = true;
out:
	lsi_free(exprs);
	lsi_free(flags);
	lsi_free(ids);
}

bool lsi_engine_from_cache(const struct lsi_engine *e)
{
	return e->from_cache;
}

ls_status lsi_engine_new(struct lsi_ruleset *rs, const char *cache_dir,
			 struct lsi_engine **out)
{
	struct lsi_engine *e;
	const char **exprs = NULL;
	unsigned *flags = NULL, *ids = NULL;
	char *pads = NULL;
	size_t n = 0;
	ls_status st = LS_OK;
	char key[LSI_DBCACHE_KEY_LEN + 1];
	bool cached = false;

	*out = NULL;
	if (!(e = lsi_calloc(1, sizeof(*e))))
		return LS_ERR_NOMEM;
	e->rs = rs;
	e->count = rs->count;
	if (!(e->rules = lsi_calloc(rs->count ? rs->count : 1, sizeof(*e->rules))))
		goto oom;
	exprs = lsi_calloc(rs->count + 1 + LSI_PAD_COUNT, sizeof(*exprs));
	flags = lsi_calloc(rs->count + 1 + LSI_PAD_COUNT, sizeof(*flags));
	ids = lsi_calloc(rs->count + 1 + LSI_PAD_COUNT, sizeof(*ids));
	if (!exprs || !flags || !ids)
		goto oom;
	for (size_t i = 0; i < rs->count; i++)
		e->rules[i].def = &rs->rules[i];
	if (!(e->path_ids = lsi_calloc(rs->count + 1, sizeof(*e->path_ids))))
		goto oom;
	for (size_t i = 0; i < rs->count; i++)
		if (rs->rules[i].path_rule && !rs->rules[i].disabled && !rs->rules[i].analyzer)
			e->path_ids[e->path_rules++] = (unsigned)i;
	if (cache_dir && rs->errors == 0) {
		lsi_dbcache_key(e, key);
		cached = e->from_cache = lsi_dbcache_load(e, cache_dir, key);
	}
	for (size_t i = 0; i < rs->count; i++) {
		struct lsi_crule *cr = &e->rules[i];
		const struct lsi_rule *r = &rs->rules[i];

		if (r->validator && !(cr->validator = lsi_validator_find(r->validator)))
			lsi_ruleset_diag(rs, r->file, r->line, "rule '%s': unknown validator '%s'",
					 r->id, r->validator);
		if (r->analyzer)
			continue; /* no pattern: findings come from container analysis */
		if (cached && r->builtin) {
			/* Warm start: built-in patterns are proven by the test suite,
			 * so their PCRE2 code is compiled only when a hit needs it. */
			cr->lazy = true;
			cr->has_capture = true; /* a capture must also have matched */
			continue;
		}
		if (!compile_pcre(e, cr)) {
			if (rs->lint)
				rs->rules[i].disabled = true; /* left out, the rest go on */
			continue;
		}
		if (r->path_rule)
			continue;
		/* A cached database brings each rule's mode and width with it. */
		if (cached || r->disabled)
			continue;
		if (!probe_hs(e, cr)) {
			if (rs->lint)
				rs->rules[i].disabled = true;
			continue;
		}
		exprs[n] = r->hs_pattern ? r->hs_pattern : r->pattern;
		flags[n] = HS_FLAGS | (cr->prefilter ? HS_FLAG_PREFILTER : 0);
		ids[n] = (unsigned)i;
		n++;
	}
	if (rs->lint) {
		/* Path rules whose pattern did not compile are left out too. */
		size_t k = 0;

		for (size_t j = 0; j < e->path_rules; j++)
			if (!rs->rules[e->path_ids[j]].disabled)
				e->path_ids[k++] = e->path_ids[j];
		e->path_rules = k;
	}
	if (n >= LSI_PAD_FROM && n < LSI_PAD_UNTIL && !cached) {
		if (!(pads = lsi_calloc(LSI_PAD_COUNT, 4 * LSI_PAD_LEN + 1)))
			goto oom;
		for (unsigned k = 0; k < LSI_PAD_COUNT; k++) {
			pad_expr(k, pads + k * (4 * LSI_PAD_LEN + 1));
			exprs[n] = pads + k * (4 * LSI_PAD_LEN + 1);
			flags[n] = HS_FLAGS;
			ids[n] = (unsigned)(rs->count + k);
			n++;
		}
		e->pads = LSI_PAD_COUNT;
	}
	while (n && (rs->errors == 0 || rs->lint) && !cached) {
		hs_compile_error_t *cerr = NULL;
		int bad;
		const struct lsi_rule *r;

		if (lsi_hsc_compile_multi(exprs, flags, ids, (unsigned)n, HS_MODE_STREAM, &e->db,
					  &cerr) == HS_SUCCESS)
			break;
		bad = cerr ? cerr->expression : -1;
		if (bad >= 0 && ids[bad] >= rs->count)
			bad = -1; /* a pad: never, but not a rule either */
		r = bad >= 0 ? &rs->rules[ids[bad]] : NULL;
		lsi_ruleset_diag(rs, r ? r->file : "rules",
				 r ? (r->pattern_line ? r->pattern_line : r->line) : 0,
				 "rule '%s': Hyperscan: %s", r ? r->id : "?",
				 cerr && cerr->message ? cerr->message : "compile failed");
		lsi_hsc_free_compile_error(cerr);
		e->db = NULL;
		if (!rs->lint || bad < 0)
			break;
		/* Lint: without that expression, to find the next bad one. */
		rs->rules[ids[bad]].disabled = true;
		n--;
		memmove(exprs + bad, exprs + bad + 1, (n - (size_t)bad) * sizeof(*exprs));
		memmove(flags + bad, flags + bad + 1, (n - (size_t)bad) * sizeof(*flags));
		memmove(ids + bad, ids + bad + 1, (n - (size_t)bad) * sizeof(*ids));
	}
	if (e->path_rules && (rs->errors == 0 || rs->lint) && !cached)
		build_path_db(e);
	if (n && e->db && rs->errors == 0 && !cached && cache_dir &&
	    !lsi_dbcache_store(e, cache_dir, key))
		/* Not an error, but every run would compile again (seconds). */
		lsi_ruleset_warn(rs, cache_dir, 0,
				 "cannot keep the compiled rules here (%s): every run compiles "
				 "them again, which takes seconds; make it writable or point "
				 "XDG_CACHE_HOME elsewhere",
				 strerror(errno));
	if (rs->errors && !rs->lint)
		st = LS_ERR_RULES;
	lsi_free(pads);
	lsi_free(exprs);
	lsi_free(flags);
	lsi_free(ids);
	if (st != LS_OK) {
		lsi_engine_free(e);
		return st;
	}
	*out = e;
	return LS_OK;
oom:
	lsi_free(pads);
	lsi_free(exprs);
	lsi_free(flags);
	lsi_free(ids);
	lsi_engine_free(e);
	return LS_ERR_NOMEM;
}

void lsi_engine_free(struct lsi_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; e->rules && i < e->count; i++)
		pcre2_code_free(atomic_load(&e->rules[i].re));
	lsi_free(e->rules);
	lsi_free(e->path_ids);
	lsi_dbcache_free_db(e); /* both databases, wherever they are */
	lsi_free(e);
}

hs_scratch_t *lsi_engine_take_scratch(const struct lsi_engine *e)
{
	/* An engine is shared read-only by its scanners but for this field,
	 * which is atomic; the engine itself is never defined const. */
	return atomic_exchange(&((struct lsi_engine *)(uintptr_t)e)->scratch_proto, NULL);
}

const struct lsi_ruleset *lsi_engine_ruleset(const struct lsi_engine *e)
{
	return e->rs;
}

bool lsi_engine_rule_prefilter(const struct lsi_engine *e, size_t i)
{
	return i < e->count && e->rules[i].prefilter;
}
