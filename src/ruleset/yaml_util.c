/* SPDX-License-Identifier: Apache-2.0 */
/* libyaml document loading with file:line syntax diagnostics. */
#include "yaml_util.h"

/* Whether line @line (0-based) of @buf is indented with a tab: libyaml's
 * own words for it ("found character that cannot start any token") do not
 * say so. */
static bool tab_indented(const char *buf, size_t len, size_t line)
{
	size_t i = 0;

	for (size_t l = 0; l < line && i < len; i++)
		if (buf[i] == '\n')
			l++;
	for (; i < len && (buf[i] == ' ' || buf[i] == '\t'); i++)
		if (buf[i] == '\t')
			return true;
	return false;
}

bool lsi_yaml_parse(struct lsi_ruleset *rs, const char *label, const char *buf,
		    size_t len, yaml_document_t *doc)
{
	yaml_parser_t parser;
	bool ok;

	if (!yaml_parser_initialize(&parser)) {
		lsi_ruleset_diag(rs, label, 0, "out of memory");
		return false;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	ok = yaml_parser_load(&parser, doc);
	if (!ok) {
		lsi_ruleset_diag(rs, label, (unsigned)parser.problem_mark.line + 1,
				 "YAML syntax error: %s%s", parser.problem ? parser.problem : "unknown",
				 tab_indented(buf, len, parser.problem_mark.line)
					 ? " (this line is indented with a tab; YAML indents with "
					   "spaces only)"
					 : "");
	}
	yaml_parser_delete(&parser);
	return ok;
}
