/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EDNS(0) OPT pseudo-RR (src/dns/edns.h): RFC 6891, NSID (RFC 5001), EXPIRE
 * (RFC 7314), COOKIE (RFC 7873 §4), EDE (RFC 8914).
 */
#include "dns/edns.h"

#include <criterion/criterion.h>

#include "dns/msg.h"
#include "testutil.h"

#define HDR "\000\001\000\000\000\000\000\000\000\000\000\001"
#define OPT_AT 12

static uint8_t mbuf[1024];

/*
 * Builds header + OPT (root owner) + trailing bytes into mbuf; returns the
 * message length.
 */
static size_t opt_msg(uint16_t payload, uint8_t ext, uint8_t ver, uint16_t flags, const void *opts,
		      size_t optlen, size_t rdlen, const void *tail, size_t taillen)
{
	size_t o = 0;
	memcpy(mbuf, HDR, 12);
	o = 12;
	mbuf[o++] = 0;
	mbuf[o++] = 0;
	mbuf[o++] = 41;
	mbuf[o++] = (uint8_t)(payload >> 8);
	mbuf[o++] = (uint8_t)payload;
	mbuf[o++] = ext;
	mbuf[o++] = ver;
	mbuf[o++] = (uint8_t)(flags >> 8);
	mbuf[o++] = (uint8_t)flags;
	mbuf[o++] = (uint8_t)(rdlen >> 8);
	mbuf[o++] = (uint8_t)rdlen;
	if (optlen)
		memcpy(mbuf + o, opts, optlen);
	o += optlen;
	if (taillen)
		memcpy(mbuf + o, tail, taillen);
	o += taillen;
	return o;
}

static struct dns_edns E;
static size_t E_end;
static uint8_t *E_msg;
static size_t E_len;

/* Parses mbuf[0..len) from OPT_AT in a guarded copy (kept until the test ends). */
static int parse(size_t len)
{
	E_msg = guard_new(mbuf, len);
	E_len = len;
	struct dns_rd r;
	dns_rd_init(&r, E_msg, len);
	r.pos = OPT_AT;
	memset(&E, 0xa5, sizeof(E));
	int rc = dns_edns_parse(&r, &E);
	E_end = r.pos;
	return rc;
}

#define OPTS(lit) (lit), (sizeof(lit) - 1), (sizeof(lit) - 1)
#define NOTAIL NULL, 0

/* Offset in the message of option data at offset off within the rdata. */
#define OPTDATA(off) (E_msg + OPT_AT + DNS_EDNS_FIXED_LEN + (off))

Test(edns_parse, basic_fields)
{
	size_t len = opt_msg(1232, 0, 0, DNS_EDNS_DO, NULL, 0, 0, NOTAIL);
	cr_assert_eq(parse(len), 0);
	cr_assert_eq(E.payload, 1232);
	cr_assert_eq(E.ext_rcode, 0);
	cr_assert_eq(E.version, 0);
	cr_assert_eq(E.flags, DNS_EDNS_DO);
	cr_assert_null(E.nsid.data);
	cr_assert_null(E.expire.data);
	cr_assert_null(E.cookie.data);
	cr_assert_null(E.ede.data);
	cr_assert_eq(E.options_len, 0);
	cr_assert_eq(E.bad_option, 0);
	cr_assert_eq(E_end, len);
}

Test(edns_parse, ext_rcode_version_z_bits)
{
	size_t len = opt_msg(4096, 0xfe, 0, 0x7fff, NULL, 0, 0, "\377", 1);
	cr_assert_eq(parse(len), 0);
	cr_assert_eq(E.payload, 4096);
	cr_assert_eq(E.ext_rcode, 0xfe);
	cr_assert_eq(E.flags, 0x7fff);
	cr_assert_not(E.flags & DNS_EDNS_DO);
	cr_assert_eq(E_end, len - 1);
}

Test(edns_parse, payload_below_512_kept_verbatim)
{
	size_t len = opt_msg(100, 0, 0, 0, NULL, 0, 0, NOTAIL);
	cr_assert_eq(parse(len), 0);
	cr_assert_eq(E.payload, 100);
}

Test(edns_parse, unknown_version_reported)
{
	/* RFC 6891 §6.1.3: the caller answers BADVERS; the version must be visible */
	size_t len = opt_msg(1232, 0, 1, 0, NULL, 0, 0, NOTAIL);
	int rc = parse(len);
	cr_assert(rc == 0 || rc == DP_EBADVERS, "rc %d", rc);
	cr_assert_eq(E.version, 1);
}

Test(edns_parse, nsid_empty_is_present)
{
	size_t len = opt_msg(1232, 0, 0, 0, OPTS("\000\003\000\000"), NOTAIL);
	cr_assert_eq(parse(len), 0);
	cr_assert_not_null(E.nsid.data, "an empty NSID option is present, not absent");
	cr_assert_eq(E.nsid.len, 0);
	cr_assert_eq(E.options, OPTDATA(0));
	cr_assert_eq(E.options_len, 4);
	cr_assert_null(E.cookie.data);
	cr_assert_eq(E_end, len);
}

Test(edns_parse, nsid_with_data)
{
	size_t len = opt_msg(1232, 0, 0, 0, OPTS("\000\003\000\003ns1"), NOTAIL);
	cr_assert_eq(parse(len), 0);
	cr_assert_eq(E.nsid.data, OPTDATA(4));
	cr_assert_eq(E.nsid.len, 3);
}

Test(edns_parse, cookie_client_only)
{
	size_t len = opt_msg(1232, 0, 0, 0,
			     OPTS("\000\012\000\010"
				  "12345678"),
			     NOTAIL);
	cr_assert_eq(parse(len), 0);
	cr_assert_eq(E.cookie.data, OPTDATA(4));
	cr_assert_eq(E.cookie.len, 8);
	assert_lit(E.cookie.data, E.cookie.len, "12345678");
}

Test(edns_parse, cookie_client_and_server)
{
	size_t len = opt_msg(1232, 0, 0, 0,
			     OPTS("\000\012\000\030"
				  "12345678"
				  "abcdefghijklmnop"),
			     NOTAIL);
	cr_assert_eq(parse(len), 0);
	cr_assert_eq(E.cookie.len, 24);
	assert_lit(E.cookie.data, E.cookie.len, "12345678abcdefghijklmnop");
}

static uint8_t cookie_opts[4 + 64];

static size_t cookie_of(size_t n)
{
	cookie_opts[0] = 0;
	cookie_opts[1] = 10;
	cookie_opts[2] = 0;
	cookie_opts[3] = (uint8_t)n;
	memset(cookie_opts + 4, 'c', n);
	return opt_msg(1232, 0, 0, 0, cookie_opts, 4 + n, 4 + n, NOTAIL);
}

Test(edns_parse, cookie_lengths)
{
	/*
	 * RFC 7873 §4: 8 (client only) or 16..40 (8 + server 8..32).  Other
	 * lengths are not located and reported in bad_option; parsing succeeds.
	 */
	for (size_t n = 0; n <= 48; n++) {
		bool good = n == 8 || (n >= 16 && n <= 40);
		int rc = parse(cookie_of(n));
		cr_assert_eq(rc, 0, "cookie of %zu octets: rc %d", n, rc);
		if (good) {
			cr_assert_eq(E.cookie.data, OPTDATA(4), "cookie of %zu", n);
			cr_assert_eq(E.cookie.len, n);
			cr_assert_eq(E.bad_option, 0, "cookie of %zu", n);
		} else {
			cr_assert_null(E.cookie.data, "cookie of %zu octets located", n);
			cr_assert_eq(E.bad_option, DNS_OPT_COOKIE, "cookie of %zu", n);
		}
		guard_free(E_msg, E_len);
	}
}

Test(edns_parse, cookie_9_and_41)
{
	cr_assert_eq(parse(cookie_of(9)), 0);
	cr_assert_null(E.cookie.data);
	cr_assert_eq(E.bad_option, DNS_OPT_COOKIE);
	guard_free(E_msg, E_len);
	cr_assert_eq(parse(cookie_of(41)), 0);
	cr_assert_null(E.cookie.data);
	cr_assert_eq(E.bad_option, DNS_OPT_COOKIE);
}

Test(edns_parse, expire_empty_and_four)
{
	size_t len = opt_msg(1232, 0, 0, 0, OPTS("\000\011\000\000"), NOTAIL);
	cr_assert_eq(parse(len), 0);
	cr_assert_not_null(E.expire.data);
	cr_assert_eq(E.expire.len, 0);
	cr_assert_eq(E.bad_option, 0);
	guard_free(E_msg, E_len);
	len = opt_msg(1232, 0, 0, 0, OPTS("\000\011\000\004\000\001\121\200"), NOTAIL);
	cr_assert_eq(parse(len), 0);
	cr_assert_eq(E.expire.len, 4);
	cr_assert_eq(E.expire.data, OPTDATA(4));
	cr_assert_eq(dns_get_u32(E.expire.data), 86400);
	cr_assert_eq(E.bad_option, 0);
}

Test(edns_parse, expire_bad_lengths)
{
	static const char *const o[] = {
		"\000\011\000\003\000\001\121",
		"\000\011\000\005\000\001\121\200\000",
		"\000\011\000\001\000",
	};
	static const size_t l[] = { 7, 9, 5 };
	for (size_t i = 0; i < 3; i++) {
		size_t len = opt_msg(1232, 0, 0, 0, o[i], l[i], l[i], NOTAIL);
		cr_assert_eq(parse(len), 0, "case %zu", i);
		cr_assert_null(E.expire.data, "case %zu", i);
		cr_assert_eq(E.bad_option, DNS_OPT_EXPIRE, "case %zu", i);
		guard_free(E_msg, E_len);
	}
}

Test(edns_parse, ede_too_short)
{
	size_t len = opt_msg(1232, 0, 0, 0, OPTS("\000\017\000\001\000"), NOTAIL);
	cr_assert_eq(parse(len), 0);
	cr_assert_null(E.ede.data);
	cr_assert_eq(E.bad_option, DNS_OPT_EDE);
}

Test(edns_parse, bad_option_does_not_hide_others)
{
	size_t len = opt_msg(1232, 0, 0, 0,
			     OPTS("\000\012\000\011"
				  "123456789"
				  "\000\003\000\002id"),
			     NOTAIL);
	cr_assert_eq(parse(len), 0);
	cr_assert_null(E.cookie.data);
	cr_assert_eq(E.bad_option, DNS_OPT_COOKIE);
	cr_assert_eq(E.nsid.data, OPTDATA(17));
	cr_assert_eq(E.nsid.len, 2);
	cr_assert_eq(E_end, len);
}

Test(edns_parse, ede)
{
	size_t len = opt_msg(1232, 0, 0, 0, OPTS("\000\017\000\005\000\022abc"), NOTAIL);
	cr_assert_eq(parse(len), 0);
	cr_assert_eq(E.ede.data, OPTDATA(4));
	cr_assert_eq(E.ede.len, 5);
}

Test(edns_parse, all_options_located)
{
	const char opts[] = "\377\377\000\002zz" /* unknown 65535 */
			    "\000\012\000\010"
			    "CCCCCCCC"			   /* COOKIE at 6 */
			    "\000\003\000\000"		   /* NSID at 18 */
			    "\000\014\000\003\000\000\000" /* PADDING */
			    "\000\011\000\000"		   /* EXPIRE at 29 */
			    "\000\017\000\002\000\000"	   /* EDE at 33 */
			    "\000\013\000\002\001\054";	   /* TCP keepalive */
	size_t n = sizeof(opts) - 1;
	size_t len = opt_msg(1232, 0, 0, DNS_EDNS_DO, opts, n, n, NOTAIL);
	cr_assert_eq(parse(len), 0);
	cr_assert_eq(E.cookie.data, OPTDATA(10));
	cr_assert_eq(E.cookie.len, 8);
	cr_assert_eq(E.nsid.data, OPTDATA(22));
	cr_assert_eq(E.nsid.len, 0);
	cr_assert_eq(E.expire.data, OPTDATA(33));
	cr_assert_eq(E.expire.len, 0);
	cr_assert_eq(E.ede.data, OPTDATA(37));
	cr_assert_eq(E.ede.len, 2);
	cr_assert_eq(E.options, OPTDATA(0));
	cr_assert_eq(E.options_len, n);
	cr_assert_eq(E.bad_option, 0);
	cr_assert_eq(E_end, len);
}

Test(edns_parse, duplicate_known_options)
{
	static const char *const dups[] = {
		"\000\003\000\000\000\003\000\000",
		"\000\003\000\001x\000\003\000\000",
		"\000\012\000\010"
		"12345678"
		"\000\012\000\010"
		"12345678",
		"\000\011\000\000\000\011\000\000",
		"\000\017\000\002\000\000\000\017\000\002\000\001",
	};
	static const size_t lens[] = { 8, 9, 24, 8, 12 };
	static const uint16_t codes[] = { DNS_OPT_NSID, DNS_OPT_NSID, DNS_OPT_COOKIE,
					  DNS_OPT_EXPIRE, DNS_OPT_EDE };
	for (size_t i = 0; i < 5; i++) {
		size_t len = opt_msg(1232, 0, 0, 0, dups[i], lens[i], lens[i], NOTAIL);
		cr_assert_eq(parse(len), 0, "case %zu", i);
		cr_assert_eq(E.bad_option, codes[i], "case %zu: bad_option %u", i, E.bad_option);
		cr_assert_eq(E_end, len);
		guard_free(E_msg, E_len);
	}
}

Test(edns_parse, duplicate_unknown_option_ok)
{
	size_t len = opt_msg(1232, 0, 0, 0, OPTS("\177\000\000\000\177\000\000\001x"), NOTAIL);
	cr_assert_eq(parse(len), 0);
}

Test(edns_parse, option_length_past_rdata_end)
{
	/* the message goes on, but the option does not fit its rdata */
	size_t len = opt_msg(1232, 0, 0, 0, "\000\003\000\010ab", 6, 6, "cdefghij", 8);
	cr_assert_eq(parse(len), DP_EMALF);
	guard_free(E_msg, E_len);
	len = opt_msg(1232, 0, 0, 0, "\000\003\000\000\377\377\000\001", 8, 8, "xxxxxxxx", 8);
	cr_assert_eq(parse(len), DP_EMALF);
}

Test(edns_parse, partial_option_header)
{
	for (size_t n = 1; n < 4; n++) {
		size_t len = opt_msg(1232, 0, 0, 0, "\000\003\000\000", n, n, "zzzz", 4);
		cr_assert_eq(parse(len), DP_EMALF, "rdlen %zu", n);
		guard_free(E_msg, E_len);
	}
}

Test(edns_parse, non_root_owner_accepted_and_flagged)
{
	/* edns.h: like Knot, any valid owner is accepted; owner_is_root says which */
	const char b[] = HDR "\001a\000\000\051\004\320\000\000\000\000\000\000\377";
	memcpy(mbuf, b, sizeof(b) - 1);
	cr_assert_eq(parse(sizeof(b) - 1), 0);
	cr_assert_not(E.owner_is_root);
	cr_assert_eq(E.payload, 1232);
	cr_assert_eq(E_end, sizeof(b) - 2);
}

Test(edns_parse, root_owner_flagged)
{
	size_t len = opt_msg(1232, 0, 0, 0, NULL, 0, 0, NOTAIL);
	cr_assert_eq(parse(len), 0);
	cr_assert(E.owner_is_root);
}

Test(edns_parse, compressed_root_owner)
{
	/* a pointer to a root label is still the root name */
	const char b[] = HDR "\300\005\000\051\004\320\000\000\000\000\000\000";
	memcpy(mbuf, b, sizeof(b) - 1);
	cr_assert_eq(parse(sizeof(b) - 1), 0);
	cr_assert(E.owner_is_root);
	cr_assert_eq(E_end, sizeof(b) - 1);
}

Test(edns_parse, bad_owner_name)
{
	const char b[] = HDR "\300\014\000\051\004\320\000\000\000\000\000\000";
	memcpy(mbuf, b, sizeof(b) - 1);
	cr_assert_eq(parse(sizeof(b) - 1), DP_EPTR);
	guard_free(E_msg, E_len);
	const char c[] = HDR "\200\000\051\004\320\000\000\000\000\000\000";
	memcpy(mbuf, c, sizeof(c) - 1);
	cr_assert_eq(parse(sizeof(c) - 1), DP_ELABEL);
}

Test(edns_parse, type_not_opt)
{
	const char b[] = HDR "\000\000\001\004\320\000\000\000\000\000\000";
	memcpy(mbuf, b, sizeof(b) - 1);
	cr_assert_eq(parse(sizeof(b) - 1), DP_EMALF);
}

Test(edns_parse, rdlength_past_message_end)
{
	size_t len = opt_msg(1232, 0, 0, 0, "\000\003\000\000", 4, 5, NOTAIL);
	cr_assert_eq(parse(len), DP_ETRUNC);
}

Test(edns_parse, truncated_every_length)
{
	size_t full = opt_msg(1232, 0, 0, DNS_EDNS_DO, OPTS("\000\003\000\000"), NOTAIL);
	for (size_t len = OPT_AT; len < full; len++) {
		int rc = parse(len);
		cr_assert_eq(rc, DP_ETRUNC, "len %zu: rc %d", len, rc);
		guard_free(E_msg, E_len);
	}
	cr_assert_eq(parse(full), 0);
}

/* ------------------------------------------------------------------ write */

Test(edns_write, plain_do_exact)
{
	uint8_t *g = guard_new(NULL, 11);
	struct dns_wr w;
	dns_wr_init(&w, g, 11);
	dns_edns_write(&w, DNS_EDNS_DEFAULT_PAYLOAD, 0, DNS_EDNS_DO, NULL, 0);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(w.pos, dns_edns_size(0));
	assert_lit(g, w.pos, "\000\000\051\004\320\000\000\200\000\000\000");
	guard_free(g, 11);
}

Test(edns_write, ext_rcode_no_do)
{
	uint8_t buf[32];
	struct dns_wr w;
	dns_wr_init(&w, buf, sizeof(buf));
	/* BADVERS (16): extended rcode 1 */
	dns_edns_write(&w, 512, DNS_R_BADVERS >> 4, 0, NULL, 0);
	cr_assert_eq(w.err, 0);
	assert_lit(buf, w.pos, "\000\000\051\002\000\001\000\000\000\000\000");
}

Test(edns_write, with_nsid_exact)
{
	uint8_t scratch[32];
	struct dns_wr s;
	dns_wr_init(&s, scratch, sizeof(scratch));
	dns_edns_opt_write(&s, DNS_OPT_NSID, "ns1", 3);
	cr_assert_eq(s.err, 0);
	assert_lit(scratch, s.pos, "\000\003\000\003ns1");

	uint8_t *g = guard_new(NULL, 18);
	struct dns_wr w;
	dns_wr_init(&w, g, 18);
	dns_edns_write(&w, 1232, 0, DNS_EDNS_DO, scratch, s.pos);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(w.pos, dns_edns_size(7));
	assert_lit(g, w.pos, "\000\000\051\004\320\000\000\200\000\000\007\000\003\000\003ns1");
	guard_free(g, 18);
}

Test(edns_write, opt_write_empty_and_espace)
{
	uint8_t buf[8];
	struct dns_wr w;
	dns_wr_init(&w, buf, sizeof(buf));
	dns_edns_opt_write(&w, DNS_OPT_EXPIRE, NULL, 0);
	cr_assert_eq(w.err, 0);
	assert_lit(buf, w.pos, "\000\011\000\000");
	for (size_t cap = 0; cap < 7; cap++) {
		uint8_t *g = guard_new(NULL, cap);
		dns_wr_init(&w, g, cap);
		dns_edns_opt_write(&w, DNS_OPT_NSID, "ns1", 3);
		cr_assert_eq(w.err, DP_ESPACE, "cap %zu", cap);
		guard_free(g, cap);
	}
}

Test(edns_write, espace)
{
	for (size_t cap = 0; cap < 18; cap++) {
		uint8_t *g = guard_new(NULL, cap);
		struct dns_wr w;
		dns_wr_init(&w, g, cap);
		dns_edns_write(&w, 1232, 0, DNS_EDNS_DO, (const uint8_t *)"\000\003\000\003ns1", 7);
		cr_assert_eq(w.err, DP_ESPACE, "cap %zu", cap);
		guard_free(g, cap);
	}
}

Test(edns, size_and_constants)
{
	cr_assert_eq(dns_edns_size(0), 11);
	cr_assert_eq(dns_edns_size(7), 18);
	cr_assert_eq(DNS_EDNS_DO, 0x8000);
	cr_assert_eq(DNS_EDNS_DEFAULT_PAYLOAD, 1232);
	cr_assert_eq(DNS_OPT_NSID, 3);
	cr_assert_eq(DNS_OPT_EXPIRE, 9);
	cr_assert_eq(DNS_OPT_COOKIE, 10);
	cr_assert_eq(DNS_OPT_EDE, 15);
}

Test(edns, write_then_parse)
{
	uint8_t opts[64];
	struct dns_wr s;
	dns_wr_init(&s, opts, sizeof(opts));
	dns_edns_opt_write(&s, DNS_OPT_COOKIE, "0123456789abcdef", 16);
	dns_edns_opt_write(&s, DNS_OPT_NSID, "x", 1);
	dns_edns_opt_write(&s, DNS_OPT_EXPIRE, "\000\000\016\020", 4);
	cr_assert_eq(s.err, 0);
	memcpy(mbuf, HDR, 12);
	struct dns_wr w;
	dns_wr_init(&w, mbuf + 12, sizeof(mbuf) - 12);
	dns_edns_write(&w, 1400, 2, DNS_EDNS_DO, opts, s.pos);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(parse(12 + w.pos), 0);
	cr_assert_eq(E.payload, 1400);
	cr_assert_eq(E.ext_rcode, 2);
	cr_assert_eq(E.version, 0);
	cr_assert_eq(E.flags, DNS_EDNS_DO);
	assert_lit(E.cookie.data, E.cookie.len, "0123456789abcdef");
	assert_lit(E.nsid.data, E.nsid.len, "x");
	cr_assert_eq(dns_get_u32(E.expire.data), 3600);
	cr_assert_null(E.ede.data);
	cr_assert_eq(E_end, 12 + w.pos);
}
