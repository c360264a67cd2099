/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Path rules over a member's name. One block-mode Hyperscan scan of the
 * name says which rules can match; PCRE2 then runs only those (and the
 * few Hyperscan cannot take), in rule order so findings keep their order.
 * A package of ten thousand files costs ten thousand scans, not ten
 * thousand times the number of path rules.
 */
#include <string.h>

#include "engine_int.h"

static int on_path_db_hit(unsigned int id, unsigned long long from, unsigned long long to,
			  unsigned int flags, void *ctx)
{
	struct lsi_matcher *m = ctx;

	(void)from;
	(void)to;
	(void)flags;
	m->path_hit[id] = 1;
	return 0;
}

int lsi_engine_match_path(const struct lsi_engine *e, struct lsi_matcher *m,
			  const char *name, size_t len, lsi_hit_fn fn, void *user)
{
	pcre2_match_data *md = m->md;
	bool screened = false;

	if (!e->path_rules)
		return 0;
	if (e->path_db && len <= UINT32_MAX) {
		const uint8_t *padded = lsi_matcher_padded(m, (const uint8_t *)name, len);

		screened = padded && hs_scan(e->path_db, (const char *)padded, (unsigned)len, 0,
					     m->scratch, on_path_db_hit, m) == HS_SUCCESS;
	}
	for (size_t k = 0; k < e->path_rules; k++) {
		size_t i = e->path_ids[k];
		const struct lsi_crule *cr = &e->rules[i];
		bool hit = m->path_hit[i];
		struct lsi_hit h;
		PCRE2_SIZE *ov;
		pcre2_code *re;
		int rc;

		m->path_hit[i] = 0;
		if (screened && !hit && !cr->path_always)
			continue;
		if (!(re = lsi_crule_re(cr)))
			continue;
		rc = pcre2_match(re, (PCRE2_SPTR)name, len, 0, 0, md, NULL);
		if (rc <= 0)
			continue;
		ov = pcre2_get_ovector_pointer(md);
		memset(&h, 0, sizeof(h));
		h.rule = i;
		h.match = (const uint8_t *)name;
		h.match_len = len;
		h.secret = (const uint8_t *)name + ov[0];
		h.secret_len = (size_t)(ov[1] - ov[0]);
		h.verdict_reason = "";
		rc = fn(&h, user);
		if (rc && rc != LSI_HIT_MUTE) {
			/* Leave no stale marks for the next name. */
			while (++k < e->path_rules)
				m->path_hit[e->path_ids[k]] = 0;
			return 1;
		}
	}
	return 0;
}
