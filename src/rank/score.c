/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scoring model (README "Severity"): base score of the rule's severity,
 * then adjustments, each with a reason string:
 *   validator passed            +5   (the reason the validator gave)
 *   secret of 16+ bytes, no validator: entropy >= 4.5 +5, < 3.0 -10
 *   "example", "dummy", ... next to the secret on its line  -20
 *   under a test/fixture/example/docs directory   -25
 *   in a documentation file (*.md, *.rst, *.adoc, *.markdown)  -15
 *   in a shipped bundle, a config file or a binary  +5
 *   the same fingerprint seen before in this scan  +0 (a reason only)
 * The result is clamped to 0..100 and mapped to a severity. A validator
 * failure, an entropy floor or a placeholder drops a capture before it
 * gets here (engine/).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "rank.h"
#include "container/binfmt.h"
#include "engine/validators.h"

int lsi_severity_base_score(ls_severity s)
{
	static const int base[] = { 10, 30, 55, 80, 95 };

	return (unsigned)s < 5 ? base[s] : 55;
}

ls_severity lsi_severity_of_score(int score)
{
	if (score >= 90)
		return LS_SEV_CRITICAL;
	if (score >= 70)
		return LS_SEV_HIGH;
	if (score >= 40)
		return LS_SEV_MEDIUM;
	if (score >= 20)
		return LS_SEV_LOW;
	return LS_SEV_INFO;
}

static void add_reason(struct lsi_rank_out *o, const char *r)
{
	if (o->reasons_count < LSI_MAX_REASONS)
		o->reasons[o->reasons_count++] = r;
}

static const char *const test_dirs[] = {
	"test", "tests", "__tests__", "__test__", "spec", "specs", "fixtures", "fixture",
	"__fixtures__", "testdata", "test-data", "examples", "example", "docs", "doc",
	"__mocks__", "mocks", "testing", "selftests", "test-fixtures",
};

/* Whether any directory component of @p is one of test_dirs. */
static const char *test_dir_in(const char *p)
{
	const char *seg = p;

	for (const char *q = p;; q++) {
		if (*q == '/' || *q == '\\' || *q == '\0') {
			size_t n = (size_t)(q - seg);

			if (*q == '\0')
				return NULL; /* the last component is the file itself */
			/* Called for every finding: the first byte rules out most. */
			for (size_t i = 0; n && i < sizeof(test_dirs) / sizeof(*test_dirs); i++)
				if (test_dirs[i][0] == seg[0] && strlen(test_dirs[i]) == n &&
				    memcmp(seg, test_dirs[i], n) == 0)
					return test_dirs[i];
			seg = q + 1;
		}
	}
}

/* Whether @s, of @len bytes, ends with @suf. */
static bool has_suffix(const char *s, size_t len, const char *suf)
{
	size_t b = strlen(suf);

	return len >= b && memcmp(s + len - b, suf, b) == 0;
}

static bool has_suffix_ci(const char *s, size_t len, const char *suf)
{
	size_t b = strlen(suf);

	if (len < b)
		return false;
	for (size_t i = 0; i < b; i++)
		if (tolower((unsigned char)s[len - b + i]) != suf[i])
			return false;
	return true;
}

enum lsi_mkind lsi_member_kind(const char *name, const uint8_t *head, size_t head_len)
{
	static const char *const squeeze[] = { ".gz", ".bz2", ".xz", ".zst" };
	static const char *const config[] = {
		".json", ".yml", ".yaml", ".properties", ".env", ".ini", ".xml", ".toml",
		".conf", ".cfg",
	};
	const char *base = name ? name : "";
	size_t len;

	if (head && lsi_binfmt_sniff(head, head_len) != LSI_BIN_NONE)
		return LSI_MK_BINARY;
	for (const char *p = base; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	len = strlen(base);
	/* A compressed member is named for what it holds plus the layer. */
	for (size_t i = 0; i < sizeof(squeeze) / sizeof(*squeeze); i++)
		if (has_suffix_ci(base, len, squeeze[i])) {
			len -= strlen(squeeze[i]);
			break;
		}
	if (has_suffix_ci(base, len, ".js") || has_suffix_ci(base, len, ".mjs") ||
	    has_suffix_ci(base, len, ".cjs")) {
		const char *dot = memchr(base, '.', len);

		while (dot && (size_t)(dot - base) < len) {
			if (strncasecmp(dot, ".min.", 5) == 0)
				return LSI_MK_BUNDLE;
			dot = memchr(dot + 1, '.', len - (size_t)(dot + 1 - base));
		}
		if (head_len >= LSI_BUNDLE_LINE && !memchr(head, '\n', LSI_BUNDLE_LINE))
			return LSI_MK_BUNDLE;
		return LSI_MK_SCRIPT;
	}
	for (size_t i = 0; i < sizeof(config) / sizeof(*config); i++)
		if (has_suffix_ci(base, len, config[i]))
			return LSI_MK_CONFIG;
	/* .env.production, .env.local: dotenv files named for their stage. */
	if (strncmp(base, ".env.", 5) == 0)
		return LSI_MK_CONFIG;
	return LSI_MK_OTHER;
}

/* The shipped-artifact bonus: bundles, config files and binaries. */
static int shipped(const struct lsi_rank_in *in, struct lsi_rank_out *out)
{
	int kind = in->kind;

	if (kind == LSI_MK_SCRIPT && in->column >= LSI_BUNDLE_LINE)
		kind = LSI_MK_BUNDLE; /* a line this long is not hand-written */
	switch (kind) {
	case LSI_MK_BUNDLE:
		add_reason(out, "in a shipped bundle");
		return 5;
	case LSI_MK_CONFIG:
		add_reason(out, "in a config file");
		return 5;
	case LSI_MK_BINARY:
		add_reason(out, "in a binary");
		return 5;
	default:
		return 0;
	}
}

/* Whether the file name (not its directories) says it holds examples. */
static bool example_file(const char *path)
{
	const char *base = strrchr(path, '/');
	static const char *const words[] = { "example", "sample", "fixture", "mock", "dummy" };

	base = base ? base + 1 : path;
	/* Called for every finding: compare only where a word could start. */
	for (const char *p = base; *p; p++) {
		char c = (char)(*p | 0x20);

		if (c != 'e' && c != 's' && c != 'f' && c != 'm' && c != 'd')
			continue;
		for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
			if (words[i][0] == c && strncasecmp(p, words[i], strlen(words[i])) == 0)
				return true;
	}
	return false;
}

void lsi_rank(const struct lsi_rank_in *in, struct lsi_rank_out *out)
{
	int score = lsi_severity_base_score(in->base);
	const char *last = in->path_count ? in->path[in->path_count - 1] : "";
	size_t last_len = strlen(last);

	memset(out, 0, sizeof(*out));
	if (in->verdict == LSI_VERDICT_PASS) {
		score += 5;
		add_reason(out, in->verdict_reason && *in->verdict_reason ? in->verdict_reason
									   : "validator passed");
	}
	/* Entropy says something only where no validator did, and only over
	 * enough bytes for the estimate to mean anything. */
	if (in->category == LS_CAT_SECRET && in->captured && in->verdict == LSI_VERDICT_NONE &&
	    in->secret_len >= 16) {
		if (in->entropy >= 4.5) {
			score += 5;
			add_reason(out, "high entropy");
		} else if (in->entropy < 3.0) {
			score -= 10;
			add_reason(out, "low entropy");
		}
	}
	if (in->example_context) {
		score -= 20;
		add_reason(out, "example context");
	}
	/* A database URL for localhost holds a development default more often
	 * than a production password: lower, not dropped. */
	if (in->loopback) {
		score -= 25;
		add_reason(out, "for a loopback host");
	}
	/* A key in a comment is still a key, and a sourceMappingURL is
	 * always in one; a URL, a path or a console.log in one is
	 * documentation that never runs. */
	if (in->in_comment && (in->category == LS_CAT_INTERNAL_URL ||
			       in->category == LS_CAT_DEBUG_LOG || in->category == LS_CAT_DEBUG_INFO)) {
		score -= 20;
		add_reason(out, "in a comment");
	}
	/* Only the member paths (not the input name the user typed) say where
	 * inside the artifact a finding sits. */
	bool in_test_dir = false, in_docs = false;

	for (size_t i = in->path_count > 1 ? 1 : 0; i < in->path_count; i++) {
		const char *d = test_dir_in(in->path[i]);

		if (d) {
			in_test_dir = true;
			in_docs = strcmp(d, "docs") == 0 || strcmp(d, "doc") == 0;
			/* A credential pasted into shipped docs is live: docs
			 * lower a secret once, as much as a README does. */
			score -= in_docs && in->category == LS_CAT_SECRET ? 15 : 25;
			add_reason(out, in_docs ? "under docs/"
						: (strncmp(d, "example", 7) == 0 ? "under examples/"
										: "under test/"));
			break;
		}
	}
	/* Installed manuals and docs of a package (curl.1.gz shows example
	 * URLs) read as a README does. */
	if (has_suffix(last, last_len, ".md") || has_suffix(last, last_len, ".rst") ||
	    has_suffix(last, last_len, ".adoc") || has_suffix(last, last_len, ".markdown") ||
	    strstr(last, "/share/man/") ||
	    strstr(last, "/share/doc/")) {
		/* A credential pasted into a README is live; the rest is prose. */
		if (!(in_docs && in->category == LS_CAT_SECRET)) {
			score -= in->category == LS_CAT_SECRET ? 15 : 25;
			add_reason(out, "in documentation");
		}
	} else if (!in_test_dir && example_file(last)) {
		/* API example files (aws-sdk's *.examples.json, *.sample.env). */
		score -= 25;
		add_reason(out, "in an example file");
	}
	/* A TypeScript declaration map lists the .ts files behind its types:
	 * paths of a library's public API, not its code. */
	if (in->category == LS_CAT_SOURCE_EXPOSURE && in->base <= LS_SEV_LOW &&
	    (has_suffix(last, last_len, ".d.ts.map") || has_suffix(last, last_len, ".d.mts.map") ||
	     has_suffix(last, last_len, ".d.cts.map"))) {
		score -= 15;
		add_reason(out, "declaration map");
	}
	score += shipped(in, out);
	/* A secret repeated in many places is no less a secret, and no more
	 * of one: each copy keeps its own location's score. */
	if (in->repeat)
		add_reason(out, "repeated in this scan");
	if (score < 0)
		score = 0;
	if (score > 100)
		score = 100;
	out->score = score;
	out->severity = lsi_severity_of_score(score);
}
