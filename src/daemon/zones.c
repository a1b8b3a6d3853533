/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/zones.h"

#include <stdio.h>
#include <stdlib.h>

#include "daemon/log.h"
#include "zone/load.h"

static void diag_log(void *ctx, enum zone_diag_level level, const char *line)
{
	(void)ctx;
	dd_log(level == ZONE_DIAG_ERROR ? DD_LOG_ERR : DD_LOG_WARN, "%s", line);
}

struct zone_table *dd_zones_load(const struct conf *c, unsigned *nzones, char *err, size_t errlen)
{
	struct zone_snap **snaps = calloc(c->nzones ? c->nzones : 1, sizeof(*snaps));
	unsigned n = 0;
	if (!snaps) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < c->nzones; i++) {
		const struct conf_zone *cz = &c->zones[i];
		if (!cz->file) {
			/* A secondary without a file: nothing to serve until a transfer. */
			dd_log(DD_LOG_WARN, "zone %s: no file and no transfer yet, not served",
			       cz->domain);
			continue;
		}
		struct zone_diag d;
		zone_diag_init(&d, diag_log, NULL);
		struct zone_contents *z = zone_load_file(cz->file, cz->domain, &d);
		if (!z) {
			snprintf(err, errlen, "zone %s: %s not loaded (%lu errors)", cz->domain,
				 cz->file, d.errors);
			goto fail;
		}
		struct zone_snap *s = zone_snap_build(z);
		if (!s) {
			snprintf(err, errlen, "zone %s: out of memory building its snapshot",
				 cz->domain);
			goto fail;
		}
		snaps[n++] = s;
		dd_log(DD_LOG_INFO, "zone %s: serial %u from %s", cz->domain, s->serial, cz->file);
	}
	struct zone_table *t = zone_table_new(snaps, n); /* frees the snapshots if it fails */
	free(snaps);
	if (!t) {
		snprintf(err, errlen, "out of memory building the zone table");
		return NULL;
	}
	*nzones = n;
	return t;
fail:
	for (unsigned i = 0; i < n; i++)
		zone_snap_free(snaps[i]);
	free(snaps);
	return NULL;
}
