/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624),
 * for the fastpath's IPv4 header and UDP checksums.
 *
 * Sums are kept in a 64-bit ones' complement accumulator fed 8 octets at a
 * time in native byte order: the ones' complement sum is byte-order
 * independent (RFC 1071 §2(B)), so only the final fold swaps, once.  An
 * accumulator starts at 0; spans are added in wire order; every span but the
 * last must have an even length (an odd one would shift the next span's
 * octets to the other half of their 16-bit words).
 *
 * The spans come from the wire cursor (dns_rd_ptr and friends) or from
 * offsets fp_pkt_classify validated: these helpers only read buf[0..len).
 * Header-only, no state: fastpath-safe, any thread.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* acc + v in 64-bit ones' complement arithmetic (end-around carry). */
static inline uint64_t fp_csum_addc(uint64_t acc, uint64_t v)
{
	acc += v;
	return acc + (acc < v);
}

/* Adds buf[0..len) to the accumulator acc; returns the new accumulator. */
static inline uint64_t fp_csum_add(uint64_t acc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t a = acc, b = 0, w0, w1, w2, w3;

	/* Two chains so that the add-with-carry latencies overlap. */
	while (len >= 32) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		memcpy(&w2, p + 16, 8);
		memcpy(&w3, p + 24, 8);
		a = fp_csum_addc(a, w0);
		b = fp_csum_addc(b, w1);
		a = fp_csum_addc(a, w2);
		b = fp_csum_addc(b, w3);
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		memcpy(&w0, p, 8);
		a = fp_csum_addc(a, w0);
		p += 8;
		len -= 8;
	}
	/*
	 * The tail as separate loads, each at an even offset: a piece loaded
	 * natively adds its octets in the same halves of the 16-bit words as
	 * an 8-octet load would (and gathering them in a scratch word first
	 * would stall on store forwarding).
	 */
	if (len & 4) {
		uint32_t x;
		memcpy(&x, p, 4);
		a = fp_csum_addc(a, x);
		p += 4;
	}
	if (len & 2) {
		uint16_t x;
		memcpy(&x, p, 2);
		a = fp_csum_addc(a, x);
		p += 2;
	}
	if (len & 1) {
		/* The high half of its word: bits 8-15 of a big-endian load, 0-7 of a little. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		a = fp_csum_addc(a, p[0]);
#else
		a = fp_csum_addc(a, (uint64_t)p[0] << 8);
#endif
	}
	return fp_csum_addc(a, b);
}

/* Adds v, a 16-bit value in host order, as one big-endian word of the sum. */
static inline uint64_t fp_csum_add16(uint64_t acc, uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap16(v);
#endif
	return fp_csum_addc(acc, v);
}

/*
 * Folds an accumulator to the 16-bit ones' complement sum of everything
 * added, in host order.  Data whose checksum verifies sums to 0xffff; the
 * checksum to store in a zeroed field is the complement of the sum.  The
 * sum is 0 only when every word added was 0.
 */
static inline uint16_t fp_csum_fold(uint64_t acc)
{
	uint32_t lo = (uint32_t)acc, hi = (uint32_t)(acc >> 32);
	lo += hi;
	lo += lo < hi;				    /* end-around carry: lo is now the 32-bit sum */
	uint32_t s32 = (lo & 0xffffu) + (lo >> 16); /* <= 0x1fffe */
	uint16_t s = (uint16_t)(s32 + (s32 >> 16));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s = __builtin_bswap16(s);
#endif
	return s;
}

/* The 16-bit ones' complement sum of buf[0..len), host order. */
static inline uint16_t fp_csum_sum(const void *buf, size_t len)
{
	return fp_csum_fold(fp_csum_add(0, buf, len));
}

/*
 * RFC 1624 eqn. 3: the checksum after one 16-bit word it covers changes from
 * old to new (all host order): HC' = ~(~HC + ~m + m').  The result may be
 * 0x0000 where a full recomputation gives 0xffff (the two zeros of ones'
 * complement; both verify); a UDP checksum must then be stored as 0xffff.
 */
static inline uint16_t fp_csum_adjust16(uint16_t csum, uint16_t old, uint16_t nv)
{
	uint32_t s = (uint32_t)(uint16_t)~csum + (uint16_t)~old + nv;
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)~s;
}

/* The UDP checksum to store for a sum taken with a zeroed field (RFC 768: 0 means none). */
static inline uint16_t fp_csum_udp_final(uint16_t sum)
{
	uint16_t c = (uint16_t)~sum;
	return c ? c : 0xffff;
}
