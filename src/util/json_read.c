/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streaming JSON tokenizer (see json_read.h). Every partial token (an
 * escape cut after "\u12", a literal cut after "tr", a number, a pending
 * high surrogate) lives in the state, never as a pointer into an old
 * block, so input may be split anywhere. Plain string bytes are copied
 * in runs; the rest of the grammar goes byte by byte.
 */
#include "json_read.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { X_VALUE, X_VALUE_OR_END, X_KEY_OR_END, X_KEY, X_COLON, X_COMMA_OR_END, X_DONE };
enum { M_STRUCT, M_STRING, M_NUMBER, M_LITERAL, M_FAILED, M_ENDED };
enum { S_CHARS, S_ESC, S_HEX, S_HI_BS, S_HI_U };
enum { N_SIGN, N_ZERO, N_INT, N_DOT, N_FRAC, N_E, N_ESIGN, N_EXP };

/* Internal: a token was consumed without an event (a skipped string). */
#define NO_EVENT (-1)

/* Bytes that end a run of plain string bytes: quote, backslash, controls. */
static const uint8_t special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, /* '\\' */
};

/* The byte a one-letter escape stands for; 0 for \u and invalid ones. */
static const uint8_t simple_escape[256] = {
	['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b', ['f'] = '\f', ['n'] = '\n',
	['r'] = '\r', ['t'] = '\t',
};

/* The pending output of one escape: a replacement char plus one code point. */
struct pend {
	uint8_t b[8];
	size_t n;
};

/* Sixteen bytes at once (SSE2, NEON or scalar code, as the compiler sees fit). */
typedef uint8_t jr_v16 __attribute__((vector_size(16)));

/*
 * Length of the run of plain string bytes at @s (at most @n): none of
 * them a quote, a backslash or below 0x20. Sixteen bytes a step.
 */
static size_t plain_run(const uint8_t *s, size_t n)
{
	size_t k = 0;

	for (; k + 16 <= n; k += 16) {
		jr_v16 v, m;
		uint64_t h[2];

		memcpy(&v, s + k, 16);
		m = (jr_v16)((v == '"') | (v == '\\') | (v < 0x20));
		memcpy(h, &m, 16);
		if (h[0] | h[1]) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			/* Matching bytes are 0xff: the lowest one is the first. */
			return k + (h[0] ? (size_t)__builtin_ctzll(h[0]) / 8
					 : 8 + (size_t)__builtin_ctzll(h[1]) / 8);
#else
			break;
#endif
		}
	}
	while (k < n && !special[s[k]])
		k++;
	return k;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX512_RUN 1
/* plain_run() 64 bytes a step, the tail by a masked load. */
__attribute__((target("avx512bw"))) static size_t plain_run_avx512(const uint8_t *s, size_t n)
{
	const __m512i q = _mm512_set1_epi8('"'), bs = _mm512_set1_epi8('\\');
	const __m512i sp = _mm512_set1_epi8(0x20);
	size_t k = 0;

	for (;;) {
		__mmask64 take = n - k >= 64 ? ~0ull : (1ull << (n - k)) - 1;
		__m512i v = _mm512_maskz_loadu_epi8(take, s + k);
		__mmask64 m = (_mm512_cmpeq_epi8_mask(v, q) | _mm512_cmpeq_epi8_mask(v, bs) |
			       _mm512_cmplt_epu8_mask(v, sp)) & take;

		if (m)
			return k + (size_t)__builtin_ctzll(m);
		if (n - k <= 64)
			return n;
		k += 64;
	}
}
#endif

#if defined(HAVE_AVX512_RUN)
/*
 * The common stretch of a string being kept, fused: plain bytes and
 * one-letter escapes from @in (@avail bytes) into @out (@room bytes), 64
 * bytes a step, while at least 64 bytes and room for 64 plus an escape's
 * output remain. Stops before anything else (a quote, a control byte, a
 * \u or invalid escape, one cut by the end of @in). The same bytes come
 * out, and the same pieces, as from the run-then-escape steps of
 * string_step(), which take over where this stops. Returns the bytes
 * consumed; *made gets the bytes written.
 */
__attribute__((target("avx512bw"))) static size_t chars_avx512(const uint8_t *in, size_t avail,
							      uint8_t *out, size_t room,
							      size_t *made)
{
	const __m512i q = _mm512_set1_epi8('"'), bs = _mm512_set1_epi8('\\');
	const __m512i sp = _mm512_set1_epi8(0x20);
	size_t i = 0, o = 0;

	while (avail - i >= 64 && room - o >= 64 + sizeof(((struct pend *)0)->b)) {
		__m512i v = _mm512_loadu_si512((const void *)(in + i));
		__mmask64 m = _mm512_cmpeq_epi8_mask(v, q) | _mm512_cmpeq_epi8_mask(v, bs) |
			      _mm512_cmplt_epu8_mask(v, sp);
		size_t k;
		uint8_t d;

		/* Whole: bytes past the run are overwritten or never used. */
		_mm512_storeu_si512((void *)(out + o), v);
		if (!m) {
			i += 64;
			o += 64;
			continue;
		}
		k = (size_t)__builtin_ctzll(m);
		i += k;
		o += k;
		if (in[i] != '\\' || i + 1 >= avail || !(d = simple_escape[in[i + 1]]))
			break;
		out[o++] = d;
		i += 2;
	}
	*made = o;
	return i;
}
#endif

#if defined(HAVE_AVX512_RUN)
/*
 * chars_avx512() with escapes decoded in the register: the one-letter
 * escapes of 64 bytes are translated by a table lookup and their
 * backslashes squeezed out (VBMI2's compress), so a string with a line
 * break every 40 bytes (a source map's sourcesContent) still goes 64
 * bytes a step. A step stops, as chars_avx512() does, before a quote or
 * control byte, a \u or invalid escape, and one cut by the step's end;
 * also before two backslashes in a row, which are decoded one escape at
 * a time as there. The same bytes come out.
 */
__attribute__((target("avx512bw,avx512vbmi,avx512vbmi2,popcnt"))) static size_t
chars_vbmi2(const uint8_t *in, size_t avail, uint8_t *out, size_t room, size_t *made)
{
	const __m512i q = _mm512_set1_epi8('"'), bs = _mm512_set1_epi8('\\');
	const __m512i sp = _mm512_set1_epi8(0x20);
	const __m512i t0 = _mm512_loadu_si512((const void *)simple_escape);
	const __m512i t1 = _mm512_loadu_si512((const void *)(simple_escape + 64));
	size_t i = 0, o = 0;

	while (avail - i >= 64 && room - o >= 64 + sizeof(((struct pend *)0)->b)) {
		__m512i v = _mm512_loadu_si512((const void *)(in + i)), d;
		uint64_t b = _mm512_cmpeq_epi8_mask(v, bs), qm = _mm512_cmpeq_epi8_mask(v, q);
		uint64_t c = _mm512_cmplt_epu8_mask(v, sp), esc, simple, stop, take, keep;
		size_t lim;
		uint8_t e;

		if (!(b | qm | c)) {
			_mm512_storeu_si512((void *)(out + o), v);
			i += 64;
			o += 64;
			continue;
		}
		/* Escaped bytes, right after a backslash; only where no two
		 * backslashes meet, which stops the step below. */
		esc = b << 1;
		d = _mm512_permutex2var_epi8(t0, v, t1); /* the table's index is the low 7 bits */
		simple = _mm512_test_epi8_mask(d, d) & ~_mm512_movepi8_mask(v);
		stop = ((qm | c) & ~esc) | ((c | b | ~simple) & esc) >> 1 | (b & 1ull << 63);
		lim = stop ? (size_t)__builtin_ctzll(stop) : 64;
		take = lim == 64 ? ~0ull : (1ull << lim) - 1;
		keep = take & ~b;
		v = _mm512_mask_blend_epi8(esc & take, v, d);
		/* Whole: bytes past the kept ones are overwritten or never used. */
		_mm512_storeu_si512((void *)(out + o), _mm512_maskz_compress_epi8(keep, v));
		i += lim;
		o += (size_t)__builtin_popcountll(keep);
		if (lim == 64)
			continue;
		/* Two backslashes, or one at the step's end: one escape here. */
		if (in[i] != '\\' || i + 1 >= avail || !(e = simple_escape[in[i + 1]]))
			break;
		out[o++] = e;
		i += 2;
	}
	*made = o;
	return i;
}
#endif

/* Tests only: 0 the best the CPU has, 1 keeps string runs off VBMI2's
 * decoding, 2 off AVX-512 altogether. */
int lsi_jr_isa_cap;

static size_t plain_run_best(const uint8_t *s, size_t n)
{
#if defined(HAVE_AVX512_RUN)
	if (n >= 16 && lsi_jr_isa_cap < 2 && __builtin_cpu_supports("avx512bw"))
		return plain_run_avx512(s, n);
#endif
	return plain_run(s, n);
}

void lsi_jr_init(struct lsi_jr *r, uint8_t *piece, size_t piece_cap, int max_depth)
{
	memset(r, 0, sizeof(*r));
	r->piece = piece;
	r->piece_cap = piece_cap;
	if (max_depth < 1)
		max_depth = 1;
	if (max_depth > LSI_JR_MAX_DEPTH)
		max_depth = LSI_JR_MAX_DEPTH;
	r->max_depth = max_depth;
	r->expect = X_VALUE;
	r->mode = piece_cap >= LSI_JR_PIECE_MIN ? M_STRUCT : M_FAILED;
	if (r->mode == M_FAILED) {
		r->err_kind = LSI_JR_E_SYNTAX;
		snprintf(r->err, sizeof(r->err), "piece buffer too small");
	}
}

void lsi_jr_feed(struct lsi_jr *r, const uint8_t *p, size_t n)
{
	r->in_base += r->in_len;
	r->in = p;
	r->in_len = n;
	r->in_pos = 0;
}

void lsi_jr_finish(struct lsi_jr *r)
{
	/* Bytes fed and not yet consumed are still read. */
	r->eof = true;
}

void lsi_jr_skip_string(struct lsi_jr *r)
{
	if (r->mode == M_STRING) {
		r->str_skip = true;
		r->piece_len = 0;
	}
}

__attribute__((format(printf, 3, 4)))
static enum lsi_jr_tok fail(struct lsi_jr *r, enum lsi_jr_err kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	r->err_kind = kind;
	r->mode = M_FAILED;
	return LSI_JR_ERROR;
}

/* A byte for an error message: 'x' when printable, else 0xHH. */
static const char *show(uint8_t c, char out[8])
{
	if (c > 0x20 && c < 0x7f && c != '\'')
		snprintf(out, 8, "'%c'", c);
	else
		snprintf(out, 8, "0x%02x", c);
	return out;
}

static uint64_t here(const struct lsi_jr *r)
{
	return r->in_base + r->in_pos;
}

static bool top_is_array(const struct lsi_jr *r)
{
	int d = r->depth - 1;

	return d >= 0 && (r->stack[d / 8] >> (d % 8)) & 1;
}

static void after_value(struct lsi_jr *r)
{
	r->mode = M_STRUCT;
	r->expect = r->depth == 0 ? X_DONE : X_COMMA_OR_END;
}

static enum lsi_jr_tok event(struct lsi_jr_event *ev, enum lsi_jr_tok tok, int depth,
			     uint64_t off)
{
	memset(ev, 0, sizeof(*ev));
	ev->tok = tok;
	ev->depth = depth;
	ev->offset = off;
	return tok;
}

static enum lsi_jr_tok open_container(struct lsi_jr *r, struct lsi_jr_event *ev, bool array)
{
	int d = r->depth;
	uint64_t off = here(r);

	if (d >= r->max_depth)
		return fail(r, LSI_JR_E_DEPTH, "JSON nested deeper than %d levels at byte %llu",
			    r->max_depth, (unsigned long long)off);
	if (array)
		r->stack[d / 8] |= (uint8_t)(1u << (d % 8));
	else
		r->stack[d / 8] &= (uint8_t)~(1u << (d % 8));
	r->depth++;
	r->in_pos++;
	r->expect = array ? X_VALUE_OR_END : X_KEY_OR_END;
	return event(ev, array ? LSI_JR_ARR_BEGIN : LSI_JR_OBJ_BEGIN, d, off);
}

static enum lsi_jr_tok close_container(struct lsi_jr *r, struct lsi_jr_event *ev, bool array)
{
	uint64_t off = here(r);

	r->depth--;
	r->in_pos++;
	after_value(r);
	return event(ev, array ? LSI_JR_ARR_END : LSI_JR_OBJ_END, r->depth, off);
}

static void start_string(struct lsi_jr *r, bool key)
{
	r->mode = M_STRING;
	r->sub = S_CHARS;
	r->str_key = key;
	r->str_first = true;
	r->str_skip = false;
	r->piece_len = 0;
	r->hi = 0;
	r->tok_off = here(r);
	r->in_pos++;
}

static void start_literal(struct lsi_jr *r, const char *lit, enum lsi_jr_tok tok)
{
	r->mode = M_LITERAL;
	r->lit = lit;
	r->lit_pos = 0;
	r->lit_tok = (int)tok;
	r->tok_off = here(r);
}

static enum lsi_jr_tok struct_step(struct lsi_jr *r, struct lsi_jr_event *ev)
{
	char sb[8];

	for (;;) {
		uint8_t c;

		while (r->in_pos < r->in_len) {
			c = r->in[r->in_pos];
			if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
				break;
			r->in_pos++;
		}
		if (r->in_pos == r->in_len) {
			if (!r->eof)
				return LSI_JR_NEED_INPUT;
			if (r->expect == X_DONE) {
				r->mode = M_ENDED;
				return event(ev, LSI_JR_END, 0, here(r));
			}
			return fail(r, LSI_JR_E_TRUNCATED, "input ended inside JSON at byte %llu",
				    (unsigned long long)here(r));
		}
		c = r->in[r->in_pos];
		switch (r->expect) {
		case X_VALUE_OR_END:
			if (c == ']')
				return close_container(r, ev, true);
			/* fall through */
		case X_VALUE:
			if (c == '{' || c == '[')
				return open_container(r, ev, c == '[');
			if (c == '"') {
				start_string(r, false);
				return NO_EVENT;
			}
			if (c == '-' || (c >= '0' && c <= '9')) {
				r->mode = M_NUMBER;
				r->sub = N_SIGN;
				r->num_len = 0;
				r->num_long = false;
				r->tok_off = here(r);
				return NO_EVENT;
			}
			if (c == 't') {
				start_literal(r, "true", LSI_JR_TRUE);
				return NO_EVENT;
			}
			if (c == 'f') {
				start_literal(r, "false", LSI_JR_FALSE);
				return NO_EVENT;
			}
			if (c == 'n') {
				start_literal(r, "null", LSI_JR_NULL);
				return NO_EVENT;
			}
			break;
		case X_KEY_OR_END:
			if (c == '}')
				return close_container(r, ev, false);
			/* fall through */
		case X_KEY:
			if (c == '"') {
				start_string(r, true);
				return NO_EVENT;
			}
			break;
		case X_COLON:
			if (c == ':') {
				r->in_pos++;
				r->expect = X_VALUE;
				continue;
			}
			break;
		case X_COMMA_OR_END:
			if (c == ',') {
				r->in_pos++;
				r->expect = top_is_array(r) ? X_VALUE : X_KEY;
				continue;
			}
			if (c == (top_is_array(r) ? ']' : '}'))
				return close_container(r, ev, top_is_array(r));
			break;
		case X_DONE:
			return fail(r, LSI_JR_E_SYNTAX, "data after the end of the JSON value at byte %llu",
				    (unsigned long long)here(r));
		}
		return fail(r, LSI_JR_E_SYNTAX, "unexpected %s in JSON at byte %llu", show(c, sb),
			    (unsigned long long)here(r));
	}
}

static enum lsi_jr_tok piece_out(struct lsi_jr *r, struct lsi_jr_event *ev, bool last)
{
	event(ev, r->str_key ? LSI_JR_KEY : LSI_JR_STR, r->depth, r->tok_off);
	ev->p = r->piece;
	ev->n = r->piece_len;
	ev->first = r->str_first;
	ev->last = last;
	r->str_first = false;
	r->piece_len = 0;
	return ev->tok;
}

static void put_utf8(struct pend *o, uint32_t cp)
{
	uint8_t *b = o->b + o->n;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		o->n += 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | (cp >> 6));
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		o->n += 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | (cp >> 12));
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		o->n += 3;
	} else {
		b[0] = (uint8_t)(0xf0 | (cp >> 18));
		b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		o->n += 4;
	}
}

/* A complete \uXXXX code unit; lone surrogates become U+FFFD. */
static void code_unit(struct lsi_jr *r, struct pend *o, uint32_t u)
{
	if (r->hi) {
		if (u >= 0xdc00 && u <= 0xdfff) {
			put_utf8(o, 0x10000 + ((r->hi - 0xd800) << 10) + (u - 0xdc00));
			r->hi = 0;
			r->sub = S_CHARS;
			return;
		}
		put_utf8(o, 0xfffd);
		r->hi = 0;
	}
	if (u >= 0xd800 && u <= 0xdbff) {
		r->hi = u;
		r->sub = S_HI_BS;
		return;
	}
	put_utf8(o, (u >= 0xdc00 && u <= 0xdfff) ? 0xfffd : u);
	r->sub = S_CHARS;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Decodes escape bytes until one produces output (into @o), the string
 * returns to plain bytes, or input runs out. false on a bad escape.
 */
static bool escape_step(struct lsi_jr *r, struct pend *o, char sb[8])
{
	while (r->in_pos < r->in_len && r->sub != S_CHARS && o->n == 0) {
		uint8_t c = r->in[r->in_pos];
		int h;

		switch (r->sub) {
		case S_ESC:
			r->in_pos++;
			switch (c) {
			case '"': case '\\': case '/':
				o->b[o->n++] = c;
				break;
			case 'b':
				o->b[o->n++] = '\b';
				break;
			case 'f':
				o->b[o->n++] = '\f';
				break;
			case 'n':
				o->b[o->n++] = '\n';
				break;
			case 'r':
				o->b[o->n++] = '\r';
				break;
			case 't':
				o->b[o->n++] = '\t';
				break;
			case 'u':
				r->sub = S_HEX;
				r->hex = 0;
				r->hex_n = 0;
				continue;
			default:
				fail(r, LSI_JR_E_SYNTAX, "invalid escape \\%s in a JSON string at byte %llu",
				     show(c, sb), (unsigned long long)(here(r) - 2));
				return false;
			}
			r->sub = S_CHARS;
			break;
		case S_HEX:
			if ((h = hexval(c)) < 0) {
				fail(r, LSI_JR_E_SYNTAX, "invalid \\u escape (%s) in a JSON string at byte %llu",
				     show(c, sb), (unsigned long long)here(r));
				return false;
			}
			r->in_pos++;
			r->hex = r->hex << 4 | (uint32_t)h;
			if (++r->hex_n == 4)
				code_unit(r, o, r->hex);
			break;
		case S_HI_BS:
			if (c == '\\') {
				r->in_pos++;
				r->sub = S_HI_U;
			} else {
				put_utf8(o, 0xfffd);
				r->hi = 0;
				r->sub = S_CHARS;
			}
			break;
		case S_HI_U:
			if (c == 'u') {
				r->in_pos++;
				r->sub = S_HEX;
				r->hex = 0;
				r->hex_n = 0;
			} else {
				/* The backslash starts an ordinary escape. */
				put_utf8(o, 0xfffd);
				r->hi = 0;
				r->sub = S_ESC;
			}
			break;
		}
	}
	return true;
}

/*
 * After fail() inside a string: what was decoded so far is still handed
 * out (a reader scans what was readable); the error follows.
 */
static enum lsi_jr_tok string_fail(struct lsi_jr *r, struct lsi_jr_event *ev)
{
	if (r->piece_len && !r->str_skip)
		return piece_out(r, ev, false);
	return LSI_JR_ERROR;
}

static enum lsi_jr_tok string_end(struct lsi_jr *r, struct lsi_jr_event *ev)
{
	bool key = r->str_key, skip = r->str_skip;

	r->in_pos++;
	if (key) {
		r->mode = M_STRUCT;
		r->expect = X_COLON;
	} else {
		after_value(r);
	}
	if (skip) {
		r->str_skip = false;
		return NO_EVENT;
	}
	return piece_out(r, ev, true);
}

static enum lsi_jr_tok string_step(struct lsi_jr *r, struct lsi_jr_event *ev)
{
	char sb[8];

	for (;;) {
		const uint8_t *s;
		size_t avail, room, lim, k;
		uint8_t c;

		if (r->sub != S_CHARS) {
			struct pend o;

			o.n = 0;
			if (r->piece_cap - r->piece_len < sizeof(o.b) && !r->str_skip)
				return piece_out(r, ev, false); /* room for any escape's output */
			if (!escape_step(r, &o, sb))
				return string_fail(r, ev);
			if (o.n && !r->str_skip) {
				memcpy(r->piece + r->piece_len, o.b, o.n);
				r->piece_len += o.n;
			}
			if (r->sub != S_CHARS && r->in_pos == r->in_len)
				goto need;
			continue;
		}
		if (r->in_pos == r->in_len)
			goto need;
#if defined(HAVE_AVX512_RUN)
		if (!r->str_skip && r->in_len - r->in_pos >= 64 && lsi_jr_isa_cap < 2 &&
		    __builtin_cpu_supports("avx512bw")) {
			size_t (*chars)(const uint8_t *, size_t, uint8_t *, size_t, size_t *) =
				lsi_jr_isa_cap < 1 && __builtin_cpu_supports("avx512vbmi2") &&
						__builtin_cpu_supports("avx512vbmi") ?
					chars_vbmi2 :
					chars_avx512;
			size_t made;

			r->in_pos += chars(r->in + r->in_pos, r->in_len - r->in_pos,
					   r->piece + r->piece_len, r->piece_cap - r->piece_len, &made);
			r->piece_len += made;
			if (r->in_pos == r->in_len)
				goto need;
		}
#endif
		s = r->in + r->in_pos;
		avail = r->in_len - r->in_pos;
		room = r->str_skip ? avail : r->piece_cap - r->piece_len;
		lim = avail < room ? avail : room;
		k = plain_run_best(s, lim);
		if (k) {
			if (!r->str_skip) {
				memcpy(r->piece + r->piece_len, s, k);
				r->piece_len += k;
			}
			r->in_pos += k;
			if (k == avail)
				goto need;
		}
		c = r->in[r->in_pos];
		if (c == '"')
			return string_end(r, ev);
		if (c == '\\') {
			/*
			 * The common escapes, both bytes at hand: decoded in place,
			 * under the same room rule as the slow path below, so that
			 * piece boundaries do not depend on where blocks end.
			 */
			uint8_t d = r->in_pos + 1 < r->in_len ? simple_escape[r->in[r->in_pos + 1]] : 0;

			if (d && (r->str_skip || r->piece_cap - r->piece_len >= sizeof(((struct pend *)0)->b))) {
				if (!r->str_skip)
					r->piece[r->piece_len++] = d;
				r->in_pos += 2;
				continue;
			}
			r->in_pos++;
			r->sub = S_ESC;
			continue;
		}
		if (!special[c])
			return piece_out(r, ev, false); /* the piece is full */
		fail(r, LSI_JR_E_SYNTAX, "control character 0x%02x inside a JSON string at byte %llu", c,
		     (unsigned long long)here(r));
		return string_fail(r, ev);
	}
need:
	if (!r->eof)
		return LSI_JR_NEED_INPUT;
	fail(r, LSI_JR_E_TRUNCATED, "input ended inside a JSON string that began at byte %llu",
	     (unsigned long long)r->tok_off);
	return string_fail(r, ev);
}

static enum lsi_jr_tok number_end(struct lsi_jr *r, struct lsi_jr_event *ev)
{
	char sb[8];

	switch (r->sub) {
	case N_ZERO: case N_INT: case N_FRAC: case N_EXP:
		break;
	default:
		if (r->in_pos == r->in_len)
			return fail(r, LSI_JR_E_TRUNCATED, "input ended inside a number at byte %llu",
				    (unsigned long long)r->tok_off);
		return fail(r, LSI_JR_E_SYNTAX, "malformed number (%s) at byte %llu",
			    show(r->in[r->in_pos], sb), (unsigned long long)here(r));
	}
	after_value(r);
	event(ev, LSI_JR_NUM, r->depth, r->tok_off);
	ev->p = (const uint8_t *)r->num;
	ev->n = r->num_len;
	ev->truncated = r->num_long;
	return LSI_JR_NUM;
}

static enum lsi_jr_tok number_step(struct lsi_jr *r, struct lsi_jr_event *ev)
{
	while (r->in_pos < r->in_len) {
		uint8_t c = r->in[r->in_pos];
		bool digit = c >= '0' && c <= '9', e = c == 'e' || c == 'E';
		int next = -1;

		switch (r->sub) {
		case N_SIGN:
			if (c == '-' && r->num_len == 0)
				next = N_SIGN;
			else if (c == '0')
				next = N_ZERO;
			else if (digit)
				next = N_INT;
			break;
		case N_ZERO:
			if (digit)
				return fail(r, LSI_JR_E_SYNTAX, "number with a leading zero at byte %llu",
					    (unsigned long long)r->tok_off);
			next = c == '.' ? N_DOT : e ? N_E : -1;
			break;
		case N_INT:
			next = digit ? N_INT : c == '.' ? N_DOT : e ? N_E : -1;
			break;
		case N_DOT:
		case N_FRAC:
			next = digit ? N_FRAC : (e && r->sub == N_FRAC) ? N_E : -1;
			break;
		case N_E:
			next = (c == '+' || c == '-') ? N_ESIGN : digit ? N_EXP : -1;
			break;
		case N_ESIGN:
		case N_EXP:
			next = digit ? N_EXP : -1;
			break;
		}
		if (next < 0)
			return number_end(r, ev);
		r->sub = next;
		if (r->num_len < sizeof(r->num))
			r->num[r->num_len++] = (char)c;
		else
			r->num_long = true;
		r->in_pos++;
	}
	if (!r->eof)
		return LSI_JR_NEED_INPUT;
	return number_end(r, ev);
}

static enum lsi_jr_tok literal_step(struct lsi_jr *r, struct lsi_jr_event *ev)
{
	char sb[8];

	while (r->lit[r->lit_pos]) {
		if (r->in_pos == r->in_len) {
			if (!r->eof)
				return LSI_JR_NEED_INPUT;
			return fail(r, LSI_JR_E_TRUNCATED, "input ended inside '%s' at byte %llu", r->lit,
				    (unsigned long long)r->tok_off);
		}
		if (r->in[r->in_pos] != (uint8_t)r->lit[r->lit_pos])
			return fail(r, LSI_JR_E_SYNTAX, "unexpected %s in JSON at byte %llu",
				    show(r->in[r->in_pos], sb), (unsigned long long)here(r));
		r->in_pos++;
		r->lit_pos++;
	}
	after_value(r);
	return event(ev, (enum lsi_jr_tok)r->lit_tok, r->depth, r->tok_off);
}

enum lsi_jr_tok lsi_jr_next(struct lsi_jr *r, struct lsi_jr_event *ev)
{
	for (;;) {
		int t;

		switch (r->mode) {
		case M_STRUCT:
			t = struct_step(r, ev);
			break;
		case M_STRING:
			t = string_step(r, ev);
			break;
		case M_NUMBER:
			t = number_step(r, ev);
			break;
		case M_LITERAL:
			t = literal_step(r, ev);
			break;
		case M_ENDED:
			return event(ev, LSI_JR_END, 0, here(r));
		default:
			return LSI_JR_ERROR;
		}
		if (t != NO_EVENT)
			return (enum lsi_jr_tok)t;
	}
}
