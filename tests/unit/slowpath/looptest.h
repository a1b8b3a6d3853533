/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * A harness for servers on a real libuv loop (control, metrics): the loop
 * runs in the test's thread, a client runs in a second thread with plain
 * blocking sockets whose every receive and send times out, records its first
 * failure as text, and tells the loop it is done through a uv_async_t, which
 * stops the server.  A guard timer stops the server if a scenario overruns,
 * so every test is bounded.  Client code must not use criterion asserts (it
 * is not the test's thread): it uses LT_CK, and the test asserts e->err is
 * empty after lt_run.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <uv.h>

#define LT_GUARD_MS 10000	  /* the server stops after this, whatever happens */
#define LT_CLIENT_TIMEOUT_MS 3000 /* any one client receive or send */

struct lt_env {
	uv_loop_t loop;
	uv_async_t wake;
	uv_timer_t guard;
	bool guard_fired;
	pthread_t th;
	void (*client)(struct lt_env *);
	void (*stop)(void *srv); /* stops the server; loop thread */
	void *srv;
	void *user;
	atomic_bool client_done;
	char err[512]; /* the client's first failure; read after lt_run */
};

static inline void lt_on_wake(uv_async_t *a)
{
	struct lt_env *e = a->data;
	e->stop(e->srv);
	if (atomic_load(&e->client_done)) {
		uv_close((uv_handle_t *)&e->wake, NULL);
		uv_close((uv_handle_t *)&e->guard, NULL);
	}
}

static inline void lt_on_guard(uv_timer_t *t)
{
	struct lt_env *e = t->data;
	e->guard_fired = true;
	e->stop(e->srv); /* clients then fail fast; the loop ends when the client is done */
}

static inline void *lt_client_main(void *arg)
{
	struct lt_env *e = arg;
	e->client(e);
	atomic_store(&e->client_done, true);
	uv_async_send(&e->wake);
	return NULL;
}

/* Prepares e (loop initialised, nothing else); the caller then creates its server. */
static inline void lt_init(struct lt_env *e)
{
	memset(e, 0, sizeof(*e));
	atomic_init(&e->client_done, false);
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(uv_loop_init(&e->loop), 0);
}

/* Runs client against the started server srv until the client is done and srv stopped. */
static inline void lt_run(struct lt_env *e, void *srv, void (*stop)(void *),
			  void (*client)(struct lt_env *))
{
	e->srv = srv;
	e->stop = stop;
	e->client = client;
	uv_async_init(&e->loop, &e->wake, lt_on_wake);
	e->wake.data = e;
	uv_timer_init(&e->loop, &e->guard);
	e->guard.data = e;
	uv_timer_start(&e->guard, lt_on_guard, LT_GUARD_MS, 0);
	cr_assert_eq(pthread_create(&e->th, NULL, lt_client_main, e), 0);
	uv_run(&e->loop, UV_RUN_DEFAULT);
	pthread_join(e->th, NULL);
}

/* After the server is freed: runs the last close callbacks and closes the loop. */
static inline void lt_fini(struct lt_env *e)
{
	uv_run(&e->loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&e->loop), 0, "handles left open");
	cr_assert_not(e->guard_fired, "scenario overran %d ms", LT_GUARD_MS);
	cr_assert(e->err[0] == 0, "client: %s", e->err);
}

/* From the client thread: stop the server now (the client goes on). */
static inline void lt_request_stop(struct lt_env *e)
{
	uv_async_send(&e->wake);
}

__attribute__((format(printf, 2, 3))) static inline void lt_fail(struct lt_env *e, const char *fmt,
								 ...)
{
	if (e->err[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->err, sizeof(e->err), fmt, ap);
	va_end(ap);
}

#define LT_CK(cond, ...)                         \
	do {                                     \
		if (!(cond)) {                   \
			lt_fail(e, __VA_ARGS__); \
			goto out;                \
		}                                \
	} while (0)

static inline uint64_t lt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline void lt_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* Socket timeouts for a client socket. */
static inline void lt_timeouts(int fd, unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (long)(ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static inline bool lt_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Reads exactly len octets; false on EOF, error or timeout. */
static inline bool lt_recv(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t n = recv(fd, p, len, 0);
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* True when the server closes the connection (EOF or reset) with no data first. */
static inline bool lt_closed(int fd)
{
	char b;
	ssize_t n = recv(fd, &b, 1, 0);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}
