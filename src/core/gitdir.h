/* SPDX-License-Identifier: Apache-2.0 */
/*
 * .git folders inside artifacts. An archive lists a .git folder as many
 * members; this module sees each member name as it passes the pipeline's
 * member loop, counts objects, packs and refs per .git root, watches
 * config, packed-refs and pack headers go by, and reports one
 * git-directory finding per root when the container (or the directory
 * walk) is done. Loose objects are inflated and their object header
 * dropped, so their content is scanned like any file, under its own name.
 */
#ifndef LSI_GITDIR_H
#define LSI_GITDIR_H

#include <stdbool.h>
#include <stdint.h>

#include "container/container.h"
#include "core.h"

/* Distinct .git roots tracked in one container; more are a limit finding. */
#define LSI_GITDIR_MAX_ROOTS 32
/* Longest root name tracked (the path up to and including ".git"). */
#define LSI_GITDIR_MAX_ROOT_LEN 1024
/* Bytes of .git/config kept to find the remote's URL. */
#define LSI_GITDIR_CONFIG_MAX (64 * 1024)

struct lsi_gitdir;

/*
 * Looks at one member or walked file named @name (@is_file: it has data;
 * @size in bytes, -1 when unknown). When it lies under a .git folder it is
 * counted into *@g, created on first use, and *@data may be replaced by a
 * stream over it: a loose object by its inflated content, config,
 * packed-refs and pack files by a stream that watches them go by;
 * *@size_hint follows. *@open_as (set to NULL first) names the container
 * to open the stream with instead of sniffing it (git packs). Returns LS_ERR_NOMEM only; *@data is then NULL or
 * a stream the caller still closes. A limit crossed becomes a finding.
 */
ls_status lsi_gitdir_member(ls_scanner *s, struct lsi_gitdir **g, const char *name,
			    bool is_file, int64_t size, struct lsi_bstream **data,
			    int64_t *size_hint, const struct lsi_container_ops **open_as);
/*
 * Reports one git-directory finding per root, at the scanner's current
 * path plus the root's name, and forgets them. @g may be NULL.
 */
ls_status lsi_gitdir_flush(ls_scanner *s, struct lsi_gitdir *g);
/*
 * Flushes when @name is not under the one root tracked: a sorted
 * directory walk has left that .git folder for good.
 */
ls_status lsi_gitdir_flush_unless_under(ls_scanner *s, struct lsi_gitdir *g, const char *name);
/* NULL is fine. */
void lsi_gitdir_free(struct lsi_gitdir *g);

/*
 * Parses a git config file: the URL of the first [remote] section, with
 * any password or token in it masked, into @out (@cap bytes). Exposed
 * for tests.
 */
bool lsi_gitdir_config_remote(const char *cfg, size_t len, char *out, size_t cap);

#endif
