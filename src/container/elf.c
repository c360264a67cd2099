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
/* Bytes kept on each side of a ".shstrtab" string seen before the table. */
#define LSI_ELF_SPAN 4096u
#define RING (LSI_ELF_SPAN + 16u)
#define NAME ".shstrtab"
#define NAME_LEN 9u

struct elf_st {
	bool is64, be;
	bool hdr_seen;
	uint64_t shoff;
	uint32_t shentsize, shnum, shstrndx;
	/* The name table found by its name (elf_bytes). */
	bool names_wait;             /* the section table waits for the candidate */
	uint64_t str_off, str_size;
	bool have_cand;
	uint64_t cand_lo;            /* offset of cand[0] */
	size_t cand_len;             /* bytes of cand filled */
	uint8_t cand[2 * LSI_ELF_SPAN];
	size_t ring_len, ring_at;    /* the last RING bytes before the chunk, circular */
	uint8_t ring[RING];
	/* The bytes before the header was read (fewer than its 64). */
	uint8_t head[64];
	size_t head_len;
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

	e->hdr_seen = true;
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

/*
 * Classifies every section by name; @names is the name table (@nlen
 * bytes). @more: a debug link's contents may be asked for; otherwise
 * they are looked up in the captures already made.
 */
static void resolve(struct lsi_binparse *p, const struct lsi_bincap *tab, const uint8_t *names,
		    size_t nlen, bool more)
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
		/* .debug_gdb_scripts names pretty-printers for gdb to load
		 * (every Rust release binary has it): no debug information. */
		if (n == 18 && memcmp(nm, ".debug_gdb_scripts", 18) == 0)
			continue;
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
			else if (!more && e->have_cand && s.off >= e->cand_lo &&
				 s.off + s.size <= e->cand_lo + e->cand_len)
				keep_link(p, e->cand + (s.off - e->cand_lo), (size_t)s.size);
			else if (more)
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
		resolve(p, c, NULL, 0, true);
		lsi_bincap_release(c);
		return;
	}
	read_shdr(e, c->buf + (e->shoff - c->lo) + (size_t)idx * e->shentsize, &str);
	size = str.size < LSI_BIN_STRTAB_CAP ? str.size : LSI_BIN_STRTAB_CAP;
	if (size && lsi_bincap_has(c, str.off, size, &names)) {
		resolve(p, c, names, (size_t)size, true);
		lsi_bincap_release(c);
		return;
	}
	if (size && str.off <= UINT64_MAX - size && str.off + size <= e->shoff &&
	    str.off < c->lo) {
		/* Before the window: elf_bytes decides, once this chunk was searched. */
		e->names_wait = true;
		e->str_off = str.off;
		e->str_size = size;
		return;
	}
	if (!size || str.off > UINT64_MAX - size || !lsi_bincap_want(p, T_STR, str.off, str.off + size)) {
		p->info.names_unknown = true;
		resolve(p, c, NULL, 0, true);
		lsi_bincap_release(c);
	}
	/* else the table waits for its names */
}

/* Copies the last @n bytes before the current chunk (n <= ring_len) to @dst. */
static void ring_tail(const struct elf_st *e, uint8_t *dst, size_t n)
{
	size_t start = (e->ring_at + RING - n) % RING, first = RING - start < n ? RING - start : n;

	memcpy(dst, e->ring + start, first);
	memcpy(dst + first, e->ring, n - first);
}

static void ring_push(struct elf_st *e, const uint8_t *b, size_t n)
{
	if (n > RING) {
		b += n - RING;
		n = RING;
	}
	for (size_t i = 0; i < n;) {
		size_t k = RING - e->ring_at < n - i ? RING - e->ring_at : n - i;

		memcpy(e->ring + e->ring_at, b + i, k);
		e->ring_at = (e->ring_at + k) % RING;
		i += k;
	}
	e->ring_len = e->ring_len + n > RING ? RING : e->ring_len + n;
}

/*
 * Adds to the candidate what the chunk at @pos holds of its range. Only
 * bytes before the section table: the names it can stand in for end
 * there, and the same bytes must count however the input is cut.
 */
static void cand_fill(struct elf_st *e, uint64_t pos, const uint8_t *b, size_t n)
{
	uint64_t need = e->cand_lo + e->cand_len, end = pos + n;
	size_t k;

	if (end > e->shoff)
		end = e->shoff;
	if (!e->have_cand || e->cand_len == sizeof(e->cand) || need < pos || need >= end)
		return;
	k = (size_t)(end - need);
	if (k > sizeof(e->cand) - e->cand_len)
		k = sizeof(e->cand) - e->cand_len;
	memcpy(e->cand + e->cand_len, b + (need - pos), k);
	e->cand_len += k;
}

/* A ".shstrtab" string at offset @x: the bytes around it become the candidate. */
static void cand_take(struct elf_st *e, uint64_t x, uint64_t pos, const uint8_t *b, size_t n)
{
	uint64_t lo = x > LSI_ELF_SPAN ? x - LSI_ELF_SPAN : 0;

	if (lo < pos - e->ring_len)
		lo = pos - e->ring_len; /* only at the very start of the file */
	e->have_cand = true;
	e->cand_lo = lo;
	e->cand_len = 0;
	if (lo < pos) {
		e->cand_len = (size_t)(pos - lo);
		ring_tail(e, e->cand, e->cand_len);
		if (pos > e->shoff)
			e->cand_len = (size_t)(e->shoff - lo); /* the name ends past the table's start */
	}
	cand_fill(e, pos, b, n);
}

/* Looks for the name table's name in the @n bytes at @pos, then keeps them in the ring. */
static void find_names(struct elf_st *e, uint64_t pos, const uint8_t *b, size_t n)
{
	/* Names start before the table; one may end in the chunks after it. */
	if (e->shoff && (pos < e->shoff || pos - e->shoff < NAME_LEN - 1)) {
		size_t back = e->ring_len < NAME_LEN - 1 ? e->ring_len : NAME_LEN - 1;
		uint8_t join[2 * NAME_LEN];
		const uint8_t *q;

		cand_fill(e, pos, b, n);
		/* A name cut by the chunk's start: the ring's tail and the chunk's head. */
		if (back) {
			size_t k = n < NAME_LEN - 1 ? n : NAME_LEN - 1;

			ring_tail(e, join, back);
			memcpy(join + back, b, k);
			if ((q = memmem(join, back + k, NAME, NAME_LEN)) && (size_t)(q - join) < back &&
			    pos - back + (uint64_t)(q - join) < e->shoff)
				cand_take(e, pos - back + (uint64_t)(q - join), pos, b, n);
		}
		for (size_t at = 0; at < n && (q = memmem(b + at, n - at, NAME, NAME_LEN));
		     at = (size_t)(q - b) + 1) {
			if (pos + (uint64_t)(q - b) >= e->shoff)
				break;
			cand_take(e, pos + (uint64_t)(q - b), pos, b, n);
		}
	}
	ring_push(e, b, n);
}

static void elf_bytes(struct lsi_binparse *p, const uint8_t *b, size_t n)
{
	struct elf_st *e = p->st;

	/* Where the table is is known once the header is read: the bytes
	 * before (a name may lie in the header's own) wait until then. */
	if (!e->hdr_seen) {
		size_t k = n < sizeof(e->head) - e->head_len ? n : sizeof(e->head) - e->head_len;

		memcpy(e->head + e->head_len, b, k);
		e->head_len += k;
		return;
	}
	if (e->head_len) {
		find_names(e, p->pos - e->head_len, e->head, e->head_len);
		e->head_len = 0;
	}
	find_names(e, p->pos, b, n);
	if (e->names_wait) {
		struct lsi_bincap *tab = lsi_bincap_find(p, T_TAB);

		e->names_wait = false;
		if (e->have_cand && e->str_off >= e->cand_lo &&
		    e->str_off + e->str_size <= e->cand_lo + e->cand_len) {
			resolve(p, tab, e->cand + (e->str_off - e->cand_lo), (size_t)e->str_size, false);
		} else {
			p->info.names_unknown = true;
			resolve(p, tab, NULL, 0, false);
		}
		lsi_bincap_release(tab);
	}
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
			resolve(p, tab, c->buf, (size_t)(c->hi - c->lo), true);
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
			resolve(p, tab, NULL, 0, false);
		else
			resolve(p, tab, str->buf, (size_t)str->got, false);
	}
}

const struct lsi_binfmt_ops lsi_binfmt_elf = {
	"ELF", sizeof(struct elf_st), elf_start, elf_done, elf_bytes, elf_finish,
};
