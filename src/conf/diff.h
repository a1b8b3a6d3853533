/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * What differs between two loaded configurations, for a reload
 * (dpdnsctl reload, SIGHUP): per zone, which of its resolved settings
 * changed; for the whole file, which settings cannot change while dpdnsd
 * runs.
 *
 * Comparisons are by value, never by pointer: a zone's primaries compare
 * equal when each remote has the same addresses and the same key (name,
 * algorithm and secret), whatever the remotes and keys are called or where
 * they sit in the file.  Line numbers are not compared.
 *
 * Pure functions on plain data: any thread, no allocation.
 */

#include <stdbool.h>

#include "conf/conf.h"

/* Bits of conf_zone_diff: one per group of zone settings. */
enum conf_zone_change {
	CONF_ZC_FILE = 1u << 0,	     /* file (path; the text itself is not looked at) */
	CONF_ZC_PRIMARIES = 1u << 1, /* primaries: their order, addresses or keys */
	CONF_ZC_TIMERS = 1u << 2,    /* refresh-, retry-, expire-min/max-interval */
	CONF_ZC_MAX_SIZE = 1u << 3,  /* zone-max-size */
	CONF_ZC_TYPE = 1u << 4,	     /* static <-> secondary (primaries absent on one side) */
	CONF_ZC_DOMAIN = 1u << 5,    /* another zone altogether (origins differ) */
	CONF_ZC_ACL = 1u << 6,	     /* acl: the list, or an ACL's addresses, key, actions, deny */
};

/* Same key: name, algorithm (case-insensitive) and secret; the id's spelling aside. */
bool conf_key_equal(const struct conf_key *a, const struct conf_key *b);

/* Same remote: the same addresses in the same order and equal keys (or both none). */
bool conf_remote_equal(const struct conf_remote *a, const struct conf_remote *b);

/*
 * Which settings of zone b differ from zone a: an OR of enum
 * conf_zone_change bits, 0 when the zone is configured exactly the same.
 * Extend it with every field added to struct conf_zone.
 */
unsigned conf_zone_diff(const struct conf_zone *a, const struct conf_zone *b);

/* Told the key path of each setting that differs (e.g. "dataplane.interfaces"). */
typedef void (*conf_diff_fn)(void *ctx, const char *what);

/*
 * Compares the settings that cannot change while dpdnsd runs (dataplane.*,
 * control.listen, metrics.listen, server.*): calls fn (when not NULL) once per
 * setting of next that differs from running, in file order, and returns how
 * many did.
 */
unsigned conf_restart_diff(const struct conf *running, const struct conf *next, conf_diff_fn fn,
			   void *ctx);
