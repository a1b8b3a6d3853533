/* SPDX-License-Identifier: BSD-3-Clause */
#include "zone/answer.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "dns/edns.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "zone/dnssec.h"
#include "zone/resolve.h"

#define EDE_NOT_AUTHORITATIVE 20
#define EDE_INVALID_DATA 24 /* RFC 8914: an expired secondary zone */

void zone_answer_cfg_init(struct answer_cfg *cfg)
{
	*cfg = (struct answer_cfg){ .udp_payload = DNS_EDNS_DEFAULT_PAYLOAD };
}

/*
 * Copies n octets (a prepared answer: tens to hundreds) 16 at a time; the
 * last chunk overlaps the previous one rather than running past the end.
 */
static inline void copy_body(uint8_t *dst, const uint8_t *src, size_t n)
{
	if (n >= 16) {
		size_t i = 0;
		for (; i + 16 < n; i += 16)
			memcpy(dst + i, src + i, 16);
		memcpy(dst + n - 16, src + n - 16, 16);
	} else if (n >= 8) {
		memcpy(dst, src, 8);
		memcpy(dst + n - 8, src + n - 8, 8);
	} else {
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i];
	}
}

/*
 * Starts fetching the cache line at p.  The empty asm statement is there for
 * the compiler: GCC's pure/const analysis does not count __builtin_prefetch
 * as an effect, so it found a helper that only looks up a bucket and
 * prefetches to be "const" and deleted every call to it (GCC 12, -O1 and
 * up; see tests/unit/zone/prefetch_kept.sh).  A volatile asm is an effect
 * the analysis respects; it emits nothing.
 */
static inline void prefetch_line(const void *p)
{
	__builtin_prefetch(p);
	__asm__ volatile("" : : "r"(p));
}

/* What was read from the query. */
struct query {
	struct resolve_name qn;
	uint8_t lname[DNS_NAME_MAXLEN + 8];
	uint16_t qtype, qclass;
	size_t qend;            /* end of the question section */
	bool has_q;
	bool has_opt;
	bool formerr;
	struct dns_edns edns;
};

/* ASCII uppercase letters of a 64-bit word to lowercase, all 8 bytes at once. */
static inline uint64_t lower_word(uint64_t w)
{
	uint64_t low7 = w & UINT64_C(0x7f7f7f7f7f7f7f7f);
	uint64_t ge_a = low7 + UINT64_C(0x3f3f3f3f3f3f3f3f);  /* bit 7 set when >= 'A' */
	uint64_t gt_z = low7 + UINT64_C(0x2525252525252525);  /* bit 7 set when > 'Z' */
	uint64_t upper = ge_a & ~gt_z & ~w & UINT64_C(0x8080808080808080);
	return w | (upper >> 2);
}

/*
 * Reads the question name at offset 12: validates the labels and records
 * their offsets, then makes the lowercase copy and its hash in one pass over
 * whole words.  Compression pointers are refused (a question name has
 * nothing before it to point at).  Returns false when malformed.
 */
static bool read_qname(struct dns_rd *r, struct query *q)
{
	size_t start = r->pos, n = 0;
	unsigned labels = 0;
	for (;;) {
		int l = dns_rd_peek_at(r, start + n);
		if (l < 0 || (l & 0xc0) || n + 1u + (unsigned)l > DNS_NAME_MAXLEN)
			return false;
		if (l == 0)
			break;
		q->qn.loff[labels++] = (uint8_t)n;
		n += 1u + (unsigned)l;
	}
	size_t len = n + 1;
	const uint8_t *src = dns_rd_ptr(r, len);
	if (!src)
		return false;
	copy_body(q->lname, src, len);
	memset(q->lname + len, 0, 8); /* the hash reads whole words */
	uint64_t h = zone_name_hash_init(len);
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w;
		memcpy(&w, q->lname + i, 8);
		w = lower_word(w);
		memcpy(q->lname + i, &w, 8);
		h = zone_name_hash_step(h, w);
	}
	q->qn.name = q->lname;
	q->qn.len = (uint8_t)len;
	q->qn.labels = (uint8_t)labels;
	q->qn.hash = zone_name_hash_final(h);
	return true;
}

/* Steps over one RR, returning its type; sets r->err when malformed. */
static uint16_t skip_rr(struct dns_rd *r)
{
	for (;;) { /* owner: labels, then a root or a pointer */
		uint8_t l = dns_rd_u8(r);
		if (r->err)
			return 0;
		if ((l & 0xc0) == 0xc0) {
			dns_rd_skip(r, 1);
			break;
		}
		if (l & 0xc0) {
			r->err = DP_ELABEL;
			return 0;
		}
		if (l == 0)
			break;
		dns_rd_skip(r, l);
	}
	uint16_t type = dns_rd_u16(r);
	dns_rd_skip(r, 6);
	dns_rd_skip(r, dns_rd_u16(r));
	return type;
}

/* Parses everything after the question; flags FORMERR conditions. */
static void read_rest(struct dns_rd *r, struct query *q, unsigned an, unsigned ns, unsigned ar)
{
	/* The usual EDNS query: exactly one bare OPT (root owner, no options). */
	if (an == 0 && ns == 0 && ar == 1 && dns_rd_left(r) == DNS_EDNS_FIXED_LEN) {
		const uint8_t *o = r->buf + r->pos;
		if (o[0] == 0 && dns_get_u16(o + 1) == DNS_T_OPT && dns_get_u16(o + 9) == 0) {
			/* Only what the engine reads: zeroing the whole struct per
			 * query costs more than the rest of this function. */
			q->edns.payload = dns_get_u16(o + 3);
			q->edns.ext_rcode = o[5];
			q->edns.version = o[6];
			q->edns.flags = dns_get_u16(o + 7);
			q->edns.nsid.data = NULL;
			q->edns.owner_is_root = true;
			q->has_opt = true;
			r->pos = r->len;
			return;
		}
	}
	for (unsigned i = 0; i < an + ns && !r->err; i++)
		if (skip_rr(r) == DNS_T_OPT)
			q->formerr = true; /* OPT outside the additional section */
	for (unsigned i = 0; i < ar && !r->err; i++) {
		size_t start = r->pos;
		if (skip_rr(r) != DNS_T_OPT || r->err)
			continue;
		if (q->has_opt) {
			q->formerr = true;
			q->has_opt = false; /* two OPTs: answer without one */
			continue;
		}
		struct dns_rd o = *r;
		o.pos = start;
		if (dns_edns_parse(&o, &q->edns) < 0)
			q->formerr = true;
		else
			q->has_opt = true;
	}
	if (r->err || r->pos != r->len) {
		/* Counts promise more than is there, or trailing bytes: FORMERR
		 * without an OPT, as Knot answers. */
		q->formerr = true;
		q->has_opt = false;
	}
}

/*
 * The common query, read without the cursor: opcode QUERY, QR clear, one
 * question of class IN that is not a zone transfer, no answer or authority
 * records, and after the question either nothing or one bare OPT of version
 * 0 (root owner, no options).  Nearly every query has this shape, and for it
 * the general reader's per-octet bounds checks, record walk and checks of
 * rare conditions cost more than the rest of the answer.  Every read below is
 * inside pkt[0..len): the name loop reads octet n only when n <= lim, which
 * leaves room for the root, the type and the class; the OPT is read only
 * when exactly its 11 octets follow.  Fills q exactly as read_qname and
 * read_rest would; returns false (q undefined) when the query has another
 * shape, for the general reader to decide about.
 */
static bool read_lean(const uint8_t *pkt, size_t len, struct query *q)
{
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	return false; /* the word tricks below assume little-endian */
#endif
	if (len < DNS_HDR_LEN + 5)
		return false;
	/* QR and opcode clear, QDCOUNT 1, ANCOUNT and NSCOUNT 0, ARCOUNT 0 or 1:
	 * the four counts as one little-endian word are 00 01 00 00 00 00 00 0x,
	 * x the ARCOUNT's low octet. */
	uint64_t counts;
	memcpy(&counts, pkt + 4, 8);
	unsigned arcount = (unsigned)(counts >> 56);
	if ((pkt[2] & 0xf8) != 0 || (counts & ~(UINT64_C(1) << 56)) != UINT64_C(0x0100))
		return false;

	const uint8_t *name = pkt + DNS_HDR_LEN;
	size_t lim = len - DNS_HDR_LEN - 5; /* last offset where the root label fits */
	if (lim > DNS_NAME_MAXLEN - 1)
		lim = DNS_NAME_MAXLEN - 1;
	size_t n = 0;
	unsigned labels = 0;
	for (;;) {
		if (n > lim)
			return false;
		unsigned l = name[n];
		if (l == 0)
			break;
		if (l > DNS_LABEL_MAXLEN)
			return false; /* a pointer or a reserved label type */
		q->qn.loff[labels++] = (uint8_t)n;
		n += 1u + l;
	}
	size_t nlen = n + 1;
	size_t qend = DNS_HDR_LEN + nlen + 4;
	uint16_t qtype = dns_get_u16(pkt + qend - 4);
	if (dns_get_u16(pkt + qend - 2) != DNS_C_IN || qtype == DNS_T_AXFR || qtype == DNS_T_IXFR)
		return false;
	const uint8_t *o = pkt + qend;
	if (arcount == 0) {
		if (len != qend)
			return false;
		q->has_opt = false;
	} else {
		if (len - qend != DNS_EDNS_FIXED_LEN || o[0] != 0 ||
		    dns_get_u16(o + 1) != DNS_T_OPT || o[6] != 0 || dns_get_u16(o + 9) != 0)
			return false;
		q->edns.payload = dns_get_u16(o + 3);
		q->edns.ext_rcode = o[5];
		q->edns.version = 0;
		q->edns.flags = dns_get_u16(o + 7);
		q->edns.nsid.data = NULL;
		q->edns.owner_is_root = true;
		q->has_opt = true;
	}

	/* Lowercase and hash eight octets at a time, as read_qname does.  The
	 * last, partial word is masked; when it would run past the packet it
	 * is read as the eight octets ending with the class, shifted down. */
	uint64_t h = zone_name_hash_init(nlen);
	size_t i = 0;
#ifdef __SSE2__
	/* Sixteen octets at a time where the name is that long: A-Z are the
	 * bytes above 'A' - 1 and below 'Z' + 1 as signed octets (those of 128
	 * and more are negative), as lower_word decides. */
	const __m128i above = _mm_set1_epi8('A' - 1), below = _mm_set1_epi8('Z' + 1);
	const __m128i bit = _mm_set1_epi8(0x20);
	for (; i + 16 <= nlen; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(name + i));
		__m128i up = _mm_and_si128(_mm_cmpgt_epi8(v, above), _mm_cmplt_epi8(v, below));
		v = _mm_or_si128(v, _mm_and_si128(up, bit));
		_mm_storeu_si128((__m128i *)(void *)(q->lname + i), v);
		h = zone_name_hash_step(h, (uint64_t)_mm_cvtsi128_si64(v));
		h = zone_name_hash_step(h, (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v)));
	}
#endif
	for (; i + 8 <= nlen; i += 8) {
		uint64_t w;
		memcpy(&w, name + i, 8);
		w = lower_word(w);
		memcpy(q->lname + i, &w, 8);
		h = zone_name_hash_step(h, w);
	}
	if (i < nlen) {
		size_t rest = nlen - i;
		uint64_t w;
		if (DNS_HDR_LEN + i + 8 <= len) {
			memcpy(&w, name + i, 8);
		} else {
			memcpy(&w, name + nlen - 4, 8); /* rest < 4 here */
			w >>= 8 * (4 - rest);
		}
		w = lower_word(w & (~UINT64_C(0) >> (64 - 8 * rest)));
		memcpy(q->lname + i, &w, 8);
		h = zone_name_hash_step(h, w);
	}
	q->qn.name = q->lname;
	q->qn.len = (uint8_t)nlen;
	q->qn.labels = (uint8_t)labels;
	q->qn.hash = zone_name_hash_final(h);
	q->qtype = qtype;
	q->qclass = DNS_C_IN;
	q->qend = qend;
	q->has_q = true;
	q->formerr = false;
	return true;
}

/* The response header after the ID: flags and the four section counts. */
static void put_header(uint8_t *pkt, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
		       uint16_t ar)
{
	dns_put_u16(pkt + 2, flags);
	dns_put_u16(pkt + 4, qd);
	dns_put_u16(pkt + 6, an);
	dns_put_u16(pkt + 8, ns);
	dns_put_u16(pkt + 10, ar);
}

/* The usual OPT: root owner, our payload, the extended rcode, DO echoed, no options. */
static inline void put_opt_bare(uint8_t *o, uint16_t payload, unsigned rcode, uint16_t flags)
{
	o[0] = 0;
	dns_put_u16(o + 1, DNS_T_OPT);
	dns_put_u16(o + 3, payload);
	o[5] = (uint8_t)(rcode >> 4);
	o[6] = 0;
	dns_put_u16(o + 7, flags & DNS_EDNS_DO);
	dns_put_u16(o + 9, 0);
}

/* Appends the OPT RR at *pos (room was reserved). */
static size_t put_opt(uint8_t *pkt, size_t pos, size_t cap, const struct answer_cfg *cfg,
		      const struct query *q, unsigned rcode, unsigned ede)
{
	if (!ede && !(q->edns.nsid.data && cfg->nsid) && pos + DNS_EDNS_FIXED_LEN <= cap) {
		put_opt_bare(pkt + pos, cfg->udp_payload, rcode, q->edns.flags);
		return pos + DNS_EDNS_FIXED_LEN;
	}
	struct dns_wr w;
	dns_wr_init(&w, pkt, cap);
	w.pos = pos;
	uint8_t opts[4 + ANSWER_NSID_MAX + 6];
	struct dns_wr ow;
	dns_wr_init(&ow, opts, sizeof(opts));
	if (q->edns.nsid.data && cfg->nsid)
		dns_edns_opt_write(&ow, DNS_OPT_NSID, cfg->nsid, cfg->nsid_len);
	if (ede) { /* Extended DNS Error (RFC 8914): the code, no text */
		uint8_t code[2] = { (uint8_t)(ede >> 8), (uint8_t)ede };
		dns_edns_opt_write(&ow, DNS_OPT_EDE, code, sizeof(code));
	}
	dns_edns_write(&w, cfg->udp_payload, (uint8_t)(rcode >> 4),
		       q->edns.flags & DNS_EDNS_DO, opts, ow.err ? 0 : ow.pos);
	return w.err ? pos : w.pos;
}

static size_t opt_size(const struct answer_cfg *cfg, const struct query *q, unsigned ede)
{
	if (!q->has_opt)
		return 0;
	size_t n = DNS_EDNS_FIXED_LEN;
	if (q->edns.nsid.data && cfg->nsid)
		n += 4u + cfg->nsid_len;
	if (ede)
		n += 6;
	return n;
}

/*
 * Finishes a response with no records (FORMERR, NOTIMP, REFUSED, BADVERS):
 * header, the question when there is one, the OPT when the query had one.
 */
static size_t finish_empty(uint8_t *pkt, size_t cap, uint16_t hflags, const struct query *q,
			   const struct answer_cfg *cfg, unsigned rcode, unsigned ede,
			   struct answer_info *info)
{
	size_t pos = q->has_q ? q->qend : DNS_HDR_LEN;
	size_t optlen = opt_size(cfg, q, ede);
	if (pos + optlen > cap) {
		info->drop = ANSWER_DROP_SPACE;
		return 0;
	}
	put_header(pkt, (uint16_t)(hflags | (rcode & DNS_RCODE_MASK)), q->has_q ? 1 : 0, 0, 0,
		   q->has_opt ? 1 : 0);
	if (q->has_opt)
		pos = put_opt(pkt, pos, cap, cfg, q, rcode, ede);
	info->rcode = (uint8_t)rcode;
	return pos;
}

/* Case-insensitive match of the lowercase question name against a text name. */
static bool qname_is(const struct query *q, const char *text)
{
	uint8_t name[DNS_NAME_MAXLEN];
	int n = dns_name_from_text(text, NULL, name);
	return n > 0 && n == q->qn.len && memcmp(name, q->lname, (size_t)n) == 0;
}

/* CHAOS class: version.bind/version.server and hostname.bind/id.server TXT. */
static size_t answer_chaos(uint8_t *pkt, size_t limit, uint16_t hflags, const struct query *q,
			   const struct answer_cfg *cfg, struct answer_info *info)
{
	const char *text = NULL;
	if (q->qtype == DNS_T_TXT) {
		if (qname_is(q, "version.bind.") || qname_is(q, "version.server."))
			text = cfg->version;
		else if (qname_is(q, "hostname.bind.") || qname_is(q, "id.server."))
			text = cfg->identity;
	}
	if (!text)
		return finish_empty(pkt, limit, hflags, q, cfg, DNS_R_REFUSED, false, info);

	size_t optlen = opt_size(cfg, q, false);
	struct dns_wr w;
	dns_wr_init(&w, pkt, limit > optlen ? limit - optlen : 0);
	w.pos = q->qend;
	dns_wr_u16(&w, 0xc000 | DNS_HDR_LEN);
	dns_wr_u16(&w, DNS_T_TXT);
	dns_wr_u16(&w, DNS_C_CH);
	dns_wr_u32(&w, 0);
	size_t tlen = strlen(text);
	size_t rdlen = tlen + (tlen + 254) / 255 + (tlen == 0);
	dns_wr_u16(&w, (uint16_t)rdlen);
	size_t done = 0;
	do {
		size_t chunk = tlen - done > 255 ? 255 : tlen - done;
		dns_wr_u8(&w, (uint8_t)chunk);
		dns_wr_bytes(&w, text + done, chunk);
		done += chunk;
	} while (done < tlen);
	if (w.err || rdlen > 65535) {
		size_t n = finish_empty(pkt, limit, hflags | DNS_F_TC, q, cfg, DNS_R_NOERROR, false,
					info);
		info->tc = true;
		return n;
	}
	put_header(pkt, hflags, 1, 1, 0, q->has_opt ? 1 : 0);
	return q->has_opt ? put_opt(pkt, w.pos, limit, cfg, q, 0, false) : w.pos;
}

/*
 * The zone with the longest origin that contains the question name.  DS
 * lives on the parent side of a cut (RFC 4035 §3.1.4.1): DS for a zone's
 * apex comes from its parent zone when that is served too.
 */
static const struct zone_snap *select_zone(const struct zone_table *t, const struct query *q)
{
	if (!t)
		return NULL;
	if (t->nzones == 1) {
		/* One zone: the name is in it or in none (no parent for DS). */
		const struct zone_snap *s = t->zones[0];
		if (s->origin_labels > q->qn.labels)
			return NULL;
		const uint8_t *suffix = zone_resolve_suffix(&q->qn, s->origin_labels);
		if (q->lname + q->qn.len - suffix != s->origin_len ||
		    !zone_bytes_eq(suffix, s->origin, s->origin_len))
			return NULL;
		return s;
	}
	const struct zone_snap *apex_zone = NULL;
	if (t->nzones <= 8) {
		/* Few zones (the usual POP): compare suffixes, no hashing. */
		const struct zone_snap *best = NULL, *parent = NULL;
		for (uint32_t i = 0; i < t->nzones; i++) {
			const struct zone_snap *s = t->zones[i];
			if (s->origin_labels > q->qn.labels)
				continue;
			const uint8_t *suffix = zone_resolve_suffix(&q->qn, s->origin_labels);
			if (q->lname + q->qn.len - suffix != s->origin_len ||
			    !zone_bytes_eq(suffix, s->origin, s->origin_len))
				continue;
			if (!best || s->origin_labels > best->origin_labels) {
				parent = best;
				best = s;
			} else if (!parent || s->origin_labels > parent->origin_labels) {
				parent = s;
			}
		}
		if (best && parent && q->qtype == DNS_T_DS && best->origin_labels == q->qn.labels &&
		    q->qn.labels > 0)
			return parent; /* DS at a served child's apex: the parent's */
		return best;
	}
	for (int k = q->qn.labels; k >= 0; k--) {
		if (!(t->label_mask[k >> 6] >> (k & 63) & 1))
			continue;
		const uint8_t *suffix = zone_resolve_suffix(&q->qn, (unsigned)k);
		size_t len = q->qn.len - (size_t)(suffix - q->lname);
		const struct zone_snap *s =
			zone_table_find(t, suffix, len, zone_resolve_suffix_hash(&q->qn, (unsigned)k));
		if (!s)
			continue;
		if (q->qtype == DNS_T_DS && k == q->qn.labels && k > 0) {
			apex_zone = s;
			continue;
		}
		return s;
	}
	return apex_zone;
}

static const struct snap_frag *nodata(const struct zone_snap *s)
{
	return s->frag_nodata == SNAP_NONE ? NULL : zone_snap_frag_at(s, s->frag_nodata);
}

/*
 * A type the name h has no prepared answer for: NODATA, except at a CNAME,
 * whose answer is the chain followed by NODATA (snap.c prepares that only
 * for the types the chain's end has, so that no per-name answer holds the
 * SOA): the reference resolver writes it.
 */
static const struct snap_frag *nodata_at(const struct zone_snap *s, const struct snap_hot *h)
{
	return (h->flags & SNAP_N_CNAME) ? NULL : nodata(s);
}

/* The referral prepared at cut c, or NULL when the resolver must answer. */
static const struct snap_frag *referral(const struct snap_hot *c)
{
	if ((c->flags & (SNAP_N_DELEG | SNAP_N_SLOW)) != SNAP_N_DELEG)
		return NULL; /* a DNAME, or a cut whose referral could not be prepared */
	return zone_snap_frag(c, 0);
}

/*
 * find_frag for a name that is not in the index: the closest encloser, the
 * longest existing ancestor (the apex at last), decides between a
 * referral, a wildcard answer and NXDOMAIN.
 */
static __attribute__((noinline)) const struct snap_frag *
find_encloser(const struct zone_snap *s, const struct query *q)
{
	for (int k = q->qn.labels - 1; k >= s->origin_labels; k--) {
		const struct snap_hot *a;
		if (k == s->origin_labels) {
			a = zone_snap_hot(s, s->apex_hot);
		} else {
			const uint8_t *suffix = zone_resolve_suffix(&q->qn, (unsigned)k);
			size_t plen = q->qn.len - s->origin_len - (size_t)(suffix - q->lname);
			a = zone_snap_find_hot(s, suffix, plen,
					       zone_resolve_suffix_hash(&q->qn, (unsigned)k));
			if (!a)
				continue;
		}
		if (a->flags & SNAP_N_BELOW)
			a = zone_snap_hot(s, a->link);
		if (a->flags & (SNAP_N_DELEG | SNAP_N_DNAME))
			return referral(a);
		if (a->link != SNAP_NONE) {
			const struct snap_hot *w = zone_snap_hot(s, a->link);
			if (w->flags & SNAP_N_SLOW)
				return NULL;
			const struct snap_frag *f = zone_snap_frag(w, q->qtype);
			return f ? f : nodata_at(s, w);
		}
		break;
	}
	return s->frag_nxdomain == SNAP_NONE ? NULL : zone_snap_frag_at(s, s->frag_nxdomain);
}

/* What a burst's block fetch learned of a name's lookup (prefetch_block). */
enum probe {
	PROBE_UNKNOWN, /* nothing: look it up */
	PROBE_FOUND,   /* the first bucket with its hash: cand, owner not yet compared */
	PROBE_ABSENT,  /* an empty bucket came before any with its hash: not in the index */
};

/*
 * Finds the prepared answer for the query in s; NULL means "ask the
 * reference resolver".  Mirrors zone_resolve's first step exactly.  A hit
 * reads the bucket and the name's hot block, nothing else; the cut above a
 * name and the wildcard below one are linked from its hot block.  probe and
 * cand: what a burst's block fetch already found (PROBE_UNKNOWN otherwise).
 */
static inline const struct snap_frag *find_frag(const struct zone_snap *s, const struct query *q,
					       enum probe probe, const struct snap_hot *cand)
{
	/* ANY and RRSIG: the resolver answers (rare queries; an RRSIG fragment
	 * would make every signed name's hot block longer). */
	if (q->qtype == DNS_T_ANY || q->qtype == DNS_T_RRSIG)
		return NULL;
	size_t plen = q->qn.len - s->origin_len;
	const struct snap_hot *h;
	if (probe == PROBE_FOUND && cand->plen == plen && zone_bytes_eq(cand->owner, q->lname, plen))
		h = cand;
	else if (probe == PROBE_ABSENT)
		h = NULL;
	else /* unknown, or the hash matched another name: the whole probe */
		h = zone_snap_find_hot(s, q->lname, plen, q->qn.hash);
	if (!h)
		return find_encloser(s, q);
	if (h->flags & (SNAP_N_BELOW | SNAP_N_SLOW))
		return (h->flags & SNAP_N_BELOW) ? referral(zone_snap_hot(s, h->link)) : NULL;
	const struct snap_frag *f = zone_snap_frag(h, q->qtype);
	return f ? f : nodata_at(s, h);
}

/*
 * Chooses how much of a body with these cuts fits in room octets.  Returns the
 * cut index to keep up to (-1: nothing), and sets *tc.  Knot's rules: losing
 * answer/authority data empties the sections; losing referral glue keeps
 * what fits with TC.  (Additional data that does not fit never gets here:
 * the resolver skips it as it writes.)
 */
static int fit_cuts(const struct snap_cut *cuts, unsigned ncut, size_t room, bool *tc)
{
	int keep = -1;
	for (unsigned i = 0; i < ncut && cuts[i].off <= room; i++)
		keep = (int)i;
	*tc = false;
	if (keep == (int)ncut - 1)
		return keep;
	unsigned first_lost = (unsigned)(keep + 1);
	for (unsigned i = first_lost; i < ncut; i++) {
		if (cuts[i].kind == SNAP_CUT_REQUIRED) {
			*tc = true;
			return -1;
		}
	}
	if (cuts[first_lost].kind == SNAP_CUT_GLUE)
		*tc = true;
	return keep;
}

/* Re-aims the compression pointers of a fragment written at pkt + body. */
static void relocate(uint8_t *pkt, size_t body, const struct query *q, const struct snap_frag *f)
{
	const struct snap_reloc *r = snap_frag_relocs(f);
	unsigned labels = q->qn.labels;
	for (unsigned i = 0; i < f->nreloc; i++) {
		unsigned v = r[i].val;
		size_t target;
		/* A suffix of v labels starts at label labels - v; the whole name
		 * (SNAP_RELOC_QNAME, or v >= labels) at offset 12. */
		if (v & SNAP_RELOC_FRAG)
			target = body + (v & 0x3fff);
		else
			target = DNS_HDR_LEN + (v < labels ? q->qn.loff[labels - v] : 0u);
		dns_put_u16(pkt + body + r[i].site, (uint16_t)(0xc000 | target));
	}
}

/* Writes fragment f as the answer; the caller has checked that it fits in limit. */
static inline size_t answer_frag(uint8_t *pkt, size_t limit, uint16_t hflags,
				 const struct query *q, const struct answer_cfg *cfg,
				 const struct snap_frag *f, struct answer_info *info)
{
	size_t body = q->qend;
	uint16_t len = f->len;
	copy_body(pkt + body, f->body, len);
	if (f->nreloc)
		relocate(pkt, body, q, f);
	memcpy(pkt + 2, f->hdr, sizeof(f->hdr));
	pkt[2] |= (uint8_t)(hflags >> 8);
	pkt[3] |= (uint8_t)hflags;
	info->rcode = (uint8_t)snap_frag_rcode(f);
	size_t end = body + len;
	if (!q->has_opt)
		return end;
	dns_put_u16(pkt + 10, (uint16_t)(dns_get_u16(pkt + 10) + 1));
	if (q->edns.nsid.data && cfg->nsid)
		return put_opt(pkt, end, limit, cfg, q, info->rcode, false);
	put_opt_bare(pkt + end, cfg->udp_payload, info->rcode, q->edns.flags);
	return end + DNS_EDNS_FIXED_LEN;
}

/* The query has DO (RFC 3225) and the zone is signed: RRSIGs and proofs go in. */
static inline bool want_dnssec(const struct zone_snap *s, const struct query *q)
{
	return q->has_opt && (q->edns.flags & DNS_EDNS_DO) && s->dnssec;
}

static __attribute__((noinline)) size_t
answer_slow(const struct zone_snap *s, uint8_t *pkt, size_t limit, uint16_t hflags,
	    const struct query *q, const struct answer_cfg *cfg, struct answer_info *info)
{
	size_t optlen = opt_size(cfg, q, false);
	struct resolve_out o;
	zone_resolve_out_init(&o, pkt, limit - optlen, q->qn.len, NULL, 0);
	o.dnssec = want_dnssec(s, q);
	zone_resolve(s, &q->qn, q->qtype, &o);

	uint16_t an = o.an, ns = o.ns, ar = o.ar;
	size_t end = o.w.pos;
	bool tc = false;
	if (o.w.err) {
		/* Something did not fit: the RRsets written completely are the
		 * cuts; what was lost decides TC exactly as for a fragment.  The
		 * lost RRset is REQUIRED unless the answer had reached the
		 * additional section. */
		struct snap_cut lost = { .off = UINT16_MAX, .kind = SNAP_CUT_REQUIRED };
		if (o.lost_kind >= 0)
			lost.kind = (uint16_t)o.lost_kind;
		if (o.ncut == RESOLVE_MAX_CUTS)
			o.ncut--; /* make room: the last kept RRset is then lost too */
		o.cuts[o.ncut++] = lost;
		int keep = fit_cuts(o.cuts, o.ncut, limit - optlen, &tc);
		if (keep < 0) {
			an = ns = ar = 0;
			end = q->qend;
		} else {
			an = o.cuts[keep].an;
			ns = o.cuts[keep].ns;
			ar = o.cuts[keep].ar;
			end = o.cuts[keep].off;
		}
	}
	put_header(pkt, (uint16_t)(hflags | o.flags | (tc ? DNS_F_TC : 0)), 1, an, ns,
		   (uint16_t)(ar + (q->has_opt ? 1 : 0)));
	info->rcode = o.flags & DNS_RCODE_MASK;
	info->tc = tc;
	info->slow = true;
	return q->has_opt ? put_opt(pkt, end, limit, cfg, q, info->rcode, false) : end;
}

/* A query between the stages of answering. */
struct answer_ctx {
	struct query q;
	const struct zone_snap *s;
	size_t limit;
	uint16_t hflags;
	uint16_t optlen;        /* octets the OPT will take */
	uint32_t phash;         /* hash of the parent name, when it is below the apex */
	const struct snap_bucket *hb, *phb; /* first buckets of the name and the parent */
	enum probe probe;       /* what the burst's block fetch found */
	const struct snap_hot *cand; /* with PROBE_FOUND */
	/* A DO query planned ahead in a burst (see plan_do): 0 not planned;
	 * NXDOMAIN of an NSEC3 zone: 1 hashed, 2 slot read, 3 nx_ci found;
	 * 4: a name with a DO block, whose block was fetched. */
	uint8_t nx_stage;
	uint32_t nx_ci;
	uint8_t nx_hash[ZONE_NSEC3_HASH_LEN];
};

/* ---- DO queries on signed zones (zone/dnssec.h) ---- */

static inline const struct snap_frag *do_at(const struct zone_dnssec *d, uint32_t off)
{
	return (const struct snap_frag *)(const void *)(d->do_arena + off);
}

/* The DO answer prepared for qtype in block blk (exact, else with want0 the qtype-0 entry). */
static const struct snap_frag *do_lookup(const struct zone_dnssec *d, uint32_t blk, uint16_t qtype,
					 bool want0)
{
	const uint8_t *base = d->do_arena + blk;
	const struct zone_do_block *b = (const struct zone_do_block *)(const void *)base;
	const struct snap_ans *a =
		(const struct snap_ans *)(const void *)(base + sizeof(struct zone_do_block));
	const struct snap_frag *dflt = NULL;
	for (unsigned i = 0; i < b->nans; i++) {
		const struct snap_frag *f =
			(const struct snap_frag *)(const void *)(base + a[i].frag * 4u);
		if (a[i].qtype == qtype)
			return f;
		if (a[i].qtype == 0 && want0)
			dflt = f;
	}
	return dflt;
}

/* Writes the prepared DO fragment f, or returns 0 (the resolver answers) when it does not fit. */
static size_t do_frag(uint8_t *pkt, const struct answer_ctx *c, const struct answer_cfg *cfg,
		      const struct snap_frag *f, struct answer_info *info)
{
	if (!f || c->q.qend + f->len + c->optlen > c->limit)
		return 0;
	return answer_frag(pkt, c->limit, c->hflags, &c->q, cfg, f, info);
}

/*
 * A negative answer assembled from the zone's head (SOA and RRSIG) and the
 * proof pieces pc[0..n) (NSEC3 record sets with their RRSIGs, each once),
 * exactly as the reference resolver writes it.  Returns 0 when it does not
 * fit (the resolver then truncates) or cannot be written.
 */
static size_t do_compose(uint8_t *pkt, const struct answer_ctx *c, const struct answer_cfg *cfg,
			 uint32_t head, const uint32_t *pc, unsigned n, struct answer_info *info)
{
	const struct zone_dnssec *d = c->s->dnssec;
	const struct query *q = &c->q;
	if (head == SNAP_NONE)
		return 0;
	const struct snap_frag *hd = do_at(d, head);
	size_t total = hd->len;
	uint16_t nrr = 0;
	for (unsigned i = 0; i < n; i++) {
		if (d->chain[pc[i]].piece == SNAP_NONE)
			return 0;
		const struct zone_piece *p = (const struct zone_piece *)(const void *)(d->do_arena +
										    d->chain[pc[i]].piece);
		total += p->len;
		nrr = (uint16_t)(nrr + p->nrr);
	}
	size_t body = q->qend;
	if (body + total + c->optlen > c->limit || body + total > 0x3fff)
		return 0; /* too big for the client, or for compression pointers */
	copy_body(pkt + body, hd->body, hd->len);
	relocate(pkt, body, q, hd);
	size_t at = body + hd->len;
	for (unsigned i = 0; i < n; i++) {
		const struct zone_piece *p = (const struct zone_piece *)(const void *)(d->do_arena +
										    d->chain[pc[i]].piece);
		copy_body(pkt + at, p->body, p->len);
		const struct snap_reloc *r = zone_piece_relocs(p);
		for (unsigned k = 0; k < p->nreloc; k++) {
			uint16_t v = r[k].val;
			size_t target;
			if (v & ZONE_PIECE_SELF)
				target = at + (v & 0x3fff);
			else if (v & ZONE_PIECE_HEAD)
				target = body + (v & 0x3fff);
			else if (v >= q->qn.labels)
				target = DNS_HDR_LEN;
			else
				target = DNS_HDR_LEN + q->qn.loff[q->qn.labels - v];
			dns_put_u16(pkt + at + r[k].site, (uint16_t)(0xc000 | target));
		}
		at += p->len;
	}
	memcpy(pkt + 2, hd->hdr, sizeof(hd->hdr));
	pkt[2] |= (uint8_t)(c->hflags >> 8);
	pkt[3] |= (uint8_t)c->hflags;
	dns_put_u16(pkt + 8, (uint16_t)(dns_get_u16(pkt + 8) + nrr));
	info->rcode = (uint8_t)snap_frag_rcode(hd);
	if (!q->has_opt)
		return at;
	dns_put_u16(pkt + 10, (uint16_t)(dns_get_u16(pkt + 10) + 1));
	if (q->edns.nsid.data && cfg->nsid)
		return put_opt(pkt, at, c->limit, cfg, q, info->rcode, false);
	put_opt_bare(pkt + at, cfg->udp_payload, info->rcode, q->edns.flags);
	return at + DNS_EDNS_FIXED_LEN;
}

/* The DO referral at cut block a, or 0 (a DNAME, or not prepared). */
static size_t do_referral(uint8_t *pkt, const struct answer_ctx *c, const struct answer_cfg *cfg,
			  const struct snap_hot *a, struct answer_info *info)
{
	const struct zone_dnssec *d = c->s->dnssec;
	if ((a->flags & (SNAP_N_DELEG | SNAP_N_SLOW)) != SNAP_N_DELEG ||
	    d->do_block[a->node] == SNAP_NONE)
		return 0;
	return do_frag(pkt, c, cfg, do_lookup(d, d->do_block[a->node], 0, false), info);
}

/*
 * For a DO query whose name the zone does not have, walks to the closest
 * encloser as find_encloser does.  Returns the encloser's hot block (*k its
 * label count) when the answer is NXDOMAIN; NULL with *cut set for a
 * referral; NULL with *cut NULL when the resolver must answer (wildcard).
 */
static const struct snap_hot *do_walk(const struct answer_ctx *c, int *k,
				      const struct snap_hot **cut)
{
	const struct zone_snap *s = c->s;
	const struct query *q = &c->q;
	*cut = NULL;
	for (int l = q->qn.labels - 1; l >= s->origin_labels; l--) {
		const struct snap_hot *a;
		if (l == s->origin_labels) {
			a = zone_snap_hot(s, s->apex_hot);
		} else {
			const uint8_t *suffix = zone_resolve_suffix(&q->qn, (unsigned)l);
			size_t plen = q->qn.len - s->origin_len - (size_t)(suffix - q->lname);
			a = zone_snap_find_hot(s, suffix, plen,
					       zone_resolve_suffix_hash(&q->qn, (unsigned)l));
			if (!a)
				continue;
		}
		if (a->flags & SNAP_N_BELOW)
			a = zone_snap_hot(s, a->link);
		if (a->flags & (SNAP_N_DELEG | SNAP_N_DNAME)) {
			*cut = a;
			return NULL;
		}
		if (a->link != SNAP_NONE)
			return NULL; /* a wildcard answer: its proof depends on the name */
		*k = l;
		return a;
	}
	return NULL;
}

/*
 * Whether the NSEC3 NXDOMAIN below encloser a (k labels) can be assembled,
 * and if so the next closer name's hash into h.
 */
static bool nx_hash(const struct answer_ctx *c, const struct snap_hot *a, int k,
		    uint8_t h[ZONE_NSEC3_HASH_LEN])
{
	const struct zone_snap *s = c->s;
	const struct zone_dnssec *d = s->dnssec;
	const struct query *q = &c->q;
	if (d->denial != ZONE_DENIAL_NSEC3 || d->match[a->node] == SNAP_NONE)
		return false; /* opt-out: the closest provable encloser is further up */
	/* A name ending in "<32 octets>.<origin>" may end with an NSEC3 owner,
	 * which the resolver compresses against the question: let it answer. */
	if (q->qn.labels > s->origin_labels &&
	    q->lname[q->qn.loff[q->qn.labels - s->origin_labels - 1]] == 32)
		return false;
	zone_nsec3_hash(d, zone_resolve_suffix(&q->qn, (unsigned)k + 1), h);
	return true;
}

/*
 * A DO query for a name the zone does not have: a referral, or for
 * NXDOMAIN in an NSEC3 zone the closest encloser proof (RFC 5155 §7.2.2):
 * the closest encloser's NSEC3 and the one covering "*.<encloser>" were
 * found when the snapshot was built; only the next closer name is hashed
 * (in a burst already, by plan_nxdomain).
 */
static __attribute__((noinline)) size_t
do_encloser(uint8_t *pkt, const struct answer_ctx *c, const struct answer_cfg *cfg,
	    struct answer_info *info)
{
	const struct zone_dnssec *d = c->s->dnssec;
	const struct snap_hot *cut;
	int k;
	const struct snap_hot *a = do_walk(c, &k, &cut);
	if (!a)
		return cut ? do_referral(pkt, c, cfg, cut, info) : 0;
	uint32_t ce = a->node, nc;
	if (c->nx_stage == 3) {
		nc = c->nx_ci;
	} else {
		uint8_t h[ZONE_NSEC3_HASH_LEN];
		bool exact;
		if (!nx_hash(c, a, k, h))
			return 0;
		nc = zone_nsec3_find(d, h, &exact);
	}
	uint32_t pc[3] = { d->match[ce], nc, d->wild[ce] };
	unsigned n = 1;
	if (pc[1] != pc[0])
		n++;
	else
		pc[1] = pc[2];
	if (pc[2] != SNAP_NONE && pc[2] != pc[0] && pc[2] != pc[n - 1])
		pc[n++] = pc[2];
	return do_compose(pkt, c, cfg, d->nxdomain_head, pc, n, info);
}

/*
 * The memory a burst of DO answers needs is random and mostly not cached:
 * for a name the zone has, its DO block; for NXDOMAIN in an NSEC3 zone the
 * chain's directory slot, the chain entry and the proof piece.  Fetch it
 * for every DO query of the burst in passes before any is answered, so
 * that the misses overlap (one query's would add up to several hundred
 * nanoseconds).
 */
static void plan_do(struct answer_ctx *c, const bool *more, unsigned n)
{
	bool any = false;
	for (unsigned i = 0; i < n; i++) {
		const struct zone_dnssec *d;
		const struct snap_hot *a, *cut, *h;
		int k;
		if (!more[i] || !c[i].s->hot_ready || !want_dnssec(c[i].s, &c[i].q) ||
		    !(d = c[i].s->dnssec)->do_block ||
		    c[i].q.qtype == DNS_T_ANY)
			continue;
		h = zone_snap_find_hot(c[i].s, c[i].q.lname, c[i].q.qn.len - c[i].s->origin_len,
				       c[i].q.qn.hash);
		if (h) {
			if (!(h->flags & (SNAP_N_BELOW | SNAP_N_SLOW))) {
				prefetch_line(&d->do_block[h->node]);
				c[i].nx_stage = 4;
				any = true;
			}
			continue;
		}
		if (!d->dir || !(a = do_walk(&c[i], &k, &cut)) || !nx_hash(&c[i], a, k, c[i].nx_hash))
			continue;
		uint32_t b = zone_nsec3_slot(d, c[i].nx_hash);
		prefetch_line(&d->dir[b]);
		prefetch_line(&d->dir[b + 1]);
		c[i].nx_stage = 1;
		any = true;
	}
	if (!any)
		return;
	for (unsigned i = 0; i < n; i++) {
		if (!more[i]) /* its context is not filled in */
			continue;
		const struct zone_dnssec *d = c[i].s->dnssec;
		if (c[i].nx_stage == 4) {
			const struct snap_hot *h =
				zone_snap_find_hot(c[i].s, c[i].q.lname,
						   c[i].q.qn.len - c[i].s->origin_len, c[i].q.qn.hash);
			uint32_t blk = d->do_block[h->node];
			if (blk != SNAP_NONE)
				for (unsigned l = 0; l < 4; l++)
					prefetch_line(d->do_arena + blk + 64 * l);
		}
		if (c[i].nx_stage != 1)
			continue;
		uint32_t b = zone_nsec3_slot(d, c[i].nx_hash);
		uint32_t lo = d->dir[b], hi = d->dir[b + 1];
		prefetch_line(&d->chain[lo ? lo - 1 : d->nchain - 1]);
		if (hi > lo)
			prefetch_line(&d->chain[hi - 1]);
		c[i].nx_stage = 2;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!more[i] || c[i].nx_stage != 2)
			continue;
		const struct zone_dnssec *d = c[i].s->dnssec;
		bool exact;
		c[i].nx_ci = zone_nsec3_find(d, c[i].nx_hash, &exact);
		uint32_t piece = d->chain[c[i].nx_ci].piece;
		if (piece != SNAP_NONE)
			for (unsigned l = 0; l < 4; l++)
				prefetch_line(d->do_arena + piece + 64 * l);
		c[i].nx_stage = 3;
	}
}

/*
 * The answer to a DO query on a signed zone from its prepared DO answers, or
 * 0 when the reference resolver must answer (ANY, RRSIG, wildcards, DNAME,
 * NSEC denial of names the zone does not have, opt-out gaps, too big).
 */
static size_t answer_do(const struct answer_cfg *cfg, uint8_t *pkt, const struct answer_ctx *c,
			struct answer_info *info)
{
	const struct zone_snap *s = c->s;
	const struct zone_dnssec *d = s->dnssec;
	const struct query *q = &c->q;
	if (q->qtype == DNS_T_ANY || !d->do_block)
		return 0;
	const struct snap_hot *h =
		zone_snap_find_hot(s, q->lname, q->qn.len - s->origin_len, q->qn.hash);
	if (!h)
		return do_encloser(pkt, c, cfg, info);
	if (h->flags & SNAP_N_BELOW)
		return do_referral(pkt, c, cfg, zone_snap_hot(s, h->link), info);
	uint32_t blk = d->do_block[h->node];
	if ((h->flags & SNAP_N_SLOW) || blk == SNAP_NONE)
		return 0;
	const struct snap_frag *f = do_lookup(d, blk, q->qtype, q->qtype != DNS_T_RRSIG);
	if (f)
		return do_frag(pkt, c, cfg, f, info);
	if (q->qtype == DNS_T_RRSIG || d->denial != ZONE_DENIAL_NSEC3 ||
	    d->match[h->node] == SNAP_NONE)
		return 0;
	uint32_t m = d->match[h->node];
	return do_compose(pkt, c, cfg, d->nodata_head, &m, 1, info); /* NODATA */
}

/* The UDP size limit (RFC 6891 §6.2.5), or the TCP one; never above cap. */
static inline size_t size_limit(const struct answer_cfg *cfg, const struct query *q, size_t cap,
				bool tcp)
{
	size_t limit = tcp ? 65535 : DNS_UDP_MIN;
	if (!tcp && q->has_opt) {
		size_t p = q->edns.payload < cfg->udp_payload ? q->edns.payload : cfg->udp_payload;
		limit = p > DNS_UDP_MIN ? p : DNS_UDP_MIN;
	}
	return limit > cap ? cap : limit;
}

/*
 * The end of the first stage for a query of class IN: choose its zone.
 * Returns true when the zone's answer is needed (c->s set); otherwise the
 * response (REFUSED) or the drop is final and its length is in *out.
 */
static inline bool prepare_zone(const struct zone_table *t, const struct answer_cfg *cfg,
				uint8_t *pkt, struct answer_ctx *c, struct answer_info *info,
				size_t *out)
{
	const struct query *q = &c->q;
	c->nx_stage = 0;
	c->probe = PROBE_UNKNOWN; /* until a burst's block fetch says more */
	c->s = select_zone(t, q);
	if (c->s && __builtin_expect(t->any_expired, 0) && zone_table_is_expired(t, c->s)) {
		/* A secondary past its expire deadline has nothing it may answer. */
		info->zone = c->s;
		*out = finish_empty(pkt, c->limit, c->hflags, q, cfg, DNS_R_SERVFAIL,
				    EDE_INVALID_DATA, info);
		return false;
	}
	if (c->s) {
		info->zone = c->s;
		c->optlen = (uint16_t)opt_size(cfg, q, false);
		if (q->qend + c->optlen <= c->limit)
			return true;
		info->drop = ANSWER_DROP_SPACE;
		*out = 0;
		return false;
	}
	*out = finish_empty(pkt, c->limit, c->hflags, q, cfg, DNS_R_REFUSED, EDE_NOT_AUTHORITATIVE,
			    info);
	return false;
}

/* answer_prepare for every query read_lean does not take. */
static __attribute__((noinline)) bool
prepare_general(const struct zone_table *t, const struct answer_cfg *cfg, uint8_t *pkt,
		size_t len, size_t cap, bool tcp, struct answer_ctx *c, struct answer_info *info,
		size_t *out)
{
	*info = (struct answer_info){ 0 };
	*out = 0;
	if (len < DNS_HDR_LEN || cap < len) {
		info->drop = ANSWER_DROP_SHORT;
		return false;
	}
	struct dns_rd r;
	dns_rd_init(&r, pkt, len);
	/* len >= 12 was checked: read the header directly. */
	struct dns_hdr h = { dns_get_u16(pkt), dns_get_u16(pkt + 2), dns_get_u16(pkt + 4),
			     dns_get_u16(pkt + 6), dns_get_u16(pkt + 8), dns_get_u16(pkt + 10) };
	r.pos = DNS_HDR_LEN;
	if (h.flags & DNS_F_QR) {
		info->drop = ANSWER_DROP_RESPONSE;
		return false;
	}
	if (h.qdcount > 1) {
		info->drop = ANSWER_DROP_QDCOUNT;
		return false;
	}

	struct query *q = &c->q;
	q->has_q = false;
	q->has_opt = false;
	q->formerr = false;
	q->qtype = 0;
	q->qclass = 0;
	if (h.qdcount == 1) {
		if (!read_qname(&r, q)) {
			info->drop = ANSWER_DROP_QUESTION;
			return false;
		}
		q->qtype = dns_rd_u16(&r);
		q->qclass = dns_rd_u16(&r);
		if (r.err) {
			info->drop = ANSWER_DROP_QUESTION;
			return false;
		}
		q->has_q = true;
		q->qend = r.pos;
	} else {
		q->formerr = true; /* no question */
		q->qend = DNS_HDR_LEN;
	}
	info->qtype = q->qtype;
	read_rest(&r, q, h.ancount, h.nscount, h.arcount);

	unsigned opcode = dns_hdr_opcode(&h);
	uint16_t hflags = (uint16_t)(DNS_F_QR | (h.flags & (DNS_OPCODE_MASK | DNS_F_RD)));
	c->hflags = hflags;
	size_t limit = size_limit(cfg, q, cap, tcp);
	c->limit = limit;

	unsigned rcode;
	if (q->formerr) {
		rcode = DNS_R_FORMERR;
	} else if (q->has_opt && q->edns.version > 0) {
		rcode = DNS_R_BADVERS;
	} else if (opcode == DNS_OP_NOTIFY) {
		rcode = DNS_R_NOTAUTH; /* the slow path takes NOTIFY; alone we are not authorized */
	} else if (opcode == DNS_OP_UPDATE) {
		/* A secondary has no UPDATE: NOTIMP, header only (NSD). */
		q->has_q = false;
		q->has_opt = false;
		rcode = DNS_R_NOTIMP;
	} else if (opcode != DNS_OP_QUERY) {
		rcode = DNS_R_NOTIMP;
	} else if (q->qclass == DNS_C_CH) {
		*out = answer_chaos(pkt, limit, hflags, q, cfg, info);
		return false;
	} else if (q->qclass != DNS_C_IN && q->qclass != DNS_C_ANY) {
		rcode = DNS_R_REFUSED;
	} else if (q->qtype == DNS_T_AXFR) {
		rcode = tcp ? DNS_R_REFUSED : DNS_R_NOTIMP;
	} else if (q->qtype == DNS_T_IXFR) {
		rcode = DNS_R_REFUSED;
	} else {
		return prepare_zone(t, cfg, pkt, c, info, out);
	}
	*out = finish_empty(pkt, limit, hflags, q, cfg, rcode, false, info);
	return false;
}

/*
 * First stage: everything up to choosing the zone.  Returns true when the
 * query still needs its zone's answer (c->s set); otherwise the response
 * (or the drop) is final and its length is in *out.
 */
static inline bool answer_prepare(const struct zone_table *t, const struct answer_cfg *cfg,
				  uint8_t *pkt, size_t len, size_t cap, bool tcp,
				  struct answer_ctx *c, struct answer_info *info, size_t *out)
{
	struct query *q = &c->q;
	if (cap < len || !read_lean(pkt, len, q))
		return prepare_general(t, cfg, pkt, len, cap, tcp, c, info, out);
	*info = (struct answer_info){ .qtype = q->qtype };
	c->hflags = (uint16_t)(DNS_F_QR | (dns_get_u16(pkt + 2) & DNS_F_RD));
	c->limit = size_limit(cfg, q, cap, tcp);
	return prepare_zone(t, cfg, pkt, c, info, out);
}

/* Second stage: the zone's answer. */
static inline __attribute__((always_inline)) size_t
answer_complete(const struct answer_cfg *cfg, uint8_t *pkt, const struct answer_ctx *c,
		struct answer_info *info)
{
	const struct query *q = &c->q;
	/* A version served before its answers are prepared (zone_snap_build_index). */
	if (__builtin_expect(cfg->reference_only || !c->s->hot_ready, 0))
		return answer_slow(c->s, pkt, c->limit, c->hflags, q, cfg, info);
	if (want_dnssec(c->s, q)) {
		size_t n = answer_do(cfg, pkt, c, info);
		return n ? n : answer_slow(c->s, pkt, c->limit, c->hflags, q, cfg, info);
	}
	const struct snap_frag *f = find_frag(c->s, q, c->probe, c->cand);
	if (f && q->qend + f->len + c->optlen <= c->limit)
		return answer_frag(pkt, c->limit, c->hflags, q, cfg, f, info);
	return answer_slow(c->s, pkt, c->limit, c->hflags, q, cfg, info);
}

size_t zone_answer(const struct zone_table *t, const struct answer_cfg *cfg, uint8_t *pkt,
		   size_t len, size_t cap, bool tcp, struct answer_info *info)
{
	struct answer_ctx c;
	size_t out;
	if (!answer_prepare(t, cfg, pkt, len, cap, tcp, &c, info, &out))
		return out;
	return answer_complete(cfg, pkt, &c, info);
}

/* Starts fetching the bucket line of the name with hash h; returns its first bucket. */
static inline const struct snap_bucket *prefetch_bucket(const struct zone_snap *s, uint32_t h)
{
	const struct snap_bucket *b = zone_snap_bucket(s, h & s->hmask);
	prefetch_line(b);
	return b;
}

/*
 * The bucket line of hash h (first bucket b) is in cache by now: start
 * fetching the hot block of the first entry with that hash, all the lines
 * the block spans.  Says what it found, and the block in *cand, so that the
 * answer need not walk the buckets again.
 */
static inline enum probe prefetch_block(const struct zone_snap *s, const struct snap_bucket *b,
					uint32_t h, const struct snap_hot **cand)
{
	uint32_t i = h & s->hmask;
	for (unsigned k = 0; k < SNAP_BUCKETS_PER_LINE; k++) {
		if (b->ref == SNAP_NONE)
			return PROBE_ABSENT;
		if (snap_bucket_match(b, h)) {
			const uint8_t *p = (const uint8_t *)zone_snap_hot(s, b->ref);
			unsigned lines = snap_bucket_lines(b);
			prefetch_line(p);
			for (unsigned l = 1; l < lines; l++)
				prefetch_line(p + 64 * l);
			*cand = (const struct snap_hot *)(const void *)p;
			return PROBE_FOUND;
		}
		i = (i + 1) & s->hmask;
		b = (i & SNAP_HPAGE_MASK) ? b + 1 : zone_snap_bucket(s, i); /* next page, or wrap */
	}
	return PROBE_UNKNOWN;
}

/*
 * A name two or more labels below the apex may be below a delegation or
 * under a wildcard: when it is not in the index, its parent is looked up
 * next.  Fetch the parent's bucket and block alongside the name's own, so
 * that a referral costs no more memory latency than a hit (the price: one
 * more line for the deep names that are hits).
 */
static inline bool deep(const struct answer_ctx *c)
{
	return c->q.qn.labels > c->s->origin_labels + 1u;
}

static inline void prefetch_first(struct answer_ctx *c)
{
	c->hb = prefetch_bucket(c->s, c->q.qn.hash);
	if (deep(c)) {
		c->phash = zone_resolve_suffix_hash(&c->q.qn, c->q.qn.labels - 1u);
		c->phb = prefetch_bucket(c->s, c->phash);
	}
}

static inline void prefetch_hot(struct answer_ctx *c)
{
	c->probe = prefetch_block(c->s, c->hb, c->q.qn.hash, &c->cand);
	if (deep(c)) {
		const struct snap_hot *unused;
		(void)prefetch_block(c->s, c->phb, c->phash, &unused);
	}
}

/*
 * The stages of a burst: every query is parsed and its bucket line fetched;
 * then, the buckets having had the whole parse to arrive, every query's hot
 * block is fetched; then the answers are written, the blocks having had
 * that pass to arrive.  The cache misses of a burst overlap with the parsing
 * work and with each other instead of adding up.  (Fetching each block a
 * fixed number of queries after its bucket, 8 until now, stalled more on
 * buckets that had not yet arrived: 1M-name mix, lag 8, 12, 16, 24 and the
 * separate pass, alternated: BENCHMARKS.md, "Latest (session 7)".)
 */

void zone_answer_burst(const struct zone_table *t, const struct answer_cfg *cfg,
		       uint8_t *const pkts[], uint16_t lens[], size_t cap, bool tcp,
		       struct answer_info infos[], unsigned n)
{
	struct answer_ctx c[ANSWER_BURST_MAX];
	bool more[ANSWER_BURST_MAX];
	if (n > ANSWER_BURST_MAX)
		n = ANSWER_BURST_MAX;
	bool hot = !cfg->reference_only;

	/* fetch[i]: query i needs its zone's prepared answers (a version served
	 * before they are prepared is answered by the reference resolver). */
	bool fetch[ANSWER_BURST_MAX];
	bool any_do = false; /* a query that plan_do may have work for */
	for (unsigned i = 0; i < n; i++) {
		size_t out;
		more[i] = answer_prepare(t, cfg, pkts[i], lens[i], cap, tcp, &c[i], &infos[i], &out);
		fetch[i] = more[i] && hot && c[i].s->hot_ready;
		if (!more[i]) {
			lens[i] = (uint16_t)out;
		} else if (fetch[i]) {
			prefetch_first(&c[i]);
			any_do |= want_dnssec(c[i].s, &c[i].q);
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (fetch[i])
			prefetch_hot(&c[i]);
	if (any_do)
		plan_do(c, more, n);
	for (unsigned i = 0; i < n; i++)
		if (more[i])
			lens[i] = (uint16_t)answer_complete(cfg, pkts[i], &c[i], &infos[i]);
}
