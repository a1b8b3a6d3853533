/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transfer client's protocol core (src/xfr/xfr.h) against hand-built
 * replies from a scripted primary (xfrtest.h), signed by libknot: SOA check,
 * AXFR in one and many messages, IXFR incremental / up to date / AXFR-style,
 * every kind of broken stream, TSIG on every message, on every Nth, with a
 * wrong key, without the final signature, and outside the time fudge.
 */
#include "xfrtest.h"

#include "dns/errcode.h"

static struct xfr_tsig_key key, wrong_key;
static uint8_t origin[DNS_NAME_MAXLEN];
static uint8_t *q, *m; /* query and reply buffers */

static void setup(void)
{
	cr_assert_eq(xfr_tsig_key_init(&key, XT_KEY, "hmac-sha256", XT_SECRET), 0);
	cr_assert_eq(xfr_tsig_key_init(&wrong_key, XT_KEY, "hmac-sha256", XT_WRONG), 0);
	tn(origin, "example.com");
	q = malloc(XT_MSG_CAP);
	m = malloc(XT_MSG_CAP);
	cr_assert(q && m);
}

static void teardown(void)
{
	xfr_tsig_key_deinit(&key);
	xfr_tsig_key_deinit(&wrong_key);
	free(q);
	free(m);
}

TestSuite(xfr_soa, .init = setup, .fini = teardown);
TestSuite(xfr_axfr, .init = setup, .fini = teardown);
TestSuite(xfr_ixfr, .init = setup, .fini = teardown);
TestSuite(xfr_misc, .init = setup, .fini = teardown);

/* A session of type, its query built (ID 0x1234), the primary primed with it. */
static struct xfr_session *start(enum xfr_type type, const struct xfr_tsig_key *k,
				 const char *prim_secret, struct prim *p,
				 const struct xfr_limits *lim, uint32_t serial)
{
	struct xfr_session *s = xfr_session_new(origin, type, k, lim);
	cr_assert(s);
	if (type == XFR_IXFR)
		xfr_session_set_serial(s, serial);
	int len = xfr_session_query(s, 0x1234, xt_now(), q, XT_MSG_CAP);
	cr_assert_gt(len, 0, "query: %s", dp_strerror(len));
	prim_init(p, q, (size_t)len, prim_secret);
	return s;
}

/* Sends records rrs[0..n) as one message; returns what feed said. */
static int feed_rrs(struct xfr_session *s, struct prim *p, const struct trr *rrs, size_t n,
		    unsigned rcode, bool sign)
{
	size_t len = prim_msg(p, m, rrs, n, rcode, sign);
	return xfr_session_feed(s, m, len, xt_now());
}

/* --------------------------------------------------------------- SOA */

Test(xfr_soa, query_layout)
{
	struct xfr_session *s = xfr_session_new(origin, XFR_SOA, NULL, NULL);
	int len = xfr_session_query(s, 0xabcd, xt_now(), q, 512);
	cr_assert_gt(len, 0);
	struct dns_rd r;
	struct dns_hdr h;
	struct dns_question qq;
	dns_rd_init(&r, q, (size_t)len);
	cr_assert_eq(dns_hdr_parse(&r, &h), 0);
	cr_assert_eq(h.id, 0xabcd);
	cr_assert_eq(h.flags, 0, "QUERY, RD clear");
	cr_assert_eq(h.qdcount, 1);
	cr_assert_eq(h.ancount + h.nscount + h.arcount, 0);
	cr_assert_eq(dns_question_parse(&r, &qq), 0);
	cr_assert(dns_name_eq(qq.name, origin));
	cr_assert_eq(qq.qtype, DNS_T_SOA);
	cr_assert_eq(qq.qclass, DNS_C_IN);
	cr_assert_eq(r.pos, (size_t)len);
	cr_assert_eq(xfr_session_query(s, 1, 0, q, 20), DP_ESPACE);
	xfr_session_free(s);
}

Test(xfr_soa, answer_signed)
{
	struct prim p;
	struct xfr_session *s = start(XFR_SOA, &key, XT_SECRET, &p, NULL, 0);
	struct trr a[] = { xt_soa(2024010101) };
	cr_assert_eq(feed_rrs(s, &p, a, 1, 0, true), XFR_DONE, "%s", xfr_session_errmsg(s));
	struct xfr_stats st;
	xfr_session_stats(s, &st);
	cr_assert_eq(st.kind, XFR_KIND_SOA);
	cr_assert_eq(st.serial, 2024010101u);
	cr_assert(xfr_session_done(s));
	cr_assert_eq(xfr_session_eof(s), 0);
	cr_assert_eq(feed_rrs(s, &p, a, 1, 0, true), DP_EXFR_STATE);
	prim_deinit(&p);
	xfr_session_free(s);
}

Test(xfr_soa, errors)
{
	struct prim p;
	struct trr soa[] = { xt_soa(7) };
	struct trr notsoa[] = { xt_a("example.com", 1), xt_soa_of("sub.example.com", 3) };

	/* RCODE */
	struct xfr_session *s = start(XFR_SOA, NULL, NULL, &p, NULL, 0);
	cr_assert_eq(feed_rrs(s, &p, NULL, 0, DNS_R_SERVFAIL, true), DP_EXFR_RCODE);
	struct xfr_stats st;
	xfr_session_stats(s, &st);
	cr_assert_eq(st.rcode, DNS_R_SERVFAIL);
	cr_assert(strstr(xfr_session_errmsg(s), "SERVFAIL"), "%s", xfr_session_errmsg(s));
	prim_deinit(&p);

	/* TC: retry over TCP, with the same session */
	int len = xfr_session_query(s, 0x1234, xt_now(), q, 512);
	prim_init(&p, q, (size_t)len, NULL);
	p.flags |= DNS_F_TC;
	cr_assert_eq(feed_rrs(s, &p, NULL, 0, 0, true), DP_EXFR_TC);
	prim_deinit(&p);
	len = xfr_session_query(s, 0x1234, xt_now(), q, 512);
	prim_init(&p, q, (size_t)len, NULL);
	cr_assert_eq(feed_rrs(s, &p, soa, 1, 0, true), XFR_DONE);
	prim_deinit(&p);

	/* ID mismatch: the message is not ours and the session waits on */
	len = xfr_session_query(s, 0x1234, xt_now(), q, 512);
	prim_init(&p, q, (size_t)len, NULL);
	p.id = 0x4321;
	cr_assert_eq(feed_rrs(s, &p, soa, 1, 0, true), DP_EXFR_ID);
	p.id = 0x1234;
	p.nsent = 0;
	cr_assert_eq(feed_rrs(s, &p, soa, 1, 0, true), XFR_DONE, "%s", xfr_session_errmsg(s));
	prim_deinit(&p);

	/* a query, not a reply; a different question */
	len = xfr_session_query(s, 0x1234, xt_now(), q, 512);
	cr_assert_eq(xfr_session_feed(s, q, (size_t)len, xt_now()), DP_EXFR_QUESTION);
	prim_init(&p, q, (size_t)len, NULL);
	p.qtype = DNS_T_A;
	cr_assert_eq(feed_rrs(s, &p, soa, 1, 0, true), DP_EXFR_QUESTION);
	prim_deinit(&p);

	/* not authoritative; no SOA of the zone */
	len = xfr_session_query(s, 0x1234, xt_now(), q, 512);
	prim_init(&p, q, (size_t)len, NULL);
	p.flags = 0;
	cr_assert_eq(feed_rrs(s, &p, soa, 1, 0, true), DP_EXFR_NOTAUTH);
	prim_deinit(&p);
	len = xfr_session_query(s, 0x1234, xt_now(), q, 512);
	prim_init(&p, q, (size_t)len, NULL);
	cr_assert_eq(feed_rrs(s, &p, notsoa, 2, 0, true), DP_EXFR_NOSOA);
	prim_deinit(&p);

	/* shorter than a header */
	len = xfr_session_query(s, 0x1234, xt_now(), q, 512);
	cr_assert_eq(xfr_session_feed(s, q, 5, xt_now()), DP_ETRUNC);
	xfr_session_free(s);
}

Test(xfr_soa, tsig_failures)
{
	struct prim p;
	struct trr soa[] = { xt_soa(7) };

	/* signed with another secret */
	struct xfr_session *s = start(XFR_SOA, &key, XT_WRONG, &p, NULL, 0);
	cr_assert_eq(feed_rrs(s, &p, soa, 1, 0, true), XFR_TSIG_EBADSIG);
	prim_deinit(&p);
	/* not signed at all */
	xfr_session_free(s);
	s = start(XFR_SOA, &key, NULL, &p, NULL, 0);
	cr_assert_eq(feed_rrs(s, &p, soa, 1, 0, true), XFR_TSIG_ENOSIG);
	prim_deinit(&p);
	/* signed, but our clock is 1000 s ahead */
	xfr_session_free(s);
	s = start(XFR_SOA, &key, XT_SECRET, &p, NULL, 0);
	size_t len = prim_msg(&p, m, soa, 1, 0, true);
	cr_assert_eq(xfr_session_feed(s, m, len, xt_now() + 1000), XFR_TSIG_EBADTIME);
	prim_deinit(&p);
	xfr_session_free(s);
}

/* -------------------------------------------------------------- AXFR */

/* A zone of n records: SOA, NS, then A records h0..h(n-3). */
static struct trr *zone_rrs(uint32_t serial, size_t n)
{
	struct trr *z = calloc(n + 1, sizeof(*z));
	cr_assert(z);
	z[0] = xt_soa(serial);
	z[1] = xt_ns("ns.example.com");
	for (size_t i = 2; i < n; i++) {
		char o[64];
		snprintf(o, sizeof(o), "h%zu.example.com", i - 2);
		z[i] = xt_a(o, (uint8_t)i);
	}
	z[n] = xt_soa(serial); /* the closing SOA */
	return z;
}

/*
 * Sends the zone's n + 1 records in messages of per records, signing message
 * k when k % every == 0, and the last one when sign_last (every 1: all signed).
 * Returns the last feed result; *fed the messages fed.
 */
static int send_stream(struct xfr_session *s, struct prim *p, const struct trr *z, size_t total,
		       size_t per, unsigned every, bool sign_last, size_t *fed)
{
	int rc = XFR_MORE;
	size_t i = 0, k = 0;
	while (i < total && rc == XFR_MORE) {
		size_t n = total - i < per ? total - i : per;
		bool last = i + n == total;
		bool sign = last ? sign_last : k % every == 0;
		rc = feed_rrs(s, p, z + i, n, 0, sign);
		i += n;
		k++;
	}
	if (fed)
		*fed = k;
	return rc;
}

Test(xfr_axfr, one_message)
{
	struct prim p;
	struct sink_log *log = calloc(1, sizeof(*log));
	struct xfr_session *s = start(XFR_AXFR, NULL, NULL, &p, NULL, 0);
	xfr_session_set_sink(s, sink_log_fn, log);
	struct trr *z = zone_rrs(5, 10);
	cr_assert_eq(feed_rrs(s, &p, z, 11, 0, true), XFR_DONE, "%s", xfr_session_errmsg(s));
	struct xfr_stats st;
	xfr_session_stats(s, &st);
	cr_assert_eq(st.kind, XFR_KIND_AXFR);
	cr_assert_eq(st.serial, 5);
	cr_assert_eq(st.records, 11);
	cr_assert_eq(st.messages, 1);
	cr_assert_gt(st.bytes, 11 * 10);
	cr_assert_eq(log->n, 10, "the sink gets every record once, without the closing SOA");
	cr_assert_eq(log->types[0], DNS_T_SOA);
	cr_assert_eq(log->soa_serial[0], 5);
	cr_assert_eq(log->types[1], DNS_T_NS);
	for (size_t i = 2; i < 10; i++)
		cr_assert_eq(log->types[i], DNS_T_A);
	cr_assert(dns_name_eq(log->owners[9], z[9].owner));
	cr_assert_null(xfr_session_take_changesets(s, NULL));
	free(z);
	free(log);
	prim_deinit(&p);
	xfr_session_free(s);
}

Test(xfr_axfr, many_messages_tsig_every_message)
{
	struct prim p;
	struct sink_log *log = calloc(1, sizeof(*log));
	struct xfr_session *s = start(XFR_AXFR, &key, XT_SECRET, &p, NULL, 0);
	xfr_session_set_sink(s, sink_log_fn, log);
	struct trr *z = zone_rrs(9, 1000);
	size_t fed;
	cr_assert_eq(send_stream(s, &p, z, 1001, 7, 1, true, &fed), XFR_DONE, "%s",
		     xfr_session_errmsg(s));
	struct xfr_stats st;
	xfr_session_stats(s, &st);
	cr_assert_eq(st.messages, fed);
	cr_assert_eq(fed, 143);
	cr_assert_eq(st.records, 1001);
	cr_assert_eq(log->n, 1000);
	free(z);
	free(log);
	prim_deinit(&p);
	xfr_session_free(s);
}

Test(xfr_axfr, tsig_every_nth_message)
{
	unsigned every[] = { 2, 5, 50, 100 }; /* 100: 99 unsigned in a row, the most allowed */
	for (size_t e = 0; e < sizeof(every) / sizeof(every[0]); e++) {
		struct prim p;
		struct xfr_session *s = start(XFR_AXFR, &key, XT_SECRET, &p, NULL, 0);
		struct trr *z = zone_rrs(9, 1500);
		cr_assert_eq(send_stream(s, &p, z, 1501, 3, every[e], true, NULL), XFR_DONE,
			     "every %u: %s", every[e], xfr_session_errmsg(s));
		free(z);
		prim_deinit(&p);
		xfr_session_free(s);
	}
	/* 100 unsigned in a row is one too many (RFC 8945 §5.3.1) */
	struct prim p;
	struct xfr_session *s = start(XFR_AXFR, &key, XT_SECRET, &p, NULL, 0);
	struct trr *z = zone_rrs(9, 400);
	cr_assert_eq(send_stream(s, &p, z, 401, 3, 101, true, NULL), XFR_TSIG_ENOSIG);
	free(z);
	prim_deinit(&p);
	xfr_session_free(s);
}

Test(xfr_axfr, tsig_missing_final_signature)
{
	struct prim p;
	struct xfr_session *s = start(XFR_AXFR, &key, XT_SECRET, &p, NULL, 0);
	struct trr *z = zone_rrs(9, 100);
	cr_assert_eq(send_stream(s, &p, z, 101, 10, 3, false, NULL), XFR_TSIG_ENOSIG);
	cr_assert(!xfr_session_done(s));
	cr_assert(strstr(xfr_session_errmsg(s), "last message"), "%s", xfr_session_errmsg(s));
	free(z);
	prim_deinit(&p);
	xfr_session_free(s);
}

Test(xfr_axfr, tsig_wrong_key_and_badtime)
{
	struct prim p;
	struct trr *z = zone_rrs(9, 30);
	/* the primary signs with another secret */
	struct xfr_session *s = start(XFR_AXFR, &key, XT_WRONG, &p, NULL, 0);
	cr_assert_eq(send_stream(s, &p, z, 31, 10, 1, true, NULL), XFR_TSIG_EBADSIG);
	prim_deinit(&p);
	xfr_session_free(s);
	/* we sign with another secret: the primary's reply does not verify either */
	s = start(XFR_AXFR, &wrong_key, XT_SECRET, &p, NULL, 0);
	cr_assert_eq(send_stream(s, &p, z, 31, 10, 1, true, NULL), XFR_TSIG_EBADSIG);
	prim_deinit(&p);
	xfr_session_free(s);
	/* a later message outside the fudge */
	s = start(XFR_AXFR, &key, XT_SECRET, &p, NULL, 0);
	size_t len = prim_msg(&p, m, z, 10, 0, true);
	cr_assert_eq(xfr_session_feed(s, m, len, xt_now()), XFR_MORE);
	len = prim_msg(&p, m, z + 10, 10, 0, true);
	cr_assert_eq(xfr_session_feed(s, m, len, xt_now() + 301 + 5), XFR_TSIG_EBADTIME);
	prim_deinit(&p);
	xfr_session_free(s);
	/* an unsigned NOTAUTH: reported as the RCODE it is, noting the missing TSIG */
	s = start(XFR_AXFR, &key, NULL, &p, NULL, 0);
	len = prim_msg(&p, m, NULL, 0, DNS_R_NOTAUTH, true);
	cr_assert_eq(xfr_session_feed(s, m, len, xt_now()), DP_EXFR_RCODE);
	cr_assert(strstr(xfr_session_errmsg(s), "NOTAUTH (TSIG not verified)"), "%s",
		  xfr_session_errmsg(s));
	prim_deinit(&p);
	xfr_session_free(s);
	free(z);
}

Test(xfr_axfr, broken_streams)
{
	struct prim p;
	struct xfr_session *s;
	struct trr *z = zone_rrs(9, 20);

	/* first record not SOA */
	s = start(XFR_AXFR, NULL, NULL, &p, NULL, 0);
	cr_assert_eq(feed_rrs(s, &p, z + 1, 20, 0, true), DP_EXFR_FORMAT);
	prim_deinit(&p);
	xfr_session_free(s);

	/* closing SOA of another serial */
	s = start(XFR_AXFR, NULL, NULL, &p, NULL, 0);
	z[20] = xt_soa(10);
	cr_assert_eq(feed_rrs(s, &p, z, 21, 0, true), DP_EXFR_FORMAT);
	cr_assert(strstr(xfr_session_errmsg(s), "closing SOA"), "%s", xfr_session_errmsg(s));
	z[20] = xt_soa(9);
	prim_deinit(&p);
	xfr_session_free(s);

	/* a record after the closing SOA, in the same message */
	s = start(XFR_AXFR, NULL, NULL, &p, NULL, 0);
	struct trr more[22];
	memcpy(more, z, 21 * sizeof(*z));
	more[21] = xt_a("late.example.com", 1);
	cr_assert_eq(feed_rrs(s, &p, more, 22, 0, true), DP_EXFR_FORMAT);
	prim_deinit(&p);
	xfr_session_free(s);

	/* outside the zone; another class; SOA below the apex; a meta type */
	struct trr bad[4] = { xt_a("example.net", 1), xt_a("x.example.com", 1),
			      xt_soa_of("x.example.com", 9), xt_a("y.example.com", 1) };
	bad[1].rclass = DNS_C_CH;
	bad[3].type = DNS_T_TSIG;
	bad[3].rdlen = 0;
	int expect[4] = { DP_EXFR_OUTSIDE, DP_EXFR_OUTSIDE, DP_EXFR_FORMAT, DP_EXFR_FORMAT };
	for (int i = 0; i < 4; i++) {
		s = start(XFR_AXFR, NULL, NULL, &p, NULL, 0);
		struct trr two[2] = { z[0], bad[i] };
		int rc = feed_rrs(s, &p, two, 2, 0, true);
		cr_assert_eq(rc, expect[i], "case %d: %d %s", i, rc, xfr_session_errmsg(s));
		prim_deinit(&p);
		xfr_session_free(s);
	}

	/* the stream ends early */
	s = start(XFR_AXFR, NULL, NULL, &p, NULL, 0);
	cr_assert_eq(feed_rrs(s, &p, z, 15, 0, true), XFR_MORE);
	cr_assert_eq(xfr_session_eof(s), DP_EXFR_EOF);
	cr_assert_eq(xfr_session_error(s), DP_EXFR_EOF);
	prim_deinit(&p);
	xfr_session_free(s);

	/* TC on a TCP stream; a later message with the wrong ID or question */
	s = start(XFR_AXFR, NULL, NULL, &p, NULL, 0);
	p.flags |= DNS_F_TC;
	cr_assert_eq(feed_rrs(s, &p, z, 5, 0, true), DP_EXFR_FORMAT);
	prim_deinit(&p);
	xfr_session_free(s);
	s = start(XFR_AXFR, NULL, NULL, &p, NULL, 0);
	cr_assert_eq(feed_rrs(s, &p, z, 5, 0, true), XFR_MORE);
	p.id++;
	cr_assert_eq(feed_rrs(s, &p, z + 5, 5, 0, true), DP_EXFR_ID);
	prim_deinit(&p);
	xfr_session_free(s);
	s = start(XFR_AXFR, NULL, NULL, &p, NULL, 0);
	p.qtype = DNS_T_IXFR;
	cr_assert_eq(feed_rrs(s, &p, z, 5, 0, true), DP_EXFR_QUESTION);
	prim_deinit(&p);
	xfr_session_free(s);

	/* the sink rejects a record */
	struct sink_log *log = calloc(1, sizeof(*log));
	log->fail_at = 4;
	s = start(XFR_AXFR, NULL, NULL, &p, NULL, 0);
	xfr_session_set_sink(s, sink_log_fn, log);
	cr_assert_eq(feed_rrs(s, &p, z, 21, 0, true), DP_EZONE);
	cr_assert(strstr(xfr_session_errmsg(s), "rejected"), "%s", xfr_session_errmsg(s));
	prim_deinit(&p);
	xfr_session_free(s);
	free(log);

	/* garbage after the header */
	s = start(XFR_AXFR, NULL, NULL, &p, NULL, 0);
	size_t len = prim_msg(&p, m, z, 3, 0, true);
	cr_assert_lt(xfr_session_feed(s, m, len - 3, xt_now()), 0);
	prim_deinit(&p);
	xfr_session_free(s);
	free(z);
}

Test(xfr_axfr, limits)
{
	struct prim p;
	struct trr *z = zone_rrs(9, 100);
	struct xfr_limits l1 = { .max_records = 100 }, l2 = { .max_records = 101 };
	struct xfr_limits l3 = { .max_messages = 10 }, l4 = { .max_bytes = 2000 };
	struct xfr_session *s = start(XFR_AXFR, NULL, NULL, &p, &l1, 0);
	cr_assert_eq(send_stream(s, &p, z, 101, 10, 1, true, NULL), DP_EXFR_LIMIT);
	prim_deinit(&p);
	xfr_session_free(s);
	s = start(XFR_AXFR, NULL, NULL, &p, &l2, 0);
	cr_assert_eq(send_stream(s, &p, z, 101, 10, 1, true, NULL), XFR_DONE);
	prim_deinit(&p);
	xfr_session_free(s);
	s = start(XFR_AXFR, NULL, NULL, &p, &l3, 0);
	cr_assert_eq(send_stream(s, &p, z, 101, 10, 1, true, NULL), DP_EXFR_LIMIT);
	cr_assert(strstr(xfr_session_errmsg(s), "messages"), "%s", xfr_session_errmsg(s));
	prim_deinit(&p);
	xfr_session_free(s);
	s = start(XFR_AXFR, NULL, NULL, &p, &l4, 0);
	cr_assert_eq(send_stream(s, &p, z, 101, 10, 1, true, NULL), DP_EXFR_LIMIT);
	cr_assert(strstr(xfr_session_errmsg(s), "octets"), "%s", xfr_session_errmsg(s));
	prim_deinit(&p);
	xfr_session_free(s);
	free(z);
}

/* -------------------------------------------------------------- IXFR */

Test(xfr_ixfr, query_carries_our_soa)
{
	struct xfr_session *s = xfr_session_new(origin, XFR_IXFR, NULL, NULL);
	cr_assert_eq(xfr_session_query(s, 1, 0, q, 512), DP_EINVAL, "IXFR needs our serial");
	xfr_session_set_serial(s, 0x01020304);
	int len = xfr_session_query(s, 0x55aa, 0, q, 512);
	cr_assert_gt(len, 0);
	struct dns_rd r;
	struct dns_hdr h;
	struct dns_question qq;
	struct dns_rr rr;
	uint8_t rd[512];
	dns_rd_init(&r, q, (size_t)len);
	cr_assert_eq(dns_hdr_parse(&r, &h), 0);
	cr_assert_eq(h.qdcount, 1);
	cr_assert_eq(h.nscount, 1);
	cr_assert_eq(dns_question_parse(&r, &qq), 0);
	cr_assert_eq(qq.qtype, DNS_T_IXFR);
	cr_assert_eq(dns_rr_parse(&r, &rr, rd, sizeof(rd)), 0);
	cr_assert_eq(rr.type, DNS_T_SOA);
	cr_assert(dns_name_eq(rr.owner, origin));
	cr_assert_eq(xfr_soa_serial(rr.rdata, rr.rdlen), 0x01020304);
	cr_assert_eq(r.pos, (size_t)len);
	xfr_session_free(s);
}

static void check_rr(const struct xfr_rr *x, const char *owner, uint16_t type)
{
	uint8_t o[DNS_NAME_MAXLEN];
	tn(o, owner);
	cr_assert(dns_name_eq(x->owner, o));
	cr_assert_eq(x->type, type);
	cr_assert_eq(x->rclass, DNS_C_IN);
}

Test(xfr_ixfr, one_changeset)
{
	struct prim p;
	struct xfr_session *s = start(XFR_IXFR, &key, XT_SECRET, &p, NULL, 10);
	struct trr a[] = { xt_soa(11),
			   xt_soa(10),
			   xt_a("Old.example.com", 1),
			   xt_soa(11),
			   xt_a("new.example.com", 2),
			   xt_a("new2.example.com", 3),
			   xt_soa(11) };
	cr_assert_eq(feed_rrs(s, &p, a, 7, 0, true), XFR_DONE, "%s", xfr_session_errmsg(s));
	struct xfr_stats st;
	xfr_session_stats(s, &st);
	cr_assert_eq(st.kind, XFR_KIND_IXFR);
	cr_assert_eq(st.serial, 11);
	cr_assert_eq(st.changesets, 1);
	cr_assert_eq(st.records, 7);
	size_t n;
	struct xfr_changeset *cs = xfr_session_take_changesets(s, &n);
	cr_assert_eq(n, 1);
	cr_assert(cs);
	cr_assert_eq(cs->serial_from, 10);
	cr_assert_eq(cs->serial_to, 11);
	cr_assert_eq(xfr_soa_serial(cs->soa_from.rdata, cs->soa_from.rdlen), 10);
	cr_assert_eq(xfr_soa_serial(cs->soa_to.rdata, cs->soa_to.rdlen), 11);
	cr_assert_eq(cs->nremoved, 1);
	check_rr(&cs->removed[0], "old.example.com", DNS_T_A);
	assert_lit(cs->removed[0].owner, cs->removed[0].owner_len, "\003old\007example\003com\000");
	assert_lit(cs->removed[0].rdata, cs->removed[0].rdlen, "\306\022\000\001");
	cr_assert_eq(cs->nadded, 2);
	check_rr(&cs->added[0], "new.example.com", DNS_T_A);
	check_rr(&cs->added[1], "new2.example.com", DNS_T_A);
	cr_assert_null(cs->next);
	/* taken: the session has them no more */
	cr_assert_null(xfr_session_take_changesets(s, &n));
	xfr_changeset_list_free(cs);
	prim_deinit(&p);
	xfr_session_free(s);
}

Test(xfr_ixfr, three_changesets_many_messages_every_other_signed)
{
	struct prim p;
	struct xfr_session *s = start(XFR_IXFR, &key, XT_SECRET, &p, NULL, 4294967295u);
	/* across the serial wrap: 4294967295 -> 1 -> 2 -> 5 */
	struct trr a[] = {
		xt_soa(5), xt_soa(4294967295u),	     xt_a("a.example.com", 1),
		xt_soa(1), xt_a("b.example.com", 2), xt_soa(1),
		xt_soa(2), xt_a("c.example.com", 3), xt_a("d.example.com", 4),
		xt_soa(2), xt_a("b.example.com", 2), xt_soa(5),
		xt_soa(5),
	};
	size_t na = sizeof(a) / sizeof(a[0]);
	for (size_t i = 0; i < na; i++) {
		int rc = feed_rrs(s, &p, a + i, 1, 0, i % 2 == 0 || i == na - 1);
		cr_assert_eq(rc, i == na - 1 ? XFR_DONE : XFR_MORE, "record %zu: %s", i,
			     xfr_session_errmsg(s));
	}
	size_t n;
	struct xfr_changeset *cs = xfr_session_take_changesets(s, &n);
	cr_assert_eq(n, 3);
	uint32_t from[] = { 4294967295u, 1, 2 }, to[] = { 1, 2, 5 };
	size_t nrem[] = { 1, 0, 1 }, nadd[] = { 1, 2, 0 };
	struct xfr_changeset *c = cs;
	for (int i = 0; i < 3; i++, c = c->next) {
		cr_assert(c);
		cr_assert_eq(c->serial_from, from[i]);
		cr_assert_eq(c->serial_to, to[i]);
		cr_assert_eq(c->nremoved, nrem[i], "changeset %d", i);
		cr_assert_eq(c->nadded, nadd[i], "changeset %d", i);
	}
	cr_assert_null(c);
	check_rr(&cs->next->added[1], "d.example.com", DNS_T_A);
	check_rr(&cs->next->next->removed[0], "b.example.com", DNS_T_A);
	xfr_changeset_list_free(cs);
	prim_deinit(&p);
	xfr_session_free(s);
}

Test(xfr_ixfr, up_to_date)
{
	uint32_t theirs[] = { 10, 9 };
	for (int i = 0; i < 2; i++) {
		struct prim p;
		struct xfr_session *s = start(XFR_IXFR, &key, XT_SECRET, &p, NULL, 10);
		struct trr a[] = { xt_soa(theirs[i]) };
		cr_assert_eq(feed_rrs(s, &p, a, 1, 0, true), XFR_DONE, "%s", xfr_session_errmsg(s));
		struct xfr_stats st;
		xfr_session_stats(s, &st);
		cr_assert_eq(st.kind, XFR_KIND_UPTODATE);
		cr_assert_eq(st.serial, theirs[i]);
		prim_deinit(&p);
		xfr_session_free(s);
	}
	/* a lone newer SOA: the reply goes on (or ends too early) */
	struct prim p;
	struct xfr_session *s = start(XFR_IXFR, NULL, NULL, &p, NULL, 10);
	struct trr a[] = { xt_soa(11) };
	cr_assert_eq(feed_rrs(s, &p, a, 1, 0, true), XFR_MORE);
	cr_assert_eq(xfr_session_eof(s), DP_EXFR_EOF);
	cr_assert(xfr_error_wants_axfr(DP_EXFR_EOF));
	prim_deinit(&p);
	xfr_session_free(s);
}

Test(xfr_ixfr, axfr_style)
{
	struct prim p;
	struct sink_log *log = calloc(1, sizeof(*log));
	struct xfr_session *s = start(XFR_IXFR, &key, XT_SECRET, &p, NULL, 3);
	xfr_session_set_sink(s, sink_log_fn, log);
	struct trr *z = zone_rrs(12, 50);
	/* the opening SOA alone in the first message: the form shows later */
	cr_assert_eq(feed_rrs(s, &p, z, 1, 0, true), XFR_MORE);
	cr_assert_eq(send_stream(s, &p, z + 1, 50, 9, 2, true, NULL), XFR_DONE, "%s",
		     xfr_session_errmsg(s));
	struct xfr_stats st;
	xfr_session_stats(s, &st);
	cr_assert_eq(st.kind, XFR_KIND_IXFR_AXFR);
	cr_assert_eq(st.serial, 12);
	cr_assert_eq(log->n, 50);
	cr_assert_eq(log->types[0], DNS_T_SOA);
	cr_assert_eq(log->types[1], DNS_T_NS);
	cr_assert_null(xfr_session_take_changesets(s, NULL));
	free(z);
	free(log);
	prim_deinit(&p);
	xfr_session_free(s);
}

Test(xfr_ixfr, serial_chain_broken)
{
	struct {
		struct trr a[8];
		size_t n;
		const char *what;
	} cases[] = {
		{ { xt_soa(12), xt_soa(9), xt_soa(12), xt_soa(12) },
		  4,
		  "first diff not from ours" },
		{ { xt_soa(12), xt_soa(10), xt_soa(11), xt_soa(12), xt_soa(12), xt_soa(12) },
		  6,
		  "second diff not from the first's end" },
		{ { xt_soa(12), xt_soa(10), xt_soa(11), xt_soa(11), xt_soa(13), xt_soa(12) },
		  6,
		  "last diff ends past the final serial" },
		{ { xt_soa(12), xt_soa(10), xt_soa(11), xt_soa(13) }, 4, "final SOA mismatch" },
		{ { xt_soa(12), xt_soa(10), xt_soa(9), xt_soa(12) }, 4, "a diff going backwards" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct prim p;
		struct xfr_session *s = start(XFR_IXFR, NULL, NULL, &p, NULL, 10);
		int rc = feed_rrs(s, &p, cases[i].a, cases[i].n, 0, true);
		cr_assert_eq(rc, DP_EXFR_SERIAL, "%s: %d %s", cases[i].what, rc,
			     xfr_session_errmsg(s));
		cr_assert(xfr_error_wants_axfr(rc));
		cr_assert_null(xfr_session_take_changesets(s, NULL));
		prim_deinit(&p);
		xfr_session_free(s);
	}
}

Test(xfr_ixfr, truncated_stream)
{
	struct trr a[] = { xt_soa(11),
			   xt_soa(10),
			   xt_a("old.example.com", 1),
			   xt_soa(11),
			   xt_a("new.example.com", 2),
			   xt_soa(11) };
	for (size_t cut = 1; cut < 6; cut++) {
		struct prim p;
		struct xfr_session *s = start(XFR_IXFR, NULL, NULL, &p, NULL, 10);
		cr_assert_eq(feed_rrs(s, &p, a, cut, 0, true), XFR_MORE, "cut %zu", cut);
		cr_assert_eq(xfr_session_eof(s), DP_EXFR_EOF);
		cr_assert_null(xfr_session_take_changesets(s, NULL));
		prim_deinit(&p);
		xfr_session_free(s);
	}
}

Test(xfr_ixfr, error_rcodes_fall_back_to_axfr)
{
	unsigned rcodes[] = { DNS_R_NOTIMP, DNS_R_SERVFAIL, DNS_R_REFUSED, DNS_R_FORMERR };
	for (size_t i = 0; i < 4; i++) {
		struct prim p;
		struct xfr_session *s = start(XFR_IXFR, &key, XT_SECRET, &p, NULL, 10);
		p.no_question = rcodes[i] == DNS_R_FORMERR;
		int rc = feed_rrs(s, &p, NULL, 0, rcodes[i], true);
		cr_assert_eq(rc, DP_EXFR_RCODE, "rcode %u: %d", rcodes[i], rc);
		struct xfr_stats st;
		xfr_session_stats(s, &st);
		cr_assert_eq(st.rcode, rcodes[i]);
		cr_assert(xfr_error_wants_axfr(rc));
		prim_deinit(&p);
		xfr_session_free(s);
	}
	cr_assert_not(xfr_error_wants_axfr(XFR_TSIG_EBADSIG));
	cr_assert_not(xfr_error_wants_axfr(XFR_TSIG_EPEER));
	cr_assert_not(xfr_error_wants_axfr(DP_EXFR_CANCELED));
	cr_assert_not(xfr_error_wants_axfr(0));
	cr_assert(xfr_error_wants_axfr(DP_EXFR_TIMEOUT));
}

/* -------------------------------------------------------------- misc */

Test(xfr_misc, api_edges)
{
	cr_assert_null(xfr_session_new(NULL, XFR_AXFR, NULL, NULL));
	cr_assert_null(xfr_session_new(origin, (enum xfr_type)DNS_T_A, NULL, NULL));
	uint8_t bad[] = { 70, 'x', 0 };
	cr_assert_null(xfr_session_new(bad, XFR_AXFR, NULL, NULL));
	xfr_session_free(NULL);
	xfr_changeset_list_free(NULL);
	struct xfr_session *s = xfr_session_new(origin, XFR_AXFR, NULL, NULL);
	cr_assert_eq(xfr_session_feed(s, q, 12, 0), DP_EXFR_STATE, "no query yet");
	cr_assert_eq(xfr_session_eof(s), DP_EXFR_STATE);
	xfr_session_free(s);
	cr_assert_str_eq(xfr_kind_str(XFR_KIND_IXFR_AXFR), "IXFR as AXFR");
	cr_assert_str_neq(dp_strerror(DP_EXFR_SERIAL), "unknown error");
	cr_assert_str_neq(dp_strerror(DP_EXFR_STATE), "unknown error");

	/* the longest origin with a long key name and SHA-512 fits XFR_QUERY_MAX */
	char lbl[64], on[300], kn[300];
	memset(lbl, 'a', 63);
	lbl[63] = '\0';
	snprintf(on, sizeof(on), "%s.%s.%s.%.61s", lbl, lbl, lbl, lbl); /* 255 octets */
	snprintf(kn, sizeof(kn), "%s.%s.%s.%.61s", lbl, lbl, lbl, lbl);
	uint8_t longest[DNS_NAME_MAXLEN];
	cr_assert_eq(tn(longest, on), 255);
	struct xfr_tsig_key big;
	cr_assert_eq(xfr_tsig_key_init(&big, kn, "hmac-sha512", XT_SECRET), 0);
	s = xfr_session_new(longest, XFR_IXFR, &big, NULL);
	cr_assert(s);
	xfr_session_set_serial(s, 1);
	int qlen = xfr_session_query(s, 1, xt_now(), q, XFR_QUERY_MAX);
	cr_assert_gt(qlen, 600, "%d", qlen);
	cr_assert_leq(qlen, XFR_QUERY_MAX);
	xfr_session_free(s);
	xfr_tsig_key_deinit(&big);

	/* a changeset cannot be opened by anything but an SOA */
	struct trr a = xt_a("x.example.com", 1);
	struct dns_rr rr = { .type = DNS_T_A, .rclass = DNS_C_IN, .rdlen = 4, .rdata = a.rd };
	rr.owner_len = (uint16_t)tn(rr.owner, "x.example.com");
	cr_assert_null(xfr_changeset_new(&rr));
	cr_assert_eq(xfr_soa_serial(a.rd, 4), 0);
}
