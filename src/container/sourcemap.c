/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Source maps (version 3, regular and index maps) as containers. Each
 * sourcesContent[i] becomes a member named by sources[i], whose data is
 * the JSON-unescaped text, decoded while it streams: line numbers are
 * those of the original file. After the last source, one analyzer
 * finding on the map says how much original code it exposes and where
 * it comes from. One pass, bounded memory: the only things kept are the
 * source names (capped) and a few counters per source; "mappings" and
 * string contents are never held.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "leakscan.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json_read.h"
#include "util/json_write.h"
#include "util/lines.h"

#define PIECE_LEN (16u << 10)      /* decoded bytes handed out per read */
#define MAX_JSON_DEPTH LSI_JR_MAX_DEPTH /* an index map needs 5; junk may nest deeper */
#define MAX_NAME_LEN 4096          /* bytes of one sources[] entry kept as its label */
#define MAX_NAMES_BYTES (32u << 20) /* all labels together */
#define MAX_SOURCES (1u << 20)     /* entries tracked, whatever --max-members says */
#define KEY_MAX 32                 /* longest key we need to recognise */
#define TOP_DIRS 5
#define DETAILS_MAX (64u << 10)

enum key { K_OTHER, K_VERSION, K_SOURCES, K_CONTENT, K_SECTIONS, K_IGNORE, K_MAPPINGS,
	   K_NAMES, K_FILE, K_ROOT, K_MAP };
enum arr { A_NONE, A_SOURCES, A_CONTENT, A_IGNORE };
enum phase { P_PARSE, P_REPORT, P_REST, P_STATUS, P_EOF };
enum pre { PRE_BOM0, PRE_BOM1, PRE_BOM2, PRE_WS, PRE_XSSI, PRE_DONE };

#define F_NAME 1u       /* sources[i] was a string */
#define F_CONTENT 2u    /* sourcesContent[i] was a string */
#define F_IGNORED 4u    /* listed in ignoreList / x_google_ignoreList */
#define F_NAME_CUT 8u   /* label longer than MAX_NAME_LEN, cut */

struct src {
	uint32_t name_off, name_len;
	uint64_t bytes, lines;
	uint8_t flags;
	uint8_t last;   /* last content byte, for the line count */
};

struct sm;

struct sm_data {
	struct lsi_bstream base;
	struct sm *s;
};

/* After JSON the reader cannot follow: the map's remaining bytes, raw. */
struct sm_rest {
	struct lsi_bstream base;
	struct sm *s;
	const uint8_t *p;           /* what the reader had not consumed yet */
	size_t n;
};

struct sm {
	struct lsi_bstream *in;
	struct lsi_climits lim;
	uint64_t max_entries;
	struct lsi_jr jr;
	uint8_t *piece;
	enum pre pre;
	bool in_eof;
	struct sm_data data;
	enum phase phase;
	enum lsi_rd fail_st;        /* why pull() failed */
	char fail_msg[LSI_MSG_LEN];
	enum lsi_rd pending;        /* returned after the report */
	char pending_msg[LSI_MSG_LEN];
	bool rest;                  /* JSON failed: the rest is scanned as text */
	struct sm_rest rest_data;
	bool complete;              /* the whole map was read */
	/* where we are in the document */
	int map_depth;              /* depth of the current map's keys */
	enum key key;               /* key at map_depth whose value is being read */
	enum key sec_key;           /* key inside a section object */
	bool index_map;             /* the top level has "sections" */
	enum arr arr;
	char keybuf[KEY_MAX];
	size_t key_len;
	bool key_long;
	size_t sec_base;            /* table index of this map's sources[0] */
	uint64_t sec_sources, sec_contents; /* entries of this map's two arrays */
	bool sec_has_sources, sec_has_content;
	uint64_t sections;
	bool sources_after_content; /* names were not known when content came */
	bool seen_sources;
	/* the table of sources */
	struct src *src;
	size_t src_count, src_cap;
	struct lsi_buf names;
	uint64_t names_dropped;
	size_t cur_name;            /* entry whose name is being read */
	bool naming;
	/* the member being handed out */
	bool mem_open, mem_more;
	size_t mem_idx;
	const uint8_t *held;
	size_t held_n;
	uint64_t members;
	char label[64];
	/* the report */
	struct lsi_buf details;
	char message[256];
};

/* ---- input ------------------------------------------------------------ */

/*
 * Skips what may precede the JSON: a UTF-8 byte order mark and the
 * ")]}'" line the format allows against script inclusion.
 */
static size_t skip_prefix(enum pre *st, const uint8_t *b, size_t n)
{
	static const uint8_t bom[3] = { 0xef, 0xbb, 0xbf };
	size_t i = 0;

	while (i < n && *st != PRE_DONE) {
		uint8_t c = b[i];

		switch (*st) {
		case PRE_BOM0: case PRE_BOM1: case PRE_BOM2:
			if (c == bom[*st - PRE_BOM0]) {
				i++;
				*st = *st == PRE_BOM2 ? PRE_WS : *st + 1;
			} else {
				*st = PRE_WS;
			}
			break;
		case PRE_WS:
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				i++;
			else if (c == ')')
				*st = PRE_XSSI;
			else
				*st = PRE_DONE;
			break;
		case PRE_XSSI:
			if (b[i++] == '\n')
				*st = PRE_DONE;
			break;
		default:
			break;
		}
	}
	return i;
}

/* The next token; LSI_JR_ERROR with fail_st/fail_msg on damage. */
static enum lsi_jr_tok pull(struct sm *s, struct lsi_jr_event *ev)
{
	for (;;) {
		enum lsi_jr_tok t = lsi_jr_next(&s->jr, ev);
		const uint8_t *b;
		size_t n, k;
		enum lsi_rd rd;

		if (t == LSI_JR_ERROR) {
			s->fail_st = s->jr.err_kind == LSI_JR_E_DEPTH ? LSI_RD_LIMIT : LSI_RD_DAMAGED;
			snprintf(s->fail_msg, sizeof(s->fail_msg), "source map: %s%s; the rest of "
				 "it is scanned as text", s->jr.err,
				 s->jr.err_kind == LSI_JR_E_DEPTH ? " (limit)" : "");
			/* Bytes it cannot follow may still hold secrets. */
			if (s->jr.err_kind != LSI_JR_E_TRUNCATED) {
				s->rest = true;
				s->rest_data.p = s->jr.in ? s->jr.in + s->jr.in_pos : NULL;
				s->rest_data.n = s->jr.in ? s->jr.in_len - s->jr.in_pos : 0;
			} else {
				snprintf(s->fail_msg, sizeof(s->fail_msg), "source map: %s", s->jr.err);
			}
			return t;
		}
		if (t != LSI_JR_NEED_INPUT)
			return t;
		if (s->in_eof) {
			lsi_jr_finish(&s->jr);
			continue;
		}
		rd = lsi_bstream_read(s->in, &b, &n);
		if (rd == LSI_RD_EOF) {
			s->in_eof = true;
			lsi_jr_finish(&s->jr);
			continue;
		}
		if (rd != LSI_RD_OK) {
			s->fail_st = rd;
			memcpy(s->fail_msg, s->in->msg, sizeof(s->fail_msg));
			return LSI_JR_ERROR;
		}
		k = s->pre == PRE_DONE ? 0 : skip_prefix(&s->pre, b, n);
		if (k < n)
			lsi_jr_feed(&s->jr, b + k, n - k);
	}
}

/* ---- the table of sources ---------------------------------------------- */

/* Entry @i, growing the table; NULL past the cap or on OOM (fail_* set). */
static struct src *entry(struct sm *s, uint64_t i)
{
	if (i >= s->max_entries) {
		s->fail_st = LSI_RD_LIMIT;
		snprintf(s->fail_msg, sizeof(s->fail_msg),
			 "max-members: source map has more than %" PRIu64 " sources", s->max_entries);
		return NULL;
	}
	if (i >= s->src_cap) {
		size_t cap = s->src_cap ? s->src_cap : 64;
		struct src *p;

		while (cap <= i)
			cap *= 2;
		if (cap > s->max_entries)
			cap = (size_t)s->max_entries;
		p = lsi_realloc(s->src, cap * sizeof(*p));
		if (!p) {
			s->fail_st = LSI_RD_NOMEM;
			snprintf(s->fail_msg, sizeof(s->fail_msg), "out of memory");
			return NULL;
		}
		memset(p + s->src_cap, 0, (cap - s->src_cap) * sizeof(*p));
		s->src = p;
		s->src_cap = cap;
	}
	if (i >= s->src_count)
		s->src_count = (size_t)i + 1;
	return &s->src[i];
}

static void name_begin(struct sm *s, struct src *e)
{
	s->cur_name = (size_t)(e - s->src);
	s->naming = true;
	e->name_off = (uint32_t)s->names.len;
	e->name_len = 0;
	e->flags &= (uint8_t)~(F_NAME | F_NAME_CUT);
	e->flags |= F_NAME;
}

/* Drops the label being read: the names arena is full. */
static void name_drop(struct sm *s, struct src *e)
{
	s->names.len = e->name_off;
	e->flags &= (uint8_t)~(F_NAME | F_NAME_CUT);
	s->names_dropped++;
	s->naming = false;
}

/* A piece of sources[i]; true when the rest of the string is not needed. */
static bool name_piece(struct sm *s, const uint8_t *p, size_t n, bool last)
{
	struct src *e = &s->src[s->cur_name];
	size_t room = MAX_NAME_LEN - e->name_len;

	if (n > room) {
		n = room;
		e->flags |= F_NAME_CUT;
		last = true;
	}
	if (n && !lsi_buf_append(&s->names, p, n)) {
		name_drop(s, e);
		return true;
	}
	e->name_len += (uint32_t)n;
	if (!last)
		return false;
	/* Labels are NUL-terminated for the reader's convenience. */
	if (!lsi_buf_putc(&s->names, '\0'))
		name_drop(s, e);
	s->naming = false;
	return true;
}

static void account(struct sm *s, const uint8_t *p, size_t n)
{
	struct src *e = &s->src[s->mem_idx];
	const uint8_t *end = p + n;

	if (!n)
		return;
	e->bytes += n;
	e->lines += lsi_count_newlines(p, n);
	e->last = end[-1];
}

/* ---- members ------------------------------------------------------------ */

static enum lsi_rd data_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct sm *s = ((struct sm_data *)bs)->s;
	struct lsi_jr_event ev;

	if (!s->mem_open)
		return LSI_RD_EOF;
	if (s->held_n) {
		*buf = s->held;
		*len = s->held_n;
		s->held_n = 0;
		return LSI_RD_OK;
	}
	while (s->mem_more) {
		if (pull(s, &ev) == LSI_JR_ERROR) {
			/* The pipeline reports this on the member; the map ends here. */
			s->mem_open = s->mem_more = false;
			s->phase = P_REPORT;
			memcpy(bs->msg, s->fail_msg, sizeof(bs->msg));
			return s->fail_st;
		}
		/* Only the pieces of this string can follow its first piece. */
		account(s, ev.p, ev.n);
		if (ev.last)
			s->mem_more = false;
		if (ev.n) {
			*buf = ev.p;
			*len = ev.n;
			return LSI_RD_OK;
		}
	}
	s->mem_open = false;
	return LSI_RD_EOF;
}

static void data_close(struct lsi_bstream *bs)
{
	(void)bs; /* owned by the map */
}

static const struct lsi_bstream_ops data_ops = { data_read, data_close };

/* Reads what the pipeline left of the current member; false on damage. */
static bool drain(struct sm *s)
{
	struct lsi_jr_event ev;

	s->held_n = 0;
	s->mem_open = false;
	while (s->mem_more) {
		if (pull(s, &ev) == LSI_JR_ERROR) {
			s->mem_more = false;
			return false;
		}
		account(s, ev.p, ev.n);
		if (ev.last)
			s->mem_more = false;
	}
	return true;
}

/* Fills @m with the member for table entry @idx (its first piece in @ev). */
static void member(struct sm *s, struct lsi_member *m, size_t idx, uint64_t local,
		   const struct lsi_jr_event *ev)
{
	struct src *e = &s->src[idx];

	s->mem_idx = idx;
	e->flags |= F_CONTENT;
	account(s, ev->p, ev->n);
	s->held = ev->p;
	s->held_n = ev->n;
	s->mem_open = true;
	s->mem_more = !ev->last;
	s->members++;
	m->type = LSI_M_FILE;
	m->size = -1;
	m->data = &s->data.base;
	m->report_severity = -1;
	if (e->flags & F_NAME) {
		m->name = (const char *)s->names.data + e->name_off;
		m->name_len = e->name_len;
		return;
	}
	/* No name yet (or none at all): a label that says where it came from. */
	if (s->index_map)
		snprintf(s->label, sizeof(s->label), "sections[%" PRIu64 "].map.sourcesContent[%" PRIu64 "]",
			 s->sections - 1, local);
	else
		snprintf(s->label, sizeof(s->label), "sourcesContent[%" PRIu64 "]", local);
	if (!s->seen_sources)
		s->sources_after_content = true;
	m->name = s->label;
	m->name_len = strlen(s->label);
}

/* ---- the document ------------------------------------------------------- */

static enum key classify(const char *k, size_t n)
{
	static const struct {
		const char *name;
		enum key key;
	} keys[] = {
		{ "version", K_VERSION }, { "sources", K_SOURCES }, { "sourcesContent", K_CONTENT },
		{ "sections", K_SECTIONS }, { "ignoreList", K_IGNORE },
		{ "x_google_ignoreList", K_IGNORE }, { "mappings", K_MAPPINGS },
		{ "names", K_NAMES }, { "file", K_FILE }, { "sourceRoot", K_ROOT }, { "map", K_MAP },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (strlen(keys[i].name) == n && memcmp(keys[i].name, k, n) == 0)
			return keys[i].key;
	return K_OTHER;
}

static bool parse_uint(const uint8_t *p, size_t n, uint64_t *v)
{
	*v = 0;
	if (!n || n > 18)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (uint64_t)(p[i] - '0');
	}
	return true;
}

/* A key piece; returns the key once its last piece arrived, else -1. */
static int key_piece(struct sm *s, const struct lsi_jr_event *ev)
{
	if (ev->first) {
		s->key_len = 0;
		s->key_long = false;
	}
	if (s->key_len + ev->n > KEY_MAX) {
		s->key_long = true;
	} else {
		memcpy(s->keybuf + s->key_len, ev->p, ev->n);
		s->key_len += ev->n;
	}
	if (!ev->last) {
		if (s->key_long)
			lsi_jr_skip_string(&s->jr);
		return -1;
	}
	return s->key_long ? K_OTHER : (int)classify(s->keybuf, s->key_len);
}

/* A map object (the top level or a section's "map") ended. */
static void map_end(struct sm *s)
{
	if (s->sec_has_sources && s->sec_has_content && s->sec_sources != s->sec_contents &&
	    s->pending == LSI_RD_OK) {
		s->pending = LSI_RD_DAMAGED;
		snprintf(s->pending_msg, sizeof(s->pending_msg),
			 "source map is inconsistent: sourcesContent has %" PRIu64
			 " entries but sources has %" PRIu64, s->sec_contents, s->sec_sources);
	}
}

static void map_begin(struct sm *s, int depth)
{
	s->map_depth = depth;
	s->key = K_OTHER;
	s->arr = A_NONE;
	s->sec_base = s->src_count;
	s->sec_sources = s->sec_contents = 0;
	s->sec_has_sources = s->sec_has_content = false;
}

/*
 * One token of the document. Returns 1 when @m holds a member, 0 to go
 * on, -1 when the map cannot be read further (fail_* set).
 */
static int handle(struct sm *s, const struct lsi_jr_event *ev, struct lsi_member *m)
{
	int d = ev->depth, md = s->map_depth;
	int k;

	switch (ev->tok) {
	case LSI_JR_OBJ_BEGIN:
		if (d == 0) {
			map_begin(s, 1);
		} else if (d == 3 && md == 1 && s->key == K_SECTIONS && s->sec_key == K_MAP) {
			s->sections++;
			map_begin(s, 4);
		}
		break;
	case LSI_JR_OBJ_END:
		if (d == 0 && md == 1) {
			map_end(s);
		} else if (d == 3 && md == 4) {
			map_end(s);
			s->map_depth = 1;
			s->key = K_SECTIONS;
			s->arr = A_NONE;
		}
		break;
	case LSI_JR_KEY:
		if (d == md) {
			if ((k = key_piece(s, ev)) >= 0) {
				s->key = (enum key)k;
				if (k == K_SECTIONS && md == 1)
					s->index_map = true;
			}
		} else if (d == 3 && md == 1 && s->key == K_SECTIONS) {
			if ((k = key_piece(s, ev)) >= 0)
				s->sec_key = (enum key)k;
		} else if (!ev->last) {
			lsi_jr_skip_string(&s->jr);
		}
		break;
	case LSI_JR_ARR_BEGIN:
		if (d == md) {
			s->arr = s->key == K_SOURCES ? A_SOURCES : s->key == K_CONTENT ? A_CONTENT
				 : s->key == K_IGNORE ? A_IGNORE : A_NONE;
			if (s->arr == A_SOURCES) {
				s->sec_has_sources = true;
				s->seen_sources = true;
				s->sec_sources = 0;
			} else if (s->arr == A_CONTENT) {
				s->sec_has_content = true;
				s->sec_contents = 0;
			}
			break;
		}
		/* An array as an element of an array we read. */
		/* fall through */
	default:
		if (d == md + 1 && s->arr != A_NONE) {
			/* Where an element begins (its end tokens are not starts). */
			bool start = ev->tok == LSI_JR_STR ? ev->first : ev->tok != LSI_JR_ARR_END;
			uint64_t i;
			struct src *e;

			if (s->arr == A_SOURCES) {
				if (start) {
					i = s->sec_base + s->sec_sources++;
					if (!(e = entry(s, i)))
						return -1;
					s->naming = false;
					if (ev->tok == LSI_JR_STR)
						name_begin(s, e);
					else
						e->flags &= (uint8_t)~(F_NAME | F_NAME_CUT);
				}
				if (ev->tok == LSI_JR_STR && s->naming &&
				    name_piece(s, ev->p, ev->n, ev->last) && !ev->last)
					lsi_jr_skip_string(&s->jr);
			} else if (s->arr == A_CONTENT) {
				if (!start)
					break; /* cannot happen: members read whole strings */
				i = s->sec_base + s->sec_contents++;
				if (!(e = entry(s, i)))
					return -1;
				if (ev->tok == LSI_JR_STR) {
					if (s->members >= s->lim.max_members && s->lim.max_members) {
						s->fail_st = LSI_RD_LIMIT;
						snprintf(s->fail_msg, sizeof(s->fail_msg),
							 "max-members: more than %" PRIu64 " embedded sources",
							 s->lim.max_members);
						return -1;
					}
					member(s, m, (size_t)i, i - s->sec_base, ev);
					return 1;
				}
			} else if (ev->tok == LSI_JR_NUM && parse_uint(ev->p, ev->n, &i) &&
				   i < s->src_count - s->sec_base) {
				/* Only sources already seen: an index cannot grow the table. */
				s->src[s->sec_base + i].flags |= F_IGNORED;
			}
			break;
		}
		if (ev->tok == LSI_JR_ARR_END && d == md) {
			s->arr = A_NONE;
		} else if (ev->tok == LSI_JR_STR && !ev->last) {
			/* "mappings" and anything else we do not need: validated, not copied. */
			lsi_jr_skip_string(&s->jr);
		}
		break;
	}
	return 0;
}

/* ---- the report --------------------------------------------------------- */

struct slice {
	const char *p;
	size_t n;
};

static bool has(const char *p, size_t n, const char *needle)
{
	return memmem(p, n, needle, strlen(needle)) != NULL;
}

static bool starts(const char *p, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(p, prefix, k) == 0;
}

/*
 * Splits a label into the part after any "scheme://namespace/" (@after_ns)
 * and a normalised path: leading "./", "../" and "[project]/" removed.
 */
static void normalise(const char *p, size_t n, struct slice *after_ns, struct slice *path)
{
	size_t i = 0;

	while (i < n && ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
			 (i && ((p[i] >= '0' && p[i] <= '9') || p[i] == '+' || p[i] == '-' ||
				p[i] == '.'))))
		i++;
	if (i && n - i >= 3 && memcmp(p + i, "://", 3) == 0) {
		bool file = i == 4 && memcmp(p, "file", 4) == 0;

		p += i + 3;
		n -= i + 3;
		if (!file) {
			/* webpack://<namespace>/..., turbopack:///[project]/... */
			const char *slash = memchr(p, '/', n);

			if (slash) {
				n -= (size_t)(slash + 1 - p);
				p = slash + 1;
			} else {
				n = 0;
			}
		}
	}
	after_ns->p = p;
	after_ns->n = n;
	for (;;) {
		if (starts(p, n, "./")) {
			p += 2, n -= 2;
		} else if (starts(p, n, "../")) {
			p += 3, n -= 3;
		} else if (starts(p, n, "[project]/")) {
			p += 10, n -= 10;
		} else {
			break;
		}
	}
	path->p = p;
	path->n = n;
}

/*
 * Third-party or bundler-generated sources; everything else is first
 * party. The list (also in rules/source-exposure/sourcemaps.yml):
 * node_modules/, bower_components/, jspm_packages/ anywhere; names with
 * a NUL byte (rollup virtual modules) or starting "rollupPlugin" or
 * "commonjsHelpers" / "_commonjsHelpers"; "(webpack)"; webpack runtime
 * modules (webpack/bootstrap, webpack/runtime/..., webpack/startup,
 * webpack/universalModuleDefinition, ...: "webpack/" right after the
 * namespace); webpack externals and generated modules ("external ...",
 * "ignored|...", "delegated ...", "container entry", "consume shared
 * module", "provide shared module", "remote ...", "?query" entries);
 * vite/, @vite/, /@vite/ and __vite-browser-external; bundler namespaces
 * in brackets other than [project] ([turbopack]/..., [next]/...).
 */
static bool third_party(const char *name, size_t n)
{
	static const char *const anywhere[] = {
		"node_modules/", "bower_components/", "jspm_packages/", "(webpack)",
		"__vite-browser-external", "[turbopack]",
	};
	static const char *const generated[] = {
		"webpack/", "external ", "ignored|", "delegated ", "container entry",
		"consume shared module", "provide shared module", "remote ", "?", "vite/",
		"@vite/", "/@vite/",
	};
	struct slice ns, path;
	const char *base;

	if (memchr(name, '\0', n))
		return true;
	for (size_t i = 0; i < sizeof(anywhere) / sizeof(*anywhere); i++)
		if (has(name, n, anywhere[i]))
			return true;
	normalise(name, n, &ns, &path);
	for (size_t i = 0; i < sizeof(generated) / sizeof(*generated); i++)
		if (starts(ns.p, ns.n, generated[i]))
			return true;
	if (path.n && path.p[0] == '[')
		return true;
	base = memrchr(path.p, '/', path.n);
	base = base ? base + 1 : path.p;
	n = path.n - (size_t)(base - path.p);
	return starts(base, n, "rollupPlugin") || starts(base, n, "commonjsHelpers") ||
	       starts(base, n, "_commonjsHelpers");
}

static bool first_party(const struct sm *s, const struct src *e)
{
	if (e->flags & F_IGNORED)
		return false;
	if (!(e->flags & F_NAME))
		return true; /* unknown origin: counted, rather than hidden */
	return !third_party((const char *)s->names.data + e->name_off, e->name_len);
}

static int cmp_slice(const void *a, const void *b)
{
	const struct slice *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

static bool container_dir(const char *p, size_t n)
{
	static const char *const words[] = { "packages/", "apps/", "libs/", "modules/",
					     "services/", "projects/", "plugins/" };

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (n == strlen(words[i]) && memcmp(p, words[i], n) == 0)
			return true;
	return false;
}

/*
 * Groups the directories of @dirs (each a prefix of a label, ending in
 * '/' or empty) one level below their common prefix (two below a
 * "packages/"-like folder) and writes the largest groups.
 */
static void top_dirs(struct lsi_json *j, struct slice *dirs, size_t n)
{
	size_t common, i;
	struct {
		struct slice dir;
		uint64_t files;
	} top[TOP_DIRS];
	size_t ntop = 0;

	lsi_json_key(j, "top_directories");
	lsi_json_arr_begin(j);
	if (!n) {
		lsi_json_arr_end(j);
		return;
	}
	common = dirs[0].n;
	for (i = 1; i < n; i++) {
		size_t k = 0, lim = common < dirs[i].n ? common : dirs[i].n;

		while (k < lim && dirs[0].p[k] == dirs[i].p[k])
			k++;
		while (k && dirs[0].p[k - 1] != '/')
			k--;
		common = k;
	}
	for (i = 0; i < n; i++) {
		const char *p = dirs[i].p;
		size_t len = dirs[i].n, cut = common;
		const char *slash;

		if (len > cut) {
			slash = memchr(p + cut, '/', len - cut);
			if (slash) {
				size_t sub = (size_t)(slash + 1 - p);

				if (container_dir(p + cut, sub - cut) && len > sub &&
				    (slash = memchr(p + sub, '/', len - sub)))
					sub = (size_t)(slash + 1 - p);
				cut = sub;
			}
		}
		dirs[i].n = cut;
	}
	qsort(dirs, n, sizeof(*dirs), cmp_slice);
	for (i = 0; i < n;) {
		size_t k = i + 1, at;

		while (k < n && cmp_slice(&dirs[i], &dirs[k]) == 0)
			k++;
		/* Insertion into the small sorted top list; ties keep name order. */
		for (at = ntop; at > 0 && top[at - 1].files < k - i; at--)
			;
		if (at < TOP_DIRS) {
			size_t last = ntop < TOP_DIRS ? ntop : TOP_DIRS - 1;

			memmove(&top[at + 1], &top[at], (last - at) * sizeof(top[0]));
			top[at].dir = dirs[i];
			top[at].files = k - i;
			if (ntop < TOP_DIRS)
				ntop++;
		}
		i = k;
	}
	for (i = 0; i < ntop; i++) {
		lsi_json_obj_begin(j);
		lsi_json_key(j, "dir");
		if (top[i].dir.n)
			lsi_json_str(j, top[i].dir.p, top[i].dir.n);
		else
			lsi_json_cstr(j, "./");
		lsi_json_key(j, "files");
		lsi_json_uint(j, top[i].files);
		lsi_json_obj_end(j);
	}
	lsi_json_arr_end(j);
}

/* Builds the analyzer finding; false when there is nothing to say. */
static bool report(struct sm *s, struct lsi_member *m)
{
	uint64_t with_content = 0, fp_all = 0, fp_content = 0, fp_lines = 0, fp_bytes = 0;
	uint64_t cut = 0;
	struct slice *dirs = NULL;
	size_t ndirs = 0;
	bool content;
	struct lsi_json j;

	if (!s->src_count)
		return false;
	for (size_t i = 0; i < s->src_count; i++) {
		const struct src *e = &s->src[i];
		bool fp = first_party(s, e);

		with_content += (e->flags & F_CONTENT) != 0;
		cut += (e->flags & F_NAME_CUT) != 0;
		fp_all += fp;
		if (fp && (e->flags & F_CONTENT)) {
			fp_content++;
			fp_bytes += e->bytes;
			fp_lines += e->lines + (e->bytes && e->last != '\n');
		}
	}
	content = with_content > 0;
	dirs = lsi_calloc(content ? (fp_content ? fp_content : 1) : (fp_all ? fp_all : 1),
			  sizeof(*dirs));
	for (size_t i = 0; dirs && i < s->src_count; i++) {
		const struct src *e = &s->src[i];
		struct slice ns, path;
		const char *slash;

		if (!first_party(s, e) || (content && !(e->flags & F_CONTENT)) || !(e->flags & F_NAME))
			continue;
		normalise((const char *)s->names.data + e->name_off, e->name_len, &ns, &path);
		slash = memrchr(path.p, '/', path.n);
		dirs[ndirs].p = path.p;
		dirs[ndirs].n = slash ? (size_t)(slash + 1 - path.p) : 0;
		ndirs++;
	}
	lsi_buf_reset(&s->details);
	lsi_json_init(&j, &s->details, false);
	lsi_json_obj_begin(&j);
	lsi_json_key(&j, "sources");
	lsi_json_uint(&j, s->src_count);
	lsi_json_key(&j, "sources_with_content");
	lsi_json_uint(&j, with_content);
	lsi_json_key(&j, "first_party_sources");
	lsi_json_uint(&j, content ? fp_content : fp_all);
	lsi_json_key(&j, "first_party_lines");
	lsi_json_uint(&j, fp_lines);
	lsi_json_key(&j, "first_party_bytes");
	lsi_json_uint(&j, fp_bytes);
	top_dirs(&j, dirs, ndirs);
	if (s->index_map) {
		lsi_json_key(&j, "sections");
		lsi_json_uint(&j, s->sections);
	}
	if (s->sources_after_content) {
		/* Members were named "sourcesContent[i]": sources came later. */
		lsi_json_key(&j, "sources_after_content");
		lsi_json_bool(&j, true);
	}
	if (cut || s->names_dropped) {
		lsi_json_key(&j, "names_cut");
		lsi_json_uint(&j, cut + s->names_dropped);
	}
	if (!s->complete) {
		lsi_json_key(&j, "complete");
		lsi_json_bool(&j, false);
	}
	lsi_json_obj_end(&j);
	lsi_free(dirs);
	if (!j.ok)
		return false;
	memset(m, 0, sizeof(*m));
	m->type = LSI_M_REPORT;
	m->name = "";
	m->report_severity = -1;
	m->details_json = lsi_buf_str(&s->details);
	m->message = s->message;
	if (content) {
		m->report_rule = "sourcemap-sources-content";
		if (fp_content)
			snprintf(s->message, sizeof(s->message),
				 "source map embeds %" PRIu64 " of %zu sources: %" PRIu64
				 " first-party files, %" PRIu64 " lines%s",
				 with_content, s->src_count, fp_content, fp_lines,
				 s->complete ? "" : " (map damaged: counts cover what was read)");
		else
			snprintf(s->message, sizeof(s->message),
				 "source map embeds %" PRIu64 " third-party sources, no first-party code%s",
				 with_content, s->complete ? "" : " (map damaged: counts cover what was read)");
		m->report_reason = fp_content ? "first-party source code embedded"
					       : "only third-party sources embedded";
		if (!fp_content)
			m->report_severity = LS_SEV_MEDIUM;
	} else {
		m->report_rule = "sourcemap-sources-list";
		m->report_reason = "source paths only, no content";
		snprintf(s->message, sizeof(s->message),
			 "source map lists %zu source paths (%" PRIu64 " first-party) without their content",
			 s->src_count, fp_all);
	}
	return true;
}

/* ---- container ops ------------------------------------------------------ */

static void *sm_open(struct lsi_bstream *in, const struct lsi_climits *lim)
{
	struct sm *s = lsi_calloc(1, sizeof(*s));

	if (!s || !(s->piece = lsi_malloc(PIECE_LEN))) {
		lsi_free(s);
		lsi_bstream_close(in);
		return NULL;
	}
	s->in = in;
	s->lim = *lim;
	s->max_entries = lim->max_members && lim->max_members < MAX_SOURCES ? lim->max_members
									    : MAX_SOURCES;
	lsi_jr_init(&s->jr, s->piece, PIECE_LEN, MAX_JSON_DEPTH);
	s->data.base.ops = &data_ops;
	s->data.s = s;
	lsi_buf_init(&s->names, MAX_NAMES_BYTES);
	lsi_buf_init(&s->details, DETAILS_MAX);
	return s;
}

static void sm_close(void *c)
{
	struct sm *s = c;

	if (!s)
		return;
	lsi_buf_fini(&s->names);
	lsi_buf_fini(&s->details);
	lsi_free(s->src);
	lsi_free(s->piece);
	lsi_bstream_close(s->in);
	lsi_free(s);
}

static enum lsi_rd rest_read(struct lsi_bstream *bs, const uint8_t **buf, size_t *len)
{
	struct sm_rest *r = (struct sm_rest *)bs;
	enum lsi_rd st;

	if (r->n) {
		*buf = r->p;
		*len = r->n;
		r->n = 0;
		return LSI_RD_OK;
	}
	if (r->s->in_eof)
		return LSI_RD_EOF;
	st = lsi_bstream_read(r->s->in, buf, len);
	if (st == LSI_RD_EOF)
		r->s->in_eof = true;
	else if (st != LSI_RD_OK)
		memcpy(bs->msg, r->s->in->msg, sizeof(bs->msg));
	return st;
}

static void rest_close(struct lsi_bstream *bs)
{
	(void)bs; /* owned by the map */
}

static const struct lsi_bstream_ops rest_ops = { rest_read, rest_close };

static void stop(struct sm *s)
{
	s->phase = P_REPORT;
	s->pending = s->fail_st;
	memcpy(s->pending_msg, s->fail_msg, sizeof(s->pending_msg));
}

static enum lsi_rd sm_next(void *c, struct lsi_member *m, char msg[LSI_MSG_LEN])
{
	struct sm *s = c;
	struct lsi_jr_event ev;

	memset(m, 0, sizeof(*m));
	m->report_severity = -1;
	if ((s->mem_open || s->mem_more) && !drain(s))
		stop(s);
	while (s->phase == P_PARSE) {
		enum lsi_jr_tok t = pull(s, &ev);
		int r;

		if (t == LSI_JR_ERROR) {
			stop(s);
			break;
		}
		if (t == LSI_JR_END) {
			s->complete = true;
			s->phase = P_REPORT;
			break;
		}
		if ((r = handle(s, &ev, m)) > 0)
			return LSI_RD_OK;
		if (r < 0)
			stop(s);
	}
	if (s->phase == P_REPORT) {
		s->phase = P_REST;
		if (report(s, m))
			return LSI_RD_OK;
	}
	if (s->phase == P_REST) {
		s->phase = P_STATUS;
		if (s->rest) {
			s->rest_data.base.ops = &rest_ops;
			s->rest_data.s = s;
			m->name = "(rest of the map, as text)";
			m->name_len = strlen(m->name);
			m->type = LSI_M_FILE;
			m->size = -1;
			m->data = &s->rest_data.base;
			return LSI_RD_OK;
		}
	}
	if (s->phase == P_STATUS) {
		s->phase = P_EOF;
		if (s->pending != LSI_RD_OK) {
			memcpy(msg, s->pending_msg, LSI_MSG_LEN);
			return s->pending;
		}
	}
	return LSI_RD_EOF;
}

/* ---- probe --------------------------------------------------------------- */

static bool vlq_only(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || c == ',' || c == ';'))
			return false;
	}
	return true;
}

/*
 * A JSON object whose top-level keys, as far as the head shows them, are
 * "version": 3 plus a source-map key, or a "mappings" string in the VLQ
 * alphabet. Anything less is left to the data scan: a missed map is
 * still scanned as text, while a false match would hide its content.
 */
static int sm_probe(const uint8_t *head, size_t n)
{
	enum pre pre = PRE_BOM0;
	uint8_t piece[64];
	struct lsi_jr jr;
	struct lsi_jr_event ev;
	size_t k;
	enum key cur = K_OTHER;
	char kb[KEY_MAX];
	size_t kl = 0;
	bool v3 = false, vbad = false, other = false, map_str = false, vlq = true, vlq_any = false;
	bool first = true;

	k = skip_prefix(&pre, head, n);
	if (k >= n || head[k] != '{')
		return 0;
	lsi_jr_init(&jr, piece, sizeof(piece), MAX_JSON_DEPTH);
	lsi_jr_feed(&jr, head + k, n - k);
	/* The head ends where the sniffer stopped: a cut there is no fault. */
	lsi_jr_finish(&jr);
	for (;;) {
		enum lsi_jr_tok t = lsi_jr_next(&jr, &ev);

		if (t == LSI_JR_ERROR) {
			if (jr.err_kind != LSI_JR_E_TRUNCATED)
				return 0;
			break;
		}
		if (t == LSI_JR_END)
			break;
		if (first && t != LSI_JR_OBJ_BEGIN)
			return 0;
		first = false;
		if (ev.depth != 1)
			continue;
		if (t == LSI_JR_KEY) {
			if (ev.first)
				kl = 0;
			if (kl + ev.n <= sizeof(kb)) {
				memcpy(kb + kl, ev.p, ev.n);
				kl += ev.n;
			} else {
				kl = sizeof(kb) + 1;
			}
			if (ev.last) {
				cur = kl <= sizeof(kb) ? classify(kb, kl) : K_OTHER;
				other |= cur == K_SOURCES || cur == K_CONTENT || cur == K_SECTIONS ||
					 cur == K_NAMES || cur == K_FILE || cur == K_ROOT;
			}
		} else if (t == LSI_JR_NUM && cur == K_VERSION) {
			if (ev.n == 1 && ev.p[0] == '3')
				v3 = true;
			else
				vbad = true;
		} else if (t == LSI_JR_STR && cur == K_MAPPINGS) {
			map_str = true;
			vlq_any |= ev.n > 0;
			vlq &= vlq_only(ev.p, ev.n);
		} else if (cur == K_VERSION) {
			vbad = true; /* "version": "3" or anything but the number */
		}
		if (t != LSI_JR_KEY && t != LSI_JR_STR)
			cur = t == LSI_JR_NUM || t == LSI_JR_TRUE || t == LSI_JR_FALSE ||
				      t == LSI_JR_NULL
				      ? K_OTHER
				      : cur;
	}
	if (vbad)
		return 0;
	if (v3 && (other || map_str))
		return 100;
	if (map_str && vlq && (vlq_any || other))
		return 90;
	return 0;
}

const struct lsi_container_ops lsi_container_sourcemap = {
	"sourcemap", 2, sm_probe, sm_open, sm_next, sm_close, true,
};
