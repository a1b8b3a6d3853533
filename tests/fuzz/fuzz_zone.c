/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_zone: any bytes as the text of zone "example.".  The loader either
 * rejects the zone (and returns nothing) or accepts it; an accepted zone
 * must compile into a snapshot, dump to text, and load back from that dump
 * with the same serial, names and records; and the dump of the reloaded
 * zone must be identical to the first dump.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "zone/check.h"
#include "zone/dump.h"
#include "zone/load.h"
#include "zone/snap.h"

/* Dumps z into a malloc'ed string (*len octets); NULL on failure. */
static char *dump(const struct zone_contents *z, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	FUZZ_CHECK(f);
	int rc = zone_dump(z, f);
	fclose(f);
	FUZZ_CHECK(rc == 0);
	return text;
}

static void quiet(void *ctx, enum zone_diag_level level, const char *line)
{
	(void)ctx;
	(void)level;
	(void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return 0;
	struct zone_diag d;
	zone_diag_init(&d, quiet, NULL);
	struct zone_contents *z = zone_load_string((const char *)data, size, "fuzz", "example.", &d);
	if (!z) {
		FUZZ_CHECK(d.errors > 0); /* a rejection always says why */
		return 0;
	}
	uint32_t serial = z->serial;
	size_t nodes = z->node_count, records = z->record_count;

	size_t len1, len2;
	char *text1 = dump(z, &len1);
	struct zone_diag d2;
	zone_diag_init(&d2, quiet, NULL);
	struct zone_contents *z2 = zone_load_string(text1, len1, "dump", "example.", &d2);
	FUZZ_CHECK(z2); /* our own dump always loads */
	FUZZ_CHECK(z2->serial == serial && z2->node_count == nodes &&
		   z2->record_count == records);
	char *text2 = dump(z2, &len2);
	FUZZ_CHECK(len1 == len2 && memcmp(text1, text2, len1) == 0);
	free(text1);
	free(text2);
	zone_contents_free(z2);

	struct zone_snap *s = zone_snap_build(z); /* takes z */
	FUZZ_CHECK(s);
	zone_snap_free(s);
	return 0;
}
