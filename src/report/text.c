/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text for people: findings grouped by input, most severe first within
 * an input, each with its nested path (joined with '!'), rule and match;
 * a footer with counts by severity. Everything taken from an artifact is
 * escaped before it reaches the terminal.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "summary.h"
#include "util/alloc.h"
#include "util/escape.h"

static const char *const sev_color[] = {
	"\033[2m", "\033[36m", "\033[33m", "\033[31m", "\033[1;31m",
};

struct order {
	size_t idx;
	size_t group;   /* index of the first finding of the same input */
};

static int cmp_order(const void *a, const void *b, const struct ls_reporter *r)
{
	const struct order *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (r->f[x->idx].severity != r->f[y->idx].severity)
		return r->f[x->idx].severity > r->f[y->idx].severity ? -1 : 1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

/* qsort has no context argument; the reporter is passed through this. */
static _Thread_local const struct ls_reporter *sort_ctx;

static int cmp_order_q(const void *a, const void *b)
{
	return cmp_order(a, b, sort_ctx);
}

static void human_bytes(struct lsi_buf *b, uint64_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		lsi_buf_printf(b, "%" PRIu64 " B", n);
	else
		lsi_buf_printf(b, "%.1f %s", v, unit[u]);
}

static void one(struct ls_reporter *r, struct lsi_buf *b, const struct lsi_rfinding *f)
{
	bool color = r->flags & LS_REPORT_COLOR;
	const char *sev = ls_severity_name(f->severity);

	lsi_buf_puts(b, "  ");
	if (color)
		lsi_buf_puts(b, sev_color[f->severity]);
	lsi_buf_printf(b, "%-8s", sev);
	if (color)
		lsi_buf_puts(b, "\033[0m");
	lsi_buf_puts(b, "  ");
	lsi_report_join_path(b, f, true);
	if (f->line)
		lsi_buf_printf(b, ":%" PRIu64 ":%" PRIu64, f->line, f->column);
	lsi_buf_putc(b, '\n');
	lsi_buf_printf(b, "            %s", f->rule);
	if (f->rule_name && strcmp(f->rule_name, f->rule) != 0)
		lsi_buf_printf(b, " (%s)", f->rule_name);
	lsi_buf_printf(b, ", score %d", f->score);
	for (size_t i = 0; i < f->reasons_count; i++)
		lsi_buf_printf(b, "%s%s", i ? ", " : "; ", f->reasons[i]);
	lsi_buf_putc(b, '\n');
	if (f->message) {
		lsi_buf_puts(b, "            ");
		lsi_escape_term(b, f->message, strlen(f->message));
		lsi_buf_putc(b, '\n');
	}
	if (f->match && f->match_len) {
		lsi_buf_puts(b, "            ");
		if (color)
			lsi_buf_puts(b, "\033[2m");
		lsi_escape_term(b, f->match, f->match_len);
		if (color)
			lsi_buf_puts(b, "\033[0m");
		lsi_buf_putc(b, '\n');
	}
	if (f->secret) {
		lsi_buf_puts(b, "            secret: ");
		lsi_escape_term(b, f->secret, f->secret_len);
		lsi_buf_putc(b, '\n');
	}
}

static void footer(struct ls_reporter *r, struct lsi_buf *b)
{
	ls_scan_stats t = { 0 };
	size_t unreadable = 0;

	for (size_t i = 0; i < r->in_count; i++) {
		const ls_scan_stats *s = &r->in[i].stats;

		t.bytes_scanned += s->bytes_scanned;
		t.bytes_skipped += s->bytes_skipped;
		t.members += s->members;
		t.damaged += s->damaged;
		t.limits += s->limits;
		if (r->in[i].status == LS_ERR_IO)
			unreadable++;
	}
	lsi_buf_printf(b, "%zu finding%s: %zu critical, %zu high, %zu medium, %zu low, %zu info\n",
		       r->total, r->total == 1 ? "" : "s", r->sev_count[LS_SEV_CRITICAL],
		       r->sev_count[LS_SEV_HIGH], r->sev_count[LS_SEV_MEDIUM],
		       r->sev_count[LS_SEV_LOW], r->sev_count[LS_SEV_INFO]);
	lsi_buf_printf(b, "scanned %zu input%s, %" PRIu64 " file%s, ", r->in_count,
		       r->in_count == 1 ? "" : "s", t.members, t.members == 1 ? "" : "s");
	human_bytes(b, t.bytes_scanned);
	if (unreadable)
		lsi_buf_printf(b, "; %zu input%s could not be read", unreadable,
			       unreadable == 1 ? "" : "s");
	if (t.damaged)
		lsi_buf_printf(b, "; %" PRIu64 " damaged member%s", t.damaged,
			       t.damaged == 1 ? "" : "s");
	if (t.limits) {
		lsi_buf_printf(b, "; %" PRIu64 " limit%s reached", t.limits, t.limits == 1 ? "" : "s");
		if (t.bytes_skipped) {
			lsi_buf_puts(b, " (");
			human_bytes(b, t.bytes_skipped);
			lsi_buf_puts(b, " not scanned)");
		}
	}
	lsi_buf_putc(b, '\n');
}

static ls_status text_finish(struct ls_reporter *r)
{
	struct lsi_buf b;
	struct order *ord = NULL;
	ls_status st = LS_OK;

	lsi_buf_init(&b, 64u << 20);
	if (r->count && !(ord = lsi_calloc(r->count, sizeof(*ord))))
		return LS_ERR_NOMEM;
	for (size_t i = 0; i < r->count; i++) {
		ord[i].idx = i;
		/* Findings arrive input by input, so an input's run is contiguous. */
		ord[i].group = i && strcmp(r->f[i - 1].path[0], r->f[i].path[0]) == 0
				       ? ord[i - 1].group
				       : i;
	}
	sort_ctx = r;
	if (r->count)
		qsort(ord, r->count, sizeof(*ord), cmp_order_q);
	for (size_t i = 0; i < r->count && st == LS_OK; i++) {
		const struct lsi_rfinding *f = &r->f[ord[i].idx];

		if (i == 0 || ord[i].group != ord[i - 1].group) {
			if (i)
				lsi_buf_putc(&b, '\n');
			if (r->flags & LS_REPORT_COLOR)
				lsi_buf_puts(&b, "\033[1m");
			lsi_escape_term(&b, f->path[0], strlen(f->path[0]));
			if (r->flags & LS_REPORT_COLOR)
				lsi_buf_puts(&b, "\033[0m");
			lsi_buf_putc(&b, '\n');
		}
		one(r, &b, f);
		st = lsi_report_flush(r, &b);
	}
	lsi_free(ord);
	if (st == LS_OK && !(r->total == 0 && (r->flags & LS_REPORT_QUIET))) {
		if (r->count)
			lsi_buf_putc(&b, '\n');
		footer(r, &b);
		st = lsi_report_flush(r, &b);
	}
	lsi_buf_fini(&b);
	return st;
}

const struct lsi_reporter_ops lsi_report_text = {
	"text", true, NULL, NULL, text_finish, NULL,
};
