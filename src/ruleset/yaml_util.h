/* SPDX-License-Identifier: Apache-2.0 */
/* Shared libyaml helpers of the rule and config loaders. */
#ifndef LSI_YAML_UTIL_H
#define LSI_YAML_UTIL_H

#include <stdbool.h>
#include <yaml.h>

#include "ruleset.h"

static inline unsigned lsi_yaml_line(const yaml_node_t *n)
{
	return (unsigned)n->start_mark.line + 1;
}

/* Parses one document; a syntax error is a diagnostic and returns false. */
bool lsi_yaml_parse(struct lsi_ruleset *rs, const char *label, const char *buf,
		    size_t len, yaml_document_t *doc);
char *lsi_read_small_file(struct lsi_ruleset *rs, const char *path, size_t *len);
bool lsi_strlist_add(struct lsi_strlist *l, const char *s, size_t len, unsigned line);
void lsi_strlist_fini(struct lsi_strlist *l);

#endif
