/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Git pack files as a container (gitpack.c). Not in the sniffing table:
 * opened by name, for packs under a .git folder (core/gitdir.c).
 */
#ifndef LSI_GITPACK_H
#define LSI_GITPACK_H

#include "container.h"

extern const struct lsi_container_ops lsi_container_gitpack;

#endif
