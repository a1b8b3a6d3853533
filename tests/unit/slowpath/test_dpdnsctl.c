/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tools/dpdnsctl against a control server (src/slowpath/control.h) that this
 * test runs on a real loop, with commands of its own: what dpdnsctl prints
 * and where, its exit status (0 OK, 1 ERR or no answer, 2 usage) and its
 * messages when the socket is absent, stale, silent or not a control
 * socket, and -c taking the socket from a configuration file.  The binary
 * comes from $DPDNSCTL (meson passes the one it built).
 */
#include "slowpath/control.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

#include "dns/errcode.h"
#include "slowpath/json.h"

#include "looptest.h"
#include "sptest.h"

extern char **environ;

static char dir[48];
static char path[100];

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof(dir), "/tmp/dpdns-ctl-cli.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dpdnsd.sock", dir);
}

static void rm_tmp(void)
{
	char p[160];
	unlink(path);
	snprintf(p, sizeof(p), "%s/dpdns.yaml", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/fake.sock", dir);
	unlink(p);
	rmdir(dir);
}

TestSuite(dpdnsctl, .init = mkdir_tmp, .fini = rm_tmp);

/* ---- the server's commands ---- */

static int cmd_status(void *ctx, struct sp_ctl_req *req)
{
	(void)ctx;
	if (!req->json) {
		sp_buf_puts(req->out, "uptime: 42 s\nlcores: 2\n");
		return 0;
	}
	struct sp_json j;
	sp_json_init(&j, req->out);
	sp_json_obj_begin(&j);
	sp_json_kuint(&j, "uptime", 42);
	sp_json_kuint(&j, "lcores", 2);
	sp_json_obj_end(&j);
	return sp_json_finish(&j);
}

static int cmd_zone_status(void *ctx, struct sp_ctl_req *req)
{
	(void)ctx;
	if (req->argc && strcmp(req->argv[0], "example.com.") != 0)
		return sp_ctl_fail(req, DP_ENOENT, "unknown zone '%s'", req->argv[0]);
	sp_buf_puts(req->out, "example.com. serial 2024010101\n");
	return 0;
}

static int cmd_big(void *ctx, struct sp_ctl_req *req)
{
	(void)ctx;
	size_t n = strtoul(req->argv[0], NULL, 10);
	for (size_t i = 0; i < n; i++)
		sp_buf_putc(req->out, (char)('a' + i % 26));
	return 0;
}

static int cmd_stop(void *ctx, struct sp_ctl_req *req)
{
	(void)req;
	sp_ctl_stop(ctx);
	return 0;
}

static void stop_ctl(void *srv)
{
	sp_ctl_stop(srv);
}

static void run(struct lt_env *e, void (*client)(struct lt_env *))
{
	struct sp_ctl_cfg cfg;
	sp_ctl_cfg_init(&cfg);
	cfg.path = path;
	lt_init(e);
	struct sp_ctl *s = sp_ctl_new(&e->loop, &cfg);
	cr_assert_not_null(s);
	cr_assert_eq(sp_ctl_register(s, "status", 0, 0, cmd_status, s, NULL, "status"), 0);
	cr_assert_eq(sp_ctl_register(s, "zone-status", 0, 1, cmd_zone_status, s, "[ZONE]", "z"), 0);
	cr_assert_eq(sp_ctl_register(s, "big", 1, 1, cmd_big, s, "N", "N octets"), 0);
	cr_assert_eq(sp_ctl_register(s, "stop", 0, 0, cmd_stop, s, NULL, "stop"), 0);
	cr_assert_eq(sp_ctl_start(s), 0);
	lt_run(e, s, stop_ctl, client);
	sp_ctl_free(s);
	lt_fini(e);
	sptest_leak_check();
}

/* ---- running dpdnsctl ---- */

struct ctl_run {
	int status; /* exit status, or -1 when it did not exit normally */
	char out[1 << 21];
	size_t out_len;
	char err[8192];
	size_t err_len;
};

static struct ctl_run ran;

struct child {
	pid_t pid;
	int out, err;
};

/* Starts dpdnsctl with args (NULL-terminated), its output going to pipes. */
static bool spawn_ctl(struct lt_env *e, const char *const *args, struct child *ch)
{
	const char *bin = getenv("DPDNSCTL");
	char *argv[32];
	int po[2], pe[2];
	unsigned n = 0;
	if (!bin) {
		lt_fail(e, "DPDNSCTL is not set (run through meson test)");
		return false;
	}
	argv[n++] = (char *)bin;
	for (; args[n - 1] && n < 31; n++)
		argv[n] = (char *)args[n - 1];
	argv[n] = NULL;
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		lt_fail(e, "pipe");
		return false;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	int rc = posix_spawn(&ch->pid, bin, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	if (rc != 0) {
		close(po[0]);
		close(pe[0]);
		lt_fail(e, "spawn %s: %s", bin, strerror(rc));
		return false;
	}
	ch->out = po[0];
	ch->err = pe[0];
	return true;
}

/* Collects the child's output and exit status (within 10 s, or it is killed). */
static bool collect(struct lt_env *e, struct child *ch, struct ctl_run *res)
{
	uint64_t deadline = lt_now_ms() + 10000;
	res->out_len = res->err_len = 0;
	res->status = -1;
	bool open_out = true, open_err = true;
	while ((open_out || open_err) && lt_now_ms() < deadline) {
		struct pollfd p[2] = { { .fd = open_out ? ch->out : -1, .events = POLLIN },
				       { .fd = open_err ? ch->err : -1, .events = POLLIN } };
		if (poll(p, 2, 100) < 0)
			break;
		if (p[0].revents) {
			ssize_t k = read(ch->out, res->out + res->out_len,
					 sizeof(res->out) - 1 - res->out_len);
			if (k <= 0)
				open_out = false;
			else
				res->out_len += (size_t)k;
		}
		if (p[1].revents) {
			ssize_t k = read(ch->err, res->err + res->err_len,
					 sizeof(res->err) - 1 - res->err_len);
			if (k <= 0)
				open_err = false;
			else
				res->err_len += (size_t)k;
		}
	}
	res->out[res->out_len] = '\0';
	res->err[res->err_len] = '\0';
	close(ch->out);
	close(ch->err);
	if (open_out || open_err)
		kill(ch->pid, SIGKILL);
	int ws;
	if (waitpid(ch->pid, &ws, 0) != ch->pid) {
		lt_fail(e, "waitpid");
		return false;
	}
	if (WIFEXITED(ws))
		res->status = WEXITSTATUS(ws);
	if (open_out || open_err) {
		lt_fail(e, "dpdnsctl did not finish within 10 s");
		return false;
	}
	return true;
}

static bool ctl(struct lt_env *e, const char *const *args, struct ctl_run *res)
{
	struct child ch;
	return spawn_ctl(e, args, &ch) && collect(e, &ch, res);
}

/* Runs dpdnsctl ARGS; its status, stdout and stderr must be as given (NULL: anything). */
static bool expect(struct lt_env *e, const char *const *args, int status, const char *out,
		   const char *err_part)
{
	if (!ctl(e, args, &ran))
		return false;
	if (ran.status != status || (out && strcmp(ran.out, out) != 0) ||
	    (err_part && !strstr(ran.err, err_part))) {
		lt_fail(e, "dpdnsctl %s %s: status %d, stdout '%s', stderr '%s'", args[0],
			args[1] ? args[1] : "", ran.status, ran.out, ran.err);
		return false;
	}
	return true;
}

#define A(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* ---- scenarios ---- */

static void client_commands(struct lt_env *e)
{
	if (!expect(e, A("-s", path, "status"), 0, "uptime: 42 s\nlcores: 2\n", NULL) ||
	    !expect(e, A("--socket", path, "--json", "status"), 0, "{\"uptime\":42,\"lcores\":2}\n",
		    NULL) ||
	    !expect(e, A("-s", path, "-j", "status"), 0, "{\"uptime\":42,\"lcores\":2}\n", NULL) ||
	    !expect(e, A("-s", path, "zone-status", "example.com."), 0,
		    "example.com. serial 2024010101\n", NULL) ||
	    !expect(e, A("-s", path, "zone-status", "nosuch."), 1, "",
		    "error: unknown zone 'nosuch.'\n") ||
	    !expect(e, A("-s", path, "--json", "zone-status", "nosuch."), 1,
		    "{\"error\":\"unknown zone 'nosuch.'\"}\n", NULL) ||
	    !expect(e, A("-s", path, "zone-status", "a", "b"), 1, "",
		    "error: zone-status takes 0 to 1 arguments, got 2") ||
	    !expect(e, A("-s", path, "frobnicate"), 1, "",
		    "error: unknown command 'frobnicate' (try 'help')\n") ||
	    !expect(e, A("-s", path, "help"), 0, NULL, NULL))
		return;
	if (!strstr(ran.out, "  zone-status [ZONE]")) {
		lt_fail(e, "help: '%s'", ran.out);
		return;
	}
	/* A large answer arrives whole. */
	if (!expect(e, A("-s", path, "big", "1500000"), 0, NULL, NULL))
		return;
	if (ran.out_len != 1500001 || ran.out[0] != 'a' || ran.out[1499999] != 'a' + 1499999 % 26 ||
	    ran.out[1500000] != '\n')
		lt_fail(e, "big: %zu octets", ran.out_len);
	/* -t is accepted; "--" ends the options. */
	(void)expect(e, A("-t", "5", "-s", path, "--", "status"), 0, "uptime: 42 s\nlcores: 2\n",
		     NULL);
}

Test(dpdnsctl, commands_and_exit_status)
{
	struct lt_env e;
	run(&e, client_commands);
}

/* The configuration names the socket: explicitly, or by default in rundir. */
static void client_config(struct lt_env *e)
{
	char conf[160];
	snprintf(conf, sizeof(conf), "%s/dpdns.yaml", dir);
	FILE *f = fopen(conf, "w");
	if (!f) {
		lt_fail(e, "fopen");
		return;
	}
	fprintf(f,
		"server:\n  rundir: %s\n"
		"dataplane:\n  eal: \"-l 0\"\n  interfaces:\n"
		"    - port: p0\n      address: 198.18.0.2/24\n",
		dir);
	fclose(f);
	if (!expect(e, A("-c", conf, "status"), 0, "uptime: 42 s\nlcores: 2\n", NULL))
		return;
	f = fopen(conf, "a");
	fprintf(f, "control:\n  listen: other.sock\n");
	fclose(f);
	char want[256];
	snprintf(want, sizeof(want), "cannot connect to %s/other.sock: no such socket", dir);
	if (!expect(e, A("--config", conf, "status"), 1, "", want))
		return;
	/* A broken configuration: its error, status 1. */
	f = fopen(conf, "a");
	fprintf(f, "bogus: 1\n");
	fclose(f);
	snprintf(want, sizeof(want), "dpdnsctl: %s:10: bogus: unknown key", conf);
	(void)expect(e, A("-c", conf, "status"), 1, "", want);
}

Test(dpdnsctl, socket_from_the_configuration)
{
	struct lt_env e;
	run(&e, client_config);
}

static void client_stop(struct lt_env *e)
{
	/* The server stops while answering: no answer, status 1. */
	(void)expect(e, A("-s", path, "stop"), 1, "",
		     "dpdnsctl: the connection closed without an answer\n");
}

Test(dpdnsctl, server_gone_mid_request)
{
	struct lt_env e;
	run(&e, client_stop);
}

/* ---- without a control server ---- */

static void noop_stop(void *srv)
{
	(void)srv;
}

/* Runs client on a loop with nothing on it but the harness. */
static void run_bare(void (*client)(struct lt_env *))
{
	struct lt_env e;
	lt_init(&e);
	lt_run(&e, NULL, noop_stop, client);
	lt_fini(&e);
}

static void client_usage(struct lt_env *e)
{
	if (!expect(e, A("-h"), 0, NULL, NULL))
		return;
	if (!strstr(ran.out, "usage: dpdnsctl [-s SOCKET | -c CONFIG]") ||
	    !strstr(ran.out, "zone-retransfer ZONE")) {
		lt_fail(e, "-h: '%s'", ran.out);
		return;
	}
	const struct {
		const char *const *args;
		const char *msg;
	} cases[] = {
		{ (const char *const[]){ NULL }, "dpdnsctl: no command" },
		{ A("-s", "/x"), "dpdnsctl: no command" },
		{ A("-s", "/a", "-c", "/b", "status"), "-s and -c are exclusive" },
		{ A("-x", "status"), "unknown option -x" },
		{ A("--bogus", "status"), "unknown option --bogus" },
		{ A("-s"), "option -s needs an argument" },
		{ A("-t", "0", "status"), "bad timeout '0'" },
		{ A("-t", "abc", "status"), "bad timeout 'abc'" },
		{ A("-t", "86401", "status"), "bad timeout" },
		{ A("zone-status", "a b"), "'a b' cannot be sent" },
		{ A("zone-status", ""), "'' cannot be sent" },
		{ A("st\tatus"), "cannot be sent" },
		{ A("zone-show", "\xc3\xa9"), "cannot be sent" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!ctl(e, cases[i].args, &ran))
			return;
		if (ran.status != 2 || !strstr(ran.err, cases[i].msg) || ran.out_len) {
			lt_fail(e, "case %zu: status %d, stderr '%s'", i, ran.status, ran.err);
			return;
		}
	}
	/* A request longer than a line can be. */
	static char longw[5000];
	memset(longw, 'z', sizeof(longw) - 1);
	(void)expect(e, A("zone-show", longw), 2, "", "the request is too long");
}

Test(dpdnsctl, usage_errors)
{
	run_bare(client_usage);
}

static void client_no_server(struct lt_env *e)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/none.sock", dir);
	if (!expect(e, A("-s", p, "status"), 1, "", "no such socket (is dpdnsd running?"))
		return;
	/* A stale socket: nothing listens. */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		lt_fail(e, "bind: errno %d", errno);
		return;
	}
	close(fd);
	if (!expect(e, A("-s", path, "status"), 1, "", "connection refused (nothing listens"))
		return;
	unlink(path);
	/* A regular file. */
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	close(fd);
	if (!expect(e, A("-s", path, "status"), 1, "", "connection refused"))
		return;
	unlink(path);
	/* A path too long for a socket. */
	char longp[200];
	memset(longp, 'p', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	(void)expect(e, A("-s", longp, "status"), 1, "", "socket path too long");
}

Test(dpdnsctl, no_server)
{
	run_bare(client_no_server);
}

/*
 * A listener that is not a control server: it takes the request and then
 * answers what reply says (NULL: nothing, until dpdnsctl gives up).
 */
static bool fake_server(struct lt_env *e, const char *reply, const char *const *args,
			struct ctl_run *res)
{
	char p[64];
	snprintf(p, sizeof(p), "%s/fake.sock", dir);
	unlink(p);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0) {
		lt_fail(e, "fake listener: errno %d", errno);
		return false;
	}
	const char *full[16] = { "-s", p };
	for (unsigned i = 0; args[i] && i < 13; i++)
		full[2 + i] = args[i];
	struct child ch;
	if (!spawn_ctl(e, full, &ch)) {
		close(lfd);
		return false;
	}
	struct pollfd pl = { .fd = lfd, .events = POLLIN };
	int cfd = poll(&pl, 1, 5000) == 1 ? accept(lfd, NULL, NULL) : -1;
	char req[128] = { 0 };
	if (cfd >= 0) {
		lt_timeouts(cfd, 3000);
		ssize_t k = recv(cfd, req, sizeof(req) - 1, 0);
		(void)k;
		if (reply) {
			(void)lt_send(cfd, reply, strlen(reply));
			close(cfd); /* EOF after the reply */
			cfd = -1;
		}
	}
	bool ok = collect(e, &ch, res); /* with no reply, dpdnsctl times out (cfd open) */
	if (cfd >= 0)
		close(cfd);
	close(lfd);
	unlink(p);
	bool json = false;
	for (unsigned i = 0; args[i]; i++)
		json |= !strcmp(args[i], "--json");
	if (ok && strcmp(req, json ? "--json status\n" : "status\n") != 0) {
		lt_fail(e, "request '%s'", req);
		return false;
	}
	return ok;
}

static bool fake_expect(struct lt_env *e, const char *reply, const char *const *args, int status,
			const char *out, const char *err_part)
{
	if (!fake_server(e, reply, args, &ran))
		return false;
	if (ran.status != status || strcmp(ran.out, out) != 0 || !strstr(ran.err, err_part)) {
		lt_fail(e, "reply '%s': status %d, stdout '%s', stderr '%s'", reply ? reply : "",
			ran.status, ran.out, ran.err);
		return false;
	}
	return true;
}

static void client_fake(struct lt_env *e)
{
	uint64_t t0 = lt_now_ms();
	if (!fake_expect(e, NULL, A("-t", "1", "status"), 1, "", "no answer within 1 s"))
		return;
	uint64_t dt = lt_now_ms() - t0;
	if (dt < 900 || dt > 5000) {
		lt_fail(e, "timeout after %llu ms", (unsigned long long)dt);
		return;
	}
	if (!fake_expect(e, "SSH-2.0-OpenSSH_9.2\r\n", A("status"), 1, "",
			 "not a dpdnsd control socket") ||
	    !fake_expect(e, "OK\n", A("status"), 1, "", "not a dpdnsd control socket") ||
	    !fake_expect(e, "OK 12x\n", A("status"), 1, "", "not a dpdnsd control socket") ||
	    !fake_expect(e, "OK 99999999999999999999\n", A("status"), 1, "",
			 "not a dpdnsd control socket") ||
	    !fake_expect(e, "OK 10\nshort", A("status"), 1, "short",
			 "closed in the middle of the answer") ||
	    !fake_expect(e, "OK", A("status"), 1, "", "closed in the middle of the answer") ||
	    !fake_expect(e, "ERR 4\nbad\n", A("status"), 1, "", "error: bad\n") ||
	    !fake_expect(e, "ERR 4\nbad\n", A("--json", "status"), 1, "bad\n", "") ||
	    !fake_expect(e, "OK 0\n", A("status"), 0, "", "") ||
	    !fake_expect(e, "OK 3\nabcEXTRA", A("status"), 0, "abc", ""))
		return;
}

Test(dpdnsctl, broken_or_silent_servers)
{
	run_bare(client_fake);
}
