/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zone builder and contents (src/zone/builder.h, contents.h): canonical
 * ordering of nodes (RFC 4034 §6.1) and of rdata (§6.3), duplicate removal
 * (RFC 2181 §5), RRset TTLs, RRSIG grouping, node flags, lookups, and the
 * rejection of bad records.
 */
#include "zone/builder.h"

#include <criterion/criterion.h>

#include "dns/errcode.h"
#include "dns/rrtype.h"
#include "zonetest.h"

#define SOA_RDATA                                    \
	"\002ns\007example\000\002hm\007example\000" \
	"\000\000\000\052\000\000\034\040\000\000\016\020\000\022\165\000\000\000\001\054"

static const uint8_t soa_rdata[] = SOA_RDATA;
static const uint8_t ns_rdata[] = "\002ns\007example";

static void add(struct zone_builder *b, const char *owner, uint16_t type, uint32_t ttl,
		const void *rdata, size_t len, unsigned line)
{
	int rc = zone_builder_add(b, wn(owner), type, DNS_C_IN, ttl, rdata, len, line);
	cr_assert_eq(rc, 0, "add %s type %u: %d", owner, type, rc);
}

/* A builder for "example." with SOA and NS already in. */
static struct zone_builder *base_builder(struct capture *c)
{
	struct zone_builder *b = zone_builder_new(wn("example."));
	cr_assert_not_null(b);
	capture_init(c);
	cr_assert_eq(zone_builder_set_source(b, "t.zone", &c->diag), 0);
	add(b, "example.", DNS_T_SOA, 3600, soa_rdata, sizeof(soa_rdata) - 1, 1);
	add(b, "example.", DNS_T_NS, 3600, ns_rdata, sizeof(ns_rdata), 2);
	add(b, "ns.example.", DNS_T_A, 3600, "\300\000\002\001", 4, 3);
	return b;
}

Test(builder, free_null_is_noop)
{
	zone_builder_free(NULL);
	zone_contents_free(NULL);
}

Test(builder, minimal_zone)
{
	struct capture c;
	struct zone_builder *b = base_builder(&c);
	cr_assert_eq(zone_builder_count(b), 3);
	struct zone_contents *z = zone_builder_finish(b, &c.diag);
	cr_assert_not_null(z);
	cr_assert_eq(c.n, 0);
	cr_assert_eq(z->serial, 42);
	cr_assert_eq(z->node_count, 2);
	cr_assert_eq(z->rrset_count, 3);
	cr_assert_eq(z->record_count, 3);
	cr_assert_str_eq(nt(z->origin), "example.");
	const struct zone_node *apex = zone_contents_apex(z);
	cr_assert_eq(apex, &z->nodes[0]);
	cr_assert_eq(apex->flags, ZONE_NODE_APEX);
	/* RRsets sorted by type: NS (2) before SOA (6). */
	cr_assert_eq(apex->rrsets[0].type, DNS_T_NS);
	cr_assert_eq(apex->rrsets[1].type, DNS_T_SOA);
	cr_assert_eq(zone_node_rrset(apex, DNS_T_SOA), &apex->rrsets[1]);
	cr_assert_null(zone_node_rrset(apex, DNS_T_A));
	const struct zone_rrset *ns = zone_node_rrset(apex, DNS_T_NS);
	cr_assert_eq(ns->count, 1);
	cr_assert_eq(ns->size, 2 + sizeof(ns_rdata));
	cr_assert_eq(zone_rr_len(ns->rdata), sizeof(ns_rdata));
	cr_assert_eq(memcmp(zone_rr_data(ns->rdata), ns_rdata, sizeof(ns_rdata)), 0);
	cr_assert_not_null(zone_contents_find(z, wn("NS.Example.")));
	cr_assert_null(zone_contents_find(z, wn("nx.example.")));
	zone_contents_free(z);
	zone_builder_free(b);
	capture_fini(&c);
}

/* RFC 4034 §6.1's example, added in reverse and mixed case. */
Test(builder, canonical_node_order)
{
	static const char *const order[] = {
		"example.",	    "a.example.",      "yljkjljk.a.example.",
		"z.a.example.",	    "zabc.a.example.", "z.example.",
		"\\001.z.example.", "*.z.example.",    "\\200.z.example.",
	};
	static const char *const added[] = {
		"\\200.z.example.", "*.z.example.", "\\001.z.example.",	   "Z.example.",
		"zABC.a.EXAMPLE.",  "Z.a.example.", "yljkjljk.a.example.", "a.example.",
	};
	struct capture c;
	struct zone_builder *b = base_builder(&c);
	for (size_t i = 0; i < sizeof(added) / sizeof(added[0]); i++)
		add(b, added[i], DNS_T_TXT, 60, "\001x", 2, 10 + (unsigned)i);
	struct zone_contents *z = zone_builder_finish(b, &c.diag);
	cr_assert_not_null(z);
	/* ns.example. sorts between a.example.'s subtree and z.example. */
	cr_assert_eq(z->node_count, 10);
	size_t k = 0;
	for (size_t i = 0; i < z->node_count; i++) {
		const char *name = nt(z->nodes[i].owner);
		if (strcmp(name, "ns.example.") == 0)
			continue;
		cr_assert_str_eq(name, order[k], "node %zu", i);
		k++;
	}
	cr_assert_eq(z->nodes[8].flags, ZONE_NODE_WILDCARD);
	/* Owners are stored lowercased. */
	cr_assert_eq(memcmp(z->nodes[3].owner, "\001z\001a\007example", 11), 0);
	zone_contents_free(z);
	zone_builder_free(b);
	capture_fini(&c);
}

Test(builder, canonical_rdata_order_and_duplicates)
{
	struct capture c;
	struct zone_builder *b = base_builder(&c);
	/* A: 192.0.2.10 before 192.0.2.2 as octets? No: 0a > 02. */
	add(b, "h.example.", DNS_T_A, 60, "\300\000\002\012", 4, 10);
	add(b, "h.example.", DNS_T_A, 60, "\300\000\002\002", 4, 11);
	add(b, "h.example.", DNS_T_A, 60, "\300\000\002\012", 4, 12); /* duplicate */
	/* TXT: a shorter string that is a prefix sorts first; length octet counts. */
	add(b, "h.example.", DNS_T_TXT, 60, "\002ab", 3, 13);
	add(b, "h.example.", DNS_T_TXT, 60, "\001b", 2, 14);
	add(b, "h.example.", DNS_T_TXT, 60, "\001a", 2, 15);
	/* NS: compared lowercased; the first loaded copy's case is kept. */
	add(b, "d.example.", DNS_T_NS, 60, "\002NS\001D\007example", 14, 16);
	add(b, "d.example.", DNS_T_NS, 60, "\002ns\001d\007EXAMPLE", 14, 17);
	add(b, "d.example.", DNS_T_NS, 60, "\001b\007example", 11, 18);
	add(b, "ns.d.example.", DNS_T_A, 60, "\300\000\002\003", 4, 19);
	struct zone_contents *z = zone_builder_finish(b, &c.diag);
	cr_assert_not_null(z);
	cr_assert_eq(c.n, 0);

	const struct zone_node *h = zone_contents_find(z, wn("h.example."));
	const struct zone_rrset *a = zone_node_rrset(h, DNS_T_A);
	cr_assert_eq(a->count, 2);
	cr_assert_eq(memcmp(a->rdata, "\000\004\300\000\002\002\000\004\300\000\002\012", 12), 0);
	const struct zone_rrset *txt = zone_node_rrset(h, DNS_T_TXT);
	cr_assert_eq(txt->count, 3);
	cr_assert_eq(memcmp(txt->rdata, "\000\002\001a\000\002\001b\000\003\002ab", 13), 0);

	const struct zone_node *d = zone_contents_find(z, wn("d.example."));
	const struct zone_rrset *ns = zone_node_rrset(d, DNS_T_NS);
	cr_assert_eq(ns->count, 2);
	cr_assert_eq(memcmp(ns->rdata, "\000\013\001b\007example\000", 13), 0);
	cr_assert_eq(memcmp(ns->rdata + 13, "\000\016\002NS\001D\007example\000", 16), 0);
	cr_assert_eq(z->record_count, 3 + 2 + 3 + 2 + 1);
	zone_contents_free(z);
	zone_builder_free(b);
	capture_fini(&c);
}

Test(builder, rrset_ttl_is_first_rr_ttl)
{
	struct capture c;
	struct zone_builder *b = base_builder(&c);
	add(b, "h.example.", DNS_T_A, 300, "\300\000\002\012", 4, 10);
	add(b, "h.example.", DNS_T_A, 60, "\300\000\002\002", 4, 11);
	/* RRSIGs are grouped per covered type, each with its own TTL. */
	static const uint8_t sig_a[] = "\000\001\015\002\000\000\001\054\000\000\000\002"
				       "\000\000\000\001\000\001\007example\000\001\002";
	static const uint8_t sig_txt[] = "\000\020\015\002\000\000\000\074\000\000\000\002"
					 "\000\000\000\001\000\001\007example\000\001\002";
	add(b, "h.example.", DNS_T_RRSIG, 300, sig_a, sizeof(sig_a) - 1, 12);
	add(b, "h.example.", DNS_T_RRSIG, 60, sig_txt, sizeof(sig_txt) - 1, 13);
	add(b, "h.example.", DNS_T_TXT, 60, "\001a", 2, 14);
	struct zone_contents *z = zone_builder_finish(b, &c.diag);
	cr_assert_not_null(z);
	cr_assert_eq(c.n, 1);
	cr_assert_str_eq(c.lines[0], "t.zone:11: warning: TTL 60 differs from the RRset's TTL 300, "
				     "using 300 (h.example. A)");
	cr_assert_eq(c.levels[0], ZONE_DIAG_WARNING);
	const struct zone_node *h = zone_contents_find(z, wn("h.example."));
	cr_assert_eq(zone_node_rrset(h, DNS_T_A)->ttl, 300);
	cr_assert_eq(h->rrset_count, 4);
	cr_assert_eq(h->rrsets[2].type, DNS_T_RRSIG);
	cr_assert_eq(h->rrsets[2].covers, DNS_T_A);
	cr_assert_eq(h->rrsets[3].type, DNS_T_RRSIG);
	cr_assert_eq(h->rrsets[3].covers, DNS_T_TXT);
	cr_assert_eq(zone_node_rrsig(h, DNS_T_A)->ttl, 300);
	cr_assert_eq(zone_node_rrsig(h, DNS_T_TXT)->ttl, 60);
	cr_assert_null(zone_node_rrsig(h, DNS_T_AAAA));
	cr_assert_null(zone_node_rrset(h, DNS_T_RRSIG));
	zone_contents_free(z);
	zone_builder_free(b);
	capture_fini(&c);
}

Test(builder, node_flags)
{
	struct capture c;
	struct zone_builder *b = base_builder(&c);
	add(b, "sub.example.", DNS_T_NS, 60, "\002ns\003sub\007example", 16, 10);
	add(b, "sub.example.", DNS_T_DS, 60, "\000\001\015\002\001", 5, 11);
	add(b, "ns.sub.example.", DNS_T_A, 60, "\300\000\002\004", 4, 12);
	add(b, "deep.ns.sub.example.", DNS_T_NS, 60, "\001x\007example", 11, 13);
	add(b, "sub2.example.", DNS_T_A, 60, "\300\000\002\005", 4, 14);
	add(b, "dn.example.", DNS_T_DNAME, 60, "\001x\007example", 11, 15);
	add(b, "a.dn.example.", DNS_T_A, 60, "\300\000\002\006", 4, 16);
	add(b, "*.example.", DNS_T_A, 60, "\300\000\002\007", 4, 17);
	add(b, "example.", DNS_T_DNAME, 60, "\001y\007example", 11, 18);
	struct zone_contents *z = zone_builder_finish(b, &c.diag);
	cr_assert_not_null(z);

	struct {
		const char *name;
		uint16_t flags;
	} want[] = {
		{ "example.", ZONE_NODE_APEX },
		{ "*.example.", ZONE_NODE_WILDCARD | ZONE_NODE_OCCLUDED },
		{ "dn.example.", ZONE_NODE_OCCLUDED },
		{ "a.dn.example.", ZONE_NODE_OCCLUDED },
		{ "ns.example.", ZONE_NODE_OCCLUDED },
		{ "sub.example.", ZONE_NODE_OCCLUDED },
		{ "ns.sub.example.", ZONE_NODE_OCCLUDED },
		{ "deep.ns.sub.example.", ZONE_NODE_OCCLUDED },
		{ "sub2.example.", ZONE_NODE_OCCLUDED },
	};
	/* A DNAME at the apex occludes everything: the warnings say so, one per node. */
	cr_assert_eq(c.diag.warnings, 8);
	cr_assert_eq(z->node_count, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < z->node_count; i++) {
		cr_assert_str_eq(nt(z->nodes[i].owner), want[i].name);
		cr_assert_eq(z->nodes[i].flags, want[i].flags, "%s: %#x", want[i].name,
			     z->nodes[i].flags);
	}
	zone_contents_free(z);
	zone_builder_free(b);
	capture_fini(&c);
}

Test(builder, delegation_and_glue_flags)
{
	struct capture c;
	struct zone_builder *b = base_builder(&c);
	add(b, "sub.example.", DNS_T_NS, 60, "\002ns\003sub\007example", 16, 10);
	add(b, "ns.sub.example.", DNS_T_A, 60, "\300\000\002\004", 4, 11);
	add(b, "deep.ns.sub.example.", DNS_T_NS, 60, "\001x\007example", 11, 12);
	add(b, "sub2.example.", DNS_T_A, 60, "\300\000\002\005", 4, 13);
	add(b, "dn.example.", DNS_T_DNAME, 60, "\001x\007example", 11, 14);
	add(b, "a.dn.example.", DNS_T_A, 60, "\300\000\002\006", 4, 15);
	add(b, "*.example.", DNS_T_A, 60, "\300\000\002\007", 4, 16);
	struct zone_contents *z = zone_builder_finish(b, &c.diag);
	cr_assert_not_null(z);
	cr_assert_eq(c.n, 1);
	cr_assert_str_eq(c.lines[0],
			 "t.zone:15: warning: data below a DNAME is occluded (a.dn.example. A)");
	struct {
		const char *name;
		uint16_t flags;
	} want[] = {
		{ "example.", ZONE_NODE_APEX },
		{ "*.example.", ZONE_NODE_WILDCARD },
		{ "dn.example.", 0 },
		{ "a.dn.example.", ZONE_NODE_OCCLUDED },
		{ "ns.example.", 0 },
		{ "sub.example.", ZONE_NODE_DELEGATION },
		{ "ns.sub.example.", ZONE_NODE_OCCLUDED },
		{ "deep.ns.sub.example.", ZONE_NODE_OCCLUDED },
		{ "sub2.example.", 0 },
	};
	cr_assert_eq(z->node_count, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < z->node_count; i++) {
		cr_assert_str_eq(nt(z->nodes[i].owner), want[i].name);
		cr_assert_eq(z->nodes[i].flags, want[i].flags, "%s: %#x", want[i].name,
			     z->nodes[i].flags);
	}
	zone_contents_free(z);
	zone_builder_free(b);
	capture_fini(&c);
}

/* Empty non-terminals are not nodes; search gives the canonical neighbours. */
Test(builder, search_and_empty_non_terminals)
{
	struct capture c;
	struct zone_builder *b = base_builder(&c);
	add(b, "x.ent.example.", DNS_T_A, 60, "\300\000\002\004", 4, 10);
	struct zone_contents *z = zone_builder_finish(b, &c.diag);
	cr_assert_not_null(z);
	cr_assert_eq(z->node_count, 3);
	size_t pos;
	cr_assert(!zone_contents_search(z, wn("ent.example."), &pos));
	cr_assert_eq(pos, 1);
	cr_assert_str_eq(nt(z->nodes[pos].owner), "x.ent.example.");
	cr_assert(zone_contents_search(z, wn("X.ENT.example."), &pos));
	cr_assert_eq(pos, 1);
	cr_assert(!zone_contents_search(z, wn("zzz.example."), &pos));
	cr_assert_eq(pos, 3);
	cr_assert(!zone_contents_search(z, wn("a."), &pos));
	cr_assert_eq(pos, 0);
	zone_contents_free(z);
	zone_builder_free(b);
	capture_fini(&c);
}

Test(builder, rejections)
{
	struct capture c;
	struct zone_builder *b = base_builder(&c);
	const uint8_t *owner = wn("h.example.");
	cr_assert_eq(zone_builder_add(b, owner, DNS_T_A, DNS_C_CH, 60, (const uint8_t *)"\1\2\3\4",
				      4, 20),
		     DP_EINVAL);
	cr_assert_eq(zone_builder_add(b, owner, DNS_T_ANY, DNS_C_IN, 60, NULL, 0, 21), DP_EINVAL);
	cr_assert_eq(zone_builder_add(b, owner, DNS_T_OPT, DNS_C_IN, 60, NULL, 0, 22), DP_EINVAL);
	cr_assert_eq(
		zone_builder_add(b, owner, DNS_T_A, DNS_C_IN, 60, (const uint8_t *)"\1\2\3", 3, 23),
		DP_ERDATA);
	cr_assert_eq(zone_builder_add(b, wn("h.example.org."), DNS_T_A, DNS_C_IN, 60,
				      (const uint8_t *)"\1\2\3\4", 4, 24),
		     DP_EZONE);
	cr_assert_eq(zone_builder_add(b, owner, DNS_T_A, DNS_C_IN, 60, (const uint8_t *)"\1\2\3\4",
				      4, 25),
		     0);
	cr_assert_eq(c.n, 5);
	cr_assert_str_eq(c.lines[0], "t.zone:20: class CH not supported, only IN (h.example. A)");
	cr_assert_str_eq(c.lines[1], "t.zone:21: meta type not allowed in a zone (h.example. ANY)");
	cr_assert_str_eq(c.lines[2], "t.zone:22: meta type not allowed in a zone (h.example. OPT)");
	cr_assert(strncmp(c.lines[3], "t.zone:23: bad rdata: ", 22) == 0);
	cr_assert_str_eq(c.lines[4], "t.zone:24: record outside the zone example. "
				     "(h.example.org. A)");
	cr_assert_null(zone_builder_finish(b, &c.diag));
	cr_assert_eq(c.n, 5, "finish adds nothing: the rejections were reported");
	zone_builder_free(b);
	capture_fini(&c);
}

/* Without a sink for add, finish sums the rejections up in one line. */
Test(builder, rejections_without_sink)
{
	struct capture c;
	struct zone_builder *b = zone_builder_new(wn("example."));
	capture_init(&c);
	cr_assert_eq(zone_builder_add(b, wn("x.example."), DNS_T_A, DNS_C_IN, 60,
				      (const uint8_t *)"\1", 1, 0),
		     DP_ERDATA);
	cr_assert_null(zone_builder_finish(b, &c.diag));
	cr_assert_eq(c.n, 1);
	cr_assert_str_eq(c.lines[0], "(zone): 1 records rejected");
	zone_builder_free(b);
	capture_fini(&c);
}

Test(builder, bad_origin)
{
	cr_assert_null(zone_builder_new((const uint8_t *)"\100abc"));
}

/* Every RR's rdata is packed back to back; walking them covers size exactly. */
Test(builder, packed_rdata_walk)
{
	struct capture c;
	struct zone_builder *b = base_builder(&c);
	for (unsigned i = 0; i < 50; i++) {
		uint8_t txt[64];
		txt[0] = (uint8_t)(i + 1);
		memset(txt + 1, 'a' + (int)(i % 26), i + 1);
		add(b, "t.example.", DNS_T_TXT, 60, txt, i + 2, 10 + i);
	}
	struct zone_contents *z = zone_builder_finish(b, &c.diag);
	cr_assert_not_null(z);
	const struct zone_rrset *rs =
		zone_node_rrset(zone_contents_find(z, wn("t.example.")), DNS_T_TXT);
	cr_assert_eq(rs->count, 50);
	const uint8_t *rr = rs->rdata, *prev = NULL;
	size_t prevlen = 0;
	for (uint32_t i = 0; i < rs->count; i++, rr = zone_rr_next(rr)) {
		if (prev != NULL)
			cr_assert_lt(
				dns_rdata_cmp(prev, prevlen, zone_rr_data(rr), zone_rr_len(rr)), 0);
		prev = zone_rr_data(rr);
		prevlen = zone_rr_len(rr);
	}
	cr_assert_eq(rr, rs->rdata + rs->size);
	zone_contents_free(z);
	zone_builder_free(b);
	capture_fini(&c);
}

/* The sharing hook: a later version keeps an earlier version's arena alive. */
Test(builder, arena_shared_between_versions)
{
	struct capture c;
	struct zone_builder *b = base_builder(&c);
	struct zone_contents *old = zone_builder_finish(b, &c.diag);
	cr_assert_not_null(old);
	uint8_t *bytes;
	struct zone_contents *next = zone_contents_alloc(0, 0, 0, &bytes);
	cr_assert_not_null(next);
	cr_assert_eq(zone_contents_attach(next, old->arenas[0]), 0);
	cr_assert_eq(next->arena_count, 2);
	const struct zone_node *kept = &old->nodes[1];
	zone_contents_free(old);
	/* Still readable (ASan would object otherwise). */
	cr_assert_str_eq(nt(kept->owner), "ns.example.");
	cr_assert_eq(zone_node_rrset(kept, DNS_T_A)->count, 1);
	zone_contents_free(next);
	zone_builder_free(b);
	capture_fini(&c);
}

/*
 * Property: the order records are added in does not change the result where
 * the rules make it order-free (consistent TTLs, duplicates of the same
 * case).  Random zones (owners with long shared prefixes, octets 0x00, 0x01,
 * 0xff and upper case, names added in pieces), built from a shuffled order
 * (the full sort), then from the result's own canonical order (the in-order
 * fast path), reversed, and canonical with a few neighbours swapped (the
 * per-owner and owner sorts); all four must be identical and in
 * dns_name_cmp / (type, covers, rdata) order.
 */
struct prng {
	uint64_t s;
};

static uint32_t prng_next(struct prng *p)
{
	p->s = p->s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(p->s >> 33);
}

struct prop_rr {
	uint8_t owner[DNS_NAME_MAXLEN];
	uint16_t type;
	uint32_t ttl;
	uint8_t rd[64];
	uint16_t rdlen;
};

/* A random label of 1..14 octets: shared prefixes, escapes, case. */
static size_t prop_label(struct prng *p, uint8_t *out)
{
	static const uint8_t alphabet[] = { 'a', 'b', 'A', 'B', '-', 0x00, 0x01, 0x02, 'z', 0xff };
	unsigned len = 1 + prng_next(p) % 14;
	bool shared = prng_next(p) % 2;
	out[0] = (uint8_t)len;
	for (unsigned i = 1; i <= len; i++) {
		if (shared && i <= 9)
			out[i] = i == 9 ? alphabet[prng_next(p) % 2] : 'p';
		else
			out[i] = alphabet[prng_next(p) % sizeof(alphabet)];
	}
	return 1 + len;
}

static size_t prop_records(struct prng *p, struct prop_rr *rr, size_t max)
{
	uint8_t owners[40][DNS_NAME_MAXLEN];
	size_t n = 0;
	const uint8_t *origin = wn("example.");
	for (unsigned i = 0; i < 40; i++) {
		const uint8_t *parent = i < 4 ? origin : owners[prng_next(p) % i];
		size_t l = prop_label(p, owners[i]);
		if (l + dns_name_len(parent) > DNS_NAME_MAXLEN)
			parent = origin;
		memcpy(owners[i] + l, parent, dns_name_len(parent));
	}
	memcpy(rr[n].owner, origin, dns_name_len(origin));
	rr[n].type = DNS_T_SOA;
	rr[n].ttl = 3600;
	memcpy(rr[n].rd, soa_rdata, sizeof(soa_rdata) - 1);
	rr[n++].rdlen = sizeof(soa_rdata) - 1;
	memcpy(rr[n].owner, origin, dns_name_len(origin));
	rr[n].type = DNS_T_NS;
	rr[n].ttl = 3600;
	memcpy(rr[n].rd, "\002ns\005other\000", 10);
	rr[n++].rdlen = 10;
	while (n < max) {
		struct prop_rr *r = &rr[n++];
		memcpy(r->owner, owners[prng_next(p) % 40], DNS_NAME_MAXLEN);
		/* A, TXT, MX, and RRSIGs covering A or TXT. */
		switch (prng_next(p) % 4) {
		case 0:
			r->type = DNS_T_A;
			r->rdlen = 4;
			memcpy(r->rd, "\300\000\002", 3);
			r->rd[3] = (uint8_t)(prng_next(p) % 4);
			break;
		case 1:
			r->type = DNS_T_TXT;
			r->rdlen = (uint16_t)(1 + prng_next(p) % 3);
			r->rd[0] = (uint8_t)(r->rdlen - 1);
			for (unsigned i = 1; i < r->rdlen; i++)
				r->rd[i] = (uint8_t)('a' + prng_next(p) % 2);
			break;
		case 2:
			r->type = DNS_T_MX;
			r->rd[0] = 0;
			r->rd[1] = (uint8_t)(prng_next(p) % 3);
			memcpy(r->rd + 2, "\002mx\005other\000", 10);
			r->rdlen = 12;
			break;
		default: {
			/* RRSIG: covered type, alg 13, labels, TTL, times, tag, signer, sig. */
			static const uint8_t sig[] = "\000\001\015\001\000\000\016\020"
						     "\000\000\000\002\000\000\000\001\000\007"
						     "\007example\000\001\002";
			r->type = DNS_T_RRSIG;
			memcpy(r->rd, sig, sizeof(sig) - 1);
			r->rd[1] = prng_next(p) % 2 ? DNS_T_A : DNS_T_TXT;
			r->rd[sizeof(sig) - 2] = (uint8_t)(prng_next(p) % 3);
			r->rdlen = sizeof(sig) - 1;
			break;
		}
		}
		/* One TTL per RRset (RRSIGs per covered type): order-free. */
		r->ttl = 60 + r->type + (r->type == DNS_T_RRSIG ? r->rd[1] : 0);
	}
	return n;
}

static struct zone_contents *prop_build(const struct prop_rr *rr, const size_t *order, size_t n)
{
	struct capture c;
	capture_init(&c);
	struct zone_builder *b = zone_builder_new(wn("example."));
	cr_assert_not_null(b);
	cr_assert_eq(zone_builder_set_source(b, "p.zone", &c.diag), 0);
	for (size_t i = 0; i < n; i++) {
		const struct prop_rr *r = &rr[order[i]];
		int rc = zone_builder_add(b, r->owner, r->type, DNS_C_IN, r->ttl, r->rd, r->rdlen,
					  i + 1);
		cr_assert_eq(rc, 0, "add %zu: %d", i, rc);
	}
	struct zone_contents *z = zone_builder_finish(b, &c.diag);
	cr_assert_not_null(z);
	cr_assert_eq(c.n, 0, "diagnostics: %s", c.n ? c.lines[0] : "");
	zone_builder_free(b);
	capture_fini(&c);
	return z;
}

static void prop_assert_same(const struct zone_contents *a, const struct zone_contents *b,
			     const char *what)
{
	cr_assert_eq(a->node_count, b->node_count, "%s", what);
	cr_assert_eq(a->rrset_count, b->rrset_count, "%s", what);
	cr_assert_eq(a->record_count, b->record_count, "%s", what);
	for (size_t i = 0; i < a->node_count; i++) {
		const struct zone_node *x = &a->nodes[i], *y = &b->nodes[i];
		cr_assert(dns_name_len(x->owner) == dns_name_len(y->owner) &&
				  memcmp(x->owner, y->owner, dns_name_len(x->owner)) == 0,
			  "%s: node %zu", what, i);
		cr_assert_eq(x->rrset_count, y->rrset_count, "%s", what);
		cr_assert_eq(x->flags, y->flags, "%s", what);
		for (unsigned j = 0; j < x->rrset_count; j++) {
			const struct zone_rrset *s = &x->rrsets[j], *t = &y->rrsets[j];
			cr_assert(s->type == t->type && s->covers == t->covers &&
					  s->ttl == t->ttl && s->count == t->count &&
					  s->size == t->size &&
					  memcmp(s->rdata, t->rdata, s->size) == 0,
				  "%s: node %zu rrset %u", what, i, j);
		}
	}
}

/* Canonical order checked against the reference comparisons, not the builder's keys. */
static void prop_assert_canonical(const struct zone_contents *z)
{
	for (size_t i = 1; i < z->node_count; i++)
		cr_assert_lt(dns_name_cmp(z->nodes[i - 1].owner, z->nodes[i].owner), 0,
			     "nodes %zu, %zu out of order", i - 1, i);
	for (size_t i = 0; i < z->node_count; i++) {
		const struct zone_node *nd = &z->nodes[i];
		for (unsigned j = 0; j < nd->rrset_count; j++) {
			const struct zone_rrset *s = &nd->rrsets[j];
			if (j > 0) {
				const struct zone_rrset *p = &nd->rrsets[j - 1];
				cr_assert(p->type < s->type ||
					  (p->type == s->type && p->covers < s->covers));
			}
			const uint8_t *r = s->rdata;
			for (uint32_t k = 1; k < s->count; k++) {
				const uint8_t *q = zone_rr_next(r);
				cr_assert_lt(dns_rdata_cmp(zone_rr_data(r), zone_rr_len(r),
							   zone_rr_data(q), zone_rr_len(q)),
					     0);
				r = q;
			}
		}
	}
}

Test(builder, order_of_adds_does_not_matter)
{
	enum {
		MAXRR = 600
	};
	static struct prop_rr rr[MAXRR], canon[MAXRR];
	static size_t order[MAXRR];
	for (uint64_t seed = 1; seed <= 40; seed++) {
		struct prng p = { seed };
		size_t n = prop_records(&p, rr, 50 + prng_next(&p) % (MAXRR - 50));
		for (size_t i = 0; i < n; i++)
			order[i] = i;
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = prng_next(&p) % (i + 1), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		struct zone_contents *shuffled = prop_build(rr, order, n);
		prop_assert_canonical(shuffled);

		/* The result's records in its own order, lowercased owners. */
		size_t m = 0;
		for (size_t i = 0; i < shuffled->node_count; i++) {
			const struct zone_node *nd = &shuffled->nodes[i];
			for (unsigned j = 0; j < nd->rrset_count; j++) {
				const struct zone_rrset *s = &nd->rrsets[j];
				const uint8_t *r = s->rdata;
				for (uint32_t k = 0; k < s->count; k++, r = zone_rr_next(r)) {
					struct prop_rr *c = &canon[m++];
					memcpy(c->owner, nd->owner, dns_name_len(nd->owner));
					c->type = s->type;
					c->ttl = s->ttl;
					c->rdlen = zone_rr_len(r);
					memcpy(c->rd, zone_rr_data(r), c->rdlen);
				}
			}
		}
		cr_assert_eq(m, shuffled->record_count);
		for (size_t i = 0; i < m; i++)
			order[i] = i;
		struct zone_contents *in_order = prop_build(canon, order, m);
		prop_assert_same(shuffled, in_order, "canonical order");
		for (size_t i = 0; i < m; i++)
			order[i] = m - 1 - i;
		struct zone_contents *reversed = prop_build(canon, order, m);
		prop_assert_same(shuffled, reversed, "reversed");
		for (size_t i = 0; i < m; i++)
			order[i] = i;
		for (unsigned k = 0; k < 3 && m > 1; k++) {
			size_t i = prng_next(&p) % (m - 1), t = order[i];
			order[i] = order[i + 1];
			order[i + 1] = t;
		}
		struct zone_contents *swapped = prop_build(canon, order, m);
		prop_assert_same(shuffled, swapped, "neighbours swapped");
		zone_contents_free(shuffled);
		zone_contents_free(in_order);
		zone_contents_free(reversed);
		zone_contents_free(swapped);
	}
}

/* An owner that comes back after others, in otherwise canonical order: sorted, not merged wrong. */
Test(builder, owner_repeated_out_of_run)
{
	struct capture c;
	struct zone_builder *b = base_builder(&c);
	add(b, "a.example.", DNS_T_A, 60, "\300\000\002\001", 4, 10);
	add(b, "b.example.", DNS_T_A, 60, "\300\000\002\002", 4, 11);
	add(b, "A.example.", DNS_T_TXT, 60, "\001x", 2, 12);
	add(b, "a.example.", DNS_T_A, 60, "\300\000\002\000", 4, 13);
	struct zone_contents *z = zone_builder_finish(b, &c.diag);
	cr_assert_not_null(z);
	cr_assert_eq(z->node_count, 4);
	cr_assert_str_eq(nt(z->nodes[1].owner), "a.example.");
	cr_assert_eq(z->nodes[1].rrset_count, 2);
	const struct zone_rrset *a = zone_node_rrset(&z->nodes[1], DNS_T_A);
	cr_assert_eq(a->count, 2);
	cr_assert_eq(memcmp(a->rdata, "\000\004\300\000\002\000\000\004\300\000\002\001", 12), 0);
	cr_assert_str_eq(nt(z->nodes[2].owner), "b.example.");
	zone_contents_free(z);
	zone_builder_free(b);
	capture_fini(&c);
}

/*
 * Within a run of one owner (the builder skips the owner's checks when the
 * octets repeat) every other check still applies, and a name that only
 * starts like the previous owner is checked in full.
 */
Test(builder, run_of_one_owner_still_checked)
{
	struct capture c;
	struct zone_builder *b = base_builder(&c);
	static const uint8_t longer[] = "\001h\007example\003org"; /* h.example. + "org" */
	add(b, "h.example.", DNS_T_A, 60, "\1\2\3\4", 4, 20);
	cr_assert_eq(zone_builder_add(b, wn("h.example."), DNS_T_A, DNS_C_CH, 60,
				      (const uint8_t *)"\1\2\3\4", 4, 21),
		     DP_EINVAL);
	cr_assert_eq(zone_builder_add(b, wn("h.example."), DNS_T_AXFR, DNS_C_IN, 60, NULL, 0, 22),
		     DP_EINVAL);
	cr_assert_eq(zone_builder_add(b, wn("h.example."), DNS_T_A, DNS_C_IN, 60,
				      (const uint8_t *)"\1\2\3", 3, 23),
		     DP_ERDATA);
	cr_assert_eq(zone_builder_add(b, longer, DNS_T_A, DNS_C_IN, 60, (const uint8_t *)"\1\2\3\4",
				      4, 24),
		     DP_EZONE);
	/* A bad name that shares the previous owner's first octets. */
	cr_assert_eq(zone_builder_add(b, (const uint8_t *)"\001h\007example\300\014", DNS_T_A,
				      DNS_C_IN, 60, (const uint8_t *)"\1\2\3\4", 4, 25),
		     DP_EINVAL);
	add(b, "H.EXAMPLE.", DNS_T_AAAA, 60, "0123456789abcdef", 16, 26);
	add(b, "H.EXAMPLE.", DNS_T_TXT, 60, "\001x", 2, 27);
	cr_assert_eq(c.n, 4);
	cr_assert_str_eq(c.lines[0], "t.zone:21: class CH not supported, only IN (h.example. A)");
	cr_assert_str_eq(c.lines[1],
			 "t.zone:22: meta type not allowed in a zone (h.example. AXFR)");
	cr_assert(strncmp(c.lines[2], "t.zone:23: bad rdata: ", 22) == 0);
	cr_assert_str_eq(c.lines[3], "t.zone:24: record outside the zone example. "
				     "(h.example.org. A)");
	cr_assert_eq(zone_builder_count(b), 6);
	zone_builder_free(b);
	capture_fini(&c);

	/* Without rejections: one node for the run, whatever the case. */
	b = base_builder(&c);
	add(b, "h.example.", DNS_T_A, 60, "\1\2\3\4", 4, 20);
	add(b, "H.example.", DNS_T_AAAA, 60, "0123456789abcdef", 16, 21);
	add(b, "H.example.", DNS_T_TXT, 60, "\001x", 2, 22);
	add(b, "h.example.", DNS_T_MX, 60, "\000\001\000", 3, 23);
	struct zone_contents *z = zone_builder_finish(b, &c.diag);
	cr_assert_not_null(z);
	cr_assert_eq(z->node_count, 3);
	const struct zone_node *h = zone_contents_find(z, wn("h.example."));
	cr_assert_not_null(h);
	cr_assert_eq(h->rrset_count, 4);
	zone_contents_free(z);
	zone_builder_free(b);
	capture_fini(&c);
}
