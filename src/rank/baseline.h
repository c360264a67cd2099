/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sets keyed by fingerprint: the baseline of accepted findings (the
 * public ls_baseline, keyed by fingerprint and rule, read from and
 * written as stable JSON) and the per-scan count of how often each
 * fingerprint was seen, which the ranker reports as a repeat.
 */
#ifndef LSI_BASELINE_H
#define LSI_BASELINE_H

#include <stdint.h>

#include "leakscan.h"

/* Distinct fingerprints counted per scan call; past it, repeats go uncounted. */
#define LSI_REPEAT_MAX 65536u

struct lsi_fpcount;

/*
 * Counts one more finding of fingerprint @fp (hex) in *@t, creating the
 * table on first use. Returns how many were counted before: 0 for the
 * first, and 0 when the table is full or memory ran out (a repeat left
 * uncounted only loses a reason string, never a finding).
 */
uint32_t lsi_fpcount_bump(struct lsi_fpcount **t, const char *fp);
/* Forgets every count, keeping the memory; NULL is fine. */
void lsi_fpcount_reset(struct lsi_fpcount *t);
void lsi_fpcount_free(struct lsi_fpcount *t);

/* Sum of the entries' matched counts: findings the baseline suppressed. */
uint64_t lsi_baseline_suppressed(const ls_baseline *b);

#endif
