/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prefetch: a compressed input whose decompression starts before the
 * scanner that reads it exists (ls_prefetch_start), so that it overlaps
 * with loading rules. The scan takes the decoded stream over at depth 0
 * (pipeline.c) and applies its limits as it reads (lsi_bstream_guarded).
 */
#ifndef LSI_PREFETCH_H
#define LSI_PREFETCH_H

#include <stdbool.h>
#include <sys/stat.h>

#include "decode/decode.h"
#include "leakscan.h"

/* Whether @p was made from the file @sb describes (same device, inode,
 * size and modification time) and still holds its stream. */
bool lsi_prefetch_matches(const ls_prefetch *p, const struct stat *sb);
/*
 * The decoded stream, read ahead on a thread of its own (a stream
 * lsi_async_pin() takes blocks from), when @dec is the decoder it was
 * opened with; NULL otherwise. The caller owns the stream and must close
 * it before freeing @p, which keeps the file open.
 */
struct lsi_bstream *lsi_prefetch_take(ls_prefetch *p, const struct lsi_decoder_ops *dec);

#endif
