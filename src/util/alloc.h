/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The library's only allocator entry points. A test hook can make the
 * Nth allocation fail so out-of-memory paths are exercised.
 */
#ifndef LSI_ALLOC_H
#define LSI_ALLOC_H

#include <stddef.h>

void *lsi_malloc(size_t n);
void *lsi_calloc(size_t count, size_t size);
void *lsi_realloc(void *p, size_t n);
void lsi_free(void *p);
/* Heap copy of @s (NUL-terminated) / of @n bytes plus a NUL; NULL on OOM. */
char *lsi_strdup(const char *s);
char *lsi_strndup(const char *s, size_t n);

/*
 * Test seam: after @n more successful allocations, fail every further one
 * (n < 0 disables). Thread-local, so parallel tests do not interfere.
 */
void lsi_alloc_fail_after(long n);

#endif
