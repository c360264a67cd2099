/* SPDX-License-Identifier: Apache-2.0 */
/* Terminal-safe escaping; see escape.h. */
#include "escape.h"

#include <stdint.h>

#include "utf8.h"

/* The code point of a valid UTF-8 sequence of @n bytes. */
static uint32_t code_point(const uint8_t *p, size_t n)
{
	uint32_t cp = n == 1 ? p[0] : p[0] & (0x7f >> n);

	for (size_t k = 1; k < n; k++)
		cp = cp << 6 | (p[k] & 0x3f);
	return cp;
}

/*
 * Characters a terminal does not show but that change what is shown:
 * bidirectional overrides, embeddings and isolates (a name that reads
 * "invoice.exe" backwards), zero-width characters, the byte order mark.
 */
static bool invisible(uint32_t cp)
{
	return cp == 0x061c || cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

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
				uint32_t cp = code_point(p + i, n);

				if (invisible(cp))
					ok &= lsi_buf_printf(out, "\\u%04x", (unsigned)cp);
				else
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
