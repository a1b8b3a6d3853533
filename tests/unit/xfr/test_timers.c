/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SOA timers of secondary zones (src/xfr/timers.h): clamps, jitter bounds,
 * RFC 1982 serial verdicts across the wrap, refresh success and failure,
 * bootstrap backoff, NOTIFY coalescing, expiry, restore from persisted
 * timers, and the next wake-up over a set of zones.  Times are plain numbers:
 * nothing here reads a clock.
 */
#include "xfr/timers.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "dns/errcode.h"
#include "zone/load.h"

#define T0 INT64_C(1700000000) /* some "now" */

static struct xfr_timer_limits lim;

static void setup(void)
{
	xfr_timer_limits_default(&lim);
}

TestSuite(timers, .init = setup);

static struct xfr_soa soa(uint32_t serial, uint32_t refresh, uint32_t retry, uint32_t expire)
{
	return (struct xfr_soa){ serial, refresh, retry, expire, 300 };
}

/* A zone that has data: first transfer at T0 with no jitter. */
static void have_data(struct xfr_timers *t, uint32_t serial, uint32_t refresh, uint32_t retry,
		      uint32_t expire)
{
	struct xfr_soa s = soa(serial, refresh, retry, expire);
	xfr_timers_init(t, T0);
	xfr_timers_refresh_begin(t);
	cr_assert_eq(xfr_timers_refresh_ok(t, &lim, &s, T0, 0), 0);
}

/* ------------------------------------------------------ limits and clamps */

Test(timers, limits_default_and_check)
{
	cr_assert_eq(lim.refresh_min, 2);
	cr_assert_eq(lim.refresh_max, 86400);
	cr_assert_eq(lim.retry_min, 1);
	cr_assert_eq(lim.retry_max, 86400);
	cr_assert_eq(lim.expire_min, 3);
	cr_assert_eq(lim.expire_max, 2147483647u);
	cr_assert_eq(xfr_timer_limits_check(&lim), 0);

	struct xfr_timer_limits l = lim;
	l.refresh_min = 1; /* below Knot's floor */
	cr_assert_eq(xfr_timer_limits_check(&l), DP_ERANGE);
	l = lim;
	l.retry_min = 0;
	cr_assert_eq(xfr_timer_limits_check(&l), DP_ERANGE);
	l = lim;
	l.expire_min = 2;
	cr_assert_eq(xfr_timer_limits_check(&l), DP_ERANGE);
	l = lim;
	l.retry_min = 100;
	l.retry_max = 99; /* crossed */
	cr_assert_eq(xfr_timer_limits_check(&l), DP_ERANGE);
	l = lim;
	l.expire_max = 2147483648u;
	cr_assert_eq(xfr_timer_limits_check(&l), DP_ERANGE);
	l = lim;
	l.refresh_min = l.refresh_max = 60; /* equal is fine */
	cr_assert_eq(xfr_timer_limits_check(&l), 0);
	cr_assert_eq(xfr_timer_limits_check(NULL), DP_ERANGE);
}

Test(timers, clamp)
{
	cr_assert_eq(xfr_timers_clamp(0, 2, 10), 2);
	cr_assert_eq(xfr_timers_clamp(2, 2, 10), 2);
	cr_assert_eq(xfr_timers_clamp(7, 2, 10), 7);
	cr_assert_eq(xfr_timers_clamp(10, 2, 10), 10);
	cr_assert_eq(xfr_timers_clamp(UINT32_MAX, 2, 10), 10);
	cr_assert_eq(xfr_timers_clamp(5, 5, 5), 5);
}

/* The SOA's numbers are clamped into the limits, each into its own pair. */
Test(timers, soa_values_clamped)
{
	struct xfr_timers t;

	have_data(&t, 1, 1, 0, 1); /* everything below the floors */
	cr_assert_eq(t.refresh, 2);
	cr_assert_eq(t.retry, 1);
	cr_assert_eq(t.expire, 3);
	cr_assert_eq(t.next_refresh, T0 + 2);
	cr_assert_eq(t.expire_at, T0 + 3);

	have_data(&t, 1, UINT32_MAX, UINT32_MAX, UINT32_MAX); /* everything above */
	cr_assert_eq(t.refresh, 86400);
	cr_assert_eq(t.retry, 86400);
	cr_assert_eq(t.expire, 2147483647u);
	cr_assert_eq(t.expire_at, T0 + 2147483647);

	have_data(&t, 1, 7200, 3600, 1209600); /* inside: as written */
	cr_assert_eq(t.refresh, 7200);
	cr_assert_eq(t.retry, 3600);
	cr_assert_eq(t.expire, 1209600);

	/* Configured limits. */
	lim = (struct xfr_timer_limits){ 60, 600, 30, 300, 86400, 604800 };
	have_data(&t, 1, 7200, 5, 3);
	cr_assert_eq(t.refresh, 600);
	cr_assert_eq(t.retry, 30);
	cr_assert_eq(t.expire, 86400);
	have_data(&t, 1, 10, 3600, 1209600);
	cr_assert_eq(t.refresh, 60);
	cr_assert_eq(t.retry, 300);
	cr_assert_eq(t.expire, 604800);
	cr_assert_eq(t.next_refresh, T0 + 60);
	cr_assert_eq(t.expire_at, T0 + 604800);
}

/* --------------------------------------------------------------- jitter */

Test(timers, jitter_bounds)
{
	/* rnd 0: no jitter; rnd max: the full 10 %; in between: inside, monotonic. */
	cr_assert_eq(xfr_timers_jitter(3600, 2, 0), 3600);
	cr_assert_eq(xfr_timers_jitter(3600, 2, UINT32_MAX), 3240);
	cr_assert_eq(xfr_timers_jitter(3600, 2, UINT32_C(0x80000000)), 3420);
	uint32_t prev = UINT32_MAX, x = 12345;
	for (int i = 0; i < 100000; i++) {
		x = x * 1664525u + 1013904223u; /* any spread of values will do */
		uint32_t v = xfr_timers_jitter(3600, 2, x);
		cr_assert(v >= 3240 && v <= 3600, "jitter %u out of bounds for rnd %u", v, x);
	}
	for (uint64_t r = 0; r <= UINT32_MAX; r += 0x1000000) {
		uint32_t v = xfr_timers_jitter(86400, 2, (uint32_t)r);
		cr_assert(v <= prev, "not monotonic at rnd %" PRIu64, r);
		prev = v;
	}

	/* Small intervals: 10 % rounds down to nothing below 10 s. */
	for (uint32_t i = 1; i < 10; i++)
		cr_assert_eq(xfr_timers_jitter(i, 1, UINT32_MAX), i);
	cr_assert_eq(xfr_timers_jitter(10, 1, UINT32_MAX), 9);
	/* The floor holds: 100 s with a 95 s minimum never drops below 95. */
	cr_assert_eq(xfr_timers_jitter(100, 95, UINT32_MAX), 95);
	cr_assert_eq(xfr_timers_jitter(100, 95, 0), 100);
	/* The largest values do not overflow. */
	cr_assert_eq(xfr_timers_jitter(UINT32_MAX, 1, 0), UINT32_MAX);
	cr_assert_eq(xfr_timers_jitter(UINT32_MAX, 1, UINT32_MAX), UINT32_MAX - 429496729);
}

/* Jitter applies to the refresh after a success and the retry after a failure. */
Test(timers, jitter_on_refresh_and_retry)
{
	struct xfr_timers t;
	struct xfr_soa s = soa(10, 7200, 600, 86400);

	xfr_timers_init(&t, T0);
	xfr_timers_refresh_begin(&t);
	cr_assert_eq(xfr_timers_refresh_ok(&t, &lim, &s, T0, UINT32_MAX), 0);
	cr_assert_eq(t.next_refresh, T0 + 7200 - 720);
	cr_assert_eq(t.expire_at, T0 + 86400, "expire gets no jitter");
	xfr_timers_refresh_begin(&t);
	xfr_timers_refresh_fail(&t, &lim, T0 + 10, UINT32_MAX);
	cr_assert_eq(t.next_refresh, T0 + 10 + 600 - 60);
	cr_assert_eq(t.expire_at, T0 + 86400);
}

/* ------------------------------------------------------------------ SOA */

Test(timers, soa_parse)
{
	/* MNAME ns., RNAME h., then the five numbers. */
	static const uint8_t rd[] = { 2,    'n',  's',	0,    1,    'h',  0, 0x78, 0x6f,
				      0x0a, 0x39, 0,	0,    0x1c, 0x20, 0, 0,	   0x0e,
				      0x10, 0,	  0x12, 0x75, 0,    0,	  0, 1,	   0x2c };
	struct xfr_soa s;

	cr_assert_eq(xfr_soa_parse(rd, sizeof(rd), &s), 0);
	cr_assert_eq(s.serial, 2020543033u);
	cr_assert_eq(s.refresh, 7200);
	cr_assert_eq(s.retry, 3600);
	cr_assert_eq(s.expire, 1209600);
	cr_assert_eq(s.minimum, 300);
	for (size_t n = 0; n < sizeof(rd); n++)
		cr_assert_lt(xfr_soa_parse(rd, n, &s), 0, "accepted %zu of %zu octets", n,
			     sizeof(rd));
	uint8_t longer[sizeof(rd) + 1];
	memcpy(longer, rd, sizeof(rd));
	longer[sizeof(rd)] = 0;
	cr_assert_eq(xfr_soa_parse(longer, sizeof(longer), &s), DP_EMALF);
	/* A compression pointer has no place in stored rdata. */
	static const uint8_t ptr[] = { 0xc0, 0x0c, 1, 'h', 0, 0, 0, 0, 1, 0, 0, 0, 2,
				       0,    0,	   0, 3,   0, 0, 0, 4, 0, 0, 0, 5 };
	cr_assert_lt(xfr_soa_parse(ptr, sizeof(ptr), &s), 0);
}

Test(timers, soa_from_zone)
{
	static const char text[] = "$ORIGIN example.\n$TTL 60\n"
				   "@ SOA ns hostmaster 4294967295 7200 3600 1209600 300\n"
				   "@ NS ns\nns A 192.0.2.1\n";
	struct xfr_soa s;
	struct zone_contents *z = zone_load_string(text, strlen(text), "t", "example.", NULL);

	cr_assert_not_null(z);
	cr_assert_eq(xfr_soa_from_zone(z, &s), 0);
	cr_assert_eq(s.serial, 4294967295u);
	cr_assert_eq(s.refresh, 7200);
	cr_assert_eq(s.retry, 3600);
	cr_assert_eq(s.expire, 1209600);
	cr_assert_eq(s.minimum, 300);
	zone_contents_free(z);
	cr_assert_eq(xfr_soa_from_zone(NULL, &s), DP_ENOENT);
}

/* ------------------------------------------------------- serial verdicts */

Test(timers, serial_verdict_with_wraparound)
{
	struct xfr_timers t;

	xfr_timers_init(&t, T0);
	cr_assert_eq(xfr_timers_serial_verdict(&t, 0), XFR_SERIAL_NEWER, "no data: transfer");
	cr_assert_eq(xfr_timers_serial_verdict(&t, 12345), XFR_SERIAL_NEWER);

	have_data(&t, 100, 3600, 600, 86400);
	cr_assert_eq(xfr_timers_serial_verdict(&t, 101), XFR_SERIAL_NEWER);
	cr_assert_eq(xfr_timers_serial_verdict(&t, 100), XFR_SERIAL_SAME);
	cr_assert_eq(xfr_timers_serial_verdict(&t, 99), XFR_SERIAL_OLDER);
	cr_assert_eq(xfr_timers_serial_verdict(&t, 100 + 0x7fffffffu), XFR_SERIAL_NEWER);
	cr_assert_eq(xfr_timers_serial_verdict(&t, 100 + 0x80000000u), XFR_SERIAL_OLDER,
		     "2^31 apart is undefined (RFC 1982): not newer");
	cr_assert_eq(xfr_timers_serial_verdict(&t, 100 + 0x80000001u), XFR_SERIAL_OLDER);

	/* Across the wrap: 4294967290 -> 5 is an increase, 5 -> 4294967290 a decrease. */
	have_data(&t, 4294967290u, 3600, 600, 86400);
	cr_assert_eq(xfr_timers_serial_verdict(&t, 5), XFR_SERIAL_NEWER);
	cr_assert_eq(xfr_timers_serial_verdict(&t, 0), XFR_SERIAL_NEWER);
	cr_assert_eq(xfr_timers_serial_verdict(&t, 4294967289u), XFR_SERIAL_OLDER);
	have_data(&t, 5, 3600, 600, 86400);
	cr_assert_eq(xfr_timers_serial_verdict(&t, 4294967290u), XFR_SERIAL_OLDER);
}

/* A transfer that brings a serial behind ours is a failed refresh; the wrap is not. */
Test(timers, serial_backwards_is_a_failure)
{
	struct xfr_timers t;
	struct xfr_soa older = soa(99, 3600, 600, 86400), wrap;

	have_data(&t, 100, 3600, 600, 86400);
	xfr_timers_refresh_begin(&t);
	cr_assert_eq(xfr_timers_refresh_ok(&t, &lim, &older, T0 + 100, 0), DP_EXFR_OLD);
	cr_assert_eq(t.serial, 100);
	cr_assert_eq(t.state, XFR_ZONE_VALID);
	cr_assert_eq(t.failures, 1);
	cr_assert_not(t.running);
	cr_assert_eq(t.last_refresh, T0, "a failure is not a refresh");
	cr_assert_eq(t.next_refresh, T0 + 100 + 600, "retry applies");
	cr_assert_eq(t.expire_at, T0 + 86400, "deadline unchanged");

	/* Undefined distance: refused too. */
	struct xfr_soa undef = soa(100 + 0x80000000u, 3600, 600, 86400);
	cr_assert_eq(xfr_timers_refresh_ok(&t, &lim, &undef, T0 + 200, 0), DP_EXFR_OLD);
	cr_assert_eq(t.failures, 2);

	/* Equal (a retransfer of the same version) is a success. */
	struct xfr_soa same = soa(100, 1800, 600, 86400);
	cr_assert_eq(xfr_timers_refresh_ok(&t, &lim, &same, T0 + 300, 0), 0);
	cr_assert_eq(t.failures, 0);
	cr_assert_eq(t.refresh, 1800);

	/* Through the wrap is forward. */
	have_data(&t, 4294967295u, 3600, 600, 86400);
	wrap = soa(0, 3600, 600, 86400);
	cr_assert_eq(xfr_timers_refresh_ok(&t, &lim, &wrap, T0 + 1, 0), 0);
	cr_assert_eq(t.serial, 0);
	wrap = soa(4294967295u, 3600, 600, 86400);
	cr_assert_eq(xfr_timers_refresh_ok(&t, &lim, &wrap, T0 + 2, 0), DP_EXFR_OLD);
	cr_assert_eq(t.serial, 0);
}

/* ------------------------------------------------------- the life cycle */

Test(timers, first_start_refreshes_now)
{
	struct xfr_timers t;

	xfr_timers_init(&t, T0);
	cr_assert_eq(t.state, XFR_ZONE_EMPTY);
	cr_assert_eq(t.next_refresh, T0);
	cr_assert_eq(xfr_timers_next(&t), T0);
	cr_assert_eq(xfr_timers_tick(&t, T0), XFR_TIMERS_DO_REFRESH);
	cr_assert_eq(xfr_timers_tick(&t, T0 - 1), 0, "not before its time");
	xfr_timers_refresh_begin(&t);
	cr_assert_eq(xfr_timers_tick(&t, T0 + 1000), 0, "nothing while it runs");
	cr_assert_eq(xfr_timers_next(&t), INT64_MAX);
}

Test(timers, success_sets_refresh_and_expire)
{
	struct xfr_timers t;
	struct xfr_soa s = soa(7, 7200, 3600, 1209600);

	xfr_timers_init(&t, T0);
	xfr_timers_refresh_begin(&t);
	cr_assert_eq(xfr_timers_refresh_ok(&t, &lim, &s, T0 + 3, 0), 0);
	cr_assert_eq(t.state, XFR_ZONE_VALID);
	cr_assert_eq(t.serial, 7);
	cr_assert_eq(t.last_refresh, T0 + 3);
	cr_assert_eq(t.next_refresh, T0 + 3 + 7200);
	cr_assert_eq(t.expire_at, T0 + 3 + 1209600);
	cr_assert_not(t.running);
	cr_assert_eq(xfr_timers_next(&t), T0 + 3 + 7200);
	cr_assert_eq(xfr_timers_tick(&t, T0 + 3 + 7199), 0);
	cr_assert_eq(xfr_timers_tick(&t, T0 + 3 + 7200), XFR_TIMERS_DO_REFRESH);

	/* Up to date at the next refresh: both clocks move on from then. */
	xfr_timers_refresh_begin(&t);
	cr_assert_eq(xfr_timers_refresh_ok(&t, &lim, &s, T0 + 7300, 0), 0);
	cr_assert_eq(t.last_refresh, T0 + 7300);
	cr_assert_eq(t.next_refresh, T0 + 7300 + 7200);
	cr_assert_eq(t.expire_at, T0 + 7300 + 1209600);
}

/* Failures: retry interval, deadline unchanged, then expiry, then recovery. */
Test(timers, failures_until_expired_then_recovery)
{
	struct xfr_timers t;
	struct xfr_soa s = soa(42, 600, 120, 1000);
	int64_t now = T0;

	have_data(&t, 42, 600, 120, 1000);
	cr_assert_eq(t.expire_at, T0 + 1000);
	now = t.next_refresh;
	unsigned fails = 0;
	while (now < T0 + 1000) {
		unsigned what = xfr_timers_tick(&t, now);
		cr_assert_eq(what, XFR_TIMERS_DO_REFRESH, "at %" PRId64, now - T0);
		xfr_timers_refresh_begin(&t);
		xfr_timers_refresh_fail(&t, &lim, now, 0);
		fails++;
		cr_assert_eq(t.next_refresh, now + 120);
		cr_assert_eq(t.expire_at, T0 + 1000, "failures never move the deadline");
		cr_assert_eq(t.state, XFR_ZONE_VALID);
		now = xfr_timers_next(&t);
	}
	/* 600, 720, 840, 960: four retries; next wake-up is the deadline (1000 < 1080). */
	cr_assert_eq(fails, 4);
	cr_assert_eq(now, T0 + 1000);
	cr_assert_eq(xfr_timers_tick(&t, T0 + 999), 0);
	cr_assert_eq(xfr_timers_tick(&t, T0 + 1000), XFR_TIMERS_JUST_EXPIRED);
	cr_assert_eq(t.state, XFR_ZONE_EXPIRED);
	cr_assert_eq(xfr_timers_tick(&t, T0 + 1001), 0, "expiry is reported once");
	/* Expired zones keep retrying; the deadline no longer wakes anyone. */
	cr_assert_eq(xfr_timers_next(&t), T0 + 960 + 120);
	cr_assert_eq(xfr_timers_tick(&t, T0 + 1080), XFR_TIMERS_DO_REFRESH);
	xfr_timers_refresh_begin(&t);
	xfr_timers_refresh_fail(&t, &lim, T0 + 1080, 0);
	cr_assert_eq(t.state, XFR_ZONE_EXPIRED);
	cr_assert_eq(t.failures, 5);

	/* The primary is back and up to date: valid again, fresh deadline. */
	xfr_timers_refresh_begin(&t);
	cr_assert_eq(xfr_timers_refresh_ok(&t, &lim, &s, T0 + 1200, 0), 0);
	cr_assert_eq(t.state, XFR_ZONE_VALID);
	cr_assert_eq(t.failures, 0);
	cr_assert_eq(t.expire_at, T0 + 1200 + 1000);
	cr_assert_eq(t.next_refresh, T0 + 1200 + 600);
}

/* A refresh still running at the deadline does not keep the zone alive. */
Test(timers, expiry_while_running)
{
	struct xfr_timers t;

	have_data(&t, 1, 600, 120, 1000);
	xfr_timers_refresh_begin(&t);
	cr_assert_eq(xfr_timers_next(&t), T0 + 1000);
	cr_assert_eq(xfr_timers_tick(&t, T0 + 1000), XFR_TIMERS_JUST_EXPIRED);
	cr_assert_eq(xfr_timers_next(&t), INT64_MAX);
}

/* Without data there is no SOA retry: 10, 20, 40 ... 3600 s, clamped and jittered. */
Test(timers, bootstrap_backoff)
{
	static const uint32_t want[] = { 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600 };
	struct xfr_timers t;
	int64_t now = T0;

	xfr_timers_init(&t, now);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		xfr_timers_refresh_begin(&t);
		xfr_timers_refresh_fail(&t, &lim, now, 0);
		cr_assert_eq(t.next_refresh - now, want[i], "failure %zu: %" PRId64, i + 1,
			     t.next_refresh - now);
		cr_assert_eq(t.state, XFR_ZONE_EMPTY);
		cr_assert_eq(xfr_timers_tick(&t, now + want[i]), XFR_TIMERS_DO_REFRESH);
		now += want[i];
	}
	/* Many more failures: the counter cannot overflow the shift. */
	for (int i = 0; i < 100; i++)
		xfr_timers_refresh_fail(&t, &lim, now, 0);
	cr_assert_eq(t.next_refresh - now, 3600);

	/* retry-max below the backoff caps it; retry-min above it lifts it. */
	lim.retry_max = 30;
	xfr_timers_init(&t, T0);
	for (int i = 0; i < 5; i++)
		xfr_timers_refresh_fail(&t, &lim, T0, 0);
	cr_assert_eq(t.next_refresh - T0, 30);
	lim.retry_max = 86400;
	lim.retry_min = 60;
	xfr_timers_init(&t, T0);
	xfr_timers_refresh_fail(&t, &lim, T0, 0);
	cr_assert_eq(t.next_refresh - T0, 60);
	/* Jitter shortens it, not below retry-min. */
	lim.retry_min = 1;
	xfr_timers_init(&t, T0);
	for (int i = 0; i < 10; i++)
		xfr_timers_refresh_fail(&t, &lim, T0, UINT32_MAX);
	cr_assert_eq(t.next_refresh - T0, 3600 - 360);

	/* The first success ends the bootstrap. */
	struct xfr_soa s = soa(1, 300, 60, 3000);
	cr_assert_eq(xfr_timers_refresh_ok(&t, &lim, &s, T0, 0), 0);
	xfr_timers_refresh_fail(&t, &lim, T0 + 300, 0);
	cr_assert_eq(t.next_refresh, T0 + 300 + 60);
}

/* ---------------------------------------------------------------- NOTIFY */

Test(timers, notify_refreshes_now_and_coalesces)
{
	struct xfr_timers t;
	struct xfr_soa s = soa(5, 3600, 600, 86400);

	have_data(&t, 5, 3600, 600, 86400);
	cr_assert_eq(t.next_refresh, T0 + 3600);
	/* Idle: due at once. */
	cr_assert(xfr_timers_notify(&t, T0 + 10));
	cr_assert_eq(t.next_refresh, T0 + 10);
	cr_assert_eq(xfr_timers_tick(&t, T0 + 10), XFR_TIMERS_DO_REFRESH);
	/* A second NOTIFY before the refresh starts changes nothing. */
	cr_assert(xfr_timers_notify(&t, T0 + 11));
	cr_assert_eq(t.next_refresh, T0 + 10);

	/* Running: coalesced, however many. */
	xfr_timers_refresh_begin(&t);
	for (int i = 0; i < 50; i++)
		cr_assert_not(xfr_timers_notify(&t, T0 + 12 + i));
	cr_assert(t.notified);
	cr_assert_eq(xfr_timers_tick(&t, T0 + 100), 0);
	/* The running one succeeds: one more refresh right away, not 50. */
	cr_assert_eq(xfr_timers_refresh_ok(&t, &lim, &s, T0 + 100, 0), 0);
	cr_assert_not(t.notified);
	cr_assert_eq(t.next_refresh, T0 + 100);
	cr_assert_eq(t.expire_at, T0 + 100 + 86400);
	xfr_timers_refresh_begin(&t);
	cr_assert_eq(xfr_timers_refresh_ok(&t, &lim, &s, T0 + 101, 0), 0);
	cr_assert_eq(t.next_refresh, T0 + 101 + 3600, "back to the normal schedule");

	/* A NOTIFY during a refresh that fails: again right away, not after retry. */
	xfr_timers_refresh_begin(&t);
	cr_assert_not(xfr_timers_notify(&t, T0 + 200));
	xfr_timers_refresh_fail(&t, &lim, T0 + 201, 0);
	cr_assert_eq(t.next_refresh, T0 + 201);
	cr_assert_eq(t.failures, 1);

	/* A NOTIFY absorbed by refresh_begin (it came before the query went out). */
	cr_assert(xfr_timers_notify(&t, T0 + 202));
	xfr_timers_refresh_begin(&t);
	cr_assert_not(t.notified);
	cr_assert_eq(xfr_timers_refresh_ok(&t, &lim, &s, T0 + 203, 0), 0);
	cr_assert_eq(t.next_refresh, T0 + 203 + 3600);
}

/* NOTIFY for a zone without data, and for an expired zone: refresh now. */
Test(timers, notify_empty_and_expired)
{
	struct xfr_timers t;

	xfr_timers_init(&t, T0);
	xfr_timers_refresh_begin(&t);
	xfr_timers_refresh_fail(&t, &lim, T0, 0);
	cr_assert_eq(t.next_refresh, T0 + 10);
	cr_assert(xfr_timers_notify(&t, T0 + 1));
	cr_assert_eq(t.next_refresh, T0 + 1);

	have_data(&t, 1, 600, 120, 1000);
	(void)xfr_timers_tick(&t, T0 + 2000);
	cr_assert_eq(t.state, XFR_ZONE_EXPIRED);
	cr_assert(xfr_timers_notify(&t, T0 + 2000));
	cr_assert_eq(xfr_timers_tick(&t, T0 + 2000), XFR_TIMERS_DO_REFRESH);
}

/* --------------------------------------------------------------- restore */

Test(timers, restore_continues_the_clocks)
{
	struct xfr_timers t;
	struct xfr_soa s = soa(77, 3600, 600, 86400);

	/* Stopped 100 s after a refresh, restarted 200 s later. */
	xfr_timers_restore(&t, &lim, &s, T0, T0 + 86400, T0 + 300, 0);
	cr_assert_eq(t.state, XFR_ZONE_VALID);
	cr_assert_eq(t.serial, 77);
	cr_assert_eq(t.last_refresh, T0);
	cr_assert_eq(t.expire_at, T0 + 86400, "the deadline continues");
	cr_assert_eq(t.next_refresh, T0 + 3600);
	cr_assert_eq(t.failures, 0);
	cr_assert_not(t.running);
	cr_assert_eq(xfr_timers_tick(&t, T0 + 300), 0);

	/* Refresh overdue: now. */
	xfr_timers_restore(&t, &lim, &s, T0, T0 + 86400, T0 + 5000, 0);
	cr_assert_eq(t.state, XFR_ZONE_VALID);
	cr_assert_eq(t.next_refresh, T0 + 5000);
	cr_assert_eq(xfr_timers_tick(&t, T0 + 5000), XFR_TIMERS_DO_REFRESH);

	/* Deadline passed while down: expired at once, refresh now. */
	xfr_timers_restore(&t, &lim, &s, T0, T0 + 86400, T0 + 86400, 0);
	cr_assert_eq(t.state, XFR_ZONE_EXPIRED);
	cr_assert_eq(xfr_timers_tick(&t, T0 + 86400), XFR_TIMERS_DO_REFRESH);
	xfr_timers_restore(&t, &lim, &s, T0, T0 + 86400, T0 + 10 * 86400, 0);
	cr_assert_eq(t.state, XFR_ZONE_EXPIRED);

	/* A stored deadline beyond now + expire (clock stepped back, or a smaller
	 * expire-max-interval now) is pulled in; one in the past stays there. */
	xfr_timers_restore(&t, &lim, &s, T0, T0 + 10 * 86400, T0 + 100, 0);
	cr_assert_eq(t.expire_at, T0 + 100 + 86400);
	/* last_refresh in the future (clock stepped back): refresh now. */
	xfr_timers_restore(&t, &lim, &s, T0 + 1000, T0 + 1000 + 86400, T0, 0);
	cr_assert_eq(t.next_refresh, T0);
	cr_assert_eq(t.expire_at, T0 + 86400);

	/* Then life goes on: a success moves the deadline, a failure does not. */
	xfr_timers_restore(&t, &lim, &s, T0, T0 + 86400, T0 + 300, 0);
	xfr_timers_refresh_begin(&t);
	xfr_timers_refresh_fail(&t, &lim, T0 + 3600, 0);
	cr_assert_eq(t.expire_at, T0 + 86400);
	cr_assert_eq(xfr_timers_serial_verdict(&t, 77), XFR_SERIAL_SAME);
	cr_assert_eq(xfr_timers_serial_verdict(&t, 76), XFR_SERIAL_OLDER);
}

/* ---------------------------------------------------- next wake-up, edges */

Test(timers, next_wakeup_over_zones)
{
	struct xfr_timers a, b, c, d;
	size_t which = 99;

	have_data(&a, 1, 3600, 600, 86400); /* refresh at T0 + 3600 */
	have_data(&b, 1, 600, 60, 500);	    /* deadline T0 + 500 before refresh T0 + 600 */
	xfr_timers_init(&c, T0 + 1000);	    /* empty: refresh at T0 + 1000 */
	have_data(&d, 1, 60, 60, 86400);
	xfr_timers_refresh_begin(&d); /* running: only its deadline counts */

	const struct xfr_timers *set[] = { &a, NULL, &b, &c, &d };
	cr_assert_eq(xfr_timers_next_wakeup(set, 5, &which), T0 + 500);
	cr_assert_eq(which, 2);
	(void)xfr_timers_tick(&b, T0 + 500); /* b expires; its refresh is what remains */
	cr_assert_eq(xfr_timers_next_wakeup(set, 5, &which), T0 + 600);
	cr_assert_eq(which, 2);
	xfr_timers_refresh_begin(&b); /* running and expired: nothing pending */
	cr_assert_eq(xfr_timers_next(&b), INT64_MAX);
	cr_assert_eq(xfr_timers_next_wakeup(set, 5, &which), T0 + 1000);
	cr_assert_eq(which, 3);
	xfr_timers_refresh_begin(&c);
	cr_assert_eq(xfr_timers_next_wakeup(set, 5, &which), T0 + 3600);
	cr_assert_eq(which, 0);
	xfr_timers_refresh_begin(&a);
	cr_assert_eq(xfr_timers_next_wakeup(set, 5, &which), T0 + 86400);
	cr_assert_eq(which, 0, "a tie goes to the first zone");
	cr_assert_eq(xfr_timers_next_wakeup(set + 4, 1, &which), T0 + 86400);
	cr_assert_eq(which, 0);
	(void)xfr_timers_tick(&a, T0 + 86400);
	(void)xfr_timers_tick(&d, T0 + 86400);
	cr_assert_eq(xfr_timers_next_wakeup(set, 5, &which), INT64_MAX);
	cr_assert_eq(which, 5, "no zone: n");
	cr_assert_eq(xfr_timers_next_wakeup(set, 0, NULL), INT64_MAX);
	cr_assert_eq(xfr_timers_next_wakeup(NULL, 3, &which), INT64_MAX);
}

/* Deadlines near the end of int64_t saturate instead of wrapping into the past. */
Test(timers, no_overflow_near_the_end_of_time)
{
	struct xfr_timers t;
	struct xfr_soa s = soa(1, 3600, 600, 86400);
	int64_t end = INT64_MAX - 10;

	xfr_timers_init(&t, end);
	xfr_timers_refresh_begin(&t);
	cr_assert_eq(xfr_timers_refresh_ok(&t, &lim, &s, end, 0), 0);
	cr_assert_eq(t.next_refresh, INT64_MAX);
	cr_assert_eq(t.expire_at, INT64_MAX);
	xfr_timers_refresh_fail(&t, &lim, end, 0);
	cr_assert_eq(t.next_refresh, INT64_MAX);
	cr_assert_eq(t.state, XFR_ZONE_VALID);
	xfr_timers_restore(&t, &lim, &s, end, INT64_MAX, end, 0);
	cr_assert_eq(t.state, XFR_ZONE_VALID);
	cr_assert_eq(t.next_refresh, INT64_MAX);
}

/*
 * A day in the life, driven only by xfr_timers_next_wakeup: the primary
 * answers until T0 + 5000, is down until T0 + 100000, then back with a newer
 * serial.  The zone must expire exactly at its deadline and recover at the
 * first refresh after the primary returns; the loop is bounded.
 */
Test(timers, simulated_outage)
{
	struct xfr_timers t;
	const struct xfr_timers *set[] = { &t };
	uint32_t primary_serial = 10, rnd = 1;
	int64_t now = T0, expired_at = -1, recovered_at = -1, last_ok = -1;
	unsigned refreshes = 0, steps = 0;

	xfr_timers_init(&t, now);
	while (now < T0 + 200000 && steps++ < 10000) {
		unsigned what = xfr_timers_tick(&t, now);
		if (what & XFR_TIMERS_JUST_EXPIRED)
			expired_at = now;
		if (what & XFR_TIMERS_DO_REFRESH) {
			bool up = now < T0 + 5000 || now >= T0 + 100000;
			rnd = rnd * 1103515245u + 12345u;
			xfr_timers_refresh_begin(&t);
			refreshes++;
			if (now >= T0 + 100000)
				primary_serial = 11;
			if (up &&
			    xfr_timers_serial_verdict(&t, primary_serial) != XFR_SERIAL_OLDER) {
				struct xfr_soa s = soa(primary_serial, 1800, 300, 40000);
				bool was_expired = t.state == XFR_ZONE_EXPIRED;
				cr_assert_eq(xfr_timers_refresh_ok(&t, &lim, &s, now, rnd), 0);
				if (was_expired && recovered_at < 0)
					recovered_at = now;
				if (now < T0 + 100000)
					last_ok = now;
			} else {
				xfr_timers_refresh_fail(&t, &lim, now, rnd);
			}
		}
		int64_t next = xfr_timers_next_wakeup(set, 1, NULL);
		cr_assert_gt(next, now, "the wake-up must move forward (at %" PRId64 ")", now - T0);
		now = next;
	}
	cr_assert_lt(steps, 10000);
	/* Expired exactly 40000 s after the last success before the outage. */
	cr_assert_leq(last_ok, T0 + 5000);
	cr_assert_geq(last_ok, T0 + 5000 - 1800);
	cr_assert_eq(expired_at, last_ok + 40000);
	/* Retries every 270..300 s while down: back within 300 s of T0 + 100000. */
	cr_assert_geq(recovered_at, T0 + 100000);
	cr_assert_leq(recovered_at, T0 + 100300);
	cr_assert_eq(t.serial, 11);
	cr_assert_eq(t.state, XFR_ZONE_VALID);
	/* ~3 refreshes before the outage, ~330 retries during it, ~55 after. */
	cr_assert(refreshes > 300 && refreshes < 500, "%u refreshes", refreshes);
}
