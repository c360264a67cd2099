/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Observers of a data member (dataobs.h): the executable parser, the
 * build-path tally, and the decoded streams of base64 and UTF-16LE runs,
 * each scanned by its own engine stream under an extra path element, but
 * for base64 runs that turn out to be source maps: those are held and
 * handed to the pipeline as containers when the member is done.
 */
#include "dataobs.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "container/binfmt.h"
#include "container/container.h"
#include "engine/encodings.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json_write.h"

#define LABEL_LEN 32

/* How a base64 sink reads its current run. */
enum run_mode {
	RUN_TEXT,   /* scanned as text while it streams (UTF-16LE: always) */
	RUN_SNIFF,  /* held until its head tells whether it is a source map */
	RUN_MAP,    /* a source map: held whole for the container */
};

/* One decoded stream: a base64 run at some level, or the UTF-16LE runs. */
struct sink {
	struct lsi_dataobs *ob;
	const struct sink *outer;   /* the decoded run this one lies in, or NULL */
	int level;                  /* base64 nesting, 0-based; -1 for UTF-16LE */
	struct lsi_mstream *ms;     /* open while the stream is scanned */
	char label[LABEL_LEN];      /* its path element */
	enum run_mode mode;
	struct lsi_buf held;        /* decoded bytes of the run unless RUN_TEXT;
				     * counted in the scanner's mem_held */
	bool break_seen;            /* the run's first line break was looked at */
	size_t map_len;             /* the map ends at that break; 0: with the run */
};

/* A decoded source map waiting for the member's end. */
struct held_map {
	struct held_map *next;
	int level;                  /* of the run it was */
	char labels[LSI_DATAOBS_B64_DEPTH][LABEL_LEN]; /* its path elements, outer first */
	uint8_t *data;              /* owned; counted in the scanner's mem_held */
	size_t len;
};

struct lsi_dataobs {
	ls_scanner *s;
	bool sniffed;
	bool binary;                /* executable, or NUL bytes near the start */
	enum lsi_binfmt fmt;
	bool aggregate;             /* the binary finding is on: tally build paths */
	struct lsi_binparse *bp;
	uint64_t build_paths;
	size_t example_count;
	char *examples[LSI_DATAOBS_EXAMPLES];
	ls_status err;              /* first failure of a decoded stream */
	int depth;                  /* the member's nesting */
	bool finished;              /* lsi_dataobs_finish() went through */
	struct held_map *maps;      /* in the order their runs ended */
	struct held_map **maps_tail;
	struct lsi_b64scan b64[LSI_DATAOBS_B64_DEPTH];
	struct sink b64sink[LSI_DATAOBS_B64_DEPTH];
	struct lsi_u16scan u16;
	struct sink u16sink;
};

/* Counts a per-string debug-info hit inside an executable; true when taken. */
static bool tally(struct lsi_dataobs *ob, const struct lsi_hit *h)
{
	const struct lsi_rule *r = &ob->s->rules->rs.rules[h->rule];
	size_t len = h->match_len < LSI_DATAOBS_EXAMPLE_LEN ? h->match_len : LSI_DATAOBS_EXAMPLE_LEN;

	if (!ob->aggregate || r->category != LS_CAT_DEBUG_INFO || r->path_rule)
		return false;
	ob->build_paths++;
	if (ob->example_count == LSI_DATAOBS_EXAMPLES)
		return true;
	for (size_t i = 0; i < ob->example_count; i++)
		if (strlen(ob->examples[i]) == len && memcmp(ob->examples[i], h->match, len) == 0)
			return true;
	/* Without memory an example is only not kept; the count stays right. */
	if ((ob->examples[ob->example_count] = lsi_strndup((const char *)h->match, len)))
		ob->example_count++;
	return true;
}

int lsi_dataobs_hit(const struct lsi_hit *h, void *user)
{
	struct lsi_dataobs *ob = user;

	if (tally(ob, h))
		return 0;
	return lsi_pipeline_hit(ob->s, h);
}

/* Pushes the path elements of @k and the runs it lies in; false when too deep. */
static bool push_labels(ls_scanner *s, const struct sink *k)
{
	if (k->outer && !push_labels(s, k->outer))
		return false;
	if (s->path_count >= LSI_MAX_PATH_DEPTH)
		return false;
	s->path[s->path_count++] = k->label;
	return true;
}

static int sink_hit(const struct lsi_hit *h, void *user)
{
	struct sink *k = user;
	ls_scanner *s = k->ob->s;
	size_t depth = s->path_count;
	int rc = 0;

	if (s->aborted)
		return 1; /* the caller stopped the scan from another stream */
	if (tally(k->ob, h))
		return 0;
	if (push_labels(s, k))
		rc = lsi_pipeline_hit(s, h);
	s->path_count = depth;
	return rc;
}

static void sink_fail(struct sink *k, ls_status st)
{
	if (st != LS_OK && k->ob->err == LS_OK)
		k->ob->err = st;
}

static void sink_open(struct sink *k)
{
	if (!k->ms && k->ob->err == LS_OK && !k->ob->s->aborted)
		sink_fail(k, lsi_mstream_open(k->ob->s->matcher, sink_hit, k, &k->ms));
}

static void sink_push(struct sink *k, const uint8_t *p, size_t n)
{
	if (!k->ms)
		return;
	sink_fail(k, lsi_mstream_push(k->ms, p, n, false));
}

static void sink_close(struct sink *k)
{
	if (!k->ms)
		return;
	sink_fail(k, lsi_mstream_close(k->ms));
	k->ms = NULL;
}

/* A limit finding at the run's own path. */
static void note_limit(struct sink *k, const char *msg)
{
	ls_scanner *s = k->ob->s;
	size_t depth = s->path_count;

	push_labels(s, k);
	lsi_pipeline_note(s, LS_NOTE_LIMIT, "A scan limit was reached", LS_CAT_DEBUG_INFO, msg);
	s->path_count = depth;
}

/* Decoded bytes of a run scanned as text, and searched for base64 within. */
static void text_data(struct sink *k, const uint8_t *p, size_t n)
{
	sink_push(k, p, n);
	if (k->level + 1 < LSI_DATAOBS_B64_DEPTH)
		lsi_b64scan_feed(&k->ob->b64[k->level + 1], p, n);
}

static void release(struct sink *k)
{
	k->ob->s->mem_held -= k->held.len;
	lsi_buf_fini(&k->held);
}

/* The run is text after all: what was held first, then the rest as it comes. */
static void to_text(struct sink *k)
{
	k->mode = RUN_TEXT;
	sink_open(k);
	if (k->held.len)
		text_data(k, k->held.data, k->held.len);
	release(k);
}

/*
 * Whether a map may hold @n bytes more: all that this input's readers
 * hold stays within max-member-bytes. When not, says so.
 */
static bool map_fits(struct sink *k, size_t n)
{
	ls_scanner *s = k->ob->s;
	uint64_t max = (uint64_t)s->param[LS_PARAM_MAX_MEMBER_BYTES];
	char msg[192];

	if (s->mem_held <= max && n <= max - s->mem_held)
		return true;
	snprintf(msg, sizeof(msg), "max-member-bytes: source map decoded from base64 is larger "
		 "than %" PRIu64 " bytes; scanned as text", max);
	note_limit(k, msg);
	return false;
}

/*
 * Holds @n more bytes of the run. A sniffed head is small (the sniff plus
 * one decoded block) and always held; a map only within the cap.
 */
static bool hold(struct sink *k, const uint8_t *p, size_t n)
{
	if (k->mode == RUN_MAP && !map_fits(k, n))
		return false;
	/* Out of memory the run is scanned as text: nothing is lost. */
	if (!lsi_buf_append(&k->held, p, n))
		return false;
	k->ob->s->mem_held += n;
	return true;
}

/*
 * Whether decoded text beginning with @p may still be a source map: past
 * a byte order mark and white space comes '{' (or the ")]}'" guard line).
 */
static bool may_be_map(const uint8_t *p, size_t n)
{
	static const uint8_t bom[3] = { 0xef, 0xbb, 0xbf };
	size_t i = 0;

	while (i < n && i < 3 && p[i] == bom[i])
		i++;
	if (i && i < 3)
		return i == n; /* a cut byte order mark, or not one */
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i == n || p[i] == '{' || p[i] == ')';
}

/* Whether the first @n held bytes sniff as a source map. */
static bool sniffs_as_map(const struct sink *k, size_t n)
{
	if (n > LSI_SNIFF_LEN)
		n = LSI_SNIFF_LEN;
	return n && may_be_map(k->held.data, n) && lsi_container_sourcemap.probe(k->held.data, n);
}

/*
 * A data URL is one line, but an unpadded run that fills its line goes
 * on, to the run finder, into the next line as a wrapped run would
 * ("...base64,eyJ...fQ\nexports.a"). When the text before that first
 * break closes a JSON object that sniffs as a map, the map ends there:
 * the rest was decoded from the next line, which the member's own scan
 * reads. Looked at once per run, as soon as the break is known.
 */
static void find_map_end(struct sink *k)
{
	size_t brk = k->ob->b64[k->level].wrap_chars / 4 * 3, i = brk;
	const uint8_t *p = k->held.data;

	if (k->break_seen || !brk || brk > k->held.len)
		return;
	k->break_seen = true;
	while (i && (p[i - 1] == ' ' || p[i - 1] == '\t' || p[i - 1] == '\r' || p[i - 1] == '\n'))
		i--;
	if (i && p[i - 1] == '}' && (k->mode == RUN_MAP || sniffs_as_map(k, brk)))
		k->map_len = brk;
}

/* Judges the held head as the pipeline sniffs a member: a map, or text. */
static void decide(struct sink *k)
{
	ls_scanner *s = k->ob->s;
	size_t n = k->map_len ? k->map_len : k->held.len;
	char msg[192];

	if (!sniffs_as_map(k, n)) {
		to_text(k);
		return;
	}
	/* The decoded run is one level below the member, as a member would be. */
	if (k->ob->depth + 1 + k->level >= s->param[LS_PARAM_MAX_DEPTH]) {
		snprintf(msg, sizeof(msg), "max-depth: source map decoded from base64 nested deeper "
			 "than %" PRId64 " level%s; scanned as text", s->param[LS_PARAM_MAX_DEPTH],
			 s->param[LS_PARAM_MAX_DEPTH] == 1 ? "" : "s");
		note_limit(k, msg);
		to_text(k);
		return;
	}
	if (!map_fits(k, 0)) {
		to_text(k);
		return;
	}
	k->mode = RUN_MAP;
}

/* Queues the map of a finished run for the member's end. */
static void keep(struct sink *k)
{
	struct held_map *m;

	/* Its record counts too: many tiny maps must not escape the cap. */
	if (!map_fits(k, sizeof(*m)) || !(m = lsi_calloc(1, sizeof(*m)))) {
		to_text(k); /* scanned as text, and the sink is closed by the caller */
		return;
	}
	k->ob->s->mem_held += sizeof(*m);
	m->level = k->level;
	for (const struct sink *q = k; q; q = q->outer)
		memcpy(m->labels[q->level], q->label, LABEL_LEN);
	/* Only the map is kept: what followed its line is not held on. */
	m->len = k->map_len ? k->map_len : k->held.len;
	k->ob->s->mem_held -= k->held.len - m->len;
	m->data = (uint8_t *)lsi_buf_steal(&k->held);
	*k->ob->maps_tail = m;
	k->ob->maps_tail = &m->next;
	k->mode = RUN_TEXT;
}

static void b64_begin(void *user, uint64_t offset)
{
	struct sink *k = user;

	snprintf(k->label, sizeof(k->label), "base64@%" PRIu64, offset);
	k->mode = RUN_SNIFF;
	k->break_seen = false;
	k->map_len = 0;
}

static void b64_data(void *user, const uint8_t *p, size_t n)
{
	struct sink *k = user;

	if (k->mode == RUN_MAP && k->map_len)
		return; /* past the map's line (find_map_end) */
	/* Most runs are told from a map by their first byte: nothing is held. */
	if (k->mode == RUN_SNIFF && !k->held.len && !may_be_map(p, n))
		to_text(k);
	if (k->mode != RUN_TEXT) {
		if (hold(k, p, n)) {
			find_map_end(k);
			if (k->mode == RUN_SNIFF && (k->map_len || k->held.len >= LSI_SNIFF_LEN ||
						     !may_be_map(k->held.data, k->held.len)))
				decide(k);
			return;
		}
		to_text(k);
	}
	text_data(k, p, n);
}

static void b64_end(void *user)
{
	struct sink *k = user;

	if (k->mode == RUN_SNIFF)
		decide(k);
	if (k->mode == RUN_MAP)
		keep(k);
	if (k->level + 1 < LSI_DATAOBS_B64_DEPTH) {
		struct lsi_b64scan *in = &k->ob->b64[k->level + 1];

		/* Runs inside this one are numbered from its own start. */
		lsi_b64scan_finish(in);
		lsi_b64scan_init(in, in->sink, in->user);
	}
	sink_close(k);
}

static const struct lsi_b64_sink b64_events = { b64_begin, b64_data, b64_end };

static void u16_emit(void *user, const uint8_t *p, size_t n, bool last)
{
	struct sink *k = user;

	sink_open(k);
	sink_push(k, p, n);
	if (last)
		sink_push(k, (const uint8_t *)"\n", 1);
}

ls_status lsi_dataobs_open(ls_scanner *s, int depth, struct lsi_dataobs **out)
{
	/* Opened for every member: the filters' buffers (most of its 9 KB)
	 * are left as they are; their init functions set what they read. */
	struct lsi_dataobs *ob = lsi_malloc(sizeof(*ob));
	uint64_t cap = (uint64_t)s->param[LS_PARAM_MAX_MEMBER_BYTES];

	*out = NULL;
	if (!ob)
		return LS_ERR_NOMEM;
	memset(ob, 0, offsetof(struct lsi_dataobs, b64));
	memset(ob->b64sink, 0, sizeof(ob->b64sink));
	memset(&ob->u16sink, 0, sizeof(ob->u16sink));
	ob->s = s;
	ob->depth = depth;
	ob->maps_tail = &ob->maps;
	for (int i = 0; i < LSI_DATAOBS_B64_DEPTH; i++) {
		ob->b64sink[i].ob = ob;
		ob->b64sink[i].level = i;
		ob->b64sink[i].outer = i ? &ob->b64sink[i - 1] : NULL;
		/* One run within the cap; map_fits() bounds all runs together. */
		lsi_buf_init(&ob->b64sink[i].held, cap < SIZE_MAX / 2 ? (size_t)cap : SIZE_MAX / 2);
		lsi_b64scan_init(&ob->b64[i], &b64_events, &ob->b64sink[i]);
	}
	ob->u16sink.ob = ob;
	ob->u16sink.level = -1;
	snprintf(ob->u16sink.label, sizeof(ob->u16sink.label), "utf16le");
	lsi_u16scan_init(&ob->u16, u16_emit, &ob->u16sink);
	*out = ob;
	return LS_OK;
}

/* Looks at the first chunk (at least the sniffed head, or the whole member). */
static void sniff(struct lsi_dataobs *ob, const uint8_t *p, size_t n)
{
	size_t k = n < LSI_DATAOBS_SNIFF ? n : LSI_DATAOBS_SNIFF;

	ob->sniffed = true;
	ob->fmt = lsi_binfmt_sniff(p, k);
	ob->binary = ob->fmt != LSI_BIN_NONE || memchr(p, 0, k) != NULL;
	if (ob->fmt != LSI_BIN_NONE) {
		const struct lsi_rule *r = lsi_ruleset_find((struct lsi_ruleset *)&ob->s->rules->rs,
							    "binary-debug-info");

		/* Without the binary finding (a user rule set, or disabled), per-string
		 * findings are not swallowed. */
		ob->aggregate = r && !r->disabled;
		if (!(ob->bp = lsi_binparse_new(ob->fmt)))
			ob->err = LS_ERR_NOMEM;
	}
}

void lsi_dataobs_feed(struct lsi_dataobs *ob, const uint8_t *p, size_t n)
{
	if (!n || ob->s->aborted)
		return;
	if (!ob->sniffed)
		sniff(ob, p, n);
	if (ob->bp)
		lsi_binparse_feed(ob->bp, p, n);
	if (ob->binary)
		lsi_u16scan_feed(&ob->u16, p, n);
	lsi_b64scan_feed(&ob->b64[0], p, n);
}

static void json_strings(struct lsi_json *j, const char *key, const char *const *v, size_t n)
{
	lsi_json_key(j, key);
	lsi_json_arr_begin(j);
	for (size_t i = 0; i < n; i++)
		lsi_json_cstr(j, v[i]);
	lsi_json_arr_end(j);
}

/* The one finding of an executable, when it says anything about its build. */
static ls_status report_binary(struct lsi_dataobs *ob)
{
	struct lsi_bininfo info;
	struct lsi_buf d, msg;
	struct lsi_json j;
	const char *names[LSI_BIN_MAX_SECTIONS];
	ls_status st;

	lsi_binparse_finish(ob->bp, &info);
	if (!info.dwarf && !info.debug_file[0] && !ob->build_paths)
		return LS_OK;
	for (size_t i = 0; i < info.section_count; i++)
		names[i] = info.sections[i];
	lsi_buf_init(&d, 1 << 16);
	lsi_buf_init(&msg, 1 << 12);
	lsi_json_init(&j, &d, false);
	lsi_json_obj_begin(&j);
	lsi_json_key(&j, "format");
	lsi_json_cstr(&j, info.format);
	json_strings(&j, "sections", names, info.section_count);
	lsi_json_key(&j, "build_paths");
	lsi_json_uint(&j, ob->build_paths);
	json_strings(&j, "examples", (const char *const *)ob->examples, ob->example_count);
	lsi_json_key(&j, "dwarf");
	lsi_json_bool(&j, info.dwarf);
	lsi_json_key(&j, "compressed");
	lsi_json_bool(&j, info.compressed);
	lsi_json_key(&j, "symbols");
	lsi_json_bool(&j, info.symtab);
	lsi_json_key(&j, "debug_file");
	if (info.debug_file[0])
		lsi_json_cstr(&j, info.debug_file);
	else
		lsi_json_null(&j);
	if (info.names_unknown || info.truncated) {
		lsi_json_key(&j, "incomplete");
		lsi_json_bool(&j, true);
	}
	lsi_json_obj_end(&j);
	lsi_buf_printf(&msg, "%s binary%s", info.format, info.dwarf ? " with debug sections" : "");
	for (size_t i = 0; i < info.section_count && i < 6; i++)
		lsi_buf_printf(&msg, "%s%s", i ? ", " : " (", info.sections[i]);
	lsi_buf_printf(&msg, "%s, %" PRIu64 " build-host path%s",
		       info.section_count > 6 ? ", ...)" : info.section_count ? ")" : "",
		       ob->build_paths, ob->build_paths == 1 ? "" : "s");
	if (info.debug_file[0])
		lsi_buf_printf(&msg, ", debug file %s", info.debug_file);
	if (!j.ok || !msg.len)
		st = LS_ERR_NOMEM;
	else
		/* DWARF maps the whole program; build paths say less, and a
		 * debug-file name alone (every stripped Debian binary has one)
		 * is only worth an info line. */
		st = lsi_pipeline_analyzer(ob->s, "binary-debug-info",
					   info.dwarf ? -1
					   : ob->build_paths ? (int)LS_SEV_LOW : (int)LS_SEV_INFO,
					   NULL,
					   lsi_buf_str(&msg), lsi_buf_str(&d));
	lsi_buf_fini(&d);
	lsi_buf_fini(&msg);
	return st;
}

/* Closes the decoded streams; held bytes of runs cut short are given back. */
static void end_sinks(struct lsi_dataobs *ob)
{
	for (int i = LSI_DATAOBS_B64_DEPTH - 1; i >= 0; i--) {
		sink_close(&ob->b64sink[i]);
		release(&ob->b64sink[i]);
	}
	sink_close(&ob->u16sink);
}

ls_status lsi_dataobs_finish(struct lsi_dataobs *ob)
{
	ls_status st;

	if (!ob->s->aborted) {
		lsi_b64scan_finish(&ob->b64[0]);
		if (ob->binary)
			lsi_u16scan_finish(&ob->u16);
	}
	end_sinks(ob);
	st = ob->err;
	if (st == LS_OK && ob->bp && !ob->s->aborted)
		st = report_binary(ob);
	ob->finished = st == LS_OK;
	if (ob->s->aborted)
		return LS_ERR_ABORTED;
	return st;
}

/* Reads a held map under its path elements. */
static ls_status scan_map(struct lsi_dataobs *ob, const struct held_map *m)
{
	ls_scanner *s = ob->s;
	size_t depth = s->path_count;
	ls_status st;

	for (int i = 0; i <= m->level && s->path_count < LSI_MAX_PATH_DEPTH; i++)
		s->path[s->path_count++] = m->labels[i];
	st = lsi_pipeline_scan_sourcemap(s, m->data, m->len, ob->depth + 1 + m->level);
	s->path_count = depth;
	return st;
}

ls_status lsi_dataobs_close(struct lsi_dataobs *ob)
{
	ls_scanner *s;
	ls_status st = LS_OK;

	if (!ob)
		return LS_OK;
	s = ob->s;
	end_sinks(ob); /* after a finish, a no-op */
	while (ob->maps) {
		struct held_map *m = ob->maps;

		if (ob->finished && st == LS_OK && !s->aborted)
			st = scan_map(ob, m);
		ob->maps = m->next;
		s->mem_held -= m->len + sizeof(*m);
		lsi_free(m->data);
		lsi_free(m);
	}
	lsi_binparse_free(ob->bp);
	for (size_t i = 0; i < ob->example_count; i++)
		lsi_free(ob->examples[i]);
	lsi_free(ob);
	if (s->aborted)
		return LS_ERR_ABORTED;
	return st;
}
