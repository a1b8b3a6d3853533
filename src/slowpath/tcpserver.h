/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * DNS over TCP service on a libuv loop: listens on numeric IPv4/IPv6
 * addresses, accepts up to a connection limit (beyond it a connection is
 * accepted and closed at once, and counted), and runs one struct sp_tcpconn
 * per connection (tcpconn.h: framing, pipelining, backpressure, timeouts)
 * with a uv_tcp_t and an idle uv_timer_t.  Reads go straight into the
 * connection's input buffer; its queued responses leave with one uv_write at
 * a time, and reading stops while its output queue is over the limit.
 *
 * The answers come from a callback (sp_tcp_answer_fn), so this module does
 * not depend on src/zone; the daemon passes one that calls zone_answer().
 *
 * Closing: timeouts, I/O errors and shutdown close at once.  A connection
 * closed for bad input (zero-length, short or dropped message) first sends
 * its queued responses, then shuts down its sending side (FIN) and "lingers"
 * up to linger_ms, reading and discarding, until the peer closes too.
 * Closing a socket with unread input makes the kernel send a reset, which
 * can destroy the responses still in flight; lingering lets them arrive
 * (nginx's lingering_close does the same for HTTP).
 *
 * Threads: everything here runs on the loop's thread, callbacks included;
 * nothing locks.  To stop from another thread, uv_async_send() to the loop
 * and call sp_tcpserver_stop() from the async callback.  The process must
 * ignore SIGPIPE: libuv writes with writev(2), which raises it on a
 * connection the peer has reset.
 *
 * Memory: the server is one allocation; each accepted connection allocates
 * its handles and buffers once (about 64 KiB in + 64 KiB + out_limit out,
 * touched only as far as used), and nothing is allocated per message.
 */

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "slowpath/tcpconn.h"

#define SP_TCPSERVER_ADDRS_MAX 16
#define SP_TCPSERVER_MAX_CONNS_DEFAULT 100u
#define SP_TCPSERVER_BACKLOG_DEFAULT 128
#define SP_TCPSERVER_LINGER_MS_DEFAULT 2000u

struct sp_tcpserver_cfg {
	const char *const *addrs; /* numeric addresses ("127.0.0.1", "::1"), not copied */
	unsigned n_addrs;	  /* 1..SP_TCPSERVER_ADDRS_MAX */
	uint16_t port;		  /* 0: an ephemeral port per address (tests) */
	unsigned max_conns;	  /* open connections at most (>= 1) */
	int backlog;		  /* listen() backlog */
	uint32_t linger_ms;	  /* after closing on bad input; 0: close at once */
	struct sp_tcpconn_cfg conn;
};

/*
 * Defaults: no addresses, port 53, SP_TCPSERVER_MAX_CONNS_DEFAULT,
 * SP_TCPSERVER_BACKLOG_DEFAULT, SP_TCPSERVER_LINGER_MS_DEFAULT, tcpconn defaults.
 */
void sp_tcpserver_cfg_init(struct sp_tcpserver_cfg *cfg);

struct sp_tcpserver_stats {
	uint64_t accepted;	  /* connections served */
	uint64_t rejected;	  /* accepted and closed at once: over max_conns or no memory */
	uint64_t accept_errors;	  /* failed accepts */
	uint64_t lingered;	  /* closes that waited for the peer after bad input */
	unsigned active;	  /* connections open (or closing) now */
	struct sp_tcp_stats conn; /* summed over all connections, open and closed */
};

struct sp_tcpserver;

/*
 * An answer callback that also gets the client's address (AF_UNSPEC when it
 * could not be read), e.g. to authorize a NOTIFY by its source.
 */
typedef size_t (*sp_tcp_peer_answer_fn)(void *ctx, const struct sockaddr *peer, uint8_t *msg,
					size_t len, size_t cap);

/* Answers with fn(ctx, peer, ...) instead of the answer given to sp_tcpserver_new.  Before start. */
void sp_tcpserver_set_peer_answer(struct sp_tcpserver *s, sp_tcp_peer_answer_fn fn);

/*
 * New server on loop, answering with answer(ctx, ...).  Parses and checks
 * cfg (the address strings need not outlive the call); opens no socket.
 * Returns NULL on a bad cfg or address, or no memory.  The caller owns the
 * result (sp_tcpserver_free).  Loop thread.
 */
struct sp_tcpserver *sp_tcpserver_new(uv_loop_t *loop, const struct sp_tcpserver_cfg *cfg,
				      sp_tcp_answer_fn answer, void *ctx)
	__attribute__((warn_unused_result));

/*
 * Binds and listens on every address (IPv6 ones with IPV6_V6ONLY).  Returns
 * 0, DP_EINVAL when already started or stopped, or a negative errno from
 * socket/bind/listen; on failure nothing stays open.  Loop thread.
 */
int sp_tcpserver_start(struct sp_tcpserver *s) __attribute__((warn_unused_result));

/* The port address i is bound to (after start), or a negative code. */
int sp_tcpserver_port(const struct sp_tcpserver *s, unsigned i);

/*
 * Stops: closes the listeners and every connection (SP_TCP_CLOSE_SHUTDOWN,
 * unsent responses dropped).  Idempotent.  The handles finish closing as the
 * loop runs on; the server holds no active handle afterwards, so a uv_run
 * with nothing else to do returns.  Loop thread, from any callback.
 */
void sp_tcpserver_stop(struct sp_tcpserver *s);

/* Counters, summed over open and closed connections. */
void sp_tcpserver_stats(const struct sp_tcpserver *s, struct sp_tcpserver_stats *out);

/*
 * Stops s if needed and frees it; NULL is a no-op.  The memory goes once the
 * last handle has closed: at once after the loop has run the close callbacks
 * (e.g. uv_run returned after sp_tcpserver_stop), otherwise from the last
 * close callback, so the loop must run again before uv_loop_close.
 */
void sp_tcpserver_free(struct sp_tcpserver *s);
