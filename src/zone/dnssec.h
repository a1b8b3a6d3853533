/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * What the answer engine needs to serve a DNSSEC-signed zone (dpdns does not
 * sign: the RRSIGs, NSEC and NSEC3 records come with the zone): which
 * denial of existence the zone uses, its NSEC3 parameters, the NSEC3 chain
 * sorted by hash, and per name of the snapshot the NSEC3 records its
 * proofs need (RFC 5155 §7.2), hashed once when the snapshot is built so
 * that a query hashes at most one name (the next closer name of an
 * NXDOMAIN or wildcard proof).
 *
 * NSEC3 records live at hashed owner names; like Knot and NSD, dpdns does
 * not treat those as names of the zone (a query for one is NXDOMAIN).  The
 * snapshot leaves them out of its index (zone_dnssec_is_nsec3_node).
 *
 * Threads: built once per snapshot by the builder thread (zone_snap_build),
 * then read-only; lookups allocate nothing and are fastpath-safe.
 */

#include <stdbool.h>
#include <stdint.h>

#include "zone/contents.h"
#include "zone/snap.h"

enum zone_denial {
	ZONE_DENIAL_NONE = 0, /* signed without a chain, or not signed */
	ZONE_DENIAL_NSEC = 1,
	ZONE_DENIAL_NSEC3 = 2,
};

#define ZONE_NSEC3_HASH_LEN 20 /* SHA-1, the only NSEC3 hash algorithm (RFC 5155 §11) */

/*
 * One NSEC3 record set of the chain: its owner's hash, its node in the
 * contents, and its proof piece (the engine reads it beside the hash).
 */
struct zone_nsec3 {
	uint8_t hash[ZONE_NSEC3_HASH_LEN];
	uint32_t node;          /* index in contents->nodes (and in snap->nodes) */
	uint32_t piece;         /* struct zone_piece in do_arena, or UINT32_MAX */
};

struct zone_dnssec {
	enum zone_denial denial;
	uint16_t iterations;    /* from NSEC3PARAM */
	uint8_t salt_len;
	uint8_t salt[255];
	struct zone_nsec3 *chain; /* sorted by hash */
	uint32_t nchain;
	/* Hashes are uniform: dir[b] is the first chain entry whose hash starts
	 * with the dir_bits-bit prefix b (dir[1 << dir_bits] = nchain), so a
	 * search reads one directory entry and about one chain entry instead of
	 * the log2(nchain) cache lines of a binary search. */
	uint32_t *dir;
	unsigned dir_bits;
	/* Per snap node (indexed like snap->nodes), chain indexes or UINT32_MAX:
	 * the NSEC3 whose hash matches the name, and the NSEC3 matching or
	 * covering "*.<name>" (the wildcard proof when the name is a closest
	 * encloser). */
	uint32_t *match;
	uint32_t *wild;

	/* Prepared answers for DO queries (built by zone_snap_build, read by
	 * the engine); every offset is into do_arena, UINT32_MAX when the
	 * answer goes to the reference resolver. */
	uint8_t *do_arena;
	size_t do_len;
	uint32_t *do_block;     /* per snap node: its struct zone_do_block */
	uint32_t nxdomain_head; /* relocatable struct snap_frag: SOA + RRSIG, NXDOMAIN header */
	uint32_t nodata_head;   /* the same body with the NOERROR header */
};

/*
 * The DO answers prepared for one name: nans entries of struct snap_ans
 * (qtype 0: any other type), offsets in 4-octet units from the block start,
 * each pointing at a struct snap_frag.  A name of an NSEC3 zone has no
 * qtype-0 entry: its NODATA answer is assembled from the zone's head and
 * the piece of its NSEC3.
 */
struct zone_do_block {
	uint16_t nans;
	uint16_t pad;
	/* struct snap_ans ans[nans]; fragments */
};

/*
 * One NSEC3 record set with its RRSIGs as the reference resolver writes it
 * after a negative answer's SOA: len octets of body, nrr RRs, then
 * (2-aligned) nreloc struct snap_reloc whose val is ZONE_PIECE_SELF | offset
 * inside the piece, ZONE_PIECE_HEAD | offset inside the head (the body
 * before the first piece), or k: the suffix of the query name with k labels.
 */
struct zone_piece {
	uint16_t len;
	uint16_t nrr;
	uint16_t nreloc;
	uint16_t pad;
	uint8_t body[];
};

#define ZONE_PIECE_SELF 0x8000
#define ZONE_PIECE_HEAD 0x4000

/*
 * True when n holds only NSEC3 records and their signatures: a node of the
 * NSEC3 chain, not a name of the zone.
 */
bool zone_dnssec_is_nsec3_node(const struct zone_node *n);

/* The node's first RRSIG group (lowest type covered), or NULL. */
const struct zone_rrset *zone_dnssec_first_rrsig(const struct zone_node *n);

/*
 * Builds the DNSSEC state of snapshot s (its index and nodes are built) and
 * stores it in s->dnssec; leaves s->dnssec NULL when the zone is not signed
 * (no RRSIG at the apex).  Returns 0 or DP_ENOMEM.  Builder thread only.
 */
int zone_dnssec_build(struct zone_snap *s) __attribute__((warn_unused_result));

static inline const struct snap_reloc *zone_piece_relocs(const struct zone_piece *p)
{
	return (const struct snap_reloc *)(const void *)(p->body + ((p->len + 1u) & ~1u));
}

/* Frees d; NULL is a no-op. */
void zone_dnssec_free(struct zone_dnssec *d);

/*
 * NSEC3 hash (RFC 5155 §5) of the lowercase wire name with d's salt and
 * iterations, SHA-1, into out.  Allocation-free; fastpath-safe.
 */
void zone_nsec3_hash(const struct zone_dnssec *d, const uint8_t *lname,
		     uint8_t out[ZONE_NSEC3_HASH_LEN]);

/* The directory slot of hash (d has a chain). */
static inline uint32_t zone_nsec3_slot(const struct zone_dnssec *d,
				       const uint8_t hash[ZONE_NSEC3_HASH_LEN])
{
	uint32_t v = (uint32_t)hash[0] << 24 | (uint32_t)hash[1] << 16 | (uint32_t)hash[2] << 8 |
		     hash[3];
	return d->dir_bits ? v >> (32 - d->dir_bits) : 0;
}

/*
 * The chain index of the NSEC3 whose hash equals hash (*exact = true) or
 * else covers it (the last hash below it, wrapping to the last entry;
 * *exact = false).  d must have a non-empty chain.  Fastpath-safe.
 */
uint32_t zone_nsec3_find(const struct zone_dnssec *d, const uint8_t hash[ZONE_NSEC3_HASH_LEN],
			 bool *exact);

/*
 * The contents node whose NSEC covers name (lowercase; a name the zone does
 * not have, or an empty non-terminal): its canonical predecessor that owns
 * an NSEC.  NULL when there is none (no NSEC at the apex).  Fastpath-safe.
 */
const struct zone_node *zone_nsec_cover(const struct zone_contents *z, const uint8_t *name);
