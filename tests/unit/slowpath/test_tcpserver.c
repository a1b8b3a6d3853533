/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS over TCP server on a real libuv loop (src/slowpath/tcpserver.h), on
 * 127.0.0.1 (and ::1 when the host has it) with ephemeral ports.  The loop
 * runs in the test's thread; the client runs in a second thread with plain
 * blocking sockets (every receive and send times out), records its first
 * failure as text, and tells the loop it is done with a uv_async_t.  A guard
 * timer stops the server if a scenario overruns, so every test is bounded.
 * The loop must close cleanly (uv_loop_close == 0): with ASan that also
 * proves no handle or buffer leaks.
 */
#include "slowpath/tcpserver.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "dns/errcode.h"
#include "zone/answer.h"
#include "zone/check.h"
#include "zone/load.h"

#include "sptest.h"

#define GUARD_MS 8000	       /* the loop stops after this, whatever happens */
#define CLIENT_TIMEOUT_MS 3000 /* any one client receive or send */
#define BIG_LEN 60000	       /* response length for IDs 0xB0xx */
#define DROP_ID 0xeeee	       /* the engine drops this one */

struct env {
	uv_loop_t loop;
	struct sp_tcpserver *srv;
	uv_async_t wake;
	uv_timer_t guard;
	bool guard_fired;
	pthread_t th;
	int port, port6;
	void (*client)(struct env *);
	atomic_bool client_done;
	char err[512];		      /* the client thread's first failure; read after join */
	unsigned calls;		      /* answer callbacks (loop thread) */
	struct sp_tcpserver_stats st; /* after the loop ended */
};

/* ---- the engine: echo with QR set; some IDs drop or grow ---- */

static size_t echo_answer(void *ctx, uint8_t *msg, size_t len, size_t cap)
{
	struct env *e = ctx;
	e->calls++;
	uint16_t id = (uint16_t)(msg[0] << 8 | msg[1]);
	if (id == DROP_ID)
		return 0;
	msg[2] |= 0x80;
	if ((id >> 8) == 0xb0 && cap >= BIG_LEN) {
		for (size_t i = len; i < BIG_LEN; i++)
			msg[i] = (uint8_t)(i ^ id);
		return BIG_LEN;
	}
	return len;
}

/* ---- loop side ---- */

static void on_wake(uv_async_t *a)
{
	struct env *e = a->data;
	sp_tcpserver_stop(e->srv);
	if (atomic_load(&e->client_done)) {
		uv_close((uv_handle_t *)&e->wake, NULL);
		uv_close((uv_handle_t *)&e->guard, NULL);
	}
}

static void on_guard(uv_timer_t *t)
{
	struct env *e = t->data;
	e->guard_fired = true;
	/* Clients then fail fast; the loop ends when the client thread says done. */
	sp_tcpserver_stop(e->srv);
}

static void *client_main(void *arg)
{
	struct env *e = arg;
	e->client(e);
	atomic_store(&e->client_done, true);
	uv_async_send(&e->wake);
	return NULL;
}

/* From the client thread: stop the server now (the client goes on). */
static void request_stop(struct env *e)
{
	uv_async_send(&e->wake);
}

static void cfg_local(struct sp_tcpserver_cfg *cfg, const char *const *addrs, unsigned n)
{
	sp_tcpserver_cfg_init(cfg);
	cfg->addrs = addrs;
	cfg->n_addrs = n;
	cfg->port = 0;
}

static const char *const v4[] = { "127.0.0.1" };

/*
 * Runs client(e) against a server with cfg answering with answer (NULL:
 * echo_answer, called with e); returns after the loop has closed.
 */
/* When set, run() installs it with sp_tcpserver_set_peer_answer. */
static sp_tcp_peer_answer_fn run_peer_answer;

static void run(struct env *e, const struct sp_tcpserver_cfg *cfg, void (*client)(struct env *),
		sp_tcp_answer_fn answer)
{
	memset(e, 0, sizeof(*e));
	atomic_init(&e->client_done, false);
	e->client = client;
	signal(SIGPIPE, SIG_IGN); /* libuv writes with writev(2): the process must ignore it */
	cr_assert_eq(uv_loop_init(&e->loop), 0);
	e->srv = sp_tcpserver_new(&e->loop, cfg, answer ? answer : echo_answer, e);
	cr_assert_not_null(e->srv);
	if (run_peer_answer)
		sp_tcpserver_set_peer_answer(e->srv, run_peer_answer);
	int rc = sp_tcpserver_start(e->srv);
	cr_assert_eq(rc, 0, "start: %s", dp_strerror(rc));
	e->port = sp_tcpserver_port(e->srv, 0);
	cr_assert_gt(e->port, 0);
	e->port6 = cfg->n_addrs > 1 ? sp_tcpserver_port(e->srv, 1) : -1;

	uv_async_init(&e->loop, &e->wake, on_wake);
	e->wake.data = e;
	uv_timer_init(&e->loop, &e->guard);
	e->guard.data = e;
	uv_timer_start(&e->guard, on_guard, GUARD_MS, 0);
	cr_assert_eq(pthread_create(&e->th, NULL, client_main, e), 0);

	uv_run(&e->loop, UV_RUN_DEFAULT);
	pthread_join(e->th, NULL);
	sp_tcpserver_stats(e->srv, &e->st);
	cr_assert_eq(e->st.active, 0, "connections left after the loop ended");
	sp_tcpserver_free(e->srv);
	cr_assert_eq(uv_loop_close(&e->loop), 0, "handles left open");
	cr_assert_not(e->guard_fired, "scenario overran %d ms", GUARD_MS);
	cr_assert(e->err[0] == 0, "client: %s", e->err);
	sptest_leak_check();
}

/* ---- client side (its own thread: no criterion asserts here) ---- */

__attribute__((format(printf, 2, 3))) static void fail(struct env *e, const char *fmt, ...)
{
	if (e->err[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->err, sizeof(e->err), fmt, ap);
	va_end(ap);
}

#define CK(cond, ...)                         \
	do {                                  \
		if (!(cond)) {                \
			fail(e, __VA_ARGS__); \
			goto out;             \
		}                             \
	} while (0)

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* Connected socket to port on 127.0.0.1 (or ::1), or -1.  rcvbuf > 0 shrinks SO_RCVBUF. */
static int cli_connect(int port, bool v6, int rcvbuf)
{
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_MS / 1000 };
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	int rc;
	if (v6) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6,
					  .sin6_port = htons((uint16_t)port),
					  .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons((uint16_t)port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	}
	if (rc < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool cli_send(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Reads exactly len octets; false on EOF, error or timeout. */
static bool cli_recv(int fd, uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = recv(fd, buf, len, 0);
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* True when the server closes the connection (EOF or reset) with no data first. */
static bool cli_closed(int fd)
{
	uint8_t b;
	ssize_t n = recv(fd, &b, 1, 0);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* Writes a framed query: ID id, RD set, message length len (>= 12). */
static size_t mkq(uint8_t *out, uint16_t id, size_t len)
{
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	for (size_t i = 0; i < len; i++)
		out[2 + i] = (uint8_t)(i * 13 + id);
	out[2] = (uint8_t)(id >> 8);
	out[3] = (uint8_t)id;
	out[4] = 0x01;
	return 2 + len;
}

/*
 * Reads one response and checks it answers the framed query q: same length
 * (or BIG_LEN), same ID, QR set, same octets after the flags.
 */
static bool cli_check_answer(struct env *e, int fd, const uint8_t *q, uint8_t *rbuf)
{
	size_t qlen = (size_t)q[0] << 8 | q[1];
	uint16_t id = (uint16_t)(q[2] << 8 | q[3]);
	uint8_t pfx[2];
	if (!cli_recv(fd, pfx, 2)) {
		fail(e, "id %#x: no response (errno %d)", id, errno);
		return false;
	}
	size_t len = (size_t)pfx[0] << 8 | pfx[1];
	size_t want = (id >> 8) == 0xb0 ? BIG_LEN : qlen;
	if (len != want) {
		fail(e, "id %#x: length %zu, want %zu", id, len, want);
		return false;
	}
	if (!cli_recv(fd, rbuf, len)) {
		fail(e, "id %#x: short response", id);
		return false;
	}
	uint16_t rid = (uint16_t)(rbuf[0] << 8 | rbuf[1]);
	if (rid != id || !(rbuf[2] & 0x80) || (rbuf[2] & 0x7f) != q[4] ||
	    memcmp(rbuf + 3, q + 5, qlen - 3) != 0) {
		fail(e, "id %#x: response %#x does not match", id, rid);
		return false;
	}
	return true;
}

/* ---- scenarios ---- */

static void client_pipelined_split(struct env *e)
{
	enum {
		N = 20
	};
	static uint8_t q[N * 320], rbuf[65536];
	size_t off[N + 1];
	size_t n = 0;
	int fd = cli_connect(e->port, false, 0);
	CK(fd >= 0, "connect");
	for (unsigned i = 0; i < N; i++) {
		off[i] = n;
		n += mkq(q + n, (uint16_t)(0x100 + i), 12 + (i * 37) % 300);
	}
	off[N] = n;
	/* Irregular pieces, each its own segment: prefixes and bodies split every way. */
	static const size_t pieces[] = { 1, 1, 3, 2, 5, 8, 13, 21, 34, 55, 89, 144, 7, 1 };
	size_t sent = 0;
	for (unsigned k = 0; sent < n; k++) {
		size_t len = pieces[k % (sizeof(pieces) / sizeof(pieces[0]))];
		if (len > n - sent)
			len = n - sent;
		CK(cli_send(fd, q + sent, len), "send");
		sent += len;
		sleep_ms(1);
	}
	for (unsigned i = 0; i < N; i++)
		if (!cli_check_answer(e, fd, q + off[i], rbuf))
			goto out;
	/* Half-close: the server answers nothing more and closes (reason EOF). */
	shutdown(fd, SHUT_WR);
	CK(cli_closed(fd), "server did not close after EOF");
out:
	if (fd >= 0)
		close(fd);
}

Test(tcpserver, pipelined_queries_split_across_writes)
{
	struct env e;
	struct sp_tcpserver_cfg cfg;
	cfg_local(&cfg, v4, 1);
	run(&e, &cfg, client_pipelined_split, NULL);
	cr_assert_eq(e.st.accepted, 1);
	cr_assert_eq(e.st.conn.queries, 20);
	cr_assert_eq(e.st.conn.responses, 20);
	cr_assert_eq(e.st.conn.closes[SP_TCP_CLOSE_EOF], 1);
	cr_assert_eq(e.st.conn.bytes_in, e.st.conn.bytes_out);
}

static void client_burst(struct env *e)
{
	enum {
		N = 200
	};
	static uint8_t q[N * 60], rbuf[65536];
	size_t n = 0;
	int fd = cli_connect(e->port, false, 0);
	CK(fd >= 0, "connect");
	for (unsigned i = 0; i < N; i++)
		n += mkq(q + n, (uint16_t)i, 12 + i % 40);
	CK(cli_send(fd, q, n), "send");
	for (size_t off = 0; off < n; off += 2 + ((size_t)q[off] << 8 | q[off + 1]))
		if (!cli_check_answer(e, fd, q + off, rbuf))
			goto out;
out:
	if (fd >= 0)
		close(fd);
}

Test(tcpserver, many_queries_in_one_write)
{
	struct env e;
	struct sp_tcpserver_cfg cfg;
	cfg_local(&cfg, v4, 1);
	run(&e, &cfg, client_burst, NULL);
	cr_assert_eq(e.st.conn.responses, 200);
}

/* Sends one query on fd and checks its answer. */
static bool cli_ping(struct env *e, int fd, uint16_t id)
{
	static uint8_t rbuf[65536];
	uint8_t q[64];
	size_t n = mkq(q, id, 30);
	if (!cli_send(fd, q, n)) {
		fail(e, "send id %#x", id);
		return false;
	}
	return cli_check_answer(e, fd, q, rbuf);
}

static void client_limit(struct env *e)
{
	int a = cli_connect(e->port, false, 0);
	int b = cli_connect(e->port, false, 0);
	int c = -1, d = -1;
	CK(a >= 0 && b >= 0, "connect");
	if (!cli_ping(e, a, 1) || !cli_ping(e, b, 2))
		goto out;
	/* Third: the kernel completes the handshake; the server accepts and closes. */
	c = cli_connect(e->port, false, 0);
	CK(c >= 0, "connect c");
	CK(cli_closed(c), "third connection not closed");
	/* Once one leaves, there is room again. */
	shutdown(a, SHUT_WR);
	CK(cli_closed(a), "a not closed after EOF");
	d = cli_connect(e->port, false, 0);
	CK(d >= 0, "connect d");
	if (!cli_ping(e, d, 4) || !cli_ping(e, b, 5))
		goto out;
out:
	for (int *fd = (int[]){ a, b, c, d }, i = 0; i < 4; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

Test(tcpserver, connection_limit)
{
	struct env e;
	struct sp_tcpserver_cfg cfg;
	cfg_local(&cfg, v4, 1);
	cfg.max_conns = 2;
	run(&e, &cfg, client_limit, NULL);
	cr_assert_eq(e.st.accepted, 3);
	cr_assert_eq(e.st.rejected, 1);
	cr_assert_eq(e.st.conn.responses, 4);
}

static void client_idle(struct env *e)
{
	int a = cli_connect(e->port, false, 0);
	int b = cli_connect(e->port, false, 0);
	CK(a >= 0 && b >= 0, "connect");
	if (!cli_ping(e, a, 1))
		goto out;
	/* a: idle after its answer; b: never sent anything.  Both go in ~200 ms. */
	uint64_t t0 = now_ms();
	CK(cli_closed(a), "a not closed");
	uint64_t ta = now_ms() - t0;
	CK(ta >= 150 && ta < 2000, "a closed after %lu ms", (unsigned long)ta);
	CK(cli_closed(b), "b not closed");
	/* A connection that keeps asking stays open past the timeout. */
	int c = cli_connect(e->port, false, 0);
	CK(c >= 0, "connect c");
	for (unsigned i = 0; i < 6; i++) {
		sleep_ms(100);
		if (!cli_ping(e, c, (uint16_t)(10 + i))) {
			close(c);
			goto out;
		}
	}
	close(c);
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

Test(tcpserver, idle_timeout)
{
	struct env e;
	struct sp_tcpserver_cfg cfg;
	cfg_local(&cfg, v4, 1);
	cfg.conn.idle_ms = 200;
	run(&e, &cfg, client_idle, NULL);
	cr_assert_eq(e.st.conn.closes[SP_TCP_CLOSE_IDLE], 2);
	cr_assert_eq(e.st.conn.responses, 7);
}

static void client_lifetime(struct env *e)
{
	int a = cli_connect(e->port, false, 0);
	CK(a >= 0, "connect");
	uint64_t t0 = now_ms();
	unsigned i = 0;
	/* Busy every 50 ms (never idle for 200 ms) until the 400 ms lifetime ends it. */
	for (; i < 40 && now_ms() - t0 < 2000; i++) {
		uint8_t q[64];
		size_t n = mkq(q, (uint16_t)i, 20);
		if (!cli_send(a, q, n))
			break;
		uint8_t r[64];
		if (!cli_recv(a, r, n))
			break;
		sleep_ms(50);
	}
	uint64_t t = now_ms() - t0;
	CK(t >= 350 && t < 2000, "closed after %lu ms (%u queries)", (unsigned long)t, i);
out:
	if (a >= 0)
		close(a);
}

Test(tcpserver, lifetime)
{
	struct env e;
	struct sp_tcpserver_cfg cfg;
	cfg_local(&cfg, v4, 1);
	cfg.conn.idle_ms = 200;
	cfg.conn.lifetime_ms = 400;
	run(&e, &cfg, client_lifetime, NULL);
	cr_assert_eq(e.st.conn.closes[SP_TCP_CLOSE_LIFETIME], 1);
}

static void client_bad_input(struct env *e)
{
	static uint8_t q[256], rbuf[65536];
	int a = cli_connect(e->port, false, 0);
	int b = cli_connect(e->port, false, 0);
	int c = cli_connect(e->port, false, 0);
	CK(a >= 0 && b >= 0 && c >= 0, "connect");
	/* a: a good query, a dropped one, then another: one answer, then closed. */
	size_t n = mkq(q, 1, 20);
	n += mkq(q + n, DROP_ID, 20);
	n += mkq(q + n, 3, 20);
	CK(cli_send(a, q, n), "send a");
	if (!cli_check_answer(e, a, q, rbuf))
		goto out;
	CK(cli_closed(a), "a: not closed after a dropped query");
	/* b: zero-length message. */
	CK(cli_send(b, (const uint8_t *)"\0\0", 2), "send b");
	CK(cli_closed(b), "b: not closed after a zero-length message");
	/* c: shorter than a header. */
	CK(cli_send(c, (const uint8_t *)"\0\5abcde", 7), "send c");
	CK(cli_closed(c), "c: not closed after a short message");
out:
	for (int *fd = (int[]){ a, b, c }, i = 0; i < 3; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

Test(tcpserver, bad_input_closes)
{
	struct env e;
	struct sp_tcpserver_cfg cfg;
	cfg_local(&cfg, v4, 1);
	run(&e, &cfg, client_bad_input, NULL);
	cr_assert_eq(e.st.conn.closes[SP_TCP_CLOSE_DROP], 1);
	cr_assert_eq(e.st.conn.closes[SP_TCP_CLOSE_ZERO], 1);
	cr_assert_eq(e.st.conn.closes[SP_TCP_CLOSE_SHORT], 1);
	cr_assert_eq(e.st.lingered, 3);
	cr_assert_eq(e.calls, 2);
}

static void client_linger(struct env *e)
{
	static uint8_t q[1024], rbuf[65536];
	int a = cli_connect(e->port, false, 0);
	int b = cli_connect(e->port, false, 0);
	CK(a >= 0 && b >= 0, "connect");
	/* a: answer, dropped query, junk: the answer arrives, then the server's FIN. */
	size_t n = mkq(q, 1, 20);
	n += mkq(q + n, DROP_ID, 20);
	memset(q + n, 0x5a, 300);
	n += 300;
	CK(cli_send(a, q, n), "send a");
	if (!cli_check_answer(e, a, q, rbuf))
		goto out;
	CK(cli_closed(a), "a: no FIN after a dropped query");
	/* Still lingering: more input is read and discarded, not reset. */
	CK(cli_send(a, q, 200), "a: send while the server lingers");
	sleep_ms(50);
	CK(cli_send(a, q, 200), "a: reset while the server lingers");
	close(a); /* the server's discarding read sees EOF: closed */
	a = -1;

	/* b: zero-length message, then silence: closed when linger_ms (200) is up. */
	CK(cli_send(b, (const uint8_t *)"\0\0", 2), "send b");
	CK(cli_closed(b), "b: no FIN after a zero-length message");
	uint64_t t0 = now_ms();
	bool reset = false;
	while (!reset && now_ms() - t0 < 2000) {
		sleep_ms(20);
		reset = send(b, "x", 1, MSG_NOSIGNAL) < 0; /* fails once the socket is gone */
	}
	uint64_t t = now_ms() - t0;
	CK(reset, "b: still open 2 s after the linger started");
	CK(t >= 100, "b: closed after %lu ms, before linger_ms", (unsigned long)t);
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

Test(tcpserver, lingering_close_after_bad_input)
{
	struct env e;
	struct sp_tcpserver_cfg cfg;
	cfg_local(&cfg, v4, 1);
	cfg.linger_ms = 200;
	run(&e, &cfg, client_linger, NULL);
	cr_assert_eq(e.st.lingered, 2);
	cr_assert_eq(e.st.conn.closes[SP_TCP_CLOSE_DROP], 1);
	cr_assert_eq(e.st.conn.closes[SP_TCP_CLOSE_ZERO], 1);
	cr_assert_eq(e.st.conn.responses, 1);
}

static void client_backpressure(struct env *e)
{
	enum {
		N = 100
	};
	static uint8_t q[N * 20], rbuf[65536];
	/* A small receive window, and nobody reading for a while. */
	int fd = cli_connect(e->port, false, 4096);
	CK(fd >= 0, "connect");
	size_t n = 0;
	for (unsigned i = 0; i < N; i++)
		n += mkq(q + n, (uint16_t)(0xb000 + i), 12);
	CK(cli_send(fd, q, n), "send");
	sleep_ms(300);
	for (size_t off = 0; off < n; off += 14)
		if (!cli_check_answer(e, fd, q + off, rbuf))
			goto out;
out:
	if (fd >= 0)
		close(fd);
}

Test(tcpserver, backpressure_large_responses)
{
	struct env e;
	struct sp_tcpserver_cfg cfg;
	cfg_local(&cfg, v4, 1);
	cfg.conn.out_limit = 4096;
	run(&e, &cfg, client_backpressure, NULL);
	cr_assert_eq(e.st.conn.responses, 100);
	cr_assert_geq(e.st.conn.stalls, 1, "never stalled: the test did not test backpressure");
	cr_assert_eq(e.st.conn.bytes_out, 100 * (2 + BIG_LEN));
}

static void client_shutdown(struct env *e)
{
	int a = cli_connect(e->port, false, 0);
	int b = cli_connect(e->port, false, 0);
	CK(a >= 0 && b >= 0, "connect");
	if (!cli_ping(e, a, 1))
		goto out;
	/* b holds half a query. */
	CK(cli_send(b, (const uint8_t *)"\0\40abc", 5), "send b");
	request_stop(e);
	CK(cli_closed(a), "a not closed by the shutdown");
	CK(cli_closed(b), "b not closed by the shutdown");
	/* Nobody listens any more. */
	int c = cli_connect(e->port, false, 0);
	CK(c < 0, "connected after the shutdown");
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

Test(tcpserver, clean_shutdown)
{
	struct env e;
	struct sp_tcpserver_cfg cfg;
	cfg_local(&cfg, v4, 1);
	run(&e, &cfg, client_shutdown, NULL);
	cr_assert_eq(e.st.conn.closes[SP_TCP_CLOSE_SHUTDOWN], 2);
	cr_assert_eq(e.st.accepted, 2);
}

static void client_dual(struct env *e)
{
	int a = cli_connect(e->port, false, 0);
	int b = cli_connect(e->port6, true, 0);
	CK(a >= 0 && b >= 0, "connect");
	if (!cli_ping(e, a, 1) || !cli_ping(e, b, 2))
		goto out;
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

static bool have_ipv6_loopback(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

Test(tcpserver, ipv4_and_ipv6)
{
	if (!have_ipv6_loopback())
		cr_skip_test("no ::1 on this host (containers may lack IPv6)");

	static const char *const both[] = { "127.0.0.1", "::1" };
	struct env e;
	struct sp_tcpserver_cfg cfg;
	cfg_local(&cfg, both, 2);
	run(&e, &cfg, client_dual, NULL);
	cr_assert_eq(e.st.accepted, 2);
	cr_assert_eq(e.st.conn.responses, 2);
}

/* ---- setup errors (no loop run needed: nothing is left open) ---- */

Test(tcpserver, bad_config)
{
	uv_loop_t loop;
	cr_assert_eq(uv_loop_init(&loop), 0);
	struct sp_tcpserver_cfg cfg;
	cfg_local(&cfg, v4, 1);
	cr_assert_null(sp_tcpserver_new(&loop, &cfg, NULL, NULL));
	cfg.n_addrs = 0;
	cr_assert_null(sp_tcpserver_new(&loop, &cfg, echo_answer, NULL));
	static const char *const bad[] = { "127.0.0.256" };
	cfg_local(&cfg, bad, 1);
	cr_assert_null(sp_tcpserver_new(&loop, &cfg, echo_answer, NULL));
	static const char *const bad6[] = { "::1::2" };
	cfg_local(&cfg, bad6, 1);
	cr_assert_null(sp_tcpserver_new(&loop, &cfg, echo_answer, NULL));
	cfg_local(&cfg, v4, 1);
	cfg.max_conns = 0;
	cr_assert_null(sp_tcpserver_new(&loop, &cfg, echo_answer, NULL));
	cfg_local(&cfg, v4, 1);
	cfg.conn.idle_ms = 0;
	cr_assert_null(sp_tcpserver_new(&loop, &cfg, echo_answer, NULL));
	sp_tcpserver_free(NULL);
	cr_assert_eq(uv_loop_close(&loop), 0);
	sptest_leak_check();
}

Test(tcpserver, port_in_use_unwinds)
{
	uv_loop_t loop;
	cr_assert_eq(uv_loop_init(&loop), 0);
	struct sp_tcpserver_cfg cfg;
	cfg_local(&cfg, v4, 1);
	struct sp_tcpserver *a = sp_tcpserver_new(&loop, &cfg, echo_answer, NULL);
	cr_assert_not_null(a);
	cr_assert_eq(sp_tcpserver_port(a, 0), DP_EINVAL, "port before start");
	cr_assert_eq(sp_tcpserver_start(a), 0);
	cr_assert_eq(sp_tcpserver_start(a), DP_EINVAL, "started twice");
	int port = sp_tcpserver_port(a, 0);
	cr_assert_gt(port, 0);
	cr_assert_eq(sp_tcpserver_port(a, 1), DP_EINVAL);

	/*
	 * Second server on the same port: the taken address last, so that with
	 * ::1 (free on that port, IPV6_V6ONLY) an open socket must be unwound.
	 */
	bool v6 = have_ipv6_loopback();
	static const char *const two[] = { "::1", "127.0.0.1" };
	if (v6)
		cfg_local(&cfg, two, 2);
	cfg.port = (uint16_t)port;
	struct sp_tcpserver *b = sp_tcpserver_new(&loop, &cfg, echo_answer, NULL);
	cr_assert_not_null(b);
	int rc = sp_tcpserver_start(b);
	cr_assert_eq(rc, -EADDRINUSE, "start: %s", dp_strerror(rc));
	sp_tcpserver_free(b); /* nothing was left open: freed at once */
	if (v6) {
		/* ::1 on that port is free again: the failed start closed it. */
		static const char *const one6[] = { "::1" };
		cfg_local(&cfg, one6, 1);
		cfg.port = (uint16_t)port;
		b = sp_tcpserver_new(&loop, &cfg, echo_answer, NULL);
		cr_assert_not_null(b);
		rc = sp_tcpserver_start(b);
		cr_assert_eq(rc, 0, "::1 port %d still taken: %s", port, dp_strerror(rc));
		sp_tcpserver_free(b);
	}

	sp_tcpserver_stop(a);
	sp_tcpserver_free(a); /* its listener is closing: freed by the loop */
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&loop), 0);
	sptest_leak_check();
}

/* ---- with the real engine: what the daemon wires up ---- */

static const char zone_text[] = "$ORIGIN example.\n$TTL 3600\n"
				"@ SOA ns hostmaster 1 7200 3600 1209600 300\n"
				"@ NS ns\nns A 192.0.2.53\nwww A 192.0.2.80\n";

static struct zone_table *ztable;

static size_t zone_tcp_answer(void *ctx, uint8_t *msg, size_t len, size_t cap)
{
	struct env *e = ctx;
	struct answer_cfg cfg;
	struct answer_info info;
	e->calls++;
	zone_answer_cfg_init(&cfg);
	return zone_answer(ztable, &cfg, msg, len, cap, true, &info);
}

/* A framed query for qtype at www.example. or example. (apex). */
static size_t mkzq(uint8_t *out, uint16_t id, bool apex, uint16_t qtype)
{
	static const uint8_t www[] = "\3www\7example";
	static const uint8_t top[] = "\7example";
	const uint8_t *name = apex ? top : www;
	size_t nlen = (apex ? sizeof(top) : sizeof(www)); /* with the root octet */
	size_t len = 12 + nlen + 4;
	uint8_t *p = out;
	*p++ = (uint8_t)(len >> 8);
	*p++ = (uint8_t)len;
	*p++ = (uint8_t)(id >> 8);
	*p++ = (uint8_t)id;
	*p++ = 0;
	*p++ = 0;
	*p++ = 0;
	*p++ = 1; /* QDCOUNT */
	memset(p, 0, 6);
	p += 6;
	memcpy(p, name, nlen);
	p += nlen;
	*p++ = (uint8_t)(qtype >> 8);
	*p++ = (uint8_t)qtype;
	*p++ = 0;
	*p++ = 1; /* IN */
	return (size_t)(p - out);
}

/* Reads one response: checks its ID, QR, rcode and ANCOUNT. */
static bool cli_zone_check(struct env *e, int fd, uint16_t id, unsigned rcode, unsigned ancount)
{
	static uint8_t r[65536];
	uint8_t pfx[2];
	if (!cli_recv(fd, pfx, 2) || !cli_recv(fd, r, (size_t)pfx[0] << 8 | pfx[1])) {
		fail(e, "id %u: no response", id);
		return false;
	}
	size_t len = (size_t)pfx[0] << 8 | pfx[1];
	if (len < 12 || (r[0] << 8 | r[1]) != id || !(r[2] & 0x80) || (r[3] & 0x0f) != rcode ||
	    (unsigned)(r[6] << 8 | r[7]) != ancount) {
		fail(e, "id %u: rcode %u ancount %u, want %u/%u", id, r[3] & 0x0fu,
		     (unsigned)(r[6] << 8 | r[7]), rcode, ancount);
		return false;
	}
	return true;
}

static void client_zone(struct env *e)
{
	uint8_t q[256];
	int fd = cli_connect(e->port, false, 0);
	CK(fd >= 0, "connect");
	/* Pipelined: A, AXFR, IXFR, A again, in one write. */
	size_t n = mkzq(q, 1, false, 1);
	n += mkzq(q + n, 2, true, 252);
	n += mkzq(q + n, 3, true, 251);
	n += mkzq(q + n, 4, true, 6);
	CK(cli_send(fd, q, n), "send");
	if (!cli_zone_check(e, fd, 1, 0, 1) || !cli_zone_check(e, fd, 2, 5, 0) ||
	    !cli_zone_check(e, fd, 3, 5, 0) || !cli_zone_check(e, fd, 4, 0, 1))
		goto out;
out:
	if (fd >= 0)
		close(fd);
}

Test(tcpserver, zone_engine_answers_and_refuses_transfers)
{
	struct zone_diag d;
	zone_diag_init(&d, NULL, NULL);
	struct zone_contents *z =
		zone_load_string(zone_text, sizeof(zone_text) - 1, "tcp-test", "example.", &d);
	cr_assert_not_null(z);
	struct zone_snap *snaps[1] = { zone_snap_build(z) };
	cr_assert_not_null(snaps[0]);
	ztable = zone_table_new(snaps, 1);
	cr_assert_not_null(ztable);

	struct env e;
	struct sp_tcpserver_cfg cfg;
	cfg_local(&cfg, v4, 1);
	run(&e, &cfg, client_zone, zone_tcp_answer);
	cr_assert_eq(e.calls, 4);
	cr_assert_eq(e.st.conn.responses, 4);
	zone_table_free(ztable);
	ztable = NULL;
	sptest_leak_check();
}

/* ---- the peer-aware answer callback ---- */

static struct sockaddr_storage seen_peer;
static unsigned peer_calls;

static size_t peer_echo(void *ctx, const struct sockaddr *peer, uint8_t *msg, size_t len,
			size_t cap)
{
	memcpy(&seen_peer, peer, peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							       : sizeof(struct sockaddr_in));
	peer_calls++;
	return echo_answer(ctx, msg, len, cap);
}

Test(tcpserver, peer_answer_gets_the_client_address)
{
	struct env e;
	struct sp_tcpserver_cfg cfg;
	cfg_local(&cfg, v4, 1);
	run_peer_answer = peer_echo;
	run(&e, &cfg, client_burst, NULL);
	run_peer_answer = NULL;
	cr_assert_eq(peer_calls, 200);
	cr_assert_eq(e.calls, 200, "the plain callback is not called besides");
	cr_assert_eq(seen_peer.ss_family, AF_INET);
	const struct sockaddr_in *in = (const struct sockaddr_in *)&seen_peer;
	cr_expect_eq(ntohl(in->sin_addr.s_addr), 0x7f000001u);
	cr_expect_neq(in->sin_port, 0);
}
