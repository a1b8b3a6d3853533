/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zone_snap_build on several threads (zone_snap_set_build_threads) against
 * one thread.  A generated zone holds the structures whose answers reach
 * across names — delegations with glue and names below them, CNAME chains
 * (in the zone, out of it, to nothing, in loops), wildcards (also CNAME
 * ones), DNAMEs, empty non-terminals, MX/SRV targets — and names whose
 * answers go to the reference resolver (over 64 types, a block too large,
 * an answer over 64 KiB), spread over the whole node order so that every
 * thread's range gets some.  Built with 1, 2 and 3 threads, every query of
 * a corpus must be answered byte for byte the same, and every name must have
 * the same flags and block size; so must the signed test zones (DO queries
 * included).  A multi-threaded build must also serve as the base of an
 * incremental update (zone_snap_update), whose answers must equal a full
 * build's: that needs the dependency index the threads collected.
 */
#include <criterion/criterion.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/edns.h"
#include "dns/errcode.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "zone/answer.h"
#include "zone/builder.h"
#include "zone/contents.h"
#include "zone/load.h"
#include "zone/snap.h"
#include "zonetest.h"

#define ORIGIN "par.test."

/* ---- zone text ---- */

struct text {
	char *buf;
	size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		cr_assert_geq(n, 0);
		if (t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		t->cap = t->cap ? t->cap * 2 : 1 << 16;
		t->buf = realloc(t->buf, t->cap);
		cr_assert_not_null(t->buf);
	}
}

/* A name whose answers go to the reference resolver in three ways, under label l. */
static void slow_names(struct text *t, const char *l)
{
	/* Over 64 types: more answers than a hot block's table holds. */
	for (unsigned k = 0; k < 70; k++)
		put(t, "many-%s TYPE%u \\# 2 %04x\n", l, 65280 + k, k);
	/* Six RRsets of ~50 KiB: each answer fits, the block (over 256 KiB) does not. */
	for (unsigned k = 0; k < 6; k++)
		for (unsigned r = 0; r < 100; r++) {
			put(t, "big-%s TYPE%u \\# 500 %04x", l, 65300 + k, r);
			for (unsigned b = 2; b < 500; b++)
				put(t, "%02x", (b * 7 + r + k) & 0xff);
			put(t, "\n");
		}
	/* An answer over 64 KiB: cannot be prepared at all. */
	for (unsigned r = 0; r < 140; r++) {
		put(t, "huge-%s TYPE65400 \\# 500 %04x", l, r);
		for (unsigned b = 2; b < 500; b++)
			put(t, "%02x", (b + r) & 0xff);
		put(t, "\n");
	}
	/* A CNAME loop. */
	put(t, "loop1-%s CNAME loop2-%s\nloop2-%s CNAME loop1-%s\n", l, l, l, l);
}

/*
 * The zone of n groups; serial and a variant: variant 1 changes a glue
 * address, an MX target's address, a CNAME chain's end and a wildcard's
 * data in every tenth group (the names other names' answers read).
 */
static char *zone_text(unsigned n, uint32_t serial, int variant)
{
	struct text t = { 0 };
	put(&t, "$ORIGIN " ORIGIN "\n$TTL 300\n@ SOA ns1 host %u 3600 600 86400 300\n", serial);
	put(&t, "@ NS ns1\n@ NS ns2.elsewhere.example.\nns1 A 198.18.0.1\n@ MX 10 h0\n");
	slow_names(&t, "aaa");
	slow_names(&t, "mmm");
	slow_names(&t, "zzz");
	for (unsigned i = 0; i < n; i++) {
		unsigned j = (i * 13 + 7) % n, v = variant && i % 10 == 3 ? 200 : 0;
		put(&t, "h%u A 198.18.%u.%u\n", i, (i >> 8) & 0xff, (i + v) & 0xff);
		if (i % 3 == 0)
			put(&t, "h%u AAAA 2001:db8::%x\nh%u TXT \"text %u\"\n", i, i, i, i);
		if (i % 7 == 0)
			put(&t, "c%u CNAME k%u\nk%u CNAME h%u\n", i, i, i, j);
		if (i % 7 == 1)
			put(&t, "c%u CNAME nowhere%u\n", i, i);
		if (i % 7 == 2)
			put(&t, "c%u CNAME www.example.org.\n", i);
		if (i % 11 == 0)
			put(&t, "m%u MX 10 h%u\nm%u MX 20 ns.d%u\n_s._tcp.m%u SRV 0 0 53 h%u\n", i,
			    j, i, (j / 13) * 13, i, (j + 1) % n);
		if (i % 13 == 0) {
			put(&t, "d%u NS ns.d%u\nd%u NS h%u\nns.d%u A 198.19.%u.%u\n", i, i, i, j, i,
			    (i >> 8) & 0xff, (i + v) & 0xff);
			put(&t, "x.y.d%u A 198.19.0.1\n", i);
			if (i % 2)
				put(&t, "d%u DS 1 13 2 %064x\n", i, i);
		}
		if (i % 17 == 0) {
			put(&t, "*.w%u A 198.18.1.%u\n*.w%u MX 10 h%u\n", i, (i + v) % 250, i, j);
			put(&t, "real.w%u TXT \"not wild\"\n", i);
			if (i % 2)
				put(&t, "*.cw%u CNAME h%u\n", i, j);
		}
		if (i % 19 == 0)
			put(&t, "a.b.e%u TXT \"below two empty non-terminals\"\n", i);
		if (i % 23 == 0)
			put(&t, "dn%u DNAME h%u." ORIGIN "\n", i, j);
		if (i % 29 == 0)
			put(&t, "dx%u DNAME example.net.\n", i);
	}
	return t.buf;
}

static void show_diag(void *ctx, enum zone_diag_level level, const char *line)
{
	(void)ctx;
	if (level == ZONE_DIAG_ERROR)
		fprintf(stderr, "diag: %s\n", line);
}

static struct zone_contents *load_text(const char *text)
{
	struct zone_diag d;
	zone_diag_init(&d, show_diag, NULL);
	struct zone_contents *z = zone_load_string(text, strlen(text), ORIGIN, ORIGIN, &d);
	cr_assert_not_null(z, "the generated zone does not load");
	return z;
}

static struct zone_snap *build_with(struct zone_contents *z, unsigned threads)
{
	zone_snap_set_build_threads(threads);
	struct zone_snap *s = zone_snap_build(z);
	zone_snap_set_build_threads(0);
	cr_assert_not_null(s, "build on %u threads failed", threads);
	return s;
}

/* ---- the query corpus ---- */

static const uint16_t qtypes[] = { DNS_T_A,	DNS_T_AAAA,  DNS_T_NS,	DNS_T_SOA, DNS_T_MX,
				   DNS_T_TXT,	DNS_T_CNAME, DNS_T_SRV, DNS_T_DS,  DNS_T_ANY,
				   DNS_T_DNAME, 65280,	     65301,	DNS_T_NSEC };

static struct answer_cfg cfg;

/*
 * Asks every table the corpus for zone z's names (each owner, a name below
 * it, and a name beside it that does not exist, every type, the EDNS
 * variants in turn) and requires the same response and answer_info from
 * all.  Returns the number of queries.
 */
static unsigned compare_tables(struct zone_table **t, unsigned nt, const struct zone_contents *z,
			       const char *what)
{
	static uint8_t q[3][65536], ask[512];
	unsigned asked = 0, slow = 0;
	for (size_t i = 0; i < z->node_count; i++) {
		const uint8_t *owner = zone_contents_node(z, i)->owner;
		size_t olen = dns_name_len(owner);
		uint8_t names[3][DNS_NAME_MAXLEN];
		cr_assert(olen + 4 <= DNS_NAME_MAXLEN && owner[0] > 0 && owner[0] < 63);
		memcpy(names[0], owner, olen);
		/* A name below it. */
		memcpy(names[1], "\3qqq", 4);
		memcpy(names[1] + 4, owner, olen);
		/* The first label with one more character: a sibling that is not there. */
		memcpy(names[2], owner, olen);
		names[2][0]++;
		memmove(names[2] + 2 + owner[0], owner + 1 + owner[0], olen - 1 - owner[0]);
		names[2][1 + owner[0]] = 'q';
		for (unsigned k = 0; k < 3; k++) {
			const uint8_t *name = names[k];
			for (size_t ty = 0; ty < sizeof(qtypes) / sizeof(qtypes[0]); ty++) {
				int edns = (int)((i + k + ty) % 3);
				size_t ql = wire_query(name, qtypes[ty], edns, ask, sizeof(ask));
				size_t len[3];
				struct answer_info info[3];
				for (unsigned j = 0; j < nt; j++) {
					memcpy(q[j], ask, ql);
					len[j] = zone_answer(t[j], &cfg, q[j], ql, sizeof(q[j]),
							     false, &info[j]);
				}
				for (unsigned j = 1; j < nt; j++) {
					cr_assert(
						len[j] == len[0] && memcmp(q[j], q[0], len[0]) == 0,
						"%s: query %zu/%u type %u edns %d: table %u answers "
						"%zu octets, table 0 %zu",
						what, i, k, qtypes[ty], edns, j, len[j], len[0]);
					cr_assert(info[j].drop == info[0].drop &&
							  info[j].rcode == info[0].rcode &&
							  info[j].tc == info[0].tc &&
							  info[j].slow == info[0].slow &&
							  info[j].qtype == info[0].qtype,
						  "%s: query %zu/%u type %u: answer_info differs",
						  what, i, k, qtypes[ty]);
				}
				slow += info[0].slow;
				asked++;
			}
		}
	}
	cr_assert_gt(slow, 0, "%s: no query went to the reference resolver", what);
	return asked;
}

/* Same names, flags (SLOW included) and block sizes in a and b. */
static unsigned compare_nodes(const struct zone_snap *a, const struct zone_snap *b,
			      const char *what)
{
	unsigned slow = 0;
	cr_assert_eq(a->nnodes, b->nnodes, "%s: node counts differ", what);
	for (uint32_t i = 0; i < a->nnodes; i++) {
		const struct snap_node *x = zone_snap_node(a, i), *y = zone_snap_node(b, i);
		cr_assert(dns_name_eq(x->owner, y->owner), "%s: node %u owners differ", what, i);
		cr_assert_eq(x->flags, y->flags, "%s: flags of node %u differ", what, i);
		cr_assert_eq(x->hot_lines, y->hot_lines, "%s: lines of node %u differ", what, i);
		cr_assert_eq(x->hot == SNAP_NONE, y->hot == SNAP_NONE, "%s: node %u", what, i);
		slow += (x->flags & SNAP_N_SLOW) != 0;
	}
	return slow;
}

/* Builds z's copies on 1, 2 and 3 threads and compares them; returns the queries asked. */
static unsigned check_threads(struct zone_contents *(*make)(void *), void *arg, const char *what,
			      unsigned min_slow)
{
	struct zone_snap *s[3];
	struct zone_table *t[3];
	for (unsigned k = 0; k < 3; k++) {
		s[k] = build_with(make(arg), k + 1);
		struct zone_snap *one[1] = { zone_snap_ref(s[k]) };
		t[k] = zone_table_new(one, 1);
		cr_assert_not_null(t[k]);
	}
	for (unsigned k = 1; k < 3; k++) {
		unsigned slow = compare_nodes(s[0], s[k], what);
		cr_assert_geq(slow, min_slow, "%s: %u names go slow, expected %u or more", what,
			      slow, min_slow);
	}
	unsigned asked = compare_tables(t, 3, s[0]->z, what);
	for (unsigned k = 0; k < 3; k++) {
		zone_table_free(t[k]);
		zone_snap_free(s[k]);
	}
	return asked;
}

static struct zone_contents *make_generated(void *arg)
{
	return load_text(arg);
}

static void setup(void)
{
	zone_answer_cfg_init(&cfg);
}

TestSuite(snap, .init = setup);

Test(snap, threads_answer_as_one, .timeout = 300)
{
	char *text = zone_text(1500, 1, 0);
	/* Each of the 3 x 3 slow names (loops: two each) goes slow whatever the count. */
	unsigned asked = check_threads(make_generated, text, "generated zone", 12);
	cr_assert_gt(asked, 100000);
	free(text);
}

Test(snap, more_threads_than_names)
{
	static const char text[] =
		"$ORIGIN " ORIGIN "\n$TTL 300\n@ SOA ns1 host 1 3600 600 86400 300\n"
		"@ NS ns1\nns1 A 198.18.0.1\na.b.c A 198.18.0.2\n";
	struct zone_snap *one = build_with(load_text(text), 1);
	struct zone_snap *many = build_with(load_text(text), 8);
	compare_nodes(one, many, "small zone");
	struct zone_snap *sa[1] = { one }, *sb[1] = { many };
	struct zone_table *t[2] = { zone_table_new(sa, 1), zone_table_new(sb, 1) };
	cr_assert(t[0] && t[1]);
	uint8_t qa[512], qb[512];
	size_t ql = wire_query((const uint8_t *)"\1a\1b\1c\3par\4test", DNS_T_A, 1, qa, sizeof(qa));
	memcpy(qb, qa, ql);
	struct answer_info ia, ib;
	size_t la = zone_answer(t[0], &cfg, qa, ql, sizeof(qa), false, &ia);
	size_t lb = zone_answer(t[1], &cfg, qb, ql, sizeof(qb), false, &ib);
	cr_assert(la > ql && la == lb && memcmp(qa, qb, la) == 0);
	cr_assert_eq(ia.rcode, DNS_R_NOERROR);
	zone_table_free(t[0]);
	zone_table_free(t[1]);
}

/* The process's mapped address space (VmSize), in KiB. */
static long vm_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	cr_assert_not_null(f);
	char line[256];
	long kib = -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %ld kB", &kib) == 1)
			break;
	fclose(f);
	cr_assert_gt(kib, 0);
	return kib;
}

/*
 * The arena is built in mappings that grow and are joined by moving pages:
 * freeing the snapshot must unmap all of it.  A leak would be at least
 * 2 MiB per build (every mapping is a multiple of 2 MiB).
 */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

Test(snap, builds_leave_no_mapping_behind, .timeout = 300)
{
#ifdef UNDER_ASAN
	/* ASan's allocator keeps freed memory mapped (quarantine): VmSize says nothing. */
	cr_skip_test("VmSize is not meaningful under AddressSanitizer");
#endif
	/* One malloc arena for every thread: glibc maps a 64 MiB arena for a new
	 * thread whenever it likes (up to 8 per CPU), which VmSize would count. */
	mallopt(M_ARENA_MAX, 1);
	char *text = zone_text(1500, 1, 0);
	for (unsigned round = 0; round < 2; round++) /* warm-up: the heap's own growth */
		for (unsigned k = 1; k <= 3; k++)
			zone_snap_free(build_with(load_text(text), k));
	long before = vm_kib();
	for (unsigned round = 0; round < 8; round++)
		for (unsigned k = 1; k <= 3; k++)
			zone_snap_free(build_with(load_text(text), k));
	long after = vm_kib();
	free(text);
	cr_assert_lt(after - before, 8192, "VmSize grew by %ld KiB over 24 builds", after - before);
}

/* ---- signed zones ---- */

static struct zone_contents *make_file(void *arg)
{
	const char *const *f = arg;
	return load_data_zone(f[0], f[1]);
}

Test(snap, signed_zones_threads_answer_as_one)
{
	static const char *const files[][2] = { { "nsec.test.", "dnssec.nsec.zone" },
						{ "n3.test.", "dnssec.n3.zone" },
						{ "n3oo.test.", "dnssec.n3oo.zone" } };
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct zone_snap *s = build_with(make_file((void *)files[f]), 2);
		cr_assert_not_null(s->dnssec, "%s: not seen as signed", files[f][1]);
		zone_snap_free(s);
		/* (Wildcard names' DO answers go to the resolver: some slow queries.) */
		cr_assert_gt(check_threads(make_file, (void *)files[f], files[f][1], 0), 300);
	}
}

/* ---- an incremental update on a multi-threaded build ---- */

/* The delta holding the whole new nodes of every owner whose records differ in a and b. */
static struct zone_contents *delta_of(const struct zone_contents *a, const struct zone_contents *b,
				      const uint8_t ***names, size_t *n)
{
	struct zone_builder *bld = zone_builder_new(b->origin);
	cr_assert_not_null(bld);
	cr_assert_eq(zone_builder_set_source(bld, "delta", NULL), 0);
	cr_assert_eq(a->node_count, b->node_count, "the variant must keep the names");
	*names = calloc(b->node_count, sizeof(**names));
	*n = 0;
	for (size_t i = 0; i < b->node_count; i++) {
		const struct zone_node *x = zone_contents_node(a, i), *y = zone_contents_node(b, i);
		cr_assert(dns_name_eq(x->owner, y->owner));
		bool same = x->rrset_count == y->rrset_count;
		for (unsigned r = 0; same && r < y->rrset_count; r++)
			same = x->rrsets[r].type == y->rrsets[r].type &&
			       x->rrsets[r].size == y->rrsets[r].size &&
			       memcmp(x->rrsets[r].rdata, y->rrsets[r].rdata, y->rrsets[r].size) ==
				       0;
		if (same)
			continue;
		(*names)[(*n)++] = y->owner;
		for (unsigned r = 0; r < y->rrset_count; r++) {
			const struct zone_rrset *rs = &y->rrsets[r];
			const uint8_t *rr = rs->rdata;
			for (uint32_t k = 0; k < rs->count; k++, rr = zone_rr_next(rr))
				cr_assert_eq(zone_builder_add(bld, y->owner, rs->type, DNS_C_IN,
							      rs->ttl, zone_rr_data(rr),
							      zone_rr_len(rr), 0),
					     0);
		}
	}
	struct zone_diag d;
	zone_diag_init(&d, NULL, NULL);
	struct zone_contents *delta = zone_builder_finish_part(bld, &d);
	zone_builder_free(bld);
	cr_assert_not_null(delta);
	return delta;
}

/* The answers of a and b (each in a table of its own) compared over the names of z; the queries asked. */
static unsigned compare_snaps(struct zone_snap *a, struct zone_snap *b, const struct zone_contents *z,
			      const char *what)
{
	struct zone_snap *sa[1] = { zone_snap_ref(a) }, *sb[1] = { zone_snap_ref(b) };
	struct zone_table *t[2] = { zone_table_new(sa, 1), zone_table_new(sb, 1) };
	cr_assert(t[0] && t[1]);
	unsigned asked = compare_tables(t, 2, z, what);
	zone_table_free(t[0]);
	zone_table_free(t[1]);
	return asked;
}

/* base updated (zone_snap_update) to the contents of want; *nnames: the names that differ. */
static struct zone_snap *update_to(struct zone_snap *base, const struct zone_contents *want,
				   size_t *nnames)
{
	const uint8_t **names;
	struct zone_contents *delta = delta_of(base->z, want, &names, nnames);
	free(names);
	struct zone_contents *next = NULL;
	struct zone_changes chg = { 0 };
	cr_assert_eq(zone_contents_patch(base->z, delta, NULL, 0, &next, &chg), 0);
	zone_contents_free(delta);
	int err = 0;
	struct zone_snap *upd = zone_snap_update(base, next, &chg, &err);
	cr_assert_not_null(upd, "the update was refused: %s", dp_strerror(err));
	zone_changes_free(&chg);
	return upd;
}

Test(snap, update_of_threaded_build, .timeout = 300)
{
	char *t0 = zone_text(1500, 1, 0), *t1 = zone_text(1500, 2, 1);
	struct zone_snap *base = build_with(load_text(t0), 3);
	struct zone_contents *want = load_text(t1);
	size_t nnames;
	struct zone_snap *upd = update_to(base, want, &nnames);
	cr_assert_gt(nnames, 100, "the variant changes %zu names", nnames);
	struct zone_snap *full = build_with(want, 1);
	cr_assert_gt(compare_snaps(upd, full, full->z, "update vs full build"), 100000);
	zone_snap_free(upd);
	zone_snap_free(full);
	zone_snap_free(base);
	free(t0);
	free(t1);
}

/*
 * Copy on write per 64 KiB page of buckets: a change to one name makes the
 * new version copy only the pages it writes (the name's bucket and those of
 * the few names whose answers read it) and share every other page
 * with the old one, and every page lies page-aligned in the pool's 2 MiB
 * chunks (snap.h).  The new version answers as a full build of the new
 * contents does, and the old one still as before.
 */
Test(snap, update_copies_only_the_pages_it_writes, .timeout = 300)
{
	char *t0 = zone_text(4000, 1, 0);
	char *t1 = strdup(t0);
	char *at = strstr(t1, "\nh1234 A 198.18.4.210\n");
	cr_assert_not_null(at);
	memcpy(at + 1, "h1234 A 198.18.4.211", 20);
	struct zone_snap *base = build_with(load_text(t0), 1);
	struct zone_contents *want = load_text(t1);
	size_t nnames;
	struct zone_snap *upd = update_to(base, want, &nnames);
	cr_assert_eq(nnames, 1);

	uint32_t npages = (base->hmask + 1) >> SNAP_HPAGE_SHIFT, copied = 0;
	cr_assert_geq(npages, 4, "the table has %u pages", npages);
	cr_assert_eq(upd->hmask, base->hmask);
	for (uint32_t p = 0; p < npages; p++) {
		cr_assert_eq((uintptr_t)upd->hpages[p] % SNAP_BPAGE_BYTES, 0);
		cr_assert_eq((uintptr_t)base->hpages[p] % SNAP_BPAGE_BYTES, 0);
		bool shared = upd->hpages[p] == base->hpages[p];
		bool differs = !shared &&
			       memcmp(upd->hpages[p], base->hpages[p], SNAP_BPAGE_BYTES) != 0;
		cr_assert(shared || differs, "page %u copied but not written", p);
		copied += !shared;
	}
	/* The name's own bucket, and those of the names whose answers read it (CNAME, MX). */
	cr_assert(copied >= 1 && copied <= 4, "%u of %u pages copied", copied, npages);

	struct zone_snap *full = build_with(want, 1);
	cr_assert_gt(compare_snaps(upd, full, full->z, "update vs full build"), 10000);
	struct zone_snap *old = build_with(load_text(t0), 1);
	cr_assert_gt(compare_snaps(base, old, old->z, "old version vs its full build"), 10000);
	zone_snap_free(upd);
	zone_snap_free(full);
	zone_snap_free(old);
	zone_snap_free(base);
	free(t0);
	free(t1);
}
