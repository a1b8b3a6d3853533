/* SPDX-License-Identifier: BSD-3-Clause */
#include "zone/dump.h"

#include <stdlib.h>

#include <libknot/rrset-dump.h>
#include <libknot/rrset.h>

#include "dns/errcode.h"
#include "dns/rrtype.h"

/*
 * One RR per line, no wrapping, class shown, plain TTLs.  original_ttl is
 * off because Knot's default prints an RRSIG's Original TTL field in place
 * of the RRset TTL, which would not load back to the same TTL.  Knot reads
 * RRSIG timestamps with serial arithmetic around .now (RFC 4034 §3.1.5);
 * now = 2^31 makes that window exactly 1970..2106, so every 32-bit value
 * prints as the absolute date that libzscanner reads back to the same value.
 */
static const knot_dump_style_t dump_style = {
	.wrap = false,
	.show_class = true,
	.show_ttl = true,
	.verbose = false,
	.original_ttl = false,
	.empty_ttl = false,
	.human_ttl = false,
	.human_timestamp = true,
	.generic = false,
	.hide_crypto = false,
	.ascii_to_idn = NULL,
	.color = NULL,
	.now = UINT64_C(1) << 31,
};

struct dumper {
	FILE *out;
	char *buf;
	size_t cap;
};

static int dump_rrset(struct dumper *dp, const struct zone_node *n, const struct zone_rrset *rs)
{
	const uint8_t *rr = rs->rdata;
	for (uint32_t i = 0; i < rs->count; i++, rr = zone_rr_next(rr)) {
		knot_rrset_t krr;
		/* Knot never writes through the owner when dumping. */
		knot_rrset_init(&krr, (knot_dname_t *)(uintptr_t)n->owner, rs->type, KNOT_CLASS_IN,
				rs->ttl);
		if (knot_rrset_add_rdata(&krr, zone_rr_data(rr), zone_rr_len(rr), NULL) != 0)
			return DP_ENOMEM;
		int rc = knot_rrset_txt_dump(&krr, &dp->buf, &dp->cap, &dump_style);
		knot_rdataset_clear(&krr.rrs, NULL);
		if (rc < 0)
			return DP_ERDATA;
		/* Knot leaves a blank after some types' last field (CAA): drop it. */
		size_t len = (size_t)rc;
		while (len > 0 && (dp->buf[len - 1] == '\n' || dp->buf[len - 1] == ' '))
			len--;
		if (fwrite(dp->buf, 1, len, dp->out) != len || fputc('\n', dp->out) == EOF)
			return DP_EIO;
	}
	return 0;
}

int zone_dump(const struct zone_contents *z, FILE *out)
{
	struct dumper dp = { .out = out, .cap = 4096 };
	const struct zone_node *apex = zone_contents_apex(z);
	const struct zone_rrset *soa = apex != NULL ? zone_node_rrset(apex, DNS_T_SOA) : NULL;
	int rc = 0;

	dp.buf = malloc(dp.cap);
	if (dp.buf == NULL)
		return DP_ENOMEM;
	if (soa != NULL)
		rc = dump_rrset(&dp, apex, soa);
	for (size_t i = 0; rc == 0 && i < z->node_count; i++) {
		const struct zone_node *n = zone_contents_node(z, i);
		for (unsigned j = 0; rc == 0 && j < n->rrset_count; j++) {
			if (&n->rrsets[j] != soa)
				rc = dump_rrset(&dp, n, &n->rrsets[j]);
		}
	}
	free(dp.buf);
	if (rc == 0 && fflush(out) != 0)
		rc = DP_EIO;
	return rc;
}
