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
#include <sys/mman.h>

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

void *lsi_huge_alloc(size_t n, size_t *len)
{
	size_t want = (n + LSI_HUGE_PAGE - 1) / LSI_HUGE_PAGE * LSI_HUGE_PAGE;
	uint8_t *p;
	uintptr_t a;
	size_t head;

	if (should_fail() || !n || want < n || want + LSI_HUGE_PAGE < want)
		return NULL;
	/* Over-map by one huge page, then trim to an aligned run. */
	p = mmap(NULL, want + LSI_HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + LSI_HUGE_PAGE - 1) & ~(uintptr_t)(LSI_HUGE_PAGE - 1);
	head = (size_t)(a - (uintptr_t)p);
	if (head)
		munmap(p, head);
	if (LSI_HUGE_PAGE - head)
		munmap((uint8_t *)a + want, LSI_HUGE_PAGE - head);
#ifdef MADV_HUGEPAGE
	(void)madvise((void *)a, want, MADV_HUGEPAGE); /* advice: harmless to fail */
#endif
	*len = want;
	return (void *)a;
}

void lsi_huge_free(void *p, size_t len)
{
	if (p)
		munmap(p, len);
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
