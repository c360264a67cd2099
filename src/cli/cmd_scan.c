/* SPDX-License-Identifier: Apache-2.0 */
/*
 * leakscan scan: parse options into struct scan_opts, compile rules,
 * scan every input with one scanner per thread over shared rules, report,
 * and turn the outcome into the exit status (0, 1 findings, 2 errors).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/escape.h"

struct scan_opts {
	struct cli_rules_opts rules;
	const char *format;
	const char *output;
	const char *files_from;
	const char *stdin_name;      /* --stdin-name: the label of '-' */
	const char *baseline;        /* --baseline FILE */
	const char *write_baseline;  /* --write-baseline FILE */
	ls_severity min_sev;
	ls_severity fail_on;
	bool fail_never;             /* --fail-on none: findings never fail the run */
	bool fail_on_partial;        /* exit 1 when an input was not read whole */
	bool show_secrets;
	bool quiet;
	bool no_color;
	int64_t param[LS_PARAM_COUNT_];
	bool param_set[LS_PARAM_COUNT_];
	const char **inputs;
	size_t input_count;
};

struct scan_run {
	const struct scan_opts *o;
	ls_reporter *rep;
	FILE *out;
	bool fail;              /* a finding at or above --fail-on */
	bool error;             /* an input could not be read */
	size_t partial;         /* inputs not read whole (damage, limits) */
	char partial_first[512]; /* the first of them, and why, for the gate's line */
	ls_status rep_status;
	ls_baseline *base;      /* --baseline: findings to suppress */
	ls_baseline *record;    /* --write-baseline: every finding reported */
	/* Progress line on a terminal's stderr: */
	bool shown;             /* a progress line is on the screen */
	bool stdout_tty;
	uint64_t t0, last_ms;
	ls_scan_stats done;     /* inputs finished so far */
};

static void scan_usage(FILE *f)
{
	fputs("usage: leakscan scan [OPTIONS] [PATH...]\n"
	      "Scans files, directories and archives (tar, gzip, ...) for secrets, internal\n"
	      "URLs, debug logging, build paths and shipped sources. PATH '-' reads stdin;\n"
	      "with no PATH the current directory is scanned.\n\n"
	      "  -f, --format FMT         text (default), json, jsonl, sarif, gitlab\n"
	      "  -o, --output FILE        write the report to FILE\n"
	      "      --min-severity LVL   report findings at or above LVL (default low)\n"
	      "      --fail-on LVL        exit 1 when a reported finding is at or above LVL\n"
	      "                           (default high; none: findings never fail)\n"
	      "      --fail-on-partial    exit 1 also when an input was not read whole:\n"
	      "                           a damaged member, or a limit or --timeout reached\n"
	      "      --show-secrets       print secrets unredacted\n"
	      "      --rules DIR          add rule files (repeatable)\n"
	      "      --no-default-rules   use only --rules\n"
	      "      --config FILE        config file (default ./.leakscan.yaml if present)\n"
	      "      --files-from FILE    read input paths from FILE, one a line ('-' = stdin)\n"
	      "      --stdin-name NAME    the name standard input ('-') goes by in findings,\n"
	      "                           and what kind of file it is taken for (app.jar)\n"
	      "      --baseline FILE      suppress findings listed in FILE\n"
	      "      --write-baseline FILE  write the findings to FILE as a baseline\n"
	      "      --max-depth N        nesting of archives and compression (default 16)\n"
	      "      --max-size BYTES     skip files in directories and archive members larger\n"
	      "                           than BYTES; of a file named here or stdin, scan the\n"
	      "                           first BYTES (k, M, G suffixes)\n"
	      "      --max-total-bytes B  expanded bytes per input (default 64 GiB)\n"
	      "      --max-ratio N        expansion ratio of one stream, and of an input as a whole\n"
	      "                           (default 200)\n"
	      "      --max-members N      members per archive (default 1000000)\n"
	      "      --max-member-bytes B held in memory: zip central directory, 7z, inline\n"
	      "                           source maps (default 256 MiB)\n"
	      "      --timeout MS         time per input in milliseconds (default none)\n"
	      "  -j, --threads N          scanning threads (default: all cores); with 2+,\n"
	      "                           members go to N workers and the outer stream\n"
	      "                           inflates ahead; output is the same for any N\n"
	      "      --max-findings-per-rule N  per rule and member; the rest are counted\n"
	      "                           in one limit-reached finding (default 20)\n"
	      "  -q, --quiet              no summary when nothing is found, no progress line\n"
	      "      --no-color           no colour (also when NO_COLOR is set)\n"
	      "\nExit status: 0 nothing at or above --fail-on, 1 findings, 2 error.\n",
	      f);
}

enum {
	OPT_MIN_SEV = 256, OPT_FAIL_ON, OPT_SHOW, OPT_RULES, OPT_NO_DEFAULT, OPT_CONFIG,
	OPT_FILES_FROM, OPT_NO_COLOR, OPT_BASELINE, OPT_WRITE_BASELINE, OPT_FAIL_PARTIAL,
	OPT_STDIN_NAME, OPT_PARAM_BASE = 512,
};

static bool parse_num(const char *s, int64_t *out)
{
	char *end;
	long long v;
	int64_t mult = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno)
		return false;
	if (*end == 'k' || *end == 'K')
		mult = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mult = 1024 * 1024, end++;
	else if (*end == 'g' || *end == 'G')
		mult = 1024LL * 1024 * 1024, end++;
	/* 10M, 10MB and 10MiB are all the same size here. */
	if (mult > 1 && *end == 'i')
		end++;
	if (mult > 1 && (*end == 'B' || *end == 'b'))
		end++;
	if (*end || v < 0 || (mult > 1 && v > INT64_MAX / mult))
		return false;
	*out = (int64_t)v * mult;
	return true;
}

/* 0 ok, 1 help printed, -1 usage error (message printed). */
static int parse(int argc, char **argv, struct scan_opts *o)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "min-severity", required_argument, NULL, OPT_MIN_SEV },
		{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
		{ "fail-on-partial", no_argument, NULL, OPT_FAIL_PARTIAL },
		{ "show-secrets", no_argument, NULL, OPT_SHOW },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "no-default-rules", no_argument, NULL, OPT_NO_DEFAULT },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "files-from", required_argument, NULL, OPT_FILES_FROM },
		{ "stdin-name", required_argument, NULL, OPT_STDIN_NAME },
		{ "baseline", required_argument, NULL, OPT_BASELINE },
		{ "write-baseline", required_argument, NULL, OPT_WRITE_BASELINE },
		{ "max-depth", required_argument, NULL, OPT_PARAM_BASE + LS_PARAM_MAX_DEPTH },
		{ "max-size", required_argument, NULL, OPT_PARAM_BASE + LS_PARAM_MAX_FILE_BYTES },
		{ "max-total-bytes", required_argument, NULL,
		  OPT_PARAM_BASE + LS_PARAM_MAX_TOTAL_BYTES },
		{ "max-ratio", required_argument, NULL, OPT_PARAM_BASE + LS_PARAM_MAX_RATIO },
		{ "max-members", required_argument, NULL, OPT_PARAM_BASE + LS_PARAM_MAX_MEMBERS },
		{ "max-member-bytes", required_argument, NULL,
		  OPT_PARAM_BASE + LS_PARAM_MAX_MEMBER_BYTES },
		{ "timeout", required_argument, NULL, OPT_PARAM_BASE + LS_PARAM_TIMEOUT_MS },
		{ "threads", required_argument, NULL, OPT_PARAM_BASE + LS_PARAM_THREADS },
		{ "max-findings-per-rule", required_argument, NULL,
		  OPT_PARAM_BASE + LS_PARAM_MAX_PER_RULE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-color", no_argument, NULL, OPT_NO_COLOR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->format = "text";
	o->min_sev = LS_SEV_LOW;
	o->fail_on = LS_SEV_HIGH;
	o->rules.rule_dirs = lsi_calloc((size_t)argc + 1, sizeof(char *));
	o->inputs = lsi_calloc((size_t)argc + 1, sizeof(char *));
	if (!o->rules.rule_dirs || !o->inputs)
		return -1;
	optind = 1;
	opterr = 0; /* our own messages, one line each */
	while ((c = getopt_long(argc, argv, ":f:o:j:qh", opts, NULL)) != -1) {
		int64_t v;

		if (c == 'j')
			c = OPT_PARAM_BASE + LS_PARAM_THREADS;

		if (c >= OPT_PARAM_BASE) {
			ls_param p = (ls_param)(c - OPT_PARAM_BASE);
			int64_t lo, hi;

			ls_param_bounds(p, &lo, &hi, NULL);
			if (!parse_num(optarg, &v) || v < lo || v > hi) {
				const char *name = "";

				for (size_t k = 0; opts[k].name; k++)
					if (opts[k].val == c)
						name = opts[k].name;
				bool bytes = p == LS_PARAM_MAX_FILE_BYTES ||
					     p == LS_PARAM_MAX_TOTAL_BYTES ||
					     p == LS_PARAM_MAX_MEMBER_BYTES;

				cli_error("--%s: '%s' is not a number from %" PRId64 " to %" PRId64 "%s",
					  name, optarg, lo, hi,
					  bytes ? " (k, M and G suffixes allowed: 10M)" : "");
				return -1;
			}
			o->param[p] = v;
			o->param_set[p] = true;
			continue;
		}
		switch (c) {
		case 'f':
			o->format = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case OPT_MIN_SEV:
		case OPT_FAIL_ON:
			if (c == OPT_FAIL_ON && (o->fail_never = strcmp(optarg, "none") == 0))
				break; /* a report only: findings never fail the run */
			if (ls_severity_parse(optarg, c == OPT_MIN_SEV ? &o->min_sev : &o->fail_on) !=
			    LS_OK) {
				cli_error("--%s: '%s' is not one of info, low, medium, high, critical%s",
					  c == OPT_MIN_SEV ? "min-severity" : "fail-on", optarg,
					  c == OPT_MIN_SEV ? "" : ", none");
				return -1;
			}
			break;
		case OPT_FAIL_PARTIAL:
			o->fail_on_partial = true;
			break;
		case OPT_SHOW:
			o->show_secrets = true;
			break;
		case OPT_RULES:
			o->rules.rule_dirs[o->rules.rule_dir_count++] = optarg;
			break;
		case OPT_NO_DEFAULT:
			o->rules.no_default = true;
			break;
		case OPT_CONFIG:
			o->rules.config = optarg;
			break;
		case OPT_FILES_FROM:
			o->files_from = optarg;
			break;
		case OPT_STDIN_NAME:
			if (!*optarg) {
				cli_error("--stdin-name: an empty name");
				return -1;
			}
			o->stdin_name = optarg;
			break;
		case OPT_BASELINE:
			o->baseline = optarg;
			break;
		case OPT_WRITE_BASELINE:
			o->write_baseline = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_NO_COLOR:
			o->no_color = true;
			break;
		case 'h':
			scan_usage(stdout);
			return 1;
		case ':':
			cli_error("scan: %s needs a value; see 'leakscan scan --help'",
				  argv[optind - 1]);
			return -1;
		default: {
			/* optopt names an unknown short option; a long one is
			 * the argument just read. */
			char shrt[3] = { '-', (char)optopt, '\0' };

			cli_error("scan: unknown option '%s'; see 'leakscan scan --help'",
				  optopt ? shrt : argv[optind - 1]);
			return -1;
		}
		}
	}
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0 && o->files_from && strcmp(o->files_from, "-") == 0) {
			cli_error("scan: '-' and --files-from - both read standard input");
			return -1;
		}
		o->inputs[o->input_count++] = argv[i];
	}
	if (o->stdin_name && !o->files_from) { /* a list may name '-' too */
		bool named = false;

		for (size_t i = 0; i < o->input_count && !named; i++)
			named = strcmp(o->inputs[i], "-") == 0;
		if (!named) {
			cli_error("--stdin-name: no '-' among the inputs to give the name to");
			return -1;
		}
	}
	return 0;
}

/*
 * The report file. With --show-secrets it holds live credentials: only
 * its owner may read it (an existing file is narrowed too).
 */
static FILE *open_output(const char *path, bool secrets)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, secrets ? 0600 : 0666);
	struct stat sb;
	FILE *f;

	if (fd < 0)
		return NULL;
	/* Regular files only: -o /dev/stdout may be a terminal. */
	if (secrets && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && fchmod(fd, 0600) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return NULL;
	}
	if (!(f = fdopen(fd, "w"))) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return f;
}

/* Why writing the report failed (disk full, a closed pipe), for the message. */
static int write_errno;

static int write_out(const void *buf, size_t len, void *user)
{
	if (fwrite(buf, 1, len, (FILE *)user) == len)
		return 0;
	write_errno = errno ? errno : EIO;
	return -1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void human(struct lsi_buf *b, double v, const char *suffix)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	lsi_buf_printf(b, u ? "%.1f %s%s" : "%.0f %s%s", v, unit[u], suffix);
}

/* Erases the progress line, before anything else reaches the terminal. */
static void progress_clear(struct scan_run *run)
{
	if (run->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		run->shown = false;
	}
}

/*
 * One line, rewritten in place: bytes, members, findings, rate and the
 * member being read. Quiet for the first half second (short scans stay
 * silent), then at most four times a second.
 */
static void on_progress(const ls_scan_stats *st, const char *const *path, size_t n, void *user)
{
	struct scan_run *run = user;
	uint64_t now = now_ms(), bytes = run->done.bytes_scanned + st->bytes_scanned;
	struct lsi_buf line, name;
	struct winsize ws;
	size_t width = 80, room;

	if (now - run->t0 < 500 || (run->last_ms && now - run->last_ms < 250))
		return;
	run->last_ms = now;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		width = ws.ws_col;
	lsi_buf_init(&line, 4096);
	lsi_buf_init(&name, 1 << 16);
	lsi_buf_puts(&line, "scanning: ");
	human(&line, (double)bytes, ", ");
	lsi_buf_printf(&line, "%" PRIu64 " files, %" PRIu64 " findings, ",
		       run->done.members + st->members, run->done.findings + st->findings);
	human(&line, (double)bytes * 1000.0 / (double)(now - run->t0), "/s  ");
	for (size_t i = 0; i < n; i++) {
		if (i)
			lsi_buf_putc(&name, '!');
		lsi_escape_term(&name, path[i], strlen(path[i]));
	}
	/* Keep the end of the name, where the member is; never split a character. */
	room = line.len + 2 < width ? width - 1 - line.len : 0;
	if (name.len > room) {
		size_t cut = name.len - (room > 3 ? room - 3 : 0);

		while (cut < name.len && (name.data[cut] & 0xc0) == 0x80)
			cut++;
		if (room > 3)
			lsi_buf_puts(&line, "...");
		lsi_buf_append(&line, name.data + cut, name.len - cut);
	} else
		lsi_buf_append(&line, name.data, name.len);
	fprintf(stderr, "\r\033[K%s", lsi_buf_str(&line));
	fflush(stderr);
	run->shown = true;
	lsi_buf_fini(&name);
	lsi_buf_fini(&line);
}

/* Damage and limits: one line on standard error, whatever is reported. */
static void say_note(struct scan_run *run, const ls_finding *f)
{
	struct lsi_buf b;

	lsi_buf_init(&b, 1 << 16);
	for (size_t i = 0; i < f->path_count; i++) {
		if (i)
			lsi_buf_putc(&b, '!');
		lsi_buf_puts(&b, f->path[i]);
	}
	progress_clear(run);
	cli_error("%s: %s%s", lsi_buf_str(&b),
		  strcmp(f->rule, LS_NOTE_LIMIT) == 0 ? "limit reached: " : "", f->message);
	lsi_buf_fini(&b);
}

/* A note below --min-severity: said, and listed where a format has a
 * place for tool messages. */
static int on_notice(const ls_finding *f, void *user)
{
	struct scan_run *run = user;
	ls_status st;

	if (f->message)
		say_note(run, f);
	if ((st = ls_reporter_notice(run->rep, f)) != LS_OK && run->rep_status == LS_OK)
		run->rep_status = st;
	return 0;
}

static int on_finding(const ls_finding *f, void *user)
{
	struct scan_run *run = user;
	ls_status st;

	if (run->stdout_tty)
		progress_clear(run); /* a streaming format is about to print */
	if (run->record && (st = ls_baseline_add(run->record, f)) != LS_OK &&
	    run->rep_status == LS_OK)
		run->rep_status = st;
	if (run->base && ls_baseline_match(run->base, f))
		return 0;
	if (!run->o->fail_never && f->severity >= run->o->fail_on)
		run->fail = true;
	if (f->message && (strcmp(f->rule, LS_NOTE_DAMAGE) == 0 ||
			   strcmp(f->rule, LS_NOTE_LIMIT) == 0))
		say_note(run, f);
	st = ls_reporter_add(run->rep, f);
	if (st != LS_OK && run->rep_status == LS_OK)
		run->rep_status = st;
	return 0;
}

/* Reads newline-separated paths; NULL-terminated array of heap strings. */
static char **read_list(const char *path, size_t *count, bool *bad)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char **items = NULL;
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;
	struct stat sb;

	*count = 0;
	if (!f) {
		cli_error("--files-from %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		/* A list, not a tree: read as one it would name nothing. */
		cli_error("--files-from %s: is a directory (a file listing paths, one a line, "
			  "is wanted; a directory is scanned when named as an input)", path);
		fclose(f);
		return NULL;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		char **ni;

		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		if (memchr(line, '\0', (size_t)len)) {
			/* No path holds a NUL: it would name another file. */
			cli_error("--files-from %s: a line holds a NUL byte (list paths one a line, "
				  "not NUL-separated): skipped", path);
			*bad = true;
			continue;
		}
		ni = lsi_realloc(items, (n + 2) * sizeof(*ni));
		if (!ni)
			break;
		items = ni;
		if (!(items[n] = lsi_strdup(line)))
			break;
		items[++n] = NULL;
	}
	free(line); /* allocated by getline() */
	if (ferror(f)) {
		cli_error("--files-from %s: %s", path, strerror(errno));
		*bad = true;
	}
	if (f != stdin)
		fclose(f);
	if (!items && !(items = lsi_calloc(1, sizeof(*items))))
		return NULL;
	*count = n;
	return items;
}

static void scan_one(struct scan_run *run, ls_scanner *s, const char *path)
{
	ls_scan_stats stats;
	ls_status st;

	/* Standard input under the name the caller gave it. */
	if (run->o->stdin_name && strcmp(path, "-") == 0) {
		path = run->o->stdin_name;
		st = ls_scanner_scan_fd(s, STDIN_FILENO, path);
	} else {
		st = ls_scanner_scan_path(s, path);
	}

	ls_scanner_stats(s, &stats);
	run->done.bytes_scanned += stats.bytes_scanned;
	run->done.members += stats.members;
	run->done.findings += stats.findings;
	if (st == LS_OK && (stats.damaged || stats.limits)) {
		/* Named in --fail-on-partial's line: a config may have hidden
		 * the member notes that would say it. Escaped: a name can hold
		 * anything. */
		if (!run->partial++) {
			struct lsi_buf esc;

			lsi_buf_init(&esc, 256);
			lsi_escape_term(&esc, path, strlen(path));
			snprintf(run->partial_first, sizeof(run->partial_first), "%s (%s)",
				 esc.len ? lsi_buf_str(&esc) : "?",
				 stats.damaged && stats.limits ? "damaged, and a limit reached"
				 : stats.damaged		  ? "damaged"
							  : "a limit reached");
			lsi_buf_fini(&esc);
		}
	}
	if (st != LS_OK) {
		progress_clear(run);
		/* Damaged before one byte of it could be scanned: LS_ERR_IO,
		 * and the damage was already said on stderr. */
		if (!(st == LS_ERR_IO && stats.damaged))
			cli_error("%s", ls_scanner_last_error(s));
		if (st == LS_ERR_IO)
			run->error = true;
		else
			run->rep_status = st;
	}
	ls_reporter_input(run->rep, path, st, &stats);
}

/* Reads --baseline FILE (at most BASELINE_MAX bytes) into a new baseline. */
#define BASELINE_MAX (64u << 20)

static ls_baseline *load_baseline(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct lsi_buf b;
	ls_baseline *base = NULL;
	char chunk[65536];
	size_t n;
	bool ok = true;

	if (!f) {
		cli_error("--baseline %s: %s", path, strerror(errno));
		return NULL;
	}
	lsi_buf_init(&b, BASELINE_MAX);
	while (ok && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ok = lsi_buf_append(&b, chunk, n);
	if (!ok || ferror(f))
		cli_error("--baseline %s: %s", path,
			  ok ? strerror(errno) : "larger than 64 MiB, or out of memory");
	else if (ls_baseline_new(&base) != LS_OK ||
		 ls_baseline_load(base, path, b.data, b.len, cli_diag, NULL) != LS_OK) {
		ls_baseline_free(base);
		base = NULL;
	}
	fclose(f);
	lsi_buf_fini(&b);
	return base;
}

/* Baseline entries that matched nothing this time, on stderr. */
/*
 * Why a baseline entry of rule @id cannot match in this run, when the
 * reason is the rules rather than the artifact: "" when the rule is loaded
 * and runs.
 */
static const char *rule_missing(const ls_rules *r, const char *id)
{
	for (size_t i = 0; id && i < ls_rules_count(r); i++) {
		const char *rid;

		if (ls_rules_get(r, i, &rid, NULL, NULL, NULL) == LS_OK && strcmp(rid, id) == 0)
			return ls_rules_enabled(r, i) ? "" : " (the config disables that rule)";
	}
	return " (no rule of that id is loaded: its rule file not given with --rules?)";
}

static void report_stale(const char *path, const ls_baseline *base, const ls_rules *rules)
{
	size_t n = ls_baseline_count(base), stale = 0;

	for (size_t i = 0; i < n; i++) {
		ls_baseline_entry e;
		struct lsi_buf b;

		if (ls_baseline_get(base, i, &e) != LS_OK || e.matched)
			continue;
		if (++stale > 20)
			continue;
		lsi_buf_init(&b, 1 << 16);
		for (size_t k = 0; k < e.path_count; k++) {
			if (k)
				lsi_buf_putc(&b, '!');
			lsi_buf_puts(&b, e.path[k]);
		}
		if (e.line)
			lsi_buf_printf(&b, ":%" PRIu64, e.line);
		if (b.len)
			cli_error("baseline %s: %s %s (first at %s) no longer matches anything%s",
				  path, e.fingerprint, e.rule, lsi_buf_str(&b),
				  rule_missing(rules, e.rule));
		else
			cli_error("baseline %s: %s %s no longer matches anything%s", path,
				  e.fingerprint, e.rule, rule_missing(rules, e.rule));
		lsi_buf_fini(&b);
	}
	if (stale > 20)
		cli_error("baseline %s: %zu more entries match nothing (the json summary lists all)",
			  path, stale - 20);
}

/* Whether @path can be written: opened to append, and removed again
 * when this made it. */
static bool baseline_writable(const char *path)
{
	bool existed = access(path, F_OK) == 0;
	FILE *f = fopen(path, "a");

	if (!f) {
		cli_error("--write-baseline %s: %s", path, strerror(errno));
		return false;
	}
	fclose(f);
	if (!existed)
		unlink(path);
	return true;
}

static bool write_baseline(const char *path, const ls_baseline *b)
{
	FILE *f = fopen(path, "w");
	ls_status st;
	int saved = write_errno, err = 0;

	if (!f) {
		cli_error("--write-baseline %s: %s", path, strerror(errno));
		return false;
	}
	write_errno = 0;
	st = ls_baseline_write(b, write_out, f);
	if (st != LS_OK && write_errno)
		err = write_errno;
	if (fclose(f) != 0 && st == LS_OK) {
		st = LS_ERR_IO;
		err = errno;
	}
	write_errno = saved; /* the report's own write errors stay its own */
	if (st != LS_OK && err)
		cli_error("--write-baseline %s: cannot write: %s", path, strerror(err));
	else if (st != LS_OK)
		cli_error("--write-baseline %s: %s", path, ls_status_str(st));
	return st == LS_OK;
}

/* The scanning threads: --threads, or every core (at most 256). */
static int64_t scan_threads(const struct scan_opts *o)
{
	long cores;

	if (o->param_set[LS_PARAM_THREADS])
		return o->param[LS_PARAM_THREADS];
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	return cores > 1 ? (cores > 256 ? 256 : cores) : 1;
}

int cmd_scan(int argc, char **argv)
{
	struct scan_opts o;
	struct scan_run run;
	ls_rules *rules = NULL;
	ls_scanner *s = NULL;
	ls_prefetch *pf = NULL;
	char **listed = NULL;
	size_t listed_count = 0;
	unsigned flags = 0;
	ls_status st;
	int rc = EXIT_USAGE, p;

	memset(&o, 0, sizeof(o));
	memset(&run, 0, sizeof(run));
	run.o = &o;
	p = parse(argc, argv, &o);
	if (p) {
		rc = p > 0 ? 0 : EXIT_USAGE;
		goto out;
	}
	if (o.files_from && !(listed = read_list(o.files_from, &listed_count, &run.error)))
		goto out;
	if (o.files_from && !listed_count && !o.input_count && !o.quiet)
		cli_error("--files-from %s: no paths listed: nothing to scan", o.files_from);
	/* The first input starts decompressing now, on a thread of its own,
	 * while the rules load: milliseconds of every run on two cores. */
	pf = ls_prefetch_start(o.input_count ? o.inputs[0] : listed_count ? listed[0] : NULL,
			       (int)scan_threads(&o));
	/* A baseline that cannot be written is said now, not after the scan. */
	if (o.write_baseline && !baseline_writable(o.write_baseline))
		goto out;
	run.out = stdout;
	if (o.output && !(run.out = open_output(o.output, o.show_secrets))) {
		cli_error("--output %s: %s", o.output, strerror(errno));
		run.out = NULL;
		goto out;
	}
	if (!(rules = cli_compile(&o.rules, &st)))
		goto out;
	if (!ls_rules_count(rules)) {
		cli_error("scan: no rules to scan with (--no-default-rules needs --rules DIR, or "
			  "a config that adds rules)");
		goto out;
	}
	if (o.baseline && !(run.base = load_baseline(o.baseline)))
		goto out;
	if (o.write_baseline && ls_baseline_new(&run.record) != LS_OK)
		goto out;
	/* NO_COLOR counts when set to anything but the empty string. */
	if (!o.output && !o.no_color && !(getenv("NO_COLOR") && *getenv("NO_COLOR")) &&
	    isatty(STDOUT_FILENO))
		flags |= LS_REPORT_COLOR;
	if (o.show_secrets)
		flags |= LS_REPORT_SHOW_SECRETS;
	if (o.quiet)
		flags |= LS_REPORT_QUIET;
	st = ls_reporter_new(o.format, flags, rules, write_out, run.out, &run.rep);
	if (st == LS_ERR_UNSUPPORTED) {
		cli_error("--format: unknown format '%s' (text, json, jsonl, sarif, gitlab)",
			  o.format);
		goto out;
	}
	if (st != LS_OK || (st = ls_scanner_new(rules, &s)) != LS_OK) {
		cli_error("%s", ls_status_str(st));
		goto out;
	}
	for (int i = 0; i < LS_PARAM_COUNT_; i++)
		if (o.param_set[i])
			ls_scanner_set_param(s, (ls_param)i, o.param[i]);
	if (!o.param_set[LS_PARAM_THREADS])
		ls_scanner_set_param(s, LS_PARAM_THREADS, scan_threads(&o));
	ls_scanner_set_prefetch(s, pf);
	pf = NULL;
	ls_scanner_set_param(s, LS_PARAM_MIN_SEVERITY, o.min_sev);
	ls_scanner_set_param(s, LS_PARAM_SHOW_SECRETS, o.show_secrets);
	ls_scanner_set_callback(s, on_finding, &run);
	ls_scanner_set_notice_callback(s, on_notice, &run);
	if (run.base)
		ls_reporter_set_baseline(run.rep, run.base);
	/* GitLab CI names the commit the artifacts were built from. */
	if (getenv("CI_COMMIT_SHA") && *getenv("CI_COMMIT_SHA"))
		ls_reporter_set_commit(run.rep, getenv("CI_COMMIT_SHA"));
	run.stdout_tty = isatty(STDOUT_FILENO);
	if (!o.quiet && isatty(STDERR_FILENO)) {
		run.t0 = now_ms();
		ls_scanner_set_progress(s, on_progress, 1u << 20, &run);
	}
	/* An empty --files-from list is nothing to scan, not the directory. */
	if (!o.input_count && !o.files_from)
		scan_one(&run, s, ".");
	for (size_t i = 0; i < o.input_count; i++)
		scan_one(&run, s, o.inputs[i]);
	for (size_t i = 0; i < listed_count; i++)
		scan_one(&run, s, listed[i]);
	progress_clear(&run);
	if (run.base)
		report_stale(o.baseline, run.base, rules);
	if (run.record && !write_baseline(o.write_baseline, run.record))
		run.error = true;
	st = ls_reporter_finish(run.rep);
	if (st != LS_OK && run.rep_status == LS_OK)
		run.rep_status = st;
	if (fflush(run.out) != 0 && run.rep_status == LS_OK) {
		write_errno = errno ? errno : EIO;
		run.rep_status = LS_ERR_IO;
	}
	if (run.rep_status != LS_OK) {
		if (write_errno)
			cli_error("%s: cannot write the report: %s",
				  o.output ? o.output : "standard output", strerror(write_errno));
		else
			cli_error("report: %s", ls_status_str(run.rep_status));
		rc = EXIT_USAGE;
	} else if (run.error) {
		rc = EXIT_USAGE;
	} else if (!run.fail && o.fail_on_partial && run.partial) {
		/* The gate asked for whole artifacts; the notes above say what
		 * was not read. */
		if (run.partial == 1)
			cli_error("%s was not read whole; failing as --fail-on-partial asks",
				  run.partial_first);
		else
			cli_error("%zu inputs were not read whole, the first %s; failing as "
				  "--fail-on-partial asks", run.partial, run.partial_first);
		rc = EXIT_FINDINGS;
	} else {
		rc = run.fail ? EXIT_FINDINGS : 0;
	}
out:
	/* The report's file is closed (its last write error said) before
	 * the process ends without freeing. */
	if (run.out && run.out != stdout && fclose(run.out) != 0 && rc != EXIT_USAGE) {
		cli_error("%s: cannot write the report: %s", o.output, strerror(errno));
		rc = EXIT_USAGE;
	}
	run.out = NULL;
	cli_exit_now(rc);
	ls_prefetch_free(pf);
	ls_scanner_free(s);
	ls_reporter_free(run.rep);
	ls_baseline_free(run.base);
	ls_baseline_free(run.record);
	ls_rules_free(rules);
	for (size_t i = 0; listed && i < listed_count; i++)
		lsi_free(listed[i]);
	lsi_free(listed);
	lsi_free(o.rules.rule_dirs);
	lsi_free(o.inputs);
	return rc;
}
