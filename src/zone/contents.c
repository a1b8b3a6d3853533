/* SPDX-License-Identifier: BSD-3-Clause */
#include "zone/contents.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>

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

struct zone_contents *zone_contents_alloc(size_t node_count, size_t rrset_count, size_t bytes,
					  uint8_t **bytes_out)
{
	size_t off_rrsets =
		align_up(node_count * sizeof(struct zone_node), alignof(struct zone_rrset));
	size_t off_bytes = off_rrsets + rrset_count * sizeof(struct zone_rrset);
	struct zone_contents *z = calloc(1, sizeof(*z));
	struct zone_arena *a = arena_new(off_bytes + bytes);
	if (z == NULL || a == NULL)
		goto fail;
	z->arenas = malloc(sizeof(*z->arenas));
	if (z->arenas == NULL)
		goto fail;
	z->arenas[0] = a;
	z->arena_count = 1;
	z->nodes = (struct zone_node *)(void *)a->data;
	z->node_count = node_count;
	z->rrsets = (struct zone_rrset *)(void *)(a->data + off_rrsets);
	z->rrset_count = rrset_count;
	z->mem_bytes = sizeof(*z) + sizeof(*z->arenas) + sizeof(*a) + a->size;
	*bytes_out = a->data + off_bytes;
	return z;
fail:
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
	if (z == NULL)
		return;
	for (unsigned i = 0; i < z->arena_count; i++)
		arena_unref(z->arenas[i]);
	free(z->arenas);
	free(z);
}

bool zone_contents_search(const struct zone_contents *z, const uint8_t *name, size_t *pos)
{
	size_t lo = 0, hi = z->node_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = dns_name_cmp(z->nodes[mid].owner, name);
		if (c == 0) {
			*pos = mid;
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return false;
}

const struct zone_node *zone_contents_find(const struct zone_contents *z, const uint8_t *name)
{
	size_t pos;
	return zone_contents_search(z, name, &pos) ? &z->nodes[pos] : NULL;
}

const struct zone_node *zone_contents_apex(const struct zone_contents *z)
{
	if (z->node_count == 0 || !(z->nodes[0].flags & ZONE_NODE_APEX))
		return NULL;
	return &z->nodes[0];
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

void zone_contents_seal(struct zone_contents *z, const uint8_t *origin)
{
	/*
	 * Canonical order keeps every subtree contiguous right after its root,
	 * so one remembered cut is enough: a node is below it or we have left
	 * its subtree for good.
	 */
	const uint8_t *cut = NULL;
	z->origin = origin;
	z->serial = 0;
	z->record_count = 0;
	for (size_t i = 0; i < z->node_count; i++) {
		struct zone_node *n = &z->nodes[i];
		uint16_t flags = 0;
		if (dns_name_eq(n->owner, origin))
			flags |= ZONE_NODE_APEX;
		if (dns_name_is_wildcard(n->owner))
			flags |= ZONE_NODE_WILDCARD;
		if (cut != NULL && dns_name_is_sub(n->owner, cut))
			flags |= ZONE_NODE_OCCLUDED;
		else
			cut = NULL;
		if (!(flags & ZONE_NODE_OCCLUDED)) {
			if (!(flags & ZONE_NODE_APEX) && zone_node_rrset(n, DNS_T_NS) != NULL) {
				flags |= ZONE_NODE_DELEGATION;
				cut = n->owner;
			}
			if (zone_node_rrset(n, DNS_T_DNAME) != NULL)
				cut = n->owner;
		}
		n->flags = flags;
		for (unsigned j = 0; j < n->rrset_count; j++)
			z->record_count += n->rrsets[j].count;
		if (flags & ZONE_NODE_APEX) {
			const struct zone_rrset *soa = zone_node_rrset(n, DNS_T_SOA);
			if (soa != NULL && soa->count > 0)
				z->serial = soa_serial(soa);
		}
	}
}
