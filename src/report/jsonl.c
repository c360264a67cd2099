/* SPDX-License-Identifier: Apache-2.0 */
/* JSONL: one finding object a line, written as it arrives. */
#include "report.h"

static ls_status jsonl_add(struct ls_reporter *r, const struct lsi_rfinding *f)
{
	struct lsi_buf b;
	struct lsi_json j;
	ls_status st;

	lsi_buf_init(&b, 64u << 20);
	lsi_json_init(&j, &b, false);
	lsi_report_finding_json(&j, f);
	lsi_buf_putc(&b, '\n');
	st = j.ok ? lsi_report_flush(r, &b) : LS_ERR_NOMEM;
	lsi_buf_fini(&b);
	return st;
}

const struct lsi_reporter_ops lsi_report_jsonl = {
	"jsonl", false, NULL, jsonl_add, NULL, NULL,
};
