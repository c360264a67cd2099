/* SPDX-License-Identifier: Apache-2.0 */
/* Shannon entropy of a byte string, in bits per byte. */
#include <math.h>

#include "engine.h"

double lsi_entropy(const uint8_t *s, size_t len)
{
	unsigned counts[256] = { 0 };
	double h = 0;

	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		counts[s[i]]++;
	for (int c = 0; c < 256; c++) {
		double p;

		if (!counts[c])
			continue;
		p = (double)counts[c] / (double)len;
		h -= p * log2(p);
	}
	return h;
}
