/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The matching engine: one Hyperscan database in streaming mode over all
 * content rules, PCRE2 confirmation and capture in a bounded look-back
 * window around each Hyperscan hit, then entropy, placeholder and
 * validator filters. Knows rules, never containers or paths.
 *
 * Objects:
 *   lsi_engine   immutable, shared by threads (database + compiled PCRE2)
 *   lsi_matcher  one per thread (Hyperscan scratch, PCRE2 match data)
 *   lsi_mstream  one per member being scanned; pushed chunk by chunk
 */
#ifndef LSI_ENGINE_H
#define LSI_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leakscan.h"
#include "ruleset/ruleset.h"
#include "validators.h"

/* Longest span PCRE2 looks back (and ahead) from a Hyperscan hit. */
#define LSI_WINDOW 8192u

struct lsi_engine;
struct lsi_matcher;
struct lsi_mstream;

/* A confirmed match, as handed to the hit callback. Pointers are borrowed. */
struct lsi_hit {
	size_t rule;              /* index in the ruleset */
	uint64_t start, end;      /* byte offsets of the match in the stream */
	uint64_t line, column;    /* 1-based, of start */
	const uint8_t *match;     /* match bytes */
	size_t match_len;
	const uint8_t *secret;    /* capture group 1, or the match */
	size_t secret_len;
	size_t secret_off;        /* offset of secret within match */
	bool captured;            /* secret is a capture group, not the match */
	enum lsi_verdict verdict; /* validator outcome */
	const char *verdict_reason;
	double entropy;           /* of the secret, bits per byte */
	/* From the match's line (at most LSI_LINE_SCAN bytes either side): */
	bool allowed;             /* "leakscan:allow" [rule-id,...] names this rule */
	bool allow_typo;          /* ... misspells this rule's id, allowing nothing */
	bool example_context;     /* "example", "dummy", ... right next to the secret
				   * (or, for other rules, before the match) */
	bool in_comment;          /* the line opens a comment before the match:
				   * a line comment, a block comment or a
				   * doc comment line */
	bool loopback;            /* a credential in a URL whose host is this
				   * machine (user:pass@localhost) */
	bool muted;               /* only to be counted (LSI_HIT_MUTE): no line,
				   * column or marks were worked out */
};

/* Bytes of the match's line looked at either side for the marks above. */
#define LSI_LINE_SCAN 1024u

/*
 * Return non-zero to stop the stream (the push then returns LS_ERR_ABORTED),
 * or LSI_HIT_MUTE when the hit was only counted (a rule past its cap): the
 * rule's later hits in this stream are still confirmed, and come muted,
 * without the line work that dominates when hits are dense.
 */
typedef int (*lsi_hit_fn)(const struct lsi_hit *h, void *user);
#define LSI_HIT_MUTE 2

/*
 * Compiles @rs (which must outlive the engine). Diagnostics go to rs.
 * @cache_dir (may be NULL) holds compiled databases between runs.
 */
ls_status lsi_engine_new(struct lsi_ruleset *rs, const char *cache_dir,
			 struct lsi_engine **out);
/* Whether the database was loaded from the cache (for tests and benches). */
bool lsi_engine_from_cache(const struct lsi_engine *e);
void lsi_engine_free(struct lsi_engine *e);
const struct lsi_ruleset *lsi_engine_ruleset(const struct lsi_engine *e);
/* Whether rule @i is a prefilter-mode rule (Hyperscan approximates it). */
bool lsi_engine_rule_prefilter(const struct lsi_engine *e, size_t i);
/*
 * Whether the expression Hyperscan runs for content rule @r has no bound
 * on its length (+, * or {n,}): its matches are cut at LSI_WINDOW, and
 * while it is loaded no large member is split between threads, whose
 * split needs every expression's length bounded (lsi_hits).
 */
bool lsi_rule_unbounded(const struct lsi_rule *r);
/*
 * Matches a member name against every path rule; calls @fn for each that
 * matches (hit offsets are 0, the match is the name).
 */
int lsi_engine_match_path(const struct lsi_engine *e, struct lsi_matcher *m,
			  const char *name, size_t len, lsi_hit_fn fn, void *user);

ls_status lsi_matcher_new(const struct lsi_engine *e, struct lsi_matcher **out);
/* Another matcher for @src's engine (one per thread), made from @src's
 * sizes: quicker than lsi_matcher_new(), which checks the databases. */
ls_status lsi_matcher_clone(const struct lsi_matcher *src, struct lsi_matcher **out);
void lsi_matcher_free(struct lsi_matcher *m);
/*
 * Rule examples are tested rule by rule: with @on, a secret two rules
 * capture is reported under both instead of the one that says most.
 */
void lsi_matcher_every_rule(struct lsi_matcher *m, bool on);

/* Opens a stream delivering hits to @fn; streams are pooled per matcher. */
ls_status lsi_mstream_open(struct lsi_matcher *m, lsi_hit_fn fn, void *user,
			   struct lsi_mstream **out);
/*
 * Pushes the next @len bytes. @last says no more bytes follow, which lets
 * the engine finish without copying into its window. After a push with
 * @last (or any error) call lsi_mstream_close().
 */
ls_status lsi_mstream_push(struct lsi_mstream *s, const uint8_t *data, size_t len,
			   bool last);
/* Finishes (if no push said last) and returns the stream to the pool. */
ls_status lsi_mstream_close(struct lsi_mstream *s);
/* Bytes pushed so far. */
uint64_t lsi_mstream_offset(const struct lsi_mstream *s);

/*
 * One member's Hyperscan pass split across two threads. A prescan runs
 * Hyperscan alone over the member from @base on (a fresh stream) and
 * lists the hits that end at or past @from; the member's own stream
 * (lsi_mstream_take_hits) runs Hyperscan up to @from and from there takes
 * the listed hits instead, confirming them as its own: the findings are
 * those of one pass. Sound when @from - @base exceeds every expression's
 * longest match (lsi_hits_split_ok), which a fresh stream then finds
 * whole. If the prescan has not started when the member's stream reaches
 * @from, the stream scans on by itself and the prescan is skipped.
 * Shared by both threads; each drops its reference when done.
 */
struct lsi_hits;

/* Whether @e's expressions all fit in @overlap bytes. */
bool lsi_hits_split_ok(const struct lsi_engine *e, uint64_t overlap);
/* A list for hits ending at or past @from of a prescan starting at
 * @base; two references, one a side. */
ls_status lsi_hits_new(uint64_t base, uint64_t from, struct lsi_hits **out);
void lsi_hits_unref(struct lsi_hits *h);
/* Prescan: false when the member's stream no longer wants it (skip it). */
bool lsi_hits_start(struct lsi_hits *h);
/* Before the prescan starts: it will not (true), or it has (false). */
bool lsi_hits_skip(struct lsi_hits *h);
/* Prescan: the next @len bytes; false when to stop (not wanted, or out of memory). */
bool lsi_hits_scan(struct lsi_hits *h, struct lsi_matcher *m, const uint8_t *data, size_t len);
/* Prescan: the end of its bytes, where the member's end (or where it was
 * cut) when @at_end, else where the prescan could go no further (it failed). */
void lsi_hits_finish(struct lsi_hits *h, struct lsi_matcher *m, bool at_end);
/* The member's stream takes @h (and its reference) before its first push. */
void lsi_mstream_take_hits(struct lsi_mstream *s, struct lsi_hits *h);

/* Filters, exposed for tests and the ranker. */
double lsi_entropy(const uint8_t *s, size_t len);
/* Non-NULL reason when @s looks like a placeholder or documented example. */
const char *lsi_placeholder_reason(const uint8_t *s, size_t len);
/* Whether @s is (or contains) a value published in vendor documentation. */
bool lsi_documented_example(const uint8_t *s, size_t len);

#endif
