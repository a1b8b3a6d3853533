/* SPDX-License-Identifier: BSD-3-Clause */
/* Every line of the zone manager is of the zone category (log section of doc/config.md). */
#define DD_LOG_CATEGORY DD_LOG_ZONE
#include "daemon/zonemgr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "conf/diff.h"
#include "daemon/log.h"
#include "dns/errcode.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "dns/serial.h"
#include "dns/wire.h"
#include "xfr/apply.h"
#include "xfr/persist.h"
#include "xfr/timers.h"
#include "xfr/tsig.h"
#include "xfr/xfr_uv.h"
#include "zone/dump.h"
#include "zone/load.h"
#include "slowpath/json.h"

#define NOTIFY_ADDRS_MAX 16
#define NOTIFY_LOG_INTERVAL 10 /* seconds between "NOTIFY refused" lines */

/*
 * The keys and remotes of one configuration in the transfer client's form.
 * Reference counted: the zones configured with them hold one reference, and
 * so does every transfer running with them, because a transfer borrows its
 * primaries' addresses and keys until it ends, which may be after a reload
 * has replaced them.  Loop thread only.
 */
struct dd_peers {
	unsigned refs;
	struct xfr_tsig_key *keys;     /* conf->keys, same order */
	unsigned nkeys;
	struct xfr_remote *remotes;    /* conf->remotes, same order */
	char **ids;		       /* the remotes' ids (copies: the conf may go first) */
	unsigned nremotes;
	struct sockaddr_storage *addrs; /* every remote's addresses, one array */
};

/*
 * One configured zone.  Its identity is its name: a reload that keeps the
 * name keeps the struct (and its timers, serial and counters), unless the
 * zone turns from static to secondary or back.  Heap-allocated, so transfers
 * and thread-pool jobs can point at it while the zone array is replaced; a
 * zone removed by a reload is marked removed and freed when the last of
 * those (refs) returns.
 */
struct dd_zone {
	struct dd_zonemgr *m;
	const struct conf_zone *cz; /* in m->conf; not to be read once removed */
	char *domain;		    /* text, a copy (thread-pool jobs and removed zones read it) */
	uint8_t origin[DNS_NAME_MAXLEN]; /* wire, a copy, likewise */
	unsigned refs;		    /* the transfer and thread-pool jobs pointing here */
	bool removed;		    /* no longer configured; freed when refs drops to 0 */
	struct zone_snap *snap; /* served data (a reference), or NULL */
	struct zone_snap *placeholder; /* in tables while a secondary has no data: SERVFAIL */
	bool secondary;
	bool expired;
	struct xfr_timer_limits lim;
	struct xfr_timers t;
	struct dd_peers *peers;	    /* the keys and remotes the zone's primaries point into */
	struct xfr_remote *remotes; /* the zone's primaries, in order */
	unsigned nremotes;
	struct xfr_uv *xfr;	    /* the refresh running, or NULL */
	struct dd_peers *run_peers; /* what the running refresh borrows */
	struct xfr_remote *run_remotes;
	bool working;		    /* a job (apply, build) is in the thread pool */
	bool preparing;		    /* the version served waits for its prepared answers */
	bool want_axfr;		    /* the next transfer is an AXFR (an IXFR did not apply) */
	/* A verified NOTIFY announced this serial (its answer's SOA), from remotes[hint_remote]
	 * (-1: from an acl's address): the next refresh, if the serial is still newer than ours,
	 * asks that primary first and goes straight to IXFR (no SOA query). */
	bool hint_valid;
	uint32_t hint_serial;
	int hint_remote;
	char last_error[512];	    /* the last failure logged (repeats are not) */
	struct xfr_persist_state pst; /* what rundir holds for the zone, when pst_valid */
	bool pst_valid;
	/* For zone-status. */
	int64_t last_attempt;	  /* when the last refresh ended; 0: none yet */
	int last_rc;		  /* its result (0: success) */
	enum xfr_kind last_kind;  /* what the last successful refresh did */
	char last_primary[64];	  /* who answered it */
	bool primary_serial_known;
	uint32_t primary_serial;  /* the serial the primary last reported */
	uint64_t transfers, transfer_failures;
	uint32_t stat_id;	  /* query counter slot (stat_id_of) */
	/* Transfers by kind (DD_XFR_AXFR, DD_XFR_IXFR) and result (DD_XFR_OK, DD_XFR_FAILED). */
	enum dd_xfr_kind attempt; /* what the running refresh would transfer */
	uint64_t xfr_count[DD_XFR_KINDS][DD_XFR_RESULTS];
	double xfr_seconds[DD_XFR_KINDS]; /* durations of the successful ones, summed */
	bool have_last_xfr;
	enum dd_xfr_kind last_xfr_kind; /* the last transfer applied */
	uint64_t last_xfr_ms;
	size_t last_xfr_records, last_xfr_bytes;
};

/*
 * Configurations: boot is the caller's (dpdnsd's -c file as loaded at
 * start), read for what cannot change at run time (dataplane addresses,
 * rundir); conf is the one the zones run with: boot until the first
 * successful reload, then a reloaded one that the manager owns (owned) and
 * frees when the next reload succeeds, once every zone points into its
 * successor.
 */
struct dd_zonemgr {
	const struct conf *boot;
	const struct conf *conf;
	struct conf *owned;
	char *rundir; /* boot->server.rundir, a copy for the thread pool */
	struct dd_zone **zones; /* in conf->zones order: zones[i]->cz == &conf->zones[i] */
	unsigned nzones;
	struct dd_peers *peers; /* conf's keys and remotes */
	uv_loop_t *loop;
	uv_timer_t timer;
	bool timer_open;
	uv_udp_t udp[NOTIFY_ADDRS_MAX];
	unsigned nudp;
	bool notify_started;
	bool reloading;
	dd_publish_fn publish;
	void *publish_ctx;
	bool stopping;
	unsigned jobs; /* in the thread pool */
	uint64_t notify_refused;
	int64_t notify_logged_at;
	uint8_t *stat_names[ZONE_STAT_IDS]; /* the origin each query counter slot was given to */
	uint32_t nstat;
	uint8_t udp_buf[65535];
};

static uint32_t rnd32(void)
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)time(NULL) * 2654435761u;
	return r;
}

/* The same clock as arm()'s (time(2) may read a coarser one that lags it). */
static int64_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/*
 * The current second rounded up: the base of the next retry, so that at
 * least the whole interval passes (timers fire at the start of the second
 * they name; from a truncated now a 3 s retry could come after 2 s).  Not
 * for the time of a successful refresh, which zone-status shows as an age.
 */
static int64_t now_s_up(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec + (ts.tv_nsec > 0);
}

/* ---- setup ---- */

/*
 * The query counter slot (zone_snap.stat_id) of the zone origin: the one
 * given to that name before, else the next unused one; ZONE_STAT_ID_NONE
 * (counted in the shared "other" slot) once ZONE_STAT_IDS names have one,
 * or without memory.  Slots are never given to another name in the
 * process's life: the workers' counters cannot be reset from here, and a
 * Prometheus counter must not go backwards, so a zone that is removed and
 * added again (configuration reload) continues its own count.  Every
 * place that creates a struct dd_zone (start, reload) takes its id from
 * here.  Loop thread (or the main thread before the loop runs).
 */
static uint32_t stat_id_of(struct dd_zonemgr *m, const uint8_t *origin)
{
	for (uint32_t i = 0; i < m->nstat; i++)
		if (dns_name_eq(m->stat_names[i], origin))
			return i;
	if (m->nstat == ZONE_STAT_IDS)
		return ZONE_STAT_ID_NONE;
	size_t len = dns_name_len(origin);
	uint8_t *copy = malloc(len);
	if (!copy)
		return ZONE_STAT_ID_NONE;
	memcpy(copy, origin, len);
	m->stat_names[m->nstat] = copy;
	return m->nstat++;
}

static const char *const xfr_kind_names[DD_XFR_KINDS] = {"axfr", "ixfr"};
static const char *const xfr_result_names[DD_XFR_RESULTS] = {"ok", "failed"};

/* The kind a transfer counts under: AXFR-style answers to an IXFR are AXFRs. */
static enum dd_xfr_kind xfr_kind_of(enum xfr_kind k)
{
	return k == XFR_KIND_IXFR ? DD_XFR_IXFR : DD_XFR_AXFR;
}

static void to_sockaddr(const struct conf_sockaddr *c, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (c->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(c->port);
		memcpy(&in->sin_addr, c->addr, 4);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(c->port);
		memcpy(&in6->sin6_addr, c->addr, 16);
	}
}

static void limits_of(const struct conf_zone *cz, struct xfr_timer_limits *l)
{
	l->refresh_min = cz->refresh_min;
	l->refresh_max = cz->refresh_max;
	l->retry_min = cz->retry_min;
	l->retry_max = cz->retry_max;
	l->expire_min = cz->expire_min;
	l->expire_max = cz->expire_max;
}

static void peers_unref(struct dd_peers *p)
{
	if (!p || --p->refs > 0)
		return;
	for (unsigned i = 0; p->keys && i < p->nkeys; i++)
		xfr_tsig_key_deinit(&p->keys[i]);
	for (unsigned i = 0; p->ids && i < p->nremotes; i++)
		free(p->ids[i]);
	free(p->keys);
	free(p->remotes);
	free(p->ids);
	free(p->addrs);
	free(p);
}

static struct dd_peers *peers_ref(struct dd_peers *p)
{
	p->refs++;
	return p;
}

/* c's keys and remotes (one reference), or NULL with the reason in err. */
static struct dd_peers *peers_new(const struct conf *c, char *err, size_t errlen)
{
	struct dd_peers *p = calloc(1, sizeof(*p));
	if (!p)
		goto nomem;
	p->refs = 1;
	p->nkeys = c->nkeys;
	p->nremotes = c->nremotes;
	p->keys = calloc(c->nkeys ? c->nkeys : 1, sizeof(*p->keys));
	p->remotes = calloc(c->nremotes ? c->nremotes : 1, sizeof(*p->remotes));
	p->ids = calloc(c->nremotes ? c->nremotes : 1, sizeof(*p->ids));
	size_t naddr = 0;
	for (unsigned i = 0; i < c->nremotes; i++)
		naddr += c->remotes[i].naddrs;
	p->addrs = calloc(naddr ? naddr : 1, sizeof(*p->addrs));
	if (!p->keys || !p->remotes || !p->ids || !p->addrs)
		goto nomem;
	for (unsigned i = 0; i < c->nkeys; i++) {
		const struct conf_key *k = &c->keys[i];
		int rc = xfr_tsig_key_init(&p->keys[i], k->id, k->algorithm, k->secret);
		if (rc < 0) {
			snprintf(err, errlen, "%s:%d: key %s: %s", c->path, k->line, k->id,
				 xfr_tsig_strerror(rc));
			goto fail;
		}
	}
	naddr = 0;
	for (unsigned i = 0; i < c->nremotes; i++) {
		const struct conf_remote *r = &c->remotes[i];
		p->ids[i] = strdup(r->id);
		if (!p->ids[i])
			goto nomem;
		p->remotes[i].id = p->ids[i];
		p->remotes[i].addrs = &p->addrs[naddr];
		p->remotes[i].naddrs = r->naddrs;
		p->remotes[i].key = r->key ? &p->keys[r->key - c->keys] : NULL;
		for (unsigned k = 0; k < r->naddrs; k++)
			to_sockaddr(&r->addrs[k], &p->addrs[naddr++]);
	}
	return p;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	peers_unref(p);
	return NULL;
}

/*
 * Points z's primaries at p, the peers of c (the configuration z->cz belongs
 * to).  Returns 0 or DP_ENOMEM (z unchanged).
 */
static int zone_set_peers(struct dd_zone *z, const struct conf *c, struct dd_peers *p)
{
	const struct conf_zone *cz = z->cz;
	struct xfr_remote *r = NULL;
	if (cz->nprimaries) {
		r = calloc(cz->nprimaries, sizeof(*r));
		if (!r)
			return DP_ENOMEM;
		for (unsigned k = 0; k < cz->nprimaries; k++)
			r[k] = p->remotes[cz->primaries[k] - c->remotes];
	}
	free(z->remotes);
	z->remotes = r;
	z->nremotes = cz->nprimaries;
	z->hint_valid = false; /* its remote index pointed into the old list */
	peers_unref(z->peers);
	z->peers = cz->nprimaries ? peers_ref(p) : NULL;
	return 0;
}

static void zone_free(struct dd_zone *z)
{
	if (!z)
		return;
	zone_snap_free(z->snap);
	zone_snap_free(z->placeholder);
	free(z->remotes);
	peers_unref(z->peers);
	free(z->domain);
	free(z);
}

/* A removed zone goes once nothing points at it any more. */
static void zone_release(struct dd_zone *z)
{
	if (z->removed && z->refs == 0)
		zone_free(z);
}

/* A new zone for cz (of configuration c with peers p), no data yet; NULL when out of memory. */
static struct dd_zone *zone_new(struct dd_zonemgr *m, const struct conf *c,
				const struct conf_zone *cz, struct dd_peers *p)
{
	struct dd_zone *z = calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	z->m = m;
	z->cz = cz;
	z->domain = strdup(cz->domain);
	memcpy(z->origin, cz->origin, cz->origin_len);
	z->stat_id = stat_id_of(m, z->origin);
	limits_of(cz, &z->lim);
	z->secondary = cz->nprimaries > 0;
	if (!z->domain || zone_set_peers(z, c, p) < 0) {
		zone_free(z);
		return NULL;
	}
	return z;
}

static void diag_log(void *ctx, enum zone_diag_level level, const char *line)
{
	(void)ctx;
	dd_log(level == ZONE_DIAG_ERROR ? DD_LOG_ERR : DD_LOG_WARN, "%s", line);
}

/* cz's file as a snapshot, or NULL with the reason in err.  Any thread. */
static struct zone_snap *load_file(const struct conf_zone *cz, char *err, size_t errlen)
{
	struct zone_diag d;
	zone_diag_init(&d, diag_log, NULL);
	struct zone_contents *zc = zone_load_file(cz->file, cz->domain, &d);
	if (!zc) {
		snprintf(err, errlen, "zone %s: %s not loaded (%lu errors)", cz->domain, cz->file,
			 d.errors);
		return NULL;
	}
	struct zone_snap *s = zone_snap_build(zc);
	if (!s)
		snprintf(err, errlen, "zone %s: out of memory building its snapshot", cz->domain);
	return s;
}

/*
 * A secondary zone's starting point: its persisted copy, else its file, else
 * nothing.  Reads only z (not yet in the manager's array) and m->rundir:
 * any thread.
 */
static int start_secondary(struct dd_zonemgr *m, struct dd_zone *z, char *err, size_t errlen)
{
	const struct conf_zone *cz = z->cz;
	struct xfr_persist_state st;
	struct zone_contents *data = NULL;
	char perr[512] = "";
	int64_t now = now_s();
	int rc = xfr_persist_load(m->rundir, z->origin, &st, &data, perr, sizeof(perr));
	if (rc == 0) {
		struct xfr_soa soa;
		z->snap = zone_snap_build(data);
		if (!z->snap) {
			snprintf(err, errlen, "zone %s: out of memory", z->domain);
			return DP_ENOMEM;
		}
		if (xfr_soa_from_zone(z->snap->z, &soa) < 0) {
			zone_snap_free(z->snap);
			z->snap = NULL;
			xfr_timers_init(&z->t, now);
			return 0;
		}
		xfr_timers_restore(&z->t, &z->lim, &soa, st.last_refresh, st.expire_at, now, rnd32());
		z->pst = st;
		z->pst_valid = true;
		z->expired = z->t.state == XFR_ZONE_EXPIRED;
		dd_log(DD_LOG_INFO, "zone %s: serial %u from %s (persisted, last refresh %lld s ago%s)",
		       z->domain, soa.serial, m->rundir, (long long)(now - st.last_refresh),
		       z->expired ? ", expired" : "");
		return 0;
	}
	if (rc != DP_ENOENT)
		dd_log(DD_LOG_WARN, "zone %s: persisted copy not used: %s", z->domain, perr);
	xfr_timers_init(&z->t, now);
	if (cz->file) {
		z->snap = load_file(cz, err, errlen);
		if (!z->snap)
			return DP_EZONE;
		struct xfr_soa soa;
		if (xfr_soa_from_zone(z->snap->z, &soa) == 0) {
			/* Served until its own expire runs out; refreshed at once. */
			xfr_timers_restore(&z->t, &z->lim, &soa, now, now + soa.expire, now, 0);
			z->t.next_refresh = now;
		}
		dd_log(DD_LOG_INFO, "zone %s: serial %u from %s until the first transfer", z->domain,
		       z->snap->serial, cz->file);
	} else {
		dd_log(DD_LOG_INFO, "zone %s: no data yet, transferring", z->domain);
	}
	return 0;
}

/* A new zone's data: its file (static) or start_secondary.  Any thread, as start_secondary. */
static int zone_load(struct dd_zonemgr *m, struct dd_zone *z, char *err, size_t errlen)
{
	if (z->secondary)
		return start_secondary(m, z, err, errlen);
	z->snap = load_file(z->cz, err, errlen);
	if (!z->snap)
		return DP_EZONE;
	dd_log(DD_LOG_INFO, "zone %s: serial %u from %s", z->domain, z->snap->serial, z->cz->file);
	return 0;
}

struct dd_zonemgr *dd_zonemgr_new(const struct conf *c, char *err, size_t errlen)
{
	struct dd_zonemgr *m = calloc(1, sizeof(*m));
	if (!m)
		goto nomem;
	m->boot = c;
	m->conf = c;
	m->rundir = strdup(c->server.rundir);
	m->zones = calloc(c->nzones ? c->nzones : 1, sizeof(*m->zones));
	if (!m->rundir || !m->zones)
		goto nomem;
	m->peers = peers_new(c, err, errlen);
	if (!m->peers)
		goto fail;
	if (mkdir(c->server.rundir, 0750) < 0 && errno != EEXIST)
		dd_log(DD_LOG_WARN, "rundir %s: %s", c->server.rundir, strerror(errno));
	for (unsigned i = 0; i < c->nzones; i++) {
		struct dd_zone *z = zone_new(m, c, &c->zones[i], m->peers);
		if (!z)
			goto nomem;
		m->zones[m->nzones++] = z;
		if (zone_load(m, z, err, errlen) < 0)
			goto fail;
	}
	return m;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	dd_zonemgr_free(m);
	return NULL;
}

struct zone_table *dd_zonemgr_table(struct dd_zonemgr *m)
{
	struct zone_snap **snaps = calloc(m->nzones ? m->nzones : 1, sizeof(*snaps));
	bool *expired = calloc(m->nzones ? m->nzones : 1, sizeof(*expired));
	uint32_t n = 0;
	if (!snaps || !expired) {
		free(snaps);
		free(expired);
		return NULL;
	}
	for (unsigned i = 0; i < m->nzones; i++) {
		struct dd_zone *z = m->zones[i];
		if (!z->snap && z->secondary) {
			/* Configured, no data yet: SERVFAIL, as Knot and NSD answer. */
			if (!z->placeholder)
				z->placeholder = zone_snap_placeholder(z->origin);
			if (z->placeholder) {
				/* Set before its first publication; equal (not written) after. */
				if (z->placeholder->stat_id != z->stat_id)
					z->placeholder->stat_id = z->stat_id;
				expired[n] = true;
				snaps[n++] = zone_snap_ref(z->placeholder);
			}
			continue;
		}
		if (!z->snap)
			continue;
		if (z->snap->stat_id != z->stat_id)
			z->snap->stat_id = z->stat_id;
		expired[n] = z->expired;
		snaps[n++] = zone_snap_ref(z->snap);
	}
	struct zone_table *t = zone_table_new(snaps, n); /* drops the references if it fails */
	free(snaps);
	if (t)
		for (uint32_t i = 0; i < n; i++)
			if (expired[i])
				zone_table_set_expired(t, i, true);
	free(expired);
	return t;
}

static void publish(struct dd_zonemgr *m)
{
	struct zone_table *t = dd_zonemgr_table(m);
	if (!t) {
		dd_log(DD_LOG_ERR, "out of memory building a zone table; serving the previous one");
		return;
	}
	m->publish(m->publish_ctx, t);
}

/* ---- refresh ---- */

static void arm(struct dd_zonemgr *m);
static void start_refresh(struct dd_zone *z);

/* A failure, logged unless it repeats the previous one word for word. */
static void refresh_failed(struct dd_zone *z, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void refresh_failed(struct dd_zone *z, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(msg, z->last_error) != 0)
		dd_log(DD_LOG_WARN, "zone %s: refresh failed: %s", z->domain, msg);
	z->last_attempt = now_s();
	z->last_rc = DP_EIO;
	z->transfer_failures++;
	z->xfr_count[z->attempt][DD_XFR_FAILED]++;
	snprintf(z->last_error, sizeof(z->last_error), "%s", msg);
	xfr_timers_refresh_fail(&z->t, &z->lim, now_s_up(), rnd32());
}

static void refresh_succeeded(struct dd_zone *z, const char *primary)
{
	struct xfr_soa soa;
	if (!z->snap || xfr_soa_from_zone(z->snap->z, &soa) < 0) {
		refresh_failed(z, "no SOA in the data served");
		return;
	}
	if (xfr_timers_refresh_ok(&z->t, &z->lim, &soa, now_s(), rnd32()) < 0) {
		refresh_failed(z, "serial %u is behind ours", soa.serial);
		return;
	}
	z->last_error[0] = '\0';
	z->last_attempt = now_s();
	z->last_rc = 0;
	snprintf(z->last_primary, sizeof(z->last_primary), "%s", primary);
	if (z->expired) {
		z->expired = false;
		dd_log(DD_LOG_INFO, "zone %s: no longer expired", z->domain);
		publish(z->m);
	}
	/* The timers file follows every success, so a restart continues the expire clock. */
	if (z->pst_valid && z->pst.serial == soa.serial) {
		char perr[512];
		z->pst.last_refresh = z->t.last_refresh;
		z->pst.expire_at = z->t.expire_at;
		snprintf(z->pst.primary, sizeof(z->pst.primary), "%s", primary);
		if (xfr_persist_save_timers(z->m->rundir, z->origin, &z->pst, perr,
					    sizeof(perr)) < 0)
			dd_log(DD_LOG_WARN, "zone %s: %s", z->domain, perr);
	}
}

/* What the thread pool does with a transfer: apply, build, persist. */
struct job {
	uv_work_t req;
	struct dd_zone *z;
	struct zone_snap *base;		/* the version an IXFR applies to (a reference) */
	struct zone_contents *axfr;	/* AXFR: the new version */
	struct xfr_changeset *cs;	/* IXFR: the changesets */
	enum xfr_kind kind;
	struct xfr_timer_limits lim; /* the zone's, when queued (a reload may change them) */
	char primary[64];
	size_t records, bytes;
	uint64_t xfr_ms;
	struct zone_snap *out;
	int rc;
	bool ixfr_inconsistent;
	bool incremental;		/* the IXFR's version was derived, not built afresh */
	bool staged;			/* out is a first stage: its answers are prepared next */
	struct zone_snap *prepared;	/* the second stage of out (zone_snap_prepare_copy) */
	char err[512];
	char persist_err[512];
	struct xfr_persist_state st; /* what was persisted (persisted) */
	bool persisted;
	struct timespec t0, t1, t2;
};

/*
 * A full build of a zone this large is served in two stages: the name index
 * first (about a fifth of the build), answered by the reference resolver,
 * then the version with prepared answers, made in the thread pool while the
 * first is served (see zone_snap_build_index).  A smaller zone is built
 * whole: its build takes a few tens of milliseconds at most.
 */
#define STAGED_MIN_RECORDS 20000u

/*
 * An IXFR of at most this many records (in the stream) is applied on the
 * slow-path loop itself instead of the thread pool: a 1-record change to the
 * 1M-name zone takes about 0.6 ms of apply and snapshot work (BENCHMARKS.md),
 * less than the two thread wake-ups it saves on a busy machine.
 */
#define IXFR_INLINE_RECORDS 1000u

static void job_diag(void *ctx, enum zone_diag_level level, const char *line)
{
	struct job *j = ctx;
	if (level == ZONE_DIAG_ERROR && !j->err[0])
		snprintf(j->err, sizeof(j->err), "%s", line);
}

/*
 * An IXFR's apply: the new version shares with the one served all that the
 * difference does not touch; only the changed names are checked, and only
 * their hot blocks (and those of the names whose answers read them) are
 * built again.  Sets j->out (derived) or *nz (a new contents to build
 * afresh: the line of versions holds too much garbage, or the change needs
 * it), or j->rc < 0.  Any thread.
 */
static void job_ixfr(struct job *j, struct zone_contents **nz)
{
	struct zone_diag d;
	struct zone_changes chg;
	zone_diag_init(&d, job_diag, j);
	char name[300];
	snprintf(name, sizeof(name), "zone %s from %s", j->z->domain, j->primary);
	j->rc = xfr_apply_changes(j->base->z, j->cs, name, &d, nz, &chg);
	if (j->rc < 0) {
		j->ixfr_inconsistent = true;
		if (!j->err[0])
			snprintf(j->err, sizeof(j->err), "IXFR does not apply: %s",
				 dp_strerror(j->rc));
		return;
	}
	int err = 0;
	if (!chg.full)
		j->out = zone_snap_update(j->base, *nz, &chg, &err);
	zone_changes_free(&chg);
	j->incremental = j->out != NULL;
	if (j->out) {
		*nz = NULL; /* the new version's now */
		clock_gettime(CLOCK_MONOTONIC, &j->t1);
	}
}

static void job_work(uv_work_t *req)
{
	struct job *j = req->data;
	struct zone_contents *nz = j->axfr;
	j->axfr = NULL;
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	if (j->cs) {
		job_ixfr(j, &nz);
		if (j->rc < 0 || j->out)
			return;
	}
	if (nz && nz->record_count >= STAGED_MIN_RECORDS) {
		j->out = zone_snap_build_index(nz);
		/* A signed zone's DO answers write its DNSSEC state: prepared before it is served. */
		if (j->out && j->out->dnssec && zone_snap_prepare(j->out) < 0) {
			zone_snap_free(j->out);
			j->out = NULL;
		}
		j->staged = j->out && !j->out->hot_ready;
	} else {
		j->out = zone_snap_build(nz);
	}
	if (!j->out) {
		j->rc = DP_ENOMEM;
		snprintf(j->err, sizeof(j->err), "out of memory building the snapshot");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &j->t1);
	j->rc = 0;
}

/*
 * After the new version is served: written to rundir (seconds for a large
 * zone, so not on the way to serving it; after a crash in between, the older
 * copy on disk is served and refreshed at once).
 */
static void persist_work(uv_work_t *req)
{
	struct job *j = req->data;
	struct dd_zone *z = j->z;
	struct xfr_persist_state *st = &j->st;
	struct xfr_soa soa;
	int64_t now = now_s();
	if (xfr_soa_from_zone(j->out->z, &soa) == 0) {
		st->last_refresh = now;
		st->expire_at = now + xfr_timers_clamp(soa.expire, j->lim.expire_min, j->lim.expire_max);
	}
	snprintf(st->primary, sizeof(st->primary), "%s", j->primary);
	if (xfr_persist_save(z->m->rundir, z->origin, j->out->z, st,
			     j->persist_err, sizeof(j->persist_err)) < 0) {
		if (!j->persist_err[0])
			snprintf(j->persist_err, sizeof(j->persist_err), "not persisted");
	} else {
		j->persisted = true;
	}
}

static void persist_done(uv_work_t *req, int status)
{
	struct job *j = req->data;
	struct dd_zone *z = j->z;
	z->m->jobs--;
	z->refs--;
	if (status == 0 && !z->m->stopping && !z->removed) {
		if (j->persist_err[0])
			dd_log(DD_LOG_WARN, "zone %s: %s", z->domain, j->persist_err);
		/* Still the version served: rundir describes it now. */
		if (j->persisted && z->snap == j->out) {
			z->pst = j->st;
			z->pst_valid = true;
		}
	}
	zone_snap_free(j->out); /* the job's reference */
	free(j);
	zone_release(z);
}

/* Writes the version j made to rundir in the thread pool; frees j when it cannot. */
static void persist_queue(struct job *j)
{
	struct dd_zone *z = j->z;
	if (uv_queue_work(z->m->loop, &j->req, persist_work, persist_done) < 0) {
		dd_log(DD_LOG_WARN, "zone %s: not persisted (cannot queue)", z->domain);
		zone_snap_free(j->out);
		free(j);
		return;
	}
	z->m->jobs++;
	z->refs++;
}

static void prepare_work(uv_work_t *req);
static void prepare_done(uv_work_t *req, int status);

/* Milliseconds from a to b (CLOCK_MONOTONIC readings). */
static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/*
 * A build (or, preparing, a prepare) job of j's zone is queued or about to
 * run: the zone is busy until job_returned (no refresh starts meanwhile).
 */
static void job_started(struct job *j, bool preparing)
{
	struct dd_zone *z = j->z;
	z->m->jobs++;
	z->refs++;
	z->working = true;
	z->preparing = preparing;
}

/*
 * A build or prepare job of j's zone returned (status from libuv): the
 * zone's job bookkeeping undone (job_started's).  Returns true when its result is nobody's
 * (cancelled, stopping, or the zone removed by a reload meanwhile).
 */
static bool job_returned(struct job *j, int status)
{
	struct dd_zone *z = j->z;
	z->m->jobs--;
	z->refs--;
	z->working = false;
	z->preparing = false;
	return status < 0 || z->m->stopping || z->removed;
}

static void job_done(uv_work_t *req, int status)
{
	struct job *j = req->data;
	struct dd_zone *z = j->z;
	struct dd_zonemgr *m = z->m;
	bool gone = job_returned(j, status);
	zone_snap_free(j->base);
	zone_contents_free(j->axfr);
	xfr_changeset_list_free(j->cs);
	j->base = NULL;
	j->axfr = NULL;
	j->cs = NULL;
	if (gone) {
		/* Removed by a reload while it built: the version is nobody's now. */
		zone_snap_free(j->out);
		free(j);
		zone_release(z);
		return;
	}
	if (j->rc < 0) {
		if (j->ixfr_inconsistent) {
			dd_log(DD_LOG_WARN, "zone %s: %s; AXFR from %s", z->domain, j->err,
			       j->primary);
			z->want_axfr = true;
			z->xfr_count[DD_XFR_IXFR][DD_XFR_FAILED]++;
			xfr_timers_refresh_fail(&z->t, &z->lim, now_s(), 0);
			z->t.next_refresh = now_s(); /* at once */
		} else {
			refresh_failed(z, "%s (from %s)", j->err, j->primary);
		}
		free(j);
		arm(m);
		return;
	}
	uint32_t old = z->snap ? z->snap->serial : 0;
	bool had = z->snap != NULL;
	zone_snap_free(z->snap);
	z->snap = zone_snap_ref(j->out); /* the job keeps its reference for persisting */
	z->want_axfr = false;
	z->pst_valid = false;
	z->transfers++;
	enum dd_xfr_kind k = xfr_kind_of(j->kind);
	z->xfr_count[k][DD_XFR_OK]++;
	z->xfr_seconds[k] += (double)j->xfr_ms / 1e3;
	z->have_last_xfr = true;
	z->last_xfr_kind = k;
	z->last_xfr_ms = j->xfr_ms;
	z->last_xfr_records = j->records;
	z->last_xfr_bytes = j->bytes;
	publish(m);
	char from[32] = "";
	if (had)
		snprintf(from, sizeof(from), "%u -> ", old);
	dd_log(DD_LOG_INFO,
	       "zone %s: serial %s%u by %s from %s: %zu records, %zu bytes, transfer %llu ms, "
	       "build %.1f ms%s%s",
	       z->domain, from, z->snap->serial, xfr_kind_str(j->kind), j->primary, j->records,
	       j->bytes, (unsigned long long)j->xfr_ms, ms_between(&j->t0, &j->t1),
	       j->kind != XFR_KIND_IXFR ? "" : j->incremental ? " (incremental)" : " (afresh)",
	       j->staged ? " (index; answers being prepared)" : "");
	/* Served by the reference resolver until the second stage is published (the zone
	 * busy meanwhile: marked before the refresh timers are armed again). */
	bool preparing = j->staged &&
			 uv_queue_work(m->loop, &j->req, prepare_work, prepare_done) == 0;
	if (preparing)
		job_started(j, true);
	else if (j->staged)
		dd_log(DD_LOG_WARN,
		       "zone %s: answers not prepared (cannot queue); the reference resolver answers",
		       z->domain);
	refresh_succeeded(z, j->primary);
	arm(m);
	if (!preparing)
		persist_queue(j); /* after the second stage when there is one */
}

/* The second stage of a staged build (job_done queued it): prepared answers. */
static void prepare_work(uv_work_t *req)
{
	struct job *j = req->data;
	j->prepared = zone_snap_prepare_copy(j->out);
	clock_gettime(CLOCK_MONOTONIC, &j->t2);
}

static void prepare_done(uv_work_t *req, int status)
{
	struct job *j = req->data;
	struct dd_zone *z = j->z;
	struct dd_zonemgr *m = z->m;
	if (job_returned(j, status)) {
		zone_snap_free(j->prepared);
		zone_snap_free(j->out);
		free(j);
		zone_release(z);
		return;
	}
	if (!j->prepared) {
		dd_log(DD_LOG_WARN,
		       "zone %s: serial %u: answers not prepared (out of memory); the reference "
		       "resolver keeps answering",
		       z->domain, j->out->serial);
	} else {
		if (z->snap == j->out) {
			zone_snap_free(z->snap);
			z->snap = zone_snap_ref(j->prepared);
			publish(m);
			dd_log(DD_LOG_INFO, "zone %s: serial %u: answers prepared in %.1f ms",
			       z->domain, z->snap->serial, ms_between(&j->t1, &j->t2));
		}
		zone_snap_free(j->out);
		j->out = j->prepared;
		j->prepared = NULL;
	}
	arm(m);
	persist_queue(j);
}

static void on_xfr_done(void *arg, struct xfr_uv_result *res)
{
	struct dd_zone *z = arg;
	struct dd_zonemgr *m = z->m;
	z->xfr = NULL;
	z->refs--;
	free(z->run_remotes);
	peers_unref(z->run_peers);
	z->run_remotes = NULL;
	z->run_peers = NULL;
	if (z->removed) {
		/* Cancelled by the reload that removed the zone: whatever came is dropped. */
		zone_release(z);
		return;
	}
	if (m->stopping)
		return;
	if (res->ixfr_fallback[0])
		dd_log(DD_LOG_INFO, "zone %s: IXFR from %s failed (%s), AXFR used", z->domain,
		       res->primary, res->ixfr_fallback);
	if (res->rc == 0 || res->serial) {
		z->primary_serial_known = true;
		z->primary_serial = res->serial;
	}
	if (res->rc == 0)
		z->last_kind = res->kind;
	if (res->rc < 0) {
		refresh_failed(z, "%s", res->reason[0] ? res->reason : dp_strerror(res->rc));
		arm(m);
		return;
	}
	if (res->kind == XFR_KIND_UPTODATE) {
		if (z->snap && xfr_timers_serial_verdict(&z->t, res->serial) == XFR_SERIAL_OLDER) {
			refresh_failed(z, "%s has serial %u, behind ours (%u)", res->primary,
				       res->serial, z->snap->serial);
		} else {
			refresh_succeeded(z, res->primary);
		}
		arm(m);
		return;
	}
	struct job *j = calloc(1, sizeof(*j));
	if (!j) {
		refresh_failed(z, "out of memory");
		arm(m);
		return;
	}
	j->req.data = j;
	j->z = z;
	j->kind = res->kind;
	j->lim = z->lim;
	snprintf(j->primary, sizeof(j->primary), "%s", res->primary);
	j->records = res->records;
	j->bytes = res->bytes;
	j->xfr_ms = res->duration_ms;
	if (res->kind == XFR_KIND_IXFR) {
		j->cs = res->changesets;
		res->changesets = NULL;
		j->base = z->snap ? zone_snap_ref(z->snap) : NULL;
		if (!j->base) {
			xfr_changeset_list_free(j->cs);
			free(j);
			refresh_failed(z, "IXFR without data to apply it to");
			arm(m);
			return;
		}
	} else {
		j->axfr = res->zone;
		res->zone = NULL;
	}
	job_started(j, false); /* job_done undoes it */
	if (j->cs && j->records <= IXFR_INLINE_RECORDS) {
		/* A small IXFR is applied here, on the loop: two thread hand-offs fewer between
		 * the transfer and the new answer.  Only a version built afresh goes to the pool. */
		struct zone_contents *nz = NULL;
		clock_gettime(CLOCK_MONOTONIC, &j->t0);
		job_ixfr(j, &nz);
		if (j->rc < 0 || j->out) {
			job_done(&j->req, 0);
			return;
		}
		xfr_changeset_list_free(j->cs);
		j->cs = NULL;
		j->axfr = nz;
	}
	if (uv_queue_work(m->loop, &j->req, job_work, job_done) < 0) {
		(void)job_returned(j, 0);
		zone_snap_free(j->base);
		zone_contents_free(j->axfr);
		xfr_changeset_list_free(j->cs);
		free(j);
		refresh_failed(z, "cannot queue the build");
		arm(m);
		return;
	}
}

/* A long transfer says how far it is (xfr_uv calls this every 2 s while it runs). */
static void on_xfr_progress(void *arg, const struct xfr_uv_progress *p)
{
	struct dd_zone *z = arg;
	char size[32];
	if (p->bytes >= 1000000)
		snprintf(size, sizeof(size), "%.1f MB", (double)p->bytes / 1e6);
	else if (p->bytes >= 1000)
		snprintf(size, sizeof(size), "%.1f kB", (double)p->bytes / 1e3);
	else
		snprintf(size, sizeof(size), "%zu bytes", p->bytes);
	dd_log(DD_LOG_INFO, "zone %s: %s from %s in progress: %zu records, %s, %.1f s", z->cz->domain,
	       p->type == XFR_IXFR ? "IXFR" : "AXFR", p->primary, p->records, size,
	       (double)p->elapsed_ms / 1e3);
}

static void start_refresh(struct dd_zone *z)
{
	struct dd_zonemgr *m = z->m;
	struct xfr_uv_request req;
	/*
	 * The transfer borrows its primaries until it ends; a reload may replace
	 * the zone's meanwhile, so it gets a copy and a reference of its own.
	 */
	z->run_remotes = malloc(z->nremotes * sizeof(*z->run_remotes));
	if (!z->run_remotes) {
		xfr_timers_refresh_begin(&z->t);
		refresh_failed(z, "out of memory");
		return;
	}
	memcpy(z->run_remotes, z->remotes, z->nremotes * sizeof(*z->run_remotes));
	z->run_peers = peers_ref(z->peers);
	memset(&req, 0, sizeof(req));
	req.origin = z->origin;
	req.remotes = z->run_remotes;
	req.nremotes = z->nremotes;
	req.have_serial = z->snap != NULL && !z->want_axfr;
	req.serial = z->snap ? z->snap->serial : 0;
	/*
	 * A NOTIFY that announced a newer serial: its sender first, and no SOA query
	 * (as BIND does). The IXFR's reply tells the same as the SOA query would:
	 * a lone SOA not newer than ours is "up to date".
	 */
	bool hinted = z->hint_valid && req.have_serial &&
		      dns_serial_cmp(z->hint_serial, req.serial) == DNS_SERIAL_GT;
	z->hint_valid = false;
	if (hinted && z->hint_remote > 0 && (unsigned)z->hint_remote < z->nremotes) {
		struct xfr_remote first = z->run_remotes[z->hint_remote];
		memmove(z->run_remotes + 1, z->run_remotes, (size_t)z->hint_remote * sizeof(first));
		z->run_remotes[0] = first;
	}
	/* After an IXFR that did not apply: AXFR at once, no SOA check. */
	req.skip_soa = z->want_axfr || hinted;
	/* zone-max-size: a transfer bringing more is dropped (the old version keeps serving). */
	req.opts.limits.max_bytes = z->cz->max_size;
	z->attempt = req.have_serial ? DD_XFR_IXFR : DD_XFR_AXFR;
	req.progress = on_xfr_progress;
	xfr_timers_refresh_begin(&z->t);
	z->xfr = xfr_uv_start(m->loop, &req, on_xfr_done, z);
	if (!z->xfr) {
		free(z->run_remotes);
		peers_unref(z->run_peers);
		z->run_remotes = NULL;
		z->run_peers = NULL;
		refresh_failed(z, "cannot start a transfer (out of memory or bad primaries)");
		return;
	}
	z->refs++;
}

static void on_timer(uv_timer_t *h)
{
	struct dd_zonemgr *m = h->data;
	int64_t now = now_s();
	bool republish = false;
	for (unsigned i = 0; i < m->nzones; i++) {
		struct dd_zone *z = m->zones[i];
		if (!z->secondary)
			continue;
		unsigned f = xfr_timers_tick(&z->t, now);
		if (f & XFR_TIMERS_JUST_EXPIRED) {
			dd_log(DD_LOG_WARN,
			       "zone %s: expired (no successful refresh for %u s): answering SERVFAIL",
			       z->domain, z->t.expire);
			z->expired = true;
			republish = true;
		}
		if ((f & XFR_TIMERS_DO_REFRESH) && !z->xfr && !z->working)
			start_refresh(z);
	}
	if (republish)
		publish(m);
	arm(m);
}

static void arm(struct dd_zonemgr *m)
{
	if (m->stopping || !m->timer_open)
		return;
	int64_t next = INT64_MAX;
	for (unsigned i = 0; i < m->nzones; i++) {
		struct dd_zone *z = m->zones[i];
		if (!z->secondary || z->xfr || z->working)
			continue;
		int64_t t = xfr_timers_next(&z->t);
		if (t < next)
			next = t;
	}
	if (next == INT64_MAX) {
		uv_timer_stop(&m->timer);
		return;
	}
	/*
	 * The timers count whole seconds; wake up just after the second they name
	 * begins, measured from the real time now (not from a truncated second,
	 * which would make every deadline up to a second late).
	 */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	int64_t delay = next * 1000 - now_ms + 5;
	if (delay < 0)
		delay = 0;
	uv_timer_start(&m->timer, on_timer, (uint64_t)delay, 0);
}

/* ---- NOTIFY ---- */

static bool same_ip(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family == AF_INET && b->ss_family == AF_INET)
		return !memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			       &((const struct sockaddr_in *)b)->sin_addr, 4);
	if (a->sa_family == AF_INET6 && b->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
	return false;
}

/* The source address of peer for ACL matching; an IPv4-mapped IPv6 address as IPv4. */
static int peer_ip(const struct sockaddr *peer, uint8_t ip[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	memset(ip, 0, 16);
	if (peer->sa_family == AF_INET) {
		memcpy(ip, &((const struct sockaddr_in *)peer)->sin_addr, 4);
		return AF_INET;
	}
	if (peer->sa_family != AF_INET6)
		return AF_UNSPEC;
	const uint8_t *a = ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;
	if (!memcmp(a, mapped, sizeof(mapped))) {
		memcpy(ip, a + 12, 4);
		return AF_INET;
	}
	memcpy(ip, a, 16);
	return AF_INET6;
}

static void notify_refused_log(struct dd_zonemgr *m, const char *peer, const char *zone,
			       const char *why)
{
	m->notify_refused++;
	int64_t now = now_s();
	if (now - m->notify_logged_at >= NOTIFY_LOG_INTERVAL) {
		m->notify_logged_at = now;
		dd_log(DD_LOG_WARN, "NOTIFY from %s for %s refused: %s (%llu refused so far)", peer,
		       zone, why, (unsigned long long)m->notify_refused);
	}
}

/* Which of z's primaries has an address of peer's (any port): its index, or -1. */
static int primary_at(const struct dd_zone *z, const struct sockaddr *peer)
{
	for (unsigned i = 0; i < z->nremotes; i++)
		for (unsigned k = 0; k < z->remotes[i].naddrs; k++)
			if (same_ip(peer, &z->remotes[i].addrs[k]))
				return (int)i;
	return -1;
}

/*
 * The serial a NOTIFY announces: its first answer record, when that is the
 * zone's SOA (RFC 1996 §3.7: a hint; the message is verified by then when the
 * primary has a key). False when there is none or it does not parse.
 */
static bool notify_soa_serial(const uint8_t *msg, size_t len, const struct dns_hdr *h, size_t qend,
			      const uint8_t *origin, uint32_t *serial)
{
	if (h->ancount < 1)
		return false;
	struct dns_rd r;
	struct dns_rr rr;
	uint8_t rdata[2 * DNS_NAME_MAXLEN + 20]; /* an SOA's; anything longer is not one */
	dns_rd_init(&r, msg, len);
	r.pos = qend;
	if (dns_rr_parse(&r, &rr, rdata, sizeof(rdata)) < 0 || rr.type != DNS_T_SOA ||
	    rr.rclass != DNS_C_IN || !dns_name_eq(rr.owner, origin) || rr.rdlen < 22)
		return false;
	*serial = xfr_soa_serial(rr.rdata, rr.rdlen);
	return true;
}

size_t dd_zonemgr_notify(struct dd_zonemgr *m, const struct sockaddr *peer, uint8_t *msg,
			 size_t len, size_t cap)
{
	struct dns_rd r;
	struct dns_hdr h;
	dns_rd_init(&r, msg, len);
	if (dns_hdr_parse(&r, &h) < 0 || (h.flags & DNS_F_QR) ||
	    dns_hdr_opcode(&h) != DNS_OP_NOTIFY)
		return 0;
	char from[80];
	xfr_uv_addr_str((const struct sockaddr_storage *)peer, from, sizeof(from));
	uint16_t rcode = DNS_R_NOERROR;
	uint8_t qname[DNS_NAME_MAXLEN];
	size_t qend = DNS_HDR_LEN;
	struct dd_zone *z = NULL;
	const struct xfr_tsig_key *key = NULL;
	char zone_text[DNS_NAME_TEXT_MAX] = "?";
	if (h.qdcount != 1 || dns_name_parse(&r, qname) < 0 || dns_rd_left(&r) < 4) {
		rcode = DNS_R_FORMERR;
		notify_refused_log(m, from, "?", "malformed");
		goto reply_hdr;
	}
	dns_rd_skip(&r, 4);
	qend = r.pos;
	dns_name_lower(qname);
	(void)dns_name_to_text(qname, zone_text, sizeof(zone_text));
	for (unsigned i = 0; i < m->nzones; i++)
		if (m->zones[i]->secondary && dns_name_eq(m->zones[i]->origin, qname))
			z = m->zones[i];
	if (!z) {
		rcode = DNS_R_NOTAUTH;
		notify_refused_log(m, from, zone_text, "not a secondary zone here");
		goto reply;
	}
	int sender = primary_at(z, peer); /* -1: no primary's address */
	/*
	 * The zone's ACLs first: the first that matches (address, action notify,
	 * and its key if it names one) allows or, with deny, refuses.
	 */
	if (z->cz->nacls) {
		struct xfr_tsig_rr trr;
		uint8_t ip[16];
		int fam = peer_ip(peer, ip);
		const uint8_t *kname = xfr_tsig_parse(msg, len, &trr) == 0 ? trr.key_name : NULL;
		const struct conf_acl *acl = conf_acl_find(z->cz->acls, z->cz->nacls,
							   CONF_ACL_NOTIFY, fam, ip, kname);
		if (acl && acl->deny) {
			char why[300];
			snprintf(why, sizeof(why), "denied by acl %s", acl->id);
			rcode = DNS_R_REFUSED;
			notify_refused_log(m, from, zone_text, why);
			goto reply;
		}
		if (acl) {
			key = acl->key ? &m->peers->keys[acl->key - m->conf->keys] : NULL;
			goto found;
		}
	}
	/* Else from one of the zone's primaries' addresses (any port), as Knot and NSD require. */
	if (sender >= 0) {
		key = z->remotes[sender].key;
		goto found;
	}
	rcode = DNS_R_REFUSED;
	notify_refused_log(m, from, zone_text,
			   z->cz->nacls ? "not from a primary of the zone, and no acl allows it"
					: "not from a primary of the zone");
	goto reply;
found:;
	uint32_t hint = 0;
	bool have_hint = notify_soa_serial(msg, len, &h, qend, z->origin, &hint);
	struct xfr_tsig_ctx *ctx = NULL;
	int trc = 0;
	uint64_t now = (uint64_t)now_s();
	if (key) {
		ctx = xfr_tsig_ctx_new(key);
		if (!ctx)
			return 0;
		trc = xfr_tsig_server_verify(ctx, msg, len, now);
		if (trc == DP_EMALF || trc == XFR_TSIG_ENOSIG) {
			/* Malformed: FORMERR; unsigned where a key is configured: REFUSED. No TSIG. */
			notify_refused_log(m, from, zone_text, xfr_tsig_strerror(trc));
			xfr_tsig_ctx_free(ctx);
			rcode = trc == DP_EMALF ? DNS_R_FORMERR : DNS_R_REFUSED;
			goto reply;
		}
		if (trc < 0) /* BADKEY, BADSIG, BADTIME, BADTRUNC: NOTAUTH with the TSIG error */
			notify_refused_log(m, from, zone_text, xfr_tsig_strerror(trc));
	}
	if (trc == 0) {
		bool due = xfr_timers_notify(&z->t, now_s());
		char serial_text[32] = "";
		if (have_hint) {
			z->hint_valid = true;
			z->hint_serial = hint;
			z->hint_remote = sender;
			snprintf(serial_text, sizeof(serial_text), ", serial %u", hint);
		}
		dd_log(DD_LOG_INFO, "zone %s: NOTIFY from %s%s%s%s", z->domain, from,
		       key ? " (TSIG verified)" : "", serial_text,
		       due ? ", refreshing" : ", refresh after the running one");
		if (due && !z->xfr && !z->working)
			start_refresh(z);
		arm(m);
	}
	if (qend > cap) {
		xfr_tsig_ctx_free(ctx);
		return 0;
	}
	dns_put_u16(msg + 2, (uint16_t)(DNS_F_QR | DNS_F_AA | (h.flags & DNS_OPCODE_MASK)));
	dns_put_u16(msg + 4, 1);
	memset(msg + 6, 0, 6);
	if (!ctx)
		return qend;
	struct dns_wr w;
	dns_wr_init(&w, msg, cap);
	w.pos = qend;
	int src = xfr_tsig_server_sign(ctx, &w, now);
	xfr_tsig_ctx_free(ctx);
	return src < 0 ? 0 : w.pos;
reply:
	/* Header and question echoed, no records (RFC 1996 §4.7). */
	if (qend > cap)
		return 0;
	dns_put_u16(msg + 2, (uint16_t)(DNS_F_QR | (rcode == DNS_R_NOERROR ? DNS_F_AA : 0) |
					(h.flags & DNS_OPCODE_MASK) | rcode));
	dns_put_u16(msg + 4, 1);
	dns_put_u16(msg + 6, 0);
	dns_put_u16(msg + 8, 0);
	dns_put_u16(msg + 10, 0);
	return qend;
reply_hdr:
	dns_put_u16(msg + 2, (uint16_t)(DNS_F_QR | (h.flags & DNS_OPCODE_MASK) | rcode));
	memset(msg + 4, 0, 8);
	return DNS_HDR_LEN;
}

static void on_udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct dd_zonemgr *m = h->data;
	buf->base = (char *)m->udp_buf;
	buf->len = sizeof(m->udp_buf);
}

static void on_udp_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *addr,
			unsigned flags)
{
	struct dd_zonemgr *m = h->data;
	(void)flags;
	if (n <= 0 || !addr)
		return;
	size_t out = dd_zonemgr_notify(m, addr, (uint8_t *)buf->base, (size_t)n, sizeof(m->udp_buf));
	if (!out)
		return;
	uv_buf_t b = uv_buf_init(buf->base, (unsigned)out);
	(void)uv_udp_try_send(h, &b, 1, addr);
}

static void listen_notify(struct dd_zonemgr *m)
{
	m->notify_started = true;
	const struct conf *c = m->boot;
	for (unsigned i = 0; i < c->dataplane.nifaces; i++) {
		const struct conf_iface *ci = &c->dataplane.ifaces[i];
		for (unsigned k = 0; k < ci->naddrs && m->nudp < NOTIFY_ADDRS_MAX; k++) {
			const struct conf_prefix *p = &ci->addrs[k];
			struct sockaddr_storage ss;
			struct conf_sockaddr ca = {.family = p->family, .port = 53};
			memcpy(ca.addr, p->addr, 16);
			to_sockaddr(&ca, &ss);
			uv_udp_t *u = &m->udp[m->nudp];
			uv_udp_init(m->loop, u);
			u->data = m;
			int rc = uv_udp_bind(u, (const struct sockaddr *)&ss,
					     p->family == AF_INET6 ? UV_UDP_IPV6ONLY : 0);
			if (rc == 0)
				rc = uv_udp_recv_start(u, on_udp_alloc, on_udp_recv);
			char text[80];
			xfr_uv_addr_str(&ss, text, sizeof(text));
			if (rc < 0) {
				dd_log(DD_LOG_WARN, "NOTIFY over UDP on %s: %s", text, uv_strerror(rc));
				uv_close((uv_handle_t *)u, NULL);
				continue;
			}
			m->nudp++;
		}
	}
}

int dd_zonemgr_start(struct dd_zonemgr *m, uv_loop_t *loop, dd_publish_fn pub, void *ctx)
{
	m->loop = loop;
	m->publish = pub;
	m->publish_ctx = ctx;
	uv_timer_init(loop, &m->timer);
	m->timer.data = m;
	m->timer_open = true;
	bool any = false;
	for (unsigned i = 0; i < m->nzones; i++)
		any |= m->zones[i]->secondary;
	if (any)
		listen_notify(m);
	/* The first tick at once: zones without data transfer now. */
	uv_timer_start(&m->timer, on_timer, 0, 0);
	return 0;
}

/* ---- reload ---- */

/* One zone of the new configuration and what the reload does with it. */
struct rl_item {
	const struct conf_zone *cz; /* in the new configuration */
	struct dd_zone *old;	    /* the running zone of that name, or NULL (added) */
	unsigned diff;		    /* conf_zone_diff(old->cz, cz) when old */
	struct dd_zone *fresh;	    /* added, or static <-> secondary: a new zone, loaded in the pool */
	struct zone_snap *snap;	    /* an old static zone kept static: its file, re-read */
};

struct reload_job {
	uv_work_t req;
	struct dd_zonemgr *m;
	struct conf *conf;	 /* the new configuration (the job's until applied) */
	struct dd_peers *peers;	 /* its keys and remotes */
	struct rl_item *items;	 /* one per zone of conf, same order */
	unsigned nitems;
	bool *kept;		 /* per running zone: still configured */
	unsigned added, removed, changed, unchanged;
	bool failed;
	int rc; /* why it failed */
	dd_reload_done_fn done;
	void *done_ctx;
	char err[512];
	char notes[1024]; /* the settings that need a restart, a line each */
};

static void reload_job_free(struct reload_job *j)
{
	for (unsigned i = 0; j->items && i < j->nitems; i++) {
		zone_free(j->items[i].fresh);
		zone_snap_free(j->items[i].snap);
	}
	free(j->items);
	free(j->kept);
	peers_unref(j->peers);
	conf_free(j->conf);
	free(j);
}

/* In the pool: reads only the job's items and m->rundir (nothing the loop changes). */
static void reload_work(uv_work_t *req)
{
	struct reload_job *j = req->data;
	for (unsigned i = 0; i < j->nitems && !j->failed; i++) {
		struct rl_item *it = &j->items[i];
		if (it->fresh) {
			j->rc = zone_load(j->m, it->fresh, j->err, sizeof(j->err));
			j->failed = j->rc < 0;
		} else if (!it->cz->nprimaries) {
			it->snap = load_file(it->cz, j->err, sizeof(j->err));
			if (!it->snap) {
				j->rc = DP_EZONE;
				j->failed = true;
			}
		}
	}
}

/* Takes z out of service: its transfer is cancelled; it goes when the last job returns. */
static void zone_retire(struct dd_zone *z)
{
	z->removed = true;
	z->cz = NULL;
	if (z->xfr) {
		dd_log(DD_LOG_INFO, "zone %s: removed; its refresh is cancelled", z->domain);
		xfr_uv_cancel(z->xfr); /* on_xfr_done follows, and releases */
	} else if (z->working) {
		dd_log(DD_LOG_INFO, "zone %s: removed; the version being built will be dropped",
		       z->domain);
	}
	zone_release(z);
}

/* A kept secondary zone takes its new settings; its data, serial and timers stay. */
static void secondary_update(struct dd_zone *z, const struct rl_item *it, const struct conf *c,
			     struct dd_peers *p)
{
	int64_t now = now_s();
	if (zone_set_peers(z, c, p) < 0) {
		/* Out of memory for a few pointers: the zone keeps its previous primaries. */
		dd_log(DD_LOG_ERR, "zone %s: out of memory; keeping the previous primaries",
		       z->domain);
	}
	if (it->diff & CONF_ZC_TIMERS) {
		limits_of(z->cz, &z->lim);
		struct xfr_soa soa;
		/* The served SOA's timers clamped again; a running refresh applies them as it ends. */
		if (!z->t.running && z->snap && z->t.state != XFR_ZONE_EMPTY &&
		    xfr_soa_from_zone(z->snap->z, &soa) == 0) {
			int64_t last = z->t.last_refresh ? z->t.last_refresh : now;
			xfr_timers_restore(&z->t, &z->lim, &soa, last, z->t.expire_at, now, rnd32());
			if (z->t.state == XFR_ZONE_EXPIRED && !z->expired) {
				z->expired = true;
				dd_log(DD_LOG_WARN, "zone %s: expired under the new expire bounds",
				       z->domain);
			}
		}
	}
	if (it->diff & CONF_ZC_PRIMARIES) {
		/* Refresh from the new primaries now (after the running refresh, if any). */
		if (xfr_timers_notify(&z->t, now) && !z->xfr && !z->working)
			start_refresh(z);
	}
}

/* A reload that did not happen: logged, told to whoever asked, and freed. */
static void reload_failed(struct reload_job *j, int rc, const char *why)
{
	if (rc != -ECANCELED)
		dd_log(DD_LOG_ERR, "reload failed, nothing changed: %s", why);
	if (j->done)
		j->done(j->done_ctx, rc, why);
	reload_job_free(j);
}

static void reload_done(uv_work_t *req, int status)
{
	struct reload_job *j = req->data;
	struct dd_zonemgr *m = j->m;
	m->jobs--;
	m->reloading = false;
	/* errno's ECANCELED: the one error space keeps errno values (dns/errcode.h). */
	if (status < 0 || m->stopping) {
		reload_failed(j, -ECANCELED, "the server is stopping");
		return;
	}
	if (j->failed) {
		reload_failed(j, j->rc < 0 ? j->rc : DP_EZONE, j->err);
		return;
	}
	struct dd_zone **zones = calloc(j->nitems ? j->nitems : 1, sizeof(*zones));
	if (!zones) {
		reload_failed(j, DP_ENOMEM, "out of memory");
		return;
	}
	/* From here on nothing fails: the new configuration is applied whole. */
	for (unsigned i = 0; i < j->nitems; i++) {
		struct rl_item *it = &j->items[i];
		if (it->fresh) {
			zones[i] = it->fresh;
			/* A secondary new here refreshes now, even from a recent persisted copy. */
			if (it->fresh->secondary)
				(void)xfr_timers_notify(&it->fresh->t, now_s());
			it->fresh = NULL;
			if (it->old)
				zone_retire(it->old);
			continue;
		}
		struct dd_zone *z = it->old;
		zones[i] = z;
		z->cz = it->cz;
		limits_of(z->cz, &z->lim);
		if (z->secondary) {
			secondary_update(z, it, j->conf, j->peers);
		} else {
			zone_snap_free(z->snap);
			z->snap = it->snap;
			it->snap = NULL;
		}
	}
	for (unsigned i = 0; i < m->nzones; i++)
		if (!j->kept[i])
			zone_retire(m->zones[i]);
	free(m->zones);
	m->zones = zones;
	m->nzones = j->nitems;
	j->nitems = 0;
	peers_unref(m->peers);
	m->peers = j->peers;
	j->peers = NULL;
	/* No zone points into the previous configuration any more. */
	conf_free(m->owned);
	m->owned = j->conf;
	m->conf = j->conf;
	j->conf = NULL;
	bool any = false;
	for (unsigned i = 0; i < m->nzones; i++)
		any |= m->zones[i]->secondary;
	if (any && !m->notify_started)
		listen_notify(m);
	publish(m);
	arm(m);
	char msg[sizeof(j->notes) + 128];
	snprintf(msg, sizeof(msg), "reloaded: %u zone%s added, %u removed, %u changed, %u unchanged",
		 j->added, j->added == 1 ? "" : "s", j->removed, j->changed, j->unchanged);
	dd_log(DD_LOG_INFO, "%s", msg);
	if (j->done) {
		size_t n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, "\n%s", j->notes);
		j->done(j->done_ctx, 0, msg);
	}
	reload_job_free(j);
}

/* Appends a line to msg[0..cap), truncating. */
static void msg_add(char *msg, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void msg_add(char *msg, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(msg);
	if (n + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + n, cap - n, fmt, ap);
	va_end(ap);
}

struct restart_note {
	char *msg;
	size_t cap;
	struct reload_job *j;
};

static void restart_note(void *ctx, const char *what)
{
	struct restart_note *r = ctx;
	dd_log(DD_LOG_WARN, "reload: %s changed: needs a restart; keeping the running value", what);
	msg_add(r->msg, r->cap, "%s changed: needs a restart; keeping the running value\n", what);
	msg_add(r->j->notes, sizeof(r->j->notes),
		"%s changed: needs a restart; keeping the running value\n", what);
}

int dd_zonemgr_reload(struct dd_zonemgr *m, char *msg, size_t msglen, dd_reload_done_fn done,
		      void *ctx)
{
	char err[1024];
	struct conf *c = NULL;
	msg[0] = '\0';
	if (m->stopping)
		return DP_EINVAL;
	if (m->reloading) {
		snprintf(msg, msglen, "a reload is running; try again when it has ended");
		dd_log(DD_LOG_WARN, "reload: %s", msg);
		return DP_EEXIST;
	}
	int rc = conf_load(m->boot->path, &c, err, sizeof(err));
	if (rc < 0) {
		dd_log(DD_LOG_ERR, "reload failed, nothing changed: %s", err);
		snprintf(msg, msglen, "%s", err);
		return rc;
	}
	struct reload_job *j = calloc(1, sizeof(*j));
	if (!j) {
		conf_free(c);
		goto nomem;
	}
	j->req.data = j;
	j->m = m;
	j->done = done;
	j->done_ctx = ctx;
	j->conf = c;
	j->nitems = c->nzones;
	j->items = calloc(c->nzones ? c->nzones : 1, sizeof(*j->items));
	j->kept = calloc(m->nzones ? m->nzones : 1, sizeof(*j->kept));
	if (!j->items || !j->kept)
		goto nomem_job;
	j->peers = peers_new(c, err, sizeof(err));
	if (!j->peers) {
		dd_log(DD_LOG_ERR, "reload failed, nothing changed: %s", err);
		snprintf(msg, msglen, "%s", err);
		reload_job_free(j);
		return DP_ESYNTAX;
	}
	for (unsigned i = 0; i < c->nzones; i++) {
		struct rl_item *it = &j->items[i];
		it->cz = &c->zones[i];
		/* The invariant zones[k]->cz == &conf->zones[k] finds the running zone. */
		const struct conf_zone *ocz = conf_zone_find(m->conf, it->cz->origin,
							     it->cz->origin_len);
		if (ocz) {
			unsigned k = (unsigned)(ocz - m->conf->zones);
			it->old = m->zones[k];
			j->kept[k] = true;
			it->diff = conf_zone_diff(ocz, it->cz);
			if (it->diff)
				j->changed++;
			else
				j->unchanged++;
		} else {
			j->added++;
		}
		if (!it->old || (it->diff & CONF_ZC_TYPE)) {
			it->fresh = zone_new(m, c, it->cz, j->peers);
			if (!it->fresh)
				goto nomem_job;
		}
	}
	j->removed = m->nzones - j->changed - j->unchanged;
	struct restart_note rn = {msg, msglen, j};
	(void)conf_restart_diff(m->boot, c, restart_note, &rn);
	if (uv_queue_work(m->loop, &j->req, reload_work, reload_done) < 0) {
		reload_job_free(j);
		snprintf(msg, msglen, "cannot queue the reload");
		return DP_EIO;
	}
	m->jobs++;
	m->reloading = true;
	dd_log(DD_LOG_INFO, "reload of %s: %u zone%s to add, %u to remove, %u changed, %u unchanged",
	       c->path, j->added, j->added == 1 ? "" : "s", j->removed, j->changed, j->unchanged);
	msg_add(msg, msglen,
		"reload started: %u zone%s to add, %u to remove, %u changed, %u unchanged\n",
		j->added, j->added == 1 ? "" : "s", j->removed, j->changed, j->unchanged);
	return 0;
nomem_job:
	reload_job_free(j);
nomem:
	snprintf(msg, msglen, "out of memory");
	return DP_ENOMEM;
}

/* ---- teardown ---- */

void dd_zonemgr_stop(struct dd_zonemgr *m)
{
	if (!m || m->stopping)
		return;
	m->stopping = true;
	for (unsigned i = 0; i < m->nzones; i++)
		if (m->zones[i]->xfr) {
			xfr_uv_cancel(m->zones[i]->xfr); /* on_xfr_done follows */
			m->zones[i]->xfr = NULL;
		}
	if (m->timer_open) {
		uv_close((uv_handle_t *)&m->timer, NULL);
		m->timer_open = false;
	}
	for (unsigned i = 0; i < m->nudp; i++)
		uv_close((uv_handle_t *)&m->udp[i], NULL);
	m->nudp = 0;
}

void dd_zonemgr_free(struct dd_zonemgr *m)
{
	if (!m)
		return;
	for (unsigned i = 0; m->zones && i < m->nzones; i++)
		zone_free(m->zones[i]);
	free(m->zones);
	peers_unref(m->peers);
	conf_free(m->owned);
	free(m->rundir);
	for (uint32_t i = 0; i < m->nstat; i++)
		free(m->stat_names[i]);
	free(m);
}

/* ---- control (zone-status, zone-refresh, zone-retransfer, zone-show) ---- */

static struct dd_zone *find_zone(struct dd_zonemgr *m, const char *text)
{
	uint8_t name[DNS_NAME_MAXLEN];
	char abs[DNS_NAME_TEXT_MAX + 2];
	size_t n = strlen(text);
	/* "example.com" and "example.com." alike, as dpdnsctl users type both. */
	snprintf(abs, sizeof(abs), "%s%s", text, n && text[n - 1] == '.' ? "" : ".");
	if (dns_name_from_text(abs, NULL, name) <= 0)
		return NULL;
	dns_name_lower(name);
	for (unsigned i = 0; i < m->nzones; i++)
		if (dns_name_eq(m->zones[i]->origin, name))
			return m->zones[i];
	return NULL;
}

static const char *state_name(const struct dd_zone *z)
{
	if (!z->snap)
		return "empty";
	return z->expired ? "expired" : "valid";
}

static void status_text(struct sp_buf *b, const struct dd_zone *z, int64_t now)
{
	sp_buf_printf(b, "%s\n  type: %s\n  state: %s\n", z->domain,
		      z->secondary ? "secondary" : "static", state_name(z));
	if (z->snap)
		sp_buf_printf(b, "  serial: %u\n", z->snap->serial);
	if (!z->secondary)
		return;
	if (z->primary_serial_known)
		sp_buf_printf(b, "  primary serial: %u\n", z->primary_serial);
	if (z->t.last_refresh)
		sp_buf_printf(b, "  last refresh: %lld s ago (%s from %s)\n",
			      (long long)(now - z->t.last_refresh), xfr_kind_str(z->last_kind),
			      z->last_primary);
	else
		sp_buf_puts(b, "  last refresh: never\n");
	if (z->last_attempt)
		sp_buf_printf(b, "  last result: %s\n", z->last_rc == 0 ? "ok" : z->last_error);
	if (z->preparing)
		sp_buf_puts(b, "  next refresh: after the answers are prepared (the reference "
			       "resolver answers meanwhile)\n");
	else if (z->xfr || z->working)
		sp_buf_puts(b, "  next refresh: running\n");
	else
		sp_buf_printf(b, "  next refresh: in %lld s\n",
			      (long long)(z->t.next_refresh > now ? z->t.next_refresh - now : 0));
	if (z->snap)
		sp_buf_printf(b, "  expires in: %lld s\n",
			      (long long)(z->t.expire_at > now ? z->t.expire_at - now : 0));
	sp_buf_printf(b, "  transfers: %llu, failed refreshes: %llu\n",
		      (unsigned long long)z->transfers, (unsigned long long)z->transfer_failures);
	if (z->have_last_xfr)
		sp_buf_printf(b, "  last transfer: %s, %.3f s, %zu records, %zu bytes\n",
			      xfr_kind_names[z->last_xfr_kind], (double)z->last_xfr_ms / 1e3,
			      z->last_xfr_records, z->last_xfr_bytes);
}

static void status_json(struct sp_json *j, const struct dd_zone *z, int64_t now)
{
	sp_json_obj_begin(j);
	sp_json_kstr(j, "zone", z->domain);
	sp_json_kstr(j, "type", z->secondary ? "secondary" : "static");
	sp_json_kstr(j, "state", state_name(z));
	if (z->snap)
		sp_json_kuint(j, "serial", z->snap->serial);
	else
		sp_json_knull(j, "serial");
	if (z->secondary) {
		if (z->primary_serial_known)
			sp_json_kuint(j, "primary_serial", z->primary_serial);
		else
			sp_json_knull(j, "primary_serial");
		sp_json_kint(j, "last_refresh", z->t.last_refresh);
		sp_json_kstr(j, "last_kind", z->t.last_refresh ? xfr_kind_str(z->last_kind) : NULL);
		sp_json_kstr(j, "last_primary", z->last_primary[0] ? z->last_primary : NULL);
		sp_json_kstr(j, "last_result",
			     !z->last_attempt ? NULL : z->last_rc == 0 ? "ok" : "failed");
		sp_json_kstr(j, "last_error", z->last_error[0] ? z->last_error : NULL);
		sp_json_kbool(j, "refreshing", (z->xfr || z->working) && !z->preparing);
		sp_json_kbool(j, "preparing", z->preparing);
		sp_json_kint(j, "next_refresh", z->t.next_refresh);
		sp_json_kint(j, "expires_in", z->snap ? z->t.expire_at - now : 0);
		sp_json_kuint(j, "transfers", z->transfers);
		sp_json_kuint(j, "failed_refreshes", z->transfer_failures);
		sp_json_key(j, "last_transfer");
		if (z->have_last_xfr) {
			sp_json_obj_begin(j);
			sp_json_kstr(j, "kind", xfr_kind_names[z->last_xfr_kind]);
			sp_json_kdouble(j, "seconds", (double)z->last_xfr_ms / 1e3);
			sp_json_kuint(j, "records", z->last_xfr_records);
			sp_json_kuint(j, "bytes", z->last_xfr_bytes);
			sp_json_obj_end(j);
		} else {
			sp_json_null(j);
		}
	}
	sp_json_obj_end(j);
}

int dd_zonemgr_ctl_status(struct dd_zonemgr *m, struct sp_ctl_req *req)
{
	struct dd_zone *one = NULL;
	if (req->argc) {
		one = find_zone(m, req->argv[0]);
		if (!one)
			return sp_ctl_fail(req, DP_ENOENT, "no such zone: %s", req->argv[0]);
	}
	int64_t now = now_s();
	if (req->json) {
		struct sp_json j;
		sp_json_init(&j, req->out);
		sp_json_arr_begin(&j);
		for (unsigned i = 0; i < m->nzones; i++)
			if (!one || one == m->zones[i])
				status_json(&j, m->zones[i], now);
		sp_json_arr_end(&j);
		return sp_json_finish(&j);
	}
	for (unsigned i = 0; i < m->nzones; i++)
		if (!one || one == m->zones[i])
			status_text(req->out, m->zones[i], now);
	return sp_buf_error(req->out);
}

int dd_zonemgr_ctl_refresh(struct dd_zonemgr *m, struct sp_ctl_req *req, bool axfr)
{
	struct dd_zone *z = find_zone(m, req->argv[0]);
	if (!z)
		return sp_ctl_fail(req, DP_ENOENT, "no such zone: %s", req->argv[0]);
	if (!z->secondary)
		return sp_ctl_fail(req, DP_EINVAL, "%s is not a secondary zone", z->domain);
	if (axfr)
		z->want_axfr = true;
	bool queued = z->xfr || z->working;
	if (queued)
		(void)xfr_timers_notify(&z->t, now_s()); /* again, right after the running one */
	else
		start_refresh(z);
	arm(m);
	if (req->json) {
		struct sp_json j;
		sp_json_init(&j, req->out);
		sp_json_obj_begin(&j);
		sp_json_kstr(&j, "zone", z->domain);
		sp_json_kstr(&j, "action", axfr ? "axfr" : "refresh");
		sp_json_kstr(&j, "state", queued ? "queued" : "started");
		sp_json_obj_end(&j);
		return sp_json_finish(&j);
	}
	if (queued)
		sp_buf_printf(req->out, "%s: a refresh is running; another follows it\n",
			      z->domain);
	else
		sp_buf_printf(req->out, "%s: %s started\n", z->domain,
			      axfr ? "AXFR" : "refresh");
	return sp_buf_error(req->out);
}

int dd_zonemgr_ctl_show(struct dd_zonemgr *m, struct sp_ctl_req *req)
{
	struct dd_zone *z = find_zone(m, req->argv[0]);
	if (!z)
		return sp_ctl_fail(req, DP_ENOENT, "no such zone: %s", req->argv[0]);
	if (!z->snap)
		return sp_ctl_fail(req, DP_ENOENT, "%s has no data yet", z->domain);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return sp_ctl_fail(req, DP_ENOMEM, "out of memory");
	int rc = zone_dump(z->snap->z, f);
	fclose(f);
	if (rc < 0) {
		free(text);
		return sp_ctl_fail(req, rc, "%s: cannot print the zone", z->domain);
	}
	if (req->json) {
		struct sp_json j;
		sp_json_init(&j, req->out);
		sp_json_obj_begin(&j);
		sp_json_kstr(&j, "zone", z->domain);
		sp_json_kuint(&j, "serial", z->snap->serial);
		sp_json_key(&j, "text");
		sp_json_strn(&j, text, len);
		sp_json_obj_end(&j);
		free(text);
		return sp_json_finish(&j);
	}
	sp_buf_add(req->out, text, len);
	free(text);
	return sp_buf_error(req->out);
}

void dd_zonemgr_metrics(struct dd_zonemgr *m, struct sp_prom *p)
{
	int64_t now = now_s();
	sp_prom_family(p, "dpdns_zone_serial", SP_PROM_GAUGE, "SOA serial served");
	for (unsigned i = 0; i < m->nzones; i++) {
		struct dd_zone *z = m->zones[i];
		struct sp_prom_label l = {"zone", z->domain};
		if (z->snap)
			sp_prom_u64(p, "dpdns_zone_serial", &l, 1, z->snap->serial);
	}
	sp_prom_family(p, "dpdns_zone_expired", SP_PROM_GAUGE,
		       "1 when the secondary zone is past its expire deadline");
	for (unsigned i = 0; i < m->nzones; i++) {
		struct sp_prom_label l = {"zone", m->zones[i]->domain};
		sp_prom_u64(p, "dpdns_zone_expired", &l, 1, m->zones[i]->expired);
	}
	static const char *const fam[3][2] = {
		{"dpdns_zone_seconds_since_refresh",
		 "Seconds since the last successful refresh (secondary zones)"},
		{"dpdns_zone_seconds_until_expire",
		 "Seconds until the expire deadline (secondary zones with data)"},
		{"dpdns_zone_refresh_failures_total", "Failed refreshes"},
	};
	for (unsigned f = 0; f < 3; f++) {
		sp_prom_family(p, fam[f][0], f < 2 ? SP_PROM_GAUGE : SP_PROM_COUNTER, fam[f][1]);
		for (unsigned i = 0; i < m->nzones; i++) {
			struct dd_zone *z = m->zones[i];
			struct sp_prom_label l = {"zone", z->domain};
			if (!z->secondary)
				continue;
			if (f == 0 && z->t.last_refresh)
				sp_prom_i64(p, fam[f][0], &l, 1, now - z->t.last_refresh);
			else if (f == 1 && z->snap)
				sp_prom_i64(p, fam[f][0], &l, 1, z->t.expire_at - now);
			else if (f == 2)
				sp_prom_u64(p, fam[f][0], &l, 1, z->transfer_failures);
		}
	}
	const char *tn = "dpdns_zone_transfers_total";
	sp_prom_family(p, tn, SP_PROM_COUNTER,
		       "Refreshes that transferred (ok: applied) or failed, by the kind "
		       "transferred or attempted (an IXFR answered AXFR-style counts as axfr)");
	const char *dn = "dpdns_zone_transfer_duration_seconds";
	for (unsigned i = 0; i < m->nzones; i++) {
		struct dd_zone *z = m->zones[i];
		if (!z->secondary)
			continue;
		for (unsigned k = 0; k < DD_XFR_KINDS; k++)
			for (unsigned r = 0; r < DD_XFR_RESULTS; r++) {
				struct sp_prom_label l[3] = {{"zone", z->domain},
							     {"kind", xfr_kind_names[k]},
							     {"result", xfr_result_names[r]}};
				sp_prom_u64(p, tn, l, 3, z->xfr_count[k][r]);
			}
	}
	sp_prom_family(p, dn, SP_PROM_SUMMARY,
		       "Time to receive the transfers applied (SOA check, transfer and checks; not "
		       "the snapshot build), by kind");
	for (unsigned i = 0; i < m->nzones; i++) {
		struct dd_zone *z = m->zones[i];
		if (!z->secondary)
			continue;
		for (unsigned k = 0; k < DD_XFR_KINDS; k++) {
			struct sp_prom_label l[2] = {{"zone", z->domain},
						     {"kind", xfr_kind_names[k]}};
			sp_prom_double(p, "dpdns_zone_transfer_duration_seconds_sum", l, 2,
				       z->xfr_seconds[k]);
			sp_prom_u64(p, "dpdns_zone_transfer_duration_seconds_count", l, 2,
				    z->xfr_count[k][DD_XFR_OK]);
		}
	}
}

unsigned dd_zonemgr_count(const struct dd_zonemgr *m)
{
	return m->nzones;
}

unsigned dd_zonemgr_zones(const struct dd_zonemgr *m, struct dd_zone_info *out, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < m->nzones && n < max; i++) {
		const struct dd_zone *z = m->zones[i];
		struct dd_zone_info *o = &out[n++];
		memset(o, 0, sizeof(*o));
		snprintf(o->name, sizeof(o->name), "%s", z->domain);
		o->stat_id = z->stat_id;
		o->secondary = z->secondary;
		o->has_data = z->snap != NULL;
		o->expired = z->expired;
		o->serial = z->snap ? z->snap->serial : 0;
		o->last_refresh = z->secondary ? z->t.last_refresh : 0;
		o->expire_at = z->secondary && z->snap ? z->t.expire_at : 0;
	}
	return n;
}
