/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pull byte streams: the common currency of inputs, decoders and
 * containers. A read hands out a borrowed block (zero copy where the
 * producer allows it), valid until the next read or close. Damage and
 * limits are graded outcomes with a message, not ends of the scan.
 */
#ifndef LSI_BSTREAM_H
#define LSI_BSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lsi_rd {
	LSI_RD_OK = 0,      /* a block of > 0 bytes */
	LSI_RD_EOF = 1,     /* no more bytes */
	LSI_RD_DAMAGED = 2, /* the data is corrupt or truncated; msg says how */
	LSI_RD_LIMIT = 3,   /* a limit was crossed; msg names it */
	LSI_RD_NOMEM = 4,
	LSI_RD_IO = 5       /* the operating system failed a read */
};

#define LSI_MSG_LEN 256

struct lsi_bstream;

struct lsi_bstream_ops {
	enum lsi_rd (*read)(struct lsi_bstream *s, const uint8_t **buf, size_t *len);
	void (*close)(struct lsi_bstream *s); /* frees the stream itself */
};

struct lsi_bstream {
	const struct lsi_bstream_ops *ops;
	char msg[LSI_MSG_LEN];  /* why the last read failed */
	uint64_t pos;           /* bytes handed out so far */
};

static inline enum lsi_rd lsi_bstream_read(struct lsi_bstream *s, const uint8_t **buf,
					   size_t *len)
{
	enum lsi_rd r = s->ops->read(s, buf, len);

	if (r == LSI_RD_OK)
		s->pos += *len;
	return r;
}

static inline void lsi_bstream_close(struct lsi_bstream *s)
{
	if (s)
		s->ops->close(s);
}

void lsi_bstream_fail(struct lsi_bstream *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A stream over a borrowed buffer, returned in blocks of at most @block. */
struct lsi_bstream *lsi_bstream_mem(const uint8_t *buf, size_t len, size_t block);
/* A stream over a file descriptor (not closed by the stream). */
struct lsi_bstream *lsi_bstream_fd(int fd, size_t block);
/*
 * A pipe or a terminal may stall: past @deadline_ms (CLOCK_MONOTONIC,
 * in ms) a read of @bs (from lsi_bstream_fd) stops waiting and
 * fails with LSI_RD_LIMIT and LSI_TIMEOUT_MSG.
 */
void lsi_bstream_fd_deadline(struct lsi_bstream *bs, uint64_t deadline_ms);
/* Bytes read from the fd are added to *@counter (a pipe has no size to
 * report; the counter must outlive the stream's reads). */
void lsi_bstream_fd_count(struct lsi_bstream *bs, uint64_t *counter);
/*
 * A read of @bs (from lsi_bstream_fd) straight into @dst, up to @cap
 * bytes, with read()'s outcomes: for read-ahead into blocks of its own
 * (lsi_bstream_async), which workers can then take without a copy.
 */
enum lsi_rd lsi_bstream_fd_read_into(struct lsi_bstream *bs, uint8_t *dst, size_t cap,
				     size_t *len);
#define LSI_TIMEOUT_MSG "timeout: no more input before the deadline"

/*
 * A reader over a stream for parsers that need exact byte counts: headers
 * are copied, data is handed out zero-copy. Does not own the stream.
 */
struct lsi_reader {
	struct lsi_bstream *in;
	const uint8_t *cur;   /* unread part of the current block */
	size_t left;
	bool eof;
	enum lsi_rd err;      /* sticky error of the underlying stream */
	uint64_t consumed;    /* bytes taken from the reader */
};

void lsi_reader_init(struct lsi_reader *r, struct lsi_bstream *in);
/* Copies exactly @n bytes; LSI_RD_EOF when none at all, DAMAGED when short. */
enum lsi_rd lsi_reader_read(struct lsi_reader *r, void *dst, size_t n);
/* Up to @max bytes of the current block, without copying. */
enum lsi_rd lsi_reader_next(struct lsi_reader *r, size_t max, const uint8_t **p, size_t *n);
/* Skips @n bytes; DAMAGED when the stream ends first. */
enum lsi_rd lsi_reader_skip(struct lsi_reader *r, uint64_t n);

/*
 * Peeking: reads up to @want bytes from the start of @in into @head
 * (copying only when the first block is shorter), then returns a stream
 * that yields exactly the same bytes as @in would have. Takes ownership
 * of @in. *head_len may be < want at end of stream.
 */
struct lsi_bstream *lsi_bstream_peek(struct lsi_bstream *in, size_t want,
				     const uint8_t **head, size_t *head_len,
				     enum lsi_rd *status);

#endif
