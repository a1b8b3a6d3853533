/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_conf: any bytes as a configuration file (src/conf/conf.h).
 * Invariants: nothing crashes, leaks or reads past the input; a rejection
 * returns DP_ESYNTAX (or DP_ENOMEM), no struct, and one printable line
 * "fuzz.yaml:LINE: ..." with LINE within the input; an accepted
 * configuration respects every limit the header documents (counts, ranges,
 * references that point into the right arrays, every zone found by
 * conf_zone_find), and written back as YAML (all strings double-quoted) it
 * loads again to the same values.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"

#include "conf/conf.h"
#include "dns/errcode.h"
#include "dns/name.h"

#define NAME "fuzz.yaml"

static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void put_ip(FILE *f, int family, const uint8_t *a)
{
	if (family == AF_INET) {
		fprintf(f, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
		return;
	}
	/* Full form, no "::": independent of inet_ntop. */
	for (int i = 0; i < 16; i += 2)
		fprintf(f, "%s%x", i ? ":" : "", (unsigned)a[i] << 8 | a[i + 1]);
}

/* The configuration as YAML, every key written out. */
static char *emit(const struct conf *c, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	FUZZ_CHECK(f);
	fputs("server:\n", f);
	if (c->server.identity) {
		fputs("  identity: ", f);
		put_str(f, c->server.identity);
		fputc('\n', f);
	}
	if (c->server.version) {
		fputs("  version: ", f);
		put_str(f, c->server.version);
		fputc('\n', f);
	}
	fputs("  rundir: ", f);
	put_str(f, c->server.rundir);
	fprintf(f, "\n  udp-payload: %u\n", c->server.udp_payload);
	fprintf(f, "  tcp-max-clients: %u\n  tcp-idle-timeout: %u\n", c->server.tcp_max_clients,
		c->server.tcp_idle_timeout);
	fputs("dataplane:\n  eal: ", f);
	put_str(f, c->dataplane.eal);
	fputs("\n  interfaces:\n", f);
	for (unsigned i = 0; i < c->dataplane.nifaces; i++) {
		const struct conf_iface *ifc = &c->dataplane.ifaces[i];
		fputs("    - port: ", f);
		put_str(f, ifc->port);
		fputs("\n      address:\n", f);
		for (unsigned j = 0; j < ifc->naddrs; j++) {
			fputs("        - \"", f);
			put_ip(f, ifc->addrs[j].family, ifc->addrs[j].addr);
			fprintf(f, "/%u\"\n", ifc->addrs[j].plen);
		}
	}
	fputs("  exception: ", f);
	put_str(f, c->dataplane.exception);
	fprintf(f, "\n  rx-queue-size: %u\n  tx-queue-size: %u\n  mbufs: %u\n  idle-sleep-us: %u\n",
		c->dataplane.rx_queue_size, c->dataplane.tx_queue_size, c->dataplane.mbufs,
		c->dataplane.idle_sleep_us);
	fputs("key:\n", f);
	for (unsigned i = 0; i < c->nkeys; i++) {
		fputs("  - id: ", f);
		put_str(f, c->keys[i].id);
		fputs("\n    algorithm: ", f);
		put_str(f, c->keys[i].algorithm);
		fputs("\n    secret: ", f);
		put_str(f, c->keys[i].secret);
		fputc('\n', f);
	}
	fputs("remote:\n", f);
	for (unsigned i = 0; i < c->nremotes; i++) {
		const struct conf_remote *r = &c->remotes[i];
		fputs("  - id: ", f);
		put_str(f, r->id);
		fputs("\n    address:\n", f);
		for (unsigned j = 0; j < r->naddrs; j++) {
			fputs("      - \"", f);
			put_ip(f, r->addrs[j].family, r->addrs[j].addr);
			fprintf(f, "@%u\"\n", r->addrs[j].port);
		}
		if (r->key) {
			fputs("    key: ", f);
			put_str(f, r->key->id);
			fputc('\n', f);
		}
	}
	fputs("zone:\n", f);
	for (unsigned i = 0; i < c->nzones; i++) {
		const struct conf_zone *z = &c->zones[i];
		fputs("  - domain: ", f);
		put_str(f, z->domain);
		fputc('\n', f);
		if (z->file) {
			fputs("    file: ", f);
			put_str(f, z->file);
			fputc('\n', f);
		}
		if (z->nprimaries) {
			fputs("    primary:\n", f);
			for (unsigned j = 0; j < z->nprimaries; j++) {
				fputs("      - ", f);
				put_str(f, z->primaries[j]->id);
				fputc('\n', f);
			}
		}
		fprintf(f,
			"    refresh-min-interval: %u\n    refresh-max-interval: %u\n"
			"    retry-min-interval: %u\n    retry-max-interval: %u\n"
			"    expire-min-interval: %u\n    expire-max-interval: %u\n",
			z->refresh_min, z->refresh_max, z->retry_min, z->retry_max, z->expire_min,
			z->expire_max);
	}
	fputs("control:\n  listen: ", f);
	put_str(f, c->control.listen);
	fputc('\n', f);
	if (c->metrics.listen.family) {
		fputs("metrics:\n  listen: \"", f);
		put_ip(f, c->metrics.listen.family, c->metrics.listen.addr);
		fprintf(f, "@%u\"\n", c->metrics.listen.port);
	}
	FUZZ_CHECK(fclose(f) == 0);
	return text;
}

static bool opt_str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check_valid(const struct conf *c)
{
	FUZZ_CHECK(c->server.rundir && c->dataplane.eal && c->dataplane.exception);
	FUZZ_CHECK(c->server.udp_payload >= 512 && c->server.udp_payload <= 4096);
	FUZZ_CHECK(c->server.tcp_max_clients >= 1 && c->server.tcp_max_clients <= 100000);
	FUZZ_CHECK(c->server.tcp_idle_timeout >= 1 && c->server.tcp_idle_timeout <= 3600);
	FUZZ_CHECK(c->dataplane.nifaces >= 1 && c->dataplane.nifaces <= CONF_IFACES_MAX);
	for (unsigned i = 0; i < c->dataplane.nifaces; i++) {
		const struct conf_iface *ifc = &c->dataplane.ifaces[i];
		unsigned fam[2] = { 0, 0 };
		FUZZ_CHECK(ifc->port && ifc->naddrs >= 1);
		for (unsigned j = 0; j < ifc->naddrs; j++) {
			const struct conf_prefix *pf = &ifc->addrs[j];
			FUZZ_CHECK(pf->family == AF_INET || pf->family == AF_INET6);
			FUZZ_CHECK(pf->plen >= 1 && pf->plen <= (pf->family == AF_INET ? 32 : 128));
			fam[pf->family == AF_INET6]++;
			for (unsigned k = 0; k < j; k++)
				FUZZ_CHECK(pf->family != ifc->addrs[k].family ||
					   memcmp(pf->addr, ifc->addrs[k].addr, 16));
		}
		FUZZ_CHECK(fam[0] <= CONF_ADDRS_MAX && fam[1] <= CONF_ADDRS_MAX);
		for (unsigned k = 0; k < i; k++)
			FUZZ_CHECK(strcmp(ifc->port, c->dataplane.ifaces[k].port));
	}
	size_t el = strlen(c->dataplane.exception);
	FUZZ_CHECK(el >= 1 && el <= 15);
	uint32_t rq = c->dataplane.rx_queue_size, tq = c->dataplane.tx_queue_size;
	FUZZ_CHECK(rq >= 64 && rq <= 16384 && !(rq & (rq - 1)));
	FUZZ_CHECK(tq >= 64 && tq <= 16384 && !(tq & (tq - 1)));
	FUZZ_CHECK(c->dataplane.mbufs >= 1023 && c->dataplane.mbufs <= 1048575);
	FUZZ_CHECK(c->dataplane.idle_sleep_us <= 10000);
	for (unsigned i = 0; i < c->nkeys; i++) {
		FUZZ_CHECK(dns_name_check(c->keys[i].name, c->keys[i].name_len) ==
			   (int)c->keys[i].name_len);
		FUZZ_CHECK(c->keys[i].name_len > 1 && c->keys[i].algorithm && c->keys[i].secret);
	}
	for (unsigned i = 0; i < c->nremotes; i++) {
		const struct conf_remote *r = &c->remotes[i];
		FUZZ_CHECK(r->naddrs >= 1);
		FUZZ_CHECK(!r->key || (r->key >= c->keys && r->key < c->keys + c->nkeys));
		for (unsigned j = 0; j < r->naddrs; j++)
			FUZZ_CHECK(r->addrs[j].port >= 1);
	}
	for (unsigned i = 0; i < c->nzones; i++) {
		const struct conf_zone *z = &c->zones[i];
		FUZZ_CHECK(z->file || z->nprimaries);
		FUZZ_CHECK(dns_name_check(z->origin, z->origin_len) == (int)z->origin_len);
		FUZZ_CHECK(conf_zone_find(c, z->origin, z->origin_len) == z);
		for (unsigned j = 0; j < z->nprimaries; j++)
			FUZZ_CHECK(z->primaries[j] >= c->remotes &&
				   z->primaries[j] < c->remotes + c->nremotes);
		FUZZ_CHECK(z->refresh_min >= 2 && z->refresh_min <= z->refresh_max &&
			   z->refresh_max <= INT32_MAX);
		FUZZ_CHECK(z->retry_min >= 1 && z->retry_min <= z->retry_max &&
			   z->retry_max <= INT32_MAX);
		FUZZ_CHECK(z->expire_min >= 3 && z->expire_min <= z->expire_max &&
			   z->expire_max <= INT32_MAX);
	}
	FUZZ_CHECK(c->control.listen && strlen(c->control.listen) >= 1 &&
		   strlen(c->control.listen) <= CONF_SOCK_PATH_MAX);
	const struct conf_sockaddr *ml = &c->metrics.listen;
	FUZZ_CHECK(ml->family == 0 ||
		   ((ml->family == AF_INET || ml->family == AF_INET6) && ml->port >= 1));
}

static void check_same(const struct conf *a, const struct conf *b)
{
	FUZZ_CHECK(opt_str_eq(a->server.identity, b->server.identity));
	FUZZ_CHECK(opt_str_eq(a->server.version, b->server.version));
	FUZZ_CHECK(!strcmp(a->server.rundir, b->server.rundir));
	FUZZ_CHECK(a->server.udp_payload == b->server.udp_payload);
	FUZZ_CHECK(a->server.tcp_max_clients == b->server.tcp_max_clients &&
		   a->server.tcp_idle_timeout == b->server.tcp_idle_timeout);
	FUZZ_CHECK(!strcmp(a->dataplane.eal, b->dataplane.eal));
	FUZZ_CHECK(!strcmp(a->dataplane.exception, b->dataplane.exception));
	FUZZ_CHECK(a->dataplane.rx_queue_size == b->dataplane.rx_queue_size &&
		   a->dataplane.tx_queue_size == b->dataplane.tx_queue_size &&
		   a->dataplane.mbufs == b->dataplane.mbufs &&
		   a->dataplane.idle_sleep_us == b->dataplane.idle_sleep_us);
	FUZZ_CHECK(a->dataplane.nifaces == b->dataplane.nifaces);
	for (unsigned i = 0; i < a->dataplane.nifaces; i++) {
		const struct conf_iface *x = &a->dataplane.ifaces[i], *y = &b->dataplane.ifaces[i];
		FUZZ_CHECK(!strcmp(x->port, y->port) &&
			   x->naddrs == y->naddrs);
		FUZZ_CHECK(!memcmp(x->addrs, y->addrs, x->naddrs * sizeof(x->addrs[0])));
	}
	FUZZ_CHECK(a->nkeys == b->nkeys && a->nremotes == b->nremotes && a->nzones == b->nzones);
	for (unsigned i = 0; i < a->nkeys; i++)
		FUZZ_CHECK(!strcmp(a->keys[i].id, b->keys[i].id) &&
			   a->keys[i].name_len == b->keys[i].name_len &&
			   !memcmp(a->keys[i].name, b->keys[i].name, a->keys[i].name_len) &&
			   !strcmp(a->keys[i].algorithm, b->keys[i].algorithm) &&
			   !strcmp(a->keys[i].secret, b->keys[i].secret));
	for (unsigned i = 0; i < a->nremotes; i++) {
		const struct conf_remote *x = &a->remotes[i], *y = &b->remotes[i];
		FUZZ_CHECK(!strcmp(x->id, y->id) && x->naddrs == y->naddrs);
		for (unsigned j = 0; j < x->naddrs; j++)
			FUZZ_CHECK(x->addrs[j].family == y->addrs[j].family &&
				   x->addrs[j].port == y->addrs[j].port &&
				   !memcmp(x->addrs[j].addr, y->addrs[j].addr, 16));
		FUZZ_CHECK((!x->key && !y->key) ||
			   (x->key && y->key && x->key - a->keys == y->key - b->keys));
	}
	for (unsigned i = 0; i < a->nzones; i++) {
		const struct conf_zone *x = &a->zones[i], *y = &b->zones[i];
		FUZZ_CHECK(!strcmp(x->domain, y->domain) && x->origin_len == y->origin_len &&
			   !memcmp(x->origin, y->origin, x->origin_len));
		FUZZ_CHECK(opt_str_eq(x->file, y->file) && x->nprimaries == y->nprimaries);
		for (unsigned j = 0; j < x->nprimaries; j++)
			FUZZ_CHECK(x->primaries[j] - a->remotes == y->primaries[j] - b->remotes);
		FUZZ_CHECK(x->refresh_min == y->refresh_min && x->refresh_max == y->refresh_max &&
			   x->retry_min == y->retry_min && x->retry_max == y->retry_max &&
			   x->expire_min == y->expire_min && x->expire_max == y->expire_max);
	}
	FUZZ_CHECK(!strcmp(a->control.listen, b->control.listen));
	const struct conf_sockaddr *ma = &a->metrics.listen, *mb = &b->metrics.listen;
	FUZZ_CHECK(ma->family == mb->family && ma->port == mb->port &&
		   !memcmp(ma->addr, mb->addr, 16));
}

/* The message of a rejection: one printable line naming the file and a line of the input. */
static void check_message(const char *err, const uint8_t *data, size_t size)
{
	FUZZ_CHECK(!strncmp(err, NAME ":", strlen(NAME ":")));
	for (const char *s = err; *s; s++)
		FUZZ_CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
	long line = strtol(err + strlen(NAME ":"), NULL, 10);
	long lines = 1;
	/* libyaml's line breaks: LF, CR, CR LF, NEL, LS, PS. */
	for (size_t i = 0; i < size; i++) {
		const uint8_t *d = data + i;
		size_t left = size - i;
		lines += d[0] == '\n' || (d[0] == '\r' && (left == 1 || d[1] != '\n')) ||
			 (left >= 2 && d[0] == 0xc2 && d[1] == 0x85) ||
			 (left >= 3 && d[0] == 0xe2 && d[1] == 0x80 &&
			  (d[2] == 0xa8 || d[2] == 0xa9));
	}
	FUZZ_CHECK(line >= 1 && line <= lines + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], err2[512];
	struct conf *c = NULL, *c2 = NULL;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	int rc = conf_load_string((const char *)data, size, NAME, NULL, &c, err, sizeof(err));
	if (rc < 0) {
		FUZZ_CHECK(rc == DP_ESYNTAX || rc == DP_ENOMEM);
		FUZZ_CHECK(c == NULL);
		if (rc == DP_ESYNTAX)
			check_message(err, data, size);
		/* Deterministic: the same input, the same message. */
		rc = conf_load_string((const char *)data, size, NAME, NULL, &c, err2, sizeof(err2));
		FUZZ_CHECK(rc < 0 && !strcmp(err, err2));
		return 0;
	}
	FUZZ_CHECK(c && err[0] == '\0');
	check_valid(c);

	size_t len;
	char *text = emit(c, &len);
	rc = conf_load_string(text, len, "emitted", NULL, &c2, err2, sizeof(err2));
	if (rc < 0)
		fprintf(stderr, "%s\n--- emitted ---\n%s\n", err2, text);
	FUZZ_CHECK(rc == 0);
	check_same(c, c2);
	conf_free(c2);
	free(text);
	conf_free(c);
	return 0;
}
