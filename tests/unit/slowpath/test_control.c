/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket (src/slowpath/control.h) on a real libuv loop and a
 * real UNIX socket in a fresh temporary directory: commands, text and JSON,
 * every error class, the framing (byte-exact, whatever the body holds),
 * many requests per connection, overlong lines and binary input, idle
 * timeout, connection limit, stop from a handler, and the socket file:
 * mode 0660 whatever the umask, a stale socket replaced, a live one not
 * stolen, a file that is not a socket left alone.  Deferred replies: answered
 * later (OK and ERR, text and JSON) with the requests behind them waiting in
 * order, a client gone before the reply, a client that only shut down its
 * sending side still answered, no idle timeout while a reply is pending, a
 * server stopped with a reply pending.  The request layer is also tested
 * without I/O (sp_ctl_execute).  Every loop closes cleanly and, under ASan,
 * nothing leaks.
 */
#include "slowpath/control.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <criterion/criterion.h>

#include "dns/errcode.h"
#include "slowpath/json.h"

#include "looptest.h"
#include "sptest.h"

/* ------------------------------------------------------------ fixture */

static char dir[48];
static char path[100];

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof(dir), "/tmp/dpdns-ctl-test.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dpdnsd.sock", dir);
}

static void rm_tmp(void)
{
	unlink(path);
	rmdir(dir);
}

TestSuite(control, .init = mkdir_tmp, .fini = rm_tmp);

/* ---- commands the tests register ---- */

struct host {
	unsigned calls;
	struct sp_ctl *ctl;
	struct sp_ctl_pending *pending; /* deferred by "later", completed by "finish" */
	unsigned cancelled;		/* pending replies the server cancelled */
};

/* echo ARGS...: the arguments back, space-separated, or {"args":[...]} */
static int cmd_echo(void *ctx, struct sp_ctl_req *req)
{
	struct host *h = ctx;
	h->calls++;
	if (!req->json) {
		for (unsigned i = 0; i < req->argc; i++)
			sp_buf_printf(req->out, "%s%s", i ? " " : "", req->argv[i]);
		sp_buf_putc(req->out, '\n');
		return 0;
	}
	struct sp_json j;
	sp_json_init(&j, req->out);
	sp_json_obj_begin(&j);
	sp_json_kstr(&j, "cmd", req->cmd);
	sp_json_key(&j, "args");
	sp_json_arr_begin(&j);
	for (unsigned i = 0; i < req->argc; i++)
		sp_json_str(&j, req->argv[i]);
	sp_json_arr_end(&j);
	sp_json_obj_end(&j);
	return sp_json_finish(&j);
}

/* fail [ZONE]: an error with a message, or without one */
static int cmd_fail(void *ctx, struct sp_ctl_req *req)
{
	(void)ctx;
	sp_buf_puts(req->out, "discarded");
	if (req->argc)
		return sp_ctl_fail(req, DP_ENOENT, "no zone '%s'", req->argv[0]);
	return DP_EIO;
}

/* big N: N octets that look like frames, NULs and newlines included, no final newline */
static void big_body(char *b, size_t n)
{
	static const char pat[] = "OK 5\nERR 3\n.\n\0\r\n";
	for (size_t i = 0; i < n; i++)
		b[i] = pat[i % (sizeof(pat) - 1)];
	if (n && b[n - 1] == '\n')
		b[n - 1] = 'x';
}

static int cmd_big(void *ctx, struct sp_ctl_req *req)
{
	(void)ctx;
	size_t n = strtoul(req->argv[0], NULL, 10);
	char *b = malloc(n ? n : 1);
	if (!b)
		return DP_ENOMEM;
	big_body(b, n);
	sp_buf_add(req->out, b, n);
	free(b);
	return 0;
}

static int cmd_stop(void *ctx, struct sp_ctl_req *req)
{
	struct host *h = ctx;
	(void)req;
	sp_ctl_stop(h->ctl);
	return 0;
}

/* A handler that misuses the JSON writer and returns its verdict. */
static int cmd_badjson(void *ctx, struct sp_ctl_req *req)
{
	(void)ctx;
	struct sp_json j;
	sp_json_init(&j, req->out);
	sp_json_obj_begin(&j);
	sp_json_int(&j, 1);
	return sp_json_finish(&j);
}

static int cmd_positive(void *ctx, struct sp_ctl_req *req)
{
	(void)ctx;
	(void)req;
	return 7;
}

static void later_cancelled(void *ctx, struct sp_ctl_pending *p)
{
	struct host *h = ctx;
	if (p == h->pending)
		h->pending = NULL;
	h->cancelled++;
}

/* later [now]: the reply comes with "finish" (or at once with "now": the handle is dropped) */
static int cmd_later(void *ctx, struct sp_ctl_req *req)
{
	struct host *h = ctx;
	if (h->pending)
		return sp_ctl_fail(req, DP_EEXIST, "one later at a time");
	struct sp_ctl_pending *p = sp_ctl_defer(req, later_cancelled, h);
	if (!p)
		return sp_ctl_fail(req, DP_EINVAL, "cannot defer");
	if (req->argc) {
		sp_buf_puts(req->out, "answered at once\n");
		return 0;
	}
	h->pending = p;
	return SP_CTL_DEFERRED;
}

/* finish ok|err: completes the pending "later" from this request's handler */
static int cmd_finish(void *ctx, struct sp_ctl_req *req)
{
	struct host *h = ctx;
	struct sp_ctl_pending *p = h->pending;
	if (!p)
		return sp_ctl_fail(req, DP_ENOENT, "nothing pending");
	h->pending = NULL;
	struct sp_ctl_req *pr = sp_ctl_pending_req(p);
	int rc = 0;
	if (strcmp(req->argv[0], "ok") != 0) {
		sp_buf_puts(pr->out, "discarded");
		rc = sp_ctl_fail(pr, DP_EIO, "%s failed late", pr->cmd);
	} else if (pr->json) {
		struct sp_json j;
		sp_json_init(&j, pr->out);
		sp_json_obj_begin(&j);
		sp_json_kstr(&j, "done", pr->cmd);
		sp_json_obj_end(&j);
		rc = sp_json_finish(&j);
	} else {
		sp_buf_printf(pr->out, "%s done (argc %u)\n", pr->cmd, pr->argc);
	}
	sp_ctl_reply_done(p, rc);
	sp_buf_puts(req->out, "finished\n");
	return 0;
}

/* count: the server's connection and pending counters */
static int cmd_count(void *ctx, struct sp_ctl_req *req)
{
	struct host *h = ctx;
	struct sp_ctl_stats st;
	sp_ctl_stats(h->ctl, &st);
	sp_buf_printf(req->out, "active %u pending %u dropped %llu\n", st.active, st.pending,
		      (unsigned long long)st.dropped);
	return 0;
}

/* liar: returns SP_CTL_DEFERRED without deferring */
static int cmd_liar(void *ctx, struct sp_ctl_req *req)
{
	(void)ctx;
	(void)req;
	return SP_CTL_DEFERRED;
}

static struct host host;

static void register_all(struct sp_ctl *s)
{
	memset(&host, 0, sizeof(host));
	host.ctl = s;
	cr_assert_eq(sp_ctl_register(s, "echo", 0, SP_CTL_ARGS_MAX, cmd_echo, &host, "[WORD...]",
				     "the words back"),
		     0);
	cr_assert_eq(sp_ctl_register(s, "exact", 2, 2, cmd_echo, &host, "A B", "two words"), 0);
	cr_assert_eq(sp_ctl_register(s, "range", 1, 3, cmd_echo, &host, "A [B [C]]", "1..3"), 0);
	cr_assert_eq(sp_ctl_register(s, "none", 0, 0, cmd_echo, &host, NULL, "no words"), 0);
	cr_assert_eq(sp_ctl_register(s, "fail", 0, 1, cmd_fail, &host, "[ZONE]", "fails"), 0);
	cr_assert_eq(sp_ctl_register(s, "big", 1, 1, cmd_big, &host, "N", "N octets"), 0);
	cr_assert_eq(sp_ctl_register(s, "stop", 0, 0, cmd_stop, &host, "", "stops"), 0);
	cr_assert_eq(sp_ctl_register(s, "badjson", 0, 0, cmd_badjson, &host, "", "bug"), 0);
	cr_assert_eq(sp_ctl_register(s, "positive", 0, 0, cmd_positive, &host, "", "bug"), 0);
	cr_assert_eq(sp_ctl_register(s, "later", 0, 1, cmd_later, &host, "[now]", "defers"), 0);
	cr_assert_eq(sp_ctl_register(s, "finish", 1, 1, cmd_finish, &host, "ok|err", "ends"), 0);
	cr_assert_eq(sp_ctl_register(s, "count", 0, 0, cmd_count, &host, "", "counters"), 0);
	cr_assert_eq(sp_ctl_register(s, "liar", 0, 0, cmd_liar, &host, "", "bug"), 0);
}

static void stop_ctl(void *srv)
{
	sp_ctl_stop(srv);
}

struct run_out {
	struct sp_ctl_stats st;
};

/* Runs client against a control server on path with cfg (NULL: defaults). */
static void run(struct lt_env *e, struct sp_ctl_cfg *cfg, void (*client)(struct lt_env *),
		struct sp_ctl_stats *st)
{
	struct sp_ctl_cfg def;
	if (!cfg) {
		sp_ctl_cfg_init(&def);
		cfg = &def;
	}
	cfg->path = path;
	lt_init(e);
	struct sp_ctl *s = sp_ctl_new(&e->loop, cfg);
	cr_assert_not_null(s);
	register_all(s);
	int rc = sp_ctl_start(s);
	cr_assert_eq(rc, 0, "start: %s", dp_strerror(rc));
	lt_run(e, s, stop_ctl, client);
	sp_ctl_stats(s, st);
	sp_ctl_free(s);
	lt_fini(e);
	cr_assert_eq(st->active, 0);
	struct stat sb;
	cr_assert_eq(lstat(path, &sb), -1, "the socket file is removed at stop");
	sptest_leak_check();
}

/* ---- client side ---- */

static int cli_connect(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	lt_timeouts(fd, LT_CLIENT_TIMEOUT_MS);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct resp {
	bool ok;
	size_t len;
	char body[1 << 18];
};

static struct resp r;

/* Reads one response: the header line octet by octet, then exactly the body. */
static bool cli_response(struct lt_env *e, int fd, struct resp *out)
{
	char hdr[40];
	size_t n = 0;
	for (;;) {
		if (n == sizeof(hdr) - 1 || !lt_recv(fd, hdr + n, 1)) {
			lt_fail(e, "no response header (got %zu octets, errno %d)", n, errno);
			return false;
		}
		if (hdr[n++] == '\n')
			break;
	}
	hdr[n] = '\0';
	unsigned long len;
	char tail;
	if (sscanf(hdr, "OK %lu%c", &len, &tail) == 2 && tail == '\n') {
		out->ok = true;
	} else if (sscanf(hdr, "ERR %lu%c", &len, &tail) == 2 && tail == '\n') {
		out->ok = false;
	} else {
		lt_fail(e, "bad response header '%s'", hdr);
		return false;
	}
	if (len >= sizeof(out->body) || !lt_recv(fd, out->body, len)) {
		lt_fail(e, "body of %lu octets not received", len);
		return false;
	}
	out->body[len] = '\0';
	out->len = len;
	return true;
}

/* Sends text, reads a response, checks OK/ERR and the body (exact when exact, else a part). */
static bool ask(struct lt_env *e, int fd, const char *text, bool ok, const char *body, bool exact)
{
	if (!lt_send(fd, text, strlen(text))) {
		lt_fail(e, "send '%s': errno %d", text, errno);
		return false;
	}
	if (!cli_response(e, fd, &r))
		return false;
	if (r.ok != ok) {
		lt_fail(e, "'%s': got %s '%s'", text, r.ok ? "OK" : "ERR", r.body);
		return false;
	}
	if (exact ? strcmp(r.body, body) != 0 : strstr(r.body, body) == NULL) {
		lt_fail(e, "'%s': body '%s', want %s'%s'", text, r.body, exact ? "" : "a part ",
			body);
		return false;
	}
	return true;
}

/* ---- scenarios ---- */

static void client_basic(struct lt_env *e)
{
	int fd = cli_connect();
	LT_CK(fd >= 0, "connect: errno %d", errno);
	if (!ask(e, fd, "echo a b c\n", true, "a b c\n", true) ||
	    !ask(e, fd, "echo\n", true, "\n", true) ||
	    !ask(e, fd, "  echo \t spaced\t \n", true, "spaced\n", true) ||
	    !ask(e, fd, "echo crlf\r\n", true, "crlf\n", true) ||
	    !ask(e, fd, "--json echo a \"b\\c\n", true,
		 "{\"cmd\":\"echo\",\"args\":[\"a\",\"\\\"b\\\\c\"]}\n", true) ||
	    !ask(e, fd, "exact 1 2\n", true, "1 2\n", true) ||
	    !ask(e, fd, "range 1\n", true, "1\n", true) ||
	    !ask(e, fd, "range 1 2 3\n", true, "1 2 3\n", true) ||
	    !ask(e, fd, "none\n", true, "\n", true))
		goto out;
	/* The exact octets of one exchange. */
	LT_CK(lt_send(fd, "echo xyz\n", 9), "send");
	char raw[12];
	LT_CK(lt_recv(fd, raw, 9), "recv");
	LT_CK(memcmp(raw, "OK 4\nxyz\n", 9) == 0, "raw response '%.9s'", raw);
out:
	if (fd >= 0)
		close(fd);
}

Test(control, commands_text_and_json)
{
	struct lt_env e;
	struct sp_ctl_stats st;
	run(&e, NULL, client_basic, &st);
	cr_assert_eq(st.accepted, 1);
	cr_assert_eq(st.requests, 10);
	cr_assert_eq(st.errors, 0);
	cr_assert_eq(host.calls, 10);
}

static void client_help(struct lt_env *e)
{
	int fd = cli_connect();
	LT_CK(fd >= 0, "connect");
	if (!ask(e, fd, "help\n", true, "commands (\"help COMMAND\" for one):\n", false) ||
	    !ask(e, fd, "help\n", true, "  help [COMMAND]", false) ||
	    !ask(e, fd, "help\n", true, "  exact A B", false) ||
	    !ask(e, fd, "help\n", true, "the words back\n", false) ||
	    !ask(e, fd, "help exact\n", true, "usage: exact A B\ntwo words\n", true) ||
	    !ask(e, fd, "help none\n", true, "usage: none\nno words\n", true) ||
	    !ask(e, fd, "help nope\n", false, "unknown command 'nope'\n", true) ||
	    !ask(e, fd, "--json help exact\n", true,
		 "{\"name\":\"exact\",\"args\":\"A B\",\"min_args\":2,\"max_args\":2,"
		 "\"help\":\"two words\"}\n",
		 true) ||
	    !ask(e, fd, "--json help\n", true,
		 "{\"commands\":[{\"name\":\"help\",\"args\":\"[COMMAND]\",\"min_args\":0,"
		 "\"max_args\":1,\"help\":\"list the commands, or describe one\"},",
		 false) ||
	    !ask(e, fd, "--json help nope\n", false, "{\"error\":\"unknown command 'nope'\"}\n",
		 true))
		goto out;
out:
	if (fd >= 0)
		close(fd);
}

Test(control, help)
{
	struct lt_env e;
	struct sp_ctl_stats st;
	run(&e, NULL, client_help, &st);
	cr_assert_eq(st.errors, 2);
}

static void client_errors(struct lt_env *e)
{
	int fd = cli_connect();
	LT_CK(fd >= 0, "connect");
	char many[256] = "echo";
	for (int i = 0; i < (int)SP_CTL_ARGS_MAX + 2; i++)
		strcat(many, " w");
	strcat(many, "\n");
	if (!ask(e, fd, "\n", false, "empty request (try 'help')\n", true) ||
	    !ask(e, fd, " \t \r\n", false, "empty request (try 'help')\n", true) ||
	    !ask(e, fd, "--json\n", false, "{\"error\":\"no command after --json\"}\n", true) ||
	    !ask(e, fd, "-x echo\n", false,
		 "unknown option '-x' (the only request option is --json)\n", true) ||
	    !ask(e, fd, "--json --json echo\n", false, "unknown option '--json'", false) ||
	    !ask(e, fd, "nosuch a\n", false, "unknown command 'nosuch' (try 'help')\n", true) ||
	    !ask(e, fd, "ECHO\n", false, "unknown command 'ECHO'", false) ||
	    !ask(e, fd, "--json nosuch\n", false,
		 "{\"error\":\"unknown command 'nosuch' (try 'help')\"}\n", true) ||
	    !ask(e, fd, "exact 1\n", false, "exact takes 2 arguments, got 1 (usage: exact A B)\n",
		 true) ||
	    !ask(e, fd, "exact 1 2 3\n", false, "exact takes 2 arguments, got 3", false) ||
	    !ask(e, fd, "range\n", false,
		 "range takes 1 to 3 arguments, got 0 (usage: range A [B [C]])\n", true) ||
	    !ask(e, fd, "none x\n", false, "none takes no arguments, got 1 (usage: none)\n",
		 true) ||
	    !ask(e, fd, many, false, "too many arguments (at most 16)\n", true) ||
	    !ask(e, fd, "fail example.com.\n", false, "no zone 'example.com.'\n", true) ||
	    !ask(e, fd, "fail\n", false, "Input/output error\n", true) ||
	    !ask(e, fd, "--json fail x\n", false, "{\"error\":\"no zone 'x'\"}\n", true) ||
	    !ask(e, fd, "--json badjson\n", false, "Invalid argument\"}\n", false) ||
	    !ask(e, fd, "positive\n", false, "internal error: positive returned 7\n", true))
		goto out;
	/* A long unknown word is quoted shortened. */
	char longw[300];
	memset(longw, 'z', 200);
	strcpy(longw + 200, "\n");
	if (!ask(e, fd, longw, false,
		 "'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...'", false))
		goto out;
	/* After all that, the connection still works. */
	if (!ask(e, fd, "echo still here\n", true, "still here\n", true))
		goto out;
out:
	if (fd >= 0)
		close(fd);
}

Test(control, errors_keep_the_connection)
{
	struct lt_env e;
	struct sp_ctl_stats st;
	run(&e, NULL, client_errors, &st);
	cr_assert_eq(st.accepted, 1);
	cr_assert_eq(st.requests, 20);
	cr_assert_eq(st.errors, 19);
	cr_assert_eq(st.closed_binary + st.closed_overlong + st.closed_idle, 0);
}

enum {
	MANY = 2000
};

static void client_many(struct lt_env *e)
{
	static char reqs[MANY * 20];
	size_t n = 0;
	int fd = cli_connect();
	LT_CK(fd >= 0, "connect");
	for (int i = 0; i < MANY; i++)
		n += (size_t)sprintf(reqs + n, "%secho %d\n", i % 3 ? "" : "--json ", i);
	/* All at once: the server answers them one by one, in order. */
	LT_CK(lt_send(fd, reqs, n), "send");
	for (int i = 0; i < MANY; i++) {
		char want[64];
		if (i % 3)
			snprintf(want, sizeof(want), "%d\n", i);
		else
			snprintf(want, sizeof(want), "{\"cmd\":\"echo\",\"args\":[\"%d\"]}\n", i);
		if (!cli_response(e, fd, &r))
			goto out;
		LT_CK(r.ok && !strcmp(r.body, want), "response %d: '%s'", i, r.body);
	}
	/* Half-close: every request answered, the server closes. */
	shutdown(fd, SHUT_WR);
	LT_CK(lt_closed(fd), "not closed after EOF");
out:
	if (fd >= 0)
		close(fd);
}

Test(control, many_requests_on_one_connection)
{
	struct lt_env e;
	struct sp_ctl_stats st;
	run(&e, NULL, client_many, &st);
	cr_assert_eq(st.requests, MANY);
	cr_assert_eq(st.errors, 0);
}

static void client_split(struct lt_env *e)
{
	static const char text[] = "echo one\r\necho two\nhelp exact\n";
	int fd = cli_connect();
	LT_CK(fd >= 0, "connect");
	for (size_t i = 0; i < sizeof(text) - 1; i++) {
		LT_CK(lt_send(fd, text + i, 1), "send");
		lt_sleep_ms(1);
	}
	LT_CK(cli_response(e, fd, &r) && r.ok && !strcmp(r.body, "one\n"), "1: %s", r.body);
	LT_CK(cli_response(e, fd, &r) && r.ok && !strcmp(r.body, "two\n"), "2: %s", r.body);
	LT_CK(cli_response(e, fd, &r) && r.ok && strstr(r.body, "usage: exact"), "3: %s", r.body);
	/* A last request without its newline, then EOF: answered, then closed. */
	LT_CK(lt_send(fd, "echo last", 9), "send");
	shutdown(fd, SHUT_WR);
	LT_CK(cli_response(e, fd, &r) && r.ok && !strcmp(r.body, "last\n"), "4: %s", r.body);
	LT_CK(lt_closed(fd), "not closed after EOF");
out:
	if (fd >= 0)
		close(fd);
}

Test(control, requests_split_in_single_octets)
{
	struct lt_env e;
	struct sp_ctl_stats st;
	run(&e, NULL, client_split, &st);
	cr_assert_eq(st.requests, 4);
}

static void client_line_limit(struct lt_env *e)
{
	static char line[SP_CTL_LINE_MAX + 100];
	int fd = cli_connect();
	LT_CK(fd >= 0, "connect");
	/* The longest line: SP_CTL_LINE_MAX octets with its newline. */
	size_t n = SP_CTL_LINE_MAX - 1;
	memcpy(line, "echo ", 5);
	memset(line + 5, 'a', n - 5);
	line[n] = '\n';
	LT_CK(lt_send(fd, line, n + 1), "send");
	LT_CK(cli_response(e, fd, &r) && r.ok && r.len == n - 5 + 1, "longest line: %zu", r.len);
	/* One more octet: ERR, then the server closes. */
	memset(line + 5, 'a', n + 1 - 5);
	line[n + 1] = '\n';
	LT_CK(lt_send(fd, line, n + 2), "send");
	LT_CK(cli_response(e, fd, &r) && !r.ok, "overlong line not refused");
	LT_CK(!strcmp(r.body, "request line longer than 4095 octets; closing the connection\n"),
	      "message '%s'", r.body);
	LT_CK(lt_closed(fd), "not closed after an overlong line");
	close(fd);

	/* Without any newline at all, and a JSON request before it. */
	fd = cli_connect();
	LT_CK(fd >= 0, "connect");
	memset(line, 'b', sizeof(line));
	LT_CK(lt_send(fd, "--json echo x\n", 14), "send");
	LT_CK(cli_response(e, fd, &r) && r.ok, "request before");
	LT_CK(lt_send(fd, line, sizeof(line)), "send");
	LT_CK(cli_response(e, fd, &r) && !r.ok && strstr(r.body, "longer than"), "overlong: %s",
	      r.body);
	LT_CK(lt_closed(fd), "not closed");
out:
	if (fd >= 0)
		close(fd);
}

Test(control, overlong_line_closes)
{
	struct lt_env e;
	struct sp_ctl_stats st;
	run(&e, NULL, client_line_limit, &st);
	cr_assert_eq(st.closed_overlong, 2);
	cr_assert_eq(st.requests, 4);
}

static void client_binary(struct lt_env *e)
{
	/* A TLS ClientHello's first octets, with no newline in sight. */
	static const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
	int fd = cli_connect();
	LT_CK(fd >= 0, "connect");
	LT_CK(lt_send(fd, tls, sizeof(tls) - 1), "send");
	LT_CK(cli_response(e, fd, &r) && !r.ok, "binary not refused");
	LT_CK(!strcmp(r.body, "request contains a non-text octet 0x16 at offset 0; closing the "
			      "connection\n"),
	      "message '%s'", r.body);
	LT_CK(lt_closed(fd), "not closed after binary input");
	close(fd);

	/* Good requests before the bad octet are answered first. */
	fd = cli_connect();
	LT_CK(fd >= 0, "connect");
	LT_CK(lt_send(fd, "echo a\necho b\nec\0ho\n", 20), "send");
	LT_CK(cli_response(e, fd, &r) && r.ok && !strcmp(r.body, "a\n"), "a");
	LT_CK(cli_response(e, fd, &r) && r.ok && !strcmp(r.body, "b\n"), "b");
	LT_CK(cli_response(e, fd, &r) && !r.ok && strstr(r.body, "octet 0x00 at offset 2"),
	      "NUL: %s", r.body);
	LT_CK(lt_closed(fd), "not closed");
	close(fd);

	/* A carriage return inside a line; a UTF-8 octet. */
	fd = cli_connect();
	LT_CK(fd >= 0, "connect");
	LT_CK(lt_send(fd, "echo a\rb\n", 9), "send");
	LT_CK(cli_response(e, fd, &r) && !r.ok && strstr(r.body, "octet 0x0d at offset 6"),
	      "CR: %s", r.body);
	LT_CK(lt_closed(fd), "not closed");
	close(fd);
	fd = cli_connect();
	LT_CK(fd >= 0, "connect");
	LT_CK(lt_send(fd, "echo \xc3\xa9", 7), "send");
	LT_CK(cli_response(e, fd, &r) && !r.ok && strstr(r.body, "octet 0xc3 at offset 5"),
	      "UTF-8: %s", r.body);
	LT_CK(lt_closed(fd), "not closed");
out:
	if (fd >= 0)
		close(fd);
}

Test(control, binary_input_closes)
{
	struct lt_env e;
	struct sp_ctl_stats st;
	run(&e, NULL, client_binary, &st);
	cr_assert_eq(st.closed_binary, 4);
	cr_assert_eq(st.requests, 6);
	cr_assert_eq(st.errors, 4);
}

static void client_big(struct lt_env *e)
{
	static char want[200000];
	int fd = cli_connect();
	LT_CK(fd >= 0, "connect");
	/* A body full of things that look like framing arrives byte for byte. */
	big_body(want, sizeof(want));
	LT_CK(lt_send(fd, "big 200000\n", 11), "send");
	LT_CK(cli_response(e, fd, &r) && r.ok, "big");
	LT_CK(r.len == sizeof(want) + 1, "length %zu", r.len);
	LT_CK(memcmp(r.body, want, sizeof(want)) == 0 && r.body[sizeof(want)] == '\n',
	      "body differs");
	/* The limit: exactly max_response is fine, one more is an ERR. */
	LT_CK(lt_send(fd, "big 250000\n", 11), "send");
	LT_CK(cli_response(e, fd, &r) && r.ok && r.len == 250001, "at the limit: %zu", r.len);
	LT_CK(lt_send(fd, "big 250001\n", 11), "send");
	LT_CK(cli_response(e, fd, &r) && !r.ok, "over the limit");
	LT_CK(!strcmp(r.body, "response too large (over 250000 octets)\n"), "'%s'", r.body);
	LT_CK(lt_send(fd, "big 0\n", 6), "send");
	LT_CK(cli_response(e, fd, &r) && r.ok && r.len == 0, "empty body");
out:
	if (fd >= 0)
		close(fd);
}

Test(control, large_bodies_and_the_limit)
{
	struct lt_env e;
	struct sp_ctl_stats st;
	struct sp_ctl_cfg cfg;
	sp_ctl_cfg_init(&cfg);
	cfg.max_response = 250000;
	run(&e, &cfg, client_big, &st);
	cr_assert_eq(st.errors, 1);
}

static void client_idle(struct lt_env *e)
{
	int fd = cli_connect();
	LT_CK(fd >= 0, "connect");
	LT_CK(lt_send(fd, "echo x\n", 7), "send");
	LT_CK(cli_response(e, fd, &r) && r.ok, "echo");
	uint64_t t0 = lt_now_ms();
	LT_CK(lt_send(fd, "echo part", 9), "send"); /* a partial line, then silence */
	LT_CK(lt_closed(fd), "not closed when idle");
	uint64_t dt = lt_now_ms() - t0;
	LT_CK(dt >= 250 && dt < 2000, "closed after %llu ms, want ~300", (unsigned long long)dt);
out:
	if (fd >= 0)
		close(fd);
}

Test(control, idle_timeout)
{
	struct lt_env e;
	struct sp_ctl_stats st;
	struct sp_ctl_cfg cfg;
	sp_ctl_cfg_init(&cfg);
	cfg.idle_ms = 300;
	run(&e, &cfg, client_idle, &st);
	cr_assert_eq(st.closed_idle, 1);
}

static void client_limit(struct lt_env *e)
{
	int a = cli_connect(), b = cli_connect(), c = -1, d = -1;
	LT_CK(a >= 0 && b >= 0, "connect");
	if (!ask(e, a, "echo a\n", true, "a\n", true) || !ask(e, b, "echo b\n", true, "b\n", true))
		goto out;
	c = cli_connect();
	LT_CK(c >= 0, "connect c");
	LT_CK(cli_response(e, c, &r) && !r.ok, "third connection not refused");
	LT_CK(!strcmp(r.body, "too many control connections (at most 2); try again later\n"),
	      "'%s'", r.body);
	LT_CK(lt_closed(c), "third connection not closed");
	/* Once one leaves, there is room again. */
	shutdown(a, SHUT_WR);
	LT_CK(lt_closed(a), "a not closed after EOF");
	lt_sleep_ms(50); /* the server frees the slot in its close callback */
	d = cli_connect();
	LT_CK(d >= 0, "connect d");
	if (!ask(e, d, "echo d\n", true, "d\n", true) || !ask(e, b, "echo b\n", true, "b\n", true))
		goto out;
out:
	for (int *fd = (int[]){ a, b, c, d }, i = 0; i < 4; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

Test(control, connection_limit)
{
	struct lt_env e;
	struct sp_ctl_stats st;
	struct sp_ctl_cfg cfg;
	sp_ctl_cfg_init(&cfg);
	cfg.max_conns = 2;
	run(&e, &cfg, client_limit, &st);
	cr_assert_eq(st.accepted, 3);
	cr_assert_eq(st.rejected, 1);
}

static void client_stop(struct lt_env *e)
{
	int fd = cli_connect(), other = cli_connect();
	LT_CK(fd >= 0 && other >= 0, "connect");
	if (!ask(e, other, "echo o\n", true, "o\n", true))
		goto out;
	LT_CK(lt_send(fd, "stop\necho never\n", 16), "send");
	LT_CK(lt_closed(fd), "no close after stop (a response came?)");
	LT_CK(lt_closed(other), "other connection not closed by stop");
	/* The file is gone: nobody can connect any more. */
	int again = cli_connect();
	LT_CK(again < 0, "connected after stop");
out:
	if (fd >= 0)
		close(fd);
	if (other >= 0)
		close(other);
}

Test(control, stop_from_a_handler)
{
	struct lt_env e;
	struct sp_ctl_stats st;
	run(&e, NULL, client_stop, &st);
	cr_assert_eq(host.calls, 1, "the request after stop did not run");
}

/* ---- the socket file ---- */

static void client_ping(struct lt_env *e)
{
	int fd = cli_connect();
	LT_CK(fd >= 0, "connect: errno %d", errno);
	(void)ask(e, fd, "echo ping\n", true, "ping\n", true);
out:
	if (fd >= 0)
		close(fd);
}

/* Mode bits of the socket file, checked by a client that runs while it exists. */
static unsigned seen_mode;

static void client_mode(struct lt_env *e)
{
	struct stat sb;
	LT_CK(lstat(path, &sb) == 0, "lstat: errno %d", errno);
	LT_CK(S_ISSOCK(sb.st_mode), "not a socket");
	seen_mode = sb.st_mode & 07777;
	client_ping(e);
out:;
}

Test(control, socket_mode_whatever_the_umask)
{
	static const mode_t umasks[] = { 0, 022, 077, 0777 };
	for (size_t i = 0; i < sizeof(umasks) / sizeof(umasks[0]); i++) {
		struct lt_env e;
		struct sp_ctl_stats st;
		mode_t old = umask(umasks[i]);
		run(&e, NULL, client_mode, &st);
		umask(old);
		cr_assert_eq(seen_mode, 0660, "umask %03o: mode %03o", umasks[i], seen_mode);
	}
	struct lt_env e;
	struct sp_ctl_stats st;
	struct sp_ctl_cfg cfg;
	sp_ctl_cfg_init(&cfg);
	cfg.mode = 0600;
	run(&e, &cfg, client_mode, &st);
	cr_assert_eq(seen_mode, 0600);
}

/* A socket file nobody listens on, as a crashed daemon leaves it. */
static void make_stale(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 1), 0);
	close(fd);
	struct stat sb;
	cr_assert_eq(lstat(path, &sb), 0);
	cr_assert(S_ISSOCK(sb.st_mode));
}

Test(control, stale_socket_replaced)
{
	make_stale();
	struct lt_env e;
	struct sp_ctl_stats st;
	run(&e, NULL, client_mode, &st);
	cr_assert_eq(seen_mode, 0660);
	cr_assert_eq(st.requests, 1);
}

/* Starting must fail with want; the file at path is left as it was. */
static void start_fails(int want)
{
	struct stat before, after;
	cr_assert_eq(lstat(path, &before), 0);
	uv_loop_t loop;
	cr_assert_eq(uv_loop_init(&loop), 0);
	struct sp_ctl_cfg cfg;
	sp_ctl_cfg_init(&cfg);
	cfg.path = path;
	struct sp_ctl *s = sp_ctl_new(&loop, &cfg);
	cr_assert_not_null(s);
	int rc = sp_ctl_start(s);
	cr_assert_eq(rc, want, "start: %d (%s), want %d", rc, dp_strerror(rc), want);
	sp_ctl_free(s);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&loop), 0);
	cr_assert_eq(lstat(path, &after), 0, "the file was removed");
	cr_assert_eq(before.st_ino, after.st_ino, "the file was replaced");
	sptest_leak_check();
}

Test(control, live_socket_not_stolen)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 4), 0);
	start_fails(-EADDRINUSE);
	/* Its owner still serves: a client connects and it accepts. */
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	int a = accept(fd, NULL, NULL);
	cr_assert_geq(a, 0);
	close(a);
	close(c);
	close(fd);
}

/* Two control servers on one path: the second is refused, the first goes on. */
Test(control, second_server_refused)
{
	struct lt_env e;
	struct sp_ctl_cfg cfg;
	sp_ctl_cfg_init(&cfg);
	cfg.path = path;
	lt_init(&e);
	struct sp_ctl *s = sp_ctl_new(&e.loop, &cfg);
	struct sp_ctl *s2 = sp_ctl_new(&e.loop, &cfg);
	cr_assert(s && s2);
	register_all(s);
	cr_assert_eq(sp_ctl_start(s), 0);
	cr_assert_eq(sp_ctl_start(s2), -EADDRINUSE);
	sp_ctl_free(s2);
	lt_run(&e, s, stop_ctl, client_ping);
	sp_ctl_free(s);
	lt_fini(&e);
	sptest_leak_check();
}

Test(control, not_a_socket_left_alone)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "keep", 4), 4);
	close(fd);
	start_fails(DP_EEXIST);
	char buf[8] = { 0 };
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_eq(read(fd, buf, sizeof(buf)), 4);
	cr_assert_str_eq(buf, "keep");
	close(fd);
	/* A directory, a symlink: not sockets either. */
	unlink(path);
	cr_assert_eq(mkdir(path, 0700), 0);
	start_fails(DP_EEXIST);
	rmdir(path);
	cr_assert_eq(symlink("/nonexistent", path), 0);
	start_fails(DP_EEXIST);
}

Test(control, missing_directory)
{
	uv_loop_t loop;
	cr_assert_eq(uv_loop_init(&loop), 0);
	struct sp_ctl_cfg cfg;
	sp_ctl_cfg_init(&cfg);
	char p[160];
	snprintf(p, sizeof(p), "%s/nodir/x.sock", dir);
	cfg.path = p;
	struct sp_ctl *s = sp_ctl_new(&loop, &cfg);
	cr_assert_not_null(s);
	cr_assert_eq(sp_ctl_start(s), -ENOENT);
	cr_assert_eq(sp_ctl_start(s), -ENOENT, "a failed start may be retried");
	sp_ctl_free(s);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&loop), 0);
}

/* stop removes only its own file: not one that replaced it. */
static void client_replace_file(struct lt_env *e)
{
	LT_CK(unlink(path) == 0, "unlink");
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	LT_CK(fd >= 0, "create");
	close(fd);
out:;
}

Test(control, stop_keeps_a_file_it_did_not_create)
{
	struct lt_env e;
	struct sp_ctl_cfg cfg;
	sp_ctl_cfg_init(&cfg);
	cfg.path = path;
	lt_init(&e);
	struct sp_ctl *s = sp_ctl_new(&e.loop, &cfg);
	cr_assert_not_null(s);
	cr_assert_eq(sp_ctl_start(s), 0);
	lt_run(&e, s, stop_ctl, client_replace_file);
	sp_ctl_free(s);
	lt_fini(&e);
	struct stat sb;
	cr_assert_eq(lstat(path, &sb), 0, "the other file was removed");
	cr_assert(S_ISREG(sb.st_mode));
}

/* ---- configuration and registration ---- */

Test(control, bad_configurations)
{
	uv_loop_t loop;
	cr_assert_eq(uv_loop_init(&loop), 0);
	struct sp_ctl_cfg cfg;
	char longp[SP_CTL_PATH_MAX + 2];
	memset(longp, 'p', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';

	sp_ctl_cfg_init(&cfg);
	cr_assert_null(sp_ctl_new(&loop, &cfg), "no path");
	cfg.path = "";
	cr_assert_null(sp_ctl_new(&loop, &cfg), "empty path");
	cfg.path = longp;
	cr_assert_null(sp_ctl_new(&loop, &cfg), "path too long");
	longp[SP_CTL_PATH_MAX] = '\0';
	struct sp_ctl *s = sp_ctl_new(&loop, &cfg);
	cr_assert_not_null(s, "the longest path");
	sp_ctl_free(s);
	cfg.path = path;
	const unsigned bad_modes[] = { 0666, 0661, 0664, 01660, 0100660 };
	for (size_t i = 0; i < sizeof(bad_modes) / sizeof(bad_modes[0]); i++) {
		cfg.mode = bad_modes[i];
		cr_assert_null(sp_ctl_new(&loop, &cfg), "mode %o", bad_modes[i]);
	}
	sp_ctl_cfg_init(&cfg);
	cfg.path = path;
	cfg.max_conns = 0;
	cr_assert_null(sp_ctl_new(&loop, &cfg));
	sp_ctl_cfg_init(&cfg);
	cfg.path = path;
	cfg.idle_ms = 0;
	cr_assert_null(sp_ctl_new(&loop, &cfg));
	sp_ctl_cfg_init(&cfg);
	cfg.path = path;
	cfg.max_response = 0;
	cr_assert_null(sp_ctl_new(&loop, &cfg));
	cr_assert_null(sp_ctl_new(NULL, &cfg));
	cr_assert_null(sp_ctl_new(&loop, NULL));
	cr_assert_eq(uv_loop_close(&loop), 0);
	sptest_leak_check();
}

Test(control, register_checks)
{
	uv_loop_t loop;
	cr_assert_eq(uv_loop_init(&loop), 0);
	struct sp_ctl_cfg cfg;
	sp_ctl_cfg_init(&cfg);
	cfg.path = path;
	struct sp_ctl *s = sp_ctl_new(&loop, &cfg);
	cr_assert_not_null(s);
	const char *bad[] = { "",
			      "Zone",
			      "-x",
			      "a b",
			      "a_b",
			      "é",
			      "abcdefghijklmnopqrstuvwxyz0123456" /* 33 */ };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(sp_ctl_register(s, bad[i], 0, 0, cmd_echo, NULL, "", "h"), DP_EINVAL,
			     "'%s'", bad[i]);
	cr_assert_eq(sp_ctl_register(s, "abcdefghijklmnopqrstuvwxyz012345", 0, 0, cmd_echo, NULL,
				     "", "h"),
		     0, "32 octets");
	cr_assert_eq(sp_ctl_register(s, "zone-status", 0, 1, cmd_echo, NULL, "[ZONE]", "h"), 0);
	cr_assert_eq(sp_ctl_register(s, "zone-status", 0, 1, cmd_echo, NULL, "[ZONE]", "h"),
		     DP_EEXIST);
	cr_assert_eq(sp_ctl_register(s, "help", 0, 0, cmd_echo, NULL, "", "h"), DP_EEXIST);
	cr_assert_eq(sp_ctl_register(s, "x", 2, 1, cmd_echo, NULL, "", "h"), DP_EINVAL);
	cr_assert_eq(sp_ctl_register(s, "x", 0, SP_CTL_ARGS_MAX + 1, cmd_echo, NULL, "", "h"),
		     DP_EINVAL);
	cr_assert_eq(sp_ctl_register(s, "x", 0, 0, NULL, NULL, "", "h"), DP_EINVAL);
	cr_assert_eq(sp_ctl_register(s, "x", 0, 0, cmd_echo, NULL, "", NULL), DP_EINVAL);
	/* Many commands (the table grows). */
	for (int i = 0; i < 100; i++) {
		char name[16];
		snprintf(name, sizeof(name), "c%d", i);
		cr_assert_eq(sp_ctl_register(s, name, 0, 0, cmd_echo, &host, NULL, "h"), 0);
	}
	sp_ctl_free(s);
	cr_assert_eq(uv_loop_close(&loop), 0);
	sptest_leak_check();
}

/* ---- the request layer alone ---- */

Test(control, execute_without_io)
{
	uv_loop_t loop;
	cr_assert_eq(uv_loop_init(&loop), 0);
	struct sp_ctl_cfg cfg;
	sp_ctl_cfg_init(&cfg);
	cfg.path = path;
	cfg.max_response = 100;
	struct sp_ctl *s = sp_ctl_new(&loop, &cfg);
	cr_assert_not_null(s);
	register_all(s);
	struct sp_buf b;
	sp_buf_init(&b, 1 << 16);

	cr_assert_eq(sp_ctl_execute(s, "echo hi", 7, &b), SP_CTL_R_OK);
	cr_assert_str_eq(b.data, "OK 3\nhi\n");
	cr_assert_eq(sp_ctl_execute(s, "echo hi\r", 8, &b), SP_CTL_R_OK, "CR dropped");
	cr_assert_str_eq(b.data, "OK 3\nhi\nOK 3\nhi\n", "appended");
	sp_buf_reset(&b);
	cr_assert_eq(sp_ctl_execute(s, "nosuch", 6, &b), SP_CTL_R_ERR);
	cr_assert_str_eq(b.data, "ERR 38\nunknown command 'nosuch' (try 'help')\n");
	sp_buf_reset(&b);
	cr_assert_eq(sp_ctl_execute(s, "echo\0", 5, &b), SP_CTL_R_ERR_CLOSE);
	sp_buf_reset(&b);
	static char longl[SP_CTL_LINE_MAX];
	memset(longl, 'a', sizeof(longl));
	cr_assert_eq(sp_ctl_execute(s, longl, sizeof(longl), &b), SP_CTL_R_ERR_CLOSE);
	cr_assert_eq(sp_ctl_execute(s, longl, sizeof(longl) - 1, &b), SP_CTL_R_ERR,
		     "4095 octets is a request (an unknown command)");
	longl[sizeof(longl) - 1] = '\r';
	cr_assert_eq(sp_ctl_execute(s, longl, sizeof(longl), &b), SP_CTL_R_ERR_CLOSE,
		     "a full buffer ending in CR is still overlong");
	/* Errors before the command is known still honour --json. */
	sp_buf_reset(&b);
	static const char many[] = "--json echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17";
	cr_assert_eq(sp_ctl_execute(s, many, sizeof(many) - 1, &b), SP_CTL_R_ERR);
	cr_assert_str_eq(b.data, "ERR 44\n{\"error\":\"too many arguments (at most 16)\"}\n");
	/* A resp buffer too small for the body: the response becomes an ERR that fits. */
	struct sp_buf small;
	sp_buf_init(&small, 64);
	sp_buf_puts(&small, "keep");
	cr_assert_eq(sp_ctl_execute(s, "big 90", 6, &small), SP_CTL_R_ERR);
	cr_assert_str_eq(small.data, "keepERR 19\nresponse too large\n");
	/* Too small even for that. */
	struct sp_buf tiny;
	sp_buf_init(&tiny, 8);
	cr_assert_eq(sp_ctl_execute(s, "big 90", 6, &tiny), DP_ENOMEM);
	cr_assert_eq(tiny.len, 0);
	cr_assert_eq(sp_buf_error(&tiny), 0);
	sp_buf_deinit(&tiny);
	sp_buf_deinit(&small);
	/* Body over max_response (100). */
	sp_buf_reset(&b);
	cr_assert_eq(sp_ctl_execute(s, "big 101", 7, &b), SP_CTL_R_ERR);
	cr_assert_str_eq(b.data, "ERR 37\nresponse too large (over 100 octets)\n");
	/* No connection to answer later: a handler cannot defer, and one that says it did lies. */
	sp_buf_reset(&b);
	cr_assert_eq(sp_ctl_execute(s, "later", 5, &b), SP_CTL_R_ERR);
	cr_assert_str_eq(b.data, "ERR 13\ncannot defer\n");
	cr_assert_null(host.pending);
	sp_buf_reset(&b);
	cr_assert_eq(sp_ctl_execute(s, "liar", 4, &b), SP_CTL_R_ERR);
	cr_assert_str_eq(b.data, "ERR 32\ninternal error: liar returned 1\n");
	sp_buf_deinit(&b);
	struct sp_ctl_stats st;
	sp_ctl_stats(s, &st);
	cr_assert_eq(st.deferred, 0);
	cr_assert_eq(st.requests, 13);
	cr_assert_eq(st.closed_binary, 1);
	cr_assert_eq(st.closed_overlong, 2);
	sp_ctl_free(s);
	cr_assert_eq(uv_loop_close(&loop), 0);
	sptest_leak_check();
}

/* ---- deferred replies ---- */

static struct resp r2;

/* Polls "count" on fd until the server has active connections and pending replies (bounded). */
static bool wait_count(struct lt_env *e, int fd, unsigned active, unsigned pending)
{
	for (int i = 0; i < 300; i++) {
		if (!ask(e, fd, "count\n", true, "active ", false))
			return false;
		unsigned a, p;
		if (sscanf(r.body, "active %u pending %u", &a, &p) == 2 && a == active &&
		    p == pending)
			return true;
		usleep(10 * 1000);
	}
	lt_fail(e, "server never had %u connections and %u pending: '%s'", active, pending, r.body);
	return false;
}

/* Reads a response on fd into r2 and checks it. */
static bool expect(struct lt_env *e, int fd, bool ok, const char *body)
{
	if (!cli_response(e, fd, &r2))
		return false;
	if (r2.ok != ok || strcmp(r2.body, body) != 0) {
		lt_fail(e, "got %s '%s', want %s '%s'", r2.ok ? "OK" : "ERR", r2.body,
			ok ? "OK" : "ERR", body);
		return false;
	}
	return true;
}

static void client_deferred(struct lt_env *e)
{
	int a = cli_connect(), b = cli_connect();
	LT_CK(a >= 0 && b >= 0, "connect");
	/* A deferred OK, with two requests behind it sent at once: they wait, in order. */
	static const char three[] = "later\necho behind\nlater now\n";
	LT_CK(lt_send(a, three, sizeof(three) - 1), "send");
	if (!wait_count(e, b, 2, 1))
		goto out;
	/* Nothing comes on a while its reply is pending. */
	char x;
	LT_CK(recv(a, &x, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "an octet before the reply");
	if (!ask(e, b, "finish ok\n", true, "finished\n", true) ||
	    !expect(e, a, true, "later done (argc 0)\n") || !expect(e, a, true, "behind\n") ||
	    !expect(e, a, true, "answered at once\n"))
		goto out;
	/* A deferred ERR: the connection goes on. */
	LT_CK(lt_send(a, "later\n", 6), "send");
	if (!wait_count(e, b, 2, 1) || !ask(e, b, "finish err\n", true, "finished\n", true) ||
	    !expect(e, a, false, "later failed late\n") ||
	    !ask(e, a, "echo still\n", true, "still\n", true))
		goto out;
	/* JSON, both ways. */
	LT_CK(lt_send(a, "--json later\n", 13), "send");
	if (!wait_count(e, b, 2, 1) || !ask(e, b, "finish ok\n", true, "finished\n", true) ||
	    !expect(e, a, true, "{\"done\":\"later\"}\n"))
		goto out;
	LT_CK(lt_send(a, "--json later\n", 13), "send");
	if (!wait_count(e, b, 2, 1) || !ask(e, b, "finish err\n", true, "finished\n", true) ||
	    !expect(e, a, false, "{\"error\":\"later failed late\"}\n"))
		goto out;
	/* Only one at a time (the host's rule), refused at once; nothing pending now. */
	if (!ask(e, b, "finish ok\n", false, "nothing pending\n", true) ||
	    !ask(e, b, "liar\n", false, "internal error: liar returned 1\n", true))
		goto out;
	/* A client that shuts down its sending side still gets its reply, then the EOF. */
	LT_CK(lt_send(a, "later\n", 6), "send");
	LT_CK(shutdown(a, SHUT_WR) == 0, "shutdown");
	if (!wait_count(e, b, 2, 1) || !ask(e, b, "finish ok\n", true, "finished\n", true) ||
	    !expect(e, a, true, "later done (argc 0)\n"))
		goto out;
	LT_CK(recv(a, &x, 1, 0) == 0, "no EOF after the last reply");
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

Test(control, deferred_replies)
{
	struct lt_env e;
	struct sp_ctl_stats st;
	run(&e, NULL, client_deferred, &st);
	cr_assert_eq(st.deferred, 5);
	cr_assert_eq(st.dropped, 0);
	cr_assert_eq(st.pending, 0);
	cr_assert_eq(host.cancelled, 0);
	cr_assert_null(host.pending);
	cr_assert_eq(st.closed_idle, 0);
}

static void client_gone(struct lt_env *e)
{
	int a = cli_connect(), b = cli_connect();
	LT_CK(a >= 0 && b >= 0, "connect");
	LT_CK(lt_send(a, "later\n", 6), "send");
	if (!wait_count(e, b, 2, 1))
		goto out;
	close(a);
	a = -1;
	/* The server drops the connection at once; the reply stays pending, for nobody. */
	if (!wait_count(e, b, 1, 1) || !ask(e, b, "finish ok\n", true, "finished\n", true) ||
	    !ask(e, b, "count\n", true, "active 1 pending 0 dropped 1\n", true))
		goto out;
	/* The same for an error reply. */
	a = cli_connect();
	LT_CK(a >= 0, "connect");
	LT_CK(lt_send(a, "later\n", 6), "send");
	if (!wait_count(e, b, 2, 1))
		goto out;
	close(a);
	a = -1;
	if (!wait_count(e, b, 1, 1) || !ask(e, b, "finish err\n", true, "finished\n", true) ||
	    !ask(e, b, "count\n", true, "active 1 pending 0 dropped 2\n", true))
		goto out;
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

Test(control, deferred_client_gone)
{
	struct lt_env e;
	struct sp_ctl_stats st;
	run(&e, NULL, client_gone, &st);
	cr_assert_eq(st.deferred, 2);
	cr_assert_eq(st.dropped, 2);
	cr_assert_eq(host.cancelled, 0, "a gone client does not cancel");
}

static void client_stopped(struct lt_env *e)
{
	int a = cli_connect(), b = cli_connect();
	LT_CK(a >= 0 && b >= 0, "connect");
	LT_CK(lt_send(a, "later\n", 6), "send");
	if (!wait_count(e, b, 2, 1))
		goto out;
	lt_request_stop(e);
	/* The server closes with the reply still pending: EOF, no reply. */
	char x;
	ssize_t n = recv(a, &x, 1, 0);
	LT_CK(n == 0, "recv after stop: %zd (errno %d)", n, errno);
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

Test(control, deferred_server_stopped)
{
	struct lt_env e;
	struct sp_ctl_stats st;
	run(&e, NULL, client_stopped, &st);
	cr_assert_eq(st.deferred, 1);
	cr_assert_eq(st.dropped, 1);
	cr_assert_eq(st.pending, 0);
	cr_assert_eq(host.cancelled, 1, "the owner is told");
	cr_assert_null(host.pending);
}

/* A pending reply whose client went, then the server stops: cancelled and freed. */
static void client_gone_then_stop(struct lt_env *e)
{
	int a = cli_connect(), b = cli_connect();
	LT_CK(a >= 0 && b >= 0, "connect");
	LT_CK(lt_send(a, "later\n", 6), "send");
	if (!wait_count(e, b, 2, 1))
		goto out;
	close(a);
	a = -1;
	if (!wait_count(e, b, 1, 1))
		goto out;
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

Test(control, deferred_gone_then_stopped)
{
	struct lt_env e;
	struct sp_ctl_stats st;
	run(&e, NULL, client_gone_then_stop, &st);
	cr_assert_eq(st.dropped, 1);
	cr_assert_eq(host.cancelled, 1);
}

/* idle_ms 200: a reply pending for longer, with input arriving meanwhile, still comes. */
static void client_pending_idle(struct lt_env *e)
{
	int a = cli_connect(), b = cli_connect();
	char x;
	LT_CK(a >= 0 && b >= 0, "connect");
	LT_CK(lt_send(a, "later\n", 6), "send");
	if (!wait_count(e, b, 2, 1))
		goto out;
	close(b);
	usleep(100 * 1000);
	LT_CK(lt_send(a, "echo x\n", 7), "send");
	usleep(400 * 1000); /* twice idle_ms after that input */
	b = cli_connect();
	LT_CK(b >= 0, "connect");
	if (!ask(e, b, "finish ok\n", true, "finished\n", true) ||
	    !expect(e, a, true, "later done (argc 0)\n") || !expect(e, a, true, "x\n"))
		goto out;
	/* After the reply the idle timeout runs again. */
	LT_CK(recv(a, &x, 1, 0) == 0, "no idle close after the reply");
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

Test(control, deferred_no_idle_timeout)
{
	struct lt_env e;
	struct sp_ctl_stats st;
	struct sp_ctl_cfg cfg;
	sp_ctl_cfg_init(&cfg);
	cfg.idle_ms = 200;
	run(&e, &cfg, client_pending_idle, &st);
	cr_assert_eq(st.deferred, 1);
	cr_assert_eq(st.dropped, 0);
	cr_assert_geq(st.closed_idle, 1);
}
