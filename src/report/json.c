/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON: {"version", "findings": [...], "summary": {...}}. Findings stream
 * out as they arrive; only the summary waits for the end.
 */
#include "report.h"
#include "summary.h"
#include "util/alloc.h"

struct json_priv {
	struct lsi_buf b;
	struct lsi_json j;
};

static ls_status json_begin(struct ls_reporter *r)
{
	struct json_priv *p = lsi_calloc(1, sizeof(*p));

	if (!p)
		return LS_ERR_NOMEM;
	r->priv = p;
	lsi_buf_init(&p->b, 64u << 20);
	lsi_json_init(&p->j, &p->b, true);
	lsi_json_obj_begin(&p->j);
	lsi_json_key(&p->j, "version");
	lsi_json_cstr(&p->j, ls_version_string());
	lsi_json_key(&p->j, "findings");
	lsi_json_arr_begin(&p->j);
	return LS_OK;
}

static ls_status json_add(struct ls_reporter *r, const struct lsi_rfinding *f)
{
	struct json_priv *p = r->priv;

	lsi_report_finding_json(&p->j, f);
	return p->j.ok ? lsi_report_flush(r, &p->b) : LS_ERR_NOMEM;
}

static ls_status json_finish(struct ls_reporter *r)
{
	struct json_priv *p = r->priv;

	lsi_json_arr_end(&p->j);
	lsi_json_key(&p->j, "summary");
	lsi_report_summary_json(&p->j, r);
	lsi_json_obj_end(&p->j);
	lsi_buf_putc(&p->b, '\n');
	return p->j.ok ? lsi_report_flush(r, &p->b) : LS_ERR_NOMEM;
}

static void json_free(struct ls_reporter *r)
{
	struct json_priv *p = r->priv;

	if (p) {
		lsi_buf_fini(&p->b);
		lsi_free(p);
	}
}

const struct lsi_reporter_ops lsi_report_json = {
	"json", false, json_begin, json_add, json_finish, json_free,
};
