/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation wrappers with a failure-injection seam for tests. The counter
 * is thread-local test state, not library state: it is inert unless a test
 * arms it.
 */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local long fail_after = -1;

void lsi_alloc_fail_after(long n)
{
	fail_after = n;
}

static int should_fail(void)
{
	if (fail_after < 0)
		return 0;
	if (fail_after == 0)
		return 1;
	fail_after--;
	return 0;
}

void *lsi_malloc(size_t n)
{
	if (should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *lsi_calloc(size_t count, size_t size)
{
	if (should_fail())
		return NULL;
	return calloc(count ? count : 1, size ? size : 1);
}

void *lsi_realloc(void *p, size_t n)
{
	if (should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

void lsi_free(void *p)
{
	free(p);
}

char *lsi_strndup(const char *s, size_t n)
{
	char *d = lsi_malloc(n + 1);

	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *lsi_strdup(const char *s)
{
	return lsi_strndup(s, strlen(s));
}

bool lsi_grow(void *slot, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t n = *cap ? *cap : first;
	void *old, *p;

	if (need <= *cap)
		return true;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return false;
		n *= 2;
	}
	if (n > SIZE_MAX / size)
		return false;
	/* Through memcpy: @slot may hold a pointer of any object type. */
	memcpy(&old, slot, sizeof(old));
	if (!(p = lsi_realloc(old, n * size)))
		return false;
	memcpy(slot, &p, sizeof(p));
	*cap = n;
	return true;
}
