/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SARIF 2.1.0, as GitHub code scanning ingests it: one run; the rules
 * that have results, with descriptions, help and security-severity; one
 * result per finding, written as it arrives, with our fingerprint as a
 * partial fingerprint; every archive layer an artifact whose parentIndex
 * is the archive holding it.
 * A location inside an archive is the URI "outer.tgz!inner/path". The
 * match text is the one the scanner gave: redacted unless show-secrets.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "util/alloc.h"

/* A string -> index map over borrowed keys (open addressing). */
struct smap {
	const char **key;
	size_t *val;
	size_t cap, count;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

static size_t smap_get(const struct smap *m, const char *k)
{
	size_t j;

	if (!m->cap)
		return SIZE_MAX;
	for (j = str_hash(k) & (m->cap - 1); m->key[j]; j = (j + 1) & (m->cap - 1))
		if (strcmp(m->key[j], k) == 0)
			return m->val[j];
	return SIZE_MAX;
}

static bool smap_put(struct smap *m, const char *k, size_t v)
{
	size_t j;

	if (2 * (m->count + 1) > m->cap) {
		struct smap n = { NULL, NULL, m->cap ? m->cap * 2 : 64, 0 };

		n.key = lsi_calloc(n.cap, sizeof(*n.key));
		n.val = lsi_calloc(n.cap, sizeof(*n.val));
		if (!n.key || !n.val) {
			lsi_free(n.key);
			lsi_free(n.val);
			return false;
		}
		for (size_t i = 0; i < m->cap; i++)
			if (m->key[i]) {
				j = str_hash(m->key[i]) & (n.cap - 1);
				while (n.key[j])
					j = (j + 1) & (n.cap - 1);
				n.key[j] = m->key[i];
				n.val[j] = m->val[i];
			}
		n.count = m->count;
		lsi_free(m->key);
		lsi_free(m->val);
		*m = n;
	}
	for (j = str_hash(k) & (m->cap - 1); m->key[j]; j = (j + 1) & (m->cap - 1))
		;
	m->key[j] = k;
	m->val[j] = v;
	m->count++;
	return true;
}

static void smap_fini(struct smap *m)
{
	lsi_free(m->key);
	lsi_free(m->val);
	memset(m, 0, sizeof(*m));
}

/* A rule that has results, in order of first appearance (copied: the
 * findings themselves are not kept). */
struct srule {
	char *id, *name;                  /* owned */
	ls_category category;
	bool note;                        /* one of the scanner's own notes */
	size_t def;                       /* index in ls_rules, or SIZE_MAX */
	ls_severity sev;                  /* the rule's base severity when known */
};

/*
 * Results stream out as findings arrive (a million findings must not be
 * held); the rules and artifacts they index follow the results array in
 * the run object, where SARIF's key order leaves them free to be.
 */
struct sarif {
	struct lsi_buf b, tmp;
	struct lsi_json j;
	struct smap rule_ix, def_ix, art_ix;
	struct srule *rules;
	size_t rule_count, rule_cap;
	char **art_uri;                   /* owned */
	size_t *art_parent;               /* SIZE_MAX for a top-level input */
	size_t art_count, art_cap;
};

static void uri_escape(struct lsi_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const uint8_t *p = (const uint8_t *)s; *p; p++) {
		uint8_t c = *p;

		/* Unreserved and sub-delimiters but '!' (our separator) stay; ':'
		 * is escaped so no first segment reads as a scheme. */
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~/$&'()*+,;=@", c))
			lsi_buf_putc(b, (char)c);
		else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			lsi_buf_append(b, e, 3);
		}
	}
}

/* Index of the artifact for @f's path prefix of @n elements, adding it. */
static size_t artifact(struct sarif *x, const struct lsi_rfinding *f, size_t n, bool *ok)
{
	struct lsi_buf b;
	size_t parent = n > 1 ? artifact(x, f, n - 1, ok) : SIZE_MAX, ix;
	char *uri;

	if (!*ok)
		return 0;
	lsi_buf_init(&b, 1u << 20);
	for (size_t i = 0; i < n; i++) {
		if (i)
			lsi_buf_putc(&b, '!');
		uri_escape(&b, f->path[i]);
	}
	if (!(uri = lsi_buf_steal(&b))) {
		lsi_buf_fini(&b);
		*ok = false;
		return 0;
	}
	if ((ix = smap_get(&x->art_ix, uri)) != SIZE_MAX) {
		lsi_free(uri);
		return ix;
	}
	if (x->art_count == x->art_cap) {
		size_t ncap = x->art_cap ? x->art_cap * 2 : 32;
		char **nu = lsi_realloc(x->art_uri, ncap * sizeof(*nu));
		size_t *np;

		if (nu)
			x->art_uri = nu;
		np = nu ? lsi_realloc(x->art_parent, ncap * sizeof(*np)) : NULL;
		if (!np) {
			lsi_free(uri);
			*ok = false;
			return 0;
		}
		x->art_parent = np;
		x->art_cap = ncap;
	}
	ix = x->art_count;
	x->art_uri[ix] = uri;
	x->art_parent[ix] = parent;
	x->art_count++;
	if (!smap_put(&x->art_ix, uri, ix))
		*ok = false;
	return ix;
}

/* The index of @f's rule among those with results, adding it. */
static size_t rule_index(struct ls_reporter *r, struct sarif *x, const struct lsi_rfinding *f,
			 bool *ok)
{
	size_t ri = smap_get(&x->rule_ix, f->rule);
	struct srule *sr;

	if (ri != SIZE_MAX)
		return ri;
	if (x->rule_count == x->rule_cap) {
		size_t ncap = x->rule_cap ? x->rule_cap * 2 : 16;
		struct srule *n = lsi_realloc(x->rules, ncap * sizeof(*n));

		if (!n) {
			*ok = false;
			return 0;
		}
		x->rules = n;
		x->rule_cap = ncap;
	}
	sr = &x->rules[x->rule_count];
	memset(sr, 0, sizeof(*sr));
	sr->id = lsi_strdup(f->rule);
	sr->name = lsi_strdup(f->rule_name && *f->rule_name ? f->rule_name : f->rule);
	if (!sr->id || !sr->name) {
		lsi_free(sr->id);
		lsi_free(sr->name);
		*ok = false;
		return 0;
	}
	sr->category = f->category;
	sr->note = lsi_report_is_note(f);
	sr->sev = f->severity;
	sr->def = smap_get(&x->def_ix, f->rule);
	if (sr->def != SIZE_MAX)
		ls_rules_get(r->rules, sr->def, NULL, NULL, NULL, &sr->sev);
	ri = x->rule_count++;
	if (!smap_put(&x->rule_ix, sr->id, ri))
		*ok = false;
	return ri;
}

static const char *level(ls_severity s)
{
	return s >= LS_SEV_HIGH ? "error" : s == LS_SEV_MEDIUM ? "warning" : "note";
}

/* GitHub reads these as critical (9.0-10), high (7-8.9), medium, low. */
static const char *security_severity(ls_severity s)
{
	static const char *const v[] = { "0.0", "2.0", "5.5", "8.0", "9.5" };

	return (unsigned)s < 5 ? v[s] : "5.5";
}

static bool web_url(const char *u)
{
	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
		return false;
	for (; *u; u++)
		if ((uint8_t)*u <= ' ' || *u == '"' || *u == '<' || *u == '>' || *u == '\\' ||
		    (uint8_t)*u >= 0x7f)
			return false;
	return true;
}

static void text_obj(struct lsi_json *j, const char *key, const char *text)
{
	lsi_json_key(j, key);
	lsi_json_obj_begin(j);
	lsi_json_key(j, "text");
	lsi_json_cstr(j, text);
	lsi_json_obj_end(j);
}

static void write_rule(struct ls_reporter *r, struct lsi_json *j, const struct srule *sr,
		       struct lsi_buf *tmp)
{
	const char *name = sr->name;
	const char *cat = ls_category_name(sr->category);
	const char *const *refs = NULL;
	size_t nrefs = sr->def != SIZE_MAX ? ls_rules_references(r->rules, sr->def, &refs) : 0;
	bool note = sr->note;
	bool up = true;

	lsi_json_obj_begin(j);
	lsi_json_key(j, "id");
	lsi_json_cstr(j, sr->id);
	/* SARIF names are identifiers: the id in PascalCase. */
	lsi_buf_reset(tmp);
	for (const char *p = sr->id; *p; p++) {
		if (*p == '-' || *p == '_' || *p == '.') {
			up = true;
			continue;
		}
		lsi_buf_putc(tmp, up && *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p);
		up = false;
	}
	lsi_json_key(j, "name");
	lsi_json_str(j, (const char *)tmp->data, tmp->len);
	text_obj(j, "shortDescription", name);
	lsi_buf_reset(tmp);
	if (note)
		lsi_buf_printf(tmp, "%s: the scan could not read everything it was given; what it "
			       "could read was scanned.", name);
	else
		lsi_buf_printf(tmp, "%s. %s", name, lsi_report_category_about(sr->category));
	text_obj(j, "fullDescription", lsi_buf_str(tmp));
	for (size_t i = 0; i < nrefs; i++)
		if (web_url(refs[i])) {
			lsi_json_key(j, "helpUri");
			lsi_json_cstr(j, refs[i]);
			break;
		}
	lsi_json_key(j, "help");
	lsi_json_obj_begin(j);
	lsi_buf_reset(tmp);
	lsi_buf_printf(tmp, "%s (%s, %s, base severity %s). %s", name, sr->id, cat,
		       ls_severity_name(sr->sev),
		       note ? "Raise the limit named in the message, or repair the input."
			    : lsi_report_category_advice(sr->category));
	lsi_json_key(j, "text");
	lsi_json_cstr(j, lsi_buf_str(tmp));
	lsi_buf_reset(tmp);
	lsi_buf_printf(tmp, "**%s** (`%s`, %s, base severity %s)\n\n", name, sr->id, cat,
		       ls_severity_name(sr->sev));
	if (note)
		lsi_buf_puts(tmp, "Raise the limit named in the message, or repair the input.");
	else
		lsi_buf_printf(tmp, "%s\n\n%s", lsi_report_category_about(sr->category),
			       lsi_report_category_advice(sr->category));
	if (nrefs)
		lsi_buf_puts(tmp, "\n\nReferences:\n");
	for (size_t i = 0; i < nrefs; i++)
		if (web_url(refs[i]))
			lsi_buf_printf(tmp, "\n- <%s>", refs[i]);
	lsi_json_key(j, "markdown");
	lsi_json_cstr(j, lsi_buf_str(tmp));
	lsi_json_obj_end(j);
	lsi_json_key(j, "defaultConfiguration");
	lsi_json_obj_begin(j);
	lsi_json_key(j, "level");
	lsi_json_cstr(j, level(sr->sev));
	lsi_json_obj_end(j);
	lsi_json_key(j, "properties");
	lsi_json_obj_begin(j);
	lsi_json_key(j, "tags");
	lsi_json_arr_begin(j);
	/* Notes about the scan itself are not security alerts. */
	if (!note)
		lsi_json_cstr(j, "security");
	lsi_json_cstr(j, cat);
	lsi_json_arr_end(j);
	if (!note) {
		lsi_json_key(j, "security-severity");
		lsi_json_cstr(j, security_severity(sr->sev));
	}
	lsi_json_obj_end(j);
	lsi_json_obj_end(j);
}

static void write_result(struct lsi_json *j, const struct sarif *x, size_t ri, size_t ai,
			 const struct lsi_rfinding *f, struct lsi_buf *tmp)
{
	lsi_json_obj_begin(j);
	lsi_json_key(j, "ruleId");
	lsi_json_cstr(j, f->rule);
	lsi_json_key(j, "ruleIndex");
	lsi_json_uint(j, ri);
	lsi_json_key(j, "level");
	lsi_json_cstr(j, level(f->severity));
	lsi_buf_reset(tmp);
	lsi_buf_puts(tmp, f->rule_name && *f->rule_name ? f->rule_name : f->rule);
	if (f->match && f->match_len) {
		lsi_buf_puts(tmp, ": ");
		lsi_buf_append(tmp, f->match, f->match_len);
	} else if (f->message) {
		lsi_buf_puts(tmp, ": ");
		lsi_buf_puts(tmp, f->message);
	}
	lsi_json_key(j, "message");
	lsi_json_obj_begin(j);
	lsi_json_key(j, "text");
	lsi_json_str(j, (const char *)tmp->data, tmp->len);
	lsi_json_obj_end(j);
	lsi_json_key(j, "locations");
	lsi_json_arr_begin(j);
	lsi_json_obj_begin(j);
	lsi_json_key(j, "physicalLocation");
	lsi_json_obj_begin(j);
	lsi_json_key(j, "artifactLocation");
	lsi_json_obj_begin(j);
	lsi_json_key(j, "uri");
	lsi_json_cstr(j, f->path_count ? x->art_uri[ai] : "-");
	if (f->path_count) {
		lsi_json_key(j, "index");
		lsi_json_uint(j, ai);
	}
	lsi_json_obj_end(j);
	/* GitHub wants a region on every result: a whole-file finding (a name
	 * rule, a note) points at line 1. */
	lsi_json_key(j, "region");
	lsi_json_obj_begin(j);
	lsi_json_key(j, "startLine");
	lsi_json_uint(j, f->line ? f->line : 1);
	if (f->line && f->column) {
		lsi_json_key(j, "startColumn");
		lsi_json_uint(j, f->column);
	}
	lsi_json_obj_end(j);
	lsi_json_obj_end(j);
	lsi_json_obj_end(j);
	lsi_json_arr_end(j);
	lsi_json_key(j, "partialFingerprints");
	lsi_json_obj_begin(j);
	lsi_json_key(j, "leakscan/v1");
	lsi_json_cstr(j, f->fingerprint);
	lsi_json_obj_end(j);
	lsi_json_key(j, "properties");
	lsi_json_obj_begin(j);
	lsi_json_key(j, "severity");
	lsi_json_cstr(j, ls_severity_name(f->severity));
	lsi_json_key(j, "score");
	lsi_json_int(j, f->score);
	lsi_json_key(j, "category");
	lsi_json_cstr(j, ls_category_name(f->category));
	lsi_json_key(j, "offset");
	lsi_json_uint(j, f->offset);
	lsi_json_key(j, "reasons");
	lsi_json_arr_begin(j);
	for (size_t k = 0; k < f->reasons_count; k++)
		lsi_json_cstr(j, f->reasons[k]);
	lsi_json_arr_end(j);
	if (f->details_json) {
		lsi_json_key(j, "details");
		lsi_json_raw(j, f->details_json);
	}
	lsi_json_obj_end(j);
	lsi_json_obj_end(j);
}

static void write_invocation(struct ls_reporter *r, struct lsi_json *j, struct lsi_buf *tmp)
{
	bool ok = true;

	for (size_t i = 0; i < r->in_count; i++)
		ok &= r->in[i].status == LS_OK || r->in[i].status == LS_ERR_ABORTED;
	lsi_json_obj_begin(j);
	lsi_json_key(j, "executionSuccessful");
	lsi_json_bool(j, ok);
	if (!ok || r->notice_count) {
		lsi_json_key(j, "toolExecutionNotifications");
		lsi_json_arr_begin(j);
		/* Damage and limits below --min-severity (not results). */
		for (size_t i = 0; i < r->notice_count; i++) {
			lsi_json_obj_begin(j);
			lsi_json_key(j, "level");
			lsi_json_cstr(j, "warning");
			text_obj(j, "message", r->notices[i]);
			lsi_json_obj_end(j);
		}
		for (size_t i = 0; i < r->in_count; i++) {
			if (r->in[i].status == LS_OK || r->in[i].status == LS_ERR_ABORTED)
				continue;
			lsi_buf_reset(tmp);
			lsi_buf_printf(tmp, "%s: %s", r->in[i].path, ls_status_str(r->in[i].status));
			lsi_json_obj_begin(j);
			lsi_json_key(j, "level");
			lsi_json_cstr(j, "error");
			text_obj(j, "message", lsi_buf_str(tmp));
			lsi_json_obj_end(j);
		}
		lsi_json_arr_end(j);
	}
	lsi_json_obj_end(j);
}

static ls_status sarif_begin(struct ls_reporter *r)
{
	struct sarif *x = lsi_calloc(1, sizeof(*x));
	bool ok = true;

	if (!x)
		return LS_ERR_NOMEM;
	r->priv = x;
	lsi_buf_init(&x->b, 64u << 20);
	lsi_buf_init(&x->tmp, 1u << 20);
	if (r->rules)
		for (size_t i = 0; i < ls_rules_count(r->rules) && ok; i++) {
			const char *id;

			if (ls_rules_get(r->rules, i, &id, NULL, NULL, NULL) == LS_OK &&
			    smap_get(&x->def_ix, id) == SIZE_MAX)
				ok = smap_put(&x->def_ix, id, i);
		}
	lsi_json_init(&x->j, &x->b, true);
	lsi_json_obj_begin(&x->j);
	lsi_json_key(&x->j, "$schema");
	lsi_json_cstr(&x->j, "https://json.schemastore.org/sarif-2.1.0.json");
	lsi_json_key(&x->j, "version");
	lsi_json_cstr(&x->j, "2.1.0");
	lsi_json_key(&x->j, "runs");
	lsi_json_arr_begin(&x->j);
	lsi_json_obj_begin(&x->j);
	lsi_json_key(&x->j, "results");
	lsi_json_arr_begin(&x->j);
	return ok ? LS_OK : LS_ERR_NOMEM;
}

static ls_status sarif_add(struct ls_reporter *r, const struct lsi_rfinding *f)
{
	struct sarif *x = r->priv;
	bool ok = true;
	size_t ri = rule_index(r, x, f, &ok);
	size_t ai = ok && f->path_count ? artifact(x, f, f->path_count, &ok) : 0;

	if (!ok)
		return LS_ERR_NOMEM;
	write_result(&x->j, x, ri, ai, f, &x->tmp);
	return x->j.ok ? lsi_report_flush(r, &x->b) : LS_ERR_NOMEM;
}

static ls_status sarif_finish(struct ls_reporter *r)
{
	struct sarif *x = r->priv;
	struct lsi_json *j = &x->j;

	lsi_json_arr_end(j); /* results */
	/* Columns count characters (SARIF's default is UTF-16 code units). */
	lsi_json_key(j, "columnKind");
	lsi_json_cstr(j, "unicodeCodePoints");
	lsi_json_key(j, "tool");
	lsi_json_obj_begin(j);
	lsi_json_key(j, "driver");
	lsi_json_obj_begin(j);
	lsi_json_key(j, "name");
	lsi_json_cstr(j, "leakscan");
	lsi_json_key(j, "version");
	lsi_json_cstr(j, ls_version_string());
	lsi_json_key(j, "semanticVersion");
	lsi_json_cstr(j, ls_version_string());
	lsi_json_key(j, "rules");
	lsi_json_arr_begin(j);
	for (size_t i = 0; i < x->rule_count; i++)
		write_rule(r, j, &x->rules[i], &x->tmp);
	lsi_json_arr_end(j);
	lsi_json_obj_end(j);
	lsi_json_obj_end(j);
	lsi_json_key(j, "invocations");
	lsi_json_arr_begin(j);
	write_invocation(r, j, &x->tmp);
	lsi_json_arr_end(j);
	lsi_json_key(j, "artifacts");
	lsi_json_arr_begin(j);
	for (size_t i = 0; i < x->art_count; i++) {
		lsi_json_obj_begin(j);
		lsi_json_key(j, "location");
		lsi_json_obj_begin(j);
		lsi_json_key(j, "uri");
		lsi_json_cstr(j, x->art_uri[i]);
		lsi_json_obj_end(j);
		if (x->art_parent[i] != SIZE_MAX) {
			lsi_json_key(j, "parentIndex");
			lsi_json_uint(j, x->art_parent[i]);
		}
		lsi_json_obj_end(j);
	}
	lsi_json_arr_end(j);
	lsi_json_obj_end(j); /* the run */
	lsi_json_arr_end(j);
	lsi_json_obj_end(j);
	lsi_buf_putc(&x->b, '\n');
	return j->ok ? lsi_report_flush(r, &x->b) : LS_ERR_NOMEM;
}

static void sarif_free(struct ls_reporter *r)
{
	struct sarif *x = r->priv;

	if (!x)
		return;
	for (size_t i = 0; i < x->art_count; i++)
		lsi_free(x->art_uri[i]);
	lsi_free(x->art_uri);
	lsi_free(x->art_parent);
	for (size_t i = 0; i < x->rule_count; i++) {
		lsi_free(x->rules[i].id);
		lsi_free(x->rules[i].name);
	}
	lsi_free(x->rules);
	smap_fini(&x->rule_ix);
	smap_fini(&x->def_ix);
	smap_fini(&x->art_ix);
	lsi_buf_fini(&x->tmp);
	lsi_buf_fini(&x->b);
	lsi_free(x);
}

const struct lsi_reporter_ops lsi_report_sarif = {
	"sarif", false, sarif_begin, sarif_add, sarif_finish, sarif_free,
};
