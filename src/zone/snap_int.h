/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Private to the snapshot's two files: snap.c (building a snapshot whole,
 * the pages, the shared arena, fragments and hot blocks) and snap_update.c
 * (deriving a new version from the served one, zone_snap_update).  Nothing
 * else includes this.  Everything here runs on the one thread that builds or
 * updates a line of versions (off the fastpath), except the page and arena
 * reference counts, which are atomic.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zone/snap.h"

/* The reference count of one page of buckets or nodes (pages are shared by versions). */
struct snap_page {
	uint32_t refs;
	uint32_t cap;  /* entries the page holds */
	size_t bytes;
	void *mem;
	struct bchunk *chunk; /* the pool's chunk mem is in (bucket pages), or NULL */
};

/* name hash -> node index whose prepared answers read that name (writer-side). */
struct snap_dep {
	uint32_t hash;
	uint32_t node; /* SNAP_NONE: empty */
};

/*
 * What the versions of one line share: the hot-block arena (one
 * reservation, so that hot refs stay offsets from one base; each version
 * uses a prefix of it and later versions append), and the dependency index
 * the writer keeps up to date.  Only the writer touches used, dead and the
 * index; readers read blocks below their version's arena_len, never written
 * again.
 */
struct snap_shared {
	uint32_t refs;
	uint8_t *base;
	size_t reserved;
	size_t used;
	size_t dead;            /* octets of blocks no version made later uses */
	struct snap_dep *deps;
	uint32_t dmask;
	uint32_t dcount;
};

/*
 * A growable byte buffer (fragments and hot blocks while building).  A
 * mapped one (a full build's hot-block arena) lives in a 2 MiB-aligned
 * anonymous mapping of exactly cap octets advised for huge pages, and grows
 * by moving its pages into a bigger mapping (mremap), never by copying;
 * release it with bytes_release.
 */
struct bytes {
	uint8_t *buf;
	size_t len, cap;
	bool fixed;  /* the shared arena: cannot move, full is DP_ERANGE */
	bool mapped; /* buf is a mapping of cap octets (cap a multiple of 2 MiB, or 0) */
};

/*
 * What a builder that runs beside others (a thread of a parallel full
 * build) keeps instead of writing state the others read: the nodes that go
 * to the reference resolver (SNAP_N_SLOW: other threads read node flags)
 * and the (name hash, node) pairs of the dependency index.  Applied, in
 * node order, once every thread has been joined.
 */
struct snap_collect {
	uint32_t *slow;
	size_t nslow, slow_cap;
	struct snap_dep *deps;
	size_t ndeps, deps_cap;
};

/* One build (zone_snap_build) or update (zone_snap_update) in progress. */
struct builder {
	struct zone_snap *s;
	struct bytes arena;          /* becomes the shared arena (update: a view of it) */
	struct bytes tmp;            /* one name's fragments */
	uint8_t *scratch;            /* a 64 KiB response buffer */
	bool soa_used;               /* a fragment of this name holds the zone's SOA */
	uint16_t sites[512];
	uint32_t indexed;            /* nodes in the hash index (NSEC3 chain nodes are not) */
	bool dnssec;                 /* preparing answers for DO queries (signed zones) */
	bool do_slow;                /* the name's DO answers go to the reference resolver */
	bool node_slow;              /* the name being built goes to the reference resolver
				      * (set while preparing it, taken by snap_emit_hot) */
	struct snap_collect *col;    /* NULL: write SLOW flags and dependencies directly */
};

/* One name's prepared answers while its hot block is assembled. */
struct pending {
	struct {
		uint16_t qtype;
		uint32_t frag;        /* offset in b->tmp; SNAP_NONE: NODATA (frag 0) */
	} ans[64];
	unsigned n;
};

/*
 * Garbage a line of versions may hold before the writer builds afresh,
 * whatever the zone's size: small zones would otherwise be rebuilt every few
 * changes (each change rebuilds the apex's block at least).
 */
#define SNAP_GARBAGE_SLACK ((size_t)1 << 20)

/* Node i of s made writable (its page copied when shared), or NULL (ENOMEM). */
struct snap_node *snap_node_mut(struct zone_snap *s, uint32_t i);

/* Bucket i of s made writable (its page copied when shared), or NULL (ENOMEM). */
struct snap_bucket *snap_bucket_mut(struct zone_snap *s, uint32_t i);

/* Appends a node (not indexed); its index, or SNAP_NONE on ENOMEM. */
uint32_t snap_append_node(struct zone_snap *s, const uint8_t *owner, const struct zone_node *zn);

/* The node owning name (lowercase) in s, or SNAP_NONE. */
uint32_t snap_find_name(const struct zone_snap *s, const uint8_t *name);

/* The node's own flags, from its data and owner (no cut, no SLOW). */
uint16_t snap_base_flags(const struct snap_node *n);

/* Sets BELOW in *flags and *cut when a cut or DNAME lies strictly above owner. */
void snap_find_cut(const struct zone_snap *s, const uint8_t *owner, uint16_t *flags,
		   uint32_t *cut);

/*
 * Lays out node i's hot block (answers in p, fragments in b->tmp) at the
 * arena's end, with SNAP_N_SLOW in its flags when b->node_slow is set or the
 * block is too large; the node's SLOW flag is then set (b->col NULL) or the
 * node collected in b->col.  Clears b->node_slow.
 */
int snap_emit_hot(struct builder *b, uint32_t i, const struct pending *p)
	__attribute__((warn_unused_result));

/*
 * Node i's hot block prepared afresh and appended, its dependencies recorded
 * (into the shared index, or into b->col: then node i's flags are not
 * written, and must not hold SNAP_N_SLOW, which a full build never set yet).
 */
int snap_build_hot(struct builder *b, uint32_t i) __attribute__((warn_unused_result));

/* Fills node i's hot block link: the cut above it, or its wildcard child. */
void snap_link_one(struct builder *b, uint32_t i);

/* Appends the zone-wide NXDOMAIN and NODATA fragments (s->frag_*). */
int snap_zone_frags(struct builder *b) __attribute__((warn_unused_result));

/* Sets s->mem_bytes. */
void snap_set_mem(struct zone_snap *s);

/* The snapshot's origin and SOA fields from z (taken as s->z); false without an apex SOA. */
bool snap_set_soa(struct zone_snap *s, struct zone_contents *z)
	__attribute__((warn_unused_result));
