/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ls_compiler_* and ls_rules_*: argument checks, then ruleset/ for
 * loading and engine/ for compiling. ls_rules_test runs rule examples.
 */
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "engine/engine_int.h"
#include "util/alloc.h"

ls_status ls_compiler_new(ls_compiler **out)
{
	ls_compiler *c;

	if (!out)
		return LS_ERR_INVALID_ARG;
	*out = NULL;
	if (!(c = lsi_calloc(1, sizeof(*c))))
		return LS_ERR_NOMEM;
	lsi_ruleset_init(&c->rs);
	*out = c;
	return LS_OK;
}

ls_status ls_compiler_set_diag(ls_compiler *c, ls_diag_fn fn, void *user)
{
	if (!c)
		return LS_ERR_INVALID_ARG;
	c->rs.diag = fn;
	c->rs.diag_user = user;
	return LS_OK;
}

static ls_status track(ls_compiler *c, ls_status st)
{
	if (st == LS_ERR_NOMEM)
		c->failed = true;
	return st;
}

ls_status ls_compiler_set_cache_dir(ls_compiler *c, const char *dir)
{
	char *d = NULL;

	if (!c)
		return LS_ERR_INVALID_ARG;
	if (dir && !(d = lsi_strdup(dir)))
		return LS_ERR_NOMEM;
	lsi_free(c->cache_dir);
	c->cache_dir = d;
	return LS_OK;
}

ls_status ls_compiler_add_builtin(ls_compiler *c)
{
	if (!c)
		return LS_ERR_INVALID_ARG;
	return track(c, lsi_ruleset_load_builtin(&c->rs));
}

ls_status ls_compiler_add_path(ls_compiler *c, const char *path)
{
	size_t before;

	if (!c || !path)
		return LS_ERR_INVALID_ARG;
	before = c->rs.errors;
	track(c, lsi_ruleset_load_path(&c->rs, path));
	if (c->failed)
		return LS_ERR_NOMEM;
	return c->rs.errors > before ? LS_ERR_RULES : LS_OK;
}

ls_status ls_compiler_add_mem(ls_compiler *c, const char *name, const void *buf, size_t len)
{
	size_t before;

	if (!c || !name || (!buf && len))
		return LS_ERR_INVALID_ARG;
	before = c->rs.errors;
	track(c, lsi_ruleset_load_mem(&c->rs, name, buf ? buf : "", len, false));
	if (c->failed)
		return LS_ERR_NOMEM;
	return c->rs.errors > before ? LS_ERR_RULES : LS_OK;
}

ls_status ls_compiler_add_config(ls_compiler *c, const char *path)
{
	size_t before;

	if (!c || !path)
		return LS_ERR_INVALID_ARG;
	before = c->rs.errors;
	track(c, lsi_ruleset_load_config(&c->rs, path));
	if (c->failed)
		return LS_ERR_NOMEM;
	return c->rs.errors > before ? LS_ERR_RULES : LS_OK;
}

/*
 * A rule of the user's without a 3-byte literal for Hyperscan to anchor
 * on, and no no_literal_reason, is loaded (rules check refuses it) but
 * slows every scan: said once, as a warning. Built-in rules are proven.
 */
static void warn_slow_rules(const struct lsi_ruleset *rs)
{
	for (size_t i = 0; i < rs->count; i++) {
		const struct lsi_rule *rule = &rs->rules[i];

		if (rule->builtin || rule->generated || rule->disabled || rule->path_rule ||
		    rule->analyzer || !rule->pattern || rule->no_literal)
			continue;
		if (lsi_pattern_min_literal(rule->hs_pattern ? rule->hs_pattern : rule->pattern) < 3)
			lsi_ruleset_warn(rs, rule->file,
					 rule->pattern_line ? rule->pattern_line : rule->line,
					 "warning: rule '%s' has no literal of 3+ bytes for Hyperscan "
					 "to anchor on, which slows every scan ('leakscan rules check' "
					 "says more)", rule->id);
	}
}

ls_status ls_compiler_finish(ls_compiler *c, ls_rules **out)
{
	ls_rules *r;
	ls_status st;
	char *cache_dir;

	if (!c || !out) {
		ls_compiler_free(c);
		return LS_ERR_INVALID_ARG;
	}
	*out = NULL;
	if (c->failed) {
		ls_compiler_free(c);
		return LS_ERR_NOMEM;
	}
	if (!(r = lsi_calloc(1, sizeof(*r)))) {
		ls_compiler_free(c);
		return LS_ERR_NOMEM;
	}
	/* The ruleset moves into the rules object; the compiler shell goes. */
	r->rs = c->rs;
	cache_dir = c->cache_dir;
	lsi_free(c);
	st = lsi_ruleset_apply_config(&r->rs);
	if (st == LS_OK) {
		lsi_ruleset_check(&r->rs);
		if (r->rs.errors)
			st = LS_ERR_RULES;
	}
	if (st == LS_OK)
		warn_slow_rules(&r->rs);
	if (st == LS_OK)
		st = lsi_engine_new(&r->rs, cache_dir, &r->engine);
	lsi_free(cache_dir);
	if (st != LS_OK) {
		ls_rules_free(r);
		return st;
	}
	/* Diagnostics belong to the compile; rules must not call back later. */
	r->rs.diag = NULL;
	r->rs.diag_user = NULL;
	*out = r;
	return LS_OK;
}

/* Whether @r is @builtin read from its source file (rules/x/y.yml, named
 * by any path that ends in it). */
static bool same_source(const struct lsi_rule *r, const struct lsi_rule *builtin)
{
	size_t n = strlen(r->file), k = strlen(builtin->file);

	return r->line == builtin->line && n >= k && strcmp(r->file + n - k, builtin->file) == 0 &&
	       (n == k || r->file[n - k - 1] == '/');
}

/*
 * Rule files checked without the built-in rules: an id they share with a
 * built-in rule would be refused the day both are loaded (scan --rules).
 */
static void builtin_collisions(struct lsi_ruleset *rs)
{
	struct lsi_ruleset b;

	for (size_t i = 0; i < rs->count; i++)
		if (rs->rules[i].builtin)
			return; /* loaded together: the duplicate check said it */
	lsi_ruleset_init(&b);
	if (lsi_ruleset_load_builtin(&b) == LS_OK) {
		lsi_ruleset_check(&b);
		for (size_t i = 0; i < rs->count; i++) {
			const struct lsi_rule *r = &rs->rules[i];
			const struct lsi_rule *o = r->generated ? NULL : lsi_ruleset_find(&b, r->id);

			if (o && same_source(r, o))
				continue; /* the built-in rule's own file, checked */
			if (o)
				lsi_ruleset_diag(rs, r->file, r->line,
						 "rule id '%s' is taken by a built-in rule (%s:%u): with "
						 "the built-in rules this file is refused", r->id, o->file,
						 o->line);
		}
	}
	lsi_ruleset_fini(&b);
}

ls_status ls_compiler_check(ls_compiler *c, size_t *rules, size_t *examples, size_t *problems)
{
	ls_rules *r;
	ls_status st;
	size_t fails = 0, ex = 0;

	if (rules)
		*rules = 0;
	if (examples)
		*examples = 0;
	if (problems)
		*problems = 0;
	if (!c)
		return LS_ERR_INVALID_ARG;
	if (c->failed || !(r = lsi_calloc(1, sizeof(*r)))) {
		ls_compiler_free(c);
		return LS_ERR_NOMEM;
	}
	r->rs = c->rs;
	lsi_free(c->cache_dir); /* a check compiles afresh: it is the compile being checked */
	lsi_free(c);
	r->rs.lint = true;
	st = lsi_ruleset_apply_config(&r->rs);
	if (st == LS_OK) {
		lsi_ruleset_check(&r->rs);
		builtin_collisions(&r->rs);
		st = lsi_engine_new(&r->rs, NULL, &r->engine);
	}
	if (st == LS_OK) {
		st = ls_rules_test(r, r->rs.diag, r->rs.diag_user, &fails, &ex);
		if (st == LS_ERR_RULES)
			st = LS_OK; /* counted below */
	}
	if (rules)
		*rules = r->rs.count;
	if (examples)
		*examples = ex;
	if (problems)
		*problems = r->rs.errors + fails;
	if (st == LS_OK && (r->rs.errors || fails))
		st = LS_ERR_RULES;
	ls_rules_free(r);
	return st;
}

void ls_compiler_free(ls_compiler *c)
{
	if (!c)
		return;
	lsi_ruleset_fini(&c->rs);
	lsi_free(c->cache_dir);
	lsi_free(c);
}

void ls_rules_free(ls_rules *r)
{
	if (!r)
		return;
	lsi_engine_free(r->engine);
	lsi_ruleset_fini(&r->rs);
	lsi_free(r);
}

size_t ls_rules_count(const ls_rules *r)
{
	return r ? r->rs.count : 0;
}

ls_status ls_rules_get(const ls_rules *r, size_t i, const char **id, const char **name,
		       ls_category *cat, ls_severity *sev)
{
	const struct lsi_rule *rule;

	if (!r || i >= r->rs.count)
		return LS_ERR_INVALID_ARG;
	rule = &r->rs.rules[i];
	if (id)
		*id = rule->id;
	if (name)
		*name = rule->name;
	if (cat)
		*cat = rule->category;
	if (sev)
		*sev = rule->severity;
	return LS_OK;
}

const char *ls_rules_pattern(const ls_rules *r, size_t i)
{
	if (!r || i >= r->rs.count)
		return NULL;
	return r->rs.rules[i].pattern;
}

int ls_rules_enabled(const ls_rules *r, size_t i)
{
	return r && i < r->rs.count && !r->rs.rules[i].disabled;
}

size_t ls_rules_references(const ls_rules *r, size_t i, const char *const **refs)
{
	if (refs)
		*refs = NULL;
	if (!r || i >= r->rs.count)
		return 0;
	if (refs)
		*refs = (const char *const *)r->rs.rules[i].references.items;
	return r->rs.rules[i].references.count;
}

struct example_run {
	size_t rule;
	bool hit;
};

static int on_example_hit(const struct lsi_hit *h, void *user)
{
	struct example_run *er = user;

	if (h->rule == er->rule)
		er->hit = true;
	return 0;
}

/* Whether rule @ri fires on @text fed in chunks of @chunk bytes. */
static ls_status run_example(const ls_rules *r, struct lsi_matcher *m, size_t ri,
			     const char *text, size_t chunk, bool *hit)
{
	struct example_run er = { ri, false };
	const struct lsi_rule *rule = &r->rs.rules[ri];
	size_t len = strlen(text);
	struct lsi_mstream *s;
	ls_status st;

	if (rule->path_rule) {
		lsi_engine_match_path(r->engine, m, text, len, on_example_hit, &er);
		*hit = er.hit;
		return LS_OK;
	}
	if ((st = lsi_mstream_open(m, on_example_hit, &er, &s)) != LS_OK)
		return st;
	for (size_t off = 0; off < len && st == LS_OK; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		st = lsi_mstream_push(s, (const uint8_t *)text + off, n, off + n == len);
	}
	if (st == LS_OK)
		st = lsi_mstream_close(s);
	else
		lsi_mstream_close(s);
	*hit = er.hit;
	return st;
}

static bool pcre_alone(const ls_rules *r, size_t ri, const char *text)
{
	pcre2_match_data *md;
	int rc;
	const pcre2_code *re = lsi_crule_re(&r->engine->rules[ri]);

	if (!re || !(md = pcre2_match_data_create_from_pattern(re, NULL)))
		return false;
	rc = pcre2_match(re, (PCRE2_SPTR)text, strlen(text), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc > 0;
}

ls_status ls_rules_test(const ls_rules *r, ls_diag_fn fn, void *user, size_t *failures,
			size_t *examples)
{
	struct lsi_matcher *m;
	size_t fails = 0, count = 0;
	ls_status st;
	char msg[512];

	if (failures)
		*failures = 0;
	if (examples)
		*examples = 0;
	if (!r)
		return LS_ERR_INVALID_ARG;
	if ((st = lsi_matcher_new(r->engine, &m)) != LS_OK)
		return st;
	lsi_matcher_every_rule(m, true); /* each example under its own rule */
	for (size_t i = 0; i < r->rs.count && st == LS_OK; i++) {
		const struct lsi_rule *rule = &r->rs.rules[i];

		if (rule->disabled || rule->analyzer)
			continue; /* analyzer rules are tested with their analyzers */
		if (rule->generated)
			continue; /* from the config: its own tests cover it */
		if (!rule->path_rule && rule->pattern &&
		    lsi_pattern_min_literal(rule->hs_pattern ? rule->hs_pattern : rule->pattern) < 3) {
			/* Speed: Hyperscan needs a literal to anchor on (rules/README.md). */
			if (!rule->no_literal)
				fails++;
			if (fn) {
				if (rule->no_literal)
					snprintf(msg, sizeof(msg),
						 "warning: rule '%s' has no literal of 3+ bytes: %.300s",
						 rule->id, rule->no_literal);
				else
					snprintf(msg, sizeof(msg),
						 "rule '%s': no literal of 3+ bytes for Hyperscan to anchor "
						 "on (it slows every scan): add one, or an hs_pattern, or "
						 "no_literal_reason", rule->id);
				fn(rule->file, rule->pattern_line ? rule->pattern_line : rule->line,
				   msg, user);
			}
		}
		/* A warning only: + and * are everyday in a rule of one's own. */
		if (!rule->path_rule && rule->pattern && fn && lsi_rule_unbounded(rule)) {
			snprintf(msg, sizeof(msg),
				 "warning: rule '%s' has a repeat with no upper bound (+, * or "
				 "{n,}): a match is cut after about %u KiB, and while the rule "
				 "is loaded no large file is split between threads; bound it, "
				 "e.g. {1,256}",
				 rule->id, LSI_WINDOW / 1024);
			fn(rule->file, rule->pattern_line ? rule->pattern_line : rule->line, msg,
			   user);
		}
		/* A rule nobody showed a match and a near miss for is never tested. */
		if (rule->examples.count < 2 || rule->negatives.count < 2) {
			fails++;
			if (fn) {
				snprintf(msg, sizeof(msg),
					 "rule '%s': needs at least 2 examples and 2 negative_examples",
					 rule->id);
				fn(rule->file, rule->line, msg, user);
			}
		}
		for (size_t k = 0; k < rule->examples.count && st == LS_OK; k++) {
			const char *ex = rule->examples.items[k];
			bool whole = false, bytes = true;

			count++;
			st = run_example(r, m, i, ex, strlen(ex) + 1, &whole);
			if (st == LS_OK && !rule->path_rule)
				st = run_example(r, m, i, ex, 1, &bytes);
			if (st != LS_OK || (whole && bytes))
				continue;
			fails++;
			if (fn) {
				snprintf(msg, sizeof(msg), "rule '%s': example not found%s: %.200s",
					 rule->id,
					 !whole ? (pcre_alone(r, i, ex)
							   ? " (PCRE2 matches: Hyperscan missed it or a filter dropped it)"
							   : " (PCRE2 does not match)")
						: " when fed one byte at a time",
					 ex);
				fn(rule->file, rule->examples.lines[k], msg, user);
			}
		}
		for (size_t k = 0; k < rule->negatives.count && st == LS_OK; k++) {
			const char *ex = rule->negatives.items[k];
			bool hit = false;

			count++;
			st = run_example(r, m, i, ex, strlen(ex) + 1, &hit);
			if (st != LS_OK || !hit)
				continue;
			fails++;
			if (fn) {
				snprintf(msg, sizeof(msg), "rule '%s': negative example matched: %.200s",
					 rule->id, ex);
				fn(rule->file, rule->negatives.lines[k], msg, user);
			}
		}
	}
	lsi_matcher_free(m);
	if (failures)
		*failures = fails;
	if (examples)
		*examples = count;
	if (st != LS_OK)
		return st;
	return fails ? LS_ERR_RULES : LS_OK;
}
