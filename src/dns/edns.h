/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * EDNS(0) OPT pseudo-RR (RFC 6891).  Parsing validates the option list;
 * known options (NSID, EXPIRE, COOKIE, EDE) are located and kept as raw
 * bytes pointing into the message.  Fastpath-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

#define DNS_EDNS_DO 0x8000          /* DNSSEC OK, in the flags word */
#define DNS_EDNS_DEFAULT_PAYLOAD 1232 /* DNS flag day 2020 */
#define DNS_EDNS_FIXED_LEN 11       /* root owner, type, class, TTL, rdlength */

enum dns_edns_option {
	DNS_OPT_NSID = 3,      /* RFC 5001 */
	DNS_OPT_EXPIRE = 9,    /* RFC 7314 */
	DNS_OPT_COOKIE = 10,   /* RFC 7873 */
	DNS_OPT_TCP_KEEPALIVE = 11,
	DNS_OPT_PADDING = 12,
	DNS_OPT_EDE = 15,      /* RFC 8914 */
};

struct dns_edns_opt {
	const uint8_t *data; /* NULL when absent */
	uint16_t len;
};

struct dns_edns {
	uint16_t payload;     /* requestor's UDP payload size (CLASS field) */
	uint8_t ext_rcode;    /* upper 8 bits of the 12-bit rcode */
	uint8_t version;
	uint16_t flags;       /* DO and the Z bits */
	struct dns_edns_opt nsid;
	struct dns_edns_opt expire;
	struct dns_edns_opt cookie;
	struct dns_edns_opt ede;
	const uint8_t *options; /* the whole option list (rdata) */
	uint16_t options_len;
	uint16_t bad_option;    /* code of a known option that was invalid, 0 if none */
	bool owner_is_root;
};

/*
 * Parses the OPT RR whose owner name starts at r->pos (r spans the message).
 * The owner should be the root (RFC 6891 §6.1.2); like Knot, any valid
 * owner name is accepted and owner_is_root says which it was.  Structural
 * errors are DP_EMALF (a type other than OPT, an option running past the
 * rdata) or a name error code.  A known option with an
 * invalid length (COOKIE not 8 or 16..40 octets, EXPIRE neither empty nor 4,
 * EDE under 2) or seen twice is not located; its code is left in bad_option
 * and parsing succeeds, so that the caller decides (Knot and NSD, with
 * cookies off, ignore such options).  On success r->pos is past the RR.
 * Returns 0 or a negative code.
 */
int dns_edns_parse(struct dns_rd *r, struct dns_edns *e) __attribute__((warn_unused_result));

/*
 * Writes an OPT RR: payload size, extended rcode (the rcode >> 4), version 0,
 * DO as given, and the options already encoded in opts[0..opts_len) (each
 * code, length, data), for example from dns_edns_opt_write into a scratch
 * buffer.  Errors in w->err.
 */
void dns_edns_write(struct dns_wr *w, uint16_t payload, uint8_t ext_rcode, uint16_t flags,
		    const uint8_t *opts, size_t opts_len);

/* Appends one option (code, length, data) at w->pos. Errors in w->err. */
void dns_edns_opt_write(struct dns_wr *w, uint16_t code, const void *data, uint16_t len);

/* Wire size of an OPT RR carrying opts_len octets of options. */
static inline size_t dns_edns_size(size_t opts_len)
{
	return DNS_EDNS_FIXED_LEN + opts_len;
}
