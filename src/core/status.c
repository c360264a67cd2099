/* SPDX-License-Identifier: Apache-2.0 */
/* Names of statuses, categories and severities; version. */
#include <string.h>
#include <strings.h>

#include "core.h"

#define LS_VERSION_STRING "0.1.0"

unsigned ls_version_number(void)
{
	return 0x000100;
}

const char *ls_version_string(void)
{
	return LS_VERSION_STRING;
}

const char *ls_status_str(ls_status st)
{
	switch (st) {
	case LS_OK: return "success";
	case LS_ERR_NOMEM: return "out of memory";
	case LS_ERR_INVALID_ARG: return "invalid argument";
	case LS_ERR_BAD_STATE: return "call not allowed in this state";
	case LS_ERR_IO: return "input could not be read";
	case LS_ERR_RULES: return "invalid rules or configuration";
	case LS_ERR_ENGINE: return "matching engine failure";
	case LS_ERR_UNSUPPORTED: return "unsupported";
	case LS_ERR_ABORTED: return "stopped by the callback";
	}
	return "unknown status";
}

static const char *const cat_names[] = {
	"secret", "internal-url", "debug-log", "source-exposure", "sensitive-file", "debug-info",
};
static const char *const sev_names[] = { "info", "low", "medium", "high", "critical" };

const char *ls_category_name(ls_category c)
{
	return (unsigned)c < 6 ? cat_names[c] : NULL;
}

const char *ls_severity_name(ls_severity s)
{
	return (unsigned)s < 5 ? sev_names[s] : NULL;
}

ls_status ls_severity_parse(const char *name, ls_severity *out)
{
	if (!name || !out)
		return LS_ERR_INVALID_ARG;
	for (int i = 0; i < 5; i++)
		if (strcasecmp(name, sev_names[i]) == 0) {
			*out = (ls_severity)i;
			return LS_OK;
		}
	return LS_ERR_INVALID_ARG;
}
