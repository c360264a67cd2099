/* SPDX-License-Identifier: Apache-2.0 */
/*
 * github-token: GitHub's prefixed tokens (ghp_, gho_, ghu_, ghs_, ghr_)
 * end in six base62 digits of the CRC32 of their 30 random characters, so
 * a look-alike can be rejected offline. Other layouts (github_pat_, the
 * old 40-hex tokens) are not judged.
 */
#include <stdbool.h>
#include <string.h>
#include <zlib.h>

#include "../validators.h"

enum {
	GH_PREFIX_LEN = 4,
	GH_BODY_LEN = 30,
	GH_CRC_LEN = 6,
	GH_TOKEN_LEN = GH_PREFIX_LEN + GH_BODY_LEN + GH_CRC_LEN
};

static const char *const gh_prefixes[] = { "ghp_", "gho_", "ghu_", "ghs_", "ghr_" };

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Explicit ranges, not isalnum(): that one follows the locale. */
static bool is_base62(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Most significant digit first, left-padded with '0'; 62^6 > 2^32, so six digits always fit. */
static void crc_base62(uint32_t crc, char out[GH_CRC_LEN])
{
	for (int i = GH_CRC_LEN - 1; i >= 0; i--) {
		out[i] = base62[crc % 62];
		crc /= 62;
	}
}

static enum lsi_verdict check(const uint8_t *s, size_t len, const char **reason)
{
	bool known = false;
	char want[GH_CRC_LEN];

	*reason = "not a checksummed GitHub token";
	if (len != GH_TOKEN_LEN)
		return LSI_VERDICT_NONE;
	for (size_t i = 0; i < sizeof(gh_prefixes) / sizeof(*gh_prefixes); i++)
		if (memcmp(s, gh_prefixes[i], GH_PREFIX_LEN) == 0)
			known = true;
	if (!known)
		return LSI_VERDICT_NONE;
	for (size_t i = GH_PREFIX_LEN; i < len; i++)
		if (!is_base62(s[i]))
			return LSI_VERDICT_NONE;
	crc_base62((uint32_t)crc32(0, s + GH_PREFIX_LEN, GH_BODY_LEN), want);
	if (memcmp(want, s + GH_PREFIX_LEN + GH_BODY_LEN, GH_CRC_LEN) != 0) {
		*reason = "checksum invalid";
		return LSI_VERDICT_FAIL;
	}
	*reason = "checksum valid";
	return LSI_VERDICT_PASS;
}

const struct lsi_validator lsi_validator_github_token = { "github-token", check };
