/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The published, immutable form of a zone that the answer engine reads, and
 * the table of all zones.
 *
 * A snapshot wraps a struct zone_contents (the RRsets) with what the hot path
 * needs: a hash index over every name (empty non-terminals included), per
 * node the nearest zone cut/DNAME above it and its wildcard child, and
 * prepared answers.  A prepared answer ("fragment") is the exact response
 * body after the question, as the reference resolver (resolve.h) writes it,
 * with compression pointers into the question name.  A fragment prepared for
 * the node's own name is used as is; one that must serve other query names
 * (wildcards, referrals, NXDOMAIN/NODATA) carries relocation records that
 * re-aim each compression pointer for the actual query name.
 *
 * The fields are visible because the answer engine reads them on the hot
 * path; nothing outside src/zone writes them.
 *
 * Threads: built by one thread off the fastpath; once published it is never
 * modified, so any number of readers may use it (fastpath-safe lookups).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns/name.h"
#include "zone/contents.h"

#define SNAP_NONE UINT32_MAX

/*
 * Per-zone query counters: a served zone's snapshot carries a small id
 * (zone_snap.stat_id) that the zone manager gives per domain name and keeps
 * across versions.  Ids are below ZONE_STAT_IDS; ZONE_STAT_ID_NONE (and any
 * id not below ZONE_STAT_IDS) is counted in one shared "other" slot.
 */
#define ZONE_STAT_IDS 4096u
#define ZONE_STAT_ID_NONE UINT32_MAX

struct zone_dnssec;

enum snap_node_flag {
	SNAP_N_APEX = 1 << 0,
	SNAP_N_DELEG = 1 << 1,    /* zone cut (NS below the apex) */
	SNAP_N_DNAME = 1 << 2,    /* owns a DNAME */
	SNAP_N_CNAME = 1 << 3,    /* owns a CNAME */
	SNAP_N_BELOW = 1 << 4,    /* strictly below a cut or DNAME: ->cut says which */
	SNAP_N_WILDCARD = 1 << 5, /* owner is "*.<parent>" */
	SNAP_N_ENT = 1 << 6,      /* empty non-terminal: no zone_node */
	SNAP_N_SLOW = 1 << 7,     /* answers for this name need the reference resolver */
	SNAP_N_NSEC3 = 1 << 8,    /* NSEC3 chain node: not a name of the zone, not indexed */
};

struct snap_node {
	const uint8_t *owner;         /* lowercase wire name */
	const struct zone_node *zn;   /* NULL for empty non-terminals */
	uint32_t wild;                /* node index of "*.<owner>", or SNAP_NONE */
	uint32_t cut;                 /* with SNAP_N_BELOW: the cut/DNAME node above */
	uint32_t hot;                 /* its hot block (arena offset / 8) */
	uint16_t flags;               /* SNAP_N_*; 0 with owner NULL: a removed node */
	uint8_t hot_lines;            /* cache lines the hot block spans (at most 4) */
};

/*
 * Prepared answer for one query type at a name; qtype 0 matches any other
 * type.  frag: where the fragment starts, counted in 4-octet units from the
 * start of the hot block (a block is at most SNAP_HOT_MAX octets).
 */
struct snap_ans {
	uint16_t qtype;
	uint16_t frag;
};

#define SNAP_HOT_MAX (UINT16_MAX * 4u)

/*
 * Hot block: everything an answer at this name needs, in one place so that
 * a hit costs one random memory access after the bucket (usually one cache
 * line, two when the name has several prepared answers): the owner to
 * compare, the links to the cut above and to the wildcard child (referrals
 * and wildcard answers skip the node array), the answer table, and the
 * fragments right after it.  Only the owner's labels before the zone's
 * origin are stored: a name reaches a zone's index only once it is known to
 * end with the origin.  8-aligned in snap->arena, and placed so that it
 * spans no more cache lines than its size needs; laid out as this header,
 * owner[plen] (padded to 4), struct snap_ans[nans], then the fragments.
 */
struct snap_hot {
	uint32_t node;                /* index in snap->nodes */
	uint32_t link;                /* SNAP_N_BELOW: hot ref of the cut/DNAME above;
				       * otherwise hot ref of "*.<owner>", or SNAP_NONE */
	uint16_t flags;               /* the node's SNAP_N_* flags */
	uint8_t plen;                 /* octets of the owner before the origin */
	uint8_t nans;
	uint8_t owner[];
};

static inline const struct snap_ans *snap_hot_ans(const struct snap_hot *h)
{
	return (const struct snap_ans *)(const void *)(h->owner + ((h->plen + 3u) & ~3u));
}

/*
 * ref: the hot block's arena offset / 8 (while building: the node index).
 * Linear probing from the bucket the hash picks; at the table's load (at
 * most 5/16) a lookup, hit or miss, nearly always ends in that bucket's line.
 */
struct snap_bucket {
	uint32_t hash;
	uint32_t ref;                 /* SNAP_NONE when empty */
};

#define SNAP_BUCKETS_PER_LINE 8u

/*
 * Once the snapshot is published (hot_ready), the low two bits of a
 * bucket's hash say how many cache lines its hot block spans, minus one (3:
 * four or more), so the engine can prefetch exactly those; lookups compare
 * the other 30 bits and then the owner.
 */
#define SNAP_HASH_LINES 3u

static inline bool snap_bucket_match(const struct snap_bucket *b, uint32_t h)
{
	return ((b->hash ^ h) & ~SNAP_HASH_LINES) == 0;
}

static inline unsigned snap_bucket_lines(const struct snap_bucket *b)
{
	return (b->hash & SNAP_HASH_LINES) + 1;
}

/* A relocation: body offset of a compression pointer and what it points at. */
#define SNAP_RELOC_FRAG 0x8000   /* val & 0x3fff: offset inside the body */
#define SNAP_RELOC_QNAME 0x00ff  /* the whole query name (offset 12) */
/* otherwise val = label count k: the suffix of the query name with k labels */

struct snap_reloc {
	uint16_t site;
	uint16_t val;
};

/*
 * Truncation point after an RRset written by the reference resolver: the
 * body may be cut at off, leaving these counts.  kind says what the RRset
 * was, which decides the TC bit (Knot's rules): losing an answer or
 * authority RRset empties all sections and sets TC; losing referral glue
 * keeps what fits and sets TC (RFC 9471); other additional data that does
 * not fit is skipped, and later additional RRsets that fit are still added,
 * without TC.
 */
enum snap_cut_kind {
	SNAP_CUT_REQUIRED = 0,
	SNAP_CUT_GLUE = 1,
	SNAP_CUT_EXTRA = 2,
};

struct snap_cut {
	uint16_t off;
	uint16_t an, ns, ar;
	uint16_t kind;
};

/*
 * Fragment header; followed in the arena by body[len], then (2-aligned)
 * relocs[nreloc].  A fragment is the complete answer; when it does not fit
 * the client's size limit the engine asks the reference resolver, which
 * truncates the way Knot does (rare: only large answers over UDP).  hdr is
 * the response header after the ID as it goes on the wire, so the engine
 * copies it and only ORs in the query's bits (QR, opcode, RD) and counts
 * its OPT.
 */
struct snap_frag {
	uint8_t hdr[10];      /* big-endian: flags (AA, rcode), QDCOUNT 1, ANCOUNT, NSCOUNT,
			       * ARCOUNT without the OPT */
	uint16_t len;
	uint16_t nreloc;      /* 0 for a fragment used only for its own name */
	uint8_t body[];
};

/* The rcode a fragment answers (its header's low four bits). */
static inline unsigned snap_frag_rcode(const struct snap_frag *f)
{
	return f->hdr[1] & 0x0f;
}

static inline const struct snap_reloc *snap_frag_relocs(const struct snap_frag *f)
{
	return (const struct snap_reloc *)(const void *)(f->body + ((f->len + 1u) & ~1u));
}

/*
 * The bucket table and the node array are paged, so that a version made by
 * zone_snap_update shares every page it did not change with its
 * predecessor (copy on write per page).  Bucket pages are 64 KiB, carved
 * from 2 MiB chunks advised for transparent huge pages (snap.c's pool): the
 * table is read at random on the hot path, where a TLB miss per lookup
 * would cost more than the lookup, and an update copies only the few small
 * pages it writes (a 1-record IXFR copied 4-6 MiB with 2 MiB pages).  Node
 * pages, read only off the hot path, are 128 KiB.  The page number is a
 * constant shift of the index, so a bucket costs one more load than a flat
 * table, from the top array (hpages: 512 pointers for the 1M-name zone's
 * 4M buckets), which stays cached.
 */
#define SNAP_HPAGE_SHIFT 13u  /* buckets per page: 2^13 x 8 octets = 64 KiB */
#define SNAP_BPAGE_BYTES ((size_t)8 << SNAP_HPAGE_SHIFT)
#define SNAP_HPAGE_MASK ((1u << SNAP_HPAGE_SHIFT) - 1)
#define SNAP_NPAGE_SHIFT 12u  /* nodes per page: 2^12 x 32 octets = 128 KiB */
#define SNAP_NPAGE_MASK ((1u << SNAP_NPAGE_SHIFT) - 1)

struct snap_page;   /* writer-side: the reference count of one page */
struct snap_shared; /* writer-side: the hot-block arena and what versions share */

struct zone_snap {
	struct zone_contents *z;      /* owned */
	const uint8_t *origin;
	uint8_t origin_len;
	uint8_t origin_labels;
	uint32_t serial;
	const struct zone_rrset *soa;
	uint32_t neg_ttl;             /* min(SOA TTL, SOA MINIMUM), RFC 2308 */
	uint32_t stat_id;             /* query counter slot; ZONE_STAT_ID_NONE when built; the
				       * owner sets it before the first publication, never after */

	struct snap_node **npages;    /* node i: npages[i >> SNAP_NPAGE_SHIFT][i & mask] */
	uint32_t nnodes;              /* node indexes in use (removed ones stay, dead) */
	struct snap_bucket **hpages;  /* bucket i: hpages[i >> SNAP_HPAGE_SHIFT][i & mask] */
	uint32_t hmask;
	bool hot_ready;               /* buckets point at hot blocks (false while building) */
	uint8_t *arena;               /* hot blocks and fragments (shared by versions) */
	size_t arena_len;             /* octets of it this version may use */
	uint32_t frag_nxdomain;       /* relocatable NXDOMAIN body, or SNAP_NONE */
	uint32_t frag_nodata;         /* relocatable NODATA body, or SNAP_NONE */
	uint32_t apex_hot;            /* hot ref of the apex */
	struct zone_dnssec *dnssec;   /* signed zones: denial state (zone/dnssec.h), else NULL */

	struct snap_page **npage_ref; /* writer-side bookkeeping of the pages */
	struct snap_page **hpage_ref;
	uint32_t nnpages, nhpages;
	struct snap_shared *shared;

	size_t mem_bytes;             /* index + fragments, not counting contents */
	uint32_t refs;                /* references (zone_snap_ref); atomic */
};

static inline struct snap_bucket *zone_snap_bucket(const struct zone_snap *s, uint32_t i)
{
	return &s->hpages[i >> SNAP_HPAGE_SHIFT][i & SNAP_HPAGE_MASK];
}

static inline struct snap_node *zone_snap_node(const struct zone_snap *s, uint32_t i)
{
	return &s->npages[i >> SNAP_NPAGE_SHIFT][i & SNAP_NPAGE_MASK];
}

/* Hash of a lowercase wire name of len octets (the same function everywhere). */
uint32_t zone_name_hash(const uint8_t *name, size_t len);

/* Its steps, for callers that hash while they read the name (the engine). */
static inline uint64_t zone_name_hash_init(size_t len)
{
	return UINT64_C(0x9e3779b97f4a7c15) ^ len;
}

static inline uint64_t zone_name_hash_step(uint64_t h, uint64_t word)
{
	h = (h ^ word) * UINT64_C(0xff51afd7ed558ccd);
	return h ^ (h >> 32);
}

static inline uint32_t zone_name_hash_final(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return (uint32_t)h;
}

/*
 * Builds the snapshot of z, taking ownership of z (freed with the snapshot,
 * or on failure).  z must have passed the zone checks (an apex SOA).
 * Returns NULL on allocation failure.  Runs off the fastpath; may take a
 * while for big zones.
 */
struct zone_snap *zone_snap_build(struct zone_contents *z) __attribute__((warn_unused_result));

/*
 * zone_snap_build in two stages, so that a new version can be served before
 * its answers are prepared.  zone_snap_build_index: the first stage, the
 * name index (and, for a signed zone, its NSEC3 chain): a snapshot the
 * engine answers entirely with the reference resolver (hot_ready false),
 * correct but slower; about a fifth of the whole build.  Takes ownership of
 * z as zone_snap_build does; NULL on allocation failure.
 * zone_snap_prepare: the second stage in place, on a snapshot nobody reads
 * yet (0, DP_ENOMEM, DP_ERANGE; on failure free s).  A no-op when prepared.
 */
struct zone_snap *zone_snap_build_index(struct zone_contents *z) __attribute__((warn_unused_result));
int zone_snap_prepare(struct zone_snap *s) __attribute__((warn_unused_result));

/*
 * The second stage for a first-stage snapshot that is already published: a
 * new snapshot of the same contents (shared, reference counted) with its
 * own copies of the index pages, prepared; old stays untouched and may be
 * read by other threads meanwhile.  Unsigned zones only (a signed zone is
 * prepared before it is published: its DO answers write its DNSSEC state).
 * NULL when old is prepared already, signed, or on allocation failure.
 */
struct zone_snap *zone_snap_prepare_copy(const struct zone_snap *old)
	__attribute__((warn_unused_result));

/*
 * Threads the second stage (zone_snap_build, zone_snap_prepare,
 * zone_snap_prepare_copy) prepares the answers on (the calling thread is
 * one of them; the others are created and joined within the call).  0, the
 * default: automatic, as many as CPUs in the calling thread's affinity
 * mask, at most 8, and one for zones under 16384 names.  n > 0: n threads
 * (at most 8, at most one per name) whatever the zone's size, for tests
 * and measurements.  The answers are byte for byte the same for any count.
 * A thread that cannot be created leaves its share to the calling thread.
 * Any thread; affects builds that start after it.
 */
void zone_snap_set_build_threads(unsigned n);

/*
 * The snapshot of z, a version made from old's contents by
 * zone_contents_patch (an IXFR), sharing with old what the change does not
 * touch: the pages of buckets and nodes it does not write, and the hot-block
 * arena, to which the new hot blocks are appended (old's blocks are never
 * written).  Rebuilt are the hot blocks of the changed names (chg), of
 * names that appear or go with them (empty non-terminals), of every name
 * whose prepared answers read a changed name (CNAME chains, additional and
 * glue addresses, the SOA in negative answers), of the names below a cut
 * and the parent of a wildcard whose block moved, and the zone-wide
 * NXDOMAIN/NODATA fragments.  Answers are byte-identical to those of
 * zone_snap_build(z).  Cost: the size of the change (times log n), not of
 * the zone.
 *
 * One writer per line of versions (the dependency index and the arena's end
 * are shared state).  old stays valid and untouched.  On success takes
 * ownership of z.  Returns NULL without taking z, and *err: DP_ERANGE when
 * the shared state says to build afresh (the arena's garbage outgrew its
 * live part, its reservation or the bucket table is full), DP_ENOMEM; the
 * caller then uses zone_snap_build(z).
 */
struct zone_snap *zone_snap_update(const struct zone_snap *old, struct zone_contents *z,
				   const struct zone_changes *chg, int *err)
	__attribute__((warn_unused_result));

void zone_snap_free(struct zone_snap *s);

/*
 * Another reference to s (returns s).  A snapshot starts with one; each
 * zone_snap_free drops one, the last frees it.  Tables sharing a snapshot
 * hold one each (zone_table_new takes over the references it is given).
 * Any thread: the count is atomic (tables are freed by the RCU thread).
 */
struct zone_snap *zone_snap_ref(struct zone_snap *s);

/*
 * A stand-in for a configured zone without data yet (a secondary before its
 * first transfer): selected by origin like any zone, never answered from —
 * the table must mark it expired (zone_table_set_expired), so its names get
 * SERVFAIL as Knot and NSD answer for a zone they cannot serve, rather than
 * REFUSED.  origin is copied.  NULL when out of memory.
 */
struct zone_snap *zone_snap_placeholder(const uint8_t *origin) __attribute__((warn_unused_result));

/*
 * Equality of two short byte strings (names), word by word.  The last word
 * overlaps the previous one instead of reading past the end, so only
 * a[0..n) and b[0..n) are ever touched (under 8 octets: two overlapping
 * 4-octet words, or octet by octet).
 */
static inline bool zone_bytes_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	if (n >= 8) {
		uint64_t x, y, acc = 0;
		size_t i = 0;
		for (; i + 8 < n; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			acc |= x ^ y;
		}
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, b + n - 8, 8);
		return (acc | (x ^ y)) == 0;
	}
	if (n >= 4) {
		uint32_t x, y, u, v;
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		memcpy(&u, a + n - 4, 4);
		memcpy(&v, b + n - 4, 4);
		return ((x ^ y) | (u ^ v)) == 0;
	}
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= (uint8_t)(a[i] ^ b[i]);
	return acc == 0;
}

static inline const struct snap_hot *zone_snap_hot(const struct zone_snap *s, uint32_t ref)
{
	return (const struct snap_hot *)(const void *)(s->arena + (size_t)ref * 8);
}

/*
 * The hot block of the name (lowercase, hash h) whose labels before s's
 * origin are name[0..plen), or NULL.  The caller has checked that the name
 * ends with the origin.  Needs hot_ready.  Fastpath-safe.
 */
static inline const struct snap_hot *
zone_snap_find_hot(const struct zone_snap *s, const uint8_t *name, size_t plen, uint32_t h)
{
	uint32_t i = h & s->hmask;
	for (;;) {
		const struct snap_bucket *b = zone_snap_bucket(s, i);
		if (b->ref == SNAP_NONE)
			return NULL;
		if (snap_bucket_match(b, h)) {
			const struct snap_hot *hot = zone_snap_hot(s, b->ref);
			if (hot->plen == plen && zone_bytes_eq(hot->owner, name, plen))
				return hot;
		}
		i = (i + 1) & s->hmask;
	}
}

/* Index of the node owning name (lowercase, length len, hash h), or SNAP_NONE. */
static inline uint32_t zone_snap_find(const struct zone_snap *s, const uint8_t *name, size_t len,
				      uint32_t h)
{
	if (len < s->origin_len ||
	    !zone_bytes_eq(name + len - s->origin_len, s->origin, s->origin_len))
		return SNAP_NONE;
	if (s->hot_ready) {
		const struct snap_hot *hot = zone_snap_find_hot(s, name, len - s->origin_len, h);
		return hot ? hot->node : SNAP_NONE;
	}
	uint32_t i = h & s->hmask; /* while building: buckets hold node indexes */
	for (;;) {
		const struct snap_bucket *b = zone_snap_bucket(s, i);
		if (b->ref == SNAP_NONE)
			return SNAP_NONE;
		if (snap_bucket_match(b, h)) {
			const uint8_t *o = zone_snap_node(s, b->ref)->owner;
			if (o[0] == name[0] && memcmp(o, name, len) == 0)
				return b->ref;
		}
		i = (i + 1) & s->hmask;
	}
}

/* The fragment at offset off of the arena (zone-wide fragments: NXDOMAIN, NODATA). */
static inline const struct snap_frag *zone_snap_frag_at(const struct zone_snap *s, uint32_t off)
{
	return (const struct snap_frag *)(const void *)(s->arena + off);
}

/*
 * The prepared answer for qtype at a name (exact type, else the qtype-0
 * entry), or NULL.  An entry with frag 0 (where no fragment can start: the
 * block's header is there) says "NODATA": the zone-wide fragment answers,
 * as for a type the name does not have (a delegation's DS when it has
 * none: no per-name copy of the SOA, which changes with every serial).
 */
static inline const struct snap_frag *zone_snap_frag(const struct snap_hot *h, uint16_t qtype)
{
	const struct snap_ans *a = snap_hot_ans(h);
	unsigned dflt = 0;
	for (unsigned i = 0; i < h->nans; i++) {
		if (a[i].qtype == qtype)
			return a[i].frag ? (const struct snap_frag *)(const void *)(
						   (const uint8_t *)h + a[i].frag * 4u)
					 : NULL;
		if (a[i].qtype == 0)
			dflt = a[i].frag;
	}
	return dflt ? (const struct snap_frag *)(const void *)((const uint8_t *)h + dflt * 4u)
		    : NULL;
}

/*
 * All zones served, for longest-match zone selection.  Immutable once built;
 * published as one RCU-protected pointer by the daemon.
 */
struct zone_table {
	struct zone_snap **zones;     /* owned */
	uint32_t nzones;
	struct snap_bucket *htab;     /* by origin: ref = index into zones */
	uint32_t hmask;
	uint64_t label_mask[2];       /* bit k set: some zone origin has k labels */
	uint8_t *expired;             /* per zone: past its expire deadline (SERVFAIL) */
	bool any_expired;
};

/*
 * Marks zone i of t expired (the engine answers SERVFAIL, with Extended DNS
 * Error 24 under EDNS) or not.  Before t is published only.
 */
void zone_table_set_expired(struct zone_table *t, uint32_t i, bool expired);

/* Whether the zone s (of t) is marked expired.  Fastpath-safe. */
bool zone_table_is_expired(const struct zone_table *t, const struct zone_snap *s);

/* Builds a table over n snapshots (takes ownership of them and of the array's contents). */
struct zone_table *zone_table_new(struct zone_snap **snaps, uint32_t n)
	__attribute__((warn_unused_result));

void zone_table_free(struct zone_table *t);

/* The zone whose origin is exactly name (lowercase), or NULL. */
const struct zone_snap *zone_table_find(const struct zone_table *t, const uint8_t *name,
					size_t len, uint32_t h);
