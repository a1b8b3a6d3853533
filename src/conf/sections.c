/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The acl, template and log sections of the configuration: their handlers,
 * checks and tables, which conf.c's root table lists (conf_int.h).  Moved
 * out of conf.c to keep it within the house limit; the behaviour is
 * conf.c's, documented in conf.h and doc/config.md.
 */
#include "conf/conf_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/errcode.h"
#include "dns/name.h"

#define CS(m) offsetof(struct conf, m)

/* ------------------------------------------------------------------ ACLs */

/* The IPv4-mapped IPv6 prefix ::ffff:0:0/96: a source is never written so here. */
static bool v4_mapped(int family, const uint8_t *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return family == AF_INET6 && !memcmp(a, mapped, sizeof(mapped));
}

/* acl[i].address: ADDR, ADDR/PREFIX or ADDR-ADDR, a scalar or a list of them. */
static int cf_h_acl_addrs(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
			  void *obj)
{
	struct conf_acl *acl = obj;
	size_t n = cf_list_count(v);
	char q[QBUF];
	int rc;

	(void)f;
	if (n == 0)
		return cf_fail(p, v->line, "needs at least 1 address (leave the key out for any)");
	acl->addrs = calloc(n, sizeof(*acl->addrs));
	if (!acl->addrs)
		return cf_nomem(p);
	for (size_t i = 0; i < n; i++) {
		struct conf_addr_range r = { 0 };
		const struct conf_node *it = NULL; /* cf_list_scalar sets it when it returns 0 */
		size_t mark = v->kind == CONF_NODE_SEQ ? cf_path_push_index(p, i) : p->pathlen;
		rc = cf_list_scalar(p, v, i, &it);
		if (rc == 0)
			rc = cf_check_text(p, it, CF_STRING_MAX);
		if (rc < 0)
			return rc;
		const char *dash = memchr(it->str, '-', it->len);
		const char *slash = memchr(it->str, '/', it->len);
		size_t alen = dash  ? (size_t)(dash - it->str) :
			      slash ? (size_t)(slash - it->str) :
				      it->len;
		int family = cf_parse_ip(it->str, alen, r.lo);
		if (family < 0)
			return cf_fail(p, it->line,
				       "'%s' is not ADDRESS, ADDRESS/PREFIX or ADDRESS-ADDRESS "
				       "(IPv4 or IPv6)",
				       Q(it, q));
		size_t olen = family == AF_INET ? 4 : 16;
		memcpy(r.hi, r.lo, olen);
		if (dash && slash)
			return cf_fail(p, it->line, "'%s': a range takes no prefix", Q(it, q));
		if (dash) {
			int f2 = cf_parse_ip(dash + 1, it->len - alen - 1, r.hi);
			if (f2 < 0)
				return cf_fail(p, it->line,
					       "'%s': the range's end is not an address", Q(it, q));
			if (f2 != family)
				return cf_fail(p, it->line,
					       "'%s': the range's ends are of different families",
					       Q(it, q));
			if (memcmp(r.lo, r.hi, olen) > 0)
				return cf_fail(p, it->line,
					       "'%s': the range's start is above its end",
					       Q(it, q));
		} else if (slash) {
			unsigned maxlen = family == AF_INET ? 32 : 128;
			struct conf_node pn = { .kind = CONF_NODE_SCALAR,
						.str = (char *)slash + 1,
						.len = it->len - alen - 1 };
			uint64_t plen;
			if (pn.len > 3 || cf_parse_uint(&pn, 255, &plen) < 0 || plen > maxlen)
				return cf_fail(p, it->line, "bad prefix length in '%s' (%s: 0..%u)",
					       Q(it, q), cf_family_name(family), maxlen);
			/* Host bits are ignored: 198.18.0.1/24 is 198.18.0.0/24, as in Knot. */
			for (unsigned b = (unsigned)plen; b < maxlen; b++) {
				r.lo[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
				r.hi[b / 8] |= (uint8_t)(0x80u >> (b % 8));
			}
		}
		if (v4_mapped(family, r.lo) || v4_mapped(family, r.hi))
			return cf_fail(p, it->line, "'%s' is IPv4-mapped; write the IPv4 address",
				       Q(it, q));
		r.family = (uint8_t)family;
		acl->addrs[acl->naddrs++] = r;
		cf_path_pop(p, mark);
	}
	return 0;
}

/* acl[i].action: a scalar or a list of actions; only notify exists so far. */
static int cf_h_acl_actions(struct cf_parser *p, const struct cf_field *f,
			    const struct conf_node *v, void *obj)
{
	struct conf_acl *acl = obj;
	size_t n = cf_list_count(v);
	char q[QBUF];
	int rc;

	(void)f;
	if (n == 0)
		return cf_fail(p, v->line, "needs at least 1 action (notify)");
	for (size_t i = 0; i < n; i++) {
		const struct conf_node *it = NULL; /* cf_list_scalar sets it when it returns 0 */
		size_t mark = v->kind == CONF_NODE_SEQ ? cf_path_push_index(p, i) : p->pathlen;
		unsigned bit = 0;
		rc = cf_list_scalar(p, v, i, &it);
		if (rc < 0)
			return rc;
		if (!strcmp(it->str, "notify"))
			bit = CONF_ACL_NOTIFY;
		else if (!strcmp(it->str, "transfer"))
			return cf_fail(p, it->line,
				       "action transfer: outbound transfers are not supported yet");
		else if (!strcmp(it->str, "update") || !strcmp(it->str, "query"))
			return cf_fail(p, it->line,
				       "action %s: not supported (dpdnsd has only notify)",
				       it->str);
		else
			return cf_fail(p, it->line, "unknown action '%s' (notify)", Q(it, q));
		if (acl->actions & bit)
			return cf_fail(p, it->line, "action '%s' is listed twice", it->str);
		acl->actions |= bit;
		cf_path_pop(p, mark);
	}
	return 0;
}

/* true or false (YAML 1.1's yes/no/on/off are not taken: one spelling). */
static int cf_h_bool(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
		     void *obj)
{
	char q[QBUF];
	bool *dst = cf_at(obj, f->off);

	if (!strcmp(v->str, "true"))
		*dst = true;
	else if (!strcmp(v->str, "false"))
		*dst = false;
	else
		return cf_fail(p, v->line, "expected true or false, got '%s'", Q(v, q));
	return 0;
}

static int acl_check(struct cf_parser *p, const struct conf_node *item, void *items, unsigned i)
{
	struct conf_acl *a = items;
	char q[QBUF];

	for (unsigned j = 0; j < i; j++)
		if (!strcmp(a[j].id, a[i].id)) {
			const struct conf_node *id = cf_map_get(item, "id");
			cf_path_push_key(p, "id", 2);
			return cf_fail(p, id->line, "duplicate acl id '%s' (also acl[%u], line %d)",
				       Q(id, q), j, a[j].line);
		}
	return 0;
}

bool conf_acl_addr_match(const struct conf_acl *acl, int family, const uint8_t *addr)
{
	size_t len = family == AF_INET ? 4 : 16;

	if (!acl || !addr || (family != AF_INET && family != AF_INET6))
		return false;
	if (acl->naddrs == 0)
		return true;
	for (unsigned i = 0; i < acl->naddrs; i++) {
		const struct conf_addr_range *r = &acl->addrs[i];
		if (r->family == family && memcmp(addr, r->lo, len) >= 0 &&
		    memcmp(addr, r->hi, len) <= 0)
			return true;
	}
	return false;
}

const struct conf_acl *conf_acl_find(const struct conf_acl *const *acls, unsigned n,
				     unsigned action, int family, const uint8_t *addr,
				     const uint8_t *key_name)
{
	for (unsigned i = 0; acls && i < n; i++) {
		const struct conf_acl *a = acls[i];
		if (!(a->actions & action) || !conf_acl_addr_match(a, family, addr))
			continue;
		if (a->key && (!key_name || !dns_name_eq(a->key->name, key_name)))
			continue;
		return a;
	}
	return NULL;
}

static const struct cf_field acl_fields[] = {
	{ "id", CF_SHAPE_SCALAR, CF_REQUIRED, NULL, cf_h_string, offsetof(struct conf_acl, id),
	  NULL },
	{ "address", CF_SHAPE_LIST, CF_ONE, NULL, cf_h_acl_addrs, 0, NULL },
	{ "key", CF_SHAPE_SCALAR, 0, NULL, cf_h_key_ref, offsetof(struct conf_acl, key), NULL },
	{ "action", CF_SHAPE_LIST, CF_REQUIRED | CF_ONE, NULL, cf_h_acl_actions, 0, NULL },
	{ "deny", CF_SHAPE_SCALAR, 0, "false", cf_h_bool, offsetof(struct conf_acl, deny), NULL },
	{ NULL },
};

const struct cf_list cf_l_acls = {
	.fields = acl_fields,
	.item_size = sizeof(struct conf_acl),
	.count_off = CS(nacls),
	.line_off = offsetof(struct conf_acl, line),
	.check = acl_check,
};

/* ------------------------------------------------------------ templates */

static int cf_h_template_domain(struct cf_parser *p, const struct cf_field *f,
				const struct conf_node *v, void *obj)
{
	(void)f;
	(void)obj;
	return cf_fail(p, v->line, "a template cannot set 'domain' (each zone names its own)");
}

/* template[i].file: kept as written; "%s" and "%%" are the only '%' sequences. */
static int cf_h_template_file(struct cf_parser *p, const struct cf_field *f,
			      const struct conf_node *v, void *obj)
{
	char q[QBUF];
	int rc = cf_check_text(p, v, PATH_MAX - 1);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < v->len; i++) {
		if (v->str[i] != '%')
			continue;
		if (i + 1 < v->len && (v->str[i + 1] == 's' || v->str[i + 1] == '%')) {
			i++;
			continue;
		}
		return cf_fail(p, v->line,
			       "'%s': a '%%' must start %%s (the zone name) or %%%% (a '%%')",
			       Q(v, q));
	}
	return cf_set_string(p, cf_at(obj, f->off), v->str);
}

static int template_check(struct cf_parser *p, const struct conf_node *item, void *items,
			  unsigned i)
{
	struct conf_template *t = items;
	char q[QBUF];
	int rc;

	for (unsigned j = 0; j < i; j++)
		if (!strcmp(t[j].id, t[i].id)) {
			const struct conf_node *id = cf_map_get(item, "id");
			cf_path_push_key(p, "id", 2);
			return cf_fail(p, id->line,
				       "duplicate template id '%s' (also template[%u], line %d)",
				       Q(id, q), j, t[j].line);
		}
	rc = cf_zone_check_bounds(p, item, "refresh", t[i].z.refresh_min, t[i].z.refresh_max);
	if (rc == 0)
		rc = cf_zone_check_bounds(p, item, "retry", t[i].z.retry_min, t[i].z.retry_max);
	if (rc == 0)
		rc = cf_zone_check_bounds(p, item, "expire", t[i].z.expire_min, t[i].z.expire_max);
	return rc;
}

const struct conf_template *cf_template_find(const struct conf *c, const char *id)
{
	for (unsigned i = 0; i < c->ntemplates; i++)
		if (!strcmp(c->templates[i].id, id))
			return &c->templates[i];
	return NULL;
}

#define CZ(m) offsetof(struct conf_zone, m)

/* The zone handlers fill a template's z as a zone: z comes first in struct conf_template. */
_Static_assert(offsetof(struct conf_template, z) == 0, "conf_template.z must come first");

/* Every zone key but domain and template; the same defaults. */
static const struct cf_field template_fields[] = {
	{ "id", CF_SHAPE_SCALAR, CF_REQUIRED, NULL, cf_h_string, offsetof(struct conf_template, id),
	  NULL },
	{ "domain", CF_SHAPE_SCALAR, 0, NULL, cf_h_template_domain, 0, NULL },
	{ "file", CF_SHAPE_SCALAR, 0, NULL, cf_h_template_file, CZ(file), NULL },
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

const struct cf_list cf_l_templates = {
	.fields = template_fields,
	.item_size = sizeof(struct conf_template),
	.count_off = CS(ntemplates),
	.line_off = offsetof(struct conf_template, line),
	.check = template_check,
};

/* ------------------------------------------------------------------ log */

static const char *const log_level_names[] = {
	[CONF_LOG_CRIT] = "critical", [CONF_LOG_ERR] = "error", [CONF_LOG_WARNING] = "warning",
	[CONF_LOG_NOTICE] = "notice", [CONF_LOG_INFO] = "info", [CONF_LOG_DEBUG] = "debug",
};

/* log[i].target: stderr, stdout, syslog, or a file (a path, made absolute). */
static int cf_h_log_target(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
			   void *obj)
{
	int rc = cf_check_text(p, v, PATH_MAX - 1);

	if (rc < 0)
		return rc;
	if (!strcmp(v->str, "stderr") || !strcmp(v->str, "stdout") || !strcmp(v->str, "syslog"))
		return cf_set_string(p, cf_at(obj, f->off), v->str);
	return cf_set_path(p, v->line, cf_at(obj, f->off), v->str);
}

static const int log_cat_server = CONF_LOG_SERVER, log_cat_zone = CONF_LOG_ZONE,
		 log_cat_control = CONF_LOG_CONTROL;

/* log[i].server, .zone, .control (arg: the category), .any (no arg: the ones not set). */
static int cf_h_log_level(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
			  void *obj)
{
	struct conf_log *l = obj;
	const int *cat = f->arg;
	char q[QBUF];
	int level = -1;

	for (int i = CONF_LOG_CRIT; i <= CONF_LOG_DEBUG; i++)
		if (!strcmp(v->str, log_level_names[i]))
			level = i;
	if (level < 0)
		return cf_fail(p, v->line,
			       "unknown level '%s' (critical, error, warning, notice, info or "
			       "debug)",
			       Q(v, q));
	if (cat) {
		l->levels[*cat] = (int8_t)level;
		return 0;
	}
	for (int c = 0; c < CONF_LOG_CATS; c++)
		if (l->levels[c] == CONF_LOG_NONE)
			l->levels[c] = (int8_t)level;
	return 0;
}

static int log_prepare(struct cf_parser *p, const struct conf_node *item, void *elem)
{
	struct conf_log *l = elem;
	(void)p;
	(void)item;
	for (int c = 0; c < CONF_LOG_CATS; c++)
		l->levels[c] = CONF_LOG_NONE;
	return 0;
}

static int log_check(struct cf_parser *p, const struct conf_node *item, void *items, unsigned i)
{
	struct conf_log *l = items;
	char q[QBUF];
	bool any = false;

	for (int c = 0; c < CONF_LOG_CATS; c++)
		any |= l[i].levels[c] != CONF_LOG_NONE;
	if (!any)
		return cf_fail(p, item->line,
			       "a log target needs a level: any, server, zone or control");
	for (unsigned j = 0; j < i; j++)
		if (!strcmp(l[j].target, l[i].target)) {
			const struct conf_node *t = cf_map_get(item, "target");
			cf_path_push_key(p, "target", 6);
			return cf_fail(p, t->line, "duplicate target '%s' (also log[%u], line %d)",
				       Q(t, q), j, l[j].line);
		}
	return 0;
}

/* No log section (or an empty one): stderr at info, what dpdnsd always did. */
int cf_log_default(struct cf_parser *p)
{
	struct conf *c = p->conf;

	if (c->nlogs)
		return 0;
	free(c->logs);
	c->logs = calloc(1, sizeof(*c->logs));
	if (!c->logs)
		return cf_nomem(p);
	c->logs[0].target = strdup("stderr");
	if (!c->logs[0].target)
		return cf_nomem(p);
	c->nlogs = 1;
	for (int i = 0; i < CONF_LOG_CATS; i++)
		c->logs[0].levels[i] = CONF_LOG_INFO;
	return 0;
}

/* any last: it fills the categories the item does not set itself. */
static const struct cf_field log_fields[] = {
	{ "target", CF_SHAPE_SCALAR, CF_REQUIRED, NULL, cf_h_log_target,
	  offsetof(struct conf_log, target), NULL },
	{ "server", CF_SHAPE_SCALAR, 0, NULL, cf_h_log_level, 0, &log_cat_server },
	{ "zone", CF_SHAPE_SCALAR, 0, NULL, cf_h_log_level, 0, &log_cat_zone },
	{ "control", CF_SHAPE_SCALAR, 0, NULL, cf_h_log_level, 0, &log_cat_control },
	{ "any", CF_SHAPE_SCALAR, 0, NULL, cf_h_log_level, 0, NULL },
	{ NULL },
};

const struct cf_list cf_l_logs = {
	.fields = log_fields,
	.item_size = sizeof(struct conf_log),
	.count_off = CS(nlogs),
	.line_off = offsetof(struct conf_log, line),
	.prepare = log_prepare,
	.check = log_check,
};
