/* SPDX-License-Identifier: BSD-3-Clause */
#include "dns/serial.h"

#include "dns/errcode.h"

enum dns_serial_order dns_serial_cmp(uint32_t a, uint32_t b)
{
	if (a == b)
		return DNS_SERIAL_EQ;
	uint32_t d = b - a; /* modulo 2^32 */
	if (d == UINT32_C(0x80000000))
		return DNS_SERIAL_UNDEF;
	return d < UINT32_C(0x80000000) ? DNS_SERIAL_LT : DNS_SERIAL_GT;
}

int64_t dns_serial_add(uint32_t s, uint32_t n)
{
	if (n > UINT32_C(0x7fffffff))
		return DP_ERANGE;
	return (uint32_t)(s + n);
}
