/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Observers of a data member (dataobs.h): the executable parser, the
 * build-path tally, and the decoded streams of base64 and UTF-16LE runs,
 * each scanned by its own engine stream under an extra path element.
 */
#include "dataobs.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "container/binfmt.h"
#include "engine/encodings.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json_write.h"

/* One decoded stream: a base64 run at some level, or the UTF-16LE runs. */
struct sink {
	struct lsi_dataobs *ob;
	const struct sink *outer;   /* the decoded run this one lies in, or NULL */
	int level;                  /* base64 nesting, 0-based; -1 for UTF-16LE */
	struct lsi_mstream *ms;     /* open while the stream is scanned */
	char label[32];             /* its path element */
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

static void b64_begin(void *user, uint64_t offset)
{
	struct sink *k = user;

	snprintf(k->label, sizeof(k->label), "base64@%" PRIu64, offset);
	sink_open(k);
}

static void b64_data(void *user, const uint8_t *p, size_t n)
{
	struct sink *k = user;

	sink_push(k, p, n);
	if (k->level + 1 < LSI_DATAOBS_B64_DEPTH)
		lsi_b64scan_feed(&k->ob->b64[k->level + 1], p, n);
}

static void b64_end(void *user)
{
	struct sink *k = user;

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

ls_status lsi_dataobs_open(ls_scanner *s, struct lsi_dataobs **out)
{
	struct lsi_dataobs *ob = lsi_calloc(1, sizeof(*ob));

	*out = NULL;
	if (!ob)
		return LS_ERR_NOMEM;
	ob->s = s;
	for (int i = 0; i < LSI_DATAOBS_B64_DEPTH; i++) {
		ob->b64sink[i].ob = ob;
		ob->b64sink[i].level = i;
		ob->b64sink[i].outer = i ? &ob->b64sink[i - 1] : NULL;
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
		/* DWARF maps the whole program; a path or a debug-file name says less. */
		st = lsi_pipeline_analyzer(ob->s, "binary-debug-info",
					   info.dwarf ? -1 : (int)LS_SEV_LOW, NULL,
					   lsi_buf_str(&msg), lsi_buf_str(&d));
	lsi_buf_fini(&d);
	lsi_buf_fini(&msg);
	return st;
}

ls_status lsi_dataobs_close(struct lsi_dataobs *ob)
{
	ls_scanner *s;
	ls_status st;

	if (!ob)
		return LS_OK;
	s = ob->s;
	if (!ob->s->aborted) {
		lsi_b64scan_finish(&ob->b64[0]);
		if (ob->binary)
			lsi_u16scan_finish(&ob->u16);
	}
	for (int i = LSI_DATAOBS_B64_DEPTH - 1; i >= 0; i--)
		sink_close(&ob->b64sink[i]);
	sink_close(&ob->u16sink);
	st = ob->err;
	if (st == LS_OK && ob->bp && !ob->s->aborted)
		st = report_binary(ob);
	lsi_binparse_free(ob->bp);
	for (size_t i = 0; i < ob->example_count; i++)
		lsi_free(ob->examples[i]);
	lsi_free(ob);
	if (s->aborted)
		return LS_ERR_ABORTED;
	return st;
}
