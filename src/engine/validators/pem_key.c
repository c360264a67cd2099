/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pem-private-key: a captured "-----BEGIN X-----" ... "-----END X-----"
 * block needs agreeing labels and a base64 body, so templates ("MIIE...")
 * and mangled copies are dropped. Line breaks may be real, CRLF or
 * JSON-escaped. The key material is not parsed, except for the OpenSSH
 * magic that every OpenSSH private key starts with.
 */
#include <stdbool.h>
#include <string.h>

#include "../validators.h"

enum {
	PEM_MIN_BODY = 64,  /* base64 characters, padding excluded */
	PEM_MAX_LABEL = 64, /* RFC 7468 sets no cap; real labels are under 30 */
	PEM_DASHES = 5,
	PEM_EOF = -1,       /* pem_next(): input used up */
	PEM_EOL = 256,      /* pem_next(): a line break, real or escaped */
	OPENSSH_HEAD = 20   /* base64 characters that decode to the 15-byte magic */
};

static const char begin_mark[] = "-----BEGIN ";
static const char end_mark[] = "-----END ";
static const char openssh_label[] = "OPENSSH PRIVATE KEY";
static const char pgp_label_prefix[] = "PGP ";
/* "openssh-key-v1" and its terminating NUL, as the format's magic includes it. */
static const uint8_t openssh_magic[15] = "openssh-key-v1";

struct pem_body {
	size_t data_len; /* base64 characters, padding excluded */
	size_t pad_len;  /* '=' after them */
	uint8_t head[OPENSSH_HEAD];
};

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Offset of the first @needle in s[from, len), or len. */
static size_t find(const uint8_t *s, size_t len, size_t from, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = from; i < len && len - i >= n; i++)
		if (s[i] == (uint8_t)needle[0] && memcmp(s + i, needle, n) == 0)
			return i;
	return len;
}

/* Where the label starting at s[i] ends (its closing dashes start), or len if it is not a label. */
static size_t label_end(const uint8_t *s, size_t len, size_t i)
{
	for (size_t k = i; k < len && k - i <= PEM_MAX_LABEL; k++) {
		if (len - k >= PEM_DASHES && memcmp(s + k, "-----", PEM_DASHES) == 0)
			return k > i ? k : len;
		if (s[k] < 0x20 || s[k] > 0x7e)
			return len;
	}
	return len;
}

/*
 * The next character at *i with line breaks folded to PEM_EOL. A run of
 * backslashes before n or r is an escaped break (JSON strings, once or
 * twice nested), before a real break a line continuation (a key in a
 * .properties value), and before '/' an escaped slash, which some JSON
 * encoders write for every '/' in base64; any other run reads as one '\\'.
 */
static int pem_next(const uint8_t *s, size_t len, size_t *i)
{
	size_t k = *i;
	uint8_t c;

	if (k >= len)
		return PEM_EOF;
	c = s[k];
	if (c == '\n' || c == '\r') {
		*i = k + 1;
		return PEM_EOL;
	}
	if (c == '\\') {
		while (k < len && s[k] == '\\')
			k++;
		if (k < len && (s[k] == 'n' || s[k] == 'r' || s[k] == '/')) {
			*i = k + 1;
			return s[k] == '/' ? '/' : PEM_EOL;
		}
		if (k < len && (s[k] == '\n' || s[k] == '\r')) {
			/* A line continuation (.properties, shell): one break. */
			*i = k + 1 + (s[k] == '\r' && k + 1 < len && s[k + 1] == '\n');
			return PEM_EOL;
		}
		/* The whole run at once: rescanning it per backslash would be quadratic. */
		*i = k;
		return '\\';
	}
	*i = k + 1;
	return c;
}

/*
 * Checks the lines of s[i, end): header lines (with ':') before the data
 * are skipped, as are blank lines and, for OpenPGP armor, its "=XXXX"
 * checksum line; everything else must be base64 with padding only at the end.
 */
static bool body_check(const uint8_t *s, size_t end, size_t i, bool pgp, struct pem_body *b)
{
	bool in_data = false;

	while (i < end) {
		size_t line = i, visible = 0;
		bool colon = false;
		int c, first = 0;

		while ((c = pem_next(s, end, &i)) != PEM_EOF && c != PEM_EOL) {
			if (c == ' ' || c == '\t')
				continue;
			if (visible++ == 0)
				first = c;
			if (c == ':')
				colon = true;
		}
		if (visible == 0 || (colon && !in_data) || (pgp && first == '=' && visible == 5))
			continue;
		in_data = true;
		while ((c = pem_next(s, end, &line)) != PEM_EOF && c != PEM_EOL) {
			if (c == ' ' || c == '\t')
				continue;
			if (c == '=') {
				if (++b->pad_len > 2)
					return false;
				continue;
			}
			if (b64_value(c) < 0 || b->pad_len > 0)
				return false;
			if (b->data_len < OPENSSH_HEAD)
				b->head[b->data_len] = (uint8_t)c;
			b->data_len++;
		}
	}
	if (b->data_len < PEM_MIN_BODY || b->data_len % 4 == 1)
		return false;
	return b->pad_len == 0 || (b->data_len + b->pad_len) % 4 == 0;
}

static bool openssh_magic_ok(const uint8_t head[OPENSSH_HEAD])
{
	uint8_t out[sizeof(openssh_magic)];

	for (size_t g = 0; g < OPENSSH_HEAD / 4; g++) {
		uint32_t v = 0;

		for (size_t k = 0; k < 4; k++)
			v = (v << 6) | (uint32_t)b64_value(head[g * 4 + k]);
		out[g * 3] = (uint8_t)(v >> 16);
		out[g * 3 + 1] = (uint8_t)(v >> 8);
		out[g * 3 + 2] = (uint8_t)v;
	}
	return memcmp(out, openssh_magic, sizeof(out)) == 0;
}

static bool label_is(const uint8_t *label, size_t n, const char *want, bool prefix)
{
	size_t w = strlen(want);

	return (prefix ? n >= w : n == w) && memcmp(label, want, w) == 0;
}

static enum lsi_verdict check(const uint8_t *s, size_t len, const char **reason)
{
	struct pem_body b = { 0, 0, { 0 } };
	size_t i = 0, label, label_stop, end, end_label, end_stop;

	*reason = "not a PEM block";
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	if (len - i < sizeof(begin_mark) - 1 ||
	    memcmp(s + i, begin_mark, sizeof(begin_mark) - 1) != 0)
		return LSI_VERDICT_NONE;
	label = i + sizeof(begin_mark) - 1;
	if ((label_stop = label_end(s, len, label)) == len)
		return LSI_VERDICT_NONE;
	/* A capture cut short before its END line may still be a real key. */
	*reason = "no PEM END line";
	end = find(s, len, label_stop + PEM_DASHES, end_mark);
	if (end == len)
		return LSI_VERDICT_NONE;
	end_label = end + sizeof(end_mark) - 1;
	if ((end_stop = label_end(s, len, end_label)) == len)
		return LSI_VERDICT_NONE;
	if (end_stop - end_label != label_stop - label ||
	    memcmp(s + end_label, s + label, label_stop - label) != 0) {
		*reason = "mismatched PEM labels";
		return LSI_VERDICT_FAIL;
	}
	if (!body_check(s, end, label_stop + PEM_DASHES,
			label_is(s + label, label_stop - label, pgp_label_prefix, true), &b)) {
		*reason = "PEM body is not base64";
		return LSI_VERDICT_FAIL;
	}
	if (label_is(s + label, label_stop - label, openssh_label, false) &&
	    !openssh_magic_ok(b.head)) {
		*reason = "not an OpenSSH key";
		return LSI_VERDICT_FAIL;
	}
	*reason = "PEM structure valid";
	return LSI_VERDICT_PASS;
}

const struct lsi_validator lsi_validator_pem_key = { "pem-private-key", check };
