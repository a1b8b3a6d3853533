/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Applying IXFR changesets (changeset.h) to a zone version: the result is a
 * new, checked zone_contents; the old version is not touched (it keeps
 * serving until the new one is published).  All or nothing: any
 * inconsistency — removing a record the zone does not have, removing or
 * adding the same record twice in the difference, a first changeset that
 * does not start at the zone's serial, a result that fails the zone checks —
 * returns an error and no contents, and the caller falls back to AXFR
 * (RFC 1995 §4 leaves inconsistent differences to the client).  Adding a
 * record the zone already has is not an error: nsd's IXFRs re-add apex
 * records they did not change, and BIND applies that as a no-op, as we do;
 * Knot falls back to AXFR instead.
 *
 * A record's identity is (owner, type, canonical rdata, RFC 4034 §6.2); the
 * TTL is not part of it, so removing a record and adding it back with a new
 * TTL changes its TTL.  The changesets are first folded into one net
 * difference, so a record added by one changeset and removed by a later one
 * never needs to exist in the zone.
 *
 * Cost: the size of the changesets times log(zone size): the changed names
 * are rebuilt and checked (zone_builder_finish_part, zone_check_changes) and
 * put into a version that shares the rest with old (zone_contents_patch).
 * When the versions sharing storage hold too much garbage (dead_bytes over
 * half, or too many arenas), the new version is built from scratch instead:
 * one pass over the old version and the whole zone checks, as for a load.
 * Not fastpath material: the slow path's worker threads.
 */

#include "xfr/changeset.h"
#include "zone/check.h"
#include "zone/contents.h"

/*
 * Applies the changeset list cs (in order) to old.  Problems go to d
 * (NULL: stderr), one line each, named name (e.g. the zone and the
 * primary).  Returns 0 and *out (caller owns), or DP_EZONE (inconsistent
 * difference or the result fails the checks), DP_EINVAL (cs does not start
 * at old's serial, or is empty), DP_ENOMEM.
 */
int xfr_apply(const struct zone_contents *old, const struct xfr_changeset *cs, const char *name,
	      struct zone_diag *d, struct zone_contents **out) __attribute__((warn_unused_result));

/*
 * xfr_apply that also says what changed, for zone_snap_update: *chg gets the
 * owners whose nodes changed (chg->full set, no names, when the version was
 * built from scratch).  The caller frees chg with zone_changes_free, while
 * old and *out both live (the names point into them).
 */
int xfr_apply_changes(const struct zone_contents *old, const struct xfr_changeset *cs,
		      const char *name, struct zone_diag *d, struct zone_contents **out,
		      struct zone_changes *chg) __attribute__((warn_unused_result));
