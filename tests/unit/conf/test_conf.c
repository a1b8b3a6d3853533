/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration loader (src/conf/conf.h): the complete example loads with
 * every value where it belongs, defaults fill what is absent, relative paths
 * are resolved, and every class of mistake is refused with the message
 * "FILE:LINE: PATH: ..." naming the right line and key path.
 */
#include "conf/conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../dns/testutil.h"
#include "dns/errcode.h"
#include "dns/name.h"

#include "conftest.h"

/* ------------------------------------------------------ the full example */

static void check_example(const struct conf *c, const char *dir)
{
	uint8_t a[16], name[DNS_NAME_MAXLEN];
	char path[PATH_MAX];

	cr_assert_str_eq(c->server.identity, "pop1.example.net");
	cr_assert_str_eq(c->server.version, "dpdns");
	cr_assert_str_eq(c->server.rundir, "/var/lib/dpdns");
	cr_assert_eq(c->server.udp_payload, 1232);

	cr_assert_str_eq(c->dataplane.eal,
			 "-l 0-1 --no-huge -m 512 --vdev=net_af_packet0,iface=veth1");
	cr_assert_eq(c->dataplane.nifaces, 1);
	const struct conf_iface *ifc = &c->dataplane.ifaces[0];
	cr_assert_str_eq(ifc->port, "net_af_packet0");
	cr_assert_eq(ifc->naddrs, 2);
	cr_assert_eq(ifc->addrs[0].family, AF_INET);
	cr_assert_eq(ifc->addrs[0].plen, 24);
	v4(a, "198.18.0.2");
	cr_assert_arr_eq(ifc->addrs[0].addr, a, 16);
	cr_assert_eq(ifc->addrs[1].family, AF_INET6);
	cr_assert_eq(ifc->addrs[1].plen, 64);
	v6(a, "2001:db8:ffff::2");
	cr_assert_arr_eq(ifc->addrs[1].addr, a, 16);
	cr_assert_eq(ifc->line, 10);
	cr_assert_str_eq(c->dataplane.exception, "dpdns0");
	cr_assert_eq(c->dataplane.rx_queue_size, 1024);
	cr_assert_eq(c->dataplane.tx_queue_size, 1024);
	cr_assert_eq(c->dataplane.mbufs, 16383);
	cr_assert_eq(c->dataplane.idle_sleep_us, 0);

	cr_assert_eq(c->nkeys, 1);
	cr_assert_str_eq(c->keys[0].id, "xfr-key");
	cr_assert_eq(c->keys[0].name_len, tn(name, "xfr-key"));
	cr_assert_arr_eq(c->keys[0].name, name, c->keys[0].name_len);
	cr_assert_str_eq(c->keys[0].algorithm, "hmac-sha256");
	cr_assert_str_eq(c->keys[0].secret,
			 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKA==");
	cr_assert_eq(c->keys[0].line, 18);

	cr_assert_eq(c->nremotes, 2);
	const struct conf_remote *r = &c->remotes[0];
	cr_assert_str_eq(r->id, "primary1");
	cr_assert_eq(r->naddrs, 3);
	cr_assert_eq(r->addrs[0].family, AF_INET);
	cr_assert_eq(r->addrs[0].port, 53);
	v4(a, "198.18.0.1");
	cr_assert_arr_eq(r->addrs[0].addr, a, 16);
	cr_assert_eq(r->addrs[1].family, AF_INET6);
	cr_assert_eq(r->addrs[1].port, 53);
	v6(a, "2001:db8:ffff::1");
	cr_assert_arr_eq(r->addrs[1].addr, a, 16);
	cr_assert_eq(r->addrs[2].family, AF_INET);
	cr_assert_eq(r->addrs[2].port, 53);
	v4(a, "198.18.0.9");
	cr_assert_arr_eq(r->addrs[2].addr, a, 16);
	cr_assert_eq(r->key, &c->keys[0]);
	cr_assert_eq(r->line, 22);
	r = &c->remotes[1];
	cr_assert_str_eq(r->id, "primary2");
	cr_assert_eq(r->naddrs, 1);
	cr_assert_eq(r->addrs[0].port, 5353);
	v4(a, "198.18.1.1");
	cr_assert_arr_eq(r->addrs[0].addr, a, 16);
	cr_assert_null(r->key);

	cr_assert_eq(c->nacls, 2);
	const struct conf_acl *acl = &c->acls[0];
	cr_assert_str_eq(acl->id, "notify-from-hidden");
	cr_assert_eq(acl->line, 28);
	cr_assert_eq(acl->naddrs, 2);
	cr_assert_eq(acl->addrs[0].family, AF_INET);
	v4(a, "198.18.0.0");
	cr_assert_arr_eq(acl->addrs[0].lo, a, 16);
	v4(a, "198.18.0.255");
	cr_assert_arr_eq(acl->addrs[0].hi, a, 16);
	cr_assert_eq(acl->addrs[1].family, AF_INET6);
	v6(a, "2001:db8:ffff::1");
	cr_assert_arr_eq(acl->addrs[1].lo, a, 16);
	v6(a, "2001:db8:ffff::9");
	cr_assert_arr_eq(acl->addrs[1].hi, a, 16);
	cr_assert_eq(acl->key, &c->keys[0]);
	cr_assert_eq(acl->actions, CONF_ACL_NOTIFY);
	cr_assert_not(acl->deny);
	acl = &c->acls[1];
	cr_assert_str_eq(acl->id, "not-the-lab");
	cr_assert_eq(acl->naddrs, 1);
	v4(a, "198.18.0.100");
	cr_assert_arr_eq(acl->addrs[0].lo, a, 16);
	cr_assert_arr_eq(acl->addrs[0].hi, a, 16);
	cr_assert_null(acl->key);
	cr_assert_eq(acl->actions, CONF_ACL_NOTIFY);
	cr_assert(acl->deny);

	cr_assert_eq(c->ntemplates, 1);
	cr_assert_str_eq(c->templates[0].id, "secondary");
	cr_assert_str_eq(c->templates[0].z.file, "zones/%s.zone");
	cr_assert_eq(c->templates[0].line, 37);

	cr_assert_eq(c->nzones, 4);
	const struct conf_zone *z = &c->zones[0];
	cr_assert_str_eq(z->domain, "example.com.");
	cr_assert_eq(z->origin_len, tn(name, "example.com"));
	cr_assert_arr_eq(z->origin, name, z->origin_len);
	snprintf(path, sizeof(path), "%s/zones/example.com.zone", dir);
	cr_assert_str_eq(z->file, path);
	cr_assert_eq(z->nprimaries, 2);
	cr_assert_eq(z->primaries[0], &c->remotes[0]);
	cr_assert_eq(z->primaries[1], &c->remotes[1]);
	cr_assert_eq(z->nacls, 1);
	cr_assert_eq(z->acls[0], &c->acls[0]);
	cr_assert_eq(z->line, 43);
	z = &c->zones[1];
	cr_assert_str_eq(z->domain, "example.net.");
	cr_assert_eq(z->origin_len, tn(name, "example.net"));
	cr_assert_arr_eq(z->origin, name, z->origin_len); /* lowercase */
	cr_assert_str_eq(z->file, "/srv/zones/example.net.zone");
	cr_assert_eq(z->nprimaries, 0);
	z = &c->zones[2];
	cr_assert_str_eq(z->domain, "example.org.");
	cr_assert_null(z->file);
	cr_assert_eq(z->nprimaries, 1);
	cr_assert_eq(z->primaries[0], &c->remotes[1]);
	cr_assert_eq(z->refresh_min, 60);
	cr_assert_eq(z->refresh_max, 43200);
	cr_assert_eq(z->retry_min, 30);
	cr_assert_eq(z->retry_max, 3600);
	cr_assert_eq(z->expire_min, 86400);
	cr_assert_eq(z->expire_max, 2419200);
	cr_assert_eq(z->nacls, 0);
	/* From template secondary, but refresh-min-interval from the zone. */
	z = &c->zones[3];
	cr_assert_str_eq(z->domain, "example.info.");
	snprintf(path, sizeof(path), "%s/zones/example.info.zone", dir);
	cr_assert_str_eq(z->file, path);
	cr_assert_eq(z->nprimaries, 1);
	cr_assert_eq(z->primaries[0], &c->remotes[0]);
	cr_assert_eq(z->nacls, 2);
	cr_assert_eq(z->acls[0], &c->acls[1]);
	cr_assert_eq(z->acls[1], &c->acls[0]);
	cr_assert_eq(z->max_size, 100000000);
	cr_assert_eq(z->refresh_min, 300);
	cr_assert_eq(z->refresh_max, 86400);
	cr_assert_eq(z->expire_max, 2147483647);
	/* The other zones have the defaults. */
	for (unsigned i = 0; i < 2; i++) {
		z = &c->zones[i];
		cr_assert_eq(z->refresh_min, 2);
		cr_assert_eq(z->refresh_max, 86400);
		cr_assert_eq(z->retry_min, 1);
		cr_assert_eq(z->retry_max, 86400);
		cr_assert_eq(z->expire_min, 3);
		cr_assert_eq(z->expire_max, 2147483647);
	}

	cr_assert_str_eq(c->control.listen, "/run/dpdns/dpdnsd.sock");
	cr_assert_eq(c->metrics.listen.family, AF_INET);
	cr_assert_eq(c->metrics.listen.port, 9100);
	v4(a, "127.0.0.1");
	cr_assert_arr_eq(c->metrics.listen.addr, a, 16);

	cr_assert_eq(c->nlogs, 2);
	cr_assert_str_eq(c->logs[0].target, "syslog");
	for (int k = 0; k < CONF_LOG_CATS; k++)
		cr_assert_eq(c->logs[0].levels[k], CONF_LOG_INFO);
	cr_assert_str_eq(c->logs[1].target, "stderr");
	cr_assert_eq(c->logs[1].levels[CONF_LOG_SERVER], CONF_LOG_WARNING);
	cr_assert_eq(c->logs[1].levels[CONF_LOG_ZONE], CONF_LOG_INFO);
	cr_assert_eq(c->logs[1].levels[CONF_LOG_CONTROL], CONF_LOG_NOTICE);
	cr_assert_eq(c->logs[1].line, 67);
}

Test(conf, example_file_loads)
{
	char *path = testdata("conf/example.yaml");
	char dir[2 * PATH_MAX];
	struct conf *c = NULL;

	int rc = conf_load(path, &c, errbuf, sizeof(errbuf));
	cr_assert_eq(rc, 0, "%s", errbuf);
	cr_assert_str_eq(c->path, path);
	/* Zone files are relative to the file's directory, made absolute. */
	if (path[0] == '/') {
		snprintf(dir, sizeof(dir), "%s", path);
	} else {
		char cwd[PATH_MAX];
		cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
		snprintf(dir, sizeof(dir), "%s/%s", cwd, path);
	}
	*strrchr(dir, '/') = '\0';
	check_example(c, dir);
	conf_free(c);
	free(path);
}

/* The example in doc/config.md is this very file: keep them in step. */
Test(conf, doc_example_is_the_test_example)
{
	const char *docdir = getenv("DPDNS_DOC");
	cr_assert_not_null(docdir);
	char *doc_path = NULL, *ex_path = testdata("conf/example.yaml");
	cr_assert_gt(asprintf(&doc_path, "%s/config.md", docdir), 0);
	size_t dlen, elen;
	char *doc = slurp(doc_path, &dlen), *ex = slurp(ex_path, &elen);
	const char *start = strstr(doc, "```yaml\n# The example of doc/config.md");
	cr_assert_not_null(start, "doc/config.md has no complete example");
	start += strlen("```yaml\n");
	const char *end = strstr(start, "```");
	cr_assert_not_null(end);
	cr_assert_eq((size_t)(end - start), elen, "doc example differs from example.yaml");
	cr_assert_eq(memcmp(start, ex, elen), 0, "doc example differs from example.yaml");
	struct conf *c = load_ok_dir(ex, "/etc/dpdns");
	check_example(c, "/etc/dpdns");
	conf_free(c);
	free(doc);
	free(ex);
	free(doc_path);
	free(ex_path);
}

/* The issue's schema text as written names primary2, which it never defines,
 * and "base64..." is no base64: both are caught. */
Test(conf, issue_schema_text_as_written)
{
	static const char text[] = DP "key:\n"
				      "  - id: xfr-key\n"
				      "    algorithm: hmac-sha256\n"
				      "    secret: \"base64...\"\n";
	load_err(text, 9, "key[0].secret: not valid base64");
	static const char text2[] = DP "remote:\n"
				       "  - id: primary1\n"
				       "    address: [\"198.18.0.1@53\"]\n"
				       "zone:\n"
				       "  - domain: example.com\n"
				       "    file: /path/to/example.com.zone\n"
				       "    primary: [primary1, primary2]\n";
	load_err(text2, 12, "zone[0].primary[1]: no remote with id 'primary2'");
}

/* ------------------------------------------------------------ defaults */

Test(conf, defaults)
{
	struct conf *c = load_ok(DP);

	cr_assert_null(c->server.identity);
	cr_assert_null(c->server.version);
	cr_assert_str_eq(c->server.rundir, "/var/lib/dpdns");
	cr_assert_eq(c->server.udp_payload, 1232);
	cr_assert_eq(c->server.tcp_max_clients, 100);
	cr_assert_eq(c->server.tcp_idle_timeout, 10);
	cr_assert_str_eq(c->dataplane.exception, "dpdns0");
	cr_assert_eq(c->dataplane.rx_queue_size, 1024);
	cr_assert_eq(c->dataplane.tx_queue_size, 1024);
	cr_assert_eq(c->dataplane.mbufs, 16383);
	cr_assert_eq(c->dataplane.idle_sleep_us, 0);
	cr_assert_eq(c->dataplane.nifaces, 1);
	cr_assert_eq(c->dataplane.ifaces[0].naddrs, 1);
	cr_assert_eq(c->dataplane.ifaces[0].addrs[0].plen, 24);
	cr_assert_eq(c->nkeys, 0);
	cr_assert_null(c->keys);
	cr_assert_eq(c->nremotes, 0);
	cr_assert_eq(c->nzones, 0);
	cr_assert_str_eq(c->path, NAME);
	cr_assert_str_eq(c->control.listen, "/var/lib/dpdns/dpdnsd.sock");
	cr_assert_eq(c->nacls, 0);
	cr_assert_eq(c->ntemplates, 0);
	cr_assert_eq(c->nlogs, 1);
	cr_assert_str_eq(c->logs[0].target, "stderr");
	cr_assert_eq(c->metrics.listen.family, 0, "no metrics endpoint");
	conf_free(c);

	/* Null and empty sections are empty; an empty server section still
	 * gets its defaults. */
	c = load_ok("server:\nkey:\nremote: []\nzone:\ncontrol:\nmetrics: {}\n" DP);
	cr_assert_str_eq(c->server.rundir, "/var/lib/dpdns");
	cr_assert_str_eq(c->control.listen, "/var/lib/dpdns/dpdnsd.sock");
	cr_assert_eq(c->metrics.listen.family, 0);
	cr_assert_eq(c->server.udp_payload, 1232);
	cr_assert_eq(c->nkeys + c->nremotes + c->nzones, 0);
	conf_free(c);
}

Test(conf, values_at_the_edges)
{
	struct conf *c = load_ok("server:\n"
				 "  udp-payload: 4096\n" DP "  exception: a_b.c-D12345678\n"
				 "  rx-queue-size: 64\n"
				 "  tx-queue-size: 16384\n"
				 "  mbufs: 1048575\n"
				 "  idle-sleep-us: 10000\n");
	cr_assert_eq(c->server.udp_payload, 4096);
	cr_assert_str_eq(c->dataplane.exception, "a_b.c-D12345678");
	cr_assert_eq(c->dataplane.rx_queue_size, 64);
	cr_assert_eq(c->dataplane.tx_queue_size, 16384);
	cr_assert_eq(c->dataplane.mbufs, 1048575);
	cr_assert_eq(c->dataplane.idle_sleep_us, 10000);
	conf_free(c);
	c = load_ok("server:\n  udp-payload: 512\n" DP "  mbufs: 1023\n");
	cr_assert_eq(c->server.udp_payload, 512);
	cr_assert_eq(c->dataplane.mbufs, 1023);
	conf_free(c);
}

/* --------------------------------------------------------------- paths */

Test(conf, relative_paths)
{
	static const char text[] = "server:\n  rundir: run\n" DP "zone:\n"
				   "  - domain: a.example\n"
				   "    file: a.zone\n"
				   "  - domain: b.example\n"
				   "    file: ../zones/b.zone\n"
				   "  - domain: c.example\n"
				   "    file: /abs/c.zone\n";
	struct conf *c = load_ok_dir(text, "/etc/dpdns");
	cr_assert_str_eq(c->server.rundir, "/etc/dpdns/run");
	cr_assert_str_eq(c->zones[0].file, "/etc/dpdns/a.zone");
	cr_assert_str_eq(c->zones[1].file, "/etc/dpdns/../zones/b.zone");
	cr_assert_str_eq(c->zones[2].file, "/abs/c.zone");
	conf_free(c);

	/* Without a directory, relative paths stay as written. */
	c = load_ok_dir(text, NULL);
	cr_assert_str_eq(c->server.rundir, "run");
	cr_assert_str_eq(c->zones[0].file, "a.zone");
	cr_assert_str_eq(c->zones[2].file, "/abs/c.zone");
	conf_free(c);
}

/* ---------------------------------------------- control and metrics */

Test(conf, control_socket_path)
{
	/* The default follows rundir, itself resolved against the file's directory. */
	struct conf *c = load_ok_dir("server:\n  rundir: run\n" DP, "/etc/dpdns");
	cr_assert_str_eq(c->control.listen, "/etc/dpdns/run/dpdnsd.sock");
	conf_free(c);
	c = load_ok("server:\n  rundir: /srv/dpdns\n" DP "control: {}\n");
	cr_assert_str_eq(c->control.listen, "/srv/dpdns/dpdnsd.sock");
	conf_free(c);
	/* Written: absolute, or relative to the file's directory like any path. */
	c = load_ok(DP "control:\n  listen: /run/ctl.sock\n");
	cr_assert_str_eq(c->control.listen, "/run/ctl.sock");
	conf_free(c);
	c = load_ok(DP "control:\n  listen: ctl.sock\n");
	cr_assert_str_eq(c->control.listen, "/etc/dpdns/ctl.sock");
	conf_free(c);

	/* A UNIX socket path holds 107 octets. */
	char text[512], longp[200];
	memset(longp, 'p', sizeof(longp));
	longp[0] = '/';
	longp[CONF_SOCK_PATH_MAX] = '\0';
	snprintf(text, sizeof(text), DP "control:\n  listen: %s\n", longp);
	c = load_ok(text);
	cr_assert_eq(strlen(c->control.listen), CONF_SOCK_PATH_MAX);
	conf_free(c);
	longp[CONF_SOCK_PATH_MAX] = 'p';
	longp[CONF_SOCK_PATH_MAX + 1] = '\0';
	snprintf(text, sizeof(text), DP "control:\n  listen: %s\n", longp);
	load_err(text, 7,
		 "control.listen: too long for a UNIX socket path (108 octets, at most 107)");
	/* Made too long by the directory: 100 octets, 111 in /etc/dpdns/. */
	memset(longp, 'p', 100);
	longp[100] = '\0';
	snprintf(text, sizeof(text), DP "control:\n  listen: %s\n", longp);
	load_err(text, 7, "control.listen: too long for a UNIX socket path (111 octets");
	/* The default, made too long by rundir (/etc/dpdns/ + 100 + /dpdnsd.sock): the message
	 * says what to do. */
	longp[100] = '\0';
	snprintf(text, sizeof(text), "server:\n  rundir: %s\n" DP, longp);
	load_err(text, 1, "control: the default socket '<rundir>/dpdnsd.sock' is too long",
		 "(123 octets, at most 107): set control.listen", NULL);
	snprintf(text, sizeof(text), "server:\n  rundir: %s\n" DP "control:\n  listen: /r.sock\n",
		 longp);
	c = load_ok(text);
	cr_assert_str_eq(c->control.listen, "/r.sock");
	conf_free(c);

	load_err(DP "control:\n  listen: \"\"\n", 7, "control.listen: must not be empty");
	load_err(DP "control:\n  listen: [a]\n", 7, "control.listen: expected a scalar");
	load_err(DP "control:\n  path: /x\n", 7,
		 "control.path: unknown key (expected one of: listen)");
	load_err(DP "control: /x.sock\n", 6, "control: expected a mapping, got a scalar");
}

Test(conf, metrics_listen)
{
	uint8_t a[16];
	struct conf *c = load_ok(DP "metrics:\n  listen: 198.18.0.2@9100\n");
	cr_assert_eq(c->metrics.listen.family, AF_INET);
	cr_assert_eq(c->metrics.listen.port, 9100);
	v4(a, "198.18.0.2");
	cr_assert_arr_eq(c->metrics.listen.addr, a, 16);
	conf_free(c);
	c = load_ok(DP "metrics:\n  listen: \"2001:db8::2@1\"\n");
	cr_assert_eq(c->metrics.listen.family, AF_INET6);
	cr_assert_eq(c->metrics.listen.port, 1);
	v6(a, "2001:db8::2");
	cr_assert_arr_eq(c->metrics.listen.addr, a, 16);
	conf_free(c);
	/* Any address, and loopback. */
	static const char *const ok[] = { "0.0.0.0@65535", "\"::@9100\"", "127.0.0.1@9100",
					  "\"::1@9100\"" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), DP "metrics:\n  listen: %s\n", ok[i]);
		c = load_ok(text);
		cr_assert_neq(c->metrics.listen.family, 0);
		conf_free(c);
	}

	load_err(DP "metrics:\n  listen: 127.0.0.1\n", 7,
		 "metrics.listen: '127.0.0.1' has no port (write ADDRESS@PORT)");
	load_err(DP "metrics:\n  listen: 127.0.0.1@0\n", 7,
		 "metrics.listen: bad port in '127.0.0.1@0' (1..65535)");
	load_err(DP "metrics:\n  listen: 127.0.0.1@65536\n", 7, "metrics.listen: bad port");
	load_err(DP "metrics:\n  listen: 127.0.0.1@\n", 7, "metrics.listen: bad port");
	load_err(DP "metrics:\n  listen: 127.0.0.1@http\n", 7, "metrics.listen: bad port");
	load_err(DP "metrics:\n  listen: localhost@9100\n", 7,
		 "metrics.listen: 'localhost@9100' is not an IPv4 or IPv6 address@port");
	load_err(DP "metrics:\n  listen: \"[::1]@9100\"\n", 7,
		 "metrics.listen: '[::1]@9100' is not an IPv4 or IPv6");
	load_err(DP "metrics:\n  listen: 224.0.0.1@9100\n", 7,
		 "metrics.listen: '224.0.0.1@9100' cannot be listened on (multicast)");
	load_err(DP "metrics:\n  listen: 255.255.255.255@9100\n", 7,
		 "metrics.listen: ", "cannot be listened on (the broadcast address)");
	load_err(DP "metrics:\n  listen: 0.1.2.3@9100\n", 7,
		 "metrics.listen: ", "cannot be listened on (in 0.0.0.0/8");
	load_err(DP "metrics:\n  listen: \"ff02::1@9100\"\n", 7, "metrics.listen: ", "(multicast)");
	load_err(DP "metrics:\n  listen: \"::ffff:127.0.0.1@9100\"\n", 7,
		 "metrics.listen: ", "(IPv4-mapped");
	load_err(DP "metrics:\n  listen: [a, b]\n", 7, "metrics.listen: expected a scalar");
	load_err(DP "metrics:\n  port: 9100\n", 7,
		 "metrics.port: unknown key (expected one of: listen)");
}

/* conf_load resolves against the file's directory, made absolute. */
Test(conf, conf_load_relative_to_file)
{
	char tmpl[] = "/tmp/dpdns-conf-test-XXXXXX", cwd[PATH_MAX], path[PATH_MAX + 64];
	cr_assert_not_null(mkdtemp(tmpl));
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	snprintf(path, sizeof(path), "%s/sub", tmpl);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sub/dpdns.yaml", tmpl);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(DP "zone:\n  - domain: example.com\n    file: example.com.zone\n", f);
	fclose(f);

	struct conf *c = NULL;
	cr_assert_eq(chdir(tmpl), 0);
	int rc = conf_load("sub/dpdns.yaml", &c, errbuf, sizeof(errbuf));
	cr_assert_eq(chdir(cwd), 0);
	cr_assert_eq(rc, 0, "%s", errbuf);
	char want[PATH_MAX + 64];
	char real[PATH_MAX];
	cr_assert_not_null(realpath(tmpl, real)); /* getcwd gives the resolved form */
	snprintf(want, sizeof(want), "%s/sub/example.com.zone", real);
	cr_assert_str_eq(c->zones[0].file, want);
	cr_assert_str_eq(c->path, "sub/dpdns.yaml");
	conf_free(c);

	/* An error names the file as given. */
	f = fopen(path, "w");
	fputs(DP "  bogus: 1\n", f);
	fclose(f);
	rc = conf_load(path, &c, errbuf, sizeof(errbuf));
	cr_assert_eq(rc, DP_ESYNTAX);
	char want_err[PATH_MAX + 128];
	snprintf(want_err, sizeof(want_err), "%s:6: dataplane.bogus: unknown key", path);
	cr_assert_eq(strncmp(errbuf, want_err, strlen(want_err)), 0, "%s", errbuf);

	unlink(path);
	snprintf(path, sizeof(path), "%s/sub", tmpl);
	rmdir(path);
	rmdir(tmpl);
}

Test(conf, file_not_readable)
{
	struct conf *c = (struct conf *)1;
	int rc = conf_load("/nonexistent-dpdns/dpdns.yaml", &c, errbuf, sizeof(errbuf));
	cr_assert_eq(rc, DP_ENOENT);
	cr_assert_null(c);
	cr_assert_str_eq(errbuf, "/nonexistent-dpdns/dpdns.yaml: cannot open: No such file or "
				 "directory");

	rc = conf_load("/tmp", &c, errbuf, sizeof(errbuf));
	cr_assert_eq(rc, -EISDIR);
	cr_assert_str_eq(errbuf, "/tmp: cannot read: Is a directory");
}

/* ------------------------------------------------- structure and syntax */

Test(conf, empty)
{
	load_err("", 1, "empty configuration");
	load_err("# nothing but a comment\n", 1, "empty configuration");
	load_err("\n\n---\n", 3, "empty configuration");
	load_err("# c\n---\n# c\n...\n", 2, "empty configuration");
	load_err("~\n", 1, "empty configuration");
	load_err_v("", 0, 1, "empty configuration", NULL);
	load_err("{}\n", 1, "dataplane: missing (required)");
}

Test(conf, yaml_syntax_errors)
{
	load_err(DP "zone: [a, b\n", 7, "YAML syntax error: did not find expected ',' or ']'",
		 "while parsing a flow sequence at line 6", NULL);
	load_err(DP "server:\n  identity: a: b\n", 7,
		 "YAML syntax error: mapping values are not allowed in this context");
	load_err(DP "server:\n\tidentity: x\n", 7,
		 "YAML syntax error: found character that "
		 "cannot start any token");
	load_err(DP "server: \"unterminated\n", 7,
		 "YAML syntax error: found unexpected end of "
		 "stream",
		 "while scanning a quoted scalar at line 6", NULL);
	/* Invalid UTF-8: the reader reports an offset; the line comes from it. */
	load_err(DP "server:\n  identity: \xff\xfe\n", 7,
		 "YAML error: invalid leading UTF-8 octet");
}

Test(conf, top_level_shape)
{
	load_err("- a\n- b\n", 1, "the top level must be a mapping, got a list");
	load_err("just text\n", 1, "the top level must be a mapping, got a scalar");
}

Test(conf, unknown_keys)
{
	load_err(DP "servr:\n  identity: x\n", 6,
		 "servr: unknown key (expected one of: server, dataplane, key, remote, acl, "
		 "template, zone, control, metrics, log)");
	load_err(DP "  exceptoin: x\n", 6, "dataplane.exceptoin: unknown key");
	load_err(DP "      adress: 198.18.0.3\n", 6, "dataplane.interfaces[0].adress: unknown key",
		 "port, address", NULL);
	load_err(DP "zone:\n  - domain: a.\n    file: f\n    primaries: [x]\n", 9,
		 "zone[0].primaries: unknown key");
	/* Keys are case-sensitive. */
	load_err("Dataplane:\n", 1, "Dataplane: unknown key");
	/* A weird key is quoted in the message without breaking the line. */
	load_err(DP "\"a\\nb\\x01\": 1\n", 6, "a\\x0ab\\x01: unknown key");
}

Test(conf, duplicate_keys)
{
	load_err(DP "  eal: again\n", 6, "dataplane.eal: duplicate key (first at line 2)");
	load_err(DP "dataplane:\n  eal: x\n", 6, "dataplane: duplicate key (first at line 1)");
	load_err(DP "      port: p1\n", 6,
		 "dataplane.interfaces[0].port: duplicate key (first at line 4)");
	load_err(DP "zone: [{domain: a., file: f, domain: b.}]\n", 6,
		 "zone[0].domain: duplicate key (first at line 6)");
}

Test(conf, wrong_shapes)
{
	/* scalar where a mapping is expected */
	load_err(DP "server: pop1\n", 6, "server: expected a mapping, got a scalar");
	/* list where a mapping is expected */
	load_err(DP "server: [a]\n", 6, "server: expected a mapping, got a list");
	/* mapping where a scalar is expected */
	load_err(DP "server:\n  identity: {a: b}\n", 7,
		 "server.identity: expected a scalar, got a mapping");
	/* list where a scalar is expected */
	load_err(DP "server:\n  version: [1, 2]\n", 7,
		 "server.version: expected a scalar, got a list");
	/* scalar where a list is expected */
	load_err("dataplane:\n  eal: x\n  interfaces: p0\n", 3,
		 "dataplane.interfaces: expected a list, got a scalar");
	/* mapping where a list is expected */
	load_err(DP "zone:\n  domain: example.com\n", 7, "zone: expected a list, got a mapping");
	/* list item that is not a mapping */
	load_err(DP "key: [xfr-key]\n", 6, "key[0]: expected a mapping, got a scalar");
	/* address list item that is not a scalar */
	load_err(DP "remote:\n"
		    "  - id: r\n"
		    "    address: [[198.18.0.1]]\n",
		 8, "remote[0].address[0]: expected a scalar, got a list");
	/* null where a value is needed */
	load_err(DP "server:\n  identity:\n", 7, "server.identity: needs a value");
	load_err(DP "  exception: ~\n", 6, "dataplane.exception: needs a value");
	/* a mapping as a key */
	load_err(DP "{a: 1}: 2\n", 6, "a mapping key must be a scalar, got a mapping");
	/* non-numbers */
	load_err(DP "server:\n  udp-payload: big\n", 7,
		 "server.udp-payload: expected an integer, got 'big'");
	load_err(DP "  mbufs: -1\n", 6, "dataplane.mbufs: expected an integer, got '-1'");
	load_err(DP "  mbufs: 0x4000\n", 6, "dataplane.mbufs: expected an integer");
	load_err(DP "  mbufs: 16_383\n", 6, "dataplane.mbufs: expected an integer");
	load_err(DP "  mbufs: 1.5e4\n", 6, "dataplane.mbufs: expected an integer");
	load_err(DP "  mbufs: \"\"\n", 6, "dataplane.mbufs: expected an integer, got ''");
}

Test(conf, out_of_range_numbers)
{
	load_err("server:\n  udp-payload: 511\n" DP, 2,
		 "server.udp-payload: 511 is out of range (512..4096)");
	load_err("server:\n  udp-payload: 4097\n" DP, 2,
		 "server.udp-payload: 4097 is out of range (512..4096)");
	load_err("server:\n  udp-payload: 99999999999999999999999\n" DP, 2,
		 "server.udp-payload: 99999999999999999999999 is out of range");
	load_err(DP "  rx-queue-size: 32\n", 6,
		 "dataplane.rx-queue-size: 32 is out of range (64..16384)");
	load_err(DP "  tx-queue-size: 32768\n", 6,
		 "dataplane.tx-queue-size: 32768 is out of range (64..16384)");
	load_err(DP "  rx-queue-size: 1000\n", 6,
		 "dataplane.rx-queue-size: 1000 is not a power of two");
	load_err(DP "  mbufs: 1022\n", 6, "dataplane.mbufs: 1022 is out of range (1023..1048575)");
	load_err(DP "  mbufs: 1048576\n", 6, "dataplane.mbufs: 1048576 is out of range");
	load_err(DP "  idle-sleep-us: 10001\n", 6,
		 "dataplane.idle-sleep-us: 10001 is out of range (0..10000)");
}

Test(conf, missing_required)
{
	load_err("server:\n  identity: x\n", 1, "dataplane: missing (required)");
	load_err("dataplane:\n  interfaces: []\n", 2, "dataplane.eal: missing (required)");
	load_err("dataplane:\n  eal: x\n", 2, "dataplane.interfaces: missing (required)");
	load_err("dataplane:\n  eal: x\n  interfaces: []\n", 3,
		 "dataplane.interfaces: needs at least 1 item");
	load_err("dataplane:\n  eal: x\n  interfaces:\n    - address: 198.18.0.2\n", 4,
		 "dataplane.interfaces[0].port: missing (required)");
	load_err("dataplane:\n  eal: x\n  interfaces:\n    - port: p0\n", 4,
		 "dataplane.interfaces[0].address: missing (required)");
	load_err("dataplane:\n  eal: x\n  interfaces:\n    - port: p0\n      address: []\n", 5,
		 "dataplane.interfaces[0].address: needs at least 1 address");
	load_err(DP "zone:\n  - file: x.zone\n", 7, "zone[0].domain: missing (required)");
	load_err(DP "key:\n  - id: k\n    algorithm: hmac-sha1\n", 7,
		 "key[0].secret: missing (required)");
	load_err(DP "remote:\n  - id: r\n", 7, "remote[0].address: missing (required)");
	load_err(DP "remote:\n  - address: 198.18.0.1\n", 7, "remote[0].id: missing (required)");
	load_err(DP "zone:\n  - domain: example.com\n", 7,
		 "zone[0]: a zone needs 'file' or 'primary' (or both)");
	load_err(DP "zone:\n  - domain: example.com\n    primary: []\n", 7,
		 "zone[0]: a zone needs 'file' or 'primary'");
}

/* ----------------------------------------------------------- addresses */

Test(conf, interface_addresses)
{
	struct conf *c = load_ok("dataplane:\n  eal: x\n  interfaces:\n"
				 "    - port: \"0000:01:00.0\"\n"
				 "      address: [198.18.0.2, 198.18.0.3/31, \"2001:db8::1\","
				 " \"2001:db8::2/127\", 198.19.255.254/15, 1.2.3.4/32]\n"
				 "    - port: net_tap1\n"
				 "      address: \"2001:db8:1::1/48\"\n");
	const struct conf_iface *i0 = &c->dataplane.ifaces[0], *i1 = &c->dataplane.ifaces[1];
	uint8_t a[16];
	cr_assert_eq(c->dataplane.nifaces, 2);
	cr_assert_str_eq(i0->port, "0000:01:00.0");
	cr_assert_eq(i0->naddrs, 6);
	cr_assert_eq(i0->addrs[0].plen, 32); /* default host prefix */
	cr_assert_eq(i0->addrs[1].plen, 31); /* /31: no broadcast address */
	cr_assert_eq(i0->addrs[2].plen, 128);
	cr_assert_eq(i0->addrs[3].plen, 127);
	cr_assert_eq(i0->addrs[4].plen, 15);
	v4(a, "198.19.255.254");
	cr_assert_arr_eq(i0->addrs[4].addr, a, 16);
	cr_assert_eq(i1->naddrs, 1); /* a single scalar is a one-item list */
	cr_assert_eq(i1->addrs[0].family, AF_INET6);
	cr_assert_eq(i1->addrs[0].plen, 48);
	v6(a, "2001:db8:1::1");
	cr_assert_arr_eq(i1->addrs[0].addr, a, 16);
	cr_assert_eq(i1->line, 6);
	conf_free(c);

	/* 8 of each family is the limit. */
	char text[2048];
	int n = snprintf(text, sizeof(text),
			 "dataplane:\n  eal: x\n  interfaces:\n"
			 "    - port: p0\n      address:\n");
	for (int i = 1; i <= 8; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "        - 198.18.0.%d/24\n        - \"2001:db8::%d/64\"\n", i, i);
	c = load_ok(text);
	cr_assert_eq(c->dataplane.ifaces[0].naddrs, 16);
	conf_free(c);
	/* Line 22 holds the 9th IPv4 address: item 16. */
	snprintf(text + n, sizeof(text) - (size_t)n, "        - 198.18.0.9/24\n");
	load_err(text, 22, "dataplane.interfaces[0].address[16]: more than 8 IPv4 addresses");
}

Test(conf, bad_addresses)
{
#define ADDR(s) \
	"dataplane:\n  eal: x\n  interfaces:\n    - port: p0\n      address: [198.18.0.2, " s "]\n"
	static const char where[] = "dataplane.interfaces[0].address[1]: ";
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ ADDR("198.18.0.300"), "'198.18.0.300' is not an IPv4 or IPv6 address" },
		{ ADDR("hello"), "'hello' is not an IPv4 or IPv6 address" },
		{ ADDR("198.18.0"), "'198.18.0' is not an IPv4" },
		{ ADDR("\"\""), "must not be empty" },
		{ ADDR("\"2001:db8::1%eth0\""),
		  "'2001:db8::1%eth0' is not an IPv4 or IPv6 address" },
		{ ADDR("\"2001:db8:::1\""), "'2001:db8:::1' is not an IPv4 or IPv6 address" },
		{ ADDR("198.18.0.3/33"), "bad prefix length in '198.18.0.3/33' (IPv4: 1..32)" },
		{ ADDR("198.18.0.3/0"), "bad prefix length in '198.18.0.3/0' (IPv4: 1..32)" },
		{ ADDR("198.18.0.3/"), "bad prefix length" },
		{ ADDR("198.18.0.3/24/1"), "bad prefix length" },
		{ ADDR("198.18.0.3/x"), "bad prefix length" },
		{ ADDR("198.18.0.3/0024"), "bad prefix length" },
		{ ADDR("\"2001:db8::3/129\""),
		  "bad prefix length in '2001:db8::3/129' (IPv6: 1..128)" },
		{ ADDR("198.18.0.2/16"), "duplicate address '198.18.0.2/16' (also item 0)" },
		{ ADDR("0.1.2.3"), "'0.1.2.3' is not a unicast address (in 0.0.0.0/8" },
		{ ADDR("0.0.0.0"), "'0.0.0.0' is not a unicast address" },
		{ ADDR("127.0.0.1"), "'127.0.0.1' is not a unicast address (loopback)" },
		{ ADDR("127.255.0.1/8"), "'127.255.0.1/8' is not a unicast address (loopback)" },
		{ ADDR("224.0.0.1"), "'224.0.0.1' is not a unicast address (multicast)" },
		{ ADDR("239.255.255.255"),
		  "'239.255.255.255' is not a unicast address (multicast)" },
		{ ADDR("255.255.255.255"),
		  "'255.255.255.255' is not a unicast address (the broadcast address)" },
		{ ADDR("198.18.1.255/24"),
		  "'198.18.1.255/24' is the broadcast address of its subnet" },
		{ ADDR("\"::\""), "'::' is not a unicast address (the unspecified address)" },
		{ ADDR("\"::1\""), "'::1' is not a unicast address (loopback)" },
		{ ADDR("\"ff02::1\""), "'ff02::1' is not a unicast address (multicast)" },
		{ ADDR("\"::ffff:198.18.0.1\""),
		  "'::ffff:198.18.0.1' is not a unicast address (IPv4-mapped" },
		{ ADDR("{a: b}"), "expected a scalar, got a mapping" },
	};
#undef ADDR
	char what[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(what, sizeof(what), "%s%s", where, cases[i].msg);
		load_err(cases[i].text, 5, what);
	}
	/* Still accepted: the subnet's own address and 240/4 are not in the rule. */
	struct conf *c = load_ok(
		"dataplane:\n  eal: x\n  interfaces:\n    - port: p0\n      address: [198.18.1.0/24]\n");
	conf_free(c);
	/* A single bad scalar: the path has no index. */
	load_err("dataplane:\n  eal: x\n  interfaces:\n    - port: p0\n      address: 127.0.0.1\n",
		 5, "dataplane.interfaces[0].address: '127.0.0.1' is not a unicast address");
}

Test(conf, interfaces)
{
	char text[2048];
	int n = snprintf(text, sizeof(text), "dataplane:\n  eal: x\n  interfaces:\n");
	for (int i = 0; i < 9; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "    - port: p%d\n      address: 198.18.%d.1/24\n", i, i);
	/* Item 8 starts on line 4 + 2 * 8. */
	load_err(text, 20, "dataplane.interfaces[8]: more than 8 items");

	load_err(DP "    - port: p0\n      address: 198.18.1.1\n", 6,
		 "dataplane.interfaces[1].port: duplicate port 'p0' (also interfaces[0], line 4)");
	load_err(
		"dataplane:\n  eal: x\n  interfaces:\n    - port: net tap\n      address: 198.18.0.2\n",
		4, "dataplane.interfaces[0].port: 'net tap' is not a DPDK port name");
	load_err(
		"dataplane:\n  eal: x\n  interfaces:\n    - port: \"a,b\"\n      address: 198.18.0.2\n",
		4, "dataplane.interfaces[0].port: 'a,b' is not a DPDK port name");
	load_err("dataplane:\n  eal: x\n  interfaces:\n    - port: "
		 "p234567890123456789012345678901234567890123456789012345678901234\n"
		 "      address: 198.18.0.2\n",
		 4, "dataplane.interfaces[0].port: too long (64 octets, at most 63)");
}

Test(conf, exception_name)
{
	load_err(DP "  exception: dpdns0123456789a\n", 6,
		 "dataplane.exception: too long (16 octets, at most 15)");
	load_err(DP "  exception: \"dp dns\"\n", 6,
		 "dataplane.exception: 'dp dns' is not an interface name");
	load_err(DP "  exception: dp/dns\n", 6, "dataplane.exception: 'dp/dns' is not");
	load_err(DP "  exception: \"..\"\n", 6, "dataplane.exception: '..' is not");
	load_err(DP "  exception: \"\"\n", 6, "dataplane.exception: must not be empty");
}

Test(conf, remote_addresses)
{
	struct conf *c = load_ok(DP "remote:\n"
				    "  - id: a\n"
				    "    address: 198.18.0.1\n"
				    "  - id: b\n"
				    "    address: [\"2001:db8::53@5300\", 127.0.0.1@1, \"::1\","
				    " 198.18.0.1@65535, 198.18.0.1@53]\n");
	uint8_t a[16];
	cr_assert_eq(c->nremotes, 2);
	cr_assert_eq(c->remotes[0].naddrs, 1);
	cr_assert_eq(c->remotes[0].addrs[0].port, 53);
	cr_assert_null(c->remotes[0].key);
	const struct conf_remote *r = &c->remotes[1];
	cr_assert_eq(r->naddrs, 5);
	cr_assert_eq(r->addrs[0].family, AF_INET6);
	cr_assert_eq(r->addrs[0].port, 5300);
	v6(a, "2001:db8::53");
	cr_assert_arr_eq(r->addrs[0].addr, a, 16);
	cr_assert_eq(r->addrs[1].port, 1);
	cr_assert_eq(r->addrs[2].family, AF_INET6);
	cr_assert_eq(r->addrs[3].port, 65535);
	cr_assert_eq(r->addrs[4].port, 53);
	conf_free(c);

#define RADDR(s) DP "remote:\n  - id: r\n    address: [198.18.0.1, " s "]\n"
	load_err(RADDR("198.18.0.1@0"), 8, "remote[0].address[1]: bad port in '198.18.0.1@0'");
	load_err(RADDR("198.18.0.1@65536"), 8, "remote[0].address[1]: bad port");
	load_err(RADDR("198.18.0.1@"), 8, "remote[0].address[1]: bad port");
	load_err(RADDR("198.18.0.1@x"), 8, "remote[0].address[1]: bad port");
	load_err(RADDR("198.18.0.1:53"), 8, "remote[0].address[1]: '198.18.0.1:53' is not an IPv4");
	load_err(RADDR("primary.example"), 8, "remote[0].address[1]: 'primary.example' is not");
	load_err(RADDR("198.18.0.1@53"), 8, "remote[0].address[1]: duplicate address");
	load_err(RADDR("224.0.0.53"), 8,
		 "remote[0].address[1]: '224.0.0.53' cannot be a server "
		 "address (multicast)");
	load_err(RADDR("0.0.0.0"), 8, "remote[0].address[1]: '0.0.0.0' cannot be a server");
	load_err(RADDR("\"::\""), 8, "remote[0].address[1]: '::' cannot be a server");
#undef RADDR
	load_err(DP "remote:\n  - id: r\n    address: []\n", 8,
		 "remote[0].address: needs at least 1 address");
	load_err(
		DP
		"remote:\n  - id: r\n    address: 198.18.0.1\n  - id: r\n    address: 198.18.0.2\n",
		9, "remote[1].id: duplicate remote id 'r' (also remote[0], line 7)");
}

/* ----------------------------------------------------------------- keys */

Test(conf, keys)
{
	struct conf *c = load_ok(DP "key:\n"
				    "  - id: K1.Example.\n"
				    "    algorithm: HMAC-SHA512\n"
				    "    secret: AA==\n"
				    "  - id: k2\n"
				    "    algorithm: hmac-md5\n"
				    "    secret: AAAA\n"
				    "remote:\n"
				    "  - id: r\n"
				    "    address: 198.18.0.1\n"
				    "    key: k1.example\n");
	uint8_t name[DNS_NAME_MAXLEN];
	cr_assert_eq(c->nkeys, 2);
	cr_assert_str_eq(c->keys[0].id, "K1.Example.");
	cr_assert_eq(c->keys[0].name_len, tn(name, "k1.example"));
	cr_assert_arr_eq(c->keys[0].name, name, c->keys[0].name_len);
	cr_assert_str_eq(c->keys[0].algorithm, "HMAC-SHA512");
	cr_assert_eq(c->remotes[0].key, &c->keys[0]);
	conf_free(c);

#define KEY(id, alg, sec) DP "key:\n  - id: " id "\n    algorithm: " alg "\n    secret: " sec "\n"
	load_err(KEY("k", "hmac-sha3", "AAAA"), 8,
		 "key[0].algorithm: unknown TSIG algorithm 'hmac-sha3'");
	load_err(KEY("k", "sha256", "AAAA"), 8, "key[0].algorithm: unknown TSIG algorithm");
	load_err(KEY("k", "hmac-sha256", "AAA"), 9, "key[0].secret: not valid base64");
	load_err(KEY("k", "hmac-sha256", "AA=A"), 9, "key[0].secret: not valid base64");
	load_err(KEY("k", "hmac-sha256", "A==="), 9, "key[0].secret: not valid base64");
	load_err(KEY("k", "hmac-sha256", "AAAA===="), 9, "key[0].secret: not valid base64");
	load_err(KEY("k", "hmac-sha256", "\"AA AA\""), 9, "key[0].secret: not valid base64");
	load_err(KEY("k", "hmac-sha256", "AA-_"), 9, "key[0].secret: not valid base64");
	load_err(KEY("k", "hmac-sha256", "\"\""), 9, "key[0].secret: must not be empty");
	load_err(KEY("\".\"", "hmac-sha256", "AAAA"), 7, "key[0].id: a key cannot be named '.'");
	load_err(KEY("a..b", "hmac-sha256", "AAAA"), 7,
		 "key[0].id: 'a..b' is not a valid domain name");
#undef KEY
	load_err(DP "key:\n"
		    "  - id: k\n    algorithm: hmac-sha1\n    secret: AAAA\n"
		    "  - id: K.\n    algorithm: hmac-sha1\n    secret: AAAA\n",
		 10, "key[1].id: duplicate key id 'K.' (also key[0], line 7)");
}

Test(conf, dangling_references)
{
	load_err(DP "remote:\n  - id: r\n    address: 198.18.0.1\n    key: nokey\n", 9,
		 "remote[0].key: no key with id 'nokey'");
	/* A key defined after the remote that uses it is found: sections
	 * resolve in dependency order, not file order. */
	struct conf *c =
		load_ok(DP "remote:\n  - id: r\n    address: 198.18.0.1\n    key: k\n"
			   "key:\n  - id: k\n    algorithm: hmac-sha1\n    secret: AAAA\n");
	cr_assert_eq(c->remotes[0].key, &c->keys[0]);
	conf_free(c);

	load_err(DP "zone:\n  - domain: a.\n    primary: nobody\n", 8,
		 "zone[0].primary: no remote with id 'nobody'");
	load_err(DP "remote:\n  - id: r\n    address: 198.18.0.1\n"
		    "zone:\n  - domain: a.\n    primary: [r, R]\n",
		 11, "zone[0].primary[1]: no remote with id 'R'");
	load_err(DP "remote:\n  - id: r\n    address: 198.18.0.1\n"
		    "zone:\n  - domain: a.\n    primary: [r, r]\n",
		 11, "zone[0].primary[1]: remote 'r' is listed twice");
}

/* ---------------------------------------------------------------- zones */

Test(conf, zones_and_find)
{
	struct conf *c = load_ok(DP "remote:\n  - id: r\n    address: 198.18.0.1\n"
				    "zone:\n"
				    "  - domain: EXAMPLE.com\n    file: a\n"
				    "  - domain: .\n    file: root.zone\n"
				    "  - domain: \"a\\\\.b.example\"\n    primary: r\n"
				    "  - domain: sub.example.com.\n    file: b\n");
	uint8_t name[DNS_NAME_MAXLEN];
	size_t len;
	cr_assert_eq(c->nzones, 4);
	cr_assert_str_eq(c->zones[0].domain, "example.com.");
	cr_assert_str_eq(c->zones[1].domain, ".");
	cr_assert_eq(c->zones[1].origin_len, 1);
	cr_assert_str_eq(c->zones[2].domain, "a\\.b.example.");
	cr_assert_eq(c->zones[2].origin[0], 3); /* one label "a.b" */

	len = tn(name, "Example.COM");
	cr_assert_eq(conf_zone_find(c, name, len), &c->zones[0]);
	len = tn(name, "sub.example.com");
	cr_assert_eq(conf_zone_find(c, name, len), &c->zones[3]);
	cr_assert_eq(conf_zone_find(c, (const uint8_t *)"", 1), &c->zones[1]);
	cr_assert_eq(conf_zone_find(c, (const uint8_t *)"\003a.b\007example", 13), &c->zones[2]);
	len = tn(name, "www.example.com");
	cr_assert_null(conf_zone_find(c, name, len)); /* exact origins only */
	len = tn(name, "example.org");
	cr_assert_null(conf_zone_find(c, name, len));
	/* Malformed or mis-sized names find nothing. */
	len = tn(name, "example.com");
	cr_assert_null(conf_zone_find(c, name, len - 1));
	cr_assert_null(conf_zone_find(c, name, len + 1));
	cr_assert_null(conf_zone_find(c, (const uint8_t *)"\100", 1));
	cr_assert_null(conf_zone_find(c, NULL, 0));
	cr_assert_null(conf_zone_find(NULL, name, len));
	conf_free(c);

	/* No zones at all. */
	c = load_ok(DP);
	cr_assert_null(conf_zone_find(c, name, len));
	conf_free(c);
}

Test(conf, zone_find_many)
{
	/* Enough zones that a wrong ordering would lose some. */
	size_t cap = 200 * 64 + 256, n;
	char *text = malloc(cap);
	n = (size_t)snprintf(text, cap, DP "zone:\n");
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(text + n, cap - n, "  - {domain: z%d.Example%d, file: f}\n",
				      (i * 37) % 200, i % 7);
	struct conf *c = load_ok(text);
	for (int i = 0; i < 200; i++) {
		char dom[64];
		uint8_t name[DNS_NAME_MAXLEN];
		snprintf(dom, sizeof(dom), "z%d.example%d", (i * 37) % 200, i % 7);
		size_t len = tn(name, dom);
		cr_assert_eq(conf_zone_find(c, name, len), &c->zones[i], "%s", dom);
	}
	conf_free(c);
	free(text);
}

Test(conf, bad_and_duplicate_zones)
{
	load_err(DP "zone:\n  - domain: a..b\n    file: f\n", 7,
		 "zone[0].domain: 'a..b' is not a valid domain name");
	load_err(DP "zone:\n  - domain: "
		    "a234567890123456789012345678901234567890123456789012345678901234.com\n"
		    "    file: f\n",
		 7, "zone[0].domain: 'a23456789", "is not a valid domain name (label", NULL);
	load_err(DP "zone:\n  - domain: \"a\\\\0\"\n    file: f\n", 7,
		 "zone[0].domain: 'a\\0' is not a valid domain name");
	load_err(DP "zone:\n  - domain: \"\"\n    file: f\n", 7,
		 "zone[0].domain: must not be empty");
	/* 4 labels of 63 make 257 octets. */
	char text[1024];
	char l63[64];
	memset(l63, 'a', 63);
	l63[63] = '\0';
	snprintf(text, sizeof(text), DP "zone:\n  - domain: %s.%s.%s.%s\n    file: f\n", l63, l63,
		 l63, l63);
	load_err(text, 7, "zone[0].domain: ", "is not a valid domain name (name longer", NULL);

	load_err(DP "zone:\n"
		    "  - domain: example.com\n    file: a\n"
		    "  - domain: example.net\n    file: b\n"
		    "  - domain: EXAMPLE.com.\n    file: c\n"
		    "  - domain: example.net.\n    file: d\n",
		 11, "zone[2].domain: duplicate zone 'EXAMPLE.com.' (also zone[0], line 7)");
	load_err(DP "zone:\n"
		    "  - domain: b.\n    file: a\n"
		    "  - domain: a.\n    file: b\n"
		    "  - domain: a.\n    file: c\n"
		    "  - domain: b.\n    file: d\n",
		 11, "zone[2].domain: duplicate zone 'a.' (also zone[1], line 9)");
}

/* The SOA timer bounds of a zone: defaults, edges, ranges, pairs that cross. */
Test(conf, zone_timer_bounds)
{
#define ZT(keys) DP "zone:\n  - domain: example.com\n    file: f\n" keys
	struct conf *c = load_ok(ZT(""));
	const struct conf_zone *z = &c->zones[0];
	cr_assert_eq(z->refresh_min, 2);
	cr_assert_eq(z->refresh_max, 86400);
	cr_assert_eq(z->retry_min, 1);
	cr_assert_eq(z->retry_max, 86400);
	cr_assert_eq(z->expire_min, 3);
	cr_assert_eq(z->expire_max, 2147483647);
	conf_free(c);

	/* The edges of the ranges; min == max is allowed. */
	c = load_ok(ZT("    refresh-min-interval: 2\n    refresh-max-interval: 2\n"
		       "    retry-min-interval: 2147483647\n    retry-max-interval: 2147483647\n"
		       "    expire-min-interval: 3\n    expire-max-interval: \"2147483647\"\n"));
	z = &c->zones[0];
	cr_assert_eq(z->refresh_min, 2);
	cr_assert_eq(z->refresh_max, 2);
	cr_assert_eq(z->retry_min, 2147483647);
	cr_assert_eq(z->retry_max, 2147483647);
	cr_assert_eq(z->expire_min, 3);
	cr_assert_eq(z->expire_max, 2147483647);
	conf_free(c);
	c = load_ok(ZT("    retry-min-interval: 1\n    retry-max-interval: 1\n"));
	cr_assert_eq(c->zones[0].retry_min, 1);
	cr_assert_eq(c->zones[0].retry_max, 1);
	conf_free(c);

	/* Out of range, not numbers. */
	load_err(ZT("    refresh-min-interval: 1\n"), 9,
		 "zone[0].refresh-min-interval: 1 is out of range (2..2147483647)");
	load_err(ZT("    refresh-max-interval: 2147483648\n"), 9,
		 "zone[0].refresh-max-interval: 2147483648 is out of range (2..2147483647)");
	load_err(ZT("    retry-min-interval: 0\n"), 9,
		 "zone[0].retry-min-interval: 0 is out of range (1..2147483647)");
	load_err(ZT("    retry-max-interval: 4294967296\n"), 9,
		 "zone[0].retry-max-interval: 4294967296 is out of range");
	load_err(ZT("    expire-min-interval: 2\n"), 9,
		 "zone[0].expire-min-interval: 2 is out of range (3..2147483647)");
	load_err(ZT("    expire-max-interval: 1d\n"), 9,
		 "zone[0].expire-max-interval: expected an integer, got '1d'");
	load_err(ZT("    expire-max-interval: -5\n"), 9,
		 "zone[0].expire-max-interval: expected an integer, got '-5'");
	load_err(ZT("    refresh-min-interval: [5]\n"), 9,
		 "zone[0].refresh-min-interval: expected a scalar, got a list");
	load_err(ZT("    retry-max-interval:\n"), 9, "zone[0].retry-max-interval: needs a value");

	/* A pair that crosses: the key written last is named, with both values. */
	load_err(ZT("    retry-max-interval: 300\n    retry-min-interval: 600\n"), 10,
		 "zone[0].retry-min-interval: 600 is above retry-max-interval (300)");
	load_err(ZT("    retry-min-interval: 600\n    retry-max-interval: 300\n"), 10,
		 "zone[0].retry-max-interval: 300 is below retry-min-interval (600)");
	/* Only one of the pair written: it crosses the default of the other. */
	load_err(ZT("    refresh-min-interval: 86401\n"), 9,
		 "zone[0].refresh-min-interval: 86401 is above refresh-max-interval (86400)");
	load_err(ZT("    expire-max-interval: 60\n    expire-min-interval: 61\n"), 10,
		 "zone[0].expire-min-interval: 61 is above expire-max-interval (60)");
	load_err(ZT("    expire-min-interval: 61\n    file: g\n    expire-max-interval: 60\n"), 10,
		 "zone[0].file: duplicate key");
	/* The check runs per zone, after its keys: the second zone is named. */
	load_err(DP "zone:\n  - domain: a.\n    file: f\n  - domain: b.\n    file: f\n"
		    "    refresh-max-interval: 10\n    refresh-min-interval: 11\n",
		 12, "zone[1].refresh-min-interval: 11 is above refresh-max-interval (10)");
#undef ZT
}

/* ------------------------------------------------ strings and YAML corners */

Test(conf, strings)
{
	struct conf *c = load_ok("server:\n  identity: 1.5\n  version: \"dpdns 0.1 ✓\"\n" DP);
	cr_assert_str_eq(c->server.identity, "1.5"); /* a number is text where text is wanted */
	cr_assert_str_eq(c->server.version, "dpdns 0.1 ✓");
	conf_free(c);

	char big[512];
	memset(big, 'x', 256);
	big[256] = '\0';
	char text[1024];
	snprintf(text, sizeof(text), "server:\n  identity: %s\n" DP, big);
	load_err(text, 2, "server.identity: too long (256 octets, at most 255)");
	load_err("server:\n  version: \"a\\tb\"\n" DP, 2,
		 "server.version: contains a control character (\\x09)");
	load_err("server:\n  version: \"\"\n" DP, 2, "server.version: must not be empty");
	load_err("server:\n  version: \"a\\x85b\"\n" DP, 2,
		 "server.version: contains a control character (U+0085)");
	load_err("server:\n  identity: \"a\\Lb\"\n" DP, 2,
		 "server.identity: contains a line separator (U+2028)");
	load_err("server:\n  identity: \"a\\Pb\"\n" DP, 2,
		 "server.identity: contains a line separator (U+2029)");
	load_err_v("server:\n  version: \"a\\0b\"\n" DP,
		   strlen("server:\n  version: \"a\\0b\"\n" DP), 2,
		   "a value contains a NUL character", NULL);
}

Test(conf, yaml_features)
{
	/* Flow style, explicit document markers, core tags and comments are fine. */
	struct conf *c = load_ok("%YAML 1.1\n---\n"
				 "dataplane: {eal: !!str x, interfaces: [{port: p0, address: "
				 "[198.18.0.2/24]}], mbufs: !!int 2047}  # comment\n"
				 "...\n");
	cr_assert_eq(c->dataplane.mbufs, 2047);
	conf_free(c);

	load_err(DP "server:\n  identity: &id pop1\n  version: *id\n", 8,
		 "YAML aliases (*id) are not supported");
	load_err(DP "---\nserver: {}\n", 6,
		 "a second YAML document: the configuration is one document");
	load_err(DP "server:\n  identity: !custom pop1\n", 7, "unsupported YAML tag '!custom'");

	/* Nesting beyond any schema is refused before it can cost anything. */
	char deep[512];
	int n = snprintf(deep, sizeof(deep), DP "server: ");
	for (int i = 0; i < 70; i++)
		deep[n++] = '[';
	deep[n] = '\0';
	load_err(deep, 6, "nested more than 64 levels deep");
}

/* ------------------------------------------------------ the API's edges */

Test(conf, error_buffer)
{
	static const char text[] = DP "  bogus: 1\n";
	char small[16];
	struct conf *c = NULL;

	memset(small, 'x', sizeof(small));
	cr_assert_eq(conf_load_string(text, strlen(text), NAME, NULL, &c, small, sizeof(small)),
		     DP_ESYNTAX);
	cr_assert_eq(strlen(small), sizeof(small) - 1);
	cr_assert_eq(strncmp(small, "test.yaml:6: da", 15), 0, "%s", small);
	/* No buffer at all. */
	cr_assert_eq(conf_load_string(text, strlen(text), NAME, NULL, &c, NULL, 0), DP_ESYNTAX);
	cr_assert_null(c);
	/* No name: a placeholder. */
	cr_assert_eq(conf_load_string(text, strlen(text), NULL, NULL, &c, errbuf, sizeof(errbuf)),
		     DP_ESYNTAX);
	cr_assert_eq(strncmp(errbuf, "(config):6: ", 12), 0, "%s", errbuf);
	/* Bad arguments. */
	cr_assert_eq(conf_load_string(text, strlen(text), NAME, NULL, NULL, errbuf, 1), DP_EINVAL);
	cr_assert_eq(conf_load_string(NULL, 5, NAME, NULL, &c, errbuf, sizeof(errbuf)), DP_EINVAL);
	cr_assert_eq(conf_load(NULL, &c, errbuf, sizeof(errbuf)), DP_EINVAL);
	conf_free(NULL);
}

/* The text is not read past len (no NUL needed): a guarded buffer faults on overread. */
Test(conf, not_nul_terminated)
{
	static const char text[] = DP "zone: [{domain: example.com, file: f}]\n";
	size_t len = strlen(text);
	uint8_t *g = guard_new(text, len);
	struct conf *c = NULL;
	cr_assert_eq(conf_load_string((const char *)g, len, NAME, NULL, &c, errbuf, sizeof(errbuf)),
		     0, "%s", errbuf);
	cr_assert_eq(c->nzones, 1);
	conf_free(c);
	/* Cut short inside the last line: a different document, still bounded. */
	cr_assert_eq(
		conf_load_string((const char *)g, len - 3, NAME, NULL, &c, errbuf, sizeof(errbuf)),
		DP_ESYNTAX);
	guard_free(g, len);
}

Test(conf, tcp_limits)
{
	struct conf *c = load_ok("server:\n  tcp-max-clients: 5000\n  tcp-idle-timeout: 30\n" DP);
	cr_expect_eq(c->server.tcp_max_clients, 5000);
	cr_expect_eq(c->server.tcp_idle_timeout, 30);
	conf_free(c);
	load_err("server:\n  tcp-max-clients: 0\n" DP, 2,
		 "server.tcp-max-clients: 0 is out of range (1..100000)");
	load_err("server:\n  tcp-idle-timeout: 3601\n" DP, 2,
		 "server.tcp-idle-timeout: 3601 is out of range (1..3600)");
}

Test(conf, zone_max_size)
{
	struct conf *c = load_ok(DP "remote:\n  - id: p\n    address: 198.18.0.1\n"
				 "zone:\n  - domain: a.\n    primary: p\n    zone-max-size: 1000000\n"
				 "  - domain: b.\n    primary: p\n");
	cr_expect_eq(c->zones[0].max_size, 1000000);
	cr_expect_eq(c->zones[1].max_size, 0);
	conf_free(c);
	load_err(DP "zone:\n  - domain: a.\n    file: f\n    zone-max-size: 4294967296\n", 9,
		 "zone[0].zone-max-size: 4294967296 is out of range");
}
