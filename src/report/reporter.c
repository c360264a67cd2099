/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ls_reporter_*: copies findings out of the scanner's callback, counts
 * them, and hands them to the format. Shared helpers for the formats.
 */
#include <string.h>
#include <time.h>

#include "report.h"
#include "util/alloc.h"
#include "util/escape.h"

ls_status lsi_report_flush(struct ls_reporter *r, struct lsi_buf *b)
{
	if (b->len && !r->failed && r->write(b->data, b->len, r->user) != 0)
		r->failed = true;
	lsi_buf_reset(b);
	return r->failed ? LS_ERR_IO : LS_OK;
}

bool lsi_report_join_path(struct lsi_buf *b, const struct lsi_rfinding *f, bool term)
{
	bool ok = true;

	for (size_t i = 0; i < f->path_count; i++) {
		if (i)
			ok &= lsi_buf_putc(b, '!');
		if (term)
			ok &= lsi_escape_term(b, f->path[i], strlen(f->path[i]));
		else
			ok &= lsi_buf_puts(b, f->path[i]);
	}
	return ok;
}

void lsi_report_finding_json(struct lsi_json *j, const struct lsi_rfinding *f)
{
	lsi_json_obj_begin(j);
	lsi_json_key(j, "rule");
	lsi_json_cstr(j, f->rule);
	lsi_json_key(j, "category");
	lsi_json_cstr(j, ls_category_name(f->category));
	lsi_json_key(j, "severity");
	lsi_json_cstr(j, ls_severity_name(f->severity));
	lsi_json_key(j, "score");
	lsi_json_int(j, f->score);
	lsi_json_key(j, "path");
	lsi_json_arr_begin(j);
	for (size_t i = 0; i < f->path_count; i++)
		lsi_json_cstr(j, f->path[i]);
	lsi_json_arr_end(j);
	lsi_json_key(j, "line");
	if (f->line)
		lsi_json_uint(j, f->line);
	else
		lsi_json_null(j);
	lsi_json_key(j, "column");
	if (f->column)
		lsi_json_uint(j, f->column);
	else
		lsi_json_null(j);
	lsi_json_key(j, "offset");
	lsi_json_uint(j, f->offset);
	lsi_json_key(j, "match");
	if (f->match)
		lsi_json_str(j, f->match, f->match_len);
	else
		lsi_json_null(j);
	if (f->secret) {
		lsi_json_key(j, "secret");
		lsi_json_str(j, f->secret, f->secret_len);
	}
	lsi_json_key(j, "fingerprint");
	lsi_json_cstr(j, f->fingerprint);
	lsi_json_key(j, "reasons");
	lsi_json_arr_begin(j);
	for (size_t i = 0; i < f->reasons_count; i++)
		lsi_json_cstr(j, f->reasons[i]);
	lsi_json_arr_end(j);
	lsi_json_key(j, "details");
	if (f->details_json)
		lsi_json_raw(j, f->details_json);
	else if (f->message) {
		lsi_json_obj_begin(j);
		lsi_json_key(j, "message");
		lsi_json_cstr(j, f->message);
		lsi_json_obj_end(j);
	} else {
		lsi_json_obj_begin(j);
		lsi_json_obj_end(j);
	}
	lsi_json_obj_end(j);
}

static void rfinding_fini(struct lsi_rfinding *f)
{
	lsi_free(f->rule);
	lsi_free(f->rule_name);
	for (size_t i = 0; i < f->path_count; i++)
		lsi_free(f->path[i]);
	lsi_free(f->path);
	lsi_free(f->match);
	lsi_free(f->secret);
	lsi_free(f->fingerprint);
	for (size_t i = 0; i < f->reasons_count; i++)
		lsi_free(f->reasons[i]);
	lsi_free(f->reasons);
	lsi_free(f->details_json);
	lsi_free(f->message);
	memset(f, 0, sizeof(*f));
}

static char *dup_or_null(const char *s, bool *ok)
{
	char *d;

	if (!s)
		return NULL;
	d = lsi_strdup(s);
	if (!d)
		*ok = false;
	return d;
}

static bool rfinding_copy(struct lsi_rfinding *d, const ls_finding *f)
{
	bool ok = true;

	memset(d, 0, sizeof(*d));
	d->rule = dup_or_null(f->rule, &ok);
	d->rule_name = dup_or_null(f->rule_name, &ok);
	d->category = f->category;
	d->severity = f->severity;
	d->score = f->score;
	d->offset = f->offset;
	d->line = f->line;
	d->column = f->column;
	if (f->match) {
		d->match = lsi_strndup(f->match, f->match_len);
		d->match_len = f->match_len;
		ok &= d->match != NULL;
	}
	if (f->secret) {
		d->secret = lsi_strndup(f->secret, f->secret_len);
		d->secret_len = f->secret_len;
		ok &= d->secret != NULL;
	}
	d->fingerprint = dup_or_null(f->fingerprint, &ok);
	d->details_json = dup_or_null(f->details_json, &ok);
	d->message = dup_or_null(f->message, &ok);
	if (f->path_count && (d->path = lsi_calloc(f->path_count, sizeof(char *)))) {
		for (size_t i = 0; i < f->path_count; i++, d->path_count++)
			d->path[i] = dup_or_null(f->path[i] ? f->path[i] : "", &ok);
	} else if (f->path_count)
		ok = false;
	if (f->reasons_count && (d->reasons = lsi_calloc(f->reasons_count, sizeof(char *)))) {
		for (size_t i = 0; i < f->reasons_count; i++, d->reasons_count++)
			d->reasons[i] = dup_or_null(f->reasons[i], &ok);
	} else if (f->reasons_count)
		ok = false;
	if (!ok)
		rfinding_fini(d);
	return ok;
}

ls_status ls_reporter_new(const char *format, unsigned flags, const ls_rules *rules,
			  ls_write_fn w, void *user, ls_reporter **out)
{
	const struct lsi_reporter_ops *ops;
	ls_reporter *r;
	ls_status st;

	if (!format || !w || !out)
		return LS_ERR_INVALID_ARG;
	*out = NULL;
	if (!(ops = lsi_reporter_find(format)))
		return LS_ERR_UNSUPPORTED;
	if (!(r = lsi_calloc(1, sizeof(*r))))
		return LS_ERR_NOMEM;
	r->ops = ops;
	r->flags = flags;
	r->rules = rules;
	r->write = w;
	r->user = user;
	r->started = (uint64_t)time(NULL);
	if (ops->begin && (st = ops->begin(r)) != LS_OK) {
		ls_reporter_free(r);
		return st;
	}
	*out = r;
	return LS_OK;
}

ls_status ls_reporter_add(ls_reporter *r, const ls_finding *f)
{
	struct lsi_rfinding tmp, *d = &tmp;
	ls_status st = LS_OK;

	if (!r || !f)
		return LS_ERR_INVALID_ARG;
	if (r->ops->keeps_findings) {
		if (r->count == r->cap) {
			size_t ncap = r->cap ? r->cap * 2 : 64;
			struct lsi_rfinding *n = lsi_realloc(r->f, ncap * sizeof(*n));

			if (!n)
				return LS_ERR_NOMEM;
			r->f = n;
			r->cap = ncap;
		}
		d = &r->f[r->count];
	}
	if (!rfinding_copy(d, f))
		return LS_ERR_NOMEM;
	if ((unsigned)f->severity < 5)
		r->sev_count[f->severity]++;
	r->total++;
	if (r->ops->keeps_findings)
		r->count++;
	if (r->ops->add)
		st = r->ops->add(r, d);
	if (!r->ops->keeps_findings)
		rfinding_fini(d);
	return st;
}

ls_status ls_reporter_input(ls_reporter *r, const char *path, ls_status st,
			    const ls_scan_stats *stats)
{
	struct lsi_rinput *in;

	if (!r || !path)
		return LS_ERR_INVALID_ARG;
	if (r->in_count == r->in_cap) {
		size_t ncap = r->in_cap ? r->in_cap * 2 : 16;
		struct lsi_rinput *n = lsi_realloc(r->in, ncap * sizeof(*n));

		if (!n)
			return LS_ERR_NOMEM;
		r->in = n;
		r->in_cap = ncap;
	}
	in = &r->in[r->in_count];
	memset(in, 0, sizeof(*in));
	if (!(in->path = lsi_strdup(path)))
		return LS_ERR_NOMEM;
	in->status = st;
	if (stats)
		in->stats = *stats;
	r->in_count++;
	return LS_OK;
}

ls_status ls_reporter_finish(ls_reporter *r)
{
	ls_status st = LS_OK;

	if (!r)
		return LS_ERR_INVALID_ARG;
	if (r->ops->finish)
		st = r->ops->finish(r);
	if (st == LS_OK && r->failed)
		st = LS_ERR_IO;
	return st;
}

void ls_reporter_free(ls_reporter *r)
{
	if (!r)
		return;
	if (r->ops->free_priv)
		r->ops->free_priv(r);
	for (size_t i = 0; i < r->count; i++)
		rfinding_fini(&r->f[i]);
	lsi_free(r->f);
	for (size_t i = 0; i < r->in_count; i++)
		lsi_free(r->in[i].path);
	lsi_free(r->in);
	lsi_free(r->commit);
	for (size_t i = 0; i < r->notice_count; i++)
		lsi_free(r->notices[i]);
	lsi_free(r->notices);
	lsi_free(r);
}

ls_status ls_reporter_notice(ls_reporter *r, const ls_finding *f)
{
	struct lsi_buf b;
	char **n;
	bool ok = true;

	if (!r || !f || !f->rule)
		return LS_ERR_INVALID_ARG;
	/* Past this many, the first ones say enough (a bomb of damaged members). */
	if (r->notice_count >= 1000)
		return LS_OK;
	lsi_buf_init(&b, 1 << 16);
	for (size_t i = 0; i < f->path_count; i++) {
		if (i)
			ok &= lsi_buf_putc(&b, '!');
		ok &= lsi_buf_puts(&b, f->path[i]);
	}
	ok &= lsi_buf_printf(&b, ": %s: %s", f->rule, f->message ? f->message : "");
	if (!ok || !(n = lsi_realloc(r->notices, (r->notice_count + 1) * sizeof(*n)))) {
		lsi_buf_fini(&b);
		return LS_ERR_NOMEM;
	}
	r->notices = n;
	if (!(n[r->notice_count] = lsi_strdup(lsi_buf_str(&b)))) {
		lsi_buf_fini(&b);
		return LS_ERR_NOMEM;
	}
	r->notice_count++;
	lsi_buf_fini(&b);
	return LS_OK;
}

ls_status ls_reporter_set_baseline(ls_reporter *r, const ls_baseline *b)
{
	if (!r)
		return LS_ERR_INVALID_ARG;
	r->baseline = b;
	return LS_OK;
}

ls_status ls_reporter_set_commit(ls_reporter *r, const char *sha)
{
	char *c = NULL;

	if (!r || !sha || !*sha)
		return LS_ERR_INVALID_ARG;
	if (!(c = lsi_strdup(sha)))
		return LS_ERR_NOMEM;
	lsi_free(r->commit);
	r->commit = c;
	return LS_OK;
}

bool lsi_report_is_note(const struct lsi_rfinding *f)
{
	return strcmp(f->rule, LS_NOTE_LIMIT) == 0 || strcmp(f->rule, LS_NOTE_DAMAGE) == 0 ||
	       strcmp(f->rule, LS_NOTE_SYMLINK) == 0;
}

const char *lsi_report_category_about(ls_category c)
{
	static const char *const about[] = {
		"A credential shipped inside the artifact: anyone who downloads the release "
		"can read and use it.",
		"A hostname, private address or cluster-local URL of internal infrastructure, "
		"shipped where anyone can map it.",
		"Debug or trace logging, a stack trace or a do-not-ship marker left in a "
		"release.",
		"Original sources shipped with the build: a source map with sourcesContent, a "
		".git folder or a source archive.",
		"A file that should never ship: dotenv files, private keys, registry "
		"credentials, state files, core dumps, logs.",
		"Build-machine detail: unstripped binaries or absolute build-host paths.",
	};

	return (unsigned)c < sizeof(about) / sizeof(*about) ? about[c] : "A finding.";
}

const char *lsi_report_category_advice(ls_category c)
{
	static const char *const advice[] = {
		"Revoke and rotate the credential first: a new release does not take back the "
		"copies already published. Then keep it out of the build (environment, secret "
		"store) and out of the package's file list.",
		"Move internal endpoints to runtime configuration, or list the domain under "
		"internal_domains in .leakscan.yaml if it is meant to be public.",
		"Strip debug logging in release builds (minifier drop_console, log level) and "
		"remove marker strings before packaging.",
		"Build without sourcesContent or do not publish the .map files; exclude .git and "
		"source archives from the package.",
		"Remove the file from the package (files list, .npmignore, MANIFEST.in) and rotate "
		"any credential it held.",
		"Strip release binaries and build with path remapping (-ffile-prefix-map, "
		"--remap-path-prefix).",
	};

	return (unsigned)c < sizeof(advice) / sizeof(*advice) ? advice[c] : "";
}

void lsi_report_time(uint64_t t, char out[24])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 24, "%Y-%m-%dT%H:%M:%S", &tm))
		strcpy(out, "1970-01-01T00:00:00");
}
