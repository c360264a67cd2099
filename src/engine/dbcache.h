/* SPDX-License-Identifier: Apache-2.0 */
/*
 * On-disk cache of the compiled Hyperscan database and the per-rule facts
 * the engine derives while compiling, so a warm start skips the compile.
 * Files are keyed by a hash of everything that shapes the database and
 * written atomically; a missing or damaged file is rebuilt silently.
 */
#ifndef LSI_DBCACHE_H
#define LSI_DBCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine_int.h"

#define LSI_DBCACHE_KEY_LEN 40

/* Key over the Hyperscan version and every content rule's expression. */
void lsi_dbcache_key(const struct lsi_engine *e, char key[LSI_DBCACHE_KEY_LEN + 1]);
/* Loads into e->db, e->path_db, e->scratch_proto and the rules'
 * prefilter/width; false when absent or bad. */
bool lsi_dbcache_load(struct lsi_engine *e, const char *dir, const char *key);
/* Frees both databases, wherever they were put, and an untaken scratch. */
void lsi_dbcache_free_db(struct lsi_engine *e);
/* Stores e->db; false when the file could not be written (a cache is an
 * optimisation: the caller only says so). */
bool lsi_dbcache_store(const struct lsi_engine *e, const char *dir, const char *key);

#endif
