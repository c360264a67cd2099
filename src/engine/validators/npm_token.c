/* SPDX-License-Identifier: Apache-2.0 */
/*
 * npm-token: npm's granular and automation tokens (npm_ + 36 base62) use
 * GitHub's layout, a CRC32 of the 30 random characters in the last six,
 * so a look-alike can be rejected offline. Legacy UUID tokens are not judged.
 */
#include <stdbool.h>
#include <string.h>
#include <zlib.h>

#include "../validators.h"

enum {
	NPM_PREFIX_LEN = 4,
	NPM_BODY_LEN = 30,
	NPM_CRC_LEN = 6,
	NPM_TOKEN_LEN = NPM_PREFIX_LEN + NPM_BODY_LEN + NPM_CRC_LEN
};

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Explicit ranges, not isalnum(): that one follows the locale. */
static bool is_base62(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Most significant digit first, left-padded with '0'; 62^6 > 2^32, so six digits always fit. */
static void crc_base62(uint32_t crc, char out[NPM_CRC_LEN])
{
	for (int i = NPM_CRC_LEN - 1; i >= 0; i--) {
		out[i] = base62[crc % 62];
		crc /= 62;
	}
}

static enum lsi_verdict check(const uint8_t *s, size_t len, const char **reason)
{
	char want[NPM_CRC_LEN];

	*reason = "not a checksummed npm token";
	if (len != NPM_TOKEN_LEN || memcmp(s, "npm_", NPM_PREFIX_LEN) != 0)
		return LSI_VERDICT_NONE;
	for (size_t i = NPM_PREFIX_LEN; i < len; i++)
		if (!is_base62(s[i]))
			return LSI_VERDICT_NONE;
	crc_base62((uint32_t)crc32(0, s + NPM_PREFIX_LEN, NPM_BODY_LEN), want);
	if (memcmp(want, s + NPM_PREFIX_LEN + NPM_BODY_LEN, NPM_CRC_LEN) != 0) {
		*reason = "checksum invalid";
		return LSI_VERDICT_FAIL;
	}
	*reason = "checksum valid";
	return LSI_VERDICT_PASS;
}

const struct lsi_validator lsi_validator_npm_token = { "npm-token", check };
