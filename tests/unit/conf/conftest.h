/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Helpers shared by the src/conf/ unit tests: loading text that must load
 * or must fail with an exact "FILE:LINE: PATH: message", addresses from
 * text, and the test data directory.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "conf/conf.h"
#include "dns/errcode.h"

#define NAME "test.yaml"

/* A valid dataplane section, lines 1-5; what a test adds starts on line 6. */
#define DP                            \
	"dataplane:\n"                \
	"  eal: \"-l 0 --no-huge\"\n" \
	"  interfaces:\n"             \
	"    - port: p0\n"            \
	"      address: 198.18.0.2/24\n"

static char errbuf[512];

static inline struct conf *load_ok_dir(const char *text, const char *dir)
{
	struct conf *c = NULL;
	int rc = conf_load_string(text, strlen(text), NAME, dir, &c, errbuf, sizeof(errbuf));
	cr_assert_eq(rc, 0, "load failed (%d): %s\n--- input ---\n%s", rc, errbuf, text);
	cr_assert_not_null(c);
	cr_assert_str_empty(errbuf);
	return c;
}

static inline struct conf *load_ok(const char *text)
{
	return load_ok_dir(text, "/etc/dpdns");
}

/*
 * The text must be refused with DP_ESYNTAX and exactly the message
 * "test.yaml:LINE: WHAT..." where WHAT is the start of the rest (path and
 * message), and the rest contains each of the NULL-terminated needles.
 */
static inline void load_err_v(const char *text, size_t len, int line, const char *what, ...)
{
	struct conf *c = (struct conf *)1;
	char prefix[64];
	int rc;

	memset(errbuf, 'x', sizeof(errbuf));
	rc = conf_load_string(text, len, NAME, "/etc/dpdns", &c, errbuf, sizeof(errbuf));
	cr_assert_eq(rc, DP_ESYNTAX, "rc %d (%s), message '%s', input:\n%s", rc, dp_strerror(rc),
		     errbuf, text);
	cr_assert_null(c, "*out must be NULL on error");
	cr_assert_lt(strlen(errbuf), sizeof(errbuf));
	cr_assert_null(strchr(errbuf, '\n'), "message is one line: '%s'", errbuf);
	snprintf(prefix, sizeof(prefix), NAME ":%d: ", line);
	cr_assert_eq(strncmp(errbuf, prefix, strlen(prefix)), 0, "expected '%s...', got '%s'",
		     prefix, errbuf);
	const char *rest = errbuf + strlen(prefix);
	cr_assert_eq(strncmp(rest, what, strlen(what)), 0, "expected '%s%s...', got '%s'", prefix,
		     what, errbuf);
	va_list ap;
	va_start(ap, what);
	for (const char *needle; (needle = va_arg(ap, const char *));)
		cr_assert_not_null(strstr(rest, needle), "'%s' not in '%s'", needle, errbuf);
	va_end(ap);
}

#define load_err(text, line, ...) load_err_v(text, strlen(text), line, __VA_ARGS__, NULL)

static inline void v4(uint8_t *a, const char *s)
{
	memset(a, 0, 16);
	cr_assert_eq(inet_pton(AF_INET, s, a), 1);
}

static inline void v6(uint8_t *a, const char *s)
{
	cr_assert_eq(inet_pton(AF_INET6, s, a), 1);
}

static inline char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	char *buf = NULL;
	size_t cap = 0;
	FILE *m = open_memstream(&buf, &cap);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	*len = cap;
	return buf;
}

static inline char *testdata(const char *rel)
{
	const char *dir = getenv("DPDNS_TESTDATA");
	cr_assert_not_null(dir, "DPDNS_TESTDATA is not set (run through meson test)");
	char *p = NULL;
	cr_assert_gt(asprintf(&p, "%s/%s", dir, rel), 0);
	return p;
}
