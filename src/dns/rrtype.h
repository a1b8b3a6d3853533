/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * RR type table and rdata handling.
 *
 * Each known type has a field layout (fixed-size fields, names, character
 * strings, "the rest").  The layout records which fields are domain names and,
 * for each, whether it may be compressed when sent (only the RFC 1035 types,
 * RFC 3597 §4), whether a receiver must decompress it (RFC 3597 §4 adds RP,
 * AFSDB, RT, SIG, PX, NXT, NAPTR, SRV), and whether it is lowercased in
 * canonical form (RFC 4034 §6.2 as amended by RFC 6840 §5.1).
 * Unknown types (RFC 3597) are opaque bytes.
 *
 * "rdata" below is always the uncompressed wire form.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"
#include "dns/name.h"

#define DNS_RDATA_MAXLEN 65535

enum dns_rrtype {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_MD = 3,
	DNS_T_MF = 4,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_MB = 7,
	DNS_T_MG = 8,
	DNS_T_MR = 9,
	DNS_T_PTR = 12,
	DNS_T_HINFO = 13,
	DNS_T_MINFO = 14,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_RP = 17,
	DNS_T_AFSDB = 18,
	DNS_T_RT = 21,
	DNS_T_SIG = 24,
	DNS_T_PX = 26,
	DNS_T_AAAA = 28,
	DNS_T_NXT = 30,
	DNS_T_SRV = 33,
	DNS_T_NAPTR = 35,
	DNS_T_KX = 36,
	DNS_T_A6 = 38,
	DNS_T_DNAME = 39,
	DNS_T_OPT = 41,
	DNS_T_DS = 43,
	DNS_T_SSHFP = 44,
	DNS_T_RRSIG = 46,
	DNS_T_NSEC = 47,
	DNS_T_DNSKEY = 48,
	DNS_T_NSEC3 = 50,
	DNS_T_NSEC3PARAM = 51,
	DNS_T_TLSA = 52,
	DNS_T_SVCB = 64,
	DNS_T_HTTPS = 65,
	DNS_T_TSIG = 250,
	DNS_T_IXFR = 251,
	DNS_T_AXFR = 252,
	DNS_T_ANY = 255,
	DNS_T_CAA = 257,
};

enum dns_rrclass {
	DNS_C_IN = 1,
	DNS_C_CH = 3,
	DNS_C_NONE = 254,
	DNS_C_ANY = 255,
};

enum dns_rdf_kind {
	DNS_RDF_END = 0,   /* end of layout: rdata must end here */
	DNS_RDF_FIXED,     /* len octets */
	DNS_RDF_NAME,      /* a domain name, see flags */
	DNS_RDF_CHARSTR,   /* one <character-string>: length octet + data */
	DNS_RDF_CHARSTRS,  /* one or more <character-string>s to the end */
	DNS_RDF_REST,      /* zero or more octets to the end */
	DNS_RDF_REST1,     /* one or more octets to the end */
};

enum dns_rdf_flag {
	DNS_RDF_COMPRESS = 1 << 0,   /* sender may compress (RFC 1035 types only) */
	DNS_RDF_DECOMPRESS = 1 << 1, /* receiver must accept compression */
	DNS_RDF_LOWER = 1 << 2,      /* lowercased in canonical form */
	DNS_RDF_ADDITIONAL = 1 << 3, /* target triggers additional A/AAAA (NS, MX, SRV) */
};

struct dns_rdf {
	uint8_t kind;
	uint8_t flags;
	uint16_t len;
};

#define DNS_RDF_MAXFIELDS 8

struct dns_rrtype_desc {
	uint16_t type;
	const char *name;
	struct dns_rdf fields[DNS_RDF_MAXFIELDS];
};

/* The descriptor for type; a generic opaque one for unknown types. */
const struct dns_rrtype_desc *dns_rrtype_get(uint16_t type);

/* True when dpdns knows the type's layout (not the generic descriptor). */
bool dns_rrtype_known(uint16_t type);

/* Meta and question-only types (OPT, TSIG, IXFR, AXFR, ANY, ...): never zone data. */
bool dns_rrtype_is_meta(uint16_t type);

/*
 * Mnemonic for type ("A", "NSEC3PARAM") or "TYPEnnn" (RFC 3597) into buf
 * (capacity >= 16); returns buf.
 */
const char *dns_rrtype_to_text(uint16_t type, char *buf);

/* Parses a mnemonic or TYPEnnn (case-insensitive); DP_ESYNTAX when unknown. */
int dns_rrtype_from_text(const char *text) __attribute__((warn_unused_result));

/*
 * Validates uncompressed rdata against type's layout.  Returns 0 or
 * DP_ERDATA (layout violated) / a name error code.
 */
int dns_rdata_check(uint16_t type, const uint8_t *rdata, size_t len)
	__attribute__((warn_unused_result));

/*
 * Reads rdlen octets of rdata at r->pos (r spans the whole message so that
 * compression pointers resolve), decompressing the name fields that may be
 * compressed, validating the layout, into out (capacity cap).  Names in
 * fields that must not be compressed are rejected if compressed.
 * Returns the uncompressed length or a negative code; r->pos ends right after
 * the rdata on success.
 */
int dns_rdata_parse(struct dns_rd *r, uint16_t type, size_t rdlen, uint8_t *out, size_t cap)
	__attribute__((warn_unused_result));

/*
 * Writes rdata (valid, uncompressed) at w->pos, compressing the name fields
 * flagged DNS_RDF_COMPRESS against c (NULL: none).  Errors in w->err.
 */
void dns_rdata_write(struct dns_wr *w, uint16_t type, const uint8_t *rdata, size_t len,
		     struct dns_compr *c);

/* Lowercases, in place, the name fields flagged DNS_RDF_LOWER. */
void dns_rdata_lower(uint16_t type, uint8_t *rdata, size_t len);

/*
 * Canonical RDATA order (RFC 4034 §6.3): compares the canonical forms as
 * left-justified unsigned octet sequences.  Both must already be canonical
 * (dns_rdata_lower), in which case this is memcmp with the shorter first.
 */
int dns_rdata_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/*
 * Calls fn for each name field in rdata (for additional-section processing,
 * zone checks).  fn gets the field's flags and a pointer to the name inside
 * rdata.  rdata must be valid.
 */
void dns_rdata_names(uint16_t type, const uint8_t *rdata, size_t len,
		     void (*fn)(void *ctx, unsigned flags, const uint8_t *name), void *ctx);
