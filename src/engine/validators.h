/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Offline validators: checks on a captured secret that need no network
 * (checksums, structure). One file per validator under validators/, one
 * line in validators.c. A validator never allocates from the heap.
 */
#ifndef LSI_VALIDATORS_H
#define LSI_VALIDATORS_H

#include <stddef.h>
#include <stdint.h>

enum lsi_verdict {
	LSI_VERDICT_NONE = 0, /* the validator cannot tell */
	LSI_VERDICT_PASS = 1, /* structure or checksum is right */
	LSI_VERDICT_FAIL = 2  /* provably not a real token */
};

/*
 * Checks @s (@len bytes, not NUL-terminated). On return *reason (never
 * NULL) points to a static short string for the finding's reasons,
 * e.g. "checksum valid", "checksum invalid".
 */
typedef enum lsi_verdict (*lsi_validate_fn)(const uint8_t *s, size_t len,
					    const char **reason);

struct lsi_validator {
	const char *name;     /* as written in rule files */
	lsi_validate_fn check;
};

/* The validator named @name, or NULL. */
const struct lsi_validator *lsi_validator_find(const char *name);
/* All validators, NULL-terminated (for `rules check` and tests). */
const struct lsi_validator *const *lsi_validator_all(void);

#endif
