/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * A streaming JSON writer (RFC 8259) into a struct sp_buf, for control
 * command handlers: objects, arrays, strings, integers, doubles, booleans
 * and null, with commas and nesting kept by the writer.  The output is
 * compact (no spaces or newlines).
 *
 * Strings: '"', '\\' and every control character (U+0000..U+001F) are
 * escaped, as are U+2028 and U+2029 (so the output is also valid
 * JavaScript); any octet sequence that is not well-formed UTF-8 (overlong
 * forms, surrogates, code points above U+10FFFF, truncated sequences)
 * becomes U+FFFD, one per offending octet, so the output is always valid
 * UTF-8 whatever the input.
 *
 * Misuse (a value where an object wants a key, a key outside an object, an
 * end that does not match its begin, a second top-level value, nesting
 * deeper than SP_JSON_DEPTH_MAX) is a bug in the caller: it sets a sticky
 * DP_EINVAL that sp_json_finish() reports, and nothing more is written.
 * Like struct sp_buf, nothing else needs checking until the end.
 *
 * Threads: a writer belongs to one thread (its buffer's).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slowpath/buf.h"

#define SP_JSON_DEPTH_MAX 32

struct sp_json {
	struct sp_buf *b;
	int err;			       /* DP_EINVAL after misuse, else 0 */
	unsigned depth;			       /* open containers */
	bool has_items[SP_JSON_DEPTH_MAX + 1]; /* [d]: container d has a member (0: top level) */
	bool is_obj[SP_JSON_DEPTH_MAX + 1];
	bool key_pending; /* in an object, a key was written and its value is next */
};

/* A writer appending to b (which it does not own). */
void sp_json_init(struct sp_json *j, struct sp_buf *b);

void sp_json_obj_begin(struct sp_json *j);
void sp_json_obj_end(struct sp_json *j);
void sp_json_arr_begin(struct sp_json *j);
void sp_json_arr_end(struct sp_json *j);

/* The key of the next member of the open object (any octets; escaped as strings are). */
void sp_json_key(struct sp_json *j, const char *key);

void sp_json_str(struct sp_json *j, const char *s);	       /* NULL writes null */
void sp_json_strn(struct sp_json *j, const char *s, size_t n); /* s[0..n), NULs included */
void sp_json_int(struct sp_json *j, int64_t v);
void sp_json_uint(struct sp_json *j, uint64_t v);
void sp_json_double(struct sp_json *j, double v); /* shortest exact form; NaN, ±Inf: null */
void sp_json_bool(struct sp_json *j, bool v);
void sp_json_null(struct sp_json *j);

/* A member: sp_json_key then the value. */
void sp_json_kstr(struct sp_json *j, const char *key, const char *s);
void sp_json_kint(struct sp_json *j, const char *key, int64_t v);
void sp_json_kuint(struct sp_json *j, const char *key, uint64_t v);
void sp_json_kdouble(struct sp_json *j, const char *key, double v);
void sp_json_kbool(struct sp_json *j, const char *key, bool v);
void sp_json_knull(struct sp_json *j, const char *key);

/*
 * Returns 0 when exactly one complete value was written and the buffer has
 * no error; DP_EINVAL after misuse or with containers still open (or
 * nothing written); the buffer's error (DP_ENOMEM, DP_ESPACE) otherwise.
 */
int sp_json_finish(const struct sp_json *j) __attribute__((warn_unused_result));

/* Appends s[0..n) to b as a quoted JSON string, escaped as above. */
void sp_json_quote(struct sp_buf *b, const char *s, size_t n);
