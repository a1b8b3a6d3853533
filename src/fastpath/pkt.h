/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The fastpath's packet stage, EAL-free: classify a received Ethernet frame
 * (answer it here, hand it to the kernel, or drop it) and turn a query frame
 * whose DNS payload the answer engine has overwritten with its response into
 * the reply frame, in place.  Bytes in, bytes out: the same bytes an mbuf
 * holds, so unit tests and fuzzers need no DPDK.
 *
 * What the fastpath answers: an Ethernet II frame (at most one 802.1Q tag)
 * to the port's MAC carrying IPv4 without options and not fragmented, or
 * IPv6 with UDP as the first next header, to a configured address, UDP to
 * port 53, a DNS message with QR clear and opcode QUERY.  Everything else
 * that is well-formed as far as it was read goes to the kernel (ARP, ICMP,
 * ICMPv6 and NDP, TCP, other ports, NOTIFY and other opcodes, fragments, IPv4
 * options, IPv6 extension headers, QinQ, group MACs, unconfigured addresses);
 * malformed frames are dropped, each for a counted reason.
 *
 * All functions are fastpath-safe (no allocation, locks, syscalls or
 * logging) and keep no state: any thread may call them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FP_ADDRS_MAX 8 /* addresses per family the fastpath answers on */
#define FP_DNS_PORT 53
#define FP_REPLY_TTL 64 /* IPv4 TTL and IPv6 hop limit of replies (Linux's default) */

#define FP_ETH_HLEN 14
#define FP_VLAN_HLEN 4
#define FP_IP4_HLEN 20
#define FP_IP6_HLEN 40
#define FP_UDP_HLEN 8

/*
 * What the port answers on.  Filled at configuration time (fp_addrs_init,
 * fp_addrs_add4/6), read-only while poll loops run.
 */
struct fp_addrs {
	uint8_t mac[6];		      /* the port's MAC; all-zero: any unicast MAC */
	uint8_t n4;		      /* used entries of v4 */
	uint8_t n6;		      /* used entries of v6 */
	uint32_t v4[FP_ADDRS_MAX];    /* host order: 192.0.2.1 is 0xc0000201 */
	uint8_t v6[FP_ADDRS_MAX][16]; /* network order */
};

enum fp_verdict {
	FP_QUERY = 0, /* a standard query for us: answer it (struct fp_pkt is filled) */
	FP_EXCEPTION, /* to the kernel; out->exc says why */
	FP_DROP,      /* malformed or unwanted; *drop_reason says why */
};

/* Why a frame went to the kernel (struct fp_pkt .exc); for counters. */
enum fp_exc_reason {
	FP_EXC_NONE = 0,
	FP_EXC_L2_GROUP,    /* broadcast or multicast destination MAC */
	FP_EXC_ETHERTYPE,   /* neither IPv4 nor IPv6 (ARP, LLDP, ...) */
	FP_EXC_QINQ,	    /* 802.1ad, or a second 802.1Q tag */
	FP_EXC_IP4_OPTIONS, /* IHL > 5 */
	FP_EXC_FRAGMENT,    /* IPv4 MF set or fragment offset nonzero */
	FP_EXC_L4_PROTO,    /* not UDP: ICMP, ICMPv6 (NDP), TCP, an IPv6 extension header */
	FP_EXC_DST_ADDR,    /* destination not configured: other unicast, multicast, broadcast */
	FP_EXC_PORT,	    /* UDP to a port other than 53 */
	FP_EXC_OPCODE,	    /* DNS opcode other than QUERY: NOTIFY, UPDATE, ... */
	FP_EXC__COUNT,
};

/* Why a frame was dropped (*drop_reason of fp_pkt_classify); for counters. */
enum fp_drop_reason {
	FP_DROP_NONE = 0,
	FP_DROP_L2_TRUNC,     /* shorter than its Ethernet header and 802.1Q tag */
	FP_DROP_L2_NOT_OURS,  /* unicast to another MAC (promiscuous port) */
	FP_DROP_L3_TRUNC,     /* shorter than the fixed IPv4 or IPv6 header */
	FP_DROP_IP_VERSION,   /* IP version field disagrees with the EtherType */
	FP_DROP_IP4_HDR_LEN,  /* IHL < 5 */
	FP_DROP_IP4_CSUM,     /* IPv4 header checksum does not verify */
	FP_DROP_IP_LEN,	      /* IPv4 total or IPv6 payload length past the frame, or < IHL */
	FP_DROP_L4_TRUNC,     /* IP payload shorter than a UDP header */
	FP_DROP_UDP_LEN,      /* UDP length < 8 or past the IP payload */
	FP_DROP_UDP_CSUM,     /* UDP checksum does not verify */
	FP_DROP_UDP6_NO_CSUM, /* UDP over IPv6 with checksum 0 (RFC 8200 §8.1) */
	FP_DROP_BAD_SRC,      /* source MAC group, source address martian, or source port 0 */
	FP_DROP_DNS_SHORT,    /* UDP payload shorter than a DNS header */
	FP_DROP_DNS_RESPONSE, /* QR set: a response sent to port 53 */
	FP_DROP__COUNT,
};

/*
 * Where things are in a classified frame.  Every field is valid for
 * FP_QUERY; for FP_EXCEPTION and FP_DROP only those the parse reached
 * (ip_ver 0: not IP), besides exc.
 */
struct fp_pkt {
	uint16_t l3_off;   /* IP header: 14, or 18 behind an 802.1Q tag */
	uint16_t l4_off;   /* UDP header */
	uint16_t dns_off;  /* DNS message: l4_off + 8 */
	uint16_t dns_len;  /* DNS message length: UDP length - 8 (no Ethernet padding) */
	uint16_t vlan_tci; /* the 802.1Q TCI (PCP, DEI, VID) when vlan */
	uint8_t ip_ver;	   /* 4 or 6 */
	bool vlan;	   /* one 802.1Q tag after the MACs (kept on the reply) */
	uint8_t addr_idx;  /* which v4[] or v6[] entry the destination matched */
	uint8_t exc;	   /* enum fp_exc_reason (FP_EXC_NONE unless FP_EXCEPTION) */
};

/* Empties a, with the port's MAC (NULL or all-zero: accept any unicast MAC). */
void fp_addrs_init(struct fp_addrs *a, const uint8_t mac[6]);

/*
 * Adds an address to answer on (network order).  Returns 0; DP_EINVAL for
 * an address that cannot be a unicast source or destination, the same set
 * fp_pkt_classify drops as sources (IPv4 0/8, 127/8, 224/4, 255.255.255.255;
 * IPv6 ::, ::1, ff00::/8, ::ffff:0:0/96);
 * DP_EEXIST when already there; DP_ERANGE when FP_ADDRS_MAX are.
 * Configuration time only: not while poll loops read a.
 */
__attribute__((warn_unused_result)) int fp_addrs_add4(struct fp_addrs *a, const uint8_t addr[4]);
__attribute__((warn_unused_result)) int fp_addrs_add6(struct fp_addrs *a, const uint8_t addr[16]);

/*
 * Classifies the frame frame[0..len) received on the port a describes.
 * Reads only frame[0..len) (Ethernet padding past the IP length is ignored),
 * writes only *out and *drop_reason.  Returns FP_QUERY with *out filled for
 * a standard query to answer; FP_EXCEPTION (out->exc says why) for a frame
 * the kernel should see; FP_DROP (*drop_reason says why, else FP_DROP_NONE)
 * for one to free.  Checks in this order: L2, L3 header and lengths (IPv4
 * header checksum), L4 protocol, destination address, UDP port, UDP length
 * and checksum, source, DNS header.  Fastpath-safe.
 */
enum fp_verdict fp_pkt_classify(const struct fp_addrs *a, const uint8_t *frame, size_t len,
				struct fp_pkt *out, uint8_t *drop_reason);

/* fp_pkt_classify_hw flags: checksums the NIC verified (RX offload said GOOD). */
#define FP_RX_IP4_CSUM_OK 1u /* the IPv4 header checksum */
#define FP_RX_L4_CSUM_OK 2u  /* the UDP checksum (a zero IPv6 UDP checksum is still dropped) */

/* fp_pkt_classify, skipping the checksums hw says the NIC verified.  Fastpath-safe. */
enum fp_verdict fp_pkt_classify_hw(const struct fp_addrs *a, const uint8_t *frame, size_t len,
				   struct fp_pkt *out, uint8_t *drop_reason, unsigned hw);

/*
 * Turns a frame that fp_pkt_classify returned FP_QUERY for into its reply,
 * in place, once the DNS response of dns_len octets is at p->dns_off (the
 * answer engine writes it over the query).  cap is the frame buffer's
 * capacity; ip_id the IPv4 identification to use (say a per-lcore counter;
 * unused for IPv6).  Swaps MACs, IP addresses and UDP ports; keeps the 802.1Q tag;
 * IPv4: TOS 0, the given ID, DF clear, TTL 64, total length, header
 * checksum; IPv6: traffic class and flow label 0, hop limit 64, payload
 * length; UDP length and checksum (computed here, in software).  Octets
 * from p->dns_off on are not touched.
 * Returns the reply's frame length (p->dns_off + dns_len; a NIC pads a runt
 * to 60 octets); DP_ESPACE when that exceeds cap, DP_ERANGE when dns_len is
 * over what one UDP datagram carries (65507 octets over IPv4, 65527 over
 * IPv6), DP_EINVAL when p is not a classified query; the frame is untouched
 * on error.  Fastpath-safe.
 */
__attribute__((warn_unused_result)) int
fp_pkt_reply(uint8_t *frame, size_t cap, const struct fp_pkt *p, size_t dns_len, uint16_t ip_id);

/* fp_pkt_reply_hw flags: checksums the NIC computes (the port advertised the offload). */
#define FP_REPLY_IP4_CSUM_HW 1u /* IPv4 header checksum left 0 for the NIC */
#define FP_REPLY_UDP_CSUM_HW 2u /* UDP checksum holds the pseudo-header sum for the NIC */

/*
 * fp_pkt_reply, leaving the checksums flags names to the NIC: the caller
 * then sets the mbuf's offload flags and header lengths.  flags 0 is
 * fp_pkt_reply.  Fastpath-safe.
 */
__attribute__((warn_unused_result)) int fp_pkt_reply_hw(uint8_t *frame, size_t cap,
							const struct fp_pkt *p, size_t dns_len,
							uint16_t ip_id, unsigned flags);

/* Short stable names ("ip4_csum", "port", ...) for metrics; "?" when out of range. */
const char *fp_drop_reason_name(unsigned reason);
const char *fp_exc_reason_name(unsigned reason);
