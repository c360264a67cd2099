/* SPDX-License-Identifier: Apache-2.0 */
/* Newline counting, vectorised: line numbers are counted over every byte scanned. */
#include "lines.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

int lsi_lines_isa_cap;

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* 64 bytes a step: a compare gives a bit mask, popcount counts it. */
__attribute__((target("avx512bw,popcnt"))) static uint64_t count_avx512(const uint8_t *p,
									  size_t n)
{
	const __m512i nl = _mm512_set1_epi8('\n');
	uint64_t count = 0;
	size_t i = 0;

	for (; n - i >= 64; i += 64)
		count += (uint64_t)__builtin_popcountll(
			_mm512_cmpeq_epi8_mask(_mm512_loadu_si512((const void *)(p + i)), nl));
	if (i < n) {
		__mmask64 tail = n - i == 64 ? ~0ull : (1ull << (n - i)) - 1;

		/* A masked load reads only the bytes asked for. */
		count += (uint64_t)__builtin_popcountll(_mm512_mask_cmpeq_epi8_mask(
			tail, _mm512_maskz_loadu_epi8(tail, p + i), nl));
	}
	return count;
}
#define HAVE_AVX512_COUNT 1
#endif

uint64_t lsi_count_newlines(const uint8_t *p, size_t n)
{
	uint64_t count = 0;
	size_t i = 0;

#if defined(HAVE_AVX512_COUNT)
	if (lsi_lines_isa_cap < 1 && n >= 64 && __builtin_cpu_supports("avx512bw"))
		return count_avx512(p, n);
#endif
#if defined(__SSE2__)
	/* 16 bytes at a time: compare gives -1 per newline, subtracting adds
	 * one to that byte's counter; sums of absolute differences against
	 * zero add the 16 counters before any can pass 255. */
	const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
	__m128i total = zero;

	while (n - i >= 16) {
		__m128i acc = zero;

		for (int k = 0; k < 255 && n - i >= 16; k++, i += 16)
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)),
							    nl));
		total = _mm_add_epi64(total, _mm_sad_epu8(acc, zero));
	}
	count = (uint64_t)_mm_cvtsi128_si64(total) +
		(uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(total, total));
#else
	/* Eight bytes at a time: a zero byte of x ^ "\n\n..." is a newline. */
	const uint64_t nl = 0x0a0a0a0a0a0a0a0aull, lo7 = 0x7f7f7f7f7f7f7f7full;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, t;

		memcpy(&x, p + i, 8);
		x ^= nl;
		t = ((x & lo7) + lo7) | x;
		/* One bit per newline byte, moved to the low bit of each byte;
		 * the multiply sums the eight bytes into the top one. */
		count += (((~t & ~lo7) >> 7) * 0x0101010101010101ull) >> 56;
	}
#endif
	for (; i < n; i++)
		count += p[i] == '\n';
	return count;
}

uint64_t lsi_count_utf8_cont(const uint8_t *p, size_t n)
{
	uint64_t count = 0;
	size_t i = 0;

#if defined(__SSE2__)
	/* As above: a byte whose top two bits are 10 adds one to its counter. */
	const __m128i top = _mm_set1_epi8((char)0xc0), cont = _mm_set1_epi8((char)0x80);
	const __m128i zero = _mm_setzero_si128();
	__m128i total = zero;

	while (n - i >= 16) {
		__m128i acc = zero;

		for (int k = 0; k < 255 && n - i >= 16; k++, i += 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(p + i));

			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_and_si128(v, top), cont));
		}
		total = _mm_add_epi64(total, _mm_sad_epu8(acc, zero));
	}
	count = (uint64_t)_mm_cvtsi128_si64(total) +
		(uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(total, total));
#endif
	for (; i < n; i++)
		count += (p[i] & 0xc0) == 0x80;
	return count;
}
