/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replay driver: runs LLVMFuzzerTestOneInput on every file of the corpus
 * directories (or single files) given as arguments, so that the corpora run
 * as ordinary meson tests in the plain and sanitizer builds.  Each input is
 * copied into a heap buffer of exactly its size, so ASan sees any overread.
 * Exits 0 when every input ran; 1 on a usage or I/O error, or when the
 * arguments held no input at all (an empty corpus is a broken test).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path, unsigned long *count)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fileno(f), &st) < 0 || st.st_size < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		fclose(f);
		return -1;
	}
	size_t size = (size_t)st.st_size;
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		fclose(f);
		return -1;
	}
	if (size && fread(buf, 1, size, f) != size) {
		fprintf(stderr, "replay: %s: short read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, size);
	free(buf);
	(*count)++;
	return 0;
}

static int skip_entry(const struct dirent *d)
{
	return d->d_name[0] != '.'; /* ".", "..", and dot files such as .gitkeep */
}

/* Runs every regular file under path (recursively, in name order). */
static int run_path(const char *path, unsigned long *count)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path, count);

	struct dirent **ents;
	int n = scandir(path, &ents, skip_entry, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		char sub[4096];
		int len = snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name);
		if (len < 0 || (size_t)len >= sizeof(sub)) {
			fprintf(stderr, "replay: %s/%s: path too long\n", path, ents[i]->d_name);
			rc = -1;
		} else if (run_path(sub, count) < 0) {
			rc = -1;
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
		return 1;
	}
	unsigned long count = 0;
	int rc = 0;
	for (int i = 1; i < argc; i++)
		if (run_path(argv[i], &count) < 0)
			rc = 1;
	printf("replay: ran %lu input(s)\n", count);
	if (count == 0) {
		fprintf(stderr, "replay: no inputs found\n");
		rc = 1;
	}
	return rc;
}
