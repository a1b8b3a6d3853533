/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The immutable contents of one zone version, as produced by a load
 * (zone_builder_finish) and later by a transfer.  The answer engine compiles
 * its lookup snapshot from this; tools dump it.
 *
 * Layout: the nodes in RFC 4034 §6.1 canonical order (the apex first), held
 * through a two-level paged array: a small top array of pages, each page a
 * run of at most ZONE_PAGE_NODES pointers to nodes.  Each node points at its
 * RRsets, sorted by (type, covers); each RRset points at its packed RRs.
 * Owners are lowercased; rdata keeps the case it was loaded with.  Empty
 * non-terminals are not nodes: a name that has descendants but no data is
 * found by ordering (zone_contents_search).
 *
 * Memory: nodes, RRsets, owners, rdata and pages live in reference-counted
 * arenas (struct zone_arena).  A version built by the loader uses one arena
 * and lays its nodes out in one array (nodes/rrsets below).  A later version
 * made by zone_contents_patch (IXFR) shares everything it did not change
 * with its predecessor: the pages it did not touch, and through them the
 * node objects, RRsets and rdata, taking a reference on each arena of the
 * predecessor (zone_contents_attach); the nodes it changed and the pages
 * holding them are new, in a small new arena.  A node object is never
 * modified once its version is sealed, so a pointer to a node of one version
 * stays valid and current in every later version that did not change that
 * node.  What later versions replaced stays allocated until the last
 * version referring to its arena goes (dead_bytes counts it; the producer
 * rebuilds from scratch when it grows too large).  Freeing a version drops
 * its references.

 * Threads: once returned by zone_builder_finish, a contents is never
 * modified; any number of threads may read it concurrently.  Whoever holds
 * the pointer owns it until zone_contents_free.  Lookups are fastpath-safe.
 * It is reference counted (zone_contents_ref), so that two snapshots of one
 * version (zone_snap_prepare_copy) can share it; the count is atomic.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

enum zone_node_flag {
	ZONE_NODE_APEX = 1 << 0,       /* the zone's origin */
	ZONE_NODE_DELEGATION = 1 << 1, /* NS at a non-apex, non-occluded node: a zone cut */
	ZONE_NODE_OCCLUDED = 1 << 2,   /* below a zone cut or a DNAME (glue lives here) */
	ZONE_NODE_WILDCARD = 1 << 3,   /* owner's first label is "*" */
};

/*
 * One RRset.  RRSIGs are grouped per covered type (covers = the type covered,
 * 0 for every other type) because each such group has its own TTL.
 * rdata holds count RRs back to back, each a big-endian u16 length followed by
 * that many octets of uncompressed rdata (so "length + rdata" is exactly
 * RDLENGTH + RDATA on the wire), in canonical RDATA order (RFC 4034 §6.3),
 * without duplicates (RFC 2181 §5).  size is the total octets at rdata.
 */
struct zone_rrset {
	uint16_t type;
	uint16_t covers;
	uint32_t ttl;
	uint32_t count;
	uint32_t size;
	const uint8_t *rdata;
};

/* One name with data: lowercase wire owner, ZONE_NODE_* flags, RRsets sorted by (type, covers). */
struct zone_node {
	const uint8_t *owner;
	const struct zone_rrset *rrsets;
	uint16_t rrset_count;
	uint16_t flags;
};

struct zone_arena;

/* Pages hold at most this many nodes (a changed node copies one page of pointers). */
#define ZONE_PAGE_NODES 512u

struct zone_node_page {
	uint32_t count;
	const struct zone_node *node[ZONE_PAGE_NODES];
};

struct zone_contents {
	const uint8_t *origin;		      /* lowercase wire name */
	const struct zone_node_page **pages;  /* npages pages, canonical order */
	uint32_t *page_first;		      /* index of each page's first node */
	uint32_t npages;
	size_t node_count;
	/*
	 * The producer's flat arrays (zone_contents_alloc): nodes in canonical
	 * order and all RRsets node by node.  NULL in a version made by
	 * zone_contents_patch: readers use zone_contents_node.
	 */
	struct zone_node *nodes;
	struct zone_rrset *rrsets;
	size_t rrset_count;
	size_t record_count;	    /* RRs, after removing duplicates */
	uint32_t serial;	    /* from the apex SOA (0 if none) */
	size_t mem_bytes;	    /* bytes allocated for this version, shared ones included */
	size_t dead_bytes;	    /* of those, bytes only older versions use */
	struct zone_arena **arenas; /* arenas referenced (private) */
	unsigned arena_count;
	uint32_t refs;		    /* references (zone_contents_ref); atomic */
};

/* Node i of a version made by zone_contents_patch (through its pages).  O(log pages). */
const struct zone_node *zone_contents_node_paged(const struct zone_contents *z, size_t i);

/*
 * Node i (0 <= i < node_count) in canonical order: O(1) in a version with
 * the producer's flat array (an AXFR, a zone file), O(log pages) otherwise.
 */
static inline const struct zone_node *zone_contents_node(const struct zone_contents *z, size_t i)
{
	return z->nodes ? &z->nodes[i] : zone_contents_node_paged(z, i);
}

/* Iterating the RRs of an RRset:
 *	const uint8_t *rr = rs->rdata;
 *	for (uint32_t i = 0; i < rs->count; i++, rr = zone_rr_next(rr))
 *		use(zone_rr_data(rr), zone_rr_len(rr));
 */
static inline uint16_t zone_rr_len(const uint8_t *rr)
{
	return dns_get_u16(rr);
}

static inline const uint8_t *zone_rr_data(const uint8_t *rr)
{
	return rr + 2;
}

static inline const uint8_t *zone_rr_next(const uint8_t *rr)
{
	return rr + 2 + dns_get_u16(rr);
}

/*
 * Binary search for name (any case).  Returns true when a node owns exactly
 * name, with *pos its index; otherwise false with *pos the index of the first
 * node sorting after name (node_count if none), so that *pos - 1 is the
 * canonical predecessor (for NXDOMAIN/empty non-terminal proofs).
 */
bool zone_contents_search(const struct zone_contents *z, const uint8_t *name, size_t *pos);

/* The node owning exactly name (any case), or NULL. */
const struct zone_node *zone_contents_find(const struct zone_contents *z, const uint8_t *name);

/* The apex node, or NULL when the zone has no data at its origin. */
const struct zone_node *zone_contents_apex(const struct zone_contents *z);

/* The node's RRset of type (not RRSIG; covers 0), or NULL. */
const struct zone_rrset *zone_node_rrset(const struct zone_node *n, uint16_t type);

/* The node's RRSIGs covering type, or NULL. */
const struct zone_rrset *zone_node_rrsig(const struct zone_node *n, uint16_t covered);

/* Drops a reference to z; the last one releases z and its arena references.  NULL is a no-op. */
void zone_contents_free(struct zone_contents *z);

/* Another reference to z (released with zone_contents_free); returns z.  Any thread. */
struct zone_contents *zone_contents_ref(struct zone_contents *z);

/*
 * For producers (builder, transfer apply).  Allocates a contents whose single
 * new arena holds node_count nodes, rrset_count RRsets and bytes octets of
 * owners/rdata (and the pages over the nodes); nodes and rrsets are set to
 * the arena's arrays and *bytes_out to its byte area; the caller fills them,
 * then calls zone_contents_seal.
 * Returns NULL when out of memory.
 */
struct zone_contents *zone_contents_alloc(size_t node_count, size_t rrset_count, size_t bytes,
					  uint8_t **bytes_out) __attribute__((warn_unused_result));

/*
 * Takes a reference on arena a for z (whose RRsets point into it).
 * Returns 0 or DP_ENOMEM.
 */
int zone_contents_attach(struct zone_contents *z, struct zone_arena *a)
	__attribute__((warn_unused_result));

/*
 * Finishes a filled contents: sets origin (must be owner of nodes[0] or
 * point into the arena), the node flags (APEX, DELEGATION, OCCLUDED, WILDCARD),
 * the SOA serial and record_count.  Nodes must be in canonical order.
 */
void zone_contents_seal(struct zone_contents *z, const uint8_t *origin);

/*
 * Owner names whose node changed between two versions (added, removed,
 * replaced, or only its flags changed), in canonical order.  The names
 * point into the nodes of either version: valid while both live.
 */
struct zone_changes {
	const uint8_t **names;
	size_t n;
	bool full; /* the new version was built from scratch: it shares nothing, names is empty */
};

void zone_changes_free(struct zone_changes *c);

/*
 * IXFR: the version after old with the nodes of delta put in, sharing
 * everything else with old.  delta is a sealed contents of the same origin
 * holding the complete new node of every owner that changed; remove[0..n)
 * are owners (lowercase) whose node goes.  An owner must not be in both.
 * The new version takes references on old's and delta's arenas (delta may be
 * freed afterwards; its nodes then belong to the new version, whose flags
 * this sets).  Flags of untouched nodes below a cut or DNAME that appeared
 * or went are recomputed (copies of those nodes).  *chg (NULL: not wanted)
 * gets every owner whose node changed.  Cost: O(changed nodes x log n +
 * pages), not O(n).  Returns 0 and *out, DP_ENOENT (an owner to remove is
 * not there), DP_ENOMEM.  Checks are the caller's (zone_check_changes).
 */
int zone_contents_patch(const struct zone_contents *old, const struct zone_contents *delta,
			const uint8_t *const *remove, size_t nremove, struct zone_contents **out,
			struct zone_changes *chg) __attribute__((warn_unused_result));

/* Whether some node of z lies strictly below name (lowercase): name has descendants. */
bool zone_contents_has_below(const struct zone_contents *z, const uint8_t *name);
