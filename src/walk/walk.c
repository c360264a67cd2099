/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Directory walk with openat/fdopendir, so a directory swapped for a link
 * mid-walk cannot lead outside the tree the user named. Entries are sorted
 * so output is the same on every file system.
 */
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "util/alloc.h"
#include "util/buf.h"

#define MAX_WALK_DEPTH 256

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void note(ls_scanner *s, const char *label, const char *rule, const char *msg)
{
	s->path_count = 0;
	s->path[s->path_count++] = label;
	lsi_pipeline_note(s, rule, strcmp(rule, LS_NOTE_SYMLINK) == 0 ? "Symbolic link not followed"
				 : strcmp(rule, LS_NOTE_LIMIT) == 0     ? "A scan limit was reached"
									  : "Member could not be read",
			  LS_CAT_DEBUG_INFO, msg);
	s->path_count = 0;
}

static ls_status walk(ls_scanner *s, int dfd, const char *label, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	char **names = NULL;
	size_t count = 0, cap = 0;
	ls_status st = LS_OK;

	if (!d) {
		close(dfd);
		note(s, label, LS_NOTE_DAMAGE, strerror(errno));
		return LS_OK;
	}
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **n = lsi_realloc(names, ncap * sizeof(*n));

			if (!n) {
				st = LS_ERR_NOMEM;
				break;
			}
			names = n;
			cap = ncap;
		}
		if (!(names[count] = lsi_strdup(e->d_name))) {
			st = LS_ERR_NOMEM;
			break;
		}
		count++;
	}
	if (count)
		qsort(names, count, sizeof(*names), cmp_name);
	for (size_t i = 0; i < count && st == LS_OK && !s->aborted; i++) {
		struct lsi_buf child;
		struct stat sb;

		lsi_buf_init(&child, 1 << 16);
		if (strcmp(label, ".") == 0 ? !lsi_buf_puts(&child, names[i])
					    : !lsi_buf_printf(&child, "%s%s%s", label,
							      label[strlen(label) - 1] == '/' ? "" : "/",
							      names[i])) {
			lsi_buf_fini(&child);
			st = LS_ERR_NOMEM;
			break;
		}
		if (fstatat(dirfd(d), names[i], &sb, AT_SYMLINK_NOFOLLOW) != 0) {
			note(s, lsi_buf_str(&child), LS_NOTE_DAMAGE, strerror(errno));
		} else if (S_ISLNK(sb.st_mode)) {
			note(s, lsi_buf_str(&child), LS_NOTE_SYMLINK,
			     "symbolic link: not followed");
		} else if (S_ISDIR(sb.st_mode)) {
			int cfd = openat(dirfd(d), names[i],
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (depth >= MAX_WALK_DEPTH)
				note(s, lsi_buf_str(&child), LS_NOTE_LIMIT,
				     "directory nesting too deep: not entered");
			else if (cfd < 0)
				note(s, lsi_buf_str(&child), LS_NOTE_DAMAGE, strerror(errno));
			else
				st = walk(s, cfd, lsi_buf_str(&child), depth + 1);
			if (cfd >= 0 && depth >= MAX_WALK_DEPTH)
				close(cfd);
		} else if (S_ISREG(sb.st_mode) && s->param[LS_PARAM_MAX_FILE_BYTES] &&
			   sb.st_size > s->param[LS_PARAM_MAX_FILE_BYTES]) {
			/* As a member of that size in an archive: skipped whole. */
			char msg[160];

			snprintf(msg, sizeof(msg), "max-size: file of %lld bytes not scanned (limit %lld)",
				 (long long)sb.st_size, (long long)s->param[LS_PARAM_MAX_FILE_BYTES]);
			note(s, lsi_buf_str(&child), LS_NOTE_LIMIT, msg);
			s->stats.bytes_skipped += (uint64_t)sb.st_size;
		} else if (S_ISREG(sb.st_mode)) {
			st = lsi_scan_file_at(s, dirfd(d), names[i], lsi_buf_str(&child), false);
			if (st == LS_ERR_IO) {
				/* Inside a tree an unreadable file is damage, not a fatal
				 * input; the note names the file, the message need not. */
				const char *why = s->error;
				size_t cl = child.len;

				if (strncmp(why, lsi_buf_str(&child), cl) == 0 && why[cl] == ':' &&
				    why[cl + 1] == ' ')
					why += cl + 2;
				note(s, lsi_buf_str(&child), LS_NOTE_DAMAGE, why);
				s->error[0] = '\0';
				st = LS_OK;
			}
		}
		lsi_buf_fini(&child);
	}
	for (size_t i = 0; i < count; i++)
		lsi_free(names[i]);
	lsi_free(names);
	closedir(d);
	if (s->aborted)
		return LS_ERR_ABORTED;
	return st;
}

ls_status lsi_walk_dir(ls_scanner *s, const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		lsi_scanner_set_error(s, "%s: %s", path, strerror(errno));
		return LS_ERR_IO;
	}
	/* Fingerprints leave out the directory as typed (walk() labels
	 * "." 's files by their names alone). */
	s->walk_root = strcmp(path, ".") == 0 ? 0 : strlen(path) + (path[strlen(path) - 1] != '/');
	return walk(s, fd, path, 0);
}
