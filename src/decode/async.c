/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Read-ahead on a helper thread: the wrapped stream (a decompressor and
 * everything beneath it) runs on its own thread and hands blocks through
 * a small ring of buffers, so inflating overlaps with parsing and
 * scanning on the caller's thread. Findings, callbacks and everything
 * else stay on the caller's thread, so output order never depends on
 * timing. Decompression is the part of the work that cannot be split per
 * member (a .tar.gz is one stream), so it gets a thread of its own beside
 * the member workers (core/offload.c).
 *
 * Each slot's block is an allocation of its own with a reference count,
 * so that a member worker can take the bytes of a block the reader has
 * (lsi_async_pin) instead of a copy: when the reader is done with a pinned
 * block, the block leaves its slot and lives on until its last pin goes,
 * and the read-ahead thread takes a new block for the slot when it next
 * fills it. Every block is made on the read-ahead thread, so the first
 * touch of fresh memory (the kernel zeroing a huge page) never falls on
 * the caller's thread, the one that hands members out to the workers.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "decode.h"
#include "util/alloc.h"

#define SLOTS 8
/* The deepest ring (lsi_bstream_async_ring); powers of two, so that the
 * free-running head and tail stay in step modulo the ring. */
#define MAX_SLOTS 32
/* A block with its header: eight to a huge page. */
#define BLOCK_BYTES (256u * 1024u)
#define CHUNK_BLOCKS (LSI_HUGE_PAGE / BLOCK_BYTES)
/* A waiting side is woken only when this many slots are there for it (or
 * at the end): the two threads trade blocks in bursts, not one at a time,
 * which saves a pair of context switches for every block. */
#define WAKE_AT 4

/*
 * A stream's blocks, carved from huge pages and reused: fresh 4 KiB pages
 * would cost the reader a page fault for each it writes, on the one
 * thread that cannot be split. Blocks go back to the free list, never to
 * the system, until the pool goes: it lives while the stream or any of
 * its blocks does (a pinned block outlives the stream), one reference
 * for the stream and one per block handed out.
 */
struct block_pool {
	_Atomic unsigned refs;
	pthread_mutex_t mu;
	struct lsi_apin *free;        /* linked through next_free */
	struct chunk {
		void *p;
		size_t len;
	} *chunks;
	size_t nchunks, capchunks;
};

struct lsi_apin {
	_Atomic unsigned refs;        /* the ring's own, plus one per pin */
	struct lsi_apin *next_free;   /* on the pool's free list */
	struct block_pool *pool;      /* where the block goes back to */
	size_t len;
	uint8_t data[];
};

#define SLOT_CAP (BLOCK_BYTES - sizeof(struct lsi_apin))

static void pool_unref(struct block_pool *pool)
{
	if (atomic_fetch_sub_explicit(&pool->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < pool->nchunks; i++)
		lsi_huge_free(pool->chunks[i].p, pool->chunks[i].len);
	lsi_free(pool->chunks);
	pthread_mutex_destroy(&pool->mu);
	lsi_free(pool);
}

/* Under the pool's lock: a huge page more of free blocks; false on OOM. */
static bool pool_grow(struct block_pool *pool)
{
	struct chunk c;

	if (!lsi_grow(&pool->chunks, &pool->capchunks, pool->nchunks + 1, sizeof(*pool->chunks),
		      4) ||
	    !(c.p = lsi_huge_alloc(LSI_HUGE_PAGE, &c.len)))
		return false;
	pool->chunks[pool->nchunks++] = c;
	for (size_t i = CHUNK_BLOCKS; i-- > 0;) {
		struct lsi_apin *b = (struct lsi_apin *)((uint8_t *)c.p + i * BLOCK_BYTES);

		b->next_free = pool->free;
		pool->free = b;
	}
	return true;
}

static struct lsi_apin *block_new(struct block_pool *pool)
{
	struct lsi_apin *b = NULL;

	pthread_mutex_lock(&pool->mu);
	if (pool->free || pool_grow(pool)) {
		b = pool->free;
		pool->free = b->next_free;
	}
	pthread_mutex_unlock(&pool->mu);
	if (!b)
		return NULL;
	atomic_init(&b->refs, 1);
	atomic_fetch_add_explicit(&pool->refs, 1, memory_order_relaxed);
	b->pool = pool;
	b->next_free = NULL;
	b->len = 0;
	return b;
}

/* @b is unused: back to its pool's free list. */
static void block_free(struct lsi_apin *b)
{
	struct block_pool *pool;

	if (!b)
		return;
	pool = b->pool;
	pthread_mutex_lock(&pool->mu);
	b->next_free = pool->free;
	pool->free = b;
	pthread_mutex_unlock(&pool->mu);
	pool_unref(pool);
}

void lsi_async_unpin(struct lsi_apin *b)
{
	if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
		block_free(b);
}

typedef enum lsi_rd (*read_into_fn)(struct lsi_bstream *, uint8_t *, size_t, size_t *);

struct async_stream {
	struct lsi_bstream base;
	struct lsi_bstream *in;       /* touched only by the worker after start */
	read_into_fn read_into;       /* decodes straight into a slot, or NULL */
	pthread_t worker;
	pthread_mutex_t mu;
	pthread_cond_t cv_data;       /* filled slots for the reader, or the end */
	pthread_cond_t cv_space;      /* free slots for the worker, or cancel */
	bool reader_waiting, worker_waiting;
	unsigned head, tail;          /* slots filled: [head, tail) modulo nslots */
	unsigned nslots;              /* the ring's size: SLOTS, or more */
	unsigned depth;               /* slots it may fill: nslots until the
	                               * first read, then at most SLOTS */
	cpu_set_t cpus;               /* where the thread may run, when narrowed */
	bool narrowed;                /* started off its maker's CPU (start()) */
	bool finished;                /* the worker has stopped producing */
	enum lsi_rd end;              /* EOF or the error the worker met */
	char end_msg[LSI_MSG_LEN];
	bool cancel;                  /* the reader closed early */
	bool reader_holds;            /* the reader still uses slot head */
	struct block_pool *pool;
	/* Each slot's block is made by the worker when it first fills the
	 * slot: the first touch of a fresh huge page (the kernel zeroing it)
	 * falls on the read-ahead thread, not on the caller's. */
	struct lsi_apin *slots[MAX_SLOTS];
};

/* Under the lock: waits for a free slot; false when the reader closed. */
static bool wait_space(struct async_stream *s)
{
	/* One slot is kept for the block the reader is working on. */
	while (!s->cancel && s->tail - s->head >= s->depth - 1) {
		s->worker_waiting = true;
		pthread_cond_wait(&s->cv_space, &s->mu);
		s->worker_waiting = false;
	}
	return !s->cancel;
}

/* Under the lock: one more slot is filled. The first block wakes the
 * reader at once: it has waited since the start with nothing to do. */
static void filled(struct async_stream *s)
{
	s->tail++;
	if (s->reader_waiting && (s->tail - s->head >= WAKE_AT || s->tail == 1))
		pthread_cond_signal(&s->cv_data);
}

/* Under the lock: the worker stops (end of input, error or cancel). */
static void finish(struct async_stream *s, enum lsi_rd st)
{
	if (!s->cancel && st != LSI_RD_OK) {
		s->end = st;
		memcpy(s->end_msg, s->in->msg, LSI_MSG_LEN);
	}
	s->finished = true;
	pthread_cond_signal(&s->cv_data);
	pthread_mutex_unlock(&s->mu);
}

/* Under the lock: the block of the slot the worker fills next, made the
 * first time (NULL when out of memory). */
static struct lsi_apin *slot_block(struct async_stream *s)
{
	struct lsi_apin **sl = &s->slots[s->tail % s->nslots];

	if (!*sl)
		*sl = block_new(s->pool);
	return *sl;
}

/* Under the lock: the worker stops, out of memory for a block. */
static void finish_nomem(struct async_stream *s)
{
	lsi_bstream_fail(s->in, "out of memory for read-ahead");
	finish(s, LSI_RD_NOMEM);
}

/* The worker with a decoder that writes into a free slot: no copy. */
static void *work_into(struct async_stream *s)
{
	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct lsi_apin *sl;
		enum lsi_rd st;
		size_t n = 0;

		if (!wait_space(s))
			break;
		if (!(sl = slot_block(s))) {
			finish_nomem(s);
			return NULL;
		}
		pthread_mutex_unlock(&s->mu);
		st = s->read_into(s->in, sl->data, SLOT_CAP, &n);
		pthread_mutex_lock(&s->mu);
		if (st != LSI_RD_OK) {
			finish(s, st);
			return NULL;
		}
		sl->len = n;
		filled(s);
	}
	finish(s, LSI_RD_OK);
	return NULL;
}

static void *work(void *arg)
{
	/* Named for top -H and debuggers (15 bytes at most); harmless to fail. */
	(void)pthread_setname_np(pthread_self(), "leakscan-read");
	struct async_stream *s = arg;

	if (s->narrowed)
		(void)sched_setaffinity(0, sizeof(s->cpus), &s->cpus); /* every CPU again */

	if (s->read_into)
		return work_into(s);
	for (;;) {
		const uint8_t *b;
		size_t n;
		enum lsi_rd st = lsi_bstream_read(s->in, &b, &n);

		pthread_mutex_lock(&s->mu);
		if (st != LSI_RD_OK) {
			finish(s, st);
			return NULL;
		}
		while (n) {
			size_t k;
			struct lsi_apin *sl;

			if (!wait_space(s)) {
				finish(s, LSI_RD_OK);
				return NULL;
			}
			if (!(sl = slot_block(s))) {
				finish_nomem(s);
				return NULL;
			}
			pthread_mutex_unlock(&s->mu);
			k = n < SLOT_CAP ? n : SLOT_CAP;
			memcpy(sl->data, b, k);
			sl->len = k;
			b += k;
			n -= k;
			pthread_mutex_lock(&s->mu);
			filled(s);
		}
		pthread_mutex_unlock(&s->mu);
	}
}

static enum lsi_rd async_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct async_stream *s = (struct async_stream *)bs;
	enum lsi_rd st;

	pthread_mutex_lock(&s->mu);
	/* Read from now on: what was decoded ahead meanwhile is there, and
	 * the ring goes back to the normal depth. */
	s->depth = s->nslots < SLOTS ? s->nslots : SLOTS;
	if (s->reader_holds) {
		/* The previous block is done with: its slot may be refilled.
		 * A pinned block leaves with its pins (pins are made on this
		 * thread only, so none comes between the count and the move);
		 * the worker takes a new block for the slot. */
		struct lsi_apin **slot = &s->slots[s->head % s->nslots];

		/* In a deep ring read at the normal depth, blocks go back to
		 * the pool too, so that about as many circulate as in a ring of
		 * that depth (the pool hands the warmest one out again). */
		if (s->depth < s->nslots ||
		    atomic_load_explicit(&(*slot)->refs, memory_order_acquire) > 1) {
			lsi_async_unpin(*slot);
			*slot = NULL;
		}
		s->head++;
		s->reader_holds = false;
		if (s->worker_waiting && s->depth - 1 - (s->tail - s->head) >= WAKE_AT)
			pthread_cond_signal(&s->cv_space);
	}
	while (s->head == s->tail && !s->finished) {
		s->reader_waiting = true;
		pthread_cond_wait(&s->cv_data, &s->mu);
		s->reader_waiting = false;
	}
	if (s->head != s->tail) {
		struct lsi_apin *sl = s->slots[s->head % s->nslots];

		*buf = sl->data;
		*len = sl->len;
		s->reader_holds = true;
		pthread_mutex_unlock(&s->mu);
		return LSI_RD_OK;
	}
	st = s->end;
	memcpy(bs->msg, s->end_msg, LSI_MSG_LEN);
	pthread_mutex_unlock(&s->mu);
	return st;
}

static void async_close(struct lsi_bstream *bs)
{
	struct async_stream *s = (struct async_stream *)bs;

	pthread_mutex_lock(&s->mu);
	s->cancel = true;
	pthread_cond_signal(&s->cv_space);
	pthread_mutex_unlock(&s->mu);
	/* The worker may be inside a long read of the inner stream; wait. */
	pthread_join(s->worker, NULL);
	lsi_bstream_close(s->in);
	for (int i = 0; i < MAX_SLOTS; i++)
		lsi_async_unpin(s->slots[i]); /* pinned blocks live on */
	pool_unref(s->pool);
	pthread_cond_destroy(&s->cv_data);
	pthread_cond_destroy(&s->cv_space);
	pthread_mutex_destroy(&s->mu);
	lsi_free(s);
}

static const struct lsi_bstream_ops async_ops = { async_read, async_close };

struct lsi_apin *lsi_async_pin(struct lsi_bstream *bs, const uint8_t *p, size_t n)
{
	struct async_stream *s = (struct async_stream *)bs;
	struct lsi_apin *b = NULL;

	if (!bs || bs->ops != &async_ops)
		return NULL;
	pthread_mutex_lock(&s->mu);
	if (s->reader_holds) {
		struct lsi_apin *h = s->slots[s->head % s->nslots];

		if (p >= h->data && n <= h->len && p - h->data <= (ptrdiff_t)(h->len - n)) {
			atomic_fetch_add_explicit(&h->refs, 1, memory_order_relaxed);
			b = h;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return b;
}

/*
 * Starts @s's thread on a CPU other than the calling thread's, when
 * another is allowed: a new thread is queued on its maker's CPU, and
 * there it waited 0.3-1.1 ms for its first turn while the other CPU
 * idled (0.15-0.25 ms when placed elsewhere), on the one thread a
 * compressed artifact's scan cannot split. The thread allows every CPU
 * again as it starts.
 */
static int start(struct async_stream *s)
{
	pthread_attr_t attr;
	cpu_set_t others;
	int cpu = sched_getcpu(), rc;

	if (cpu < 0 || sched_getaffinity(0, sizeof(s->cpus), &s->cpus) != 0 ||
	    CPU_COUNT(&s->cpus) < 2 || !CPU_ISSET(cpu, &s->cpus) || pthread_attr_init(&attr) != 0)
		return pthread_create(&s->worker, NULL, work, s);
	others = s->cpus;
	CPU_CLR(cpu, &others);
	s->narrowed = pthread_attr_setaffinity_np(&attr, sizeof(others), &others) == 0;
	rc = pthread_create(&s->worker, s->narrowed ? &attr : NULL, work, s);
	pthread_attr_destroy(&attr);
	if (rc != 0 && s->narrowed) {
		/* Those CPUs refused (a cpuset changed meanwhile): anywhere will do. */
		s->narrowed = false;
		rc = pthread_create(&s->worker, NULL, work, s);
	}
	return rc;
}

/* No thread after all: frees @s and reads @in on the caller's thread. */
static struct lsi_bstream *give_up(struct async_stream *s, struct lsi_bstream *in)
{
	if (s->pool)
		pool_unref(s->pool);
	lsi_free(s);
	return in;
}

struct lsi_bstream *lsi_bstream_async(struct lsi_bstream *in, read_into_fn read_into)
{
	return lsi_bstream_async_ring(in, read_into, SLOTS);
}

struct lsi_bstream *lsi_bstream_async_ring(struct lsi_bstream *in, read_into_fn read_into,
					   unsigned slots)
{
	struct async_stream *s = lsi_calloc(1, sizeof(*s));

	if (!s)
		return in; /* no memory for read-ahead: read on this thread */
	if (!(s->pool = lsi_calloc(1, sizeof(*s->pool))))
		return give_up(s, in);
	atomic_init(&s->pool->refs, 1);
	if (pthread_mutex_init(&s->pool->mu, NULL) != 0) {
		lsi_free(s->pool);
		s->pool = NULL;
		return give_up(s, in);
	}
	s->nslots = SLOTS;
	while (s->nslots < slots && s->nslots < MAX_SLOTS)
		s->nslots *= 2;
	s->depth = s->nslots;
	s->base.ops = &async_ops;
	s->in = in;
	s->read_into = read_into;
	s->end = LSI_RD_EOF;
	if (pthread_mutex_init(&s->mu, NULL) != 0)
		return give_up(s, in);
	if (pthread_cond_init(&s->cv_data, NULL) != 0) {
		pthread_mutex_destroy(&s->mu);
		return give_up(s, in);
	}
	if (pthread_cond_init(&s->cv_space, NULL) != 0) {
		pthread_cond_destroy(&s->cv_data);
		pthread_mutex_destroy(&s->mu);
		return give_up(s, in);
	}
	if (start(s) != 0) {
		pthread_cond_destroy(&s->cv_data);
		pthread_cond_destroy(&s->cv_space);
		pthread_mutex_destroy(&s->mu);
		return give_up(s, in);
	}
	return &s->base;
}
