/* SPDX-License-Identifier: Apache-2.0 */
/* util/: bounded buffers, the JSON writer, terminal escaping, UTF-8, hashing. */
#include "helpers/test_common.h"

#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/escape.h"
#include "util/hash.h"
#include "util/json_write.h"
#include "util/utf8.h"

static void test_buf_cap(void **state)
{
	struct lsi_buf b;

	(void)state;
	lsi_buf_init(&b, 8);
	assert_true(lsi_buf_puts(&b, "12345678"));
	assert_false(lsi_buf_putc(&b, '9'));
	assert_int_equal(b.len, 8);
	assert_string_equal(lsi_buf_str(&b), "12345678");
	lsi_buf_reset(&b);
	assert_true(lsi_buf_printf(&b, "%d-%s", 42, "x"));
	assert_string_equal(lsi_buf_str(&b), "42-x");
	assert_false(lsi_buf_printf(&b, "%s", "too long!"));
	lsi_buf_fini(&b);
}

static void test_buf_oom(void **state)
{
	struct lsi_buf b;

	(void)state;
	lsi_buf_init(&b, 1000);
	lsi_alloc_fail_after(0);
	assert_false(lsi_buf_puts(&b, "x"));
	lsi_alloc_fail_after(-1);
	assert_true(lsi_buf_puts(&b, "x"));
	lsi_buf_fini(&b);
}

static void test_grow(void **state)
{
	uint64_t *a = NULL;
	size_t cap = 0;

	(void)state;
	assert_true(lsi_grow(&a, &cap, 1, sizeof(*a), 4));
	assert_int_equal(cap, 4);
	a[3] = 7;
	assert_true(lsi_grow(&a, &cap, 4, sizeof(*a), 4)); /* fits: unchanged */
	assert_int_equal(cap, 4);
	assert_true(lsi_grow(&a, &cap, 9, sizeof(*a), 4)); /* doubles past the need */
	assert_int_equal(cap, 16);
	assert_int_equal(a[3], 7);
	lsi_alloc_fail_after(0);
	assert_false(lsi_grow(&a, &cap, 17, sizeof(*a), 4)); /* OOM: left as it was */
	lsi_alloc_fail_after(-1);
	assert_int_equal(cap, 16);
	assert_int_equal(a[3], 7);
	assert_false(lsi_grow(&a, &cap, SIZE_MAX / 4, sizeof(*a), 4)); /* overflow */
	assert_int_equal(cap, 16);
	lsi_free(a);
}

static void test_json(void **state)
{
	struct lsi_buf b;
	struct lsi_json j;

	(void)state;
	lsi_buf_init(&b, 4096);
	lsi_json_init(&j, &b, false);
	lsi_json_obj_begin(&j);
	lsi_json_key(&j, "a\"b");
	lsi_json_str(&j, "x\n\x01\xff\xc3\xa9", 6);
	lsi_json_key(&j, "n");
	lsi_json_arr_begin(&j);
	lsi_json_int(&j, -3);
	lsi_json_uint(&j, 18446744073709551615ull);
	lsi_json_null(&j);
	lsi_json_bool(&j, true);
	lsi_json_arr_end(&j);
	lsi_json_key(&j, "e");
	lsi_json_obj_begin(&j);
	lsi_json_obj_end(&j);
	lsi_json_obj_end(&j);
	assert_true(j.ok);
	assert_string_equal(lsi_buf_str(&b),
			    "{\"a\\\"b\":\"x\\n\\u0001\\ufffd\xc3\xa9\",\"n\":[-3,"
			    "18446744073709551615,null,true],\"e\":{}}");
	lsi_buf_fini(&b);
}

static void test_escape(void **state)
{
	struct lsi_buf b;

	(void)state;
	lsi_buf_init(&b, 4096);
	assert_true(lsi_escape_term(&b, "a\033[31mb\r\n\x7f\xc2\x9b\xc3\xa9\xff", 15));
	assert_string_equal(lsi_buf_str(&b), "a\\x1b[31mb\\r\\n\\x7f\\xc2\\x9b\xc3\xa9\\xff");
	/* Bidirectional overrides and isolates, zero-width characters and the
	 * byte order mark change what a name looks like: escaped; other
	 * characters (a euro sign, an emoji) stay. */
	lsi_buf_reset(&b);
	assert_true(lsi_escape_term(&b, "invoice\xe2\x80\xaesj.exe \xe2\x81\xa7x\xe2\x81\xa9 "
				       "\xe2\x80\x8b\xef\xbb\xbf\xd8\x9c \xe2\x82\xac\xf0\x9f\x98\x80", 41));
	assert_string_equal(lsi_buf_str(&b), "invoice\\u202esj.exe \\u2067x\\u2069 \\u200b\\ufeff"
					     "\\u061c \xe2\x82\xac\xf0\x9f\x98\x80");
	lsi_buf_fini(&b);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_int_equal(lsi_utf8_valid_len((const uint8_t *)"\xc3\xa9", 2), 2);
	assert_int_equal(lsi_utf8_valid_len((const uint8_t *)"\xe2\x82\xac", 3), 3);
	assert_int_equal(lsi_utf8_valid_len((const uint8_t *)"\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(lsi_utf8_valid_len((const uint8_t *)"\xc0\xaf", 2), 0);     /* overlong */
	assert_int_equal(lsi_utf8_valid_len((const uint8_t *)"\xed\xa0\x80", 3), 0); /* surrogate */
	assert_int_equal(lsi_utf8_valid_len((const uint8_t *)"\xe2\x82", 2), 0);     /* short */
	assert_int_equal(lsi_utf8_valid_len((const uint8_t *)"\xf5\x80\x80\x80", 4), 0);
}

static void test_hash(void **state)
{
	char hex[65];

	(void)state;
	lsi_sha256_hex("a", 1, "bc", 2, hex, 64);
	assert_int_equal(strlen(hex), 64);
	{
		char other[65];

		lsi_sha256_hex("ab", 2, "c", 1, other, 64);
		assert_string_not_equal(hex, other);
	}
	lsi_sha256_hex("", 0, "", 0, hex, 8);
	assert_int_equal(strlen(hex), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),  cmocka_unit_test(test_buf_oom),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_json),     cmocka_unit_test(test_escape),
		cmocka_unit_test(test_utf8),     cmocka_unit_test(test_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
