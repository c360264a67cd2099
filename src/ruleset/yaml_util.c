/* SPDX-License-Identifier: Apache-2.0 */
/* libyaml document loading with file:line syntax diagnostics. */
#include "yaml_util.h"

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
				 "YAML syntax error: %s", parser.problem ? parser.problem : "unknown");
	}
	yaml_parser_delete(&parser);
	return ok;
}
