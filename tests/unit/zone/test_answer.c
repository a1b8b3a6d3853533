/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Answer engine: one test per rule of the answer-engine issue.  Responses
 * are parsed by libknot's packet parser (an independent implementation) and
 * compared as text, so a wire-format mistake of ours cannot hide behind our
 * own parser.
 */
#include <criterion/criterion.h>
#include <libknot/libknot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/edns.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "zone/answer.h"
#include "zone/check.h"
#include "zone/dnssec.h"
#include "zone/load.h"
#include "zonetest.h"

static struct zone_table *table;
static struct answer_cfg cfg;

static struct zone_snap *load(const char *origin, const char *file)
{
	struct zone_snap *s = zone_snap_build(load_data_zone(origin, file));
	cr_assert_not_null(s);
	return s;
}

static void setup(void)
{
	struct zone_snap *snaps[2] = { load("example.", "engine.example.zone"),
				       load("child.example.", "engine.child.zone") };
	table = zone_table_new(snaps, 2);
	cr_assert_not_null(table);
	zone_answer_cfg_init(&cfg);
}

static void teardown(void)
{
	zone_table_free(table);
	table = NULL;
}

TestSuite(answer, .init = setup, .fini = teardown);
TestSuite(answer_many, .init = setup, .fini = teardown);

/* A query: name in presentation form, type, EDNS payload (0: no OPT), DO. */
struct q {
	const char *name;
	uint16_t type;
	uint16_t edns;
	bool dnssec;
	uint16_t id;
	uint16_t flags;
	uint16_t qclass;
};

static size_t build(const struct q *q, uint8_t *buf, size_t cap)
{
	struct dns_wr w;
	dns_wr_init(&w, buf, cap);
	struct dns_hdr h = { q->id ? q->id : 0xbeef, q->flags ? q->flags : DNS_F_RD, 1, 0, 0,
			     q->edns ? 1 : 0 };
	dns_hdr_write(&w, &h);
	uint8_t name[DNS_NAME_MAXLEN];
	int n = dns_name_from_text(q->name, NULL, name);
	cr_assert_gt(n, 0, "bad name %s", q->name);
	dns_wr_bytes(&w, name, (size_t)n);
	dns_wr_u16(&w, q->type);
	dns_wr_u16(&w, q->qclass ? q->qclass : DNS_C_IN);
	if (q->edns)
		dns_edns_write(&w, q->edns, 0, q->dnssec ? DNS_EDNS_DO : 0, NULL, 0);
	cr_assert_eq(w.err, 0);
	return w.pos;
}

/* A parsed response: header fields and each section as text lines. */
struct resp {
	size_t len;
	uint8_t wire[65536];
	uint16_t id;
	unsigned rcode; /* extended when an OPT is present */
	bool aa, tc, rd, qr;
	unsigned an, ns, ar;
	bool edns, dnssec;
	uint16_t payload;
	char sec[3][8192];
};

static void dump_section(knot_pkt_t *pkt, knot_section_t s, char *out, size_t cap)
{
	const knot_pktsection_t *sec = knot_pkt_section(pkt, s);
	out[0] = '\0';
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(sec, i);
		if (rr->type == KNOT_RRTYPE_OPT)
			continue;
		size_t txtlen = 4096;
		char *txt = malloc(txtlen);
		cr_assert_not_null(txt);
		knot_dump_style_t style = KNOT_DUMP_STYLE_DEFAULT;
		style.show_class = rr->rclass != KNOT_CLASS_IN;
		style.original_ttl = false; /* an RRSIG's TTL as sent, not its Original TTL field */
		int n = knot_rrset_txt_dump(rr, &txt, &txtlen, &style);
		cr_assert_geq(n, 0);
		/* libknot pads the owner with spaces: fold each run of blanks to one tab. */
		char *o = out + strlen(out);
		for (const char *p = txt; *p && (size_t)(o - out) < cap - 1; p++) {
			if (*p == ' ' && (p[1] == ' ' || p[1] == '\t'))
				continue;
			*o++ = (*p == ' ' && p > txt && p[-1] == ' ') ? '\t' : *p;
		}
		*o = '\0';
		free(txt);
	}
}

static void parse(struct resp *r)
{
	knot_pkt_t *pkt = knot_pkt_new(r->wire, (uint16_t)r->len, NULL);
	cr_assert_not_null(pkt);
	cr_assert_eq(knot_pkt_parse(pkt, 0), KNOT_EOK, "libknot cannot parse our response");
	r->id = knot_wire_get_id(r->wire);
	r->qr = knot_wire_get_qr(r->wire);
	r->aa = knot_wire_get_aa(r->wire);
	r->tc = knot_wire_get_tc(r->wire);
	r->rd = knot_wire_get_rd(r->wire);
	r->an = knot_wire_get_ancount(r->wire);
	r->ns = knot_wire_get_nscount(r->wire);
	r->ar = knot_wire_get_arcount(r->wire);
	r->edns = knot_pkt_has_edns(pkt);
	r->rcode = knot_pkt_ext_rcode(pkt);
	if (r->edns) {
		r->dnssec = knot_pkt_has_dnssec(pkt);
		r->payload = knot_edns_get_payload(pkt->opt_rr);
	}
	dump_section(pkt, KNOT_ANSWER, r->sec[0], sizeof(r->sec[0]));
	dump_section(pkt, KNOT_AUTHORITY, r->sec[1], sizeof(r->sec[1]));
	dump_section(pkt, KNOT_ADDITIONAL, r->sec[2], sizeof(r->sec[2]));
	knot_pkt_free(pkt);
}

static struct resp *ask_raw(const uint8_t *query, size_t qlen, bool tcp)
{
	static struct resp r;
	memset(&r, 0, sizeof(r));
	memcpy(r.wire, query, qlen);
	struct answer_info info;
	r.len = zone_answer(table, &cfg, r.wire, qlen, tcp ? sizeof(r.wire) : 4096, tcp, &info);
	if (r.len)
		parse(&r);
	return &r;
}

static struct resp *ask(struct q q)
{
	uint8_t buf[1024];
	size_t n = build(&q, buf, sizeof(buf));
	return ask_raw(buf, n, false);
}

#define has(sec, text) cr_expect(strstr((sec), (text)) != NULL, "missing '%s' in:\n%s", text, sec)

/* True when a line of sec starts with text (an owner is not matched inside a longer one). */
static bool line_starts(const char *sec, const char *text)
{
	size_t n = strlen(text);
	for (const char *p = sec; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, text, n) == 0)
			return true;
	return false;
}
#define has_line(sec, text) \
	cr_expect(line_starts((sec), (text)), "no line starting '%s' in:\n%s", text, sec)
#define hasnt(sec, text) cr_expect(strstr((sec), (text)) == NULL, "unexpected '%s' in:\n%s", text, sec)

/* ---- lookup ---- */

Test(answer, exact_match)
{
	struct resp *r = ask((struct q){ "www.example.", DNS_T_A });
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	cr_expect(r->qr && r->aa && r->rd);
	cr_expect_eq(r->id, 0xbeef);
	cr_expect_eq(r->an, 2);
	has(r->sec[0], "www.example.\t3600\tA\t192.0.2.80");
	has(r->sec[0], "www.example.\t3600\tA\t192.0.2.81");
	cr_expect_str_empty(r->sec[1], "Knot adds no NS to positive answers");
}

Test(answer, question_echoed_byte_for_byte)
{
	struct resp *r = ask((struct q){ "wWw.ExAmPlE.", DNS_T_A });
	cr_assert_gt(r->len, 12);
	cr_expect(memcmp(r->wire + 12, "\3wWw\7ExAmPlE\0", 13) == 0);
	/* The owner is a pointer to the question, so it keeps the query's case. */
	has(r->sec[0], "www.example.\t3600\tA\t192.0.2.80");
	cr_expect(memcmp(r->wire + 12 + 13 + 4, "\xc0\x0c\x00\x01", 4) == 0);
}

Test(answer, nodata_has_soa_with_negative_ttl)
{
	struct resp *r = ask((struct q){ "www.example.", DNS_T_MX });
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	cr_expect(r->aa);
	cr_expect_eq(r->an, 0);
	/* RFC 2308 §3: TTL = min(SOA TTL 3600, MINIMUM 300). */
	has(r->sec[1], "example.\t300\tSOA\tns1.example. hostmaster.example. 2024010101");
}

Test(answer, nxdomain_has_soa)
{
	struct resp *r = ask((struct q){ "nothing.example.", DNS_T_A });
	cr_assert_eq(r->rcode, DNS_R_NXDOMAIN);
	cr_expect(r->aa);
	has(r->sec[1], "example.\t300\tSOA\t");
	cr_expect_eq(r->ns, 1);
}

Test(answer, nxdomain_soa_owner_takes_query_case)
{
	struct resp *r = ask((struct q){ "NOPE.EXAMPLE.", DNS_T_A });
	cr_assert_eq(r->rcode, DNS_R_NXDOMAIN);
	has(r->sec[1], "example.\t300\tSOA\tns1.example. hostmaster.example.");
	/* libknot's dump lowercases, so check the wire: the SOA owner is a
	 * pointer to "EXAMPLE." inside the question (offset 12 + 5). */
	size_t body = 12 + 14 + 4;
	cr_expect(memcmp(r->wire + body, "\xc0\x11\x00\x06", 4) == 0);
	cr_expect(memmem(r->wire + body, r->len - body, "\x03ns1\xc0\x11", 6) != NULL);
}

Test(answer, empty_non_terminal_is_nodata)
{
	struct resp *r = ask((struct q){ "ent.example.", DNS_T_A });
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	has(r->sec[1], "SOA");
	r = ask((struct q){ "x.ent.example.", DNS_T_A });
	cr_expect_eq(r->rcode, DNS_R_NXDOMAIN);
	r = ask((struct q){ "b.ent.example.", DNS_T_TXT });
	has(r->sec[0], "below an empty non-terminal");
}

Test(answer, cname_chain_followed)
{
	struct resp *r = ask((struct q){ "alias1.example.", DNS_T_A });
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	cr_expect_eq(r->an, 4);
	has(r->sec[0], "alias1.example.\t3600\tCNAME\talias2.example.");
	has(r->sec[0], "alias2.example.\t300\tCNAME\twww.example.");
	has(r->sec[0], "www.example.\t3600\tA\t192.0.2.80");
}

Test(answer, cname_query_type_returns_only_cname)
{
	struct resp *r = ask((struct q){ "alias1.example.", DNS_T_CNAME });
	cr_expect_eq(r->an, 1);
	has(r->sec[0], "alias1.example.\t3600\tCNAME\talias2.example.");
}

Test(answer, cname_chain_then_nodata)
{
	struct resp *r = ask((struct q){ "alias1.example.", DNS_T_MX });
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	cr_expect_eq(r->an, 2);
	has(r->sec[1], "SOA");
}

Test(answer, cname_out_of_zone_stops)
{
	struct resp *r = ask((struct q){ "ext.example.", DNS_T_A });
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	cr_expect_eq(r->an, 1);
	cr_expect_eq(r->ns, 0);
	has(r->sec[0], "CNAME\ttarget.example.net.");
}

Test(answer, cname_to_missing_name_is_nxdomain)
{
	struct resp *r = ask((struct q){ "dead.example.", DNS_T_A });
	cr_assert_eq(r->rcode, DNS_R_NXDOMAIN, "RFC 6604: rcode of the last name");
	has(r->sec[0], "CNAME\tnothere.example.");
	has(r->sec[1], "SOA");
}

Test(answer, cname_loop_is_bounded)
{
	struct resp *r = ask((struct q){ "loop1.example.", DNS_T_A });
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	cr_expect_eq(r->an, 2);
	has(r->sec[0], "loop1.example.\t3600\tCNAME\tloop2.example.");
	has(r->sec[0], "loop2.example.\t3600\tCNAME\tloop1.example.");
}

Test(answer, wildcard_synthesis)
{
	struct resp *r = ask((struct q){ "a.b.WILD.example.", DNS_T_A });
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	has(r->sec[0], "a.b.wild.example.\t600\tA\t192.0.2.99");
	cr_expect(memcmp(r->wire + 12 + 18 + 4, "\xc0\x0c\x00\x01", 4) == 0, "owner = query name");
	r = ask((struct q){ "foo.wild.example.", DNS_T_MX });
	has(r->sec[0], "foo.wild.example.\t600\tMX\t5 mail.example.");
	has(r->sec[2], "mail.example.\t3600\tA\t192.0.2.25");
	has(r->sec[2], "mail.example.\t3600\tAAAA\t2001:db8::25");
	r = ask((struct q){ "foo.wild.example.", DNS_T_AAAA });
	cr_expect_eq(r->rcode, DNS_R_NOERROR);
	cr_expect_eq(r->an, 0);
	has(r->sec[1], "SOA");
}

Test(answer, wildcard_closest_encloser_rule)
{
	/* RFC 4592 §2.2: real.wild exists, so x.real.wild is not covered by *.wild. */
	struct resp *r = ask((struct q){ "x.real.wild.example.", DNS_T_A });
	cr_expect_eq(r->rcode, DNS_R_NXDOMAIN);
	/* The wildcard's parent is an empty non-terminal: NODATA. */
	r = ask((struct q){ "wild.example.", DNS_T_A });
	cr_expect_eq(r->rcode, DNS_R_NOERROR);
	cr_expect_eq(r->an, 0);
}

Test(answer, wildcard_cname)
{
	struct resp *r = ask((struct q){ "Foo.WC.example.", DNS_T_A });
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	has(r->sec[0], "foo.wc.example.\t3600\tCNAME\twww.example.");
	cr_expect(memcmp(r->wire + 12 + 16 + 4, "\xc0\x0c\x00\x05", 4) == 0, "owner = query name");
	has(r->sec[0], "www.example.\t3600\tA\t192.0.2.80");
}

Test(answer, referral)
{
	struct resp *r = ask((struct q){ "www.sub.example.", DNS_T_A });
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	cr_expect(!r->aa, "a referral is not authoritative");
	cr_expect_eq(r->an, 0);
	has(r->sec[1], "sub.example.\t3600\tNS\tns.sub.example.");
	has(r->sec[1], "sub.example.\t3600\tNS\tns.elsewhere.net.");
	has(r->sec[2], "ns.sub.example.\t3600\tA\t192.0.2.200");
	has(r->sec[2], "ns.sub.example.\t3600\tAAAA\t2001:db8::200");
	/* At the cut itself, and for the glue name: a referral too. */
	r = ask((struct q){ "sub.example.", DNS_T_A });
	cr_expect(!r->aa);
	has(r->sec[1], "NS");
	r = ask((struct q){ "ns.sub.example.", DNS_T_A });
	cr_expect(!r->aa);
	cr_expect_eq(r->an, 0);
	r = ask((struct q){ "x.outside.example.", DNS_T_A });
	cr_expect(!r->aa);
	cr_expect_str_empty(r->sec[2], "no glue for an out-of-zone NS");
}

Test(answer, ds_answered_by_parent)
{
	struct resp *r = ask((struct q){ "sub.example.", DNS_T_DS });
	cr_expect(r->aa);
	has(r->sec[0], "sub.example.\t3600\tDS\t12345 13 2");
	r = ask((struct q){ "outside.example.", DNS_T_DS });
	cr_expect(r->aa);
	cr_expect_eq(r->an, 0);
	has(r->sec[1], "SOA");
}

Test(answer, dname_synthesis)
{
	struct resp *r = ask((struct q){ "WWW.dn.example.", DNS_T_A });
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	has(r->sec[0], "dn.example.\t3600\tDNAME\texample.net.");
	has(r->sec[0], "www.dn.example.\t3600\tCNAME\twww.example.net.");
	/* The synthesized owner points at the question; the target is written
	 * lowercase and uncompressed, as Knot and NSD write it. */
	cr_expect(memmem(r->wire, r->len, "\xc0\x0c\x00\x05\x00\x01", 6) != NULL);
	cr_expect(memmem(r->wire, r->len, "\x03www\x07" "example\x03net\x00", 17) != NULL);
	/* A target inside the zone is followed. */
	r = ask((struct q){ "www.dnin.example.", DNS_T_A });
	has(r->sec[0], "CNAME\twww.target.example.");
	has(r->sec[0], "www.target.example.\t3600\tA\t192.0.2.90");
	r = ask((struct q){ "nope.dnin.example.", DNS_T_A });
	cr_expect_eq(r->rcode, DNS_R_NXDOMAIN);
	/* The DNAME owner itself is not redirected. */
	r = ask((struct q){ "dn.example.", DNS_T_A });
	cr_expect_eq(r->rcode, DNS_R_NOERROR);
	cr_expect_eq(r->an, 0);
}

/* Builds "<labels>.<suffix>" whose wire form is exactly total octets. */
static void long_name(char *out, const char *suffix, size_t suffix_wire, size_t total)
{
	size_t left = total - suffix_wire; /* octets of prefix labels (length octets included) */
	out[0] = '\0';
	while (left > 0) {
		size_t l = left > 64 ? 63 : left - 1;
		if (left > 64 && left - 64 < 2)
			l = 61; /* never leave a remainder too small for a label */
		char label[64];
		memset(label, 'a', l);
		label[l] = '\0';
		strcat(out, label);
		strcat(out, ".");
		left -= l + 1;
	}
	strcat(out, suffix);
}

Test(answer, dname_overlong_result_is_yxdomain)
{
	char name[400];
	/* dnin.example. (14 octets) becomes target.example. (16): a 254-octet
	 * name still fits after substitution (256 > 255 does not). */
	long_name(name, "dnin.example.", 14, 253);
	struct resp *r = ask((struct q){ name, DNS_T_A, 1232 });
	cr_expect_eq(r->rcode, DNS_R_NXDOMAIN, "255 octets after substitution: fine");
	long_name(name, "dnin.example.", 14, 255);
	r = ask((struct q){ name, DNS_T_A, 1232 });
	cr_expect_eq(r->rcode, DNS_R_YXDOMAIN, "RFC 6672 §2.2");
	has(r->sec[0], "DNAME");
	cr_expect_eq(r->an, 1, "no CNAME synthesized");
}

Test(answer, additional_for_mx_ns_srv)
{
	struct resp *r = ask((struct q){ "example.", DNS_T_MX });
	has(r->sec[2], "mail.example.\t3600\tA\t192.0.2.25");
	has(r->sec[2], "mail.example.\t3600\tAAAA\t2001:db8::25");
	r = ask((struct q){ "example.", DNS_T_NS });
	has(r->sec[2], "ns1.example.\t3600\tA\t192.0.2.53");
	has(r->sec[2], "ns1.example.\t3600\tAAAA\t2001:db8::53");
	has(r->sec[2], "ns2.example.\t3600\tA\t192.0.2.54");
	r = ask((struct q){ "_sip._udp.example.", DNS_T_SRV });
	has(r->sec[2], "sip.example.\t3600\tA\t192.0.2.60");
}

Test(answer, any_returns_one_rrset)
{
	struct resp *r = ask((struct q){ "anyord.example.", DNS_T_ANY });
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	cr_expect_eq(r->an, 1, "RFC 8482: one RRset");
	has(r->sec[0], "MX");
	r = ask((struct q){ "example.", DNS_T_ANY });
	cr_expect_eq(r->an, 1);
	has(r->sec[0], "\tA\t192.0.2.1");
	r = ask((struct q){ "nothing.example.", DNS_T_ANY });
	cr_expect_eq(r->rcode, DNS_R_NXDOMAIN);
}

Test(answer, longest_zone_wins)
{
	struct resp *r = ask((struct q){ "www.child.example.", DNS_T_A });
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	has(r->sec[0], "192.0.2.77");
	r = ask((struct q){ "nothing.child.example.", DNS_T_A });
	has(r->sec[1], "child.example.\t30\tSOA");
}

Test(answer, no_zone_is_refused_without_aa)
{
	struct resp *r = ask((struct q){ "www.example.org.", DNS_T_A, 1232 });
	cr_assert_eq(r->rcode, DNS_R_REFUSED);
	cr_expect(!r->aa);
	cr_expect_eq(r->an + r->ns, 0);
	/* EDE 20 (Not Authoritative), as both peers add. */
	cr_expect(memmem(r->wire, r->len, "\x00\x0f\x00\x02\x00\x14", 6) != NULL);
	r = ask((struct q){ ".", DNS_T_SOA });
	cr_expect_eq(r->rcode, DNS_R_REFUSED);
}

/* ---- header ---- */

Test(answer, rd_copied_cd_not)
{
	struct resp *r = ask((struct q){ "www.example.", DNS_T_A, .flags = DNS_F_CD | DNS_F_AD });
	cr_expect(!r->rd);
	cr_expect_eq(r->wire[3] & (DNS_F_CD | DNS_F_AD | DNS_F_RA), 0);
	r = ask((struct q){ "www.example.", DNS_T_A, .flags = DNS_F_RD });
	cr_expect(r->rd);
}

Test(answer, opcode_not_query_is_notimp)
{
	for (unsigned op = 1; op < 16; op++) {
		struct resp *r =
			ask((struct q){ "www.example.", DNS_T_A, .flags = (uint16_t)(op << 11) });
		cr_expect_eq((r->wire[2] >> 3) & 0xf, op, "opcode copied");
		cr_expect_eq(r->an, 0);
		cr_expect(!r->aa);
		if (op == DNS_OP_NOTIFY) {
			/* Knot: NOTAUTH with the question (the slow path takes NOTIFY). */
			cr_expect_eq(r->rcode, DNS_R_NOTAUTH);
			cr_expect_eq(r->len, 12 + 13 + 4);
		} else if (op == DNS_OP_UPDATE) {
			/* NSD: NOTIMP, header only. */
			cr_expect_eq(r->rcode, DNS_R_NOTIMP);
			cr_expect_eq(r->len, 12);
		} else {
			cr_expect_eq(r->rcode, DNS_R_NOTIMP, "opcode %u", op);
			cr_expect_eq(r->len, 12 + 13 + 4, "question echoed (Knot)");
		}
	}
}

Test(answer, additional_that_does_not_fit_is_skipped_not_cut)
{
	/* Knot fills the additional section greedily: an RRset that does not
	 * fit is left out and later ones that fit still go in, without TC. */
	struct resp *r = ask((struct q){ "mxmany.example.", DNS_T_MX, 512 });
	cr_assert_leq(r->len, 512);
	cr_expect(!r->tc);
	cr_expect_eq(r->an, 12);
	bool skipped_then_added = false;
	for (int i = 0; i + 1 < 12; i++) {
		char aaaa[64], next_a[64];
		snprintf(aaaa, sizeof(aaaa), "mx%02d.example.\t3600\tAAAA", i);
		snprintf(next_a, sizeof(next_a), "mx%02d.example.\t3600\tA\t", i + 1);
		if (!strstr(r->sec[2], aaaa) && strstr(r->sec[2], next_a))
			skipped_then_added = true;
	}
	cr_expect(skipped_then_added, "no AAAA skipped with a later A added:\n%s", r->sec[2]);
	/* With room for everything, everything is there. */
	r = ask((struct q){ "mxmany.example.", DNS_T_MX, 1232 });
	cr_expect_eq(r->ar, 25);
}

Test(answer, qdcount_rules)
{
	uint8_t q[64];
	size_t n = build(&(struct q){ "www.example.", DNS_T_A }, q, sizeof(q));
	q[5] = 0; /* QDCOUNT 0: FORMERR, header only */
	struct resp *r = ask_raw(q, DNS_HDR_LEN, false);
	cr_assert_eq(r->len, DNS_HDR_LEN);
	cr_expect_eq(r->rcode, DNS_R_FORMERR);
	q[5] = 2; /* two questions: dropped, as Knot does */
	r = ask_raw(q, n, false);
	cr_expect_eq(r->len, 0);
}

Test(answer, response_and_short_packets_dropped)
{
	uint8_t q[64];
	size_t n = build(&(struct q){ "www.example.", DNS_T_A, .flags = DNS_F_QR }, q, sizeof(q));
	cr_expect_eq(ask_raw(q, n, false)->len, 0);
	n = build(&(struct q){ "www.example.", DNS_T_A }, q, sizeof(q));
	for (size_t i = 0; i < n; i++) /* every truncation of the question is dropped */
		cr_expect_eq(ask_raw(q, i, false)->len, 0, "length %zu", i);
}

Test(answer, malformed_question_dropped)
{
	/* A compression pointer in the question. */
	static const uint8_t ptr[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1 };
	cr_expect_eq(ask_raw(ptr, sizeof(ptr), false)->len, 0);
	/* A 64-octet label. */
	uint8_t big[100] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64 };
	memset(big + 13, 'a', 64);
	big[77] = 0;
	big[79] = 1;
	big[81] = 1;
	cr_expect_eq(ask_raw(big, 82, false)->len, 0);
}

Test(answer, trailing_bytes_and_missing_records_are_formerr)
{
	uint8_t q[64];
	size_t n = build(&(struct q){ "www.example.", DNS_T_A }, q, sizeof(q));
	q[n] = 0xff;
	struct resp *r = ask_raw(q, n + 1, false);
	cr_expect_eq(r->rcode, DNS_R_FORMERR);
	cr_expect_eq(r->len, n, "FORMERR echoes the question");
	q[11] = 1; /* ARCOUNT 1 with nothing there */
	r = ask_raw(q, n, false);
	cr_expect_eq(r->rcode, DNS_R_FORMERR);
}

Test(answer, class_rules)
{
	struct resp *r = ask((struct q){ "www.example.", DNS_T_A, .qclass = DNS_C_NONE });
	cr_expect_eq(r->rcode, DNS_R_REFUSED);
	r = ask((struct q){ "www.example.", DNS_T_A, .qclass = 4 });
	cr_expect_eq(r->rcode, DNS_R_REFUSED);
	r = ask((struct q){ "www.example.", DNS_T_A, .qclass = DNS_C_ANY });
	cr_expect_eq(r->rcode, DNS_R_NOERROR);
	has(r->sec[0], "192.0.2.80");
}

Test(answer, chaos_identity_and_version)
{
	struct resp *r = ask((struct q){ "version.bind.", DNS_T_TXT, .qclass = DNS_C_CH });
	cr_expect_eq(r->rcode, DNS_R_REFUSED, "hidden unless configured");
	cfg.version = "dpdns 0.1";
	cfg.identity = "pop1.example.net";
	r = ask((struct q){ "VERSION.BIND.", DNS_T_TXT, .qclass = DNS_C_CH });
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	cr_expect(!r->aa);
	has(r->sec[0], "version.bind.\t0\tCH\tTXT\t\"dpdns 0.1\"");
	/* The owner is a pointer to the question (libknot's dump lowercases it). */
	cr_expect(memmem(r->wire, r->len, "\xc0\x0c\x00\x10\x00\x03", 6) != NULL);
	r = ask((struct q){ "id.server.", DNS_T_TXT, .qclass = DNS_C_CH });
	has(r->sec[0], "\"pop1.example.net\"");
	r = ask((struct q){ "hostname.bind.", DNS_T_TXT, .qclass = DNS_C_CH });
	has(r->sec[0], "\"pop1.example.net\"");
	r = ask((struct q){ "version.server.", DNS_T_TXT, .qclass = DNS_C_CH });
	has(r->sec[0], "\"dpdns 0.1\"");
	r = ask((struct q){ "authors.bind.", DNS_T_TXT, .qclass = DNS_C_CH });
	cr_expect_eq(r->rcode, DNS_R_REFUSED);
	r = ask((struct q){ "version.bind.", DNS_T_A, .qclass = DNS_C_CH });
	cr_expect_eq(r->rcode, DNS_R_REFUSED);
}

Test(answer, zone_transfer_over_udp)
{
	struct resp *r = ask((struct q){ "example.", DNS_T_AXFR });
	cr_expect_eq(r->rcode, DNS_R_NOTIMP);
	r = ask((struct q){ "example.", DNS_T_IXFR });
	cr_expect_eq(r->rcode, DNS_R_REFUSED);
}

/* ---- EDNS ---- */

Test(answer, edns_echoed)
{
	struct resp *r = ask((struct q){ "www.example.", DNS_T_A, 4096, true });
	cr_assert(r->edns);
	cr_expect_eq(r->payload, 1232);
	cr_expect(r->dnssec, "DO echoed");
	r = ask((struct q){ "www.example.", DNS_T_A });
	cr_expect(!r->edns, "no OPT without one in the query");
}

Test(answer, edns_badvers)
{
	uint8_t q[64];
	size_t n = build(&(struct q){ "www.example.", DNS_T_A, 1232 }, q, sizeof(q));
	q[n - 5] = 1; /* OPT: root, type, class, ext-rcode, version, flags, rdlength */
	struct resp *r = ask_raw(q, n, false);
	cr_assert(r->edns);
	cr_expect_eq(r->rcode, DNS_R_BADVERS);
	cr_expect_eq(r->an, 0);
}

Test(answer, edns_malformed_or_duplicate_is_formerr)
{
	uint8_t q[128];
	size_t n = build(&(struct q){ "www.example.", DNS_T_A, 1232 }, q, sizeof(q));
	/* A second OPT. */
	memcpy(q + n, q + n - 11, 11);
	q[11] = 2;
	struct resp *r = ask_raw(q, n + 11, false);
	cr_expect_eq(r->rcode, DNS_R_FORMERR);
	cr_expect(!r->edns);
	/* An option running past the OPT's rdata. */
	n = build(&(struct q){ "www.example.", DNS_T_A, 1232 }, q, sizeof(q));
	static const uint8_t opt[] = { 0, 3, 0, 9, 'x' };
	memcpy(q + n, opt, sizeof(opt));
	q[n - 1] = sizeof(opt);
	r = ask_raw(q, n + sizeof(opt), false);
	cr_expect_eq(r->rcode, DNS_R_FORMERR);
}

Test(answer, nsid)
{
	uint8_t q[128];
	size_t n = build(&(struct q){ "www.example.", DNS_T_A, 1232 }, q, sizeof(q));
	static const uint8_t opt[] = { 0, 3, 0, 0 };
	memcpy(q + n, opt, sizeof(opt));
	q[n - 1] = sizeof(opt);
	struct resp *r = ask_raw(q, n + sizeof(opt), false);
	cr_expect(memmem(r->wire, r->len, "\x00\x03\x00", 3) == NULL, "no NSID unless configured");
	cfg.nsid = (const uint8_t *)"pop1";
	cfg.nsid_len = 4;
	r = ask_raw(q, n + sizeof(opt), false);
	cr_expect(memmem(r->wire, r->len, "\x00\x03\x00\x04pop1", 8) != NULL);
	/* Not requested: not sent. */
	r = ask((struct q){ "www.example.", DNS_T_A, 1232 });
	cr_expect(memmem(r->wire, r->len, "pop1", 4) == NULL);
}

Test(answer, truncation_without_edns)
{
	struct resp *r = ask((struct q){ "many.example.", DNS_T_A });
	cr_assert_leq(r->len, 512);
	cr_expect(r->tc);
	cr_expect_eq(r->an + r->ns + r->ar, 0, "Knot empties the sections");
	r = ask((struct q){ "many.example.", DNS_T_A, 1232 });
	cr_expect(!r->tc);
	cr_expect_eq(r->an, 40);
	r = ask((struct q){ "many.example.", DNS_T_A, 100 }); /* under 512 counts as 512 */
	cr_expect(r->tc);
	cr_expect(r->edns);
	cr_expect_leq(r->len, 512);
}

Test(answer, truncation_over_tcp_never)
{
	uint8_t q[64];
	size_t n = build(&(struct q){ "many.example.", DNS_T_A }, q, sizeof(q));
	struct resp *r = ask_raw(q, n, true);
	cr_expect(!r->tc);
	cr_expect_eq(r->an, 40);
}

Test(answer, compression_in_responses)
{
	struct resp *r = ask((struct q){ "www.example.", DNS_T_A });
	/* Header 12 + question 17 + 2 x (pointer 2 + 10 + 4). */
	cr_expect_eq(r->len, 12 + 17 + 2 * 16);
}

/* ---- prepared answers equal the reference resolver ---- */

/*
 * Every query of a corpus is answered twice, from the prepared answers and by
 * the reference resolver, and the responses must say the same thing: same
 * header, same records in the same order.  (Bytes may differ: a relocated
 * fragment may compress a name against a different, equivalent suffix.)
 */
static void render(uint8_t *wire, size_t len, char *out, size_t cap)
{
	static struct resp r;
	memset(&r, 0, sizeof(r));
	memcpy(r.wire, wire, len);
	r.len = len;
	out[0] = '\0';
	if (!len)
		return;
	parse(&r);
	snprintf(out, cap, "id %u rcode %u aa %d tc %d rd %d counts %u/%u/%u edns %d do %d\n%s--\n%s--\n%s",
		 r.id, r.rcode, r.aa, r.tc, r.rd, r.an, r.ns, r.ar, r.edns, r.dnssec, r.sec[0],
		 r.sec[1], r.sec[2]);
}

/* One query answered twice: with the prepared answers (a) and by the reference resolver alone (b). */
struct both {
	uint8_t a[4096], b[4096];
	size_t la, lb;
	struct answer_info ia, ib;
};

static void answer_both(const uint8_t *q, size_t n, struct both *r)
{
	memcpy(r->a, q, n);
	memcpy(r->b, q, n);
	cfg.reference_only = false;
	r->la = zone_answer(table, &cfg, r->a, n, sizeof(r->a), false, &r->ia);
	cfg.reference_only = true;
	r->lb = zone_answer(table, &cfg, r->b, n, sizeof(r->b), false, &r->ib);
	cfg.reference_only = false;
}

Test(answer, fast_path_equals_reference)
{
	static const char *names[] = {
		"example.", "www.example.", "WWW.example.", "mixed.example.", "alias1.example.",
		"alias2.example.", "ext.example.", "dead.example.", "loop1.example.",
		"_sip._udp.example.", "ent.example.", "b.ent.example.", "x.wild.example.",
		"a.b.wild.example.", "real.wild.example.", "x.real.wild.example.", "q.wc.example.",
		"sub.example.", "ns.sub.example.", "deep.www.sub.example.", "outside.example.",
		"dn.example.", "x.dn.example.", "www.dnin.example.", "many.example.",
		"anyord.example.", "nothing.example.", "a.nothing.example.", "*.wild.example.",
		"www.child.example.", "child.example.", "nope.child.example.", "www.example.org.",
	};
	static const uint16_t types[] = { DNS_T_A, DNS_T_AAAA, DNS_T_NS, DNS_T_SOA, DNS_T_MX,
					  DNS_T_TXT, DNS_T_CNAME, DNS_T_SRV, DNS_T_DS, DNS_T_ANY,
					  DNS_T_DNAME, DNS_T_PTR };
	static const uint16_t edns[] = { 0, 512, 1232 };
	static char ta[32768], tb[32768];
	unsigned compared = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
			for (size_t e = 0; e < 3; e++) {
				uint8_t q[300];
				static struct both r;
				size_t n = build(&(struct q){ names[i], types[t], edns[e] }, q,
						 sizeof(q));
				answer_both(q, n, &r);
				render(r.a, r.la, ta, sizeof(ta));
				render(r.b, r.lb, tb, sizeof(tb));
				cr_expect_str_eq(ta, tb, "%s type %u edns %u: prepared answer differs "
					       "from reference", names[i], types[t], edns[e]);
				compared++;
			}
		}
	}
	cr_expect_gt(compared, 1000);
}

/*
 * A question name of more labels than the compression table seeds (32 of
 * its 64 entries): the reference resolver must still point into the
 * question for the zone's names (the origin in an NXDOMAIN's SOA, the cut in
 * a referral), as the prepared answers, Knot and NSD do, so that both give
 * the same octets and the same answers fit the same limits.  It used to seed
 * the 32 longest suffixes, which left out the short ones the zone's names
 * share: its answers came out longer (found by fuzz_answer: a referral at
 * 512 octets lost a glue record and set TC where Knot and NSD did not).
 * The rendered comparison above decompresses and cannot see this.
 */
Test(answer, long_question_names_compress_like_prepared_answers)
{
	static const char *under[] = { "sub.example.", "nope.example.", "x.wild.example.",
				       "alias1.example." };
	static const uint16_t types[] = { DNS_T_A, DNS_T_MX, DNS_T_TXT };
	for (unsigned labels = 30; labels <= 60; labels += 10) {
		for (size_t u = 0; u < sizeof(under) / sizeof(under[0]); u++) {
			char name[256];
			size_t at = 0;
			for (unsigned l = 0; l < labels - 2; l++)
				at += (size_t)snprintf(name + at, sizeof(name) - at, "%c.",
						       'a' + l % 26);
			snprintf(name + at, sizeof(name) - at, "%s", under[u]);
			for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
				uint8_t q[300];
				static struct both r;
				size_t n = build(&(struct q){ name, types[t], 1232 }, q, sizeof(q));
				cr_assert_gt(n, 0, "%s", name);
				answer_both(q, n, &r);
				cr_expect(r.ia.slow == 0, "%s type %u: no prepared answer", name,
					  types[t]);
				cr_expect(r.la == r.lb && memcmp(r.a, r.b, r.la) == 0,
					  "%s type %u: %zu octets prepared, %zu from the reference",
					  name, types[t], r.la, r.lb);
			}
		}
	}
}

/*
 * The usual query shape (one question of class IN, no OPT or a bare one) is
 * read by a lean reader, every other by the general reader; both must read
 * the same question.  The same question goes through the general reader
 * when its OPT carries an option the engine ignores (a client cookie: the
 * response is then byte for byte the same) or, without EDNS, when its class
 * is ANY (answered as IN: the same records).  First labels of every length
 * from 1 to 63 octets in mixed case put the end of the name at every offset
 * within a word, in a packet that ends right after the question or after the
 * OPT; the wildcard below wild.example. gives each of them an answer, which
 * must be there: a misread name would not find it.
 */
Test(answer, lean_reader_equals_general_reader)
{
	for (unsigned k = 1; k <= DNS_LABEL_MAXLEN; k++) {
		char name[96];
		for (unsigned i = 0; i < k; i++)
			name[i] = (char)((i % 3 ? 'a' : 'A') + i % 26);
		strcpy(name + k, ".wild.example.");
		for (int edns = 0; edns < 2; edns++) {
			uint8_t q1[160], q2[160], a1[1024], a2[1024];
			size_t n1 = build(&(struct q){ name, DNS_T_A, edns ? 1232 : 0 }, q1,
					  sizeof(q1));
			size_t n2;
			if (edns) {
				/* The same query with a client cookie in its OPT. */
				struct dns_wr w;
				dns_wr_init(&w, q2, sizeof(q2));
				dns_wr_bytes(&w, q1, n1 - DNS_EDNS_FIXED_LEN);
				uint8_t cookie[12] = { 0, DNS_OPT_COOKIE, 0, 8,
						       1, 2, 3, 4, 5, 6, 7, 8 };
				dns_edns_write(&w, 1232, 0, 0, cookie, sizeof(cookie));
				cr_assert_eq(w.err, 0);
				n2 = w.pos;
			} else {
				n2 = build(&(struct q){ name, DNS_T_A, 0, .qclass = DNS_C_ANY }, q2,
					   sizeof(q2));
			}
			struct answer_info i1, i2;
			memcpy(a1, q1, n1);
			memcpy(a2, q2, n2);
			size_t l1 = zone_answer(table, &cfg, a1, n1, sizeof(a1), false, &i1);
			size_t l2 = zone_answer(table, &cfg, a2, n2, sizeof(a2), false, &i2);
			cr_assert_gt(l1, 0, "%s edns %d: dropped", name, edns);
			if (edns)
				cr_expect(l1 == l2 && memcmp(a1, a2, l1) == 0,
					  "%s: the readers answer differently", name);
			static char t1[32768], t2[32768];
			render(a1, l1, t1, sizeof(t1));
			render(a2, l2, t2, sizeof(t2));
			cr_expect_str_eq(t1, t2, "%s edns %d: readers differ", name, edns);
			struct resp *r = ask_raw(q1, n1, false);
			cr_expect(r->rcode == DNS_R_NOERROR && r->an == 1, "%s edns %d: no answer",
				  name, edns);
			has(r->sec[0], "192.0.2.99");
		}
	}
}

/* ---- many zones: selection by hash (more than 8 zones) ---- */

static struct zone_snap *zone_from_text(const char *origin, const char *ns_ip)
{
	char text[512];
	snprintf(text, sizeof(text),
		 "$ORIGIN %s\n$TTL 300\n@ SOA ns h 1 60 60 600 60\n@ NS ns\nns A %s\nwww A %s\n",
		 origin, ns_ip, ns_ip);
	struct zone_diag d;
	zone_diag_init(&d, NULL, NULL);
	struct zone_contents *z = zone_load_string(text, strlen(text), origin, origin, &d);
	cr_assert_not_null(z, "cannot load %s", origin);
	struct zone_snap *s = zone_snap_build(z);
	cr_assert_not_null(s);
	return s;
}

Test(answer_many, longest_zone_by_hash)
{
	/* Twelve zones, nested three deep in places: more than the suffix scan handles. */
	static const char *origins[] = { "a.test.", "b.test.", "c.test.", "d.test.", "e.test.",
					 "f.test.", "g.test.", "test.", "x.a.test.", "y.x.a.test.",
					 "org.", "example.org." };
	struct zone_snap *snaps[12];
	for (int i = 0; i < 12; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "192.0.2.%d", i + 1);
		snaps[i] = zone_from_text(origins[i], ip);
	}
	struct zone_table *saved = table;
	table = zone_table_new(snaps, 12);
	cr_assert_not_null(table);
	cr_assert_gt(table->nzones, 8, "this test is about the hashed selection");

	struct resp *r = ask((struct q){ "www.y.x.a.test.", DNS_T_A });
	has(r->sec[0], "192.0.2.10"); /* y.x.a.test. is zone 10 */
	r = ask((struct q){ "www.x.a.test.", DNS_T_A });
	has(r->sec[0], "192.0.2.9");
	r = ask((struct q){ "www.a.test.", DNS_T_A });
	has(r->sec[0], "192.0.2.1");
	r = ask((struct q){ "nothing.z.test.", DNS_T_A });
	cr_expect_eq(r->rcode, DNS_R_NXDOMAIN);
	has_line(r->sec[1], "test.\t60\tSOA");
	r = ask((struct q){ "www.example.org.", DNS_T_A });
	has(r->sec[0], "192.0.2.12");
	r = ask((struct q){ "www.example.net.", DNS_T_A });
	cr_expect_eq(r->rcode, DNS_R_REFUSED);
	/* DS at a served child's apex comes from the parent (NODATA there: no DS). */
	r = ask((struct q){ "x.a.test.", DNS_T_DS });
	cr_expect(r->aa);
	has_line(r->sec[1], "a.test.\t60\tSOA");
	/* DS at the apex of a zone without a served parent: from the zone itself. */
	r = ask((struct q){ "org.", DNS_T_DS });
	has_line(r->sec[1], "org.\t60\tSOA");

	zone_table_free(table);
	table = saved;
}

/* A secondary past its expire deadline: SERVFAIL, EDE 24 under EDNS, no AA, no records. */
Test(answer, expired_zone_servfail)
{
	/* Zone 0 is example.; zone 1 (child.example.) keeps answering. */
	cr_assert_eq(table->zones[0]->origin_len, 9);
	zone_table_set_expired(table, 0, true);
	struct resp *r = ask((struct q){ "www.example.", DNS_T_A, 1232 });
	cr_expect_eq(r->rcode, DNS_R_SERVFAIL);
	cr_expect(!r->aa);
	cr_expect_eq(r->an + r->ns, 0);
	cr_expect(memmem(r->wire, r->len, "\x00\x0f\x00\x02\x00\x18", 6) != NULL, "EDE 24");
	r = ask((struct q){ "www.example.", DNS_T_A });
	cr_expect_eq(r->rcode, DNS_R_SERVFAIL);
	r = ask((struct q){ "www.child.example.", DNS_T_A });
	cr_expect_eq(r->rcode, DNS_R_NOERROR);
	zone_table_set_expired(table, 0, false);
	r = ask((struct q){ "www.example.", DNS_T_A });
	cr_expect_eq(r->rcode, DNS_R_NOERROR);
}

/* Tables share snapshots by reference: freeing one table leaves the other's intact. */
Test(answer, shared_snapshots)
{
	struct zone_snap *s[2] = { zone_snap_ref(table->zones[0]), zone_snap_ref(table->zones[1]) };
	struct zone_table *t2 = zone_table_new(s, 2);
	cr_assert_not_null(t2);
	zone_table_free(table);
	table = t2;
	struct resp *r = ask((struct q){ "www.example.", DNS_T_A });
	cr_expect_eq(r->rcode, DNS_R_NOERROR);
}

/* A configured zone without data: selected by origin, answered SERVFAIL (not REFUSED). */
Test(answer, placeholder_zone_servfail)
{
	uint8_t origin[DNS_NAME_MAXLEN];
	cr_assert_gt(dns_name_from_text("Pending.Example.", NULL, origin), 0);
	struct zone_snap *s[3] = { zone_snap_ref(table->zones[0]), zone_snap_ref(table->zones[1]),
				   zone_snap_placeholder(origin) };
	cr_assert_not_null(s[2]);
	struct zone_table *t2 = zone_table_new(s, 3);
	cr_assert_not_null(t2);
	zone_table_set_expired(t2, 2, true);
	zone_table_free(table);
	table = t2;
	struct resp *r = ask((struct q){ "www.pending.example.", DNS_T_A });
	cr_expect_eq(r->rcode, DNS_R_SERVFAIL);
	cr_expect(!r->aa);
	r = ask((struct q){ "pending.example.", DNS_T_SOA });
	cr_expect_eq(r->rcode, DNS_R_SERVFAIL);
	/* The parent zone still answers its own names. */
	r = ask((struct q){ "www.example.", DNS_T_A });
	cr_expect_eq(r->rcode, DNS_R_NOERROR);
}

/* ---- DNSSEC (issue 7) ----
 *
 * tests/unit/data/dnssec.{nsec,n3,n3oo}.zone: tests/system/zones/dnssec.template
 * signed with dnssec-signzone -S (ECDSA P-256, signatures valid to 2090) as
 * nsec.test. (NSEC), n3.test. (NSEC3, salt aabbccdd, 10 iterations) and
 * n3oo.test. (NSEC3, no salt, 0 iterations, opt-out).  The NSEC3 owner names
 * expected below were computed independently with dnspython's
 * dns.dnssec.nsec3_hash over the same names and parameters.
 */

static void setup_dnssec(void)
{
	struct zone_snap *snaps[3] = { load("nsec.test.", "dnssec.nsec.zone"),
				       load("n3.test.", "dnssec.n3.zone"),
				       load("n3oo.test.", "dnssec.n3oo.zone") };
	table = zone_table_new(snaps, 3);
	cr_assert_not_null(table);
	zone_answer_cfg_init(&cfg);
}

TestSuite(dnssec, .init = setup_dnssec, .fini = teardown);

static struct resp *ask_do(const char *name, uint16_t type)
{
	return ask((struct q){ name, type, 1232, true });
}

/* Lines of sec that start with owner and have type (as libknot prints it) after the TTL. */
static unsigned count_rr(const char *sec, const char *owner, const char *type)
{
	unsigned n = 0;
	size_t ol = strlen(owner), tl = strlen(type);
	for (const char *p = sec; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, owner, ol) != 0 || (p[ol] != '\t' && p[ol] != ' '))
			continue;
		const char *t = strchr(p + ol + 1, '\t'); /* after the TTL */
		if (t && strncmp(t + 1, type, tl) == 0 && t[1 + tl] == '\t')
			n++;
	}
	return n;
}

static unsigned count_type(const char *sec, const char *type)
{
	unsigned n = 0;
	char pat[32];
	snprintf(pat, sizeof(pat), "\t%s\t", type);
	for (const char *p = strstr(sec, pat); p; p = strstr(p + 1, pat))
		n++;
	return n;
}

Test(dnssec, positive_answer_signed_only_with_do)
{
	struct resp *r = ask_do("www.nsec.test.", DNS_T_A);
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	cr_expect(r->aa && r->dnssec);
	cr_expect_eq(count_rr(r->sec[0], "www.nsec.test.", "A"), 1);
	cr_expect_eq(count_rr(r->sec[0], "www.nsec.test.", "RRSIG"), 1);
	has(r->sec[0], "RRSIG\tA 13 3 300 ");
	cr_expect_str_empty(r->sec[1]);
	r = ask((struct q){ "www.nsec.test.", DNS_T_A, 1232, false });
	cr_expect_eq(count_type(r->sec[0], "RRSIG"), 0, "no RRSIG without DO:\n%s", r->sec[0]);
	r = ask((struct q){ "www.nsec.test.", DNS_T_A });
	cr_expect_eq(count_type(r->sec[0], "RRSIG"), 0);
}

Test(dnssec, qtype_rrsig_gives_the_first_signature)
{
	/* Knot: one RRSIG, the lowest type covered (A), with or without DO. */
	for (int d = 0; d < 2; d++) {
		struct resp *r = ask((struct q){ "www.n3.test.", DNS_T_RRSIG, 1232, d == 1 });
		cr_assert_eq(r->rcode, DNS_R_NOERROR);
		cr_expect_eq(r->an, 1);
		has(r->sec[0], "www.n3.test.\t300\tRRSIG\tA 13 3 300 ");
	}
}

Test(dnssec, nsec_nxdomain_covers_name_and_wildcard)
{
	struct resp *r = ask_do("nx-name.nsec.test.", DNS_T_A);
	cr_assert_eq(r->rcode, DNS_R_NXDOMAIN);
	has_line(r->sec[1], "nsec.test.\t300\tSOA\t");
	has(r->sec[1], "nsec.test.\t300\tRRSIG\tSOA ");
	/* ns2 < nx-name < ns1.sub ... canonical predecessor with an NSEC: ns2.nsec.test. */
	cr_expect_eq(count_rr(r->sec[1], "ns2.nsec.test.", "NSEC"), 1, "%s", r->sec[1]);
	cr_expect_eq(count_rr(r->sec[1], "ns2.nsec.test.", "RRSIG"), 1);
	/* *.nsec.test. sorts right after the apex: the apex NSEC covers it. */
	cr_expect_eq(count_rr(r->sec[1], "nsec.test.", "NSEC"), 1);
	cr_expect_eq(r->ns, 6);
}

Test(dnssec, nsec_nodata_and_empty_non_terminal)
{
	struct resp *r = ask_do("www.nsec.test.", DNS_T_MX);
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	cr_expect_eq(r->an, 0);
	cr_expect_eq(count_rr(r->sec[1], "www.nsec.test.", "NSEC"), 1);
	cr_expect_eq(r->ns, 4);
	/* ENT b.ent: the NSEC of its predecessor dn.nsec.test. covers it. */
	r = ask_do("b.ent.nsec.test.", DNS_T_A);
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	cr_expect_eq(count_rr(r->sec[1], "dn.nsec.test.", "NSEC"), 1, "%s", r->sec[1]);
	cr_expect_eq(r->ns, 4);
}

Test(dnssec, nsec_wildcard_answer_and_nodata)
{
	struct resp *r = ask_do("x.wild.nsec.test.", DNS_T_A);
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	/* The signature keeps its label count (3, the wildcard's) under the query name. */
	has(r->sec[0], "x.wild.nsec.test.\t300\tRRSIG\tA 13 3 300 ");
	cr_expect_eq(count_rr(r->sec[1], "real.wild.nsec.test.", "NSEC"), 1, "%s", r->sec[1]);
	cr_expect_eq(r->ns, 2);
	r = ask_do("no.wild.nsec.test.", DNS_T_MX);
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	cr_expect_eq(count_rr(r->sec[1], "*.wild.nsec.test.", "NSEC"), 1, "%s", r->sec[1]);
	cr_expect_eq(count_rr(r->sec[1], "no.wild.nsec.test.", "NSEC"), 0);
}

Test(dnssec, referrals_carry_ds_or_its_denial)
{
	struct resp *r = ask_do("www.sub.nsec.test.", DNS_T_A);
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	cr_expect_not(r->aa);
	cr_expect_eq(count_rr(r->sec[1], "sub.nsec.test.", "NS"), 2);
	cr_expect_eq(count_rr(r->sec[1], "sub.nsec.test.", "DS"), 1);
	cr_expect_eq(count_rr(r->sec[1], "sub.nsec.test.", "RRSIG"), 1);
	cr_expect_eq(count_type(r->sec[2], "RRSIG"), 0, "glue is not signed");
	r = ask_do("www.insec.nsec.test.", DNS_T_A);
	cr_expect_eq(count_rr(r->sec[1], "insec.nsec.test.", "NSEC"), 1, "%s", r->sec[1]);
	r = ask_do("www.insec.n3.test.", DNS_T_A);
	cr_expect_eq(count_rr(r->sec[1], "cv85mt1fth9cfkjm9s50fkb9eqsodt86.n3.test.", "NSEC3"), 1,
		     "%s", r->sec[1]);
	/* DS at the cut is answered by the parent, signed. */
	r = ask_do("sub.n3.test.", DNS_T_DS);
	cr_expect(r->aa);
	cr_expect_eq(count_rr(r->sec[0], "sub.n3.test.", "DS"), 1);
	cr_expect_eq(count_rr(r->sec[0], "sub.n3.test.", "RRSIG"), 1);
}

Test(dnssec, nsec3_nxdomain_closest_encloser_proof)
{
	struct resp *r = ask_do("nx-name.n3.test.", DNS_T_A);
	cr_assert_eq(r->rcode, DNS_R_NXDOMAIN);
	/* closest encloser n3.test. (match), next closer nx-name (cover), *.n3.test. (cover) */
	cr_expect_eq(count_rr(r->sec[1], "nc2qn7g8e1umgict8oof10us1s7rb59t.n3.test.", "NSEC3"), 1,
		     "%s", r->sec[1]);
	cr_expect_eq(count_rr(r->sec[1], "re7q2eg3cmna6r8041r514d6irabji0j.n3.test.", "NSEC3"), 1);
	cr_expect_eq(count_rr(r->sec[1], "9gopuov0rfofh1kvlfd3uabduacgmd3f.n3.test.", "NSEC3"), 1);
	cr_expect_eq(count_type(r->sec[1], "NSEC3"), 3);
	cr_expect_eq(count_type(r->sec[1], "RRSIG"), 4);
}

Test(dnssec, nsec3_nodata_wildcard_and_ent)
{
	struct resp *r = ask_do("b.ent.n3.test.", DNS_T_A); /* ENT: its own NSEC3 */
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	cr_expect_eq(count_rr(r->sec[1], "em8i5jb1nsaeipcuc2br8rbm0oqndd5s.n3.test.", "NSEC3"), 1,
		     "%s", r->sec[1]);
	cr_expect_eq(count_type(r->sec[1], "NSEC3"), 1);
	r = ask_do("x.wild.n3.test.", DNS_T_A); /* wildcard answer: next closer covered */
	cr_expect_eq(count_rr(r->sec[1], "3natdpn174iajasflhmtfmj4jv9n9878.n3.test.", "NSEC3"), 1,
		     "%s", r->sec[1]);
	cr_expect_eq(count_type(r->sec[1], "NSEC3"), 1);
	r = ask_do("no.wild.n3.test.", DNS_T_MX); /* wildcard NODATA, RFC 5155 §7.2.5 */
	cr_expect_eq(count_rr(r->sec[1], "8e6c764pcihshmmen6s9rhom66kt9bc6.n3.test.", "NSEC3"), 1,
		     "%s", r->sec[1]);
	cr_expect_eq(count_rr(r->sec[1], "npon048noiu8998rbtgfu1v2f8t31ood.n3.test.", "NSEC3"), 1);
	cr_expect_eq(count_rr(r->sec[1], "vu4f66egnvsv6ao3ard63e5j13j5dhel.n3.test.", "NSEC3"), 1);
	cr_expect_eq(count_type(r->sec[1], "NSEC3"), 3);
}

Test(dnssec, nsec3_opt_out_unsigned_delegation)
{
	/* insec has no NSEC3 under opt-out: closest provable encloser (the
	 * apex) and the opt-out NSEC3 covering insec.n3oo.test., RFC 5155 §7.2.4 / 7.2.7. */
	struct resp *r = ask_do("insec.n3oo.test.", DNS_T_DS);
	cr_assert_eq(r->rcode, DNS_R_NOERROR);
	cr_expect_eq(count_rr(r->sec[1], "hjms0nb6h939fdf0cl975ufii72cj203.n3oo.test.", "NSEC3"), 1,
		     "%s", r->sec[1]);
	cr_expect_eq(count_rr(r->sec[1], "9pe949688gdg5j5vr72vj31rb3la3v8v.n3oo.test.", "NSEC3"),
		     1);
	has(r->sec[1], "9pe949688gdg5j5vr72vj31rb3la3v8v.n3oo.test. 300\tNSEC3\t1 1 0 - ");
	r = ask_do("www.insec.n3oo.test.", DNS_T_A);
	cr_expect_not(r->aa);
	cr_expect_eq(count_type(r->sec[1], "NSEC3"), 2, "%s", r->sec[1]);
}

Test(dnssec, nsec3_owner_names_do_not_exist)
{
	struct resp *r =
		ask((struct q){ "nc2qn7g8e1umgict8oof10us1s7rb59t.n3.test.", DNS_T_NSEC3 });
	cr_expect_eq(r->rcode, DNS_R_NXDOMAIN);
	r = ask_do("nc2qn7g8e1umgict8oof10us1s7rb59t.n3.test.", DNS_T_NSEC3);
	cr_expect_eq(r->rcode, DNS_R_NXDOMAIN);
	cr_expect_eq(count_type(r->sec[1], "NSEC3"), 3, "%s", r->sec[1]);
}

Test(dnssec, signed_answer_too_big_sets_tc)
{
	/* The NSEC3 NXDOMAIN (SOA, three NSEC3, four RRSIGs) does not fit in 512. */
	struct resp *r = ask((struct q){ "nx-name.n3.test.", DNS_T_A, 512, true });
	cr_expect(r->tc);
	cr_expect_eq(r->an + r->ns, 0);
	r = ask((struct q){ "nx-name.n3.test.", DNS_T_A, 512, false });
	cr_expect_not(r->tc);
}

/* Every answer of the engine equals the reference resolver's, with and without DO. */
Test(dnssec, engine_equals_reference)
{
	static const char *names[] = {
		"nsec.test.", "www.nsec.test.", "alias1.nsec.test.", "extcname.nsec.test.",
		"deadcname.nsec.test.", "x.wild.nsec.test.", "a.b.wcname.nsec.test.",
		"b.ent.nsec.test.", "sub.nsec.test.", "x.insec.nsec.test.", "nx.nsec.test.",
		"n3.test.", "www.n3.test.", "x.wild.n3.test.", "nx.n3.test.", "x.ent2.n3.test.",
		"nc2qn7g8e1umgict8oof10us1s7rb59t.n3.test.", "n3oo.test.", "insec.n3oo.test.",
		"q.wcname.n3oo.test.", "dn.n3oo.test.", "x.dn.n3oo.test.",
	};
	static const uint16_t types[] = { DNS_T_A, DNS_T_MX, DNS_T_DS, DNS_T_RRSIG, DNS_T_NSEC,
					  DNS_T_NSEC3, DNS_T_DNSKEY, DNS_T_NSEC3PARAM, DNS_T_CNAME,
					  DNS_T_TXT };
	static char ta[32768], tb[32768];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
			for (int d = 0; d < 3; d++) {
				uint8_t q[300];
				static struct both r;
				size_t n = build(&(struct q){ names[i], types[t], d ? 1232 : 0,
							      d == 2 },
						 q, sizeof(q));
				answer_both(q, n, &r);
				render(r.a, r.la, ta, sizeof(ta));
				render(r.b, r.lb, tb, sizeof(tb));
				cr_expect_str_eq(ta, tb, "%s type %u mode %d: engine differs from "
					       "reference", names[i], types[t], d);
				/* DO answers are the resolver's bytes, compression included
				 * (so the same answers fit the same size limits). */
				if (d == 2)
					cr_expect(r.la == r.lb && memcmp(r.a, r.b, r.la) == 0,
						  "%s type %u: DO answer bytes differ", names[i],
						  types[t]);
			}
		}
	}
}

/* The DO answers the engine prepares or assembles itself (not the resolver's). */
Test(dnssec, do_answers_are_prepared)
{
	static const struct {
		const char *name;
		uint16_t type;
	} fast[] = {
		{ "www.nsec.test.", DNS_T_A },	       /* positive */
		{ "www.nsec.test.", DNS_T_MX },	       /* NODATA, NSEC: per name */
		{ "b.ent.nsec.test.", DNS_T_A },       /* ENT NODATA, NSEC */
		{ "alias1.nsec.test.", DNS_T_A },      /* CNAME chain */
		{ "x.sub.nsec.test.", DNS_T_A },       /* referral with DS */
		{ "insec.n3.test.", DNS_T_A },	       /* referral, NSEC3 of the cut */
		{ "insec.n3oo.test.", DNS_T_A },       /* referral, opt-out proof */
		{ "sub.n3.test.", DNS_T_DS },	       /* DS at the parent */
		{ "www.n3.test.", DNS_T_MX },	       /* NODATA, NSEC3: head + piece */
		{ "b.ent.n3.test.", DNS_T_TXT },       /* ENT NODATA, NSEC3 */
		{ "nx-name.n3.test.", DNS_T_A },       /* NXDOMAIN, NSEC3: hashed next closer */
		{ "deep.nx.www.n3oo.test.", DNS_T_A }, /* NXDOMAIN below an existing name */
	};
	for (size_t i = 0; i < sizeof(fast) / sizeof(fast[0]); i++) {
		uint8_t q[300];
		size_t n =
			build(&(struct q){ fast[i].name, fast[i].type, 4096, true }, q, sizeof(q));
		struct resp *r = ask_raw(q, n, false);
		struct answer_info info;
		uint8_t buf[4096];
		memcpy(buf, q, n);
		size_t len = zone_answer(table, &cfg, buf, n, sizeof(buf), false, &info);
		cr_assert_gt(len, 0);
		cr_expect_eq(r->rcode, info.rcode);
		cr_expect_not(info.slow, "%s type %u went to the resolver", fast[i].name,
			      fast[i].type);
	}
	/* In one burst (where NXDOMAIN proofs are looked up ahead) the same bytes. */
	enum { N = sizeof(fast) / sizeof(fast[0]) };
	static uint8_t one[N][4096], burst[N][4096];
	uint8_t *pkts[N];
	uint16_t lens[N];
	struct answer_info infos[N], info;
	size_t onelen[N];
	for (size_t i = 0; i < N; i++) {
		size_t n = build(&(struct q){ fast[i].name, fast[i].type, 4096, true }, one[i], 4096);
		memcpy(burst[i], one[i], n);
		pkts[i] = burst[i];
		lens[i] = (uint16_t)n;
		onelen[i] = zone_answer(table, &cfg, one[i], n, 4096, false, &info);
		cr_assert_gt(onelen[i], 0);
	}
	zone_answer_burst(table, &cfg, pkts, lens, 4096, false, infos, N);
	for (size_t i = 0; i < N; i++) {
		cr_expect(lens[i] == onelen[i] && memcmp(burst[i], one[i], onelen[i]) == 0,
			  "%s: burst answer differs", fast[i].name);
	}
}

/* The directory search of the NSEC3 chain finds what a scan of the whole chain finds. */
Test(dnssec, nsec3_find_equals_scan)
{
	for (uint32_t z = 1; z < table->nzones; z++) {
		const struct zone_dnssec *d = table->zones[z]->dnssec;
		cr_assert(d && d->denial == ZONE_DENIAL_NSEC3 && d->nchain > 4 && d->dir);
		uint64_t x = 88172645463325252ull;
		for (unsigned i = 0; i < 20000; i++) {
			uint8_t h[ZONE_NSEC3_HASH_LEN];
			if (i < d->nchain) { /* every hash of the chain, then random ones */
				memcpy(h, d->chain[i].hash, sizeof(h));
			} else {
				for (unsigned k = 0; k < sizeof(h); k++) {
					x ^= x << 13, x ^= x >> 7, x ^= x << 17;
					h[k] = (uint8_t)x;
				}
			}
			uint32_t want = d->nchain - 1; /* the last hash <= h, wrapping */
			for (uint32_t c = 0; c < d->nchain; c++)
				if (memcmp(d->chain[c].hash, h, sizeof(h)) <= 0)
					want = c;
			bool exact;
			uint32_t got = zone_nsec3_find(d, h, &exact);
			cr_assert_eq(got, want, "zone %u hash %u: %u, scan %u", z, i, got, want);
			cr_assert_eq(exact, memcmp(d->chain[want].hash, h, sizeof(h)) == 0);
		}
	}
}
