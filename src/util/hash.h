/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-256 helpers (libmd) for fingerprints and redaction tags. */
#ifndef LSI_HASH_H
#define LSI_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Writes the first @hex_len hex digits (<= 64) of SHA-256 over the parts. */
void lsi_sha256_hex(const void *a, size_t a_len, const void *b, size_t b_len,
		    char *hex, size_t hex_len);

#endif
