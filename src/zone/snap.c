/* SPDX-License-Identifier: BSD-3-Clause */
#include "zone/snap.h"

#include <stdlib.h>
#include <string.h>

#include "dns/msg.h"
#include "dns/rrtype.h"
#include "zone/resolve.h"

uint32_t zone_name_hash(const uint8_t *name, size_t len)
{
	/* Word-at-a-time multiply/xorshift mixing: names are short, so a few
	 * 64-bit steps beat any byte-wise hash. */
	uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ len;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t v;
		memcpy(&v, name + i, 8);
		h = (h ^ v) * UINT64_C(0xff51afd7ed558ccd);
		h ^= h >> 32;
	}
	if (i < len) {
		uint64_t v = 0;
		memcpy(&v, name + i, len - i);
		h = (h ^ v) * UINT64_C(0xc4ceb9fe1a85ec53);
	}
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return (uint32_t)h;
}

/* ---- index construction ---- */

struct builder {
	struct zone_snap *s;
	uint32_t cap_nodes;
	uint32_t cap_ans;
	size_t cap_frags;
	uint8_t *scratch;            /* a 64 KiB response buffer */
	uint16_t sites[512];
};

static int htab_resize(struct zone_snap *s, uint32_t want)
{
	uint32_t cap = 16;
	while (cap < want * 2)
		cap <<= 1;
	struct snap_bucket *t = malloc((size_t)cap * sizeof(*t));
	if (!t)
		return DP_ENOMEM;
	for (uint32_t i = 0; i < cap; i++)
		t[i] = (struct snap_bucket){ 0, SNAP_NONE };
	for (uint32_t n = 0; n < s->nnodes; n++) {
		const uint8_t *o = s->nodes[n].owner;
		uint32_t h = zone_name_hash(o, dns_name_len(o));
		uint32_t i = h & (cap - 1);
		while (t[i].node != SNAP_NONE)
			i = (i + 1) & (cap - 1);
		t[i] = (struct snap_bucket){ h, n };
	}
	free(s->htab);
	s->htab = t;
	s->hmask = cap - 1;
	return 0;
}

/* Appends a node and indexes it; returns its index or SNAP_NONE on ENOMEM. */
static uint32_t add_node(struct builder *b, const uint8_t *owner, const struct zone_node *zn)
{
	struct zone_snap *s = b->s;
	if (s->nnodes == b->cap_nodes) {
		uint32_t cap = b->cap_nodes ? b->cap_nodes * 2 : 64;
		struct snap_node *n = realloc(s->nodes, (size_t)cap * sizeof(*n));
		if (!n)
			return SNAP_NONE;
		s->nodes = n;
		b->cap_nodes = cap;
	}
	uint32_t idx = s->nnodes++;
	s->nodes[idx] = (struct snap_node){ .owner = owner, .zn = zn, .wild = SNAP_NONE,
					    .cut = SNAP_NONE, .ans = 0, .nans = 0, .flags = 0 };
	if ((uint64_t)s->nnodes * 2 > (uint64_t)s->hmask + 1) {
		if (htab_resize(s, s->nnodes * 2) < 0)
			return SNAP_NONE;
		return idx;
	}
	size_t len = dns_name_len(owner);
	uint32_t h = zone_name_hash(owner, len);
	uint32_t i = h & s->hmask;
	while (s->htab[i].node != SNAP_NONE)
		i = (i + 1) & s->hmask;
	s->htab[i] = (struct snap_bucket){ h, idx };
	return idx;
}

static uint32_t find_name(const struct zone_snap *s, const uint8_t *name)
{
	size_t len = dns_name_len(name);
	return zone_snap_find(s, name, len, zone_name_hash(name, len));
}

static int build_index(struct builder *b)
{
	struct zone_snap *s = b->s;
	const struct zone_contents *z = s->z;

	if (htab_resize(s, (uint32_t)z->node_count + 16) < 0)
		return DP_ENOMEM;
	for (size_t i = 0; i < z->node_count; i++)
		if (add_node(b, z->nodes[i].owner, &z->nodes[i]) == SNAP_NONE)
			return DP_ENOMEM;

	/* Empty non-terminals: every missing ancestor up to the origin.  An
	 * ancestor's name is a suffix of the owner, so it needs no storage. */
	int olabels = dns_name_labels(s->origin);
	for (size_t i = 0; i < z->node_count; i++) {
		const uint8_t *name = z->nodes[i].owner;
		int labels = dns_name_labels(name);
		for (int k = labels - 1; k > olabels; k--) {
			const uint8_t *anc = dns_name_suffix(name, k);
			if (find_name(s, anc) != SNAP_NONE)
				break;
			uint32_t e = add_node(b, anc, NULL);
			if (e == SNAP_NONE)
				return DP_ENOMEM;
			s->nodes[e].flags |= SNAP_N_ENT;
		}
	}

	for (uint32_t i = 0; i < s->nnodes; i++) {
		struct snap_node *n = &s->nodes[i];
		if (n->zn) {
			if (n->zn->flags & ZONE_NODE_APEX)
				n->flags |= SNAP_N_APEX;
			if (n->zn->flags & ZONE_NODE_DELEGATION)
				n->flags |= SNAP_N_DELEG;
			if (zone_node_rrset(n->zn, DNS_T_DNAME))
				n->flags |= SNAP_N_DNAME;
			if (zone_node_rrset(n->zn, DNS_T_CNAME))
				n->flags |= SNAP_N_CNAME;
		}
		if (dns_name_is_wildcard(n->owner)) {
			n->flags |= SNAP_N_WILDCARD;
			uint32_t p = find_name(s, dns_name_parent(n->owner));
			if (p != SNAP_NONE)
				s->nodes[p].wild = i;
		}
	}
	/* The cut above each node: the highest delegation or DNAME strictly
	 * above it (the first one met walking down from the apex wins). */
	for (uint32_t i = 0; i < s->nnodes; i++) {
		struct snap_node *n = &s->nodes[i];
		int labels = dns_name_labels(n->owner);
		for (int k = olabels + 1; k < labels; k++) {
			uint32_t a = find_name(s, dns_name_suffix(n->owner, k));
			if (a == SNAP_NONE || !(s->nodes[a].zn))
				continue;
			const struct zone_node *azn = s->nodes[a].zn;
			bool deleg = zone_node_rrset(azn, DNS_T_NS) != NULL;
			if (deleg || zone_node_rrset(azn, DNS_T_DNAME)) {
				n->flags |= SNAP_N_BELOW;
				n->flags &= (uint16_t)~SNAP_N_DELEG;
				n->cut = a;
				break;
			}
		}
	}
	return 0;
}

/* ---- fragments ---- */

static int frags_reserve(struct builder *b, size_t more)
{
	struct zone_snap *s = b->s;
	if (s->frags_len + more <= b->cap_frags)
		return 0;
	size_t cap = b->cap_frags ? b->cap_frags : 65536;
	while (cap < s->frags_len + more)
		cap *= 2;
	uint8_t *f = realloc(s->frags, cap);
	if (!f)
		return DP_ENOMEM;
	s->frags = f;
	b->cap_frags = cap;
	return 0;
}

/*
 * Runs the resolver for qtype with the assumed query name at offset 12 and
 * stores the result as a fragment.  rel: the fragment will serve other
 * names, so every compression pointer gets a relocation; wild: a pointer to
 * the whole assumed name means the whole query name.  mode selects what is
 * resolved: 0 the query, 1 NXDOMAIN, 2 NODATA, 3 the referral at node cut.
 * Returns the fragment's offset, SNAP_NONE when it cannot be prepared (too
 * big, too many pointers) or DP_ENOMEM as (uint32_t) via *err.
 */
enum frag_mode { FRAG_QUERY, FRAG_NXDOMAIN, FRAG_NODATA, FRAG_REFERRAL };

static uint32_t make_frag(struct builder *b, const uint8_t *assumed, uint16_t qtype, bool rel,
			  bool wild, enum frag_mode mode, uint32_t cut, int *err)
{
	struct zone_snap *s = b->s;
	struct resolve_name q;
	zone_resolve_name_init(&q, assumed);

	uint8_t *buf = b->scratch;
	memset(buf, 0, DNS_HDR_LEN);
	memcpy(buf + DNS_HDR_LEN, assumed, q.len);
	size_t body = DNS_HDR_LEN + q.len + 4u;
	memset(buf + DNS_HDR_LEN + q.len, 0, 4);

	struct resolve_out o;
	unsigned max_sites = sizeof(b->sites) / sizeof(b->sites[0]);
	zone_resolve_out_init(&o, buf, 65535, q.len, b->sites, max_sites);
	switch (mode) {
	case FRAG_QUERY: zone_resolve(s, &q, qtype, &o); break;
	case FRAG_NXDOMAIN: zone_resolve_negative(s, DNS_R_NXDOMAIN, &o); break;
	case FRAG_NODATA: zone_resolve_negative(s, DNS_R_NOERROR, &o); break;
	case FRAG_REFERRAL: zone_resolve_referral(s, cut, &o); break;
	}
	if (o.w.err || o.skipped || o.c.nsites > max_sites || o.ncut == 0)
		return SNAP_NONE;

	size_t len = o.w.pos - body;
	unsigned nreloc = rel ? o.c.nsites : 0;
	size_t used = sizeof(struct snap_frag) + ((len + 1) & ~(size_t)1) +
		      nreloc * sizeof(struct snap_reloc);
	if (frags_reserve(b, used + 3) < 0) {
		*err = DP_ENOMEM;
		return SNAP_NONE;
	}
	uint32_t off = (uint32_t)((s->frags_len + 3) & ~(size_t)3);
	struct snap_frag *f = (struct snap_frag *)(void *)(s->frags + off);
	*f = (struct snap_frag){ .flags = o.flags, .an = o.an, .ns = o.ns, .ar = o.ar,
				 .len = (uint16_t)len, .nreloc = (uint16_t)nreloc, .rel = rel };
	memcpy(f->body, buf + body, len);
	struct snap_reloc *r = (struct snap_reloc *)(void *)snap_frag_relocs(f);
	for (unsigned i = 0; i < nreloc; i++) {
		uint16_t site = b->sites[i];
		uint16_t target = dns_get_u16(buf + site) & 0x3fff;
		uint16_t val;
		if (target >= body) {
			val = (uint16_t)(SNAP_RELOC_FRAG | (target - body));
		} else if (wild && target == DNS_HDR_LEN) {
			val = SNAP_RELOC_QNAME;
		} else {
			unsigned k = q.labels;
			for (unsigned l = 0; l < q.labels; l++)
				if (DNS_HDR_LEN + q.loff[l] == target)
					k = q.labels - l;
			val = (uint16_t)k;
		}
		r[i] = (struct snap_reloc){ (uint16_t)(site - body), val };
	}
	s->frags_len = off + used;
	return off;
}

static int add_ans(struct builder *b, uint32_t node, uint16_t qtype, uint32_t frag)
{
	struct zone_snap *s = b->s;
	if (s->nans == b->cap_ans) {
		uint32_t cap = b->cap_ans ? b->cap_ans * 2 : 256;
		struct snap_ans *a = realloc(s->ans, (size_t)cap * sizeof(*a));
		if (!a)
			return DP_ENOMEM;
		s->ans = a;
		b->cap_ans = cap;
	}
	struct snap_node *n = &s->nodes[node];
	if (n->nans == 0)
		n->ans = s->nans;
	s->ans[s->nans++] = (struct snap_ans){ qtype, 0, frag };
	n->nans++;
	return 0;
}

/* Prepares one answer; a node whose answer cannot be prepared goes slow. */
static int prep(struct builder *b, uint32_t node, uint16_t qtype, bool rel, bool wild,
		enum frag_mode mode)
{
	int err = 0;
	uint32_t f = make_frag(b, b->s->nodes[node].owner, qtype, rel, wild, mode, node, &err);
	if (err)
		return err;
	if (f == SNAP_NONE) {
		b->s->nodes[node].flags |= SNAP_N_SLOW;
		return 0;
	}
	return add_ans(b, node, qtype, f);
}

/*
 * Where a CNAME chain from node ends, to know which query types get their own
 * prepared answer.  *out: the chain leaves the zone (the answer is the same
 * for every type).  Returns the final node, or NULL (with *out false) when
 * the answer depends on the type in a way the prepared answers cannot follow
 * (NXDOMAIN, wildcard, delegation or DNAME on the way, a loop, a long chain):
 * the node then goes to the reference resolver.
 */
static const struct zone_node *chain_end(const struct zone_snap *s, uint32_t node, bool *out)
{
	*out = false;
	for (int i = 0; i < 12; i++) {
		const struct snap_node *n = &s->nodes[node];
		if (i > 0 && (n->flags & (SNAP_N_BELOW | SNAP_N_DELEG | SNAP_N_ENT)))
			return NULL;
		const struct zone_rrset *c = zone_node_rrset(n->zn, DNS_T_CNAME);
		if (!c)
			return n->zn;
		uint8_t t[DNS_NAME_MAXLEN];
		dns_name_copy_lower(t, zone_rr_data(c->rdata));
		if (!dns_name_is_sub(t, s->origin)) {
			*out = true;
			return NULL;
		}
		node = find_name(s, t);
		if (node == SNAP_NONE)
			return NULL;
	}
	return NULL;
}

static int build_frags(struct builder *b)
{
	struct zone_snap *s = b->s;
	int err = 0;
	int rc;

	s->frag_nxdomain = make_frag(b, s->origin, 0, true, false, FRAG_NXDOMAIN, 0, &err);
	s->frag_nodata = make_frag(b, s->origin, 0, true, false, FRAG_NODATA, 0, &err);
	if (err)
		return err;

	for (uint32_t i = 0; i < s->nnodes; i++) {
		const struct snap_node *n = &s->nodes[i];
		const struct zone_node *zn = n->zn;
		if (!zn || (n->flags & SNAP_N_BELOW))
			continue; /* ENT: NODATA; below a cut: the cut answers */
		bool wild = n->flags & SNAP_N_WILDCARD;
		if (n->flags & SNAP_N_DELEG) {
			if ((rc = prep(b, i, DNS_T_DS, false, false, FRAG_QUERY)) < 0 ||
			    (rc = prep(b, i, 0, true, false, FRAG_REFERRAL)) < 0)
				return rc;
			continue;
		}
		if (n->flags & SNAP_N_CNAME) {
			bool out;
			const struct zone_node *end = chain_end(s, i, &out);
			if (!end && !out) {
				s->nodes[i].flags |= SNAP_N_SLOW;
				continue;
			}
			if ((rc = prep(b, i, DNS_T_CNAME, wild, wild, FRAG_QUERY)) < 0 ||
			    (rc = prep(b, i, 0, wild, wild, FRAG_QUERY)) < 0)
				return rc;
			for (unsigned t = 0; end && t < end->rrset_count; t++) {
				uint16_t type = end->rrsets[t].type;
				if (type == DNS_T_RRSIG || type == DNS_T_CNAME)
					continue;
				if ((rc = prep(b, i, type, wild, wild, FRAG_QUERY)) < 0)
					return rc;
			}
			continue;
		}
		for (unsigned t = 0; t < zn->rrset_count; t++) {
			uint16_t type = zn->rrsets[t].type;
			if (type == DNS_T_RRSIG)
				continue;
			if ((rc = prep(b, i, type, wild, wild, FRAG_QUERY)) < 0)
				return rc;
		}
	}
	return 0;
}

struct zone_snap *zone_snap_build(struct zone_contents *z)
{
	struct zone_snap *s = calloc(1, sizeof(*s));
	struct builder b = { .s = s };
	if (!s)
		goto fail;
	s->z = z;
	s->origin = z->origin;
	s->origin_len = (uint8_t)dns_name_len(z->origin);
	s->origin_labels = (uint8_t)dns_name_labels(z->origin);
	s->serial = z->serial;
	const struct zone_node *apex = zone_contents_apex(z);
	s->soa = apex ? zone_node_rrset(apex, DNS_T_SOA) : NULL;
	if (!s->soa)
		goto fail;
	const uint8_t *soa = zone_rr_data(s->soa->rdata);
	uint32_t minimum = dns_get_u32(soa + zone_rr_len(s->soa->rdata) - 4);
	s->neg_ttl = s->soa->ttl < minimum ? s->soa->ttl : minimum;

	b.scratch = malloc(65536);
	if (!b.scratch || build_index(&b) < 0 || build_frags(&b) < 0)
		goto fail;
	free(b.scratch);
	/* Trim the growth slack. */
	uint8_t *f = realloc(s->frags, s->frags_len ? s->frags_len : 1);
	if (f)
		s->frags = f;
	s->mem_bytes = sizeof(*s) + (size_t)s->nnodes * sizeof(*s->nodes) +
		       ((size_t)s->hmask + 1) * sizeof(*s->htab) + (size_t)s->nans * sizeof(*s->ans) +
		       s->frags_len;
	return s;
fail:
	if (b.scratch)
		free(b.scratch);
	if (s)
		zone_snap_free(s);
	else
		zone_contents_free(z);
	return NULL;
}

void zone_snap_free(struct zone_snap *s)
{
	if (!s)
		return;
	zone_contents_free(s->z);
	free(s->nodes);
	free(s->htab);
	free(s->ans);
	free(s->frags);
	free(s);
}

/* ---- zone table ---- */

struct zone_table *zone_table_new(struct zone_snap **snaps, uint32_t n)
{
	struct zone_table *t = calloc(1, sizeof(*t));
	if (!t)
		goto fail;
	uint32_t cap = 16;
	while (cap < n * 2)
		cap <<= 1;
	t->htab = malloc((size_t)cap * sizeof(*t->htab));
	t->zones = malloc((n ? n : 1) * sizeof(*t->zones));
	if (!t->htab || !t->zones)
		goto fail;
	t->hmask = cap - 1;
	for (uint32_t i = 0; i < cap; i++)
		t->htab[i] = (struct snap_bucket){ 0, SNAP_NONE };
	for (uint32_t z = 0; z < n; z++) {
		struct zone_snap *s = snaps[z];
		t->zones[t->nzones++] = s;
		uint32_t h = zone_name_hash(s->origin, s->origin_len);
		uint32_t i = h & t->hmask;
		while (t->htab[i].node != SNAP_NONE)
			i = (i + 1) & t->hmask;
		t->htab[i] = (struct snap_bucket){ h, z };
		t->label_mask[s->origin_labels >> 6] |= UINT64_C(1) << (s->origin_labels & 63);
	}
	return t;
fail:
	if (t) {
		free(t->htab);
		free(t->zones);
		free(t);
	}
	for (uint32_t z = 0; z < n; z++)
		zone_snap_free(snaps[z]);
	return NULL;
}

void zone_table_free(struct zone_table *t)
{
	if (!t)
		return;
	for (uint32_t z = 0; z < t->nzones; z++)
		zone_snap_free(t->zones[z]);
	free(t->zones);
	free(t->htab);
	free(t);
}

const struct zone_snap *zone_table_find(const struct zone_table *t, const uint8_t *name,
					size_t len, uint32_t h)
{
	uint32_t i = h & t->hmask;
	for (;;) {
		const struct snap_bucket *b = &t->htab[i];
		if (b->node == SNAP_NONE)
			return NULL;
		const struct zone_snap *s = t->zones[b->node];
		if (b->hash == h && s->origin_len == len && memcmp(s->origin, name, len) == 0)
			return s;
		i = (i + 1) & t->hmask;
	}
}
