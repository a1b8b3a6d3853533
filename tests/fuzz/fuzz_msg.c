/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Whole-message parse and rebuild.  The input is parsed as a DNS message:
 * header, every question, every RR with dns_rr_parse (cross-checked against
 * dns_rr_skip), and each OPT RR with dns_edns_parse.  When all of it parses,
 * the message is rebuilt twice from the parsed form, without and with name
 * compression, and each rebuild must re-parse to the same header, questions,
 * RRs and EDNS (exactly without compression; up to ASCII case with it, since
 * compression matches suffixes case-insensitively).
 */
#include <stdbool.h>
#include <string.h>

#include "dns/edns.h"
#include "dns/msg.h"
#include "dns/rrtype.h"

#include "fuzz.h"

/* Each question takes at least 5 octets, each RR at least 11. */
#define MAX_Q (FUZZ_MAX_INPUT / 5 + 1)
#define MAX_RR (FUZZ_MAX_INPUT / 11 + 1)
/* Decompressed rdata of one message; a name expands by at most 253 octets. */
#define ARENA_LEN (4u << 20)
/* Rebuilt messages: without compression they may exceed the input. */
#define OUT_LEN (FUZZ_MAX_INPUT + 1)

struct parsed {
	struct dns_hdr h;
	unsigned nq, nrr;
	size_t end; /* offset after the last RR */
	struct dns_question q[MAX_Q];
	struct dns_rr rr[MAX_RR];
	size_t rr_off[MAX_RR]; /* message offset where each RR starts */
	size_t rr_end[MAX_RR]; /* and where it ends */
	uint8_t arena[ARENA_LEN];
};

/* Static: far too big for the stack, and reused for every input. */
static struct parsed orig, again;
static uint8_t out[OUT_LEN];

/* Returns 0 when the whole message parses, -1 otherwise. */
static int parse_msg(const uint8_t *buf, size_t len, struct parsed *m)
{
	struct dns_rd r;
	dns_rd_init(&r, buf, len);
	if (dns_hdr_parse(&r, &m->h) < 0)
		return -1;
	FUZZ_CHECK(r.pos == DNS_HDR_LEN);

	m->nq = m->h.qdcount;
	if (m->nq > MAX_Q)
		return -1; /* cannot fit: the parse below would fail anyway */
	for (unsigned i = 0; i < m->nq; i++) {
		if (dns_question_parse(&r, &m->q[i]) < 0)
			return -1;
		FUZZ_CHECK(m->q[i].name_len >= 1 && m->q[i].name_len <= DNS_NAME_MAXLEN);
		FUZZ_CHECK(dns_name_check(m->q[i].name, m->q[i].name_len) == m->q[i].name_len);
	}

	unsigned total = (unsigned)m->h.ancount + m->h.nscount + m->h.arcount;
	if (total > MAX_RR)
		return -1;
	size_t used = 0;
	m->nrr = 0;
	for (unsigned i = 0; i < total; i++) {
		struct dns_rr *rr = &m->rr[i];
		size_t cap = ARENA_LEN - used;
		if (cap > DNS_RDATA_MAXLEN)
			cap = DNS_RDATA_MAXLEN;
		struct dns_rd skip = r;
		int skip_rc = dns_rr_skip(&skip);

		m->rr_off[i] = r.pos;
		if (dns_rr_parse(&r, rr, m->arena + used, cap) < 0)
			return -1;
		/* Skipping must agree with parsing on every RR that parses. */
		FUZZ_CHECK(skip_rc == 0 && skip.pos == r.pos);
		FUZZ_CHECK(rr->owner_len >= 1 && rr->owner_len <= DNS_NAME_MAXLEN);
		FUZZ_CHECK(dns_name_check(rr->owner, rr->owner_len) == rr->owner_len);
		FUZZ_CHECK(rr->rdlen == 0 || rr->rdata == m->arena + used);
		FUZZ_CHECK(rr->rdlen <= cap);
		/* Data types come back validated; meta types are opaque. */
		if (!dns_rrtype_is_meta(rr->type))
			FUZZ_CHECK(dns_rdata_check(rr->type, rr->rdata, rr->rdlen) == 0);
		m->rr_end[i] = r.pos;
		used += rr->rdlen;
		m->nrr++;
	}
	m->end = r.pos;
	return 0;
}

static void check_edns_opt(const struct dns_edns_opt *a, const struct dns_edns_opt *b)
{
	FUZZ_CHECK((a->data == NULL) == (b->data == NULL));
	FUZZ_CHECK(a->len == b->len);
	if (a->data && a->len)
		FUZZ_CHECK(memcmp(a->data, b->data, a->len) == 0);
}

/* dns_edns_parse on the OPT RR at off; returns its code. */
static int edns_at(const uint8_t *buf, size_t len, size_t off, struct dns_edns *e, size_t *end)
{
	struct dns_rd r;
	dns_rd_init(&r, buf, len);
	dns_rd_seek(&r, off);
	memset(e, 0, sizeof(*e));
	int rc = dns_edns_parse(&r, e);
	*end = r.pos;
	return rc;
}

/*
 * Every OPT RR: the EDNS view of the original and of the rebuild must agree,
 * and a version-0 OPT written back with dns_edns_write from its parsed fields
 * must give the original octets.
 */
static void check_edns(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	for (unsigned i = 0; i < orig.nrr; i++) {
		if (orig.rr[i].type != DNS_T_OPT)
			continue;
		struct dns_edns ea, eb;
		size_t enda, endb;
		int rca = edns_at(a, alen, orig.rr_off[i], &ea, &enda);
		int rcb = edns_at(b, blen, again.rr_off[i], &eb, &endb);
		/*
		 * The rebuild writes the owner as a plain root octet.  When the
		 * original spelt it some other way (a pointer to the root), only
		 * an accepted original must stay accepted.
		 */
		bool verbatim_owner = a[orig.rr_off[i]] == 0;
		if (verbatim_owner)
			FUZZ_CHECK(rca == rcb);
		if (rca < 0)
			continue;
		FUZZ_CHECK(rcb == 0);
		FUZZ_CHECK(enda == orig.rr_end[i] && endb == again.rr_end[i]);
		FUZZ_CHECK(ea.payload == eb.payload && ea.ext_rcode == eb.ext_rcode);
		FUZZ_CHECK(ea.version == eb.version && ea.flags == eb.flags);
		FUZZ_CHECK(ea.options_len == eb.options_len);
		if (ea.options_len)
			FUZZ_CHECK(memcmp(ea.options, eb.options, ea.options_len) == 0);
		check_edns_opt(&ea.nsid, &eb.nsid);
		check_edns_opt(&ea.expire, &eb.expire);
		check_edns_opt(&ea.cookie, &eb.cookie);
		check_edns_opt(&ea.ede, &eb.ede);

		if (ea.version != 0 || (ea.flags & ~DNS_EDNS_DO) || !verbatim_owner)
			continue;
		static uint8_t opt[DNS_EDNS_FIXED_LEN + DNS_RDATA_MAXLEN];
		struct dns_wr w;
		dns_wr_init(&w, opt, sizeof(opt));
		dns_edns_write(&w, ea.payload, ea.ext_rcode, ea.flags, ea.options, ea.options_len);
		FUZZ_CHECK(w.err == 0);
		FUZZ_CHECK(w.pos == dns_edns_size(ea.options_len));
		FUZZ_CHECK(w.pos == orig.rr_end[i] - orig.rr_off[i]);
		FUZZ_CHECK(memcmp(opt, a + orig.rr_off[i], w.pos) == 0);
	}
}

/* True when some RR's rdata does not fit its type's layout (opaque meta RRs). */
static bool has_unwritable_rdata(void)
{
	for (unsigned i = 0; i < orig.nrr; i++)
		if (dns_rdata_check(orig.rr[i].type, orig.rr[i].rdata, orig.rr[i].rdlen) < 0)
			return true;
	return false;
}

/* Rebuilds orig into out; returns its length, or 0 when it could not be built. */
static size_t rebuild(bool compress)
{
	struct dns_wr w;
	struct dns_compr c;
	struct dns_compr *cp = compress ? &c : NULL;

	dns_wr_init(&w, out, sizeof(out) - 1); /* stays a valid message size */
	dns_compr_init(&c);
	dns_hdr_write(&w, &orig.h);
	for (unsigned i = 0; i < orig.nq; i++)
		dns_question_write(&w, &orig.q[i], cp);
	for (unsigned i = 0; i < orig.nrr; i++)
		dns_rr_write(&w, &orig.rr[i], cp);
	if (w.err == DP_ESPACE)
		return 0; /* names expanded past 64 KiB: nothing to compare */
	if (w.err == DP_ERDATA && compress && has_unwritable_rdata())
		return 0; /* the compressing writer walks the layout */
	FUZZ_CHECK(w.err == 0);
	return w.pos;
}

static void compare(bool compress)
{
	const struct dns_hdr *a = &orig.h, *b = &again.h;
	FUZZ_CHECK(a->id == b->id && a->flags == b->flags);
	FUZZ_CHECK(a->qdcount == b->qdcount && a->ancount == b->ancount);
	FUZZ_CHECK(a->nscount == b->nscount && a->arcount == b->arcount);
	FUZZ_CHECK(orig.nq == again.nq && orig.nrr == again.nrr);

	for (unsigned i = 0; i < orig.nq; i++) {
		const struct dns_question *qa = &orig.q[i], *qb = &again.q[i];
		FUZZ_CHECK(qa->qtype == qb->qtype && qa->qclass == qb->qclass);
		FUZZ_CHECK(qa->name_len == qb->name_len && dns_name_eq(qa->name, qb->name));
		if (!compress)
			FUZZ_CHECK(memcmp(qa->name, qb->name, qa->name_len) == 0);
	}
	for (unsigned i = 0; i < orig.nrr; i++) {
		const struct dns_rr *ra = &orig.rr[i], *rb = &again.rr[i];
		FUZZ_CHECK(ra->type == rb->type && ra->rclass == rb->rclass && ra->ttl == rb->ttl);
		FUZZ_CHECK(ra->owner_len == rb->owner_len && dns_name_eq(ra->owner, rb->owner));
		FUZZ_CHECK(ra->rdlen == rb->rdlen);
		if (compress) {
			FUZZ_CHECK(fuzz_fold_eq(ra->rdata, rb->rdata, ra->rdlen));
		} else {
			FUZZ_CHECK(memcmp(ra->owner, rb->owner, ra->owner_len) == 0);
			FUZZ_CHECK(!ra->rdlen || memcmp(ra->rdata, rb->rdata, ra->rdlen) == 0);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (parse_msg(data, size, &orig) < 0)
		return 0;

	size_t plain_len = 0;
	for (int pass = 0; pass < 2; pass++) {
		bool compress = pass == 1;
		size_t len = rebuild(compress);
		if (!len)
			continue;
		if (compress && plain_len)
			FUZZ_CHECK(len <= plain_len); /* compression never grows a message */
		if (!compress)
			plain_len = len;
		FUZZ_CHECK(parse_msg(out, len, &again) == 0);
		FUZZ_CHECK(again.end == len);
		compare(compress);
		check_edns(data, size, out, len);
	}
	return 0;
}
