/* SPDX-License-Identifier: BSD-3-Clause */
#include "dns/msg.h"

int dns_hdr_parse(struct dns_rd *r, struct dns_hdr *h)
{
	h->id = dns_rd_u16(r);
	h->flags = dns_rd_u16(r);
	h->qdcount = dns_rd_u16(r);
	h->ancount = dns_rd_u16(r);
	h->nscount = dns_rd_u16(r);
	h->arcount = dns_rd_u16(r);
	return r->err;
}

void dns_hdr_write(struct dns_wr *w, const struct dns_hdr *h)
{
	dns_wr_u16(w, h->id);
	dns_wr_u16(w, h->flags);
	dns_wr_u16(w, h->qdcount);
	dns_wr_u16(w, h->ancount);
	dns_wr_u16(w, h->nscount);
	dns_wr_u16(w, h->arcount);
}

int dns_question_parse(struct dns_rd *r, struct dns_question *q)
{
	int n = dns_name_parse(r, q->name);
	if (n < 0)
		return n;
	q->name_len = (uint16_t)n;
	q->qtype = dns_rd_u16(r);
	q->qclass = dns_rd_u16(r);
	return r->err;
}

void dns_question_write(struct dns_wr *w, const struct dns_question *q, struct dns_compr *c)
{
	dns_wr_name(w, q->name, c);
	dns_wr_u16(w, q->qtype);
	dns_wr_u16(w, q->qclass);
}

int dns_rr_parse(struct dns_rd *r, struct dns_rr *rr, uint8_t *rdbuf, size_t rdcap)
{
	int n = dns_name_parse(r, rr->owner);
	if (n < 0)
		return n;
	rr->owner_len = (uint16_t)n;
	rr->type = dns_rd_u16(r);
	rr->rclass = dns_rd_u16(r);
	rr->ttl = dns_rd_u32(r);
	size_t rdlen = dns_rd_u16(r);
	if (r->err)
		return r->err;
	int len = dns_rdata_parse(r, rr->type, rdlen, rdbuf, rdcap);
	if (len < 0)
		return len;
	rr->rdlen = (uint16_t)len;
	rr->rdata = rdbuf;
	return 0;
}

int dns_rr_skip(struct dns_rd *r)
{
	uint8_t name[DNS_NAME_MAXLEN];
	int n = dns_name_parse(r, name);
	if (n < 0)
		return n;
	dns_rd_skip(r, 8);
	size_t rdlen = dns_rd_u16(r);
	dns_rd_skip(r, rdlen);
	return r->err;
}

void dns_rr_write(struct dns_wr *w, const struct dns_rr *rr, struct dns_compr *c)
{
	dns_wr_name(w, rr->owner, c);
	dns_wr_u16(w, rr->type);
	dns_wr_u16(w, rr->rclass);
	dns_wr_u32(w, rr->ttl);
	size_t lenpos = w->pos;
	dns_wr_u16(w, 0);
	size_t start = w->pos;
	dns_rdata_write(w, rr->type, rr->rdata, rr->rdlen, c);
	if (w->err)
		return;
	if (w->pos - start > DNS_RDATA_MAXLEN) {
		w->err = DP_ERDATA;
		return;
	}
	dns_wr_u16_at(w, lenpos, (uint16_t)(w->pos - start));
}
