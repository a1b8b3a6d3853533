/* SPDX-License-Identifier: BSD-3-Clause */
#include "dns/name.h"

#include <stdio.h>
#include <string.h>

static inline uint8_t lower_octet(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

/*
 * Shared by dns_name_parse and dns_name_parse_plain.  The walk follows
 * pointers through a local cursor position; r->pos only moves past the
 * name's in-place part.  A pointer must target an offset strictly below the
 * start of the label run that contains it; since every jump goes strictly
 * backwards, the walk terminates without a hop counter.
 */
static int name_parse(struct dns_rd *r, uint8_t *out, bool allow_ptr)
{
	if (r->err)
		return r->err;
	size_t pos = r->pos;
	size_t run_start = pos;  /* start of the current label run */
	size_t end_inplace = 0;  /* r->pos after the name, once known */
	size_t outlen = 0;

	for (;;) {
		if (pos >= r->len)
			goto trunc;
		uint8_t len = r->buf[pos];
		if ((len & 0xc0) == 0xc0) {
			if (!allow_ptr)
				goto badptr;
			if (pos + 1 >= r->len)
				goto trunc;
			size_t target = (size_t)(len & 0x3f) << 8 | r->buf[pos + 1];
			if (!end_inplace)
				end_inplace = pos + 2;
			if (target >= run_start)
				goto badptr;
			pos = run_start = target;
			continue;
		}
		if (len & 0xc0) {
			r->err = DP_ELABEL;
			return DP_ELABEL;
		}
		if (outlen + 1 + len > DNS_NAME_MAXLEN) {
			r->err = DP_ENAMELEN;
			return DP_ENAMELEN;
		}
		if (len > r->len - pos - 1)
			goto trunc;
		out[outlen++] = len;
		if (len == 0)
			break;
		memcpy(out + outlen, r->buf + pos + 1, len);
		outlen += len;
		pos += 1 + (size_t)len;
	}
	r->pos = end_inplace ? end_inplace : pos + 1;
	return (int)outlen;
trunc:
	r->err = DP_ETRUNC;
	return DP_ETRUNC;
badptr:
	r->err = DP_EPTR;
	return DP_EPTR;
}

int dns_name_parse(struct dns_rd *r, uint8_t *out)
{
	return name_parse(r, out, true);
}

int dns_name_parse_plain(struct dns_rd *r, uint8_t *out)
{
	return name_parse(r, out, false);
}

int dns_name_check(const uint8_t *buf, size_t len)
{
	size_t pos = 0;
	for (;;) {
		if (pos >= len)
			return DP_ETRUNC;
		uint8_t l = buf[pos];
		if ((l & 0xc0) == 0xc0)
			return DP_EPTR;
		if (l & 0xc0)
			return DP_ELABEL;
		if (pos + 1 + l > DNS_NAME_MAXLEN)
			return DP_ENAMELEN;
		if (l > len - pos - 1)
			return DP_ETRUNC;
		pos += 1 + (size_t)l;
		if (l == 0)
			return (int)pos;
	}
}

size_t dns_name_len(const uint8_t *name)
{
	size_t pos = 0;
	while (name[pos])
		pos += 1 + (size_t)name[pos];
	return pos + 1;
}

int dns_name_labels(const uint8_t *name)
{
	int n = 0;
	while (*name) {
		name += 1 + *name;
		n++;
	}
	return n;
}

bool dns_name_eq(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (*a != *b)
			return false;
		uint8_t len = *a;
		if (len == 0)
			return true;
		/* Mostly the same case: the plain compare settles most octets. */
		for (unsigned i = 1; i <= len; i++)
			if (a[i] != b[i] && lower_octet(a[i]) != lower_octet(b[i]))
				return false;
		a += 1 + len;
		b += 1 + len;
	}
}

void dns_name_lower(uint8_t *name)
{
	while (*name) {
		uint8_t len = *name;
		for (unsigned i = 1; i <= len; i++)
			name[i] = lower_octet(name[i]);
		name += 1 + len;
	}
}

size_t dns_name_copy_lower(uint8_t *dst, const uint8_t *name)
{
	size_t len = dns_name_len(name);
	memcpy(dst, name, len);
	dns_name_lower(dst);
	return len;
}

/* Offsets of each label of name, first label first; returns the count. */
static int label_offsets(const uint8_t *name, uint8_t *offs)
{
	int n = 0;
	size_t pos = 0;
	while (name[pos]) {
		offs[n++] = (uint8_t)pos;
		pos += 1 + (size_t)name[pos];
	}
	return n;
}

static int label_cmp(const uint8_t *a, const uint8_t *b)
{
	unsigned la = a[0], lb = b[0];
	unsigned n = la < lb ? la : lb;
	for (unsigned i = 1; i <= n; i++) {
		uint8_t ca = lower_octet(a[i]), cb = lower_octet(b[i]);
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return la == lb ? 0 : (la < lb ? -1 : 1);
}

int dns_name_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t oa[DNS_NAME_MAXLABELS], ob[DNS_NAME_MAXLABELS];
	int na = label_offsets(a, oa), nb = label_offsets(b, ob);
	/* Compare from the rightmost label leftwards (RFC 4034 §6.1). */
	while (na > 0 && nb > 0) {
		int c = label_cmp(a + oa[--na], b + ob[--nb]);
		if (c)
			return c;
	}
	return na == nb ? 0 : (na < nb ? -1 : 1);
}

const uint8_t *dns_name_parent(const uint8_t *name)
{
	return *name ? name + 1 + *name : NULL;
}

const uint8_t *dns_name_suffix(const uint8_t *name, int n)
{
	int skip = dns_name_labels(name) - n;
	while (skip-- > 0)
		name += 1 + *name;
	return name;
}

bool dns_name_is_sub(const uint8_t *name, const uint8_t *parent)
{
	/* One walk: parent can only be the suffix that starts len(name) - len(parent) in. */
	size_t ln = dns_name_len(name), lp = dns_name_len(parent);
	if (ln < lp)
		return false;
	size_t pos = 0;
	while (pos < ln - lp)
		pos += 1 + (size_t)name[pos];
	return pos == ln - lp && dns_name_eq(name + pos, parent);
}

bool dns_name_is_wildcard(const uint8_t *name)
{
	return name[0] == 1 && name[1] == '*';
}

int dns_name_from_text(const char *text, const uint8_t *origin, uint8_t *out)
{
	size_t outlen = 0;
	const char *p = text;

	if (text[0] == '@' && text[1] == '\0') {
		if (!origin)
			return DP_ESYNTAX;
		size_t olen = dns_name_len(origin);
		memcpy(out, origin, olen);
		return (int)olen;
	}
	if (text[0] == '.' && text[1] == '\0') {
		out[0] = 0;
		return 1;
	}
	if (text[0] == '\0')
		return DP_ESYNTAX;

	for (;;) {
		/* One label: up to an unescaped dot or the end. */
		size_t lpos = outlen++;
		unsigned llen = 0;
		while (*p && *p != '.') {
			unsigned c;
			if (*p == '\\') {
				p++;
				if (p[0] >= '0' && p[0] <= '9') {
					if (!(p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9'))
						return DP_ESYNTAX;
					c = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 +
					    (unsigned)(p[2] - '0');
					if (c > 255)
						return DP_ESYNTAX;
					p += 3;
				} else if (*p) {
					c = (unsigned char)*p++;
				} else {
					return DP_ESYNTAX;
				}
			} else {
				c = (unsigned char)*p++;
			}
			if (++llen > DNS_LABEL_MAXLEN)
				return DP_ELABEL;
			if (outlen + 1 >= DNS_NAME_MAXLEN)
				return DP_ENAMELEN;
			out[outlen++] = (uint8_t)c;
		}
		if (llen == 0)
			return DP_ESYNTAX; /* empty label: "a..b", ".a" */
		out[lpos] = (uint8_t)llen;
		if (*p == '.') {
			p++;
			if (*p == '\0') {
				out[outlen++] = 0; /* absolute */
				return (int)outlen;
			}
			continue;
		}
		/* Relative: append origin. */
		if (!origin)
			return DP_ESYNTAX;
		size_t olen = dns_name_len(origin);
		if (outlen + olen > DNS_NAME_MAXLEN)
			return DP_ENAMELEN;
		memcpy(out + outlen, origin, olen);
		return (int)(outlen + olen);
	}
}

int dns_name_to_text(const uint8_t *name, char *out, size_t cap)
{
	size_t n = 0;
#define PUT(ch)                         \
	do {                            \
		if (n + 1 >= cap)       \
			return DP_ESPACE; \
		out[n++] = (char)(ch);  \
	} while (0)

	if (cap == 0)
		return DP_ESPACE;
	if (*name == 0) {
		PUT('.');
		out[n] = '\0';
		return (int)n;
	}
	while (*name) {
		uint8_t len = *name;
		for (unsigned i = 1; i <= len; i++) {
			uint8_t c = name[i];
			if (c <= 0x20 || c >= 0x7f) {
				if (n + 4 >= cap)
					return DP_ESPACE;
				n += (size_t)snprintf(out + n, cap - n, "\\%03u", c);
			} else if (strchr(".\\\"();@$", c)) {
				PUT('\\');
				PUT(c);
			} else {
				PUT(c);
			}
		}
		PUT('.');
		name += 1 + len;
	}
	out[n] = '\0';
	return (int)n;
#undef PUT
}

void dns_compr_add(struct dns_compr *c, const struct dns_wr *w, size_t off)
{
	(void)w;
	if (off < 0x4000 && c->n < DNS_COMPR_MAX)
		c->off[c->n++] = (uint16_t)off;
}

/*
 * True when the name at message offset off (possibly compressed; written by
 * us, so trusted but still walked defensively) has exactly name's octets.
 */
static bool compr_match(const struct dns_wr *w, size_t off, const uint8_t *name, size_t icase_end)
{
	unsigned hops = 0;
	for (;;) {
		if (off >= w->pos)
			return false;
		uint8_t len = w->buf[off];
		if ((len & 0xc0) == 0xc0) {
			if (off + 1 >= w->pos || ++hops > DNS_NAME_MAXLABELS)
				return false;
			off = (size_t)(len & 0x3f) << 8 | w->buf[off + 1];
			continue;
		}
		if (len != *name || off + 1 + len > w->pos)
			return false;
		if (len == 0)
			return true;
		if (off < icase_end) {
			for (unsigned i = 1; i <= len; i++)
				if (lower_octet(w->buf[off + i]) != lower_octet(name[i]))
					return false;
		} else if (memcmp(w->buf + off + 1, name + 1, len) != 0) {
			return false;
		}
		off += 1 + len;
		name += 1 + len;
	}
}

void dns_wr_name(struct dns_wr *w, const uint8_t *name, struct dns_compr *c)
{
	if (w->err)
		return;
	if (!c) {
		dns_wr_bytes(w, name, dns_name_len(name));
		return;
	}
	/* Find the longest suffix (fewest labels skipped) already in the message. */
	const uint8_t *suffix = name;
	int ptr = -1;
	while (*suffix) {
		for (unsigned i = 0; i < c->n; i++) {
			if (compr_match(w, c->off[i], suffix, c->icase_end)) {
				ptr = c->off[i];
				break;
			}
		}
		if (ptr >= 0)
			break;
		suffix += 1 + *suffix;
	}
	/* Write the labels before the suffix, recording where each starts. */
	const uint8_t *p = name;
	while (p != suffix) {
		size_t start = w->pos;
		dns_wr_bytes(w, p, 1 + (size_t)*p);
		if (w->err)
			return;
		dns_compr_add(c, w, start);
		p += 1 + *p;
	}
	if (ptr >= 0) {
		if (c->sites && c->nsites < c->max_sites)
			c->sites[c->nsites] = (uint16_t)w->pos;
		c->nsites++;
		dns_wr_u16(w, (uint16_t)(0xc000 | ptr));
	} else
		dns_wr_u8(w, 0);
}
