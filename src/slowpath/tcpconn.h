/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * DNS over TCP, one connection's state machine (RFC 1035 §4.2.2, RFC 7766),
 * with no I/O: the I/O layer (tcpserver.c, or a test) hands it received bytes
 * and takes framed responses from it, and it says when to read, when to
 * write, when to close and by when.
 *
 * Input: every message carries a 2-octet length prefix.  Bytes may arrive in
 * any split (one at a time, several messages in one read, a prefix split
 * across reads).  Every complete message in a read is answered, in order,
 * before reading more (pipelining, RFC 7766 §6.2.1.1); responses are queued
 * in order, framed, and leave in as few writes as possible (one write takes
 * everything queued).
 *
 * Rules:
 * - A zero-length message, or one shorter than a DNS header (12 octets),
 *   closes the connection as soon as its prefix is read: there is no sane
 *   way to go on framing that stream.
 * - A message the answer callback drops (returns 0) closes the connection.
 *   A TCP client waits for every answer in order, so silence would stall it
 *   until its timeout; closing tells it at once.  This follows the PowerDNS
 *   Recursor and dnsdist (pdns PR #9572: "terminate TCP connections instead
 *   of ignoring errors").  Knot closes on a zero-length prefix too, but keeps
 *   the connection after a query its processing layer ignores.
 * - In these cases the responses already queued are still sent (the close
 *   waits for the output queue to drain); later input is discarded.
 * - Peer EOF: complete messages already received are still answered and
 *   sent, then the connection closes (a trailing partial message is counted
 *   as SP_TCP_CLOSE_EOF_PARTIAL).
 *
 * Bounds: the input buffer holds one largest message with its prefix
 * (SP_TCP_IN_CAP); the output queue is SP_TCP_FRAME_MAX + out_limit octets.
 * A query is answered only while the queue holds at most out_limit octets,
 * directly into the queue's tail with the full 65535-octet capacity, so a
 * response always fits.  Past the limit the connection stops answering and
 * stops reading (backpressure) until a write completes; nothing grows.  Both
 * buffers come with the connection (one allocation in sp_tcpconn_new);
 * nothing is allocated per message.
 *
 * Time: the caller passes a monotonic clock in milliseconds (uv_now()).  The
 * connection must close at sp_tcpconn_deadline(): idle_ms after the last
 * progress (bytes received or a write completed), or lifetime_ms after it
 * was opened, whichever comes first.  When nothing is buffered either way
 * the connection is idle (RFC 7766 §6.2.3) and the idle timeout is exactly
 * that; when something is buffered, the same timeout bounds a peer that
 * stalls mid-message or stops reading its responses.
 *
 * Threads: a connection belongs to one thread (the slow-path loop); none of
 * these functions lock.  The answer callback runs on that thread, inside
 * sp_tcpconn_received/sp_tcpconn_feed/sp_tcpconn_write_done.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_TCP_MSG_MAX 65535u		       /* largest DNS message over TCP */
#define SP_TCP_FRAME_MAX (SP_TCP_MSG_MAX + 2u) /* with its length prefix */
#define SP_TCP_IN_CAP SP_TCP_FRAME_MAX	       /* input buffer octets */
#define SP_TCP_MSG_MIN 12u		       /* a DNS header */

#define SP_TCP_IDLE_MS_DEFAULT 10000u	   /* Knot's tcp-idle-timeout default */
#define SP_TCP_LIFETIME_MS_DEFAULT 120000u /* our choice; 0 means unlimited */
#define SP_TCP_OUT_LIMIT_DEFAULT 16384u
#define SP_TCP_OUT_LIMIT_MAX (1u << 20)

/* Why a connection closed (or is closing). */
enum sp_tcp_close {
	SP_TCP_CLOSE_NONE = 0,	  /* still open */
	SP_TCP_CLOSE_EOF,	  /* peer closed after whole messages */
	SP_TCP_CLOSE_EOF_PARTIAL, /* peer closed in the middle of a message */
	SP_TCP_CLOSE_ZERO,	  /* zero-length message */
	SP_TCP_CLOSE_SHORT,	  /* message shorter than a DNS header */
	SP_TCP_CLOSE_DROP,	  /* the answer callback dropped a message */
	SP_TCP_CLOSE_ENGINE,	  /* the answer callback returned more than cap (a bug) */
	SP_TCP_CLOSE_IDLE,	  /* no progress for idle_ms */
	SP_TCP_CLOSE_LIFETIME,	  /* open for lifetime_ms */
	SP_TCP_CLOSE_IO,	  /* read or write error (set by the I/O layer) */
	SP_TCP_CLOSE_SHUTDOWN,	  /* server stopping (set by the I/O layer) */
	SP_TCP_CLOSE__COUNT,
};

/* Short name of a close reason ("eof", "idle", ...); "?" when out of range. */
const char *sp_tcp_close_str(unsigned reason);

/* Counters: of one connection, or summed over many with sp_tcp_stats_add. */
struct sp_tcp_stats {
	uint64_t queries;   /* messages handed to the answer callback */
	uint64_t responses; /* responses queued */
	uint64_t bytes_in;  /* octets received */
	uint64_t bytes_out; /* octets whose write completed */
	uint64_t stalls;    /* times a complete message waited for the output queue */
	uint64_t closes[SP_TCP_CLOSE__COUNT]; /* [NONE] unused */
};

void sp_tcp_stats_add(struct sp_tcp_stats *dst, const struct sp_tcp_stats *src);

struct sp_tcpconn_cfg {
	uint32_t idle_ms;     /* > 0 */
	uint32_t lifetime_ms; /* 0: unlimited */
	uint32_t out_limit;   /* <= SP_TCP_OUT_LIMIT_MAX; 0 answers one query at a time */
};

/* Defaults: SP_TCP_IDLE_MS_DEFAULT, SP_TCP_LIFETIME_MS_DEFAULT, SP_TCP_OUT_LIMIT_DEFAULT. */
void sp_tcpconn_cfg_init(struct sp_tcpconn_cfg *cfg);

/*
 * The answer engine.  msg[0..len) is one query (len >= SP_TCP_MSG_MIN); the
 * callback writes its response in place, msg[0..cap) being writable
 * (cap == SP_TCP_MSG_MAX), and returns the response length, or 0 to drop the
 * query (which closes the connection).  In the daemon:
 *
 *	struct answer_info info;
 *	return zone_answer(table, cfg, msg, len, cap, true, &info);
 *
 * with the table kept alive for the call (a reference, as STYLE.md asks of
 * readers off the fastpath).  zone_answer over TCP REFUSES AXFR and IXFR.
 */
typedef size_t (*sp_tcp_answer_fn)(void *ctx, uint8_t *msg, size_t len, size_t cap);

struct sp_tcpconn;

/*
 * New connection opened at now_ms.  answer is called with ctx for each
 * query.  Returns NULL on an invalid cfg (idle_ms 0, out_limit too big), a
 * NULL answer, or no memory.  The caller owns the result (sp_tcpconn_free).
 */
struct sp_tcpconn *sp_tcpconn_new(const struct sp_tcpconn_cfg *cfg, sp_tcp_answer_fn answer,
				  void *ctx, uint64_t now_ms) __attribute__((warn_unused_result));

/* Frees c; NULL is a no-op.  No buffer handed out by c may be in use. */
void sp_tcpconn_free(struct sp_tcpconn *c);

/* ---- input ---- */

/*
 * True when the I/O layer should read: the connection is open, the peer has
 * not closed, and the output queue is within its limit.  When false the
 * I/O layer stops reading (uv_read_stop) until a write completes.
 */
bool sp_tcpconn_want_read(const struct sp_tcpconn *c);

/*
 * Where to receive: returns a pointer into c's input buffer and sets *space
 * to how many octets may be written there (> 0); NULL with *space 0 when
 * sp_tcpconn_want_read() is false.  Valid until the next call on c.
 */
uint8_t *sp_tcpconn_rbuf(struct sp_tcpconn *c, size_t *space);

/*
 * n octets (<= the space given by sp_tcpconn_rbuf) were received into the
 * buffer sp_tcpconn_rbuf returned.  Answers every complete message it can
 * and queues the responses.  Octets received after the connection started
 * closing are discarded.
 */
void sp_tcpconn_received(struct sp_tcpconn *c, size_t n, uint64_t now_ms);

/*
 * Copies data in through sp_tcpconn_rbuf/sp_tcpconn_received, as much as
 * the connection takes, and returns how much it took: less than len once
 * sp_tcpconn_want_read() turns false (backpressure or closing).  For tests
 * and callers that do not read into c's buffer.
 */
size_t sp_tcpconn_feed(struct sp_tcpconn *c, const void *data, size_t len, uint64_t now_ms);

/* The peer closed its side (EOF): answer what is complete, flush, close. */
void sp_tcpconn_eof(struct sp_tcpconn *c, uint64_t now_ms);

/* ---- output ---- */

/*
 * Takes everything queued and not yet being written: sets *buf and returns
 * its length, and marks it in flight.  Returns 0 (*buf NULL) when nothing is
 * queued, when a write is already in flight (one at a time: what is queued
 * meanwhile goes in the next), or when the connection is closing without a
 * flush.  *buf stays valid, unchanged, until sp_tcpconn_write_done().
 */
size_t sp_tcpconn_write_begin(struct sp_tcpconn *c, const uint8_t **buf);

/*
 * The write from sp_tcpconn_write_begin completed.  Frees its space and,
 * if the queue was over its limit, answers the messages that waited.
 * On a write error call sp_tcpconn_close(c, SP_TCP_CLOSE_IO) instead.
 */
void sp_tcpconn_write_done(struct sp_tcpconn *c, uint64_t now_ms);

/* ---- closing and time ---- */

/*
 * Closes now, without flushing (reason: SP_TCP_CLOSE_IO, _SHUTDOWN, or any
 * other).  The first reason given, by this or by the connection itself, is
 * the one kept and counted.
 */
void sp_tcpconn_close(struct sp_tcpconn *c, enum sp_tcp_close reason);

/*
 * True when the I/O layer should close the socket now: a close reason is set
 * and either the output queue is empty or the close does not flush.
 */
bool sp_tcpconn_done(const struct sp_tcpconn *c);

/* The close reason, SP_TCP_CLOSE_NONE while open. */
enum sp_tcp_close sp_tcpconn_close_reason(const struct sp_tcpconn *c);

/* Absolute time (ms) at which the connection must close if nothing happens. */
uint64_t sp_tcpconn_deadline(const struct sp_tcpconn *c);

/*
 * At now_ms: past the deadline, closes the connection without flushing
 * (SP_TCP_CLOSE_LIFETIME or SP_TCP_CLOSE_IDLE).  Returns sp_tcpconn_done().
 */
bool sp_tcpconn_expire(struct sp_tcpconn *c, uint64_t now_ms);

/*
 * True when the connection is idle (open, nothing buffered in or out); then
 * *since (when not NULL) is the time it became idle.
 */
bool sp_tcpconn_idle(const struct sp_tcpconn *c, uint64_t *since);

/* ---- introspection (tests, fuzzers, metrics) ---- */

const struct sp_tcp_stats *sp_tcpconn_stats(const struct sp_tcpconn *c);

/* Octets received and not yet answered (a partial message, or waiting ones). */
size_t sp_tcpconn_in_pending(const struct sp_tcpconn *c);

/* Octets queued for output, including those in flight. */
size_t sp_tcpconn_out_pending(const struct sp_tcpconn *c);

/* Capacity of the output queue: SP_TCP_FRAME_MAX + out_limit. */
size_t sp_tcpconn_out_cap(const struct sp_tcpconn *c);
