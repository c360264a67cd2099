/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the jwt validator can tell besides its verdict, for the ranker:
 * whether a token declares itself unsigned. Checks on bytes only; no
 * signature is ever verified.
 */
#ifndef LSI_JWT_H
#define LSI_JWT_H

#include <stddef.h>
#include <stdint.h>

/*
 * 1 when the JOSE header (the first dot-separated part) of @s (@len bytes,
 * not NUL-terminated) decodes to a JSON object whose top-level "alg" is
 * "none" in any letter case, else 0. Any bytes and any length are safe;
 * no heap is used. Thread-safe.
 */
int lsi_jwt_alg_none(const uint8_t *s, size_t len);

#endif
