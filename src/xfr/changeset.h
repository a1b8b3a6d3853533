/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * IXFR changesets (RFC 1995 §4): what an incremental transfer delivers, one
 * changeset per difference sequence, in the order the primary sent them.
 *
 * Changeset i takes the zone from serial_from to serial_to: remove every RR
 * of removed[], then add every RR of added[], then replace the apex SOA by
 * soa_to.  soa_from and soa_to are the SOA records that opened the deletions
 * and the additions; they are not repeated in removed[] / added[].  The first
 * changeset's serial_from is the serial the client asked from, each next
 * serial_from is the previous serial_to, and the last serial_to is the
 * primary's current serial (the transfer client checks all three).
 *
 * Every RR is in wire form: owner an uncompressed wire name, lowercased (the
 * form zone_contents uses for owners); type, class (always IN), TTL; rdata
 * uncompressed (names decompressed, case as sent), validated against its
 * type's layout (dns_rdata_check).  Nothing here checks that a removed RR
 * exists in the zone or that an added one is absent: the code applying the
 * changeset does (RFC 1995 leaves that to the client, and an inconsistency
 * there is a reason to fall back to AXFR).
 *
 * Memory: a changeset owns its records; owner and rdata point into
 * storage the changeset owns and stay valid, unchanged, until
 * xfr_changeset_free.  Changesets form a singly linked list through next;
 * whoever holds the head owns the list (xfr_changeset_list_free).
 * Not fastpath material; one thread at a time.
 */

#include <stddef.h>
#include <stdint.h>

#include "dns/msg.h"

/* One resource record of a changeset. */
struct xfr_rr {
	const uint8_t *owner; /* lowercase uncompressed wire name */
	uint16_t owner_len;
	uint16_t type;
	uint16_t rclass;
	uint16_t rdlen;
	uint32_t ttl;
	const uint8_t *rdata; /* uncompressed rdata, rdlen octets */
};

struct xfr_cs_chunk; /* storage for owners and rdata (private) */

struct xfr_changeset {
	uint32_t serial_from; /* = soa_from's serial */
	uint32_t serial_to;   /* = soa_to's serial */
	struct xfr_rr soa_from;
	struct xfr_rr soa_to;
	struct xfr_rr *removed; /* in the order received */
	size_t nremoved;
	struct xfr_rr *added; /* in the order received */
	size_t nadded;
	struct xfr_changeset *next; /* the following changeset, or NULL */

	/* private */
	size_t cap_removed, cap_added;
	struct xfr_cs_chunk *chunks;
};

/*
 * A changeset opened by the SOA record soa (type SOA, rdata valid; copied):
 * serial_from is its serial.  Returns NULL when out of memory or soa is not
 * an SOA with valid rdata.
 */
struct xfr_changeset *xfr_changeset_new(const struct dns_rr *soa)
	__attribute__((warn_unused_result));

/* Frees cs and its records (not the changesets after it).  NULL: no-op. */
void xfr_changeset_free(struct xfr_changeset *cs);

/* Frees cs and every changeset after it.  NULL: no-op. */
void xfr_changeset_list_free(struct xfr_changeset *cs);

/*
 * Sets soa_to (copied) and serial_to from the SOA that ends the deletions.
 * Returns 0, DP_EINVAL (not an SOA, or rdata not an SOA's) or DP_ENOMEM.
 */
int xfr_changeset_set_to(struct xfr_changeset *cs, const struct dns_rr *soa)
	__attribute__((warn_unused_result));

/*
 * Appends a copy of rr (owner lowercased) to removed[] (added == 0) or
 * added[] (added != 0).  Returns 0 or DP_ENOMEM.
 */
int xfr_changeset_add(struct xfr_changeset *cs, int added, const struct dns_rr *rr)
	__attribute__((warn_unused_result));

/* The serial field of SOA rdata (uncompressed, valid); 0 if it is too short. */
uint32_t xfr_soa_serial(const uint8_t *rdata, size_t rdlen);
