/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pipeline: the one place that turns pulled container and decoder
 * bytes into pushes to the engine. Each stream is sniffed by its first
 * bytes: a decoder wraps it, a container splits it into members (each
 * sniffed again, to --max-depth), anything else is data for the engine.
 * Damage and limits become findings and the scan goes on.
 */
#include <assert.h>
#include <fnmatch.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "container/container.h"
#include "container/pyc.h"
#include "core.h"
#include "dataobs.h"
#include "decode/decode.h"
#include "gitdir.h"
#include "offload.h"
#include "prefetch.h"
#include "rank/baseline.h"
#include "rank/rank.h"
#include "report/redact.h"
#include "util/alloc.h"
#include "util/buf.h"

extern const int64_t lsi_ratio_floor;

/* Blocks handed out of a decoded source map held in memory. */
#define MAP_BLOCK (64u * 1024u)

uint64_t lsi_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void lsi_scanner_set_error(ls_scanner *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
}

/*
 * An ignore entry's glob against the innermost member's name. A relative
 * name ("docs/a.md", scanning ".") is also matched as "/docs/a.md", so
 * that a glob of a star, then "/docs/", then a star means a docs folder
 * at any depth, the top one included.
 */
static bool glob_matches(const char *glob, const char *name)
{
	char rooted[4096];

	if (fnmatch(glob, name, 0) == 0)
		return true;
	if (name[0] == '/' || (size_t)snprintf(rooted, sizeof(rooted), "/%s", name) >= sizeof(rooted))
		return false;
	return fnmatch(glob, rooted, 0) == 0;
}

static bool is_ignored(const ls_scanner *s, const char *rule, const char *fp)
{
	const struct lsi_ruleset *rs = &s->rules->rs;
	char today[16];

	if (!rs->ignore_count)
		return false;
	lsi_today(today);
	for (size_t i = 0; i < rs->ignore_count; i++) {
		const struct lsi_ignore *ig = &rs->ignores[i];

		if (lsi_ignore_lapsed(ig, today))
			continue;
		if (ig->fingerprint && strcmp(ig->fingerprint, fp) != 0)
			continue;
		if (ig->rule && strcmp(ig->rule, rule) != 0)
			continue;
		if (ig->path_glob && !glob_matches(ig->path_glob, s->path_count ?
							     s->path[s->path_count - 1] : ""))
			continue;
		return true;
	}
	return false;
}

/*
 * The reason a container's analysis gave for its severity, while
 * report_member() delivers that finding (set and cleared around one call).
 */
static _Thread_local const char *analyzer_reason;

static void progress(ls_scanner *s);

/*
 * Appends @t with what changes from one release to the next folded away:
 * a run of digits becomes one 0 (versions, counts), a run of 8 or more
 * hex digits with a letter among them one # (content hashes in names,
 * layer digests).
 */
static void put_folded(struct lsi_buf *key, const char *t)
{
	while (*t) {
		size_t n = 0;
		bool digit = false, letter = false;

		while (isxdigit((unsigned char)t[n])) {
			if (isdigit((unsigned char)t[n]))
				digit = true;
			else
				letter = true;
			n++;
		}
		if (n >= 8 && digit && letter) {
			lsi_buf_putc(key, '#');
			t += n;
			continue;
		}
		if (isdigit((unsigned char)*t)) {
			while (isdigit((unsigned char)*t))
				t++;
			lsi_buf_putc(key, '0');
			continue;
		}
		lsi_buf_putc(key, *t++);
	}
}

/*
 * Findings without a secret of their own (a .env found by its name, a
 * source map, a .git folder, an unstripped binary) are the file, or what
 * it shows: their fingerprint is the rule, the place inside the artifact
 * (the input's name as typed left out, unless the input is the file
 * itself: then its path, without ./; for a file found in a directory its
 * path below the directory named) and
 * @message, folded (put_folded) so that
 * each keeps its baseline entry from one release to the next.
 */
static void place_fingerprint(const ls_scanner *s, const char *rule_id, const char *message,
			      char fp[LSI_FINGERPRINT_LEN + 1])
{
	struct lsi_buf key;

	lsi_buf_init(&key, 1 << 20);
	if (s->path_count == 1) {
		const char *p = s->path[0];

		if (s->walk_root && strlen(p) > s->walk_root)
			p += s->walk_root;
		while (p[0] == '.' && p[1] == '/')
			p += 2;
		put_folded(&key, p);
		lsi_buf_putc(&key, '\n');
	}
	for (size_t i = 1; i < s->path_count; i++) {
		put_folded(&key, s->path[i]);
		lsi_buf_putc(&key, '\n');
	}
	if (message)
		put_folded(&key, message);
	lsi_fingerprint(rule_id, lsi_buf_str(&key), key.len, fp);
	lsi_buf_fini(&key);
}

static bool is_note(const char *rule)
{
	return strcmp(rule, LS_NOTE_DAMAGE) == 0 || strcmp(rule, LS_NOTE_LIMIT) == 0;
}

/* Delivers one finding: rank, filter, redact, call back. */
static int deliver(ls_scanner *s, const char *rule_id, const char *rule_name,
		   ls_category cat, ls_severity base, const struct lsi_hit *h,
		   const char *message, const char *details_json)
{
	struct lsi_rank_in ri;
	struct lsi_rank_out ro;
	ls_finding f;
	char fp[LSI_FINGERPRINT_LEN + 1];
	struct lsi_buf match;
	bool show = s->param[LS_PARAM_SHOW_SECRETS] != 0;
	bool redact = h && h->captured && cat == LS_CAT_SECRET && !show;
	bool notice = false; /* below min severity: only to the notice callback */
	int rc;

	if (h && h->allowed)
		return 0; /* "leakscan:allow" on the match's line */
	if (s->job || lsi_offload_pending(s)) {
		/* A worker's shadow, or members went to workers before this:
		 * recorded, and ranked on the caller's thread in order. */
		struct lsi_job *j = s->job ? s->job : lsi_offload_caller_job(s);

		if (j && !lsi_offload_record(j, s, rule_id, rule_name, cat, base, h, message,
					     details_json, analyzer_reason))
			return 0;
		s->nomem = s->aborted = true;
		return 1;
	}
	/* A hit's fingerprint counts its repeats, before ranking; a finding
	 * without one needs its own only once it is kept. */
	if (h && h->line)
		lsi_fingerprint(rule_id, h->secret, h->secret_len, fp);
	else if (h)
		place_fingerprint(s, rule_id, NULL, fp);
	memset(&ri, 0, sizeof(ri));
	ri.base = base;
	ri.category = cat;
	ri.verdict = h ? (int)h->verdict : 0;
	ri.verdict_reason = h ? h->verdict_reason : "";
	ri.path = s->path;
	ri.path_count = s->path_count;
	if (h && h->line) {
		/* Content hits only (name hits have no line): the member's type
		 * is known once its first bytes were sniffed. */
		ri.kind = s->member_kind;
		ri.column = h->column;
		ri.captured = h->captured;
		ri.entropy = h->entropy;
		ri.secret_len = h->secret_len;
		ri.example_context = h->example_context;
		ri.loopback = h->loopback;
		ri.in_comment = h->in_comment;
	}
	if (h)
		ri.repeat = lsi_fpcount_bump(&s->repeats, fp);
	lsi_rank(&ri, &ro);
	if (!h && analyzer_reason && ro.reasons_count < LSI_MAX_REASONS)
		ro.reasons[ro.reasons_count++] = analyzer_reason;
	if (h && h->allow_typo && ro.reasons_count < LSI_MAX_REASONS)
		ro.reasons[ro.reasons_count++] =
			"leakscan:allow on this line misspells this rule's id, so it allows nothing";
	if ((int64_t)ro.severity < s->param[LS_PARAM_MIN_SEVERITY]) {
		if (h || !s->notice_fn || !is_note(rule_id)) {
			/* Counted, so that a summary can say what it does not show:
			 * low and up (info is hidden by default, by design; damage
			 * and limits have counts of their own). */
			if (ro.severity >= LS_SEV_LOW && !is_note(rule_id)) {
				if (!h)
					place_fingerprint(s, rule_id, message, fp);
				if (!is_ignored(s, rule_id, fp))
					s->stats.below_min++;
			}
			return 0;
		}
		notice = true;
	}
	if (!h)
		place_fingerprint(s, rule_id, message, fp);
	if (is_ignored(s, rule_id, fp))
		return 0;
	memset(&f, 0, sizeof(f));
	f.rule = rule_id;
	f.rule_name = rule_name;
	f.category = cat;
	f.severity = ro.severity;
	f.score = ro.score;
	f.path = s->path;
	f.path_count = s->path_count;
	f.fingerprint = fp;
	f.reasons = ro.reasons;
	f.reasons_count = ro.reasons_count;
	f.message = message;
	f.details_json = details_json;
	lsi_buf_init(&match, 4 * LSI_MATCH_MAX);
	if (h) {
		size_t shown = h->match_len;

		f.offset = h->start;
		f.line = h->line;
		f.column = h->column;
		/* A pattern ending at the line's end takes the newline with it:
		 * not worth showing (the secret itself is never cut). */
		while (shown > h->secret_off + h->secret_len &&
		       (h->match[shown - 1] == '\n' || h->match[shown - 1] == '\r'))
			shown--;
		if (!lsi_redact(&match, (const char *)h->match, shown, h->secret_off,
				h->secret_len, redact)) {
			/* Never drop a finding silently: fail the scan instead. */
			lsi_buf_fini(&match);
			s->nomem = true;
			s->aborted = true;
			return 1;
		}
		f.match = lsi_buf_str(&match);
		f.match_len = match.len;
		if (show && h->captured) {
			f.secret = (const char *)h->secret;
			f.secret_len = h->secret_len;
		}
	}
	if (notice) {
		s->notice_fn(&f, s->notice_user);
		lsi_buf_fini(&match);
		return 0;
	}
	s->stats.findings++;
	rc = s->fn ? s->fn(&f, s->user) : 0;
	lsi_buf_fini(&match);
	if (rc)
		s->aborted = true;
	return rc;
}

int lsi_pipeline_replay(ls_scanner *s, const struct lsi_rec_view *v)
{
	const char *saved[LSI_MAX_PATH_DEPTH];
	size_t saved_count = s->path_count, n = v->path_count;
	int saved_kind = s->member_kind, rc;
	const char *saved_reason = analyzer_reason; /* a barrier inside report_member() */

	if (n > LSI_MAX_PATH_DEPTH)
		n = LSI_MAX_PATH_DEPTH;
	memcpy(saved, s->path, saved_count * sizeof(*saved));
	memcpy(s->path, v->path, n * sizeof(*s->path));
	s->path_count = n;
	s->member_kind = v->kind;
	analyzer_reason = v->reason;
	rc = deliver(s, v->rule_id, v->rule_name, v->cat, v->base, v->h, v->message,
		     v->details_json);
	analyzer_reason = saved_reason;
	memcpy(s->path, saved, saved_count * sizeof(*saved));
	s->path_count = saved_count;
	s->member_kind = saved_kind;
	progress(s);
	return rc;
}

void lsi_pipeline_note(ls_scanner *s, const char *rule, const char *name, ls_category cat,
		       const char *message)
{
	if (strcmp(rule, LS_NOTE_LIMIT) == 0) {
		s->stats.limits++;
	} else if (strcmp(rule, LS_NOTE_DAMAGE) == 0) {
		s->stats.damaged++;
		/* The first damage, for ls_scanner_last_error() should the input
		 * turn out unreadable as a whole (end() in api_scanner.c). */
		if (!s->error[0]) {
			size_t n = 0;

			for (size_t i = 0; i < s->path_count && n < sizeof(s->error) - 1; i++)
				n += (size_t)snprintf(s->error + n, sizeof(s->error) - n, "%s%s",
						      i ? "!" : "", s->path[i]);
			if (n < sizeof(s->error) - 1)
				snprintf(s->error + n, sizeof(s->error) - n, ": %s",
					 message ? message : "could not be read");
		}
	}
	deliver(s, rule, name, cat, LS_SEV_INFO, NULL, message, NULL);
}

static void note_limit(ls_scanner *s, const char *msg)
{
	lsi_pipeline_note(s, LS_NOTE_LIMIT, "A scan limit was reached", LS_CAT_DEBUG_INFO, msg);
}

static void note_damage(ls_scanner *s, const char *msg)
{
	lsi_pipeline_note(s, LS_NOTE_DAMAGE, "Member could not be read",
			  LS_CAT_DEBUG_INFO, msg);
}

static int on_hit(const struct lsi_hit *h, void *user)
{
	ls_scanner *s = user;
	const struct lsi_rule *r = &s->rules->rs.rules[h->rule];
	struct lsi_rulecount *rc = &s->rulecount[h->rule];

	/* The config's own markers and domains, in the config file itself
	 * (scanning the project it sits in): they only find themselves. */
	if (s->in_own_config && r->generated)
		return 0;

	/* A minified bundle full of console.log must not flood the report:
	 * past the cap a rule's matches in this member are only counted. */
	if (rc->seq != s->member_seq) {
		rc->seq = s->member_seq;
		rc->count = rc->dropped = 0;
	}
	if ((int64_t)rc->count >= s->param[LS_PARAM_MAX_PER_RULE]) {
		if (rc->dropped++ == 0 && !rc->listed) {
			if (s->ndrops < LSI_DROPS_LISTED) {
				s->drops[s->ndrops++] = h->rule;
				rc->listed = true;
			} else {
				s->drops_overflow = true;
			}
		}
		/* Only counted from now on: the engine spares the rest their
		 * line work (a bundle of "debugger;" has a hit every 9 bytes). */
		return LSI_HIT_MUTE;
	}
	rc->count++;
	return deliver(s, r->id, r->name, r->category, r->severity, h, NULL, NULL);
}

static void note_dropped_rule(ls_scanner *s, size_t i)
{
	struct lsi_rulecount *rc = &s->rulecount[i];
	char msg[256];

	if (rc->seq != s->member_seq || !rc->dropped)
		return;
	snprintf(msg, sizeof(msg), "max-findings-per-rule: %u more matches of %s in this "
		 "member were not reported (the first %" PRId64 " were)", rc->dropped,
		 s->rules->rs.rules[i].id, s->param[LS_PARAM_MAX_PER_RULE]);
	rc->dropped = 0;
	/* Every byte was scanned, only findings were folded: a limit-reached
	 * finding, but the input is not partial (stats.limits is not raised). */
	deliver(s, LS_NOTE_LIMIT, "A scan limit was reached", LS_CAT_DEBUG_INFO, LS_SEV_INFO,
		NULL, msg, NULL);
}

static int by_index(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* One limit finding per rule whose matches in this member passed the cap,
 * in rule order. */
static void note_dropped(ls_scanner *s)
{
	unsigned keep = 0;

	if (s->drops_overflow) {
		/* Rare (more rules capped at once than the list holds): from
		 * then on every rule is looked at, which misses none. */
		for (size_t i = 0; i < s->rules->rs.count; i++)
			note_dropped_rule(s, i);
		return;
	}
	if (!s->ndrops)
		return;
	qsort(s->drops, s->ndrops, sizeof(*s->drops), by_index);
	for (unsigned k = 0; k < s->ndrops; k++) {
		struct lsi_rulecount *rc = &s->rulecount[s->drops[k]];

		note_dropped_rule(s, s->drops[k]);
		/* Still waiting: an outer member's drops, said when it ends. */
		if (rc->dropped && rc->seq != s->member_seq)
			s->drops[keep++] = s->drops[k];
		else
			rc->listed = false;
	}
	s->ndrops = keep;
}

int lsi_pipeline_hit(ls_scanner *s, const struct lsi_hit *h)
{
	return on_hit(h, s);
}

/*
 * Input-wide expansion: past the ratio floor, more than max-ratio times
 * the input's own size as a whole (recursive bombs such as 42.zip keep
 * each stream under the ratio). It stops the rest of the input, as
 * crossing max-total-bytes does (note_rd), since every further stream
 * would fail the same way.
 */
static bool over_budget(ls_scanner *s)
{
	uint64_t total = __atomic_load_n(s->total, __ATOMIC_RELAXED) - s->input_total0;
	uint64_t ratio = (uint64_t)s->param[LS_PARAM_MAX_RATIO];

	if (s->input_stop)
		return true;
	if (ratio && s->input_size > 0 && total > (uint64_t)lsi_ratio_floor &&
	    total / (uint64_t)s->input_size > ratio) {
		char msg[256];

		/* The bound crossed, not the count: with threads, how far past
		 * it the count got depends on timing. */
		uint64_t bound = (uint64_t)s->input_size > UINT64_MAX / ratio
					 ? UINT64_MAX
					 : ratio * (uint64_t)s->input_size;

		if (bound < (uint64_t)lsi_ratio_floor)
			bound = (uint64_t)lsi_ratio_floor;
		snprintf(msg, sizeof(msg), "max-ratio: this input expands more than %" PRIu64
			 ":1 as a whole (over %" PRIu64 " bytes from %" PRId64 "); the rest of it "
			 "was not scanned", ratio, bound, s->input_size);
		note_limit(s, msg);
		s->input_stop = true;
	}
	return s->input_stop;
}

static bool past_deadline(ls_scanner *s)
{
	if (over_budget(s))
		return true;
	if (!s->deadline_ms || s->timed_out)
		return s->timed_out;
	if (lsi_now_ms() > s->deadline_ms) {
		char msg[128];

		s->timed_out = true;
		snprintf(msg, sizeof(msg), "timeout: scanning this input took over %" PRId64 " ms",
			 s->param[LS_PARAM_TIMEOUT_MS]);
		note_limit(s, msg);
	}
	return s->timed_out;
}

static void path_push(ls_scanner *s, const char *name)
{
	/* Depth is capped by LS_PARAM_MAX_DEPTH (<= 64), far below the array. */
	assert(s->path_count < LSI_MAX_PATH_DEPTH);
	s->path[s->path_count++] = name;
}

/* Reports a stream outcome that is not OK/EOF. */
static void note_rd(ls_scanner *s, enum lsi_rd st, const char *msg)
{
	if (st == LSI_RD_LIMIT && msg && strcmp(msg, LSI_TIMEOUT_MSG) == 0) {
		/* A stalled pipe ran into the deadline: the input's timeout. */
		if (s->deadline_ms)
			s->deadline_ms = 1;
		past_deadline(s);
		return;
	}
	if (st == LSI_RD_LIMIT) {
		note_limit(s, msg);
		/* Past the input's byte budget every further stream fails too. */
		if (msg && strncmp(msg, "max-total-bytes", 15) == 0)
			s->input_stop = true;
	} else if (st == LSI_RD_NOMEM)
		note_damage(s, "out of memory while reading this member");
	else
		note_damage(s, msg && *msg ? msg : "read error");
}

/* Progress: one call per progress_every bytes or 1,024 members. */
static void progress(ls_scanner *s)
{
	if (!s->progress || (s->stats.bytes_scanned < s->progress_bytes &&
			     s->stats.members < s->progress_members))
		return;
	s->progress_bytes = s->stats.bytes_scanned + s->progress_every;
	s->progress_members = s->stats.members + 1024;
	s->progress(&s->stats, s->path, s->path_count, s->progress_user);
}

/* Feeds a data stream to the engine. */
static ls_status scan_data(ls_scanner *s, struct lsi_bstream *in, int depth, int64_t size_hint)
{
	struct lsi_mstream *ms;
	struct lsi_dataobs *ob;
	ls_status st = lsi_dataobs_open(s, depth, &ob);
	uint64_t max = (uint64_t)s->param[LS_PARAM_MAX_FILE_BYTES], done = 0;
	uint64_t outer_seq = s->member_seq;

	if (st != LS_OK)
		return st;
	/* A fresh identity for this member's per-rule counts; nested data
	 * (decoded blobs) gets its own and the outer one is restored after. */
	s->member_seq = ++s->member_seq_next;
	/* Hits pass the observers: a binary's build paths are tallied there. */
	if ((st = lsi_mstream_open(s->matcher, lsi_dataobs_hit, ob, &ms)) != LS_OK) {
		lsi_dataobs_close(ob);
		s->member_seq = outer_seq;
		return st;
	}
	/* The job's member itself, read as it is: its Hyperscan pass is
	 * shared with a prescan on another worker. */
	if (s->split_hits && depth == s->split_depth && size_hint == s->split_len) {
		lsi_mstream_take_hits(ms, s->split_hits);
		s->split_hits = NULL;
	}
	s->stats.members++;
	progress(s);
	for (;;) {
		const uint8_t *b;
		size_t n;
		enum lsi_rd rd;
		bool last;

		if (past_deadline(s))
			break;
		rd = lsi_bstream_read(in, &b, &n);
		if (rd == LSI_RD_EOF)
			break;
		if (rd != LSI_RD_OK) {
			/* Findings up to the damage first, then the damage. */
			st = lsi_mstream_close(ms);
			ms = NULL;
			note_rd(s, rd, in->msg);
			if (rd == LSI_RD_LIMIT && size_hint > 0 && (uint64_t)size_hint > done)
				s->stats.bytes_skipped += (uint64_t)size_hint - done;
			break;
		}
		if (max && done + n > max) {
			char msg[160];

			n = (size_t)(max - done);
			lsi_dataobs_feed(ob, b, n);
			st = lsi_mstream_push(ms, b, n, true);
			lsi_mstream_close(ms);
			ms = NULL;
			if (size_hint > 0 && (uint64_t)size_hint > max) {
				snprintf(msg, sizeof(msg),
					 "max-size: only the first %" PRIu64 " of %" PRId64
					 " bytes were scanned", max, size_hint);
				s->stats.bytes_skipped += (uint64_t)size_hint - max;
			} else {
				snprintf(msg, sizeof(msg),
					 "max-size: only the first %" PRIu64 " bytes were scanned", max);
			}
			note_limit(s, msg);
			s->stats.bytes_scanned += n;
			break;
		}
		done += n;
		s->stats.bytes_scanned += n;
		last = size_hint >= 0 && done == (uint64_t)size_hint;
		lsi_dataobs_feed(ob, b, n);
		st = lsi_mstream_push(ms, b, n, last);
		progress(s);
		if (st != LS_OK)
			break;
		if (last) {
			/* At the declared size: one more read, for damage found at
			 * the end (a zip member's CRC), which the sniffer may have
			 * read ahead of us. Any further bytes are the container's
			 * to judge. */
			rd = lsi_bstream_read(in, &b, &n);
			if (rd != LSI_RD_OK && rd != LSI_RD_EOF) {
				st = lsi_mstream_close(ms);
				ms = NULL;
				note_rd(s, rd, in->msg);
			}
			break;
		}
	}
	if (ms) {
		ls_status cst = lsi_mstream_close(ms);

		if (st == LS_OK)
			st = cst;
	}
	{
		/* After the engine stream: its last hits may belong to the binary. */
		ls_status ost = lsi_dataobs_finish(ob);

		if (st == LS_OK)
			st = ost;
	}
	note_dropped(s);
	{
		/* Maps decoded from base64 are members of their own: after this
		 * member's per-rule counts, which their scans would reset. */
		ls_status mst = lsi_dataobs_close(ob);

		if (st == LS_OK)
			st = mst;
	}
	s->member_seq = outer_seq;
	if (st == LS_ERR_ABORTED || s->aborted)
		return LS_ERR_ABORTED;
	return st;
}

static ls_status scan_stream(ls_scanner *s, struct lsi_bstream *in, int depth, int64_t size_hint);

static int on_path_hit(const struct lsi_hit *h, void *user)
{
	ls_scanner *s = user;
	const struct lsi_rule *r = &s->rules->rs.rules[h->rule];
	struct lsi_hit copy = *h;

	copy.line = copy.column = 0;
	return deliver(s, r->id, r->name, r->category, r->severity, &copy, NULL, NULL);
}

/* Runs path rules on the innermost path element. */
static ls_status check_name(ls_scanner *s)
{
	const char *n = s->path[s->path_count - 1];
	const char *base = strrchr(n, '/');

	/* An image layer's whiteout (.wh..env) marks a deletion: an empty
	 * file standing for no file (image_layers.c reads what it deleted). */
	if (strncmp(base ? base + 1 : n, ".wh.", 4) == 0)
		return LS_OK;

	if (lsi_engine_match_path(s->rules->engine, s->matcher, n, strlen(n), on_path_hit, s))
		return LS_ERR_ABORTED;
	return LS_OK;
}

ls_status lsi_pipeline_analyzer(ls_scanner *s, const char *rule, int severity, const char *name,
				const char *message, const char *details_json)
{
	const struct lsi_rule *r = rule ? lsi_ruleset_find((struct lsi_ruleset *)&s->rules->rs, rule)
					: NULL;
	int rc;

	if (!r || r->disabled)
		return LS_OK; /* disabled by config, or a user rule set without it */
	if (name && s->path_count >= LSI_MAX_PATH_DEPTH)
		return LS_OK;
	if (name)
		path_push(s, name);
	rc = deliver(s, r->id, r->name, r->category,
		     severity >= 0 ? (ls_severity)severity : r->severity, NULL, message,
		     details_json);
	if (name)
		s->path_count--;
	return rc ? LS_ERR_ABORTED : LS_OK;
}

/* A finding produced by a container's own analysis (LSI_M_REPORT). */
static ls_status report_member(ls_scanner *s, const struct lsi_member *m)
{
	char *name = NULL;
	ls_status st;

	if (m->name_len && !(name = lsi_strndup(m->name, m->name_len)))
		return LS_ERR_NOMEM;
	analyzer_reason = m->report_reason;
	st = lsi_pipeline_analyzer(s, m->report_rule, m->report_severity, name, m->message,
				   m->details_json);
	analyzer_reason = NULL;
	lsi_free(name);
	return st;
}

struct lsi_guard lsi_pipeline_guard(ls_scanner *s)
{
	struct lsi_guard g = {
		(uint64_t)s->param[LS_PARAM_MAX_RATIO], (uint64_t)lsi_ratio_floor,
		s->total, (uint64_t)s->param[LS_PARAM_MAX_TOTAL_BYTES],
		/* Workers scan with one thread (their shadows say so). */
		(unsigned)s->param[LS_PARAM_THREADS], 0,
	};

	return g;
}

/* Whether a member of @size_hint bytes at @depth goes to a worker thread. */
static bool offloadable(ls_scanner *s, int depth, int64_t size_hint)
{
	return depth > 0 && size_hint >= 0 && size_hint <= (int64_t)LSI_OFFLOAD_MAX_MEMBER &&
	       !s->input_stop && !s->timed_out && lsi_offload_ready(s);
}

/* Whether a larger member, of plain bytes, streams to a worker thread. */
static bool streamable(ls_scanner *s, int depth, int64_t size_hint)
{
	return depth > 0 && size_hint > (int64_t)LSI_OFFLOAD_MAX_MEMBER && !s->input_stop &&
	       !s->timed_out && lsi_offload_ready(s);
}

/* Bytes past a container's end read to check the trailer of the layer
 * around it; more than this (data hidden after a tar's end) is left. */
#define TRAILER_MAX (16u << 20)

/*
 * After a container's last member: the rest of its stream (a tar's
 * padding, then the end of a compressed layer), read so that damage at
 * the very end (a gzip checksum, a cut trailer) is reported too.
 */
static void check_trailer(ls_scanner *s, struct lsi_bstream *in)
{
	uint64_t seen = 0;

	while (seen < TRAILER_MAX && !past_deadline(s)) {
		const uint8_t *b;
		size_t n;
		enum lsi_rd rd = lsi_bstream_read(in, &b, &n);

		if (rd == LSI_RD_EOF)
			return;
		if (rd != LSI_RD_OK) {
			note_rd(s, rd, in->msg);
			return;
		}
		seen += n;
	}
}

static ls_status scan_container(ls_scanner *s, const struct lsi_container_ops *ops,
				struct lsi_bstream *in, int depth)
{
	struct lsi_guard g = lsi_pipeline_guard(s);
	struct lsi_climits lim = {
		(uint64_t)s->param[LS_PARAM_MAX_MEMBERS],
		(uint64_t)s->param[LS_PARAM_MAX_MEMBER_BYTES],
		&g, &s->mem_held,
	};
	void *c = ops->open(in, &lim);
	ls_status st = LS_OK;
	struct lsi_gitdir *git = NULL; /* .git folders among the members */
	bool ended = false;

	if (!c)
		return LS_ERR_NOMEM;
	while (st == LS_OK && !past_deadline(s)) {
		struct lsi_member m;
		char msg[LSI_MSG_LEN] = "";
		enum lsi_rd rd = ops->next(c, &m, msg);
		const struct lsi_container_ops *open_as = NULL; /* chosen by name (git packs) */
		struct lsi_bstream *given;
		char *name;

		if (rd == LSI_RD_EOF) {
			ended = true;
			break;
		}
		if (rd != LSI_RD_OK) {
			note_rd(s, rd, msg);
			if (rd == LSI_RD_NOMEM)
				st = LS_ERR_NOMEM;
			if (rd == LSI_RD_LIMIT || rd == LSI_RD_IO)
				break;
			continue;
		}
		if (m.type == LSI_M_REPORT) {
			st = report_member(s, &m);
			continue;
		}
		/* A copy: NUL bytes inside stored names would cut the label short. */
		name = lsi_strndup(m.name_len ? m.name : "", m.name_len);
		if (!name) {
			st = LS_ERR_NOMEM;
			break;
		}
		for (size_t i = 0; i < m.name_len; i++)
			if (!name[i])
				name[i] = '?';
		path_push(s, name);
		given = m.data;
		/* A link holds no bytes of its own: an id_rsa that points
		 * elsewhere is no key. */
		st = m.type == LSI_M_SYMLINK || m.type == LSI_M_HARDLINK ? LS_OK : check_name(s);
		if (st == LS_OK) {
			/* May swap in a decoded loose object or a watching stream. */
			st = lsi_gitdir_member(s, &git, name, m.type == LSI_M_FILE && m.data, m.size,
					       &m.data, &m.size, &open_as);
			if (st != LS_OK)
				lsi_bstream_close(m.data);
		}
		if (st == LS_OK && m.type == LSI_M_FILE && m.data) {
			if (m.size >= 0 && s->param[LS_PARAM_MAX_FILE_BYTES] &&
			    m.size > s->param[LS_PARAM_MAX_FILE_BYTES]) {
				char lm[160];

				snprintf(lm, sizeof(lm), "max-size: member of %" PRId64
					 " bytes not scanned (limit %" PRId64 ")", m.size,
					 s->param[LS_PARAM_MAX_FILE_BYTES]);
				note_limit(s, lm);
				s->stats.bytes_skipped += (uint64_t)m.size;
				lsi_bstream_close(m.data); /* a gitdir wrapper, or a no-op */
			} else if (open_as && depth + 1 < s->param[LS_PARAM_MAX_DEPTH]) {
				st = scan_container(s, open_as, m.data, depth + 1);
			} else if (m.packed && m.data == given && m.size >= 0 &&
				   offloadable(s, depth + 1, (int64_t)m.packed->len)) {
				/* Decoded on a worker too: zip entries inflate in
				 * parallel. Only the encoded bytes are copied, so
				 * their size is what counts. */
				st = lsi_offload_submit_packed(s, m.packed, depth + 1, m.size);
				lsi_bstream_close(m.data);
			} else {
				st = scan_stream(s, m.data, depth + 1, m.size);
			}
		}
		s->path_count--;
		lsi_free(name);
	}
	if (st == LS_OK)
		st = lsi_gitdir_flush(s, git);
	lsi_gitdir_free(git);
	/* Not when a read of @in already failed (that was said, and a failed
	 * stream may say it again). */
	if (st == LS_OK && ended && !s->aborted && !in->msg[0])
		check_trailer(s, in);
	ops->close(c);
	return st;
}

/*
 * The archive or compression suffix of an input's name (".tgz", ".zip",
 * ...), or NULL: an input so named whose bytes are none of these is most
 * likely a failed download or build (an error page, an empty file).
 */
static const char *promised_archive(const char *name)
{
	static const char *const exts[] = {
		".tar.gz", ".tgz", ".gz", ".tar", ".zip", ".jar", ".war", ".ear", ".aar",
		".apk", ".whl", ".nupkg", ".vsix", ".deb", ".rpm", ".xz", ".txz", ".bz2",
		".tbz2", ".zst", ".7z",
	};
	size_t len = strlen(name);

	for (size_t i = 0; i < sizeof(exts) / sizeof(*exts); i++) {
		size_t n = strlen(exts[i]);

		if (len > n && strcasecmp(name + len - n, exts[i]) == 0)
			return exts[i];
	}
	return NULL;
}

/*
 * Scans the decoded stream @in (taken; NULL when out of memory), which
 * reads the read-ahead stream @ring: jobs may pin @ring's blocks while it
 * is being read.
 */
static ls_status scan_read_ahead(ls_scanner *s, struct lsi_bstream *ring,
				 struct lsi_bstream *in, int depth)
{
	bool listed;
	ls_status st;

	if (!in)
		return LS_ERR_NOMEM;
	listed = lsi_rings_push(s, ring);
	st = scan_stream(s, in, depth + 1, -1);
	lsi_rings_pop(s, listed);
	return st;
}

/*
 * Sniffs @in and dispatches. Takes ownership of @in except for borrowed
 * member streams, whose close is a no-op.
 */
static ls_status scan_stream(ls_scanner *s, struct lsi_bstream *in, int depth, int64_t size_hint)
{
	const uint8_t *head;
	size_t head_len;
	enum lsi_rd rd;
	const struct lsi_decoder_ops *dec;
	const struct lsi_container_ops *cont;
	ls_status st;
	struct lsi_bstream *p;

	/* A member of known, modest size goes whole to a worker thread, with
	 * everything inside it (a map's sources, a nested archive). */
	if (offloadable(s, depth, size_hint)) {
		st = lsi_offload_submit(s, in, depth, size_hint);
		lsi_bstream_close(in);
		return st;
	}
	if (!(p = lsi_bstream_peek(in, LSI_SNIFF_LEN, &head, &head_len, &rd)))
		return LS_ERR_NOMEM;
	if (rd != LSI_RD_OK && head_len == 0) {
		note_rd(s, rd, p->msg);
		lsi_bstream_close(p);
		return rd == LSI_RD_NOMEM ? LS_ERR_NOMEM : LS_OK;
	}
	dec = lsi_decoder_sniff(head, head_len);
	cont = dec ? NULL : lsi_container_sniff(head, head_len);
	if ((dec || cont) && depth >= s->param[LS_PARAM_MAX_DEPTH]) {
		char msg[200];

		snprintf(msg, sizeof(msg), "max-depth: %s nested deeper than %" PRId64 " %s not opened%s",
			 dec ? dec->name : cont->name, s->param[LS_PARAM_MAX_DEPTH],
			 s->param[LS_PARAM_MAX_DEPTH] == 1 ? "level" : "levels",
			 cont && cont->stored ? "; scanned as text" : "");
		note_limit(s, msg);
		if (cont && cont->stored) {
			/* Its members' bytes are readable as they are: a secret
			 * in them is still found, on the container's path. */
			s->member_kind = lsi_member_kind(s->path[s->path_count - 1], head, head_len);
			st = scan_data(s, p, depth, size_hint);
			lsi_bstream_close(p);
			return st;
		}
		if (size_hint > 0)
			s->stats.bytes_skipped += (uint64_t)size_hint;
		lsi_bstream_close(p);
		return LS_OK;
	}
	if (dec) {
		struct lsi_guard g = lsi_pipeline_guard(s);
		struct lsi_bstream *d;

		g.in_size = size_hint > 0 ? (uint64_t)size_hint : 0;
		/* The input's own compression, of known size: its ratio is the
		 * input's as a whole, judged once where the bytes are scanned
		 * (over_budget), on whichever thread, not also here. */
		if (depth == 0 && s->input_size > 0 && g.in_size == (uint64_t)s->input_size)
			g.max_ratio = 0;
		/* The file's own decoding, already under way since before the
		 * scan began (ls_prefetch_start): its blocks are read here with
		 * this scan's limits. */
		if (depth == 0 && s->prefetch_here && s->param[LS_PARAM_THREADS] > 1 &&
		    (d = lsi_prefetch_take(s->prefetch, dec)) != NULL) {
			lsi_bstream_close(p);
			s->prefetch_taken++;
			return scan_read_ahead(s, d, lsi_bstream_guarded(d, &g), depth);
		}
		d = dec->open(p, &g);

		if (!d)
			return LS_ERR_NOMEM;
		/* Decode ahead on a thread of its own: the outermost layer, or a
		 * member too large to go whole to a worker (a .deb's data.tar.xz).
		 * Workers scan with one thread and never get here. */
		if (s->param[LS_PARAM_THREADS] > 1) {
			d = lsi_bstream_async(d, dec->read_into);
			return scan_read_ahead(s, d, d, depth);
		}
		return scan_stream(s, d, depth + 1, -1);
	}
	if (cont == &lsi_container_sourcemap && streamable(s, depth, size_hint)) {
		/* A large map goes to a worker as it streams, parsing and all:
		 * its sources, of unknown size, could not be offloaded one by
		 * one, and decoding and scanning them here stalled this thread,
		 * the read-ahead behind it and the other workers. */
		st = lsi_offload_submit_stream(s, p, depth, size_hint, false);
		lsi_bstream_close(p);
		return st;
	}
	if (cont) {
		/* The container owns p from here. */
		return scan_container(s, cont, p, depth);
	}
	if (depth == 0 && s->input_named) {
		const char *ext = promised_archive(s->path[0]);
		char msg[160];

		/* Said as damage: the archive the name promises was not read. */
		if (ext && head_len == 0)
			snprintf(msg, sizeof(msg), "empty file, though named like a %s archive", ext);
		else if (ext)
			snprintf(msg, sizeof(msg),
				 "named like a %s archive, but no archive or compression this "
				 "scanner reads begins it; scanned as plain data", ext);
		if (ext)
			note_damage(s, msg);
	}
	if (streamable(s, depth, size_hint)) {
		st = lsi_offload_submit_stream(s, p, depth, size_hint, true);
		lsi_bstream_close(p);
		return st;
	}
	if (lsi_pyc_sniff(s->path[s->path_count - 1], head, head_len)) {
		/* Python bytecode: its string constants, a line each. */
		struct lsi_bstream *strings =
			lsi_pyc_strings(p, (size_t)s->param[LS_PARAM_MAX_MEMBER_BYTES]);

		if (!strings)
			return LS_ERR_NOMEM;
		s->member_kind = LSI_MK_BINARY;
		st = scan_data(s, strings, depth, -1);
		lsi_bstream_close(strings);
		return st;
	}
	s->member_kind = lsi_member_kind(s->path[s->path_count - 1], head, head_len);
	st = scan_data(s, p, depth, size_hint);
	lsi_bstream_close(p);
	return st;
}

ls_status lsi_pipeline_scan_job(ls_scanner *shadow, struct lsi_bstream *in, int depth,
				int64_t size_hint)
{
	return scan_stream(shadow, in, depth, size_hint);
}

ls_status lsi_pipeline_scan_packed(ls_scanner *shadow, const struct lsi_packed *pk, int depth,
				   int64_t size_hint)
{
	/* The guard outlives the stream: scan_stream closes it. */
	struct lsi_guard g = lsi_pipeline_guard(shadow);
	struct lsi_bstream *in;

	g.in_size = pk->len;
	in = pk->open(pk->raw, pk->len, pk->recipe, &g);

	if (!in)
		return LS_ERR_NOMEM;
	return scan_stream(shadow, in, depth, size_hint);
}

ls_status lsi_pipeline_scan_sourcemap(ls_scanner *s, const uint8_t *map, size_t len, int depth)
{
	struct lsi_bstream *in = lsi_bstream_mem(map, len, MAP_BLOCK);
	int kind = s->member_kind;
	ls_status st;

	if (!in)
		return LS_ERR_NOMEM;
	st = scan_container(s, &lsi_container_sourcemap, in, depth);
	/* Its sources set their own kind; the enclosing member's is back. */
	s->member_kind = kind;
	return st;
}

ls_status lsi_pipeline_scan_stream(ls_scanner *s, struct lsi_bstream *in, const char *label,
				   int64_t size_hint)
{
	ls_status st;
	const struct lsi_container_ops *open_as = NULL; /* chosen by name (git packs) */

	s->path_count = 0;
	s->input_seq++;
	s->input_size = size_hint;
	s->input_total0 = __atomic_load_n(s->total, __ATOMIC_RELAXED);
	s->input_stop = false;
	s->mem_held = 0;
	/* A directory walk is sorted: a file outside the .git folder seen so
	 * far means that folder is complete. */
	st = lsi_gitdir_flush_unless_under(s, s->gitdir, label);
	path_push(s, label);
	if (st == LS_OK)
		st = check_name(s);
	if (st == LS_OK)
		st = lsi_gitdir_member(s, &s->gitdir, label, true, size_hint, &in, &size_hint,
				       &open_as);
	if (st == LS_OK && open_as)
		st = scan_container(s, open_as, in, 0);
	else if (st == LS_OK)
		st = scan_stream(s, in, 0, size_hint);
	else
		lsi_bstream_close(in);
	/* The input's findings are all out before the call returns. */
	if (lsi_offload_drain(s) == LS_ERR_NOMEM && st == LS_OK)
		st = LS_ERR_NOMEM;
	s->path_count = 0;
	if (s->nomem)
		return LS_ERR_NOMEM;
	if (s->aborted)
		return LS_ERR_ABORTED;
	return st;
}

void lsi_pipeline_end(ls_scanner *s)
{
	/* The .git folder a directory walk ended in. */
	lsi_offload_drain(s);
	s->path_count = 0;
	lsi_gitdir_flush(s, s->gitdir);
	lsi_gitdir_free(s->gitdir);
	s->gitdir = NULL;
}
