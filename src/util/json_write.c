/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON emitter. It never validates structure beyond comma placement: the
 * callers are our own reporters, and tests check their output against
 * parsers and schemas.
 */
#include "json_write.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

void lsi_json_init(struct lsi_json *j, struct lsi_buf *out, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->pretty = pretty;
	j->ok = true;
}

static void put(struct lsi_json *j, const char *s, size_t n)
{
	if (!lsi_buf_append(j->out, s, n))
		j->ok = false;
}

static void newline(struct lsi_json *j)
{
	if (!j->pretty)
		return;
	put(j, "\n", 1);
	for (int i = 0; i < j->depth; i++)
		put(j, "  ", 2);
}

/* Separator before any value or key in the current container. */
static void before_item(struct lsi_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (j->count[j->depth - 1])
			put(j, ",", 1);
		j->count[j->depth - 1] = 1;
		newline(j);
	}
}

static void open_c(struct lsi_json *j, char c)
{
	before_item(j);
	put(j, &c, 1);
	if (j->depth >= LSI_JSON_MAX_DEPTH) {
		j->ok = false;
		return;
	}
	j->count[j->depth++] = 0;
}

static void close_c(struct lsi_json *j, char c)
{
	if (j->depth == 0) {
		j->ok = false;
		return;
	}
	j->depth--;
	if (j->count[j->depth])
		newline(j);
	put(j, &c, 1);
}

void lsi_json_obj_begin(struct lsi_json *j) { open_c(j, '{'); }
void lsi_json_obj_end(struct lsi_json *j) { close_c(j, '}'); }
void lsi_json_arr_begin(struct lsi_json *j) { open_c(j, '['); }
void lsi_json_arr_end(struct lsi_json *j) { close_c(j, ']'); }

bool lsi_json_escape(struct lsi_buf *out, const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, run = 0;
	bool ok = true;

	while (i < len) {
		uint8_t c = p[i];
		size_t n;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			run++;
			continue;
		}
		if (c >= 0x80) {
			n = lsi_utf8_valid_len(p + i, len - i);
			if (n) {
				i += n;
				run += n;
				continue;
			}
		}
		if (run)
			ok &= lsi_buf_append(out, p + i - run, run);
		run = 0;
		switch (c) {
		case '"': ok &= lsi_buf_puts(out, "\\\""); break;
		case '\\': ok &= lsi_buf_puts(out, "\\\\"); break;
		case '\n': ok &= lsi_buf_puts(out, "\\n"); break;
		case '\r': ok &= lsi_buf_puts(out, "\\r"); break;
		case '\t': ok &= lsi_buf_puts(out, "\\t"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				ok &= lsi_buf_printf(out, "\\u%04x", c);
			else
				ok &= lsi_buf_puts(out, "\\ufffd");
		}
		i++;
	}
	if (run)
		ok &= lsi_buf_append(out, p + i - run, run);
	return ok;
}

void lsi_json_key(struct lsi_json *j, const char *key)
{
	before_item(j);
	put(j, "\"", 1);
	if (!lsi_json_escape(j->out, key, strlen(key)))
		j->ok = false;
	put(j, j->pretty ? "\": " : "\":", j->pretty ? 3 : 2);
	j->after_key = true;
}

void lsi_json_str(struct lsi_json *j, const char *s, size_t len)
{
	before_item(j);
	put(j, "\"", 1);
	if (!lsi_json_escape(j->out, s, len))
		j->ok = false;
	put(j, "\"", 1);
}

void lsi_json_cstr(struct lsi_json *j, const char *s)
{
	if (!s)
		lsi_json_null(j);
	else
		lsi_json_str(j, s, strlen(s));
}

void lsi_json_int(struct lsi_json *j, int64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);

	before_item(j);
	put(j, tmp, (size_t)n);
}

void lsi_json_uint(struct lsi_json *j, uint64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);

	before_item(j);
	put(j, tmp, (size_t)n);
}

void lsi_json_double(struct lsi_json *j, double v)
{
	char tmp[40];
	int n;

	if (!isfinite(v)) {
		lsi_json_null(j);
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%.2f", v);
	before_item(j);
	put(j, tmp, (size_t)n);
}

void lsi_json_bool(struct lsi_json *j, bool v)
{
	before_item(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void lsi_json_null(struct lsi_json *j)
{
	before_item(j);
	put(j, "null", 4);
}

void lsi_json_raw(struct lsi_json *j, const char *json)
{
	before_item(j);
	put(j, json, strlen(json));
}
