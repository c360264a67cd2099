/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Containers and decoders: tar (ustar, pax, GNU long names, damage and
 * resync), gzip (multi-member, truncation, corruption), peeking. Every
 * case is read with several block sizes: the results must not change.
 */
#include "helpers/test_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "container/container.h"
#include "container/pyc.h"
#include "decode/decode.h"
#include "decode/rawinflate.h"
#include "helpers/archive_writer.h"
#include "helpers/thread_cpus.h"
#include "util/alloc.h"

static const size_t blocks[] = { 1 << 20, 1, 7, 511, 513 };

/* Lists members as "name|type|content" lines, plus "!msg" for damage. */
static void list_tar(const uint8_t *buf, size_t len, size_t block, struct lsi_buf *out)
{
	struct lsi_climits lim = { 100, 1 << 20, NULL, NULL };
	struct lsi_bstream *in = lsi_bstream_mem(buf, len, block);
	void *t = lsi_container_tar.open(in, &lim);

	for (;;) {
		struct lsi_member m;
		char msg[LSI_MSG_LEN] = "";
		enum lsi_rd st = lsi_container_tar.next(t, &m, msg);

		if (st == LSI_RD_EOF)
			break;
		if (st != LSI_RD_OK) {
			lsi_buf_printf(out, "!%d %s\n", (int)st, msg);
			if (st == LSI_RD_LIMIT)
				break;
			continue;
		}
		lsi_buf_printf(out, "%.*s|%d|", (int)m.name_len, m.name, (int)m.type);
		if (m.link)
			lsi_buf_printf(out, "->%s|", m.link);
		if (m.data) {
			const uint8_t *b;
			size_t n;
			enum lsi_rd r;

			while ((r = lsi_bstream_read(m.data, &b, &n)) == LSI_RD_OK)
				lsi_buf_append(out, b, n);
			if (r != LSI_RD_EOF)
				lsi_buf_printf(out, "!%d %s", (int)r, m.data->msg);
		}
		lsi_buf_putc(out, '\n');
	}
	lsi_container_tar.close(t);
}

static void check_all_blocks(const struct lsi_buf *tar, const char *want)
{
	for (size_t i = 0; i < sizeof(blocks) / sizeof(*blocks); i++) {
		struct lsi_buf out;

		lsi_buf_init(&out, 1 << 20);
		list_tar(tar->data, tar->len, blocks[i], &out);
		assert_string_equal(lsi_buf_str(&out), want);
		lsi_buf_fini(&out);
	}
}

static void test_tar_names(void **state)
{
	struct lsi_buf tar;
	char longname[300];

	(void)state;
	memset(longname, 'd', sizeof(longname));
	memcpy(longname + 150, "/file.txt", 10);
	lsi_buf_init(&tar, 1 << 20);
	tw_add(&tar, "package/a.js", '0', "alpha", 5, TW_USTAR);
	tw_add(&tar, "package/dir", '5', NULL, 0, TW_USTAR);
	tw_add(&tar, "package/link", '2', "../../etc/passwd", 0, TW_USTAR);
	tw_add(&tar, longname, '0', "pax", 3, TW_PAX);
	tw_add(&tar, "gnu/very/long/name.txt", '0', "gnu", 3, TW_GNU);
	tw_add(&tar, "empty", '0', "", 0, TW_USTAR);
	tw_end(&tar);
	{
		char want[2048];

		snprintf(want, sizeof(want),
			 "package/a.js|0|alpha\n"
			 "package/dir|1|\n"
			 "package/link|2|->../../etc/passwd|\n"
			 "%.159s|0|pax\n"
			 "gnu/very/long/name.txt|0|gnu\n"
			 "empty|0|\n",
			 longname);
		check_all_blocks(&tar, want);
	}
	lsi_buf_fini(&tar);
}

static void test_tar_bad_checksum_resyncs(void **state)
{
	struct lsi_buf tar;

	(void)state;
	lsi_buf_init(&tar, 1 << 20);
	tw_add(&tar, "first", '0', "one", 3, TW_USTAR);
	tw_add(&tar, "broken", '0', "two", 3, TW_USTAR);
	tw_add(&tar, "third", '0', "three", 5, TW_USTAR);
	tw_end(&tar);
	tar.data[1024 + 148] ^= 1; /* corrupt the second header's checksum */
	check_all_blocks(&tar, "first|0|one\n"
			       "!2 bad tar header checksum at offset 1024; skipping to the next valid header\n"
			       "third|0|three\n");
	lsi_buf_fini(&tar);
}

static void test_tar_truncated(void **state)
{
	struct lsi_buf tar;

	(void)state;
	lsi_buf_init(&tar, 1 << 20);
	tw_add(&tar, "whole", '0', "ok", 2, TW_USTAR);
	tw_add(&tar, "cut", '0', "0123456789", 10, TW_USTAR);
	tar.len = 1024 + 512 + 4; /* inside the second member's data */
	check_all_blocks(&tar, "whole|0|ok\n"
			       "cut|0|0123!2 tar member truncated: 6 bytes missing\n");
	lsi_buf_fini(&tar);
}

static void test_tar_member_limit(void **state)
{
	struct lsi_buf tar, out;
	struct lsi_climits lim = { 2, 1 << 20, NULL, NULL };
	struct lsi_bstream *in;
	void *t;
	int ok = 0;
	enum lsi_rd st;

	(void)state;
	lsi_buf_init(&tar, 1 << 20);
	lsi_buf_init(&out, 1 << 20);
	for (int i = 0; i < 5; i++)
		tw_add(&tar, "m", '0', "x", 1, TW_USTAR);
	tw_end(&tar);
	in = lsi_bstream_mem(tar.data, tar.len, 4096);
	t = lsi_container_tar.open(in, &lim);
	for (;;) {
		struct lsi_member m;
		char msg[LSI_MSG_LEN];

		st = lsi_container_tar.next(t, &m, msg);
		if (st != LSI_RD_OK)
			break;
		ok++;
	}
	assert_int_equal(ok, 2);
	assert_int_equal(st, LSI_RD_LIMIT);
	lsi_container_tar.close(t);
	lsi_buf_fini(&tar);
	lsi_buf_fini(&out);
}

static void test_tar_probe(void **state)
{
	struct lsi_buf tar;
	uint8_t junk[512];

	(void)state;
	lsi_buf_init(&tar, 1 << 20);
	tw_add(&tar, "x", '0', "y", 1, TW_USTAR);
	assert_true(lsi_container_sniff(tar.data, 512) == &lsi_container_tar);
	memset(junk, 'A', sizeof(junk));
	assert_null(lsi_container_sniff(junk, sizeof(junk)));
	assert_null(lsi_container_sniff(tar.data, 100));
	lsi_buf_fini(&tar);
}

/* Decodes @gz fully with input blocks of @block bytes. */
/* Every gzip backend built in; each test runs on all of them. */
static const struct lsi_decoder_ops *const gzips[] = {
	&lsi_decoder_gzip_zlib,
#ifdef HAVE_ISAL
	&lsi_decoder_gzip_isal,
#endif
};
static const struct lsi_decoder_ops *gzip_ops = &lsi_decoder_gzip_zlib;
static uint64_t gunzip_in_size; /* the guard's in_size */

static enum lsi_rd gunzip(const struct lsi_buf *gz, size_t block, struct lsi_buf *out,
			  uint64_t max_ratio, char *msg)
{
	uint64_t total = 0;
	struct lsi_guard g = { max_ratio, 1024, &total, 0, 0, gunzip_in_size };
	struct lsi_bstream *in = lsi_bstream_mem(gz->data, gz->len, block);
	struct lsi_bstream *d;
	const uint8_t *b;
	size_t n;
	enum lsi_rd st;

	assert_non_null(lsi_decoder_sniff(gz->data, gz->len));
	d = gzip_ops->open(in, &g);
	while ((st = lsi_bstream_read(d, &b, &n)) == LSI_RD_OK)
		lsi_buf_append(out, b, n);
	strcpy(msg, d->msg);
	lsi_bstream_close(d);
	return st;
}

static void test_gzip_one(void)
{
	struct lsi_buf gz, out;
	char msg[LSI_MSG_LEN];

	lsi_buf_init(&gz, 1 << 20);
	gz_member(&gz, "hello ", 6);
	gz_member(&gz, "world", 5);
	lsi_buf_append(&gz, "\0\0\0\0", 4); /* trailing padding is ignored */
	for (size_t i = 0; i < sizeof(blocks) / sizeof(*blocks); i++) {
		lsi_buf_init(&out, 1 << 20);
		assert_int_equal(gunzip(&gz, blocks[i], &out, 0, msg), LSI_RD_EOF);
		assert_string_equal(lsi_buf_str(&out), "hello world");
		lsi_buf_fini(&out);
	}
	/* Truncated: what came before is delivered, then the damage. */
	gz.len -= 12; /* padding and part of the last trailer */
	lsi_buf_init(&out, 1 << 20);
	assert_int_equal(gunzip(&gz, 3, &out, 0, msg), LSI_RD_DAMAGED);
	assert_string_equal(lsi_buf_str(&out), "hello world");
	assert_non_null(strstr(msg, "truncated gzip stream"));
	lsi_buf_fini(&out);
	/* A wrong checksum in the trailer: every byte is inflated before the
	 * trailer is read, and all of them come out before the damage, in
	 * whatever blocks the input arrives (a small stream is inflated in
	 * one call). */
	lsi_buf_reset(&gz);
	gz_member(&gz, "hello ", 6);
	gz.data[gz.len - 8] ^= 0xff;
	for (size_t i = 0; i < sizeof(blocks) / sizeof(*blocks); i++) {
		lsi_buf_init(&out, 1 << 20);
		assert_int_equal(gunzip(&gz, blocks[i], &out, 0, msg), LSI_RD_DAMAGED);
		assert_string_equal(lsi_buf_str(&out), "hello ");
		assert_non_null(strstr(msg, "corrupt gzip data"));
		lsi_buf_fini(&out);
	}
	/* Corrupt deflate data. */
	lsi_buf_reset(&gz);
	gz_member(&gz, "some longer text to compress", 28);
	gz.data[12] ^= 0xff;
	gz.data[13] ^= 0xff;
	lsi_buf_init(&out, 1 << 20);
	assert_int_equal(gunzip(&gz, 4096, &out, 0, msg), LSI_RD_DAMAGED);
	lsi_buf_fini(&out);
	lsi_buf_fini(&gz);
}

/*
 * .pyc string constants: short and long ASCII, interned, unicode and
 * byte strings, with and without the reference flag, each a line; too
 * short, binary or overlong ones skipped; never more than one byte more
 * than given.
 */
static void test_pyc_extract(void **state)
{
	static const uint8_t pyc[] = {
		0x6f, 0x0d, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xe3, 'z', 5, 'h', 'e', 'l', 'l', 'o',                /* FLAG_REF|code, short */
		0xda, 4, 'a', 'b', 'c', 'd',                          /* FLAG_REF|'Z' */
		'z', 2, 'n', 'o',                                     /* too short */
		'u', 6, 0, 0, 0, 'k', '=', 0xc3, 0xa9, '1', '2',      /* unicode, UTF-8 */
		's', 4, 0, 0, 0, 0x01, 0x02, 0x03, 0x04,              /* bytes, not text */
		't', 5, 0, 0, 0, 'p', 'a', 't', 'h', 's',             /* interned */
		'a', 0xff, 0xff, 0xff, 0x7f, 'x',                     /* length past the end */
	};
	uint8_t out[sizeof(pyc) + 1];
	size_t n = lsi_pyc_extract(pyc, sizeof(pyc), out);

	(void)state;
	assert_int_equal(n, strlen("hello\nabcd\nk=\xc3\xa9" "12\npaths\n"));
	assert_memory_equal(out, "hello\nabcd\nk=\xc3\xa9" "12\npaths\n", n);
	/* Text that is no string object (marshal data that does not parse, or
	 * bytes after it) is a line of its own, letters and all; a short run
	 * between binary bytes is not. */
	{
		static const uint8_t junk[] = "\x6f\x0d\r\n\x01\x02key = \"AKIAZ3MSJV4WQ7PLXR5T\"\x03"
					       "ab\x04" "zebra stripes and more text at the end";
		uint8_t o2[sizeof(junk) + 1];
		size_t k = lsi_pyc_extract(junk, sizeof(junk) - 1, o2);
		const char *want = "key = \"AKIAZ3MSJV4WQ7PLXR5T\"\n"
				   "zebra stripes and more text at the end\n";

		assert_int_equal(k, strlen(want));
		assert_memory_equal(o2, want, k);
	}
	assert_true(lsi_pyc_sniff("a/__pycache__/m.cpython-311.pyc", pyc, sizeof(pyc)));
	assert_false(lsi_pyc_sniff("a/m.py", pyc, sizeof(pyc)));
	assert_false(lsi_pyc_sniff("m.pyc", (const uint8_t *)"not bytecode at all", 19));
}

static void test_gzip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(gzips) / sizeof(*gzips); i++) {
		gzip_ops = gzips[i];
		test_gzip_one();
	}
}

/*
 * Members whose header has every optional field (extra field, a file name
 * of 300 KB, a comment, a header CRC), split across reads anywhere: each
 * backend skips the header and inflates the same bytes. A reserved flag
 * bit is not gzip.
 */
static void test_gzip_header_fields_one(void)
{
	static uint8_t name[300001], extra[70];
	gz_header h;
	z_stream z;
	uint8_t buf[1 << 16];
	struct lsi_buf gz, out;
	char msg[LSI_MSG_LEN];
	int r;

	memset(name, 'N', sizeof(name) - 1);
	memset(extra, 'E', sizeof(extra));
	memset(&h, 0, sizeof(h));
	h.name = name;
	h.extra = extra;
	h.extra_len = sizeof(extra);
	h.comment = (Bytef *)"a comment";
	h.hcrc = 1;
	lsi_buf_init(&gz, 1 << 22);
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	assert_int_equal(deflateSetHeader(&z, &h), Z_OK);
	z.next_in = (Bytef *)"key_0123456789abcdef\n";
	z.avail_in = 21;
	do {
		z.next_out = buf;
		z.avail_out = sizeof(buf);
		r = deflate(&z, Z_FINISH);
		lsi_buf_append(&gz, buf, sizeof(buf) - z.avail_out);
	} while (r == Z_OK);
	deflateEnd(&z);
	gz_member(&gz, "second", 6);
	for (size_t i = 0; i < sizeof(blocks) / sizeof(*blocks); i++) {
		if (blocks[i] == 1)
			continue; /* 300 KB a byte at a time: covered by 7 */
		lsi_buf_init(&out, 1 << 20);
		assert_int_equal(gunzip(&gz, blocks[i], &out, 0, msg), LSI_RD_EOF);
		assert_string_equal(lsi_buf_str(&out), "key_0123456789abcdef\nsecond");
		lsi_buf_fini(&out);
	}
	gz.data[3] |= 0x80; /* a reserved flag */
	lsi_buf_init(&out, 1 << 20);
	assert_int_equal(gunzip(&gz, 4096, &out, 0, msg), LSI_RD_DAMAGED);
	assert_int_equal(out.len, 0);
	lsi_buf_fini(&out);
	lsi_buf_fini(&gz);
}

static void test_gzip_header_fields(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(gzips) / sizeof(*gzips); i++) {
		gzip_ops = gzips[i];
		test_gzip_header_fields_one();
	}
}

static void test_gzip_ratio_one(void)
{
	struct lsi_buf gz, out;
	static uint8_t zeros[4 << 20];
	char msg[LSI_MSG_LEN];

	lsi_buf_init(&gz, 1 << 20);
	gz_member(&gz, zeros, sizeof(zeros));
	lsi_buf_init(&out, 64 << 20);
	assert_int_equal(gunzip(&gz, 4096, &out, 100, msg), LSI_RD_LIMIT);
	assert_non_null(strstr(msg, "max-ratio"));
	lsi_buf_fini(&out);
	lsi_buf_fini(&gz);
	/* A compressible start, then data that does not compress: modest as
	 * a whole. Judged against the bytes read so far it stops early;
	 * against the stream's known size it is read to the end. */
	{
		static uint8_t mixed[(1 << 20) + (64 << 10)];
		uint32_t x = 12345;

		for (size_t i = 1 << 20; i < sizeof(mixed); i++) {
			x = x * 1103515245u + 12345u;
			mixed[i] = (uint8_t)(x >> 16);
		}
		lsi_buf_init(&gz, 1 << 20);
		gz_member(&gz, mixed, sizeof(mixed));
		for (int known = 0; known < 2; known++) {
			gunzip_in_size = known ? gz.len : 0;
			lsi_buf_init(&out, 4 << 20);
			assert_int_equal(gunzip(&gz, 4096, &out, 100, msg),
					 known ? LSI_RD_EOF : LSI_RD_LIMIT);
			if (known)
				assert_int_equal(out.len, sizeof(mixed));
			lsi_buf_fini(&out);
		}
		gunzip_in_size = 0;
		lsi_buf_fini(&gz);
	}
}

static void test_gzip_ratio(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(gzips) / sizeof(*gzips); i++) {
		gzip_ops = gzips[i];
		test_gzip_ratio_one();
	}
}

static void test_peek(void **state)
{
	const char *text = "0123456789abcdef";
	const uint8_t *head, *b;
	size_t hl, n;
	enum lsi_rd st;
	struct lsi_buf out;

	(void)state;
	for (size_t blk = 1; blk <= 17; blk++) {
		struct lsi_bstream *p = lsi_bstream_peek(lsi_bstream_mem((const uint8_t *)text, 16, blk),
							 5, &head, &hl, &st);

		assert_int_equal(st, LSI_RD_OK);
		assert_int_equal(hl, 5);
		assert_memory_equal(head, "01234", 5);
		lsi_buf_init(&out, 100);
		while (lsi_bstream_read(p, &b, &n) == LSI_RD_OK)
			lsi_buf_append(&out, b, n);
		assert_string_equal(lsi_buf_str(&out), text);
		lsi_buf_fini(&out);
		lsi_bstream_close(p);
	}
}

/*
 * Read-ahead on a helper thread yields the same bytes and errors, with the
 * decoder's output copied into the read-ahead buffers or (read_into, ISA-L)
 * decoded straight into them.
 */
static void test_async(void **state)
{
	static uint8_t big[3 << 20];
	struct lsi_buf gz, out;
	uint64_t total = 0;
	struct lsi_guard g = { 0, 0, &total, 0, 0, 0 };
	const uint8_t *b;
	size_t n;
	enum lsi_rd st;
	/* ISA-L's decoder where built with it: the one with read_into. */
	const struct lsi_decoder_ops *ops = gzips[sizeof(gzips) / sizeof(*gzips) - 1];

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + i / 4096);
	lsi_buf_init(&gz, 8 << 20);
	gz_member(&gz, big, sizeof(big));
	gz_member(&gz, big, 5000); /* a second member */
	for (int into = 0; into < 2; into++) {
		__typeof__(ops->read_into) ri = into ? ops->read_into : NULL;

		if (into && !ri)
			break; /* built without ISA-L: nothing more to compare */
		for (size_t blk = 1000, k = 0; blk <= (1u << 20); blk *= 32, k++) {
			/* The default ring, and deeper ones (a prefetch's). */
			struct lsi_bstream *a = lsi_bstream_async_ring(
				ops->open(lsi_bstream_mem(gz.data, gz.len, blk), &g), ri,
				(unsigned[]){ 8, 32, 20, 64 }[k % 4]);

			lsi_buf_init(&out, 8 << 20);
			while ((st = lsi_bstream_read(a, &b, &n)) == LSI_RD_OK)
				lsi_buf_append(&out, b, n);
			assert_int_equal(st, LSI_RD_EOF);
			assert_int_equal(out.len, sizeof(big) + 5000);
			assert_memory_equal(out.data, big, sizeof(big));
			assert_memory_equal(out.data + sizeof(big), big, 5000);
			lsi_bstream_close(a);
			lsi_buf_fini(&out);
		}
		/* Damage crosses the thread with its message. */
		{
			struct lsi_bstream *a = lsi_bstream_async(
				ops->open(lsi_bstream_mem(gz.data, gz.len / 2, 4096), &g), ri);

			while ((st = lsi_bstream_read(a, &b, &n)) == LSI_RD_OK)
				;
			assert_int_equal(st, LSI_RD_DAMAGED);
			assert_non_null(strstr(a->msg, "truncated gzip"));
			lsi_bstream_close(a);
		}
		/* So does a limit of the expansion guard, after the bytes within it. */
		{
			uint64_t t2 = 0;
			struct lsi_guard lim = { 0, 0, &t2, 1 << 20, 0, 0 };
			struct lsi_bstream *a = lsi_bstream_async(
				ops->open(lsi_bstream_mem(gz.data, gz.len, 4096), &lim), ri);
			size_t got = 0;

			while ((st = lsi_bstream_read(a, &b, &n)) == LSI_RD_OK)
				got += n;
			assert_int_equal(st, LSI_RD_LIMIT);
			assert_true(got <= (1u << 20) && got > 0);
			assert_non_null(strstr(a->msg, "max-total-bytes"));
			lsi_bstream_close(a);
		}
		/* Closing early stops the worker. */
		{
			struct lsi_bstream *a = lsi_bstream_async(
				ops->open(lsi_bstream_mem(gz.data, gz.len, 4096), &g), ri);

			assert_int_equal(lsi_bstream_read(a, &b, &n), LSI_RD_OK);
			lsi_bstream_close(a);
		}
	}
	lsi_buf_fini(&gz);
}

/*
 * The read-ahead thread is started off its maker's CPU (async.c start())
 * and then allowed every CPU its maker is: it is not left narrowed.
 */
static void test_async_cpus(void **state)
{
	static uint8_t big[4 << 20]; /* more than the ring holds: the thread waits */
	uint64_t total = 0;
	struct lsi_guard g = { 0, 0, &total, 0, 0, 0 };
	const struct lsi_decoder_ops *ops = gzips[sizeof(gzips) / sizeof(*gzips) - 1];
	struct lsi_buf gz;
	cpu_set_t mine;
	const uint8_t *b;
	size_t n, found;

	(void)state;
	if (sched_getaffinity(0, sizeof(mine), &mine) != 0 || CPU_COUNT(&mine) < 2)
		skip(); /* one CPU: nothing to move off */
	memset(big, 'a', sizeof(big));
	lsi_buf_init(&gz, 1 << 20);
	gz_member(&gz, big, sizeof(big));
	for (int into = 0; into < 2; into++) {
		__typeof__(ops->read_into) ri = into ? ops->read_into : NULL;
		struct lsi_bstream *a;

		if (into && !ri)
			break;
		a = lsi_bstream_async(ops->open(lsi_bstream_mem(gz.data, gz.len, 4096), &g), ri);
		/* A block is out, so the thread has begun (and widened) already. */
		assert_int_equal(lsi_bstream_read(a, &b, &n), LSI_RD_OK);
		assert_int_equal(threads_on_cpus("leakscan-read", &mine, &found), 1);
		assert_int_equal(found, 1);
		lsi_bstream_close(a);
	}
	lsi_buf_fini(&gz);
}

/*
 * Pinned read-ahead blocks keep their bytes while the stream goes on (the
 * slots they came from are refilled many times over) and after it closes;
 * bytes that are not in the block last handed out cannot be pinned.
 */
static void test_async_pin(void **state)
{
	static uint8_t big[4 << 20];
	struct lsi_buf gz;
	uint64_t total = 0;
	struct lsi_guard g = { 0, 0, &total, 0, 0, 0 };
	const struct lsi_decoder_ops *ops = gzips[sizeof(gzips) / sizeof(*gzips) - 1];
	struct {
		struct lsi_apin *pin;
		const uint8_t *p;
		size_t n, at;
	} pins[64];

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13 + i / 1000);
	lsi_buf_init(&gz, 8 << 20);
	gz_member(&gz, big, sizeof(big));
	for (int into = 0; into < 2; into++) {
		__typeof__(ops->read_into) ri = into ? ops->read_into : NULL;
		struct lsi_bstream *a;
		const uint8_t *b, *prev = NULL;
		size_t n, at = 0, npins = 0, prev_n = 0;
		int k = 0;

		if (into && !ri)
			break;
		a = lsi_bstream_async(ops->open(lsi_bstream_mem(gz.data, gz.len, 1 << 16), &g), ri);
		{
			struct lsi_bstream *m = lsi_bstream_mem(gz.data, 1, 1);

			assert_null(lsi_async_pin(m, gz.data, 1)); /* not a read-ahead stream */
			lsi_bstream_close(m);
		}
		while (lsi_bstream_read(a, &b, &n) == LSI_RD_OK) {
			/* The block handed out before this one is no longer pinnable. */
			if (prev)
				assert_null(lsi_async_pin(a, prev, prev_n));
			assert_null(lsi_async_pin(a, big, 1)); /* not in the block */
			if (k++ % 2 == 0 && npins < 64 && n > 10) {
				struct lsi_apin *pin = lsi_async_pin(a, b + 3, n - 10);

				assert_non_null(pin);
				pins[npins].pin = pin;
				pins[npins].p = b + 3;
				pins[npins].n = n - 10;
				pins[npins].at = at + 3;
				npins++;
			}
			assert_memory_equal(b, big + at, n);
			prev = b;
			prev_n = n;
			at += n;
		}
		assert_int_equal(at, sizeof(big));
		assert_true(npins > 4);
		/* Half of the pins go before the stream closes, half after. */
		for (size_t i = 0; i < npins; i += 2) {
			assert_memory_equal(pins[i].p, big + pins[i].at, pins[i].n);
			lsi_async_unpin(pins[i].pin);
		}
		lsi_bstream_close(a);
		for (size_t i = 1; i < npins; i += 2) {
			assert_memory_equal(pins[i].p, big + pins[i].at, pins[i].n);
			lsi_async_unpin(pins[i].pin);
		}
	}
	lsi_buf_fini(&gz);
}

/*
 * A plain file read ahead (lsi_bstream_fd_read_into under
 * lsi_bstream_async): the file's bytes in order, pinnable where they lie,
 * the end at the file's end, and a read error (a directory's fd) carried
 * across the thread with its message.
 */
static void test_async_fd(void **state)
{
	static uint8_t big[(3 << 20) + 12345];
	char path[] = "/tmp/lsi-async-fd-XXXXXX";
	int fd = mkstemp(path);
	struct lsi_bstream *a;
	struct lsi_apin *pin = NULL;
	const uint8_t *b, *pinned = NULL;
	size_t n, at = 0, pinned_at = 0, pinned_n = 0;
	enum lsi_rd st;

	(void)state;
	assert_true(fd >= 0);
	unlink(path);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 31 + i / 777);
	assert_int_equal(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	a = lsi_bstream_async(lsi_bstream_fd(fd, 4096), lsi_bstream_fd_read_into);
	while ((st = lsi_bstream_read(a, &b, &n)) == LSI_RD_OK) {
		assert_true(n > 4096); /* read into the blocks, not the 4 KiB buffer */
		assert_memory_equal(b, big + at, n);
		if (!pin && at > (1u << 20)) {
			assert_non_null(pin = lsi_async_pin(a, b, n));
			pinned = b;
			pinned_at = at;
			pinned_n = n;
		}
		at += n;
	}
	assert_int_equal(st, LSI_RD_EOF);
	assert_int_equal(at, sizeof(big));
	lsi_bstream_close(a);
	assert_non_null(pin);
	assert_memory_equal(pinned, big + pinned_at, pinned_n);
	lsi_async_unpin(pin);
	close(fd);

	fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	a = lsi_bstream_async(lsi_bstream_fd(fd, 4096), lsi_bstream_fd_read_into);
	assert_int_equal(lsi_bstream_read(a, &b, &n), LSI_RD_IO);
	assert_non_null(strstr(a->msg, "read error"));
	lsi_bstream_close(a);
	close(fd);
}

/*
 * A decoder's limits applied where its blocks are read (a prefetch's
 * stream): the blocks pass through uncopied, so they can still be pinned;
 * the block that crosses max-total-bytes fails with the decoder's
 * message, after the bytes within the limit; and the guard counts into
 * the scan's total.
 */
static void test_guarded(void **state)
{
	static uint8_t big[3 << 20];
	struct lsi_buf gz;
	struct lsi_guard none = { 0 };
	const struct lsi_decoder_ops *ops = gzips[sizeof(gzips) / sizeof(*gzips) - 1];
	const uint8_t *b;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 5 + i / 999);
	lsi_buf_init(&gz, 8 << 20);
	gz_member(&gz, big, sizeof(big));
	for (int limited = 0; limited < 2; limited++) {
		uint64_t total = 7;
		struct lsi_guard g = { 0, 0, &total, limited ? 7 + (1u << 20) : 0, 0, gz.len };
		struct lsi_bstream *a = lsi_bstream_async_ring(
			ops->open(lsi_bstream_mem(gz.data, gz.len, 1 << 16), &none), ops->read_into, 32);
		struct lsi_bstream *v = lsi_bstream_guarded(a, &g);
		size_t got = 0, pins = 0;
		enum lsi_rd st;

		while ((st = lsi_bstream_read(v, &b, &n)) == LSI_RD_OK) {
			struct lsi_apin *pin = lsi_async_pin(a, b, n);

			pins += pin != NULL;
			lsi_async_unpin(pin);
			assert_memory_equal(b, big + got, n);
			got += n;
		}
		if (limited) {
			assert_int_equal(st, LSI_RD_LIMIT);
			assert_non_null(strstr(v->msg, "max-total-bytes"));
			assert_true(got > 0 && got <= (1u << 20));
			assert_int_equal(lsi_bstream_read(v, &b, &n), LSI_RD_LIMIT);
		} else {
			assert_int_equal(st, LSI_RD_EOF);
			assert_int_equal(got, sizeof(big));
			assert_int_equal(total, 7 + sizeof(big));
		}
		assert_true(pins > 0);
		lsi_bstream_close(v);
	}
	lsi_buf_fini(&gz);
}

/* Raw deflate of @in with zlib; returns the compressed length. */
static size_t deflate_raw(const uint8_t *in, size_t n, uint8_t *out, size_t cap, int level)
{
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	n = zs.total_out;
	deflateEnd(&zs);
	return n;
}

/*
 * Both raw-inflate backends on the same inputs, fed in uneven pieces:
 * the same bytes out, the end found, every input byte accounted for
 * (zlib also leaves the bytes past the end pending), corruption caught.
 */
static void test_raw_inflate_backends(void **state)
{
	static uint8_t plain[300000], comp[320000], out[300000], piece[4096];
	unsigned seed = 3;

	(void)state;
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i % 7 ? 'a' + rand_r(&seed) % 20 : rand_r(&seed));
	for (int backend = 0; backend < 2; backend++) {
		for (size_t len = 0; len <= sizeof(plain); len = len ? len * 9 : 1) {
			size_t clen = deflate_raw(plain, len, comp, sizeof(comp) - 16, 6), off = 0;
			size_t got = 0, produced;
			struct lsi_rawinf *r = lsi_rawinf_new(backend == 1);
			enum lsi_inf ir = LSI_INF_OK;
			const char *msg;

			assert_non_null(r);
			memcpy(comp + clen, "TRAILER!", 8); /* a data descriptor follows */
			while (ir == LSI_INF_OK) {
				if (lsi_rawinf_pending(r) == 0) {
					size_t n = 1 + (size_t)rand_r(&seed) % 5000;

					if (n > clen + 8 - off)
						n = clen + 8 - off;
					assert_true(n > 0);
					lsi_rawinf_feed(r, comp + off, n);
					off += n;
				}
				ir = lsi_rawinf_run(r, out + got, sizeof(out) - got, &produced, &msg);
				got += produced;
			}
			assert_int_equal(ir, LSI_INF_END);
			assert_int_equal(got, len);
			assert_memory_equal(out, plain, len);
			if (backend == 0) {
				assert_int_equal(lsi_rawinf_total_in(r), clen);
				assert_int_equal(off - lsi_rawinf_pending(r), clen);
			}
			lsi_rawinf_free(r);
		}
		{
			/* Corrupt: a block type 3 (reserved) at the start. */
			struct lsi_rawinf *r = lsi_rawinf_new(backend == 1);
			const char *msg = NULL;
			size_t produced;

			memset(piece, 0xff, sizeof(piece));
			lsi_rawinf_feed(r, piece, sizeof(piece));
			assert_int_equal(lsi_rawinf_run(r, out, sizeof(out), &produced, &msg),
					 LSI_INF_ERROR);
			assert_non_null(msg);
			lsi_rawinf_free(r);
		}
	}
#ifdef HAVE_ISAL
	{
		struct lsi_rawinf *r = lsi_rawinf_new(true);

		assert_string_equal(lsi_rawinf_backend(r), "isa-l");
		lsi_rawinf_free(r);
	}
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tar_names),
		cmocka_unit_test(test_tar_bad_checksum_resyncs),
		cmocka_unit_test(test_tar_truncated),
		cmocka_unit_test(test_tar_member_limit),
		cmocka_unit_test(test_tar_probe),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_gzip_header_fields),
		cmocka_unit_test(test_pyc_extract),
		cmocka_unit_test(test_gzip_ratio),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_async),
		cmocka_unit_test(test_async_pin),
		cmocka_unit_test(test_async_cpus),
		cmocka_unit_test(test_async_fd),
		cmocka_unit_test(test_guarded),
		cmocka_unit_test(test_raw_inflate_backends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
