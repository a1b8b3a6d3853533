/* SPDX-License-Identifier: BSD-3-Clause */
/* IXFR changesets applied to a zone version (src/xfr/apply.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/errcode.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "xfr/apply.h"
#include "zone/dump.h"
#include "zone/load.h"

#define ORIGIN "example."

static const char base_zone[] = "$ORIGIN example.\n"
				"$TTL 3600\n"
				"@ SOA ns hostmaster 100 7200 3600 1209600 300\n"
				"@ NS ns\n"
				"@ MX 10 mail\n"
				"ns A 192.0.2.53\n"
				"mail A 192.0.2.25\n"
				"www A 192.0.2.80\n"
				"www A 192.0.2.81\n";

static struct zone_contents *load(const char *text)
{
	struct zone_diag d;
	zone_diag_init(&d, NULL, NULL);
	struct zone_contents *z = zone_load_string(text, strlen(text), "test", ORIGIN, &d);
	cr_assert_not_null(z, "zone loads");
	return z;
}

/* Canonical text of a version (zone_dump), for comparisons. */
static char *dump(const struct zone_contents *z)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_assert_eq(zone_dump(z, f), 0);
	fclose(f);
	return buf;
}

static uint8_t rdbufs[64][300];
static unsigned nrdbufs;

static struct dns_rr mkrr(const char *owner, uint16_t type, uint32_t ttl, const uint8_t *rd,
			  size_t rdlen)
{
	struct dns_rr rr;
	memset(&rr, 0, sizeof(rr));
	uint8_t origin[DNS_NAME_MAXLEN];
	cr_assert_geq(dns_name_from_text(ORIGIN, NULL, origin), 0);
	int n = dns_name_from_text(owner, origin, rr.owner);
	cr_assert_gt(n, 0);
	rr.owner_len = (uint16_t)n;
	rr.type = type;
	rr.rclass = 1;
	rr.ttl = ttl;
	uint8_t *b = rdbufs[nrdbufs++ % 64];
	memcpy(b, rd, rdlen);
	rr.rdata = b;
	rr.rdlen = (uint16_t)rdlen;
	return rr;
}

static struct dns_rr a_rr(const char *owner, uint32_t ttl, uint8_t a, uint8_t b, uint8_t c,
			  uint8_t dd)
{
	uint8_t rd[4] = {a, b, c, dd};
	return mkrr(owner, DNS_T_A, ttl, rd, 4);
}

/* MX with the exchange written in the given case (identity ignores case). */
static struct dns_rr mx_rr(const char *owner, uint16_t pref, const char *exchange)
{
	uint8_t rd[260];
	rd[0] = (uint8_t)(pref >> 8);
	rd[1] = (uint8_t)pref;
	uint8_t origin[DNS_NAME_MAXLEN];
	cr_assert_geq(dns_name_from_text(ORIGIN, NULL, origin), 0);
	int n = dns_name_from_text(exchange, origin, rd + 2);
	cr_assert_gt(n, 0);
	return mkrr(owner, DNS_T_MX, 3600, rd, 2 + (size_t)n);
}

static struct dns_rr soa_rr(uint32_t serial)
{
	uint8_t rd[300];
	uint8_t origin[DNS_NAME_MAXLEN];
	cr_assert_geq(dns_name_from_text(ORIGIN, NULL, origin), 0);
	size_t n = (size_t)dns_name_from_text("ns", origin, rd);
	n += (size_t)dns_name_from_text("hostmaster", origin, rd + n);
	uint32_t v[5] = {serial, 7200, 3600, 1209600, 300};
	for (int i = 0; i < 5; i++) {
		rd[n++] = (uint8_t)(v[i] >> 24);
		rd[n++] = (uint8_t)(v[i] >> 16);
		rd[n++] = (uint8_t)(v[i] >> 8);
		rd[n++] = (uint8_t)v[i];
	}
	return mkrr("@", DNS_T_SOA, 3600, rd, n);
}

static struct xfr_changeset *cs_new(uint32_t from, uint32_t to)
{
	struct dns_rr f = soa_rr(from), t = soa_rr(to);
	struct xfr_changeset *cs = xfr_changeset_new(&f);
	cr_assert_not_null(cs);
	cr_assert_eq(xfr_changeset_set_to(cs, &t), 0);
	return cs;
}

static void cs_del(struct xfr_changeset *cs, struct dns_rr rr)
{
	cr_assert_eq(xfr_changeset_add(cs, 0, &rr), 0);
}

static void cs_add(struct xfr_changeset *cs, struct dns_rr rr)
{
	cr_assert_eq(xfr_changeset_add(cs, 1, &rr), 0);
}

static unsigned errors;
static char last_error[512];

static void capture(void *ctx, enum zone_diag_level level, const char *line)
{
	(void)ctx;
	if (level == ZONE_DIAG_ERROR) {
		errors++;
		snprintf(last_error, sizeof(last_error), "%s", line);
	}
}

static int apply(const struct zone_contents *old, const struct xfr_changeset *cs,
		 struct zone_contents **out)
{
	struct zone_diag d;
	zone_diag_init(&d, capture, NULL);
	errors = 0;
	last_error[0] = '\0';
	return xfr_apply(old, cs, "example. from 192.0.2.1", &d, out);
}

/* The expected result, as zone text, compared with the applied version. */
static void expect_zone(const struct zone_contents *got, const char *text)
{
	struct zone_contents *want = load(text);
	char *a = dump(got), *b = dump(want);
	cr_expect_str_eq(a, b);
	free(a);
	free(b);
	zone_contents_free(want);
}

Test(apply, one_changeset)
{
	struct zone_contents *old = load(base_zone), *z = NULL;
	struct xfr_changeset *cs = cs_new(100, 101);
	cs_del(cs, a_rr("www", 3600, 192, 0, 2, 81));
	cs_add(cs, a_rr("www", 3600, 192, 0, 2, 82));
	cs_add(cs, a_rr("new", 60, 192, 0, 2, 90));
	cr_assert_eq(apply(old, cs, &z), 0, "%s", last_error);
	cr_expect_eq(z->serial, 101);
	expect_zone(z, "$ORIGIN example.\n$TTL 3600\n"
		       "@ SOA ns hostmaster 101 7200 3600 1209600 300\n"
		       "@ NS ns\n@ MX 10 mail\nns A 192.0.2.53\nmail A 192.0.2.25\n"
		       "www A 192.0.2.80\nwww A 192.0.2.82\nnew 60 A 192.0.2.90\n");
	/* The old version is untouched. */
	cr_expect_eq(old->serial, 100);
	char *o = dump(old);
	cr_expect(strstr(o, "192.0.2.81") != NULL);
	free(o);
	zone_contents_free(z);
	xfr_changeset_list_free(cs);
	zone_contents_free(old);
}

Test(apply, three_changesets_fold)
{
	struct zone_contents *old = load(base_zone), *z = NULL;
	struct xfr_changeset *c1 = cs_new(100, 101), *c2 = cs_new(101, 102), *c3 = cs_new(102, 103);
	c1->next = c2;
	c2->next = c3;
	cs_add(c1, a_rr("tmp", 3600, 192, 0, 2, 1));	/* added, then removed by c2 */
	cs_del(c1, a_rr("mail", 3600, 192, 0, 2, 25)); /* removed, then back by c3 */
	cs_del(c2, a_rr("tmp", 3600, 192, 0, 2, 1));
	cs_del(c2, mx_rr("@", 10, "MAIL"));		/* rdata names compare in any case */
	cs_add(c2, mx_rr("@", 20, "mail"));
	cs_add(c3, a_rr("mail", 3600, 192, 0, 2, 25));
	cr_assert_eq(apply(old, c1, &z), 0, "%s", last_error);
	cr_expect_eq(z->serial, 103);
	expect_zone(z, "$ORIGIN example.\n$TTL 3600\n"
		       "@ SOA ns hostmaster 103 7200 3600 1209600 300\n"
		       "@ NS ns\n@ MX 20 mail\nns A 192.0.2.53\nmail A 192.0.2.25\n"
		       "www A 192.0.2.80\nwww A 192.0.2.81\n");
	zone_contents_free(z);
	xfr_changeset_list_free(c1);
	zone_contents_free(old);
}

Test(apply, ttl_change_by_remove_and_add)
{
	struct zone_contents *old = load(base_zone), *z = NULL;
	struct xfr_changeset *cs = cs_new(100, 101);
	cs_del(cs, a_rr("ns", 3600, 192, 0, 2, 53));
	cs_add(cs, a_rr("ns", 600, 192, 0, 2, 53));
	cr_assert_eq(apply(old, cs, &z), 0, "%s", last_error);
	expect_zone(z, "$ORIGIN example.\n$TTL 3600\n"
		       "@ SOA ns hostmaster 101 7200 3600 1209600 300\n"
		       "@ NS ns\n@ MX 10 mail\nns 600 A 192.0.2.53\nmail A 192.0.2.25\n"
		       "www A 192.0.2.80\nwww A 192.0.2.81\n");
	zone_contents_free(z);
	xfr_changeset_list_free(cs);
	zone_contents_free(old);
}

Test(apply, inconsistencies_refused)
{
	struct zone_contents *old = load(base_zone), *z = (struct zone_contents *)1;

	/* Removing what is not there. */
	struct xfr_changeset *cs = cs_new(100, 101);
	cs_del(cs, a_rr("www", 3600, 192, 0, 2, 99));
	cr_expect_eq(apply(old, cs, &z), DP_EZONE);
	cr_expect_null(z);
	cr_expect(strstr(last_error, "removes a record the zone does not have"), "%s", last_error);
	cr_expect(strstr(last_error, "www.example."), "%s", last_error);
	xfr_changeset_list_free(cs);


	/* Twice in a row. */
	cs = cs_new(100, 101);
	cs_del(cs, a_rr("www", 3600, 192, 0, 2, 80));
	cs_del(cs, a_rr("www", 3600, 192, 0, 2, 80));
	cr_expect_eq(apply(old, cs, &z), DP_EZONE);
	cr_expect(strstr(last_error, "removes a record twice"), "%s", last_error);
	xfr_changeset_list_free(cs);

	/* Not from our serial. */
	cs = cs_new(99, 101);
	cr_expect_eq(apply(old, cs, &z), DP_EINVAL);
	xfr_changeset_list_free(cs);

	/* A result that fails the zone checks: a CNAME beside other data. */
	cs = cs_new(100, 101);
	uint8_t target[DNS_NAME_MAXLEN];
	uint8_t origin[DNS_NAME_MAXLEN];
	cr_assert_geq(dns_name_from_text(ORIGIN, NULL, origin), 0);
	int n = dns_name_from_text("elsewhere", origin, target);
	cs_add(cs, mkrr("www", DNS_T_CNAME, 3600, target, (size_t)n));
	cr_expect_eq(apply(old, cs, &z), DP_EZONE);
	cr_expect_null(z);
	cr_expect_gt(errors, 0);
	xfr_changeset_list_free(cs);

	/* A record outside the zone. */
	cs = cs_new(100, 101);
	cs_add(cs, a_rr("www.example.net.", 3600, 192, 0, 2, 1));
	cr_expect_eq(apply(old, cs, &z), DP_EZONE);
	xfr_changeset_list_free(cs);

	zone_contents_free(old);
}

/* nsd re-adds apex records it did not change: applied as a no-op. */
Test(apply, adding_what_is_there_is_a_no_op)
{
	struct zone_contents *old = load(base_zone), *z = NULL;
	struct xfr_changeset *cs = cs_new(100, 101);
	cs_add(cs, mx_rr("@", 10, "mail"));
	cs_add(cs, a_rr("www", 3600, 192, 0, 2, 80));
	cr_assert_eq(apply(old, cs, &z), 0, "%s", last_error);
	expect_zone(z, "$ORIGIN example.\n$TTL 3600\n"
		       "@ SOA ns hostmaster 101 7200 3600 1209600 300\n"
		       "@ NS ns\n@ MX 10 mail\nns A 192.0.2.53\nmail A 192.0.2.25\n"
		       "www A 192.0.2.80\nwww A 192.0.2.81\n");
	zone_contents_free(z);
	xfr_changeset_list_free(cs);
	zone_contents_free(old);
}
