/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mach-O (thin, 32 and 64 bit, either byte order): the load commands
 * follow the header, so one capture covers every segment and section
 * name. Universal (fat) files are not opened: their magic is shared with
 * Java class files and they are containers of thin files.
 */
#include <string.h>

#include "binfmt_int.h"

enum { T_HDR = 1, T_CMDS };

#define LC_SEGMENT 0x1
#define LC_SYMTAB 0x2
#define LC_SEGMENT_64 0x19

struct macho_st {
	bool is64, be;
	uint32_t ncmds;
};

static void macho_start(struct lsi_binparse *p)
{
	lsi_bincap_want(p, T_HDR, 0, 32);
}

static void hdr_done(struct lsi_binparse *p, const uint8_t *h)
{
	struct macho_st *m = p->st;
	uint32_t size;
	uint64_t at;

	m->be = h[0] == 0xfe;
	m->is64 = (m->be ? h[3] : h[0]) == 0xcf;
	m->ncmds = lsi_rd32(h + 16, m->be);
	size = lsi_rd32(h + 20, m->be);
	at = m->is64 ? 32 : 28;
	if (!size)
		return;
	if (size > LSI_BIN_TABLE_CAP || !lsi_bincap_want(p, T_CMDS, at, at + size))
		p->info.names_unknown = true;
}

static void segment(struct lsi_binparse *p, const uint8_t *c, uint32_t size)
{
	struct macho_st *m = p->st;
	uint32_t hdr = m->is64 ? 72 : 56, each = m->is64 ? 80 : 68, nsects;

	if (size < hdr)
		return;
	nsects = lsi_rd32(c + (m->is64 ? 64 : 48), m->be);
	for (uint32_t i = 0; i < nsects && hdr + (uint64_t)(i + 1) * each <= size; i++) {
		const uint8_t *s = c + hdr + (size_t)i * each;
		const char *sect = (const char *)s, *seg = (const char *)s + 16;
		uint64_t bytes = m->is64 ? lsi_rd64(s + 40, m->be) : lsi_rd32(s + 36, m->be);
		size_t n = 0;

		while (n < 16 && sect[n])
			n++;
		if (strncmp(seg, "__DWARF", 16) == 0 || (n >= 8 && memcmp(sect, "__debug_", 8) == 0) ||
		    (n >= 9 && memcmp(sect, "__zdebug_", 9) == 0)) {
			lsi_bin_add_section(p, sect, n);
			if (bytes)
				p->info.dwarf = true;
			if (sect[2] == 'z')
				p->info.compressed = true;
		}
	}
}

static void cmds_done(struct lsi_binparse *p, const uint8_t *b, size_t len)
{
	struct macho_st *m = p->st;
	size_t at = 0;

	for (uint32_t i = 0; i < m->ncmds && len - at >= 8; i++) {
		uint32_t cmd = lsi_rd32(b + at, m->be), size = lsi_rd32(b + at + 4, m->be);

		if (size < 8 || size > len - at)
			break;
		if (cmd == LC_SEGMENT || cmd == LC_SEGMENT_64)
			segment(p, b + at, size);
		else if (cmd == LC_SYMTAB && size >= 16 && lsi_rd32(b + at + 12, m->be))
			p->info.symtab = true;
		at += size;
	}
}

static void macho_done(struct lsi_binparse *p, struct lsi_bincap *c)
{
	if (c->tag == T_HDR)
		hdr_done(p, c->buf);
	else
		cmds_done(p, c->buf, (size_t)(c->hi - c->lo));
	lsi_bincap_release(c);
}

static void macho_finish(struct lsi_binparse *p)
{
	if (lsi_bincap_find(p, T_HDR) || lsi_bincap_find(p, T_CMDS))
		p->info.truncated = true;
}

const struct lsi_binfmt_ops lsi_binfmt_macho = {
	"Mach-O", sizeof(struct macho_st), macho_start, macho_done, NULL, macho_finish,
};
