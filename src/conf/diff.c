/* SPDX-License-Identifier: BSD-3-Clause */
#include "conf/diff.h"

#include <string.h>
#include <strings.h>

#include "dns/name.h"

/* Both NULL, or both strings and equal. */
static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool sockaddr_eq(const struct conf_sockaddr *a, const struct conf_sockaddr *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

bool conf_key_equal(const struct conf_key *a, const struct conf_key *b)
{
	if (!a || !b)
		return a == b;
	return a->name_len == b->name_len && memcmp(a->name, b->name, a->name_len) == 0 &&
	       strcasecmp(a->algorithm, b->algorithm) == 0 && strcmp(a->secret, b->secret) == 0;
}

bool conf_remote_equal(const struct conf_remote *a, const struct conf_remote *b)
{
	if (a->naddrs != b->naddrs || !conf_key_equal(a->key, b->key))
		return false;
	for (unsigned i = 0; i < a->naddrs; i++)
		if (!sockaddr_eq(&a->addrs[i], &b->addrs[i]))
			return false;
	return true;
}

/* Same ACL by value: sources, key, actions and deny; the id's spelling aside. */
static bool acl_eq(const struct conf_acl *a, const struct conf_acl *b)
{
	if (a->naddrs != b->naddrs || a->actions != b->actions || a->deny != b->deny ||
	    !conf_key_equal(a->key, b->key))
		return false;
	for (unsigned i = 0; i < a->naddrs; i++) {
		const struct conf_addr_range *x = &a->addrs[i], *y = &b->addrs[i];
		if (x->family != y->family || memcmp(x->lo, y->lo, sizeof(x->lo)) != 0 ||
		    memcmp(x->hi, y->hi, sizeof(x->hi)) != 0)
			return false;
	}
	return true;
}

unsigned conf_zone_diff(const struct conf_zone *a, const struct conf_zone *b)
{
	unsigned d = 0;
	if (a->origin_len != b->origin_len || memcmp(a->origin, b->origin, a->origin_len) != 0)
		d |= CONF_ZC_DOMAIN;
	if (!str_eq(a->file, b->file))
		d |= CONF_ZC_FILE;
	if ((a->nprimaries == 0) != (b->nprimaries == 0))
		d |= CONF_ZC_TYPE;
	if (a->nprimaries != b->nprimaries) {
		d |= CONF_ZC_PRIMARIES;
	} else {
		for (unsigned i = 0; i < a->nprimaries; i++)
			if (!conf_remote_equal(a->primaries[i], b->primaries[i]))
				d |= CONF_ZC_PRIMARIES;
	}
	if (a->refresh_min != b->refresh_min || a->refresh_max != b->refresh_max ||
	    a->retry_min != b->retry_min || a->retry_max != b->retry_max ||
	    a->expire_min != b->expire_min || a->expire_max != b->expire_max)
		d |= CONF_ZC_TIMERS;
	if (a->max_size != b->max_size)
		d |= CONF_ZC_MAX_SIZE;
	if (a->nacls != b->nacls) {
		d |= CONF_ZC_ACL;
	} else {
		for (unsigned i = 0; i < a->nacls; i++)
			if (!acl_eq(a->acls[i], b->acls[i]))
				d |= CONF_ZC_ACL;
	}
	return d;
}
static bool logs_eq(const struct conf *a, const struct conf *b)
{
	if (a->nlogs != b->nlogs)
		return false;
	for (unsigned i = 0; i < a->nlogs; i++)
		if (!str_eq(a->logs[i].target, b->logs[i].target) ||
		    memcmp(a->logs[i].levels, b->logs[i].levels, sizeof(a->logs[i].levels)) != 0)
			return false;
	return true;
}

static bool prefix_eq(const struct conf_prefix *a, const struct conf_prefix *b)
{
	return a->family == b->family && a->plen == b->plen &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

static bool ifaces_eq(const struct conf *a, const struct conf *b)
{
	if (a->dataplane.nifaces != b->dataplane.nifaces)
		return false;
	for (unsigned i = 0; i < a->dataplane.nifaces; i++) {
		const struct conf_iface *x = &a->dataplane.ifaces[i], *y = &b->dataplane.ifaces[i];
		if (!str_eq(x->port, y->port) || x->naddrs != y->naddrs)
			return false;
		for (unsigned k = 0; k < x->naddrs; k++)
			if (!prefix_eq(&x->addrs[k], &y->addrs[k]))
				return false;
	}
	return true;
}

unsigned conf_restart_diff(const struct conf *a, const struct conf *b, conf_diff_fn fn, void *ctx)
{
	/* One row per setting; add a row with every setting dpdnsd reads only at start. */
	const struct {
		const char *what;
		bool same;
	} rows[] = {
		{ "server.identity", str_eq(a->server.identity, b->server.identity) },
		{ "server.version", str_eq(a->server.version, b->server.version) },
		{ "server.rundir", str_eq(a->server.rundir, b->server.rundir) },
		{ "server.udp-payload", a->server.udp_payload == b->server.udp_payload },
		{ "server.tcp-max-clients",
		  a->server.tcp_max_clients == b->server.tcp_max_clients },
		{ "server.tcp-idle-timeout",
		  a->server.tcp_idle_timeout == b->server.tcp_idle_timeout },
		{ "dataplane.eal", str_eq(a->dataplane.eal, b->dataplane.eal) },
		{ "dataplane.interfaces", ifaces_eq(a, b) },
		{ "dataplane.exception", str_eq(a->dataplane.exception, b->dataplane.exception) },
		{ "dataplane.rx-queue-size",
		  a->dataplane.rx_queue_size == b->dataplane.rx_queue_size },
		{ "dataplane.tx-queue-size",
		  a->dataplane.tx_queue_size == b->dataplane.tx_queue_size },
		{ "dataplane.mbufs", a->dataplane.mbufs == b->dataplane.mbufs },
		{ "dataplane.idle-sleep-us",
		  a->dataplane.idle_sleep_us == b->dataplane.idle_sleep_us },
		{ "control.listen", str_eq(a->control.listen, b->control.listen) },
		{ "metrics.listen", sockaddr_eq(&a->metrics.listen, &b->metrics.listen) },
		{ "log", logs_eq(a, b) },
	};
	unsigned n = 0;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].same)
			continue;
		n++;
		if (fn)
			fn(ctx, rows[i].what);
	}
	return n;
}
