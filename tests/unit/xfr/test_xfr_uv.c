/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The libuv driver (src/xfr/xfr_uv.h) against a misbehaving primary: a
 * thread on 127.0.0.1 (random port, UDP and TCP) that answers as the test
 * tells it: TC on UDP, NOTIMP to IXFR, a stream cut short, silence after
 * connect or in mid-stream, a trickle, an older serial than announced, a
 * zone that fails the zone checks.  What each must lead to: TCP retry, AXFR
 * fallback on the same primary, the right timeout, nothing built.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "xfrtest.h"

#include "dns/errcode.h"
#include "xfr/xfr_uv.h"

enum ixfr_mode {
	IX_OK,
	IX_NOTIMP,
	IX_EOF,
	IX_HANG
};
enum axfr_mode {
	AX_OK,
	AX_HANG_MID,
	AX_TRICKLE,
	AX_NO_NS
};

static struct {
	uint32_t soa_serial;  /* what the SOA query answers */
	uint32_t zone_serial; /* what IXFR/AXFR deliver */
	bool udp_tc;
	enum ixfr_mode ixfr;
	enum axfr_mode axfr;
	atomic_int ixfr_seen, axfr_seen, soa_tcp_seen;
} fake;

static int udp_fd = -1, tcp_fd = -1;
static uint16_t fake_port;
static pthread_t thr;
static atomic_bool stop;

static bool send_all(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w <= 0)
			return false;
		b += w;
		n -= (size_t)w;
	}
	return true;
}

static bool send_framed(int fd, const uint8_t *m, size_t n)
{
	uint8_t l[2] = { (uint8_t)(n >> 8), (uint8_t)n };
	return send_all(fd, l, 2) && send_all(fd, m, n);
}

/* Waits up to ms for fd to be readable or the test to end; false then. */
static bool wait_in(int fd, int ms)
{
	for (int waited = 0; waited < ms && !stop; waited += 50) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 50) > 0)
			return true;
	}
	return false;
}

static void sleep_ms(int ms)
{
	for (int i = 0; i < ms / 10 && !stop; i++)
		usleep(10 * 1000);
}

static size_t zone_of(struct trr *z, uint32_t serial, bool ns)
{
	size_t n = 0;
	z[n++] = xt_soa(serial);
	if (ns)
		z[n++] = xt_ns("ns.example.com");
	z[n++] = xt_a("ns.example.com", 1);
	for (int i = 0; i < 20; i++) {
		char o[32];
		snprintf(o, sizeof(o), "h%d.example.com", i);
		z[n++] = xt_a(o, (uint8_t)i);
	}
	z[n++] = xt_soa(serial);
	return n;
}

static void serve_tcp(int c)
{
	uint8_t l[2], *q = malloc(XT_MSG_CAP), *m = malloc(XT_MSG_CAP);
	struct prim p;
	struct trr z[32];
	if (!q || !m || !wait_in(c, 3000) || recv(c, l, 2, MSG_WAITALL) != 2)
		goto out;
	size_t qlen = dns_get_u16(l);
	if (recv(c, q, qlen, MSG_WAITALL) != (ssize_t)qlen)
		goto out;
	prim_init(&p, q, qlen, NULL);
	if (p.qtype == DNS_T_SOA) {
		fake.soa_tcp_seen++;
		struct trr a[] = { xt_soa(fake.soa_serial) };
		send_framed(c, m, prim_msg(&p, m, a, 1, 0, true));
	} else if (p.qtype == DNS_T_IXFR) {
		fake.ixfr_seen++;
		struct trr a[] = { xt_soa(fake.zone_serial),   xt_soa(fake.zone_serial - 1),
				   xt_a("old.example.com", 1), xt_soa(fake.zone_serial),
				   xt_a("new.example.com", 2), xt_soa(fake.zone_serial) };
		switch (fake.ixfr) {
		case IX_OK: send_framed(c, m, prim_msg(&p, m, a, 6, 0, true)); break;
		case IX_NOTIMP:
			send_framed(c, m, prim_msg(&p, m, NULL, 0, DNS_R_NOTIMP, true));
			break;
		case IX_EOF: send_framed(c, m, prim_msg(&p, m, a, 3, 0, true)); break;
		case IX_HANG: wait_in(c, 3000); break; /* until the client gives up */
		}
	} else {
		fake.axfr_seen++;
		size_t n = zone_of(z, fake.zone_serial, fake.axfr != AX_NO_NS);
		if (fake.axfr == AX_OK || fake.axfr == AX_NO_NS) {
			send_framed(c, m, prim_msg(&p, m, z, n, 0, true));
		} else if (fake.axfr == AX_HANG_MID) {
			send_framed(c, m, prim_msg(&p, m, z, 5, 0, true));
			wait_in(c, 3000);
		} else {
			for (size_t i = 0; i < n && !stop; i++) {
				if (!send_framed(c, m, prim_msg(&p, m, z + i, 1, 0, true)))
					break;
				sleep_ms(100);
			}
		}
	}
	prim_deinit(&p);
out:
	free(q);
	free(m);
	close(c);
}

static void serve_udp(void)
{
	uint8_t q[512], m[1024];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(udp_fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
	if (n < DNS_HDR_LEN)
		return;
	/* prim_msg writes up to XT_MSG_CAP: build into a big buffer */
	uint8_t *big = malloc(XT_MSG_CAP);
	struct prim p;
	prim_init(&p, q, (size_t)n, NULL);
	if (fake.udp_tc)
		p.flags |= DNS_F_TC;
	struct trr a[] = { xt_soa(fake.soa_serial) };
	size_t len = prim_msg(&p, big, fake.udp_tc ? NULL : a, fake.udp_tc ? 0 : 1, 0, true);
	memcpy(m, big, len);
	sendto(udp_fd, m, len, 0, (struct sockaddr *)&from, fl);
	prim_deinit(&p);
	free(big);
}

/* Bounded: ends when the test sets stop, and after 60 s in any case. */
static void *fake_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < 60 * 20 && !stop; i++) {
		struct pollfd p[2] = { { .fd = udp_fd, .events = POLLIN },
				       { .fd = tcp_fd, .events = POLLIN } };
		if (poll(p, 2, 50) <= 0)
			continue;
		if (p[0].revents & POLLIN)
			serve_udp();
		if (p[1].revents & POLLIN) {
			int c = accept(tcp_fd, NULL, NULL);
			if (c >= 0)
				serve_tcp(c);
		}
	}
	return NULL;
}

static void fake_start(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int one = 1;
	for (int tries = 0; tries < 20; tries++) {
		sa.sin_port = 0;
		tcp_fd = socket(AF_INET, SOCK_STREAM, 0);
		udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
		cr_assert(tcp_fd >= 0 && udp_fd >= 0);
		setsockopt(tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		cr_assert_eq(bind(tcp_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		cr_assert_eq(getsockname(tcp_fd, (struct sockaddr *)&sa, &sl), 0);
		if (bind(udp_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(tcp_fd);
		close(udp_fd);
		tcp_fd = udp_fd = -1;
	}
	cr_assert_geq(udp_fd, 0, "no port free for both UDP and TCP");
	cr_assert_eq(listen(tcp_fd, 8), 0);
	fake_port = ntohs(sa.sin_port);
	fake.soa_serial = fake.zone_serial = 5;
	stop = false;
	cr_assert_eq(pthread_create(&thr, NULL, fake_main, NULL), 0);
}

static void fake_stop(void)
{
	stop = true;
	pthread_join(thr, NULL);
	close(tcp_fd);
	close(udp_fd);
	memset(&fake, 0, sizeof(fake));
}

TestSuite(xfr_uv, .init = fake_start, .fini = fake_stop, .timeout = 30);

#define PROG_MAX 64

struct run {
	struct xfr_uv_result res;
	unsigned calls;
	bool progress; /* ask for progress calls */
	unsigned nprog;
	struct xfr_uv_progress prog[PROG_MAX]; /* primary and remote_id not kept */
	char prog_primary[64];
	unsigned prog_after_done; /* progress calls after the completion: must stay 0 */
};

static void on_progress(void *arg, const struct xfr_uv_progress *p)
{
	struct run *r = arg;
	if (r->calls)
		r->prog_after_done++;
	if (r->nprog < PROG_MAX) {
		r->prog[r->nprog] = *p;
		r->prog[r->nprog].primary = NULL;
		r->prog[r->nprog].remote_id = NULL;
		r->nprog++;
	}
	snprintf(r->prog_primary, sizeof(r->prog_primary), "%s %s", p->remote_id, p->primary);
}

static void on_done(void *arg, struct xfr_uv_result *res)
{
	struct run *r = arg;
	r->calls++;
	r->res = *res;
	res->zone = NULL;
	res->changesets = NULL;
}

static void run(bool have_serial, uint32_t serial, const struct xfr_uv_opts *o, struct run *out)
{
	uv_loop_t loop;
	uint8_t origin[DNS_NAME_MAXLEN];
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(fake_port);
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct xfr_remote r = { .id = "fake", .addrs = &ss, .naddrs = 1 };
	tn(origin, "example.com");
	bool progress = out->progress;
	memset(out, 0, sizeof(*out));
	out->progress = progress;
	cr_assert_eq(uv_loop_init(&loop), 0);
	struct xfr_uv_request req = { .origin = origin,
				      .remotes = &r,
				      .nremotes = 1,
				      .have_serial = have_serial,
				      .serial = serial,
				      .progress = progress ? on_progress : NULL };
	if (o)
		req.opts = *o;
	cr_assert(xfr_uv_start(&loop, &req, on_done, out));
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(out->calls, 1);
	cr_assert_eq(uv_loop_close(&loop), 0);
}

static void run_free(struct run *r)
{
	zone_contents_free(r->res.zone);
	xfr_changeset_list_free(r->res.changesets);
}

static const struct xfr_uv_opts quick = { .udp_tries = 2,
					  .read_timeout_ms = 300,
					  .connect_timeout_ms = 1000,
					  .idle_timeout_ms = 400,
					  .total_timeout_ms = 10000 };

Test(xfr_uv, tc_then_tcp_then_axfr)
{
	struct run r = { 0 };
	fake.udp_tc = true;
	run(false, 0, &quick, &r);
	cr_assert_eq(r.res.rc, 0, "%s", r.res.reason);
	cr_assert_eq(fake.soa_tcp_seen, 1, "the SOA query went again over TCP");
	cr_assert_eq(r.res.kind, XFR_KIND_AXFR);
	cr_assert(r.res.zone);
	cr_assert_eq(r.res.zone->serial, 5);
	cr_assert_eq(r.res.zone->record_count, 23);
	cr_assert_eq(r.res.records, 24);
	cr_assert_eq(r.res.messages, 1);
	run_free(&r);
}

Test(xfr_uv, ixfr_incremental)
{
	struct run r = { 0 };
	run(true, 4, &quick, &r);
	cr_assert_eq(r.res.rc, 0, "%s", r.res.reason);
	cr_assert_eq(r.res.kind, XFR_KIND_IXFR);
	cr_assert_eq(r.res.nchangesets, 1);
	cr_assert_eq(r.res.changesets->nremoved, 1);
	cr_assert_eq(r.res.changesets->nadded, 1);
	cr_assert_null(r.res.zone);
	cr_assert_eq(fake.axfr_seen, 0);
	run_free(&r);
	/* our serial is the primary's: up to date, no transfer */
	run(true, 5, &quick, &r);
	cr_assert_eq(r.res.kind, XFR_KIND_UPTODATE);
	cr_assert_eq(fake.ixfr_seen, 1);
	/* ours is newer (the primary went back): not a reason to transfer */
	run(true, 6, &quick, &r);
	cr_assert_eq(r.res.rc, 0);
	cr_assert_eq(r.res.kind, XFR_KIND_UPTODATE);
	cr_assert_eq(r.res.serial, 5);
	cr_assert_eq(fake.ixfr_seen, 1);
}

static void fallback_case(enum ixfr_mode mode, const char *why)
{
	struct run r = { 0 };
	fake.ixfr = mode;
	run(true, 4, &quick, &r);
	cr_assert_eq(r.res.rc, 0, "%s", r.res.reason);
	cr_assert_eq(fake.ixfr_seen, 1);
	cr_assert_eq(fake.axfr_seen, 1);
	cr_assert_eq(r.res.kind, XFR_KIND_AXFR);
	cr_assert(r.res.zone);
	cr_assert(strstr(r.res.ixfr_fallback, why), "fallback reason: %s", r.res.ixfr_fallback);
	cr_assert(strstr(r.res.ixfr_fallback, "IXFR from fake 127.0.0.1@"), "%s",
		  r.res.ixfr_fallback);
	run_free(&r);
}

Test(xfr_uv, ixfr_notimp_falls_back_to_axfr)
{
	fallback_case(IX_NOTIMP, "NOTIMP");
}

Test(xfr_uv, ixfr_cut_short_falls_back_to_axfr)
{
	fallback_case(IX_EOF, "without its closing SOA");
}

Test(xfr_uv, ixfr_silent_falls_back_to_axfr)
{
	fallback_case(IX_HANG, "read timeout");
}

Test(xfr_uv, axfr_stalls_mid_stream)
{
	struct run r = { 0 };
	fake.axfr = AX_HANG_MID;
	run(false, 0, &quick, &r);
	cr_assert_eq(r.res.rc, DP_EXFR_TIMEOUT, "%s", r.res.reason);
	cr_assert(strstr(r.res.reason, "idle timeout"), "%s", r.res.reason);
	cr_assert_null(r.res.zone);
}

Test(xfr_uv, axfr_total_timeout)
{
	struct run r = { 0 };
	struct xfr_uv_opts o = quick;
	o.total_timeout_ms = 500;
	o.idle_timeout_ms = 2000; /* the total fires first, even on a loaded machine */
	fake.axfr = AX_TRICKLE;
	run(false, 0, &o, &r);
	cr_assert_eq(r.res.rc, DP_EXFR_TIMEOUT, "%s", r.res.reason);
	cr_assert(strstr(r.res.reason, "total timeout"), "%s", r.res.reason);
	cr_assert_null(r.res.zone);
	/* the same trickle within a larger total: every message resets idle */
	o.total_timeout_ms = 10000;
	run(false, 0, &o, &r);
	cr_assert_eq(r.res.rc, 0, "%s", r.res.reason);
	cr_assert_eq(r.res.messages, 24);
	run_free(&r);
}

/*
 * A transfer that takes a while reports how far it is, every progress_ms,
 * with growing counts, from its primary, and never after it has ended; a
 * quick one reports nothing.
 */
Test(xfr_uv, progress_of_a_slow_axfr)
{
	struct run r = { .progress = true };
	struct xfr_uv_opts o = quick;
	o.idle_timeout_ms = 2000;
	o.progress_ms = 250;
	fake.axfr = AX_TRICKLE; /* 24 messages of one record, 100 ms apart: ~2.4 s */
	run(false, 0, &o, &r);
	cr_assert_eq(r.res.rc, 0, "%s", r.res.reason);
	cr_assert_eq(r.res.records, 24);
	/* ~9 calls on an idle machine; at least a few on a loaded one. */
	cr_assert_geq(r.nprog, 3, "%u progress calls", r.nprog);
	cr_assert_leq(r.nprog, 12, "%u progress calls", r.nprog);
	cr_assert_eq(r.prog_after_done, 0);
	char want[64];
	snprintf(want, sizeof(want), "fake 127.0.0.1@%u", fake_port);
	cr_assert_str_eq(r.prog_primary, want);
	for (unsigned i = 0; i < r.nprog; i++) {
		cr_assert_eq(r.prog[i].type, XFR_AXFR);
		cr_assert_lt(r.prog[i].records, 24, "call %u: %zu records", i, r.prog[i].records);
		cr_assert_eq(r.prog[i].messages, r.prog[i].records);
		if (i == 0)
			continue;
		cr_assert_geq(r.prog[i].records, r.prog[i - 1].records);
		cr_assert_geq(r.prog[i].bytes, r.prog[i - 1].bytes);
		cr_assert_gt(r.prog[i].elapsed_ms, r.prog[i - 1].elapsed_ms);
	}
	cr_assert_gt(r.prog[r.nprog - 1].records, r.prog[0].records, "the count grew");
	cr_assert_gt(r.prog[r.nprog - 1].bytes, 0);
	cr_assert_geq(r.prog[0].elapsed_ms, 250);
	run_free(&r);

	/* The same zone at once: done before the first call. */
	fake.axfr = AX_OK;
	r = (struct run){ .progress = true };
	run(false, 0, &o, &r);
	cr_assert_eq(r.res.rc, 0, "%s", r.res.reason);
	cr_assert_eq(r.nprog, 0);
	run_free(&r);
}

Test(xfr_uv, axfr_older_than_ours)
{
	struct run r = { 0 };
	fake.soa_serial = 9;
	fake.zone_serial = 5;
	fake.ixfr = IX_NOTIMP;
	run(true, 7, &quick, &r);
	cr_assert_eq(r.res.rc, DP_EXFR_OLD, "%s", r.res.reason);
	cr_assert_null(r.res.zone);
}

Test(xfr_uv, axfr_zone_fails_checks)
{
	struct run r = { 0 };
	fake.axfr = AX_NO_NS;
	run(false, 0, &quick, &r);
	cr_assert_eq(r.res.rc, DP_EZONE, "%s", r.res.reason);
	cr_assert(strstr(r.res.reason, "NS"), "%s", r.res.reason);
	cr_assert_null(r.res.zone);
}

Test(xfr_uv, bad_requests)
{
	uv_loop_t loop;
	uint8_t origin[DNS_NAME_MAXLEN];
	struct sockaddr_storage ss = { .ss_family = AF_UNIX };
	struct xfr_remote r = { .addrs = &ss, .naddrs = 1 };
	struct run out;
	tn(origin, "example.com");
	cr_assert_eq(uv_loop_init(&loop), 0);
	struct xfr_uv_request req = { .origin = origin, .remotes = &r, .nremotes = 1 };
	cr_assert_null(xfr_uv_start(&loop, &req, on_done, &out), "not an IP address");
	r.naddrs = 0;
	cr_assert_null(xfr_uv_start(&loop, &req, on_done, &out), "no addresses");
	req.nremotes = 0;
	cr_assert_null(xfr_uv_start(&loop, &req, on_done, &out), "no primaries");
	cr_assert_null(xfr_uv_start(&loop, NULL, on_done, &out));
	cr_assert_eq(uv_loop_close(&loop), 0);
	char s[64];
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	memset(&ss, 0, sizeof(ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(53);
	inet_pton(AF_INET6, "2001:db8::1", &s6->sin6_addr);
	xfr_uv_addr_str(&ss, s, sizeof(s));
	cr_assert_str_eq(s, "2001:db8::1@53");
}
