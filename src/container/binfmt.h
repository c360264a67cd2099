/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Executable formats (ELF, PE, Mach-O) read in one forward pass, for what
 * they say about the build: debug sections, a separate debug file, a PDB
 * path. The parser is fed the member's bytes in order, in chunks of any
 * size, alongside the scan; it copies only the byte ranges it needs
 * (headers, section tables, section names), each under a fixed cap, so
 * memory does not grow with the binary. What cannot be known in one pass
 * (a name table that went by before the table pointing at it) is reported
 * as unknown, never guessed.
 */
#ifndef LSI_BINFMT_H
#define LSI_BINFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lsi_binfmt { LSI_BIN_NONE = 0, LSI_BIN_ELF, LSI_BIN_PE, LSI_BIN_MACHO };

/* Debug-related section names kept per binary; more are only counted. */
#define LSI_BIN_MAX_SECTIONS 24
#define LSI_BIN_NAME_LEN 32
/* Longest debug file name or PDB path kept. */
#define LSI_BIN_PATH_LEN 260

struct lsi_bininfo {
	enum lsi_binfmt fmt;
	const char *format;          /* "ELF", "PE", "Mach-O" */
	char sections[LSI_BIN_MAX_SECTIONS][LSI_BIN_NAME_LEN]; /* in table order */
	size_t section_count;
	size_t sections_dropped;     /* debug sections past the cap */
	bool dwarf;                  /* DWARF (or stabs) sections with data */
	bool compressed;             /* some debug sections are compressed */
	bool symtab;                 /* a symbol table (not stripped) */
	char debug_file[LSI_BIN_PATH_LEN]; /* .gnu_debuglink name or PDB path, or "" */
	bool names_unknown;          /* section names could not be read in one pass */
	bool truncated;              /* the input ended before the tables */
};

struct lsi_binparse;

/* The format @head (the first bytes of a member) starts, or LSI_BIN_NONE. */
enum lsi_binfmt lsi_binfmt_sniff(const uint8_t *head, size_t n);
/* A parser for @fmt; NULL on OOM or for LSI_BIN_NONE. */
struct lsi_binparse *lsi_binparse_new(enum lsi_binfmt fmt);
/* The next @n bytes of the member. */
void lsi_binparse_feed(struct lsi_binparse *p, const uint8_t *buf, size_t n);
/* What was learnt; call once, after the last feed. */
void lsi_binparse_finish(struct lsi_binparse *p, struct lsi_bininfo *out);
/* NULL is fine. */
void lsi_binparse_free(struct lsi_binparse *p);

#endif
