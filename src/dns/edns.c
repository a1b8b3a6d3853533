/* SPDX-License-Identifier: BSD-3-Clause */
#include "dns/edns.h"

#include "dns/name.h"
#include "dns/rrtype.h"

static void set_once(struct dns_edns *e, uint16_t code, struct dns_edns_opt *o, bool valid,
		     const uint8_t *data, uint16_t len)
{
	if (!valid || o->data) { /* bad length, or a known option twice */
		if (!e->bad_option)
			e->bad_option = code;
		return;
	}
	o->data = data;
	o->len = len;
}

int dns_edns_parse(struct dns_rd *r, struct dns_edns *e)
{
	*e = (struct dns_edns){ 0 };
	uint8_t owner[DNS_NAME_MAXLEN];
	int n = dns_name_parse(r, owner);
	if (n < 0)
		return n;
	e->owner_is_root = (n == 1);
	uint16_t type = dns_rd_u16(r);
	e->payload = dns_rd_u16(r);
	e->ext_rcode = dns_rd_u8(r);
	e->version = dns_rd_u8(r);
	e->flags = dns_rd_u16(r);
	uint16_t rdlen = dns_rd_u16(r);
	const uint8_t *opts = dns_rd_ptr(r, rdlen);
	if (r->err)
		return r->err;
	if (type != DNS_T_OPT) {
		r->err = DP_EMALF;
		return DP_EMALF;
	}
	e->options = opts;
	e->options_len = rdlen;

	struct dns_rd o;
	dns_rd_init(&o, opts, rdlen);
	while (dns_rd_left(&o) > 0) {
		uint16_t code = dns_rd_u16(&o);
		uint16_t len = dns_rd_u16(&o);
		const uint8_t *data = dns_rd_ptr(&o, len);
		if (o.err) {
			r->err = DP_EMALF;
			return DP_EMALF;
		}
		switch (code) {
		case DNS_OPT_NSID:
			set_once(e, code, &e->nsid, true, data, len);
			break;
		case DNS_OPT_EXPIRE:
			set_once(e, code, &e->expire, len == 0 || len == 4, data, len);
			break;
		case DNS_OPT_COOKIE:
			/* RFC 7873 §5.2.2: client cookie 8, or 8 + server cookie 8..32. */
			set_once(e, code, &e->cookie, len == 8 || (len >= 16 && len <= 40), data,
				 len);
			break;
		case DNS_OPT_EDE:
			set_once(e, code, &e->ede, len >= 2, data, len);
			break;
		default:
			break;
		}
	}
	return 0;
}

void dns_edns_write(struct dns_wr *w, uint16_t payload, uint8_t ext_rcode, uint16_t flags,
		    const uint8_t *opts, size_t opts_len)
{
	if (opts_len > 65535) {
		if (!w->err)
			w->err = DP_ESPACE;
		return;
	}
	dns_wr_u8(w, 0);
	dns_wr_u16(w, DNS_T_OPT);
	dns_wr_u16(w, payload);
	dns_wr_u8(w, ext_rcode);
	dns_wr_u8(w, 0);
	dns_wr_u16(w, flags);
	dns_wr_u16(w, (uint16_t)opts_len);
	dns_wr_bytes(w, opts, opts_len);
}

void dns_edns_opt_write(struct dns_wr *w, uint16_t code, const void *data, uint16_t len)
{
	dns_wr_u16(w, code);
	dns_wr_u16(w, len);
	dns_wr_bytes(w, data, len);
}
