/* SPDX-License-Identifier: BSD-3-Clause */
/* Message header, question and RR parse/build (src/dns/msg.h, RFC 1035 §4.1). */
#include "dns/msg.h"

#include <criterion/criterion.h>

#include "dns/rrtype.h"
#include "testutil.h"

#define EXAMPLE_COM "\007example\003com\000"
#define WWW_EXAMPLE_COM "\003www\007example\003com\000"
/* id 1, no flags, qd 1, an 1 */
#define HDR "\000\001\000\000\000\001\000\001\000\000\000\000"
/* example.com SOA IN, at offset 12 */
#define QSOA EXAMPLE_COM "\000\006\000\001"
#define RR_AT 29
/* TTL 3600 */
#define TTL "\000\000\016\020"

/* ----------------------------------------------------------------- header */

Test(msg_hdr, parse_fields)
{
	const char b[] = "\022\064\201\200\000\001\000\002\000\003\000\004\377";
	uint8_t *g = guard_new(b, 12);
	struct dns_rd r;
	struct dns_hdr h;
	dns_rd_init(&r, g, 12);
	cr_assert_eq(dns_hdr_parse(&r, &h), 0);
	cr_assert_eq(h.id, 0x1234);
	cr_assert_eq(h.flags, 0x8180);
	cr_assert_eq(h.qdcount, 1);
	cr_assert_eq(h.ancount, 2);
	cr_assert_eq(h.nscount, 3);
	cr_assert_eq(h.arcount, 4);
	cr_assert_eq(r.pos, 12);
	cr_assert(h.flags & DNS_F_QR);
	cr_assert(h.flags & DNS_F_RD);
	cr_assert(h.flags & DNS_F_RA);
	cr_assert_not(h.flags & DNS_F_AA);
	cr_assert_eq(dns_hdr_opcode(&h), DNS_OP_QUERY);
	cr_assert_eq(dns_hdr_rcode(&h), DNS_R_NOERROR);
	guard_free(g, 12);
}

Test(msg_hdr, truncated_every_length)
{
	const char b[] = "\022\064\201\200\000\001\000\002\000\003\000\004";
	for (size_t len = 0; len < 12; len++) {
		uint8_t *g = guard_new(b, len);
		struct dns_rd r;
		struct dns_hdr h;
		dns_rd_init(&r, g, len);
		cr_assert_eq(dns_hdr_parse(&r, &h), DP_ETRUNC, "len %zu", len);
		guard_free(g, len);
	}
}

Test(msg_hdr, flag_bits_per_rfc)
{
	/* RFC 1035 §4.1.1, RFC 4035 §3.2 (AD, CD) */
	cr_assert_eq(DNS_F_QR, 0x8000);
	cr_assert_eq(DNS_OPCODE_MASK, 0x7800);
	cr_assert_eq(DNS_F_AA, 0x0400);
	cr_assert_eq(DNS_F_TC, 0x0200);
	cr_assert_eq(DNS_F_RD, 0x0100);
	cr_assert_eq(DNS_F_RA, 0x0080);
	cr_assert_eq(DNS_F_Z, 0x0040);
	cr_assert_eq(DNS_F_AD, 0x0020);
	cr_assert_eq(DNS_F_CD, 0x0010);
	cr_assert_eq(DNS_RCODE_MASK, 0x000f);
}

Test(msg_hdr, opcode_and_rcode_accessors)
{
	struct dns_hdr h = { 0 };
	h.flags = 0x2000; /* opcode 4 */
	cr_assert_eq(dns_hdr_opcode(&h), DNS_OP_NOTIFY);
	h.flags = 0x2800 | DNS_F_QR | DNS_F_AA | 0x0005;
	cr_assert_eq(dns_hdr_opcode(&h), DNS_OP_UPDATE);
	cr_assert_eq(dns_hdr_rcode(&h), DNS_R_REFUSED);
	h.flags = 0xffff;
	cr_assert_eq(dns_hdr_opcode(&h), 15);
	cr_assert_eq(dns_hdr_rcode(&h), 15);
	h.flags = 0x8183;
	cr_assert_eq(dns_hdr_opcode(&h), DNS_OP_QUERY);
	cr_assert_eq(dns_hdr_rcode(&h), DNS_R_NXDOMAIN);
}

Test(msg_hdr, write_exact_and_espace)
{
	struct dns_hdr h = {
		.id = 0xbeef,
		.flags = DNS_F_QR | DNS_F_AA | (DNS_OP_NOTIFY << DNS_OPCODE_SHIFT) | DNS_R_NOTAUTH,
		.qdcount = 1,
		.ancount = 0x0102,
		.nscount = 0,
		.arcount = 0xffff,
	};
	uint8_t *g = guard_new(NULL, 12);
	struct dns_wr w;
	dns_wr_init(&w, g, 12);
	dns_hdr_write(&w, &h);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(w.pos, 12);
	assert_lit(g, 12, "\276\357\244\011\000\001\001\002\000\000\377\377");
	struct dns_rd r;
	struct dns_hdr h2;
	dns_rd_init(&r, g, 12);
	cr_assert_eq(dns_hdr_parse(&r, &h2), 0);
	cr_assert_eq(memcmp(&h, &h2, sizeof(h)), 0);
	guard_free(g, 12);

	g = guard_new(NULL, 11);
	dns_wr_init(&w, g, 11);
	dns_hdr_write(&w, &h);
	cr_assert_eq(w.err, DP_ESPACE);
	guard_free(g, 11);
}

/* --------------------------------------------------------------- question */

static int q_parse(const void *b, size_t len, size_t pos, struct dns_question *q, size_t *end)
{
	uint8_t *g = guard_new(b, len);
	struct dns_rd r;
	dns_rd_init(&r, g, len);
	r.pos = pos;
	int rc = dns_question_parse(&r, q);
	if (end)
		*end = r.pos;
	guard_free(g, len);
	return rc;
}

Test(msg_question, parse)
{
	const char b[] = HDR QSOA;
	struct dns_question q;
	size_t end;
	cr_assert_eq(q_parse(b, sizeof(b) - 1, 12, &q, &end), 0);
	cr_assert_eq(q.name_len, 13);
	assert_lit(q.name, q.name_len, EXAMPLE_COM);
	cr_assert_eq(q.qtype, DNS_T_SOA);
	cr_assert_eq(q.qclass, DNS_C_IN);
	cr_assert_eq(end, 29);
}

Test(msg_question, parse_compressed_second_question)
{
	const char b[] = HDR QSOA "\003www\300\014\000\034\000\003";
	struct dns_question q;
	size_t end;
	cr_assert_eq(q_parse(b, sizeof(b) - 1, 29, &q, &end), 0);
	assert_lit(q.name, q.name_len, WWW_EXAMPLE_COM);
	cr_assert_eq(q.qtype, DNS_T_AAAA);
	cr_assert_eq(q.qclass, DNS_C_CH);
	cr_assert_eq(end, sizeof(b) - 1);
}

Test(msg_question, truncated_every_length)
{
	const char b[] = HDR QSOA;
	struct dns_question q;
	for (size_t len = 12; len < sizeof(b) - 1; len++)
		cr_assert_eq(q_parse(b, len, 12, &q, NULL), DP_ETRUNC, "len %zu", len);
}

Test(msg_question, bad_names)
{
	struct dns_question q;
	cr_assert_eq(q_parse(HDR "\100abc\000\000\001\000\001", 21, 12, &q, NULL), DP_ELABEL);
	cr_assert_eq(q_parse(HDR "\300\014\000\001\000\001", 18, 12, &q, NULL), DP_EPTR);
	cr_assert_eq(q_parse(HDR "\300\020\000\001\000\001", 18, 12, &q, NULL), DP_EPTR);
	uint8_t b[12 + 300];
	memset(b, 0, 12);
	size_t o = 12;
	for (int i = 0; i < 128; i++) {
		b[o++] = 1;
		b[o++] = 'a';
	}
	b[o++] = 0;
	memcpy(b + o, "\000\001\000\001", 4);
	o += 4;
	cr_assert_eq(q_parse(b, o, 12, &q, NULL), DP_ENAMELEN);
}

Test(msg_question, write_exact_with_compression)
{
	uint8_t buf[64];
	struct dns_wr w;
	struct dns_compr c;
	dns_compr_init(&c);
	dns_wr_init(&w, buf, sizeof(buf));
	dns_wr_bytes(&w, HDR, 12);
	struct dns_question q = { .qtype = DNS_T_SOA, .qclass = DNS_C_IN };
	memcpy(q.name, EXAMPLE_COM, 13);
	q.name_len = 13;
	dns_question_write(&w, &q, &c);
	cr_assert_eq(w.err, 0);
	assert_lit(buf + 12, w.pos - 12, QSOA);
	q.qtype = DNS_T_A;
	dns_question_write(&w, &q, &c);
	assert_lit(buf + 29, w.pos - 29, "\300\014\000\001\000\001");
	size_t p = w.pos;
	dns_question_write(&w, &q, NULL);
	assert_lit(buf + p, w.pos - p, EXAMPLE_COM "\000\001\000\001");
}

Test(msg_question, write_espace)
{
	struct dns_question q = { .qtype = DNS_T_SOA, .qclass = DNS_C_IN };
	memcpy(q.name, EXAMPLE_COM, 13);
	q.name_len = 13;
	for (size_t cap = 0; cap < 17; cap++) {
		uint8_t *g = guard_new(NULL, cap);
		struct dns_wr w;
		dns_wr_init(&w, g, cap);
		dns_question_write(&w, &q, NULL);
		cr_assert_eq(w.err, DP_ESPACE, "cap %zu", cap);
		guard_free(g, cap);
	}
}

/* --------------------------------------------------------------------- RR */

struct parsed {
	int rc;
	size_t end;
	struct dns_rr rr;
	uint8_t rd[DNS_RDATA_MAXLEN];
};

static struct parsed P;

/* Parses the RR at pos in a guarded copy of b[0..len). */
static int rr_parse_at(const void *b, size_t len, size_t pos)
{
	uint8_t *g = guard_new(b, len);
	struct dns_rd r;
	dns_rd_init(&r, g, len);
	r.pos = pos;
	memset(&P.rr, 0, sizeof(P.rr));
	P.rc = dns_rr_parse(&r, &P.rr, P.rd, sizeof(P.rd));
	P.end = r.pos;
	/* rdata must not point into the (soon unmapped) message */
	if (P.rc == 0 && P.rr.rdlen)
		cr_assert(P.rr.rdata >= P.rd && P.rr.rdata + P.rr.rdlen <= P.rd + sizeof(P.rd),
			  "rdata must point into rdbuf");
	guard_free(g, len);
	return P.rc;
}

#define MSG(rr) HDR QSOA rr
#define RRLEN(s) (sizeof(s) - 1)

Test(msg_rr, parse_a)
{
	const char b[] = MSG("\300\014\000\001\000\001" TTL "\000\004\300\000\002\001");
	cr_assert_eq(rr_parse_at(b, RRLEN(b), RR_AT), 0);
	assert_lit(P.rr.owner, P.rr.owner_len, EXAMPLE_COM);
	cr_assert_eq(P.rr.type, DNS_T_A);
	cr_assert_eq(P.rr.rclass, DNS_C_IN);
	cr_assert_eq(P.rr.ttl, 3600);
	assert_lit(P.rr.rdata, P.rr.rdlen, "\300\000\002\001");
	cr_assert_eq(P.end, RRLEN(b));
}

Test(msg_rr, parse_ttl_full_32_bits)
{
	const char b[] = MSG("\300\014\000\001\000\001\377\376\375\374\000\004\300\000\002\001");
	cr_assert_eq(rr_parse_at(b, RRLEN(b), RR_AT), 0);
	cr_assert_eq(P.rr.ttl, 0xfffefdfcu);
}

Test(msg_rr, parse_ns_decompresses_rdata)
{
	const char b[] = MSG("\300\014\000\002\000\001" TTL "\000\006\003ns1\300\014");
	cr_assert_eq(rr_parse_at(b, RRLEN(b), RR_AT), 0);
	cr_assert_eq(P.rr.type, DNS_T_NS);
	assert_lit(P.rr.rdata, P.rr.rdlen, "\003ns1" EXAMPLE_COM);
	cr_assert_eq(P.end, RRLEN(b));
}

Test(msg_rr, parse_mx_pointer_only_rdata)
{
	/* rdlength 4 on the wire, 15 octets once decompressed */
	const char b[] = MSG("\300\014\000\017\000\001" TTL "\000\004\000\012\300\014");
	cr_assert_eq(rr_parse_at(b, RRLEN(b), RR_AT), 0);
	assert_lit(P.rr.rdata, P.rr.rdlen, "\000\012" EXAMPLE_COM);
	cr_assert_eq(P.end, RRLEN(b));
}

Test(msg_rr, rdlength_past_end_of_message)
{
	const char b[] = MSG("\300\014\000\001\000\001" TTL "\000\005\300\000\002\001");
	cr_assert_eq(rr_parse_at(b, RRLEN(b), RR_AT), DP_ETRUNC);
	const char c[] = MSG("\300\014\000\001\000\001" TTL "\377\377\300\000\002\001");
	cr_assert_eq(rr_parse_at(c, RRLEN(c), RR_AT), DP_ETRUNC);
}

Test(msg_rr, truncated_at_every_offset)
{
	const char b[] =
		MSG("\003www\300\014\000\017\000\001" TTL "\000\011\000\012\004mail\300\014");
	for (size_t len = RR_AT; len < RRLEN(b); len++)
		cr_assert_eq(rr_parse_at(b, len, RR_AT), DP_ETRUNC, "len %zu: rc %d", len, P.rc);
	cr_assert_eq(rr_parse_at(b, RRLEN(b), RR_AT), 0);
}

Test(msg_rr, name_in_rdata_runs_past_rdlength)
{
	/*
	 * NS rdlength 5 covers only "\004mail"; the bytes after it would finish
	 * the name, but they belong to the next RR.
	 */
	const char b[] = MSG("\300\014\000\002\000\001" TTL "\000\005\004mail\300\014"
			     "\000\000\001\000\001" TTL "\000\000");
	int rc = rr_parse_at(b, RRLEN(b), RR_AT);
	cr_assert(rc == DP_ERDATA || rc == DP_ETRUNC, "rc %d", rc);
	/* the pointer's second octet is outside rdata */
	const char c[] = MSG("\300\014\000\002\000\001" TTL "\000\001\300\014");
	rc = rr_parse_at(c, RRLEN(c), RR_AT);
	cr_assert(rc == DP_ERDATA || rc == DP_ETRUNC, "rc %d", rc);
	/* MX: the name begins after the rdata */
	const char d[] = MSG("\300\014\000\017\000\001" TTL "\000\002\000\012\300\014");
	rc = rr_parse_at(d, RRLEN(d), RR_AT);
	cr_assert(rc == DP_ERDATA || rc == DP_ETRUNC, "rc %d", rc);
}

Test(msg_rr, rdlength_larger_than_layout)
{
	const char a[] = MSG("\300\014\000\001\000\001" TTL "\000\005\300\000\002\001\001");
	cr_assert_eq(rr_parse_at(a, RRLEN(a), RR_AT), DP_ERDATA);
	const char ns[] = MSG("\300\014\000\002\000\001" TTL "\000\003\300\014\000");
	cr_assert_eq(rr_parse_at(ns, RRLEN(ns), RR_AT), DP_ERDATA);
	const char mx[] = MSG("\300\014\000\017\000\001" TTL "\000\005\000\012\300\014\377");
	cr_assert_eq(rr_parse_at(mx, RRLEN(mx), RR_AT), DP_ERDATA);
}

Test(msg_rr, rdlength_smaller_than_layout)
{
	const char a[] = MSG("\300\014\000\001\000\001" TTL "\000\003\300\000\002");
	cr_assert_eq(rr_parse_at(a, RRLEN(a), RR_AT), DP_ERDATA);
	const char a0[] = MSG("\300\014\000\001\000\001" TTL "\000\000");
	cr_assert_eq(rr_parse_at(a0, RRLEN(a0), RR_AT), DP_ERDATA);
	const char soa[] = MSG("\300\014\000\006\000\001" TTL "\000\020"
			       "\300\014\300\014\000\000\000\001\000\000\000\002\000\000\000\003");
	cr_assert_eq(rr_parse_at(soa, RRLEN(soa), RR_AT), DP_ERDATA);
}

Test(msg_rr, bad_owner)
{
	const char b[] = MSG("\300\035\000\001\000\001" TTL "\000\004\300\000\002\001");
	cr_assert_eq(rr_parse_at(b, RRLEN(b), RR_AT), DP_EPTR);
	const char c[] = MSG("\200\000\001\000\001" TTL "\000\004\300\000\002\001");
	cr_assert_eq(rr_parse_at(c, RRLEN(c), RR_AT), DP_ELABEL);
}

Test(msg_rr, bad_name_in_rdata)
{
	const char b[] = MSG("\300\014\000\005\000\001" TTL "\000\002\300\100");
	cr_assert_eq(rr_parse_at(b, RRLEN(b), RR_AT), DP_EPTR);
	const char c[] = MSG("\300\014\000\005\000\001" TTL "\000\002\200\000");
	int rc = rr_parse_at(c, RRLEN(c), RR_AT);
	cr_assert(rc == DP_ELABEL || rc == DP_ERDATA, "rc %d", rc);
}

Test(msg_rr, unknown_type_opaque)
{
	/* rdata that looks like a pointer is returned verbatim */
	const char b[] = MSG("\300\014\375\350\000\001" TTL "\000\003\300\014\377");
	cr_assert_eq(rr_parse_at(b, RRLEN(b), RR_AT), 0);
	cr_assert_eq(P.rr.type, 65000);
	assert_lit(P.rr.rdata, P.rr.rdlen, "\300\014\377");
	const char e[] = MSG("\300\014\375\350\000\001" TTL "\000\000");
	cr_assert_eq(rr_parse_at(e, RRLEN(e), RR_AT), 0);
	cr_assert_eq(P.rr.rdlen, 0);
	cr_assert_eq(P.end, RRLEN(e));
}

Test(msg_rr, opt_is_opaque)
{
	const char b[] = MSG("\000\000\051\004\320\000\000\200\000\000\010"
			     "\000\003\000\000\000\012\000\000");
	cr_assert_eq(rr_parse_at(b, RRLEN(b), RR_AT), 0);
	cr_assert_eq(P.rr.owner_len, 1);
	cr_assert_eq(P.rr.type, DNS_T_OPT);
	cr_assert_eq(P.rr.rclass, 1232);
	cr_assert_eq(P.rr.ttl, 0x8000);
	assert_lit(P.rr.rdata, P.rr.rdlen, "\000\003\000\000\000\012\000\000");
}

Test(msg_rr, meta_types_are_opaque)
{
	/* "OPT and other meta types are returned as opaque rdata" (msg.h) */
	const char b[] = MSG("\000\000\372\000\377\000\000\000\000\000\003\377\376\375");
	cr_assert_eq(rr_parse_at(b, RRLEN(b), RR_AT), 0, "TSIG rc %d", P.rc);
	cr_assert_eq(P.rr.type, DNS_T_TSIG);
	assert_lit(P.rr.rdata, P.rr.rdlen, "\377\376\375");
	const char c[] = MSG("\000\000\377\000\001\000\000\000\000\000\002\300\014");
	cr_assert_eq(rr_parse_at(c, RRLEN(c), RR_AT), 0, "ANY rc %d", P.rc);
	assert_lit(P.rr.rdata, P.rr.rdlen, "\300\014");
}

Test(msg_rr, small_rdbuf_no_overflow)
{
	const char b[] = MSG("\300\014\000\002\000\001" TTL "\000\006\003ns1\300\014");
	uint8_t *m = guard_new(b, RRLEN(b));
	for (size_t cap = 0; cap < 17; cap++) {
		uint8_t *rd = guard_new(NULL, cap);
		struct dns_rd r;
		struct dns_rr rr;
		dns_rd_init(&r, m, RRLEN(b));
		r.pos = RR_AT;
		int rc = dns_rr_parse(&r, &rr, rd, cap);
		cr_assert_lt(rc, 0, "cap %zu", cap);
		guard_free(rd, cap);
	}
	uint8_t *rd = guard_new(NULL, 17);
	struct dns_rd r;
	struct dns_rr rr;
	dns_rd_init(&r, m, RRLEN(b));
	r.pos = RR_AT;
	cr_assert_eq(dns_rr_parse(&r, &rr, rd, 17), 0);
	cr_assert_eq(rr.rdlen, 17);
	guard_free(rd, 17);
	guard_free(m, RRLEN(b));
}

/* ------------------------------------------------------------------- skip */

static int skip_at(const void *b, size_t len, size_t pos, size_t *end)
{
	uint8_t *g = guard_new(b, len);
	struct dns_rd r;
	dns_rd_init(&r, g, len);
	r.pos = pos;
	int rc = dns_rr_skip(&r);
	*end = r.pos;
	guard_free(g, len);
	return rc;
}

Test(msg_skip, steps_over_rr)
{
	const char b[] =
		MSG("\003www\300\014\000\017\000\001" TTL "\000\011\000\012\004mail\300\014"
		    "\377");
	size_t end;
	cr_assert_eq(skip_at(b, RRLEN(b), RR_AT, &end), 0);
	cr_assert_eq(end, RRLEN(b) - 1);
}

Test(msg_skip, does_not_validate_rdata)
{
	const char b[] = MSG("\300\014\000\001\000\001" TTL "\000\005\001\002\003\004\005");
	size_t end;
	cr_assert_eq(skip_at(b, RRLEN(b), RR_AT, &end), 0);
	cr_assert_eq(end, RRLEN(b));
}

Test(msg_skip, truncated)
{
	const char b[] = MSG("\300\014\000\001\000\001" TTL "\000\005\001\002\003\004");
	size_t end;
	cr_assert_eq(skip_at(b, RRLEN(b), RR_AT, &end), DP_ETRUNC);
	const char c[] =
		MSG("\003www\300\014\000\017\000\001" TTL "\000\011\000\012\004mail\300\014");
	for (size_t len = RR_AT; len < RRLEN(c); len++)
		cr_assert_eq(skip_at(c, len, RR_AT, &end), DP_ETRUNC, "len %zu", len);
}

/* ------------------------------------------------------------------ write */

static void mk_rr(struct dns_rr *rr, const void *owner, size_t olen, uint16_t type,
		  const void *rdata, size_t rdlen)
{
	memset(rr, 0, sizeof(*rr));
	memcpy(rr->owner, owner, olen);
	rr->owner_len = (uint16_t)olen;
	rr->type = type;
	rr->rclass = DNS_C_IN;
	rr->ttl = 3600;
	rr->rdata = rdata;
	rr->rdlen = (uint16_t)rdlen;
}

static uint8_t wbuf[4096];

static void start_msg(struct dns_wr *w, struct dns_compr *c)
{
	dns_compr_init(c);
	dns_wr_init(w, wbuf, sizeof(wbuf));
	dns_wr_bytes(w, HDR, 12);
	struct dns_question q = { .qtype = DNS_T_SOA, .qclass = DNS_C_IN };
	memcpy(q.name, EXAMPLE_COM, 13);
	q.name_len = 13;
	dns_question_write(w, &q, c);
	cr_assert_eq(w->pos, RR_AT);
}

Test(msg_write, a_record_exact)
{
	struct dns_wr w;
	struct dns_compr c;
	struct dns_rr rr;
	start_msg(&w, &c);
	mk_rr(&rr, EXAMPLE_COM, 13, DNS_T_A, "\300\000\002\001", 4);
	dns_rr_write(&w, &rr, &c);
	cr_assert_eq(w.err, 0);
	assert_lit(wbuf + RR_AT, w.pos - RR_AT,
		   "\300\014\000\001\000\001" TTL "\000\004\300\000\002\001");
}

Test(msg_write, mx_rdlength_counts_compressed_octets)
{
	struct dns_wr w;
	struct dns_compr c;
	struct dns_rr rr;
	start_msg(&w, &c);
	mk_rr(&rr, WWW_EXAMPLE_COM, 17, DNS_T_MX, "\000\012\004mail" EXAMPLE_COM, 20);
	dns_rr_write(&w, &rr, &c);
	cr_assert_eq(w.err, 0);
	assert_lit(wbuf + RR_AT, w.pos - RR_AT,
		   "\003www\300\014\000\017\000\001" TTL "\000\011\000\012\004mail\300\014");
	/* a CNAME to the owner just written points at the owner */
	size_t p = w.pos;
	mk_rr(&rr, "\001x" EXAMPLE_COM, 15, DNS_T_CNAME, WWW_EXAMPLE_COM, 17);
	dns_rr_write(&w, &rr, &c);
	assert_lit(wbuf + p, w.pos - p, "\001x\300\014\000\005\000\001" TTL "\000\002\300\035");
}

Test(msg_write, srv_target_not_compressed)
{
	struct dns_wr w;
	struct dns_compr c;
	struct dns_rr rr;
	start_msg(&w, &c);
	mk_rr(&rr, EXAMPLE_COM, 13, DNS_T_SRV, "\000\000\000\005\023\304\003sip" EXAMPLE_COM, 23);
	dns_rr_write(&w, &rr, &c);
	cr_assert_eq(w.err, 0);
	assert_lit(wbuf + RR_AT, w.pos - RR_AT,
		   "\300\014\000\041\000\001" TTL
		   "\000\027\000\000\000\005\023\304\003sip" EXAMPLE_COM);
}

Test(msg_write, no_compression_without_table)
{
	struct dns_wr w;
	struct dns_compr c;
	struct dns_rr rr;
	start_msg(&w, &c);
	mk_rr(&rr, EXAMPLE_COM, 13, DNS_T_NS, "\003ns1" EXAMPLE_COM, 17);
	dns_rr_write(&w, &rr, NULL);
	cr_assert_eq(w.err, 0);
	assert_lit(wbuf + RR_AT, w.pos - RR_AT,
		   EXAMPLE_COM "\000\002\000\001" TTL "\000\021\003ns1" EXAMPLE_COM);
}

Test(msg_write, espace_every_capacity)
{
	struct dns_rr rr;
	mk_rr(&rr, EXAMPLE_COM, 13, DNS_T_MX, "\000\012\004mail" EXAMPLE_COM, 20);
	/* uncompressed: 13 + 10 + 20 = 43 */
	for (size_t cap = 0; cap < 43; cap++) {
		uint8_t *g = guard_new(NULL, cap);
		struct dns_wr w;
		dns_wr_init(&w, g, cap);
		dns_rr_write(&w, &rr, NULL);
		cr_assert_eq(w.err, DP_ESPACE, "cap %zu", cap);
		guard_free(g, cap);
	}
	uint8_t *g = guard_new(NULL, 43);
	struct dns_wr w;
	dns_wr_init(&w, g, 43);
	dns_rr_write(&w, &rr, NULL);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(w.pos, 43);
	guard_free(g, 43);
}

/* A whole response with compression, byte for byte, then parsed back. */
Test(msg_write, whole_response_exact_and_reparsed)
{
	uint8_t buf[512];
	struct dns_wr w;
	struct dns_compr c;
	dns_compr_init(&c);
	dns_wr_init(&w, buf, sizeof(buf));
	struct dns_hdr h = {
		.id = 0xbeef,
		.flags = DNS_F_QR | DNS_F_AA | DNS_F_RD,
		.qdcount = 1,
		.ancount = 2,
		.nscount = 1,
		.arcount = 1,
	};
	dns_hdr_write(&w, &h);
	struct dns_question q = { .qtype = DNS_T_A, .qclass = DNS_C_IN };
	memcpy(q.name, WWW_EXAMPLE_COM, 17);
	q.name_len = 17;
	dns_question_write(&w, &q, &c);
	struct dns_rr rr[4];
	mk_rr(&rr[0], WWW_EXAMPLE_COM, 17, DNS_T_CNAME, "\004host" EXAMPLE_COM, 18);
	mk_rr(&rr[1], "\004host" EXAMPLE_COM, 18, DNS_T_A, "\300\000\002\001", 4);
	mk_rr(&rr[2], EXAMPLE_COM, 13, DNS_T_NS, "\003ns1" EXAMPLE_COM, 17);
	mk_rr(&rr[3], "\003ns1" EXAMPLE_COM, 17, DNS_T_A, "\300\000\002\065", 4);
	rr[3].ttl = 86400;
	for (int i = 0; i < 4; i++)
		dns_rr_write(&w, &rr[i], &c);
	cr_assert_eq(w.err, 0);
	const char exp[] =
		"\276\357\205\000\000\001\000\002\000\001\000\001"
		/* 12 */ WWW_EXAMPLE_COM "\000\001\000\001"
		/* 33 */ "\300\014\000\005\000\001" TTL "\000\007\004host\300\020"
		/* 52 */ "\300\055\000\001\000\001" TTL "\000\004\300\000\002\001"
		/* 68 */ "\300\020\000\002\000\001" TTL "\000\006\003ns1\300\020"
		/* 86 */ "\300\120\000\001\000\001\000\001\121\200\000\004\300\000\002\065";
	assert_bytes(buf, w.pos, exp, sizeof(exp) - 1);

	struct dns_rd r;
	dns_rd_init(&r, buf, w.pos);
	struct dns_hdr h2;
	cr_assert_eq(dns_hdr_parse(&r, &h2), 0);
	cr_assert_eq(memcmp(&h, &h2, sizeof(h)), 0);
	struct dns_question q2;
	cr_assert_eq(dns_question_parse(&r, &q2), 0);
	assert_bytes(q2.name, q2.name_len, q.name, q.name_len);
	cr_assert_eq(q2.qtype, DNS_T_A);
	static uint8_t rdb[DNS_RDATA_MAXLEN];
	for (int i = 0; i < 4; i++) {
		struct dns_rr x;
		cr_assert_eq(dns_rr_parse(&r, &x, rdb, sizeof(rdb)), 0, "rr %d", i);
		assert_bytes(x.owner, x.owner_len, rr[i].owner, rr[i].owner_len);
		cr_assert_eq(x.type, rr[i].type);
		cr_assert_eq(x.rclass, rr[i].rclass);
		cr_assert_eq(x.ttl, rr[i].ttl);
		assert_bytes(x.rdata, x.rdlen, rr[i].rdata, rr[i].rdlen);
	}
	cr_assert_eq(r.pos, w.pos);
	cr_assert_eq(dns_rd_left(&r), 0);

	/* and skipping lands on the same offsets */
	dns_rd_init(&r, buf, w.pos);
	r.pos = 33;
	for (int i = 0; i < 4; i++)
		cr_assert_eq(dns_rr_skip(&r), 0);
	cr_assert_eq(r.pos, w.pos);
}
