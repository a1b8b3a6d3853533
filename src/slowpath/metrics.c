/* SPDX-License-Identifier: BSD-3-Clause */
#include "slowpath/metrics.h"
#include "slowpath/listen.h"

#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns/errcode.h"

#define M_BACKLOG 64
#define M_HEADER_MAX 512 /* octets of our response head */

/* One accepted connection. */
struct m_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t wreq;
	uv_shutdown_t sreq;
	struct sp_metrics *srv;
	struct m_conn *prev, *next;
	struct sp_buf out; /* the response */
	size_t in_len;
	unsigned open_handles;
	bool reading;
	bool responded; /* the response is queued (or written) */
	bool timed_out; /* the response is a 408 */
	bool busy;	/* over max_conns: answered 503 at once */
	bool lingering;
	bool closing;
	char in[SP_METRICS_REQUEST_MAX];
};

struct sp_metrics {
	uv_loop_t *loop;
	sp_metrics_fn fn;
	void *ctx;
	struct sockaddr_storage addr;
	unsigned max_conns;
	uint32_t timeout_ms;
	size_t max_response;
	uv_tcp_t listener;
	int port;
	bool listening;
	bool started;
	bool stopped;
	bool free_pending;
	unsigned handles;
	unsigned n_conns; /* connections holding memory (open or closing), busy ones excluded */
	unsigned n_busy;  /* busy connections (answered 503) holding memory */
	struct m_conn *conns;
	struct sp_metrics_stats st;
	char discard[1024];
};

void sp_metrics_cfg_init(struct sp_metrics_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_conns = SP_METRICS_MAX_CONNS_DEFAULT;
	cfg->timeout_ms = SP_METRICS_TIMEOUT_MS_DEFAULT;
	cfg->max_response = SP_METRICS_RESPONSE_MAX_DEFAULT;
}

struct sp_metrics *sp_metrics_new(uv_loop_t *loop, const struct sp_metrics_cfg *cfg,
				  sp_metrics_fn fn, void *ctx)
{
	if (!loop || !cfg || !fn || !cfg->addr || cfg->max_conns == 0 || cfg->timeout_ms == 0 ||
	    cfg->max_response == 0 || cfg->max_response > SIZE_MAX / 2)
		return NULL;
	struct sp_metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	int rc;
	if (strchr(cfg->addr, ':'))
		rc = uv_ip6_addr(cfg->addr, cfg->port, (struct sockaddr_in6 *)&m->addr);
	else
		rc = uv_ip4_addr(cfg->addr, cfg->port, (struct sockaddr_in *)&m->addr);
	if (rc < 0) {
		free(m);
		return NULL;
	}
	m->loop = loop;
	m->fn = fn;
	m->ctx = ctx;
	m->max_conns = cfg->max_conns;
	m->timeout_ms = cfg->timeout_ms;
	m->max_response = cfg->max_response;
	m->port = -1;
	return m;
}

/* ------------------------------------------------------ the request head */

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* What the head asks for, once it is known to be well-formed enough to answer. */
struct m_req {
	bool get;     /* GET or HEAD */
	bool head;    /* HEAD: no body in the response */
	bool metrics; /* the path is /metrics */
};

/*
 * Parses the request head h[0..n) (its lines, the blank line excluded, each
 * ended by "\n" or "\r\n") and returns the status to answer with: 200 (the
 * request is for /metrics), 400, 404, 405 or 505.
 */
static int parse_head(const char *h, size_t n, struct m_req *r)
{
	const char *end = h + n, *p = h;
	const char *eol = memchr(p, '\n', n);
	if (!eol)
		return 400;
	/* The request line: METHOD SP TARGET SP HTTP/D.D */
	const char *le = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
	const char *sp1 = memchr(p, ' ', (size_t)(le - p));
	if (!sp1 || sp1 == p)
		return 400;
	for (const char *q = p; q < sp1; q++)
		if (!is_tchar((unsigned char)*q))
			return 400;
	const char *t = sp1 + 1;
	const char *sp2 = memchr(t, ' ', (size_t)(le - t));
	if (!sp2 || sp2 == t)
		return 400;
	for (const char *q = t; q < sp2; q++)
		if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
			return 400;
	const char *v = sp2 + 1;
	if (le - v != 8 || memcmp(v, "HTTP/", 5) != 0 || !is_digit(v[5]) || v[6] != '.' ||
	    !is_digit(v[7]))
		return 400;
	bool v11 = v[5] == '1' && v[7] == '1';
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return 505;

	/* Header lines: NAME ":" VALUE; no folding, no control octets but HTAB. */
	unsigned hosts = 0;
	for (p = eol + 1; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			return 400;
		le = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		if (*p == ' ' || *p == '\t')
			return 400; /* obs-fold (RFC 9112 §5.2) */
		const char *colon = memchr(p, ':', (size_t)(le - p));
		if (!colon || colon == p)
			return 400;
		for (const char *q = p; q < colon; q++)
			if (!is_tchar((unsigned char)*q))
				return 400; /* includes whitespace before the colon (§5.1) */
		for (const char *q = colon + 1; q < le; q++) {
			unsigned char c = (unsigned char)*q;
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return 400;
		}
		if (colon - p == 4 && !strncasecmp(p, "host", 4))
			hosts++;
	}
	if (v11 && hosts != 1)
		return 400; /* RFC 9112 §3.2 */

	size_t mlen = (size_t)(sp1 - h);
	r->head = mlen == 4 && !memcmp(h, "HEAD", 4);
	r->get = r->head || (mlen == 3 && !memcmp(h, "GET", 3));
	if (!r->get)
		return 405;
	/* origin-form; the query, if any, is ignored */
	size_t plen = (size_t)(sp2 - t);
	const char *qm = memchr(t, '?', plen);
	if (qm)
		plen = (size_t)(qm - t);
	r->metrics = plen == 8 && !memcmp(t, "/metrics", 8);
	return r->metrics ? 200 : 404;
}

/*
 * The end of a complete head in in[0..len): sets *start past any leading
 * empty lines (RFC 9112 §2.2) and returns the length of the head's lines
 * from there (the blank line excluded), or -1 while it is incomplete.
 */
static long head_end(const char *in, size_t len, size_t *start)
{
	size_t s = 0;
	while (s < len && (in[s] == '\r' || in[s] == '\n'))
		s++;
	*start = s;
	for (size_t i = s; i < len; i++) {
		if (in[i] != '\n')
			continue;
		if (i + 1 < len && in[i + 1] == '\n')
			return (long)(i + 1 - s);
		if (i + 2 < len && in[i + 1] == '\r' && in[i + 2] == '\n')
			return (long)(i + 1 - s);
	}
	return -1;
}

/* ------------------------------------------------------------ responses */

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

/* Head and body of the response into out (the body left out for HEAD). */
static void respond_with(struct sp_buf *out, int status, const char *ctype, const char *body,
			 size_t blen, bool head_only)
{
	sp_buf_printf(out,
		      "HTTP/1.1 %d %s\r\n"
		      "Content-Type: %s\r\n"
		      "Content-Length: %zu\r\n"
		      "%s"
		      "Cache-Control: no-store\r\n"
		      "Connection: close\r\n"
		      "\r\n",
		      status, reason(status), ctype, blen,
		      status == 405 ? "Allow: GET, HEAD\r\n" :
		      status == 503 ? "Retry-After: 1\r\n" :
				      "");
	if (!head_only)
		sp_buf_add(out, body, blen);
}

static void respond_text(struct sp_buf *out, int status, const char *text, bool head_only)
{
	respond_with(out, status, "text/plain; charset=utf-8", text, strlen(text), head_only);
}

/* Builds the response to status (from parse_head) in out, counting it. */
static void build_response(struct sp_metrics *m, struct sp_buf *out, int status,
			   const struct m_req *r)
{
	switch (status) {
	case 200: break;
	case 404:
		m->st.not_found++;
		respond_text(out, 404, "not found: this server has /metrics only\n", r->head);
		return;
	case 405:
		m->st.bad_method++;
		respond_text(out, 405, "method not allowed: GET or HEAD /metrics\n", false);
		return;
	case 505:
		m->st.bad_request++;
		respond_text(out, 505, "HTTP/1.0 or HTTP/1.1 only\n", false);
		return;
	case 431:
		m->st.bad_request++;
		respond_text(out, 431, "request head too large\n", false);
		return;
	case 408:
		m->st.timeouts++;
		respond_text(out, 408, "request not received in time\n", false);
		return;
	case 503:
		m->st.rejected++;
		respond_text(out, 503, "too many open connections; try again\n", false);
		return;
	default:
		m->st.bad_request++;
		respond_text(out, 400, "bad request: not an HTTP/1.x request head\n", false);
		return;
	}

	struct sp_buf body;
	struct sp_prom p;
	sp_buf_init(&body, m->max_response);
	sp_prom_init(&p, &body);
	int rc = m->fn(m->ctx, &p);
	if (rc == 0)
		rc = sp_prom_finish(&p);
	if (rc == 0) {
		m->st.scrapes++;
		respond_with(out, 200, "text/plain; version=0.0.4; charset=utf-8",
			     body.data ? body.data : "", body.len, r->head);
	} else {
		char msg[160];
		m->st.errors++;
		snprintf(msg, sizeof(msg), "metrics unavailable: %s\n",
			 rc == DP_ESPACE ? "exposition too large" : dp_strerror(rc));
		respond_text(out, 500, msg, r->head);
	}
	sp_buf_deinit(&body);
}

/* ---------------------------------------------------------- connections */

static void handle_closed(struct sp_metrics *m)
{
	assert(m->handles > 0);
	if (--m->handles == 0 && m->free_pending)
		free(m);
}

static void on_listener_closed(uv_handle_t *h)
{
	handle_closed(h->data);
}

static void on_conn_handle_closed(uv_handle_t *h)
{
	struct m_conn *c = h->data;
	struct sp_metrics *m = c->srv;
	if (--c->open_handles == 0) {
		sp_buf_deinit(&c->out);
		if (c->busy)
			m->n_busy--;
		else
			m->n_conns--;
		free(c);
	}
	handle_closed(m);
}

static void conn_close(struct m_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	struct sp_metrics *m = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

static void on_alloc_discard(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct m_conn *c = h->data;
	*buf = uv_buf_init(c->srv->discard, sizeof(c->srv->discard));
}

static void on_read_discard(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	(void)buf;
	if (nread < 0)
		conn_close(st->data);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	(void)req;
	(void)status;
}

static void on_linger_timer(uv_timer_t *t)
{
	conn_close(t->data);
}

static void on_write(uv_write_t *req, int status)
{
	struct m_conn *c = req->data;
	if (c->closing)
		return;
	uv_stream_t *st = (uv_stream_t *)&c->tcp;
	if (status < 0) {
		conn_close(c);
		return;
	}
	/* Our FIN, then discard until the client's (see metrics.h). */
	c->lingering = true;
	if (c->reading)
		uv_read_stop(st);
	c->reading = false;
	if (uv_shutdown(&c->sreq, st, on_shutdown) < 0 ||
	    uv_read_start(st, on_alloc_discard, on_read_discard) < 0) {
		conn_close(c);
		return;
	}
	c->reading = true;
	uv_timer_start(&c->timer, on_linger_timer, SP_METRICS_LINGER_MS, 0);
}

static void on_timeout(uv_timer_t *t);

/* Sends the response for status and stops reading. */
static void conn_respond(struct m_conn *c, int status, const struct m_req *r)
{
	struct m_req none = { 0 };
	c->responded = true;
	if (c->reading)
		uv_read_stop((uv_stream_t *)&c->tcp);
	c->reading = false;
	build_response(c->srv, &c->out, status, r ? r : &none);
	if (sp_buf_error(&c->out)) {
		/* The head alone did not fit (memory): nothing sensible to send. */
		conn_close(c);
		return;
	}
	uv_buf_t b = uv_buf_init(c->out.data, (unsigned)c->out.len);
	if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write) < 0) {
		conn_close(c);
		return;
	}
	/* The client gets timeout_ms again to take the response. */
	uv_timer_start(&c->timer, on_timeout, c->srv->timeout_ms, 0);
}

static void on_timeout(uv_timer_t *t)
{
	struct m_conn *c = t->data;
	if (c->closing)
		return;
	if (c->responded) {
		if (!c->timed_out)
			c->srv->st.timeouts++; /* the client does not take its response */
		conn_close(c);
		return;
	}
	c->timed_out = true;
	conn_respond(c, 408, NULL);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct m_conn *c = h->data;
	size_t space = c->responded ? 0 : sizeof(c->in) - c->in_len;
	*buf = uv_buf_init(space ? c->in + c->in_len : NULL, (unsigned)space);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	(void)buf;
	struct m_conn *c = st->data;
	if (c->closing || c->responded)
		return;
	if (nread == UV_EOF) {
		c->reading = false;
		size_t start;
		head_end(c->in, c->in_len, &start);
		if (start == c->in_len)
			conn_close(c); /* nothing asked (a probe, or empty lines) */
		else
			conn_respond(c, 400, NULL); /* closed in the middle of the head */
		return;
	}
	if (nread < 0) {
		if (nread != UV_ENOBUFS)
			conn_close(c);
		return;
	}
	c->in_len += (size_t)nread;
	size_t start;
	long n = head_end(c->in, c->in_len, &start);
	if (n >= 0) {
		struct m_req r = { 0 };
		int status = parse_head(c->in + start, (size_t)n, &r);
		conn_respond(c, status, &r);
	} else if (c->in_len == sizeof(c->in)) {
		conn_respond(c, 431, NULL);
	}
}

static void on_reject_closed(uv_handle_t *h)
{
	struct sp_metrics *m = h->data;
	free(h);
	handle_closed(m);
}

/* Accepts the pending connection only to close it (no memory, or too many busy ones). */
static void reject(struct sp_metrics *m, uv_stream_t *server)
{
	uv_tcp_t *t = malloc(sizeof(*t));
	if (!t) {
		m->st.accept_errors++; /* libuv pauses the listener until the next accept */
		return;
	}
	uv_tcp_init(m->loop, t);
	t->data = m;
	m->handles++;
	if (uv_accept(server, (uv_stream_t *)t) == 0)
		m->st.rejected++;
	else
		m->st.accept_errors++;
	uv_close((uv_handle_t *)t, on_reject_closed);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct sp_metrics *m = server->data;
	if (status < 0) {
		m->st.accept_errors++;
		return;
	}
	/*
	 * Over the limit, a connection still gets a proper 503 (written, then the
	 * same FIN and linger as any response, so the client reads it rather than
	 * a reset), up to as many again as max_conns; past that it is closed at
	 * once.
	 */
	bool busy = m->n_conns >= m->max_conns;
	if (m->stopped || (busy && m->n_busy >= m->max_conns)) {
		reject(m, server);
		return;
	}
	struct m_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		reject(m, server);
		return;
	}
	c->srv = m;
	c->busy = busy;
	sp_buf_init(&c->out, m->max_response + M_HEADER_MAX);
	uv_tcp_init(m->loop, &c->tcp);
	uv_timer_init(m->loop, &c->timer);
	c->tcp.data = c;
	c->timer.data = c;
	c->wreq.data = c;
	c->sreq.data = c;
	c->open_handles = 2;
	m->handles += 2;
	if (busy)
		m->n_busy++;
	else
		m->n_conns++;
	c->next = m->conns;
	if (m->conns)
		m->conns->prev = c;
	m->conns = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
		m->st.accept_errors++;
		conn_close(c);
		return;
	}
	c->reading = true;
	if (busy) {
		conn_respond(c, 503, NULL);
		return;
	}
	m->st.accepted++;
	uv_timer_start(&c->timer, on_timeout, m->timeout_ms, 0);
}

/* ----------------------------------------------------------------- server */

int sp_metrics_start(struct sp_metrics *m)
{
	if (!m || m->started || m->stopped)
		return DP_EINVAL;
	int port = 0;
	int fd = sp_listen_tcp(&m->addr, M_BACKLOG, &port);
	if (fd < 0)
		return fd;
	m->started = true;
	uv_tcp_init(m->loop, &m->listener);
	m->listener.data = m;
	m->listening = true;
	m->handles++;
	int rc = uv_tcp_open(&m->listener, fd);
	if (rc < 0)
		close(fd);
	else
		rc = uv_listen((uv_stream_t *)&m->listener, M_BACKLOG, on_connection);
	if (rc < 0) {
		sp_metrics_stop(m);
		return rc;
	}
	m->port = port;
	return 0;
}

int sp_metrics_port(const struct sp_metrics *m)
{
	return m && m->port >= 0 ? m->port : DP_EINVAL;
}

void sp_metrics_stop(struct sp_metrics *m)
{
	if (!m || m->stopped)
		return;
	m->stopped = true;
	if (m->listening) {
		m->listening = false;
		uv_close((uv_handle_t *)&m->listener, on_listener_closed);
	}
	while (m->conns)
		conn_close(m->conns);
}

void sp_metrics_stats(const struct sp_metrics *m, struct sp_metrics_stats *out)
{
	*out = m->st;
	out->active = m->n_conns + m->n_busy;
}

void sp_metrics_free(struct sp_metrics *m)
{
	if (!m)
		return;
	sp_metrics_stop(m);
	if (m->handles == 0)
		free(m);
	else
		m->free_pending = true;
}
