/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * A scripted primary for the transfer client tests: it reads our query,
 * builds reply messages from record lists, and signs them with libknot's
 * TSIG code (the independent implementation), every message or only some
 * (the unsigned ones are fed into the next signature as RFC 8945 §5.3.1
 * says).  Plus a sink that records what the session delivers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <libknot/libknot.h>

#include "../dns/testutil.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "xfr/tsig.h"
#include "xfr/xfr.h"

#define XT_SECRET "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define XT_WRONG "ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q="
#define XT_KEY "xfr-key"
#define XT_MSG_CAP 65535
#define XT_PENDING_CAP (4u << 20)

/* A record for a reply. */
struct trr {
	uint8_t owner[DNS_NAME_MAXLEN];
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	uint16_t rdlen;
	uint8_t rd[300];
};

static inline struct trr xt_rr(const char *owner, uint16_t type, const void *rd, size_t rdlen)
{
	struct trr r = { .type = type, .rclass = DNS_C_IN, .ttl = 3600, .rdlen = (uint16_t)rdlen };
	tn(r.owner, owner);
	memcpy(r.rd, rd, rdlen);
	return r;
}

/* SOA example.com: ns.example.com. hostmaster.example.com. serial 3600 600 86400 300 */
static inline struct trr xt_soa_of(const char *owner, uint32_t serial)
{
	uint8_t rd[300];
	size_t o = tn(rd, "ns.example.com");
	o += tn(rd + o, "hostmaster.example.com");
	uint32_t v[5] = { serial, 3600, 600, 86400, 300 };
	for (int i = 0; i < 5; i++) {
		rd[o++] = (uint8_t)(v[i] >> 24);
		rd[o++] = (uint8_t)(v[i] >> 16);
		rd[o++] = (uint8_t)(v[i] >> 8);
		rd[o++] = (uint8_t)v[i];
	}
	return xt_rr(owner, DNS_T_SOA, rd, o);
}

static inline struct trr xt_soa(uint32_t serial)
{
	return xt_soa_of("example.com", serial);
}

static inline struct trr xt_a(const char *owner, uint8_t last)
{
	uint8_t ip[4] = { 198, 18, 0, last };
	return xt_rr(owner, DNS_T_A, ip, 4);
}

static inline struct trr xt_ns(const char *target)
{
	uint8_t rd[DNS_NAME_MAXLEN];
	return xt_rr("example.com", DNS_T_NS, rd, tn(rd, target));
}

/* The scripted primary's side of one transaction. */
struct prim {
	bool sign;
	knot_tsig_key_t kk;
	uint16_t id, qtype;
	uint8_t prev[XFR_TSIG_MAC_MAX];
	size_t prev_len;
	uint8_t *pending; /* unsigned messages since the last signed one */
	size_t pending_len;
	unsigned nsent;
	unsigned flags; /* header flags besides QR (default AA) */
	bool no_question;
};

/* Reads our query q[0..qlen); secret NULL: the replies are unsigned. */
static inline void prim_init(struct prim *p, const uint8_t *q, size_t qlen, const char *secret)
{
	memset(p, 0, sizeof(*p));
	cr_assert_geq(qlen, DNS_HDR_LEN);
	p->id = dns_get_u16(q);
	p->flags = DNS_F_AA;
	struct dns_rd r;
	struct dns_hdr h;
	struct dns_question qq;
	dns_rd_init(&r, q, qlen);
	cr_assert_eq(dns_hdr_parse(&r, &h), 0);
	cr_assert_eq(dns_question_parse(&r, &qq), 0);
	p->qtype = qq.qtype;
	p->pending = malloc(XT_PENDING_CAP);
	cr_assert(p->pending);
	if (secret) {
		struct xfr_tsig_rr rr;
		cr_assert_eq(xfr_tsig_parse(q, qlen, &rr), 0, "the query is not signed");
		cr_assert_eq(knot_tsig_key_init(&p->kk, "hmac-sha256", XT_KEY, secret), KNOT_EOK);
		memcpy(p->prev, rr.mac, rr.mac_len);
		p->prev_len = rr.mac_len;
		p->sign = true;
	}
}

static inline void prim_deinit(struct prim *p)
{
	if (p->sign)
		knot_tsig_key_deinit(&p->kk);
	free(p->pending);
}

/*
 * The next reply message with records rrs[0..n) into out (XT_MSG_CAP),
 * rcode in the header, signed when sign (and the primary has a key).
 * Returns its length.
 */
static inline size_t prim_msg(struct prim *p, uint8_t *out, const struct trr *rrs, size_t n,
			      unsigned rcode, bool sign)
{
	struct dns_wr w;
	struct dns_compr c;
	bool q = p->nsent == 0 && !p->no_question;
	struct dns_hdr h = { .id = p->id,
			     .flags = (uint16_t)(DNS_F_QR | p->flags | rcode),
			     .qdcount = q,
			     .ancount = (uint16_t)n };
	dns_wr_init(&w, out, XT_MSG_CAP);
	dns_compr_init(&c);
	dns_hdr_write(&w, &h);
	if (q) {
		struct dns_question qq = { .qtype = p->qtype, .qclass = DNS_C_IN };
		qq.name_len = (uint16_t)tn(qq.name, "example.com");
		dns_question_write(&w, &qq, &c);
	}
	for (size_t i = 0; i < n; i++) {
		struct dns_rr rr = { .type = rrs[i].type,
				     .rclass = rrs[i].rclass,
				     .ttl = rrs[i].ttl,
				     .rdlen = rrs[i].rdlen,
				     .rdata = rrs[i].rd };
		rr.owner_len = (uint16_t)dns_name_len(rrs[i].owner);
		memcpy(rr.owner, rrs[i].owner, rr.owner_len);
		dns_rr_write(&w, &rr, &c);
	}
	cr_assert_eq(w.err, 0);
	size_t len = w.pos;
	if (p->sign && sign) {
		uint8_t dig[XFR_TSIG_MAC_MAX];
		size_t dl = sizeof(dig);
		int rc;
		if (p->nsent == 0) {
			rc = knot_tsig_sign(out, &len, XT_MSG_CAP, p->prev, p->prev_len, dig, &dl,
					    &p->kk, 0, 0);
		} else {
			cr_assert_leq(p->pending_len + len, XT_PENDING_CAP);
			memcpy(p->pending + p->pending_len, out, len);
			p->pending_len += len;
			rc = knot_tsig_sign_next(out, &len, XT_MSG_CAP, p->prev, p->prev_len, dig,
						 &dl, &p->kk, p->pending, p->pending_len);
		}
		cr_assert_eq(rc, KNOT_EOK, "libknot cannot sign: %s", knot_strerror(rc));
		memcpy(p->prev, dig, dl);
		p->prev_len = dl;
		p->pending_len = 0;
	} else if (p->sign) {
		cr_assert_leq(p->pending_len + len, XT_PENDING_CAP);
		memcpy(p->pending + p->pending_len, out, len);
		p->pending_len += len;
	}
	p->nsent++;
	return len;
}

/* What a session delivered to its sink. */
struct sink_log {
	size_t n;
	uint16_t types[4096];
	uint8_t owners[4096][64];
	uint32_t soa_serial[4096];
	int fail_at; /* 1-based record at which the sink fails; 0: never */
};

static inline int sink_log_fn(void *ctx, const struct dns_rr *rr)
{
	struct sink_log *l = ctx;
	if (l->fail_at && (int)l->n + 1 == l->fail_at)
		return DP_EZONE;
	cr_assert_lt(l->n, 4096);
	l->types[l->n] = rr->type;
	cr_assert_leq(rr->owner_len, 64);
	memcpy(l->owners[l->n], rr->owner, rr->owner_len);
	l->soa_serial[l->n] = rr->type == DNS_T_SOA ? xfr_soa_serial(rr->rdata, rr->rdlen) : 0;
	l->n++;
	return 0;
}

static inline uint64_t xt_now(void)
{
	return (uint64_t)time(NULL);
}
