/* SPDX-License-Identifier: BSD-3-Clause */
#include "xfr/tsig.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "dns/msg.h"
#include "dns/rrtype.h"

struct alg_desc {
	const char *text;    /* configuration name */
	const char *digest;  /* OpenSSL digest name for HMAC */
	const uint8_t *name; /* wire name */
	uint8_t mac_len;
};

/* Wire names are octal-escaped: a hex escape would swallow the letters after it. */
static const struct alg_desc algs[XFR_TSIG_ALG_COUNT] = {
	[XFR_TSIG_HMAC_MD5] = { "hmac-md5", "MD5",
				(const uint8_t *)"\010hmac-md5\007sig-alg\003reg\003int", 16 },
	[XFR_TSIG_HMAC_SHA1] = { "hmac-sha1", "SHA1", (const uint8_t *)"\011hmac-sha1", 20 },
	[XFR_TSIG_HMAC_SHA224] = { "hmac-sha224", "SHA224", (const uint8_t *)"\013hmac-sha224",
				   28 },
	[XFR_TSIG_HMAC_SHA256] = { "hmac-sha256", "SHA256", (const uint8_t *)"\013hmac-sha256",
				   32 },
	[XFR_TSIG_HMAC_SHA384] = { "hmac-sha384", "SHA384", (const uint8_t *)"\013hmac-sha384",
				   48 },
	[XFR_TSIG_HMAC_SHA512] = { "hmac-sha512", "SHA512", (const uint8_t *)"\013hmac-sha512",
				   64 },
};

/* Owner, type, class, TTL, rdlength; then rdata around the two names and the MAC. */
#define RR_FIXED 10
#define RDATA_FIXED (6 + 2 + 2 + 2 + 2 + 2)
#define BADTIME_OTHER_LEN 6
/* Key name, class, TTL, algorithm name, time signed, fudge, error, other length. */
#define VARS_MAX (DNS_NAME_MAXLEN + 2 + 4 + DNS_NAME_MAXLEN + 6 + 2 + 2 + 2)

enum ctx_state {
	ST_IDLE,	     /* no transaction */
	ST_CLI_FIRST,	     /* request signed; next is the first response message */
	ST_CLI_NEXT,	     /* first response message verified */
	ST_SRV_NOSIG,	     /* request unsigned or malformed: reply carries no TSIG */
	ST_SRV_ERR_UNSIGNED, /* BADKEY or BADSIG: reply carries an unsigned TSIG */
	ST_SRV_FIRST,	     /* request verified (or BADTIME/BADTRUNC): sign the reply */
	ST_SRV_NEXT,	     /* reply's first message signed */
	ST_DONE,	     /* error reply sent */
};

struct xfr_tsig_ctx {
	const struct xfr_tsig_key *key;
	EVP_MAC_CTX *mac;
	enum ctx_state state;
	int err; /* client: the transaction's failure, returned from then on */
	uint16_t min_mac;
	/* The request MAC until the first reply message, then the last MAC. */
	uint16_t prev_len;
	uint8_t prev[XFR_TSIG_MAC_MAX];
	/* Client: unsigned messages since the last signed one; while nonzero
	 * the MAC context holds prev and them, awaiting the next signed one. */
	unsigned nunsigned;
	uint16_t peer_error;
	uint64_t peer_time;
	/* Server: what the reply needs from the request. */
	uint16_t srv_error;
	uint64_t req_time;
	uint8_t req_key[DNS_NAME_MAXLEN];
	uint8_t req_alg[DNS_NAME_MAXLEN];
};

/* What goes into a TSIG RR and its digest besides the message and the MAC. */
struct tsig_vars {
	const uint8_t *key_name;
	const uint8_t *alg_name;
	uint16_t rclass;
	uint32_t ttl;
	uint64_t time;
	uint16_t fudge;
	uint16_t error;
	uint16_t other_len;
	const uint8_t *other;
};

static const uint8_t root_name[1] = { 0 };

/* ------------------------------------------------------------- algorithms */

int xfr_tsig_alg_from_text(const char *text)
{
	if (!text)
		return XFR_TSIG_EALG;
	for (int i = 0; i < XFR_TSIG_ALG_COUNT; i++)
		if (strcasecmp(text, algs[i].text) == 0)
			return i;
	return XFR_TSIG_EALG;
}

int xfr_tsig_alg_from_name(const uint8_t *name)
{
	for (int i = 0; i < XFR_TSIG_ALG_COUNT; i++)
		if (dns_name_eq(name, algs[i].name))
			return i;
	return XFR_TSIG_EALG;
}

const char *xfr_tsig_alg_to_text(enum xfr_tsig_alg alg)
{
	return (unsigned)alg < XFR_TSIG_ALG_COUNT ? algs[alg].text : "?";
}

size_t xfr_tsig_alg_mac_len(enum xfr_tsig_alg alg)
{
	return (unsigned)alg < XFR_TSIG_ALG_COUNT ? algs[alg].mac_len : 0;
}

/* Shortest MAC the RFC lets a receiver accept (§5.2.2.1). */
static size_t rfc_min_mac(enum xfr_tsig_alg alg)
{
	size_t half = algs[alg].mac_len / 2;
	return half > 10 ? half : 10;
}

size_t xfr_tsig_space(const struct xfr_tsig_key *key)
{
	return key->name_len + RR_FIXED + dns_name_len(algs[key->alg].name) + RDATA_FIXED +
	       algs[key->alg].mac_len + BADTIME_OTHER_LEN;
}

/* ------------------------------------------------------------------- keys */

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict RFC 4648 §4 base64 with padding; out needs len / 4 * 3 octets. */
static int b64_decode(const char *in, size_t len, uint8_t *out, size_t *out_len)
{
	size_t o = 0;

	if (len % 4)
		return XFR_TSIG_EBASE64;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t quad = 0;
		unsigned pad = 0;
		for (size_t j = 0; j < 4; j++) {
			int v = 0;
			if (in[i + j] == '=') {
				pad++;
			} else {
				v = b64_value((unsigned char)in[i + j]);
				if (v < 0 || pad)
					return XFR_TSIG_EBASE64; /* bad octet, or data after '=' */
			}
			quad = quad << 6 | (uint32_t)v;
		}
		if (pad > 2 || (pad && i + 4 != len))
			return XFR_TSIG_EBASE64;
		out[o++] = (uint8_t)(quad >> 16);
		if (pad < 2)
			out[o++] = (uint8_t)(quad >> 8);
		if (pad < 1)
			out[o++] = (uint8_t)quad;
	}
	*out_len = o;
	return 0;
}

int xfr_tsig_key_init(struct xfr_tsig_key *key, const char *name_text, const char *alg_text,
		      const char *secret_base64)
{
	uint8_t *secret = NULL;
	size_t secret_len = 0, text_len;
	int rc;

	if (!key)
		return DP_EINVAL;
	memset(key, 0, sizeof(*key));
	if (!name_text || !alg_text || !secret_base64)
		return DP_EINVAL;

	rc = dns_name_from_text(name_text, root_name, key->name);
	if (rc < 0)
		goto fail;
	key->name_len = (uint16_t)rc;
	dns_name_lower(key->name);

	rc = xfr_tsig_alg_from_text(alg_text);
	if (rc < 0)
		goto fail;
	key->alg = (enum xfr_tsig_alg)rc;

	text_len = strlen(secret_base64);
	if (text_len == 0) {
		rc = XFR_TSIG_ESECRET;
		goto fail;
	}
	secret = malloc(text_len / 4 * 3 + 1);
	if (!secret) {
		rc = DP_ENOMEM;
		goto fail;
	}
	rc = b64_decode(secret_base64, text_len, secret, &secret_len);
	if (rc == 0 && secret_len == 0)
		rc = XFR_TSIG_ESECRET;
	if (rc < 0)
		goto fail;
	key->secret = secret;
	key->secret_len = secret_len;
	return 0;

fail:
	if (secret) {
		OPENSSL_cleanse(secret, text_len / 4 * 3 + 1);
		free(secret);
	}
	memset(key, 0, sizeof(*key));
	return rc;
}

void xfr_tsig_key_deinit(struct xfr_tsig_key *key)
{
	if (!key)
		return;
	if (key->secret) {
		OPENSSL_cleanse(key->secret, key->secret_len);
		free(key->secret);
	}
	memset(key, 0, sizeof(*key));
}

bool xfr_tsig_key_matches(const struct xfr_tsig_key *key, const struct xfr_tsig_rr *rr)
{
	return dns_name_eq(key->name, rr->key_name) &&
	       xfr_tsig_alg_from_name(rr->alg_name) == (int)key->alg;
}

/* ---------------------------------------------------------------- parsing */

/* Reads the TSIG rdata (rdlen octets at r->pos) into rr. */
static int parse_rdata(struct dns_rd *r, uint16_t rdlen, struct xfr_tsig_rr *rr)
{
	const uint8_t *rdata = dns_rd_ptr(r, rdlen);
	struct dns_rd d;

	if (!rdata)
		return DP_EMALF;
	/* The algorithm name is never compressed (RFC 3597 §4), so the rdata
	 * can be read on its own. */
	dns_rd_init(&d, rdata, rdlen);
	int n = dns_name_parse_plain(&d, rr->alg_name);
	if (n < 0)
		return DP_EMALF;
	rr->alg_name_len = (uint16_t)n;
	uint64_t hi = dns_rd_u16(&d);
	rr->time_signed = hi << 32 | dns_rd_u32(&d);
	rr->fudge = dns_rd_u16(&d);
	rr->mac_len = dns_rd_u16(&d);
	rr->mac = dns_rd_ptr(&d, rr->mac_len);
	rr->orig_id = dns_rd_u16(&d);
	rr->error = dns_rd_u16(&d);
	rr->other_len = dns_rd_u16(&d);
	rr->other = dns_rd_ptr(&d, rr->other_len);
	if (d.err || dns_rd_left(&d) != 0)
		return DP_EMALF;
	return 0;
}

int xfr_tsig_parse(const uint8_t *msg, size_t len, struct xfr_tsig_rr *rr)
{
	uint8_t name[DNS_NAME_MAXLEN];
	struct dns_hdr h;
	struct dns_rd r;
	bool found = false;

	dns_rd_init(&r, msg, len);
	if (dns_hdr_parse(&r, &h) < 0)
		return DP_EMALF;
	for (unsigned i = 0; i < h.qdcount; i++) {
		if (dns_name_parse(&r, name) < 0)
			return DP_EMALF;
		dns_rd_skip(&r, 4);
	}

	unsigned first_ar = (unsigned)h.ancount + h.nscount;
	unsigned total = first_ar + h.arcount;
	for (unsigned i = 0; i < total; i++) {
		size_t off = r.pos;
		int n = dns_name_parse(&r, name);
		uint16_t type = dns_rd_u16(&r);
		uint16_t rclass = dns_rd_u16(&r);
		uint32_t ttl = dns_rd_u32(&r);
		uint16_t rdlen = dns_rd_u16(&r);
		if (n < 0 || r.err)
			return DP_EMALF;
		if (type != DNS_T_TSIG) {
			dns_rd_skip(&r, rdlen);
			continue;
		}
		/* §5.2: the one TSIG is the last RR, in the additional section. */
		if (i != total - 1 || i < first_ar || rclass != DNS_C_ANY)
			return DP_EMALF;
		rr->off = off;
		memcpy(rr->key_name, name, (size_t)n);
		rr->key_name_len = (uint16_t)n;
		rr->rclass = rclass;
		rr->ttl = ttl;
		if (parse_rdata(&r, rdlen, rr) < 0)
			return DP_EMALF;
		found = true;
	}
	if (r.err || dns_rd_left(&r) != 0)
		return DP_EMALF; /* truncated, or bytes after the last RR */
	return found ? 0 : XFR_TSIG_ENOSIG;
}

/* -------------------------------------------------------------------- MAC */

struct xfr_tsig_ctx *xfr_tsig_ctx_new(const struct xfr_tsig_key *key)
{
	struct xfr_tsig_ctx *ctx = calloc(1, sizeof(*ctx));
	EVP_MAC *hmac = NULL;
	OSSL_PARAM params[2];

	if (!ctx)
		return NULL;
	ctx->key = key;
	ctx->state = ST_IDLE;
	if (!key)
		return ctx;
	if ((unsigned)key->alg >= XFR_TSIG_ALG_COUNT || !key->secret || !key->secret_len)
		goto fail;

	hmac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	if (!hmac)
		goto fail;
	ctx->mac = EVP_MAC_CTX_new(hmac); /* holds its own reference to hmac */
	if (!ctx->mac)
		goto fail;
	/* The digest is set once; each message's EVP_MAC_init only rekeys. */
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)algs[key->alg].digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(ctx->mac, params) != 1)
		goto fail;
	EVP_MAC_free(hmac);
	return ctx;

fail:
	EVP_MAC_free(hmac);
	xfr_tsig_ctx_free(ctx);
	return NULL;
}

void xfr_tsig_ctx_free(struct xfr_tsig_ctx *ctx)
{
	if (!ctx)
		return;
	EVP_MAC_CTX_free(ctx->mac);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}

void xfr_tsig_ctx_set_min_mac(struct xfr_tsig_ctx *ctx, uint16_t min_len)
{
	ctx->min_mac = min_len;
}

uint16_t xfr_tsig_ctx_peer_error(const struct xfr_tsig_ctx *ctx)
{
	return ctx->peer_error;
}

uint64_t xfr_tsig_ctx_peer_time(const struct xfr_tsig_ctx *ctx)
{
	return ctx->peer_time;
}

/* The feeding helpers return false when OpenSSL fails (mapped to DP_EIO). */
static bool mac_begin(struct xfr_tsig_ctx *ctx)
{
	return EVP_MAC_init(ctx->mac, ctx->key->secret, ctx->key->secret_len, NULL) == 1;
}

static bool mac_feed(struct xfr_tsig_ctx *ctx, const uint8_t *p, size_t n)
{
	return n == 0 || EVP_MAC_update(ctx->mac, p, n) == 1;
}

/* The request or prior MAC with its length, as §4.3.1 and §5.3.1 prefix it. */
static bool mac_feed_prev(struct xfr_tsig_ctx *ctx)
{
	uint8_t len[2] = { (uint8_t)(ctx->prev_len >> 8), (uint8_t)ctx->prev_len };
	return mac_feed(ctx, len, sizeof(len)) && mac_feed(ctx, ctx->prev, ctx->prev_len);
}

static bool mac_end(struct xfr_tsig_ctx *ctx, uint8_t *out)
{
	size_t n = 0;
	return EVP_MAC_final(ctx->mac, out, &n, XFR_TSIG_MAC_MAX) == 1 &&
	       n == algs[ctx->key->alg].mac_len;
}

static void wr_u48(struct dns_wr *w, uint64_t v)
{
	dns_wr_u16(w, (uint16_t)(v >> 32));
	dns_wr_u32(w, (uint32_t)v);
}

/* TSIG variables (§4.3.3), names in canonical (lowercase) form; or just the
 * timers (§4.3.1) for the second and later messages of a reply. */
static bool mac_feed_vars(struct xfr_tsig_ctx *ctx, const struct tsig_vars *v, bool timers_only)
{
	uint8_t buf[VARS_MAX], lower[DNS_NAME_MAXLEN];
	struct dns_wr w;

	dns_wr_init(&w, buf, sizeof(buf));
	if (!timers_only) {
		dns_wr_bytes(&w, lower, dns_name_copy_lower(lower, v->key_name));
		dns_wr_u16(&w, v->rclass);
		dns_wr_u32(&w, v->ttl);
		dns_wr_bytes(&w, lower, dns_name_copy_lower(lower, v->alg_name));
	}
	wr_u48(&w, v->time);
	dns_wr_u16(&w, v->fudge);
	if (!timers_only) {
		dns_wr_u16(&w, v->error);
		dns_wr_u16(&w, v->other_len);
	}
	if (w.err)
		return false;
	return mac_feed(ctx, buf, w.pos) && (timers_only || mac_feed(ctx, v->other, v->other_len));
}

/* A received message as it was signed: original ID, ARCOUNT without the
 * TSIG, everything before the TSIG RR. */
static bool mac_feed_received(struct xfr_tsig_ctx *ctx, const uint8_t *msg, size_t len,
			      const struct xfr_tsig_rr *rr)
{
	uint8_t hdr[DNS_HDR_LEN];
	struct dns_hdr h;
	struct dns_rd r;
	struct dns_wr w;

	dns_rd_init(&r, msg, len);
	if (dns_hdr_parse(&r, &h) < 0 || h.arcount == 0 || rr->off < DNS_HDR_LEN)
		return false;
	const uint8_t *body = dns_rd_ptr(&r, rr->off - DNS_HDR_LEN);
	if (!body)
		return false;
	h.id = rr->orig_id;
	h.arcount--;
	dns_wr_init(&w, hdr, sizeof(hdr));
	dns_hdr_write(&w, &h);
	return !w.err && mac_feed(ctx, hdr, sizeof(hdr)) &&
	       mac_feed(ctx, body, rr->off - DNS_HDR_LEN);
}

static void rr_vars(const struct xfr_tsig_rr *rr, struct tsig_vars *v)
{
	v->key_name = rr->key_name;
	v->alg_name = rr->alg_name;
	v->rclass = rr->rclass;
	v->ttl = rr->ttl;
	v->time = rr->time_signed;
	v->fudge = rr->fudge;
	v->error = rr->error;
	v->other_len = rr->other_len;
	v->other = rr->other;
}

enum digest_kind {
	D_REQUEST, /* message and variables */
	D_FIRST,   /* request MAC, message and variables */
	D_NEXT,	   /* prior MAC, unsigned messages since, message and timers */
};

/*
 * MAC size and MAC of a received message whose key matched.  For D_NEXT the
 * MAC context may already hold the prior MAC and unsigned messages.
 */
static int check_mac(struct xfr_tsig_ctx *ctx, const uint8_t *msg, size_t len,
		     const struct xfr_tsig_rr *rr, enum digest_kind kind)
{
	enum xfr_tsig_alg alg = ctx->key->alg;
	uint8_t mac[XFR_TSIG_MAC_MAX];
	struct tsig_vars v;
	bool ok = true;

	if (rr->mac_len > algs[alg].mac_len || rr->mac_len < rfc_min_mac(alg))
		return DP_EMALF;
	if (kind != D_NEXT || ctx->nunsigned == 0)
		ok = mac_begin(ctx) && (kind == D_REQUEST || mac_feed_prev(ctx));
	rr_vars(rr, &v);
	ok = ok && mac_feed_received(ctx, msg, len, rr) && mac_feed_vars(ctx, &v, kind == D_NEXT) &&
	     mac_end(ctx, mac);
	if (!ok)
		return DP_EIO;
	int rc = CRYPTO_memcmp(mac, rr->mac, rr->mac_len) == 0 ? 0 : XFR_TSIG_EBADSIG;
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

/* §5.2.3 and §5.2.4, once the MAC is known to be good. */
static int check_time_trunc(const struct xfr_tsig_ctx *ctx, const struct xfr_tsig_rr *rr,
			    uint64_t now)
{
	uint64_t skew = now > rr->time_signed ? now - rr->time_signed : rr->time_signed - now;
	size_t min = ctx->min_mac;

	if (skew > rr->fudge)
		return XFR_TSIG_EBADTIME;
	if (min > algs[ctx->key->alg].mac_len)
		min = algs[ctx->key->alg].mac_len;
	if (rr->mac_len < min)
		return XFR_TSIG_EBADTRUNC;
	return 0;
}

static void save_prev(struct xfr_tsig_ctx *ctx, const uint8_t *mac, uint16_t len)
{
	memcpy(ctx->prev, mac, len);
	ctx->prev_len = len;
}

/* ---------------------------------------------------------------- signing */

enum sign_flags {
	S_PREV = 1 << 0,     /* digest starts with the request or prior MAC */
	S_TIMERS = 1 << 1,   /* timers only (a later message of a reply) */
	S_UNSIGNED = 1 << 2, /* MAC size 0, no digest (§5.3.2 BADKEY, BADSIG) */
	S_NOTAUTH = 1 << 3,  /* set RCODE NOTAUTH */
};

/* Appends the TSIG RR for v to the message in w->buf[0..w->pos). */
static int sign_msg(struct xfr_tsig_ctx *ctx, struct dns_wr *w, const struct tsig_vars *v,
		    unsigned flags)
{
	uint8_t mac[XFR_TSIG_MAC_MAX];
	uint16_t mac_len = 0;
	struct dns_hdr h;
	struct dns_rd r;

	if (w->err)
		return DP_EINVAL;
	dns_rd_init(&r, w->buf, w->pos);
	if (dns_hdr_parse(&r, &h) < 0 || h.arcount == UINT16_MAX)
		return DP_EINVAL;
	if (flags & S_NOTAUTH)
		h.flags = (uint16_t)((h.flags & ~DNS_RCODE_MASK) | DNS_R_NOTAUTH);

	if (!(flags & S_UNSIGNED)) {
		/* The digest covers the header as sent, NOTAUTH included, and the
		 * current ARCOUNT (which does not count the TSIG). */
		uint8_t hdr[DNS_HDR_LEN];
		struct dns_wr hw;
		dns_wr_init(&hw, hdr, sizeof(hdr));
		dns_hdr_write(&hw, &h);
		const uint8_t *body = dns_rd_ptr(&r, w->pos - DNS_HDR_LEN);
		bool ok = body && !hw.err && mac_begin(ctx) &&
			  (!(flags & S_PREV) || mac_feed_prev(ctx)) &&
			  mac_feed(ctx, hdr, sizeof(hdr)) &&
			  mac_feed(ctx, body, w->pos - DNS_HDR_LEN) &&
			  mac_feed_vars(ctx, v, flags & S_TIMERS) && mac_end(ctx, mac);
		if (!ok)
			return DP_EIO;
		mac_len = algs[ctx->key->alg].mac_len;
	}

	struct dns_wr t = *w;
	dns_wr_bytes(&t, v->key_name, dns_name_len(v->key_name));
	dns_wr_u16(&t, DNS_T_TSIG);
	dns_wr_u16(&t, v->rclass);
	dns_wr_u32(&t, v->ttl);
	size_t rdlen_at = t.pos;
	dns_wr_u16(&t, 0);
	dns_wr_bytes(&t, v->alg_name, dns_name_len(v->alg_name));
	wr_u48(&t, v->time);
	dns_wr_u16(&t, v->fudge);
	dns_wr_u16(&t, mac_len);
	dns_wr_bytes(&t, mac, mac_len);
	dns_wr_u16(&t, h.id); /* original ID */
	dns_wr_u16(&t, v->error);
	dns_wr_u16(&t, v->other_len);
	dns_wr_bytes(&t, v->other, v->other_len);
	dns_wr_u16_at(&t, rdlen_at, (uint16_t)(t.pos - rdlen_at - 2));
	dns_wr_u16_at(&t, 2, h.flags);
	dns_wr_u16_at(&t, 10, (uint16_t)(h.arcount + 1));
	if (t.err) {
		OPENSSL_cleanse(mac, sizeof(mac));
		return t.err;
	}
	*w = t;
	save_prev(ctx, mac, mac_len);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

static void key_vars(const struct xfr_tsig_key *key, uint64_t now, struct tsig_vars *v)
{
	memset(v, 0, sizeof(*v));
	v->key_name = key->name;
	v->alg_name = algs[key->alg].name;
	v->rclass = DNS_C_ANY;
	v->ttl = 0;
	v->time = now;
	v->fudge = XFR_TSIG_FUDGE;
}

/* ----------------------------------------------------------------- client */

static void reset(struct xfr_tsig_ctx *ctx, enum ctx_state state)
{
	ctx->state = state;
	ctx->err = 0;
	ctx->nunsigned = 0;
	ctx->peer_error = 0;
	ctx->peer_time = 0;
	ctx->srv_error = 0;
	ctx->prev_len = 0;
}

int xfr_tsig_sign(struct xfr_tsig_ctx *ctx, struct dns_wr *w, uint64_t now)
{
	struct tsig_vars v;

	reset(ctx, ST_IDLE);
	if (!ctx->key)
		return DP_EINVAL;
	key_vars(ctx->key, now, &v);
	int rc = sign_msg(ctx, w, &v, 0);
	if (rc == 0)
		ctx->state = ST_CLI_FIRST;
	return rc;
}

static int client_fail(struct xfr_tsig_ctx *ctx, int rc)
{
	ctx->err = rc;
	return rc;
}

int xfr_tsig_verify(struct xfr_tsig_ctx *ctx, const uint8_t *msg, size_t len, uint64_t now)
{
	struct xfr_tsig_rr rr;

	if (ctx->err)
		return ctx->err;
	if (ctx->state != ST_CLI_FIRST && ctx->state != ST_CLI_NEXT)
		return DP_EINVAL;

	int rc = xfr_tsig_parse(msg, len, &rr);
	if (rc == XFR_TSIG_ENOSIG) {
		if (ctx->state == ST_CLI_FIRST || ctx->nunsigned >= XFR_TSIG_MAX_UNSIGNED)
			return client_fail(ctx, XFR_TSIG_ENOSIG);
		/* §5.3.1: the next signed message's digest covers this one. */
		bool ok = ctx->nunsigned > 0 || (mac_begin(ctx) && mac_feed_prev(ctx));
		if (!ok || !mac_feed(ctx, msg, len))
			return client_fail(ctx, DP_EIO);
		ctx->nunsigned++;
		return 0;
	}
	if (rc < 0)
		return client_fail(ctx, rc);

	if (rr.error != XFR_TSIG_R_NOERROR) {
		ctx->peer_error = rr.error;
		if (rr.error == XFR_TSIG_R_BADTIME && rr.other_len == BADTIME_OTHER_LEN) {
			struct dns_rd o;
			dns_rd_init(&o, rr.other, rr.other_len);
			uint64_t hi = dns_rd_u16(&o);
			ctx->peer_time = hi << 32 | dns_rd_u32(&o);
		}
		return client_fail(ctx, XFR_TSIG_EPEER);
	}
	if (!xfr_tsig_key_matches(ctx->key, &rr))
		return client_fail(ctx, XFR_TSIG_EBADKEY);
	rc = check_mac(ctx, msg, len, &rr, ctx->state == ST_CLI_FIRST ? D_FIRST : D_NEXT);
	if (rc == 0)
		rc = check_time_trunc(ctx, &rr, now);
	if (rc < 0)
		return client_fail(ctx, rc);
	save_prev(ctx, rr.mac, rr.mac_len); /* truncated as received (§5.2.2.1) */
	ctx->nunsigned = 0;
	ctx->state = ST_CLI_NEXT;
	return 0;
}

int xfr_tsig_verify_end(const struct xfr_tsig_ctx *ctx)
{
	if (ctx->err)
		return ctx->err;
	if (ctx->state != ST_CLI_NEXT || ctx->nunsigned > 0)
		return XFR_TSIG_ENOSIG;
	return 0;
}

/* ----------------------------------------------------------------- server */

int xfr_tsig_server_verify(struct xfr_tsig_ctx *ctx, const uint8_t *msg, size_t len, uint64_t now)
{
	struct xfr_tsig_rr rr;

	reset(ctx, ST_SRV_NOSIG);
	int rc = xfr_tsig_parse(msg, len, &rr);
	if (rc < 0)
		return rc;

	memcpy(ctx->req_key, rr.key_name, rr.key_name_len);
	memcpy(ctx->req_alg, rr.alg_name, rr.alg_name_len);
	ctx->req_time = rr.time_signed;
	if (!ctx->key || !xfr_tsig_key_matches(ctx->key, &rr)) {
		ctx->state = ST_SRV_ERR_UNSIGNED;
		ctx->srv_error = XFR_TSIG_R_BADKEY;
		return XFR_TSIG_EBADKEY;
	}
	rc = check_mac(ctx, msg, len, &rr, D_REQUEST);
	if (rc == XFR_TSIG_EBADSIG) {
		ctx->state = ST_SRV_ERR_UNSIGNED;
		ctx->srv_error = XFR_TSIG_R_BADSIG;
	}
	if (rc < 0)
		return rc; /* DP_EMALF: FORMERR without TSIG; DP_EIO: nothing to sign */

	save_prev(ctx, rr.mac, rr.mac_len);
	ctx->state = ST_SRV_FIRST;
	rc = check_time_trunc(ctx, &rr, now);
	if (rc == XFR_TSIG_EBADTIME)
		ctx->srv_error = XFR_TSIG_R_BADTIME;
	else if (rc == XFR_TSIG_EBADTRUNC)
		ctx->srv_error = XFR_TSIG_R_BADTRUNC;
	return rc;
}

int xfr_tsig_server_sign(struct xfr_tsig_ctx *ctx, struct dns_wr *w, uint64_t now)
{
	uint8_t other[BADTIME_OTHER_LEN];
	enum ctx_state next;
	struct tsig_vars v;
	unsigned flags;

	switch (ctx->state) {
	case ST_SRV_NOSIG: return 0;
	case ST_SRV_ERR_UNSIGNED:
		memset(&v, 0, sizeof(v));
		v.key_name = ctx->req_key;
		v.alg_name = ctx->req_alg;
		v.rclass = DNS_C_ANY;
		v.time = now;
		v.fudge = XFR_TSIG_FUDGE;
		v.error = ctx->srv_error;
		flags = S_UNSIGNED | S_NOTAUTH;
		next = ST_DONE;
		break;
	case ST_SRV_FIRST:
		key_vars(ctx->key, now, &v);
		v.error = ctx->srv_error;
		flags = S_PREV;
		next = ST_SRV_NEXT;
		if (ctx->srv_error) {
			flags |= S_NOTAUTH;
			next = ST_DONE;
		}
		if (ctx->srv_error == XFR_TSIG_R_BADTIME) {
			/* The client's time, so that it can check the reply; ours
			 * for it to log (§5.2.3, as BIND and Knot do). */
			struct dns_wr ow;
			dns_wr_init(&ow, other, sizeof(other));
			wr_u48(&ow, now);
			v.time = ctx->req_time;
			v.other = other;
			v.other_len = sizeof(other);
		}
		break;
	case ST_SRV_NEXT:
		key_vars(ctx->key, now, &v);
		flags = S_PREV | S_TIMERS;
		next = ST_SRV_NEXT;
		break;
	default: return DP_EINVAL;
	}
	int rc = sign_msg(ctx, w, &v, flags);
	if (rc == 0)
		ctx->state = next;
	return rc;
}

const char *xfr_tsig_strerror(int code)
{
	switch (code) {
	case XFR_TSIG_EBADSIG: return "TSIG MAC does not verify (BADSIG)";
	case XFR_TSIG_EBADKEY: return "TSIG key or algorithm not recognised (BADKEY)";
	case XFR_TSIG_EBADTIME: return "TSIG time signed outside the fudge (BADTIME)";
	case XFR_TSIG_EBADTRUNC: return "TSIG MAC truncated below local policy (BADTRUNC)";
	case XFR_TSIG_ENOSIG: return "TSIG missing where required";
	case XFR_TSIG_EPEER: return "peer answered with a TSIG error";
	case XFR_TSIG_EALG: return "unknown TSIG algorithm";
	case XFR_TSIG_EBASE64: return "TSIG secret is not valid base64";
	case XFR_TSIG_ESECRET: return "TSIG secret is empty";
	case DP_EMALF: return "malformed TSIG (FORMERR)";
	default: return dp_strerror(code);
	}
}
