/* SPDX-License-Identifier: BSD-3-Clause */
#include "zone/builder.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/errcode.h"
#include "dns/name.h"
#include "dns/rrtype.h"

/*
 * One added RR.  Owners and rdata live in two growable byte buffers and are
 * referenced by offset, so growing a buffer never invalidates a record.
 */
struct brec {
	size_t owner;
	size_t rdata;
	uint32_t rank; /* owner's canonical rank once ranked; equal owners, equal ranks */
	uint32_t ttl;
	uint32_t line;
	uint32_t seq;
	uint16_t type;
	uint16_t covers;
	uint16_t rdlen;
	uint16_t file;
};

struct bbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

struct zone_builder {
	uint8_t origin[DNS_NAME_MAXLEN];
	struct bbuf owners;
	struct bbuf rdata;
	struct brec *recs;
	size_t n;
	size_t cap;
	char **files; /* files[0] may be NULL: "(zone)" */
	unsigned nfiles;
	uint16_t cur_file;
	struct zone_diag *add_diag;
	unsigned long rejected;
	bool oom;			   /* an add ran out of memory: finish must fail */
	size_t last_owner;		   /* offset of the most recent owner, for sharing */
	size_t last_owner_len;		   /* 0: none yet */
	uint8_t last_raw[DNS_NAME_MAXLEN]; /* that owner as last added (any case) */
	size_t last_raw_len;		   /* 0: none */
	uint8_t *lower_a;		   /* scratch for canonical rdata comparison */
	uint8_t *lower_b;
	struct zone_builder_times times; /* of the last finish */
};

#define RDATA_MAX 65535

/* Also allocates for more == 0, so that p is never NULL once a record is in. */
static int bbuf_reserve(struct bbuf *b, size_t more)
{
	if (b->p != NULL && more <= b->cap - b->len)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < more)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (p == NULL)
		return DP_ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

struct zone_builder *zone_builder_new(const uint8_t *origin)
{
	int len = dns_name_check(origin, DNS_NAME_MAXLEN);
	if (len < 0)
		return NULL;
	struct zone_builder *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	dns_name_copy_lower(b->origin, origin);
	b->files = calloc(1, sizeof(*b->files));
	b->lower_a = malloc(RDATA_MAX);
	b->lower_b = malloc(RDATA_MAX);
	if (b->files == NULL || b->lower_a == NULL || b->lower_b == NULL)
		goto fail;
	b->nfiles = 1;
	return b;
fail:
	zone_builder_free(b);
	return NULL;
}

static void builder_clear(struct zone_builder *b)
{
	free(b->owners.p);
	free(b->rdata.p);
	free(b->recs);
	memset(&b->owners, 0, sizeof(b->owners));
	memset(&b->rdata, 0, sizeof(b->rdata));
	b->recs = NULL;
	b->n = b->cap = 0;
	b->last_owner_len = 0;
	b->last_raw_len = 0;
}

void zone_builder_free(struct zone_builder *b)
{
	if (b == NULL)
		return;
	builder_clear(b);
	for (unsigned i = 0; i < b->nfiles; i++)
		free(b->files[i]);
	free(b->files);
	free(b->lower_a);
	free(b->lower_b);
	free(b);
}

int zone_builder_set_source(struct zone_builder *b, const char *file, struct zone_diag *d)
{
	b->add_diag = d;
	if (file == NULL)
		return 0;
	for (unsigned i = 0; i < b->nfiles; i++) {
		if (b->files[i] != NULL && strcmp(b->files[i], file) == 0) {
			b->cur_file = (uint16_t)i;
			return 0;
		}
	}
	char *copy = strdup(file);
	if (copy == NULL)
		return DP_ENOMEM;
	/* The unnamed slot 0 is taken over while nothing refers to it. */
	if (b->nfiles == 1 && b->files[0] == NULL && b->n == 0) {
		b->files[0] = copy;
		b->cur_file = 0;
		return 0;
	}
	if (b->nfiles > UINT16_MAX) {
		free(copy);
		return DP_ERANGE;
	}
	char **files = realloc(b->files, (b->nfiles + 1) * sizeof(*files));
	if (files == NULL) {
		free(copy);
		return DP_ENOMEM;
	}
	b->files = files;
	b->files[b->nfiles] = copy;
	b->cur_file = (uint16_t)b->nfiles++;
	return 0;
}

/* This thread's CPU time in seconds: finish's stages are timed for benchmarks. */
static double thread_cpu_s(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void zone_builder_times(const struct zone_builder *b, struct zone_builder_times *t)
{
	*t = b->times;
}

size_t zone_builder_count(const struct zone_builder *b)
{
	return b->n;
}

/*
 * Whether owner is the name raw[0..len) octet for octet.  The compare stops
 * at the first difference, so it never reads past the end of owner, which
 * has not been checked yet.
 */
static bool same_raw_name(const uint8_t *owner, const uint8_t *raw, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (owner[i] != raw[i])
			return false;
	}
	return true;
}

int zone_builder_add(struct zone_builder *b, const uint8_t *owner, uint16_t type, uint16_t rclass,
		     uint32_t ttl, const uint8_t *rdata, size_t rdlen, uint64_t line)
{
	uint8_t low[DNS_NAME_MAXLEN];
	int rc;

	/* Records come in runs of one owner (zone files and AXFRs alike): one that
	 * repeats the previous owner's octets needs no name checks, no
	 * lowercasing and no new copy. */
	bool same = b->last_raw_len > 0 && same_raw_name(owner, b->last_raw, b->last_raw_len);
	if ((!same && dns_name_check(owner, DNS_NAME_MAXLEN) < 0) || rdlen > RDATA_MAX ||
	    (rdlen > 0 && rdata == NULL)) {
		b->rejected++;
		return DP_EINVAL;
	}
	if (same)
		rc = zone_check_record_data(b->add_diag, b->files[b->cur_file], line, owner, type,
					    rclass, rdata, rdlen);
	else
		rc = zone_check_record(b->add_diag, b->files[b->cur_file], line, b->origin, owner,
				       type, rclass, rdata, rdlen);
	if (rc < 0) {
		b->rejected++;
		return rc;
	}

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		struct brec *recs = realloc(b->recs, cap * sizeof(*recs));
		if (recs == NULL)
			goto oom;
		b->recs = recs;
		b->cap = cap;
	}
	/* Zone files list a name's records together: share the owner with the previous one. */
	if (!same) {
		size_t olen = dns_name_copy_lower(low, owner);
		if (b->last_owner_len != olen ||
		    memcmp(b->owners.p + b->last_owner, low, olen) != 0) {
			if (bbuf_reserve(&b->owners, olen) < 0)
				goto oom;
			b->last_owner = b->owners.len;
			b->last_owner_len = olen;
			memcpy(b->owners.p + b->owners.len, low, olen);
			b->owners.len += olen;
		}
		memcpy(b->last_raw, owner, olen);
		b->last_raw_len = olen;
	}
	if (bbuf_reserve(&b->rdata, rdlen) < 0)
		goto oom;
	struct brec *r = &b->recs[b->n];
	r->owner = b->last_owner;
	r->rdata = b->rdata.len;
	if (rdlen > 0)
		memcpy(b->rdata.p + b->rdata.len, rdata, rdlen);
	b->rdata.len += rdlen;
	r->ttl = ttl;
	r->line = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
	r->seq = (uint32_t)b->n;
	r->type = type;
	r->covers = (type == DNS_T_RRSIG && rdlen >= 2) ? dns_get_u16(rdata) : 0;
	r->rdlen = (uint16_t)rdlen;
	r->file = b->cur_file;
	b->n++;
	return 0;
oom:
	b->oom = true;
	return DP_ENOMEM;
}

static bool type_lowers(uint16_t type)
{
	const struct dns_rrtype_desc *desc = dns_rrtype_get(type);
	for (unsigned i = 0; i < DNS_RDF_MAXFIELDS && desc->fields[i].kind != DNS_RDF_END; i++) {
		if (desc->fields[i].kind == DNS_RDF_NAME && (desc->fields[i].flags & DNS_RDF_LOWER))
			return true;
	}
	return false;
}

/* RFC 4034 §6.3 order of two rdata of type, compared in canonical (lowercased) form. */
static int rdata_canon_cmp(struct zone_builder *b, uint16_t type, const struct brec *x,
			   const struct brec *y)
{
	const uint8_t *a = b->rdata.p + x->rdata;
	const uint8_t *c = b->rdata.p + y->rdata;
	if (type_lowers(type)) {
		memcpy(b->lower_a, a, x->rdlen);
		memcpy(b->lower_b, c, y->rdlen);
		dns_rdata_lower(type, b->lower_a, x->rdlen);
		dns_rdata_lower(type, b->lower_b, y->rdlen);
		a = b->lower_a;
		c = b->lower_b;
	}
	return dns_rdata_cmp(a, x->rdlen, c, y->rdlen);
}

/* Valid once rank_owners has run. */
static bool same_owner(const struct brec *x, const struct brec *y)
{
	return x->rank == y->rank;
}

static bool same_rrset(const struct brec *x, const struct brec *y)
{
	return x->type == y->type && x->covers == y->covers && same_owner(x, y);
}

static int rec_cmp(const void *pa, const void *pb, void *ctx)
{
	struct zone_builder *b = ctx;
	const struct brec *x = pa, *y = pb;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->covers != y->covers)
		return x->covers < y->covers ? -1 : 1;
	int c = rdata_canon_cmp(b, x->type, x, y);
	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/*
 * Sorting a million records with dns_name_cmp spends most of the load in
 * label walking.  Instead each distinct owner gets a sort key once: its
 * labels below the origin from the top down, lowercased, each followed by a
 * 0x00 separator, with octets 0x00 and 0x01 escaped as 0x01 0x01 and 0x01
 * 0x02.  The escape is an order-preserving prefix code whose codes all sort
 * above the separator, so memcmp order of keys (shorter first on a tie) is
 * exactly RFC 4034 §6.1 order of names in the zone.  The first 8 key octets
 * are cached as an integer, which settles most comparisons.  Owners are
 * then ranked and records sorted by rank; dns_name_cmp stays the reference
 * (asserted on the result in assemble).
 */
struct okey {
	uint64_t prefix;
	size_t key; /* offset in the key buffer */
	uint32_t len;
	uint32_t id; /* index before sorting */
};

static size_t key_encode(uint8_t *out, const uint8_t *name, int skip_labels)
{
	const uint8_t *labels[DNS_NAME_MAXLABELS];
	int n = 0;
	for (const uint8_t *p = name; *p != 0; p += 1 + *p)
		labels[n++] = p;
	size_t len = 0;
	for (int i = n - 1 - skip_labels; i >= 0; i--) {
		const uint8_t *l = labels[i];
		for (unsigned j = 1; j <= l[0]; j++) {
			uint8_t c = l[j];
			if (c <= 1) {
				out[len++] = 1;
				out[len++] = (uint8_t)(c + 1);
			} else {
				out[len++] = c;
			}
		}
		out[len++] = 0;
	}
	return len;
}

static int okey_cmp(const void *pa, const void *pb, void *ctx)
{
	const uint8_t *keys = ctx;
	const struct okey *x = pa, *y = pb;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	uint32_t min = x->len < y->len ? x->len : y->len;
	int c = memcmp(keys + x->key, keys + y->key, min);
	if (c != 0)
		return c;
	return x->len < y->len ? -1 : (x->len > y->len);
}

/*
 * Sorts ok[0..n) by okey_cmp, tmp[0..n) being scratch: an LSD radix sort on
 * the 8-octet prefixes (passes in which every key has the same octet are
 * skipped), then a comparison sort of each run of equal prefixes (longer
 * keys that share their first 8 octets).  qsort_r with okey_cmp did the same
 * in about four times the time on a million owners.
 */
static void okey_sort(struct okey *ok, struct okey *tmp, size_t n, const uint8_t *keys)
{
	size_t count[256];
	struct okey *src = ok, *dst = tmp;

	for (unsigned shift = 0; shift < 64; shift += 8) {
		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n; i++)
			count[src[i].prefix >> shift & 0xff]++;
		if (n == 0 || count[src[0].prefix >> shift & 0xff] == n)
			continue;
		size_t sum = 0;
		for (unsigned d = 0; d < 256; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[src[i].prefix >> shift & 0xff]++] = src[i];
		struct okey *t = src;
		src = dst;
		dst = t;
	}
	if (src != ok)
		memcpy(ok, src, n * sizeof(*ok));
	for (size_t i = 0, end; i < n; i = end) {
		for (end = i + 1; end < n && ok[end].prefix == ok[i].prefix; end++)
			;
		if (end - i > 1)
			qsort_r(ok + i, end - i, sizeof(*ok), okey_cmp, (void *)keys);
	}
}

/*
 * Sets every record's rank and *nranks; *in_order tells whether the records
 * already are in rank order (ranks never decrease), as they are when a
 * primary sends its zone in canonical order (Knot, NSD and BIND do): then
 * each owner's rank is its run's number and nothing is sorted.
 * Returns 0 or DP_ENOMEM.
 */
static int rank_owners(struct zone_builder *b, size_t *nranks, bool *in_order)
{
	size_t nkeys = 0, keybytes = 0;
	int skip = dns_name_labels(b->origin);
	struct okey *ok = NULL, *tmp = NULL;
	uint8_t *keys = NULL;
	uint32_t *rank = NULL;
	int rc = DP_ENOMEM;

	/* Owners are shared only between consecutive adds: one key per run. */
	for (size_t i = 0; i < b->n; i++) {
		if (i == 0 || b->recs[i].owner != b->recs[i - 1].owner) {
			nkeys++;
			keybytes += 2 * dns_name_len(b->owners.p + b->recs[i].owner);
		}
	}
	ok = malloc((nkeys ? nkeys : 1) * sizeof(*ok));
	keys = malloc(keybytes ? keybytes : 1);
	if (ok == NULL || keys == NULL)
		goto out;

	size_t k = 0, kb = 0;
	bool sorted = true;
	for (size_t i = 0; i < b->n; i++) {
		if (i == 0 || b->recs[i].owner != b->recs[i - 1].owner) {
			struct okey *e = &ok[k];
			e->key = kb;
			e->len = (uint32_t)key_encode(keys + kb, b->owners.p + b->recs[i].owner,
						      skip);
			e->id = (uint32_t)k;
			e->prefix = 0;
			for (unsigned j = 0; j < 8; j++)
				e->prefix = e->prefix << 8 | (j < e->len ? keys[kb + j] : 0);
			/* Strictly increasing keys: distinct owners, already in order. */
			if (k > 0 && sorted && okey_cmp(&ok[k - 1], e, keys) >= 0)
				sorted = false;
			kb += e->len;
			k++;
		}
		b->recs[i].rank = (uint32_t)(k - 1);
	}
	*in_order = sorted;
	if (sorted) {
		*nranks = nkeys;
		rc = 0;
		goto out;
	}
	tmp = malloc((nkeys ? nkeys : 1) * sizeof(*tmp));
	rank = malloc((nkeys ? nkeys : 1) * sizeof(*rank));
	if (tmp == NULL || rank == NULL)
		goto out;
	okey_sort(ok, tmp, nkeys, keys);
	uint32_t r = 0;
	for (size_t i = 0; i < nkeys; i++) {
		if (i > 0 && okey_cmp(&ok[i - 1], &ok[i], keys) != 0)
			r++;
		rank[ok[i].id] = r;
	}
	for (size_t i = 0; i < b->n; i++)
		b->recs[i].rank = rank[b->recs[i].rank];
	*nranks = nkeys ? (size_t)r + 1 : 0;
	rc = 0;
out:
	free(ok);
	free(tmp);
	free(keys);
	free(rank);
	return rc;
}

/* Whether recs[0..n) (one owner's) are in rec_cmp order already. */
static bool owner_in_order(struct zone_builder *b, const struct brec *recs, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (rec_cmp(&recs[i - 1], &recs[i], b) > 0)
			return false;
	}
	return true;
}

/*
 * Canonical order of all records: ranked owners, then a counting sort by rank
 * (stable, so each owner's records stay in reading order; skipped when the
 * records are in rank order already), then a small sort per owner by (type,
 * covers, rdata, seq), skipped where they are in that order.
 * Returns 0 or DP_ENOMEM.
 */
static int sort_records(struct zone_builder *b)
{
	size_t nranks = 0;
	bool in_order = false;
	size_t *start = NULL;
	struct brec *sorted = NULL;
	int rc = rank_owners(b, &nranks, &in_order);
	if (rc < 0)
		return rc;
	if (!in_order) {
		start = calloc(nranks + 1, sizeof(*start));
		sorted = malloc((b->n ? b->n : 1) * sizeof(*sorted));
		if (start == NULL || sorted == NULL) {
			rc = DP_ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < b->n; i++)
			start[b->recs[i].rank + 1]++;
		for (size_t r = 1; r <= nranks; r++)
			start[r] += start[r - 1];
		for (size_t i = 0; i < b->n; i++)
			sorted[start[b->recs[i].rank]++] = b->recs[i];
		free(b->recs);
		b->recs = sorted;
		b->cap = b->n;
		sorted = NULL;
	}
	for (size_t i = 0, end; i < b->n; i = end) {
		for (end = i + 1; end < b->n && b->recs[end].rank == b->recs[i].rank; end++)
			;
		if (end - i > 1 && !owner_in_order(b, b->recs + i, end - i))
			qsort_r(b->recs + i, end - i, sizeof(*b->recs), rec_cmp, b);
	}
out:
	free(start);
	free(sorted);
	return rc;
}

/* What assemble allocates: counted while the records are tidied. */
struct bsize {
	size_t nodes;
	size_t rrsets;
	size_t bytes;
};

/*
 * One pass over the sorted records, RRset by RRset: the RRset's TTL is its
 * first RR's (every RR that differs gets a warning), RRs equal to the one
 * before are dropped (sorting put the first loaded copy first), and the
 * nodes, RRsets and octets of what is kept are counted for assemble.
 */
static void tidy_rrsets(struct zone_builder *b, struct zone_diag *d, struct bsize *sz)
{
	size_t kept = 0;
	sz->nodes = sz->rrsets = 0;
	sz->bytes = dns_name_len(b->origin);
	for (size_t i = 0, end; i < b->n; i = end) {
		size_t first = i;
		for (end = i + 1; end < b->n && same_rrset(&b->recs[i], &b->recs[end]); end++) {
			if (b->recs[end].seq < b->recs[first].seq)
				first = end;
		}
		uint32_t ttl = b->recs[first].ttl;
		for (size_t j = i; j < end; j++) {
			struct brec *r = &b->recs[j];
			if (r->ttl == ttl)
				continue;
			zone_diag_report(d, ZONE_DIAG_WARNING, b->files[r->file], r->line,
					 b->owners.p + r->owner, r->type,
					 "TTL %u differs from the RRset's TTL %u, using %u", r->ttl,
					 ttl, ttl);
			r->ttl = ttl;
		}
		if (kept == 0 || !same_owner(&b->recs[kept - 1], &b->recs[i])) {
			sz->nodes++;
			sz->bytes += dns_name_len(b->owners.p + b->recs[i].owner);
		}
		sz->rrsets++;
		size_t set_start = kept;
		for (size_t j = i; j < end; j++) {
			const struct brec *r = &b->recs[j];
			if (kept > set_start &&
			    rdata_canon_cmp(b, r->type, &b->recs[kept - 1], r) == 0)
				continue;
			sz->bytes += 2 + (size_t)r->rdlen;
			b->recs[kept++] = *r;
		}
	}
	b->n = kept;
}

static struct zone_contents *assemble(struct zone_builder *b, const struct bsize *sz,
				      struct zone_src_rr *src, struct zone_diag *d)
{
	const char *zfile = b->files[0];

	uint8_t *out;
	struct zone_contents *z = zone_contents_alloc(sz->nodes, sz->rrsets, sz->bytes, &out);
	if (z == NULL) {
		zone_diag_report(d, ZONE_DIAG_ERROR, zfile, 0, NULL, 0, "out of memory");
		return NULL;
	}
	uint8_t *origin = out;
	out += dns_name_copy_lower(out, b->origin);

	struct zone_node *n = NULL;
	struct zone_rrset *rs = NULL;
	for (size_t i = 0; i < b->n; i++) {
		const struct brec *r = &b->recs[i];
		bool new_node = i == 0 || !same_owner(&b->recs[i - 1], r);
		if (new_node) {
			if (n != NULL && n->rrset_count == UINT16_MAX)
				goto too_big;
			n = n == NULL ? z->nodes : n + 1;
			assert(n == z->nodes ||
			       dns_name_cmp(n[-1].owner, b->owners.p + r->owner) < 0);
			const uint8_t *owner = b->owners.p + r->owner;
			size_t olen = dns_name_len(owner);
			memcpy(out, owner, olen);
			n->owner = out;
			out += olen;
			n->rrsets = rs == NULL ? z->rrsets : rs + 1;
			n->rrset_count = 0;
			n->flags = 0;
		}
		if (new_node || !same_rrset(&b->recs[i - 1], r)) {
			rs = rs == NULL ? z->rrsets : rs + 1;
			rs->type = r->type;
			rs->covers = r->covers;
			rs->ttl = r->ttl;
			rs->count = 0;
			rs->size = 0;
			rs->rdata = out;
			n->rrset_count++;
		}
		if ((size_t)rs->size + 2 + r->rdlen > UINT32_MAX)
			goto too_big;
		dns_put_u16(out, r->rdlen);
		memcpy(out + 2, b->rdata.p + r->rdata, r->rdlen);
		out += 2 + r->rdlen;
		rs->count++;
		rs->size += 2 + (uint32_t)r->rdlen;
		src[i].line = r->line;
		src[i].seq = r->seq;
		src[i].file = r->file;
	}
	zone_contents_seal(z, origin);
	return z;
too_big:
	zone_diag_report(d, ZONE_DIAG_ERROR, zfile, 0, n->owner, 0,
			 "too many RRsets or RRs at one name");
	zone_contents_free(z);
	return NULL;
}

static struct zone_contents *finish(struct zone_builder *b, struct zone_diag *d, bool check)
{
	struct zone_diag fallback;
	struct zone_contents *z = NULL;
	struct zone_src_rr *src = NULL;
	const char *zfile = b->files[0];

	if (d == NULL) {
		zone_diag_init(&fallback, NULL, NULL);
		d = &fallback;
	}
	if (b->rejected > 0) {
		if (b->add_diag == NULL)
			zone_diag_report(d, ZONE_DIAG_ERROR, zfile, 0, NULL, 0,
					 "%lu records rejected", b->rejected);
		goto fail;
	}
	if (b->oom) {
		zone_diag_report(d, ZONE_DIAG_ERROR, zfile, 0, NULL, 0, "out of memory");
		goto fail;
	}
	if (b->n > UINT32_MAX) {
		zone_diag_report(d, ZONE_DIAG_ERROR, zfile, 0, NULL, 0, "too many records");
		goto fail;
	}

	memset(&b->times, 0, sizeof(b->times));
	double t0 = thread_cpu_s();
	if (sort_records(b) < 0) {
		zone_diag_report(d, ZONE_DIAG_ERROR, zfile, 0, NULL, 0, "out of memory");
		goto fail;
	}
	double t1 = thread_cpu_s();
	b->times.sort = t1 - t0;
	struct bsize sz;
	tidy_rrsets(b, d, &sz);
	double t2 = thread_cpu_s();
	b->times.dedupe = t2 - t1;

	src = malloc((b->n ? b->n : 1) * sizeof(*src));
	if (src == NULL) {
		zone_diag_report(d, ZONE_DIAG_ERROR, zfile, 0, NULL, 0, "out of memory");
		goto fail;
	}
	z = assemble(b, &sz, src, d);
	if (z == NULL)
		goto fail;
	builder_clear(b);
	double t3 = thread_cpu_s();
	b->times.assemble = t3 - t2;

	struct zone_src zsrc = { .files = (const char *const *)b->files, .rr = src };
	int crc = check ? zone_check(z, &zsrc, zfile, d) : 0;
	b->times.check = thread_cpu_s() - t3;
	if (crc < 0)
		goto fail;
	free(src);
	return z;
fail:
	zone_contents_free(z);
	free(src);
	builder_clear(b);
	return NULL;
}

struct zone_contents *zone_builder_finish(struct zone_builder *b, struct zone_diag *d)
{
	return finish(b, d, true);
}

struct zone_contents *zone_builder_finish_part(struct zone_builder *b, struct zone_diag *d)
{
	return finish(b, d, false);
}
