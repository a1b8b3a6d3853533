/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a 1-record IXFR costs once it has arrived: xfr_apply_changes (the new
 * contents, checked) plus zone_snap_update (the new snapshot), the work the
 * daemon's thread pool does between the transfer and publishing.  Loads the
 * zone, builds its snapshot, then applies RUNS successive changesets, each
 * replacing the A record of one name (a different name each run, spread
 * over the zone) and the SOA serial, each to the version the previous one
 * made (as a secondary does).  Each new version answers the changed name
 * with its new address (checked).  Prints per-stage medians and ranges
 * (wall clock, CLOCK_MONOTONIC), the full build of the same zone for
 * comparison, and the process's RSS.
 *
 * usage: ixfr_bench ORIGIN ZONEFILE [RUNS] [NAME-PREFIX]
 * (the names changed are NAME-PREFIX<k>.ORIGIN, default "h", k spread over
 * the names that exist: gen_zone.py's hI names).  IXFR_BENCH_STAGED=1 in the
 * environment builds the snapshot in two stages as dpdnsd does for a large
 * AXFR (zone_snap_build_index, then zone_snap_prepare_copy).  IXFR_BENCH_COLD=MB
 * writes MB megabytes of other memory before each run (cold caches, as in the daemon).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/errcode.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "xfr/apply.h"
#include "zone/answer.h"
#include "zone/load.h"
#include "zone/snap.h"

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void stats(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), dcmp);
	printf("%-28s median %8.3f ms   min %8.3f   max %8.3f   (%d runs)\n", what, v[n / 2], v[0],
	       v[n - 1], n);
}

/* The SOA of z with serial set to serial, as an RR. */
static struct dns_rr soa_with(const struct zone_contents *z, uint32_t serial)
{
	struct dns_rr rr;
	static uint8_t rd[2][1024];
	static unsigned k;
	memset(&rr, 0, sizeof(rr));
	const struct zone_rrset *soa = zone_node_rrset(zone_contents_apex(z), DNS_T_SOA);
	size_t len = zone_rr_len(soa->rdata);
	uint8_t *b = rd[k++ % 2];
	memcpy(b, zone_rr_data(soa->rdata), len);
	size_t off = dns_name_len(b);
	off += dns_name_len(b + off);
	dns_put_u16(b + off, (uint16_t)(serial >> 16));
	dns_put_u16(b + off + 2, (uint16_t)serial);
	rr.owner_len = (uint16_t)dns_name_len(z->origin);
	memcpy(rr.owner, z->origin, rr.owner_len);
	rr.type = DNS_T_SOA;
	rr.rclass = DNS_C_IN;
	rr.ttl = soa->ttl;
	rr.rdata = b;
	rr.rdlen = (uint16_t)len;
	return rr;
}

/* The answer to "name A" from s, into out; returns its length. */
static size_t ask(struct zone_snap *s, const uint8_t *name, uint8_t *out, size_t cap)
{
	struct dns_wr w;
	dns_wr_init(&w, out, cap);
	struct dns_hdr h = { 1, 0, 1, 0, 0, 0 };
	dns_hdr_write(&w, &h);
	dns_wr_bytes(&w, name, dns_name_len(name));
	dns_wr_u16(&w, DNS_T_A);
	dns_wr_u16(&w, DNS_C_IN);
	struct zone_snap *arr[1] = { zone_snap_ref(s) };
	struct zone_table *t = zone_table_new(arr, 1);
	struct answer_cfg cfg;
	zone_answer_cfg_init(&cfg);
	struct answer_info info;
	size_t n = t ? zone_answer(t, &cfg, out, w.pos, cap, false, &info) : 0;
	zone_table_free(t);
	return n;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s ORIGIN ZONEFILE [RUNS] [NAME-PREFIX]\n", argv[0]);
		return 2;
	}
	int runs = argc > 3 ? atoi(argv[3]) : 21;
	const char *prefix = argc > 4 ? argv[4] : "h";
	if (runs < 1 || runs > 100000)
		return 2;
	struct zone_diag d;
	zone_diag_init(&d, NULL, NULL);
	double t0 = now_ms();
	struct zone_contents *z = zone_load_file(argv[2], argv[1], &d);
	if (!z)
		return 1;
	double t1 = now_ms();
	/* IXFR_BENCH_STAGED=1: built as dpdnsd builds a large AXFR, in two stages (the index, then
	 * the prepared copy of it), so that the first IXFR applies to what the daemon serves. */
	const char *staged = getenv("IXFR_BENCH_STAGED");
	struct zone_snap *s;
	if (staged && strcmp(staged, "1") == 0) {
		struct zone_snap *first = zone_snap_build_index(z);
		s = first ? zone_snap_prepare_copy(first) : NULL;
		zone_snap_free(first);
	} else {
		s = zone_snap_build(z);
	}
	if (!s)
		return 1;
	double t2 = now_ms();
	size_t names = s->z->node_count;
	printf("zone %s: %zu names, %zu records; load %.0f ms, snapshot build %.0f ms; RSS %ld MB\n",
	       argv[1], names, s->z->record_count, t1 - t0, t2 - t1, rss_kb() / 1024);

	double *ta = calloc((size_t)runs, sizeof(double)),
	       *tb = calloc((size_t)runs, sizeof(double));
	double *tt = calloc((size_t)runs, sizeof(double));
	int incremental = 0;
	long rss_max = 0;
	if (!ta || !tb || !tt)
		return 1;
	/* IXFR_BENCH_COLD=MB: before each run, write MB megabytes elsewhere, so that the run finds
	 * the caches as the daemon does (its slow-path thread applies a change after the workers
	 * and other processes have had the CPU caches for seconds). */
	const char *cold_env = getenv("IXFR_BENCH_COLD");
	size_t cold_len = cold_env ? (size_t)strtoul(cold_env, NULL, 10) << 20 : 0;
	uint8_t *cold = cold_len ? malloc(cold_len) : NULL;
	for (int r = 0; r < runs; r++) {
		/* The name to change: spread over the zone, one that has an A record. */
		char text[300];
		uint8_t name[DNS_NAME_MAXLEN];
		const struct zone_node *n = NULL;
		for (long k = (long)(((unsigned long)r * 7919 + 500000) % (names ? names : 1)); !n;
		     k = k / 2) {
			snprintf(text, sizeof(text), "%s%ld.%s%s", prefix, k, argv[1],
				 argv[1][strlen(argv[1]) - 1] == '.' ? "" : ".");
			if (dns_name_from_text(text, NULL, name) > 0)
				n = zone_contents_find(s->z, name);
			if (k == 0 && !n) {
				fprintf(stderr, "no name %s<k>.%s with an A record\n", prefix,
					argv[1]);
				return 1;
			}
		}
		const struct zone_rrset *a = zone_node_rrset(n, DNS_T_A);
		if (!a) {
			fprintf(stderr, "%s has no A record\n", text);
			return 1;
		}
		struct dns_rr from = soa_with(s->z, s->serial), to = soa_with(s->z, s->serial + 1);
		struct xfr_changeset *cs = xfr_changeset_new(&from);
		if (!cs || xfr_changeset_set_to(cs, &to) < 0)
			return 1;
		struct dns_rr old = { .owner_len = (uint16_t)dns_name_len(n->owner),
				      .type = DNS_T_A,
				      .rclass = DNS_C_IN,
				      .ttl = a->ttl,
				      .rdlen = 4,
				      .rdata = zone_rr_data(a->rdata) };
		memcpy(old.owner, n->owner, old.owner_len);
		uint8_t addr[4];
		memcpy(addr, zone_rr_data(a->rdata), 4);
		addr[0] = (uint8_t)(addr[0] ^ 0x80);
		struct dns_rr neu = old;
		neu.rdata = addr;
		if (xfr_changeset_add(cs, 0, &old) < 0 || xfr_changeset_add(cs, 1, &neu) < 0)
			return 1;

		if (cold)
			memset(cold, r & 0xff, cold_len); /* evict what the previous run left in the caches */
		double a0 = now_ms();
		struct zone_contents *nz = NULL;
		struct zone_changes chg;
		int rc = xfr_apply_changes(s->z, cs, "bench", &d, &nz, &chg);
		double a1 = now_ms();
		if (rc < 0) {
			fprintf(stderr, "apply: %s\n", dp_strerror(rc));
			return 1;
		}
		int err = 0;
		struct zone_snap *ns = chg.full ? NULL : zone_snap_update(s, nz, &chg, &err);
		if (ns)
			incremental++;
		else
			ns = zone_snap_build(nz);
		double a2 = now_ms();
		zone_changes_free(&chg);
		xfr_changeset_list_free(cs);
		if (!ns)
			return 1;
		/* The new version answers the changed name with the new address. */
		uint8_t resp[4096];
		size_t len = ask(ns, name, resp, sizeof(resp));
		if (len < 4 || memcmp(resp + len - 4, addr, 4) != 0) {
			fprintf(stderr, "run %d: %s does not answer the new address\n", r, text);
			return 1;
		}
		zone_snap_free(s); /* the old version goes, as after publishing */
		s = ns;
		ta[r] = a1 - a0;
		tb[r] = a2 - a1;
		tt[r] = a2 - a0;
		long kb = rss_kb();
		if (kb > rss_max)
			rss_max = kb;
	}
	printf("1-record IXFR, %d successive runs (%d incremental); the first: apply %.3f ms, "
	       "snapshot %.3f ms\n",
	       runs, incremental, ta[0], tb[0]);
	stats("xfr_apply_changes", ta, runs);
	stats("zone_snap_update", tb, runs);
	stats("apply + snapshot", tt, runs);
	printf("RSS after the runs %ld MB (largest seen %ld MB)\n", rss_kb() / 1024,
	       rss_max / 1024);
	zone_snap_free(s);
	free(ta);
	free(tb);
	free(tt);
	free(cold);
	return 0;
}
