/* SPDX-License-Identifier: Apache-2.0 */
/* Small in-memory writers for test artifacts: tar (ustar, pax, GNU) and gzip. */
#ifndef LS_TEST_ARCHIVE_WRITER_H
#define LS_TEST_ARCHIVE_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum tw_name_style { TW_USTAR, TW_PAX, TW_GNU };

/* Appends one member (type '0' file, '5' dir, '2' symlink). */
void tw_add(struct lsi_buf *tar, const char *name, char type, const void *data, size_t len,
	    enum tw_name_style style);
/* Appends the two zero blocks that end an archive. */
void tw_end(struct lsi_buf *tar);
/* Appends @data gzip-compressed as one gzip member. */
void gz_member(struct lsi_buf *out, const void *data, size_t len);

#endif
