/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Domain names (src/dns/name.h): wire parsing with compression (RFC 1035
 * §4.1.4), limits (RFC 1035 §2.3.4), reserved label types (RFC 6891 §5),
 * canonical ordering (RFC 4034 §6.1), presentation format (RFC 1035 §5.1)
 * and compression when building messages.
 */
#include "dns/name.h"

#include <stdlib.h>

#include <criterion/criterion.h>

#include "testutil.h"

#define EXAMPLE_COM "\007example\003com\000"
#define WWW_EXAMPLE_COM "\003www\007example\003com\000"

/* Parses the name at offset pos of buf[0..len) held in a guarded copy. */
static int parse_at(const void *buf, size_t len, size_t pos, uint8_t *out, size_t *endpos, int *err)
{
	uint8_t *g = guard_new(buf, len);
	struct dns_rd r;
	dns_rd_init(&r, g, len);
	r.pos = pos;
	int rc = dns_name_parse(&r, out);
	if (endpos)
		*endpos = r.pos;
	if (err)
		*err = r.err;
	guard_free(g, len);
	return rc;
}

static int parse_plain_at(const void *buf, size_t len, size_t pos, uint8_t *out)
{
	uint8_t *g = guard_new(buf, len);
	struct dns_rd r;
	dns_rd_init(&r, g, len);
	r.pos = pos;
	int rc = dns_name_parse_plain(&r, out);
	guard_free(g, len);
	return rc;
}

/* Appends a label of n copies of c at b[*o]. */
static void put_label(uint8_t *b, size_t *o, size_t n, char c)
{
	b[(*o)++] = (uint8_t)n;
	memset(b + *o, c, n);
	*o += n;
}

/* ------------------------------------------------------------------ parse */

Test(name_parse, plain)
{
	uint8_t out[DNS_NAME_MAXLEN];
	size_t end;
	int err;
	int rc = parse_at(WWW_EXAMPLE_COM, 17, 0, out, &end, &err);
	cr_assert_eq(rc, 17);
	assert_lit(out, 17, WWW_EXAMPLE_COM);
	cr_assert_eq(end, 17);
	cr_assert_eq(err, 0);
}

Test(name_parse, root)
{
	uint8_t out[DNS_NAME_MAXLEN];
	size_t end;
	cr_assert_eq(parse_at("\000", 1, 0, out, &end, NULL), 1);
	cr_assert_eq(out[0], 0);
	cr_assert_eq(end, 1);
}

Test(name_parse, preserves_case)
{
	uint8_t out[DNS_NAME_MAXLEN];
	cr_assert_eq(parse_at("\003WwW\007ExAmPlE\003COM\000", 17, 0, out, NULL, NULL), 17);
	assert_lit(out, 17, "\003WwW\007ExAmPlE\003COM\000");
}

Test(name_parse, stops_at_root_ignoring_trailing_bytes)
{
	uint8_t out[DNS_NAME_MAXLEN];
	size_t end;
	cr_assert_eq(parse_at("\001a\000\377\377", 5, 0, out, &end, NULL), 3);
	cr_assert_eq(end, 3);
}

Test(name_parse, compressed_pos_after_pointer)
{
	/* 0: example.com  13: www + ptr(0)  19: trailing byte */
	const char msg[] = EXAMPLE_COM "\003www\300\000"
				       "\xaa";
	uint8_t out[DNS_NAME_MAXLEN];
	size_t end;
	int rc = parse_at(msg, sizeof(msg) - 1, 13, out, &end, NULL);
	cr_assert_eq(rc, 17);
	assert_lit(out, 17, WWW_EXAMPLE_COM);
	cr_assert_eq(end, 19, "pos must be just after the first pointer");
}

Test(name_parse, pointer_only_name)
{
	const char msg[] = EXAMPLE_COM "\300\000";
	uint8_t out[DNS_NAME_MAXLEN];
	size_t end;
	cr_assert_eq(parse_at(msg, sizeof(msg) - 1, 13, out, &end, NULL), 13);
	assert_lit(out, 13, EXAMPLE_COM);
	cr_assert_eq(end, 15);
}

Test(name_parse, pointer_high_offset_bits)
{
	/* a pointer whose offset needs the low 6 bits of the first octet: 0x0100 */
	uint8_t msg[0x110];
	memset(msg, 0, sizeof(msg));
	memcpy(msg + 0x100, "\001x\000", 3);
	msg[0x103] = 0xc1;
	msg[0x104] = 0x00;
	uint8_t out[DNS_NAME_MAXLEN];
	size_t end;
	cr_assert_eq(parse_at(msg, 0x105, 0x103, out, &end, NULL), 3);
	assert_lit(out, 3, "\001x\000");
	cr_assert_eq(end, 0x105);
}

Test(name_parse, chain_of_backward_pointers)
{
	/*
	 *  0: 3com 0
	 *  5: 7example ptr(0)
	 * 15: 3www ptr(5)
	 * 21: ptr(15)           (a pointer to a label sequence that has a pointer)
	 */
	const char msg[] = "\003com\000"
			   "\007example\300\000"
			   "\003www\300\005"
			   "\300\017";
	uint8_t out[DNS_NAME_MAXLEN];
	size_t end;
	cr_assert_eq(parse_at(msg, sizeof(msg) - 1, 21, out, &end, NULL), 17);
	assert_lit(out, 17, WWW_EXAMPLE_COM);
	cr_assert_eq(end, 23);
	cr_assert_eq(parse_at(msg, sizeof(msg) - 1, 15, out, &end, NULL), 17);
	cr_assert_eq(end, 21);
	cr_assert_eq(parse_at(msg, sizeof(msg) - 1, 5, out, &end, NULL), 13);
	assert_lit(out, 13, EXAMPLE_COM);
	cr_assert_eq(end, 15);
}

Test(name_parse, pointer_to_itself)
{
	uint8_t out[DNS_NAME_MAXLEN];
	int err;
	cr_assert_eq(parse_at("\300\000", 2, 0, out, NULL, &err), DP_EPTR);
	cr_assert_eq(err, DP_EPTR);
	cr_assert_eq(parse_at("\000\000\300\002", 4, 2, out, NULL, NULL), DP_EPTR);
}

Test(name_parse, pointer_to_start_of_own_sequence)
{
	/* www -> ptr(0): would loop www.www.www... */
	uint8_t out[DNS_NAME_MAXLEN];
	cr_assert_eq(parse_at("\003www\300\000", 6, 0, out, NULL, NULL), DP_EPTR);
}

Test(name_parse, pointer_into_own_sequence)
{
	uint8_t out[DNS_NAME_MAXLEN];
	cr_assert_eq(parse_at("\003www\003abc\300\004", 10, 0, out, NULL, NULL), DP_EPTR);
}

Test(name_parse, mutual_pointer_loop)
{
	/* 0: a ptr(4)   4: b ptr(0) */
	const char msg[] = "\001a\300\004\001b\300\000";
	uint8_t out[DNS_NAME_MAXLEN];
	cr_assert_eq(parse_at(msg, 8, 4, out, NULL, NULL), DP_EPTR);
	cr_assert_eq(parse_at(msg, 8, 0, out, NULL, NULL), DP_EPTR);
}

Test(name_parse, pointer_to_pointer_loop)
{
	/* 0: ptr(2)   2: ptr(0) */
	uint8_t out[DNS_NAME_MAXLEN];
	cr_assert_eq(parse_at("\300\002\300\000", 4, 2, out, NULL, NULL), DP_EPTR);
	cr_assert_eq(parse_at("\300\002\300\000", 4, 0, out, NULL, NULL), DP_EPTR);
}

Test(name_parse, forward_pointer)
{
	uint8_t out[DNS_NAME_MAXLEN];
	cr_assert_eq(parse_at("\300\002\000", 3, 0, out, NULL, NULL), DP_EPTR);
	/* forward to a perfectly valid name is still forward */
	cr_assert_eq(parse_at("\001a\300\004\001b\000", 7, 0, out, NULL, NULL), DP_EPTR);
}

Test(name_parse, pointer_past_end)
{
	uint8_t out[DNS_NAME_MAXLEN];
	cr_assert_eq(parse_at("\000\377\377", 3, 1, out, NULL, NULL), DP_EPTR);
	cr_assert_eq(parse_at("\000\300\003", 3, 1, out, NULL, NULL), DP_EPTR);
}

Test(name_parse, truncated_pointer)
{
	uint8_t out[DNS_NAME_MAXLEN];
	int err;
	cr_assert_eq(parse_at("\000\300", 2, 1, out, NULL, &err), DP_ETRUNC);
	cr_assert_eq(err, DP_ETRUNC);
	cr_assert_eq(parse_at("\003www\300", 5, 0, out, NULL, NULL), DP_ETRUNC);
}

Test(name_parse, label_63_ok_64_elabel)
{
	uint8_t b[80];
	size_t o = 0;
	put_label(b, &o, 63, 'x');
	b[o++] = 0;
	uint8_t out[DNS_NAME_MAXLEN];
	cr_assert_eq(parse_at(b, o, 0, out, NULL, NULL), 65);
	assert_bytes(out, 65, b, 65);

	o = 0;
	put_label(b, &o, 64, 'x');
	b[o++] = 0;
	int err;
	cr_assert_eq(parse_at(b, o, 0, out, NULL, &err), DP_ELABEL);
	cr_assert_eq(err, DP_ELABEL);
}

Test(name_parse, reserved_label_types)
{
	uint8_t b[80];
	uint8_t out[DNS_NAME_MAXLEN];
	memset(b, 'a', sizeof(b));
	b[sizeof(b) - 1] = 0;
	/* 01xxxxxx (extended label type, RFC 6891 §5) and 10xxxxxx (reserved) */
	const uint8_t types[] = { 0x40, 0x41, 0x7f, 0x80, 0x81, 0xbf };
	for (size_t i = 0; i < sizeof(types); i++) {
		b[0] = types[i];
		cr_assert_eq(parse_at(b, sizeof(b), 0, out, NULL, NULL), DP_ELABEL,
			     "label type byte 0x%02x", types[i]);
	}
	/* also behind a pointer and after a good label */
	cr_assert_eq(parse_at("\200\001\000\001a\300\000", 7, 3, out, NULL, NULL), DP_ELABEL);
	cr_assert_eq(parse_at("\001a\100\001\000", 5, 0, out, NULL, NULL), DP_ELABEL);
}

/* Builds labels of the given sizes (then root) into b; returns the length. */
static size_t build_labels(uint8_t *b, const size_t *sz, size_t n, bool root)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		put_label(b, &o, sz[i], (char)('a' + i));
	if (root)
		b[o++] = 0;
	return o;
}

Test(name_parse, length_255_ok_256_enamelen)
{
	uint8_t b[300];
	uint8_t out[DNS_NAME_MAXLEN];
	const size_t ok[] = { 63, 63, 63, 61 };	 /* 64*3 + 62 + 1 = 255 */
	const size_t bad[] = { 63, 63, 63, 62 }; /* 256 */
	size_t n = build_labels(b, ok, 4, true);
	cr_assert_eq(n, 255);
	cr_assert_eq(parse_at(b, n, 0, out, NULL, NULL), 255);
	assert_bytes(out, 255, b, 255);
	n = build_labels(b, bad, 4, true);
	cr_assert_eq(n, 256);
	int err;
	cr_assert_eq(parse_at(b, n, 0, out, NULL, &err), DP_ENAMELEN);
	cr_assert_eq(err, DP_ENAMELEN);
}

Test(name_parse, max_labels)
{
	uint8_t b[300];
	uint8_t out[DNS_NAME_MAXLEN];
	size_t o = 0;
	for (int i = 0; i < 127; i++)
		put_label(b, &o, 1, 'a');
	b[o++] = 0;
	cr_assert_eq(o, 255);
	cr_assert_eq(parse_at(b, o, 0, out, NULL, NULL), 255);
	o = 0;
	for (int i = 0; i < 128; i++)
		put_label(b, &o, 1, 'a');
	b[o++] = 0;
	cr_assert_eq(parse_at(b, o, 0, out, NULL, NULL), DP_ENAMELEN);
}

Test(name_parse, length_limit_exceeded_only_via_pointers)
{
	/* 0: 63 63 root (129 octets)   129: 63 61|62 ptr(0) */
	uint8_t b[300];
	uint8_t out[DNS_NAME_MAXLEN];
	const size_t tail[] = { 63, 63 };
	size_t o = build_labels(b, tail, 2, true);
	cr_assert_eq(o, 129);
	size_t start = o;
	put_label(b, &o, 63, 'x');
	put_label(b, &o, 61, 'y');
	b[o++] = 0xc0;
	b[o++] = 0x00;
	size_t end;
	cr_assert_eq(parse_at(b, o, start, out, &end, NULL), 255);
	cr_assert_eq(end, o);

	o = start;
	put_label(b, &o, 63, 'x');
	put_label(b, &o, 62, 'y');
	b[o++] = 0xc0;
	b[o++] = 0x00;
	cr_assert_eq(parse_at(b, o, start, out, NULL, NULL), DP_ENAMELEN);
}

Test(name_parse, length_limit_over_a_pointer_chain)
{
	/*
	 * 100 one-octet labels each in its own sequence pointing back at the
	 * previous one: each hop is valid, the total is not.
	 */
	uint8_t b[600];
	uint8_t out[DNS_NAME_MAXLEN];
	size_t o = 0;
	b[o++] = 0; /* root at 0 */
	size_t prev = 0, last = 0;
	for (int i = 0; i < 130; i++) {
		last = o;
		b[o++] = 1;
		b[o++] = 'a';
		b[o++] = (uint8_t)(0xc0 | prev >> 8);
		b[o++] = (uint8_t)prev;
		prev = last;
	}
	/* 127 labels -> 255 octets: the sequence at 1 + 126*4 */
	size_t at127 = 1 + 126 * 4;
	size_t end;
	cr_assert_eq(parse_at(b, o, at127, out, &end, NULL), 255);
	cr_assert_eq(end, at127 + 4);
	cr_assert_eq(parse_at(b, o, at127 + 4, out, NULL, NULL), DP_ENAMELEN);
	cr_assert_eq(parse_at(b, o, last, out, NULL, NULL), DP_ENAMELEN);
}

Test(name_parse, truncation_at_every_offset_plain)
{
	uint8_t out[DNS_NAME_MAXLEN];
	for (size_t len = 0; len < 17; len++) {
		int err = 0;
		int rc = parse_at(WWW_EXAMPLE_COM, len, 0, out, NULL, &err);
		cr_assert_eq(rc, DP_ETRUNC, "len %zu: rc %d", len, rc);
		cr_assert_eq(err, DP_ETRUNC, "len %zu", len);
	}
}

Test(name_parse, truncation_at_every_offset_compressed)
{
	const char msg[] = EXAMPLE_COM "\003www\300\000";
	uint8_t out[DNS_NAME_MAXLEN];
	for (size_t len = 13; len < sizeof(msg) - 1; len++) {
		int rc = parse_at(msg, len, 13, out, NULL, NULL);
		cr_assert_eq(rc, DP_ETRUNC, "len %zu: rc %d", len, rc);
	}
	cr_assert_eq(parse_at(msg, sizeof(msg) - 1, 13, out, NULL, NULL), 17);
}

Test(name_parse, truncation_of_long_names_never_crashes)
{
	uint8_t b[300];
	uint8_t out[DNS_NAME_MAXLEN];
	const size_t ok[] = { 63, 63, 63, 61 };
	size_t n = build_labels(b, ok, 4, true);
	for (size_t len = 0; len < n; len++)
		cr_assert_eq(parse_at(b, len, 0, out, NULL, NULL), DP_ETRUNC, "len %zu", len);
}

Test(name_parse, cursor_already_in_error)
{
	uint8_t out[DNS_NAME_MAXLEN];
	struct dns_rd r;
	dns_rd_init(&r, "\001a\000", 3);
	r.err = DP_ETRUNC;
	cr_assert_lt(dns_name_parse(&r, out), 0);
	cr_assert_eq(r.pos, 0);
}

Test(name_parse, random_bytes_never_crash)
{
	/* every output must be a valid name; guard pages catch over-reads */
	uint8_t b[64];
	uint8_t out[DNS_NAME_MAXLEN];
	srand(12345);
	for (int it = 0; it < 20000; it++) {
		size_t len = (size_t)(rand() % (int)sizeof(b));
		for (size_t i = 0; i < len; i++) {
			int k = rand() % 8;
			b[i] = k < 3 ? (uint8_t)(rand() % 4) :
			       k < 5 ? (uint8_t)(0xc0 | rand() % 2) :
				       (uint8_t)rand();
		}
		size_t pos = len ? (size_t)rand() % len : 0;
		size_t end;
		int rc = parse_at(b, len, pos, out, &end, NULL);
		if (rc > 0) {
			cr_assert_leq(rc, DNS_NAME_MAXLEN);
			cr_assert_eq(dns_name_check(out, (size_t)rc), rc);
			cr_assert_leq(end, len);
			cr_assert_gt(end, pos);
		} else {
			cr_assert(rc == DP_ETRUNC || rc == DP_EPTR || rc == DP_ELABEL ||
					  rc == DP_ENAMELEN,
				  "unexpected rc %d", rc);
		}
	}
}

Test(name_parse_plain, accepts_plain_rejects_pointer)
{
	uint8_t out[DNS_NAME_MAXLEN];
	cr_assert_eq(parse_plain_at(WWW_EXAMPLE_COM, 17, 0, out), 17);
	assert_lit(out, 17, WWW_EXAMPLE_COM);
	const char msg[] = EXAMPLE_COM "\003www\300\000";
	cr_assert_eq(parse_plain_at(msg, sizeof(msg) - 1, 13, out), DP_EPTR);
	cr_assert_eq(parse_plain_at(msg, sizeof(msg) - 1, 0, out), 13);
	cr_assert_eq(parse_plain_at("\000\300\000", 3, 1, out), DP_EPTR);
}

Test(name_parse_plain, limits)
{
	uint8_t b[300];
	uint8_t out[DNS_NAME_MAXLEN];
	const size_t bad[] = { 63, 63, 63, 62 };
	size_t n = build_labels(b, bad, 4, true);
	cr_assert_eq(parse_plain_at(b, n, 0, out), DP_ENAMELEN);
	memset(b, 'a', 80);
	b[0] = 0x40;
	b[79] = 0;
	cr_assert_eq(parse_plain_at(b, 80, 0, out), DP_ELABEL);
	cr_assert_eq(parse_plain_at("\003ww", 3, 0, out), DP_ETRUNC);
	struct dns_rd r;
	uint8_t *g = guard_new(WWW_EXAMPLE_COM, 17);
	dns_rd_init(&r, g, 17);
	cr_assert_eq(dns_name_parse_plain(&r, out), 17);
	cr_assert_eq(r.pos, 17);
	guard_free(g, 17);
}

/* ------------------------------------------------------------------ check */

Test(name_check, valid_and_shorter_than_buffer)
{
	cr_assert_eq(dns_name_check((const uint8_t *)WWW_EXAMPLE_COM, 17), 17);
	cr_assert_eq(dns_name_check((const uint8_t *)WWW_EXAMPLE_COM "\377\377", 19), 17);
	cr_assert_eq(dns_name_check((const uint8_t *)"\000", 1), 1);
}

Test(name_check, errors)
{
	uint8_t *g;
	for (size_t len = 0; len < 17; len++) {
		g = guard_new(WWW_EXAMPLE_COM, len);
		cr_assert_eq(dns_name_check(g, len), DP_ETRUNC, "len %zu", len);
		guard_free(g, len);
	}
	uint8_t b[300];
	memset(b, 'a', sizeof(b));
	b[0] = 64;
	b[65] = 0;
	cr_assert_eq(dns_name_check(b, 66), DP_ELABEL);
	b[0] = 0x80;
	cr_assert_eq(dns_name_check(b, 66), DP_ELABEL);
	const size_t bad[] = { 63, 63, 63, 62 };
	size_t n = build_labels(b, bad, 4, true);
	cr_assert_eq(dns_name_check(b, n), DP_ENAMELEN);
	const size_t ok[] = { 63, 63, 63, 61 };
	n = build_labels(b, ok, 4, true);
	cr_assert_eq(dns_name_check(b, n), 255);
	cr_assert_eq(dns_name_check((const uint8_t *)"\003www\300\000", 6), DP_EPTR);
	cr_assert_eq(dns_name_check((const uint8_t *)"\300\000", 2), DP_EPTR);
}

Test(name_check, unterminated_long_input_is_enamelen_or_etrunc)
{
	/* 300 octets of 1-octet labels with no root: never reads past len */
	uint8_t b[300];
	for (size_t i = 0; i < sizeof(b); i += 2) {
		b[i] = 1;
		b[i + 1] = 'a';
	}
	uint8_t *g = guard_new(b, sizeof(b));
	int rc = dns_name_check(g, sizeof(b));
	cr_assert(rc == DP_ENAMELEN || rc == DP_ETRUNC, "rc %d", rc);
	guard_free(g, sizeof(b));
}

/* ------------------------------------------------------------- operations */

Test(name_ops, len_and_labels)
{
	cr_assert_eq(dns_name_len((const uint8_t *)"\000"), 1);
	cr_assert_eq(dns_name_labels((const uint8_t *)"\000"), 0);
	cr_assert_eq(dns_name_len((const uint8_t *)"\003com\000"), 5);
	cr_assert_eq(dns_name_labels((const uint8_t *)"\003com\000"), 1);
	cr_assert_eq(dns_name_len((const uint8_t *)WWW_EXAMPLE_COM), 17);
	cr_assert_eq(dns_name_labels((const uint8_t *)WWW_EXAMPLE_COM), 3);
	uint8_t b[300];
	size_t o = 0;
	for (int i = 0; i < 127; i++)
		put_label(b, &o, 1, 'a');
	b[o++] = 0;
	cr_assert_eq(dns_name_len(b), 255);
	cr_assert_eq(dns_name_labels(b), 127);
}

Test(name_ops, eq_case_insensitive)
{
	cr_assert(dns_name_eq((const uint8_t *)WWW_EXAMPLE_COM,
			      (const uint8_t *)"\003WWW\007ExAmPlE\003COM\000"));
	cr_assert(dns_name_eq((const uint8_t *)"\000", (const uint8_t *)"\000"));
	cr_assert_not(dns_name_eq((const uint8_t *)WWW_EXAMPLE_COM, (const uint8_t *)EXAMPLE_COM));
	cr_assert_not(dns_name_eq((const uint8_t *)"\001a\000", (const uint8_t *)"\001b\000"));
	cr_assert_not(dns_name_eq((const uint8_t *)"\001a\000", (const uint8_t *)"\000"));
	cr_assert_not(
		dns_name_eq((const uint8_t *)"\002ab\000", (const uint8_t *)"\001a\001b\000"));
}

Test(name_ops, eq_folds_only_ascii_letters)
{
	/* '[' (0x5b) vs '{' (0x7b) and '@' vs '`' differ by 0x20 but are not letters */
	cr_assert_not(dns_name_eq((const uint8_t *)"\001[\000", (const uint8_t *)"\001{\000"));
	cr_assert_not(dns_name_eq((const uint8_t *)"\001@\000", (const uint8_t *)"\001`\000"));
	cr_assert_not(
		dns_name_eq((const uint8_t *)"\001\301\000", (const uint8_t *)"\001\341\000"));
	cr_assert(dns_name_eq((const uint8_t *)"\001Z\000", (const uint8_t *)"\001z\000"));
}

Test(name_ops, lower)
{
	uint8_t n[] = "\003WwW\007EXAMPLE\005[@\301Z]\000";
	dns_name_lower(n);
	assert_lit(n, 19, "\003www\007example\005[@\301z]\000");
	uint8_t d[DNS_NAME_MAXLEN];
	memset(d, 0xee, sizeof(d));
	cr_assert_eq(dns_name_copy_lower(d, (const uint8_t *)"\003WWW\003Com\000"), 9);
	assert_lit(d, 10, "\003www\003com\000\xee");
	cr_assert_eq(dns_name_copy_lower(d, (const uint8_t *)"\000"), 1);
	cr_assert_eq(d[0], 0);
}

Test(name_ops, is_sub)
{
	const uint8_t *www = (const uint8_t *)WWW_EXAMPLE_COM;
	const uint8_t *ex = (const uint8_t *)EXAMPLE_COM;
	cr_assert(dns_name_is_sub(www, ex));
	cr_assert(dns_name_is_sub(www, (const uint8_t *)"\007EXAMPLE\003COM\000"));
	cr_assert(dns_name_is_sub(ex, ex));
	cr_assert(dns_name_is_sub(www, (const uint8_t *)"\000"));
	cr_assert(dns_name_is_sub((const uint8_t *)"\000", (const uint8_t *)"\000"));
	cr_assert_not(dns_name_is_sub(ex, www));
	cr_assert_not(dns_name_is_sub((const uint8_t *)"\000", ex));
	/* label boundaries: wwwexample.com is not under example.com */
	cr_assert_not(dns_name_is_sub((const uint8_t *)"\012wwwexample\003com\000", ex));
	cr_assert_not(dns_name_is_sub((const uint8_t *)"\003www\007example\003org\000", ex));
	/* a label containing a dot-like octet sequence */
	cr_assert_not(dns_name_is_sub((const uint8_t *)"\013www\007example\003com\000", ex));
}

Test(name_ops, parent_and_suffix)
{
	const uint8_t *www = (const uint8_t *)WWW_EXAMPLE_COM;
	cr_assert_eq(dns_name_parent(www), www + 4);
	cr_assert_eq(dns_name_parent(www + 4), www + 12);
	cr_assert_eq(dns_name_parent(www + 12), www + 16);
	cr_assert_null(dns_name_parent(www + 16));
	cr_assert_eq(dns_name_suffix(www, 3), www);
	cr_assert_eq(dns_name_suffix(www, 2), www + 4);
	cr_assert_eq(dns_name_suffix(www, 1), www + 12);
	cr_assert_eq(dns_name_suffix(www, 0), www + 16);
	const uint8_t *root = (const uint8_t *)"\000";
	cr_assert_eq(dns_name_suffix(root, 0), root);
}

Test(name_ops, wildcard)
{
	cr_assert(dns_name_is_wildcard((const uint8_t *)"\001*\007example\000"));
	cr_assert(dns_name_is_wildcard((const uint8_t *)"\001*\000"));
	cr_assert_not(dns_name_is_wildcard((const uint8_t *)"\002*a\007example\000"));
	cr_assert_not(dns_name_is_wildcard((const uint8_t *)"\002a*\000"));
	cr_assert_not(dns_name_is_wildcard((const uint8_t *)"\002**\000"));
	cr_assert_not(dns_name_is_wildcard((const uint8_t *)"\001a\001*\000"));
	cr_assert_not(dns_name_is_wildcard((const uint8_t *)"\000"));
}

/* --------------------------------------------------------------- ordering */

/* RFC 4034 §6.1, in canonical order. */
static const uint8_t *const rfc4034_order[] = {
	(const uint8_t *)"\007example\000",
	(const uint8_t *)"\001a\007example\000",
	(const uint8_t *)"\010yljkjljk\001a\007example\000",
	(const uint8_t *)"\001Z\001a\007example\000",
	(const uint8_t *)"\004zABC\001a\007EXAMPLE\000",
	(const uint8_t *)"\001z\007example\000",
	(const uint8_t *)"\001\001\001z\007example\000",
	(const uint8_t *)"\001*\001z\007example\000",
	(const uint8_t *)"\001\200\001z\007example\000",
};
#define N_ORDER (sizeof(rfc4034_order) / sizeof(rfc4034_order[0]))

Test(name_cmp, rfc4034_example_pairwise)
{
	for (size_t i = 0; i < N_ORDER; i++) {
		cr_assert_eq(dns_name_cmp(rfc4034_order[i], rfc4034_order[i]), 0, "self %zu", i);
		for (size_t j = i + 1; j < N_ORDER; j++) {
			cr_assert_lt(dns_name_cmp(rfc4034_order[i], rfc4034_order[j]), 0,
				     "%zu < %zu", i, j);
			cr_assert_gt(dns_name_cmp(rfc4034_order[j], rfc4034_order[i]), 0,
				     "%zu > %zu", j, i);
		}
	}
}

static int cmp_ptr(const void *a, const void *b)
{
	return dns_name_cmp(*(const uint8_t *const *)a, *(const uint8_t *const *)b);
}

Test(name_cmp, rfc4034_example_sorts)
{
	const uint8_t *v[N_ORDER];
	/* reversed, then a fixed shuffle */
	for (size_t i = 0; i < N_ORDER; i++)
		v[i] = rfc4034_order[N_ORDER - 1 - i];
	qsort(v, N_ORDER, sizeof(v[0]), cmp_ptr);
	for (size_t i = 0; i < N_ORDER; i++)
		cr_assert_eq(v[i], rfc4034_order[i], "position %zu", i);
	const size_t perm[N_ORDER] = { 4, 8, 0, 6, 2, 7, 1, 5, 3 };
	for (size_t i = 0; i < N_ORDER; i++)
		v[i] = rfc4034_order[perm[i]];
	qsort(v, N_ORDER, sizeof(v[0]), cmp_ptr);
	for (size_t i = 0; i < N_ORDER; i++)
		cr_assert_eq(v[i], rfc4034_order[i], "position %zu", i);
}

Test(name_cmp, case_insensitive)
{
	cr_assert_eq(dns_name_cmp((const uint8_t *)"\001Z\001a\007example\000",
				  (const uint8_t *)"\001z\001A\007EXAMPLE\000"),
		     0);
	cr_assert_eq(dns_name_cmp((const uint8_t *)WWW_EXAMPLE_COM,
				  (const uint8_t *)"\003WWW\007EXAMPLE\003COM\000"),
		     0);
	/* letters compare as lowercase: '_' (0x5f) < 'a' (0x61), so _ < A */
	cr_assert_lt(dns_name_cmp((const uint8_t *)"\001_\000", (const uint8_t *)"\001A\000"), 0);
	cr_assert_gt(dns_name_cmp((const uint8_t *)"\001A\000", (const uint8_t *)"\001_\000"), 0);
	/* but non-letters are not folded: '[' (0x5b) < 'a' and '{' (0x7b) > 'z' */
	cr_assert_lt(dns_name_cmp((const uint8_t *)"\001[\000", (const uint8_t *)"\001a\000"), 0);
	cr_assert_gt(dns_name_cmp((const uint8_t *)"\001{\000", (const uint8_t *)"\001Z\000"), 0);
}

Test(name_cmp, prefixes_and_label_order)
{
	const uint8_t *root = (const uint8_t *)"\000";
	cr_assert_eq(dns_name_cmp(root, root), 0);
	cr_assert_lt(dns_name_cmp(root, (const uint8_t *)"\001a\000"), 0);
	cr_assert_gt(dns_name_cmp((const uint8_t *)"\001a\000", root), 0);
	/* shorter label sorts first when it is a prefix of the longer */
	cr_assert_lt(dns_name_cmp((const uint8_t *)"\001a\000", (const uint8_t *)"\002aa\000"), 0);
	cr_assert_lt(dns_name_cmp((const uint8_t *)"\001a\000", (const uint8_t *)"\002a\000\000"),
		     0);
	/* fewer labels first */
	cr_assert_lt(dns_name_cmp((const uint8_t *)EXAMPLE_COM, (const uint8_t *)WWW_EXAMPLE_COM),
		     0);
	/* rightmost label is most significant */
	cr_assert_lt(dns_name_cmp((const uint8_t *)"\001z\003com\000",
				  (const uint8_t *)"\001a\003org\000"),
		     0);
	cr_assert_lt(
		dns_name_cmp((const uint8_t *)"\001b\001a\000", (const uint8_t *)"\001a\001b\000"),
		0);
	/* "a.b" (labels b, a) vs "a\.b" (one label "a.b"): "a.b" < "b" as labels */
	cr_assert_gt(
		dns_name_cmp((const uint8_t *)"\001a\001b\000", (const uint8_t *)"\003a.b\000"), 0);
	/* unsigned octets */
	cr_assert_gt(dns_name_cmp((const uint8_t *)"\001\377\000", (const uint8_t *)"\001z\000"),
		     0);
	cr_assert_lt(dns_name_cmp((const uint8_t *)"\001\000\000", (const uint8_t *)"\001\001\000"),
		     0);
}

/* -------------------------------------------------------------- from_text */

static void from_text_ok(const char *text, const uint8_t *origin, const void *exp, size_t explen)
{
	uint8_t out[DNS_NAME_MAXLEN + 16];
	memset(out, 0xee, sizeof(out));
	int rc = dns_name_from_text(text, origin, out);
	cr_assert_eq(rc, (int)explen, "\"%s\": rc %d, expected %zu", text, rc, explen);
	assert_bytes(out, explen, exp, explen);
	for (size_t i = DNS_NAME_MAXLEN; i < sizeof(out); i++)
		cr_assert_eq(out[i], 0xee, "\"%s\": wrote past 255", text);
}

#define FT_OK(text, origin, lit) from_text_ok((text), (origin), (lit), sizeof(lit) - 1)

static void from_text_err(const char *text, const uint8_t *origin, int code)
{
	uint8_t out[DNS_NAME_MAXLEN + 16];
	memset(out, 0xee, sizeof(out));
	int rc = dns_name_from_text(text, origin, out);
	cr_assert_eq(rc, code, "\"%s\": rc %d, expected %d", text, rc, code);
	for (size_t i = DNS_NAME_MAXLEN; i < sizeof(out); i++)
		cr_assert_eq(out[i], 0xee, "\"%s\": wrote past 255", text);
}

Test(name_from_text, absolute)
{
	FT_OK("www.Example.com.", NULL, "\003www\007Example\003com\000");
	FT_OK(".", NULL, "\000");
	FT_OK("com.", NULL, "\003com\000");
	FT_OK("*.example.", NULL, "\001*\007example\000");
	/* absolute names ignore the origin */
	FT_OK("a.", (const uint8_t *)EXAMPLE_COM, "\001a\000");
}

Test(name_from_text, escapes)
{
	FT_OK("a\\.b.c.", NULL, "\003a.b\001c\000");
	FT_OK("a\\\\b.", NULL, "\003a\\b\000");
	FT_OK("\\065.", NULL, "\001A\000");
	FT_OK("\\000\\255.", NULL, "\002\000\377\000");
	FT_OK("a\\046b.", NULL, "\003a.b\000");
	FT_OK("\\a\\(.", NULL, "\002a(\000");
	FT_OK("a\\ b.", NULL, "\003a b\000");
	FT_OK("\\@.", NULL, "\001@\000");
	FT_OK("a\\\\.", NULL, "\002a\\\000");
}

Test(name_from_text, bad_escapes)
{
	from_text_err("\\256.", NULL, DP_ESYNTAX);
	from_text_err("\\999.", NULL, DP_ESYNTAX);
	from_text_err("a\\", NULL, DP_ESYNTAX);
}

Test(name_from_text, origin_and_at)
{
	const uint8_t *ex = (const uint8_t *)EXAMPLE_COM;
	FT_OK("@", ex, EXAMPLE_COM);
	FT_OK("www", ex, WWW_EXAMPLE_COM);
	FT_OK("a.b", ex, "\001a\001b\007example\003com\000");
	FT_OK("www", (const uint8_t *)"\000", "\003www\000");
	FT_OK("@", (const uint8_t *)"\000", "\000");
	FT_OK("a\\.", ex, "\002a.\007example\003com\000");
}

Test(name_from_text, relative_without_origin)
{
	from_text_err("www", NULL, DP_ESYNTAX);
	from_text_err("www.example.com", NULL, DP_ESYNTAX);
	from_text_err("@", NULL, DP_ESYNTAX);
	from_text_err("a\\.", NULL, DP_ESYNTAX);
}

Test(name_from_text, empty_labels)
{
	const uint8_t *ex = (const uint8_t *)EXAMPLE_COM;
	from_text_err("a..b.", NULL, DP_ESYNTAX);
	from_text_err("a..b", ex, DP_ESYNTAX);
	from_text_err("..", NULL, DP_ESYNTAX);
	from_text_err(".a.", NULL, DP_ESYNTAX);
	from_text_err("", NULL, DP_ESYNTAX);
}

Test(name_from_text, label_63_and_64)
{
	char t[300];
	uint8_t exp[80];
	memset(t, 'x', 63);
	strcpy(t + 63, ".");
	size_t o = 0;
	put_label(exp, &o, 63, 'x');
	exp[o++] = 0;
	from_text_ok(t, NULL, exp, o);
	memset(t, 'x', 64);
	strcpy(t + 64, ".");
	from_text_err(t, NULL, DP_ELABEL);
	/* 63 octets written as escapes are still 63 */
	t[0] = '\0';
	for (int i = 0; i < 63; i++)
		strcat(t, "\\120");
	strcat(t, ".");
	from_text_ok(t, NULL, exp, o);
	strcpy(t + strlen(t) - 1, "x.");
	from_text_err(t, NULL, DP_ELABEL);
}

/* "63.63.63.<last>." as text */
static void long_text(char *t, size_t last)
{
	size_t o = 0;
	const size_t sz[4] = { 63, 63, 63, last };
	for (int l = 0; l < 4; l++) {
		memset(t + o, 'a' + l, sz[l]);
		o += sz[l];
		t[o++] = '.';
	}
	t[o] = '\0';
}

Test(name_from_text, total_255_and_256)
{
	char t[300];
	uint8_t exp[300];
	long_text(t, 61);
	const size_t ok[] = { 63, 63, 63, 61 };
	size_t n = build_labels(exp, ok, 4, true);
	from_text_ok(t, NULL, exp, n);
	long_text(t, 62);
	from_text_err(t, NULL, DP_ENAMELEN);
	/* the origin pushes a relative name over the limit */
	long_text(t, 57); /* 64*3 + 58 = 250 octets without the root */
	t[strlen(t) - 1] = '\0';
	uint8_t out[DNS_NAME_MAXLEN + 16];
	cr_assert_eq(dns_name_from_text(t, (const uint8_t *)"\002co\000", out), 254);
	cr_assert_eq(dns_name_from_text(t, (const uint8_t *)"\003com\000", out), 255);
	cr_assert_eq(dns_name_from_text(t, (const uint8_t *)"\004comm\000", out), DP_ENAMELEN);
}

/* ---------------------------------------------------------------- to_text */

static void to_text_is(const void *name, const char *exp)
{
	char out[DNS_NAME_TEXT_MAX + 8];
	memset(out, 0x7e, sizeof(out));
	int rc = dns_name_to_text(name, out, sizeof(out));
	cr_assert_eq(rc, (int)strlen(exp), "rc %d for \"%s\"", rc, exp);
	cr_assert_str_eq(out, exp);
}

Test(name_to_text, basic)
{
	to_text_is("\000", ".");
	to_text_is(WWW_EXAMPLE_COM, "www.example.com.");
	to_text_is("\003WwW\007Example\003COM\000", "WwW.Example.COM.");
	to_text_is("\001*\007example\000", "*.example.");
	to_text_is("\003a-b\003c_d\001/\000", "a-b.c_d./.");
}

Test(name_to_text, escapes_specials)
{
	to_text_is("\003a.b\000", "a\\.b.");
	to_text_is("\001\\\000", "\\\\.");
	to_text_is("\001\"\000", "\\\".");
	to_text_is("\002()\000", "\\(\\).");
	to_text_is("\001;\000", "\\;.");
	to_text_is("\001@\000", "\\@.");
	to_text_is("\001$\000", "\\$.");
}

Test(name_to_text, escapes_nonprintable_as_ddd)
{
	to_text_is("\001 \000", "\\032.");
	to_text_is("\001\000\000", "\\000.");
	to_text_is("\001\007\000", "\\007.");
	to_text_is("\001\177\000", "\\127.");
	to_text_is("\001\200\000", "\\128.");
	to_text_is("\001\377\000", "\\255.");
	to_text_is("\003a\tb\000", "a\\009b.");
}

Test(name_to_text, every_octet_round_trips)
{
	/* 256 octets in labels of 60 (five labels over two names) */
	for (int base = 0; base < 256; base += 120) {
		uint8_t n[DNS_NAME_MAXLEN];
		size_t o = 0;
		for (int l = 0; l < 2; l++) {
			n[o++] = 60;
			for (int i = 0; i < 60; i++)
				n[o++] = (uint8_t)(base + l * 60 + i);
		}
		n[o++] = 0;
		char t[DNS_NAME_TEXT_MAX];
		int tl = dns_name_to_text(n, t, sizeof(t));
		cr_assert_gt(tl, 0);
		cr_assert_eq((size_t)tl, strlen(t));
		uint8_t back[DNS_NAME_MAXLEN];
		int rc = dns_name_from_text(t, NULL, back);
		cr_assert_eq(rc, (int)o, "\"%s\"", t);
		assert_bytes(back, o, n, o);
	}
}

Test(name_to_text, worst_case_fits_text_max)
{
	/* 250 octets that all need \DDD: 1000 characters, 4 dots, NUL */
	uint8_t n[DNS_NAME_MAXLEN];
	const size_t ok[] = { 63, 63, 63, 61 };
	size_t o = 0;
	for (int l = 0; l < 4; l++)
		put_label(n, &o, ok[l], '\001');
	n[o++] = 0;
	char t[DNS_NAME_TEXT_MAX];
	int rc = dns_name_to_text(n, t, sizeof(t));
	cr_assert_eq(rc, 250 * 4 + 4, "rc %d", rc);
}

Test(name_to_text, small_buffer_espace)
{
	const char *exp = "www.example.com.";
	size_t el = strlen(exp);
	for (size_t cap = 0; cap <= el; cap++) {
		char *g = (char *)guard_new(NULL, cap);
		int rc = dns_name_to_text((const uint8_t *)WWW_EXAMPLE_COM, g, cap);
		cr_assert_eq(rc, DP_ESPACE, "cap %zu: rc %d", cap, rc);
		guard_free((uint8_t *)g, cap);
	}
	char *g = (char *)guard_new(NULL, el + 1);
	cr_assert_eq(dns_name_to_text((const uint8_t *)WWW_EXAMPLE_COM, g, el + 1), (int)el);
	cr_assert_str_eq(g, exp);
	guard_free((uint8_t *)g, el + 1);

	g = (char *)guard_new(NULL, 1);
	cr_assert_eq(dns_name_to_text((const uint8_t *)"\000", g, 1), DP_ESPACE);
	guard_free((uint8_t *)g, 1);
	g = (char *)guard_new(NULL, 2);
	cr_assert_eq(dns_name_to_text((const uint8_t *)"\000", g, 2), 1);
	cr_assert_str_eq(g, ".");
	guard_free((uint8_t *)g, 2);
	/* an escape that does not fit */
	g = (char *)guard_new(NULL, 5);
	cr_assert_eq(dns_name_to_text((const uint8_t *)"\001\377\000", g, 5), DP_ESPACE);
	guard_free((uint8_t *)g, 5);
	g = (char *)guard_new(NULL, 6);
	cr_assert_eq(dns_name_to_text((const uint8_t *)"\001\377\000", g, 6), 5);
	guard_free((uint8_t *)g, 6);
}

/* ------------------------------------------------------------ compression */

static uint8_t msgbuf[0x4200];

static void wr_hdr(struct dns_wr *w)
{
	static const uint8_t hdr[12];
	dns_wr_init(w, msgbuf, sizeof(msgbuf));
	dns_wr_bytes(w, hdr, sizeof(hdr));
}

#define WR_NAME_IS(w, c, name, lit)                              \
	do {                                                     \
		size_t at_ = (w)->pos;                           \
		dns_wr_name((w), (const uint8_t *)(name), (c));  \
		cr_assert_eq((w)->err, 0);                       \
		assert_lit((w)->buf + at_, (w)->pos - at_, lit); \
	} while (0)

Test(name_compr, reuses_suffixes_exact_bytes)
{
	struct dns_wr w;
	struct dns_compr c;
	dns_compr_init(&c);
	wr_hdr(&w);
	WR_NAME_IS(&w, &c, EXAMPLE_COM, EXAMPLE_COM);		/* at 12, com at 20 */
	WR_NAME_IS(&w, &c, WWW_EXAMPLE_COM, "\003www\300\014"); /* at 25 */
	WR_NAME_IS(&w, &c, "\004mail\003www\007example\003com\000", "\004mail\300\031");
	WR_NAME_IS(&w, &c, "\003com\000", "\300\024");
	WR_NAME_IS(&w, &c, EXAMPLE_COM, "\300\014");
	WR_NAME_IS(&w, &c, WWW_EXAMPLE_COM, "\300\031");
	WR_NAME_IS(&w, &c, "\000", "\000");
	WR_NAME_IS(&w, &c, "\003ftp\003www\007example\003com\000", "\003ftp\300\031");
}

Test(name_compr, case_sensitive_by_default)
{
	/* decompression must give back exactly the octets written */
	struct dns_wr w;
	struct dns_compr c;
	dns_compr_init(&c);
	wr_hdr(&w);
	WR_NAME_IS(&w, &c, "\007EXAMPLE\003COM\000", "\007EXAMPLE\003COM\000"); /* 12 */
	WR_NAME_IS(&w, &c, WWW_EXAMPLE_COM, WWW_EXAMPLE_COM);			/* 25 */
	WR_NAME_IS(&w, &c, "\003www\007EXAMPLE\003COM\000", "\003www\300\014");
	/* com of www.example.com is at 25 + 12 = 37 */
	WR_NAME_IS(&w, &c, "\003com\000", "\300\045");
	WR_NAME_IS(&w, &c, "\003COM\000", "\300\024");
	WR_NAME_IS(&w, &c, "\003Com\000", "\003Com\000");
}

Test(name_compr, icase_below_icase_end)
{
	/* the question name (12..25) matches any case; later names do not */
	struct dns_wr w;
	struct dns_compr c;
	dns_compr_init(&c);
	wr_hdr(&w);
	c.icase_end = 25;
	WR_NAME_IS(&w, &c, "\007EXAMPLE\003COM\000", "\007EXAMPLE\003COM\000"); /* 12 */
	WR_NAME_IS(&w, &c, WWW_EXAMPLE_COM, "\003www\300\014");			/* 25 */
	WR_NAME_IS(&w, &c, "\003foo\003cOm\000", "\003foo\300\024");		/* 31 */
	WR_NAME_IS(&w, &c, "\003WWW\007example\003com\000", "\003WWW\300\014");
	/* names at or past icase_end match in exact case only */
	WR_NAME_IS(&w, &c, "\003ORG\000", "\003ORG\000"); /* 43 */
	WR_NAME_IS(&w, &c, "\003org\000", "\003org\000"); /* 48 */
	WR_NAME_IS(&w, &c, "\003ORG\000", "\300\053");
	WR_NAME_IS(&w, &c, "\003org\000", "\300\060");
}

Test(name_compr, pointer_sites_recorded)
{
	struct dns_wr w;
	struct dns_compr c;
	uint16_t sites[3] = { 0xeeee, 0xeeee, 0xeeee };
	dns_compr_init(&c);
	c.sites = sites;
	c.max_sites = 2;
	wr_hdr(&w);
	WR_NAME_IS(&w, &c, EXAMPLE_COM, EXAMPLE_COM); /* 12..24, no pointer */
	cr_assert_eq(c.nsites, 0);
	WR_NAME_IS(&w, &c, WWW_EXAMPLE_COM, "\003www\300\014"); /* pointer at 29 */
	WR_NAME_IS(&w, &c, EXAMPLE_COM, "\300\014");		/* pointer at 31 */
	WR_NAME_IS(&w, &c, "\003com\000", "\300\024");		/* pointer at 33, not stored */
	cr_assert_eq(c.nsites, 3);
	cr_assert_eq(sites[0], 29);
	cr_assert_eq(sites[1], 31);
	cr_assert_eq(sites[2], 0xeeee, "max_sites overrun");
	WR_NAME_IS(&w, &c, "\000", "\000");
	cr_assert_eq(c.nsites, 3);
}

Test(name_compr, only_at_label_boundaries)
{
	struct dns_wr w;
	struct dns_compr c;
	dns_compr_init(&c);
	wr_hdr(&w);
	WR_NAME_IS(&w, &c, "\002ab\003com\000", "\002ab\003com\000"); /* com at 15 */
	WR_NAME_IS(&w, &c, "\001b\003com\000", "\001b\300\017");
	/* same first label, different suffix: no reuse of "example" */
	WR_NAME_IS(&w, &c, "\007example\003org\000", "\007example\003org\000");
	WR_NAME_IS(&w, &c, "\007example\003net\000", "\007example\003net\000");
}

Test(name_compr, null_table_means_no_compression)
{
	struct dns_wr w;
	wr_hdr(&w);
	WR_NAME_IS(&w, NULL, EXAMPLE_COM, EXAMPLE_COM);
	WR_NAME_IS(&w, NULL, EXAMPLE_COM, EXAMPLE_COM);
	WR_NAME_IS(&w, NULL, WWW_EXAMPLE_COM, WWW_EXAMPLE_COM);
}

Test(name_compr, compr_add_records_existing_name)
{
	struct dns_wr w;
	struct dns_compr c;
	dns_compr_init(&c);
	wr_hdr(&w);
	dns_wr_bytes(&w, EXAMPLE_COM, 13);
	dns_compr_add(&c, &w, 12);
	WR_NAME_IS(&w, &c, WWW_EXAMPLE_COM, "\003www\300\014");
	WR_NAME_IS(&w, &c, EXAMPLE_COM, "\300\014");
}

Test(name_compr, no_pointer_to_offset_0x4000_or_above)
{
	struct dns_wr w;
	struct dns_compr c;
	dns_compr_init(&c);
	wr_hdr(&w);
	static const uint8_t zero[0x4000];
	dns_wr_bytes(&w, zero, 0x3ffa - 12);
	cr_assert_eq(w.pos, 0x3ffa);
	/* example at 0x3ffa (usable), com at 0x4002 (not) */
	WR_NAME_IS(&w, &c, EXAMPLE_COM, EXAMPLE_COM);
	WR_NAME_IS(&w, &c, EXAMPLE_COM, "\377\372");
	WR_NAME_IS(&w, &c, WWW_EXAMPLE_COM, "\003www\377\372");
	WR_NAME_IS(&w, &c, "\003com\000", "\003com\000");
	WR_NAME_IS(&w, &c, "\003org\000", "\003org\000");
	WR_NAME_IS(&w, &c, "\003org\000", "\003org\000");
	WR_NAME_IS(&w, &c, "\001a\003org\000", "\001a\003org\000");
}

Test(name_compr, pointer_to_0x3fff_allowed)
{
	struct dns_wr w;
	struct dns_compr c;
	dns_compr_init(&c);
	wr_hdr(&w);
	static const uint8_t zero[0x4000];
	dns_wr_bytes(&w, zero, 0x3fff - 12);
	WR_NAME_IS(&w, &c, "\003org\000", "\003org\000");
	WR_NAME_IS(&w, &c, "\003org\000", "\377\377");
}

Test(name_compr, table_full_degrades_gracefully)
{
	struct dns_wr w;
	struct dns_compr c;
	dns_compr_init(&c);
	wr_hdr(&w);
	enum {
		N = 3 * DNS_COMPR_MAX
	};
	size_t at[N + 2];
	uint8_t names[N + 2][DNS_NAME_MAXLEN];
	size_t lens[N + 2];
	for (int i = 0; i < N; i++) {
		char t[64];
		snprintf(t, sizeof(t), "n%03d.s%d.example.com", i, i % 5);
		lens[i] = tn(names[i], t);
		at[i] = w.pos;
		dns_wr_name(&w, names[i], &c);
		cr_assert_eq(w.err, 0);
		cr_assert_leq(c.n, DNS_COMPR_MAX);
	}
	/* the first name was recorded before the table filled: a bare pointer */
	size_t p = w.pos;
	dns_wr_name(&w, names[0], &c);
	cr_assert_eq(w.pos - p, 2);
	cr_assert_eq(dns_get_u16(w.buf + p), 0xc000 | at[0]);
	lens[N] = lens[0];
	memcpy(names[N], names[0], lens[0]);
	at[N] = p;
	/* a late name again: correct even if not recorded */
	p = w.pos;
	dns_wr_name(&w, names[N - 1], &c);
	cr_assert_eq(w.err, 0);
	cr_assert_leq(w.pos - p, lens[N - 1]);
	lens[N + 1] = lens[N - 1];
	memcpy(names[N + 1], names[N - 1], lens[N - 1]);
	at[N + 1] = p;
	cr_assert_leq(c.n, DNS_COMPR_MAX);
	/* everything parses back to what was written */
	struct dns_rd r;
	dns_rd_init(&r, w.buf, w.pos);
	for (int i = 0; i < N + 2; i++) {
		uint8_t out[DNS_NAME_MAXLEN];
		r.pos = at[i];
		int rc = dns_name_parse(&r, out);
		cr_assert_eq(rc, (int)lens[i], "name %d rc %d", i, rc);
		assert_bytes(out, lens[i], names[i], lens[i]);
	}
}

Test(name_compr, output_parses_back)
{
	static const char *const texts[] = {
		"example.com",
		"www.example.com",
		"WWW.EXAMPLE.COM",
		"a.b.c.d.example.com",
		"c.d.example.com",
		"example.org",
		"x.example.org",
		"",
		"com",
		"d.example.com",
	};
	struct dns_wr w;
	struct dns_compr c;
	dns_compr_init(&c);
	wr_hdr(&w);
	size_t at[10];
	for (int i = 0; i < 10; i++) {
		uint8_t n[DNS_NAME_MAXLEN];
		tn(n, texts[i]);
		at[i] = w.pos;
		dns_wr_name(&w, n, &c);
	}
	cr_assert_eq(w.err, 0);
	struct dns_rd r;
	dns_rd_init(&r, w.buf, w.pos);
	for (int i = 0; i < 10; i++) {
		uint8_t n[DNS_NAME_MAXLEN], out[DNS_NAME_MAXLEN];
		size_t l = tn(n, texts[i]);
		r.pos = at[i];
		cr_assert_eq(dns_name_parse(&r, out), (int)l, "%s", texts[i]);
		cr_assert(dns_name_eq(out, n), "%s", texts[i]);
		cr_assert_eq(r.pos, i + 1 < 10 ? at[i + 1] : w.pos, "%s", texts[i]);
	}
}

Test(name_compr, espace_never_writes_past_cap)
{
	for (size_t cap = 0; cap < 17; cap++) {
		uint8_t *g = guard_new(NULL, cap);
		struct dns_wr w;
		struct dns_compr c;
		dns_compr_init(&c);
		dns_wr_init(&w, g, cap);
		dns_wr_name(&w, (const uint8_t *)WWW_EXAMPLE_COM, &c);
		cr_assert_eq(w.err, DP_ESPACE, "cap %zu", cap);
		dns_wr_name(&w, (const uint8_t *)WWW_EXAMPLE_COM, NULL);
		cr_assert_eq(w.err, DP_ESPACE, "cap %zu", cap);
		guard_free(g, cap);
	}
	/* the pointer itself does not fit */
	uint8_t *g = guard_new(NULL, 14);
	struct dns_wr w;
	struct dns_compr c;
	dns_compr_init(&c);
	dns_wr_init(&w, g, 14);
	dns_wr_name(&w, (const uint8_t *)EXAMPLE_COM, &c);
	cr_assert_eq(w.err, 0);
	dns_wr_name(&w, (const uint8_t *)EXAMPLE_COM, &c);
	cr_assert_eq(w.err, DP_ESPACE);
	guard_free(g, 14);
}
