/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The configuration's `dataplane.eal` string split into an argv for
 * rte_eal_init, the way a POSIX shell splits words: blanks separate
 * arguments; '...' keeps everything literal; "..." keeps blanks and
 * understands \" and \\; a backslash outside quotes escapes the next
 * character.  No expansion of any kind.
 */

/*
 * Splits s into *argv (argv[0] = prog, then the words, then NULL) and
 * *argc.  Returns 0, DP_ESYNTAX for an unterminated quote or a trailing
 * backslash, DP_ENOMEM.  Free with dd_eal_args_free.
 */
int dd_eal_args_split(const char *prog, const char *s, int *argc, char ***argv)
	__attribute__((warn_unused_result));

void dd_eal_args_free(char **argv);
