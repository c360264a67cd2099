/* SPDX-License-Identifier: Apache-2.0 */
/* Directory inputs: recursive, sorted, never following links. */
#ifndef LSI_WALK_H
#define LSI_WALK_H

#include "leakscan.h"

/*
 * Scans every regular file below @path in byte-wise sorted order. Links
 * are reported (info finding "symlink-not-followed"), never followed.
 * Unreadable entries are reported and skipped; LS_ERR_IO only when @path
 * itself cannot be opened.
 */
ls_status lsi_walk_dir(ls_scanner *s, const char *path);

#endif
