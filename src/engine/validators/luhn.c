/* SPDX-License-Identifier: Apache-2.0 */
/*
 * luhn: payment card numbers (12 to 19 digits, grouped by spaces or
 * dashes) end in a Luhn check digit. It catches typos, not fakes: test
 * card numbers pass, and ranking them down is left to other evidence.
 */
#include <stdbool.h>

#include "../validators.h"

enum { LUHN_MIN_DIGITS = 12, LUHN_MAX_DIGITS = 19 };

static enum lsi_verdict check(const uint8_t *s, size_t len, const char **reason)
{
	size_t digits = 0;
	unsigned sum = 0;
	bool doubled = false;

	*reason = "not a card number shape";
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			/* Stop early: a huge run of digits must not cost a full pass. */
			if (++digits > LUHN_MAX_DIGITS)
				return LSI_VERDICT_NONE;
		} else if (s[i] != ' ' && s[i] != '-') {
			return LSI_VERDICT_NONE;
		}
	}
	if (digits < LUHN_MIN_DIGITS)
		return LSI_VERDICT_NONE;
	/* From the right: every second digit is doubled, minus 9 when that exceeds 9. */
	for (size_t i = len; i > 0; i--) {
		uint8_t c = s[i - 1];
		unsigned d;

		if (c < '0' || c > '9')
			continue;
		d = (unsigned)(c - '0');
		if (doubled) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
		doubled = !doubled;
	}
	if (sum % 10 != 0) {
		*reason = "Luhn checksum invalid";
		return LSI_VERDICT_FAIL;
	}
	*reason = "Luhn checksum valid";
	return LSI_VERDICT_PASS;
}

const struct lsi_validator lsi_validator_luhn = { "luhn", check };
