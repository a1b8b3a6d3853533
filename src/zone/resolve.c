/* SPDX-License-Identifier: BSD-3-Clause */
#include "zone/resolve.h"

#include <string.h>

#include "dns/msg.h"
#include "dns/rrtype.h"
#include "zone/dnssec.h"

/* Knot follows at most this many CNAME/DNAME steps; loops stop earlier. */
#define CHAIN_MAX 12
/* Names whose addresses go into the additional section, at most. */
#define ADDITIONAL_MAX 20

void zone_resolve_name_init(struct resolve_name *n, const uint8_t *lname)
{
	size_t pos = 0;
	unsigned labels = 0;
	while (lname[pos]) {
		n->loff[labels++] = (uint8_t)pos;
		pos += 1 + (size_t)lname[pos];
	}
	n->name = lname;
	n->len = (uint8_t)(pos + 1);
	n->labels = (uint8_t)labels;
	n->hash = zone_name_hash(lname, pos + 1);
}

void zone_resolve_out_init(struct resolve_out *o, uint8_t *buf, size_t cap, size_t qname_len,
			   uint16_t *sites, unsigned max_sites)
{
	dns_wr_init(&o->w, buf, cap);
	o->w.pos = DNS_HDR_LEN + qname_len + 4;
	if (o->w.pos > cap)
		o->w.err = DP_ESPACE;
	dns_compr_init(&o->c);
	o->c.icase_end = (uint16_t)(DNS_HDR_LEN + qname_len);
	o->c.sites = sites;
	o->c.max_sites = max_sites;
	/* Seed the suffixes of the question name, at most half the table (the
	 * rest is for the names the response writes).  A name of more labels
	 * than that seeds the whole name (the owner of the answers) and its
	 * shortest suffixes: those are the ones the zone's names share (the
	 * origin, a cut, a wildcard's parent), and the prepared answers, Knot
	 * and NSD all point into the question for them (a 43-label name under a
	 * delegation otherwise wrote the cut's name out and, at 512 octets, lost
	 * a glue record the others kept).  The labels in between only name what
	 * lies below the question itself. */
	const size_t qend = DNS_HDR_LEN + qname_len;
	unsigned labels = 0;
	for (size_t pos = DNS_HDR_LEN; pos < qend && buf[pos] != 0; pos += 1 + (size_t)buf[pos])
		labels++;
	/* Suffixes left out after the whole name. */
	unsigned skip = labels > DNS_COMPR_MAX / 2 ? labels - DNS_COMPR_MAX / 2 : 0;
	for (size_t pos = DNS_HDR_LEN; pos < qend && buf[pos] != 0; pos += 1 + (size_t)buf[pos]) {
		if (pos == DNS_HDR_LEN || skip == 0)
			dns_compr_add(&o->c, &o->w, pos);
		else
			skip--;
	}
	o->flags = 0;
	o->an = o->ns = o->ar = 0;
	o->ncut = 0;
	o->lost_kind = -1;
	o->skipped = false;
	o->dnssec = false;
	o->nproved = 0;
}

/* Records a cut after a complete RRset, or what was lost when it did not fit. */
static void record_cut(struct resolve_out *o, enum snap_cut_kind kind)
{
	if (!o->w.err && o->ncut < RESOLVE_MAX_CUTS) {
		o->cuts[o->ncut++] =
			(struct snap_cut){ (uint16_t)o->w.pos, o->an, o->ns, o->ar, kind };
		return;
	}
	if (!o->w.err)
		o->w.err = DP_ESPACE; /* cannot describe where to cut: treat as full */
	if (o->lost_kind < 0)
		o->lost_kind = kind;
}

enum section { SEC_AN, SEC_NS, SEC_AR };

/* Writes every RR of rs with the given owner and TTL, then records a cut. */
static void put_rrset(struct resolve_out *o, const uint8_t *owner, const struct zone_rrset *rs,
		      uint32_t ttl, enum section sec, enum snap_cut_kind kind)
{
	struct dns_wr *w = &o->w;
	if (w->err) {
		record_cut(o, kind);
		return;
	}
	size_t start_pos = w->pos;
	unsigned start_n = o->c.n, start_sites = o->c.nsites;
	const uint8_t *rr = rs->rdata;
	for (uint32_t i = 0; i < rs->count; i++, rr = zone_rr_next(rr)) {
		dns_wr_name(w, owner, &o->c);
		dns_wr_u16(w, rs->type == DNS_T_RRSIG ? DNS_T_RRSIG : rs->type);
		dns_wr_u16(w, DNS_C_IN);
		dns_wr_u32(w, ttl);
		size_t lenpos = w->pos;
		dns_wr_u16(w, 0);
		size_t start = w->pos;
		dns_rdata_write(w, rs->type, zone_rr_data(rr), zone_rr_len(rr), &o->c);
		if (w->err == DP_ESPACE && kind == SNAP_CUT_EXTRA) {
			/* Knot skips additional data that does not fit and goes on
			 * with the next RRset: undo this one completely. */
			w->err = 0;
			w->pos = start_pos;
			o->c.n = start_n;
			o->c.nsites = start_sites;
			o->skipped = true;
			return;
		}
		if (w->err) {
			record_cut(o, kind);
			return;
		}
		dns_wr_u16_at(w, lenpos, (uint16_t)(w->pos - start));
	}
	switch (sec) {
	case SEC_AN: o->an = (uint16_t)(o->an + rs->count); break;
	case SEC_NS: o->ns = (uint16_t)(o->ns + rs->count); break;
	case SEC_AR: o->ar = (uint16_t)(o->ar + rs->count); break;
	}
	record_cut(o, kind);
}

/*
 * With DNSSEC: the RRSIGs of zn covering type, under owner (the query name
 * for a wildcard), with the TTL the covered RRset was written with (both
 * peers: the negative SOA's signatures too get the negative TTL).
 */
static void put_rrsigs(struct resolve_out *o, const uint8_t *owner, const struct zone_node *zn,
		       uint16_t type, uint32_t ttl, enum section sec, enum snap_cut_kind kind)
{
	if (!o->dnssec || !zn)
		return;
	const struct zone_rrset *sig = zone_node_rrsig(zn, type);
	if (sig)
		put_rrset(o, owner, sig, ttl, sec, kind);
}

/* An RRset of node zn and, with DNSSEC, its signatures. */
static void put_signed(struct resolve_out *o, const uint8_t *owner, const struct zone_node *zn,
		       const struct zone_rrset *rs, uint32_t ttl, enum section sec,
		       enum snap_cut_kind kind)
{
	put_rrset(o, owner, rs, ttl, sec, kind);
	put_rrsigs(o, owner, zn, rs->type, ttl, sec, kind);
}

static void put_soa_negative(const struct zone_snap *s, struct resolve_out *o)
{
	put_signed(o, s->origin, zone_contents_apex(s->z), s->soa, s->neg_ttl, SEC_NS,
		   SNAP_CUT_REQUIRED);
}

/* Node index of name (lowercase) in s, or SNAP_NONE. */
static uint32_t find(const struct zone_snap *s, const struct resolve_name *n)
{
	return zone_snap_find(s, n->name, n->len, n->hash);
}

/* Additional-section work list: names whose A/AAAA follow the answer. */
struct extra {
	uint8_t names[ADDITIONAL_MAX][DNS_NAME_MAXLEN];
	unsigned n;
	enum snap_cut_kind kind;
};

static void extra_collect(void *ctx, unsigned flags, const uint8_t *name)
{
	struct extra *x = ctx;
	if (!(flags & DNS_RDF_ADDITIONAL) || x->n >= ADDITIONAL_MAX)
		return;
	uint8_t lower[DNS_NAME_MAXLEN];
	dns_name_copy_lower(lower, name);
	for (unsigned i = 0; i < x->n; i++)
		if (dns_name_eq(x->names[i], lower))
			return;
	memcpy(x->names[x->n++], lower, dns_name_len(lower));
}

static void extra_add_rrset(struct extra *x, const struct zone_rrset *rs)
{
	const uint8_t *rr = rs->rdata;
	for (uint32_t i = 0; i < rs->count; i++, rr = zone_rr_next(rr))
		dns_rdata_names(rs->type, zone_rr_data(rr), zone_rr_len(rr), extra_collect, x);
}

/*
 * Writes A then AAAA of each collected name that is in the zone, per name
 * (Knot's order).  Glue below a cut counts only for referrals (glue_ok).
 */
static void extra_write(const struct zone_snap *s, struct extra *x, bool glue_ok,
			struct resolve_out *o)
{
	for (unsigned i = 0; i < x->n; i++) {
		struct resolve_name n;
		zone_resolve_name_init(&n, x->names[i]);
		if (!dns_name_is_sub(n.name, s->origin))
			continue;
		uint32_t ni = find(s, &n);
		if (ni == SNAP_NONE)
			continue;
		const struct snap_node *node = zone_snap_node(s, ni);
		if (!node->zn || ((node->flags & SNAP_N_BELOW) && !glue_ok))
			continue;
		static const uint16_t types[] = { DNS_T_A, DNS_T_AAAA };
		for (unsigned t = 0; t < 2; t++) {
			const struct zone_rrset *rs = zone_node_rrset(node->zn, types[t]);
			if (rs)
				put_signed(o, node->owner, node->zn, rs, rs->ttl, SEC_AR, x->kind);
		}
	}
}

/* ---- DNSSEC denial of existence (RFC 4035 §3.1.3, RFC 5155 §7.2) ---- */

/* Writes the NSEC or NSEC3 RRset of zn with its RRSIGs, once per response. */
static void put_proof(const struct zone_snap *s, const struct zone_node *zn, uint16_t type,
		      struct resolve_out *o)
{
	(void)s;
	for (unsigned i = 0; i < o->nproved; i++)
		if (o->proved[i] == zn)
			return;
	if (o->nproved < RESOLVE_MAX_PROOFS)
		o->proved[o->nproved++] = zn;
	const struct zone_rrset *rs = zone_node_rrset(zn, type);
	if (rs)
		put_signed(o, zn->owner, zn, rs, rs->ttl, SEC_NS, SNAP_CUT_REQUIRED);
}

static void put_nsec3(const struct zone_snap *s, uint32_t ci, struct resolve_out *o)
{
	if (ci != SNAP_NONE)
		put_proof(s, zone_contents_node(s->z, s->dnssec->chain[ci].node), DNS_T_NSEC3, o);
}

/* NSEC: the NSEC covering name (a name the zone does not have, or an empty non-terminal). */
static void nsec_cover(const struct zone_snap *s, const uint8_t *name, struct resolve_out *o)
{
	const struct zone_node *zn = zone_nsec_cover(s->z, name);
	if (zn)
		put_proof(s, zn, DNS_T_NSEC, o);
}

/* NSEC3: the NSEC3 matching or covering the hash of name. */
static void nsec3_hashed(const struct zone_snap *s, const uint8_t *name, struct resolve_out *o)
{
	uint8_t h[ZONE_NSEC3_HASH_LEN];
	bool exact;
	zone_nsec3_hash(s->dnssec, name, h);
	put_nsec3(s, zone_nsec3_find(s->dnssec, h, &exact), o);
}

/* The chain's proof record set for snap node i, or SNAP_NONE (opt-out, no chain). */
static uint32_t nsec3_match(const struct zone_snap *s, uint32_t i)
{
	return i == SNAP_NONE ? SNAP_NONE : s->dnssec->match[i];
}

/*
 * NSEC3 closest encloser proof for name (RFC 5155 §7.2.1): the NSEC3
 * matching the closest provable encloser, the longest ancestor of name with
 * at most `from` labels that has an NSEC3 (an opt-out chain skips some), and
 * the NSEC3 covering the next closer name.  Returns the encloser's node.
 */
static uint32_t nsec3_encloser(const struct zone_snap *s, const struct resolve_name *name,
			       int from, struct resolve_out *o)
{
	for (int k = from; k >= s->origin_labels; k--) {
		struct resolve_name anc;
		zone_resolve_name_init(&anc, zone_resolve_suffix(name, (unsigned)k));
		uint32_t ai = find(s, &anc);
		uint32_t m = nsec3_match(s, ai);
		if (m == SNAP_NONE)
			continue;
		put_nsec3(s, m, o);
		if (k < name->labels)
			nsec3_hashed(s, zone_resolve_suffix(name, (unsigned)k + 1), o);
		return ai;
	}
	return SNAP_NONE;
}

/* The name "*.<owner>" into buf; false when it would be too long. */
static bool wildcard_of(const uint8_t *owner, uint8_t buf[DNS_NAME_MAXLEN])
{
	size_t len = dns_name_len(owner);
	if (len + 2 > DNS_NAME_MAXLEN)
		return false;
	buf[0] = 1;
	buf[1] = '*';
	memcpy(buf + 2, owner, len);
	return true;
}

/* NXDOMAIN below closest encloser ce: name and the wildcard at ce do not exist. */
static void deny_name(const struct zone_snap *s, const struct resolve_name *name, uint32_t ce,
		      struct resolve_out *o)
{
	const struct zone_dnssec *d = s->dnssec;
	if (d->denial == ZONE_DENIAL_NSEC) {
		uint8_t wild[DNS_NAME_MAXLEN];
		nsec_cover(s, name->name, o);
		if (wildcard_of(zone_snap_node(s, ce)->owner, wild))
			nsec_cover(s, wild, o);
	} else if (d->denial == ZONE_DENIAL_NSEC3) {
		uint32_t pe = nsec3_encloser(s, name, dns_name_labels(zone_snap_node(s, ce)->owner), o);
		if (pe != SNAP_NONE)
			put_nsec3(s, d->wild[pe], o);
	}
}

/* NODATA at node ni (an empty non-terminal included): the types it has. */
static void deny_type(const struct zone_snap *s, uint32_t ni, const struct resolve_name *name,
		      struct resolve_out *o)
{
	const struct zone_dnssec *d = s->dnssec;
	const struct zone_node *zn = zone_snap_node(s, ni)->zn;
	if (d->denial == ZONE_DENIAL_NSEC) {
		if (zn && zone_node_rrset(zn, DNS_T_NSEC))
			put_proof(s, zn, DNS_T_NSEC, o);
		else
			nsec_cover(s, name->name, o);
	} else if (d->denial == ZONE_DENIAL_NSEC3) {
		if (d->match[ni] != SNAP_NONE)
			put_nsec3(s, d->match[ni], o);
		else /* opt-out left it out: closest provable encloser (RFC 5155 §7.2.4) */
			(void)nsec3_encloser(s, name, name->labels - 1, o);
	}
}

/* A wildcard answer (RFC 4035 §3.1.3.3, RFC 5155 §7.2.6): name itself does not exist. */
static void deny_exact(const struct zone_snap *s, const struct resolve_name *name, uint32_t ce,
		       struct resolve_out *o)
{
	const struct zone_dnssec *d = s->dnssec;
	if (d->denial == ZONE_DENIAL_NSEC) {
		nsec_cover(s, name->name, o);
	} else if (d->denial == ZONE_DENIAL_NSEC3) {
		int k = dns_name_labels(zone_snap_node(s, ce)->owner) + 1;
		if (k <= name->labels)
			nsec3_hashed(s, zone_resolve_suffix(name, (unsigned)k), o);
	}
}

/* Wildcard NODATA (RFC 4035 §3.1.3.4, RFC 5155 §7.2.5). */
static void deny_wild_type(const struct zone_snap *s, const struct resolve_name *name,
			   uint32_t ce, uint32_t wi, struct resolve_out *o)
{
	const struct zone_dnssec *d = s->dnssec;
	if (d->denial == ZONE_DENIAL_NSEC) {
		nsec_cover(s, name->name, o);
		if (zone_snap_node(s, wi)->zn)
			put_proof(s, zone_snap_node(s, wi)->zn, DNS_T_NSEC, o);
	} else if (d->denial == ZONE_DENIAL_NSEC3) {
		(void)nsec3_encloser(s, name, dns_name_labels(zone_snap_node(s, ce)->owner), o);
		put_nsec3(s, d->match[wi], o);
	}
}

/* A referral: the DS RRset, or the proof that the delegation has none (RFC 4035 §3.1.4). */
static void deny_or_ds(const struct zone_snap *s, uint32_t cut, struct resolve_out *o)
{
	const struct snap_node *c = zone_snap_node(s, cut);
	const struct zone_rrset *ds = zone_node_rrset(c->zn, DNS_T_DS);
	if (ds) {
		put_signed(o, c->owner, c->zn, ds, ds->ttl, SEC_NS, SNAP_CUT_REQUIRED);
		return;
	}
	struct resolve_name n;
	zone_resolve_name_init(&n, c->owner);
	deny_type(s, cut, &n, o);
}

/* Whether this response carries DNSSEC records. */
static inline bool signing(const struct zone_snap *s, const struct resolve_out *o)
{
	return o->dnssec && s->dnssec;
}

void zone_resolve_proof(const struct zone_snap *s, const struct zone_node *zn, uint16_t type,
			struct resolve_out *o)
{
	put_proof(s, zn, type, o);
}

void zone_resolve_negative(const struct zone_snap *s, unsigned rcode, struct resolve_out *o)
{
	o->flags = (uint16_t)(DNS_F_AA | rcode);
	put_soa_negative(s, o);
}

static void referral(const struct zone_snap *s, uint32_t cut, struct resolve_out *o,
		     bool in_chain)
{
	const struct snap_node *c = zone_snap_node(s, cut);
	const struct zone_rrset *ns = zone_node_rrset(c->zn, DNS_T_NS);
	if (!in_chain)
		o->flags = DNS_R_NOERROR; /* AA clear: not authoritative below a cut */
	put_rrset(o, c->owner, ns, ns->ttl, SEC_NS, SNAP_CUT_REQUIRED);
	if (signing(s, o))
		deny_or_ds(s, cut, o);
	struct extra x = { .n = 0, .kind = SNAP_CUT_GLUE };
	extra_add_rrset(&x, ns);
	extra_write(s, &x, true, o);
}

void zone_resolve_referral(const struct zone_snap *s, uint32_t cut, struct resolve_out *o)
{
	referral(s, cut, o, false);
}

/* The RRset ANY is answered with: the lowest type present (Knot, RFC 8482). */
static const struct zone_rrset *any_rrset(const struct zone_node *zn)
{
	for (unsigned i = 0; i < zn->rrset_count; i++)
		if (zn->rrsets[i].type != DNS_T_RRSIG)
			return &zn->rrsets[i];
	return NULL;
}

/*
 * Resolution state: the name being looked up changes along a CNAME/DNAME
 * chain.  Each step writes its part of the answer and says what comes next.
 */
#define WILD_PROOFS_MAX 4

struct chain {
	uint8_t target[DNS_NAME_MAXLEN]; /* lowercase next name */
	uint32_t seen[CHAIN_MAX + 1];
	unsigned steps;
	/* Wildcard answers on the way, whose proofs (authority section) wait
	 * until the answer section is complete. */
	struct {
		uint8_t name[DNS_NAME_MAXLEN];
		uint32_t ce;
	} wild[WILD_PROOFS_MAX];
	unsigned nwild;
};

/* Remembers that name was answered from the wildcard below ce. */
static void chain_wild(struct chain *ch, const struct resolve_name *name, uint32_t ce)
{
	if (ch->nwild == WILD_PROOFS_MAX)
		return;
	memcpy(ch->wild[ch->nwild].name, name->name, name->len);
	ch->wild[ch->nwild++].ce = ce;
}

static bool chain_seen(struct chain *ch, uint32_t node)
{
	for (unsigned i = 0; i < ch->steps; i++)
		if (ch->seen[i] == node)
			return true;
	return false;
}

/*
 * Answers from node ni for name (the query name or a chain target; for a
 * wildcard, ni is the wildcard and ce its parent, the closest encloser,
 * else ce is SNAP_NONE).  Returns true when a CNAME target to follow was
 * stored in ch->target.
 */
static bool answer_node(const struct zone_snap *s, uint32_t ni, uint32_t ce,
			const struct resolve_name *name, uint16_t qtype, struct resolve_out *o,
			struct chain *ch, struct extra *x)
{
	const uint8_t *owner = name->name;
	const struct zone_node *zn = zone_snap_node(s, ni)->zn;
	const struct zone_rrset *rs = NULL;
	struct zone_rrset first;
	if (zn) {
		if (qtype == DNS_T_ANY) {
			rs = any_rrset(zn);
		} else if (qtype == DNS_T_RRSIG) {
			/* Knot answers with one signature, the first (lowest type covered). */
			const struct zone_rrset *sig = zone_dnssec_first_rrsig(zn);
			if (sig) {
				first = *sig;
				first.count = 1;
				put_rrset(o, owner, &first, sig->ttl, SEC_AN, SNAP_CUT_REQUIRED);
				if (signing(s, o) && ce != SNAP_NONE)
					chain_wild(ch, name, ce);
				return false;
			}
		} else {
			rs = zone_node_rrset(zn, qtype);
		}
	}
	bool sign = signing(s, o);
	if (rs) {
		put_signed(o, owner, zn, rs, rs->ttl, SEC_AN, SNAP_CUT_REQUIRED);
		extra_add_rrset(x, rs);
		if (sign && ce != SNAP_NONE)
			chain_wild(ch, name, ce);
		return false;
	}
	const struct zone_rrset *cname = zn ? zone_node_rrset(zn, DNS_T_CNAME) : NULL;
	if (cname) {
		put_signed(o, owner, zn, cname, cname->ttl, SEC_AN, SNAP_CUT_REQUIRED);
		if (sign && ce != SNAP_NONE)
			chain_wild(ch, name, ce);
		dns_name_copy_lower(ch->target, zone_rr_data(cname->rdata));
		return true;
	}
	put_soa_negative(s, o); /* NODATA */
	if (sign && ce != SNAP_NONE)
		deny_wild_type(s, name, ce, ni, o);
	else if (sign)
		deny_type(s, ni, name, o);
	return false;
}

/*
 * DNAME substitution (RFC 6672 §2.2): writes the DNAME and the synthesized
 * CNAME for name below node di, and stores the new target in ch->target.
 * Returns false when the result would exceed 255 octets (YXDOMAIN set).
 */
static bool dname_synth(const struct zone_snap *s, uint32_t di, const struct resolve_name *name,
			struct resolve_out *o, struct chain *ch)
{
	const struct snap_node *d = zone_snap_node(s, di);
	const struct zone_rrset *dn = zone_node_rrset(d->zn, DNS_T_DNAME);
	put_signed(o, d->owner, d->zn, dn, dn->ttl, SEC_AN, SNAP_CUT_REQUIRED);

	const uint8_t *target = zone_rr_data(dn->rdata);
	size_t prefix = name->len - dns_name_len(d->owner);
	size_t tlen = dns_name_len(target);
	if (prefix + tlen > DNS_NAME_MAXLEN) {
		o->flags = (uint16_t)((o->flags & ~DNS_RCODE_MASK) | DNS_R_YXDOMAIN);
		return false;
	}
	memcpy(ch->target, name->name, prefix);
	memcpy(ch->target + prefix, target, tlen);
	dns_name_lower(ch->target + prefix);

	/* The synthesized CNAME: owner = name, TTL = DNAME TTL, target written
	 * uncompressed like both peers do. */
	struct dns_wr *w = &o->w;
	if (w->err) {
		record_cut(o, SNAP_CUT_REQUIRED);
		return false;
	}
	dns_wr_name(w, name->name, &o->c);
	dns_wr_u16(w, DNS_T_CNAME);
	dns_wr_u16(w, DNS_C_IN);
	dns_wr_u32(w, dn->ttl);
	dns_wr_u16(w, (uint16_t)(prefix + tlen));
	dns_wr_bytes(w, ch->target, prefix + tlen);
	if (!w->err)
		o->an++;
	record_cut(o, SNAP_CUT_REQUIRED);
	return !w->err;
}

/*
 * One lookup step for name.  Returns true when a chain target to follow was
 * stored in ch->target.  in_chain: name is a CNAME/DNAME target, not the
 * query name (referrals then keep AA, NXDOMAIN still sets the rcode).
 */
static bool step(const struct zone_snap *s, const struct resolve_name *name, uint16_t qtype,
		 struct resolve_out *o, struct chain *ch, struct extra *x, bool in_chain)
{
	uint32_t ni = find(s, name);
	if (ni != SNAP_NONE) {
		const struct snap_node *n = zone_snap_node(s, ni);
		if (in_chain && chain_seen(ch, ni))
			return false; /* CNAME loop: stop, as Knot and NSD do */
		ch->seen[ch->steps] = ni;
		if (n->flags & SNAP_N_BELOW) {
			const struct snap_node *c = zone_snap_node(s, n->cut);
			if (c->flags & SNAP_N_DNAME)
				return dname_synth(s, n->cut, name, o, ch);
			referral(s, n->cut, o, in_chain);
			return false;
		}
		if ((n->flags & SNAP_N_DELEG) && qtype != DNS_T_DS) {
			referral(s, ni, o, in_chain);
			return false;
		}
		return answer_node(s, ni, SNAP_NONE, name, qtype, o, ch, x);
	}
	/* Closest encloser: the longest existing ancestor (an empty non-terminal
	 * counts, RFC 4592 §2.2.2). */
	uint32_t ce = SNAP_NONE;
	for (int k = name->labels - 1; k >= s->origin_labels; k--) {
		struct resolve_name anc;
		zone_resolve_name_init(&anc, zone_resolve_suffix(name, (unsigned)k));
		uint32_t ai = find(s, &anc);
		if (ai == SNAP_NONE)
			continue;
		const struct snap_node *a = zone_snap_node(s, ai);
		uint32_t cut = (a->flags & SNAP_N_BELOW) ? a->cut
			       : (a->flags & (SNAP_N_DELEG | SNAP_N_DNAME)) ? ai : SNAP_NONE;
		if (cut != SNAP_NONE) {
			if (zone_snap_node(s, cut)->flags & SNAP_N_DNAME &&
			    !(zone_snap_node(s, cut)->flags & SNAP_N_DELEG))
				return dname_synth(s, cut, name, o, ch);
			referral(s, cut, o, in_chain);
			return false;
		}
		if (a->wild != SNAP_NONE) {
			ch->seen[ch->steps] = a->wild;
			return answer_node(s, a->wild, ai, name, qtype, o, ch, x);
		}
		ce = ai;
		break;
	}
	o->flags = (uint16_t)((o->flags & ~DNS_RCODE_MASK) | DNS_R_NXDOMAIN);
	put_soa_negative(s, o);
	if (signing(s, o) && ce != SNAP_NONE)
		deny_name(s, name, ce, o);
	return false;
}

void zone_resolve(const struct zone_snap *s, const struct resolve_name *qname, uint16_t qtype,
		  struct resolve_out *o)
{
	struct chain ch = { .steps = 0, .nwild = 0 };
	struct extra x = { .n = 0, .kind = SNAP_CUT_EXTRA };
	struct resolve_name cur = *qname;

	o->flags = DNS_F_AA;
	bool more = step(s, &cur, qtype, o, &ch, &x, false);
	/* Asked for the CNAME itself: a CNAME synthesized from a DNAME is the
	 * answer, not something to follow (a zone CNAME never gets here). */
	while (more && qtype != DNS_T_CNAME && ++ch.steps <= CHAIN_MAX) {
		/* Follow only inside this zone; an outside target ends the answer. */
		if (!dns_name_is_sub(ch.target, s->origin))
			break;
		uint8_t next[DNS_NAME_MAXLEN];
		memcpy(next, ch.target, dns_name_len(ch.target));
		zone_resolve_name_init(&cur, next);
		more = step(s, &cur, qtype, o, &ch, &x, true);
	}
	for (unsigned i = 0; i < ch.nwild; i++) {
		struct resolve_name wn;
		zone_resolve_name_init(&wn, ch.wild[i].name);
		deny_exact(s, &wn, ch.wild[i].ce, o);
	}
	/* Both peers add no additional data for the names of a CNAME chain's
	 * answer beyond the final RRset's targets. */
	extra_write(s, &x, false, o);
}
