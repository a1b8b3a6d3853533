/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The low-level SHA1_Init/Update/Final are deprecated in OpenSSL 3 in favour
 * of EVP, but EVP_Digest (and OpenSSL 3's SHA1() one-shot, which calls
 * EVP_Q_digest) fetches the algorithm and allocates a context on every call:
 * about a microsecond for a 30-octet input.  An NXDOMAIN answer hashes one
 * name per query on the fastpath, which must not allocate; the low-level
 * functions hash on the stack.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "zone/dnssec.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "dns/errcode.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "zone/snap.h"

#define NONE UINT32_MAX

bool zone_dnssec_is_nsec3_node(const struct zone_node *n)
{
	bool nsec3 = false;
	for (unsigned i = 0; i < n->rrset_count; i++) {
		uint16_t t = n->rrsets[i].type;
		if (t == DNS_T_NSEC3)
			nsec3 = true;
		else if (t != DNS_T_RRSIG || n->rrsets[i].covers != DNS_T_NSEC3)
			return false;
	}
	return nsec3;
}

void zone_nsec3_hash(const struct zone_dnssec *d, const uint8_t *lname,
		     uint8_t out[ZONE_NSEC3_HASH_LEN])
{
	SHA_CTX c;
	SHA1_Init(&c);
	SHA1_Update(&c, lname, dns_name_len(lname));
	SHA1_Update(&c, d->salt, d->salt_len);
	SHA1_Final(out, &c);
	for (unsigned i = 0; i < d->iterations; i++) {
		SHA1_Init(&c);
		SHA1_Update(&c, out, ZONE_NSEC3_HASH_LEN);
		SHA1_Update(&c, d->salt, d->salt_len);
		SHA1_Final(out, &c);
	}
}

static inline uint32_t hash_prefix(const uint8_t *h, unsigned bits)
{
	uint32_t v = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	return bits ? v >> (32 - bits) : 0;
}

uint32_t zone_nsec3_find(const struct zone_dnssec *d, const uint8_t hash[ZONE_NSEC3_HASH_LEN],
			 bool *exact)
{
	/* The last entry whose hash is <= hash: entries before the prefix's
	 * range are below it, so search only the range. */
	uint32_t lo = 0, hi = d->nchain;
	if (d->dir) {
		uint32_t b = zone_nsec3_slot(d, hash);
		lo = d->dir[b];
		hi = d->dir[b + 1];
		while (lo < hi && memcmp(d->chain[hi - 1].hash, hash, ZONE_NSEC3_HASH_LEN) > 0)
			hi--;
		if (lo == hi) { /* none of the range is <= hash: the entry before it */
			*exact = false;
			return lo ? lo - 1 : d->nchain - 1;
		}
		*exact = memcmp(d->chain[hi - 1].hash, hash, ZONE_NSEC3_HASH_LEN) == 0;
		return hi - 1;
	}
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (memcmp(d->chain[mid].hash, hash, ZONE_NSEC3_HASH_LEN) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0) {
		*exact = false;
		return d->nchain - 1; /* below the first hash: the last one covers it */
	}
	*exact = memcmp(d->chain[lo - 1].hash, hash, ZONE_NSEC3_HASH_LEN) == 0;
	return lo - 1;
}

const struct zone_node *zone_nsec_cover(const struct zone_contents *z, const uint8_t *name)
{
	size_t pos;
	if (zone_contents_search(z, name, &pos))
		pos++; /* an existing node covers itself only for NODATA; callers pass ENTs */
	while (pos > 0) {
		const struct zone_node *n = zone_contents_node(z, --pos);
		if (zone_node_rrset(n, DNS_T_NSEC))
			return n;
	}
	return NULL;
}

/* base32hex (RFC 4648 §7) of the first label of owner into out; false when it is not a hash. */
static bool owner_hash(const uint8_t *owner, uint8_t out[ZONE_NSEC3_HASH_LEN])
{
	if (owner[0] != 32)
		return false;
	uint64_t acc = 0;
	unsigned bits = 0, n = 0;
	for (unsigned i = 1; i <= 32; i++) {
		unsigned c = owner[i], v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'v')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'V')
			v = c - 'A' + 10;
		else
			return false;
		acc = (acc << 5) | v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n == ZONE_NSEC3_HASH_LEN;
}

static int cmp_nsec3(const void *a, const void *b)
{
	return memcmp(((const struct zone_nsec3 *)a)->hash, ((const struct zone_nsec3 *)b)->hash,
		      ZONE_NSEC3_HASH_LEN);
}

/* Reads the NSEC3PARAM at the apex (the first with algorithm SHA-1 and flags 0). */
static bool read_param(const struct zone_node *apex, struct zone_dnssec *d)
{
	const struct zone_rrset *p = zone_node_rrset(apex, DNS_T_NSEC3PARAM);
	if (!p)
		return false;
	const uint8_t *rr = p->rdata;
	for (uint32_t i = 0; i < p->count; i++, rr = zone_rr_next(rr)) {
		const uint8_t *r = zone_rr_data(rr);
		uint16_t len = zone_rr_len(rr);
		if (len < 5 || r[0] != 1 || r[1] != 0 || 5u + r[4] > len)
			continue;
		d->iterations = dns_get_u16(r + 2);
		d->salt_len = r[4];
		memcpy(d->salt, r + 5, r[4]);
		return true;
	}
	return false;
}

const struct zone_rrset *zone_dnssec_first_rrsig(const struct zone_node *n)
{
	for (unsigned i = 0; i < n->rrset_count; i++)
		if (n->rrsets[i].type == DNS_T_RRSIG)
			return &n->rrsets[i];
	return NULL;
}

static int build_nsec3(struct zone_snap *s, struct zone_dnssec *d)
{
	const struct zone_contents *z = s->z;
	size_t n = 0;
	for (size_t i = 0; i < z->node_count; i++)
		if (zone_dnssec_is_nsec3_node(zone_contents_node(z, i)))
			n++;
	d->chain = malloc((n ? n : 1) * sizeof(*d->chain));
	d->match = malloc((size_t)(s->nnodes ? s->nnodes : 1) * sizeof(*d->match));
	d->wild = malloc((size_t)(s->nnodes ? s->nnodes : 1) * sizeof(*d->wild));
	if (!d->chain || !d->match || !d->wild)
		return DP_ENOMEM;
	for (size_t i = 0; i < z->node_count; i++) {
		const struct zone_node *zn = zone_contents_node(z, i);
		if (!zone_dnssec_is_nsec3_node(zn) ||
		    !dns_name_eq(dns_name_parent(zn->owner), s->origin))
			continue;
		if (owner_hash(zn->owner, d->chain[d->nchain].hash)) {
			d->chain[d->nchain].piece = NONE;
			d->chain[d->nchain++].node = (uint32_t)i;
		}
	}
	qsort(d->chain, d->nchain, sizeof(*d->chain), cmp_nsec3);
	if (d->nchain == 0) {
		d->denial = ZONE_DENIAL_NONE;
		return 0;
	}
	/* About one chain entry per directory slot, at most 2^24 slots. */
	unsigned bits = 0;
	while (bits < 24 && (UINT32_C(1) << bits) < d->nchain)
		bits++;
	d->dir = malloc(((size_t)1 << bits) * sizeof(*d->dir) + sizeof(*d->dir));
	if (!d->dir)
		return DP_ENOMEM;
	d->dir_bits = bits;
	uint32_t ci = 0;
	for (uint32_t b = 0; b < (UINT32_C(1) << bits); b++) {
		while (ci < d->nchain && hash_prefix(d->chain[ci].hash, bits) < b)
			ci++;
		d->dir[b] = ci;
	}
	d->dir[(size_t)1 << bits] = d->nchain;
	for (uint32_t i = 0; i < s->nnodes; i++) {
		const struct snap_node *sn = zone_snap_node(s, i);
		d->match[i] = d->wild[i] = NONE;
		if (sn->zn && zone_dnssec_is_nsec3_node(sn->zn))
			continue;
		uint8_t h[ZONE_NSEC3_HASH_LEN];
		bool exact;
		zone_nsec3_hash(d, sn->owner, h);
		uint32_t m = zone_nsec3_find(d, h, &exact);
		if (exact)
			d->match[i] = m;
		size_t len = dns_name_len(sn->owner);
		if (len + 2 > DNS_NAME_MAXLEN)
			continue;
		uint8_t w[DNS_NAME_MAXLEN];
		w[0] = 1;
		w[1] = '*';
		memcpy(w + 2, sn->owner, len);
		zone_nsec3_hash(d, w, h);
		d->wild[i] = zone_nsec3_find(d, h, &exact);
	}
	return 0;
}

int zone_dnssec_build(struct zone_snap *s)
{
	s->dnssec = NULL;
	const struct zone_node *apex = zone_contents_apex(s->z);
	if (!apex || !zone_dnssec_first_rrsig(apex))
		return 0;
	struct zone_dnssec *d = calloc(1, sizeof(*d));
	if (!d)
		return DP_ENOMEM;
	d->nxdomain_head = d->nodata_head = NONE;
	if (read_param(apex, d)) {
		d->denial = ZONE_DENIAL_NSEC3;
		if (build_nsec3(s, d) < 0) {
			zone_dnssec_free(d);
			return DP_ENOMEM;
		}
	} else if (zone_node_rrset(apex, DNS_T_NSEC)) {
		d->denial = ZONE_DENIAL_NSEC;
	}
	s->dnssec = d;
	return 0;
}

void zone_dnssec_free(struct zone_dnssec *d)
{
	if (!d)
		return;
	free(d->chain);
	free(d->dir);
	free(d->match);
	free(d->wild);
	free(d->do_arena);
	free(d->do_block);
	free(d);
}
