/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Zone diagnostics and semantic checks.
 *
 * Every problem found while loading a zone is one line through a diagnostics
 * sink, in the form compilers use so that editors can jump to it:
 *
 *	FILE:LINE: reason (OWNER TYPE)
 *	FILE:LINE: warning: reason (OWNER TYPE)
 *	FILE: reason (OWNER TYPE)		zone-wide problems have no line
 *
 * Errors make the load fail (nothing from the zone is served); warnings do not.
 * None of this is fastpath-safe: it runs on the thread that loads the zone.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zone_contents;

enum zone_diag_level {
	ZONE_DIAG_ERROR = 0,
	ZONE_DIAG_WARNING = 1,
};

/* Receives one formatted line (no trailing newline); the line is valid during the call only. */
typedef void (*zone_diag_fn)(void *ctx, enum zone_diag_level level, const char *line);

/* A diagnostics sink: a callback plus counts of what went through it. */
struct zone_diag {
	zone_diag_fn fn;
	void *ctx;
	unsigned long errors;
	unsigned long warnings;
};

/* Sets up d to call fn(ctx, ...) per line (fn NULL: print to stderr), with counts at 0. */
void zone_diag_init(struct zone_diag *d, zone_diag_fn fn, void *ctx);

/*
 * Formats and sends one line to d (NULL: counted nowhere, printed to stderr)
 * and counts it.  file NULL prints "(zone)"; line 0 leaves the line number out;
 * owner NULL leaves the "(OWNER TYPE)" part out, type 0 its TYPE.
 */
void zone_diag_report(struct zone_diag *d, enum zone_diag_level level, const char *file,
		      uint64_t line, const uint8_t *owner, uint16_t type, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/*
 * Per-record checks done as each record is added (zone_builder_add): the
 * owner lies in the zone of origin, the class is IN, the type is not a meta
 * type, the rdata matches the type's layout.  The first problem is reported
 * through d (NULL: not reported) at file:line.
 * Returns 0, DP_EZONE (outside the zone), DP_EINVAL (class, meta type) or
 * DP_ERDATA (rdata).
 */
int zone_check_record(struct zone_diag *d, const char *file, uint64_t line, const uint8_t *origin,
		      const uint8_t *owner, uint16_t type, uint16_t rclass, const uint8_t *rdata,
		      size_t rdlen) __attribute__((warn_unused_result));

/*
 * zone_check_record without the owner check: for a record whose owner is
 * known to be in the zone (the zone builder's run of records of one owner).
 * Same reports and returns otherwise (never DP_EZONE).
 */
int zone_check_record_data(struct zone_diag *d, const char *file, uint64_t line,
			   const uint8_t *owner, uint16_t type, uint16_t rclass,
			   const uint8_t *rdata, size_t rdlen) __attribute__((warn_unused_result));

/* Where one RR came from: file index, line, and its position in reading order. */
struct zone_src_rr {
	uint32_t line;
	uint32_t seq;
	uint16_t file;
};

/*
 * Where every RR of a contents came from: rr[] runs parallel to the RRs of
 * the contents in order (node by node, RRset by RRset, RR by RR); files[]
 * holds the file names that rr[].file indexes.  Borrowed for the call.
 */
struct zone_src {
	const char *const *files;
	const struct zone_src_rr *rr;
};

/*
 * Semantic checks on a whole zone, one line per problem through d:
 * errors: no SOA at the apex, more than one SOA record, SOA not at the apex,
 * CNAME beside other data (anything but RRSIG/NSEC), more than one CNAME,
 * more than one DNAME, no NS at the apex, an NS at a delegation whose target
 * lies inside the delegated subtree but has no A/AAAA glue;
 * warnings: data below a DNAME (occluded).
 * src (NULL: unknown, e.g. after a transfer) gives file and line per RR;
 * name is the file name used when src is NULL and for zone-wide problems.
 * Returns 0 when no error was found (warnings allowed), DP_EZONE otherwise.
 */
int zone_check(const struct zone_contents *z, const struct zone_src *src, const char *name,
	       struct zone_diag *d) __attribute__((warn_unused_result));

/*
 * zone_check for a version made by zone_contents_patch from a version that
 * passed zone_check, looking only where the change can matter: the apex
 * checks (SOA, NS), every check of zone_check at the changed names
 * names[0..n) (canonical order, as zone_contents_patch reports them), and
 * the glue of the delegation at or closest above each changed name (its glue
 * may be what changed).  Reports as zone_check does without source
 * information.  Returns 0 or DP_EZONE.  Cost: O(n x labels x log nodes).
 */
int zone_check_changes(const struct zone_contents *z, const uint8_t *const *names, size_t n,
		       const char *name, struct zone_diag *d) __attribute__((warn_unused_result));
