/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_pkt: any bytes as a received Ethernet frame to the fastpath's packet
 * stage (src/fastpath/pkt.h).
 *
 * Input: octet 0 holds flags (bit 0: recompute the IPv4 header and UDP
 * checksums of the frame first, so that mutations get past them; bit 1:
 * configure no MAC; bits 2-7 pick the response length), octet 1 extra
 * buffer capacity, octets 2-3 the IPv4 ID, the rest is the frame.
 *
 * Invariants: fp_csum agrees with a byte-wise RFC 1071 reference; the
 * verdict and its reason agree; a query's offsets lie inside the frame and
 * the harness's own parse (a second, plain one) agrees that it is a standard
 * query to a configured address with checksums that verify.  Then a fake
 * response goes in and fp_pkt_reply must make a reply whose every field
 * checks out against the query (swapped MACs, addresses and ports, lengths,
 * ID, TTL, DF clear, checksums by the reference), and which, classified
 * with the configuration swapped (the client's MAC and address), is a
 * response (dropped), too short, or for another port; with QR cleared and
 * the UDP checksum updated incrementally (RFC 1624) it is a query again.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"

#include "dns/errcode.h"
#include "fastpath/csum.h"
#include "fastpath/pkt.h"

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x53 };
static const uint8_t our4[][4] = { { 198, 18, 0, 53 }, { 198, 18, 0, 54 } };
static const uint8_t our6[][16] = { { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x53 },
				    { 0xfe, 0x80, [15] = 0x53 } };

static uint16_t g16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void s16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Byte-wise RFC 1071 sum, continuing from acc (even-length prefixes). */
static uint32_t ref_acc(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		acc += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
		if (acc >> 24)
			acc = (acc & 0xffff) + (acc >> 16);
	}
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return acc;
}

/* Sum of the UDP datagram at udp (ulen octets) with its pseudo-header. */
static uint16_t ref_udp(int ipv, const uint8_t *src, const uint8_t *dst, const uint8_t *udp,
			size_t ulen)
{
	size_t al = ipv == 6 ? 16 : 4;
	uint8_t tail[4] = { 0, 17, (uint8_t)(ulen >> 8), (uint8_t)ulen };
	uint32_t acc = ref_acc(ref_acc(ref_acc(0, src, al), dst, al), tail, 4);
	return (uint16_t)ref_acc(acc, udp, ulen);
}

/* The harness's own view of a frame: just enough to fix checksums and check a verdict. */
struct view {
	size_t l3, l4, ulen;
	int ipv;
	bool udp; /* UDP header and its whole datagram inside the IP packet and frame */
	const uint8_t *src, *dst;
};

static bool view_of(const uint8_t *b, size_t len, struct view *v)
{
	memset(v, 0, sizeof(*v));
	if (len < 14)
		return false;
	size_t off = 14;
	uint16_t type = g16(b + 12);
	if (type == 0x8100) {
		if (len < 18)
			return false;
		type = g16(b + 16);
		off = 18;
	}
	v->l3 = off;
	size_t ip_end;
	if (type == 0x0800 && len >= off + 20 && b[off] >> 4 == 4) {
		size_t hl = 4u * (b[off] & 0xf);
		if (hl < 20 || len < off + hl)
			return false;
		v->ipv = 4;
		v->src = b + off + 12;
		v->dst = b + off + 16;
		ip_end = off + g16(b + off + 2);
		if (b[off + 9] != 17 || (g16(b + off + 6) & 0x3fff))
			return true;
		v->l4 = off + hl;
	} else if (type == 0x86dd && len >= off + 40 && b[off] >> 4 == 6) {
		v->ipv = 6;
		v->src = b + off + 8;
		v->dst = b + off + 24;
		ip_end = off + 40 + g16(b + off + 4);
		if (b[off + 6] != 17)
			return true;
		v->l4 = off + 40;
	} else {
		return false;
	}
	if (ip_end > len || v->l4 + 8 > ip_end)
		return true;
	v->ulen = g16(b + v->l4 + 4);
	v->udp = v->ulen >= 8 && v->l4 + v->ulen <= ip_end;
	return true;
}

static void fix_checksums(uint8_t *b, size_t len)
{
	struct view v;
	if (!view_of(b, len, &v) || !v.ipv)
		return;
	if (v.ipv == 4) {
		size_t hl = 4u * (b[v.l3] & 0xf);
		s16(b + v.l3 + 10, 0);
		s16(b + v.l3 + 10, (uint16_t)~ref_acc(0, b + v.l3, hl));
	}
	if (v.udp) {
		s16(b + v.l4 + 6, 0);
		s16(b + v.l4 + 6,
		    fp_csum_udp_final(ref_udp(v.ipv, v.src, v.dst, b + v.l4, v.ulen)));
	}
}

static void check_names(enum fp_verdict verdict, const struct fp_pkt *p, uint8_t why)
{
	switch (verdict) {
	case FP_QUERY: FUZZ_CHECK(why == FP_DROP_NONE && p->exc == FP_EXC_NONE); break;
	case FP_EXCEPTION:
		FUZZ_CHECK(why == FP_DROP_NONE && p->exc > FP_EXC_NONE && p->exc < FP_EXC__COUNT);
		break;
	case FP_DROP:
		FUZZ_CHECK(why > FP_DROP_NONE && why < FP_DROP__COUNT && p->exc == FP_EXC_NONE);
		FUZZ_CHECK(strcmp(fp_drop_reason_name(why), "?") != 0);
		break;
	default: FUZZ_CHECK(!"verdict out of range");
	}
}

/* What the harness itself sees in a frame fp_pkt_classify called a query. */
static void check_query(const struct fp_addrs *a, const uint8_t *b, size_t len,
			const struct fp_pkt *p, struct view *v)
{
	FUZZ_CHECK(p->l3_off == (p->vlan ? 18 : 14));
	FUZZ_CHECK(p->l4_off == p->l3_off + (p->ip_ver == 4 ? 20 : 40));
	FUZZ_CHECK(p->dns_off == p->l4_off + 8);
	FUZZ_CHECK(p->dns_len >= 12 && (size_t)p->dns_off + p->dns_len <= len);
	FUZZ_CHECK(!(b[0] & 1) && !(b[6] & 1));
	FUZZ_CHECK(view_of(b, len, v) && v->ipv == p->ip_ver && v->l3 == p->l3_off);
	FUZZ_CHECK(v->l4 == p->l4_off && v->udp && v->ulen == 8u + p->dns_len);
	if (p->vlan)
		FUZZ_CHECK(g16(b + 14) == p->vlan_tci);
	if (a->mac[0] | a->mac[1] | a->mac[2] | a->mac[3] | a->mac[4] | a->mac[5])
		FUZZ_CHECK(memcmp(b, a->mac, 6) == 0);
	if (p->ip_ver == 4) {
		uint32_t d = (uint32_t)v->dst[0] << 24 | (uint32_t)v->dst[1] << 16 |
			     (uint32_t)v->dst[2] << 8 | v->dst[3];
		FUZZ_CHECK(p->addr_idx < a->n4 && a->v4[p->addr_idx] == d);
		FUZZ_CHECK(b[p->l3_off] == 0x45 && ref_acc(0, b + p->l3_off, 20) == 0xffff);
	} else {
		FUZZ_CHECK(p->addr_idx < a->n6 && memcmp(a->v6[p->addr_idx], v->dst, 16) == 0);
	}
	FUZZ_CHECK(g16(b + p->l4_off + 2) == FP_DNS_PORT && g16(b + p->l4_off) != 0);
	if (g16(b + p->l4_off + 6) != 0 || p->ip_ver == 6)
		FUZZ_CHECK(ref_udp(v->ipv, v->src, v->dst, b + p->l4_off, v->ulen) == 0xffff);
	FUZZ_CHECK((b[p->dns_off + 2] & 0xf8) == 0); /* QR clear, opcode QUERY */
}

static void check_reply(const uint8_t *q, const struct fp_pkt *p, const struct view *qv, uint8_t *f,
			size_t end, size_t dns_len, uint16_t ip_id)
{
	FUZZ_CHECK(memcmp(f, q + 6, 6) == 0 && memcmp(f + 6, q, 6) == 0);
	FUZZ_CHECK(memcmp(f + 12, q + 12, p->l3_off - 12) == 0);
	size_t al = p->ip_ver == 6 ? 16 : 4;
	size_t ulen = 8 + dns_len;
	const uint8_t *ip = f + p->l3_off;
	const uint8_t *src = ip + (p->ip_ver == 6 ? 8 : 12), *dst = src + al;
	FUZZ_CHECK(memcmp(src, qv->dst, al) == 0 && memcmp(dst, qv->src, al) == 0);
	if (p->ip_ver == 4) {
		FUZZ_CHECK(ip[0] == 0x45 && ip[1] == 0 && g16(ip + 2) == 20 + ulen);
		FUZZ_CHECK(g16(ip + 4) == ip_id && g16(ip + 6) == 0 && ip[8] == FP_REPLY_TTL);
		FUZZ_CHECK(ip[9] == 17 && ref_acc(0, ip, 20) == 0xffff);
	} else {
		FUZZ_CHECK(ip[0] == 0x60 && ip[1] == 0 && ip[2] == 0 && ip[3] == 0);
		FUZZ_CHECK(g16(ip + 4) == ulen && ip[6] == 17 && ip[7] == FP_REPLY_TTL);
	}
	const uint8_t *u = f + p->l4_off, *qu = q + p->l4_off;
	FUZZ_CHECK(g16(u) == g16(qu + 2) && g16(u + 2) == g16(qu) && g16(u + 4) == ulen);
	FUZZ_CHECK(g16(u + 6) != 0 && ref_udp(p->ip_ver, src, dst, u, ulen) == 0xffff);
	FUZZ_CHECK(end == p->dns_off + dns_len);
}

/* The reply as the client would see it, then with QR cleared. */
static void reclassify(const struct fp_pkt *p, const struct view *qv, const uint8_t *q, uint8_t *f,
		       size_t end, size_t dns_len)
{
	struct fp_addrs cli;
	fp_addrs_init(&cli, q + 6);
	int rc = p->ip_ver == 4 ? fp_addrs_add4(&cli, qv->src) : fp_addrs_add6(&cli, qv->src);
	FUZZ_CHECK(rc == 0); /* martian sources were dropped */

	struct fp_pkt rp;
	uint8_t why;
	enum fp_verdict v = fp_pkt_classify(&cli, f, end, &rp, &why);
	check_names(v, &rp, why);
	bool to53 = g16(q + p->l4_off) == FP_DNS_PORT;
	if (!to53) {
		FUZZ_CHECK(v == FP_EXCEPTION && rp.exc == FP_EXC_PORT);
		return;
	}
	if (dns_len < 12) {
		FUZZ_CHECK(v == FP_DROP && why == FP_DROP_DNS_SHORT);
		return;
	}
	FUZZ_CHECK(v == FP_DROP && why == FP_DROP_DNS_RESPONSE);

	uint8_t *u = f + p->l4_off, *fl = f + p->dns_off + 2;
	uint16_t old = g16(fl);
	fl[0] &= 0x7f;
	uint16_t c = fp_csum_adjust16(g16(u + 6), old, g16(fl));
	s16(u + 6, c ? c : 0xffff);
	v = fp_pkt_classify(&cli, f, end, &rp, &why);
	FUZZ_CHECK(v == FP_QUERY);
	FUZZ_CHECK(rp.l3_off == p->l3_off && rp.dns_off == p->dns_off && rp.dns_len == dns_len);
	FUZZ_CHECK(rp.vlan == p->vlan && rp.vlan_tci == p->vlan_tci && rp.addr_idx == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4 || size > FUZZ_MAX_INPUT)
		return 0;
	FUZZ_CHECK(fp_csum_sum(data, size) == ref_acc(0, data, size));

	uint8_t flags = data[0];
	size_t extra = data[1];
	uint16_t ip_id = g16(data + 2);
	size_t len = size - 4;

	/* Exactly len octets, so a sanitizer sees any read past the frame. */
	uint8_t *b = malloc(len ? len : 1);
	FUZZ_CHECK(b != NULL);
	memcpy(b, data + 4, len);
	if (flags & 1)
		fix_checksums(b, len);

	struct fp_addrs a;
	fp_addrs_init(&a, (flags & 2) ? NULL : our_mac);
	for (size_t i = 0; i < 2; i++) {
		FUZZ_CHECK(fp_addrs_add4(&a, our4[i]) == 0);
		FUZZ_CHECK(fp_addrs_add6(&a, our6[i]) == 0);
	}

	struct fp_pkt p, p2;
	uint8_t why, why2;
	enum fp_verdict v = fp_pkt_classify(&a, b, len, &p, &why);
	check_names(v, &p, why);
	FUZZ_CHECK(fp_pkt_classify(&a, b, len, &p2, &why2) == v && why2 == why);
	FUZZ_CHECK(memcmp(&p, &p2, sizeof(p)) == 0);
	if (v != FP_QUERY) {
		free(b);
		return 0;
	}
	struct view qv;
	check_query(&a, b, len, &p, &qv);

	/* Response lengths: short, odd, longer than the query. */
	size_t dns_len = (size_t)(flags >> 2) * 23 % 1400;
	size_t cap = p.dns_off + dns_len;
	if (cap < len)
		cap = len;
	cap += extra;
	uint8_t *f = malloc(cap);
	FUZZ_CHECK(f != NULL);
	memcpy(f, b, len);
	memset(f + len, 0xcc, cap - len);
	for (size_t i = 12; i < dns_len; i++)
		f[p.dns_off + i] = (uint8_t)(i * 31 + flags);
	if (dns_len >= 3)
		f[p.dns_off + 2] |= 0x80;

	int rc = fp_pkt_reply(f, cap, &p, dns_len, ip_id);
	FUZZ_CHECK(rc > 0 && (size_t)rc == p.dns_off + dns_len);
	check_reply(b, &p, &qv, f, (size_t)rc, dns_len, ip_id);
	/* A capacity one short is refused and leaves the frame alone. */
	memcpy(f, b, p.dns_off);
	FUZZ_CHECK(fp_pkt_reply(f, (size_t)rc - 1, &p, dns_len, ip_id) == DP_ESPACE);
	FUZZ_CHECK(memcmp(f, b, p.dns_off) == 0);
	FUZZ_CHECK(fp_pkt_reply(f, cap, &p, dns_len, ip_id) == rc);
	reclassify(&p, &qv, b, f, (size_t)rc, dns_len);
	free(f);
	free(b);
	return 0;
}
