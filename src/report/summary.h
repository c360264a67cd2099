/* SPDX-License-Identifier: Apache-2.0 */
/* Summary helpers shared by reporters. */
#ifndef LSI_SUMMARY_H
#define LSI_SUMMARY_H

#include "report.h"

/* "scanned", "damaged", "partial", "unreadable" or "failed". */
const char *lsi_input_status(const struct lsi_rinput *in);
void lsi_report_summary_json(struct lsi_json *j, const struct ls_reporter *r);

#endif
