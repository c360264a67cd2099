/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every container reader and every decoder on arbitrary bytes, probe or
 * not: zip, ar, rpm, cpio, libarchive, container images, tar; gzip, xz,
 * zstd, bzip2. The first byte picks the block size the input arrives in
 * (split points matter to streaming parsers) and the second the limits;
 * the rest is the input. Every member's data is read to its end.
 * Invariants: no crash, bounded work, memory held is given back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container/container.h"
#include "decode/decode.h"

static const struct lsi_container_ops *const containers[] = {
	&lsi_container_zip, &lsi_container_ar, &lsi_container_rpm, &lsi_container_cpio,
	&lsi_container_libarchive, &lsi_container_oci, &lsi_container_tar,
};

static const struct lsi_decoder_ops *const decoders[] = {
	&lsi_decoder_gzip_zlib, &lsi_decoder_xz, &lsi_decoder_zstd, &lsi_decoder_bzip2,
};

#define MAX_OUT (64u << 20) /* bytes read per reader and input */

static uint64_t drain(struct lsi_bstream *s, uint64_t budget)
{
	const uint8_t *b;
	size_t n;
	uint64_t got = 0;

	while (got < budget && lsi_bstream_read(s, &b, &n) == LSI_RD_OK) {
		/* Touch the block: a stale pointer shows under the sanitizers. */
		volatile uint8_t x = b[0];

		(void)x;
		got += n;
	}
	return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t blocks[] = { 1, 3, 64, 511, 4096, 1 << 20 };
	size_t block;
	uint64_t member_bytes;

	if (size < 2)
		return 0;
	block = blocks[data[0] % (sizeof(blocks) / sizeof(*blocks))];
	/* Small in-memory budgets send zips through their front-to-back path too. */
	member_bytes = (data[1] & 1) ? 64 : (1u << 20);
	data += 2;
	size -= 2;
	for (size_t i = 0; i < sizeof(containers) / sizeof(*containers); i++) {
		uint64_t total = 0, held = 0, out = 0;
		struct lsi_guard g = { 50, 1u << 20, &total, MAX_OUT, 0, 0 };
		struct lsi_climits lim = { 200, member_bytes, &g, &held };
		const struct lsi_container_ops *ops = containers[i];
		void *c;

		if (size >= ops->probe_len)
			ops->probe(data, size);
		c = ops->open(lsi_bstream_mem(data, size, block), &lim);
		if (!c)
			abort();
		for (int k = 0; k < 5000 && out < MAX_OUT; k++) {
			struct lsi_member m;
			char msg[LSI_MSG_LEN] = "";
			enum lsi_rd st = ops->next(c, &m, msg);

			if (st == LSI_RD_EOF || st == LSI_RD_IO || st == LSI_RD_NOMEM)
				break;
			if (strlen(msg) >= LSI_MSG_LEN)
				abort();
			if (st != LSI_RD_OK)
				continue;
			if (m.name_len && !m.name)
				abort();
			if (m.data)
				out += drain(m.data, MAX_OUT - out);
		}
		ops->close(c);
		if (held != 0)
			abort();
	}
	for (size_t i = 0; i < sizeof(decoders) / sizeof(*decoders); i++) {
		uint64_t total = 0;
		struct lsi_guard g = { 50, 1u << 20, &total, MAX_OUT, 0, 0 };
		struct lsi_bstream *d;

		if (size >= decoders[i]->probe_len)
			decoders[i]->probe(data, size);
		d = decoders[i]->open(lsi_bstream_mem(data, size, block), &g);
		if (!d)
			abort();
		drain(d, MAX_OUT);
		lsi_bstream_close(d);
	}
	return 0;
}
