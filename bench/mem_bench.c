/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mem_bench: what a random cache-line access costs on this machine, the
 * floor under the answer engine's per-query time on a zone far larger than
 * the caches (see BENCHMARKS.md, "Where the time goes").
 *
 *   mem_bench [MIB [RUNS]]
 *
 * Over a region of MIB MiB (default 128) in a fresh mapping advised for
 * transparent huge pages (as the snapshot's index and hot blocks are), and
 * over the same size in small pages:
 *   latency    - a pointer chase through every line of the region in random
 *                order: one miss at a time;
 *   throughput - independent random lines, each prefetched 16 accesses ahead
 *                (as the engine prefetches a burst's buckets and blocks): as
 *                many misses in flight as the core allows.
 * Prints ns per access (median of RUNS, default 5; thread CPU time) as
 * "key: value" lines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define LINE 64
#define HUGE ((size_t)2 << 20)
#define STEPS 2000000u
#define AHEAD 16u

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* xorshift64: deterministic, good enough to scatter lines. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A 2 MiB-aligned fresh mapping of len octets, advised before first touch. */
static uint8_t *region_new(size_t len, int huge)
{
	uint8_t *p = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	size_t head = (HUGE - (uintptr_t)p % HUGE) % HUGE;
	if (head)
		munmap(p, head);
	munmap(p + head + len, HUGE - head);
	madvise(p + head, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	return p + head;
}

/* Links every line of the region into one cycle in random order; returns the start. */
static size_t make_chase(uint8_t *p, size_t lines, uint64_t *seed)
{
	uint32_t *perm = malloc(lines * sizeof(*perm));
	if (!perm)
		return SIZE_MAX;
	for (size_t i = 0; i < lines; i++)
		perm[i] = (uint32_t)i;
	for (size_t i = lines - 1; i > 0; i--) {
		size_t j = next_rand(seed) % (i + 1);
		uint32_t t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (size_t i = 0; i < lines; i++) {
		uint64_t to = (uint64_t)perm[(i + 1) % lines] * LINE;
		memcpy(p + (size_t)perm[i] * LINE, &to, sizeof(to));
	}
	size_t start = (size_t)perm[0] * LINE;
	free(perm);
	return start;
}

static double latency(const uint8_t *p, size_t start)
{
	uint64_t at = start;
	double t0 = cpu_s();
	for (unsigned i = 0; i < STEPS; i++)
		memcpy(&at, p + at, sizeof(at));
	double dt = cpu_s() - t0;
	if (at == UINT64_MAX)
		puts(""); /* keeps the chase from being optimized away */
	return dt * 1e9 / STEPS;
}

static double throughput(const uint8_t *p, const uint32_t *idx)
{
	uint64_t sum = 0;
	double t0 = cpu_s();
	for (unsigned i = 0; i < STEPS; i++) {
		__builtin_prefetch(p + (size_t)idx[i + AHEAD] * LINE);
		sum += p[(size_t)idx[i] * LINE + 8];
	}
	double dt = cpu_s() - t0;
	if (sum == UINT64_MAX)
		puts("");
	return dt * 1e9 / STEPS;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 128;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	if (mib < 4 || mib > 65536 || runs < 1 || runs > 99) {
		fprintf(stderr, "usage: mem_bench [MIB (4..65536) [RUNS (1..99)]]\n");
		return 2;
	}
	size_t len = mib << 20, lines = len / LINE;
	uint32_t *idx = malloc((STEPS + AHEAD) * sizeof(*idx));
	if (!idx)
		return 1;
	uint64_t seed = 88172645463325252u;
	for (unsigned i = 0; i < STEPS + AHEAD; i++)
		idx[i] = (uint32_t)(next_rand(&seed) % lines);

	printf("region_mib: %zu\nruns: %d\n", mib, runs);
	for (int huge = 1; huge >= 0; huge--) {
		uint8_t *p = region_new(len, huge);
		if (!p)
			return 1;
		size_t start = make_chase(p, lines, &seed);
		if (start == SIZE_MAX)
			return 1;
		double lat[99], thr[99];
		for (int r = 0; r < runs; r++) {
			lat[r] = latency(p, start);
			thr[r] = throughput(p, idx);
		}
		qsort(lat, (size_t)runs, sizeof(double), cmp_double);
		qsort(thr, (size_t)runs, sizeof(double), cmp_double);
		const char *pages = huge ? "huge" : "small";
		printf("%s_pages_latency_ns: %.1f\n", pages, lat[runs / 2]);
		printf("%s_pages_throughput_ns: %.1f\n", pages, thr[runs / 2]);
		munmap(p, len);
	}
	free(idx);
	return 0;
}
