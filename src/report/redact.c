/* SPDX-License-Identifier: Apache-2.0 */
/* Redaction of secrets inside match text; see redact.h. */
#include "redact.h"

#include <string.h>

#include "util/hash.h"

#define CONTEXT 120 /* bytes of context kept on each side of the secret */

static size_t known_prefix(const char *s, size_t n)
{
	size_t p = 0;

	for (size_t i = 0; i < n && i < 12; i++)
		if (s[i] == '_' || s[i] == '-')
			p = i + 1;
	return n >= p + 12 ? p : 0;
}

bool lsi_redact(struct lsi_buf *out, const char *match, size_t match_len, size_t sec_off,
		size_t sec_len, bool redact)
{
	size_t lo = 0, hi = match_len;
	const char *sec = match + sec_off;
	bool ok = true;

	if (sec_off > match_len || sec_len > match_len - sec_off)
		sec_off = sec_len = 0;
	if (sec_off > CONTEXT)
		lo = sec_off - CONTEXT;
	if (match_len - (sec_off + sec_len) > CONTEXT)
		hi = sec_off + sec_len + CONTEXT;
	if (lo)
		ok &= lsi_buf_puts(out, "…");
	ok &= lsi_buf_append(out, match + lo, sec_off - lo);
	if (!redact) {
		size_t n = sec_len > LSI_MATCH_MAX ? LSI_MATCH_MAX : sec_len;

		ok &= lsi_buf_append(out, sec, n);
		if (n < sec_len)
			ok &= lsi_buf_puts(out, "…");
	} else if (sec_len) {
		char h[8];
		size_t keep = sec_len >= 12 ? known_prefix(sec, sec_len) + 4 : 0;

		lsi_sha256_hex("redact", 6, sec, sec_len, h, 6);
		ok &= lsi_buf_append(out, sec, keep);
		ok &= lsi_buf_printf(out, "…[%zu bytes #%s]", sec_len, h);
	}
	ok &= lsi_buf_append(out, match + sec_off + sec_len, hi - (sec_off + sec_len));
	if (hi < match_len)
		ok &= lsi_buf_puts(out, "…");
	return ok;
}
