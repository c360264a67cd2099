/* SPDX-License-Identifier: Apache-2.0 */
/* Rule-file loader and compiler on arbitrary bytes: diagnostics, never crashes. */
#include <stdint.h>
#include <stdlib.h>

#include "leakscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ls_compiler *c;
	ls_rules *r = NULL;

	if (ls_compiler_new(&c) != LS_OK)
		abort();
	ls_compiler_add_mem(c, "fuzz.yml", data, size);
	if (ls_compiler_finish(c, &r) == LS_OK) {
		size_t fails = 0, n = 0;

		ls_rules_test(r, NULL, NULL, &fails, &n);
		ls_rules_free(r);
	}
	return 0;
}
