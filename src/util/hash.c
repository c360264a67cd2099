/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHA-256 through libmd: a well-kept implementation rather than our own.
 * Two parts are hashed with a separator so ("ab","c") != ("a","bc").
 */
#include "hash.h"

#include <string.h>

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

/* One 64-bit word into a lane: multiply-xorshift, as in common fast hashes. */
static uint64_t lane(uint64_t h, uint64_t w)
{
	h ^= w * 0x9e3779b97f4a7c15ull;
	h = (h << 31) | (h >> 33);
	return h * 0xc2b2ae3d27d4eb4full;
}

uint64_t lsi_checksum64(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h[4] = { 0x243f6a8885a308d3ull, 0x13198a2e03707344ull, 0xa4093822299f31d0ull,
			  0x082efa98ec4e6c89ull };
	uint64_t w, r;
	size_t i = 0;

	/* Four independent lanes keep the multiplier busy. */
	for (; n - i >= 32; i += 32)
		for (int k = 0; k < 4; k++) {
			memcpy(&w, b + i + 8 * k, 8);
			h[k] = lane(h[k], w);
		}
	for (; n - i >= 8; i += 8) {
		memcpy(&w, b + i, 8);
		h[0] = lane(h[0], w);
	}
	w = 0;
	memcpy(&w, b + i, n - i);
	r = lane(lane(lane(lane(lane(h[0], w), h[1]), h[2]), h[3]), n);
	r ^= r >> 33;
	r *= 0xff51afd7ed558ccdull;
	return r ^ (r >> 33);
}
