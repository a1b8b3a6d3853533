/* SPDX-License-Identifier: BSD-3-Clause */
#include "xfr/timers.h"

#include <assert.h>
#include <limits.h>

#include "dns/errcode.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "dns/serial.h"
#include "dns/wire.h"
#include "zone/contents.h"

/* now + d without overflow: a caller's absurd "now" must not wrap a deadline into the past. */
static int64_t add_sat(int64_t now, uint32_t d)
{
	return now > INT64_MAX - (int64_t)d ? INT64_MAX : now + (int64_t)d;
}

void xfr_timer_limits_default(struct xfr_timer_limits *l)
{
	l->refresh_min = XFR_TIMERS_REFRESH_FLOOR;
	l->refresh_max = 86400;
	l->retry_min = XFR_TIMERS_RETRY_FLOOR;
	l->retry_max = 86400;
	l->expire_min = XFR_TIMERS_EXPIRE_FLOOR;
	l->expire_max = XFR_TIMERS_BOUND_MAX;
}

static bool pair_ok(uint32_t min, uint32_t max, uint32_t floor)
{
	return min >= floor && min <= max && max <= XFR_TIMERS_BOUND_MAX;
}

int xfr_timer_limits_check(const struct xfr_timer_limits *l)
{
	if (!l || !pair_ok(l->refresh_min, l->refresh_max, XFR_TIMERS_REFRESH_FLOOR) ||
	    !pair_ok(l->retry_min, l->retry_max, XFR_TIMERS_RETRY_FLOOR) ||
	    !pair_ok(l->expire_min, l->expire_max, XFR_TIMERS_EXPIRE_FLOOR))
		return DP_ERANGE;
	return 0;
}

uint32_t xfr_timers_clamp(uint32_t v, uint32_t min, uint32_t max)
{
	assert(min <= max);
	return v < min ? min : v > max ? max : v;
}

uint32_t xfr_timers_jitter(uint32_t interval, uint32_t floor, uint32_t rnd)
{
	uint64_t span = (uint64_t)interval * XFR_TIMERS_JITTER_PCT / 100;
	/* (span + 1) * rnd / 2^32 runs over 0..span inclusive as rnd runs over 0..UINT32_MAX. */
	uint32_t d = (uint32_t)(((span + 1) * rnd) >> 32);
	uint32_t v = interval - d;

	if (v < floor)
		v = floor < interval ? floor : interval;
	return v;
}

int xfr_soa_parse(const uint8_t *rdata, size_t len, struct xfr_soa *out)
{
	uint8_t name[DNS_NAME_MAXLEN];
	struct dns_rd r;
	int rc;

	dns_rd_init(&r, rdata, len);
	rc = dns_name_parse_plain(&r, name); /* MNAME */
	if (rc < 0)
		return rc;
	rc = dns_name_parse_plain(&r, name); /* RNAME */
	if (rc < 0)
		return rc;
	out->serial = dns_rd_u32(&r);
	out->refresh = dns_rd_u32(&r);
	out->retry = dns_rd_u32(&r);
	out->expire = dns_rd_u32(&r);
	out->minimum = dns_rd_u32(&r);
	if (r.err)
		return r.err;
	return dns_rd_left(&r) ? DP_EMALF : 0;
}

int xfr_soa_from_zone(const struct zone_contents *z, struct xfr_soa *out)
{
	const struct zone_node *apex = z ? zone_contents_apex(z) : NULL;
	const struct zone_rrset *soa = apex ? zone_node_rrset(apex, DNS_T_SOA) : NULL;

	if (!soa || soa->count == 0)
		return DP_ENOENT;
	if (soa->count > 1)
		return DP_EZONE;
	return xfr_soa_parse(zone_rr_data(soa->rdata), zone_rr_len(soa->rdata), out);
}

/* Takes the served SOA's serial and timers, clamped. */
static void take_soa(struct xfr_timers *t, const struct xfr_timer_limits *l,
		     const struct xfr_soa *soa)
{
	t->serial = soa->serial;
	t->refresh = xfr_timers_clamp(soa->refresh, l->refresh_min, l->refresh_max);
	t->retry = xfr_timers_clamp(soa->retry, l->retry_min, l->retry_max);
	t->expire = xfr_timers_clamp(soa->expire, l->expire_min, l->expire_max);
}

void xfr_timers_init(struct xfr_timers *t, int64_t now)
{
	*t = (struct xfr_timers){ .state = XFR_ZONE_EMPTY, .next_refresh = now };
}

void xfr_timers_restore(struct xfr_timers *t, const struct xfr_timer_limits *l,
			const struct xfr_soa *soa, int64_t last_refresh, int64_t expire_at,
			int64_t now, uint32_t rnd)
{
	int64_t latest;

	*t = (struct xfr_timers){ .last_refresh = last_refresh };
	take_soa(t, l, soa);
	latest = add_sat(now, t->expire);
	t->expire_at = expire_at < latest ? expire_at : latest;
	t->state = now >= t->expire_at ? XFR_ZONE_EXPIRED : XFR_ZONE_VALID;
	t->next_refresh = add_sat(last_refresh, xfr_timers_jitter(t->refresh, l->refresh_min, rnd));
	if (t->next_refresh < now || last_refresh > now)
		t->next_refresh = now;
}

unsigned xfr_timers_tick(struct xfr_timers *t, int64_t now)
{
	unsigned what = 0;

	if (t->state == XFR_ZONE_VALID && now >= t->expire_at) {
		t->state = XFR_ZONE_EXPIRED;
		what |= XFR_TIMERS_JUST_EXPIRED;
	}
	if (!t->running && now >= t->next_refresh)
		what |= XFR_TIMERS_DO_REFRESH;
	return what;
}

void xfr_timers_refresh_begin(struct xfr_timers *t)
{
	t->running = true;
	t->notified = false;
}

enum xfr_serial_verdict xfr_timers_serial_verdict(const struct xfr_timers *t, uint32_t remote)
{
	if (t->state == XFR_ZONE_EMPTY)
		return XFR_SERIAL_NEWER;
	switch (dns_serial_cmp(remote, t->serial)) {
	case DNS_SERIAL_GT: return XFR_SERIAL_NEWER;
	case DNS_SERIAL_EQ: return XFR_SERIAL_SAME;
	default: return XFR_SERIAL_OLDER; /* LT, or UNDEF: not provably newer (as BIND) */
	}
}

/* A NOTIFY that came during the refresh asks for another one at once. */
static void end_refresh(struct xfr_timers *t, int64_t now)
{
	t->running = false;
	if (t->notified) {
		t->notified = false;
		t->next_refresh = now;
	}
}

void xfr_timers_refresh_fail(struct xfr_timers *t, const struct xfr_timer_limits *l, int64_t now,
			     uint32_t rnd)
{
	uint32_t wait;

	if (t->state == XFR_ZONE_EMPTY) {
		/* Bootstrap: there is no SOA to take a retry from; back off exponentially. */
		uint32_t b = XFR_TIMERS_BOOTSTRAP_FIRST;
		for (unsigned i = 0; i < t->failures && b < XFR_TIMERS_BOOTSTRAP_MAX; i++)
			b *= 2;
		if (b > XFR_TIMERS_BOOTSTRAP_MAX)
			b = XFR_TIMERS_BOOTSTRAP_MAX;
		wait = xfr_timers_clamp(b, l->retry_min, l->retry_max);
	} else {
		wait = t->retry;
	}
	if (t->failures < UINT_MAX)
		t->failures++;
	t->next_refresh = add_sat(now, xfr_timers_jitter(wait, l->retry_min, rnd));
	end_refresh(t, now);
}

int xfr_timers_refresh_ok(struct xfr_timers *t, const struct xfr_timer_limits *l,
			  const struct xfr_soa *soa, int64_t now, uint32_t rnd)
{
	if (t->state != XFR_ZONE_EMPTY) {
		enum dns_serial_order o = dns_serial_cmp(soa->serial, t->serial);
		if (o == DNS_SERIAL_LT || o == DNS_SERIAL_UNDEF) {
			xfr_timers_refresh_fail(t, l, now, rnd);
			return DP_EXFR_OLD;
		}
	}
	take_soa(t, l, soa);
	t->state = XFR_ZONE_VALID;
	t->failures = 0;
	t->last_refresh = now;
	t->expire_at = add_sat(now, t->expire);
	t->next_refresh = add_sat(now, xfr_timers_jitter(t->refresh, l->refresh_min, rnd));
	end_refresh(t, now);
	return 0;
}

bool xfr_timers_notify(struct xfr_timers *t, int64_t now)
{
	if (t->running) {
		t->notified = true;
		return false;
	}
	if (t->next_refresh > now)
		t->next_refresh = now;
	return true;
}

int64_t xfr_timers_next(const struct xfr_timers *t)
{
	int64_t next = t->running ? INT64_MAX : t->next_refresh;

	if (t->state == XFR_ZONE_VALID && t->expire_at < next)
		next = t->expire_at;
	return next;
}

int64_t xfr_timers_next_wakeup(const struct xfr_timers *const *zones, size_t n, size_t *which)
{
	int64_t best = INT64_MAX;
	size_t at = n;

	for (size_t i = 0; zones && i < n; i++) {
		if (!zones[i])
			continue;
		int64_t t = xfr_timers_next(zones[i]);
		if (t < best) {
			best = t;
			at = i;
		}
	}
	if (which)
		*which = at;
	return best;
}
