/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The streaming JSON tokenizer: tokens, escapes and surrogates, strict
 * rejection of malformed input, the depth cap, pieces of long strings,
 * skipping. Every document is also fed whole, in 1-byte blocks and in
 * random blocks: the token listing must not change.
 */
#include "helpers/test_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/json_read.h"

/* Renders every token as text: "{@0:0 K<a>@1:1 ..." */
static void dump(const char *in, size_t len, size_t chunk, unsigned seed, size_t piece_cap,
		 int max_depth, struct lsi_buf *out)
{
	uint8_t piece[256];
	struct lsi_jr r;
	size_t pos = 0;

	assert_true(piece_cap <= sizeof(piece));
	lsi_jr_init(&r, piece, piece_cap, max_depth);
	for (int guard = 0; guard < 1000000; guard++) {
		struct lsi_jr_event ev;
		enum lsi_jr_tok t = lsi_jr_next(&r, &ev);

		if (t == LSI_JR_NEED_INPUT) {
			size_t n = chunk ? chunk : 1 + (size_t)(rand_r(&seed) % 23);

			if (pos == len) {
				lsi_jr_finish(&r);
				continue;
			}
			if (n > len - pos)
				n = len - pos;
			lsi_jr_feed(&r, (const uint8_t *)in + pos, n);
			pos += n;
			continue;
		}
		switch (t) {
		case LSI_JR_ERROR:
			lsi_buf_printf(out, "ERR%d:%s", (int)r.err_kind, r.err);
			return;
		case LSI_JR_END:
			lsi_buf_printf(out, "END@%llu", (unsigned long long)ev.offset);
			return;
		case LSI_JR_OBJ_BEGIN: lsi_buf_puts(out, "{"); break;
		case LSI_JR_OBJ_END: lsi_buf_puts(out, "}"); break;
		case LSI_JR_ARR_BEGIN: lsi_buf_puts(out, "["); break;
		case LSI_JR_ARR_END: lsi_buf_puts(out, "]"); break;
		case LSI_JR_TRUE: lsi_buf_puts(out, "T"); break;
		case LSI_JR_FALSE: lsi_buf_puts(out, "F"); break;
		case LSI_JR_NULL: lsi_buf_puts(out, "Z"); break;
		case LSI_JR_NUM:
			lsi_buf_printf(out, "N%.*s%s", (int)ev.n, (const char *)ev.p,
				       ev.truncated ? "..." : "");
			break;
		case LSI_JR_KEY:
		case LSI_JR_STR:
			lsi_buf_puts(out, t == LSI_JR_KEY ? "K" : "S");
			if (ev.first)
				lsi_buf_putc(out, '<');
			for (size_t i = 0; i < ev.n; i++) {
				uint8_t c = ev.p[i];

				if (c >= 0x20 && c < 0x7f)
					lsi_buf_putc(out, (char)c);
				else
					lsi_buf_printf(out, "\\x%02x", c);
			}
			if (ev.last)
				lsi_buf_putc(out, '>');
			break;
		default:
			fail();
		}
		lsi_buf_printf(out, "@%d:%llu ", ev.depth, (unsigned long long)ev.offset);
	}
	fail_msg("no progress");
}

/* Whole, 1-byte and random blocks agree; returns the listing. */
static char *tokens_cap(const char *in, size_t piece_cap, int max_depth)
{
	static const size_t chunks[] = { 1 << 20, 1, 2, 3, 0, 0, 0 };
	struct lsi_buf first;
	size_t len = strlen(in);

	lsi_buf_init(&first, 1 << 20);
	dump(in, len, chunks[0], 0, piece_cap, max_depth, &first);
	for (int cap = 1; cap <= 2; cap++) {
		/* The same whole, with string runs scanned without VBMI2's
		 * decoding, then without AVX-512. */
		struct lsi_buf b;

		lsi_buf_init(&b, 1 << 20);
		lsi_jr_isa_cap = cap;
		dump(in, len, chunks[0], 0, piece_cap, max_depth, &b);
		lsi_jr_isa_cap = 0;
		if (strcmp(lsi_buf_str(&first), lsi_buf_str(&b)) != 0)
			fail_msg("instruction sets differ (cap %d) for %s:\n%s\n%s", cap, in,
				 lsi_buf_str(&first), lsi_buf_str(&b));
		lsi_buf_fini(&b);
	}
	for (size_t i = 1; i < sizeof(chunks) / sizeof(*chunks); i++) {
		struct lsi_buf b;

		lsi_buf_init(&b, 1 << 20);
		dump(in, len, chunks[i], (unsigned)i * 7919u, piece_cap, max_depth, &b);
		if (strcmp(lsi_buf_str(&first), lsi_buf_str(&b)) != 0)
			fail_msg("split %zu differs for %s:\n%s\n%s", chunks[i], in, lsi_buf_str(&first),
				 lsi_buf_str(&b));
		lsi_buf_fini(&b);
	}
	return lsi_buf_steal(&first);
}

static char *tokens(const char *in)
{
	return tokens_cap(in, 64, 64);
}

#define EXPECT(in, want)                                  \
	do {                                              \
		char *got_ = tokens(in);                  \
		assert_string_equal(got_, want);          \
		lsi_free(got_);                           \
	} while (0)

static void free_str(char *s)
{
	lsi_free(s);
}

static void test_values(void **state)
{
	(void)state;
	EXPECT("{\"a\":[1,-2.5e+3,true,false,null,\"x\"],\"b\":{}} \n",
	       "{@0:0 K<a>@1:1 [@1:5 N1@2:6 N-2.5e+3@2:8 T@2:16 F@2:21 Z@2:27 S<x>@2:32 ]@1:35 "
	       "K<b>@1:37 {@1:41 }@1:42 }@0:43 END@46");
	EXPECT("  42 ", "N42@0:2 END@5");
	EXPECT("\"\"", "S<>@0:0 END@2");
	EXPECT("[]", "[@0:0 ]@0:1 END@2");
	EXPECT("0", "N0@0:0 END@1");
	EXPECT("-0.0E-0", "N-0.0E-0@0:0 END@7");
	EXPECT("[123456789012345678901234567890123456789]",
	       "[@0:0 N12345678901234567890123456789012...@1:1 ]@0:40 END@41");
}

static void test_escapes(void **state)
{
	(void)state;
	EXPECT("\"a\\n\\t\\r\\b\\f\\/\\\\\\\"z\"",
	       "S<a\\x0a\\x09\\x0d\\x08\\x0c/\\\"z>@0:0 END@20");
	EXPECT("\"\\u00e9\\u20AC\\u0000\"", "S<\\xc3\\xa9\\xe2\\x82\\xac\\x00>@0:0 END@20");
	/* A surrogate pair is one 4-byte UTF-8 sequence. */
	EXPECT("\"\\ud83d\\ude00\"", "S<\\xf0\\x9f\\x98\\x80>@0:0 END@14");
	/* Lone surrogates become U+FFFD; what follows them is kept. */
	EXPECT("\"\\ud800x\"", "S<\\xef\\xbf\\xbdx>@0:0 END@9");
	EXPECT("\"\\udc00\"", "S<\\xef\\xbf\\xbd>@0:0 END@8");
	EXPECT("\"\\ud800\\n\"", "S<\\xef\\xbf\\xbd\\x0a>@0:0 END@10");
	EXPECT("\"\\ud800\\ud83d\\ude00\"", "S<\\xef\\xbf\\xbd\\xf0\\x9f\\x98\\x80>@0:0 END@20");
	EXPECT("\"\\ud800\"", "S<\\xef\\xbf\\xbd>@0:0 END@8");
	/* Bytes above 0x7f pass as they are. */
	EXPECT("\"\xc3\xa9\xff\"", "S<\\xc3\\xa9\\xff>@0:0 END@5");
}

static void test_errors(void **state)
{
	(void)state;
	/* What a bad string held before the fault is still delivered. */
	EXPECT("\"abc", "S<abc@0:0 ERR2:input ended inside a JSON string that began at byte 0");
	EXPECT("", "ERR2:input ended inside JSON at byte 0");
	EXPECT("{\"a\":1", "{@0:0 K<a>@1:1 N1@1:5 ERR2:input ended inside JSON at byte 6");
	EXPECT("[-", "[@0:0 ERR2:input ended inside a number at byte 1");
	EXPECT("[tru", "[@0:0 ERR2:input ended inside 'true' at byte 1");
	EXPECT("\"a\\x\"", "S<a@0:0 ERR1:invalid escape \\'x' in a JSON string at byte 2");
	EXPECT("\"\\u12G4\"", "ERR1:invalid \\u escape ('G') in a JSON string at byte 5");
	EXPECT("\"a\nb\"", "S<a@0:0 ERR1:control character 0x0a inside a JSON string at byte 2");
	EXPECT("[1,]", "[@0:0 N1@1:1 ERR1:unexpected ']' in JSON at byte 3");
	EXPECT("[1 2]", "[@0:0 N1@1:1 ERR1:unexpected '2' in JSON at byte 3");
	EXPECT("{\"a\" 1}", "{@0:0 K<a>@1:1 ERR1:unexpected '1' in JSON at byte 5");
	EXPECT("{,}", "{@0:0 ERR1:unexpected ',' in JSON at byte 1");
	EXPECT("{1:2}", "{@0:0 ERR1:unexpected '1' in JSON at byte 1");
	EXPECT("[01]", "[@0:0 ERR1:number with a leading zero at byte 1");
	EXPECT("[1.]", "[@0:0 ERR1:malformed number (']') at byte 3");
	EXPECT("[--1]", "[@0:0 ERR1:malformed number ('-') at byte 2");
	EXPECT("[1e]", "[@0:0 ERR1:malformed number (']') at byte 3");
	EXPECT("nul", "ERR2:input ended inside 'null' at byte 0");
	EXPECT("nulL", "ERR1:unexpected 'L' in JSON at byte 3");
	EXPECT("{} x", "{@0:0 }@0:1 ERR1:data after the end of the JSON value at byte 3");
	EXPECT("{}{}", "{@0:0 }@0:1 ERR1:data after the end of the JSON value at byte 2");
	EXPECT("\x89PNG", "ERR1:unexpected 0x89 in JSON at byte 0");
	EXPECT("[\"a\"}", "[@0:0 S<a>@1:1 ERR1:unexpected '}' in JSON at byte 4");
}

static void test_depth(void **state)
{
	char deep[300];
	char *got;

	(void)state;
	got = tokens_cap("[[[1]]]", 64, 3);
	assert_string_equal(got, "[@0:0 [@1:1 [@2:2 N1@3:3 ]@2:4 ]@1:5 ]@0:6 END@7");
	free_str(got);
	got = tokens_cap("[[[[1]]]]", 64, 3);
	assert_string_equal(got, "[@0:0 [@1:1 [@2:2 ERR3:JSON nested deeper than 3 levels at byte 3");
	free_str(got);
	/* The hard ceiling holds whatever the caller asks for. */
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = 0;
	got = tokens_cap(deep, 64, 100000);
	assert_non_null(strstr(got, "ERR3:JSON nested deeper than 256 levels at byte 256"));
	free_str(got);
}

static void test_pieces(void **state)
{
	char *got;

	(void)state;
	/* Pieces of at most 8 bytes; an escape's output never straddles two. */
	got = tokens_cap("[\"abcdefghijklmnopqrs\",\"ab\\u00e9cdefgh\\n\"]", 8, 8);
	assert_string_equal(got, "[@0:0 S<abcdefgh@1:1 Sijklmnop@1:1 Sqrs>@1:1 "
				 "S<ab@1:23 S\\xc3\\xa9cdefgh@1:23 S\\x0a>@1:23 ]@0:41 END@42");
	free_str(got);
	/* A key, too, arrives in pieces. */
	got = tokens_cap("{\"0123456789\":null}", 8, 8);
	assert_string_equal(got, "{@0:0 K<01234567@1:1 K89>@1:1 Z@1:14 }@0:18 END@19");
	free_str(got);
}

static void test_skip(void **state)
{
	uint8_t piece[8];
	struct lsi_jr r;
	struct lsi_jr_event ev;
	const char *doc = "[\"abcdefghijkl\\u00e9mnopqrstuvwxyz\",7]";

	(void)state;
	lsi_jr_init(&r, piece, sizeof(piece), 4);
	lsi_jr_feed(&r, (const uint8_t *)doc, strlen(doc));
	assert_int_equal(lsi_jr_next(&r, &ev), LSI_JR_ARR_BEGIN);
	assert_int_equal(lsi_jr_next(&r, &ev), LSI_JR_STR);
	assert_true(ev.first && !ev.last && ev.n == 8);
	lsi_jr_skip_string(&r);
	assert_int_equal(lsi_jr_next(&r, &ev), LSI_JR_NUM);
	assert_memory_equal(ev.p, "7", 1);
	assert_int_equal(lsi_jr_next(&r, &ev), LSI_JR_ARR_END);
	assert_int_equal(lsi_jr_next(&r, &ev), LSI_JR_NEED_INPUT);
	lsi_jr_finish(&r);
	assert_int_equal(lsi_jr_next(&r, &ev), LSI_JR_END);
	assert_int_equal(lsi_jr_next(&r, &ev), LSI_JR_END);
	assert_int_equal(lsi_jr_offset(&r), strlen(doc));
	/* Errors are sticky; a too-small piece buffer is refused. */
	lsi_jr_init(&r, piece, 4, 4);
	assert_int_equal(lsi_jr_next(&r, &ev), LSI_JR_ERROR);
	assert_int_equal(lsi_jr_next(&r, &ev), LSI_JR_ERROR);
}

/* A skipped string still fails on bad escapes and at a missing quote. */
static void test_skip_validates(void **state)
{
	uint8_t piece[8];
	struct lsi_jr r;
	struct lsi_jr_event ev;
	const char *doc = "[\"abcdefghijkl\\q\"]";

	(void)state;
	lsi_jr_init(&r, piece, sizeof(piece), 4);
	lsi_jr_feed(&r, (const uint8_t *)doc, strlen(doc));
	assert_int_equal(lsi_jr_next(&r, &ev), LSI_JR_ARR_BEGIN);
	assert_int_equal(lsi_jr_next(&r, &ev), LSI_JR_STR);
	lsi_jr_skip_string(&r);
	assert_int_equal(lsi_jr_next(&r, &ev), LSI_JR_ERROR);
	assert_int_equal(r.err_kind, LSI_JR_E_SYNTAX);
}

/* Random documents of every token kind: all splits agree, nothing crashes. */
static void test_random_split(void **state)
{
	static const char *const parts[] = {
		"{", "}", "[", "]", ",", ":", "\"k\"", "\"a\\u00e9\\ud83d\\ude00\\n\"", "12", "-3.5e7",
		"true", "false", "null", " ", "\"\\u12", "\\", "\"", "0", "\n",
	};
	unsigned seed = 12345;

	(void)state;
	for (int i = 0; i < 400; i++) {
		char doc[400] = "";
		int n = 1 + (int)(rand_r(&seed) % 30);

		for (int k = 0; k < n; k++)
			strcat(doc, parts[rand_r(&seed) % (sizeof(parts) / sizeof(*parts))]);
		free_str(tokens_cap(doc, 8 + (size_t)(i % 5), 6));
	}
}

/*
 * Long strings of source-like text (escapes every few bytes, a \\u escape,
 * now and then a control byte or a cut end): pieces and errors agree for
 * every split and piece size, so the 64-byte path changes nothing.
 */
static void test_long_strings_split(void **state)
{
	static const char *const bits[] = {
		"const x = 1;", "\\n", "\\\"", "\\\\", "\\t", "\\u00e9", "\\/", "  ", "a",
		"\xc3\xa9", "function f() { return 'y'; }", "\\n\\n",
	};
	unsigned seed = 4242;
	char *doc = lsi_malloc(8192);

	(void)state;
	assert_non_null(doc);
	for (int i = 0; i < 300; i++) {
		size_t cap = 64 + (size_t)(rand_r(&seed) % 193);
		int strings = 1 + (int)(rand_r(&seed) % 3);

		strcpy(doc, "[");
		for (int k = 0; k < strings; k++) {
			int n = (int)(rand_r(&seed) % 200);

			strcat(doc, k ? ",\"" : "\"");
			for (int b = 0; b < n && strlen(doc) < 7000; b++)
				strcat(doc, bits[rand_r(&seed) % (sizeof(bits) / sizeof(*bits))]);
			if (i % 37 == 5 && k == 0)
				strcat(doc, "\x01"); /* a control byte: a syntax error */
			strcat(doc, "\"");
		}
		if (i % 41 != 7) /* else cut inside the last string */
			strcat(doc, ",7]");
		else
			doc[strlen(doc) - 1] = '\0';
		free_str(tokens_cap(doc, cap, 8));
	}
	lsi_free(doc);
}

/* A long skipped string with escapes ends where it should. */
static void test_skip_long(void **state)
{
	uint8_t piece[128];
	struct lsi_jr r;
	struct lsi_jr_event ev;
	char doc[1024] = "[\"";

	(void)state;
	for (int i = 0; i < 40; i++)
		strcat(doc, "line \\\"x\\\" \\n");
	strcat(doc, "\",7]");
	lsi_jr_init(&r, piece, sizeof(piece), 4);
	lsi_jr_feed(&r, (const uint8_t *)doc, strlen(doc));
	assert_int_equal(lsi_jr_next(&r, &ev), LSI_JR_ARR_BEGIN);
	assert_int_equal(lsi_jr_next(&r, &ev), LSI_JR_STR);
	lsi_jr_skip_string(&r);
	assert_int_equal(lsi_jr_next(&r, &ev), LSI_JR_NUM);
	assert_int_equal(ev.offset, strlen(doc) - 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_skip_validates),
		cmocka_unit_test(test_random_split),
		cmocka_unit_test(test_long_strings_split),
		cmocka_unit_test(test_skip_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
