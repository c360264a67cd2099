/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text for people: findings grouped by input, most severe first within
 * an input, each with its nested path (joined with '!'), rule and match;
 * a footer with counts by severity. Everything taken from an artifact is
 * escaped before it reaches the terminal. Past TEXT_PER_RULE entries of
 * one rule and severity in an input (a package shipping a map per file)
 * the rest are counted in one line; the other formats list them all.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rank/baseline.h"
#include "report.h"
#include "summary.h"
#include "util/alloc.h"
#include "util/escape.h"
#include "util/json_read.h"

static const char *const sev_color[] = {
	"\033[2m", "\033[36m", "\033[33m", "\033[31m", "\033[1;31m",
};

#define TEXT_PER_RULE 10

/* Entries of one rule and severity listed in the current input. */
struct shown {
	const char *rule;
	ls_severity severity;
	size_t listed, held;
};

struct shown_set {
	struct shown *v;
	size_t n, cap;
};

/* 1: list the entry; 0: held back (counted); -1: out of memory. */
static int take_slot(struct shown_set *ss, const struct lsi_rfinding *f)
{
	struct shown *e = NULL;

	for (size_t i = 0; i < ss->n && !e; i++)
		if (ss->v[i].severity == f->severity && strcmp(ss->v[i].rule, f->rule) == 0)
			e = &ss->v[i];
	if (!e) {
		if (ss->n == ss->cap) {
			size_t cap = ss->cap ? 2 * ss->cap : 16;
			struct shown *nv = lsi_realloc(ss->v, cap * sizeof(*nv));

			if (!nv)
				return -1;
			ss->v = nv;
			ss->cap = cap;
		}
		e = &ss->v[ss->n++];
		e->rule = f->rule;
		e->severity = f->severity;
		e->listed = e->held = 0;
	}
	if (e->listed < TEXT_PER_RULE) {
		e->listed++;
		return 1;
	}
	e->held++;
	return 0;
}

/* "... and N more" for each rule of the input just listed; resets the set. */
static size_t held_lines(struct ls_reporter *r, struct lsi_buf *b, struct shown_set *ss)
{
	size_t total = 0;

	for (size_t i = 0; i < ss->n; i++) {
		if (!ss->v[i].held)
			continue;
		total += ss->v[i].held;
		if (r->flags & LS_REPORT_COLOR)
			lsi_buf_puts(b, sev_color[ss->v[i].severity]);
		lsi_buf_printf(b, "  %-8s", ls_severity_name(ss->v[i].severity));
		if (r->flags & LS_REPORT_COLOR)
			lsi_buf_puts(b, "\033[0m");
		lsi_buf_printf(b, "  ... and %zu more %s finding%s in this input, not listed "
			       "(--format json lists every one)\n", ss->v[i].held, ss->v[i].rule,
			       ss->v[i].held == 1 ? "" : "s");
	}
	ss->n = 0;
	return total;
}

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

/*
 * The same secret under the same rule in several places is one entry:
 * its most severe occurrence (the first in print order among equals)
 * lists the others. For each finding index, head[] is its entry's finding
 * and next[] chains an entry's findings, head first, then print order.
 * Returns the number of entries, or SIZE_MAX when memory ran out.
 */
struct dup_ctx {
	const struct ls_reporter *r;
	const size_t *pos;       /* print position of each finding */
};

static int cmp_dup(const void *a, const void *b, void *ctx)
{
	const struct dup_ctx *c = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int d = strcmp(c->r->f[x].fingerprint, c->r->f[y].fingerprint);

	if (!d)
		d = strcmp(c->r->f[x].rule, c->r->f[y].rule);
	return d ? d : (c->pos[x] > c->pos[y]) - (c->pos[x] < c->pos[y]);
}

static size_t group_dups(const struct ls_reporter *r, const struct order *ord, size_t *head,
			 size_t *next)
{
	size_t *pos = lsi_calloc(r->count, sizeof(*pos));
	size_t *by = lsi_calloc(r->count, sizeof(*by));
	struct dup_ctx c = { r, pos };
	size_t entries = 0;

	if (!pos || !by) {
		lsi_free(pos);
		lsi_free(by);
		return SIZE_MAX;
	}
	for (size_t i = 0; i < r->count; i++) {
		pos[ord[i].idx] = i;
		by[i] = i;
	}
	qsort_r(by, r->count, sizeof(*by), cmp_dup, &c);
	for (size_t a = 0, e; a < r->count; a = e) {
		const struct lsi_rfinding *fa = &r->f[by[a]];
		size_t best = by[a], tail;

		for (e = a + 1; e < r->count; e++) {
			const struct lsi_rfinding *fe = &r->f[by[e]];

			if (strcmp(fe->fingerprint, fa->fingerprint) || strcmp(fe->rule, fa->rule))
				break;
			if (fe->severity > r->f[best].severity)
				best = by[e];
		}
		tail = best;
		for (size_t k = a; k < e; k++) {
			head[by[k]] = best;
			if (by[k] != best) {
				next[tail] = by[k];
				tail = by[k];
			}
		}
		next[tail] = SIZE_MAX;
		entries++;
	}
	lsi_free(pos);
	lsi_free(by);
	return entries;
}

/* The other places of a grouped entry, compactly; the first ten by name. */
static void also_at(struct lsi_buf *b, const struct ls_reporter *r, size_t first,
		    const size_t *next)
{
	size_t n = 0, shown = 0;

	for (size_t k = next[first]; k != SIZE_MAX; k = next[k])
		n++;
	if (!n)
		return;
	lsi_buf_printf(b, "            same fingerprint in %zu more place%s: ", n, n == 1 ? "" : "s");
	for (size_t k = next[first]; k != SIZE_MAX && shown < 10; k = next[k], shown++) {
		if (shown)
			lsi_buf_puts(b, ", ");
		lsi_report_join_path(b, &r->f[k], true);
		if (r->f[k].line)
			lsi_buf_printf(b, ":%" PRIu64 ":%" PRIu64, r->f[k].line, r->f[k].column);
		/* Ranked apart (under docs/, say): the footer counts it there. */
		if (r->f[k].severity != r->f[first].severity)
			lsi_buf_printf(b, " (%s)", ls_severity_name(r->f[k].severity));
	}
	if (shown < n)
		lsi_buf_printf(b, ", and %zu more", n - shown);
	lsi_buf_putc(b, '\n');
}

static void footer(struct ls_reporter *r, struct lsi_buf *b, size_t distinct)
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
		t.below_min += s->below_min;
		if (r->in[i].status == LS_ERR_IO)
			unreadable++;
	}
	lsi_buf_printf(b, "%zu finding%s", r->total, r->total == 1 ? "" : "s");
	if (distinct < r->count)
		lsi_buf_printf(b, " (%zu distinct)", distinct);
	lsi_buf_printf(b, ": %zu critical, %zu high, %zu medium, %zu low, %zu info",
		       r->sev_count[LS_SEV_CRITICAL],
		       r->sev_count[LS_SEV_HIGH], r->sev_count[LS_SEV_MEDIUM],
		       r->sev_count[LS_SEV_LOW], r->sev_count[LS_SEV_INFO]);
	/* "0 findings" must not read as clean when the filter hid some. */
	if (t.below_min)
		lsi_buf_printf(b, "; %" PRIu64 " more below --min-severity, not shown", t.below_min);
	lsi_buf_putc(b, '\n');
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
			/* A limit that stops a stream knows what it skipped of the
			 * member, not what came after it. */
			lsi_buf_puts(b, " (at least ");
			human_bytes(b, t.bytes_skipped);
			lsi_buf_puts(b, " not scanned)");
		}
	}
	lsi_buf_putc(b, '\n');
	if (r->baseline) {
		size_t stale = 0, n = ls_baseline_count(r->baseline);
		uint64_t sup = lsi_baseline_suppressed(r->baseline);

		for (size_t i = 0; i < n; i++) {
			ls_baseline_entry e;

			stale += ls_baseline_get(r->baseline, i, &e) == LS_OK && !e.matched;
		}
		lsi_buf_printf(b, "baseline: %" PRIu64 " finding%s suppressed, %zu of %zu entr%s matched nothing\n",
			       sup, sup == 1 ? "" : "s", stale, n, n == 1 ? "y" : "ies");
	}
}

/*
 * Source exposure triage, printed above the listing: for each source map
 * that embeds sources (largest first, at most SMAP_SHOWN), what it embeds
 * and where from, then how many secrets were found inside those sources.
 * Everything comes from the analyzer finding's details.
 */
#define SMAP_SHOWN 3
#define SMAP_DIRS 5

struct smap {
	const struct lsi_rfinding *f;
	uint64_t files, fp_lines;
	size_t ndirs;
	struct {
		char name[128];
		size_t len;
		uint64_t files;
	} dir[SMAP_DIRS];
};

static uint64_t smap_num(const struct lsi_jr_event *ev)
{
	uint64_t v = 0;

	for (size_t i = 0; i < ev->n && ev->p[i] >= '0' && ev->p[i] <= '9' && v < UINT64_MAX / 10; i++)
		v = v * 10 + (uint64_t)(ev->p[i] - '0');
	return v;
}

/* Reads the counts and top directories out of the finding's details. */
static void smap_parse(struct smap *m)
{
	uint8_t piece[128];
	char key[32];
	size_t key_len = 0;
	struct lsi_jr jr;
	struct lsi_jr_event ev;
	enum lsi_jr_tok t;

	lsi_jr_init(&jr, piece, sizeof(piece), 8);
	lsi_jr_feed(&jr, (const uint8_t *)m->f->details_json, strlen(m->f->details_json));
	lsi_jr_finish(&jr);
	while ((t = lsi_jr_next(&jr, &ev)) != LSI_JR_END && t != LSI_JR_ERROR) {
		if (t == LSI_JR_KEY) {
			if (ev.first)
				key_len = 0;
			if (key_len + ev.n < sizeof(key)) {
				memcpy(key + key_len, ev.p, ev.n);
				key_len += ev.n;
			}
			key[key_len] = 0;
		} else if (t == LSI_JR_NUM && ev.depth == 1) {
			if (strcmp(key, "sources_with_content") == 0)
				m->files = smap_num(&ev);
			else if (strcmp(key, "first_party_lines") == 0)
				m->fp_lines = smap_num(&ev);
		} else if (t == LSI_JR_OBJ_BEGIN && ev.depth == 2 && m->ndirs < SMAP_DIRS) {
			m->ndirs++;
		} else if (ev.depth == 3 && m->ndirs) {
			if (t == LSI_JR_STR && strcmp(key, "dir") == 0) {
				size_t *len = &m->dir[m->ndirs - 1].len;
				size_t k = ev.n < sizeof(m->dir[0].name) - *len ? ev.n
										 : sizeof(m->dir[0].name) - *len;

				memcpy(m->dir[m->ndirs - 1].name + *len, ev.p, k);
				*len += k;
			} else if (t == LSI_JR_NUM && strcmp(key, "files") == 0) {
				m->dir[m->ndirs - 1].files = smap_num(&ev);
			}
		}
	}
}

static void put_count(struct lsi_buf *b, uint64_t v)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%" PRIu64, v);

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			lsi_buf_putc(b, ',');
		lsi_buf_putc(b, digits[i]);
	}
}

static int cmp_smap(const void *a, const void *b)
{
	const struct smap *x = a, *y = b;

	if (x->fp_lines != y->fp_lines)
		return x->fp_lines > y->fp_lines ? -1 : 1;
	if (x->files != y->files)
		return x->files > y->files ? -1 : 1;
	return x->f < y->f ? -1 : (x->f > y->f);
}

/* Secrets whose path runs through the map's path. */
static size_t secrets_inside(const struct ls_reporter *r, const struct lsi_rfinding *map)
{
	size_t n = 0;

	for (size_t i = 0; i < r->count; i++) {
		const struct lsi_rfinding *f = &r->f[i];
		size_t k = 0;

		if (f->category != LS_CAT_SECRET || f->path_count <= map->path_count)
			continue;
		while (k < map->path_count && strcmp(f->path[k], map->path[k]) == 0)
			k++;
		n += k == map->path_count;
	}
	return n;
}

static ls_status source_exposure_summary(struct ls_reporter *r, struct lsi_buf *b)
{
	static const char indent[] = "                 ";
	struct smap *maps;
	size_t n = 0;
	uint64_t rest_files = 0;

	for (size_t i = 0; i < r->count; i++)
		n += strcmp(r->f[i].rule, "sourcemap-sources-content") == 0 && r->f[i].details_json;
	if (!n)
		return LS_OK;
	if (!(maps = lsi_calloc(n, sizeof(*maps))))
		return LS_ERR_NOMEM;
	n = 0;
	for (size_t i = 0; i < r->count; i++)
		if (strcmp(r->f[i].rule, "sourcemap-sources-content") == 0 && r->f[i].details_json) {
			maps[n].f = &r->f[i];
			smap_parse(&maps[n++]);
		}
	qsort(maps, n, sizeof(*maps), cmp_smap);
	for (size_t i = 0; i < n; i++) {
		const struct smap *m = &maps[i];
		size_t secrets;

		if (i >= SMAP_SHOWN) {
			rest_files += m->files;
			continue;
		}
		if (r->flags & LS_REPORT_COLOR)
			lsi_buf_puts(b, "\033[1;31m");
		lsi_buf_puts(b, "SOURCE EXPOSURE");
		if (r->flags & LS_REPORT_COLOR)
			lsi_buf_puts(b, "\033[0m");
		lsi_buf_puts(b, "  ");
		lsi_report_join_path(b, m->f, true);
		lsi_buf_puts(b, " embeds ");
		put_count(b, m->files);
		lsi_buf_printf(b, " original source file%s", m->files == 1 ? "" : "s");
		if (m->fp_lines || m->ndirs) {
			lsi_buf_puts(b, " (");
			put_count(b, m->fp_lines);
			lsi_buf_printf(b, " line%s of first-party code", m->fp_lines == 1 ? "" : "s");
			for (size_t k = 0; k < m->ndirs; k++) {
				lsi_buf_puts(b, k ? ", " : ": ");
				lsi_escape_term(b, m->dir[k].name, m->dir[k].len);
				lsi_buf_putc(b, ' ');
				put_count(b, m->dir[k].files);
				lsi_buf_printf(b, " file%s", m->dir[k].files == 1 ? "" : "s");
			}
			lsi_buf_putc(b, ')');
		} else {
			lsi_buf_puts(b, " (third-party code only)");
		}
		secrets = secrets_inside(r, m->f);
		lsi_buf_printf(b, "\n%s", indent);
		if (secrets)
			lsi_buf_printf(b, "%zu secret%s found inside the embedded sources\n", secrets,
				       secrets == 1 ? "" : "s");
		else
			lsi_buf_puts(b, "no secrets found inside the embedded sources\n");
	}
	if (n > SMAP_SHOWN) {
		lsi_buf_printf(b, "%sand %zu more source map%s embedding ", indent, n - SMAP_SHOWN,
			       n - SMAP_SHOWN == 1 ? "" : "s");
		put_count(b, rest_files);
		lsi_buf_printf(b, " source file%s\n", rest_files == 1 ? "" : "s");
	}
	lsi_buf_putc(b, '\n');
	lsi_free(maps);
	return lsi_report_flush(r, b);
}

static ls_status text_finish(struct ls_reporter *r)
{
	struct lsi_buf b;
	struct order *ord = NULL;
	size_t *head = NULL, *next = NULL, distinct = 0, last_group = SIZE_MAX;
	struct shown_set shown = { NULL, 0, 0 };
	ls_severity last_sev = LS_SEV_INFO;
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
	/* What leaked, how much, where: above the listing. */
	st = source_exposure_summary(r, &b);
	if (r->count && (!(head = lsi_calloc(r->count, sizeof(*head))) ||
			 !(next = lsi_calloc(r->count, sizeof(*next))) ||
			 (distinct = group_dups(r, ord, head, next)) == SIZE_MAX))
		st = LS_ERR_NOMEM;
	for (size_t i = 0; i < r->count && st == LS_OK; i++) {
		const struct lsi_rfinding *f = &r->f[ord[i].idx];

		int list;

		if (head[ord[i].idx] != ord[i].idx)
			continue; /* listed with its entry */
		/* The held-back count closes its severity's block. */
		if (ord[i].group != last_group || f->severity != last_sev)
			held_lines(r, &b, &shown);
		last_sev = f->severity;
		if (ord[i].group != last_group) {
			if (last_group != SIZE_MAX)
				lsi_buf_putc(&b, '\n');
			last_group = ord[i].group;
			if (r->flags & LS_REPORT_COLOR)
				lsi_buf_puts(&b, "\033[1m");
			lsi_escape_term(&b, f->path[0], strlen(f->path[0]));
			if (r->flags & LS_REPORT_COLOR)
				lsi_buf_puts(&b, "\033[0m");
			lsi_buf_putc(&b, '\n');
		}
		if ((list = take_slot(&shown, f)) < 0) {
			st = LS_ERR_NOMEM;
			break;
		}
		if (!list)
			continue;
		one(r, &b, f);
		also_at(&b, r, ord[i].idx, next);
		st = lsi_report_flush(r, &b);
	}
	if (st == LS_OK) {
		held_lines(r, &b, &shown);
		st = lsi_report_flush(r, &b);
	}
	lsi_free(shown.v);
	lsi_free(ord);
	lsi_free(head);
	lsi_free(next);
	if (st == LS_OK && !(r->total == 0 && (r->flags & LS_REPORT_QUIET))) {
		if (r->count)
			lsi_buf_putc(&b, '\n');
		footer(r, &b, distinct);
		st = lsi_report_flush(r, &b);
	}
	lsi_buf_fini(&b);
	return st;
}

const struct lsi_reporter_ops lsi_report_text = {
	"text", true, NULL, NULL, text_finish, NULL,
};
