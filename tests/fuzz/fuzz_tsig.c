/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TSIG parse, verify and sign (src/xfr/tsig.h) with one fixed key
 * (fuzz-key., hmac-sha256).  The first input octet (mod 4) says what the rest
 * is:
 *   0  a request, verified as a server does it, at the request's own time
 *      signed (so that the clock is no obstacle), then answered;
 *   1  a response stream: messages each preceded by a 2-octet length (as on
 *      TCP), verified in order as the reply to a fixed request signed at T0;
 *   2  a message that is signed as a request, verified back, answered and the
 *      answer verified; then the request is verified once more with one octet
 *      changed: octets 1-2 say where (modulo its length), octet 3 how (XOR);
 *   3  the same, the octet changed in the answer.
 * Invariants: nothing crashes or reads out of bounds; results are the codes
 * the header documents; every message accepted as signed carries a MAC equal
 * to HMAC-SHA256 under the key over the digest RFC 8945 §4.3 and §5.3.1
 * define, assembled here from the raw octets and computed with EVP_Q_mac
 * (independently of the code under test); what we sign verifies; a changed
 * octet is rejected unless it is in the header ID (replaced by the original
 * ID) or flips the case of a letter of the TSIG's names (compared
 * case-insensitively).
 *
 * The seeds in corpus/tsig/ come from this file built with
 * -DFUZZ_TSIG_MAKE_SEEDS (a main() that writes them), plus req-dig, a NOTIFY
 * signed by BIND's dig -y hmac-sha256:fuzz-key:<FUZZ_SECRET_B64>:
 *   cc -DFUZZ_TSIG_MAKE_SEEDS -Isrc tests/fuzz/fuzz_tsig.c src/xfr/tsig.c \
 *      src/dns/{errcode,name,rrtype,msg,edns,serial}.c -lcrypto -o mkseeds
 *   ./mkseeds tests/fuzz/corpus/tsig
 */
#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "dns/msg.h"
#include "dns/rrtype.h"
#include "xfr/tsig.h"

#include "fuzz.h"

#define FUZZ_SECRET_B64 "ZnV6ei1rZXktc2VjcmV0LWZvci10c2lnLWZ1enppbmc="
#define T0 1700000000u

static const uint8_t key_wire[] = "\010fuzz-key";    /* + root: 10 octets */
static const uint8_t alg_wire[] = "\013hmac-sha256"; /* + root: 13 octets */

static struct xfr_tsig_key key;
static struct xfr_tsig_ctx *cli, *srv;

static void setup(void)
{
	if (cli)
		return;
	FUZZ_CHECK(xfr_tsig_key_init(&key, "Fuzz-Key", "hmac-sha256", FUZZ_SECRET_B64) == 0);
	cli = xfr_tsig_ctx_new(&key);
	srv = xfr_tsig_ctx_new(&key);
	FUZZ_CHECK(cli && srv);
}

/* ------------------------------------------------------------- the oracle */

/* The digest input, assembled from raw octets. */
static uint8_t dig[3 * 65536 + 4096];
static size_t dig_len;

static void d_add(const void *p, size_t n)
{
	FUZZ_CHECK(dig_len + n <= sizeof(dig));
	if (n)
		memcpy(dig + dig_len, p, n);
	dig_len += n;
}

static void d_u16(uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	d_add(b, 2);
}

static void d_u48(uint64_t v)
{
	d_u16((uint16_t)(v >> 32));
	d_u16((uint16_t)(v >> 16));
	d_u16((uint16_t)v);
}

/* A wire name in canonical form; length octets (< 64) are never letters. */
static void d_lower(const uint8_t *name, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = name[i];
		d_add((const uint8_t[]){ c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c }, 1);
	}
}

/* msg up to its TSIG, with the original ID and ARCOUNT less one. */
static void d_signed_msg(const uint8_t *msg, const struct xfr_tsig_rr *rr)
{
	uint8_t hdr[DNS_HDR_LEN];
	FUZZ_CHECK(rr->off >= DNS_HDR_LEN);
	memcpy(hdr, msg, sizeof(hdr));
	uint16_t ar = (uint16_t)(dns_get_u16(hdr + 10) - 1);
	hdr[0] = (uint8_t)(rr->orig_id >> 8);
	hdr[1] = (uint8_t)rr->orig_id;
	hdr[10] = (uint8_t)(ar >> 8);
	hdr[11] = (uint8_t)ar;
	d_add(hdr, sizeof(hdr));
	d_add(msg + DNS_HDR_LEN, rr->off - DNS_HDR_LEN);
}

static void d_vars(const struct xfr_tsig_rr *rr, bool timers_only)
{
	if (!timers_only) {
		d_lower(rr->key_name, rr->key_name_len);
		d_u16(rr->rclass);
		d_u16((uint16_t)(rr->ttl >> 16));
		d_u16((uint16_t)rr->ttl);
		d_lower(rr->alg_name, rr->alg_name_len);
	}
	d_u48(rr->time_signed);
	d_u16(rr->fudge);
	if (!timers_only) {
		d_u16(rr->error);
		d_u16(rr->other_len);
		d_add(rr->other, rr->other_len);
	}
}

static size_t oracle_mac(uint8_t *out)
{
	size_t n = 0;
	FUZZ_CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key.secret, key.secret_len, dig,
			     dig_len, out, XFR_TSIG_MAC_MAX, &n) != NULL);
	FUZZ_CHECK(n == 32);
	return n;
}

static bool names_are_ours(const struct xfr_tsig_rr *rr)
{
	return rr->key_name_len == sizeof(key_wire) && rr->alg_name_len == sizeof(alg_wire) &&
	       fuzz_fold_eq(rr->key_name, key_wire, sizeof(key_wire)) &&
	       fuzz_fold_eq(rr->alg_name, alg_wire, sizeof(alg_wire));
}

/* The message whose digest input is in dig carries a MAC made with the key. */
static void check_genuine(const struct xfr_tsig_rr *rr)
{
	uint8_t mac[XFR_TSIG_MAC_MAX];
	oracle_mac(mac);
	FUZZ_CHECK(names_are_ours(rr));
	FUZZ_CHECK(rr->mac_len >= 16 && rr->mac_len <= 32);
	FUZZ_CHECK(CRYPTO_memcmp(mac, rr->mac, rr->mac_len) == 0);
}

/* ------------------------------------------------------------ the modes */

static bool is_verify_code(int rc)
{
	return rc == 0 || rc == DP_EMALF || rc == XFR_TSIG_EBADSIG || rc == XFR_TSIG_EBADKEY ||
	       rc == XFR_TSIG_EBADTIME || rc == XFR_TSIG_EBADTRUNC || rc == XFR_TSIG_ENOSIG ||
	       rc == XFR_TSIG_EPEER;
}

static uint8_t out[65536 + XFR_TSIG_SPACE_MAX];

static void run_request(const uint8_t *msg, size_t len)
{
	struct xfr_tsig_rr rr, rr2;
	int prc = xfr_tsig_parse(msg, len, &rr);
	FUZZ_CHECK(prc == 0 || prc == XFR_TSIG_ENOSIG || prc == DP_EMALF);
	int rc = xfr_tsig_server_verify(srv, msg, len, prc == 0 ? rr.time_signed : T0);
	if (prc < 0) {
		FUZZ_CHECK(rc == prc);
		return;
	}
	/* At its own time, with no truncation policy: never BADTIME, BADTRUNC. */
	FUZZ_CHECK(rc == 0 || rc == DP_EMALF || rc == XFR_TSIG_EBADSIG || rc == XFR_TSIG_EBADKEY);
	if (rc == 0) {
		dig_len = 0;
		d_signed_msg(msg, &rr);
		d_vars(&rr, false);
		check_genuine(&rr);
	}

	/* Answer with the request less its TSIG. */
	struct dns_wr w;
	dns_wr_init(&w, out, sizeof(out));
	dns_wr_bytes(&w, msg, rr.off);
	dns_wr_u16_at(&w, 10, (uint16_t)(dns_get_u16(msg + 10) - 1));
	FUZZ_CHECK(w.err == 0);
	size_t body = w.pos;
	int src = xfr_tsig_server_sign(srv, &w, T0);
	FUZZ_CHECK(src == 0);
	if (rc == DP_EMALF) {
		FUZZ_CHECK(w.pos == body); /* FORMERR: no TSIG */
		return;
	}
	FUZZ_CHECK(xfr_tsig_parse(out, w.pos, &rr2) == 0);
	if (rc == 0) {
		FUZZ_CHECK(rr2.error == 0);
		dig_len = 0;
		d_u16(rr.mac_len);
		d_add(rr.mac, rr.mac_len);
		d_signed_msg(out, &rr2);
		d_vars(&rr2, false);
		check_genuine(&rr2);
	} else {
		FUZZ_CHECK(rr2.mac_len == 0);
		FUZZ_CHECK(rr2.error ==
			   (rc == XFR_TSIG_EBADKEY ? XFR_TSIG_R_BADKEY : XFR_TSIG_R_BADSIG));
	}
}

/* The fixed request of mode 1: an AXFR of example.com signed at T0. */
static size_t fixed_request(uint8_t *buf, size_t cap)
{
	static const uint8_t q[] = "\022\064\000\000\000\001\000\000\000\000\000\000"
				   "\007example\003com\000\000\374\000\001";
	struct dns_wr w;
	dns_wr_init(&w, buf, cap);
	dns_wr_bytes(&w, q, sizeof(q) - 1);
	FUZZ_CHECK(xfr_tsig_sign(cli, &w, T0) == 0);
	return w.pos;
}

static uint8_t pending[65536];

static void run_stream(const uint8_t *data, size_t size)
{
	uint8_t q[512], prev[XFR_TSIG_MAC_MAX];
	struct xfr_tsig_rr rr;
	size_t qlen = fixed_request(q, sizeof(q)), prev_len, pending_len = 0;
	unsigned nunsigned = 0;
	bool first = true, last_signed = false;
	struct dns_rd r;

	FUZZ_CHECK(xfr_tsig_parse(q, qlen, &rr) == 0);
	prev_len = rr.mac_len;
	memcpy(prev, rr.mac, prev_len);
	dns_rd_init(&r, data, size);
	while (dns_rd_left(&r) >= 2) {
		uint16_t n = dns_rd_u16(&r);
		const uint8_t *m = dns_rd_ptr(&r, n);
		if (!m)
			break;
		int prc = xfr_tsig_parse(m, n, &rr);
		int rc = xfr_tsig_verify(cli, m, n, prc == 0 ? rr.time_signed : T0);
		FUZZ_CHECK(is_verify_code(rc));
		if (rc < 0) {
			FUZZ_CHECK(xfr_tsig_verify(cli, m, n, T0) == rc); /* final */
			break;
		}
		if (prc == XFR_TSIG_ENOSIG) {
			FUZZ_CHECK(!first && nunsigned < XFR_TSIG_MAX_UNSIGNED);
			memcpy(pending + pending_len, m, n); /* total input < 64 KiB */
			pending_len += n;
			nunsigned++;
			last_signed = false;
			continue;
		}
		FUZZ_CHECK(prc == 0);
		dig_len = 0;
		d_u16((uint16_t)prev_len);
		d_add(prev, prev_len);
		d_add(pending, pending_len);
		d_signed_msg(m, &rr);
		d_vars(&rr, !first);
		check_genuine(&rr);
		prev_len = rr.mac_len;
		memcpy(prev, rr.mac, prev_len);
		pending_len = 0;
		nunsigned = 0;
		first = false;
		last_signed = true;
	}
	if (xfr_tsig_verify_end(cli) == 0)
		FUZZ_CHECK(last_signed);
}

static uint8_t req[65536 + XFR_TSIG_SPACE_MAX], rsp[65536 + XFR_TSIG_SPACE_MAX];

/* A change (XOR x) of octet i, which held c, of a message whose TSIG starts at
 * tsig_off, that may still verify. */
static bool harmless(uint8_t c, size_t i, size_t tsig_off, uint8_t x)
{
	size_t key_at = tsig_off, alg_at = tsig_off + sizeof(key_wire) + 10;
	bool letter = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
	bool in_names = (i > key_at && i < key_at + sizeof(key_wire)) ||
			(i > alg_at && i < alg_at + sizeof(alg_wire));
	return i < 2 || (x == 0x20 && letter && in_names);
}

static void run_roundtrip(const uint8_t *data, size_t size, bool change_response)
{
	struct xfr_tsig_rr rr;
	struct dns_wr w;

	if (size < 3)
		return;
	size_t where = (size_t)data[0] << 8 | data[1];
	uint8_t x = data[2] ? data[2] : 1;
	const uint8_t *m = data + 3;
	size_t n = size - 3;
	if (xfr_tsig_parse(m, n, &rr) != XFR_TSIG_ENOSIG)
		return; /* already signed, or malformed: nothing to sign */

	dns_wr_init(&w, req, sizeof(req));
	dns_wr_bytes(&w, m, n);
	int rc = xfr_tsig_sign(cli, &w, T0);
	if (dns_get_u16(m + 10) == UINT16_MAX) {
		FUZZ_CHECK(rc == DP_EINVAL);
		return;
	}
	FUZZ_CHECK(rc == 0);
	size_t qlen = w.pos;
	/* A name compressed against the header's ARCOUNT octets changes with
	 * it: then the message signed is not the message sent. */
	if (xfr_tsig_parse(req, qlen, &rr) != 0 || rr.off != n)
		return;
	FUZZ_CHECK(xfr_tsig_server_verify(srv, req, qlen, T0) == 0);

	/* Two reply messages (the same body), both verified. */
	size_t rlen = 0;
	for (int i = 0; i < 2; i++) {
		dns_wr_init(&w, rsp, sizeof(rsp));
		dns_wr_bytes(&w, m, n);
		FUZZ_CHECK(xfr_tsig_server_sign(srv, &w, T0 + (uint64_t)i) == 0);
		rlen = w.pos;
		FUZZ_CHECK(xfr_tsig_verify(cli, rsp, rlen, T0 + (uint64_t)i) == 0);
	}
	FUZZ_CHECK(xfr_tsig_verify_end(cli) == 0);

	/* One octet changed, in the request or in a fresh first reply (the same
	 * request at T0 gives the same MAC, so the same reply). */
	size_t i;
	uint8_t orig;
	if (change_response) {
		dns_wr_init(&w, req, sizeof(req));
		dns_wr_bytes(&w, m, n);
		FUZZ_CHECK(xfr_tsig_sign(cli, &w, T0) == 0 && w.pos == qlen);
		FUZZ_CHECK(xfr_tsig_server_verify(srv, req, qlen, T0) == 0);
		dns_wr_init(&w, rsp, sizeof(rsp));
		dns_wr_bytes(&w, m, n);
		FUZZ_CHECK(xfr_tsig_server_sign(srv, &w, T0) == 0);
		rlen = w.pos;
		i = where % rlen;
		orig = rsp[i];
		rsp[i] ^= x;
		rc = xfr_tsig_verify(cli, rsp, rlen, T0);
	} else {
		i = where % qlen;
		orig = req[i];
		req[i] ^= x;
		rc = xfr_tsig_server_verify(srv, req, qlen, T0);
	}
	FUZZ_CHECK(is_verify_code(rc));
	if (rc == 0)
		FUZZ_CHECK(harmless(orig, i, n, x));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	setup();
	switch (data[0] & 3) {
	case 0: run_request(data + 1, size - 1); break;
	case 1: run_stream(data + 1, size - 1); break;
	case 2: run_roundtrip(data + 1, size - 1, false); break;
	case 3: run_roundtrip(data + 1, size - 1, true); break;
	}
	return 0;
}

#ifdef FUZZ_TSIG_MAKE_SEEDS
/* ------------------------------------------------------------- seed maker */
#include <stdio.h>

static const char *seed_dir;

static void put_seed(const char *name, uint8_t mode, const uint8_t *a, size_t alen)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", seed_dir, name);
	FILE *f = fopen(path, "wb");
	FUZZ_CHECK(f != NULL);
	FUZZ_CHECK(fwrite(&mode, 1, 1, f) == 1 && fwrite(a, 1, alen, f) == alen);
	fclose(f);
}

/* Appends a TSIG RR with the given fields and MAC; ARCOUNT + 1. */
static void append_tsig(struct dns_wr *w, const uint8_t *owner, size_t owner_len, uint64_t time,
			const uint8_t *mac, size_t mac_len, uint16_t error)
{
	uint16_t id = dns_get_u16(w->buf), ar = dns_get_u16(w->buf + 10);
	dns_wr_bytes(w, owner, owner_len);
	dns_wr_u16(w, DNS_T_TSIG);
	dns_wr_u16(w, DNS_C_ANY);
	dns_wr_u32(w, 0);
	size_t at = w->pos;
	dns_wr_u16(w, 0);
	dns_wr_bytes(w, alg_wire, sizeof(alg_wire));
	dns_wr_u16(w, (uint16_t)(time >> 32));
	dns_wr_u32(w, (uint32_t)time);
	dns_wr_u16(w, XFR_TSIG_FUDGE);
	dns_wr_u16(w, (uint16_t)mac_len);
	dns_wr_bytes(w, mac, mac_len);
	dns_wr_u16(w, id);
	dns_wr_u16(w, error);
	dns_wr_u16(w, 0);
	dns_wr_u16_at(w, at, (uint16_t)(w->pos - at - 2));
	dns_wr_u16_at(w, 10, (uint16_t)(ar + 1));
	FUZZ_CHECK(w->err == 0);
}

/* A response with nans A records (contents vary with seed). */
static size_t response(uint8_t *buf, size_t cap, unsigned nans, unsigned seed)
{
	struct dns_wr w;
	struct dns_compr c;
	struct dns_hdr h = {
		.id = 0x1234, .flags = DNS_F_QR | DNS_F_AA, .qdcount = 1, .ancount = (uint16_t)nans
	};
	struct dns_question q = { .qtype = DNS_T_AXFR, .qclass = DNS_C_IN };
	dns_wr_init(&w, buf, cap);
	dns_compr_init(&c);
	dns_hdr_write(&w, &h);
	q.name_len = (uint16_t)dns_name_from_text("example.com.", NULL, q.name);
	dns_question_write(&w, &q, &c);
	for (unsigned i = 0; i < nans; i++) {
		struct dns_rr rr = { .type = DNS_T_A, .rclass = DNS_C_IN, .ttl = 3600, .rdlen = 4 };
		char owner[64];
		uint8_t a[4] = { 198, 18, (uint8_t)seed, (uint8_t)i };
		snprintf(owner, sizeof(owner), "h%u.example.com.", i);
		rr.owner_len = (uint16_t)dns_name_from_text(owner, NULL, rr.owner);
		rr.rdata = a;
		dns_rr_write(&w, &rr, &c);
	}
	FUZZ_CHECK(w.err == 0);
	return w.pos;
}

/* Appends [u16 len][msg] to a stream. */
static void stream_add(struct dns_wr *s, const uint8_t *msg, size_t len)
{
	dns_wr_u16(s, (uint16_t)len);
	dns_wr_bytes(s, msg, len);
	FUZZ_CHECK(s->err == 0);
}

int main(int argc, char **argv)
{
	static uint8_t a[65536], b[4096], s[65536];
	struct dns_wr w, st;
	struct xfr_tsig_rr rr;
	size_t len;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 1;
	}
	seed_dir = argv[1];
	setup();

	/* Mode 0: our request; a NOTIFY with a MAC truncated to 16; another key. */
	len = fixed_request(a, sizeof(a));
	put_seed("req-axfr", 0, a, len);
	FUZZ_CHECK(xfr_tsig_parse(a, len, &rr) == 0);
	dns_wr_init(&w, b, sizeof(b));
	dns_wr_bytes(&w, a, rr.off);
	b[2] = DNS_OP_NOTIFY << 3;
	b[11]--;
	dig_len = 0;
	d_add(b, w.pos);
	d_lower(key_wire, sizeof(key_wire));
	d_u16(DNS_C_ANY);
	d_u16(0); /* TTL */
	d_u16(0);
	d_lower(alg_wire, sizeof(alg_wire));
	d_u48(T0);
	d_u16(XFR_TSIG_FUDGE);
	d_u16(0); /* error */
	d_u16(0); /* other length */
	uint8_t mac[XFR_TSIG_MAC_MAX];
	oracle_mac(mac);
	append_tsig(&w, key_wire, sizeof(key_wire), T0, mac, 16, 0);
	put_seed("req-notify-trunc16", 0, b, w.pos);
	struct xfr_tsig_key other;
	FUZZ_CHECK(xfr_tsig_key_init(&other, "other-key", "hmac-sha256", FUZZ_SECRET_B64) == 0);
	struct xfr_tsig_ctx *oc = xfr_tsig_ctx_new(&other);
	dns_wr_init(&w, b, sizeof(b));
	dns_wr_bytes(&w, a, rr.off);
	b[11]--;
	FUZZ_CHECK(xfr_tsig_sign(oc, &w, T0) == 0);
	put_seed("req-badkey", 0, b, w.pos);
	xfr_tsig_ctx_free(oc);
	xfr_tsig_key_deinit(&other);

	/* Mode 1: three signed messages; signed, two unsigned, signed; BADTIME. */
	len = fixed_request(a, sizeof(a));
	FUZZ_CHECK(xfr_tsig_server_verify(srv, a, len, T0) == 0);
	dns_wr_init(&st, s, sizeof(s));
	for (unsigned i = 0; i < 3; i++) {
		dns_wr_init(&w, b, sizeof(b));
		w.pos = response(b, sizeof(b), 2 + i, i);
		FUZZ_CHECK(xfr_tsig_server_sign(srv, &w, T0 + i) == 0);
		stream_add(&st, b, w.pos);
	}
	put_seed("stream-signed", 1, s, st.pos);

	len = fixed_request(a, sizeof(a));
	FUZZ_CHECK(xfr_tsig_server_verify(srv, a, len, T0) == 0);
	dns_wr_init(&st, s, sizeof(s));
	dns_wr_init(&w, b, sizeof(b));
	w.pos = response(b, sizeof(b), 3, 0);
	FUZZ_CHECK(xfr_tsig_server_sign(srv, &w, T0) == 0);
	stream_add(&st, b, w.pos);
	FUZZ_CHECK(xfr_tsig_parse(b, w.pos, &rr) == 0);
	dig_len = 0;
	d_u16(rr.mac_len);
	d_add(rr.mac, rr.mac_len);
	for (unsigned i = 1; i < 3; i++) {
		len = response(b, sizeof(b), 3, i);
		stream_add(&st, b, len);
		d_add(b, len);
	}
	dns_wr_init(&w, b, sizeof(b));
	w.pos = response(b, sizeof(b), 1, 3);
	d_add(b, w.pos);
	d_u48(T0);
	d_u16(XFR_TSIG_FUDGE);
	oracle_mac(mac);
	append_tsig(&w, key_wire, sizeof(key_wire), T0, mac, 32, 0);
	stream_add(&st, b, w.pos);
	put_seed("stream-unsigned", 1, s, st.pos);

	len = fixed_request(a, sizeof(a));
	FUZZ_CHECK(xfr_tsig_server_verify(srv, a, len, T0 + 1000) == XFR_TSIG_EBADTIME);
	dns_wr_init(&w, b, sizeof(b));
	w.pos = response(b, sizeof(b), 0, 0);
	FUZZ_CHECK(xfr_tsig_server_sign(srv, &w, T0 + 1000) == 0);
	dns_wr_init(&st, s, sizeof(s));
	stream_add(&st, b, w.pos);
	put_seed("stream-badtime", 1, s, st.pos);

	/* Modes 2 and 3: a query (change in the key name's case), a response
	 * (change in the MAC). */
	len = fixed_request(a, sizeof(a));
	FUZZ_CHECK(xfr_tsig_parse(a, len, &rr) == 0);
	b[0] = 0;
	b[1] = (uint8_t)(rr.off + 2);
	b[2] = 0x20;
	memcpy(b + 3, a, rr.off);
	b[3 + 11]--;
	put_seed("roundtrip-query", 2, b, 3 + rr.off);
	len = response(b + 3, sizeof(b) - 3, 4, 9);
	b[0] = (uint8_t)((len + 40) >> 8);
	b[1] = (uint8_t)(len + 40);
	b[2] = 0x01;
	put_seed("roundtrip-response", 3, b, 3 + len);

	/* Every seed must pass the invariants. */
	xfr_tsig_ctx_free(cli);
	xfr_tsig_ctx_free(srv);
	xfr_tsig_key_deinit(&key);
	return 0;
}
#endif
