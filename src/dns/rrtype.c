/* SPDX-License-Identifier: BSD-3-Clause */
#include "dns/rrtype.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#define FIX(n) { DNS_RDF_FIXED, 0, (n) }
#define NAME(f) { DNS_RDF_NAME, (f), 0 }
#define CSTR { DNS_RDF_CHARSTR, 0, 0 }
#define CSTRS { DNS_RDF_CHARSTRS, 0, 0 }
#define REST { DNS_RDF_REST, 0, 0 }
#define REST1 { DNS_RDF_REST1, 0, 0 }
#define END { DNS_RDF_END, 0, 0 }

/* RFC 1035 types: compressible on send, decompressed on receipt, lowercased. */
#define N1035 (DNS_RDF_COMPRESS | DNS_RDF_DECOMPRESS | DNS_RDF_LOWER)
/* RFC 3597 §4 "SHOULD decompress" types: never compressed on send. */
#define N3597 (DNS_RDF_DECOMPRESS | DNS_RDF_LOWER)

static const struct dns_rrtype_desc rrtypes[] = {
	{ DNS_T_A, "A", { FIX(4), END } },
	{ DNS_T_NS, "NS", { NAME(N1035 | DNS_RDF_ADDITIONAL), END } },
	{ DNS_T_MD, "MD", { NAME(N1035), END } },
	{ DNS_T_MF, "MF", { NAME(N1035), END } },
	{ DNS_T_CNAME, "CNAME", { NAME(N1035), END } },
	{ DNS_T_SOA, "SOA", { NAME(N1035), NAME(N1035), FIX(20), END } },
	{ DNS_T_MB, "MB", { NAME(N1035), END } },
	{ DNS_T_MG, "MG", { NAME(N1035), END } },
	{ DNS_T_MR, "MR", { NAME(N1035), END } },
	{ DNS_T_PTR, "PTR", { NAME(N1035), END } },
	{ DNS_T_HINFO, "HINFO", { CSTR, CSTR, END } },
	{ DNS_T_MINFO, "MINFO", { NAME(N1035), NAME(N1035), END } },
	{ DNS_T_MX, "MX", { FIX(2), NAME(N1035 | DNS_RDF_ADDITIONAL), END } },
	{ DNS_T_TXT, "TXT", { CSTRS, END } },
	{ DNS_T_RP, "RP", { NAME(N3597), NAME(N3597), END } },
	{ DNS_T_AFSDB, "AFSDB", { FIX(2), NAME(N3597), END } },
	{ DNS_T_RT, "RT", { FIX(2), NAME(N3597), END } },
	{ DNS_T_SIG, "SIG", { FIX(18), NAME(N3597), REST1, END } },
	{ DNS_T_PX, "PX", { FIX(2), NAME(N3597), NAME(N3597), END } },
	{ DNS_T_AAAA, "AAAA", { FIX(16), END } },
	{ DNS_T_NXT, "NXT", { NAME(N3597), REST, END } },
	{ DNS_T_SRV, "SRV", { FIX(6), NAME(N3597 | DNS_RDF_ADDITIONAL), END } },
	{ DNS_T_NAPTR, "NAPTR", { FIX(4), CSTR, CSTR, CSTR, NAME(N3597), END } },
	{ DNS_T_KX, "KX", { FIX(2), NAME(DNS_RDF_LOWER), END } },
	/* A6 (historic, RFC 6563): its layout depends on the prefix length; opaque. */
	{ DNS_T_A6, "A6", { REST1, END } },
	/* RFC 6672 forbids sending a compressed target; accept one from old primaries. */
	{ DNS_T_DNAME, "DNAME", { NAME(DNS_RDF_DECOMPRESS | DNS_RDF_LOWER), END } },
	{ DNS_T_OPT, "OPT", { REST, END } },
	{ DNS_T_DS, "DS", { FIX(4), REST1, END } },
	{ DNS_T_SSHFP, "SSHFP", { FIX(2), REST1, END } },
	{ DNS_T_RRSIG, "RRSIG", { FIX(18), NAME(DNS_RDF_LOWER), REST1, END } },
	{ DNS_T_NSEC, "NSEC", { NAME(0), REST, END } },
	{ DNS_T_DNSKEY, "DNSKEY", { FIX(4), REST1, END } },
	{ DNS_T_NSEC3, "NSEC3", { FIX(4), CSTR, CSTR, REST, END } },
	{ DNS_T_NSEC3PARAM, "NSEC3PARAM", { FIX(4), CSTR, END } },
	{ DNS_T_TLSA, "TLSA", { FIX(3), REST1, END } },
	{ DNS_T_SVCB, "SVCB", { FIX(2), NAME(0), REST, END } },
	{ DNS_T_HTTPS, "HTTPS", { FIX(2), NAME(0), REST, END } },
	/* Meta types are opaque here; the TSIG code parses TSIG itself. */
	{ DNS_T_TSIG, "TSIG", { REST, END } },
	{ DNS_T_IXFR, "IXFR", { REST, END } },
	{ DNS_T_AXFR, "AXFR", { REST, END } },
	{ DNS_T_ANY, "ANY", { REST, END } },
	{ DNS_T_CAA, "CAA", { FIX(1), CSTR, REST, END } },
};

static const struct dns_rrtype_desc generic = { 0, NULL, { REST, END } };

/*
 * Types below 256 (nearly every record) by a direct index, built once: the
 * binary search below costs several mispredicted branches per record, a
 * measurable share of receiving a large zone transfer.  small_idx[t] is
 * 1 + the table index of type t, 0 when the table does not have it.
 */
static uint8_t small_idx[256];
static pthread_once_t small_once = PTHREAD_ONCE_INIT;

static void small_build(void)
{
	_Static_assert(sizeof(rrtypes) / sizeof(rrtypes[0]) < 255, "index fits in a uint8_t");
	for (size_t i = 0; i < sizeof(rrtypes) / sizeof(rrtypes[0]); i++)
		if (rrtypes[i].type < 256)
			small_idx[rrtypes[i].type] = (uint8_t)(i + 1);
}

const struct dns_rrtype_desc *dns_rrtype_get(uint16_t type)
{
	if (type < 256) {
		pthread_once(&small_once, small_build);
		unsigned k = small_idx[type];
		return k ? &rrtypes[k - 1] : &generic;
	}
	/* The table is sorted by type: binary search. */
	size_t lo = 0, hi = sizeof(rrtypes) / sizeof(rrtypes[0]);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (rrtypes[mid].type == type)
			return &rrtypes[mid];
		if (rrtypes[mid].type < type)
			lo = mid + 1;
		else
			hi = mid;
	}
	return &generic;
}

bool dns_rrtype_known(uint16_t type)
{
	return dns_rrtype_get(type) != &generic;
}

bool dns_rrtype_is_meta(uint16_t type)
{
	/* RFC 6895 §3.1: OPT, and 128-255 are Q/meta types (TKEY, TSIG, IXFR, AXFR, ...). */
	return type == DNS_T_OPT || (type >= 128 && type <= 255) || type == 0;
}

const char *dns_rrtype_to_text(uint16_t type, char *buf)
{
	const struct dns_rrtype_desc *d = dns_rrtype_get(type);
	if (d->name)
		snprintf(buf, 16, "%s", d->name);
	else
		snprintf(buf, 16, "TYPE%u", type);
	return buf;
}

int dns_rrtype_from_text(const char *text)
{
	for (size_t i = 0; i < sizeof(rrtypes) / sizeof(rrtypes[0]); i++)
		if (strcasecmp(text, rrtypes[i].name) == 0)
			return rrtypes[i].type;
	if (strncasecmp(text, "TYPE", 4) == 0 && text[4] >= '0' && text[4] <= '9') {
		char *end;
		unsigned long v = strtoul(text + 4, &end, 10);
		if (*end == '\0' && v <= 65535 && end - (text + 4) <= 5)
			return (int)v;
	}
	return DP_ESYNTAX;
}

/*
 * Walks rdata (uncompressed) against the layout.  For each field calls back
 * with its offset and length (names: their wire length).  Returns 0 or an
 * error.  This is the single place that knows how to step over a field.
 */
typedef void (*field_fn)(void *ctx, const struct dns_rdf *f, size_t off, size_t len);

static int walk(uint16_t type, const uint8_t *rdata, size_t len, field_fn fn, void *ctx)
{
	const struct dns_rrtype_desc *d = dns_rrtype_get(type);
	size_t pos = 0;
	for (const struct dns_rdf *f = d->fields;; f++) {
		size_t flen;
		switch (f->kind) {
		case DNS_RDF_END:
			return pos == len ? 0 : DP_ERDATA;
		case DNS_RDF_FIXED:
			flen = f->len;
			if (flen > len - pos)
				return DP_ERDATA;
			break;
		case DNS_RDF_NAME: {
			int n = dns_name_check(rdata + pos, len - pos);
			if (n < 0)
				return n == DP_ETRUNC ? DP_ERDATA : n;
			flen = (size_t)n;
			break;
		}
		case DNS_RDF_CHARSTR:
			if (pos >= len || rdata[pos] > len - pos - 1)
				return DP_ERDATA;
			flen = 1 + (size_t)rdata[pos];
			break;
		case DNS_RDF_CHARSTRS: {
			if (pos >= len)
				return DP_ERDATA;
			size_t p = pos;
			while (p < len) {
				if (rdata[p] > len - p - 1)
					return DP_ERDATA;
				p += 1 + (size_t)rdata[p];
			}
			flen = p - pos;
			break;
		}
		case DNS_RDF_REST1:
			if (pos >= len)
				return DP_ERDATA;
			flen = len - pos;
			break;
		case DNS_RDF_REST:
		default:
			flen = len - pos;
			break;
		}
		if (fn)
			fn(ctx, f, pos, flen);
		pos += flen;
	}
}

int dns_rdata_check(uint16_t type, const uint8_t *rdata, size_t len)
{
	if (len > DNS_RDATA_MAXLEN)
		return DP_ERDATA;
	return walk(type, rdata, len, NULL, NULL);
}

int dns_rdata_parse(struct dns_rd *r, uint16_t type, size_t rdlen, uint8_t *out, size_t cap)
{
	if (r->err)
		return r->err;
	if (rdlen > dns_rd_left(r)) {
		r->err = DP_ETRUNC;
		return DP_ETRUNC;
	}
	const struct dns_rrtype_desc *d = dns_rrtype_get(type);
	size_t end = r->pos + rdlen;
	struct dns_wr w;
	dns_wr_init(&w, out, cap);

	/*
	 * Copy field by field so that names can be decompressed; the layout walk
	 * over the source must end exactly at rdlen.  Fields other than names are
	 * checked with the same rules as walk() via a final dns_rdata_check on
	 * the output.
	 */
	for (const struct dns_rdf *f = d->fields; f->kind != DNS_RDF_END; f++) {
		if (f->kind == DNS_RDF_NAME) {
			uint8_t name[DNS_NAME_MAXLEN];
			struct dns_rd sub = *r;
			sub.len = end; /* a name must not run past the rdata */
			int n = (f->flags & DNS_RDF_DECOMPRESS) ? dns_name_parse(&sub, name)
								: dns_name_parse_plain(&sub, name);
			if (n < 0) {
				/* The pointer target may lie before the rdata; only overrun is ETRUNC. */
				r->err = (n == DP_ETRUNC) ? DP_ERDATA : n;
				return r->err;
			}
			r->pos = sub.pos;
			dns_wr_bytes(&w, name, (size_t)n);
			continue;
		}
		size_t left = end - r->pos;
		size_t flen;
		switch (f->kind) {
		case DNS_RDF_FIXED:
			flen = f->len;
			break;
		case DNS_RDF_CHARSTR:
			flen = left ? 1 + (size_t)r->buf[r->pos] : 1;
			break;
		default: /* CHARSTRS, REST, REST1: the rest of the rdata */
			flen = left;
			break;
		}
		if (flen > left) {
			r->err = DP_ERDATA;
			return DP_ERDATA;
		}
		dns_wr_bytes(&w, r->buf + r->pos, flen);
		r->pos += flen;
	}
	if (r->pos != end) {
		r->err = DP_ERDATA;
		return DP_ERDATA;
	}
	if (w.err) {
		r->err = w.err;
		return w.err;
	}
	int rc = walk(type, out, w.pos, NULL, NULL);
	if (rc < 0) {
		r->err = rc;
		return rc;
	}
	return (int)w.pos;
}

struct write_ctx {
	struct dns_wr *w;
	const uint8_t *rdata;
	struct dns_compr *c;
};

static void write_field(void *ctx, const struct dns_rdf *f, size_t off, size_t len)
{
	struct write_ctx *x = ctx;
	if (f->kind == DNS_RDF_NAME && (f->flags & DNS_RDF_COMPRESS))
		dns_wr_name(x->w, x->rdata + off, x->c);
	else
		dns_wr_bytes(x->w, x->rdata + off, len);
}

void dns_rdata_write(struct dns_wr *w, uint16_t type, const uint8_t *rdata, size_t len,
		     struct dns_compr *c)
{
	struct write_ctx x = { w, rdata, c };
	if (!c) {
		dns_wr_bytes(w, rdata, len);
		return;
	}
	if (walk(type, rdata, len, write_field, &x) < 0 && !w->err)
		w->err = DP_ERDATA;
}

static void lower_field(void *ctx, const struct dns_rdf *f, size_t off, size_t len)
{
	(void)len;
	if (f->kind == DNS_RDF_NAME && (f->flags & DNS_RDF_LOWER))
		dns_name_lower((uint8_t *)ctx + off);
}

void dns_rdata_lower(uint16_t type, uint8_t *rdata, size_t len)
{
	(void)walk(type, rdata, len, lower_field, rdata);
}

int dns_rdata_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;
	if (c)
		return c;
	return alen == blen ? 0 : (alen < blen ? -1 : 1);
}

struct names_ctx {
	const uint8_t *rdata;
	void (*fn)(void *ctx, unsigned flags, const uint8_t *name);
	void *ctx;
};

static void names_field(void *ctx, const struct dns_rdf *f, size_t off, size_t len)
{
	(void)len;
	struct names_ctx *x = ctx;
	if (f->kind == DNS_RDF_NAME)
		x->fn(x->ctx, f->flags, x->rdata + off);
}

void dns_rdata_names(uint16_t type, const uint8_t *rdata, size_t len,
		     void (*fn)(void *ctx, unsigned flags, const uint8_t *name), void *ctx)
{
	struct names_ctx x = { rdata, fn, ctx };
	(void)walk(type, rdata, len, names_field, &x);
}
