/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PE (Windows executables and DLLs), read in one pass: the section table
 * follows the headers near the start; long section names ("/4", as MinGW
 * writes for .debug_info) live in the COFF string table, usually at the
 * end. The CodeView record that names the .pdb file ("RSDS", a GUID, an
 * age, then the path) is found by its signature as the bytes go by, which
 * needs no address translation and no second look.
 */
#include <string.h>
#include <strings.h>

#include "binfmt_int.h"

enum { T_DOS = 1, T_NT, T_SECT, T_STR };

#define MAX_SECTIONS 4096

struct pe_st {
	uint32_t nsect;
	uint64_t sect_off;
	/* CodeView search */
	unsigned sig;                /* "RSDS" bytes matched, then 4 + skipped */
	size_t path_len;
	char path[LSI_BIN_PATH_LEN];
};

static void pe_start(struct lsi_binparse *p)
{
	lsi_bincap_want(p, T_DOS, 0, 64);
}

static void nt_done(struct lsi_binparse *p, const uint8_t *h, uint64_t at)
{
	struct pe_st *e = p->st;
	uint32_t symptr, nsyms;
	uint16_t optsize;

	if (memcmp(h, "PE\0\0", 4) != 0)
		return;
	e->nsect = lsi_rd16(h + 6, false);
	symptr = lsi_rd32(h + 12, false);
	nsyms = lsi_rd32(h + 16, false);
	optsize = lsi_rd16(h + 20, false);
	if (nsyms)
		p->info.symtab = true;
	if (e->nsect > MAX_SECTIONS)
		e->nsect = MAX_SECTIONS;
	e->sect_off = at + 24 + optsize;
	if (e->nsect && !lsi_bincap_want(p, T_SECT, e->sect_off, e->sect_off + 40u * e->nsect))
		p->info.names_unknown = true;
	if (symptr && nsyms) {
		uint64_t str = (uint64_t)symptr + (uint64_t)nsyms * 18u;

		/* Its length is in its first word; take up to the cap and use what comes. */
		lsi_bincap_want(p, T_STR, str, str + LSI_BIN_STRTAB_CAP);
	}
}

static void pe_done(struct lsi_binparse *p, struct lsi_bincap *c)
{
	switch (c->tag) {
	case T_DOS: {
		uint32_t lfanew = lsi_rd32(c->buf + 0x3c, false);

		lsi_bincap_release(c);
		if (lfanew >= 64 && lfanew < (1u << 24))
			lsi_bincap_want(p, T_NT, lfanew, (uint64_t)lfanew + 24);
		break;
	}
	case T_NT:
		nt_done(p, c->buf, c->lo);
		lsi_bincap_release(c);
		break;
	default:
		break; /* sections and names are read at the end */
	}
}

static void pe_bytes(struct lsi_binparse *p, const uint8_t *b, size_t n)
{
	static const char sig[4] = { 'R', 'S', 'D', 'S' };
	struct pe_st *e = p->st;

	if (p->info.debug_file[0])
		return;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = b[i];

		if (e->sig < 4) {
			e->sig = c == (uint8_t)sig[e->sig] ? e->sig + 1 : c == 'R' ? 1u : 0u;
			continue;
		}
		if (e->sig < 24) { /* GUID and age */
			e->sig++;
			continue;
		}
		if (c == 0) {
			if (e->path_len > 4 &&
			    strncasecmp(e->path + e->path_len - 4, ".pdb", 4) == 0) {
				memcpy(p->info.debug_file, e->path, e->path_len);
				p->info.debug_file[e->path_len] = '\0';
				return;
			}
			e->sig = 0;
			e->path_len = 0;
		} else if (c < 0x20 || c == 0x7f || e->path_len == LSI_BIN_PATH_LEN - 1) {
			e->sig = c == 'R' ? 1u : 0u;
			e->path_len = 0;
		} else {
			e->path[e->path_len++] = (char)c;
		}
	}
}

/* A long name "/123" is an offset into the string table. */
static void long_name(struct lsi_binparse *p, const char *n8, const struct lsi_bincap *str,
		      const char **name, size_t *len)
{
	uint64_t off = 0;
	size_t k = 1, avail;

	*name = NULL;
	for (; k < 8 && n8[k] >= '0' && n8[k] <= '9'; k++)
		off = off * 10 + (uint64_t)(n8[k] - '0');
	if (k == 1 || (k < 8 && n8[k]) || !str || str->dead || off >= str->got)
		return;
	*name = (const char *)str->buf + off;
	avail = (size_t)(str->got - off);
	for (*len = 0; *len < avail && (*name)[*len]; (*len)++)
		;
	(void)p;
}

static void pe_finish(struct lsi_binparse *p)
{
	struct pe_st *e = p->st;
	struct lsi_bincap *sect = lsi_bincap_find(p, T_SECT), *str = lsi_bincap_find(p, T_STR);

	if (lsi_bincap_find(p, T_DOS) || lsi_bincap_find(p, T_NT) || (sect && !sect->notified)) {
		p->info.truncated = true;
		return;
	}
	if (!sect)
		return;
	for (uint32_t i = 0; i < e->nsect; i++) {
		const char *n8 = (const char *)sect->buf + 40u * i, *name = n8;
		size_t len = 0;
		uint32_t rawsize = lsi_rd32(sect->buf + 40u * i + 16, false);

		if (n8[0] == '/') {
			long_name(p, n8, str, &name, &len);
			if (!name) {
				p->info.names_unknown = true;
				continue;
			}
		} else {
			while (len < 8 && n8[len])
				len++;
		}
		if (len == 18 && memcmp(name, ".debug_gdb_scripts", 18) == 0)
			continue; /* pretty-printers for gdb to load, not debug data */
		if ((len >= 7 && memcmp(name, ".debug_", 7) == 0) ||
		    (len >= 8 && memcmp(name, ".zdebug_", 8) == 0)) {
			lsi_bin_add_section(p, name, len);
			if (rawsize)
				p->info.dwarf = true;
			if (name[1] == 'z')
				p->info.compressed = true;
		}
	}
}

const struct lsi_binfmt_ops lsi_binfmt_pe = {
	"PE", sizeof(struct pe_st), pe_start, pe_done, pe_bytes, pe_finish,
};
