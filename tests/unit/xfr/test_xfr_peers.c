/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transfer client's libuv driver (src/xfr/xfr_uv.h) against real
 * primaries started from Debian's packages on 127.0.0.1, random high ports:
 * knotd, nsd and BIND's named, TSIG hmac-sha256.  For each: AXFR of a zone
 * spanning many messages (compared RRset by RRset with zone_load_file of the
 * same file), "up to date", a change on the primary (new zone file, reload)
 * answered by an IXFR whose changeset must be exactly the change, and a wrong
 * secret that must give an error and nothing built.  knotd also serves the
 * failover, timeout, AXFR-style IXFR and cancellation cases.
 *
 * A missing binary skips its test.  Every peer runs in a temporary
 * directory removed afterwards, and is stopped by the test's fini.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <uv.h>

#include "../dns/testutil.h"
#include "dns/errcode.h"
#include "dns/rrtype.h"
#include "xfr/xfr_uv.h"
#include "zone/load.h"

#define SECRET "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define WRONG "ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q="
#define NRECORDS 3000 /* TXT records: a zone of many messages */
#define UP_TIMEOUT_S 10

static char dir[64];
static pid_t pid = -1;
static uint16_t port;
static int hang_fd = -1;

/* ---------------------------------------------------------------- peers */

static bool have_exe(const char *path)
{
	return access(path, X_OK) == 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(path);
}

static void peer_stop(void)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		for (int i = 0; i < 50 && waitpid(pid, NULL, WNOHANG) == 0; i++)
			usleep(100 * 1000);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	if (dir[0]) {
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		dir[0] = '\0';
	}
	if (hang_fd >= 0) {
		close(hang_fd);
		hang_fd = -1;
	}
}

/* A port on 127.0.0.1 free a moment ago for both UDP and TCP. */
static uint16_t free_port(void)
{
	for (int tries = 0; tries < 50; tries++) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof(sa);
		int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
		cr_assert(t >= 0 && u >= 0);
		cr_assert_eq(bind(t, (struct sockaddr *)&sa, sizeof(sa)), 0);
		cr_assert_eq(getsockname(t, (struct sockaddr *)&sa, &sl), 0);
		int ok = bind(u, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(t);
		close(u);
		if (ok && ntohs(sa.sin_port) > 1024)
			return ntohs(sa.sin_port);
	}
	cr_assert_fail("no free port");
	return 0;
}

static void write_file(const char *name, const char *text)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

/*
 * The zone at version v: 1 is the base; 2 drops t7, changes t8's text and
 * adds n1 A and n2 AAAA.
 */
static void write_zone(unsigned v)
{
	size_t cap = 256 + (size_t)NRECORDS * 96, o = 0;
	char *t = malloc(cap);
	cr_assert(t);
	o += (size_t)snprintf(t + o, cap - o,
			      "$ORIGIN example.com.\n$TTL 3600\n"
			      "@ SOA ns hostmaster %u 3600 600 86400 300\n@ NS ns\n"
			      "ns A 198.18.0.1\n",
			      v);
	for (unsigned i = 0; i < NRECORDS; i++) {
		if (v == 2 && i == 7)
			continue;
		o += (size_t)snprintf(t + o, cap - o, "t%u TXT \"record %u%s\"\n", i, i,
				      v == 2 && i == 8 ? " changed" :
							 " of a zone of many messages");
	}
	if (v == 2)
		o += (size_t)snprintf(t + o, cap - o, "n1 A 198.18.1.1\nn2 AAAA 2001:db8::2\n");
	write_file("example.com.zone", t);
	free(t);
}

static void zone_path(char *out, size_t cap)
{
	snprintf(out, cap, "%s/example.com.zone", dir);
}

static void spawn(const char *const argv[])
{
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char log[128];
		snprintf(log, sizeof(log), "%s/peer.log", dir);
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
}

static void mkdir_peer(const char *name)
{
	snprintf(dir, sizeof(dir), "/tmp/dpdns-xfr-%s-XXXXXX", name);
	cr_assert(mkdtemp(dir));
	port = free_port();
}

static void knotd_start(void)
{
	char conf[2048], path[128], sock[128];
	mkdir_peer("knotd");
	write_zone(1);
	snprintf(conf, sizeof(conf),
		 "server:\n  rundir: \"%s\"\n  listen: 127.0.0.1@%u\n"
		 "  tcp-workers: 1\n  udp-workers: 1\n  background-workers: 1\n"
		 "database:\n  storage: \"%s\"\n"
		 "key:\n  - id: xfr-key\n    algorithm: hmac-sha256\n    secret: %s\n"
		 "acl:\n  - id: xfr\n    key: xfr-key\n    action: transfer\n"
		 "template:\n  - id: default\n    storage: \"%s\"\n    zonefile-sync: -1\n"
		 "    zonefile-load: difference\n    journal-content: changes\n"
		 "zone:\n  - domain: example.com\n    file: example.com.zone\n    acl: xfr\n"
		 "log:\n  - target: stderr\n    any: info\n",
		 dir, port, dir, SECRET, dir);
	write_file("knot.conf", conf);
	snprintf(path, sizeof(path), "%s/knot.conf", dir);
	snprintf(sock, sizeof(sock), "%s/knot.sock", dir);
	const char *argv[] = { "/usr/sbin/knotd", "-c", path, "-s", sock, NULL };
	spawn(argv);
}

static void knotd_reload(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
		 "/usr/sbin/knotc -s %s/knot.sock zone-reload example.com >>%s/peer.log 2>&1", dir,
		 dir);
	cr_assert_eq(system(cmd), 0, "knotc zone-reload failed");
}

static void nsd_start(void)
{
	char conf[2048], path[128];
	mkdir_peer("nsd");
	write_zone(1);
	snprintf(conf, sizeof(conf),
		 "server:\n  ip-address: 127.0.0.1@%u\n  username: \"\"\n  chroot: \"\"\n"
		 "  zonesdir: \"%s\"\n  pidfile: \"%s/nsd.pid\"\n  xfrdfile: \"%s/xfrd.state\"\n"
		 "  zonelistfile: \"%s/zone.list\"\n  xfrdir: \"%s\"\n  database: \"\"\n"
		 "  server-count: 1\n  verbosity: 1\n"
		 "remote-control:\n  control-enable: yes\n  control-interface: %s/nsd.sock\n"
		 "key:\n  name: xfr-key\n  algorithm: hmac-sha256\n  secret: \"%s\"\n"
		 "zone:\n  name: example.com\n  zonefile: example.com.zone\n"
		 "  provide-xfr: 127.0.0.1 xfr-key\n  store-ixfr: yes\n  create-ixfr: yes\n",
		 port, dir, dir, dir, dir, dir, dir, SECRET);
	write_file("nsd.conf", conf);
	snprintf(path, sizeof(path), "%s/nsd.conf", dir);
	const char *argv[] = { "/usr/sbin/nsd", "-d", "-c", path, NULL };
	spawn(argv);
}

static void nsd_reload(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
		 "/usr/sbin/nsd-control -c %s/nsd.conf reload example.com >>%s/peer.log 2>&1", dir,
		 dir);
	cr_assert_eq(system(cmd), 0, "nsd-control reload failed");
}

static void named_start(void)
{
	char conf[2048], path[128];
	mkdir_peer("named");
	write_zone(1);
	snprintf(conf, sizeof(conf),
		 "options {\n  directory \"%s\";\n  pid-file \"%s/named.pid\";\n"
		 "  session-keyfile \"%s/session.key\";\n  managed-keys-directory \"%s\";\n"
		 "  listen-on port %u { 127.0.0.1; };\n  listen-on-v6 { none; };\n"
		 "  recursion no;\n  notify no;\n  dnssec-validation no;\n"
		 "  max-ixfr-ratio unlimited;\n};\n"
		 "controls { };\n"
		 "key \"xfr-key\" { algorithm hmac-sha256; secret \"%s\"; };\n"
		 "zone \"example.com\" {\n  type primary;\n  file \"%s/example.com.zone\";\n"
		 "  ixfr-from-differences yes;\n  allow-transfer { key xfr-key; };\n};\n",
		 dir, dir, dir, dir, port, SECRET, dir);
	write_file("named.conf", conf);
	snprintf(path, sizeof(path), "%s/named.conf", dir);
	const char *argv[] = { "/usr/sbin/named", "-g", "-n", "1", "-c", path, NULL };
	spawn(argv);
}

static void named_reload(void)
{
	cr_assert_eq(kill(pid, SIGHUP), 0);
}

/* --------------------------------------------------------------- driver */

struct run {
	struct xfr_uv_result res;
	unsigned calls;
};

static void on_done(void *arg, struct xfr_uv_result *res)
{
	struct run *r = arg;
	r->calls++;
	r->res = *res;
	res->zone = NULL; /* taken */
	res->changesets = NULL;
}

static void addr_of(struct sockaddr_storage *ss, uint16_t p)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(p);
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static void cancel_cb(uv_timer_t *t)
{
	xfr_uv_cancel(t->data);
	uv_close((uv_handle_t *)t, NULL);
}

/* Runs one refresh to completion; cancel_ms > 0 cancels it after that long. */
static bool skip_soa;

static void run_xfr(const struct xfr_remote *remotes, unsigned n, bool have_serial, uint32_t serial,
		    const struct xfr_uv_opts *opts, unsigned cancel_ms, struct run *out)
{
	uv_loop_t loop;
	uint8_t origin[DNS_NAME_MAXLEN];
	uv_timer_t t;
	tn(origin, "example.com");
	memset(out, 0, sizeof(*out));
	cr_assert_eq(uv_loop_init(&loop), 0);
	struct xfr_uv_request req = { .origin = origin,
				      .remotes = remotes,
				      .nremotes = n,
				      .have_serial = have_serial,
				      .serial = serial,
				      .skip_soa = skip_soa };
	if (opts)
		req.opts = *opts;
	struct xfr_uv *x = xfr_uv_start(&loop, &req, on_done, out);
	cr_assert(x);
	if (cancel_ms) {
		uv_timer_init(&loop, &t);
		t.data = x;
		uv_timer_start(&t, cancel_cb, cancel_ms, 0);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(out->calls, 1, "the callback runs exactly once");
	cr_assert_eq(uv_loop_close(&loop), 0, "handles left open");
}

static void run_free(struct run *r)
{
	zone_contents_free(r->res.zone);
	xfr_changeset_list_free(r->res.changesets);
	r->res.zone = NULL;
	r->res.changesets = NULL;
}

/* One remote: the peer at 127.0.0.1@port with key k. */
struct one {
	struct sockaddr_storage addr;
	struct xfr_remote r;
};

static void one_init(struct one *o, uint16_t p, const struct xfr_tsig_key *k, const char *id)
{
	addr_of(&o->addr, p);
	o->r = (struct xfr_remote){ .id = id, .addrs = &o->addr, .naddrs = 1, .key = k };
}

static const struct xfr_uv_opts quick = { .udp_tries = 2,
					  .read_timeout_ms = 500,
					  .connect_timeout_ms = 1000,
					  .idle_timeout_ms = 3000,
					  .total_timeout_ms = 15000 };

/* Waits until the peer serves serial (or UP_TIMEOUT_S): false if it never did. */
static bool wait_serial(const struct xfr_remote *r, uint32_t serial)
{
	struct run run;
	for (int i = 0; i < UP_TIMEOUT_S * 5; i++) {
		/* "up to date" when the primary's serial is not newer than ours */
		run_xfr(r, 1, true, serial, &quick, 0, &run);
		run_free(&run);
		if (run.res.rc == 0 && run.res.serial == serial)
			return true;
		usleep(200 * 1000);
	}
	return false;
}

/* ----------------------------------------------------------- comparisons */

static void assert_same_zone(const struct zone_contents *a, const struct zone_contents *b)
{
	cr_assert_eq(a->serial, b->serial);
	cr_assert_eq(a->record_count, b->record_count, "%zu records, expected %zu", a->record_count,
		     b->record_count);
	cr_assert_eq(a->node_count, b->node_count);
	cr_assert_eq(a->rrset_count, b->rrset_count);
	for (size_t i = 0; i < a->node_count; i++) {
		const struct zone_node *x = &a->nodes[i], *y = &b->nodes[i];
		cr_assert(dns_name_eq(x->owner, y->owner), "node %zu differs", i);
		cr_assert_eq(x->rrset_count, y->rrset_count);
		for (unsigned j = 0; j < x->rrset_count; j++) {
			const struct zone_rrset *p = &x->rrsets[j], *q = &y->rrsets[j];
			cr_assert_eq(p->type, q->type);
			cr_assert_eq(p->ttl, q->ttl);
			cr_assert_eq(p->count, q->count);
			cr_assert_eq(p->size, q->size);
			cr_assert_eq(memcmp(p->rdata, q->rdata, p->size), 0, "node %zu rrset %u", i,
				     j);
		}
	}
}

static bool has_rr(const struct xfr_rr *rrs, size_t n, const char *owner, uint16_t type,
		   const char *rdata_sub)
{
	uint8_t o[DNS_NAME_MAXLEN];
	tn(o, owner);
	for (size_t i = 0; i < n; i++) {
		if (!dns_name_eq(rrs[i].owner, o) || rrs[i].type != type)
			continue;
		if (!rdata_sub || memmem(rrs[i].rdata, rrs[i].rdlen, rdata_sub, strlen(rdata_sub)))
			return true;
	}
	return false;
}

/* ------------------------------------------------------------ scenario */

/*
 * The common scenario; reload makes the primary read its new zone file.
 * Returns with the peer still running (for more checks by the caller).
 */
static void scenario(const char *name, void (*reload)(void), const struct xfr_tsig_key *key,
		     const struct xfr_tsig_key *wrong)
{
	struct one o, bad;
	struct run run;
	char path[128];
	one_init(&o, port, key, name);
	one_init(&bad, port, wrong, name);

	if (!wait_serial(&o.r, 1))
		cr_skip_test("%s did not come up within %d s", name, UP_TIMEOUT_S);

	/* AXFR: the zone as the file has it */
	run_xfr(&o.r, 1, false, 0, &quick, 0, &run);
	cr_assert_eq(run.res.rc, 0, "%s AXFR: %s", name, run.res.reason);
	cr_assert_eq(run.res.kind, XFR_KIND_AXFR);
	cr_assert_eq(run.res.serial, 1);
	cr_assert(run.res.zone);
	cr_assert_gt(run.res.messages, 1, "%s sent the zone in one message", name);
	cr_log_info("%s AXFR: %zu records, %zu octets, %zu messages, %llu ms", name,
		    run.res.records, run.res.bytes, run.res.messages,
		    (unsigned long long)run.res.duration_ms);
	zone_path(path, sizeof(path));
	struct zone_contents *want = zone_load_file(path, "example.com", NULL);
	cr_assert(want);
	assert_same_zone(run.res.zone, want);
	cr_assert_eq(run.res.records, want->record_count + 1, "SOA twice on the wire");
	zone_contents_free(want);
	run_free(&run);

	/* nothing newer */
	run_xfr(&o.r, 1, true, 1, &quick, 0, &run);
	cr_assert_eq(run.res.rc, 0, "%s", run.res.reason);
	cr_assert_eq(run.res.kind, XFR_KIND_UPTODATE);
	cr_assert_null(run.res.zone);
	run_free(&run);

	/* wrong secret: an error and nothing built */
	run_xfr(&bad.r, 1, false, 0, &quick, 0, &run);
	cr_assert_lt(run.res.rc, 0);
	/* all three answer NOTAUTH with TSIG error BADSIG (RFC 8945 §5.2.2) */
	cr_assert_eq(run.res.rc, XFR_TSIG_EPEER, "%s: %s", name, run.res.reason);
	cr_assert_null(run.res.zone);
	cr_assert_null(run.res.changesets);
	cr_assert(strstr(run.res.reason, "127.0.0.1@"), "%s", run.res.reason);
	cr_log_info("%s, wrong secret: %s", name, run.res.reason);
	run_free(&run);
	/* the same on the transfer itself, without the SOA query */
	skip_soa = true;
	run_xfr(&bad.r, 1, false, 0, &quick, 0, &run);
	skip_soa = false;
	/* all three answer NOTAUTH with TSIG error BADSIG (RFC 8945 §5.2.2) */
	cr_assert_eq(run.res.rc, XFR_TSIG_EPEER, "%s: %s", name, run.res.reason);
	cr_assert(strstr(run.res.reason, "AXFR from"), "%s", run.res.reason);
	cr_assert_null(run.res.zone);
	cr_log_info("%s, wrong secret: %s", name, run.res.reason);
	run_free(&run);

	/* a change on the primary: IXFR with exactly that change */
	write_zone(2);
	reload();
	cr_assert(wait_serial(&o.r, 2), "%s did not load serial 2", name);
	run_xfr(&o.r, 1, true, 1, &quick, 0, &run);
	cr_assert_eq(run.res.rc, 0, "%s IXFR: %s", name, run.res.reason);
	cr_assert_eq(run.res.kind, XFR_KIND_IXFR, "%s answered %s", name,
		     xfr_kind_str(run.res.kind));
	cr_assert_str_empty(run.res.ixfr_fallback);
	cr_assert_eq(run.res.serial, 2);
	cr_assert_eq(run.res.nchangesets, 1);
	const struct xfr_changeset *cs = run.res.changesets;
	cr_assert_eq(cs->serial_from, 1);
	cr_assert_eq(cs->serial_to, 2);
	cr_assert_eq(cs->nremoved, 2, "%s removed %zu", name, cs->nremoved);
	cr_assert_eq(cs->nadded, 3, "%s added %zu", name, cs->nadded);
	cr_assert(has_rr(cs->removed, cs->nremoved, "t7.example.com", DNS_T_TXT, "record 7 of"));
	cr_assert(has_rr(cs->removed, cs->nremoved, "t8.example.com", DNS_T_TXT, "record 8 of"));
	cr_assert(has_rr(cs->added, cs->nadded, "t8.example.com", DNS_T_TXT, "record 8 changed"));
	cr_assert(has_rr(cs->added, cs->nadded, "n1.example.com", DNS_T_A, NULL));
	cr_assert(has_rr(cs->added, cs->nadded, "n2.example.com", DNS_T_AAAA, NULL));
	cr_log_info("%s IXFR: %zu records, %zu octets, %zu messages, %llu ms", name,
		    run.res.records, run.res.bytes, run.res.messages,
		    (unsigned long long)run.res.duration_ms);
	run_free(&run);

	/* and the new version in full, straight away */
	skip_soa = true;
	run_xfr(&o.r, 1, false, 0, &quick, 0, &run);
	skip_soa = false;
	cr_assert_eq(run.res.rc, 0, "%s", run.res.reason);
	want = zone_load_file(path, "example.com", NULL);
	assert_same_zone(run.res.zone, want);
	zone_contents_free(want);
	run_free(&run);
}

struct keys {
	struct xfr_tsig_key good, wrong;
};

static void keys_init(struct keys *k)
{
	cr_assert_eq(xfr_tsig_key_init(&k->good, "xfr-key", "hmac-sha256", SECRET), 0);
	cr_assert_eq(xfr_tsig_key_init(&k->wrong, "xfr-key", "hmac-sha256", WRONG), 0);
}

static void keys_deinit(struct keys *k)
{
	xfr_tsig_key_deinit(&k->good);
	xfr_tsig_key_deinit(&k->wrong);
}

Test(xfr_peer, knotd, .fini = peer_stop, .timeout = 60)
{
	if (!have_exe("/usr/sbin/knotd") || !have_exe("/usr/sbin/knotc"))
		cr_skip_test("knotd not installed");
	struct keys k;
	keys_init(&k);
	knotd_start();
	scenario("knotd", knotd_reload, &k.good, &k.wrong);

	/* IXFR from a serial the journal does not hold: AXFR-style reply */
	struct one o;
	struct run run;
	one_init(&o, port, &k.good, "knotd");
	run_xfr(&o.r, 1, true, 4000000000u, &quick, 0, &run);
	cr_assert_eq(run.res.rc, 0, "%s", run.res.reason);
	cr_assert_eq(run.res.kind, XFR_KIND_IXFR_AXFR, "%s", xfr_kind_str(run.res.kind));
	cr_assert(run.res.zone);
	cr_assert_eq(run.res.zone->serial, 2);
	run_free(&run);

	/*
	 * Failover: a primary whose first address refuses (nothing listens)
	 * and whose second never answers (a bound UDP socket that reads
	 * nothing), then the real one.
	 */
	struct sockaddr_storage addrs[2], real;
	uint16_t closed = free_port();
	hang_fd = socket(AF_INET, SOCK_DGRAM, 0);
	addr_of(&addrs[1], 0);
	cr_assert_eq(bind(hang_fd, (struct sockaddr *)&addrs[1], sizeof(struct sockaddr_in)), 0);
	socklen_t sl = sizeof(addrs[1]);
	cr_assert_eq(getsockname(hang_fd, (struct sockaddr *)&addrs[1], &sl), 0);
	addr_of(&addrs[0], closed);
	addr_of(&real, port);
	struct xfr_remote rs[2] = {
		{ .id = "dead", .addrs = addrs, .naddrs = 2, .key = &k.good },
		{ .id = "knotd", .addrs = &real, .naddrs = 1, .key = &k.good },
	};
	struct xfr_uv_opts fast = quick;
	fast.read_timeout_ms = 200;
	uint64_t t0 = uv_hrtime();
	run_xfr(rs, 2, false, 0, &fast, 0, &run);
	cr_assert_eq(run.res.rc, 0, "%s", run.res.reason);
	cr_assert_str_eq(run.res.remote_id, "knotd");
	cr_assert_eq(run.res.kind, XFR_KIND_AXFR);
	uint64_t ms = (uv_hrtime() - t0) / 1000000u;
	cr_assert_geq(ms, 2 * 200, "the silent address was given its two tries");
	run_free(&run);

	/* Only the dead ones: the last failure, with its address. */
	run_xfr(rs, 1, false, 0, &fast, 0, &run);
	cr_assert_eq(run.res.rc, DP_EXFR_TIMEOUT, "%s", run.res.reason);
	char want[64];
	xfr_uv_addr_str(&addrs[1], want, sizeof(want));
	cr_assert_str_eq(run.res.primary, want);
	cr_assert(strstr(run.res.reason, "SOA query (UDP) from dead"), "%s", run.res.reason);
	run_free(&run);

	/* Cancellation while waiting on the silent address. */
	run_xfr(&rs[0], 1, false, 0, &quick, 100, &run);
	cr_assert_eq(run.res.rc, DP_EXFR_CANCELED, "%s", run.res.reason);
	cr_assert_null(run.res.zone);
	run_free(&run);

	/* A record limit below the zone's size: error, nothing built. */
	struct xfr_uv_opts small = quick;
	small.limits.max_records = 100;
	run_xfr(&rs[1], 1, false, 0, &small, 0, &run);
	cr_assert_eq(run.res.rc, DP_EXFR_LIMIT, "%s", run.res.reason);
	cr_assert_null(run.res.zone);
	run_free(&run);
	keys_deinit(&k);
}

Test(xfr_peer, nsd, .fini = peer_stop, .timeout = 60)
{
	if (!have_exe("/usr/sbin/nsd") || !have_exe("/usr/sbin/nsd-control"))
		cr_skip_test("nsd not installed");
	struct keys k;
	keys_init(&k);
	nsd_start();
	scenario("nsd", nsd_reload, &k.good, &k.wrong);
	keys_deinit(&k);
}

Test(xfr_peer, named, .fini = peer_stop, .timeout = 60)
{
	if (!have_exe("/usr/sbin/named"))
		cr_skip_test("named not installed");
	struct keys k;
	keys_init(&k);
	named_start();
	scenario("named", named_reload, &k.good, &k.wrong);
	keys_deinit(&k);
}
