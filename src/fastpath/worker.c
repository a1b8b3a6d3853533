/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker poll loop: rx burst → classify → answer the queries as one
 * burst → rewrite headers → one tx burst; exceptions to the kernel ring,
 * drops freed in bulk.  No allocation, locks, syscalls or logging here
 * (the optional idle nap is the one sleep, and only when configured).
 */
#define _LGPL_SOURCE
#include "fastpath/dataplane.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>
#include <urcu/urcu-qsbr.h>

/* Offload flags and header lengths for a reply whose checksums the NIC completes. */
static inline void set_offload(struct rte_mbuf *m, const struct fp_pkt *pk, unsigned flags)
{
	uint64_t ol = 0;
	if (pk->ip_ver == 4) {
		ol = RTE_MBUF_F_TX_IPV4;
		if (flags & FP_REPLY_IP4_CSUM_HW)
			ol |= RTE_MBUF_F_TX_IP_CKSUM;
	} else {
		ol = RTE_MBUF_F_TX_IPV6;
	}
	if (flags & FP_REPLY_UDP_CSUM_HW)
		ol |= RTE_MBUF_F_TX_UDP_CKSUM;
	m->ol_flags = (m->ol_flags & RTE_MBUF_F_EXTERNAL) | ol;
	m->l2_len = pk->l3_off;
	m->l3_len = (uint16_t)(pk->l4_off - pk->l3_off);
}

void fp_worker_burst(struct fp_worker *w, const struct fp_port *p, const struct zone_table *t,
		     struct rte_mbuf **pkts, uint16_t n)
{
	struct fp_stats *st = &w->st;
	uint64_t *zq = w->zst->zone;
	const struct answer_cfg *acfg = &w->dp->cfg.answer;
	struct rte_mbuf *ans[FP_BURST], *exc[FP_BURST], *drop[FP_BURST];
	struct fp_pkt pk[FP_BURST];
	uint8_t *msg[FP_BURST];
	uint16_t len[FP_BURST];
	struct answer_info info[FP_BURST];
	unsigned na = 0, ne = 0, nd = 0;
	size_t cap = SIZE_MAX;

	st->rx += n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (unlikely(m->nb_segs != 1)) {
			st->dropx[FP_DROPX_MULTISEG]++;
			drop[nd++] = m;
			continue;
		}
		uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
		uint8_t reason = FP_DROP_NONE;
		/* Checksums the NIC verified are not summed again (PMDs without RX offload say UNKNOWN). */
		uint64_t ol = m->ol_flags;
		unsigned hw = ((ol & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD
				       ? FP_RX_IP4_CSUM_OK
				       : 0) |
			      ((ol & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD
				       ? FP_RX_L4_CSUM_OK
				       : 0);
		switch (fp_pkt_classify_hw(&p->addrs, f, rte_pktmbuf_data_len(m), &pk[na], &reason,
					   hw)) {
		case FP_QUERY: {
			/*
			 * Room for the response: the buffer past the DNS header's
			 * start, and no more than fits the MTU (the engine sets TC
			 * when the answer does not fit).
			 */
			size_t room = (size_t)(m->buf_len - m->data_off);
			if (room > (size_t)pk[na].l3_off + p->mtu)
				room = (size_t)pk[na].l3_off + p->mtu;
			room -= pk[na].dns_off;
			if (room < cap)
				cap = room;
			msg[na] = f + pk[na].dns_off;
			len[na] = pk[na].dns_len;
			ans[na++] = m;
			break;
		}
		case FP_EXCEPTION:
			st->exc[pk[na].exc]++;
			exc[ne++] = m;
			break;
		default:
			st->drop[reason]++;
			drop[nd++] = m;
			break;
		}
	}

	unsigned nt = 0;
	if (na) {
		zone_answer_burst(t, acfg, msg, len, cap, false, info, na);
		for (unsigned i = 0; i < na; i++) {
			struct rte_mbuf *m = ans[i];
			if (!len[i]) {
				st->drop_dns[info[i].drop]++;
				drop[nd++] = m;
				continue;
			}
			uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
			int rlen = fp_pkt_reply_hw(f, m->buf_len - m->data_off, &pk[i], len[i],
						   w->ip_id++, p->reply_flags);
			if (unlikely(rlen < 0)) {
				st->dropx[FP_DROPX_REPLY]++;
				drop[nd++] = m;
				continue;
			}
			m->data_len = (uint16_t)rlen;
			m->pkt_len = (uint32_t)rlen;
			if (p->reply_flags)
				set_offload(m, &pk[i], p->reply_flags);
			else
				m->ol_flags &= RTE_MBUF_F_EXTERNAL;
			st->answered++;
			st->rcode[fp_rcode_class(info[i].rcode)]++;
			st->qtype[fp_qtype_slot(info[i].qtype)]++;
			/* The snapshot's header is in cache: the engine has just read it. */
			if (info[i].zone) {
				uint32_t id = info[i].zone->stat_id;
				zq[id < ZONE_STAT_IDS ? id : ZONE_STAT_IDS]++;
			}
			ans[nt++] = m;
		}
	}
	if (nt) {
		uint16_t sent = rte_eth_tx_burst(p->port_id, w->queue, ans, (uint16_t)nt);
		st->tx += sent;
		if (unlikely(sent < nt)) {
			st->tx_drop += nt - sent;
			rte_pktmbuf_free_bulk(ans + sent, nt - sent);
		}
	}
	if (ne) {
		unsigned q = rte_ring_mp_enqueue_burst(p->to_kernel, (void **)exc, ne, NULL);
		if (unlikely(q < ne)) {
			st->exc_ring_full += ne - q;
			rte_pktmbuf_free_bulk(exc + q, ne - q);
		}
	}
	if (nd)
		rte_pktmbuf_free_bulk(drop, nd);
}

/* Worker 0 also sends what the kernel wrote on the TAPs (see dataplane.h). */
static inline bool kernel_out(struct fp_worker *w, const struct fp_port *p)
{
	struct rte_mbuf *m[FP_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(p->to_port, (void **)m, FP_BURST, NULL);
	if (!n)
		return false;
	uint16_t sent = rte_eth_tx_burst(p->port_id, w->queue, m, (uint16_t)n);
	w->st.kernel_rx += sent;
	if (sent < n) {
		w->st.kernel_tx_drop += n - sent;
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	}
	return true;
}

int fp_worker_main(void *arg)
{
	struct fp_worker *w = arg;
	struct fp_dp *dp = w->dp;
	unsigned nports = dp->nports, nap = dp->cfg.idle_sleep_us;
	struct rte_mbuf *pkts[FP_BURST];

	urcu_qsbr_register_thread();
	while (!CMM_LOAD_SHARED(dp->stop)) {
		bool busy = false;
		for (unsigned i = 0; i < nports; i++) {
			const struct fp_port *p = &dp->ports[i];
			uint16_t n = rte_eth_rx_burst(p->port_id, w->queue, pkts, FP_BURST);
			if (n) {
				/* One dereference per burst; nothing kept past the quiescent state. */
				const struct zone_table *t = rcu_dereference(dp->table);
				fp_worker_burst(w, p, t, pkts, n);
				busy = true;
			}
			if (w->queue == 0)
				busy |= kernel_out(w, p);
		}
		urcu_qsbr_quiescent_state();
		if (!busy && nap) {
			urcu_qsbr_thread_offline();
			rte_delay_us_sleep(nap);
			urcu_qsbr_thread_online();
		}
	}
	urcu_qsbr_unregister_thread();
	return 0;
}
