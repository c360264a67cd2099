/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How long a literal must every match of a pattern contain? Hyperscan is
 * fast when each expression has a literal it can anchor on; a rule without
 * one (a bare class, a quote followed by a hex class) slows the whole
 * database. This is a conservative reading of PCRE2 syntax: it may miss
 * a literal (and the rule is then flagged for a person to look at), it
 * never invents one.
 */
#include <string.h>

#include "ruleset.h"

struct parser {
	const char *p, *end;
	int depth;
};

static int max_i(int a, int b) { return a > b ? a : b; }
static int min_i(int a, int b) { return a < b ? a : b; }

/* Skips a quantifier at p; *optional says whether it allows zero. */
static void quantifier(struct parser *ps, bool *optional, bool *repeats)
{
	const char *p = ps->p;

	*optional = false;
	*repeats = false;
	if (p >= ps->end)
		return;
	if (*p == '?' || *p == '*') {
		*optional = true;
		*repeats = *p == '*';
		p++;
	} else if (*p == '+') {
		*repeats = true;
		p++;
	} else if (*p == '{') {
		const char *q = p + 1;
		int lo = 0;
		bool digits = false;

		while (q < ps->end && *q >= '0' && *q <= '9') {
			lo = lo * 10 + (*q - '0');
			if (lo > 100000)
				lo = 100000;
			q++;
			digits = true;
		}
		if (!digits || q >= ps->end || (*q != '}' && *q != ','))
			return; /* a literal '{' */
		while (q < ps->end && *q != '}')
			q++;
		if (q >= ps->end)
			return;
		*optional = lo == 0;
		*repeats = true; /* {1} is rare in rules; treat as breaking the run */
		p = q + 1;
	} else {
		return;
	}
	if (p < ps->end && (*p == '?' || *p == '+'))
		p++; /* lazy or possessive */
	ps->p = p;
}

struct lit {
	int best;      /* longest mandatory literal inside */
	bool pure;     /* every branch is a plain literal string */
	int pure_len;  /* then: the shortest branch's length */
};

static struct lit alternation(struct parser *ps);

/*
 * Skips a character class [...]; true when it is one letter in both cases
 * ([pP]), which Hyperscan treats as a case-insensitive literal.
 */
static bool skip_class(struct parser *ps)
{
	const char *start = ps->p;
	bool one_letter;

	const char *p = ps->p + 1;

	if (p < ps->end && *p == '^')
		p++;
	if (p < ps->end && *p == ']')
		p++;
	while (p < ps->end && *p != ']') {
		if (*p == '\\' && p + 1 < ps->end)
			p++;
		else if (*p == '[' && p + 1 < ps->end && p[1] == ':') {
			const char *q = strstr(p + 2, ":]");

			if (q && q < ps->end)
				p = q + 1;
		}
		p++;
	}
	ps->p = p < ps->end ? p + 1 : ps->end;
	one_letter = ps->p - start == 4 && start[1] != start[2] &&
		     (start[1] | 0x20) == (start[2] | 0x20) && (start[1] | 0x20) >= 'a' &&
		     (start[1] | 0x20) <= 'z';
	return one_letter;
}

/* One branch: the longest mandatory literal run or mandatory group literal. */
static struct lit sequence(struct parser *ps)
{
	int best = 0, run = 0, len = 0;
	bool pure = true;

	while (ps->p < ps->end && *ps->p != '|' && *ps->p != ')') {
		char c = *ps->p;
		int atom_lit = -1; /* -1: not a literal char; else group's best */
		struct lit g = { 0, false, 0 };
		bool literal = false, optional, repeats;

		if (c == '(') {
			const char *p = ps->p + 1;
			bool lookaround = false;

			if (p < ps->end && *p == '?') {
				p++;
				if (p < ps->end && (*p == '=' || *p == '!'))
					lookaround = true;
				else if (p < ps->end && *p == '<' && p + 1 < ps->end &&
					 (p[1] == '=' || p[1] == '!'))
					lookaround = true;
				/* (?i) (?x) style options, or (?: (?i: (?<name> (?P<name> */
				while (p < ps->end && *p != ':' && *p != ')' && *p != '>' && !lookaround)
					p++;
				if (p < ps->end && *p == ')') {
					/* A bare option setting: it matches nothing. */
					ps->p = p + 1;
					continue;
				}
				/* Step over the ':' of (?:  or the '>' of (?<name> */
				if (p < ps->end && !lookaround && (*p == ':' || *p == '>'))
					p++;
			}
			ps->p = p;
			if (++ps->depth > 64) {
				struct lit deep = { best, false, 0 };

				return deep;
			}
			g = alternation(ps);
			ps->depth--;
			atom_lit = g.best;
			if (ps->p < ps->end && *ps->p == ')')
				ps->p++;
			if (lookaround) {
				/* Matches no text of its own: transparent to runs. */
				quantifier(ps, &optional, &repeats);
				continue;
			}
		} else if (c == '[') {
			literal = skip_class(ps);
		} else if (c == '\\') {
			char e = ps->p + 1 < ps->end ? ps->p[1] : 0;

			ps->p += 2;
			if (e == 'Q') {
				const char *q = strstr(ps->p, "\\E");
				int n = (int)((q && q < ps->end ? q : ps->end) - ps->p);

				ps->p = q && q < ps->end ? q + 2 : ps->end;
				run += n;
				len += n;
				best = max_i(best, run);
				continue;
			}
			if (e == 'x' || e == 'p' || e == 'P' || e == 'N' || e == 'o') {
				/* \x41, \x{..}, \p{..}: not counted as literal text. */
				if (ps->p < ps->end && *ps->p == '{') {
					while (ps->p < ps->end && *ps->p != '}')
						ps->p++;
					if (ps->p < ps->end)
						ps->p++;
				} else if (e == 'x') {
					ps->p += 2;
				} else if (e == 'p' || e == 'P') {
					ps->p++;
				}
			} else if (e && !strchr("dDwWsShHvVRXbBAzZGKnrtfae0123456789", e)) {
				literal = true; /* an escaped metacharacter */
			} else if (e && strchr("bBAzZG", e)) {
				continue; /* assertions: zero width, do not break a run */
			}
		} else if (c == '^' || c == '$') {
			ps->p++;
			continue; /* anchors are zero width */
		} else if (c == '.') {
			ps->p++;
		} else {
			literal = true;
			ps->p++;
		}
		quantifier(ps, &optional, &repeats);
		if (atom_lit >= 0) {
			if (!optional && !repeats && g.pure) {
				/* (?:AKIA|ASIA): every branch extends the run by at least this. */
				run += g.pure_len;
				len += g.pure_len;
				best = max_i(best, run);
				continue;
			}
			pure = false;
			run = 0;
			if (!optional)
				best = max_i(best, atom_lit);
			continue;
		}
		if (literal && !optional) {
			run++;
			len++;
			best = max_i(best, run);
			if (repeats) {
				run = 0; /* x+ : the next char may not follow directly */
				pure = false;
			}
		} else {
			run = 0;
			pure = false;
		}
	}
	{
		struct lit out = { best, pure, len };

		return out;
	}
}

static struct lit alternation(struct parser *ps)
{
	struct lit a = sequence(ps);

	while (ps->p < ps->end && *ps->p == '|') {
		struct lit b;

		ps->p++;
		b = sequence(ps);
		a.best = min_i(a.best, b.best);
		a.pure = a.pure && b.pure;
		a.pure_len = min_i(a.pure_len, b.pure_len);
	}
	return a;
}

int lsi_pattern_min_literal(const char *pattern)
{
	struct parser ps = { pattern, pattern + strlen(pattern), 0 };
	int best = alternation(&ps).best;

	/* Unbalanced ')' at top level: keep reading the rest conservatively. */
	while (ps.p < ps.end) {
		ps.p++;
		best = min_i(best, alternation(&ps).best);
	}
	return best;
}
