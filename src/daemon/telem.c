/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/telem.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_telemetry.h>

#include "dns/errcode.h"

/* A dict holds RTE_TEL_MAX_DICT_ENTRIES; one entry says how many zones did not fit. */
#define TEL_ZONES_MAX (RTE_TEL_MAX_DICT_ENTRIES - 1)

static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct fp_dp *tel_dp;
static struct dd_zone_info *tel_zones; /* under tel_lock */
static unsigned tel_nzones;
static struct dd_telem_tcp tel_tcp;

static int64_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

static int clamp_int(int64_t v)
{
	return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int)v;
}

/* One zone's values into d (a new dict). */
static void zone_fill(struct rte_tel_data *d, const struct dd_zone_info *z, int64_t now)
{
	rte_tel_data_start_dict(d);
	/* Values up to RTE_TEL_MAX_STRING_LEN - 1 octets: longer names are cut (E2BIG). */
	rte_tel_data_add_dict_string(d, "zone", z->name);
	rte_tel_data_add_dict_u64(d, "queries", fp_dp_zone_queries(tel_dp, z->stat_id));
	rte_tel_data_add_dict_int(d, "secondary", z->secondary);
	rte_tel_data_add_dict_int(d, "expired", z->expired);
	if (z->has_data)
		rte_tel_data_add_dict_u64(d, "serial", z->serial);
	if (z->secondary && z->last_refresh)
		rte_tel_data_add_dict_int(d, "seconds_since_refresh",
					  clamp_int(now - z->last_refresh));
	if (z->secondary && z->has_data)
		rte_tel_data_add_dict_int(d, "seconds_to_expire", clamp_int(z->expire_at - now));
}

/* Whether the zone called name (with or without the final dot, any case) is z. */
static bool zone_is(const struct dd_zone_info *z, const char *name)
{
	size_t a = strlen(z->name), b = strlen(name);
	if (a && z->name[a - 1] == '.')
		a--;
	if (b && name[b - 1] == '.')
		b--;
	return a == b && strncasecmp(z->name, name, a) == 0;
}

/*
 * /dpdns/zones: the first TEL_ZONES_MAX zones as a dict "0", "1", ... ->
 * the zone's dict, with its name under "zone" (telemetry dict keys may not
 * hold '.' or '-', and arrays cannot hold dicts, so names cannot be keys),
 * and "zones_not_shown" when there are more; /dpdns/zones,NAME: that
 * zone's dict alone.
 */
static int tel_zones_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	int64_t now = now_s();
	int rc = 0;
	pthread_mutex_lock(&tel_lock);
	if (params && *params) {
		rc = -ENOENT;
		for (unsigned i = 0; i < tel_nzones; i++)
			if (zone_is(&tel_zones[i], params)) {
				zone_fill(d, &tel_zones[i], now);
				rc = 0;
				break;
			}
		pthread_mutex_unlock(&tel_lock);
		return rc;
	}
	rte_tel_data_start_dict(d);
	unsigned shown = 0;
	for (unsigned i = 0; i < tel_nzones && shown < TEL_ZONES_MAX; i++) {
		struct rte_tel_data *z = rte_tel_data_alloc();
		if (!z) {
			rc = -ENOMEM;
			break;
		}
		zone_fill(z, &tel_zones[i], now);
		char key[16];
		snprintf(key, sizeof(key), "%u", i);
		if (rte_tel_data_add_dict_container(d, key, z, 0) < 0) {
			rte_tel_data_free(z);
			break;
		}
		shown++;
	}
	if (tel_nzones > shown)
		rte_tel_data_add_dict_u64(d, "zones_not_shown", tel_nzones - shown);
	pthread_mutex_unlock(&tel_lock);
	return rc;
}

static int tel_tcp_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	pthread_mutex_lock(&tel_lock);
	struct dd_telem_tcp t = tel_tcp;
	pthread_mutex_unlock(&tel_lock);
	const struct fp_tcp_stats *q = &tel_dp->tcp;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "connections_accepted", t.accepted);
	rte_tel_data_add_dict_u64(d, "connections_open", t.open);
	rte_tel_data_add_dict_u64(d, "connections_refused", t.refused);
	rte_tel_data_add_dict_u64(d, "connections_idle_closed", t.idle_closed);
	rte_tel_data_add_dict_u64(d, "messages", t.queries);
	rte_tel_data_add_dict_u64(d, "responses", t.responses);
	/* Written by the slow-path thread alone: racy but monotonic, like the lcores' counters. */
	rte_tel_data_add_dict_u64(d, "answered", *(const volatile uint64_t *)&q->answered);
	return 0;
}

int dd_telem_register(const struct fp_dp *dp)
{
	tel_dp = dp;
	if (rte_telemetry_register_cmd("/dpdns/zones", tel_zones_cb,
				       "dpdns zones: queries, serial, expired, seconds since "
				       "refresh, seconds to expire. Parameter: a zone name "
				       "(optional)") ||
	    rte_telemetry_register_cmd("/dpdns/tcp", tel_tcp_cb,
				       "dpdns DNS over TCP: connections accepted, open, "
				       "refused, closed idle; messages, responses, queries "
				       "answered. No parameters"))
		return DP_EEXIST;
	return 0;
}

void dd_telem_publish_zones(const struct dd_zone_info *zones, unsigned n)
{
	struct dd_zone_info *copy = NULL;
	if (n) {
		copy = malloc((size_t)n * sizeof(*copy));
		if (!copy)
			return; /* the previous copy stays: better stale than empty */
		memcpy(copy, zones, (size_t)n * sizeof(*copy));
	}
	pthread_mutex_lock(&tel_lock);
	struct dd_zone_info *old = tel_zones;
	tel_zones = copy;
	tel_nzones = n;
	pthread_mutex_unlock(&tel_lock);
	free(old);
}

void dd_telem_publish_tcp(const struct dd_telem_tcp *tcp)
{
	pthread_mutex_lock(&tel_lock);
	tel_tcp = *tcp;
	pthread_mutex_unlock(&tel_lock);
}

void dd_telem_clear(void)
{
	pthread_mutex_lock(&tel_lock);
	struct dd_zone_info *old = tel_zones;
	tel_zones = NULL;
	tel_nzones = 0;
	pthread_mutex_unlock(&tel_lock);
	free(old);
}
