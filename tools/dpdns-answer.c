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
 *
 * With -q NAME TYPE it answers that one query instead and prints the
 * response as text, sections like kdig's (add --edns for an OPT with DO).
 */
#include <getopt.h>
#include <libknot/libknot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/edns.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "zone/answer.h"
#include "zone/load.h"
#include "zone/check.h"

static void usage(void)
{
	fprintf(stderr, "usage: dpdns-answer -z ORIGIN=FILE [-z ORIGIN=FILE ...] [--nsid TEXT]\n"
			"                    [--identity NAME] [--version TEXT] [--tcp]\n"
			"                    [-q NAME TYPE [--edns]]\n");
	exit(2);
}

/* Prints a response the way kdig does (header line, then each section). */
static int print_response(uint8_t *wire, size_t len)
{
	knot_pkt_t *pkt = knot_pkt_new(wire, (uint16_t)len, NULL);
	if (!pkt || knot_pkt_parse(pkt, 0) != KNOT_EOK) {
		fprintf(stderr, "dpdns-answer: the response does not parse\n");
		knot_pkt_free(pkt);
		return 1;
	}
	const knot_lookup_t *rc = knot_lookup_by_id(knot_rcode_names, knot_pkt_ext_rcode(pkt));
	printf(";; ->>HEADER<<- status: %s, id: %u, %zu octets\n;; flags:%s%s%s%s;"
	       " QUERY: %u; ANSWER: %u; AUTHORITY: %u; ADDITIONAL: %u\n",
	       rc ? rc->name : "?", knot_wire_get_id(wire), len, knot_wire_get_qr(wire) ? " qr" : "",
	       knot_wire_get_aa(wire) ? " aa" : "", knot_wire_get_tc(wire) ? " tc" : "",
	       knot_wire_get_rd(wire) ? " rd" : "", knot_wire_get_qdcount(wire),
	       knot_wire_get_ancount(wire), knot_wire_get_nscount(wire),
	       knot_wire_get_arcount(wire));
	if (knot_pkt_has_edns(pkt))
		printf(";; EDNS: version %u, payload %u%s\n", knot_edns_get_version(pkt->opt_rr),
		       knot_edns_get_payload(pkt->opt_rr), knot_pkt_has_dnssec(pkt) ? ", DO" : "");
	static const char *names[] = { "ANSWER", "AUTHORITY", "ADDITIONAL" };
	for (int sec = KNOT_ANSWER; sec <= KNOT_ADDITIONAL; sec++) {
		const knot_pktsection_t *ps = knot_pkt_section(pkt, (knot_section_t)sec);
		bool header = false;
		for (uint16_t i = 0; i < ps->count; i++) {
			const knot_rrset_t *rr = knot_pkt_rr(ps, i);
			if (rr->type == KNOT_RRTYPE_OPT)
				continue;
			if (!header) {
				printf(";; %s SECTION:\n", names[sec - KNOT_ANSWER]);
				header = true;
			}
			size_t cap = 4096;
			char *txt = malloc(cap);
			if (txt && knot_rrset_txt_dump(rr, &txt, &cap, &KNOT_DUMP_STYLE_DEFAULT) >= 0)
				fputs(txt, stdout);
			free(txt);
		}
	}
	knot_pkt_free(pkt);
	return 0;
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
		{ "query", required_argument, NULL, 'q' },
		{ "edns", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct answer_cfg cfg;
	zone_answer_cfg_init(&cfg);
	struct zone_snap **snaps = NULL;
	uint32_t nsnaps = 0;
	bool tcp = false, edns = false;
	const char *qname = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "z:q:", opts, NULL)) != -1) {
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
		case 'q':
			qname = optarg;
			break;
		case 'e':
			edns = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - (qname ? 1 : 0))
		usage();
	struct zone_table *t = zone_table_new(snaps, nsnaps);
	free(snaps);
	if (!t) {
		fprintf(stderr, "dpdns-answer: out of memory\n");
		return 1;
	}

	static uint8_t buf[65536];
	if (qname) {
		/* One query from the command line, printed as text. */
		struct dns_question q;
		int n = dns_name_from_text(qname, NULL, q.name);
		int type = dns_rrtype_from_text(argv[optind]);
		if (n < 0 || type < 0) {
			fprintf(stderr, "dpdns-answer: bad query '%s %s'\n", qname, argv[optind]);
			zone_table_free(t);
			return 2;
		}
		q.name_len = (uint16_t)n;
		q.qtype = (uint16_t)type;
		q.qclass = DNS_C_IN;
		struct dns_wr w;
		dns_wr_init(&w, buf, sizeof(buf));
		struct dns_hdr h = { 0x2a2a, DNS_F_RD, 1, 0, 0, edns ? 1 : 0 };
		dns_hdr_write(&w, &h);
		dns_question_write(&w, &q, NULL);
		if (edns)
			dns_edns_write(&w, 1232, 0, DNS_EDNS_DO, NULL, 0);
		struct answer_info info;
		size_t len = zone_answer(t, &cfg, buf, w.pos, tcp ? 65535 : 4096, tcp, &info);
		int rc = len ? print_response(buf, len) : (printf(";; dropped\n"), 0);
		zone_table_free(t);
		return rc;
	}
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
