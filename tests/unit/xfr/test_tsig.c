/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TSIG (src/xfr/tsig.h, RFC 8945).  libknot's TSIG code is the independent
 * oracle: what we sign must verify with libknot and what libknot signs must
 * verify with ours, for every algorithm, single and multi-message, and the
 * MAC bytes must be equal for the same input and time.  libknot signs with
 * time(NULL); we take its time signed from the message where bytes are
 * compared.  The last tests talk to real peers (knotd, BIND's dig) when they
 * are installed.
 */
#include "xfr/tsig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <libknot/libknot.h>

#include "../dns/testutil.h"
#include "dns/msg.h"
#include "dns/rrtype.h"

#define SECRET "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKA=="
#define OTHER_SECRET "ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4SFhoeIiYqLjA=="
#define KEY_NAME "xfr-key."
#define MSG_CAP 4096
#define NALG XFR_TSIG_ALG_COUNT

static const char *const alg_text[NALG] = {
	"hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512",
};
static const size_t alg_mac[NALG] = { 16, 20, 28, 32, 48, 64 };
static const size_t alg_wire_len[NALG] = { 26, 11, 13, 13, 13, 13 };

static uint64_t now(void)
{
	return (uint64_t)time(NULL);
}

/* ------------------------------------------------------------ key pairs */

/* The same key for us and for libknot. */
struct pair {
	struct xfr_tsig_key key;
	knot_tsig_key_t kk;
};

static void pair_init(struct pair *p, int alg, const char *name, const char *secret)
{
	cr_assert_eq(xfr_tsig_key_init(&p->key, name, alg_text[alg], secret), 0, "%s",
		     alg_text[alg]);
	cr_assert_eq(knot_tsig_key_init(&p->kk, alg_text[alg], name, secret), KNOT_EOK);
}

static void pair_deinit(struct pair *p)
{
	xfr_tsig_key_deinit(&p->key);
	knot_tsig_key_deinit(&p->kk);
}

/* ------------------------------------------------------------- messages */

/* A message for example.com/qtype with nans A records (contents vary with seed). */
static size_t build_msg(uint8_t *buf, size_t cap, uint16_t id, uint16_t flags, uint16_t qtype,
			unsigned nans, unsigned seed)
{
	struct dns_wr w;
	struct dns_compr c;
	struct dns_hdr h = { .id = id, .flags = flags, .qdcount = 1, .ancount = (uint16_t)nans };
	struct dns_question q;

	dns_wr_init(&w, buf, cap);
	dns_compr_init(&c);
	dns_hdr_write(&w, &h);
	q.name_len = (uint16_t)tn(q.name, "example.com");
	q.qtype = qtype;
	q.qclass = DNS_C_IN;
	dns_question_write(&w, &q, &c);
	for (unsigned i = 0; i < nans; i++) {
		struct dns_rr rr;
		char owner[64];
		uint8_t a[4] = { 198, 18, (uint8_t)seed, (uint8_t)i };
		snprintf(owner, sizeof(owner), "h%u-%u.example.com", seed, i);
		rr.owner_len = (uint16_t)tn(rr.owner, owner);
		rr.type = DNS_T_A;
		rr.rclass = DNS_C_IN;
		rr.ttl = 3600;
		rr.rdlen = 4;
		rr.rdata = a;
		dns_rr_write(&w, &rr, &c);
	}
	cr_assert_eq(w.err, 0);
	return w.pos;
}

static size_t build_query(uint8_t *buf, uint16_t id)
{
	return build_msg(buf, MSG_CAP, id, 0, DNS_T_AXFR, 0, 0);
}

static size_t build_resp(uint8_t *buf, uint16_t id, unsigned seed)
{
	return build_msg(buf, MSG_CAP, id, DNS_F_QR | DNS_F_AA, DNS_T_AXFR, 3, seed);
}

/* Our signing on a plain buffer. */
static int our_sign(struct xfr_tsig_ctx *ctx, uint8_t *buf, size_t *len, uint64_t t)
{
	struct dns_wr w;
	dns_wr_init(&w, buf, MSG_CAP);
	w.pos = *len;
	int rc = xfr_tsig_sign(ctx, &w, t);
	*len = w.pos;
	return rc;
}

static int our_server_sign(struct xfr_tsig_ctx *ctx, uint8_t *buf, size_t *len, uint64_t t)
{
	struct dns_wr w;
	dns_wr_init(&w, buf, MSG_CAP);
	w.pos = *len;
	int rc = xfr_tsig_server_sign(ctx, &w, t);
	*len = w.pos;
	return rc;
}

/* --------------------------------------------------------- libknot side */

/* A message parsed by libknot (which strips the TSIG RR off its own copy). */
struct kmsg {
	uint8_t *wire;
	knot_pkt_t *pkt;
};

static void kparse(struct kmsg *k, const uint8_t *msg, size_t len)
{
	k->wire = malloc(len);
	cr_assert(k->wire);
	memcpy(k->wire, msg, len);
	k->pkt = knot_pkt_new(k->wire, len, NULL);
	cr_assert(k->pkt);
	cr_assert_eq(knot_pkt_parse(k->pkt, 0), KNOT_EOK, "libknot cannot parse the message");
	cr_assert(k->pkt->tsig_rr, "libknot finds no TSIG");
}

static void kfree(struct kmsg *k)
{
	knot_pkt_free(k->pkt);
	free(k->wire);
}

static int knot_check_request(const uint8_t *msg, size_t len, const knot_tsig_key_t *kk)
{
	struct kmsg k;
	kparse(&k, msg, len);
	int rc = knot_tsig_server_check(k.pkt->tsig_rr, k.pkt->wire, k.pkt->size, kk);
	kfree(&k);
	return rc;
}

static int knot_check_response(const uint8_t *msg, size_t len, const uint8_t *req_mac,
			       size_t req_mac_len, const knot_tsig_key_t *kk)
{
	struct kmsg k;
	kparse(&k, msg, len);
	int rc = knot_tsig_client_check(k.pkt->tsig_rr, k.pkt->wire, k.pkt->size, req_mac,
					req_mac_len, kk, 0);
	kfree(&k);
	return rc;
}

static int knot_check_next(const uint8_t *msg, size_t len, const uint8_t *prev, size_t prev_len,
			   const knot_tsig_key_t *kk)
{
	struct kmsg k;
	kparse(&k, msg, len);
	int rc = knot_tsig_client_check_next(k.pkt->tsig_rr, k.pkt->wire, k.pkt->size, prev,
					     prev_len, kk, 0);
	kfree(&k);
	return rc;
}

/* The MAC of msg's TSIG as libknot reads it; returns its length. */
static size_t knot_mac(const uint8_t *msg, size_t len, uint8_t *out)
{
	struct kmsg k;
	kparse(&k, msg, len);
	size_t n = knot_tsig_rdata_mac_length(k.pkt->tsig_rr);
	memcpy(out, knot_tsig_rdata_mac(k.pkt->tsig_rr), n);
	kfree(&k);
	return n;
}

static uint64_t knot_time(const uint8_t *msg, size_t len)
{
	struct kmsg k;
	kparse(&k, msg, len);
	uint64_t t = knot_tsig_rdata_time_signed(k.pkt->tsig_rr);
	kfree(&k);
	return t;
}

/* libknot signs a request; its MAC goes to mac (length returned). */
static size_t knot_sign_request(uint8_t *buf, size_t *len, const knot_tsig_key_t *kk, uint8_t *mac)
{
	size_t dl = XFR_TSIG_MAC_MAX;
	cr_assert_eq(knot_tsig_sign(buf, len, MSG_CAP, NULL, 0, mac, &dl, kk, 0, 0), KNOT_EOK);
	return dl;
}

/* ------------------------------------------------------------------ keys */

Test(tsig_key, init_every_algorithm)
{
	for (int a = 0; a < NALG; a++) {
		struct xfr_tsig_key k;
		cr_assert_eq(xfr_tsig_key_init(&k, "Xfr-Key", alg_text[a], SECRET), 0);
		assert_lit(k.name, k.name_len, "\007xfr-key\000");
		cr_assert_eq(k.alg, (enum xfr_tsig_alg)a);
		cr_assert_eq(k.secret_len, 40);
		for (size_t i = 0; i < 40; i++)
			cr_assert_eq(k.secret[i], i + 1);
		cr_assert_eq(xfr_tsig_alg_mac_len(k.alg), alg_mac[a]);
		cr_assert_str_eq(xfr_tsig_alg_to_text(k.alg), alg_text[a]);
		/* Owner, fixed RR fields, algorithm, fixed rdata, MAC, BADTIME data. */
		cr_assert_eq(xfr_tsig_space(&k), 9 + 10 + alg_wire_len[a] + 16 + alg_mac[a] + 6);
		cr_assert_leq(xfr_tsig_space(&k), XFR_TSIG_SPACE_MAX);
		xfr_tsig_key_deinit(&k);
		cr_assert_null(k.secret);
		cr_assert_eq(k.secret_len, 0);
		cr_assert_eq(k.name_len, 0);
	}
	xfr_tsig_key_deinit(NULL);
}

Test(tsig_key, algorithm_names)
{
	struct xfr_tsig_key k;
	cr_assert_eq(xfr_tsig_key_init(&k, "k.example.", "HMAC-SHA256", "Zm9v"), 0);
	cr_assert_eq(k.alg, XFR_TSIG_HMAC_SHA256);
	xfr_tsig_key_deinit(&k);

	uint8_t n[DNS_NAME_MAXLEN];
	tn(n, "HMAC-MD5.SIG-ALG.REG.INT");
	cr_assert_eq(xfr_tsig_alg_from_name(n), XFR_TSIG_HMAC_MD5);
	tn(n, "hmac-sha512");
	cr_assert_eq(xfr_tsig_alg_from_name(n), XFR_TSIG_HMAC_SHA512);
	tn(n, "hmac-md5");
	cr_assert_eq(xfr_tsig_alg_from_name(n), XFR_TSIG_EALG);
	tn(n, "gss-tsig");
	cr_assert_eq(xfr_tsig_alg_from_name(n), XFR_TSIG_EALG);
	cr_assert_eq(xfr_tsig_alg_from_text("hmac-sha3-256"), XFR_TSIG_EALG);
	cr_assert_eq(xfr_tsig_alg_from_text(""), XFR_TSIG_EALG);
	cr_assert_eq(xfr_tsig_alg_mac_len(XFR_TSIG_ALG_COUNT), 0);
	cr_assert_str_eq(xfr_tsig_alg_to_text(XFR_TSIG_ALG_COUNT), "?");
}

Test(tsig_key, base64)
{
	static const struct {
		const char *b64;
		const char *bytes;
	} good[] = { { "Zg==", "f" },		{ "Zm8=", "fo" },	 { "Zm9v", "foo" },
		     { "Zm9vYg==", "foob" },	{ "Zm9vYmE=", "fooba" }, { "Zm9vYmFy", "foobar" },
		     { "+/+/", "\373\377\277" } };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct xfr_tsig_key k;
		cr_assert_eq(xfr_tsig_key_init(&k, "k", "hmac-sha1", good[i].b64), 0, "%s",
			     good[i].b64);
		assert_bytes(k.secret, k.secret_len, good[i].bytes, strlen(good[i].bytes));
		xfr_tsig_key_deinit(&k);
	}
	static const char *const bad[] = { "Zm9",  "Zm9v=", "Z===",	 "====",
					   "Zg=a", "Z=g=",  "Zm9v Zm9v", "Zm9v\n",
					   "Zm-v", "Zm_v",  "Zm9vZ",	 "Zg==Zg==" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xfr_tsig_key k;
		cr_assert_eq(xfr_tsig_key_init(&k, "k", "hmac-sha1", bad[i]), XFR_TSIG_EBASE64,
			     "'%s'", bad[i]);
		cr_assert_null(k.secret);
		xfr_tsig_key_deinit(&k);
	}
}

Test(tsig_key, errors)
{
	struct xfr_tsig_key k;
	cr_assert_eq(xfr_tsig_key_init(&k, "k", "hmac-sha3", SECRET), XFR_TSIG_EALG);
	cr_assert_eq(xfr_tsig_key_init(&k, "k", "md5", SECRET), XFR_TSIG_EALG);
	cr_assert_eq(xfr_tsig_key_init(&k, "k", "hmac-sha256", ""), XFR_TSIG_ESECRET);
	cr_assert_eq(xfr_tsig_key_init(&k, "k", "hmac-sha256", "bad!"), XFR_TSIG_EBASE64);
	cr_assert_lt(xfr_tsig_key_init(&k, "a..b", "hmac-sha256", SECRET), 0);
	cr_assert_null(k.secret);
	cr_assert_eq(xfr_tsig_key_init(&k, NULL, "hmac-sha256", SECRET), DP_EINVAL);
	cr_assert_eq(xfr_tsig_key_init(NULL, "k", "hmac-sha256", SECRET), DP_EINVAL);
	/* The codes have their own text. */
	cr_assert_str_neq(xfr_tsig_strerror(XFR_TSIG_EALG), xfr_tsig_strerror(XFR_TSIG_EBASE64));
	cr_assert(strstr(xfr_tsig_strerror(XFR_TSIG_EBADTIME), "BADTIME"));
	cr_assert_str_eq(xfr_tsig_strerror(DP_ENOMEM), dp_strerror(DP_ENOMEM));
}

/* ------------------------------------------------------- single message */

Test(tsig_request, ours_verified_by_knot)
{
	for (int a = 0; a < NALG; a++) {
		struct pair p;
		uint8_t buf[MSG_CAP];
		pair_init(&p, a, KEY_NAME, SECRET);
		struct xfr_tsig_ctx *ctx = xfr_tsig_ctx_new(&p.key);
		cr_assert(ctx);
		size_t len = build_query(buf, 0x1234);
		size_t plain = len;
		cr_assert_eq(our_sign(ctx, buf, &len, now()), 0);
		cr_assert_eq(len, plain + xfr_tsig_space(&p.key) - 6);
		cr_assert_eq(knot_check_request(buf, len, &p.kk), KNOT_EOK, "%s", alg_text[a]);

		/* And by ourselves, as a server. */
		struct xfr_tsig_ctx *srv = xfr_tsig_ctx_new(&p.key);
		cr_assert_eq(xfr_tsig_server_verify(srv, buf, len, now()), 0);
		xfr_tsig_ctx_free(srv);
		xfr_tsig_ctx_free(ctx);
		pair_deinit(&p);
	}
}

Test(tsig_request, knot_verified_by_ours)
{
	for (int a = 0; a < NALG; a++) {
		struct pair p;
		uint8_t buf[MSG_CAP], mac[XFR_TSIG_MAC_MAX];
		pair_init(&p, a, KEY_NAME, SECRET);
		struct xfr_tsig_ctx *srv = xfr_tsig_ctx_new(&p.key);
		size_t len = build_msg(buf, MSG_CAP, 0xbeef, DNS_OP_NOTIFY << DNS_OPCODE_SHIFT,
				       DNS_T_SOA, 1, 7);
		cr_assert_eq(knot_sign_request(buf, &len, &p.kk, mac), alg_mac[a]);
		cr_assert_eq(xfr_tsig_server_verify(srv, buf, len, now()), 0, "%s", alg_text[a]);
		xfr_tsig_ctx_free(srv);
		pair_deinit(&p);
	}
}

Test(tsig_request, mac_bytes_equal_knot)
{
	for (int a = 0; a < NALG; a++) {
		struct pair p;
		uint8_t kb[MSG_CAP], ob[MSG_CAP], mac[XFR_TSIG_MAC_MAX];
		pair_init(&p, a, KEY_NAME, SECRET);
		struct xfr_tsig_ctx *ctx = xfr_tsig_ctx_new(&p.key);
		size_t klen = build_query(kb, 0x4242), olen = build_query(ob, 0x4242);
		knot_sign_request(kb, &klen, &p.kk, mac);
		cr_assert_eq(our_sign(ctx, ob, &olen, knot_time(kb, klen)), 0);
		assert_bytes(ob, olen, kb, klen);
		xfr_tsig_ctx_free(ctx);
		pair_deinit(&p);
	}
}

Test(tsig_response, knot_signs_ours_verifies)
{
	for (int a = 0; a < NALG; a++) {
		struct pair p;
		uint8_t q[MSG_CAP], r[MSG_CAP], req_mac[XFR_TSIG_MAC_MAX], dig[XFR_TSIG_MAC_MAX];
		pair_init(&p, a, KEY_NAME, SECRET);
		struct xfr_tsig_ctx *ctx = xfr_tsig_ctx_new(&p.key);
		size_t qlen = build_query(q, 7);
		cr_assert_eq(our_sign(ctx, q, &qlen, now()), 0);
		size_t req_len = knot_mac(q, qlen, req_mac);

		size_t rlen = build_resp(r, 7, 1), dl = sizeof(dig);
		cr_assert_eq(
			knot_tsig_sign(r, &rlen, MSG_CAP, req_mac, req_len, dig, &dl, &p.kk, 0, 0),
			KNOT_EOK);
		cr_assert_eq(xfr_tsig_verify(ctx, r, rlen, now()), 0, "%s", alg_text[a]);
		cr_assert_eq(xfr_tsig_verify_end(ctx), 0);
		xfr_tsig_ctx_free(ctx);
		pair_deinit(&p);
	}
}

Test(tsig_response, ours_signs_knot_verifies_same_bytes)
{
	for (int a = 0; a < NALG; a++) {
		struct pair p;
		uint8_t q[MSG_CAP], r[MSG_CAP], kr[MSG_CAP];
		uint8_t req_mac[XFR_TSIG_MAC_MAX], dig[XFR_TSIG_MAC_MAX];
		pair_init(&p, a, KEY_NAME, SECRET);
		struct xfr_tsig_ctx *srv = xfr_tsig_ctx_new(&p.key);
		size_t qlen = build_query(q, 99);
		size_t req_len = knot_sign_request(q, &qlen, &p.kk, req_mac);
		cr_assert_eq(xfr_tsig_server_verify(srv, q, qlen, now()), 0);

		/* libknot signs the same response: equal bytes at its time. */
		size_t klen = build_resp(kr, 99, 3), dl = sizeof(dig);
		cr_assert_eq(
			knot_tsig_sign(kr, &klen, MSG_CAP, req_mac, req_len, dig, &dl, &p.kk, 0, 0),
			KNOT_EOK);
		size_t rlen = build_resp(r, 99, 3);
		cr_assert_eq(our_server_sign(srv, r, &rlen, knot_time(kr, klen)), 0);
		assert_bytes(r, rlen, kr, klen);
		cr_assert_eq(knot_check_response(r, rlen, req_mac, req_len, &p.kk), KNOT_EOK);

		/* The next message: timers only, over the previous MAC. */
		uint8_t prev[XFR_TSIG_MAC_MAX];
		size_t prev_len = knot_mac(r, rlen, prev);
		klen = build_resp(kr, 99, 4);
		size_t plain = klen;
		dl = sizeof(dig);
		cr_assert_eq(knot_tsig_sign_next(kr, &klen, MSG_CAP, prev, prev_len, dig, &dl,
						 &p.kk, kr, plain),
			     KNOT_EOK);
		rlen = build_resp(r, 99, 4);
		cr_assert_eq(our_server_sign(srv, r, &rlen, knot_time(kr, klen)), 0);
		assert_bytes(r, rlen, kr, klen);
		cr_assert_eq(knot_check_next(r, rlen, prev, prev_len, &p.kk), KNOT_EOK);
		xfr_tsig_ctx_free(srv);
		pair_deinit(&p);
	}
}

/* -------------------------------------------------------- multi-message */

/* 'S' signed, 'U' unsigned: the pattern of a response's messages. */
static void knot_stream_verify(int a, const char *pat, int expect_last_verify, int expect_end)
{
	struct pair p;
	uint8_t q[MSG_CAP], req_mac[XFR_TSIG_MAC_MAX], prev[XFR_TSIG_MAC_MAX];
	size_t n = strlen(pat);
	uint8_t *pending = malloc(n * MSG_CAP); /* unsigned messages since the last signed */
	size_t pending_len = 0, prev_len;
	cr_assert(pending);

	pair_init(&p, a, KEY_NAME, SECRET);
	struct xfr_tsig_ctx *ctx = xfr_tsig_ctx_new(&p.key);
	size_t qlen = build_query(q, 0x77);
	cr_assert_eq(our_sign(ctx, q, &qlen, now()), 0);
	prev_len = knot_mac(q, qlen, req_mac);
	memcpy(prev, req_mac, prev_len);

	for (size_t i = 0; i < n; i++) {
		uint8_t r[MSG_CAP], dig[XFR_TSIG_MAC_MAX];
		size_t rlen = build_resp(r, 0x77, (unsigned)i), dl = sizeof(dig);
		if (pat[i] == 'S' && i == 0) {
			cr_assert_eq(knot_tsig_sign(r, &rlen, MSG_CAP, prev, prev_len, dig, &dl,
						    &p.kk, 0, 0),
				     KNOT_EOK);
		} else if (pat[i] == 'S') {
			memcpy(pending + pending_len, r, rlen);
			pending_len += rlen;
			cr_assert_eq(knot_tsig_sign_next(r, &rlen, MSG_CAP, prev, prev_len, dig,
							 &dl, &p.kk, pending, pending_len),
				     KNOT_EOK);
		} else {
			memcpy(pending + pending_len, r, rlen);
			pending_len += rlen;
		}
		if (pat[i] == 'S') {
			memcpy(prev, dig, dl);
			prev_len = dl;
			pending_len = 0;
		}
		int rc = xfr_tsig_verify(ctx, r, rlen, now());
		if (i + 1 < n)
			cr_assert_eq(rc, 0, "%s message %zu of %s", alg_text[a], i, pat);
		else
			cr_assert_eq(rc, expect_last_verify, "%s last message: %d", alg_text[a],
				     rc);
	}
	cr_assert_eq(xfr_tsig_verify_end(ctx), expect_end);
	xfr_tsig_ctx_free(ctx);
	pair_deinit(&p);
	free(pending);
}

static char *pattern(const char *head, unsigned nu, const char *tail)
{
	static char buf[256];
	size_t h = strlen(head);
	memcpy(buf, head, h);
	memset(buf + h, 'U', nu);
	strcpy(buf + h + nu, tail);
	return buf;
}

Test(tsig_multi, knot_signs_with_unsigned_intermediates)
{
	for (int a = 0; a < NALG; a++) {
		knot_stream_verify(a, "SSSS", 0, 0);
		knot_stream_verify(a, "SUUUSSUS", 0, 0);
		knot_stream_verify(a, pattern("SUS", XFR_TSIG_MAX_UNSIGNED, "SUUS"), 0, 0);
	}
}

Test(tsig_multi, unsigned_limits)
{
	for (int a = 0; a < NALG; a++) {
		/* The first message must be signed. */
		knot_stream_verify(a, "U", XFR_TSIG_ENOSIG, XFR_TSIG_ENOSIG);
		/* The last message must be signed. */
		knot_stream_verify(a, "SSU", 0, XFR_TSIG_ENOSIG);
		/* At most 99 unsigned in a row. */
		knot_stream_verify(a, pattern("S", XFR_TSIG_MAX_UNSIGNED + 1, ""), XFR_TSIG_ENOSIG,
				   XFR_TSIG_ENOSIG);
	}
}

Test(tsig_multi, ours_signs_knot_verifies)
{
	for (int a = 0; a < NALG; a++) {
		struct pair p;
		uint8_t q[MSG_CAP], prev[XFR_TSIG_MAC_MAX];
		pair_init(&p, a, KEY_NAME, SECRET);
		struct xfr_tsig_ctx *srv = xfr_tsig_ctx_new(&p.key);
		size_t qlen = build_query(q, 5);
		size_t prev_len = knot_sign_request(q, &qlen, &p.kk, prev);
		cr_assert_eq(xfr_tsig_server_verify(srv, q, qlen, now()), 0);

		/* And our client verifies the same stream. */
		struct xfr_tsig_ctx *cli = xfr_tsig_ctx_new(&p.key);
		uint8_t oq[MSG_CAP];
		size_t oqlen = build_query(oq, 5);
		cr_assert_eq(our_sign(cli, oq, &oqlen, knot_time(q, qlen)), 0);
		assert_bytes(oq, oqlen, q, qlen);

		for (unsigned i = 0; i < 6; i++) {
			uint8_t r[MSG_CAP];
			size_t rlen = build_resp(r, 5, i);
			cr_assert_eq(our_server_sign(srv, r, &rlen, now()), 0);
			int rc = i == 0 ? knot_check_response(r, rlen, prev, prev_len, &p.kk) :
					  knot_check_next(r, rlen, prev, prev_len, &p.kk);
			cr_assert_eq(rc, KNOT_EOK, "%s message %u", alg_text[a], i);
			prev_len = knot_mac(r, rlen, prev);
			cr_assert_eq(xfr_tsig_verify(cli, r, rlen, now()), 0);
		}
		cr_assert_eq(xfr_tsig_verify_end(cli), 0);
		xfr_tsig_ctx_free(cli);
		xfr_tsig_ctx_free(srv);
		pair_deinit(&p);
	}
}

Test(tsig_multi, failure_is_final)
{
	struct pair p;
	uint8_t q[MSG_CAP], r[MSG_CAP];
	pair_init(&p, XFR_TSIG_HMAC_SHA256, KEY_NAME, SECRET);
	struct xfr_tsig_ctx *cli = xfr_tsig_ctx_new(&p.key);
	struct xfr_tsig_ctx *srv = xfr_tsig_ctx_new(&p.key);
	size_t qlen = build_query(q, 1);
	cr_assert_eq(our_sign(cli, q, &qlen, now()), 0);
	cr_assert_eq(xfr_tsig_server_verify(srv, q, qlen, now()), 0);

	size_t rlen = build_resp(r, 1, 0);
	cr_assert_eq(our_server_sign(srv, r, &rlen, now()), 0);
	cr_assert_eq(xfr_tsig_verify(cli, r, rlen, now()), 0);
	rlen = build_resp(r, 1, 1);
	cr_assert_eq(our_server_sign(srv, r, &rlen, now()), 0);
	r[rlen - 10] ^= 1; /* inside the MAC */
	cr_assert_eq(xfr_tsig_verify(cli, r, rlen, now()), XFR_TSIG_EBADSIG);
	r[rlen - 10] ^= 1;
	cr_assert_eq(xfr_tsig_verify(cli, r, rlen, now()), XFR_TSIG_EBADSIG);
	cr_assert_eq(xfr_tsig_verify_end(cli), XFR_TSIG_EBADSIG);

	/* A new request starts afresh. */
	qlen = build_query(q, 2);
	cr_assert_eq(our_sign(cli, q, &qlen, now()), 0);
	cr_assert_eq(xfr_tsig_verify_end(cli), XFR_TSIG_ENOSIG);
	xfr_tsig_ctx_free(cli);
	xfr_tsig_ctx_free(srv);
	pair_deinit(&p);
}

/* -------------------------------------------------------------- failures */

Test(tsig_fail, wrong_secret_badsig)
{
	for (int a = 0; a < NALG; a++) {
		struct pair p, other;
		uint8_t q[MSG_CAP], r[MSG_CAP], mac[XFR_TSIG_MAC_MAX], dig[XFR_TSIG_MAC_MAX];
		pair_init(&p, a, KEY_NAME, SECRET);
		pair_init(&other, a, KEY_NAME, OTHER_SECRET);

		/* libknot signs with another secret: BADSIG here. */
		struct xfr_tsig_ctx *srv = xfr_tsig_ctx_new(&p.key);
		size_t qlen = build_query(q, 3);
		knot_sign_request(q, &qlen, &other.kk, mac);
		cr_assert_eq(xfr_tsig_server_verify(srv, q, qlen, now()), XFR_TSIG_EBADSIG);

		/* We sign with another secret: BADSIG there. */
		struct xfr_tsig_ctx *cli = xfr_tsig_ctx_new(&other.key);
		qlen = build_query(q, 3);
		cr_assert_eq(our_sign(cli, q, &qlen, now()), 0);
		cr_assert_eq(knot_check_request(q, qlen, &p.kk), KNOT_TSIG_EBADSIG);
		xfr_tsig_ctx_free(cli);

		/* A response signed with another secret. */
		cli = xfr_tsig_ctx_new(&p.key);
		qlen = build_query(q, 3);
		cr_assert_eq(our_sign(cli, q, &qlen, now()), 0);
		size_t ml = knot_mac(q, qlen, mac), dl = sizeof(dig);
		size_t rlen = build_resp(r, 3, 0);
		cr_assert_eq(knot_tsig_sign(r, &rlen, MSG_CAP, mac, ml, dig, &dl, &other.kk, 0, 0),
			     KNOT_EOK);
		cr_assert_eq(xfr_tsig_verify(cli, r, rlen, now()), XFR_TSIG_EBADSIG);
		xfr_tsig_ctx_free(cli);
		xfr_tsig_ctx_free(srv);
		pair_deinit(&other);
		pair_deinit(&p);
	}
}

Test(tsig_fail, wrong_key_name_or_algorithm_badkey)
{
	for (int a = 0; a < NALG; a++) {
		struct pair p, named, algd;
		uint8_t q[MSG_CAP], r[MSG_CAP], mac[XFR_TSIG_MAC_MAX], dig[XFR_TSIG_MAC_MAX];
		pair_init(&p, a, KEY_NAME, SECRET);
		pair_init(&named, a, "other-key.", SECRET);
		pair_init(&algd, (a + 1) % NALG, KEY_NAME, SECRET);

		struct xfr_tsig_ctx *srv = xfr_tsig_ctx_new(&p.key);
		size_t qlen = build_query(q, 3);
		knot_sign_request(q, &qlen, &named.kk, mac);
		cr_assert_eq(xfr_tsig_server_verify(srv, q, qlen, now()), XFR_TSIG_EBADKEY);
		qlen = build_query(q, 3);
		knot_sign_request(q, &qlen, &algd.kk, mac);
		cr_assert_eq(xfr_tsig_server_verify(srv, q, qlen, now()), XFR_TSIG_EBADKEY);

		/* A server that has no key at all. */
		struct xfr_tsig_ctx *nokey = xfr_tsig_ctx_new(NULL);
		cr_assert(nokey);
		cr_assert_eq(xfr_tsig_server_verify(nokey, q, qlen, now()), XFR_TSIG_EBADKEY);
		xfr_tsig_ctx_free(nokey);

		/* Ours under another name, checked by libknot. */
		struct xfr_tsig_ctx *cli = xfr_tsig_ctx_new(&named.key);
		qlen = build_query(q, 3);
		cr_assert_eq(our_sign(cli, q, &qlen, now()), 0);
		cr_assert_eq(knot_check_request(q, qlen, &p.kk), KNOT_TSIG_EBADKEY);
		xfr_tsig_ctx_free(cli);

		/* A response under another key name. */
		cli = xfr_tsig_ctx_new(&p.key);
		qlen = build_query(q, 3);
		cr_assert_eq(our_sign(cli, q, &qlen, now()), 0);
		size_t ml = knot_mac(q, qlen, mac), dl = sizeof(dig);
		size_t rlen = build_resp(r, 3, 0);
		cr_assert_eq(knot_tsig_sign(r, &rlen, MSG_CAP, mac, ml, dig, &dl, &named.kk, 0, 0),
			     KNOT_EOK);
		cr_assert_eq(xfr_tsig_verify(cli, r, rlen, now()), XFR_TSIG_EBADKEY);
		xfr_tsig_ctx_free(cli);
		xfr_tsig_ctx_free(srv);
		pair_deinit(&algd);
		pair_deinit(&named);
		pair_deinit(&p);
	}
}

Test(tsig_fail, time_outside_fudge_badtime)
{
	for (int a = 0; a < NALG; a++) {
		struct pair p;
		uint8_t q[MSG_CAP];
		pair_init(&p, a, KEY_NAME, SECRET);
		struct xfr_tsig_ctx *cli = xfr_tsig_ctx_new(&p.key);
		struct xfr_tsig_ctx *srv = xfr_tsig_ctx_new(&p.key);
		uint64_t t = now();

		size_t qlen = build_query(q, 3);
		cr_assert_eq(our_sign(cli, q, &qlen, t - 1000), 0);
		cr_assert_eq(knot_check_request(q, qlen, &p.kk), KNOT_TSIG_EBADTIME);

		qlen = build_query(q, 3);
		cr_assert_eq(our_sign(cli, q, &qlen, t), 0);
		cr_assert_eq(knot_check_request(q, qlen, &p.kk), KNOT_EOK);
		cr_assert_eq(xfr_tsig_server_verify(srv, q, qlen, t + XFR_TSIG_FUDGE), 0);
		cr_assert_eq(xfr_tsig_server_verify(srv, q, qlen, t - XFR_TSIG_FUDGE), 0);
		cr_assert_eq(xfr_tsig_server_verify(srv, q, qlen, t + XFR_TSIG_FUDGE + 1),
			     XFR_TSIG_EBADTIME);
		cr_assert_eq(xfr_tsig_server_verify(srv, q, qlen, t - XFR_TSIG_FUDGE - 1),
			     XFR_TSIG_EBADTIME);

		/* A response from a server whose clock is off. */
		cr_assert_eq(xfr_tsig_server_verify(srv, q, qlen, t), 0);
		uint8_t r[MSG_CAP];
		size_t rlen = build_resp(r, 3, 0);
		cr_assert_eq(our_server_sign(srv, r, &rlen, t + 301), 0);
		cr_assert_eq(xfr_tsig_verify(cli, r, rlen, t), XFR_TSIG_EBADTIME);
		xfr_tsig_ctx_free(srv);
		xfr_tsig_ctx_free(cli);
		pair_deinit(&p);
	}
}

/* Rewrites msg's TSIG RR from rr (fields possibly changed) into out. */
static size_t rebuild(const uint8_t *msg, const struct xfr_tsig_rr *rr, uint8_t *out,
		      int mac_len_delta, int rdlen_delta)
{
	struct dns_wr w;
	dns_wr_init(&w, out, MSG_CAP);
	dns_wr_bytes(&w, msg, rr->off);
	dns_wr_bytes(&w, rr->key_name, rr->key_name_len);
	dns_wr_u16(&w, DNS_T_TSIG);
	dns_wr_u16(&w, rr->rclass);
	dns_wr_u32(&w, rr->ttl);
	size_t at = w.pos;
	dns_wr_u16(&w, 0);
	dns_wr_bytes(&w, rr->alg_name, rr->alg_name_len);
	dns_wr_u16(&w, (uint16_t)(rr->time_signed >> 32));
	dns_wr_u32(&w, (uint32_t)rr->time_signed);
	dns_wr_u16(&w, rr->fudge);
	dns_wr_u16(&w, (uint16_t)(rr->mac_len + mac_len_delta));
	dns_wr_bytes(&w, rr->mac, rr->mac_len);
	dns_wr_u16(&w, rr->orig_id);
	dns_wr_u16(&w, rr->error);
	dns_wr_u16(&w, rr->other_len);
	dns_wr_bytes(&w, rr->other, rr->other_len);
	dns_wr_u16_at(&w, at, (uint16_t)(w.pos - at - 2 + rdlen_delta));
	cr_assert_eq(w.err, 0);
	return w.pos;
}

/* The message with its MAC cut (or padded with zeros) to n octets. */
static size_t with_mac_len(const uint8_t *msg, size_t len, size_t n, uint8_t *out)
{
	struct xfr_tsig_rr rr;
	uint8_t mac[XFR_TSIG_MAC_MAX + 8] = { 0 };
	cr_assert_eq(xfr_tsig_parse(msg, len, &rr), 0);
	memcpy(mac, rr.mac, rr.mac_len);
	rr.mac = mac;
	rr.mac_len = (uint16_t)n;
	return rebuild(msg, &rr, out, 0, 0);
}

Test(tsig_fail, truncated_mac)
{
	for (int a = 0; a < NALG; a++) {
		struct pair p;
		uint8_t q[MSG_CAP], t[MSG_CAP], r[MSG_CAP];
		pair_init(&p, a, KEY_NAME, SECRET);
		struct xfr_tsig_ctx *cli = xfr_tsig_ctx_new(&p.key);
		struct xfr_tsig_ctx *srv = xfr_tsig_ctx_new(&p.key);
		size_t full = alg_mac[a], min = full / 2 > 10 ? full / 2 : 10;
		size_t qlen = build_query(q, 3);
		cr_assert_eq(our_sign(cli, q, &qlen, now()), 0);

		/* §5.2.2.1: down to max(10, half the hash) is fine ... */
		for (size_t n = min; n <= full; n++) {
			size_t tlen = with_mac_len(q, qlen, n, t);
			cr_assert_eq(xfr_tsig_server_verify(srv, t, tlen, now()), 0, "%s %zu",
				     alg_text[a], n);
		}
		/* ... below it, or above the hash, is FORMERR ... */
		size_t bad[] = { 0, 1, min - 1, full + 1 };
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			size_t tlen = with_mac_len(q, qlen, bad[i], t);
			cr_assert_eq(xfr_tsig_server_verify(srv, t, tlen, now()), DP_EMALF,
				     "%s %zu", alg_text[a], bad[i]);
			cr_assert_eq(our_server_sign(srv, t, &tlen, now()), 0);
			cr_assert_eq(tlen, with_mac_len(q, qlen, bad[i], r)); /* nothing added */
		}
		/* ... and a wrong truncated MAC is BADSIG. */
		size_t tlen = with_mac_len(q, qlen, min, t);
		struct xfr_tsig_rr rr;
		cr_assert_eq(xfr_tsig_parse(t, tlen, &rr), 0);
		t[rr.mac - t] ^= 0x40;
		cr_assert_eq(xfr_tsig_server_verify(srv, t, tlen, now()), XFR_TSIG_EBADSIG);

		/* A local policy above the RFC's minimum: BADTRUNC, signed. */
		tlen = with_mac_len(q, qlen, min, t);
		xfr_tsig_ctx_set_min_mac(srv, (uint16_t)full);
		cr_assert_eq(xfr_tsig_server_verify(srv, t, tlen, now()), XFR_TSIG_EBADTRUNC);
		size_t rlen = build_resp(r, 3, 0);
		cr_assert_eq(our_server_sign(srv, r, &rlen, now()), 0);
		cr_assert_eq(knot_check_response(r, rlen, rr.mac, min, &p.kk), KNOT_EOK);
		cr_assert_eq(xfr_tsig_parse(r, rlen, &rr), 0);
		cr_assert_eq(rr.error, XFR_TSIG_R_BADTRUNC);
		cr_assert_eq(dns_get_u16(r + 2) & DNS_RCODE_MASK, DNS_R_NOTAUTH);
		xfr_tsig_ctx_set_min_mac(srv, 0);

		/* The reply to a truncated request is over the truncated MAC. */
		cr_assert_eq(xfr_tsig_server_verify(srv, t, tlen, now()), 0);
		cr_assert_eq(xfr_tsig_parse(t, tlen, &rr), 0);
		rlen = build_resp(r, 3, 0);
		cr_assert_eq(our_server_sign(srv, r, &rlen, now()), 0);
		cr_assert_eq(knot_check_response(r, rlen, rr.mac, min, &p.kk), KNOT_EOK);

		/* A truncated response MAC, then a next message over it. */
		cr_assert_eq(xfr_tsig_server_verify(srv, q, qlen, now()), 0);
		rlen = build_resp(r, 3, 0);
		cr_assert_eq(our_server_sign(srv, r, &rlen, now()), 0);
		tlen = with_mac_len(r, rlen, min, t);
		cr_assert_eq(xfr_tsig_verify(cli, t, tlen, now()), 0);
		cr_assert_eq(xfr_tsig_parse(t, tlen, &rr), 0);
		uint8_t r2[MSG_CAP], dig[XFR_TSIG_MAC_MAX];
		size_t r2len = build_resp(r2, 3, 1), dl = sizeof(dig);
		cr_assert_eq(knot_tsig_sign_next(r2, &r2len, MSG_CAP, rr.mac, min, dig, &dl, &p.kk,
						 r2, r2len),
			     KNOT_EOK);
		cr_assert_eq(xfr_tsig_verify(cli, r2, r2len, now()), 0);
		xfr_tsig_ctx_free(srv);
		xfr_tsig_ctx_free(cli);
		pair_deinit(&p);
	}
}

/* A signed request for the structural tests. */
static size_t signed_query(struct pair *p, uint8_t *q)
{
	struct xfr_tsig_ctx *cli = xfr_tsig_ctx_new(&p->key);
	size_t qlen = build_query(q, 0x5151);
	cr_assert_eq(our_sign(cli, q, &qlen, now()), 0);
	xfr_tsig_ctx_free(cli);
	return qlen;
}

static int verify_req(struct pair *p, const uint8_t *msg, size_t len)
{
	struct xfr_tsig_rr rr;
	struct xfr_tsig_ctx *srv = xfr_tsig_ctx_new(&p->key);
	int rc = xfr_tsig_server_verify(srv, msg, len, now());
	xfr_tsig_ctx_free(srv);
	int prc = xfr_tsig_parse(msg, len, &rr);
	if (prc < 0)
		cr_assert_eq(rc, prc, "parse %d but verify %d", prc, rc);
	return rc;
}

Test(tsig_fail, tsig_not_last)
{
	struct pair p;
	uint8_t q[MSG_CAP], m[MSG_CAP];
	pair_init(&p, XFR_TSIG_HMAC_SHA256, KEY_NAME, SECRET);
	size_t qlen = signed_query(&p, q);
	cr_assert_eq(verify_req(&p, q, qlen), 0);

	/* An A record after the TSIG. */
	struct dns_wr w;
	dns_wr_init(&w, m, sizeof(m));
	dns_wr_bytes(&w, q, qlen);
	dns_wr_bytes(&w, "\300\014\000\001\000\001\000\000\000\001\000\004\300\000\002\001", 16);
	dns_wr_u16_at(&w, 10, (uint16_t)(dns_get_u16(q + 10) + 1));
	cr_assert_eq(verify_req(&p, m, w.pos), DP_EMALF);

	/* Two TSIGs. */
	struct xfr_tsig_ctx *cli = xfr_tsig_ctx_new(&p.key);
	size_t mlen = qlen;
	memcpy(m, q, qlen);
	cr_assert_eq(our_sign(cli, m, &mlen, now()), 0);
	cr_assert_eq(verify_req(&p, m, mlen), DP_EMALF);
	xfr_tsig_ctx_free(cli);

	/* The TSIG counted in the answer section (or the authority). */
	memcpy(m, q, qlen);
	m[7] = 1;
	m[11] = 0;
	cr_assert_eq(verify_req(&p, m, qlen), DP_EMALF);
	m[7] = 0;
	m[9] = 1;
	cr_assert_eq(verify_req(&p, m, qlen), DP_EMALF);
	pair_deinit(&p);
}

Test(tsig_fail, arcount_wrong)
{
	struct pair p;
	uint8_t q[MSG_CAP];
	pair_init(&p, XFR_TSIG_HMAC_SHA256, KEY_NAME, SECRET);
	size_t qlen = signed_query(&p, q);
	q[11] = 0; /* the TSIG becomes trailing garbage */
	cr_assert_eq(verify_req(&p, q, qlen), DP_EMALF);
	q[11] = 2; /* one RR more than there is */
	cr_assert_eq(verify_req(&p, q, qlen), DP_EMALF);
	q[11] = 1;
	cr_assert_eq(verify_req(&p, q, qlen), 0);
	/* Unsigned, well-formed: no TSIG. */
	size_t plain = build_query(q, 1);
	cr_assert_eq(verify_req(&p, q, plain), XFR_TSIG_ENOSIG);
	pair_deinit(&p);
}

Test(tsig_fail, corrupted_lengths)
{
	struct pair p;
	uint8_t q[MSG_CAP], m[MSG_CAP];
	struct xfr_tsig_rr rr;
	pair_init(&p, XFR_TSIG_HMAC_SHA384, KEY_NAME, SECRET);
	size_t qlen = signed_query(&p, q);
	cr_assert_eq(xfr_tsig_parse(q, qlen, &rr), 0);
	cr_assert_eq(verify_req(&p, m, rebuild(q, &rr, m, 0, 0)), 0);
	int deltas[] = { -48, -1, 1, 2, 0xffff - 48 };
	for (size_t i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
		cr_assert_eq(verify_req(&p, m, rebuild(q, &rr, m, deltas[i], 0)), DP_EMALF,
			     "MAC size %+d", deltas[i]);
		cr_assert_eq(verify_req(&p, m, rebuild(q, &rr, m, 0, deltas[i])), DP_EMALF,
			     "rdlength %+d", deltas[i]);
	}
	/* Other fields that must hold. */
	struct xfr_tsig_rr bad = rr;
	bad.rclass = DNS_C_IN;
	cr_assert_eq(verify_req(&p, m, rebuild(q, &bad, m, 0, 0)), DP_EMALF);
	bad = rr;
	bad.fudge = 0; /* covered by the MAC */
	cr_assert_eq(verify_req(&p, m, rebuild(q, &bad, m, 0, 0)), XFR_TSIG_EBADSIG);
	bad = rr;
	bad.orig_id ^= 1;
	cr_assert_eq(verify_req(&p, m, rebuild(q, &bad, m, 0, 0)), XFR_TSIG_EBADSIG);
	bad = rr;
	bad.ttl = 1;
	cr_assert_eq(verify_req(&p, m, rebuild(q, &bad, m, 0, 0)), XFR_TSIG_EBADSIG);
	pair_deinit(&p);
}

Test(tsig_fail, every_truncation_and_byte_flip)
{
	for (int a = 0; a < NALG; a++) {
		struct pair p;
		uint8_t q[MSG_CAP];
		struct xfr_tsig_rr rr;
		pair_init(&p, a, KEY_NAME, SECRET);
		size_t qlen = signed_query(&p, q);
		cr_assert_eq(xfr_tsig_parse(q, qlen, &rr), 0);
		size_t names_end = rr.off + rr.key_name_len;
		size_t alg_at = names_end + 10, alg_end = alg_at + rr.alg_name_len;

		for (size_t n = 0; n < qlen; n++) {
			uint8_t *g = guard_new(q, n);
			cr_assert_neq(verify_req(&p, g, n), 0, "%s accepted %zu octets",
				      alg_text[a], n);
			guard_free(g, n);
		}
		static const uint8_t flips[] = { 0x01, 0x20, 0x80, 0xff };
		for (size_t i = 0; i < qlen; i++) {
			for (size_t f = 0; f < sizeof(flips); f++) {
				uint8_t *g = guard_new(q, qlen);
				g[i] ^= flips[f];
				int rc = verify_req(&p, g, qlen);
				/* The ID is replaced by the original ID; names compare
				 * case-insensitively. */
				bool letter = (q[i] | 0x20) >= 'a' && (q[i] | 0x20) <= 'z';
				bool in_names = (i > rr.off && i < names_end) ||
						(i > alg_at && i < alg_end);
				bool harmless = i < 2 || (flips[f] == 0x20 && letter && in_names);
				if (harmless)
					cr_assert_eq(rc, 0, "%s flip %zu^%02x", alg_text[a], i,
						     flips[f]);
				else
					cr_assert_neq(rc, 0, "%s accepted flip %zu^%02x",
						      alg_text[a], i, flips[f]);
				guard_free(g, qlen);
			}
		}
		pair_deinit(&p);
	}
}

Test(tsig_fail, original_id_and_name_case)
{
	struct pair p;
	uint8_t q[MSG_CAP], mac[XFR_TSIG_MAC_MAX];
	pair_init(&p, XFR_TSIG_HMAC_SHA1, KEY_NAME, SECRET);
	size_t qlen = build_query(q, 0x0102);
	knot_sign_request(q, &qlen, &p.kk, mac);
	q[0] = 0xab; /* a forwarder's new ID: the MAC is over the original */
	cr_assert_eq(verify_req(&p, q, qlen), 0);
	cr_assert_eq(knot_check_request(q, qlen, &p.kk), KNOT_EOK);

	struct xfr_tsig_rr rr;
	cr_assert_eq(xfr_tsig_parse(q, qlen, &rr), 0);
	cr_assert_eq(rr.orig_id, 0x0102);
	q[rr.off + 1] = 'X'; /* "Xfr-key": canonical form is lowercase */
	cr_assert_eq(verify_req(&p, q, qlen), 0);
	pair_deinit(&p);
}

/* ------------------------------------------------------------ peer errors */

Test(tsig_peer, error_responses_reported)
{
	for (int a = 0; a < NALG; a++) {
		struct pair p;
		uint8_t q[MSG_CAP], r[MSG_CAP], mac[XFR_TSIG_MAC_MAX], dig[XFR_TSIG_MAC_MAX];
		pair_init(&p, a, KEY_NAME, SECRET);
		struct xfr_tsig_ctx *cli = xfr_tsig_ctx_new(&p.key);
		uint64_t t = now();

		/* BADTIME: signed, with the server's clock in Other Data. */
		size_t qlen = build_query(q, 9);
		cr_assert_eq(our_sign(cli, q, &qlen, t - 1000), 0);
		size_t ml = knot_mac(q, qlen, mac), dl = sizeof(dig);
		size_t rlen = build_resp(r, 9, 0);
		cr_assert_eq(knot_tsig_sign(r, &rlen, MSG_CAP, mac, ml, dig, &dl, &p.kk,
					    KNOT_RCODE_BADTIME, t - 1000),
			     KNOT_EOK);
		cr_assert_eq(xfr_tsig_verify(cli, r, rlen, t), XFR_TSIG_EPEER);
		cr_assert_eq(xfr_tsig_ctx_peer_error(cli), XFR_TSIG_R_BADTIME);
		cr_assert_geq(xfr_tsig_ctx_peer_time(cli), t);
		cr_assert_leq(xfr_tsig_ctx_peer_time(cli), t + 5);
		cr_assert_eq(xfr_tsig_verify_end(cli), XFR_TSIG_EPEER);

		/* BADSIG and BADKEY: unsigned. */
		int errs[] = { KNOT_RCODE_BADSIG, KNOT_RCODE_BADKEY };
		for (int i = 0; i < 2; i++) {
			qlen = build_query(q, 9);
			cr_assert_eq(our_sign(cli, q, &qlen, t), 0);
			struct kmsg k;
			kparse(&k, q, qlen);
			rlen = build_resp(r, 9, 0);
			cr_assert_eq(
				knot_tsig_add(r, &rlen, MSG_CAP, (uint16_t)errs[i], k.pkt->tsig_rr),
				KNOT_EOK);
			kfree(&k);
			cr_assert_eq(xfr_tsig_verify(cli, r, rlen, t), XFR_TSIG_EPEER);
			cr_assert_eq(xfr_tsig_ctx_peer_error(cli), errs[i]);
			cr_assert_eq(xfr_tsig_ctx_peer_time(cli), 0);
		}
		xfr_tsig_ctx_free(cli);
		pair_deinit(&p);
	}
}

/* ---------------------------------------------------------- server replies */

Test(tsig_server, error_replies)
{
	for (int a = 0; a < NALG; a++) {
		struct pair p, other;
		uint8_t q[MSG_CAP], r[MSG_CAP], mac[XFR_TSIG_MAC_MAX];
		struct xfr_tsig_rr rr;
		pair_init(&p, a, KEY_NAME, SECRET);
		pair_init(&other, a, "unknown-key.", OTHER_SECRET);
		struct xfr_tsig_ctx *srv = xfr_tsig_ctx_new(&p.key);
		uint64_t t = now();

		/* BADKEY: unsigned, echoing the request's key. */
		size_t qlen = build_query(q, 9);
		knot_sign_request(q, &qlen, &other.kk, mac);
		cr_assert_eq(xfr_tsig_server_verify(srv, q, qlen, t), XFR_TSIG_EBADKEY);
		size_t rlen = build_resp(r, 9, 0);
		cr_assert_eq(our_server_sign(srv, r, &rlen, t), 0);
		struct kmsg k;
		kparse(&k, r, rlen);
		cr_assert_eq(knot_tsig_rdata_error(k.pkt->tsig_rr), KNOT_RCODE_BADKEY);
		cr_assert_eq(knot_tsig_rdata_mac_length(k.pkt->tsig_rr), 0);
		cr_assert(knot_dname_is_equal(k.pkt->tsig_rr->owner, other.kk.name));
		cr_assert_eq(knot_wire_get_rcode(k.wire), KNOT_RCODE_NOTAUTH);
		kfree(&k);
		cr_assert_eq(our_server_sign(srv, r, &rlen, t), DP_EINVAL); /* over */

		/* BADSIG: unsigned. */
		struct pair wrong;
		pair_init(&wrong, a, KEY_NAME, OTHER_SECRET);
		qlen = build_query(q, 9);
		knot_sign_request(q, &qlen, &wrong.kk, mac);
		cr_assert_eq(xfr_tsig_server_verify(srv, q, qlen, t), XFR_TSIG_EBADSIG);
		rlen = build_resp(r, 9, 0);
		cr_assert_eq(our_server_sign(srv, r, &rlen, t), 0);
		cr_assert_eq(xfr_tsig_parse(r, rlen, &rr), 0);
		cr_assert_eq(rr.error, XFR_TSIG_R_BADSIG);
		cr_assert_eq(rr.mac_len, 0);
		cr_assert_eq(dns_get_u16(r + 2) & DNS_RCODE_MASK, DNS_R_NOTAUTH);
		pair_deinit(&wrong);

		/* BADTIME: signed over the request MAC, with the client's time
		 * and ours in Other Data; libknot checks it at the real time. */
		qlen = build_query(q, 9);
		size_t ml = knot_sign_request(q, &qlen, &p.kk, mac);
		uint64_t tq = knot_time(q, qlen);
		cr_assert_eq(xfr_tsig_server_verify(srv, q, qlen, tq + 1000), XFR_TSIG_EBADTIME);
		rlen = build_resp(r, 9, 0);
		cr_assert_eq(our_server_sign(srv, r, &rlen, tq + 1000), 0);
		cr_assert_eq(knot_check_response(r, rlen, mac, ml, &p.kk), KNOT_EOK);
		kparse(&k, r, rlen);
		cr_assert_eq(knot_tsig_rdata_error(k.pkt->tsig_rr), KNOT_RCODE_BADTIME);
		cr_assert_eq(knot_tsig_rdata_time_signed(k.pkt->tsig_rr), tq);
		cr_assert_eq(knot_tsig_rdata_other_data_length(k.pkt->tsig_rr), 6);
		const uint8_t *o = knot_tsig_rdata_other_data(k.pkt->tsig_rr);
		cr_assert_eq((uint64_t)dns_get_u16(o) << 32 | dns_get_u32(o + 2), tq + 1000);
		cr_assert_eq(knot_wire_get_rcode(k.wire), KNOT_RCODE_NOTAUTH);
		kfree(&k);

		/* Unsigned or malformed requests: replies carry no TSIG. */
		qlen = build_query(q, 9);
		cr_assert_eq(xfr_tsig_server_verify(srv, q, qlen, t), XFR_TSIG_ENOSIG);
		rlen = build_resp(r, 9, 0);
		size_t plain = rlen;
		cr_assert_eq(our_server_sign(srv, r, &rlen, t), 0);
		cr_assert_eq(rlen, plain);
		cr_assert_eq(xfr_tsig_server_verify(srv, q, 5, t), DP_EMALF);
		cr_assert_eq(our_server_sign(srv, r, &rlen, t), 0);
		cr_assert_eq(rlen, plain);
		xfr_tsig_ctx_free(srv);

		/* Signing needs a verified request. */
		srv = xfr_tsig_ctx_new(&p.key);
		cr_assert_eq(our_server_sign(srv, r, &rlen, t), DP_EINVAL);
		cr_assert_eq(xfr_tsig_verify(srv, r, rlen, t), DP_EINVAL);
		xfr_tsig_ctx_free(srv);
		pair_deinit(&other);
		pair_deinit(&p);
	}
}

/* ------------------------------------------------------- parse and space */

Test(tsig_parse, fields)
{
	/* Owner compressed against the question; time above 2^32. */
	static const uint8_t msg[] =
		"\001\002\000\000\000\001\000\000\000\000\000\001"
		"\003key\007example\000\000\006\000\001"
		"\300\014\000\372\000\377\000\000\000\000\000\042"
		"\013hmac-sha256\000"
		"\001\002\003\004\005\006\001\054\000\002\252\273\043\105\000\022\000\003xyz";
	struct xfr_tsig_rr rr;
	size_t len = sizeof(msg) - 1;
	uint8_t *g = guard_new(msg, len);
	cr_assert_eq(xfr_tsig_parse(g, len, &rr), 0);
	cr_assert_eq(rr.off, 29);
	assert_lit(rr.key_name, rr.key_name_len, "\003key\007example\000");
	assert_lit(rr.alg_name, rr.alg_name_len, "\013hmac-sha256\000");
	cr_assert_eq(rr.rclass, DNS_C_ANY);
	cr_assert_eq(rr.ttl, 0);
	cr_assert_eq(rr.time_signed, 0x010203040506ull);
	cr_assert_eq(rr.fudge, 300);
	assert_lit(rr.mac, rr.mac_len, "\252\273");
	cr_assert_eq(rr.orig_id, 0x2345);
	cr_assert_eq(rr.error, XFR_TSIG_R_BADTIME);
	assert_lit(rr.other, rr.other_len, "xyz");
	guard_free(g, len);

	/* A compressed algorithm name is not allowed. */
	static const uint8_t cmp[] =
		"\001\002\000\000\000\001\000\000\000\000\000\001"
		"\013hmac-sha256\000\000\006\000\001"
		"\003key\000\000\372\000\377\000\000\000\000\000\022"
		"\300\014"
		"\001\002\003\004\005\006\001\054\000\000\043\105\000\000\000\000";
	cr_assert_eq(xfr_tsig_parse(cmp, sizeof(cmp) - 1, &rr), DP_EMALF);
	cr_assert_eq(xfr_tsig_parse(cmp, 0, &rr), DP_EMALF);
}

Test(tsig_sign, space_and_errors)
{
	struct pair p;
	uint8_t q[MSG_CAP];
	pair_init(&p, XFR_TSIG_HMAC_SHA512, KEY_NAME, SECRET);
	struct xfr_tsig_ctx *cli = xfr_tsig_ctx_new(&p.key);
	size_t qlen = build_query(q, 1);
	struct dns_wr w;

	/* Exactly the room a plain signature takes, then one octet less. */
	size_t need = xfr_tsig_space(&p.key) - 6;
	dns_wr_init(&w, q, qlen + need);
	w.pos = qlen;
	cr_assert_eq(xfr_tsig_sign(cli, &w, now()), 0);
	cr_assert_eq(w.pos, qlen + need);
	qlen = build_query(q, 1);
	dns_wr_init(&w, q, qlen + need - 1);
	w.pos = qlen;
	cr_assert_eq(xfr_tsig_sign(cli, &w, now()), DP_ESPACE);
	cr_assert_eq(w.pos, qlen);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(dns_get_u16(q + 10), 0); /* ARCOUNT untouched */
	cr_assert_eq(xfr_tsig_verify(cli, q, qlen, now()), DP_EINVAL);

	/* ARCOUNT full, short message, a cursor in error. */
	dns_wr_init(&w, q, MSG_CAP);
	w.pos = qlen;
	q[10] = q[11] = 0xff;
	cr_assert_eq(xfr_tsig_sign(cli, &w, now()), DP_EINVAL);
	w.pos = 11;
	cr_assert_eq(xfr_tsig_sign(cli, &w, now()), DP_EINVAL);
	w.pos = qlen;
	w.err = DP_ESPACE;
	cr_assert_eq(xfr_tsig_sign(cli, &w, now()), DP_EINVAL);
	xfr_tsig_ctx_free(cli);

	/* Clients need a key; a keyless ctx only answers BADKEY. */
	struct xfr_tsig_ctx *nokey = xfr_tsig_ctx_new(NULL);
	qlen = build_query(q, 1);
	dns_wr_init(&w, q, MSG_CAP);
	w.pos = qlen;
	cr_assert_eq(xfr_tsig_sign(nokey, &w, now()), DP_EINVAL);
	xfr_tsig_ctx_free(nokey);
	xfr_tsig_ctx_free(NULL);
	pair_deinit(&p);
}

/* ------------------------------------------------------------ real peers */

#define PEER_SECRET "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=" /* 32 octets */
#define PEER_TIMEOUT_MS 5000

static char peer_dir[64];
static pid_t peer_pid = -1;

static bool have_exe(const char *path)
{
	return access(path, X_OK) == 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(path);
}

static void peer_stop(void)
{
	if (peer_pid > 0) {
		kill(peer_pid, SIGTERM);
		waitpid(peer_pid, NULL, 0);
		peer_pid = -1;
	}
	if (peer_dir[0]) {
		nftw(peer_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		peer_dir[0] = '\0';
	}
}

/* A port on 127.0.0.1 that was free a moment ago. */
static uint16_t free_port(int type)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, type, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

static int tcp_connect(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	struct timeval tv = { .tv_sec = PEER_TIMEOUT_MS / 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool read_full(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* SOA records in the answer section of msg. */
static unsigned count_soa(const uint8_t *msg, size_t len)
{
	static uint8_t rd[DNS_RDATA_MAXLEN];
	struct dns_rd r;
	struct dns_hdr h;
	struct dns_question q;
	struct dns_rr rr;
	unsigned n = 0;
	dns_rd_init(&r, msg, len);
	cr_assert_eq(dns_hdr_parse(&r, &h), 0);
	for (unsigned i = 0; i < h.qdcount; i++)
		cr_assert_eq(dns_question_parse(&r, &q), 0);
	for (unsigned i = 0; i < h.ancount; i++) {
		cr_assert_eq(dns_rr_parse(&r, &rr, rd, sizeof(rd)), 0);
		n += rr.type == DNS_T_SOA;
	}
	return n;
}

struct axfr_result {
	int rc;	       /* first xfr_tsig_verify error, or xfr_tsig_verify_end */
	unsigned msgs; /* messages received */
	unsigned signed_msgs;
	unsigned rcode; /* of the first message */
	uint16_t peer_error;
	uint64_t peer_time;
};

/* AXFR of example.com over TCP from 127.0.0.1@port, the request signed at t. */
static bool axfr(uint16_t port, const struct xfr_tsig_key *key, uint64_t t, struct axfr_result *res)
{
	static uint8_t msg[65535];
	uint8_t q[MSG_CAP + 2];
	struct xfr_tsig_ctx *ctx = xfr_tsig_ctx_new(key);
	unsigned soa = 0;

	memset(res, 0, sizeof(*res));
	int fd = tcp_connect(port);
	if (fd < 0) {
		xfr_tsig_ctx_free(ctx);
		return false;
	}
	size_t qlen = build_query(q + 2, 0x3141);
	cr_assert_eq(our_sign(ctx, q + 2, &qlen, t), 0);
	q[0] = (uint8_t)(qlen >> 8);
	q[1] = (uint8_t)qlen;
	cr_assert_eq(write(fd, q, qlen + 2), (ssize_t)(qlen + 2));
	for (;;) {
		uint8_t lb[2];
		if (!read_full(fd, lb, 2))
			break;
		size_t len = dns_get_u16(lb);
		cr_assert(read_full(fd, msg, len), "short read from the peer");
		struct xfr_tsig_rr rr;
		if (res->msgs++ == 0)
			res->rcode = dns_get_u16(msg + 2) & DNS_RCODE_MASK;
		res->signed_msgs += xfr_tsig_parse(msg, len, &rr) == 0;
		int rc = xfr_tsig_verify(ctx, msg, len, (uint64_t)time(NULL));
		if (rc < 0) {
			res->rc = rc;
			break;
		}
		soa += count_soa(msg, len);
		if (soa >= 2 || res->rcode != DNS_R_NOERROR)
			break;
	}
	if (res->rc == 0)
		res->rc = xfr_tsig_verify_end(ctx);
	res->peer_error = xfr_tsig_ctx_peer_error(ctx);
	res->peer_time = xfr_tsig_ctx_peer_time(ctx);
	close(fd);
	xfr_tsig_ctx_free(ctx);
	return true;
}

static void knotd_start(uint16_t port, unsigned nrecords)
{
	char path[128], *text;
	size_t cap = 64 + (size_t)nrecords * 96, o = 0;

	strcpy(peer_dir, "/tmp/dpdns-tsig-XXXXXX");
	cr_assert(mkdtemp(peer_dir));
	text = malloc(cap);
	cr_assert(text);
	o += (size_t)snprintf(
		text + o, cap - o,
		"$ORIGIN example.com.\n$TTL 3600\n"
		"@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\nns A 198.18.0.1\n");
	for (unsigned i = 0; i < nrecords; i++)
		o += (size_t)snprintf(
			text + o, cap - o,
			"t%u TXT \"record %u of a zone big enough for many messages\"\n", i, i);
	snprintf(path, sizeof(path), "%s/example.com.zone", peer_dir);
	write_file(path, text);
	snprintf(text, cap,
		 "server:\n  rundir: \"%s\"\n  listen: 127.0.0.1@%u\n"
		 "  tcp-workers: 1\n  udp-workers: 1\n  background-workers: 1\n"
		 "database:\n  storage: \"%s\"\n"
		 "key:\n  - id: xfr-key\n    algorithm: hmac-sha256\n    secret: %s\n"
		 "acl:\n  - id: xfr\n    key: xfr-key\n    action: transfer\n"
		 "template:\n  - id: default\n    storage: \"%s\"\n    zonefile-sync: -1\n"
		 "    journal-content: none\n"
		 "zone:\n  - domain: example.com\n    file: example.com.zone\n    acl: xfr\n"
		 "log:\n  - target: stderr\n    any: warning\n",
		 peer_dir, port, peer_dir, PEER_SECRET, peer_dir);
	snprintf(path, sizeof(path), "%s/knot.conf", peer_dir);
	write_file(path, text);
	free(text);

	peer_pid = fork();
	cr_assert_geq(peer_pid, 0);
	if (peer_pid == 0) {
		char sock[128], log[128];
		snprintf(sock, sizeof(sock), "%s/knot.sock", peer_dir);
		snprintf(log, sizeof(log), "%s/knotd.log", peer_dir);
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("/usr/sbin/knotd", "knotd", "-c", path, "-s", sock, (char *)NULL);
		_exit(127);
	}
}

/* knotd (Knot DNS) as primary: a signed AXFR spanning several messages, and
 * its answers to a wrong secret, an unknown key and a skewed clock. */
Test(tsig_peer, knotd_axfr, .fini = peer_stop, .timeout = 60)
{
	if (!have_exe("/usr/sbin/knotd"))
		cr_skip_test("knotd not installed");
	struct xfr_tsig_key key, wrong, unknown;
	struct axfr_result res;
	uint16_t port = free_port(SOCK_STREAM);
	cr_assert_eq(xfr_tsig_key_init(&key, "xfr-key", "hmac-sha256", PEER_SECRET), 0);
	cr_assert_eq(xfr_tsig_key_init(&wrong, "xfr-key", "hmac-sha256", SECRET), 0);
	cr_assert_eq(xfr_tsig_key_init(&unknown, "nokey", "hmac-sha256", PEER_SECRET), 0);
	knotd_start(port, 4000);

	/* Until the zone is loaded knotd may refuse; give it a few seconds. */
	bool ok = false;
	for (int i = 0; i < PEER_TIMEOUT_MS / 100 && !ok; i++) {
		ok = axfr(port, &key, now(), &res) && res.rcode == DNS_R_NOERROR && res.rc == 0;
		if (!ok)
			usleep(100 * 1000);
	}
	if (!ok && res.msgs == 0)
		cr_skip_test("knotd did not come up in time");
	cr_assert(ok, "AXFR failed: rcode %u, %s", res.rcode, xfr_tsig_strerror(res.rc));
	cr_assert_gt(res.msgs, 2, "the zone fits in %u messages", res.msgs);
	cr_assert_gt(res.signed_msgs, 0);
	cr_log_info("knotd AXFR: %u messages, %u signed", res.msgs, res.signed_msgs);

	cr_assert(axfr(port, &wrong, now(), &res));
	cr_assert_eq(res.rc, XFR_TSIG_EPEER, "%s", xfr_tsig_strerror(res.rc));
	cr_assert_eq(res.peer_error, XFR_TSIG_R_BADSIG);
	cr_assert_eq(res.rcode, DNS_R_NOTAUTH);

	cr_assert(axfr(port, &unknown, now(), &res));
	cr_assert_eq(res.rc, XFR_TSIG_EPEER, "%s", xfr_tsig_strerror(res.rc));
	cr_assert_eq(res.peer_error, XFR_TSIG_R_BADKEY);

	uint64_t t = now();
	cr_assert(axfr(port, &key, t - 1000, &res));
	cr_assert_eq(res.rc, XFR_TSIG_EPEER, "%s", xfr_tsig_strerror(res.rc));
	cr_assert_eq(res.peer_error, XFR_TSIG_R_BADTIME);
	cr_assert_geq(res.peer_time, t);
	cr_assert_leq(res.peer_time, t + 10);

	xfr_tsig_key_deinit(&unknown);
	xfr_tsig_key_deinit(&wrong);
	xfr_tsig_key_deinit(&key);
}

/*
 * BIND's dig signs a NOTIFY; we verify it as a server and answer, and dig
 * checks our signed reply (or reports our BADSIG).  Returns dig's output.
 */
static char *dig_notify(const char *secret, int expect_verify)
{
	static char out[16384];
	char keyarg[160], portarg[16];
	int pfd[2];
	uint16_t port = free_port(SOCK_DGRAM);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(keyarg, sizeof(keyarg), "hmac-sha256:xfr-key:%s", secret);
	snprintf(portarg, sizeof(portarg), "%u", port);
	cr_assert_eq(pipe(pfd), 0);
	peer_pid = fork();
	cr_assert_geq(peer_pid, 0);
	if (peer_pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execl("/usr/bin/dig", "dig", "-y", keyarg, "@127.0.0.1", "-p", portarg,
		      "+opcode=notify", "+norec", "+tries=1", "+time=5", "example.com", "SOA",
		      (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);

	struct xfr_tsig_key key;
	cr_assert_eq(xfr_tsig_key_init(&key, "xfr-key", "hmac-sha256", PEER_SECRET), 0);
	struct xfr_tsig_ctx *srv = xfr_tsig_ctx_new(&key);
	struct pollfd pl = { .fd = fd, .events = POLLIN };
	cr_assert_eq(poll(&pl, 1, PEER_TIMEOUT_MS), 1, "no NOTIFY from dig");
	uint8_t q[MSG_CAP], r[MSG_CAP];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t qlen = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
	cr_assert_gt(qlen, 0);
	cr_assert_eq(xfr_tsig_server_verify(srv, q, (size_t)qlen, now()), expect_verify);

	/* The reply: the query's header and question, QR and AA set. */
	struct dns_rd rd;
	struct dns_hdr h;
	struct dns_question qq;
	struct dns_wr w;
	dns_rd_init(&rd, q, (size_t)qlen);
	cr_assert_eq(dns_hdr_parse(&rd, &h), 0);
	cr_assert_eq(dns_hdr_opcode(&h), DNS_OP_NOTIFY);
	cr_assert_eq(dns_question_parse(&rd, &qq), 0);
	h.flags |= DNS_F_QR | DNS_F_AA;
	h.qdcount = 1;
	h.ancount = h.nscount = h.arcount = 0;
	dns_wr_init(&w, r, sizeof(r));
	dns_hdr_write(&w, &h);
	dns_question_write(&w, &qq, NULL);
	cr_assert_eq(xfr_tsig_server_sign(srv, &w, now()), 0);
	cr_assert_eq(sendto(fd, r, w.pos, 0, (struct sockaddr *)&from, fl), (ssize_t)w.pos);

	size_t o = 0;
	ssize_t n;
	while (o < sizeof(out) - 1 && (n = read(pfd[0], out + o, sizeof(out) - 1 - o)) > 0)
		o += (size_t)n;
	out[o] = '\0';
	close(pfd[0]);
	waitpid(peer_pid, NULL, 0);
	peer_pid = -1;
	close(fd);
	xfr_tsig_ctx_free(srv);
	xfr_tsig_key_deinit(&key);
	return out;
}

Test(tsig_peer, dig_notify, .fini = peer_stop, .timeout = 30)
{
	if (!have_exe("/usr/bin/dig"))
		cr_skip_test("dig not installed");
	const char *out = dig_notify(PEER_SECRET, 0);
	cr_assert(strstr(out, "status: NOERROR"), "dig says:\n%s", out);
	cr_assert(strstr(out, "opcode: NOTIFY"), "dig says:\n%s", out);
	cr_assert_null(strstr(out, "verify"), "dig says:\n%s", out);
	cr_assert_null(strstr(out, "could not be validated"), "dig says:\n%s", out);
	cr_assert(strstr(out, "xfr-key.") && strstr(out, "TSIG"), "dig says:\n%s", out);

	out = dig_notify(SECRET, XFR_TSIG_EBADSIG);
	cr_assert(strstr(out, "BADSIG"), "dig says:\n%s", out);
}
