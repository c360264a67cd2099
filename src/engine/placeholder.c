/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Placeholder and documented-example detection. A capture that is one of
 * these is not a leaked secret but a template, a docs value or a mask.
 * The word list is deliberately short: each entry must be rare inside
 * real random tokens.
 */
#include <ctype.h>
#include <string.h>

#include "engine.h"

static const char *const markers[] = {
	"example", "xxxx", "your", "placeholder", "changeme", "change_me",
	"dummy", "sample", "redacted", "insert", "replace", "todo", "fixme",
	"<", ">", "${", "{{", "%s", "****", "...", "0000000000", "1234567890",
	"abcdefgh", "process.env", "os.environ", "getenv",
};

/* Keys published in vendor documentation as examples. */
static const char *const documented[] = {
	"AKIAIOSFODNN7EXAMPLE",
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
	/* Azurite and the Azure Storage Emulator: one well-known key for all */
	"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
	/* the bot token of Slack's oauth.v2.access documentation */
	"xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
	/* RFC 6749's examples: client s6BhdRkqt3:gX1fBat3bV as HTTP Basic,
	 * its access and refresh tokens and authorization code */
	"czZCaGRSa3F0MzpnWDFmQmF0M2JW",
	"2YotnFZFEjr1zCsicMWpAA",
	"tGzv3JOkF0XG5Qx2TlKWIA",
	"SplxlOBeZQQYbYS6WxSbIA",
	/* RFC 5849's (OAuth 1.0) example consumer key, token and signature */
	"0685bd9184jfhq22",
	"ad180jjd733klru7",
	"wOJIO9A2W5mFwDgiDvZbTSMK%2FPY%3D",
};

/* Parts of widely copied documentation values: the jwt.io sample token's
 * payload ({"sub":"1234567890","name":"John Doe",...}). */
static const char *const documented_parts[] = {
	"eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIi",
};

static bool contains_ci(const uint8_t *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	if (n > len)
		return false;
	for (size_t i = 0; i + n <= len; i++) {
		size_t k = 0;

		while (k < n && tolower(s[i + k]) == needle[k])
			k++;
		if (k == n)
			return true;
	}
	return false;
}

bool lsi_documented_example(const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < sizeof(documented) / sizeof(*documented); i++)
		if (strlen(documented[i]) == len && memcmp(documented[i], s, len) == 0)
			return true;
	for (size_t i = 0; i < sizeof(documented_parts) / sizeof(*documented_parts); i++) {
		size_t n = strlen(documented_parts[i]);

		for (size_t k = 0; k + n <= len; k++)
			if (memcmp(s + k, documented_parts[i], n) == 0)
				return true;
	}
	return false;
}

const char *lsi_placeholder_reason(const uint8_t *s, size_t len)
{
	bool seen[256] = { false };
	unsigned distinct = 0;

	if (lsi_documented_example(s, len))
		return "documented example key";
	for (size_t i = 0; i < sizeof(markers) / sizeof(*markers); i++)
		if (contains_ci(s, len, markers[i]))
			return "placeholder";
	for (size_t i = 0; i < len && distinct <= 3; i++)
		if (!seen[s[i]]) {
			seen[s[i]] = true;
			distinct++;
		}
	if (len >= 4 && distinct <= 3)
		return "placeholder";
	return NULL;
}
