/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one table of parameters and limits: name (the CLI flag), bounds and
 * default. Every limit the scanner enforces is read from here.
 */
#include "core.h"

#define KiB (1024LL)
#define MiB (1024LL * KiB)
#define GiB (1024LL * MiB)

const struct lsi_param_def lsi_params[LS_PARAM_COUNT_] = {
	[LS_PARAM_MAX_DEPTH] = { "max-depth", 0, 64, 16 },
	[LS_PARAM_MAX_TOTAL_BYTES] = { "max-total-bytes", 1 * MiB, 1LL << 62, 64 * GiB },
	[LS_PARAM_MAX_RATIO] = { "max-ratio", 0, 1LL << 30, 200 },
	[LS_PARAM_MAX_MEMBER_BYTES] = { "max-member-bytes", 64 * KiB, 16 * GiB, 256 * MiB },
	[LS_PARAM_MAX_MEMBERS] = { "max-members", 1, 1LL << 40, 1000000 },
	[LS_PARAM_TIMEOUT_MS] = { "timeout", 0, 1LL << 40, 0 },
	[LS_PARAM_MIN_SEVERITY] = { "min-severity", LS_SEV_INFO, LS_SEV_CRITICAL, LS_SEV_LOW },
	[LS_PARAM_SHOW_SECRETS] = { "show-secrets", 0, 1, 0 },
	[LS_PARAM_MAX_FILE_BYTES] = { "max-size", 0, 1LL << 62, 0 },
	[LS_PARAM_THREADS] = { "threads", 1, 256, 1 },
	[LS_PARAM_MAX_PER_RULE] = { "max-findings-per-rule", 1, 1LL << 40, 20 },
};

/* Expansion ratios are only judged past this much output: small members
 * of zeros or repeated text legitimately compress far better. */
const int64_t lsi_ratio_floor = 64 * MiB;

ls_status ls_param_bounds(ls_param p, int64_t *min, int64_t *max, int64_t *dflt)
{
	if ((unsigned)p >= LS_PARAM_COUNT_)
		return LS_ERR_INVALID_ARG;
	if (min)
		*min = lsi_params[p].min;
	if (max)
		*max = lsi_params[p].max;
	if (dflt)
		*dflt = lsi_params[p].dflt;
	return LS_OK;
}
