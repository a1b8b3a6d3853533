/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a reload compares (src/conf/diff.h): per zone, exactly the groups of
 * settings that changed, by value (a renamed remote or key with the same
 * addresses and secret is the same; a new secret or address is not); for
 * the whole file, each setting that needs a restart, and nothing else.
 */
#include "conf/diff.h"

#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "conf/conf.h"
#include "dns/errcode.h"

#define DP                                 \
	"dataplane:\n"                     \
	"  eal: \"-l 0 --no-huge\"\n"      \
	"  interfaces:\n"                  \
	"    - port: p0\n"                 \
	"      address: 198.18.0.2/24\n"
#define KEY(id, secret)                    \
	"  - id: " id "\n"                 \
	"    algorithm: hmac-sha256\n"     \
	"    secret: \"" secret "\"\n"
#define S1 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKA=="
#define S2 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKB=="

/* A config with one key, two remotes and two zones; each test varies one piece. */
static char *text(char *buf, size_t cap, const char *key, const char *remotes, const char *zones,
		  const char *extra)
{
	snprintf(buf, cap, DP "%skey:\n%sremote:\n%szone:\n%s", extra, key, remotes, zones);
	return buf;
}

static struct conf *load(const char *t)
{
	char err[512];
	struct conf *c = NULL;
	int rc = conf_load_string(t, strlen(t), "t.yaml", "/etc/dpdns", &c, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s\n--- input ---\n%s", err, t);
	return c;
}

#define REMOTES                                    \
	"  - id: p1\n"                             \
	"    address: [198.18.0.1@53, 198.18.0.9]\n" \
	"    key: k\n"                             \
	"  - id: p2\n"                             \
	"    address: 198.18.1.1@5353\n"
#define ZONES                                      \
	"  - domain: static.test\n"                \
	"    file: static.zone\n"                  \
	"  - domain: sec.test\n"                   \
	"    primary: [p1, p2]\n"

static const struct conf_zone *zone(const struct conf *c, const char *domain)
{
	for (unsigned i = 0; i < c->nzones; i++)
		if (!strcmp(c->zones[i].domain, domain))
			return &c->zones[i];
	cr_assert_fail("no zone %s", domain);
	return NULL;
}

/* The diff of zone `domain` between base and a variant. */
static unsigned zdiff(const char *key, const char *remotes, const char *zones, const char *domain)
{
	char a[4096], b[4096];
	struct conf *ca = load(text(a, sizeof(a), KEY("k", S1), REMOTES, ZONES, ""));
	struct conf *cb = load(text(b, sizeof(b), key, remotes, zones, ""));
	unsigned d = conf_zone_diff(zone(ca, domain), zone(cb, domain));
	conf_free(ca);
	conf_free(cb);
	return d;
}

Test(conf_diff, same_file_same_zones)
{
	cr_expect_eq(zdiff(KEY("k", S1), REMOTES, ZONES, "static.test."), 0);
	cr_expect_eq(zdiff(KEY("k", S1), REMOTES, ZONES, "sec.test."), 0);
}

Test(conf_diff, order_and_lines_do_not_matter)
{
	/* Zones swapped and a comment added: every line moves, nothing changes. */
	const char *z = "  # moved\n"
			"  - domain: sec.test\n"
			"    primary: [p1, p2]\n"
			"  - domain: static.test\n"
			"    file: static.zone\n";
	cr_expect_eq(zdiff(KEY("k", S1), REMOTES, z, "static.test."), 0);
	cr_expect_eq(zdiff(KEY("k", S1), REMOTES, z, "sec.test."), 0);
}

Test(conf_diff, renamed_remote_is_the_same)
{
	const char *r = "  - id: other1\n"
			"    address: [198.18.0.1@53, 198.18.0.9]\n"
			"    key: k\n"
			"  - id: other2\n"
			"    address: 198.18.1.1@5353\n";
	const char *z = "  - domain: static.test\n"
			"    file: static.zone\n"
			"  - domain: sec.test\n"
			"    primary: [other1, other2]\n";
	cr_expect_eq(zdiff(KEY("k", S1), r, z, "sec.test."), 0);
	/* A key's name goes on the wire with the TSIG: another name is another key. */
	const char *rk = "  - id: p1\n"
			 "    address: [198.18.0.1@53, 198.18.0.9]\n"
			 "    key: k2\n"
			 "  - id: p2\n"
			 "    address: 198.18.1.1@5353\n";
	cr_expect_eq(zdiff(KEY("k", S1) KEY("k2", S1), rk, ZONES, "sec.test."), CONF_ZC_PRIMARIES);
	/* Key k unused in between, but defined: still no change for a zone using p1 with k. */
	cr_expect_eq(zdiff(KEY("k2", S2) KEY("k", S1), REMOTES, ZONES, "sec.test."), 0);
}

Test(conf_diff, new_secret_changes_primaries)
{
	cr_expect_eq(zdiff(KEY("k", S2), REMOTES, ZONES, "sec.test."), CONF_ZC_PRIMARIES);
	cr_expect_eq(zdiff(KEY("k", S2), REMOTES, ZONES, "static.test."), 0);
}

Test(conf_diff, new_address_or_order_changes_primaries)
{
	const char *r = "  - id: p1\n"
			"    address: [198.18.0.1@53, 198.18.0.10]\n"
			"    key: k\n"
			"  - id: p2\n"
			"    address: 198.18.1.1@5353\n";
	cr_expect_eq(zdiff(KEY("k", S1), r, ZONES, "sec.test."), CONF_ZC_PRIMARIES);
	const char *port = "  - id: p1\n"
			   "    address: [198.18.0.1@53, 198.18.0.9]\n"
			   "    key: k\n"
			   "  - id: p2\n"
			   "    address: 198.18.1.1@53\n";
	cr_expect_eq(zdiff(KEY("k", S1), port, ZONES, "sec.test."), CONF_ZC_PRIMARIES);
	const char *z = "  - domain: static.test\n"
			"    file: static.zone\n"
			"  - domain: sec.test\n"
			"    primary: [p2, p1]\n";
	cr_expect_eq(zdiff(KEY("k", S1), REMOTES, z, "sec.test."), CONF_ZC_PRIMARIES);
}

Test(conf_diff, zone_fields)
{
	const char *file = "  - domain: static.test\n"
			   "    file: other.zone\n"
			   "  - domain: sec.test\n"
			   "    primary: [p1, p2]\n"
			   "    file: seed.zone\n";
	cr_expect_eq(zdiff(KEY("k", S1), REMOTES, file, "static.test."), CONF_ZC_FILE);
	cr_expect_eq(zdiff(KEY("k", S1), REMOTES, file, "sec.test."), CONF_ZC_FILE);
	const char *bounds = "  - domain: static.test\n"
			     "    file: static.zone\n"
			     "    retry-max-interval: 60\n"
			     "  - domain: sec.test\n"
			     "    primary: [p1, p2]\n"
			     "    expire-min-interval: 60\n"
			     "    zone-max-size: 1000000\n";
	cr_expect_eq(zdiff(KEY("k", S1), REMOTES, bounds, "static.test."), CONF_ZC_TIMERS);
	cr_expect_eq(zdiff(KEY("k", S1), REMOTES, bounds, "sec.test."),
		     CONF_ZC_TIMERS | CONF_ZC_MAX_SIZE);
}

/* Zones with ACLs: the base has acl a1 on sec.test; variants change one ACL property. */
static unsigned acl_diff(const char *acl_b, const char *zone_acl_b)
{
	char a[4096], b[4096], zb[512];
	const char *acl_a = "acl:\n  - id: a1\n    address: 198.18.0.0/24\n    action: notify\n";
	snprintf(zb, sizeof(zb), ZONES "    acl: %s\n", zone_acl_b);
	struct conf *ca = load(text(a, sizeof(a), KEY("k", S1), REMOTES, ZONES "    acl: [a1]\n",
				    acl_a));
	struct conf *cb = load(text(b, sizeof(b), KEY("k", S1), REMOTES, zb, acl_b));
	unsigned d = conf_zone_diff(zone(ca, "sec.test."), zone(cb, "sec.test."));
	conf_free(ca);
	conf_free(cb);
	return d;
}

Test(conf_diff, acl)
{
	/* Renamed, same value: no change. */
	cr_expect_eq(acl_diff("acl:\n  - id: b\n    address: 198.18.0.0/24\n    action: notify\n",
			      "[b]"),
		     0);
	cr_expect_eq(acl_diff("acl:\n  - id: a1\n    address: 198.18.0.0/25\n    action: notify\n",
			      "[a1]"),
		     CONF_ZC_ACL);
	cr_expect_eq(acl_diff("acl:\n  - id: a1\n    address: 198.18.0.0/24\n    action: notify\n"
			      "    key: k\n",
			      "[a1]"),
		     CONF_ZC_ACL);
	cr_expect_eq(acl_diff("acl:\n  - id: a1\n    address: 198.18.0.0/24\n    action: notify\n"
			      "    deny: true\n",
			      "[a1]"),
		     CONF_ZC_ACL);
	cr_expect_eq(acl_diff("acl:\n  - id: a1\n    address: 198.18.0.0/24\n    action: notify\n"
			      "  - id: a2\n    address: 198.18.1.1\n    action: notify\n",
			      "[a1, a2]"),
		     CONF_ZC_ACL);
	cr_expect_eq(acl_diff("acl:\n  - id: a1\n    address: 198.18.0.0/24\n    action: notify\n",
			      "[]"),
		     CONF_ZC_ACL);
}

Test(conf_diff, type_change)
{
	const char *z = "  - domain: static.test\n"
			"    file: static.zone\n"
			"    primary: p2\n"
			"  - domain: sec.test\n"
			"    file: sec.zone\n";
	cr_expect_eq(zdiff(KEY("k", S1), REMOTES, z, "static.test."),
		     CONF_ZC_TYPE | CONF_ZC_PRIMARIES);
	cr_expect_eq(zdiff(KEY("k", S1), REMOTES, z, "sec.test."),
		     CONF_ZC_TYPE | CONF_ZC_PRIMARIES | CONF_ZC_FILE);
}

Test(conf_diff, other_domain)
{
	char a[4096];
	struct conf *c = load(text(a, sizeof(a), KEY("k", S1), REMOTES, ZONES, ""));
	unsigned d = conf_zone_diff(zone(c, "static.test."), zone(c, "sec.test."));
	cr_expect(d & CONF_ZC_DOMAIN);
	conf_free(c);
}

Test(conf_diff, key_equal)
{
	struct conf_key a = {.name_len = 2, .algorithm = "hmac-sha256", .secret = "AA=="};
	struct conf_key b = a;
	a.name[0] = b.name[0] = 1;
	a.name[1] = b.name[1] = 'k';
	cr_expect(conf_key_equal(&a, &b));
	b.algorithm = "HMAC-SHA256";
	cr_expect(conf_key_equal(&a, &b));
	b.algorithm = "hmac-sha512";
	cr_expect_not(conf_key_equal(&a, &b));
	b = a;
	b.secret = "AB==";
	cr_expect_not(conf_key_equal(&a, &b));
	b = a;
	b.name[1] = 'j';
	cr_expect_not(conf_key_equal(&a, &b));
	cr_expect_not(conf_key_equal(&a, NULL));
	cr_expect(conf_key_equal(NULL, NULL));
}

struct seen {
	char what[16][64];
	unsigned n;
};

static void note(void *ctx, const char *what)
{
	struct seen *s = ctx;
	cr_assert_lt(s->n, 16);
	snprintf(s->what[s->n++], sizeof(s->what[0]), "%s", what);
}

static unsigned rdiff(const char *extra_a, const char *dp_b, const char *extra_b, struct seen *s)
{
	char a[4096], b[4096];
	snprintf(a, sizeof(a), DP "%szone:\n  - domain: a.test\n    file: a.zone\n", extra_a);
	snprintf(b, sizeof(b), "%s%szone:\n  - domain: b.test\n    file: b.zone\n", dp_b, extra_b);
	struct conf *ca = load(a), *cb = load(b);
	memset(s, 0, sizeof(*s));
	unsigned n = conf_restart_diff(ca, cb, note, s);
	cr_expect_eq(n, s->n);
	cr_expect_eq(conf_restart_diff(ca, cb, NULL, NULL), n);
	conf_free(ca);
	conf_free(cb);
	return n;
}

Test(conf_diff, restart_settings)
{
	struct seen s;
	/* Zones, keys and remotes are not restart settings. */
	cr_expect_eq(rdiff("", DP, "key:\n" KEY("k", S1), &s), 0);
	const char *dp2 = "dataplane:\n"
			  "  eal: \"-l 0 --no-huge\"\n"
			  "  interfaces:\n"
			  "    - port: p0\n"
			  "      address: [198.18.0.2/24, 198.18.0.3/24]\n"
			  "  mbufs: 4095\n";
	cr_expect_eq(rdiff("", dp2, "", &s), 2);
	cr_expect_str_eq(s.what[0], "dataplane.interfaces");
	cr_expect_str_eq(s.what[1], "dataplane.mbufs");
	cr_expect_eq(rdiff("", DP,
			   "server:\n  identity: ns1\n  udp-payload: 1400\n"
			   "control:\n  listen: /tmp/x.sock\n"
			   "metrics:\n  listen: 127.0.0.1@9100\n",
			   &s),
		     4);
	cr_expect_str_eq(s.what[0], "server.identity");
	cr_expect_str_eq(s.what[1], "server.udp-payload");
	cr_expect_str_eq(s.what[2], "control.listen");
	cr_expect_str_eq(s.what[3], "metrics.listen");
	cr_expect_eq(rdiff("", DP, "log:\n  - target: syslog\n    any: info\n", &s), 1);
	cr_expect_str_eq(s.what[0], "log");
	/* The same values written differently are no change. */
	cr_expect_eq(rdiff("server:\n  udp-payload: 1232\n", DP, "", &s), 0);
}
