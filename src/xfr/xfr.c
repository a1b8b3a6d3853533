/* SPDX-License-Identifier: BSD-3-Clause */
#include "xfr/xfr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/errcode.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "dns/serial.h"

enum sess_state {
	S_IDLE,	  /* no query yet */
	S_FIRST,  /* waiting for the opening SOA (or, for SOA queries, the answer) */
	S_SECOND, /* IXFR: opening SOA seen, the next record decides the reply's form */
	S_AXFR,	  /* records to the sink until the closing SOA */
	S_DEL,	  /* IXFR: deletions of the current changeset */
	S_ADD,	  /* IXFR: additions of the current changeset */
	S_DONE,
	S_ERR,
};

/* SOA rdata: two names and five 32-bit fields. */
#define SOA_RDATA_MAX (2 * DNS_NAME_MAXLEN + 20)

struct xfr_session {
	uint8_t origin[DNS_NAME_MAXLEN];
	uint16_t origin_len;
	enum xfr_type type;
	const struct xfr_tsig_key *key;
	struct xfr_tsig_ctx *tsig;
	struct xfr_limits lim;
	bool have_serial;
	uint32_t our_serial;
	xfr_sink_fn sink;
	void *sink_ctx;

	uint16_t id;
	enum sess_state state;
	int err;
	char errmsg[320];
	struct xfr_stats st;

	/* IXFR: the opening SOA, kept until the second record shows the form. */
	struct dns_rr first;
	uint8_t first_rdata[SOA_RDATA_MAX];

	struct xfr_changeset *cs_head, *cs_tail, *cs_cur;

	uint8_t rdbuf[DNS_RDATA_MAXLEN];
};

const char *xfr_kind_str(enum xfr_kind kind)
{
	switch (kind) {
	case XFR_KIND_NONE: return "none";
	case XFR_KIND_SOA: return "SOA";
	case XFR_KIND_UPTODATE: return "up to date";
	case XFR_KIND_IXFR: return "IXFR";
	case XFR_KIND_IXFR_AXFR: return "IXFR as AXFR";
	case XFR_KIND_AXFR: return "AXFR";
	}
	return "?";
}

static const char *rcode_str(unsigned rcode)
{
	static const char *const names[] = {
		"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
	};
	return rcode < sizeof(names) / sizeof(names[0]) ? names[rcode] : "RCODE?";
}

static const char *type_str(enum xfr_type t)
{
	return t == XFR_SOA ? "SOA" : t == XFR_IXFR ? "IXFR" : "AXFR";
}

__attribute__((format(printf, 3, 4))) static int fail(struct xfr_session *s, int code,
						      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	s->err = code;
	s->state = S_ERR;
	s->st.kind = XFR_KIND_NONE;
	return code;
}

static void changesets_free(struct xfr_session *s)
{
	xfr_changeset_list_free(s->cs_head);
	if (s->cs_cur && s->cs_cur != s->cs_tail)
		xfr_changeset_free(s->cs_cur);
	s->cs_head = s->cs_tail = s->cs_cur = NULL;
}

struct xfr_session *xfr_session_new(const uint8_t *origin, enum xfr_type type,
				    const struct xfr_tsig_key *key, const struct xfr_limits *limits)
{
	if (!origin || (type != XFR_SOA && type != XFR_IXFR && type != XFR_AXFR))
		return NULL;
	int n = dns_name_check(origin, DNS_NAME_MAXLEN);
	if (n < 0)
		return NULL;
	struct xfr_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->origin_len = (uint16_t)dns_name_copy_lower(s->origin, origin);
	s->type = type;
	s->key = key;
	if (limits)
		s->lim = *limits;
	if (key) {
		s->tsig = xfr_tsig_ctx_new(key);
		if (!s->tsig) {
			free(s);
			return NULL;
		}
	}
	return s;
}

void xfr_session_free(struct xfr_session *s)
{
	if (!s)
		return;
	changesets_free(s);
	xfr_tsig_ctx_free(s->tsig);
	free(s);
}

void xfr_session_set_serial(struct xfr_session *s, uint32_t serial)
{
	s->have_serial = true;
	s->our_serial = serial;
}

void xfr_session_set_sink(struct xfr_session *s, xfr_sink_fn fn, void *ctx)
{
	s->sink = fn;
	s->sink_ctx = ctx;
}

int xfr_session_query(struct xfr_session *s, uint16_t id, uint64_t now, uint8_t *buf, size_t cap)
{
	struct dns_wr w;
	struct dns_compr c;
	struct dns_question q;
	struct dns_hdr h = { .id = id, .flags = 0, .qdcount = 1 };

	changesets_free(s);
	memset(&s->st, 0, sizeof(s->st));
	s->err = 0;
	s->errmsg[0] = '\0';
	s->state = S_IDLE;
	if (s->type == XFR_IXFR && !s->have_serial)
		return DP_EINVAL;

	h.nscount = s->type == XFR_IXFR;
	dns_wr_init(&w, buf, cap);
	dns_compr_init(&c);
	dns_hdr_write(&w, &h);
	memcpy(q.name, s->origin, s->origin_len);
	q.name_len = s->origin_len;
	q.qtype = (uint16_t)s->type;
	q.qclass = DNS_C_IN;
	dns_question_write(&w, &q, &c);
	if (s->type == XFR_IXFR) {
		/* RFC 1995 §3: our version's SOA.  Only the serial matters to a
		 * primary; names are the root and the timers 0, as kdig sends. */
		uint8_t soa[22] = { 0 };
		struct dns_rr rr = { .type = DNS_T_SOA, .rclass = DNS_C_IN, .rdlen = sizeof(soa) };
		soa[2] = (uint8_t)(s->our_serial >> 24);
		soa[3] = (uint8_t)(s->our_serial >> 16);
		soa[4] = (uint8_t)(s->our_serial >> 8);
		soa[5] = (uint8_t)s->our_serial;
		memcpy(rr.owner, s->origin, s->origin_len);
		rr.owner_len = s->origin_len;
		rr.rdata = soa;
		dns_rr_write(&w, &rr, &c);
	}
	if (w.err)
		return w.err;
	if (s->tsig) {
		int rc = xfr_tsig_sign(s->tsig, &w, now);
		if (rc < 0)
			return rc;
	}
	s->id = id;
	s->state = S_FIRST;
	return (int)w.pos;
}

static void name_text(const uint8_t *name, char *out, size_t cap)
{
	if (dns_name_to_text(name, out, cap) < 0)
		snprintf(out, cap, "(name)");
}

static int to_sink(struct xfr_session *s, const struct dns_rr *rr)
{
	if (!s->sink)
		return 0;
	int rc = s->sink(s->sink_ctx, rr);
	if (rc < 0) {
		char nt[DNS_NAME_TEXT_MAX], tt[16];
		name_text(rr->owner, nt, sizeof(nt));
		return fail(s, rc, "record %s %s rejected: %s", nt,
			    dns_rrtype_to_text(rr->type, tt), dp_strerror(rc));
	}
	return 0;
}

static int cs_push(struct xfr_session *s)
{
	if (s->cs_tail)
		s->cs_tail->next = s->cs_cur;
	else
		s->cs_head = s->cs_cur;
	s->cs_tail = s->cs_cur;
	s->st.changesets++;
	return 0;
}

static int cs_open(struct xfr_session *s, const struct dns_rr *rr)
{
	s->cs_cur = xfr_changeset_new(rr);
	if (!s->cs_cur)
		return fail(s, DP_ENOMEM, "out of memory for changeset %zu", s->st.changesets + 1);
	return 0;
}

/* One answer record of an AXFR/IXFR stream, already checked to be zone data. */
static int on_record(struct xfr_session *s, const struct dns_rr *rr)
{
	bool soa = rr->type == DNS_T_SOA;
	uint32_t serial = soa ? xfr_soa_serial(rr->rdata, rr->rdlen) : 0;
	char tt[16];
	int rc;

	switch (s->state) {
	case S_FIRST:
		if (!soa)
			return fail(s, DP_EXFR_FORMAT, "the first record is of type %s, not SOA",
				    dns_rrtype_to_text(rr->type, tt));
		s->st.serial = serial;
		if (s->type == XFR_AXFR) {
			s->state = S_AXFR;
			return to_sink(s, rr);
		}
		s->first = *rr;
		memcpy(s->first_rdata, rr->rdata, rr->rdlen);
		s->first.rdata = s->first_rdata;
		s->state = S_SECOND;
		return 0;
	case S_SECOND:
		if (!soa) {
			/* RFC 1995 §4: an AXFR-style reply. */
			s->state = S_AXFR;
			rc = to_sink(s, &s->first);
			return rc < 0 ? rc : to_sink(s, rr);
		}
		if (serial != s->our_serial)
			return fail(s, DP_EXFR_SERIAL,
				    "IXFR: the first difference starts at serial %u, ours is %u",
				    serial, s->our_serial);
		s->state = S_DEL;
		return cs_open(s, rr);
	case S_AXFR:
		if (!soa)
			return to_sink(s, rr);
		if (serial != s->st.serial)
			return fail(s, DP_EXFR_FORMAT,
				    "closing SOA serial %u differs from the opening %u", serial,
				    s->st.serial);
		s->st.kind = s->type == XFR_AXFR ? XFR_KIND_AXFR : XFR_KIND_IXFR_AXFR;
		s->state = S_DONE;
		return 0;
	case S_DEL:
		if (!soa) {
			rc = xfr_changeset_add(s->cs_cur, 0, rr);
			return rc < 0 ? fail(s, rc, "out of memory for a changeset") : 0;
		}
		if (dns_serial_cmp(serial, s->cs_cur->serial_from) != DNS_SERIAL_GT)
			return fail(s, DP_EXFR_SERIAL,
				    "IXFR: difference %zu goes from serial %u to %u, not forward",
				    s->st.changesets + 1, s->cs_cur->serial_from, serial);
		rc = xfr_changeset_set_to(s->cs_cur, rr);
		if (rc < 0)
			return fail(s, rc, "out of memory for a changeset");
		s->state = S_ADD;
		return 0;
	case S_ADD:
		if (!soa) {
			rc = xfr_changeset_add(s->cs_cur, 1, rr);
			return rc < 0 ? fail(s, rc, "out of memory for a changeset") : 0;
		}
		cs_push(s);
		if (serial == s->st.serial && s->cs_cur->serial_to == s->st.serial) {
			s->cs_cur = NULL;
			s->st.kind = XFR_KIND_IXFR;
			s->state = S_DONE;
			return 0;
		}
		if (serial != s->cs_cur->serial_to)
			return fail(
				s, DP_EXFR_SERIAL,
				"IXFR: difference %zu starts at serial %u, the previous one ended "
				"at %u (final serial %u)",
				s->st.changesets + 1, serial, s->cs_cur->serial_to, s->st.serial);
		s->state = S_DEL;
		return cs_open(s, rr);
	case S_DONE:
		return fail(s, DP_EXFR_FORMAT, "%s record after the closing SOA",
			    dns_rrtype_to_text(rr->type, tt));
	case S_IDLE:
	case S_ERR: break;
	}
	return fail(s, DP_EXFR_STATE, "internal: record in state %d", (int)s->state);
}

/* Zone data only: class IN, inside the zone, not a meta type, SOA only at the apex. */
static int check_record(struct xfr_session *s, const struct dns_rr *rr, size_t idx)
{
	char nt[DNS_NAME_TEXT_MAX], tt[16];

	if (rr->rclass != DNS_C_IN || !dns_name_is_sub(rr->owner, s->origin)) {
		name_text(rr->owner, nt, sizeof(nt));
		return fail(s, DP_EXFR_OUTSIDE, "record %zu (%s %s class %u) is not zone data", idx,
			    nt, dns_rrtype_to_text(rr->type, tt), rr->rclass);
	}
	if (dns_rrtype_is_meta(rr->type) ||
	    (rr->type == DNS_T_SOA && !dns_name_eq(rr->owner, s->origin))) {
		name_text(rr->owner, nt, sizeof(nt));
		return fail(s, DP_EXFR_FORMAT, "record %zu (%s %s) cannot be in the zone", idx, nt,
			    dns_rrtype_to_text(rr->type, tt));
	}
	return 0;
}

/* Header, question and RCODE, before anything of the session changes. */
static int check_header(struct xfr_session *s, struct dns_rd *r, struct dns_hdr *h)
{
	bool first = s->st.messages == 0;

	if (dns_hdr_parse(r, h) < 0)
		return fail(s, DP_ETRUNC, "message of %zu octets, shorter than a DNS header",
			    r->len);
	/* Not ours: on UDP the caller drops it; the session is untouched while
	 * nothing of the reply has been accepted. */
	if (h->id != s->id) {
		if (first)
			return DP_EXFR_ID;
		return fail(s, DP_EXFR_ID, "message %zu has ID %u, the query %u",
			    s->st.messages + 1, h->id, s->id);
	}
	if (!(h->flags & DNS_F_QR) || dns_hdr_opcode(h) != DNS_OP_QUERY) {
		if (first)
			return DP_EXFR_QUESTION;
		return fail(s, DP_EXFR_QUESTION, "message %zu is not a response to a query",
			    s->st.messages + 1);
	}
	if (h->qdcount > 1)
		return fail(s, DP_EMALF, "message %zu has %u questions", s->st.messages + 1,
			    h->qdcount);
	if (h->qdcount == 1) {
		struct dns_question q;
		int rc = dns_question_parse(r, &q);
		if (rc < 0)
			return fail(s, rc, "message %zu: bad question: %s", s->st.messages + 1,
				    dp_strerror(rc));
		if (!dns_name_eq(q.name, s->origin) || q.qtype != (uint16_t)s->type ||
		    q.qclass != DNS_C_IN) {
			if (first)
				return DP_EXFR_QUESTION;
			return fail(s, DP_EXFR_QUESTION,
				    "message %zu: question differs from the query's",
				    s->st.messages + 1);
		}
	} else if (first && dns_hdr_rcode(h) == DNS_R_NOERROR) {
		/* RFC 5936 §2.2.1: the first message repeats the question.
		 * Error replies may come without it (FORMERR, for one). */
		return DP_EXFR_QUESTION;
	}
	return 0;
}

static int finish(struct xfr_session *s)
{
	if (s->tsig) {
		int rc = xfr_tsig_verify_end(s->tsig);
		if (rc < 0)
			return fail(s, rc, "TSIG: the last message is not signed: %s",
				    xfr_tsig_strerror(rc));
	}
	s->state = S_DONE;
	return XFR_DONE;
}

static int check_limits(struct xfr_session *s)
{
	const struct xfr_limits *l = &s->lim;
	if (l->max_messages && s->st.messages > l->max_messages)
		return fail(s, DP_EXFR_LIMIT, "more than %zu messages", l->max_messages);
	if (l->max_bytes && s->st.bytes > l->max_bytes)
		return fail(s, DP_EXFR_LIMIT, "more than %zu octets", l->max_bytes);
	if (l->max_records && s->st.records > l->max_records)
		return fail(s, DP_EXFR_LIMIT, "more than %zu records", l->max_records);
	return 0;
}

static int feed_soa(struct xfr_session *s, struct dns_rd *r, const struct dns_hdr *h)
{
	struct dns_rr rr;
	bool found = false;

	if (!(h->flags & DNS_F_AA))
		return fail(s, DP_EXFR_NOTAUTH, "SOA reply is not authoritative (AA clear)");
	for (unsigned i = 0; i < h->ancount; i++) {
		int rc = dns_rr_parse(r, &rr, s->rdbuf, sizeof(s->rdbuf));
		if (rc < 0)
			return fail(s, rc, "answer record %u: %s", i + 1, dp_strerror(rc));
		if (!found && rr.type == DNS_T_SOA && rr.rclass == DNS_C_IN &&
		    dns_name_eq(rr.owner, s->origin)) {
			found = true;
			s->st.serial = xfr_soa_serial(rr.rdata, rr.rdlen);
		}
		s->st.records++;
		rc = check_limits(s);
		if (rc < 0)
			return rc;
	}
	if (!found)
		return fail(s, DP_EXFR_NOSOA, "the answer holds no SOA of the zone (%u records)",
			    h->ancount);
	s->st.kind = XFR_KIND_SOA;
	return finish(s);
}

int xfr_session_feed(struct xfr_session *s, const uint8_t *msg, size_t len, uint64_t now)
{
	struct dns_rd r;
	struct dns_hdr h;
	int rc;

	if (s->state == S_IDLE || s->state == S_DONE || s->state == S_ERR)
		return DP_EXFR_STATE;
	dns_rd_init(&r, msg, len);
	rc = check_header(s, &r, &h);
	if (rc < 0)
		return rc;
	/* TC before TSIG: a truncated reply is retried over TCP, signed or not. */
	if (h.flags & DNS_F_TC) {
		if (s->type == XFR_SOA)
			return fail(s, DP_EXFR_TC, "SOA reply truncated (TC)");
		return fail(s, DP_EXFR_FORMAT, "message %zu has TC set", s->st.messages + 1);
	}

	s->st.messages++;
	s->st.bytes += len;
	rc = check_limits(s);
	if (rc < 0)
		return rc;

	int trc = s->tsig ? xfr_tsig_verify(s->tsig, msg, len, now) : 0;
	s->st.rcode = (uint16_t)dns_hdr_rcode(&h);
	if (trc == XFR_TSIG_EPEER) {
		s->st.tsig_error = xfr_tsig_ctx_peer_error(s->tsig);
		return fail(s, trc, "%s refused by the primary: TSIG error %u (%s), RCODE %s",
			    type_str(s->type), s->st.tsig_error,
			    s->st.tsig_error == XFR_TSIG_R_BADSIG  ? "BADSIG" :
			    s->st.tsig_error == XFR_TSIG_R_BADKEY  ? "BADKEY" :
			    s->st.tsig_error == XFR_TSIG_R_BADTIME ? "BADTIME" :
								     "other",
			    rcode_str(s->st.rcode));
	}
	/* An error reply is reported as such even when its TSIG does not
	 * verify: nothing of it is used, and the caller only moves on. */
	if (s->st.rcode != DNS_R_NOERROR)
		return fail(s, DP_EXFR_RCODE, "%s answered %s%s", type_str(s->type),
			    rcode_str(s->st.rcode), trc < 0 ? " (TSIG not verified)" : "");
	if (trc < 0)
		return fail(s, trc, "TSIG on message %zu: %s", s->st.messages,
			    xfr_tsig_strerror(trc));

	if (s->type == XFR_SOA)
		return feed_soa(s, &r, &h);

	for (unsigned i = 0; i < h.ancount; i++) {
		struct dns_rr rr;
		rc = dns_rr_parse(&r, &rr, s->rdbuf, sizeof(s->rdbuf));
		if (rc < 0)
			return fail(s, rc, "message %zu, answer record %u: %s", s->st.messages,
				    i + 1, dp_strerror(rc));
		s->st.records++;
		rc = check_limits(s);
		if (rc < 0)
			return rc;
		rc = check_record(s, &rr, s->st.records);
		if (rc < 0)
			return rc;
		rc = on_record(s, &rr);
		if (rc < 0)
			return rc;
	}

	if (s->state == S_DONE)
		return finish(s);
	/* RFC 1995 §4: a lone SOA not newer than ours means we are current. */
	if (s->state == S_SECOND && s->st.messages == 1 && s->st.records == 1 &&
	    dns_serial_cmp(s->st.serial, s->our_serial) != DNS_SERIAL_GT) {
		s->st.kind = XFR_KIND_UPTODATE;
		return finish(s);
	}
	return XFR_MORE;
}

int xfr_session_eof(struct xfr_session *s)
{
	if (s->state == S_DONE)
		return 0;
	if (s->state == S_ERR)
		return s->err;
	if (s->state == S_IDLE)
		return fail(s, DP_EXFR_STATE, "no query was made");
	return fail(s, DP_EXFR_EOF,
		    "%s reply ended after %zu messages, %zu records, without its "
		    "closing SOA",
		    type_str(s->type), s->st.messages, s->st.records);
}

bool xfr_session_done(const struct xfr_session *s)
{
	return s->state == S_DONE;
}

void xfr_session_stats(const struct xfr_session *s, struct xfr_stats *st)
{
	*st = s->st;
}

int xfr_session_error(const struct xfr_session *s)
{
	return s->err;
}

const char *xfr_session_errmsg(const struct xfr_session *s)
{
	return s->errmsg;
}

struct xfr_changeset *xfr_session_take_changesets(struct xfr_session *s, size_t *count)
{
	if (s->state != S_DONE || s->st.kind != XFR_KIND_IXFR) {
		if (count)
			*count = 0;
		return NULL;
	}
	struct xfr_changeset *head = s->cs_head;
	if (count)
		*count = s->st.changesets;
	s->cs_head = s->cs_tail = s->cs_cur = NULL;
	return head;
}

bool xfr_error_wants_axfr(int code)
{
	switch (code) {
	case XFR_TSIG_EBADSIG:
	case XFR_TSIG_EBADKEY:
	case XFR_TSIG_EBADTIME:
	case XFR_TSIG_EBADTRUNC:
	case XFR_TSIG_ENOSIG:
	case XFR_TSIG_EPEER:
	case DP_EXFR_CANCELED:
	case DP_ENOMEM: return false;
	default: return code < 0;
	}
}
