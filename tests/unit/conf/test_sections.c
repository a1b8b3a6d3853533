/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The acl, template and log sections of the configuration (src/conf/conf.h):
 * templates resolved into every zone (zone value, else template value, else
 * the built-in default), ACL address forms and conf_acl_find's matching,
 * log targets and levels, and each mistake refused with its line and path.
 */
#include "conf/conf.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include <criterion/criterion.h>

#include "../dns/testutil.h"
#include "dns/name.h"

#include "conftest.h"

/* Two remotes, two keys, lines 6-17; what a test adds starts on line 18. */
#define BASE                                                                \
	DP "key:\n"                                                         \
	   "  - id: k1\n"                                                   \
	   "    algorithm: hmac-sha256\n"                                   \
	   "    secret: \"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\"\n" \
	   "  - id: k2\n"                                                   \
	   "    algorithm: hmac-sha256\n"                                   \
	   "    secret: \"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\"\n" \
	   "remote:\n"                                                      \
	   "  - id: r1\n"                                                   \
	   "    address: 198.18.0.1\n"                                      \
	   "  - id: r2\n"                                                   \
	   "    address: 198.18.0.2\n"

/* ------------------------------------------------------------ templates */

Test(template, default_named_and_overridden)
{
	struct conf *c = load_ok(BASE "template:\n"
				      "  - id: default\n"
				      "    primary: r1\n"
				      "    refresh-min-interval: 100\n"
				      "    zone-max-size: 5000\n"
				      "  - id: files\n"
				      "    file: \"/srv/%s.zone\"\n"
				      "zone:\n"
				      "  - domain: a.example\n"
				      "  - domain: b.example\n"
				      "    refresh-min-interval: 7\n"
				      "    primary: [r2, r1]\n"
				      "  - domain: c.example\n"
				      "    template: files\n");
	cr_assert_eq(c->ntemplates, 2);
	cr_assert_eq(c->nzones, 3);
	/* a: everything from default, the rest built-in. */
	const struct conf_zone *z = &c->zones[0];
	cr_assert_null(z->file);
	cr_assert_eq(z->nprimaries, 1);
	cr_assert_eq(z->primaries[0], &c->remotes[0]);
	cr_assert_eq(z->refresh_min, 100);
	cr_assert_eq(z->refresh_max, 86400);
	cr_assert_eq(z->retry_min, 1);
	cr_assert_eq(z->max_size, 5000);
	/* b: its own values win; the template's array is not shared. */
	z = &c->zones[1];
	cr_assert_eq(z->refresh_min, 7);
	cr_assert_eq(z->nprimaries, 2);
	cr_assert_eq(z->primaries[0], &c->remotes[1]);
	cr_assert_eq(z->max_size, 5000);
	cr_assert_neq(c->zones[0].primaries, c->templates[0].z.primaries);
	/* c: template files only, so default's values do not apply. */
	z = &c->zones[2];
	cr_assert_str_eq(z->file, "/srv/c.example.zone");
	cr_assert_eq(z->nprimaries, 0);
	cr_assert_eq(z->refresh_min, 2);
	cr_assert_eq(z->max_size, 0);
	conf_free(c);
}

Test(template, file_pattern)
{
	struct conf *c = load_ok(DP "template:\n"
				    "  - id: default\n"
				    "    file: \"zones/%s/%s.100%%\"\n"
				    "zone:\n"
				    "  - domain: Example.COM.\n"
				    "  - domain: .\n"
				    "  - domain: own.example\n"
				    "    file: other.zone\n");
	cr_assert_str_eq(c->zones[0].file, "/etc/dpdns/zones/example.com/example.com.100%");
	cr_assert_str_eq(c->zones[1].file, "/etc/dpdns/zones//.100%"); /* the root: "" */
	cr_assert_str_eq(c->zones[2].file, "/etc/dpdns/other.zone");
	conf_free(c);
	/* Without a directory the result is kept relative, like any path. */
	static const char t[] = DP "template:\n"
				   "  - id: default\n"
				   "    file: \"%s.zone\"\n"
				   "zone:\n"
				   "  - domain: x.example\n";
	c = load_ok_dir(t, NULL);
	cr_assert_str_eq(c->zones[0].file, "x.example.zone");
	conf_free(c);
}

/* An empty list on the zone replaces the template's primaries: then it needs a file. */
Test(template, zone_empties_a_list)
{
	static const char t[] = BASE "template:\n"
				     "  - id: default\n"
				     "    primary: r1\n"
				     "zone:\n"
				     "  - domain: a.example\n"
				     "    primary: []\n";
	load_err(t, 22, "zone[0]: a zone needs 'file' or 'primary' (or both)", "template");
	static const char t2[] = BASE "template:\n"
				      "  - id: default\n"
				      "    primary: r1\n"
				      "zone:\n"
				      "  - domain: a.example\n"
				      "    primary: []\n"
				      "    file: a.zone\n";
	struct conf *c = load_ok(t2);
	cr_assert_eq(c->zones[0].nprimaries, 0);
	cr_assert_null(c->zones[0].primaries);
	conf_free(c);
}

Test(template, errors)
{
	load_err(BASE "template:\n"
		      "  - id: t\n"
		      "    primary: r1\n"
		      "zone:\n"
		      "  - domain: a.example\n"
		      "    template: nope\n",
		 23,
		 "zone[0].template: no template with id 'nope' (the template section defines it)");
	load_err(BASE "template:\n"
		      "  - id: t\n"
		      "    primary: r1\n"
		      "  - id: t\n"
		      "    file: x\n",
		 21, "template[1].id: duplicate template id 't' (also template[0], line 19)");
	load_err(BASE "template:\n"
		      "  - id: t\n"
		      "    domain: example.com\n",
		 20, "template[0].domain: a template cannot set 'domain'");
	load_err(BASE "template:\n"
		      "  - id: t\n"
		      "    file: \"%d.zone\"\n",
		 20, "template[0].file: '%d.zone': a '%' must start %s (the zone name) or %%");
	load_err(BASE "template:\n"
		      "  - id: t\n"
		      "    file: \"x%\"\n",
		 20, "template[0].file: 'x%'");
	load_err(BASE "template:\n"
		      "  - id: t\n"
		      "    template: u\n",
		 20, "template[0].template: unknown key");
	load_err(BASE "template:\n"
		      "  - primary: r1\n",
		 19, "template[0].id: missing (required)");
	load_err(BASE "template:\n"
		      "  - id: t\n"
		      "    primary: r3\n",
		 20, "template[0].primary: no remote with id 'r3'");
	load_err(BASE "template:\n"
		      "  - id: t\n"
		      "    retry-min-interval: 600\n"
		      "    retry-max-interval: 300\n",
		 21, "template[0].retry-max-interval: 300 is below retry-min-interval (600)");
	/* A zone's own bound against its template's. */
	load_err(BASE "template:\n"
		      "  - id: default\n"
		      "    primary: r1\n"
		      "    refresh-min-interval: 100\n"
		      "zone:\n"
		      "  - domain: a.example\n"
		      "    refresh-max-interval: 50\n",
		 24, "zone[0].refresh-max-interval: 50 is below refresh-min-interval (100)");
	load_err(BASE "template:\n"
		      "  - id: t\n"
		      "    primary: r1\n"
		      "zone:\n"
		      "  - domain: a.example\n"
		      "    template: [t]\n",
		 23, "zone[0].template: expected a scalar, got a list");
	load_err(DP "template:\n"
		    "  - id: default\n"
		    "    file: \"zones/%s.zone\"\n"
		    "zone:\n"
		    "  - domain: a/b.example\n",
		 10, "zone[0]: the zone name 'a/b.example.' has a '/'");
	/* The template section comes before zone, whatever the file's order. */
	struct conf *c = load_ok(BASE "zone:\n"
				      "  - domain: a.example\n"
				      "    template: t\n"
				      "template:\n"
				      "  - id: t\n"
				      "    primary: r2\n");
	cr_assert_eq(c->zones[0].primaries[0], &c->remotes[1]);
	conf_free(c);
}

/* ----------------------------------------------------------------- ACLs */

Test(acl, address_forms)
{
	uint8_t a[16];
	struct conf *c = load_ok(
		BASE "acl:\n"
		     "  - id: a\n"
		     "    address: [198.18.0.77/24, 198.18.1.5-198.18.1.9, \"2001:db8::/32\","
		     " \"::/0\", 198.18.9.9, 0.0.0.0/0]\n"
		     "    action: notify\n"
		     "  - id: b\n"
		     "    key: K1.\n"
		     "    action: [notify]\n"
		     "    deny: false\n");
	cr_assert_eq(c->nacls, 2);
	const struct conf_acl *acl = &c->acls[0];
	cr_assert_eq(acl->naddrs, 6);
	v4(a, "198.18.0.0");
	cr_assert_arr_eq(acl->addrs[0].lo, a, 16, "host bits cleared");
	v4(a, "198.18.0.255");
	cr_assert_arr_eq(acl->addrs[0].hi, a, 16);
	v4(a, "198.18.1.5");
	cr_assert_arr_eq(acl->addrs[1].lo, a, 16);
	v4(a, "198.18.1.9");
	cr_assert_arr_eq(acl->addrs[1].hi, a, 16);
	cr_assert_eq(acl->addrs[2].family, AF_INET6);
	v6(a, "2001:db8::");
	cr_assert_arr_eq(acl->addrs[2].lo, a, 16);
	v6(a, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	cr_assert_arr_eq(acl->addrs[2].hi, a, 16);
	v6(a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	cr_assert_arr_eq(acl->addrs[3].hi, a, 16);
	v4(a, "255.255.255.255");
	cr_assert_arr_eq(acl->addrs[5].hi, a, 16);
	cr_assert_eq(acl->line, 19);
	acl = &c->acls[1];
	cr_assert_eq(acl->naddrs, 0);
	cr_assert_eq(acl->key, &c->keys[0], "key ids compare as names");
	cr_assert_not(acl->deny);
	conf_free(c);
}

Test(acl, errors)
{
#define ACL1 BASE "acl:\n  - id: a\n    action: notify\n"
	load_err(
		ACL1 "    address: 198.18.0.300\n", 21,
		"acl[0].address: '198.18.0.300' is not ADDRESS, ADDRESS/PREFIX or ADDRESS-ADDRESS");
	load_err(ACL1 "    address: [198.18.0.1, 198.18.0.1/33]\n", 21,
		 "acl[0].address[1]: bad prefix length in '198.18.0.1/33' (IPv4: 0..32)");
	load_err(ACL1 "    address: 198.18.0.9-198.18.0.1\n", 21,
		 "acl[0].address: '198.18.0.9-198.18.0.1': the range's start is above its end");
	load_err(ACL1 "    address: \"198.18.0.1-2001:db8::1\"\n", 21,
		 "acl[0].address: '198.18.0.1-2001:db8::1': the range's ends are of different "
		 "families");
	load_err(ACL1 "    address: 198.18.0.1-x\n", 21,
		 "acl[0].address: '198.18.0.1-x': the range's end");
	load_err(ACL1 "    address: 198.18.0.1-198.18.0.2/24\n", 21,
		 "acl[0].address: '198.18.0.1-198.18.0.2/24': a range takes no prefix");
	load_err(ACL1 "    address: \"::ffff:198.18.0.1\"\n", 21,
		 "acl[0].address: '::ffff:198.18.0.1' is IPv4-mapped");
	load_err(ACL1 "    address: []\n", 21, "acl[0].address: needs at least 1 address");
	load_err(ACL1 "    key: k3\n", 21, "acl[0].key: no key with id 'k3'");
	load_err(ACL1 "    deny: yes\n", 21, "acl[0].deny: expected true or false, got 'yes'");
	load_err(ACL1 "  - id: a\n    action: notify\n", 21,
		 "acl[1].id: duplicate acl id 'a' (also acl[0], line 19)");
	load_err(BASE "acl:\n  - id: a\n    action: transfer\n", 20,
		 "acl[0].action: action transfer: outbound transfers are not supported yet");
	load_err(BASE "acl:\n  - id: a\n    action: [notify, update]\n", 20,
		 "acl[0].action[1]: action update: not supported (dpdnsd has only notify)");
	load_err(BASE "acl:\n  - id: a\n    action: [notify, notify]\n", 20,
		 "acl[0].action[1]: action 'notify' is listed twice");
	load_err(BASE "acl:\n  - id: a\n    action: notfy\n", 20,
		 "acl[0].action: unknown action 'notfy' (notify)");
	load_err(BASE "acl:\n  - id: a\n    address: 198.18.0.1\n", 19,
		 "acl[0].action: missing (required)");
	load_err(BASE "acl:\n  - id: a\n    action: []\n", 20,
		 "acl[0].action: needs at least 1 action");
	load_err(ACL1 "zone:\n  - domain: x.example\n    primary: r1\n    acl: [a, b]\n", 24,
		 "zone[0].acl[1]: no acl with id 'b' (the acl section defines it)");
	load_err(ACL1 "zone:\n  - domain: x.example\n    primary: r1\n    acl: [a, a]\n", 24,
		 "zone[0].acl[1]: acl 'a' is listed twice");
	load_err(ACL1 "template:\n  - id: t\n    acl: z\n", 23,
		 "template[0].acl: no acl with id 'z'");
#undef ACL1
}

static const uint8_t *ip4(uint8_t *a, const char *s)
{
	v4(a, s);
	return a;
}

static const uint8_t *ip6(uint8_t *a, const char *s)
{
	v6(a, s);
	return a;
}

/* The first ACL that matches decides; keys must match by name; families never mix. */
Test(acl, find)
{
	struct conf *c = load_ok(BASE "acl:\n"
				      "  - id: lab\n"
				      "    address: 198.18.0.100-198.18.0.110\n"
				      "    action: notify\n"
				      "    deny: true\n"
				      "  - id: net\n"
				      "    address: [198.18.0.0/24, \"2001:db8::/64\"]\n"
				      "    action: notify\n"
				      "  - id: signed\n"
				      "    key: k2\n"
				      "    action: notify\n"
				      "zone:\n"
				      "  - domain: x.example\n"
				      "    primary: r1\n"
				      "    acl: [lab, net, signed]\n");
	const struct conf_zone *z = &c->zones[0];
	const struct conf_acl *lab = &c->acls[0], *net = &c->acls[1], *sig = &c->acls[2];
	uint8_t a[16], k1[DNS_NAME_MAXLEN], k2[DNS_NAME_MAXLEN], other[DNS_NAME_MAXLEN];
	tn(k1, "K1");
	tn(k2, "K2");
	tn(other, "k3");

	cr_assert(conf_acl_addr_match(net, AF_INET, ip4(a, "198.18.0.0")));
	cr_assert(conf_acl_addr_match(net, AF_INET, ip4(a, "198.18.0.255")));
	cr_assert_not(conf_acl_addr_match(net, AF_INET, ip4(a, "198.18.1.0")));
	cr_assert_not(conf_acl_addr_match(net, AF_INET, ip4(a, "198.17.255.255")));
	cr_assert(conf_acl_addr_match(net, AF_INET6, ip6(a, "2001:db8::ffff:1")));
	cr_assert_not(conf_acl_addr_match(net, AF_INET6, ip6(a, "2001:db8:0:1::1")));
	/* The same 4 octets as IPv6 are another address. */
	memset(a, 0, 16);
	a[0] = 198, a[1] = 18, a[2] = 0, a[3] = 1;
	cr_assert_not(conf_acl_addr_match(net, AF_INET6, a));
	cr_assert_not(conf_acl_addr_match(net, AF_UNIX, a));
	cr_assert(conf_acl_addr_match(sig, AF_INET, ip4(a, "203.0.113.1")), "no address: any");
	cr_assert(conf_acl_addr_match(sig, AF_INET6, ip6(a, "2001:db8:1::1")));

	const struct conf_acl *const *acls = z->acls;
	unsigned n = z->nacls;
	cr_assert_eq(n, 3);
	/* deny listed first wins over net, which also covers the address */
	cr_assert_eq(conf_acl_find(acls, n, CONF_ACL_NOTIFY, AF_INET, ip4(a, "198.18.0.105"), NULL),
		     lab);
	cr_assert_eq(conf_acl_find(acls, n, CONF_ACL_NOTIFY, AF_INET, ip4(a, "198.18.0.110"), k2),
		     lab);
	cr_assert_eq(conf_acl_find(acls, n, CONF_ACL_NOTIFY, AF_INET, ip4(a, "198.18.0.111"), NULL),
		     net);
	cr_assert_eq(conf_acl_find(acls, n, CONF_ACL_NOTIFY, AF_INET, ip4(a, "198.18.0.99"), NULL),
		     net);
	/* net names no key: signed or not, the address decides */
	cr_assert_eq(conf_acl_find(acls, n, CONF_ACL_NOTIFY, AF_INET, ip4(a, "198.18.0.99"), k1),
		     net);
	/* outside net: only a message signed with k2 matches signed */
	cr_assert_eq(conf_acl_find(acls, n, CONF_ACL_NOTIFY, AF_INET, ip4(a, "203.0.113.1"), k2),
		     sig);
	cr_assert_null(conf_acl_find(acls, n, CONF_ACL_NOTIFY, AF_INET, ip4(a, "203.0.113.1"), k1));
	cr_assert_null(
		conf_acl_find(acls, n, CONF_ACL_NOTIFY, AF_INET, ip4(a, "203.0.113.1"), other));
	cr_assert_null(
		conf_acl_find(acls, n, CONF_ACL_NOTIFY, AF_INET, ip4(a, "203.0.113.1"), NULL));
	/* an action none of them has; an empty list */
	cr_assert_null(conf_acl_find(acls, n, 2u, AF_INET, ip4(a, "198.18.0.99"), NULL));
	cr_assert_null(conf_acl_find(acls, 0, CONF_ACL_NOTIFY, AF_INET, a, NULL));
	cr_assert_null(conf_acl_find(NULL, 3, CONF_ACL_NOTIFY, AF_INET, a, NULL));
	/* the order is the zone's: [signed, net] finds signed first for k2 */
	const struct conf_acl *rev[] = { sig, net };
	cr_assert_eq(conf_acl_find(rev, 2, CONF_ACL_NOTIFY, AF_INET, ip4(a, "198.18.0.99"), k2),
		     sig);
	cr_assert_eq(conf_acl_find(rev, 2, CONF_ACL_NOTIFY, AF_INET, ip4(a, "198.18.0.99"), NULL),
		     net);
	conf_free(c);
}

/* ------------------------------------------------------------------ log */

Test(log, default_is_stderr_info)
{
	static const char *const texts[] = { DP, DP "log:\n", DP "log: []\n" };
	for (unsigned i = 0; i < 3; i++) {
		struct conf *c = load_ok(texts[i]);
		cr_assert_eq(c->nlogs, 1);
		cr_assert_str_eq(c->logs[0].target, "stderr");
		for (int k = 0; k < CONF_LOG_CATS; k++)
			cr_assert_eq(c->logs[0].levels[k], CONF_LOG_INFO);
		conf_free(c);
	}
}

Test(log, targets_and_levels)
{
	struct conf *c = load_ok(DP "log:\n"
				    "  - target: stdout\n"
				    "    zone: debug\n"
				    "    any: warning\n"
				    "  - target: logs/dpdnsd.log\n"
				    "    control: critical\n"
				    "  - target: /var/log/dpdnsd.log\n"
				    "    server: notice\n"
				    "    zone: error\n"
				    "    control: info\n"
				    "    any: debug\n");
	cr_assert_eq(c->nlogs, 3);
	const struct conf_log *l = c->logs;
	cr_assert_str_eq(l[0].target, "stdout");
	cr_assert_eq(l[0].levels[CONF_LOG_ZONE], CONF_LOG_DEBUG, "zone wins over any");
	cr_assert_eq(l[0].levels[CONF_LOG_SERVER], CONF_LOG_WARNING);
	cr_assert_eq(l[0].levels[CONF_LOG_CONTROL], CONF_LOG_WARNING);
	cr_assert_str_eq(l[1].target, "/etc/dpdns/logs/dpdnsd.log");
	cr_assert_eq(l[1].levels[CONF_LOG_CONTROL], CONF_LOG_CRIT);
	cr_assert_eq(l[1].levels[CONF_LOG_SERVER], CONF_LOG_NONE, "no any: nothing");
	cr_assert_eq(l[1].levels[CONF_LOG_ZONE], CONF_LOG_NONE);
	cr_assert_eq(l[2].levels[CONF_LOG_SERVER], CONF_LOG_NOTICE);
	cr_assert_eq(l[2].levels[CONF_LOG_ZONE], CONF_LOG_ERR);
	cr_assert_eq(l[2].levels[CONF_LOG_CONTROL], CONF_LOG_INFO);
	cr_assert_eq(l[2].line, 12);
	conf_free(c);
}

Test(log, errors)
{
	load_err(DP "log:\n  - target: stderr\n    any: verbose\n", 8,
		 "log[0].any: unknown level 'verbose' (critical, error, warning, notice, info or "
		 "debug)");
	load_err(DP "log:\n  - any: info\n", 7, "log[0].target: missing (required)");
	load_err(DP "log:\n  - target: syslog\n", 7,
		 "log[0]: a log target needs a level: any, server, zone or control");
	load_err(DP "log:\n  - target: syslog\n    any: info\n  - target: syslog\n    zone: info\n",
		 9, "log[1].target: duplicate target 'syslog' (also log[0], line 7)");
	load_err(DP "log:\n  - target: syslog\n    levle: info\n", 8,
		 "log[0].levle: unknown key (expected one of: target, server, zone, control, any)");
	load_err(DP "log:\n  target: syslog\n", 7, "log: expected a list, got a mapping");
	load_err(DP "log:\n  - target: \"\"\n    any: info\n", 7,
		 "log[0].target: must not be empty");
}
