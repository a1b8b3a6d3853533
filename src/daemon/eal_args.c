/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/eal_args.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dns/errcode.h"

void dd_eal_args_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

int dd_eal_args_split(const char *prog, const char *s, int *argc, char ***argv)
{
	size_t len = strlen(s);
	/* At most len/2 + 1 words, plus prog and the terminating NULL. */
	size_t max = len / 2 + 3;
	char **v = calloc(max, sizeof(*v));
	char *word = malloc(len + 1);
	int n = 0, rc = DP_ENOMEM;
	if (!v || !word)
		goto fail;
	if (!(v[n++] = strdup(prog)))
		goto fail;
	const char *p = s;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		size_t w = 0;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
			if (*p == '\'') {
				const char *q = strchr(p + 1, '\'');
				if (!q) {
					rc = DP_ESYNTAX;
					goto fail;
				}
				memcpy(word + w, p + 1, (size_t)(q - p - 1));
				w += (size_t)(q - p - 1);
				p = q + 1;
			} else if (*p == '"') {
				p++;
				while (*p && *p != '"') {
					if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					word[w++] = *p++;
				}
				if (*p != '"') {
					rc = DP_ESYNTAX;
					goto fail;
				}
				p++;
			} else if (*p == '\\') {
				if (!p[1]) {
					rc = DP_ESYNTAX;
					goto fail;
				}
				word[w++] = p[1];
				p += 2;
			} else {
				word[w++] = *p++;
			}
		}
		word[w] = '\0';
		if (!(v[n++] = strdup(word)))
			goto fail;
	}
	free(word);
	*argc = n;
	*argv = v;
	return 0;
fail:
	free(word);
	dd_eal_args_free(v);
	return rc;
}
