/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Base64 and UTF-16LE filters (encodings.h). One pass, fixed state, no
 * allocation: a base64 run is judged on its first LSI_B64_JUDGE_CHARS
 * characters and then decoded as it streams past; UTF-16LE runs are
 * handed out in pieces of at most LSI_U16_PIECE bytes.
 */
#include "encodings.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Standard and URL-safe alphabets at once; -1 for anything else. */
static const int8_t b64val[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, 62, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
};

/*
 * Bytes of @p that are not text (printable ASCII, tab, CR, LF or whole
 * UTF-8 sequences; a sequence cut by the end of @p still counts), stopping
 * once there are more than @limit; SIZE_MAX when there is a NUL. Bad bytes
 * only add up: a prefix never has more than the whole.
 */
static size_t count_bad(const uint8_t *p, size_t n, size_t limit)
{
	size_t good = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		size_t len, k;

		if (c == 0)
			return SIZE_MAX;
		if ((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r') {
			good++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xf4) {
			len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
			for (k = 1; k < len && i + k < n; k++)
				if ((p[i + k] & 0xc0) != 0x80)
					break;
			if (k == len || i + k == n) {
				good += k;
				i += k - 1;
				continue;
			}
		}
		if (i + 1 - good > limit)
			return i + 1 - good;
	}
	return n - good;
}

/* Bits set in @x; x86-64's baseline has no popcnt instruction, and the
 * library call costs more than this. */
static inline unsigned ones(uint64_t x)
{
	x = x - (x >> 1 & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + (x >> 2 & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)(x * 0x0101010101010101ull >> 56);
}

/*
 * count_bad() for at most 64 bytes from their classes as bit masks (bit i
 * for byte i; bits at and past @n are ignored). A lead byte's sequence is
 * good when the bytes it needs are continuations; bytes past the end
 * count as continuations, since a sequence cut by the end is good.
 * Sequences cannot overlap (a lead is no continuation), so the good bytes
 * are the text ASCII, the leads of good sequences and their continuations.
 */
static inline size_t bad_from_masks(size_t n, uint64_t ascii, uint64_t nul, uint64_t cont,
				    uint64_t lead2, uint64_t lead3, uint64_t lead4)
{
	uint64_t real = n < 64 ? (1ull << n) - 1 : ~0ull;
	uint64_t next1, next2, next3, ok2, ok3, ok4, seq_cont;

	if (nul & real)
		return SIZE_MAX;
	/* next_k: bit i is whether byte i + k is a continuation (or past the end) */
	cont = (cont & real) | ~real;
	next1 = cont >> 1 | ~(~0ull >> 1);
	next2 = cont >> 2 | ~(~0ull >> 2);
	next3 = cont >> 3 | ~(~0ull >> 3);
	ok2 = lead2 & real & next1;
	ok3 = lead3 & real & next1 & next2;
	ok4 = lead4 & real & next1 & next2 & next3;
	seq_cont = ((ok2 | ok3 | ok4) << 1 | (ok3 | ok4) << 2 | ok4 << 3) & real;
	return n - ones((ascii & real) | ok2 | ok3 | ok4 | seq_cont);
}

/*
 * count_bad() for at most 64 bytes, with bit masks instead of a branch per
 * byte (decoded noise would mispredict most of them).
 *
 * @p is readable for 64 bytes; those past @n are not counted.
 */
static size_t count_bad_masks(const uint8_t *p, size_t n)
{
	uint64_t ascii = 0, nul = 0, cont = 0, lead2 = 0, lead3 = 0, lead4 = 0;

#if defined(__SSE2__)
	for (size_t i = 0; i < n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + i));
		/* x = byte - 128: unsigned order for signed compares */
		__m128i x = _mm_xor_si128(v, _mm_set1_epi8((char)0x80));
		__m128i text = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x1f)),
					     _mm_cmplt_epi8(v, _mm_set1_epi8(0x7f)));
		__m128i ws = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')),
					  _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')),
						       _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
		__m128i c = _mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)0xc0)),
					   _mm_set1_epi8((char)0x80));
		/* leads: 0xc2..0xdf is x 0x42..0x5f, and so on */
		__m128i l2 = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x41)),
					   _mm_cmplt_epi8(x, _mm_set1_epi8(0x60)));
		__m128i l3 = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x5f)),
					   _mm_cmplt_epi8(x, _mm_set1_epi8(0x70)));
		__m128i l4 = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x6f)),
					   _mm_cmplt_epi8(x, _mm_set1_epi8(0x75)));
		__m128i zero = _mm_cmpeq_epi8(v, _mm_setzero_si128());

		ascii |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_or_si128(text, ws)) << i;
		nul |= (uint64_t)(uint16_t)_mm_movemask_epi8(zero) << i;
		cont |= (uint64_t)(uint16_t)_mm_movemask_epi8(c) << i;
		lead2 |= (uint64_t)(uint16_t)_mm_movemask_epi8(l2) << i;
		lead3 |= (uint64_t)(uint16_t)_mm_movemask_epi8(l3) << i;
		lead4 |= (uint64_t)(uint16_t)_mm_movemask_epi8(l4) << i;
	}
#else
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		bool text = (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r';

		ascii |= (uint64_t)text << i;
		nul |= (uint64_t)(c == 0) << i;
		cont |= (uint64_t)((c & 0xc0) == 0x80) << i;
		lead2 |= (uint64_t)(c >= 0xc2 && c <= 0xdf) << i;
		lead3 |= (uint64_t)(c >= 0xe0 && c <= 0xef) << i;
		lead4 |= (uint64_t)(c >= 0xf0 && c <= 0xf4) << i;
	}
#endif
	return bad_from_masks(n, ascii, nul, cont, lead2, lead3, lead4);
}

/* count_bad() without a limit for at most 64 bytes. */
static size_t count_bad_small(const uint8_t *p, size_t n)
{
	uint8_t pad[64] = { 0 };

	memcpy(pad, p, n);
	return count_bad_masks(pad, n);
}

bool lsi_text_like(const uint8_t *p, size_t n)
{
	/* At least 90% must be text. */
	if (n <= 64)
		return n && count_bad_small(p, n) <= n / 10;
	return count_bad(p, n, n / 10) <= n / 10;
}

void lsi_b64scan_init(struct lsi_b64scan *b, const struct lsi_b64_sink *sink, void *user)
{
	memset(b, 0, offsetof(struct lsi_b64scan, head));
	b->sink = sink;
	b->user = user;
	b->state = B64_IDLE;
	b->quad = 0;
	b->quad_n = 0;
	b->out_len = 0;
}

static void flush_out(struct lsi_b64scan *b)
{
	if (b->out_len)
		b->sink->data(b->user, b->out, b->out_len);
	b->out_len = 0;
}

static void put_char(struct lsi_b64scan *b, int v)
{
	b->quad = b->quad << 6 | (uint32_t)v;
	if (++b->quad_n < 4)
		return;
	if (b->out_len + 3 > sizeof(b->out))
		flush_out(b);
	b->out[b->out_len++] = (uint8_t)(b->quad >> 16);
	b->out[b->out_len++] = (uint8_t)(b->quad >> 8);
	b->out[b->out_len++] = (uint8_t)b->quad;
	b->quad = 0;
	b->quad_n = 0;
}

/* Decodes the bits of a final, partial quantum (2 or 3 characters). */
static void put_tail(struct lsi_b64scan *b)
{
	if (b->out_len + 2 > sizeof(b->out))
		flush_out(b);
	if (b->quad_n == 2) {
		b->out[b->out_len++] = (uint8_t)(b->quad >> 4);
	} else if (b->quad_n == 3) {
		b->out[b->out_len++] = (uint8_t)(b->quad >> 10);
		b->out[b->out_len++] = (uint8_t)(b->quad >> 2);
	}
	b->quad = 0;
	b->quad_n = 0;
}

#define JUDGE_PREFIX_MIN 16 /* characters decoded before the rest of a head */

/*
 * The characters of a head of @run_chars characters that head_fails()
 * decodes, a multiple of 4 and at most a quarter of the head (but at
 * least JUDGE_PREFIX_MIN), and in *bad_max the bad bytes the whole may
 * have: it would decode to at most n_max bytes, and a prefix has no more
 * bad bytes than the whole. 0 when that prefix is the whole head, which
 * only the full judge decides.
 */
static size_t head_prefix(size_t run_chars, size_t *bad_max)
{
	size_t q = run_chars & ~(size_t)3, pre = (q / 4 + 3) & ~(size_t)3;
	size_t n_max = q / 4 * 3 + 2;

	*bad_max = n_max / 10;
	if (pre < JUDGE_PREFIX_MIN)
		pre = JUDGE_PREFIX_MIN;
	return pre < q ? pre : 0;
}

/*
 * Whether the head of a run of @run_chars characters (@chars, at most
 * LSI_B64_JUDGE_CHARS of them) fails on its first quarter. Decoded noise
 * (a long identifier, a hash) fails there: no need to decode the rest.
 */
static bool head_fails(const uint8_t *chars, size_t run_chars)
{
	uint8_t dec[LSI_B64_JUDGE_CHARS / 4 * 3];
	size_t bad_max, pre = head_prefix(run_chars, &bad_max);

	if (!pre)
		return false;
	_Static_assert(sizeof(dec) >= 64, "count_bad_masks() reads 64 bytes");
	memset(dec, 0, 64);
	for (size_t i = 0; i < pre; i += 4) {
		uint32_t v = (uint32_t)b64val[chars[i]] << 18 | (uint32_t)b64val[chars[i + 1]] << 12 |
			     (uint32_t)b64val[chars[i + 2]] << 6 | (uint32_t)b64val[chars[i + 3]];

		dec[i / 4 * 3] = (uint8_t)(v >> 16);
		dec[i / 4 * 3 + 1] = (uint8_t)(v >> 8);
		dec[i / 4 * 3 + 2] = (uint8_t)v;
	}
	return count_bad_masks(dec, pre / 4 * 3) > bad_max;
}

/* Decodes the held head and decides: text is announced, anything else skipped. */
static void judge(struct lsi_b64scan *b, bool at_end)
{
	size_t i = 0, q = b->run_chars & ~(size_t)3;

	_Static_assert(LSI_B64_OUT >= LSI_B64_JUDGE_CHARS / 4 * 3, "a whole head fits in out");

	if (head_fails(b->head, b->run_chars)) {
		b->out_len = 0;
		b->quad = 0;
		b->quad_n = 0;
		b->state = B64_SKIP;
		return;
	}
	b->out_len = 0;
	b->quad = 0;
	b->quad_n = 0;
	/* Whole quantums straight into out (head holds at most 256 characters,
	 * out more than their 192 bytes); the rest through put_char. */
	for (; i < q; i += 4) {
		uint32_t v = (uint32_t)b64val[b->head[i]] << 18 |
			     (uint32_t)b64val[b->head[i + 1]] << 12 |
			     (uint32_t)b64val[b->head[i + 2]] << 6 | (uint32_t)b64val[b->head[i + 3]];

		b->out[b->out_len++] = (uint8_t)(v >> 16);
		b->out[b->out_len++] = (uint8_t)(v >> 8);
		b->out[b->out_len++] = (uint8_t)v;
	}
	for (; i < b->run_chars; i++)
		put_char(b, b64val[b->head[i]]);
	if (at_end)
		put_tail(b);
	if (!lsi_text_like(b->out, b->out_len)) {
		b->out_len = 0;
		b->quad = 0;
		b->quad_n = 0;
		b->state = B64_SKIP;
		return;
	}
	b->sink->begin(b->user, b->run_start);
	b->state = B64_TEXT;
}

static void end_run(struct lsi_b64scan *b)
{
	if (b->state == B64_JUDGING && b->run_chars >= LSI_B64_MIN_CHARS)
		judge(b, true);
	else if (b->state == B64_TEXT)
		put_tail(b);
	if (b->state == B64_TEXT) {
		flush_out(b);
		b->sink->end(b->user);
	}
	b->state = B64_IDLE;
	b->wrap = b->cr = false;
	b->run_chars = b->line_chars = 0;
	b->quad = 0;
	b->quad_n = 0;
	b->out_len = 0;
}

/*
 * The classifier: bit k of the mask is set when p[k] is a base64 character
 * (either alphabet). The scanning loops below are compiled twice, once
 * around an AVX2 classifier and once around SSE2 (or plain C), and the
 * pair is picked once per feed: the classifier is then inlined into the
 * loop instead of being called through a CPU check for every 64 bytes.
 */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
/*
 * Nibble tables: a byte is a base64 character when the groups its high
 * nibble allows and the groups its low nibble allows meet. Groups: 1 digits
 * (0x30-0x39), 2 A-O and a-o (0x41-0x4f, 0x61-0x6f), 4 P-Z and p-z
 * (0x50-0x5a, 0x70-0x7a), 8 '+' '-' '/' (0x2b, 0x2d, 0x2f), 16 '_' (0x5f).
 * High nibbles 8-15 (bytes above 0x7f) allow none.
 */
#define B64_HI_NIBBLES 0, 0, 8, 1, 2, 4 | 16, 2, 4, 0, 0, 0, 0, 0, 0, 0, 0
#define B64_LO_NIBBLES 1 | 4, 7, 7, 7, 7, 7, 7, 7, 7, 7, 2 | 4, 2 | 8, 2, 2 | 8, 2, 2 | 8 | 16

__attribute__((target("avx2"), always_inline)) static inline uint64_t mask_avx2(const uint8_t *p)
{
	const __m256i hi_t = _mm256_setr_epi8(B64_HI_NIBBLES, B64_HI_NIBBLES);
	const __m256i lo_t = _mm256_setr_epi8(B64_LO_NIBBLES, B64_LO_NIBBLES);
	const __m256i f = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
	uint64_t m = 0;

	for (int k = 0; k < 2; k++) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(p + 32 * k));
		__m256i hi = _mm256_shuffle_epi8(hi_t, _mm256_and_si256(_mm256_srli_epi16(v, 4), f));
		__m256i lo = _mm256_shuffle_epi8(lo_t, _mm256_and_si256(v, f));
		__m256i none = _mm256_cmpeq_epi8(_mm256_and_si256(hi, lo), zero);

		m |= (uint64_t)(uint32_t)~_mm256_movemask_epi8(none) << (32 * k);
	}
	return m;
}

#define HAVE_AVX512_PATH 1
__attribute__((target("avx512bw"), always_inline)) static inline uint64_t mask_avx512(const uint8_t *p)
{
	const __m512i hi_t = _mm512_broadcast_i32x4(_mm_setr_epi8(B64_HI_NIBBLES));
	const __m512i lo_t = _mm512_broadcast_i32x4(_mm_setr_epi8(B64_LO_NIBBLES));
	const __m512i f = _mm512_set1_epi8(0x0f);
	__m512i v = _mm512_loadu_si512((const void *)p);
	__m512i hi = _mm512_shuffle_epi8(hi_t, _mm512_and_si512(_mm512_srli_epi16(v, 4), f));
	__m512i lo = _mm512_shuffle_epi8(lo_t, _mm512_and_si512(v, f));

	return _mm512_test_epi8_mask(hi, lo);
}
#endif

/*
 * head_fails() in one go: the head (at most 64 characters, since a head is
 * at most LSI_B64_JUDGE_CHARS) is decoded in a register, 48 bytes at most,
 * and classified there. Most runs the filter finds are identifiers that
 * fail here, so after skip_idle this is where its time goes.
 */
__attribute__((target("avx512bw,avx512vbmi"))) static bool head_fails_vbmi(const uint8_t *chars,
									   size_t run_chars)
{
	/* Output byte t is byte 2 - t % 3 of the 24 bits in dword t / 3. */
#define G(d) 4 * (d) + 2, 4 * (d) + 1, 4 * (d)
	static const uint8_t gather[64] = { G(0), G(1), G(2),  G(3),  G(4),  G(5),  G(6),  G(7),
					    G(8), G(9), G(10), G(11), G(12), G(13), G(14), G(15) };
#undef G
	size_t bad_max, pre = head_prefix(run_chars, &bad_max), n = pre / 4 * 3;
	__m512i c, v, d;
	uint64_t ascii, nul, cont, lead2, lead3, lead4;

	_Static_assert(LSI_B64_JUDGE_CHARS / 4 <= 64, "a head's prefix fits a register");
	if (!pre)
		return false;
	c = _mm512_maskz_loadu_epi8(pre >= 64 ? ~0ull : (1ull << pre) - 1, chars);
	/* Characters of a run are below 0x80: the table's first half. */
	v = _mm512_permutex2var_epi8(_mm512_loadu_si512((const void *)b64val), c,
				     _mm512_loadu_si512((const void *)(b64val + 64)));
	v = _mm512_maddubs_epi16(v, _mm512_set1_epi32(0x01400140)); /* c0 << 6 | c1 */
	v = _mm512_madd_epi16(v, _mm512_set1_epi32(0x00011000));    /* 24 bits a quad */
	d = _mm512_permutexvar_epi8(_mm512_loadu_si512((const void *)gather), v);
	ascii = (_mm512_cmpge_epu8_mask(d, _mm512_set1_epi8(0x20)) &
		 _mm512_cmplt_epu8_mask(d, _mm512_set1_epi8(0x7f))) |
		_mm512_cmpeq_epi8_mask(d, _mm512_set1_epi8('\t')) |
		_mm512_cmpeq_epi8_mask(d, _mm512_set1_epi8('\n')) |
		_mm512_cmpeq_epi8_mask(d, _mm512_set1_epi8('\r'));
	nul = _mm512_cmpeq_epi8_mask(d, _mm512_setzero_si512());
	cont = _mm512_cmpeq_epi8_mask(_mm512_and_si512(d, _mm512_set1_epi8((char)0xc0)),
				      _mm512_set1_epi8((char)0x80));
	lead2 = _mm512_cmpge_epu8_mask(d, _mm512_set1_epi8((char)0xc2)) &
		_mm512_cmple_epu8_mask(d, _mm512_set1_epi8((char)0xdf));
	lead3 = _mm512_cmpge_epu8_mask(d, _mm512_set1_epi8((char)0xe0)) &
		_mm512_cmple_epu8_mask(d, _mm512_set1_epi8((char)0xef));
	lead4 = _mm512_cmpge_epu8_mask(d, _mm512_set1_epi8((char)0xf0)) &
		_mm512_cmple_epu8_mask(d, _mm512_set1_epi8((char)0xf4));
	return bad_from_masks(n, ascii, nul, cont, lead2, lead3, lead4) > bad_max;
}

static inline uint64_t mask_base(const uint8_t *p)
{
#if defined(__SSE2__)
	const __m128i low = _mm_set1_epi8(0x20), a = _mm_set1_epi8('a'), zero = _mm_set1_epi8('0');
	const __m128i n25 = _mm_set1_epi8(25), n9 = _mm_set1_epi8(9);
	uint64_t m = 0;

	for (int k = 0; k < 4; k++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * k));
		__m128i l = _mm_sub_epi8(_mm_or_si128(v, low), a);
		__m128i d = _mm_sub_epi8(v, zero);
		/* Unsigned x <= hi as min(x, hi) == x: SSE2 has no unsigned compare. */
		__m128i hit = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(l, n25), l),
					   _mm_cmpeq_epi8(_mm_min_epu8(d, n9), d));

		hit = _mm_or_si128(hit, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('+')),
						     _mm_cmpeq_epi8(v, _mm_set1_epi8('/'))));
		hit = _mm_or_si128(hit, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('-')),
						     _mm_cmpeq_epi8(v, _mm_set1_epi8('_'))));
		m |= (uint64_t)(uint16_t)_mm_movemask_epi8(hit) << (16 * k);
	}
	return m;
#else
	uint64_t m = 0;

	for (int k = 0; k < 64; k++)
		m |= (uint64_t)(b64val[p[k]] >= 0) << k;
	return m;
#endif
}

/*
 * skip_idle: outside a run, skips to the first run that matters, a run of
 * at least LSI_B64_MIN_CHARS characters or one still open at the chunk's
 * end. Most text is short words, so this is where the time goes: 64 bytes
 * are classified at once into a bit mask, and a run of 32 ones is found by
 * folding the mask onto itself. Outside a run the byte before @i is never
 * a base64 character, so a run found here starts where it is found.
 *
 * run_end: the end of the base64 characters from @i; long runs (images,
 * keys) go 64 at a time.
 */
#define SCAN_LOOPS(SUFFIX, ATTR, MASK)                                                        \
	ATTR static size_t skip_idle_##SUFFIX(const uint8_t *p, size_t n, size_t i)            \
	{                                                                                      \
		size_t run = 0; /* base64 characters just before i */                          \
                                                                                               \
		for (; n - i >= 64; i += 64) {                                                 \
			uint64_t m = MASK(p + i), r;                                           \
                                                                                               \
			if (run) {                                                             \
				/* The run open at the last block goes on with m's low ones. */ \
				unsigned lead = ~m ? (unsigned)__builtin_ctzll(~m) : 64;       \
                                                                                               \
				if (run + lead >= LSI_B64_MIN_CHARS)                           \
					return i - run;                                        \
				if (lead == 64) {                                              \
					run += 64;                                             \
					continue;                                              \
				}                                                              \
				m &= ~0ull << lead; /* that short run is over */               \
			}                                                                      \
			r = m & m >> 1;                                                        \
			r &= r >> 2;                                                           \
			r &= r >> 4;                                                           \
			r &= r >> 8;                                                           \
			r &= r >> 16; /* bit k: bytes k..k+31 are all base64 */                \
			if (r)                                                                 \
				return i + (size_t)__builtin_ctzll(r);                         \
			run = m >> 63 ? (size_t)__builtin_clzll(~m) : 0;                       \
		}                                                                              \
		for (; i < n; i++) {                                                           \
			if (b64val[p[i]] < 0) {                                                \
				run = 0;                                                       \
				continue;                                                      \
			}                                                                      \
			if (++run >= LSI_B64_MIN_CHARS)                                        \
				return i + 1 - run;                                            \
		}                                                                              \
		/* A run still open at the chunk's end may go on in the next one. */           \
		return n - run;                                                                \
	}                                                                                      \
                                                                                               \
	ATTR static size_t run_end_##SUFFIX(const uint8_t *p, size_t n, size_t i)              \
	{                                                                                      \
		for (; n - i >= 64; i += 64) {                                                 \
			uint64_t m = ~MASK(p + i);                                             \
                                                                                               \
			if (m)                                                                 \
				return i + (size_t)__builtin_ctzll(m);                         \
		}                                                                              \
		while (i < n && b64val[p[i]] >= 0)                                             \
			i++;                                                                   \
		return i;                                                                      \
	}

_Static_assert(LSI_B64_MIN_CHARS == 32, "the fold in skip_idle finds runs of 32");
SCAN_LOOPS(base, , mask_base)
#if defined(HAVE_AVX2_PATH)
SCAN_LOOPS(avx2, __attribute__((target("avx2"))), mask_avx2)
SCAN_LOOPS(avx512, __attribute__((target("avx512bw"))), mask_avx512)
#endif

struct scan_loops {
	size_t (*skip_idle)(const uint8_t *p, size_t n, size_t i);
	size_t (*run_end)(const uint8_t *p, size_t n, size_t i);
	bool (*head_fails)(const uint8_t *chars, size_t run_chars);
};

int lsi_b64_isa_cap;

static struct scan_loops scan_loops(void)
{
#if defined(HAVE_AVX2_PATH)
	if (lsi_b64_isa_cap < 1 && __builtin_cpu_supports("avx512bw"))
		return (struct scan_loops){ skip_idle_avx512, run_end_avx512,
					    __builtin_cpu_supports("avx512vbmi") ? head_fails_vbmi :
										   head_fails };
	if (lsi_b64_isa_cap < 2 && __builtin_cpu_supports("avx2"))
		return (struct scan_loops){ skip_idle_avx2, run_end_avx2, head_fails };
#endif
	return (struct scan_loops){ skip_idle_base, run_end_base, head_fails };
}

/* Takes @n base64 characters of the current run. */
static void take_chars(struct lsi_b64scan *b, const uint8_t *p, size_t n)
{
	size_t i = 0;

	b->wrap = b->cr = false;
	if (b->state == B64_JUDGING) {
		size_t k = LSI_B64_JUDGE_CHARS - b->run_chars;

		if (k > n)
			k = n;
		memcpy(b->head + b->run_chars, p, k);
		b->run_chars += k;
		b->line_chars += k;
		i = k;
		if (b->run_chars == LSI_B64_JUDGE_CHARS)
			judge(b, false);
	}
	if (b->state == B64_TEXT)
		for (size_t k = i; k < n; k++)
			put_char(b, b64val[p[k]]);
	/* Past SIZE_MAX characters the counts only saturate. */
	b->run_chars = n - i > SIZE_MAX - b->run_chars ? SIZE_MAX : b->run_chars + (n - i);
	b->line_chars = n - i > SIZE_MAX - b->line_chars ? SIZE_MAX : b->line_chars + (n - i);
}

void lsi_b64scan_feed(struct lsi_b64scan *b, const uint8_t *p, size_t n)
{
	const struct scan_loops loops = scan_loops();
	size_t i = 0;

	while (i < n) {
		size_t j;
		uint8_t c;

		if (b->state == B64_IDLE) {
			if ((i = loops.skip_idle(p, n, i)) == n)
				break;
			/* A run that ends in this chunk, short enough to be judged
			 * whole and not wrapped, is judged in place: most runs are
			 * identifiers and paths that fail on their first quarter,
			 * and then they never enter the state machine. */
			j = loops.run_end(p, n, i);
			if (j < n && j - i < LSI_B64_JUDGE_CHARS &&
			    (j - i < LSI_B64_WRAP_MIN || (p[j] != '\n' && p[j] != '\r')) &&
			    loops.head_fails(p + i, j - i)) {
				i = j + 1;
				continue;
			}
			b->state = B64_JUDGING;
			b->run_start = b->pos + i;
			b->run_chars = b->line_chars = b->wrap_chars = 0;
		} else {
			j = loops.run_end(p, n, i);
		}
		if (j > i) {
			take_chars(b, p + i, j - i);
			i = j;
			continue;
		}
		c = p[i++];
		if (c == '\n' && b->wrap && b->cr) {
			b->cr = false; /* the '\n' of "\r\n" */
			continue;
		}
		if ((c == '\n' || c == '\r') && !b->wrap && b->line_chars >= LSI_B64_WRAP_MIN &&
		    b->line_chars % 4 == 0) {
			/* A wrapped run continues on the next line. */
			if (!b->wrap_chars)
				b->wrap_chars = b->run_chars;
			b->wrap = true;
			b->cr = c == '\r';
			b->line_chars = 0;
			continue;
		}
		end_run(b);
	}
	b->pos += n;
}

void lsi_b64scan_finish(struct lsi_b64scan *b)
{
	if (b->state != B64_IDLE)
		end_run(b);
}

void lsi_u16scan_init(struct lsi_u16scan *u, lsi_u16_emit_fn emit, void *user)
{
	u->emit = emit;
	u->user = user;
	u->pos = 0;
	u->prev = 0;
	u->par[0].units = u->par[0].len = 0;
	u->par[1].units = u->par[1].len = 0;
}

static void u16_end(struct lsi_u16scan *u, unsigned q)
{
	if (u->par[q].units >= LSI_U16_MIN_UNITS)
		u->emit(u->user, u->par[q].buf, u->par[q].len, true);
	u->par[q].units = u->par[q].len = 0;
}

/* The per-byte step over p[i..end) (stream offsets from u->pos). */
static void u16_bytes(struct lsi_u16scan *u, const uint8_t *p, size_t i, size_t end)
{
	for (; i < end; i++) {
		uint8_t lo = u->prev, hi = p[i];
		uint64_t at = u->pos + i;
		unsigned q;

		u->prev = hi;
		if (at == 0)
			continue;
		/* This byte completes the code unit that began one byte earlier. */
		q = (unsigned)((at - 1) & 1);
		if (hi == 0 && ((lo >= 0x20 && lo < 0x7f) || lo == '\t')) {
			u->par[q].buf[u->par[q].len++] = lo;
			u->par[q].units++;
			if (u->par[q].len == LSI_U16_PIECE) {
				/* Long enough already: hand out this piece, keep the run. */
				u->emit(u->user, u->par[q].buf, u->par[q].len, false);
				u->par[q].len = 0;
			}
		} else if (u->par[q].units) {
			u16_end(u, q);
		}
	}
}

#if defined(HAVE_AVX512_PATH)
/*
 * Whether the 64 bytes at @p, after @prev, hold a code unit that could be
 * text: a zero byte after a printable one or a tab. Binaries are mostly
 * blocks without one, which the per-byte step would pass over unchanged.
 */
__attribute__((target("avx512bw"))) static bool u16_may_start(const uint8_t *p, uint8_t prev)
{
	__m512i v = _mm512_loadu_si512((const void *)p);
	uint64_t zero = _mm512_cmpeq_epi8_mask(v, _mm512_setzero_si512());
	uint64_t text = (_mm512_cmpge_epu8_mask(v, _mm512_set1_epi8(0x20)) &
			 _mm512_cmplt_epu8_mask(v, _mm512_set1_epi8(0x7f))) |
			_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\t'));
	uint64_t before = text << 1 | ((prev >= 0x20 && prev < 0x7f) || prev == '\t');

	return (zero & before) != 0;
}
#endif

void lsi_u16scan_feed(struct lsi_u16scan *u, const uint8_t *p, size_t n)
{
	size_t i = 0;
#if defined(HAVE_AVX512_PATH)
	bool fast = lsi_b64_isa_cap < 1 && __builtin_cpu_supports("avx512bw");

	while (fast && n - i >= 64) {
		/* Nothing open and nothing starting: only the last byte matters. */
		if (u->pos + i > 0 && !u->par[0].units && !u->par[1].units &&
		    !u16_may_start(p + i, u->prev))
			u->prev = p[i + 63];
		else
			u16_bytes(u, p, i, i + 64);
		i += 64;
	}
#endif
	u16_bytes(u, p, i, n);
	u->pos += n;
}

void lsi_u16scan_finish(struct lsi_u16scan *u)
{
	u16_end(u, 0);
	u16_end(u, 1);
}
