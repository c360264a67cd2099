/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ls_rules_bench: what each content rule costs on a reference input. The
 * input is decompressed once into memory; then the whole database and
 * each rule alone (a one-rule engine over a view of the rule set) stream
 * it through the real matcher, so Hyperscan and PCRE2 confirmation are
 * both in the figure. Costs in one database are not additive: its literal
 * matcher is shared, and on source code its cost is spread over hundreds
 * of rules, so the groups' view (the database without each directory of
 * rules, timed interleaved with the whole) is the one that says what a
 * set of rules costs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "decode/decode.h"
#include "engine/engine.h"
#include "util/alloc.h"

#define BENCH_MAX_BYTES (1ull << 30)
#define BENCH_CHUNK (256u << 10)
#define BENCH_MAX_LAYERS 4

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The bytes of @path with up to BENCH_MAX_LAYERS of compression removed. */
static ls_status load_input(const char *path, uint8_t **out, size_t *out_len, char *err,
			    size_t err_len)
{
	uint64_t total = 0;
	struct lsi_guard g = { 0, 0, &total, BENCH_MAX_BYTES, 0, 0 };
	struct lsi_bstream *s;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	enum lsi_rd rd;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*out = NULL;
	*out_len = 0;
	if (fd < 0) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return LS_ERR_IO;
	}
	if (!(s = lsi_bstream_fd(fd, BENCH_CHUNK))) {
		close(fd);
		return LS_ERR_NOMEM;
	}
	for (int layer = 0; layer < BENCH_MAX_LAYERS; layer++) {
		const uint8_t *head;
		size_t head_len;
		const struct lsi_decoder_ops *dec;

		if (!(s = lsi_bstream_peek(s, 512, &head, &head_len, &rd))) {
			close(fd);
			return LS_ERR_NOMEM;
		}
		if (!(dec = lsi_decoder_sniff(head, head_len)))
			break;
		if (!(s = dec->open(s, &g))) {
			close(fd);
			return LS_ERR_NOMEM;
		}
	}
	for (;;) {
		const uint8_t *p;
		size_t n;

		rd = lsi_bstream_read(s, &p, &n);
		if (rd == LSI_RD_EOF)
			break;
		if (rd == LSI_RD_OK && len + n > BENCH_MAX_BYTES) {
			rd = LSI_RD_LIMIT;
			snprintf(s->msg, sizeof(s->msg), "more than 1 GiB decompressed");
		}
		if (rd != LSI_RD_OK) {
			snprintf(err, err_len, "%s: %s", path,
				 rd == LSI_RD_NOMEM ? "out of memory"
				 : s->msg[0]	    ? s->msg
						    : "read failed");
			lsi_bstream_close(s);
			close(fd);
			lsi_free(buf);
			return rd == LSI_RD_NOMEM ? LS_ERR_NOMEM : LS_ERR_IO;
		}
		if (len + n > cap) {
			size_t ncap = cap ? cap * 2 : 1u << 20;
			uint8_t *nb;

			while (ncap < len + n)
				ncap *= 2;
			if (!(nb = lsi_realloc(buf, ncap))) {
				lsi_bstream_close(s);
				close(fd);
				lsi_free(buf);
				return LS_ERR_NOMEM;
			}
			buf = nb;
			cap = ncap;
		}
		memcpy(buf + len, p, n);
		len += n;
	}
	lsi_bstream_close(s);
	close(fd);
	*out = buf;
	*out_len = len;
	return LS_OK;
}

static int count_hit(const struct lsi_hit *h, void *user)
{
	(void)h;
	++*(uint64_t *)user;
	return 0;
}

/* Fastest of @rounds streaming passes of @e over @data. */
static ls_status time_engine(const struct lsi_engine *e, const uint8_t *data, size_t len,
			     unsigned rounds, double *best, uint64_t *findings)
{
	struct lsi_matcher *m;
	ls_status st = lsi_matcher_new(e, &m);

	*best = 0;
	if (st != LS_OK)
		return st;
	for (unsigned r = 0; r < rounds && st == LS_OK; r++) {
		struct lsi_mstream *ms;
		uint64_t hits = 0;
		double t0 = now(), t;
		size_t off = 0;

		if ((st = lsi_mstream_open(m, count_hit, &hits, &ms)) != LS_OK)
			break;
		do {
			size_t n = len - off < BENCH_CHUNK ? len - off : BENCH_CHUNK;

			st = lsi_mstream_push(ms, data + off, n, off + n == len);
			off += n;
		} while (st == LS_OK && off < len);
		if (lsi_mstream_close(ms) != LS_OK && st == LS_OK)
			st = LS_ERR_ENGINE;
		t = now() - t0;
		if (r == 0 || t < *best)
			*best = t;
		*findings = hits;
	}
	lsi_matcher_free(m);
	return st;
}

static int by_cost(const void *a, const void *b)
{
	const ls_rule_cost *x = a, *y = b;

	if (x->seconds != y->seconds)
		return x->seconds < y->seconds ? 1 : -1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/*
 * What both benches begin with: the arguments checked, the outputs
 * cleared, the reference read into *data (*bytes its size).
 */
static ls_status bench_begin(const ls_rules *r, const char *path, unsigned rounds,
			     const void *list, size_t *count, const double *all_seconds,
			     uint64_t *bytes, char *err, size_t err_len, uint8_t **data)
{
	size_t len;
	ls_status st;

	if (!r || !path || !list || !count || !all_seconds || !bytes || !err || !err_len ||
	    !rounds)
		return LS_ERR_INVALID_ARG;
	*count = 0;
	err[0] = '\0';
	if ((st = load_input(path, data, &len, err, err_len)) != LS_OK)
		return st;
	*bytes = len;
	return LS_OK;
}

static int by_saving(const void *a, const void *b)
{
	const ls_group_cost *x = a, *y = b;

	if (x->seconds_without != y->seconds_without)
		return x->seconds_without > y->seconds_without ? 1 : -1;
	return strcmp(x->group, y->group);
}

ls_status ls_rules_bench(const ls_rules *r, const char *path, unsigned rounds,
			 ls_rule_cost **costs, size_t *count, double *all_seconds,
			 uint64_t *bytes, char *err, size_t err_len)
{
	uint8_t *data;
	size_t len, n = 0;
	uint64_t all_findings = 0;
	ls_rule_cost *c;
	ls_status st;

	if (costs)
		*costs = NULL;
	st = bench_begin(r, path, rounds, costs, count, all_seconds, bytes, err, err_len, &data);
	if (st != LS_OK)
		return st;
	len = (size_t)*bytes;
	if (!(c = calloc(r->rs.count + 1, sizeof(*c)))) {
		lsi_free(data);
		return LS_ERR_NOMEM;
	}
	st = time_engine(r->engine, data, len, rounds, all_seconds, &all_findings);
	for (size_t i = 0; i < r->rs.count && st == LS_OK; i++) {
		const struct lsi_rule *rule = &r->rs.rules[i];
		struct lsi_ruleset one;
		struct lsi_engine *e;

		if (rule->path_rule || rule->analyzer || rule->disabled)
			continue;
		/* A view holding just this rule; the engine never frees it. */
		lsi_ruleset_init(&one);
		one.rules = (struct lsi_rule *)rule;
		one.count = one.cap = 1;
		if ((st = lsi_engine_new(&one, NULL, &e)) != LS_OK) {
			snprintf(err, err_len, "rule '%s' does not compile alone", rule->id);
			break;
		}
		c[n].rule = i;
		st = time_engine(e, data, len, rounds, &c[n].seconds, &c[n].findings);
		n++;
		lsi_engine_free(e);
	}
	lsi_free(data);
	if (st != LS_OK) {
		free(c);
		return st;
	}
	qsort(c, n, sizeof(*c), by_cost);
	*costs = c;
	*count = n;
	return LS_OK;
}

/* The directory of @file (the rules' group), into @out. */
static void group_of(const char *file, char *out, size_t n)
{
	const char *slash = file ? strrchr(file, '/') : NULL;

	if (!file || !*file)
		snprintf(out, n, "(no file)");
	else if (!slash)
		snprintf(out, n, ".");
	else
		snprintf(out, n, "%.*s", (int)(slash - file), file);
}

static bool content_rule(const struct lsi_rule *rule)
{
	return !rule->path_rule && !rule->analyzer && !rule->disabled;
}

ls_status ls_rules_bench_groups(const ls_rules *r, const char *path, unsigned rounds,
				ls_group_cost **groups, size_t *count, double *all_seconds,
				uint64_t *bytes, char *err, size_t err_len)
{
	uint8_t *data = NULL;
	size_t len, ng = 0;
	ls_group_cost *g = NULL;
	struct lsi_engine **eng = NULL;
	struct lsi_ruleset *without = NULL; /* per group: views the engines point into */
	char name[sizeof(g->group)];
	ls_status st;

	if (groups)
		*groups = NULL;
	st = bench_begin(r, path, rounds, groups, count, all_seconds, bytes, err, err_len, &data);
	if (st != LS_OK)
		return st;
	len = (size_t)*bytes;
	if (!(g = calloc(r->rs.count + 1, sizeof(*g)))) {
		st = LS_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < r->rs.count; i++) {
		size_t k = 0;

		if (!content_rule(&r->rs.rules[i]))
			continue;
		group_of(r->rs.rules[i].file, name, sizeof(name));
		while (k < ng && strcmp(g[k].group, name) != 0)
			k++;
		if (k == ng)
			memcpy(g[ng++].group, name, sizeof(name));
		g[k].rules++;
	}
	if (!(eng = lsi_calloc(ng + 1, sizeof(*eng))) ||
	    !(without = lsi_calloc(ng + 1, sizeof(*without)))) {
		st = LS_ERR_NOMEM;
		goto out;
	}
	/* One database per group left out, over a view of the rule set: the
	 * same rules (copies sharing their strings, never freed as rules)
	 * with that group's disabled. Engines point into their views. */
	for (size_t k = 0; k < ng && st == LS_OK; k++) {
		struct lsi_rule *view = lsi_malloc((r->rs.count + 1) * sizeof(*view));

		if (!view) {
			st = LS_ERR_NOMEM;
			break;
		}
		memcpy(view, r->rs.rules, r->rs.count * sizeof(*view));
		for (size_t i = 0; i < r->rs.count; i++) {
			group_of(view[i].file, name, sizeof(name));
			if (content_rule(&view[i]) && strcmp(name, g[k].group) == 0)
				view[i].disabled = true;
		}
		without[k] = r->rs;
		without[k].rules = view;
		if ((st = lsi_engine_new(&without[k], NULL, &eng[k])) != LS_OK)
			snprintf(err, err_len, "the rules without %s do not compile", g[k].group);
	}
	/* Interleaved rounds: the machine's speed drifts less between the
	 * variants of one round than between whole runs. */
	for (unsigned round = 0; round < rounds && st == LS_OK; round++) {
		double t;
		uint64_t f;

		if ((st = time_engine(r->engine, data, len, 1, &t, &f)) != LS_OK)
			break;
		if (round == 0 || t < *all_seconds)
			*all_seconds = t;
		for (size_t k = 0; k < ng && st == LS_OK; k++) {
			st = time_engine(eng[k], data, len, 1, &t, &f);
			if (round == 0 || t < g[k].seconds_without)
				g[k].seconds_without = t;
		}
	}
out:
	for (size_t k = 0; eng && k < ng; k++)
		lsi_engine_free(eng[k]);
	for (size_t k = 0; without && k < ng; k++)
		lsi_free(without[k].rules);
	lsi_free(eng);
	lsi_free(without);
	lsi_free(data);
	if (st != LS_OK) {
		free(g);
		return st;
	}
	qsort(g, ng, sizeof(*g), by_saving);
	*groups = g;
	*count = ng;
	return LS_OK;
}
