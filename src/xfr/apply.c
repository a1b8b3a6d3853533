/* SPDX-License-Identifier: BSD-3-Clause */
#include "xfr/apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/errcode.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "zone/builder.h"

/* What the net difference says about one record. */
enum rec_state {
	REC_NONE = 0, /* added, then removed again: nothing to do */
	REC_REMOVED,  /* must be in the old version; dropped */
	REC_ADDED,    /* must not be in the old version; added */
	REC_REPLACED, /* removed then added back (maybe a new TTL): must be in the old version */
};

struct rec {
	uint64_t hash;
	const struct xfr_rr *rr; /* the latest occurrence (its TTL counts) */
	uint8_t *key;		 /* owner | type | canonical rdata */
	uint32_t key_len;
	uint8_t state;
	bool seen; /* met in the old version */
};

struct recset {
	struct rec *slots;
	size_t cap, used;
};

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a: keys are short, any hash will do */
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h | 1; /* 0 marks an empty slot */
}

/* The identity of a record, in buf (capacity 255 + 2 + 65535). */
static size_t make_key(uint8_t *buf, const uint8_t *owner, size_t owner_len, uint16_t type,
		       const uint8_t *rdata, size_t rdlen)
{
	memcpy(buf, owner, owner_len);
	dns_name_lower(buf);
	buf[owner_len] = (uint8_t)(type >> 8);
	buf[owner_len + 1] = (uint8_t)type;
	memcpy(buf + owner_len + 2, rdata, rdlen);
	dns_rdata_lower(type, buf + owner_len + 2, rdlen);
	return owner_len + 2 + rdlen;
}

static struct rec *find(struct recset *s, const uint8_t *key, size_t len, uint64_t h)
{
	size_t i = (size_t)h & (s->cap - 1);
	for (;;) {
		struct rec *r = &s->slots[i];
		if (!r->hash || (r->hash == h && r->key_len == len && !memcmp(r->key, key, len)))
			return r;
		i = (i + 1) & (s->cap - 1);
	}
}

static void recset_free(struct recset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i].key);
	free(s->slots);
}

static void report(struct zone_diag *d, const char *name, const struct xfr_rr *rr, const char *what)
{
	char owner[DNS_NAME_TEXT_MAX];
	char type[16];
	if (dns_name_to_text(rr->owner, owner, sizeof(owner)) < 0)
		snprintf(owner, sizeof(owner), "?");
	dns_rrtype_to_text(rr->type, type);
	char line[DNS_NAME_TEXT_MAX + 200];
	snprintf(line, sizeof(line), "%s: IXFR %s (%s %s)", name, what, owner, type);
	if (d && d->fn)
		d->fn(d->ctx, ZONE_DIAG_ERROR, line);
	else
		fprintf(stderr, "%s\n", line);
	if (d)
		d->errors++;
}

/* Folds every changeset into s; returns 0 or DP_EZONE / DP_ENOMEM. */
static int fold(struct recset *s, const struct xfr_changeset *cs, const char *name,
		struct zone_diag *d, uint8_t *buf)
{
	size_t total = 0;
	for (const struct xfr_changeset *c = cs; c; c = c->next)
		total += c->nremoved + c->nadded;
	s->cap = 16;
	while (s->cap < total * 2)
		s->cap <<= 1;
	s->slots = calloc(s->cap, sizeof(*s->slots));
	if (!s->slots)
		return DP_ENOMEM;
	for (const struct xfr_changeset *c = cs; c; c = c->next) {
		for (int pass = 0; pass < 2; pass++) {
			const struct xfr_rr *rrs = pass ? c->added : c->removed;
			size_t n = pass ? c->nadded : c->nremoved;
			for (size_t i = 0; i < n; i++) {
				const struct xfr_rr *rr = &rrs[i];
				size_t len = make_key(buf, rr->owner, rr->owner_len, rr->type, rr->rdata,
						      rr->rdlen);
				uint64_t h = hash_bytes(buf, len);
				struct rec *r = find(s, buf, len, h);
				if (!r->hash) {
					r->key = malloc(len);
					if (!r->key)
						return DP_ENOMEM;
					memcpy(r->key, buf, len);
					r->key_len = (uint32_t)len;
					r->hash = h;
					r->state = pass ? REC_ADDED : REC_REMOVED;
					r->rr = rr;
					s->used++;
					continue;
				}
				r->rr = rr;
				if (!pass) { /* removing */
					if (r->state == REC_ADDED) {
						r->state = REC_NONE;
					} else if (r->state == REC_REPLACED) {
						r->state = REC_REMOVED;
					} else {
						report(d, name, rr, "removes a record twice");
						return DP_EZONE;
					}
				} else { /* adding */
					if (r->state == REC_REMOVED) {
						r->state = REC_REPLACED;
					} else if (r->state == REC_NONE) {
						r->state = REC_ADDED;
					} else {
						report(d, name, rr, "adds a record twice");
						return DP_EZONE;
					}
				}
			}
		}
	}
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return dns_name_cmp(*(const uint8_t *const *)a, *(const uint8_t *const *)b);
}

static int add_rr(struct zone_builder *b, const struct xfr_rr *rr)
{
	return zone_builder_add(b, rr->owner, rr->type, rr->rclass, rr->ttl, rr->rdata, rr->rdlen, 0);
}

/*
 * Whether the old RR (owner, type, rd) stays, given the difference; marks
 * the records met.  An added record the zone has is a no-op: nsd's IXFRs
 * re-add apex records they did not change.  BIND applies that as a no-op;
 * so do we (taking the TTL sent) rather than fall back to AXFR as Knot does.
 */
static bool keep_old(struct recset *s, uint8_t *buf, const uint8_t *owner, size_t olen,
		     uint16_t type, const uint8_t *rd, size_t rdlen)
{
	if (!s->used)
		return true;
	size_t len = make_key(buf, owner, olen, type, rd, rdlen);
	struct rec *r = find(s, buf, len, hash_bytes(buf, len));
	if (!r->hash)
		return true;
	r->seen = true;
	if (r->state == REC_ADDED)
		r->state = REC_REPLACED;
	return r->state == REC_NONE; /* removed (or replaced: added later) */
}

static int add_node_rrs(struct zone_builder *b, struct recset *s, uint8_t *buf,
			const struct zone_node *nd)
{
	size_t olen = dns_name_len(nd->owner);
	for (unsigned j = 0; j < nd->rrset_count; j++) {
		const struct zone_rrset *rs = &nd->rrsets[j];
		if (rs->type == DNS_T_SOA && (nd->flags & ZONE_NODE_APEX))
			continue; /* the last changeset's SOA replaces it */
		const uint8_t *p = rs->rdata;
		for (uint32_t k = 0; k < rs->count; k++, p = zone_rr_next(p)) {
			const uint8_t *rd = zone_rr_data(p);
			size_t rdlen = zone_rr_len(p);
			if (!keep_old(s, buf, nd->owner, olen, rs->type, rd, rdlen))
				continue;
			int rc = zone_builder_add(b, nd->owner, rs->type, 1, rs->ttl, rd, rdlen, 0);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* Every RR the difference removes must have been met; the added ones go in. */
static int add_new_rrs(struct zone_builder *b, struct recset *s, const char *name,
		       struct zone_diag *d, const struct xfr_changeset *last)
{
	for (size_t i = 0; i < s->cap; i++) {
		struct rec *r = &s->slots[i];
		if (!r->hash)
			continue;
		if ((r->state == REC_REMOVED || r->state == REC_REPLACED) && !r->seen) {
			report(d, name, r->rr, "removes a record the zone does not have");
			return DP_EZONE;
		}
		if (r->state == REC_ADDED || r->state == REC_REPLACED) {
			int rc = add_rr(b, r->rr);
			if (rc < 0)
				return rc;
		}
	}
	return add_rr(b, &last->soa_to);
}

/* Too much storage shared with older versions is garbage: time to build afresh. */
static bool needs_compaction(const struct zone_contents *old)
{
	return old->arena_count > 4096 ||
	       (old->dead_bytes > old->mem_bytes / 2 && old->dead_bytes > ((size_t)1 << 20));
}

static int apply_full(const struct zone_contents *old, struct recset *s, uint8_t *buf,
		      struct zone_builder *b, const char *name, struct zone_diag *d,
		      const struct xfr_changeset *last, struct zone_contents **out)
{
	for (size_t i = 0; i < old->node_count; i++) {
		int rc = add_node_rrs(b, s, buf, zone_contents_node(old, i));
		if (rc < 0)
			return rc;
	}
	int rc = add_new_rrs(b, s, name, d, last);
	if (rc < 0)
		return rc;
	*out = zone_builder_finish(b, d);
	return *out ? 0 : DP_EZONE;
}

static int apply_part(const struct zone_contents *old, struct recset *s, uint8_t *buf,
		      struct zone_builder *b, const char *name, struct zone_diag *d,
		      const struct xfr_changeset *last, struct zone_contents **out,
		      struct zone_changes *chg)
{
	/* The owners the difference touches (the apex always: its SOA). */
	const uint8_t **owners = malloc((s->used + 1) * sizeof(*owners));
	const uint8_t **remove = malloc((s->used + 1) * sizeof(*remove));
	struct zone_contents *delta = NULL;
	size_t n = 0, nremove = 0;
	int rc = DP_ENOMEM;
	if (!owners || !remove)
		goto out;
	owners[n++] = old->origin;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i].hash && s->slots[i].state != REC_NONE)
			owners[n++] = s->slots[i].key;
	qsort(owners, n, sizeof(*owners), name_cmp);
	size_t kept = 0;
	for (size_t i = 0; i < n; i++)
		if (kept == 0 || !dns_name_eq(owners[kept - 1], owners[i]))
			owners[kept++] = owners[i];
	n = kept;
	for (size_t i = 0; i < n; i++) {
		const struct zone_node *nd = zone_contents_find(old, owners[i]);
		if (nd && (rc = add_node_rrs(b, s, buf, nd)) < 0)
			goto out;
	}
	if ((rc = add_new_rrs(b, s, name, d, last)) < 0)
		goto out;
	delta = zone_builder_finish_part(b, d);
	if (!delta) {
		rc = DP_EZONE;
		goto out;
	}
	/* Owners left without records go. */
	for (size_t i = 0; i < n; i++)
		if (!zone_contents_find(delta, owners[i]) && zone_contents_find(old, owners[i]))
			remove[nremove++] = owners[i];
	rc = zone_contents_patch(old, delta, remove, nremove, out, chg);
	if (rc < 0) {
		rc = rc == DP_ENOENT ? DP_EZONE : rc;
		goto out;
	}
	/* The names point into the recset's keys: re-aim them at the versions' owners. */
	for (size_t i = 0; i < chg->n; i++) {
		const struct zone_node *nd = zone_contents_find(*out, chg->names[i]);
		if (!nd)
			nd = zone_contents_find(old, chg->names[i]);
		if (nd)
			chg->names[i] = nd->owner;
	}
	if (zone_check_changes(*out, chg->names, chg->n, name, d) < 0) {
		zone_contents_free(*out);
		*out = NULL;
		zone_changes_free(chg);
		rc = DP_EZONE;
		goto out;
	}
	rc = 0;
out:
	zone_contents_free(delta);
	free(owners);
	free(remove);
	return rc;
}

int xfr_apply_changes(const struct zone_contents *old, const struct xfr_changeset *cs,
		      const char *name, struct zone_diag *d, struct zone_contents **out,
		      struct zone_changes *chg)
{
	*out = NULL;
	*chg = (struct zone_changes){ 0 };
	if (!cs || cs->serial_from != old->serial)
		return DP_EINVAL;
	const struct xfr_changeset *last = cs;
	while (last->next)
		last = last->next;

	struct recset s = {0};
	uint8_t *buf = malloc(DNS_NAME_MAXLEN + 2 + 65535);
	struct zone_builder *b = zone_builder_new(old->origin);
	int rc = DP_ENOMEM;
	if (!buf || !b)
		goto out;
	rc = zone_builder_set_source(b, name, d);
	if (rc < 0)
		goto out;
	rc = fold(&s, cs, name, d, buf);
	if (rc < 0)
		goto out;
	if (needs_compaction(old)) {
		chg->full = true;
		rc = apply_full(old, &s, buf, b, name, d, last, out);
	} else {
		rc = apply_part(old, &s, buf, b, name, d, last, out, chg);
	}
	if (rc < 0)
		goto out;
	if ((*out)->serial != last->serial_to) {
		zone_contents_free(*out);
		*out = NULL;
		zone_changes_free(chg);
		rc = DP_EZONE;
		goto out;
	}
	rc = 0;
out:
	zone_builder_free(b);
	recset_free(&s);
	free(buf);
	return rc;
}

int xfr_apply(const struct zone_contents *old, const struct xfr_changeset *cs, const char *name,
	      struct zone_diag *d, struct zone_contents **out)
{
	struct zone_changes chg;
	int rc = xfr_apply_changes(old, cs, name, d, out, &chg);
	zone_changes_free(&chg);
	return rc;
}
