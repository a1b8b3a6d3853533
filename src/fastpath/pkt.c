/* SPDX-License-Identifier: BSD-3-Clause */
#include "fastpath/pkt.h"

#include <string.h>

#include "dns/msg.h"
#include "dns/wire.h"
#include "fastpath/csum.h"

#define ETHERTYPE_IP4 0x0800
#define ETHERTYPE_IP6 0x86dd
#define ETHERTYPE_VLAN 0x8100 /* 802.1Q */
#define ETHERTYPE_QINQ 0x88a8 /* 802.1ad service tag */

#define IPPROTO_UDP_ 17
#define IP4_MF_OFFSET 0x3fff /* MF flag and fragment offset; DF and the reserved bit are not */

/* Offsets inside the fixed headers (bounds come from the dns_rd_ptr span). */
#define ETH_SRC 6
#define ETH_TYPE 12
#define IP4_TOTLEN 2
#define IP4_FRAG 6
#define IP4_PROTO 9
#define IP4_SRC 12
#define IP4_DST 16
#define IP6_PLEN 4
#define IP6_NH 6
#define IP6_SRC 8
#define IP6_DST 24
#define UDP_DPORT 2
#define UDP_LEN 4
#define UDP_CSUM 6

/*
 * Fixed-size compares as plain loads: memcmp of 6, 12 or 16 octets is a
 * libc call at -O2, and these run for every frame.
 */
static uint64_t ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint32_t ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint16_t ld16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static bool mac_eq(const uint8_t *a, const uint8_t *b)
{
	return ((ld32(a) ^ ld32(b)) | (uint32_t)(ld16(a + 4) ^ ld16(b + 4))) == 0;
}

static bool ip6_eq(const uint8_t *a, const uint8_t *b)
{
	return ((ld64(a) ^ ld64(b)) | (ld64(a + 8) ^ ld64(b + 8))) == 0;
}

static bool mac_is_group(const uint8_t *mac)
{
	return mac[0] & 1;
}

static bool mac_is_zero(const uint8_t *mac)
{
	return (ld32(mac) | ld16(mac + 4)) == 0;
}

/*
 * Sources Linux treats as martian on input (0/8, loopback, multicast,
 * limited broadcast): a reply to one would go to no host or to many.  Class
 * E (240/4) is a plain unicast source to Linux since 2.6.25, so to us too.
 */
static bool ip4_martian(uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) == 0xe || a == 0xffffffffu;
}

/* Unspecified, loopback, multicast and IPv4-mapped sources: no reply possible. */
static bool ip6_martian(const uint8_t *a)
{
	static const uint8_t ffff[4] = { 0, 0, 0xff, 0xff };
	if (a[0] == 0xff)
		return true;
	if (ld64(a) != 0)
		return false;
	if (ld32(a + 8) == ld32(ffff))
		return true;				     /* ::ffff:0:0/96 */
	return ld32(a + 8) == 0 && dns_get_u32(a + 12) <= 1; /* :: and ::1 */
}

void fp_addrs_init(struct fp_addrs *a, const uint8_t mac[6])
{
	memset(a, 0, sizeof(*a));
	if (mac)
		memcpy(a->mac, mac, 6);
}

int fp_addrs_add4(struct fp_addrs *a, const uint8_t addr[4])
{
	uint32_t v = dns_get_u32(addr);
	if (ip4_martian(v))
		return DP_EINVAL;
	for (unsigned i = 0; i < a->n4; i++)
		if (a->v4[i] == v)
			return DP_EEXIST;
	if (a->n4 >= FP_ADDRS_MAX)
		return DP_ERANGE;
	a->v4[a->n4++] = v;
	return 0;
}

int fp_addrs_add6(struct fp_addrs *a, const uint8_t addr[16])
{
	if (ip6_martian(addr))
		return DP_EINVAL;
	for (unsigned i = 0; i < a->n6; i++)
		if (ip6_eq(a->v6[i], addr))
			return DP_EEXIST;
	if (a->n6 >= FP_ADDRS_MAX)
		return DP_ERANGE;
	memcpy(a->v6[a->n6++], addr, 16);
	return 0;
}

static int find4(const struct fp_addrs *a, uint32_t dst)
{
	for (unsigned i = 0; i < a->n4 && i < FP_ADDRS_MAX; i++)
		if (a->v4[i] == dst)
			return (int)i;
	return -1;
}

static int find6(const struct fp_addrs *a, const uint8_t *dst)
{
	for (unsigned i = 0; i < a->n6 && i < FP_ADDRS_MAX; i++)
		if (ip6_eq(a->v6[i], dst))
			return (int)i;
	return -1;
}

static enum fp_verdict drop(uint8_t *reason, enum fp_drop_reason why)
{
	*reason = (uint8_t)why;
	return FP_DROP;
}

static enum fp_verdict exc(struct fp_pkt *out, enum fp_exc_reason why)
{
	out->exc = (uint8_t)why;
	return FP_EXCEPTION;
}

/*
 * UDP and DNS, common to both IP versions.  l4 is the IP payload (without
 * Ethernet padding) starting at frame offset l4_off; ph is the pseudo-header
 * sum so far (the addresses); martian says whether the IP source is one.
 */
static enum fp_verdict classify_udp(unsigned hw, const uint8_t *l4, size_t l4len, size_t l4_off,
				    uint64_t ph,
				    bool v6, bool martian, struct fp_pkt *out, uint8_t *reason)
{
	struct dns_rd r;
	dns_rd_init(&r, l4, l4len);
	const uint8_t *udp = dns_rd_ptr(&r, FP_UDP_HLEN);
	if (!udp)
		return drop(reason, FP_DROP_L4_TRUNC);
	if (dns_get_u16(udp + UDP_DPORT) != FP_DNS_PORT)
		return exc(out, FP_EXC_PORT);

	/* IP payload past the UDP length is ignored, as Linux trims it (udp_rcv). */
	uint16_t ulen = dns_get_u16(udp + UDP_LEN);
	if (ulen < FP_UDP_HLEN || ulen > l4len)
		return drop(reason, FP_DROP_UDP_LEN);
	size_t dlen = ulen - FP_UDP_HLEN;
	const uint8_t *dns = dns_rd_ptr(&r, dlen);
	if (!dns)
		return drop(reason, FP_DROP_UDP_LEN); /* cannot happen: ulen <= l4len */

	if (dns_get_u16(udp + UDP_CSUM) == 0) {
		if (v6)
			return drop(reason, FP_DROP_UDP6_NO_CSUM);
	} else if (!(hw & FP_RX_L4_CSUM_OK)) {
		ph = fp_csum_add16(ph, IPPROTO_UDP_);
		ph = fp_csum_add16(ph, ulen);
		if (fp_csum_fold(fp_csum_add(ph, udp, ulen)) != 0xffff)
			return drop(reason, FP_DROP_UDP_CSUM);
	}

	if (martian || dns_get_u16(udp) == 0)
		return drop(reason, FP_DROP_BAD_SRC);

	if (dlen < DNS_HDR_LEN)
		return drop(reason, FP_DROP_DNS_SHORT);
	uint16_t flags = dns_get_u16(dns + 2);
	if (flags & DNS_F_QR)
		return drop(reason, FP_DROP_DNS_RESPONSE);
	if ((flags & DNS_OPCODE_MASK) >> DNS_OPCODE_SHIFT != DNS_OP_QUERY)
		return exc(out, FP_EXC_OPCODE);

	out->l4_off = (uint16_t)l4_off;
	out->dns_off = (uint16_t)(l4_off + FP_UDP_HLEN);
	out->dns_len = (uint16_t)dlen;
	return FP_QUERY;
}

static enum fp_verdict classify_ip4(unsigned hw, const struct fp_addrs *a, struct dns_rd *r,
				    struct fp_pkt *out, uint8_t *reason)
{
	size_t l3_off = r->pos;
	const uint8_t *ip = dns_rd_ptr(r, FP_IP4_HLEN);
	if (!ip)
		return drop(reason, FP_DROP_L3_TRUNC);
	if (ip[0] >> 4 != 4)
		return drop(reason, FP_DROP_IP_VERSION);
	unsigned ihl = ip[0] & 0xf;
	if (ihl < 5)
		return drop(reason, FP_DROP_IP4_HDR_LEN);
	if (ihl > 5)
		return exc(out, FP_EXC_IP4_OPTIONS);
	/* The IP length, not the frame's: a runt frame carries Ethernet padding. */
	uint16_t tot = dns_get_u16(ip + IP4_TOTLEN);
	if (tot < FP_IP4_HLEN || (size_t)(tot - FP_IP4_HLEN) > dns_rd_left(r))
		return drop(reason, FP_DROP_IP_LEN);
	if (!(hw & FP_RX_IP4_CSUM_OK) && fp_csum_sum(ip, FP_IP4_HLEN) != 0xffff)
		return drop(reason, FP_DROP_IP4_CSUM);
	if (dns_get_u16(ip + IP4_FRAG) & IP4_MF_OFFSET)
		return exc(out, FP_EXC_FRAGMENT);
	if (ip[IP4_PROTO] != IPPROTO_UDP_)
		return exc(out, FP_EXC_L4_PROTO);
	int idx = find4(a, dns_get_u32(ip + IP4_DST));
	if (idx < 0)
		return exc(out, FP_EXC_DST_ADDR);
	out->addr_idx = (uint8_t)idx;

	size_t l4len = tot - FP_IP4_HLEN;
	const uint8_t *l4 = dns_rd_ptr(r, l4len);
	uint64_t ph = fp_csum_add(0, ip + IP4_SRC, 8);
	bool martian = ip4_martian(dns_get_u32(ip + IP4_SRC));
	return classify_udp(hw, l4, l4len, l3_off + FP_IP4_HLEN, ph, false, martian, out, reason);
}

static enum fp_verdict classify_ip6(unsigned hw, const struct fp_addrs *a, struct dns_rd *r,
				    struct fp_pkt *out, uint8_t *reason)
{
	size_t l3_off = r->pos;
	const uint8_t *ip = dns_rd_ptr(r, FP_IP6_HLEN);
	if (!ip)
		return drop(reason, FP_DROP_L3_TRUNC);
	if (ip[0] >> 4 != 6)
		return drop(reason, FP_DROP_IP_VERSION);
	uint16_t plen = dns_get_u16(ip + IP6_PLEN);
	if (plen > dns_rd_left(r))
		return drop(reason, FP_DROP_IP_LEN);
	/* Extension headers (hop-by-hop, routing, fragment, ...) are the kernel's. */
	if (ip[IP6_NH] != IPPROTO_UDP_)
		return exc(out, FP_EXC_L4_PROTO);
	if (ip[IP6_DST] == 0xff)
		return exc(out, FP_EXC_DST_ADDR);
	/* Link-local and other unconfigured addresses: NUD probes, the kernel's own. */
	int idx = find6(a, ip + IP6_DST);
	if (idx < 0)
		return exc(out, FP_EXC_DST_ADDR);
	out->addr_idx = (uint8_t)idx;

	const uint8_t *l4 = dns_rd_ptr(r, plen);
	uint64_t ph = fp_csum_add(0, ip + IP6_SRC, 32);
	bool martian = ip6_martian(ip + IP6_SRC);
	return classify_udp(hw, l4, plen, l3_off + FP_IP6_HLEN, ph, true, martian, out, reason);
}

enum fp_verdict fp_pkt_classify(const struct fp_addrs *a, const uint8_t *frame, size_t len,
				struct fp_pkt *out, uint8_t *drop_reason)
{
	return fp_pkt_classify_hw(a, frame, len, out, drop_reason, 0);
}

enum fp_verdict fp_pkt_classify_hw(const struct fp_addrs *a, const uint8_t *frame, size_t len,
				   struct fp_pkt *out, uint8_t *drop_reason, unsigned hw)
{
	struct dns_rd r;

	memset(out, 0, sizeof(*out));
	*drop_reason = FP_DROP_NONE;
	/* Offsets are stored in 16 bits; no Ethernet frame comes near 64 KiB. */
	dns_rd_init(&r, frame, len > UINT16_MAX ? UINT16_MAX : len);

	const uint8_t *eth = dns_rd_ptr(&r, FP_ETH_HLEN);
	if (!eth)
		return drop(drop_reason, FP_DROP_L2_TRUNC);
	if (mac_is_group(eth + ETH_SRC))
		return drop(drop_reason, FP_DROP_BAD_SRC);
	if (mac_is_group(eth))
		return exc(out, FP_EXC_L2_GROUP);
	if (!mac_is_zero(a->mac) && !mac_eq(eth, a->mac))
		return drop(drop_reason, FP_DROP_L2_NOT_OURS);

	uint16_t type = dns_get_u16(eth + ETH_TYPE);
	if (type == ETHERTYPE_VLAN) {
		const uint8_t *tag = dns_rd_ptr(&r, FP_VLAN_HLEN);
		if (!tag)
			return drop(drop_reason, FP_DROP_L2_TRUNC);
		out->vlan = true;
		out->vlan_tci = dns_get_u16(tag);
		type = dns_get_u16(tag + 2);
		if (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ)
			return exc(out, FP_EXC_QINQ);
	} else if (type == ETHERTYPE_QINQ) {
		return exc(out, FP_EXC_QINQ);
	}

	out->l3_off = (uint16_t)r.pos;
	if (type == ETHERTYPE_IP4) {
		out->ip_ver = 4;
		return classify_ip4(hw, a, &r, out, drop_reason);
	}
	if (type == ETHERTYPE_IP6) {
		out->ip_ver = 6;
		return classify_ip6(hw, a, &r, out, drop_reason);
	}
	return exc(out, FP_EXC_ETHERTYPE);
}

int fp_pkt_reply(uint8_t *frame, size_t cap, const struct fp_pkt *p, size_t dns_len, uint16_t ip_id)
{
	return fp_pkt_reply_hw(frame, cap, p, dns_len, ip_id, 0);
}

int fp_pkt_reply_hw(uint8_t *frame, size_t cap, const struct fp_pkt *p, size_t dns_len,
		    uint16_t ip_id, unsigned flags)
{
	bool v6 = p->ip_ver == 6;
	size_t l3 = p->l3_off, l4 = p->l4_off, al = v6 ? 16 : 4;

	if (p->exc != FP_EXC_NONE || (p->ip_ver != 4 && p->ip_ver != 6) ||
	    l3 != FP_ETH_HLEN + (p->vlan ? FP_VLAN_HLEN : 0) ||
	    l4 != l3 + (v6 ? FP_IP6_HLEN : FP_IP4_HLEN) || p->dns_off != l4 + FP_UDP_HLEN)
		return DP_EINVAL;
	if (dns_len > UINT16_MAX - FP_UDP_HLEN - (v6 ? 0 : FP_IP4_HLEN))
		return DP_ERANGE;
	size_t end = p->dns_off + dns_len;
	if (end > cap)
		return DP_ESPACE;
	uint16_t ulen = (uint16_t)(FP_UDP_HLEN + dns_len);

	/*
	 * Read all that is kept, and sum it, before writing anything: the
	 * headers are then written once, front to back, and no checksum load
	 * has to wait on narrower stores it overlaps (store forwarding fails
	 * there, a stall each time).
	 */
	uint8_t l2[FP_ETH_HLEN + FP_VLAN_HLEN], addrs[32], ports[4];
	struct dns_rd r;
	dns_rd_init(&r, frame, end);
	/* Constant sizes, so that the copies are inlined moves rather than memcpy calls. */
	if (p->vlan)
		dns_rd_bytes(&r, l2, FP_ETH_HLEN + FP_VLAN_HLEN);
	else
		dns_rd_bytes(&r, l2, FP_ETH_HLEN);
	dns_rd_skip(&r, v6 ? IP6_SRC : IP4_SRC);
	dns_rd_bytes(&r, addrs, 2 * al);
	dns_rd_seek(&r, l4);
	dns_rd_bytes(&r, ports, sizeof(ports));
	dns_rd_skip(&r, FP_UDP_HLEN - sizeof(ports));
	const uint8_t *dns = dns_rd_ptr(&r, dns_len);
	if (r.err)
		return DP_EINVAL; /* cannot happen: end <= cap and the offsets were checked */

	uint64_t asum = fp_csum_add(0, addrs, 2 * al);
	uint16_t ucsum;
	if (flags & FP_REPLY_UDP_CSUM_HW) {
		/* The NIC sums the datagram; it wants the pseudo-header's sum, not complemented. */
		ucsum = fp_csum_fold(fp_csum_add16(fp_csum_add16(asum, IPPROTO_UDP_), ulen));
	} else {
		uint64_t usum = fp_csum_add(fp_csum_add(asum, ports, sizeof(ports)), dns, dns_len);
		usum = fp_csum_add16(usum, IPPROTO_UDP_);
		usum = fp_csum_add16(usum, ulen); /* pseudo-header */
		usum = fp_csum_add16(usum, ulen); /* UDP header */
		ucsum = fp_csum_udp_final(fp_csum_fold(usum));
	}

	struct dns_wr w;
	dns_wr_init(&w, frame, p->dns_off);
	dns_wr_bytes(&w, l2 + ETH_SRC, 6);
	dns_wr_bytes(&w, l2, 6);
	/* The 802.1Q tag (kept as it came, priority included) and the EtherType. */
	if (p->vlan)
		dns_wr_bytes(&w, l2 + ETH_TYPE, FP_VLAN_HLEN + 2);
	else
		dns_wr_bytes(&w, l2 + ETH_TYPE, 2);
	if (v6) {
		dns_wr_u32(&w, 0x60000000u); /* traffic class and flow label 0 */
		dns_wr_u16(&w, ulen);
		dns_wr_u8(&w, IPPROTO_UDP_);
		dns_wr_u8(&w, FP_REPLY_TTL);
		dns_wr_bytes(&w, addrs + 16, 16);
		dns_wr_bytes(&w, addrs, 16);
	} else {
		/*
		 * DF clear, as Knot (its XDP path writes frag_off 0; its sockets
		 * and NSD's use IP_PMTUDISC_OMIT) and unlike a default Linux
		 * socket: responses are held to the EDNS size (1232 by default)
		 * and we run no PMTU discovery (ICMP goes to the kernel, which
		 * does not know these flows), so a router that cannot forward an
		 * oversized reply should fragment it rather than drop it and
		 * leave the client to time out.  With DF clear the ID must vary,
		 * hence ip_id (RFC 6864 §4.1).  TOS 0, as a socket sends.
		 */
		uint16_t tot = (uint16_t)(FP_IP4_HLEN + ulen);
		uint16_t ttl_proto = FP_REPLY_TTL << 8 | IPPROTO_UDP_;
		uint64_t hsum = fp_csum_add16(asum, 0x4500);
		hsum = fp_csum_add16(hsum, tot);
		hsum = fp_csum_add16(hsum, ip_id);
		hsum = fp_csum_add16(hsum, ttl_proto);
		dns_wr_u16(&w, 0x4500);
		dns_wr_u16(&w, tot);
		dns_wr_u16(&w, ip_id);
		dns_wr_u16(&w, 0); /* flags (DF clear) and fragment offset */
		dns_wr_u16(&w, ttl_proto);
		dns_wr_u16(&w, flags & FP_REPLY_IP4_CSUM_HW ? 0 : (uint16_t)~fp_csum_fold(hsum));
		dns_wr_bytes(&w, addrs + 4, 4);
		dns_wr_bytes(&w, addrs, 4);
	}
	dns_wr_bytes(&w, ports + 2, 2);
	dns_wr_bytes(&w, ports, 2);
	dns_wr_u16(&w, ulen);
	dns_wr_u16(&w, ucsum);
	if (w.err || w.pos != p->dns_off)
		return DP_EINVAL; /* cannot happen: the layout was checked above */
	return (int)end;
}

const char *fp_drop_reason_name(unsigned reason)
{
	static const char *const names[FP_DROP__COUNT] = {
		[FP_DROP_NONE] = "none",
		[FP_DROP_L2_TRUNC] = "l2_trunc",
		[FP_DROP_L2_NOT_OURS] = "l2_not_ours",
		[FP_DROP_L3_TRUNC] = "l3_trunc",
		[FP_DROP_IP_VERSION] = "ip_version",
		[FP_DROP_IP4_HDR_LEN] = "ip4_hdr_len",
		[FP_DROP_IP4_CSUM] = "ip4_csum",
		[FP_DROP_IP_LEN] = "ip_len",
		[FP_DROP_L4_TRUNC] = "l4_trunc",
		[FP_DROP_UDP_LEN] = "udp_len",
		[FP_DROP_UDP_CSUM] = "udp_csum",
		[FP_DROP_UDP6_NO_CSUM] = "udp6_no_csum",
		[FP_DROP_BAD_SRC] = "bad_src",
		[FP_DROP_DNS_SHORT] = "dns_short",
		[FP_DROP_DNS_RESPONSE] = "dns_response",
	};
	return reason < FP_DROP__COUNT && names[reason] ? names[reason] : "?";
}

const char *fp_exc_reason_name(unsigned reason)
{
	static const char *const names[FP_EXC__COUNT] = {
		[FP_EXC_NONE] = "none",
		[FP_EXC_L2_GROUP] = "l2_group",
		[FP_EXC_ETHERTYPE] = "ethertype",
		[FP_EXC_QINQ] = "qinq",
		[FP_EXC_IP4_OPTIONS] = "ip4_options",
		[FP_EXC_FRAGMENT] = "fragment",
		[FP_EXC_L4_PROTO] = "l4_proto",
		[FP_EXC_DST_ADDR] = "dst_addr",
		[FP_EXC_PORT] = "port",
		[FP_EXC_OPCODE] = "opcode",
	};
	return reason < FP_EXC__COUNT && names[reason] ? names[reason] : "?";
}
