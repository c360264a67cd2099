/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Executable formats: sniffing, the one-pass feeding loop and the range
 * captures the format parsers (elf.c, pe.c, macho.c) ask for.
 */
#include <string.h>

#include "binfmt_int.h"
#include "util/alloc.h"

enum lsi_binfmt lsi_binfmt_sniff(const uint8_t *h, size_t n)
{
	if (n >= 6 && memcmp(h, "\x7f" "ELF", 4) == 0 && (h[4] == 1 || h[4] == 2) &&
	    (h[5] == 1 || h[5] == 2))
		return LSI_BIN_ELF;
	if (n >= 64 && h[0] == 'M' && h[1] == 'Z') {
		uint32_t lfanew = lsi_rd32(h + 0x3c, false);

		if (lfanew >= 64 && (uint64_t)lfanew + 4 <= n)
			return memcmp(h + lfanew, "PE\0\0", 4) == 0 ? LSI_BIN_PE : LSI_BIN_NONE;
		/* Past the sniffed head: a plausible offset is enough. */
		return lfanew >= 64 && lfanew < (1u << 20) ? LSI_BIN_PE : LSI_BIN_NONE;
	}
	if (n >= 28 && (memcmp(h, "\xcf\xfa\xed\xfe", 4) == 0 ||
			memcmp(h, "\xce\xfa\xed\xfe", 4) == 0 ||
			memcmp(h, "\xfe\xed\xfa\xce", 4) == 0 ||
			memcmp(h, "\xfe\xed\xfa\xcf", 4) == 0))
		return LSI_BIN_MACHO;
	return LSI_BIN_NONE;
}

struct lsi_binparse *lsi_binparse_new(enum lsi_binfmt fmt)
{
	const struct lsi_binfmt_ops *ops = fmt == LSI_BIN_ELF ? &lsi_binfmt_elf
					 : fmt == LSI_BIN_PE ? &lsi_binfmt_pe
					 : fmt == LSI_BIN_MACHO ? &lsi_binfmt_macho : NULL;
	struct lsi_binparse *p;

	if (!ops || !(p = lsi_calloc(1, sizeof(*p))))
		return NULL;
	if (!(p->st = lsi_calloc(1, ops->state_size))) {
		lsi_free(p);
		return NULL;
	}
	p->ops = ops;
	p->info.fmt = fmt;
	p->info.format = ops->name;
	ops->start(p);
	return p;
}

void lsi_bincap_release(struct lsi_bincap *c)
{
	if (!c)
		return;
	lsi_free(c->buf);
	memset(c, 0, sizeof(*c));
}

struct lsi_bincap *lsi_bincap_find(struct lsi_binparse *p, int tag)
{
	for (size_t i = 0; i < LSI_BIN_SLOTS; i++)
		if (p->cap[i].tag == tag)
			return &p->cap[i];
	return NULL;
}

/* Copies what the current chunk holds of @c's range. */
static void copy_chunk(struct lsi_binparse *p, struct lsi_bincap *c)
{
	uint64_t need = c->lo + c->got, end = p->pos + p->chunk_len, upto;

	if (c->dead || need >= c->hi || need >= end)
		return;
	if (need < p->pos) {
		c->dead = true; /* a byte of the range is gone */
		return;
	}
	upto = c->hi < end ? c->hi : end;
	memcpy(c->buf + c->got, p->chunk + (need - p->pos), (size_t)(upto - need));
	c->got += upto - need;
}

struct lsi_bincap *lsi_bincap_want(struct lsi_binparse *p, int tag, uint64_t lo, uint64_t hi)
{
	struct lsi_bincap *c = NULL;

	if (hi <= lo || hi - lo > LSI_BIN_TABLE_CAP + LSI_BIN_WINDOW || lo < p->frontier)
		return NULL;
	for (size_t i = 0; i < LSI_BIN_SLOTS && !c; i++)
		if (!p->cap[i].tag)
			c = &p->cap[i];
	if (!c || !(c->buf = lsi_malloc((size_t)(hi - lo))))
		return NULL;
	c->tag = tag;
	c->lo = lo;
	c->hi = hi;
	c->got = 0;
	c->dead = c->notified = false;
	copy_chunk(p, c);
	return c;
}

bool lsi_bincap_has(const struct lsi_bincap *c, uint64_t lo, uint64_t n, const uint8_t **out)
{
	if (!c || !c->tag || lo < c->lo || n > c->got || lo - c->lo > c->got - n)
		return false;
	*out = c->buf + (lo - c->lo);
	return true;
}

void lsi_bin_add_section(struct lsi_binparse *p, const char *name, size_t len)
{
	struct lsi_bininfo *in = &p->info;

	if (in->section_count == LSI_BIN_MAX_SECTIONS) {
		in->sections_dropped++;
		return;
	}
	if (len >= LSI_BIN_NAME_LEN)
		len = LSI_BIN_NAME_LEN - 1;
	memcpy(in->sections[in->section_count], name, len);
	in->sections[in->section_count][len] = '\0';
	in->section_count++;
}

void lsi_binparse_feed(struct lsi_binparse *p, const uint8_t *buf, size_t n)
{
	bool again = true;

	if (!p || !n)
		return;
	p->chunk = buf;
	p->chunk_len = n;
	for (size_t i = 0; i < LSI_BIN_SLOTS; i++)
		if (p->cap[i].tag)
			copy_chunk(p, &p->cap[i]);
	/* done() may ask for ranges the same chunk completes: loop until quiet. */
	while (again) {
		again = false;
		for (size_t i = 0; i < LSI_BIN_SLOTS; i++) {
			struct lsi_bincap *c = &p->cap[i];

			if (c->tag && !c->dead && !c->notified && c->lo + c->got == c->hi) {
				c->notified = true;
				p->frontier = c->hi;
				p->ops->done(p, c);
				again = true;
			}
		}
	}
	if (p->ops->bytes)
		p->ops->bytes(p, buf, n);
	p->pos += n;
	p->chunk = NULL;
	p->chunk_len = 0;
}

void lsi_binparse_finish(struct lsi_binparse *p, struct lsi_bininfo *out)
{
	p->ops->finish(p);
	*out = p->info;
}

void lsi_binparse_free(struct lsi_binparse *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < LSI_BIN_SLOTS; i++)
		lsi_bincap_release(&p->cap[i]);
	lsi_free(p->st);
	lsi_free(p);
}
