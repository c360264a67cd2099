/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The long tail through libarchive: 7z, rar (4 and 5), cab and xar (the
 * container of macOS .pkg files). These formats keep their index at the
 * end or compress members in solid blocks, so they need random access:
 * the archive is held in memory (up to max-member-bytes, shared with the
 * other in-memory readers of the input) and handed to libarchive from
 * there. Nothing touches the disk. A larger archive is a limit finding.
 *
 * libarchive is loaded when the first such archive turns up, not linked:
 * with the libraries it pulls in (ICU, libxml2, nettle, ...) it was a
 * fifth of every start-up, for formats most scans never meet.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "container.h"
#include "decode/decode.h"
#include "util/alloc.h"
#include "util/buf.h"


/* libarchive 3's soname; the unversioned name where only that is there. */
static const char *const la_names[] = { "libarchive.so.13", "libarchive.so" };

#define LA_FUNCS(X) X(archive_read_new) X(archive_read_free) X(archive_read_support_format_7zip) X(archive_read_support_format_rar) X(archive_read_support_format_rar5) X(archive_read_support_format_cab) X(archive_read_support_format_xar) X(archive_read_open_memory) X(archive_read_next_header) X(archive_read_data_block) X(archive_error_string) X(archive_entry_pathname) X(archive_entry_pathname_utf8) X(archive_entry_size) X(archive_entry_size_is_set) X(archive_entry_filetype) X(archive_entry_symlink) X(archive_entry_hardlink) X(archive_entry_is_encrypted)

static struct {
#define LA_PTR(f) __typeof__(f) *f;
	LA_FUNCS(LA_PTR)
#undef LA_PTR
} la_fn;
static bool la_loaded;
static char la_why[LSI_MSG_LEN];
static pthread_once_t la_once = PTHREAD_ONCE_INIT;

static void la_load(void)
{
	void *h = NULL;
	const char *e = NULL;

	for (size_t i = 0; i < sizeof(la_names) / sizeof(*la_names) && !h; i++)
		if (!(h = dlopen(la_names[i], RTLD_NOW | RTLD_LOCAL)) && !e)
			e = dlerror();
	if (!h) {
		snprintf(la_why, sizeof(la_why), "libarchive could not be loaded (%s): not opened",
			 e ? e : la_names[0]);
		return;
	}
#define LA_SYM(f)                                                                          \
	if (!(*(void **)&la_fn.f = dlsym(h, #f))) {                                        \
		snprintf(la_why, sizeof(la_why), "libarchive lacks %s: not opened", #f);   \
		return;                                                                    \
	}
	LA_FUNCS(LA_SYM)
#undef LA_SYM
	la_loaded = true; /* h stays open for the process's life */
}

struct la;

struct la_data {
	struct lsi_bstream base;
	struct la *l;
};

struct la {
	struct lsi_bstream *in;
	struct lsi_climits lim;
	struct archive *a;
	struct lsi_buf mem;
	uint64_t held;            /* what we added to *lim.held */
	uint64_t members;
	uint64_t out_total;       /* bytes read out of all members */
	bool ended;
	bool entry_live;          /* the current entry still has data */
	bool encrypted;           /* the current entry is: its data is refused */
	char note[LSI_MSG_LEN];   /* reported by the first next() */
	enum lsi_rd note_st;
	struct la_data data;
};

static int la_probe(const uint8_t *h, size_t n)
{
	if (n >= 6 && memcmp(h, "7z\xbc\xaf\x27\x1c", 6) == 0)
		return 100;
	if (n >= 7 && memcmp(h, "Rar!\x1a\x07", 6) == 0 && (h[6] == 0 || h[6] == 1))
		return 100;
	if (n >= 8 && memcmp(h, "MSCF\0\0\0\0", 8) == 0)
		return 100;
	if (n >= 8 && memcmp(h, "xar!", 4) == 0 && h[4] == 0 && h[5] == 28 && h[6] == 0 && h[7] == 1)
		return 100;
	return 0;
}

static enum lsi_rd data_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct la *l = ((struct la_data *)bs)->l;
	const void *b;
	size_t n;
	la_int64_t off;
	int r;

	if (l->encrypted) {
		l->encrypted = false;
		lsi_bstream_fail(bs, "encrypted entry: not scanned");
		return LSI_RD_DAMAGED;
	}
	for (;;) {
		if (!l->entry_live)
			return LSI_RD_EOF;
		r = la_fn.archive_read_data_block(l->a, &b, &n, &off);
		if (r == ARCHIVE_EOF) {
			l->entry_live = false;
			return LSI_RD_EOF;
		}
		if (r < ARCHIVE_WARN) {
			l->entry_live = false;
			if (r == ARCHIVE_FATAL)
				l->ended = true;
			lsi_bstream_fail(bs, "%s", la_fn.archive_error_string(l->a) ? la_fn.archive_error_string(l->a)
									  : "unreadable member");
			return LSI_RD_DAMAGED;
		}
		if (n == 0)
			continue; /* sparse entries report holes as empty blocks */
		l->out_total += n;
		if (l->lim.guard) {
			/* The archive as a whole against what came out of it. */
			enum lsi_rd g = lsi_guard_check(l->lim.guard, bs, l->mem.len, l->out_total, n);

			if (g != LSI_RD_OK) {
				l->entry_live = false;
				return g;
			}
		}
		*buf = b;
		*len = n;
		return LSI_RD_OK;
	}
}

static void data_close(struct lsi_bstream *bs)
{
	(void)bs; /* owned by the archive */
}

static const struct lsi_bstream_ops data_ops = { data_read, data_close };

static void *la_open(struct lsi_bstream *in, const struct lsi_climits *lim)
{
	struct la *l = lsi_calloc(1, sizeof(*l));
	uint64_t budget = lim->max_member_bytes;

	if (!l) {
		lsi_bstream_close(in);
		return NULL;
	}
	l->in = in;
	l->lim = *lim;
	l->data.base.ops = &data_ops;
	l->data.l = l;
	if (lim->held)
		budget = *lim->held >= budget ? 0 : budget - *lim->held;
	lsi_buf_init(&l->mem, budget > SIZE_MAX ? SIZE_MAX : (size_t)budget);
	for (;;) {
		const uint8_t *b;
		size_t n;
		enum lsi_rd st = lsi_bstream_read(in, &b, &n);

		if (st == LSI_RD_EOF)
			break;
		if (st != LSI_RD_OK) {
			snprintf(l->note, sizeof(l->note), "%s", in->msg[0] ? in->msg : "read error");
			l->note_st = st == LSI_RD_NOMEM ? st : LSI_RD_DAMAGED;
			break;
		}
		if (!lsi_buf_append(&l->mem, b, n)) {
			/* Not opened, and not read further: nothing would use the bytes. */
			snprintf(l->note, sizeof(l->note), "max-member-bytes: archive needs random "
				 "access and is larger than %" PRIu64 " bytes; not opened", budget);
			l->note_st = LSI_RD_LIMIT;
			l->ended = true;
			lsi_buf_fini(&l->mem);
			return l;
		}
	}
	if (lim->held)
		*lim->held += l->mem.len;
	l->held = l->mem.len;
	pthread_once(&la_once, la_load);
	if (!la_loaded) {
		memcpy(l->note, la_why, sizeof(l->note));
		l->note_st = LSI_RD_DAMAGED;
		l->ended = true;
		return l;
	}
	l->a = la_fn.archive_read_new();
	if (!l->a || la_fn.archive_read_support_format_7zip(l->a) != ARCHIVE_OK ||
	    la_fn.archive_read_support_format_rar(l->a) != ARCHIVE_OK ||
	    la_fn.archive_read_support_format_rar5(l->a) != ARCHIVE_OK ||
	    la_fn.archive_read_support_format_cab(l->a) != ARCHIVE_OK) {
		l->note_st = LSI_RD_NOMEM;
		l->ended = true;
		return l;
	}
	/* xar needs libarchive built with an XML parser; without one it is skipped. */
	la_fn.archive_read_support_format_xar(l->a);
	if (la_fn.archive_read_open_memory(l->a, l->mem.data ? l->mem.data : (const uint8_t *)"",
				     l->mem.len) != ARCHIVE_OK) {
		snprintf(l->note, sizeof(l->note), "%s", la_fn.archive_error_string(l->a)
							 ? la_fn.archive_error_string(l->a)
							 : "archive could not be opened");
		l->note_st = LSI_RD_DAMAGED;
		l->ended = true;
	}
	return l;
}

static void la_close(void *c)
{
	struct la *l = c;

	if (!l)
		return;
	if (l->a)
		la_fn.archive_read_free(l->a);
	if (l->lim.held)
		*l->lim.held -= l->held;
	lsi_buf_fini(&l->mem);
	lsi_bstream_close(l->in);
	lsi_free(l);
}

static enum lsi_rd la_next(void *c, struct lsi_member *m, char msg[LSI_MSG_LEN])
{
	struct la *l = c;
	struct archive_entry *e;
	const char *name;
	int r;

	memset(m, 0, sizeof(*m));
	if (l->note_st != LSI_RD_OK) {
		enum lsi_rd st = l->note_st;

		memcpy(msg, l->note, LSI_MSG_LEN);
		l->note_st = LSI_RD_OK;
		return st;
	}
	if (l->ended)
		return LSI_RD_EOF;
	l->entry_live = l->encrypted = false;
	r = la_fn.archive_read_next_header(l->a, &e);
	if (r == ARCHIVE_EOF) {
		l->ended = true;
		return LSI_RD_EOF;
	}
	if (r < ARCHIVE_WARN) {
		/* FAILED: this entry is lost, the next may be fine; FATAL: the end. */
		if (r == ARCHIVE_FATAL)
			l->ended = true;
		snprintf(msg, LSI_MSG_LEN, "%s", la_fn.archive_error_string(l->a) ? la_fn.archive_error_string(l->a)
									 : "unreadable entry");
		return LSI_RD_DAMAGED;
	}
	if (++l->members > l->lim.max_members && l->lim.max_members) {
		snprintf(msg, LSI_MSG_LEN, "max-members: more than %" PRIu64 " members in this archive",
			 l->lim.max_members);
		l->ended = true;
		return LSI_RD_LIMIT;
	}
	name = la_fn.archive_entry_pathname_utf8(e);
	if (!name)
		name = la_fn.archive_entry_pathname(e);
	if (!name)
		name = "";
	m->name = name;
	m->name_len = strlen(name);
	m->size = la_fn.archive_entry_size_is_set(e) ? la_fn.archive_entry_size(e) : -1;
	switch (la_fn.archive_entry_filetype(e)) {
	case AE_IFREG:
		m->type = LSI_M_FILE;
		break;
	case AE_IFDIR:
		m->type = LSI_M_DIR;
		break;
	case AE_IFLNK:
		m->type = LSI_M_SYMLINK;
		m->link = la_fn.archive_entry_symlink(e);
		break;
	default:
		m->type = la_fn.archive_entry_hardlink(e) ? LSI_M_HARDLINK : LSI_M_OTHER;
		m->link = la_fn.archive_entry_hardlink(e);
	}
	if (m->type == LSI_M_FILE) {
		l->data.base.pos = 0;
		l->data.base.msg[0] = '\0';
		m->data = &l->data.base;
		l->encrypted = la_fn.archive_entry_is_encrypted(e) != 0;
		l->entry_live = !l->encrypted;
	}
	return LSI_RD_OK;
}

const struct lsi_container_ops lsi_container_libarchive = {
	"libarchive", 8, la_probe, la_open, la_next, la_close, false,
};
