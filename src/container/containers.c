/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container table. Cheap, exact magic probes come first; probes that
 * need a checksum over a whole header block come last.
 */
#include "container.h"

static const struct lsi_container_ops *const containers[] = {
	&lsi_container_tar,
	NULL,
};

const struct lsi_container_ops *lsi_container_sniff(const uint8_t *head, size_t n)
{
	for (size_t i = 0; containers[i]; i++)
		if (n >= containers[i]->probe_len && containers[i]->probe(head, n))
			return containers[i];
	return NULL;
}
