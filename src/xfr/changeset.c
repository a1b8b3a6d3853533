/* SPDX-License-Identifier: BSD-3-Clause */
#include "xfr/changeset.h"

#include <stdlib.h>
#include <string.h>

#include "dns/errcode.h"
#include "dns/name.h"
#include "dns/rrtype.h"

/*
 * Owners and rdata are bump-allocated from chunks so that a changeset of a
 * million RRs is a few hundred allocations, and so that the pointers in the
 * xfr_rr arrays stay valid while those arrays grow.
 */
#define CS_CHUNK_SIZE (64u * 1024u)

struct xfr_cs_chunk {
	struct xfr_cs_chunk *next;
	size_t used, cap;
	uint8_t data[];
};

static uint8_t *cs_alloc(struct xfr_changeset *cs, size_t n)
{
	struct xfr_cs_chunk *c = cs->chunks;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > CS_CHUNK_SIZE ? n : CS_CHUNK_SIZE;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = cs->chunks;
		c->used = 0;
		c->cap = cap;
		cs->chunks = c;
	}
	uint8_t *p = c->data + c->used;
	c->used += n;
	return p;
}

/* The SOA serial sits 20 octets before the end: serial, refresh, retry, expire, minimum. */
uint32_t xfr_soa_serial(const uint8_t *rdata, size_t rdlen)
{
	if (rdlen < 22)
		return 0;
	return dns_get_u32(rdata + rdlen - 20);
}

static int rr_copy(struct xfr_changeset *cs, struct xfr_rr *dst, const struct dns_rr *src)
{
	uint8_t *mem = cs_alloc(cs, (size_t)src->owner_len + src->rdlen);
	if (!mem)
		return DP_ENOMEM;
	dns_name_copy_lower(mem, src->owner);
	if (src->rdlen)
		memcpy(mem + src->owner_len, src->rdata, src->rdlen);
	dst->owner = mem;
	dst->owner_len = src->owner_len;
	dst->type = src->type;
	dst->rclass = src->rclass;
	dst->ttl = src->ttl;
	dst->rdlen = src->rdlen;
	dst->rdata = mem + src->owner_len;
	return 0;
}

static int soa_valid(const struct dns_rr *soa)
{
	return soa && soa->type == DNS_T_SOA &&
	       dns_rdata_check(DNS_T_SOA, soa->rdata, soa->rdlen) == 0;
}

struct xfr_changeset *xfr_changeset_new(const struct dns_rr *soa)
{
	if (!soa_valid(soa))
		return NULL;
	struct xfr_changeset *cs = calloc(1, sizeof(*cs));
	if (!cs)
		return NULL;
	if (rr_copy(cs, &cs->soa_from, soa) < 0) {
		xfr_changeset_free(cs);
		return NULL;
	}
	cs->serial_from = xfr_soa_serial(soa->rdata, soa->rdlen);
	return cs;
}

void xfr_changeset_free(struct xfr_changeset *cs)
{
	if (!cs)
		return;
	struct xfr_cs_chunk *c = cs->chunks;
	while (c) {
		struct xfr_cs_chunk *n = c->next;
		free(c);
		c = n;
	}
	free(cs->removed);
	free(cs->added);
	free(cs);
}

void xfr_changeset_list_free(struct xfr_changeset *cs)
{
	while (cs) {
		struct xfr_changeset *n = cs->next;
		xfr_changeset_free(cs);
		cs = n;
	}
}

int xfr_changeset_set_to(struct xfr_changeset *cs, const struct dns_rr *soa)
{
	if (!cs || !soa_valid(soa))
		return DP_EINVAL;
	int rc = rr_copy(cs, &cs->soa_to, soa);
	if (rc < 0)
		return rc;
	cs->serial_to = xfr_soa_serial(soa->rdata, soa->rdlen);
	return 0;
}

int xfr_changeset_add(struct xfr_changeset *cs, int added, const struct dns_rr *rr)
{
	struct xfr_rr **arr = added ? &cs->added : &cs->removed;
	size_t *n = added ? &cs->nadded : &cs->nremoved;
	size_t *cap = added ? &cs->cap_added : &cs->cap_removed;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct xfr_rr *a = realloc(*arr, ncap * sizeof(**arr));
		if (!a)
			return DP_ENOMEM;
		*arr = a;
		*cap = ncap;
	}
	int rc = rr_copy(cs, &(*arr)[*n], rr);
	if (rc < 0)
		return rc;
	(*n)++;
	return 0;
}
