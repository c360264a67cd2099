/* SPDX-License-Identifier: Apache-2.0 */
/* Decompression started before the scan; see prefetch.h. */
#include "prefetch.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "util/alloc.h"

/* Read-ahead blocks of 256 KiB decoded before the scan reads any: 8 MiB,
 * more than typescript's tarball yields while the rules load. */
#define PREFETCH_SLOTS 32
#define PREFETCH_READ (256u << 10) /* compressed bytes a read */

struct ls_prefetch {
	int fd;                  /* kept open while the stream reads it */
	struct stat sb;          /* what the file was when opened */
	const struct lsi_decoder_ops *dec;
	struct lsi_bstream *stream; /* NULL once taken */
};

ls_prefetch *ls_prefetch_start(const char *path, int threads)
{
	struct stat sb;
	struct lsi_guard g;
	struct lsi_bstream *in, *d;
	ls_prefetch *p;
	bool readable;

	/* Only a regular file is opened here: opening a FIFO would let its
	 * writer start, and closing it again would break that writer's pipe
	 * before the scan opens it. A link to a file is followed, as the scan
	 * follows a path it was given. */
	if (!path || threads < 2 || strcmp(path, "-") == 0 || stat(path, &sb) != 0 ||
	    !S_ISREG(sb.st_mode) || sb.st_size < (off_t)LSI_READ_AHEAD_MIN ||
	    !(p = lsi_calloc(1, sizeof(*p))))
		return NULL;
	p->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (p->fd < 0 || fstat(p->fd, &p->sb) != 0 || !S_ISREG(p->sb.st_mode) ||
	    p->sb.st_size < (off_t)LSI_READ_AHEAD_MIN)
		goto fail;
	if (!(p->dec = lsi_decoder_sniff_fd(p->fd, &readable)) ||
	    !(in = lsi_bstream_fd(p->fd, PREFETCH_READ)))
		goto fail;
	/* No limits here: the scan applies its own as it reads the blocks.
	 * The ring bounds what is decoded before then. */
	memset(&g, 0, sizeof(g));
	g.threads = (unsigned)threads;
	g.in_size = (uint64_t)p->sb.st_size;
	if (!(d = p->dec->open(in, &g)))
		goto fail;
	p->stream = lsi_bstream_async_ring(d, p->dec->read_into, PREFETCH_SLOTS);
	if (p->stream == d) {
		/* No thread to be had: nothing gained. */
		lsi_bstream_close(d);
		p->stream = NULL;
		goto fail;
	}
	return p;
fail:
	ls_prefetch_free(p);
	return NULL;
}

bool lsi_prefetch_matches(const ls_prefetch *p, const struct stat *sb)
{
	return p && p->stream && sb->st_dev == p->sb.st_dev && sb->st_ino == p->sb.st_ino &&
	       sb->st_size == p->sb.st_size && sb->st_mtim.tv_sec == p->sb.st_mtim.tv_sec &&
	       sb->st_mtim.tv_nsec == p->sb.st_mtim.tv_nsec;
}

struct lsi_bstream *lsi_prefetch_take(ls_prefetch *p, const struct lsi_decoder_ops *dec)
{
	struct lsi_bstream *s;

	if (!p || dec != p->dec)
		return NULL;
	s = p->stream;
	p->stream = NULL;
	return s;
}

void ls_prefetch_free(ls_prefetch *p)
{
	if (!p)
		return;
	lsi_bstream_close(p->stream); /* stops its thread */
	if (p->fd >= 0)
		close(p->fd);
	lsi_free(p);
}
