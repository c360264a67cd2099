/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the offline validators: every validator, lsi_jwt_alg_none
 * and lsi_validator_find on the input, then on two pieces of it split where
 * the first byte says. Beyond no crash, it checks each result against the
 * contract in validators.h.
 */
#include <stdlib.h>
#include <string.h>

/* Relative, so the file builds with meson's -Isrc and with a plain -Isrc/engine. */
#include "../../src/engine/validators.h"
#include "../../src/engine/validators/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Longest name handed to lsi_validator_find; real names are under 20 bytes. */
enum { FUZZ_NAME_MAX = 64 };

/* On an exact-size copy, so a read past the end of a piece is caught too. */
static void run_all(const uint8_t *s, size_t len)
{
	const struct lsi_validator *const *all = lsi_validator_all();
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return;
	if (len)
		memcpy(copy, s, len);
	for (size_t i = 0; all[i]; i++) {
		const char *reason = NULL;
		enum lsi_verdict v = all[i]->check(copy, len, &reason);

		if (!reason || strlen(reason) == 0 ||
		    (v != LSI_VERDICT_NONE && v != LSI_VERDICT_PASS && v != LSI_VERDICT_FAIL))
			abort();
	}
	if (lsi_jwt_alg_none(copy, len) & ~1)
		abort();
	free(copy);
}

static void find_name(const uint8_t *s, size_t len)
{
	char name[FUZZ_NAME_MAX + 1];
	const struct lsi_validator *v;

	if (len > FUZZ_NAME_MAX)
		len = FUZZ_NAME_MAX;
	memcpy(name, s, len);
	name[len] = '\0';
	v = lsi_validator_find(name);
	if (v && strcmp(v->name, name) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest = data + (size ? 1 : 0);
	size_t rest_len = size ? size - 1 : 0;
	size_t split;

	run_all(data, size);
	find_name(data, size);
	if (size == 0)
		return 0;
	/* Pieces of the same bytes at other lengths and alignments, as zstd's fuzzers do. */
	split = data[0] % (rest_len + 1);
	run_all(rest, split);
	run_all(rest + split, rest_len - split);
	return 0;
}
