/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The transfer client's libuv driver: one refresh of one zone from its
 * primaries, without blocking, on the slow-path loop.
 *
 * For each primary in order, for each of its addresses in order:
 *   1. SOA query over UDP from an ephemeral port (bound to the wildcard
 *      address, never port 53), a fresh random ID per try, read_timeout_ms
 *      per try, udp_tries tries; replies from another address or port and
 *      replies to another ID or question are ignored.  TC set: the same
 *      query over TCP.
 *   2. If the primary's serial is not newer than ours (RFC 1982): done, up
 *      to date.  Without a serial of ours every serial is newer.
 *   3. With a serial of ours: IXFR over TCP.  The reply may be "up to date",
 *      changesets, or AXFR-style (built into a zone like an AXFR).  If the
 *      IXFR fails for any reason xfr_error_wants_axfr() accepts (an error
 *      RCODE, a broken or truncated stream, a timeout, a closed connection),
 *      AXFR at once from the same address.
 *   4. AXFR over TCP; the records go into a zone_builder, and the zone is
 *      checked by zone_builder_finish (SOA present, nothing outside the zone,
 *      the zone checks) and must carry the serial of its opening SOA, newer
 *      than ours.
 * With skip_soa the SOA query (1, 2) is left out at every address.
 * Any failure at an address moves to the next address, then to the next
 * primary; the result is the first success, or the last failure.
 *
 * Timeouts: connect_timeout_ms for a TCP connect, read_timeout_ms for the
 * first reply message after a query (UDP or TCP), idle_timeout_ms between
 * reply messages (no octets at all for that long), total_timeout_ms for
 * one TCP transfer from connect to its last message.  Outbound sockets are
 * bound to no particular local address: the kernel routes them.
 *
 * Never half-applied: the result carries a new zone or changesets only when
 * the whole transfer succeeded and verified; on any error everything
 * received is freed.
 *
 * Threads: everything runs on the loop's thread; xfr_uv_start and
 * xfr_uv_cancel must be called there.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "xfr/changeset.h"
#include "xfr/tsig.h"
#include "xfr/xfr.h"
#include "zone/contents.h"

/* One primary: its addresses, tried in order, and its TSIG key. */
struct xfr_remote {
	const char *id;			      /* for messages (NULL: "remote") */
	const struct sockaddr_storage *addrs; /* AF_INET or AF_INET6, with port */
	unsigned naddrs;
	const struct xfr_tsig_key *key; /* NULL: no TSIG */
};

/* Defaults for a zero field of struct xfr_uv_opts. */
#define XFR_UV_UDP_TRIES_DEFAULT 3
#define XFR_UV_CONNECT_MS_DEFAULT 5000
#define XFR_UV_READ_MS_DEFAULT 2000
#define XFR_UV_IDLE_MS_DEFAULT 10000
#define XFR_UV_TOTAL_MS_DEFAULT 600000
#define XFR_UV_PROGRESS_MS_DEFAULT 2000

struct xfr_uv_opts {
	unsigned udp_tries; /* SOA query tries over UDP per address */
	uint32_t connect_timeout_ms;
	uint32_t read_timeout_ms;
	uint32_t idle_timeout_ms;
	uint32_t total_timeout_ms;
	uint32_t progress_ms;	  /* between two progress calls (xfr_uv_request.progress) */
	struct xfr_limits limits; /* per transfer (0 fields: no limit) */
};

/* How far a running IXFR or AXFR has come, for xfr_uv_request.progress. */
struct xfr_uv_progress {
	enum xfr_type type;		 /* XFR_IXFR or XFR_AXFR */
	const char *remote_id;		 /* the remote's id ("remote" without one) */
	const char *primary;		 /* "addr@port" */
	size_t records, bytes, messages; /* received so far in this transfer */
	uint64_t elapsed_ms;		 /* since xfr_uv_start */
};

/*
 * Called on the loop's thread every opts.progress_ms while an IXFR or AXFR
 * (the TCP step, from its connect) runs, with arg as given to xfr_uv_start;
 * p is valid during the call only.  Never called once the transfer has ended
 * (nor after xfr_uv_cancel).  It must not call xfr_uv_cancel.
 */
typedef void (*xfr_uv_progress_fn)(void *arg, const struct xfr_uv_progress *p);

/* What to refresh. */
struct xfr_uv_request {
	const uint8_t *origin;		  /* wire name of the zone */
	const struct xfr_remote *remotes; /* primaries, tried in order */
	unsigned nremotes;
	bool have_serial;	     /* false: no data yet, AXFR */
	uint32_t serial;	     /* our current serial when have_serial */
	bool skip_soa;		     /* no SOA query: transfer at once (IXFR with
					   * a serial, else AXFR), e.g. on first start */
	struct xfr_uv_opts opts;     /* zero: defaults */
	xfr_uv_progress_fn progress; /* NULL: no progress calls */
};

/* The outcome, handed to the completion callback. */
struct xfr_uv_result {
	int rc;		    /* 0 or the (last) failure's negative code */
	enum xfr_kind kind; /* UPTODATE, IXFR, IXFR_AXFR or AXFR on success */
	uint32_t serial;    /* the primary's serial (success, or as far as known) */
	/* AXFR, IXFR_AXFR: the new zone, checked; the callback takes it (set to NULL). */
	struct zone_contents *zone;
	/* IXFR: the changesets in order; the callback takes them (set to NULL). */
	struct xfr_changeset *changesets;
	size_t nchangesets;
	/* The last transfer's counters (records and bytes of the reply). */
	size_t records, bytes, messages;
	uint64_t duration_ms; /* from start to completion */
	/* Which primary gave this result: the remote's id and "addr@port". */
	const char *remote_id;
	char primary[64];
	/* Why it failed ("" on success): one line, with the step that failed. */
	char reason[512];
	/* The IXFR that was answered by falling back to AXFR ("" if none). */
	char ixfr_fallback[512];
};

/*
 * Called once per xfr_uv_start, on the loop's thread, after every handle of
 * the transfer is closed.  res is valid during the call only; take zone and
 * changesets out of it (set the fields to NULL) to keep them, else they are
 * freed after the call returns.  The struct xfr_uv is freed after the call.
 */
typedef void (*xfr_uv_done_fn)(void *arg, struct xfr_uv_result *res);

struct xfr_uv;

/*
 * Starts a refresh on loop.  req's origin, remotes, their addresses and keys
 * are borrowed: they must stay valid and unchanged until done is called.
 * Returns the transfer handle (for xfr_uv_cancel), or NULL with nothing
 * started when out of memory or req is invalid (no primaries, a primary
 * without addresses, an address of another family, a bad origin).
 */
struct xfr_uv *xfr_uv_start(uv_loop_t *loop, const struct xfr_uv_request *req, xfr_uv_done_fn done,
			    void *arg) __attribute__((warn_unused_result));

/*
 * Stops the transfer: sockets and timers are closed and done is called
 * (asynchronously, from the loop) with rc DP_EXFR_CANCELED, unless it has
 * been called already, in which case x is gone and must not be passed here.
 */
void xfr_uv_cancel(struct xfr_uv *x);

/* "198.18.0.1@53" / "2001:db8::1@53" into out (cap >= 64). */
void xfr_uv_addr_str(const struct sockaddr_storage *sa, char *out, size_t cap);
