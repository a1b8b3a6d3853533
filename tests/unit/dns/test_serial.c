/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 1982 serial number arithmetic (src/dns/serial.h), SERIAL_BITS = 32. */
#include "dns/serial.h"

#include <criterion/criterion.h>

#include "dns/errcode.h"

#define HALF UINT32_C(0x80000000) /* 2^31 */

Test(serial_cmp, equal)
{
	cr_assert_eq(dns_serial_cmp(0, 0), DNS_SERIAL_EQ);
	cr_assert_eq(dns_serial_cmp(HALF, HALF), DNS_SERIAL_EQ);
	cr_assert_eq(dns_serial_cmp(UINT32_MAX, UINT32_MAX), DNS_SERIAL_EQ);
}

Test(serial_cmp, small_differences)
{
	cr_assert_eq(dns_serial_cmp(0, 1), DNS_SERIAL_LT);
	cr_assert_eq(dns_serial_cmp(1, 0), DNS_SERIAL_GT);
	cr_assert_eq(dns_serial_cmp(0, 2), DNS_SERIAL_LT);
	cr_assert_eq(dns_serial_cmp(2024010100, 2024010101), DNS_SERIAL_LT);
}

Test(serial_cmp, largest_defined_distance)
{
	/* §3.2: i1 < i2 when (i1 < i2 and i2 - i1 < 2^31) */
	cr_assert_eq(dns_serial_cmp(0, HALF - 1), DNS_SERIAL_LT);
	cr_assert_eq(dns_serial_cmp(HALF - 1, 0), DNS_SERIAL_GT);
	cr_assert_eq(dns_serial_cmp(1, HALF), DNS_SERIAL_LT);
	cr_assert_eq(dns_serial_cmp(HALF, 1), DNS_SERIAL_GT);
}

Test(serial_cmp, exactly_half_apart_is_undefined)
{
	cr_assert_eq(dns_serial_cmp(0, HALF), DNS_SERIAL_UNDEF);
	cr_assert_eq(dns_serial_cmp(HALF, 0), DNS_SERIAL_UNDEF);
	cr_assert_eq(dns_serial_cmp(1, HALF + 1), DNS_SERIAL_UNDEF);
	cr_assert_eq(dns_serial_cmp(HALF + 1, 1), DNS_SERIAL_UNDEF);
	cr_assert_eq(dns_serial_cmp(UINT32_MAX, HALF - 1), DNS_SERIAL_UNDEF);
	cr_assert_eq(dns_serial_cmp(HALF - 1, UINT32_MAX), DNS_SERIAL_UNDEF);
}

Test(serial_cmp, wrap_at_2_32)
{
	/* §3.2: i1 < i2 when (i1 > i2 and i1 - i2 > 2^31) */
	cr_assert_eq(dns_serial_cmp(UINT32_MAX, 0), DNS_SERIAL_LT);
	cr_assert_eq(dns_serial_cmp(0, UINT32_MAX), DNS_SERIAL_GT);
	cr_assert_eq(dns_serial_cmp(UINT32_MAX, HALF - 2), DNS_SERIAL_LT);
	cr_assert_eq(dns_serial_cmp(HALF - 2, UINT32_MAX), DNS_SERIAL_GT);
	cr_assert_eq(dns_serial_cmp(HALF + 1, 0), DNS_SERIAL_LT);
	cr_assert_eq(dns_serial_cmp(0, HALF + 1), DNS_SERIAL_GT);
	cr_assert_eq(dns_serial_cmp(4000000000u, 100), DNS_SERIAL_LT);
}

Test(serial_cmp, rfc1982_section_5_2_scaled)
{
	/*
	 * §5.2 (SERIAL_BITS = 2) scaled to 32 bits by multiplying by 2^30:
	 * 0 < 1, 1 < 2, 2 < 3, 3 < 0; 0 vs 2 and 1 vs 3 are undefined.
	 */
	const uint32_t q = UINT32_C(0x40000000);
	cr_assert_eq(dns_serial_cmp(0, q), DNS_SERIAL_LT);
	cr_assert_eq(dns_serial_cmp(q, 2 * q), DNS_SERIAL_LT);
	cr_assert_eq(dns_serial_cmp(2 * q, 3 * q), DNS_SERIAL_LT);
	cr_assert_eq(dns_serial_cmp(3 * q, 0), DNS_SERIAL_LT);
	cr_assert_eq(dns_serial_cmp(0, 2 * q), DNS_SERIAL_UNDEF);
	cr_assert_eq(dns_serial_cmp(q, 3 * q), DNS_SERIAL_UNDEF);
}

Test(serial_cmp, antisymmetric_sample)
{
	uint32_t x = 0x12345678;
	for (int i = 0; i < 100000; i++) {
		x = x * 1103515245u + 12345u;
		uint32_t y = x * 2654435761u + (uint32_t)i;
		enum dns_serial_order a = dns_serial_cmp(x, y), b = dns_serial_cmp(y, x);
		if (a == DNS_SERIAL_UNDEF || a == DNS_SERIAL_EQ)
			cr_assert_eq(b, a);
		else
			cr_assert_eq((int)b, -(int)a, "%u vs %u", x, y);
	}
}

Test(serial_add, basic_and_wrap)
{
	cr_assert_eq(dns_serial_add(0, 0), 0);
	cr_assert_eq(dns_serial_add(5, 0), 5);
	cr_assert_eq(dns_serial_add(1, 1), 2);
	cr_assert_eq(dns_serial_add(UINT32_MAX, 1), 0);
	cr_assert_eq(dns_serial_add(UINT32_MAX, 2), 1);
	cr_assert_eq(dns_serial_add(5, HALF - 1), (int64_t)HALF + 4);
	cr_assert_eq(dns_serial_add(HALF, HALF - 1), (int64_t)UINT32_MAX);
	cr_assert_eq(dns_serial_add(HALF + 1, HALF - 1), 0);
	cr_assert_eq(dns_serial_add(UINT32_MAX, HALF - 1), (int64_t)HALF - 2);
}

Test(serial_add, result_is_non_negative_uint32)
{
	int64_t v = dns_serial_add(UINT32_MAX - 1, 1);
	cr_assert_eq(v, (int64_t)UINT32_MAX);
	cr_assert_geq(v, 0);
}

Test(serial_add, n_out_of_range)
{
	cr_assert_eq(dns_serial_add(0, HALF), DP_ERANGE);
	cr_assert_eq(dns_serial_add(12345, HALF), DP_ERANGE);
	cr_assert_eq(dns_serial_add(0, HALF + 1), DP_ERANGE);
	cr_assert_eq(dns_serial_add(0, UINT32_MAX), DP_ERANGE);
}

Test(serial_add, sum_compares_greater)
{
	/* §3.1/3.2: s + n > s for 1 <= n <= 2^31 - 1 */
	const uint32_t ss[] = { 0, 1, HALF - 1, HALF, HALF + 1, UINT32_MAX - 1, UINT32_MAX };
	const uint32_t ns[] = { 1, 2, 1000, HALF - 2, HALF - 1 };
	for (size_t i = 0; i < sizeof(ss) / sizeof(ss[0]); i++) {
		for (size_t j = 0; j < sizeof(ns) / sizeof(ns[0]); j++) {
			int64_t v = dns_serial_add(ss[i], ns[j]);
			cr_assert_geq(v, 0);
			cr_assert_eq(dns_serial_cmp(ss[i], (uint32_t)v), DNS_SERIAL_LT, "%u + %u",
				     ss[i], ns[j]);
			cr_assert_eq(dns_serial_cmp((uint32_t)v, ss[i]), DNS_SERIAL_GT);
		}
	}
}
