/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Shared by the src/slowpath/ unit tests.  Under ASan, LeakSanitizer only
 * prints its report when a test's process exits: criterion ignores that exit
 * code and still counts the test as passed (and an assertion in a suite's
 * .fini is printed but not counted either).  So tests call
 * sptest_leak_check() at the end of their body, which fails the test on a
 * leak.  Without ASan it does nothing.
 */

#include <criterion/criterion.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPTEST_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(SPTEST_LSAN)
#define SPTEST_LSAN 1
#endif

#ifdef SPTEST_LSAN
#include <sanitizer/lsan_interface.h>
#endif

static inline void sptest_leak_check(void)
{
#ifdef SPTEST_LSAN
	cr_assert_eq(__lsan_do_recoverable_leak_check(), 0,
		     "memory leaked: see the LeakSanitizer report above");
#endif
}
