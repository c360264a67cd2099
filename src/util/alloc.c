/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation wrappers with a failure-injection seam for tests. The counter
 * is thread-local test state, not library state: it is inert unless a test
 * arms it.
 */
#include "alloc.h"

#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/*
 * The break moves, untouched, to one page short of a 2 MiB boundary;
 * malloc's first call reserves HEAP_RESERVE and writes its headers in that
 * page only, so the run from the boundary is still untouched when it is
 * marked for huge pages. On any failure the heap stays on small pages.
 */
#define SMALL_PAGE ((uintptr_t)4096)
#define HEAP_RESERVE ((size_t)8 << 20)

void lsi_heap_on_huge_pages(void)
{
#if defined(MADV_HUGEPAGE) && defined(M_TOP_PAD)
	const uintptr_t huge = LSI_HUGE_PAGE;
	uintptr_t brk0 = (uintptr_t)sbrk(0), boundary, at;
	void *p;

	if (brk0 == (uintptr_t)-1 || brk0 % SMALL_PAGE)
		return;
	boundary = (brk0 + SMALL_PAGE + huge - 1) / huge * huge;
	if (sbrk((intptr_t)(boundary - SMALL_PAGE - brk0)) == (void *)-1)
		return;
	mallopt(M_TOP_PAD, (int)HEAP_RESERVE);
	p = malloc(1);
	at = (uintptr_t)p;
	/* Only if malloc's heap starts in that page and reaches past the run. */
	if (at >= boundary - SMALL_PAGE && at < boundary &&
	    (uintptr_t)sbrk(0) >= boundary + HEAP_RESERVE - huge)
		(void)madvise((void *)boundary, HEAP_RESERVE - huge, MADV_HUGEPAGE);
	free(p);
	mallopt(M_TOP_PAD, 128 << 10); /* glibc's default */
#endif
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
