/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A pull tokenizer for JSON that arrives in chunks of any size (down to
 * one byte): the caller feeds bytes and pulls tokens. Memory is fixed at
 * init: strings are unescaped into a caller-given piece buffer and handed
 * out piece by piece, never held whole; numbers keep a bounded prefix;
 * nesting is capped. It validates strictly (RFC 8259 grammar, no raw
 * control characters in strings, no trailing data) so garbage fails
 * within a few bytes. It does not build a tree and does not check UTF-8.
 */
#ifndef LSI_JSON_READ_H
#define LSI_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LSI_JR_MAX_DEPTH 256   /* hard ceiling for max_depth */
#define LSI_JR_NUM_MAX 32      /* bytes of a number's text kept */
#define LSI_JR_PIECE_MIN 8     /* smallest piece buffer lsi_jr_init accepts */

enum lsi_jr_tok {
	LSI_JR_NEED_INPUT = 0, /* every fed byte is used: feed more, or finish */
	LSI_JR_ERROR,          /* sticky; see err and err_kind */
	LSI_JR_END,            /* the top-level value is complete and input ended */
	LSI_JR_OBJ_BEGIN,
	LSI_JR_OBJ_END,
	LSI_JR_ARR_BEGIN,
	LSI_JR_ARR_END,
	LSI_JR_KEY,            /* a piece of an object key */
	LSI_JR_STR,            /* a piece of a string value */
	LSI_JR_NUM,
	LSI_JR_TRUE,
	LSI_JR_FALSE,
	LSI_JR_NULL,
};

enum lsi_jr_err {
	LSI_JR_E_NONE = 0,
	LSI_JR_E_SYNTAX,       /* not JSON */
	LSI_JR_E_TRUNCATED,    /* input ended inside a value */
	LSI_JR_E_DEPTH,        /* nesting deeper than max_depth */
};

/*
 * One token. KEY/STR: p/n is a piece of the unescaped string, borrowed
 * until the next lsi_jr_next(); first/last mark the first and the final
 * piece (an empty string is one piece with n == 0, first and last).
 * Piece boundaries depend only on the decoded text and the piece buffer
 * size, never on how the input was split. When a string turns out bad
 * (an invalid escape, a control character, the end of input), what was
 * decoded before the fault comes as a piece (not last), then the error.
 * NUM: p/n is the number's text,
 * at most LSI_JR_NUM_MAX bytes (truncated is set when it was longer).
 */
struct lsi_jr_event {
	enum lsi_jr_tok tok;
	int depth;             /* containers around the token: top level = 0 */
	const uint8_t *p;
	size_t n;
	bool first, last;
	bool truncated;
	uint64_t offset;       /* input offset of the token's first byte */
};

/* Caller-owned state; no heap. Fields are private except err/err_kind. */
struct lsi_jr {
	const uint8_t *in;
	size_t in_len, in_pos;
	uint64_t in_base;      /* offset of in[0] in the whole input */
	bool eof;
	uint8_t *piece;
	size_t piece_cap, piece_len;
	int max_depth, depth;
	uint8_t stack[LSI_JR_MAX_DEPTH / 8]; /* bit set: the level is an array */
	int expect;            /* grammar state */
	int mode;              /* lexer state inside a token */
	int sub;               /* string escape state or number state */
	bool str_key, str_first, str_skip;
	uint64_t tok_off;
	uint32_t hex, hi;      /* \u digits so far; pending high surrogate */
	int hex_n;
	const char *lit;       /* literal being matched */
	size_t lit_pos;
	int lit_tok;
	char num[LSI_JR_NUM_MAX];
	size_t num_len;
	bool num_long;
	enum lsi_jr_err err_kind;
	char err[128];
};

/*
 * @piece (at least LSI_JR_PIECE_MIN bytes) receives unescaped string bytes
 * and must outlive @r. @max_depth is clamped to 1..LSI_JR_MAX_DEPTH.
 */
void lsi_jr_init(struct lsi_jr *r, uint8_t *piece, size_t piece_cap, int max_depth);
/*
 * The next input block, after NEED_INPUT (or first): borrowed until
 * lsi_jr_next() returns NEED_INPUT again.
 */
void lsi_jr_feed(struct lsi_jr *r, const uint8_t *p, size_t n);
/* No input after what was fed: a value still open becomes a TRUNCATED error. */
void lsi_jr_finish(struct lsi_jr *r);
enum lsi_jr_tok lsi_jr_next(struct lsi_jr *r, struct lsi_jr_event *ev);
/*
 * After a KEY/STR piece that was not the last: the rest of that string is
 * validated but neither copied nor delivered.
 */
void lsi_jr_skip_string(struct lsi_jr *r);
/* Input bytes consumed so far. */
static inline uint64_t lsi_jr_offset(const struct lsi_jr *r)
{
	return r->in_base + r->in_pos;
}

/* Tests only: caps the instruction set of string scanning, so that every
 * path can be compared on one machine: 0 the best the CPU has, 1 AVX-512
 * without VBMI2, 2 no AVX-512. */
extern int lsi_jr_isa_cap;

#endif
