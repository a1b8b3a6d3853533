/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dataplane setup and teardown, the service (exception) loop, zone table
 * publication under QSBR RCU, and counters.  Everything here but
 * fp_service_main runs off the poll loops.
 */
#define _LGPL_SOURCE
#include "fastpath/dataplane.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_telemetry.h>
#include <urcu/urcu-qsbr.h>

#include "dns/errcode.h"
#include "dns/rrtype.h"

#define SVC_IDLE_SPINS 64   /* empty service polls before napping */
#define SVC_NAP_US 100

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static void free_zone_stats(struct fp_dp *dp)
{
	for (unsigned i = 0; i < FP_WORKERS_MAX; i++) {
		rte_free(dp->workers[i].zst);
		dp->workers[i].zst = NULL;
	}
	rte_free(dp->tcp_zst);
	dp->tcp_zst = NULL;
}

int fp_dp_init(struct fp_dp *dp, const struct fp_dp_cfg *cfg, char *err, size_t errlen)
{
	memset(dp, 0, sizeof(*dp));
	dp->cfg = *cfg;
	if (!dp->cfg.ring_size)
		dp->cfg.ring_size = 1024;
	unsigned lcore, n = 0;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (n == FP_WORKERS_MAX) {
			free_zone_stats(dp);
			return fail(err, errlen, DP_ERANGE, "more than %d worker lcores",
				    FP_WORKERS_MAX);
		}
		struct fp_worker *w = &dp->workers[n];
		w->dp = dp;
		w->lcore_id = lcore;
		w->queue = (uint16_t)n;
		w->ip_id = (uint16_t)(rte_rdtsc() + n * 7919u);
		/* On the worker's own NUMA node: it is the only writer. */
		int socket = (int)rte_lcore_to_socket_id(lcore);
		w->zst = rte_zmalloc_socket("dpdns_zone_stats", sizeof(*w->zst),
					    RTE_CACHE_LINE_SIZE, socket);
		n++;
		if (!w->zst)
			goto nomem;
	}
	if (!n)
		return fail(err, errlen, DP_EINVAL,
			    "no worker lcore: give the EAL at least two lcores (e.g. -l 0-1); "
			    "the main lcore runs the exception path");
	dp->nworkers = n;
	dp->tcp_zst = rte_zmalloc("dpdns_zone_stats", sizeof(*dp->tcp_zst), RTE_CACHE_LINE_SIZE);
	if (!dp->tcp_zst)
		goto nomem;
	dp->pool = rte_pktmbuf_pool_create("dpdns_mbufs", cfg->mbufs, 256, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!dp->pool) {
		free_zone_stats(dp);
		return fail(err, errlen, DP_ENOMEM, "cannot create a pool of %u mbufs: %s",
			    cfg->mbufs, rte_strerror(rte_errno));
	}
	return 0;
nomem:
	free_zone_stats(dp);
	return fail(err, errlen, DP_ENOMEM, "no memory for the per-zone query counters (%zu octets "
		    "per worker lcore)", sizeof(struct fp_zone_stats));
}

static int setup_queues(struct fp_dp *dp, uint16_t pid, uint16_t nq, const struct rte_eth_conf *c,
			const char *what, char *err, size_t errlen)
{
	uint16_t nb_rxd = (uint16_t)dp->cfg.nb_rxd, nb_txd = (uint16_t)dp->cfg.nb_txd;
	int rc = rte_eth_dev_configure(pid, nq, nq, c);
	if (rc < 0)
		return fail(err, errlen, DP_EINVAL, "%s: cannot configure %u queue pairs: %s", what,
			    nq, rte_strerror(-rc));
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd);
	if (rc < 0)
		return fail(err, errlen, DP_EINVAL, "%s: descriptor counts: %s", what,
			    rte_strerror(-rc));
	int socket = rte_eth_dev_socket_id(pid);
	if (socket < 0)
		socket = (int)rte_socket_id();
	struct rte_eth_dev_info info;
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc < 0)
		return fail(err, errlen, DP_EIO, "%s: no device info: %s", what, rte_strerror(-rc));
	struct rte_eth_txconf txc = info.default_txconf;
	txc.offloads = c->txmode.offloads;
	for (uint16_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, nb_rxd, (unsigned)socket, NULL, dp->pool);
		if (rc < 0)
			return fail(err, errlen, DP_EIO, "%s: RX queue %u: %s", what, q,
				    rte_strerror(-rc));
		rc = rte_eth_tx_queue_setup(pid, q, nb_txd, (unsigned)socket, &txc);
		if (rc < 0)
			return fail(err, errlen, DP_EIO, "%s: TX queue %u: %s", what, q,
				    rte_strerror(-rc));
	}
	return 0;
}

int fp_port_add(struct fp_dp *dp, const char *name, const char *tap_name,
		const struct fp_addrs *addrs, char *err, size_t errlen)
{
	if (dp->nports == FP_PORTS_MAX)
		return fail(err, errlen, DP_ERANGE, "more than %d ports", FP_PORTS_MAX);
	if (strlen(tap_name) >= FP_IFNAME_MAX || strlen(name) >= sizeof(dp->ports[0].name))
		return fail(err, errlen, DP_EINVAL, "name too long");
	struct fp_port *p = &dp->ports[dp->nports];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->tap_name, sizeof(p->tap_name), "%s", tap_name);

	if (rte_eth_dev_get_port_by_name(name, &p->port_id) != 0)
		return fail(err, errlen, DP_ENOENT,
			    "port %s: no such DPDK port (a --vdev in the EAL arguments, or a PCI "
			    "address of a NIC bound to vfio-pci)",
			    name);
	uint16_t pid = p->port_id;
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get(pid, &info);
	if (rc < 0)
		return fail(err, errlen, DP_EIO, "port %s: no device info: %s", name,
			    rte_strerror(-rc));
	uint16_t nq = (uint16_t)dp->nworkers;
	/* A failed add leaves nothing behind that deinit would miss: the slot counts from here. */
	dp->nports++;
	if (info.max_rx_queues < nq || info.max_tx_queues < nq)
		return fail(err, errlen, DP_ERANGE,
			    "port %s (%s) has %u RX and %u TX queues, %u worker lcores need %u of "
			    "each (net_af_packet: qpairs=%u)",
			    name, info.driver_name, info.max_rx_queues, info.max_tx_queues, nq, nq,
			    nq);

	struct rte_eth_conf c;
	memset(&c, 0, sizeof(c));
	uint64_t rss = info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
	if (nq > 1 && rss) {
		c.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		c.rx_adv_conf.rss_conf.rss_hf = rss;
	}
	/* RX: the NIC's verdict spares the software sums (worker.c reads the mbuf flags). */
	c.rxmode.offloads = info.rx_offload_capa &
			    (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		c.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
		p->reply_flags |= FP_REPLY_IP4_CSUM_HW;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) {
		c.txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
		p->reply_flags |= FP_REPLY_UDP_CSUM_HW;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		c.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	char what[96];
	snprintf(what, sizeof(what), "port %s (%s)", name, info.driver_name);
	rc = setup_queues(dp, pid, nq, &c, what, err, errlen);
	if (rc < 0)
		return rc;
	if (rte_eth_macaddr_get(pid, &p->mac) != 0)
		return fail(err, errlen, DP_EIO, "%s: no MAC address", what);
	if (rte_eth_dev_get_mtu(pid, &p->mtu) != 0 || p->mtu < 1280)
		p->mtu = 1500;
	p->addrs = *addrs;
	memcpy(p->addrs.mac, p->mac.addr_bytes, 6);

	/* The kernel's side: a TAP with the port's MAC (ARP and NDP answer for it). */
	char vname[32], args[96];
	snprintf(vname, sizeof(vname), "net_tap_dpdns%u", dp->nports);
	const uint8_t *a = p->mac.addr_bytes;
	snprintf(args, sizeof(args), "iface=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x", tap_name, a[0],
		 a[1], a[2], a[3], a[4], a[5]);
	rc = rte_eal_hotplug_add("vdev", vname, args);
	if (rc < 0)
		return fail(err, errlen, DP_EIO, "exception interface %s (net_tap %s): %s",
			    tap_name, args, rte_strerror(-rc));
	p->tap_added = true;
	if (rte_eth_dev_get_port_by_name(vname, &p->tap_id) != 0)
		return fail(err, errlen, DP_EIO, "exception interface %s: no port after probe",
			    tap_name);
	struct rte_eth_conf tc;
	memset(&tc, 0, sizeof(tc));
	snprintf(what, sizeof(what), "exception interface %s", tap_name);
	rc = setup_queues(dp, p->tap_id, 1, &tc, what, err, errlen);
	if (rc < 0)
		return rc;
	(void)rte_eth_dev_set_mtu(p->tap_id, p->mtu);

	char rname[RTE_RING_NAMESIZE];
	snprintf(rname, sizeof(rname), "dpdns_k%u", dp->nports);
	p->to_kernel = rte_ring_create(rname, dp->cfg.ring_size, (int)rte_socket_id(), RING_F_SC_DEQ);
	snprintf(rname, sizeof(rname), "dpdns_p%u", dp->nports);
	p->to_port = rte_ring_create(rname, dp->cfg.ring_size, (int)rte_socket_id(),
				     RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!p->to_kernel || !p->to_port)
		return fail(err, errlen, DP_ENOMEM, "exception rings: %s", rte_strerror(rte_errno));
	return 0;
}

int fp_dp_start(struct fp_dp *dp, char *err, size_t errlen)
{
	for (unsigned i = 0; i < dp->nports; i++) {
		struct fp_port *p = &dp->ports[i];
		int rc = rte_eth_dev_start(p->port_id);
		if (rc < 0)
			return fail(err, errlen, DP_EIO, "port %s: cannot start: %s", p->name,
				    rte_strerror(-rc));
		p->started = true;
		/* NDP's solicited-node groups are multicast; the kernel must see them. */
		(void)rte_eth_allmulticast_enable(p->port_id);
		rc = rte_eth_dev_start(p->tap_id);
		if (rc < 0)
			return fail(err, errlen, DP_EIO, "exception interface %s: cannot start: %s",
				    p->tap_name, rte_strerror(-rc));
		p->tap_started = true;
	}
	for (unsigned i = 0; i < dp->nworkers; i++) {
		int rc = rte_eal_remote_launch(fp_worker_main, &dp->workers[i],
					       dp->workers[i].lcore_id);
		if (rc < 0) {
			fp_dp_stop(dp);
			return fail(err, errlen, DP_EIO, "cannot launch lcore %u: %s",
				    dp->workers[i].lcore_id, rte_strerror(-rc));
		}
	}
	return 0;
}

/* Moves one burst each way between port p and its TAP; returns whether anything moved. */
static bool svc_port(struct fp_dp *dp, struct fp_port *p)
{
	struct fp_svc_stats *st = &dp->svc;
	struct rte_mbuf *m[FP_BURST];
	bool moved = false;

	unsigned n = rte_ring_sc_dequeue_burst(p->to_kernel, (void **)m, FP_BURST, NULL);
	if (n) {
		moved = true;
		uint16_t sent = rte_eth_tx_burst(p->tap_id, 0, m, (uint16_t)n);
		st->kernel_tx += sent;
		if (sent < n) {
			st->kernel_tx_drop += n - sent;
			rte_pktmbuf_free_bulk(m + sent, n - sent);
		}
	}
	uint16_t k = rte_eth_rx_burst(p->tap_id, 0, m, FP_BURST);
	if (k) {
		moved = true;
		st->kernel_rx += k;
		unsigned q = rte_ring_sp_enqueue_burst(p->to_port, (void **)m, k, NULL);
		if (q < k) {
			st->kernel_rx_drop += k - q;
			rte_pktmbuf_free_bulk(m + q, k - q);
		}
	}
	return moved;
}

void fp_service_main(struct fp_dp *dp)
{
	unsigned idle = 0;
	while (!CMM_LOAD_SHARED(dp->stop)) {
		bool moved = false;
		for (unsigned i = 0; i < dp->nports; i++)
			moved |= svc_port(dp, &dp->ports[i]);
		if (moved) {
			idle = 0;
		} else if (++idle > SVC_IDLE_SPINS) {
			rte_delay_us_sleep(SVC_NAP_US);
		}
	}
}

void fp_dp_stop(struct fp_dp *dp)
{
	CMM_STORE_SHARED(dp->stop, true);
}

struct retired {
	struct rcu_head head;
	struct zone_table *t;
};

static void retire_cb(struct rcu_head *head)
{
	struct retired *r = caa_container_of(head, struct retired, head);
	zone_table_free(r->t);
	free(r);
}

void fp_dp_publish(struct fp_dp *dp, struct zone_table *t)
{
	urcu_qsbr_thread_online();
	struct zone_table *old = rcu_xchg_pointer(&dp->table, t);
	if (old) {
		struct retired *r = malloc(sizeof(*r));
		if (r) {
			r->t = old;
			urcu_qsbr_call_rcu(&r->head, retire_cb);
		} else {
			/* No memory for the deferred free: wait out the grace period here. */
			urcu_qsbr_thread_offline();
			urcu_qsbr_synchronize_rcu();
			zone_table_free(old);
			return;
		}
	}
	urcu_qsbr_thread_offline();
}

void fp_dp_deinit(struct fp_dp *dp)
{
	fp_dp_stop(dp);
	rte_eal_mp_wait_lcore();
	for (unsigned i = 0; i < dp->nports; i++) {
		struct fp_port *p = &dp->ports[i];
		if (p->started)
			(void)rte_eth_dev_stop(p->port_id);
		(void)rte_eth_dev_close(p->port_id);
		if (p->tap_started)
			(void)rte_eth_dev_stop(p->tap_id);
		if (p->tap_added) {
			(void)rte_eth_dev_close(p->tap_id);
			char vname[32];
			snprintf(vname, sizeof(vname), "net_tap_dpdns%u", i);
			(void)rte_eal_hotplug_remove("vdev", vname);
		}
		/* Frames still in the rings go back to the pool before it is freed. */
		struct rte_mbuf *m;
		while (p->to_kernel && rte_ring_dequeue(p->to_kernel, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		while (p->to_port && rte_ring_dequeue(p->to_port, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(p->to_kernel);
		rte_ring_free(p->to_port);
	}
	dp->nports = 0;
	urcu_qsbr_barrier();
	zone_table_free(dp->table);
	dp->table = NULL;
	rte_mempool_free(dp->pool);
	dp->pool = NULL;
	free_zone_stats(dp);
}

void fp_dp_count_tcp(struct fp_dp *dp, const struct answer_info *info)
{
	struct fp_tcp_stats *t = &dp->tcp;
	t->answered++;
	t->rcode[fp_rcode_class(info->rcode)]++;
	t->qtype[fp_qtype_slot(info->qtype)]++;
	if (info->zone && dp->tcp_zst) {
		uint32_t id = info->zone->stat_id;
		dp->tcp_zst->zone[id < ZONE_STAT_IDS ? id : ZONE_STAT_IDS]++;
	}
}

uint64_t fp_dp_zone_queries(const struct fp_dp *dp, uint32_t id)
{
	size_t k = id < ZONE_STAT_IDS ? id : ZONE_STAT_IDS;
	uint64_t sum = 0;
	for (unsigned i = 0; i < dp->nworkers; i++)
		if (dp->workers[i].zst)
			sum += ((const volatile uint64_t *)dp->workers[i].zst->zone)[k];
	if (dp->tcp_zst)
		sum += ((const volatile uint64_t *)dp->tcp_zst->zone)[k];
	return sum;
}

/* Zero (FP_QT_OTHER) for every type not named. */
const uint8_t fp_qtype_slots[FP_QT_TABLE] = {
	[DNS_T_A] = FP_QT_A,
	[DNS_T_NS] = FP_QT_NS,
	[DNS_T_CNAME] = FP_QT_CNAME,
	[DNS_T_SOA] = FP_QT_SOA,
	[DNS_T_PTR] = FP_QT_PTR,
	[DNS_T_MX] = FP_QT_MX,
	[DNS_T_TXT] = FP_QT_TXT,
	[DNS_T_AAAA] = FP_QT_AAAA,
	[DNS_T_SRV] = FP_QT_SRV,
	[DNS_T_NAPTR] = FP_QT_NAPTR,
	[DNS_T_DS] = FP_QT_DS,
	[DNS_T_DNSKEY] = FP_QT_DNSKEY,
	[DNS_T_SVCB] = FP_QT_SVCB,
	[DNS_T_HTTPS] = FP_QT_HTTPS,
	[DNS_T_CAA] = FP_QT_CAA,
	[DNS_T_ANY] = FP_QT_ANY,
};

const char *fp_qtype_slot_name(unsigned slot)
{
	static const char *const names[FP_QT__COUNT] = {
		"other", "A",	 "NS",	  "CNAME", "SOA", "PTR", "MX",  "TXT",  "AAAA",
		"SRV",	 "NAPTR", "DS",	  "DNSKEY", "SVCB", "HTTPS", "CAA", "ANY",
	};
	return slot < FP_QT__COUNT ? names[slot] : "?";
}

void fp_dp_stats(const struct fp_dp *dp, struct fp_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	uint64_t *s = (uint64_t *)sum;
	size_t nf = offsetof(struct fp_stats, kernel_tx_drop) / sizeof(uint64_t) + 1;
	for (unsigned i = 0; i < dp->nworkers; i++) {
		const volatile uint64_t *w = (const volatile uint64_t *)&dp->workers[i].st;
		for (size_t f = 0; f < nf; f++)
			s[f] += w[f];
	}
}

const char *fp_rcode_class_name(unsigned c)
{
	static const char *const names[FP_RC__COUNT] = {
		"noerror", "formerr", "servfail", "nxdomain",
		"notimp",  "refused", "badvers",  "other",
	};
	return c < FP_RC__COUNT ? names[c] : "?";
}

const char *fp_dropx_name(unsigned r)
{
	static const char *const names[FP_DROPX__COUNT] = {"multiseg", "reply"};
	return r < FP_DROPX__COUNT ? names[r] : "?";
}

const char *fp_engine_drop_name(unsigned r)
{
	static const char *const names[ANSWER_DROP__COUNT] = {
		"sent", "short", "response", "qdcount", "question", "space",
	};
	return r < ANSWER_DROP__COUNT ? names[r] : "?";
}

static struct fp_dp *tel_dp;

/* put(arg, prefix + name, v) */
static void put_named(void (*put)(void *, const char *, uint64_t), void *arg, const char *prefix,
		      const char *name, uint64_t v)
{
	char key[RTE_TEL_MAX_STRING_LEN];
	snprintf(key, sizeof(key), "%s%s", prefix, name);
	put(arg, key, v);
}

void fp_stats_each(const struct fp_dp *dp, const struct fp_stats *s,
		   void (*put)(void *arg, const char *name, uint64_t v), void *arg)
{
	put(arg, "rx", s->rx);
	put(arg, "tx", s->tx);
	put(arg, "tx_drop", s->tx_drop);
	put(arg, "answered", s->answered);
	for (unsigned i = 0; i < FP_RC__COUNT; i++)
		put_named(put, arg, "rcode_", fp_rcode_class_name(i), s->rcode[i]);
	for (unsigned i = 0; i < FP_QT__COUNT; i++)
		put_named(put, arg, "qtype_", fp_qtype_slot_name(i), s->qtype[i]);
	uint64_t dt = 0, et = 0;
	for (unsigned i = 1; i < FP_DROP__COUNT; i++) {
		put_named(put, arg, "drop_", fp_drop_reason_name(i), s->drop[i]);
		dt += s->drop[i];
	}
	for (unsigned i = 1; i < ANSWER_DROP__COUNT; i++) {
		put_named(put, arg, "drop_engine_", fp_engine_drop_name(i), s->drop_dns[i]);
		dt += s->drop_dns[i];
	}
	for (unsigned i = 0; i < FP_DROPX__COUNT; i++) {
		put_named(put, arg, "drop_", fp_dropx_name(i), s->dropx[i]);
		dt += s->dropx[i];
	}
	put(arg, "drop_total", dt);
	for (unsigned i = 1; i < FP_EXC__COUNT; i++) {
		put_named(put, arg, "exc_", fp_exc_reason_name(i), s->exc[i]);
		et += s->exc[i];
	}
	put(arg, "exc_total", et);
	put(arg, "exc_ring_full", s->exc_ring_full);
	put(arg, "kernel_rx", s->kernel_rx);
	put(arg, "kernel_rx_tx_drop", s->kernel_tx_drop);
	if (dp) {
		const struct fp_svc_stats *v = &dp->svc;
		put(arg, "kernel_tx", v->kernel_tx);
		put(arg, "kernel_tx_drop", v->kernel_tx_drop);
		put(arg, "kernel_rx_ring_full", v->kernel_rx_drop);
		put(arg, "tap_rx", v->kernel_rx);
		put(arg, "workers", dp->nworkers);
	}
}

static void tel_put(void *arg, const char *name, uint64_t v)
{
	rte_tel_data_add_dict_u64(arg, name, v);
}

static void tel_fill(struct rte_tel_data *d, const struct fp_stats *s, bool totals)
{
	rte_tel_data_start_dict(d);
	fp_stats_each(totals ? tel_dp : NULL, s, tel_put, d);
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	struct fp_stats s;
	fp_dp_stats(tel_dp, &s);
	tel_fill(d, &s, true);
	return 0;
}

static int tel_lcore(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	char *end;
	if (!params || !*params)
		return -EINVAL;
	unsigned long i = strtoul(params, &end, 10);
	if (*end || i >= tel_dp->nworkers)
		return -EINVAL;
	struct fp_stats s;
	memcpy(&s, (const void *)&tel_dp->workers[i].st, sizeof(s));
	tel_fill(d, &s, false);
	return 0;
}

/* One dict of the counters by type: UDP (the workers), TCP (the slow path) or both. */
static struct rte_tel_data *qtype_dict(const uint64_t *udp, const uint64_t *tcp)
{
	struct rte_tel_data *d = rte_tel_data_alloc();
	if (!d)
		return NULL;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < FP_QT__COUNT; i++)
		rte_tel_data_add_dict_u64(d, fp_qtype_slot_name(i),
					  (udp ? udp[i] : 0) + (tcp ? tcp[i] : 0));
	return d;
}

static int tel_qtype(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	struct fp_stats s;
	uint64_t tcp[FP_QT__COUNT];
	fp_dp_stats(tel_dp, &s);
	/* The slow path writes these: read each once, racy but monotonic. */
	for (unsigned i = 0; i < FP_QT__COUNT; i++)
		tcp[i] = ((const volatile uint64_t *)tel_dp->tcp.qtype)[i];
	struct rte_tel_data *parts[3] = {qtype_dict(s.qtype, tcp), qtype_dict(s.qtype, NULL),
					 qtype_dict(NULL, tcp)};
	static const char *const names[3] = {"total", "udp", "tcp"};
	rte_tel_data_start_dict(d);
	int rc = 0;
	for (unsigned i = 0; i < 3; i++) {
		if (rc == 0 && parts[i] &&
		    rte_tel_data_add_dict_container(d, names[i], parts[i], 0) == 0)
			continue;
		rte_tel_data_free(parts[i]);
		rc = -ENOMEM;
	}
	return rc;
}

int fp_dp_telemetry_register(struct fp_dp *dp)
{
	tel_dp = dp;
	if (rte_telemetry_register_cmd("/dpdns/stats", tel_stats,
				       "dpdns dataplane counters, all workers. No parameters") ||
	    rte_telemetry_register_cmd("/dpdns/qtype", tel_qtype,
				       "dpdns queries answered by type: total, udp, tcp. "
				       "No parameters") ||
	    rte_telemetry_register_cmd("/dpdns/lcore", tel_lcore,
				       "dpdns counters of one worker. Parameter: worker index"))
		return DP_EEXIST;
	return 0;
}
