/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * loop_bench: the whole fastpath worker loop, DPDK in, DPDK out, against a
 * MAC-swap reflector on the same link and the same cores.
 *
 *   loop_bench [EAL args] -- --zone FILE --origin NAME --queries FILE [options]
 *
 * Two ethdev ports joined back to back in this process with
 * rte_eth_from_rings(): port G's TX ring is port W's RX ring and the other
 * way round (see BENCHMARKS.md "Fastpath loop" for why rings and not
 * net_memif).  The EAL needs two lcores:
 *  - the main lcore is the generator: it turns every line of the query file
 *    ("NAME TYPE EDNS", from bench/gen_zone.py) into an Ethernet/IPv4 frame
 *    (every --v6-every'th one IPv6) once, then keeps --window queries in
 *    flight on port G: every response that comes back is checked when it is
 *    its turn (--check-every), and its mbuf is refilled with the next template
 *    and sent again (no allocation in steady state), in bursts of up to 32;
 *  - the worker lcore runs, in mode "answer", the dataplane's own
 *    fp_worker_main on a struct fp_dp set up by hand with port W as its only
 *    port (no TAP: the generator drains the to_kernel ring and counts what
 *    it finds there), so every query goes rte_eth_rx_burst → fp_worker_burst
 *    (classify, zone_answer_burst, reply rewrite, one tx burst) with a QSBR
 *    quiescent state per loop; in mode "reflect" a plain MAC-swap reflector
 *    (rx burst, swap MACs, tx burst): the I/O ceiling of this link; in mode
 *    "timed" a copy of fp_worker_main's loop around the same fp_worker_burst
 *    that times every non-empty iteration, as the reflector does.
 *
 * Each run is --warmup seconds of traffic, then --seconds measured
 * (responses received per wall-clock second), then a bounded drain; the
 * modes take turns (reflect, answer, timed, reflect, ...) --runs times and
 * the medians are reported with the ratio answer/reflect.  On a shared VM
 * the wall-clock rate mostly says how much of the two cores the neighbours
 * left (each run prints the CPU share its two threads got); the busy time
 * per query of the timed loops (reflect and timed: TSC cycles from a
 * non-empty rx burst to the end of its iteration, iterations that were
 * preempted left out) says what the loop itself costs.  A checked response
 * must be exactly what the answer engine (zone_answer, computed beforehand
 * per query) says, inside a correct reply frame (MACs, addresses, ports,
 * lengths and both checksums); in reflect mode, the query frame with its
 * MACs swapped.  After each run the worker's counters must agree with what
 * the generator sent and received (every query answered, rcode counts equal
 * the engine's for the queries sent, no drop, no exception).  Exit status 0
 * only when every check held, 1 otherwise, 2 on bad usage.
 *
 * Output: "key: value" lines (scripts/bench-loop.sh reads them).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
/* No _LGPL_SOURCE: the same (library) QSBR calls as worker.c makes. */
#include <urcu/urcu-qsbr.h>

#include "dns/edns.h"
#include "dns/errcode.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "fastpath/dataplane.h"
#include "zone/answer.h"
#include "zone/load.h"

#define BURST FP_BURST
#define LINK_RING 1024	       /* each direction's ring (holds LINK_RING - 1) */
#define MBUFS 4095	       /* window + bursts + the pool's per-lcore caches */
#define PORT_BASE 1024	       /* UDP source port of query i: PORT_BASE + (i >> 16) */
#define QUERIES_MAX (1u << 24) /* 256 source ports × 65536 IDs */
#define RUNS_MAX 15
#define DRAIN_S 0.5   /* after a run: wait at most this long for what is in flight */
#define FRAME_MAX 512 /* a query frame (the generator's templates) */

enum mode {
	MODE_REFLECT,
	MODE_ANSWER,
	MODE_TIMED,
	MODE__COUNT
};
static const char *const mode_name[] = { "reflect", "answer", "timed" };
#define BUSY_MAX_US 200 /* a burst slower than this was preempted: not counted as busy time */

static const uint8_t mac_g[6] = { 0x02, 0, 0, 0, 0, 0x01 }; /* generator (client) */
static const uint8_t mac_w[6] = { 0x02, 0, 0, 0, 0, 0x53 }; /* worker (server) */
static const uint8_t ip4_g[4] = { 198, 18, 0, 1 }, ip4_w[4] = { 198, 18, 0, 53 };
static const uint8_t ip6_g[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
static const uint8_t ip6_w[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x53 };

struct opts {
	const char *zone, *origin, *queries;
	unsigned runs, window, check_every, v6_every, max_queries;
	double seconds, warmup, min_cpu;
	bool mode[MODE__COUNT]; /* which modes run */
};

/* What the answer engine says to query i: the DNS response, hashed. */
struct expect {
	uint64_t hash; /* FNV-1a of the response */
	uint16_t len;
	uint8_t rclass; /* enum fp_rcode_class */
	uint8_t v6;
};

/* The generator's frames, back to back. */
struct pool {
	uint8_t *buf;
	uint32_t *off;
	uint16_t *len;
	struct expect *exp;
	uint32_t n;
	uint64_t mix[FP_RC__COUNT];
};

/* The reflector's counters (its lcore writes, main reads after it stopped). */
struct refl_stats {
	uint64_t rx, tx, tx_drop;
} __rte_cache_aligned;

/*
 * Busy time of the timed loops (reflect, timed): TSC cycles from a non-empty
 * rx burst to the end of that loop iteration, while the generator measures.
 * Iterations over BUSY_MAX_US were preempted by the host or another task:
 * counted apart, not as busy time.
 */
struct busy_stats {
	uint64_t cycles, queries, bursts, preempted;
} __rte_cache_aligned;

struct bench {
	struct opts o;
	struct fp_dp dp;
	struct pool q;
	struct rte_ring *g2w, *w2g;
	uint16_t port_g, port_w;
	bool g_made, g_started;
	unsigned lcore;
	struct refl_stats refl;
	struct busy_stats busy;
	volatile bool measuring; /* written by the generator, read by the worker */
	pthread_t worker_thread;
	volatile int worker_thread_set;
};

/* One run's figures. */
struct run {
	enum mode mode;
	double qps, wall_s, worker_cpu, gen_cpu, gen_idle, depth;
	double busy_ns; /* worker cycles per query while busy (reflect, timed), in ns */
	double burst;	/* queries per non-empty rx burst */
	uint64_t preempted;
	uint64_t sent, recv, exc, tx_refused, unconsumed, lost;
	uint64_t checked, bad;
	uint64_t exp_class[FP_RC__COUNT]; /* engine's rcode classes of what was sent */
	bool ok;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double clock_s(clockid_t c)
{
	struct timespec ts;
	if (clock_gettime(c, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/* The same classes as the worker's counters (worker.c rcode_class). */
static unsigned rcode_class(unsigned rcode)
{
	switch (rcode) {
	case 0: return FP_RC_NOERROR;
	case 1: return FP_RC_FORMERR;
	case 2: return FP_RC_SERVFAIL;
	case 3: return FP_RC_NXDOMAIN;
	case 4: return FP_RC_NOTIMP;
	case 5: return FP_RC_REFUSED;
	case 16: return FP_RC_BADVERS;
	default: return FP_RC_OTHER;
	}
}

/*
 * Ones' complement sum of a span, folded to 16 bits, in memory order
 * (rte_raw_cksum): DPDK's implementation, not the fastpath's csum.h, so the
 * checks do not share code with what they check.
 */
static uint32_t sum16(uint32_t acc, const void *p, size_t n)
{
	acc += rte_raw_cksum(p, n);
	return (acc & 0xffff) + (acc >> 16);
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* UDP pseudo-header (RFC 768, RFC 8200 §8.1) plus the datagram, folded. */
static uint16_t udp_sum(const uint8_t *src, const uint8_t *dst, size_t alen, const uint8_t *udp,
			size_t ulen)
{
	uint8_t tail[4] = { 0, 17, (uint8_t)(ulen >> 8), (uint8_t)ulen };
	uint32_t acc = sum16(0, src, alen);
	acc = sum16(acc, dst, alen);
	acc = sum16(acc, tail, sizeof(tail));
	return fold(sum16(acc, udp, ulen));
}

/* Writes a checksum computed by ones' complement sum (memory order) at off. */
static void put_csum(uint8_t *frame, size_t off, uint16_t folded)
{
	uint16_t c = (uint16_t)~folded;
	memcpy(frame + off, &c, 2);
}

/*
 * Builds the query frame of index i (DNS ID i & 0xffff, UDP source port
 * PORT_BASE + (i >> 16)) for name/type/edns into buf[0..cap); returns its
 * length, the DNS offset in *dns_off, or a negative code.
 */
static int build_frame(uint8_t *buf, size_t cap, uint32_t i, bool v6, const char *name,
		       const char *type, int edns, size_t *dns_off)
{
	uint8_t dns[FRAME_MAX];
	struct dns_wr w;
	dns_wr_init(&w, dns, sizeof(dns));
	struct dns_hdr h = { (uint16_t)i, 0, 1, 0, 0, edns ? 1 : 0 };
	dns_hdr_write(&w, &h);
	struct dns_question q;
	int n = dns_name_from_text(name, NULL, q.name);
	if (n < 0)
		return n;
	int t = dns_rrtype_from_text(type);
	if (t < 0)
		return t;
	q.name_len = (uint16_t)n;
	q.qtype = (uint16_t)t;
	q.qclass = DNS_C_IN;
	dns_question_write(&w, &q, NULL);
	if (edns)
		dns_edns_write(&w, 1232, 0, 0, NULL, 0);
	if (w.err)
		return w.err;
	size_t dlen = w.pos, ulen = FP_UDP_HLEN + dlen;

	struct dns_wr f;
	dns_wr_init(&f, buf, cap);
	dns_wr_bytes(&f, mac_w, 6);
	dns_wr_bytes(&f, mac_g, 6);
	dns_wr_u16(&f, v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	size_t l3 = f.pos;
	if (!v6) {
		dns_wr_u8(&f, 0x45);
		dns_wr_u8(&f, 0);
		dns_wr_u16(&f, (uint16_t)(FP_IP4_HLEN + ulen));
		dns_wr_u16(&f, (uint16_t)(i * 7));
		dns_wr_u16(&f, 0x4000); /* DF */
		dns_wr_u8(&f, 64);
		dns_wr_u8(&f, 17);
		dns_wr_u16(&f, 0);
		dns_wr_bytes(&f, ip4_g, 4);
		dns_wr_bytes(&f, ip4_w, 4);
	} else {
		dns_wr_u32(&f, 0x60000000);
		dns_wr_u16(&f, (uint16_t)ulen);
		dns_wr_u8(&f, 17);
		dns_wr_u8(&f, 64);
		dns_wr_bytes(&f, ip6_g, 16);
		dns_wr_bytes(&f, ip6_w, 16);
	}
	size_t l4 = f.pos;
	dns_wr_u16(&f, (uint16_t)(PORT_BASE + (i >> 16)));
	dns_wr_u16(&f, FP_DNS_PORT);
	dns_wr_u16(&f, (uint16_t)ulen);
	dns_wr_u16(&f, 0);
	*dns_off = f.pos;
	dns_wr_bytes(&f, dns, dlen);
	if (f.err)
		return f.err;
	if (!v6)
		put_csum(buf, l3 + 10, fold(sum16(0, buf + l3, FP_IP4_HLEN)));
	uint16_t us = v6 ? udp_sum(ip6_g, ip6_w, 16, buf + l4, ulen) :
			   udp_sum(ip4_g, ip4_w, 4, buf + l4, ulen);
	put_csum(buf, l4 + 6, us);
	if (buf[l4 + 6] == 0 && buf[l4 + 7] == 0)
		buf[l4 + 6] = buf[l4 + 7] = 0xff; /* 0 means "no checksum" */
	return (int)f.pos;
}

/*
 * Reads the query file into frames and asks the engine, once per query,
 * what the worker must answer: the same zone_answer the worker's
 * zone_answer_burst agrees with, with the room fp_worker_burst gives a
 * reply (the MTU less the headers).  The worker gives a whole burst its
 * smallest room (1452 octets when it holds an IPv6 query); the answers
 * differ only for a response between that and 1472 octets, and the engine
 * keeps UDP responses to 1232 octets (512 without EDNS).
 */
static int load_pool(struct bench *b, const struct zone_table *t)
{
	struct pool *q = &b->q;
	FILE *f = fopen(b->o.queries, "r");
	if (!f) {
		fprintf(stderr, "loop_bench: %s: %s\n", b->o.queries, strerror(errno));
		return -1;
	}
	size_t cap = 4096, used = 0, bufcap = cap * 128;
	q->buf = malloc(bufcap);
	q->off = malloc(cap * sizeof(*q->off));
	q->len = malloc(cap * sizeof(*q->len));
	q->exp = malloc(cap * sizeof(*q->exp));
	char line[512], name[300], type[32];
	unsigned long lineno = 0;
	int rc = -1;
	if (!q->buf || !q->off || !q->len || !q->exp)
		goto nomem;
	while (q->n < b->o.max_queries && fgets(line, sizeof(line), f)) {
		lineno++;
		int edns;
		char extra;
		if (line[0] == '\n' || line[0] == '#')
			continue;
		if (sscanf(line, "%299s %31s %d %c", name, type, &edns, &extra) != 3 ||
		    (edns != 0 && edns != 1)) {
			fprintf(stderr, "loop_bench: %s:%lu: expected \"NAME TYPE EDNS(0|1)\"\n",
				b->o.queries, lineno);
			goto out;
		}
		if (q->n == cap) {
			cap *= 2;
			uint32_t *off = realloc(q->off, cap * sizeof(*off));
			if (off)
				q->off = off;
			uint16_t *len = realloc(q->len, cap * sizeof(*len));
			if (len)
				q->len = len;
			struct expect *exp = realloc(q->exp, cap * sizeof(*exp));
			if (exp)
				q->exp = exp;
			if (!off || !len || !exp)
				goto nomem;
		}
		if (bufcap - used < FRAME_MAX) {
			uint8_t *nb = realloc(q->buf, bufcap * 2);
			if (!nb)
				goto nomem;
			q->buf = nb;
			bufcap *= 2;
		}
		uint32_t i = q->n;
		bool v6 = b->o.v6_every && i % b->o.v6_every == b->o.v6_every - 1;
		size_t dns_off = 0;
		int n = build_frame(q->buf + used, FRAME_MAX, i, v6, name, type, edns, &dns_off);
		if (n < 0) {
			fprintf(stderr,
				"loop_bench: %s:%lu: cannot make a query of \"%s %s\": %s\n",
				b->o.queries, lineno, name, type, dp_strerror(n));
			goto out;
		}
		uint8_t resp[2048];
		size_t qlen = (size_t)n - dns_off;
		memcpy(resp, q->buf + used + dns_off, qlen);
		struct answer_info info;
		size_t room = FP_ETH_HLEN + 1500 - dns_off; /* as fp_worker_burst: l3_off + MTU */
		size_t rlen = zone_answer(t, &b->dp.cfg.answer, resp, qlen, room, false, &info);
		if (!rlen) {
			fprintf(stderr,
				"loop_bench: %s:%lu: the engine drops \"%s %s\" (reason %u)\n",
				b->o.queries, lineno, name, type, info.drop);
			goto out;
		}
		q->exp[i] = (struct expect){ fnv1a(resp, rlen), (uint16_t)rlen,
					     (uint8_t)rcode_class(info.rcode), v6 };
		q->mix[q->exp[i].rclass]++;
		q->off[i] = (uint32_t)used;
		q->len[i] = (uint16_t)n;
		used += (size_t)n;
		q->n++;
	}
	if (ferror(f)) {
		fprintf(stderr, "loop_bench: %s: read error\n", b->o.queries);
		goto out;
	}
	if (!q->n) {
		fprintf(stderr, "loop_bench: %s: no queries\n", b->o.queries);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	fprintf(stderr, "loop_bench: out of memory reading %s\n", b->o.queries);
out:
	fclose(f);
	return rc;
}

static void pool_free(struct pool *q)
{
	free(q->buf);
	free(q->off);
	free(q->len);
	free(q->exp);
	memset(q, 0, sizeof(*q));
}

/* Which template a frame carries: DNS ID and the client's UDP port; UINT32_MAX: none. */
static uint32_t frame_index(uint16_t id, uint16_t client_port, uint32_t n)
{
	if (client_port < PORT_BASE)
		return UINT32_MAX;
	uint32_t i = (uint32_t)(client_port - PORT_BASE) << 16 | id;
	return i < n ? i : UINT32_MAX;
}

/*
 * Checks one frame received on port G in answer mode: a reply from W's
 * addresses to G's, valid lengths and checksums, and a DNS payload equal to
 * the engine's response to the query it names.  Returns NULL or what is wrong.
 */
static const char *check_answer(const struct pool *q, const uint8_t *fr, size_t flen)
{
	struct dns_rd r;
	dns_rd_init(&r, fr, flen);
	const uint8_t *dst = dns_rd_ptr(&r, 6), *src = dns_rd_ptr(&r, 6);
	uint16_t et = dns_rd_u16(&r);
	if (r.err)
		return "frame shorter than an Ethernet header";
	if (memcmp(dst, mac_g, 6) || memcmp(src, mac_w, 6))
		return "MACs not swapped";
	bool v6 = et == RTE_ETHER_TYPE_IPV6;
	if (!v6 && et != RTE_ETHER_TYPE_IPV4)
		return "EtherType not IPv4 or IPv6";
	size_t l3 = r.pos, ulen;
	const uint8_t *sa, *da;
	if (!v6) {
		const uint8_t *ip = dns_rd_ptr(&r, FP_IP4_HLEN);
		if (!ip)
			return "truncated IPv4 header";
		if (ip[0] != 0x45 || ip[9] != 17)
			return "IPv4 version/IHL or protocol";
		if (fold(sum16(0, ip, FP_IP4_HLEN)) != 0xffff)
			return "IPv4 header checksum";
		if ((size_t)(ip[2] << 8 | ip[3]) != flen - l3)
			return "IPv4 total length";
		sa = ip + 12;
		da = ip + 16;
		if (memcmp(sa, ip4_w, 4) || memcmp(da, ip4_g, 4))
			return "IPv4 addresses not swapped";
	} else {
		const uint8_t *ip = dns_rd_ptr(&r, FP_IP6_HLEN);
		if (!ip)
			return "truncated IPv6 header";
		if ((ip[0] >> 4) != 6 || ip[6] != 17)
			return "IPv6 version or next header";
		if ((size_t)(ip[4] << 8 | ip[5]) != flen - l3 - FP_IP6_HLEN)
			return "IPv6 payload length";
		sa = ip + 8;
		da = ip + 24;
		if (memcmp(sa, ip6_w, 16) || memcmp(da, ip6_g, 16))
			return "IPv6 addresses not swapped";
	}
	size_t l4 = r.pos;
	uint16_t sport = dns_rd_u16(&r), dport = dns_rd_u16(&r);
	ulen = dns_rd_u16(&r);
	uint16_t ucs = dns_rd_u16(&r);
	if (r.err)
		return "truncated UDP header";
	if (sport != FP_DNS_PORT)
		return "UDP source port not 53";
	if (ulen != flen - l4)
		return "UDP length";
	if (ucs == 0 && v6)
		return "UDP checksum 0 over IPv6";
	if (ucs != 0 && udp_sum(sa, da, v6 ? 16 : 4, fr + l4, ulen) != 0xffff)
		return "UDP checksum";
	size_t dlen = dns_rd_left(&r);
	const uint8_t *dns = dns_rd_ptr(&r, dlen);
	struct dns_rd d;
	dns_rd_init(&d, dns, dlen);
	struct dns_hdr h;
	if (dns_hdr_parse(&d, &h) != 0)
		return "DNS message shorter than a header";
	uint32_t i = frame_index(h.id, dport, q->n);
	if (i == UINT32_MAX)
		return "ID and port name no query sent";
	const struct expect *e = &q->exp[i];
	if (e->v6 != v6)
		return "address family differs from the query's";
	if (!(h.flags & DNS_F_QR))
		return "QR clear";
	if (rcode_class(dns_hdr_rcode(&h)) != e->rclass)
		return "rcode differs from the engine's";
	if (dlen != e->len)
		return "response length differs from the engine's";
	if (fnv1a(dns, dlen) != e->hash)
		return "response bytes differ from the engine's";
	return NULL;
}

/* In reflect mode: the frame must be the template it names with the MACs swapped. */
static const char *check_reflect(const struct pool *q, const uint8_t *fr, size_t flen)
{
	struct dns_rd r;
	dns_rd_init(&r, fr, flen);
	dns_rd_skip(&r, 12);
	uint16_t et = dns_rd_u16(&r);
	dns_rd_skip(&r, et == RTE_ETHER_TYPE_IPV6 ? FP_IP6_HLEN : FP_IP4_HLEN);
	uint16_t sport = dns_rd_u16(&r);
	dns_rd_skip(&r, 6);
	uint16_t id = dns_rd_u16(&r);
	if (r.err)
		return "reflected frame truncated";
	uint32_t i = frame_index(id, sport, q->n);
	if (i == UINT32_MAX)
		return "ID and port name no query sent";
	const uint8_t *t = q->buf + q->off[i];
	if (flen != q->len[i] || memcmp(fr, t + 6, 6) || memcmp(fr + 6, t, 6) ||
	    memcmp(fr + 12, t + 12, flen - 12))
		return "reflected frame differs from the query";
	return NULL;
}

/* ---- the worker lcore ---- */

static int thread_lcore(void *arg)
{
	struct bench *b = arg;
	b->worker_thread = pthread_self();
	__atomic_store_n(&b->worker_thread_set, 1, __ATOMIC_RELEASE);
	return 0;
}

static int answer_lcore(void *arg)
{
	struct bench *b = arg;
	return fp_worker_main(&b->dp.workers[0]);
}

static inline void busy_add(struct bench *b, uint64_t t0, uint16_t n, uint64_t max)
{
	if (!b->measuring)
		return;
	uint64_t dt = rte_rdtsc() - t0;
	if (unlikely(dt > max)) {
		b->busy.preempted++;
		return;
	}
	b->busy.cycles += dt;
	b->busy.queries += n;
	b->busy.bursts++;
}

/*
 * fp_worker_main's loop for a dataplane of one port, on the same
 * fp_worker_burst, with each non-empty iteration timed (busy_add): the worker's
 * cost per query whatever share of the core the VM gives it.  Keep in step
 * with worker.c.
 */
static int timed_lcore(void *arg)
{
	struct bench *b = arg;
	struct fp_worker *w = &b->dp.workers[0];
	struct fp_dp *dp = &b->dp;
	const struct fp_port *p = &dp->ports[0];
	struct rte_mbuf *pkts[BURST];
	uint64_t max = rte_get_tsc_hz() / 1000000 * BUSY_MAX_US;

	urcu_qsbr_register_thread();
	while (!CMM_LOAD_SHARED(dp->stop)) {
		uint64_t t0 = rte_rdtsc();
		uint16_t n = rte_eth_rx_burst(p->port_id, w->queue, pkts, BURST);
		if (n) {
			const struct zone_table *t = rcu_dereference(dp->table);
			fp_worker_burst(w, p, t, pkts, n);
		}
		/* worker 0's kernel_out: the to-port ring stays empty here */
		unsigned k = rte_ring_sc_dequeue_burst(p->to_port, (void **)pkts, BURST, NULL);
		if (unlikely(k))
			rte_pktmbuf_free_bulk(pkts, k);
		urcu_qsbr_quiescent_state();
		if (n)
			busy_add(b, t0, n, max);
	}
	urcu_qsbr_unregister_thread();
	return 0;
}

static int reflect_lcore(void *arg)
{
	struct bench *b = arg;
	struct refl_stats *st = &b->refl;
	struct rte_mbuf *pkts[BURST];
	uint16_t port = b->port_w;
	uint64_t max = rte_get_tsc_hz() / 1000000 * BUSY_MAX_US;

	while (!__atomic_load_n(&b->dp.stop, __ATOMIC_RELAXED)) {
		uint64_t t0 = rte_rdtsc();
		uint16_t n = rte_eth_rx_burst(port, 0, pkts, BURST);
		if (!n)
			continue;
		st->rx += n;
		for (uint16_t i = 0; i < n; i++) {
			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
			struct rte_ether_hdr *eh =
				rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);
			struct rte_ether_addr a = eh->dst_addr;
			eh->dst_addr = eh->src_addr;
			eh->src_addr = a;
		}
		uint16_t sent = rte_eth_tx_burst(port, 0, pkts, n);
		st->tx += sent;
		if (unlikely(sent < n)) {
			st->tx_drop += n - sent;
			rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		}
		busy_add(b, t0, n, max);
	}
	return 0;
}

/* ---- the generator (main lcore) ---- */

struct gen {
	uint64_t sent, recv, exc, tx_refused, lost;
	uint64_t checked, bad, polls, idle_polls, depth_sum, depth_n;
	uint32_t next, check_left, check_every;
	uint64_t exp_class[FP_RC__COUNT];
	const char *first_bad;
};

/* Queries the worker's side has dropped so far (racy reads of monotonic counters). */
static uint64_t worker_lost(const struct bench *b, enum mode m, const struct fp_stats *base)
{
	if (m == MODE_REFLECT)
		return __atomic_load_n(&b->refl.tx_drop, __ATOMIC_RELAXED);
	struct fp_stats s;
	fp_dp_stats(&b->dp, &s);
	uint64_t n = (s.tx_drop - base->tx_drop) + (s.exc_ring_full - base->exc_ring_full);
	for (unsigned i = 1; i < FP_DROP__COUNT; i++)
		n += s.drop[i] - base->drop[i];
	for (unsigned i = 1; i < ANSWER_DROP__COUNT; i++)
		n += s.drop_dns[i] - base->drop_dns[i];
	for (unsigned i = 0; i < FP_DROPX__COUNT; i++)
		n += s.dropx[i] - base->dropx[i];
	return n;
}

static inline void fill(struct gen *g, const struct pool *q, struct rte_mbuf *m)
{
	uint32_t i = g->next;
	g->next = i + 1 == q->n ? 0 : i + 1;
	m->data_off = RTE_MIN((uint16_t)RTE_PKTMBUF_HEADROOM, m->buf_len);
	rte_memcpy(rte_pktmbuf_mtod(m, void *), q->buf + q->off[i], q->len[i]);
	m->data_len = q->len[i];
	m->pkt_len = q->len[i];
	m->ol_flags = 0;
	g->exp_class[q->exp[i].rclass]++;
}

static inline void receive(struct gen *g, const struct pool *q, enum mode mode, struct rte_mbuf *m)
{
	if (--g->check_left)
		return;
	g->check_left = g->check_every;
	const uint8_t *fr = rte_pktmbuf_mtod(m, const uint8_t *);
	size_t flen = rte_pktmbuf_data_len(m);
	const char *why = m->nb_segs != 1      ? "chained mbuf" :
			  mode == MODE_REFLECT ? check_reflect(q, fr, flen) :
						 check_answer(q, fr, flen);
	g->checked++;
	if (why) {
		g->bad++;
		if (!g->first_bad)
			g->first_bad = why;
	}
}

/* Frees what port G's RX queue and the exception ring hold; returns how many from port G. */
static uint64_t gen_poll_rest(struct bench *b, struct gen *g, enum mode mode, bool count)
{
	struct rte_mbuf *m[BURST];
	uint64_t got = 0;
	uint16_t n;
	while ((n = rte_eth_rx_burst(b->port_g, 0, m, BURST)) > 0) {
		for (uint16_t i = 0; i < n; i++)
			receive(g, &b->q, mode, m[i]);
		rte_pktmbuf_free_bulk(m, n);
		got += n;
		if (count)
			g->recv += n;
	}
	struct rte_ring *to_kernel = b->dp.ports[0].to_kernel;
	unsigned e;
	while ((e = rte_ring_sc_dequeue_burst(to_kernel, (void **)m, BURST, NULL)) > 0) {
		g->exc += e;
		rte_pktmbuf_free_bulk(m, e);
	}
	return got;
}

/* One run of one mode; the worker lcore is idle on entry and on return. */
static void run_once(struct bench *b, enum mode mode, struct run *res)
{
	const struct opts *o = &b->o;
	const struct pool *q = &b->q;
	struct fp_stats base, end;
	struct gen g = { .check_left = o->check_every, .check_every = o->check_every };
	struct rte_mbuf *rx[BURST], *tx[BURST];
	clockid_t wclk;

	memset(res, 0, sizeof(*res));
	memset(&b->refl, 0, sizeof(b->refl)); /* the worker lcore is idle */
	res->mode = mode;
	fp_dp_stats(&b->dp, &base);
	if (pthread_getcpuclockid(b->worker_thread, &wclk) != 0)
		wclk = CLOCK_MONOTONIC; /* then worker_cpu reads 1 */
	b->dp.stop = false;
	static lcore_function_t *const loops[MODE__COUNT] = { reflect_lcore, answer_lcore,
							      timed_lcore };
	memset(&b->busy, 0, sizeof(b->busy));
	b->measuring = false;
	int rc = rte_eal_remote_launch(loops[mode], b, b->lcore);
	if (rc < 0) {
		fprintf(stderr, "loop_bench: cannot launch lcore %u: %s\n", b->lcore,
			rte_strerror(-rc));
		return;
	}

	uint64_t hz = rte_get_tsc_hz(), t_begin = rte_rdtsc();
	uint64_t t_meas = t_begin + (uint64_t)(o->warmup * (double)hz);
	uint64_t t_end = t_meas + (uint64_t)(o->seconds * (double)hz);
	uint64_t recv0 = 0, polls0 = 0, idle0 = 0, ts0 = 0, ts1 = 0;
	double w0 = 0, c0 = 0;
	bool measuring = false;
	struct rte_ring *to_kernel = b->dp.ports[0].to_kernel;

	for (uint64_t it = 0;; it++) {
		uint64_t now = rte_rdtsc();
		if (!measuring && now >= t_meas) {
			measuring = true;
			ts0 = now;
			recv0 = g.recv;
			polls0 = g.polls;
			idle0 = g.idle_polls;
			g.depth_sum = g.depth_n = 0;
			w0 = clock_s(wclk);
			c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
			b->measuring = true;
		}
		if (now >= t_end) {
			b->measuring = false;
			ts1 = now;
			break;
		}
		uint16_t n = rte_eth_rx_burst(b->port_g, 0, rx, BURST);
		g.recv += n;
		for (uint16_t i = 0; i < n; i++) {
			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(rx[i + 1], void *));
			receive(&g, q, mode, rx[i]);
			fill(&g, q, rx[i]);
			tx[i] = rx[i];
		}
		unsigned nt = n;
		uint64_t out = g.sent - g.recv - g.exc - g.lost + n;
		if (out < o->window && nt < BURST) {
			unsigned k = (unsigned)RTE_MIN((uint64_t)(BURST - nt), o->window - out);
			if (rte_pktmbuf_alloc_bulk(b->dp.pool, tx + nt, k) == 0) {
				for (unsigned i = 0; i < k; i++)
					fill(&g, q, tx[nt + i]);
				nt += k;
			}
		}
		g.polls++;
		if (nt) {
			uint16_t s = rte_eth_tx_burst(b->port_g, 0, tx, (uint16_t)nt);
			g.sent += s;
			if (unlikely(s < nt)) {
				g.tx_refused += nt - s;
				rte_pktmbuf_free_bulk(tx + s, nt - s);
			}
		}
		if (!n)
			g.idle_polls++;
		unsigned e = rte_ring_sc_dequeue_burst(to_kernel, (void **)rx, BURST, NULL);
		if (unlikely(e)) {
			g.exc += e;
			rte_pktmbuf_free_bulk(rx, e);
		}
		if ((it & 63) == 0) {
			g.depth_sum += rte_ring_count(b->g2w);
			g.depth_n++;
		}
		if ((it & 1023) == 0)
			g.lost = worker_lost(b, mode, &base);
	}
	double w1 = clock_s(wclk), c1 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	uint64_t recv1 = g.recv;

	/* Drain: stop sending, take back what is in flight (bounded in time). */
	uint64_t t_drain = rte_rdtsc() + (uint64_t)(DRAIN_S * (double)hz);
	while ((int64_t)(g.sent - g.recv - g.exc - g.lost) > 0 && rte_rdtsc() < t_drain) {
		if (!gen_poll_rest(b, &g, mode, true))
			g.lost = worker_lost(b, mode, &base);
	}
	fp_dp_stop(&b->dp);
	rte_eal_wait_lcore(b->lcore);
	gen_poll_rest(b, &g, mode, true);
	/* Queries the worker never took: back to the pool. */
	uint16_t n;
	while ((n = rte_eth_rx_burst(b->port_w, 0, rx, BURST)) > 0) {
		res->unconsumed += n;
		rte_pktmbuf_free_bulk(rx, n);
	}

	double wall = (double)(ts1 - ts0) / (double)hz;
	res->wall_s = wall;
	res->qps = (double)(recv1 - recv0) / wall;
	res->worker_cpu = wclk == CLOCK_MONOTONIC ? 1 : (w1 - w0) / wall;
	if (b->busy.queries) {
		res->busy_ns = (double)b->busy.cycles * 1e9 / (double)hz / (double)b->busy.queries;
		res->burst = (double)b->busy.queries / (double)b->busy.bursts;
	}
	res->preempted = b->busy.preempted;
	res->gen_cpu = (c1 - c0) / wall;
	res->gen_idle =
		g.polls > polls0 ? (double)(g.idle_polls - idle0) / (double)(g.polls - polls0) : 0;
	res->depth = g.depth_n ? (double)g.depth_sum / (double)g.depth_n : 0;
	res->sent = g.sent;
	res->recv = g.recv;
	res->exc = g.exc;
	res->tx_refused = g.tx_refused;
	res->checked = g.checked;
	res->bad = g.bad;
	memcpy(res->exp_class, g.exp_class, sizeof(g.exp_class));

	/* Consistency: everything sent was taken, answered (or reflected) and came back. */
	bool ok = true;
	char why[256] = "";
#define CHECK(cond, ...)                                                 \
	do {                                                             \
		if (!(cond)) {                                           \
			ok = false;                                      \
			if (!why[0])                                     \
				snprintf(why, sizeof(why), __VA_ARGS__); \
		}                                                        \
	} while (0)
	CHECK(g.bad == 0, "%" PRIu64 " bad responses, first: %s", g.bad, g.first_bad);
	CHECK(g.checked > 0, "no response checked");
	CHECK(g.tx_refused == 0, "port G refused %" PRIu64 " frames", g.tx_refused);
	CHECK(res->unconsumed == 0, "%" PRIu64 " queries left unread", res->unconsumed);
	CHECK(g.exc == 0, "%" PRIu64 " frames went to the exception ring", g.exc);
	if (mode != MODE_REFLECT) {
		fp_dp_stats(&b->dp, &end);
		uint64_t wrx = end.rx - base.rx, txc = end.tx - base.tx;
		uint64_t ans = end.answered - base.answered, rsum = 0, drops;
		res->lost = drops = worker_lost(b, mode, &base);
		uint64_t exc = 0, ring_full = end.exc_ring_full - base.exc_ring_full;
		uint64_t tx_drop = end.tx_drop - base.tx_drop;
		for (unsigned i = 0; i < FP_EXC__COUNT; i++)
			exc += end.exc[i] - base.exc[i];
		for (unsigned i = 0; i < FP_RC__COUNT; i++) {
			uint64_t c = end.rcode[i] - base.rcode[i];
			rsum += c;
			CHECK(c == g.exp_class[i],
			      "worker counted %" PRIu64 " %s, the engine says %" PRIu64, c,
			      fp_rcode_class_name(i), g.exp_class[i]);
		}
		CHECK(wrx == g.sent, "worker rx %" PRIu64 " != sent %" PRIu64, wrx, g.sent);
		CHECK(txc == g.recv, "worker tx %" PRIu64 " != received %" PRIu64, txc, g.recv);
		CHECK(ans == txc + tx_drop, "answered != tx + tx_drop");
		CHECK(rsum == ans, "rcode counters %" PRIu64 " != answered %" PRIu64, rsum, ans);
		CHECK(drops == 0, "worker dropped %" PRIu64, drops);
		CHECK(exc - ring_full == g.exc,
		      "worker exceptions %" PRIu64 " (%" PRIu64 " lost) != drained %" PRIu64, exc,
		      ring_full, g.exc);
		/* drops counts tx_drop (answered) and ring_full (exceptions) too */
		CHECK(wrx == ans - tx_drop + drops - ring_full + exc,
		      "worker rx %" PRIu64 " != answered + dropped + exceptions", wrx);
	} else {
		uint64_t wrx = b->refl.rx, txc = b->refl.tx;
		res->lost = b->refl.tx_drop;
		CHECK(wrx == g.sent, "reflector rx %" PRIu64 " != sent %" PRIu64, wrx, g.sent);
		CHECK(txc == g.recv, "reflector tx %" PRIu64 " != received %" PRIu64, txc, g.recv);
		CHECK(res->lost == 0, "reflector dropped %" PRIu64, res->lost);
	}
#undef CHECK
	res->ok = ok;
	if (!ok)
		fprintf(stderr, "loop_bench: %s run failed: %s\n", mode_name[mode], why);
}

/* ---- setup ---- */

/*
 * A port over two rings (rx from rxr, tx into txr), configured and started.
 * Returns 0; -1 with a message, *made telling whether the port exists.
 */
static int ring_port(const char *name, struct rte_ring *rxr, struct rte_ring *txr,
		     struct rte_mempool *mp, uint16_t *port, bool *made)
{
	int p = rte_eth_from_rings(name, &rxr, 1, &txr, 1, rte_socket_id());
	if (p < 0) {
		fprintf(stderr, "loop_bench: %s: rte_eth_from_rings: %s\n", name,
			rte_strerror(rte_errno));
		return -1;
	}
	*port = (uint16_t)p;
	*made = true;
	struct rte_eth_conf c;
	memset(&c, 0, sizeof(c));
	int rc = rte_eth_dev_configure(*port, 1, 1, &c);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(*port, 0, LINK_RING, rte_socket_id(), NULL, mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(*port, 0, LINK_RING, rte_socket_id(), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(*port);
	if (rc < 0) {
		fprintf(stderr, "loop_bench: %s: cannot set up the port: %s\n", name,
			rte_strerror(-rc));
		return -1;
	}
	return 0;
}

static int setup(struct bench *b, struct zone_table *t)
{
	char err[256];
	struct fp_dp_cfg cfg = {
		.nb_rxd = LINK_RING,
		.nb_txd = LINK_RING,
		.mbufs = MBUFS,
		.idle_sleep_us = 0, /* busy poll, as a dedicated worker lcore does */
		.ring_size = 1024,
	};
	zone_answer_cfg_init(&cfg.answer);
	int rc = fp_dp_init(&b->dp, &cfg, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "loop_bench: %s\n", err);
		return -1;
	}
	b->lcore = b->dp.workers[0].lcore_id;
	b->dp.table = t; /* before any lcore reads it; the launch orders the store */

	b->g2w = rte_ring_create("lb_g2w", LINK_RING, (int)rte_socket_id(),
				 RING_F_SP_ENQ | RING_F_SC_DEQ);
	b->w2g = rte_ring_create("lb_w2g", LINK_RING, (int)rte_socket_id(),
				 RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!b->g2w || !b->w2g) {
		fprintf(stderr, "loop_bench: link rings: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	if (ring_port("net_ring_lb_g", b->w2g, b->g2w, b->dp.pool, &b->port_g, &b->g_made) < 0)
		return -1;
	b->g_started = true;

	/*
	 * Port W as fp_port_add would leave it, less the TAP: dp owns it from
	 * here (fp_dp_deinit stops and closes it).
	 */
	struct fp_port *p = &b->dp.ports[0];
	bool made = false;
	rc = ring_port("net_ring_lb_w", b->g2w, b->w2g, b->dp.pool, &b->port_w, &made);
	p->port_id = b->port_w;
	b->dp.nports = made ? 1 : 0;
	if (rc < 0)
		return -1;
	p->started = true;
	snprintf(p->name, sizeof(p->name), "net_ring_lb_w");
	memcpy(p->mac.addr_bytes, mac_w, 6);
	p->mtu = 1500;
	p->reply_flags = 0; /* net_ring offloads no checksum: software, as on net_tap */
	fp_addrs_init(&p->addrs, mac_w);
	if (fp_addrs_add4(&p->addrs, ip4_w) != 0 || fp_addrs_add6(&p->addrs, ip6_w) != 0) {
		fprintf(stderr, "loop_bench: cannot configure the worker's addresses\n");
		return -1;
	}
	p->to_kernel = rte_ring_create("lb_kernel", 1024, (int)rte_socket_id(), RING_F_SC_DEQ);
	p->to_port = rte_ring_create("lb_port", 1024, (int)rte_socket_id(),
				     RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!p->to_kernel || !p->to_port) {
		fprintf(stderr, "loop_bench: exception rings: %s\n", rte_strerror(rte_errno));
		return -1;
	}

	rc = rte_eal_remote_launch(thread_lcore, b, b->lcore);
	if (rc < 0 || rte_eal_wait_lcore(b->lcore) != 0 ||
	    !__atomic_load_n(&b->worker_thread_set, __ATOMIC_ACQUIRE)) {
		fprintf(stderr, "loop_bench: cannot start lcore %u\n", b->lcore);
		return -1;
	}
	return 0;
}

/*
 * Undoes setup in reverse; safe after a partial one.  fp_dp_deinit stops and
 * closes port W, frees the exception rings, the zone table (b->dp.table) and
 * the pool; port G and the link rings are ours.
 */
static void teardown(struct bench *b, bool dp_ready)
{
	if (b->g_started)
		(void)rte_eth_dev_stop(b->port_g);
	if (b->g_made)
		(void)rte_eth_dev_close(b->port_g);
	if (dp_ready)
		fp_dp_deinit(&b->dp);
	rte_ring_free(b->g2w);
	rte_ring_free(b->w2g);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: loop_bench [EAL args] -- --zone FILE --origin NAME --queries FILE\n"
		"           [--mode all|both|reflect|answer|timed] [--runs N] [--seconds S]\n"
		"           [--warmup S] [--window N] [--check-every N] [--v6-every N]\n"
		"           [--max-queries N] [--min-cpu X]\n"
		"  --mode M         all (default): reflect, answer and timed in turn each run;\n"
		"                   both: reflect and answer\n"
		"  --runs N         runs of each mode, the modes in turn (1-%d, default 5)\n"
		"  --seconds S      measured time per run (0.05-60, default 5)\n"
		"  --warmup S       traffic before measuring (0-10, default 1)\n"
		"  --window N       queries in flight (%d-%d, default 512)\n"
		"  --check-every N  check every Nth response (1-1000000, default 64)\n"
		"  --v6-every N     every Nth query over IPv6 (0: none; default 4)\n"
		"  --max-queries N  read at most N queries (default and cap %u)\n"
		"  --min-cpu X      a run is clean when both lcores got this share of their\n"
		"                   CPU in every mode (0-1, default 0.9): reported apart\n"
		"The EAL needs two lcores (e.g. -l 0-1): main = generator, the other = worker.\n",
		RUNS_MAX, BURST, LINK_RING - 2 * BURST, QUERIES_MAX);
}

static bool num_arg(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return false;
	*out = v;
	return true;
}

/* Parses the options after the EAL's; returns 0, 2 (bad usage, said why) or -1 (--help). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "zone", required_argument, NULL, 'z' },
		{ "origin", required_argument, NULL, 'o' },
		{ "queries", required_argument, NULL, 'q' },
		{ "mode", required_argument, NULL, 'm' },
		{ "runs", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "window", required_argument, NULL, 'W' },
		{ "check-every", required_argument, NULL, 'c' },
		{ "v6-every", required_argument, NULL, '6' },
		{ "max-queries", required_argument, NULL, 'n' },
		{ "min-cpu", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*o = (struct opts){
		.runs = 5,
		.window = 512,
		.check_every = 64,
		.v6_every = 4,
		.max_queries = QUERIES_MAX,
		.seconds = 5,
		.warmup = 1,
		.min_cpu = 0.9,
		.mode = { true, true, true },
	};
	optind = 1;
	int c;
	double v;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		const char *bad = NULL;
		switch (c) {
		case 'z': o->zone = optarg; break;
		case 'o': o->origin = optarg; break;
		case 'q': o->queries = optarg; break;
		case 'm':
			for (int m = 0; m < MODE__COUNT; m++)
				o->mode[m] =
					!strcmp(optarg, "all") || !strcmp(optarg, mode_name[m]);
			if (!strcmp(optarg, "both"))
				o->mode[MODE_REFLECT] = o->mode[MODE_ANSWER] = true;
			if (!o->mode[MODE_REFLECT] && !o->mode[MODE_ANSWER] && !o->mode[MODE_TIMED])
				bad = "--mode: all, both, reflect, answer or timed";
			break;
		case 'r':
			if (!num_arg(optarg, 1, RUNS_MAX, &v) || v != (unsigned)v)
				bad = "--runs: an integer from 1 to 15";
			else
				o->runs = (unsigned)v;
			break;
		case 's':
			if (!num_arg(optarg, 0.05, 60, &o->seconds))
				bad = "--seconds: from 0.05 to 60";
			break;
		case 'w':
			if (!num_arg(optarg, 0, 10, &o->warmup))
				bad = "--warmup: from 0 to 10";
			break;
		case 'W':
			if (!num_arg(optarg, BURST, LINK_RING - 2 * BURST, &v) || v != (unsigned)v)
				bad = "--window: an integer from 32 to 960";
			else
				o->window = (unsigned)v;
			break;
		case 'c':
			if (!num_arg(optarg, 1, 1e6, &v) || v != (unsigned)v)
				bad = "--check-every: an integer from 1 to 1000000";
			else
				o->check_every = (unsigned)v;
			break;
		case '6':
			if (!num_arg(optarg, 0, 1e6, &v) || v != (unsigned)v)
				bad = "--v6-every: an integer from 0 to 1000000";
			else
				o->v6_every = (unsigned)v;
			break;
		case 'n':
			if (!num_arg(optarg, 1, QUERIES_MAX, &v) || v != (unsigned)v)
				bad = "--max-queries: an integer from 1 to 16777216";
			else
				o->max_queries = (unsigned)v;
			break;
		case 'C':
			if (!num_arg(optarg, 0, 1, &o->min_cpu))
				bad = "--min-cpu: from 0 to 1";
			break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return 2;
		}
		if (bad) {
			fprintf(stderr, "loop_bench: %s (got \"%s\")\n", bad, optarg);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "loop_bench: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (!o->zone || !o->origin || !o->queries) {
		fprintf(stderr, "loop_bench: --zone, --origin and --queries are required\n");
		usage(stderr);
		return 2;
	}
	return 0;
}

static void print_run(unsigned k, const struct run *r)
{
	printf("run: %u mode: %s qps: %.0f", k, mode_name[r->mode], r->qps);
	if (r->mode != MODE_ANSWER)
		printf(" busy_ns: %.1f burst: %.1f preempted: %" PRIu64, r->busy_ns, r->burst,
		       r->preempted);
	printf(" worker_cpu: %.2f gen_cpu: %.2f gen_idle: %.3f depth: %.1f sent: %" PRIu64
	       " received: %" PRIu64 " checked: %" PRIu64 " bad: %" PRIu64 " lost: %" PRIu64
	       " exceptions: %" PRIu64 " ok: %s\n",
	       r->worker_cpu, r->gen_cpu, r->gen_idle, r->depth, r->sent, r->recv, r->checked,
	       r->bad, r->lost, r->exc, r->ok ? "yes" : "NO");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int eal = rte_eal_init(argc, argv);
	if (eal < 0) {
		fprintf(stderr, "loop_bench: cannot initialise the EAL: %s\n",
			rte_strerror(rte_errno));
		usage(stderr);
		return 2;
	}
	argc -= eal;
	argv += eal;

	static struct bench b; /* struct fp_dp is large: not on the stack */
	int status = 1;
	bool dp_ready = false;
	int rc = parse_opts(argc, argv, &b.o);
	if (rc) {
		rte_eal_cleanup();
		return rc < 0 ? 0 : rc;
	}
	if (rte_lcore_count() < 2) {
		fprintf(stderr,
			"loop_bench: needs two lcores (EAL -l 0-1): generator and worker\n");
		rte_eal_cleanup();
		return 2;
	}

	double t0 = now_s();
	struct zone_diag d;
	zone_diag_init(&d, NULL, NULL);
	struct zone_contents *z = zone_load_file(b.o.zone, b.o.origin, &d);
	if (!z) {
		fprintf(stderr, "loop_bench: cannot load zone %s from %s\n", b.o.origin, b.o.zone);
		goto out;
	}
	size_t records = z->record_count;
	struct zone_snap *s = zone_snap_build(z);
	struct zone_table *t = s ? zone_table_new(&s, 1) : NULL;
	if (!t) {
		fprintf(stderr, "loop_bench: out of memory building the zone snapshot\n");
		goto out;
	}
	if (setup(&b, t) < 0) {
		if (!b.dp.pool)
			zone_table_free(t); /* fp_dp_init failed: dp does not own t yet */
		dp_ready = b.dp.pool != NULL;
		goto out;
	}
	dp_ready = true;
	if (load_pool(&b, t) < 0)
		goto out;
	printf("records: %zu\nqueries: %u\nsetup_s: %.2f\n", records, b.q.n, now_s() - t0);
	printf("link: net_ring (rte_eth_from_rings), ring %u, window %u, burst %u\n", LINK_RING,
	       b.o.window, BURST);
	printf("worker_lcore: %u\ngenerator_lcore: %u\n", b.lcore, rte_lcore_id());
	printf("ipv6_every: %u\ncheck_every: %u\nseconds: %.2f\nwarmup: %.2f\n", b.o.v6_every,
	       b.o.check_every, b.o.seconds, b.o.warmup);
	for (unsigned i = 0; i < FP_RC__COUNT; i++)
		if (b.q.mix[i])
			printf("mix_%s: %" PRIu64 "\n", fp_rcode_class_name(i), b.q.mix[i]);
	fflush(stdout);

	/*
	 * Per mode and run: wall-clock qps, busy ns per query, CPU shares.  The
	 * ratios come from medians, and from each run's modes (they ran seconds
	 * apart, so they saw about the same neighbours on the VM).
	 */
	double q[MODE__COUNT][RUNS_MAX], busy[MODE__COUNT][RUNS_MAX], cpu[MODE__COUNT][RUNS_MAX];
	double pr[RUNS_MAX], pb[RUNS_MAX], cpr[RUNS_MAX];
	unsigned nm = 0, nc = 0;
	bool all_ok = true, pair = b.o.mode[MODE_REFLECT] && b.o.mode[MODE_ANSWER];
	bool bpair = b.o.mode[MODE_REFLECT] && b.o.mode[MODE_TIMED];
	uint64_t checked = 0, bad = 0, lost = 0, exc = 0;
	for (unsigned k = 1; k <= b.o.runs; k++, nm++) {
		struct run r[MODE__COUNT];
		bool clean = true;
		for (int m = 0; m < MODE__COUNT; m++) {
			if (!b.o.mode[m])
				continue;
			run_once(&b, (enum mode)m, &r[m]);
			print_run(k, &r[m]);
			all_ok &= r[m].ok;
			q[m][nm] = r[m].qps;
			busy[m][nm] = r[m].busy_ns;
			cpu[m][nm] = r[m].worker_cpu;
			clean &= r[m].worker_cpu >= b.o.min_cpu && r[m].gen_cpu >= b.o.min_cpu;
			checked += r[m].checked, bad += r[m].bad, lost += r[m].lost,
				exc += r[m].exc;
		}
		if (pair) {
			pr[nm] = r[MODE_ANSWER].qps / r[MODE_REFLECT].qps;
			if (clean)
				cpr[nc++] = pr[nm];
		}
		if (bpair)
			pb[nm] = r[MODE_REFLECT].busy_ns / r[MODE_TIMED].busy_ns;
	}
	for (int m = 0; m < MODE__COUNT; m++) {
		if (!b.o.mode[m])
			continue;
		printf("%s_qps_median: %.0f\n", mode_name[m], median(q[m], nm));
		if (m != MODE_ANSWER)
			printf("%s_busy_ns_per_query_median: %.1f\n", mode_name[m],
			       median(busy[m], nm));
		printf("%s_worker_cpu_median: %.2f\n", mode_name[m], median(cpu[m], nm));
	}
	/* median() sorted q[] and busy[]: the medians below are still the medians */
	if (pair) {
		printf("ratio_answer_reflect: %.3f\n",
		       median(q[MODE_ANSWER], nm) / median(q[MODE_REFLECT], nm));
		printf("ratio_answer_reflect_runs_median: %.3f\n", median(pr, nm));
		printf("clean_runs: %u (worker and generator CPU share >= %.2f in every mode)\n",
		       nc, b.o.min_cpu);
		if (nc)
			printf("clean_ratio_answer_reflect_median: %.3f\n", median(cpr, nc));
	}
	if (bpair) {
		printf("ratio_busy_reflect_timed: %.3f\n",
		       median(busy[MODE_REFLECT], nm) / median(busy[MODE_TIMED], nm));
		printf("ratio_busy_reflect_timed_runs_median: %.3f\n", median(pb, nm));
	}
	printf("checked_responses: %" PRIu64 "\nbad_responses: %" PRIu64 "\n", checked, bad);
	printf("dropped: %" PRIu64 "\nexceptions: %" PRIu64 "\n", lost, exc);
	printf("result: %s\n", all_ok ? "ok" : "FAIL");
	status = all_ok ? 0 : 1;
out:
	teardown(&b, dp_ready);
	pool_free(&b.q);
	rte_eal_cleanup();
	return status;
}
