/* SPDX-License-Identifier: Apache-2.0 */
/* ruleset/: the literal analysis, rule-file diagnostics, the config file. */
#include "helpers/test_common.h"

#include <stdio.h>
#include <string.h>

#include "ruleset/ruleset.h"
#include "util/buf.h"

static void test_min_literal(void **state)
{
	static const struct {
		const char *pattern;
		int want;
	} cases[] = {
		{ "ghp_[A-Za-z0-9]{36}", 4 },
		{ "\\b((?:AKIA|ASIA)[A-Z2-7]{16})\\b", 4 },
		{ "\"[a-f0-9]{32}\"", 1 },
		{ "(?i:heroku)[\\w.-]{0,20}key", 6 },
		{ "ab?c", 1 },
		{ "a(?:bcd|efg)h", 5 },
		{ "(?:abc|de)", 2 },
		{ "[MN][a-z]{10}", 0 },
		{ "A{20}", 1 },
		{ "x\\.yz", 4 },
		{ "(?i)token", 5 },
		{ "\\Qab.c\\E", 4 },
		{ "(?<![a-z])tok_([a-f0-9]{12})(?![a-f0-9])", 4 },
		{ "abc|[0-9]", 0 },
		{ "(abc", 3 },
		{ "", 0 },
		{ "((((((((((x))))))))))", 1 },
		{ "[pP]wd", 3 },
		{ "[a-b]wd", 2 },
		{ ":(?://|\\\\/\\\\/)", 3 },
		{ "x(?:ab|cd)?yz", 2 },
		{ "(?:ab|cd)+yz", 2 },
		{ "(?<name>abc)", 3 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int got = lsi_pattern_min_literal(cases[i].pattern);

		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].pattern, got, cases[i].want);
	}
}

struct diags {
	char text[4096];
};

static void on_diag(const char *file, unsigned line, const char *msg, void *user)
{
	struct diags *d = user;
	size_t n = strlen(d->text);

	snprintf(d->text + n, sizeof(d->text) - n, "%s:%u: %s\n", file, line, msg);
}

/* A ruleset whose diagnostics go to @d, loaded from @yml as file @name. */
static ls_status load_diag(struct lsi_ruleset *rs, struct diags *d, const char *name,
			   const char *yml)
{
	lsi_ruleset_init(rs);
	rs->diag = on_diag;
	rs->diag_user = d;
	return lsi_ruleset_load_mem(rs, name, yml, strlen(yml), false);
}

static void test_rule_diagnostics(void **state)
{
	struct lsi_ruleset rs;
	struct diags d = { "" };
	static const char yml[] =
		"rules:\n"
		"  - id: ok-rule\n"
		"    category: secret\n"
		"    pattern: 'tok_([a-z]{8})'\n"
		"    colour: blue\n"
		"  - id: ok-rule\n"
		"    category: secret\n"
		"    severity: severe\n"
		"    pattern: 'x'\n"
		"  - id: second\n"
		"    category: secret\n"
		"    severity: low\n"
		"    pattern: 'tok2_([a-z]{8})'\n"
		"  - id: second\n"
		"    category: debug-log\n"
		"    severity: low\n"
		"    pattern: 'abc'\n"
		"  - id: bare\n"
		"    pattern: 'bare'\n";

	(void)state;
	assert_int_equal(load_diag(&rs, &d, "r.yml", yml), LS_OK);
	lsi_ruleset_check(&rs);
	assert_string_equal(d.text,
			    "r.yml:5: unknown key 'colour'\n"
			    "r.yml:2: rule 'ok-rule' has no severity (info, low, medium, high, critical)\n"
			    "r.yml:8: unknown severity 'severe'\n"
			    "r.yml:18: rule 'bare' has no category (secret, internal-url, debug-log, "
			    "debug-info, sensitive-file, source-exposure)\n"
			    "r.yml:18: rule 'bare' has no severity (info, low, medium, high, critical)\n"
			    "r.yml:14: duplicate rule id 'second' (first defined at r.yml:10)\n");
	lsi_ruleset_fini(&rs);
	/* A top-level key other than 'rules' is named. */
	d.text[0] = '\0';
	assert_int_equal(load_diag(&rs, &d, "t.yml", "rule:\n  - id: x\n"), LS_OK);
	assert_non_null(strstr(d.text, "t.yml:1: unknown top-level key 'rule' (expected 'rules')\n"));
	lsi_ruleset_fini(&rs);
}

/* Duplicates are said in rule order; find() gives the first of an id. */
static void test_find_and_duplicates(void **state)
{
	struct lsi_ruleset rs;
	struct diags d = { "" };
	static const char yml[] =
		"rules:\n"
		"  - {id: cc, category: secret, severity: low, pattern: 'ccc'}\n"
		"  - {id: aa, category: secret, severity: low, pattern: 'aaa'}\n"
		"  - {id: bb, category: secret, severity: low, pattern: 'bbb'}\n"
		"  - {id: aa, category: secret, severity: low, pattern: 'aa2'}\n"
		"  - {id: cc, category: secret, severity: low, pattern: 'cc2'}\n"
		"  - {id: aa, category: secret, severity: low, pattern: 'aa3'}\n";

	(void)state;
	assert_int_equal(load_diag(&rs, &d, "d.yml", yml), LS_OK);
	assert_string_equal(lsi_ruleset_find(&rs, "aa")->pattern, "aaa"); /* before check() */
	lsi_ruleset_check(&rs);
	assert_string_equal(d.text,
			    "d.yml:5: duplicate rule id 'aa' (first defined at d.yml:3)\n"
			    "d.yml:6: duplicate rule id 'cc' (first defined at d.yml:2)\n"
			    "d.yml:7: duplicate rule id 'aa' (first defined at d.yml:3)\n");
	assert_string_equal(lsi_ruleset_find(&rs, "aa")->pattern, "aaa");
	assert_string_equal(lsi_ruleset_find(&rs, "bb")->pattern, "bbb");
	assert_string_equal(lsi_ruleset_find(&rs, "cc")->pattern, "ccc");
	assert_null(lsi_ruleset_find(&rs, "a"));
	assert_null(lsi_ruleset_find(&rs, "zz"));
	assert_null(lsi_ruleset_find(&rs, ""));
	lsi_ruleset_fini(&rs);
}

/* Misspelt rule ids (leakscan:allow): one edit, two for long ids, an
 * adjacent swap counting as one; short or unhyphenated words never. */
static void test_near_ids(void **state)
{
	struct lsi_ruleset rs;
	static const char yml[] =
		"rules:\n"
		"  - {id: aws-access-key-id, category: secret, severity: low, pattern: 'aaa'}\n"
		"  - {id: npm-token, category: secret, severity: low, pattern: 'bbb'}\n"
		"  - {id: gh-pat, category: secret, severity: low, pattern: 'ccc'}\n";
	static const struct {
		const char *word, *rule;
	} cases[] = {
		{ "aws-acess-key-id", "aws-access-key-id" },  /* a letter left out */
		{ "aws-accses-key-id", "aws-access-key-id" }, /* two letters swapped */
		{ "aws-acess-key-ids", "aws-access-key-id" }, /* two edits, long id */
		{ "aws-access-key-id", NULL },                 /* the id itself */
		{ "npm-tokn", "npm-token" },
		{ "npm-tkn", NULL },                           /* two edits, short id */
		{ "gh-pta", "gh-pat" },
		{ "gh-pa", NULL },                             /* under six characters */
		{ "npmtoken", NULL },                          /* no hyphen: a reason */
		{ "false-positive", NULL },
		{ "2024-05", NULL },
	};

	(void)state;
	lsi_ruleset_init(&rs);
	assert_int_equal(lsi_ruleset_load_mem(&rs, "n.yml", yml, strlen(yml), false), LS_OK);
	lsi_ruleset_check(&rs);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct lsi_rule *r = lsi_ruleset_near(&rs, cases[i].word);

		if (cases[i].rule) {
			assert_non_null(r);
			assert_string_equal(r->id, cases[i].rule);
		} else {
			assert_null(r);
		}
	}
	lsi_ruleset_fini(&rs);
}

static void test_yaml_syntax_error(void **state)
{
	struct lsi_ruleset rs;
	struct diags d = { "" };
	static const char yml[] = "rules:\n  - id: a\n    pattern: 'unterminated\n";

	(void)state;
	load_diag(&rs, &d, "s.yml", yml);
	assert_non_null(strstr(d.text, "s.yml:"));
	assert_non_null(strstr(d.text, "YAML syntax error"));
	assert_null(strstr(d.text, "tab"));
	assert_int_equal(rs.count, 0);
	lsi_ruleset_fini(&rs);

	/* A tab where YAML wants spaces: the line, and that it is the tab. */
	{
		static const char tabbed[] = "rules:\n  - id: a\n\tpattern: 'abc'\n";
		struct diags d2 = { "" };

		load_diag(&rs, &d2, "t.yml", tabbed);
		assert_non_null(strstr(d2.text, "t.yml:3:"));
		assert_non_null(strstr(d2.text, "indented with a tab; YAML indents with spaces only"));
		lsi_ruleset_fini(&rs);
	}
}

static void assert_str_same(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_list_same(const struct lsi_strlist *a, const struct lsi_strlist *b)
{
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		assert_string_equal(a->items[i], b->items[i]);
		assert_int_equal(a->lines[i], b->lines[i]);
	}
}

/* Every field of every rule, as the YAML loader made them. */
static void assert_rulesets_same(const struct lsi_ruleset *a, const struct lsi_ruleset *b)
{
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		const struct lsi_rule *x = &a->rules[i], *y = &b->rules[i];

		assert_str_same(x->id, y->id);
		assert_str_same(x->name, y->name);
		assert_int_equal(x->category, y->category);
		assert_int_equal(x->severity, y->severity);
		assert_int_equal(x->path_rule, y->path_rule);
		assert_int_equal(x->analyzer, y->analyzer);
		assert_str_same(x->pattern, y->pattern);
		assert_str_same(x->hs_pattern, y->hs_pattern);
		assert_true(x->min_entropy == y->min_entropy);
		assert_str_same(x->validator, y->validator);
		assert_str_same(x->no_literal, y->no_literal);
		assert_list_same(&x->references, &y->references);
		assert_list_same(&x->examples, &y->examples);
		assert_list_same(&x->negatives, &y->negatives);
		assert_str_same(x->file, y->file);
		assert_int_equal(x->line, y->line);
		assert_int_equal(x->disabled, y->disabled);
		assert_int_equal(x->builtin, y->builtin);
	}
}

static void test_pack_round_trip_and_damage(void **state)
{
	struct lsi_ruleset a, b;
	struct lsi_buf blob;
	static const char yml[] =
		"rules:\n"
		"  - id: full-rule\n"
		"    name: A rule with every field\n"
		"    category: secret\n"
		"    severity: high\n"
		"    pattern: 'tok_([a-z0-9]{16})'\n"
		"    hs_pattern: 'tok_[a-z0-9]{16}'\n"
		"    min_entropy: 3.25\n"
		"    validator: luhn\n"
		"    references: [https://example.invalid/a, https://example.invalid/b]\n"
		"    examples:\n"
		"      - 'tok_abcdefgh01234567'\n"
		"      - \"caf\\u00e9 tok_0123456789abcdef\"\n"
		"    negative_examples: ['tok_short']\n"
		"  - id: a-path\n"
		"    severity: medium\n"
		"    category: sensitive-file\n"
		"    target: path\n"
		"    pattern: '(?:^|/)\\.env$'\n"
		"    no_literal_reason: names are short\n"
		"  - id: an-analyzer\n"
		"    category: debug-info\n"
		"    severity: info\n"
		"    target: analyzer\n";

	(void)state;
	lsi_ruleset_init(&a);
	assert_int_equal(lsi_ruleset_load_mem(&a, "t.yml", yml, strlen(yml), true), LS_OK);
	assert_int_equal(a.errors, 0);
	assert_int_equal(a.count, 3);
	lsi_buf_init(&blob, 1 << 20);
	assert_true(lsi_ruleset_pack(&a, &blob));
	lsi_ruleset_init(&b);
	assert_int_equal(lsi_ruleset_unpack(&b, blob.data, blob.len, true), LS_OK);
	assert_rulesets_same(&a, &b);
	lsi_ruleset_fini(&b);
	/* Every truncation, a wrong magic and trailing bytes: refused, no leak. */
	for (size_t n = 0; n < blob.len; n++) {
		lsi_ruleset_init(&b);
		assert_int_equal(lsi_ruleset_unpack(&b, blob.data, n, true), LS_ERR_RULES);
		lsi_ruleset_fini(&b);
	}
	blob.data[0] ^= 1;
	lsi_ruleset_init(&b);
	assert_int_equal(lsi_ruleset_unpack(&b, blob.data, blob.len, true), LS_ERR_RULES);
	lsi_ruleset_fini(&b);
	blob.data[0] ^= 1;
	assert_true(lsi_buf_append(&blob, "x", 1));
	lsi_ruleset_init(&b);
	assert_int_equal(lsi_ruleset_unpack(&b, blob.data, blob.len, true), LS_ERR_RULES);
	lsi_ruleset_fini(&b);
	lsi_buf_fini(&blob);
	lsi_ruleset_fini(&a);
}

/* What the build packed is what the YAML loader reads from rules/. */
static void test_builtin_pack_matches_rule_files(void **state)
{
	struct lsi_ruleset yaml, packed;

	(void)state;
	lsi_ruleset_init(&yaml);
	for (size_t i = 0; i < lsi_builtin_rules_count; i++)
		assert_int_equal(lsi_ruleset_load_mem(&yaml, lsi_builtin_rules[i].name,
						      lsi_builtin_rules[i].data,
						      lsi_builtin_rules[i].len, true), LS_OK);
	assert_int_equal(yaml.errors, 0);
	assert_true(yaml.count > 400);
	lsi_ruleset_init(&packed);
	assert_int_equal(lsi_ruleset_load_builtin(&packed), LS_OK);
	assert_rulesets_same(&yaml, &packed);
	lsi_ruleset_fini(&packed);
	lsi_ruleset_fini(&yaml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_min_literal),
		cmocka_unit_test(test_rule_diagnostics),
		cmocka_unit_test(test_yaml_syntax_error),
		cmocka_unit_test(test_find_and_duplicates),
		cmocka_unit_test(test_near_ids),
		cmocka_unit_test(test_pack_round_trip_and_damage),
		cmocka_unit_test(test_builtin_pack_matches_rule_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
