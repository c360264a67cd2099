/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streaming scan of one member. Chunks go straight to Hyperscan; each hit
 * is confirmed by PCRE2 over at most LSI_WINDOW bytes behind and ahead of
 * its end offset. A hit too close to the end of a chunk waits for the
 * next chunk (or the end of the stream), so a secret cut in two by a
 * chunk boundary is still found whole. Only the last 2 * LSI_WINDOW bytes
 * are ever copied, into the stream's history.
 */
#include <pthread.h>
#include <string.h>

#include "engine_int.h"
#include "util/alloc.h"
#include "util/lines.h"

#define HIST_CAP (4 * LSI_WINDOW)  /* history buffer; keeps >= 2 windows */
#define HIST_KEEP (2 * LSI_WINDOW) /* bytes kept after compaction */
/* Hits waiting for bytes after them: all lie in a chunk's last horizon
 * (< HIST_KEEP) bytes, so only rules that hit at every byte there (a
 * {40,8000} run) need many. Past the bound a hit is confirmed at once,
 * with what the chunk holds. */
#define DEFERRED_FIRST 512
#define DEFERRED_MAX (1u << 18)
#define CONTEXT_BEFORE 16          /* bytes before the window for \b and ^ */
#define CONTEXT_AFTER 64           /* bytes past the widest match, for look-ahead */

struct deferred {
	unsigned rule;
	uint64_t end;
};

struct lsi_mstream {
	struct lsi_matcher *m;
	struct lsi_mstream *next_free;
	hs_stream_t *hs;
	lsi_hit_fn fn;
	void *user;
	int stop;                    /* callback asked to stop */
	uint64_t w_max;              /* the widest rule's width */
	bool loc_valid;              /* locate()'s memo: */
	uint64_t loc_off, loc_nl, loc_line_start;
	uint64_t loc_cont;           /* UTF-8 continuation bytes in [loc_line_start, loc_off) */
	unsigned bom;                /* bytes of a UTF-8 byte order mark seen at 0; 4: none */
	/* Per rule: end of the last confirmed match in this stream. Entries
	 * of an earlier stream (another gen) count as none, so opening a
	 * stream does not clear one entry per rule. */
	struct last_end {
		uint64_t gen, end;
		uint64_t mute_gen;   /* == gen: the rule's hits are only counted */
	} *last_end;
	uint64_t gen;
	uint8_t *hist;               /* bytes [hist_start, chunk_start) */
	size_t hist_len;
	uint64_t hist_start;
	uint64_t hist_lines;         /* newlines before hist_start */
	uint64_t hist_line_start;    /* start offset of the line holding hist_start */
	uint64_t hist_line_cont;     /* UTF-8 continuation bytes in [hist_line_start, hist_start) */
	uint64_t lines;              /* newlines before chunk_start */
	const uint8_t *chunk;        /* current chunk while pushing */
	size_t chunk_len;
	uint64_t chunk_start;        /* offset of chunk[0] */
	bool last;                   /* no bytes after this chunk */
	bool hs_dirty;               /* Hyperscan stream has state to reset */
	struct deferred *def;
	size_t def_count, def_cap;
	/* The last confirmed secret, held until the next hit: a generic rule
	 * and a provider's rule capturing the same bytes are one finding,
	 * kept under the rule of higher severity. */
	bool held;
	struct lsi_hit hold;
	uint8_t *hold_buf;           /* the held match, LSI_WINDOW bytes */
	/* Hyperscan's hits from hits->from on come from a prescan (live). */
	struct lsi_hits *hits;
	bool hits_live;
};

/*
 * A prescan's hits (engine.h). Hyperscan reports a match a few bytes
 * after its end at most (a look-ahead of one byte, a literal it delays),
 * so once the prescan is HITS_MARGIN bytes past an offset, the hits that
 * end there are all listed.
 */
#define HITS_MARGIN 256
/* The member's stream takes every hit ending more than this before its
 * chunk's end in that chunk's push: a later one is confirmed from history,
 * which keeps HIST_KEEP bytes (two windows). */
#define HITS_LATE 4096
#define HITS_CAP (1u << 20) /* listed and not taken: the prescan waits */

enum hits_state { HITS_IDLE, HITS_RUNNING, HITS_SKIPPED, HITS_DONE, HITS_FAILED };

struct lsi_hits {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;
	enum hits_state state;
	bool abandoned;          /* the member's stream wants no more */
	uint64_t base, from;
	uint64_t scanned;        /* offset the prescan has reached */
	hs_stream_t *hs;         /* the prescan's */
	struct deferred *v;      /* hits in Hyperscan's order: rule, end */
	size_t n, cap, taken;
};

/* lsi_matcher_new() and _clone(): a scratch from @like, or a new one. */
static ls_status matcher_make(const struct lsi_engine *e, const struct lsi_matcher *like,
			      struct lsi_matcher **out)
{
	struct lsi_matcher *m;

	*out = NULL;
	if (!(m = lsi_calloc(1, sizeof(*m))))
		return LS_ERR_NOMEM;
	m->e = e;
	if (like && like->scratch) {
		/* A copy of a scratch sized for both databases: no second check
		 * of the databases' checksums (a pass over megabytes each). */
		if (hs_clone_scratch(like->scratch, &m->scratch) != HS_SUCCESS)
			goto oom;
	} else {
		/* Cached databases come with a scratch for both, made while
		 * checking them: the first scanner takes it as it is, without
		 * copying 128 KB of fresh memory. Otherwise one scratch serves
		 * both databases: the second call grows it. */
		hs_scratch_t *own = lsi_engine_take_scratch(e);

		if (own) {
			m->scratch = own;
		} else {
			if (e->db && hs_alloc_scratch(e->db, &m->scratch) != HS_SUCCESS)
				goto oom;
			if (e->path_db && hs_alloc_scratch(e->path_db, &m->scratch) != HS_SUCCESS)
				goto oom;
		}
	}
	if (!(m->path_hit = lsi_calloc(e->count ? e->count : 1, 1)))
		goto oom;
	if (!(m->md = pcre2_match_data_create(10, NULL)) ||
	    !(m->mc = pcre2_match_context_create(NULL)))
		goto oom;
	m->asm_cap = 2 * LSI_WINDOW + 2 * CONTEXT_BEFORE + HIST_CAP;
	if (!(m->asm_buf = lsi_malloc(m->asm_cap)))
		goto oom;
	*out = m;
	return LS_OK;
oom:
	lsi_matcher_free(m);
	return LS_ERR_NOMEM;
}

ls_status lsi_matcher_new(const struct lsi_engine *e, struct lsi_matcher **out)
{
	return matcher_make(e, NULL, out);
}

ls_status lsi_matcher_clone(const struct lsi_matcher *src, struct lsi_matcher **out)
{
	return matcher_make(src->e, src, out);
}

static void mstream_destroy(struct lsi_mstream *s)
{
	if (s->hs)
		hs_close_stream(s->hs, NULL, NULL, NULL);
	lsi_free(s->last_end);
	lsi_free(s->hist);
	lsi_free(s->def);
	lsi_free(s->hold_buf);
	lsi_free(s);
}

void lsi_matcher_free(struct lsi_matcher *m)
{
	if (!m)
		return;
	while (m->pool) {
		struct lsi_mstream *s = m->pool;

		m->pool = s->next_free;
		mstream_destroy(s);
	}
	hs_free_scratch(m->scratch);
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mc);
	lsi_free(m->asm_buf);
	lsi_free(m->path_hit);
	lsi_free(m->pad);
	lsi_free(m);
}

const uint8_t *lsi_matcher_padded(struct lsi_matcher *m, const uint8_t *p, size_t n)
{
	if (n + LSI_HS_SLACK > m->pad_cap) {
		size_t cap = n + LSI_HS_SLACK > 4096 ? n + LSI_HS_SLACK : 4096;
		uint8_t *np = lsi_realloc(m->pad, cap);

		if (!np)
			return NULL;
		m->pad = np;
		m->pad_cap = cap;
	}
	memcpy(m->pad, p, n);
	memset(m->pad + n, 0, LSI_HS_SLACK);
	return m->pad;
}

/* Whether one more hit can wait: the list grows to DEFERRED_MAX. Streams
 * are pooled, so a grown list is kept for the next member. */
static bool defer_room(struct lsi_mstream *s)
{
	struct deferred *d;
	size_t cap;

	if (s->def_count < s->def_cap)
		return true;
	if (s->def_cap >= DEFERRED_MAX)
		return false;
	cap = s->def_cap * 2;
	if (!(d = lsi_realloc(s->def, cap * sizeof(*d))))
		return false;
	s->def = d;
	s->def_cap = cap;
	return true;
}

static int on_hs_match(unsigned int id, unsigned long long from, unsigned long long to,
		       unsigned int flags, void *ctx);

/*
 * Streams @len bytes to Hyperscan, the last LSI_HS_SLACK of them from a
 * padded copy, so no read runs past the caller's buffer. Streaming mode
 * makes the split invisible to matching.
 */
static hs_error_t scan_padded(struct lsi_matcher *m, hs_stream_t *hs, const uint8_t *data,
			      size_t len, match_event_handler fn, void *ctx)
{
	size_t head = len > LSI_HS_SLACK ? len - LSI_HS_SLACK : 0;
	const uint8_t *tail;
	hs_error_t err = HS_SUCCESS;

	if (len && lsi_slack_in_page(data + len))
		return hs_scan_stream(hs, (const char *)data, (unsigned)len, 0, m->scratch, fn, ctx);

	if (head)
		err = hs_scan_stream(hs, (const char *)data, (unsigned)head, 0, m->scratch, fn, ctx);
	if (err != HS_SUCCESS)
		return err;
	if (!(tail = lsi_matcher_padded(m, data + head, len - head)))
		return HS_NOMEM;
	return hs_scan_stream(hs, (const char *)tail, (unsigned)(len - head), 0, m->scratch, fn,
			      ctx);
}

static hs_error_t scan_hs(struct lsi_mstream *s, const uint8_t *data, size_t len)
{
	return scan_padded(s->m, s->hs, data, len, on_hs_match, s);
}

uint64_t lsi_mstream_offset(const struct lsi_mstream *s)
{
	return s->chunk_start + s->chunk_len;
}

/* Whether rule @ri already has a confirmed match in this stream ending at or past @end. */
static inline bool confirmed_past(const struct lsi_mstream *s, size_t ri, uint64_t end)
{
	return s->last_end[ri].gen == s->gen && end <= s->last_end[ri].end;
}

ls_status lsi_mstream_open(struct lsi_matcher *m, lsi_hit_fn fn, void *user,
			   struct lsi_mstream **out)
{
	struct lsi_mstream *s = m->pool;

	*out = NULL;
	if (s) {
		m->pool = s->next_free;
	} else {
		if (!(s = lsi_calloc(1, sizeof(*s))))
			return LS_ERR_NOMEM;
		s->m = m;
		for (size_t i = 0; i < m->e->count; i++)
			if (m->e->rules[i].width > s->w_max)
				s->w_max = m->e->rules[i].width;
		s->last_end = lsi_calloc(m->e->count ? m->e->count : 1, sizeof(*s->last_end));
		s->hist = lsi_malloc(HIST_CAP);
		s->def = lsi_malloc(DEFERRED_FIRST * sizeof(*s->def));
		s->def_cap = DEFERRED_FIRST;
		s->hold_buf = lsi_malloc(LSI_WINDOW);
		if (!s->last_end || !s->hist || !s->def || !s->hold_buf ||
		    (m->e->db && hs_open_stream(m->e->db, 0, &s->hs) != HS_SUCCESS)) {
			mstream_destroy(s);
			return LS_ERR_NOMEM;
		}
	}
	s->fn = fn;
	s->user = user;
	s->stop = 0;
	s->hist_len = 0;
	s->hist_start = s->hist_lines = s->hist_line_start = s->hist_line_cont = s->lines = 0;
	s->bom = 0;
	s->chunk = NULL;
	s->chunk_len = 0;
	s->chunk_start = 0;
	s->last = false;
	s->def_count = 0;
	s->held = false;
	s->loc_valid = false;
	s->gen++;
	*out = s;
	return LS_OK;
}

/* Byte view of [lo, hi) over history + chunk; copies only when it spans both. */
static const uint8_t *view(struct lsi_mstream *s, uint64_t lo, uint64_t hi)
{
	size_t n = (size_t)(hi - lo);

	if (lo >= s->chunk_start)
		return s->chunk + (lo - s->chunk_start);
	if (hi <= s->chunk_start)
		return s->hist + (lo - s->hist_start);
	/* lo in history, hi in chunk */
	{
		size_t h = (size_t)(s->chunk_start - lo);

		if (n > s->m->asm_cap)
			return NULL;
		memcpy(s->m->asm_buf, s->hist + (lo - s->hist_start), h);
		memcpy(s->m->asm_buf + h, s->chunk, n - h);
		return s->m->asm_buf;
	}
}

static uint8_t byte_at(const struct lsi_mstream *s, uint64_t off)
{
	if (off >= s->chunk_start)
		return s->chunk[off - s->chunk_start];
	return s->hist[off - s->hist_start];
}

/* UTF-8 continuation bytes in [from, to), both in history or the chunk. */
static uint64_t cont_in(const struct lsi_mstream *s, uint64_t from, uint64_t to)
{
	uint64_t n = 0;

	if (from < s->chunk_start) {
		uint64_t end = to < s->chunk_start ? to : s->chunk_start;

		n += lsi_count_utf8_cont(s->hist + (from - s->hist_start), (size_t)(end - from));
		from = end;
	}
	if (to > from)
		n += lsi_count_utf8_cont(s->chunk + (from - s->chunk_start), (size_t)(to - from));
	return n;
}

/*
 * Line and column of @off, which lies in history or the current chunk;
 * the column counts characters (UTF-8 sequences; a stray byte is one).
 * Hits come mostly in order, so counting resumes from the last offset
 * located: a minified bundle (one line, thousands of hits) costs one pass
 * over its bytes, not one pass back to the line start per hit.
 */
static void locate(struct lsi_mstream *s, uint64_t off, uint64_t *line, uint64_t *col)
{
	uint64_t from = s->hist_start, nl = s->hist_lines, line_start = s->hist_line_start;
	uint64_t cont = s->hist_line_cont;
	const uint8_t *a = NULL, *b = NULL, *p;
	size_t an = 0, bn = 0;
	bool found = false;

	if (s->loc_valid && s->loc_off >= s->hist_start) {
		if (s->loc_off <= off) {
			from = s->loc_off;
			nl = s->loc_nl;
			line_start = s->loc_line_start;
			cont = s->loc_cont;
		} else if (off >= s->loc_line_start) {
			/* Back on the memo's line: no newline in between. A line
			 * that began before history is the one holding hist_start. */
			*line = s->loc_nl + 1;
			cont = s->loc_line_start >= s->hist_start
				       ? cont_in(s, s->loc_line_start, off)
				       : s->hist_line_cont + cont_in(s, s->hist_start, off);
			*col = off - s->loc_line_start - cont + 1;
			if (s->bom == 3 && s->loc_line_start == 0 && off >= 3)
				(*col)--;
			return;
		}
	}
	/* [from, off) as its history part a and its chunk part b. */
	if (from < s->chunk_start) {
		a = s->hist + (from - s->hist_start);
		an = (size_t)((off < s->chunk_start ? off : s->chunk_start) - from);
	}
	if (off > s->chunk_start) {
		uint64_t st = from > s->chunk_start ? from : s->chunk_start;

		b = s->chunk + (st - s->chunk_start);
		bn = (size_t)(off - st);
	}
	nl += lsi_count_newlines(a, an) + lsi_count_newlines(b, bn);
	if (bn && (p = memrchr(b, '\n', bn)))
		line_start = off - bn + (uint64_t)(p - b) + 1, found = true;
	else if (an && (p = memrchr(a, '\n', an)))
		line_start = from + (uint64_t)(p - a) + 1, found = true;
	cont = found ? cont_in(s, line_start, off) : cont + cont_in(s, from, off);
	s->loc_valid = true;
	s->loc_off = off;
	s->loc_nl = nl;
	s->loc_line_start = line_start;
	s->loc_cont = cont;
	*line = nl + 1;
	*col = off - line_start - cont + 1;
	/* A byte order mark is no character an editor shows. */
	if (s->bom == 3 && line_start == 0 && off >= 3)
		(*col)--;
}

/*
 * Bytes after a Hyperscan end that must be held before the hit is
 * confirmed: the rule's width for PCRE2, plus LSI_LINE_SCAN for the marks
 * on the match's line, as far as the history still holds the start of
 * any rule's window then (horizon + w_max <= HIST_KEEP; w_max <= LSI_WINDOW
 * keeps it >= width). Hits are confirmed in the order Hyperscan reports
 * them, so a hit waiting here holds back the ones after it: the bytes
 * every hit sees, and the order of findings, do not depend on the split.
 */
static uint64_t horizon(const struct lsi_mstream *s, const struct lsi_crule *cr)
{
	uint64_t h = cr->width + LSI_LINE_SCAN;

	return h + s->w_max > HIST_KEEP ? HIST_KEEP - s->w_max : h;
}

static bool bytes_at(const struct lsi_mstream *s, uint64_t p, uint64_t hi, const char *w,
		     bool fold)
{
	size_t n = strlen(w);

	if (p > hi || hi - p < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = byte_at(s, p + i);

		if ((fold && c >= 'A' && c <= 'Z' ? c + 32 : c) != (uint8_t)w[i])
			return false;
	}
	return true;
}

static bool id_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

/*
 * After "leakscan:allow" at @p: blanks, then rule ids separated by
 * commas. No id, or words that name no rule (a free-text reason), allow
 * every rule; ids that name rules allow only those. A word a letter or
 * two from a rule id is that id misspelt: it names a rule, so that a
 * typo never widens the allow to every rule, and allows nothing itself.
 */
static bool allows(const struct lsi_mstream *s, const struct lsi_crule *cr, uint64_t p,
		   uint64_t hi, bool *typo)
{
	bool named = false;

	if (p < hi && id_byte(byte_at(s, p)))
		return false; /* "leakscan:allowed" and the like are not the marker */
	while (p < hi) {
		char id[129];
		size_t n = 0;

		while (p < hi && (byte_at(s, p) == ' ' || byte_at(s, p) == '\t' ||
				  byte_at(s, p) == ','))
			p++;
		while (p < hi && id_byte(byte_at(s, p))) {
			if (n < sizeof(id) - 1)
				id[n++] = (char)byte_at(s, p);
			p++;
		}
		if (!n)
			break;
		id[n] = '\0';
		if (strcmp(id, cr->def->id) == 0)
			return true;
		if (lsi_ruleset_find(s->m->e->rs, id)) {
			named = true;
		} else {
			const struct lsi_rule *near = lsi_ruleset_near(s->m->e->rs, id);

			named = named || near;
			/* Meant for this very rule: the finding says so. */
			*typo = *typo || near == cr->def;
		}
		if (p < hi && byte_at(s, p) != ',')
			break;
	}
	return !named;
}

/*
 * Marks @h from its line: "leakscan:allow" anywhere on it, and for
 * secrets, placeholder words right next to the secret. Looks at most
 * LSI_LINE_SCAN bytes either side, and never before end - w_max or past
 * end + horizon, so the bytes seen do not depend on how the stream was
 * split.
 */
/* Whether a URL's host right after a secret at @p is this machine
 * ("pass@localhost", "@127.0.0.1", "@[::1]"): a development default more
 * often than a production password. */
static bool loopback_at(const struct lsi_mstream *s, uint64_t p, uint64_t hi)
{
	static const char *const hosts[] = { "@localhost", "@127.", "@[::1]", "@0.0.0.0" };

	for (size_t i = 0; i < sizeof(hosts) / sizeof(*hosts); i++) {
		uint64_t end = p + strlen(hosts[i]);
		uint8_t c;

		if (!bytes_at(s, p, hi, hosts[i], true))
			continue;
		/* "@localhost" must end there, not go on as "@localhost.acme.com". */
		c = end < hi ? byte_at(s, end) : ':';
		if (i == 1 || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				(c >= '0' && c <= '9') || c == '.' || c == '-'))
			return true;
	}
	return false;
}

/*
 * One of @words (folded) at @p, where a word starts: not after a letter, so
 * "example_key" and "mockToken" count and a minified bundle's "isMock" or
 * "tracesSampleRate" next to a live key does not.
 */
static bool word_at(const struct lsi_mstream *s, uint64_t p, uint64_t lo, uint64_t hi,
		    const char *const *words, size_t n)
{
	if (p > lo) {
		uint8_t c = byte_at(s, p - 1) | 0x20;

		if (c >= 'a' && c <= 'z')
			return false;
	}
	for (size_t i = 0; i < n; i++)
		if (bytes_at(s, p, hi, words[i], true))
			return true;
	return false;
}

static void line_marks(const struct lsi_mstream *s, const struct lsi_crule *cr, uint64_t end,
		       struct lsi_hit *h)
{
	static const char *const words[] = {
		"example", "sample", "dummy", "fake", "placeholder", "mock",
	};
	uint64_t reach = end + horizon(s, cr), floor = end > s->w_max ? end - s->w_max : 0;
	uint64_t lo = h->start, hi = h->end;
	uint64_t sec_lo = h->start + h->secret_off, sec_hi = sec_lo + h->secret_len;

	if (floor < s->hist_start)
		floor = s->hist_start;
	if (reach > s->chunk_start + s->chunk_len)
		reach = s->chunk_start + s->chunk_len;
	while (lo > floor && h->start - lo < LSI_LINE_SCAN && byte_at(s, lo - 1) != '\n')
		lo--;
	while (hi < reach && hi - h->end < LSI_LINE_SCAN && byte_at(s, hi) != '\n')
		hi++;
	for (uint64_t p = lo; p < hi && !h->allowed; p++)
		if (byte_at(s, p) == 'l' && bytes_at(s, p, hi, "leakscan:allow", false))
			h->allowed = allows(s, cr, p + 14, hi, &h->allow_typo);
	if (h->allowed)
		h->allow_typo = false;
	/* Only where the line's start was seen: a comment opener then leads. */
	if (lo == 0 || byte_at(s, lo - 1) == '\n') {
		uint64_t p = lo;

		while (p < h->start && (byte_at(s, p) == ' ' || byte_at(s, p) == '\t'))
			p++;
		/* '#' and ';' only before a blank or another of them: a
		 * shell, Python, YAML or config comment, not #define or #!. */
		h->in_comment = bytes_at(s, p, h->start, "//", false) ||
				bytes_at(s, p, h->start, "/*", false) ||
				(p < h->start && byte_at(s, p) == '*' &&
				 (p + 1 == h->start || byte_at(s, p + 1) == ' ')) ||
				(p + 1 < h->start && (byte_at(s, p) == '#' || byte_at(s, p) == ';') &&
				 (byte_at(s, p + 1) == ' ' || byte_at(s, p + 1) == '\t' ||
				  byte_at(s, p + 1) == byte_at(s, p)));
	}
	if (cr->def->category == LS_CAT_SECRET)
		h->loopback = loopback_at(s, sec_hi, hi);
	if (cr->def->category != LS_CAT_SECRET) {
		/* A URL or a path given as an example ("Examples: 10.0.0.1:80"). */
		for (uint64_t p = h->start > lo + 48 ? h->start - 48 : lo; p < h->start; p++)
			if (word_at(s, p, lo, h->start, words, sizeof(words) / sizeof(*words)))
				h->example_context = true;
		return;
	}
	/* 48 bytes: a key name or a short comment, not the rest of a bundle. */
	for (uint64_t p = sec_lo > lo + 48 ? sec_lo - 48 : lo; p < sec_lo; p++)
		if (word_at(s, p, lo, sec_lo, words, sizeof(words) / sizeof(*words)))
			h->example_context = true;
	for (uint64_t p = sec_hi; p < hi && p < sec_hi + 48; p++)
		if (word_at(s, p, lo, hi, words, sizeof(words) / sizeof(*words)))
			h->example_context = true;
}

void lsi_matcher_every_rule(struct lsi_matcher *m, bool on)
{
	m->every_rule = on;
}

/* The callback, and what its answer asks for. */
static void deliver_hit(struct lsi_mstream *s, const struct lsi_hit *h)
{
	int rc = s->fn(h, s->user);

	if (rc == LSI_HIT_MUTE)
		s->last_end[h->rule].mute_gen = s->gen;
	else if (rc)
		s->stop = 1;
}

/* Hands the held hit to the callback. */
static void release(struct lsi_mstream *s)
{
	if (!s->held)
		return;
	s->held = false;
	if (!s->stop)
		deliver_hit(s, &s->hold);
}

/* Rules of a file named generic.yml (assignments, headers) yield to any
 * other rule: a provider's rule says more about the same secret. */
static bool generic_rule(const struct lsi_rule *r)
{
	const char *f = r->file ? strrchr(r->file, '/') : NULL;

	f = f ? f + 1 : r->file;
	return f && strcmp(f, "generic.yml") == 0;
}

/* Whether @h should replace @held, both capturing a secret that starts
 * at the same byte. */
static bool outranks(const struct lsi_mstream *s, const struct lsi_hit *h,
		     const struct lsi_hit *held)
{
	const struct lsi_rule *a = s->m->e->rules[h->rule].def;
	const struct lsi_rule *b = s->m->e->rules[held->rule].def;

	if (generic_rule(a) != generic_rule(b))
		return generic_rule(b);
	if (a->severity != b->severity)
		return a->severity > b->severity;
	return h->secret_len > held->secret_len; /* the whole of it */
}

/*
 * Reports a confirmed hit. A captured secret waits for the next hit (or
 * the stream's end): when that one captures the very same bytes under
 * another secret rule, only one is reported: a provider's rule before a
 * generic one, then the higher severity, then the first. A secret that
 * starts at the same byte and goes on further (a password rule stops at 64
 * characters of a longer token) covers the shorter one when it ranks at
 * least as high. Hits come in Hyperscan's order whatever the chunks, so
 * this does not depend on how the stream was split.
 */
static void report(struct lsi_mstream *s, const struct lsi_hit *h)
{
	const struct lsi_crule *cr = &s->m->e->rules[h->rule];
	bool secret = !s->m->every_rule && cr->def->category == LS_CAT_SECRET && h->captured &&
		      h->match_len <= LSI_WINDOW && h->secret_off <= h->match_len &&
		      h->secret_len <= h->match_len - h->secret_off;

	if (s->held && secret && h->start + h->secret_off == s->hold.start + s->hold.secret_off) {
		bool longer = h->secret_len > s->hold.secret_len;

		if (h->secret_len == s->hold.secret_len) {
			if (!outranks(s, h, &s->hold))
				return; /* the held one stays */
			s->held = false; /* replaced below */
		} else if (longer ? !outranks(s, &s->hold, h) : !outranks(s, h, &s->hold)) {
			/* The longer one ranks as high: the shorter is part of it. */
			if (!longer)
				return;
			s->held = false;
		}
		/* Else the shorter outranks the longer (a key at the start of a
		 * password): two secrets, both reported. */
	}
	release(s);
	if (s->stop)
		return;
	if (!secret) {
		deliver_hit(s, h);
		return;
	}
	s->hold = *h;
	memcpy(s->hold_buf, h->match, h->match_len);
	s->hold.match = s->hold_buf;
	s->hold.secret = s->hold_buf + h->secret_off;
	s->held = true;
}

/*
 * Confirms a Hyperscan hit of rule @ri ending at @end with PCRE2 and
 * reports it. Needs bytes up to min(end + horizon, stream end) available.
 */
static void confirm(struct lsi_mstream *s, unsigned ri, uint64_t end)
{
	const struct lsi_engine *e = s->m->e;
	const struct lsi_crule *cr = &e->rules[ri];
	uint64_t avail_lo = s->hist_start, avail_hi = s->chunk_start + s->chunk_len;
	uint64_t from, lo, hi;
	const uint8_t *subj;
	PCRE2_SIZE pos, *ov;
	uint32_t opts = 0;

	pcre2_code *re = lsi_crule_re(cr);

	if (!re)
		return;
	if (confirmed_past(s, ri, end))
		return;
	from = end > cr->width ? end - cr->width : 0;
	if (from < avail_lo)
		from = avail_lo;
	lo = from > avail_lo + CONTEXT_BEFORE ? from - CONTEXT_BEFORE : avail_lo;
	hi = end + cr->width + CONTEXT_AFTER < avail_hi ? end + cr->width + CONTEXT_AFTER
							: avail_hi;
	if (hi < end)
		hi = end;
	if (!(subj = view(s, lo, hi)))
		return;
	if (lo > 0 && lo == from)
		opts |= PCRE2_NOTBOL;
	if (hi < avail_hi || !s->last)
		opts |= PCRE2_NOTEOL;
	pos = (PCRE2_SIZE)(from - lo);
	/* A match starting past the hit is not this hit's: PCRE2 stops
	 * trying there instead of searching the rest of the window. */
	pcre2_set_offset_limit(s->m->mc, (PCRE2_SIZE)(end - lo));
	while (pos <= (PCRE2_SIZE)(hi - lo)) {
		int rc = pcre2_match(re, subj, (PCRE2_SIZE)(hi - lo), pos, opts, s->m->md,
				     s->m->mc);
		uint64_t ms, me;
		struct lsi_hit h;

		if (rc <= 0)
			return;
		ov = pcre2_get_ovector_pointer(s->m->md);
		ms = lo + ov[0];
		me = lo + ov[1];
		if (ms > end)
			return;
		if (confirmed_past(s, ri, me) ||
		    (!cr->prefilter && me < end)) {
			pos = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
			continue;
		}
		s->last_end[ri].gen = s->gen;
		s->last_end[ri].end = me;
		memset(&h, 0, sizeof(h));
		h.rule = ri;
		h.start = ms;
		h.end = me;
		h.match = subj + ov[0];
		h.match_len = (size_t)(ov[1] - ov[0]);
		h.secret = h.match;
		h.secret_len = h.match_len;
		if (cr->has_capture && rc >= 2 && ov[2] != PCRE2_UNSET) {
			h.secret = subj + ov[2];
			h.secret_len = (size_t)(ov[3] - ov[2]);
			h.secret_off = (size_t)(ov[2] - ov[0]);
			h.captured = true;
		}
		h.muted = s->last_end[ri].mute_gen == s->gen;
		/* Counted hits need it only where it decides whether they match. */
		if (!h.muted || cr->def->min_entropy > 0)
			h.entropy = lsi_entropy(h.secret, h.secret_len);
		if (cr->def->min_entropy > 0 && h.entropy < cr->def->min_entropy)
			return;
		h.verdict_reason = "";
		if (cr->validator) {
			h.verdict = cr->validator->check(h.secret, h.secret_len, &h.verdict_reason);
			if (h.verdict == LSI_VERDICT_FAIL)
				return;
		}
		/* A long structure the validator proved (a PEM key) is not a
		 * placeholder even when "xxxx" occurs by chance in its base64. */
		if (cr->def->category == LS_CAT_SECRET &&
		    (h.verdict == LSI_VERDICT_PASS && h.secret_len >= 64
			     ? lsi_documented_example(h.secret, h.secret_len)
			     : lsi_placeholder_reason(h.secret, h.secret_len) != NULL))
			return;
		if (h.muted) {
			/* Past the rule's cap: counted, so no line work. */
			deliver_hit(s, &h);
			return;
		}
		locate(s, ms, &h.line, &h.column);
		line_marks(s, cr, end, &h);
		report(s, &h);
		return;
	}
}

/* A hit of rule @id ending at @to: confirmed now, or when bytes after it come. */
static int take_hit(struct lsi_mstream *s, unsigned id, uint64_t to)
{
	const struct lsi_crule *cr;
	uint64_t avail_hi = s->chunk_start + s->chunk_len;

	if (id >= s->m->e->count)
		return 0; /* a pad literal (hsdb.c): no rule's */
	cr = &s->m->e->rules[id];
	if (confirmed_past(s, id, to))
		return 0;
	if (!s->last && (s->def_count || to + horizon(s, cr) > avail_hi) && defer_room(s)) {
		/* Every end waits on its own, in order: one confirmation reports
		 * one match, so folding a rule's nearby hits into one would lose
		 * all but the first. */
		s->def[s->def_count].rule = id;
		s->def[s->def_count].end = to;
		s->def_count++;
		return 0;
	}
	confirm(s, id, to);
	return s->stop;
}

static int on_hs_match(unsigned int id, unsigned long long from, unsigned long long to,
		       unsigned int flags, void *ctx)
{
	struct lsi_mstream *s = ctx;

	(void)from;
	(void)flags;
	/* Past the split, the prescan's list has the hits (and reports
	 * those Hyperscan decides on the byte after it). */
	if (s->hits_live && to >= s->hits->from)
		return 0;
	return take_hit(s, id, (uint64_t)to);
}

/* ---- a member's Hyperscan pass on two threads (engine.h) ---- */

bool lsi_hits_split_ok(const struct lsi_engine *e, uint64_t overlap)
{
	return e->db && (uint64_t)e->hs_span + HITS_MARGIN < overlap;
}

ls_status lsi_hits_new(uint64_t base, uint64_t from, struct lsi_hits **out)
{
	struct lsi_hits *h = lsi_calloc(1, sizeof(*h));

	*out = NULL;
	if (!h)
		return LS_ERR_NOMEM;
	if (pthread_mutex_init(&h->mu, NULL) != 0) {
		lsi_free(h);
		return LS_ERR_NOMEM;
	}
	if (pthread_cond_init(&h->cv, NULL) != 0) {
		pthread_mutex_destroy(&h->mu);
		lsi_free(h);
		return LS_ERR_NOMEM;
	}
	h->refs = 2;
	h->base = h->scanned = base;
	h->from = from;
	*out = h;
	return LS_OK;
}

void lsi_hits_unref(struct lsi_hits *h)
{
	int left;

	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	left = --h->refs;
	if (left) {
		/* The other side goes on alone: the prescan stops, a stream
		 * waiting for it does not wait on. */
		h->abandoned = true;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
	if (left)
		return;
	if (h->hs)
		hs_close_stream(h->hs, NULL, NULL, NULL);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	lsi_free(h->v);
	lsi_free(h);
}

bool lsi_hits_start(struct lsi_hits *h)
{
	bool go;

	pthread_mutex_lock(&h->mu);
	go = h->state == HITS_IDLE && !h->abandoned;
	h->state = go ? HITS_RUNNING : HITS_SKIPPED;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return go;
}

bool lsi_hits_skip(struct lsi_hits *h)
{
	bool skipped;

	pthread_mutex_lock(&h->mu);
	if (h->state == HITS_IDLE)
		h->state = HITS_SKIPPED;
	skipped = h->state == HITS_SKIPPED;
	pthread_mutex_unlock(&h->mu);
	return skipped;
}

/* Prescan side, under no lock: lists a hit ending past the split. */
static int on_prescan(unsigned int id, unsigned long long from, unsigned long long to,
		      unsigned int flags, void *ctx)
{
	struct lsi_hits *h = ctx;
	uint64_t end = h->base + (uint64_t)to;
	int rc = 0;

	(void)from;
	(void)flags;
	if (end < h->from)
		return 0;
	pthread_mutex_lock(&h->mu);
	/* Bounded: far ahead of the stream taking them, the prescan waits. */
	while (h->n - h->taken >= HITS_CAP && !h->abandoned)
		pthread_cond_wait(&h->cv, &h->mu);
	if (h->taken >= 4096 && h->taken >= h->n / 2) {
		/* Taken hits make room: the list holds the pending ones only. */
		memmove(h->v, h->v + h->taken, (h->n - h->taken) * sizeof(*h->v));
		h->n -= h->taken;
		h->taken = 0;
	} else if (h->taken && h->taken == h->n) {
		h->n = h->taken = 0;
	}
	if (h->abandoned) {
		rc = 1;
	} else if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 256;
		struct deferred *v = lsi_realloc(h->v, cap * sizeof(*v));

		if (!v) {
			h->state = HITS_FAILED;
			rc = 1;
		} else {
			h->v = v;
			h->cap = cap;
		}
	}
	if (!rc) {
		h->v[h->n].rule = id;
		h->v[h->n].end = end;
		h->n++;
	}
	pthread_mutex_unlock(&h->mu);
	return rc;
}

bool lsi_hits_scan(struct lsi_hits *h, struct lsi_matcher *m, const uint8_t *data, size_t len)
{
	hs_error_t err = HS_SUCCESS;
	bool go;

	if (!h->hs && hs_open_stream(m->e->db, 0, &h->hs) != HS_SUCCESS) {
		h->hs = NULL;
		err = HS_NOMEM;
	}
	if (err == HS_SUCCESS && len)
		err = scan_padded(m, h->hs, data, len, on_prescan, h);
	pthread_mutex_lock(&h->mu);
	if (err != HS_SUCCESS && h->state == HITS_RUNNING && !h->abandoned)
		h->state = HITS_FAILED;
	h->scanned += len;
	go = h->state == HITS_RUNNING && !h->abandoned;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return go;
}

void lsi_hits_finish(struct lsi_hits *h, struct lsi_matcher *m, bool at_end)
{
	hs_error_t err = HS_SUCCESS;
	bool report;

	if (at_end && !h->hs)
		(void)lsi_hits_scan(h, m, NULL, 0); /* bytes that ended before the split */
	pthread_mutex_lock(&h->mu);
	if (!at_end && h->state == HITS_RUNNING)
		h->state = HITS_FAILED; /* its bytes stopped short: its end is not the stream's */
	report = h->state == HITS_RUNNING && !h->abandoned;
	pthread_mutex_unlock(&h->mu);
	if (h->hs) {
		/* End-anchored matches are reported where the bytes end: the
		 * member's end, or where it was cut (as its own stream would). */
		err = hs_close_stream(h->hs, report ? m->scratch : NULL, report ? on_prescan : NULL,
				      h);
		h->hs = NULL;
	}
	pthread_mutex_lock(&h->mu);
	if (h->state == HITS_RUNNING)
		h->state = err == HS_SUCCESS ? HITS_DONE : HITS_FAILED;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

void lsi_mstream_take_hits(struct lsi_mstream *s, struct lsi_hits *h)
{
	lsi_hits_unref(s->hits);
	s->hits = h;
	s->hits_live = false;
}

/* Lets go of the prescan: it stops if still running. */
static void drop_hits(struct lsi_mstream *s)
{
	lsi_hits_unref(s->hits);
	s->hits = NULL;
	s->hits_live = false;
}

/*
 * The stream reaches the split: takes the prescan's list if the prescan
 * has begun, else scans on alone (and the prescan will not start).
 */
static void meet_split(struct lsi_mstream *s)
{
	if (lsi_hits_skip(s->hits))
		drop_hits(s);
	else
		s->hits_live = true;
}

/*
 * Takes the listed hits ending at or before @upto, in order, waiting for
 * the prescan until it has listed every hit ending at or before @need, or
 * has ended. False when the prescan failed.
 */
static bool take_listed(struct lsi_mstream *s, uint64_t upto, uint64_t need)
{
	struct lsi_hits *h = s->hits;
	struct deferred got[64];
	bool ok = true;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		bool settled = h->state == HITS_DONE || h->state == HITS_FAILED;
		uint64_t final = settled ? UINT64_MAX
					 : h->scanned > HITS_MARGIN ? h->scanned - HITS_MARGIN : 0;
		size_t k = 0;

		while (h->taken < h->n && k < 64 && h->v[h->taken].end <= upto &&
		       h->v[h->taken].end <= final)
			got[k++] = h->v[h->taken++];
		if (k) {
			pthread_cond_broadcast(&h->cv); /* room for a waiting prescan */
			pthread_mutex_unlock(&h->mu);
			for (size_t i = 0; i < k && !s->stop; i++)
				(void)take_hit(s, got[i].rule, got[i].end);
			pthread_mutex_lock(&h->mu);
			if (s->stop)
				break;
			continue;
		}
		if (h->state == HITS_FAILED) {
			ok = false;
			break;
		}
		if (settled || final >= need)
			break;
		pthread_cond_wait(&h->cv, &h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return ok;
}

/* Confirms deferred hits that now have enough bytes after them. */
static void run_deferred(struct lsi_mstream *s, bool all)
{
	uint64_t avail_hi = s->chunk_start + s->chunk_len;
	size_t keep = 0, i = 0;

	/* In order: the first hit still short of bytes holds back the rest. */
	for (; i < s->def_count && !s->stop; i++) {
		struct deferred d = s->def[i];

		if (!all && d.end + horizon(s, &s->m->e->rules[d.rule]) > avail_hi)
			break;
		confirm(s, d.rule, d.end);
	}
	for (; i < s->def_count && !s->stop; i++)
		s->def[keep++] = s->def[i];
	s->def_count = s->stop ? 0 : keep;
}

/* Moves the tail of the finished chunk into history. */
static void keep_history(struct lsi_mstream *s)
{
	const uint8_t *c = s->chunk;
	size_t n = s->chunk_len;
	uint64_t chunk_end = s->chunk_start + n;
	uint64_t new_start;
	size_t drop;

	if (n >= HIST_KEEP) {
		/* Only the chunk's tail survives. Lines are counted once, in
		 * two parts; the last line start is searched backwards with
		 * memrchr (minified code has lines of megabytes). */
		const uint8_t *nl;
		uint64_t dropped_lines;

		new_start = chunk_end - HIST_KEEP;
		drop = (size_t)(new_start - s->chunk_start);
		dropped_lines = lsi_count_newlines(c, drop);
		s->hist_lines = s->lines + dropped_lines;
		/* Characters of the line holding the new hist_start that fall
		 * out of history: only its dropped part is counted. */
		if (drop && (nl = memrchr(c, '\n', drop))) {
			s->hist_line_start = s->chunk_start + (uint64_t)(nl - c) + 1;
			s->hist_line_cont = lsi_count_utf8_cont(nl + 1, (size_t)(c + drop - nl - 1));
		} else {
			if (s->hist_len && (nl = memrchr(s->hist, '\n', s->hist_len))) {
				s->hist_line_start = s->hist_start + (uint64_t)(nl - s->hist) + 1;
				s->hist_line_cont = lsi_count_utf8_cont(
					nl + 1, (size_t)(s->hist + s->hist_len - nl - 1));
			} else {
				s->hist_line_cont += lsi_count_utf8_cont(s->hist, s->hist_len);
			}
			s->hist_line_cont += lsi_count_utf8_cont(c, drop);
		}
		memcpy(s->hist, c + drop, HIST_KEEP);
		s->hist_len = HIST_KEEP;
		s->hist_start = new_start;
		s->lines += dropped_lines + lsi_count_newlines(c + drop, n - drop);
	} else {
		if (s->hist_len + n > HIST_CAP) {
			size_t cut = s->hist_len + n - HIST_KEEP;
			const uint8_t *nl;

			if (cut > s->hist_len)
				cut = s->hist_len;
			s->hist_lines += lsi_count_newlines(s->hist, cut);
			if (cut && (nl = memrchr(s->hist, '\n', cut))) {
				s->hist_line_start = s->hist_start + (uint64_t)(nl - s->hist) + 1;
				s->hist_line_cont = lsi_count_utf8_cont(
					nl + 1, (size_t)(s->hist + cut - nl - 1));
			} else {
				s->hist_line_cont += lsi_count_utf8_cont(s->hist, cut);
			}
			memmove(s->hist, s->hist + cut, s->hist_len - cut);
			s->hist_len -= cut;
			s->hist_start += cut;
		}
		memcpy(s->hist + s->hist_len, c, n);
		s->hist_len += n;
		s->lines += lsi_count_newlines(c, n);
	}
	s->chunk_start = chunk_end;
	s->chunk = NULL;
	s->chunk_len = 0;
}

ls_status lsi_mstream_push(struct lsi_mstream *s, const uint8_t *data, size_t len, bool last)
{
	hs_error_t err = HS_SUCCESS;

	if (s->last)
		return LS_ERR_BAD_STATE;
	s->chunk = data;
	s->chunk_len = len;
	s->last = last;
	for (size_t i = 0; s->bom < 3 && i < len; i++)
		s->bom = data[i] == (uint8_t)"\xef\xbb\xbf"[s->bom] ? s->bom + 1 : 4;
	if (s->def_count)
		run_deferred(s, last);
	if (s->hits && !s->hits_live && s->chunk_start + len > s->hits->from)
		meet_split(s);
	if (s->hs && len && !s->stop) {
		/* Live, Hyperscan runs on a little past the split: a hit that
		 * ends before it may be reported a few bytes later. */
		uint64_t stop = s->hits_live ? s->hits->from + HITS_MARGIN : UINT64_MAX;
		uint64_t own = stop > s->chunk_start ? stop - s->chunk_start : 0;

		if (own) {
			s->hs_dirty = true;
			err = scan_hs(s, data, own < len ? (size_t)own : len);
		}
	}
	if (err != HS_SUCCESS && err != HS_SCAN_TERMINATED)
		return LS_ERR_ENGINE;
	if (s->hits_live && !s->stop) {
		uint64_t end = s->chunk_start + len;

		/* The last push waits until every hit up to its end is listed,
		 * or the prescan is over: its bytes end there too (the member's
		 * end, a cut) and its end-anchored hits are this stream's. */
		if (!take_listed(s, end, last ? end : end > HITS_LATE ? end - HITS_LATE : 0))
			return LS_ERR_NOMEM;
	}
	if (last && !s->stop && s->hs && s->hits_live) {
		s->hs_dirty = false;
		(void)hs_reset_stream(s->hs, 0, NULL, NULL, NULL); /* stopped at the split */
	} else if (last && !s->stop && s->hs) {
		s->hs_dirty = false;
		/* End-anchored matches are reported when the stream ends. */
		err = hs_reset_stream(s->hs, 0, s->m->scratch, on_hs_match, s);
		if (err != HS_SUCCESS && err != HS_SCAN_TERMINATED)
			return LS_ERR_ENGINE;
	}
	if (last && s->def_count && !s->stop)
		run_deferred(s, true);
	if (last && s->hits)
		drop_hits(s);
	if (last)
		release(s);
	if (s->stop)
		return LS_ERR_ABORTED;
	if (!last)
		keep_history(s);
	return LS_OK;
}

ls_status lsi_mstream_close(struct lsi_mstream *s)
{
	ls_status st = LS_OK;
	struct lsi_matcher *m;

	if (!s)
		return LS_OK;
	m = s->m;
	if (!s->last && !s->stop)
		st = lsi_mstream_push(s, NULL, 0, true);
	drop_hits(s);
	if (s->hs && s->hs_dirty)
		hs_reset_stream(s->hs, 0, NULL, NULL, NULL);
	s->hs_dirty = false;
	s->next_free = m->pool;
	m->pool = s;
	return st;
}
