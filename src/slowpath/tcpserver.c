/* SPDX-License-Identifier: BSD-3-Clause */
#include "slowpath/tcpserver.h"
#include "slowpath/listen.h"

#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns/errcode.h"

/* One accepted connection: its state machine and its two handles. */
struct sp_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t wreq; /* one write in flight at a time, so one request */
	uv_shutdown_t sreq;
	struct sp_tcpserver *srv;
	struct sp_tcpconn *tc;
	struct sp_conn *prev, *next; /* the server's list of open connections */
	struct sockaddr_storage peer; /* for sp_tcp_peer_answer_fn */
	unsigned open_handles;
	bool reading;
	bool writing;
	bool lingering;
	bool closing;
};

/* A connection over the limit: accepted, then closed at once. */
struct sp_reject {
	uv_tcp_t tcp;
	struct sp_tcpserver *srv;
};

struct sp_listener {
	uv_tcp_t tcp;
	struct sockaddr_storage addr;
	int port; /* bound port, after start */
	bool open;
};

struct sp_tcpserver {
	uv_loop_t *loop;
	sp_tcp_answer_fn answer;
	sp_tcp_peer_answer_fn peer_answer; /* when set, called instead of answer */
	void *ctx;
	struct sp_tcpconn_cfg conn_cfg;
	unsigned max_conns;
	int backlog;
	uint32_t linger_ms;
	unsigned n_addrs;
	bool started;
	bool stopped;
	bool free_pending;
	unsigned handles; /* initialised and not yet closed, of every kind */
	unsigned n_conns; /* connections holding memory (open or closing) */
	struct sp_conn *conns;
	struct sp_tcpserver_stats st; /* .conn: sums of the closed connections */
	struct sp_listener lis[SP_TCPSERVER_ADDRS_MAX];
	uint8_t discard[4096]; /* what lingering connections read (one thread: shared) */
};

void sp_tcpserver_cfg_init(struct sp_tcpserver_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = 53;
	cfg->max_conns = SP_TCPSERVER_MAX_CONNS_DEFAULT;
	cfg->backlog = SP_TCPSERVER_BACKLOG_DEFAULT;
	cfg->linger_ms = SP_TCPSERVER_LINGER_MS_DEFAULT;
	sp_tcpconn_cfg_init(&cfg->conn);
}

struct sp_tcpserver *sp_tcpserver_new(uv_loop_t *loop, const struct sp_tcpserver_cfg *cfg,
				      sp_tcp_answer_fn answer, void *ctx)
{
	if (!loop || !cfg || !answer || !cfg->addrs || cfg->n_addrs == 0 ||
	    cfg->n_addrs > SP_TCPSERVER_ADDRS_MAX || cfg->max_conns == 0 || cfg->backlog <= 0)
		return NULL;
	if (cfg->conn.idle_ms == 0 || cfg->conn.out_limit > SP_TCP_OUT_LIMIT_MAX)
		return NULL;

	struct sp_tcpserver *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	for (unsigned i = 0; i < cfg->n_addrs; i++) {
		const char *a = cfg->addrs[i];
		struct sp_listener *l = &s->lis[i];
		int rc;
		if (!a)
			rc = UV_EINVAL;
		else if (strchr(a, ':'))
			rc = uv_ip6_addr(a, cfg->port, (struct sockaddr_in6 *)&l->addr);
		else
			rc = uv_ip4_addr(a, cfg->port, (struct sockaddr_in *)&l->addr);
		if (rc < 0) {
			free(s);
			return NULL;
		}
	}
	s->loop = loop;
	s->answer = answer;
	s->ctx = ctx;
	s->conn_cfg = cfg->conn;
	s->max_conns = cfg->max_conns;
	s->backlog = cfg->backlog;
	s->linger_ms = cfg->linger_ms;
	s->n_addrs = cfg->n_addrs;
	return s;
}

/* ---- handle bookkeeping ---- */

static void handle_closed(struct sp_tcpserver *s)
{
	assert(s->handles > 0);
	if (--s->handles == 0 && s->free_pending)
		free(s);
}

static void on_listener_closed(uv_handle_t *h)
{
	handle_closed(h->data);
}

static void on_reject_closed(uv_handle_t *h)
{
	struct sp_reject *r = h->data;
	struct sp_tcpserver *s = r->srv;
	free(r);
	handle_closed(s);
}

static void on_conn_handle_closed(uv_handle_t *h)
{
	struct sp_conn *c = h->data;
	struct sp_tcpserver *s = c->srv;
	if (--c->open_handles == 0) {
		sp_tcpconn_free(c->tc);
		s->n_conns--;
		free(c);
	}
	handle_closed(s);
}

/* ---- connections ---- */

static void conn_close(struct sp_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	struct sp_tcpserver *s = c->srv;
	if (sp_tcpconn_close_reason(c->tc) == SP_TCP_CLOSE_NONE)
		sp_tcpconn_close(c->tc, SP_TCP_CLOSE_IO);
	/* Its counters stop moving here: fold them into the server's. */
	sp_tcp_stats_add(&s->st.conn, sp_tcpconn_stats(c->tc));
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	/* A write in flight is cancelled; its callback runs before these. */
	uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct sp_conn *c = h->data;
	size_t space = 0;
	uint8_t *p = c->closing ? NULL : sp_tcpconn_rbuf(c->tc, &space);
	/* NULL/0 makes libuv report UV_ENOBUFS; on_read then stops reading. */
	*buf = uv_buf_init((char *)p, (unsigned)space);
}

static void on_write(uv_write_t *req, int status);
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);
static void on_timer(uv_timer_t *t);

static void on_alloc_discard(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct sp_conn *c = h->data;
	*buf = uv_buf_init((char *)c->srv->discard, sizeof(c->srv->discard));
}

static void on_read_discard(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	(void)buf;
	if (nread < 0) /* the peer's EOF (or reset): the linger is over */
		conn_close(st->data);
}

static void on_linger_timer(uv_timer_t *t)
{
	conn_close(t->data);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	(void)req;
	(void)status; /* nothing to do: the read side or the timer ends the linger */
}

/* Closes for bad input after a flush: peer input may be unread (see tcpserver.h). */
static bool wants_linger(const struct sp_conn *c)
{
	switch (sp_tcpconn_close_reason(c->tc)) {
	case SP_TCP_CLOSE_ZERO:
	case SP_TCP_CLOSE_SHORT:
	case SP_TCP_CLOSE_DROP:
	case SP_TCP_CLOSE_ENGINE: return c->srv->linger_ms > 0;
	default: return false;
	}
}

/* FIN after the responses, then read and discard until the peer's EOF or linger_ms. */
static void conn_linger(struct sp_conn *c)
{
	uv_stream_t *st = (uv_stream_t *)&c->tcp;
	c->lingering = true;
	c->srv->st.lingered++;
	if (c->reading)
		uv_read_stop(st);
	c->reading = false;
	if (uv_shutdown(&c->sreq, st, on_shutdown) < 0 ||
	    uv_read_start(st, on_alloc_discard, on_read_discard) < 0) {
		conn_close(c);
		return;
	}
	c->reading = true;
	uv_timer_start(&c->timer, on_linger_timer, c->srv->linger_ms, 0);
}

/*
 * After every event: close when the state machine says so, otherwise start a
 * write if none is in flight, read or stop reading as it wants, and re-arm
 * the timer at its deadline.
 */
static void conn_kick(struct sp_conn *c)
{
	if (c->closing || c->lingering)
		return;
	struct sp_tcpconn *t = c->tc;
	uv_stream_t *st = (uv_stream_t *)&c->tcp;
	if (sp_tcpconn_done(t)) {
		if (wants_linger(c))
			conn_linger(c);
		else
			conn_close(c);
		return;
	}

	if (!c->writing) {
		const uint8_t *p;
		size_t n = sp_tcpconn_write_begin(t, &p);
		if (n) {
			/* libuv wants char *; it only reads the buffer. */
			uv_buf_t b = uv_buf_init((char *)(uintptr_t)p, (unsigned)n);
			if (uv_write(&c->wreq, st, &b, 1, on_write) < 0)
				goto io_error;
			c->writing = true;
		}
	}

	bool want = sp_tcpconn_want_read(t);
	if (want && !c->reading) {
		if (uv_read_start(st, on_alloc, on_read) < 0)
			goto io_error;
		c->reading = true;
	} else if (!want && c->reading) {
		uv_read_stop(st);
		c->reading = false;
	}

	uint64_t now = uv_now(c->srv->loop);
	uint64_t dl = sp_tcpconn_deadline(t);
	uv_timer_start(&c->timer, on_timer, dl > now ? dl - now : 0, 0);
	return;

io_error:
	sp_tcpconn_close(t, SP_TCP_CLOSE_IO);
	conn_close(c);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	(void)buf;
	struct sp_conn *c = st->data;
	if (c->closing || c->lingering)
		return;
	uint64_t now = uv_now(c->srv->loop);
	if (nread > 0) {
		sp_tcpconn_received(c->tc, (size_t)nread, now);
	} else if (nread == UV_EOF) {
		c->reading = false; /* libuv stops reading at EOF by itself */
		sp_tcpconn_eof(c->tc, now);
	} else if (nread < 0 && nread != UV_ENOBUFS) {
		sp_tcpconn_close(c->tc, SP_TCP_CLOSE_IO);
	}
	conn_kick(c);
}

static void on_write(uv_write_t *req, int status)
{
	struct sp_conn *c = req->data;
	c->writing = false;
	if (c->closing || c->lingering)
		return; /* cancelled by the close, or finished just before it */
	if (status < 0) {
		sp_tcpconn_close(c->tc, SP_TCP_CLOSE_IO);
		conn_close(c);
		return;
	}
	sp_tcpconn_write_done(c->tc, uv_now(c->srv->loop));
	conn_kick(c);
}

static void on_timer(uv_timer_t *t)
{
	struct sp_conn *c = t->data;
	if (c->closing || c->lingering)
		return;
	if (sp_tcpconn_expire(c->tc, uv_now(c->srv->loop)))
		conn_close(c);
	else
		conn_kick(c);
}

/* Accepts the pending connection only to close it (over the limit or no memory). */
static void reject(struct sp_tcpserver *s, uv_stream_t *server)
{
	struct sp_reject *r = malloc(sizeof(*r));
	if (!r) {
		/* libuv pauses this listener until the next uv_accept; nothing to do. */
		s->st.accept_errors++;
		return;
	}
	r->srv = s;
	uv_tcp_init(s->loop, &r->tcp);
	r->tcp.data = r;
	s->handles++;
	if (uv_accept(server, (uv_stream_t *)&r->tcp) == 0)
		s->st.rejected++;
	else
		s->st.accept_errors++;
	uv_close((uv_handle_t *)&r->tcp, on_reject_closed);
}

/* The connection as the tcpconn's context: adds the peer's address (sp_tcp_peer_answer_fn). */
static size_t peer_trampoline(void *ctx, uint8_t *msg, size_t len, size_t cap)
{
	struct sp_conn *c = ctx;
	return c->srv->peer_answer(c->srv->ctx, (const struct sockaddr *)&c->peer, msg, len, cap);
}

void sp_tcpserver_set_peer_answer(struct sp_tcpserver *s, sp_tcp_peer_answer_fn fn)
{
	s->peer_answer = fn;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct sp_tcpserver *s = server->data;
	if (status < 0) {
		s->st.accept_errors++;
		return;
	}
	if (s->stopped || s->n_conns >= s->max_conns) {
		reject(s, server);
		return;
	}
	struct sp_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		reject(s, server);
		return;
	}
	if (s->peer_answer)
		c->tc = sp_tcpconn_new(&s->conn_cfg, peer_trampoline, c, uv_now(s->loop));
	else
		c->tc = sp_tcpconn_new(&s->conn_cfg, s->answer, s->ctx, uv_now(s->loop));
	if (!c->tc) {
		free(c);
		reject(s, server);
		return;
	}
	c->srv = s;
	uv_tcp_init(s->loop, &c->tcp);
	uv_timer_init(s->loop, &c->timer);
	c->tcp.data = c;
	c->timer.data = c;
	c->wreq.data = c;
	c->sreq.data = c;
	c->open_handles = 2;
	s->handles += 2;
	s->n_conns++;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;

	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
		s->st.accept_errors++;
		sp_tcpconn_close(c->tc, SP_TCP_CLOSE_IO);
		conn_close(c);
		return;
	}
	s->st.accepted++;
	int plen = sizeof(c->peer);
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->peer, &plen) < 0)
		c->peer.ss_family = AF_UNSPEC;
	uv_tcp_nodelay(&c->tcp, 1); /* every write is whole responses: send them now */
	conn_kick(c);
}

/* ---- listeners ---- */

int sp_tcpserver_start(struct sp_tcpserver *s)
{
	if (!s || s->started || s->stopped)
		return DP_EINVAL;

	int fds[SP_TCPSERVER_ADDRS_MAX];
	unsigned n = 0;
	int rc = 0;
	for (; n < s->n_addrs; n++) {
		fds[n] = sp_listen_tcp(&s->lis[n].addr, s->backlog, &s->lis[n].port);
		if (fds[n] < 0) {
			rc = fds[n];
			goto fail;
		}
	}

	s->started = true;
	for (unsigned i = 0; i < s->n_addrs; i++) {
		struct sp_listener *l = &s->lis[i];
		uv_tcp_init(s->loop, &l->tcp);
		l->tcp.data = s;
		l->open = true;
		s->handles++;
		rc = uv_tcp_open(&l->tcp, fds[i]);
		bool adopted = rc == 0;
		if (rc == 0)
			rc = uv_listen((uv_stream_t *)&l->tcp, s->backlog, on_connection);
		if (rc < 0) {
			/* Not seen in practice (the socket already listens): undo it all. */
			for (unsigned j = adopted ? i + 1 : i; j < s->n_addrs; j++)
				close(fds[j]);
			sp_tcpserver_stop(s); /* closes the handles made so far */
			return rc;
		}
	}
	return 0;

fail:
	while (n > 0)
		close(fds[--n]);
	return rc;
}

int sp_tcpserver_port(const struct sp_tcpserver *s, unsigned i)
{
	if (!s || i >= s->n_addrs || !s->started)
		return DP_EINVAL;
	return s->lis[i].port;
}

void sp_tcpserver_stop(struct sp_tcpserver *s)
{
	if (!s || s->stopped)
		return;
	s->stopped = true;
	for (unsigned i = 0; i < s->n_addrs; i++) {
		struct sp_listener *l = &s->lis[i];
		if (l->open) {
			l->open = false;
			uv_close((uv_handle_t *)&l->tcp, on_listener_closed);
		}
	}
	while (s->conns) {
		struct sp_conn *c = s->conns;
		sp_tcpconn_close(c->tc, SP_TCP_CLOSE_SHUTDOWN);
		conn_close(c); /* unlinks c */
	}
}

void sp_tcpserver_stats(const struct sp_tcpserver *s, struct sp_tcpserver_stats *out)
{
	*out = s->st;
	out->active = s->n_conns;
	for (const struct sp_conn *c = s->conns; c; c = c->next)
		sp_tcp_stats_add(&out->conn, sp_tcpconn_stats(c->tc));
}

void sp_tcpserver_free(struct sp_tcpserver *s)
{
	if (!s)
		return;
	sp_tcpserver_stop(s);
	if (s->handles == 0)
		free(s);
	else
		s->free_pending = true;
}
