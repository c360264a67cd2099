/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoders: byte-stream filters (gzip today; xz, bzip2, zstd behind the
 * same table). Each takes ownership of its input stream and shares one
 * expansion guard, so no decoder keeps limits of its own.
 */
#ifndef LSI_DECODE_H
#define LSI_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "container/bstream.h"

/* Expansion limits shared by every decoder of one top-level input. */
struct lsi_guard {
	uint64_t max_ratio;    /* output / input of one decoder; 0 = off */
	uint64_t ratio_floor;  /* the ratio applies past this many output bytes */
	uint64_t *total;       /* expanded bytes of the whole input so far */
	uint64_t max_total;    /* 0 = off */
	/* Not a limit: threads a decoder may use for itself (an xz stream of
	 * several blocks decodes them in parallel); 0 or 1 = the caller's. */
	unsigned threads;
	/* Not a limit: the encoded stream's whole size when known (a member's
	 * declared size, the input's), else 0. The ratio is judged against it
	 * rather than the bytes read so far, so a highly compressible start
	 * (a long run of one line) does not cut off a stream that is modest
	 * as a whole; a bomb is still one as a whole. */
	uint64_t in_size;
};

/*
 * Accounts @out_delta new output bytes of a decoder that has consumed
 * @in_bytes and produced @out_bytes in all. LSI_RD_LIMIT with a message
 * in @s when a limit is crossed.
 */
enum lsi_rd lsi_guard_check(const struct lsi_guard *g, struct lsi_bstream *s,
			    uint64_t in_bytes, uint64_t out_bytes, size_t out_delta);

/*
 * Hands out a decoder's output block: adds @produced bytes at @out to the
 * decoder's running @out_total, checks @g (having consumed @in_used input
 * bytes) and fills @buf and @len. When a limit is crossed it sets @done
 * and returns LSI_RD_LIMIT with the message in @s instead. One place for what every
 * decoder does with every block.
 */
enum lsi_rd lsi_decode_emit(const struct lsi_guard *g, struct lsi_bstream *s, uint64_t in_used,
			    uint64_t *out_total, const uint8_t *out, size_t produced, bool *done,
			    const uint8_t **buf, size_t *len);

struct lsi_decoder_ops {
	const char *name;      /* "gzip" */
	size_t probe_len;      /* bytes probe() looks at */
	int (*probe)(const uint8_t *head, size_t n); /* 0 = not mine */
	/* Takes @in; NULL on OOM (and closes @in). */
	struct lsi_bstream *(*open)(struct lsi_bstream *in, const struct lsi_guard *g);
	/*
	 * Optional (NULL: not offered): a read of a stream open() made that
	 * decodes straight into @dst (up to @cap bytes), with read()'s
	 * outcomes; the read-ahead thread then copies nothing.
	 */
	enum lsi_rd (*read_into)(struct lsi_bstream *s, uint8_t *dst, size_t cap, size_t *len);
};

/*
 * Runs @in on a helper thread with a few blocks of read-ahead; takes
 * ownership of @in. @read_into, when not NULL, is @in's decoder's
 * (lsi_decoder_ops): blocks are then decoded into the read-ahead buffers.
 * Falls back to @in itself when no thread can be had.
 */
struct lsi_bstream *lsi_bstream_async(struct lsi_bstream *in,
				      enum lsi_rd (*read_into)(struct lsi_bstream *, uint8_t *,
							       size_t, size_t *));

/*
 * The same with a ring of @slots blocks of 256 KiB (rounded up to a power
 * of two, at most 32) instead of 8: a stream opened before anyone reads it
 * (core/prefetch.c) decodes that much ahead meanwhile.
 */
struct lsi_bstream *lsi_bstream_async_ring(struct lsi_bstream *in,
					   enum lsi_rd (*read_into)(struct lsi_bstream *, uint8_t *,
								    size_t, size_t *),
					   unsigned slots);

/*
 * The limits of @g applied on the reading side of @in (taken; @g is
 * copied): each block read is added to @g's total and checked as a
 * decoder checks its own output, the block that crosses a limit failing
 * with LSI_RD_LIMIT and the decoder's message. For a decoder opened before
 * its limits were known (core/prefetch.c). Blocks pass through uncopied.
 */
struct lsi_bstream *lsi_bstream_guarded(struct lsi_bstream *in, const struct lsi_guard *g);

/*
 * Zero-copy hand-off: when @p..@p+@n lies in the block that @bs (a stream
 * lsi_bstream_async() made) last handed out, keeps that block's bytes
 * alive and unchanged until lsi_async_unpin(): the read-ahead thread takes
 * another block in its place. Call on the reading thread; unpin on any.
 * NULL when @bs is no such stream or the bytes lie elsewhere.
 */
struct lsi_apin;
struct lsi_apin *lsi_async_pin(struct lsi_bstream *bs, const uint8_t *p, size_t n);
void lsi_async_unpin(struct lsi_apin *pin);

/* The decoder whose probe accepts @head, or NULL. */
const struct lsi_decoder_ops *lsi_decoder_sniff(const uint8_t *head, size_t n);
/* The same for the first bytes of the file @fd (read with pread: its
 * offset stays); *@readable says whether there were any. */
const struct lsi_decoder_ops *lsi_decoder_sniff_fd(int fd, bool *readable);

/* gzip over zlib, and over ISA-L when built with it (HAVE_ISAL). */
extern const struct lsi_decoder_ops lsi_decoder_gzip_zlib;
extern const struct lsi_decoder_ops lsi_decoder_gzip_isal;
/* xz (liblzma), bzip2 (libbz2), zstd (libzstd): concatenated streams too. */
extern const struct lsi_decoder_ops lsi_decoder_xz;
extern const struct lsi_decoder_ops lsi_decoder_bzip2;
extern const struct lsi_decoder_ops lsi_decoder_zstd;
/*
 * Raw zlib (RFC 1950). Not in the sniffing table: applied only where a
 * member's name says it is zlib (git loose objects, core/gitdir.c).
 */
extern const struct lsi_decoder_ops lsi_decoder_zlib;

#endif
