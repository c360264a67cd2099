/* SPDX-License-Identifier: Apache-2.0 */
/* UTF-8 validation shared by the JSON writer and the terminal escaper. */
#ifndef LSI_UTF8_H
#define LSI_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length (2-4) of the well-formed multi-byte UTF-8 sequence at @p, or 0
 * when it is malformed, overlong, a surrogate or past U+10FFFF.
 */
size_t lsi_utf8_valid_len(const uint8_t *p, size_t avail);

#endif
