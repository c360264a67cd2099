/* SPDX-License-Identifier: Apache-2.0 */
/* String constants of Python bytecode (pyc.h). */
#include "pyc.h"

#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"

#define MIN_STRING 4 /* shorter constants cannot hold a secret */

bool lsi_pyc_sniff(const char *name, const uint8_t *head, size_t n)
{
	size_t len = strlen(name);

	/* The magic is a version number, then "\r\n". */
	return len > 4 && strcmp(name + len - 4, ".pyc") == 0 && n >= 16 && head[2] == '\r' &&
	       head[3] == '\n';
}

/* Whether @p (@n bytes) reads as text: no NUL, at most a tenth control bytes. */
static bool texty(const uint8_t *p, size_t n)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		if (!p[i])
			return false;
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			bad++;
	}
	return bad * 10 <= n;
}

#define GAP_MIN 16 /* printable bytes outside any string object kept as a line */
#define GAP_TEXT 4 /* after this many printable bytes, a letter may be text */
/* Marshal type codes (without the reference flag); none is NUL. */
static const char TYPES[] = "0NFTS.ilfgxystr()[{}<>cuaAzZR?";

static bool gap_text(uint8_t c)
{
	return c >= 0x20 && c < 0x7f;
}

/*
 * Not a full unmarshal: walks the bytes and takes every place that reads
 * as a string object (its type, with or without the reference flag, a
 * length that fits, text bytes), which is what the constants are. Text
 * that is no string object (a .pyc whose marshal data does not parse,
 * bytes appended to it) is kept too: runs of GAP_MIN printable bytes
 * between the string objects are lines of their own, and a letter after
 * GAP_TEXT printable bytes is text, not the type of a string object.
 */
size_t lsi_pyc_extract(const uint8_t *b, size_t n, uint8_t *out)
{
	size_t o = 0, i = 0, run = 0; /* run: gap text just before i */

	/* Every line costs at least one byte it does not copy (a type or
	 * length byte, the byte that ended the run), except a run at the end:
	 * @out has one byte more than @n. */
#define FLUSH_RUN(end)                                                   \
	do {                                                             \
		if (run >= GAP_MIN) {                                    \
			memcpy(out + o, b + (end) - run, run);           \
			o += run;                                        \
			out[o++] = '\n';                                 \
		}                                                        \
		run = 0;                                                 \
	} while (0)
	while (i < n) {
		uint8_t type = b[i] & 0x7f;
		size_t len = 0, at = 0;
		bool str = false;

		if (type == 'z' || type == 'Z') { /* short ASCII: one length byte */
			if (i + 2 <= n) {
				len = b[i + 1];
				at = i + 2;
				str = true;
			}
		} else if (type == 'a' || type == 'A' || type == 'u' || type == 't' || type == 's') {
			if (i + 5 <= n) {
				len = (size_t)b[i + 1] | (size_t)b[i + 2] << 8 | (size_t)b[i + 3] << 16 |
				      (size_t)b[i + 4] << 24;
				at = i + 5;
				str = true;
			}
		}
		/* After plain text a letter is more likely text than the type of
		 * a string object: then the object must be followed by another
		 * (or the end), as in marshal data. A type with the reference
		 * flag is never text. */
		if (str && run >= GAP_TEXT && gap_text(b[i]) && len <= n - at &&
		    at + len < n && !strchr(TYPES, b[at + len] & 0x7f))
			str = false;
		if (str && len >= MIN_STRING && len <= n - at && texty(b + at, len)) {
			FLUSH_RUN(i);
			/* Each constant a line (a newline inside one stays);
			 * type and length bytes are never copied. */
			memcpy(out + o, b + at, len);
			o += len;
			out[o++] = '\n';
			i = at + len;
			continue;
		}
		if (gap_text(b[i])) {
			run++;
		} else {
			FLUSH_RUN(i);
		}
		i++;
	}
	FLUSH_RUN(n);
#undef FLUSH_RUN
	return o;
}

struct pyc_stream {
	struct lsi_bstream base;
	struct lsi_bstream *in;
	size_t max;
	uint8_t *out;
	size_t out_len, out_pos;
	bool loaded, over;
};

static enum lsi_rd load(struct pyc_stream *s)
{
	struct lsi_buf all;
	enum lsi_rd st;
	const uint8_t *b;
	size_t n;

	lsi_buf_init(&all, s->max);
	while ((st = lsi_bstream_read(s->in, &b, &n)) == LSI_RD_OK) {
		if (all.len + n > s->max) {
			n = s->max - all.len;
			s->over = true;
		}
		if (n && !lsi_buf_append(&all, b, n)) {
			lsi_buf_fini(&all);
			return LSI_RD_NOMEM;
		}
		if (s->over)
			break;
	}
	if (st != LSI_RD_OK && st != LSI_RD_EOF) {
		memcpy(s->base.msg, s->in->msg, sizeof(s->base.msg));
		lsi_buf_fini(&all);
		return st;
	}
	if (!(s->out = lsi_malloc(all.len + 1))) {
		lsi_buf_fini(&all);
		return LSI_RD_NOMEM;
	}
	s->out_len = lsi_pyc_extract(all.data ? all.data : (const uint8_t *)"", all.len, s->out);
	lsi_buf_fini(&all);
	return LSI_RD_OK;
}

static enum lsi_rd pyc_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct pyc_stream *s = (struct pyc_stream *)bs;

	if (!s->loaded) {
		enum lsi_rd st = load(s);

		s->loaded = true;
		if (st != LSI_RD_OK)
			return st;
	}
	if (s->out_pos < s->out_len) {
		*buf = s->out + s->out_pos;
		*len = s->out_len - s->out_pos;
		s->out_pos = s->out_len;
		return LSI_RD_OK;
	}
	if (s->over) {
		s->over = false;
		lsi_bstream_fail(bs, "max-member-bytes: only the first %zu bytes of this .pyc were "
			   "read", s->max);
		return LSI_RD_LIMIT;
	}
	return LSI_RD_EOF;
}

static void pyc_close(struct lsi_bstream *bs)
{
	struct pyc_stream *s = (struct pyc_stream *)bs;

	lsi_bstream_close(s->in);
	lsi_free(s->out);
	lsi_free(s);
}

static const struct lsi_bstream_ops pyc_ops = { pyc_read, pyc_close };

struct lsi_bstream *lsi_pyc_strings(struct lsi_bstream *in, size_t max)
{
	struct pyc_stream *s = lsi_calloc(1, sizeof(*s));

	if (!s) {
		lsi_bstream_close(in);
		return NULL;
	}
	s->base.ops = &pyc_ops;
	s->in = in;
	s->max = max;
	return &s->base;
}
