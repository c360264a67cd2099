/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hyperscan's compiler, apart from its runtime. Scanning needs only
 * libhs_runtime, a tenth of libhs to load; libhs and the C++ runtime it
 * brings cost start-up about 0.8 ms, paid on every run although the
 * compiler is needed only when the database cache misses. Where the
 * build found libhs_runtime, the compiler is loaded (dlopen) on first use;
 * elsewhere these call libhs directly.
 */
#ifndef LSI_HSCOMPILER_H
#define LSI_HSCOMPILER_H

#include <hs/hs.h>

/*
 * As hs_expression_info, hs_compile_multi and hs_free_compile_error.
 * When the compiler cannot be loaded, the first two fail with
 * HS_COMPILER_ERROR and an error whose message says why.
 */
hs_error_t lsi_hsc_expression_info(const char *expr, unsigned flags, hs_expr_info_t **info,
				   hs_compile_error_t **err);
hs_error_t lsi_hsc_compile_multi(const char *const *exprs, const unsigned *flags,
				 const unsigned *ids, unsigned n, unsigned mode,
				 hs_database_t **db, hs_compile_error_t **err);
void lsi_hsc_free_compile_error(hs_compile_error_t *err);

#endif
