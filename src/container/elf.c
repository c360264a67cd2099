/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ELF, read in one pass for its debug sections. The section header table
 * usually sits at the end of the file with the section-name table just
 * before it: the header says where the table is, so the parser keeps a
 * window of LSI_BIN_WINDOW bytes before it and the table itself. A name
 * table that lies after the section table is captured when it goes by.
 * One further back (lld writes a large .strtab between them) is found by
 * its own name: the last ".shstrtab" string before the section table is
 * kept with LSI_ELF_SPAN bytes on each side, and used when the table says
 * the names lie there. Otherwise the names are unknown, never guessed.
 */
#include <string.h>

#include "binfmt_int.h"

enum { T_HDR = 1, T_TAB, T_STR, T_LINK };

#define SHT_SYMTAB 2
#define SHT_NOBITS 8
#define SHF_COMPRESSED 0x800
#define SHN_XINDEX 0xffff

struct elf_st {
	bool is64, be;
	uint64_t shoff;
	uint32_t shentsize, shnum, shstrndx;
};

struct shdr {
	uint32_t name, type;
	uint64_t flags, off, size;
	uint32_t link;
};

static void elf_start(struct lsi_binparse *p)
{
	lsi_bincap_want(p, T_HDR, 0, 64);
}

static void read_shdr(const struct elf_st *e, const uint8_t *b, struct shdr *s)
{
	s->name = lsi_rd32(b, e->be);
	s->type = lsi_rd32(b + 4, e->be);
	if (e->is64) {
		s->flags = lsi_rd64(b + 8, e->be);
		s->off = lsi_rd64(b + 24, e->be);
		s->size = lsi_rd64(b + 32, e->be);
		s->link = lsi_rd32(b + 40, e->be);
	} else {
		s->flags = lsi_rd32(b + 8, e->be);
		s->off = lsi_rd32(b + 16, e->be);
		s->size = lsi_rd32(b + 20, e->be);
		s->link = lsi_rd32(b + 24, e->be);
	}
}

static void parse_hdr(struct lsi_binparse *p, const uint8_t *h)
{
	struct elf_st *e = p->st;
	uint64_t size, lo;

	e->is64 = h[4] == 2;
	e->be = h[5] == 2;
	if (e->is64) {
		e->shoff = lsi_rd64(h + 0x28, e->be);
		e->shentsize = lsi_rd16(h + 0x3a, e->be);
		e->shnum = lsi_rd16(h + 0x3c, e->be);
		e->shstrndx = lsi_rd16(h + 0x3e, e->be);
	} else {
		e->shoff = lsi_rd32(h + 0x20, e->be);
		e->shentsize = lsi_rd16(h + 0x2e, e->be);
		e->shnum = lsi_rd16(h + 0x30, e->be);
		e->shstrndx = lsi_rd16(h + 0x32, e->be);
	}
	if (!e->shoff)
		return; /* no section table at all (sstrip) */
	if (!e->shnum || e->shentsize < (e->is64 ? 64u : 40u) ||
	    (uint64_t)e->shnum * e->shentsize > LSI_BIN_TABLE_CAP ||
	    e->shoff > UINT64_MAX - LSI_BIN_TABLE_CAP) {
		/* Extended numbering or an implausible table: not read. */
		p->info.names_unknown = true;
		return;
	}
	size = (uint64_t)e->shnum * e->shentsize;
	lo = e->shoff > LSI_BIN_WINDOW ? e->shoff - LSI_BIN_WINDOW : 0;
	if (lo < p->frontier)
		lo = p->frontier; /* the window starts after the header at the earliest */
	if (lo > e->shoff || !lsi_bincap_want(p, T_TAB, lo, e->shoff + size))
		p->info.names_unknown = true;
}

static void keep_link(struct lsi_binparse *p, const uint8_t *b, size_t n)
{
	size_t len = 0;

	while (len < n && len < LSI_BIN_PATH_LEN - 1 && b[len])
		len++;
	memcpy(p->info.debug_file, b, len);
	p->info.debug_file[len] = '\0';
}

static bool has_prefix(const char *s, size_t n, const char *pre)
{
	size_t k = strlen(pre);

	return n >= k && memcmp(s, pre, k) == 0;
}

/* Classifies every section by name; @names is the name table (@nlen bytes). */
static void resolve(struct lsi_binparse *p, const struct lsi_bincap *tab, const uint8_t *names,
		    size_t nlen)
{
	struct elf_st *e = p->st;
	const uint8_t *t = tab->buf + (e->shoff - tab->lo);

	for (uint32_t i = 0; i < e->shnum; i++) {
		struct shdr s;
		const char *nm;
		size_t n = 0;
		const uint8_t *data;

		read_shdr(e, t + (size_t)i * e->shentsize, &s);
		if (s.type == SHT_SYMTAB) {
			p->info.symtab = true;
			lsi_bin_add_section(p, ".symtab", 7);
		}
		if (!names || s.name >= nlen)
			continue;
		nm = (const char *)names + s.name;
		while (s.name + n < nlen && nm[n])
			n++;
		if (has_prefix(nm, n, ".debug_") || has_prefix(nm, n, ".zdebug_") ||
		    has_prefix(nm, n, ".stab")) {
			lsi_bin_add_section(p, nm, n);
			if (s.type != SHT_NOBITS && s.size)
				p->info.dwarf = true;
			if (nm[1] == 'z' || (s.flags & SHF_COMPRESSED))
				p->info.compressed = true;
		} else if (has_prefix(nm, n, ".gnu_debuglink") || has_prefix(nm, n, ".gnu_debugaltlink")) {
			lsi_bin_add_section(p, nm, n);
			if (p->info.debug_file[0] || !s.size)
				continue;
			if (s.size > LSI_BIN_PATH_LEN)
				s.size = LSI_BIN_PATH_LEN;
			if (lsi_bincap_has(tab, s.off, s.size, &data))
				keep_link(p, data, (size_t)s.size);
			else
				lsi_bincap_want(p, T_LINK, s.off, s.off + s.size);
		}
	}
}

static void tab_done(struct lsi_binparse *p, struct lsi_bincap *c)
{
	struct elf_st *e = p->st;
	struct shdr str;
	uint32_t idx = e->shstrndx;
	const uint8_t *names;
	uint64_t size;

	if (idx == SHN_XINDEX) {
		struct shdr s0;

		read_shdr(e, c->buf + (e->shoff - c->lo), &s0);
		idx = s0.link;
	}
	if (idx >= e->shnum) {
		p->info.names_unknown = true;
		resolve(p, c, NULL, 0);
		lsi_bincap_release(c);
		return;
	}
	read_shdr(e, c->buf + (e->shoff - c->lo) + (size_t)idx * e->shentsize, &str);
	size = str.size < LSI_BIN_STRTAB_CAP ? str.size : LSI_BIN_STRTAB_CAP;
	if (size && lsi_bincap_has(c, str.off, size, &names)) {
		resolve(p, c, names, (size_t)size);
		lsi_bincap_release(c);
		return;
	}
	if (!size || str.off > UINT64_MAX - size || !lsi_bincap_want(p, T_STR, str.off, str.off + size)) {
		/* The names went by before the window: only types are known. */
		p->info.names_unknown = true;
		resolve(p, c, NULL, 0);
		lsi_bincap_release(c);
	}
	/* else the table waits for its names */
}

static void elf_done(struct lsi_binparse *p, struct lsi_bincap *c)
{
	struct lsi_bincap *tab;

	switch (c->tag) {
	case T_HDR:
		parse_hdr(p, c->buf);
		lsi_bincap_release(c);
		break;
	case T_TAB:
		tab_done(p, c);
		break;
	case T_STR:
		tab = lsi_bincap_find(p, T_TAB);
		if (tab)
			resolve(p, tab, c->buf, (size_t)(c->hi - c->lo));
		lsi_bincap_release(tab);
		lsi_bincap_release(c);
		break;
	case T_LINK:
		keep_link(p, c->buf, (size_t)(c->hi - c->lo));
		lsi_bincap_release(c);
		break;
	}
}

static void elf_finish(struct lsi_binparse *p)
{
	struct lsi_bincap *tab = lsi_bincap_find(p, T_TAB), *str = lsi_bincap_find(p, T_STR);

	if (lsi_bincap_find(p, T_HDR) || (tab && !tab->notified))
		p->info.truncated = true;
	else if (tab && str) {
		/* The input ended inside the names: what came is used. */
		p->info.truncated = true;
		p->info.names_unknown = true;
		if (str->dead)
			resolve(p, tab, NULL, 0);
		else
			resolve(p, tab, str->buf, (size_t)str->got);
	}
}

const struct lsi_binfmt_ops lsi_binfmt_elf = {
	"ELF", sizeof(struct elf_st), elf_start, elf_done, NULL, elf_finish,
};
