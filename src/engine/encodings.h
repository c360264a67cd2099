/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Content transforms that reveal text hidden by an encoding: base64 runs
 * that decode to text, and printable UTF-16LE runs inside binaries. Each
 * is a push-style streaming filter with fixed-size state: bytes go in in
 * chunks of any size, decoded text comes out through callbacks. They know
 * nothing of rules or members; core/dataobs.c scans what they emit.
 */
#ifndef LSI_ENCODINGS_H
#define LSI_ENCODINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Shortest base64 run considered (24 decoded bytes). */
#define LSI_B64_MIN_CHARS 32
/* Characters decoded before a run is judged text or not. */
#define LSI_B64_JUDGE_CHARS 256
/* A line of a wrapped run (MIME, PEM style) is at least this long. */
#define LSI_B64_WRAP_MIN 60
/* Decoded bytes buffered before they are handed out. */
#define LSI_B64_OUT 3072

/*
 * Events of a base64 filter. begin() announces a run judged to be text,
 * starting at byte @offset of the filtered input; data() brings its
 * decoded bytes (the first call carries the judged head); end() closes
 * it. Runs never overlap.
 */
struct lsi_b64_sink {
	void (*begin)(void *user, uint64_t offset);
	void (*data)(void *user, const uint8_t *p, size_t n);
	void (*end)(void *user);
};

struct lsi_b64scan {
	const struct lsi_b64_sink *sink;
	void *user;
	uint64_t pos;          /* bytes fed so far */
	uint64_t run_start;    /* offset of the current run's first character */
	size_t run_chars;      /* base64 characters in the current run */
	size_t line_chars;     /* ... on its current line */
	enum { B64_IDLE, B64_JUDGING, B64_TEXT, B64_SKIP } state;
	bool wrap;             /* a line break inside a wrapped run was just seen */
	bool cr;               /* ... and it began with '\r' */
	/* Characters of the current run before its first line break, or 0 when
	 * it has none: a multiple of 4, so 3 / 4 of it are the decoded bytes
	 * of its first line (a sink may tell a one-line run followed by text
	 * from a wrapped one). */
	size_t wrap_chars;
	uint8_t head[LSI_B64_JUDGE_CHARS];
	uint32_t quad;         /* bits of the current quantum */
	unsigned quad_n;       /* characters in it */
	uint8_t out[LSI_B64_OUT];
	size_t out_len;
};

void lsi_b64scan_init(struct lsi_b64scan *b, const struct lsi_b64_sink *sink, void *user);
void lsi_b64scan_feed(struct lsi_b64scan *b, const uint8_t *p, size_t n);
/* Ends the input: a run still open is judged and closed. */
void lsi_b64scan_finish(struct lsi_b64scan *b);
/* Tests only: caps the instruction set the base64 filter classifies bytes
 * with (0 the best the CPU has, 1 at most AVX2, 2 portable), so that every
 * path can be compared on one machine. */
extern int lsi_b64_isa_cap;

/*
 * Whether @p looks like text: at least 90% of it printable ASCII,
 * whitespace or well-formed multi-byte UTF-8, and no NUL byte.
 */
bool lsi_text_like(const uint8_t *p, size_t n);

/* Shortest UTF-16LE run reported, in code units. */
#define LSI_U16_MIN_UNITS 8
/* Longest piece of a run handed out at once (a longer run comes in pieces). */
#define LSI_U16_PIECE 1024

/*
 * Emits one piece of a run, transcoded to UTF-8; @last says the run ends
 * with it.
 */
typedef void (*lsi_u16_emit_fn)(void *user, const uint8_t *p, size_t n, bool last);

/*
 * UTF-16LE filter: finds runs of printable code units (U+0020..U+007E and
 * tab) at even and at odd offsets alike. Only printable ASCII is kept on
 * purpose: it is what secrets, paths and URLs are made of, and it keeps
 * random binary from passing for text.
 */
struct lsi_u16scan {
	lsi_u16_emit_fn emit;
	void *user;
	uint64_t pos;
	uint8_t prev;
	struct {
		size_t units;              /* code units in the current run */
		size_t len;                /* bytes of it held in buf */
		uint8_t buf[LSI_U16_PIECE];
	} par[2];
};

void lsi_u16scan_init(struct lsi_u16scan *u, lsi_u16_emit_fn emit, void *user);
void lsi_u16scan_feed(struct lsi_u16scan *u, const uint8_t *p, size_t n);
void lsi_u16scan_finish(struct lsi_u16scan *u);

#endif
