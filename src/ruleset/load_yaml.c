/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule-file loader: libyaml's document API (rule files are small), schema
 * checks with file:line diagnostics. Unknown keys are errors so a typo in
 * a rule never silently disables a check.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "ruleset.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "yaml_util.h"

#define MAX_RULE_FILE_BYTES (16u << 20)

void lsi_ruleset_init(struct lsi_ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
}

void lsi_strlist_fini(struct lsi_strlist *l)
{
	for (size_t i = 0; i < l->count; i++)
		lsi_free(l->items[i]);
	lsi_free(l->items);
	lsi_free(l->lines);
	memset(l, 0, sizeof(*l));
}

bool lsi_strlist_add(struct lsi_strlist *l, const char *s, size_t len, unsigned line)
{
	char **ni = lsi_realloc(l->items, (l->count + 1) * sizeof(*ni));
	unsigned *nl;

	if (!ni)
		return false;
	l->items = ni;
	nl = lsi_realloc(l->lines, (l->count + 1) * sizeof(*nl));
	if (!nl)
		return false;
	l->lines = nl;
	l->items[l->count] = lsi_strndup(s, len);
	if (!l->items[l->count])
		return false;
	l->lines[l->count++] = line;
	return true;
}

/* A list whose items are borrowed: only its arrays are the rule's. */
static void borrowed_list_fini(struct lsi_strlist *l)
{
	lsi_free(l->items);
	lsi_free(l->lines);
	memset(l, 0, sizeof(*l));
}

static void rule_fini(struct lsi_rule *r)
{
	if (r->borrowed) {
		borrowed_list_fini(&r->references);
		borrowed_list_fini(&r->examples);
		borrowed_list_fini(&r->negatives);
		return;
	}
	lsi_free(r->id);
	lsi_free(r->name);
	lsi_free(r->pattern);
	lsi_free(r->hs_pattern);
	lsi_free(r->validator);
	lsi_free(r->no_literal);
	lsi_free(r->file);
	lsi_strlist_fini(&r->references);
	lsi_strlist_fini(&r->examples);
	lsi_strlist_fini(&r->negatives);
}

void lsi_ruleset_fini(struct lsi_ruleset *rs)
{
	for (size_t i = 0; i < rs->count; i++)
		rule_fini(&rs->rules[i]);
	lsi_free(rs->rules);
	lsi_free(rs->by_id);
	lsi_strlist_fini(&rs->internal_domains);
	lsi_strlist_fini(&rs->markers);
	for (size_t i = 0; i < rs->ignore_count; i++) {
		struct lsi_ignore *ig = &rs->ignores[i];

		lsi_free(ig->fingerprint);
		lsi_free(ig->rule);
		lsi_free(ig->path_glob);
		lsi_free(ig->reason);
		lsi_free(ig->expires);
	}
	lsi_free(rs->ignores);
	lsi_free(rs->config_file);
	lsi_strlist_fini(&rs->disable);
	lsi_strlist_fini(&rs->sev_ids);
	lsi_free(rs->sev_vals);
	memset(rs, 0, sizeof(*rs));
}

static void say(const struct lsi_ruleset *rs, const char *file, unsigned line, const char *fmt,
		va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (rs->diag)
		rs->diag(file, line, msg, rs->diag_user);
}

void lsi_ruleset_diag(struct lsi_ruleset *rs, const char *file, unsigned line,
		      const char *fmt, ...)
{
	va_list ap;

	rs->errors++;
	va_start(ap, fmt);
	say(rs, file, line, fmt, ap);
	va_end(ap);
}

void lsi_ruleset_warn(const struct lsi_ruleset *rs, const char *file, unsigned line,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(rs, file, line, fmt, ap);
	va_end(ap);
}

static const char *const category_names[] = {
	"secret", "internal-url", "debug-log", "source-exposure",
	"sensitive-file", "debug-info",
};

bool lsi_category_parse(const char *s, ls_category *out)
{
	for (size_t i = 0; i < sizeof(category_names) / sizeof(*category_names); i++)
		if (strcmp(s, category_names[i]) == 0) {
			*out = (ls_category)i;
			return true;
		}
	return false;
}

static bool valid_id(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
			return false;
	return true;
}

/* Reads a sequence of scalars into @l; diagnostics on anything else. */
static bool load_strlist(struct lsi_ruleset *rs, const char *file,
			 yaml_document_t *doc, yaml_node_t *n, const char *key,
			 struct lsi_strlist *l)
{
	if (n->type != YAML_SEQUENCE_NODE) {
		lsi_ruleset_diag(rs, file, lsi_yaml_line(n), "'%s' must be a list", key);
		return true;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(doc, *it);

		if (!e || e->type != YAML_SCALAR_NODE) {
			lsi_ruleset_diag(rs, file, e ? lsi_yaml_line(e) : 0,
					 "'%s' items must be strings", key);
			continue;
		}
		if (!lsi_strlist_add(l, (const char *)e->data.scalar.value,
				     e->data.scalar.length, lsi_yaml_line(e)))
			return false;
	}
	return true;
}

static bool push_rule(struct lsi_ruleset *rs, struct lsi_rule **out)
{
	if (rs->count == rs->cap) {
		size_t ncap = rs->cap ? rs->cap * 2 : 64;
		struct lsi_rule *n = lsi_realloc(rs->rules, ncap * sizeof(*n));

		if (!n)
			return false;
		rs->rules = n;
		rs->cap = ncap;
	}
	*out = &rs->rules[rs->count];
	memset(*out, 0, sizeof(**out));
	return true;
}

/* Parses one rule mapping; false only on OOM. */
static bool load_rule(struct lsi_ruleset *rs, const char *file,
		      yaml_document_t *doc, yaml_node_t *m, bool builtin)
{
	struct lsi_rule *r;
	unsigned line = lsi_yaml_line(m);
	size_t errors_before = rs->errors;
	bool has_category = false, has_severity = false;

	if (m->type != YAML_MAPPING_NODE) {
		lsi_ruleset_diag(rs, file, line, "a rule must be a mapping");
		return true;
	}
	if (!push_rule(rs, &r))
		return false;
	r->line = line;
	r->builtin = builtin;
	r->severity = LS_SEV_MEDIUM;
	if (!(r->file = lsi_strdup(file)))
		goto oom;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *key, *val;

		if (!k || k->type != YAML_SCALAR_NODE || !v)
			continue;
		key = (const char *)k->data.scalar.value;
		val = v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : NULL;
		if (strcmp(key, "references") == 0) {
			if (!load_strlist(rs, file, doc, v, key, &r->references))
				goto oom;
			continue;
		}
		if (strcmp(key, "examples") == 0) {
			if (!load_strlist(rs, file, doc, v, key, &r->examples))
				goto oom;
			continue;
		}
		if (strcmp(key, "negative_examples") == 0) {
			if (!load_strlist(rs, file, doc, v, key, &r->negatives))
				goto oom;
			continue;
		}
		if (!val) {
			lsi_ruleset_diag(rs, file, lsi_yaml_line(v), "'%s' must be a string", key);
			continue;
		}
		if (strcmp(key, "id") == 0) {
			if (!valid_id(val))
				lsi_ruleset_diag(rs, file, lsi_yaml_line(v),
						 "invalid rule id '%s' (lowercase letters, digits, '-')", val);
			lsi_free(r->id);
			if (!(r->id = lsi_strdup(val)))
				goto oom;
		} else if (strcmp(key, "name") == 0) {
			lsi_free(r->name);
			if (!(r->name = lsi_strdup(val)))
				goto oom;
		} else if (strcmp(key, "category") == 0) {
			has_category = true;
			if (!lsi_category_parse(val, &r->category))
				lsi_ruleset_diag(rs, file, lsi_yaml_line(v), "unknown category '%s'", val);
		} else if (strcmp(key, "severity") == 0) {
			has_severity = true;
			if (ls_severity_parse(val, &r->severity) != LS_OK)
				lsi_ruleset_diag(rs, file, lsi_yaml_line(v), "unknown severity '%s'", val);
		} else if (strcmp(key, "target") == 0) {
			if (strcmp(val, "path") == 0)
				r->path_rule = true;
			else if (strcmp(val, "analyzer") == 0)
				r->analyzer = true;
			else if (strcmp(val, "content") != 0)
				lsi_ruleset_diag(rs, file, lsi_yaml_line(v),
						 "target must be 'content', 'path' or 'analyzer', not '%s'", val);
		} else if (strcmp(key, "pattern") == 0) {
			r->pattern_line = lsi_yaml_line(v);
			lsi_free(r->pattern);
			if (!(r->pattern = lsi_strdup(val)))
				goto oom;
		} else if (strcmp(key, "hs_pattern") == 0) {
			lsi_free(r->hs_pattern);
			if (!(r->hs_pattern = lsi_strdup(val)))
				goto oom;
		} else if (strcmp(key, "min_entropy") == 0) {
			char *end;
			double d = strtod(val, &end);

			if (end == val || *end || d < 0 || d > 8)
				lsi_ruleset_diag(rs, file, lsi_yaml_line(v),
						 "min_entropy must be a number from 0 to 8");
			else
				r->min_entropy = d;
		} else if (strcmp(key, "no_literal_reason") == 0) {
			lsi_free(r->no_literal);
			if (!(r->no_literal = lsi_strdup(val)))
				goto oom;
		} else if (strcmp(key, "validator") == 0) {
			lsi_free(r->validator);
			if (!(r->validator = lsi_strdup(val)))
				goto oom;
		} else {
			lsi_ruleset_diag(rs, file, lsi_yaml_line(k), "unknown key '%s'", key);
		}
	}
	if (!r->id)
		lsi_ruleset_diag(rs, file, line, "rule has no id");
	/* No defaults: a forgotten severity would hide a finding under
	 * --fail-on, a forgotten category would judge it as a secret. */
	if (!has_category)
		lsi_ruleset_diag(rs, file, line, "rule '%s' has no category (secret, internal-url, "
				 "debug-log, debug-info, sensitive-file, source-exposure)",
				 r->id ? r->id : "?");
	if (!has_severity)
		lsi_ruleset_diag(rs, file, line, "rule '%s' has no severity (info, low, medium, high, "
				 "critical)", r->id ? r->id : "?");
	if (!r->pattern && !r->analyzer)
		lsi_ruleset_diag(rs, file, line, "rule '%s' has no pattern", r->id ? r->id : "?");
	if (r->pattern && r->analyzer)
		lsi_ruleset_diag(rs, file, line, "analyzer rule '%s' takes no pattern", r->id ? r->id : "?");
	if (!r->name && r->id && !(r->name = lsi_strdup(r->id)))
		goto oom;
	if (rs->errors != errors_before) {
		/* Drop a broken rule so later stages only see complete ones. */
		rule_fini(r);
		return true;
	}
	rs->count++;
	return true;
oom:
	rule_fini(r);
	return false;
}

ls_status lsi_ruleset_load_mem(struct lsi_ruleset *rs, const char *label,
			       const char *buf, size_t len, bool builtin)
{
	yaml_document_t doc;
	yaml_node_t *root, *rules = NULL;
	ls_status st = LS_OK;

	if (!lsi_yaml_parse(rs, label, buf, len, &doc))
		return LS_OK;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		lsi_ruleset_diag(rs, label, 1, "empty rule file");
		goto out;
	}
	if (root->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		     p < root->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(&doc, p->key);

			if (k && k->type == YAML_SCALAR_NODE &&
			    strcmp((const char *)k->data.scalar.value, "rules") == 0)
				rules = yaml_document_get_node(&doc, p->value);
			else if (k && k->type == YAML_SCALAR_NODE)
				lsi_ruleset_diag(rs, label, lsi_yaml_line(k),
						 "unknown top-level key '%.100s' (expected 'rules')",
						 (const char *)k->data.scalar.value);
			else
				lsi_ruleset_diag(rs, label, k ? lsi_yaml_line(k) : 0,
						 "unknown top-level key (expected 'rules')");
		}
	}
	if (!rules || rules->type != YAML_SEQUENCE_NODE) {
		lsi_ruleset_diag(rs, label, lsi_yaml_line(root),
				 "a rule file is a mapping with a 'rules' list");
		goto out;
	}
	for (yaml_node_item_t *it = rules->data.sequence.items.start;
	     it < rules->data.sequence.items.top; it++) {
		yaml_node_t *m = yaml_document_get_node(&doc, *it);

		if (m && !load_rule(rs, label, &doc, m, builtin)) {
			st = LS_ERR_NOMEM;
			break;
		}
	}
out:
	yaml_document_delete(&doc);
	return st;
}

/* Reads a whole (small) file; diagnostics on failure. */
char *lsi_read_small_file(struct lsi_ruleset *rs, const char *path, size_t *len)
{
	struct lsi_buf b;
	char tmp[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		lsi_ruleset_diag(rs, path, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	lsi_buf_init(&b, MAX_RULE_FILE_BYTES);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0) {
		if (!lsi_buf_append(&b, tmp, (size_t)n)) {
			lsi_ruleset_diag(rs, path, 0, "file too large (over %u bytes) or out of memory",
					 MAX_RULE_FILE_BYTES);
			close(fd);
			lsi_buf_fini(&b);
			return NULL;
		}
	}
	if (n < 0) {
		lsi_ruleset_diag(rs, path, 0, "cannot read: %s", strerror(errno));
		close(fd);
		lsi_buf_fini(&b);
		return NULL;
	}
	close(fd);
	*len = b.len;
	return lsi_buf_steal(&b);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_yaml_name(const char *n)
{
	size_t l = strlen(n);

	return (l > 4 && strcmp(n + l - 4, ".yml") == 0) ||
	       (l > 5 && strcmp(n + l - 5, ".yaml") == 0);
}

static ls_status load_dir(struct lsi_ruleset *rs, const char *dir, int depth, size_t *files)
{
	int dlen = (int)strnlen(dir, 4096);
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t count = 0;
	ls_status st = LS_OK;

	if (depth > 16) {
		lsi_ruleset_diag(rs, dir, 0, "rule directories nested too deep");
		return LS_OK;
	}
	if (!(d = opendir(dir))) {
		lsi_ruleset_diag(rs, dir, 0, "cannot open directory: %s", strerror(errno));
		return LS_OK;
	}
	while ((e = readdir(d))) {
		char **nn;

		if (e->d_name[0] == '.')
			continue;
		nn = lsi_realloc(names, (count + 1) * sizeof(*nn));
		if (!nn || !(nn[count] = lsi_strdup(e->d_name))) {
			names = nn ? nn : names;
			st = LS_ERR_NOMEM;
			break;
		}
		names = nn;
		count++;
	}
	closedir(d);
	if (count)
		qsort(names, count, sizeof(*names), cmp_str);
	/* "rules/" names its files rules/x.yml, not rules//x.yml. */
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	for (size_t i = 0; i < count && st == LS_OK; i++) {
		struct lsi_buf p;
		struct stat sb;

		lsi_buf_init(&p, 4096);
		if (!lsi_buf_printf(&p, "%.*s/%s", dlen, dir, names[i])) {
			lsi_buf_fini(&p);
			continue;
		}
		/* lstat: a link in a rule folder is not followed. */
		if (lstat(lsi_buf_str(&p), &sb) == 0) {
			if (S_ISDIR(sb.st_mode)) {
				st = load_dir(rs, lsi_buf_str(&p), depth + 1, files);
			} else if (S_ISREG(sb.st_mode) && is_yaml_name(names[i])) {
				st = lsi_ruleset_load_path(rs, lsi_buf_str(&p));
				(*files)++;
			}
		}
		lsi_buf_fini(&p);
	}
	for (size_t i = 0; i < count; i++)
		lsi_free(names[i]);
	lsi_free(names);
	return st;
}

ls_status lsi_ruleset_load_path(struct lsi_ruleset *rs, const char *path)
{
	struct stat sb;
	char *data;
	size_t len = 0;
	ls_status st;

	if (stat(path, &sb) != 0) {
		lsi_ruleset_diag(rs, path, 0, "cannot open: %s", strerror(errno));
		return LS_OK;
	}
	if (S_ISDIR(sb.st_mode)) {
		size_t files = 0;

		st = load_dir(rs, path, 0, &files);
		/* A mistyped folder, or .yaml files named .txt: no rules at all is
		 * never what --rules asked for. */
		if (st == LS_OK && !files)
			lsi_ruleset_diag(rs, path, 0, "no rule files (*.yml, *.yaml) in this directory");
		return st;
	}
	if (!(data = lsi_read_small_file(rs, path, &len)))
		return LS_OK;
	st = lsi_ruleset_load_mem(rs, path, data, len, false);
	lsi_free(data);
	return st;
}

/* The first position in rs->by_id whose id is not below @id. */
static size_t lower_bound(const struct lsi_ruleset *rs, const char *id)
{
	size_t lo = 0, hi = rs->by_id_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(rs->rules[rs->by_id[mid]].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct lsi_rule *lsi_ruleset_find(struct lsi_ruleset *rs, const char *id)
{
	if (rs->by_id && rs->by_id_count == rs->count) {
		size_t k = lower_bound(rs, id);

		return k < rs->by_id_count && strcmp(rs->rules[rs->by_id[k]].id, id) == 0
			       ? &rs->rules[rs->by_id[k]]
			       : NULL;
	}
	for (size_t i = 0; i < rs->count; i++)
		if (rs->rules[i].id && strcmp(rs->rules[i].id, id) == 0)
			return &rs->rules[i];
	return NULL;
}

/*
 * Optimal string alignment distance of @a and @b (edits, adjacent swaps
 * included), or @cap + 1 once it must exceed @cap. Ids are short: @a at
 * most 128 bytes.
 */
static size_t edits_within(const char *a, size_t na, const char *b, size_t nb, size_t cap)
{
	size_t prev2[129], prev[129], cur[129];

	if (na > 128 || (na > nb ? na - nb : nb - na) > cap)
		return cap + 1;
	for (size_t j = 0; j <= na; j++)
		prev[j] = j;
	for (size_t i = 1; i <= nb; i++) {
		size_t low = cur[0] = i;

		for (size_t j = 1; j <= na; j++) {
			size_t d = prev[j - 1] + (a[j - 1] != b[i - 1]);

			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[j - 1] == b[i - 2] && a[j - 2] == b[i - 1] &&
			    prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
			if (d < low)
				low = d;
		}
		if (low > cap)
			return cap + 1;
		memcpy(prev2, prev, sizeof(prev));
		memcpy(prev, cur, sizeof(cur));
	}
	return prev[na];
}

struct lsi_rule *lsi_ruleset_near(struct lsi_ruleset *rs, const char *id)
{
	size_t n = strlen(id), cap = n >= 10 ? 2 : 1;

	if (n < 6 || !strchr(id, '-'))
		return NULL;
	for (size_t i = 0; i < rs->count; i++) {
		const char *r = rs->rules[i].id;

		if (r && strcmp(r, id) != 0 && edits_within(id, n, r, strlen(r), cap) <= cap)
			return &rs->rules[i];
	}
	return NULL;
}

static int by_id_then_index(const void *a, const void *b, void *arg)
{
	const struct lsi_ruleset *rs = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(rs->rules[x].id, rs->rules[y].id);

	return c ? c : (x > y) - (x < y);
}

static int by_value(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

void lsi_ruleset_check(struct lsi_ruleset *rs)
{
	size_t *dup;
	size_t ndup = 0;

	lsi_free(rs->by_id);
	rs->by_id = NULL;
	rs->by_id_count = 0;
	if (!rs->count || !(rs->by_id = lsi_malloc(rs->count * sizeof(*rs->by_id))))
		return;
	if (!(dup = lsi_malloc(rs->count * sizeof(*dup)))) {
		lsi_free(rs->by_id);
		rs->by_id = NULL;
		return;
	}
	for (size_t i = 0; i < rs->count; i++)
		rs->by_id[i] = i;
	qsort_r(rs->by_id, rs->count, sizeof(*rs->by_id), by_id_then_index, rs);
	rs->by_id_count = rs->count;
	/* Every later rule of an id is a duplicate of the group's first. */
	for (size_t k = 1; k < rs->count; k++)
		if (strcmp(rs->rules[rs->by_id[k]].id, rs->rules[rs->by_id[k - 1]].id) == 0)
			dup[ndup++] = rs->by_id[k];
	/* Said in rule order, as they are met in the files. */
	qsort(dup, ndup, sizeof(*dup), by_value);
	for (size_t d = 0; d < ndup; d++) {
		const struct lsi_rule *r = &rs->rules[dup[d]];
		const struct lsi_rule *first = &rs->rules[rs->by_id[lower_bound(rs, r->id)]];

		lsi_ruleset_diag(rs, r->file, r->line,
				 "duplicate rule id '%s' (first defined at %s:%u)", r->id, first->file,
				 first->line);
	}
	lsi_free(dup);
}
