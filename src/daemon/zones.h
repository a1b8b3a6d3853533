/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Building the zone table the fastpath serves from the configuration: every
 * zone with a file is loaded, checked and turned into a snapshot.  All or
 * nothing: one zone failing means no table (the caller keeps serving what it
 * had).  Off the poll loops (seconds for large zones); any one thread.
 */

#include "conf/conf.h"
#include "zone/snap.h"

/*
 * Loads the zones of c.  Problems with zone files are logged one line each
 * ("FILE:LINE: reason").  Returns the table (caller owns) or NULL with a
 * one-line summary in err.  *nzones gets the number of zones in the table.
 */
struct zone_table *dd_zones_load(const struct conf *c, unsigned *nzones, char *err,
				 size_t errlen) __attribute__((warn_unused_result));
