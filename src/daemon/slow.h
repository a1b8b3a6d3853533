/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The daemon's slow-path thread: one libuv loop.  It serves DNS over TCP
 * (RFC 7766) on port 53 of every configured address — the fastpath hands TCP
 * to the kernel, whose sockets this thread owns — answered by the same engine
 * from the same RCU-published zone table; it runs the zone manager
 * (zonemgr.h: refresh timers, transfers, NOTIFY over UDP and TCP, reloads)
 * and is the only thread that publishes zone tables.
 *
 * Reading the table: the thread is a registered QSBR reader that stays
 * offline, going online only around each zone_answer call, so it never
 * holds up a grace period while it waits in epoll.
 */

#include <sched.h>

#include "conf/conf.h"
#include "daemon/zonemgr.h"
#include "fastpath/dataplane.h"

struct dd_slow;

/*
 * Starts the thread: binds TCP port 53 on every address of c's interfaces
 * (they must already be on the kernel interfaces) and starts zm.  dp, c and
 * zm must outlive the thread.  cpus (NULL: inherit the caller's) is the
 * thread's CPU affinity; libuv's thread pool, where transfers are applied
 * and snapshots built, inherits it.  Returns NULL (logged) on failure.
 */
struct dd_slow *dd_slow_start(const struct conf *c, struct fp_dp *dp, struct dd_zonemgr *zm,
			      const cpu_set_t *cpus);

/* Asks the loop to reload the configuration (SIGHUP; dd_zonemgr_reload).  Any thread. */
void dd_slow_reload(struct dd_slow *s);

/* Stops the loop, joins the thread, frees; NULL is a no-op.  Any thread but the slow one. */
void dd_slow_stop(struct dd_slow *s);
