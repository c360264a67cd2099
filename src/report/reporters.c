/* SPDX-License-Identifier: Apache-2.0 */
/* The reporter table: a format name -> its ops. */
#include <strings.h>

#include "report.h"

static const struct lsi_reporter_ops *const reporters[] = {
	&lsi_report_text,
	&lsi_report_json,
	&lsi_report_jsonl,
	&lsi_report_sarif,
	&lsi_report_gitlab,
	NULL,
};

const struct lsi_reporter_ops *lsi_reporter_find(const char *name)
{
	for (size_t i = 0; reporters[i]; i++)
		if (strcasecmp(reporters[i]->name, name) == 0) /* as severities are */
			return reporters[i];
	return NULL;
}
