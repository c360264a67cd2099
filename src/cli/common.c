/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by subcommands: error printing and rule compilation. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "util/buf.h"
#include "util/escape.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CLI_FREE_AT_EXIT 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CLI_FREE_AT_EXIT 1
#endif

void cli_exit_now(int rc)
{
#if !defined(CLI_FREE_AT_EXIT)
	/* At two threads, joining the workers (their stacks go back with
	 * madvise), freeing the pools and unmapping the databases was about
	 * 1 ms of a 40 ms scan: ended by exit_group, it is the kernel's. */
	fflush(NULL);
	_exit(rc);
#else
	(void)rc;
#endif
}

void cli_error(const char *fmt, ...)
{
	char raw[2048];
	struct lsi_buf b;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	lsi_buf_init(&b, 16384);
	lsi_buf_puts(&b, "leakscan: ");
	lsi_escape_term(&b, raw, strlen(raw));
	lsi_buf_putc(&b, '\n');
	fputs(lsi_buf_str(&b), stderr);
	lsi_buf_fini(&b);
}

void cli_diag(const char *file, unsigned line, const char *msg, void *user)
{
	if (user)
		++*(unsigned *)user; /* diagnostics said so far */
	if (line)
		cli_error("%s:%u: %s", file, line, msg);
	else
		cli_error("%s: %s", file, msg);
}

/* $XDG_CACHE_HOME/leakscan, else ~/.cache/leakscan; none if neither is set. */
static void set_cache(ls_compiler *c)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char dir[4096];

	if (getenv("LEAKSCAN_NO_CACHE"))
		return;
	if (x && x[0] == '/')
		snprintf(dir, sizeof(dir), "%s/leakscan", x);
	else if (home && home[0] == '/')
		snprintf(dir, sizeof(dir), "%s/.cache/leakscan", home);
	else
		return;
	if (x && x[0] == '/')
		(void)mkdir(x, 0700);
	else {
		char parent[4096];

		snprintf(parent, sizeof(parent), "%s/.cache", home);
		(void)mkdir(parent, 0700);
	}
	ls_compiler_set_cache_dir(c, dir);
}

ls_compiler *cli_compiler(const struct cli_rules_opts *o, unsigned *said)
{
	ls_compiler *c = NULL;
	ls_status st = ls_compiler_new(&c);

	if (st != LS_OK) {
		cli_error("%s", ls_status_str(st));
		return NULL;
	}
	ls_compiler_set_diag(c, cli_diag, said);
	set_cache(c);
	if (!o->no_default)
		ls_compiler_add_builtin(c);
	for (size_t i = 0; i < o->rule_dir_count; i++)
		ls_compiler_add_path(c, o->rule_dirs[i]);
	if (o->config)
		ls_compiler_add_config(c, o->config);
	else if (!o->no_config && access(".leakscan.yaml", F_OK) == 0)
		ls_compiler_add_config(c, ".leakscan.yaml");
	return c;
}

ls_rules *cli_compile(const struct cli_rules_opts *o, ls_status *st)
{
	ls_rules *r = NULL;
	unsigned said = 0;
	ls_compiler *c = cli_compiler(o, &said);

	if (!c) {
		*st = LS_ERR_NOMEM;
		return NULL;
	}
	*st = ls_compiler_finish(c, &r);
	if (*st != LS_OK) {
		/* The diagnostics said what is wrong, and where. */
		if (!said)
			cli_error("rules: %s", ls_status_str(*st));
		return NULL;
	}
	return r;
}
