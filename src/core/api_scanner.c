/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ls_scanner_*: argument and state checks, per-input setup (deadline,
 * budget), then walk/ or the pipeline.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/bstream.h"
#include "core.h"
#include "decode/decode.h"
#include "offload.h"
#include "prefetch.h"
#include "rank/baseline.h"
#include "util/alloc.h"
#include "walk/walk.h"

#define READ_BLOCK (256u * 1024u)

ls_status ls_scanner_new(const ls_rules *r, ls_scanner **out)
{
	ls_scanner *s;
	ls_status st;

	if (!r || !out)
		return LS_ERR_INVALID_ARG;
	*out = NULL;
	if (!(s = lsi_calloc(1, sizeof(*s))))
		return LS_ERR_NOMEM;
	s->rules = r;
	s->total = &s->total_bytes;
	for (int i = 0; i < LS_PARAM_COUNT_; i++)
		s->param[i] = lsi_params[i].dflt;
	s->rulecount = lsi_calloc(r->rs.count ? r->rs.count : 1, sizeof(*s->rulecount));
	if (!s->rulecount) {
		lsi_free(s);
		return LS_ERR_NOMEM;
	}
	if ((st = lsi_matcher_new(r->engine, &s->matcher)) != LS_OK) {
		lsi_free(s->rulecount);
		lsi_free(s);
		return st;
	}
	*out = s;
	return LS_OK;
}

void ls_scanner_free(ls_scanner *s)
{
	if (!s)
		return;
	ls_prefetch_free(s->prefetch);
	lsi_offload_free(s->offload);
	lsi_matcher_free(s->matcher);
	lsi_free(s->rulecount);
	lsi_fpcount_free(s->repeats);
	lsi_free(s);
}

/* A refused call says why in ls_scanner_last_error(), like a failed scan. */
static ls_status refuse(ls_scanner *s, ls_status st, const char *what)
{
	if (st == LS_ERR_BAD_STATE)
		lsi_scanner_set_error(s, "%s: refused while this scanner is scanning (from its own "
				      "callback?); use another scanner", what);
	else
		lsi_scanner_set_error(s, "%s: invalid argument", what);
	return st;
}

ls_status ls_scanner_set_param(ls_scanner *s, ls_param p, int64_t v)
{
	if (!s)
		return LS_ERR_INVALID_ARG;
	if ((unsigned)p >= LS_PARAM_COUNT_)
		return refuse(s, LS_ERR_INVALID_ARG, "ls_scanner_set_param: unknown parameter");
	if (s->busy)
		return refuse(s, LS_ERR_BAD_STATE, "ls_scanner_set_param");
	if (v < lsi_params[p].min || v > lsi_params[p].max) {
		lsi_scanner_set_error(s, "ls_scanner_set_param: %s must be from %" PRId64 " to %" PRId64
				      ", not %" PRId64, lsi_params[p].name, lsi_params[p].min,
				      lsi_params[p].max, v);
		return LS_ERR_INVALID_ARG;
	}
	s->param[p] = v;
	return LS_OK;
}

ls_status ls_scanner_get_param(const ls_scanner *s, ls_param p, int64_t *v)
{
	if (!s || !v || (unsigned)p >= LS_PARAM_COUNT_)
		return LS_ERR_INVALID_ARG;
	*v = s->param[p];
	return LS_OK;
}

ls_status ls_scanner_set_callback(ls_scanner *s, ls_finding_fn fn, void *user)
{
	if (!s)
		return LS_ERR_INVALID_ARG;
	if (s->busy)
		return refuse(s, LS_ERR_BAD_STATE, "ls_scanner_set_callback");
	s->fn = fn;
	s->user = user;
	return LS_OK;
}

ls_status ls_scanner_set_notice_callback(ls_scanner *s, ls_finding_fn fn, void *user)
{
	if (!s)
		return LS_ERR_INVALID_ARG;
	if (s->busy)
		return refuse(s, LS_ERR_BAD_STATE, "ls_scanner_set_notice_callback");
	s->notice_fn = fn;
	s->notice_user = user;
	return LS_OK;
}

ls_status ls_scanner_set_progress(ls_scanner *s, ls_progress_fn fn, uint64_t every_bytes,
				  void *user)
{
	if (!s)
		return LS_ERR_INVALID_ARG;
	if (s->busy)
		return refuse(s, LS_ERR_BAD_STATE, "ls_scanner_set_progress");
	s->progress = fn;
	s->progress_user = user;
	s->progress_every = every_bytes ? every_bytes : 1u << 20;
	return LS_OK;
}

ls_status ls_scanner_stats(const ls_scanner *s, ls_scan_stats *out)
{
	if (!s || !out)
		return LS_ERR_INVALID_ARG;
	*out = s->stats;
	return LS_OK;
}

const char *ls_scanner_last_error(const ls_scanner *s)
{
	return s ? s->error : "invalid scanner";
}

static ls_status begin(ls_scanner *s)
{
	if (s->busy)
		return LS_ERR_BAD_STATE;
	s->busy = true;
	s->error[0] = '\0';
	s->walk_root = 0;
	s->input_named = false; /* only a file the caller named by its path */
	memset(&s->stats, 0, sizeof(s->stats));
	s->total_bytes = 0;
	s->timed_out = false;
	s->aborted = false;
	s->nomem = false;
	lsi_fpcount_reset(s->repeats);
	s->progress_bytes = s->progress_every;
	s->progress_members = 1024;
	s->deadline_ms = s->param[LS_PARAM_TIMEOUT_MS]
				 ? lsi_now_ms() + (uint64_t)s->param[LS_PARAM_TIMEOUT_MS]
				 : 0;
	return LS_OK;
}

static ls_status end(ls_scanner *s, ls_status st)
{
	lsi_pipeline_end(s); /* findings aggregated across a directory's files */
	/* A prefetch serves the one call after it was given, used or not. */
	ls_prefetch_free(s->prefetch);
	s->prefetch = NULL;
	if (st == LS_OK && s->aborted)
		st = LS_ERR_ABORTED;
	/* Damaged before one byte of it could be scanned (not gzip past its
	 * header, a descriptor that cannot be read): an input that could not
	 * be read at all, whose damage note is the error. */
	if (st == LS_OK && s->stats.damaged && !s->stats.members && !s->stats.bytes_scanned)
		st = LS_ERR_IO;
	s->busy = false;
	if (st == LS_OK)
		s->error[0] = '\0'; /* a damage note of a scan that went on */
	else if (!s->error[0])
		lsi_scanner_set_error(s, "%s", ls_status_str(st));
	return st;
}

/*
 * Whether a file of @size bytes at @fd is read ahead on a thread of its
 * own: with workers to hand its members to, when it is large and its
 * bytes are not compressed (a compressed file's decoder is read ahead
 * instead, scan_stream). Its members then go to the workers as the
 * read-ahead blocks they lie in: copies of them, megabytes in flight, had
 * cost a page fault for every 4 KiB and made a plain .tar slower on two
 * threads than on one.
 */
static bool read_ahead(const ls_scanner *s, int fd, int64_t size)
{
	bool readable;

	return s->param[LS_PARAM_THREADS] >= 2 && size >= (int64_t)LSI_READ_AHEAD_MIN &&
	       !lsi_decoder_sniff_fd(fd, &readable) && readable;
}

/* Scans an open fd whose bytes are @size long (-1 unknown). */
static ls_status scan_fd_sized(ls_scanner *s, int fd, const char *label, int64_t size)
{
	struct lsi_bstream *in = lsi_bstream_fd(fd, READ_BLOCK);
	bool ring = false;
	ls_status st;

	if (!in)
		return LS_ERR_NOMEM;
	/* A pipe may stall, and so may a file of /proc (kmsg): --timeout must
	 * hold (poll() answers at once for a plain file). */
	if (s->deadline_ms)
		lsi_bstream_fd_deadline(in, s->deadline_ms);
	if (size < 0)
		lsi_bstream_fd_count(in, &s->stats.bytes_read);
	else if (read_ahead(s, fd, size))
		ring = lsi_rings_push(s, in = lsi_bstream_async(in, lsi_bstream_fd_read_into));
	st = lsi_pipeline_scan_stream(s, in, label, size);
	lsi_rings_pop(s, ring);
	return st;
}

/*
 * A FIFO opened without waiting: waits for a writer's first bytes (or its
 * closing) until the input's deadline, as a blocking open() would wait
 * forever. Until a writer has come, poll() reports nothing (Linux sets
 * POLLHUP only after a writer has gone), so this does not see EOF early.
 * For a plain file poll() answers at once; a file of /proc may wait.
 */
static bool wait_readable(ls_scanner *s, int fd)
{
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int wait = -1, r;

		if (s->deadline_ms) {
			uint64_t now = lsi_now_ms();

			/* Past the deadline, still one look: a plain file is
			 * always ready, and is scanned as far as the timeout lets. */
			wait = now >= s->deadline_ms ? 0
			       : s->deadline_ms - now > INT32_MAX ? INT32_MAX
								  : (int)(s->deadline_ms - now);
		}
		r = poll(&p, 1, wait);
		if (r > 0 || (r < 0 && errno != EINTR))
			return true; /* bytes, a writer gone, or an error read() will say */
		if (r == 0 && wait == 0)
			return false;
	}
}

ls_status lsi_scan_file_at(ls_scanner *s, int dirfd, const char *name, const char *label,
			   bool top)
{
	/* Links met while walking are never followed; one the user named is.
	 * O_NONBLOCK: opening a FIFO must not wait for a writer here (below,
	 * the wait has the input's deadline). */
	int fd = openat(dirfd, name,
			O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (top ? 0 : O_NOFOLLOW));
	struct stat sb;
	ls_status st;
	char c;

	if (fd < 0) {
		lsi_scanner_set_error(s, "%s: %s", label, strerror(errno));
		return LS_ERR_IO;
	}
	if (fstat(fd, &sb) != 0 || !(S_ISREG(sb.st_mode) || (top && S_ISFIFO(sb.st_mode)))) {
		close(fd);
		lsi_scanner_set_error(s, "%s: not a regular file", label);
		return LS_ERR_IO;
	}
	if (S_ISFIFO(sb.st_mode) && !wait_readable(s, fd)) {
		close(fd);
		lsi_scanner_set_error(s, "%s: timeout: no writer opened this FIFO within %" PRId64
				      " ms", label, s->param[LS_PARAM_TIMEOUT_MS]);
		return LS_ERR_IO;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	/* A file that cannot be read at all is an input error, not damage.
	 * (A file of /proc may have nothing to read yet: not past the deadline.) */
	if (S_ISREG(sb.st_mode) && s->deadline_ms && !wait_readable(s, fd)) {
		close(fd);
		lsi_scanner_set_error(s, "%s: timeout: nothing to read within %" PRId64 " ms", label,
				      s->param[LS_PARAM_TIMEOUT_MS]);
		return LS_ERR_IO;
	}
	if (S_ISREG(sb.st_mode) && pread(fd, &c, 1, 0) < 0) {
		lsi_scanner_set_error(s, "%s: %s", label, strerror(errno));
		close(fd);
		return LS_ERR_IO;
	}
	s->input_named = top;
	s->prefetch_here = top && lsi_prefetch_matches(s->prefetch, &sb);
	s->in_own_config = s->rules->rs.config_known &&
			   (uint64_t)sb.st_dev == s->rules->rs.config_dev &&
			   (uint64_t)sb.st_ino == s->rules->rs.config_ino;
	st = scan_fd_sized(s, fd, label, S_ISREG(sb.st_mode) ? (int64_t)sb.st_size : -1);
	s->in_own_config = false;
	s->prefetch_here = false;
	if (S_ISREG(sb.st_mode))
		s->stats.bytes_read += (uint64_t)sb.st_size;
	close(fd);
	return st;
}

ls_status ls_scanner_scan_path(ls_scanner *s, const char *path)
{
	ls_status st;
	struct stat sb;

	if (!s)
		return LS_ERR_INVALID_ARG;
	if (!path)
		return refuse(s, LS_ERR_INVALID_ARG, "ls_scanner_scan_path: no path");
	if ((st = begin(s)) != LS_OK)
		return refuse(s, st, "ls_scanner_scan_path");
	if (strcmp(path, "-") == 0) {
		st = scan_fd_sized(s, STDIN_FILENO, "-", -1);
		return end(s, st);
	}
	if (!*path) {
		/* "leakscan scan "$(cmd)"" when cmd printed nothing. */
		lsi_scanner_set_error(s, "'': an empty path was given");
		return end(s, LS_ERR_IO);
	}
	if (lstat(path, &sb) != 0) {
		lsi_scanner_set_error(s, "%s: %s", path, strerror(errno));
		return end(s, LS_ERR_IO);
	}
	if (S_ISDIR(sb.st_mode) || (S_ISLNK(sb.st_mode) && stat(path, &sb) == 0 &&
				    S_ISDIR(sb.st_mode)))
		st = lsi_walk_dir(s, path);
	else if (S_ISLNK(sb.st_mode) || S_ISREG(sb.st_mode) || S_ISFIFO(sb.st_mode))
		st = lsi_scan_file_at(s, AT_FDCWD, path, path, true);
	else {
		lsi_scanner_set_error(s, "%s: not a regular file or directory", path);
		st = LS_ERR_IO;
	}
	return end(s, st);
}

void ls_scanner_set_prefetch(ls_scanner *s, ls_prefetch *p)
{
	if (!s || s->busy) {
		ls_prefetch_free(p);
		return;
	}
	ls_prefetch_free(s->prefetch);
	s->prefetch = p;
}

ls_status ls_scanner_scan_fd(ls_scanner *s, int fd, const char *label)
{
	ls_status st;

	if (!s)
		return LS_ERR_INVALID_ARG;
	if (fd < 0 || !label)
		return refuse(s, LS_ERR_INVALID_ARG,
			      fd < 0 ? "ls_scanner_scan_fd: negative fd" : "ls_scanner_scan_fd: no label");
	if ((st = begin(s)) != LS_OK)
		return refuse(s, st, "ls_scanner_scan_fd");
	return end(s, scan_fd_sized(s, fd, label, -1));
}

ls_status ls_scanner_scan_mem(ls_scanner *s, const void *buf, size_t len, const char *label)
{
	struct lsi_bstream *in;
	ls_status st;

	if (!s)
		return LS_ERR_INVALID_ARG;
	if ((!buf && len) || !label)
		return refuse(s, LS_ERR_INVALID_ARG,
			      !label ? "ls_scanner_scan_mem: no label" : "ls_scanner_scan_mem: NULL buffer");
	if ((st = begin(s)) != LS_OK)
		return refuse(s, st, "ls_scanner_scan_mem");
	if (!(in = lsi_bstream_mem(buf ? buf : "", len, READ_BLOCK)))
		return end(s, LS_ERR_NOMEM);
	s->stats.bytes_read = len;
	st = lsi_pipeline_scan_stream(s, in, label, (int64_t)len);
	return end(s, st);
}
