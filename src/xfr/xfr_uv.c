/* SPDX-License-Identifier: BSD-3-Clause */
#include "xfr/xfr_uv.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "dns/errcode.h"
#include "dns/name.h"
#include "dns/serial.h"
#include "zone/builder.h"

enum step {
	STEP_SOA_UDP,
	STEP_SOA_TCP,
	STEP_IXFR,
	STEP_AXFR,
};

static const char *const step_name[] = { "SOA query (UDP)", "SOA query (TCP)", "IXFR", "AXFR" };

/*
 * TCP reassembly room: four largest framed messages, so that one read takes
 * what the kernel holds (several messages of an AXFR) instead of stopping at
 * each message's end; libuv reads again while the socket has more.
 */
#define TCP_IN_CAP (4u * (2u + 65535u))

struct xfr_uv {
	uv_loop_t *loop;
	struct xfr_uv_request req;
	uint8_t origin[DNS_NAME_MAXLEN];
	xfr_uv_done_fn done;
	void *arg;

	unsigned ri, ai; /* current remote and address */
	enum step step;
	struct xfr_session *sess;
	struct zone_builder *builder;
	struct zone_diag diag;
	char diag_first[256]; /* the builder's first complaint */

	uv_udp_t udp;
	uv_tcp_t tcp;
	uv_timer_t timer; /* UDP try, connect, read, idle */
	uv_timer_t total; /* one TCP transfer */
	uv_timer_t prog;  /* progress calls during IXFR and AXFR */
	uv_connect_t conn;
	uv_write_t wr;
	bool sock_open;	  /* udp or tcp (as the step says) is initialised, not closing */
	bool active;	  /* the step is running (not yet ended) */
	unsigned closing; /* handles whose close callback is pending */
	bool finishing;
	bool canceled;

	uint8_t query[2 + XFR_QUERY_MAX]; /* with room for the TCP length prefix */
	size_t qlen;
	uint8_t *in; /* TCP reassembly, or the UDP receive buffer */
	size_t in_len;
	unsigned udp_try;
	bool connected; /* TCP: connect timeout until then, then read timeout */
	bool got_reply; /* first octets of the reply arrived: idle timeout from then */

	bool have_primary_serial;
	uint32_t primary_serial;
	int step_rc;
	char step_reason[320];
	uint64_t t_start_ns;
	struct xfr_uv_result res;
};

void xfr_uv_addr_str(const struct sockaddr_storage *sa, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
	}
	snprintf(out, cap, "%s@%u", a, port);
}

static const struct xfr_remote *cur_remote(const struct xfr_uv *x)
{
	return &x->req.remotes[x->ri];
}

static const struct sockaddr_storage *cur_addr(const struct xfr_uv *x)
{
	return &cur_remote(x)->addrs[x->ai];
}

static uint16_t random_id(void)
{
	uint16_t id;
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) == (ssize_t)sizeof(id))
		return id;
	/* No entropy yet (early boot): still unpredictable enough to not repeat. */
	static uint16_t ctr;
	return (uint16_t)(uv_hrtime() >> 7) ^ (uint16_t)(++ctr * 40503u);
}

static void step_next(struct xfr_uv *x);
static void step_begin(struct xfr_uv *x);

/* ------------------------------------------------------------- finishing */

static void free_x(struct xfr_uv *x)
{
	xfr_session_free(x->sess);
	zone_builder_free(x->builder);
	zone_contents_free(x->res.zone);
	xfr_changeset_list_free(x->res.changesets);
	free(x->in);
	free(x);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct xfr_uv *x = h->data;
	if (--x->closing > 0)
		return;
	x->res.duration_ms = (uv_hrtime() - x->t_start_ns) / 1000000u;
	x->done(x->arg, &x->res);
	free_x(x);
}

/* Every socket is closed: the timers go too, then the callback. */
static void finish(struct xfr_uv *x)
{
	x->finishing = true;
	x->closing += 3;
	uv_close((uv_handle_t *)&x->timer, on_timer_closed);
	uv_close((uv_handle_t *)&x->total, on_timer_closed);
	uv_close((uv_handle_t *)&x->prog, on_timer_closed);
}

static void on_sock_closed(uv_handle_t *h)
{
	struct xfr_uv *x = h->data;
	x->closing--;
	step_next(x);
}

/*
 * Ends the running step with rc (0: success); the socket closes and, once
 * it has, step_next decides what follows.
 */
__attribute__((format(printf, 3, 4))) static void step_end(struct xfr_uv *x, int rc,
							   const char *fmt, ...)
{
	if (!x->active)
		return;
	x->active = false;
	x->step_rc = rc;
	x->step_reason[0] = '\0';
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(x->step_reason, sizeof(x->step_reason), fmt, ap);
		va_end(ap);
	}
	uv_timer_stop(&x->timer);
	uv_timer_stop(&x->total);
	uv_timer_stop(&x->prog);
	if (!x->sock_open) {
		step_next(x);
		return;
	}
	x->sock_open = false;
	x->closing++;
	if (x->step == STEP_SOA_UDP) {
		uv_udp_recv_stop(&x->udp);
		uv_close((uv_handle_t *)&x->udp, on_sock_closed);
	} else {
		uv_read_stop((uv_stream_t *)&x->tcp);
		uv_close((uv_handle_t *)&x->tcp, on_sock_closed);
	}
}

/* The session's failure as a step failure. */
static void step_fail_sess(struct xfr_uv *x, int rc)
{
	const char *msg = xfr_session_errmsg(x->sess);
	step_end(x, rc, "%s", *msg ? msg : dp_strerror(rc));
}

/* --------------------------------------------------------------- timers */

static void on_timer(uv_timer_t *t);

static void on_total(uv_timer_t *t)
{
	struct xfr_uv *x = t->data;
	step_end(x, DP_EXFR_TIMEOUT, "not complete after %u ms (total timeout)",
		 x->req.opts.total_timeout_ms);
}

/* How far the transfer has come, for the caller's log (long transfers). */
static void on_progress(uv_timer_t *t)
{
	struct xfr_uv *x = t->data;
	struct xfr_stats st;
	char where[64];

	if (!x->active || !x->sess || !x->req.progress)
		return;
	xfr_session_stats(x->sess, &st);
	xfr_uv_addr_str(cur_addr(x), where, sizeof(where));
	struct xfr_uv_progress p = {
		.type = x->step == STEP_IXFR ? XFR_IXFR : XFR_AXFR,
		.remote_id = cur_remote(x)->id ? cur_remote(x)->id : "remote",
		.primary = where,
		.records = st.records,
		.bytes = st.bytes,
		.messages = st.messages,
		.elapsed_ms = (uv_hrtime() - x->t_start_ns) / 1000000u,
	};
	x->req.progress(x->arg, &p);
}

/* ------------------------------------------------------------------ UDP */

static int make_query(struct xfr_uv *x)
{
	int len = xfr_session_query(x->sess, random_id(), (uint64_t)time(NULL), x->query + 2,
				    XFR_QUERY_MAX);
	if (len < 0)
		return len;
	x->qlen = (size_t)len;
	x->query[0] = (uint8_t)(len >> 8);
	x->query[1] = (uint8_t)len;
	return 0;
}

static void udp_try(struct xfr_uv *x)
{
	int rc = make_query(x);
	if (rc < 0) {
		step_end(x, rc, "cannot build the query: %s", dp_strerror(rc));
		return;
	}
	uv_buf_t b = uv_buf_init((char *)x->query + 2, (unsigned)x->qlen);
	/* A send that fails is a lost datagram: the timer retries it. */
	(void)uv_udp_try_send(&x->udp, &b, 1, NULL);
	uv_timer_start(&x->timer, on_timer, x->req.opts.read_timeout_ms, 0);
}

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct xfr_uv *x = h->data;
	(void)suggested;
	*buf = uv_buf_init((char *)x->in, TCP_IN_CAP);
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
		     unsigned flags)
{
	struct xfr_uv *x = h->data;
	(void)buf;
	if (!x->active)
		return;
	if (nread < 0) {
		step_end(x, DP_EXFR_CONN, "%s", uv_strerror((int)nread));
		return;
	}
	if (nread == 0 || !from || (flags & UV_UDP_PARTIAL))
		return;
	int rc = xfr_session_feed(x->sess, x->in, (size_t)nread, (uint64_t)time(NULL));
	if (rc == DP_EXFR_ID || rc == DP_EXFR_QUESTION)
		return; /* not a reply to this query: RFC 5452 §9.1, keep waiting */
	if (rc == XFR_DONE)
		step_end(x, 0, NULL);
	else if (rc < 0)
		step_fail_sess(x, rc);
}

static int udp_open(struct xfr_uv *x)
{
	const struct sockaddr_storage *sa = cur_addr(x);
	struct sockaddr_storage any = { .ss_family = sa->ss_family };
	struct sockaddr_storage local;
	int len = sizeof(local);
	int rc;

	rc = uv_udp_init_ex(x->loop, &x->udp, sa->ss_family);
	if (rc < 0)
		return rc;
	x->udp.data = x;
	x->sock_open = true;
	/* Wildcard address, ephemeral port: never 53 (RFC 5452 §9.2). */
	rc = uv_udp_bind(&x->udp, (const struct sockaddr *)&any, 0);
	if (rc == 0)
		rc = uv_udp_getsockname(&x->udp, (struct sockaddr *)&local, &len);
	if (rc == 0 && ntohs(((struct sockaddr_in *)&local)->sin_port) == 53)
		rc = UV_EADDRINUSE;
	/* Connected: the kernel drops datagrams from elsewhere and reports
	 * ICMP unreachable as an error at once. */
	if (rc == 0)
		rc = uv_udp_connect(&x->udp, (const struct sockaddr *)sa);
	if (rc == 0)
		rc = uv_udp_recv_start(&x->udp, udp_alloc, udp_recv);
	return rc;
}

/* ------------------------------------------------------------------ TCP */

static void tcp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct xfr_uv *x = h->data;
	(void)suggested;
	*buf = uv_buf_init((char *)x->in + x->in_len, (unsigned)(TCP_IN_CAP - x->in_len));
}

/* Feeds every complete message in the buffer; false once the step ended. */
static bool tcp_drain(struct xfr_uv *x)
{
	size_t off = 0;
	while (x->active && x->in_len - off >= 2) {
		size_t mlen = dns_get_u16(x->in + off);
		if (x->in_len - off - 2 < mlen)
			break;
		int rc = xfr_session_feed(x->sess, x->in + off + 2, mlen, (uint64_t)time(NULL));
		off += 2 + mlen;
		if (rc == XFR_DONE)
			step_end(x, 0, NULL);
		else if (rc < 0)
			step_fail_sess(x, rc);
	}
	if (off) {
		memmove(x->in, x->in + off, x->in_len - off);
		x->in_len -= off;
	}
	return x->active;
}

static void tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct xfr_uv *x = s->data;
	(void)buf;
	if (!x->active)
		return;
	if (nread == UV_EOF) {
		int rc = xfr_session_eof(x->sess);
		if (rc < 0)
			step_fail_sess(x, rc);
		else
			step_end(x, 0, NULL);
		return;
	}
	if (nread < 0) {
		step_end(x, DP_EXFR_CONN, "read: %s", uv_strerror((int)nread));
		return;
	}
	if (nread == 0)
		return;
	x->got_reply = true;
	x->in_len += (size_t)nread;
	if (tcp_drain(x))
		uv_timer_start(&x->timer, on_timer, x->req.opts.idle_timeout_ms, 0);
}

static void tcp_written(uv_write_t *w, int status)
{
	struct xfr_uv *x = w->data;
	if (status < 0 && status != UV_ECANCELED)
		step_end(x, DP_EXFR_CONN, "write: %s", uv_strerror(status));
}

static void tcp_connected(uv_connect_t *c, int status)
{
	struct xfr_uv *x = c->data;
	if (!x->active)
		return;
	if (status < 0) {
		step_end(x, DP_EXFR_CONN, "connect: %s", uv_strerror(status));
		return;
	}
	x->connected = true;
	int rc = make_query(x);
	if (rc < 0) {
		step_end(x, rc, "cannot build the query: %s", dp_strerror(rc));
		return;
	}
	uv_buf_t b = uv_buf_init((char *)x->query, (unsigned)(x->qlen + 2));
	x->wr.data = x;
	rc = uv_write(&x->wr, (uv_stream_t *)&x->tcp, &b, 1, tcp_written);
	if (rc == 0)
		rc = uv_read_start((uv_stream_t *)&x->tcp, tcp_alloc, tcp_read);
	if (rc < 0) {
		step_end(x, DP_EXFR_CONN, "%s", uv_strerror(rc));
		return;
	}
	uv_timer_start(&x->timer, on_timer, x->req.opts.read_timeout_ms, 0);
}

static int tcp_open(struct xfr_uv *x)
{
	const struct sockaddr_storage *sa = cur_addr(x);
	int rc = uv_tcp_init_ex(x->loop, &x->tcp, sa->ss_family);
	if (rc < 0)
		return rc;
	x->tcp.data = x;
	x->sock_open = true;
	x->in_len = 0;
	x->conn.data = x;
	rc = uv_tcp_connect(&x->conn, &x->tcp, (const struct sockaddr *)sa, tcp_connected);
	if (rc < 0)
		return rc;
	uv_timer_start(&x->timer, on_timer, x->req.opts.connect_timeout_ms, 0);
	uv_timer_start(&x->total, on_total, x->req.opts.total_timeout_ms, 0);
	if (x->req.progress && (x->step == STEP_IXFR || x->step == STEP_AXFR))
		uv_timer_start(&x->prog, on_progress, x->req.opts.progress_ms,
			       x->req.opts.progress_ms);
	return 0;
}

static void on_timer(uv_timer_t *t)
{
	struct xfr_uv *x = t->data;
	if (x->step == STEP_SOA_UDP) {
		if (++x->udp_try < x->req.opts.udp_tries)
			udp_try(x);
		else
			step_end(x, DP_EXFR_TIMEOUT, "no reply to %u tries of %u ms",
				 x->req.opts.udp_tries, x->req.opts.read_timeout_ms);
		return;
	}
	if (x->got_reply)
		step_end(x, DP_EXFR_TIMEOUT, "nothing received for %u ms (idle timeout)",
			 x->req.opts.idle_timeout_ms);
	else if (x->connected)
		step_end(x, DP_EXFR_TIMEOUT, "no reply within %u ms (read timeout)",
			 x->req.opts.read_timeout_ms);
	else
		step_end(x, DP_EXFR_TIMEOUT, "not connected within %u ms (connect timeout)",
			 x->req.opts.connect_timeout_ms);
}

/* ----------------------------------------------------------- the steps */

static void diag_fn(void *ctx, enum zone_diag_level level, const char *line)
{
	struct xfr_uv *x = ctx;
	if (level == ZONE_DIAG_ERROR && !x->diag_first[0])
		snprintf(x->diag_first, sizeof(x->diag_first), "%s", line);
}

static int builder_sink(void *ctx, const struct dns_rr *rr)
{
	struct xfr_uv *x = ctx;
	return zone_builder_add(x->builder, rr->owner, rr->type, rr->rclass, rr->ttl, rr->rdata,
				rr->rdlen, 0);
}

static void step_begin(struct xfr_uv *x)
{
	static const enum xfr_type types[] = { XFR_SOA, XFR_SOA, XFR_IXFR, XFR_AXFR };
	const struct xfr_remote *r = cur_remote(x);
	char where[64];
	int rc;

	xfr_session_free(x->sess);
	zone_builder_free(x->builder);
	x->builder = NULL;
	x->diag_first[0] = '\0';
	x->qlen = 0;
	x->got_reply = false;
	x->connected = false;
	x->udp_try = 0;
	x->active = true;
	x->sess = xfr_session_new(x->origin, types[x->step], r->key, &x->req.opts.limits);
	if (!x->sess) {
		step_end(x, DP_ENOMEM, "cannot start a session");
		return;
	}
	if (x->step == STEP_IXFR)
		xfr_session_set_serial(x->sess, x->req.serial);
	if (x->step == STEP_IXFR || x->step == STEP_AXFR) {
		x->builder = zone_builder_new(x->origin);
		xfr_uv_addr_str(cur_addr(x), where, sizeof(where));
		zone_diag_init(&x->diag, diag_fn, x);
		if (!x->builder || zone_builder_set_source(x->builder, where, &x->diag) < 0) {
			step_end(x, DP_ENOMEM, "cannot start a zone builder");
			return;
		}
		xfr_session_set_sink(x->sess, builder_sink, x);
	}
	if (x->step == STEP_SOA_UDP) {
		rc = udp_open(x);
		if (rc == 0)
			udp_try(x);
	} else {
		rc = tcp_open(x);
	}
	if (rc < 0)
		step_end(x, DP_EXFR_CONN, "socket: %s", uv_strerror(rc));
}

/* The zone an AXFR (or AXFR-style IXFR) built; 0 or a failure for step_end. */
static int build_zone(struct xfr_uv *x, const struct xfr_stats *st)
{
	struct zone_contents *z = zone_builder_finish(x->builder, &x->diag);
	if (!z) {
		snprintf(x->step_reason, sizeof(x->step_reason), "the zone fails its checks: %s",
			 x->diag_first[0] ? x->diag_first : "(no detail)");
		return DP_EZONE;
	}
	if (z->serial != st->serial) {
		snprintf(x->step_reason, sizeof(x->step_reason),
			 "the zone's serial %u is not the announced %u", z->serial, st->serial);
		zone_contents_free(z);
		return DP_EXFR_FORMAT;
	}
	if (x->req.have_serial && dns_serial_cmp(z->serial, x->req.serial) != DNS_SERIAL_GT) {
		snprintf(x->step_reason, sizeof(x->step_reason),
			 "transferred serial %u is not newer than ours (%u)", z->serial,
			 x->req.serial);
		zone_contents_free(z);
		return DP_EXFR_OLD;
	}
	x->res.zone = z;
	return 0;
}

static void set_where(struct xfr_uv *x)
{
	const struct xfr_remote *r = cur_remote(x);
	x->res.remote_id = r->id ? r->id : "remote";
	xfr_uv_addr_str(cur_addr(x), x->res.primary, sizeof(x->res.primary));
}

/* Completes a successful transfer step; returns 0 (done) or a failure. */
static int step_success(struct xfr_uv *x)
{
	struct xfr_stats st;
	xfr_session_stats(x->sess, &st);
	x->res.records = st.records;
	x->res.bytes = st.bytes;
	x->res.messages = st.messages;
	x->res.serial = st.serial;
	switch (st.kind) {
	case XFR_KIND_IXFR:
		x->res.changesets = xfr_session_take_changesets(x->sess, &x->res.nchangesets);
		return 0;
	case XFR_KIND_IXFR_AXFR:
	case XFR_KIND_AXFR: return build_zone(x, &st);
	case XFR_KIND_UPTODATE: return 0;
	default:
		snprintf(x->step_reason, sizeof(x->step_reason), "internal: result %s",
			 xfr_kind_str(st.kind));
		return DP_EXFR_STATE;
	}
}

static void succeed(struct xfr_uv *x, enum xfr_kind kind)
{
	set_where(x);
	x->res.rc = 0;
	x->res.kind = kind;
	x->res.reason[0] = '\0';
	finish(x);
}

static void record_failure(struct xfr_uv *x)
{
	set_where(x);
	x->res.rc = x->step_rc;
	snprintf(x->res.reason, sizeof(x->res.reason), "%s from %s %s: %s", step_name[x->step],
		 x->res.remote_id, x->res.primary,
		 x->step_reason[0] ? x->step_reason : dp_strerror(x->step_rc));
}

static enum step first_step(const struct xfr_uv *x)
{
	if (!x->req.skip_soa)
		return STEP_SOA_UDP;
	return x->req.have_serial ? STEP_IXFR : STEP_AXFR;
}

/* To the next address (or primary); false when there is none. */
static bool next_address(struct xfr_uv *x)
{
	x->step = first_step(x);
	x->have_primary_serial = false;
	x->res.ixfr_fallback[0] = '\0';
	if (++x->ai < cur_remote(x)->naddrs)
		return true;
	x->ai = 0;
	return ++x->ri < x->req.nremotes;
}

static void step_next(struct xfr_uv *x)
{
	int rc = x->step_rc;

	if (x->finishing)
		return;
	if (x->canceled) {
		x->step_rc = DP_EXFR_CANCELED;
		snprintf(x->step_reason, sizeof(x->step_reason), "canceled");
		record_failure(x);
		finish(x);
		return;
	}
	if (rc == 0) {
		struct xfr_stats st;
		xfr_session_stats(x->sess, &st);
		switch (x->step) {
		case STEP_SOA_UDP:
		case STEP_SOA_TCP:
			x->have_primary_serial = true;
			x->primary_serial = st.serial;
			x->res.serial = st.serial;
			if (x->req.have_serial &&
			    dns_serial_cmp(st.serial, x->req.serial) != DNS_SERIAL_GT) {
				x->res.messages = st.messages;
				x->res.bytes = st.bytes;
				x->res.records = st.records;
				succeed(x, XFR_KIND_UPTODATE);
				return;
			}
			x->step = x->req.have_serial ? STEP_IXFR : STEP_AXFR;
			step_begin(x);
			return;
		case STEP_IXFR:
		case STEP_AXFR:
			rc = step_success(x);
			if (rc == 0) {
				succeed(x, st.kind);
				return;
			}
			x->step_rc = rc;
			break;
		}
	}
	/* The step failed. */
	if (x->step == STEP_SOA_UDP && rc == DP_EXFR_TC) {
		x->step = STEP_SOA_TCP;
		step_begin(x);
		return;
	}
	record_failure(x);
	if (x->step == STEP_IXFR && xfr_error_wants_axfr(x->step_rc)) {
		snprintf(x->res.ixfr_fallback, sizeof(x->res.ixfr_fallback), "%s", x->res.reason);
		x->step = STEP_AXFR;
		step_begin(x);
		return;
	}
	if (x->step_rc == DP_ENOMEM || !next_address(x)) {
		finish(x);
		return;
	}
	step_begin(x);
}

/* ------------------------------------------------------------- the API */

static bool request_ok(const struct xfr_uv_request *req)
{
	if (!req || !req->origin || !req->remotes || req->nremotes == 0)
		return false;
	if (dns_name_check(req->origin, DNS_NAME_MAXLEN) < 0)
		return false;
	for (unsigned i = 0; i < req->nremotes; i++) {
		const struct xfr_remote *r = &req->remotes[i];
		if (!r->addrs || r->naddrs == 0)
			return false;
		for (unsigned j = 0; j < r->naddrs; j++)
			if (r->addrs[j].ss_family != AF_INET && r->addrs[j].ss_family != AF_INET6)
				return false;
	}
	return true;
}

struct xfr_uv *xfr_uv_start(uv_loop_t *loop, const struct xfr_uv_request *req, xfr_uv_done_fn done,
			    void *arg)
{
	if (!loop || !done || !request_ok(req))
		return NULL;
	struct xfr_uv *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->in = malloc(TCP_IN_CAP);
	if (!x->in) {
		free(x);
		return NULL;
	}
	x->loop = loop;
	x->req = *req;
	memcpy(x->origin, req->origin, dns_name_len(req->origin));
	x->req.origin = x->origin;
	x->done = done;
	x->arg = arg;
	struct xfr_uv_opts *o = &x->req.opts;
	if (!o->udp_tries)
		o->udp_tries = XFR_UV_UDP_TRIES_DEFAULT;
	if (!o->connect_timeout_ms)
		o->connect_timeout_ms = XFR_UV_CONNECT_MS_DEFAULT;
	if (!o->read_timeout_ms)
		o->read_timeout_ms = XFR_UV_READ_MS_DEFAULT;
	if (!o->idle_timeout_ms)
		o->idle_timeout_ms = XFR_UV_IDLE_MS_DEFAULT;
	if (!o->total_timeout_ms)
		o->total_timeout_ms = XFR_UV_TOTAL_MS_DEFAULT;
	if (!o->progress_ms)
		o->progress_ms = XFR_UV_PROGRESS_MS_DEFAULT;
	x->t_start_ns = uv_hrtime();
	uv_timer_init(loop, &x->timer);
	uv_timer_init(loop, &x->total);
	uv_timer_init(loop, &x->prog);
	x->timer.data = x;
	x->total.data = x;
	x->prog.data = x;
	x->step = first_step(x);
	step_begin(x);
	return x;
}

void xfr_uv_cancel(struct xfr_uv *x)
{
	if (!x || x->finishing || x->canceled)
		return;
	x->canceled = true;
	if (x->active)
		step_end(x, DP_EXFR_CANCELED, "canceled");
	/* Otherwise a socket close is pending and step_next sees the flag. */
}
