/* SPDX-License-Identifier: BSD-3-Clause */
#include "slowpath/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/errcode.h"

void sp_json_init(struct sp_json *j, struct sp_buf *b)
{
	memset(j, 0, sizeof(*j));
	j->b = b;
}

/*
 * Length of the well-formed UTF-8 sequence at s[0..n) (Unicode 15, table
 * 3-7), or 0 when s[0] does not start one.  n > 0.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf; /* range of the second octet */

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* no overlong forms */
		else if (c == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f; /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void sp_json_quote(struct sp_buf *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t run = 0; /* s[i - run .. i) is plain text waiting to be copied */

	sp_buf_putc(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		const char *esc = NULL;
		char u[7];
		size_t len = 1;

		if (c == '"') {
			esc = "\\\"";
		} else if (c == '\\') {
			esc = "\\\\";
		} else if (c < 0x20) {
			switch (c) {
			case '\b': esc = "\\b"; break;
			case '\f': esc = "\\f"; break;
			case '\n': esc = "\\n"; break;
			case '\r': esc = "\\r"; break;
			case '\t': esc = "\\t"; break;
			default:
				snprintf(u, sizeof(u), "\\u00%c%c", hex[c >> 4], hex[c & 15]);
				esc = u;
			}
		} else if (c >= 0x80) {
			len = utf8_len(s + i, n - i);
			if (len == 0) {
				esc = "\\ufffd";
				len = 1;
			} else if (len == 3 && c == 0xe2 && s[i + 1] == 0x80 &&
				   (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
				esc = s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
			}
		}
		if (esc) {
			sp_buf_add(b, s + i - run, run);
			run = 0;
			sp_buf_puts(b, esc);
		} else {
			run += len;
		}
		i += len;
	}
	sp_buf_add(b, s + n - run, run);
	sp_buf_putc(b, '"');
}

/* Before any value: checks the place and writes the comma; false on misuse. */
static bool value_begin(struct sp_json *j)
{
	if (j->err)
		return false;
	unsigned d = j->depth;
	if (d == 0) {
		if (j->has_items[0])
			goto misuse; /* one top-level value only */
	} else if (j->is_obj[d]) {
		if (!j->key_pending)
			goto misuse;
		j->key_pending = false;
		return true; /* the key wrote the comma */
	} else if (j->has_items[d]) {
		sp_buf_putc(j->b, ',');
	}
	j->has_items[d] = true;
	return true;

misuse:
	j->err = DP_EINVAL;
	return false;
}

void sp_json_key(struct sp_json *j, const char *key)
{
	if (j->err)
		return;
	unsigned d = j->depth;
	if (d == 0 || !j->is_obj[d] || j->key_pending || !key) {
		j->err = DP_EINVAL;
		return;
	}
	if (j->has_items[d])
		sp_buf_putc(j->b, ',');
	j->has_items[d] = true;
	sp_json_quote(j->b, key, strlen(key));
	sp_buf_putc(j->b, ':');
	j->key_pending = true;
}

static void open_container(struct sp_json *j, bool obj)
{
	if (j->depth >= SP_JSON_DEPTH_MAX) {
		j->err = j->err ? j->err : DP_EINVAL;
		return;
	}
	if (!value_begin(j))
		return;
	j->depth++;
	j->is_obj[j->depth] = obj;
	j->has_items[j->depth] = false;
	sp_buf_putc(j->b, obj ? '{' : '[');
}

static void close_container(struct sp_json *j, bool obj)
{
	if (j->err)
		return;
	if (j->depth == 0 || j->is_obj[j->depth] != obj || j->key_pending) {
		j->err = DP_EINVAL;
		return;
	}
	j->depth--;
	sp_buf_putc(j->b, obj ? '}' : ']');
}

void sp_json_obj_begin(struct sp_json *j)
{
	open_container(j, true);
}

void sp_json_obj_end(struct sp_json *j)
{
	close_container(j, true);
}

void sp_json_arr_begin(struct sp_json *j)
{
	open_container(j, false);
}

void sp_json_arr_end(struct sp_json *j)
{
	close_container(j, false);
}

void sp_json_strn(struct sp_json *j, const char *s, size_t n)
{
	if (value_begin(j))
		sp_json_quote(j->b, s, n);
}

void sp_json_str(struct sp_json *j, const char *s)
{
	if (!s)
		sp_json_null(j);
	else
		sp_json_strn(j, s, strlen(s));
}

void sp_json_int(struct sp_json *j, int64_t v)
{
	if (value_begin(j))
		sp_buf_printf(j->b, "%" PRId64, v);
}

void sp_json_uint(struct sp_json *j, uint64_t v)
{
	if (value_begin(j))
		sp_buf_printf(j->b, "%" PRIu64, v);
}

void sp_json_double(struct sp_json *j, double v)
{
	if (!isfinite(v)) {
		sp_json_null(j); /* JSON has no NaN or infinity */
		return;
	}
	if (!value_begin(j))
		return;
	/* The shortest of %.15g..%.17g that reads back as v. */
	char s[32];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, v);
		if (strtod(s, NULL) == v)
			break;
	}
	sp_buf_puts(j->b, s);
}

void sp_json_bool(struct sp_json *j, bool v)
{
	if (value_begin(j))
		sp_buf_puts(j->b, v ? "true" : "false");
}

void sp_json_null(struct sp_json *j)
{
	if (value_begin(j))
		sp_buf_puts(j->b, "null");
}

void sp_json_kstr(struct sp_json *j, const char *key, const char *s)
{
	sp_json_key(j, key);
	sp_json_str(j, s);
}

void sp_json_kint(struct sp_json *j, const char *key, int64_t v)
{
	sp_json_key(j, key);
	sp_json_int(j, v);
}

void sp_json_kuint(struct sp_json *j, const char *key, uint64_t v)
{
	sp_json_key(j, key);
	sp_json_uint(j, v);
}

void sp_json_kdouble(struct sp_json *j, const char *key, double v)
{
	sp_json_key(j, key);
	sp_json_double(j, v);
}

void sp_json_kbool(struct sp_json *j, const char *key, bool v)
{
	sp_json_key(j, key);
	sp_json_bool(j, v);
}

void sp_json_knull(struct sp_json *j, const char *key)
{
	sp_json_key(j, key);
	sp_json_null(j);
}

int sp_json_finish(const struct sp_json *j)
{
	if (j->err)
		return j->err;
	if (j->depth != 0 || !j->has_items[0])
		return DP_EINVAL;
	return sp_buf_error(j->b);
}
