/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpdns-answer: runs the answer engine over a stream of queries, without any
 * network.  Loads zones, then reads queries from stdin framed as in DNS over
 * TCP (2-octet big-endian length + message) and writes one framed response
 * per query to stdout (length 0: the engine dropped the query).  The
 * differential tests feed it the same bytes they send to Knot and NSD.
 *
 *   dpdns-answer -z ORIGIN=FILE [-z ...] [--nsid TEXT] [--identity NAME]
 *                [--version TEXT] [--tcp]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zone/answer.h"
#include "zone/load.h"
#include "zone/check.h"

static void usage(void)
{
	fprintf(stderr, "usage: dpdns-answer -z ORIGIN=FILE [-z ORIGIN=FILE ...] [--nsid TEXT]\n"
			"                    [--identity NAME] [--version TEXT] [--tcp]\n");
	exit(2);
}

static int read_full(void *buf, size_t n)
{
	return fread(buf, 1, n, stdin) == n ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "zone", required_argument, NULL, 'z' },
		{ "nsid", required_argument, NULL, 'n' },
		{ "identity", required_argument, NULL, 'i' },
		{ "version", required_argument, NULL, 'v' },
		{ "tcp", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct answer_cfg cfg;
	zone_answer_cfg_init(&cfg);
	struct zone_snap **snaps = NULL;
	uint32_t nsnaps = 0;
	bool tcp = false;
	int c;

	while ((c = getopt_long(argc, argv, "z:", opts, NULL)) != -1) {
		switch (c) {
		case 'z': {
			char *eq = strchr(optarg, '=');
			if (!eq)
				usage();
			*eq = '\0';
			struct zone_diag d;
			zone_diag_init(&d, NULL, NULL);
			struct zone_contents *z = zone_load_file(eq + 1, optarg, &d);
			if (!z) {
				fprintf(stderr, "dpdns-answer: zone %s not loaded\n", optarg);
				return 1;
			}
			struct zone_snap **n = realloc(snaps, (nsnaps + 1) * sizeof(*n));
			struct zone_snap *s = n ? zone_snap_build(z) : NULL;
			if (!n || !s) {
				fprintf(stderr, "dpdns-answer: out of memory building %s\n", optarg);
				return 1;
			}
			snaps = n;
			snaps[nsnaps++] = s;
			break;
		}
		case 'n':
			if (strlen(optarg) > ANSWER_NSID_MAX)
				usage();
			cfg.nsid = (const uint8_t *)optarg;
			cfg.nsid_len = (uint16_t)strlen(optarg);
			break;
		case 'i':
			cfg.identity = optarg;
			break;
		case 'v':
			cfg.version = optarg;
			break;
		case 't':
			tcp = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	struct zone_table *t = zone_table_new(snaps, nsnaps);
	free(snaps);
	if (!t) {
		fprintf(stderr, "dpdns-answer: out of memory\n");
		return 1;
	}

	static uint8_t buf[65536];
	uint8_t lenb[2];
	while (read_full(lenb, 2) == 0) {
		size_t len = (size_t)lenb[0] << 8 | lenb[1];
		if (read_full(buf, len) < 0) {
			fprintf(stderr, "dpdns-answer: truncated input\n");
			zone_table_free(t);
			return 1;
		}
		struct answer_info info;
		size_t n = zone_answer(t, &cfg, buf, len, tcp ? 65535 : 4096, tcp, &info);
		uint8_t out[2] = { (uint8_t)(n >> 8), (uint8_t)n };
		if (fwrite(out, 1, 2, stdout) != 2 || fwrite(buf, 1, n, stdout) != n) {
			zone_table_free(t);
			return 1;
		}
	}
	zone_table_free(t);
	return fflush(stdout) == 0 ? 0 : 1;
}
