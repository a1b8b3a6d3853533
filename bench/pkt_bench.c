/* SPDX-License-Identifier: BSD-3-Clause */
/* Microbenchmark: fp_pkt_classify + fp_pkt_reply per packet (median of runs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fastpath/pkt.h"

static const uint8_t our_mac[6] = { 2, 0, 0, 0, 0, 0x53 };
static const uint8_t cli_mac[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t our4[4] = { 198, 18, 0, 53 }, cli4[4] = { 198, 19, 0, 1 };
static const uint8_t our6[16] = { 0x20, 1, 0xd, 0xb8, [15] = 0x53 };
static const uint8_t cli6[16] = { 0x20, 1, 0xd, 0xb8, 0, 1, [15] = 1 };

static uint32_t sum(const uint8_t *p, size_t n, uint32_t a)
{
	for (size_t i = 0; i < n; i++)
		a += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	while (a >> 16)
		a = (a & 0xffff) + (a >> 16);
	return a;
}

/* A query for www.example. A with an OPT RR (40 octets of DNS). */
static size_t build(uint8_t *b, int v6, int vlan)
{
	static const uint8_t dns[] = { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 3, 'w', 'w', 'w', 7,
				       'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1, 0, 0, 41,
				       4, 0xd0, 0, 0, 0, 0, 0, 0 };
	size_t n = 0;
	memcpy(b, our_mac, 6);
	memcpy(b + 6, cli_mac, 6);
	n = 12;
	if (vlan) {
		b[n++] = 0x81; b[n++] = 0; b[n++] = 0; b[n++] = 100;
	}
	b[n++] = v6 ? 0x86 : 0x08;
	b[n++] = v6 ? 0xdd : 0x00;
	size_t l3 = n, ulen = 8 + sizeof(dns);
	uint32_t ph;
	if (!v6) {
		uint8_t h[20] = { 0x45, 0, 0, (uint8_t)(20 + ulen), 0, 1, 0x40, 0, 64, 17 };
		memcpy(h + 12, cli4, 4);
		memcpy(h + 16, our4, 4);
		uint16_t c = (uint16_t)~sum(h, 20, 0);
		h[10] = (uint8_t)(c >> 8); h[11] = (uint8_t)c;
		memcpy(b + n, h, 20);
		n += 20;
		ph = sum(cli4, 4, sum(our4, 4, 17 + (uint32_t)ulen));
	} else {
		uint8_t h[40] = { 0x60, 0, 0, 0, 0, (uint8_t)ulen, 17, 64 };
		memcpy(h + 8, cli6, 16);
		memcpy(h + 24, our6, 16);
		memcpy(b + n, h, 40);
		n += 40;
		ph = sum(cli6, 16, sum(our6, 16, 17 + (uint32_t)ulen));
	}
	(void)l3;
	size_t l4 = n;
	uint8_t u[8] = { 0x9c, 0x40, 0, 53, 0, (uint8_t)ulen, 0, 0 };
	memcpy(b + n, u, 8);
	n += 8;
	memcpy(b + n, dns, sizeof(dns));
	n += sizeof(dns);
	uint16_t c = (uint16_t)~sum(b + l4, ulen, ph);
	b[l4 + 6] = (uint8_t)(c >> 8); b[l4 + 7] = (uint8_t)c;
	return n;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

#define BURST 32
#define ITERS (getenv("FP_ITERS") ? atoi(getenv("FP_ITERS")) : 100000) /* bursts per run */
#define RUNS_MAX 15
static int RUNS = RUNS_MAX;

static uint8_t bufs[BURST][2048];

/* mode 0: copy only; 1: copy + classify; 2: copy + classify + reply */
static double run(const uint8_t *tmpl, size_t n, const struct fp_addrs *a, size_t resp, int mode)
{
	double t[RUNS_MAX];
	unsigned long sink = 0;
	for (int r = 0; r < RUNS; r++) {
		double t0 = now();
		for (int it = 0; it < ITERS; it++) {
			for (int i = 0; i < BURST; i++) {
				uint8_t *f = bufs[i];
				memcpy(f, tmpl, n);
				if (mode == 0) {
					sink += f[n - 1];
					continue;
				}
				struct fp_pkt p;
				uint8_t why;
				enum fp_verdict v = fp_pkt_classify(a, f, n, &p, &why);
				if (mode == 1 || v != FP_QUERY) {
					sink += v + p.dns_len;
					continue;
				}
				f[p.dns_off + 2] |= 0x80;
				int rc = fp_pkt_reply(f, 2048, &p, resp, (uint16_t)it);
				sink += (unsigned)rc;
			}
		}
		t[r] = (now() - t0) / ((double)ITERS * BURST);
	}
	if (sink == 42)
		puts("");
	qsort(t, RUNS, sizeof(t[0]), cmp);
	return t[RUNS / 2];
}

int main(void)
{
	if (getenv("FP_RUNS"))
		RUNS = atoi(getenv("FP_RUNS"));
	struct fp_addrs a;
	fp_addrs_init(&a, our_mac);
	if (fp_addrs_add4(&a, our4) || fp_addrs_add6(&a, our6))
		return 1;
	static const size_t resps[] = { 56, 128, 512, 1232 };
	for (int v6 = 0; v6 <= 1; v6++) {
		for (int vlan = 0; vlan <= 1; vlan++) {
			uint8_t tmpl[256];
			size_t n = build(tmpl, v6, vlan);
			struct fp_pkt p;
			uint8_t why;
			if (fp_pkt_classify(&a, tmpl, n, &p, &why) != FP_QUERY)
				return 2;
			double c0 = run(tmpl, n, &a, 0, 0);
			double c1 = run(tmpl, n, &a, 0, 1);
			printf("IPv%d%s frame %zu: copy %.1f ns, classify %.1f ns", v6 ? 6 : 4,
			       vlan ? "+vlan" : "", n, c0, c1 - c0);
			for (size_t i = 0; i < sizeof(resps) / sizeof(resps[0]); i++) {
				double c2 = run(tmpl, n, &a, resps[i], 2);
				printf(", +reply(%zu) %.1f", resps[i], c2 - c0);
			}
			printf(" ns\n");
		}
	}
	return 0;
}
