/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zone semantic checks (src/zone/check.h): every check has a zone in
 * tests/unit/data that triggers it, and the exact line it produces
 * (FILE:LINE: reason (OWNER TYPE)) is asserted; a valid zone produces none.
 */
#include "zone/check.h"

#include <criterion/criterion.h>

#include "dns/errcode.h"
#include "zone/load.h"
#include "zonetest.h"

/*
 * Loads data file name as origin; asserts the load fails (or succeeds, for
 * warnings) with exactly the one expected line.
 */
static void expect_one(const char *name, bool loads, enum zone_diag_level level, const char *suffix)
{
	struct capture c;
	char *path = data_path(name);
	char *want = msg(path, suffix);
	capture_init(&c);
	struct zone_contents *z = zone_load_file(path, "example.com.", &c.diag);
	if (loads)
		cr_assert_not_null(z, "%s should load", name);
	else
		cr_assert_null(z, "%s should not load", name);
	cr_assert_eq(c.n, 1, "%s: %u lines", name, c.n);
	cr_assert_str_eq(c.lines[0], want);
	cr_assert_eq(c.levels[0], level);
	cr_assert_eq(level == ZONE_DIAG_ERROR ? c.diag.errors : c.diag.warnings, 1);
	zone_contents_free(z);
	capture_fini(&c);
	free(want);
	free(path);
}

Test(check, no_soa)
{
	expect_one("check_no_soa.zone", false, ZONE_DIAG_ERROR,
		   ": no SOA record at the zone apex (example.com. SOA)");
}

Test(check, two_soa)
{
	expect_one("check_two_soa.zone", false, ZONE_DIAG_ERROR,
		   ":4: more than one SOA record (example.com. SOA)");
}

Test(check, soa_not_at_apex)
{
	expect_one("check_soa_not_apex.zone", false, ZONE_DIAG_ERROR,
		   ":5: SOA record not at the zone apex (sub.example.com. SOA)");
}

Test(check, record_outside_zone)
{
	expect_one("check_outside.zone", false, ZONE_DIAG_ERROR,
		   ":6: record outside the zone example.com. (www.example.org. A)");
}

Test(check, cname_beside_other_data)
{
	expect_one("check_cname_other.zone", false, ZONE_DIAG_ERROR,
		   ":7: CNAME beside other data (www.example.com. A)");
}

Test(check, two_cnames)
{
	expect_one("check_two_cname.zone", false, ZONE_DIAG_ERROR,
		   ":7: more than one CNAME record (www.example.com. CNAME)");
}

Test(check, no_ns_at_apex)
{
	expect_one("check_no_ns.zone", false, ZONE_DIAG_ERROR,
		   ": no NS record at the zone apex (example.com. NS)");
}

Test(check, ns_without_glue)
{
	expect_one("check_glue.zone", false, ZONE_DIAG_ERROR,
		   ":6: NS without glue under a delegation: ns.sub.example.com. has no A/AAAA"
		   " (sub.example.com. NS)");
}

Test(check, data_below_dname_warns)
{
	expect_one("check_dname.zone", true, ZONE_DIAG_WARNING,
		   ":7: warning: data below a DNAME is occluded (www.old.example.com. A)");
}

Test(check, valid_zones_are_silent)
{
	static const char *const zones[][2] = {
		{ "example.com.", "/../../../config/zones/example.com.zone" },
		{ "example.net.", "/../../../config/zones/example.net.zone" },
		{ "types.test.", "/alltypes.zone" },
		{ "example.com.", "/include_main.zone" },
	};
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		struct capture c;
		char *path = msg(getenv("DPDNS_TESTDATA"), zones[i][1]);
		capture_init(&c);
		struct zone_contents *z = zone_load_file(path, zones[i][0], &c.diag);
		cr_assert_not_null(z, "%s", path);
		cr_assert_eq(c.n, 0, "%s: %u lines", path, c.n);
		zone_contents_free(z);
		capture_fini(&c);
		free(path);
	}
}

/* A zone with the glue outside the delegated subtree needs none in the zone. */
Test(check, out_of_bailiwick_ns_needs_no_glue)
{
	static const char text[] = "@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"
				   "sub NS ns.example.net.\nsub NS ns\n"
				   "deep NS ns.deep\nns.deep AAAA 2001:db8::1\n";
	struct capture c;
	capture_init(&c);
	struct zone_contents *z =
		zone_load_string(text, sizeof(text) - 1, "glue.zone", "example.com", &c.diag);
	cr_assert_not_null(z);
	cr_assert_eq(c.n, 0);
	zone_contents_free(z);
	capture_fini(&c);
}

/* Several problems: one line each, in zone order, and nothing is returned. */
Test(check, several_problems_one_line_each)
{
	static const char text[] = "@ NS ns\n"	   /* 1: no SOA */
				   "a CNAME b\n"   /* 2 */
				   "a TXT \"x\"\n" /* 3: beside CNAME */
				   "d NS ns.d\n";  /* 4: no glue */
	struct capture c;
	capture_init(&c);
	struct zone_contents *z =
		zone_load_string(text, sizeof(text) - 1, "many.zone", "example.com", &c.diag);
	cr_assert_null(z);
	cr_assert_eq(c.n, 3);
	cr_assert_str_eq(c.lines[0],
			 "many.zone: no SOA record at the zone apex (example.com. SOA)");
	cr_assert_str_eq(c.lines[1], "many.zone:3: CNAME beside other data (a.example.com. TXT)");
	cr_assert_str_eq(c.lines[2], "many.zone:4: NS without glue under a delegation: "
				     "ns.d.example.com. has no A/AAAA (d.example.com. NS)");
	cr_assert_eq(c.diag.errors, 3);
	capture_fini(&c);
}

/* CNAME first and the other data second: the later record is the one named. */
Test(check, cname_later_than_other_data)
{
	static const char text[] = "@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"
				   "www AAAA 2001:db8::1\nwww CNAME ns\n";
	struct capture c;
	capture_init(&c);
	struct zone_contents *z =
		zone_load_string(text, sizeof(text) - 1, "c.zone", "example.com", &c.diag);
	cr_assert_null(z);
	cr_assert_eq(c.n, 1);
	cr_assert_str_eq(c.lines[0], "c.zone:5: CNAME beside other data (www.example.com. CNAME)");
	capture_fini(&c);
}

/* RRSIG and NSEC may sit beside a CNAME (RFC 4035 §2.5). */
Test(check, cname_with_rrsig_and_nsec_is_fine)
{
	static const char text[] =
		"@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"
		"www CNAME ns\n"
		"www NSEC ns CNAME RRSIG NSEC\n"
		"www RRSIG CNAME 13 3 3600 20250101000000 20240101000000 1 example.com. AAAA\n";
	struct capture c;
	capture_init(&c);
	struct zone_contents *z =
		zone_load_string(text, sizeof(text) - 1, "c.zone", "example.com", &c.diag);
	cr_assert_not_null(z);
	cr_assert_eq(c.n, 0);
	zone_contents_free(z);
	capture_fini(&c);
}

Test(check, two_dnames)
{
	static const char text[] = "@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"
				   "old DNAME a.example.net.\nold DNAME b.example.net.\n";
	struct capture c;
	capture_init(&c);
	cr_assert_null(zone_load_string(text, sizeof(text) - 1, "d.zone", "example.com", &c.diag));
	cr_assert_eq(c.n, 1);
	cr_assert_str_eq(c.lines[0],
			 "d.zone:5: more than one DNAME record (old.example.com. DNAME)");
	capture_fini(&c);
}

/* Without source information (e.g. a transferred zone) lines are left out. */
Test(check, without_source_has_no_lines)
{
	static const uint8_t apex[] = "\007example\003com";
	static const uint8_t a_rr[] = { 0, 4, 192, 0, 2, 1 };
	static const uint8_t cn[] = { 0, 3, 1, 'x', 0 }; /* CNAME x. */
	struct capture c;
	uint8_t *bytes;
	capture_init(&c);
	struct zone_contents *z = zone_contents_alloc(1, 2, 64, &bytes);
	cr_assert_not_null(z);
	memcpy(bytes, apex, sizeof(apex));
	memcpy(bytes + 16, a_rr, sizeof(a_rr));
	memcpy(bytes + 32, cn, sizeof(cn));
	z->nodes[0] = (struct zone_node){ .owner = bytes, .rrsets = z->rrsets, .rrset_count = 2 };
	z->rrsets[0] = (struct zone_rrset){
		.type = 1, .ttl = 60, .count = 1, .size = 6, .rdata = bytes + 16
	};
	z->rrsets[1] = (struct zone_rrset){
		.type = 5, .ttl = 60, .count = 1, .size = 5, .rdata = bytes + 32
	};
	zone_contents_seal(z, bytes);
	cr_assert_eq(z->record_count, 2);
	cr_assert_eq(z->nodes[0].flags, ZONE_NODE_APEX);
	cr_assert_eq(zone_check(z, NULL, "xfr", &c.diag), DP_EZONE);
	cr_assert_eq(c.n, 3);
	cr_assert_str_eq(c.lines[0], "xfr: no SOA record at the zone apex (example.com. SOA)");
	cr_assert_str_eq(c.lines[1], "xfr: no NS record at the zone apex (example.com. NS)");
	cr_assert_str_eq(c.lines[2], "xfr: CNAME beside other data (example.com. A)");
	zone_contents_free(z);
	capture_fini(&c);
}

Test(check, diag_report_format)
{
	struct capture c;
	capture_init(&c);
	zone_diag_report(&c.diag, ZONE_DIAG_ERROR, "f", 12, wn("a.example."), 1, "bad %d", 7);
	zone_diag_report(&c.diag, ZONE_DIAG_WARNING, "f", 0, NULL, 0, "hmm");
	zone_diag_report(&c.diag, ZONE_DIAG_ERROR, NULL, 3, wn("b."), 0, "x");
	zone_diag_report(&c.diag, ZONE_DIAG_ERROR, "f", 1, wn("c."), 65000, "y");
	cr_assert_eq(c.n, 4);
	cr_assert_str_eq(c.lines[0], "f:12: bad 7 (a.example. A)");
	cr_assert_str_eq(c.lines[1], "f: warning: hmm");
	cr_assert_str_eq(c.lines[2], "(zone):3: x (b.)");
	cr_assert_str_eq(c.lines[3], "f:1: y (c. TYPE65000)");
	cr_assert_eq(c.diag.errors, 3);
	cr_assert_eq(c.diag.warnings, 1);
	capture_fini(&c);
}

Test(check, record_checks)
{
	struct capture c;
	const uint8_t *origin = wn("example.com.");
	static const uint8_t a4[4] = { 192, 0, 2, 1 };
	capture_init(&c);
	cr_assert_eq(
		zone_check_record(&c.diag, "f", 1, origin, wn("www.example.com."), 1, 1, a4, 4), 0);
	cr_assert_eq(
		zone_check_record(&c.diag, "f", 2, origin, wn("www.example.com."), 1, 3, a4, 4),
		DP_EINVAL);
	cr_assert_eq(
		zone_check_record(&c.diag, "f", 3, origin, wn("www.example.com."), 255, 1, NULL, 0),
		DP_EINVAL);
	cr_assert_eq(
		zone_check_record(&c.diag, "f", 4, origin, wn("www.example.com."), 1, 1, a4, 3),
		DP_ERDATA);
	cr_assert_eq(zone_check_record(&c.diag, "f", 5, origin, wn("example.net."), 1, 1, a4, 4),
		     DP_EZONE);
	cr_assert_eq(c.n, 4);
	cr_assert_str_eq(c.lines[0], "f:2: class CH not supported, only IN (www.example.com. A)");
	cr_assert_str_eq(c.lines[1], "f:3: meta type not allowed in a zone (www.example.com. ANY)");
	cr_assert(strncmp(c.lines[2], "f:4: bad rdata: ", 16) == 0, "%s", c.lines[2]);
	cr_assert_str_eq(c.lines[3], "f:5: record outside the zone example.com. (example.net. A)");
	capture_fini(&c);
}

/*
 * Glue anywhere in the delegated subtree is found: at the delegation itself,
 * right after it, and after many nodes of the subtree (further than the
 * search's first steps); a missing target that sorts after every node, or
 * between two of the subtree's nodes, is reported.
 */
Test(check, glue_found_anywhere_in_the_subtree)
{
	char text[16384];
	size_t len = (size_t)snprintf(text, sizeof(text),
				      "@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"
				      "self NS self\nself A 192.0.2.2\n"
				      "next NS ns.next\nns.next AAAA 2001:db8::1\n"
				      "far NS zz.far\nfar NS ns.far\n");
	for (unsigned i = 0; i < 300; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "n%03u.far A 192.0.2.3\n",
					i);
	len += (size_t)snprintf(text + len, sizeof(text) - len,
				"zz.far A 192.0.2.4\nns.far A 192.0.2.5\n"
				"zzz NS zzzz.zzz\n"		      /* 312: after every node */
				"mid NS n150x.mid\nmid NS n150.mid\n" /* 313, 314 */
				"n149.mid A 192.0.2.6\nn151.mid A 192.0.2.6\n");
	cr_assert_lt(len, sizeof(text));
	struct capture c;
	capture_init(&c);
	struct zone_contents *z = zone_load_string(text, len, "glue.zone", "example.com", &c.diag);
	cr_assert_null(z);
	cr_assert_eq(c.n, 3);
	/* The RRset's RRs in canonical order: n150 before n150x. */
	cr_assert_str_eq(c.lines[0], "glue.zone:314: NS without glue under a delegation: "
				     "n150.mid.example.com. has no A/AAAA (mid.example.com. NS)");
	cr_assert_str_eq(c.lines[1], "glue.zone:313: NS without glue under a delegation: "
				     "n150x.mid.example.com. has no A/AAAA (mid.example.com. NS)");
	cr_assert_str_eq(c.lines[2], "glue.zone:312: NS without glue under a delegation: "
				     "zzzz.zzz.example.com. has no A/AAAA (zzz.example.com. NS)");
	zone_contents_free(z);
	capture_fini(&c);
}
