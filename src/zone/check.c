/* SPDX-License-Identifier: BSD-3-Clause */
#include "zone/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dns/errcode.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "zone/contents.h"

/* Room for a long path, a reason and an owner of 255 escaped octets. */
#define DIAG_LINE_MAX 4096

static void diag_stderr(void *ctx, enum zone_diag_level level, const char *line)
{
	(void)ctx;
	(void)level;
	fprintf(stderr, "%s\n", line);
}

void zone_diag_init(struct zone_diag *d, zone_diag_fn fn, void *ctx)
{
	d->fn = fn != NULL ? fn : diag_stderr;
	d->ctx = ctx;
	d->errors = 0;
	d->warnings = 0;
}

void zone_diag_report(struct zone_diag *d, enum zone_diag_level level, const char *file,
		      uint64_t line, const uint8_t *owner, uint16_t type, const char *fmt, ...)
{
	char buf[DIAG_LINE_MAX];
	size_t n = 0;
	int rc;

	if (file == NULL)
		file = "(zone)";
	if (line != 0)
		rc = snprintf(buf, sizeof(buf), "%s:%llu: ", file, (unsigned long long)line);
	else
		rc = snprintf(buf, sizeof(buf), "%s: ", file);
	n = rc > 0 ? (size_t)rc : 0;
	if (level == ZONE_DIAG_WARNING && n < sizeof(buf)) {
		rc = snprintf(buf + n, sizeof(buf) - n, "warning: ");
		n += rc > 0 ? (size_t)rc : 0;
	}
	if (n < sizeof(buf)) {
		va_list ap;
		va_start(ap, fmt);
		rc = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
		va_end(ap);
		n += rc > 0 ? (size_t)rc : 0;
	}
	if (owner != NULL && n < sizeof(buf)) {
		char name[DNS_NAME_TEXT_MAX];
		char tname[16];
		if (dns_name_to_text(owner, name, sizeof(name)) < 0)
			strcpy(name, "?");
		if (type != 0)
			rc = snprintf(buf + n, sizeof(buf) - n, " (%s %s)", name,
				      dns_rrtype_to_text(type, tname));
		else
			rc = snprintf(buf + n, sizeof(buf) - n, " (%s)", name);
	}

	if (d == NULL) {
		diag_stderr(NULL, level, buf);
		return;
	}
	if (level == ZONE_DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
	d->fn(d->ctx, level, buf);
}

static const char *class_text(uint16_t rclass, char *buf, size_t cap)
{
	switch (rclass) {
	case DNS_C_IN: return "IN";
	case DNS_C_CH: return "CH";
	case 4: return "HS";
	case DNS_C_NONE: return "NONE";
	case DNS_C_ANY: return "ANY";
	default: snprintf(buf, cap, "CLASS%u", rclass); return buf;
	}
}

int zone_check_record(struct zone_diag *d, const char *file, uint64_t line, const uint8_t *origin,
		      const uint8_t *owner, uint16_t type, uint16_t rclass, const uint8_t *rdata,
		      size_t rdlen)
{
	char buf[DNS_NAME_TEXT_MAX];

	if (!dns_name_is_sub(owner, origin)) {
		if (dns_name_to_text(origin, buf, sizeof(buf)) < 0)
			strcpy(buf, "?");
		if (d != NULL)
			zone_diag_report(d, ZONE_DIAG_ERROR, file, line, owner, type,
					 "record outside the zone %s", buf);
		return DP_EZONE;
	}
	return zone_check_record_data(d, file, line, owner, type, rclass, rdata, rdlen);
}

int zone_check_record_data(struct zone_diag *d, const char *file, uint64_t line,
			   const uint8_t *owner, uint16_t type, uint16_t rclass,
			   const uint8_t *rdata, size_t rdlen)
{
	char buf[DNS_NAME_TEXT_MAX];
	int rc;

	if (rclass != DNS_C_IN) {
		if (d != NULL)
			zone_diag_report(d, ZONE_DIAG_ERROR, file, line, owner, type,
					 "class %s not supported, only IN",
					 class_text(rclass, buf, sizeof(buf)));
		return DP_EINVAL;
	}
	if (dns_rrtype_is_meta(type)) {
		if (d != NULL)
			zone_diag_report(d, ZONE_DIAG_ERROR, file, line, owner, type,
					 "meta type not allowed in a zone");
		return DP_EINVAL;
	}
	rc = dns_rdata_check(type, rdata, rdlen);
	if (rc < 0) {
		if (d != NULL)
			zone_diag_report(d, ZONE_DIAG_ERROR, file, line, owner, type,
					 "bad rdata: %s", dp_strerror(rc));
		return DP_ERDATA;
	}
	return 0;
}

struct ck {
	const struct zone_contents *z;
	const struct zone_src *src;
	const char *name;
	struct zone_diag *d;
	unsigned long errors;
};

/* RR index of the first (k = 0) or second (k = 1) RR of an RRset in reading order. */
static size_t rr_nth(const struct ck *c, size_t base, uint32_t count, unsigned k)
{
	size_t best = base, next = base + (count > 1 ? 1 : 0);
	if (c->src == NULL || count < 2)
		return k == 0 ? best : next;
	if (c->src->rr[next].seq < c->src->rr[best].seq) {
		size_t t = best;
		best = next;
		next = t;
	}
	for (size_t i = base + 2; i < base + count; i++) {
		uint32_t s = c->src->rr[i].seq;
		if (s < c->src->rr[best].seq) {
			next = best;
			best = i;
		} else if (s < c->src->rr[next].seq) {
			next = i;
		}
	}
	return k == 0 ? best : next;
}

static uint32_t rr_seq(const struct ck *c, size_t ri)
{
	return c->src != NULL ? c->src->rr[ri].seq : 0;
}

static void ck_report(struct ck *c, enum zone_diag_level level, size_t ri, const uint8_t *owner,
		      uint16_t type, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void ck_report(struct ck *c, enum zone_diag_level level, size_t ri, const uint8_t *owner,
		      uint16_t type, const char *fmt, ...)
{
	char reason[1024];
	const char *file = c->name;
	uint64_t line = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (c->src != NULL && ri != SIZE_MAX) {
		file = c->src->files[c->src->rr[ri].file];
		line = c->src->rr[ri].line;
	}
	if (level == ZONE_DIAG_ERROR)
		c->errors++;
	zone_diag_report(c->d, level, file, line, owner, type, "%s", reason);
}

static bool has_address(const struct zone_node *n)
{
	return n != NULL &&
	       (zone_node_rrset(n, DNS_T_A) != NULL || zone_node_rrset(n, DNS_T_AAAA) != NULL);
}

/*
 * The node named name among nodes[from..] (name sorts at or after from's
 * owner), or NULL.  In-bailiwick targets lie just after their delegation, so
 * a galloping search finds them in a few steps where a binary search over a
 * million nodes takes twenty.
 */
static const struct zone_node *find_after(const struct zone_contents *z, size_t from,
					  const uint8_t *name)
{
	size_t n = z->node_count, lo = from, hi = from, step = 1;
	/* Every node before lo sorts before name; nodes[hi], if any, not. */
	while (hi < n && dns_name_cmp(zone_contents_node(z, hi)->owner, name) < 0) {
		lo = hi + 1;
		hi = from + step;
		step *= 2;
	}
	size_t end = hi < n ? hi + 1 : n;
	while (lo < end) {
		size_t mid = lo + (end - lo) / 2;
		const struct zone_node *m = zone_contents_node(z, mid);
		int c = dns_name_cmp(m->owner, name);
		if (c == 0)
			return m;
		if (c < 0)
			lo = mid + 1;
		else
			end = mid;
	}
	return NULL;
}

/*
 * The delegation's in-bailiwick NS targets must have glue.  pos: n's index
 * in the contents, or SIZE_MAX when the caller does not know it.
 */
static void check_glue(struct ck *c, const struct zone_node *n, size_t pos,
		       const struct zone_rrset *ns, size_t base)
{
	if (pos == SIZE_MAX && !zone_contents_search(c->z, n->owner, &pos))
		pos = 0;
	const uint8_t *rr = ns->rdata;
	for (uint32_t i = 0; i < ns->count; i++, rr = zone_rr_next(rr)) {
		const uint8_t *target = zone_rr_data(rr);
		if (!dns_name_is_sub(target, n->owner))
			continue;
		if (has_address(find_after(c->z, pos, target)))
			continue;
		char tname[DNS_NAME_TEXT_MAX];
		if (dns_name_to_text(target, tname, sizeof(tname)) < 0)
			strcpy(tname, "?");
		ck_report(c, ZONE_DIAG_ERROR, base + i, n->owner, DNS_T_NS,
			  "NS without glue under a delegation: %s has no A/AAAA", tname);
	}
}

static void check_node(struct ck *c, const struct zone_node *n, size_t pos, size_t ri,
		       bool below_dname)
{
	size_t cname_ri = SIZE_MAX, other_ri = SIZE_MAX;
	uint16_t other_type = 0;
	size_t first_ri = SIZE_MAX;
	uint16_t first_type = 0;

	for (unsigned j = 0; j < n->rrset_count; j++) {
		const struct zone_rrset *rs = &n->rrsets[j];
		size_t f = rr_nth(c, ri, rs->count, 0);
		if (first_ri == SIZE_MAX || rr_seq(c, f) < rr_seq(c, first_ri)) {
			first_ri = f;
			first_type = rs->type;
		}
		switch (rs->type) {
		case DNS_T_SOA:
			if (!(n->flags & ZONE_NODE_APEX))
				ck_report(c, ZONE_DIAG_ERROR, f, n->owner, rs->type,
					  "SOA record not at the zone apex");
			else if (rs->count > 1)
				ck_report(c, ZONE_DIAG_ERROR, rr_nth(c, ri, rs->count, 1), n->owner,
					  rs->type, "more than one SOA record");
			break;
		case DNS_T_CNAME:
			cname_ri = f;
			if (rs->count > 1)
				ck_report(c, ZONE_DIAG_ERROR, rr_nth(c, ri, rs->count, 1), n->owner,
					  rs->type, "more than one CNAME record");
			break;
		case DNS_T_DNAME:
			if (rs->count > 1)
				ck_report(c, ZONE_DIAG_ERROR, rr_nth(c, ri, rs->count, 1), n->owner,
					  rs->type, "more than one DNAME record");
			break;
		case DNS_T_NS:
			if (n->flags & ZONE_NODE_DELEGATION)
				check_glue(c, n, pos, rs, ri);
			break;
		default: break;
		}
		if (rs->type != DNS_T_CNAME && rs->type != DNS_T_RRSIG && rs->type != DNS_T_NSEC &&
		    (other_ri == SIZE_MAX || rr_seq(c, f) < rr_seq(c, other_ri))) {
			other_ri = f;
			other_type = rs->type;
		}
		ri += rs->count;
	}

	if (cname_ri != SIZE_MAX && other_ri != SIZE_MAX) {
		/* Point at whichever of the two came second: that is the one to remove. */
		bool cname_later = rr_seq(c, cname_ri) > rr_seq(c, other_ri);
		ck_report(c, ZONE_DIAG_ERROR, cname_later ? cname_ri : other_ri, n->owner,
			  cname_later ? DNS_T_CNAME : other_type, "CNAME beside other data");
	}
	if (below_dname && first_ri != SIZE_MAX)
		ck_report(c, ZONE_DIAG_WARNING, first_ri, n->owner, first_type,
			  "data below a DNAME is occluded");
}

static void check_apex(struct ck *c)
{
	const struct zone_node *apex = zone_contents_apex(c->z);
	if (apex == NULL || zone_node_rrset(apex, DNS_T_SOA) == NULL)
		ck_report(c, ZONE_DIAG_ERROR, SIZE_MAX, c->z->origin, DNS_T_SOA,
			  "no SOA record at the zone apex");
	if (apex == NULL || zone_node_rrset(apex, DNS_T_NS) == NULL)
		ck_report(c, ZONE_DIAG_ERROR, SIZE_MAX, c->z->origin, DNS_T_NS,
			  "no NS record at the zone apex");
}

int zone_check_changes(const struct zone_contents *z, const uint8_t *const *names, size_t n,
		       const char *name, struct zone_diag *d)
{
	struct ck c = { .z = z, .src = NULL, .name = name, .d = d };
	check_apex(&c);
	int ol = dns_name_labels(z->origin);
	const struct zone_node *last_cut = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct zone_node *nd = zone_contents_find(z, names[i]);
		int nl = dns_name_labels(names[i]);
		/* Below a DNAME (occluded): the warning zone_check gives. */
		bool below_dname = false;
		const struct zone_node *cut = NULL;
		for (int k = ol; k <= nl; k++) {
			const uint8_t *anc = dns_name_suffix(names[i], k);
			const struct zone_node *a = zone_contents_find(z, anc);
			if (a == NULL)
				continue;
			if (k < nl && !(a->flags & ZONE_NODE_OCCLUDED) &&
			    zone_node_rrset(a, DNS_T_DNAME) != NULL)
				below_dname = true;
			if (a->flags & ZONE_NODE_DELEGATION)
				cut = a;
		}
		if (nd != NULL)
			check_node(&c, nd, SIZE_MAX, 0,
				   below_dname && (nd->flags & ZONE_NODE_OCCLUDED));
		/* The delegation's glue, once per delegation (names come sorted). */
		if (cut != NULL && cut != nd && cut != last_cut) {
			const struct zone_rrset *ns = zone_node_rrset(cut, DNS_T_NS);
			if (ns != NULL)
				check_glue(&c, cut, SIZE_MAX, ns, 0);
		}
		if (cut != NULL)
			last_cut = cut;
	}
	return c.errors == 0 ? 0 : DP_EZONE;
}

int zone_check(const struct zone_contents *z, const struct zone_src *src, const char *name,
	       struct zone_diag *d)
{
	struct ck c = { .z = z, .src = src, .name = name, .d = d };
	const uint8_t *dname_cut = NULL;
	size_t ri = 0;

	check_apex(&c);
	for (size_t i = 0; i < z->node_count; i++) {
		const struct zone_node *n = zone_contents_node(z, i);
		bool below_dname = false;
		if (dname_cut != NULL && (n->flags & ZONE_NODE_OCCLUDED) &&
		    dns_name_is_sub(n->owner, dname_cut))
			below_dname = true;
		else if (dname_cut != NULL && !dns_name_is_sub(n->owner, dname_cut))
			dname_cut = NULL;
		if (!(n->flags & ZONE_NODE_OCCLUDED) && zone_node_rrset(n, DNS_T_DNAME) != NULL)
			dname_cut = n->owner;
		check_node(&c, n, i, ri, below_dname);
		for (unsigned j = 0; j < n->rrset_count; j++)
			ri += n->rrsets[j].count;
	}
	return c.errors == 0 ? 0 : DP_EZONE;
}
