/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded growable buffer; see buf.h. */
#include "buf.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"

void lsi_buf_init(struct lsi_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void lsi_buf_fini(struct lsi_buf *b)
{
	lsi_free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void lsi_buf_reset(struct lsi_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static bool reserve(struct lsi_buf *b, size_t extra)
{
	size_t need, ncap;
	uint8_t *p;

	if (extra > b->max || b->len > b->max - extra)
		return false;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	p = lsi_realloc(b->data, ncap);
	if (!p)
		return false;
	b->data = p;
	b->cap = ncap;
	return true;
}

bool lsi_buf_append(struct lsi_buf *b, const void *p, size_t n)
{
	if (!reserve(b, n))
		return false;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

bool lsi_buf_putc(struct lsi_buf *b, char c)
{
	return lsi_buf_append(b, &c, 1);
}

bool lsi_buf_puts(struct lsi_buf *b, const char *s)
{
	return lsi_buf_append(b, s, strlen(s));
}

bool lsi_buf_printf(struct lsi_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n))
		return false;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return true;
}

char *lsi_buf_steal(struct lsi_buf *b)
{
	char *p;

	if (!b->data && !reserve(b, 0))
		return NULL;
	p = (char *)b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
