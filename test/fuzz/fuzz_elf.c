/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one-pass executable parsers (ELF, PE, Mach-O) on arbitrary bytes.
 * The first byte picks the format (or sniffing) and a chunk size; the
 * rest is parsed whole and then cut in chunks: both must say the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container/binfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse(const uint8_t *b, size_t n, enum lsi_binfmt fmt, size_t chunk,
		  struct lsi_bininfo *out)
{
	struct lsi_binparse *p = lsi_binparse_new(fmt);

	memset(out, 0, sizeof(*out));
	if (!p)
		return;
	for (size_t at = 0; at < n;) {
		size_t c = chunk && n - at > chunk ? chunk : n - at;

		lsi_binparse_feed(p, b + at, c);
		at += c;
	}
	lsi_binparse_finish(p, out);
	lsi_binparse_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lsi_bininfo a, b;
	enum lsi_binfmt fmt;

	if (size < 1)
		return 0;
	fmt = (enum lsi_binfmt)(data[0] & 3);
	data++;
	size--;
	if (fmt == LSI_BIN_NONE)
		fmt = lsi_binfmt_sniff(data, size < 512 ? size : 512);
	if (fmt == LSI_BIN_NONE)
		return 0;
	parse(data, size, fmt, 0, &a);
	parse(data, size, fmt, 1 + (size_t)(data[-1] >> 2), &b);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	return 0;
}
