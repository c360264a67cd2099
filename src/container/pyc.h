/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Python bytecode (.pyc): marshalled code objects, whose string constants
 * sit between a type byte and the next object's, so a secret in one is
 * followed by a letter ('z', 'r') and no rule ending in \b matches. The
 * constants are handed out instead, one a line.
 */
#ifndef LSI_PYC_H
#define LSI_PYC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bstream.h"

/* Whether member @name with first bytes @head is a .pyc file. */
bool lsi_pyc_sniff(const char *name, const uint8_t *head, size_t n);
/*
 * A stream of the string constants of the .pyc read from @in (taken, and
 * closed with the stream), a line each. At most @max bytes of it are read:
 * past that the stream ends with LSI_RD_LIMIT. NULL when out of memory.
 */
struct lsi_bstream *lsi_pyc_strings(struct lsi_bstream *in, size_t max);
/* The extraction itself, for tests and fuzzing: writes at most @n + 1
 * bytes to @out (which must hold @n + 1) and returns how many. */
size_t lsi_pyc_extract(const uint8_t *b, size_t n, uint8_t *out);

#endif
