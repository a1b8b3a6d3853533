/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xfr_bench: receiving an AXFR in process, no network, no peer.
 *
 *   xfr_bench [--names N] [--runs R] [--order canonical|file] [--no-tsig] [--no-load]
 *             [--profile-loop K]
 *
 * Generates the zone of bench/gen_zone.py (N names, default 1,000,000:
 * 1.65M records) as text, loads it once (zone_load_string) and encodes it as
 * the AXFR reply a primary sends: the opening SOA, every other record, the
 * closing SOA, in messages of up to 65,535 octets with name compression, the
 * question in the first, each message signed with TSIG hmac-sha256 by this
 * project's server side (xfr_tsig_server_sign, after xfr_tsig_server_verify
 * of the session's own signed query).  "--order canonical" (default) sends
 * the records in canonical order as Knot and NSD do (node by node, RRsets
 * by type); "file" in the zone file's order.
 *
 * Then, R times (default 5) each, timed in CPU time of this thread:
 *   parse:  the stream through xfr_session_feed without a sink (header and
 *           question checks, TSIG verify per message, record parsing and
 *           checks);
 *   feed:   the same with zone_builder_add as the sink, as xfr_uv.c does;
 *           "add" is feed minus parse;
 *   finish: zone_builder_finish, split by zone_builder_times into sort,
 *           dedupe (TTLs, duplicates), assemble and check;
 *   load:   zone_load_file of the same zone as text (a temporary file), for
 *           reference.
 * Prints medians, and a digest of the transferred contents (owners, types,
 * TTLs, rdata in order), which must equal the digest of the loaded text:
 * two builds can be compared by it.  "--profile-loop K" only feeds and
 * finishes K times (for perf record).  Output is "key: value" lines.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns/errcode.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "xfr/tsig.h"
#include "xfr/xfr.h"
#include "zone/builder.h"
#include "zone/check.h"
#include "zone/load.h"

#define BENCH_SECRET "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define BENCH_NOW 1800000000u
#define BENCH_ID 0x5a5a
#define MAX_RUNS 51

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

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what)
{
	fprintf(stderr, "xfr_bench: %s\n", what);
	exit(1);
}

/* ------------------------------------------------------------ the zone */

/* The text of bench/gen_zone.py's zone (same records, same order). */
static char *gen_text(unsigned long n, size_t *len)
{
	size_t cap = 256 + n * 120, pos = 0;
	char *t = malloc(cap);
	if (!t)
		die("out of memory");
	pos += (size_t)snprintf(t + pos, cap - pos,
				"$ORIGIN bench.test.\n$TTL 3600\n"
				"@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
				"@ NS ns1\n@ NS ns2\nns1 A 192.0.2.1\nns2 A 192.0.2.2\n");
	for (unsigned long i = 0; i < n; i++) {
		pos += (size_t)snprintf(t + pos, cap - pos, "h%lu A 10.%lu.%lu.%lu\n", i,
					i >> 16 & 255, i >> 8 & 255, i & 255);
		if (i % 2 == 0)
			pos += (size_t)snprintf(t + pos, cap - pos, "h%lu AAAA 2001:db8::%lx:%lx\n",
						i, i >> 16 & 0xffff, i & 0xffff);
		if (i % 20 == 0)
			pos += (size_t)snprintf(t + pos, cap - pos, "c%lu CNAME h%lu\n", i, i);
		if (i % 20 == 10)
			pos += (size_t)snprintf(t + pos, cap - pos,
						"d%lu NS ns.d%lu\nns.d%lu A 198.18.%lu.%lu\n", i, i,
						i, i >> 8 & 255, i & 255);
	}
	*len = pos;
	return t;
}

/* One record to send. */
struct srec {
	const uint8_t *owner;
	const uint8_t *rdata;
	uint32_t ttl;
	uint16_t type;
	uint16_t rdlen;
};

struct srecs {
	struct srec *r;
	size_t n, cap;
	uint8_t *bytes; /* owners and rdata of "file" order */
	size_t blen, bcap;
};

static void srecs_push(struct srecs *s, const uint8_t *owner, uint16_t type, uint32_t ttl,
		       const uint8_t *rdata, uint16_t rdlen)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->r = realloc(s->r, s->cap * sizeof(*s->r));
		if (!s->r)
			die("out of memory");
	}
	s->r[s->n++] = (struct srec){ owner, rdata, ttl, type, rdlen };
}

/* Canonical order: the loaded contents, node by node, the apex SOA left out. */
static void records_canonical(const struct zone_contents *z, struct srecs *s)
{
	for (size_t i = 0; i < z->node_count; i++) {
		const struct zone_node *nd = &z->nodes[i];
		for (unsigned j = 0; j < nd->rrset_count; j++) {
			const struct zone_rrset *rs = &nd->rrsets[j];
			if (rs->type == DNS_T_SOA)
				continue;
			const uint8_t *rr = rs->rdata;
			for (uint32_t k = 0; k < rs->count; k++, rr = zone_rr_next(rr))
				srecs_push(s, nd->owner, rs->type, rs->ttl, zone_rr_data(rr),
					   zone_rr_len(rr));
		}
	}
}

/* Appends bytes to s->bytes; the records point into it only once it is complete. */
static size_t sbytes(struct srecs *s, const void *p, size_t len)
{
	if (s->blen + len > s->bcap)
		die("internal: byte buffer too small");
	memcpy(s->bytes + s->blen, p, len);
	s->blen += len;
	return s->blen - len;
}

/* The zone file's order, records built here (owner offsets fixed up at the end). */
static void records_file(unsigned long n, const uint8_t *origin, struct srecs *s)
{
	uint8_t name[DNS_NAME_MAXLEN], target[DNS_NAME_MAXLEN], rd[16];
	char text[64];
	size_t *own = NULL, *rdo = NULL;

	s->bcap = 64 + n * 80;
	s->bytes = malloc(s->bcap);
	own = malloc((n * 2 + 8) * sizeof(*own));
	rdo = malloc((n * 2 + 8) * sizeof(*rdo));
	if (!s->bytes || !own || !rdo)
		die("out of memory");
	size_t k = 0;
#define NAME(fmt, ...)                                          \
	do {                                                    \
		snprintf(text, sizeof(text), fmt, __VA_ARGS__); \
		if (dns_name_from_text(text, origin, name) < 0) \
			die("bad name");                        \
	} while (0)
#define PUSH(type, rdp, rdl)                                            \
	do {                                                            \
		own[k] = sbytes(s, name, dns_name_len(name));           \
		rdo[k] = sbytes(s, rdp, rdl);                           \
		srecs_push(s, NULL, type, 3600, NULL, (uint16_t)(rdl)); \
		k++;                                                    \
	} while (0)
	if (dns_name_from_text("ns1", origin, target) < 0)
		die("bad name");
	memcpy(name, origin, dns_name_len(origin));
	PUSH(DNS_T_NS, target, dns_name_len(target));
	if (dns_name_from_text("ns2", origin, target) < 0)
		die("bad name");
	PUSH(DNS_T_NS, target, dns_name_len(target));
	NAME("%s", "ns1");
	PUSH(DNS_T_A, ((uint8_t[]){ 192, 0, 2, 1 }), 4);
	NAME("%s", "ns2");
	PUSH(DNS_T_A, ((uint8_t[]){ 192, 0, 2, 2 }), 4);
	for (unsigned long i = 0; i < n; i++) {
		NAME("h%lu", i);
		rd[0] = 10, rd[1] = (uint8_t)(i >> 16), rd[2] = (uint8_t)(i >> 8),
		rd[3] = (uint8_t)i;
		PUSH(DNS_T_A, rd, 4);
		if (i % 2 == 0) {
			uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
			a6[12] = (uint8_t)(i >> 24), a6[13] = (uint8_t)(i >> 16);
			a6[14] = (uint8_t)(i >> 8), a6[15] = (uint8_t)i;
			PUSH(DNS_T_AAAA, a6, 16);
		}
		if (i % 20 == 0) {
			snprintf(text, sizeof(text), "h%lu", i);
			if (dns_name_from_text(text, origin, target) < 0)
				die("bad name");
			NAME("c%lu", i);
			PUSH(DNS_T_CNAME, target, dns_name_len(target));
		}
		if (i % 20 == 10) {
			snprintf(text, sizeof(text), "ns.d%lu", i);
			if (dns_name_from_text(text, origin, target) < 0)
				die("bad name");
			NAME("d%lu", i);
			PUSH(DNS_T_NS, target, dns_name_len(target));
			NAME("ns.d%lu", i);
			rd[0] = 198, rd[1] = 18, rd[2] = (uint8_t)(i >> 8), rd[3] = (uint8_t)i;
			PUSH(DNS_T_A, rd, 4);
		}
	}
#undef NAME
#undef PUSH
	for (size_t i = 0; i < k; i++) {
		s->r[i].owner = s->bytes + own[i];
		s->r[i].rdata = s->bytes + rdo[i];
	}
	free(own);
	free(rdo);
}

/* ------------------------------------------------------------ the stream */

struct stream {
	uint8_t *buf;
	size_t len, cap;
	size_t *off; /* message i is buf[off[i] .. off[i + 1]) */
	size_t n, ncap;
};

static uint8_t *stream_room(struct stream *st)
{
	if (st->cap - st->len < 65536) {
		st->cap = st->cap ? st->cap * 2 : (1u << 24);
		st->buf = realloc(st->buf, st->cap);
		if (!st->buf)
			die("out of memory");
	}
	if (st->n + 2 > st->ncap) {
		st->ncap = st->ncap ? st->ncap * 2 : 1024;
		st->off = realloc(st->off, st->ncap * sizeof(*st->off));
		if (!st->off)
			die("out of memory");
	}
	return st->buf + st->len;
}

/* Closes the message in w: ANCOUNT, the TSIG (srv NULL: unsigned), into the stream. */
static void stream_close(struct stream *st, struct dns_wr *w, unsigned an, struct xfr_tsig_ctx *srv)
{
	dns_put_u16(w->buf + 6, (uint16_t)an);
	w->cap = 65535;
	if (srv && xfr_tsig_server_sign(srv, w, BENCH_NOW) < 0)
		die("TSIG signing failed");
	st->off[st->n++] = st->len;
	st->len += w->pos;
	st->off[st->n] = st->len;
}

/* The whole reply to the query q[0..qlen); with key, every message signed. */
static void encode(struct stream *st, const uint8_t *origin, const struct srecs *s,
		   const uint8_t *soa, uint16_t soa_len, const struct xfr_tsig_key *key,
		   const uint8_t *q, size_t qlen)
{
	struct xfr_tsig_ctx *srv = NULL;
	size_t room = 65535 - (key ? xfr_tsig_space(key) : 0);

	if (key) {
		srv = xfr_tsig_ctx_new(key);
		if (!srv || xfr_tsig_server_verify(srv, q, qlen, BENCH_NOW) < 0)
			die("the session's query does not verify");
	}
	struct dns_wr w;
	struct dns_compr c;
	unsigned an = 0;
	bool open = false;
	for (size_t i = 0; i < s->n + 2; i++) {
		struct dns_rr rr = { .rclass = DNS_C_IN };
		if (i == 0 || i == s->n + 1) {
			memcpy(rr.owner, origin, dns_name_len(origin));
			rr.type = DNS_T_SOA;
			rr.ttl = 3600;
			rr.rdata = soa;
			rr.rdlen = soa_len;
		} else {
			const struct srec *r = &s->r[i - 1];
			memcpy(rr.owner, r->owner, dns_name_len(r->owner));
			rr.type = r->type;
			rr.ttl = r->ttl;
			rr.rdata = r->rdata;
			rr.rdlen = r->rdlen;
		}
		rr.owner_len = (uint16_t)dns_name_len(rr.owner);
		for (;;) {
			if (!open) {
				struct dns_hdr h = { .id = BENCH_ID,
						     .flags = DNS_F_QR | DNS_F_AA,
						     .qdcount = st->n == 0 };
				dns_wr_init(&w, stream_room(st), room);
				dns_compr_init(&c);
				dns_hdr_write(&w, &h);
				if (st->n == 0) {
					struct dns_question qq = { .qtype = DNS_T_AXFR,
								   .qclass = DNS_C_IN };
					qq.name_len =
						(uint16_t)dns_name_copy_lower(qq.name, origin);
					dns_question_write(&w, &qq, &c);
				}
				an = 0;
				open = true;
			}
			size_t pos = w.pos;
			unsigned cn = c.n;
			dns_rr_write(&w, &rr, &c);
			if (!w.err) {
				an++;
				break;
			}
			if (an == 0)
				die("a record does not fit a message");
			w.err = 0;
			w.pos = pos;
			c.n = cn;
			stream_close(st, &w, an, srv);
			open = false;
		}
	}
	if (open)
		stream_close(st, &w, an, srv);
	xfr_tsig_ctx_free(srv);
}

/* ------------------------------------------------------------ digest */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t digest(const struct zone_contents *z)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < z->node_count; i++) {
		const struct zone_node *nd = &z->nodes[i];
		h = fnv(h, nd->owner, dns_name_len(nd->owner));
		h = fnv(h, &nd->flags, sizeof(nd->flags));
		for (unsigned j = 0; j < nd->rrset_count; j++) {
			const struct zone_rrset *rs = &nd->rrsets[j];
			uint32_t v[4] = { rs->type, rs->covers, rs->ttl, rs->count };
			h = fnv(h, v, sizeof(v));
			h = fnv(h, rs->rdata, rs->size);
		}
	}
	return h;
}

/* ------------------------------------------------------------ runs */

struct run {
	double parse, feed, sort, dedupe, assemble, check, finish;
};

/* The median of one field (at offset off) over runs. */
static double med_of(const struct run *rr, unsigned runs, size_t off)
{
	double v[MAX_RUNS];
	for (unsigned i = 0; i < runs; i++)
		memcpy(&v[i], (const char *)&rr[i] + off, sizeof(double));
	return median(v, runs);
}

static void diag_quiet(void *ctx, enum zone_diag_level level, const char *line)
{
	(void)ctx;
	if (level == ZONE_DIAG_ERROR)
		fprintf(stderr, "xfr_bench: %s\n", line);
}

/* A session that has sent its query; the query into q (XFR_QUERY_MAX). */
static struct xfr_session *session(const uint8_t *origin, const struct xfr_tsig_key *key,
				   uint8_t *q, size_t *qlen)
{
	struct xfr_session *s = xfr_session_new(origin, XFR_AXFR, key, NULL);
	if (!s)
		die("cannot make a session");
	int n = xfr_session_query(s, BENCH_ID, BENCH_NOW, q, XFR_QUERY_MAX);
	if (n < 0)
		die("cannot write the query");
	*qlen = (size_t)n;
	return s;
}

static void feed_all(struct xfr_session *s, const struct stream *st)
{
	for (size_t i = 0; i < st->n; i++) {
		int rc = xfr_session_feed(s, st->buf + st->off[i], st->off[i + 1] - st->off[i],
					  BENCH_NOW + i / 1000);
		if (rc == XFR_DONE && i + 1 == st->n)
			return;
		if (rc != XFR_MORE) {
			fprintf(stderr, "xfr_bench: message %zu: %s\n", i + 1,
				xfr_session_errmsg(s));
			exit(1);
		}
	}
	die("the stream ended early");
}

static int sink_add(void *ctx, const struct dns_rr *rr)
{
	return zone_builder_add(ctx, rr->owner, rr->type, rr->rclass, rr->ttl, rr->rdata, rr->rdlen,
				0);
}

/* One transfer into a builder and its finish; returns the contents. */
static struct zone_contents *transfer(const uint8_t *origin, const struct xfr_tsig_key *key,
				      const struct stream *st, struct run *r)
{
	uint8_t q[XFR_QUERY_MAX];
	size_t qlen;
	struct zone_diag d;
	struct zone_builder_times t;

	zone_diag_init(&d, diag_quiet, NULL);
	struct xfr_session *s = session(origin, key, q, &qlen);
	struct zone_builder *b = zone_builder_new(origin);
	if (!b || zone_builder_set_source(b, "198.18.0.1@53", &d) < 0)
		die("cannot make a builder");
	xfr_session_set_sink(s, sink_add, b);
	double t0 = cpu_s();
	feed_all(s, st);
	double t1 = cpu_s();
	struct zone_contents *z = zone_builder_finish(b, &d);
	double t2 = cpu_s();
	if (!z)
		die("the transferred zone fails");
	zone_builder_times(b, &t);
	zone_builder_free(b);
	xfr_session_free(s);
	r->feed = t1 - t0;
	r->finish = t2 - t1;
	r->sort = t.sort;
	r->dedupe = t.dedupe;
	r->assemble = t.assemble;
	r->check = t.check;
	return z;
}

static double parse_only(const uint8_t *origin, const struct xfr_tsig_key *key,
			 const struct stream *st)
{
	uint8_t q[XFR_QUERY_MAX];
	size_t qlen;
	struct xfr_session *s = session(origin, key, q, &qlen);
	double t0 = cpu_s();
	feed_all(s, st);
	double t = cpu_s() - t0;
	xfr_session_free(s);
	return t;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xfr_bench [--names N] [--runs R (1-%d)] [--order canonical|file] "
		"[--no-tsig] [--no-load] [--profile-loop K]\n",
		MAX_RUNS);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long names = 1000000, profile = 0;
	unsigned runs = 5;
	bool tsig = true, load = true, canonical = true;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;
		if (strcmp(a, "--no-tsig") == 0) {
			tsig = false;
		} else if (strcmp(a, "--no-load") == 0) {
			load = false;
		} else if (strcmp(a, "--names") == 0 && v) {
			names = strtoul(v, &end, 10);
			if (*end || names < 1 || names > 10000000)
				usage();
			i++;
		} else if (strcmp(a, "--runs") == 0 && v) {
			unsigned long r = strtoul(v, &end, 10);
			if (*end || r < 1 || r > MAX_RUNS)
				usage();
			runs = (unsigned)r;
			i++;
		} else if (strcmp(a, "--profile-loop") == 0 && v) {
			profile = strtoul(v, &end, 10);
			if (*end || profile < 1 || profile > 1000)
				usage();
			i++;
		} else if (strcmp(a, "--order") == 0 && v) {
			if (strcmp(v, "canonical") == 0)
				canonical = true;
			else if (strcmp(v, "file") == 0)
				canonical = false;
			else
				usage();
			i++;
		} else {
			usage();
		}
	}

	uint8_t origin[DNS_NAME_MAXLEN];
	if (dns_name_from_text("bench.test.", NULL, origin) < 0)
		die("bad origin");
	struct xfr_tsig_key key;
	if (tsig && xfr_tsig_key_init(&key, "xfr-key", "hmac-sha256", BENCH_SECRET) < 0)
		die("bad key");
	const struct xfr_tsig_key *kp = tsig ? &key : NULL;

	size_t tlen;
	char *text = gen_text(names, &tlen);
	struct zone_diag d;
	zone_diag_init(&d, diag_quiet, NULL);
	struct zone_contents *ref =
		zone_load_string(text, tlen, "bench.test.zone", "bench.test", &d);
	if (!ref)
		die("the generated zone does not load");
	const struct zone_rrset *soa = zone_node_rrset(zone_contents_apex(ref), DNS_T_SOA);
	if (!soa || soa->count != 1)
		die("no SOA");

	struct srecs recs = { 0 };
	if (canonical)
		records_canonical(ref, &recs);
	else
		records_file(names, origin, &recs);

	uint8_t q[XFR_QUERY_MAX];
	size_t qlen;
	struct xfr_session *qs = session(origin, kp, q, &qlen);
	xfr_session_free(qs);
	struct stream st = { 0 };
	encode(&st, origin, &recs, zone_rr_data(soa->rdata), zone_rr_len(soa->rdata), kp, q, qlen);
	printf("names: %lu\nrecords: %zu\nmessages: %zu\nstream_bytes: %zu\n", names, recs.n + 2,
	       st.n, st.len);
	printf("order: %s\ntsig: %s\n", canonical ? "canonical" : "file",
	       tsig ? "hmac-sha256, every message" : "none");

	if (profile) {
		struct run r;
		for (unsigned long i = 0; i < profile; i++)
			zone_contents_free(transfer(origin, kp, &st, &r));
		goto out;
	}

	struct run rr[MAX_RUNS];
	double v[MAX_RUNS];
	uint64_t ref_digest = digest(ref), got = 0;
	for (unsigned i = 0; i < runs; i++) {
		struct zone_contents *z = transfer(origin, kp, &st, &rr[i]);
		rr[i].parse = parse_only(origin, kp, &st);
		uint64_t h = digest(z);
		if (i == 0)
			got = h;
		if (h != got || z->record_count != ref->record_count)
			die("runs differ");
		zone_contents_free(z);
	}
	printf("digest: %016llx\nloaded_digest: %016llx\n", (unsigned long long)got,
	       (unsigned long long)ref_digest);
	if (got != ref_digest)
		die("the transferred zone differs from the loaded one");
#define MED(field) med_of(rr, runs, offsetof(struct run, field))
	double parse = MED(parse), feed = MED(feed), finish = MED(finish);
	for (unsigned i = 0; i < runs; i++)
		v[i] = rr[i].feed + rr[i].finish;
	double total = median(v, runs);
	printf("runs: %u (medians, CPU seconds of this thread)\n", runs);
	printf("parse_verify_s: %.3f\n", parse);
	printf("add_s: %.3f\n", feed - parse);
	printf("feed_s: %.3f\n", feed);
	printf("sort_s: %.3f\n", MED(sort));
	printf("dedupe_s: %.3f\n", MED(dedupe));
	printf("assemble_s: %.3f\n", MED(assemble));
	printf("check_s: %.3f\n", MED(check));
	printf("finish_s: %.3f\n", finish);
	printf("transfer_s: %.3f\n", total);
#undef MED

	if (load) {
		char path[] = "/tmp/xfr_bench.XXXXXX";
		int fd = mkstemp(path);
		if (fd < 0)
			die("mkstemp");
		FILE *f = fdopen(fd, "w");
		if (!f || fwrite(text, 1, tlen, f) != tlen || fclose(f) != 0) {
			unlink(path);
			die("cannot write the zone file");
		}
		for (unsigned i = 0; i < runs; i++) {
			double t0 = cpu_s();
			struct zone_contents *z = zone_load_file(path, "bench.test", &d);
			v[i] = cpu_s() - t0;
			if (!z || digest(z) != ref_digest) {
				unlink(path);
				die("zone_load_file differs");
			}
			zone_contents_free(z);
		}
		unlink(path);
		printf("load_file_s: %.3f\n", median(v, runs));
	}
out:
	zone_contents_free(ref);
	free(text);
	free(recs.r);
	free(recs.bytes);
	free(st.buf);
	free(st.off);
	if (tsig)
		xfr_tsig_key_deinit(&key);
	return 0;
}
