/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The DPDK dataplane: ports, worker lcores answering UDP queries in place,
 * the exception path to the kernel, and the RCU-published zone table.
 *
 * Threads:
 *  - worker lcores (EAL workers) run fp_worker_main: one RX/TX queue pair
 *    on every port each, QSBR readers of the zone table;
 *  - the service lcore (the EAL main lcore) runs fp_service_main: frames
 *    the workers hand over go to the port's kernel TAP, frames the kernel
 *    sends on the TAP go out of the port (through worker 0's TX queue, so a
 *    port needs only as many TX queues as there are workers);
 *  - one control thread (the daemon's) calls fp_dp_publish to swap tables.
 *
 * Lifetime: fp_dp_init (after rte_eal_init) → fp_port_add for each port →
 * fp_dp_start → fp_dp_publish any number of times → fp_dp_stop (from any
 * thread) → fp_dp_deinit on the main lcore after the loops returned.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fastpath/pkt.h"
#include "zone/answer.h"

#define FP_PORTS_MAX 8
#define FP_WORKERS_MAX 32
#define FP_BURST ANSWER_BURST_MAX
#define FP_IFNAME_MAX 16 /* IFNAMSIZ */

/* Responses by rcode class, for counters. */
enum fp_rcode_class {
	FP_RC_NOERROR,
	FP_RC_FORMERR,
	FP_RC_SERVFAIL,
	FP_RC_NXDOMAIN,
	FP_RC_NOTIMP,
	FP_RC_REFUSED,
	FP_RC_BADVERS,
	FP_RC_OTHER,
	FP_RC__COUNT,
};

/* The class of a full (12-bit) rcode. Fastpath-safe. */
static inline unsigned fp_rcode_class(unsigned rcode)
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
 * Queries by type: one counter slot per common type, the rest in
 * FP_QT_OTHER.  fp_qtype_slot maps a qtype to its slot.
 */
enum fp_qtype_slot {
	FP_QT_OTHER, /* 0: what the lookup table holds for every type not listed */
	FP_QT_A,
	FP_QT_NS,
	FP_QT_CNAME,
	FP_QT_SOA,
	FP_QT_PTR,
	FP_QT_MX,
	FP_QT_TXT,
	FP_QT_AAAA,
	FP_QT_SRV,
	FP_QT_NAPTR,
	FP_QT_DS,
	FP_QT_DNSKEY,
	FP_QT_SVCB,
	FP_QT_HTTPS,
	FP_QT_CAA,
	FP_QT_ANY,
	FP_QT__COUNT,
};

/* Slot of every qtype below FP_QT_TABLE (CAA, 257, is the highest counted); others: OTHER. */
#define FP_QT_TABLE 258u
extern const uint8_t fp_qtype_slots[FP_QT_TABLE];

/* The counter slot of qtype.  Fastpath-safe: one load from a 258-octet table. */
static inline unsigned fp_qtype_slot(uint16_t qtype)
{
	return qtype < FP_QT_TABLE ? fp_qtype_slots[qtype] : FP_QT_OTHER;
}

/* Drops that are not the packet stage's (which has enum fp_drop_reason). */
enum fp_drop_other {
	FP_DROPX_MULTISEG,   /* chained mbuf (jumbo frame): not answered here */
	FP_DROPX_REPLY,      /* the response did not fit the mbuf */
	FP_DROPX__COUNT,
};

/*
 * One worker's counters; written only by that worker (plain stores),
 * read racily by the telemetry and log readers, which sum over workers.
 */
struct fp_stats {
	uint64_t rx;
	uint64_t tx;
	uint64_t tx_drop;		     /* answered but the TX queue was full */
	uint64_t answered;
	uint64_t rcode[FP_RC__COUNT];
	uint64_t qtype[FP_QT__COUNT];	     /* answered, by query type (fp_qtype_slot) */
	uint64_t drop[FP_DROP__COUNT];	     /* packet stage; [0] unused */
	uint64_t drop_dns[ANSWER_DROP__COUNT]; /* engine; [0] unused */
	uint64_t dropx[FP_DROPX__COUNT];
	uint64_t exc[FP_EXC__COUNT];	     /* handed to the exception path, by reason */
	uint64_t exc_ring_full;		     /* of those, dropped: the ring was full */
	uint64_t kernel_rx;		     /* frames from the kernel sent out (worker 0) */
	uint64_t kernel_tx_drop;	     /* frames from the kernel the TX queue refused */
} __rte_cache_aligned;

/* The service lcore's counters. */
struct fp_svc_stats {
	uint64_t kernel_tx;	 /* frames written to a TAP */
	uint64_t kernel_tx_drop; /* frames the TAP refused */
	uint64_t kernel_rx;	 /* frames read from a TAP */
	uint64_t kernel_rx_drop; /* frames from a TAP dropped: the to-port ring was full */
} __rte_cache_aligned;

struct fp_port {
	char name[64];		    /* as configured: vdev name or PCI address */
	uint16_t port_id;	    /* the DPDK data port */
	uint16_t tap_id;	    /* the DPDK net_tap port of the kernel interface */
	char tap_name[FP_IFNAME_MAX];
	struct rte_ether_addr mac;
	struct fp_addrs addrs;	    /* what the workers answer on */
	unsigned reply_flags;	    /* FP_REPLY_*_HW the port offloads */
	uint16_t mtu;		    /* replies never exceed it (no IP fragmentation here) */
	struct rte_ring *to_kernel; /* workers → service (multi-producer) */
	struct rte_ring *to_port;   /* service → worker 0 (single producer, single consumer) */
	bool started, tap_added, tap_started;
};

/*
 * Answered queries by zone: zone[id] for a zone whose snapshot has stat_id
 * id < ZONE_STAT_IDS, zone[ZONE_STAT_IDS] for the others (ids beyond the
 * bound); queries no zone answers (REFUSED) are not counted here.  One block
 * per writer: each worker, and the slow path's TCP service (fp_dp_count_tcp).
 */
struct fp_zone_stats {
	uint64_t zone[ZONE_STAT_IDS + 1];
} __rte_cache_aligned;

/* Queries the slow path answered over TCP, counted like the workers' (slow-path thread only). */
struct fp_tcp_stats {
	uint64_t answered;
	uint64_t rcode[FP_RC__COUNT];
	uint64_t qtype[FP_QT__COUNT];
} __rte_cache_aligned;

struct fp_worker {
	struct fp_stats st; /* first: cache-aligned, owner-written */
	struct fp_zone_stats *zst; /* owner-written; allocated by fp_dp_init */
	struct fp_dp *dp;
	unsigned lcore_id;
	uint16_t queue;	    /* its RX/TX queue index on every port */
	uint16_t ip_id;	    /* IPv4 identification of the next reply */
} __rte_cache_aligned;

struct fp_dp_cfg {
	unsigned nb_rxd, nb_txd;  /* descriptor ring sizes */
	unsigned mbufs;		  /* mbufs in the pool */
	unsigned idle_sleep_us;	  /* worker nap after an empty poll; 0: busy poll */
	unsigned ring_size;	  /* exception rings, power of two */
	struct answer_cfg answer; /* pointers must outlive the dataplane */
};

struct fp_dp {
	struct fp_dp_cfg cfg;
	struct rte_mempool *pool;
	struct fp_port ports[FP_PORTS_MAX];
	unsigned nports;
	struct fp_worker workers[FP_WORKERS_MAX];
	unsigned nworkers;
	struct fp_svc_stats svc;
	struct fp_tcp_stats tcp;	/* written by the slow-path thread only (fp_dp_count_tcp) */
	struct fp_zone_stats *tcp_zst;	/* likewise */
	struct zone_table *table; /* RCU-published (QSBR); written only by fp_dp_publish */
	volatile bool stop;
};

/*
 * Sets up dp over the EAL's worker lcores (at least one; at most
 * FP_WORKERS_MAX): mempool on the main lcore's socket, no ports yet.
 * Main lcore, after rte_eal_init.  Returns 0 or a negative dp_errcode with
 * a message in err.
 */
int fp_dp_init(struct fp_dp *dp, const struct fp_dp_cfg *cfg, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * Configures the DPDK port called name (a vdev name or a PCI address) with
 * one RX/TX queue pair per worker (RSS over addresses and UDP ports when
 * there are several and the port has it; IPv4 and UDP checksum offload
 * when advertised) and creates its kernel TAP interface tap_name with the
 * port's MAC (net_tap, "iface=tap_name,mac=..."); addrs (mac filled here)
 * says what the workers answer on.  The TAP's kernel addresses are the
 * caller's business (see netif.h).  Main lcore, before fp_dp_start.
 */
int fp_port_add(struct fp_dp *dp, const char *name, const char *tap_name,
		const struct fp_addrs *addrs, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Starts every port and TAP and launches the workers. Main lcore. */
int fp_dp_start(struct fp_dp *dp, char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * The service loop (exception path); returns once dp->stop is set.  Call
 * on the main lcore after fp_dp_start.  Naps after idle polls: the kernel
 * path carries ARP, ICMP and TCP, where 100 µs do not matter.
 */
void fp_service_main(struct fp_dp *dp);

/* Asks every loop to return.  Any thread, async-signal-safe. */
void fp_dp_stop(struct fp_dp *dp);

/*
 * Publishes t (ownership passes to dp; NULL: answer REFUSED) and retires
 * the previous table after a grace period.  The calling thread must be a
 * registered QSBR thread; it is put online for the call and left offline.
 * One writer at a time.
 */
void fp_dp_publish(struct fp_dp *dp, struct zone_table *t);

/*
 * Waits for the workers (after fp_dp_stop), stops and closes ports and
 * TAPs, waits for pending retirements (rcu barrier) and frees the table.
 * Main lcore.
 */
void fp_dp_deinit(struct fp_dp *dp);

/* Sums every worker's counters into *sum. Any thread (racy but monotonic per field). */
void fp_dp_stats(const struct fp_dp *dp, struct fp_stats *sum);

/*
 * Counts a query the slow path answered over TCP (info from zone_answer),
 * in dp->tcp and the TCP block of the per-zone counters.  Only one thread
 * may call it (the slow path's); never a worker.
 */
void fp_dp_count_tcp(struct fp_dp *dp, const struct answer_info *info);

/*
 * Queries answered for the zone counter slot id (a zone_snap.stat_id; ids
 * not below ZONE_STAT_IDS read the shared "other" slot), over UDP (every
 * worker) and TCP.  Any thread (racy but monotonic).
 */
uint64_t fp_dp_zone_queries(const struct fp_dp *dp, uint32_t id);

/* Short names for counters ("noerror", ...). */
const char *fp_rcode_class_name(unsigned c);
const char *fp_qtype_slot_name(unsigned slot); /* "A", ..., "other" */
const char *fp_dropx_name(unsigned r);
/*
 * Calls put once per counter of s, by the names of DPDK telemetry's
 * /dpdns/stats (doc/fastpath.md "Counters"): the workers' counters and
 * their totals, then, with dp, the exception path's service loop and the
 * worker count (for the sums over all workers; NULL for one worker's).
 */
void fp_stats_each(const struct fp_dp *dp, const struct fp_stats *s,
		   void (*put)(void *arg, const char *name, uint64_t v), void *arg);

const char *fp_engine_drop_name(unsigned r); /* enum answer_drop */

/*
 * Registers DPDK telemetry commands /dpdns/stats (totals), /dpdns/lcore,N
 * (one worker) and /dpdns/qtype (answered queries by type: UDP, TCP and
 * both) reading dp.  Once, main lcore.
 */
int fp_dp_telemetry_register(struct fp_dp *dp) __attribute__((warn_unused_result));

/*
 * Processes one received burst of port p on worker w against table t:
 * answers queries in place and transmits them on TX queue w->queue, hands
 * exception frames to p->to_kernel, frees drops; counts everything.  Every
 * mbuf is consumed.  Exposed for the loop benchmark.  Fastpath-safe; the
 * caller is QSBR-online and keeps t for the call.
 */
void fp_worker_burst(struct fp_worker *w, const struct fp_port *p, const struct zone_table *t,
		     struct rte_mbuf **pkts, uint16_t n);

/* The worker lcore loop (rte_eal_remote_launch); arg is a struct fp_worker. */
int fp_worker_main(void *arg);
