/* SPDX-License-Identifier: Apache-2.0 */
/*
 * leakscan rules list | check DIR... | test | bench FILE: list the rules,
 * lint rule files (file:line diagnostics, exit 2 on any), run every
 * example, measure what each content rule costs on a reference input.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/escape.h"

static bool list_patterns;
static unsigned bench_rounds = 3, bench_top = 25;

static int parse_rules_opts(int argc, char **argv, struct cli_rules_opts *o)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "no-default-rules", no_argument, NULL, 'N' },
		{ "config", required_argument, NULL, 'c' },
		{ "patterns", no_argument, NULL, 'P' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "top", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->no_config = true;
	o->rule_dirs = lsi_calloc((size_t)argc + 1, sizeof(char *));
	if (!o->rule_dirs)
		return -1;
	optind = 1;
	opterr = 0; /* our own messages, one line each */
	while ((c = getopt_long(argc, argv, ":r:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->rule_dirs[o->rule_dir_count++] = optarg;
			break;
		case 'N':
			o->no_default = true;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'P':
			list_patterns = true;
			break;
		case 'R':
		case 'T': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !*optarg || v == 0 || v > 100000) {
				cli_error("--%s: expected a number from 1 to 100000, got '%s'",
					  c == 'R' ? "rounds" : "top", optarg);
				return -1;
			}
			*(c == 'R' ? &bench_rounds : &bench_top) = (unsigned)v;
			break;
		}
		case 'h':
			return 1;
		case ':':
			cli_error("rules %s: %s needs a value; see 'leakscan rules --help'", argv[0],
				  argv[optind - 1]);
			return -1;
		default:
			cli_error("rules %s: unknown option '%s'; see 'leakscan rules --help'", argv[0],
				  argv[optind - 1]);
			return -1;
		}
	}
	return 0;
}

static int rules_list(struct cli_rules_opts *o, bool patterns)
{
	ls_status st;
	ls_rules *r = cli_compile(o, &st);
	struct lsi_buf b;

	if (!r)
		return EXIT_USAGE;
	lsi_buf_init(&b, 1 << 20);
	for (size_t i = 0; i < ls_rules_count(r); i++) {
		const char *id, *name;
		ls_category cat;
		ls_severity sev;

		ls_rules_get(r, i, &id, &name, &cat, &sev);
		if (patterns) {
			const char *pat = ls_rules_pattern(r, i);

			/* id TAB pattern: input for other tools (benchmarks), the
			 * rules a scan runs. */
			if (!pat || !ls_rules_enabled(r, i))
				continue;
			lsi_buf_printf(&b, "%s\t", id);
			lsi_escape_term(&b, pat, strlen(pat));
			lsi_buf_putc(&b, '\n');
			fputs(lsi_buf_str(&b), stdout);
			lsi_buf_reset(&b);
			continue;
		}
		/* A rule the config disables is listed as such, not left out:
		 * "why is X not reported" has its answer here. */
		lsi_buf_printf(&b, "%-40s %-16s %-9s ", id, ls_category_name(cat),
			       ls_rules_enabled(r, i) ? ls_severity_name(sev) : "disabled");
		lsi_escape_term(&b, name, strlen(name));
		lsi_buf_putc(&b, '\n');
		fputs(lsi_buf_str(&b), stdout);
		lsi_buf_reset(&b);
	}
	lsi_buf_fini(&b);
	ls_rules_free(r);
	return 0;
}

static int rules_test(struct cli_rules_opts *o)
{
	ls_status st;
	ls_rules *r = cli_compile(o, &st);
	size_t fails = 0, examples = 0;

	if (!r)
		return EXIT_USAGE;
	st = ls_rules_test(r, cli_diag, NULL, &fails, &examples);
	printf("%zu rules, %zu examples, %zu failures\n", ls_rules_count(r), examples, fails);
	ls_rules_free(r);
	if (st == LS_OK)
		return 0;
	if (st != LS_ERR_RULES)
		cli_error("rules test: %s", ls_status_str(st));
	return 1;
}

/* rules check DIR...: every problem of the named rule files in one run. */
static int rules_check(struct cli_rules_opts *o)
{
	unsigned said = 0;
	ls_compiler *c = cli_compiler(o, &said);
	size_t rules = 0, examples = 0, problems = 0;
	ls_status st;

	if (!c)
		return EXIT_USAGE;
	st = ls_compiler_check(c, &rules, &examples, &problems);
	printf("%zu rule%s, %zu example%s, %zu problem%s\n", rules, rules == 1 ? "" : "s",
	       examples, examples == 1 ? "" : "s", problems, problems == 1 ? "" : "s");
	if (st != LS_OK && st != LS_ERR_RULES)
		cli_error("rules check: %s", ls_status_str(st));
	return st == LS_OK ? 0 : EXIT_USAGE;
}

/* rules bench FILE: the costliest content rules on one reference input. */
static int rules_bench(struct cli_rules_opts *o, const char *path)
{
	ls_status st;
	ls_rules *r = cli_compile(o, &st);
	ls_rule_cost *c = NULL;
	ls_group_cost *g = NULL;
	size_t n = 0;
	double all = 0, mb;
	uint64_t bytes = 0;
	char err[512];
	struct lsi_buf b;

	if (!r)
		return EXIT_USAGE;
	st = ls_rules_bench(r, path, bench_rounds, &c, &n, &all, &bytes, err, sizeof(err));
	if (st != LS_OK) {
		cli_error("rules bench: %s", err[0] ? err : ls_status_str(st));
		ls_rules_free(r);
		return EXIT_USAGE; /* as scan: an input not read at all is 2 */
	}
	mb = (double)bytes / 1e6;
	lsi_buf_init(&b, 1 << 20);
	lsi_buf_printf(&b, "reference: ");
	lsi_escape_term(&b, path, strlen(path));
	lsi_buf_printf(&b, ", %.1f MB decompressed, fastest of %u rounds\n", mb, bench_rounds);
	lsi_buf_printf(&b, "all %zu content rules together: %.1f ms, %.0f MB/s\n", n,
		       all * 1e3, all > 0 ? mb / all : 0.0);
	/* Below a few milliseconds a timer's and a cache's noise is the cost. */
	if (bytes < (1u << 20))
		lsi_buf_printf(&b, "note: under 1 MB is too little to time rules apart; the "
				  "figures below are noise: take an artifact of tens of MB\n");
	lsi_buf_putc(&b, '\n');
	lsi_buf_printf(&b, "%4s  %-44s %9s %9s %8s %9s\n", "rank", "rule", "ms", "MB/s", "share",
		       "findings");
	for (size_t i = 0; i < n && i < bench_top; i++) {
		const char *id;

		ls_rules_get(r, c[i].rule, &id, NULL, NULL, NULL);
		lsi_buf_printf(&b, "%4zu  %-44s %9.2f %9.0f %7.1f%% %9llu\n", i + 1, id,
			       c[i].seconds * 1e3, c[i].seconds > 0 ? mb / c[i].seconds : 0.0,
			       all > 0 ? 100.0 * c[i].seconds / all : 0.0,
			       (unsigned long long)c[i].findings);
	}
	lsi_buf_printf(&b, "\nshare: the rule alone against all rules together; costs in one "
			  "database overlap,\nso shares do not add up to 100%%.\n");
	fputs(lsi_buf_str(&b), stdout);
	fflush(stdout);
	lsi_buf_reset(&b);
	free(c);
	st = ls_rules_bench_groups(r, path, bench_rounds, &g, &n, &all, &bytes, err, sizeof(err));
	if (st != LS_OK) {
		cli_error("rules bench: %s", err[0] ? err : ls_status_str(st));
		lsi_buf_fini(&b);
		ls_rules_free(r);
		return EXIT_USAGE; /* as scan: an input not read at all is 2 */
	}
	lsi_buf_printf(&b, "\nwhat each directory of rules adds (all rules together: %.1f ms; "
			  "timed interleaved):\n\n%-40s %6s %12s %10s %7s\n", all * 1e3, "rules from",
		       "rules", "without ms", "saves ms", "share");
	for (size_t i = 0; i < n; i++) {
		double saves = all - g[i].seconds_without;

		size_t gl = strlen(g[i].group), w = gl > 39 ? 39 : gl;

		/* A long directory keeps its end, where the names differ. */
		lsi_buf_puts(&b, gl > 39 ? " ..." : " ");
		lsi_escape_term(&b, g[i].group + gl - (gl > 39 ? 36 : w), gl > 39 ? 36 : w);
		lsi_buf_printf(&b, "%*s %6zu %12.2f %10.2f %6.1f%%\n", (int)(39 - w), "", g[i].rules,
			       g[i].seconds_without * 1e3, saves * 1e3,
			       all > 0 ? 100.0 * saves / all : 0.0);
	}
	lsi_buf_printf(&b, "\nsaves: what scanning without those rules gains; below a few %% it is "
			  "within\nthe machine's noise.\n");
	fputs(lsi_buf_str(&b), stdout);
	lsi_buf_fini(&b);
	free(g);
	ls_rules_free(r);
	return 0;
}

int cmd_rules(int argc, char **argv)
{
	static const char usage[] =
		"usage: leakscan rules list [--patterns] [--rules DIR] [--no-default-rules] [--config FILE]\n"
		"                            (default config: ./.leakscan.yaml if present, as for scan)\n"
		"       leakscan rules check DIR...   lint rule files and run their examples\n"
		"       leakscan rules test [--rules DIR] [--no-default-rules] [DIR...]\n"
		"       leakscan rules bench [--rounds N] [--top N] [--rules DIR] FILE\n"
		"                            the content rules that cost the most on FILE, and\n"
		"                            what each directory of rules adds to the whole\n";
	struct cli_rules_opts o;
	const char *sub = argc > 1 ? argv[1] : NULL;
	int rc;

	if (!sub || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(usage, sub ? stdout : stderr);
		return sub ? 0 : EXIT_USAGE;
	}
	rc = parse_rules_opts(argc - 1, argv + 1, &o);
	if (rc) {
		if (rc > 0)
			fputs(usage, stdout); /* rules SUB --help */
		lsi_free(o.rule_dirs);
		return rc > 0 ? 0 : EXIT_USAGE;
	}
	if (strcmp(sub, "list") == 0 || strcmp(sub, "test") == 0) {
		/* test DIR... tests those rule files beside the built-in ones,
		 * as --rules DIR does; list takes no operand. */
		for (int i = optind + 1; i < argc; i++) {
			if (strcmp(sub, "list") == 0) {
				cli_error("rules list: unexpected '%s' (rules from a directory: "
					  "--rules DIR)", argv[i]);
				lsi_free(o.rule_dirs);
				return EXIT_USAGE;
			}
			o.rule_dirs[o.rule_dir_count++] = argv[i];
		}
		/* The list is what a scan here would run: ./.leakscan.yaml counts,
		 * as it does for scan. */
		if (strcmp(sub, "list") == 0)
			o.no_config = false;
		rc = strcmp(sub, "list") == 0 ? rules_list(&o, list_patterns) : rules_test(&o);
	} else if (strcmp(sub, "check") == 0) {
		/* check DIR...: only the named files, compiled and tested. */
		int first = optind + 1;

		if (first >= argc) {
			cli_error("rules check: name at least one rule file or directory");
			rc = EXIT_USAGE;
		} else {
			o.no_default = true;
			for (int i = first; i < argc; i++)
				o.rule_dirs[o.rule_dir_count++] = argv[i];
			rc = rules_check(&o);
		}
	} else if (strcmp(sub, "bench") == 0) {
		if (optind + 2 != argc) {
			cli_error("rules bench: name exactly one reference input file");
			rc = EXIT_USAGE;
		} else {
			rc = rules_bench(&o, argv[optind + 1]);
		}
	} else {
		cli_error("rules: unknown subcommand '%s'", sub);
		rc = EXIT_USAGE;
	}
	lsi_free(o.rule_dirs);
	return rc;
}
