/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Validator tests: known-good and known-bad tokens for every validator,
 * hostile inputs (empty, one byte, huge, NUL, non-ASCII) for all of them,
 * and the name table. Checksummed tokens were generated with Python's
 * zlib.crc32 and a base62 encoder, independently of the C code.
 */
#include "helpers/test_common.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Relative, so the file builds with meson's -Isrc and with a plain -Isrc/engine. */
#include "../../src/engine/validators.h"
#include "../../src/engine/validators/jwt.h"

static const char *const all_names[] = {
	"aws-key-id", "github-token", "jwt", "luhn", "npm-token", "pem-private-key",
};

/* Runs @name on an exact-size heap copy of @s, so ASan sees any read past its end. */
static enum lsi_verdict run(const char *name, const void *s, size_t len, const char **reason)
{
	const struct lsi_validator *v = lsi_validator_find(name);
	uint8_t *copy = malloc(len ? len : 1);
	enum lsi_verdict got;

	assert_non_null(v);
	assert_non_null(copy);
	if (len)
		memcpy(copy, s, len);
	*reason = NULL;
	got = v->check(copy, len, reason);
	free(copy);
	assert_non_null(*reason);
	return got;
}

static void verdict_n(const char *name, const void *s, size_t len, enum lsi_verdict want,
		      const char *why)
{
	const char *reason;

	assert_int_equal(run(name, s, len, &reason), want);
	if (why)
		assert_string_equal(reason, why);
}

static void verdict(const char *name, const char *s, enum lsi_verdict want, const char *why)
{
	verdict_n(name, s, strlen(s), want, why);
}

/* ---- name table ---- */

static void test_find_every_name(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(all_names) / sizeof(*all_names); i++) {
		const struct lsi_validator *v = lsi_validator_find(all_names[i]);

		assert_non_null(v);
		assert_string_equal(v->name, all_names[i]);
		assert_non_null(v->check);
	}
	assert_null(lsi_validator_find("no-such-validator"));
	assert_null(lsi_validator_find(""));
	assert_null(lsi_validator_find("GITHUB-TOKEN"));
	assert_null(lsi_validator_find("jwt "));
	assert_null(lsi_validator_find(NULL));
}

static void test_all_matches_find(void **state)
{
	const struct lsi_validator *const *all = lsi_validator_all();
	size_t n = 0;

	(void)state;
	assert_non_null(all);
	for (; all[n]; n++) {
		assert_ptr_equal(lsi_validator_find(all[n]->name), all[n]);
		for (size_t k = 0; k < n; k++)
			assert_string_not_equal(all[k]->name, all[n]->name);
	}
	assert_int_equal(n, sizeof(all_names) / sizeof(*all_names));
}

/* ---- github-token, npm-token ---- */

static const char *const github_good[] = {
	"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",
	"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",
	"ghu_GNHOErDY9xRh3qtgsO1LqzxiXPN6gQ2ZEPiT",
	"ghs_wjSLou37acBh3pgzgIjnkKiDXw0LrY1f0iKW",
	"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",
	/* CRC32 0x00855f4e: two '0' digits of left padding. */
	"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",
	/* The example in a public write-up of the format, checked independently. */
	"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",
};

static const char npm_good[] = "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";

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Every single-character change after the prefix must break the checksum. */
static void assert_flips_fail(const char *name, const char *token)
{
	char t[41];

	assert_int_equal(strlen(token), 40);
	for (size_t i = 4; i < 40; i++) {
		memcpy(t, token, sizeof(t));
		t[i] = base62[(strchr(base62, token[i]) - base62 + 1) % 62];
		verdict(name, t, LSI_VERDICT_FAIL, "checksum invalid");
	}
}

static void test_github_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(github_good) / sizeof(*github_good); i++)
		verdict("github-token", github_good[i], LSI_VERDICT_PASS, "checksum valid");
}

static void test_github_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(github_good) / sizeof(*github_good); i++)
		assert_flips_fail("github-token", github_good[i]);
	/* Swapping two body characters keeps the multiset but not the CRC. */
	verdict("github-token", "ghp_qcnLGp9NjmtNL1EihJvc7t3QMlJhc510TUq8", LSI_VERDICT_FAIL,
		"checksum invalid");
	verdict("github-token", "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa000000", LSI_VERDICT_FAIL, NULL);
}

static void test_github_other_shapes(void **state)
{
	(void)state;
	verdict("github-token", "ghx_cqnLGp9NjmtNL1EihJvc7t3QMlJhc510TUq8", LSI_VERDICT_NONE, NULL);
	verdict("github-token", "GHP_cqnLGp9NjmtNL1EihJvc7t3QMlJhc510TUq8", LSI_VERDICT_NONE, NULL);
	verdict("github-token", "ghp_cqnLGp9NjmtNL1EihJvc7t3QMlJhc510TUq", LSI_VERDICT_NONE, NULL);
	verdict("github-token", "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8", LSI_VERDICT_NONE, NULL);
	verdict("github-token", "ghp_cqnLGp9NjmtNL1Eih-vc7t3QMlJhc510TUq8", LSI_VERDICT_NONE, NULL);
	verdict("github-token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnop", LSI_VERDICT_NONE, NULL);
	verdict("github-token", npm_good, LSI_VERDICT_NONE, NULL);
	verdict("github-token", "0123456789abcdef0123456789abcdef01234567", LSI_VERDICT_NONE, NULL);
}

static void test_npm(void **state)
{
	(void)state;
	verdict("npm-token", npm_good, LSI_VERDICT_PASS, "checksum valid");
	assert_flips_fail("npm-token", npm_good);
	verdict("npm-token", github_good[0], LSI_VERDICT_NONE, NULL);
	verdict("npm-token", "NPM_kTGdzd85FsyKMSTO34IEAVvdiQBBId15u45P", LSI_VERDICT_NONE, NULL);
	verdict("npm-token", "npm_kTGdzd85FsyKMSTO34IEAVvdiQBBId15u45", LSI_VERDICT_NONE, NULL);
	verdict("npm-token", "npm_kTGdzd85FsyKMSTO34IEAVvdiQBBId15u4_P", LSI_VERDICT_NONE, NULL);
	/* A legacy UUID token has no checksum to judge. */
	verdict("npm-token", "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", LSI_VERDICT_NONE, NULL);
}

/* ---- jwt ---- */

static const char jwt_hs256[] =
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
	"eyJzdWIiOiJsZWFrc2Nhbi10ZXN0IiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDM2MDB9."
	"aZJ5iqO4TEzJPmq0iinZ7BbhTd5Ngzgsum9iX68xxv8";
static const char jwt_none[] =
	"eyJhbGciOiJub25lIn0."
	"eyJzdWIiOiJsZWFrc2Nhbi10ZXN0IiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDM2MDB9.";

/* base64url of @n bytes, with '=' padding if @pad; caller frees. */
static char *b64url(const void *data, size_t n, bool pad)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const uint8_t *p = data;
	char *out = malloc(n / 3 * 4 + 5);
	size_t o = 0, i = 0;

	assert_non_null(out);
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = a[(v >> 6) & 63];
		out[o++] = a[v & 63];
	}
	if (n - i == 1) {
		out[o++] = a[p[i] >> 2];
		out[o++] = a[(p[i] & 3) << 4];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];

		out[o++] = a[v >> 10];
		out[o++] = a[(v >> 4) & 63];
		out[o++] = a[(v & 15) << 2];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

/* "header.payload.sig" from JSON texts; caller frees. */
static char *jwt_make(const char *header, const char *payload, const char *sig, bool pad)
{
	char *h = b64url(header, strlen(header), pad);
	char *p = b64url(payload, strlen(payload), pad);
	size_t n = strlen(h) + strlen(p) + strlen(sig) + 3;
	char *t = malloc(n);

	assert_non_null(t);
	snprintf(t, n, "%s.%s.%s", h, p, sig);
	free(h);
	free(p);
	return t;
}

static void jwt_expect(const char *header, const char *payload, enum lsi_verdict want)
{
	char *t = jwt_make(header, payload, "c2lnbmF0dXJl", false);

	verdict("jwt", t, want, NULL);
	free(t);
	/* The same token with '=' padding kept must get the same verdict. */
	t = jwt_make(header, payload, "c2lnbmF0dXJl", true);
	verdict("jwt", t, want, NULL);
	free(t);
}

static void test_jwt_valid(void **state)
{
	(void)state;
	verdict("jwt", jwt_hs256, LSI_VERDICT_PASS, "valid JWT structure");
	verdict("jwt", jwt_none, LSI_VERDICT_PASS, "valid JWT structure");
	jwt_expect("{\"alg\":\"RS256\",\"kid\":\"k1\"}", "{\"sub\":\"x\"}", LSI_VERDICT_PASS);
	jwt_expect(" \n{ \"typ\" : \"JWT\" , \"alg\" : \"ES256\" }\r\n", "{}", LSI_VERDICT_PASS);
	jwt_expect("{\"alg\":\"HS256\",\"x\":[1,-2.5e3,true,false,null,{\"y\":\"}\"}]}",
		   "{\"s\":\"esc \\\" \\\\ ]\",\"n\":{\"m\":[[]]}}", LSI_VERDICT_PASS);
	/* Non-ASCII inside strings is fine. */
	jwt_expect("{\"alg\":\"HS256\",\"name\":\"J\xc3\xa9r\xc3\xb4me \xf0\x9f\x94\x91\"}",
		   "{\"exp\":1700000000}", LSI_VERDICT_PASS);
}

static void test_jwt_invalid(void **state)
{
	(void)state;
	jwt_expect("{\"typ\":\"JWT\"}", "{\"sub\":\"x\"}", LSI_VERDICT_FAIL);
	jwt_expect("{\"x\":{\"alg\":\"HS256\"}}", "{}", LSI_VERDICT_FAIL);
	jwt_expect("{\"alg\":\"HS256\"", "{}", LSI_VERDICT_FAIL);
	jwt_expect("{\"alg\":\"HS256\"}}", "{}", LSI_VERDICT_FAIL);
	jwt_expect("{\"alg\":\"HS256\"} x", "{}", LSI_VERDICT_FAIL);
	jwt_expect("[\"alg\",\"HS256\"]", "{}", LSI_VERDICT_FAIL);
	jwt_expect("{\"alg\":[\"HS256\"}]", "{}", LSI_VERDICT_FAIL);
	jwt_expect("{\"alg\":\"HS\n256\"}", "{}", LSI_VERDICT_FAIL);
	jwt_expect("{\"alg\":\"HS256\",\"k\":\"unterminated}", "{}", LSI_VERDICT_FAIL);
	jwt_expect("{\"alg\":\"HS256\",\"k\":@}", "{}", LSI_VERDICT_FAIL);
	jwt_expect("{\"alg\":\"HS256\"}", "not json", LSI_VERDICT_FAIL);
	jwt_expect("{\"alg\":\"HS256\"}", "", LSI_VERDICT_FAIL);
	jwt_expect("{\"alg\":\"HS256\"}", "   ", LSI_VERDICT_FAIL);
	jwt_expect("{\"alg\":\"HS256\"}", "{\"a\":1", LSI_VERDICT_FAIL);
	jwt_expect("", "{}", LSI_VERDICT_FAIL);

	verdict("jwt", "eyJhbGciOiJIUzI1NiJ9", LSI_VERDICT_FAIL, "not a decodable JWT");
	verdict("jwt", "eyJhbGciOiJIUzI1NiJ9.e30", LSI_VERDICT_FAIL, NULL);
	verdict("jwt", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln.c2ln", LSI_VERDICT_FAIL, NULL);
	verdict("jwt", ".e30.c2ln", LSI_VERDICT_FAIL, NULL);
	verdict("jwt", "eyJhbGciOiJIUzI1NiJ9..c2ln", LSI_VERDICT_FAIL, NULL);
	/* Standard-alphabet base64 and broken padding are not base64url. */
	verdict("jwt", "eyJhbGciOiJIUzI1NiJ9.e30.c2l+", LSI_VERDICT_FAIL, NULL);
	verdict("jwt", "eyJhbGciOiJIUzI1NiJ9.e30==.c2ln", LSI_VERDICT_FAIL, NULL);
	verdict("jwt", "eyJhbGciOiJIUzI1NiJ9.e30=.c2ln", LSI_VERDICT_PASS, NULL);
	verdict("jwt", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln===", LSI_VERDICT_FAIL, NULL);
	verdict("jwt", "eyJhbGciOiJIUzI1NiJ9.e30.c2l=n", LSI_VERDICT_FAIL, NULL);
	/* Five base64url characters cannot end a base64 string. */
	verdict("jwt", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnb", LSI_VERDICT_FAIL, NULL);
	verdict("jwt", "eyJhbGciOiJIUzI1NiJ9.e30 .c2ln", LSI_VERDICT_FAIL, NULL);
	verdict("jwt", "...", LSI_VERDICT_FAIL, NULL);
}

static void test_jwt_jwe_not_judged(void **state)
{
	(void)state;
	verdict("jwt", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a2V5.aXY.Y3Q.dGFn",
		LSI_VERDICT_NONE, NULL);
}

/* A JSON object of about @n bytes: {"alg":...} first when @alg_first, else last. */
static char *big_json(size_t n, bool alg_first)
{
	char *j = malloc(n + 64);
	size_t o = 0;

	assert_non_null(j);
	o += (size_t)sprintf(j, alg_first ? "{\"alg\":\"RS256\",\"x5c\":\"" : "{\"x5c\":\"");
	while (o < n)
		j[o++] = 'M';
	sprintf(j + o, alg_first ? "\"}" : "\",\"alg\":\"RS256\"}");
	return j;
}

static void test_jwt_long_parts(void **state)
{
	char *big = big_json(6000, true);
	char *big_late = big_json(6000, false);
	char *deep = malloc(2 * 200 + 1);
	char *t;

	(void)state;
	assert_non_null(deep);
	for (size_t i = 0; i < 200; i++) {
		deep[i] = '[';
		deep[200 + i] = ']';
	}
	deep[0] = '{';
	deep[399] = '}';
	deep[400] = '\0';

	/* Payload past the decode buffer: judged on its prefix. */
	t = jwt_make("{\"alg\":\"HS256\"}", big, "c2ln", false);
	verdict("jwt", t, LSI_VERDICT_PASS, "valid JWT structure");
	free(t);
	/* Header past the buffer, "alg" in the checked prefix. */
	t = jwt_make(big, "{}", "c2ln", false);
	verdict("jwt", t, LSI_VERDICT_PASS, NULL);
	free(t);
	/* Header past the buffer, "alg" only after it: cannot tell. */
	t = jwt_make(big_late, "{}", "c2ln", false);
	verdict("jwt", t, LSI_VERDICT_NONE, NULL);
	free(t);
	/* Garbage at the start of a long payload is still provably wrong. */
	big[0] = 'x';
	t = jwt_make("{\"alg\":\"HS256\"}", big, "c2ln", false);
	verdict("jwt", t, LSI_VERDICT_FAIL, NULL);
	free(t);
	/* Nesting deeper than the checker follows is not a failure. */
	t = jwt_make("{\"alg\":\"HS256\"}", deep, "c2ln", false);
	verdict("jwt", t, LSI_VERDICT_PASS, NULL);
	free(t);
	free(big);
	free(big_late);
	free(deep);
}

static int alg_none(const char *header)
{
	char *t = jwt_make(header, "{}", "", false);
	int r = lsi_jwt_alg_none((const uint8_t *)t, strlen(t));

	free(t);
	return r;
}

static void test_jwt_alg_none(void **state)
{
	(void)state;
	assert_int_equal(lsi_jwt_alg_none((const uint8_t *)jwt_none, strlen(jwt_none)), 1);
	assert_int_equal(lsi_jwt_alg_none((const uint8_t *)jwt_hs256, strlen(jwt_hs256)), 0);
	assert_int_equal(alg_none("{\"alg\":\"none\"}"), 1);
	assert_int_equal(alg_none("{\"alg\" : \"None\"}"), 1);
	assert_int_equal(alg_none("{\"typ\":\"JWT\",\"alg\":\"NONE\"}"), 1);
	assert_int_equal(alg_none("{\"alg\":\"nones\"}"), 0);
	assert_int_equal(alg_none("{\"alg\":\"non\"}"), 0);
	assert_int_equal(alg_none("{\"alg\":null}"), 0);
	assert_int_equal(alg_none("{\"x\":{\"alg\":\"none\"}}"), 0);
	assert_int_equal(alg_none("{\"typ\":\"none\"}"), 0);
	assert_int_equal(alg_none("{\"alg\":\"none\""), 0);
	assert_int_equal(lsi_jwt_alg_none(NULL, 0), 0);
	assert_int_equal(lsi_jwt_alg_none((const uint8_t *)".", 1), 0);
	assert_int_equal(lsi_jwt_alg_none((const uint8_t *)"e30", 3), 0);
	/* The header alone is enough: no dot at all. */
	assert_int_equal(lsi_jwt_alg_none((const uint8_t *)"eyJhbGciOiJub25lIn0", 19), 1);
}

/* ---- aws-key-id ---- */

static void test_aws(void **state)
{
	static const char *const prefixes[] = {
		"AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA",
		"AIPA", "ANPA", "ANVA", "APKA", "AROA", "ASCA",
	};
	char id[21];

	(void)state;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++) {
		snprintf(id, sizeof(id), "%sQ3RZ5XKJ7VWM2HLP", prefixes[i]);
		verdict("aws-key-id", id, LSI_VERDICT_PASS, "key id structure valid");
	}
	verdict("aws-key-id", "AKIAIOSFODNN7EXAMPLE", LSI_VERDICT_FAIL, "documented example key");
	verdict("aws-key-id", "AKIAI44QH8DHBEXAMPLE", LSI_VERDICT_FAIL, "documented example key");
	verdict("aws-key-id", "AKIAQ3RZ5XKJ7VWM2HL0", LSI_VERDICT_FAIL, "key id is not base32");
	verdict("aws-key-id", "AKIAQ3RZ5XKJ7VWM2HL1", LSI_VERDICT_FAIL, NULL);
	verdict("aws-key-id", "AKIAQ3RZ5XKJ7VWM2HL8", LSI_VERDICT_FAIL, NULL);
	verdict("aws-key-id", "AKIAQ3RZ5XKJ7VWM2HL9", LSI_VERDICT_FAIL, NULL);
	verdict("aws-key-id", "AKIAq3rz5xkj7vwm2hlp", LSI_VERDICT_FAIL, NULL);
	verdict("aws-key-id", "AKIAQ3RZ5XKJ7VWM2H=P", LSI_VERDICT_FAIL, NULL);
	verdict("aws-key-id", "AKIBQ3RZ5XKJ7VWM2HLP", LSI_VERDICT_NONE, NULL);
	verdict("aws-key-id", "akiaQ3RZ5XKJ7VWM2HLP", LSI_VERDICT_NONE, NULL);
	verdict("aws-key-id", "AKIAQ3RZ5XKJ7VWM2HL", LSI_VERDICT_NONE, NULL);
	verdict("aws-key-id", "AKIAQ3RZ5XKJ7VWM2HLPQ", LSI_VERDICT_NONE, NULL);
}

/* ---- pem-private-key ---- */

static const char *const rsa_lines[] = {
	"MIIBO2zKqtN2vgY/ARvW+l3JkiJQmVjutzyGdPBthgWfD8+40J3IjNsbcC+cBwjt",
	"hUcN02unSDPJALmyrXJILy7MQd3MYQrOoSqe8xkBw9bwVSZJGo/Rw1Pwf161WMdA",
	"Xzcj7mT3klmvKJ1E4wJ72PBRZuURrrX4PqXDZrtu4EPq00pIKneI1Ht2lNLJ61tS",
	"142js5xPAtKlkQ==",
	NULL,
};

/* base64 of "openssh-key-v1\0" and random bytes. */
static const char *const openssh_lines[] = {
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUeEt3vACvWAbH9jGuuAu/67NfsTf9nnS3+iEW0TB",
	"cqB7Ef2HMME9paIju8mXlRu8mYJKUTfsRLrhrMZ3LJtYXK2IlWgst9+NETyX/beVx+jxiT",
	"lnaU3egBWTO4dk7xqFdYtIbo",
	NULL,
};

/* Same, but the magic says "openssh-key-v2". */
static const char *const openssh_v2_lines[] = {
	"b3BlbnNzaC1rZXktdjIAilEn2aEqdnON2ty+/zBxWWIrtjzieiIsS7DbAqs0J7mFCuuVzq",
	"n1/7GYdQl6vLzwBaP5H7m9xDhBMAKq",
	NULL,
};

/*
 * A PEM block with @eol between lines; @slash replaces every '/' in the
 * body (JSON encoders may write "\/"). @headers go before the body.
 */
static void pem_build(char *out, size_t cap, const char *begin, const char *end,
		      const char *headers, const char *const *lines, const char *eol,
		      const char *slash)
{
	size_t o = (size_t)snprintf(out, cap, "-----BEGIN %s-----%s%s", begin, eol, headers);

	for (size_t i = 0; lines[i]; i++) {
		for (const char *c = lines[i]; *c; c++)
			o += (size_t)snprintf(out + o, cap - o, "%s",
					      *c == '/' ? slash : (char[]){ *c, '\0' });
		o += (size_t)snprintf(out + o, cap - o, "%s", eol);
	}
	snprintf(out + o, cap - o, "-----END %s-----", end);
	assert_true(strlen(out) < cap - 1);
}

static void pem_expect(const char *begin, const char *end, const char *headers,
		       const char *const *lines, const char *eol, const char *slash,
		       enum lsi_verdict want, const char *why)
{
	char buf[2048];

	pem_build(buf, sizeof(buf), begin, end, headers, lines, eol, slash);
	verdict("pem-private-key", buf, want, why);
}

static void test_pem_valid(void **state)
{
	/* real breaks, JSON-escaped ones (once, twice), .properties
	 * continuations with and without the escaped break, one line */
	static const char *const eols[] = { "\n",      "\r\n",  "\\n", "\\r\\n", "\\\\n",
					    "\\n\\\n    ", "\\\r\n", " " };

	(void)state;
	for (size_t i = 0; i < sizeof(eols) / sizeof(*eols); i++) {
		pem_expect("RSA PRIVATE KEY", "RSA PRIVATE KEY", "", rsa_lines, eols[i], "/",
			   LSI_VERDICT_PASS, "PEM structure valid");
		pem_expect("PRIVATE KEY", "PRIVATE KEY", "", rsa_lines, eols[i], "\\/",
			   LSI_VERDICT_PASS, "PEM structure valid");
		pem_expect("OPENSSH PRIVATE KEY", "OPENSSH PRIVATE KEY", "", openssh_lines,
			   eols[i], "/", LSI_VERDICT_PASS, "PEM structure valid");
	}
	pem_expect("RSA PRIVATE KEY", "RSA PRIVATE KEY",
		   "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,8E2C0D6A3B7F9E1C5A4D2B0F6E8A1C3D\n\n",
		   rsa_lines, "\n", "/", LSI_VERDICT_PASS, NULL);
	pem_expect("RSA PRIVATE KEY", "RSA PRIVATE KEY",
		   "Proc-Type: 4,ENCRYPTED\\nDEK-Info: DES-EDE3-CBC,0A1B2C3D4E5F6071\\n\\n",
		   rsa_lines, "\\n", "\\/", LSI_VERDICT_PASS, NULL);
	pem_expect("PGP PRIVATE KEY BLOCK", "PGP PRIVATE KEY BLOCK", "Version: test\n\n",
		   (const char *const[]){ rsa_lines[0], rsa_lines[1], rsa_lines[2], rsa_lines[3],
					  "=Qx7c", NULL },
		   "\n", "/", LSI_VERDICT_PASS, NULL);
	verdict("pem-private-key",
		"\n  -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBc5tVwq0c4p1XyV3Hn2dFoG9kQ7aLmZ8sT2"
		"uJ6rY4wPoAoGCCqGSM49AwEHoUQDQgAE\n-----END EC PRIVATE KEY-----\ntrailing",
		LSI_VERDICT_PASS, NULL);
}

static void test_pem_invalid(void **state)
{
	(void)state;
	pem_expect("RSA PRIVATE KEY", "PRIVATE KEY", "", rsa_lines, "\n", "/", LSI_VERDICT_FAIL,
		   "mismatched PEM labels");
	pem_expect("RSA PRIVATE KEY", "EC PRIVATE KEY", "", rsa_lines, "\n", "/",
		   LSI_VERDICT_FAIL, "mismatched PEM labels");
	pem_expect("OPENSSH PRIVATE KEY", "OPENSSH PRIVATE KEY", "", openssh_v2_lines, "\n", "/",
		   LSI_VERDICT_FAIL, "not an OpenSSH key");
	pem_expect("OPENSSH PRIVATE KEY", "OPENSSH PRIVATE KEY", "", rsa_lines, "\n", "/",
		   LSI_VERDICT_FAIL, "not an OpenSSH key");
	/* A template, a short body, misplaced padding, a stray escape. */
	pem_expect("RSA PRIVATE KEY", "RSA PRIVATE KEY", "",
		   (const char *const[]){ "MIIEpAIBAAKCAQEA...", rsa_lines[1], NULL }, "\n", "/",
		   LSI_VERDICT_FAIL, "PEM body is not base64");
	pem_expect("RSA PRIVATE KEY", "RSA PRIVATE KEY", "",
		   (const char *const[]){ "MIIEpAIBAAKCAQEA", NULL }, "\n", "/", LSI_VERDICT_FAIL,
		   "PEM body is not base64");
	pem_expect("RSA PRIVATE KEY", "RSA PRIVATE KEY", "",
		   (const char *const[]){ rsa_lines[0], "AB==", rsa_lines[1], NULL }, "\n", "/",
		   LSI_VERDICT_FAIL, "PEM body is not base64");
	pem_expect("RSA PRIVATE KEY", "RSA PRIVATE KEY", "", rsa_lines, "\\t", "/",
		   LSI_VERDICT_FAIL, "PEM body is not base64");
	pem_expect("RSA PRIVATE KEY", "RSA PRIVATE KEY", "",
		   (const char *const[]){ rsa_lines[0], rsa_lines[1], "Proc-Type: 4,ENCRYPTED",
					  NULL },
		   "\n", "/", LSI_VERDICT_FAIL, "PEM body is not base64");
	/* 65 data characters: no base64 string has that length. */
	pem_expect("PRIVATE KEY", "PRIVATE KEY", "",
		   (const char *const[]){ rsa_lines[0], "A", NULL }, "\n", "/", LSI_VERDICT_FAIL,
		   "PEM body is not base64");
	pem_expect("PRIVATE KEY", "PRIVATE KEY", "",
		   (const char *const[]){ rsa_lines[0], "AB===", NULL }, "\n", "/", LSI_VERDICT_FAIL,
		   "PEM body is not base64");
	pem_expect("PRIVATE KEY", "PRIVATE KEY", "",
		   (const char *const[]){ rsa_lines[0], "====", NULL }, "\n", "/", LSI_VERDICT_FAIL,
		   "PEM body is not base64");
}

static void test_pem_other_shapes(void **state)
{
	char buf[2048];

	(void)state;
	pem_build(buf, sizeof(buf), "RSA PRIVATE KEY", "RSA PRIVATE KEY", "", rsa_lines, "\n", "/");
	/* Cut before or inside the END line: maybe a real key, cannot tell. */
	*strstr(buf, "-----END") = '\0';
	verdict("pem-private-key", buf, LSI_VERDICT_NONE, "no PEM END line");
	pem_build(buf, sizeof(buf), "RSA PRIVATE KEY", "RSA PRIVATE KEY", "", rsa_lines, "\n", "/");
	buf[strlen(buf) - 3] = '\0';
	verdict("pem-private-key", buf, LSI_VERDICT_NONE, "no PEM END line");
	verdict("pem-private-key", "MIIEpAIBAAKCAQEA", LSI_VERDICT_NONE, "not a PEM block");
	verdict("pem-private-key", "-----BEGIN -----\nAAAA\n-----END -----", LSI_VERDICT_NONE, NULL);
	verdict("pem-private-key", "-----BEGIN RSA PRIVATE KEY", LSI_VERDICT_NONE, NULL);
	verdict("pem-private-key", "-----BEGIN RSA\tKEY-----\n-----END RSA\tKEY-----",
		LSI_VERDICT_NONE, NULL);
	verdict("pem-private-key", "x-----BEGIN RSA PRIVATE KEY-----", LSI_VERDICT_NONE, NULL);
}

/* ---- luhn ---- */

static void test_luhn(void **state)
{
	(void)state;
	verdict("luhn", "4111111111111111", LSI_VERDICT_PASS, "Luhn checksum valid");
	verdict("luhn", "4111 1111 1111 1111", LSI_VERDICT_PASS, NULL);
	verdict("luhn", "4111-1111-1111-1111", LSI_VERDICT_PASS, NULL);
	verdict("luhn", "080751656143", LSI_VERDICT_PASS, NULL);
	verdict("luhn", "0532352691595641905", LSI_VERDICT_PASS, NULL);
	verdict("luhn", "4111111111111112", LSI_VERDICT_FAIL, "Luhn checksum invalid");
	verdict("luhn", "4111 1111 1111 1121", LSI_VERDICT_FAIL, NULL);
	verdict("luhn", "080751656144", LSI_VERDICT_FAIL, NULL);
	verdict("luhn", "0532352691595641904", LSI_VERDICT_FAIL, NULL);
	verdict("luhn", "41111111118", LSI_VERDICT_NONE, "not a card number shape");
	verdict("luhn", "41111111111111111113", LSI_VERDICT_NONE, NULL);
	verdict("luhn", "4111.1111.1111.1111", LSI_VERDICT_NONE, NULL);
	verdict("luhn", "4111x111111111111", LSI_VERDICT_NONE, NULL);
	verdict("luhn", " - - - ", LSI_VERDICT_NONE, NULL);
}

/* ---- hostile input, every validator ---- */

static void assert_sane(const void *s, size_t len)
{
	for (size_t i = 0; i < sizeof(all_names) / sizeof(*all_names); i++) {
		const char *reason;
		enum lsi_verdict v = run(all_names[i], s, len, &reason);

		assert_true(v == LSI_VERDICT_NONE || v == LSI_VERDICT_PASS ||
			    v == LSI_VERDICT_FAIL);
	}
	assert_in_range(lsi_jwt_alg_none(s, len), 0, 1);
}

static void test_empty(void **state)
{
	const struct lsi_validator *const *all = lsi_validator_all();

	(void)state;
	assert_sane("", 0);
	for (size_t i = 0; all[i]; i++) {
		const char *reason = NULL;

		/* Zero bytes may come with no buffer at all. */
		assert_int_not_equal(all[i]->check(NULL, 0, &reason), LSI_VERDICT_PASS);
		assert_non_null(reason);
	}
	verdict("jwt", "", LSI_VERDICT_FAIL, NULL);
	verdict("github-token", "", LSI_VERDICT_NONE, NULL);
	verdict("luhn", "", LSI_VERDICT_NONE, NULL);
}

static void test_one_byte(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		uint8_t b = (uint8_t)c;

		assert_sane(&b, 1);
		for (size_t i = 0; i < sizeof(all_names) / sizeof(*all_names); i++) {
			const char *reason;

			assert_int_not_equal(run(all_names[i], &b, 1, &reason), LSI_VERDICT_PASS);
		}
	}
}

static void test_huge(void **state)
{
	static const char fill[] = { 'A', '.', '7', '\\', '-', '=', '{', '\0', '\xff', '\n' };
	size_t n = (size_t)1 << 20;
	char *big = malloc(n + 64);
	char *t;

	(void)state;
	assert_non_null(big);
	for (size_t f = 0; f < sizeof(fill); f++) {
		memset(big, fill[f], n);
		assert_sane(big, n);
	}
	/* Long versions of each shape, to reach the deep paths. */
	memcpy(big, "-----BEGIN RSA PRIVATE KEY-----\n", 32);
	memset(big + 32, 'A', n - 32);
	strcpy(big + n - 30, "\n-----END RSA PRIVATE KEY-----");
	verdict_n("pem-private-key", big, n, LSI_VERDICT_PASS, NULL);
	memset(big + 32, '\\', n - 64);
	verdict_n("pem-private-key", big, n, LSI_VERDICT_FAIL, NULL);
	memcpy(big, github_good[0], 40);
	assert_sane(big, n);
	verdict_n("github-token", big, n, LSI_VERDICT_NONE, NULL);
	memset(big, '4', n);
	verdict_n("luhn", big, n, LSI_VERDICT_NONE, NULL);
	free(big);

	big = big_json(n, true);
	t = jwt_make("{\"alg\":\"HS256\"}", big, "c2ln", false);
	verdict("jwt", t, LSI_VERDICT_PASS, NULL);
	free(t);
	free(big);
}

static void test_embedded_nul(void **state)
{
	char t[64];

	(void)state;
	memcpy(t, github_good[0], 41);
	t[20] = '\0';
	verdict_n("github-token", t, 40, LSI_VERDICT_NONE, NULL);
	memcpy(t, npm_good, 41);
	t[39] = '\0';
	verdict_n("npm-token", t, 40, LSI_VERDICT_NONE, NULL);
	verdict_n("aws-key-id", "AKIAQ3RZ5XKJ7VWM\0HLP", 20, LSI_VERDICT_FAIL, NULL);
	verdict_n("aws-key-id", "AKI\0Q3RZ5XKJ7VWM2HLP", 20, LSI_VERDICT_NONE, NULL);
	verdict_n("luhn", "4111111111111111\0", 17, LSI_VERDICT_NONE, NULL);
	verdict_n("jwt", jwt_hs256, sizeof(jwt_hs256), LSI_VERDICT_FAIL, NULL);
	{
		static const char hdr[] = "{\"alg\":\"HS256\",\"a\":\"x\0y\"}";
		char *h = b64url(hdr, sizeof(hdr) - 1, false);
		size_t n = strlen(h) + 8;
		char *tok = malloc(n);

		assert_non_null(tok);
		snprintf(tok, n, "%s.e30.", h);
		/* A raw NUL inside a JSON string is a control character. */
		verdict("jwt", tok, LSI_VERDICT_FAIL, NULL);
		free(tok);
		free(h);
	}
	{
		char buf[2048];
		size_t n;

		pem_build(buf, sizeof(buf), "RSA PRIVATE KEY", "RSA PRIVATE KEY", "", rsa_lines,
			  "\n", "/");
		n = strlen(buf);
		buf[40] = '\0';
		verdict_n("pem-private-key", buf, n, LSI_VERDICT_FAIL, "PEM body is not base64");
	}
}

static void test_non_ascii(void **state)
{
	(void)state;
	verdict("github-token", "ghp_cqnLGp9NjmtNL1EihJvc7t3QMlJhc5\xc3\xa9TUq8", LSI_VERDICT_NONE,
		NULL);
	verdict("npm-token", "npm_kTGdzd85FsyKMSTO34IEAVvdiQBBId15u4\xff\xfe", LSI_VERDICT_NONE, NULL);
	verdict("aws-key-id", "AKIAQ3RZ5XKJ7VWM2H\xc3\x89", LSI_VERDICT_FAIL, NULL);
	verdict("luhn", "4111\xc2\xa0" "1111\xc2\xa0" "1111\xc2\xa0" "1111", LSI_VERDICT_NONE, NULL);
	verdict("jwt", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln\xc3\xa9", LSI_VERDICT_FAIL, NULL);
	verdict("pem-private-key",
		"-----BEGIN RSA PRIVATE KEY\xc3\xa9-----\n-----END RSA PRIVATE KEY\xc3\xa9-----",
		LSI_VERDICT_NONE, NULL);
	pem_expect("RSA PRIVATE KEY", "RSA PRIVATE KEY", "", rsa_lines, "\xe2\x80\xa8", "/",
		   LSI_VERDICT_FAIL, "PEM body is not base64");
	/* A header that decodes to bytes that are not JSON at all. */
	{
		static const uint8_t bin[] = { 0xff, 0xfe, 0x00, 0x7b, 0x80 };
		char *h = b64url(bin, sizeof(bin), false);
		size_t n = strlen(h) + 8;
		char *tok = malloc(n);

		assert_non_null(tok);
		snprintf(tok, n, "%s.e30.", h);
		verdict("jwt", tok, LSI_VERDICT_FAIL, NULL);
		free(tok);
		free(h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_every_name),
		cmocka_unit_test(test_all_matches_find),
		cmocka_unit_test(test_github_valid),
		cmocka_unit_test(test_github_invalid),
		cmocka_unit_test(test_github_other_shapes),
		cmocka_unit_test(test_npm),
		cmocka_unit_test(test_jwt_valid),
		cmocka_unit_test(test_jwt_invalid),
		cmocka_unit_test(test_jwt_jwe_not_judged),
		cmocka_unit_test(test_jwt_long_parts),
		cmocka_unit_test(test_jwt_alg_none),
		cmocka_unit_test(test_aws),
		cmocka_unit_test(test_pem_valid),
		cmocka_unit_test(test_pem_invalid),
		cmocka_unit_test(test_pem_other_shapes),
		cmocka_unit_test(test_luhn),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_one_byte),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_non_ascii),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
