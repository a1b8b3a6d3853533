/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_answer: any bytes as a query to the answer engine over a zone that
 * has one of each construct (CNAME chains and loops, wildcards, empty
 * non-terminals, delegations, DNAME, large RRsets, a child zone), and two
 * DNSSEC-signed zones (tests/unit/data/dnssec.{nsec,n3oo}.zone: NSEC, and
 * NSEC3 with opt-out) for queries with DO.
 *
 * Invariants: the engine stays inside the buffer and within the size limit;
 * every response parses completely, is a response (QR) to the query's ID;
 * answering over UDP in a burst gives the same bytes as one at a time; a
 * first-stage snapshot of the same zones (zone_snap_build_index) answers the
 * reference resolver's bytes, alone and in a burst; and
 * the prepared answers say exactly what the reference resolver says (the
 * same header and the same records in order, in canonical form: bytes may
 * differ where a name is compressed against a different suffix, and a name
 * compressed against the question takes the query's case).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "dns/msg.h"
#include "dns/name.h"
#include "dns/wire.h"
#include "dns/rrtype.h"
#include "zone/answer.h"
#include "zone/check.h"
#include "zone/load.h"

static const char parent_zone[] =
	"$ORIGIN example.\n$TTL 3600\n"
	"@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
	"@ NS ns1\n@ NS ns2.example.\n@ MX 10 mail\n@ A 192.0.2.1\n"
	"ns1 A 192.0.2.53\nns1 AAAA 2001:db8::53\nns2 A 192.0.2.54\n"
	"mail A 192.0.2.25\nmail AAAA 2001:db8::25\nwww A 192.0.2.80\nwww A 192.0.2.81\n"
	"alias1 CNAME alias2\nalias2 CNAME www\next CNAME target.example.net.\n"
	"dead CNAME nothere\nloop1 CNAME loop2\nloop2 CNAME loop1\n"
	"_sip._udp SRV 0 5 5060 sip\nsip A 192.0.2.60\nb.ent TXT \"x\"\n"
	"*.wild 600 A 192.0.2.99\n*.wild MX 5 mail\n*.wc CNAME www\nreal.wild TXT \"r\"\n"
	"sub NS ns.sub\nsub NS ns.elsewhere.net.\nns.sub A 192.0.2.200\nns.sub AAAA 2001:db8::200\n"
	"sub DS 12345 13 2 00000000000000000000000000000000000000000000000000000000000000ff\n"
	"dn DNAME example.net.\ndnin DNAME target\nwww.target A 192.0.2.90\n"
	"big TXT \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" "
	"\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"\n"
	"mxmany MX 1 m1\nmxmany MX 2 m2\nmxmany MX 3 m3\nmxmany MX 4 m4\nmxmany MX 5 m5\n"
	"mxmany MX 6 m6\nmxmany MX 7 m7\nmxmany MX 8 m8\nmxmany MX 9 m9\nmxmany MX 10 m10\n"
	"m1 A 198.51.100.1\nm1 AAAA 2001:db8::1\nm2 A 198.51.100.2\nm2 AAAA 2001:db8::2\n"
	"m3 A 198.51.100.3\nm3 AAAA 2001:db8::3\nm4 A 198.51.100.4\nm4 AAAA 2001:db8::4\n"
	"m5 A 198.51.100.5\nm5 AAAA 2001:db8::5\nm6 A 198.51.100.6\nm6 AAAA 2001:db8::6\n"
	"m7 A 198.51.100.7\nm7 AAAA 2001:db8::7\nm8 A 198.51.100.8\nm8 AAAA 2001:db8::8\n"
	"m9 A 198.51.100.9\nm9 AAAA 2001:db8::9\nm10 A 198.51.100.10\nm10 AAAA 2001:db8::10\n";

static const char child_zone[] = "$ORIGIN child.example.\n$TTL 60\n"
				 "@ SOA ns h 7 60 60 600 30\n@ NS ns\nns A 192.0.2.7\n"
				 "www A 192.0.2.77\n";

static struct zone_table *table;
/* The same zones as first-stage snapshots (zone_snap_build_index: no prepared answers). */
static struct zone_table *table_index;

static void setup(void)
{
	struct zone_diag d;
	zone_diag_init(&d, NULL, NULL);
	struct zone_contents *p = zone_load_string(parent_zone, sizeof(parent_zone) - 1,
						   "fuzz-parent", "example.", &d);
	struct zone_contents *c = zone_load_string(child_zone, sizeof(child_zone) - 1,
						   "fuzz-child", "child.example.", &d);
	FUZZ_CHECK(p && c);
	/* Two signed zones (NSEC, and NSEC3 with opt-out) for DO queries. */
	const char *dir = getenv("DPDNS_TESTDATA") ? getenv("DPDNS_TESTDATA") : FUZZ_TESTDATA;
	char path[2][512];
	snprintf(path[0], sizeof(path[0]), "%s/dnssec.nsec.zone", dir);
	snprintf(path[1], sizeof(path[1]), "%s/dnssec.n3oo.zone", dir);
	struct zone_contents *sn = zone_load_file(path[0], "nsec.test.", &d);
	struct zone_contents *s3 = zone_load_file(path[1], "n3oo.test.", &d);
	FUZZ_CHECK(sn && s3);
	struct zone_snap *si[4] = { zone_snap_build_index(zone_contents_ref(p)),
				    zone_snap_build_index(zone_contents_ref(c)),
				    zone_snap_build_index(zone_contents_ref(sn)),
				    zone_snap_build_index(zone_contents_ref(s3)) };
	struct zone_snap *s[4] = { zone_snap_build(p), zone_snap_build(c), zone_snap_build(sn),
				   zone_snap_build(s3) };
	FUZZ_CHECK(s[0] && s[1] && s[2] && s[3] && si[0] && si[1] && si[2] && si[3]);
	table = zone_table_new(s, 4);
	table_index = zone_table_new(si, 4);
	FUZZ_CHECK(table && table_index);
}

/*
 * Canonical content of a response: header words 1..5 and every record as
 * (lowercase owner, type, class, TTL, rdata).  Returns its length, or 0 when
 * the response does not parse (an invariant violation for the caller).
 */
static size_t canon(const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
	static uint8_t rd[65535];
	struct dns_rd r;
	dns_rd_init(&r, msg, len);
	struct dns_hdr h;
	if (dns_hdr_parse(&r, &h) < 0)
		return 0;
	struct dns_wr w;
	dns_wr_init(&w, out, cap);
	dns_wr_u16(&w, h.flags);
	dns_wr_u16(&w, h.qdcount);
	dns_wr_u16(&w, h.ancount);
	dns_wr_u16(&w, h.nscount);
	dns_wr_u16(&w, h.arcount);
	for (unsigned i = 0; i < h.qdcount; i++) {
		struct dns_question q;
		if (dns_question_parse(&r, &q) < 0)
			return 0;
		dns_wr_bytes(&w, q.name, q.name_len);
	}
	unsigned n = (unsigned)h.ancount + h.nscount + h.arcount;
	for (unsigned i = 0; i < n; i++) {
		struct dns_rr rr;
		if (dns_rr_parse(&r, &rr, rd, sizeof(rd)) < 0)
			return 0;
		/* Canonical form (RFC 4034 §6.2): names may take the query's case
		 * when compressed against it, and case is not significant. */
		dns_name_lower(rr.owner);
		dns_rdata_lower(rr.type, (uint8_t *)rd, rr.rdlen);
		dns_wr_bytes(&w, rr.owner, rr.owner_len);
		dns_wr_u16(&w, rr.type);
		dns_wr_u16(&w, rr.rclass);
		dns_wr_u32(&w, rr.ttl);
		dns_wr_u16(&w, rr.rdlen);
		dns_wr_bytes(&w, rr.rdata, rr.rdlen);
	}
	if (r.pos != len || w.err)
		return 0;
	return w.pos;
}

/* Octets of the record at p in canon's output (owner, type, class, TTL, rdlen, rdata). */
static size_t canon_rr_len(const uint8_t *p)
{
	size_t o = dns_name_len(p);
	return o + 10 + dns_get_u16(p + o + 8);
}

/*
 * Whether t, the canonical form of a response that set TC, says less than f
 * (that of the same query's response without TC) but nothing different: the
 * same header but for TC and the counts, the same question, and in each
 * section t's records in f's order, each of them one of f's.
 */
static bool canon_truncated_of(const uint8_t *t, size_t tn, const uint8_t *f, size_t fn)
{
	if (tn < 10 || fn < 10 || ((dns_get_u16(t) ^ dns_get_u16(f)) & ~DNS_F_TC) != 0 ||
	    dns_get_u16(t + 2) != dns_get_u16(f + 2))
		return false;
	size_t tp = 10, fp = 10;
	for (unsigned i = 0; i < dns_get_u16(t + 2); i++) {
		size_t l = dns_name_len(t + tp);
		if (l != dns_name_len(f + fp) || memcmp(t + tp, f + fp, l) != 0)
			return false;
		tp += l;
		fp += l;
	}
	for (unsigned sec = 0; sec < 3; sec++) {
		unsigned want = dns_get_u16(t + 4 + 2 * sec), have = dns_get_u16(f + 4 + 2 * sec);
		unsigned matched = 0;
		for (unsigned k = 0; k < have; k++) {
			size_t fl = canon_rr_len(f + fp);
			if (matched < want && canon_rr_len(t + tp) == fl && memcmp(t + tp, f + fp, fl) == 0) {
				tp += fl;
				matched++;
			}
			fp += fl;
		}
		if (matched != want)
			return false;
	}
	return tp == tn && fp == fn;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t a[65536], b[65536], ca[131072], cb[131072];
	if (!table)
		setup();
	if (size > 4096)
		return 0;
	/* The first octet picks UDP or TCP; the rest is the query. */
	bool tcp = size > 0 && (data[0] & 1);
	if (size > 0) {
		data++;
		size--;
	}
	struct answer_cfg cfg;
	zone_answer_cfg_init(&cfg);
	cfg.identity = "fuzz.example";
	cfg.version = "dpdns-fuzz";
	cfg.nsid = (const uint8_t *)"fuzz";
	cfg.nsid_len = 4;
	size_t cap = tcp ? sizeof(a) : 4096;

	struct answer_info ia, ib;
	memcpy(a, data, size);
	size_t la = zone_answer(table, &cfg, a, size, cap, tcp, &ia);
	FUZZ_CHECK(la <= cap && la <= 65535);
	if (!tcp)
		FUZZ_CHECK(la <= 4096);
	if (la == 0)
		FUZZ_CHECK(ia.drop != ANSWER_SENT);
	if (la > 0) {
		FUZZ_CHECK(la >= DNS_HDR_LEN);
		FUZZ_CHECK(a[0] == data[0] && a[1] == data[1]); /* the query's ID */
		FUZZ_CHECK(a[2] & 0x80);                        /* QR */
		size_t n = canon(a, la, ca, sizeof(ca));
		FUZZ_CHECK(n > 0); /* the response parses completely */

		/* The reference resolver says the same. */
		memcpy(b, data, size);
		cfg.reference_only = true;
		size_t lb = zone_answer(table, &cfg, b, size, cap, tcp, &ib);
		cfg.reference_only = false;
		FUZZ_CHECK(lb > 0);
		size_t m = canon(b, lb, cb, sizeof(cb));
		/* At the size limit the two may differ in what fits when one compresses
		 * better: a record that fits in one may not in the other, which then sets
		 * TC.  This target found one such case (a DO referral under a 43-label
		 * question at 512 octets: the resolver seeded only the question's 32
		 * longest suffixes; fixed, and the input stays in the corpus); a full
		 * compression table could still make one.  Then the truncated one must
		 * say less than the other, nothing different. */
		if (ia.tc == ib.tc)
			FUZZ_CHECK(m == n && memcmp(ca, cb, n) == 0);
		else if (ia.tc)
			FUZZ_CHECK(canon_truncated_of(ca, n, cb, m));
		else
			FUZZ_CHECK(canon_truncated_of(cb, m, ca, n));
		FUZZ_CHECK(ia.rcode == ib.rcode);

		/* A first-stage snapshot answers with the reference resolver: the same bytes,
		 * alone and in a burst. */
		static uint8_t c[65536];
		struct answer_info ic;
		memcpy(c, data, size);
		size_t lc = zone_answer(table_index, &cfg, c, size, cap, tcp, &ic);
		FUZZ_CHECK(lc == lb && memcmp(b, c, lb) == 0);
		if (size <= UINT16_MAX) {
			memcpy(c, data, size);
			uint8_t *pk[1] = { c };
			uint16_t ln[1] = { (uint16_t)size };
			zone_answer_burst(table_index, &cfg, pk, ln, cap, tcp, &ic, 1);
			FUZZ_CHECK(ln[0] == lb && memcmp(b, c, lb) == 0);
		}
	}

	/* A burst of one answers the same bytes as zone_answer. */
	if (size <= UINT16_MAX) {
		memcpy(b, data, size);
		uint8_t *pkts[1] = { b };
		uint16_t lens[1] = { (uint16_t)size };
		zone_answer_burst(table, &cfg, pkts, lens, cap, tcp, &ib, 1);
		FUZZ_CHECK(lens[0] == la && memcmp(a, b, la) == 0);
	}
	return 0;
}
