/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Member offload: with --threads 2 or more, members of known size up to
 * LSI_OFFLOAD_MAX_MEMBER (files in a tar, zip entries, with whatever they
 * contain: a source map's sources, a nested archive) are copied out and
 * scanned on worker threads while the caller's thread goes on parsing; a
 * member large enough to be a job of its own takes the read-ahead blocks
 * it lies in instead of a copy, where it can (lsi_async_pin). A worker
 * scans with a shadow scanner whose deliveries are
 * recorded, not ranked; the caller's thread replays the records in
 * submission order, ranking and calling back exactly as a scan on one
 * thread would. What the caller's thread itself delivers while jobs are
 * waiting is recorded as well and queued behind them, so output order
 * never depends on timing and the caller rarely waits.
 */
#ifndef LSI_OFFLOAD_H
#define LSI_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "container/bstream.h"
#include "container/container.h"
#include "core.h"
#include "engine/engine.h"

/* Members up to this size are offloaded whole; larger ones of plain bytes
 * stream to a worker (lsi_offload_submit_stream), the rest (archives,
 * compressed data) are read on the caller, their members offloaded. */
#define LSI_OFFLOAD_MAX_MEMBER (4u << 20)

struct lsi_offload;
struct lsi_job;

/*
 * Whether @s can offload now: more than one thread, not itself a shadow,
 * and the pool is there (created on first use; false if that fails).
 */
bool lsi_offload_ready(ls_scanner *s);
/*
 * Takes the member in @in (at nesting @depth, size @size_hint, read here
 * into a copy; @in is not closed) as a job at the current path. Findings
 * of earlier jobs may be replayed first to bound memory.
 */
ls_status lsi_offload_submit(ls_scanner *s, struct lsi_bstream *in, int depth,
			     int64_t size_hint);
/*
 * The same for a member too large to copy whole, its bytes plain (no
 * archive or compression inside, which would scan on the caller with
 * workers of their own) or a source map (whose sources are parsed out on
 * the worker): its job is queued first and a worker scans the
 * bytes as they are read here, pinned where they lie in read-ahead blocks
 * (counted in the queue's byte share while they wait), so inflating,
 * this thread's parsing and the member's scan overlap, and the members
 * after it are read and queued while it scans.
 */
ls_status lsi_offload_submit_stream(ls_scanner *s, struct lsi_bstream *in, int depth,
				    int64_t size_hint, bool plain);
/*
 * A @plain member of SPLIT_MIN bytes or more also shares its Hyperscan
 * pass: a second job (a prescan, lsi_hits) runs Hyperscan alone over its
 * later part on another worker, and the member's own job takes the hits
 * from there instead of finding them itself. Findings are the same.
 */
/*
 * The same for a member still encoded (a zip entry): the raw bytes are
 * copied and decoded on the worker, so members inflate in parallel.
 */
ls_status lsi_offload_submit_packed(ls_scanner *s, const struct lsi_packed *pk, int depth,
				    int64_t size_hint);
/*
 * While jobs wait, the caller's own deliveries are recorded too, into a
 * job that queues behind them; this returns it (NULL when out of memory).
 */
struct lsi_job *lsi_offload_caller_job(ls_scanner *s);
/*
 * Input-wide limits (timeout, expansion budget) are met by every thread
 * scanning that input and each notes its own crossing; the replay keeps
 * the first job, in submission order, that ended the input and drops the
 * jobs behind it, as one thread would not have scanned their members.
 */
/* Whether jobs wait to be replayed (and @s is not replaying them now). */
bool lsi_offload_pending(const ls_scanner *s);
/* Replays every job submitted so far, waiting for (or running) each. */
ls_status lsi_offload_drain(ls_scanner *s);
/* Stops the workers and frees the pool (no job may be pending). */
void lsi_offload_free(struct lsi_offload *o);

/*
 * In a shadow scanner (s->job set): records one delivery of pipeline.c's
 * deliver(). Returns non-zero when recording failed (out of memory).
 */
int lsi_offload_record(struct lsi_job *j, const ls_scanner *s, const char *rule_id,
		       const char *rule_name, ls_category cat, ls_severity base,
		       const struct lsi_hit *h, const char *message, const char *details_json,
		       const char *reason);

/* One recorded delivery, as replayed through lsi_pipeline_replay(). */
struct lsi_rec_view {
	const char *rule_id, *rule_name;
	ls_category cat;
	ls_severity base;
	const struct lsi_hit *h;      /* NULL for findings without a hit */
	const char *message, *details_json, *reason;
	const char *const *path;
	size_t path_count;
	int kind;
};

/* pipeline.c: delivers a replayed record on the caller's thread. */
int lsi_pipeline_replay(ls_scanner *s, const struct lsi_rec_view *v);
/* pipeline.c: scans one job's bytes in a shadow scanner, as a member. */
ls_status lsi_pipeline_scan_job(ls_scanner *shadow, struct lsi_bstream *in, int depth,
				int64_t size_hint);
/* pipeline.c: decodes and scans one packed job's bytes in a shadow scanner. */
ls_status lsi_pipeline_scan_packed(ls_scanner *shadow, const struct lsi_packed *pk, int depth,
				   int64_t size_hint);

#endif
