/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inline source maps: base64 runs whose decoded text is a source map are
 * read as the source-map container (core/dataobs.c, through the pipeline
 * hook lsi_pipeline_scan_sourcemap), with their sources as members, the
 * map's finding under "base64@OFFSET", and no second, textual scan of the
 * JSON. Runs that are no map, maps over max-member-bytes or max-depth,
 * and damaged maps keep today's text scan or end in damage findings.
 */
#include "helpers/test_common.h"

#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "helpers/finding_log.h"
#include "leakscan.h"
#include "util/alloc.h"
#include "util/buf.h"

static const char rules_yml[] =
	"rules:\n"
	"  - id: k\n    category: secret\n    severity: high\n"
	"    pattern: 'key_([a-z0-9]{16})'\n"
	"  - id: sourcemap-sources-content\n    category: source-exposure\n"
	"    severity: critical\n    target: analyzer\n";

struct fixture {
	ls_rules *rules;
	ls_scanner *s;
	struct finding_log seen;
	struct lsi_buf map, js, want; /* a test's map, the file around it, the log it wants */
};

static void setup(struct fixture *fx)
{
	ls_compiler *c;

	assert_int_equal(ls_compiler_new(&c), LS_OK);
	assert_int_equal(ls_compiler_add_mem(c, "t.yml", rules_yml, strlen(rules_yml)), LS_OK);
	assert_int_equal(ls_compiler_finish(c, &fx->rules), LS_OK);
	assert_int_equal(ls_scanner_new(fx->rules, &fx->s), LS_OK);
	assert_int_equal(ls_scanner_set_param(fx->s, LS_PARAM_MIN_SEVERITY, LS_SEV_INFO), LS_OK);
	lsi_buf_init(&fx->seen.log, 1 << 20);
	fx->seen.count = 0;
	ls_scanner_set_callback(fx->s, finding_log_add, &fx->seen);
	lsi_buf_init(&fx->map, 1 << 20);
	lsi_buf_init(&fx->js, 1 << 20);
	lsi_buf_init(&fx->want, 1 << 16);
}

static void teardown(struct fixture *fx)
{
	lsi_buf_fini(&fx->map);
	lsi_buf_fini(&fx->js);
	lsi_buf_fini(&fx->want);
	lsi_buf_fini(&fx->seen.log);
	ls_scanner_free(fx->s);
	ls_rules_free(fx->rules);
}

/* Scans @data as one file named "a.js"; the log of its findings. */
static const char *scan(struct fixture *fx, const struct lsi_buf *data)
{
	lsi_buf_reset(&fx->seen.log);
	fx->seen.count = 0;
	assert_int_equal(ls_scanner_scan_mem(fx->s, data->data, data->len, "a.js"), LS_OK);
	/* Every byte held for a map was given back. */
	assert_int_equal(fx->s->mem_held, 0);
	return lsi_buf_str(&fx->seen.log);
}

static void put_b64(struct lsi_buf *b, const char *p, size_t n)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)p[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)(uint8_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= (uint8_t)p[i + 2];
		lsi_buf_putc(b, al[v >> 18 & 63]);
		lsi_buf_putc(b, al[v >> 12 & 63]);
		lsi_buf_putc(b, i + 1 < n ? al[v >> 6 & 63] : '=');
		lsi_buf_putc(b, i + 2 < n ? al[v & 63] : '=');
	}
}

#define KEY "key_0123456789abcdef"
#define MAP "{\"version\":3,\"sources\":[\"src/a.ts\",\"node_modules/x/i.js\"]," \
	    "\"sourcesContent\":[\"// a\\n\\nconst k = '" KEY "';\\n\",\"x\\n\"]," \
	    "\"mappings\":\"AAAA\"}"
#define URL "//# sourceMappingURL=data:application/json;charset=utf-8;base64,"
#define DETAILS "{\"sources\":2,\"sources_with_content\":2,\"first_party_sources\":1," \
		"\"first_party_lines\":3,\"first_party_bytes\":40," \
		"\"top_directories\":[{\"dir\":\"src/\",\"files\":1}]}"

/* "var a;\n" + URL + base64(@map) + @tail; *at gets the run's offset. */
static void js_with(struct lsi_buf *b, const char *map, size_t map_len, const char *tail,
		    size_t *at)
{
	lsi_buf_reset(b);
	lsi_buf_puts(b, "var a;\n" URL);
	*at = b->len;
	put_b64(b, map, map_len);
	lsi_buf_puts(b, tail);
}

/* The hook on its own: a map at the current path, read as the container. */
static void test_hook(void **state)
{
	static const char broken[] = "{\"version\":3,\"sources\":[\"a.ts\",\"b.ts\"],"
				     "\"sourcesContent\":[\"" KEY "\",\"\\q\"]}";
	static const char want_head[] = "k m a.ts @1|\nsourcemap-sources-content m @0|";
	struct fixture fx;

	(void)state;
	setup(&fx);
	fx.s->path[0] = "m";
	fx.s->path_count = 1;
	assert_int_equal(lsi_pipeline_scan_sourcemap(fx.s, (const uint8_t *)MAP, strlen(MAP), 0),
			 LS_OK);
	assert_int_equal(fx.s->path_count, 1);
	assert_string_equal(lsi_buf_str(&fx.seen.log),
			    "k m src/a.ts @3|\n"
			    "sourcemap-sources-content m @0|" DETAILS "\n");
	/* Damage: what was read is scanned and counted, then the damage. */
	lsi_buf_reset(&fx.seen.log);
	fx.seen.count = 0;
	assert_int_equal(lsi_pipeline_scan_sourcemap(fx.s, (const uint8_t *)broken,
						     strlen(broken), 0), LS_OK);
	assert_int_equal(fx.seen.count, 3);
	assert_true(strncmp(lsi_buf_str(&fx.seen.log), want_head, strlen(want_head)) == 0);
	assert_non_null(strstr(lsi_buf_str(&fx.seen.log),
			       "\"complete\":false}\nunreadable-member m @0|source map: invalid escape"));
	teardown(&fx);
}

static void test_inline(void **state)
{
	struct fixture fx;
	size_t at;

	(void)state;
	setup(&fx);
	/* The key is reported once, in its source at its own line; the map after. */
	js_with(&fx.js, MAP, strlen(MAP), "\n", &at);
	lsi_buf_printf(&fx.want, "k a.js base64@%zu src/a.ts @3|\n"
			      "sourcemap-sources-content a.js base64@%zu @0|" DETAILS "\n", at, at);
	assert_string_equal(scan(&fx, &fx.js), lsi_buf_str(&fx.want));
	/* At the very end of the member, and in CSS. */
	js_with(&fx.js, MAP, strlen(MAP), "", &at);
	assert_string_equal(scan(&fx, &fx.js), lsi_buf_str(&fx.want));
	lsi_buf_reset(&fx.js);
	lsi_buf_puts(&fx.js, ".a{}\n/*# sourceMappingURL=data:application/json;base64,");
	at = fx.js.len;
	put_b64(&fx.js, MAP, strlen(MAP));
	lsi_buf_puts(&fx.js, " */\n");
	lsi_buf_reset(&fx.want);
	lsi_buf_printf(&fx.want, "k a.js base64@%zu src/a.ts @3|\n", at);
	assert_non_null(strstr(scan(&fx, &fx.js), lsi_buf_str(&fx.want)));
	assert_int_equal(fx.seen.count, 2);
	teardown(&fx);
}

/* Heads the pipeline's sniffer takes for a map, and JSON it does not. */
static void test_heads(void **state)
{
	static const char *const maps[] = { "\xef\xbb\xbf" MAP, " \n" MAP, ")]}'\n" MAP };
	static const char not_map[] = "{\"auths\":{\"r.example\":{\"auth\":\"x\"}},\"t\":\"" KEY "\"}";
	struct fixture fx;
	size_t at;
	char want[128];

	(void)state;
	setup(&fx);
	for (size_t i = 0; i < sizeof(maps) / sizeof(*maps); i++) {
		js_with(&fx.js, maps[i], strlen(maps[i]), "\n", &at);
		snprintf(want, sizeof(want), "k a.js base64@%zu src/a.ts @3|\n", at);
		assert_true(strncmp(scan(&fx, &fx.js), want, strlen(want)) == 0);
		assert_int_equal(fx.seen.count, 2);
	}
	js_with(&fx.js, not_map, strlen(not_map), "\n", &at);
	snprintf(want, sizeof(want), "k a.js base64@%zu @1|\n", at);
	assert_string_equal(scan(&fx, &fx.js), want);
	teardown(&fx);
}

/* Two maps in one member, one of them inside base64 text: in the order their runs end. */
static void test_nested_and_many(void **state)
{
	struct fixture fx;
	struct lsi_buf inner;
	size_t at1, at2, at_in;

	(void)state;
	setup(&fx);
	lsi_buf_init(&inner, 1 << 20);
	/* A bundle shipped as base64 text, with its own inline map. */
	js_with(&inner, MAP, strlen(MAP), "\n", &at_in);
	js_with(&fx.js, MAP, strlen(MAP), "\nvar b = \"", &at1);
	at2 = fx.js.len;
	put_b64(&fx.js, (const char *)inner.data, inner.len);
	lsi_buf_puts(&fx.js, "\";\n");
	lsi_buf_printf(&fx.want, "k a.js base64@%zu src/a.ts @3|\n"
			      "sourcemap-sources-content a.js base64@%zu @0|" DETAILS "\n"
			      "k a.js base64@%zu base64@%zu src/a.ts @3|\n"
			      "sourcemap-sources-content a.js base64@%zu base64@%zu @0|" DETAILS "\n",
		       at1, at1, at2, at_in, at2, at_in);
	assert_string_equal(scan(&fx, &fx.js), lsi_buf_str(&fx.want));
	lsi_buf_fini(&inner);
	teardown(&fx);
}

/* Over the memory cap or the depth: a limit finding and today's text scan. */
static void test_limits(void **state)
{
	struct fixture fx;
	size_t at;

	(void)state;
	setup(&fx);
	lsi_buf_puts(&fx.map, "{\"version\":3,\"sources\":[\"a.ts\"],\"sourcesContent\":[\"" KEY);
	for (int i = 0; i < 20000; i++)
		lsi_buf_puts(&fx.map, "\\nline");
	lsi_buf_puts(&fx.map, "\"]}");
	js_with(&fx.js, (const char *)fx.map.data, fx.map.len, "\n", &at);
	assert_int_equal(ls_scanner_set_param(fx.s, LS_PARAM_MAX_MEMBER_BYTES, 64 << 10), LS_OK);
	lsi_buf_printf(&fx.want, "limit-reached a.js base64@%zu @0|max-member-bytes: source map "
			      "decoded from base64 is larger than 65536 bytes; scanned as text\n"
			      "k a.js base64@%zu @1|\n", at, at);
	assert_string_equal(scan(&fx, &fx.js), lsi_buf_str(&fx.want));
	assert_int_equal(ls_scanner_set_param(fx.s, LS_PARAM_MAX_MEMBER_BYTES, 1 << 20), LS_OK);
	assert_int_equal(fx.seen.count, 2);
	assert_null(strstr(scan(&fx, &fx.js), "limit-reached"));
	assert_int_equal(fx.seen.count, 2); /* the key in a.ts, the map */
	assert_int_equal(ls_scanner_set_param(fx.s, LS_PARAM_MAX_DEPTH, 1), LS_OK);
	lsi_buf_reset(&fx.want);
	lsi_buf_printf(&fx.want, "limit-reached a.js base64@%zu @0|max-depth: source map decoded "
			      "from base64 nested deeper than 1 level; scanned as text\n"
			      "k a.js base64@%zu @1|\n", at, at);
	assert_string_equal(scan(&fx, &fx.js), lsi_buf_str(&fx.want));
	teardown(&fx);
}

/* Cut base64 and broken JSON: damage findings, and what was read is kept. */
static void test_damaged(void **state)
{
	static const char pad[] = "{\"version\":3,\"sources\":[\"a.ts\",\"b.ts\"],\"sourcesContent\":["
				  "\"//////////////////////////////////////////////////////////"
				  "//////////////////////////////////////////////////////////"
				  "//////////////////////////////////////////////////////////"
				  "//////////////////////////////////////////////////////////"
				  "//////////////////////////////////////////////////////////"
				  "//////////////////////////////////////////////////////////"
				  "//////////////////////////////////////////////////////////"
				  "//////////////////////////////////////////////////////////"
				  "//////////////////////////////////////////////////////////"
				  "\\n" KEY "\\n\",\"";
	struct fixture fx;
	size_t at;
	const char *log;

	(void)state;
	setup(&fx);
	/* Base64 of a map cut inside its second source. */
	lsi_buf_puts(&fx.map, pad);
	lsi_buf_puts(&fx.map, "more text of b.ts");
	js_with(&fx.js, (const char *)fx.map.data, fx.map.len, "", &at);
	lsi_buf_printf(&fx.want, "k a.js base64@%zu a.ts @2|\n"
			      "unreadable-member a.js base64@%zu b.ts @0|source map: input ended "
			      "inside a JSON string", at, at);
	log = scan(&fx, &fx.js);
	assert_true(strncmp(log, lsi_buf_str(&fx.want), fx.want.len) == 0);
	assert_non_null(strstr(log, "\"complete\":false}\n"));
	assert_int_equal(fx.seen.count, 3);
	/* Whole base64 of a map whose second source has a bad escape. */
	lsi_buf_puts(&fx.map, "\\q\"]}");
	js_with(&fx.js, (const char *)fx.map.data, fx.map.len, "\n", &at);
	lsi_buf_reset(&fx.want);
	lsi_buf_printf(&fx.want, "k a.js base64@%zu a.ts @2|\n"
			      "unreadable-member a.js base64@%zu b.ts @0|source map: invalid escape",
		       at, at);
	log = scan(&fx, &fx.js);
	assert_true(strncmp(log, lsi_buf_str(&fx.want), fx.want.len) == 0);
	assert_int_equal(fx.seen.count, 3);
	teardown(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hook),
		cmocka_unit_test(test_inline),
		cmocka_unit_test(test_heads),
		cmocka_unit_test(test_nested_and_many),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_damaged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
