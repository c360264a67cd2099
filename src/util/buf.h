/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Growable byte buffer that always carries a maximum size: appends past
 * the cap fail instead of growing without bound.
 */
#ifndef LSI_BUF_H
#define LSI_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lsi_buf {
	uint8_t *data; /* NUL-terminated when len > 0 or after any append */
	size_t len;    /* bytes in use */
	size_t cap;    /* bytes allocated */
	size_t max;    /* hard limit on len */
};

void lsi_buf_init(struct lsi_buf *b, size_t max);
void lsi_buf_fini(struct lsi_buf *b);
void lsi_buf_reset(struct lsi_buf *b);
/* false on OOM or when the result would exceed max (buffer unchanged). */
bool lsi_buf_append(struct lsi_buf *b, const void *p, size_t n);
bool lsi_buf_putc(struct lsi_buf *b, char c);
bool lsi_buf_puts(struct lsi_buf *b, const char *s);
bool lsi_buf_printf(struct lsi_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hands the data to the caller (free with lsi_free); the buffer is reset. */
char *lsi_buf_steal(struct lsi_buf *b);
static inline const char *lsi_buf_str(const struct lsi_buf *b)
{
	return b->data ? (const char *)b->data : "";
}

#endif
