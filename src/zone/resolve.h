/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The reference resolver: the authoritative lookup of RFC 1034 §4.3.2 with
 * wildcards (RFC 4592), DNAME (RFC 6672), negative answers (RFC 2308), ANY
 * (RFC 8482, the lowest type present, as Knot answers) and additional data,
 * writing the response body (everything after the question) with the wire
 * library.  Answers follow Knot DNS where Knot and NSD differ.
 *
 * It is the one place that decides what an answer contains.  The snapshot
 * builder runs it to prepare fragments; the answer engine calls it directly
 * for the rare queries that have no prepared fragment (ANY, DNAME
 * synthesis, names marked slow).  It allocates nothing and takes no locks, so
 * it is fastpath-safe, but it is slower than a prepared fragment.
 */

#include <stdbool.h>
#include <stdint.h>

#include "dns/name.h"
#include "zone/snap.h"

/* A lowercase name with its label offsets and hash, as the lookups need it. */
struct resolve_name {
	const uint8_t *name;
	uint8_t len;
	uint8_t labels;                     /* not counting the root */
	uint8_t loff[DNS_NAME_MAXLABELS];   /* offset of label i, i = 0 is the first */
	uint32_t hash;
};

/* Fills n from a valid lowercase wire name (kept by pointer). */
void zone_resolve_name_init(struct resolve_name *n, const uint8_t *lname);

/* Hash of the suffix of n with k labels (k <= n->labels). */
static inline uint32_t zone_resolve_suffix_hash(const struct resolve_name *n, unsigned k)
{
	if (k == n->labels)
		return n->hash;
	unsigned off = k ? n->loff[n->labels - k] : n->len - 1u;
	return zone_name_hash(n->name + off, n->len - off);
}

static inline const uint8_t *zone_resolve_suffix(const struct resolve_name *n, unsigned k)
{
	return n->name + (k ? n->loff[n->labels - k] : n->len - 1u);
}

#define RESOLVE_MAX_CUTS 72
#define RESOLVE_MAX_PROOFS 16

struct resolve_out {
	struct dns_wr w;        /* over the whole response; pos = start of the body */
	struct dns_compr c;     /* seeded with the question name's suffixes */
	uint16_t flags;         /* AA and the rcode to set in the header */
	uint16_t an, ns, ar;
	struct snap_cut cuts[RESOLVE_MAX_CUTS];
	unsigned ncut;
	int lost_kind;          /* enum snap_cut_kind of the first RRset that did not fit, or -1 */
	bool skipped;           /* an additional RRset did not fit and was left out */
	/* DNSSEC (RFC 4035 §3.1): set by the caller after zone_resolve_out_init
	 * when the query has DO and the zone is signed (s->dnssec): RRSIGs with
	 * every RRset, NSEC/NSEC3 proofs with negative, wildcard and referral
	 * answers. */
	bool dnssec;
	const struct zone_node *proved[RESOLVE_MAX_PROOFS]; /* nodes whose NSEC/NSEC3 is written */
	unsigned nproved;
};

/*
 * Prepares o to write the body of a response whose buffer is buf (capacity
 * cap) with the question name (qname_len octets, any case) at offset 12 and
 * the body starting right after the question.  Records compression pointer
 * sites in sites[0..max_sites) when sites != NULL.
 */
void zone_resolve_out_init(struct resolve_out *o, uint8_t *buf, size_t cap, size_t qname_len,
			   uint16_t *sites, unsigned max_sites);

/*
 * Answers qtype for qname (lowercase, inside zone s) into o.  The body ends
 * at the last cut (o->cuts[o->ncut - 1]) when o->w.err is set.  With
 * o->dnssec, every RRset in the answer, authority and additional sections
 * carries its RRSIGs (with the TTL the RRset is written with, as both peers),
 * negative answers their NSEC or NSEC3 proof (RFC 4035 §3.1.3, RFC 5155
 * §7.2), wildcard answers the proof that the query name does not exist, and
 * referrals the DS or the proof that there is none.  Asked for RRSIG, the
 * answer is the name's first RRSIG (lowest type covered), as Knot answers.
 */
void zone_resolve(const struct zone_snap *s, const struct resolve_name *qname, uint16_t qtype,
		  struct resolve_out *o);

/* The NXDOMAIN (rcode DNS_R_NXDOMAIN) or NODATA (DNS_R_NOERROR) body of s. */
void zone_resolve_negative(const struct zone_snap *s, unsigned rcode, struct resolve_out *o);

/*
 * Writes the NSEC or NSEC3 (type) RRset of contents node zn with its RRSIGs
 * into the authority section, as the proofs above do (o->dnssec set); for
 * the snapshot builder, which prepares each NSEC3 record set of the chain
 * once so that the engine can assemble proofs.
 */
void zone_resolve_proof(const struct zone_snap *s, const struct zone_node *zn, uint16_t type,
			struct resolve_out *o);

/* The referral body for the zone cut at node index cut. */
void zone_resolve_referral(const struct zone_snap *s, uint32_t cut, struct resolve_out *o);
