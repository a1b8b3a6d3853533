/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/* RFC 1982 serial number arithmetic on 32-bit SOA serials. */

#include <stdint.h>

enum dns_serial_order {
	DNS_SERIAL_LT = -1,
	DNS_SERIAL_EQ = 0,
	DNS_SERIAL_GT = 1,
	DNS_SERIAL_UNDEF = 2, /* a and b are exactly 2^31 apart: comparison undefined */
};

/* Compares a with b under RFC 1982 §3.2 (SERIAL_BITS = 32). */
enum dns_serial_order dns_serial_cmp(uint32_t a, uint32_t b);

/*
 * RFC 1982 §3.1 addition: s + n modulo 2^32, for 0 <= n <= 2^31 - 1.
 * Returns DP_ERANGE (as a negative int64) when n is out of that range, else the sum.
 */
int64_t dns_serial_add(uint32_t s, uint32_t n);
