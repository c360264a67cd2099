/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one JSON emitter: commas, nesting, string escaping and UTF-8
 * repair live here and nowhere else. Writes into a bounded lsi_buf.
 */
#ifndef LSI_JSON_WRITE_H
#define LSI_JSON_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define LSI_JSON_MAX_DEPTH 32

struct lsi_json {
	struct lsi_buf *out;
	int depth;                          /* open containers */
	bool pretty;                        /* indent two spaces a level */
	bool after_key;                     /* a value follows a key */
	bool ok;                            /* false once any append failed */
	uint8_t count[LSI_JSON_MAX_DEPTH];  /* 0: container empty so far */
};

void lsi_json_init(struct lsi_json *j, struct lsi_buf *out, bool pretty);
void lsi_json_obj_begin(struct lsi_json *j);
void lsi_json_obj_end(struct lsi_json *j);
void lsi_json_arr_begin(struct lsi_json *j);
void lsi_json_arr_end(struct lsi_json *j);
void lsi_json_key(struct lsi_json *j, const char *key);
/* A string value; invalid UTF-8 becomes U+FFFD, controls are escaped. */
void lsi_json_str(struct lsi_json *j, const char *s, size_t len);
void lsi_json_cstr(struct lsi_json *j, const char *s); /* NULL -> null */
void lsi_json_int(struct lsi_json *j, int64_t v);
void lsi_json_uint(struct lsi_json *j, uint64_t v);
void lsi_json_double(struct lsi_json *j, double v);
void lsi_json_bool(struct lsi_json *j, bool v);
void lsi_json_null(struct lsi_json *j);
/* Inserts an already-serialized JSON value verbatim (trusted input). */
void lsi_json_raw(struct lsi_json *j, const char *json);

/* Appends @s escaped as JSON string content (no quotes) to @out. */
bool lsi_json_escape(struct lsi_buf *out, const char *s, size_t len);

#endif
