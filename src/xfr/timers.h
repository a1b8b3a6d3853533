/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The SOA timers of a secondary zone (RFC 1034 §4.3.5, RFC 1996 §4, RFC 1982
 * serials), the way Knot DNS and NSD run them:
 *
 *   - first start with no data: refresh at once; while no refresh has ever
 *     succeeded, failures back off (XFR_TIMERS_BOOTSTRAP_*);
 *   - a successful refresh (the primary's serial equals ours, or a transfer
 *     was applied): next refresh = now + refresh, expire deadline = now +
 *     expire, from the SOA now served;
 *   - a failed refresh: next refresh = now + retry, the expire deadline stays;
 *   - a NOTIFY: refresh now; during a running refresh it is coalesced into
 *     one more refresh right after that one ends;
 *   - now >= expire deadline without a success: the zone is expired (the
 *     daemon answers SERVFAIL with Extended DNS Error 24, RFC 8914) until a
 *     refresh succeeds; refreshes go on at the retry interval meanwhile;
 *   - a primary whose serial is behind ours (RFC 1982) fails the refresh.
 *
 * Refresh, retry and expire come from the SOA clamped into the configured
 * bounds (struct xfr_timer_limits, the zone keys refresh-min-interval ...
 * expire-max-interval of doc/config.md).  Refresh and retry intervals get a
 * jitter that only shortens them, by up to XFR_TIMERS_JITTER_PCT per cent,
 * never below the configured minimum: zones with equal SOAs spread out
 * instead of refreshing in lockstep, and no zone is checked later than its
 * SOA (and the maximum bound) says.  BIND shortens retries the same way.
 *
 * Time is wall-clock seconds since the Unix epoch (int64_t), passed in:
 * time(NULL) in the daemon, anything in tests.  Wall clock rather than a
 * monotonic clock because the expire deadline outlives the process
 * (persist.h stores it and a restart continues from it).  Randomness is
 * passed in too (rnd: a uniform 32-bit value; 0 means "no jitter"), so every
 * result is reproducible.
 *
 * Pure functions: no I/O, no clock reads, no allocation.  A struct
 * xfr_timers is plain data owned by the slow-path thread that runs the
 * zone's refreshes; nothing here is shared or locked.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zone_contents;

/* Refresh and retry are shortened by a random 0..10 % of themselves. */
#define XFR_TIMERS_JITTER_PCT 10
/* Without data, failed refreshes wait 10 s, 20 s, 40 s, ... up to 1 hour (then clamped
 * into [retry-min, retry-max] and jittered like a retry). */
#define XFR_TIMERS_BOOTSTRAP_FIRST 10
#define XFR_TIMERS_BOOTSTRAP_MAX 3600

/* Knot DNS's floors (and our configuration's lowest values); 2^31 - 1 is the highest bound. */
#define XFR_TIMERS_REFRESH_FLOOR 2
#define XFR_TIMERS_RETRY_FLOOR 1
#define XFR_TIMERS_EXPIRE_FLOOR 3
#define XFR_TIMERS_BOUND_MAX 2147483647u

/* Bounds on the SOA timers, in seconds (struct conf_zone has the configured ones). */
struct xfr_timer_limits {
	uint32_t refresh_min, refresh_max; /* defaults 2 and 86400 */
	uint32_t retry_min, retry_max;	   /* defaults 1 and 86400 */
	uint32_t expire_min, expire_max;   /* defaults 3 and 2^31 - 1 */
};

/* The five numbers of an SOA record (RFC 1035 §3.3.13). */
struct xfr_soa {
	uint32_t serial, refresh, retry, expire, minimum;
};

enum xfr_zone_state {
	XFR_ZONE_EMPTY = 0, /* no data: nothing transferred yet, nothing persisted */
	XFR_ZONE_VALID,	    /* data within its expire deadline: served */
	XFR_ZONE_EXPIRED,   /* data past its deadline: SERVFAIL + EDE 24 until a success */
};

/*
 * One zone's timer state.  Read the fields freely; change them only through
 * the functions below.  Times are seconds since the epoch.
 */
struct xfr_timers {
	enum xfr_zone_state state;
	uint32_t serial;		 /* serial of the data served (state != EMPTY) */
	uint32_t refresh, retry, expire; /* the served SOA's, clamped (state != EMPTY) */
	int64_t last_refresh;		 /* last successful refresh; 0: none yet */
	int64_t next_refresh; /* when the next refresh is due (meaningless while running) */
	int64_t expire_at;    /* expire deadline (state != EMPTY) */
	unsigned failures;    /* failed refreshes since the last success */
	bool running;	      /* a refresh is in progress */
	bool notified;	      /* a NOTIFY came while running: refresh again right after */
};

/* What the primary's serial means for us (xfr_timers_serial_verdict). */
enum xfr_serial_verdict {
	XFR_SERIAL_NEWER, /* transfer it (always so while we have no data) */
	XFR_SERIAL_SAME,  /* up to date: a successful refresh without a transfer */
	XFR_SERIAL_OLDER, /* behind ours, or 2^31 away (RFC 1982 undefined): a failed refresh */
};

/* Results of xfr_timers_tick, or-ed. */
#define XFR_TIMERS_DO_REFRESH 1u   /* a refresh is due: start one (xfr_timers_refresh_begin) */
#define XFR_TIMERS_JUST_EXPIRED 2u /* the zone has just passed its expire deadline */

/* Sets l to the defaults above (those of the configuration). */
void xfr_timer_limits_default(struct xfr_timer_limits *l);

/*
 * Checks l: every bound within [its floor, XFR_TIMERS_BOUND_MAX] and each
 * min <= its max.  Returns 0 or DP_ERANGE.
 */
int xfr_timer_limits_check(const struct xfr_timer_limits *l) __attribute__((warn_unused_result));

/* v clamped into [min, max] (min <= max). */
uint32_t xfr_timers_clamp(uint32_t v, uint32_t min, uint32_t max);

/*
 * interval shortened by the jitter: interval - d, where d grows linearly with
 * rnd from 0 (rnd 0) to interval * XFR_TIMERS_JITTER_PCT / 100 (rnd
 * UINT32_MAX), rounded down; never below floor (unless interval itself is).
 */
uint32_t xfr_timers_jitter(uint32_t interval, uint32_t floor, uint32_t rnd);

/*
 * Reads the SOA rdata rdata[0..len): MNAME and RNAME (uncompressed wire
 * names, as a zone_contents holds them) and the five 32-bit numbers, exactly
 * filling len.  Returns 0 and *out, or DP_ETRUNC, DP_EMALF (octets after the
 * numbers), DP_ELABEL, DP_ENAMELEN, DP_EPTR (a name is bad).
 */
int xfr_soa_parse(const uint8_t *rdata, size_t len, struct xfr_soa *out)
	__attribute__((warn_unused_result));

/*
 * The SOA of z's apex.  Returns 0 and *out, DP_ENOENT (no apex or no SOA),
 * DP_EZONE (more than one SOA record) or an xfr_soa_parse error.
 */
int xfr_soa_from_zone(const struct zone_contents *z, struct xfr_soa *out)
	__attribute__((warn_unused_result));

/* A zone without data, first start: state EMPTY, a refresh due at now. */
void xfr_timers_init(struct xfr_timers *t, int64_t now);

/*
 * A zone whose data and timers were persisted (persist.h): serial and timers
 * from soa (clamped by l), last_refresh and the expire deadline as stored.
 * The deadline is kept, but never later than now + expire (a clock that went
 * backwards, or a stored deadline from a longer expire, cannot stretch it);
 * at or past it the zone is EXPIRED at once.  The next refresh is
 * last_refresh + jittered refresh, or now if that has passed (or
 * last_refresh lies in the future).
 */
void xfr_timers_restore(struct xfr_timers *t, const struct xfr_timer_limits *l,
			const struct xfr_soa *soa, int64_t last_refresh, int64_t expire_at,
			int64_t now, uint32_t rnd);

/*
 * Due work at now: marks the zone EXPIRED when it passes its deadline
 * (XFR_TIMERS_JUST_EXPIRED, reported once) and reports a due refresh
 * (XFR_TIMERS_DO_REFRESH, reported until xfr_timers_refresh_begin; never
 * while one is running).  Returns 0 or those flags.
 */
unsigned xfr_timers_tick(struct xfr_timers *t, int64_t now);

/* A refresh starts (the SOA query goes out): running, any pending NOTIFY absorbed. */
void xfr_timers_refresh_begin(struct xfr_timers *t);

/* Compares the primary's serial with ours (RFC 1982) for the SOA check. */
enum xfr_serial_verdict xfr_timers_serial_verdict(const struct xfr_timers *t, uint32_t remote);

/*
 * The refresh succeeded: soa is the SOA now served (unchanged when we were up
 * to date, the new one after a transfer).  State VALID, timers from soa
 * clamped by l, last_refresh = now, expire deadline = now + expire, next
 * refresh = now + jittered refresh (now if a NOTIFY came meanwhile).
 * A serial behind the one served (RFC 1982; equal is fine) is no success:
 * it is recorded as xfr_timers_refresh_fail does and DP_EXFR_OLD returned.
 * Returns 0 or DP_EXFR_OLD.
 */
int xfr_timers_refresh_ok(struct xfr_timers *t, const struct xfr_timer_limits *l,
			  const struct xfr_soa *soa, int64_t now, uint32_t rnd)
	__attribute__((warn_unused_result));

/*
 * The refresh failed (no answer, error, bad transfer, serial behind ours):
 * next refresh = now + jittered retry (with data), or the bootstrap backoff
 * (without), or now if a NOTIFY came meanwhile.  The deadline is unchanged.
 */
void xfr_timers_refresh_fail(struct xfr_timers *t, const struct xfr_timer_limits *l, int64_t now,
			     uint32_t rnd);

/*
 * A NOTIFY for the zone was accepted.  Returns true when a refresh is now due
 * (the caller starts it), false when one is running: it is followed by
 * another as soon as it ends, however many NOTIFYs came meanwhile.
 */
bool xfr_timers_notify(struct xfr_timers *t, int64_t now);

/*
 * When xfr_timers_tick next has something to report: the earlier of the next
 * refresh (unless running) and the expire deadline (while VALID).  INT64_MAX
 * when nothing is pending (a refresh running on an EMPTY or EXPIRED zone).
 */
int64_t xfr_timers_next(const struct xfr_timers *t);

/*
 * The earliest xfr_timers_next of zones[0..n) (NULL entries skipped), and in
 * *which (may be NULL) the index of that zone (n when there is none).
 * INT64_MAX when nothing is pending.  The slow path arms one timer with it.
 */
int64_t xfr_timers_next_wakeup(const struct xfr_timers *const *zones, size_t n, size_t *which);
