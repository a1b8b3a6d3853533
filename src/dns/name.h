/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Domain names in uncompressed wire form: a sequence of <len><label> ending in
 * the zero-length root label, at most 255 octets in all, labels at most 63.
 *
 * Functions taking a "name" (const uint8_t *) expect a valid uncompressed wire
 * name (one produced by dns_name_parse / dns_name_from_text / dns_name_check);
 * they do not re-validate it.  Everything that reads names from a packet goes
 * through dns_name_parse.  All functions are fastpath-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

#define DNS_NAME_MAXLEN 255
#define DNS_LABEL_MAXLEN 63
#define DNS_NAME_MAXLABELS 128
/* Longest presentation form: every octet as \DDD, plus dots and NUL. */
#define DNS_NAME_TEXT_MAX (DNS_NAME_MAXLEN * 4 + 2)

/*
 * Reads a possibly compressed name at r->pos into out (capacity >= 255) in
 * uncompressed form, leaving r->pos just after the name as it appears in the
 * message (after the first pointer, if any).  Compression pointers must point
 * strictly backwards (to before the start of the label sequence that holds
 * them), which also rules out loops.  Labels with the reserved 01/10 type bits
 * are rejected.
 * Returns the name's length (>= 1) or DP_ETRUNC, DP_EPTR, DP_ELABEL,
 * DP_ENAMELEN; on error r->err is set as well.
 */
int dns_name_parse(struct dns_rd *r, uint8_t *out) __attribute__((warn_unused_result));

/*
 * Like dns_name_parse but allows no compression pointer (for rdata fields
 * that RFC 3597 and later RFCs require to be sent uncompressed).
 */
int dns_name_parse_plain(struct dns_rd *r, uint8_t *out) __attribute__((warn_unused_result));

/*
 * Validates an uncompressed wire name in buf[0..len) (the name may end before
 * len).  Returns the name's length or DP_ETRUNC, DP_ELABEL, DP_ENAMELEN,
 * DP_EPTR (a compression pointer where none may be).
 */
int dns_name_check(const uint8_t *buf, size_t len) __attribute__((warn_unused_result));

/* Length in octets of a valid name, root label included. */
size_t dns_name_len(const uint8_t *name);

/* Number of labels, not counting the root label (so "." has 0). */
int dns_name_labels(const uint8_t *name);

/* Case-insensitive (ASCII) equality. */
bool dns_name_eq(const uint8_t *a, const uint8_t *b);

/* Lowercases ASCII letters in place (RFC 4034 §6.2 canonical form). */
void dns_name_lower(uint8_t *name);

/* Copies name to dst (capacity >= its length), lowercased; returns its length. */
size_t dns_name_copy_lower(uint8_t *dst, const uint8_t *name);

/*
 * RFC 4034 §6.1 canonical ordering: <0, 0, >0 as a sorts before, equal to
 * or after b.  Comparison is case-insensitive.
 */
int dns_name_cmp(const uint8_t *a, const uint8_t *b);

/* True when name equals parent or lies below it (case-insensitive). */
bool dns_name_is_sub(const uint8_t *name, const uint8_t *parent);

/* The name with its first label removed; NULL for the root. */
const uint8_t *dns_name_parent(const uint8_t *name);

/* The suffix of name that has n labels (n <= dns_name_labels(name)). */
const uint8_t *dns_name_suffix(const uint8_t *name, int n);

/* True when the first label is "*" (a wildcard owner, RFC 4592). */
bool dns_name_is_wildcard(const uint8_t *name);

/*
 * Parses presentation format ("www.Example.com.", "a\.b", "\065", "@") into
 * out (capacity >= 255).  A relative name (no trailing dot) is completed with
 * origin; origin NULL makes relative names an error.  "@" is the origin.
 * Returns the wire length or DP_ESYNTAX, DP_ELABEL, DP_ENAMELEN.
 */
int dns_name_from_text(const char *text, const uint8_t *origin, uint8_t *out)
	__attribute__((warn_unused_result));

/*
 * Writes the absolute presentation form (with trailing dot; "." for the root)
 * to out, escaping '.', '\\', '"', '(', ')', ';', '@', '$', space and
 * non-printable octets as \DDD like Knot and BIND.  Returns the text length
 * (without NUL) or DP_ESPACE.
 */
int dns_name_to_text(const uint8_t *name, char *out, size_t cap);

/*
 * Name compression for message building.  The table records offsets in the
 * message being written at which a name suffix starts; a later name reuses
 * the longest suffix already present with the same octets (case-sensitive,
 * so that decompression gives back exactly the name written: rdata keeps the
 * zone's case).  Callers that want an owner to take the query's case (the
 * answer engine) point at the question name explicitly.
 * Only offsets below 0x4000 are usable.  The table is a small fixed array: a
 * full table just stops recording new suffixes (compression degrades, output
 * stays correct).
 */
#define DNS_COMPR_MAX 64

struct dns_compr {
	uint16_t off[DNS_COMPR_MAX];
	unsigned n;
	/*
	 * Suffixes recorded at offsets below icase_end match case-insensitively
	 * (0: none).  The answer engine sets it to the end of the question name,
	 * so every name equal to a suffix of the question points into it and
	 * takes the query's case, as Knot and NSD answer.
	 */
	uint16_t icase_end;
	/* When sites != NULL, the offset of each pointer written is appended
	 * (up to max_sites; nsites keeps counting past it so overflow shows). */
	uint16_t *sites;
	unsigned nsites, max_sites;
};

static inline void dns_compr_init(struct dns_compr *c)
{
	c->n = 0;
	c->icase_end = 0;
	c->sites = NULL;
	c->nsites = c->max_sites = 0;
}

/* Records that a name starts at message offset off, without writing it. */
void dns_compr_add(struct dns_compr *c, const struct dns_wr *w, size_t off);

/*
 * Writes name at w->pos, compressed against c (NULL: no compression) and
 * records its new suffixes in c.  Errors are left in w->err.
 */
void dns_wr_name(struct dns_wr *w, const uint8_t *name, struct dns_compr *c);
