/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's burst stage over a real ethdev: a ring PMD port (rte_eth_from_rings)
 * whose RX ring the test fills with frames and whose TX ring it reads replies
 * from.  Checks what is answered (byte for byte what the engine answers), what
 * goes to the kernel ring, what is dropped, every counter, and that every mbuf
 * returns to the pool.  EAL with --no-huge: no hugepages needed.
 */
#define _LGPL_SOURCE
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <urcu/urcu-qsbr.h>

#include "fastpath/dataplane.h"
#include "zone/load.h"

static struct fp_dp dp;
static struct fp_worker *w;
static struct fp_port *port;
static struct rte_ring *rxr, *txr;
static struct zone_table *table;

static const uint8_t our_mac[6] = {0x02, 0, 0, 0, 0, 0x53};
static const uint8_t cli_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t our4[4] = {198, 18, 0, 2}, cli4[4] = {198, 18, 0, 1};
static const uint8_t our6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t cli6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

static void setup_ports(unsigned tx_ring_size)
{
	char *argv[] = {"test_worker", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
			"-l", "0", "--log-level=error", NULL};
	/* Criterion may run several tests in one process: the EAL once, the rest per test. */
	static bool eal_up;
	if (!eal_up) {
		cr_assert_geq(rte_eal_init(9, argv), 0, "EAL: %s", rte_strerror(rte_errno));
		eal_up = true;
		urcu_qsbr_register_thread();
	}

	/* Unique names: a process may hold a previous test's objects. */
	static unsigned gen;
	char nm[5][32];
	const char *what[5] = {"pool", "rx", "tx", "port", "k"};
	gen++;
	for (int i = 0; i < 5; i++)
		snprintf(nm[i], sizeof(nm[i]), "t_%s%u", what[i], gen);
	memset(&dp, 0, sizeof(dp));
	zone_answer_cfg_init(&dp.cfg.answer);
	dp.cfg.answer.identity = "test.identity";
	dp.pool = rte_pktmbuf_pool_create(nm[0], 511, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	cr_assert_not_null(dp.pool, "pool: %s", rte_strerror(rte_errno));
	rxr = rte_ring_create(nm[1], 64, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	txr = rte_ring_create(nm[2], tx_ring_size, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	cr_assert(rxr && txr);
	int pid = rte_eth_from_rings(nm[3], &rxr, 1, &txr, 1, 0);
	cr_assert_geq(pid, 0);
	struct rte_eth_conf ec;
	memset(&ec, 0, sizeof(ec));
	cr_assert_eq(rte_eth_dev_configure((uint16_t)pid, 1, 1, &ec), 0);
	cr_assert_eq(rte_eth_rx_queue_setup((uint16_t)pid, 0, 64, 0, NULL, dp.pool), 0);
	cr_assert_eq(rte_eth_tx_queue_setup((uint16_t)pid, 0, 64, 0, NULL), 0);
	cr_assert_eq(rte_eth_dev_start((uint16_t)pid), 0);
	port = &dp.ports[0];
	dp.nports = 1;
	port->port_id = (uint16_t)pid;
	port->mtu = 1500;
	fp_addrs_init(&port->addrs, our_mac);
	cr_assert_eq(fp_addrs_add4(&port->addrs, our4), 0);
	cr_assert_eq(fp_addrs_add6(&port->addrs, our6), 0);
	port->to_kernel = rte_ring_create(nm[4], 64, 0, RING_F_SC_DEQ);
	cr_assert_not_null(port->to_kernel);
	dp.nworkers = 1;
	w = &dp.workers[0];
	w->dp = &dp;
	w->ip_id = 100;
	w->zst = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*w->zst));
	cr_assert_not_null(w->zst);
	memset(w->zst, 0, sizeof(*w->zst));

	char path[512];
	snprintf(path, sizeof(path), "%s/engine.example.zone", getenv("DPDNS_TESTDATA"));
	struct zone_diag d;
	zone_diag_init(&d, NULL, NULL);
	struct zone_contents *z = zone_load_file(path, "example.", &d);
	cr_assert_not_null(z);
	struct zone_snap *s = zone_snap_build(z);
	cr_assert_not_null(s);
	cr_assert_eq(s->stat_id, ZONE_STAT_ID_NONE, "a new snapshot has no counter slot");
	s->stat_id = 7; /* as the zone manager sets it before publishing */
	table = zone_table_new(&s, 1);
	cr_assert_not_null(table);
	dp.table = table;
}

static void setup(void)
{
	setup_ports(64);
}

static void teardown(void);

/* Criterion runs the suite's .init, then the test's: replace what the first made. */
static void setup_small_tx(void)
{
	teardown();
	setup_ports(4);
}

static void teardown(void)
{
	struct rte_mbuf *m;
	while (rte_ring_dequeue(txr, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	while (rte_ring_dequeue(port->to_kernel, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	(void)rte_eth_dev_stop(port->port_id);
	(void)rte_eth_dev_close(port->port_id);
	rte_ring_free(port->to_kernel);
	rte_ring_free(rxr);
	rte_ring_free(txr);
	rte_mempool_free(dp.pool);
	zone_table_free(table);
	free(w->zst);
	w->zst = NULL;
}

/* ---- frames ---- */

static size_t put_name(uint8_t *p, const char *text)
{
	size_t n = 0;
	while (*text) {
		const char *dot = strchr(text, '.');
		size_t l = dot ? (size_t)(dot - text) : strlen(text);
		p[n++] = (uint8_t)l;
		memcpy(p + n, text, l);
		n += l;
		text += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

/* A DNS query message; qd questions (all the same), opcode, optional OPT. */
static size_t dns_query(uint8_t *p, uint16_t id, const char *name, uint16_t type, int qd,
			int opcode, bool edns)
{
	size_t n = 0;
	p[n++] = (uint8_t)(id >> 8);
	p[n++] = (uint8_t)id;
	p[n++] = (uint8_t)(opcode << 3 | 1); /* RD */
	p[n++] = 0;
	p[n++] = 0;
	p[n++] = (uint8_t)qd;
	memset(p + n, 0, 6);
	p[n + 5] = edns ? 1 : 0;
	n += 6;
	for (int i = 0; i < qd; i++) {
		n += put_name(p + n, name);
		p[n++] = (uint8_t)(type >> 8);
		p[n++] = (uint8_t)type;
		p[n++] = 0;
		p[n++] = 1;
	}
	if (edns) {
		const uint8_t opt[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
		memcpy(p + n, opt, sizeof(opt));
		n += sizeof(opt);
	}
	return n;
}

static uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		acc += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* Ethernet + IPv4/IPv6 + UDP around payload; correct checksums. Returns the frame length. */
static size_t frame(uint8_t *f, int ipv, uint16_t dport, const uint8_t *pl, size_t plen)
{
	size_t n = 0;
	memcpy(f, our_mac, 6);
	memcpy(f + 6, cli_mac, 6);
	f[12] = ipv == 4 ? 0x08 : 0x86;
	f[13] = ipv == 4 ? 0x00 : 0xdd;
	n = 14;
	uint8_t *ip = f + n;
	size_t ulen = 8 + plen;
	uint32_t ph;
	if (ipv == 4) {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		ip[2] = (uint8_t)((20 + ulen) >> 8);
		ip[3] = (uint8_t)(20 + ulen);
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, cli4, 4);
		memcpy(ip + 16, our4, 4);
		uint16_t c = (uint16_t)~fold(sum16(0, ip, 20));
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
		ph = sum16(sum16(0, cli4, 4), our4, 4);
		n += 20;
	} else {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		ip[4] = (uint8_t)(ulen >> 8);
		ip[5] = (uint8_t)ulen;
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, cli6, 16);
		memcpy(ip + 24, our6, 16);
		ph = sum16(sum16(0, cli6, 16), our6, 16);
		n += 40;
	}
	uint8_t *u = f + n;
	u[0] = 0xc3;
	u[1] = 0x50; /* source port 50000 */
	u[2] = (uint8_t)(dport >> 8);
	u[3] = (uint8_t)dport;
	u[4] = (uint8_t)(ulen >> 8);
	u[5] = (uint8_t)ulen;
	u[6] = u[7] = 0;
	memcpy(u + 8, pl, plen);
	ph += 17 + (uint32_t)ulen;
	uint16_t c = (uint16_t)~fold(sum16(ph, u, ulen));
	if (!c)
		c = 0xffff;
	u[6] = (uint8_t)(c >> 8);
	u[7] = (uint8_t)c;
	return n + ulen;
}

static struct rte_mbuf *mbuf_of(const uint8_t *f, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
	cr_assert_not_null(m);
	char *p = rte_pktmbuf_append(m, (uint16_t)len);
	cr_assert_not_null(p);
	memcpy(p, f, len);
	return m;
}

static void run_burst(struct rte_mbuf **m, unsigned n)
{
	cr_assert_eq(rte_ring_enqueue_burst(rxr, (void **)m, n, NULL), n);
	struct rte_mbuf *got[FP_BURST];
	uint16_t k = rte_eth_rx_burst(port->port_id, 0, got, FP_BURST);
	cr_assert_eq(k, n);
	fp_worker_burst(w, port, table, got, k);
}

/* The engine's own answer to the DNS message q, for comparison. */
static size_t engine_answer(const uint8_t *q, size_t qlen, uint8_t *out, size_t cap)
{
	memcpy(out, q, qlen);
	struct answer_info info;
	return zone_answer(table, &dp.cfg.answer, out, qlen, cap, false, &info);
}

static void check_reply(struct rte_mbuf *m, int ipv, const uint8_t *q, size_t qlen)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	size_t len = rte_pktmbuf_data_len(m);
	cr_assert_eq(m->nb_segs, 1);
	cr_expect(memcmp(f, cli_mac, 6) == 0 && memcmp(f + 6, our_mac, 6) == 0, "MACs swapped");
	size_t l4 = ipv == 4 ? 34 : 54;
	const uint8_t *ip = f + 14, *u = f + l4;
	size_t ulen = (size_t)(u[4] << 8 | u[5]);
	cr_assert_eq(l4 + ulen, len, "UDP length covers the frame");
	uint32_t ph;
	if (ipv == 4) {
		cr_expect(memcmp(ip + 12, our4, 4) == 0 && memcmp(ip + 16, cli4, 4) == 0);
		cr_expect_eq(fold(sum16(0, ip, 20)), 0xffff, "IPv4 header checksum");
		ph = sum16(sum16(0, ip + 12, 4), ip + 16, 4);
	} else {
		cr_expect(memcmp(ip + 8, our6, 16) == 0 && memcmp(ip + 24, cli6, 16) == 0);
		ph = sum16(sum16(0, ip + 8, 16), ip + 24, 16);
	}
	cr_expect_eq(fold(sum16(ph + 17 + (uint32_t)ulen, u, ulen)), 0xffff, "UDP checksum");
	cr_expect(u[0] == 0 && u[1] == 53 && u[2] == 0xc3 && u[3] == 0x50, "ports swapped");
	uint8_t want[2048];
	size_t wl = engine_answer(q, qlen, want, sizeof(want));
	cr_assert_gt(wl, 0);
	cr_assert_eq(ulen - 8, wl, "DNS length %zu, engine %zu", ulen - 8, wl);
	cr_expect(memcmp(u + 8, want, wl) == 0, "the engine's response, byte for byte");
}

static unsigned avail(void)
{
	return rte_mempool_avail_count(dp.pool);
}

/* ---- tests ---- */

TestSuite(worker, .init = setup, .fini = teardown);

Test(worker, answers_ipv4_and_ipv6)
{
	unsigned before = avail();
	uint8_t f[2048];
	struct rte_mbuf *m[4];
	size_t ql[4];
	uint8_t qs[4][512];
	const char *names[] = {"www.example", "alias1.example", "nothere.example", "Mixed.EXAMPLE"};
	for (int i = 0; i < 4; i++) {
		ql[i] = dns_query(qs[i], (uint16_t)(0x1000 + i), names[i], 1, 1, 0, i & 1);
		m[i] = mbuf_of(f, frame(f, i < 2 ? 4 : 6, 53, qs[i], ql[i]));
	}
	run_burst(m, 4);
	struct rte_mbuf *out[8];
	unsigned n = rte_ring_dequeue_burst(txr, (void **)out, 8, NULL);
	cr_assert_eq(n, 4);
	for (unsigned i = 0; i < n; i++) {
		check_reply(out[i], i < 2 ? 4 : 6, qs[i], ql[i]);
		rte_pktmbuf_free(out[i]);
	}
	cr_expect_eq(w->st.rx, 4);
	cr_expect_eq(w->st.tx, 4);
	cr_expect_eq(w->st.answered, 4);
	cr_expect_eq(w->st.rcode[FP_RC_NOERROR], 3);
	cr_expect_eq(w->st.rcode[FP_RC_NXDOMAIN], 1);
	cr_expect_eq(avail(), before, "every mbuf back in the pool");
}

Test(worker, queries_counted_by_type_and_zone)
{
	static const struct {
		const char *name;
		uint16_t type;
		unsigned slot;
	} qs[] = {
		{"www.example", 1, FP_QT_A},	    {"www.example", 1, FP_QT_A},
		{"www.example", 28, FP_QT_AAAA},   {"example", 15, FP_QT_MX},
		{"example", 257, FP_QT_CAA},	    {"example", 255, FP_QT_ANY},
		{"example", 65, FP_QT_HTTPS},	    {"example", 999, FP_QT_OTHER},
		{"example", 256, FP_QT_OTHER},	    {"www.elsewhere", 1, FP_QT_A},
	};
	const unsigned n = sizeof(qs) / sizeof(qs[0]);
	uint8_t f[2048], q[512];
	struct rte_mbuf *m[16];
	for (unsigned i = 0; i < n; i++) {
		size_t ql =
			dns_query(q, (uint16_t)(0x2000 + i), qs[i].name, qs[i].type, 1, 0, false);
		m[i] = mbuf_of(f, frame(f, 4, 53, q, ql));
	}
	run_burst(m, n);
	struct rte_mbuf *out[16];
	unsigned k = rte_ring_dequeue_burst(txr, (void **)out, 16, NULL);
	cr_assert_eq(k, n);
	rte_pktmbuf_free_bulk(out, k);
	uint64_t want[FP_QT__COUNT] = {0}, total = 0;
	for (unsigned i = 0; i < n; i++)
		want[qs[i].slot]++;
	for (unsigned i = 0; i < FP_QT__COUNT; i++) {
		cr_expect_eq(w->st.qtype[i], want[i], "%s: %llu, want %llu", fp_qtype_slot_name(i),
			     (unsigned long long)w->st.qtype[i], (unsigned long long)want[i]);
		total += w->st.qtype[i];
	}
	cr_expect_eq(total, w->st.answered, "every answered query has a type slot");
	cr_expect_eq(w->st.rcode[FP_RC_REFUSED], 1);
	/* The zone's slot counts its own queries; the REFUSED one (no zone) is nowhere. */
	cr_expect_eq(w->zst->zone[7], n - 1);
	uint64_t others = 0;
	for (unsigned i = 0; i <= ZONE_STAT_IDS; i++)
		others += i == 7 ? 0 : w->zst->zone[i];
	cr_expect_eq(others, 0);
	dp.tcp_zst = NULL;
	cr_expect_eq(fp_dp_zone_queries(&dp, 7), n - 1);
	cr_expect_eq(fp_qtype_slot(0), FP_QT_OTHER);
	cr_expect_eq(fp_qtype_slot(65535), FP_QT_OTHER);
	cr_expect_eq(fp_qtype_slot(48), FP_QT_DNSKEY);
	cr_expect_str_eq(fp_qtype_slot_name(FP_QT_OTHER), "other");
}

Test(worker, zone_ids_beyond_the_bound_share_a_slot)
{
	struct fp_dp d;
	memset(&d, 0, sizeof(d));
	d.nworkers = 1;
	d.workers[0].zst = w->zst;
	w->zst->zone[ZONE_STAT_IDS] = 5;
	w->zst->zone[3] = 2;
	cr_expect_eq(fp_dp_zone_queries(&d, ZONE_STAT_IDS), 5);
	cr_expect_eq(fp_dp_zone_queries(&d, ZONE_STAT_ID_NONE), 5);
	cr_expect_eq(fp_dp_zone_queries(&d, 3), 2);
	/* The TCP block adds to the same slots. */
	struct fp_zone_stats *t = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*t));
	cr_assert_not_null(t);
	memset(t, 0, sizeof(*t));
	d.tcp_zst = t;
	struct zone_snap snap;
	memset(&snap, 0, sizeof(snap));
	snap.stat_id = 3;
	struct answer_info info = {.rcode = 3, .qtype = 28, .zone = &snap};
	fp_dp_count_tcp(&d, &info);
	cr_expect_eq(fp_dp_zone_queries(&d, 3), 3);
	cr_expect_eq(d.tcp.answered, 1);
	cr_expect_eq(d.tcp.qtype[FP_QT_AAAA], 1);
	cr_expect_eq(d.tcp.rcode[FP_RC_NXDOMAIN], 1);
	free(t);
}

Test(worker, exceptions_and_drops_counted)
{
	unsigned before = avail();
	uint8_t q[512], f[2048];
	struct rte_mbuf *m[8];
	unsigned k = 0;
	size_t ql = dns_query(q, 7, "www.example", 1, 1, 0, false);

	/* ARP: to the kernel. */
	uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06};
	m[k++] = mbuf_of(arp, sizeof(arp));
	/* NOTIFY (opcode 4): to the kernel. */
	uint8_t nq[512];
	size_t nl = dns_query(nq, 8, "example", 6, 1, 4, false);
	m[k++] = mbuf_of(f, frame(f, 4, 53, nq, nl));
	/* UDP to port 5353: to the kernel. */
	m[k++] = mbuf_of(f, frame(f, 6, 5353, q, ql));
	/* Bad UDP checksum: dropped. */
	size_t fl = frame(f, 4, 53, q, ql);
	f[fl - 1] ^= 0x40;
	m[k++] = mbuf_of(f, fl);
	/* Truncated IPv4 header: dropped. */
	m[k++] = mbuf_of(f, 20);
	/* Two questions: the engine drops it. */
	uint8_t q2[512];
	size_t q2l = dns_query(q2, 9, "www.example", 1, 2, 0, false);
	m[k++] = mbuf_of(f, frame(f, 4, 53, q2, q2l));
	/* A chained (multi-segment) mbuf: dropped. */
	struct rte_mbuf *a = mbuf_of(f, frame(f, 4, 53, q, ql));
	struct rte_mbuf *b = mbuf_of(f, 10);
	cr_assert_eq(rte_pktmbuf_chain(a, b), 0);
	m[k++] = a;
	/* One good query. */
	m[k++] = mbuf_of(f, frame(f, 4, 53, q, ql));
	run_burst(m, k);

	struct rte_mbuf *out[8];
	unsigned n = rte_ring_dequeue_burst(txr, (void **)out, 8, NULL);
	cr_expect_eq(n, 1, "one reply");
	rte_pktmbuf_free_bulk(out, n);
	n = rte_ring_dequeue_burst(port->to_kernel, (void **)out, 8, NULL);
	cr_expect_eq(n, 3, "three frames for the kernel");
	rte_pktmbuf_free_bulk(out, n);

	const struct fp_stats *s = &w->st;
	cr_expect_eq(s->rx, 8);
	cr_expect_eq(s->exc[FP_EXC_L2_GROUP], 1, "broadcast ARP");
	cr_expect_eq(s->exc[FP_EXC_OPCODE], 1);
	cr_expect_eq(s->exc[FP_EXC_PORT], 1);
	cr_expect_eq(s->drop[FP_DROP_UDP_CSUM], 1);
	cr_expect_eq(s->drop[FP_DROP_L3_TRUNC], 1);
	cr_expect_eq(s->drop_dns[ANSWER_DROP_QDCOUNT], 1);
	cr_expect_eq(s->dropx[FP_DROPX_MULTISEG], 1);
	cr_expect_eq(s->answered, 1);
	uint64_t drops = 0, exc = 0;
	for (unsigned i = 0; i < FP_DROP__COUNT; i++)
		drops += s->drop[i];
	for (unsigned i = 0; i < ANSWER_DROP__COUNT; i++)
		drops += s->drop_dns[i];
	for (unsigned i = 0; i < FP_DROPX__COUNT; i++)
		drops += s->dropx[i];
	for (unsigned i = 0; i < FP_EXC__COUNT; i++)
		exc += s->exc[i];
	cr_expect_eq(s->rx, s->answered + drops + exc, "every frame accounted for");
	cr_expect_eq(avail(), before, "every mbuf back in the pool");
}

Test(worker, full_tx_ring_frees_and_counts, .init = setup_small_tx)
{
	unsigned before = avail();
	uint8_t q[512], f[2048];
	struct rte_mbuf *m[FP_BURST];
	size_t ql = dns_query(q, 7, "www.example", 1, 1, 0, false);
	for (unsigned i = 0; i < FP_BURST; i++)
		m[i] = mbuf_of(f, frame(f, 4, 53, q, ql));
	run_burst(m, FP_BURST);
	struct rte_mbuf *out[FP_BURST];
	unsigned n = rte_ring_dequeue_burst(txr, (void **)out, FP_BURST, NULL);
	cr_expect_eq(n, 3, "a ring of 4 holds 3");
	rte_pktmbuf_free_bulk(out, n);
	cr_expect_eq(w->st.answered, FP_BURST);
	cr_expect_eq(w->st.tx, 3);
	cr_expect_eq(w->st.tx_drop, FP_BURST - 3);
	cr_expect_eq(avail(), before, "what TX did not take was freed");
}

Test(worker, full_kernel_ring_frees_and_counts)
{
	unsigned before = avail();
	uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06};
	struct rte_mbuf *m[FP_BURST];
	for (int round = 0; round < 3; round++) {
		for (unsigned i = 0; i < FP_BURST; i++)
			m[i] = mbuf_of(arp, sizeof(arp));
		run_burst(m, FP_BURST);
	}
	/* The ring holds 63: 96 offered, 33 dropped. */
	cr_expect_eq(w->st.exc[FP_EXC_L2_GROUP], 3 * FP_BURST);
	cr_expect_eq(w->st.exc_ring_full, 3 * FP_BURST - 63);
	struct rte_mbuf *out[64];
	unsigned n = rte_ring_dequeue_burst(port->to_kernel, (void **)out, 64, NULL);
	cr_expect_eq(n, 63);
	rte_pktmbuf_free_bulk(out, n);
	cr_expect_eq(avail(), before);
}

Test(worker, checksum_offload_flags)
{
	port->reply_flags = FP_REPLY_IP4_CSUM_HW | FP_REPLY_UDP_CSUM_HW;
	uint8_t q[512], f[2048];
	size_t ql = dns_query(q, 7, "www.example", 1, 1, 0, false);
	struct rte_mbuf *m[2] = {mbuf_of(f, frame(f, 4, 53, q, ql)),
				 mbuf_of(f, frame(f, 6, 53, q, ql))};
	run_burst(m, 2);
	struct rte_mbuf *out[2];
	cr_assert_eq(rte_ring_dequeue_burst(txr, (void **)out, 2, NULL), 2);
	cr_expect_eq(out[0]->ol_flags & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
					 RTE_MBUF_F_TX_UDP_CKSUM),
		     RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM);
	cr_expect_eq(out[0]->l2_len, 14);
	cr_expect_eq(out[0]->l3_len, 20);
	cr_expect_eq(out[1]->ol_flags & (RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM),
		     RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM);
	cr_expect_eq(out[1]->l3_len, 40);
	/* The checksum field holds the pseudo-header sum the NIC starts from. */
	const uint8_t *f4 = rte_pktmbuf_mtod(out[0], const uint8_t *);
	cr_expect_eq(f4[24], 0);
	cr_expect_eq(f4[25], 0, "IPv4 header checksum left to the NIC");
	rte_pktmbuf_free_bulk(out, 2);
}

Test(worker, rx_checksum_verdicts_from_the_nic)
{
	uint8_t q[512], f[2048];
	size_t ql = dns_query(q, 7, "www.example", 1, 1, 0, false);
	size_t fl = frame(f, 4, 53, q, ql);
	f[fl - 1] ^= 0x40; /* a UDP checksum that does not verify */
	struct rte_mbuf *m[3] = {mbuf_of(f, fl), mbuf_of(f, fl), mbuf_of(f, fl)};
	/* The NIC vouched for it: answered without summing again. */
	m[0]->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	/* The NIC said bad, or did not look: checked here, and dropped. */
	m[1]->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_BAD;
	m[2]->ol_flags = 0;
	cr_assert_eq(rte_ring_enqueue_burst(rxr, (void **)m, 3, NULL), 3);
	struct rte_mbuf *got[FP_BURST];
	uint16_t k = rte_eth_rx_burst(port->port_id, 0, got, FP_BURST);
	cr_assert_eq(k, 3);
	fp_worker_burst(w, port, table, got, k);
	cr_expect_eq(w->st.answered, 1);
	cr_expect_eq(w->st.drop[FP_DROP_UDP_CSUM], 2);
	struct rte_mbuf *out[4];
	unsigned n = rte_ring_dequeue_burst(txr, (void **)out, 4, NULL);
	cr_expect_eq(n, 1);
	rte_pktmbuf_free_bulk(out, n);
}
