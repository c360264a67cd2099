/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The validator table: the name a rule file writes -> its check. Each
 * validator lives in its own file under validators/; nothing registers
 * itself at run time.
 */
#include <string.h>

#include "validators.h"

/* Defined one per file in validators/; validators.h lists no per-validator symbols. */
extern const struct lsi_validator lsi_validator_aws_key_id;
extern const struct lsi_validator lsi_validator_github_token;
extern const struct lsi_validator lsi_validator_jwt;
extern const struct lsi_validator lsi_validator_luhn;
extern const struct lsi_validator lsi_validator_npm_token;
extern const struct lsi_validator lsi_validator_pem_key;

static const struct lsi_validator *const validators[] = {
	&lsi_validator_aws_key_id,
	&lsi_validator_github_token,
	&lsi_validator_jwt,
	&lsi_validator_luhn,
	&lsi_validator_npm_token,
	&lsi_validator_pem_key,
	NULL,
};

const struct lsi_validator *lsi_validator_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; validators[i]; i++)
		if (strcmp(validators[i]->name, name) == 0)
			return validators[i];
	return NULL;
}

const struct lsi_validator *const *lsi_validator_all(void)
{
	return validators;
}
