/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Path rules: PCRE2 over a member's name. Names are short and path rules
 * few, so they skip Hyperscan.
 */
#include <string.h>

#include "engine_int.h"

int lsi_engine_match_path(const struct lsi_engine *e, struct lsi_matcher *m,
			  const char *name, size_t len, lsi_hit_fn fn, void *user)
{
	pcre2_match_data *md = m->md;

	if (!e->path_rules)
		return 0;
	for (size_t i = 0; i < e->count; i++) {
		const struct lsi_crule *cr = &e->rules[i];
		struct lsi_hit h;
		PCRE2_SIZE *ov;
		int rc;

		pcre2_code *re;

		if (!cr->def->path_rule || cr->def->disabled || !(re = lsi_crule_re(cr)))
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
		if (fn(&h, user))
			return 1;
	}
	return 0;
}
