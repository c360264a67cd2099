/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The library's only allocator entry points. A test hook can make the
 * Nth allocation fail so out-of-memory paths are exercised.
 */
#ifndef LSI_ALLOC_H
#define LSI_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

void *lsi_malloc(size_t n);
void *lsi_calloc(size_t count, size_t size);
void *lsi_realloc(void *p, size_t n);
void lsi_free(void *p);
/* Heap copy of @s (NUL-terminated) / of @n bytes plus a NUL; NULL on OOM. */
char *lsi_strdup(const char *s);
char *lsi_strndup(const char *s, size_t n);
/*
 * Grows the array whose pointer is at @slot (*@cap elements of @size bytes)
 * to hold at least @need elements, doubling from @first. False on OOM, the
 * array then as it was.
 */
bool lsi_grow(void *slot, size_t *cap, size_t need, size_t size, size_t first);

/*
 * Memory for megabytes that are written once fresh (read-ahead blocks, a
 * database image being cached): a mapping aligned to 2 MiB and marked for
 * transparent huge pages, which takes one page fault where 4 KiB pages
 * take 512 (measured: 8 MiB touched in 1.2 ms instead of 5-6 ms).
 * At least @n bytes, zeroed; *@len is what lsi_huge_free() needs back.
 */
void *lsi_huge_alloc(size_t n, size_t *len);
void lsi_huge_free(void *p, size_t len);
#define LSI_HUGE_PAGE ((size_t)2 << 20)
/*
 * Puts malloc's heap on transparent huge pages, for a program to call
 * first thing, before anything has called malloc (the library never calls
 * it: the heap is its host's). A scan's heap reaches 1-5 MiB, and on a
 * virtual machine each 4 KiB page touched for the first time costs
 * 6-10 us (280-450 faults, 3-4 ms of a 50 ms scan); a fresh 2 MiB page
 * about 0.1 ms. Only an optimisation: without huge pages, nothing changes.
 */
void lsi_heap_on_huge_pages(void);

/*
 * Test seam: after @n more successful allocations, fail every further one
 * (n < 0 disables). Thread-local, so parallel tests do not interfere.
 */
void lsi_alloc_fail_after(long n);

#endif
