/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public API contract: every function with bad arguments returns
 * LS_ERR_INVALID_ARG (never crashes), *_free(NULL) is safe, statuses have
 * names, re-entry from a callback is refused, and running out of memory
 * at any allocation fails cleanly.
 */
#include "helpers/test_common.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "helpers/archive_writer.h"
#include "helpers/finding_log.h"
#include "helpers/thread_cpus.h"
#include "leakscan.h"
#include "util/alloc.h"

static const char rules_yaml[] =
	"rules:\n"
	"  - id: k\n"
	"    category: secret\n"
	"    severity: high\n"
	"    pattern: 'key_([a-z0-9]{16})'\n";

static ls_rules *make_rules(void)
{
	ls_compiler *c;
	ls_rules *r = NULL;

	assert_int_equal(ls_compiler_new(&c), LS_OK);
	assert_int_equal(ls_compiler_add_mem(c, "t.yml", rules_yaml, strlen(rules_yaml)), LS_OK);
	assert_int_equal(ls_compiler_finish(c, &r), LS_OK);
	return r;
}

static void test_bad_args(void **state)
{
	ls_rules *r = make_rules();
	ls_scanner *s;
	int64_t v;
	ls_scan_stats st;
	ls_reporter *rep;

	(void)state;
	assert_int_equal(ls_compiler_new(NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_compiler_set_diag(NULL, NULL, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_compiler_add_builtin(NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_compiler_add_path(NULL, "x"), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_compiler_add_mem(NULL, "x", "", 0), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_compiler_add_config(NULL, "x"), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_compiler_finish(NULL, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_rules_get(NULL, 0, NULL, NULL, NULL, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_rules_get(r, 99, NULL, NULL, NULL, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_rules_enabled(r, 0), 1);
	assert_int_equal(ls_rules_enabled(r, 99), 0);
	assert_int_equal(ls_rules_enabled(NULL, 0), 0);
	assert_int_equal(ls_rules_count(NULL), 0);
	assert_int_equal(ls_rules_test(NULL, NULL, NULL, NULL, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_scanner_new(NULL, &s), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_scanner_new(r, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_scanner_new(r, &s), LS_OK);
	assert_int_equal(ls_scanner_set_param(NULL, LS_PARAM_MAX_DEPTH, 1), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_scanner_set_param(s, (ls_param)99, 1), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_scanner_set_param(s, LS_PARAM_MAX_DEPTH, -1), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_scanner_set_param(s, LS_PARAM_MAX_DEPTH, 1000), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_scanner_set_param(s, LS_PARAM_MAX_DEPTH, 3), LS_OK);
	assert_int_equal(ls_scanner_get_param(s, LS_PARAM_MAX_DEPTH, &v), LS_OK);
	assert_int_equal(v, 3);
	assert_int_equal(ls_scanner_get_param(s, LS_PARAM_MAX_DEPTH, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_param_bounds((ls_param)-1, NULL, NULL, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_scanner_set_callback(NULL, NULL, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_scanner_scan_path(NULL, "x"), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_scanner_scan_path(s, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_scanner_scan_fd(s, -1, "x"), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_scanner_scan_mem(s, NULL, 5, "x"), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_scanner_scan_mem(s, "x", 1, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_scanner_stats(s, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_scanner_stats(NULL, &st), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_scanner_scan_path(s, "/nonexistent/x"), LS_ERR_IO);
	assert_non_null(strstr(ls_scanner_last_error(s), "/nonexistent/x"));
	assert_non_null(ls_scanner_last_error(NULL));
	assert_int_equal(ls_reporter_new(NULL, 0, NULL, NULL, NULL, &rep), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_reporter_add(NULL, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_reporter_input(NULL, NULL, LS_OK, NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_reporter_finish(NULL), LS_ERR_INVALID_ARG);
	assert_int_equal(ls_severity_parse(NULL, NULL), LS_ERR_INVALID_ARG);
	ls_scanner_free(s);
	ls_rules_free(r);
	ls_compiler_free(NULL);
	ls_rules_free(NULL);
	ls_scanner_free(NULL);
	ls_reporter_free(NULL);
}

/*
 * An input damaged before one byte of it could be scanned is LS_ERR_IO
 * with its damage as the error; refused calls say why; a call that
 * succeeds leaves no stale message; a pipe's bytes count as read.
 */
static void test_unreadable_and_errors(void **state)
{
	ls_rules *r = make_rules();
	ls_scanner *s;
	ls_scan_stats st;
	/* A gzip header, then bytes that do not inflate. */
	static const char notgz[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage-garbage";
	const char *text = "key_0123456789abcdef\n";
	int p[2];

	(void)state;
	assert_int_equal(ls_scanner_new(r, &s), LS_OK);
	assert_int_equal(ls_scanner_scan_mem(s, notgz, sizeof(notgz) - 1, "x.tgz"), LS_ERR_IO);
	assert_non_null(strstr(ls_scanner_last_error(s), "x.tgz: "));
	assert_non_null(strstr(ls_scanner_last_error(s), "gzip"));
	assert_int_equal(ls_scanner_stats(s, &st), LS_OK);
	assert_int_equal(st.damaged, 1);
	assert_int_equal(ls_scanner_scan_mem(s, text, strlen(text), "t"), LS_OK);
	assert_string_equal(ls_scanner_last_error(s), "");
	assert_int_equal(ls_scanner_set_param(s, LS_PARAM_MAX_DEPTH, 1000), LS_ERR_INVALID_ARG);
	assert_non_null(strstr(ls_scanner_last_error(s), "max-depth"));
	assert_int_equal(ls_scanner_scan_fd(s, -1, "x"), LS_ERR_INVALID_ARG);
	assert_non_null(strstr(ls_scanner_last_error(s), "negative fd"));
	/* A descriptor that cannot be read: nothing scanned, LS_ERR_IO. */
	assert_int_equal(pipe(p), 0);
	close(p[1]);
	close(p[0]);
	assert_int_equal(ls_scanner_scan_fd(s, p[0], "closed"), LS_ERR_IO);
	assert_non_null(strstr(ls_scanner_last_error(s), "closed: read error"));
	/* A pipe: what was read is bytes_read. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
	close(p[1]);
	assert_int_equal(ls_scanner_scan_fd(s, p[0], "pipe"), LS_OK);
	close(p[0]);
	assert_int_equal(ls_scanner_stats(s, &st), LS_OK);
	assert_int_equal(st.bytes_read, strlen(text));
	ls_scanner_free(s);
	ls_rules_free(r);
}

/* A rule file must say each rule's category and severity. */
static void test_required_fields(void **state)
{
	static const char y[] = "rules:\n  - id: a\n    pattern: 'abc_([a-z]{4})'\n";
	ls_compiler *c;
	ls_rules *r = NULL;
	size_t rules = 9, examples = 9, problems = 0;

	(void)state;
	assert_int_equal(ls_compiler_new(&c), LS_OK);
	assert_int_equal(ls_compiler_add_mem(c, "a.yml", y, strlen(y)), LS_ERR_RULES);
	assert_int_equal(ls_compiler_finish(c, &r), LS_ERR_RULES);
	assert_null(r);
	assert_int_equal(ls_compiler_new(&c), LS_OK);
	assert_int_equal(ls_compiler_add_mem(c, "a.yml", y, strlen(y)), LS_ERR_RULES);
	assert_int_equal(ls_compiler_check(c, &rules, &examples, &problems), LS_ERR_RULES);
	assert_int_equal(rules, 0);
	assert_int_equal(examples, 0);
	assert_int_equal(problems, 2); /* no category, no severity */
	assert_int_equal(ls_compiler_check(NULL, NULL, NULL, NULL), LS_ERR_INVALID_ARG);
}

static void test_names(void **state)
{
	(void)state;
	for (int st = 0; st >= -8; st--)
		assert_string_not_equal(ls_status_str((ls_status)st), "unknown status");
	assert_string_equal(ls_status_str((ls_status)-1000), "unknown status");
	assert_string_equal(ls_category_name(LS_CAT_SOURCE_EXPOSURE), "source-exposure");
	assert_null(ls_category_name((ls_category)42));
	assert_string_equal(ls_severity_name(LS_SEV_CRITICAL), "critical");
	for (int p = 0; p < LS_PARAM_COUNT_; p++) {
		int64_t lo, hi, d;

		assert_int_equal(ls_param_bounds((ls_param)p, &lo, &hi, &d), LS_OK);
		assert_true(lo <= d && d <= hi);
	}
	assert_int_equal(ls_version_number(), 0x000100);
}

struct reenter {
	ls_scanner *s;
	ls_status inner;
	int calls;
};

static int reenter_cb(const ls_finding *f, void *user)
{
	struct reenter *re = user;

	(void)f;
	re->calls++;
	re->inner = ls_scanner_scan_mem(re->s, "x", 1, "inner");
	return 0;
}

static int stop_cb(const ls_finding *f, void *user)
{
	(void)f;
	(*(int *)user)++;
	return 1;
}

static void test_reentry_and_abort(void **state)
{
	ls_rules *r = make_rules();
	ls_scanner *s;
	struct reenter re = { 0 };
	int calls = 0;
	const char *text = "key_0123456789abcdef key_fedcba9876543210";

	(void)state;
	assert_int_equal(ls_scanner_new(r, &s), LS_OK);
	re.s = s;
	ls_scanner_set_callback(s, reenter_cb, &re);
	assert_int_equal(ls_scanner_scan_mem(s, text, strlen(text), "t"), LS_OK);
	assert_int_equal(re.calls, 2);
	assert_int_equal(re.inner, LS_ERR_BAD_STATE);
	ls_scanner_set_callback(s, stop_cb, &calls);
	assert_int_equal(ls_scanner_scan_mem(s, text, strlen(text), "t"), LS_ERR_ABORTED);
	assert_int_equal(calls, 1);
	ls_scanner_free(s);
	ls_rules_free(r);
}

static int count_cb(const ls_finding *f, void *user)
{
	(void)f;
	(*(int *)user)++;
	return 0;
}

struct order {
	char seen[4096];
	size_t len;
};

static int order_cb(const ls_finding *f, void *user)
{
	struct order *o = user;
	int k = snprintf(o->seen + o->len, sizeof(o->seen) - o->len, "%s:%s:%llu;",
			 f->path[f->path_count - 1], f->rule, (unsigned long long)f->line);

	if (k > 0 && o->len + (size_t)k < sizeof(o->seen))
		o->len += (size_t)k;
	return 0;
}

/*
 * With threads, small members are scanned on workers and their findings
 * replayed in order; what the calling thread finds itself (a member too
 * big to offload) queues behind them. Output must equal one thread's, and
 * a callback that stops the scan must stop it after one finding.
 */
static void test_threads_order_and_abort(void **state)
{
	ls_rules *r = make_rules();
	struct lsi_buf tar;
	struct order one, two;
	size_t big_len = (5u << 20) + 100;
	char *big = malloc(big_len);
	int calls = 0;

	(void)state;
	lsi_buf_init(&tar, SIZE_MAX / 2);
	memset(big, 'x', big_len);
	memcpy(big + big_len - 30, "\nkey_r8t2v6n1c5j9h3d7\n", 22);
	for (int i = 0; i < 60; i++) {
		char name[32], body[64];
		int n = snprintf(body, sizeof(body), "line\nkey_%02dq7x9m2k4p8w3zt\n", i);

		snprintf(name, sizeof(name), "p/%02d.txt", i);
		tw_add(&tar, name, '0', body, (size_t)n, TW_USTAR);
		if (i == 30)
			tw_add(&tar, "p/big.txt", '0', big, big_len, TW_USTAR); /* scanned inline */
	}
	tw_end(&tar);
	for (int threads = 1; threads <= 2; threads++) {
		struct order *o = threads == 1 ? &one : &two;
		ls_scanner *s;

		memset(o, 0, sizeof(*o));
		assert_int_equal(ls_scanner_new(r, &s), LS_OK);
		assert_int_equal(ls_scanner_set_param(s, LS_PARAM_THREADS, threads), LS_OK);
		ls_scanner_set_callback(s, order_cb, o);
		assert_int_equal(ls_scanner_scan_mem(s, tar.data, tar.len, "t.tar"), LS_OK);
		ls_scanner_free(s);
	}
	assert_true(one.len > 0);
	assert_string_equal(one.seen, two.seen);
	assert_non_null(strstr(one.seen, "p/30.txt:k:2;p/big.txt:k:2;p/31.txt:k:2;"));
	{
		ls_scanner *s;

		assert_int_equal(ls_scanner_new(r, &s), LS_OK);
		assert_int_equal(ls_scanner_set_param(s, LS_PARAM_THREADS, 3), LS_OK);
		ls_scanner_set_callback(s, stop_cb, &calls);
		assert_int_equal(ls_scanner_scan_mem(s, tar.data, tar.len, "t.tar"), LS_ERR_ABORTED);
		assert_int_equal(calls, 1);
		ls_scanner_free(s);
	}
	lsi_buf_fini(&tar);
	free(big);
	ls_rules_free(r);
}

/*
 * An input's last jobs run with each worker on a CPU of its own (offload.c
 * spread()): when the scan returns, every worker may run on every CPU the
 * caller may again. Twenty members of 256 KiB leave more than enough to
 * scan when the walk ends for the workers to be spread.
 */
static void test_threads_cpus_given_back(void **state)
{
	ls_rules *r = make_rules();
	struct lsi_buf tar;
	size_t len = 256u << 10;
	char *body = malloc(len);
	cpu_set_t mine;
	ls_scanner *s;
	size_t found;
	int calls = 0;

	(void)state;
	if (sched_getaffinity(0, sizeof(mine), &mine) != 0 || CPU_COUNT(&mine) < 2) {
		free(body);
		ls_rules_free(r);
		skip(); /* one CPU: nothing to spread */
	}
	lsi_buf_init(&tar, SIZE_MAX / 2);
	for (size_t i = 0; i < len; i++)
		body[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 23);
	for (int i = 0; i < 20; i++) {
		char name[32];

		snprintf(name, sizeof(name), "p/%02d.txt", i);
		tw_add(&tar, name, '0', body, len, TW_USTAR);
	}
	tw_end(&tar);
	assert_int_equal(ls_scanner_new(r, &s), LS_OK);
	assert_int_equal(ls_scanner_set_param(s, LS_PARAM_THREADS, CPU_COUNT(&mine)), LS_OK);
	ls_scanner_set_callback(s, count_cb, &calls);
	assert_int_equal(ls_scanner_scan_mem(s, tar.data, tar.len, "t.tar"), LS_OK);
	assert_int_equal(threads_on_cpus("leakscan-scan", &mine, &found), CPU_COUNT(&mine));
	assert_int_equal(found, CPU_COUNT(&mine));
	ls_scanner_free(s);
	lsi_buf_fini(&tar);
	free(body);
	ls_rules_free(r);
}

/*
 * Members over 4 MiB stream to a worker while the calling thread reads on:
 * keys on both sides of the read-ahead blocks' seams, two such members
 * with small ones between them, a .tar.gz (bytes pinned in read-ahead
 * blocks) and a plain .tar (bytes copied). Findings come in one thread's
 * order at any thread count; a gzip stream cut inside a large member
 * gives the same findings and the same damage at any count.
 */
static void test_threads_streamed_members(void **state)
{
	ls_rules *r = make_rules();
	struct lsi_buf tar, tgz;
	size_t big_len = (6u << 20) + 333;
	char *big = malloc(big_len);
	/* ... and on both sides of where a prescan starts and of where the
	 * member's stream takes its hits (offload.c: a quarter in, on a
	 * 64 KiB boundary, the prescan 64 KiB before). */
	size_t split = big_len / 4 & ~(size_t)0xffff;
	size_t at[] = { 0,
			(256u << 10) - 12,
			(256u << 10) + 12,
			(1u << 20) - 20,
			split - 65536 - 3,
			split - 9,
			(4u << 20) + 7,
			big_len - 23 };

	(void)state;
	lsi_buf_init(&tar, SIZE_MAX / 2);
	lsi_buf_init(&tgz, SIZE_MAX / 2);
	for (size_t i = 0; i < big_len; i++)
		big[i] = i % 61 == 60 ? '\n' : 'x';
	for (size_t k = 0; k < sizeof(at) / sizeof(*at); k++) {
		char key[32];

		snprintf(key, sizeof(key), "\nkey_%02zuq7x9m2k4p8w3zt\n", k);
		memcpy(big + at[k], key, strlen(key));
	}
	for (int i = 0; i < 8; i++) {
		char name[32], body[64];
		int n = snprintf(body, sizeof(body), "line\nkey_%02dq7x9m2k4p8w3zt\n", i);

		snprintf(name, sizeof(name), "p/%02d.txt", i);
		tw_add(&tar, name, '0', body, (size_t)n, TW_USTAR);
		if (i == 2 || i == 5)
			tw_add(&tar, i == 2 ? "p/big1.txt" : "p/big2.txt", '0', big, big_len,
			       TW_USTAR);
	}
	tw_end(&tar);
	gz_member(&tgz, tar.data, tar.len);
	for (int cut = 0; cut < 2; cut++) {
		/* cut: the .tar.gz ends inside the second large member */
		size_t tgz_len = cut ? tgz.len * 3 / 4 : tgz.len;
		struct order want;

		for (int form = cut; form < 2; form++) {
			for (int threads = 1; threads <= 3; threads++) {
				struct order got;
				ls_scanner *s;
				ls_scan_stats st;

				memset(&got, 0, sizeof(got));
				assert_int_equal(ls_scanner_new(r, &s), LS_OK);
				assert_int_equal(ls_scanner_set_param(s, LS_PARAM_THREADS, threads),
						 LS_OK);
				assert_int_equal(ls_scanner_set_param(s, LS_PARAM_MIN_SEVERITY,
								      LS_SEV_INFO), LS_OK);
				ls_scanner_set_callback(s, order_cb, &got);
				if (form)
					assert_int_equal(ls_scanner_scan_mem(s, tgz.data, tgz_len,
									     "t.tgz"), LS_OK);
				else
					assert_int_equal(ls_scanner_scan_mem(s, tar.data, tar.len,
									     "t.tar"), LS_OK);
				ls_scanner_stats(s, &st);
				assert_int_equal(st.damaged, (uint64_t)cut);
				ls_scanner_free(s);
				if (threads == 1 && form == cut)
					want = got;
				else
					assert_string_equal(got.seen, want.seen);
			}
		}
		if (!cut)
			assert_non_null(strstr(want.seen,
					       "p/02.txt:k:2;p/big1.txt:k:2;p/big1.txt:k:4301;"
					       "p/big1.txt:k:4303;p/big1.txt:k:17196;"
					       "p/big1.txt:k:24719;p/big1.txt:k:25795;"
					       "p/big1.txt:k:68772;p/big1.txt:k:103158;p/03.txt:k:2;"
					       "p/04.txt:k:2;p/05.txt:k:2;p/big2.txt:k:2;"));
		else
			assert_non_null(strstr(want.seen, "p/05.txt:k:2;p/big2.txt:k:2;"));
	}
	lsi_buf_fini(&tar);
	lsi_buf_fini(&tgz);
	free(big);
	ls_rules_free(r);
}

/* A digest of the findings in their order, for runs with many of them. */
struct digest {
	uint64_t h;
	size_t n;
};

static int digest_cb(const ls_finding *f, void *user)
{
	struct digest *d = user;
	char one[256];
	int k = snprintf(one, sizeof(one), "%s:%s:%llu;", f->path[f->path_count - 1], f->rule,
			 (unsigned long long)f->line);

	for (int i = 0; i < k && i < (int)sizeof(one); i++)
		d->h = (d->h ^ (uint8_t)one[i]) * 1099511628211u;
	d->n++;
	return 0;
}

/*
 * More member bytes than the workers' queue may hold (8 MiB a thread):
 * small members fill it until the calling thread waits for room, and one
 * member larger than the whole share streams while the thread waits for
 * its runner. Findings come in one thread's order at any thread count,
 * from a .tar.gz (pinned read-ahead blocks) and a plain .tar (copies).
 */
static void test_threads_queue_full(void **state)
{
	ls_rules *r = make_rules();
	struct lsi_buf tar, tgz;
	size_t small_len = 12u << 10, big_len = (36u << 20) + 77;
	char *small = malloc(small_len), *big = malloc(big_len);
	unsigned nsmall = 0;

	(void)state;
	assert_non_null(small);
	assert_non_null(big);
	lsi_buf_init(&tar, SIZE_MAX / 2);
	lsi_buf_init(&tgz, SIZE_MAX / 2);
	for (size_t i = 0; i < big_len; i++)
		big[i] = i % 97 == 96 ? '\n' : 'y';
	for (size_t at = 5, k = 0; at + 32 < big_len; at += (3u << 20) + 4099, k++) {
		char key[32];

		snprintf(key, sizeof(key), "\nkey_b1g2m3e4m5b6e7%02zu\n", k);
		memcpy(big + at, key, 22);
	}
	for (unsigned i = 0; i < 1800; i++) {
		char name[32];
		size_t at = (size_t)i * 37 % (small_len - 40);

		memset(small, 'z', small_len);
		for (size_t k = 63; k < small_len; k += 64)
			small[k] = '\n';
		snprintf(small + at, 24, "\nkey_%04uq7x9m2k4p8w3\n", i);
		small[at + 22] = 'z';
		snprintf(name, sizeof(name), "q/%04u.txt", i);
		tw_add(&tar, name, '0', small, small_len, TW_USTAR);
		nsmall++;
		if (i == 1500)
			tw_add(&tar, "q/big.txt", '0', big, big_len, TW_USTAR);
	}
	tw_end(&tar);
	gz_member(&tgz, tar.data, tar.len);
	for (int form = 0; form < 2; form++) {
		struct digest want = { 0 };

		for (int threads = 1; threads <= 3; threads++) {
			struct digest got = { 14695981039346656037u, 0 };
			ls_scanner *s;

			assert_int_equal(ls_scanner_new(r, &s), LS_OK);
			assert_int_equal(ls_scanner_set_param(s, LS_PARAM_THREADS, threads), LS_OK);
			ls_scanner_set_callback(s, digest_cb, &got);
			if (form)
				assert_int_equal(ls_scanner_scan_mem(s, tgz.data, tgz.len, "q.tgz"),
						 LS_OK);
			else
				assert_int_equal(ls_scanner_scan_mem(s, tar.data, tar.len, "q.tar"),
						 LS_OK);
			ls_scanner_free(s);
			if (threads == 1)
				want = got;
			assert_int_equal(got.n, nsmall + 12);
			assert_true(got.h == want.h);
		}
	}
	lsi_buf_fini(&tar);
	lsi_buf_fini(&tgz);
	free(small);
	free(big);
	ls_rules_free(r);
}

/* Writes @len bytes of @data to a new file at @path. */
static void put_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Scans @path at @threads with @pf given first (NULL: none) and
 * --max-total-bytes @max_total (0: the default): the findings, as lines. */
static char *scan_logged(ls_rules *r, const char *path, int threads, ls_prefetch *pf,
			 int64_t max_total, unsigned *taken)
{
	struct finding_log log;
	ls_scanner *s;
	char *out;

	lsi_buf_init(&log.log, SIZE_MAX / 2);
	log.count = 0;
	assert_int_equal(ls_scanner_new(r, &s), LS_OK);
	assert_int_equal(ls_scanner_set_param(s, LS_PARAM_THREADS, threads), LS_OK);
	assert_int_equal(ls_scanner_set_param(s, LS_PARAM_MIN_SEVERITY, LS_SEV_INFO), LS_OK);
	if (max_total)
		assert_int_equal(ls_scanner_set_param(s, LS_PARAM_MAX_TOTAL_BYTES, max_total),
				 LS_OK);
	ls_scanner_set_callback(s, finding_log_add, &log);
	ls_scanner_set_prefetch(s, pf);
	assert_int_equal(ls_scanner_scan_path(s, path), LS_OK);
	*taken = s->prefetch_taken;
	assert_null(s->prefetch); /* freed when the call ended */
	ls_scanner_free(s);
	out = strdup(lsi_buf_str(&log.log));
	lsi_buf_fini(&log.log);
	return out;
}

struct fifo_writer {
	const char *path;
	_Atomic int opened;
};

static void *fifo_writer_thread(void *arg)
{
	struct fifo_writer *w = arg;
	int fd = open(w->path, O_WRONLY); /* blocks until a reader opens it */

	atomic_store(&w->opened, 1);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/*
 * A FIFO is never opened by a prefetch: opening its read end would let a
 * writer start, and closing it again break the writer's pipe before the
 * scan opens it.
 */
static void check_prefetch_leaves_fifo(const char *dir)
{
	char path[80];
	struct fifo_writer w = { path, 0 };
	pthread_t t;
	int fd;

	snprintf(path, sizeof(path), "%s/in.fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(pthread_create(&t, NULL, fifo_writer_thread, &w), 0);
	usleep(50 * 1000);
	assert_null(ls_prefetch_start(path, 2));
	usleep(100 * 1000);
	assert_int_equal(atomic_load(&w.opened), 0);
	fd = open(path, O_RDONLY); /* lets the writer go */
	assert_true(fd >= 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(atomic_load(&w.opened), 1);
	close(fd);
	unlink(path);
}

/*
 * A prefetch (decompression started before the scanner exists) changes
 * nothing a scan reports: the same findings, damage and limit notes as
 * without it, at any thread count; it is taken over only by a scan of its
 * own file, and otherwise freed; there is none for what cannot gain from
 * one (one thread, a directory, a small or plain file, standard input, a
 * path that does not open).
 */
static void test_prefetch(void **state)
{
	ls_rules *r = make_rules();
	char dir[] = "/tmp/lsi-prefetch-XXXXXX", tgz_path[64], plain_path[64], other_path[64];
	struct lsi_buf tar, tgz;
	size_t big_len = (5u << 20) + 333;
	char *big = malloc(big_len);

	(void)state;
	assert_non_null(big);
	assert_non_null(mkdtemp(dir));
	snprintf(tgz_path, sizeof(tgz_path), "%s/a.tgz", dir);
	snprintf(plain_path, sizeof(plain_path), "%s/a.tar", dir);
	snprintf(other_path, sizeof(other_path), "%s/b.tgz", dir);
	lsi_buf_init(&tar, SIZE_MAX / 2);
	lsi_buf_init(&tgz, SIZE_MAX / 2);
	/* Incompressible enough to be more than a megabyte compressed. */
	for (size_t i = 0, x = 1; i < big_len; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (i % 80 == 79) ? '\n' : (char)('a' + (x >> 16) % 26);
	}
	memcpy(big + 100, "\nkey_aaaabbbbccccdddd\n", 22);
	memcpy(big + (3u << 20), "\nkey_eeeeffffgggghhhh\n", 22);
	tw_add(&tar, "pkg/one.txt", '0', "key_0123456789abcdef\n", 21, TW_USTAR);
	tw_add(&tar, "pkg/big.txt", '0', big, big_len, TW_USTAR);
	tw_add(&tar, "pkg/two.txt", '0', "x key_fedcba9876543210\n", 23, TW_USTAR);
	tw_end(&tar);
	gz_member(&tgz, tar.data, tar.len);
	assert_true(tgz.len > (1u << 20));
	put_file(tgz_path, tgz.data, tgz.len);
	put_file(plain_path, tar.data, tar.len);
	/* A gzip cut short: damage past the prefetched part. */
	put_file(other_path, tgz.data, tgz.len - 1000);

	{
		unsigned taken;
		char *want = scan_logged(r, tgz_path, 1, NULL, 0, &taken);
		char *want_cut = scan_logged(r, other_path, 1, NULL, 0, &taken);
		char *want_lim = scan_logged(r, tgz_path, 1, NULL, 2 << 20, &taken);

		assert_non_null(strstr(want, "pkg/one.txt"));
		assert_non_null(strstr(want_cut, "unreadable-member"));
		assert_non_null(strstr(want_lim, "max-total-bytes"));
		for (int threads = 2; threads <= 3; threads++) {
			char *got;

			got = scan_logged(r, tgz_path, threads, ls_prefetch_start(tgz_path, threads),
					  0, &taken);
			assert_string_equal(got, want);
			assert_int_equal(taken, 1);
			free(got);
			got = scan_logged(r, other_path, threads,
					  ls_prefetch_start(other_path, threads), 0, &taken);
			assert_string_equal(got, want_cut);
			assert_int_equal(taken, 1);
			free(got);
			got = scan_logged(r, tgz_path, threads, ls_prefetch_start(tgz_path, threads),
					  2 << 20, &taken);
			assert_string_equal(got, want_lim);
			assert_int_equal(taken, 1);
			free(got);
			/* Given for another file: not taken, and that scan as ever. */
			got = scan_logged(r, tgz_path, threads, ls_prefetch_start(other_path, threads),
					  0, &taken);
			assert_string_equal(got, want);
			assert_int_equal(taken, 0);
			free(got);
		}
		/* The file replaced after its prefetch began: the new one is read. */
		{
			ls_prefetch *pf = ls_prefetch_start(tgz_path, 2);
			char tmp[80];
			char *got;

			assert_non_null(pf);
			snprintf(tmp, sizeof(tmp), "%s/new", dir);
			put_file(tmp, tgz.data, tgz.len - 1000);
			assert_int_equal(rename(tmp, tgz_path), 0);
			got = scan_logged(r, tgz_path, 2, pf, 0, &taken);
			assert_int_equal(taken, 0);
			assert_non_null(strstr(got, "unreadable-member"));
			free(got);
			put_file(tgz_path, tgz.data, tgz.len);
		}
		free(want);
		free(want_cut);
		free(want_lim);
	}
	check_prefetch_leaves_fifo(dir);
	/* Nothing to gain: no prefetch. */
	assert_null(ls_prefetch_start(tgz_path, 1));
	assert_null(ls_prefetch_start(plain_path, 2));
	assert_null(ls_prefetch_start(dir, 2));
	assert_null(ls_prefetch_start("-", 2));
	assert_null(ls_prefetch_start("/nonexistent/x.tgz", 2));
	assert_null(ls_prefetch_start(NULL, 2));
	{
		char small[80];

		snprintf(small, sizeof(small), "%s/small.tgz", dir);
		put_file(small, tgz.data, 1000);
		assert_null(ls_prefetch_start(small, 2));
		unlink(small);
	}
	/* Freed unused, given to NULL, or replaced by another: no leak. */
	ls_prefetch_free(ls_prefetch_start(tgz_path, 2));
	ls_prefetch_free(NULL);
	ls_scanner_set_prefetch(NULL, ls_prefetch_start(tgz_path, 2));
	{
		ls_scanner *s;

		assert_int_equal(ls_scanner_new(r, &s), LS_OK);
		ls_scanner_set_prefetch(s, ls_prefetch_start(tgz_path, 2));
		ls_scanner_set_prefetch(s, ls_prefetch_start(tgz_path, 2));
		ls_scanner_free(s);
	}
	unlink(tgz_path);
	unlink(plain_path);
	unlink(other_path);
	rmdir(dir);
	lsi_buf_fini(&tar);
	lsi_buf_fini(&tgz);
	free(big);
	ls_rules_free(r);
}

/*
 * Damage below the minimum severity goes to the notice callback only (at
 * any thread count, in order), never to the finding callback or the
 * finding count; at info it is a finding and not a notice.
 */
/*
 * Scanners made at once on several threads from rules whose databases
 * came from the cache: one of them takes the scratch made while the
 * databases were checked, the others make their own, and all of them
 * find what they should, content and path rules alike (under
 * ThreadSanitizer, also without a race).
 */
static const char shared_yaml[] =
	"rules:\n"
	"  - id: k\n"
	"    category: secret\n"
	"    severity: high\n"
	"    pattern: 'key_([a-z0-9]{16})'\n"
	"  - id: envfile\n"
	"    category: secret\n"
	"    severity: medium\n"
	"    target: path\n"
	"    pattern: '(?:^|/)\\.env$'\n";

static ls_rules *cached_rules(const char *dir)
{
	ls_compiler *c;
	ls_rules *r = NULL;

	assert_int_equal(ls_compiler_new(&c), LS_OK);
	assert_int_equal(ls_compiler_set_cache_dir(c, dir), LS_OK);
	assert_int_equal(ls_compiler_add_mem(c, "s.yml", shared_yaml, strlen(shared_yaml)), LS_OK);
	assert_int_equal(ls_compiler_finish(c, &r), LS_OK);
	return r;
}

struct shared_scan {
	ls_rules *r;
	struct order seen;
	ls_status made, scanned;
};

static void *shared_scan_thread(void *arg)
{
	struct shared_scan *t = arg;
	static const char text[] = "a\nkey_0123456789abcdef\n";
	ls_scanner *s;

	if ((t->made = ls_scanner_new(t->r, &s)) != LS_OK)
		return NULL;
	ls_scanner_set_callback(s, order_cb, &t->seen);
	t->scanned = ls_scanner_scan_mem(s, text, sizeof(text) - 1, "app/.env");
	ls_scanner_free(s);
	return NULL;
}

static void test_scanners_share_cached_rules(void **state)
{
	char dir[] = "/tmp/leakscan-api-XXXXXX";
	struct shared_scan t[5];
	pthread_t th[4];
	ls_rules *r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	ls_rules_free(cached_rules(dir)); /* compiles and fills the cache */
	for (int round = 0; round < 3; round++) {
		r = cached_rules(dir);
		memset(t, 0, sizeof(t));
		for (int i = 0; i < 5; i++)
			t[i].r = r;
		for (int i = 0; i < 4; i++)
			assert_int_equal(pthread_create(&th[i], NULL, shared_scan_thread, &t[i]), 0);
		for (int i = 0; i < 4; i++)
			assert_int_equal(pthread_join(th[i], NULL), 0);
		shared_scan_thread(&t[4]); /* after them all: the scratch was taken */
		for (int i = 0; i < 5; i++) {
			assert_int_equal(t[i].made, LS_OK);
			assert_int_equal(t[i].scanned, LS_OK);
			assert_string_equal(t[i].seen.seen, "app/.env:envfile:0;app/.env:k:2;");
		}
		ls_rules_free(r);
	}
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
	}
}

static void test_notice_callback(void **state)
{
	ls_rules *r = make_rules();
	struct lsi_buf tar;
	const char *body = "key_0123456789abcdef\n";

	(void)state;
	lsi_buf_init(&tar, 1 << 20);
	tw_add(&tar, "a.txt", '0', body, strlen(body), TW_USTAR);
	tw_add(&tar, "b.txt", '0', body, strlen(body), TW_USTAR);
	tar.len -= 600; /* b.txt's data and the rest: cut */
	for (int threads = 1; threads <= 2; threads++) {
		for (int info = 0; info <= 1; info++) {
			struct order found = { 0 }, noticed = { 0 };
			ls_scan_stats st;
			ls_scanner *s;

			assert_int_equal(ls_scanner_new(r, &s), LS_OK);
			assert_int_equal(ls_scanner_set_param(s, LS_PARAM_THREADS, threads), LS_OK);
			assert_int_equal(ls_scanner_set_param(s, LS_PARAM_MIN_SEVERITY,
							      info ? LS_SEV_INFO : LS_SEV_LOW),
					 LS_OK);
			ls_scanner_set_callback(s, order_cb, &found);
			assert_int_equal(ls_scanner_set_notice_callback(s, order_cb, &noticed), LS_OK);
			assert_int_equal(ls_scanner_scan_mem(s, tar.data, tar.len, "t.tar"), LS_OK);
			ls_scanner_stats(s, &st);
			if (info) {
				assert_string_equal(found.seen, "a.txt:k:1;t.tar:unreadable-member:0;");
				assert_string_equal(noticed.seen, "");
				assert_int_equal(st.findings, 2);
			} else {
				assert_string_equal(found.seen, "a.txt:k:1;");
				assert_string_equal(noticed.seen, "t.tar:unreadable-member:0;");
				assert_int_equal(st.findings, 1);
			}
			ls_scanner_free(s);
		}
	}
	assert_int_equal(ls_scanner_set_notice_callback(NULL, order_cb, NULL), LS_ERR_INVALID_ARG);
	lsi_buf_fini(&tar);
	ls_rules_free(r);
}

/* Fails the Nth allocation for every N until a run succeeds. */
static void test_oom(void **state)
{
	const char *text = "x key_0123456789abcdef y";
	long n;

	(void)state;
	for (n = 0; n < 5000; n++) {
		ls_compiler *c = NULL;
		ls_rules *r = NULL;
		ls_scanner *s = NULL;
		ls_status st;
		int found = 0;

		lsi_alloc_fail_after(n);
		st = ls_compiler_new(&c);
		if (st == LS_OK)
			ls_compiler_add_mem(c, "t.yml", rules_yaml, strlen(rules_yaml));
		if (st == LS_OK)
			st = ls_compiler_finish(c, &r);
		if (st == LS_OK)
			st = ls_scanner_new(r, &s);
		if (st == LS_OK) {
			ls_scanner_set_callback(s, count_cb, &found);
			st = ls_scanner_scan_mem(s, text, strlen(text), "t");
		}
		lsi_alloc_fail_after(-1);
		ls_scanner_free(s);
		ls_rules_free(r);
		if (st == LS_OK) {
			assert_int_equal(found, 1);
			break;
		}
		assert_true(st == LS_ERR_NOMEM || st == LS_ERR_RULES || st == LS_ERR_ENGINE);
	}
	assert_true(n < 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_unreadable_and_errors),
		cmocka_unit_test(test_required_fields),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_reentry_and_abort),
		cmocka_unit_test(test_threads_order_and_abort),
		cmocka_unit_test(test_threads_streamed_members),
		cmocka_unit_test(test_threads_cpus_given_back),
		cmocka_unit_test(test_threads_queue_full),
		cmocka_unit_test(test_prefetch),
		cmocka_unit_test(test_scanners_share_cached_rules),
		cmocka_unit_test(test_notice_callback),
		cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
