/* SPDX-License-Identifier: Apache-2.0 */
/* Private definitions of the public handles; only core/ sees them. */
#ifndef LSI_CORE_H
#define LSI_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "leakscan.h"
#include "container/bstream.h"
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

struct ls_scanner {
	const ls_rules *rules;
	struct lsi_matcher *matcher;
	int64_t param[LS_PARAM_COUNT_];
	ls_finding_fn fn;
	void *user;
	bool busy;              /* inside a scan call: re-entry is refused */
	char error[512];
	ls_scan_stats stats;
	/* Per top-level input: */
	const char *path[LSI_MAX_PATH_DEPTH];
	size_t path_count;
	uint64_t total_bytes;   /* expanded bytes so far (guard) */
	uint64_t deadline_ms;   /* monotonic; 0 = none */
	bool timed_out;
	bool aborted;           /* the callback asked to stop */
	bool nomem;             /* an allocation failed while delivering */
};

/* Pipeline entry points (pipeline.c). */
ls_status lsi_pipeline_scan_stream(ls_scanner *s, struct lsi_bstream *in, const char *label,
				   int64_t size_hint);
/* Reports a finding of a built-in pseudo rule (limit-reached, ...). */
void lsi_pipeline_note(ls_scanner *s, const char *rule, const char *name, ls_category cat,
		       const char *message);
void lsi_scanner_set_error(ls_scanner *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
uint64_t lsi_now_ms(void);

/* Walk (walk/walk.c) calls back here for every regular file it finds. */
ls_status lsi_scan_file_at(ls_scanner *s, int dirfd, const char *name, const char *label,
			   bool top);

#endif
