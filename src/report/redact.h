/* SPDX-License-Identifier: Apache-2.0 */
/* The one redactor: every format prints what it produces. */
#ifndef LSI_REDACT_H
#define LSI_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* Longest match text kept in a finding. */
#define LSI_MATCH_MAX 400

/*
 * Appends @match to @out with the secret span [@sec_off, @sec_off+@sec_len)
 * replaced by: its known prefix (up to the last '_' or '-' within the
 * first 12 bytes) plus 4 characters, then "…[N bytes #hash6]". Secrets
 * under 12 bytes keep no characters. Long matches are shortened around
 * the secret. With @redact false the text is only shortened.
 */
bool lsi_redact(struct lsi_buf *out, const char *match, size_t match_len, size_t sec_off,
		size_t sec_len, bool redact);

#endif
