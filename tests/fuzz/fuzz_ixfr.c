/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_ixfr: any bytes as two versions of zone "example.", the texts before
 * and after a line "%%".  When both load, the difference between them (every
 * record of one that the other lacks, TTL changes as a removal and an
 * addition) is applied as an IXFR to the first, incrementally
 * (xfr_apply_changes, zone_snap_update).  It must apply, give the contents of
 * the second (zone_dump text) and a snapshot whose answers are byte for byte
 * those of zone_snap_build of the second, for every name of either version,
 * a name below each, and a dozen types.  When the first loads and the second
 * does not, nothing is checked (the difference is not known).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "xfr/apply.h"
#include "zone/answer.h"
#include "zone/dump.h"
#include "zone/load.h"
#include "zone/snap.h"

static void quiet(void *ctx, enum zone_diag_level level, const char *line)
{
	(void)ctx;
	(void)level;
	(void)line;
}

static char *dump(const struct zone_contents *z)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	FUZZ_CHECK(f);
	int rc = zone_dump(z, f);
	fclose(f);
	FUZZ_CHECK(rc == 0);
	return text;
}

/* One RR of a version, as a changeset wants it. */
static struct dns_rr rr_of(const struct zone_node *n, const struct zone_rrset *rs,
			   const uint8_t *rr)
{
	struct dns_rr r;
	memset(&r, 0, sizeof(r));
	r.owner_len = (uint16_t)dns_name_len(n->owner);
	memcpy(r.owner, n->owner, r.owner_len);
	r.type = rs->type;
	r.rclass = DNS_C_IN;
	r.ttl = rs->ttl;
	r.rdata = zone_rr_data(rr);
	r.rdlen = zone_rr_len(rr);
	return r;
}

/* Whether z has exactly this RR (owner, type, rdata octets, TTL). */
static int has_rr(const struct zone_contents *z, const struct dns_rr *r)
{
	const struct zone_node *n = zone_contents_find(z, r->owner);
	if (!n)
		return 0;
	for (unsigned j = 0; j < n->rrset_count; j++) {
		const struct zone_rrset *rs = &n->rrsets[j];
		if (rs->type != r->type || rs->ttl != r->ttl)
			continue;
		const uint8_t *p = rs->rdata;
		for (uint32_t k = 0; k < rs->count; k++, p = zone_rr_next(p))
			if (zone_rr_len(p) == r->rdlen &&
			    memcmp(zone_rr_data(p), r->rdata, r->rdlen) == 0)
				return 1;
	}
	return 0;
}

/* Adds to cs (as removals or additions) every RR of a that b lacks; the apex SOA aside. */
static void diff_into(struct xfr_changeset *cs, int added, const struct zone_contents *a,
		      const struct zone_contents *b)
{
	for (size_t i = 0; i < a->node_count; i++) {
		const struct zone_node *n = zone_contents_node(a, i);
		for (unsigned j = 0; j < n->rrset_count; j++) {
			const struct zone_rrset *rs = &n->rrsets[j];
			if (rs->type == DNS_T_SOA && (n->flags & ZONE_NODE_APEX))
				continue;
			const uint8_t *p = rs->rdata;
			for (uint32_t k = 0; k < rs->count; k++, p = zone_rr_next(p)) {
				struct dns_rr r = rr_of(n, rs, p);
				if (!has_rr(b, &r))
					FUZZ_CHECK(xfr_changeset_add(cs, added, &r) == 0);
			}
		}
	}
}

static struct dns_rr soa_of(const struct zone_contents *z)
{
	const struct zone_node *apex = zone_contents_apex(z);
	const struct zone_rrset *soa = zone_node_rrset(apex, DNS_T_SOA);
	return rr_of(apex, soa, soa->rdata);
}

static size_t query(const uint8_t *name, uint16_t type, uint8_t *buf, size_t cap)
{
	struct dns_wr w;
	dns_wr_init(&w, buf, cap);
	struct dns_hdr h = { 7, DNS_F_RD, 1, 0, 0, 0 };
	dns_hdr_write(&w, &h);
	dns_wr_bytes(&w, name, dns_name_len(name));
	dns_wr_u16(&w, type);
	dns_wr_u16(&w, DNS_C_IN);
	return w.err ? 0 : w.pos;
}

static const uint16_t types[] = { DNS_T_A,  DNS_T_AAAA,	 DNS_T_NS,    DNS_T_SOA,
				  DNS_T_MX, DNS_T_TXT,	 DNS_T_CNAME, DNS_T_SRV,
				  DNS_T_DS, DNS_T_DNAME, DNS_T_PTR };

/* The same answers from ta and tb for name and one name below it, every type. */
static void compare_name(const struct zone_table *ta, const struct zone_table *tb,
			 const uint8_t *name)
{
	const struct answer_cfg *cfg;
	static struct answer_cfg c;
	static int init;
	if (!init) {
		zone_answer_cfg_init(&c);
		init = 1;
	}
	cfg = &c;
	uint8_t below[DNS_NAME_MAXLEN];
	size_t len = dns_name_len(name);
	const uint8_t *names[2] = { name, NULL };
	if (len + 2 <= DNS_NAME_MAXLEN) {
		below[0] = 1;
		below[1] = 'q';
		memcpy(below + 2, name, len);
		names[1] = below;
	}
	for (int k = 0; k < 2 && names[k]; k++) {
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
			static uint8_t qa[4096], qb[4096];
			size_t ql = query(names[k], types[t], qa, sizeof(qa));
			if (!ql)
				continue;
			memcpy(qb, qa, ql);
			struct answer_info ia, ib;
			size_t la = zone_answer(ta, cfg, qa, ql, sizeof(qa), false, &ia);
			size_t lb = zone_answer(tb, cfg, qb, ql, sizeof(qb), false, &ib);
			FUZZ_CHECK(la == lb && memcmp(qa, qb, la) == 0);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return 0;
	const char *text = (const char *)data;
	const char *sep = NULL;
	for (size_t i = 0; i + 3 <= size; i++) {
		if ((i == 0 || text[i - 1] == '\n') && text[i] == '%' && text[i + 1] == '%' &&
		    (i + 2 == size || text[i + 2] == '\n')) {
			sep = text + i;
			break;
		}
	}
	if (!sep)
		return 0;
	size_t alen = (size_t)(sep - text), boff = alen + 3 > size ? size : alen + 3;
	struct zone_diag d;
	zone_diag_init(&d, quiet, NULL);
	struct zone_contents *a = zone_load_string(text, alen, "a", "example.", &d);
	if (!a)
		return 0;
	struct zone_contents *b = zone_load_string(text + boff, size - boff, "b", "example.", &d);
	if (!b) {
		zone_contents_free(a);
		return 0;
	}
	struct zone_snap *sa = zone_snap_build(a);
	FUZZ_CHECK(sa);
	struct dns_rr from = soa_of(sa->z), to = soa_of(b);
	struct xfr_changeset *cs = xfr_changeset_new(&from);
	FUZZ_CHECK(cs && xfr_changeset_set_to(cs, &to) == 0);
	diff_into(cs, 0, sa->z, b);
	diff_into(cs, 1, b, sa->z);

	struct zone_contents *got = NULL;
	struct zone_changes chg;
	int rc = xfr_apply_changes(sa->z, cs, "fuzz", &d, &got, &chg);
	xfr_changeset_list_free(cs);
	FUZZ_CHECK(rc == 0); /* b passed the checks: so must the incremental version */
	char *tg = dump(got), *tw = dump(b);
	FUZZ_CHECK(strcmp(tg, tw) == 0);
	free(tg);
	free(tw);
	int err = 0;
	struct zone_snap *sg = zone_snap_update(sa, got, &chg, &err);
	if (!sg) {
		FUZZ_CHECK(err == DP_ERANGE);
		sg = zone_snap_build(got);
		FUZZ_CHECK(sg);
	}
	zone_changes_free(&chg);
	struct zone_snap *sb = zone_snap_build(b);
	FUZZ_CHECK(sb);
	struct zone_snap *arr_g[1] = { zone_snap_ref(sg) }, *arr_b[1] = { zone_snap_ref(sb) };
	struct zone_table *tg_t = zone_table_new(arr_g, 1), *tb_t = zone_table_new(arr_b, 1);
	FUZZ_CHECK(tg_t && tb_t);
	for (int v = 0; v < 2; v++) {
		const struct zone_contents *z = v ? sa->z : sb->z;
		for (size_t i = 0; i < z->node_count && i < 200; i++)
			compare_name(tg_t, tb_t, zone_contents_node(z, i)->owner);
	}
	zone_table_free(tg_t);
	zone_table_free(tb_t);
	zone_snap_free(sa);
	zone_snap_free(sg);
	zone_snap_free(sb);
	return 0;
}
