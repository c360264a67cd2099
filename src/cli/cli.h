/* SPDX-License-Identifier: Apache-2.0 */
/* Shared declarations of the command-line program's subcommands. */
#ifndef LS_CLI_H
#define LS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "leakscan.h"

#define EXIT_FINDINGS 1
#define EXIT_USAGE 2

int cmd_scan(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* Prints "leakscan: " + message to stderr, escaping control characters. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Ends the process with @rc once a command is done with its output:
 * streams are flushed, and the memory, threads and mappings are left to
 * the kernel instead of being freed one by one. Returns (and the caller
 * frees as usual) in builds with AddressSanitizer, whose leak check runs
 * at exit.
 */
void cli_exit_now(int rc);
/* Diagnostic callback printing "file:line: msg". */
void cli_diag(const char *file, unsigned line, const char *msg, void *user);

/* Options shared by subcommands that compile rules. */
struct cli_rules_opts {
	bool no_default;
	const char **rule_dirs;
	size_t rule_dir_count;
	const char *config;       /* --config, or NULL: ./.leakscan.yaml if present */
	bool no_config;           /* never read ./.leakscan.yaml */
};

/* A compiler with the rules the options name, diagnostics printed (and
 * counted in *said); NULL on failure. */
ls_compiler *cli_compiler(const struct cli_rules_opts *o, unsigned *said);
/* Compiles rules as the options say; prints diagnostics; NULL on failure. */
ls_rules *cli_compile(const struct cli_rules_opts *o, ls_status *st);

#endif
