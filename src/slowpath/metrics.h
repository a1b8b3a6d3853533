/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The Prometheus metrics endpoint: a minimal HTTP/1.1 server (RFC 9112) on
 * a libuv loop, listening on one numeric address and port, answering
 * "GET /metrics" (and HEAD) with the text exposition format 0.0.4, which
 * a host callback writes with the sp_prom helpers (prom.h).
 *
 * One request per connection: every response says "Connection: close", and
 * the server closes after writing it (after sending its FIN it reads and
 * discards until the client's, at most SP_METRICS_LINGER_MS, so the client
 * gets the response and not a reset).  Answers:
 *  - 200 for GET or HEAD of /metrics (a query string is ignored), with
 *    "Content-Type: text/plain; version=0.0.4; charset=utf-8";
 *  - 404 for any other path, 405 (with "Allow: GET, HEAD") for any other
 *    method, 505 for an HTTP version other than 1.0 and 1.1;
 *  - 400 for anything that is not an HTTP/1.x request head: a malformed
 *    request line or header line, a control octet, folded header lines,
 *    HTTP/1.1 without exactly one Host header, or a connection closed in
 *    the middle of the head;
 *  - 431 for a request head over SP_METRICS_REQUEST_MAX octets;
 *  - 408 when the head has not arrived within timeout_ms of the accept
 *    (however slowly it trickles in: slowloris);
 *  - 500 when the callback fails or the exposition is over max_response;
 *  - 503 at once to a connection beyond max_conns, without reading its
 *    request (up to max_conns more such connections; past that, a new
 *    connection is closed without a word).
 * A request body is never read (GET and HEAD have none; the connection
 * closes anyway).
 *
 * Threads: everything runs on the loop's thread, the callback included;
 * nothing locks.  The process must ignore SIGPIPE.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "slowpath/prom.h"

#define SP_METRICS_REQUEST_MAX 8192u /* octets of a request head */
#define SP_METRICS_MAX_CONNS_DEFAULT 8u
#define SP_METRICS_TIMEOUT_MS_DEFAULT 10000u
#define SP_METRICS_RESPONSE_MAX_DEFAULT (64u << 20)
#define SP_METRICS_LINGER_MS 1000u

struct sp_metrics_cfg {
	const char *addr;    /* numeric IPv4 or IPv6 address ("127.0.0.1", "::"), not kept */
	uint16_t port;	     /* 0: an ephemeral port (tests) */
	unsigned max_conns;  /* >= 1 */
	uint32_t timeout_ms; /* > 0: for the request head to arrive, and again for the response */
	size_t max_response; /* > 0: exposition octets at most */
};

/*
 * Defaults: no address, port 0, SP_METRICS_MAX_CONNS_DEFAULT,
 * SP_METRICS_TIMEOUT_MS_DEFAULT, SP_METRICS_RESPONSE_MAX_DEFAULT.
 */
void sp_metrics_cfg_init(struct sp_metrics_cfg *cfg);

/*
 * Writes the exposition with p (sp_prom_family, sp_prom_u64, ...) and
 * returns 0, or a negative dp_errcode for a 500.  Runs on the loop's thread
 * for each GET or HEAD of /metrics.  It may call sp_metrics_stop (the
 * response is then not sent), not sp_metrics_free.
 */
typedef int (*sp_metrics_fn)(void *ctx, struct sp_prom *p);

struct sp_metrics_stats {
	uint64_t accepted;	/* connections served */
	uint64_t rejected;	/* over max_conns (or no memory): 503, or just closed */
	uint64_t accept_errors; /* failed accepts */
	uint64_t scrapes;	/* 200 responses */
	uint64_t not_found;	/* 404 */
	uint64_t bad_method;	/* 405 */
	uint64_t bad_request;	/* 400, 431 and 505 */
	uint64_t timeouts;	/* 408, and connections closed for a response not taken in time */
	uint64_t errors;	/* 500 */
	unsigned active;	/* connections open (or closing) now */
};

struct sp_metrics;

/*
 * New endpoint on loop whose expositions fn(ctx, ...) writes.  Parses and
 * checks cfg; opens nothing.  Returns NULL on a bad cfg or address, or no
 * memory.  The caller owns the result (sp_metrics_free).  Loop thread.
 */
struct sp_metrics *sp_metrics_new(uv_loop_t *loop, const struct sp_metrics_cfg *cfg,
				  sp_metrics_fn fn, void *ctx) __attribute__((warn_unused_result));

/*
 * Binds (IPv6 with IPV6_V6ONLY) and listens.  Returns 0, DP_EINVAL when
 * already started or stopped, or a negative errno (-EADDRINUSE, ...); on
 * failure nothing stays open.  Loop thread.
 */
int sp_metrics_start(struct sp_metrics *m) __attribute__((warn_unused_result));

/* The bound port (after start), or a negative code. */
int sp_metrics_port(const struct sp_metrics *m);

/* Closes the listener and every connection.  Idempotent.  Loop thread, from any callback. */
void sp_metrics_stop(struct sp_metrics *m);

void sp_metrics_stats(const struct sp_metrics *m, struct sp_metrics_stats *out);

/* Stops m if needed and frees it, as sp_tcpserver_free does; NULL is a no-op. */
void sp_metrics_free(struct sp_metrics *m);
