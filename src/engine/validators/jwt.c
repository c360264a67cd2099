/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jwt: a compact JWS is three base64url parts; the first two decode to
 * JSON objects and the header names its "alg". The JSON check is only
 * structural (balanced, properly quoted, plausible bytes), not a parser,
 * and no signature is verified.
 */
#include <stdbool.h>
#include <string.h>

#include "../validators.h"
#include "jwt.h"

/*
 * Decoded bytes examined per part, on the stack. Real headers and payloads
 * are far smaller; a longer part is judged on this prefix. Deeper nesting
 * than JWT_MAX_DEPTH is not followed (one bit per level in a uint64_t).
 */
enum { JWT_BUF_LEN = 2048, JWT_MAX_DEPTH = 64, JWT_PARTS = 3, JWE_PARTS = 5 };

enum scan_result {
	SCAN_BAD,     /* provably not a JSON object */
	SCAN_PARTIAL, /* consistent as far as it could be checked */
	SCAN_OK       /* one complete, balanced object */
};

enum str_end { STR_CLOSED, STR_OPEN, STR_BAD };

struct json_facts {
	bool has_alg;  /* a top-level "alg" member */
	bool alg_none; /* ... whose value is "none" in any case */
};

static int b64url_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Whether @p (@n bytes) is base64url with optional '=' padding; sets
 * *data_len to the characters before the padding. RFC 7515 drops the
 * padding, but some encoders keep it, so both are accepted.
 */
static bool part_parse(const uint8_t *p, size_t n, size_t *data_len)
{
	size_t d = 0;

	while (d < n && b64url_value(p[d]) >= 0)
		d++;
	if (n - d > 2 || d % 4 == 1)
		return false;
	for (size_t i = d; i < n; i++)
		if (p[i] != '=')
			return false;
	if (n > d && n % 4 != 0)
		return false;
	*data_len = d;
	return true;
}

/* Decodes at most @cap bytes of the part's data into @out; returns how many. */
static size_t b64url_decode(const uint8_t *p, size_t data_len, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < data_len && o < cap; i++) {
		/* At most 6 undelivered bits are ever pending; keep only those. */
		acc = ((acc & 0x3f) << 6) | (uint32_t)b64url_value(p[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o;
}

static bool json_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Bytes that may stand outside strings: punctuation, numbers, true/false/null. */
static bool json_bare(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return true;
	switch (c) {
	case ',': case ':': case '-': case '+': case '.': case 'e': case 'E':
	case 't': case 'r': case 'u': case 'f': case 'a': case 'l': case 's': case 'n':
		return true;
	default:
		return false;
	}
}

/* From the opening quote at *i; on STR_CLOSED, *i is just past the closing one. */
static enum str_end string_skip(const uint8_t *j, size_t n, size_t *i)
{
	for (size_t k = *i + 1; k < n; k++) {
		if (j[k] == '\\') {
			k++;
		} else if (j[k] == '"') {
			*i = k + 1;
			return STR_CLOSED;
		} else if (j[k] < 0x20) {
			return STR_BAD;
		}
	}
	return STR_OPEN;
}

static size_t skip_space(const uint8_t *j, size_t n, size_t i)
{
	while (i < n && json_space(j[i]))
		i++;
	return i;
}

/*
 * The top-level string j[start, end) (quotes included): when it is the key
 * "alg", records that and whether its value is "none". Escaped spellings
 * of either are not recognised; real encoders do not produce them.
 */
static void note_member(const uint8_t *j, size_t n, size_t start, size_t end,
			struct json_facts *f)
{
	static const char none[] = "none";
	size_t k = skip_space(j, n, end);

	if (end - start != 5 || memcmp(j + start + 1, "alg", 3) != 0 || k >= n || j[k] != ':')
		return;
	f->has_alg = true;
	k = skip_space(j, n, k + 1);
	if (n - k < 6 || j[k] != '"' || j[k + 5] != '"')
		return;
	for (size_t i = 0; i < 4; i++)
		if ((j[k + 1 + i] | 0x20) != none[i])
			return;
	f->alg_none = true;
}

/*
 * Checks that j[0, n) is one JSON object, allowing surrounding white space.
 * When !complete, j is a prefix of the decoded part and running out of
 * bytes is not an error.
 */
static enum scan_result json_object_scan(const uint8_t *j, size_t n, bool complete,
					 struct json_facts *f)
{
	uint64_t objects = 0; /* bit d set: nesting level d is an object, clear: an array */
	unsigned depth = 0;
	bool closed = false;
	size_t i = skip_space(j, n, 0);

	if (i < n && j[i] != '{')
		return SCAN_BAD;
	while (i < n) {
		uint8_t c = j[i];

		if (json_space(c)) {
			i++;
			continue;
		}
		if (closed)
			return SCAN_BAD;
		if (c == '"') {
			size_t start = i;
			enum str_end e = string_skip(j, n, &i);

			if (e == STR_BAD)
				return SCAN_BAD;
			if (e == STR_OPEN)
				return complete ? SCAN_BAD : SCAN_PARTIAL;
			if (depth == 1)
				note_member(j, n, start, i, f);
			continue;
		}
		if (c == '{' || c == '[') {
			if (depth == JWT_MAX_DEPTH)
				return SCAN_PARTIAL;
			if (c == '{')
				objects |= (uint64_t)1 << depth;
			else
				objects &= ~((uint64_t)1 << depth);
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return SCAN_BAD;
			depth--;
			if ((unsigned)((objects >> depth) & 1) != (unsigned)(c == '}'))
				return SCAN_BAD;
			closed = depth == 0;
		} else if (!json_bare(c)) {
			return SCAN_BAD;
		}
		i++;
	}
	if (closed)
		return SCAN_OK;
	return complete ? SCAN_BAD : SCAN_PARTIAL;
}

/* Decodes a part (only a prefix when it is long) and checks it is a JSON object. */
static enum scan_result part_scan(const uint8_t *p, size_t data_len, struct json_facts *f)
{
	uint8_t buf[JWT_BUF_LEN];
	size_t full = data_len / 4 * 3 + data_len % 4 * 3 / 4;
	size_t got = b64url_decode(p, data_len, buf, sizeof(buf));

	return json_object_scan(buf, got, got == full, f);
}

static enum lsi_verdict check(const uint8_t *s, size_t len, const char **reason)
{
	const uint8_t *part[JWT_PARTS];
	size_t part_len[JWT_PARTS], data_len[JWT_PARTS];
	size_t parts = 0, start = 0;
	struct json_facts header = { false, false }, payload = { false, false };
	enum scan_result r;

	*reason = "not a decodable JWT";
	if (len == 0)
		return LSI_VERDICT_FAIL;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (parts < JWT_PARTS) {
			part[parts] = s + start;
			part_len[parts] = i - start;
		}
		parts++;
		start = i + 1;
	}
	/* An encrypted token is a real secret too; its header alone cannot condemn it. */
	if (parts == JWE_PARTS) {
		*reason = "JWE not checked";
		return LSI_VERDICT_NONE;
	}
	if (parts != JWT_PARTS)
		return LSI_VERDICT_FAIL;
	for (size_t k = 0; k < JWT_PARTS; k++)
		if (!part_parse(part[k], part_len[k], &data_len[k]))
			return LSI_VERDICT_FAIL;
	/* The signature may be empty ("alg":"none"); header and payload may not. */
	if (data_len[0] == 0 || data_len[1] == 0)
		return LSI_VERDICT_FAIL;
	r = part_scan(part[0], data_len[0], &header);
	if (r == SCAN_BAD || (r == SCAN_OK && !header.has_alg))
		return LSI_VERDICT_FAIL;
	if (!header.has_alg) {
		*reason = "JWT header not fully checked";
		return LSI_VERDICT_NONE;
	}
	if (part_scan(part[1], data_len[1], &payload) == SCAN_BAD)
		return LSI_VERDICT_FAIL;
	*reason = "valid JWT structure";
	return LSI_VERDICT_PASS;
}

const struct lsi_validator lsi_validator_jwt = { "jwt", check };

int lsi_jwt_alg_none(const uint8_t *s, size_t len)
{
	struct json_facts f = { false, false };
	size_t n = 0, data_len;

	while (n < len && s[n] != '.')
		n++;
	if (n == 0 || !part_parse(s, n, &data_len) || data_len == 0)
		return 0;
	if (part_scan(s, data_len, &f) == SCAN_BAD)
		return 0;
	return f.alg_none;
}
