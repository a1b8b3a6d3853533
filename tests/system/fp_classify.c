/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp-classify: the oracle of the flood system test.  Says, for each Ethernet
 * frame, what a dpdnsd worker does with it and which counter it bumps: the
 * packet stage (fp_pkt_classify) with the same MAC and addresses as the
 * daemon's port, then, for a query, the answer engine on the same zones with
 * the same answer configuration and the same room for the response (the
 * port's MTU), as src/fastpath/worker.c does.
 *
 *   fp-classify --mac MAC --addr ADDR [--addr ...] [-z ORIGIN=FILE ...]
 *               [--identity NAME] [--version TEXT] [--nsid TEXT] [--mtu N]
 *
 * stdin: frames, each a 2-octet big-endian length + the frame.  stdout: one
 * line per frame, the counter name the daemon's /dpdns/stats uses:
 *   rcode_<name>       answered with that rcode (noerror ... badvers, other)
 *   drop_engine_<reason> the engine dropped the query (qdcount, question, ...)
 *   exc_<reason>       handed to the kernel (fp_exc_reason_name)
 *   drop_<reason>      dropped by the packet stage (fp_drop_reason_name)
 *   drop_reply         fp_pkt_reply failed (the response did not fit)
 * Exit 0; 2 on bad arguments, zone or input errors (message on stderr).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastpath/pkt.h"
#include "zone/answer.h"
#include "zone/check.h"
#include "zone/load.h"
#include "zone/snap.h"

#define FRAME_CAP 65536

static void usage(void)
{
	fprintf(stderr, "usage: fp-classify --mac MAC --addr ADDR [--addr ADDR ...]\n"
			"                   [-z ORIGIN=FILE ...] [--identity NAME] [--version TEXT]\n"
			"                   [--nsid TEXT] [--mtu N]  < framed frames\n");
	exit(2);
}

static const char *rcode_name(unsigned rcode)
{
	static const char *const names[] = { "noerror", "formerr", "servfail", "nxdomain",
					     "notimp", "refused" };
	if (rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	return rcode == 16 ? "badvers" : "other";
}

static const char *answer_drop_name(unsigned drop)
{
	static const char *const names[ANSWER_DROP__COUNT] = {
		[ANSWER_SENT] = "sent",
		[ANSWER_DROP_SHORT] = "short",
		[ANSWER_DROP_RESPONSE] = "response",
		[ANSWER_DROP_QDCOUNT] = "qdcount",
		[ANSWER_DROP_QUESTION] = "question",
		[ANSWER_DROP_SPACE] = "space",
	};
	return drop < ANSWER_DROP__COUNT ? names[drop] : "?";
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;
	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

/* Adds "198.18.0.2" or "2001:db8::2" (a "/len" suffix is ignored). */
static int add_addr(struct fp_addrs *a, const char *text)
{
	char buf[INET6_ADDRSTRLEN + 8];
	uint8_t bin[16];
	snprintf(buf, sizeof(buf), "%s", text);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, bin) == 1)
		return fp_addrs_add4(a, bin);
	if (inet_pton(AF_INET6, buf, bin) == 1)
		return fp_addrs_add6(a, bin);
	return -1;
}

static int read_full(void *buf, size_t n)
{
	return fread(buf, 1, n, stdin) == n ? 0 : -1;
}

/* One frame: what the worker would count for it. */
static const char *classify(const struct fp_addrs *addrs, const struct zone_table *t,
			    const struct answer_cfg *cfg, unsigned mtu, uint8_t *f, size_t len,
			    char *out, size_t outlen)
{
	struct fp_pkt pk;
	uint8_t reason = FP_DROP_NONE;
	switch (fp_pkt_classify(addrs, f, len, &pk, &reason)) {
	case FP_QUERY: {
		/* The worker's room: the buffer past the DNS header, capped by the MTU. */
		size_t room = FRAME_CAP;
		if (room > (size_t)pk.l3_off + mtu)
			room = (size_t)pk.l3_off + mtu;
		room -= pk.dns_off;
		struct answer_info info;
		size_t n = zone_answer(t, cfg, f + pk.dns_off, pk.dns_len, room, false, &info);
		if (!n) {
			snprintf(out, outlen, "drop_engine_%s", answer_drop_name(info.drop));
			return out;
		}
		if (fp_pkt_reply(f, FRAME_CAP, &pk, n, 1) < 0)
			return "drop_reply";
		snprintf(out, outlen, "rcode_%s", rcode_name(info.rcode));
		return out;
	}
	case FP_EXCEPTION:
		snprintf(out, outlen, "exc_%s", fp_exc_reason_name(pk.exc));
		return out;
	default:
		snprintf(out, outlen, "drop_%s", fp_drop_reason_name(reason));
		return out;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mac", required_argument, NULL, 'm' },
		{ "addr", required_argument, NULL, 'a' },
		{ "zone", required_argument, NULL, 'z' },
		{ "identity", required_argument, NULL, 'i' },
		{ "version", required_argument, NULL, 'v' },
		{ "nsid", required_argument, NULL, 'n' },
		{ "mtu", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct fp_addrs addrs;
	struct answer_cfg cfg;
	struct zone_snap **snaps = NULL;
	uint32_t nsnaps = 0;
	uint8_t mac[6];
	bool have_mac = false;
	unsigned mtu = 1500;
	const char *addr_args[2 * FP_ADDRS_MAX];
	unsigned naddr = 0;
	int c, rc = 2;

	zone_answer_cfg_init(&cfg);
	while ((c = getopt_long(argc, argv, "z:", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_mac(optarg, mac) < 0) {
				fprintf(stderr, "fp-classify: bad MAC '%s'\n", optarg);
				return 2;
			}
			have_mac = true;
			break;
		case 'a':
			if (naddr == sizeof(addr_args) / sizeof(addr_args[0]))
				usage();
			addr_args[naddr++] = optarg;
			break;
		case 'z': {
			char *eq = strchr(optarg, '=');
			if (!eq)
				usage();
			*eq = '\0';
			struct zone_diag d;
			zone_diag_init(&d, NULL, NULL);
			struct zone_contents *z = zone_load_file(eq + 1, optarg, &d);
			if (!z) {
				fprintf(stderr, "fp-classify: zone %s not loaded\n", optarg);
				goto fail;
			}
			struct zone_snap **n = realloc(snaps, (nsnaps + 1) * sizeof(*n));
			if (!n) {
				fprintf(stderr, "fp-classify: out of memory\n");
				goto fail;
			}
			snaps = n;
			snaps[nsnaps] = zone_snap_build(z);
			if (!snaps[nsnaps]) {
				fprintf(stderr, "fp-classify: out of memory building %s\n", optarg);
				goto fail;
			}
			nsnaps++;
			break;
		}
		case 'i':
			cfg.identity = optarg;
			break;
		case 'v':
			cfg.version = optarg;
			break;
		case 'n':
			if (strlen(optarg) > ANSWER_NSID_MAX)
				usage();
			cfg.nsid = (const uint8_t *)optarg;
			cfg.nsid_len = (uint16_t)strlen(optarg);
			break;
		case 'u': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || v < 576 || v > 9000)
				usage();
			mtu = (unsigned)v;
			break;
		}
		default:
			usage();
		}
	}
	if (optind != argc || !have_mac || !naddr)
		usage();
	fp_addrs_init(&addrs, mac);
	for (unsigned i = 0; i < naddr; i++) {
		if (add_addr(&addrs, addr_args[i]) < 0) {
			fprintf(stderr, "fp-classify: bad address '%s'\n", addr_args[i]);
			goto fail;
		}
	}
	struct zone_table *t = zone_table_new(snaps, nsnaps);
	if (!t) {
		fprintf(stderr, "fp-classify: out of memory\n");
		goto fail;
	}
	free(snaps);
	snaps = NULL;
	nsnaps = 0;

	static uint8_t frame[FRAME_CAP];
	uint8_t lenb[2];
	rc = 0;
	while (read_full(lenb, 2) == 0) {
		size_t len = (size_t)lenb[0] << 8 | lenb[1];
		if (read_full(frame, len) < 0) {
			fprintf(stderr, "fp-classify: truncated input\n");
			rc = 2;
			break;
		}
		char name[64];
		if (puts(classify(&addrs, t, &cfg, mtu, frame, len, name, sizeof(name))) < 0) {
			rc = 2;
			break;
		}
	}
	zone_table_free(t);
	if (fflush(stdout) != 0)
		rc = 2;
	return rc;
fail:
	for (uint32_t i = 0; i < nsnaps; i++)
		zone_snap_free(snaps[i]);
	free(snaps);
	return rc;
}
