/* SPDX-License-Identifier: Apache-2.0 */
/* Test-only tar and gzip writers; see archive_writer.h. */
#include "archive_writer.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

static void header(struct lsi_buf *tar, const char *name, char type, uint64_t size,
		   const char *link)
{
	uint8_t h[512];
	unsigned sum = 0;

	memset(h, 0, sizeof(h));
	strncpy((char *)h, name, 100);
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
	memcpy(h + 136, "14000000000", 12);
	h[156] = (uint8_t)type;
	if (link)
		strncpy((char *)h + 157, link, 100);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	lsi_buf_append(tar, h, 512);
}

static void body(struct lsi_buf *tar, const void *data, size_t len)
{
	static const uint8_t zero[512];

	lsi_buf_append(tar, data, len);
	if (len % 512)
		lsi_buf_append(tar, zero, 512 - len % 512);
}

void tw_add(struct lsi_buf *tar, const char *name, char type, const void *data, size_t len,
	    enum tw_name_style style)
{
	if (style == TW_PAX) {
		char rec[4200];
		size_t n = strlen(name) + 7, total;

		/* The length field counts itself: find the fixed point. */
		total = n + 1;
		while (snprintf(NULL, 0, "%zu path=%s\n", total, name) != (int)total)
			total++;
		snprintf(rec, sizeof(rec), "%zu path=%s\n", total, name);
		header(tar, "PaxHeaders/x", 'x', strlen(rec), NULL);
		body(tar, rec, strlen(rec));
		header(tar, "truncated-name", type, len, NULL);
	} else if (style == TW_GNU) {
		header(tar, "././@LongLink", 'L', strlen(name) + 1, NULL);
		body(tar, name, strlen(name) + 1);
		header(tar, "truncated-name", type, len, NULL);
	} else {
		header(tar, name, type, type == '2' ? 0 : len, type == '2' ? data : NULL);
	}
	if (type == '0')
		body(tar, data, len);
}

void tw_end(struct lsi_buf *tar)
{
	static const uint8_t zero[1024];

	lsi_buf_append(tar, zero, sizeof(zero));
}

void gz_member(struct lsi_buf *out, const void *data, size_t len)
{
	z_stream z;
	uint8_t buf[65536];
	int r;

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	do {
		z.next_out = buf;
		z.avail_out = sizeof(buf);
		r = deflate(&z, Z_FINISH);
		lsi_buf_append(out, buf, sizeof(buf) - z.avail_out);
	} while (r == Z_OK);
	deflateEnd(&z);
}
