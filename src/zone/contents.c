/* SPDX-License-Identifier: BSD-3-Clause */
#include "zone/contents.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/errcode.h"
#include "dns/name.h"
#include "dns/rrtype.h"

struct zone_arena {
	unsigned long refs;
	size_t size;
	alignas(max_align_t) unsigned char data[];
};

static struct zone_arena *arena_new(size_t size)
{
	struct zone_arena *a = malloc(sizeof(*a) + size);
	if (a == NULL)
		return NULL;
	a->refs = 1;
	a->size = size;
	return a;
}

/*
 * Atomic because the last reference to an old version is often dropped by an
 * RCU callback thread while the writer attaches a newer version to the arena.
 */
static void arena_unref(struct zone_arena *a)
{
	if (a != NULL && __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(a);
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

static size_t pages_for(size_t nodes)
{
	return (nodes + ZONE_PAGE_NODES - 1) / ZONE_PAGE_NODES;
}

struct zone_contents *zone_contents_alloc(size_t node_count, size_t rrset_count, size_t bytes,
					  uint8_t **bytes_out)
{
	size_t npages = pages_for(node_count);
	size_t off_pages = align_up(node_count * sizeof(struct zone_node),
				    alignof(struct zone_node_page));
	size_t off_rrsets = align_up(off_pages + npages * sizeof(struct zone_node_page),
				     alignof(struct zone_rrset));
	size_t off_bytes = off_rrsets + rrset_count * sizeof(struct zone_rrset);
	struct zone_contents *z = calloc(1, sizeof(*z));
	struct zone_arena *a = arena_new(off_bytes + bytes);
	if (z == NULL || a == NULL || npages > UINT32_MAX || node_count > UINT32_MAX)
		goto fail;
	z->refs = 1;
	z->arenas = malloc(sizeof(*z->arenas));
	z->pages = malloc((npages ? npages : 1) * sizeof(*z->pages));
	z->page_first = malloc((npages ? npages : 1) * sizeof(*z->page_first));
	if (z->arenas == NULL || z->pages == NULL || z->page_first == NULL)
		goto fail;
	z->arenas[0] = a;
	z->arena_count = 1;
	z->nodes = (struct zone_node *)(void *)a->data;
	z->node_count = node_count;
	struct zone_node_page *pg = (struct zone_node_page *)(void *)(a->data + off_pages);
	for (size_t p = 0; p < npages; p++) {
		size_t first = p * ZONE_PAGE_NODES;
		size_t count = node_count - first < ZONE_PAGE_NODES ? node_count - first
								    : ZONE_PAGE_NODES;
		pg[p].count = (uint32_t)count;
		for (size_t k = 0; k < count; k++)
			pg[p].node[k] = &z->nodes[first + k];
		z->pages[p] = &pg[p];
		z->page_first[p] = (uint32_t)first;
	}
	z->npages = (uint32_t)npages;
	z->rrsets = (struct zone_rrset *)(void *)(a->data + off_rrsets);
	z->rrset_count = rrset_count;
	z->mem_bytes = sizeof(*z) + sizeof(*z->arenas) + sizeof(*a) + a->size +
		       npages * (sizeof(*z->pages) + sizeof(*z->page_first));
	*bytes_out = a->data + off_bytes;
	return z;
fail:
	if (z != NULL) {
		free(z->arenas);
		free(z->pages);
		free(z->page_first);
	}
	free(a);
	free(z);
	return NULL;
}

int zone_contents_attach(struct zone_contents *z, struct zone_arena *a)
{
	struct zone_arena **arr = realloc(z->arenas, (z->arena_count + 1) * sizeof(*arr));
	if (arr == NULL)
		return DP_ENOMEM;
	z->arenas = arr;
	z->arenas[z->arena_count++] = a;
	__atomic_add_fetch(&a->refs, 1, __ATOMIC_RELAXED);
	return 0;
}

void zone_contents_free(struct zone_contents *z)
{
	if (z == NULL || __atomic_sub_fetch(&z->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (unsigned i = 0; i < z->arena_count; i++)
		arena_unref(z->arenas[i]);
	free(z->arenas);
	free(z->pages);
	free(z->page_first);
	free(z);
}

struct zone_contents *zone_contents_ref(struct zone_contents *z)
{
	__atomic_add_fetch(&z->refs, 1, __ATOMIC_RELAXED);
	return z;
}

/* The page holding node i. */
static uint32_t page_of(const struct zone_contents *z, size_t i)
{
	uint32_t lo = 0, hi = z->npages;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (z->page_first[mid] <= i)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

const struct zone_node *zone_contents_node_paged(const struct zone_contents *z, size_t i)
{
	uint32_t p = page_of(z, i);
	return z->pages[p]->node[i - z->page_first[p]];
}

/* The last page whose first owner sorts at or before name (0 if none). */
static uint32_t page_for_name(const struct zone_contents *z, const uint8_t *name)
{
	uint32_t lo = 0, hi = z->npages;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (dns_name_cmp(z->pages[mid]->node[0]->owner, name) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* In page pg: true and *k when a node owns name, else false and *k the insertion point. */
static bool page_search(const struct zone_node_page *pg, const uint8_t *name, uint32_t *k)
{
	uint32_t lo = 0, hi = pg->count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = dns_name_cmp(pg->node[mid]->owner, name);
		if (c == 0) {
			*k = mid;
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*k = lo;
	return false;
}

bool zone_contents_search(const struct zone_contents *z, const uint8_t *name, size_t *pos)
{
	if (z->npages == 0) {
		*pos = 0;
		return false;
	}
	uint32_t p = page_for_name(z, name), k;
	bool found = page_search(z->pages[p], name, &k);
	*pos = z->page_first[p] + k;
	return found;
}

const struct zone_node *zone_contents_find(const struct zone_contents *z, const uint8_t *name)
{
	size_t pos;
	return zone_contents_search(z, name, &pos) ? zone_contents_node(z, pos) : NULL;
}

bool zone_contents_has_below(const struct zone_contents *z, const uint8_t *name)
{
	size_t pos;
	if (zone_contents_search(z, name, &pos))
		pos++;
	return pos < z->node_count && dns_name_is_sub(zone_contents_node(z, pos)->owner, name);
}

const struct zone_node *zone_contents_apex(const struct zone_contents *z)
{
	if (z->node_count == 0)
		return NULL;
	const struct zone_node *n = z->pages[0]->node[0];
	return (n->flags & ZONE_NODE_APEX) ? n : NULL;
}

const struct zone_rrset *zone_node_rrset(const struct zone_node *n, uint16_t type)
{
	for (unsigned i = 0; i < n->rrset_count; i++) {
		const struct zone_rrset *rs = &n->rrsets[i];
		if (rs->type == type && rs->covers == 0)
			return rs;
		if (rs->type > type)
			break;
	}
	return NULL;
}

const struct zone_rrset *zone_node_rrsig(const struct zone_node *n, uint16_t covered)
{
	for (unsigned i = 0; i < n->rrset_count; i++) {
		const struct zone_rrset *rs = &n->rrsets[i];
		if (rs->type == DNS_T_RRSIG && rs->covers == covered)
			return rs;
		if (rs->type > DNS_T_RRSIG)
			break;
	}
	return NULL;
}

static uint32_t soa_serial(const struct zone_rrset *soa)
{
	const uint8_t *rd = zone_rr_data(soa->rdata);
	size_t len = zone_rr_len(soa->rdata);
	size_t off = dns_name_len(rd);
	off += dns_name_len(rd + off);
	if (off + 4 > len)
		return 0;
	return dns_get_u32(rd + off);
}

/* The flags of node n given the cut or DNAME above it (NULL: none). */
static uint16_t node_flags(const struct zone_node *n, const uint8_t *origin, bool occluded)
{
	uint16_t flags = 0;
	if (dns_name_eq(n->owner, origin))
		flags |= ZONE_NODE_APEX;
	if (dns_name_is_wildcard(n->owner))
		flags |= ZONE_NODE_WILDCARD;
	if (occluded)
		flags |= ZONE_NODE_OCCLUDED;
	else if (!(flags & ZONE_NODE_APEX) && zone_node_rrset(n, DNS_T_NS) != NULL)
		flags |= ZONE_NODE_DELEGATION;
	return flags;
}

/* Whether n (with its flags set) makes what lies below it occluded. */
static bool makes_cut(const struct zone_node *n)
{
	return !(n->flags & ZONE_NODE_OCCLUDED) &&
	       ((n->flags & ZONE_NODE_DELEGATION) || zone_node_rrset(n, DNS_T_DNAME) != NULL);
}

/* Whether n's data makes a cut (the apex's NS does not; its DNAME does), occlusion aside. */
static bool cut_data(const struct zone_node *n, const uint8_t *origin)
{
	if (zone_node_rrset(n, DNS_T_DNAME) != NULL)
		return true;
	return zone_node_rrset(n, DNS_T_NS) != NULL && !dns_name_eq(n->owner, origin);
}

static void add_counts(struct zone_contents *z, const struct zone_node *n, int sign)
{
	size_t recs = 0;
	for (unsigned j = 0; j < n->rrset_count; j++)
		recs += n->rrsets[j].count;
	if (sign > 0) {
		z->record_count += recs;
		z->rrset_count += n->rrset_count;
	} else {
		z->record_count -= recs;
		z->rrset_count -= n->rrset_count;
	}
}

static void set_serial(struct zone_contents *z)
{
	const struct zone_node *apex = zone_contents_apex(z);
	const struct zone_rrset *soa = apex ? zone_node_rrset(apex, DNS_T_SOA) : NULL;
	z->serial = soa != NULL && soa->count > 0 ? soa_serial(soa) : 0;
}

void zone_contents_seal(struct zone_contents *z, const uint8_t *origin)
{
	/*
	 * Canonical order keeps every subtree contiguous right after its root,
	 * so one remembered cut is enough: a node is below it or we have left
	 * its subtree for good.
	 */
	const uint8_t *cut = NULL;
	z->origin = origin;
	z->record_count = 0;
	for (size_t i = 0; i < z->node_count; i++) {
		struct zone_node *n = &z->nodes[i];
		bool occluded = cut != NULL && dns_name_is_sub(n->owner, cut);
		if (!occluded)
			cut = NULL;
		n->flags = node_flags(n, origin, occluded);
		if (makes_cut(n))
			cut = n->owner;
		for (unsigned j = 0; j < n->rrset_count; j++)
			z->record_count += n->rrsets[j].count;
	}
	set_serial(z);
}

void zone_changes_free(struct zone_changes *c)
{
	if (c == NULL)
		return;
	free(c->names);
	c->names = NULL;
	c->n = 0;
}

/* ---- patching (IXFR) ---- */

/* A bump allocator over arenas attached to the version being made. */
struct bump {
	struct zone_contents *z;
	unsigned char *p;
	size_t left;
};

static void *bump_alloc(struct bump *b, size_t size)
{
	size = align_up(size, alignof(max_align_t));
	if (size > b->left) {
		size_t cap = size > 16384 ? size : 16384;
		struct zone_arena *a = arena_new(cap);
		if (a == NULL)
			return NULL;
		if (zone_contents_attach(b->z, a) < 0) {
			free(a);
			return NULL;
		}
		arena_unref(a); /* the version holds it now */
		b->z->mem_bytes += sizeof(*a) + cap;
		b->p = a->data;
		b->left = cap;
	}
	void *r = b->p;
	b->p += size;
	b->left -= size;
	return r;
}

/* One change to the node sequence: the new node for owner, or NULL to remove it. */
struct edit {
	const uint8_t *owner;
	const struct zone_node *node;
};

static int edit_cmp(const void *a, const void *b)
{
	return dns_name_cmp(((const struct edit *)a)->owner, ((const struct edit *)b)->owner);
}

struct names {
	const uint8_t **v;
	size_t n, cap;
};

static int names_add(struct names *s, const uint8_t *name)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		const uint8_t **v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return DP_ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = name;
	return 0;
}

static int name_ptr_cmp(const void *a, const void *b)
{
	return dns_name_cmp(*(const uint8_t *const *)a, *(const uint8_t *const *)b);
}

/* Whether an ancestor of name strictly below the origin cuts (NS or DNAME, not occluded). */
static bool occluded_by_ancestor(const struct zone_contents *z, const uint8_t *name)
{
	int ol = dns_name_labels(z->origin), nl = dns_name_labels(name);
	/* The apex's DNAME cuts too (the seal treats it so); its NS does not. */
	for (int k = ol; k < nl; k++) {
		const struct zone_node *a = zone_contents_find(z, dns_name_suffix(name, k));
		if (a != NULL && makes_cut(a))
			return true;
	}
	return false;
}

/*
 * Recomputes the flags of every node strictly below root (which has its
 * final flags, or is gone), copying the nodes whose flags change.
 */
static int reflag_below(struct zone_contents *z, const uint8_t *root, struct bump *bm,
			struct names *chg)
{
	size_t pos;
	if (zone_contents_search(z, root, &pos))
		pos++;
	bool root_occl = occluded_by_ancestor(z, root);
	const struct zone_node *rn = zone_contents_find(z, root);
	const uint8_t *cut = root_occl ? root : (rn != NULL && makes_cut(rn)) ? root : NULL;
	for (; pos < z->node_count; pos++) {
		uint32_t p = page_of(z, pos);
		uint32_t k = (uint32_t)(pos - z->page_first[p]);
		const struct zone_node *n = z->pages[p]->node[k];
		if (!dns_name_is_sub(n->owner, root))
			break;
		bool occluded = cut != NULL && dns_name_is_sub(n->owner, cut);
		if (!occluded)
			cut = NULL;
		uint16_t f = node_flags(n, z->origin, occluded);
		if (f != n->flags) {
			struct zone_node *c = bump_alloc(bm, sizeof(*c));
			if (c == NULL || names_add(chg, n->owner) < 0)
				return DP_ENOMEM;
			*c = *n;
			c->flags = f;
			/* The page is this version's own (copied by the caller). */
			((struct zone_node_page *)(uintptr_t)z->pages[p])->node[k] = c;
			z->dead_bytes += sizeof(*c);
			n = c;
		}
		if (makes_cut(n))
			cut = n->owner;
	}
	return 0;
}

int zone_contents_patch(const struct zone_contents *old, const struct zone_contents *delta,
			const uint8_t *const *remove, size_t nremove, struct zone_contents **out,
			struct zone_changes *chgout)
{
	size_t nedit = delta->node_count + nremove;
	struct edit *ed = malloc((nedit ? nedit : 1) * sizeof(*ed));
	struct zone_contents *z = calloc(1, sizeof(*z));
	struct names chg = { 0 }, roots = { 0 };
	const struct zone_node_page **pages = NULL;
	uint32_t *pfirst = NULL;
	int rc = DP_ENOMEM;
	*out = NULL;
	if (ed == NULL || z == NULL)
		goto fail;
	z->refs = 1;
	for (size_t i = 0; i < delta->node_count; i++) {
		const struct zone_node *n = zone_contents_node(delta, i);
		ed[i] = (struct edit){ n->owner, n };
	}
	for (size_t i = 0; i < nremove; i++)
		ed[delta->node_count + i] = (struct edit){ remove[i], NULL };
	qsort(ed, nedit, sizeof(*ed), edit_cmp);

	z->origin = old->origin;
	z->arenas = malloc((old->arena_count + delta->arena_count) * sizeof(*z->arenas));
	if (z->arenas == NULL)
		goto fail;
	for (unsigned i = 0; i < old->arena_count; i++)
		z->arenas[z->arena_count++] = old->arenas[i];
	for (unsigned i = 0; i < delta->arena_count; i++)
		z->arenas[z->arena_count++] = delta->arenas[i];
	for (unsigned i = 0; i < z->arena_count; i++)
		__atomic_add_fetch(&z->arenas[i]->refs, 1, __ATOMIC_RELAXED);
	z->mem_bytes = old->mem_bytes + delta->mem_bytes - sizeof(*delta);
	z->dead_bytes = old->dead_bytes;
	z->record_count = old->record_count;
	z->rrset_count = old->rrset_count;
	struct bump bm = { .z = z };

	/*
	 * Walk the old pages; a page that receives edits is merged with them
	 * into at most two new pages (an edit adds at most one node each, and
	 * a page splits in halves once full), the others are shared.
	 */
	size_t cap = (size_t)old->npages + nedit + 1;
	pages = malloc(cap * sizeof(*pages));
	pfirst = malloc(cap * sizeof(*pfirst));
	if (pages == NULL || pfirst == NULL)
		goto fail;
	uint32_t np = 0;
	size_t e = 0, total = 0;
	const struct zone_node **buf = NULL;
	size_t buf_cap = 0;
	uint32_t opages = old->npages ? old->npages : 1;
	for (uint32_t p = 0; p < opages; p++) {
		/* The next page with edits is found by search: the walk over the
		 * others reads only the top arrays (no page is touched). */
		uint32_t tp = e < nedit && old->npages ? page_for_name(old, ed[e].owner)
						       : (e < nedit ? 0 : opages);
		for (; p < tp; p++) {
			size_t cnt = (p + 1 < old->npages ? old->page_first[p + 1]
							   : old->node_count) -
				     old->page_first[p];
			pages[np] = old->pages[p];
			pfirst[np++] = (uint32_t)total;
			total += cnt;
		}
		if (p == opages)
			break;
		const struct zone_node_page *pg = old->npages ? old->pages[p] : NULL;
		uint32_t cnt = pg ? pg->count : 0;
		/* Edits for this page: those sorting before the next page's first owner. */
		size_t e_end = e;
		if (p + 1 < opages) {
			const uint8_t *next = old->pages[p + 1]->node[0]->owner;
			while (e_end < nedit && dns_name_cmp(ed[e_end].owner, next) < 0)
				e_end++;
		} else {
			e_end = nedit;
		}
		size_t need = cnt + (e_end - e);
		if (need > buf_cap) {
			const struct zone_node **nb = realloc(buf, need * sizeof(*nb));
			if (nb == NULL) {
				free(buf);
				goto fail;
			}
			buf = nb;
			buf_cap = need;
		}
		size_t m = 0;
		uint32_t k = 0;
		for (; e < e_end; e++) {
			while (k < cnt && dns_name_cmp(pg->node[k]->owner, ed[e].owner) < 0)
				buf[m++] = pg->node[k++];
			bool same = k < cnt && dns_name_eq(pg->node[k]->owner, ed[e].owner);
			if (same) {
				add_counts(z, pg->node[k], -1);
				z->dead_bytes += sizeof(struct zone_node);
				for (unsigned j = 0; j < pg->node[k]->rrset_count; j++)
					z->dead_bytes += sizeof(struct zone_rrset) +
							 pg->node[k]->rrsets[j].size;
			} else if (ed[e].node == NULL) {
				free(buf);
				rc = DP_ENOENT;
				goto fail;
			}
			bool was = same && cut_data(pg->node[k], z->origin);
			if (same)
				k++;
			if (names_add(&chg, ed[e].owner) < 0) {
				free(buf);
				goto fail;
			}
			if (ed[e].node != NULL) {
				buf[m++] = ed[e].node;
				add_counts(z, ed[e].node, 1);
			}
			/* A cut that appears or goes re-flags its subtree. */
			bool is = ed[e].node != NULL && cut_data(ed[e].node, z->origin);
			if (was != is && names_add(&roots, ed[e].owner) < 0) {
				free(buf);
				goto fail;
			}
		}
		while (k < cnt)
			buf[m++] = pg->node[k++];
		/* Out into pages of at most ZONE_PAGE_NODES (halves, so the next insert fits). */
		size_t done = 0;
		while (done < m) {
			size_t left = m - done;
			size_t take = left <= ZONE_PAGE_NODES ? left : (left + 1) / 2;
			if (take > ZONE_PAGE_NODES)
				take = ZONE_PAGE_NODES;
			struct zone_node_page *npg = bump_alloc(&bm, sizeof(*npg));
			if (npg == NULL || np + 1 > cap) {
				free(buf);
				goto fail;
			}
			npg->count = (uint32_t)take;
			memcpy(npg->node, buf + done, take * sizeof(*buf));
			pages[np] = npg;
			pfirst[np++] = (uint32_t)total;
			total += take;
			done += take;
		}
		if (pg != NULL)
			z->dead_bytes += sizeof(*pg);
	}
	free(buf);
	z->pages = pages;
	z->page_first = pfirst;
	z->npages = np;
	z->node_count = total;
	pages = NULL;
	pfirst = NULL;
	z->mem_bytes += np * (sizeof(*z->pages) + sizeof(*z->page_first));

	/* Flags of the new nodes (delta's, not shared yet), then of subtrees under changed cuts. */
	for (size_t i = 0; i < nedit; i++) {
		if (ed[i].node == NULL)
			continue;
		struct zone_node *n = (struct zone_node *)(uintptr_t)ed[i].node;
		n->flags = node_flags(n, z->origin, occluded_by_ancestor(z, n->owner));
	}
	for (size_t i = 0; i < roots.n; i++) {
		/* Pages under the root may be old ones: copy those first. */
		size_t pos;
		if (zone_contents_search(z, roots.v[i], &pos))
			pos++;
		for (; pos < z->node_count;) {
			uint32_t p = page_of(z, pos);
			if (!dns_name_is_sub(z->pages[p]->node[pos - z->page_first[p]]->owner,
					     roots.v[i]))
				break;
			struct zone_node_page *cp = bump_alloc(&bm, sizeof(*cp));
			if (cp == NULL)
				goto fail;
			memcpy(cp, z->pages[p], sizeof(*cp));
			z->pages[p] = cp;
			pos = z->page_first[p] + cp->count;
		}
		if ((rc = reflag_below(z, roots.v[i], &bm, &chg)) < 0)
			goto fail;
		rc = DP_ENOMEM;
	}
	set_serial(z);
	if (chgout != NULL) {
		qsort(chg.v, chg.n, sizeof(*chg.v), name_ptr_cmp);
		size_t kept = 0;
		for (size_t i = 0; i < chg.n; i++)
			if (kept == 0 || !dns_name_eq(chg.v[kept - 1], chg.v[i]))
				chg.v[kept++] = chg.v[i];
		chgout->names = chg.v;
		chgout->n = kept;
		chg.v = NULL;
	}
	free(chg.v);
	free(roots.v);
	free(ed);
	*out = z;
	return 0;
fail:
	free(pages);
	free(pfirst);
	free(chg.v);
	free(roots.v);
	free(ed);
	zone_contents_free(z);
	return rc;
}
