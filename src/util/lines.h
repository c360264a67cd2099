/* SPDX-License-Identifier: Apache-2.0 */
/* Counting lines in byte ranges. */
#ifndef LSI_LINES_H
#define LSI_LINES_H

#include <stddef.h>
#include <stdint.h>

/* Counts '\n' bytes in @p[0..n). */
uint64_t lsi_count_newlines(const uint8_t *p, size_t n);
/* Counts UTF-8 continuation bytes (10xxxxxx) in @p[0..n): a column in
 * characters is a column in bytes less these. */
uint64_t lsi_count_utf8_cont(const uint8_t *p, size_t n);
/* Tests only: 1 keeps the count off AVX-512 even where the CPU has it. */
extern int lsi_lines_isa_cap;

#endif
