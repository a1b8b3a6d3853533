/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fastpath/pkt and fastpath/csum: frames built octet by octet here (with
 * checksums from a plain byte-wise RFC 1071 reference, independent of the
 * code under test), every verdict and reason, the reply's fields and
 * checksums, truncations and bit flips in buffers that end at a PROT_NONE
 * page.
 */
#include <stdlib.h>

#include "../dns/testutil.h"

#include "dns/errcode.h"
#include "fastpath/csum.h"
#include "fastpath/pkt.h"

/* ---- reference checksum and frame builder ---- */

/* Byte-wise RFC 1071 sum of p[0..n), continuing from acc (even-length prefixes). */
static uint32_t ref_acc(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		acc += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return acc;
}

static uint16_t ref_sum(const uint8_t *p, size_t n)
{
	return (uint16_t)ref_acc(0, p, n);
}

/* Pseudo-header (RFC 768 / RFC 8200 §8.1) sum for a UDP datagram of ulen octets. */
static uint32_t ref_pseudo(int ipv, const uint8_t *src, const uint8_t *dst, size_t ulen)
{
	size_t al = ipv == 6 ? 16 : 4;
	uint32_t acc = ref_acc(0, src, al);
	acc = ref_acc(acc, dst, al);
	uint8_t tail[4] = { 0, 17, (uint8_t)(ulen >> 8), (uint8_t)ulen };
	return ref_acc(acc, tail, 4);
}

struct spec {
	int ipv;  /* 4 or 6 */
	int vlan; /* 0 none, 1 one 802.1Q tag, 2 two 802.1Q tags, 3 an 802.1ad tag */
	uint16_t tci;
	uint8_t dmac[6], smac[6];
	uint16_t ethertype; /* 0: from ipv */
	uint8_t src[16], dst[16];
	uint8_t ver_ihl;    /* 0: 0x45 / 0x60 */
	unsigned opt_words; /* IPv4 option words (IHL 5 + n, NOPs) */
	uint16_t frag;	    /* IPv4 flags and fragment offset */
	uint8_t proto;	    /* IPv4 protocol / IPv6 next header */
	int tot_delta;	    /* added to the IPv4 total / IPv6 payload length */
	bool bad_ip_csum;
	uint8_t tos; /* IPv4 TOS / IPv6 traffic class */
	uint8_t ttl;
	uint16_t sport, dport;
	int ulen_delta; /* added to the UDP length field */
	int csum_mode;	/* 0 correct, 1 zero, 2 wrong */
	uint8_t dns[1500];
	size_t dns_len;
	size_t ip_trailer; /* junk inside the IP payload after the UDP datagram */
	size_t pad;	   /* junk after the IP packet (Ethernet padding) */
};

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x53 };
static const uint8_t cli_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t our4[4] = { 198, 18, 0, 53 };
static const uint8_t our4b[4] = { 198, 18, 0, 54 };
static const uint8_t cli4[4] = { 198, 19, 0, 1 };
static const uint8_t our6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x53 };
static const uint8_t our6b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x54 };
static const uint8_t cli6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 };

static struct fp_addrs cfg;

static void setup(void)
{
	fp_addrs_init(&cfg, our_mac);
	cr_assert_eq(fp_addrs_add4(&cfg, our4), 0);
	cr_assert_eq(fp_addrs_add4(&cfg, our4b), 0);
	cr_assert_eq(fp_addrs_add6(&cfg, our6), 0);
	cr_assert_eq(fp_addrs_add6(&cfg, our6b), 0);
}

/* A query for www.example. A, RD, ID 0x1234. */
static size_t std_query(uint8_t *out, uint16_t flags)
{
	uint8_t h[12] = {
		0x12, 0x34, (uint8_t)(flags >> 8), (uint8_t)flags, 0, 1, 0, 0, 0, 0, 0, 0
	};
	memcpy(out, h, 12);
	size_t n = 12 + tn(out + 12, "www.example");
	out[n++] = 0;
	out[n++] = 1;
	out[n++] = 0;
	out[n++] = 1;
	return n;
}

static void spec_init(struct spec *s, int ipv, int vlan)
{
	memset(s, 0, sizeof(*s));
	s->ipv = ipv;
	s->vlan = vlan;
	s->tci = 0x2064; /* PCP 1, VID 100 */
	memcpy(s->dmac, our_mac, 6);
	memcpy(s->smac, cli_mac, 6);
	if (ipv == 4) {
		memcpy(s->src, cli4, 4);
		memcpy(s->dst, our4, 4);
	} else {
		memcpy(s->src, cli6, 16);
		memcpy(s->dst, our6, 16);
	}
	s->proto = 17;
	s->ttl = 57;
	s->tos = 0xb8;
	s->frag = 0x4000; /* DF, as Linux clients send */
	s->sport = 40000;
	s->dport = 53;
	s->dns_len = std_query(s->dns, 0x0100);
}

static void p8(uint8_t *b, size_t *n, uint8_t v)
{
	b[(*n)++] = v;
}

static void p16(uint8_t *b, size_t *n, uint16_t v)
{
	p8(b, n, (uint8_t)(v >> 8));
	p8(b, n, (uint8_t)v);
}

static void pbytes(uint8_t *b, size_t *n, const void *src, size_t len)
{
	memcpy(b + *n, src, len);
	*n += len;
}

/* Builds the frame s describes into b (>= 2048 octets); returns its length. */
static size_t build(const struct spec *s, uint8_t *b)
{
	size_t n = 0;
	pbytes(b, &n, s->dmac, 6);
	pbytes(b, &n, s->smac, 6);
	if (s->vlan == 3) {
		p16(b, &n, 0x88a8);
		p16(b, &n, s->tci);
	}
	if (s->vlan == 2) {
		p16(b, &n, 0x8100);
		p16(b, &n, 0x0007);
	}
	if (s->vlan) {
		p16(b, &n, 0x8100);
		p16(b, &n, s->tci);
	}
	p16(b, &n, s->ethertype ? s->ethertype : s->ipv == 4 ? 0x0800 : 0x86dd);

	size_t ulen = 8 + s->dns_len;
	size_t l3 = n, l4;
	uint8_t proto = s->proto;
	if (s->ipv == 4) {
		size_t hl = 20 + 4 * s->opt_words;
		p8(b, &n, s->ver_ihl ? s->ver_ihl : (uint8_t)(0x40 | (5 + s->opt_words)));
		p8(b, &n, s->tos);
		p16(b, &n, (uint16_t)((int)(hl + ulen + s->ip_trailer) + s->tot_delta));
		p16(b, &n, 0xbeef);
		p16(b, &n, s->frag);
		p8(b, &n, s->ttl);
		p8(b, &n, proto);
		p16(b, &n, 0);
		pbytes(b, &n, s->src, 4);
		pbytes(b, &n, s->dst, 4);
		for (unsigned i = 0; i < 4 * s->opt_words; i++)
			p8(b, &n, 1);
		uint16_t c = (uint16_t)~ref_sum(b + l3, hl);
		if (s->bad_ip_csum)
			c ^= 0x0100;
		b[l3 + 10] = (uint8_t)(c >> 8);
		b[l3 + 11] = (uint8_t)c;
	} else {
		p8(b, &n, s->ver_ihl ? s->ver_ihl : (uint8_t)(0x60 | s->tos >> 4));
		p8(b, &n, (uint8_t)(s->tos << 4 | 0x0a));
		p16(b, &n, 0xbcde); /* flow label */
		p16(b, &n, (uint16_t)((int)(ulen + s->ip_trailer) + s->tot_delta));
		p8(b, &n, proto);
		p8(b, &n, s->ttl);
		pbytes(b, &n, s->src, 16);
		pbytes(b, &n, s->dst, 16);
	}
	l4 = n;
	p16(b, &n, s->sport);
	p16(b, &n, s->dport);
	p16(b, &n, (uint16_t)((int)ulen + s->ulen_delta));
	p16(b, &n, 0);
	pbytes(b, &n, s->dns, s->dns_len);
	uint16_t c = (uint16_t)~ref_acc(ref_pseudo(s->ipv, s->src, s->dst, ulen), b + l4, ulen);
	if (c == 0)
		c = 0xffff;
	if (s->csum_mode == 1)
		c = 0;
	else if (s->csum_mode == 2)
		c ^= 0x0040;
	b[l4 + 6] = (uint8_t)(c >> 8);
	b[l4 + 7] = (uint8_t)c;
	for (size_t i = 0; i < s->ip_trailer; i++)
		p8(b, &n, (uint8_t)(0x5a + i));
	for (size_t i = 0; i < s->pad; i++)
		p8(b, &n, (uint8_t)(0xa5 ^ i));
	return n;
}

/* Classifies b[0..len) copied into a guarded buffer (any read past len faults). */
static enum fp_verdict classify_guarded(const struct fp_addrs *a, const uint8_t *b, size_t len,
					struct fp_pkt *p, uint8_t *why)
{
	uint8_t *g = guard_new(b, len);
	enum fp_verdict v = fp_pkt_classify(a, g, len, p, why);
	guard_free(g, len);
	return v;
}

static enum fp_verdict classify_spec(const struct spec *s, struct fp_pkt *p, uint8_t *why)
{
	uint8_t b[2048];
	size_t n = build(s, b);
	return classify_guarded(&cfg, b, n, p, why);
}

#define expect_drop(s, reason)                                                        \
	do {                                                                          \
		struct fp_pkt p_;                                                     \
		uint8_t why_;                                                         \
		enum fp_verdict v_ = classify_spec((s), &p_, &why_);                  \
		cr_expect(v_ == FP_DROP && why_ == (reason),                          \
			  "expected drop %s, got verdict %d drop %s exc %s",          \
			  fp_drop_reason_name(reason), v_, fp_drop_reason_name(why_), \
			  fp_exc_reason_name(p_.exc));                                \
	} while (0)

#define expect_exc(s, reason)                                                               \
	do {                                                                                \
		struct fp_pkt p_;                                                           \
		uint8_t why_;                                                               \
		enum fp_verdict v_ = classify_spec((s), &p_, &why_);                        \
		cr_expect(v_ == FP_EXCEPTION && p_.exc == (reason) && why_ == FP_DROP_NONE, \
			  "expected exception %s, got verdict %d drop %s exc %s",           \
			  fp_exc_reason_name(reason), v_, fp_drop_reason_name(why_),        \
			  fp_exc_reason_name(p_.exc));                                      \
	} while (0)

/* ---- checksum ---- */

Test(csum, rfc1071_example)
{
	/* RFC 1071 §3: 0001 f203 f4f5 f6f7 sums to ddf2. */
	static const uint8_t d[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	cr_assert_eq(fp_csum_sum(d, sizeof(d)), 0xddf2);
	cr_assert_eq(fp_csum_sum(d, 0), 0);
	cr_assert_eq(fp_csum_sum(d, 1), 0x0000);
	cr_assert_eq(fp_csum_sum(d + 1, 1), 0x0100);
	cr_assert_eq(fp_csum_sum(d + 2, 3), 0xe604);
}

Test(csum, matches_reference_all_lengths_and_alignments)
{
	static uint8_t buf[2100];
	srand(7);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 2048; len++)
			cr_assert_eq(fp_csum_sum(buf + off, len), ref_sum(buf + off, len),
				     "off %zu len %zu", off, len);
	/* Carries: all-ones data, the largest datagram. */
	static uint8_t ff[65535];
	memset(ff, 0xff, sizeof(ff));
	cr_assert_eq(fp_csum_sum(ff, sizeof(ff)), ref_sum(ff, sizeof(ff)));
	cr_assert_eq(fp_csum_sum(ff, 65534), 0xffff);
}

Test(csum, spans_concatenate)
{
	uint8_t buf[301];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	for (size_t cut = 0; cut <= sizeof(buf); cut += 2) {
		uint64_t acc = fp_csum_add(0, buf, cut);
		acc = fp_csum_add(acc, buf + cut, sizeof(buf) - cut);
		cr_assert_eq(fp_csum_fold(acc), ref_sum(buf, sizeof(buf)), "cut %zu", cut);
	}
	uint64_t acc = fp_csum_add16(fp_csum_add16(0, 0x1234), 0xfedc);
	static const uint8_t w[] = { 0x12, 0x34, 0xfe, 0xdc };
	cr_assert_eq(fp_csum_fold(acc), ref_sum(w, 4));
	/* An accumulator near 2^64 still carries around. */
	cr_assert_eq(fp_csum_fold(fp_csum_addc(UINT64_MAX - 1, 3)), fp_csum_fold(2));
}

Test(csum, adjust16_matches_recomputation)
{
	uint8_t h[20];
	srand(11);
	for (int iter = 0; iter < 20000; iter++) {
		for (int i = 0; i < 20; i++)
			h[i] = (uint8_t)rand();
		if (iter % 7 == 0)
			memset(h, iter % 2 ? 0xff : 0, 20);
		h[10] = h[11] = 0;
		uint16_t c = (uint16_t)~ref_sum(h, 20);
		h[10] = (uint8_t)(c >> 8);
		h[11] = (uint8_t)c;
		unsigned at = 2 * (unsigned)(rand() % 10);
		if (at == 10)
			continue;
		uint16_t old = (uint16_t)(h[at] << 8 | h[at + 1]);
		uint16_t nv = iter % 5 == 0 ? old : (uint16_t)rand();
		h[at] = (uint8_t)(nv >> 8);
		h[at + 1] = (uint8_t)nv;
		uint16_t c2 = fp_csum_adjust16(c, old, nv);
		h[10] = (uint8_t)(c2 >> 8);
		h[11] = (uint8_t)c2;
		uint16_t s = ref_sum(h, 20);
		/* Verifies: the sum is ones' complement zero (0xffff, or 0 for all-zero data). */
		cr_assert(s == 0xffff || s == 0, "iter %d: sum %04x", iter, s);
		h[10] = h[11] = 0;
		uint16_t full = (uint16_t)~ref_sum(h, 20);
		cr_assert(c2 == full || (c2 == 0 && full == 0xffff) || (c2 == 0xffff && full == 0),
			  "iter %d: %04x vs %04x", iter, c2, full);
	}
	cr_assert_eq(fp_csum_udp_final(0xffff), 0xffff);
	cr_assert_eq(fp_csum_udp_final(0x1234), 0xedcb);
}

/* ---- configuration ---- */

Test(addrs, add_validates)
{
	struct fp_addrs a;
	fp_addrs_init(&a, NULL);
	cr_assert_eq(a.n4, 0);
	static const uint8_t bad4[][4] = { { 0, 1, 2, 3 },
					   { 127, 0, 0, 1 },
					   { 224, 0, 0, 251 },
					   { 239, 1, 1, 1 },
					   { 255, 255, 255, 255 } };
	for (size_t i = 0; i < sizeof(bad4) / sizeof(bad4[0]); i++)
		cr_expect_eq(fp_addrs_add4(&a, bad4[i]), DP_EINVAL, "bad4[%zu]", i);
	uint8_t ok4[4] = { 240, 0, 0, 1 }; /* class E is unicast to Linux */
	cr_expect_eq(fp_addrs_add4(&a, ok4), 0);
	cr_expect_eq(fp_addrs_add4(&a, ok4), DP_EEXIST);
	for (int i = 1; i < FP_ADDRS_MAX; i++) {
		ok4[3] = (uint8_t)(i + 1);
		cr_expect_eq(fp_addrs_add4(&a, ok4), 0);
	}
	ok4[3] = 200;
	cr_expect_eq(fp_addrs_add4(&a, ok4), DP_ERANGE);
	cr_expect_eq(a.n4, FP_ADDRS_MAX);
	cr_expect_eq(a.v4[0], 0xf0000001u);

	static const uint8_t bad6[][16] = {
		{ 0 },
		{ [15] = 1 },
		{ 0xff, 0x02, [15] = 1 },
		{ [10] = 0xff, [11] = 0xff, 192, 0, 2, 1 },
	};
	for (size_t i = 0; i < sizeof(bad6) / sizeof(bad6[0]); i++)
		cr_expect_eq(fp_addrs_add6(&a, bad6[i]), DP_EINVAL, "bad6[%zu]", i);
	uint8_t ok6[16] = { 0xfe, 0x80, [15] = 1 };
	cr_expect_eq(fp_addrs_add6(&a, ok6), 0);
	cr_expect_eq(fp_addrs_add6(&a, ok6), DP_EEXIST);
	for (int i = 1; i < FP_ADDRS_MAX; i++) {
		ok6[15] = (uint8_t)(i + 1);
		cr_expect_eq(fp_addrs_add6(&a, ok6), 0);
	}
	ok6[15] = 200;
	cr_expect_eq(fp_addrs_add6(&a, ok6), DP_ERANGE);
}

Test(addrs, names)
{
	for (unsigned i = 0; i < FP_DROP__COUNT; i++)
		cr_expect_str_neq(fp_drop_reason_name(i), "?", "drop %u", i);
	for (unsigned i = 0; i < FP_EXC__COUNT; i++)
		cr_expect_str_neq(fp_exc_reason_name(i), "?", "exc %u", i);
	cr_expect_str_eq(fp_drop_reason_name(FP_DROP__COUNT), "?");
	cr_expect_str_eq(fp_exc_reason_name(FP_EXC__COUNT), "?");
	cr_expect_str_eq(fp_drop_reason_name(FP_DROP_IP4_CSUM), "ip4_csum");
	cr_expect_str_eq(fp_exc_reason_name(FP_EXC_OPCODE), "opcode");
}

/* ---- classify: queries ---- */

static void expect_query(const struct spec *s, size_t l3)
{
	struct fp_pkt p;
	uint8_t why = 0xee;
	cr_assert_eq(classify_spec(s, &p, &why), FP_QUERY, "drop %s exc %s",
		     fp_drop_reason_name(why), fp_exc_reason_name(p.exc));
	cr_expect_eq(why, FP_DROP_NONE);
	cr_expect_eq(p.exc, FP_EXC_NONE);
	cr_expect_eq(p.ip_ver, s->ipv);
	cr_expect_eq(p.vlan, s->vlan == 1);
	if (s->vlan)
		cr_expect_eq(p.vlan_tci, s->tci);
	cr_expect_eq(p.l3_off, l3);
	cr_expect_eq(p.l4_off, l3 + (s->ipv == 4 ? 20 : 40));
	cr_expect_eq(p.dns_off, p.l4_off + 8);
	cr_expect_eq(p.dns_len, s->dns_len);
}

Test(classify, ipv4_query, .init = setup)
{
	struct spec s;
	spec_init(&s, 4, 0);
	expect_query(&s, 14);
	spec_init(&s, 4, 1);
	expect_query(&s, 18);
	s.tci = 0; /* priority tag, VID 0 */
	expect_query(&s, 18);
	spec_init(&s, 4, 0);
	s.frag = 0; /* DF clear is fine; so is the reserved bit */
	expect_query(&s, 14);
	s.frag = 0x8000;
	expect_query(&s, 14);
}

Test(classify, ipv6_query, .init = setup)
{
	struct spec s;
	spec_init(&s, 6, 0);
	expect_query(&s, 14);
	spec_init(&s, 6, 1);
	expect_query(&s, 18);
}

Test(classify, second_address_and_any_mac, .init = setup)
{
	struct spec s;
	struct fp_pkt p;
	uint8_t why;
	spec_init(&s, 4, 0);
	memcpy(s.dst, our4b, 4);
	cr_assert_eq(classify_spec(&s, &p, &why), FP_QUERY);
	cr_expect_eq(p.addr_idx, 1);
	spec_init(&s, 6, 0);
	memcpy(s.dst, our6b, 16);
	cr_assert_eq(classify_spec(&s, &p, &why), FP_QUERY);
	cr_expect_eq(p.addr_idx, 1);

	/* An all-zero MAC in the configuration accepts any unicast destination MAC. */
	struct fp_addrs any = cfg;
	memset(any.mac, 0, 6);
	s.dmac[5] = 0x99;
	uint8_t b[2048];
	size_t n = build(&s, b);
	cr_expect_eq(classify_guarded(&cfg, b, n, &p, &why), FP_DROP);
	cr_expect_eq(why, FP_DROP_L2_NOT_OURS);
	cr_expect_eq(classify_guarded(&any, b, n, &p, &why), FP_QUERY);
}

Test(classify, ethernet_padding_and_ip_trailer, .init = setup)
{
	struct spec s;
	/* A short query padded to 60 octets with junk: the IP length rules. */
	spec_init(&s, 4, 0);
	s.dns_len = 12;
	s.pad = 60 - (14 + 20 + 8 + 12);
	expect_query(&s, 14);
	spec_init(&s, 4, 1);
	s.dns_len = 13;
	s.pad = 60 - (18 + 20 + 8 + 13);
	expect_query(&s, 18);
	spec_init(&s, 6, 0);
	s.pad = 7;
	expect_query(&s, 14);
	/* IP payload past the UDP length is ignored (Linux trims it too). */
	spec_init(&s, 4, 0);
	s.ip_trailer = 5;
	expect_query(&s, 14);
	spec_init(&s, 6, 1);
	s.ip_trailer = 3;
	s.pad = 9;
	expect_query(&s, 18);
}

Test(classify, udp_checksum_zero, .init = setup)
{
	struct spec s;
	spec_init(&s, 4, 0);
	s.csum_mode = 1; /* none: allowed over IPv4 */
	expect_query(&s, 14);
	spec_init(&s, 6, 0);
	s.csum_mode = 1;
	expect_drop(&s, FP_DROP_UDP6_NO_CSUM);
}

Test(classify, odd_and_large_payloads, .init = setup)
{
	struct spec s;
	for (size_t len = 12; len <= 1400; len += 97) {
		for (int ipv = 4; ipv <= 6; ipv += 2) {
			spec_init(&s, ipv, (int)(len & 1));
			size_t q = std_query(s.dns, 0x0000);
			for (size_t i = q; i < len; i++)
				s.dns[i] = (uint8_t)(i * 7);
			s.dns_len = len < q ? q : len;
			expect_query(&s, s.vlan ? 18 : 14);
		}
	}
}

/* ---- classify: drops ---- */

Test(classify, drop_l2, .init = setup)
{
	struct spec s;
	spec_init(&s, 4, 0);
	s.smac[0] |= 1; /* group source MAC */
	expect_drop(&s, FP_DROP_BAD_SRC);
	spec_init(&s, 4, 0);
	s.dmac[4] = 0x77;
	expect_drop(&s, FP_DROP_L2_NOT_OURS);

	struct fp_pkt p;
	uint8_t why;
	uint8_t b[2048];
	spec_init(&s, 4, 1);
	size_t n = build(&s, b);
	cr_expect_eq(classify_guarded(&cfg, b, 13, &p, &why), FP_DROP);
	cr_expect_eq(why, FP_DROP_L2_TRUNC);
	cr_expect_eq(classify_guarded(&cfg, b, 17, &p, &why), FP_DROP);
	cr_expect_eq(why, FP_DROP_L2_TRUNC);
	cr_expect_eq(classify_guarded(&cfg, b, 0, &p, &why), FP_DROP);
	cr_expect_eq(why, FP_DROP_L2_TRUNC);
	cr_expect_eq(classify_guarded(&cfg, b, n, &p, &why), FP_QUERY);
}

Test(classify, drop_ipv4_header, .init = setup)
{
	struct spec s;
	spec_init(&s, 4, 0);
	s.ver_ihl = 0x65; /* EtherType IPv4, version 6 */
	expect_drop(&s, FP_DROP_IP_VERSION);
	spec_init(&s, 4, 0);
	s.ver_ihl = 0x44;
	expect_drop(&s, FP_DROP_IP4_HDR_LEN);
	spec_init(&s, 4, 1);
	s.bad_ip_csum = true;
	expect_drop(&s, FP_DROP_IP4_CSUM);
	spec_init(&s, 4, 0);
	s.tot_delta = 1; /* one octet past the frame */
	expect_drop(&s, FP_DROP_IP_LEN);
	spec_init(&s, 4, 0);
	s.tot_delta = -(int)(8 + s.dns_len + 1); /* total 19 < header */
	expect_drop(&s, FP_DROP_IP_LEN);
	spec_init(&s, 4, 0);
	s.tot_delta = -(int)(8 + s.dns_len) + 4; /* 4 octets of UDP header */
	expect_drop(&s, FP_DROP_L4_TRUNC);
	spec_init(&s, 4, 0);
	s.tot_delta = -(int)(8 + s.dns_len); /* no IP payload at all */
	expect_drop(&s, FP_DROP_L4_TRUNC);

	/* Padding does not stand in for a missing IP payload. */
	spec_init(&s, 4, 0);
	s.tot_delta = 10;
	s.pad = 9;
	expect_drop(&s, FP_DROP_IP_LEN);
	s.pad = 10;
	expect_query(&s, 14); /* within the frame now: IP payload past the UDP datagram */
}

Test(classify, drop_ipv6_header, .init = setup)
{
	struct spec s;
	spec_init(&s, 6, 0);
	s.ver_ihl = 0x45;
	expect_drop(&s, FP_DROP_IP_VERSION);
	spec_init(&s, 6, 1);
	s.tot_delta = 1;
	expect_drop(&s, FP_DROP_IP_LEN);
	spec_init(&s, 6, 0);
	s.tot_delta = -(int)(8 + s.dns_len) + 7;
	expect_drop(&s, FP_DROP_L4_TRUNC);
	spec_init(&s, 6, 0);
	s.tot_delta = -(int)(8 + s.dns_len);
	expect_drop(&s, FP_DROP_L4_TRUNC);

	struct fp_pkt p;
	uint8_t why;
	uint8_t b[2048];
	spec_init(&s, 6, 0);
	build(&s, b);
	cr_expect_eq(classify_guarded(&cfg, b, 14 + 39, &p, &why), FP_DROP);
	cr_expect_eq(why, FP_DROP_L3_TRUNC);
	spec_init(&s, 4, 0);
	build(&s, b);
	cr_expect_eq(classify_guarded(&cfg, b, 14 + 19, &p, &why), FP_DROP);
	cr_expect_eq(why, FP_DROP_L3_TRUNC);
}

Test(classify, drop_udp, .init = setup)
{
	for (int ipv = 4; ipv <= 6; ipv += 2) {
		struct spec s;
		spec_init(&s, ipv, 0);
		s.ulen_delta = 1;
		expect_drop(&s, FP_DROP_UDP_LEN);
		spec_init(&s, ipv, 0);
		s.ulen_delta = -(int)(s.dns_len + 1); /* 7 */
		expect_drop(&s, FP_DROP_UDP_LEN);
		spec_init(&s, ipv, 0);
		s.ulen_delta = -(int)(s.dns_len + 8); /* 0 */
		expect_drop(&s, FP_DROP_UDP_LEN);
		spec_init(&s, ipv, 1);
		s.csum_mode = 2;
		expect_drop(&s, FP_DROP_UDP_CSUM);
		/* A shorter UDP length leaves the sum over fewer octets: no longer verifies. */
		spec_init(&s, ipv, 0);
		s.ulen_delta = -1;
		expect_drop(&s, FP_DROP_UDP_CSUM);
		spec_init(&s, ipv, 0);
		s.sport = 0;
		expect_drop(&s, FP_DROP_BAD_SRC);
	}
}

Test(classify, drop_martian_sources, .init = setup)
{
	static const uint8_t bad4[][4] = { { 0, 0, 0, 0 },	   { 0, 9, 9, 9 },
					   { 127, 0, 0, 1 },	   { 224, 0, 0, 1 },
					   { 239, 255, 255, 250 }, { 255, 255, 255, 255 } };
	for (size_t i = 0; i < sizeof(bad4) / sizeof(bad4[0]); i++) {
		struct spec s;
		spec_init(&s, 4, 0);
		memcpy(s.src, bad4[i], 4);
		expect_drop(&s, FP_DROP_BAD_SRC);
	}
	static const uint8_t bad6[][16] = {
		{ 0 },
		{ [15] = 1 },
		{ 0xff, 0x02, [15] = 1 },
		{ 0xff, 0x0e, [15] = 0x53 },
		{ [10] = 0xff, [11] = 0xff, 198, 19, 0, 1 },
	};
	for (size_t i = 0; i < sizeof(bad6) / sizeof(bad6[0]); i++) {
		struct spec s;
		spec_init(&s, 6, 1);
		memcpy(s.src, bad6[i], 16);
		expect_drop(&s, FP_DROP_BAD_SRC);
	}
	/* Not martian: class E, link-local, IPv4-compatible ::2. */
	struct spec s;
	spec_init(&s, 4, 0);
	s.src[0] = 240;
	expect_query(&s, 14);
	spec_init(&s, 6, 0);
	memset(s.src, 0, 16);
	s.src[0] = 0xfe;
	s.src[1] = 0x80;
	s.src[15] = 7;
	expect_query(&s, 14);
	memset(s.src, 0, 16);
	s.src[15] = 2;
	expect_query(&s, 14);
}

Test(classify, drop_dns, .init = setup)
{
	for (int ipv = 4; ipv <= 6; ipv += 2) {
		struct spec s;
		spec_init(&s, ipv, 0);
		s.dns_len = 11;
		expect_drop(&s, FP_DROP_DNS_SHORT);
		s.dns_len = 0;
		expect_drop(&s, FP_DROP_DNS_SHORT);
		spec_init(&s, ipv, 1);
		s.dns[2] |= 0x80; /* QR */
		expect_drop(&s, FP_DROP_DNS_RESPONSE);
		s.dns[2] = 0x80 | 4 << 3; /* a NOTIFY response */
		expect_drop(&s, FP_DROP_DNS_RESPONSE);
		/* Exactly a header is a query to answer (the engine answers FORMERR). */
		spec_init(&s, ipv, 0);
		s.dns_len = 12;
		s.dns[5] = 0;
		expect_query(&s, 14);
	}
}

/* ---- classify: exceptions ---- */

Test(classify, exc_l2, .init = setup)
{
	struct spec s;
	spec_init(&s, 4, 0);
	memset(s.dmac, 0xff, 6);
	expect_exc(&s, FP_EXC_L2_GROUP);
	spec_init(&s, 6, 0);
	static const uint8_t snm[6] = { 0x33, 0x33, 0xff, 0, 0, 0x53 }; /* NDP solicited-node */
	memcpy(s.dmac, snm, 6);
	expect_exc(&s, FP_EXC_L2_GROUP);
	spec_init(&s, 4, 0);
	s.ethertype = 0x0806; /* ARP */
	expect_exc(&s, FP_EXC_ETHERTYPE);
	s.ethertype = 0x88cc; /* LLDP */
	expect_exc(&s, FP_EXC_ETHERTYPE);
	spec_init(&s, 4, 1);
	s.ethertype = 0x0806;
	expect_exc(&s, FP_EXC_ETHERTYPE);
	spec_init(&s, 4, 2);
	expect_exc(&s, FP_EXC_QINQ);
	spec_init(&s, 6, 3);
	expect_exc(&s, FP_EXC_QINQ);
	spec_init(&s, 4, 0);
	s.ethertype = 0x88a8;
	expect_exc(&s, FP_EXC_QINQ);
}

Test(classify, exc_ipv4, .init = setup)
{
	struct spec s;
	spec_init(&s, 4, 0);
	s.opt_words = 1;
	expect_exc(&s, FP_EXC_IP4_OPTIONS);
	spec_init(&s, 4, 0);
	s.opt_words = 10; /* IHL 15 */
	expect_exc(&s, FP_EXC_IP4_OPTIONS);
	spec_init(&s, 4, 1);
	s.frag = 0x2000; /* MF */
	expect_exc(&s, FP_EXC_FRAGMENT);
	s.frag = 0x0001; /* offset 8 */
	expect_exc(&s, FP_EXC_FRAGMENT);
	s.frag = 0x5fff;
	expect_exc(&s, FP_EXC_FRAGMENT);
	spec_init(&s, 4, 0);
	s.proto = 1; /* ICMP */
	expect_exc(&s, FP_EXC_L4_PROTO);
	s.proto = 6; /* TCP to port 53 */
	expect_exc(&s, FP_EXC_L4_PROTO);
	spec_init(&s, 4, 0);
	s.dst[3] = 99;
	expect_exc(&s, FP_EXC_DST_ADDR);
	memset(s.dst, 0xff, 4); /* limited broadcast */
	expect_exc(&s, FP_EXC_DST_ADDR);
	s.dst[0] = 224; /* multicast (mDNS-like) */
	s.dst[1] = 0;
	s.dst[2] = 0;
	s.dst[3] = 251;
	expect_exc(&s, FP_EXC_DST_ADDR);
}

Test(classify, exc_ipv6, .init = setup)
{
	struct spec s;
	static const uint8_t nh[] = {
		0, 43, 44, 60, 58, 6, 59
	}; /* ext headers, ICMPv6, TCP, none */
	for (size_t i = 0; i < sizeof(nh); i++) {
		spec_init(&s, 6, (int)(i & 1));
		s.proto = nh[i];
		expect_exc(&s, FP_EXC_L4_PROTO);
	}
	spec_init(&s, 6, 0);
	s.dst[15] = 0x99;
	expect_exc(&s, FP_EXC_DST_ADDR);
	memset(s.dst, 0, 16);
	s.dst[0] = 0xfe;
	s.dst[1] = 0x80;
	s.dst[15] = 0x53; /* link-local: the kernel's */
	expect_exc(&s, FP_EXC_DST_ADDR);
	memcpy(s.dst, our6, 16);
	s.dst[0] = 0xff; /* multicast */
	s.dst[1] = 0x02;
	expect_exc(&s, FP_EXC_DST_ADDR);
}

Test(classify, exc_port_and_opcode, .init = setup)
{
	for (int ipv = 4; ipv <= 6; ipv += 2) {
		struct spec s;
		spec_init(&s, ipv, 0);
		s.dport = 5353;
		expect_exc(&s, FP_EXC_PORT);
		s.dport = 0;
		expect_exc(&s, FP_EXC_PORT);
		spec_init(&s, ipv, 0);
		s.dport = 54;
		s.csum_mode = 2; /* not ours to check */
		expect_exc(&s, FP_EXC_PORT);
		static const uint8_t ops[] = { 1, 2, 3, 4, 5, 6, 15 };
		for (size_t i = 0; i < sizeof(ops); i++) {
			spec_init(&s, ipv, (int)(i & 1));
			s.dns_len = std_query(s.dns, (uint16_t)(ops[i] << 11 | 0x0400));
			expect_exc(&s, FP_EXC_OPCODE);
		}
	}
}

/* ---- classify: truncation and corruption ---- */

/* Every proper prefix of a frame without padding: never a query, never a read past the end. */
static void truncations(const struct spec *s)
{
	uint8_t b[2048];
	size_t n = build(s, b);
	struct fp_pkt p;
	uint8_t why;
	cr_assert_eq(classify_guarded(&cfg, b, n, &p, &why), FP_QUERY);
	size_t l3 = p.l3_off, l4 = p.l4_off;
	for (size_t len = 0; len < n; len++) {
		enum fp_verdict v = classify_guarded(&cfg, b, len, &p, &why);
		cr_assert_eq(v, FP_DROP, "len %zu of %zu: verdict %d", len, n, v);
		uint8_t exp = len < l3 ? FP_DROP_L2_TRUNC :
			      len < l4 ? FP_DROP_L3_TRUNC :
					 FP_DROP_IP_LEN;
		cr_assert_eq(why, exp, "len %zu of %zu: %s", len, n, fp_drop_reason_name(why));
	}
}

Test(classify, every_truncation_is_dropped, .init = setup)
{
	struct spec s;
	for (int vlan = 0; vlan <= 1; vlan++) {
		spec_init(&s, 4, vlan);
		truncations(&s);
		spec_init(&s, 6, vlan);
		truncations(&s);
		spec_init(&s, 4, vlan);
		s.dns_len = 13; /* odd */
		truncations(&s);
	}
}

Test(classify, truncating_padding_is_harmless, .init = setup)
{
	struct spec s;
	spec_init(&s, 4, 1);
	s.dns_len = 12;
	s.pad = 6;
	uint8_t b[2048];
	size_t n = build(&s, b);
	struct fp_pkt p;
	uint8_t why;
	for (size_t len = n - s.pad; len <= n; len++)
		cr_assert_eq(classify_guarded(&cfg, b, len, &p, &why), FP_QUERY, "len %zu", len);
	cr_assert_eq(classify_guarded(&cfg, b, n - s.pad - 1, &p, &why), FP_DROP);
	cr_assert_eq(why, FP_DROP_IP_LEN);
}

/*
 * Flip every bit of a query: the result is a query only where no checksum
 * reaches (source MAC, the 802.1Q TCI, IPv6 traffic class, flow label and hop
 * limit) or where the flip zeroes an IPv4 UDP checksum.
 */
static void bit_flips(const struct spec *s)
{
	uint8_t b[2048];
	size_t n = build(s, b);
	struct fp_pkt p;
	uint8_t why;
	cr_assert_eq(classify_guarded(&cfg, b, n, &p, &why), FP_QUERY);
	size_t l3 = p.l3_off, l4 = p.l4_off;
	uint8_t *g = guard_new(b, n);
	for (size_t bit = 0; bit < 8 * n; bit++) {
		size_t at = bit / 8;
		g[at] ^= (uint8_t)(0x80 >> bit % 8);
		enum fp_verdict v = fp_pkt_classify(&cfg, g, n, &p, &why);
		if (v == FP_QUERY) {
			bool free_field = (at >= 6 && at < 12) ||
					  (s->vlan && at >= 14 && at < 16) ||
					  (s->ipv == 6 && at == l3 && bit % 8 >= 4) ||
					  (s->ipv == 6 && at > l3 && at < l3 + 4) ||
					  (s->ipv == 6 && at == l3 + 7) ||
					  (s->ipv == 4 && (at == l4 + 6 || at == l4 + 7) &&
					   g[l4 + 6] == 0 && g[l4 + 7] == 0);
			cr_assert(free_field, "bit %zu (octet %zu) flipped: still a query", bit,
				  at);
		}
		g[at] ^= (uint8_t)(0x80 >> bit % 8);
	}
	guard_free(g, n);
}

Test(classify, bit_flips, .init = setup)
{
	struct spec s;
	for (int vlan = 0; vlan <= 1; vlan++) {
		spec_init(&s, 4, vlan);
		bit_flips(&s);
		spec_init(&s, 6, vlan);
		s.dns_len = std_query(s.dns, 0x0000);
		bit_flips(&s);
	}
}

/* ---- reply ---- */

/* Writes a fake response of len octets over the query's DNS payload at off. */
static void fake_response(uint8_t *f, size_t off, size_t len)
{
	for (size_t i = 12; i < len; i++)
		f[off + i] = (uint8_t)(i * 13 + 1);
	if (len >= 3)
		f[off + 2] |= 0x80;
}

static uint16_t g16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Builds the query s, answers it with a fake response of dns_len octets in a
 * buffer of capacity cap (guarded), and checks every field of the reply.
 */
static void check_reply(const struct spec *s, size_t dns_len, size_t cap)
{
	uint8_t q[2048];
	size_t n = build(s, q);
	if (cap < n)
		cap = n; /* the buffer holds at least the received frame */
	uint8_t *f = guard_new(NULL, cap);
	memcpy(f, q, n);
	memset(f + n, 0xcc, cap - n);
	struct fp_pkt p;
	uint8_t why;
	cr_assert_eq(fp_pkt_classify(&cfg, f, n, &p, &why), FP_QUERY);
	fake_response(f, p.dns_off, dns_len);
	uint8_t resp[2048];
	memcpy(resp, f + p.dns_off, dns_len);

	int rc = fp_pkt_reply(f, cap, &p, dns_len, 0x4242);
	cr_assert_eq(rc, (int)(p.dns_off + dns_len), "rc %d", rc);
	size_t end = (size_t)rc;

	cr_expect(memcmp(f, q + 6, 6) == 0, "destination MAC is the client's");
	cr_expect(memcmp(f + 6, q, 6) == 0, "source MAC is ours");
	cr_expect(memcmp(f + 12, q + 12, p.l3_off - 12) == 0, "EtherType and 802.1Q tag kept");
	const uint8_t *ip = f + p.l3_off, *qip = q + p.l3_off;
	const uint8_t *u = f + p.l4_off, *qu = q + p.l4_off;
	size_t ulen = 8 + dns_len;
	uint32_t ph;
	if (s->ipv == 4) {
		cr_expect_eq(ip[0], 0x45);
		cr_expect_eq(ip[1], 0, "TOS cleared");
		cr_expect_eq(g16(ip + 2), 20 + ulen);
		cr_expect_eq(g16(ip + 4), 0x4242);
		cr_expect_eq(g16(ip + 6), 0, "DF clear, not a fragment");
		cr_expect_eq(ip[8], 64);
		cr_expect_eq(ip[9], 17);
		cr_expect(memcmp(ip + 12, qip + 16, 4) == 0 && memcmp(ip + 16, qip + 12, 4) == 0);
		cr_expect_eq(ref_sum(ip, 20), 0xffff, "IPv4 header checksum verifies");
		ph = ref_pseudo(4, ip + 12, ip + 16, ulen);
	} else {
		cr_expect_eq(ip[0], 0x60);
		cr_expect(ip[1] == 0 && ip[2] == 0 && ip[3] == 0, "traffic class, flow label 0");
		cr_expect_eq(g16(ip + 4), ulen);
		cr_expect_eq(ip[6], 17);
		cr_expect_eq(ip[7], 64);
		cr_expect(memcmp(ip + 8, qip + 24, 16) == 0 && memcmp(ip + 24, qip + 8, 16) == 0);
		ph = ref_pseudo(6, ip + 8, ip + 24, ulen);
	}
	cr_expect_eq(g16(u), g16(qu + 2));
	cr_expect_eq(g16(u + 2), g16(qu));
	cr_expect_eq(g16(u + 4), ulen);
	cr_expect_neq(g16(u + 6), 0);
	cr_expect_eq(ref_acc(ph, u, ulen), 0xffff, "UDP checksum verifies (len %zu)", dns_len);
	cr_expect(memcmp(f + p.dns_off, resp, dns_len) == 0, "response untouched");
	for (size_t i = end; i < cap; i++)
		if (i >= n)
			cr_assert_eq(f[i], 0xcc, "octet %zu past the reply written", i);

	/* The reply, seen from the client: a response (dropped) or for another port. */
	struct fp_addrs cli;
	fp_addrs_init(&cli, s->smac);
	cr_assert_eq(s->ipv == 4 ? fp_addrs_add4(&cli, s->src) : fp_addrs_add6(&cli, s->src), 0);
	struct fp_pkt rp;
	enum fp_verdict v = fp_pkt_classify(&cli, f, end, &rp, &why);
	if (s->sport == 53 && dns_len >= 12) {
		cr_expect(v == FP_DROP && why == FP_DROP_DNS_RESPONSE, "v %d why %s", v,
			  fp_drop_reason_name(why));
		/* Clear QR, fix the checksum incrementally: now a query for the client. */
		uint16_t fl = g16(f + p.dns_off + 2);
		f[p.dns_off + 2] &= 0x7f;
		uint16_t c = fp_csum_adjust16(g16(u + 6), fl, g16(f + p.dns_off + 2));
		if (!c)
			c = 0xffff;
		f[p.l4_off + 6] = (uint8_t)(c >> 8);
		f[p.l4_off + 7] = (uint8_t)c;
		cr_expect_eq(fp_pkt_classify(&cli, f, end, &rp, &why), FP_QUERY);
		cr_expect(rp.l3_off == p.l3_off && rp.dns_off == p.dns_off &&
			  rp.dns_len == dns_len && rp.vlan == p.vlan && rp.vlan_tci == p.vlan_tci);
	} else if (s->sport != 53) {
		cr_expect(v == FP_EXCEPTION && rp.exc == FP_EXC_PORT, "v %d exc %s", v,
			  fp_exc_reason_name(rp.exc));
	}
	guard_free(f, cap);
}

Test(reply, ipv4, .init = setup)
{
	struct spec s;
	for (int vlan = 0; vlan <= 1; vlan++) {
		spec_init(&s, 4, vlan);
		size_t dns_off = (size_t)(vlan ? 18 : 14) + 28;
		for (size_t len = 12; len < 300; len += 41)
			check_reply(&s, len, dns_off + len); /* capacity exactly the reply */
		check_reply(&s, s.dns_len, 1600);
		check_reply(&s, 12, 1600); /* shorter than the query */
		check_reply(&s, 1232, 1600);
		check_reply(&s, 1233, 1600);
	}
}

Test(reply, ipv6, .init = setup)
{
	struct spec s;
	for (int vlan = 0; vlan <= 1; vlan++) {
		spec_init(&s, 6, vlan);
		size_t dns_off = (size_t)(vlan ? 18 : 14) + 48;
		for (size_t len = 13; len < 300; len += 41)
			check_reply(&s, len, dns_off + len);
		check_reply(&s, 1232, 1600);
		check_reply(&s, 1231, 1600);
	}
}

Test(reply, from_port_53_round_trip, .init = setup)
{
	struct spec s;
	for (int ipv = 4; ipv <= 6; ipv += 2) {
		spec_init(&s, ipv, ipv == 6);
		s.sport = 53;
		check_reply(&s, 12, 1600);
		check_reply(&s, 77, 1600);
		check_reply(&s, 512, 1600);
	}
}

Test(reply, padded_and_trailer_queries, .init = setup)
{
	struct spec s;
	spec_init(&s, 4, 0);
	s.dns_len = 12;
	s.pad = 6;
	check_reply(&s, 12, 1600); /* 54 octets: the NIC pads, the padding is not ours */
	check_reply(&s, 100, 1600);
	spec_init(&s, 6, 1);
	s.ip_trailer = 4;
	s.pad = 3;
	check_reply(&s, 45, 1600);
	spec_init(&s, 4, 0);
	s.csum_mode = 1; /* a query without UDP checksum still gets one */
	check_reply(&s, 33, 1600);
}

Test(reply, checksum_never_zero, .init = setup)
{
	/* Vary the response until its UDP sum would be 0xffff: stored as 0xffff, not 0. */
	struct spec s;
	spec_init(&s, 6, 0);
	uint8_t q[2048];
	size_t n = build(&s, q);
	struct fp_pkt p;
	uint8_t why;
	cr_assert_eq(fp_pkt_classify(&cfg, q, n, &p, &why), FP_QUERY);
	bool hit = false;
	for (unsigned x = 0; x < 0x10000 && !hit; x++) {
		uint8_t f[2048];
		memcpy(f, q, n);
		fake_response(f, p.dns_off, 14);
		f[p.dns_off + 12] = (uint8_t)(x >> 8);
		f[p.dns_off + 13] = (uint8_t)x;
		cr_assert_eq(fp_pkt_reply(f, sizeof(f), &p, 14, 1), (int)(p.dns_off + 14));
		uint16_t c = g16(f + p.l4_off + 6);
		cr_assert_neq(c, 0);
		if (c == 0xffff) {
			hit = true;
			uint32_t ph = ref_pseudo(6, f + p.l3_off + 8, f + p.l3_off + 24, 22);
			cr_expect_eq(ref_acc(ph, f + p.l4_off, 22), 0xffff);
		}
	}
	cr_expect(hit, "some response sums to zero");
}

Test(reply, errors_leave_the_frame_alone, .init = setup)
{
	struct spec s;
	spec_init(&s, 4, 1);
	uint8_t q[2048], f[2048];
	size_t n = build(&s, q);
	struct fp_pkt p;
	uint8_t why;
	cr_assert_eq(fp_pkt_classify(&cfg, q, n, &p, &why), FP_QUERY);
	memcpy(f, q, sizeof(f));

	cr_expect_eq(fp_pkt_reply(f, p.dns_off + 99, &p, 100, 1), DP_ESPACE);
	cr_expect_eq(fp_pkt_reply(f, 10, &p, 0, 1), DP_ESPACE);
	cr_expect_eq(fp_pkt_reply(f, SIZE_MAX, &p, 65508, 1), DP_ERANGE);
	cr_expect_eq(fp_pkt_reply(f, SIZE_MAX, &p, SIZE_MAX - 10, 1), DP_ERANGE);
	struct fp_pkt bad = p;
	bad.ip_ver = 5;
	cr_expect_eq(fp_pkt_reply(f, sizeof(f), &bad, 50, 1), DP_EINVAL);
	bad = p;
	bad.vlan = false;
	cr_expect_eq(fp_pkt_reply(f, sizeof(f), &bad, 50, 1), DP_EINVAL);
	bad = p;
	bad.dns_off++;
	cr_expect_eq(fp_pkt_reply(f, sizeof(f), &bad, 50, 1), DP_EINVAL);
	bad = p;
	bad.exc = FP_EXC_PORT;
	cr_expect_eq(fp_pkt_reply(f, sizeof(f), &bad, 50, 1), DP_EINVAL);
	assert_bytes(f, n, q, n);

	/* The largest datagrams each family carries. */
	static uint8_t big[65600];
	memcpy(big, q, n);
	cr_expect_eq(fp_pkt_reply(big, sizeof(big), &p, 65507, 1), (int)(p.dns_off + 65507));
	cr_expect_eq(g16(big + p.l3_off + 2), 65535);
	cr_expect_eq(ref_sum(big + p.l3_off, 20), 0xffff);
	spec_init(&s, 6, 0);
	n = build(&s, q);
	cr_assert_eq(fp_pkt_classify(&cfg, q, n, &p, &why), FP_QUERY);
	memcpy(big, q, n);
	cr_expect_eq(fp_pkt_reply(big, sizeof(big), &p, 65528, 1), DP_ERANGE);
	cr_expect_eq(fp_pkt_reply(big, sizeof(big), &p, 65527, 1), (int)(p.dns_off + 65527));
	cr_expect_eq(g16(big + p.l3_off + 4), 65535);
	uint32_t ph = ref_pseudo(6, big + p.l3_off + 8, big + p.l3_off + 24, 65535);
	cr_expect_eq(ref_acc(ph, big + p.l4_off, 65535), 0xffff);
}

Test(reply, ip_id_is_the_callers, .init = setup)
{
	struct spec s;
	spec_init(&s, 4, 0);
	uint8_t q[2048];
	size_t n = build(&s, q);
	struct fp_pkt p;
	uint8_t why;
	cr_assert_eq(fp_pkt_classify(&cfg, q, n, &p, &why), FP_QUERY);
	static const uint16_t ids[] = { 0, 1, 0x8000, 0xffff };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		uint8_t f[2048];
		memcpy(f, q, n);
		cr_assert_gt(fp_pkt_reply(f, sizeof(f), &p, p.dns_len, ids[i]), 0);
		cr_expect_eq(g16(f + p.l3_off + 4), ids[i]);
		cr_expect_eq(ref_sum(f + p.l3_off, 20), 0xffff);
	}
}

/*
 * Checksum offload: the headers are those of the software reply, except
 * that the IPv4 checksum is left 0 and the UDP checksum holds the
 * pseudo-header sum; completing it the way a NIC does (sum the datagram
 * with that seed, complement, 0 → 0xffff) gives the software value.
 */
static void check_reply_hw(int ipv, int vlan, size_t dns_len)
{
	struct spec s;
	spec_init(&s, ipv, vlan);
	uint8_t sw[2048], hw[2048];
	size_t n = build(&s, sw);
	struct fp_pkt p;
	uint8_t why;
	cr_assert_eq(fp_pkt_classify(&cfg, sw, n, &p, &why), FP_QUERY);
	fake_response(sw, p.dns_off, dns_len);
	memcpy(hw, sw, sizeof(hw));
	int a = fp_pkt_reply(sw, sizeof(sw), &p, dns_len, 7);
	int b = fp_pkt_reply_hw(hw, sizeof(hw), &p, dns_len, 7,
				FP_REPLY_IP4_CSUM_HW | FP_REPLY_UDP_CSUM_HW);
	cr_assert_eq(a, b);
	size_t ucs = p.l4_off + 6, ics = p.l3_off + 10;
	for (size_t i = 0; i < (size_t)a; i++)
		if (i != ucs && i != ucs + 1 && !(ipv == 4 && (i == ics || i == ics + 1)))
			cr_assert_eq(sw[i], hw[i], "octet %zu", i);
	if (ipv == 4) {
		cr_expect_eq(g16(hw + ics), 0, "IPv4 checksum left to the NIC");
		hw[ics] = sw[ics];
		hw[ics + 1] = sw[ics + 1];
	}
	/* What the NIC does: one's-complement sum of the datagram, seed included. */
	uint16_t done = (uint16_t)~ref_acc(0, hw + p.l4_off, 8 + dns_len);
	if (done == 0)
		done = 0xffff;
	cr_expect_eq(done, g16(sw + ucs), "completed %04x, software %04x", done, g16(sw + ucs));
}

Test(reply, checksum_offload, .init = setup)
{
	for (int ipv = 4; ipv <= 6; ipv += 2)
		for (int vlan = 0; vlan < 2; vlan++)
			for (size_t len = 12; len < 1300; len += 97)
				check_reply_hw(ipv, vlan, len);
}

/* Checksums the NIC verified are not summed again; the others still are. */
Test(classify, hw_checksum_verdicts, .init = setup)
{
	for (int ipv = 4; ipv <= 6; ipv += 2) {
		struct spec s;
		spec_init(&s, ipv, 0);
		uint8_t f[2048];
		size_t n = build(&s, f);
		struct fp_pkt p;
		uint8_t why;
		f[n - 1] ^= 0x20; /* break the UDP checksum */
		cr_expect_eq(fp_pkt_classify(&cfg, f, n, &p, &why), FP_DROP);
		cr_expect_eq(why, FP_DROP_UDP_CSUM);
		cr_expect_eq(fp_pkt_classify_hw(&cfg, f, n, &p, &why, FP_RX_IP4_CSUM_OK), FP_DROP);
		cr_expect_eq(fp_pkt_classify_hw(&cfg, f, n, &p, &why, FP_RX_L4_CSUM_OK), FP_QUERY);
		if (ipv == 4) {
			f[14 + 10] ^= 0x01; /* and the IPv4 header checksum */
			cr_expect_eq(fp_pkt_classify_hw(&cfg, f, n, &p, &why, FP_RX_L4_CSUM_OK),
				     FP_DROP);
			cr_expect_eq(why, FP_DROP_IP4_CSUM);
			cr_expect_eq(fp_pkt_classify_hw(&cfg, f, n, &p, &why,
							FP_RX_L4_CSUM_OK | FP_RX_IP4_CSUM_OK),
				     FP_QUERY);
		}
	}
}
