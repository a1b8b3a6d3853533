/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Zone builder: collects records one by one (from a zone file, later from an
 * AXFR), then sorts, groups and checks them into an immutable zone_contents.
 *
 * Records are kept in the order given; zone_builder_finish sorts them into
 * canonical order, removes duplicate RRs (RFC 2181 §5; the first loaded copy
 * is kept, with its case), gives each RRset the TTL of its first RR (a warning
 * for each RR that differs; RRSIGs are grouped per covered type so each group
 * has its own TTL) and runs zone_check.
 *
 * Not fastpath-safe; one thread at a time per builder.
 */

#include <stddef.h>
#include <stdint.h>

#include "zone/check.h"
#include "zone/contents.h"

struct zone_builder;

/*
 * A builder for the zone of origin (wire name, any case; copied).
 * Returns NULL when out of memory or origin is not a valid name.
 */
struct zone_builder *zone_builder_new(const uint8_t *origin) __attribute__((warn_unused_result));

/* Frees b and everything added; NULL is a no-op. */
void zone_builder_free(struct zone_builder *b);

/*
 * Names the source of the records added next (file is copied; NULL keeps the
 * current one) and the sink that zone_builder_add reports its rejections to
 * (NULL: none, the rejections are only counted and summed up by finish).
 * Returns 0 or DP_ENOMEM / DP_ERANGE (over 65535 files).
 */
int zone_builder_set_source(struct zone_builder *b, const char *file, struct zone_diag *d)
	__attribute__((warn_unused_result));

/*
 * Adds one RR.  owner is a wire name (any case; lowercased), rdata its
 * uncompressed rdata (copied), line where it came from (0: unknown).
 * Rejected with one line to the source's sink: owner outside the zone,
 * class other than IN, a meta type, rdata not matching the type.
 * Returns 0, DP_EZONE, DP_EINVAL, DP_ERDATA, DP_ENOMEM.  A rejected record
 * makes zone_builder_finish fail.
 */
int zone_builder_add(struct zone_builder *b, const uint8_t *owner, uint16_t type, uint16_t rclass,
		     uint32_t ttl, const uint8_t *rdata, size_t rdlen, uint64_t line)
	__attribute__((warn_unused_result));

/* Number of records added so far (rejected ones excluded). */
size_t zone_builder_count(const struct zone_builder *b);

/*
 * Sorts, groups and checks what was added; problems go to d (NULL: stderr).
 * Returns the new contents (caller owns; zone_contents_free) or NULL when any
 * record was rejected, any check found an error or memory ran out.  The
 * builder is left empty either way and may only be freed.
 */
struct zone_contents *zone_builder_finish(struct zone_builder *b, struct zone_diag *d)
	__attribute__((warn_unused_result));

/* CPU time (this thread's, in seconds) the last zone_builder_finish spent per stage. */
struct zone_builder_times {
	double sort;	 /* owner ranking and the canonical sort */
	double dedupe;	 /* RRset TTLs unified, duplicate RRs removed */
	double assemble; /* the contents written */
	double check;	 /* zone_check */
};

/* Fills t with the stage times of the last zone_builder_finish on b (zeros before one). */
void zone_builder_times(const struct zone_builder *b, struct zone_builder_times *t);

/*
 * zone_builder_finish without the zone-wide checks (zone_check): for a part
 * of a zone, e.g. the changed names of an IXFR, which zone_contents_patch
 * puts into a whole version and zone_check_changes then checks.  Records are
 * still sorted, TTLs unified and duplicates dropped; rejected records and
 * memory still make it fail (NULL).  Same ownership as zone_builder_finish.
 */
struct zone_contents *zone_builder_finish_part(struct zone_builder *b, struct zone_diag *d)
	__attribute__((warn_unused_result));
