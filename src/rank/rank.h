/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ranker: a rule's base severity plus evidence (validator outcome,
 * location, file type) -> a score 0..100 with a reason for every
 * adjustment; and location-independent fingerprints.
 */
#ifndef LSI_RANK_H
#define LSI_RANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leakscan.h"

#define LSI_MAX_REASONS 8

struct lsi_rank_in {
	ls_severity base;             /* the rule's (or config's) severity */
	ls_category category;
	int verdict;                  /* enum lsi_verdict */
	const char *verdict_reason;   /* "" when none */
	const char *const *path;      /* the finding's path elements */
	size_t path_count;
	/* Content evidence; zero (unknown) for name, analyzer and note findings. */
	int kind;                     /* enum lsi_mkind of the innermost member */
	uint64_t column;              /* 1-based column of the match; 0 unknown */
	bool captured;                /* the secret is a capture group */
	double entropy;               /* of the secret, bits per byte */
	size_t secret_len;
	bool example_context;         /* "example", "dummy", ... next to the secret */
	bool loopback;                /* a credential for a host on this machine */
	bool in_comment;              /* on a comment line, after its opener */
	uint32_t repeat;              /* earlier findings of this fingerprint in the scan */
};

/* What a member is, from its name and first bytes (lsi_member_kind). */
enum lsi_mkind {
	LSI_MK_OTHER = 0,
	LSI_MK_SCRIPT,                /* JavaScript not (yet) known to be minified */
	LSI_MK_BUNDLE,                /* minified JavaScript: .min.js or a long first line */
	LSI_MK_CONFIG,                /* .json .yml .yaml .properties .env .ini .xml .toml ... */
	LSI_MK_BINARY,                /* ELF, Mach-O or PE */
};

/* A line at least this long makes JavaScript a bundle. */
#define LSI_BUNDLE_LINE 500
/*
 * Classifies a member from its name (the innermost path element) and
 * its first @head_len bytes, by magic bytes and suffix only (README
 * "Severity" says why not libmagic).
 */
enum lsi_mkind lsi_member_kind(const char *name, const uint8_t *head, size_t head_len);

struct lsi_rank_out {
	int score;
	ls_severity severity;
	const char *reasons[LSI_MAX_REASONS]; /* static strings */
	size_t reasons_count;
};

void lsi_rank(const struct lsi_rank_in *in, struct lsi_rank_out *out);
int lsi_severity_base_score(ls_severity s);
ls_severity lsi_severity_of_score(int score);

/* 32 hex digits + NUL: SHA-256 over the rule id and the secret. */
#define LSI_FINGERPRINT_LEN 32
void lsi_fingerprint(const char *rule_id, const void *secret, size_t len,
		     char out[LSI_FINGERPRINT_LEN + 1]);

#endif
