/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zone loading (src/zone/load.h): the demo zones, syntax errors with file and
 * line, $ORIGIN/$TTL/$INCLUDE, defaults, rejected records, and a generated
 * 100k-name zone.
 */
#include "zone/load.h"

#include <limits.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "dns/rrtype.h"
#include "zonetest.h"

static struct zone_contents *load_data(const char *name, const char *origin, struct capture *c)
{
	char *path = data_path(name);
	capture_init(c);
	struct zone_contents *z = zone_load_file(path, origin, &c->diag);
	free(path);
	return z;
}

static const struct zone_rrset *rrset_at(const struct zone_contents *z, const char *owner,
					 uint16_t type)
{
	const struct zone_node *n = zone_contents_find(z, wn(owner));
	cr_assert_not_null(n, "no node %s", owner);
	const struct zone_rrset *rs = zone_node_rrset(n, type);
	cr_assert_not_null(rs, "no type %u at %s", type, owner);
	return rs;
}

Test(load, demo_example_com)
{
	struct capture c;
	struct zone_contents *z =
		load_data("../../../config/zones/example.com.zone", "example.com", &c);
	cr_assert_not_null(z);
	cr_assert_eq(c.n, 0);
	cr_assert_eq(z->serial, 2024060101);
	cr_assert_str_eq(nt(z->origin), "example.com.");
	const struct zone_node *apex = zone_contents_apex(z);
	cr_assert_not_null(apex);
	cr_assert_eq(zone_node_rrset(apex, DNS_T_NS)->count, 2);
	cr_assert_eq(zone_node_rrset(apex, DNS_T_SOA)->ttl, 3600);
	cr_assert_eq(rrset_at(z, "web1.example.com.", DNS_T_A)->ttl, 300);
	cr_assert_eq(rrset_at(z, "web1.example.com.", DNS_T_A)->count, 2);
	cr_assert_not_null(rrset_at(z, "www.example.com.", DNS_T_CNAME));
	cr_assert_eq(zone_contents_find(z, wn("*.example.com."))->flags, ZONE_NODE_WILDCARD);
	cr_assert_eq(zone_contents_find(z, wn("sub.example.com."))->flags, ZONE_NODE_DELEGATION);
	cr_assert_eq(zone_contents_find(z, wn("ns.sub.example.com."))->flags, ZONE_NODE_OCCLUDED);
	/* corp.example.com is an empty non-terminal: not a node, found by order. */
	size_t pos;
	cr_assert(!zone_contents_search(z, wn("corp.example.com."), &pos));
	cr_assert_str_eq(nt(z->nodes[pos].owner), "host1.corp.example.com.");
	cr_assert_not_null(rrset_at(z, "_sip._udp.example.com.", DNS_T_SRV));
	cr_assert_eq(rrset_at(z, "example.com.", DNS_T_CAA)->count, 2);
	zone_contents_free(z);
	capture_fini(&c);
}

Test(load, demo_example_net)
{
	struct capture c;
	struct zone_contents *z =
		load_data("../../../config/zones/example.net.zone", "example.net.", &c);
	cr_assert_not_null(z);
	cr_assert_eq(c.n, 0);
	cr_assert_eq(zone_node_rrset(zone_contents_apex(z), DNS_T_SOA)->ttl, 86400);
	zone_contents_free(z);
	capture_fini(&c);
}

Test(load, syntax_error_names_file_and_line)
{
	struct capture c;
	char *path = data_path("syntax.zone");
	struct zone_contents *z = load_data("syntax.zone", "example.com.", &c);
	cr_assert_null(z);
	cr_assert_eq(c.n, 1);
	char *want = msg(path, ":5: invalid IPv4 address");
	cr_assert_str_eq(c.lines[0], want);
	free(want);
	free(path);
	capture_fini(&c);
}

Test(load, directives_origin_ttl_include)
{
	struct capture c;
	struct zone_contents *z = load_data("include_main.zone", "example.com.", &c);
	cr_assert_not_null(z);
	cr_assert_eq(c.n, 0);
	cr_assert_eq(z->serial, 7);
	cr_assert_eq(rrset_at(z, "example.com.", DNS_T_SOA)->ttl, 600);
	cr_assert_eq(rrset_at(z, "ns.example.com.", DNS_T_A)->ttl, 600);
	/* The included file inherits origin and the $TTL in force. */
	cr_assert_eq(rrset_at(z, "host1.example.com.", DNS_T_A)->ttl, 1200);
	cr_assert_eq(rrset_at(z, "host2.example.com.", DNS_T_A)->ttl, 300);
	cr_assert_eq(rrset_at(z, "box.lab.example.com.", DNS_T_A)->ttl, 1200);
	/* $INCLUDE with an origin; the including file's origin is back afterwards. */
	cr_assert_not_null(rrset_at(z, "sub.example.com.", DNS_T_TXT));
	cr_assert_not_null(rrset_at(z, "x.sub.example.com.", DNS_T_A));
	cr_assert_not_null(rrset_at(z, "after.lab.example.com.", DNS_T_A));
	cr_assert_eq(z->record_count, 9);
	zone_contents_free(z);
	capture_fini(&c);
}

/* An error inside an included file names that file and its line, once. */
Test(load, include_error_names_included_file)
{
	struct capture c;
	char *dir = data_path("include");
	char real[PATH_MAX];
	cr_assert_not_null(realpath(dir, real));
	struct zone_contents *z = load_data("include_bad.zone", "example.com.", &c);
	cr_assert_null(z);
	cr_assert_eq(c.n, 1);
	char *want = msg(real, "/bad.inc:2: invalid address character");
	cr_assert_str_eq(c.lines[0], want);
	free(want);
	free(dir);
	capture_fini(&c);
}

Test(load, missing_file)
{
	struct capture c;
	capture_init(&c);
	cr_assert_null(zone_load_file("/nonexistent/x.zone", "example.com.", &c.diag));
	cr_assert_eq(c.n, 1);
	cr_assert_str_eq(c.lines[0], "/nonexistent/x.zone: cannot open: No such file or directory");
	capture_fini(&c);
}

Test(load, bad_origin)
{
	struct capture c;
	capture_init(&c);
	cr_assert_null(zone_load_string("", 0, "o.zone", "a..b", &c.diag));
	cr_assert_null(zone_load_string("", 0, "o.zone", NULL, &c.diag));
	cr_assert_eq(c.n, 2);
	cr_assert_str_eq(c.lines[0], "o.zone: bad zone origin 'a..b'");
	cr_assert_str_eq(c.lines[1], "o.zone: bad zone origin ''");
	capture_fini(&c);
}

Test(load, defaults_ttl_3600_class_in)
{
	static const char text[] = "@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"
				   "u TYPE65000 \\# 3 abcdef\n";
	struct capture c;
	capture_init(&c);
	struct zone_contents *z =
		zone_load_string(text, sizeof(text) - 1, "d.zone", "example.com", &c.diag);
	cr_assert_not_null(z);
	cr_assert_eq(rrset_at(z, "ns.example.com.", DNS_T_A)->ttl, 3600);
	const struct zone_rrset *u = rrset_at(z, "u.example.com.", 65000);
	cr_assert_eq(memcmp(u->rdata, "\000\003\253\315\357", 5), 0);
	zone_contents_free(z);
	capture_fini(&c);
}

/*
 * Every record is checked; each problem is one line, and nothing is served.
 * (libzscanner itself refuses classes other than IN: "unsupported record type".)
 */
Test(load, rejected_records_one_line_each)
{
	static const char text[] = "@ SOA ns hm 1 2 3 4 5\n"
				   "@ NS ns\n"
				   "x TYPE255 \\# 0\n"
				   "other.example.org. A 192.0.2.1\n"
				   "y A \\# 3 010203\n"
				   "ns A 192.0.2.1\n";
	struct capture c;
	capture_init(&c);
	struct zone_contents *z =
		zone_load_string(text, sizeof(text) - 1, "r.zone", "example.com", &c.diag);
	cr_assert_null(z);
	cr_assert_eq(c.n, 3);
	cr_assert_str_eq(c.lines[0],
			 "r.zone:3: meta type not allowed in a zone (x.example.com. ANY)");
	cr_assert_str_eq(c.lines[1], "r.zone:4: record outside the zone example.com. "
				     "(other.example.org. A)");
	cr_assert_str_eq(c.lines[2], "r.zone:5: bad rdata: rdata does not match its type "
				     "(y.example.com. A)");
	capture_fini(&c);
}

/* A multi-line record is reported at the line where it ends. */
Test(load, multiline_record_line)
{
	static const char text[] = "@ SOA ns hm 1 2 3 4 5\n"
				   "@ NS ns\n"
				   "ns A 192.0.2.1\n"
				   "@ SOA ( ns hm\n"
				   "  2 2 3 4 5 )\n";
	struct capture c;
	capture_init(&c);
	cr_assert_null(zone_load_string(text, sizeof(text) - 1, "m.zone", "example.com", &c.diag));
	cr_assert_eq(c.n, 1);
	cr_assert_str_eq(c.lines[0], "m.zone:5: more than one SOA record (example.com. SOA)");
	capture_fini(&c);
}

/* Several syntax errors: each gets its line, and the zone is not returned. */
Test(load, several_syntax_errors)
{
	static const char text[] = "@ SOA ns hm 1 2 3 4 5\n"
				   "@ NS ns\n"
				   "a A 1.2.3\n"
				   "b MX x\n"
				   "c BOGUS 1\n"
				   "ns A 192.0.2.1\n";
	struct capture c;
	capture_init(&c);
	cr_assert_null(zone_load_string(text, sizeof(text) - 1, "s.zone", "example.com", &c.diag));
	cr_assert_eq(c.n, 3);
	cr_assert(strncmp(c.lines[0], "s.zone:3: ", 10) == 0, "%s", c.lines[0]);
	cr_assert(strncmp(c.lines[1], "s.zone:4: ", 10) == 0, "%s", c.lines[1]);
	cr_assert(strncmp(c.lines[2], "s.zone:5: ", 10) == 0, "%s", c.lines[2]);
	capture_fini(&c);
}

Test(load, generated_100k_names)
{
	char path[] = "/tmp/dpdns-zone-test-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fprintf(f, "$ORIGIN big.test.\n@ SOA ns hm 1 7200 3600 1209600 300\n@ NS ns\n"
		   "ns A 192.0.2.1\n");
	const unsigned n = 100000;
	/* Not in order, to make the sort work. */
	for (unsigned i = 0; i < n; i++) {
		unsigned k = (i * 7919u) % n;
		fprintf(f, "h%u A 10.%u.%u.%u\n", k, k >> 16, (k >> 8) & 255, k & 255);
	}
	cr_assert_eq(fclose(f), 0);

	struct capture c;
	capture_init(&c);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct zone_contents *z = zone_load_file(path, "big.test.", &c.diag);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	unlink(path);
	cr_assert_not_null(z);
	cr_assert_eq(c.n, 0);
	cr_assert_eq(z->node_count, n + 2);
	cr_assert_eq(z->record_count, n + 3);
	for (size_t i = 1; i < z->node_count; i++)
		cr_assert_lt(dns_name_cmp(z->nodes[i - 1].owner, z->nodes[i].owner), 0);
	const struct zone_rrset *a = rrset_at(z, "h65793.big.test.", DNS_T_A);
	cr_assert_eq(memcmp(a->rdata, "\000\004\012\001\001\001", 6), 0);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_log_info("100k names: %.3f s, %zu bytes (%.1f bytes/record)", secs, z->mem_bytes,
		    (double)z->mem_bytes / (double)z->record_count);
	zone_contents_free(z);
	capture_fini(&c);
}

/* Empty rdata (RFC 3597 "\# 0") is legal for an unknown type and survives. */
Test(load, empty_rdata)
{
	static const char text[] = "@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"
				   "e TYPE65001 \\# 0\ne TYPE65001 \\# 0\n";
	struct zone_contents *z =
		zone_load_string(text, sizeof(text) - 1, "e.zone", "example.com", NULL);
	cr_assert_not_null(z);
	const struct zone_rrset *rs = rrset_at(z, "e.example.com.", 65001);
	cr_assert_eq(rs->count, 1);
	cr_assert_eq(rs->size, 2);
	cr_assert_eq(zone_rr_len(rs->rdata), 0);
	zone_contents_free(z);
}
