/* SPDX-License-Identifier: Apache-2.0 */
/* rank/ and report/: scores and reasons, fingerprints, redaction, formats. */
#include "helpers/test_common.h"

#include <stdio.h>
#include <string.h>

#include "engine/validators.h"
#include "leakscan.h"
#include "rank/rank.h"
#include "report/redact.h"
#include "util/buf.h"

static void test_rank(void **state)
{
	const char *p1[] = { "app.tgz", "package/dist/a.js" };
	const char *p2[] = { "app.tgz", "package/test/fixtures/a.js" };
	const char *p3[] = { "app.tgz", "package/README.md" };
	const char *p4[] = { "repo/tests/a.js" }; /* a file found by walking a directory */
	struct lsi_rank_in in = { .base = LS_SEV_HIGH, .category = LS_CAT_SECRET,
				  .verdict = LSI_VERDICT_NONE, .verdict_reason = "",
				  .path = p1, .path_count = 2 };
	struct lsi_rank_out out;

	(void)state;
	lsi_rank(&in, &out);
	assert_int_equal(out.score, 80);
	assert_int_equal(out.severity, LS_SEV_HIGH);
	assert_int_equal(out.reasons_count, 0);
	in.verdict = LSI_VERDICT_PASS;
	in.verdict_reason = "checksum valid";
	lsi_rank(&in, &out);
	assert_int_equal(out.score, 85);
	assert_string_equal(out.reasons[0], "checksum valid");
	in.verdict = LSI_VERDICT_NONE;
	in.path = p2;
	lsi_rank(&in, &out);
	assert_int_equal(out.score, 55);
	assert_int_equal(out.severity, LS_SEV_MEDIUM);
	assert_string_equal(out.reasons[0], "under test/");
	in.path = p3;
	lsi_rank(&in, &out);
	assert_int_equal(out.score, 65);
	assert_string_equal(out.reasons[0], "in documentation");
	in.path = p4;
	in.path_count = 1;
	lsi_rank(&in, &out);
	assert_int_equal(out.score, 55);
	{
		const char *p5[] = { "sdk.tgz", "package/apis/iam-2010-05-08.examples.json" };

		in.path = p5;
		in.path_count = 2;
		lsi_rank(&in, &out);
		assert_int_equal(out.score, 55);
		assert_string_equal(out.reasons[out.reasons_count - 1], "in an example file");
	}
	in.base = LS_SEV_INFO;
	in.path = p2;
	in.path_count = 2;
	lsi_rank(&in, &out);
	assert_int_equal(out.score, 0);
	assert_int_equal(out.severity, LS_SEV_INFO);
}

static void test_severity_bands(void **state)
{
	(void)state;
	assert_int_equal(lsi_severity_of_score(100), LS_SEV_CRITICAL);
	assert_int_equal(lsi_severity_of_score(90), LS_SEV_CRITICAL);
	assert_int_equal(lsi_severity_of_score(89), LS_SEV_HIGH);
	assert_int_equal(lsi_severity_of_score(70), LS_SEV_HIGH);
	assert_int_equal(lsi_severity_of_score(69), LS_SEV_MEDIUM);
	assert_int_equal(lsi_severity_of_score(40), LS_SEV_MEDIUM);
	assert_int_equal(lsi_severity_of_score(39), LS_SEV_LOW);
	assert_int_equal(lsi_severity_of_score(20), LS_SEV_LOW);
	assert_int_equal(lsi_severity_of_score(19), LS_SEV_INFO);
}

static void test_fingerprint(void **state)
{
	char a[LSI_FINGERPRINT_LEN + 1], b[LSI_FINGERPRINT_LEN + 1], c[LSI_FINGERPRINT_LEN + 1];

	(void)state;
	lsi_fingerprint("rule-a", "secret", 6, a);
	lsi_fingerprint("rule-a", "secret", 6, b);
	lsi_fingerprint("rule-b", "secret", 6, c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 32);
	assert_null(strstr(a, "secret"));
}

static void test_redact(void **state)
{
	struct lsi_buf b;
	const char *m = "token = \"ghp_R9y0mQ2bXkT7cV4nL8pZ1sD6fH3jK5wA0eUo\";";

	(void)state;
	lsi_buf_init(&b, 4096);
	assert_true(lsi_redact(&b, m, strlen(m), 9, 40, true));
	assert_null(strstr(lsi_buf_str(&b), "mQ2b"));
	assert_non_null(strstr(lsi_buf_str(&b), "token = \"ghp_R9y0…[40 bytes #"));
	assert_non_null(strstr(lsi_buf_str(&b), "]\";"));
	lsi_buf_reset(&b);
	assert_true(lsi_redact(&b, "pw=hunter2", 10, 3, 7, true));
	assert_null(strstr(lsi_buf_str(&b), "hunt"));
	lsi_buf_reset(&b);
	assert_true(lsi_redact(&b, m, strlen(m), 9, 40, false));
	assert_string_equal(lsi_buf_str(&b), m);
	lsi_buf_fini(&b);
}

static int collect(const void *buf, size_t len, void *user)
{
	return lsi_buf_append(user, buf, len) ? 0 : -1;
}

static void make_finding(ls_finding *f, const char *const *path, size_t n, ls_severity sev)
{
	static const char *reasons[] = { "checksum valid" };

	memset(f, 0, sizeof(*f));
	f->rule = "github-pat";
	f->rule_name = "GitHub token";
	f->category = LS_CAT_SECRET;
	f->severity = sev;
	f->score = 95;
	f->path = path;
	f->path_count = n;
	f->offset = 10;
	f->line = 2;
	f->column = 3;
	f->match = "ghp_R9y0…[40 bytes #abcdef]";
	f->match_len = strlen(f->match);
	f->fingerprint = "00112233445566778899aabbccddeeff";
	f->reasons = reasons;
	f->reasons_count = 1;
}

static void test_formats(void **state)
{
	const char *path[] = { "app.tgz", "pkg/\x1b[2Jevil.js" };
	ls_finding f;
	ls_reporter *r;
	struct lsi_buf out;
	ls_scan_stats st = { 100, 200, 3, 1, 0, 0, 0, 0 };
	ls_scan_stats hid = { 100, 200, 3, 0, 0, 0, 0, 2 };

	(void)state;
	make_finding(&f, path, 2, LS_SEV_CRITICAL);
	lsi_buf_init(&out, 1 << 20);
	assert_int_equal(ls_reporter_new("jsonl", 0, NULL, collect, &out, &r), LS_OK);
	assert_int_equal(ls_reporter_add(r, &f), LS_OK);
	assert_int_equal(ls_reporter_finish(r), LS_OK);
	ls_reporter_free(r);
	assert_string_equal(lsi_buf_str(&out),
		"{\"rule\":\"github-pat\",\"category\":\"secret\",\"severity\":\"critical\","
		"\"score\":95,\"path\":[\"app.tgz\",\"pkg/\\u001b[2Jevil.js\"],\"line\":2,"
		"\"column\":3,\"offset\":10,\"match\":\"ghp_R9y0…[40 bytes #abcdef]\","
		"\"fingerprint\":\"00112233445566778899aabbccddeeff\","
		"\"reasons\":[\"checksum valid\"],\"details\":{}}\n");
	lsi_buf_reset(&out);
	assert_int_equal(ls_reporter_new("text", 0, NULL, collect, &out, &r), LS_OK);
	assert_int_equal(ls_reporter_add(r, &f), LS_OK);
	assert_int_equal(ls_reporter_input(r, "app.tgz", LS_OK, &st), LS_OK);
	assert_int_equal(ls_reporter_finish(r), LS_OK);
	ls_reporter_free(r);
	assert_null(strchr(lsi_buf_str(&out), '\033'));
	assert_non_null(strstr(lsi_buf_str(&out), "app.tgz!pkg/\\x1b[2Jevil.js:2:3"));
	assert_non_null(strstr(lsi_buf_str(&out), "1 finding: 1 critical, 0 high"));
	assert_null(strstr(lsi_buf_str(&out), "below --min-severity"));
	lsi_buf_reset(&out);
	/* Findings the severity filter hid are said, not mistaken for none. */
	assert_int_equal(ls_reporter_new("text", 0, NULL, collect, &out, &r), LS_OK);
	assert_int_equal(ls_reporter_input(r, "app.tgz", LS_OK, &hid), LS_OK);
	assert_int_equal(ls_reporter_finish(r), LS_OK);
	ls_reporter_free(r);
	assert_non_null(strstr(lsi_buf_str(&out), "0 findings: 0 critical, 0 high, 0 medium, 0 low, "
						   "0 info; 2 more below --min-severity, not shown\n"));
	lsi_buf_reset(&out);
	assert_int_equal(ls_reporter_new("json", 0, NULL, collect, &out, &r), LS_OK);
	assert_int_equal(ls_reporter_input(r, "app.tgz", LS_OK, &hid), LS_OK);
	assert_int_equal(ls_reporter_finish(r), LS_OK);
	ls_reporter_free(r);
	assert_non_null(strstr(lsi_buf_str(&out), "\"below_min_severity\": 2"));
	lsi_buf_reset(&out);
	assert_int_equal(ls_reporter_new("json", 0, NULL, collect, &out, &r), LS_OK);
	assert_int_equal(ls_reporter_finish(r), LS_OK);
	ls_reporter_free(r);
	assert_non_null(strstr(lsi_buf_str(&out), "\"findings\": []"));
	assert_int_equal(ls_reporter_new("xml", 0, NULL, collect, &out, &r), LS_ERR_UNSUPPORTED);
	lsi_buf_fini(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rank),     cmocka_unit_test(test_severity_bands),
		cmocka_unit_test(test_fingerprint), cmocka_unit_test(test_redact),
		cmocka_unit_test(test_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
