/* SPDX-License-Identifier: Apache-2.0 */
/* The public header compiles alone, strictly. */
#include "leakscan.h"

int main(void)
{
	return ls_status_str(LS_OK) ? 0 : 1;
}
