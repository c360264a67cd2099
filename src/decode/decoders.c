/* SPDX-License-Identifier: Apache-2.0 */
/* The decoder table; cheap magic-byte probes, in any order (they are disjoint). */
#include "decode.h"

#include <unistd.h>

static const struct lsi_decoder_ops *const decoders[] = {
#ifdef HAVE_ISAL
	&lsi_decoder_gzip_isal, /* measured several times faster than zlib */
#else
	&lsi_decoder_gzip_zlib,
#endif
	&lsi_decoder_xz,
	&lsi_decoder_zstd,
	&lsi_decoder_bzip2,
	NULL,
};

const struct lsi_decoder_ops *lsi_decoder_sniff(const uint8_t *head, size_t n)
{
	for (size_t i = 0; decoders[i]; i++)
		if (n >= decoders[i]->probe_len && decoders[i]->probe(head, n))
			return decoders[i];
	return NULL;
}

const struct lsi_decoder_ops *lsi_decoder_sniff_fd(int fd, bool *readable)
{
	uint8_t head[64]; /* more than any probe_len */
	ssize_t n = pread(fd, head, sizeof(head), 0);

	*readable = n > 0;
	return n > 0 ? lsi_decoder_sniff(head, (size_t)n) : NULL;
}
