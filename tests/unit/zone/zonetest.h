/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Helpers shared by the src/zone/ unit tests: a diagnostics sink that keeps
 * the lines it gets, paths into tests/unit/data, zones loaded from there,
 * names from text, queries, a structural comparison of two contents and a
 * dump into memory.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "dns/edns.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "zone/check.h"
#include "zone/contents.h"
#include "zone/dump.h"
#include "zone/load.h"

#define CAPTURE_MAX 64

struct capture {
	struct zone_diag diag;
	char *lines[CAPTURE_MAX];
	enum zone_diag_level levels[CAPTURE_MAX];
	unsigned n;
};

static inline void capture_fn(void *ctx, enum zone_diag_level level, const char *line)
{
	struct capture *c = ctx;
	/* Shown in the test log: makes a failing assertion easy to read. */
	fprintf(stderr, "diag: %s\n", line);
	if (c->n < CAPTURE_MAX) {
		c->levels[c->n] = level;
		c->lines[c->n++] = strdup(line);
	}
}

static inline void capture_init(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	zone_diag_init(&c->diag, capture_fn, c);
}

static inline void capture_fini(struct capture *c)
{
	for (unsigned i = 0; i < c->n; i++)
		free(c->lines[i]);
	c->n = 0;
}

/* Path of a file in tests/unit/data (caller frees). */
static inline char *data_path(const char *name)
{
	const char *dir = getenv("DPDNS_TESTDATA");
	char *p = NULL;
	cr_assert_not_null(dir, "DPDNS_TESTDATA not set");
	cr_assert_gt(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

/*
 * The zone file tests/unit/data/FILE (DPDNS_TESTDATA, or that path from the
 * source tree when unset) loaded as origin; asserts that it loads.
 */
static inline struct zone_contents *load_data_zone(const char *origin, const char *file)
{
	char path[512];
	const char *dir = getenv("DPDNS_TESTDATA");
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/unit/data", file);
	struct zone_diag d;
	zone_diag_init(&d, NULL, NULL);
	struct zone_contents *z = zone_load_file(path, origin, &d);
	cr_assert_not_null(z, "cannot load %s", path);
	return z;
}

/* A query for name (wire) and type into buf; edns 0: none, 1: EDNS, 2: EDNS with DO. */
static inline size_t wire_query(const uint8_t *name, uint16_t type, int edns, uint8_t *buf,
				size_t cap)
{
	struct dns_wr w;
	dns_wr_init(&w, buf, cap);
	struct dns_hdr h = { 0x4321, DNS_F_RD, 1, 0, 0, edns ? 1 : 0 };
	dns_hdr_write(&w, &h);
	dns_wr_bytes(&w, name, dns_name_len(name));
	dns_wr_u16(&w, type);
	dns_wr_u16(&w, DNS_C_IN);
	if (edns)
		dns_edns_write(&w, 1232, 0, edns == 2 ? DNS_EDNS_DO : 0, NULL, 0);
	cr_assert_eq(w.err, 0);
	return w.pos;
}

/* A message naming file path (as given) with a suffix. */
static inline char *msg(const char *path, const char *suffix)
{
	char *p = NULL;
	cr_assert_gt(asprintf(&p, "%s%s", path, suffix), 0);
	return p;
}

/* Wire name from absolute presentation text into a static rotating buffer. */
static inline const uint8_t *wn(const char *text)
{
	static uint8_t bufs[8][DNS_NAME_MAXLEN];
	static unsigned next;
	static const uint8_t root[1] = { 0 };
	uint8_t *b = bufs[next++ % 8];
	cr_assert_gt(dns_name_from_text(text, root, b), 0, "bad name %s", text);
	return b;
}

/* Presentation text of a wire name into a static rotating buffer. */
static inline const char *nt(const uint8_t *name)
{
	static char bufs[4][DNS_NAME_TEXT_MAX];
	static unsigned next;
	char *b = bufs[next++ % 4];
	cr_assert_gt(dns_name_to_text(name, b, DNS_NAME_TEXT_MAX), 0);
	return b;
}

/* Asserts that a and b hold exactly the same nodes, RRsets and RRs. */
static inline void assert_same_contents(const struct zone_contents *a,
					const struct zone_contents *b)
{
	cr_assert_eq(dns_name_cmp(a->origin, b->origin), 0);
	cr_assert_eq(a->serial, b->serial);
	cr_assert_eq(a->record_count, b->record_count);
	cr_assert_eq(a->rrset_count, b->rrset_count);
	cr_assert_eq(a->node_count, b->node_count, "%zu nodes vs %zu", a->node_count,
		     b->node_count);
	for (size_t i = 0; i < a->node_count; i++) {
		const struct zone_node *x = &a->nodes[i], *y = &b->nodes[i];
		size_t len = dns_name_len(x->owner);
		cr_assert(len == dns_name_len(y->owner) && memcmp(x->owner, y->owner, len) == 0,
			  "node %zu: %s vs %s", i, nt(x->owner), nt(y->owner));
		cr_assert_eq(x->flags, y->flags, "flags of %s", nt(x->owner));
		cr_assert_eq(x->rrset_count, y->rrset_count, "rrsets of %s", nt(x->owner));
		for (unsigned j = 0; j < x->rrset_count; j++) {
			const struct zone_rrset *r = &x->rrsets[j], *s = &y->rrsets[j];
			cr_assert(
				r->type == s->type && r->covers == s->covers && r->ttl == s->ttl &&
					r->count == s->count && r->size == s->size,
				"rrset %u of %s: type %u/%u ttl %u/%u count %u/%u", j, nt(x->owner),
				r->type, s->type, r->ttl, s->ttl, r->count, s->count);
			cr_assert_eq(memcmp(r->rdata, s->rdata, r->size), 0,
				     "rdata of type %u at %s differs", r->type, nt(x->owner));
		}
	}
}

/* The canonical dump of z as a string (caller frees). */
static inline char *dump_string(const struct zone_contents *z)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_assert_eq(zone_dump(z, f), 0);
	fclose(f);
	return buf;
}
