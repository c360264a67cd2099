/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reporters: one file per output format behind one ops table. Findings
 * reach a reporter already ranked and redacted; a reporter only lays
 * them out. JSON goes through util/json_write.c, nowhere else.
 */
#ifndef LSI_REPORT_H
#define LSI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leakscan.h"
#include "util/buf.h"
#include "util/json_write.h"

/* A finding copied out of the callback (the reporter owns it). */
struct lsi_rfinding {
	char *rule, *rule_name;
	ls_category category;
	ls_severity severity;
	int score;
	char **path;
	size_t path_count;
	uint64_t offset, line, column;
	char *match;
	size_t match_len;
	char *secret;            /* NULL unless show-secrets */
	size_t secret_len;
	char *fingerprint;
	char **reasons;
	size_t reasons_count;
	char *details_json;
	char *message;
};

struct lsi_rinput {
	char *path;
	ls_status status;
	ls_scan_stats stats;
};

struct ls_reporter {
	const struct lsi_reporter_ops *ops;
	unsigned flags;
	const ls_rules *rules;
	ls_write_fn write;
	void *user;
	bool failed;                 /* a write failed */
	struct lsi_rfinding *f;      /* kept findings (formats that need them) */
	size_t count, cap;
	struct lsi_rinput *in;
	size_t in_count, in_cap;
	size_t sev_count[5];
	size_t total;                /* findings added */
	void *priv;                  /* format state */
	const ls_baseline *baseline; /* borrowed (ls_reporter_set_baseline), or NULL */
	char *commit;                /* ls_reporter_set_commit, or NULL */
	char **notices;              /* ls_reporter_notice: "path: rule: message" */
	size_t notice_count;
	uint64_t started;            /* wall clock at ls_reporter_new, seconds */
};

struct lsi_reporter_ops {
	const char *name;
	bool keeps_findings;         /* store every finding until finish */
	ls_status (*begin)(struct ls_reporter *r);
	ls_status (*add)(struct ls_reporter *r, const struct lsi_rfinding *f);
	ls_status (*finish)(struct ls_reporter *r);
	void (*free_priv)(struct ls_reporter *r);
};

/* Writes @b's contents and resets it; records failures. */
ls_status lsi_report_flush(struct ls_reporter *r, struct lsi_buf *b);
/* The finding as one JSON object (DESIGN.md fields). */
void lsi_report_finding_json(struct lsi_json *j, const struct lsi_rfinding *f);
/* Path elements joined with '!'; escaped for a terminal when @term. */
bool lsi_report_join_path(struct lsi_buf *b, const struct lsi_rfinding *f, bool term);

const struct lsi_reporter_ops *lsi_reporter_find(const char *name);

extern const struct lsi_reporter_ops lsi_report_text;
extern const struct lsi_reporter_ops lsi_report_json;
extern const struct lsi_reporter_ops lsi_report_jsonl;
extern const struct lsi_reporter_ops lsi_report_sarif;
extern const struct lsi_reporter_ops lsi_report_gitlab;

/* The pseudo rules the scanner reports about itself (limits, damage, links). */
bool lsi_report_is_note(const struct lsi_rfinding *f);
/* What a category means and what to do about it (SARIF help, GitLab description). */
const char *lsi_report_category_about(ls_category c);
const char *lsi_report_category_advice(ls_category c);
/* UTC "YYYY-MM-DDTHH:MM:SS" of @t (seconds since the epoch) into @out. */
void lsi_report_time(uint64_t t, char out[24]);

#endif
