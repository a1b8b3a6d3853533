/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus text exposition writer (src/slowpath/prom.h): exact output
 * for families, samples, labels and values; escaping of HELP text and label
 * values; and every check (names, duplicate labels, samples outside their
 * family, families declared twice) refusing instead of writing.
 */
#include "slowpath/prom.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "dns/errcode.h"

#include "sptest.h"

static struct sp_buf pb;
static struct sp_prom p;

static void pinit(void)
{
	sp_buf_init(&pb, 1 << 20);
	sp_prom_init(&p, &pb);
}

static void pfini(void)
{
	sp_buf_deinit(&pb);
	sptest_leak_check();
}

TestSuite(prom, .init = pinit, .fini = pfini);

static void expect(const char *want)
{
	int rc = sp_prom_finish(&p);
	cr_assert_eq(rc, 0, "finish: %s", dp_strerror(rc));
	cr_assert_str_eq(pb.data, want);
}

Test(prom, families_and_samples)
{
	sp_prom_family(&p, "dpdns_queries_total", SP_PROM_COUNTER, "Queries received.");
	struct sp_prom_label l0[] = { { "lcore", "1" } };
	sp_prom_u64(&p, "dpdns_queries_total", l0, 1, 10);
	struct sp_prom_label l1[] = { { "lcore", "2" } };
	sp_prom_u64(&p, "dpdns_queries_total", l1, 1, UINT64_MAX);
	sp_prom_family(&p, "dpdns_zone_serial", SP_PROM_GAUGE, "Serial served.");
	struct sp_prom_label lz[] = { { "zone", "example.com." }, { "kind", "secondary" } };
	sp_prom_i64(&p, "dpdns_zone_serial", lz, 2, 2024010101);
	sp_prom_family(&p, "dpdns_up", SP_PROM_UNTYPED, NULL);
	sp_prom_i64(&p, "dpdns_up", NULL, 0, -1);
	expect("# HELP dpdns_queries_total Queries received.\n"
	       "# TYPE dpdns_queries_total counter\n"
	       "dpdns_queries_total{lcore=\"1\"} 10\n"
	       "dpdns_queries_total{lcore=\"2\"} 18446744073709551615\n"
	       "# HELP dpdns_zone_serial Serial served.\n"
	       "# TYPE dpdns_zone_serial gauge\n"
	       "dpdns_zone_serial{zone=\"example.com.\",kind=\"secondary\"} 2024010101\n"
	       "# TYPE dpdns_up untyped\n"
	       "dpdns_up -1\n");
}

Test(prom, doubles)
{
	sp_prom_family(&p, "g", SP_PROM_GAUGE, NULL);
	sp_prom_double(&p, "g", NULL, 0, 0.1);
	sp_prom_double(&p, "g", NULL, 0, 1.5e-7);
	sp_prom_double(&p, "g", NULL, 0, 3.0);
	sp_prom_double(&p, "g", NULL, 0, NAN);
	sp_prom_double(&p, "g", NULL, 0, INFINITY);
	sp_prom_double(&p, "g", NULL, 0, -INFINITY);
	expect("# TYPE g gauge\ng 0.1\ng 1.5e-07\ng 3\ng NaN\ng +Inf\ng -Inf\n");
}

Test(prom, escaping)
{
	sp_prom_family(&p, "m", SP_PROM_GAUGE, "back\\slash \"quotes\" stay\nnew line");
	struct sp_prom_label l[] = { { "v", "a\\b\"c\nd" }, { "e", "" } };
	sp_prom_u64(&p, "m", l, 2, 1);
	expect("# HELP m back\\\\slash \"quotes\" stay\\nnew line\n"
	       "# TYPE m gauge\n"
	       "m{v=\"a\\\\b\\\"c\\nd\",e=\"\"} 1\n");
}

Test(prom, names)
{
	cr_assert(sp_prom_metric_name_ok("a"));
	cr_assert(sp_prom_metric_name_ok("_a:b_1"));
	cr_assert(sp_prom_metric_name_ok(":x"));
	cr_assert_not(sp_prom_metric_name_ok(""));
	cr_assert_not(sp_prom_metric_name_ok("1a"));
	cr_assert_not(sp_prom_metric_name_ok("a-b"));
	cr_assert_not(sp_prom_metric_name_ok("a b"));
	cr_assert_not(sp_prom_metric_name_ok("é"));
	cr_assert_not(sp_prom_metric_name_ok(NULL));
	char longname[SP_PROM_NAME_MAX + 2];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cr_assert_not(sp_prom_metric_name_ok(longname));
	longname[SP_PROM_NAME_MAX] = '\0';
	cr_assert(sp_prom_metric_name_ok(longname));
	cr_assert(sp_prom_label_name_ok("zone"));
	cr_assert(sp_prom_label_name_ok("_z9"));
	cr_assert_not(sp_prom_label_name_ok("__name__"));
	cr_assert_not(sp_prom_label_name_ok("a:b"));
	cr_assert_not(sp_prom_label_name_ok("9"));
}

Test(prom, bad_family_name)
{
	sp_prom_family(&p, "bad-name", SP_PROM_GAUGE, NULL);
	cr_assert_eq(sp_prom_finish(&p), DP_EINVAL);
	cr_assert_null(pb.data, "nothing written");
}

Test(prom, bad_type)
{
	sp_prom_family(&p, "x", (enum sp_prom_type)7, NULL);
	cr_assert_eq(sp_prom_finish(&p), DP_EINVAL);
}

Test(prom, sample_outside_its_family)
{
	sp_prom_family(&p, "a", SP_PROM_GAUGE, NULL);
	sp_prom_u64(&p, "b", NULL, 0, 1);
	cr_assert_eq(sp_prom_finish(&p), DP_EINVAL);
	sp_buf_reset(&pb);
	sp_prom_init(&p, &pb);
	sp_prom_u64(&p, "a", NULL, 0, 1); /* no family yet */
	cr_assert_eq(sp_prom_finish(&p), DP_EINVAL);
}

Test(prom, summary_and_histogram)
{
	struct sp_prom_label l[] = { { "zone", "a." }, { "kind", "ixfr" } };
	sp_prom_family(&p, "d_seconds", SP_PROM_SUMMARY, "Durations.");
	sp_prom_double(&p, "d_seconds_sum", l, 2, 1.5);
	sp_prom_u64(&p, "d_seconds_count", l, 2, 3);
	struct sp_prom_label q[] = { { "quantile", "0.5" } };
	sp_prom_double(&p, "d_seconds", q, 1, 0.25);
	sp_prom_family(&p, "h_seconds", SP_PROM_HISTOGRAM, NULL);
	struct sp_prom_label le[] = { { "le", "+Inf" } };
	sp_prom_u64(&p, "h_seconds_bucket", le, 1, 3);
	sp_prom_double(&p, "h_seconds_sum", NULL, 0, 2);
	sp_prom_u64(&p, "h_seconds_count", NULL, 0, 3);
	expect("# HELP d_seconds Durations.\n"
	       "# TYPE d_seconds summary\n"
	       "d_seconds_sum{zone=\"a.\",kind=\"ixfr\"} 1.5\n"
	       "d_seconds_count{zone=\"a.\",kind=\"ixfr\"} 3\n"
	       "d_seconds{quantile=\"0.5\"} 0.25\n"
	       "# TYPE h_seconds histogram\n"
	       "h_seconds_bucket{le=\"+Inf\"} 3\n"
	       "h_seconds_sum 2\n"
	       "h_seconds_count 3\n");
}

Test(prom, suffixes_only_where_the_type_has_them)
{
	sp_prom_family(&p, "c_total", SP_PROM_COUNTER, NULL);
	sp_prom_u64(&p, "c_total_sum", NULL, 0, 1); /* a counter has no _sum */
	cr_assert_eq(sp_prom_finish(&p), DP_EINVAL);
	sp_buf_reset(&pb);
	sp_prom_init(&p, &pb);
	sp_prom_family(&p, "h", SP_PROM_HISTOGRAM, NULL);
	sp_prom_u64(&p, "h", NULL, 0, 1); /* a histogram's samples all have a suffix */
	cr_assert_eq(sp_prom_finish(&p), DP_EINVAL);
	sp_buf_reset(&pb);
	sp_prom_init(&p, &pb);
	sp_prom_family(&p, "s", SP_PROM_SUMMARY, NULL);
	sp_prom_u64(&p, "s_bucket", NULL, 0, 1);
	cr_assert_eq(sp_prom_finish(&p), DP_EINVAL);
	sp_buf_reset(&pb);
	sp_prom_init(&p, &pb);
	sp_prom_family(&p, "s", SP_PROM_SUMMARY, NULL);
	sp_prom_u64(&p, "s_counts", NULL, 0, 1);
	cr_assert_eq(sp_prom_finish(&p), DP_EINVAL);
}

Test(prom, family_twice)
{
	sp_prom_family(&p, "a", SP_PROM_GAUGE, NULL);
	sp_prom_family(&p, "b", SP_PROM_GAUGE, NULL);
	sp_prom_family(&p, "a", SP_PROM_COUNTER, NULL);
	cr_assert_eq(sp_prom_finish(&p), DP_EINVAL);
	cr_assert_str_eq(pb.data, "# TYPE a gauge\n# TYPE b gauge\n");
}

Test(prom, many_distinct_families)
{
	char name[32];
	for (int i = 0; i < SP_PROM_FAMILIES_SEEN; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		sp_prom_family(&p, name, SP_PROM_COUNTER, NULL);
		sp_prom_u64(&p, name, NULL, 0, (uint64_t)i);
	}
	cr_assert_eq(sp_prom_finish(&p), 0, "distinct names are never duplicates");
}

Test(prom, bad_labels)
{
	sp_prom_family(&p, "a", SP_PROM_GAUGE, NULL);
	struct sp_prom_label dup[] = { { "x", "1" }, { "x", "2" } };
	sp_prom_u64(&p, "a", dup, 2, 1);
	cr_assert_eq(sp_prom_finish(&p), DP_EINVAL);

	struct sp_prom_label reserved[] = { { "__x", "1" } };
	struct sp_prom_label badname[] = { { "a-b", "1" } };
	struct sp_prom_label nullval[] = { { "v", NULL } };
	const struct sp_prom_label *cases[] = { reserved, badname, nullval };
	for (size_t i = 0; i < 3; i++) {
		sp_buf_reset(&pb);
		sp_prom_init(&p, &pb);
		sp_prom_family(&p, "a", SP_PROM_GAUGE, NULL);
		sp_prom_u64(&p, "a", cases[i], 1, 1);
		cr_assert_eq(sp_prom_finish(&p), DP_EINVAL, "case %zu", i);
		cr_assert_str_eq(pb.data, "# TYPE a gauge\n", "case %zu: no partial sample", i);
	}
	sp_buf_reset(&pb);
	sp_prom_init(&p, &pb);
	sp_prom_family(&p, "a", SP_PROM_GAUGE, NULL);
	sp_prom_u64(&p, "a", NULL, 1, 1); /* a count without labels */
	cr_assert_eq(sp_prom_finish(&p), DP_EINVAL);
}

Test(prom, buffer_limit)
{
	struct sp_buf small;
	struct sp_prom ps;
	sp_buf_init(&small, 16);
	sp_prom_init(&ps, &small);
	sp_prom_family(&ps, "dpdns_something_long", SP_PROM_GAUGE, NULL);
	cr_assert_eq(sp_prom_finish(&ps), DP_ESPACE);
	sp_buf_deinit(&small);
}
