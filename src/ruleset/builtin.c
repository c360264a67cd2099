/* SPDX-License-Identifier: Apache-2.0 */
/* The built-in rules: unpacked from what the build packed (pack_main.c). */
#include "ruleset.h"

ls_status lsi_ruleset_load_builtin(struct lsi_ruleset *rs)
{
	size_t first = rs->count;
	ls_status st = lsi_ruleset_unpack(rs, lsi_builtin_pack, lsi_builtin_pack_len, true);

	if (st == LS_OK && !rs->packed) {
		rs->packed = true;
		rs->pack_first = first;
		rs->pack_count = rs->count - first;
	}
	return st;
}
