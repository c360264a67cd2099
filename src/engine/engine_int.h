/* SPDX-License-Identifier: Apache-2.0 */
/* Engine internals shared by hsdb.c (build) and stream.c (scan). */
#ifndef LSI_ENGINE_INT_H
#define LSI_ENGINE_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <stdatomic.h>
#include <pcre2.h>

#include "engine.h"

struct lsi_crule {
	const struct lsi_rule *def;
	/* NULL when the rule failed to compile, or not compiled yet when lazy:
	 * then the first thread to need it compiles and publishes it. */
	_Atomic(pcre2_code *) re;
	bool lazy;                    /* compile on first use (built-in, warm start) */
	uint32_t width;               /* max match length, clamped to LSI_WINDOW */
	bool prefilter;               /* Hyperscan runs an approximation */
	bool path_always;             /* path rule Hyperscan cannot run: PCRE2 on every name */
	bool has_capture;
	const struct lsi_validator *validator;
};

struct lsi_engine {
	struct lsi_ruleset *rs;
	struct lsi_crule *rules;      /* parallel to rs->rules */
	size_t count;
	hs_database_t *db;            /* NULL when there is no content rule */
	bool from_cache;              /* db came from the on-disk cache */
	void *db_map;                 /* db and path_db live in this mapping of the cache file */
	/* Made when the cached databases were checked; the first scanner
	 * takes it (lsi_engine_take_scratch), the one field that changes
	 * in an engine shared by scanners. */
	_Atomic(hs_scratch_t *) scratch_proto;
	size_t db_map_len;
	size_t path_rules;            /* number of enabled path rules */
	unsigned *path_ids;           /* their indexes, in rule order */
	hs_database_t *path_db;       /* block mode, over the path rules it can run */
	/* The longest match of any expression in db (UINT32_MAX: unbounded):
	 * a stream started this far before an offset finds every match
	 * ending past it (lsi_hits). */
	uint32_t hs_span;
	/* Pad literals compiled into db after the rules (hsdb.c), ids count
	 * and on; 0 for a database from the cache, which says nothing of them. */
	size_t pads;
};

/* Pad literals (hsdb.c): a database of LSI_PAD_FROM up to LSI_PAD_UNTIL
 * content expressions gets LSI_PAD_COUNT, the first two bytes long, the
 * rest LSI_PAD_LEN. All of these and LSI_PAD_VERSION, the version of
 * lsi_engine_pad_literal()'s bytes, are in the cache key: a change
 * compiles afresh. */
#define LSI_PAD_FROM 300
#define LSI_PAD_UNTIL 600
#define LSI_PAD_COUNT 320
#define LSI_PAD_LEN 8
#define LSI_PAD_VERSION 1
/* The bytes of pad literal @k, and how many: none a text holds (F5-FF
 * never occur in UTF-8). */
size_t lsi_engine_pad_literal(unsigned k, uint8_t out[LSI_PAD_LEN]);

struct lsi_matcher {
	const struct lsi_engine *e;
	hs_scratch_t *scratch;
	pcre2_match_data *md;
	pcre2_match_context *mc;     /* carries the latest start a confirmation takes */
	uint8_t *asm_buf;            /* assembles history + chunk for PCRE2 */
	size_t asm_cap;
	uint8_t *path_hit;           /* per rule: the path database reported it */
	/* Hyperscan's AVX-512 literal matcher can read up to 63 bytes past
	 * the end of its input (a crash when that is the end of a mapping):
	 * the last bytes of every block it scans are copied here first. */
	uint8_t *pad;
	size_t pad_cap;
	struct lsi_mstream *pool;
	bool every_rule;             /* report each rule's hit on a shared secret */
};

/* The scratch made while checking cached databases, to the first caller
 * only (it owns it then); NULL for the others. */
hs_scratch_t *lsi_engine_take_scratch(const struct lsi_engine *e);

#define LSI_HS_SLACK 64

/*
 * Whether the LSI_HS_SLACK bytes from @end on lie in the page of the byte
 * before @end: memory protection is per page, so a read there cannot
 * fault whatever the mapping. (Hyperscan ignores what it reads there.)
 */
static inline bool lsi_slack_in_page(const uint8_t *end)
{
	uintptr_t last = (uintptr_t)end - 1;

	return (last >> 12) == ((last + LSI_HS_SLACK) >> 12);
}

/* @p[0..n) in m->pad with LSI_HS_SLACK readable bytes after it; NULL on OOM. */
const uint8_t *lsi_matcher_padded(struct lsi_matcher *m, const uint8_t *p, size_t n);

/* The rule's PCRE2 code, compiled on first use for lazy rules; NULL if bad. */
pcre2_code *lsi_crule_re(const struct lsi_crule *cr);

#endif
