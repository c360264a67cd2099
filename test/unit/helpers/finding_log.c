/* SPDX-License-Identifier: Apache-2.0 */
/* Findings as lines of text; see finding_log.h. */
#include "finding_log.h"

int finding_log_add(const ls_finding *f, void *user)
{
	struct finding_log *fl = user;

	lsi_buf_puts(&fl->log, f->rule);
	for (size_t i = 0; i < f->path_count; i++)
		lsi_buf_printf(&fl->log, " %s", f->path[i]);
	lsi_buf_printf(&fl->log, " @%llu|%s\n", (unsigned long long)f->line,
		       f->details_json ? f->details_json : f->message ? f->message : "");
	fl->count++;
	return 0;
}
