/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the executable-format parsers: the byte-range captures they
 * ask for, little helpers for fixed-endian reads, and the per-format
 * table of steps. Only binfmt.c, elf.c, pe.c and macho.c include it.
 */
#ifndef LSI_BINFMT_INT_H
#define LSI_BINFMT_INT_H

#include "binfmt.h"

/* Bytes kept before a section table, where its name table usually sits. */
#define LSI_BIN_WINDOW (64u * 1024u)
/* Largest section or load-command table read (16,384 ELF64 sections). */
#define LSI_BIN_TABLE_CAP (1u << 20)
/* Largest section-name table read; names past it are unknown. */
#define LSI_BIN_STRTAB_CAP (64u * 1024u)
/* Ranges captured at once (a parser needs at most four). */
#define LSI_BIN_SLOTS 6

struct lsi_bincap {
	int tag;              /* the format's meaning; 0 = free slot */
	uint64_t lo, hi;      /* wanted range [lo, hi) of the member */
	uint64_t got;         /* bytes copied, from lo */
	uint8_t *buf;
	bool dead;            /* bytes went by before they were wanted */
	bool notified;        /* done() was called */
};

struct lsi_binfmt_ops {
	const char *name;
	size_t state_size;
	/* Asks for the first captures. */
	void (*start)(struct lsi_binparse *p);
	/* A capture is complete; may ask for more (from the current chunk on). */
	void (*done)(struct lsi_binparse *p, struct lsi_bincap *c);
	/* Sees every byte, for formats that search (NULL when not needed). */
	void (*bytes)(struct lsi_binparse *p, const uint8_t *b, size_t n);
	/* End of input: use what is there (partial captures included). */
	void (*finish)(struct lsi_binparse *p);
};

struct lsi_binparse {
	const struct lsi_binfmt_ops *ops;
	void *st;                     /* the format's state, state_size bytes */
	uint64_t pos;                 /* bytes fed before the current chunk */
	uint64_t frontier;            /* end of the range whose done() is running */
	const uint8_t *chunk;         /* the chunk being fed */
	size_t chunk_len;
	struct lsi_bincap cap[LSI_BIN_SLOTS];
	struct lsi_bininfo info;
};

/*
 * Asks for [lo, hi) (hi - lo <= LSI_BIN_TABLE_CAP + LSI_BIN_WINDOW).
 * Bytes of the current chunk are copied at once. NULL when no slot or
 * memory is left, or when @lo lies before the end of the range whose
 * done() is running: bytes before it may or may not still be in the
 * chunk, and the outcome must not depend on how the input was cut.
 */
struct lsi_bincap *lsi_bincap_want(struct lsi_binparse *p, int tag, uint64_t lo, uint64_t hi);
void lsi_bincap_release(struct lsi_bincap *c);
/* The capture with @tag, or NULL. */
struct lsi_bincap *lsi_bincap_find(struct lsi_binparse *p, int tag);
/* Whether [lo, lo + n) was captured in @c; *out points at it. */
bool lsi_bincap_has(const struct lsi_bincap *c, uint64_t lo, uint64_t n, const uint8_t **out);
/* Records a debug-related section name (truncated, counted past the cap). */
void lsi_bin_add_section(struct lsi_binparse *p, const char *name, size_t len);

static inline uint16_t lsi_rd16(const uint8_t *b, bool be)
{
	return be ? (uint16_t)(b[0] << 8 | b[1]) : (uint16_t)(b[1] << 8 | b[0]);
}

static inline uint32_t lsi_rd32(const uint8_t *b, bool be)
{
	return be ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]
		  : (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

static inline uint64_t lsi_rd64(const uint8_t *b, bool be)
{
	return be ? (uint64_t)lsi_rd32(b, true) << 32 | lsi_rd32(b + 4, true)
		  : (uint64_t)lsi_rd32(b + 4, false) << 32 | lsi_rd32(b, false);
}

extern const struct lsi_binfmt_ops lsi_binfmt_elf;
extern const struct lsi_binfmt_ops lsi_binfmt_pe;
extern const struct lsi_binfmt_ops lsi_binfmt_macho;

#endif
