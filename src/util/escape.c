/* SPDX-License-Identifier: Apache-2.0 */
/* Terminal-safe escaping; see escape.h. */
#include "escape.h"

#include <stdint.h>

#include "utf8.h"

bool lsi_escape_term(struct lsi_buf *out, const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	bool ok = true;

	for (size_t i = 0; i < len;) {
		uint8_t c = p[i];

		if (c >= 0x20 && c < 0x7f) {
			ok &= lsi_buf_putc(out, (char)c);
			i++;
			continue;
		}
		if (c >= 0x80) {
			size_t n = lsi_utf8_valid_len(p + i, len - i);

			/* U+0080..U+009F (C1 controls) are encoded as C2 80..C2 9F. */
			if (n && !(n == 2 && c == 0xc2 && p[i + 1] < 0xa0)) {
				ok &= lsi_buf_append(out, p + i, n);
				i += n;
				continue;
			}
		}
		switch (c) {
		case '\n': ok &= lsi_buf_puts(out, "\\n"); break;
		case '\r': ok &= lsi_buf_puts(out, "\\r"); break;
		case '\t': ok &= lsi_buf_puts(out, "\\t"); break;
		default: ok &= lsi_buf_printf(out, "\\x%02x", c);
		}
		i++;
	}
	return ok;
}
