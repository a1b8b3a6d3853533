/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Loading RFC 1035 zone text (libzscanner parses it; $ORIGIN, $TTL and
 * $INCLUDE work, default TTL 3600, class IN) into a zone_contents.
 *
 * Every problem is one line through the sink: a syntax error as
 * "FILE:LINE: <libzscanner's text>", a rejected record or a failed check as
 * described in check.h.  For a multi-line record LINE is the line on which it
 * ends (that is where libzscanner stands when it delivers the record).
 * Any error means NULL: nothing from the file is returned.
 *
 * Not fastpath-safe (reads files, allocates); any thread, one load per call.
 */

#include <stddef.h>

#include "zone/check.h"
#include "zone/contents.h"

/*
 * Loads the zone of origin (presentation form, trailing dot optional) from
 * the file at path.  Problems go to d (NULL: stderr).
 * Returns the contents (caller owns; zone_contents_free) or NULL.
 */
struct zone_contents *zone_load_file(const char *path, const char *origin, struct zone_diag *d)
	__attribute__((warn_unused_result));

/*
 * Like zone_load_file but parses text[0..len); name stands for the file in
 * messages.  Relative $INCLUDE paths are relative to the working directory.
 */
struct zone_contents *zone_load_string(const char *text, size_t len, const char *name,
				       const char *origin, struct zone_diag *d)
	__attribute__((warn_unused_result));
