/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transfer client's protocol core (src/xfr/xfr.h): arbitrary reply
 * message sequences to an SOA query, an IXFR or an AXFR.
 *
 * Input: octet 0 says what the session is:
 *   bits 0-1  request: 0 SOA, 1 IXFR, 2 and 3 AXFR;
 *   bit 2     patch the query's ID into every message (so that the fuzzer
 *             gets past the ID check at once);
 *   bit 3     TSIG with a fixed key (fuzz-key., hmac-sha256); the query is
 *             signed at T0 and every message verified at T0, so a seed can
 *             carry valid signatures (the query, hence its MAC, is the same
 *             on every run);
 *   bits 4-5  limits: none, 50 records, 4000 octets, 5 messages;
 * octets 1-4 our serial (IXFR), then messages, each preceded by a 2-octet
 * length (as on TCP); a trailing partial one is the transport closing.
 *
 * Invariants: nothing crashes or reads out of bounds; feed returns
 * XFR_MORE, XFR_DONE or a negative code, and DP_EXFR_STATE for anything fed
 * after the end; the counters never exceed what was fed or the limits
 * (the message that crosses one is counted and rejected); at the end eof
 * is 0 exactly when the session is done.  A completed AXFR (or AXFR-style
 * IXFR) gave the sink the opening SOA, with the session's serial, first,
 * and every other record once, none of them an SOA; a completed IXFR gave
 * changesets whose serials chain from ours to the session's serial, each
 * going forward (RFC 1982).
 *
 * The seeds in corpus/xfr/ come from this file built with
 * -DFUZZ_XFR_MAKE_SEEDS (a main() that writes them; replies signed by
 * src/xfr/tsig.c's server side):
 *   cc -DFUZZ_XFR_MAKE_SEEDS -Isrc tests/fuzz/fuzz_xfr.c src/xfr/{tsig,xfr,changeset}.c \
 *      src/dns/{errcode,name,rrtype,msg,edns,serial}.c -lcrypto -o mkseeds
 *   ./mkseeds tests/fuzz/corpus/xfr
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/errcode.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/serial.h"
#include "xfr/xfr.h"

#include "fuzz.h"

#define FUZZ_SECRET_B64 "ZnV6ei1rZXktc2VjcmV0LWZvci10c2lnLWZ1enppbmc="
#define T0 1700000000u
#define QID 0x5a5a
#define MAX_INPUT (1u << 20)

static const uint8_t origin[] = "\007example\003com";
static struct xfr_tsig_key key;
/* How the last input ended (for the seed maker's report). */
static enum xfr_kind last_kind;
static int last_rc;

struct sink {
	size_t n;
	bool first_soa;
	uint32_t first_serial;
	bool later_soa;
};

static int sink_fn(void *ctx, const struct dns_rr *rr)
{
	struct sink *s = ctx;
	if (s->n == 0) {
		s->first_soa = rr->type == DNS_T_SOA;
		s->first_serial = xfr_soa_serial(rr->rdata, rr->rdlen);
	} else if (rr->type == DNS_T_SOA) {
		s->later_soa = true;
	}
	FUZZ_CHECK(dns_name_is_sub(rr->owner, origin));
	FUZZ_CHECK(rr->rclass == DNS_C_IN);
	s->n++;
	return 0;
}

static void setup(void)
{
	if (key.secret)
		return;
	FUZZ_CHECK(xfr_tsig_key_init(&key, "fuzz-key", "hmac-sha256", FUZZ_SECRET_B64) == 0);
}

static bool known_code(int rc)
{
	return rc == XFR_MORE || rc == XFR_DONE ||
	       (rc < 0 && strcmp(dp_strerror(rc), "unknown error"));
}

static void check_changesets(struct xfr_session *s, uint32_t ours, const struct xfr_stats *st)
{
	size_t n = 0;
	struct xfr_changeset *cs = xfr_session_take_changesets(s, &n), *c;
	size_t count = 0;
	uint32_t at = ours;
	FUZZ_CHECK(cs && n == st->changesets && n > 0);
	for (c = cs; c; c = c->next, count++) {
		FUZZ_CHECK(c->serial_from == at);
		FUZZ_CHECK(dns_serial_cmp(c->serial_to, c->serial_from) == DNS_SERIAL_GT);
		FUZZ_CHECK(c->soa_from.type == DNS_T_SOA && c->soa_to.type == DNS_T_SOA);
		for (size_t i = 0; i < c->nremoved; i++)
			FUZZ_CHECK(c->removed[i].type != DNS_T_SOA &&
				   dns_name_is_sub(c->removed[i].owner, origin));
		for (size_t i = 0; i < c->nadded; i++)
			FUZZ_CHECK(c->added[i].type != DNS_T_SOA &&
				   dns_name_is_sub(c->added[i].owner, origin));
		at = c->serial_to;
	}
	FUZZ_CHECK(count == n);
	FUZZ_CHECK(at == st->serial);
	xfr_changeset_list_free(cs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum xfr_type types[] = { XFR_SOA, XFR_IXFR, XFR_AXFR, XFR_AXFR };
	static const struct xfr_limits limits[] = {
		{ 0, 0, 0 }, { .max_records = 50 }, { .max_bytes = 4000 }, { .max_messages = 5 }
	};
	uint8_t q[1024];
	struct sink sk = { 0 };

	if (size < 5 || size > MAX_INPUT)
		return 0;
	setup();
	unsigned mode = data[0];
	enum xfr_type type = types[mode & 3];
	bool patch_id = mode & 4;
	const struct xfr_limits *lim = &limits[(mode >> 4) & 3];
	uint32_t ours = dns_get_u32(data + 1);

	struct xfr_session *s = xfr_session_new(origin, type, (mode & 8) ? &key : NULL, lim);
	FUZZ_CHECK(s);
	xfr_session_set_serial(s, ours);
	xfr_session_set_sink(s, sink_fn, &sk);
	int qlen = xfr_session_query(s, QID, T0, q, sizeof(q));
	FUZZ_CHECK(qlen > DNS_HDR_LEN);

	uint8_t *msg = malloc(65535);
	FUZZ_CHECK(msg);
	size_t off = 5, fed = 0, fed_bytes = 0;
	int rc = XFR_MORE;
	bool ended = false;
	while (size - off >= 2) {
		size_t len = dns_get_u16(data + off);
		if (size - off - 2 < len)
			break;
		memcpy(msg, data + off + 2, len);
		off += 2 + len;
		if (patch_id && len >= 2)
			dns_put_u16(msg, QID);
		rc = xfr_session_feed(s, msg, len, T0);
		FUZZ_CHECK(known_code(rc));
		if (ended) {
			FUZZ_CHECK(rc == DP_EXFR_STATE);
			continue;
		}
		/* A message not ours (first one only) leaves the session waiting. */
		bool ignored =
			(rc == DP_EXFR_ID || rc == DP_EXFR_QUESTION) && xfr_session_error(s) == 0;
		if (!ignored) {
			fed++;
			fed_bytes += len;
		}
		if (rc == XFR_DONE || (rc < 0 && !ignored))
			ended = true;
		struct xfr_stats st;
		xfr_session_stats(s, &st);
		FUZZ_CHECK(st.messages <= fed && st.bytes <= fed_bytes);
		if (lim->max_records && st.records > lim->max_records)
			FUZZ_CHECK(rc == DP_EXFR_LIMIT);
		if (lim->max_messages && st.messages > lim->max_messages)
			FUZZ_CHECK(rc == DP_EXFR_LIMIT);
		if (lim->max_bytes && st.bytes > lim->max_bytes)
			FUZZ_CHECK(rc == DP_EXFR_LIMIT);
		if (rc < 0 && !ignored)
			FUZZ_CHECK(xfr_session_error(s) == rc && *xfr_session_errmsg(s));
	}

	struct xfr_stats st;
	xfr_session_stats(s, &st);
	bool done = xfr_session_done(s);
	int erc = xfr_session_eof(s);
	last_kind = st.kind;
	last_rc = erc;
	FUZZ_CHECK(done ? erc == 0 : erc < 0);
	if (done) {
		switch (st.kind) {
		case XFR_KIND_SOA: FUZZ_CHECK(type == XFR_SOA); break;
		case XFR_KIND_AXFR:
		case XFR_KIND_IXFR_AXFR:
			FUZZ_CHECK(type == (st.kind == XFR_KIND_AXFR ? XFR_AXFR : XFR_IXFR));
			FUZZ_CHECK(sk.n >= 1 && sk.first_soa && !sk.later_soa);
			FUZZ_CHECK(sk.first_serial == st.serial);
			FUZZ_CHECK(sk.n + 1 == st.records);
			break;
		case XFR_KIND_IXFR:
			FUZZ_CHECK(type == XFR_IXFR && sk.n == 0);
			check_changesets(s, ours, &st);
			break;
		case XFR_KIND_UPTODATE:
			FUZZ_CHECK(type == XFR_IXFR && st.records == 1);
			FUZZ_CHECK(dns_serial_cmp(st.serial, ours) != DNS_SERIAL_GT);
			break;
		case XFR_KIND_NONE: FUZZ_CHECK(0);
		}
	} else {
		FUZZ_CHECK(st.kind == XFR_KIND_NONE);
		FUZZ_CHECK(xfr_session_take_changesets(s, NULL) == NULL);
	}
	free(msg);
	xfr_session_free(s);
	return 0;
}

#ifdef FUZZ_XFR_MAKE_SEEDS
/* ------------------------------------------------------------ seed maker */

struct seed {
	uint8_t buf[1 << 16];
	size_t len;
	struct xfr_tsig_ctx *srv; /* signs the replies when set */
	uint8_t msg[4096];
	struct dns_wr w;
	struct dns_compr c;
	uint16_t qtype;
	unsigned nrr, nmsg;
};

static void seed_begin(struct seed *sd, unsigned mode, uint32_t ours)
{
	static const uint16_t qt[] = { DNS_T_SOA, DNS_T_IXFR, DNS_T_AXFR, DNS_T_AXFR };
	sd->buf[0] = (uint8_t)mode;
	sd->buf[1] = (uint8_t)(ours >> 24);
	sd->buf[2] = (uint8_t)(ours >> 16);
	sd->buf[3] = (uint8_t)(ours >> 8);
	sd->buf[4] = (uint8_t)ours;
	sd->len = 5;
	sd->qtype = qt[mode & 3];
	sd->nmsg = 0;
	sd->srv = NULL;
	if (mode & 8) {
		/* The same query the target makes, verified by a server ctx. */
		uint8_t q[1024];
		struct xfr_session *s =
			xfr_session_new(origin, (enum xfr_type)sd->qtype, &key, NULL);
		xfr_session_set_serial(s, ours);
		int qlen = xfr_session_query(s, QID, T0, q, sizeof(q));
		sd->srv = xfr_tsig_ctx_new(&key);
		FUZZ_CHECK(qlen > 0 && xfr_tsig_server_verify(sd->srv, q, (size_t)qlen, T0) == 0);
		xfr_session_free(s);
	}
}

static void msg_begin(struct seed *sd, unsigned flags)
{
	struct dns_hdr h = { .id = QID,
			     .flags = (uint16_t)(DNS_F_QR | DNS_F_AA | flags),
			     .qdcount = sd->nmsg == 0 };
	dns_wr_init(&sd->w, sd->msg, sizeof(sd->msg));
	dns_compr_init(&sd->c);
	dns_hdr_write(&sd->w, &h);
	if (h.qdcount) {
		struct dns_question q = { .qtype = sd->qtype, .qclass = DNS_C_IN };
		q.name_len = (uint16_t)dns_name_len(origin);
		memcpy(q.name, origin, q.name_len);
		dns_question_write(&sd->w, &q, &sd->c);
	}
	sd->nrr = 0;
}

static void add_rr(struct seed *sd, const char *owner_label, uint16_t type, uint32_t v)
{
	struct dns_rr rr = { .type = type, .rclass = DNS_C_IN, .ttl = 3600 };
	uint8_t rd[64];
	size_t o = 0;
	if (owner_label) {
		size_t l = strlen(owner_label);
		rr.owner[0] = (uint8_t)l;
		memcpy(rr.owner + 1, owner_label, l);
		memcpy(rr.owner + 1 + l, origin, sizeof(origin));
		rr.owner_len = (uint16_t)(1 + l + sizeof(origin));
	} else {
		memcpy(rr.owner, origin, sizeof(origin));
		rr.owner_len = sizeof(origin);
	}
	if (type == DNS_T_SOA) {
		memcpy(rd, "\002ns\000\001h\000", 7);
		o = 7;
		uint32_t f[5] = { v, 3600, 600, 86400, 300 };
		for (int i = 0; i < 5; i++, o += 4) {
			rd[o] = (uint8_t)(f[i] >> 24);
			rd[o + 1] = (uint8_t)(f[i] >> 16);
			rd[o + 2] = (uint8_t)(f[i] >> 8);
			rd[o + 3] = (uint8_t)f[i];
		}
	} else if (type == DNS_T_NS) {
		memcpy(rd, "\002ns\007example\003com\000", 16);
		o = 16;
	} else {
		rd[0] = 198, rd[1] = 18, rd[2] = (uint8_t)(v >> 8), rd[3] = (uint8_t)v;
		o = 4;
	}
	rr.rdlen = (uint16_t)o;
	rr.rdata = rd;
	dns_rr_write(&sd->w, &rr, &sd->c);
	sd->nrr++;
}

static void msg_end(struct seed *sd, bool sign)
{
	dns_put_u16(sd->msg + 6, (uint16_t)sd->nrr);
	if (sd->srv && sign)
		FUZZ_CHECK(xfr_tsig_server_sign(sd->srv, &sd->w, T0) == 0);
	FUZZ_CHECK(sd->w.err == 0);
	sd->buf[sd->len] = (uint8_t)(sd->w.pos >> 8);
	sd->buf[sd->len + 1] = (uint8_t)sd->w.pos;
	memcpy(sd->buf + sd->len + 2, sd->msg, sd->w.pos);
	sd->len += 2 + sd->w.pos;
	sd->nmsg++;
}

static void seed_write(struct seed *sd, const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	FUZZ_CHECK(f);
	fwrite(sd->buf, 1, sd->len, f);
	fclose(f);
	/* every seed runs clean through the target */
	LLVMFuzzerTestOneInput(sd->buf, sd->len);
	printf("%-20s %5zu octets: %s, %s\n", name, sd->len, xfr_kind_str(last_kind),
	       dp_strerror(last_rc));
	xfr_tsig_ctx_free(sd->srv);
	sd->srv = NULL;
}

int main(int argc, char **argv)
{
	static struct seed sd;
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 1;
	}
	setup();
	const char *d = argv[1];

	seed_begin(&sd, 0 | 4, 0);
	msg_begin(&sd, 0), add_rr(&sd, NULL, DNS_T_SOA, 7), msg_end(&sd, true);
	seed_write(&sd, d, "soa-ok");
	seed_begin(&sd, 0 | 8, 0);
	msg_begin(&sd, 0), add_rr(&sd, NULL, DNS_T_SOA, 7), msg_end(&sd, true);
	seed_write(&sd, d, "soa-signed");
	seed_begin(&sd, 0, 0);
	msg_begin(&sd, DNS_F_TC), msg_end(&sd, true);
	seed_write(&sd, d, "soa-tc");

	/* AXFR, one message and several (each signed: our server side signs no
	 * stream with unsigned intermediates) */
	seed_begin(&sd, 2, 0);
	msg_begin(&sd, 0);
	add_rr(&sd, NULL, DNS_T_SOA, 9), add_rr(&sd, NULL, DNS_T_NS, 0);
	add_rr(&sd, "ns", DNS_T_A, 1), add_rr(&sd, "www", DNS_T_A, 2);
	add_rr(&sd, NULL, DNS_T_SOA, 9), msg_end(&sd, true);
	seed_write(&sd, d, "axfr-one");
	seed_begin(&sd, 2 | 8, 0);
	msg_begin(&sd, 0), add_rr(&sd, NULL, DNS_T_SOA, 9), add_rr(&sd, NULL, DNS_T_NS, 0);
	msg_end(&sd, true);
	for (unsigned i = 0; i < 6; i++) {
		msg_begin(&sd, 0);
		add_rr(&sd, "a", DNS_T_A, 2 * i), add_rr(&sd, "b", DNS_T_A, 2 * i + 1);
		msg_end(&sd, true);
	}
	msg_begin(&sd, 0), add_rr(&sd, NULL, DNS_T_SOA, 9), msg_end(&sd, true);
	seed_write(&sd, d, "axfr-multi-signed");

	/* IXFR: up to date, one changeset, three, AXFR-style, broken chain, NOTIMP */
	seed_begin(&sd, 1 | 4, 10);
	msg_begin(&sd, 0), add_rr(&sd, NULL, DNS_T_SOA, 10), msg_end(&sd, true);
	seed_write(&sd, d, "ixfr-uptodate");
	seed_begin(&sd, 1 | 8, 10);
	msg_begin(&sd, 0);
	add_rr(&sd, NULL, DNS_T_SOA, 11), add_rr(&sd, NULL, DNS_T_SOA, 10);
	add_rr(&sd, "old", DNS_T_A, 1), add_rr(&sd, NULL, DNS_T_SOA, 11);
	add_rr(&sd, "new", DNS_T_A, 2), add_rr(&sd, NULL, DNS_T_SOA, 11);
	msg_end(&sd, true);
	seed_write(&sd, d, "ixfr-one-signed");
	seed_begin(&sd, 1, 10);
	msg_begin(&sd, 0);
	add_rr(&sd, NULL, DNS_T_SOA, 13), add_rr(&sd, NULL, DNS_T_SOA, 10);
	add_rr(&sd, "a", DNS_T_A, 1), add_rr(&sd, NULL, DNS_T_SOA, 11);
	msg_end(&sd, true);
	msg_begin(&sd, 0);
	add_rr(&sd, NULL, DNS_T_SOA, 11), add_rr(&sd, NULL, DNS_T_SOA, 12);
	add_rr(&sd, "b", DNS_T_A, 2), add_rr(&sd, NULL, DNS_T_SOA, 12);
	add_rr(&sd, NULL, DNS_T_SOA, 13), add_rr(&sd, "c", DNS_T_A, 3);
	add_rr(&sd, NULL, DNS_T_SOA, 13);
	msg_end(&sd, true);
	seed_write(&sd, d, "ixfr-three");
	seed_begin(&sd, 1 | 16, 10);
	msg_begin(&sd, 0);
	add_rr(&sd, NULL, DNS_T_SOA, 12), add_rr(&sd, NULL, DNS_T_NS, 0);
	add_rr(&sd, "ns", DNS_T_A, 1), add_rr(&sd, NULL, DNS_T_SOA, 12);
	msg_end(&sd, true);
	seed_write(&sd, d, "ixfr-axfr-style");
	seed_begin(&sd, 1, 10);
	msg_begin(&sd, 0);
	add_rr(&sd, NULL, DNS_T_SOA, 12), add_rr(&sd, NULL, DNS_T_SOA, 10);
	add_rr(&sd, NULL, DNS_T_SOA, 11), add_rr(&sd, NULL, DNS_T_SOA, 9);
	msg_end(&sd, true);
	seed_write(&sd, d, "ixfr-broken-chain");
	seed_begin(&sd, 1, 10);
	msg_begin(&sd, DNS_R_NOTIMP), msg_end(&sd, true);
	seed_write(&sd, d, "ixfr-notimp");
	xfr_tsig_key_deinit(&key);
	return 0;
}
#endif
