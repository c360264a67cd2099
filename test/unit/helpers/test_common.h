/* SPDX-License-Identifier: Apache-2.0 */
/* Included first by every cmocka test: cmocka 1.1 needs these before it. */
#ifndef LS_TEST_COMMON_H
#define LS_TEST_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#endif
