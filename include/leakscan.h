/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file leakscan.h
 * leakscan: find what must never ship inside a build artifact.
 *
 * Typical use:
 *   1. ls_compiler_new(); ls_compiler_add_builtin() and/or
 *      ls_compiler_add_path() / ls_compiler_add_mem(); ls_compiler_finish()
 *      gives an immutable ls_rules.
 *   2. Per thread: ls_scanner_new(rules), ls_scanner_set_param(),
 *      ls_scanner_set_callback().
 *   3. ls_scanner_scan_path() / ls_scanner_scan_fd() / ls_scanner_scan_mem();
 *      findings arrive on the callback, in input order.
 *   4. ls_scanner_free(); once every scanner is gone, ls_rules_free().
 *
 * Reporters (ls_reporter_*) turn findings into text, JSON, JSONL, SARIF or a
 * GitLab secret-detection report
 * through a caller-supplied write function.
 *
 * The library has no global state, never prints and never exits; it
 * starts threads of its own only when asked (LS_PARAM_THREADS above 1, an
 * ls_prefetch). Every function that can fail returns an ls_status.
 */
#ifndef LEAKSCAN_H
#define LEAKSCAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LS_API __attribute__((visibility("default")))
#else
#define LS_API
#endif

/** API version; the shared library's soname is derived from these. */
#define LS_API_VERSION_MAJOR 0
#define LS_API_VERSION_MINOR 1

/** Rule compiler; single use, spent by ls_compiler_finish(). */
typedef struct ls_compiler ls_compiler;
/** Compiled rules: immutable, shared by any number of threads. */
typedef struct ls_rules ls_rules;
/** Scanner: one per thread; not reentrant (not from its own callback). */
typedef struct ls_scanner ls_scanner;
/** Output writer for one report (text, json, jsonl, sarif, ...). */
typedef struct ls_reporter ls_reporter;
/** A compressed input already being decompressed, before a scanner exists. */
typedef struct ls_prefetch ls_prefetch;

/** Status codes. Append only: values are never renumbered or reused. */
typedef enum ls_status {
	LS_OK = 0,
	LS_ERR_NOMEM = -1,       /**< an allocation failed */
	LS_ERR_INVALID_ARG = -2, /**< NULL or out-of-range argument */
	LS_ERR_BAD_STATE = -3,   /**< e.g. a scanner called from its callback */
	LS_ERR_IO = -4,          /**< a top-level input could not be read at all */
	LS_ERR_RULES = -5,       /**< a rule or config file is invalid */
	LS_ERR_ENGINE = -6,      /**< Hyperscan or PCRE2 failed */
	LS_ERR_UNSUPPORTED = -7, /**< unknown format name or feature */
	LS_ERR_ABORTED = -8      /**< the finding callback asked to stop */
} ls_status;

/** Finding categories (DESIGN.md). */
typedef enum ls_category {
	LS_CAT_SECRET = 0,
	LS_CAT_INTERNAL_URL = 1,
	LS_CAT_DEBUG_LOG = 2,
	LS_CAT_SOURCE_EXPOSURE = 3,
	LS_CAT_SENSITIVE_FILE = 4,
	LS_CAT_DEBUG_INFO = 5
} ls_category;

/** Severities, ordered: a larger value is more severe. */
typedef enum ls_severity {
	LS_SEV_INFO = 0,     /**< score < 20 */
	LS_SEV_LOW = 1,      /**< score >= 20 */
	LS_SEV_MEDIUM = 2,   /**< score >= 40 */
	LS_SEV_HIGH = 3,     /**< score >= 70 */
	LS_SEV_CRITICAL = 4  /**< score >= 90 */
} ls_severity;

/**
 * Scanner parameters, set with ls_scanner_set_param(). Every limit has a
 * default, a minimum and a maximum (ls_param_bounds()). Crossing a limit
 * produces an info finding of rule "limit-reached"; the scan goes on.
 * Defaults that differ from the command line's: LS_PARAM_THREADS is 1 (the
 * command line uses every core); LS_PARAM_MIN_SEVERITY is low, as there.
 */
typedef enum ls_param {
	LS_PARAM_MAX_DEPTH = 0,        /**< nesting of archives and filters */
	LS_PARAM_MAX_TOTAL_BYTES = 1,  /**< expanded bytes per top-level input */
	LS_PARAM_MAX_RATIO = 2,        /**< expansion ratio of one filter */
	LS_PARAM_MAX_MEMBER_BYTES = 3, /**< bytes held in memory for one member */
	LS_PARAM_MAX_MEMBERS = 4,      /**< members per archive */
	LS_PARAM_TIMEOUT_MS = 5,       /**< wall time per top-level input; 0 = none */
	LS_PARAM_MIN_SEVERITY = 6,     /**< findings below are not delivered */
	LS_PARAM_SHOW_SECRETS = 7,     /**< 1: match/secret unredacted */
	LS_PARAM_MAX_FILE_BYTES = 8,   /**< size of one plain file or member scanned */
	LS_PARAM_THREADS = 9,          /**< 2+: members up to 4 MiB, and larger
	                                    ones of plain bytes as they are read,
	                                    are scanned by
	                                    this many worker threads (at 10 nice
	                                    levels below the calling thread) and a
	                                    stream decompressed on the calling
	                                    thread inflates ahead on another (an xz
	                                    stream of several blocks on this many),
	                                    while the calling thread parses; findings are
	                                    still delivered on the calling thread,
	                                    in the order one thread gives */
	LS_PARAM_MAX_PER_RULE = 10,    /**< findings of one rule in one member; the
	                                    rest are counted in one limit finding */
	LS_PARAM_COUNT_ = 11           /**< not a parameter; grows with the enum */
} ls_param;

/**
 * Rule ids of the scanner's own notes, which no rule file defines: info
 * findings saying what was not scanned (LS_NOTE_DAMAGE, LS_NOTE_LIMIT) or
 * not followed. They can be ignored in a config like any rule id.
 */
#define LS_NOTE_DAMAGE "unreadable-member"     /**< damage; the rest was scanned */
#define LS_NOTE_LIMIT "limit-reached"          /**< a limit or the timeout */
#define LS_NOTE_SYMLINK "symlink-not-followed" /**< a link in a walked tree */

/**
 * One finding, as delivered to the callback. Every pointer is borrowed and
 * valid only until the callback returns: copy what you keep. Fields are
 * only ever appended.
 */
typedef struct ls_finding {
	const char *rule;            /**< rule id, e.g. "github-pat-classic" */
	const char *rule_name;       /**< human name of the rule */
	ls_category category;
	ls_severity severity;
	int score;                   /**< 0..100 */
	const char *const *path;     /**< input as given, then each nested member */
	size_t path_count;
	uint64_t offset;             /**< byte offset in the innermost member */
	uint64_t line;               /**< 1-based; 0 = not meaningful */
	uint64_t column;             /**< 1-based, in characters (a UTF-8 sequence
	                                  is one, a byte order mark none); 0 = not
	                                  meaningful */
	const char *match;           /**< matched text, redacted unless show-secrets */
	size_t match_len;
	const char *secret;          /**< captured secret; NULL unless show-secrets */
	size_t secret_len;
	const char *fingerprint;     /**< stable, location-independent id (hex) */
	const char *const *reasons;  /**< short strings explaining the score */
	size_t reasons_count;
	const char *details_json;    /**< rule-specific JSON object, or NULL */
	const char *message;         /**< human text for limit/damage findings, or NULL */
} ls_finding;

/** Finding callback. Return 0 to go on; non-zero stops with LS_ERR_ABORTED. */
typedef int (*ls_finding_fn)(const ls_finding *f, void *user);

/**
 * Diagnostic callback for rule and config files: @p file and @p line
 * (1-based, 0 if unknown) locate the problem, @p msg says what it is.
 * Also a warning that fails nothing: a cache directory (@p file) where
 * the compiled rules cannot be kept. Pointers are valid during the call
 * only.
 */
typedef void (*ls_diag_fn)(const char *file, unsigned line, const char *msg,
			   void *user);

/** Output sink for reporters. Return 0 on success, non-zero on error. */
typedef int (*ls_write_fn)(const void *buf, size_t len, void *user);

/** Counters of one scan call, from ls_scanner_stats(). */
typedef struct ls_scan_stats {
	uint64_t bytes_read;       /**< bytes read from the input itself */
	uint64_t bytes_scanned;    /**< expanded bytes pushed through the engine */
	uint64_t members;          /**< members and files visited */
	uint64_t findings;         /**< findings delivered */
	uint64_t damaged;          /**< unreadable members */
	uint64_t limits;           /**< limits crossed that left bytes unscanned (a rule's
	                                matches folded by LS_PARAM_MAX_PER_RULE are not
	                                counted: every byte was still scanned) */
	uint64_t bytes_skipped;    /**< bytes not scanned because of limits */
	uint64_t below_min;        /**< findings of low severity or more under
	                                LS_PARAM_MIN_SEVERITY, not delivered (info
	                                findings, damage and limit notes, and findings
	                                a config ignores are not counted) */
} ls_scan_stats;

/** Library version as 0xMMmmpp. */
LS_API unsigned ls_version_number(void);
/** Library version as "M.m.p"; static string. */
LS_API const char *ls_version_string(void);
/** A static, never NULL, description of @p st. */
LS_API const char *ls_status_str(ls_status st);
/** "secret", "internal-url", ...; NULL for an unknown value. */
LS_API const char *ls_category_name(ls_category c);
/** "info" ... "critical"; NULL for an unknown value. */
LS_API const char *ls_severity_name(ls_severity s);
/** Parses "info".."critical" (case-insensitive). */
LS_API ls_status ls_severity_parse(const char *name, ls_severity *out);

/**
 * Creates a rule compiler. Ownership: the caller frees it with
 * ls_compiler_free() unless ls_compiler_finish() consumed it.
 */
LS_API ls_status ls_compiler_new(ls_compiler **out);
/** Routes file:line diagnostics to @p fn; without one they are dropped. */
LS_API ls_status ls_compiler_set_diag(ls_compiler *c, ls_diag_fn fn, void *user);
/** Adds the rules compiled into the library. */
LS_API ls_status ls_compiler_add_builtin(ls_compiler *c);
/**
 * Adds a rule file (.yml/.yaml) or every rule file under a directory,
 * in sorted order. Errors are reported through the diagnostic callback
 * and make ls_compiler_finish() fail with LS_ERR_RULES.
 */
LS_API ls_status ls_compiler_add_path(ls_compiler *c, const char *path);
/** Adds rules from memory; @p name labels diagnostics. The buffer is copied. */
LS_API ls_status ls_compiler_add_mem(ls_compiler *c, const char *name,
				     const void *buf, size_t len);
/**
 * Applies a config file (.leakscan.yaml): disabled rules, severity
 * overrides, internal domains, marker strings, ignore entries.
 */
LS_API ls_status ls_compiler_add_config(ls_compiler *c, const char *path);
/**
 * Keeps compiled Hyperscan databases in directory @p dir (created if
 * missing), keyed by the rules and the library version, so that later
 * compiles of the same rules load instead of compiling. NULL turns the
 * cache off (the default). The string is copied.
 */
LS_API ls_status ls_compiler_set_cache_dir(ls_compiler *c, const char *dir);
/**
 * Compiles everything added into immutable rules. @p c is consumed in all
 * cases (do not free it afterwards). On success *out is owned by the caller.
 */
LS_API ls_status ls_compiler_finish(ls_compiler *c, ls_rules **out);
/**
 * Checks everything added, as a rule author wants it: every problem is
 * reported through the diagnostic callback in one pass (a rule file that
 * does not parse does not hide a pattern that does not compile elsewhere,
 * nor that an example of a third rule fails); rules that compile have
 * their examples run as ls_rules_test() does; without the built-in rules,
 * an id a built-in rule already has is reported too. @p c is consumed.
 * Returns LS_OK when there is nothing to report, LS_ERR_RULES otherwise;
 * *rules, *examples and *problems (each may be NULL) get the counts.
 */
LS_API ls_status ls_compiler_check(ls_compiler *c, size_t *rules, size_t *examples,
				   size_t *problems);
/** Frees an unfinished compiler; NULL is fine. */
LS_API void ls_compiler_free(ls_compiler *c);

/** Number of rules (content and path rules). */
LS_API size_t ls_rules_count(const ls_rules *r);
/** Describes rule @p i; pointers live as long as @p r. */
LS_API ls_status ls_rules_get(const ls_rules *r, size_t i, const char **id,
			      const char **name, ls_category *cat,
			      ls_severity *sev);
/**
 * The PCRE2 pattern of content or path rule @p i, or NULL (analyzer rules,
 * bad index). Lives as long as @p r.
 */
LS_API const char *ls_rules_pattern(const ls_rules *r, size_t i);
/**
 * 1 when rule @p i runs in a scan; 0 when a config's `disable:` turned it
 * off (it is still counted and described), or for a bad index.
 */
LS_API int ls_rules_enabled(const ls_rules *r, size_t i);
/**
 * Runs every rule's examples and negative examples through the full
 * engine (Hyperscan and PCRE2 and filters). Each failure is reported
 * through @p fn (file is the rule's source file). A rule from a rule file
 * with fewer than 2 examples or 2 negative examples is a failure too (it
 * would never be tested); rules made from the config are not. Returns
 * LS_OK when all pass, LS_ERR_RULES otherwise; *failures (may be NULL)
 * gets the count.
 */
LS_API ls_status ls_rules_test(const ls_rules *r, ls_diag_fn fn, void *user,
			       size_t *failures, size_t *examples);
/** One content rule's cost on a reference input; see ls_rules_bench(). */
typedef struct ls_rule_cost {
	size_t rule;       /**< index for ls_rules_get() */
	double seconds;    /**< the rule alone: fastest of the rounds */
	uint64_t findings; /**< matches PCRE2 confirmed (before ranking) */
} ls_rule_cost;

/**
 * Measures what each content rule costs. Reads @p path with its outer
 * compression removed (gzip, xz, bzip2, zstd; at most 1 GiB, held in
 * memory), then scans those bytes with the whole database and with each
 * enabled content rule alone (its own Hyperscan database and PCRE2
 * confirmation), @p rounds times each, keeping the fastest.
 * *costs (free with free()) gets *count entries, costliest first;
 * *all_seconds the whole database's time, *bytes the input's size.
 * On failure @p err gets a one-line reason naming the input.
 */
LS_API ls_status ls_rules_bench(const ls_rules *r, const char *path, unsigned rounds,
				ls_rule_cost **costs, size_t *count, double *all_seconds,
				uint64_t *bytes, char *err, size_t err_len);
/** What one group of content rules adds to the whole database; see
 * ls_rules_bench_groups(). */
typedef struct ls_group_cost {
	char group[256];        /**< the directory its rule files are in */
	size_t rules;           /**< enabled content rules in it */
	double seconds_without; /**< every other rule: fastest of the rounds */
} ls_group_cost;

/**
 * What each group of content rules (the rules of one directory: for the
 * built-in ones, one category) adds to the whole database. Rule costs
 * overlap inside one Hyperscan database (literal matching is shared), so
 * what leaving a group out saves says more than its rules alone. Reads
 * @p path as ls_rules_bench() does, then times the whole database and the
 * database without each group, interleaved, @p rounds times, keeping the
 * fastest of each. *groups (free with free()) gets *count entries, the
 * largest saving first; *all_seconds the whole database's time, *bytes the
 * input's size. On failure @p err gets a one-line reason naming the input.
 */
LS_API ls_status ls_rules_bench_groups(const ls_rules *r, const char *path, unsigned rounds,
				       ls_group_cost **groups, size_t *count,
				       double *all_seconds, uint64_t *bytes, char *err,
				       size_t err_len);
/** Frees rules; free every scanner made from them first. NULL is fine. */
LS_API void ls_rules_free(ls_rules *r);

/**
 * Creates a scanner over @p r, which must outlive it. One per thread.
 * Ownership: the caller frees it with ls_scanner_free().
 */
LS_API ls_status ls_scanner_new(const ls_rules *r, ls_scanner **out);
/** Sets a parameter; LS_ERR_INVALID_ARG when out of ls_param_bounds(). */
LS_API ls_status ls_scanner_set_param(ls_scanner *s, ls_param p, int64_t v);
/** Reads a parameter's current value. */
LS_API ls_status ls_scanner_get_param(const ls_scanner *s, ls_param p, int64_t *v);
/** Bounds and default of @p p; any out pointer may be NULL. */
LS_API ls_status ls_param_bounds(ls_param p, int64_t *min, int64_t *max,
				 int64_t *dflt);
/** Sets the finding callback. */
LS_API ls_status ls_scanner_set_callback(ls_scanner *s, ls_finding_fn fn, void *user);
/**
 * Sets a callback for damage and limit notes (rules `unreadable-member`
 * and `limit-reached`) that LS_PARAM_MIN_SEVERITY keeps from the finding
 * callback: an artifact that could not be read whole should be said even
 * when info findings are not wanted (the command line prints one line on
 * standard error). Called in order, on the scanning thread; its return
 * value is ignored. Notes delivered as findings do not come here.
 */
LS_API ls_status ls_scanner_set_notice_callback(ls_scanner *s, ls_finding_fn fn, void *user);
/**
 * Scans a file or a directory (recursively, sorted; symbolic links are
 * reported, never followed). "-" reads standard input. Returns LS_ERR_IO
 * when the input could not be read at all: it cannot be opened, or it is
 * damaged before a single byte of it could be scanned (a .tgz that is not
 * gzip past its header); ls_scanner_last_error() says why. Damage further
 * in is a finding (unreadable-member) and the call returns LS_OK.
 */
LS_API ls_status ls_scanner_scan_path(ls_scanner *s, const char *path);
/**
 * Scans an open descriptor, labelled @p label, from its current offset to
 * its end; it need not be seekable (a pipe, a socket). The fd stays open.
 * Returns LS_ERR_IO when nothing could be read from it (a closed fd, a
 * directory), as ls_scanner_scan_path() does.
 */
LS_API ls_status ls_scanner_scan_fd(ls_scanner *s, int fd, const char *label);
/** Scans a buffer, labelled @p label. The buffer is not kept. */
LS_API ls_status ls_scanner_scan_mem(ls_scanner *s, const void *buf, size_t len,
				     const char *label);
/** Counters of the last scan call. */
LS_API ls_status ls_scanner_stats(const ls_scanner *s, ls_scan_stats *out);
/**
 * Message of the last failed call on @p s (a scan, or a refused argument
 * or state); "" after a call that succeeded. Valid until the next call.
 */
LS_API const char *ls_scanner_last_error(const ls_scanner *s);
/** Frees a scanner; NULL is fine. */
LS_API void ls_scanner_free(ls_scanner *s);

/**
 * Starts decompressing @p path ahead of its scan, on a thread of its own,
 * so that the work overlaps with what comes before the scan (compiling or
 * loading rules, which takes milliseconds a run). Only for a regular file
 * of 1 MiB or more compressed as a whole (gzip, xz, bzip2, zstd), and
 * @p threads (the LS_PARAM_THREADS its scan will use) above 1; otherwise,
 * and on any error, NULL: the scan itself opens the path and says what is
 * wrong with it. At most 8 MiB are decompressed before the scan reads
 * them, with no limits yet: the scanner's limits apply to every byte as
 * it reads them, so findings, notes and limits are as without it.
 */
LS_API ls_prefetch *ls_prefetch_start(const char *path, int threads);
/**
 * Gives @p p (taken; NULL is fine) to @p s for its next scan call: when
 * that call opens the same file (device, inode, size and modification
 * time) and finds the same compression, it goes on from the bytes already
 * decompressed. The prefetch is freed when that call ends, used or not.
 */
LS_API void ls_scanner_set_prefetch(ls_scanner *s, ls_prefetch *p);
/** Stops a prefetch never given to a scanner and frees it; NULL is fine. */
LS_API void ls_prefetch_free(ls_prefetch *p);

/** Reporter options, bit flags. */
#define LS_REPORT_COLOR 0x1u        /**< ANSI colour in text output */
#define LS_REPORT_SHOW_SECRETS 0x2u /**< findings carry secrets: print them */
#define LS_REPORT_QUIET 0x4u        /**< text: summary only when there is something */

/**
 * Creates a reporter writing format @p format ("text", "json", "jsonl",
 * "sarif", "gitlab"; case-insensitive, as severities are) to @p w. @p rules (may be NULL) describes rules in SARIF.
 * LS_ERR_UNSUPPORTED for an unknown format. Ownership: the caller frees
 * it with ls_reporter_free(). Findings are buffered only where the format
 * needs it (text groups by input, json wraps an array). A reporter is not
 * locked: use it from one thread at a time (a scanner's callbacks all run
 * on the thread that called the scan).
 */
LS_API ls_status ls_reporter_new(const char *format, unsigned flags,
				 const ls_rules *rules, ls_write_fn w,
				 void *user, ls_reporter **out);
/** Adds a finding; it is copied. */
LS_API ls_status ls_reporter_add(ls_reporter *rep, const ls_finding *f);
/** Records the outcome of one top-level input for the summary. */
LS_API ls_status ls_reporter_input(ls_reporter *rep, const char *path,
				   ls_status st, const ls_scan_stats *stats);
/** Writes what remains (grouped text, closing brackets, summary). */
LS_API ls_status ls_reporter_finish(ls_reporter *rep);
/** Frees a reporter; NULL is fine. */
LS_API void ls_reporter_free(ls_reporter *rep);

/**
 * Progress callback, called from inside a scan call on the scanning
 * thread: @p st are the counters of the call so far, @p path the member
 * being read (the input as given, then each nested member). Pointers are
 * valid during the call only; it must not call into the scanner.
 */
typedef void (*ls_progress_fn)(const ls_scan_stats *st, const char *const *path,
			       size_t path_count, void *user);
/**
 * Calls @p fn each time another @p every_bytes expanded bytes were
 * scanned (0: every MiB) or another 1,024 members were opened, whichever
 * comes first; NULL @p fn turns progress off. The library only counts:
 * throttling by time and printing are the caller's.
 */
LS_API ls_status ls_scanner_set_progress(ls_scanner *s, ls_progress_fn fn,
					 uint64_t every_bytes, void *user);

/**
 * Reference URLs of rule @p i: *refs (may be NULL) gets a borrowed array
 * living as long as @p r. Returns the count; 0 for a bad argument.
 */
LS_API size_t ls_rules_references(const ls_rules *r, size_t i, const char *const **refs);

/**
 * A baseline: findings accepted earlier, keyed by (fingerprint, rule).
 * Fingerprints do not depend on where a finding is, so a baseline written
 * for one release still matches the next. Not thread-safe: one per thread,
 * or the caller locks.
 */
typedef struct ls_baseline ls_baseline;

/** One baseline entry; pointers live until the baseline changes or is freed. */
typedef struct ls_baseline_entry {
	const char *fingerprint;
	const char *rule;
	const char *const *path;    /**< first location: input, then nested members */
	size_t path_count;
	uint64_t line;              /**< 1-based; 0 = none */
	uint64_t matched;           /**< findings ls_baseline_match() matched to it */
} ls_baseline_entry;

/** Creates an empty baseline. Ownership: free it with ls_baseline_free(). */
LS_API ls_status ls_baseline_new(ls_baseline **out);
/**
 * Adds the entries of a baseline file held in @p buf, as written by
 * ls_baseline_write() (a --format json report is read the same way: its
 * findings' fingerprint and rule). Problems go to @p fn as "label:line:
 * message" diagnostics and return LS_ERR_RULES; nothing is added then.
 */
LS_API ls_status ls_baseline_load(ls_baseline *b, const char *label, const void *buf,
				  size_t len, ls_diag_fn fn, void *user);
/** Records @p f (fingerprint, rule, location); a known key keeps its first location. */
LS_API ls_status ls_baseline_add(ls_baseline *b, const ls_finding *f);
/** 1 when (@p f's fingerprint, rule) is in @p b (the entry's match count grows), else 0. */
LS_API int ls_baseline_match(ls_baseline *b, const ls_finding *f);
/**
 * Writes @p b as JSON sorted by fingerprint and rule, with no time or
 * version stamp, so that the same findings give the same bytes. It holds
 * no secret and no match text.
 */
LS_API ls_status ls_baseline_write(const ls_baseline *b, ls_write_fn w, void *user);
/** Number of entries. */
LS_API size_t ls_baseline_count(const ls_baseline *b);
/** Entry @p i, in the order entries were added (a loaded file's order). */
LS_API ls_status ls_baseline_get(const ls_baseline *b, size_t i, ls_baseline_entry *out);
/** Frees a baseline; NULL is fine. */
LS_API void ls_baseline_free(ls_baseline *b);

/**
 * Tells the reporter which baseline suppressed findings, so the summary
 * (json; text footer) counts them and lists entries that matched nothing.
 * @p b is borrowed and must outlive ls_reporter_finish().
 */
LS_API ls_status ls_reporter_set_baseline(ls_reporter *rep, const ls_baseline *b);
/**
 * The commit the scanned artifacts were built from (e.g. CI_COMMIT_SHA),
 * for formats that carry one ("gitlab"). The string is copied.
 */
LS_API ls_status ls_reporter_set_commit(ls_reporter *rep, const char *sha);
/**
 * A damage or limit note the notice callback heard (ls_scanner_set_notice_callback):
 * formats with a place for tool messages list it there (SARIF's
 * toolExecutionNotifications, GitLab's scan.messages); the others leave
 * it out, as it is below the reported severity.
 */
LS_API ls_status ls_reporter_notice(ls_reporter *rep, const ls_finding *f);

#ifdef __cplusplus
}
#endif

#endif /* LEAKSCAN_H */
