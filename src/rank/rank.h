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

#include "leakscan.h"

#define LSI_MAX_REASONS 8

struct lsi_rank_in {
	ls_severity base;             /* the rule's (or config's) severity */
	ls_category category;
	int verdict;                  /* enum lsi_verdict */
	const char *verdict_reason;   /* "" when none */
	const char *const *path;      /* the finding's path elements */
	size_t path_count;
};

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
