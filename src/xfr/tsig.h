/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * TSIG, secret key transaction authentication (RFC 8945), for zone transfers
 * and NOTIFY.  HMAC-MD5, -SHA1, -SHA224, -SHA256, -SHA384 and -SHA512 through
 * OpenSSL 3 EVP_MAC; no global state of our own.
 *
 * Client side (a transfer, an SOA query): xfr_tsig_ctx_new(key), then
 * xfr_tsig_sign() on the request (it keeps the request MAC), then
 * xfr_tsig_verify() on every message of the response in order, then
 * xfr_tsig_verify_end() once the transfer is complete.  The first message must
 * be signed; later ones may be unsigned, at most 99 in a row, and the last one
 * must be signed again (RFC 8945 §5.3.1).  The first failure is sticky: any
 * failure means the transfer is refused and the connection closed.
 *
 * Server side (a NOTIFY from a primary, or an outbound transfer):
 * xfr_tsig_server_verify() on the request, then xfr_tsig_server_sign() on the
 * reply (each message of it, for a multi-message reply), which does what
 * RFC 8945 §5.3 and §5.3.2 require for the outcome of the verification.
 *
 * Times are seconds since the epoch (time(NULL)); they are parameters so that
 * tests and fuzzers can pin them.  A message's Time Signed is accepted when
 * |now - time signed| <= its Fudge (§5.2.3); we sign with XFR_TSIG_FUDGE.
 * A ctx belongs to one thread at a time; a key is read-only after init and may
 * be shared by any number of ctxs and threads.  Nothing here is fastpath
 * material: contexts allocate.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/errcode.h"
#include "dns/name.h"
#include "dns/wire.h"

/*
 * Results: the project codes of src/dns/errcode.h (DP_ETSIG_*), under this
 * module's names.  FORMERR (malformed TSIG, TSIG not the last RR, MAC size
 * out of the RFC's range) is the project's DP_EMALF.
 */
enum xfr_tsig_errcode {
	XFR_TSIG_EBADSIG = DP_ETSIG_BADSIG,
	XFR_TSIG_EBADKEY = DP_ETSIG_BADKEY,
	XFR_TSIG_EBADTIME = DP_ETSIG_BADTIME,
	XFR_TSIG_EBADTRUNC = DP_ETSIG_BADTRUNC,
	XFR_TSIG_ENOSIG = DP_ETSIG_NOSIG,
	XFR_TSIG_EPEER = DP_ETSIG_PEER,
	XFR_TSIG_EALG = DP_ETSIG_ALG,
	XFR_TSIG_EBASE64 = DP_EBASE64,
	XFR_TSIG_ESECRET = DP_ETSIG_SECRET,
};
#define XFR_TSIG_EFORMERR DP_EMALF

/* TSIG Error field values (RFC 8945 §3, IANA "TSIG Error values"). */
enum xfr_tsig_rcode {
	XFR_TSIG_R_NOERROR = 0,
	XFR_TSIG_R_BADSIG = 16,
	XFR_TSIG_R_BADKEY = 17,
	XFR_TSIG_R_BADTIME = 18,
	XFR_TSIG_R_BADTRUNC = 22,
};

enum xfr_tsig_alg {
	XFR_TSIG_HMAC_MD5,
	XFR_TSIG_HMAC_SHA1,
	XFR_TSIG_HMAC_SHA224,
	XFR_TSIG_HMAC_SHA256,
	XFR_TSIG_HMAC_SHA384,
	XFR_TSIG_HMAC_SHA512,
	XFR_TSIG_ALG_COUNT,
};

#define XFR_TSIG_MAC_MAX 64	 /* HMAC-SHA512 */
#define XFR_TSIG_FUDGE 300	 /* seconds, RFC 8945 §10 */
#define XFR_TSIG_MAX_UNSIGNED 99 /* unsigned messages in a row, §5.3.1 */

/*
 * A configured key.  Immutable after xfr_tsig_key_init; the secret is on the
 * heap, owned by the key, wiped and freed by xfr_tsig_key_deinit.
 */
struct xfr_tsig_key {
	uint8_t name[DNS_NAME_MAXLEN]; /* wire form, lowercased (canonical) */
	uint16_t name_len;
	enum xfr_tsig_alg alg;
	uint8_t *secret;
	size_t secret_len;
};

/*
 * Fills key from configuration text: name ("xfr-key", relative names are
 * taken as absolute), algorithm ("hmac-sha256", case-insensitive; the six
 * names above) and the base64 secret (RFC 4648, padded, no whitespace).
 * Returns 0, DP_ESYNTAX/DP_ELABEL/DP_ENAMELEN (bad name), XFR_TSIG_EALG,
 * XFR_TSIG_EBASE64, XFR_TSIG_ESECRET (decodes to nothing) or DP_ENOMEM.
 * On failure key is left zeroed (xfr_tsig_key_deinit is still safe).
 */
int xfr_tsig_key_init(struct xfr_tsig_key *key, const char *name_text, const char *alg_text,
		      const char *secret_base64) __attribute__((warn_unused_result));

/* Wipes (OPENSSL_cleanse) and frees the secret; zeroes key.  NULL: no-op. */
void xfr_tsig_key_deinit(struct xfr_tsig_key *key);

/* Algorithm from its configuration name; the enum value or XFR_TSIG_EALG. */
int xfr_tsig_alg_from_text(const char *text) __attribute__((warn_unused_result));

/* Algorithm from its wire name (any case); the enum value or XFR_TSIG_EALG. */
int xfr_tsig_alg_from_name(const uint8_t *name) __attribute__((warn_unused_result));

/* Configuration name ("hmac-sha256"); "?" for a value outside the enum. */
const char *xfr_tsig_alg_to_text(enum xfr_tsig_alg alg);

/* Full MAC length in octets (16 for MD5 ... 64 for SHA512); 0 outside the enum. */
size_t xfr_tsig_alg_mac_len(enum xfr_tsig_alg alg);

/* Octets any TSIG RR this module appends takes at most (a BADKEY reply echoes
 * the request's names, which may be longer than ours). */
#define XFR_TSIG_SPACE_MAX (2 * DNS_NAME_MAXLEN + 10 + 16 + XFR_TSIG_MAC_MAX + 6)

/* Octets a TSIG RR signed with key takes at most: reserve this before signing. */
size_t xfr_tsig_space(const struct xfr_tsig_key *key);

/*
 * A TSIG RR as received.  mac and other point into the message given to
 * xfr_tsig_parse and are valid as long as it is.
 */
struct xfr_tsig_rr {
	size_t off;			   /* message offset where the TSIG RR starts */
	uint8_t key_name[DNS_NAME_MAXLEN]; /* owner, uncompressed, case as received */
	uint16_t key_name_len;
	uint16_t rclass;
	uint32_t ttl;
	uint8_t alg_name[DNS_NAME_MAXLEN]; /* case as received */
	uint16_t alg_name_len;
	uint64_t time_signed; /* 48 bits */
	uint16_t fudge;
	uint16_t mac_len;
	const uint8_t *mac;
	uint16_t orig_id;
	uint16_t error;
	uint16_t other_len;
	const uint8_t *other;
};

/*
 * Finds the TSIG RR of msg[0..len) and parses it into rr (RFC 8945 §4.2,
 * §5.2): walks the whole message through the wire cursor; the TSIG must be
 * the last RR of the additional section, the only one, of class ANY, with
 * an uncompressed algorithm name and rdata of exactly its stated length, and
 * nothing may follow the last RR.
 * Returns 0 (rr filled), XFR_TSIG_ENOSIG (well-formed, no TSIG) or DP_EMALF.
 */
int xfr_tsig_parse(const uint8_t *msg, size_t len, struct xfr_tsig_rr *rr)
	__attribute__((warn_unused_result));

/* True when rr names key: same owner (case-insensitive) and algorithm. */
bool xfr_tsig_key_matches(const struct xfr_tsig_key *key, const struct xfr_tsig_rr *rr);

/* State of one TSIG transaction (a request and its reply).  Opaque. */
struct xfr_tsig_ctx;

/*
 * A context for transactions with key (the caller keeps key alive and
 * unchanged for the ctx's lifetime).  key may be NULL on the server side only
 * (the peer has no key configured: every signed request then fails with
 * BADKEY and is answered accordingly).  Returns NULL when out of memory or
 * when OpenSSL cannot provide HMAC with the key's digest.
 */
struct xfr_tsig_ctx *xfr_tsig_ctx_new(const struct xfr_tsig_key *key)
	__attribute__((warn_unused_result));

/* Frees ctx (OpenSSL state, saved MACs wiped).  NULL: no-op. */
void xfr_tsig_ctx_free(struct xfr_tsig_ctx *ctx);

/*
 * Local truncation policy (§5.2.2.1, §5.2.4): received MACs shorter than
 * min_len octets fail with BADTRUNC.  0 (the default) accepts every length
 * the RFC allows, max(10, half the hash) up to the full hash.
 */
void xfr_tsig_ctx_set_min_mac(struct xfr_tsig_ctx *ctx, uint16_t min_len);

/*
 * Client: signs the request held in w->buf[0..w->pos) (a complete message)
 * by appending a TSIG RR (time now, fudge XFR_TSIG_FUDGE, original ID the
 * header's) and incrementing ARCOUNT; keeps the MAC for the response and
 * starts a new transaction on ctx.  On failure w is unchanged.
 * Returns 0, DP_EINVAL (no key, w->err set, message shorter than a header,
 * ARCOUNT already 65535), DP_ESPACE, or DP_EIO (OpenSSL failed).
 */
int xfr_tsig_sign(struct xfr_tsig_ctx *ctx, struct dns_wr *w, uint64_t now)
	__attribute__((warn_unused_result));

/*
 * Client: verifies the next message msg[0..len) of the response to the
 * request signed last on ctx.  The first message is checked against the
 * request MAC and all TSIG variables (§5.3), later ones against the previous
 * MAC, the unsigned messages since it and the timers (§5.3.1).
 * Returns 0 (a signed message verified, or an allowed unsigned one),
 * XFR_TSIG_EPEER (the message carries a nonzero TSIG error: see
 * xfr_tsig_ctx_peer_error), XFR_TSIG_EBADKEY, DP_EMALF, XFR_TSIG_EBADSIG,
 * XFR_TSIG_EBADTIME, XFR_TSIG_EBADTRUNC, XFR_TSIG_ENOSIG (first message
 * unsigned, or a 100th unsigned message in a row), DP_EINVAL (no request
 * signed on ctx) or DP_EIO.  Any error is final for the transaction.
 */
int xfr_tsig_verify(struct xfr_tsig_ctx *ctx, const uint8_t *msg, size_t len, uint64_t now)
	__attribute__((warn_unused_result));

/*
 * Client: the response is complete.  Returns 0 when the last message
 * verified was signed, XFR_TSIG_ENOSIG when it was not (or none was given),
 * or the transaction's earlier error.
 */
int xfr_tsig_verify_end(const struct xfr_tsig_ctx *ctx) __attribute__((warn_unused_result));

/* Client: the TSIG Error of the response after XFR_TSIG_EPEER (else 0). */
uint16_t xfr_tsig_ctx_peer_error(const struct xfr_tsig_ctx *ctx);

/* Client: the server's clock from a BADTIME response's Other Data (else 0). */
uint64_t xfr_tsig_ctx_peer_time(const struct xfr_tsig_ctx *ctx);

/*
 * Server: verifies the request msg[0..len) with ctx's key (§5.2: key, MAC,
 * time, truncation, in that order) and records the outcome for
 * xfr_tsig_server_sign.  Starts a new transaction on ctx.
 * Returns 0, XFR_TSIG_ENOSIG (unsigned request), DP_EMALF (answer FORMERR),
 * XFR_TSIG_EBADKEY, XFR_TSIG_EBADSIG, XFR_TSIG_EBADTIME, XFR_TSIG_EBADTRUNC
 * (answer with xfr_tsig_server_sign, which sets NOTAUTH), or DP_EIO.
 */
int xfr_tsig_server_verify(struct xfr_tsig_ctx *ctx, const uint8_t *msg, size_t len, uint64_t now)
	__attribute__((warn_unused_result));

/*
 * Server: completes the reply message in w->buf[0..w->pos) according to the
 * last xfr_tsig_server_verify:
 *   - unsigned or malformed request: appends nothing (§5.3: no signed reply
 *     to an unsigned request; FORMERR replies carry no TSIG);
 *   - BADKEY, BADSIG: sets RCODE NOTAUTH, appends an unsigned TSIG (MAC size
 *     0) with the error, echoing the request's key and algorithm (§5.3.2);
 *   - BADTIME, BADTRUNC: sets RCODE NOTAUTH, appends a TSIG signed over the
 *     request MAC with the error (BADTIME: the request's time signed, and our
 *     time in Other Data);
 *   - verified: signs over the request MAC; called again for each further
 *     message of a multi-message reply, signs over the previous MAC and the
 *     timers (§5.3.1).
 * Room: xfr_tsig_space(key), or XFR_TSIG_SPACE_MAX for the BADKEY echo.
 * After an error reply the transaction is over.  On failure w is unchanged.
 * Returns 0, DP_EINVAL (no request verified, or the transaction is over,
 * w->err set, short message, ARCOUNT 65535), DP_ESPACE or DP_EIO.
 */
int xfr_tsig_server_sign(struct xfr_tsig_ctx *ctx, struct dns_wr *w, uint64_t now)
	__attribute__((warn_unused_result));

/* Text for one of the codes above, or dp_strerror(code) for any other. */
const char *xfr_tsig_strerror(int code);
