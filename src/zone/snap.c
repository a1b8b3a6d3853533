/* SPDX-License-Identifier: BSD-3-Clause */
#include "zone/snap.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#endif
#endif
#ifndef ASAN_POISON_MEMORY_REGION
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

#include "dns/msg.h"
#include "dns/rrtype.h"
#include "zone/dnssec.h"
#include "zone/resolve.h"
#include "zone/snap_int.h"

uint32_t zone_name_hash(const uint8_t *name, size_t len)
{
	/* Word-at-a-time multiply/xorshift mixing over the name zero-padded to
	 * whole 64-bit words (names are short: a few steps beat any byte-wise
	 * hash); zone_name_hash_words gives the same result for a buffer that
	 * already holds the padding. */
	uint64_t h = zone_name_hash_init(len);
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t v;
		memcpy(&v, name + i, 8);
		h = zone_name_hash_step(h, v);
	}
	if (i < len) {
		uint64_t v = 0;
		memcpy(&v, name + i, len - i);
		h = zone_name_hash_step(h, v);
	}
	return zone_name_hash_final(h);
}

/* ---- memory ---- */

/*
 * Big, long-lived, randomly read arrays (hash table, hot blocks) go into
 * 2 MiB-aligned memory advised for transparent huge pages: a lookup in a
 * million-name zone otherwise pays a TLB miss on top of each cache miss.
 * (The daemon's EAL hugepages serve the same purpose on the fastpath.)
 * They get a fresh mapping, advised before its first touch: memory reused
 * from the heap may already be backed by small pages, which the advice does
 * not replace (the index of the 1M-name zone ended up so without this).
 */
#define HUGE_ALIGN ((size_t)2 << 20)

static size_t huge_round(size_t len)
{
	return (len + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1);
}

/* A 2 MiB-aligned anonymous mapping of len (>= HUGE_ALIGN) octets, not advised yet. */
static uint8_t *huge_map(size_t len)
{
	size_t rounded = huge_round(len);
	uint8_t *p = mmap(NULL, rounded + HUGE_ALIGN, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* Trim the mapping to a 2 MiB-aligned start. */
	size_t head = (HUGE_ALIGN - (uintptr_t)p % HUGE_ALIGN) % HUGE_ALIGN;
	if (head)
		(void)munmap(p, head);
	if (HUGE_ALIGN - head)
		(void)munmap(p + head + rounded, HUGE_ALIGN - head);
	return p + head;
}

static void *huge_alloc(size_t len)
{
	if (len < HUGE_ALIGN)
		return malloc(len ? len : 1);
	uint8_t *p = huge_map(len);
	if (p)
		(void)madvise(p, huge_round(len), MADV_HUGEPAGE); /* advice only: fine if refused */
	return p;
}

/* Frees what huge_alloc(len) returned; NULL is a no-op. */
static void huge_free(void *p, size_t len)
{
	if (!p)
		return;
	if (len < HUGE_ALIGN)
		free(p);
	else
		(void)munmap(p, huge_round(len));
}

/*
 * The pool of bucket pages (SNAP_BPAGE_BYTES each, see snap.h).  Pages are
 * carved from 2 MiB chunks advised for huge pages, so the table keeps the
 * TLB reach of huge pages however many of its pages updates have copied,
 * while a change copies only the small pages it writes.  A chunk whose
 * pages are all free is kept (up to BPOOL_EMPTY_MAX) for the next copies:
 * a fresh huge page faulted in on an update's path cost 4-16 ms after a
 * full build's large frees, a kept one a memcpy.  Any thread: builds and
 * updates take pages, the RCU thread frees old versions' ones.  Under
 * AddressSanitizer a free page is poisoned, so that a reader still using a
 * freed version's page is reported.
 */
#define BPOOL_EMPTY_MAX 2u
_Static_assert(HUGE_ALIGN / SNAP_BPAGE_BYTES == 32, "one bit per page of a chunk");

struct bchunk {
	uint8_t *mem;      /* HUGE_ALIGN octets, 2 MiB-aligned */
	uint32_t used;     /* bit k: page k is taken */
	struct bchunk *next;
};

static struct {
	pthread_mutex_t lock;
	struct bchunk *head;
	unsigned empty;    /* chunks with no page taken */
} bpool = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* A new chunk with no page taken, touched (faulted in) when fill; NULL on ENOMEM. */
static struct bchunk *bchunk_new(bool fill)
{
	struct bchunk *c = malloc(sizeof(*c));
	uint8_t *m = c ? huge_alloc(HUGE_ALIGN) : NULL;
	if (!m) {
		free(c);
		return NULL;
	}
	if (fill)
		memset(m, 0, HUGE_ALIGN);
	ASAN_POISON_MEMORY_REGION(m, HUGE_ALIGN);
	*c = (struct bchunk){ .mem = m };
	return c;
}

/* Takes a free page of c (the caller holds the lock and knows there is one). */
static void *bchunk_take(struct bchunk *c)
{
	if (c->used == 0)
		bpool.empty--;
	unsigned k = (unsigned)__builtin_ctz(~c->used);
	c->used |= 1u << k;
	ASAN_UNPOISON_MEMORY_REGION(c->mem + (size_t)k * SNAP_BPAGE_BYTES, SNAP_BPAGE_BYTES);
	return c->mem + (size_t)k * SNAP_BPAGE_BYTES;
}

/* Adds c, a chunk with no page taken, to the pool (the caller holds the lock). */
static void bpool_add(struct bchunk *c)
{
	c->next = bpool.head;
	bpool.head = c;
	bpool.empty++;
}

/* A bucket page from the pool (*chunk says where it came from), or NULL. */
static void *bpool_take(struct bchunk **chunk)
{
	pthread_mutex_lock(&bpool.lock);
	/* A partly used chunk first (empty ones may go back), else an empty one. */
	struct bchunk *pick = NULL;
	for (struct bchunk *c = bpool.head; c; c = c->next) {
		if (c->used == UINT32_MAX)
			continue;
		if (c->used) {
			pick = c;
			break;
		}
		pick = pick ? pick : c;
	}
	if (!pick) {
		pthread_mutex_unlock(&bpool.lock);
		pick = bchunk_new(false);
		if (!pick)
			return NULL;
		pthread_mutex_lock(&bpool.lock);
		bpool_add(pick);
	}
	*chunk = pick;
	void *p = bchunk_take(pick);
	pthread_mutex_unlock(&bpool.lock);
	return p;
}

/* Returns page p of chunk c to the pool; a chunk left empty beyond BPOOL_EMPTY_MAX is unmapped. */
static void bpool_give(struct bchunk *c, void *p)
{
	unsigned k = (unsigned)(((uint8_t *)p - c->mem) / SNAP_BPAGE_BYTES);
	struct bchunk *gone = NULL;
	pthread_mutex_lock(&bpool.lock);
	ASAN_POISON_MEMORY_REGION(p, SNAP_BPAGE_BYTES);
	c->used &= ~(1u << k);
	if (c->used == 0) {
		if (bpool.empty < BPOOL_EMPTY_MAX) {
			bpool.empty++;
		} else {
			struct bchunk **pp = &bpool.head;
			while (*pp != c)
				pp = &(*pp)->next;
			*pp = c->next;
			gone = c;
		}
	}
	pthread_mutex_unlock(&bpool.lock);
	if (gone) {
		ASAN_UNPOISON_MEMORY_REGION(gone->mem, HUGE_ALIGN);
		(void)munmap(gone->mem, HUGE_ALIGN);
		free(gone);
	}
}

/*
 * Makes sure an empty, faulted-in chunk waits in the pool: called at the
 * end of a full build (whose seconds hide the cost), so that the IXFRs
 * after it copy into ready memory until old versions give pages back.
 */
static void bpool_reserve(void)
{
	pthread_mutex_lock(&bpool.lock);
	bool have = bpool.empty > 0;
	pthread_mutex_unlock(&bpool.lock);
	if (have)
		return;
	struct bchunk *c = bchunk_new(true);
	if (!c)
		return;
	pthread_mutex_lock(&bpool.lock);
	bpool_add(c);
	pthread_mutex_unlock(&bpool.lock);
}

/*
 * A fresh 2 MiB-aligned mapping of len octets (a multiple of HUGE_ALIGN),
 * advised for huge pages, whose start holds the old_len (a multiple of the
 * page size) octets at old: their pages are moved there (mremap), not
 * copied, and old is gone.  NULL when out of memory (old then stays).
 */
static uint8_t *huge_grow(uint8_t *old, size_t old_len, size_t len)
{
	uint8_t *p = huge_map(len);
	if (!p)
		return NULL;
	(void)madvise(p, len, MADV_HUGEPAGE); /* advice only: fine if refused */
	if (old_len &&
	    mremap(old, old_len, old_len, MREMAP_MAYMOVE | MREMAP_FIXED, p) == MAP_FAILED) {
		(void)munmap(p, len);
		return NULL;
	}
	return p;
}

/* ---- pages and the shared arena ---- */


/* Memory for a page of bytes octets: bucket-page sized ones from the pool. */
static void *page_mem(struct snap_page *p)
{
	p->chunk = NULL;
	if (p->bytes == SNAP_BPAGE_BYTES)
		return bpool_take(&p->chunk);
	return huge_alloc(p->bytes);
}

static struct snap_page *page_new(uint32_t cap, size_t entry)
{
	struct snap_page *p = malloc(sizeof(*p));
	if (!p)
		return NULL;
	p->refs = 1;
	p->cap = cap;
	p->bytes = (size_t)cap * entry;
	p->mem = page_mem(p);
	if (!p->mem) {
		free(p);
		return NULL;
	}
	return p;
}

/* A private copy of page p (for writing). */
static struct snap_page *page_copy(const struct snap_page *p)
{
	struct snap_page *c = malloc(sizeof(*c));
	if (!c)
		return NULL;
	*c = *p;
	c->refs = 1;
	c->mem = page_mem(c);
	if (!c->mem) {
		free(c);
		return NULL;
	}
	memcpy(c->mem, p->mem, p->bytes);
	return c;
}

/* Atomic: the RCU thread frees old versions while the writer derives new ones. */
static void page_unref(struct snap_page *p)
{
	if (p && __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		if (p->chunk)
			bpool_give(p->chunk, p->mem);
		else
			huge_free(p->mem, p->bytes);
		free(p);
	}
}

/* Only this version refers to p: it may write it (nobody else can be reading it). */
static bool page_own(const struct snap_page *p)
{
	return __atomic_load_n(&p->refs, __ATOMIC_ACQUIRE) == 1;
}



static void shared_unref(struct snap_shared *sh)
{
	if (sh && __atomic_sub_fetch(&sh->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		huge_free(sh->base, sh->reserved);
		free(sh->deps);
		free(sh);
	}
}

static int deps_grow(struct snap_shared *sh)
{
	uint32_t cap = sh->deps ? (sh->dmask + 1) * 2 : 1024;
	struct snap_dep *t = malloc((size_t)cap * sizeof(*t));
	if (!t)
		return DP_ENOMEM;
	for (uint32_t i = 0; i < cap; i++)
		t[i] = (struct snap_dep){ 0, SNAP_NONE };
	for (uint32_t i = 0; sh->deps && i <= sh->dmask; i++) {
		if (sh->deps[i].node == SNAP_NONE)
			continue;
		uint32_t j = sh->deps[i].hash & (cap - 1);
		while (t[j].node != SNAP_NONE)
			j = (j + 1) & (cap - 1);
		t[j] = sh->deps[i];
	}
	free(sh->deps);
	sh->deps = t;
	sh->dmask = cap - 1;
	return 0;
}

/* Records that node's answers read the name with hash h (once). */
static int deps_add(struct snap_shared *sh, uint32_t h, uint32_t node)
{
	if ((!sh->deps || (sh->dcount + 1) * 2 > sh->dmask + 1) && deps_grow(sh) < 0)
		return DP_ENOMEM;
	uint32_t j = h & sh->dmask;
	for (; sh->deps[j].node != SNAP_NONE; j = (j + 1) & sh->dmask)
		if (sh->deps[j].hash == h && sh->deps[j].node == node)
			return 0;
	sh->deps[j] = (struct snap_dep){ h, node };
	sh->dcount++;
	return 0;
}

/* ---- index construction ---- */


static int bytes_reserve(struct bytes *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	if (b->fixed)
		return DP_ERANGE;
	size_t cap = b->cap ? b->cap : b->mapped ? HUGE_ALIGN : 4096;
	while (cap < b->len + more)
		cap *= 2;
	if (b->mapped) {
		uint8_t *m = huge_grow(b->buf, b->cap, cap);
		if (!m)
			return DP_ENOMEM;
		b->buf = m;
		b->cap = cap;
		return 0;
	}
	uint8_t *n = realloc(b->buf, cap);
	if (!n)
		return DP_ENOMEM;
	b->buf = n;
	b->cap = cap;
	return 0;
}

/* Frees b's buffer (a mapped one: exactly its mapping) and empties b. */
static void bytes_release(struct bytes *b)
{
	if (b->mapped) {
		if (b->cap)
			(void)munmap(b->buf, b->cap);
	} else if (!b->fixed) {
		free(b->buf);
	}
	*b = (struct bytes){ .mapped = b->mapped };
}

/* Pads to a multiple of align with zeroes; returns 0 or the error. */
static int bytes_align(struct bytes *b, size_t align)
{
	size_t pad = (align - b->len % align) % align;
	if (pad == 0)
		return 0;
	int rc = bytes_reserve(b, pad);
	if (rc < 0)
		return rc;
	memset(b->buf + b->len, 0, pad);
	b->len += pad;
	return 0;
}


/*
 * Table size for n names: a power of two, at least 16/5 n, so the load stays
 * at most 5/16.  A lookup then nearly always ends in the line of its first
 * bucket, which the engine prefetches; that matters most for names that do
 * not exist (NXDOMAIN), whose probe runs until an empty bucket: at a load of
 * 5/8 (half the memory) NXDOMAIN answers of the 1M-name zone took a third
 * longer.
 */
static uint32_t htab_cap(uint32_t n)
{
	uint32_t cap = 16;
	while ((uint64_t)cap * 5 < (uint64_t)n * 16)
		cap <<= 1;
	return cap;
}

static void htab_release(struct zone_snap *s)
{
	for (uint32_t p = 0; p < s->nhpages; p++)
		page_unref(s->hpage_ref[p]);
	free(s->hpage_ref);
	free(s->hpages);
	s->hpage_ref = NULL;
	s->hpages = NULL;
	s->nhpages = 0;
}

/* A new, empty table of cap buckets (replacing s's). */
static int htab_alloc(struct zone_snap *s, uint32_t cap)
{
	uint32_t per = cap < (1u << SNAP_HPAGE_SHIFT) ? cap : (1u << SNAP_HPAGE_SHIFT);
	uint32_t np = cap / per;
	struct snap_page **ref = calloc(np, sizeof(*ref));
	struct snap_bucket **pg = calloc(np, sizeof(*pg));
	if (!ref || !pg)
		goto fail;
	for (uint32_t p = 0; p < np; p++) {
		ref[p] = page_new(per, sizeof(struct snap_bucket));
		if (!ref[p])
			goto fail;
		pg[p] = ref[p]->mem;
		for (uint32_t i = 0; i < per; i++)
			pg[p][i] = (struct snap_bucket){ 0, SNAP_NONE };
	}
	htab_release(s);
	s->hpage_ref = ref;
	s->hpages = pg;
	s->nhpages = np;
	s->hmask = cap - 1;
	return 0;
fail:
	for (uint32_t p = 0; ref && p < np; p++)
		page_unref(ref[p]);
	free(ref);
	free(pg);
	return DP_ENOMEM;
}

static int htab_resize(struct zone_snap *s, uint32_t want)
{
	if (htab_alloc(s, htab_cap(want)) < 0)
		return DP_ENOMEM;
	for (uint32_t n = 0; n < s->nnodes; n++) {
		if (zone_snap_node(s, n)->flags & SNAP_N_NSEC3)
			continue;
		const uint8_t *o = zone_snap_node(s, n)->owner;
		uint32_t h = zone_name_hash(o, dns_name_len(o));
		uint32_t i = h & s->hmask;
		while (zone_snap_bucket(s, i)->ref != SNAP_NONE)
			i = (i + 1) & s->hmask;
		*zone_snap_bucket(s, i) = (struct snap_bucket){ h, n };
	}
	return 0;
}

/* Node page p made writable for entries up to need (copied when shared or too small). */
static int npage_writable(struct zone_snap *s, uint32_t p, uint32_t need)
{
	if (p == s->nnpages) {
		size_t n = (size_t)p + 1;
		struct snap_page **ref = realloc(s->npage_ref, n * sizeof(*ref));
		if (!ref)
			return DP_ENOMEM;
		s->npage_ref = ref;
		struct snap_node **pg = realloc(s->npages, n * sizeof(*pg));
		if (!pg)
			return DP_ENOMEM;
		s->npages = pg;
		ref[p] = NULL;
		pg[p] = NULL;
		s->nnpages = p + 1;
	}
	struct snap_page *cur = s->npage_ref[p];
	if (cur && page_own(cur) && cur->cap >= need)
		return 0;
	uint32_t cap = cur ? cur->cap : 64;
	while (cap < need)
		cap *= 2;
	if (cap > (1u << SNAP_NPAGE_SHIFT))
		cap = 1u << SNAP_NPAGE_SHIFT;
	struct snap_page *np = page_new(cap, sizeof(struct snap_node));
	if (!np)
		return DP_ENOMEM;
	uint32_t first = p << SNAP_NPAGE_SHIFT;
	uint32_t used = s->nnodes > first ? s->nnodes - first : 0;
	uint32_t cur_cap = cur ? cur->cap : 0;
	if (used > cur_cap)
		used = cur_cap;
	if (cur && used)
		memcpy(np->mem, cur->mem, (size_t)used * sizeof(struct snap_node));
	page_unref(cur);
	s->npage_ref[p] = np;
	s->npages[p] = np->mem;
	return 0;
}

/* Node i, made writable. */
struct snap_node *snap_node_mut(struct zone_snap *s, uint32_t i)
{
	uint32_t p = i >> SNAP_NPAGE_SHIFT;
	if (npage_writable(s, p, (i & SNAP_NPAGE_MASK) + 1) < 0)
		return NULL;
	return zone_snap_node(s, i);
}

/* Bucket i, made writable (its page copied when shared). */
struct snap_bucket *snap_bucket_mut(struct zone_snap *s, uint32_t i)
{
	uint32_t p = i >> SNAP_HPAGE_SHIFT;
	struct snap_page *cur = s->hpage_ref[p];
	if (!page_own(cur)) {
		struct snap_page *np = page_copy(cur);
		if (!np)
			return NULL;
		page_unref(cur);
		s->hpage_ref[p] = np;
		s->hpages[p] = np->mem;
	}
	return zone_snap_bucket(s, i);
}

/* Appends a node (not indexed); returns its index or SNAP_NONE on ENOMEM. */
uint32_t snap_append_node(struct zone_snap *s, const uint8_t *owner,
			    const struct zone_node *zn)
{
	uint32_t idx = s->nnodes;
	if (idx == SNAP_NONE - 1)
		return SNAP_NONE;
	if (npage_writable(s, idx >> SNAP_NPAGE_SHIFT, (idx & SNAP_NPAGE_MASK) + 1) < 0)
		return SNAP_NONE;
	s->nnodes++;
	*zone_snap_node(s, idx) =
		(struct snap_node){ .owner = owner, .zn = zn, .wild = SNAP_NONE, .cut = SNAP_NONE,
				    .hot = SNAP_NONE, .flags = 0, .hot_lines = 1 };
	return idx;
}

/*
 * Appends a node and indexes it (while building) under hash h (of owner,
 * computed by the caller: ~0u to compute it here); returns its index or
 * SNAP_NONE on ENOMEM.
 */
static uint32_t add_node_h(struct builder *b, const uint8_t *owner, const struct zone_node *zn,
			   uint32_t h)
{
	struct zone_snap *s = b->s;
	uint32_t idx = snap_append_node(s, owner, zn);
	if (idx == SNAP_NONE)
		return SNAP_NONE;
	if (zn && zone_dnssec_is_nsec3_node(zn)) {
		zone_snap_node(s, idx)->flags = SNAP_N_NSEC3; /* hashed owner: kept out of the index */
		return idx;
	}
	b->indexed++;
	if ((uint64_t)b->indexed * 16 > ((uint64_t)s->hmask + 1) * 5)
		return htab_resize(s, b->indexed * 2) < 0 ? SNAP_NONE : idx;
	if (h == ~0u)
		h = zone_name_hash(owner, dns_name_len(owner));
	uint32_t i = h & s->hmask;
	while (zone_snap_bucket(s, i)->ref != SNAP_NONE)
		i = (i + 1) & s->hmask;
	*zone_snap_bucket(s, i) = (struct snap_bucket){ h, idx };
	return idx;
}

static uint32_t add_node(struct builder *b, const uint8_t *owner, const struct zone_node *zn)
{
	return add_node_h(b, owner, zn, ~0u);
}

uint32_t snap_find_name(const struct zone_snap *s, const uint8_t *name)
{
	size_t len = dns_name_len(name);
	return zone_snap_find(s, name, len, zone_name_hash(name, len));
}

/* The node's own flags, from its data and owner (no cut, no SLOW). */
uint16_t snap_base_flags(const struct snap_node *n)
{
	uint16_t f = 0;
	if (n->zn) {
		if (n->zn->flags & ZONE_NODE_APEX)
			f |= SNAP_N_APEX;
		if (n->zn->flags & ZONE_NODE_DELEGATION)
			f |= SNAP_N_DELEG;
		if (zone_node_rrset(n->zn, DNS_T_DNAME))
			f |= SNAP_N_DNAME;
		if (zone_node_rrset(n->zn, DNS_T_CNAME))
			f |= SNAP_N_CNAME;
	} else {
		f |= SNAP_N_ENT;
	}
	if (dns_name_is_wildcard(n->owner))
		f |= SNAP_N_WILDCARD;
	return f;
}

/*
 * The cut above a node: the highest delegation or DNAME strictly above it
 * (the first one met walking down from the apex wins); sets BELOW and cut
 * in *flags / *cut.
 */
void snap_find_cut(const struct zone_snap *s, const uint8_t *owner, uint16_t *flags,
		     uint32_t *cut)
{
	int labels = dns_name_labels(owner);
	*cut = SNAP_NONE;
	for (int k = s->origin_labels + 1; k < labels; k++) {
		uint32_t a = snap_find_name(s, dns_name_suffix(owner, k));
		if (a == SNAP_NONE || !zone_snap_node(s, a)->zn)
			continue;
		const struct zone_node *azn = zone_snap_node(s, a)->zn;
		if (zone_node_rrset(azn, DNS_T_NS) || zone_node_rrset(azn, DNS_T_DNAME)) {
			*flags |= SNAP_N_BELOW;
			*flags &= (uint16_t)~SNAP_N_DELEG;
			*cut = a;
			return;
		}
	}
}

static int build_index(struct builder *b)
{
	struct zone_snap *s = b->s;
	const struct zone_contents *z = s->z;

	size_t names = 0; /* NSEC3 chain nodes stay out of the index: do not size it for them */
	for (size_t i = 0; i < z->node_count; i++)
		names += !zone_dnssec_is_nsec3_node(zone_contents_node(z, i));
	if (htab_resize(s, (uint32_t)names + 16) < 0)
		return DP_ENOMEM;
	/* In batches: every name's bucket line is fetched before the first is
	 * written, so that the cache misses of a batch overlap (random lines of a
	 * table far larger than the cache). */
	enum { BATCH = 16 };
	for (size_t i = 0; i < z->node_count; i += BATCH) {
		size_t n = z->node_count - i < BATCH ? z->node_count - i : BATCH;
		uint32_t h[BATCH];
		for (size_t k = 0; k < n; k++) {
			const uint8_t *o = zone_contents_node(z, i + k)->owner;
			h[k] = zone_name_hash(o, dns_name_len(o));
			__builtin_prefetch(zone_snap_bucket(s, h[k] & s->hmask), 1);
		}
		for (size_t k = 0; k < n; k++) {
			const struct zone_node *zn = zone_contents_node(z, i + k);
			if (add_node_h(b, zn->owner, zn, h[k]) == SNAP_NONE)
				return DP_ENOMEM;
		}
	}

	/* Empty non-terminals: every missing ancestor up to the origin.  An
	 * ancestor's name is a suffix of the owner, so it needs no storage. */
	int olabels = dns_name_labels(s->origin);
	for (size_t i = 0; i < z->node_count; i++) {
		const uint8_t *name = zone_contents_node(z, i)->owner;
		if (zone_snap_node(s, i)->flags & SNAP_N_NSEC3)
			continue;
		int labels = dns_name_labels(name);
		for (int k = labels - 1; k > olabels; k--) {
			const uint8_t *anc = dns_name_suffix(name, k);
			if (snap_find_name(s, anc) != SNAP_NONE)
				break;
			if (add_node(b, anc, NULL) == SNAP_NONE)
				return DP_ENOMEM;
		}
	}

	for (uint32_t i = 0; i < s->nnodes; i++) {
		struct snap_node *n = zone_snap_node(s, i);
		n->flags = snap_base_flags(n);
		if (n->flags & SNAP_N_WILDCARD) {
			uint32_t p = snap_find_name(s, dns_name_parent(n->owner));
			if (p != SNAP_NONE)
				zone_snap_node(s, p)->wild = i;
		}
	}
	for (uint32_t i = 0; i < s->nnodes; i++) {
		struct snap_node *n = zone_snap_node(s, i);
		snap_find_cut(s, n->owner, &n->flags, &n->cut);
	}
	return 0;
}

/* ---- fragments ---- */

/*
 * The relocation value of a compression pointer aimed at offset target of
 * the question name q (at offset 12): the label count of the suffix that
 * starts there (q->labels when it starts nowhere else: the whole name).
 */
static unsigned suffix_labels(const struct resolve_name *q, uint16_t target)
{
	unsigned k = q->labels;
	for (unsigned l = 0; l < q->labels; l++)
		if (DNS_HDR_LEN + q->loff[l] == target)
			k = q->labels - l;
	return k;
}

/*
 * Runs the resolver for qtype with the assumed query name at offset 12 and
 * appends the result as a fragment to out (4-aligned).  rel: the fragment
 * will serve other names, so every compression pointer gets a relocation;
 * wild: a pointer to the whole assumed name means the whole query name.
 * Returns the fragment's offset in out, SNAP_NONE when it cannot be
 * prepared (too big, too many pointers, additional data left out), or
 * SNAP_NONE with *err set (DP_ENOMEM, DP_ERANGE: the shared arena is full).
 */
enum frag_mode { FRAG_QUERY, FRAG_NXDOMAIN, FRAG_NODATA, FRAG_REFERRAL };

static uint32_t make_frag(struct builder *b, struct bytes *out, const uint8_t *assumed,
			  uint16_t qtype, bool rel, bool wild, enum frag_mode mode, uint32_t cut,
			  int *err)
{
	struct zone_snap *s = b->s;
	struct resolve_name q;
	zone_resolve_name_init(&q, assumed);

	uint8_t *buf = b->scratch;
	memset(buf, 0, DNS_HDR_LEN);
	memcpy(buf + DNS_HDR_LEN, assumed, q.len);
	size_t body = DNS_HDR_LEN + q.len + 4u;
	memset(buf + DNS_HDR_LEN + q.len, 0, 4);

	struct resolve_out o;
	unsigned max_sites = sizeof(b->sites) / sizeof(b->sites[0]);
	zone_resolve_out_init(&o, buf, 65535, q.len, b->sites, max_sites);
	o.dnssec = b->dnssec;
	switch (mode) {
	case FRAG_QUERY: zone_resolve(s, &q, qtype, &o); break;
	case FRAG_NXDOMAIN: zone_resolve_negative(s, DNS_R_NXDOMAIN, &o); break;
	case FRAG_NODATA: zone_resolve_negative(s, DNS_R_NOERROR, &o); break;
	case FRAG_REFERRAL: zone_resolve_referral(s, cut, &o); break;
	}
	/* An authoritative answer with an authority section is negative: it holds the SOA. */
	if ((o.flags & DNS_F_AA) && o.ns > 0)
		b->soa_used = true;
	if (o.w.err || o.skipped || o.c.nsites > max_sites || o.ncut == 0)
		return SNAP_NONE;

	size_t len = o.w.pos - body;
	unsigned nreloc = rel ? o.c.nsites : 0;
	size_t used = sizeof(struct snap_frag) + ((len + 1) & ~(size_t)1) +
		      nreloc * sizeof(struct snap_reloc);
	int rc;
	if ((rc = bytes_align(out, 4)) < 0 || (rc = bytes_reserve(out, used)) < 0) {
		*err = rc;
		return SNAP_NONE;
	}
	uint32_t off = (uint32_t)out->len;
	struct snap_frag *f = (struct snap_frag *)(void *)(out->buf + off);
	memset(f, 0, used);
	*f = (struct snap_frag){ .len = (uint16_t)len, .nreloc = (uint16_t)nreloc };
	dns_put_u16(f->hdr, o.flags);
	dns_put_u16(f->hdr + 2, 1);
	dns_put_u16(f->hdr + 4, o.an);
	dns_put_u16(f->hdr + 6, o.ns);
	dns_put_u16(f->hdr + 8, o.ar);
	memcpy(f->body, buf + body, len);
	struct snap_reloc *r = (struct snap_reloc *)(void *)snap_frag_relocs(f);
	for (unsigned i = 0; i < nreloc; i++) {
		uint16_t site = b->sites[i];
		uint16_t target = dns_get_u16(buf + site) & 0x3fff;
		uint16_t val;
		if (target >= body) {
			val = (uint16_t)(SNAP_RELOC_FRAG | (target - body));
		} else if (wild && target == DNS_HDR_LEN) {
			val = SNAP_RELOC_QNAME;
		} else {
			val = (uint16_t)suffix_labels(&q, target);
		}
		r[i] = (struct snap_reloc){ (uint16_t)(site - body), val };
	}
	out->len += used;
	return off;
}


/*
 * Marks the answers of the node being prepared (or, while preparing DO
 * answers, its DO answers) as the resolver's.  Not written into the node's
 * flags yet: in a parallel build other threads read them (snap_emit_hot
 * applies it, or collects it).
 */
static void go_slow(struct builder *b)
{
	if (b->dnssec)
		b->do_slow = true;
	else
		b->node_slow = true;
}

/* Prepares one answer into b->tmp; a name whose answer cannot be prepared goes slow. */
static int prep(struct builder *b, struct pending *p, uint32_t node, uint16_t qtype, bool rel,
		bool wild, enum frag_mode mode)
{
	int err = 0;
	struct snap_node *n = zone_snap_node(b->s, node);
	if (p->n == sizeof(p->ans) / sizeof(p->ans[0])) {
		go_slow(b);
		return 0;
	}
	uint32_t f = make_frag(b, &b->tmp, n->owner, qtype, rel, wild, mode, node, &err);
	if (err)
		return err;
	if (f == SNAP_NONE) {
		go_slow(b);
		return 0;
	}
	p->ans[p->n].qtype = qtype;
	p->ans[p->n++].frag = f;
	return 0;
}

/*
 * Where a CNAME chain from node ends, to know which query types get their own
 * prepared answer.  *out: the chain leaves the zone (the answer is the same
 * for every type).  Returns the final node, or NULL (with *out false) when
 * the answer depends on the type in a way the prepared answers cannot follow
 * (NXDOMAIN, wildcard, delegation or DNAME on the way, a loop, a long chain):
 * the node then goes to the reference resolver.
 */
static const struct zone_node *chain_end(const struct zone_snap *s, uint32_t node, bool *out)
{
	*out = false;
	for (int i = 0; i < 12; i++) {
		const struct snap_node *n = zone_snap_node(s, node);
		if (i > 0 && (n->flags & (SNAP_N_BELOW | SNAP_N_DELEG | SNAP_N_ENT)))
			return NULL;
		const struct zone_rrset *c = zone_node_rrset(n->zn, DNS_T_CNAME);
		if (!c)
			return n->zn;
		uint8_t t[DNS_NAME_MAXLEN];
		dns_name_copy_lower(t, zone_rr_data(c->rdata));
		if (!dns_name_is_sub(t, s->origin)) {
			*out = true;
			return NULL;
		}
		node = snap_find_name(s, t);
		if (node == SNAP_NONE)
			return NULL;
	}
	return NULL;
}

/*
 * Prepares every answer of node i into b->tmp / p.  No per-name answer holds
 * the SOA where the zone-wide NODATA can stand in, so that a new serial
 * rebuilds no name but the apex: a delegation without DS answers DS with
 * the zone-wide NODATA (entry with frag 0), and a CNAME whose chain ends in
 * the zone has no catch-all entry: the types its end lacks (CNAME + NODATA)
 * go to the reference resolver (the engine does so for a CNAME name without
 * a matching entry).
 */
static int prep_node(struct builder *b, uint32_t i, struct pending *p)
{
	struct zone_snap *s = b->s;
	const struct snap_node *n = zone_snap_node(s, i);
	const struct zone_node *zn = n->zn;
	int rc;
	/* DO answers: a wildcard's proofs depend on the query name (resolver);
	 * a NODATA answer is prepared per name unless the zone has NSEC3, where
	 * the engine assembles it from the zone's head and the name's NSEC3. */
	bool do_nodata = b->dnssec && s->dnssec->denial != ZONE_DENIAL_NSEC3;
	if (b->dnssec && (n->flags & SNAP_N_WILDCARD)) {
		b->do_slow = true;
		return 0;
	}
	if (!zn || (n->flags & (SNAP_N_BELOW | SNAP_N_NSEC3))) {
		if (do_nodata && !zn && !(n->flags & SNAP_N_BELOW))
			return prep(b, p, i, 0, false, false, FRAG_QUERY);
		return 0; /* ENT: NODATA; below a cut: the cut answers; NSEC3: not a name */
	}

	bool wild = n->flags & SNAP_N_WILDCARD;
	if (n->flags & SNAP_N_DELEG) {
		/* The referral first: it is what nearly every query here gets. */
		if ((rc = prep(b, p, i, 0, true, false, FRAG_REFERRAL)) < 0)
			return rc;
		/* DO answers: the no-DS proof is the name's own (no zone-wide stand-in). */
		if (zone_node_rrset(zn, DNS_T_DS) || b->dnssec)
			return prep(b, p, i, DNS_T_DS, false, false, FRAG_QUERY);
		if (p->n < sizeof(p->ans) / sizeof(p->ans[0])) {
			p->ans[p->n].qtype = DNS_T_DS;
			p->ans[p->n++].frag = SNAP_NONE;
		}
		return 0;
	}
	if (n->flags & SNAP_N_CNAME) {
		bool out;
		const struct zone_node *end = chain_end(s, i, &out);
		if (!end && !out) {
			go_slow(b);
			return 0;
		}
		if ((rc = prep(b, p, i, DNS_T_CNAME, wild, wild, FRAG_QUERY)) < 0)
			return rc;
		if ((out || b->dnssec) && (rc = prep(b, p, i, 0, wild, wild, FRAG_QUERY)) < 0)
			return rc;
		/* Types the alias itself has beside the CNAME (NSEC) are answered
		 * there; the others follow the chain. */
		for (unsigned t = 0; t < zn->rrset_count; t++) {
			uint16_t type = zn->rrsets[t].type;
			if (type == DNS_T_RRSIG || type == DNS_T_CNAME)
				continue;
			if ((rc = prep(b, p, i, type, wild, wild, FRAG_QUERY)) < 0)
				return rc;
		}
		for (unsigned t = 0; end && t < end->rrset_count; t++) {
			uint16_t type = end->rrsets[t].type;
			if (type == DNS_T_RRSIG || type == DNS_T_CNAME || zone_node_rrset(zn, type))
				continue;
			if ((rc = prep(b, p, i, type, wild, wild, FRAG_QUERY)) < 0)
				return rc;
		}
		return 0;
	}
	for (unsigned t = 0; t < zn->rrset_count; t++) {
		uint16_t type = zn->rrsets[t].type;
		if (type == DNS_T_RRSIG)
			continue;
		if ((rc = prep(b, p, i, type, wild, wild, FRAG_QUERY)) < 0)
			return rc;
	}
	return do_nodata ? prep(b, p, i, 0, false, false, FRAG_QUERY) : 0;
}

struct depcol {
	struct snap_shared *sh;
	struct snap_collect *col; /* non-NULL: collect the pairs instead (parallel build) */
	uint32_t node;
	int err;
};

/*
 * Room for one more of the n entries of elem octets in the array whose
 * pointer is at arrp (any T **) and has *cap entries: doubled (from first)
 * when full.  0 or DP_ENOMEM (the array kept).
 */
static int array_room(void *arrp, size_t *cap, size_t n, size_t elem, size_t first)
{
	if (n < *cap)
		return 0;
	void *arr;
	memcpy(&arr, arrp, sizeof(arr));
	size_t c = *cap ? *cap * 2 : first;
	void *p = realloc(arr, c * elem);
	if (!p)
		return DP_ENOMEM;
	memcpy(arrp, &p, sizeof(p));
	*cap = c;
	return 0;
}

static int collect_dep(struct snap_collect *col, uint32_t h, uint32_t node)
{
	if (array_room(&col->deps, &col->deps_cap, col->ndeps, sizeof(*col->deps), 4096) < 0)
		return DP_ENOMEM;
	col->deps[col->ndeps++] = (struct snap_dep){ h, node };
	return 0;
}

static void dep_name(struct depcol *c, const uint8_t *name)
{
	uint8_t low[DNS_NAME_MAXLEN];
	size_t len = dns_name_copy_lower(low, name);
	if (c->err)
		return;
	uint32_t h = zone_name_hash(low, len);
	c->err = c->col ? collect_dep(c->col, h, c->node) : deps_add(c->sh, h, c->node);
}

static void dep_cb(void *ctx, unsigned flags, const uint8_t *name)
{
	if (flags & DNS_RDF_ADDITIONAL)
		dep_name(ctx, name);
}

/*
 * Records which names node i's prepared answers read besides its own data:
 * the additional-section targets of its RRsets (glue of a referral), each
 * name of its CNAME chain and their targets, and the apex when an answer
 * holds the SOA.  A superset is fine (a needless rebuild); missing one
 * would leave a stale answer, so this follows zone_resolve's reads.
 */
static int record_deps(struct builder *b, uint32_t i)
{
	struct zone_snap *s = b->s;
	const struct snap_node *n = zone_snap_node(s, i);
	struct depcol c = { s->shared, b->col, i, 0 };
	if (b->soa_used)
		dep_name(&c, s->origin);
	const struct zone_node *zn = n->zn;
	if (!zn || (n->flags & SNAP_N_BELOW))
		return c.err;
	for (int hop = 0; zn && hop < 13; hop++) {
		for (unsigned t = 0; t < zn->rrset_count; t++) {
			const struct zone_rrset *rs = &zn->rrsets[t];
			const uint8_t *rr = rs->rdata;
			for (uint32_t k = 0; k < rs->count; k++, rr = zone_rr_next(rr))
				dns_rdata_names(rs->type, zone_rr_data(rr), zone_rr_len(rr), dep_cb,
						&c);
		}
		const struct zone_rrset *cn = zone_node_rrset(zn, DNS_T_CNAME);
		if (!cn)
			break;
		const uint8_t *t = zone_rr_data(cn->rdata);
		dep_name(&c, t);
		uint8_t low[DNS_NAME_MAXLEN];
		dns_name_copy_lower(low, t);
		uint32_t next = dns_name_is_sub(low, s->origin) ? snap_find_name(s, low) : SNAP_NONE;
		zn = next == SNAP_NONE ? NULL : zone_snap_node(s, next)->zn;
	}
	return c.err;
}

/*
 * Lays out node i's hot block in the arena: header, owner labels, answer
 * table, then its fragments (from b->tmp), so that a hit reads one region.
 * The block starts at the next cache line when that makes it span fewer
 * lines (a block of 64 octets or less then lies in one line).  A node whose
 * block would be too large to address its fragments goes to the reference
 * resolver instead.  The link is filled in by link_hot once every block
 * has its place.
 */
int snap_emit_hot(struct builder *b, uint32_t i, const struct pending *p)
{
	struct zone_snap *s = b->s;
	struct snap_node *n = zone_snap_node(s, i);
	size_t plen = dns_name_len(n->owner) - s->origin_len;
	size_t table = sizeof(struct snap_hot) + ((plen + 3) & ~(size_t)3);
	size_t frags = (table + p->n * sizeof(struct snap_ans) + 3) & ~(size_t)3;
	unsigned nans = p->n;
	size_t size = frags + b->tmp.len;
	int rc;
	if (size > SNAP_HOT_MAX)
		b->node_slow = true;
	uint16_t flags = (uint16_t)(n->flags | (b->node_slow ? SNAP_N_SLOW : 0));
	b->node_slow = false;
	if (size > SNAP_HOT_MAX) {
		nans = 0;
		frags = table;
		size = table;
	}
	if ((rc = bytes_align(&b->arena, 8)) < 0)
		return rc;
	size_t lines = (size + 63) / 64, at = b->arena.len % 64;
	if ((at + size + 63) / 64 > lines) {
		size_t pad = 64 - at;
		if ((rc = bytes_reserve(&b->arena, pad)) < 0)
			return rc;
		memset(b->arena.buf + b->arena.len, 0, pad);
		b->arena.len += pad;
	}
	size_t hot_off = b->arena.len;
	if (hot_off / 8 >= SNAP_NONE || hot_off + size > UINT32_MAX * (size_t)8)
		return DP_ERANGE; /* beyond what 32-bit refs address */
	if ((rc = bytes_reserve(&b->arena, size)) < 0)
		return rc;
	uint8_t *base = b->arena.buf + hot_off;
	memset(base, 0, frags);
	struct snap_hot *h = (struct snap_hot *)(void *)base;
	*h = (struct snap_hot){ .node = i, .link = SNAP_NONE, .flags = flags,
				.plen = (uint8_t)plen, .nans = (uint8_t)nans };
	memcpy(h->owner, n->owner, plen);
	struct snap_ans *a = (struct snap_ans *)(void *)(base + table);
	for (unsigned k = 0; k < nans; k++)
		a[k] = (struct snap_ans){ p->ans[k].qtype,
					  p->ans[k].frag == SNAP_NONE
						  ? 0
						  : (uint16_t)((frags + p->ans[k].frag) / 4) };
	if (nans)
		memcpy(base + frags, b->tmp.buf, b->tmp.len);
	b->arena.len = hot_off + size;
	n->hot = (uint32_t)(hot_off / 8);
	lines = (hot_off % 64 + size + 63) / 64;
	n->hot_lines = (uint8_t)(lines < 4 ? lines : 4);
	if (!(flags & SNAP_N_SLOW) || (n->flags & SNAP_N_SLOW))
		return 0;
	if (!b->col) {
		n->flags = flags;
		return 0;
	}
	struct snap_collect *col = b->col;
	if (array_room(&col->slow, &col->slow_cap, col->nslow, sizeof(*col->slow), 1024) < 0)
		return DP_ENOMEM;
	col->slow[col->nslow++] = i;
	return 0;
}

/* Node i's hot block, prepared afresh (flags other than SLOW are set). */
int snap_build_hot(struct builder *b, uint32_t i)
{
	struct pending p = { .n = 0 };
	b->tmp.len = 0;
	b->soa_used = false;
	b->node_slow = false;
	if (!b->col)
		zone_snap_node(b->s, i)->flags &= (uint16_t)~SNAP_N_SLOW;
	int rc = prep_node(b, i, &p);
	if (rc < 0 || (rc = snap_emit_hot(b, i, &p)) < 0 || (rc = record_deps(b, i)) < 0)
		return rc;
	return 0;
}

/* Fills node i's hot block link: the cut above it, or its wildcard child. */
void snap_link_one(struct builder *b, uint32_t i)
{
	struct zone_snap *s = b->s;
	const struct snap_node *n = zone_snap_node(s, i);
	if (n->hot == SNAP_NONE)
		return; /* an NSEC3 chain node: no hot block */
	struct snap_hot *h = (struct snap_hot *)(void *)(b->arena.buf + (size_t)n->hot * 8);
	if (n->flags & SNAP_N_BELOW)
		h->link = zone_snap_node(s, n->cut)->hot;
	else if (n->wild != SNAP_NONE)
		h->link = zone_snap_node(s, n->wild)->hot;
	else
		h->link = SNAP_NONE;
}

int snap_zone_frags(struct builder *b)
{
	struct zone_snap *s = b->s;
	int err = 0;
	s->frag_nxdomain = make_frag(b, &b->arena, s->origin, 0, true, false, FRAG_NXDOMAIN, 0, &err);
	if (!err)
		s->frag_nodata =
			make_frag(b, &b->arena, s->origin, 0, true, false, FRAG_NODATA, 0, &err);
	return err;
}

/* ---- preparing the answers on several threads ---- */

/* Room for appending later versions: the shared arena reserves this much address space. */
static size_t arena_reserve(size_t len)
{
	return huge_round(len * 2 + ((size_t)4 << 20));
}

/*
 * The hot blocks of a full build are prepared by up to SNAP_THREADS_MAX
 * threads, each over a contiguous range of nodes of equal size, into its
 * own arena chunk; the chunks are then joined by moving their pages into
 * one mapping.  Zones under SNAP_PAR_MIN_NODES names are not worth a thread.
 */
#define SNAP_THREADS_MAX 8u
#define SNAP_PAR_MIN_NODES 16384u

static unsigned build_threads; /* zone_snap_set_build_threads; 0: automatic */

void zone_snap_set_build_threads(unsigned n)
{
	__atomic_store_n(&build_threads, n, __ATOMIC_RELAXED);
}

/* Threads for preparing the answers of nnodes nodes. */
static unsigned frag_threads(uint32_t nnodes)
{
	unsigned n = __atomic_load_n(&build_threads, __ATOMIC_RELAXED);
	if (n == 0) {
		cpu_set_t set;
		if (nnodes < SNAP_PAR_MIN_NODES || sched_getaffinity(0, sizeof(set), &set) != 0)
			return 1;
		int c = CPU_COUNT(&set);
		n = c > 0 ? (unsigned)c : 1;
	}
	if (n > SNAP_THREADS_MAX)
		n = SNAP_THREADS_MAX;
	if (n > nnodes)
		n = nnodes;
	return n ? n : 1;
}

/* One thread's share: nodes [from, to) into its own builder (arena chunk, scratch). */
struct worker {
	struct builder b;
	struct snap_collect col;
	uint32_t from, to;
	int rc;
	bool started;
	pthread_t tid;
};

static int build_range(struct builder *b, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++) {
		if (zone_snap_node(b->s, i)->flags & SNAP_N_NSEC3)
			continue;
		int rc = snap_build_hot(b, i);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w->rc = build_range(&w->b, w->from, w->to);
	return NULL;
}

/*
 * Chunk k of the joined arena starts at pos[k]: the previous chunk's end
 * rounded up to align (a multiple of the page size and of 64, so that
 * blocks keep their cache-line placement and pages can move).  Returns the
 * joined length; *gap: the octets between chunks, which hold no block.
 */
static size_t chunk_layout(const struct worker *w, unsigned n, size_t align, size_t *pos,
			   size_t *gap)
{
	size_t at = 0;
	*gap = 0;
	for (unsigned k = 0; k < n; k++) {
		pos[k] = at;
		size_t len = w[k].b.arena.len;
		at += len;
		if (k + 1 < n) {
			size_t r = (at + align - 1) & ~(align - 1);
			*gap += r - at;
			at = r;
		}
	}
	return at;
}

/*
 * Joins the chunks into b->arena (chunk 0 is b's own): one mapping of the
 * final reservation's size, each chunk's pages moved to its place
 * (mremap), their blocks' refs rebased; then the nodes the threads left
 * SLOW get the flag and the dependency pairs go into the shared index, in
 * node order (the index comes out as a one-thread build makes it).
 * Chunks start 2 MiB-aligned (their huge pages move whole) unless the gaps
 * that leaves would be a noticeable share of a small arena; the gaps count
 * as dead octets (sh->dead).
 */
static int join_chunks(struct builder *b, struct worker *w, unsigned n)
{
	struct zone_snap *s = b->s;
	struct snap_shared *sh = s->shared;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), pos[SNAP_THREADS_MAX], gap;
	size_t align = HUGE_ALIGN, used = chunk_layout(w, n, align, pos, &gap);
	if (gap * 16 > used) {
		align = page > 64 ? page : 64;
		used = chunk_layout(w, n, align, pos, &gap);
	}
	if (used > (size_t)UINT32_MAX * 8)
		return DP_ERANGE; /* beyond what 32-bit refs address */
	for (unsigned k = 0; k < n; k++)
		for (size_t c = 0; c < w[k].col.nslow; c++)
			zone_snap_node(s, w[k].col.slow[c])->flags |= SNAP_N_SLOW;
	for (unsigned k = 0; k < n; k++)
		for (size_t c = 0; c < w[k].col.ndeps; c++)
			if (deps_add(sh, w[k].col.deps[c].hash, w[k].col.deps[c].node) < 0)
				return DP_ENOMEM;

	size_t cap = arena_reserve(used);
	uint8_t *m = huge_grow(NULL, 0, cap);
	if (!m)
		return DP_ENOMEM;
	for (unsigned k = 0; k < n; k++) {
		struct bytes *a = &w[k].b.arena;
		size_t mv = (a->len + align - 1) & ~(align - 1);
		if (mv > a->cap)
			mv = a->cap; /* (cannot happen: cap is a multiple of 2 MiB) */
		if (mv && mremap(a->buf, mv, mv, MREMAP_MAYMOVE | MREMAP_FIXED, m + pos[k]) ==
				  MAP_FAILED) {
			(void)munmap(m, cap); /* what moved already goes with it */
			return DP_ENOMEM;
		}
		if (a->cap > mv)
			(void)munmap(a->buf + mv, a->cap - mv);
		*a = (struct bytes){ .mapped = true };
	}
	for (unsigned k = 1; k < n; k++) {
		uint32_t shift = (uint32_t)(pos[k] / 8);
		for (uint32_t i = w[k].from; i < w[k].to; i++) {
			struct snap_node *nd = zone_snap_node(s, i);
			if (!(nd->flags & SNAP_N_NSEC3))
				nd->hot += shift;
		}
	}
	b->arena = (struct bytes){ .buf = m, .len = used, .cap = cap, .mapped = true };
	sh->dead += gap;
	return 0;
}

/*
 * Prepares every name's hot block on n threads (the calling one included)
 * and joins their chunks into b->arena.  A thread that cannot be created
 * leaves its range to the calling thread.
 */
static int build_parallel(struct builder *b, unsigned n)
{
	struct zone_snap *s = b->s;
	struct worker w[SNAP_THREADS_MAX];
	int rc = 0;
	memset(w, 0, sizeof(w));
	for (unsigned k = 0; k < n; k++) {
		w[k].from = (uint32_t)((uint64_t)s->nnodes * k / n);
		w[k].to = (uint32_t)((uint64_t)s->nnodes * (k + 1) / n);
		w[k].b = (struct builder){ .s = s, .arena = { .mapped = true } };
		w[k].b.col = &w[k].col;
		if (k > 0 && !(w[k].b.scratch = malloc(65536)))
			rc = DP_ENOMEM;
	}
	/* Chunk 0 is b's arena, which already holds the zone-wide fragments. */
	w[0].b.arena = b->arena;
	w[0].b.scratch = b->scratch;
	w[0].b.tmp = b->tmp;
	/* The threads take no signals: those are the daemon's threads' business. */
	sigset_t all, old;
	sigfillset(&all);
	bool masked = pthread_sigmask(SIG_SETMASK, &all, &old) == 0;
	for (unsigned k = 1; rc == 0 && k < n; k++)
		w[k].started = pthread_create(&w[k].tid, NULL, worker_main, &w[k]) == 0;
	if (masked)
		(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		worker_main(&w[0]);
	for (unsigned k = 1; rc == 0 && k < n; k++)
		if (!w[k].started)
			worker_main(&w[k]); /* no thread for it: fall back, do not fail */
	for (unsigned k = 1; k < n; k++)
		if (w[k].started)
			(void)pthread_join(w[k].tid, NULL);
	for (unsigned k = 0; rc == 0 && k < n; k++)
		rc = w[k].rc;
	b->tmp = w[0].b.tmp;
	if (rc == 0)
		rc = join_chunks(b, w, n); /* moves the chunks out of w[] */
	if (rc < 0)
		b->arena = w[0].b.arena; /* what is left of chunk 0: the caller frees it */
	for (unsigned k = 0; k < n; k++) {
		if (k > 0) {
			bytes_release(&w[k].b.arena);
			bytes_release(&w[k].b.tmp);
			free(w[k].b.scratch);
		}
		free(w[k].col.slow);
		free(w[k].col.deps);
	}
	return rc;
}

static int build_frags(struct builder *b)
{
	struct zone_snap *s = b->s;
	int rc = snap_zone_frags(b);
	if (rc < 0)
		return rc;
	unsigned n = frag_threads(s->nnodes);
	if (n > 1)
		rc = build_parallel(b, n);
	else
		rc = build_range(b, 0, s->nnodes);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < s->nnodes; i++)
		snap_link_one(b, i);
	uint32_t apex = snap_find_name(s, s->origin);
	if (apex == SNAP_NONE)
		return DP_EINVAL; /* cannot happen: the zone has an apex SOA */
	s->apex_hot = zone_snap_node(s, apex)->hot;
	return 0;
}

/* ---- DNSSEC: answers for DO queries (zone/dnssec.h) ---- */

/*
 * The proof piece of NSEC3 chain entry ci: the reference resolver writes a
 * negative answer's head (SOA and RRSIG) for the question "origin", then
 * the record set; the piece is what follows the head, its compression
 * pointers described so that the engine can aim them for any query name.
 * Returns the piece's offset in out or SNAP_NONE (the engine then asks the
 * resolver); *err = DP_ENOMEM when out of memory.
 */
static uint32_t make_piece(struct builder *b, struct bytes *out, uint32_t ci, int *err)
{
	struct zone_snap *s = b->s;
	const struct zone_node *zn = zone_contents_node(s->z, s->dnssec->chain[ci].node);
	struct resolve_name q;
	zone_resolve_name_init(&q, s->origin);
	uint8_t *buf = b->scratch;
	memset(buf, 0, DNS_HDR_LEN);
	memcpy(buf + DNS_HDR_LEN, s->origin, q.len);
	memset(buf + DNS_HDR_LEN + q.len, 0, 4);
	size_t body = DNS_HDR_LEN + q.len + 4u;

	struct resolve_out o;
	unsigned max_sites = sizeof(b->sites) / sizeof(b->sites[0]);
	zone_resolve_out_init(&o, buf, 65535, q.len, b->sites, max_sites);
	o.dnssec = true;
	zone_resolve_negative(s, DNS_R_NXDOMAIN, &o);
	size_t head_end = o.w.pos;
	unsigned site0 = o.c.nsites;
	uint16_t ns0 = o.ns;
	zone_resolve_proof(s, zn, DNS_T_NSEC3, &o);
	if (o.w.err || o.c.nsites > max_sites || o.w.pos - head_end > 0x3fff)
		return SNAP_NONE;

	size_t len = o.w.pos - head_end;
	unsigned nreloc = o.c.nsites - site0;
	size_t used = sizeof(struct zone_piece) + ((len + 1) & ~(size_t)1) +
		      nreloc * sizeof(struct snap_reloc);
	if (bytes_align(out, 4) < 0 || bytes_reserve(out, used) < 0) {
		*err = DP_ENOMEM;
		return SNAP_NONE;
	}
	uint32_t off = (uint32_t)out->len;
	struct zone_piece *p = (struct zone_piece *)(void *)(out->buf + off);
	memset(p, 0, used);
	*p = (struct zone_piece){ .len = (uint16_t)len, .nrr = (uint16_t)(o.ns - ns0),
				  .nreloc = (uint16_t)nreloc };
	memcpy(p->body, buf + head_end, len);
	struct snap_reloc *r = (struct snap_reloc *)(void *)zone_piece_relocs(p);
	for (unsigned i = 0; i < nreloc; i++) {
		uint16_t site = b->sites[site0 + i];
		uint16_t target = dns_get_u16(buf + site) & 0x3fff;
		uint16_t val;
		if (target >= head_end) {
			val = (uint16_t)(ZONE_PIECE_SELF | (target - head_end));
		} else if (target >= body) {
			val = (uint16_t)(ZONE_PIECE_HEAD | (target - body));
		} else {
			val = (uint16_t)suffix_labels(&q, target);
		}
		r[i] = (struct snap_reloc){ (uint16_t)(site - head_end), val };
	}
	out->len += used;
	return off;
}

/* Appends node i's DO block (from b->tmp / p) to out; returns its offset or SNAP_NONE. */
static uint32_t emit_do(struct builder *b, struct bytes *out, const struct pending *p, int *err)
{
	size_t table = sizeof(struct zone_do_block) + p->n * sizeof(struct snap_ans);
	table = (table + 3) & ~(size_t)3;
	size_t size = table + b->tmp.len;
	if (size > SNAP_HOT_MAX)
		return SNAP_NONE;
	if (bytes_align(out, 8) < 0 || bytes_reserve(out, size) < 0) {
		*err = DP_ENOMEM;
		return SNAP_NONE;
	}
	uint32_t off = (uint32_t)out->len;
	uint8_t *base = out->buf + off;
	memset(base, 0, table);
	((struct zone_do_block *)(void *)base)->nans = (uint16_t)p->n;
	struct snap_ans *a = (struct snap_ans *)(void *)(base + sizeof(struct zone_do_block));
	for (unsigned k = 0; k < p->n; k++)
		a[k] = (struct snap_ans){ p->ans[k].qtype,
					  (uint16_t)((table + p->ans[k].frag) / 4) };
	memcpy(base + table, b->tmp.buf, b->tmp.len);
	out->len += size;
	return off;
}

/*
 * Prepares the answers to DO queries of a signed zone: per name its DO
 * block, the zone's negative heads and (NSEC3) one proof piece per chain
 * entry.  Names whose DO answers cannot be prepared (wildcards, complex
 * chains, too large) keep SNAP_NONE and go to the reference resolver.
 */
static int build_do(struct builder *b)
{
	struct zone_snap *s = b->s;
	struct zone_dnssec *d = s->dnssec;
	if (!d)
		return 0;
	struct bytes out = { 0 };
	int err = 0;
	d->do_block = malloc((size_t)(s->nnodes ? s->nnodes : 1) * sizeof(*d->do_block));
	if (!d->do_block)
		return DP_ENOMEM;
	b->dnssec = true;
	d->nxdomain_head = make_frag(b, &out, s->origin, 0, true, false, FRAG_NXDOMAIN, 0, &err);
	d->nodata_head = make_frag(b, &out, s->origin, 0, true, false, FRAG_NODATA, 0, &err);
	for (uint32_t ci = 0; !err && d->denial == ZONE_DENIAL_NSEC3 && ci < d->nchain; ci++)
		d->chain[ci].piece = make_piece(b, &out, ci, &err);
	for (uint32_t i = 0; !err && i < s->nnodes; i++) {
		struct pending p = { .n = 0 };
		b->tmp.len = 0;
		b->do_slow = false;
		d->do_block[i] = SNAP_NONE;
		if (zone_snap_node(s, i)->flags & (SNAP_N_SLOW | SNAP_N_BELOW | SNAP_N_NSEC3))
			continue;
		int rc = prep_node(b, i, &p);
		if (rc < 0) {
			err = rc;
			break;
		}
		if (!b->do_slow)
			d->do_block[i] = emit_do(b, &out, &p, &err);
	}
	b->dnssec = false;
	if (err || out.len >= UINT32_MAX) {
		free(out.buf);
		return err ? err : DP_ENOMEM;
	}
	d->do_arena = out.buf;
	d->do_len = out.len;
	return 0;
}

/*
 * Makes the arena (already in its huge-page mapping) the shared
 * reservation, grown to arena_reserve by moving its pages, not copying
 * them, and points the buckets at the hot blocks.
 */
static int finish(struct builder *b)
{
	struct zone_snap *s = b->s;
	struct snap_shared *sh = s->shared;
	struct bytes *a = &b->arena;
	size_t want = arena_reserve(a->len);
	if (!a->mapped)
		return DP_EINVAL; /* cannot happen: zone_snap_build maps it */
	if (a->cap < want) {
		uint8_t *m = huge_grow(a->buf, a->cap, want);
		if (!m)
			return DP_ENOMEM;
		a->buf = m;
		a->cap = want;
	}
	sh->base = a->buf;
	sh->reserved = a->cap; /* exactly the mapping: huge_free unmaps it whole */
	sh->used = a->len;
	*a = (struct bytes){ .mapped = true };
	s->arena = sh->base;
	s->arena_len = sh->used;
	for (uint32_t i = 0; i <= s->hmask; i++) {
		struct snap_bucket *t = zone_snap_bucket(s, i);
		if (t->ref != SNAP_NONE) {
			const struct snap_node *n = zone_snap_node(s, t->ref);
			t->hash = (t->hash & ~SNAP_HASH_LINES) | (n->hot_lines - 1u);
			t->ref = n->hot;
		}
	}
	s->hot_ready = true;
	return 0;
}

void snap_set_mem(struct zone_snap *s)
{
	s->mem_bytes = sizeof(*s) + (size_t)s->nnodes * sizeof(struct snap_node) +
		       ((size_t)s->hmask + 1) * sizeof(struct snap_bucket) + s->arena_len;
	if (s->dnssec)
		s->mem_bytes += s->dnssec->do_len + (size_t)s->nnodes * 12 +
				(size_t)s->dnssec->nchain * (sizeof(struct zone_nsec3) + 4);
}

/* The snapshot's SOA fields from its contents; false when there is no apex SOA. */
bool snap_set_soa(struct zone_snap *s, struct zone_contents *z)
{
	s->z = z;
	s->origin = z->origin;
	s->origin_len = (uint8_t)dns_name_len(z->origin);
	s->origin_labels = (uint8_t)dns_name_labels(z->origin);
	s->serial = z->serial;
	const struct zone_node *apex = zone_contents_apex(z);
	s->soa = apex ? zone_node_rrset(apex, DNS_T_SOA) : NULL;
	if (!s->soa)
		return false;
	const uint8_t *soa = zone_rr_data(s->soa->rdata);
	uint32_t minimum = dns_get_u32(soa + zone_rr_len(s->soa->rdata) - 4);
	s->neg_ttl = s->soa->ttl < minimum ? s->soa->ttl : minimum;
	return true;
}

struct zone_snap *zone_snap_build_index(struct zone_contents *z)
{
	struct zone_snap *s = calloc(1, sizeof(*s));
	if (s) {
		s->refs = 1;
		s->stat_id = ZONE_STAT_ID_NONE;
		s->frag_nxdomain = SNAP_NONE;
		s->frag_nodata = SNAP_NONE;
		s->apex_hot = SNAP_NONE;
		s->shared = calloc(1, sizeof(*s->shared));
	}
	struct builder b = { .s = s };
	if (!s || !s->shared)
		goto fail;
	s->shared->refs = 1;
	if (!snap_set_soa(s, z))
		goto fail;
	if (build_index(&b) < 0 || zone_dnssec_build(s) < 0)
		goto fail;
	snap_set_mem(s);
	return s;
fail:
	if (s) {
		s->z = z;
		zone_snap_free(s);
	} else {
		zone_contents_free(z);
	}
	return NULL;
}

/* The second stage on s (not published yet): prepared answers, then hot_ready. */
static int prepare(struct zone_snap *s)
{
	struct builder b = { .s = s, .arena = { .mapped = true } };
	int rc = DP_ENOMEM;
	b.scratch = malloc(65536);
	if (b.scratch && (rc = build_frags(&b)) >= 0 && (rc = build_do(&b)) >= 0 &&
	    (rc = finish(&b)) >= 0) {
		if (s->nhpages && s->hpage_ref[0]->chunk)
			bpool_reserve(); /* a 1-record IXFR copies two or three pages of buckets */
		snap_set_mem(s);
		rc = 0;
	}
	free(b.scratch);
	bytes_release(&b.arena);
	free(b.tmp.buf);
	return rc;
}

int zone_snap_prepare(struct zone_snap *s)
{
	return s->hot_ready ? 0 : prepare(s);
}

struct zone_snap *zone_snap_build(struct zone_contents *z)
{
	struct zone_snap *s = zone_snap_build_index(z);
	if (s && zone_snap_prepare(s) < 0) {
		zone_snap_free(s);
		return NULL;
	}
	return s;
}

/*
 * Private copies of n pages of entry-octet entries (refs/mem arrays of n
 * entries); false on ENOMEM (partly filled).  Fresh pages from page_new,
 * advised for huge pages before they are filled, not page_copy's: the
 * second stage runs in the background, where huge-page faults cost nothing
 * that matters, and pages populated small and advised afterwards would keep
 * khugepaged busy collapsing them (and contending with the next IXFR's
 * faults) for a while after the zone is served.
 */
static bool pages_copy(struct snap_page **ref, void **mem, struct snap_page *const *from,
		       uint32_t n, size_t entry)
{
	for (uint32_t p = 0; p < n; p++) {
		ref[p] = page_new(from[p]->cap, entry);
		if (!ref[p])
			return false;
		memcpy(ref[p]->mem, from[p]->mem, from[p]->bytes);
		mem[p] = ref[p]->mem;
	}
	return true;
}

struct zone_snap *zone_snap_prepare_copy(const struct zone_snap *old)
{
	if (old->hot_ready || old->dnssec || !old->z)
		return NULL;
	struct zone_snap *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	*s = *old;
	s->refs = 1;
	s->z = zone_contents_ref(old->z);
	s->npage_ref = calloc(old->nnpages ? old->nnpages : 1, sizeof(*s->npage_ref));
	s->npages = calloc(old->nnpages ? old->nnpages : 1, sizeof(*s->npages));
	s->hpage_ref = calloc(old->nhpages ? old->nhpages : 1, sizeof(*s->hpage_ref));
	s->hpages = calloc(old->nhpages ? old->nhpages : 1, sizeof(*s->hpages));
	s->shared = calloc(1, sizeof(*s->shared));
	if (s->shared)
		s->shared->refs = 1;
	if (!s->npage_ref || !s->npages || !s->hpage_ref || !s->hpages || !s->shared ||
	    !pages_copy(s->npage_ref, (void **)s->npages, old->npage_ref, old->nnpages,
			sizeof(struct snap_node)) ||
	    !pages_copy(s->hpage_ref, (void **)s->hpages, old->hpage_ref, old->nhpages,
			sizeof(struct snap_bucket)) ||
	    prepare(s) < 0) {
		zone_snap_free(s);
		return NULL;
	}
	return s;
}

struct zone_snap *zone_snap_placeholder(const uint8_t *origin)
{
	size_t len = dns_name_len(origin);
	struct zone_snap *s = calloc(1, sizeof(*s) + len);
	if (!s)
		return NULL;
	uint8_t *o = (uint8_t *)(s + 1);
	memcpy(o, origin, len);
	dns_name_lower(o);
	s->refs = 1;
	s->stat_id = ZONE_STAT_ID_NONE;
	s->origin = o;
	s->origin_len = (uint8_t)len;
	s->origin_labels = (uint8_t)dns_name_labels(o);
	s->frag_nxdomain = SNAP_NONE;
	s->frag_nodata = SNAP_NONE;
	return s;
}

struct zone_snap *zone_snap_ref(struct zone_snap *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void zone_snap_free(struct zone_snap *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	zone_contents_free(s->z);
	zone_dnssec_free(s->dnssec);
	for (uint32_t p = 0; p < s->nnpages; p++)
		page_unref(s->npage_ref[p]);
	free(s->npage_ref);
	free(s->npages);
	htab_release(s);
	shared_unref(s->shared);
	free(s);
}

/* ---- zone table ---- */

struct zone_table *zone_table_new(struct zone_snap **snaps, uint32_t n)
{
	struct zone_table *t = calloc(1, sizeof(*t));
	if (!t)
		goto fail;
	uint32_t cap = 16;
	while (cap < n * 2)
		cap <<= 1;
	t->htab = malloc((size_t)cap * sizeof(*t->htab));
	t->zones = malloc((n ? n : 1) * sizeof(*t->zones));
	t->expired = calloc(n ? n : 1, 1);
	if (!t->htab || !t->zones || !t->expired)
		goto fail;
	t->hmask = cap - 1;
	for (uint32_t i = 0; i < cap; i++)
		t->htab[i] = (struct snap_bucket){ 0, SNAP_NONE };
	for (uint32_t z = 0; z < n; z++) {
		struct zone_snap *s = snaps[z];
		t->zones[t->nzones++] = s;
		uint32_t h = zone_name_hash(s->origin, s->origin_len);
		uint32_t i = h & t->hmask;
		while (t->htab[i].ref != SNAP_NONE)
			i = (i + 1) & t->hmask;
		t->htab[i] = (struct snap_bucket){ h, z };
		t->label_mask[s->origin_labels >> 6] |= UINT64_C(1) << (s->origin_labels & 63);
	}
	return t;
fail:
	if (t) {
		free(t->htab);
		free(t->zones);
		free(t->expired);
		free(t);
	}
	for (uint32_t z = 0; z < n; z++)
		zone_snap_free(snaps[z]);
	return NULL;
}

void zone_table_free(struct zone_table *t)
{
	if (!t)
		return;
	for (uint32_t z = 0; z < t->nzones; z++)
		zone_snap_free(t->zones[z]);
	free(t->zones);
	free(t->htab);
	free(t->expired);
	free(t);
}

void zone_table_set_expired(struct zone_table *t, uint32_t i, bool expired)
{
	if (i >= t->nzones)
		return;
	t->expired[i] = expired;
	t->any_expired = false;
	for (uint32_t z = 0; z < t->nzones; z++)
		t->any_expired |= t->expired[z] != 0;
}

bool zone_table_is_expired(const struct zone_table *t, const struct zone_snap *s)
{
	if (!t->any_expired)
		return false;
	for (uint32_t z = 0; z < t->nzones; z++)
		if (t->zones[z] == s)
			return t->expired[z] != 0;
	return false;
}

const struct zone_snap *zone_table_find(const struct zone_table *t, const uint8_t *name,
					size_t len, uint32_t h)
{
	uint32_t i = h & t->hmask;
	for (;;) {
		const struct snap_bucket *b = &t->htab[i];
		if (b->ref == SNAP_NONE)
			return NULL;
		const struct zone_snap *s = t->zones[b->ref];
		if (b->hash == h && s->origin_len == len && memcmp(s->origin, name, len) == 0)
			return s;
		i = (i + 1) & t->hmask;
	}
}
