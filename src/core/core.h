/* SPDX-License-Identifier: Apache-2.0 */
/* Private definitions of the public handles; only core/ sees them. */
#ifndef LSI_CORE_H
#define LSI_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "leakscan.h"
#include "container/bstream.h"
#include "decode/decode.h"
#include "engine/engine.h"
#include "ruleset/ruleset.h"

struct ls_compiler {
	struct lsi_ruleset rs;
	char *cache_dir;        /* owned; NULL = no cache */
	bool failed;            /* an add_* call failed for lack of memory */
};

struct ls_rules {
	struct lsi_ruleset rs;
	struct lsi_engine *engine;
};

/* The one table of parameters and limits (params.c). */
struct lsi_param_def {
	const char *name;       /* the CLI flag, without dashes */
	int64_t min, max, dflt;
};
extern const struct lsi_param_def lsi_params[LS_PARAM_COUNT_];

#define LSI_MAX_PATH_DEPTH 72   /* path elements: above the depth maximum */

struct lsi_rulecount {
	uint64_t seq;           /* member_seq the counts belong to */
	uint32_t count;         /* findings delivered in that member */
	uint32_t dropped;       /* findings past LS_PARAM_MAX_PER_RULE */
	bool listed;            /* in the scanner's drops list */
};

#define LSI_DROPS_LISTED 64     /* rules with dropped findings tracked by index */

struct ls_scanner {
	const ls_rules *rules;
	struct lsi_matcher *matcher;
	int64_t param[LS_PARAM_COUNT_];
	ls_finding_fn fn;
	void *user;
	ls_finding_fn notice_fn;     /* damage and limit notes below min severity */
	void *notice_user;
	bool busy;              /* inside a scan call: re-entry is refused */
	char error[512];
	ls_scan_stats stats;
	/* Per top-level input: */
	const char *path[LSI_MAX_PATH_DEPTH];
	size_t path_count;
	uint64_t total_bytes;   /* expanded bytes so far (guard) */
	uint64_t *total;        /* &total_bytes; in a worker's shadow, the caller's */
	uint64_t input_total0;  /* total_bytes when this top-level input began */
	int64_t input_size;     /* bytes of the top-level input; -1 unknown */
	bool input_stop;        /* an input-wide limit was crossed: skip the rest */
	bool input_named;       /* the input is a file the caller named by its path,
				 * not one met walking a directory, nor bytes */
	bool in_own_config;     /* the file scanned is the config the rules came from */
	uint64_t input_seq;     /* which top-level input (offload.c notes limits once) */
	uint64_t mem_held;      /* bytes held in memory by its open readers (zip, 7z) */
	uint64_t deadline_ms;   /* monotonic; 0 = none */
	bool timed_out;
	bool aborted;           /* the callback asked to stop */
	bool nomem;             /* an allocation failed while delivering */
	struct lsi_gitdir *gitdir; /* .git folder of a directory walk (gitdir.c) */
	size_t walk_root;       /* in a directory walk: bytes of the directory's
				 * name and '/' before each file's label */
	/* Flood control (pipeline.c): findings per rule in the current member. */
	struct lsi_rulecount *rulecount; /* one per rule */
	/* Rules whose findings were dropped and not yet said, so that the end
	 * of a member need not look at every rule; once more are pending than
	 * the list holds, every rule is looked at from then on. */
	uint32_t drops[LSI_DROPS_LISTED];
	unsigned ndrops;
	bool drops_overflow;
	uint64_t member_seq;    /* identifies the data member being scanned */
	uint64_t member_seq_next; /* last identity handed out */
	/* Ranking context (pipeline.c): */
	int member_kind;        /* enum lsi_mkind of the data stream being scanned */
	struct lsi_fpcount *repeats; /* fingerprints seen in this scan call */
	/* Member offload (offload.c): the worker pool, and in a worker's
	 * shadow scanner the job whose deliveries are recorded. */
	struct lsi_offload *offload;
	struct lsi_job *job;
	/* In a worker's shadow: the prescan of the job's member, for the
	 * member's engine stream (scan_data; offload.c). */
	struct lsi_hits *split_hits;
	int split_depth;
	int64_t split_len;
	/* The read-ahead streams being read (innermost last): a job may pin
	 * their blocks instead of copying (offload.c). */
	struct lsi_bstream *rings[4];
	unsigned nrings;
	/* A prefetch for the next scan call (ls_scanner_set_prefetch), whether
	 * the file being opened is its file, and how many were taken over (a
	 * count for tests). */
	ls_prefetch *prefetch;
	bool prefetch_here;
	unsigned prefetch_taken;
	/* Progress (ls_scanner_set_progress): */
	ls_progress_fn progress;
	void *progress_user;
	uint64_t progress_every;     /* bytes between calls */
	uint64_t progress_bytes;     /* next call at or past these bytes scanned */
	uint64_t progress_members;   /* ... or at these members */
};

/* Pipeline entry points (pipeline.c). */
ls_status lsi_pipeline_scan_stream(ls_scanner *s, struct lsi_bstream *in, const char *label,
				   int64_t size_hint);
/* Reports a finding of a built-in pseudo rule (limit-reached, ...). */
void lsi_pipeline_note(ls_scanner *s, const char *rule, const char *name, ls_category cat,
		       const char *message);
/* Delivers an engine hit at the scanner's current path (for dataobs.c). */
int lsi_pipeline_hit(ls_scanner *s, const struct lsi_hit *h);
/*
 * Delivers a finding of analyzer rule @rule (skipped when the rule set
 * lacks it or the config disables it) at the current path, plus @name
 * when not NULL; @severity < 0 keeps the rule's.
 */
ls_status lsi_pipeline_analyzer(ls_scanner *s, const char *rule, int severity, const char *name,
				const char *message, const char *details_json);
/*
 * Reads @len bytes of a decoded source map (dataobs.c: an inline map held
 * whole; borrowed for the call) as the source-map container at the
 * current path, nested @depth levels deep. Its sources are scanned as
 * members and its analyzer finding is reported.
 */
ls_status lsi_pipeline_scan_sourcemap(ls_scanner *s, const uint8_t *map, size_t len, int depth);
/* The expansion guard every decoder of @s's current input shares (and the
 * threads a decoder may use: --threads on the calling thread, 1 in a worker). */
struct lsi_guard lsi_pipeline_guard(ls_scanner *s);
/* End of a scan call: reports what was aggregated across its files. */
void lsi_pipeline_end(ls_scanner *s);
void lsi_scanner_set_error(ls_scanner *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
uint64_t lsi_now_ms(void);

/* Walk (walk/walk.c) calls back here for every regular file it finds. */
ls_status lsi_scan_file_at(ls_scanner *s, int dirfd, const char *name, const char *label,
			   bool top);

/* Files below this are read before a read-ahead thread of their own would
 * pay for itself (api_scanner.c for plain files, prefetch.c). */
#define LSI_READ_AHEAD_MIN (1u << 20)

/* Lists read-ahead stream @b while it is read (offload.c pins its blocks);
 * false when the list is full, and then nothing is to be undone. */
static inline bool lsi_rings_push(ls_scanner *s, struct lsi_bstream *b)
{
	if (s->nrings >= sizeof(s->rings) / sizeof(*s->rings))
		return false;
	s->rings[s->nrings++] = b;
	return true;
}

/* Undoes lsi_rings_push() when @pushed. */
static inline void lsi_rings_pop(ls_scanner *s, bool pushed)
{
	if (pushed)
		s->nrings--;
}

#endif
