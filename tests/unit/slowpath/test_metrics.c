/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus endpoint (src/slowpath/metrics.h) on a real libuv loop and
 * 127.0.0.1 (::1 too when the host has it) with an ephemeral port: GET and
 * HEAD of /metrics with the exposition from the callback, every refusal
 * (404, 405, 400 for each kind of garbage, 431, 505), callback failures
 * (500), the connection limit (503), concurrent clients, and slowloris
 * clients cut off at the timeout (408).  Every loop closes cleanly and,
 * under ASan, nothing leaks.
 */
#include "slowpath/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "dns/errcode.h"

#include "looptest.h"
#include "sptest.h"

/* ---- the host: a few metrics, counted scrapes, a switch to fail ---- */

struct host {
	unsigned calls;
	int fail;    /* returned by the callback when not 0 */
	size_t pad;  /* extra samples, to make the exposition large */
	bool misuse; /* write a sample outside its family */
	int port, port6;
};

static struct host host;

static int expose(void *ctx, struct sp_prom *p)
{
	struct host *h = ctx;
	h->calls++;
	if (h->fail)
		return h->fail;
	sp_prom_family(p, "dpdns_scrapes_total", SP_PROM_COUNTER, "Scrapes so far.");
	sp_prom_u64(p, "dpdns_scrapes_total", NULL, 0, h->calls);
	sp_prom_family(p, "dpdns_zone_serial", SP_PROM_GAUGE, "Serial served, per zone.");
	struct sp_prom_label l1[] = { { "zone", "example.com." } };
	struct sp_prom_label l2[] = { { "zone", "we\"ird\\zone\n." } };
	sp_prom_u64(p, "dpdns_zone_serial", l1, 1, 2024010101);
	sp_prom_u64(p, "dpdns_zone_serial", l2, 1, 7);
	if (h->misuse)
		sp_prom_u64(p, "dpdns_other", NULL, 0, 1);
	if (h->pad) {
		sp_prom_family(p, "dpdns_pad", SP_PROM_GAUGE, NULL);
		for (size_t i = 0; i < h->pad; i++) {
			char v[24];
			snprintf(v, sizeof(v), "%zu", i);
			struct sp_prom_label l[] = { { "i", v } };
			sp_prom_u64(p, "dpdns_pad", l, 1, i);
		}
	}
	return 0;
}

/* The exposition expose() writes at its n-th call (n from 1). */
static void expected_body(char *out, size_t cap, unsigned n)
{
	snprintf(out, cap,
		 "# HELP dpdns_scrapes_total Scrapes so far.\n"
		 "# TYPE dpdns_scrapes_total counter\n"
		 "dpdns_scrapes_total %u\n"
		 "# HELP dpdns_zone_serial Serial served, per zone.\n"
		 "# TYPE dpdns_zone_serial gauge\n"
		 "dpdns_zone_serial{zone=\"example.com.\"} 2024010101\n"
		 "dpdns_zone_serial{zone=\"we\\\"ird\\\\zone\\n.\"} 7\n",
		 n);
}

static void stop_metrics(void *srv)
{
	sp_metrics_stop(srv);
}

static void run_addr(struct lt_env *e, struct sp_metrics_cfg *cfg, const char *addr,
		     void (*client)(struct lt_env *), struct sp_metrics_stats *st)
{
	struct sp_metrics_cfg def;
	if (!cfg) {
		sp_metrics_cfg_init(&def);
		cfg = &def;
	}
	cfg->addr = addr;
	cfg->port = 0;
	lt_init(e);
	struct sp_metrics *m = sp_metrics_new(&e->loop, cfg, expose, &host);
	cr_assert_not_null(m);
	cr_assert_eq(sp_metrics_port(m), DP_EINVAL, "no port before start");
	int rc = sp_metrics_start(m);
	cr_assert_eq(rc, 0, "start: %s", dp_strerror(rc));
	host.port = sp_metrics_port(m);
	cr_assert_gt(host.port, 0);
	e->user = &host;
	lt_run(e, m, stop_metrics, client);
	sp_metrics_stats(m, st);
	sp_metrics_free(m);
	lt_fini(e);
	cr_assert_eq(st->active, 0);
	sptest_leak_check();
}

static void run(struct lt_env *e, struct sp_metrics_cfg *cfg, void (*client)(struct lt_env *),
		struct sp_metrics_stats *st)
{
	run_addr(e, cfg, "127.0.0.1", client, st);
}

static void reset_host(void)
{
	memset(&host, 0, sizeof(host));
}

TestSuite(metrics, .init = reset_host);

/* ---- client side ---- */

static int cli_connect_to(bool v6, int port)
{
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	lt_timeouts(fd, LT_CLIENT_TIMEOUT_MS);
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

static int cli_connect(struct lt_env *e)
{
	return cli_connect_to(false, ((struct host *)e->user)->port);
}

struct http_resp {
	int status;
	char head[4096]; /* status line and headers, NUL-terminated */
	char *body;	 /* into raw */
	size_t body_len; /* as received */
	long clen;	 /* Content-Length, -1 if absent */
	char raw[1 << 21];
};

static struct http_resp hr;

/* Reads until EOF and splits the response; false (and a failure) when it is not one. */
static bool cli_read_response(struct lt_env *e, int fd, struct http_resp *out)
{
	size_t n = 0;
	for (;;) {
		if (n == sizeof(out->raw) - 1) {
			lt_fail(e, "response too large");
			return false;
		}
		ssize_t k = recv(fd, out->raw + n, sizeof(out->raw) - 1 - n, 0);
		if (k == 0)
			break;
		if (k < 0) {
			lt_fail(e, "recv after %zu octets: errno %d", n, errno);
			return false;
		}
		n += (size_t)k;
	}
	out->raw[n] = '\0';
	char *sep = strstr(out->raw, "\r\n\r\n");
	if (!sep || (size_t)(sep - out->raw) >= sizeof(out->head)) {
		lt_fail(e, "no response head in %zu octets: '%.80s'", n, out->raw);
		return false;
	}
	memcpy(out->head, out->raw, (size_t)(sep - out->raw));
	out->head[sep - out->raw] = '\0';
	out->body = sep + 4;
	out->body_len = n - (size_t)(out->body - out->raw);
	if (sscanf(out->head, "HTTP/1.1 %d ", &out->status) != 1) {
		lt_fail(e, "bad status line '%.80s'", out->head);
		return false;
	}
	const char *cl = strstr(out->head, "\r\nContent-Length: ");
	out->clen = cl ? strtol(cl + 18, NULL, 10) : -1;
	if (!strstr(out->head, "\r\nConnection: close")) {
		lt_fail(e, "no Connection: close in '%s'", out->head);
		return false;
	}
	return true;
}

/* Sends req on a new connection and reads the whole response. */
static bool http(struct lt_env *e, const char *req, size_t len, struct http_resp *out)
{
	int fd = cli_connect(e);
	if (fd < 0) {
		lt_fail(e, "connect: errno %d", errno);
		return false;
	}
	bool ok = lt_send(fd, req, len) && cli_read_response(e, fd, out);
	if (!ok)
		lt_fail(e, "request '%.40s' failed", req);
	close(fd);
	return ok;
}

#define HTTP(e, s, out) http(e, s, sizeof(s) - 1, out)

/* The response to req must have status want, a Content-Length equal to its body (HEAD: 0). */
static bool expect_status(struct lt_env *e, const char *req, size_t len, int want, bool head)
{
	if (!http(e, req, len, &hr))
		return false;
	if (hr.status != want) {
		lt_fail(e, "'%.60s': status %d, want %d", req, hr.status, want);
		return false;
	}
	if (hr.clen < 0 || (head ? hr.body_len != 0 : (size_t)hr.clen != hr.body_len)) {
		lt_fail(e, "'%.60s': Content-Length %ld, body %zu octets", req, hr.clen,
			hr.body_len);
		return false;
	}
	return true;
}

#define EXPECT(e, s, want) expect_status(e, s, sizeof(s) - 1, want, false)

/* ---- scenarios ---- */

static void client_get(struct lt_env *e)
{
	char want[1024];
	LT_CK(HTTP(e, "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n", &hr),
	      "GET");
	LT_CK(hr.status == 200, "status %d", hr.status);
	LT_CK(strstr(hr.head, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8"),
	      "content type: '%s'", hr.head);
	expected_body(want, sizeof(want), 1);
	LT_CK(hr.clen == (long)strlen(want) && hr.body_len == strlen(want) &&
		      !memcmp(hr.body, want, hr.body_len),
	      "body '%s'", hr.body);
	/* Again: the callback runs per scrape. */
	LT_CK(HTTP(e, "GET /metrics?name[]=x HTTP/1.1\r\nhOsT: x\r\n\r\n", &hr), "GET 2");
	expected_body(want, sizeof(want), 2);
	LT_CK(hr.status == 200 && !strcmp(hr.body, want), "second scrape: %d '%s'", hr.status,
	      hr.body);
	/* HEAD: the same head, no body. */
	LT_CK(HTTP(e, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &hr), "HEAD");
	expected_body(want, sizeof(want), 3);
	LT_CK(hr.status == 200 && hr.clen == (long)strlen(want) && hr.body_len == 0,
	      "HEAD: %d %ld %zu", hr.status, hr.clen, hr.body_len);
	/* HTTP/1.0 needs no Host; bare LF line ends; empty lines before the request. */
	LT_CK(EXPECT(e, "GET /metrics HTTP/1.0\r\n\r\n", 200), "1.0");
	LT_CK(EXPECT(e, "GET /metrics HTTP/1.1\nHost: x\n\n", 200), "LF");
	LT_CK(EXPECT(e, "\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200), "leading");
	LT_CK(EXPECT(e, "GET /metrics HTTP/1.1\r\nHost:\r\nX-Y: a\tb \xe9\r\n\r\n", 200),
	      "empty value, tab and obs-text");
out:;
}

Test(metrics, get_and_head)
{
	struct lt_env e;
	struct sp_metrics_stats st;
	run(&e, NULL, client_get, &st);
	cr_assert_eq(st.scrapes, 7);
	cr_assert_eq(host.calls, 7);
	cr_assert_eq(st.accepted, 7);
	cr_assert_eq(st.bad_request + st.not_found + st.bad_method + st.errors + st.timeouts, 0);
}

static void client_refusals(struct lt_env *e)
{
	LT_CK(EXPECT(e, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 404), "/");
	LT_CK(EXPECT(e, "GET /metricsx HTTP/1.1\r\nHost: x\r\n\r\n", 404), "/metricsx");
	LT_CK(EXPECT(e, "GET /metrics/ HTTP/1.1\r\nHost: x\r\n\r\n", 404), "/metrics/");
	LT_CK(EXPECT(e, "GET http://x/metrics HTTP/1.1\r\nHost: x\r\n\r\n", 404), "absolute");
	static const char head_x[] = "HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n";
	LT_CK(expect_status(e, head_x, sizeof(head_x) - 1, 404, true), "HEAD /x");
	LT_CK(EXPECT(e, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 405),
	      "POST");
	LT_CK(strstr(hr.head, "\r\nAllow: GET, HEAD"), "no Allow header: '%s'", hr.head);
	LT_CK(EXPECT(e, "DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405), "DELETE");
	LT_CK(EXPECT(e, "get /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405),
	      "methods are case-sensitive");
	LT_CK(EXPECT(e, "GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n", 505), "2.0");
	LT_CK(EXPECT(e, "GET /metrics HTTP/1.2\r\nHost: x\r\n\r\n", 505), "1.2");
	static const char *const garbage[] = {
		"hello\r\n\r\n",
		"GET /metrics\r\n\r\n",			     /* HTTP/0.9 */
		"GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n", /* two spaces */
		"GET /metrics  HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /metrics HTTP/1.1 \r\nHost: x\r\n\r\n",
		" GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
		"G@T /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /met\x01rics HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /metrics http/1.1\r\nHost: x\r\n\r\n",
		"GET /metrics HTTP/11\r\nHost: x\r\n\r\n",
		"GET /metrics HTTP/1.1\r\n\r\n",		       /* no Host */
		"GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", /* two */
		"GET /metrics HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n", /* space before the colon */
		"GET /metrics HTTP/1.1\r\nHost: x\r\nX: a\r\n folded\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nX: a\001b\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", /* bare CR */
		"GET /metrics HTTP/1.1\r\nHost: x\r\nX: a\x7f\r\n\r\n",
		"\x16\x03\x01\x02\x05\x01\x07\x01\xfc\x03\x03\n\n", /* TLS-like, two LFs */
	};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
		LT_CK(expect_status(e, garbage[i], strlen(garbage[i]), 400, false), "garbage %zu",
		      i);
	/* A NUL in the request line. */
	LT_CK(expect_status(e, "GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n", 28, 400, false), "NUL");
out:;
}

Test(metrics, refusals)
{
	struct lt_env e;
	struct sp_metrics_stats st;
	run(&e, NULL, client_refusals, &st);
	cr_assert_eq(st.scrapes, 0);
	cr_assert_eq(host.calls, 0);
	cr_assert_eq(st.not_found, 5);
	cr_assert_eq(st.bad_method, 3);
	cr_assert_eq(st.bad_request, 2 + 20 + 1);
}

static void client_eof_and_size(struct lt_env *e)
{
	/* Closed in the middle of the head: 400.  Closed with nothing sent: no response. */
	int fd = cli_connect(e);
	LT_CK(fd >= 0, "connect");
	LT_CK(lt_send(fd, "GET /metrics HTTP/1.1\r\nHo", 25), "send");
	shutdown(fd, SHUT_WR);
	LT_CK(cli_read_response(e, fd, &hr) && hr.status == 400, "half a head: %d", hr.status);
	close(fd);
	fd = cli_connect(e);
	LT_CK(fd >= 0, "connect");
	shutdown(fd, SHUT_WR);
	LT_CK(lt_closed(fd), "empty connection: not closed quietly");
	close(fd);

	/* A head over the limit: 431, as soon as the limit is reached. */
	static char big[SP_METRICS_REQUEST_MAX + 2000];
	size_t n = (size_t)snprintf(big, sizeof(big), "GET /metrics HTTP/1.1\r\nHost: x\r\n");
	while (n + 20 < sizeof(big))
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X-Pad: 0123456789\r\n");
	LT_CK(expect_status(e, big, n, 431, false), "large head");
	/* Just under the limit: fine. */
	n = (size_t)snprintf(big, sizeof(big), "GET /metrics HTTP/1.1\r\nHost: x\r\nX: ");
	memset(big + n, 'v', SP_METRICS_REQUEST_MAX - n - 4);
	memcpy(big + SP_METRICS_REQUEST_MAX - 4, "\r\n\r\n", 4);
	LT_CK(expect_status(e, big, SP_METRICS_REQUEST_MAX, 200, false), "head at the limit");
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
}

Test(metrics, eof_and_head_size)
{
	struct lt_env e;
	struct sp_metrics_stats st;
	run(&e, NULL, client_eof_and_size, &st);
	cr_assert_eq(st.bad_request, 2);
	cr_assert_eq(st.scrapes, 1);
}

static void client_errors(struct lt_env *e)
{
	struct host *h = e->user;
	h->fail = DP_EIO; /* racy by design, but the loop only reads it during a request */
	LT_CK(EXPECT(e, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 500), "failing callback");
	LT_CK(strstr(hr.body, "metrics unavailable: Input/output error"), "'%s'", hr.body);
	h->fail = 0;
	h->misuse = true;
	LT_CK(EXPECT(e, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 500), "misuse");
	LT_CK(strstr(hr.body, "Invalid argument"), "'%s'", hr.body);
	h->misuse = false;
	h->pad = 100000; /* several MB: over the 1 MiB limit of this test */
	LT_CK(EXPECT(e, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 500), "too large");
	LT_CK(strstr(hr.body, "exposition too large"), "'%s'", hr.body);
	h->pad = 20000; /* about 600 KB: fits */
	LT_CK(EXPECT(e, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200), "large");
	LT_CK(hr.body_len > 400000, "body %zu", hr.body_len);
	LT_CK(strstr(hr.body, "dpdns_pad{i=\"19999\"} 19999\n"), "last sample missing");
	h->pad = 0;
out:;
}

Test(metrics, callback_failures)
{
	struct lt_env e;
	struct sp_metrics_stats st;
	struct sp_metrics_cfg cfg;
	sp_metrics_cfg_init(&cfg);
	cfg.max_response = 1 << 20;
	run(&e, &cfg, client_errors, &st);
	cr_assert_eq(st.errors, 3);
	cr_assert_eq(st.scrapes, 1);
}

static void client_concurrent(struct lt_env *e)
{
	enum {
		N = 3
	};
	int fd[N + 2];
	for (int i = 0; i < N + 2; i++)
		fd[i] = -1;
	/* N clients hold connections with half-sent requests... */
	for (int i = 0; i < N; i++) {
		fd[i] = cli_connect(e);
		LT_CK(fd[i] >= 0, "connect %d", i);
		LT_CK(lt_send(fd[i], "GET /metrics HTTP/1.1\r\n", 23), "send %d", i);
	}
	lt_sleep_ms(50);
	/* ...so one more gets 503 at once. */
	fd[N] = cli_connect(e);
	LT_CK(fd[N] >= 0, "connect extra");
	LT_CK(lt_send(fd[N], "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 35), "send extra");
	LT_CK(cli_read_response(e, fd[N], &hr) && hr.status == 503, "extra: %d", hr.status);
	LT_CK(strstr(hr.head, "\r\nRetry-After: 1"), "no Retry-After");
	/* The held ones complete, in reverse order, and all get their scrape. */
	for (int i = N - 1; i >= 0; i--) {
		LT_CK(lt_send(fd[i], "Host: x\r\n\r\n", 11), "finish %d", i);
		LT_CK(cli_read_response(e, fd[i], &hr) && hr.status == 200, "held %d: %d", i,
		      hr.status);
		close(fd[i]); /* the server's linger ends at our EOF: the slot is free */
		fd[i] = -1;
	}
	lt_sleep_ms(50); /* the slots are freed in close callbacks */
	/* Sequential scrapes: the slots come back every time. */
	for (int i = 0; i < 50; i++)
		LT_CK(EXPECT(e, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200), "scrape %d", i);
out:
	for (int i = 0; i < N + 2; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

Test(metrics, concurrent_connections_and_limit)
{
	struct lt_env e;
	struct sp_metrics_stats st;
	struct sp_metrics_cfg cfg;
	sp_metrics_cfg_init(&cfg);
	cfg.max_conns = 3;
	run(&e, &cfg, client_concurrent, &st);
	cr_assert_eq(st.rejected, 1);
	cr_assert_eq(st.scrapes, 53);
}

/* Concurrent clients in several threads, each with many scrapes. */
struct worker {
	struct lt_env *e;
	int ok;
	char err[128];
};

static void *scraper(void *arg)
{
	struct worker *w = arg;
	struct host *h = w->e->user;
	static _Thread_local char buf[1 << 16];
	for (int i = 0; i < 40; i++) {
		int fd = cli_connect_to(false, h->port);
		if (fd < 0) {
			snprintf(w->err, sizeof(w->err), "connect: errno %d", errno);
			return NULL;
		}
		static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
		size_t n = 0;
		ssize_t k = lt_send(fd, req, sizeof(req) - 1) ? 1 : -1;
		while (k > 0 && n < sizeof(buf) - 1) {
			k = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);
			if (k > 0)
				n += (size_t)k;
		}
		close(fd);
		buf[n] = '\0';
		if (k < 0 || strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) != 0 ||
		    !strstr(buf, "dpdns_zone_serial{zone=\"example.com.\"} 2024010101\n")) {
			snprintf(w->err, sizeof(w->err), "scrape %d: '%.40s'", i, buf);
			return NULL;
		}
		w->ok++;
	}
	return NULL;
}

static void client_threads(struct lt_env *e)
{
	enum {
		T = 4
	};
	pthread_t th[T];
	struct worker w[T];
	memset(w, 0, sizeof(w));
	for (int i = 0; i < T; i++) {
		w[i].e = e;
		if (pthread_create(&th[i], NULL, scraper, &w[i]) != 0) {
			lt_fail(e, "pthread_create");
			for (int k = 0; k < i; k++)
				pthread_join(th[k], NULL);
			return;
		}
	}
	for (int i = 0; i < T; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < T; i++)
		LT_CK(w[i].ok == 40, "scraper %d: %d ok, %s", i, w[i].ok, w[i].err);
out:;
}

Test(metrics, concurrent_scrapers)
{
	struct lt_env e;
	struct sp_metrics_stats st;
	struct sp_metrics_cfg cfg;
	sp_metrics_cfg_init(&cfg);
	cfg.max_conns = 8; /* at least the scrapers: none is refused */
	run(&e, &cfg, client_threads, &st);
	cr_assert_eq(st.scrapes, 160);
	cr_assert_eq(st.rejected, 0);
}

static void client_slowloris(struct lt_env *e)
{
	/* A head that trickles in, an octet every 50 ms: cut off at the timeout anyway. */
	int fd = cli_connect(e);
	LT_CK(fd >= 0, "connect");
	uint64_t t0 = lt_now_ms();
	static const char req[] = "GET /metrics HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	size_t i = 0;
	uint64_t dt = 0;
	for (; i < sizeof(req) - 1 && lt_now_ms() - t0 < 1000; i++) {
		char peek;
		if (!lt_send(fd, req + i, 1))
			break; /* the server has closed */
		lt_sleep_ms(50);
		if (recv(fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT) == 1)
			break; /* the response has come */
	}
	dt = lt_now_ms() - t0;
	LT_CK(cli_read_response(e, fd, &hr), "no response");
	LT_CK(hr.status == 408, "status %d", hr.status);
	LT_CK(dt >= 280 && dt < 1500, "cut off after %llu ms, want ~300", (unsigned long long)dt);
	close(fd);
	/* A silent connection: the same. */
	fd = cli_connect(e);
	LT_CK(fd >= 0, "connect");
	t0 = lt_now_ms();
	LT_CK(cli_read_response(e, fd, &hr) && hr.status == 408, "silent: %d", hr.status);
	dt = lt_now_ms() - t0;
	LT_CK(dt >= 280 && dt < 1500, "silent cut off after %llu ms", (unsigned long long)dt);
	/*
	 * And a client that asks for a large response but does not read it: the
	 * server's write stalls and it gives up after the timeout (counted; the
	 * test checks the count).  Closing with the response unread resets.
	 */
	close(fd);
	fd = cli_connect(e);
	LT_CK(fd >= 0, "connect");
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	((struct host *)e->user)->pad = 200000;
	LT_CK(lt_send(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 35), "send");
	lt_sleep_ms(900);
out:
	if (fd >= 0)
		close(fd);
}

Test(metrics, slowloris_timeout)
{
	struct lt_env e;
	struct sp_metrics_stats st;
	struct sp_metrics_cfg cfg;
	sp_metrics_cfg_init(&cfg);
	cfg.timeout_ms = 300;
	cfg.max_response = 64 << 20;
	run(&e, &cfg, client_slowloris, &st);
	cr_assert_eq(st.timeouts, 3);
}

static void client_v6(struct lt_env *e)
{
	int fd = cli_connect_to(true, ((struct host *)e->user)->port);
	LT_CK(fd >= 0, "connect ::1");
	LT_CK(lt_send(fd, "GET /metrics HTTP/1.1\r\nHost: [::1]\r\n\r\n", 39), "send");
	LT_CK(cli_read_response(e, fd, &hr) && hr.status == 200, "status %d", hr.status);
out:
	if (fd >= 0)
		close(fd);
}

static bool have_ipv6_loopback(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bool ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

Test(metrics, ipv6)
{
	if (!have_ipv6_loopback()) {
		cr_skip_test("no ::1 on this host");
		return;
	}
	struct lt_env e;
	struct sp_metrics_stats st;
	run_addr(&e, NULL, "::1", client_v6, &st);
	cr_assert_eq(st.scrapes, 1);
}

Test(metrics, bad_configurations_and_busy_port)
{
	uv_loop_t loop;
	cr_assert_eq(uv_loop_init(&loop), 0);
	struct sp_metrics_cfg cfg;
	sp_metrics_cfg_init(&cfg);
	cr_assert_null(sp_metrics_new(&loop, &cfg, expose, NULL), "no address");
	const char *bad[] = { "", "localhost", "127.0.0.256", "::g", "1.2.3.4:80" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.addr = bad[i];
		cr_assert_null(sp_metrics_new(&loop, &cfg, expose, NULL), "'%s'", bad[i]);
	}
	cfg.addr = "127.0.0.1";
	cr_assert_null(sp_metrics_new(&loop, &cfg, NULL, NULL), "no callback");
	cfg.max_conns = 0;
	cr_assert_null(sp_metrics_new(&loop, &cfg, expose, NULL));
	sp_metrics_cfg_init(&cfg);
	cfg.addr = "127.0.0.1";
	cfg.timeout_ms = 0;
	cr_assert_null(sp_metrics_new(&loop, &cfg, expose, NULL));
	sp_metrics_cfg_init(&cfg);
	cfg.addr = "127.0.0.1";
	cfg.max_response = 0;
	cr_assert_null(sp_metrics_new(&loop, &cfg, expose, NULL));

	/* Two on one port: the second start fails, and may be freed at once. */
	sp_metrics_cfg_init(&cfg);
	cfg.addr = "127.0.0.1";
	struct sp_metrics *a = sp_metrics_new(&loop, &cfg, expose, NULL);
	cr_assert_not_null(a);
	cr_assert_eq(sp_metrics_start(a), 0);
	cr_assert_eq(sp_metrics_start(a), DP_EINVAL, "started twice");
	cfg.port = (uint16_t)sp_metrics_port(a);
	struct sp_metrics *b = sp_metrics_new(&loop, &cfg, expose, NULL);
	cr_assert_not_null(b);
	cr_assert_eq(sp_metrics_start(b), -EADDRINUSE);
	sp_metrics_free(b);
	sp_metrics_free(a);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&loop), 0);
	sptest_leak_check();
}
