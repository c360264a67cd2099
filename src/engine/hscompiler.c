/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hyperscan's compiler, linked or loaded on first use (hscompiler.h).
 * A database compiled by libhs is used by libhs_runtime as is: both come
 * from one build of one version, and the runtime checks the database's
 * version and platform before it scans.
 */
#include "hscompiler.h"

#ifdef LSI_HS_COMPILER_SONAME

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#define HSC_FUNCS(X) X(hs_expression_info) X(hs_compile_multi) X(hs_free_compile_error)

static struct {
#define HSC_PTR(f) __typeof__(f) *f;
	HSC_FUNCS(HSC_PTR)
#undef HSC_PTR
} hsc_fn;
static bool hsc_loaded;
static char hsc_why[256];
static hs_compile_error_t hsc_error = { hsc_why, -1 };
static pthread_once_t hsc_once = PTHREAD_ONCE_INIT;

static void hsc_load(void)
{
	/* Local: the runtime's symbols stay the process's; the compiler's own
	 * calls to its own functions bind inside it. */
	void *h = dlopen(LSI_HS_COMPILER_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		const char *e = dlerror();

		snprintf(hsc_why, sizeof(hsc_why), "Hyperscan's compiler could not be loaded (%s)",
			 e ? e : LSI_HS_COMPILER_SONAME);
		return;
	}
#define HSC_SYM(f)                                                                         \
	if (!(*(void **)&hsc_fn.f = dlsym(h, #f))) {                                       \
		snprintf(hsc_why, sizeof(hsc_why), "%s lacks %s", LSI_HS_COMPILER_SONAME, #f); \
		return;                                                                    \
	}
	HSC_FUNCS(HSC_SYM)
#undef HSC_SYM
	hsc_loaded = true; /* h stays open for the process's life */
}

static bool hsc_ready(hs_compile_error_t **err)
{
	pthread_once(&hsc_once, hsc_load);
	if (!hsc_loaded)
		*err = &hsc_error;
	return hsc_loaded;
}

hs_error_t lsi_hsc_expression_info(const char *expr, unsigned flags, hs_expr_info_t **info,
				   hs_compile_error_t **err)
{
	if (!hsc_ready(err))
		return HS_COMPILER_ERROR;
	return hsc_fn.hs_expression_info(expr, flags, info, err);
}

hs_error_t lsi_hsc_compile_multi(const char *const *exprs, const unsigned *flags,
				 const unsigned *ids, unsigned n, unsigned mode,
				 hs_database_t **db, hs_compile_error_t **err)
{
	if (!hsc_ready(err))
		return HS_COMPILER_ERROR;
	return hsc_fn.hs_compile_multi(exprs, flags, ids, n, mode, NULL, db, err);
}

void lsi_hsc_free_compile_error(hs_compile_error_t *err)
{
	if (err && err != &hsc_error && hsc_loaded)
		hsc_fn.hs_free_compile_error(err);
}

#else

hs_error_t lsi_hsc_expression_info(const char *expr, unsigned flags, hs_expr_info_t **info,
				   hs_compile_error_t **err)
{
	return hs_expression_info(expr, flags, info, err);
}

hs_error_t lsi_hsc_compile_multi(const char *const *exprs, const unsigned *flags,
				 const unsigned *ids, unsigned n, unsigned mode,
				 hs_database_t **db, hs_compile_error_t **err)
{
	return hs_compile_multi(exprs, flags, ids, n, mode, NULL, db, err);
}

void lsi_hsc_free_compile_error(hs_compile_error_t *err)
{
	hs_free_compile_error(err);
}

#endif
