/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The answer engine: one DNS query in, its response out, in place in the
 * same buffer.  Bytes in, bytes out: no DPDK, no allocation, no locks, no
 * syscalls, so the fastpath, the TCP service, unit tests and fuzzers all call
 * the same function.
 *
 * Behaviour follows Knot DNS where Knot and NSD differ (see doc/answers.md):
 * malformed questions and QDCOUNT > 1 are dropped; QDCOUNT 0, a bad or
 * duplicate OPT, or trailing bytes give FORMERR; opcodes other than QUERY give
 * NOTIMP; EDNS version > 0 gives BADVERS; class CH answers the configured
 * identity/version; names outside every zone are REFUSED (with EDE 20 under
 * EDNS).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zone/snap.h"

#define ANSWER_NSID_MAX 128

struct answer_cfg {
	uint16_t udp_payload;   /* EDNS payload size advertised and used as our UDP limit */
	const uint8_t *nsid;    /* NSID option data (RFC 5001), <= ANSWER_NSID_MAX; NULL: none */
	uint16_t nsid_len;
	const char *identity;   /* CH TXT hostname.bind / id.server; NULL: REFUSED */
	const char *version;    /* CH TXT version.bind / version.server; NULL: REFUSED */
	bool reference_only;    /* answer everything with the reference resolver (tests) */
};

/* Defaults: payload 1232, no NSID, identity and version hidden. */
void zone_answer_cfg_init(struct answer_cfg *cfg);

enum answer_drop {
	ANSWER_SENT = 0,
	ANSWER_DROP_SHORT,      /* shorter than a header */
	ANSWER_DROP_RESPONSE,   /* QR set */
	ANSWER_DROP_QDCOUNT,    /* more than one question */
	ANSWER_DROP_QUESTION,   /* question malformed or truncated */
	ANSWER_DROP_SPACE,      /* buffer too small for even an empty response */
	ANSWER_DROP__COUNT,
};

struct answer_info {
	uint8_t drop;           /* enum answer_drop; ANSWER_SENT when a response was made */
	uint8_t rcode;          /* full 12-bit rcode answered (BADVERS = 16) */
	bool tc;
	bool slow;              /* answered by the reference resolver, not a prepared answer */
	uint16_t qtype;
	const struct zone_snap *zone; /* the zone that answered, or NULL */
};

/*
 * Answers the query in pkt[0..len) in place.  cap is the buffer's capacity
 * (the response may be longer than the query); tcp lifts the UDP size limit
 * (up to 65535 and cap).  t may be NULL (no zones: REFUSED).
 * Returns the response length, or 0 when the query is dropped (see
 * info->drop).  Fastpath-safe; the caller must keep t alive for the call
 * (QSBR read side or a reference).
 */
size_t zone_answer(const struct zone_table *t, const struct answer_cfg *cfg, uint8_t *pkt,
		   size_t len, size_t cap, bool tcp, struct answer_info *info);

#define ANSWER_BURST_MAX 32

/*
 * Answers n (<= ANSWER_BURST_MAX) queries, each in place in pkts[i] of
 * length lens[i] and capacity cap, replacing lens[i] with the response
 * length (0: dropped, see infos[i].drop).  Same answers as zone_answer one
 * by one; working on a burst lets the memory accesses of different queries
 * overlap (all are parsed and their hash buckets prefetched first, then
 * their answers).  Fastpath-safe.
 */
void zone_answer_burst(const struct zone_table *t, const struct answer_cfg *cfg,
		       uint8_t *const pkts[], uint16_t lens[], size_t cap, bool tcp,
		       struct answer_info infos[], unsigned n);
