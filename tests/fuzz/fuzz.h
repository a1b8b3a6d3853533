/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Shared by the libFuzzer targets (tests/fuzz/fuzz_<target>.c) and the replay
 * driver (replay.c).  Each target defines LLVMFuzzerTestOneInput; it is linked
 * either with libFuzzer (-Dfuzzing=true, clang) or with replay.c, whose main()
 * feeds it every file of the corpus directories named on the command line.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Runs one input; returns 0 (libFuzzer reserves other values). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Largest input a target looks at: the largest DNS message. */
#define FUZZ_MAX_INPUT 65535

__attribute__((noreturn, cold)) static inline void fuzz_fail(const char *file, int line,
							     const char *what)
{
	fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", file, line, what);
	abort();
}

/* An invariant of the code under test: abort() (a finding) when it fails. */
#define FUZZ_CHECK(cond)                                      \
	do {                                                  \
		if (!(cond))                                  \
			fuzz_fail(__FILE__, __LINE__, #cond); \
	} while (0)

/* ASCII case-insensitive equality of two byte strings of length n. */
static inline int fuzz_fold_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x + ('a' - 'A'));
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y + ('a' - 'A'));
		if (x != y)
			return 0;
	}
	return 1;
}
