/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws-key-id: an AWS access key id is a four-letter type prefix and 16
 * base32 characters. There is no checksum, so a pass only means the shape
 * is right; the secret key that belongs to it is another rule's business.
 */
#include <stdbool.h>
#include <string.h>

#include "../validators.h"

enum { AWS_PREFIX_LEN = 4, AWS_ID_LEN = 20 };

/* The unique-id prefixes AWS documents for IAM and STS identifiers. */
static const char *const aws_prefixes[] = {
	"AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA",
	"AIPA", "ANPA", "ANVA", "APKA", "AROA", "ASCA",
};

/*
 * AWS documentation writes its sample ids as 13 characters + "EXAMPLE"
 * (AKIAIOSFODNN7EXAMPLE, ...); a random base32 id ends so once in 32^7.
 */
static const char aws_example_suffix[] = "EXAMPLE";

static bool is_base32(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
}

static enum lsi_verdict check(const uint8_t *s, size_t len, const char **reason)
{
	size_t suffix_len = sizeof(aws_example_suffix) - 1;
	bool known = false;

	*reason = "not an AWS key id shape";
	if (len != AWS_ID_LEN)
		return LSI_VERDICT_NONE;
	for (size_t i = 0; i < sizeof(aws_prefixes) / sizeof(*aws_prefixes); i++)
		if (memcmp(s, aws_prefixes[i], AWS_PREFIX_LEN) == 0)
			known = true;
	if (!known)
		return LSI_VERDICT_NONE;
	if (memcmp(s + len - suffix_len, aws_example_suffix, suffix_len) == 0) {
		*reason = "documented example key";
		return LSI_VERDICT_FAIL;
	}
	for (size_t i = AWS_PREFIX_LEN; i < len; i++)
		if (!is_base32(s[i])) {
			*reason = "key id is not base32";
			return LSI_VERDICT_FAIL;
		}
	*reason = "key id structure valid";
	return LSI_VERDICT_PASS;
}

const struct lsi_validator lsi_validator_aws_key_id = { "aws-key-id", check };
