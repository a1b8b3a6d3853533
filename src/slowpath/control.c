/* SPDX-License-Identifier: BSD-3-Clause */
#include "slowpath/control.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dns/errcode.h"
#include "slowpath/json.h"

#define CTL_BACKLOG 16
#define CTL_HEADER_MAX 32	 /* "ERR 18446744073709551615\n" and then some */
#define CTL_KEEP_OUT (64u << 10) /* output memory a connection keeps between responses */
#define CTL_QUOTE_MAX 64	 /* octets of user text quoted in a message */
#define CTL_R_DEFERRED 100	 /* execute(): the handler deferred the reply */

struct ctl_cmd {
	char name[SP_CTL_NAME_MAX + 1];
	unsigned min_args, max_args;
	sp_ctl_fn fn;
	void *ctx;
	char *args; /* synopsis, "" when none */
	char *help;
};

/* One accepted connection. */
struct ctl_conn {
	uv_pipe_t pipe;
	uv_timer_t timer;
	uv_write_t wreq; /* one response in flight at a time */
	uv_shutdown_t sreq;
	struct sp_ctl *srv;
	struct ctl_conn *prev, *next;
	struct sp_buf out; /* the response being written */
	size_t in_len;	   /* in[0..in_len) received, not yet answered */
	size_t scanned;	   /* in[0..scanned) checked for non-text octets */
	unsigned open_handles;
	bool reading;
	bool writing;
	bool eof;	  /* the peer closed its side */
	bool bad;	  /* in[] holds a non-text octet */
	bool close_after; /* close once the response in flight is written */
	bool lingering;
	bool closing;
	struct sp_ctl_pending *pending; /* the deferred reply waited for */
	char in[SP_CTL_LINE_MAX];
};

/*
 * A request as a handler sees it, and what it belongs to: handlers get
 * &call.req, and sp_ctl_defer finds the rest from it (req is the first
 * member).  Every struct sp_ctl_req a handler or a completer sees is one.
 */
struct ctl_call {
	struct sp_ctl_req req;
	struct sp_ctl *srv;
	struct ctl_conn *conn; /* NULL: sp_ctl_execute, or a pending reply's request */
	bool in_handler;
	struct sp_ctl_pending *pending; /* set by sp_ctl_defer */
};

struct sp_ctl_pending {
	struct ctl_call call; /* call.req.out == &body */
	struct sp_buf body;
	char cmd[SP_CTL_NAME_MAX + 1];
	struct sp_ctl *srv;
	struct ctl_conn *conn;		    /* NULL once the client has gone */
	struct sp_ctl_pending *prev, *next; /* in srv->pendings */
	sp_ctl_cancel_fn cancel;
	void *ctx;
};

struct sp_ctl {
	uv_loop_t *loop;
	char path[SP_CTL_PATH_MAX + 1];
	unsigned mode;
	unsigned max_conns;
	uint32_t idle_ms;
	size_t max_response;
	struct ctl_cmd *cmds;
	unsigned ncmds, cmds_cap;
	uv_pipe_t listener;
	bool listening;
	bool started;
	bool stopped;
	bool free_pending;
	bool own_file; /* path is the socket file we created (dev, ino) */
	dev_t dev;
	ino_t ino;
	unsigned handles; /* initialised and not yet closed, of every kind */
	unsigned n_conns; /* connections holding memory (open or closing) */
	struct ctl_conn *conns;
	struct sp_ctl_pending *pendings; /* deferred replies not completed yet */
	unsigned npending;
	struct sp_ctl_stats st;
	char busy[128]; /* the response to a connection over the limit */
	size_t busy_len;
	char discard[1024]; /* what lingering connections read */
};

void sp_ctl_cfg_init(struct sp_ctl_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = SP_CTL_MODE_DEFAULT;
	cfg->max_conns = SP_CTL_MAX_CONNS_DEFAULT;
	cfg->idle_ms = SP_CTL_IDLE_MS_DEFAULT;
	cfg->max_response = SP_CTL_RESPONSE_MAX_DEFAULT;
}

int sp_ctl_fail(struct sp_ctl_req *req, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(req->msg, sizeof(req->msg), fmt, ap);
	va_end(ap);
	return code;
}

/* ---------------------------------------------------------- commands */

static bool name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > SP_CTL_NAME_MAX || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static const struct ctl_cmd *cmd_find(const struct sp_ctl *s, const char *name)
{
	for (unsigned i = 0; i < s->ncmds; i++)
		if (!strcmp(s->cmds[i].name, name))
			return &s->cmds[i];
	return NULL;
}

int sp_ctl_register(struct sp_ctl *s, const char *name, unsigned min_args, unsigned max_args,
		    sp_ctl_fn fn, void *ctx, const char *args, const char *help)
{
	if (!s || !name || !fn || !help || !name_ok(name) || min_args > max_args ||
	    max_args > SP_CTL_ARGS_MAX)
		return DP_EINVAL;
	if (cmd_find(s, name))
		return DP_EEXIST;
	if (s->ncmds == s->cmds_cap) {
		unsigned cap = s->cmds_cap ? 2 * s->cmds_cap : 16;
		struct ctl_cmd *c = realloc(s->cmds, cap * sizeof(*c));
		if (!c)
			return DP_ENOMEM;
		s->cmds = c;
		s->cmds_cap = cap;
	}
	struct ctl_cmd *c = &s->cmds[s->ncmds];
	memset(c, 0, sizeof(*c));
	c->args = strdup(args ? args : "");
	c->help = strdup(help);
	if (!c->args || !c->help) {
		free(c->args);
		free(c->help);
		return DP_ENOMEM;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->min_args = min_args;
	c->max_args = max_args;
	c->fn = fn;
	c->ctx = ctx;
	s->ncmds++;
	return 0;
}

static void help_one_text(struct sp_buf *b, const struct ctl_cmd *c)
{
	sp_buf_printf(b, "usage: %s%s%s\n%s\n", c->name, c->args[0] ? " " : "", c->args, c->help);
}

static void help_one_json(struct sp_json *j, const struct ctl_cmd *c)
{
	sp_json_obj_begin(j);
	sp_json_kstr(j, "name", c->name);
	sp_json_kstr(j, "args", c->args);
	sp_json_kuint(j, "min_args", c->min_args);
	sp_json_kuint(j, "max_args", c->max_args);
	sp_json_kstr(j, "help", c->help);
	sp_json_obj_end(j);
}

static int cmd_help(void *ctx, struct sp_ctl_req *req)
{
	struct sp_ctl *s = ctx;
	struct sp_json j;

	if (req->argc == 1) {
		const struct ctl_cmd *c = cmd_find(s, req->argv[0]);
		if (!c)
			return sp_ctl_fail(req, DP_ENOENT, "unknown command '%.*s%s'",
					   CTL_QUOTE_MAX, req->argv[0],
					   strlen(req->argv[0]) > CTL_QUOTE_MAX ? "..." : "");
		if (!req->json) {
			help_one_text(req->out, c);
			return 0;
		}
		sp_json_init(&j, req->out);
		help_one_json(&j, c);
		return sp_json_finish(&j);
	}
	if (!req->json) {
		size_t w = 0;
		for (unsigned i = 0; i < s->ncmds; i++) {
			const struct ctl_cmd *c = &s->cmds[i];
			size_t n = strlen(c->name) + (c->args[0] ? 1 + strlen(c->args) : 0);
			w = n > w ? n : w;
		}
		w = w > 40 ? 40 : w;
		sp_buf_puts(req->out, "commands (\"help COMMAND\" for one):\n");
		for (unsigned i = 0; i < s->ncmds; i++) {
			const struct ctl_cmd *c = &s->cmds[i];
			char syn[SP_CTL_NAME_MAX + 2 + 256];
			snprintf(syn, sizeof(syn), "%s%s%s", c->name, c->args[0] ? " " : "",
				 c->args);
			sp_buf_printf(req->out, "  %-*s  %s\n", (int)w, syn, c->help);
		}
		return 0;
	}
	sp_json_init(&j, req->out);
	sp_json_obj_begin(&j);
	sp_json_key(&j, "commands");
	sp_json_arr_begin(&j);
	for (unsigned i = 0; i < s->ncmds; i++)
		help_one_json(&j, &s->cmds[i]);
	sp_json_arr_end(&j);
	sp_json_obj_end(&j);
	return sp_json_finish(&j);
}

/* ----------------------------------------------------------- requests */

/* Appends the framed response: header, body[0..n), and a final newline if it lacks one. */
static void frame(struct sp_buf *resp, bool ok, const char *body, size_t n)
{
	bool nl = n > 0 && body[n - 1] != '\n';
	sp_buf_printf(resp, "%s %zu\n", ok ? "OK" : "ERR", n + nl);
	sp_buf_add(resp, body, n);
	if (nl)
		sp_buf_putc(resp, '\n');
}

/* Appends an ERR response with message msg, as text or JSON. */
static void frame_error(struct sp_buf *resp, bool json, const char *msg)
{
	struct sp_buf body;
	sp_buf_init(&body, 8 * SP_CTL_MSG_MAX); /* escaping may grow it 6-fold */
	if (json) {
		struct sp_json j;
		sp_json_init(&j, &body);
		sp_json_obj_begin(&j);
		sp_json_kstr(&j, "error", msg);
		sp_json_obj_end(&j);
	} else {
		sp_buf_puts(&body, msg);
	}
	if (sp_buf_error(&body)) {
		/* No memory for the body: send the message as it is (it is plain text). */
		frame(resp, false, msg, strlen(msg));
	} else {
		frame(resp, false, body.data, body.len);
	}
	sp_buf_deinit(&body);
}

/* A request word quoted in a message: at most CTL_QUOTE_MAX octets, then "...". */
#define QW(w) CTL_QUOTE_MAX, (w), (strlen(w) > CTL_QUOTE_MAX ? "..." : "")

/*
 * A handler's return value rc for the request req (of command name): 0 (the
 * body is in req->out) or a negative code with req->msg set.
 */
static int handler_result(struct sp_ctl *s, struct sp_ctl_req *req, const char *name, int rc)
{
	if (rc > 0)
		return sp_ctl_fail(req, DP_EINVAL, "internal error: %s returned %d", name, rc);
	if (rc < 0) {
		if (!req->msg[0])
			snprintf(req->msg, sizeof(req->msg), "%s", dp_strerror(rc));
		return rc;
	}
	switch (sp_buf_error(req->out)) {
	case 0: return 0;
	case DP_ESPACE:
		return sp_ctl_fail(req, DP_ESPACE, "response too large (over %zu octets)",
				   s->max_response);
	case DP_ENOMEM: return sp_ctl_fail(req, DP_ENOMEM, "out of memory");
	default: return sp_ctl_fail(req, DP_EINVAL, "internal error: malformed output");
	}
}

static void pending_free(struct sp_ctl_pending *p)
{
	sp_buf_deinit(&p->body);
	free(p);
}

/*
 * Parses line[0..len) and runs its command.  Returns 0 (body written), a
 * negative code with req->msg set, or SP_CTL_DEFERRED with call->pending
 * set; *close is set for input that ends the connection.
 */
static int run(struct sp_ctl *s, const char *line, size_t len, struct ctl_call *call, bool *close)
{
	struct sp_ctl_req *req = &call->req;
	char buf[SP_CTL_LINE_MAX];
	const char *words[SP_CTL_ARGS_MAX + 2];
	unsigned nw = 0;
	bool overlong = len >= SP_CTL_LINE_MAX, too_many = false;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (!((c >= 0x20 && c <= 0x7e) || c == '\t')) {
			*close = true;
			s->st.closed_binary++;
			return sp_ctl_fail(req, DP_EMALF,
					   "request contains a non-text octet 0x%02x at offset "
					   "%zu; closing the connection",
					   c, i);
		}
	}
	if (overlong) {
		*close = true;
		s->st.closed_overlong++;
		return sp_ctl_fail(req, DP_ERANGE,
				   "request line longer than %u octets; closing the connection",
				   SP_CTL_LINE_MAX - 1);
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	for (char *p = buf; *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (nw == SP_CTL_ARGS_MAX + 2) {
			too_many = true;
			break;
		}
		words[nw++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}

	unsigned w = 0;
	if (w < nw && !strcmp(words[w], "--json")) {
		req->json = true;
		w++;
	}
	if (too_many)
		return sp_ctl_fail(req, DP_EINVAL, "too many arguments (at most %u)",
				   SP_CTL_ARGS_MAX);
	if (w == nw)
		return sp_ctl_fail(req, DP_EINVAL,
				   req->json ? "no command after --json" :
					       "empty request (try 'help')");
	if (words[w][0] == '-')
		return sp_ctl_fail(req, DP_EINVAL,
				   "unknown option '%.*s%s' (the only request option is --json)",
				   QW(words[w]));
	const struct ctl_cmd *c = cmd_find(s, words[w]);
	if (!c)
		return sp_ctl_fail(req, DP_ENOENT, "unknown command '%.*s%s' (try 'help')",
				   QW(words[w]));
	unsigned argc = nw - w - 1;
	if (argc < c->min_args || argc > c->max_args) {
		char want[64];
		if (c->max_args == 0)
			snprintf(want, sizeof(want), "no arguments");
		else if (c->min_args == c->max_args)
			snprintf(want, sizeof(want), "%u argument%s", c->min_args,
				 c->min_args > 1 ? "s" : "");
		else
			snprintf(want, sizeof(want), "%u to %u arguments", c->min_args,
				 c->max_args);
		return sp_ctl_fail(req, DP_EINVAL, "%s takes %s, got %u (usage: %s%s%s)", c->name,
				   want, argc, c->name, c->args[0] ? " " : "", c->args);
	}

	req->cmd = c->name;
	req->argv = words + w + 1;
	req->argc = argc;
	call->in_handler = true;
	int rc = c->fn(c->ctx, req);
	call->in_handler = false;
	if (call->pending) {
		if (rc == SP_CTL_DEFERRED)
			return rc;
		/* Answered after all: the handle was never given out for good. */
		pending_free(call->pending);
		call->pending = NULL;
	}
	return handler_result(s, req, c->name, rc);
}

/*
 * Appends the response for a request's outcome rc (0, or < 0 with req->msg)
 * to resp and counts it.  Returns an enum sp_ctl_result, or DP_ENOMEM (resp
 * truncated back to its length at the call).
 */
static int respond(struct sp_ctl *s, const struct sp_ctl_req *req, int rc, bool close,
		   struct sp_buf *resp)
{
	size_t mark = resp->len;
	int res;

	s->st.requests++;
	if (rc == 0) {
		frame(resp, true, req->out->data, req->out->len);
		res = SP_CTL_R_OK;
	} else {
		s->st.errors++;
		frame_error(resp, req->json, req->msg);
		res = close ? SP_CTL_R_ERR_CLOSE : SP_CTL_R_ERR;
	}
	int err = sp_buf_error(resp);
	if (err == 0)
		return res;

	/* The response did not fit resp (its own limit, or memory): say so instead. */
	resp->err = 0;
	sp_buf_truncate(resp, mark);
	if (res == SP_CTL_R_OK) {
		s->st.errors++;
		res = SP_CTL_R_ERR;
	}
	frame_error(resp, req->json, err == DP_ENOMEM ? "out of memory" : "response too large");
	if (sp_buf_error(resp)) {
		resp->err = 0;
		sp_buf_truncate(resp, mark);
		return DP_ENOMEM;
	}
	return res;
}

/*
 * Runs a request for conn (NULL: none, as for sp_ctl_execute) and appends
 * its response to resp; or, when the handler deferred, returns
 * CTL_R_DEFERRED with the handle in *pending (already cancelled and NULL if
 * the handler stopped the server).
 */
static int execute(struct sp_ctl *s, struct ctl_conn *conn, const char *line, size_t len,
		   struct sp_buf *resp, struct sp_ctl_pending **pending)
{
	struct sp_buf body;
	struct ctl_call call;
	bool close = false;

	if (sp_buf_error(resp))
		return DP_ENOMEM; /* not ours to clear */
	memset(&call, 0, sizeof(call));
	call.srv = s;
	call.conn = conn;
	sp_buf_init(&body, s->max_response);
	call.req.out = &body;
	int rc = run(s, line, len, &call, &close);
	if (rc == SP_CTL_DEFERRED) {
		struct sp_ctl_pending *p = call.pending;
		sp_buf_deinit(&body);
		s->st.deferred++;
		*pending = NULL;
		if (s->stopped || conn->closing) {
			/* The handler stopped the server: nothing will answer. */
			s->st.dropped++;
			if (p->cancel)
				p->cancel(p->ctx, p);
			pending_free(p);
			return CTL_R_DEFERRED;
		}
		p->conn = conn;
		p->next = s->pendings;
		if (s->pendings)
			s->pendings->prev = p;
		s->pendings = p;
		s->npending++;
		*pending = p;
		return CTL_R_DEFERRED;
	}
	int res = respond(s, &call.req, rc, close, resp);
	sp_buf_deinit(&body);
	return res;
}

int sp_ctl_execute(struct sp_ctl *s, const char *line, size_t len, struct sp_buf *resp)
{
	return execute(s, NULL, line, len, resp, NULL);
}

struct sp_ctl_pending *sp_ctl_defer(struct sp_ctl_req *req, sp_ctl_cancel_fn cancel, void *ctx)
{
	struct ctl_call *call = (struct ctl_call *)req;
	if (!call->in_handler || !call->conn)
		return NULL;
	struct sp_ctl_pending *p = call->pending;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return NULL;
		sp_buf_init(&p->body, call->srv->max_response);
		snprintf(p->cmd, sizeof(p->cmd), "%s", req->cmd);
		p->srv = call->srv;
		p->call.srv = call->srv;
		p->call.req.cmd = p->cmd;
		p->call.req.json = req->json;
		p->call.req.out = &p->body;
		call->pending = p;
	}
	p->cancel = cancel;
	p->ctx = ctx;
	return p;
}

struct sp_ctl_req *sp_ctl_pending_req(struct sp_ctl_pending *p)
{
	return &p->call.req;
}

static void pending_unlink(struct sp_ctl_pending *p)
{
	struct sp_ctl *s = p->srv;
	if (p->prev)
		p->prev->next = p->next;
	else
		s->pendings = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
	s->npending--;
}

/* -------------------------------------------------------- connections */

static void handle_closed(struct sp_ctl *s)
{
	assert(s->handles > 0);
	if (--s->handles == 0 && s->free_pending)
		free(s);
}

static void on_listener_closed(uv_handle_t *h)
{
	handle_closed(h->data);
}

static void on_conn_handle_closed(uv_handle_t *h)
{
	struct ctl_conn *c = h->data;
	struct sp_ctl *s = c->srv;
	if (--c->open_handles == 0) {
		sp_buf_deinit(&c->out);
		s->n_conns--;
		free(c);
	}
	handle_closed(s);
}

static void conn_close(struct ctl_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	struct sp_ctl *s = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	if (c->pending) {
		c->pending->conn = NULL; /* its reply, when it comes, goes nowhere */
		c->pending = NULL;
	}
	/* A write in flight is cancelled; its callback runs before these. */
	uv_close((uv_handle_t *)&c->pipe, on_conn_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

static void on_idle(uv_timer_t *t)
{
	struct ctl_conn *c = t->data;
	if (c->closing)
		return;
	if (!c->lingering)
		c->srv->st.closed_idle++;
	conn_close(c);
}

/* Progress: the idle timeout starts again (not while a deferred reply is pending). */
static void touch(struct ctl_conn *c)
{
	if (c->pending)
		return;
	uv_timer_start(&c->timer, on_idle, c->srv->idle_ms, 0);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct ctl_conn *c = h->data;
	size_t space = c->closing ? 0 : SP_CTL_LINE_MAX - c->in_len;
	/* 0 makes libuv report UV_ENOBUFS; on_read ignores it and kick stops reading. */
	*buf = uv_buf_init(space ? c->in + c->in_len : NULL, (unsigned)space);
}

static void on_alloc_discard(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct ctl_conn *c = h->data;
	*buf = uv_buf_init(c->srv->discard, sizeof(c->srv->discard));
}

static void on_read_discard(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	(void)buf;
	if (nread < 0) /* the peer's EOF (or an error): the linger is over */
		conn_close(st->data);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	(void)req;
	(void)status; /* the peer's EOF or the timer ends the linger */
}

/*
 * After an ERR that closes: the response has been written; send our EOF and
 * read (discarding) until the peer's, for at most SP_CTL_LINGER_MS, so that
 * the peer reads the response and then an EOF rather than a reset.
 */
static void conn_linger(struct ctl_conn *c)
{
	uv_stream_t *st = (uv_stream_t *)&c->pipe;
	c->lingering = true;
	if (c->reading)
		uv_read_stop(st);
	c->reading = false;
	if (c->eof || uv_shutdown(&c->sreq, st, on_shutdown) < 0 ||
	    uv_read_start(st, on_alloc_discard, on_read_discard) < 0) {
		conn_close(c);
		return;
	}
	c->reading = true;
	uv_timer_start(&c->timer, on_idle, SP_CTL_LINGER_MS, 0);
}

static void on_write(uv_write_t *req, int status);
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

/* Queues the response in c->out (res: execute's result); false when the connection closed. */
static bool conn_send(struct ctl_conn *c, int res)
{
	if (res < 0) {
		conn_close(c); /* no memory even for an error */
		return false;
	}
	if (res == SP_CTL_R_ERR_CLOSE)
		c->close_after = true;
	/* libuv wants char *; it only reads the buffer. */
	uv_buf_t b = uv_buf_init(c->out.data, (unsigned)c->out.len);
	if (uv_write(&c->wreq, (uv_stream_t *)&c->pipe, &b, 1, on_write) < 0) {
		conn_close(c);
		return false;
	}
	c->writing = true;
	return true;
}

/* Runs one request, queues its response; false when the connection closed. */
static bool conn_request(struct ctl_conn *c, const char *line, size_t len)
{
	struct sp_ctl_pending *p = NULL;
	int res = execute(c->srv, c, line, len, &c->out, &p);
	if (c->closing)
		return false; /* the handler stopped the server */
	if (res == CTL_R_DEFERRED) {
		/* The server works, the client waits: no idle timeout until the reply. */
		c->pending = p;
		uv_timer_stop(&c->timer);
		return true;
	}
	return conn_send(c, res);
}

/*
 * Whether the peer has closed its socket (not just shut down its sending
 * side): on a UNIX stream socket, POLLHUP means both directions are shut.
 */
static bool peer_gone(struct ctl_conn *c)
{
	uv_os_fd_t fd;
	if (uv_fileno((const uv_handle_t *)&c->pipe, &fd) < 0)
		return true;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR));
}

void sp_ctl_reply_done(struct sp_ctl_pending *p, int rc)
{
	struct sp_ctl *s = p->srv;
	struct ctl_conn *c = p->conn;
	pending_unlink(p);
	if (!c) {
		s->st.dropped++;
		pending_free(p);
		return;
	}
	c->pending = NULL;
	struct sp_ctl_req *req = &p->call.req;
	rc = handler_result(s, req, p->cmd, rc);
	int res = respond(s, req, rc, false, &c->out);
	pending_free(p);
	touch(c);
	(void)conn_send(c, res); /* on_write goes on with the requests that waited */
}

/* Drops in[0..n) (a line and its newline) from the input. */
static void consume(struct ctl_conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
	c->scanned = c->scanned > n ? c->scanned - n : 0;
}

/* After every event: answer what can be answered, then read or not, close or linger. */
static void conn_kick(struct ctl_conn *c)
{
	if (c->closing || c->lingering)
		return;
	if (c->pending && c->eof && peer_gone(c)) {
		conn_close(c); /* the client went while its reply was pending */
		return;
	}
	while (!c->writing && !c->close_after && !c->pending) {
		char *nl = memchr(c->in, '\n', c->in_len);
		if (nl) {
			size_t n = (size_t)(nl - c->in);
			/* The line runs while in[] holds it; consume after the call. */
			if (!conn_request(c, c->in, n))
				return;
			consume(c, n + 1);
		} else if (c->bad || c->in_len == SP_CTL_LINE_MAX || (c->eof && c->in_len)) {
			/* A partial line that can never be a request, or the last one. */
			if (!conn_request(c, c->in, c->in_len))
				return;
			consume(c, c->in_len);
		} else {
			break;
		}
	}
	if (!c->writing && !c->pending && (c->close_after || c->eof)) {
		if (c->close_after)
			conn_linger(c);
		else
			conn_close(c);
		return;
	}
	bool want = !c->eof && !c->writing && !c->close_after && c->in_len < SP_CTL_LINE_MAX;
	uv_stream_t *st = (uv_stream_t *)&c->pipe;
	if (want && !c->reading) {
		if (uv_read_start(st, on_alloc, on_read) < 0) {
			conn_close(c);
			return;
		}
		c->reading = true;
	} else if (!want && c->reading) {
		uv_read_stop(st);
		c->reading = false;
	}
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	(void)buf;
	struct ctl_conn *c = st->data;
	if (c->closing || c->lingering)
		return;
	if (nread > 0) {
		c->in_len += (size_t)nread;
		/* Binary input is refused at once, not when a newline comes (it may never). */
		for (; c->scanned < c->in_len && !c->bad; c->scanned++) {
			unsigned char ch = (unsigned char)c->in[c->scanned];
			c->bad = !((ch >= 0x20 && ch <= 0x7e) || ch == '\t' || ch == '\n' ||
				   ch == '\r');
		}
		touch(c);
	} else if (nread == UV_EOF) {
		c->eof = true;
		c->reading = false; /* libuv stops reading at EOF by itself */
	} else if (nread < 0 && nread != UV_ENOBUFS) {
		conn_close(c);
		return;
	}
	conn_kick(c);
}

static void on_write(uv_write_t *req, int status)
{
	struct ctl_conn *c = req->data;
	c->writing = false;
	if (c->closing || c->lingering)
		return; /* cancelled by a close */
	if (status < 0) {
		conn_close(c);
		return;
	}
	if (c->out.cap > CTL_KEEP_OUT)
		sp_buf_deinit(&c->out); /* a large response: give the memory back */
	else
		sp_buf_reset(&c->out);
	touch(c);
	conn_kick(c);
}

static void on_reject_closed(uv_handle_t *h)
{
	struct sp_ctl *s = h->data;
	free(h);
	handle_closed(s);
}

/* Accepts the pending connection, tells it the server is busy, and closes it. */
static void reject(struct sp_ctl *s, uv_stream_t *server)
{
	uv_pipe_t *p = malloc(sizeof(*p));
	if (!p) {
		s->st.accept_errors++; /* libuv pauses the listener until the next accept */
		return;
	}
	uv_pipe_init(s->loop, p, 0);
	p->data = s;
	s->handles++;
	if (uv_accept(server, (uv_stream_t *)p) == 0) {
		s->st.rejected++;
		/* A few octets into an empty socket buffer: written at once, or not at all. */
		uv_buf_t b = uv_buf_init(s->busy, (unsigned)s->busy_len);
		(void)uv_try_write((uv_stream_t *)p, &b, 1);
	} else {
		s->st.accept_errors++;
	}
	uv_close((uv_handle_t *)p, on_reject_closed);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct sp_ctl *s = server->data;
	if (status < 0) {
		s->st.accept_errors++;
		return;
	}
	if (s->stopped || s->n_conns >= s->max_conns) {
		reject(s, server);
		return;
	}
	struct ctl_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		reject(s, server);
		return;
	}
	c->srv = s;
	sp_buf_init(&c->out, s->max_response + CTL_HEADER_MAX);
	uv_pipe_init(s->loop, &c->pipe, 0);
	uv_timer_init(s->loop, &c->timer);
	c->pipe.data = c;
	c->timer.data = c;
	c->wreq.data = c;
	c->sreq.data = c;
	c->open_handles = 2;
	s->handles += 2;
	s->n_conns++;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
		s->st.accept_errors++;
		conn_close(c);
		return;
	}
	s->st.accepted++;
	touch(c);
	conn_kick(c);
}

/* ------------------------------------------------------------- server */

struct sp_ctl *sp_ctl_new(uv_loop_t *loop, const struct sp_ctl_cfg *cfg)
{
	if (!loop || !cfg || !cfg->path || cfg->max_conns == 0 || cfg->idle_ms == 0 ||
	    cfg->max_response == 0 || cfg->max_response > SIZE_MAX / 2)
		return NULL;
	size_t plen = strlen(cfg->path);
	if (plen == 0 || plen > SP_CTL_PATH_MAX || (cfg->mode & ~0777u) || (cfg->mode & 07))
		return NULL;

	struct sp_ctl *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->loop = loop;
	memcpy(s->path, cfg->path, plen + 1);
	s->mode = cfg->mode;
	s->max_conns = cfg->max_conns;
	s->idle_ms = cfg->idle_ms;
	s->max_response = cfg->max_response;

	char msg[96];
	snprintf(msg, sizeof(msg), "too many control connections (at most %u); try again later",
		 s->max_conns);
	struct sp_buf b;
	sp_buf_init(&b, sizeof(s->busy) - 1);
	frame_error(&b, false, msg);
	if (sp_buf_error(&b) == 0) {
		memcpy(s->busy, b.data, b.len);
		s->busy_len = b.len;
	}
	sp_buf_deinit(&b);
	if (s->busy_len == 0 || sp_ctl_register(s, "help", 0, 1, cmd_help, s, "[COMMAND]",
						"list the commands, or describe one") < 0) {
		sp_ctl_free(s);
		return NULL;
	}
	return s;
}

const char *sp_ctl_path(const struct sp_ctl *s)
{
	return s->path;
}

/*
 * An existing file at path: a stale socket is removed (0), anything else
 * refused: -EADDRINUSE when a server answers on it, DP_EEXIST when it is
 * not a socket.
 */
static int clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return DP_EEXIST;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ? 0 : errno;
	close(fd);
	switch (rc) {
	case 0:
	case EAGAIN: /* a listener whose backlog is full: alive */
	case EINPROGRESS: return -EADDRINUSE;
	case ECONNREFUSED: /* nobody listens: left by a process that died */
		if (unlink(sa->sun_path) < 0 && errno != ENOENT)
			return -errno;
		return 0;
	case ENOENT: return 0; /* gone meanwhile */
	default: return -rc;
	}
}

/* Socket, stale check, bind with the mode, listen; the fd or a negative code. */
static int open_socket(struct sp_ctl *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
	int rc = clear_stale(&sa);
	if (rc < 0)
		return rc;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/*
	 * On Linux the file bind() creates takes the socket inode's mode less the
	 * umask, so this keeps it from ever being more open than s->mode; the
	 * chmod after bind() then gives exactly s->mode (the umask may have
	 * taken bits away).
	 */
	if (fchmod(fd, s->mode) < 0)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	struct stat st;
	if (chmod(s->path, s->mode) < 0 || lstat(s->path, &st) < 0 || listen(fd, CTL_BACKLOG) < 0) {
		rc = -errno;
		unlink(s->path);
		close(fd);
		return rc;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->own_file = true;
	return fd;

fail:
	rc = -errno;
	close(fd);
	return rc;
}

static void remove_file(struct sp_ctl *s)
{
	struct stat st;
	if (!s->own_file)
		return;
	s->own_file = false;
	/* Only our socket: another server may have replaced a file we left. */
	if (lstat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
}

int sp_ctl_start(struct sp_ctl *s)
{
	if (!s || s->started || s->stopped)
		return DP_EINVAL;
	int fd = open_socket(s);
	if (fd < 0)
		return fd;
	s->started = true;
	uv_pipe_init(s->loop, &s->listener, 0);
	s->listener.data = s;
	s->listening = true;
	s->handles++;
	int rc = uv_pipe_open(&s->listener, fd);
	if (rc < 0)
		close(fd); /* not adopted */
	else
		rc = uv_listen((uv_stream_t *)&s->listener, CTL_BACKLOG, on_connection);
	if (rc < 0) {
		sp_ctl_stop(s); /* closes the handle (and the fd, if adopted), removes the file */
		return rc;
	}
	return 0;
}

void sp_ctl_stop(struct sp_ctl *s)
{
	if (!s || s->stopped)
		return;
	s->stopped = true;
	if (s->listening) {
		s->listening = false;
		uv_close((uv_handle_t *)&s->listener, on_listener_closed);
	}
	while (s->conns)
		conn_close(s->conns); /* unlinks it */
	while (s->pendings) {
		struct sp_ctl_pending *p = s->pendings;
		pending_unlink(p);
		s->st.dropped++;
		if (p->cancel)
			p->cancel(p->ctx, p);
		pending_free(p);
	}
	remove_file(s);
}

void sp_ctl_stats(const struct sp_ctl *s, struct sp_ctl_stats *out)
{
	*out = s->st;
	out->active = s->n_conns;
	out->pending = s->npending;
}

void sp_ctl_free(struct sp_ctl *s)
{
	if (!s)
		return;
	sp_ctl_stop(s);
	for (unsigned i = 0; i < s->ncmds; i++) {
		free(s->cmds[i].args);
		free(s->cmds[i].help);
	}
	free(s->cmds);
	s->cmds = NULL;
	s->ncmds = 0;
	if (s->handles == 0)
		free(s);
	else
		s->free_pending = true;
}
