/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Formats: the xz, bzip2 and zstd decoders (concatenated streams,
 * truncation, corruption, the guard) and the zip, ar, cpio, rpm, 7z
 * (libarchive) and container-image readers. Artifacts are written here
 * with the libraries' own encoders; every case is read with several block
 * sizes, and zips also front to back (a tiny max_member_bytes), and the
 * listings must not change.
 */
#include "helpers/test_common.h"

#include <archive.h>
#include <archive_entry.h>
#include <bzlib.h>
#include <lzma.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "container/container.h"
#include "decode/decode.h"
#include "helpers/archive_writer.h"
#include "util/alloc.h"

static const size_t blocks[] = { 1 << 20, 1, 7, 511, 4096 };
#define NBLOCKS (sizeof(blocks) / sizeof(*blocks))

/* ---- encoders ---- */

static void xz_enc(struct lsi_buf *out, const void *p, size_t n)
{
	size_t pos = 0, cap = n + n / 2 + 1024;
	uint8_t *tmp = lsi_malloc(cap);

	assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, p, n, tmp, &pos, cap),
			 LZMA_OK);
	lsi_buf_append(out, tmp, pos);
	lsi_free(tmp);
}

static void bz_enc(struct lsi_buf *out, const void *p, size_t n)
{
	unsigned len = (unsigned)(n + n / 100 + 700);
	char *tmp = lsi_malloc(len);

	assert_int_equal(BZ2_bzBuffToBuffCompress(tmp, &len, (char *)(uintptr_t)p, (unsigned)n, 9,
						  0, 0), BZ_OK);
	lsi_buf_append(out, tmp, len);
	lsi_free(tmp);
}

static void zstd_enc(struct lsi_buf *out, const void *p, size_t n)
{
	size_t cap = ZSTD_compressBound(n), len;
	uint8_t *tmp = lsi_malloc(cap);
	ZSTD_CCtx *cx = ZSTD_createCCtx();

	/* With a checksum, so that corrupt literals are caught too (as zstd(1) writes). */
	ZSTD_CCtx_setParameter(cx, ZSTD_c_checksumFlag, 1);
	len = ZSTD_compress2(cx, tmp, cap, p, n);
	ZSTD_freeCCtx(cx);
	assert_false(ZSTD_isError(len));
	lsi_buf_append(out, tmp, len);
	lsi_free(tmp);
}

static size_t raw_deflate(uint8_t *dst, size_t cap, const void *p, size_t n)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = dst;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

/* ---- decoders ---- */

static enum lsi_rd decode_all(const struct lsi_decoder_ops *ops, const struct lsi_buf *in,
			      size_t block, struct lsi_buf *out, uint64_t max_ratio, char *msg)
{
	uint64_t total = 0;
	struct lsi_guard g = { max_ratio, 1024, &total, 0, 0, 0 };
	struct lsi_bstream *d;
	const uint8_t *b;
	size_t n;
	enum lsi_rd st;

	assert_ptr_equal(lsi_decoder_sniff(in->data, in->len), ops);
	d = ops->open(lsi_bstream_mem(in->data, in->len, block), &g);
	assert_non_null(d);
	while ((st = lsi_bstream_read(d, &b, &n)) == LSI_RD_OK)
		lsi_buf_append(out, b, n);
	strcpy(msg, d->msg);
	lsi_bstream_close(d);
	if (st == LSI_RD_EOF)
		assert_int_equal(total, out->len);
	return st;
}

typedef void (*enc_fn)(struct lsi_buf *, const void *, size_t);

static void check_decoder(const struct lsi_decoder_ops *ops, enc_fn enc, const char *damage)
{
	struct lsi_buf c, out;
	char msg[LSI_MSG_LEN];
	static uint8_t zeros[4 << 20];

	lsi_buf_init(&c, 16 << 20);
	enc(&c, "hello ", 6);
	enc(&c, "world", 5); /* a second stream: concatenated files are valid */
	for (size_t i = 0; i < NBLOCKS; i++) {
		lsi_buf_init(&out, 1 << 20);
		assert_int_equal(decode_all(ops, &c, blocks[i], &out, 0, msg), LSI_RD_EOF);
		assert_string_equal(lsi_buf_str(&out), "hello world");
		lsi_buf_fini(&out);
	}
	/* Truncated inside the second stream: the first is delivered, then damage. */
	c.len -= 7;
	for (size_t i = 0; i < NBLOCKS; i++) {
		lsi_buf_init(&out, 1 << 20);
		assert_int_equal(decode_all(ops, &c, blocks[i], &out, 0, msg), LSI_RD_DAMAGED);
		assert_non_null(strstr(msg, damage));
		assert_memory_equal(out.data, "hello ", 6);
		lsi_buf_fini(&out);
	}
	/* Corrupt data: damage, never a crash. */
	lsi_buf_reset(&c);
	enc(&c, "some longer text to compress, some longer text", 46);
	for (size_t k = 12; k < c.len && k < 30; k++)
		c.data[k] ^= 0x5a;
	lsi_buf_init(&out, 1 << 20);
	assert_int_equal(decode_all(ops, &c, 3, &out, 0, msg), LSI_RD_DAMAGED);
	assert_true(msg[0] != '\0');
	lsi_buf_fini(&out);
	/* The shared guard stops an expansion past the ratio. */
	lsi_buf_reset(&c);
	enc(&c, zeros, sizeof(zeros));
	lsi_buf_init(&out, 64 << 20);
	assert_int_equal(decode_all(ops, &c, 4096, &out, 100, msg), LSI_RD_LIMIT);
	assert_non_null(strstr(msg, "max-ratio"));
	lsi_buf_fini(&out);
	lsi_buf_fini(&c);
}

static void test_xz(void **state)
{
	(void)state;
	check_decoder(&lsi_decoder_xz, xz_enc, "xz stream");
}

static void test_bzip2(void **state)
{
	(void)state;
	check_decoder(&lsi_decoder_bzip2, bz_enc, "bzip2");
}

static void test_zstd(void **state)
{
	(void)state;
	check_decoder(&lsi_decoder_zstd, zstd_enc, "zstd");
}

static void test_decoder_probes(void **state)
{
	(void)state;
	assert_null(lsi_decoder_sniff((const uint8_t *)"BZh9xxxxxxxx", 12));
	assert_null(lsi_decoder_sniff((const uint8_t *)"\xfd" "7zX", 4));
	assert_ptr_equal(lsi_decoder_sniff((const uint8_t *)"\x50\x2a\x4d\x18\0\0\0\0", 8),
			 &lsi_decoder_zstd);
}

/* ---- container listing ---- */

/*
 * Lists members as "name|type|content" lines (content of files, link
 * targets as "->t"), "!st msg" for damage and limits, "R rule|name|msg"
 * for reports.
 */
static void list(const struct lsi_container_ops *ops, const uint8_t *buf, size_t len,
		 size_t block, uint64_t max_members, uint64_t max_bytes, struct lsi_buf *out)
{
	uint64_t total = 0, held = 0;
	struct lsi_guard g = { 1000, 1 << 20, &total, 0, 0, 0 };
	struct lsi_climits lim = { max_members, max_bytes, &g, &held };
	void *c;

	assert_true(ops->probe(buf, len));
	assert_ptr_equal(lsi_container_sniff(buf, len < LSI_SNIFF_LEN ? len : LSI_SNIFF_LEN), ops);
	c = ops->open(lsi_bstream_mem(buf, len, block), &lim);
	assert_non_null(c);
	for (;;) {
		struct lsi_member m;
		char msg[LSI_MSG_LEN] = "";
		enum lsi_rd st = ops->next(c, &m, msg);

		if (st == LSI_RD_EOF)
			break;
		if (st != LSI_RD_OK) {
			lsi_buf_printf(out, "!%d %s\n", (int)st, msg);
			if (st == LSI_RD_LIMIT || st == LSI_RD_IO)
				break;
			continue;
		}
		if (m.type == LSI_M_REPORT) {
			lsi_buf_printf(out, "R %s|%.*s|%s\n", m.report_rule, (int)m.name_len, m.name,
				       m.message ? m.message : "");
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
	ops->close(c);
	assert_int_equal(held, 0); /* every byte held in memory was given back */
}

static void check_list(const struct lsi_container_ops *ops, const struct lsi_buf *a,
		       uint64_t max_bytes, const char *want)
{
	for (size_t i = 0; i < NBLOCKS; i++) {
		struct lsi_buf out;

		lsi_buf_init(&out, 4 << 20);
		list(ops, a->data, a->len, blocks[i], 100, max_bytes, &out);
		assert_string_equal(lsi_buf_str(&out), want);
		lsi_buf_fini(&out);
	}
}

/* Listings hold binary member data: search them as bytes. */
static const void *find(const struct lsi_buf *b, const char *s)
{
	return memmem(b->data, b->len, s, strlen(s));
}

/* ---- zip ---- */

struct zw {
	struct lsi_buf cd;
	unsigned count;
};

static void put16(struct lsi_buf *b, unsigned v)
{
	uint8_t p[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	lsi_buf_append(b, p, 2);
}

static void put32(struct lsi_buf *b, uint32_t v)
{
	put16(b, v & 0xffff);
	put16(b, v >> 16);
}

/* Adds an entry; @dd: sizes in a data descriptor (zeros in the local header). */
static void zw_add(struct lsi_buf *z, struct zw *w, const char *name, const char *data,
		   unsigned method, unsigned flags, bool dd)
{
	size_t n = strlen(data), nl = strlen(name), clen = n;
	uint8_t comp[4096];
	const uint8_t *c = (const uint8_t *)data;
	uint32_t crc = (uint32_t)crc32(0, (const Bytef *)data, (uInt)n), off = (uint32_t)z->len;

	if (method == 8) {
		clen = raw_deflate(comp, sizeof(comp), data, n);
		c = comp;
	}
	if (dd)
		flags |= 8;
	put32(z, 0x04034b50);
	put16(z, 20);
	put16(z, flags);
	put16(z, method);
	put32(z, 0);
	put32(z, dd ? 0 : crc);
	put32(z, dd ? 0 : (uint32_t)clen);
	put32(z, dd ? 0 : (uint32_t)n);
	put16(z, (unsigned)nl);
	put16(z, 0);
	lsi_buf_append(z, name, nl);
	lsi_buf_append(z, c, clen);
	if (dd) {
		put32(z, 0x08074b50);
		put32(z, crc);
		put32(z, (uint32_t)clen);
		put32(z, (uint32_t)n);
	}
	put32(&w->cd, 0x02014b50);
	put16(&w->cd, 20);
	put16(&w->cd, 20);
	put16(&w->cd, flags);
	put16(&w->cd, method);
	put32(&w->cd, 0);
	put32(&w->cd, crc);
	put32(&w->cd, (uint32_t)clen);
	put32(&w->cd, (uint32_t)n);
	put16(&w->cd, (unsigned)nl);
	put32(&w->cd, 0);
	put32(&w->cd, 0);
	put32(&w->cd, 0);
	put32(&w->cd, off);
	lsi_buf_append(&w->cd, name, nl);
	w->count++;
}

static void zw_end(struct lsi_buf *z, struct zw *w)
{
	uint32_t off = (uint32_t)z->len;

	lsi_buf_append(z, w->cd.data, w->cd.len);
	put32(z, 0x06054b50);
	put32(z, 0);
	put16(z, w->count);
	put16(z, w->count);
	put32(z, (uint32_t)w->cd.len);
	put32(z, off);
	put16(z, 0);
	lsi_buf_fini(&w->cd);
}

static void make_zip(struct lsi_buf *z, bool dd)
{
	struct zw w = { { 0 }, 0 };

	lsi_buf_init(&w.cd, 1 << 20);
	zw_add(z, &w, "dir/", "", 0, 0, false);
	zw_add(z, &w, "dir/a.txt", "alpha alpha alpha alpha", 8, 0, dd);
	zw_add(z, &w, "b.txt", "bravo", 0, 0, false);
	zw_add(z, &w, "dir/c.txt", "charlie charlie", 8, 0, dd);
	zw_end(z, &w);
}

static const char zip_want[] = "dir/|1|\n"
			       "dir/a.txt|0|alpha alpha alpha alpha\n"
			       "b.txt|0|bravo\n"
			       "dir/c.txt|0|charlie charlie\n";

static void test_zip(void **state)
{
	struct lsi_buf z;

	(void)state;
	for (int dd = 0; dd < 2; dd++) {
		lsi_buf_init(&z, 1 << 20);
		make_zip(&z, dd);
		check_list(&lsi_container_zip, &z, 1 << 20, zip_want);
		/* Front to back: too large to hold, the central directory is not used. */
		{
			char want[sizeof(zip_want) + 200];

			snprintf(want, sizeof(want), "%s!3 max-member-bytes: zip larger than 16 bytes "
				 "was read by its local headers, not its central directory\n", zip_want);
			check_list(&lsi_container_zip, &z, 16, want);
		}
		lsi_buf_fini(&z);
	}
}

static void test_zip_damage(void **state)
{
	struct lsi_buf z, out;
	struct zw w = { { 0 }, 0 };
	size_t cd;

	(void)state;
	/* A CRC that does not match: the bytes are scanned, then the damage said. */
	lsi_buf_init(&z, 1 << 20);
	make_zip(&z, false);
	z.data[14 + 30 + 4] ^= 1; /* CRC of the second local header... */
	cd = z.len - 22 - (46 * 4 + 4 + 9 + 5 + 9);
	z.data[cd + 46 + 4 + 16] ^= 1; /* ...and of its central entry */
	lsi_buf_init(&out, 1 << 20);
	list(&lsi_container_zip, z.data, z.len, 4096, 100, 1 << 20, &out);
	assert_non_null(strstr(lsi_buf_str(&out), "alpha!2 zip member CRC mismatch"));
	assert_non_null(strstr(lsi_buf_str(&out), "charlie charlie\n"));
	lsi_buf_fini(&out);
	/* A central directory offset a little off reads as if data came first
	 * (a self-extractor): the first local header decides. */
	z.data[z.len - 6] -= 1;
	lsi_buf_init(&out, 1 << 20);
	list(&lsi_container_zip, z.data, z.len, 7, 100, 1 << 20, &out);
	assert_null(strstr(lsi_buf_str(&out), "!2 zip central directory unusable"));
	assert_non_null(strstr(lsi_buf_str(&out), "dir/c.txt|0|charlie charlie\n"));
	lsi_buf_fini(&out);
	z.data[z.len - 6] += 1;
	/* A central directory that points nowhere: local headers instead. */
	z.data[z.len - 3] = 0x7f;
	lsi_buf_init(&out, 1 << 20);
	list(&lsi_container_zip, z.data, z.len, 7, 100, 1 << 20, &out);
	assert_true(strncmp(lsi_buf_str(&out), "!2 zip central directory unusable", 33) == 0);
	assert_non_null(strstr(lsi_buf_str(&out), "dir/c.txt|0|charlie charlie\n"));
	lsi_buf_fini(&out);
	lsi_buf_fini(&z);
	/* Encrypted entries and unknown methods are reported, not guessed at. */
	lsi_buf_init(&z, 1 << 20);
	lsi_buf_init(&w.cd, 1 << 20);
	zw_add(&z, &w, "locked.txt", "secret", 0, 1, false);
	zw_add(&z, &w, "odd.txt", "odd", 99 - 1, 0, false);
	zw_add(&z, &w, "ok.txt", "fine", 8, 0, false);
	zw_end(&z, &w);
	check_list(&lsi_container_zip, &z, 1 << 20,
		   "locked.txt|0|!2 encrypted zip entry (method 0): not scanned\n"
		   "odd.txt|0|!2 zip compression method 98 is not supported: not scanned\n"
		   "ok.txt|0|fine\n");
	/* Truncated before the central directory, read front to back. */
	z.len -= 30;
	lsi_buf_init(&out, 1 << 20);
	list(&lsi_container_zip, z.data, z.len, 1, 100, 1 << 20, &out);
	assert_non_null(strstr(lsi_buf_str(&out), "ok.txt|0|fine\n"));
	lsi_buf_fini(&out);
	lsi_buf_fini(&z);
}

static void test_zip_members_limit(void **state)
{
	struct lsi_buf z, out;

	(void)state;
	lsi_buf_init(&z, 1 << 20);
	make_zip(&z, true);
	for (uint64_t mb = 16; mb <= (1 << 20); mb <<= 16) {
		lsi_buf_init(&out, 1 << 20);
		list(&lsi_container_zip, z.data, z.len, 4096, 2, mb, &out);
		assert_string_equal(lsi_buf_str(&out), "dir/|1|\ndir/a.txt|0|alpha alpha alpha alpha\n"
				    "!3 max-members: more than 2 members in this zip\n");
		lsi_buf_fini(&out);
	}
	lsi_buf_fini(&z);
}

static void test_crx(void **state)
{
	struct lsi_buf z;

	(void)state;
	lsi_buf_init(&z, 1 << 20);
	lsi_buf_append(&z, "Cr24\3\0\0\0\4\0\0\0abcd", 16);
	make_zip(&z, false);
	check_list(&lsi_container_zip, &z, 1 << 20, zip_want);
	check_list(&lsi_container_zip, &z, 16,
		   "dir/|1|\ndir/a.txt|0|alpha alpha alpha alpha\nb.txt|0|bravo\n"
		   "dir/c.txt|0|charlie charlie\n!3 max-member-bytes: zip larger than 16 bytes was "
		   "read by its local headers, not its central directory\n");
	lsi_buf_fini(&z);
}

/* ---- ar ---- */

static void ar_member(struct lsi_buf *a, const char *field, const char *data, size_t n)
{
	char h[61];

	snprintf(h, sizeof(h), "%-16s%-12s%-6s%-6s%-8s%-10zu`\n", field, "0", "0", "0", "644", n);
	lsi_buf_append(a, h, 60);
	lsi_buf_append(a, data, n);
	if (n & 1)
		lsi_buf_putc(a, '\n');
}

static void test_ar(void **state)
{
	struct lsi_buf a;
	const char names[] = "a-very-long-gnu-member-name.txt/\nsecond-long-name.conf/\n";

	(void)state;
	lsi_buf_init(&a, 1 << 20);
	lsi_buf_append(&a, "!<arch>\n", 8);
	ar_member(&a, "/", "\0\0\0\0", 4);                    /* symbol table */
	ar_member(&a, "//", names, sizeof(names) - 1);         /* GNU names */
	ar_member(&a, "debian-binary", "2.0\n", 4);
	ar_member(&a, "short.o/", "odd", 3);                  /* GNU short name, odd size */
	ar_member(&a, "/0", "long one", 8);
	ar_member(&a, "/33", "long two", 8);
	ar_member(&a, "#1/12", "bsd-name.txtbsd data", 20);   /* BSD long name */
	check_list(&lsi_container_ar, &a, 1 << 20,
		   "debian-binary|0|2.0\n\nshort.o|0|odd\n"
		   "a-very-long-gnu-member-name.txt|0|long one\n"
		   "second-long-name.conf|0|long two\nbsd-name.txt|0|bsd data\n");
	/* A reference outside the name table and a truncated member. */
	ar_member(&a, "/999", "x", 1);
	check_list(&lsi_container_ar, &a, 1 << 20,
		   "debian-binary|0|2.0\n\nshort.o|0|odd\n"
		   "a-very-long-gnu-member-name.txt|0|long one\n"
		   "second-long-name.conf|0|long two\nbsd-name.txt|0|bsd data\n"
		   "!2 ar long name points outside the name table at offset 592\n");
	lsi_buf_fini(&a);
}

/* ---- cpio and rpm ---- */

static void cpio_add(struct lsi_buf *c, const char *name, unsigned mode, const char *data)
{
	char h[200];
	unsigned nl = (unsigned)strlen(name) + 1, n = (unsigned)strlen(data);

	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", 1u,
		 mode, 0u, 0u, 1u, 0u, n, 0u, 0u, 0u, 0u, nl, 0u);
	lsi_buf_append(c, h, 110);
	lsi_buf_append(c, name, nl);
	while (c->len % 4)
		lsi_buf_putc(c, '\0');
	lsi_buf_append(c, data, n);
	while (c->len % 4)
		lsi_buf_putc(c, '\0');
}

static void make_cpio(struct lsi_buf *c)
{
	cpio_add(c, "./etc", 040755, "");
	cpio_add(c, "./etc/key.conf", 0100600, "key material");
	cpio_add(c, "./etc/link", 0120777, "key.conf");
	cpio_add(c, "TRAILER!!!", 0, "");
}

static const char cpio_want[] = "./etc|1|\n./etc/key.conf|0|key material\n./etc/link|2|->key.conf|\n";

static void test_cpio(void **state)
{
	struct lsi_buf c;
	char odc[200];

	(void)state;
	lsi_buf_init(&c, 1 << 20);
	make_cpio(&c);
	check_list(&lsi_container_cpio, &c, 1 << 20, cpio_want);
	/* odc: octal fields, no padding. */
	lsi_buf_reset(&c);
	snprintf(odc, sizeof(odc), "070707%06o%06o%06o%06o%06o%06o%06o%011o%06o%011o%s%s", 0, 1,
		 0100644, 0, 0, 1, 0, 0, 6, 5, "a.txt", "hello");
	odc[76 + 5] = '\0'; /* the name's NUL */
	lsi_buf_append(&c, odc, 76 + 6);
	lsi_buf_append(&c, "hello", 5);
	check_list(&lsi_container_cpio, &c, 1 << 20,
		   "a.txt|0|hello\n!2 cpio archive ends without its trailer at offset 87\n");
	lsi_buf_fini(&c);
}

static void put32be(struct lsi_buf *b, uint32_t v)
{
	uint8_t p[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	lsi_buf_append(b, p, 4);
}

static void rpm_hdr(struct lsi_buf *r, const char *store, size_t n, bool pad)
{
	lsi_buf_append(r, "\x8e\xad\xe8\x01\0\0\0\0", 8);
	put32be(r, 1);
	put32be(r, (uint32_t)n);
	put32be(r, 1000);
	put32be(r, 6);
	put32be(r, 0);
	put32be(r, 1);
	lsi_buf_append(r, store, n);
	while (pad && r->len % 8)
		lsi_buf_putc(r, '\0');
}

static void test_rpm_listing(void **state)
{
	struct lsi_buf r, c, out;
	uint8_t lead[96];
	const char *s;

	(void)state;
	lsi_buf_init(&r, 1 << 20);
	lsi_buf_init(&c, 1 << 20);
	memset(lead, 0, sizeof(lead));
	memcpy(lead, "\xed\xab\xee\xdb\x03\x00", 6);
	lead[79] = 5;
	lsi_buf_append(&r, lead, sizeof(lead));
	rpm_hdr(&r, "sig\0", 4, true);
	rpm_hdr(&r, "echo scriptlet\0", 15, false);
	make_cpio(&c);
	gz_member(&r, c.data, c.len);
	for (size_t i = 0; i < NBLOCKS; i++) {
		lsi_buf_init(&out, 1 << 20);
		list(&lsi_container_rpm, r.data, r.len, blocks[i], 100, 1 << 20, &out);
		s = lsi_buf_str(&out);
		assert_true(strncmp(s, "<rpm header>|0|", 15) == 0);
		assert_non_null(memmem(out.data, out.len, "echo scriptlet", 14));
		assert_non_null(memmem(out.data, out.len, cpio_want, strlen(cpio_want)));
		lsi_buf_fini(&out);
	}
	/* Truncated payload: the header and what decoded are kept. */
	r.len -= 20;
	lsi_buf_init(&out, 1 << 20);
	list(&lsi_container_rpm, r.data, r.len, 13, 100, 1 << 20, &out);
	assert_non_null(find(&out, "truncated gzip stream"));
	lsi_buf_fini(&out);
	lsi_buf_fini(&c);
	lsi_buf_fini(&r);
}

/* ---- libarchive: 7z ---- */

static void make_7z(struct lsi_buf *out)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t cap = 1 << 16, used = 0;
	uint8_t *buf = lsi_malloc(cap);
	static const char *const files[][2] = { { "docs/readme.txt", "read me" },
						{ "src/key.conf", "key material" } };

	assert_int_equal(archive_write_set_format_7zip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	for (size_t i = 0; i < 2; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, files[i][0]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)strlen(files[i][1]));
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, files[i][1], strlen(files[i][1])),
				 (la_ssize_t)strlen(files[i][1]));
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_entry_free(e);
	archive_write_free(a);
	lsi_buf_append(out, buf, used);
	lsi_free(buf);
}

static void test_7z(void **state)
{
	struct lsi_buf z, out;

	(void)state;
	lsi_buf_init(&z, 1 << 20);
	make_7z(&z);
	check_list(&lsi_container_libarchive, &z, 1 << 20,
		   "docs/readme.txt|0|read me\nsrc/key.conf|0|key material\n");
	lsi_buf_init(&out, 1 << 20);
	list(&lsi_container_libarchive, z.data, z.len, 4096, 100, 16, &out);
	assert_string_equal(lsi_buf_str(&out), "!3 max-member-bytes: archive needs random access "
			    "and is larger than 16 bytes; not opened\n");
	lsi_buf_fini(&out);
	/* Damaged: an error, never a crash. */
	for (size_t k = 40; k < z.len; k += 7)
		z.data[k] ^= 0x33;
	lsi_buf_init(&out, 1 << 20);
	list(&lsi_container_libarchive, z.data, z.len, 4096, 100, 1 << 20, &out);
	lsi_buf_fini(&out);
	lsi_buf_fini(&z);
}

/* ---- container images ---- */

static void test_image_whiteouts(void **state)
{
	struct lsi_buf img, l0, l1, l0gz;
	char manifest[600], name0[100], name1[100];
	static const char hex0[] = "1111111111111111111111111111111111111111111111111111111111111111";
	static const char hex1[] = "2222222222222222222222222222222222222222222222222222222222222222";

	(void)state;
	lsi_buf_init(&img, 1 << 20);
	lsi_buf_init(&l0, 1 << 20);
	lsi_buf_init(&l1, 1 << 20);
	lsi_buf_init(&l0gz, 1 << 20);
	tw_add(&l0, "etc/app/.env", '0', "TOKEN=1", 7, TW_USTAR);
	tw_add(&l0, "etc/app/keep", '0', "k", 1, TW_USTAR);
	tw_add(&l0, "opt/cache/a/b.bin", '0', "bb", 2, TW_PAX);
	tw_add(&l0, "opt/cache2", '0', "sibling", 7, TW_USTAR);
	tw_end(&l0);
	gz_member(&l0gz, l0.data, l0.len);
	tw_add(&l1, "etc/app/.wh..env", '0', "", 0, TW_USTAR);
	tw_add(&l1, "opt/cache/.wh..wh..opq", '0', "", 0, TW_GNU);
	tw_end(&l1);
	snprintf(name0, sizeof(name0), "%s/layer.tar", hex0);
	snprintf(name1, sizeof(name1), "%s/layer.tar", hex1);
	snprintf(manifest, sizeof(manifest),
		 "[{\"Config\":\"c.json\",\"RepoTags\":[\"acme/x:1\"],\"Layers\":[\"%s\",\"%s\"]}]",
		 name0, name1);
	tw_add(&img, name1, '0', l1.data, l1.len, TW_USTAR); /* order in the tar is not the image's */
	tw_add(&img, name0, '0', l0gz.data, l0gz.len, TW_USTAR);
	tw_add(&img, "manifest.json", '0', manifest, strlen(manifest), TW_USTAR);
	tw_end(&img);
	for (size_t i = 0; i < NBLOCKS; i++) {
		struct lsi_buf out;

		lsi_buf_init(&out, 4 << 20);
		list(&lsi_container_oci, img.data, img.len, blocks[i], 100, 1 << 20, &out);
		/* Layers come out decoded: the pipeline opens them as tars. */
		assert_non_null(memmem(out.data, out.len, "TOKEN=1", 7));
		assert_non_null(find(&out, "R image-layer-deleted-file|" "1111111111111111111111111111"
					 "111111111111111111111111111111111111/layer.tar|etc/app/.env was "
					 "deleted in a later layer (2222222222222222222222222222222222222222"
					 "222222222222222222222222/layer.tar) but is still in the image\n"));
		assert_non_null(find(&out, "|opt/cache/a/b.bin was deleted"));
		assert_null(find(&out, "|opt/cache2 was deleted"));
		assert_null(find(&out, "|etc/app/keep was deleted"));
		lsi_buf_fini(&out);
	}
	lsi_buf_fini(&img);
	lsi_buf_fini(&l0);
	lsi_buf_fini(&l1);
	lsi_buf_fini(&l0gz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xz),
		cmocka_unit_test(test_bzip2),
		cmocka_unit_test(test_zstd),
		cmocka_unit_test(test_decoder_probes),
		cmocka_unit_test(test_zip),
		cmocka_unit_test(test_zip_damage),
		cmocka_unit_test(test_zip_members_limit),
		cmocka_unit_test(test_crx),
		cmocka_unit_test(test_ar),
		cmocka_unit_test(test_cpio),
		cmocka_unit_test(test_rpm_listing),
		cmocka_unit_test(test_7z),
		cmocka_unit_test(test_image_whiteouts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
