/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * DPDK telemetry commands for what the slow path owns: /dpdns/zones (a
 * dict "0", "1", ... of the first 255 zones, each a dict: zone, queries
 * answered, secondary, expired, serial, seconds since the last refresh,
 * seconds until expire; "zones_not_shown" counts the rest),
 * /dpdns/zones,NAME (one zone's dict, any zone) and /dpdns/tcp (DNS over
 * TCP connections and queries).  The dataplane registers its own (/dpdns/stats, /dpdns/lcore,
 * /dpdns/qtype; fastpath/dataplane.h).
 *
 * Threads: DPDK runs the callbacks on its telemetry thread, which must not
 * touch the zone manager or the TCP server.  The slow-path loop publishes
 * a copy of their state here (dd_telem_publish_*, about once a second and
 * on changes); the callbacks read the copy under a mutex.  The per-zone
 * query counts are summed from the per-lcore counters at read time (those
 * are safe to read from any thread), so they are never stale.
 *
 * The state is static: DPDK cannot unregister a command, so what its
 * callbacks read lives as long as the process.
 */

#include <stdint.h>

#include "daemon/zonemgr.h"
#include "fastpath/dataplane.h"

/* The slow path's TCP counters as /dpdns/tcp and /metrics show them. */
struct dd_telem_tcp {
	uint64_t accepted;    /* connections accepted and served */
	uint64_t refused;     /* closed at once: over the connection limit (or no memory) */
	uint64_t idle_closed; /* closed after the idle timeout */
	uint64_t queries;     /* DNS messages received (NOTIFY included) */
	uint64_t responses;   /* responses sent */
	uint64_t open;	      /* connections open now */
};

/*
 * Registers /dpdns/zones and /dpdns/tcp; dp's per-zone counters are read
 * at each call.  Once, after rte_eal_init, before the slow path publishes.
 * Returns 0 or DP_EEXIST when a command is taken.
 */
int dd_telem_register(const struct fp_dp *dp) __attribute__((warn_unused_result));

/* Replaces the zones shown with a copy of zones[0..n).  Slow-path loop. */
void dd_telem_publish_zones(const struct dd_zone_info *zones, unsigned n);

/* Replaces the TCP counters shown.  Slow-path loop. */
void dd_telem_publish_tcp(const struct dd_telem_tcp *tcp);

/* Drops the copies (the commands then show no zones); at shutdown. */
void dd_telem_clear(void);
