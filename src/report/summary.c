/* SPDX-License-Identifier: Apache-2.0 */
/* The summary object shared by the JSON-shaped formats. */
#include "rank/baseline.h"
#include "report.h"
#include "summary.h"

const char *lsi_input_status(const struct lsi_rinput *in)
{
	if (in->status == LS_ERR_IO)
		return "unreadable";
	if (in->status != LS_OK && in->status != LS_ERR_ABORTED)
		return "failed";
	if (in->stats.damaged)
		return "damaged";
	if (in->stats.limits)
		return "partial";
	return "scanned";
}

/* What the baseline did: entries, findings suppressed, entries that matched nothing. */
static void baseline_json(struct lsi_json *j, const ls_baseline *b)
{
	lsi_json_key(j, "baseline");
	lsi_json_obj_begin(j);
	lsi_json_key(j, "entries");
	lsi_json_uint(j, ls_baseline_count(b));
	lsi_json_key(j, "suppressed");
	lsi_json_uint(j, lsi_baseline_suppressed(b));
	lsi_json_key(j, "stale");
	lsi_json_arr_begin(j);
	for (size_t i = 0; i < ls_baseline_count(b); i++) {
		ls_baseline_entry e;

		if (ls_baseline_get(b, i, &e) != LS_OK || e.matched)
			continue;
		lsi_json_obj_begin(j);
		lsi_json_key(j, "fingerprint");
		lsi_json_cstr(j, e.fingerprint);
		lsi_json_key(j, "rule");
		lsi_json_cstr(j, e.rule);
		lsi_json_key(j, "path");
		lsi_json_arr_begin(j);
		for (size_t k = 0; k < e.path_count; k++)
			lsi_json_cstr(j, e.path[k]);
		lsi_json_arr_end(j);
		lsi_json_key(j, "line");
		if (e.line)
			lsi_json_uint(j, e.line);
		else
			lsi_json_null(j);
		lsi_json_obj_end(j);
	}
	lsi_json_arr_end(j);
	lsi_json_obj_end(j);
}

void lsi_report_summary_json(struct lsi_json *j, const struct ls_reporter *r)
{
	lsi_json_obj_begin(j);
	lsi_json_key(j, "findings");
	lsi_json_uint(j, r->total);
	lsi_json_key(j, "by_severity");
	lsi_json_obj_begin(j);
	for (int s = LS_SEV_CRITICAL; s >= LS_SEV_INFO; s--) {
		lsi_json_key(j, ls_severity_name((ls_severity)s));
		lsi_json_uint(j, r->sev_count[s]);
	}
	lsi_json_obj_end(j);
	lsi_json_key(j, "inputs");
	lsi_json_arr_begin(j);
	for (size_t i = 0; i < r->in_count; i++) {
		const struct lsi_rinput *in = &r->in[i];

		lsi_json_obj_begin(j);
		lsi_json_key(j, "path");
		lsi_json_cstr(j, in->path);
		lsi_json_key(j, "status");
		lsi_json_cstr(j, lsi_input_status(in));
		lsi_json_key(j, "bytes_read");
		lsi_json_uint(j, in->stats.bytes_read);
		lsi_json_key(j, "bytes_scanned");
		lsi_json_uint(j, in->stats.bytes_scanned);
		lsi_json_key(j, "bytes_skipped");
		lsi_json_uint(j, in->stats.bytes_skipped);
		lsi_json_key(j, "members");
		lsi_json_uint(j, in->stats.members);
		lsi_json_key(j, "damaged");
		lsi_json_uint(j, in->stats.damaged);
		lsi_json_key(j, "limits");
		lsi_json_uint(j, in->stats.limits);
		lsi_json_key(j, "below_min_severity");
		lsi_json_uint(j, in->stats.below_min);
		lsi_json_obj_end(j);
	}
	lsi_json_arr_end(j);
	if (r->baseline)
		baseline_json(j, r->baseline);
	lsi_json_obj_end(j);
}
