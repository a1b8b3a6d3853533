/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpdns-zone: offline zone file checker and canonical dumper, in the spirit of
 * kzonecheck and nsd-checkzone.
 *
 *	dpdns-zone check ORIGIN FILE	problems one per line on stderr, exit 1 on
 *					any error; else a summary on stdout
 *	dpdns-zone dump ORIGIN FILE	canonical text on stdout
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/name.h"
#include "dns/rrtype.h"
#include "zone/check.h"
#include "zone/contents.h"
#include "zone/dump.h"
#include "zone/load.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: dpdns-zone check ORIGIN FILE\n"
		   "       dpdns-zone dump ORIGIN FILE\n");
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_summary(const struct zone_contents *z, const char *file, double secs,
			  const struct zone_diag *d)
{
	char name[DNS_NAME_TEXT_MAX];
	char tname[16];
	size_t *counts = calloc(65536, sizeof(*counts));

	if (dns_name_to_text(z->origin, name, sizeof(name)) < 0)
		strcpy(name, "?");
	printf("zone      %s\n", name);
	printf("file      %s\n", file);
	printf("serial    %u\n", z->serial);
	printf("names     %zu\n", z->node_count);
	printf("rrsets    %zu\n", z->rrset_count);
	printf("records   %zu\n", z->record_count);
	if (counts != NULL) {
		for (size_t i = 0; i < z->rrset_count; i++)
			counts[z->rrsets[i].type] += z->rrsets[i].count;
		printf("types    ");
		for (unsigned t = 0; t < 65536; t++) {
			if (counts[t] != 0)
				printf(" %s=%zu", dns_rrtype_to_text((uint16_t)t, tname),
				       counts[t]);
		}
		printf("\n");
		free(counts);
	}
	printf("memory    %zu bytes (%.1f bytes/record)\n", z->mem_bytes,
	       z->record_count ? (double)z->mem_bytes / (double)z->record_count : 0.0);
	printf("warnings  %lu\n", d->warnings);
	printf("load time %.3f s\n", secs);
}

int main(int argc, char **argv)
{
	struct zone_diag diag;
	struct zone_contents *z;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc != 4 || (strcmp(argv[1], "check") != 0 && strcmp(argv[1], "dump") != 0)) {
		usage(stderr);
		return 2;
	}
	zone_diag_init(&diag, NULL, NULL);
	double t0 = now_seconds();
	z = zone_load_file(argv[3], argv[2], &diag);
	double secs = now_seconds() - t0;
	/* The problems are already on stderr, one line each: nothing to add. */
	if (z == NULL)
		return 1;
	int rc = 0;
	if (strcmp(argv[1], "check") == 0) {
		print_summary(z, argv[3], secs, &diag);
	} else if (zone_dump(z, stdout) < 0) {
		fprintf(stderr, "%s: dump failed\n", argv[3]);
		rc = 1;
	}
	zone_contents_free(z);
	return rc;
}
