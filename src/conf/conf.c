/* SPDX-License-Identifier: BSD-3-Clause */
#include "conf/conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf_int.h"
#include "conf/tree.h"
#include "dns/errcode.h"
#include "dns/name.h"

/*
 * Two stages.  tree.c turns the text into a tree of struct conf_node with
 * libyaml's event API.  Then a schema walk: every mapping is checked against
 * a table of struct cf_field rows (name, shape, flags, default, handler), in
 * table order, so a section that refers to another (remote -> key, zone ->
 * remote) comes after it in its table and finds it complete.  A new section
 * is a row in root_fields plus, if its values are new kinds, a handler.
 * The acl, template and log sections live in sections.c; what the two
 * files share is in conf_int.h.
 */

#define CF_FILE_MAX (64 << 20) /* configuration files larger than this are refused */

/* ------------------------------------------------------------- messages */

static void cf_vmsg(struct cf_parser *p, int line, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Writes "NAME[:LINE]: [PATH: ]message" to the caller's buffer. */
static void cf_vmsg(struct cf_parser *p, int line, const char *fmt, va_list ap)
{
	char msg[512];
	int n;

	if (!p->err || p->errlen == 0)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		n = snprintf(p->err, p->errlen, "%s:%d: ", p->name, line);
	else
		n = snprintf(p->err, p->errlen, "%s: ", p->name);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	if (p->pathlen)
		snprintf(p->err + n, p->errlen - (size_t)n, "%s: %s", p->path, msg);
	else
		snprintf(p->err + n, p->errlen - (size_t)n, "%s", msg);
}

/* Reports a problem with the configuration at line; returns DP_ESYNTAX. */
int cf_fail(struct cf_parser *p, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cf_vmsg(p, line, fmt, ap);
	va_end(ap);
	return DP_ESYNTAX;
}

int cf_nomem(struct cf_parser *p)
{
	p->pathlen = 0;
	p->path[0] = '\0';
	cf_fail(p, 0, "out of memory");
	return DP_ENOMEM;
}

/* Appends ".key" (or "key" at the top) to the path; returns the length to restore. */
size_t cf_path_push_key(struct cf_parser *p, const char *key, size_t len)
{
	size_t old = p->pathlen;
	char q[QBUF];
	int n = snprintf(p->path + old, sizeof(p->path) - old, "%s%s", old ? "." : "",
			 conf_quote(key, len, q, sizeof(q)));
	if (n > 0)
		p->pathlen =
			old + (size_t)n < sizeof(p->path) ? old + (size_t)n : sizeof(p->path) - 1;
	return old;
}

size_t cf_path_push_index(struct cf_parser *p, size_t i)
{
	size_t old = p->pathlen;
	int n = snprintf(p->path + old, sizeof(p->path) - old, "[%zu]", i);
	if (n > 0)
		p->pathlen =
			old + (size_t)n < sizeof(p->path) ? old + (size_t)n : sizeof(p->path) - 1;
	return old;
}

void cf_path_pop(struct cf_parser *p, size_t old)
{
	p->pathlen = old;
	p->path[old] = '\0';
}

/* ----------------------------------------------------------- the schema */

void *cf_at(void *obj, size_t off)
{
	return (char *)obj + off;
}

/* The value of key in mapping m, or NULL. */
const struct conf_node *cf_map_get(const struct conf_node *m, const char *key)
{
	if (m->kind != CONF_NODE_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < m->nkids; i += 2)
		if (m->kids[i]->kind == CONF_NODE_SCALAR && !strcmp(m->kids[i]->str, key))
			return m->kids[i + 1];
	return NULL;
}

static int cf_map(struct cf_parser *p, const struct conf_node *m, const struct cf_field *fields,
		  void *obj);

/* Checks v's shape against f, then hands it to f's handler. */
static int cf_value(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
		    void *obj)
{
	switch (f->shape) {
	case CF_SHAPE_SCALAR:
		if (v->kind != CONF_NODE_SCALAR)
			return cf_fail(p, v->line, "expected a scalar, got %s",
				       conf_node_kind_name(v));
		if (v->null)
			return cf_fail(p, v->line, "needs a value");
		break;
	case CF_SHAPE_MAP:
		if (v->kind != CONF_NODE_MAP && !v->null)
			return cf_fail(p, v->line, "expected a mapping, got %s",
				       conf_node_kind_name(v));
		break;
	case CF_SHAPE_LIST:
		if (v->kind == CONF_NODE_MAP ||
		    (v->kind == CONF_NODE_SCALAR && !v->null && !(f->flags & CF_ONE)))
			return cf_fail(p, v->line, "expected a list, got %s",
				       conf_node_kind_name(v));
		break;
	}
	return f->parse(p, f, v, obj);
}

/* Item i of a list value, which must be a scalar (pushes nothing on the path). */
int cf_list_scalar(struct cf_parser *p, const struct conf_node *v, size_t i,
		   const struct conf_node **out)
{
	const struct conf_node *it = v->kind == CONF_NODE_SEQ ? v->kids[i] : v;

	if (it->kind != CONF_NODE_SCALAR)
		return cf_fail(p, it->line, "expected a scalar, got %s", conf_node_kind_name(it));
	if (it->null)
		return cf_fail(p, it->line, "needs a value");
	*out = it;
	return 0;
}

size_t cf_list_count(const struct conf_node *v)
{
	if (v->kind == CONF_NODE_SEQ)
		return v->nkids;
	return v->kind == CONF_NODE_SCALAR && !v->null ? 1 : 0;
}

/*
 * Walks mapping m (null: an empty one) against the table fields: unknown
 * and duplicate keys first, then every row in table order (value, default,
 * or the missing-key error).
 */
static int cf_map(struct cf_parser *p, const struct conf_node *m, const struct cf_field *fields,
		  void *obj)
{
	const struct conf_node *val[CF_FIELDS_MAX] = { 0 }, *key[CF_FIELDS_MAX] = { 0 };
	size_t nf = 0;
	int rc;

	while (fields[nf].name)
		nf++;
	if (nf > CF_FIELDS_MAX)
		abort(); /* a table longer than CF_FIELDS_MAX is a bug here, not an input error */

	for (size_t i = 0; m->kind == CONF_NODE_MAP && i + 1 < m->nkids; i += 2) {
		const struct conf_node *k = m->kids[i];
		size_t f;
		if (k->kind != CONF_NODE_SCALAR)
			return cf_fail(p, k->line, "a mapping key must be a scalar, got %s",
				       conf_node_kind_name(k));
		for (f = 0; f < nf; f++)
			if (!strcmp(fields[f].name, k->str))
				break;
		size_t mark = cf_path_push_key(p, k->str, k->len);
		if (f == nf) {
			char known[256];
			size_t o = 0;
			known[0] = '\0';
			for (size_t j = 0; j < nf && o < sizeof(known); j++)
				o += (size_t)snprintf(known + o, sizeof(known) - o, "%s%s",
						      j ? ", " : "", fields[j].name);
			return cf_fail(p, k->line, "unknown key (expected one of: %s)", known);
		}
		if (key[f])
			return cf_fail(p, k->line, "duplicate key (first at line %d)",
				       key[f]->line);
		cf_path_pop(p, mark);
		key[f] = k;
		val[f] = m->kids[i + 1];
	}

	for (size_t f = 0; f < nf; f++) {
		const struct cf_field *fd = &fields[f];
		size_t mark = cf_path_push_key(p, fd->name, strlen(fd->name));
		if (val[f]) {
			rc = cf_value(p, fd, val[f], obj);
		} else if (fd->flags & CF_REQUIRED) {
			rc = cf_fail(p, m->line, "missing (required)");
		} else if (fd->def && !p->keep_preset) {
			struct conf_node d = { .kind = CONF_NODE_SCALAR,
					       .line = m->line,
					       .str = (char *)fd->def,
					       .len = strlen(fd->def) };
			rc = cf_value(p, fd, &d, obj);
		} else if (fd->shape == CF_SHAPE_MAP) {
			/* An absent section is an empty one: its defaults apply. */
			struct conf_node d = { .kind = CONF_NODE_SCALAR,
					       .line = m->line,
					       .null = true };
			rc = cf_value(p, fd, &d, obj);
		} else {
			rc = 0;
		}
		cf_path_pop(p, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* -------------------------------------------------- generic handlers */

int cf_set_string(struct cf_parser *p, char **dst, const char *s)
{
	char *copy = strdup(s);
	if (!copy)
		return cf_nomem(p);
	free(*dst);
	*dst = copy;
	return 0;
}

/*
 * Non-empty, at most max octets, and no control characters: C0, DEL, C1
 * (U+0080..U+009F) and the Unicode line and paragraph separators, none of
 * which belongs in a name, a path or a log line.  libyaml has checked UTF-8.
 */
int cf_check_text(struct cf_parser *p, const struct conf_node *v, size_t max)
{
	const unsigned char *s = (const unsigned char *)v->str;

	if (v->len == 0)
		return cf_fail(p, v->line, "must not be empty");
	if (v->len > max)
		return cf_fail(p, v->line, "too long (%zu octets, at most %zu)", v->len, max);
	for (size_t i = 0; i < v->len; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return cf_fail(p, v->line, "contains a control character (\\x%02x)", s[i]);
		if (s[i] == 0xc2 && i + 1 < v->len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
			return cf_fail(p, v->line, "contains a control character (U+%04X)",
				       s[i + 1]);
		if (s[i] == 0xe2 && i + 2 < v->len && s[i + 1] == 0x80 &&
		    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
			return cf_fail(p, v->line, "contains a line separator (U+%04X)",
				       0x2000 + s[i + 2] - 0x80);
	}
	return 0;
}

int cf_h_string(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v, void *obj)
{
	const struct cf_strspec *s = f->arg;
	char q[QBUF];
	int rc = cf_check_text(p, v, s && s->max ? s->max : CF_STRING_MAX);

	if (rc < 0)
		return rc;
	if (s && s->valid && !s->valid(v->str, v->len))
		return cf_fail(p, v->line, "'%s' is not %s", Q(v, q), s->what);
	return cf_set_string(p, cf_at(obj, f->off), v->str);
}

/* Stores path in *dst, made absolute against the configuration's directory. */
int cf_set_path(struct cf_parser *p, int line, char **dst, const char *path)
{
	char full[PATH_MAX];

	if (path[0] == '/' || !p->dir)
		return cf_set_string(p, dst, path);
	int n = snprintf(full, sizeof(full), "%s/%s", p->dir, path);
	if (n < 0 || (size_t)n >= sizeof(full))
		return cf_fail(p, line, "path too long once made absolute (%d octets)", n);
	return cf_set_string(p, dst, full);
}

/* Relative paths are made absolute against the configuration's directory. */
static int cf_h_path(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
		     void *obj)
{
	int rc = cf_check_text(p, v, PATH_MAX - 1);

	if (rc < 0)
		return rc;
	return cf_set_path(p, v->line, cf_at(obj, f->off), v->str);
}

/* Decimal digits only: no sign, no 0x, no YAML 1.1 "1_000". */
int cf_parse_uint(const struct conf_node *v, uint64_t cap, uint64_t *out)
{
	uint64_t x = 0;

	if (v->len == 0)
		return -1;
	for (size_t i = 0; i < v->len; i++) {
		char c = v->str[i];
		if (c < '0' || c > '9')
			return -1;
		x = x * 10 + (uint64_t)(c - '0');
		if (x > cap)
			x = cap + 1; /* stays out of range, cannot wrap */
	}
	*out = x;
	return 0;
}

int cf_h_uint(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v, void *obj)
{
	const struct cf_range *r = f->arg;
	char q[QBUF];
	uint64_t x;

	if (cf_parse_uint(v, UINT32_MAX, &x) < 0)
		return cf_fail(p, v->line, "expected an integer, got '%s'", Q(v, q));
	if (x < r->min || x > r->max)
		return cf_fail(p, v->line, "%s is out of range (%u..%u)", Q(v, q), r->min, r->max);
	if (r->pow2 && (x & (x - 1)))
		return cf_fail(p, v->line, "%s is not a power of two", Q(v, q));
	if (r->size == sizeof(uint16_t))
		*(uint16_t *)cf_at(obj, f->off) = (uint16_t)x;
	else
		*(uint32_t *)cf_at(obj, f->off) = (uint32_t)x;
	return 0;
}

/* A section: its keys live in the same object. */
static int cf_h_map(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
		    void *obj)
{
	return cf_map(p, v, f->arg, cf_at(obj, f->off));
}

static int cf_h_list(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
		     void *obj)
{
	const struct cf_list *l = f->arg;
	size_t n = cf_list_count(v);
	char *items;
	int rc;

	if (n < l->min)
		return cf_fail(p, v->line, "needs at least %u item%s", l->min,
			       l->min > 1 ? "s" : "");
	if (l->max && n > l->max) {
		cf_path_push_index(p, l->max);
		return cf_fail(p, v->kids[l->max]->line, "more than %u items", l->max);
	}
	if (l->inline_array) {
		items = cf_at(obj, f->off);
	} else if (n == 0) {
		items = NULL;
	} else {
		items = calloc(n, l->item_size);
		if (!items)
			return cf_nomem(p);
		*(void **)cf_at(obj, f->off) = items;
	}
	/* The count covers every item now, so conf_free frees a half-parsed one. */
	*(unsigned *)cf_at(obj, l->count_off) = (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		const struct conf_node *it = v->kids[i];
		void *elem = items + i * l->item_size;
		size_t mark = cf_path_push_index(p, i);
		if (it->kind != CONF_NODE_MAP)
			return cf_fail(p, it->line, "expected a mapping, got %s",
				       conf_node_kind_name(it));
		*(int *)cf_at(elem, l->line_off) = it->line;
		rc = l->prepare ? l->prepare(p, it, elem) : 0;
		if (rc == 0)
			rc = cf_map(p, it, l->fields, elem);
		p->keep_preset = false;
		if (rc == 0 && l->check)
			rc = l->check(p, it, items, (unsigned)i);
		p->tmpl = NULL;
		if (rc < 0)
			return rc;
		cf_path_pop(p, mark);
	}
	return l->done ? l->done(p, v, obj) : 0;
}

/* ---------------------------------------------------------- addresses */

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Why addr (the family's length in octets) cannot be a local unicast address; NULL if it can. */
static const char *not_unicast(int family, const uint8_t *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (family == AF_INET) {
		if (a[0] == 0)
			return "in 0.0.0.0/8, 'this network'";
		if (a[0] == 127)
			return "loopback";
		if (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255)
			return "the broadcast address";
		if ((a[0] & 0xf0) == 224)
			return "multicast";
		return NULL;
	}
	if (all_zero(a, 16))
		return "the unspecified address";
	if (all_zero(a, 15) && a[15] == 1)
		return "loopback";
	if (a[0] == 0xff)
		return "multicast";
	if (!memcmp(a, mapped, sizeof(mapped)))
		return "IPv4-mapped; write the IPv4 address";
	return NULL;
}

/*
 * Parses the address in s[0..len) (no prefix, no port) into addr (16 octets,
 * zero-filled); returns its family or -1.
 */
int cf_parse_ip(const char *s, size_t len, uint8_t *addr)
{
	char buf[INET6_ADDRSTRLEN + 1];
	int family = memchr(s, ':', len) ? AF_INET6 : AF_INET;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(addr, 0, 16);
	return inet_pton(family, buf, addr) == 1 ? family : -1;
}

const char *cf_family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* dataplane.interfaces[i].address: ADDR[/PLEN], a scalar or a list of them. */
static int cf_h_iface_addrs(struct cf_parser *p, const struct cf_field *f,
			    const struct conf_node *v, void *obj)
{
	struct conf_iface *ifc = obj;
	size_t n = cf_list_count(v);
	unsigned per_family[2] = { 0, 0 };
	char q[QBUF];
	int rc;

	(void)f;
	if (n == 0)
		return cf_fail(p, v->line, "needs at least 1 address");
	for (size_t i = 0; i < n; i++) {
		struct conf_prefix pf = { 0 };
		const struct conf_node *it = NULL; /* cf_list_scalar sets it when it returns 0 */
		size_t mark = v->kind == CONF_NODE_SEQ ? cf_path_push_index(p, i) : p->pathlen;
		rc = cf_list_scalar(p, v, i, &it);
		if (rc == 0)
			rc = cf_check_text(p, it, CF_STRING_MAX);
		if (rc < 0)
			return rc;
		const char *slash = memchr(it->str, '/', it->len);
		size_t alen = slash ? (size_t)(slash - it->str) : it->len;
		int family = cf_parse_ip(it->str, alen, pf.addr);
		if (family < 0)
			return cf_fail(p, it->line, "'%s' is not an IPv4 or IPv6 address[/prefix]",
				       Q(it, q));
		pf.family = (uint8_t)family;
		unsigned maxlen = family == AF_INET ? 32 : 128;
		pf.plen = (uint8_t)maxlen;
		if (slash) {
			struct conf_node pn = { .kind = CONF_NODE_SCALAR,
						.str = (char *)slash + 1,
						.len = it->len - alen - 1 };
			uint64_t plen;
			if (pn.len > 3 || cf_parse_uint(&pn, 255, &plen) < 0 || plen < 1 ||
			    plen > maxlen)
				return cf_fail(p, it->line, "bad prefix length in '%s' (%s: 1..%u)",
					       Q(it, q), cf_family_name(family), maxlen);
			pf.plen = (uint8_t)plen;
		}
		const char *why = not_unicast(family, pf.addr);
		if (why)
			return cf_fail(p, it->line, "'%s' is not a unicast address (%s)", Q(it, q),
				       why);
		if (family == AF_INET && pf.plen <= 30) {
			uint32_t a = (uint32_t)pf.addr[0] << 24 | (uint32_t)pf.addr[1] << 16 |
				     (uint32_t)pf.addr[2] << 8 | pf.addr[3];
			uint32_t host = UINT32_MAX >> pf.plen;
			if ((a & host) == host)
				return cf_fail(p, it->line,
					       "'%s' is the broadcast address of its subnet",
					       Q(it, q));
		}
		for (unsigned j = 0; j < ifc->naddrs; j++)
			if (ifc->addrs[j].family == pf.family &&
			    !memcmp(ifc->addrs[j].addr, pf.addr, sizeof(pf.addr)))
				return cf_fail(p, it->line, "duplicate address '%s' (also item %u)",
					       Q(it, q), j);
		if (++per_family[family == AF_INET6] > CONF_ADDRS_MAX)
			return cf_fail(p, it->line, "more than %d %s addresses on one interface",
				       CONF_ADDRS_MAX, cf_family_name(family));
		ifc->addrs[ifc->naddrs++] = pf;
		cf_path_pop(p, mark);
	}
	return 0;
}

/* remote[i].address: ADDR[@PORT], a scalar or a list of them. */
static int cf_h_remote_addrs(struct cf_parser *p, const struct cf_field *f,
			     const struct conf_node *v, void *obj)
{
	struct conf_remote *r = obj;
	size_t n = cf_list_count(v);
	char q[QBUF];
	int rc;

	(void)f;
	if (n == 0)
		return cf_fail(p, v->line, "needs at least 1 address");
	r->addrs = calloc(n, sizeof(*r->addrs));
	if (!r->addrs)
		return cf_nomem(p);
	for (size_t i = 0; i < n; i++) {
		struct conf_sockaddr sa = { .port = 53 };
		const struct conf_node *it = NULL; /* cf_list_scalar sets it when it returns 0 */
		size_t mark = v->kind == CONF_NODE_SEQ ? cf_path_push_index(p, i) : p->pathlen;
		rc = cf_list_scalar(p, v, i, &it);
		if (rc == 0)
			rc = cf_check_text(p, it, CF_STRING_MAX);
		if (rc < 0)
			return rc;
		const char *atp = memchr(it->str, '@', it->len);
		size_t alen = atp ? (size_t)(atp - it->str) : it->len;
		int family = cf_parse_ip(it->str, alen, sa.addr);
		if (family < 0)
			return cf_fail(p, it->line, "'%s' is not an IPv4 or IPv6 address[@port]",
				       Q(it, q));
		sa.family = (uint8_t)family;
		if (atp) {
			struct conf_node pn = { .kind = CONF_NODE_SCALAR,
						.str = (char *)atp + 1,
						.len = it->len - alen - 1 };
			uint64_t port;
			if (cf_parse_uint(&pn, 65535, &port) < 0 || port < 1 || port > 65535)
				return cf_fail(p, it->line, "bad port in '%s' (1..65535)",
					       Q(it, q));
			sa.port = (uint16_t)port;
		}
		/* Loopback is a fine place for a primary; these are not. */
		const char *why = not_unicast(family, sa.addr);
		if (why && strcmp(why, "loopback"))
			return cf_fail(p, it->line, "'%s' cannot be a server address (%s)",
				       Q(it, q), why);
		for (unsigned j = 0; j < r->naddrs; j++)
			if (r->addrs[j].family == sa.family && r->addrs[j].port == sa.port &&
			    !memcmp(r->addrs[j].addr, sa.addr, sizeof(sa.addr)))
				return cf_fail(p, it->line, "duplicate address '%s' (also item %u)",
					       Q(it, q), j);
		r->addrs[r->naddrs++] = sa;
		cf_path_pop(p, mark);
	}
	return 0;
}

/* ------------------------------------------------------ names and keys */

static const uint8_t root_name[1] = { 0 };

/* Parses a domain name (absolute or not) into out, lowercase; returns its length. */
static int parse_name(struct cf_parser *p, const struct conf_node *v, uint8_t *out)
{
	char q[QBUF];
	int rc = cf_check_text(p, v, DNS_NAME_TEXT_MAX);

	if (rc < 0)
		return rc;
	rc = dns_name_from_text(v->str, root_name, out);
	if (rc < 0)
		return cf_fail(p, v->line, "'%s' is not a valid domain name (%s)", Q(v, q),
			       dp_strerror(rc));
	dns_name_lower(out);
	return rc;
}

static int cf_h_key_id(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
		       void *obj)
{
	struct conf_key *k = obj;
	int n = parse_name(p, v, k->name);

	(void)f;
	if (n < 0)
		return n;
	if (n == 1)
		return cf_fail(p, v->line, "a key cannot be named '.' (the root)");
	k->name_len = (size_t)n;
	return cf_set_string(p, &k->id, v->str);
}

static const char *const tsig_algs[] = {
	"hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512",
};

static int cf_h_tsig_alg(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
			 void *obj)
{
	char q[QBUF];

	for (size_t i = 0; i < sizeof(tsig_algs) / sizeof(tsig_algs[0]); i++)
		if (!strcasecmp(v->str, tsig_algs[i]))
			return cf_set_string(p, cf_at(obj, f->off), v->str);
	return cf_fail(p, v->line,
		       "unknown TSIG algorithm '%s' (hmac-md5, hmac-sha1, hmac-sha224, "
		       "hmac-sha256, hmac-sha384 or hmac-sha512)",
		       Q(v, q));
}

static bool is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/*
 * Strict RFC 4648 §4 base64, padded, as xfr_tsig_key_init takes it; returns
 * the decoded length (0 for "") or -1.
 */
static long b64_len(const char *s, size_t len)
{
	size_t pad = 0;

	if (len % 4)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '=') {
			if (i < len - 2 || ++pad > 2)
				return -1;
		} else if (!is_b64(s[i]) || pad) {
			return -1;
		}
	}
	return (long)(len / 4 * 3 - pad);
}

static int cf_h_secret(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
		       void *obj)
{
	long n = b64_len(v->str, v->len);

	if (n < 0)
		return cf_fail(p, v->line, "not valid base64 (RFC 4648, with '=' padding)");
	if (n == 0)
		return cf_fail(p, v->line, "must not be empty");
	return cf_set_string(p, cf_at(obj, f->off), v->str);
}

static int key_check(struct cf_parser *p, const struct conf_node *item, void *items, unsigned i)
{
	struct conf_key *k = items;
	char q[QBUF];

	for (unsigned j = 0; j < i; j++)
		if (dns_name_eq(k[j].name, k[i].name)) {
			const struct conf_node *id = cf_map_get(item, "id");
			cf_path_push_key(p, "id", 2);
			return cf_fail(p, id->line, "duplicate key id '%s' (also key[%u], line %d)",
				       Q(id, q), j, k[j].line);
		}
	return 0;
}

/* remote[i].key, acl[i].key: the id of a key from the key section. */
int cf_h_key_ref(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
		 void *obj)
{
	const struct conf_key **dst = cf_at(obj, f->off);
	uint8_t name[DNS_NAME_MAXLEN];
	char q[QBUF];
	int n = parse_name(p, v, name);

	if (n < 0)
		return n;
	for (unsigned j = 0; j < p->conf->nkeys; j++)
		if (dns_name_eq(p->conf->keys[j].name, name)) {
			*dst = &p->conf->keys[j];
			return 0;
		}
	return cf_fail(p, v->line, "no key with id '%s' (the key section defines it)", Q(v, q));
}

static int remote_check(struct cf_parser *p, const struct conf_node *item, void *items, unsigned i)
{
	struct conf_remote *r = items;
	char q[QBUF];

	for (unsigned j = 0; j < i; j++)
		if (!strcmp(r[j].id, r[i].id)) {
			const struct conf_node *id = cf_map_get(item, "id");
			cf_path_push_key(p, "id", 2);
			return cf_fail(p, id->line,
				       "duplicate remote id '%s' (also remote[%u], line %d)",
				       Q(id, q), j, r[j].line);
		}
	return 0;
}

/* ---------------------------------------------------------------- zones */

static int cf_h_zone_domain(struct cf_parser *p, const struct cf_field *f,
			    const struct conf_node *v, void *obj)
{
	struct conf_zone *z = obj;
	char text[DNS_NAME_TEXT_MAX];
	int n = parse_name(p, v, z->origin);

	(void)f;
	if (n < 0)
		return n;
	z->origin_len = (size_t)n;
	if (dns_name_to_text(z->origin, text, sizeof(text)) < 0)
		abort(); /* DNS_NAME_TEXT_MAX holds any name */
	return cf_set_string(p, &z->domain, text);
}

/*
 * The ids listed in v (a scalar or a list), each resolved to its item in
 * the section table[0..count) of items stride octets apart whose id string
 * pointer is at id_off: idx[k] is the index of the k-th id (idx has room for
 * cf_list_count(v)).  what names the section in messages ("remote", "acl").
 * An unknown id or one listed twice is an error at its line.
 */
static int cf_ref_list(struct cf_parser *p, const struct conf_node *v, const void *table,
		       unsigned count, size_t stride, size_t id_off, const char *what,
		       unsigned *idx)
{
	size_t n = cf_list_count(v);
	char q[QBUF];
	for (size_t i = 0; i < n; i++) {
		const struct conf_node *it = NULL; /* cf_list_scalar sets it when it returns 0 */
		size_t mark = v->kind == CONF_NODE_SEQ ? cf_path_push_index(p, i) : p->pathlen;
		int rc = cf_list_scalar(p, v, i, &it);
		if (rc < 0)
			return rc;
		unsigned j = 0;
		for (; j < count; j++) {
			const char *id;
			memcpy(&id, (const char *)table + j * stride + id_off, sizeof(id));
			if (!strcmp(id, it->str))
				break;
		}
		if (j == count)
			return cf_fail(p, it->line, "no %s with id '%s' (the %s section defines it)",
				       what, Q(it, q), what);
		for (size_t k = 0; k < i; k++)
			if (idx[k] == j)
				return cf_fail(p, it->line, "%s '%s' is listed twice", what,
					       Q(it, q));
		idx[i] = j;
		cf_path_pop(p, mark);
	}
	return 0;
}

/* zone[i].primary: remote ids, a scalar or a list. */
int cf_h_zone_primaries(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
			void *obj)
{
	struct conf_zone *z = obj;
	size_t n = cf_list_count(v);

	(void)f;
	/* Written on the zone: replaces what its template gave. */
	free(z->primaries);
	z->primaries = NULL;
	z->nprimaries = 0;
	if (n == 0)
		return 0;
	unsigned *idx = calloc(n, sizeof(*idx));
	z->primaries = calloc(n, sizeof(*z->primaries));
	if (!idx || !z->primaries) {
		free(idx);
		return cf_nomem(p);
	}
	int rc = cf_ref_list(p, v, p->conf->remotes, p->conf->nremotes, sizeof(*p->conf->remotes),
			     offsetof(struct conf_remote, id), "remote", idx);
	for (size_t i = 0; rc == 0 && i < n; i++)
		z->primaries[z->nprimaries++] = &p->conf->remotes[idx[i]];
	free(idx);
	return rc;
}

/* zone[i].acl, template[i].acl: acl ids, a scalar or a list. */
int cf_h_zone_acls(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
		   void *obj)
{
	struct conf_zone *z = obj;
	size_t n = cf_list_count(v);

	(void)f;
	free(z->acls);
	z->acls = NULL;
	z->nacls = 0;
	if (n == 0)
		return 0;
	unsigned *idx = calloc(n, sizeof(*idx));
	z->acls = calloc(n, sizeof(*z->acls));
	if (!idx || !z->acls) {
		free(idx);
		return cf_nomem(p);
	}
	int rc = cf_ref_list(p, v, p->conf->acls, p->conf->nacls, sizeof(*p->conf->acls),
			     offsetof(struct conf_acl, id), "acl", idx);
	for (size_t i = 0; rc == 0 && i < n; i++)
		z->acls[z->nacls++] = &p->conf->acls[idx[i]];
	free(idx);
	return rc;
}

/* zone[i].template: read by zone_prepare before the other keys; nothing left to do. */
static int cf_h_zone_template(struct cf_parser *p, const struct cf_field *f,
			      const struct conf_node *v, void *obj)
{
	(void)p;
	(void)f;
	(void)v;
	(void)obj;
	return 0;
}

/* A copy of n pointers (NULL for none); false when out of memory. */
static bool dup_ptrs(const void *src, unsigned n, size_t size, void *dst)
{
	void *copy = NULL;

	if (n) {
		copy = calloc(n, size);
		if (!copy)
			return false;
		memcpy(copy, src, n * size);
	}
	*(void **)dst = copy;
	return true;
}

/*
 * Before a zone's keys: its template (the one it names, else "default" if
 * defined) gives every value the zone does not write.  The template's file
 * is filled in by zone_check, once the zone's name is known.
 */
static int zone_prepare(struct cf_parser *p, const struct conf_node *item, void *elem)
{
	struct conf_zone *z = elem;
	const struct conf_node *tv = cf_map_get(item, "template");
	const struct conf_template *t;
	char q[QBUF];

	if (tv) {
		size_t mark = cf_path_push_key(p, "template", 8);
		if (tv->kind != CONF_NODE_SCALAR)
			return cf_fail(p, tv->line, "expected a scalar, got %s",
				       conf_node_kind_name(tv));
		if (tv->null)
			return cf_fail(p, tv->line, "needs a value");
		t = cf_template_find(p->conf, tv->str);
		if (!t)
			return cf_fail(p, tv->line,
				       "no template with id '%s' (the template section defines it)",
				       Q(tv, q));
		cf_path_pop(p, mark);
	} else {
		t = cf_template_find(p->conf, "default");
		if (!t)
			return 0;
	}
	const struct conf_zone *tz = &t->z;
	z->refresh_min = tz->refresh_min;
	z->refresh_max = tz->refresh_max;
	z->retry_min = tz->retry_min;
	z->retry_max = tz->retry_max;
	z->expire_min = tz->expire_min;
	z->expire_max = tz->expire_max;
	z->max_size = tz->max_size;
	if (!dup_ptrs(tz->primaries, tz->nprimaries, sizeof(*tz->primaries), &z->primaries) ||
	    !dup_ptrs(tz->acls, tz->nacls, sizeof(*tz->acls), &z->acls))
		return cf_nomem(p);
	z->nprimaries = tz->nprimaries;
	z->nacls = tz->nacls;
	p->tmpl = t;
	p->keep_preset = true;
	return 0;
}

/* A zone without its own file takes its template's, "%s" made its name. */
static int zone_template_file(struct cf_parser *p, const struct conf_node *item,
			      struct conf_zone *z, const struct conf_template *t)
{
	char name[DNS_NAME_TEXT_MAX], path[PATH_MAX];
	size_t nlen = strlen(z->domain), o = 0;

	/* Without the trailing dot; the root is "" (Knot's %s). */
	memcpy(name, z->domain, nlen);
	name[nlen ? nlen - 1 : 0] = '\0';
	for (const char *c = t->z.file; *c; c++) {
		const char *piece = c;
		size_t plen = 1;
		if (c[0] == '%' && c[1] == 's') {
			if (strchr(name, '/'))
				return cf_fail(p, item->line,
					       "the zone name '%s' has a '/', which cannot go into "
					       "template '%s''s file",
					       z->domain, t->id);
			piece = name;
			plen = strlen(name);
			c++;
		} else if (c[0] == '%') {
			c++; /* "%%": one '%' (the template's handler refused anything else) */
		}
		if (o + plen >= sizeof(path))
			return cf_fail(p, item->line,
				       "template '%s''s file is too long for this zone", t->id);
		memcpy(path + o, piece, plen);
		o += plen;
	}
	path[o] = '\0';
	return cf_set_path(p, item->line, &z->file, path);
}

/* A min-max pair of timer bounds must not cross; the message names the key written last. */
int cf_zone_check_bounds(struct cf_parser *p, const struct conf_node *item, const char *what,
			 uint32_t min, uint32_t max)
{
	char kmin[32], kmax[32];
	const struct conf_node *vmin, *vmax, *at_node;

	if (min <= max)
		return 0;
	snprintf(kmin, sizeof(kmin), "%s-min-interval", what);
	snprintf(kmax, sizeof(kmax), "%s-max-interval", what);
	vmin = cf_map_get(item, kmin);
	vmax = cf_map_get(item, kmax);
	/* At least one of them is written (the defaults do not cross). */
	at_node = vmin && (!vmax || vmin->line >= vmax->line) ? vmin : vmax;
	if (!at_node)
		return cf_fail(p, item->line, "%s (%u) is above %s (%u)", kmin, min, kmax, max);
	if (at_node == vmin) {
		cf_path_push_key(p, kmin, strlen(kmin));
		return cf_fail(p, vmin->line, "%u is above %s (%u)", min, kmax, max);
	}
	cf_path_push_key(p, kmax, strlen(kmax));
	return cf_fail(p, vmax->line, "%u is below %s (%u)", max, kmin, min);
}

static int zone_check(struct cf_parser *p, const struct conf_node *item, void *items, unsigned i)
{
	struct conf_zone *z = (struct conf_zone *)items + i;
	int rc;

	if (!z->file && p->tmpl && p->tmpl->z.file) {
		rc = zone_template_file(p, item, z, p->tmpl);
		if (rc < 0)
			return rc;
	}
	if (!z->file && z->nprimaries == 0)
		return cf_fail(p, item->line, "a zone needs 'file' or 'primary' (or both)%s",
			       p->tmpl ? " (from itself or its template)" : "");
	rc = cf_zone_check_bounds(p, item, "refresh", z->refresh_min, z->refresh_max);
	if (rc == 0)
		rc = cf_zone_check_bounds(p, item, "retry", z->retry_min, z->retry_max);
	if (rc == 0)
		rc = cf_zone_check_bounds(p, item, "expire", z->expire_min, z->expire_max);
	return rc;
}

static int zone_cmp(const void *a, const void *b)
{
	const struct conf_zone *x = *(const struct conf_zone *const *)a;
	const struct conf_zone *y = *(const struct conf_zone *const *)b;
	int c = dns_name_cmp(x->origin, y->origin);
	return c ? c : (x > y) - (x < y);
}

/* Sorts the zones by origin for conf_zone_find; equal neighbours are duplicates. */
static int zones_done(struct cf_parser *p, const struct conf_node *list, void *obj)
{
	struct conf *c = obj;
	const struct conf_zone **s;
	const struct conf_zone *dup = NULL, *first = NULL;
	char q[QBUF];

	if (c->nzones == 0)
		return 0;
	s = calloc(c->nzones, sizeof(*s));
	if (!s)
		return cf_nomem(p);
	c->zones_by_origin = s;
	for (unsigned i = 0; i < c->nzones; i++)
		s[i] = &c->zones[i];
	qsort(s, c->nzones, sizeof(*s), zone_cmp);
	/* Report the duplicate that comes first in the file. */
	for (unsigned i = 1; i < c->nzones; i++)
		if (dns_name_eq(s[i - 1]->origin, s[i]->origin) && (!dup || s[i] < dup)) {
			dup = s[i];
			first = s[i - 1];
		}
	if (!dup)
		return 0;
	size_t i = (size_t)(dup - c->zones);
	const struct conf_node *d = cf_map_get(list->kids[i], "domain");
	cf_path_push_index(p, i);
	cf_path_push_key(p, "domain", 6);
	return cf_fail(p, d->line, "duplicate zone '%s' (also zone[%zu], line %d)", Q(d, q),
		       (size_t)(first - c->zones), first->line);
}

/* ------------------------------------------------- control and metrics */

/* control.listen: a path, as cf_h_path makes it, that fits a UNIX socket address. */
static int cf_h_sock_path(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
			  void *obj)
{
	int rc = cf_h_path(p, f, v, obj);
	if (rc < 0)
		return rc;
	size_t n = strlen(*(char **)cf_at(obj, f->off));
	if (n > CONF_SOCK_PATH_MAX)
		return cf_fail(p, v->line,
			       "too long for a UNIX socket path (%zu octets, at most %d)", n,
			       CONF_SOCK_PATH_MAX);
	return 0;
}

/* The control section; without listen, the socket is <rundir>/dpdnsd.sock. */
static int cf_h_control(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
			void *obj)
{
	struct conf *c = obj;
	int rc = cf_map(p, v, f->arg, obj);
	if (rc < 0 || c->control.listen)
		return rc;
	char *path = NULL;
	if (asprintf(&path, "%s/dpdnsd.sock", c->server.rundir) < 0)
		return cf_nomem(p);
	c->control.listen = path;
	size_t n = strlen(path);
	if (n > CONF_SOCK_PATH_MAX)
		return cf_fail(p, v->line,
			       "the default socket '<rundir>/dpdnsd.sock' is too long for a UNIX "
			       "socket path (%zu octets, at most %d): set control.listen",
			       n, CONF_SOCK_PATH_MAX);
	return 0;
}

/* metrics.listen: ADDR@PORT, any local address, the unspecified and loopback ones included. */
static int cf_h_metrics_listen(struct cf_parser *p, const struct cf_field *f,
			       const struct conf_node *v, void *obj)
{
	struct conf_sockaddr *sa = cf_at(obj, f->off);
	char q[QBUF];
	int rc = cf_check_text(p, v, CF_STRING_MAX);

	if (rc < 0)
		return rc;
	const char *atp = memchr(v->str, '@', v->len);
	if (!atp)
		return cf_fail(p, v->line, "'%s' has no port (write ADDRESS@PORT)", Q(v, q));
	size_t alen = (size_t)(atp - v->str);
	int family = cf_parse_ip(v->str, alen, sa->addr);
	if (family < 0)
		return cf_fail(p, v->line, "'%s' is not an IPv4 or IPv6 address@port", Q(v, q));
	struct conf_node pn = { .kind = CONF_NODE_SCALAR,
				.str = (char *)atp + 1,
				.len = v->len - alen - 1 };
	uint64_t port;
	if (cf_parse_uint(&pn, 65535, &port) < 0 || port < 1 || port > 65535)
		return cf_fail(p, v->line, "bad port in '%s' (1..65535)", Q(v, q));
	bool any = all_zero(sa->addr, family == AF_INET ? 4 : 16);
	const char *why = any ? NULL : not_unicast(family, sa->addr);
	if (why && strcmp(why, "loopback"))
		return cf_fail(p, v->line, "'%s' cannot be listened on (%s)", Q(v, q), why);
	sa->family = (uint8_t)family;
	sa->port = (uint16_t)port;
	return 0;
}

/* --------------------------------------------------------------- tables */

static bool ifname_ok(const char *s, size_t len)
{
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static bool portname_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == ',')
			return false;
	return true;
}

static const struct cf_strspec s_txt = { .max = 255 }; /* served as one TXT string */
static const struct cf_strspec s_port = { .max = 63,
					  .valid = portname_ok,
					  .what = "a DPDK port name (no spaces or commas)" };
static const struct cf_strspec s_ifname = {
	.max = 15, .valid = ifname_ok, .what = "an interface name ([A-Za-z0-9_.-], not . or ..)"
};

static const struct cf_range r_udp = { 512, 4096, false, sizeof(uint16_t) };
static const struct cf_range r_queue = { 64, 16384, true, sizeof(uint32_t) };
static const struct cf_range r_mbufs = { 1023, 1048575, false, sizeof(uint32_t) };
static const struct cf_range r_sleep = { 0, 10000, false, sizeof(uint32_t) };
static const struct cf_range r_tcp_clients = { 1, 100000, false, sizeof(uint32_t) };
static const struct cf_range r_tcp_idle = { 1, 3600, false, sizeof(uint32_t) };
/* SOA timer bounds: Knot's lower limits; 2^31 - 1 like every TTL-sized time (RFC 2181 §8). */
const struct cf_range cf_r_refresh = { 2, INT32_MAX, false, sizeof(uint32_t) };
const struct cf_range cf_r_retry = { 1, INT32_MAX, false, sizeof(uint32_t) };
const struct cf_range cf_r_expire = { 3, INT32_MAX, false, sizeof(uint32_t) };
const struct cf_range cf_r_xfr_bytes = { 0, UINT32_MAX, false, sizeof(uint32_t) };

#define CS(m) offsetof(struct conf, m)

static const struct cf_field server_fields[] = {
	{ "identity", CF_SHAPE_SCALAR, 0, NULL, cf_h_string, CS(server.identity), &s_txt },
	{ "version", CF_SHAPE_SCALAR, 0, NULL, cf_h_string, CS(server.version), &s_txt },
	{ "rundir", CF_SHAPE_SCALAR, 0, "/var/lib/dpdns", cf_h_path, CS(server.rundir), NULL },
	{ "udp-payload", CF_SHAPE_SCALAR, 0, "1232", cf_h_uint, CS(server.udp_payload), &r_udp },
	{ "tcp-max-clients", CF_SHAPE_SCALAR, 0, "100", cf_h_uint, CS(server.tcp_max_clients),
	  &r_tcp_clients },
	{ "tcp-idle-timeout", CF_SHAPE_SCALAR, 0, "10", cf_h_uint, CS(server.tcp_idle_timeout),
	  &r_tcp_idle },
	{ NULL },
};

static const struct cf_field iface_fields[] = {
	{ "port", CF_SHAPE_SCALAR, CF_REQUIRED, NULL, cf_h_string,
	  offsetof(struct conf_iface, port), &s_port },
	{ "address", CF_SHAPE_LIST, CF_REQUIRED | CF_ONE, NULL, cf_h_iface_addrs, 0, NULL },
	{ NULL },
};

static int iface_check(struct cf_parser *p, const struct conf_node *item, void *items, unsigned i)
{
	struct conf_iface *ifc = items;
	char q[QBUF];

	for (unsigned j = 0; j < i; j++)
		if (!strcmp(ifc[j].port, ifc[i].port)) {
			const struct conf_node *port = cf_map_get(item, "port");
			cf_path_push_key(p, "port", 4);
			return cf_fail(p, port->line,
				       "duplicate port '%s' (also interfaces[%u], line %d)",
				       Q(port, q), j, ifc[j].line);
		}
	return 0;
}

static const struct cf_list l_ifaces = {
	.fields = iface_fields,
	.item_size = sizeof(struct conf_iface),
	.min = 1,
	.max = CONF_IFACES_MAX,
	.inline_array = true,
	.count_off = CS(dataplane.nifaces),
	.line_off = offsetof(struct conf_iface, line),
	.check = iface_check,
};

static const struct cf_field dataplane_fields[] = {
	{ "eal", CF_SHAPE_SCALAR, CF_REQUIRED, NULL, cf_h_string, CS(dataplane.eal), NULL },
	{ "interfaces", CF_SHAPE_LIST, CF_REQUIRED, NULL, cf_h_list, CS(dataplane.ifaces),
	  &l_ifaces },
	{ "exception", CF_SHAPE_SCALAR, 0, "dpdns0", cf_h_string, CS(dataplane.exception),
	  &s_ifname },
	{ "rx-queue-size", CF_SHAPE_SCALAR, 0, "1024", cf_h_uint, CS(dataplane.rx_queue_size),
	  &r_queue },
	{ "tx-queue-size", CF_SHAPE_SCALAR, 0, "1024", cf_h_uint, CS(dataplane.tx_queue_size),
	  &r_queue },
	{ "mbufs", CF_SHAPE_SCALAR, 0, "16383", cf_h_uint, CS(dataplane.mbufs), &r_mbufs },
	{ "idle-sleep-us", CF_SHAPE_SCALAR, 0, "0", cf_h_uint, CS(dataplane.idle_sleep_us),
	  &r_sleep },
	{ NULL },
};

static const struct cf_field key_fields[] = {
	{ "id", CF_SHAPE_SCALAR, CF_REQUIRED, NULL, cf_h_key_id, 0, NULL },
	{ "algorithm", CF_SHAPE_SCALAR, CF_REQUIRED, NULL, cf_h_tsig_alg,
	  offsetof(struct conf_key, algorithm), NULL },
	{ "secret", CF_SHAPE_SCALAR, CF_REQUIRED, NULL, cf_h_secret,
	  offsetof(struct conf_key, secret), NULL },
	{ NULL },
};

static const struct cf_list l_keys = {
	.fields = key_fields,
	.item_size = sizeof(struct conf_key),
	.count_off = CS(nkeys),
	.line_off = offsetof(struct conf_key, line),
	.check = key_check,
};

static const struct cf_field remote_fields[] = {
	{ "id", CF_SHAPE_SCALAR, CF_REQUIRED, NULL, cf_h_string, offsetof(struct conf_remote, id),
	  NULL },
	{ "address", CF_SHAPE_LIST, CF_REQUIRED | CF_ONE, NULL, cf_h_remote_addrs, 0, NULL },
	{ "key", CF_SHAPE_SCALAR, 0, NULL, cf_h_key_ref, offsetof(struct conf_remote, key), NULL },
	{ NULL },
};

static const struct cf_list l_remotes = {
	.fields = remote_fields,
	.item_size = sizeof(struct conf_remote),
	.count_off = CS(nremotes),
	.line_off = offsetof(struct conf_remote, line),
	.check = remote_check,
};

#define CZ(m) offsetof(struct conf_zone, m)

static const struct cf_field zone_fields[] = {
	{ "domain", CF_SHAPE_SCALAR, CF_REQUIRED, NULL, cf_h_zone_domain, 0, NULL },
	{ "template", CF_SHAPE_SCALAR, 0, NULL, cf_h_zone_template, 0, NULL },
	{ "file", CF_SHAPE_SCALAR, 0, NULL, cf_h_path, offsetof(struct conf_zone, file), NULL },
	{ "primary", CF_SHAPE_LIST, CF_ONE, NULL, cf_h_zone_primaries, 0, NULL },
	{ "acl", CF_SHAPE_LIST, CF_ONE, NULL, cf_h_zone_acls, 0, NULL },
	{ "refresh-min-interval", CF_SHAPE_SCALAR, 0, "2", cf_h_uint, CZ(refresh_min),
	  &cf_r_refresh },
	{ "refresh-max-interval", CF_SHAPE_SCALAR, 0, "86400", cf_h_uint, CZ(refresh_max),
	  &cf_r_refresh },
	{ "retry-min-interval", CF_SHAPE_SCALAR, 0, "1", cf_h_uint, CZ(retry_min), &cf_r_retry },
	{ "retry-max-interval", CF_SHAPE_SCALAR, 0, "86400", cf_h_uint, CZ(retry_max),
	  &cf_r_retry },
	{ "expire-min-interval", CF_SHAPE_SCALAR, 0, "3", cf_h_uint, CZ(expire_min), &cf_r_expire },
	{ "expire-max-interval", CF_SHAPE_SCALAR, 0, "2147483647", cf_h_uint, CZ(expire_max),
	  &cf_r_expire },
	{ "zone-max-size", CF_SHAPE_SCALAR, 0, "0", cf_h_uint, CZ(max_size), &cf_r_xfr_bytes },
	{ NULL },
};

static const struct cf_list l_zones = {
	.fields = zone_fields,
	.item_size = sizeof(struct conf_zone),
	.count_off = CS(nzones),
	.line_off = offsetof(struct conf_zone, line),
	.prepare = zone_prepare,
	.check = zone_check,
	.done = zones_done,
};

static const struct cf_field control_fields[] = {
	{ "listen", CF_SHAPE_SCALAR, 0, NULL, cf_h_sock_path, CS(control.listen), NULL },
	{ NULL },
};

static const struct cf_field metrics_fields[] = {
	{ "listen", CF_SHAPE_SCALAR, 0, NULL, cf_h_metrics_listen, CS(metrics.listen), NULL },
	{ NULL },
};

/* Sections in dependency order: a section may refer to the ones above it. */
static const struct cf_field root_fields[] = {
	{ "server", CF_SHAPE_MAP, 0, NULL, cf_h_map, 0, server_fields },
	{ "dataplane", CF_SHAPE_MAP, CF_REQUIRED, NULL, cf_h_map, 0, dataplane_fields },
	{ "key", CF_SHAPE_LIST, 0, NULL, cf_h_list, CS(keys), &l_keys },
	{ "remote", CF_SHAPE_LIST, 0, NULL, cf_h_list, CS(remotes), &l_remotes },
	{ "acl", CF_SHAPE_LIST, 0, NULL, cf_h_list, CS(acls), &cf_l_acls },
	{ "template", CF_SHAPE_LIST, 0, NULL, cf_h_list, CS(templates), &cf_l_templates },
	{ "zone", CF_SHAPE_LIST, 0, NULL, cf_h_list, CS(zones), &l_zones },
	{ "control", CF_SHAPE_MAP, 0, NULL, cf_h_control, 0, control_fields }, /* after server */
	{ "metrics", CF_SHAPE_MAP, 0, NULL, cf_h_map, 0, metrics_fields },
	{ "log", CF_SHAPE_LIST, 0, NULL, cf_h_list, CS(logs), &cf_l_logs },
	{ NULL },
};

/* ------------------------------------------------------------------ API */

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->server.identity);
	free(c->server.version);
	free(c->server.rundir);
	free(c->dataplane.eal);
	for (unsigned i = 0; i < c->dataplane.nifaces; i++)
		free(c->dataplane.ifaces[i].port);
	free(c->dataplane.exception);
	for (unsigned i = 0; i < c->nkeys; i++) {
		free(c->keys[i].id);
		free(c->keys[i].algorithm);
		free_secret(c->keys[i].secret);
	}
	free(c->keys);
	for (unsigned i = 0; i < c->nremotes; i++) {
		free(c->remotes[i].id);
		free(c->remotes[i].addrs);
	}
	free(c->remotes);
	for (unsigned i = 0; i < c->nacls; i++) {
		free(c->acls[i].id);
		free(c->acls[i].addrs);
	}
	free(c->acls);
	for (unsigned i = 0; i < c->ntemplates; i++) {
		free(c->templates[i].id);
		free(c->templates[i].z.file);
		free(c->templates[i].z.primaries);
		free(c->templates[i].z.acls);
	}
	free(c->templates);
	for (unsigned i = 0; i < c->nzones; i++) {
		free(c->zones[i].domain);
		free(c->zones[i].file);
		free(c->zones[i].primaries);
		free(c->zones[i].acls);
	}
	free(c->zones);
	for (unsigned i = 0; i < c->nlogs; i++)
		free(c->logs[i].target);
	free(c->logs);
	free(c->zones_by_origin);
	free(c->control.listen);
	free(c);
}

int conf_load_string(const char *text, size_t len, const char *name, const char *dir,
		     struct conf **out, char *err, size_t errlen)
{
	struct cf_parser p = {
		.name = name ? name : "(config)",
		.dir = dir,
		.text = text,
		.len = len,
		.err = err,
		.errlen = errlen,
	};
	struct conf_node *root = NULL;
	char msg[384];
	int rc, line;

	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return DP_EINVAL;
	*out = NULL;
	if (!text && len)
		return DP_EINVAL;
	if (!text)
		p.text = "";
	p.conf = calloc(1, sizeof(*p.conf));
	if (!p.conf)
		return cf_nomem(&p);
	p.conf->path = strdup(p.name);
	if (!p.conf->path) {
		rc = cf_nomem(&p);
		goto fail;
	}
	rc = conf_tree_parse(p.text, p.len, &root, &line, msg, sizeof(msg));
	if (rc == DP_ENOMEM)
		rc = cf_nomem(&p);
	else if (rc < 0)
		cf_fail(&p, line, "%s", msg);
	if (rc < 0)
		goto fail;
	if (!root || (root->kind == CONF_NODE_SCALAR && root->null)) {
		rc = cf_fail(&p, root ? root->line : 1, "empty configuration");
		goto fail;
	}
	if (root->kind != CONF_NODE_MAP) {
		rc = cf_fail(&p, root->line, "the top level must be a mapping, got %s",
			     conf_node_kind_name(root));
		goto fail;
	}
	rc = cf_map(&p, root, root_fields, p.conf);
	if (rc == 0)
		rc = cf_log_default(&p);
	if (rc < 0)
		goto fail;
	conf_node_free(root);
	*out = p.conf;
	return 0;

fail:
	conf_node_free(root);
	conf_free(p.conf);
	return rc;
}

/* The directory of path, absolute; NULL when out of memory. */
static char *abs_dir(const char *path)
{
	char *copy = strdup(path), *res = NULL;
	char cwd[PATH_MAX];

	if (!copy)
		return NULL;
	const char *d = dirname(copy);
	if (d[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		res = strdup(d);
	else if (!strcmp(d, "."))
		res = strdup(cwd);
	else if (asprintf(&res, "%s/%s", cwd, d) < 0)
		res = NULL;
	free(copy);
	return res;
}

/* Reads the whole file; returns 0 or -errno. */
static int read_file(int fd, char **out, size_t *out_len)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap >= CF_FILE_MAX) {
				free(buf);
				return -EFBIG;
			}
			char *b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				return -ENOMEM;
			}
			buf = b;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

int conf_load(const char *path, struct conf **out, char *err, size_t errlen)
{
	struct cf_parser p = { .name = path, .err = err, .errlen = errlen };
	char *text = NULL, *dir = NULL;
	size_t len = 0;
	struct stat st;
	int fd, rc;

	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return DP_EINVAL;
	*out = NULL;
	if (!path)
		return DP_EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		cf_fail(&p, 0, "cannot open: %s", strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (S_ISDIR(st.st_mode))
		rc = -EISDIR;
	else
		rc = 0;
	if (rc < 0) {
		close(fd);
		cf_fail(&p, 0, "cannot read: %s", strerror(-rc));
		return rc;
	}
	rc = read_file(fd, &text, &len);
	close(fd);
	if (rc < 0) {
		if (rc == -ENOMEM)
			return cf_nomem(&p);
		cf_fail(&p, 0, "cannot read: %s",
			rc == -EFBIG ? "larger than 64 MiB" : strerror(-rc));
		return rc;
	}
	dir = abs_dir(path);
	if (!dir) {
		free(text);
		return cf_nomem(&p);
	}
	rc = conf_load_string(text, len, path, dir, out, err, errlen);
	free(dir);
	free(text);
	return rc;
}

const struct conf_zone *conf_zone_find(const struct conf *c, const uint8_t *origin, size_t len)
{
	size_t lo = 0, hi;

	if (!c || !origin || !c->zones_by_origin || dns_name_check(origin, len) != (int)len)
		return NULL;
	hi = c->nzones;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = dns_name_cmp(c->zones_by_origin[mid]->origin, origin);
		if (cmp == 0)
			return c->zones_by_origin[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
