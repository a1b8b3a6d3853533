/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Canonical zone text: the apex SOA first, then every RR in canonical order
 * (nodes, then RRsets by (type, covers), then RRs in canonical RDATA order),
 * one RR per line as "OWNER TTL IN TYPE RDATA" with absolute names, written
 * by libknot's knot_rrset_txt_dump.  Loading the dump gives identical
 * contents, and dumping those gives an identical text.
 *
 * Not fastpath-safe (stdio, allocation).
 */

#include <stdio.h>

#include "zone/contents.h"

/* Writes z to out.  Returns 0, DP_ENOMEM, DP_ERDATA (libknot refused an RR) or DP_EIO. */
int zone_dump(const struct zone_contents *z, FILE *out) __attribute__((warn_unused_result));
