/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's kselftest harness (tools/testing/selftests/kselftest_harness.h
 * of the installed kernel source), as vidshare's selftests include it.
 */
#ifndef VIDSHARE_HARNESS_H
#define VIDSHARE_HARNESS_H

/*
 * The harness itself trips -Wextra: an unused handler argument, and a local
 * of its TEST_F() wrapper that GCC thinks setjmp() may clobber.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wclobbered"
#endif

#endif /* VIDSHARE_HARNESS_H */
