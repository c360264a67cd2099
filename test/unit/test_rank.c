/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ranker's evidence (member type, entropy, example context, repeats),
 * the engine's line marks ("leakscan:allow", example words) and their
 * independence from how a stream is split, baselines, the repeat counter
 * and the progress callback.
 */
#include "helpers/test_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/validators.h"
#include "leakscan.h"
#include "rank/baseline.h"
#include "rank/rank.h"
#include "ruleset/ruleset.h"
#include "util/buf.h"

static bool has_reason(const struct lsi_rank_out *o, const char *r)
{
	for (size_t i = 0; i < o->reasons_count; i++)
		if (strcmp(o->reasons[i], r) == 0)
			return true;
	return false;
}

static void test_member_kind(void **state)
{
	uint8_t elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	uint8_t macho[64] = { 0xcf, 0xfa, 0xed, 0xfe, 7 };
	uint8_t fat[64] = { 0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2 };
	uint8_t jclass[64] = { 0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52 };
	uint8_t pe[128] = { 'M', 'Z' };
	uint8_t mz_only[128] = { 'M', 'Z' };
	char line[600];

	(void)state;
	pe[0x3c] = 0x40;
	memcpy(pe + 0x40, "PE\0\0", 4);
	mz_only[0x3c] = 0x40;
	assert_int_equal(lsi_member_kind("bin/tool", elf, sizeof(elf)), LSI_MK_BINARY);
	assert_int_equal(lsi_member_kind("x.dylib", macho, sizeof(macho)), LSI_MK_BINARY);
	/* A fat Mach-O shares CAFEBABE with Java classes: neither is sniffed. */
	assert_int_equal(lsi_member_kind("x", fat, sizeof(fat)), LSI_MK_OTHER);
	assert_int_equal(lsi_member_kind("A.class", jclass, sizeof(jclass)), LSI_MK_OTHER);
	assert_int_equal(lsi_member_kind("a.exe", pe, sizeof(pe)), LSI_MK_BINARY);
	assert_int_equal(lsi_member_kind("a.exe", mz_only, sizeof(mz_only)), LSI_MK_OTHER);
	assert_int_equal(lsi_member_kind("a.exe", pe, 0x3c), LSI_MK_OTHER); /* no e_lfanew */
	assert_int_equal(lsi_member_kind("package/config/app.json", (const uint8_t *)"{}", 2),
			 LSI_MK_CONFIG);
	assert_int_equal(lsi_member_kind("C.YAML", (const uint8_t *)"a: 1", 4), LSI_MK_CONFIG);
	assert_int_equal(lsi_member_kind("deploy/.env.production", (const uint8_t *)"A=1", 3),
			 LSI_MK_CONFIG);
	assert_int_equal(lsi_member_kind("app.properties.gz", (const uint8_t *)"a=1", 3),
			 LSI_MK_CONFIG);
	assert_int_equal(lsi_member_kind("dist/vendor.min.js", (const uint8_t *)"x\n", 2),
			 LSI_MK_BUNDLE);
	assert_int_equal(lsi_member_kind("dist/app.js", (const uint8_t *)"x\n", 2), LSI_MK_SCRIPT);
	memset(line, 'a', sizeof(line));
	assert_int_equal(lsi_member_kind("dist/app.mjs", (const uint8_t *)line, sizeof(line)),
			 LSI_MK_BUNDLE);
	line[100] = '\n';
	assert_int_equal(lsi_member_kind("dist/app.mjs", (const uint8_t *)line, sizeof(line)),
			 LSI_MK_SCRIPT);
	assert_int_equal(lsi_member_kind("README.md", (const uint8_t *)"# x", 3), LSI_MK_OTHER);
	assert_int_equal(lsi_member_kind(NULL, NULL, 0), LSI_MK_OTHER);
}

static void test_rank_evidence(void **state)
{
	const char *dist[] = { "app.tgz", "package/dist/config.json" };
	const char *test[] = { "app.tgz", "package/test/config.json" };
	struct lsi_rank_in in = { .base = LS_SEV_HIGH, .category = LS_CAT_SECRET,
				  .verdict = LSI_VERDICT_NONE, .verdict_reason = "",
				  .path = dist, .path_count = 2 };
	struct lsi_rank_out out;

	(void)state;
	lsi_rank(&in, &out);
	assert_int_equal(out.score, 80);
	in.kind = LSI_MK_CONFIG;
	lsi_rank(&in, &out);
	assert_int_equal(out.score, 85);
	assert_true(has_reason(&out, "in a config file"));
	in.kind = LSI_MK_BINARY;
	lsi_rank(&in, &out);
	assert_true(has_reason(&out, "in a binary") && out.score == 85);
	in.kind = LSI_MK_SCRIPT;
	in.column = 40;
	lsi_rank(&in, &out);
	assert_int_equal(out.score, 80);
	in.column = LSI_BUNDLE_LINE; /* a hit this far right is in a long line */
	lsi_rank(&in, &out);
	assert_true(has_reason(&out, "in a shipped bundle") && out.score == 85);
	in.kind = LSI_MK_OTHER;
	/* Entropy counts for captured secrets of 16+ bytes with no validator. */
	in.captured = true;
	in.secret_len = 40;
	in.entropy = 5.0;
	lsi_rank(&in, &out);
	assert_true(has_reason(&out, "high entropy") && out.score == 85);
	in.entropy = 2.5;
	lsi_rank(&in, &out);
	assert_true(has_reason(&out, "low entropy") && out.score == 70);
	in.secret_len = 12;
	lsi_rank(&in, &out);
	assert_int_equal(out.score, 80);
	in.secret_len = 40;
	in.verdict = LSI_VERDICT_PASS;
	lsi_rank(&in, &out);
	assert_int_equal(out.score, 85); /* the validator's word, not entropy's */
	assert_false(has_reason(&out, "low entropy"));
	in.verdict = LSI_VERDICT_NONE;
	in.captured = false;
	lsi_rank(&in, &out);
	assert_int_equal(out.score, 80);
	in.category = LS_CAT_INTERNAL_URL;
	in.captured = true;
	lsi_rank(&in, &out);
	assert_int_equal(out.score, 80);
	in.category = LS_CAT_SECRET;
	in.captured = false;
	in.example_context = true;
	lsi_rank(&in, &out);
	assert_true(has_reason(&out, "example context") && out.score == 60);
	in.example_context = false;
	/* A repeat is named, never scored. */
	in.repeat = 3;
	lsi_rank(&in, &out);
	assert_true(has_reason(&out, "repeated in this scan") && out.score == 80);
	/* Everything at once stays within 0..100 with a reason each. */
	in.base = LS_SEV_CRITICAL;
	in.verdict = LSI_VERDICT_PASS;
	in.verdict_reason = "checksum valid";
	in.kind = LSI_MK_BUNDLE;
	lsi_rank(&in, &out);
	assert_int_equal(out.score, 100);
	assert_int_equal(out.reasons_count, 3);
	in.base = LS_SEV_LOW;
	in.verdict = LSI_VERDICT_NONE;
	in.path = test;
	in.captured = true;
	in.entropy = 1.0;
	in.example_context = true;
	lsi_rank(&in, &out);
	assert_int_equal(out.score, 0);
	assert_int_equal(out.severity, LS_SEV_INFO);
	assert_int_equal(out.reasons_count, 5);
	/* An installed manual is documentation: its example URL is low. */
	{
		const char *man[] = { "curl.deb", "data.tar.xz", "./usr/share/man/man1/curl.1.gz" };
		struct lsi_rank_in u = { .base = LS_SEV_MEDIUM, .category = LS_CAT_INTERNAL_URL,
					 .verdict = LSI_VERDICT_NONE, .verdict_reason = "",
					 .path = man, .path_count = 3 };

		lsi_rank(&u, &out);
		assert_true(has_reason(&out, "in documentation") && out.severity == LS_SEV_LOW);
	}
	/* A credential for a loopback host is lowered, not dropped. */
	{
		const char *cfg[] = { "app.tgz", "package/.env.defaults" };
		struct lsi_rank_in k = { .base = LS_SEV_HIGH, .category = LS_CAT_SECRET,
					 .verdict = LSI_VERDICT_NONE, .verdict_reason = "",
					 .path = cfg, .path_count = 2, .loopback = true };

		lsi_rank(&k, &out);
		assert_true(has_reason(&out, "for a loopback host") && out.score == 55);
	}
	/* A live key in shipped docs is lowered once, not for the folder and
	 * the .md file both: a validated critical key stays high. */
	{
		const char *doc[] = { "pkg.tgz", "package/docs/setup.md" };
		struct lsi_rank_in k = { .base = LS_SEV_CRITICAL, .category = LS_CAT_SECRET,
					 .verdict = LSI_VERDICT_PASS, .verdict_reason = "valid",
					 .path = doc, .path_count = 2 };

		lsi_rank(&k, &out);
		assert_int_equal(out.score, 85);
		assert_true(has_reason(&out, "under docs/") && !has_reason(&out, "in documentation"));
		k.category = LS_CAT_INTERNAL_URL;
		lsi_rank(&k, &out);
		assert_int_equal(out.score, 50); /* prose: folder and file both count */
	}
	/* A declaration map's list of sources is info; its embedded sources
	 * (a critical rule) are not lowered. */
	{
		const char *dmap[] = { "lib.tgz", "package/dist/index.d.ts.map" };
		struct lsi_rank_in m = { .base = LS_SEV_LOW, .category = LS_CAT_SOURCE_EXPOSURE,
					 .verdict = LSI_VERDICT_NONE, .verdict_reason = "",
					 .path = dmap, .path_count = 2 };

		lsi_rank(&m, &out);
		assert_true(has_reason(&out, "declaration map") && out.severity == LS_SEV_INFO);
		m.base = LS_SEV_CRITICAL;
		lsi_rank(&m, &out);
		assert_true(!has_reason(&out, "declaration map") && out.severity == LS_SEV_CRITICAL);
		dmap[1] = "package/dist/index.js.map";
		m.base = LS_SEV_LOW;
		lsi_rank(&m, &out);
		assert_true(!has_reason(&out, "declaration map") && out.severity == LS_SEV_LOW);
	}
}

static void test_fpcount(void **state)
{
	struct lsi_fpcount *t = NULL;
	char fp[33];

	(void)state;
	assert_int_equal(lsi_fpcount_bump(&t, "00112233445566778899aabbccddeeff"), 0);
	assert_int_equal(lsi_fpcount_bump(&t, "00112233445566778899aabbccddeeff"), 1);
	assert_int_equal(lsi_fpcount_bump(&t, "00112233445566778899aabbccddeefe"), 0);
	assert_int_equal(lsi_fpcount_bump(&t, "00112233445566778899aabbccddeeff"), 2);
	for (unsigned i = 0; i < 5000; i++) {
		snprintf(fp, sizeof(fp), "%032x", i);
		assert_int_equal(lsi_fpcount_bump(&t, fp), 0);
	}
	for (unsigned i = 0; i < 5000; i += 7) {
		snprintf(fp, sizeof(fp), "%032x", i);
		assert_int_equal(lsi_fpcount_bump(&t, fp), 1);
	}
	lsi_fpcount_reset(t);
	assert_int_equal(lsi_fpcount_bump(&t, "00112233445566778899aabbccddeeff"), 0);
	lsi_fpcount_free(t);
	lsi_fpcount_reset(NULL);
	lsi_fpcount_free(NULL);
}

/* ---- Baselines ---- */

static int collect(const void *buf, size_t len, void *user)
{
	return lsi_buf_append(user, buf, len) ? 0 : -1;
}

static int fail_write(const void *buf, size_t len, void *user)
{
	(void)buf;
	(void)len;
	(void)user;
	return -1;
}

struct diags {
	char last[256];
	size_t n;
};

static void on_diag(const char *file, unsigned line, const char *msg, void *user)
{
	struct diags *d = user;

	snprintf(d->last, sizeof(d->last), "%s:%u: %s", file, line, msg);
	d->n++;
}

static ls_finding finding(const char *rule, const char *fp, const char *const *path, size_t n,
			  uint64_t line)
{
	ls_finding f;

	memset(&f, 0, sizeof(f));
	f.rule = rule;
	f.fingerprint = fp;
	f.path = path;
	f.path_count = n;
	f.line = line;
	f.match = "AKIA…[20 bytes #328f4c]";
	f.match_len = strlen(f.match);
	f.secret = "AKIAZ3MSJV4WQ7PLXR5T";
	f.secret_len = 20;
	return f;
}

static void test_baseline_roundtrip(void **state)
{
	const char *p1[] = { "pkg-1.0.tgz", "package/dist/config.js" };
	const char *p2[] = { "pkg-1.0.tgz", "package/lib/\x1b[31mx.js" };
	const char *p3[] = { "pkg-1.1.tgz", "package/dist/config.js" };
	ls_finding a = finding("aws", "ffff0000000000000000000000000000", p1, 2, 5);
	ls_finding b = finding("aws", "0000000000000000000000000000ffff", p2, 2, 0);
	ls_finding c = finding("pw", "ffff0000000000000000000000000000", p1, 2, 9);
	ls_finding moved = finding("aws", "ffff0000000000000000000000000000", p3, 2, 70);
	ls_finding fresh = finding("aws", "1234000000000000000000000000ffff", p3, 2, 1);
	ls_baseline *rec, *back;
	ls_baseline_entry e;
	struct lsi_buf out, again;
	struct diags d = { "", 0 };

	(void)state;
	assert_int_equal(ls_baseline_new(&rec), LS_OK);
	assert_int_equal(ls_baseline_add(rec, &a), LS_OK);
	assert_int_equal(ls_baseline_add(rec, &b), LS_OK);
	assert_int_equal(ls_baseline_add(rec, &c), LS_OK);
	assert_int_equal(ls_baseline_add(rec, &moved), LS_OK); /* known key: first place kept */
	assert_int_equal(ls_baseline_count(rec), 3);
	assert_int_equal(ls_baseline_get(rec, 0, &e), LS_OK);
	assert_string_equal(e.path[0], "pkg-1.0.tgz");
	assert_int_equal(e.line, 5);
	lsi_buf_init(&out, 1 << 20);
	assert_int_equal(ls_baseline_write(rec, collect, &out), LS_OK);
	/* Sorted by fingerprint then rule; no secret, no match text. */
	assert_null(strstr(lsi_buf_str(&out), "AKIA"));
	assert_true(strstr(lsi_buf_str(&out), "0000000000000000000000000000ffff") <
		    strstr(lsi_buf_str(&out), "\"aws\",\n      \"path\": [\n        \"pkg-1.0.tgz\",\n"
						  "        \"package/dist/config.js\""));
	assert_non_null(strstr(lsi_buf_str(&out), "\"line\": null"));
	assert_non_null(strstr(lsi_buf_str(&out), "\"leakscan_baseline\": 1"));

	assert_int_equal(ls_baseline_new(&back), LS_OK);
	assert_int_equal(ls_baseline_load(back, "b.json", out.data, out.len, on_diag, &d), LS_OK);
	assert_int_equal(d.n, 0);
	assert_int_equal(ls_baseline_count(back), 3);
	assert_int_equal(ls_baseline_get(back, 0, &e), LS_OK);
	assert_string_equal(e.fingerprint, "0000000000000000000000000000ffff");
	assert_string_equal(e.path[1], "package/lib/\x1b[31mx.js");
	assert_int_equal(e.line, 0);
	/* Written again, the same bytes. */
	lsi_buf_init(&again, 1 << 20);
	assert_int_equal(ls_baseline_write(back, collect, &again), LS_OK);
	assert_int_equal(again.len, out.len);
	assert_memory_equal(again.data, out.data, out.len);
	/* Matching is by fingerprint and rule, wherever the finding is. */
	assert_int_equal(ls_baseline_match(back, &moved), 1);
	assert_int_equal(ls_baseline_match(back, &moved), 1);
	assert_int_equal(ls_baseline_match(back, &fresh), 0);
	assert_int_equal(lsi_baseline_suppressed(back), 2);
	for (size_t i = 0; i < ls_baseline_count(back); i++) {
		assert_int_equal(ls_baseline_get(back, i, &e), LS_OK);
		assert_int_equal(e.matched, strcmp(e.rule, "aws") == 0 && e.fingerprint[0] == 'f' ? 2 : 0);
	}
	assert_int_equal(ls_baseline_write(back, fail_write, NULL), LS_ERR_IO);
	lsi_buf_fini(&again);
	lsi_buf_fini(&out);
	ls_baseline_free(back);
	ls_baseline_free(rec);
}

static void test_baseline_read(void **state)
{
	static const char report[] =
		"{\"version\": \"0.1.0\", \"findings\": [\n"
		"  {\"rule\": \"aws\", \"category\": \"secret\", \"path\": [\"a\", \"b\"], \"line\": 3,"
		"   \"fingerprint\": \"f1\", \"reasons\": [\"x\"], \"details\": {\"message\": \"m\"}}\n"
		"], \"summary\": {\"findings\": 1, \"by_severity\": {\"critical\": 1},"
		" \"inputs\": [{\"path\": \"a\"}]}}";
	static const struct {
		const char *text;
		unsigned line;
	} bad[] = {
		{ "", 1 },
		{ "[]", 1 },
		{ "{\"findings\": {}}", 1 },
		{ "{\"other\": []}", 1 },
		{ "{\"findings\": [\n{\"rule\": \"x\"}]}", 2 },
		{ "{\"findings\": [\n\n{\"rule\": \"x\", \"fingerprint\": \"y\"},\n{\"rule\": ", 4 },
		{ "{\"findings\": [{\"rule\": \"x\\u0000\", \"fingerprint\": \"y\"}]}", 1 },
		{ "{\"findings\": []} x", 1 },
	};
	ls_baseline *b;
	ls_baseline_entry e;
	struct diags d = { "", 0 };

	(void)state;
	assert_int_equal(ls_baseline_new(&b), LS_OK);
	/* A --format json report is a baseline too; its summary is not. */
	assert_int_equal(ls_baseline_load(b, "r.json", report, strlen(report), on_diag, &d), LS_OK);
	assert_int_equal(ls_baseline_count(b), 1);
	assert_int_equal(ls_baseline_get(b, 0, &e), LS_OK);
	assert_string_equal(e.rule, "aws");
	assert_string_equal(e.fingerprint, "f1");
	assert_int_equal(e.path_count, 2);
	assert_int_equal(e.line, 3);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char want[32];

		d.n = 0;
		assert_int_equal(ls_baseline_load(b, "bad.json", bad[i].text, strlen(bad[i].text),
						  on_diag, &d),
				 LS_ERR_RULES);
		assert_int_equal(d.n, 1);
		snprintf(want, sizeof(want), "bad.json:%u: ", bad[i].line);
		if (strncmp(d.last, want, strlen(want)) != 0)
			fail_msg("case %zu: %s (want %s)", i, d.last, want);
		/* All or nothing: the earlier entry stays, nothing is added. */
		assert_int_equal(ls_baseline_count(b), 1);
	}
	assert_int_equal(ls_baseline_load(b, "b", NULL, 0, NULL, NULL), LS_ERR_RULES);
	ls_baseline_free(b);
}

static void test_baseline_bad_args(void **state)
{
	ls_baseline *b;
	ls_baseline_entry e;
	ls_finding f = finding("r", "fp", NULL, 0, 0);
	ls_reporter *rep;
	struct lsi_buf out;

	(void)state;
	assert_int_equal(ls_baseline_new(NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_baseline_new(&b), LS_OK);
	assert_int_equal(ls_baseline_load(NULL, "x", "{}", 2, NULL, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_baseline_load(b, "x", NULL, 2, NULL, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_baseline_add(NULL, &f), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_baseline_add(b, NULL), LS_ERR_INVALID_ARG);
	f.fingerprint = NULL;
	assert_int_equal(ls_baseline_add(b, &f), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_baseline_match(b, &f), 0);
	assert_int_equal(ls_baseline_match(NULL, &f), 0);
	assert_int_equal(ls_baseline_write(NULL, collect, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_baseline_write(b, NULL, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_baseline_count(NULL), 0);
	assert_int_equal(ls_baseline_get(b, 0, &e), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_baseline_get(NULL, 0, &e), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_reporter_set_baseline(NULL, b), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_reporter_set_commit(NULL, "abc"), LS_ERR_INVALID_ARG);
	lsi_buf_init(&out, 1 << 16);
	assert_int_equal(ls_reporter_new("gitlab", 0, NULL, collect, &out, &rep), LS_OK);
	assert_int_equal(ls_reporter_set_commit(rep, ""), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_reporter_set_commit(rep, "0123abcd"), LS_OK);
	assert_int_equal(ls_reporter_set_baseline(rep, b), LS_OK);
	ls_reporter_free(rep);
	assert_int_equal(ls_scanner_set_progress(NULL, NULL, 0, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_rules_references(NULL, 0, NULL), 0);
	assert_int_equal(ls_rules_enabled(NULL, 0), 0);
	lsi_buf_fini(&out);
	ls_baseline_free(b);
	ls_baseline_free(NULL);
}

/* ---- Engine line marks ---- */

static const char rules_yaml[] =
	"rules:\n"
	"  - id: aws-id\n"
	"    category: secret\n"
	"    severity: critical\n"
	"    pattern: '\\b((?:AKIA|ASIA)[A-Z2-7]{16})\\b'\n"
	"  - id: internal\n"
	"    category: internal-url\n"
	"    severity: medium\n"
	"    pattern: 'https?://[a-z0-9.-]{1,60}\\.internal\\b'\n";

struct marks {
	char rows[64][96];
	size_t n;
};

static int on_hit(const struct lsi_hit *h, void *user)
{
	struct marks *m = user;

	if (m->n < 64)
		snprintf(m->rows[m->n++], 96, "%zu L%llu C%llu %s%s%s", h->rule,
			 (unsigned long long)h->line, (unsigned long long)h->column,
			 h->allowed ? "allowed" : "-", h->example_context ? " example" : "",
			 h->allow_typo ? " typo" : "");
	return 0;
}

static void feed(struct lsi_matcher *m, const char *buf, size_t len, size_t chunk,
		 struct marks *out)
{
	struct lsi_mstream *s;

	memset(out, 0, sizeof(*out));
	assert_int_equal(lsi_mstream_open(m, on_hit, out, &s), LS_OK);
	for (size_t off = 0; off < len;) {
		size_t n = chunk && chunk < len - off ? chunk : len - off;

		assert_int_equal(lsi_mstream_push(s, (const uint8_t *)buf + off, n, false), LS_OK);
		off += n;
	}
	assert_int_equal(lsi_mstream_close(s), LS_OK);
}

static void test_line_marks(void **state)
{
	struct lsi_ruleset rs;
	struct lsi_engine *e;
	struct lsi_matcher *m;
	struct lsi_buf doc;
	struct marks whole, split;
	static const char *const want[] = {
		"0 L1 C8 -",
		"0 L2 C8 allowed",
		"0 L3 C8 allowed",
		"0 L4 C8 -",
		"0 L5 C8 allowed",
		"1 L5 C29 allowed",
		"0 L6 C1 allowed",
		"0 L7 C18 - example",
		"0 L8 C8 -",
		"0 L9 C8 -",
		"0 L9 C30 -",
		"0 L10 C8 -",
		"0 L11 C1 allowed",
		"0 L12 C20 -",
		"0 L13 C12 - example",
		"0 L14 C8 - typo",
		"0 L15 C8 allowed",
		"0 L16 C8 allowed",
	};

	(void)state;
	lsi_ruleset_init(&rs);
	assert_int_equal(lsi_ruleset_load_mem(&rs, "t.yml", rules_yaml, strlen(rules_yaml), false),
			 LS_OK);
	assert_int_equal(lsi_engine_new(&rs, NULL, &e), LS_OK);
	assert_int_equal(lsi_matcher_new(e, &m), LS_OK);
	lsi_buf_init(&doc, 1 << 20);
	lsi_buf_puts(&doc, "key1 = AKIAZ3MSJV4WQ7PLXR5T\n");
	lsi_buf_puts(&doc, "key2 = AKIAQ4MTXW5VR6PNYS3U // leakscan:allow\n");
	lsi_buf_puts(&doc, "key3 = AKIAZ3MSJV4WQ7PLXR5A # leakscan:allow aws-id\n");
	lsi_buf_puts(&doc, "key4 = AKIAZ3MSJV4WQ7PLXR5B # leakscan:allow internal\n");
	lsi_buf_puts(&doc, "key5 = AKIAZ3MSJV4WQ7PLXR5C https://a.internal # leakscan:allow "
			   "rotated last year\n");
	lsi_buf_puts(&doc, "AKIAZ3MSJV4WQ7PLXR5D");
	for (int i = 0; i < 60; i++)
		lsi_buf_puts(&doc, " padding padding");
	lsi_buf_puts(&doc, " leakscan:allow\n");
	lsi_buf_puts(&doc, "example_key_id = AKIAZ3MSJV4WQ7PLXR5E\n");
	lsi_buf_puts(&doc, "key8 = AKIAZ3MSJV4WQ7PLXR5F // leakscan:allowed\n");
	/* Two hits of one rule close together: both are found in any split. */
	lsi_buf_puts(&doc, "key9 = AKIAZ3MSJV4WQ7PLXR5G, AKIAZ3MSJV4WQ7PLXR5H\n");
	lsi_buf_puts(&doc, "keyA = AKIAZ3MSJV4WQ7PLXR5J");
	/* 1,100 bytes to the marker: past LSI_LINE_SCAN, so it does not count. */
	for (int i = 0; i < 110; i++)
		lsi_buf_puts(&doc, " 123456789");
	lsi_buf_puts(&doc, " leakscan:allow\n");
	lsi_buf_puts(&doc, "AKIAZ3MSJV4WQ7PLXR5K leakscan:allow");
	/* Example words count where a word starts: not inside "isMock". */
	lsi_buf_puts(&doc, "\nisMock=1; var k = \"AKIAZ3MSJV4WQ7PLXR5L\"\n");
	lsi_buf_puts(&doc, "mock_key = AKIAZ3MSJV4WQ7PLXR5M\n");
	/* A misspelt rule id allows nothing, not every rule; a hyphenated
	 * reason far from any id is still a reason. */
	lsi_buf_puts(&doc, "keyC = AKIAZ3MSJV4WQ7PLXR5N # leakscan:allow aws-ib\n");
	lsi_buf_puts(&doc, "keyD = AKIAZ3MSJV4WQ7PLXR5P # leakscan:allow false-positive\n");
	lsi_buf_puts(&doc, "keyE = AKIAZ3MSJV4WQ7PLXR5Q # leakscan:allow aws-id, intenal\n");
	feed(m, (const char *)doc.data, doc.len, 0, &whole);
	assert_int_equal(whole.n, sizeof(want) / sizeof(*want));
	for (size_t i = 0; i < whole.n; i++)
		assert_string_equal(whole.rows[i], want[i]);
	for (size_t chunk = 1; chunk < 80; chunk += 13) {
		feed(m, (const char *)doc.data, doc.len, chunk, &split);
		assert_int_equal(split.n, whole.n);
		for (size_t i = 0; i < whole.n; i++)
			assert_string_equal(split.rows[i], whole.rows[i]);
	}
	lsi_buf_fini(&doc);
	lsi_matcher_free(m);
	lsi_engine_free(e);
	lsi_ruleset_fini(&rs);
}

/*
 * Lines and columns on a long single line with many hits (a minified
 * bundle), and for a hit that starts before the previous one (a key inside
 * a password assignment): the same in every split, and right.
 */
static void test_locate_long_line(void **state)
{
	static const char yaml[] =
		"rules:\n"
		"  - id: aws-id\n"
		"    category: secret\n"
		"    severity: critical\n"
		"    pattern: '\\b((?:AKIA|ASIA)[A-Z2-7]{16})\\b'\n"
		"  - id: pw\n"
		"    category: secret\n"
		"    severity: high\n"
		"    pattern: 'password=\"([^\"\\s]{8,64})\"'\n";
	struct lsi_ruleset rs;
	struct lsi_engine *e;
	struct lsi_matcher *m;
	struct lsi_buf doc;
	struct marks whole, split;

	(void)state;
	lsi_ruleset_init(&rs);
	assert_int_equal(lsi_ruleset_load_mem(&rs, "t.yml", yaml, strlen(yaml), false), LS_OK);
	assert_int_equal(lsi_engine_new(&rs, NULL, &e), LS_OK);
	assert_int_equal(lsi_matcher_new(e, &m), LS_OK);
	lsi_buf_init(&doc, 1 << 22);
	lsi_buf_puts(&doc, "header\n");
	/* 40 keys 70,000 bytes apart on one line: past any chunk and history. */
	for (int i = 0; i < 40; i++) {
		for (int k = 0; k < 7000; k++)
			lsi_buf_puts(&doc, "abcdefghi;");
		lsi_buf_puts(&doc, "AKIAZ3MSJV4WQ7PLXR5T;");
	}
	lsi_buf_puts(&doc, "\nx password=\"AKIAQ4MTXW5VR6PNYS3U-tail\" y\n");
	feed(m, (const char *)doc.data, doc.len, 0, &whole);
	assert_int_equal(whole.n, 42);
	for (int i = 0; i < 40; i++) {
		char want[96];

		snprintf(want, sizeof(want), "0 L2 C%d -", 1 + (i + 1) * 70000 + i * 21);
		assert_string_equal(whole.rows[i], want);
	}
	/* Hyperscan ends the key first; the password starts 10 bytes earlier. */
	assert_string_equal(whole.rows[40], "0 L3 C13 -");
	assert_string_equal(whole.rows[41], "1 L3 C3 -");
	for (size_t chunk = 1; chunk < 100000; chunk = chunk * 7 + 3) {
		feed(m, (const char *)doc.data, doc.len, chunk, &split);
		assert_int_equal(split.n, whole.n);
		for (size_t i = 0; i < whole.n; i++)
			assert_string_equal(split.rows[i], whole.rows[i]);
	}
	lsi_buf_fini(&doc);
	lsi_matcher_free(m);
	lsi_engine_free(e);
	lsi_ruleset_fini(&rs);
}

/* ---- Progress and inline allow through the public API ---- */

struct prog {
	size_t calls;
	uint64_t last_bytes;
	bool monotonic, labelled;
};

static void on_progress(const ls_scan_stats *st, const char *const *path, size_t n, void *user)
{
	struct prog *p = user;

	p->calls++;
	if (st->bytes_scanned < p->last_bytes)
		p->monotonic = false;
	p->last_bytes = st->bytes_scanned;
	if (n < 1 || strcmp(path[0], "mem.txt") != 0)
		p->labelled = false;
}

static int count_findings(const ls_finding *f, void *user)
{
	(void)f;
	(*(size_t *)user)++;
	return 0;
}

static void test_progress_and_allow(void **state)
{
	ls_compiler *c;
	ls_rules *r;
	ls_scanner *s;
	size_t n = 4u << 20, found = 0;
	char *buf = malloc(n);
	struct prog p = { 0, 0, true, true };
	static const char line[] = "id AKIAZ3MSJV4WQ7PLXR5T # leakscan:allow\n";

	(void)state;
	assert_non_null(buf);
	memset(buf, 'x', n);
	for (size_t i = 0; i + 1 < n; i += 100)
		buf[i] = '\n';
	memcpy(buf + 1000, line, strlen(line));
	memcpy(buf + 3000, "id AKIAQ4MTXW5VR6PNYS3U\n", 24);
	assert_int_equal(ls_compiler_new(&c), LS_OK);
	assert_int_equal(ls_compiler_add_mem(c, "t.yml", rules_yaml, strlen(rules_yaml)), LS_OK);
	assert_int_equal(ls_compiler_finish(c, &r), LS_OK);
	assert_int_equal(ls_scanner_new(r, &s), LS_OK);
	assert_int_equal(ls_scanner_set_callback(s, count_findings, &found), LS_OK);
	assert_int_equal(ls_scanner_set_progress(s, on_progress, 256u << 10, &p), LS_OK);
	assert_int_equal(ls_scanner_scan_mem(s, buf, n, "mem.txt"), LS_OK);
	assert_int_equal(found, 1); /* the allowed one is not delivered */
	/* 4 MiB in 256 KiB steps: about 16 calls, never one per chunk. */
	assert_in_range(p.calls, 12, 17);
	assert_true(p.monotonic && p.labelled);
	assert_int_equal(ls_scanner_set_progress(s, NULL, 0, NULL), LS_OK);
	p.calls = 0;
	assert_int_equal(ls_scanner_scan_mem(s, buf, n, "mem.txt"), LS_OK);
	assert_int_equal(p.calls, 0);
	ls_scanner_free(s);
	ls_rules_free(r);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member_kind),	  cmocka_unit_test(test_rank_evidence),
		cmocka_unit_test(test_fpcount),		  cmocka_unit_test(test_baseline_roundtrip),
		cmocka_unit_test(test_baseline_read),	  cmocka_unit_test(test_baseline_bad_args),
		cmocka_unit_test(test_line_marks),	  cmocka_unit_test(test_locate_long_line),
		cmocka_unit_test(test_progress_and_allow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
