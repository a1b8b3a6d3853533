/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The output helpers of the slow path: the growable buffer with its sticky
 * error and limit (src/slowpath/buf.h) and the JSON writer
 * (src/slowpath/json.h): exact output, string escaping and UTF-8 repair,
 * numbers, and every kind of misuse reported instead of written.
 */
#include "slowpath/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "dns/errcode.h"
#include "slowpath/buf.h"

#include "sptest.h"

/* ---------------------------------------------------------------- buf */

Test(buf, append_and_grow)
{
	struct sp_buf b;
	sp_buf_init(&b, 1 << 20);
	cr_assert_null(b.data);
	cr_assert_eq(sp_buf_error(&b), 0);
	sp_buf_puts(&b, "abc");
	sp_buf_putc(&b, '-');
	sp_buf_printf(&b, "%d/%s", 42, "x");
	cr_assert_str_eq(b.data, "abc-42/x");
	cr_assert_eq(b.len, 8);
	/* Past the first allocation, and a formatted string longer than the fast path's. */
	char big[1000];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 100; i++)
		sp_buf_printf(&b, "%s", big);
	cr_assert_eq(b.len, 8 + 100 * 999);
	cr_assert_eq(b.data[b.len], '\0');
	cr_assert_eq(b.data[8], 'q');
	cr_assert_eq(b.data[b.len - 1], 'q');
	/* NULs are data too. */
	sp_buf_reset(&b);
	sp_buf_add(&b, "a\0b", 3);
	cr_assert_eq(b.len, 3);
	cr_assert_eq(memcmp(b.data, "a\0b", 4), 0);
	sp_buf_truncate(&b, 1);
	cr_assert_str_eq(b.data, "a");
	sp_buf_deinit(&b);
	cr_assert_null(b.data);
	cr_assert_eq(b.max, 1 << 20);
	sptest_leak_check();
}

Test(buf, limit_is_sticky)
{
	struct sp_buf b;
	sp_buf_init(&b, 10);
	sp_buf_puts(&b, "0123456789"); /* exactly the limit */
	cr_assert_eq(sp_buf_error(&b), 0);
	cr_assert_eq(b.len, 10);
	sp_buf_putc(&b, 'x');
	cr_assert_eq(sp_buf_error(&b), DP_ESPACE);
	cr_assert_eq(b.len, 10, "a failed append writes nothing");
	sp_buf_puts(&b, ""); /* even an empty one after an error */
	sp_buf_printf(&b, "%s", "y");
	cr_assert_eq(sp_buf_error(&b), DP_ESPACE);
	cr_assert_str_eq(b.data, "0123456789");
	sp_buf_reset(&b);
	cr_assert_eq(sp_buf_error(&b), 0);
	sp_buf_printf(&b, "%s", "0123456789abc"); /* printf over the limit too */
	cr_assert_eq(sp_buf_error(&b), DP_ESPACE);
	cr_assert_eq(b.len, 0);
	cr_assert_leq(b.cap, 11, "never allocates past the limit");
	sp_buf_deinit(&b);
	sptest_leak_check();
}

/* ------------------------------------------------------------------ json */

static struct sp_buf jb;
static struct sp_json j;

static void jinit(void)
{
	sp_buf_init(&jb, 1 << 16);
	sp_json_init(&j, &jb);
}

static void jfini(void)
{
	sp_buf_deinit(&jb);
	sptest_leak_check();
}

static void expect(const char *want)
{
	int rc = sp_json_finish(&j);
	cr_assert_eq(rc, 0, "finish: %s (output so far: %s)", dp_strerror(rc),
		     jb.data ? jb.data : "");
	cr_assert_str_eq(jb.data, want);
}

TestSuite(json, .init = jinit, .fini = jfini);

Test(json, nested_document)
{
	sp_json_obj_begin(&j);
	sp_json_kstr(&j, "zone", "example.com.");
	sp_json_kuint(&j, "serial", 4294967295u);
	sp_json_kint(&j, "delta", -5);
	sp_json_kbool(&j, "expired", false);
	sp_json_knull(&j, "last_error");
	sp_json_key(&j, "list");
	sp_json_arr_begin(&j);
	sp_json_int(&j, 1);
	sp_json_str(&j, "two");
	sp_json_arr_begin(&j);
	sp_json_arr_end(&j);
	sp_json_obj_begin(&j);
	sp_json_obj_end(&j);
	sp_json_bool(&j, true);
	sp_json_str(&j, NULL);
	sp_json_arr_end(&j);
	sp_json_kdouble(&j, "qps", 0.5);
	sp_json_obj_end(&j);
	expect("{\"zone\":\"example.com.\",\"serial\":4294967295,\"delta\":-5,\"expired\":false,"
	       "\"last_error\":null,\"list\":[1,\"two\",[],{},true,null],\"qps\":0.5}");
}

Test(json, scalars_at_the_top)
{
	sp_json_uint(&j, UINT64_MAX);
	expect("18446744073709551615");
	sp_buf_reset(&jb);
	sp_json_init(&j, &jb);
	sp_json_int(&j, INT64_MIN);
	expect("-9223372036854775808");
}

Test(json, doubles_shortest_and_exact)
{
	sp_json_arr_begin(&j);
	sp_json_double(&j, 0.1);
	sp_json_double(&j, 1.0 / 3);
	sp_json_double(&j, 1e300);
	sp_json_double(&j, -0.0);
	sp_json_double(&j, 123456.0);
	sp_json_double(&j, NAN);
	sp_json_double(&j, INFINITY);
	sp_json_double(&j, -INFINITY);
	sp_json_arr_end(&j);
	expect("[0.1,0.3333333333333333,1e+300,-0,123456,null,null,null]");
	/* Every printed double reads back exactly. */
	const double vals[] = { 0.1, 1.0 / 3, 2.0 / 3, 1e-310, 5e-324, 1.7976931348623157e308 };
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		sp_buf_reset(&jb);
		sp_json_init(&j, &jb);
		sp_json_double(&j, vals[i]);
		cr_assert_eq(sp_json_finish(&j), 0);
		cr_assert_eq(strtod(jb.data, NULL), vals[i], "%s", jb.data);
	}
}

Test(json, string_escapes)
{
	static const char in[] = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f end";
	sp_json_strn(&j, in, sizeof(in) - 1);
	expect("\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f end\"");
}

Test(json, nul_inside_a_string)
{
	sp_json_strn(&j, "a\0b", 3);
	expect("\"a\\u0000b\"");
}

Test(json, utf8_kept_and_repaired)
{
	sp_json_arr_begin(&j);
	/* Well-formed: 2, 3 and 4 octets, at the edges of the table. */
	sp_json_str(&j, "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf0\x90\x80\x80"
			"\xf4\x8f\xbf\xbf");
	/* Overlong 2 and 3 octets, a surrogate, above U+10FFFF, a lone continuation,
	 * a truncated sequence at the end, 0xff. */
	sp_json_str(&j, "\xc0\xaf");
	sp_json_str(&j, "\xe0\x80\xaf");
	sp_json_str(&j, "\xed\xa0\x80");
	sp_json_str(&j, "\xf4\x90\x80\x80");
	sp_json_str(&j, "a\x80z");
	sp_json_str(&j, "ok\xe2\x82");
	sp_json_str(&j, "\xff");
	/* U+2028 and U+2029, escaped for JavaScript's sake; U+20AC kept. */
	sp_json_str(&j, "\xe2\x80\xa8\xe2\x80\xa9\xe2\x82\xac");
	sp_json_arr_end(&j);
	expect("[\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf0\x90\x80\x80"
	       "\xf4\x8f\xbf\xbf\","
	       "\"\\ufffd\\ufffd\","
	       "\"\\ufffd\\ufffd\\ufffd\","
	       "\"\\ufffd\\ufffd\\ufffd\","
	       "\"\\ufffd\\ufffd\\ufffd\\ufffd\","
	       "\"a\\ufffdz\","
	       "\"ok\\ufffd\\ufffd\","
	       "\"\\ufffd\","
	       "\"\\u2028\\u2029\xe2\x82\xac\"]");
}

Test(json, keys_are_escaped)
{
	sp_json_obj_begin(&j);
	sp_json_kint(&j, "a\"b\n", 1);
	sp_json_obj_end(&j);
	expect("{\"a\\\"b\\n\":1}");
}

Test(json, misuse_value_without_key)
{
	sp_json_obj_begin(&j);
	sp_json_int(&j, 1);
	cr_assert_eq(sp_json_finish(&j), DP_EINVAL);
	sp_json_obj_end(&j); /* ignored after the error */
	cr_assert_eq(sp_json_finish(&j), DP_EINVAL);
	cr_assert_str_eq(jb.data, "{", "nothing written after the misuse");
}

Test(json, misuse_key_outside_object)
{
	sp_json_key(&j, "k");
	cr_assert_eq(sp_json_finish(&j), DP_EINVAL);
	cr_assert_null(jb.data);
	sp_buf_reset(&jb);
	sp_json_init(&j, &jb);
	sp_json_arr_begin(&j);
	sp_json_key(&j, "k");
	cr_assert_eq(sp_json_finish(&j), DP_EINVAL);
}

Test(json, misuse_two_keys_or_dangling_key)
{
	sp_json_obj_begin(&j);
	sp_json_key(&j, "a");
	sp_json_key(&j, "b");
	cr_assert_eq(sp_json_finish(&j), DP_EINVAL);
	sp_buf_reset(&jb);
	sp_json_init(&j, &jb);
	sp_json_obj_begin(&j);
	sp_json_key(&j, "a");
	sp_json_obj_end(&j);
	cr_assert_eq(sp_json_finish(&j), DP_EINVAL);
}

Test(json, misuse_mismatched_end)
{
	sp_json_obj_begin(&j);
	sp_json_arr_end(&j);
	cr_assert_eq(sp_json_finish(&j), DP_EINVAL);
	sp_buf_reset(&jb);
	sp_json_init(&j, &jb);
	sp_json_arr_end(&j);
	cr_assert_eq(sp_json_finish(&j), DP_EINVAL);
}

Test(json, misuse_second_top_level_value)
{
	sp_json_int(&j, 1);
	sp_json_int(&j, 2);
	cr_assert_eq(sp_json_finish(&j), DP_EINVAL);
	cr_assert_str_eq(jb.data, "1");
}

Test(json, incomplete_or_empty)
{
	cr_assert_eq(sp_json_finish(&j), DP_EINVAL, "nothing written is not a document");
	sp_json_arr_begin(&j);
	cr_assert_eq(sp_json_finish(&j), DP_EINVAL, "an open array is not a document");
}

Test(json, depth_limit)
{
	for (int i = 0; i < SP_JSON_DEPTH_MAX; i++)
		sp_json_arr_begin(&j);
	for (int i = 0; i < SP_JSON_DEPTH_MAX; i++)
		sp_json_arr_end(&j);
	cr_assert_eq(sp_json_finish(&j), 0);
	sp_buf_reset(&jb);
	sp_json_init(&j, &jb);
	for (int i = 0; i <= SP_JSON_DEPTH_MAX; i++)
		sp_json_arr_begin(&j);
	cr_assert_eq(sp_json_finish(&j), DP_EINVAL);
	cr_assert_eq(jb.len, SP_JSON_DEPTH_MAX);
}

Test(json, buffer_limit_reported)
{
	struct sp_buf small;
	struct sp_json js;
	sp_buf_init(&small, 8);
	sp_json_init(&js, &small);
	sp_json_str(&js, "0123456789");
	cr_assert_eq(sp_json_finish(&js), DP_ESPACE);
	sp_buf_deinit(&small);
}
