/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * DNS message header, question and resource record parse/build (RFC 1035
 * §4.1).  Parsing reads through a struct dns_rd spanning the whole message;
 * building writes through a struct dns_wr with optional name compression.
 * Fastpath-safe: no allocation.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"
#include "dns/name.h"
#include "dns/rrtype.h"

#define DNS_HDR_LEN 12
#define DNS_UDP_MIN 512     /* RFC 1035 limit without EDNS */

enum dns_flag {
	DNS_F_QR = 0x8000,
	DNS_F_AA = 0x0400,
	DNS_F_TC = 0x0200,
	DNS_F_RD = 0x0100,
	DNS_F_RA = 0x0080,
	DNS_F_Z = 0x0040,
	DNS_F_AD = 0x0020,
	DNS_F_CD = 0x0010,
};

#define DNS_OPCODE_MASK 0x7800
#define DNS_OPCODE_SHIFT 11
#define DNS_RCODE_MASK 0x000f

enum dns_opcode {
	DNS_OP_QUERY = 0,
	DNS_OP_IQUERY = 1,
	DNS_OP_STATUS = 2,
	DNS_OP_NOTIFY = 4,
	DNS_OP_UPDATE = 5,
};

enum dns_rcode {
	DNS_R_NOERROR = 0,
	DNS_R_FORMERR = 1,
	DNS_R_SERVFAIL = 2,
	DNS_R_NXDOMAIN = 3,
	DNS_R_NOTIMP = 4,
	DNS_R_REFUSED = 5,
	DNS_R_YXDOMAIN = 6,
	DNS_R_NOTAUTH = 9,
	DNS_R_NOTZONE = 10,
	DNS_R_BADVERS = 16, /* extended: needs EDNS */
	DNS_R_BADSIG = 16,  /* TSIG error field */
	DNS_R_BADKEY = 17,
	DNS_R_BADTIME = 18,
	DNS_R_BADCOOKIE = 23,
};

struct dns_hdr {
	uint16_t id;
	uint16_t flags; /* QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode */
	uint16_t qdcount;
	uint16_t ancount;
	uint16_t nscount;
	uint16_t arcount;
};

static inline unsigned dns_hdr_opcode(const struct dns_hdr *h)
{
	return (h->flags & DNS_OPCODE_MASK) >> DNS_OPCODE_SHIFT;
}

static inline unsigned dns_hdr_rcode(const struct dns_hdr *h)
{
	return h->flags & DNS_RCODE_MASK;
}

/* Reads the 12-octet header; returns 0 or DP_ETRUNC. */
int dns_hdr_parse(struct dns_rd *r, struct dns_hdr *h) __attribute__((warn_unused_result));

/* Writes the 12-octet header at w->pos. */
void dns_hdr_write(struct dns_wr *w, const struct dns_hdr *h);

struct dns_question {
	uint8_t name[DNS_NAME_MAXLEN];
	uint16_t name_len;
	uint16_t qtype;
	uint16_t qclass;
};

/* Reads one question entry; returns 0 or a negative code. */
int dns_question_parse(struct dns_rd *r, struct dns_question *q)
	__attribute__((warn_unused_result));

/* Writes one question entry (name compressed against c when c != NULL). */
void dns_question_write(struct dns_wr *w, const struct dns_question *q, struct dns_compr *c);

/*
 * A parsed resource record.  rdata points into the caller's buffer given to
 * dns_rr_parse (uncompressed), or anywhere the caller likes when building.
 */
struct dns_rr {
	uint8_t owner[DNS_NAME_MAXLEN];
	uint16_t owner_len;
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;
};

/*
 * Reads one RR at r->pos.  Its rdata is decompressed and validated against
 * the type layout into rdbuf (capacity rdcap; DNS_RDATA_MAXLEN always
 * suffices).  OPT and other meta types are returned as opaque rdata.
 * Returns 0 or a negative code.
 */
int dns_rr_parse(struct dns_rd *r, struct dns_rr *rr, uint8_t *rdbuf, size_t rdcap)
	__attribute__((warn_unused_result));

/* Steps over one RR without decoding its rdata; returns 0 or a negative code. */
int dns_rr_skip(struct dns_rd *r) __attribute__((warn_unused_result));

/*
 * Writes one RR: owner and rdata names compressed against c where allowed.
 * Errors in w->err.
 */
void dns_rr_write(struct dns_wr *w, const struct dns_rr *rr, struct dns_compr *c);
