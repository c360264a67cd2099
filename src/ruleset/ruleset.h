/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule files and the config file -> an in-memory rule list. This module
 * knows YAML and the rule schema; it knows nothing of Hyperscan or PCRE2
 * (the engine compiles what this produces).
 */
#ifndef LSI_RULESET_H
#define LSI_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "leakscan.h"

struct lsi_strlist {
	char **items;
	unsigned *lines; /* 1-based source line of each item, or 0 */
	size_t count;
};

struct lsi_rule {
	char *id;
	char *name;
	ls_category category;
	ls_severity severity;
	bool path_rule;       /* matches member names, not content */
	bool analyzer;        /* emitted by a container's analysis; no pattern */
	char *pattern;        /* PCRE2 syntax */
	char *hs_pattern;     /* optional cheaper expression for Hyperscan */
	double min_entropy;   /* bits per byte; 0 = no floor */
	char *validator;      /* validator name or NULL */
	char *no_literal;     /* why the pattern has no 3-byte literal, or NULL */
	struct lsi_strlist references;
	struct lsi_strlist examples;
	struct lsi_strlist negatives;
	char *file;           /* source file label for diagnostics */
	unsigned line;        /* 1-based line of the rule in it */
	unsigned pattern_line; /* of its pattern (0: the rule's line) */
	bool disabled;        /* by config, or (lint) a pattern that did not compile */
	bool builtin;
	bool generated;       /* made from the config (internal domains, markers) */
	bool borrowed;        /* strings point into packed bytes: not freed */
};

struct lsi_ignore {
	char *fingerprint;    /* or NULL */
	char *rule;           /* or NULL */
	char *path_glob;      /* fnmatch pattern over the joined path, or NULL */
	char *reason;
	char *expires;        /* YYYY-MM-DD or NULL */
	unsigned line;
};

/* Today's date, UTC, as YYYY-MM-DD: what an ignore's 'expires' compares to. */
void lsi_today(char out[16]);
/* Whether @ig's expiry date is before @today (it then no longer applies). */
static inline bool lsi_ignore_lapsed(const struct lsi_ignore *ig, const char *today)
{
	return ig->expires && strcmp(today, ig->expires) > 0;
}

struct lsi_ruleset {
	struct lsi_rule *rules;
	size_t count, cap;
	struct lsi_strlist internal_domains;
	struct lsi_strlist markers;
	struct lsi_ignore *ignores;
	size_t ignore_count;
	struct lsi_strlist disable;     /* rule ids the config disables */
	struct lsi_strlist sev_ids;     /* rule ids whose severity the config sets */
	ls_severity *sev_vals;          /* parallel to sev_ids */
	char *config_file;
	/* The config file's identity: scanning that very file, the rules it
	 * makes (its markers and domains) would only find themselves. */
	bool config_known;
	uint64_t config_dev, config_ino;
	size_t errors;        /* diagnostics reported so far */
	ls_diag_fn diag;
	void *diag_user;
	/* Rule indexes sorted by id (then by index), made by check(): find()
	 * runs for every analyzer finding and every allow comment. */
	size_t *by_id;
	size_t by_id_count;
	/* The built-in rules, when loaded: rules[pack_first .. + pack_count)
	 * as packed, whose patterns lsi_builtin_pack_digest stands for. */
	size_t pack_first, pack_count;
	bool packed;
	/* Lint (rules check): every problem is said; rules whose pattern does
	 * not compile are left out and the rest still compiled and tested. */
	bool lint;
};

void lsi_ruleset_init(struct lsi_ruleset *rs);
void lsi_ruleset_fini(struct lsi_ruleset *rs);
/* Reports a problem through the diagnostic callback and counts it. */
void lsi_ruleset_diag(struct lsi_ruleset *rs, const char *file, unsigned line,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A diagnostic that is no error: the compile goes on and succeeds. */
void lsi_ruleset_warn(const struct lsi_ruleset *rs, const char *file, unsigned line,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Parses a rule file held in memory. Problems are diagnostics (counted in
 * rs->errors); only allocation failure returns an error status.
 */
ls_status lsi_ruleset_load_mem(struct lsi_ruleset *rs, const char *label,
			       const char *buf, size_t len, bool builtin);
/* A file, or every *.yml / *.yaml file below a directory, sorted. */
ls_status lsi_ruleset_load_path(struct lsi_ruleset *rs, const char *path);
/* Adds every rule embedded at build time. */
ls_status lsi_ruleset_load_builtin(struct lsi_ruleset *rs);
/* Applies a config file; see README "Configuration". */
ls_status lsi_ruleset_load_config(struct lsi_ruleset *rs, const char *path);
/*
 * Applies config entries that name rules (disable, severity) and turns
 * internal domains and markers into rules. Run once, after loading.
 */
ls_status lsi_ruleset_apply_config(struct lsi_ruleset *rs);
/* Checks cross-rule properties (duplicate ids); run once, after loading. */
void lsi_ruleset_check(struct lsi_ruleset *rs);
/* The rule with this id, or NULL. */
struct lsi_rule *lsi_ruleset_find(struct lsi_ruleset *rs, const char *id);
/*
 * A rule whose id @id misspells: one edit away (two from ids of ten
 * characters or more), for words of six or more with a hyphen, as rule
 * ids have; NULL when none is that close.
 */
struct lsi_rule *lsi_ruleset_near(struct lsi_ruleset *rs, const char *id);

bool lsi_category_parse(const char *s, ls_category *out);

/*
 * Length of the literal every match of @pattern must contain (a
 * conservative lower bound; 0 when none is found). Rules need >= 3 so
 * Hyperscan can anchor on them.
 */
int lsi_pattern_min_literal(const char *pattern);

/* Rule files as rules/embed.py embeds them (built into the packer only). */
struct lsi_builtin_file {
	const char *name;
	const char *data;
	size_t len;
};
extern const struct lsi_builtin_file lsi_builtin_rules[];
extern const size_t lsi_builtin_rules_count;

/* The built-in rules, packed at build time by the packer (pack_main.c),
 * and the SHA-256 of the packed bytes (hex): what the rules say, for the
 * database cache key without hashing every pattern at start-up. */
extern const uint8_t lsi_builtin_pack[];
extern const size_t lsi_builtin_pack_len;
extern const char lsi_builtin_pack_digest[];

struct lsi_buf;
/* Appends @rs's rules to @out in the packed form (pack.c); false on OOM. */
bool lsi_ruleset_pack(const struct lsi_ruleset *rs, struct lsi_buf *out);
/*
 * Appends the rules packed in @data to @rs, marked @builtin. Built-in
 * rules borrow their strings from @data, which must outlive @rs (the
 * built-in pack is static). LS_ERR_RULES
 * when @data is damaged (@rs then holds what was read and is to be
 * discarded), LS_ERR_NOMEM.
 */
ls_status lsi_ruleset_unpack(struct lsi_ruleset *rs, const uint8_t *data, size_t len,
			     bool builtin);

#endif
