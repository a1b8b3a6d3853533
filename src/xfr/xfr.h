/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Transfer client protocol core, with no I/O: one session = one request
 * (SOA query, IXFR or AXFR) to one primary and the messages of its reply.
 * The I/O layer (xfr_uv.c, a test, a fuzzer) asks for the request bytes, sends
 * them (UDP, or TCP with the 2-octet prefix), and feeds each received message
 * (unframed) back; the session says when the reply is complete or why it is
 * rejected.
 *
 *   SOA query (RFC 1034 §4.3.5): QUERY for <origin> SOA IN, RD clear.  The
 *     reply must be a response (QR) to our ID and question, with AA, RCODE
 *     NOERROR, not truncated (TC gives DP_EXFR_TC: ask again over TCP), and
 *     hold the zone's SOA in the answer section; its serial is the result.
 *   AXFR (RFC 5936): the answer records of all messages form one stream that
 *     starts and ends with the zone's SOA (same serial, §2.2); every record
 *     from the opening SOA up to, not including, the closing one goes to the
 *     sink, so the sink sees each record of the zone once, SOA first.
 *   IXFR (RFC 1995): the query carries our SOA (serial only: names ".",
 *     timers 0) in the authority section.  Replies:
 *       - one SOA whose serial is not newer than ours (RFC 1982): up to date;
 *       - SOA new, then difference sequences (SOA from, deletions, SOA to,
 *         additions)..., then SOA new again: changesets (changeset.h); the
 *         first sequence must start at our serial, each next one at the
 *         previous one's end, the last must end at the new serial;
 *       - SOA new followed by a non-SOA record: an AXFR-style reply, handled
 *         as AXFR (records to the sink).
 *
 * Every message of a reply is checked: QR set, opcode QUERY, our ID, a
 * question equal to ours (required in the first message, optional later,
 * RFC 5936 §2.2.1), RCODE NOERROR, TC clear over TCP.  With a key, every
 * message goes through xfr_tsig_verify (unsigned intermediate messages are
 * allowed as RFC 8945 §5.3.1 says) and the reply is complete only when the
 * last message was signed (xfr_tsig_verify_end).  Every answer record must be
 * class IN, inside the zone, not a meta type, with rdata matching its type;
 * every SOA must be the zone's (owner = origin).  Records after the closing
 * SOA, in the same message or a later one, are an error.
 *
 * Errors (negative, src/dns/errcode.h) are final for the session; a human
 * explanation is in xfr_session_errmsg().  Whether an IXFR error should be
 * answered with an AXFR is xfr_error_wants_axfr().  Nothing delivered to the
 * sink before an error may be used: the caller discards it (the driver builds
 * into a zone_builder it frees).
 *
 * Limits (struct xfr_limits): records, octets and messages of one reply; the
 * first one exceeded gives DP_EXFR_LIMIT.
 *
 * Threads: a session belongs to one thread at a time; it allocates, so it is
 * slow-path material.  The key passed in must outlive the session.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/msg.h"
#include "xfr/changeset.h"
#include "xfr/tsig.h"

enum xfr_type {
	XFR_SOA = DNS_T_SOA,
	XFR_IXFR = DNS_T_IXFR,
	XFR_AXFR = DNS_T_AXFR,
};

/* What a completed session delivered. */
enum xfr_kind {
	XFR_KIND_NONE = 0,  /* not complete (or an error) */
	XFR_KIND_SOA,	    /* SOA query answered: serial is the primary's */
	XFR_KIND_UPTODATE,  /* IXFR: the primary has nothing newer than ours */
	XFR_KIND_IXFR,	    /* IXFR: changesets */
	XFR_KIND_IXFR_AXFR, /* IXFR answered AXFR-style: records went to the sink */
	XFR_KIND_AXFR,	    /* AXFR: records went to the sink */
};

/* Text for a kind ("IXFR", "AXFR", "IXFR as AXFR", "up to date", ...). */
const char *xfr_kind_str(enum xfr_kind kind);

/* Limits of one reply; 0 means no limit. */
struct xfr_limits {
	size_t max_records;  /* answer records, SOAs included */
	size_t max_bytes;    /* octets of all messages (without TCP prefixes) */
	size_t max_messages; /* messages */
};

/* Counters of one reply, valid at any time (final once complete). */
struct xfr_stats {
	enum xfr_kind kind;
	uint32_t serial;     /* the primary's serial (valid from the first SOA on) */
	size_t records;	     /* answer records received, SOAs included */
	size_t bytes;	     /* octets of messages received */
	size_t messages;     /* messages received */
	size_t changesets;   /* IXFR: complete changesets */
	uint16_t rcode;	     /* RCODE of the last message (after DP_EXFR_RCODE) */
	uint16_t tsig_error; /* the primary's TSIG error (after XFR_TSIG_EPEER) */
};

/*
 * Receives each record of an AXFR (or AXFR-style IXFR) in order, during
 * xfr_session_feed.  rr and its rdata are valid during the call only.
 * Returns 0 to go on, or a negative code that aborts the session with it.
 */
typedef int (*xfr_sink_fn)(void *ctx, const struct dns_rr *rr);

struct xfr_session;

/*
 * A session for a request of type about the zone origin (wire name, any case;
 * copied).  key (NULL: no TSIG) is borrowed and must outlive the session;
 * limits (NULL: none) is copied.  Returns NULL when out of memory, origin is
 * not a valid name, type is not one of enum xfr_type, or OpenSSL cannot
 * provide the key's HMAC.
 */
struct xfr_session *xfr_session_new(const uint8_t *origin, enum xfr_type type,
				    const struct xfr_tsig_key *key, const struct xfr_limits *limits)
	__attribute__((warn_unused_result));

/* Frees s, and the changesets it still owns.  NULL: no-op. */
void xfr_session_free(struct xfr_session *s);

/* Our current serial: required before xfr_session_query for IXFR, else unused. */
void xfr_session_set_serial(struct xfr_session *s, uint32_t serial);

/* The sink for AXFR records (AXFR and IXFR sessions); without one they are only counted. */
void xfr_session_set_sink(struct xfr_session *s, xfr_sink_fn fn, void *ctx);

/* Room any request takes: header, question, IXFR's SOA and the largest TSIG RR. */
#define XFR_QUERY_MAX (DNS_HDR_LEN + DNS_NAME_MAXLEN + 4 + 2 + 10 + 22 + XFR_TSIG_SPACE_MAX)

/*
 * Writes the request with message ID id into buf[0..cap) and signs it with
 * the key at time now (seconds since the epoch).  Each call starts the
 * session afresh (counters, state, changesets and error are reset), so a
 * session can be reused for a retry (a new ID, or TCP after TC).
 * Returns the message length, DP_ESPACE (cap too small; XFR_QUERY_MAX always
 * suffices), DP_EINVAL (IXFR without a serial) or a TSIG signing error.
 */
int xfr_session_query(struct xfr_session *s, uint16_t id, uint64_t now, uint8_t *buf, size_t cap)
	__attribute__((warn_unused_result));

enum {
	XFR_MORE = 0, /* the message was accepted; the reply goes on */
	XFR_DONE = 1, /* the reply is complete (see xfr_session_stats) */
};

/*
 * Feeds the next message msg[0..len) of the reply, received at now.
 * Returns XFR_MORE, XFR_DONE or a negative code: DP_EXFR_ID, DP_EXFR_QUESTION
 * (not a reply to our query; over UDP the caller may drop such a message
 * and keep waiting: when they come in the first message nothing of the
 * session changes), DP_EXFR_RCODE (stats.rcode says which), DP_EXFR_TC,
 * DP_EXFR_NOTAUTH, DP_EXFR_NOSOA, DP_EXFR_FORMAT, DP_EXFR_SERIAL,
 * DP_EXFR_OUTSIDE, DP_EXFR_LIMIT, DP_EXFR_STATE (no query made, or the
 * session already ended), a TSIG code (xfr_tsig_verify, xfr_tsig_verify_end;
 * XFR_TSIG_EPEER with stats.tsig_error), a wire format code (DP_ETRUNC,
 * DP_EMALF, DP_ERDATA, name codes), DP_ENOMEM, or the sink's code.
 * After an error or XFR_DONE, further feeds return DP_EXFR_STATE.
 */
int xfr_session_feed(struct xfr_session *s, const uint8_t *msg, size_t len, uint64_t now)
	__attribute__((warn_unused_result));

/*
 * The transport closed.  Returns 0 when the reply was complete, else
 * DP_EXFR_EOF (and the session ends with that error, if it had none).
 */
int xfr_session_eof(struct xfr_session *s) __attribute__((warn_unused_result));

/* True once the reply is complete (XFR_DONE was returned). */
bool xfr_session_done(const struct xfr_session *s);

/* Fills st with the session's counters. */
void xfr_session_stats(const struct xfr_session *s, struct xfr_stats *st);

/* The session's error (0 if none) and its explanation ("" if none); valid until the next call. */
int xfr_session_error(const struct xfr_session *s);
const char *xfr_session_errmsg(const struct xfr_session *s);

/*
 * IXFR result: hands the changesets (a list in order, see changeset.h) to the
 * caller, who then owns them; *count gets their number.  NULL unless the
 * session completed with XFR_KIND_IXFR.
 */
struct xfr_changeset *xfr_session_take_changesets(struct xfr_session *s, size_t *count)
	__attribute__((warn_unused_result));

/*
 * Whether an IXFR that failed with code should be retried at once as AXFR
 * from the same primary: true for everything but TSIG failures (the same key
 * would fail again), cancellation and memory exhaustion (RFC 1995 §4 and
 * Knot's behaviour: any inconsistency, NOTIMP, SERVFAIL, REFUSED, FORMERR,
 * a broken or truncated stream, a timeout).
 */
bool xfr_error_wants_axfr(int code);
