/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHA-256 through libmd: a well-kept implementation rather than our own.
 * Two parts are hashed with a separator so ("ab","c") != ("a","bc").
 */
#include "hash.h"

#include <sys/types.h>
#include <sha2.h>

void lsi_sha256_hex(const void *a, size_t a_len, const void *b, size_t b_len,
		    char *hex, size_t hex_len)
{
	static const char digits[] = "0123456789abcdef";
	uint8_t md[SHA256_DIGEST_LENGTH];
	SHA2_CTX ctx;
	const uint8_t sep = 0;

	SHA256Init(&ctx);
	SHA256Update(&ctx, a, a_len);
	SHA256Update(&ctx, &sep, 1);
	SHA256Update(&ctx, b, b_len);
	SHA256Final(md, &ctx);
	if (hex_len > 64)
		hex_len = 64;
	for (size_t i = 0; i < hex_len; i++)
		hex[i] = digits[(md[i / 2] >> ((i % 2) ? 0 : 4)) & 0xf];
	hex[hex_len] = '\0';
}
