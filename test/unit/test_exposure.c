/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What leaks besides keys: the base64 and UTF-16LE filters, the raw zlib
 * decoder, the one-pass ELF/PE/Mach-O parsers on synthetic binaries (cut
 * every way), git config parsing, and through the API the .git folder
 * and binary findings with their details.
 */
#include "helpers/test_common.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "container/binfmt.h"
#include "core/gitdir.h"
#include "decode/decode.h"
#include "engine/encodings.h"
#include "helpers/archive_writer.h"
#include "helpers/finding_log.h"
#include "leakscan.h"
#include "util/alloc.h"
#include "util/buf.h"

/* ---- base64 ---- */

struct b64log {
	struct lsi_buf log; /* "B<offset>:" then decoded bytes then "|" per run */
};

static void ev_begin(void *user, uint64_t off)
{
	lsi_buf_printf(&((struct b64log *)user)->log, "B%llu:", (unsigned long long)off);
}

static void ev_data(void *user, const uint8_t *p, size_t n)
{
	lsi_buf_append(&((struct b64log *)user)->log, p, n);
}

static void ev_end(void *user)
{
	lsi_buf_putc(&((struct b64log *)user)->log, '|');
}

static const struct lsi_b64_sink events = { ev_begin, ev_data, ev_end };

/* Runs the filter over @in cut in pieces of @chunk bytes (0: whole). */
static char *b64_run(const char *in, size_t len, size_t chunk)
{
	struct lsi_b64scan *b = lsi_malloc(sizeof(*b));
	struct b64log lg;

	assert_non_null(b);
	lsi_buf_init(&lg.log, 1 << 20);
	lsi_b64scan_init(b, &events, &lg);
	for (size_t at = 0; at < len;) {
		size_t n = chunk && len - at > chunk ? chunk : len - at;

		lsi_b64scan_feed(b, (const uint8_t *)in + at, n);
		at += n;
	}
	lsi_b64scan_finish(b);
	lsi_free(b);
	lsi_buf_putc(&lg.log, '\0');
	return lsi_buf_steal(&lg.log);
}

static void expect_b64(const char *in, const char *want)
{
	size_t len = strlen(in);

	for (size_t chunk = 0; chunk < 9; chunk++) {
		char *got = b64_run(in, len, chunk);

		if (strcmp(got, want) != 0)
			fail_msg("chunk %zu: got '%s', want '%s'", chunk, got, want);
		lsi_free(got);
	}
}

static void test_b64_runs(void **state)
{
	(void)state;
	/* "user: admin\npassword: hQ9zxV2kL7\n" */
	expect_b64("cfg: dXNlcjogYWRtaW4KcGFzc3dvcmQ6IGhROXp4VjJrTDcK end",
		   "B5:user: admin\npassword: hQ9zxV2kL7\n|");
	/* Padding ends a run; quotes around it are fine; two runs. */
	expect_b64("a=\"VGhpcyBpcyBhIHNlY3JldCBjb25maWcgdmFsdWUh\";b='"
		   "VGhpcyBpcyBhIHNlY3JldCBjb25maWcgdmFsdWUhIQ=='",
		   "B3:This is a secret config value!|B48:This is a secret config value!!|");
	/* Too short, and binary once decoded: nothing. */
	expect_b64("x dXNlcjogYWRtaW4= y", "");
	expect_b64("k: yv7+/wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f", "");
	/* Hex digests and identifiers decode to noise. */
	expect_b64("sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 .",
		   "");
	expect_b64("node_modules/some-package/dist/index_of_everything_else.js", "");
}

static void test_b64_wrapped_and_long(void **state)
{
	char text[1200], enc[2000], wrapped[2100];
	size_t tl, el = 0, wl = 0;
	char *got;
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	(void)state;
	for (tl = 0; tl < 1000; tl++)
		text[tl] = (char)('a' + tl % 26);
	text[tl++] = '\n';
	for (size_t i = 0; i + 3 <= tl; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)text[i] << 16 | (uint32_t)(uint8_t)text[i + 1] << 8 |
			     (uint8_t)text[i + 2];

		enc[el++] = tab[v >> 18];
		enc[el++] = tab[(v >> 12) & 63];
		enc[el++] = tab[(v >> 6) & 63];
		enc[el++] = tab[v & 63];
	}
	/* 1001 bytes: 333 quanta + 2 bytes in a padded one. */
	{
		uint32_t v = (uint32_t)(uint8_t)text[999] << 16 | (uint32_t)(uint8_t)text[1000] << 8;

		enc[el++] = tab[v >> 18];
		enc[el++] = tab[(v >> 12) & 63];
		enc[el++] = tab[(v >> 6) & 63];
		enc[el++] = '=';
	}
	/* Wrapped at 76 with CRLF, as MIME does. */
	memcpy(wrapped, "X\n", 2);
	wl = 2;
	for (size_t i = 0; i < el; i += 76) {
		size_t n = el - i < 76 ? el - i : 76;

		memcpy(wrapped + wl, enc + i, n);
		wl += n;
		memcpy(wrapped + wl, "\r\n", 2);
		wl += 2;
	}
	wrapped[wl++] = '\n'; /* a blank line ends it */
	wrapped[wl++] = '.';
	wrapped[wl] = '\0';
	{
		char want[1300];

		struct lsi_b64scan *b = lsi_malloc(sizeof(*b));
		struct b64log lg;

		snprintf(want, sizeof(want), "B2:%.*s|", (int)tl, text);
		expect_b64(wrapped, want);
		/* Where the run first broke its line (a one-line run: nowhere). */
		assert_non_null(b);
		lsi_buf_init(&lg.log, 1 << 20);
		lsi_b64scan_init(b, &events, &lg);
		lsi_b64scan_feed(b, (const uint8_t *)wrapped, wl);
		assert_int_equal(b->wrap_chars, 76);
		lsi_b64scan_feed(b, (const uint8_t *)enc, el);
		lsi_b64scan_finish(b);
		assert_int_equal(b->wrap_chars, 0);
		lsi_buf_fini(&lg.log);
		lsi_free(b);
		/* Short lines are not a wrapped run: each is judged alone. */
		got = b64_run("dXNlcjogYWRtaW4KcGFzc3dvcmQ6\nIGhROXp4VjJrTDcK", 45, 0);
		assert_string_equal(got, "");
		lsi_free(got);
	}
}

/* The AVX-512, AVX2 and portable classifiers find the same runs, cut anywhere. */
static void test_b64_paths_agree(void **state)
{
	static const char *const bits[] = {
		"SGVsbG8gd29ybGQsIHRoaXMgaXMgYmFzZTY0IHRleHQgZm9yIGEgdGVzdC4=",
		"CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS", "drivers/gpu/drm/amd/display/dc",
		"c2VjcmV0X2tleT1BS0lBUTRNVFhXNVZSNlBOWVMzVQ", " ", "\n", "\r\n", "+/-_", "==",
		"abcdefghijklmnopqrstuvwxyzABCDEF0123456789", "\x00\xff", ".", "dGV4dA",
	};
	unsigned seed = 777;
	char *in = lsi_malloc(20000);

	(void)state;
	assert_non_null(in);
	for (int round = 0; round < 300; round++) {
		size_t len = 0;
		int parts = 1 + (int)(rand_r(&seed) % 120);
		char *out[3];
		size_t chunk = rand_r(&seed) % 3 ? 0 : 1 + rand_r(&seed) % 200;

		for (int k = 0; k < parts && len < 19000; k++) {
			const char *b = bits[rand_r(&seed) % (sizeof(bits) / sizeof(*bits))];
			size_t bl = strlen(b);

			memcpy(in + len, b, bl);
			len += bl;
		}
		for (int cap = 0; cap < 3; cap++) {
			lsi_b64_isa_cap = cap;
			out[cap] = b64_run(in, len, chunk);
		}
		lsi_b64_isa_cap = 0;
		assert_string_equal(out[0], out[2]);
		assert_string_equal(out[1], out[2]);
		for (int cap = 0; cap < 3; cap++)
			lsi_free(out[cap]);
	}
	lsi_free(in);
}

/* Base64 of @n bytes of @in into @out (NUL-terminated). */
static void b64_encode(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

/*
 * Runs that end inside a chunk are judged in place (with the vector judge
 * where the CPU has AVX-512 VBMI), the others through the filter's state:
 * fed whole and a byte at a time, the same text comes out. The runs are
 * base64 of text with a few other bytes (near the judge's one in ten:
 * UTF-8 sequences, control bytes, NULs, stray high bytes), of
 * identifiers' noise, and runs ended by line breaks.
 */
static void test_b64_in_place_agrees(void **state)
{
	static const char *const ends[] = { " ", "\n", "\r\n", ";", "\"", "\n\n" };
	unsigned seed = 99;
	uint8_t plain[200];
	char *in = lsi_malloc(40000), enc[300];

	(void)state;
	assert_non_null(in);
	for (int round = 0; round < 300; round++) {
		size_t len = 0;

		while (len < 30000) {
			size_t n = 20 + rand_r(&seed) % 170, bad = rand_r(&seed) % (n / 6 + 1);

			for (size_t i = 0; i < n; i++)
				plain[i] = (uint8_t)('a' + rand_r(&seed) % 26);
			for (size_t k = 0; k < bad; k++) {
				size_t at = rand_r(&seed) % n;
				unsigned how = rand_r(&seed) % 4;

				if (how == 0 && at + 4 <= n) {
					/* a whole UTF-8 sequence, of 2 to 4 bytes: text */
					static const uint8_t seqs[][4] = { { 0xc3, 0xa9 },
									   { 0xe2, 0x82, 0xac },
									   { 0xf0, 0x9f, 0x94, 0x91 } };
					unsigned w = rand_r(&seed) % 3;

					memcpy(plain + at, seqs[w], w + 2);
				} else if (how == 1) {
					/* a control byte, tab, line break or NUL */
					plain[at] = (uint8_t)(rand_r(&seed) % 0x20);
				} else {
					plain[at] = (uint8_t)(0x80 + rand_r(&seed) % 128);
				}
			}
			if (rand_r(&seed) % 3 == 0) {
				/* an identifier: base64 characters, noise decoded */
				for (size_t i = 0; i < n; i++)
					enc[i] = (char)plain[i] < 0 ? 'Q' : (char)plain[i];
				enc[n] = '\0';
			} else {
				b64_encode(plain, n, enc);
				if (rand_r(&seed) % 2) /* unpadded */
					enc[strcspn(enc, "=")] = '\0';
			}
			len += (size_t)snprintf(in + len, 40000 - len, "%s%s", enc,
						ends[rand_r(&seed) % (sizeof(ends) / sizeof(*ends))]);
		}
		char *whole = b64_run(in, len, 0), *bytes = b64_run(in, len, 1);

		assert_string_equal(whole, bytes);
		lsi_free(whole);
		lsi_free(bytes);
	}
	lsi_free(in);
}

/* A run is judged on its head; the judge may stop at a prefix, so a head
 * whose non-text bytes all come first must be judged as a whole: as many
 * as one in ten passes, one more does not. */
static void test_b64_bad_bytes_first(void **state)
{
	static const size_t lens[] = { 24, 33, 48, 63, 96, 150, 192 };
	uint8_t plain[200];
	char enc[300], in[320], want[260];

	(void)state;
	for (size_t k = 0; k < sizeof(lens) / sizeof(*lens); k++) {
		size_t n = lens[k];

		for (size_t extra = 0; extra < 2; extra++) {
			size_t bad = n / 10 + extra;
			char *got;

			for (size_t i = 0; i < n; i++)
				plain[i] = i < bad ? 0x01 : (uint8_t)('a' + i % 26);
			b64_encode(plain, n, enc);
			snprintf(in, sizeof(in), "k=%s;", enc);
			got = b64_run(in, strlen(in), 0);
			if (extra) {
				assert_string_equal(got, "");
			} else {
				snprintf(want, sizeof(want), "B2:%.*s|", (int)n, (const char *)plain);
				assert_string_equal(got, want);
			}
			lsi_free(got);
		}
	}
}

static void test_text_like(void **state)
{
	(void)state;
	assert_true(lsi_text_like((const uint8_t *)"plain text\n", 11));
	assert_true(lsi_text_like((const uint8_t *)"caf\xc3\xa9 \xe2\x82\xac", 9));
	assert_false(lsi_text_like((const uint8_t *)"a\0b", 3));
	assert_false(lsi_text_like((const uint8_t *)"\xff\xfe\x01\x02\x80\x81xy", 8));
	assert_false(lsi_text_like((const uint8_t *)"", 0));
}

/*
 * The definition lsi_text_like() implements, stated another way: mark
 * the good bytes (text ASCII; a UTF-8 lead with all the continuations its
 * length needs, or as many as there are before the end, together with
 * them), then count. No NUL, and at most one byte in ten unmarked.
 */
static bool text_like_ref(const uint8_t *p, size_t n)
{
	bool good[128] = { false };
	size_t marked = 0;

	assert_true(n <= sizeof(good));
	for (size_t i = 0; i < n; i++) {
		if (p[i] == 0)
			return false;
		if ((p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')
			good[i] = true;
	}
	for (size_t i = 0; i < n; i++) {
		size_t need = p[i] >= 0xc2 && p[i] <= 0xdf ? 1 : p[i] >= 0xe0 && p[i] <= 0xef ? 2
			    : p[i] >= 0xf0 && p[i] <= 0xf4 ? 3 : 0;
		size_t have = 0;

		if (!need)
			continue;
		while (have < need && i + 1 + have < n && (p[i + 1 + have] & 0xc0) == 0x80)
			have++;
		if (have == need || i + 1 + have == n)
			for (size_t k = 0; k <= have; k++)
				good[i + k] = true;
	}
	for (size_t i = 0; i < n; i++)
		marked += good[i];
	return n && n - marked <= n / 10;
}

/* Short inputs are counted with bit masks: same answers as the definition
 * on random mixes of text, continuations, leads and control bytes, at
 * every length up to the mask width and past it. */
static void test_text_like_masks(void **state)
{
	unsigned seed = 4242;
	uint8_t buf[80];
	size_t agree_true = 0;

	(void)state;
	for (int round = 0; round < 400000; round++) {
		size_t n = 1 + rand_r(&seed) % 70;
		unsigned text_share = rand_r(&seed) % 10; /* mostly text, or not */

		for (size_t i = 0; i < n; i++) {
			unsigned x = rand_r(&seed) % 10;

			if (x < text_share)
				buf[i] = (uint8_t)(0x20 + rand_r(&seed) % 95);
			else if (x % 4 == 0)
				buf[i] = (uint8_t)(0x80 + rand_r(&seed) % 64);
			else if (x % 4 == 1)
				buf[i] = (uint8_t)(0xc0 + rand_r(&seed) % 64);
			else if (x % 4 == 2)
				buf[i] = (uint8_t)(rand_r(&seed) % 16);
			else
				buf[i] = (uint8_t)rand_r(&seed);
		}
		bool want = text_like_ref(buf, n);

		agree_true += want;
		if (lsi_text_like(buf, n) != want) {
			fprintf(stderr, "round %d, %zu bytes:", round, n);
			for (size_t i = 0; i < n; i++)
				fprintf(stderr, " %02x", buf[i]);
			fprintf(stderr, "\n");
			fail();
		}
	}
	assert_true(agree_true > 10000); /* both answers were tried */
}

/* ---- UTF-16LE ---- */

static void u16_emit(void *user, const uint8_t *p, size_t n, bool last)
{
	lsi_buf_append(user, p, n);
	lsi_buf_putc(user, last ? '\n' : '+');
}

static char *u16_run(const uint8_t *in, size_t len, size_t chunk)
{
	struct lsi_u16scan *u = lsi_malloc(sizeof(*u));
	struct lsi_buf out;

	assert_non_null(u);
	lsi_buf_init(&out, 1 << 20);
	lsi_u16scan_init(u, u16_emit, &out);
	for (size_t at = 0; at < len;) {
		size_t n = chunk && len - at > chunk ? chunk : len - at;

		lsi_u16scan_feed(u, in + at, n);
		at += n;
	}
	lsi_u16scan_finish(u);
	lsi_free(u);
	lsi_buf_putc(&out, '\0');
	return lsi_buf_steal(&out);
}

static size_t put_u16(uint8_t *out, const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		out[n++] = (uint8_t)*s;
		out[n++] = 0;
	}
	return n;
}

static void test_u16(void **state)
{
	uint8_t buf[4096];
	size_t n = 0;
	char want[3000];

	(void)state;
	buf[n++] = 0x7f;
	n += put_u16(buf + n, "token=AKIAZ3MSJV4WQ7PLXR5T"); /* odd offset */
	buf[n++] = 0xff;
	buf[n++] = 0xff;
	buf[n++] = 0x01;
	n += put_u16(buf + n, "short");                       /* even, under 8 units */
	buf[n++] = 0xff;
	buf[n++] = 0xff;
	n += put_u16(buf + n, "C:\\Users\\bob\\src\\x.pdb");   /* even */
	memcpy(buf + n, "ascii text here!", 16);               /* plain ASCII: no units */
	n += 16;
	for (size_t chunk = 0; chunk < 6; chunk++) {
		char *got = u16_run(buf, n, chunk);

		assert_string_equal(got, "token=AKIAZ3MSJV4WQ7PLXR5T\nC:\\Users\\bob\\src\\x.pdb\n");
		lsi_free(got);
	}
	/* A run longer than a piece comes in pieces, then its end. */
	n = 0;
	for (size_t i = 0; i < 1500; i++) {
		buf[n++] = (uint8_t)('a' + i % 26);
		buf[n++] = 0;
	}
	{
		char *got = u16_run(buf, n, 7);
		size_t k = 0;

		for (size_t i = 0; i < 1500; i++) {
			want[k++] = (char)('a' + i % 26);
			if (i == LSI_U16_PIECE - 1)
				want[k++] = '+';
		}
		want[k++] = '\n';
		want[k] = '\0';
		assert_string_equal(got, want);
		lsi_free(got);
	}
}

/* The 64-byte skip over binary data finds the same runs as byte by byte. */
static void test_u16_paths_agree(void **state)
{
	static const char *const words[] = { "token=AKIAZ3MSJV4WQ7PLXR5T", "C:\\Users\\bob\\x",
					      "short", "a", "\thello world\t" };
	unsigned seed = 99;
	uint8_t *buf = lsi_malloc(70000);

	(void)state;
	assert_non_null(buf);
	for (int round = 0; round < 200; round++) {
		size_t n = 0, chunk = rand_r(&seed) % 3 ? 0 : 1 + rand_r(&seed) % 300;
		char *out[2];

		while (n < 60000) {
			int kind = (int)(rand_r(&seed) % 6);
			size_t len = 1 + rand_r(&seed) % 400;

			if (kind == 0) {
				n += put_u16(buf + n, words[rand_r(&seed) % 5]);
			} else if (kind == 1) {
				memset(buf + n, 0, len); /* padding */
				n += len;
			} else if (kind == 2) {
				for (size_t k = 0; k < len; k++) /* printable and zero, mixed */
					buf[n++] = rand_r(&seed) % 2 ? 0 : (uint8_t)(0x20 + rand_r(&seed) % 95);
			} else {
				for (size_t k = 0; k < len; k++)
					buf[n++] = (uint8_t)rand_r(&seed);
			}
		}
		for (int cap = 0; cap < 2; cap++) {
			lsi_b64_isa_cap = cap;
			out[cap] = u16_run(buf, n, chunk);
		}
		lsi_b64_isa_cap = 0;
		assert_string_equal(out[0], out[1]);
		lsi_free(out[0]);
		lsi_free(out[1]);
	}
	lsi_free(buf);
}

/* ---- zlib ---- */

static size_t zread_all(struct lsi_bstream *z, uint8_t *out, size_t cap, enum lsi_rd *last)
{
	size_t total = 0;
	const uint8_t *b;
	size_t n;
	enum lsi_rd rd;

	while ((rd = lsi_bstream_read(z, &b, &n)) == LSI_RD_OK) {
		assert_true(total + n <= cap);
		memcpy(out + total, b, n);
		total += n;
	}
	*last = rd;
	return total;
}

static void test_zlib(void **state)
{
	uint8_t plain[5000], comp[6000], out[6000];
	uLongf clen = sizeof(comp);
	uint64_t total = 0;
	struct lsi_guard g = { 200, 1 << 20, &total, 0, 0, 0 };
	enum lsi_rd rd;

	(void)state;
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)("blob 12\0some text "[i % 18]);
	assert_int_equal(compress2(comp, &clen, plain, sizeof(plain), 9), Z_OK);
	assert_true(lsi_decoder_zlib.probe(comp, clen));
	assert_false(lsi_decoder_zlib.probe((const uint8_t *)"\x78\x00", 2));
	assert_false(lsi_decoder_zlib.probe((const uint8_t *)"{\"", 2));
	for (size_t block = 1; block < 4000; block = block * 7 + 1) {
		struct lsi_bstream *z = lsi_decoder_zlib.open(lsi_bstream_mem(comp, clen, block), &g);

		assert_non_null(z);
		assert_int_equal(zread_all(z, out, sizeof(out), &rd), sizeof(plain));
		assert_int_equal(rd, LSI_RD_EOF);
		assert_memory_equal(out, plain, sizeof(plain));
		lsi_bstream_close(z);
	}
	/* Truncated: what inflated is handed out, then damage. */
	{
		struct lsi_bstream *z = lsi_decoder_zlib.open(lsi_bstream_mem(comp, clen / 2, 64), &g);

		zread_all(z, out, sizeof(out), &rd);
		assert_int_equal(rd, LSI_RD_DAMAGED);
		assert_non_null(strstr(z->msg, "truncated"));
		lsi_bstream_close(z);
	}
	/* Corrupt check value. */
	comp[clen - 1] ^= 0xff;
	{
		struct lsi_bstream *z = lsi_decoder_zlib.open(lsi_bstream_mem(comp, clen, 100), &g);

		zread_all(z, out, sizeof(out), &rd);
		assert_int_equal(rd, LSI_RD_DAMAGED);
		lsi_bstream_close(z);
	}
}

/* ---- executables ---- */

static void put(uint8_t *b, size_t off, uint64_t v, int size, bool be)
{
	for (int i = 0; i < size; i++)
		b[off + (size_t)(be ? size - 1 - i : i)] = (uint8_t)(v >> (8 * i));
}

enum names_at { NAMES_BEFORE, NAMES_AFTER, NAMES_FAR, NAMES_FAR_ANON };

/*
 * A small ELF: .text, .debug_info, .debug_line (compressed flag),
 * .gnu_debuglink, .symtab and .shstrtab, the names before the section
 * table, after it, or further back than the window (as lld lays them
 * out), and there also under a name other than ".shstrtab".
 */
static size_t make_elf(uint8_t *b, size_t cap, bool is64, bool be, enum names_at where)
{
	const char *names[] = { "", ".text", ".debug_info", ".debug_line",
				".gnu_debuglink", ".symtab",
				where == NAMES_FAR_ANON ? ".names" : ".shstrtab" };
	static const uint32_t types[] = { 0, 1, 1, 1, 1, 2, 3 };
	const size_t ns = 7, eh = is64 ? 64 : 52, she = is64 ? 64 : 40;
	uint64_t off[7] = { 0 }, size[7] = { 0 }, name_off[7] = { 0 };
	char strtab[128];
	size_t sl = 0, at = eh, shoff;

	memset(b, 0, cap);
	for (size_t i = 0; i < ns; i++) {
		name_off[i] = sl;
		memcpy(strtab + sl, names[i], strlen(names[i]) + 1);
		sl += strlen(names[i]) + 1;
	}
	/* section data */
	for (size_t i = 1; i < ns - 1; i++) {
		off[i] = at;
		size[i] = i == 4 ? 16 : 24;
		if (i == 4)
			memcpy(b + at, "tool.debug\0\0\0\0\0\0", 16);
		else
			memset(b + at, 0x40 + (int)i, 24);
		at += size[i];
	}
	if (where == NAMES_FAR || where == NAMES_FAR_ANON) {
		off[6] = at;
		memcpy(b + at, strtab, sl);
		at += sl + 70000; /* beyond the window */
	} else if (where == NAMES_BEFORE) {
		off[6] = at;
		memcpy(b + at, strtab, sl);
		at += sl;
	}
	size[6] = sl;
	at = (at + 7) & ~(size_t)7;
	shoff = at;
	at += ns * she;
	if (where == NAMES_AFTER) {
		off[6] = at;
		memcpy(b + at, strtab, sl);
		at += sl;
	}
	assert_true(at <= cap);
	memcpy(b, "\x7f" "ELF", 4);
	b[4] = is64 ? 2 : 1;
	b[5] = be ? 2 : 1;
	b[6] = 1;
	put(b, 16, 2, 2, be);
	if (is64) {
		put(b, 0x28, shoff, 8, be);
		put(b, 0x3a, she, 2, be);
		put(b, 0x3c, ns, 2, be);
		put(b, 0x3e, ns - 1, 2, be);
	} else {
		put(b, 0x20, shoff, 4, be);
		put(b, 0x2e, she, 2, be);
		put(b, 0x30, ns, 2, be);
		put(b, 0x32, ns - 1, 2, be);
	}
	for (size_t i = 1; i < ns; i++) {
		uint8_t *s = b + shoff + i * she;
		uint64_t flags = i == 3 ? 0x800 : 0;

		put(s, 0, name_off[i], 4, be);
		put(s, 4, types[i], 4, be);
		if (is64) {
			put(s, 8, flags, 8, be);
			put(s, 24, off[i], 8, be);
			put(s, 32, size[i], 8, be);
		} else {
			put(s, 8, flags, 4, be);
			put(s, 16, off[i], 4, be);
			put(s, 20, size[i], 4, be);
		}
	}
	return at;
}

/* Parses @b whole, then in every chunk size up to 9 and a few primes: all agree. */
static void parse_every_way(const uint8_t *b, size_t n, struct lsi_bininfo *out)
{
	static const size_t chunks[] = { 0, 1, 2, 3, 5, 8, 9, 63, 64, 65, 4096 };

	for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		struct lsi_binparse *p = lsi_binparse_new(lsi_binfmt_sniff(b, n < 512 ? n : 512));
		struct lsi_bininfo info;

		assert_non_null(p);
		for (size_t at = 0; at < n;) {
			size_t c = chunks[k] && n - at > chunks[k] ? chunks[k] : n - at;

			lsi_binparse_feed(p, b + at, c);
			at += c;
		}
		memset(&info, 0, sizeof(info));
		lsi_binparse_finish(p, &info);
		lsi_binparse_free(p);
		if (k == 0)
			*out = info;
		else if (memcmp(&info, out, sizeof(info)) != 0)
			fail_msg("chunks of %zu bytes disagree", chunks[k]);
	}
}

static void test_elf(void **state)
{
	size_t cap = 100000;
	uint8_t *b = lsi_malloc(cap);
	struct lsi_bininfo in;

	(void)state;
	for (int v = 0; v < 4; v++) {
		bool is64 = v & 1, be = v & 2;

		for (int w = NAMES_BEFORE; w <= NAMES_FAR; w++) {
			size_t n = make_elf(b, cap, is64, be, (enum names_at)w);

			assert_int_equal(lsi_binfmt_sniff(b, n), LSI_BIN_ELF);
			parse_every_way(b, n, &in);
			assert_string_equal(in.format, "ELF");
			assert_true(in.dwarf && in.compressed && in.symtab);
			assert_false(in.names_unknown || in.truncated);
			assert_int_equal(in.section_count, 4);
			assert_string_equal(in.sections[0], ".debug_info");
			assert_string_equal(in.sections[1], ".debug_line");
			assert_string_equal(in.sections[2], ".gnu_debuglink");
			assert_string_equal(in.sections[3], ".symtab");
			assert_string_equal(in.debug_file, "tool.debug");
		}
	}
	/* Names that went by before the window, not found by name: types only, said so. */
	{
		size_t n = make_elf(b, cap, true, false, NAMES_FAR_ANON);

		parse_every_way(b, n, &in);
		assert_true(in.names_unknown && in.symtab && !in.dwarf);
		assert_int_equal(in.section_count, 1);
		/* Cut before the section table: truncated, nothing invented. */
		parse_every_way(b, n - 100, &in);
		assert_true(in.truncated && !in.dwarf && !in.symtab);
	}
	lsi_free(b);
}

static void test_elf_self(void **state)
{
	/* This test binary itself, whatever the build type: cut any way, one answer. */
	int fd = open("/proc/self/exe", O_RDONLY);
	struct lsi_buf all;
	char tmp[65536];
	ssize_t r;
	struct lsi_bininfo in;

	(void)state;
	assert_true(fd >= 0);
	lsi_buf_init(&all, 256u << 20);
	while ((r = read(fd, tmp, sizeof(tmp))) > 0)
		assert_true(lsi_buf_append(&all, tmp, (size_t)r));
	close(fd);
	parse_every_way(all.data, all.len, &in);
	assert_string_equal(in.format, "ELF");
	assert_false(in.truncated);
	lsi_buf_fini(&all);
}

static void test_pe(void **state)
{
	uint8_t b[2048];
	size_t at;
	static const char pdb[] = "C:\\Users\\bob\\src\\app\\Release\\app.pdb";
	struct lsi_bininfo in;

	(void)state;
	memset(b, 0, sizeof(b));
	b[0] = 'M';
	b[1] = 'Z';
	put(b, 0x3c, 64, 4, false);
	memcpy(b + 64, "PE\0\0", 4);
	put(b, 68, 0x8664, 2, false);
	put(b, 70, 2, 2, false);       /* sections */
	put(b, 76, 1024, 4, false);    /* symbol table */
	put(b, 80, 1, 4, false);       /* one symbol */
	memcpy(b + 88, ".text", 5);
	put(b, 88 + 16, 16, 4, false);
	put(b, 88 + 20, 200, 4, false);
	memcpy(b + 128, "/4", 2);      /* ".debug_info" in the string table */
	put(b, 128 + 16, 32, 4, false);
	put(b, 128 + 20, 216, 4, false);
	at = 300;
	memcpy(b + at, "RSDS", 4);
	memcpy(b + at + 24, pdb, sizeof(pdb));
	at = 1024 + 18;
	put(b, at, 4 + 12, 4, false);
	memcpy(b + at + 4, ".debug_info", 12);
	at += 16;
	assert_int_equal(lsi_binfmt_sniff(b, at), LSI_BIN_PE);
	parse_every_way(b, at, &in);
	assert_string_equal(in.format, "PE");
	assert_true(in.dwarf && in.symtab && !in.truncated);
	assert_int_equal(in.section_count, 1);
	assert_string_equal(in.sections[0], ".debug_info");
	assert_string_equal(in.debug_file, pdb);
}

static void test_macho(void **state)
{
	uint8_t b[512];
	size_t at = 32;
	struct lsi_bininfo in;

	(void)state;
	memset(b, 0, sizeof(b));
	memcpy(b, "\xcf\xfa\xed\xfe", 4);
	put(b, 4, 0x01000007, 4, false);
	put(b, 12, 1, 4, false);
	put(b, 16, 2, 4, false);            /* ncmds */
	put(b, 20, 72 + 80 + 24, 4, false); /* sizeofcmds */
	put(b, at, 0x19, 4, false);
	put(b, at + 4, 72 + 80, 4, false);
	memcpy(b + at + 8, "__DWARF", 7);
	put(b, at + 64, 1, 4, false);
	memcpy(b + at + 72, "__debug_info", 12);
	memcpy(b + at + 72 + 16, "__DWARF", 7);
	put(b, at + 72 + 40, 100, 8, false);
	at += 72 + 80;
	put(b, at, 2, 4, false);
	put(b, at + 4, 24, 4, false);
	put(b, at + 12, 3, 4, false);
	at += 24;
	assert_int_equal(lsi_binfmt_sniff(b, at), LSI_BIN_MACHO);
	parse_every_way(b, at, &in);
	assert_string_equal(in.format, "Mach-O");
	assert_true(in.dwarf && in.symtab);
	assert_int_equal(in.section_count, 1);
	assert_string_equal(in.sections[0], "__debug_info");
	/* Java class files share the fat magic: not taken. */
	assert_int_equal(lsi_binfmt_sniff((const uint8_t *)"\xca\xfe\xba\xbe\0\0\0\x37xxxxxxxxxxxxxxxxxxxxxxxx",
					  32), LSI_BIN_NONE);
}

/* ---- git config ---- */

static void test_git_remote(void **state)
{
	char out[256];
	static const char cfg[] =
		"[core]\n\trepositoryformatversion = 0\n"
		"[branch \"main\"]\n\turl = https://not-a-remote.example/\n"
		"[remote \"origin\"]\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
		"\turl = https://ci:ghp_abc123@github.com/acme/app.git  \r\n";

	(void)state;
	assert_true(lsi_gitdir_config_remote(cfg, strlen(cfg), out, sizeof(out)));
	assert_string_equal(out, "https://ci:***@github.com/acme/app.git");
	assert_true(lsi_gitdir_config_remote("[remote \"x\"]\nurl=\"https://TOKEN@h.example/r\"\n",
					     46, out, sizeof(out)));
	assert_string_equal(out, "https://***@h.example/r");
	assert_true(lsi_gitdir_config_remote("[remote \"o\"]\n url = git@github.com:acme/app.git\n", 49,
					     out, sizeof(out)));
	assert_string_equal(out, "git@github.com:acme/app.git");
	assert_false(lsi_gitdir_config_remote("[core]\nurl = x\n", 15, out, sizeof(out)));
	assert_false(lsi_gitdir_config_remote("", 0, out, sizeof(out)));
}

/* ---- through the API ---- */

static const char api_rules[] =
	"rules:\n"
	"  - id: k\n    category: secret\n    severity: high\n"
	"    pattern: 'key_([a-z0-9]{16})'\n"
	"  - id: bp\n    category: debug-info\n    severity: low\n"
	"    pattern: '/home/[a-z]{1,20}/[a-z/.]{1,100}'\n"
	"  - id: git-directory\n    category: source-exposure\n    severity: high\n"
	"    target: analyzer\n"
	"  - id: binary-debug-info\n    category: debug-info\n    severity: medium\n"
	"    target: analyzer\n";

static char *scan_buf(const void *data, size_t len, size_t *count)
{
	ls_compiler *c;
	ls_rules *r;
	ls_scanner *s;
	struct finding_log sn;

	assert_int_equal(ls_compiler_new(&c), LS_OK);
	assert_int_equal(ls_compiler_add_mem(c, "t.yml", api_rules, strlen(api_rules)), LS_OK);
	assert_int_equal(ls_compiler_finish(c, &r), LS_OK);
	assert_int_equal(ls_scanner_new(r, &s), LS_OK);
	assert_int_equal(ls_scanner_set_param(s, LS_PARAM_MIN_SEVERITY, LS_SEV_INFO), LS_OK);
	lsi_buf_init(&sn.log, 1 << 20);
	sn.count = 0;
	ls_scanner_set_callback(s, finding_log_add, &sn);
	assert_int_equal(ls_scanner_scan_mem(s, data, len, "a.tar"), LS_OK);
	ls_scanner_free(s);
	ls_rules_free(r);
	*count = sn.count;
	lsi_buf_putc(&sn.log, '\0');
	return lsi_buf_steal(&sn.log);
}

static void add_object(struct lsi_buf *tar, const char *name, const char *content)
{
	char raw[512];
	uint8_t z[600];
	uLongf zl = sizeof(z);
	int n = snprintf(raw, sizeof(raw), "blob %zu", strlen(content));

	memcpy(raw + n + 1, content, strlen(content));
	assert_int_equal(compress2(z, &zl, (const uint8_t *)raw, (uLong)(n + 1 + strlen(content)), 6),
			 Z_OK);
	tw_add(tar, name, '0', z, zl, TW_PAX);
}

/* One pack entry: type and size header, @extra (delta base), zlib data. */
static size_t pack_entry(struct lsi_buf *b, int type, const void *data, size_t len,
			 const void *extra, size_t extra_len)
{
	size_t at = b->len, sz = len;
	uint8_t h = (uint8_t)(type << 4 | (sz & 15)), z[1024];
	uLongf zl = sizeof(z);

	sz >>= 4;
	while (sz) {
		lsi_buf_putc(b, (char)(h | 0x80));
		h = sz & 0x7f;
		sz >>= 7;
	}
	lsi_buf_putc(b, (char)h);
	lsi_buf_append(b, extra, extra_len);
	assert_int_equal(compress2(z, &zl, data, (uLong)len, 6), Z_OK);
	lsi_buf_append(b, z, zl);
	return at;
}

static void make_pack(struct lsi_buf *pk, size_t *blob_at, size_t *delta_at)
{
	static const char blob[] = "first\nkey_0123456789abcdef in a pack\n";
	static const uint8_t tree[] = "100644 a\0aaaaaaaaaaaaaaaaaaaa";
	/* sizes 38 -> 43; insert 21 bytes; copy 16 bytes from offset 0; insert 6 */
	static const uint8_t delta[] = "\x26\x2b\x15key_fedcba9876543210 \x90\x10\x06 done";
	uint8_t ofs;

	lsi_buf_init(pk, 1 << 16);
	lsi_buf_append(pk, "PACK\0\0\0\2\0\0\0\3", 12);
	*blob_at = pack_entry(pk, 3, blob, sizeof(blob) - 1, NULL, 0);
	pack_entry(pk, 2, tree, sizeof(tree) - 1, NULL, 0);
	*delta_at = pk->len;
	ofs = (uint8_t)(*delta_at - *blob_at);
	assert_true(ofs < 128);
	pack_entry(pk, 6, delta, sizeof(delta) - 1, &ofs, 1);
	lsi_buf_append(pk, "01234567890123456789", 20);
}

static void test_api_gitdir(void **state)
{
	struct lsi_buf tar;
	struct lsi_buf pk;
	size_t count, blob_at, delta_at;
	char *log;
	char name[256];

	(void)state;
	lsi_buf_init(&tar, 1 << 22);
	tw_add(&tar, "pkg/.git/", '5', NULL, 0, TW_PAX);
	tw_add(&tar, "pkg/.git/HEAD", '0', "ref: refs/heads/main\n", 21, TW_PAX);
	tw_add(&tar, "pkg/.git/config", '0', "[remote \"origin\"]\n\turl = https://x.example/r.git\n",
	       48, TW_PAX);
	tw_add(&tar, "pkg/.git/refs/heads/main", '0', "ab\n", 3, TW_PAX);
	add_object(&tar, "pkg/.git/objects/12/3456789012345678901234567890123456789a",
		   "\nconst k = \"key_0123456789abcdef\";\n");
	add_object(&tar, "pkg/.git/objects/ab/cdef", "key_ffffffffffffffff too short a name\n");
	make_pack(&pk, &blob_at, &delta_at);
	tw_add(&tar, "pkg/.git/objects/pack/pack-1.pack", '0', pk.data, pk.len, TW_PAX);
	tw_add(&tar, "pkg/src/x.js", '0', "ok\n", 3, TW_PAX);
	tw_end(&tar);
	log = scan_buf(tar.data, tar.len, &count);
	assert_int_equal(count, 4);
	assert_non_null(strstr(log, "k a.tar pkg/.git/objects/12/3456789012345678901234567890123456789a @2|\n"));
	/* Objects of a pack by type and offset; a delta by the text it inserts. */
	snprintf(name, sizeof(name), "k a.tar pkg/.git/objects/pack/pack-1.pack blob@%zu @2|\n", blob_at);
	assert_non_null(strstr(log, name));
	snprintf(name, sizeof(name), "k a.tar pkg/.git/objects/pack/pack-1.pack delta@%zu @1|\n", delta_at);
	assert_non_null(strstr(log, name));
	snprintf(name, sizeof(name), "git-directory a.tar pkg/.git @0|{\"objects\":4,\"loose_objects\":1,"
		 "\"packed_objects\":3,\"packs\":1,\"pack_bytes\":%zu,\"refs\":1,"
		 "\"remote\":\"https://x.example/r.git\"}\n", pk.len);
	assert_non_null(strstr(log, name));
	lsi_free(log);

	/* A pack cut short: what came before is scanned, then one damage finding. */
	lsi_buf_reset(&tar);
	tw_add(&tar, ".git/objects/pack/p.pack", '0', pk.data, delta_at + 6, TW_PAX);
	tw_end(&tar);
	log = scan_buf(tar.data, tar.len, &count);
	assert_int_equal(count, 3);
	assert_non_null(strstr(log, "unreadable-member a.tar .git/objects/pack/p.pack delta@"));
	snprintf(name, sizeof(name), "\"packed_objects\":3,\"packs\":1,\"pack_bytes\":%zu,",
		 delta_at + 6);
	assert_non_null(strstr(log, name));
	lsi_free(log);
	lsi_buf_fini(&pk);

	/* More .git folders than tracked: each tracked one reported, one limit finding. */
	lsi_buf_reset(&tar);
	for (int i = 0; i < LSI_GITDIR_MAX_ROOTS + 3; i++) {
		snprintf(name, sizeof(name), "r%02d/.git/HEAD", i);
		tw_add(&tar, name, '0', "x\n", 2, TW_USTAR);
	}
	tw_end(&tar);
	log = scan_buf(tar.data, tar.len, &count);
	assert_int_equal(count, LSI_GITDIR_MAX_ROOTS + 1);
	assert_non_null(strstr(log, "limit-reached a.tar r32/.git/HEAD"));
	assert_null(strstr(log, "r33/.git @"));
	lsi_free(log);
	lsi_buf_fini(&tar);
}

static void test_api_binary(void **state)
{
	size_t cap = 100000, count;
	uint8_t *b = lsi_malloc(cap);
	size_t n = make_elf(b, cap, true, false, NAMES_BEFORE);
	char *log;

	(void)state;
	/* Build paths in the section data: counted into the one finding. */
	memcpy(b + 64 + 24, "/home/ci/src/a.c", 17);      /* .debug_info */
	memcpy(b + 64 + 48, "/home/ci/src/b.c", 17);      /* .debug_line */
	memcpy(b + 64 + 4 * 24 - 8, "/home/ci/src/a.c", 17); /* .symtab */
	log = scan_buf(b, n, &count);
	assert_int_equal(count, 1);
	assert_non_null(strstr(log, "binary-debug-info a.tar @0|{\"format\":\"ELF\",\"sections\":"
				    "[\".debug_info\",\".debug_line\",\".gnu_debuglink\",\".symtab\"],"
				    "\"build_paths\":3,\"examples\":[\"/home/ci/src/a.c\",\"/home/ci/src/b.c\"],"
				    "\"dwarf\":true,\"compressed\":true,\"symbols\":true,"
				    "\"debug_file\":\"tool.debug\"}\n"));
	lsi_free(log);
	/* The same bytes without the ELF magic: per-string findings. */
	b[0] = 'X';
	log = scan_buf(b, n, &count);
	assert_int_equal(count, 3);
	assert_null(strstr(log, "binary-debug-info"));
	lsi_free(log);
	lsi_free(b);
}

static void test_api_encodings(void **state)
{
	/* key_0123456789abcdef inside base64 text, and in UTF-16LE inside a binary. */
	static const char cfg[] = "v: a2V5XzAxMjM0NTY3ODlhYmNkZWYgaXMgdGhlIGtleQo=\n";
	uint8_t bin[256];
	size_t n = 0, count;
	char *log;

	(void)state;
	log = scan_buf(cfg, strlen(cfg), &count);
	assert_int_equal(count, 1);
	assert_string_equal(log, "k a.tar base64@3 @1|\n");
	lsi_free(log);
	bin[n++] = 0;
	bin[n++] = 1;
	n += put_u16(bin + n, "key_0123456789abcdef");
	log = scan_buf(bin, n, &count);
	assert_int_equal(count, 1);
	assert_string_equal(log, "k a.tar utf16le @1|\n");
	lsi_free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_runs),
		cmocka_unit_test(test_b64_wrapped_and_long),
		cmocka_unit_test(test_b64_paths_agree),
		cmocka_unit_test(test_b64_bad_bytes_first),
		cmocka_unit_test(test_text_like),
		cmocka_unit_test(test_text_like_masks),
		cmocka_unit_test(test_b64_in_place_agrees),
		cmocka_unit_test(test_u16),
		cmocka_unit_test(test_u16_paths_agree),
		cmocka_unit_test(test_zlib),
		cmocka_unit_test(test_elf),
		cmocka_unit_test(test_elf_self),
		cmocka_unit_test(test_pe),
		cmocka_unit_test(test_macho),
		cmocka_unit_test(test_git_remote),
		cmocka_unit_test(test_api_gitdir),
		cmocka_unit_test(test_api_binary),
		cmocka_unit_test(test_api_encodings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
