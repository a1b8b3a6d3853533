/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RR type table and rdata (src/dns/rrtype.h).  Every type round-trips
 * zone text -> libzscanner -> wire -> dns_rdata_check -> dns_rr_write (with
 * compression) -> dns_rr_parse -> libknot text -> libzscanner -> same wire.
 * Compression per RFC 3597 §4, RFC 2782, RFC 6672, RFC 4034, RFC 9460;
 * canonical form per RFC 4034 §6.2 / RFC 6840 §5.1.
 */
#include "dns/rrtype.h"

#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>
#include <libknot/libknot.h>
#include <libzscanner/scanner.h>

#include "dns/msg.h"
#include "testutil.h"

#define EX "\007example\003com\000"
#define TTL "\000\000\016\020"
/* id 1, qd 1, an 1; question example.com SOA IN; the RR starts at 29 */
#define HDRQ "\000\001\000\000\000\001\000\001\000\000\000\000" EX "\000\006\000\001"
#define RR_AT 29

/* ---------------------------------------------------------- type <-> text */

static const struct {
	uint16_t type;
	const char *name;
} mnemonics[] = {
	{ DNS_T_A, "A" },	    { DNS_T_NS, "NS" },	      { DNS_T_MD, "MD" },
	{ DNS_T_MF, "MF" },	    { DNS_T_CNAME, "CNAME" }, { DNS_T_SOA, "SOA" },
	{ DNS_T_MB, "MB" },	    { DNS_T_MG, "MG" },	      { DNS_T_MR, "MR" },
	{ DNS_T_PTR, "PTR" },	    { DNS_T_HINFO, "HINFO" }, { DNS_T_MINFO, "MINFO" },
	{ DNS_T_MX, "MX" },	    { DNS_T_TXT, "TXT" },     { DNS_T_RP, "RP" },
	{ DNS_T_AFSDB, "AFSDB" },   { DNS_T_RT, "RT" },	      { DNS_T_SIG, "SIG" },
	{ DNS_T_PX, "PX" },	    { DNS_T_AAAA, "AAAA" },   { DNS_T_NXT, "NXT" },
	{ DNS_T_SRV, "SRV" },	    { DNS_T_NAPTR, "NAPTR" }, { DNS_T_KX, "KX" },
	{ DNS_T_DNAME, "DNAME" },   { DNS_T_OPT, "OPT" },     { DNS_T_DS, "DS" },
	{ DNS_T_SSHFP, "SSHFP" },   { DNS_T_RRSIG, "RRSIG" }, { DNS_T_NSEC, "NSEC" },
	{ DNS_T_DNSKEY, "DNSKEY" }, { DNS_T_NSEC3, "NSEC3" }, { DNS_T_NSEC3PARAM, "NSEC3PARAM" },
	{ DNS_T_TLSA, "TLSA" },	    { DNS_T_SVCB, "SVCB" },   { DNS_T_HTTPS, "HTTPS" },
	{ DNS_T_TSIG, "TSIG" },	    { DNS_T_IXFR, "IXFR" },   { DNS_T_AXFR, "AXFR" },
	{ DNS_T_ANY, "ANY" },	    { DNS_T_CAA, "CAA" },
};
#define N_MNEM (sizeof(mnemonics) / sizeof(mnemonics[0]))

Test(rrtype_text, to_text_every_table_type)
{
	for (size_t i = 0; i < N_MNEM; i++) {
		char buf[16];
		memset(buf, 0x7e, sizeof(buf));
		const char *s = dns_rrtype_to_text(mnemonics[i].type, buf);
		cr_assert_eq(s, buf);
		cr_assert_str_eq(s, mnemonics[i].name, "type %u", mnemonics[i].type);
	}
}

Test(rrtype_text, from_text_every_table_type_any_case)
{
	for (size_t i = 0; i < N_MNEM; i++) {
		cr_assert_eq(dns_rrtype_from_text(mnemonics[i].name), mnemonics[i].type, "%s",
			     mnemonics[i].name);
		char lower[16];
		size_t j;
		for (j = 0; mnemonics[i].name[j]; j++)
			lower[j] = (char)(mnemonics[i].name[j] | 0x20);
		lower[j] = '\0';
		cr_assert_eq(dns_rrtype_from_text(lower), mnemonics[i].type, "%s", lower);
	}
	cr_assert_eq(dns_rrtype_from_text("nSeC3pArAm"), DNS_T_NSEC3PARAM);
}

/* A6 (RFC 2874, historic per RFC 6563) is in the enum, so it has a mnemonic too. */
Test(rrtype_text, a6_mnemonic)
{
	char buf[16];
	cr_assert_str_eq(dns_rrtype_to_text(DNS_T_A6, buf), "A6");
	cr_assert_eq(dns_rrtype_from_text("A6"), DNS_T_A6);
	cr_assert(dns_rrtype_known(DNS_T_A6));
}

Test(rrtype_text, type_nnn)
{
	char buf[16];
	cr_assert_str_eq(dns_rrtype_to_text(65000, buf), "TYPE65000");
	cr_assert_str_eq(dns_rrtype_to_text(65535, buf), "TYPE65535");
	cr_assert_str_eq(dns_rrtype_to_text(0, buf), "TYPE0");
	cr_assert_str_eq(dns_rrtype_to_text(262, buf), "TYPE262");
	cr_assert_eq(dns_rrtype_from_text("TYPE65000"), 65000);
	cr_assert_eq(dns_rrtype_from_text("type65535"), 65535);
	cr_assert_eq(dns_rrtype_from_text("TYPE1"), DNS_T_A);
	/* each table type also round-trips through its TYPEnnn form */
	for (size_t i = 0; i < N_MNEM; i++) {
		char t[16];
		snprintf(t, sizeof(t), "TYPE%u", mnemonics[i].type);
		cr_assert_eq(dns_rrtype_from_text(t), mnemonics[i].type, "%s", t);
	}
}

Test(rrtype_text, from_text_errors)
{
	static const char *const bad[] = {
		"",	  "FOO", "TYPE", "TYPE65536", "TYPE99999999999", "TYPE-1", "TYPE1x",
		"TYPE 1", "A ",	 " A",	 "AA",	      "TYPEA",		 "CLASS1", "IN",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(dns_rrtype_from_text(bad[i]), DP_ESYNTAX, "\"%s\"", bad[i]);
}

Test(rrtype_table, known_and_meta)
{
	for (size_t i = 0; i < N_MNEM; i++) {
		uint16_t t = mnemonics[i].type;
		bool meta = t == DNS_T_OPT || t == DNS_T_TSIG || t == DNS_T_IXFR ||
			    t == DNS_T_AXFR || t == DNS_T_ANY;
		cr_assert_eq(dns_rrtype_is_meta(t), meta, "type %u", t);
		if (!meta) {
			cr_assert(dns_rrtype_known(t), "type %u", t);
			cr_assert_eq(dns_rrtype_get(t)->type, t);
			cr_assert_str_eq(dns_rrtype_get(t)->name, mnemonics[i].name);
		}
	}
	cr_assert_not(dns_rrtype_known(65000));
	cr_assert_not(dns_rrtype_is_meta(65000));
	cr_assert_not_null(dns_rrtype_get(65000));
	/* RFC 2930 TKEY is a meta type too */
	cr_assert(dns_rrtype_is_meta(249));
}

/* Every type number: a known type gets its own entry, any other the generic one (direct index below 256). */
Test(rrtype_table, every_type_number)
{
	const struct dns_rrtype_desc *generic = dns_rrtype_get(65000);
	unsigned known = 0;
	for (uint32_t t = 0; t <= 65535; t++) {
		const struct dns_rrtype_desc *d = dns_rrtype_get((uint16_t)t);
		bool listed = false;
		for (size_t i = 0; i < N_MNEM; i++)
			listed |= mnemonics[i].type == t;
		if (d != generic) {
			known++;
			cr_assert_eq(d->type, t, "type %u", t);
			cr_assert_not_null(d->name, "type %u", t);
		} else {
			cr_assert_not(listed && dns_rrtype_known((uint16_t)t), "type %u", t);
		}
	}
	cr_assert_geq(known, N_MNEM - 5, "%u known types", known); /* the table less the meta types */
}

/* ------------------------------------------------------------- round trip */

struct rt_case {
	uint16_t type;
	const char *text; /* "MX 10 mail.example.com."; NULL: RFC 3597 form of wire */
	const char *wire; /* expected wire (required when text is NULL) */
	size_t wirelen;
	bool compressed; /* some rdata name must come out compressed */
	bool strict;	 /* no proper prefix of the rdata is valid */
};

#define W(lit) (lit), (sizeof(lit) - 1)
#define NOW NULL, 0

static const struct rt_case cases[] = {
	{ DNS_T_A, "A 192.0.2.1", W("\300\000\002\001"), false, true },
	{ DNS_T_NS, "NS ns1.example.com.", W("\003ns1" EX), true, true },
	{ DNS_T_MD, NULL, W("\004mail" EX), true, true },
	{ DNS_T_MF, NULL, W("\004mail" EX), true, true },
	{ DNS_T_CNAME, "CNAME target.example.com.", NOW, true, true },
	{ DNS_T_SOA, "SOA ns1.example.com. hostmaster.example.com. 2024010101 3600 900 604800 300",
	  W("\003ns1" EX "\012hostmaster" EX "\170\243\361\165\000\000\016\020\000\000\003\204"
	    "\000\011\072\200\000\000\001\054"),
	  true, true },
	{ DNS_T_MB, NULL, W("\004mail" EX), true, true },
	{ DNS_T_MG, NULL, W("\004mail" EX), true, true },
	{ DNS_T_MR, NULL, W("\004mail" EX), true, true },
	{ DNS_T_PTR, "PTR host.example.com.", NOW, true, true },
	{ DNS_T_HINFO, "HINFO \"PC\" \"Linux\"", W("\002PC\005Linux"), false, true },
	{ DNS_T_MINFO, "MINFO rmail.example.com. email.example.com.", NOW, true, true },
	{ DNS_T_MX, "MX 10 mail.example.com.", W("\000\012\004mail" EX), true, true },
	{ DNS_T_TXT, "TXT \"hello world\" \"second\"", W("\013hello world\006second"), false,
	  false },
	{ DNS_T_TXT, "TXT \"\"", W("\000"), false, false },
	{ DNS_T_RP, "RP mbox.example.com. txt.example.com.", NOW, false, true },
	{ DNS_T_AFSDB, "AFSDB 1 afs.example.com.", NOW, false, true },
	{ DNS_T_RT, "RT 10 relay.example.com.", NOW, false, true },
	{ DNS_T_SIG, NULL,
	  W("\000\001\010\003\000\000\016\020\145\222\000\200\145\150\362\000\060\071" EX
	    "\001\002\003"),
	  false, false },
	{ DNS_T_PX, NULL, W("\000\012\006map822" EX "\007mapx400" EX), false, true },
	{ DNS_T_AAAA, "AAAA 2001:db8::1",
	  W("\040\001\015\270\000\000\000\000\000\000\000\000\000\000\000\001"), false, true },
	{ DNS_T_NXT, NULL, W("\004next" EX "\140"), false, false },
	{ DNS_T_SRV, "SRV 0 5 5060 sip.example.com.", W("\000\000\000\005\023\304\003sip" EX),
	  false, true },
	{ DNS_T_NAPTR,
	  "NAPTR 100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" sip.example.com.", NOW,
	  false, true },
	{ DNS_T_NAPTR, "NAPTR 100 10 \"\" \"\" \"\" .", W("\000\144\000\012\000\000\000\000"),
	  false, true },
	{ DNS_T_KX, "KX 10 kx.example.com.", NOW, false, true },
	{ DNS_T_A6, NULL, W("\000\040\001\015\270\000\000\000\000\000\000\000\000\000\000\000\001"),
	  false, false },
	{ DNS_T_A6, NULL, W("\100\000\001\000\002\000\003\000\004\006prefix" EX), false, false },
	{ DNS_T_DNAME, "DNAME target.example.com.", NOW, false, true },
	{ DNS_T_DS, "DS 12345 8 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE5E3A6E0B1E2E5F3F4A7B8C9D",
	  NOW, false, false },
	{ DNS_T_SSHFP, "SSHFP 1 1 0123456789abcdef0123456789abcdef01234567", NOW, false, false },
	{ DNS_T_RRSIG,
	  "RRSIG A 8 3 3600 20240101000000 20231201000000 12345 example.com. AQIDBAUGBwgJ", NOW,
	  false, false },
	{ DNS_T_NSEC, "NSEC next.example.com. A NS SOA RRSIG NSEC DNSKEY", NOW, false, false },
	{ DNS_T_DNSKEY,
	  "DNSKEY 257 3 8 AwEAAagAIKlVZrpC6Ia7gEzahOR+9W29euxhJhVVLOyQbSEW0O8gcCjF"
	  "FVQUTf6v58fLjwBd0YI0EzrAcQqBGCzh/RStIoO8g0NfnfL2MTJRkxoXbfDaUeVPQuYEhg37"
	  "NZWAJQ9VnMVDxP/VHL496M/QZxkjf5/Efucp2gaDX6RS6CXpoY68LsvPVjR0ZSwzz1apAzvN"
	  "9dlzEheX7ICJBBtuA6G3LQpzW5hOA2hzCTMjJPJ8LbqF6dsV6DoBQzgul0sGIcGOYl7OyQdX"
	  "fZ57relSQageu+ipAdTTJ25AsRTAoub8ONGcLmqrAmRLKBP1dfwhYB4N7knNnulqQxA+Uk1ihz0=",
	  NOW, false, false },
	{ DNS_T_NSEC3, "NSEC3 1 0 10 AABBCCDD 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S A RRSIG", NOW, false,
	  false },
	{ DNS_T_NSEC3, "NSEC3 1 1 0 - 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S", NOW, false, false },
	{ DNS_T_NSEC3PARAM, "NSEC3PARAM 1 0 10 AABBCCDD", W("\001\000\000\012\004\252\273\314\335"),
	  false, true },
	{ DNS_T_NSEC3PARAM, "NSEC3PARAM 1 0 0 -", W("\001\000\000\000\000"), false, true },
	{ DNS_T_TLSA, "TLSA 3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
	  NOW, false, false },
	{ DNS_T_SVCB, "SVCB 1 svc.example.com. alpn=h2,h3 port=8443", NOW, false, false },
	{ DNS_T_SVCB, "SVCB 0 svc.example.com.", W("\000\000\003svc" EX), false, false },
	{ DNS_T_HTTPS, "HTTPS 1 svc.example.com. alpn=h2 ipv4hint=192.0.2.1", NOW, false, false },
	{ DNS_T_HTTPS, "HTTPS 1 . alpn=h2", NOW, false, false },
	{ DNS_T_CAA, "CAA 0 issue \"letsencrypt.org\"", W("\000\005issueletsencrypt.org"), false,
	  false },
	{ DNS_T_CAA, "CAA 128 tbs \"\"", W("\200\003tbs"), false, false },
	{ 65000, "TYPE65000 \\# 4 01020304", W("\001\002\003\004"), false, false },
	{ 65000, "TYPE65000 \\# 0", W(""), false, false },
	{ 65000, NULL, W("\300\014\300\014"), false, false },
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

struct zrec {
	uint8_t owner[DNS_NAME_MAXLEN];
	size_t owner_len;
	uint16_t type;
	uint32_t ttl;
	uint8_t rdata[65535];
	size_t rdlen;
};

/* Parses one record of zone text with libzscanner (origin example.com.). */
static bool zparse(const char *text, struct zrec *out, char *err, size_t errcap)
{
	zs_scanner_t *s = calloc(1, sizeof(*s));
	cr_assert_not_null(s);
	bool ok = false;
	if (zs_init(s, "example.com.", KNOT_CLASS_IN, 3600) != 0 ||
	    zs_set_input_string(s, text, strlen(text)) != 0 || zs_parse_record(s) != 0 ||
	    s->state != ZS_STATE_DATA) {
		snprintf(err, errcap, "zscanner: %s", zs_strerror(s->error.code));
	} else {
		memcpy(out->owner, s->r_owner, s->r_owner_length);
		out->owner_len = s->r_owner_length;
		out->type = s->r_type;
		out->ttl = s->r_ttl;
		memcpy(out->rdata, s->r_data, s->r_data_length);
		out->rdlen = s->r_data_length;
		ok = true;
	}
	zs_deinit(s);
	free(s);
	return ok;
}

/* Dumps one RR with libknot (RFC 3597 generic form when generic). */
static char *kdump(const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rdata,
		   size_t rdlen, bool generic)
{
	knot_rrset_t *rrs = knot_rrset_new(owner, type, KNOT_CLASS_IN, ttl, NULL);
	cr_assert_not_null(rrs);
	cr_assert_eq(knot_rrset_add_rdata(rrs, rdata, (uint16_t)rdlen, NULL), 0);
	knot_dump_style_t style = KNOT_DUMP_STYLE_DEFAULT;
	style.generic = generic;
	size_t sz = 4096;
	char *buf = malloc(sz);
	int rc = knot_rrset_txt_dump(rrs, &buf, &sz, &style);
	cr_assert_gt(rc, 0, "knot_rrset_txt_dump: %d", rc);
	knot_rrset_free(rrs, NULL);
	return buf;
}

static char *case_text(const struct rt_case *c)
{
	static char t[70000];
	if (c->text) {
		snprintf(t, sizeof(t), "www.example.com. 3600 IN %s\n", c->text);
	} else {
		int o = snprintf(t, sizeof(t), "www.example.com. 3600 IN TYPE%u \\# %zu ", c->type,
				 c->wirelen);
		for (size_t i = 0; i < c->wirelen; i++)
			o += snprintf(t + o, sizeof(t) - (size_t)o, "%02x", (uint8_t)c->wire[i]);
		snprintf(t + o, sizeof(t) - (size_t)o, "\n");
	}
	return t;
}

static uint8_t msg[70000];
static uint8_t rdbuf[DNS_RDATA_MAXLEN];

/* Writes header + question + the RR (compressed against c when compr). */
static size_t build(const struct zrec *z, bool compr)
{
	struct dns_wr w;
	struct dns_compr c;
	dns_compr_init(&c);
	dns_wr_init(&w, msg, sizeof(msg));
	dns_wr_bytes(&w, HDRQ, RR_AT);
	dns_compr_add(&c, &w, 12);
	struct dns_rr rr = { 0 };
	memcpy(rr.owner, z->owner, z->owner_len);
	rr.owner_len = (uint16_t)z->owner_len;
	rr.type = z->type;
	rr.rclass = DNS_C_IN;
	rr.ttl = z->ttl;
	rr.rdata = z->rdata;
	rr.rdlen = (uint16_t)z->rdlen;
	dns_rr_write(&w, &rr, compr ? &c : NULL);
	cr_assert_eq(w.err, 0, "dns_rr_write: %d", w.err);
	return w.pos;
}

static void run_case(size_t i)
{
	const struct rt_case *c = &cases[i];
	struct zrec *z = calloc(1, sizeof(*z)), *z2 = calloc(1, sizeof(*z2));
	char err[128];
	char *text = case_text(c);
	cr_assert(zparse(text, z, err, sizeof(err)), "case %zu \"%s\": %s", i, text, err);
	cr_assert_eq(z->type, c->type, "case %zu", i);
	if (c->wire)
		assert_bytes(z->rdata, z->rdlen, c->wire, c->wirelen);

	/* 1. the layout accepts what zscanner produced */
	int rc = dns_rdata_check(c->type, z->rdata, z->rdlen);
	cr_assert_eq(rc, 0, "case %zu (%s): dns_rdata_check %d", i, text, rc);

	/* 2. written with compression after a question for example.com */
	size_t len = build(z, true);
	assert_lit(msg + RR_AT, 6, "\003www\300\014");
	size_t wire_rdlen = dns_get_u16(msg + RR_AT + 6 + 8);
	cr_assert_eq(len, RR_AT + 6 + 10 + wire_rdlen, "case %zu", i);
	if (c->compressed)
		cr_assert_lt(wire_rdlen, z->rdlen, "case %zu (%s): rdata names not compressed", i,
			     text);
	else
		cr_assert_eq(wire_rdlen, z->rdlen,
			     "case %zu (%s): rdata must not be compressed (wire %zu vs %zu)", i,
			     text, wire_rdlen, z->rdlen);

	/* 3. parsed back from a guarded copy */
	uint8_t *g = guard_new(msg, len);
	struct dns_rd r;
	dns_rd_init(&r, g, len);
	struct dns_hdr h;
	struct dns_question q;
	struct dns_rr rr;
	cr_assert_eq(dns_hdr_parse(&r, &h), 0);
	cr_assert_eq(dns_question_parse(&r, &q), 0);
	rc = dns_rr_parse(&r, &rr, rdbuf, sizeof(rdbuf));
	cr_assert_eq(rc, 0, "case %zu (%s): dns_rr_parse %d", i, text, rc);
	cr_assert_eq(r.pos, len);
	assert_bytes(rr.owner, rr.owner_len, z->owner, z->owner_len);
	cr_assert_eq(rr.type, c->type);
	cr_assert_eq(rr.rclass, DNS_C_IN);
	cr_assert_eq(rr.ttl, 3600);
	assert_bytes(rr.rdata, rr.rdlen, z->rdata, z->rdlen);

	/* 3b. dns_rdata_parse on its own, at the rdata */
	uint8_t out[DNS_RDATA_MAXLEN];
	dns_rd_init(&r, g, len);
	r.pos = RR_AT + 16;
	rc = dns_rdata_parse(&r, c->type, wire_rdlen, out, sizeof(out));
	cr_assert_eq(rc, (int)z->rdlen, "case %zu: dns_rdata_parse %d", i, rc);
	assert_bytes(out, (size_t)rc, z->rdata, z->rdlen);
	cr_assert_eq(r.pos, len);
	guard_free(g, len);

	/* 4. without a table the rdata goes out verbatim */
	len = build(z, false);
	cr_assert_eq(dns_get_u16(msg + RR_AT + 17 + 8), z->rdlen);
	assert_bytes(msg + RR_AT + 17 + 10, len - (RR_AT + 27), z->rdata, z->rdlen);

	/* 5. libknot text of the parsed RR, parsed again by zscanner */
	bool generic = c->text == NULL;
	char *t2 = kdump(rr.owner, rr.type, rr.ttl, rr.rdata, rr.rdlen, generic);
	cr_assert(zparse(t2, z2, err, sizeof(err)), "case %zu: re-parse \"%s\": %s", i, t2, err);
	cr_assert_eq(z2->type, c->type);
	assert_bytes(z2->owner, z2->owner_len, z->owner, z->owner_len);
	assert_bytes(z2->rdata, z2->rdlen, z->rdata, z->rdlen);
	free(t2);

	/* 6. truncated rdata: never out of bounds; invalid for strict layouts */
	for (size_t l = 0; l < z->rdlen; l++) {
		uint8_t *p = guard_new(z->rdata, l);
		rc = dns_rdata_check(c->type, p, l);
		if (c->strict)
			cr_assert_lt(rc, 0, "case %zu (%s): prefix of %zu accepted", i, text, l);
		guard_free(p, l);
	}
	/* 7. one trailing octet too many */
	if (c->strict) {
		z->rdata[z->rdlen] = 0;
		rc = dns_rdata_check(c->type, z->rdata, z->rdlen + 1);
		cr_assert_eq(rc, DP_ERDATA, "case %zu (%s): trailing octet: %d", i, text, rc);
	}
	free(z);
	free(z2);
}

Test(rdata_roundtrip, every_type)
{
	for (size_t i = 0; i < N_CASES; i++)
		run_case(i);
}

/* One test per type as well, so a report names each failing type. */
#define RT(name, idx)               \
	Test(rdata_roundtrip, name) \
	{                           \
		run_case(idx);      \
	}

RT(a, 0)
RT(ns, 1)
RT(md, 2)
RT(mf, 3)
RT(cname, 4)
RT(soa, 5)
RT(mb, 6)
RT(mg, 7)
RT(mr, 8)
RT(ptr, 9)
RT(hinfo, 10)
RT(minfo, 11)
RT(mx, 12)
RT(txt, 13)
RT(txt_empty, 14)
RT(rp, 15)
RT(afsdb, 16)
RT(rt, 17)
RT(sig, 18)
RT(px, 19)
RT(aaaa, 20)
RT(nxt, 21)
RT(srv, 22)
RT(naptr, 23)
RT(naptr_root, 24)
RT(kx, 25)
RT(a6_full, 26)
RT(a6_prefix, 27)
RT(dname, 28)
RT(ds, 29)
RT(sshfp, 30)
RT(rrsig, 31)
RT(nsec, 32)
RT(dnskey, 33)
RT(nsec3, 34)
RT(nsec3_nosalt, 35)
RT(nsec3param, 36)
RT(nsec3param_nosalt, 37)
RT(tlsa, 38)
RT(svcb, 39)
RT(svcb_alias, 40)
RT(https, 41)
RT(https_root, 42)
RT(caa, 43)
RT(caa_empty, 44)
RT(unknown, 45)
RT(unknown_empty, 46)
RT(unknown_pointer_lookalike, 47)

Test(rdata_roundtrip, case_table_complete)
{
	cr_assert_eq(N_CASES, 48);
	/* every known data type of the table appears */
	for (size_t i = 0; i < N_MNEM; i++) {
		if (dns_rrtype_is_meta(mnemonics[i].type))
			continue;
		bool seen = false;
		for (size_t j = 0; j < N_CASES; j++)
			seen |= cases[j].type == mnemonics[i].type;
		cr_assert(seen, "%s has no round-trip case", mnemonics[i].name);
	}
}

/* ------------------------------------------------- exact compression bytes */

static size_t wr_rdata(uint16_t type, const void *rdata, size_t len, bool compr, uint8_t *out)
{
	struct dns_wr w;
	struct dns_compr c;
	dns_compr_init(&c);
	dns_wr_init(&w, msg, sizeof(msg));
	dns_wr_bytes(&w, HDRQ, RR_AT);
	dns_compr_add(&c, &w, 12);
	dns_rdata_write(&w, type, rdata, len, compr ? &c : NULL);
	cr_assert_eq(w.err, 0);
	memcpy(out, msg + RR_AT, w.pos - RR_AT);
	return w.pos - RR_AT;
}

Test(rdata_write, compressible_targets_exact)
{
	uint8_t o[512];
	size_t n = wr_rdata(DNS_T_MX, "\000\012\004mail" EX, 20, true, o);
	assert_lit(o, n, "\000\012\004mail\300\014");
	n = wr_rdata(DNS_T_NS, "\003ns1" EX, 17, true, o);
	assert_lit(o, n, "\003ns1\300\014");
	n = wr_rdata(DNS_T_CNAME, EX, 13, true, o);
	assert_lit(o, n, "\300\014");
	n = wr_rdata(DNS_T_PTR, "\001x" EX, 15, true, o);
	assert_lit(o, n, "\001x\300\014");
	/* SOA: mname at 29 compresses to the question; rname to mname's suffix */
	n = wr_rdata(DNS_T_SOA,
		     "\003ns1" EX "\002hm" EX "\000\000\000\001\000\000\000\002\000\000\000\003"
		     "\000\000\000\004\000\000\000\005",
		     17 + 16 + 20, true, o);
	assert_lit(o, n,
		   "\003ns1\300\014\002hm\300\014\000\000\000\001\000\000\000\002\000\000\000\003"
		   "\000\000\000\004\000\000\000\005");
	/* MINFO: the second name points at the first */
	n = wr_rdata(DNS_T_MINFO, "\001a" EX "\001a" EX, 30, true, o);
	assert_lit(o, n, "\001a\300\014\300\035");
}

Test(rdata_write, never_compressed_targets_exact)
{
	uint8_t o[512];
	static const struct {
		uint16_t type;
		const char *rd;
		size_t len;
	} t[] = {
		{ DNS_T_SRV, "\000\000\000\005\023\304" EX, 19 },
		{ DNS_T_NAPTR, "\000\001\000\002\000\000\000" EX, 20 },
		{ DNS_T_DNAME, EX, 13 },
		{ DNS_T_RP, EX EX, 26 },
		{ DNS_T_AFSDB, "\000\001" EX, 15 },
		{ DNS_T_RT, "\000\001" EX, 15 },
		{ DNS_T_KX, "\000\001" EX, 15 },
		{ DNS_T_PX, "\000\001" EX EX, 28 },
		{ DNS_T_NSEC, EX "\000\001\100", 16 },
		{ DNS_T_RRSIG,
		  "\000\001\010\002\000\000\016\020\000\000\000\002\000\000\000\001\060\071" EX
		  "\001",
		  32 },
		{ DNS_T_SIG,
		  "\000\001\010\002\000\000\016\020\000\000\000\002\000\000\000\001\060\071" EX
		  "\001",
		  32 },
		{ DNS_T_NXT, EX "\140", 14 },
		{ DNS_T_SVCB, "\000\001" EX, 15 },
		{ DNS_T_HTTPS, "\000\001" EX, 15 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cr_assert_eq(dns_rdata_check(t[i].type, (const uint8_t *)t[i].rd, t[i].len), 0,
			     "type %u", t[i].type);
		size_t n = wr_rdata(t[i].type, t[i].rd, t[i].len, true, o);
		assert_bytes(o, n, t[i].rd, t[i].len);
	}
}

Test(rdata_write, null_table_and_espace)
{
	uint8_t o[512];
	size_t n = wr_rdata(DNS_T_MX, "\000\012\004mail" EX, 20, false, o);
	assert_lit(o, n, "\000\012\004mail" EX);
	for (size_t cap = 0; cap < 20; cap++) {
		uint8_t *g = guard_new(NULL, cap);
		struct dns_wr w;
		dns_wr_init(&w, g, cap);
		dns_rdata_write(&w, DNS_T_MX, (const uint8_t *)"\000\012\004mail" EX, 20, NULL);
		cr_assert_eq(w.err, DP_ESPACE, "cap %zu", cap);
		guard_free(g, cap);
	}
}

/* ------------------------------------------------------ receiving rdata */

/* Parses rdata that follows HDRQ in msg (compression pointers may refer to it). */
static int parse_rd(uint16_t type, const void *rd, size_t rdlen, uint8_t *out, size_t *outlen)
{
	memcpy(msg, HDRQ, RR_AT);
	memcpy(msg + RR_AT, rd, rdlen);
	uint8_t *g = guard_new(msg, RR_AT + rdlen);
	struct dns_rd r;
	dns_rd_init(&r, g, RR_AT + rdlen);
	r.pos = RR_AT;
	int rc = dns_rdata_parse(&r, type, rdlen, out, DNS_RDATA_MAXLEN);
	if (rc >= 0) {
		cr_assert_eq(r.pos, RR_AT + rdlen, "type %u: pos after rdata", type);
		*outlen = (size_t)rc;
	}
	guard_free(g, RR_AT + rdlen);
	return rc;
}

Test(rdata_parse, decompresses_rfc3597_section4_types)
{
	static const struct {
		uint16_t type;
		const char *wire;
		size_t wlen;
		const char *exp;
		size_t elen;
	} t[] = {
		{ DNS_T_SRV, "\000\000\000\005\023\304\003sip\300\014", 12,
		  "\000\000\000\005\023\304\003sip" EX, 23 },
		{ DNS_T_NAPTR, "\000\001\000\002\000\000\000\003sip\300\014", 13,
		  "\000\001\000\002\000\000\000\003sip" EX, 24 },
		{ DNS_T_RP, "\300\014\001t\300\014", 6, EX "\001t" EX, 28 },
		{ DNS_T_AFSDB, "\000\001\300\014", 4, "\000\001" EX, 15 },
		{ DNS_T_RT, "\000\001\001r\300\014", 6, "\000\001\001r" EX, 17 },
		{ DNS_T_PX, "\000\001\300\014\001x\300\014", 8, "\000\001" EX "\001x" EX, 30 },
		{ DNS_T_SIG,
		  "\000\001\010\002\000\000\016\020\000\000\000\002\000\000\000\001\060\071\300\014"
		  "\001",
		  21,
		  "\000\001\010\002\000\000\016\020\000\000\000\002\000\000\000\001\060\071" EX
		  "\001",
		  32 },
		{ DNS_T_NXT, "\300\014\140", 3, EX "\140", 14 },
		/* and the RFC 1035 ones */
		{ DNS_T_NS, "\300\014", 2, EX, 13 },
		{ DNS_T_MX, "\000\012\300\014", 4, "\000\012" EX, 15 },
		{ DNS_T_SOA,
		  "\300\014\001h\300\014\000\000\000\001\000\000\000\002\000\000\000\003"
		  "\000\000\000\004\000\000\000\005",
		  26,
		  EX "\001h" EX "\000\000\000\001\000\000\000\002\000\000\000\003\000\000\000\004"
		     "\000\000\000\005",
		  48 },
		{ DNS_T_MINFO, "\300\014\300\014", 4, EX EX, 26 },
		/* RFC 6672 §2.5: sent uncompressed, but decompressed if received so */
		{ DNS_T_DNAME, "\001x\300\014", 4, "\001x" EX, 15 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t out[DNS_RDATA_MAXLEN];
		size_t ol = 0;
		int rc = parse_rd(t[i].type, t[i].wire, t[i].wlen, out, &ol);
		cr_assert_eq(rc, (int)t[i].elen, "type %u: rc %d", t[i].type, rc);
		assert_bytes(out, ol, t[i].exp, t[i].elen);
	}
}

Test(rdata_parse, rejects_compression_where_forbidden)
{
	static const struct {
		uint16_t type;
		const char *wire;
		size_t wlen;
	} t[] = {
		{ DNS_T_RRSIG,
		  "\000\001\010\002\000\000\016\020\000\000\000\002\000\000\000\001\060\071\300\014"
		  "\001",
		  21 },
		{ DNS_T_NSEC, "\300\014\000\001\100", 5 },
		{ DNS_T_SVCB, "\000\001\300\014", 4 },
		{ DNS_T_HTTPS, "\000\001\300\014", 4 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t out[DNS_RDATA_MAXLEN];
		size_t ol;
		int rc = parse_rd(t[i].type, t[i].wire, t[i].wlen, out, &ol);
		cr_assert(rc == DP_EPTR || rc == DP_ERDATA, "type %u: rc %d", t[i].type, rc);
	}
}

Test(rdata_parse, small_output_buffer)
{
	memcpy(msg, HDRQ, RR_AT);
	memcpy(msg + RR_AT, "\000\012\300\014", 4);
	for (size_t cap = 0; cap < 15; cap++) {
		uint8_t *o = guard_new(NULL, cap);
		struct dns_rd r;
		dns_rd_init(&r, msg, RR_AT + 4);
		r.pos = RR_AT;
		int rc = dns_rdata_parse(&r, DNS_T_MX, 4, o, cap);
		cr_assert_lt(rc, 0, "cap %zu", cap);
		guard_free(o, cap);
	}
}

Test(rdata_parse, unknown_type_is_opaque)
{
	uint8_t out[DNS_RDATA_MAXLEN];
	size_t ol = 0;
	cr_assert_eq(parse_rd(65000, "\300\014\377", 3, out, &ol), 3);
	assert_lit(out, ol, "\300\014\377");
}

/* ---------------------------------------------------------- malformed */

static int chk(uint16_t type, const void *rd, size_t len)
{
	uint8_t *g = guard_new(rd, len);
	int rc = dns_rdata_check(type, g, len);
	guard_free(g, len);
	return rc;
}

Test(rdata_check, fixed_size_types)
{
	cr_assert_eq(chk(DNS_T_A, "\300\000\002", 3), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_A, "\300\000\002\001\000", 5), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_A, "", 0), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_A, "\300\000\002\001", 4), 0);
	uint8_t v6[17] = { 0x20, 0x01 };
	cr_assert_eq(chk(DNS_T_AAAA, v6, 15), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_AAAA, v6, 17), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_AAAA, v6, 16), 0);
}

Test(rdata_check, soa)
{
	const char soa[] = EX EX "\000\000\000\001\000\000\000\002\000\000\000\003\000\000\000\004"
				 "\000\000\000\005";
	cr_assert_eq(chk(DNS_T_SOA, soa, sizeof(soa) - 1), 0);
	cr_assert_eq(chk(DNS_T_SOA, soa, sizeof(soa) - 1 - 4), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_SOA, soa, sizeof(soa) - 1 - 1), DP_ERDATA);
	char longer[sizeof(soa)];
	memcpy(longer, soa, sizeof(soa));
	cr_assert_eq(chk(DNS_T_SOA, longer, sizeof(soa)), DP_ERDATA);
	/* one name (the second one would be the root) and 20 octets */
	cr_assert_eq(chk(DNS_T_SOA,
			 EX "\000\000\000\001\000\000\000\002\000\000\000\003\000\000\000"
			    "\004\000\000\000\005",
			 13 + 20),
		     DP_ERDATA);
}

Test(rdata_check, txt)
{
	cr_assert_eq(chk(DNS_T_TXT, "\005abc", 4), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_TXT, "\003abc\002a", 6), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_TXT, "", 0), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_TXT, "\000", 1), 0);
	cr_assert_eq(chk(DNS_T_TXT, "\003abc\000", 5), 0);
	uint8_t big[256 + 256];
	big[0] = 255;
	memset(big + 1, 'x', 255);
	big[256] = 255;
	memset(big + 257, 'y', 255);
	cr_assert_eq(chk(DNS_T_TXT, big, 512), 0);
	cr_assert_eq(chk(DNS_T_TXT, big, 511), DP_ERDATA);
}

Test(rdata_check, mx)
{
	cr_assert_eq(chk(DNS_T_MX, "\000\012\004mail\000\377", 9), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_MX, "\000\012\004mail\000", 8), 0);
	cr_assert_eq(chk(DNS_T_MX, "\000", 1), DP_ERDATA);
	cr_assert_lt(chk(DNS_T_MX, "\000\012", 2), 0);
	cr_assert_lt(chk(DNS_T_MX, "\000\012\004mai", 6), 0);
	cr_assert_eq(chk(DNS_T_MX, "\000\012\300\014", 4), DP_EPTR);
}

Test(rdata_check, name_errors_in_rdata)
{
	uint8_t b[300];
	memset(b, 'a', sizeof(b));
	b[0] = 0x40;
	b[65] = 0;
	cr_assert_eq(chk(DNS_T_NS, b, 66), DP_ELABEL);
	b[0] = 0x80;
	cr_assert_eq(chk(DNS_T_CNAME, b, 66), DP_ELABEL);
	size_t o = 0;
	for (int i = 0; i < 4; i++) {
		b[o] = i < 3 ? 63 : 62;
		o += b[o] + 1u;
	}
	b[o++] = 0;
	cr_assert_eq(o, 256);
	cr_assert_eq(chk(DNS_T_NS, b, o), DP_ENAMELEN);
	cr_assert_eq(chk(DNS_T_NS, "\300\014", 2), DP_EPTR);
	cr_assert_eq(chk(DNS_T_DNAME, "\001a\300\000", 4), DP_EPTR);
}

Test(rdata_check, other_types)
{
	cr_assert_eq(chk(DNS_T_SRV, "\000\000\000\005\023", 5), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_SRV, "\000\000\000\005\023\304\000", 7), 0);
	cr_assert_eq(chk(DNS_T_HINFO, "\002PC", 3), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_HINFO, "\002PC\005Linux\000", 10), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_CAA, "\000", 1), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_CAA, "\000\005iss", 5), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_DS, "\060\071\010", 3), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_DNSKEY, "\001\001\003", 3), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_SSHFP, "\001", 1), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_TLSA, "\003\001", 2), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_RRSIG,
			 "\000\001\010\002\000\000\016\020\000\000\000\002\000\000\000"
			 "\001\060",
			 17),
		     DP_ERDATA);
	cr_assert_eq(chk(DNS_T_SVCB, "\000", 1), DP_ERDATA);
	cr_assert_lt(chk(DNS_T_NAPTR, "\000\001\000\002\000\000\000", 7), 0);
	/* NSEC3: salt length runs past the end, then the hash length does */
	cr_assert_eq(chk(DNS_T_NSEC3, "\001\000\000\012\010\252\273", 7), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_NSEC3, "\001\000\000\012\000\024\001\002", 8), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_NSEC3, "\001\000\000\012\000\002\001\002", 8), 0);
	/* NSEC3PARAM: salt past the end, trailing garbage */
	cr_assert_eq(chk(DNS_T_NSEC3PARAM, "\001\000\000\012\005\252", 6), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_NSEC3PARAM, "\001\000\000\012\001\252\377", 7), DP_ERDATA);
	cr_assert_eq(chk(DNS_T_NSEC3PARAM, "\001\000\000\012\001\252", 6), 0);
}

Test(rdata_check, unknown_type_anything)
{
	cr_assert_eq(chk(65000, "", 0), 0);
	cr_assert_eq(chk(65000, "\300\000\377", 3), 0);
}

Test(rdata_check, random_rdata_never_out_of_bounds)
{
	static const uint16_t types[] = {
		DNS_T_A,     DNS_T_NS,	       DNS_T_SOA,   DNS_T_HINFO, DNS_T_MINFO, DNS_T_MX,
		DNS_T_TXT,   DNS_T_RP,	       DNS_T_SIG,   DNS_T_PX,	 DNS_T_NXT,   DNS_T_SRV,
		DNS_T_NAPTR, DNS_T_A6,	       DNS_T_DNAME, DNS_T_DS,	 DNS_T_RRSIG, DNS_T_NSEC,
		DNS_T_NSEC3, DNS_T_NSEC3PARAM, DNS_T_SVCB,  DNS_T_CAA,	 DNS_T_OPT,   DNS_T_TSIG,
	};
	uint8_t b[48];
	uint8_t out[DNS_RDATA_MAXLEN];
	srand(4242);
	for (int it = 0; it < 20000; it++) {
		uint16_t type = types[(size_t)rand() % (sizeof(types) / sizeof(types[0]))];
		size_t len = (size_t)rand() % sizeof(b);
		for (size_t i = 0; i < len; i++)
			b[i] = (uint8_t)(rand() % 3 ? rand() % 8 : rand());
		uint8_t *g = guard_new(b, len);
		int crc = dns_rdata_check(type, g, len);
		cr_assert(crc == 0 || crc < 0);
		guard_free(g, len);
		/* and as the tail of a message */
		memcpy(msg, HDRQ, RR_AT);
		memcpy(msg + RR_AT, b, len);
		g = guard_new(msg, RR_AT + len);
		struct dns_rd r;
		dns_rd_init(&r, g, RR_AT + len);
		r.pos = RR_AT;
		int rc = dns_rdata_parse(&r, type, len, out, sizeof(out));
		if (rc >= 0 && !dns_rrtype_is_meta(type))
			cr_assert_eq(dns_rdata_check(type, out, (size_t)rc), 0,
				     "type %u: parse output fails check", type);
		guard_free(g, RR_AT + len);
	}
}

/* ------------------------------------------------------- canonical form */

#define LOWER_IS(type, in, exp)                              \
	do {                                                 \
		uint8_t b_[sizeof(in)];                      \
		memcpy(b_, (in), sizeof(in));                \
		dns_rdata_lower((type), b_, sizeof(in) - 1); \
		assert_lit(b_, sizeof(in) - 1, exp);         \
	} while (0)

Test(rdata_lower, lowercases_name_fields_only)
{
	LOWER_IS(DNS_T_NS, "\002NS\007EXAMPLE\003COM\000", "\002ns\007example\003com\000");
	LOWER_IS(DNS_T_CNAME, "\001X\000", "\001x\000");
	LOWER_IS(DNS_T_PTR, "\001X\000", "\001x\000");
	LOWER_IS(DNS_T_DNAME, "\001X\000", "\001x\000");
	/* preference octets 'A' 'B' stay */
	LOWER_IS(DNS_T_MX, "AB\004MAIL\000", "AB\004mail\000");
	LOWER_IS(DNS_T_SOA, "\001A\000\001B\000ABCDEFGHIJKLMNOPQRST",
		 "\001a\000\001b\000ABCDEFGHIJKLMNOPQRST");
	LOWER_IS(DNS_T_SRV, "ABCDEF\003SIP\000", "ABCDEF\003sip\000");
	LOWER_IS(DNS_T_RP, "\001A\000\001B\000", "\001a\000\001b\000");
	LOWER_IS(DNS_T_AFSDB, "AB\001X\000", "AB\001x\000");
	LOWER_IS(DNS_T_RT, "AB\001X\000", "AB\001x\000");
	LOWER_IS(DNS_T_KX, "AB\001X\000", "AB\001x\000");
	LOWER_IS(DNS_T_PX, "AB\001X\000\001Y\000", "AB\001x\000\001y\000");
	LOWER_IS(DNS_T_MINFO, "\001A\000\001B\000", "\001a\000\001b\000");
	/* NAPTR: the character-strings keep their case, the replacement is lowered */
	LOWER_IS(DNS_T_NAPTR, "ABCD\001U\007E2U+SIP\001R\003SIP\000",
		 "ABCD\001U\007E2U+SIP\001R\003sip\000");
	/* RRSIG/SIG: the signer is lowered, fixed fields and signature are not */
	LOWER_IS(DNS_T_RRSIG, "\000\001\010\002ABCDEFGHIJKL\060\071\007EXAMPLE\000SIGN",
		 "\000\001\010\002ABCDEFGHIJKL\060\071\007example\000SIGN");
	LOWER_IS(DNS_T_SIG, "\000\001\010\002ABCDEFGHIJKL\060\071\007EXAMPLE\000SIGN",
		 "\000\001\010\002ABCDEFGHIJKL\060\071\007example\000SIGN");
	LOWER_IS(DNS_T_NXT, "\004NEXT\000\140", "\004next\000\140");
}

Test(rdata_lower, leaves_nsec_next_name)
{
	/* RFC 6840 §5.1: NSEC is not in the list any more */
	LOWER_IS(DNS_T_NSEC, "\004NEXT\007EXAMPLE\000\000\001\100",
		 "\004NEXT\007EXAMPLE\000\000\001\100");
}

Test(rdata_lower, leaves_strings_and_opaque)
{
	LOWER_IS(DNS_T_TXT, "\005HELLO", "\005HELLO");
	LOWER_IS(DNS_T_HINFO, "\002PC\005LINUX", "\002PC\005LINUX");
	LOWER_IS(DNS_T_CAA, "\000\005ISSUEABC", "\000\005ISSUEABC");
	LOWER_IS(DNS_T_A, "ABCD", "ABCD");
	LOWER_IS(65000, "\001A\000", "\001A\000");
	/* SVCB/HTTPS are not in RFC 4034 §6.2: TargetName keeps its case */
	LOWER_IS(DNS_T_SVCB, "\000\001\003SVC\000", "\000\001\003SVC\000");
	LOWER_IS(DNS_T_HTTPS, "\000\001\003SVC\000", "\000\001\003SVC\000");
}

Test(rdata_cmp, canonical_order)
{
	cr_assert_eq(dns_rdata_cmp((const uint8_t *)"\001\002", 2, (const uint8_t *)"\001\002", 2),
		     0);
	cr_assert_lt(dns_rdata_cmp((const uint8_t *)"\001", 1, (const uint8_t *)"\002", 1), 0);
	cr_assert_gt(dns_rdata_cmp((const uint8_t *)"\002", 1, (const uint8_t *)"\001", 1), 0);
	/* shorter first when it is a prefix */
	cr_assert_lt(dns_rdata_cmp((const uint8_t *)"\001", 1, (const uint8_t *)"\001\000", 2), 0);
	cr_assert_gt(dns_rdata_cmp((const uint8_t *)"\001\000", 2, (const uint8_t *)"\001", 1), 0);
	cr_assert_lt(dns_rdata_cmp((const uint8_t *)"", 0, (const uint8_t *)"\000", 1), 0);
	cr_assert_eq(dns_rdata_cmp((const uint8_t *)"", 0, (const uint8_t *)"", 0), 0);
	/* unsigned octets; first difference decides, not the length */
	cr_assert_gt(dns_rdata_cmp((const uint8_t *)"\200", 1, (const uint8_t *)"\177", 1), 0);
	cr_assert_gt(dns_rdata_cmp((const uint8_t *)"\002", 1, (const uint8_t *)"\001\377\377", 3),
		     0);
}

/* ---------------------------------------------------------- name fields */

struct names_seen {
	int n;
	unsigned flags[4];
	const uint8_t *at[4];
};

static void collect(void *ctx, unsigned flags, const uint8_t *name)
{
	struct names_seen *s = ctx;
	if (s->n < 4) {
		s->flags[s->n] = flags;
		s->at[s->n] = name;
	}
	s->n++;
}

static struct names_seen names_of(uint16_t type, const void *rd, size_t len)
{
	struct names_seen s = { 0 };
	dns_rdata_names(type, rd, len, collect, &s);
	return s;
}

#define F_C DNS_RDF_COMPRESS
#define F_D DNS_RDF_DECOMPRESS
#define F_L DNS_RDF_LOWER
#define F_A DNS_RDF_ADDITIONAL
#define F_CDL (F_C | F_D | F_L)

static void expect_names(uint16_t type, const void *rd, size_t len, int n, const size_t *offs,
			 unsigned must, unsigned must_not)
{
	struct names_seen s = names_of(type, rd, len);
	cr_assert_eq(s.n, n, "type %u: %d names", type, s.n);
	for (int i = 0; i < n && i < 4; i++) {
		cr_assert_eq(s.at[i], (const uint8_t *)rd + offs[i], "type %u name %d", type, i);
		cr_assert_eq(s.flags[i] & must, must, "type %u name %d flags %#x", type, i,
			     s.flags[i]);
		cr_assert_eq(s.flags[i] & must_not, 0, "type %u name %d flags %#x", type, i,
			     s.flags[i]);
	}
}

Test(rdata_names, rfc1035_types_compress_and_lower)
{
	static const size_t z[] = { 0, 13 }, two[] = { 2 };
	expect_names(DNS_T_NS, EX, 13, 1, z, F_CDL | F_A, 0);
	expect_names(DNS_T_MX, "\000\012" EX, 15, 1, two, F_CDL | F_A, 0);
	expect_names(DNS_T_CNAME, EX, 13, 1, z, F_CDL, F_A);
	expect_names(DNS_T_PTR, EX, 13, 1, z, F_CDL, F_A);
	expect_names(DNS_T_MD, EX, 13, 1, z, F_CDL, 0);
	expect_names(DNS_T_MF, EX, 13, 1, z, F_CDL, 0);
	expect_names(DNS_T_MB, EX, 13, 1, z, F_CDL, 0);
	expect_names(DNS_T_MG, EX, 13, 1, z, F_CDL, 0);
	expect_names(DNS_T_MR, EX, 13, 1, z, F_CDL, 0);
	expect_names(DNS_T_MINFO, EX EX, 26, 2, z, F_CDL, F_A);
	expect_names(DNS_T_SOA,
		     EX EX "\000\000\000\001\000\000\000\002\000\000\000\003\000\000\000"
			   "\004\000\000\000\005",
		     46, 2, z, F_CDL, F_A);
}

Test(rdata_names, rfc3597_decompress_only_types)
{
	static const size_t z[] = { 0, 13 }, two[] = { 2, 15 }, six[] = { 6 }, sig[] = { 18 };
	expect_names(DNS_T_RP, EX EX, 26, 2, z, F_D | F_L, F_C);
	expect_names(DNS_T_AFSDB, "\000\001" EX, 15, 1, two, F_D | F_L, F_C);
	expect_names(DNS_T_RT, "\000\001" EX, 15, 1, two, F_D | F_L, F_C);
	expect_names(DNS_T_PX, "\000\001" EX EX, 28, 2, two, F_D | F_L, F_C);
	expect_names(DNS_T_SRV, "\000\000\000\005\023\304" EX, 19, 1, six, F_D | F_L | F_A, F_C);
	expect_names(DNS_T_NAPTR, "\000\001\000\002\000\000\000" EX, 20, 1, (const size_t[]){ 7 },
		     F_D | F_L, F_C);
	expect_names(DNS_T_SIG,
		     "\000\001\010\002\000\000\016\020\000\000\000\002\000\000\000\001\060\071" EX
		     "\001",
		     32, 1, sig, F_D | F_L, F_C);
	expect_names(DNS_T_NXT, EX "\140", 14, 1, z, F_D | F_L, F_C);
}

Test(rdata_names, never_compressed_types)
{
	static const size_t z[] = { 0 }, two[] = { 2 }, sig[] = { 18 };
	expect_names(DNS_T_DNAME, EX, 13, 1, z, F_L, F_C | F_A);
	expect_names(DNS_T_RRSIG,
		     "\000\001\010\002\000\000\016\020\000\000\000\002\000\000\000\001\060\071" EX
		     "\001",
		     32, 1, sig, F_L, F_C | F_D);
	expect_names(DNS_T_NSEC, EX "\000\001\100", 16, 1, z, 0, F_C | F_D | F_L);
	expect_names(DNS_T_SVCB, "\000\001" EX, 15, 1, two, 0, F_C | F_D | F_L);
	expect_names(DNS_T_HTTPS, "\000\001" EX, 15, 1, two, 0, F_C | F_D | F_L);
	expect_names(DNS_T_KX, "\000\001" EX, 15, 1, two, F_L, F_C);
}

Test(rdata_names, no_names)
{
	cr_assert_eq(names_of(DNS_T_A, "\001\002\003\004", 4).n, 0);
	cr_assert_eq(names_of(DNS_T_TXT, "\001a", 2).n, 0);
	cr_assert_eq(names_of(65000, "\000", 1).n, 0);
}
