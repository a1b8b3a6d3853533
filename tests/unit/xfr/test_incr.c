/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Incremental versions (zone_contents_patch via xfr_apply_changes, and
 * zone_snap_update) against building from scratch.  Random zones made of
 * the structures whose answers reach across names — delegations with glue,
 * wildcards (also below cuts), CNAME chains (in the zone, out of it, to
 * nothing, in loops), MX/SRV/NS targets with addresses, DNAMEs (at the
 * apex too), DS, empty non-terminals — get random changes, applied one after another to the
 * incremental line of versions.  After each change:
 *  - the incremental contents equals the full build of the same records
 *    (zone_dump text), or both are refused (a change that breaks the zone
 *    checks leaves the old version: all or nothing);
 *  - every query of a corpus (every name of the name pool and names below
 *    them, a dozen types, with and without EDNS) gets byte-identical
 *    answers from the updated snapshot and from zone_snap_build of the full
 *    build.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/edns.h"
#include "dns/errcode.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "xfr/apply.h"
#include "zone/answer.h"
#include "zone/builder.h"
#include "zone/dump.h"
#include "zone/snap.h"

#define ORIGIN "example."

/* ---- a deterministic generator ---- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)((rng_state >> 33) % n);
}

/* One record: wire owner (lowercase), type, TTL, wire rdata. */
struct rec {
	uint8_t owner[DNS_NAME_MAXLEN];
	uint16_t type;
	uint32_t ttl;
	uint16_t rdlen;
	uint8_t rd[300];
};

struct zone {
	struct rec *r;
	size_t n, cap;
	uint32_t serial;
};

static const char *const labels[] = { "a", "b", "w", "*", "ns", "x", "mx" };
#define NLABELS (sizeof(labels) / sizeof(labels[0]))

/* A name of the pool: 1 to 3 labels from the list above the origin ("*" only first). */
static void pool_name(uint8_t *out, unsigned depth)
{
	char text[64] = "";
	for (unsigned i = 0; i < depth; i++) {
		const char *l = labels[rnd(NLABELS)];
		if (i > 0 && strcmp(l, "*") == 0)
			l = "a";
		strcat(text, l);
		strcat(text, ".");
	}
	strcat(text, ORIGIN);
	cr_assert_gt(dns_name_from_text(text, NULL, out), 0);
}

static void any_name(uint8_t *out)
{
	pool_name(out, 1 + rnd(3));
}

static size_t put_name(uint8_t *rd, const uint8_t *name)
{
	size_t n = dns_name_len(name);
	memcpy(rd, name, n);
	return n;
}

static bool same_id(const struct rec *a, const struct rec *b)
{
	return a->type == b->type && a->rdlen == b->rdlen && dns_name_eq(a->owner, b->owner) &&
	       memcmp(a->rd, b->rd, a->rdlen) == 0;
}

static struct rec *zone_find(struct zone *z, const struct rec *r)
{
	for (size_t i = 0; i < z->n; i++)
		if (same_id(&z->r[i], r))
			return &z->r[i];
	return NULL;
}

/* The TTL the RRset (owner, type) has, or 0. */
static uint32_t rrset_ttl(const struct zone *z, const uint8_t *owner, uint16_t type)
{
	for (size_t i = 0; i < z->n; i++)
		if (z->r[i].type == type && dns_name_eq(z->r[i].owner, owner))
			return z->r[i].ttl;
	return 0;
}

static void zone_put(struct zone *z, const struct rec *r)
{
	if (zone_find(z, r))
		return;
	if (z->n == z->cap) {
		z->cap = z->cap ? z->cap * 2 : 64;
		z->r = realloc(z->r, z->cap * sizeof(*z->r));
		cr_assert_not_null(z->r);
	}
	struct rec c = *r;
	uint32_t ttl = rrset_ttl(z, r->owner, r->type);
	if (ttl)
		c.ttl = ttl; /* one TTL per RRset, as a primary's zone has */
	z->r[z->n++] = c;
}

static struct rec mk(const uint8_t *owner, uint16_t type)
{
	struct rec r;
	memset(&r, 0, sizeof(r));
	memcpy(r.owner, owner, dns_name_len(owner));
	r.type = type;
	r.ttl = 3600;
	return r;
}

/* A random record (with its glue when it is a delegation). */
static void random_records(struct zone *z)
{
	uint8_t owner[DNS_NAME_MAXLEN], t[DNS_NAME_MAXLEN];
	if (rnd(20) == 0)
		cr_assert_gt(dns_name_from_text(ORIGIN, NULL, owner),
			     0); /* the apex now and then */
	else
		any_name(owner);
	struct rec r;
	switch (rnd(13)) {
	case 0:
	case 1:
	case 2:
		r = mk(owner, DNS_T_A);
		r.rdlen = 4;
		r.rd[0] = 192;
		r.rd[1] = 0;
		r.rd[2] = 2;
		r.rd[3] = (uint8_t)(1 + rnd(3));
		break;
	case 3:
		r = mk(owner, DNS_T_AAAA);
		r.rdlen = 16;
		r.rd[0] = 0x20;
		r.rd[1] = 0x01;
		r.rd[2] = 0x0d;
		r.rd[3] = 0xb8;
		r.rd[15] = (uint8_t)(1 + rnd(2));
		break;
	case 4:
		r = mk(owner, DNS_T_MX);
		any_name(t);
		r.rd[1] = (uint8_t)(10 * (1 + rnd(2)));
		r.rdlen = (uint16_t)(2 + put_name(r.rd + 2, t));
		break;
	case 5:
		r = mk(owner, DNS_T_TXT);
		r.rd[0] = 2;
		r.rd[1] = 't';
		r.rd[2] = (uint8_t)('0' + rnd(3));
		r.rdlen = 3;
		break;
	case 6:
	case 7:
		r = mk(owner, DNS_T_CNAME);
		if (rnd(6) == 0)
			cr_assert_gt(dns_name_from_text("out.example.org.", NULL, t), 0);
		else
			any_name(t);
		r.rdlen = (uint16_t)put_name(r.rd, t);
		break;
	case 8:
	case 9: {
		/* A delegation: NS in the child (with glue) or elsewhere in the zone. */
		r = mk(owner, DNS_T_NS);
		if (dns_name_labels(owner) < 4 && rnd(2)) {
			char text[300];
			cr_assert_geq(dns_name_to_text(owner, text, sizeof(text)), 0);
			char g[310];
			snprintf(g, sizeof(g), "ns.%s", text);
			cr_assert_gt(dns_name_from_text(g, NULL, t), 0);
			struct rec glue = mk(t, DNS_T_A);
			glue.rdlen = 4;
			glue.rd[0] = 198;
			glue.rd[1] = 51;
			glue.rd[2] = 100;
			glue.rd[3] = (uint8_t)rnd(3);
			zone_put(z, &glue);
		} else {
			any_name(t);
		}
		r.rdlen = (uint16_t)put_name(r.rd, t);
		break;
	}
	case 10:
		r = mk(owner, DNS_T_DS);
		r.rd[0] = 0x30;
		r.rd[1] = 0x39;
		r.rd[2] = 8;
		r.rd[3] = 2;
		for (unsigned i = 0; i < 32; i++)
			r.rd[4 + i] = (uint8_t)(i + rnd(2));
		r.rdlen = 36;
		break;
	case 11:
		r = mk(owner, DNS_T_SRV);
		any_name(t);
		r.rd[5] = 53;
		r.rdlen = (uint16_t)(6 + put_name(r.rd + 6, t));
		break;
	default:
		if (rnd(3)) {
			r = mk(owner, DNS_T_A);
			r.rdlen = 4;
			r.rd[0] = 203;
			r.rd[3] = 7;
		} else {
			r = mk(owner, DNS_T_DNAME);
			any_name(t);
			r.rdlen = (uint16_t)put_name(r.rd, t);
		}
		break;
	}
	zone_put(z, &r);
}

static void base_records(struct zone *z)
{
	uint8_t apex[DNS_NAME_MAXLEN], ns[DNS_NAME_MAXLEN];
	cr_assert_gt(dns_name_from_text(ORIGIN, NULL, apex), 0);
	cr_assert_gt(dns_name_from_text("ns." ORIGIN, NULL, ns), 0);
	struct rec r = mk(apex, DNS_T_NS);
	r.rdlen = (uint16_t)put_name(r.rd, ns);
	zone_put(z, &r);
	r = mk(ns, DNS_T_A);
	r.rdlen = 4;
	r.rd[0] = 192;
	r.rd[1] = 0;
	r.rd[2] = 2;
	r.rd[3] = 53;
	zone_put(z, &r);
}

static struct dns_rr soa_rr(uint32_t serial, uint32_t minimum)
{
	struct dns_rr rr;
	static uint8_t rd[2][300];
	static unsigned k;
	uint8_t *b = rd[k++ % 2];
	memset(&rr, 0, sizeof(rr));
	int n = dns_name_from_text(ORIGIN, NULL, rr.owner);
	rr.owner_len = (uint16_t)n;
	size_t len = (size_t)dns_name_from_text("ns." ORIGIN, NULL, b);
	len += (size_t)dns_name_from_text("hostmaster." ORIGIN, NULL, b + len);
	uint32_t v[5] = { serial, 7200, 3600, 1209600, minimum };
	for (int i = 0; i < 5; i++)
		for (int sh = 24; sh >= 0; sh -= 8)
			b[len++] = (uint8_t)(v[i] >> sh);
	rr.type = DNS_T_SOA;
	rr.rclass = DNS_C_IN;
	rr.ttl = 3600;
	rr.rdata = b;
	rr.rdlen = (uint16_t)len;
	return rr;
}

static uint32_t minimum_of(uint32_t serial)
{
	return serial % 3 ? 300 : 60; /* the negative TTL changes now and then */
}

static struct dns_rr to_rr(const struct rec *r)
{
	struct dns_rr rr;
	memset(&rr, 0, sizeof(rr));
	rr.owner_len = (uint16_t)dns_name_len(r->owner);
	memcpy(rr.owner, r->owner, rr.owner_len);
	rr.type = r->type;
	rr.rclass = DNS_C_IN;
	rr.ttl = r->ttl;
	rr.rdata = r->rd;
	rr.rdlen = r->rdlen;
	return rr;
}

static void drop_diag(void *ctx, enum zone_diag_level level, const char *line)
{
	(void)ctx;
	(void)level;
	if (getenv("INCR_DIAG")) /* INCR_DIAG=1: print why a version was refused */
		fprintf(stderr, "diag: %s\n", line);
}

/* The full build of z, or NULL when its records fail the zone checks. */
static struct zone_contents *build(const struct zone *z)
{
	uint8_t origin[DNS_NAME_MAXLEN];
	cr_assert_gt(dns_name_from_text(ORIGIN, NULL, origin), 0);
	struct zone_builder *b = zone_builder_new(origin);
	cr_assert_not_null(b);
	struct zone_diag d;
	zone_diag_init(&d, drop_diag, NULL);
	cr_assert_eq(zone_builder_set_source(b, "gen", &d), 0);
	struct dns_rr soa = soa_rr(z->serial, minimum_of(z->serial));
	cr_assert_eq(zone_builder_add(b, soa.owner, soa.type, 1, soa.ttl, soa.rdata, soa.rdlen, 0),
		     0);
	for (size_t i = 0; i < z->n; i++) {
		const struct rec *r = &z->r[i];
		cr_assert_eq(zone_builder_add(b, r->owner, r->type, 1, r->ttl, r->rd, r->rdlen, 0),
			     0);
	}
	struct zone_contents *c = zone_builder_finish(b, &d);
	zone_builder_free(b);
	return c;
}

static char *dump(const struct zone_contents *z)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_assert_eq(zone_dump(z, f), 0);
	fclose(f);
	return buf;
}

/* The changeset from a to b (records removed, then added; TTL changes as both). */
static struct xfr_changeset *diff(const struct zone *a, const struct zone *b)
{
	struct dns_rr f = soa_rr(a->serial, minimum_of(a->serial));
	struct xfr_changeset *cs = xfr_changeset_new(&f);
	cr_assert_not_null(cs);
	struct dns_rr t = soa_rr(b->serial, minimum_of(b->serial));
	cr_assert_eq(xfr_changeset_set_to(cs, &t), 0);
	for (size_t i = 0; i < a->n; i++) {
		const struct rec *o = zone_find((struct zone *)b, &a->r[i]);
		if (!o || o->ttl != a->r[i].ttl) {
			struct dns_rr rr = to_rr(&a->r[i]);
			cr_assert_eq(xfr_changeset_add(cs, 0, &rr), 0);
		}
	}
	for (size_t i = 0; i < b->n; i++) {
		const struct rec *o = zone_find((struct zone *)a, &b->r[i]);
		if (!o || o->ttl != b->r[i].ttl) {
			struct dns_rr rr = to_rr(&b->r[i]);
			cr_assert_eq(xfr_changeset_add(cs, 1, &rr), 0);
		}
	}
	return cs;
}

static void zone_copy(struct zone *dst, const struct zone *src)
{
	free(dst->r);
	dst->r = malloc((src->cap ? src->cap : 1) * sizeof(*dst->r));
	cr_assert_not_null(dst->r);
	memcpy(dst->r, src->r, src->n * sizeof(*dst->r));
	dst->n = src->n;
	dst->cap = src->cap ? src->cap : 1;
	dst->serial = src->serial;
}

/* A random change: records go, come, or an RRset's TTL changes. */
static void mutate(struct zone *z)
{
	unsigned k = 1 + rnd(rnd(4) ? 2 : 6);
	for (unsigned i = 0; i < k; i++) {
		switch (rnd(4)) {
		case 0:
		case 1:
			if (z->n > 2) {
				size_t j = 2 + rnd((uint32_t)(z->n - 2)); /* the apex NS stays */
				z->r[j] = z->r[--z->n];
			}
			break;
		case 2: random_records(z); break;
		default:
			if (z->n > 2) {
				size_t j = 2 + rnd((uint32_t)(z->n - 2));
				uint32_t ttl = z->r[j].ttl == 3600 ? 600 : 3600;
				for (size_t m = 0; m < z->n; m++)
					if (z->r[m].type == z->r[j].type &&
					    dns_name_eq(z->r[m].owner, z->r[j].owner))
						z->r[m].ttl = ttl;
			}
			break;
		}
	}
	z->serial++;
}

/* ---- the query corpus ---- */

static size_t query(const char *name, uint16_t type, bool edns, uint8_t *buf, size_t cap)
{
	struct dns_wr w;
	dns_wr_init(&w, buf, cap);
	struct dns_hdr h = { 0x1234, DNS_F_RD, 1, 0, 0, edns ? 1 : 0 };
	dns_hdr_write(&w, &h);
	uint8_t wire[DNS_NAME_MAXLEN];
	int n = dns_name_from_text(name, NULL, wire);
	cr_assert_gt(n, 0);
	dns_wr_bytes(&w, wire, (size_t)n);
	dns_wr_u16(&w, type);
	dns_wr_u16(&w, DNS_C_IN);
	if (edns)
		dns_edns_write(&w, 1232, 0, 0, NULL, 0);
	cr_assert_eq(w.err, 0);
	return w.pos;
}

static char corpus[2000][40];
static unsigned ncorpus;

static void make_corpus(void)
{
	if (ncorpus)
		return;
	snprintf(corpus[ncorpus++], sizeof(corpus[0]), "%s", ORIGIN);
	for (unsigned a = 0; a < NLABELS; a++) {
		snprintf(corpus[ncorpus++], sizeof(corpus[0]), "%s.%s", labels[a], ORIGIN);
		for (unsigned b = 0; b < NLABELS; b++) {
			snprintf(corpus[ncorpus++], sizeof(corpus[0]), "%s.%s.%s", labels[a],
				 labels[b], ORIGIN);
			for (unsigned c = 0; c < NLABELS; c++)
				snprintf(corpus[ncorpus++], sizeof(corpus[0]), "%s.%s.%s.%s",
					 labels[a], labels[b], labels[c], ORIGIN);
		}
		/* Below the pool's deepest names: wildcard, referral and NXDOMAIN paths. */
		snprintf(corpus[ncorpus++], sizeof(corpus[0]), "q.a.b.%s.%s", labels[a], ORIGIN);
	}
}

static const uint16_t qtypes[] = { DNS_T_A,  DNS_T_AAAA, DNS_T_NS,    DNS_T_SOA,
				   DNS_T_MX, DNS_T_TXT,	 DNS_T_CNAME, DNS_T_SRV,
				   DNS_T_DS, DNS_T_ANY,	 DNS_T_DNAME, DNS_T_PTR };

static struct answer_cfg cfg;

/* Every query of the corpus answered byte for byte the same by a and b. */
static unsigned compare(struct zone_snap *a, struct zone_snap *b, unsigned seed, unsigned step)
{
	struct zone_snap *sa[1] = { zone_snap_ref(a) }, *sb[1] = { zone_snap_ref(b) };
	struct zone_table *ta = zone_table_new(sa, 1), *tb = zone_table_new(sb, 1);
	cr_assert(ta && tb);
	unsigned n = 0;
	for (unsigned i = 0; i < ncorpus; i++) {
		for (size_t t = 0; t < sizeof(qtypes) / sizeof(qtypes[0]); t++) {
			for (int e = 0; e < 2; e++) {
				static uint8_t qa[4096], qb[4096];
				size_t ql = query(corpus[i], qtypes[t], e, qa, sizeof(qa));
				memcpy(qb, qa, ql);
				struct answer_info ia, ib;
				size_t la = zone_answer(ta, &cfg, qa, ql, sizeof(qa), false, &ia);
				size_t lb = zone_answer(tb, &cfg, qb, ql, sizeof(qb), false, &ib);
				cr_assert(la == lb && memcmp(qa, qb, la) == 0,
					  "seed %u step %u: %s type %u edns %d: incremental answer "
					  "(%zu octets) differs from the full build's (%zu)",
					  seed, step, corpus[i], qtypes[t], e, la, lb);
				n++;
			}
		}
	}
	zone_table_free(ta);
	zone_table_free(tb);
	return n;
}

static unsigned updates, fallbacks, refused, answers;

static void run_seed(unsigned seed, unsigned steps, unsigned size)
{
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
	struct zone cur = { 0 }, next = { 0 };
	struct zone_contents *full = NULL;
	cur.serial = 1;
	/* A zone that passes the checks to start from. */
	for (int tries = 0; !full; tries++) {
		cr_assert_lt(tries, 1000);
		cur.n = 0;
		base_records(&cur);
		for (unsigned i = 0; i < size; i++)
			random_records(&cur);
		full = build(&cur);
	}
	struct zone_snap *snap = zone_snap_build(full);
	cr_assert_not_null(snap);
	for (unsigned step = 0; step < steps; step++) {
		zone_copy(&next, &cur);
		mutate(&next);
		struct zone_contents *want = build(&next);
		struct xfr_changeset *cs = diff(&cur, &next);
		struct zone_diag d;
		zone_diag_init(&d, drop_diag, NULL);
		struct zone_contents *got = NULL;
		struct zone_changes chg;
		int rc = xfr_apply_changes(snap->z, cs, "t", &d, &got, &chg);
		xfr_changeset_list_free(cs);
		if (!want) {
			/* All or nothing: what the checks refuse as a whole, the IXFR refuses. */
			cr_assert_lt(rc, 0,
				     "seed %u step %u: the change breaks the zone but applied",
				     seed, step);
			cr_assert_null(got);
			refused++;
			continue;
		}
		cr_assert_eq(rc, 0, "seed %u step %u: %s", seed, step, dp_strerror(rc));
		char *dg = dump(got), *dw = dump(want);
		cr_assert_str_eq(dg, dw, "seed %u step %u: contents differ", seed, step);
		free(dg);
		free(dw);
		int err = 0;
		struct zone_snap *ns = zone_snap_update(snap, got, &chg, &err);
		if (!ns) {
			cr_assert_eq(err, DP_ERANGE, "seed %u step %u: %s", seed, step,
				     dp_strerror(err));
			ns = zone_snap_build(got);
			fallbacks++;
		}
		cr_assert_not_null(ns);
		zone_changes_free(&chg);
		zone_snap_free(snap);
		snap = ns;
		updates++;
		struct zone_snap *ref = zone_snap_build(want);
		cr_assert_not_null(ref);
		answers += compare(snap, ref, seed, step);
		zone_snap_free(ref);
		zone_copy(&cur, &next);
	}
	zone_snap_free(snap);
	free(cur.r);
	free(next.r);
}

static void setup(void)
{
	zone_answer_cfg_init(&cfg);
	make_corpus();
}

TestSuite(incr, .init = setup);

Test(incr, random_changes_answer_as_full_builds, .timeout = 300)
{
	for (unsigned seed = 1; seed <= 60; seed++)
		run_seed(seed, 12, 10 + seed % 40);
	cr_log_info("%u updates (%u built afresh), %u refused, %u answers compared", updates,
		    fallbacks, refused, answers);
	cr_expect_gt(updates, 400);
	cr_expect_lt(fallbacks * 10, updates, "most updates must be incremental");
	cr_expect_gt(refused, 0, "some changes must break the zone (the checks are exercised)");
}

/*
 * Only the newest version of a line may be updated (the arena's end and the
 * dependency index are the line's): updating an older one says "build
 * afresh" and leaves everything usable; so does a version built from
 * scratch (chg->full).
 */
Test(incr, stale_base_builds_afresh)
{
	rng_state = 7;
	struct zone a = { 0 }, b = { 0 };
	a.serial = 1;
	struct zone_contents *za = NULL;
	while (!za) {
		a.n = 0;
		base_records(&a);
		for (int i = 0; i < 20; i++)
			random_records(&a);
		za = build(&a);
	}
	struct zone_snap *s0 = zone_snap_build(za);
	cr_assert_not_null(s0);
	struct zone_contents *z1 = NULL, *z1b = NULL;
	struct zone_changes c1, c2;
	struct zone_diag d;
	zone_diag_init(&d, drop_diag, NULL);
	zone_copy(&b, &a);
	b.serial++;
	struct xfr_changeset *cs = diff(&a, &b);
	cr_assert_eq(xfr_apply_changes(s0->z, cs, "t", &d, &z1, &c1), 0);
	cr_assert_eq(xfr_apply_changes(s0->z, cs, "t", &d, &z1b, &c2), 0);
	xfr_changeset_list_free(cs);
	int err;
	struct zone_snap *s1 = zone_snap_update(s0, z1, &c1, &err);
	cr_assert_not_null(s1, "%s", dp_strerror(err));
	struct zone_snap *s1b = zone_snap_update(s0, z1b, &c2, &err);
	cr_assert_null(s1b);
	cr_assert_eq(err, DP_ERANGE);
	s1b = zone_snap_build(z1b); /* still ours: not taken */
	cr_assert_not_null(s1b);
	compare(s1, s1b, 7, 0);
	struct zone_changes full = { .full = true };
	struct zone_contents *z2 = build(&b);
	cr_assert_not_null(z2);
	cr_assert_null(zone_snap_update(s1, z2, &full, &err));
	cr_assert_eq(err, DP_ERANGE);
	zone_contents_free(z2);
	zone_changes_free(&c1);
	zone_changes_free(&c2);
	zone_snap_free(s0);
	zone_snap_free(s1);
	zone_snap_free(s1b);
	free(a.r);
	free(b.r);
}

/*
 * A signed zone (an RRSIG at the apex) is not updated in place: its DNSSEC
 * structures are built whole, so zone_snap_update refuses (DP_ERANGE) and
 * the caller builds afresh.  Without that check the update would share the
 * old version's DNSSEC state.
 */
Test(incr, signed_zone_builds_afresh)
{
	struct zone a = { 0 }, b = { 0 };
	a.serial = 1;
	base_records(&a);
	uint8_t apex[DNS_NAME_MAXLEN];
	cr_assert_gt(dns_name_from_text(ORIGIN, NULL, apex), 0);
	struct rec sig = mk(apex, DNS_T_RRSIG);
	uint8_t *p = sig.rd;
	p[0] = 0, p[1] = DNS_T_NS; /* type covered */
	p[2] = 13;		   /* ECDSA P-256 */
	p[3] = 1;		   /* labels */
	static const uint8_t times[12] = {
		0, 0, 0x0e, 0x10,       /* original TTL 3600 */
		0xee, 0x6b, 0x28, 0x00, /* expiration 4000000000 */
		0x65, 0x53, 0xf1, 0x00, /* inception 1700000000 */
	};
	memcpy(p + 4, times, sizeof(times));
	p[16] = 0x12, p[17] = 0x34;	  /* key tag */
	size_t n = 18 + put_name(p + 18, apex);
	memset(p + n, 0xab, 64); /* signature */
	sig.rdlen = (uint16_t)(n + 64);
	zone_put(&a, &sig);
	struct zone_contents *za = build(&a);
	cr_assert_not_null(za);
	struct zone_snap *s0 = zone_snap_build(za);
	cr_assert_not_null(s0);
	cr_assert_not_null(s0->dnssec, "an apex RRSIG makes the zone signed");

	zone_copy(&b, &a);
	b.serial++;
	struct xfr_changeset *cs = diff(&a, &b);
	struct zone_diag d;
	zone_diag_init(&d, drop_diag, NULL);
	struct zone_contents *z1 = NULL;
	struct zone_changes chg;
	cr_assert_eq(xfr_apply_changes(s0->z, cs, "t", &d, &z1, &chg), 0);
	xfr_changeset_list_free(cs);
	int err = 0;
	cr_assert_null(zone_snap_update(s0, z1, &chg, &err));
	cr_assert_eq(err, DP_ERANGE);
	struct zone_snap *s1 = zone_snap_build(z1); /* still ours: not taken */
	cr_assert_not_null(s1);
	cr_assert_not_null(s1->dnssec);
	cr_assert_eq(s1->serial, 2);
	zone_changes_free(&chg);
	zone_snap_free(s0);
	zone_snap_free(s1);
	free(a.r);
	free(b.r);
}
