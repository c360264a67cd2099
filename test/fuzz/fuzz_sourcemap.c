/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The source-map container on arbitrary bytes, opened whatever the probe
 * says (the probe runs too). The first byte picks a block size; the map
 * is read whole and in those blocks, once reading every member and once
 * leaving them unread, and the listings (names, contents, the report,
 * damage) must agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container/container.h"

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* Digest of names and the report (and of contents when @read). */
static uint64_t run(const uint8_t *data, size_t size, size_t block, bool read, uint64_t cap)
{
	struct lsi_climits lim = { .max_members = cap, .max_member_bytes = 1 << 20 };
	struct lsi_bstream *in = lsi_bstream_mem(data, size, block);
	void *c;
	uint64_t h = 0xcbf29ce484222325ull;

	if (!in || !(c = lsi_container_sourcemap.open(in, &lim)))
		abort();
	for (int guard = 0;; guard++) {
		struct lsi_member m;
		char msg[LSI_MSG_LEN] = "";
		enum lsi_rd st = lsi_container_sourcemap.next(c, &m, msg);

		if (guard > (int)size + 16)
			abort(); /* no progress */
		if (st == LSI_RD_EOF)
			break;
		h = mix(h, &st, sizeof(st));
		if (st != LSI_RD_OK) {
			/* Damage met while reading a member is reported there instead. */
			if (read)
				h = mix(h, msg, strlen(msg));
			if (st == LSI_RD_LIMIT)
				break;
			continue;
		}
		h = mix(h, m.name, m.name_len);
		if (m.type == LSI_M_REPORT) {
			h = mix(h, m.report_rule, strlen(m.report_rule));
			h = mix(h, m.details_json, strlen(m.details_json));
			continue;
		}
		if (read && m.data) {
			const uint8_t *b;
			size_t n;
			enum lsi_rd r;

			while ((r = lsi_bstream_read(m.data, &b, &n)) == LSI_RD_OK)
				h = mix(h, b, n);
			h = mix(h, &r, sizeof(r));
		}
	}
	lsi_container_sourcemap.close(c);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t block;
	uint64_t cap;

	if (size < 1)
		return 0;
	block = 1 + data[0] % 13;
	cap = data[0] & 0x80 ? 3 : 1000;
	data++;
	size--;
	(void)lsi_container_sourcemap.probe(data, size < LSI_SNIFF_LEN ? size : LSI_SNIFF_LEN);
	if (run(data, size, size ? size : 1, true, cap) != run(data, size, block, true, cap))
		abort();
	/* Unread members leave the names and the report unchanged. */
	if (run(data, size, size ? size : 1, false, cap) != run(data, size, block, false, cap))
		abort();
	return 0;
}
