/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scoring model (README "Severity"): base score of the rule's severity,
 * then adjustments, each with a reason string:
 *   validator passed            +5   (the reason the validator gave)
 *   under a test/fixture/example/docs directory   -25
 *   in a documentation file (*.md, *.rst, *.txt, *.adoc)  -15
 * The result is clamped to 0..100 and mapped to a severity.
 */
#include <string.h>

#include "rank.h"
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
	"__mocks__", "mocks",
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
			for (size_t i = 0; i < sizeof(test_dirs) / sizeof(*test_dirs); i++)
				if (strlen(test_dirs[i]) == n && memcmp(seg, test_dirs[i], n) == 0)
					return test_dirs[i];
			seg = q + 1;
		}
	}
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

void lsi_rank(const struct lsi_rank_in *in, struct lsi_rank_out *out)
{
	int score = lsi_severity_base_score(in->base);
	const char *last = in->path_count ? in->path[in->path_count - 1] : "";

	memset(out, 0, sizeof(*out));
	if (in->verdict == LSI_VERDICT_PASS) {
		score += 5;
		add_reason(out, in->verdict_reason && *in->verdict_reason ? in->verdict_reason
									   : "validator passed");
	}
	/* Only the member paths (not the input name the user typed) say where
	 * inside the artifact a finding sits. */
	for (size_t i = in->path_count > 1 ? 1 : 0; i < in->path_count; i++) {
		const char *d = test_dir_in(in->path[i]);

		if (d) {
			score -= 25;
			add_reason(out, strcmp(d, "docs") == 0 || strcmp(d, "doc") == 0
						? "under docs/"
						: (strncmp(d, "example", 7) == 0 ? "under examples/"
										: "under test/"));
			break;
		}
	}
	if (has_suffix(last, ".md") || has_suffix(last, ".rst") || has_suffix(last, ".adoc") ||
	    has_suffix(last, ".markdown")) {
		score -= 15;
		add_reason(out, "in documentation");
	}
	if (score < 0)
		score = 0;
	if (score > 100)
		score = 100;
	out->score = score;
	out->severity = lsi_severity_of_score(score);
}
