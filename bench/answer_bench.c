/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * answer_bench: the answer engine on one core, no network.
 *
 *   answer_bench ORIGIN ZONEFILE QUERYFILE [RUNS [MODE]]
 *
 * MODE "all" (default): loads the zone (timing the load, the snapshot
 * build and its first stage, the index, and measuring resident memory),
 * turns the query file
 * ("NAME TYPE EDNS" per line; EDNS 0: none, 1: EDNS, 2: EDNS with DO)
 * into wire queries, then answers all of them RUNS times (default 7) in
 * bursts of 32 (as the fastpath does), RUNS times one at a time, and RUNS
 * times with the reference resolver only, and prints the median ns/query
 * of each, queries/s, and the mix of rcodes.
 * "burst": only the burst runs (median and fastest); with RUNS 1 under
 * callgrind (valgrind --tool=callgrind --toggle-collect=zone_answer_burst)
 * it counts instructions per query, which unlike the clock does not depend
 * on what else the machine is doing.  "digest": no timing, one FNV-1a
 * digest over every response (bytes and answer_info) in bursts and one at
 * a time, so that two builds can be shown to answer byte for byte the same.
 * Times are thread CPU time (see cpu_s).  Each query is copied into the
 * packet buffer before it is answered, as the fastpath answers in place in
 * the received buffer.
 * Output is "key: value" lines that scripts/bench-answer.sh collects.
 * ANSWER_BENCH_THREADS=N in the environment builds the snapshot on N threads
 * (zone_snap_set_build_threads; default: automatic).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/edns.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "zone/answer.h"
#include "zone/check.h"
#include "zone/load.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * CPU time of this thread: on a shared 2-core VM the wall clock also counts
 * the time other processes held the core; CPU time does not.
 */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Resident set size in bytes, from /proc/self/statm. */
static size_t rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size, res = 0;
	if (f) {
		if (fscanf(f, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * 4096;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct qset {
	uint8_t *wire;     /* queries back to back */
	uint32_t *off;
	uint16_t *len;
	size_t n;
};

static int load_queries(const char *path, struct qset *qs)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t cap = 1024;
	qs->wire = malloc(cap * 64);
	qs->off = malloc(cap * sizeof(*qs->off));
	qs->len = malloc(cap * sizeof(*qs->len));
	size_t used = 0;
	char name[300], type[16];
	int edns;
	while (fscanf(f, "%299s %15s %d", name, type, &edns) == 3) {
		if (qs->n == cap) {
			cap *= 2;
			qs->wire = realloc(qs->wire, cap * 64);
			qs->off = realloc(qs->off, cap * sizeof(*qs->off));
			qs->len = realloc(qs->len, cap * sizeof(*qs->len));
		}
		if (!qs->wire || !qs->off || !qs->len)
			return -1;
		uint8_t buf[512];
		struct dns_wr w;
		dns_wr_init(&w, buf, sizeof(buf));
		struct dns_hdr h = { (uint16_t)qs->n, 0, 1, 0, 0, edns ? 1 : 0 };
		dns_hdr_write(&w, &h);
		struct dns_question q;
		int n = dns_name_from_text(name, NULL, q.name);
		int t = dns_rrtype_from_text(type);
		if (n < 0 || t < 0)
			return -1;
		q.name_len = (uint16_t)n;
		q.qtype = (uint16_t)t;
		q.qclass = DNS_C_IN;
		dns_question_write(&w, &q, NULL);
		if (edns)
			dns_edns_write(&w, 1232, 0, edns == 2 ? DNS_EDNS_DO : 0, NULL, 0);
		if (w.err || used + w.pos > cap * 64)
			return -1;
		memcpy(qs->wire + used, buf, w.pos);
		qs->off[qs->n] = (uint32_t)used;
		qs->len[qs->n] = (uint16_t)w.pos;
		used += w.pos;
		qs->n++;
	}
	fclose(f);
	return qs->n ? 0 : -1;
}

/* One pass in bursts of ANSWER_BURST_MAX, as the fastpath calls the engine. */
static double run_burst(const struct zone_table *t, const struct answer_cfg *cfg,
			const struct qset *qs)
{
	static uint8_t bufs[ANSWER_BURST_MAX][2048];
	uint8_t *pkts[ANSWER_BURST_MAX];
	uint16_t lens[ANSWER_BURST_MAX];
	struct answer_info infos[ANSWER_BURST_MAX];
	for (unsigned i = 0; i < ANSWER_BURST_MAX; i++)
		pkts[i] = bufs[i];
	double t0 = cpu_s();
	size_t total = 0;
	for (size_t i = 0; i < qs->n; i += ANSWER_BURST_MAX) {
		unsigned n = qs->n - i < ANSWER_BURST_MAX ? (unsigned)(qs->n - i) : ANSWER_BURST_MAX;
		for (unsigned k = 0; k < n; k++) {
			memcpy(bufs[k], qs->wire + qs->off[i + k], qs->len[i + k]);
			lens[k] = qs->len[i + k];
		}
		zone_answer_burst(t, cfg, pkts, lens, sizeof(bufs[0]), false, infos, n);
		for (unsigned k = 0; k < n; k++)
			total += lens[k];
	}
	double dt = cpu_s() - t0;
	if (total == 0)
		fprintf(stderr, "answer_bench: no responses\n");
	return dt * 1e9 / (double)qs->n;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * UINT64_C(0x100000001b3);
	return h;
}

/* Digest of one response: its bytes and what the engine said about it. */
static uint64_t digest_one(uint64_t h, const uint8_t *pkt, size_t len,
			   const struct answer_info *info)
{
	uint8_t meta[6] = { info->drop, info->rcode, info->tc, info->slow, (uint8_t)info->qtype,
			    (uint8_t)(info->qtype >> 8) };
	h = fnv1a(h, &len, sizeof(len));
	h = fnv1a(h, pkt, len);
	return fnv1a(h, meta, sizeof(meta));
}

/* "digest" mode: every response, in bursts and one at a time. */
static void digest(const struct zone_table *t, const struct answer_cfg *cfg,
		   const struct qset *qs)
{
	static uint8_t bufs[ANSWER_BURST_MAX][2048];
	uint8_t *pkts[ANSWER_BURST_MAX];
	uint16_t lens[ANSWER_BURST_MAX];
	struct answer_info infos[ANSWER_BURST_MAX];
	uint64_t hb = UINT64_C(0xcbf29ce484222325), hs = hb;
	for (unsigned i = 0; i < ANSWER_BURST_MAX; i++)
		pkts[i] = bufs[i];
	for (size_t i = 0; i < qs->n; i += ANSWER_BURST_MAX) {
		size_t left = qs->n - i;
		unsigned n = left < ANSWER_BURST_MAX ? (unsigned)left : ANSWER_BURST_MAX;
		for (unsigned k = 0; k < n; k++) {
			memcpy(bufs[k], qs->wire + qs->off[i + k], qs->len[i + k]);
			lens[k] = qs->len[i + k];
		}
		zone_answer_burst(t, cfg, pkts, lens, sizeof(bufs[0]), false, infos, n);
		for (unsigned k = 0; k < n; k++)
			hb = digest_one(hb, bufs[k], lens[k], &infos[k]);
		for (unsigned k = 0; k < n; k++) {
			memcpy(bufs[k], qs->wire + qs->off[i + k], qs->len[i + k]);
			size_t len = zone_answer(t, cfg, bufs[k], qs->len[i + k], sizeof(bufs[0]),
						 false, &infos[k]);
			hs = digest_one(hs, bufs[k], len, &infos[k]);
		}
	}
	printf("queries: %zu\nburst_digest: %016llx\nsingle_digest: %016llx\n", qs->n,
	       (unsigned long long)hb, (unsigned long long)hs);
}

/* One pass over all queries; returns ns/query and fills the rcode counts. */
static double run(const struct zone_table *t, const struct answer_cfg *cfg,
		  const struct qset *qs, unsigned long *rcodes, unsigned long *slow, size_t *bytes)
{
	static uint8_t pkt[2048];
	double t0 = cpu_s();
	size_t total = 0;
	for (size_t i = 0; i < qs->n; i++) {
		memcpy(pkt, qs->wire + qs->off[i], qs->len[i]);
		struct answer_info info;
		size_t n = zone_answer(t, cfg, pkt, qs->len[i], sizeof(pkt), false, &info);
		total += n;
		if (rcodes)
			rcodes[info.rcode & 15]++;
		if (slow)
			*slow += info.slow;
	}
	double dt = cpu_s() - t0;
	*bytes = total;
	return dt * 1e9 / (double)qs->n;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: answer_bench ORIGIN ZONEFILE QUERYFILE"
				" [RUNS [all|burst|digest]]\n");
		return 2;
	}
	int runs = argc > 4 ? atoi(argv[4]) : 7;
	if (runs < 1 || runs > 99)
		runs = 7;
	bool burst_only = argc > 5 && strcmp(argv[5], "burst") == 0;
	bool digest_only = argc > 5 && strcmp(argv[5], "digest") == 0;

	const char *threads = getenv("ANSWER_BENCH_THREADS");
	if (threads)
		zone_snap_set_build_threads((unsigned)strtoul(threads, NULL, 10));

	size_t rss0 = rss_bytes();
	double t0 = now_s();
	struct zone_diag d;
	zone_diag_init(&d, NULL, NULL);
	struct zone_contents *z = zone_load_file(argv[2], argv[1], &d);
	if (!z)
		return 1;
	double t1 = now_s();
	size_t records = z->record_count, contents_mem = z->mem_bytes;
	size_t rss_loaded = rss_bytes();
	/* zone_snap_build's two stages, timed apart (the first is what a large AXFR waits for). */
	struct zone_snap *s = zone_snap_build_index(z);
	if (!s)
		return 1;
	double t1i = now_s();
	if (zone_snap_prepare(s) < 0)
		return 1;
	double t2 = now_s();
	size_t snap_mem = s->mem_bytes;
	uint32_t nodes = s->nnodes;
	struct zone_table *t = zone_table_new(&s, 1);
	if (!t)
		return 1;
	size_t rss_built = rss_bytes();

	struct qset qs = { 0 };
	if (load_queries(argv[3], &qs) < 0) {
		fprintf(stderr, "answer_bench: cannot read queries from %s\n", argv[3]);
		return 1;
	}
	struct answer_cfg cfg;
	zone_answer_cfg_init(&cfg);

	unsigned long rcodes[16] = { 0 }, slow = 0;
	size_t bytes;
	if (digest_only) {
		digest(t, &cfg, &qs);
		zone_table_free(t);
		return 0;
	}
	if (burst_only) {
		double ns[99];
		for (int i = 0; i < runs; i++)
			ns[i] = run_burst(t, &cfg, &qs);
		qsort(ns, (size_t)runs, sizeof(double), cmp_double);
		printf("queries: %zu\nruns: %d\nburst_ns_per_query_median: %.1f\n"
		       "burst_ns_per_query_min: %.1f\nrss_zone_mb: %.1f\n",
		       qs.n, runs, ns[runs / 2], ns[0], (double)(rss_built - rss0) / 1048576.0);
		zone_table_free(t);
		return 0;
	}
	run(t, &cfg, &qs, rcodes, &slow, &bytes); /* warm-up, and the mix */
	double fast[99], ref[99], burst[99];
	for (int i = 0; i < runs; i++) {
		burst[i] = run_burst(t, &cfg, &qs);
		fast[i] = run(t, &cfg, &qs, NULL, NULL, &bytes);
	}
	cfg.reference_only = true;
	for (int i = 0; i < runs; i++)
		ref[i] = run(t, &cfg, &qs, NULL, NULL, &bytes);
	qsort(fast, (size_t)runs, sizeof(double), cmp_double);
	qsort(ref, (size_t)runs, sizeof(double), cmp_double);
	qsort(burst, (size_t)runs, sizeof(double), cmp_double);
	double fmed = fast[runs / 2], rmed = ref[runs / 2], bmed = burst[runs / 2];

	printf("records: %zu\n", records);
	printf("names_indexed: %u\n", nodes);
	printf("queries: %zu\n", qs.n);
	printf("runs: %d\n", runs);
	printf("zone_load_s: %.3f\n", t1 - t0);
	printf("snapshot_build_s: %.3f\n", t2 - t1);
	printf("snapshot_index_s: %.3f\n", t1i - t1);
	printf("contents_bytes_per_record: %.1f\n", (double)contents_mem / (double)records);
	printf("snapshot_bytes_per_record: %.1f\n", (double)snap_mem / (double)records);
	printf("rss_zone_mb: %.1f\n", (double)(rss_built - rss0) / 1048576.0);
	printf("rss_bytes_per_record: %.1f\n", (double)(rss_built - rss0) / (double)records);
	printf("rss_after_load_mb: %.1f\n", (double)(rss_loaded - rss0) / 1048576.0);
	printf("burst_ns_per_query_median: %.1f\n", bmed);
	printf("burst_ns_per_query_min: %.1f\n", burst[0]);
	printf("burst_qps: %.0f\n", 1e9 / bmed);
	printf("prepared_ns_per_query_median: %.1f\n", fmed);
	printf("prepared_ns_per_query_min: %.1f\n", fast[0]);
	printf("prepared_qps: %.0f\n", 1e9 / fmed);
	printf("reference_ns_per_query_median: %.1f\n", rmed);
	printf("reference_qps: %.0f\n", 1e9 / rmed);
	printf("speedup_prepared_vs_reference: %.2f\n", rmed / fmed);
	printf("mix_noerror: %lu\nmix_nxdomain: %lu\nmix_slow_path: %lu\n", rcodes[0], rcodes[3],
	       slow);
	printf("response_bytes_avg: %.1f\n", (double)bytes / (double)qs.n);
	zone_table_free(t);
	free(qs.wire);
	free(qs.off);
	free(qs.len);
	return 0;
}
