/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fingerprints: SHA-256 over a version tag, the rule id and the secret,
 * never the location, so the same secret keeps its fingerprint across
 * releases and repackaging. Only a prefix of the digest is kept.
 */
#include <string.h>

#include "rank.h"
#include "util/hash.h"

void lsi_fingerprint(const char *rule_id, const void *secret, size_t len,
		     char out[LSI_FINGERPRINT_LEN + 1])
{
	char tag[160];
	size_t n = strlen(rule_id);

	if (n > sizeof(tag) - 16)
		n = sizeof(tag) - 16;
	memcpy(tag, "leakscan-fp-1:", 14);
	memcpy(tag + 14, rule_id, n);
	lsi_sha256_hex(tag, 14 + n, secret, len, out, LSI_FINGERPRINT_LEN);
}
