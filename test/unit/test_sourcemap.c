/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The source-map container: members named by sources[i] with decoded
 * content, the analyzer report and its first-party counts, index maps,
 * odd key orders, hostile maps (truncation, bad escapes, depth, length
 * mismatch, huge names, member caps) and the probe. Every map is read in
 * several block sizes, and once without reading the members: the listing
 * (and the counts) must not change.
 */
#include "helpers/test_common.h"

#include <stdio.h>
#include <string.h>

#include "container/container.h"
#include "util/alloc.h"
#include "util/buf.h"

static const size_t blocks[] = { 1 << 20, 1, 2, 7, 511 };

/*
 * Lists a map: "name=content" per member (content escaped), "REPORT rule
 * severity message details" for the analyzer finding, "!status message"
 * for damage and limits. @read_data false leaves members unread.
 */
static void list_map(const char *map, size_t len, size_t block, bool read_data,
		     uint64_t max_members, struct lsi_buf *out)
{
	struct lsi_climits lim = { .max_members = max_members, .max_member_bytes = 1 << 20 };
	struct lsi_bstream *in = lsi_bstream_mem((const uint8_t *)map, len, block);
	void *c = lsi_container_sourcemap.open(in, &lim);

	assert_non_null(c);
	for (int guard = 0; guard < 10000; guard++) {
		struct lsi_member m;
		char msg[LSI_MSG_LEN] = "";
		enum lsi_rd st = lsi_container_sourcemap.next(c, &m, msg);

		if (st == LSI_RD_EOF)
			break;
		if (st != LSI_RD_OK) {
			lsi_buf_printf(out, "!%d %s\n", (int)st, msg);
			if (st == LSI_RD_LIMIT)
				break;
			continue;
		}
		if (m.type == LSI_M_REPORT) {
			assert_int_equal(m.name_len, 0);
			assert_non_null(m.report_reason); /* it explains the severity */
			lsi_buf_printf(out, "REPORT %s %d %s %s\n", m.report_rule, m.report_severity,
				       m.message, m.details_json);
			continue;
		}
		assert_int_equal(m.type, LSI_M_FILE);
		for (size_t i = 0; i < m.name_len; i++)
			lsi_buf_printf(out, (unsigned char)m.name[i] < 0x20 ? "\\x%02x" : "%c",
				       (unsigned char)m.name[i]);
		lsi_buf_putc(out, '=');
		if (read_data) {
			const uint8_t *b;
			size_t n;
			enum lsi_rd r;

			while ((r = lsi_bstream_read(m.data, &b, &n)) == LSI_RD_OK) {
				assert_true(n > 0);
				for (size_t i = 0; i < n; i++)
					lsi_buf_printf(out, b[i] == '\n' ? "\\n" : b[i] < 0x20 || b[i] >= 0x7f
										   ? "\\x%02x"
										   : "%c",
						       b[i]);
			}
			if (r != LSI_RD_EOF)
				lsi_buf_printf(out, "!%d %s", (int)r, m.data->msg);
			/* Reads past the end stay at the end. */
			assert_int_not_equal(lsi_bstream_read(m.data, &b, &n), LSI_RD_OK);
		}
		lsi_buf_putc(out, '\n');
	}
	lsi_container_sourcemap.close(c);
}

/* Runs every block size; with @unread_same also unread. Returns the listing. */
static char *listing_lim(const char *map, bool unread_same, uint64_t max_members)
{
	struct lsi_buf first;
	size_t len = strlen(map);

	lsi_buf_init(&first, 1 << 22);
	list_map(map, len, blocks[0], true, max_members, &first);
	for (size_t i = 1; i < sizeof(blocks) / sizeof(*blocks); i++) {
		struct lsi_buf b;

		lsi_buf_init(&b, 1 << 22);
		list_map(map, len, blocks[i], true, max_members, &b);
		if (strcmp(lsi_buf_str(&first), lsi_buf_str(&b)) != 0)
			fail_msg("block %zu differs:\n%s\n---\n%s", blocks[i], lsi_buf_str(&first),
				 lsi_buf_str(&b));
		lsi_buf_fini(&b);
	}
	if (unread_same) {
		/* Members nobody read: their names and the report stay the same. */
		struct lsi_buf a, u;
		const char *p;

		lsi_buf_init(&a, 1 << 22);
		lsi_buf_init(&u, 1 << 22);
		for (p = lsi_buf_str(&first); *p;) {
			const char *nl = strchr(p, '\n');
			const char *eq = memchr(p, '=', (size_t)(nl - p));

			if (strncmp(p, "REPORT", 6) != 0 && *p != '!' && eq)
				lsi_buf_append(&a, p, (size_t)(eq + 1 - p));
			else
				lsi_buf_append(&a, p, (size_t)(nl - p));
			lsi_buf_putc(&a, '\n');
			p = nl + 1;
		}
		list_map(map, len, 3, false, max_members, &u);
		assert_string_equal(lsi_buf_str(&u), lsi_buf_str(&a));
		lsi_buf_fini(&a);
		lsi_buf_fini(&u);
	}
	if (!first.len) {
		lsi_buf_fini(&first);
		return lsi_strdup("");
	}
	return lsi_buf_steal(&first);
}

static char *listing(const char *map)
{
	return listing_lim(map, true, 1000);
}

#define EXPECT(map, want)                                 \
	do {                                              \
		char *got_ = listing(map);                \
		assert_string_equal(got_, want);          \
		lsi_free(got_);                           \
	} while (0)

/* The layout webpack writes: mappings before sources, sourceRoot last. */
static void test_webpack_map(void **state)
{
	(void)state;
	EXPECT("{\"version\":3,\"file\":\"cli.js\",\"mappings\":\"AAAA;AACA,CAAC\","
	       "\"sources\":[\"webpack://app/webpack/bootstrap\",\"webpack://app/./src/auth.ts\","
	       "\"webpack://app/./src/lib/db.ts\",\"webpack://app/./node_modules/left-pad/index.js\","
	       "\"webpack://app/external commonjs \\\"fs\\\"\",\"webpack://app/./packages/core/src/a.ts\"],"
	       "\"sourcesContent\":[\"// boot\\n\",\"const k = 1;\\nexport {k};\\n\",\"a\\nb\","
	       "\"pad\\n\",\"module.exports = require(\\\"fs\\\");\",\"x\\n\\ny\\n\"],"
	       "\"names\":[\"k\"],\"sourceRoot\":\"\"}\n",
	       "webpack://app/webpack/bootstrap=// boot\\n\n"
	       "webpack://app/./src/auth.ts=const k = 1;\\nexport {k};\\n\n"
	       "webpack://app/./src/lib/db.ts=a\\nb\n"
	       "webpack://app/./node_modules/left-pad/index.js=pad\\n\n"
	       "webpack://app/external commonjs \"fs\"=module.exports = require(\"fs\");\n"
	       "webpack://app/./packages/core/src/a.ts=x\\n\\ny\\n\n"
	       "REPORT sourcemap-sources-content -1 source map embeds 6 of 6 sources: 3 first-party "
	       "files, 7 lines {\"sources\":6,\"sources_with_content\":6,\"first_party_sources\":3,"
	       "\"first_party_lines\":7,\"first_party_bytes\":33,\"top_directories\":["
	       "{\"dir\":\"src/\",\"files\":2},{\"dir\":\"packages/core/\",\"files\":1}]}\n");
}

/* JSON escapes become the original bytes; a PEM key gets its real lines. */
static void test_escapes(void **state)
{
	(void)state;
	EXPECT("{\"version\": 3, \"sources\": [\"../src/key.ts\"], \"sourcesContent\": "
	       "[\"const pem = `-----BEGIN RSA PRIVATE KEY-----\\nMIIB\\nAB==\\n-----END RSA "
	       "PRIVATE KEY-----`;\\r\\n\\t\\u00e9\\ud83d\\ude00 \\\\ \\/\"], \"mappings\": \";AAAA\"}",
	       "../src/key.ts=const pem = `-----BEGIN RSA PRIVATE KEY-----\\nMIIB\\nAB==\\n-----END "
	       "RSA PRIVATE KEY-----`;\\x0d\\n\\x09\\xc3\\xa9\\xf0\\x9f\\x98\\x80 \\ /\n"
	       "REPORT sourcemap-sources-content -1 source map embeds 1 of 1 sources: 1 first-party "
	       "files, 5 lines {\"sources\":1,\"sources_with_content\":1,\"first_party_sources\":1,"
	       "\"first_party_lines\":5,\"first_party_bytes\":99,\"top_directories\":[{\"dir\":"
	       "\"src/\",\"files\":1}]}\n");
}

/* null contents are skipped; a source without a name gets an index label. */
static void test_nulls_and_labels(void **state)
{
	(void)state;
	EXPECT("{\"version\":3,\"sources\":[\"a.js\",null,\"b.js\",7],\"sourcesContent\":[null,"
	       "\"x\",\"\",\"y\"],\"mappings\":\"\"}",
	       "sourcesContent[1]=x\n"
	       "b.js=\n"
	       "sourcesContent[3]=y\n"
	       "REPORT sourcemap-sources-content -1 source map embeds 3 of 4 sources: 3 first-party "
	       "files, 2 lines {\"sources\":4,\"sources_with_content\":3,\"first_party_sources\":3,"
	       "\"first_party_lines\":2,\"first_party_bytes\":2,\"top_directories\":[{\"dir\":"
	       "\"./\",\"files\":1}]}\n");
}

/* sourcesContent before sources: index labels, but exact counts at the end. */
static void test_content_first(void **state)
{
	(void)state;
	EXPECT("{\"sourcesContent\":[\"a\\nb\\n\",\"lib\"],\"version\":3,\"sources\":["
	       "\"src/a.ts\",\"node_modules/x/lib.js\"],\"mappings\":\"A\"}",
	       "sourcesContent[0]=a\\nb\\n\n"
	       "sourcesContent[1]=lib\n"
	       "REPORT sourcemap-sources-content -1 source map embeds 2 of 2 sources: 1 first-party "
	       "files, 2 lines {\"sources\":2,\"sources_with_content\":2,\"first_party_sources\":1,"
	       "\"first_party_lines\":2,\"first_party_bytes\":4,\"top_directories\":[{\"dir\":"
	       "\"src/\",\"files\":1}],\"sources_after_content\":true}\n");
}

/* Index maps: every section's sources, named by that section. */
static void test_index_map(void **state)
{
	(void)state;
	EXPECT("{\"version\":3,\"file\":\"app.js\",\"sections\":[{\"offset\":{\"line\":0,"
	       "\"column\":0},\"map\":{\"version\":3,\"sources\":[\"src/one.ts\"],"
	       "\"sourcesContent\":[\"1\\n\"],\"mappings\":\"AAAA\"}},{\"offset\":{\"line\":9,"
	       "\"column\":0},\"map\":{\"version\":3,\"sources\":[\"src/two.ts\",\"lib/t.ts\"],"
	       "\"sourcesContent\":[null,\"t\"],\"mappings\":\"AAAA\"}},{\"offset\":{\"line\":20,"
	       "\"column\":0},\"url\":\"other.js.map\"}]}",
	       "src/one.ts=1\\n\n"
	       "lib/t.ts=t\n"
	       "REPORT sourcemap-sources-content -1 source map embeds 2 of 3 sources: 2 first-party "
	       "files, 2 lines {\"sources\":3,\"sources_with_content\":2,\"first_party_sources\":2,"
	       "\"first_party_lines\":2,\"first_party_bytes\":3,\"top_directories\":[{\"dir\":"
	       "\"lib/\",\"files\":1},{\"dir\":\"src/\",\"files\":1}],\"sections\":2}\n");
}

/* Third-party only: medium; no content at all: the paths-only rule. */
static void test_severity_cases(void **state)
{
	(void)state;
	EXPECT("{\"version\":3,\"sources\":[\"../node_modules/a/i.js\",\"\\u0000commonjsHelpers.js\","
	       "\"webpack:///(webpack)/buildin/global.js\",\"vite/preload-helper.js\","
	       "\"turbopack:///[turbopack]/rt.ts\",\"rollupPluginBabelHelpers.js\"],"
	       "\"sourcesContent\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"],\"mappings\":\"\"}",
	       "../node_modules/a/i.js=a\n"
	       "\\x00commonjsHelpers.js=b\n"
	       "webpack:///(webpack)/buildin/global.js=c\n"
	       "vite/preload-helper.js=d\n"
	       "turbopack:///[turbopack]/rt.ts=e\n"
	       "rollupPluginBabelHelpers.js=f\n"
	       "REPORT sourcemap-sources-content 2 source map embeds 6 third-party sources, no "
	       "first-party code {\"sources\":6,\"sources_with_content\":6,\"first_party_sources\":0,"
	       "\"first_party_lines\":0,\"first_party_bytes\":0,\"top_directories\":[]}\n");
	EXPECT("{\"version\":3,\"file\":\"a.js\",\"sourceRoot\":\"\",\"sources\":[\"../src/a.ts\","
	       "\"../src/b/c.ts\",\"../node_modules/x.js\"],\"names\":[],\"mappings\":\";AAAA\"}",
	       "REPORT sourcemap-sources-list -1 source map lists 3 source paths (2 first-party) "
	       "without their content {\"sources\":3,\"sources_with_content\":0,"
	       "\"first_party_sources\":2,\"first_party_lines\":0,\"first_party_bytes\":0,"
	       "\"top_directories\":[{\"dir\":\"src/\",\"files\":1},{\"dir\":\"src/b/\",\"files\":1}]}\n");
	/* No sources at all: nothing to say. */
	EXPECT("{\"version\":3,\"sources\":[],\"mappings\":\"\"}", "");
}

/* ignoreList (and the older x_google_ignoreList) marks third-party code. */
static void test_ignore_list(void **state)
{
	(void)state;
	EXPECT("{\"version\":3,\"sources\":[\"src/a.ts\",\"vendor/b.js\"],\"sourcesContent\":["
	       "\"a\",\"b\\nb\"],\"mappings\":\"\",\"x_google_ignoreList\":[1]}",
	       "src/a.ts=a\nvendor/b.js=b\\nb\n"
	       "REPORT sourcemap-sources-content -1 source map embeds 2 of 2 sources: 1 first-party "
	       "files, 1 lines {\"sources\":2,\"sources_with_content\":2,\"first_party_sources\":1,"
	       "\"first_party_lines\":1,\"first_party_bytes\":1,\"top_directories\":[{\"dir\":"
	       "\"src/\",\"files\":1}]}\n");
	/* Indexes of sources not seen yet (or never) do not grow the table. */
	EXPECT("{\"version\":3,\"ignoreList\":[0,99999999],\"sources\":[\"a.js\"],"
	       "\"sourcesContent\":[\"a\"],\"x_google_ignoreList\":[5,123456789012345678901]}",
	       "a.js=a\n"
	       "REPORT sourcemap-sources-content -1 source map embeds 1 of 1 sources: 1 first-party "
	       "files, 1 lines {\"sources\":1,\"sources_with_content\":1,\"first_party_sources\":1,"
	       "\"first_party_lines\":1,\"first_party_bytes\":1,\"top_directories\":[{\"dir\":"
	       "\"./\",\"files\":1}]}\n");
}

/* Top directories: one level below the common prefix, largest first, five at most. */
static void test_top_dirs(void **state)
{
	(void)state;
	EXPECT("{\"version\":3,\"sources\":[\"/home/ci/app/src/a/1.ts\",\"/home/ci/app/src/a/2.ts\","
	       "\"/home/ci/app/src/b/1.ts\",\"/home/ci/app/packages/core/x/1.ts\","
	       "\"/home/ci/app/packages/core/2.ts\",\"/home/ci/app/packages/ui/1.ts\","
	       "\"/home/ci/app/tools/1.ts\",\"/home/ci/app/z/1.ts\",\"/home/ci/app/y/1.ts\","
	       "\"/home/ci/app/root.ts\"],\"mappings\":\"\"}",
	       "REPORT sourcemap-sources-list -1 source map lists 10 source paths (10 first-party) "
	       "without their content {\"sources\":10,\"sources_with_content\":0,"
	       "\"first_party_sources\":10,\"first_party_lines\":0,\"first_party_bytes\":0,"
	       "\"top_directories\":[{\"dir\":\"/home/ci/app/src/\",\"files\":3},"
	       "{\"dir\":\"/home/ci/app/packages/core/\",\"files\":2},"
	       "{\"dir\":\"/home/ci/app/\",\"files\":1},"
	       "{\"dir\":\"/home/ci/app/packages/ui/\",\"files\":1},"
	       "{\"dir\":\"/home/ci/app/tools/\",\"files\":1}]}\n");
}

/* A UTF-8 byte order mark and the ")]}'" guard line are skipped. */
static void test_prefixes(void **state)
{
	(void)state;
	EXPECT("\xef\xbb\xbf)]}'\n{\"version\":3,\"sources\":[\"a.ts\"],\"sourcesContent\":[\"x\"],"
	       "\"mappings\":\"\"}",
	       "a.ts=x\n"
	       "REPORT sourcemap-sources-content -1 source map embeds 1 of 1 sources: 1 first-party "
	       "files, 1 lines {\"sources\":1,\"sources_with_content\":1,\"first_party_sources\":1,"
	       "\"first_party_lines\":1,\"first_party_bytes\":1,\"top_directories\":[{\"dir\":"
	       "\"./\",\"files\":1}]}\n");
}

/* Damage inside a member is the member's; the report still comes, marked. */
static void test_truncated(void **state)
{
	char *got;

	(void)state;
	got = listing_lim("{\"version\":3,\"sources\":[\"a.ts\",\"b.ts\"],\"sourcesContent\":"
			  "[\"one\\n\",\"two\\nthr", false, 100);
	assert_string_equal(got,
			    "a.ts=one\\n\n"
			    "b.ts=two\\nthr!2 source map: input ended inside a JSON string that "
			    "began at byte 65\n"
			    "REPORT sourcemap-sources-content -1 source map embeds 2 of 2 sources: 2 "
			    "first-party files, 3 lines (map damaged: counts cover what was read) "
			    "{\"sources\":2,\"sources_with_content\":2,\"first_party_sources\":2,"
			    "\"first_party_lines\":3,\"first_party_bytes\":11,\"top_directories\":["
			    "{\"dir\":\"./\",\"files\":2}],\"complete\":false}\n");
	lsi_free(got);
	/* Outside a member, the damage comes after the report. */
	EXPECT("{\"version\":3,\"sources\":[\"a.ts\"],\"sourcesContent\":[\"x\"],\"mappings\":\"AA",
	       "a.ts=x\n"
	       "REPORT sourcemap-sources-content -1 source map embeds 1 of 1 sources: 1 first-party "
	       "files, 1 lines (map damaged: counts cover what was read) {\"sources\":1,"
	       "\"sources_with_content\":1,\"first_party_sources\":1,\"first_party_lines\":1,"
	       "\"first_party_bytes\":1,\"top_directories\":[{\"dir\":\"./\",\"files\":1}],"
	       "\"complete\":false}\n"
	       "!2 source map: input ended inside a JSON string that began at byte 66\n");
	/* Damage before anything was learned: only the damage. */
	EXPECT("{\"version\":3,\"sources\":[tru", "!2 source map: input ended inside 'true' at "
							 "byte 24\n");
}

static void test_bad_escape_and_garbage(void **state)
{
	char *got;

	(void)state;
	got = listing_lim("{\"version\":3,\"sources\":[\"a.ts\"],\"sourcesContent\":[\"ok\\q\"]}",
			  false, 100);
	assert_string_equal(got,
			    "a.ts=ok!2 source map: invalid escape \\'q' in a JSON string at byte "
			    "53; the rest of it is scanned as text\n"
			    "REPORT sourcemap-sources-content -1 source map embeds 1 of 1 sources: 1 "
			    "first-party files, 1 lines (map damaged: counts cover what was read) "
			    "{\"sources\":1,\"sources_with_content\":1,\"first_party_sources\":1,"
			    "\"first_party_lines\":1,\"first_party_bytes\":2,\"top_directories\":["
			    "{\"dir\":\"./\",\"files\":1}],\"complete\":false}\n"
			    "(rest of the map, as text)=\"]}\n");
	lsi_free(got);
	/* A raw newline (unescaped control character) inside a name. */
	EXPECT("{\"version\":3,\"sources\":[\"a\nb\"]}",
	       "REPORT sourcemap-sources-list -1 source map lists 1 source paths (1 first-party) "
	       "without their content {\"sources\":1,\"sources_with_content\":0,"
	       "\"first_party_sources\":1,\"first_party_lines\":0,\"first_party_bytes\":0,"
	       "\"top_directories\":[{\"dir\":\"./\",\"files\":1}],\"complete\":false}\n"
	       "(rest of the map, as text)=\\nb\"]}\n"
	       "!2 source map: control character 0x0a inside a JSON string at byte 26; the rest "
	       "of it is scanned as text\n");
	/* Data after the map. */
	EXPECT("{\"version\":3,\"sources\":[\"a.ts\"],\"sourcesContent\":[\"x\"]} {}",
	       "a.ts=x\n"
	       "REPORT sourcemap-sources-content -1 source map embeds 1 of 1 sources: 1 first-party "
	       "files, 1 lines (map damaged: counts cover what was read) {\"sources\":1,"
	       "\"sources_with_content\":1,\"first_party_sources\":1,\"first_party_lines\":1,"
	       "\"first_party_bytes\":1,\"top_directories\":[{\"dir\":\"./\",\"files\":1}],"
	       "\"complete\":false}\n"
	       "(rest of the map, as text)={}\n"
	       "!2 source map: data after the end of the JSON value at byte 56; the rest of it is "
	       "scanned as text\n");
}

static void test_mismatch(void **state)
{
	(void)state;
	EXPECT("{\"version\":3,\"sources\":[\"a.ts\"],\"sourcesContent\":[\"x\",\"y\"]}",
	       "a.ts=x\n"
	       "sourcesContent[1]=y\n"
	       "REPORT sourcemap-sources-content -1 source map embeds 2 of 2 sources: 2 first-party "
	       "files, 2 lines {\"sources\":2,\"sources_with_content\":2,\"first_party_sources\":2,"
	       "\"first_party_lines\":2,\"first_party_bytes\":2,\"top_directories\":[{\"dir\":"
	       "\"./\",\"files\":1}]}\n"
	       "!2 source map is inconsistent: sourcesContent has 2 entries but sources has 1\n");
	EXPECT("{\"version\":3,\"sources\":[\"a.ts\",\"b.ts\"],\"sourcesContent\":[\"x\"]}",
	       "a.ts=x\n"
	       "REPORT sourcemap-sources-content -1 source map embeds 1 of 2 sources: 1 first-party "
	       "files, 1 lines {\"sources\":2,\"sources_with_content\":1,\"first_party_sources\":1,"
	       "\"first_party_lines\":1,\"first_party_bytes\":1,\"top_directories\":[{\"dir\":"
	       "\"./\",\"files\":1}]}\n"
	       "!2 source map is inconsistent: sourcesContent has 1 entries but sources has 2\n");
}

static void test_depth_limit(void **state)
{
	char map[600];
	char *got;
	int n;

	(void)state;
	n = snprintf(map, sizeof(map), "{\"version\":3,\"sources\":[\"a.ts\"],\"sourcesContent\":"
		     "[\"x\"],\"x_junk\":");
	memset(map + n, '[', 260); /* deeper than the reader follows */
	map[n + 260] = '\0';
	got = listing_lim(map, true, 100);
	assert_string_equal(got,
			    "a.ts=x\n"
			    "REPORT sourcemap-sources-content -1 source map embeds 1 of 1 sources: 1 "
			    "first-party files, 1 lines (map damaged: counts cover what was read) "
			    "{\"sources\":1,\"sources_with_content\":1,\"first_party_sources\":1,"
			    "\"first_party_lines\":1,\"first_party_bytes\":1,\"top_directories\":["
			    "{\"dir\":\"./\",\"files\":1}],\"complete\":false}\n"
			    "(rest of the map, as text)=[[[[[\n"
			    "!3 source map: JSON nested deeper than 256 levels at byte 319 (limit); the "
			    "rest of it is scanned as text\n");
	lsi_free(got);
}

static void test_member_cap(void **state)
{
	char *got;

	(void)state;
	got = listing_lim("{\"version\":3,\"sources\":[\"a\",\"b\",\"c\"],\"sourcesContent\":"
			  "[\"1\",\"2\",\"3\"]}", true, 2);
	/* The third name crosses the cap before any content is read. */
	assert_string_equal(got,
			    "REPORT sourcemap-sources-list -1 source map lists 2 source paths (2 "
			    "first-party) without their content {\"sources\":2,"
			    "\"sources_with_content\":0,\"first_party_sources\":2,"
			    "\"first_party_lines\":0,\"first_party_bytes\":0,\"top_directories\":["
			    "{\"dir\":\"./\",\"files\":2}],\"complete\":false}\n"
			    "!3 max-members: source map has more than 2 sources\n");
	lsi_free(got);
	/* Content first: the cap stops the third member. */
	got = listing_lim("{\"version\":3,\"sourcesContent\":[\"1\",\"2\",\"3\"],\"sources\":"
			  "[\"a\",\"b\",\"c\"]}", true, 2);
	assert_string_equal(got,
			    "sourcesContent[0]=1\nsourcesContent[1]=2\n"
			    "REPORT sourcemap-sources-content -1 source map embeds 2 of 2 sources: 2 "
			    "first-party files, 2 lines (map damaged: counts cover what was read) "
			    "{\"sources\":2,\"sources_with_content\":2,\"first_party_sources\":2,"
			    "\"first_party_lines\":2,\"first_party_bytes\":2,\"top_directories\":[],"
			    "\"sources_after_content\":true,\"complete\":false}\n"
			    "!3 max-members: source map has more than 2 sources\n");
	lsi_free(got);
}

/* A name past the label cap is cut; the map reads on. */
static void test_huge_name(void **state)
{
	struct lsi_buf map;
	char *got;
	const char *nl;

	(void)state;
	lsi_buf_init(&map, 1 << 20);
	lsi_buf_puts(&map, "{\"version\":3,\"sources\":[\"src/");
	for (int i = 0; i < 10000; i++)
		lsi_buf_puts(&map, "\\u0061");
	lsi_buf_puts(&map, "\",\"b.ts\"],\"sourcesContent\":[\"1\",\"2\"]}");
	got = listing_lim(lsi_buf_str(&map), true, 100);
	nl = strchr(got, '\n');
	assert_int_equal(nl - got, 4096 + 2);
	assert_memory_equal(got, "src/aaaa", 8);
	assert_string_equal(nl + 1, "b.ts=2\n"
				    "REPORT sourcemap-sources-content -1 source map embeds 2 of 2 "
				    "sources: 2 first-party files, 2 lines {\"sources\":2,"
				    "\"sources_with_content\":2,\"first_party_sources\":2,"
				    "\"first_party_lines\":2,\"first_party_bytes\":2,\"top_directories\":["
				    "{\"dir\":\"./\",\"files\":1},{\"dir\":\"src/\",\"files\":1}],"
				    "\"names_cut\":1}\n");
	lsi_free(got);
	lsi_buf_fini(&map);
}

/* A long source is handed out in pieces whose sum is the whole. */
static void test_long_source(void **state)
{
	struct lsi_buf map;
	char *got;

	(void)state;
	lsi_buf_init(&map, 4 << 20);
	lsi_buf_puts(&map, "{\"version\":3,\"sources\":[\"big.ts\"],\"sourcesContent\":[\"");
	for (int i = 0; i < 20000; i++)
		lsi_buf_printf(&map, "line %05d\\n", i);
	lsi_buf_puts(&map, "\"]}");
	got = listing(lsi_buf_str(&map));
	assert_non_null(strstr(got, "line 19999\\n\nREPORT"));
	assert_non_null(strstr(got, "\"first_party_lines\":20000,\"first_party_bytes\":220000,"));
	lsi_free(got);
	lsi_buf_fini(&map);
}

static void test_probe(void **state)
{
	static const char *const yes[] = {
		"{\"version\":3,\"file\":\"cli.js\",\"mappings\":\"AAAA\"",
		"{\n  \"version\": 3,\n  \"sources\": [\"../src/a.ts\"],",
		"\xef\xbb\xbf{\"version\":3,\"sections\":[",
		")]}'\n{\"version\":3,\"sources\":[]}",
		/* version comes late: sorted keys */
		"{\"file\":\"a.js\",\"mappings\":\";;AAAA,CAAC;",
		"{\"file\":\"a.js\",\"names\":[\"x\"],\"sources\":[\"a.ts\"],\"version\":3}",
		"{\"mappings\":\"AACA",
	};
	static const char *const no[] = {
		"{\"name\":\"pkg\",\"version\":\"3.0.0\",\"main\":\"index.js\"}",
		"{\"lockfileVersion\":3,\"packages\":{}}",
		"{\"version\":3}",
		"{\"version\":2,\"sources\":[],\"mappings\":\"\"}",
		"{\"sources\":[\"a\"],\"config\":{\"x\":1}}",
		"{\"mappings\":\"hello world\",\"sources\":[]}",
		"[{\"version\":3,\"sources\":[]}]",
		"{\"version\":3,,\"sources\":[]}",
		"{\"version\":\"3\",\"sources\":[]}",
		"version 3 sources mappings",
		"",
		"{",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		if (!lsi_container_sourcemap.probe((const uint8_t *)yes[i], strlen(yes[i])))
			fail_msg("not recognised: %s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		if (lsi_container_sourcemap.probe((const uint8_t *)no[i], strlen(no[i])))
			fail_msg("recognised: %s", no[i]);
	/* Through the table, after tar. */
	assert_ptr_equal(lsi_container_sniff((const uint8_t *)yes[0], strlen(yes[0])),
			 &lsi_container_sourcemap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webpack_map),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_nulls_and_labels),
		cmocka_unit_test(test_content_first),
		cmocka_unit_test(test_index_map),
		cmocka_unit_test(test_severity_cases),
		cmocka_unit_test(test_ignore_list),
		cmocka_unit_test(test_top_dirs),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_escape_and_garbage),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_member_cap),
		cmocka_unit_test(test_huge_name),
		cmocka_unit_test(test_long_source),
		cmocka_unit_test(test_probe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
