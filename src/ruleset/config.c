/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The config file (.leakscan.yaml): disabled rules, severity overrides,
 * internal domains, forbidden marker strings and ignore entries. Internal
 * domains and markers become ordinary content rules here, so the engine
 * needs no special case for them.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include <yaml.h>

#include "ruleset.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "yaml_util.h"

static bool load_list(struct lsi_ruleset *rs, const char *file, yaml_document_t *doc,
		      yaml_node_t *v, const char *key, struct lsi_strlist *l)
{
	if (v->type != YAML_SEQUENCE_NODE) {
		lsi_ruleset_diag(rs, file, lsi_yaml_line(v), "'%s' must be a list", key);
		return true;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(doc, *it);

		if (!e || e->type != YAML_SCALAR_NODE || e->data.scalar.length == 0) {
			lsi_ruleset_diag(rs, file, e ? lsi_yaml_line(e) : 0,
					 "'%s' items must be non-empty strings", key);
			continue;
		}
		if (!lsi_strlist_add(l, (const char *)e->data.scalar.value,
				     e->data.scalar.length, lsi_yaml_line(e)))
			return false;
	}
	return true;
}

/* 32 hex digits, as findings carry them; upper case is folded. */
static bool valid_fingerprint(char *fp)
{
	size_t n = 0;

	for (; fp[n]; n++) {
		if (fp[n] >= 'A' && fp[n] <= 'F')
			fp[n] = (char)(fp[n] - 'A' + 'a');
		if (!((fp[n] >= '0' && fp[n] <= '9') || (fp[n] >= 'a' && fp[n] <= 'f')))
			return false;
	}
	return n == 32;
}

static bool valid_date(const char *s)
{
	int y, m, d;
	char tail;

	return strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 &&
	       m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static bool load_ignores(struct lsi_ruleset *rs, const char *file, yaml_document_t *doc,
			 yaml_node_t *v)
{
	if (v->type != YAML_SEQUENCE_NODE) {
		lsi_ruleset_diag(rs, file, lsi_yaml_line(v), "'ignore' must be a list");
		return true;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		yaml_node_t *m = yaml_document_get_node(doc, *it);
		struct lsi_ignore ig = { 0 }, *n;
		bool bad = false;

		if (!m || m->type != YAML_MAPPING_NODE) {
			lsi_ruleset_diag(rs, file, m ? lsi_yaml_line(m) : 0,
					 "each 'ignore' entry is a mapping");
			continue;
		}
		ig.line = lsi_yaml_line(m);
		for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
		     p < m->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);
			yaml_node_t *val = yaml_document_get_node(doc, p->value);
			char **dst = NULL;
			const char *key;

			if (!k || k->type != YAML_SCALAR_NODE || !val)
				continue;
			key = (const char *)k->data.scalar.value;
			if (strcmp(key, "fingerprint") == 0)
				dst = &ig.fingerprint;
			else if (strcmp(key, "rule") == 0)
				dst = &ig.rule;
			else if (strcmp(key, "path") == 0)
				dst = &ig.path_glob;
			else if (strcmp(key, "reason") == 0)
				dst = &ig.reason;
			else if (strcmp(key, "expires") == 0)
				dst = &ig.expires;
			if (!dst) {
				lsi_ruleset_diag(rs, file, lsi_yaml_line(k), "unknown ignore key '%s'", key);
				bad = true;
				continue;
			}
			if (val->type != YAML_SCALAR_NODE) {
				lsi_ruleset_diag(rs, file, lsi_yaml_line(val), "'%s' must be a string", key);
				bad = true;
				continue;
			}
			lsi_free(*dst);
			if (!(*dst = lsi_strdup((const char *)val->data.scalar.value)))
				return false;
		}
		if (!ig.reason || !ig.reason[strspn(ig.reason, " \t")]) {
			lsi_ruleset_diag(rs, file, ig.line, "an ignore entry needs a 'reason'%s",
					 ig.reason ? " that says something" : "");
			bad = true;
		}
		if (!ig.fingerprint && !ig.rule && !ig.path_glob) {
			lsi_ruleset_diag(rs, file, ig.line,
					 "an ignore entry needs a 'fingerprint', 'rule' or 'path'");
			bad = true;
		}
		if (ig.fingerprint && !valid_fingerprint(ig.fingerprint)) {
			lsi_ruleset_diag(rs, file, ig.line,
					 "'fingerprint' must be a finding's fingerprint, 32 hex digits (the "
					 "'fingerprint' field of --format json), not '%.80s'", ig.fingerprint);
			bad = true;
		}
		if (ig.expires && !valid_date(ig.expires)) {
			lsi_ruleset_diag(rs, file, ig.line, "'expires' must be a date YYYY-MM-DD");
			bad = true;
		}
		n = bad ? NULL : lsi_realloc(rs->ignores, (rs->ignore_count + 1) * sizeof(*n));
		if (n) {
			rs->ignores = n;
			rs->ignores[rs->ignore_count++] = ig;
			continue;
		}
		lsi_free(ig.fingerprint);
		lsi_free(ig.rule);
		lsi_free(ig.path_glob);
		lsi_free(ig.reason);
		lsi_free(ig.expires);
		if (!bad)
			return false;
	}
	return true;
}

static bool load_severities(struct lsi_ruleset *rs, const char *file, yaml_document_t *doc,
			    yaml_node_t *v)
{
	if (v->type != YAML_MAPPING_NODE) {
		lsi_ruleset_diag(rs, file, lsi_yaml_line(v),
				 "'severity' must map rule ids to severities");
		return true;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
	     p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *val = yaml_document_get_node(doc, p->value);
		ls_severity sev;
		ls_severity *nv;

		if (!k || !val || k->type != YAML_SCALAR_NODE || val->type != YAML_SCALAR_NODE) {
			lsi_ruleset_diag(rs, file, k ? lsi_yaml_line(k) : 0,
					 "severity entries are 'rule-id: info|low|medium|high|critical'");
			continue;
		}
		if (ls_severity_parse((const char *)val->data.scalar.value, &sev) != LS_OK) {
			lsi_ruleset_diag(rs, file, lsi_yaml_line(val),
					 "severity of '%s' is '%s', not one of info, low, medium, "
					 "high, critical",
					 (const char *)k->data.scalar.value,
					 (const char *)val->data.scalar.value);
			continue;
		}
		nv = lsi_realloc(rs->sev_vals, (rs->sev_ids.count + 1) * sizeof(*nv));
		if (!nv)
			return false;
		rs->sev_vals = nv;
		nv[rs->sev_ids.count] = sev;
		if (!lsi_strlist_add(&rs->sev_ids, (const char *)k->data.scalar.value,
				     k->data.scalar.length, lsi_yaml_line(k)))
			return false;
	}
	return true;
}

ls_status lsi_ruleset_load_config(struct lsi_ruleset *rs, const char *path)
{
	yaml_document_t doc;
	yaml_node_t *root;
	size_t len = 0;
	char *data = lsi_read_small_file(rs, path, &len);
	bool ok = true;

	if (!data)
		return LS_OK;
	lsi_free(rs->config_file);
	if (!(rs->config_file = lsi_strdup(path))) {
		lsi_free(data);
		return LS_ERR_NOMEM;
	}
	{
		struct stat sb;

		rs->config_known = stat(path, &sb) == 0;
		rs->config_dev = rs->config_known ? (uint64_t)sb.st_dev : 0;
		rs->config_ino = rs->config_known ? (uint64_t)sb.st_ino : 0;
	}
	if (!lsi_yaml_parse(rs, path, data, len, &doc)) {
		lsi_free(data);
		return LS_OK;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && root->type != YAML_MAPPING_NODE)
		lsi_ruleset_diag(rs, path, lsi_yaml_line(root), "the config file is a mapping");
	else if (root)
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		     ok && p < root->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(&doc, p->key);
			yaml_node_t *v = yaml_document_get_node(&doc, p->value);
			const char *key;

			if (!k || !v || k->type != YAML_SCALAR_NODE)
				continue;
			key = (const char *)k->data.scalar.value;
			if (strcmp(key, "disable") == 0)
				ok = load_list(rs, path, &doc, v, key, &rs->disable);
			else if (strcmp(key, "internal_domains") == 0)
				ok = load_list(rs, path, &doc, v, key, &rs->internal_domains);
			else if (strcmp(key, "markers") == 0)
				ok = load_list(rs, path, &doc, v, key, &rs->markers);
			else if (strcmp(key, "severity") == 0)
				ok = load_severities(rs, path, &doc, v);
			else if (strcmp(key, "ignore") == 0)
				ok = load_ignores(rs, path, &doc, v);
			else
				lsi_ruleset_diag(rs, path, lsi_yaml_line(k),
						 "unknown config key '%s' (expected disable, severity, "
						 "internal_domains, markers, ignore)", key);
		}
	yaml_document_delete(&doc);
	lsi_free(data);
	return ok ? LS_OK : LS_ERR_NOMEM;
}

/* Appends @s to @b with every PCRE2 metacharacter escaped. */
static bool append_literal(struct lsi_buf *b, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\^$.[]|()?*+{}#- ", *s) && !lsi_buf_putc(b, '\\'))
			return false;
		if (!lsi_buf_putc(b, *s))
			return false;
	}
	return true;
}

static bool valid_domain(const char *s)
{
	size_t n = strlen(s);

	if (n < 3 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '.' || *s == '-'))
			return false;
	return true;
}

/*
 * A common public top-level domain: as an internal domain it would make
 * a good part of the internet internal. A private one ("acme", "lan")
 * is a name a network may well use.
 */
static bool public_tld(const char *dom)
{
	static const char *const tlds[] = {
		"com", "net", "org", "io", "dev", "app", "co", "ai", "cloud", "info", "biz",
		"edu", "gov", "mil", "int", "us", "uk", "de", "fr", "jp", "cn", "ru", "eu",
		"me", "xyz", "online", "site", "tech",
	};

	for (size_t i = 0; i < sizeof(tlds) / sizeof(*tlds); i++)
		if (strcasecmp(dom, tlds[i]) == 0)
			return true;
	return false;
}

static ls_status add_generated(struct lsi_ruleset *rs, const char *id, const char *name,
			       ls_category cat, const char *pattern, unsigned line)
{
	struct lsi_rule *n, *r;

	if (rs->count == rs->cap) {
		size_t ncap = rs->cap ? rs->cap * 2 : 64;

		if (!(n = lsi_realloc(rs->rules, ncap * sizeof(*n))))
			return LS_ERR_NOMEM;
		rs->rules = n;
		rs->cap = ncap;
	}
	r = &rs->rules[rs->count];
	memset(r, 0, sizeof(*r));
	r->category = cat;
	r->severity = LS_SEV_MEDIUM;
	r->line = line;
	r->generated = true;
	r->id = lsi_strdup(id);
	r->name = lsi_strdup(name);
	r->pattern = lsi_strdup(pattern);
	r->file = lsi_strdup(rs->config_file ? rs->config_file : "config");
	if (!r->id || !r->name || !r->pattern || !r->file) {
		lsi_free(r->id);
		lsi_free(r->name);
		lsi_free(r->pattern);
		lsi_free(r->file);
		return LS_ERR_NOMEM;
	}
	rs->count++;
	return LS_OK;
}

void lsi_today(char out[16])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

/* An id in section @what that names no rule; a near id is suggested. */
static void unknown_rule(struct lsi_ruleset *rs, const char *cfg, unsigned line,
			 const char *what, const char *id)
{
	const struct lsi_rule *near = lsi_ruleset_near(rs, id);

	if (near)
		lsi_ruleset_diag(rs, cfg, line, "'%s' names unknown rule '%s' (did you mean '%s'?)",
				 what, id, near->id);
	else
		lsi_ruleset_diag(rs, cfg, line, "'%s' names unknown rule '%s'", what, id);
}

/*
 * The rules the config makes (internal_domains, markers), first: their
 * ids (config-internal-domain-N, config-marker-N) may then be named in
 * disable, ignore and severity like any other.
 */
static ls_status generate(struct lsi_ruleset *rs, const char *cfg)
{
	ls_status st = LS_OK;

	for (size_t i = 0; i < rs->internal_domains.count && st == LS_OK; i++) {
		const char *dom = rs->internal_domains.items[i];
		struct lsi_buf pat, id, name;

		if (!valid_domain(dom)) {
			lsi_ruleset_diag(rs, cfg, rs->internal_domains.lines[i],
					 "'%s' is not a domain name%s", dom,
					 dom[0] == '*' ? " (write the domain without '*.': hosts "
							 "under it are covered)" : "");
			continue;
		}
		if (public_tld(dom)) {
			/* "net" would make every .net host internal. */
			lsi_ruleset_diag(rs, cfg, rs->internal_domains.lines[i],
					 "'%s' is a public top-level domain: name your own domain "
					 "under it (e.g. 'acme.%s')", dom, dom);
			continue;
		}
		lsi_buf_init(&pat, 4096);
		lsi_buf_init(&id, 128);
		lsi_buf_init(&name, 512);
		/* The domain itself or any host under it, as a whole label run. */
		if (!lsi_buf_puts(&pat, "(?i)(?<![A-Za-z0-9.-])(?:[a-z0-9-]{1,63}\\.){0,8}") ||
		    !append_literal(&pat, dom) || !lsi_buf_puts(&pat, "(?![A-Za-z0-9-])") ||
		    !lsi_buf_printf(&id, "config-internal-domain-%zu", i + 1) ||
		    !lsi_buf_printf(&name, "Host under internal domain %s", dom))
			st = LS_ERR_NOMEM;
		else
			st = add_generated(rs, lsi_buf_str(&id), lsi_buf_str(&name),
					   LS_CAT_INTERNAL_URL, lsi_buf_str(&pat),
					   rs->internal_domains.lines[i]);
		lsi_buf_fini(&pat);
		lsi_buf_fini(&id);
		lsi_buf_fini(&name);
	}
	for (size_t i = 0; i < rs->markers.count && st == LS_OK; i++) {
		struct lsi_buf pat, id, name;

		if (strlen(rs->markers.items[i]) < 3) {
			/* Shorter strings are everywhere, and give Hyperscan
			 * nothing to anchor on. */
			lsi_ruleset_diag(rs, cfg, rs->markers.lines[i],
					 "marker '%s' is too short: at least 3 characters",
					 rs->markers.items[i]);
			continue;
		}
		lsi_buf_init(&pat, 4096);
		lsi_buf_init(&id, 128);
		lsi_buf_init(&name, 512);
		if (!append_literal(&pat, rs->markers.items[i]) ||
		    !lsi_buf_printf(&id, "config-marker-%zu", i + 1) ||
		    !lsi_buf_printf(&name, "Forbidden marker \"%.200s\"", rs->markers.items[i]))
			st = LS_ERR_NOMEM;
		else
			st = add_generated(rs, lsi_buf_str(&id), lsi_buf_str(&name),
					   LS_CAT_DEBUG_LOG, lsi_buf_str(&pat), rs->markers.lines[i]);
		lsi_buf_fini(&pat);
		lsi_buf_fini(&id);
		lsi_buf_fini(&name);
	}
	return st;
}

ls_status lsi_ruleset_apply_config(struct lsi_ruleset *rs)
{
	const char *cfg = rs->config_file ? rs->config_file : "config";
	ls_status st = LS_OK;
	char today[16];

	lsi_today(today);
	if ((st = generate(rs, cfg)) != LS_OK)
		return st;

	for (size_t i = 0; i < rs->disable.count; i++) {
		struct lsi_rule *r = lsi_ruleset_find(rs, rs->disable.items[i]);

		if (r)
			r->disabled = true;
		else
			unknown_rule(rs, cfg, rs->disable.lines[i], "disable", rs->disable.items[i]);
	}
	for (size_t i = 0; i < rs->ignore_count; i++) {
		/* A misspelt id would ignore nothing, silently. The scanner's
		 * own notes are not rules but can be ignored too. */
		static const char *const notes[] = {
			LS_NOTE_LIMIT, LS_NOTE_DAMAGE, LS_NOTE_SYMLINK,
		};
		const char *id = rs->ignores[i].rule;
		bool known = !id || lsi_ruleset_find(rs, id);

		for (size_t k = 0; !known && k < sizeof(notes) / sizeof(*notes); k++)
			known = strcmp(id, notes[k]) == 0;
		if (!known)
			unknown_rule(rs, cfg, rs->ignores[i].line, "ignore", id);
		if (lsi_ignore_lapsed(&rs->ignores[i], today))
			/* It silently stops applying otherwise: say so each run. */
			lsi_ruleset_warn(rs, cfg, rs->ignores[i].line,
					 "this ignore entry expired on %s and no longer applies",
					 rs->ignores[i].expires);
	}
	for (size_t i = 0; i < rs->sev_ids.count; i++) {
		struct lsi_rule *r = lsi_ruleset_find(rs, rs->sev_ids.items[i]);

		if (r)
			r->severity = rs->sev_vals[i];
		else
			unknown_rule(rs, cfg, rs->sev_ids.lines[i], "severity", rs->sev_ids.items[i]);
	}
	return st;
}
