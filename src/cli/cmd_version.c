/* SPDX-License-Identifier: Apache-2.0 */
/* leakscan version. */
#include <stdio.h>

#include "cli.h"

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("leakscan %s\n", ls_version_string());
	return 0;
}
