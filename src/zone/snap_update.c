/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zone_snap_update: a new snapshot from the served one and the names an IXFR
 * changed, sharing every page it does not write (doc/answers.md, "New
 * versions cost the size of the change").
 */
#include "zone/snap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/errcode.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "zone/dnssec.h"
#include "zone/snap_int.h"

/* A set of node indexes, with the members in insertion order. */
struct idset {
	uint32_t *slot;
	uint32_t mask;
	uint32_t *list;
	uint32_t n, cap;
};

/* Adds id; returns 1 when new, 0 when there already, DP_ENOMEM. */
static int idset_add(struct idset *s, uint32_t id)
{
	if (!s->slot || (s->n + 1) * 2 > s->mask + 1) {
		uint32_t cap = s->slot ? (s->mask + 1) * 2 : 256;
		uint32_t *t = malloc((size_t)cap * sizeof(*t));
		uint32_t *l = realloc(s->list, (size_t)cap * sizeof(*l));
		if (!t || !l) {
			free(t);
			if (l)
				s->list = l;
			return DP_ENOMEM;
		}
		s->list = l;
		memset(t, 0xff, (size_t)cap * sizeof(*t));
		for (uint32_t i = 0; i < s->n; i++) {
			uint32_t j = (s->list[i] * 2654435761u) & (cap - 1);
			while (t[j] != SNAP_NONE)
				j = (j + 1) & (cap - 1);
			t[j] = s->list[i];
		}
		free(s->slot);
		s->slot = t;
		s->mask = cap - 1;
	}
	uint32_t j = (id * 2654435761u) & s->mask;
	for (; s->slot[j] != SNAP_NONE; j = (j + 1) & s->mask)
		if (s->slot[j] == id)
			return 0;
	s->slot[j] = id;
	s->list[s->n++] = id;
	return 1;
}

static bool idset_has(const struct idset *s, uint32_t id)
{
	if (!s->slot)
		return false;
	uint32_t j = (id * 2654435761u) & s->mask;
	for (; s->slot[j] != SNAP_NONE; j = (j + 1) & s->mask)
		if (s->slot[j] == id)
			return true;
	return false;
}

static void idset_free(struct idset *s)
{
	free(s->slot);
	free(s->list);
}

struct upd {
	struct builder b;
	const struct zone_snap *old;
	struct idset changed;  /* nodes whose own state changed (data, flags, existence) */
	struct idset emit;     /* nodes whose hot block is built again */
	struct idset gone;     /* removed nodes */
};

/* The true hash of the name in the bucket (its low bits hold the line count). */
static uint32_t bucket_home_hash(const struct zone_snap *s, const struct snap_bucket *bk)
{
	const struct snap_hot *h = zone_snap_hot(s, bk->ref);
	const uint8_t *o = zone_snap_node(s, h->node)->owner;
	return zone_name_hash(o, dns_name_len(o));
}

/* The bucket index of node idx (whose name hashes to h). */
static uint32_t bucket_of(const struct zone_snap *s, uint32_t idx, uint32_t h)
{
	uint32_t i = h & s->hmask;
	for (;;) {
		const struct snap_bucket *bk = zone_snap_bucket(s, i);
		if (bk->ref == SNAP_NONE)
			return SNAP_NONE;
		if (snap_bucket_match(bk, h) && zone_snap_hot(s, bk->ref)->node == idx)
			return i;
		i = (i + 1) & s->hmask;
	}
}

/* Removes the bucket of node idx, shifting later entries of its run back (no tombstones). */
static int bucket_remove(struct zone_snap *s, uint32_t idx, uint32_t h)
{
	uint32_t i = bucket_of(s, idx, h);
	if (i == SNAP_NONE)
		return 0;
	for (uint32_t j = i;;) {
		j = (j + 1) & s->hmask;
		const struct snap_bucket *bj = zone_snap_bucket(s, j);
		if (bj->ref == SNAP_NONE)
			break;
		uint32_t k = bucket_home_hash(s, bj) & s->hmask;
		/* Stays when its home lies cyclically in (i, j]. */
		bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (stays)
			continue;
		struct snap_bucket v = *bj;
		struct snap_bucket *bi = snap_bucket_mut(s, i);
		if (!bi)
			return DP_ENOMEM;
		*bi = v;
		i = j;
	}
	struct snap_bucket *bi = snap_bucket_mut(s, i);
	if (!bi)
		return DP_ENOMEM;
	*bi = (struct snap_bucket){ 0, SNAP_NONE };
	return 0;
}

static int bucket_insert(struct zone_snap *s, uint32_t h, uint32_t ref, unsigned lines)
{
	uint32_t i = h & s->hmask;
	while (zone_snap_bucket(s, i)->ref != SNAP_NONE)
		i = (i + 1) & s->hmask;
	struct snap_bucket *bk = snap_bucket_mut(s, i);
	if (!bk)
		return DP_ENOMEM;
	*bk = (struct snap_bucket){ (h & ~SNAP_HASH_LINES) | (lines - 1u), ref };
	return 0;
}

/* A name that appears: a node with a provisional hot block (found by lookups), indexed. */
static uint32_t upd_add(struct upd *u, const uint8_t *owner, const struct zone_node *zn,
			int *rc)
{
	struct zone_snap *s = u->b.s;
	if ((uint64_t)(s->nnodes + 1) * 16 > ((uint64_t)s->hmask + 1) * 5) {
		*rc = DP_ERANGE; /* the table would pass its load: build afresh */
		return SNAP_NONE;
	}
	uint32_t idx = snap_append_node(s, owner, zn);
	if (idx == SNAP_NONE) {
		*rc = DP_ENOMEM;
		return SNAP_NONE;
	}
	struct snap_node *n = zone_snap_node(s, idx);
	n->flags = snap_base_flags(n);
	struct pending p = { .n = 0 };
	u->b.tmp.len = 0;
	if ((*rc = snap_emit_hot(&u->b, idx, &p)) < 0)
		return SNAP_NONE;
	s->shared->dead += 64u * n->hot_lines;
	uint32_t h = zone_name_hash(owner, dns_name_len(owner));
	if ((*rc = bucket_insert(s, h, n->hot, n->hot_lines)) < 0)
		return SNAP_NONE;
	if ((*rc = idset_add(&u->changed, idx)) < 0)
		return SNAP_NONE;
	*rc = 0;
	return idx;
}

static int upd_remove(struct upd *u, uint32_t idx)
{
	struct zone_snap *s = u->b.s;
	struct snap_node *n = snap_node_mut(s, idx);
	if (!n)
		return DP_ENOMEM;
	uint32_t h = zone_name_hash(n->owner, dns_name_len(n->owner));
	int rc = bucket_remove(s, idx, h);
	if (rc < 0)
		return rc;
	/* Its name stays known to the sets: dependents are found by it. */
	if ((rc = idset_add(&u->gone, idx)) < 0 || (rc = idset_add(&u->changed, idx)) < 0)
		return rc;
	s->shared->dead += 64u * n->hot_lines;
	return 0;
}

/* Applies one changed name to the index: the node appears, changes, becomes an ENT or goes. */
static int upd_name(struct upd *u, const uint8_t *name)
{
	struct zone_snap *s = u->b.s;
	const struct zone_contents *z = s->z;
	const struct zone_node *zn = zone_contents_find(z, name);
	uint32_t idx = snap_find_name(s, name);
	int rc = 0;
	if (zn) {
		if (idx == SNAP_NONE) {
			if (upd_add(u, zn->owner, zn, &rc) == SNAP_NONE)
				return rc;
		} else {
			struct snap_node *n = snap_node_mut(s, idx);
			if (!n)
				return DP_ENOMEM;
			n->zn = zn;
			n->owner = zn->owner;
			if ((rc = idset_add(&u->changed, idx)) < 0)
				return rc;
		}
		/* Missing ancestors become empty non-terminals. */
		int labels = dns_name_labels(zn->owner);
		for (int k = labels - 1; k > s->origin_labels; k--) {
			const uint8_t *anc = dns_name_suffix(zn->owner, k);
			if (snap_find_name(s, anc) != SNAP_NONE)
				break;
			if (upd_add(u, anc, NULL, &rc) == SNAP_NONE)
				return rc;
		}
		return 0;
	}
	if (idx == SNAP_NONE)
		return 0;
	if (zone_contents_has_below(z, name)) {
		struct snap_node *n = snap_node_mut(s, idx);
		if (!n)
			return DP_ENOMEM;
		n->zn = NULL;
		return idset_add(&u->changed, idx) < 0 ? DP_ENOMEM : 0;
	}
	if ((rc = upd_remove(u, idx)) < 0)
		return rc;
	/* Ancestors that were there only for it go too. */
	int labels = dns_name_labels(name);
	for (int k = labels - 1; k > s->origin_labels; k--) {
		const uint8_t *anc = dns_name_suffix(name, k);
		uint32_t a = snap_find_name(s, anc);
		if (a == SNAP_NONE)
			continue;
		if (zone_snap_node(s, a)->zn || zone_contents_has_below(z, anc))
			break;
		if ((rc = upd_remove(u, a)) < 0)
			return rc;
	}
	return 0;
}

/* Calls fn for every node strictly below root (contents nodes and the ENTs between). */
static int each_below(struct upd *u, const uint8_t *root,
		      int (*fn)(struct upd *u, uint32_t idx))
{
	struct zone_snap *s = u->b.s;
	const struct zone_contents *z = s->z;
	struct idset seen = { 0 };
	int rc = 0;
	size_t pos;
	if (zone_contents_search(z, root, &pos))
		pos++;
	int rl = dns_name_labels(root);
	for (; pos < z->node_count; pos++) {
		const uint8_t *o = zone_contents_node(z, pos)->owner;
		if (!dns_name_is_sub(o, root))
			break;
		int labels = dns_name_labels(o);
		for (int k = labels; k > rl; k--) {
			uint32_t idx = snap_find_name(s, dns_name_suffix(o, k));
			if (idx == SNAP_NONE)
				continue;
			int added = idset_add(&seen, idx);
			if (added < 0) {
				rc = added;
				goto out;
			}
			if (!added)
				break; /* its ancestors were done with it */
			if ((rc = fn(u, idx)) < 0)
				goto out;
		}
	}
out:
	idset_free(&seen);
	return rc;
}

/* Recomputes flags and cut of node idx; marks it changed when they differ. */
static int reflag(struct upd *u, uint32_t idx)
{
	struct zone_snap *s = u->b.s;
	const struct snap_node *n = zone_snap_node(s, idx);
	uint16_t f = snap_base_flags(n);
	uint32_t cut;
	snap_find_cut(s, n->owner, &f, &cut);
	if (f == (n->flags & (uint16_t)~SNAP_N_SLOW) && cut == n->cut)
		return 0;
	struct snap_node *m = snap_node_mut(s, idx);
	if (!m)
		return DP_ENOMEM;
	m->flags = f;
	m->cut = cut;
	return idset_add(&u->changed, idx) < 0 ? DP_ENOMEM : 0;
}

static int emit_add(struct upd *u, uint32_t idx)
{
	return idset_add(&u->emit, idx) < 0 ? DP_ENOMEM : 0;
}

/* Whether a node with this data makes the names below it BELOW (find_cut's test). */
static bool cuts(const struct zone_node *zn, bool apex)
{
	return zn && !apex &&
	       (zone_node_rrset(zn, DNS_T_NS) || zone_node_rrset(zn, DNS_T_DNAME));
}

static int upd_run(struct upd *u, const struct zone_changes *chg)
{
	struct zone_snap *s = u->b.s;
	const struct zone_snap *old = u->old;
	int rc;

	/* 1. Names that appear, change or go; empty non-terminals with them. */
	for (size_t i = 0; i < chg->n; i++)
		if ((rc = upd_name(u, chg->names[i])) < 0)
			return rc;

	/* 2. Flags of what changed; a cut that appears or goes re-flags its subtree. */
	uint32_t nchanged = u->changed.n;
	for (uint32_t c = 0; c < nchanged; c++) {
		uint32_t idx = u->changed.list[c];
		if (idset_has(&u->gone, idx))
			continue;
		struct snap_node *n = snap_node_mut(s, idx);
		if (!n)
			return DP_ENOMEM;
		n->flags = snap_base_flags(n);
		snap_find_cut(s, n->owner, &n->flags, &n->cut);
	}
	for (uint32_t c = 0; c < nchanged; c++) {
		uint32_t idx = u->changed.list[c];
		const struct snap_node *n = zone_snap_node(s, idx);
		uint32_t oi = idx < old->nnodes ? idx : SNAP_NONE;
		const struct snap_node *on = oi != SNAP_NONE ? zone_snap_node(old, oi) : NULL;
		bool was = on && on->owner && cuts(on->zn, on->flags & SNAP_N_APEX);
		bool is = !idset_has(&u->gone, idx) && cuts(n->zn, n->flags & SNAP_N_APEX);
		if (was != is && (rc = each_below(u, n->owner, reflag)) < 0)
			return rc;
	}

	/* 3. Wildcard links: of every changed name, and of the parent of a changed wildcard. */
	for (uint32_t c = 0; c < u->changed.n; c++) {
		uint32_t idx = u->changed.list[c];
		const struct snap_node *n = zone_snap_node(s, idx);
		bool gone = idset_has(&u->gone, idx);
		if (!gone) {
			uint8_t w[DNS_NAME_MAXLEN];
			size_t len = dns_name_len(n->owner);
			uint32_t wi = SNAP_NONE;
			if (len + 2 <= DNS_NAME_MAXLEN) {
				w[0] = 1;
				w[1] = '*';
				memcpy(w + 2, n->owner, len);
				wi = snap_find_name(s, w);
			}
			if (wi != n->wild) {
				struct snap_node *m = snap_node_mut(s, idx);
				if (!m)
					return DP_ENOMEM;
				m->wild = wi;
			}
		}
		if (dns_name_is_wildcard(n->owner)) {
			uint32_t p = snap_find_name(s, dns_name_parent(n->owner));
			if (p != SNAP_NONE) {
				struct snap_node *m = snap_node_mut(s, p);
				if (!m)
					return DP_ENOMEM;
				m->wild = gone ? SNAP_NONE : idx;
				if ((rc = emit_add(u, p)) < 0)
					return rc;
			}
		}
	}

	/* 4. Blocks to build again: the changed names and every name whose answers read one. */
	for (uint32_t c = 0; c < u->changed.n; c++) {
		uint32_t idx = u->changed.list[c];
		const struct snap_node *n = zone_snap_node(s, idx);
		if (!idset_has(&u->gone, idx) && (rc = emit_add(u, idx)) < 0)
			return rc;
		const struct snap_shared *sh = s->shared;
		if (!sh->deps)
			continue;
		uint32_t h = zone_name_hash(n->owner, dns_name_len(n->owner));
		for (uint32_t j = h & sh->dmask; sh->deps[j].node != SNAP_NONE;
		     j = (j + 1) & sh->dmask) {
			uint32_t d = sh->deps[j].node;
			if (sh->deps[j].hash != h || d >= s->nnodes || idset_has(&u->gone, d) ||
			    !zone_snap_node(s, d)->owner)
				continue;
			if ((rc = emit_add(u, d)) < 0)
				return rc;
		}
	}
	/* The apex: the zone-wide fragments change with its SOA. */
	uint32_t apex = snap_find_name(s, s->origin);
	if (apex == SNAP_NONE)
		return DP_EINVAL;
	if ((rc = emit_add(u, apex)) < 0)
		return rc;
	/* Links to blocks that move: the names below a cut, the parent of a wildcard. */
	for (uint32_t e = 0; e < u->emit.n; e++) {
		uint32_t idx = u->emit.list[e];
		const struct snap_node *n = zone_snap_node(s, idx);
		/* (The apex's DNAME makes no name BELOW: find_cut starts below the apex.) */
		if ((n->flags & (SNAP_N_DELEG | SNAP_N_DNAME)) &&
		    !(n->flags & (SNAP_N_BELOW | SNAP_N_APEX)) &&
		    (rc = each_below(u, n->owner, emit_add)) < 0)
			return rc;
		if (n->flags & SNAP_N_WILDCARD) {
			uint32_t p = snap_find_name(s, dns_name_parent(n->owner));
			if (p != SNAP_NONE && (rc = emit_add(u, p)) < 0)
				return rc;
		}
	}

	/* 5. Build them (the index already finds every name), link, point the buckets. */
	if ((rc = snap_zone_frags(&u->b)) < 0)
		return rc;
	for (uint32_t e = 0; e < u->emit.n; e++) {
		uint32_t idx = u->emit.list[e];
		struct snap_node *n = snap_node_mut(s, idx);
		if (!n)
			return DP_ENOMEM;
		s->shared->dead += 64u * n->hot_lines;
		if ((rc = snap_build_hot(&u->b, idx)) < 0)
			return rc;
	}
	for (uint32_t e = 0; e < u->emit.n; e++)
		snap_link_one(&u->b, u->emit.list[e]);
	for (uint32_t e = 0; e < u->emit.n; e++) {
		uint32_t idx = u->emit.list[e];
		const struct snap_node *n = zone_snap_node(s, idx);
		uint32_t h = zone_name_hash(n->owner, dns_name_len(n->owner));
		uint32_t bi = bucket_of(s, idx, h);
		if (bi == SNAP_NONE)
			return DP_EINVAL; /* cannot happen: every live node is indexed */
		struct snap_bucket *bk = snap_bucket_mut(s, bi);
		if (!bk)
			return DP_ENOMEM;
		*bk = (struct snap_bucket){ (h & ~SNAP_HASH_LINES) | (n->hot_lines - 1u), n->hot };
	}
	for (uint32_t g = 0; g < u->gone.n; g++) {
		struct snap_node *n = snap_node_mut(s, u->gone.list[g]);
		if (!n)
			return DP_ENOMEM;
		*n = (struct snap_node){ .owner = NULL, .zn = NULL, .wild = SNAP_NONE,
					 .cut = SNAP_NONE, .hot = SNAP_NONE, .flags = 0,
					 .hot_lines = 1 };
	}
	s->apex_hot = zone_snap_node(s, apex)->hot;
	return 0;
}

/*
 * Whether the new version needs the DNSSEC structures (zone_dnssec_build and
 * the DO answers), which are not updated in place: the old or the new
 * version is signed (an RRSIG at the apex), or a changed name holds NSEC3
 * records (kept out of the index).  Such versions are built afresh.
 */
static bool signed_change(const struct zone_snap *old, const struct zone_contents *z,
			  const struct zone_changes *chg)
{
	const struct zone_node *apex = zone_contents_apex(z);
	if (old->dnssec || (apex && zone_dnssec_first_rrsig(apex)))
		return true;
	for (size_t k = 0; k < chg->n; k++) {
		const struct zone_node *a = zone_contents_find(z, chg->names[k]);
		const struct zone_node *b = zone_contents_find(old->z, chg->names[k]);
		if ((a && zone_dnssec_is_nsec3_node(a)) || (b && zone_dnssec_is_nsec3_node(b)))
			return true;
	}
	return false;
}

struct zone_snap *zone_snap_update(const struct zone_snap *old, struct zone_contents *z,
				   const struct zone_changes *chg, int *err)
{
	struct snap_shared *sh = old->shared;
	*err = DP_ERANGE;
	if (!old->hot_ready || !sh || chg->full || old->arena_len != sh->used ||
	    (sh->dead > sh->used - sh->dead && sh->dead > SNAP_GARBAGE_SLACK))
		return NULL; /* garbage outgrew the live blocks, or not the line's newest */
	if (signed_change(old, z, chg))
		return NULL; /* DNSSEC answers (zone_dnssec, DO blocks) are built whole */
	*err = DP_ENOMEM;
	struct zone_snap *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	*s = *old;
	s->refs = 1;
	s->z = NULL;
	s->npages = NULL;
	s->npage_ref = NULL;
	s->hpages = NULL;
	s->hpage_ref = NULL;
	s->nnpages = s->nhpages = 0;
	s->shared = NULL;
	struct upd u = { .old = old };
	u.b.s = s;
	s->npages = malloc(((size_t)old->nnpages + 1) * sizeof(*s->npages));
	s->npage_ref = malloc(((size_t)old->nnpages + 1) * sizeof(*s->npage_ref));
	s->hpages = malloc((size_t)old->nhpages * sizeof(*s->hpages));
	s->hpage_ref = malloc((size_t)old->nhpages * sizeof(*s->hpage_ref));
	u.b.scratch = malloc(65536);
	if (!s->npages || !s->npage_ref || !s->hpages || !s->hpage_ref || !u.b.scratch)
		goto fail;
	/* Share every page and the arena: references first, so freeing s undoes them. */
	for (uint32_t p = 0; p < old->nnpages; p++) {
		__atomic_add_fetch(&old->npage_ref[p]->refs, 1, __ATOMIC_RELAXED);
		s->npages[p] = old->npages[p];
		s->npage_ref[p] = old->npage_ref[p];
	}
	s->nnpages = old->nnpages;
	for (uint32_t p = 0; p < old->nhpages; p++) {
		__atomic_add_fetch(&old->hpage_ref[p]->refs, 1, __ATOMIC_RELAXED);
		s->hpages[p] = old->hpages[p];
		s->hpage_ref[p] = old->hpage_ref[p];
	}
	s->nhpages = old->nhpages;
	__atomic_add_fetch(&sh->refs, 1, __ATOMIC_RELAXED);
	s->shared = sh;
	s->z = z;
	if (!snap_set_soa(s, z)) {
		*err = DP_EINVAL;
		goto fail;
	}
	u.b.arena = (struct bytes){ .buf = sh->base, .len = sh->used, .cap = sh->reserved,
				    .fixed = true };
	int rc = upd_run(&u, chg);
	/* What was appended is the line's, even on failure (then garbage). */
	if (u.b.arena.len > sh->used) {
		if (rc < 0)
			sh->dead += u.b.arena.len - sh->used;
		sh->used = u.b.arena.len;
	}
	if (rc < 0) {
		*err = rc;
		goto fail;
	}
	s->arena_len = sh->used;
	snap_set_mem(s);
	free(u.b.scratch);
	free(u.b.tmp.buf);
	idset_free(&u.changed);
	idset_free(&u.emit);
	idset_free(&u.gone);
	*err = 0;
	return s;
fail:
	free(u.b.scratch);
	free(u.b.tmp.buf);
	idset_free(&u.changed);
	idset_free(&u.emit);
	idset_free(&u.gone);
	s->z = NULL; /* not taken */
	zone_snap_free(s);
	return NULL;
}

