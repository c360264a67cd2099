/* SPDX-License-Identifier: Apache-2.0 */
/* Base streams (memory, fd), the exact-count reader and peeking. */
#include "bstream.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"

void lsi_bstream_fail(struct lsi_bstream *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
}

struct mem_stream {
	struct lsi_bstream base;
	const uint8_t *buf;
	size_t len, off, block;
};

static enum lsi_rd mem_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct mem_stream *s = (struct mem_stream *)bs;
	size_t n = s->len - s->off;

	if (n == 0)
		return LSI_RD_EOF;
	if (n > s->block)
		n = s->block;
	*buf = s->buf + s->off;
	*len = n;
	s->off += n;
	return LSI_RD_OK;
}

static void plain_close(struct lsi_bstream *bs)
{
	lsi_free(bs);
}

static const struct lsi_bstream_ops mem_ops = { mem_read, plain_close };

struct lsi_bstream *lsi_bstream_mem(const uint8_t *buf, size_t len, size_t block)
{
	struct mem_stream *s = lsi_calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = &mem_ops;
	s->buf = buf;
	s->len = len;
	s->block = block ? block : 1;
	return &s->base;
}

struct fd_stream {
	struct lsi_bstream base;
	int fd;
	uint64_t deadline_ms;   /* monotonic; 0 = none (lsi_bstream_fd_deadline) */
	uint64_t *counted;      /* bytes read are added here (lsi_bstream_fd_count) */
	size_t cap;
	uint8_t buf[];
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Waits for @s's fd to have bytes, until its deadline. */
static bool fd_wait(struct fd_stream *s)
{
	for (;;) {
		struct pollfd p = { s->fd, POLLIN, 0 };
		uint64_t now = mono_ms();
		int r;

		if (now >= s->deadline_ms)
			return false;
		r = poll(&p, 1, (int)(s->deadline_ms - now > INT32_MAX ? INT32_MAX
									 : s->deadline_ms - now));
		if (r > 0 || (r < 0 && errno != EINTR))
			return true; /* ready, closed or an error: read() says which */
	}
}

/* One read() of @s's fd into @dst: what fd_read and lsi_bstream_fd_read_into share. */
static enum lsi_rd fd_fill(struct fd_stream *s, uint8_t *dst, size_t cap, size_t *len)
{
	ssize_t n;

	if (s->deadline_ms && !fd_wait(s)) {
		lsi_bstream_fail(&s->base, "%s", LSI_TIMEOUT_MSG);
		return LSI_RD_LIMIT;
	}
	do
		n = read(s->fd, dst, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		lsi_bstream_fail(&s->base, "read error: %s", strerror(errno));
		return LSI_RD_IO;
	}
	if (n == 0)
		return LSI_RD_EOF;
	if (s->counted)
		*s->counted += (uint64_t)n;
	*len = (size_t)n;
	return LSI_RD_OK;
}

static enum lsi_rd fd_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct fd_stream *s = (struct fd_stream *)bs;
	enum lsi_rd st = fd_fill(s, s->buf, s->cap, len);

	if (st == LSI_RD_OK)
		*buf = s->buf;
	return st;
}

enum lsi_rd lsi_bstream_fd_read_into(struct lsi_bstream *bs, uint8_t *dst, size_t cap,
				     size_t *len)
{
	return fd_fill((struct fd_stream *)bs, dst, cap, len);
}

static const struct lsi_bstream_ops fd_ops = { fd_read, plain_close };

struct lsi_bstream *lsi_bstream_fd(int fd, size_t block)
{
	struct fd_stream *s = lsi_calloc(1, sizeof(*s) + block);

	if (!s)
		return NULL;
	s->base.ops = &fd_ops;
	s->fd = fd;
	s->cap = block;
	return &s->base;
}

void lsi_bstream_fd_deadline(struct lsi_bstream *bs, uint64_t deadline_ms)
{
	((struct fd_stream *)bs)->deadline_ms = deadline_ms;
}

void lsi_bstream_fd_count(struct lsi_bstream *bs, uint64_t *counter)
{
	((struct fd_stream *)bs)->counted = counter;
}

void lsi_reader_init(struct lsi_reader *r, struct lsi_bstream *in)
{
	memset(r, 0, sizeof(*r));
	r->in = in;
}

static enum lsi_rd fill(struct lsi_reader *r)
{
	enum lsi_rd st;

	if (r->left)
		return LSI_RD_OK;
	if (r->err)
		return r->err;
	if (r->eof)
		return LSI_RD_EOF;
	st = lsi_bstream_read(r->in, &r->cur, &r->left);
	if (st == LSI_RD_EOF)
		r->eof = true;
	else if (st != LSI_RD_OK)
		r->err = st;
	return st;
}

enum lsi_rd lsi_reader_read(struct lsi_reader *r, void *dst, size_t n)
{
	uint8_t *d = dst;
	size_t got = 0;

	while (got < n) {
		enum lsi_rd st = fill(r);
		size_t k;

		if (st == LSI_RD_EOF)
			return got ? LSI_RD_DAMAGED : LSI_RD_EOF;
		if (st != LSI_RD_OK)
			return st;
		k = r->left < n - got ? r->left : n - got;
		memcpy(d + got, r->cur, k);
		r->cur += k;
		r->left -= k;
		got += k;
		r->consumed += k;
	}
	return LSI_RD_OK;
}

enum lsi_rd lsi_reader_next(struct lsi_reader *r, size_t max, const uint8_t **p, size_t *n)
{
	enum lsi_rd st = fill(r);
	size_t k;

	if (st != LSI_RD_OK)
		return st;
	k = r->left < max ? r->left : max;
	*p = r->cur;
	*n = k;
	r->cur += k;
	r->left -= k;
	r->consumed += k;
	return LSI_RD_OK;
}

enum lsi_rd lsi_reader_skip(struct lsi_reader *r, uint64_t n)
{
	while (n) {
		const uint8_t *p;
		size_t k;
		enum lsi_rd st = lsi_reader_next(r, n > SIZE_MAX ? SIZE_MAX : (size_t)n, &p, &k);

		if (st == LSI_RD_EOF)
			return LSI_RD_DAMAGED;
		if (st != LSI_RD_OK)
			return st;
		n -= k;
	}
	return LSI_RD_OK;
}

struct peek_stream {
	struct lsi_bstream base;
	struct lsi_bstream *in;
	const uint8_t *pending;   /* head, handed out first */
	size_t pending_len;
	const uint8_t *tail;      /* rest of the block the head ended in */
	size_t tail_len;
	enum lsi_rd after;        /* status to return once both are spent */
	uint8_t head[];           /* copy, only when the first block was short */
};

static enum lsi_rd peek_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct peek_stream *s = (struct peek_stream *)bs;
	enum lsi_rd st;

	if (s->pending_len) {
		*buf = s->pending;
		*len = s->pending_len;
		s->pending_len = 0;
		return LSI_RD_OK;
	}
	if (s->tail_len) {
		*buf = s->tail;
		*len = s->tail_len;
		s->tail_len = 0;
		return LSI_RD_OK;
	}
	if (s->after != LSI_RD_OK) {
		memcpy(bs->msg, s->in->msg, sizeof(bs->msg));
		return s->after;
	}
	st = lsi_bstream_read(s->in, buf, len);
	if (st != LSI_RD_OK)
		memcpy(bs->msg, s->in->msg, sizeof(bs->msg));
	return st;
}

static void peek_close(struct lsi_bstream *bs)
{
	struct peek_stream *s = (struct peek_stream *)bs;

	lsi_bstream_close(s->in);
	lsi_free(s);
}

static const struct lsi_bstream_ops peek_ops = { peek_read, peek_close };

struct lsi_bstream *lsi_bstream_peek(struct lsi_bstream *in, size_t want,
				     const uint8_t **head, size_t *head_len,
				     enum lsi_rd *status)
{
	struct peek_stream *s = lsi_calloc(1, sizeof(*s) + want);
	const uint8_t *b = NULL;
	size_t n = 0, have = 0;
	enum lsi_rd st;

	*head = NULL;
	*head_len = 0;
	*status = LSI_RD_OK;
	if (!s) {
		lsi_bstream_close(in);
		*status = LSI_RD_NOMEM;
		return NULL;
	}
	s->base.ops = &peek_ops;
	s->in = in;
	st = lsi_bstream_read(in, &b, &n);
	if (st == LSI_RD_OK && n >= want) {
		/* The common case: the first block already holds the head. */
		s->pending = b;
		s->pending_len = n;
		*head = b;
		*head_len = want;
		return &s->base;
	}
	while (st == LSI_RD_OK) {
		size_t k = n < want - have ? n : want - have;

		memcpy(s->head + have, b, k);
		have += k;
		if (have == want) {
			s->tail = b + k;
			s->tail_len = n - k;
			break;
		}
		st = lsi_bstream_read(in, &b, &n);
	}
	s->after = st;
	/* A stream that failed before its head is complete says why right away. */
	if (st != LSI_RD_OK && st != LSI_RD_EOF)
		memcpy(s->base.msg, in->msg, sizeof(s->base.msg));
	*status = st == LSI_RD_EOF ? LSI_RD_OK : st;
	s->pending = s->head;
	s->pending_len = have;
	*head = s->head;
	*head_len = have;
	return &s->base;
}
