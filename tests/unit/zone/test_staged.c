/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The snapshot built in two stages (zone/snap.h): a first-stage snapshot
 * (zone_snap_build_index, no prepared answers) must answer byte for byte as
 * the reference resolver does on the whole build, in single queries and in
 * bursts; the second stage made from it while it is served
 * (zone_snap_prepare_copy) must answer byte for byte as zone_snap_build, and
 * must leave the first-stage snapshot untouched; either may be freed first.
 * The corpus: every name of the test zones, a name below each, a name beside
 * each, in mixed case, times common types, without EDNS, with EDNS and with
 * DO.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/edns.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "zone/answer.h"
#include "zone/check.h"
#include "zone/load.h"
#include "zonetest.h"

/* A query for name (presentation form); edns 0: none, 1: EDNS, 2: EDNS with DO. */
static size_t build_query(const char *name, uint16_t type, int edns, uint8_t *buf, size_t cap)
{
	uint8_t wire[DNS_NAME_MAXLEN];
	cr_assert_gt(dns_name_from_text(name, NULL, wire), 0, "bad name %s", name);
	return wire_query(wire, type, edns, buf, cap);
}

/* Queries in wire form. */
#define MAX_Q 6000
struct corpus {
	uint8_t q[MAX_Q][300];
	uint16_t len[MAX_Q];
	unsigned n;
};

static void add_names(struct corpus *c, const struct zone_contents *z)
{
	static const uint16_t types[] = { DNS_T_A,  DNS_T_AAAA, DNS_T_NS,  DNS_T_SOA,
					  DNS_T_MX, DNS_T_TXT,  DNS_T_CNAME, DNS_T_DS,
					  DNS_T_ANY };
	for (size_t i = 0; i < z->node_count; i++) {
		char text[DNS_NAME_MAXLEN * 4 + 8], name[sizeof(text) + 16];
		cr_assert_gt(dns_name_to_text(zone_contents_node(z, i)->owner, text, sizeof(text)),
			     0);
		for (int v = 0; v < 3; v++) {
			/* The name with its first letter in upper case; a name below it;
			 * a name beside it (its first label with "q" in front). */
			static const char *const pre[] = { "", "zZ.", "q" };
			snprintf(name, sizeof(name), "%s%s", pre[v], text);
			if (v == 0 && name[0] >= 'a' && name[0] <= 'z')
				name[0] = (char)(name[0] - 'a' + 'A');
			for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
				for (int e = 0; e < 3; e++) {
					if (c->n == MAX_Q)
						return;
					c->len[c->n] = (uint16_t)build_query(name, types[t], e,
									     c->q[c->n],
									     sizeof(c->q[0]));
					c->n++;
				}
			}
		}
	}
}

/* Answers every query of c from t (single queries, or bursts of up to 32); digests of each. */
static void answer_all(const struct zone_table *t, bool reference, bool burst,
		       const struct corpus *c, uint8_t (*out)[4096], uint16_t *outlen)
{
	struct answer_cfg cfg;
	zone_answer_cfg_init(&cfg);
	cfg.reference_only = reference;
	for (unsigned i = 0; i < c->n;) {
		unsigned k = burst ? (c->n - i < 32 ? c->n - i : 32) : 1;
		uint8_t *pkts[32];
		uint16_t lens[32];
		struct answer_info infos[32];
		for (unsigned j = 0; j < k; j++) {
			memcpy(out[i + j], c->q[i + j], c->len[i + j]);
			pkts[j] = out[i + j];
			lens[j] = c->len[i + j];
		}
		if (burst) {
			zone_answer_burst(t, &cfg, pkts, lens, 4096, false, infos, k);
		} else {
			lens[0] = (uint16_t)zone_answer(t, &cfg, pkts[0], lens[0], 4096, false,
							&infos[0]);
		}
		for (unsigned j = 0; j < k; j++)
			outlen[i + j] = lens[j];
		i += k;
	}
}

static uint8_t r_ref[MAX_Q][4096], r_idx[MAX_Q][4096], r_full[MAX_Q][4096], r_copy[MAX_Q][4096];
static uint16_t l_ref[MAX_Q], l_idx[MAX_Q], l_full[MAX_Q], l_copy[MAX_Q];
static struct corpus corpus;

static void expect_same(const char *what, uint8_t (*a)[4096], const uint16_t *la,
			uint8_t (*b)[4096], const uint16_t *lb, unsigned n)
{
	unsigned bad = 0;
	for (unsigned i = 0; i < n; i++)
		if (la[i] != lb[i] || memcmp(a[i], b[i], la[i]) != 0)
			bad++;
	cr_expect_eq(bad, 0, "%s: %u of %u responses differ", what, bad, n);
}

static struct zone_table *table_of(struct zone_snap *s)
{
	struct zone_snap *v[1] = { s };
	struct zone_table *t = zone_table_new(v, 1);
	cr_assert_not_null(t);
	return t;
}

static void staged(const char *origin, const char *file, bool signed_zone)
{
	struct zone_contents *z1 = load_data_zone(origin, file), *z2 = load_data_zone(origin, file);
	memset(&corpus, 0, sizeof(corpus));
	add_names(&corpus, z1);
	cr_assert_gt(corpus.n, 150); /* at least two names */

	struct zone_snap *full = zone_snap_build(z1);
	cr_assert_not_null(full);
	struct zone_snap *idx = zone_snap_build_index(z2);
	cr_assert_not_null(idx);
	cr_expect(!idx->hot_ready);
	struct zone_table *tfull = table_of(zone_snap_ref(full));
	struct zone_table *tidx = table_of(zone_snap_ref(idx));

	answer_all(tfull, true, false, &corpus, r_ref, l_ref);
	answer_all(tfull, false, false, &corpus, r_full, l_full);
	answer_all(tidx, false, false, &corpus, r_idx, l_idx);
	expect_same("first stage vs reference", r_ref, l_ref, r_idx, l_idx, corpus.n);
	answer_all(tidx, false, true, &corpus, r_idx, l_idx);
	expect_same("first stage in bursts vs reference", r_ref, l_ref, r_idx, l_idx, corpus.n);

	struct zone_snap *copy = zone_snap_prepare_copy(idx);
	if (signed_zone) {
		/* A signed zone is prepared in place before it is published. */
		cr_expect_null(copy);
		cr_assert_eq(zone_snap_prepare(idx), 0);
		cr_expect(idx->hot_ready);
		answer_all(tidx, false, true, &corpus, r_idx, l_idx);
		expect_same("signed, prepared in place vs full build", r_full, l_full, r_idx,
			    l_idx, corpus.n);
	} else {
		cr_assert_not_null(copy);
		cr_expect(copy->hot_ready && !idx->hot_ready);
		cr_expect_null(zone_snap_prepare_copy(copy), "a prepared snapshot is not copied");
		struct zone_table *tcopy = table_of(copy);
		answer_all(tcopy, false, true, &corpus, r_copy, l_copy);
		expect_same("second stage (copy) vs full build", r_full, l_full, r_copy, l_copy,
			    corpus.n);
		answer_all(tcopy, false, false, &corpus, r_copy, l_copy);
		expect_same("second stage, single queries", r_full, l_full, r_copy, l_copy,
			    corpus.n);
		/* The first stage is untouched by the copy's preparation. */
		answer_all(tidx, false, false, &corpus, r_idx, l_idx);
		expect_same("first stage after the copy", r_ref, l_ref, r_idx, l_idx, corpus.n);
		/* Either may go first: the contents are shared by reference. */
		zone_table_free(tidx);
		tidx = NULL;
		zone_snap_free(idx);
		idx = NULL;
		answer_all(tcopy, false, false, &corpus, r_copy, l_copy);
		expect_same("second stage after the first is freed", r_full, l_full, r_copy,
			    l_copy, corpus.n);
		zone_table_free(tcopy);
	}
	zone_table_free(tidx);
	zone_snap_free(idx);
	zone_table_free(tfull);
	zone_snap_free(full);
}

Test(staged, engine_zone)
{
	staged("example.", "engine.example.zone", false);
}

Test(staged, child_zone)
{
	staged("child.example.", "engine.child.zone", false);
}

Test(staged, signed_nsec3_zone)
{
	staged("n3.test.", "dnssec.n3.zone", true);
}

Test(staged, signed_nsec_zone)
{
	staged("nsec.test.", "dnssec.nsec.zone", true);
}

/* The copy frees its own pages: the first stage may be freed before it, or after. */
Test(staged, copy_freed_first)
{
	struct zone_snap *idx = zone_snap_build_index(load_data_zone("example.", "engine.example.zone"));
	cr_assert_not_null(idx);
	struct zone_snap *copy = zone_snap_prepare_copy(idx);
	cr_assert_not_null(copy);
	zone_snap_free(copy);
	struct zone_table *t = table_of(idx);
	uint8_t q[300], r[4096];
	size_t n = build_query("www.example.", DNS_T_A, 1, q, sizeof(q));
	memcpy(r, q, n);
	struct answer_cfg cfg;
	zone_answer_cfg_init(&cfg);
	struct answer_info info;
	size_t len = zone_answer(t, &cfg, r, n, sizeof(r), false, &info);
	cr_expect_gt(len, n);
	cr_expect_eq(info.rcode, DNS_R_NOERROR);
	cr_expect(info.slow, "the first stage answers with the reference resolver");
	zone_table_free(t);
}
