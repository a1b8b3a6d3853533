/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The zones dpdnsd serves and how each is kept current:
 *  - a static zone (`file` alone) is loaded from its file at start and on
 *    reload (dd_zonemgr_reload);
 *  - a secondary zone (`primary`) starts from its persisted copy in rundir
 *    (or from `file` when nothing is persisted, or with no data), and is
 *    refreshed from its primaries on its SOA timers and on NOTIFY: SOA check,
 *    IXFR with AXFR fallback, TSIG (src/xfr).  A transferred version is built
 *    into a snapshot off the loop (libuv's thread pool), published, then
 *    persisted; past its expire deadline a zone answers SERVFAIL with
 *    Extended DNS Error 24 until a refresh succeeds.
 *
 * Every change of what is served is one new zone table, published with the
 * callback given to dd_zonemgr_start (the fastpath's RCU writer); snapshots
 * that did not change are shared between tables (zone_snap references).
 *
 * Threads: dd_zonemgr_new and dd_zonemgr_table run on the main thread before
 * the loop starts; everything else on the slow-path loop's thread.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "conf/conf.h"
#include "slowpath/control.h"
#include "slowpath/prom.h"
#include "zone/snap.h"

struct dd_zonemgr;

/* Transfers are counted by kind and result. */
enum dd_xfr_kind { DD_XFR_AXFR, DD_XFR_IXFR, DD_XFR_KINDS };
enum dd_xfr_result { DD_XFR_OK, DD_XFR_FAILED, DD_XFR_RESULTS };

/* What the telemetry thread may be shown of a zone: a copy (dd_zonemgr_zones). */
struct dd_zone_info {
	char name[256];		      /* as configured (cut at 255 octets) */
	uint32_t stat_id;	      /* its query counter slot (fp_dp_zone_queries) */
	bool secondary;
	bool has_data;		      /* serial is meaningful */
	bool expired;
	uint32_t serial;
	int64_t last_refresh;	      /* Unix time of the last successful refresh; 0: never */
	int64_t expire_at;	      /* Unix time of the expire deadline (secondary with data) */
};

/* Publishes t (ownership passes); the loop thread, a registered QSBR thread, calls it. */
typedef void (*dd_publish_fn)(void *ctx, struct zone_table *t);

/*
 * Loads every zone of c: static zones from their files (any failure: NULL,
 * the reason in err, problems logged), secondary zones from rundir (a
 * damaged copy is logged and treated as absent).  c (the boot
 * configuration) stays the caller's and must outlive the manager: its
 * path is what a reload reads, and what cannot change at run time (rundir,
 * the addresses NOTIFY is received on) is taken from it.  Configurations
 * loaded by reloads are the manager's.
 */
struct dd_zonemgr *dd_zonemgr_new(const struct conf *c, char *err, size_t errlen);

/* A table of what is served now (caller owns), or NULL when out of memory. */
struct zone_table *dd_zonemgr_table(struct dd_zonemgr *m);

/*
 * Starts the timers and the NOTIFY listener (UDP port 53 on every
 * configured address) on loop.  Returns 0 or a negative code (logged).
 */
int dd_zonemgr_start(struct dd_zonemgr *m, uv_loop_t *loop, dd_publish_fn publish, void *ctx)
	__attribute__((warn_unused_result));

/*
 * The outcome of a reload that started: rc 0 when the new table is
 * published, msg "reloaded: N zones added, N removed, N changed, N
 * unchanged\n" and then a line for each setting that needs a restart; or a
 * negative code with the reason in msg (one line, no newline): a zone file
 * that failed to load (its error), DP_ECANCELED when the manager stopped
 * first, DP_ENOMEM.  Nothing changed then.  msg is valid during the call.
 * Loop thread.
 */
typedef void (*dd_reload_done_fn)(void *ctx, int rc, const char *msg);

/*
 * Reload (dpdnsctl reload, SIGHUP): re-reads the configuration file the
 * manager was created with (the boot configuration's path) and applies its
 * zones, keys and remotes:
 *  - zones added are loaded (static: from their file; secondary: persisted
 *    copy, file or no data, then refreshed) and served;
 *  - zones removed are no longer served (REFUSED); a refresh running for
 *    one is cancelled, and jobs in the thread pool finish and are dropped;
 *  - zones kept keep their identity; static ones have their file re-read
 *    (a changed path included); secondary ones keep their data, serial and
 *    timers, take new primaries, keys, timer bounds and size limit, and
 *    refresh at once from new primaries;
 *  - a zone that turns static <-> secondary is loaded anew.
 * Settings that cannot change at run time (conf_restart_diff) keep their
 * running value; each one changed is logged and listed in msg.
 *
 * The file is read and validated here, on the loop (milliseconds); zone
 * files are read in the thread pool, and the result is one new table
 * published through the publish callback, so queries see either the old or
 * the new set of zones, never a mix.  If anything fails (the file, a key, a
 * zone file), nothing changes and the failure is logged; either way "reloaded: ..."
 * or "reload failed, nothing changed: ..." is logged when the outcome is known.
 *
 * Returns 0 when the reload started, with msg saying what it will do (and
 * what needs a restart); done(ctx, ...) is then called once, on the loop
 * thread, when the outcome is known (done may be NULL).  Or a negative code
 * with the reason in msg, and done is not called: the configuration error
 * ("FILE:LINE: ..."), DP_EEXIST while another reload runs, DP_ENOMEM.
 * msg (msglen >= 1) is always NUL-terminated.  Loop thread, after
 * dd_zonemgr_start.
 */
int dd_zonemgr_reload(struct dd_zonemgr *m, char *msg, size_t msglen, dd_reload_done_fn done,
		      void *ctx) __attribute__((warn_unused_result));

/*
 * Answers a NOTIFY (opcode 4) received over UDP or TCP from peer, in place
 * in msg[0..len) (capacity cap).  Returns the response length, or 0 to send
 * nothing (not a NOTIFY, unparsable).  Loop thread.
 */
size_t dd_zonemgr_notify(struct dd_zonemgr *m, const struct sockaddr *peer, uint8_t *msg,
			 size_t len, size_t cap);

/*
 * Cancels transfers and timers and closes the manager's handles; the loop
 * must run on until they are closed (and running jobs returned).
 */
void dd_zonemgr_stop(struct dd_zonemgr *m);

/*
 * Control handlers (loop thread): zone-status [ZONE] (text or JSON),
 * zone-refresh ZONE / zone-retransfer ZONE (axfr), zone-show ZONE (the
 * served records as zone text).  Unknown zones are an error.
 */
int dd_zonemgr_ctl_status(struct dd_zonemgr *m, struct sp_ctl_req *req);
int dd_zonemgr_ctl_refresh(struct dd_zonemgr *m, struct sp_ctl_req *req, bool axfr);
int dd_zonemgr_ctl_show(struct dd_zonemgr *m, struct sp_ctl_req *req);

/*
 * Per-zone Prometheus families: serial, expired, refresh ages, transfers by
 * kind and result, transfer durations (a summary by kind).  Loop thread.
 */
void dd_zonemgr_metrics(struct dd_zonemgr *m, struct sp_prom *p);

/* How many zones m serves (configured). */
unsigned dd_zonemgr_count(const struct dd_zonemgr *m);

/*
 * Copies what telemetry shows of the first max zones into out[]; returns
 * how many were copied.  Loop thread (the copy may then go to any thread).
 */
unsigned dd_zonemgr_zones(const struct dd_zonemgr *m, struct dd_zone_info *out, unsigned max);

/* Frees m (after dd_zonemgr_stop and the loop's end); NULL is a no-op. */
void dd_zonemgr_free(struct dd_zonemgr *m);
