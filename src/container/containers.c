/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container table. Cheap, exact magic probes come first; probes that
 * need a checksum over a whole header block come last.
 */
#include "container.h"

static const struct lsi_container_ops *const containers[] = {
	&lsi_container_zip,        /* PK\3\4, PK\5\6, crx "Cr24" */
	&lsi_container_ar,         /* !<arch>\n (.deb) */
	&lsi_container_rpm,        /* ED AB EE DB */
	&lsi_container_cpio,       /* 070701, 070702, 070707 */
	&lsi_container_libarchive, /* 7z, Rar!, MSCF, xar! */
	&lsi_container_oci,        /* a tar whose first entry is an image's */
	&lsi_container_tar,
	&lsi_container_sourcemap,  /* JSON: a bounded tokenizer pass over the head */
	NULL,
};

const struct lsi_container_ops *lsi_container_sniff(const uint8_t *head, size_t n)
{
	for (size_t i = 0; containers[i]; i++)
		if (n >= containers[i]->probe_len && containers[i]->probe(head, n))
			return containers[i];
	return NULL;
}
