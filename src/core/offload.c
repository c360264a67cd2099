/* SPDX-License-Identifier: Apache-2.0 */
/* Member offload to worker threads; see offload.h. */
#include "offload.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "decode/decode.h"
#include "util/alloc.h"
#include "util/buf.h"

#define QUEUE_BYTES (8u << 20) /* copied member bytes waiting per worker */
#define QUEUE_JOBS 4096u        /* jobs waiting, whatever their size */
#define JOB_BLOCK (256u << 10)  /* blocks a job's stream hands out */
#define NONE SIZE_MAX
#define BATCH_SPARES 4           /* batch buffers kept for reuse */
#define LARGE_SPARES 1           /* ... and one of a larger member */
/* Small members travel in batches: one job, one wake-up, one buffer for
 * many files of a source tree instead of one each. */
#define BATCH_BYTES (256u << 10) /* a batch's member bytes */
#define BATCH_PARTS 64u          /* ... and members */
#define BATCH_MEMBER (64u << 10) /* members above this go alone */
#define BATCH_CAP (BATCH_BYTES + BATCH_MEMBER) /* a batch's buffer: never grows */
#define WORKER_NICE 10           /* workers' priority below the calling thread's */
#define PIN_MIN (16u << 10)      /* pieces below this are copied, not pinned */
#define PIN_FOOTPRINT (256u << 10) /* what one pin may hold alive: a read-ahead block */
/* Copies of a streamed member's pieces (those not in a read-ahead block)
 * go to buffers of this size, reused: a bomb's gigabytes churn no memory. */
#define COPY_CAP JOB_BLOCK
#define COPY_SPARES ((4u << 20) / COPY_CAP + 2) /* about 4 MiB of them kept */
/* A caller out of queue room waits until this much more is free than it
 * needs, to queue several jobs a wake; no more than the spare buffers
 * hold, so that refilling takes them and not fresh memory. */
#define ROOM_SLACK (1u << 20)
/* A plain member this large shares its Hyperscan pass with a prescan
 * (lsi_hits) from a quarter of the way in: the member's own job still
 * confirms, counts lines and decodes for the whole member, so it keeps
 * less of the Hyperscan work than the prescan takes. */
#define SPLIT_MIN (4u << 20)
#define SPLIT_OVERLAP (64u << 10) /* the prescan starts this far before */
#define FIRST_MIN (1u << 20)      /* a zip entry this large runs before older jobs */
_Static_assert(ROOM_SLACK <= BATCH_SPARES * BATCH_CAP && ROOM_SLACK <= COPY_SPARES * COPY_CAP,
	       "the spares hold a refill");

enum jstate { J_QUEUED, J_RUNNING, J_DONE };

/*
 * One recorded delivery: the replay view with its borrowed pointers
 * (hit, message, details, path) left NULL and kept as offsets into the
 * job's bytes instead, since those bytes grow and move.
 */
struct rec {
	struct lsi_rec_view v;   /* rule, category, severity, reason, kind, path_count */
	struct lsi_hit h;        /* valid when has_hit; match and secret: see the offsets */
	bool has_hit;
	size_t match_off, secret_off, message_off, details_off;
	size_t path_first;       /* in job->path_offs */
};

/*
 * A run of a member's bytes: in a read-ahead block the job pinned instead
 * of copying (decode.h), or in the job's data.
 */
struct seg {
	struct lsi_apin *pin;    /* NULL: the bytes are at the job's data + off */
	uint8_t *own;            /* a streamed member's copied piece (p points here) */
	const uint8_t *p;
	size_t off, len;
};

/* One member of a job: its bytes in the job's data, and its place. */
struct part {
	size_t off, len;
	struct seg *segs;        /* when not NULL, the bytes are these runs */
	size_t nsegs, capsegs;
	char *name;              /* its path element, after the job's prefix */
	int64_t size_hint;
	int kind;
	enum lsi_rd end_rd;      /* how reading the member ended: EOF or an error */
	char *end_msg;           /* ... and why, when an error */
	bool packed;             /* the bytes are still encoded: pk decodes them */
	struct lsi_packed pk;    /* pk.raw is set when the part runs: data moves */
	/*
	 * A streamed member (lsi_offload_submit_stream): its job is queued
	 * before its bytes are all there, and its runner takes the runs as
	 * the caller adds them. Under the pool's lock: segs, nsegs, end_rd
	 * and end_msg while open; the flags; held.
	 */
	bool streaming;
	bool open;               /* more runs may come */
	bool gone;               /* the runner stopped reading: add no more */
	size_t held;             /* bytes added and not yet scanned (in queued_bytes) */
};

struct lsi_job {
	struct lsi_job *next;
	enum jstate state;
	uint8_t *data;           /* every part's bytes, one after the other */
	size_t len, cap;
	size_t npins;            /* read-ahead blocks its parts pinned */
	struct part *parts;
	size_t nparts, capparts;
	int depth;               /* of every part */
	char **path;             /* the parts' common prefix */
	size_t path_count;
	int64_t param[LS_PARAM_COUNT_];
	uint64_t deadline_ms;
	uint64_t input_total0;   /* the input's context, for its budget */
	uint64_t input_seq;
	int64_t input_size;
	/* Results, written by whoever runs the job: */
	struct rec *recs;
	size_t nrec, caprec;
	struct lsi_buf bytes;    /* match, secret, message, details and path bytes */
	size_t *path_offs;
	size_t npath, cappath;
	ls_scan_stats stats;
	bool timed_out, failed;
	bool input_stop;         /* an input-wide limit stopped the scan in it */
	bool caller;             /* holds the caller's own deliveries: never run */
	bool stream;             /* one streamed part */
	bool first;              /* taken before older jobs (take_next()) */
	struct lsi_hits *hits;   /* its member's prescan, for its runner */
	struct lsi_hits *prescan; /* this job is that prescan: no findings */
	ls_status st;
	size_t fp;               /* its footprint, counted in queued_bytes until it has run */
};

struct lsi_offload {
	pthread_mutex_t mu;
	pthread_cond_t cv_work;     /* a job was queued, or stop */
	pthread_cond_t cv_done;     /* a job finished */
	pthread_cond_t cv_stream;   /* a streamed part got bytes, or gave some back */
	struct lsi_job *head, *tail; /* not yet replayed, in submission order */
	struct lsi_job *next_queued; /* the first job nobody has taken */
	size_t nfirst;              /* jobs with first set nobody has taken */
	struct lsi_job *filling;    /* a batch the caller is still adding to */
	/* Bytes of the jobs queued or running (a job that has run holds only
	 * its records), and the jobs not yet replayed. */
	size_t queued_bytes, queued_jobs, max_bytes;
	/*
	 * The caller's thread, out of queue room, waits until queued_bytes
	 * falls to room_at (NONE: it is not waiting), ROOM_SLACK below the
	 * share, not for each job's end: woken at every job it preempted a
	 * worker to queue one more and slept again (aws-sdk at -j2: 400
	 * such wakes).
	 * awaited is the job replay_oldest waits for.
	 */
	size_t room_at;
	const struct lsi_job *awaited;
	bool stop, draining;
	/* input_seq + 1 of the input a replayed job ended (a timeout, the
	 * byte budget): its later jobs are dropped, as one thread would never
	 * have scanned their members. Caller's thread only. */
	uint64_t ended_seq;
	/* Freed member buffers, reused. Batches all have one size and are
	 * taken back last in, first out, so the caller copies into pages
	 * that are mapped and likely still in cache; a larger member gets a
	 * large spare only when it fits snugly, or the spares would keep
	 * the footprint at its largest members times their number. */
	uint8_t *batch_spares[BATCH_SPARES];
	size_t nbatch_spares;
	uint8_t *copy_spares[COPY_SPARES]; /* under mu */
	size_t ncopy_spares;
	struct spare {
		uint8_t *p;
		size_t cap;
	} large_spares[LARGE_SPARES];
	ls_scanner *own;            /* the caller's shadow, for helping out */
	unsigned nworkers;
	pthread_t *threads;
	ls_scanner **shadows;
	cpu_set_t *cpus;            /* each worker's CPUs while spread (spread()) */
};

/* The memory @j holds while it waits: its copies and its pinned blocks. */
/* What a queued job holds alive: its buffer as allocated (a batch of tiny
 * members still has a whole batch buffer), its parts, and its pins. */
static size_t footprint(const struct lsi_job *j)
{
	if (j->stream)
		return PIN_FOOTPRINT + sizeof(struct part); /* its bytes count as they come */
	return (j->cap > j->len ? j->cap : j->len) + j->nparts * sizeof(struct part) +
	       j->npins * PIN_FOOTPRINT;
}

/* ---- shadow scanners ---- */

static ls_scanner *shadow_new(const ls_scanner *s)
{
	ls_scanner *sh = lsi_calloc(1, sizeof(*sh));

	if (!sh)
		return NULL;
	sh->rules = s->rules;
	/* Expansion counts toward the caller's input-wide budget. */
	sh->total = s->total;
	sh->rulecount = lsi_calloc(s->rules->rs.count ? s->rules->rs.count : 1,
				   sizeof(*sh->rulecount));
	if (!sh->rulecount || lsi_matcher_clone(s->matcher, &sh->matcher) != LS_OK) {
		lsi_free(sh->rulecount);
		lsi_free(sh);
		return NULL;
	}
	return sh;
}

static void shadow_free(ls_scanner *sh)
{
	if (!sh)
		return;
	lsi_matcher_free(sh->matcher);
	lsi_free(sh->rulecount);
	lsi_free(sh);
}

/* A member's bytes, then the way its reading ended. */
struct job_stream {
	struct lsi_bstream base;
	const uint8_t *data;
	struct part *p;
	size_t off, seg;
	struct lsi_offload *o;   /* for a streamed part: its lock */
};

/* Lets go of run @g's bytes. */
static void seg_release(struct seg *g)
{
	lsi_async_unpin(g->pin);
	lsi_free(g->own);
	g->pin = NULL;
	g->own = NULL;
}

/* Under the lock: whether the caller's thread waits for queue room and has it now. */
static bool room_made(const struct lsi_offload *o)
{
	return o->room_at != NONE && o->queued_bytes <= o->room_at;
}

/* Under the lock: what the queue may hold before @need more bytes join it
 * once the caller's thread had to wait: ROOM_SLACK less than its share
 * (half of a small share). */
static size_t room_mark(const struct lsi_offload *o, size_t need)
{
	size_t slack = o->max_bytes / 2 < ROOM_SLACK ? o->max_bytes / 2 : ROOM_SLACK;

	return o->max_bytes - slack > need ? o->max_bytes - slack - need : 0;
}

/*
 * A streamed part's next run, waiting for the caller to add it; the run
 * handed out before is done with (the stream contract), so it goes now
 * and the caller may add more.
 */
static enum lsi_rd stream_read(struct job_stream *js, const uint8_t **buf, size_t *len)
{
	struct lsi_offload *o = js->o;
	struct part *p = js->p;
	enum lsi_rd rd = LSI_RD_OK;

	pthread_mutex_lock(&o->mu);
	if (js->seg) {
		struct seg *g = &p->segs[js->seg - 1];

		p->held -= g->len;
		o->queued_bytes -= g->len;
		if (g->own && g->len <= COPY_CAP && o->ncopy_spares < COPY_SPARES) {
			o->copy_spares[o->ncopy_spares++] = g->own;
			g->own = NULL;
		}
		seg_release(g);
		if (room_made(o) || (o->room_at != NONE && !p->held)) {
			/* Room for the caller's thread, in either of its waits. */
			pthread_cond_broadcast(&o->cv_stream);
			pthread_cond_broadcast(&o->cv_done);
		}
	}
	while (js->seg >= p->nsegs && p->open)
		pthread_cond_wait(&o->cv_stream, &o->mu);
	if (js->seg < p->nsegs) {
		*buf = p->segs[js->seg].p;
		*len = p->segs[js->seg].len;
		js->seg++;
	} else {
		rd = p->end_rd;
		if (rd != LSI_RD_EOF)
			snprintf(js->base.msg, LSI_MSG_LEN, "%s", p->end_msg ? p->end_msg : "read error");
	}
	pthread_mutex_unlock(&o->mu);
	return rd;
}

static enum lsi_rd job_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct job_stream *js = (struct job_stream *)bs;
	const struct part *p = js->p;

	if (p->streaming)
		return stream_read(js, buf, len);
	if (p->segs) {
		if (js->seg < p->nsegs) {
			const struct seg *g = &p->segs[js->seg++];

			*buf = g->pin ? g->p : js->data + g->off;
			*len = g->len;
			return LSI_RD_OK;
		}
	} else if (js->off < p->len) {
		*buf = js->data + p->off + js->off;
		*len = p->len - js->off < JOB_BLOCK ? p->len - js->off : JOB_BLOCK;
		js->off += *len;
		return LSI_RD_OK;
	}
	if (p->end_rd != LSI_RD_EOF)
		snprintf(bs->msg, LSI_MSG_LEN, "%s", p->end_msg ? p->end_msg : "read error");
	return p->end_rd;
}

static void job_close(struct lsi_bstream *bs)
{
	(void)bs; /* lives on the runner's stack */
}

static const struct lsi_bstream_ops job_ops = { job_read, job_close };

/* Lets go of the read-ahead blocks @j's parts pinned. */
static void unpin_all(struct lsi_job *j)
{
	for (size_t i = 0; i < j->nparts; i++)
		for (size_t k = 0; k < j->parts[i].nsegs; k++)
			seg_release(&j->parts[i].segs[k]);
}

/* Returns @j's member buffer to the spares (or frees it), and its pins. */
static void give_back(struct lsi_offload *o, struct lsi_job *j)
{
	uint8_t *p = j->data;
	size_t cap = j->cap;

	unpin_all(j);
	j->data = NULL;
	if (!p)
		return;
	if (o) {
		pthread_mutex_lock(&o->mu);
		if (cap == BATCH_CAP && o->nbatch_spares < BATCH_SPARES) {
			o->batch_spares[o->nbatch_spares++] = p;
			p = NULL;
		} else if (cap > BATCH_CAP) {
			/* Keep the largest: swap down the list. */
			for (int i = 0; i < LARGE_SPARES && p; i++) {
				struct spare t = o->large_spares[i];

				if (!t.p || t.cap < cap) {
					o->large_spares[i].p = p;
					o->large_spares[i].cap = cap;
					p = t.p;
					cap = t.cap;
				}
			}
		}
		pthread_mutex_unlock(&o->mu);
	}
	lsi_free(p);
}

/* A buffer of at least @need bytes: a spare that fits, or new. */
static uint8_t *take_buffer(struct lsi_offload *o, size_t need, size_t *cap)
{
	uint8_t *p = NULL;

	pthread_mutex_lock(&o->mu);
	if (need <= BATCH_CAP && need > BATCH_CAP / 2 && o->nbatch_spares) {
		p = o->batch_spares[--o->nbatch_spares];
		*cap = BATCH_CAP;
	} else if (need > BATCH_CAP) {
		for (int i = 0; i < LARGE_SPARES && !p; i++)
			if (o->large_spares[i].p && o->large_spares[i].cap >= need &&
			    o->large_spares[i].cap / 2 <= need) {
				p = o->large_spares[i].p;
				*cap = o->large_spares[i].cap;
				o->large_spares[i].p = NULL;
				o->large_spares[i].cap = 0;
			}
	}
	pthread_mutex_unlock(&o->mu);
	if (p)
		return p;
	*cap = need == BATCH_BYTES ? BATCH_CAP : need > BATCH_CAP ? need + need / 4 : need;
	return lsi_malloc(*cap);
}

/* A reader of @j's part @p, on the runner's stack. */
static void job_stream_init(struct job_stream *js, struct lsi_offload *o, const struct lsi_job *j,
			    struct part *p)
{
	memset(js, 0, sizeof(*js));
	js->base.ops = &job_ops;
	js->data = j->data;
	js->p = p;
	js->o = o;
}

/* A streamed part's runner is done with it: read to its end or not, the
 * caller adds no more. */
static void part_gone(struct lsi_offload *o, struct part *p)
{
	pthread_mutex_lock(&o->mu);
	p->gone = true;
	pthread_cond_broadcast(&o->cv_stream);
	pthread_mutex_unlock(&o->mu);
}

/*
 * A prescan job: Hyperscan alone over its part, the member's later bytes,
 * as the caller adds them; its hits go to the member's job (lsi_hits).
 */
static void run_prescan(ls_scanner *sh, struct lsi_job *j)
{
	struct lsi_hits *h = j->prescan;
	struct part *p = &j->parts[0];
	struct job_stream js;
	enum lsi_rd rd;

	job_stream_init(&js, sh->offload, j, p);
	if (lsi_hits_start(h)) {
		for (;;) {
			const uint8_t *b;
			size_t n;

			if ((rd = job_read(&js.base, &b, &n)) != LSI_RD_OK)
				break;
			if (!lsi_hits_scan(h, sh->matcher, b, n))
				break;
		}
		lsi_hits_finish(h, sh->matcher, rd == LSI_RD_EOF);
	}
	part_gone(sh->offload, p);
	j->prescan = NULL;
	lsi_hits_unref(h);
	j->st = LS_OK;
	give_back(sh->offload, j);
}

static void run_job(ls_scanner *sh, struct lsi_job *j)
{
	ls_status st = LS_OK;

	if (j->prescan) {
		run_prescan(sh, j);
		return;
	}

	memcpy(sh->param, j->param, sizeof(sh->param));
	sh->param[LS_PARAM_THREADS] = 1; /* no read-ahead or offload inside a job */
	sh->deadline_ms = j->deadline_ms;
	sh->timed_out = sh->aborted = sh->nomem = sh->input_stop = false;
	sh->input_size = j->input_size;
	sh->input_total0 = j->input_total0;
	sh->input_seq = j->input_seq;
	sh->mem_held = 0;
	memset(&sh->stats, 0, sizeof(sh->stats));
	sh->job = j;
	/* A streamed member with a prescan (its one part) takes its hits. */
	sh->split_hits = j->hits;
	sh->split_depth = j->depth;
	sh->split_len = j->nparts ? j->parts[0].size_hint : -1;
	j->hits = NULL;
	/* The parts in order, as the caller would have met them; an abort
	 * (or running out of memory) ends the batch, and so does the end of
	 * the input (a timeout, its byte budget), as it would the caller's walk. */
	for (size_t i = 0; i < j->nparts && st == LS_OK && !sh->input_stop && !sh->timed_out;
	     i++) {
		struct part *p = &j->parts[i];

		for (sh->path_count = 0; sh->path_count < j->path_count; sh->path_count++)
			sh->path[sh->path_count] = j->path[sh->path_count];
		sh->path[sh->path_count++] = p->name;
		sh->member_kind = p->kind;
		if (p->packed) {
			struct lsi_packed pk = p->pk;

			pk.raw = j->data + p->off;
			st = lsi_pipeline_scan_packed(sh, &pk, j->depth, p->size_hint);
		} else {
			struct job_stream js;

			job_stream_init(&js, sh->offload, j, p);
			st = lsi_pipeline_scan_job(sh, &js.base, j->depth, p->size_hint);
			if (p->streaming)
				part_gone(sh->offload, p);
		}
	}
	j->st = st;
	sh->job = NULL;
	lsi_hits_unref(sh->split_hits); /* not read as plain bytes after all */
	sh->split_hits = NULL;
	j->stats = sh->stats;
	j->timed_out = sh->timed_out;
	j->input_stop = sh->input_stop;
	if (sh->nomem)
		j->failed = true;
	/* The copy is no longer needed; results stay until the replay. */
	give_back(sh->offload, j);
}

/* Under the lock: @j has run; its bytes are free (its records stay). */
static void ran(struct lsi_offload *o, struct lsi_job *j)
{
	j->state = J_DONE;
	o->queued_bytes -= j->fp;
	j->fp = 0;
	if (j->stream && j->nparts) {
		/* What its runner left unread (it stopped early) goes too. */
		o->queued_bytes -= j->parts[0].held;
		j->parts[0].held = 0;
	}
	if (room_made(o)) {
		/* Room for the caller's thread, in either of its waits. */
		pthread_cond_broadcast(&o->cv_stream);
		pthread_cond_broadcast(&o->cv_done);
	} else if (j == o->awaited) {
		pthread_cond_broadcast(&o->cv_done);
	}
}

/* The first job after @j still waiting for a runner (under the lock). */
static struct lsi_job *next_queued_after(struct lsi_job *j)
{
	for (j = j->next; j && j->state != J_QUEUED; j = j->next)
		;
	return j;
}

/* Under the lock: @j, still queued, is taken to run. */
static void take(struct lsi_offload *o, struct lsi_job *j)
{
	if (j == o->next_queued)
		o->next_queued = next_queued_after(j);
	if (j->first)
		o->nfirst--;
	j->state = J_RUNNING;
}

/*
 * Under the lock: the job a worker takes next, NULL when none waits. Jobs
 * go in the order they came, except that a large zip entry (first) goes
 * before them: started last, one such entry kept a worker busy for 16 ms
 * after the other had run out of work (typescript's tree as a .zip, -j2).
 * Replay keeps the order they came in, so output does not change.
 */
static struct lsi_job *take_next(struct lsi_offload *o)
{
	struct lsi_job *j = o->next_queued;

	if (o->nfirst)
		for (struct lsi_job *f = j; f; f = f->next)
			if (f->state == J_QUEUED && f->first) {
				j = f;
				break;
			}
	if (j)
		take(o, j);
	return j;
}

static void *worker(void *arg)
{
	ls_scanner *sh = arg;
	struct lsi_offload *o = sh->offload;
	int nice;

	/*
	 * Workers yield to the stages only one thread can run (the read-ahead
	 * decompressor, the calling thread's parsing and replay): on two cores
	 * with four threads those stages otherwise wait for a share of a core
	 * and starve the workers in turn (measured: -j2 on next 10-13% faster,
	 * on the kernel tarball 10%). Linux keeps the nice value per thread.
	 */
	(void)pthread_setname_np(pthread_self(), "leakscan-scan");
	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	if (errno == 0)
		(void)setpriority(PRIO_PROCESS, 0, nice + WORKER_NICE > 19 ? 19 : nice + WORKER_NICE);
	pthread_mutex_lock(&o->mu);
	for (;;) {
		struct lsi_job *j = take_next(o);

		if (j) {
			pthread_mutex_unlock(&o->mu);
			run_job(sh, j);
			pthread_mutex_lock(&o->mu);
			ran(o, j);
			continue;
		}
		if (o->stop)
			break;
		pthread_cond_wait(&o->cv_work, &o->mu);
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

static void job_free(struct lsi_job *j);

/* ---- the pool ---- */

void lsi_offload_free(struct lsi_offload *o)
{
	if (!o)
		return;
	pthread_mutex_lock(&o->mu);
	o->stop = true;
	pthread_cond_broadcast(&o->cv_work);
	pthread_mutex_unlock(&o->mu);
	for (unsigned i = 0; i < o->nworkers; i++)
		pthread_join(o->threads[i], NULL);
	/* Jobs never replayed (a scan that was cut short) are dropped. */
	job_free(o->filling);
	while (o->head) {
		struct lsi_job *j = o->head;

		o->head = j->next;
		job_free(j);
	}
	for (unsigned i = 0; i < o->nworkers; i++)
		shadow_free(o->shadows[i]);
	shadow_free(o->own);
	for (size_t i = 0; i < o->nbatch_spares; i++)
		lsi_free(o->batch_spares[i]);
	for (size_t i = 0; i < o->ncopy_spares; i++)
		lsi_free(o->copy_spares[i]);
	for (int i = 0; i < LARGE_SPARES; i++)
		lsi_free(o->large_spares[i].p);
	pthread_cond_destroy(&o->cv_work);
	pthread_cond_destroy(&o->cv_done);
	pthread_cond_destroy(&o->cv_stream);
	pthread_mutex_destroy(&o->mu);
	lsi_free(o->threads);
	lsi_free(o->shadows);
	lsi_free(o->cpus);
	lsi_free(o);
}

static struct lsi_offload *pool_new(ls_scanner *s)
{
	/* One worker per thread asked for: the caller's thread mostly parses
	 * and replays, and the read-ahead decompressor has its own thread,
	 * so workers that scan get the cores (measured: -j2 with two workers
	 * beats one by 10-20% on two cores). */
	unsigned n = (unsigned)s->param[LS_PARAM_THREADS];
	struct lsi_offload *o = lsi_calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv_work, NULL);
	pthread_cond_init(&o->cv_done, NULL);
	pthread_cond_init(&o->cv_stream, NULL);
	o->max_bytes = (size_t)n * QUEUE_BYTES;
	o->room_at = NONE;
	o->threads = lsi_calloc(n, sizeof(*o->threads));
	o->shadows = lsi_calloc(n, sizeof(*o->shadows));
	if (!o->threads || !o->shadows || !(o->own = shadow_new(s))) {
		lsi_offload_free(o);
		return NULL;
	}
	o->own->offload = o;
	for (; o->nworkers < n; o->nworkers++) {
		ls_scanner *sh = shadow_new(s);

		if (!sh)
			break;
		sh->offload = o; /* a worker finds its pool here; never offloads */
		if (pthread_create(&o->threads[o->nworkers], NULL, worker, sh) != 0) {
			shadow_free(sh);
			break;
		}
		o->shadows[o->nworkers] = sh;
	}
	if (!o->nworkers) {
		lsi_offload_free(o);
		return NULL;
	}
	return o;
}

bool lsi_offload_ready(ls_scanner *s)
{
	if (s->job || s->param[LS_PARAM_THREADS] < 2)
		return false;
	if (!s->offload)
		s->offload = pool_new(s);
	return s->offload != NULL;
}

/* ---- recording (in a shadow) ---- */

static size_t put_bytes(struct lsi_job *j, const void *p, size_t n)
{
	size_t off = j->bytes.len;

	if (!lsi_buf_append(&j->bytes, p, n) || !lsi_buf_putc(&j->bytes, '\0'))
		return NONE;
	return off;
}

static size_t put_str(struct lsi_job *j, const char *str)
{
	return str ? put_bytes(j, str, strlen(str)) : NONE;
}

int lsi_offload_record(struct lsi_job *j, const ls_scanner *s, const char *rule_id,
		       const char *rule_name, ls_category cat, ls_severity base,
		       const struct lsi_hit *h, const char *message, const char *details_json,
		       const char *reason)
{
	struct rec *r;

	if (!lsi_grow(&j->recs, &j->caprec, j->nrec + 1, sizeof(*j->recs), 16) ||
	    !lsi_grow(&j->path_offs, &j->cappath, j->npath + s->path_count, sizeof(*j->path_offs),
		      16))
		goto oom;
	r = &j->recs[j->nrec];
	memset(r, 0, sizeof(*r));
	r->v.rule_id = rule_id;
	r->v.rule_name = rule_name;
	r->v.reason = reason;
	r->v.cat = cat;
	r->v.base = base;
	r->v.kind = s->member_kind;
	r->v.path_count = s->path_count;
	r->match_off = r->secret_off = NONE;
	if (h) {
		r->has_hit = true;
		r->h = *h;
		r->h.match = r->h.secret = NULL;
		if ((r->match_off = put_bytes(j, h->match, h->match_len)) == NONE ||
		    (r->secret_off = put_bytes(j, h->secret, h->secret_len)) == NONE)
			goto oom;
	}
	/* put_str() gives NONE for NULL, which is also how the replay reads it. */
	r->message_off = put_str(j, message);
	r->details_off = put_str(j, details_json);
	if ((message && r->message_off == NONE) || (details_json && r->details_off == NONE))
		goto oom;
	r->path_first = j->npath;
	for (size_t i = 0; i < s->path_count; i++)
		if ((j->path_offs[j->npath++] = put_str(j, s->path[i])) == NONE)
			goto oom;
	j->nrec++;
	return 0;
oom:
	j->failed = true;
	return 1;
}

/* ---- replay (on the caller's thread) ---- */

static void job_free(struct lsi_job *j)
{
	if (!j)
		return;
	lsi_hits_unref(j->hits);
	lsi_hits_unref(j->prescan);
	for (size_t i = 0; i < j->path_count; i++)
		lsi_free(j->path[i]);
	lsi_free(j->path);
	unpin_all(j);
	for (size_t i = 0; i < j->nparts; i++) {
		lsi_free(j->parts[i].name);
		lsi_free(j->parts[i].end_msg);
		lsi_free(j->parts[i].segs);
	}
	lsi_free(j->parts);
	lsi_free(j->data);
	lsi_free(j->recs);
	lsi_free(j->path_offs);
	lsi_buf_fini(&j->bytes);
	lsi_free(j);
}

static void replay(ls_scanner *s, struct lsi_job *j)
{
	const char *path[LSI_MAX_PATH_DEPTH];
	const char *base = (const char *)j->bytes.data;

	if (s->offload->ended_seq == j->input_seq + 1)
		return; /* behind the job that ended its input */
	if (j->timed_out || j->input_stop) {
		/* The rest of the input is not scanned, at any thread count. */
		s->offload->ended_seq = j->input_seq + 1;
		if (j->input_stop)
			s->input_stop = true;
	}

	for (size_t i = 0; i < j->nrec && !s->aborted; i++) {
		const struct rec *r = &j->recs[i];
		struct lsi_rec_view v = r->v;
		struct lsi_hit h;

		if (r->has_hit) {
			h = r->h;
			h.match = (const uint8_t *)base + r->match_off;
			h.secret = (const uint8_t *)base + r->secret_off;
			v.h = &h;
		}
		v.message = r->message_off == NONE ? NULL : base + r->message_off;
		v.details_json = r->details_off == NONE ? NULL : base + r->details_off;
		for (size_t k = 0; k < v.path_count && k < LSI_MAX_PATH_DEPTH; k++)
			path[k] = base + j->path_offs[r->path_first + k];
		v.path = path;
		lsi_pipeline_replay(s, &v);
	}
	s->stats.members += j->stats.members;
	s->stats.bytes_scanned += j->stats.bytes_scanned;
	s->stats.damaged += j->stats.damaged;
	s->stats.limits += j->stats.limits;
	s->stats.bytes_skipped += j->stats.bytes_skipped;
	if (j->timed_out)
		s->timed_out = true;
	if (j->failed || j->st == LS_ERR_NOMEM)
		s->nomem = s->aborted = true;
	else if (j->st != LS_OK && j->st != LS_ERR_ABORTED && !s->aborted) {
		lsi_scanner_set_error(s, "scanning a member failed: %s", ls_status_str(j->st));
		s->aborted = true;
	}
}

/* Replays the oldest job, running it here if no worker has taken it. */
static void replay_oldest(ls_scanner *s)
{
	struct lsi_offload *o = s->offload;
	struct lsi_job *j;

	pthread_mutex_lock(&o->mu);
	j = o->head;
	if (j->state == J_QUEUED) {
		/* Nothing before the head: it is the first untaken job. */
		take(o, j);
		pthread_mutex_unlock(&o->mu);
		run_job(o->own, j);
		pthread_mutex_lock(&o->mu);
		ran(o, j);
	}
	o->awaited = j;
	while (j->state != J_DONE)
		pthread_cond_wait(&o->cv_done, &o->mu);
	o->awaited = NULL;
	o->head = j->next;
	if (!o->head)
		o->tail = NULL;
	o->queued_jobs--;
	pthread_mutex_unlock(&o->mu);
	o->draining = true;
	replay(s, j);
	o->draining = false;
	job_free(j);
}

/* Queues @j behind every job before it (under the lock). */
static void append(struct lsi_offload *o, struct lsi_job *j)
{
	if (o->tail)
		o->tail->next = j;
	else
		o->head = j;
	o->tail = j;
	if (j->state != J_DONE) {
		j->fp = footprint(j);
		o->queued_bytes += j->fp;
	}
	o->queued_jobs++;
}

/* Replays the finished jobs at the front, without waiting for any. */
static void replay_ready(ls_scanner *s)
{
	struct lsi_offload *o = s->offload;

	for (;;) {
		bool done;

		pthread_mutex_lock(&o->mu);
		done = o->head && o->head->state == J_DONE;
		pthread_mutex_unlock(&o->mu);
		if (!done)
			return;
		replay_oldest(s);
	}
}

struct lsi_job *lsi_offload_caller_job(ls_scanner *s)
{
	struct lsi_offload *o = s->offload;
	struct lsi_job *j;

	/* A batch still filling goes first: its members came before. */
	if (o->filling) {
		pthread_mutex_lock(&o->mu);
		append(o, o->filling);
		if (!o->next_queued)
			o->next_queued = o->filling;
		pthread_cond_signal(&o->cv_work);
		pthread_mutex_unlock(&o->mu);
		o->filling = NULL;
	}
	/* The tail is only ever appended to by this thread. */
	if (o->tail && o->tail->caller)
		return o->tail;
	if (!(j = lsi_calloc(1, sizeof(*j))))
		return NULL;
	lsi_buf_init(&j->bytes, SIZE_MAX / 2);
	j->caller = true;
	j->state = J_DONE;
	j->input_seq = s->input_seq;
	pthread_mutex_lock(&o->mu);
	append(o, j);
	pthread_mutex_unlock(&o->mu);
	return j;
}

bool lsi_offload_pending(const ls_scanner *s)
{
	return s->offload && !s->job && (s->offload->head || s->offload->filling) &&
	       !s->offload->draining;
}

static void job_queue(ls_scanner *s, struct lsi_job *j);

/* Bytes still to scan, in two jobs or more, for spread() to be worth its
 * three system calls a worker (a directory of files drains after each). */
#define SPREAD_MIN (512u << 10)

/*
 * Gives each worker a CPU of its own while the last jobs of an input run;
 * false when it did not. Without it the two workers of -j2 often shared
 * one CPU for milliseconds at the end while the other, just left by the
 * read-ahead thread, idled: on VMs that show the scheduler no shared
 * cache, a waking thread is not moved to an idle CPU, only later by load
 * balancing (typescript -j2, from the read-ahead thread's end to the
 * report: median 4.4 ms, 2.8 ms spread).
 */
static bool spread(struct lsi_offload *o)
{
	cpu_set_t mine;
	int cpu[CPU_SETSIZE], n = 0;
	bool worth;

	pthread_mutex_lock(&o->mu);
	worth = o->queued_jobs >= 2 && o->queued_bytes >= SPREAD_MIN;
	pthread_mutex_unlock(&o->mu);
	/* Only where the workers are as many as the CPUs (the default): with
	 * CPUs to spare the scheduler has idle ones to wake them on, and
	 * pinning would only pick CPUs others may be using. */
	if (!worth || o->nworkers < 2 || sched_getaffinity(0, sizeof(mine), &mine) != 0 ||
	    CPU_COUNT(&mine) < 2 || (unsigned)CPU_COUNT(&mine) > o->nworkers ||
	    (!o->cpus && !(o->cpus = lsi_calloc(o->nworkers, sizeof(*o->cpus)))))
		return false;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &mine))
			cpu[n++] = c;
	for (unsigned k = 0; k < o->nworkers; k++) {
		cpu_set_t one;

		if (pthread_getaffinity_np(o->threads[k], sizeof(o->cpus[k]), &o->cpus[k]) != 0)
			CPU_ZERO(&o->cpus[k]); /* not moved: nothing to give back */
		else {
			CPU_ZERO(&one);
			CPU_SET(cpu[k % (unsigned)n], &one);
			(void)pthread_setaffinity_np(o->threads[k], sizeof(one), &one);
		}
	}
	return true;
}

/* Each worker's CPUs as before spread(). */
static void unspread(struct lsi_offload *o)
{
	for (unsigned k = 0; k < o->nworkers; k++)
		if (CPU_COUNT(&o->cpus[k]))
			(void)pthread_setaffinity_np(o->threads[k], sizeof(o->cpus[k]),
						     &o->cpus[k]);
}

ls_status lsi_offload_drain(ls_scanner *s)
{
	struct lsi_offload *o = s->offload;

	if (!o || o->draining || s->job)
		return LS_OK;
	if (o->filling) {
		struct lsi_job *f = o->filling;

		o->filling = NULL;
		job_queue(s, f);
	}
	if (o->head) {
		bool moved = spread(o);

		while (o->head)
			replay_oldest(s);
		if (moved)
			unspread(o);
	}
	if (s->nomem)
		return LS_ERR_NOMEM;
	return s->aborted ? LS_ERR_ABORTED : LS_OK;
}

/* A job at @s's current place (its members' prefix), with room for @need bytes. */
static struct lsi_job *job_new(ls_scanner *s, size_t need, int depth)
{
	struct lsi_job *j = lsi_calloc(1, sizeof(*j));
	size_t prefix = s->path_count ? s->path_count - 1 : 0;

	if (!j)
		return NULL;
	lsi_buf_init(&j->bytes, SIZE_MAX / 2);
	if (!(j->data = take_buffer(s->offload, need ? need : 1, &j->cap)) ||
	    !(j->path = lsi_calloc(prefix + 1, sizeof(*j->path)))) {
		job_free(j);
		return NULL;
	}
	for (; j->path_count < prefix; j->path_count++)
		if (!(j->path[j->path_count] = lsi_strdup(s->path[j->path_count]))) {
			job_free(j);
			return NULL;
		}
	j->depth = depth;
	memcpy(j->param, s->param, sizeof(j->param));
	j->deadline_ms = s->deadline_ms;
	j->input_total0 = s->input_total0;
	j->input_seq = s->input_seq;
	j->input_size = s->input_size;
	return j;
}

/* Queues @j for the workers, replaying older jobs first to bound memory. */
static void job_queue(ls_scanner *s, struct lsi_job *j)
{
	struct lsi_offload *o = s->offload;
	size_t fp = footprint(j);

	replay_ready(s);
	/*
	 * Bounded memory: past its count of jobs, replay from the front
	 * (records are memory too); past its share of bytes, wait until any
	 * job has run or a streamed member's runner has scanned some bytes.
	 * Not only the oldest job: waiting for it (a large member still
	 * scanning) left the other workers idle and the read-ahead stalled.
	 */
	while (o->head && !s->aborted) {
		bool jobs;

		pthread_mutex_lock(&o->mu);
		jobs = o->queued_jobs >= QUEUE_JOBS;
		if (!jobs && !(o->queued_bytes && o->queued_bytes + fp > o->max_bytes)) {
			pthread_mutex_unlock(&o->mu);
			break;
		}
		if (!jobs) {
			/* Checked under the lock; woken with room for many jobs. */
			o->room_at = room_mark(o, fp);
			while (o->queued_bytes && o->queued_bytes > o->room_at)
				pthread_cond_wait(&o->cv_done, &o->mu);
			o->room_at = NONE;
		}
		pthread_mutex_unlock(&o->mu);
		if (jobs)
			replay_oldest(s);
		replay_ready(s);
	}
	pthread_mutex_lock(&o->mu);
	append(o, j);
	if (!o->next_queued)
		o->next_queued = j;
	o->nfirst += j->first;
	pthread_cond_signal(&o->cv_work);
	pthread_mutex_unlock(&o->mu);
}

/* Whether a member of @need bytes at @s's place may join batch @f. */
static bool joins(const struct lsi_job *f, const ls_scanner *s, int depth, size_t need)
{
	if (!f || f->depth != depth || f->path_count + 1 != s->path_count ||
	    f->nparts >= BATCH_PARTS || f->len + need > BATCH_BYTES ||
	    f->input_seq != s->input_seq || f->deadline_ms != s->deadline_ms ||
	    f->input_total0 != s->input_total0 || memcmp(f->param, s->param, sizeof(f->param)))
		return false;
	for (size_t i = 0; i < f->path_count; i++)
		if (strcmp(f->path[i], s->path[i]) != 0)
			return false;
	return true;
}

/*
 * The job a member of @need bytes goes into: the batch being filled, or
 * a new one (a batch for a small member, a job of its own for a larger
 * one, with room for @room bytes of copies). Queues the batch it cannot
 * join. NULL on OOM.
 */
static struct lsi_job *job_for(ls_scanner *s, size_t need, size_t room, int depth)
{
	struct lsi_offload *o = s->offload;
	struct lsi_job *j;
	bool small = need <= BATCH_MEMBER;

	if (small && joins(o->filling, s, depth, need))
		return o->filling;
	if (o->filling) {
		j = o->filling;
		o->filling = NULL;
		job_queue(s, j);
	}
	if (!(j = job_new(s, small ? BATCH_BYTES : room, depth)))
		return NULL;
	if (small)
		o->filling = j;
	return j;
}

/* Adds a part for the member at @s's place, its bytes to come at j->len. */
static struct part *part_add(struct lsi_job *j, const ls_scanner *s, int64_t size_hint)
{
	struct part *p;

	if (!lsi_grow(&j->parts, &j->capparts, j->nparts + 1, sizeof(*j->parts), 4))
		return NULL;
	p = &j->parts[j->nparts];
	memset(p, 0, sizeof(*p));
	if (!(p->name = lsi_strdup(s->path_count ? s->path[s->path_count - 1] : "")))
		return NULL;
	p->off = j->len;
	p->size_hint = size_hint;
	p->kind = s->member_kind;
	p->end_rd = LSI_RD_EOF;
	j->nparts++;
	return p;
}

/* Room for @n more bytes in @j's data. */
static bool reserve(struct lsi_job *j, size_t n)
{
	return lsi_grow(&j->data, &j->cap, j->len + n, 1, 1);
}

/* Done adding to @j: a job of its own is queued now, a batch when full. */
static void part_done(ls_scanner *s, struct lsi_job *j)
{
	struct lsi_offload *o = s->offload;

	if (j != o->filling) {
		job_queue(s, j);
	} else if (j->nparts >= BATCH_PARTS || j->len >= BATCH_BYTES) {
		o->filling = NULL;
		job_queue(s, j);
	}
}

/*
 * Out of memory while adding a member: takes back its part (@p, NULL when
 * none was added); the batch keeps the members before it, a job of its
 * own goes.
 */
static ls_status part_undo(ls_scanner *s, struct lsi_job *j, struct part *p)
{
	if (!j)
		return LS_ERR_NOMEM;
	if (p) {
		for (size_t k = 0; k < p->nsegs; k++)
			if (p->segs[k].pin) {
				lsi_async_unpin(p->segs[k].pin);
				j->npins--;
			}
		lsi_free(p->segs);
		lsi_free(p->name);
		lsi_free(p->end_msg);
		j->len = p->off;
		j->nparts--;
	}
	if (j != s->offload->filling)
		job_free(j);
	return LS_ERR_NOMEM;
}

/* The read-ahead block holding @b..@b+@n, pinned; NULL to copy instead. */
static struct lsi_apin *pin_piece(ls_scanner *s, const uint8_t *b, size_t n)
{
	struct lsi_apin *pin = NULL;

	for (unsigned i = s->nrings; i-- > 0 && !pin;)
		pin = lsi_async_pin(s->rings[i], b, n);
	return pin;
}

/* Adds a run to @p (a pinned one when @pin is set). */
static bool seg_add(struct part *p, struct lsi_apin *pin, const uint8_t *b, size_t off, size_t n)
{
	struct seg *g;

	if (!pin && p->nsegs && !p->segs[p->nsegs - 1].pin &&
	    p->segs[p->nsegs - 1].off + p->segs[p->nsegs - 1].len == off) {
		p->segs[p->nsegs - 1].len += n; /* copies one after the other: one run */
		return true;
	}
	if (!lsi_grow(&p->segs, &p->capsegs, p->nsegs + 1, sizeof(*p->segs), 8))
		return false;
	g = &p->segs[p->nsegs++];
	g->pin = pin;
	g->own = NULL;
	g->p = b;
	g->off = off;
	g->len = n;
	return true;
}

ls_status lsi_offload_submit(ls_scanner *s, struct lsi_bstream *in, int depth,
			     int64_t size_hint)
{
	size_t need = size_hint > 0 ? (size_t)size_hint : 1;
	/* A member of its own job takes the read-ahead blocks it lies in
	 * rather than a copy; only pieces too small to pin (the ends of
	 * blocks) are copied. A batch's small members are copied. */
	bool pinning = s->nrings && need > BATCH_MEMBER;
	struct lsi_job *j = job_for(s, need, pinning ? 4 * PIN_MIN : need, depth);
	struct part *p = j ? part_add(j, s, size_hint) : NULL;

	if (!p || !reserve(j, pinning ? 1 : need))
		return part_undo(s, j, p);
	/* When pinning, every piece becomes a run (p->segs), copied or not. */
	for (;;) {
		const uint8_t *b;
		size_t n;
		enum lsi_rd rd = lsi_bstream_read(in, &b, &n);
		struct lsi_apin *pin;

		if (rd != LSI_RD_OK) {
			/* An error is met again, in order, when the job runs. */
			p->end_rd = rd;
			if (rd != LSI_RD_EOF && !(p->end_msg = lsi_strdup(in->msg)))
				return part_undo(s, j, p);
			break;
		}
		if (pinning && n >= PIN_MIN && (pin = pin_piece(s, b, n))) {
			if (!seg_add(p, pin, b, 0, n)) {
				lsi_async_unpin(pin);
				return part_undo(s, j, p);
			}
			j->npins++;
			p->len += n;
			continue;
		}
		/* A large piece that could not be pinned comes from elsewhere
		 * (not a read-ahead block): so will the rest, room for all of it. */
		if (!reserve(j, pinning && n >= PIN_MIN && need > p->len + n ? need - p->len : n) ||
		    (pinning && !seg_add(p, NULL, NULL, j->len, n)))
			return part_undo(s, j, p);
		memcpy(j->data + j->len, b, n);
		j->len += n;
		p->len += n;
	}
	part_done(s, j);
	return LS_OK;
}

ls_status lsi_offload_submit_packed(ls_scanner *s, const struct lsi_packed *pk, int depth,
				    int64_t size_hint)
{
	struct lsi_job *j = job_for(s, pk->len, pk->len, depth);
	struct part *p = j ? part_add(j, s, size_hint) : NULL;

	if (!p || !reserve(j, pk->len))
		return part_undo(s, j, p);
	memcpy(j->data + j->len, pk->raw, pk->len);
	j->len += pk->len;
	p->len = pk->len;
	p->packed = true;
	p->pk = *pk;
	p->pk.raw = NULL;
	/* A job of its own that expands to a megabyte or more runs early. */
	j->first = j != s->offload->filling && size_hint >= (int64_t)FIRST_MIN;
	part_done(s, j);
	return LS_OK;
}

/* A copy of @b..@b+@n in a run of @p's own (for a streamed part), in a
 * spare copy buffer when it fits; under the pool's lock. */
static bool seg_copy(struct lsi_offload *o, struct part *p, const uint8_t *b, size_t n)
{
	uint8_t *c = n <= COPY_CAP && o->ncopy_spares ? o->copy_spares[--o->ncopy_spares]
						      : lsi_malloc(n <= COPY_CAP ? COPY_CAP : n);

	if (!c || !seg_add(p, NULL, c, 0, n)) {
		lsi_free(c);
		return false;
	}
	memcpy(c, b, n);
	p->segs[p->nsegs - 1].own = c;
	return true;
}

/*
 * Whether a @plain member of @size bytes gets a prescan, and where: from
 * @from on, starting SPLIT_OVERLAP before (every expression's match fits
 * in that, or there is none). Not with a max-size below the member's:
 * matches at the end of the bytes scanned would be the prescan's to find.
 */
static bool split_at(const ls_scanner *s, bool plain, int64_t size, uint64_t *from)
{
	int64_t max = s->param[LS_PARAM_MAX_FILE_BYTES];

	if (!plain || s->offload->nworkers < 2 || size < (int64_t)SPLIT_MIN ||
	    (max && size > max) || !lsi_hits_split_ok(s->rules->engine, SPLIT_OVERLAP))
		return false;
	*from = (uint64_t)size / 4 & ~(uint64_t)(SPLIT_OVERLAP - 1);
	return *from > SPLIT_OVERLAP;
}

/* Under the lock: piece @b..@n joins streamed part @p, in read-ahead block
 * @pin or (NULL) copied, and counts as queued; false when out of memory. */
static bool part_put(struct lsi_offload *o, struct part *p, struct lsi_apin *pin,
		     const uint8_t *b, size_t n)
{
	if (!(pin ? seg_add(p, pin, b, 0, n) : seg_copy(o, p, b, n)))
		return false;
	p->held += n;
	o->queued_bytes += n;
	return true;
}

/* The prescan job for member job @j, queued behind it; NULL without one. */
static struct lsi_job *prescan_job(ls_scanner *s, struct lsi_job *j, int depth, int64_t size,
				   uint64_t from)
{
	struct lsi_hits *h;
	struct lsi_job *q;
	struct part *qp;

	if (lsi_hits_new(from - SPLIT_OVERLAP, from, &h) != LS_OK)
		return NULL;
	q = job_for(s, SIZE_MAX, 1, depth);
	if (!q || !(qp = part_add(q, s, size - (int64_t)(from - SPLIT_OVERLAP)))) {
		(void)part_undo(s, q, NULL);
		lsi_hits_unref(h); /* both sides' references: neither side came to be */
		lsi_hits_unref(h);
		return NULL;
	}
	qp->streaming = qp->open = true;
	q->stream = true;
	q->prescan = h;
	j->hits = h;
	return q;
}

/*
 * Under the lock: the part of piece @b..@n at member offset @at that the
 * prescan reads (from its start on), pinned again or copied. A prescan
 * that has not begun while a queue share of bytes waits for it is given
 * up: the member's job scans alone.
 */
static void feed_prescan(ls_scanner *s, struct lsi_job *q, const uint8_t *b, size_t n,
			 uint64_t at, uint64_t base)
{
	struct lsi_offload *o = s->offload;
	struct part *qp = &q->parts[0];
	size_t skip = at < base ? (size_t)(base - at) : 0;
	struct lsi_apin *pin;

	if (!qp->open || qp->gone || at + n <= base)
		return;
	if (qp->held > QUEUE_BYTES && q->prescan && lsi_hits_skip(q->prescan)) {
		qp->open = false;
		pthread_cond_broadcast(&o->cv_stream);
		return;
	}
	b += skip;
	n -= skip;
	pin = n >= PIN_MIN ? pin_piece(s, b, n) : NULL;
	if (!part_put(o, qp, pin, b, n)) {
		lsi_async_unpin(pin);
		qp->end_rd = LSI_RD_NOMEM; /* it stops; the member's job reports it */
		qp->open = false;
	}
}

ls_status lsi_offload_submit_stream(ls_scanner *s, struct lsi_bstream *in, int depth,
				    int64_t size_hint, bool plain)
{
	struct lsi_offload *o = s->offload;
	/* A job of its own, queued at once: a worker scans the member while
	 * this thread goes on reading it, and then the members after it. */
	struct lsi_job *j = job_for(s, SIZE_MAX, 1, depth);
	struct part *p = j ? part_add(j, s, size_hint) : NULL;
	struct lsi_job *q = NULL;
	uint64_t at = 0, from = 0;
	ls_status st = LS_OK;

	if (!p)
		return part_undo(s, j, p);
	p->streaming = p->open = true;
	j->stream = true;
	if (split_at(s, plain, size_hint, &from))
		q = prescan_job(s, j, depth, size_hint, from);
	job_queue(s, j);
	if (q)
		job_queue(s, q);
	for (;;) {
		const uint8_t *b;
		size_t n;
		enum lsi_rd rd = lsi_bstream_read(in, &b, &n);
		struct lsi_apin *pin = NULL;
		bool added = false;

		if (rd == LSI_RD_OK && s->aborted)
			rd = LSI_RD_EOF; /* a replay before stopped the scan: no more */
		if (rd == LSI_RD_OK && n >= PIN_MIN)
			pin = pin_piece(s, b, n);
		pthread_mutex_lock(&o->mu);
		/*
		 * Bounded memory: the bytes handed over count in the queue's
		 * share, so that this thread may read far ahead of the runner
		 * and go on to the next members while it scans (on two cores
		 * the other worker sat idle through typescript.js); past the
		 * share, wait while the runner has enough to go on: until
		 * ROOM_SLACK more than this piece is free, or the runner has
		 * it all.
		 */
		if (rd == LSI_RD_OK && !p->gone && p->held && o->queued_bytes + n > o->max_bytes) {
			o->room_at = room_mark(o, n);
			while (!p->gone && p->held && o->queued_bytes > o->room_at)
				pthread_cond_wait(&o->cv_stream, &o->mu);
			o->room_at = NONE;
		}
		if (rd == LSI_RD_OK && !p->gone) {
			/* The prescan's copy first: the member's runner waits
			 * for it to have scanned what it reads. */
			if (q)
				feed_prescan(s, q, b, n, at, from - SPLIT_OVERLAP);
			added = part_put(o, p, pin, b, n);
			if (added) {
				at += n;
			} else {
				rd = LSI_RD_NOMEM;
				st = LS_ERR_NOMEM;
			}
		}
		if (rd != LSI_RD_OK || p->gone) {
			/* An error is met in order by the runner, as read here. */
			p->end_rd = rd == LSI_RD_OK ? LSI_RD_EOF : rd;
			if (rd != LSI_RD_EOF && rd != LSI_RD_OK && rd != LSI_RD_NOMEM)
				p->end_msg = lsi_strdup(in->msg);
			p->open = false;
			if (q && q->parts[0].open) {
				/* The prescan's bytes end where the member's do,
				 * at its end or where it was cut. */
				q->parts[0].end_rd = LSI_RD_EOF;
				q->parts[0].open = false;
			}
		}
		pthread_cond_broadcast(&o->cv_stream);
		if (!p->open) {
			pthread_mutex_unlock(&o->mu);
			if (!added)
				lsi_async_unpin(pin);
			break;
		}
		pthread_mutex_unlock(&o->mu);
	}
	return st;
}
