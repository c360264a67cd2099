/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Findings delivered through the API as one line of text each, so that a
 * test can compare a whole scan's outcome, order included, in one assert.
 */
#ifndef LS_TEST_FINDING_LOG_H
#define LS_TEST_FINDING_LOG_H

#include <stddef.h>

#include "leakscan.h"
#include "util/buf.h"

struct finding_log {
	/* "rule path... @line|details\n" per finding; a finding without details
	 * (a limit or damage note) has its message after the '|'. */
	struct lsi_buf log;
	size_t count;
};

/* An ls_finding_fn; @user is a struct finding_log. */
int finding_log_add(const ls_finding *f, void *user);

#endif
