/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Engine tests: Hyperscan + PCRE2 confirmation over streams. The central
 * property: whole buffer, 1-byte chunks and random chunks give identical
 * hits, including tokens that straddle chunk boundaries and offset 65,536.
 */
#include "helpers/test_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/dbcache.h"
#include "engine/engine.h"
#include "engine/engine_int.h"
#include "engine/hscompiler.h"
#include "ruleset/ruleset.h"
#include "util/buf.h"
#include "util/alloc.h"
#include "util/lines.h"

static const char rules_yaml[] =
	"rules:\n"
	"  - id: aws-id\n"
	"    category: secret\n"
	"    severity: critical\n"
	"    pattern: '\\b((?:AKIA|ASIA)[A-Z2-7]{16})\\b'\n"
	"  - id: pw\n"
	"    category: secret\n"
	"    severity: high\n"
	"    pattern: 'password=\"([^\"\\s]{8,64})\"'\n"
	"    min_entropy: 2.5\n"
	"  - id: look\n"
	"    category: secret\n"
	"    severity: high\n"
	"    pattern: '(?<![a-z])tok_([a-f0-9]{12})(?![a-f0-9])'\n"
	"  - id: internal\n"
	"    category: internal-url\n"
	"    severity: medium\n"
	"    pattern: 'https?://[a-z0-9.-]{1,60}\\.internal\\b'\n";

struct hits {
	char rows[256][160];
	size_t n;
};

static int on_hit(const struct lsi_hit *h, void *user)
{
	struct hits *hs = user;

	if (hs->n < 256)
		snprintf(hs->rows[hs->n++], 160, "%zu %llu-%llu L%llu C%llu %.*s", h->rule,
			 (unsigned long long)h->start, (unsigned long long)h->end,
			 (unsigned long long)h->line, (unsigned long long)h->column,
			 (int)h->secret_len, (const char *)h->secret);
	return 0;
}

struct fixture {
	struct lsi_ruleset rs;
	struct lsi_engine *e;
	struct lsi_matcher *m;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	lsi_ruleset_init(&f->rs);
	assert_int_equal(lsi_ruleset_load_mem(&f->rs, "t.yml", rules_yaml, strlen(rules_yaml), false),
			 LS_OK);
	assert_int_equal(f->rs.errors, 0);
	assert_int_equal(lsi_engine_new(&f->rs, NULL, &f->e), LS_OK);
	assert_int_equal(lsi_matcher_new(f->e, &f->m), LS_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	lsi_matcher_free(f->m);
	lsi_engine_free(f->e);
	lsi_ruleset_fini(&f->rs);
	free(f);
	return 0;
}

/* chunk 0 = whole; >0 fixed size; <0 random sizes seeded by -chunk. */
static void feed(struct fixture *f, const char *buf, size_t len, long chunk, bool mark_last,
		 struct hits *out)
{
	struct lsi_mstream *s;
	size_t off = 0;
	unsigned seed = (unsigned)(chunk < 0 ? -chunk : 1);

	memset(out, 0, sizeof(*out));
	assert_int_equal(lsi_mstream_open(f->m, on_hit, out, &s), LS_OK);
	while (off < len) {
		size_t n = chunk == 0 ? len : chunk > 0 ? (size_t)chunk : 1 + (size_t)rand_r(&seed) % 9000;

		if (n > len - off)
			n = len - off;
		assert_int_equal(lsi_mstream_push(s, (const uint8_t *)buf + off, n,
						  mark_last && off + n == len),
				 LS_OK);
		off += n;
	}
	assert_int_equal(lsi_mstream_close(s), LS_OK);
}

static char *make_corpus(size_t *len)
{
	size_t cap = 200000, n = 0;
	char *b = malloc(cap + 1);

	/* Filler lines of varying length, no tokens. */
	while (n < cap) {
		int k = snprintf(b + n, cap - n + 1, "line %zu of filler text, nothing to see\n", n);

		n += (size_t)k;
		if (n >= cap)
			n = cap;
	}
	memcpy(b + 4, " AKIAZ3MSJV4WQ7PLXR5T ", 22);           /* first line */
	memcpy(b + 65536 - 8, " AKIAQ4MTXW5VR6PNYS3U ", 22);   /* straddles 64 KiB */
	memcpy(b + 100000, "password=\"hQ9z!xV2#kL7\"", 23);
	memcpy(b + 131072 - 4, " tok_0123456789ab ", 18);      /* straddles 128 KiB */
	memcpy(b + 150000, "https://db.prod.internal/x", 26);
	memcpy(b + cap - 21, " AKIAR2D3F4G5H6J7K2L3", 21);     /* at the very end */
	*len = cap;
	return b;
}

static void test_split_equivalence(void **state)
{
	struct fixture *f = *state;
	size_t len;
	char *buf = make_corpus(&len);
	static struct hits whole, ones, rnd, rnd2, nolast;

	feed(f, buf, len, 0, true, &whole);
	feed(f, buf, len, 1, true, &ones);
	feed(f, buf, len, -7, true, &rnd);
	feed(f, buf, len, -12345, true, &rnd2);
	feed(f, buf, len, 4096, false, &nolast);
	assert_int_equal(whole.n, 6);
	for (size_t i = 0; i < whole.n; i++) {
		assert_string_equal(whole.rows[i], ones.rows[i]);
		assert_string_equal(whole.rows[i], rnd.rows[i]);
		assert_string_equal(whole.rows[i], rnd2.rows[i]);
		assert_string_equal(whole.rows[i], nolast.rows[i]);
	}
	assert_int_equal(ones.n, whole.n);
	assert_int_equal(rnd.n, whole.n);
	assert_int_equal(nolast.n, whole.n);
	assert_non_null(strstr(whole.rows[1], "65529-65549"));
	assert_non_null(strstr(whole.rows[1], "AKIAQ4MTXW5VR6PNYS3U"));
	free(buf);
}

/* Feeds @len bytes to a stream that takes Hyperscan's hits from @from on
 * from a prescan run first (@run) or never started (it is then skipped). */
static void feed_split(struct fixture *f, const char *buf, size_t len, uint64_t from, long chunk,
		       bool run, struct hits *out)
{
	struct lsi_hits *h;
	struct lsi_mstream *s;
	uint64_t base = from > 4096 ? from - 4096 : 0;
	unsigned seed = (unsigned)(chunk < 0 ? -chunk : 1);
	size_t off;

	assert_int_equal(lsi_hits_new(base, from, &h), LS_OK);
	if (run) {
		assert_true(lsi_hits_start(h));
		for (off = base; off < len;) {
			size_t n = chunk > 0 ? (size_t)chunk : 1 + (size_t)rand_r(&seed) % 20000;

			if (n > len - off)
				n = len - off;
			assert_true(lsi_hits_scan(h, f->m, (const uint8_t *)buf + off, n));
			off += n;
		}
		lsi_hits_finish(h, f->m, true);
	}
	memset(out, 0, sizeof(*out));
	assert_int_equal(lsi_mstream_open(f->m, on_hit, out, &s), LS_OK);
	lsi_mstream_take_hits(s, h);
	for (off = 0; off < len;) {
		size_t n = chunk > 0 ? (size_t)chunk : 1 + (size_t)rand_r(&seed) % 9000;

		if (n > len - off)
			n = len - off;
		assert_int_equal(lsi_mstream_push(s, (const uint8_t *)buf + off, n, off + n == len),
				 LS_OK);
		off += n;
	}
	assert_int_equal(lsi_mstream_close(s), LS_OK);
	if (!run)
		assert_false(lsi_hits_start(h)); /* the stream went on alone */
	lsi_hits_unref(h);
}

/*
 * A Hyperscan pass shared with a prescan finds what one pass does: the
 * split anywhere (in a match, at a chunk's end, at the very end of the
 * bytes where \b is decided by the end), the chunks any size.
 */
static void test_prescan_hits(void **state)
{
	struct fixture *f = *state;
	size_t len;
	char *buf = make_corpus(&len);
	static struct hits whole, got;
	const uint64_t froms[] = { 5000, 65536 - 4, 65536 + 12, 100000 + 5, 131072, 150010,
				   len - 10, len - 1, len };
	const long chunks[] = { 4096, 65536, -3, -99 };

	assert_true(lsi_hits_split_ok(f->e, 4096));
	assert_false(lsi_hits_split_ok(f->e, 64));
	feed(f, buf, len, 0, true, &whole);
	assert_int_equal(whole.n, 6);
	for (size_t i = 0; i < sizeof(froms) / sizeof(*froms); i++) {
		for (size_t c = 0; c < sizeof(chunks) / sizeof(*chunks); c++) {
			for (int run = 0; run < 2; run++) {
				feed_split(f, buf, len, froms[i], chunks[c], run, &got);
				assert_int_equal(got.n, whole.n);
				for (size_t k = 0; k < whole.n; k++)
					assert_string_equal(got.rows[k], whole.rows[k]);
			}
		}
	}
	/* A prescan that stopped short (its bytes did not reach the end) is
	 * no list to go by: the member's stream fails, it does not guess. */
	{
		struct lsi_hits *h;
		struct lsi_mstream *ms;

		assert_int_equal(lsi_hits_new(100000 - 4096, 100000, &h), LS_OK);
		assert_true(lsi_hits_start(h));
		assert_true(lsi_hits_scan(h, f->m, (const uint8_t *)buf + 100000 - 4096, 50000));
		lsi_hits_finish(h, f->m, false);
		memset(&got, 0, sizeof(got));
		assert_int_equal(lsi_mstream_open(f->m, on_hit, &got, &ms), LS_OK);
		lsi_mstream_take_hits(ms, h);
		assert_int_equal(lsi_mstream_push(ms, (const uint8_t *)buf, len, true), LS_ERR_NOMEM);
		lsi_mstream_close(ms);
		lsi_hits_unref(h);
	}
	free(buf);
}

static void test_line_column(void **state)
{
	struct fixture *f = *state;
	const char *t = "a\nbb\n  x = \"AKIAZ3MSJV4WQ7PLXR5T\"\n";
	struct hits h;

	feed(f, t, strlen(t), 0, true, &h);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.rows[0], "0 12-32 L3 C8 AKIAZ3MSJV4WQ7PLXR5T");
	feed(f, t, strlen(t), 1, false, &h);
	assert_string_equal(h.rows[0], "0 12-32 L3 C8 AKIAZ3MSJV4WQ7PLXR5T");
}

static void test_filters(void **state)
{
	struct fixture *f = *state;
	const char *t = "AKIAIOSFODNN7EXAMPLE password=\"changeme123\" password=\"aaaaaaaaaa\" "
			"AKIAZ3MSJV4WQ7PLXR5TX tok_0123456789abc";
	struct hits h;

	feed(f, t, strlen(t), 0, true, &h);
	assert_int_equal(h.n, 0);
}

static void test_repeated_and_adjacent(void **state)
{
	struct fixture *f = *state;
	const char *t = "AKIAZ3MSJV4WQ7PLXR5T AKIAZ3MSJV4WQ7PLXR5T,AKIAQ4MTXW5VR6PNYS3U";
	struct hits h, h1;

	feed(f, t, strlen(t), 0, true, &h);
	feed(f, t, strlen(t), 1, true, &h1);
	assert_int_equal(h.n, 3);
	assert_int_equal(h1.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(h.rows[i], h1.rows[i]);
}

static void test_entropy_placeholder(void **state)
{
	(void)state;
	assert_true(lsi_entropy((const uint8_t *)"aaaa", 4) < 0.01);
	assert_true(lsi_entropy((const uint8_t *)"abcd", 4) > 1.99);
	assert_non_null(lsi_placeholder_reason((const uint8_t *)"your-api-key-here", 17));
	assert_non_null(lsi_placeholder_reason((const uint8_t *)"AKIAIOSFODNN7EXAMPLE", 20));
	assert_non_null(lsi_placeholder_reason((const uint8_t *)"${TOKEN}", 8));
	assert_null(lsi_placeholder_reason((const uint8_t *)"q8Hn2Vx7Lr4Tb9Kw1Zs6", 20));
	{
		/* Published in vendor documentation: Azurite's key, Slack's sample bot token. */
		static const char *const doc[] = {
			"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/"
			"KBHBeksoGMGw==",
			"xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
			/* RFC 6749's client credentials and refresh token */
			"czZCaGRSa3F0MzpnWDFmQmF0M2JW",
			"tGzv3JOkF0XG5Qx2TlKWIA",
			/* RFC 5849's token */
			"ad180jjd733klru7",
		};

		for (size_t i = 0; i < sizeof(doc) / sizeof(*doc); i++)
			assert_non_null(lsi_placeholder_reason((const uint8_t *)doc[i], strlen(doc[i])));
	}
	{
		const char *jwtio = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwi"
				    "bmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fw"
				    "pMeJf36POk6yJV_adQssw5c";

		assert_true(lsi_documented_example((const uint8_t *)jwtio, strlen(jwtio)));
		assert_false(lsi_documented_example((const uint8_t *)"q8Hn2Vx7Lr4Tb9Kw1Zs6", 20));
	}
	assert_int_equal(lsi_count_newlines((const uint8_t *)"a\nb\n\n\n123456789\n", 16), 5);
}

/* The vector count against a byte loop: all newlines (counters that must
 * be flushed before they wrap), none, random, at every length and offset. */
static void test_count_newlines(void **state)
{
	static uint8_t buf[9000];
	unsigned seed = 7;

	(void)state;
	for (int fill = 0; fill < 3; fill++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = fill == 0 ? '\n' : fill == 1 ? 'x' : (rand_r(&seed) % 4 ? 'a' : '\n');
		for (size_t len = 0; len < sizeof(buf) - 3; len += len < 70 ? 1 : 977)
			for (size_t off = 0; off < 3; off++) {
				uint64_t want = 0;

				for (size_t i = 0; i < len; i++)
					want += buf[off + i] == '\n';
				/* Every instruction set the CPU has, and without AVX-512. */
				for (int cap = 0; cap < 2; cap++) {
					lsi_lines_isa_cap = cap;
					assert_int_equal(lsi_count_newlines(buf + off, len), want);
				}
				lsi_lines_isa_cap = 0;
			}
	}
}

/*
 * Two rules capturing the same bytes are one finding: a provider's rule
 * before a rule of generic.yml, whatever its severity; then the higher
 * severity. Same answer at every split; both with lsi_matcher_every_rule.
 */
static void test_shared_secret_one_finding(void **state)
{
	static const char provider[] =
		"rules:\n"
		"  - id: acme-token\n"
		"    category: secret\n"
		"    severity: medium\n"
		"    pattern: 'ACME_TOKEN=(acm_[a-z0-9]{20})'\n"
		"  - id: acme-any\n"
		"    category: secret\n"
		"    severity: high\n"
		"    pattern: '\\b(acm_[a-z0-9]{20})\\b'\n";
	static const char generic[] =
		"rules:\n"
		"  - id: env-secret\n"
		"    category: secret\n"
		"    severity: critical\n"
		"    pattern: '[A-Z_]{3,30}=([a-z0-9_]{20,40})'\n";
	const char text[] = "x\nACME_TOKEN=acm_q7x2m9k4p8w3zt5r1vbn\nOTHER=h3k9q2x7m4p8w1zt6r5v0b\n";
	struct fixture f = { 0 };
	struct hits h;

	(void)state;
	lsi_ruleset_init(&f.rs);
	assert_int_equal(lsi_ruleset_load_mem(&f.rs, "rules/vendor/acme.yml", provider,
					      strlen(provider), false), LS_OK);
	assert_int_equal(lsi_ruleset_load_mem(&f.rs, "rules/secret/generic.yml", generic,
					      strlen(generic), false), LS_OK);
	assert_int_equal(lsi_engine_new(&f.rs, NULL, &f.e), LS_OK);
	assert_int_equal(lsi_matcher_new(f.e, &f.m), LS_OK);
	for (long chunk = 0; chunk <= (long)sizeof(text); chunk++) {
		feed(&f, text, sizeof(text) - 1, chunk, chunk % 2 == 0, &h);
		/* acme-any (high) outranks acme-token (medium); the generic
		 * rule yields; the other variable is the generic rule's own. */
		assert_int_equal(h.n, 2);
		assert_string_equal(h.rows[0], "1 13-37 L2 C12 acm_q7x2m9k4p8w3zt5r1vbn");
		assert_string_equal(h.rows[1], "2 38-66 L3 C1 h3k9q2x7m4p8w1zt6r5v0b");
	}
	lsi_matcher_every_rule(f.m, true);
	feed(&f, text, sizeof(text) - 1, 0, true, &h);
	assert_int_equal(h.n, 4);
	lsi_matcher_free(f.m);
	lsi_engine_free(f.e);
	lsi_ruleset_fini(&f.rs);
}

/*
 * A rule that stops short of a long secret (a password rule capped at 20
 * characters, a provider's token of 45) starting at the same byte: one
 * finding when the longer ranks at least as high (higher severity, or the
 * same). A shorter secret that outranks the longer is a secret of its own
 * (test_locate_long_line: a key at the start of a password).
 */
static void test_prefix_secret_one_finding(void **state)
{
	static const char yaml[] =
		"rules:\n"
		"  - id: index-password\n"
		"    category: secret\n"
		"    severity: high\n"
		"    pattern: 'password = ([^\\s]{7,20})'\n"
		"  - id: acme-long-token\n"
		"    category: secret\n"
		"    severity: critical\n"
		"    pattern: '\\b(acmx_[a-z0-9]{40})\\b'\n"
		"  - id: acme-short\n"
		"    category: secret\n"
		"    severity: high\n"
		"    pattern: 'pass: (acmy_[a-z0-9]{6})'\n"
		"  - id: acme-long\n"
		"    category: secret\n"
		"    severity: high\n"
		"    pattern: '\\b(acmy_[a-z0-9]{30})\\b'\n";
	const char text[] = "[pypi]\npassword = acmx_q7x2m9k4p8w3zt5r1vbnq7x2m9k4p8w3zt5r1vbn\n"
			    "pass: acmy_h3k9q2x7m4p8w1zt6r5v0bh3k9q2x7\n";
	struct fixture f = { 0 };
	struct hits h;

	(void)state;
	lsi_ruleset_init(&f.rs);
	assert_int_equal(lsi_ruleset_load_mem(&f.rs, "rules/vendor/acme.yml", yaml, strlen(yaml),
					      false), LS_OK);
	assert_int_equal(lsi_engine_new(&f.rs, NULL, &f.e), LS_OK);
	assert_int_equal(lsi_matcher_new(f.e, &f.m), LS_OK);
	for (long chunk = 0; chunk <= (long)sizeof(text); chunk++) {
		feed(&f, text, sizeof(text) - 1, chunk, chunk % 2 == 0, &h);
		assert_int_equal(h.n, 2);
		assert_string_equal(h.rows[0],
				    "1 18-63 L2 C12 acmx_q7x2m9k4p8w3zt5r1vbnq7x2m9k4p8w3zt5r1vbn");
		assert_string_equal(h.rows[1], "3 70-105 L3 C7 acmy_h3k9q2x7m4p8w1zt6r5v0bh3k9q2x7");
	}
	lsi_matcher_free(f.m);
	lsi_engine_free(f.e);
	lsi_ruleset_fini(&f.rs);
}

/*
 * Columns count characters: multi-byte UTF-8 before a match on its line
 * counts once per character, on short lines and on lines far longer than
 * the history the stream keeps, at every split.
 */
static void test_columns_in_characters(void **state)
{
	static const char *const glyphs[] = { "a", "b", " ", "\xc3\xa9", "\xd0\xba",
					      "\xe2\x82\xac", "\xf0\x9f\x98\x80" };
	struct fixture *f = *state;
	struct lsi_buf doc;
	char want[64][48];
	size_t nwant = 0;
	uint64_t line = 1, col = 1;
	unsigned seed = 11;
	struct hits h;

	lsi_buf_init(&doc, 1 << 22);
	while (nwant < 60) {
		unsigned r = (unsigned)rand_r(&seed);

		if (r % 20000 == 0) {
			lsi_buf_putc(&doc, '\n');
			line++;
			col = 1;
		} else if (r % 12000 == 1 || (r % 97 == 2 && nwant < 30)) {
			/* A key, after a space so that \b holds. */
			lsi_buf_puts(&doc, " AKIAZ3MSJV4WQ7PLXR5T ");
			snprintf(want[nwant++], sizeof(want[0]), "L%llu C%llu", (unsigned long long)line,
				 (unsigned long long)col + 1);
			col += 22;
		} else {
			lsi_buf_puts(&doc, glyphs[r % 7]);
			col++;
		}
	}
	static const long chunks[] = { 0, 1, 2, 3, 7, 64, 4099, 20000, 70001, -1, -2, -3, -4 };

	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		feed(f, (const char *)doc.data, doc.len, chunks[c], true, &h);
		assert_int_equal(h.n, nwant);
		for (size_t i = 0; i < nwant; i++) {
			const char *lc = strchr(h.rows[i], 'L');

			assert_non_null(lc);
			assert_memory_equal(lc, want[i], strlen(want[i]));
			assert_int_equal(lc[strlen(want[i])], ' ');
		}
	}
	lsi_buf_fini(&doc);
}

struct muter {
	size_t plain, muted, after;
	uint64_t bad_line;
};

/* Mutes the rule after @after hits; counts what comes after. */
static int mute_cb(const struct lsi_hit *h, void *user)
{
	struct muter *m = user;

	if (h->muted) {
		m->muted++;
		if (h->line)
			m->bad_line++;
		return LSI_HIT_MUTE;
	}
	m->plain++;
	return m->plain >= m->after ? LSI_HIT_MUTE : 0;
}

/*
 * A rule the caller stops wanting (LSI_HIT_MUTE, a per-rule cap): its later
 * hits are still confirmed, each counted once, but come muted, without
 * line or column, at every split; a new stream starts unmuted.
 */
static void test_mute_rule(void **state)
{
	struct fixture *f = *state;
	struct lsi_buf doc;
	struct muter mu;
	struct lsi_mstream *st;

	lsi_buf_init(&doc, 1 << 20);
	for (int i = 0; i < 500; i++)
		lsi_buf_puts(&doc, "x AKIAZ3MSJV4WQ7PLXR5T https://db.prod.internal/\n");
	for (long chunk = 0; chunk < 3000; chunk += 997) {
		size_t off = 0;

		memset(&mu, 0, sizeof(mu));
		mu.after = 3;
		assert_int_equal(lsi_mstream_open(f->m, mute_cb, &mu, &st), LS_OK);
		while (off < doc.len) {
			size_t n = chunk ? (size_t)chunk : doc.len;

			if (n > doc.len - off)
				n = doc.len - off;
			assert_int_equal(lsi_mstream_push(st, doc.data + off, n, off + n == doc.len),
					 LS_OK);
			off += n;
		}
		assert_int_equal(lsi_mstream_close(st), LS_OK);
		/* The third plain hit mutes its rule, the fourth the other's;
		 * all 1000 are still counted. */
		assert_int_equal(mu.plain + mu.muted, 1000);
		assert_int_equal(mu.plain, 4);
		assert_int_equal(mu.bad_line, 0);
	}
	lsi_buf_fini(&doc);
}

static int loop_cb(const struct lsi_hit *h, void *user)
{
	char *seen = user;

	strncat(seen, h->loopback ? "L" : "-", 15);
	return 0;
}

/* A secret in a URL whose host is this machine is marked (the ranker
 * lowers it); "localhost.acme.com" is not this machine. */
static void test_loopback_host(void **state)
{
	static const char yaml[] =
		"rules:\n"
		"  - id: uri-pass\n"
		"    category: secret\n"
		"    severity: high\n"
		"    pattern: '[a-z]{2,8}://[a-z]{1,10}:([^@\\s]{6,40})@'\n";
	const char text[] = "db://u:Xk9mP2qT@localhost:5/x\n"
			    "db://u:Xk9mP2qT7@localhost.acme.com/x\n"
			    "db://u:Xk9mP2qT8@127.0.0.1/\n"
			    "db://u:Xk9mP2qT9@db.acme.com/\n"
			    "db://u:Xk9mP2qTa@[::1]:5432/\n";
	struct fixture f = { 0 };
	struct lsi_mstream *st;
	char seen[16] = "";

	(void)state;
	lsi_ruleset_init(&f.rs);
	assert_int_equal(lsi_ruleset_load_mem(&f.rs, "u.yml", yaml, strlen(yaml), false), LS_OK);
	assert_int_equal(lsi_engine_new(&f.rs, NULL, &f.e), LS_OK);
	assert_int_equal(lsi_matcher_new(f.e, &f.m), LS_OK);
	assert_int_equal(lsi_mstream_open(f.m, loop_cb, seen, &st), LS_OK);
	assert_int_equal(lsi_mstream_push(st, (const uint8_t *)text, sizeof(text) - 1, true), LS_OK);
	assert_int_equal(lsi_mstream_close(st), LS_OK);
	assert_string_equal(seen, "L-L-L");
	lsi_matcher_free(f.m);
	lsi_engine_free(f.e);
	lsi_ruleset_fini(&f.rs);
}

static void test_bad_rules(void **state)
{
	struct lsi_ruleset rs;
	struct lsi_engine *e = NULL;
	static const char bad[] =
		"rules:\n"
		"  - id: Bad_Id\n"
		"    severity: medium\n"
		"    category: nope\n"
		"    pattern: 'x'\n"
		"  - id: ok-but-broken\n"
		"    severity: medium\n"
		"    category: secret\n"
		"    pattern: '(abc'\n";

	(void)state;
	lsi_ruleset_init(&rs);
	assert_int_equal(lsi_ruleset_load_mem(&rs, "bad.yml", bad, strlen(bad), false), LS_OK);
	assert_int_equal(rs.errors, 2);      /* id, category */
	assert_int_equal(rs.count, 1);       /* the first rule is dropped */
	assert_int_equal(lsi_engine_new(&rs, NULL, &e), LS_ERR_RULES);
	assert_null(e);
	lsi_ruleset_fini(&rs);
}

static const char path_yaml[] =
	"rules:\n"
	"  - id: env-file\n"
	"    severity: medium\n"
	"    category: sensitive-file\n"
	"    target: path\n"
	"    pattern: '(?:^|/)\\.env$'\n"
	"  - id: key-not-pub\n"
	"    severity: medium\n"
	"    category: sensitive-file\n"
	"    target: path\n"
	"    pattern: '(?:^|/)id_rsa[^/]*(?<!\\.pub)$'\n"
	"  - id: cond\n"
	"    severity: medium\n"
	"    category: sensitive-file\n"
	"    target: path\n"
	"    pattern: '(?:^|/)(x(?1)?y|core)$'\n"
	"  - id: content\n"
	"    severity: medium\n"
	"    category: internal-url\n"
	"    pattern: 'https?://[a-z0-9.-]{1,60}\\.internal\\b'\n";

static void path_hits(struct lsi_engine *e, const char *name, char *out, size_t cap)
{
	struct lsi_matcher *m;
	struct hits hs;

	memset(&hs, 0, sizeof(hs));
	assert_int_equal(lsi_matcher_new(e, &m), LS_OK);
	lsi_engine_match_path(e, m, name, strlen(name), on_hit, &hs);
	/* The marks of one name must not leak into the next. */
	lsi_engine_match_path(e, m, "", 0, on_hit, &hs);
	out[0] = '\0';
	for (size_t i = 0; i < hs.n; i++) {
		strncat(out, hs.rows[i], cap - strlen(out) - 2);
		strcat(out, ";");
	}
	lsi_matcher_free(m);
}

/*
 * Path rules are screened by a block-mode database (exact, prefilter, or
 * not at all when Hyperscan cannot take the pattern: recursion); the hits must be
 * the same with a fresh build and with the database from the cache.
 */
static void test_path_rules(void **state)
{
	static const char *const names[][2] = {
		{"pkg/.env", "0 0-0 L0 C0 /.env;"},
		{"pkg/.env.bak", ""},
		{"home/id_rsa", "1 0-0 L0 C0 /id_rsa;"},
		{"home/id_rsa.pub", ""},
		{"var/core", "2 0-0 L0 C0 /core;"},
		{"a/xy", "2 0-0 L0 C0 /xy;"},
		{"a/x", ""},
		{"a/xxyy", "2 0-0 L0 C0 /xxyy;"},
	};
	char dir[] = "/tmp/ls-engine-XXXXXX", out[1024];

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (int warm = 0; warm < 3; warm++) {
		struct lsi_ruleset rs;
		struct lsi_engine *e;

		lsi_ruleset_init(&rs);
		assert_int_equal(lsi_ruleset_load_mem(&rs, "p.yml", path_yaml, strlen(path_yaml), false),
				 LS_OK);
		assert_int_equal(lsi_engine_new(&rs, warm ? dir : NULL, &e), LS_OK);
		assert_int_equal(lsi_engine_from_cache(e), warm == 2);
		for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
			path_hits(e, names[i][0], out, sizeof(out));
			assert_string_equal(out, names[i][1]);
		}
		lsi_engine_free(e);
		lsi_ruleset_fini(&rs);
	}
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
}

/* The cache key of @rs's rules, through an engine that only lists them. */
static void key_of(struct lsi_ruleset *rs, char key[LSI_DBCACHE_KEY_LEN + 1])
{
	struct lsi_crule *cr = lsi_calloc(rs->count, sizeof(*cr));
	struct lsi_engine e;

	assert_non_null(cr);
	memset(&e, 0, sizeof(e));
	e.rs = rs;
	e.count = rs->count;
	e.rules = cr;
	for (size_t i = 0; i < rs->count; i++)
		cr[i].def = &rs->rules[i];
	lsi_dbcache_key(&e, key);
	lsi_free(cr);
}

/*
 * The built-in rules enter the database cache key as the digest the build
 * made of them, with which of them are disabled; any other rule with its
 * pattern. Keys differ whenever the database would.
 */
static void test_cache_key(void **state)
{
	static const char extra[] = "rules:\n  - id: x-one\n    name: X\n    category: secret\n"
				    "    severity: high\n    pattern: 'XONE[0-9]{8}'\n";
	char k[6][LSI_DBCACHE_KEY_LEN + 1];
	struct lsi_ruleset rs[3];

	(void)state;
	for (int i = 0; i < 3; i++) {
		lsi_ruleset_init(&rs[i]);
		assert_int_equal(lsi_ruleset_load_builtin(&rs[i]), LS_OK);
		assert_true(rs[i].packed && rs[i].pack_first == 0 && rs[i].pack_count == rs[i].count);
	}
	key_of(&rs[0], k[0]);
	key_of(&rs[1], k[1]);
	assert_string_equal(k[0], k[1]);
	assert_int_equal(strlen(k[0]), LSI_DBCACHE_KEY_LEN);
	rs[1].rules[7].disabled = true;
	key_of(&rs[1], k[2]);
	assert_string_not_equal(k[0], k[2]);
	assert_int_equal(lsi_ruleset_load_mem(&rs[2], "x.yml", extra, strlen(extra), false), LS_OK);
	key_of(&rs[2], k[3]);
	assert_string_not_equal(k[0], k[3]);
	lsi_free(rs[2].rules[rs[2].count - 1].pattern);
	rs[2].rules[rs[2].count - 1].pattern = lsi_strdup("XONE[0-9]{9}");
	key_of(&rs[2], k[4]);
	assert_string_not_equal(k[3], k[4]);
	/* The same rules read from their files instead of the pack: a key of
	 * their own (a cache miss at worst, never a wrong database). */
	rs[0].packed = false;
	key_of(&rs[0], k[5]);
	assert_string_not_equal(k[0], k[5]);
	for (int i = 0; i < 3; i++)
		lsi_ruleset_fini(&rs[i]);
}

/*
 * Input that ends right before an unmapped page: Hyperscan's AVX-512
 * literal matcher reads past the end of short inputs, so the engine must
 * never hand it the caller's last bytes directly (names and chunks).
 */
static int count_hit(unsigned id, unsigned long long from, unsigned long long to,
		     unsigned flags, void *ctx)
{
	(void)from;
	(void)flags;
	((unsigned *)ctx)[0]++;
	((unsigned *)ctx)[1] = id;
	((unsigned *)ctx)[2] = (unsigned)to;
	return 0;
}

/* The compiler (loaded on demand where the runtime is linked alone) makes
 * databases the runtime scans, and its errors come back and are freed. */
static void test_compiler_and_runtime(void **state)
{
	const char *exprs[] = { "tok_[a-f0-9]{4}", "AKIA" };
	unsigned flags[] = { 0, 0 }, ids[] = { 7, 9 };
	hs_database_t *db = NULL;
	hs_scratch_t *scratch = NULL;
	hs_compile_error_t *err = NULL;
	hs_expr_info_t *info = NULL;
	unsigned got[3] = { 0 };
	const char text[] = "xx tok_beef yy";
	const char *bad[] = { "a(b" };

	(void)state;
	assert_int_equal(lsi_hsc_compile_multi(exprs, flags, ids, 2, HS_MODE_BLOCK, &db, &err),
			 HS_SUCCESS);
	assert_int_equal(hs_alloc_scratch(db, &scratch), HS_SUCCESS);
	assert_int_equal(hs_scan(db, text, sizeof(text) - 1, 0, scratch, count_hit, got),
			 HS_SUCCESS);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[1], 7);
	assert_int_equal(got[2], 11);
	hs_free_scratch(scratch);
	hs_free_database(db);

	db = NULL;
	assert_int_equal(lsi_hsc_compile_multi(bad, flags, ids, 1, HS_MODE_BLOCK, &db, &err),
			 HS_COMPILER_ERROR);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "parenthes"));
	assert_int_equal(err->expression, 0);
	assert_null(db);
	lsi_hsc_free_compile_error(err);

	assert_int_equal(lsi_hsc_expression_info("ab[0-9]{2,5}", 0, &info, &err), HS_SUCCESS);
	assert_int_equal(info->min_width, 4);
	assert_int_equal(info->max_width, 7);
	free(info);
}

static void test_input_at_end_of_mapping(void **state)
{
	static const char yaml[] =
		"rules:\n"
		"  - id: pets-name\n"
		"    severity: medium\n"
		"    category: sensitive-file\n"
		"    target: path\n"
		"    pattern: '(?i)(?:bat|cat|mat|rat|fat|sat|pat|hat|vat)'\n"
		"  - id: pets\n"
		"    severity: medium\n"
		"    category: internal-url\n"
		"    pattern: '(?i)(?:bat|cat|mat|rat|fat|sat|pat|hat|vat)'\n";
	const char *text = "VAt hat pat sat fat rat mat ca";
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = strlen(text);
	uint8_t *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	struct lsi_ruleset rs;
	struct lsi_engine *e;
	struct lsi_matcher *m;
	struct lsi_mstream *ms;
	struct hits hs, ref;
	uint8_t *at, ref_in[256];

	(void)state;
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + page, page, PROT_NONE), 0);
	lsi_ruleset_init(&rs);
	assert_int_equal(lsi_ruleset_load_mem(&rs, "p.yml", yaml, strlen(yaml), false), LS_OK);
	assert_int_equal(lsi_engine_new(&rs, NULL, &e), LS_OK);
	assert_int_equal(lsi_matcher_new(e, &m), LS_OK);
	/* Ends right at the guard page, and at every distance from it up to
	 * past LSI_HS_SLACK: the input is scanned in place only where the
	 * bytes after it cannot fault. */
	for (size_t gap = 0; gap <= LSI_HS_SLACK + 2; gap++) {
		at = map + page - n - gap;
		memset(map + page - gap, 'x', gap);
		memcpy(at, text, n);
		for (size_t k = 0; k <= n; k++) {
			memset(&hs, 0, sizeof(hs));
			lsi_engine_match_path(e, m, (const char *)at + k, n - k, on_hit, &hs);
			assert_int_equal(hs.n, k + 6 <= n ? 1 : 0); /* the last is "mat ca" */
			/* the same hits as from a copy with room after it: what
			 * lies past the end, here "xxx", is never read as input */
			memcpy(ref_in, at + k, n - k);
			memset(&ref, 0, sizeof(ref));
			assert_int_equal(lsi_mstream_open(m, on_hit, &ref, &ms), LS_OK);
			assert_int_equal(lsi_mstream_push(ms, ref_in, n - k, true), LS_OK);
			assert_int_equal(lsi_mstream_close(ms), LS_OK);
			memset(&hs, 0, sizeof(hs));
			assert_int_equal(lsi_mstream_open(m, on_hit, &hs, &ms), LS_OK);
			assert_int_equal(lsi_mstream_push(ms, at + k, n - k, true), LS_OK);
			assert_int_equal(lsi_mstream_close(ms), LS_OK);
			assert_true(ref.n > 0 || k + 3 > n - 3);
			assert_int_equal(hs.n, ref.n);
			for (size_t r = 0; r < hs.n; r++)
				assert_string_equal(hs.rows[r], ref.rows[r]);
		}
	}
	lsi_matcher_free(m);
	lsi_engine_free(e);
	lsi_ruleset_fini(&rs);
	munmap(map, 2 * page);
}

/* A database of hundreds of content rules is padded with literals no rule
 * owns (hsdb.c): their hits in binary bytes are dropped, the rules' kept. */
static void test_pad_literals(void **state)
{
	struct fixture f = { 0 };
	struct lsi_buf y, text;
	struct hits out;
	uint8_t pad[LSI_PAD_LEN];

	(void)state;
	lsi_buf_init(&y, SIZE_MAX / 2);
	lsi_buf_init(&text, SIZE_MAX / 2);
	lsi_buf_printf(&y, "rules:\n");
	for (int k = 0; k < 340; k++)
		lsi_buf_printf(&y,
			       "  - id: mark-%d\n    category: debug-log\n    severity: low\n"
			       "    pattern: 'mark%04dx'\n",
			       k, k);
	lsi_ruleset_init(&f.rs);
	assert_int_equal(lsi_ruleset_load_mem(&f.rs, "m.yml", (const char *)y.data, y.len, false),
			 LS_OK);
	assert_int_equal(lsi_engine_new(&f.rs, NULL, &f.e), LS_OK);
	assert_true(f.e->pads > 0);
	assert_int_equal(lsi_matcher_new(f.e, &f.m), LS_OK);
	for (unsigned k = 0; k < f.e->pads; k++) {
		lsi_buf_append(&text, pad, lsi_engine_pad_literal(k, pad));
		lsi_buf_puts(&text, " \n"); /* the short pad takes one character more */
	}
	lsi_buf_printf(&text, "mark0007x\n");
	for (long chunk = 0; chunk <= 7; chunk += 7) {
		feed(&f, (const char *)text.data, text.len, chunk, true, &out);
		assert_int_equal(out.n, 1);
		assert_true(strncmp(out.rows[0], "7 ", 2) == 0);
	}
	lsi_buf_fini(&y);
	lsi_buf_fini(&text);
	lsi_matcher_free(f.m);
	lsi_engine_free(f.e);
	lsi_ruleset_fini(&f.rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_split_equivalence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_column, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeated_and_adjacent, setup, teardown),
		cmocka_unit_test(test_entropy_placeholder),
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test(test_shared_secret_one_finding),
		cmocka_unit_test(test_prefix_secret_one_finding),
		cmocka_unit_test(test_loopback_host),
		cmocka_unit_test_setup_teardown(test_columns_in_characters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mute_rule, setup, teardown),
		cmocka_unit_test(test_path_rules),
		cmocka_unit_test(test_cache_key),
		cmocka_unit_test(test_count_newlines),
		cmocka_unit_test_setup_teardown(test_prescan_hits, setup, teardown),
		cmocka_unit_test(test_input_at_end_of_mapping),
		cmocka_unit_test(test_compiler_and_runtime),
		cmocka_unit_test(test_pad_literals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
