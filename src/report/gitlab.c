/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GitLab's secret-detection report (gl-secret-detection-report.json,
 * schema 15.x): one vulnerability per finding, written as it arrives, and
 * after them a scan object (analyzer, scanner, type, times, status). Notes about the scan itself (limits,
 * damage, links) are scan messages, not vulnerabilities. The schema wants
 * a commit on every location: the one the caller set (CI_COMMIT_SHA in
 * the CLI), else the finding's own fingerprint, a content hash rather
 * than an invented commit.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "util/alloc.h"
#include "util/hash.h"

#define SCHEMA_VERSION "15.2.1"
#define SCHEMA_URL                                                                            \
	"https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v" \
	SCHEMA_VERSION "/dist/secret-detection-report-format.json"

static const char *severity(ls_severity s)
{
	static const char *const v[] = { "Info", "Low", "Medium", "High", "Critical" };

	return (unsigned)s < 5 ? v[s] : "Unknown";
}

/* How sure the score is that this is real: the ranker's evidence. */
static const char *confidence(int score)
{
	return score >= 80 ? "High" : score >= 50 ? "Medium" : "Low";
}

static void joined_path(struct lsi_buf *b, const struct lsi_rfinding *f)
{
	lsi_buf_reset(b);
	lsi_report_join_path(b, f, false);
}

/* A UUID-shaped id, stable for the same finding at the same place. */
static void vuln_id(const struct lsi_rfinding *f, const struct lsi_buf *path,
		    struct lsi_buf *tmp, char out[37])
{
	char hex[33];

	lsi_buf_reset(tmp);
	lsi_buf_printf(tmp, "%s\n%llu:%llu\n", f->fingerprint, (unsigned long long)f->line,
		       (unsigned long long)f->offset);
	lsi_sha256_hex(tmp->data, tmp->len, path->data ? (const void *)path->data : "", path->len,
		       hex, 32);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static void write_vuln(struct ls_reporter *r, struct lsi_json *j, const struct lsi_rfinding *f,
		       struct lsi_buf *path, struct lsi_buf *tmp)
{
	const char *name = f->rule_name && *f->rule_name ? f->rule_name : f->rule;
	char id[37];

	joined_path(path, f);
	vuln_id(f, path, tmp, id);
	lsi_json_obj_begin(j);
	lsi_json_key(j, "id");
	lsi_json_cstr(j, id);
	lsi_json_key(j, "category");
	lsi_json_cstr(j, "secret_detection");
	lsi_json_key(j, "name");
	lsi_json_str(j, name, strlen(name) > 255 ? 255 : strlen(name));
	lsi_buf_reset(tmp);
	lsi_buf_printf(tmp, "%s %s", lsi_report_category_about(f->category),
		       lsi_report_category_advice(f->category));
	if (f->match && f->match_len) {
		/* An indented code block: text from the artifact renders as is,
		 * never as links or markup. */
		lsi_buf_puts(tmp, "\n\nMatch:\n\n    ");
		for (size_t i = 0; i < f->match_len; i++)
			if (f->match[i] == '\n')
				lsi_buf_puts(tmp, "\n    ");
			else
				lsi_buf_putc(tmp, f->match[i]);
	}
	if (f->reasons_count) {
		lsi_buf_printf(tmp, "\n\nScore %d:", f->score);
		for (size_t i = 0; i < f->reasons_count; i++)
			lsi_buf_printf(tmp, "%s %s", i ? "," : "", f->reasons[i]);
		lsi_buf_putc(tmp, '.');
	}
	lsi_json_key(j, "description");
	lsi_json_str(j, (const char *)tmp->data, tmp->len);
	lsi_json_key(j, "severity");
	lsi_json_cstr(j, severity(f->severity));
	lsi_json_key(j, "confidence");
	lsi_json_cstr(j, confidence(f->score));
	lsi_json_key(j, "scanner");
	lsi_json_obj_begin(j);
	lsi_json_key(j, "id");
	lsi_json_cstr(j, "leakscan");
	lsi_json_key(j, "name");
	lsi_json_cstr(j, "leakscan");
	lsi_json_obj_end(j);
	lsi_json_key(j, "location");
	lsi_json_obj_begin(j);
	lsi_json_key(j, "file");
	lsi_json_str(j, (const char *)path->data, path->len);
	if (f->line) {
		lsi_json_key(j, "start_line");
		lsi_json_uint(j, f->line);
		lsi_json_key(j, "end_line");
		lsi_json_uint(j, f->line);
	}
	lsi_json_key(j, "commit");
	lsi_json_obj_begin(j);
	lsi_json_key(j, "sha");
	lsi_json_cstr(j, r->commit ? r->commit : f->fingerprint);
	lsi_json_obj_end(j);
	lsi_json_obj_end(j);
	lsi_json_key(j, "identifiers");
	lsi_json_arr_begin(j);
	lsi_json_obj_begin(j);
	lsi_json_key(j, "type");
	lsi_json_cstr(j, "leakscan_rule_id");
	lsi_json_key(j, "name");
	lsi_buf_reset(tmp);
	lsi_buf_printf(tmp, "leakscan rule %s", f->rule);
	lsi_json_cstr(j, lsi_buf_str(tmp));
	lsi_json_key(j, "value");
	lsi_json_cstr(j, f->rule);
	lsi_json_obj_end(j);
	lsi_json_arr_end(j);
	lsi_json_obj_end(j);
}

static void write_tool(struct lsi_json *j, const char *key)
{
	lsi_json_key(j, key);
	lsi_json_obj_begin(j);
	lsi_json_key(j, "id");
	lsi_json_cstr(j, "leakscan");
	lsi_json_key(j, "name");
	lsi_json_cstr(j, "leakscan");
	lsi_json_key(j, "version");
	lsi_json_cstr(j, ls_version_string());
	lsi_json_key(j, "vendor");
	lsi_json_obj_begin(j);
	lsi_json_key(j, "name");
	lsi_json_cstr(j, "leakscan");
	lsi_json_obj_end(j);
	lsi_json_obj_end(j);
}

/* Vulnerabilities are written as findings arrive; the notes about the
 * scan wait, as lines, for the scan object after them. */
struct gitlab {
	struct lsi_buf b, path, tmp;
	struct lsi_json j;
	char **notes;
	size_t note_count, note_cap;
};

/* One scan message; the first opens the "messages" array. */
static void message(struct lsi_json *j, bool *any, const char *level, const char *text)
{
	if (!*any) {
		lsi_json_key(j, "messages");
		lsi_json_arr_begin(j);
		*any = true;
	}
	lsi_json_obj_begin(j);
	lsi_json_key(j, "level");
	lsi_json_cstr(j, level);
	lsi_json_key(j, "value");
	lsi_json_cstr(j, text);
	lsi_json_obj_end(j);
}

static void write_scan(struct ls_reporter *r, const struct gitlab *g, struct lsi_json *j,
		       struct lsi_buf *tmp)
{
	char start[24], end[24];
	bool failed = false, any_msg = false;

	for (size_t i = 0; i < r->in_count; i++)
		failed |= r->in[i].status != LS_OK && r->in[i].status != LS_ERR_ABORTED;
	lsi_report_time(r->started, start);
	lsi_report_time((uint64_t)time(NULL), end);
	lsi_json_obj_begin(j);
	write_tool(j, "analyzer");
	write_tool(j, "scanner");
	lsi_json_key(j, "type");
	lsi_json_cstr(j, "secret_detection");
	lsi_json_key(j, "start_time");
	lsi_json_cstr(j, start);
	lsi_json_key(j, "end_time");
	lsi_json_cstr(j, end);
	lsi_json_key(j, "status");
	lsi_json_cstr(j, failed ? "failure" : "success");
	/* Notes about the scan among the findings, those below
	 * --min-severity, then inputs that failed. */
	for (size_t i = 0; i < g->note_count; i++)
		message(j, &any_msg, "warn", g->notes[i]);
	for (size_t i = 0; i < r->notice_count; i++)
		message(j, &any_msg, "warn", r->notices[i]);
	for (size_t i = 0; i < r->in_count; i++) {
		if (r->in[i].status == LS_OK || r->in[i].status == LS_ERR_ABORTED)
			continue;
		lsi_buf_reset(tmp);
		lsi_buf_printf(tmp, "%s: %s", r->in[i].path, ls_status_str(r->in[i].status));
		message(j, &any_msg, "fatal", lsi_buf_str(tmp));
	}
	if (any_msg)
		lsi_json_arr_end(j);
	lsi_json_obj_end(j);
}

static ls_status gitlab_begin(struct ls_reporter *r)
{
	struct gitlab *g = lsi_calloc(1, sizeof(*g));

	if (!g)
		return LS_ERR_NOMEM;
	r->priv = g;
	lsi_buf_init(&g->b, 64u << 20);
	lsi_buf_init(&g->path, 1u << 20);
	lsi_buf_init(&g->tmp, 1u << 20);
	lsi_json_init(&g->j, &g->b, true);
	lsi_json_obj_begin(&g->j);
	lsi_json_key(&g->j, "version");
	lsi_json_cstr(&g->j, SCHEMA_VERSION);
	lsi_json_key(&g->j, "schema");
	lsi_json_cstr(&g->j, SCHEMA_URL);
	lsi_json_key(&g->j, "vulnerabilities");
	lsi_json_arr_begin(&g->j);
	return LS_OK;
}

static ls_status gitlab_add(struct ls_reporter *r, const struct lsi_rfinding *f)
{
	struct gitlab *g = r->priv;
	char **n;

	if (!lsi_report_is_note(f)) {
		write_vuln(r, &g->j, f, &g->path, &g->tmp);
		return g->j.ok ? lsi_report_flush(r, &g->b) : LS_ERR_NOMEM;
	}
	if (g->note_count == g->note_cap) {
		size_t cap = g->note_cap ? g->note_cap * 2 : 16;

		if (!(n = lsi_realloc(g->notes, cap * sizeof(*n))))
			return LS_ERR_NOMEM;
		g->notes = n;
		g->note_cap = cap;
	}
	joined_path(&g->path, f);
	lsi_buf_reset(&g->tmp);
	lsi_buf_printf(&g->tmp, "%s: %s: %s", lsi_buf_str(&g->path), f->rule,
		       f->message ? f->message : "");
	if (!(g->notes[g->note_count] = lsi_strdup(lsi_buf_str(&g->tmp))))
		return LS_ERR_NOMEM;
	g->note_count++;
	return LS_OK;
}

static ls_status gitlab_finish(struct ls_reporter *r)
{
	struct gitlab *g = r->priv;

	lsi_json_arr_end(&g->j);
	lsi_json_key(&g->j, "scan");
	write_scan(r, g, &g->j, &g->tmp);
	lsi_json_obj_end(&g->j);
	lsi_buf_putc(&g->b, '\n');
	return g->j.ok ? lsi_report_flush(r, &g->b) : LS_ERR_NOMEM;
}

static void gitlab_free(struct ls_reporter *r)
{
	struct gitlab *g = r->priv;

	if (!g)
		return;
	for (size_t i = 0; i < g->note_count; i++)
		lsi_free(g->notes[i]);
	lsi_free(g->notes);
	lsi_buf_fini(&g->tmp);
	lsi_buf_fini(&g->path);
	lsi_buf_fini(&g->b);
	lsi_free(g);
}

const struct lsi_reporter_ops lsi_report_gitlab = {
	"gitlab", false, gitlab_begin, gitlab_add, gitlab_finish, gitlab_free,
};
