/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Escaping of names and text taken from artifacts before they reach a
 * terminal: control characters (C0, DEL, C1) and invalid UTF-8 become
 * visible escapes, so an artifact can never drive the terminal.
 */
#ifndef LSI_ESCAPE_H
#define LSI_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Appends @s with \n, \t, \xHH escapes; backslash itself is kept as is. */
bool lsi_escape_term(struct lsi_buf *out, const char *s, size_t len);

#endif
