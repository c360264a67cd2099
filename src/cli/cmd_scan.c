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
	ls_severity min_sev;
	ls_severity fail_on;
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
	ls_status rep_status;
};

static void scan_usage(FILE *f)
{
	fputs("usage: leakscan scan [OPTIONS] [PATH...]\n"
	      "Scans files, directories and archives (tar, gzip, ...) for secrets, internal\n"
	      "URLs, debug logging, build paths and shipped sources. PATH '-' reads stdin;\n"
	      "with no PATH the current directory is scanned.\n\n"
	      "  -f, --format FMT         text (default), json, jsonl\n"
	      "  -o, --output FILE        write the report to FILE\n"
	      "      --min-severity LVL   report findings at or above LVL (default low)\n"
	      "      --fail-on LVL        exit 1 when a reported finding is at or above LVL\n"
	      "                           (default high)\n"
	      "      --show-secrets       print secrets unredacted\n"
	      "      --rules DIR          add rule files (repeatable)\n"
	      "      --no-default-rules   use only --rules\n"
	      "      --config FILE        config file (default ./.leakscan.yaml if present)\n"
	      "      --files-from FILE    read input paths from FILE, one a line ('-' = stdin)\n"
	      "      --max-depth N        nesting of archives and compression (default 16)\n"
	      "      --max-size BYTES     skip files and members larger than BYTES\n"
	      "      --max-total-bytes B  expanded bytes per input (default 64 GiB)\n"
	      "      --max-ratio N        expansion ratio of one stream (default 200)\n"
	      "      --max-members N      members per archive (default 1000000)\n"
	      "      --timeout MS         time per input in milliseconds (default none)\n"
	      "  -q, --quiet              no summary when nothing is found\n"
	      "      --no-color           no colour (also when NO_COLOR is set)\n"
	      "\nExit status: 0 nothing at or above --fail-on, 1 findings, 2 error.\n",
	      f);
}

enum {
	OPT_MIN_SEV = 256, OPT_FAIL_ON, OPT_SHOW, OPT_RULES, OPT_NO_DEFAULT, OPT_CONFIG,
	OPT_FILES_FROM, OPT_NO_COLOR, OPT_PARAM_BASE = 512,
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
		{ "show-secrets", no_argument, NULL, OPT_SHOW },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "no-default-rules", no_argument, NULL, OPT_NO_DEFAULT },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "files-from", required_argument, NULL, OPT_FILES_FROM },
		{ "max-depth", required_argument, NULL, OPT_PARAM_BASE + LS_PARAM_MAX_DEPTH },
		{ "max-size", required_argument, NULL, OPT_PARAM_BASE + LS_PARAM_MAX_FILE_BYTES },
		{ "max-total-bytes", required_argument, NULL,
		  OPT_PARAM_BASE + LS_PARAM_MAX_TOTAL_BYTES },
		{ "max-ratio", required_argument, NULL, OPT_PARAM_BASE + LS_PARAM_MAX_RATIO },
		{ "max-members", required_argument, NULL, OPT_PARAM_BASE + LS_PARAM_MAX_MEMBERS },
		{ "max-member-bytes", required_argument, NULL,
		  OPT_PARAM_BASE + LS_PARAM_MAX_MEMBER_BYTES },
		{ "timeout", required_argument, NULL, OPT_PARAM_BASE + LS_PARAM_TIMEOUT_MS },
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
	while ((c = getopt_long(argc, argv, "f:o:qh", opts, NULL)) != -1) {
		int64_t v;

		if (c >= OPT_PARAM_BASE) {
			ls_param p = (ls_param)(c - OPT_PARAM_BASE);
			int64_t lo, hi;

			ls_param_bounds(p, &lo, &hi, NULL);
			if (!parse_num(optarg, &v) || v < lo || v > hi) {
				const char *name = "";

				for (size_t k = 0; opts[k].name; k++)
					if (opts[k].val == c)
						name = opts[k].name;
				cli_error("--%s: '%s' is not a number from %" PRId64 " to %" PRId64,
					  name, optarg, lo, hi);
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
			if (ls_severity_parse(optarg, c == OPT_MIN_SEV ? &o->min_sev : &o->fail_on) !=
			    LS_OK) {
				cli_error("--%s: '%s' is not one of info, low, medium, high, critical",
					  c == OPT_MIN_SEV ? "min-severity" : "fail-on", optarg);
				return -1;
			}
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
		case 'q':
			o->quiet = true;
			break;
		case OPT_NO_COLOR:
			o->no_color = true;
			break;
		case 'h':
			scan_usage(stdout);
			return 1;
		default:
			scan_usage(stderr);
			return -1;
		}
	}
	for (int i = optind; i < argc; i++)
		o->inputs[o->input_count++] = argv[i];
	return 0;
}

static int write_out(const void *buf, size_t len, void *user)
{
	return fwrite(buf, 1, len, (FILE *)user) == len ? 0 : -1;
}

static int on_finding(const ls_finding *f, void *user)
{
	struct scan_run *run = user;
	ls_status st;

	if (f->severity >= run->o->fail_on)
		run->fail = true;
	if (f->message && (strcmp(f->rule, "unreadable-member") == 0 ||
			   strcmp(f->rule, "limit-reached") == 0)) {
		struct lsi_buf b;

		lsi_buf_init(&b, 1 << 16);
		for (size_t i = 0; i < f->path_count; i++) {
			if (i)
				lsi_buf_putc(&b, '!');
			lsi_buf_puts(&b, f->path[i]);
		}
		cli_error("%s: %s%s", lsi_buf_str(&b),
			  strcmp(f->rule, "limit-reached") == 0 ? "limit reached: " : "", f->message);
		lsi_buf_fini(&b);
	}
	st = ls_reporter_add(run->rep, f);
	if (st != LS_OK && run->rep_status == LS_OK)
		run->rep_status = st;
	return 0;
}

/* Reads newline-separated paths; NULL-terminated array of heap strings. */
static char **read_list(const char *path, size_t *count)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char **items = NULL;
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;

	*count = 0;
	if (!f) {
		cli_error("--files-from %s: %s", path, strerror(errno));
		return NULL;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		char **ni;

		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		ni = lsi_realloc(items, (n + 2) * sizeof(*ni));
		if (!ni)
			break;
		items = ni;
		if (!(items[n] = lsi_strdup(line)))
			break;
		items[++n] = NULL;
	}
	free(line); /* allocated by getline() */
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
	ls_status st = ls_scanner_scan_path(s, path);

	ls_scanner_stats(s, &stats);
	if (st != LS_OK) {
		cli_error("%s", ls_scanner_last_error(s));
		if (st == LS_ERR_IO)
			run->error = true;
		else
			run->rep_status = st;
	}
	ls_reporter_input(run->rep, path, st, &stats);
}

int cmd_scan(int argc, char **argv)
{
	struct scan_opts o;
	struct scan_run run;
	ls_rules *rules = NULL;
	ls_scanner *s = NULL;
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
	if (o.files_from && !(listed = read_list(o.files_from, &listed_count)))
		goto out;
	run.out = stdout;
	if (o.output && !(run.out = fopen(o.output, "w"))) {
		cli_error("--output %s: %s", o.output, strerror(errno));
		run.out = NULL;
		goto out;
	}
	if (!(rules = cli_compile(&o.rules, &st)))
		goto out;
	if (!o.output && !o.no_color && !getenv("NO_COLOR") && isatty(STDOUT_FILENO))
		flags |= LS_REPORT_COLOR;
	if (o.show_secrets)
		flags |= LS_REPORT_SHOW_SECRETS;
	if (o.quiet)
		flags |= LS_REPORT_QUIET;
	st = ls_reporter_new(o.format, flags, rules, write_out, run.out, &run.rep);
	if (st == LS_ERR_UNSUPPORTED) {
		cli_error("--format: unknown format '%s' (text, json, jsonl)", o.format);
		goto out;
	}
	if (st != LS_OK || (st = ls_scanner_new(rules, &s)) != LS_OK) {
		cli_error("%s", ls_status_str(st));
		goto out;
	}
	for (int i = 0; i < LS_PARAM_COUNT_; i++)
		if (o.param_set[i])
			ls_scanner_set_param(s, (ls_param)i, o.param[i]);
	ls_scanner_set_param(s, LS_PARAM_MIN_SEVERITY, o.min_sev);
	ls_scanner_set_param(s, LS_PARAM_SHOW_SECRETS, o.show_secrets);
	ls_scanner_set_callback(s, on_finding, &run);
	if (!o.input_count && !listed_count)
		scan_one(&run, s, ".");
	for (size_t i = 0; i < o.input_count; i++)
		scan_one(&run, s, o.inputs[i]);
	for (size_t i = 0; i < listed_count; i++)
		scan_one(&run, s, listed[i]);
	st = ls_reporter_finish(run.rep);
	if (st != LS_OK && run.rep_status == LS_OK)
		run.rep_status = st;
	if (fflush(run.out) != 0 && run.rep_status == LS_OK)
		run.rep_status = LS_ERR_IO;
	if (run.rep_status != LS_OK) {
		cli_error("report: %s", ls_status_str(run.rep_status));
		rc = EXIT_USAGE;
	} else if (run.error)
		rc = EXIT_USAGE;
	else
		rc = run.fail ? EXIT_FINDINGS : 0;
out:
	ls_scanner_free(s);
	ls_reporter_free(run.rep);
	ls_rules_free(rules);
	if (run.out && run.out != stdout)
		fclose(run.out);
	for (size_t i = 0; listed && i < listed_count; i++)
		lsi_free(listed[i]);
	lsi_free(listed);
	lsi_free(o.rules.rule_dirs);
	lsi_free(o.inputs);
	return rc;
}
