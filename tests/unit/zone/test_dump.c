/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Canonical dump (src/zone/dump.h): load -> dump -> load gives identical
 * contents and an identical second dump, for the demo zones and for a zone
 * with every supported type; SOA first; one RR per line, absolute names.
 */
#include "zone/dump.h"

#include <criterion/criterion.h>

#include "dns/rrtype.h"
#include "zone/load.h"
#include "zonetest.h"

static void round_trip(const char *file, const char *origin)
{
	struct capture c;
	char *path = data_path(file);
	capture_init(&c);
	struct zone_contents *z1 = zone_load_file(path, origin, &c.diag);
	cr_assert_not_null(z1, "%s", path);
	char *text1 = dump_string(z1);
	struct zone_contents *z2 = zone_load_string(text1, strlen(text1), "dump1", origin, &c.diag);
	cr_assert_not_null(z2, "dump of %s does not load:\n%s", path, text1);
	assert_same_contents(z1, z2);
	char *text2 = dump_string(z2);
	cr_assert_str_eq(text1, text2);
	cr_assert_eq(c.n, 0);

	/* The dump starts with the SOA; one RR per line, every owner absolute. */
	cr_assert(strstr(text1, "\tSOA\t") != NULL);
	cr_assert(strstr(text1, "\tSOA\t") < strchr(text1, '\n'));
	size_t lines = 0;
	for (const char *p = text1; *p; p = strchr(p, '\n') + 1) {
		const char *sp = strpbrk(p, " \t");
		cr_assert_not_null(sp);
		cr_assert_eq(sp[-1], '.', "owner not absolute: %.40s", p);
		lines++;
	}
	cr_assert_eq(lines, z1->record_count);

	free(text1);
	free(text2);
	zone_contents_free(z1);
	zone_contents_free(z2);
	capture_fini(&c);
	free(path);
}

Test(dump, round_trip_example_com)
{
	round_trip("../../../config/zones/example.com.zone", "example.com.");
}

Test(dump, round_trip_example_net)
{
	round_trip("../../../config/zones/example.net.zone", "example.net.");
}

Test(dump, round_trip_all_types)
{
	round_trip("alltypes.zone", "types.test.");
}

Test(dump, round_trip_includes)
{
	round_trip("include_main.zone", "example.com.");
}

Test(dump, all_types_present)
{
	static const uint16_t types[] = {
		DNS_T_A,	  DNS_T_NS,    DNS_T_CNAME, DNS_T_SOA,	 DNS_T_PTR,    DNS_T_HINFO,
		DNS_T_MX,	  DNS_T_TXT,   DNS_T_AAAA,  DNS_T_SRV,	 DNS_T_NAPTR,  DNS_T_DNAME,
		DNS_T_DS,	  DNS_T_SSHFP, DNS_T_RRSIG, DNS_T_NSEC,	 DNS_T_DNSKEY, DNS_T_NSEC3,
		DNS_T_NSEC3PARAM, DNS_T_TLSA,  DNS_T_SVCB,  DNS_T_HTTPS, DNS_T_CAA,    65000,
	};
	struct capture c;
	char *path = data_path("alltypes.zone");
	capture_init(&c);
	struct zone_contents *z = zone_load_file(path, "types.test.", &c.diag);
	cr_assert_not_null(z);
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		bool found = false;
		for (size_t i = 0; i < z->rrset_count && !found; i++)
			found = z->rrsets[i].type == types[t];
		cr_assert(found, "type %u missing", types[t]);
	}
	/* Two RRSIG groups at one name, each with its own TTL. */
	const struct zone_node *n = zone_contents_find(z, wn("signed.types.test."));
	cr_assert_eq(zone_node_rrsig(n, DNS_T_A)->ttl, 3600);
	cr_assert_eq(zone_node_rrsig(n, DNS_T_NSEC)->ttl, 3600);
	char *text = dump_string(z);
	cr_assert(strstr(text, "\t3600\tIN\tTYPE65000\t\\# 4 0A0B0C0D\n") != NULL, "%s", text);
	free(text);
	zone_contents_free(z);
	capture_fini(&c);
	free(path);
}

/* Duplicates and mixed case collapse; the dump keeps rdata case, owners lowercase. */
Test(dump, duplicates_and_case)
{
	static const char text[] = "@ SOA ns hm 1 2 3 4 5\n@ NS ns\n@ NS NS\nNS A 192.0.2.1\n"
				   "ns A 192.0.2.1\nWWW MX 10 Mail.Example.COM.\n"
				   "www MX 10 mail.example.com.\n";
	struct capture c;
	capture_init(&c);
	struct zone_contents *z =
		zone_load_string(text, sizeof(text) - 1, "d.zone", "example.com", &c.diag);
	cr_assert_not_null(z);
	cr_assert_eq(z->record_count, 4);
	char *out = dump_string(z);
	cr_assert_str_eq(out,
			 "example.com.        \t3600\tIN\tSOA\tns.example.com. hm.example.com. "
			 "1 2 3 4 5\n"
			 "example.com.        \t3600\tIN\tNS\tns.example.com.\n"
			 "ns.example.com.     \t3600\tIN\tA\t192.0.2.1\n"
			 "www.example.com.    \t3600\tIN\tMX\t10 Mail.Example.COM.\n");
	free(out);
	zone_contents_free(z);
	capture_fini(&c);
}

Test(dump, write_error)
{
	static const char text[] = "@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n";
	struct zone_contents *z =
		zone_load_string(text, sizeof(text) - 1, "w.zone", "example.com", NULL);
	cr_assert_not_null(z);
	FILE *f = fopen("/dev/full", "w");
	cr_assert_not_null(f);
	cr_assert_lt(zone_dump(z, f), 0);
	fclose(f);
	zone_contents_free(z);
}
