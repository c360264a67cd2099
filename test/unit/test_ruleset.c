/* SPDX-License-Identifier: Apache-2.0 */
/* ruleset/: the literal analysis, rule-file diagnostics, the config file. */
#include "helpers/test_common.h"

#include <stdio.h>
#include <string.h>

#include "ruleset/ruleset.h"

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
		"    pattern: 'tok2_([a-z]{8})'\n"
		"  - id: second\n"
		"    category: debug-log\n"
		"    pattern: 'abc'\n";

	(void)state;
	lsi_ruleset_init(&rs);
	rs.diag = on_diag;
	rs.diag_user = &d;
	assert_int_equal(lsi_ruleset_load_mem(&rs, "r.yml", yml, strlen(yml), false), LS_OK);
	lsi_ruleset_check(&rs);
	assert_string_equal(d.text,
			    "r.yml:5: unknown key 'colour'\n"
			    "r.yml:8: unknown severity 'severe'\n"
			    "r.yml:13: duplicate rule id 'second' (first defined at r.yml:10)\n");
	lsi_ruleset_fini(&rs);
}

static void test_yaml_syntax_error(void **state)
{
	struct lsi_ruleset rs;
	struct diags d = { "" };
	static const char yml[] = "rules:\n  - id: a\n    pattern: 'unterminated\n";

	(void)state;
	lsi_ruleset_init(&rs);
	rs.diag = on_diag;
	rs.diag_user = &d;
	lsi_ruleset_load_mem(&rs, "s.yml", yml, strlen(yml), false);
	assert_non_null(strstr(d.text, "s.yml:"));
	assert_non_null(strstr(d.text, "YAML syntax error"));
	assert_int_equal(rs.count, 0);
	lsi_ruleset_fini(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_min_literal),
		cmocka_unit_test(test_rule_diagnostics),
		cmocka_unit_test(test_yaml_syntax_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
