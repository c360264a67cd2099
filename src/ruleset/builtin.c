/* SPDX-License-Identifier: Apache-2.0 */
/* The built-in rules: unpacked from what the build packed (pack_main.c). */
#include "ruleset.h"

ls_status lsi_ruleset_load_builtin(struct lsi_ruleset *rs)
{
	return lsi_ruleset_unpack(rs, lsi_builtin_pack, lsi_builtin_pack_len, true);
}
