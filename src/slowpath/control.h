/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The control socket: a UNIX stream socket served on a libuv loop, through
 * which dpdnsctl (tools/dpdnsctl.c) runs commands that the host (the daemon)
 * registers.  doc/control.md is the reference for operators; in short:
 *
 * Request: one line of text, ended by "\n" ("\r\n" is accepted), at most
 * SP_CTL_LINE_MAX octets with the newline:
 *
 *	[--json] COMMAND [ARG ...]
 *
 * Words are separated by spaces or tabs; there is no quoting (command
 * arguments are zone names and the like, which have no spaces in
 * presentation format).  A leading word "--json" asks for a JSON response
 * body instead of text.  Octets allowed: printable ASCII, space and tab.
 *
 * Response: a header line, then exactly N octets of body:
 *
 *	OK N\n<N octets>        or        ERR N\n<N octets>
 *
 * N is decimal.  The length prefix makes the framing independent of the
 * body, whatever it contains.  A non-empty body ends with "\n".  An ERR
 * body is one line of text, or {"error":"..."} in JSON mode.
 *
 * A connection carries any number of requests, answered one at a time in
 * order; a client may send several at once.  Mistakes get an ERR and the
 * connection goes on (empty line, unknown command or option, wrong argument
 * count, handler errors), except for input that cannot be a request, which
 * gets an ERR and then a close: a line over SP_CTL_LINE_MAX octets, or an
 * octet that is not text (binary data).  The connection closes after
 * idle_ms without progress (no octet received, no response written), and
 * when the peer has closed and every request it sent has been answered (a
 * last line without a newline counts as a request).  Beyond max_conns, a
 * connection gets an ERR "too many control connections" and is closed.
 *
 * Commands: the host registers each with sp_ctl_register (name, argument
 * counts, handler, help).  Built in: "help [COMMAND]".  Handlers run on the
 * loop's thread, one at a time, and should return quickly: long work is
 * started, and either reported as started or answered later (a deferred
 * reply: sp_ctl_defer, sp_ctl_reply_done).  While a connection's request
 * waits for its deferred reply, the connection answers nothing else (later
 * requests wait, in order) and its idle timeout does not run; a client that
 * closes its socket meanwhile (both directions; a shutdown of its sending
 * side only still gets the answer) is dropped at once, and the reply, when
 * it comes, goes nowhere.
 *
 * The socket file: created with the configured mode (0660 by default; modes
 * with any permission for others are refused), set before bind(2) and
 * again after it, so it is never more open than that whatever the umask.
 * An existing file at the path is replaced only if it is a socket nobody
 * listens on (a stale one, left by a crash); a live socket is not stolen
 * (sp_ctl_start fails with -EADDRINUSE), and a file that is not a socket is
 * left alone.  sp_ctl_stop removes the file if it is still ours.
 *
 * Threads: everything runs on the loop's thread, callbacks included;
 * nothing locks (as in tcpserver.h).  The process must ignore SIGPIPE.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "slowpath/buf.h"

#define SP_CTL_LINE_MAX 4096u /* a request line, its newline included */
#define SP_CTL_ARGS_MAX 16u   /* words after the command */
#define SP_CTL_NAME_MAX 32u   /* octets of a command name */
#define SP_CTL_MSG_MAX 512u   /* octets of an error message */
#define SP_CTL_MAX_CONNS_DEFAULT 16u
#define SP_CTL_IDLE_MS_DEFAULT 60000u
#define SP_CTL_RESPONSE_MAX_DEFAULT (256u << 20) /* body octets; zone-show of a big zone */
#define SP_CTL_MODE_DEFAULT 0660u
#define SP_CTL_LINGER_MS 1000u /* after an ERR that closes: wait this long for the peer's EOF */
#define SP_CTL_PATH_MAX 107u   /* octets of a socket path (sun_path, less its NUL) */

struct sp_ctl_cfg {
	const char *path;    /* socket file, copied; 1..SP_CTL_PATH_MAX octets */
	unsigned mode;	     /* permission bits of the file; nothing for others (mode & 07 == 0) */
	unsigned max_conns;  /* >= 1 */
	uint32_t idle_ms;    /* > 0 */
	size_t max_response; /* > 0: body octets at most; larger responses become an ERR */
};

/*
 * Defaults: no path, SP_CTL_MODE_DEFAULT, SP_CTL_MAX_CONNS_DEFAULT,
 * SP_CTL_IDLE_MS_DEFAULT, SP_CTL_RESPONSE_MAX_DEFAULT.
 */
void sp_ctl_cfg_init(struct sp_ctl_cfg *cfg);

/* One request, as a handler sees it. */
struct sp_ctl_req {
	const char *cmd;	  /* the command name */
	const char *const *argv;  /* argc words after it, NUL-terminated */
	unsigned argc;		  /* within the command's registered range */
	bool json;		  /* the client asked for JSON (--json): write JSON to out */
	struct sp_buf *out;	  /* the response body, empty at the call */
	char msg[SP_CTL_MSG_MAX]; /* the error message, set by sp_ctl_fail */
};

/* A handler's return value: the reply comes later, through sp_ctl_reply_done. */
#define SP_CTL_DEFERRED 1

/*
 * A command handler, on the loop's thread.  Writes the body to req->out
 * (text lines, or one JSON value when req->json; sp_json helps) and
 * returns 0 for an OK response, or a negative dp_errcode for an ERR whose
 * message is set by sp_ctl_fail (dp_strerror(code) if not); on error what
 * it wrote is discarded.  If out ends in an error (over max_response, no
 * memory), the client gets an ERR saying so.  Or, after sp_ctl_defer, it
 * returns SP_CTL_DEFERRED and the reply comes later.  Any other positive
 * value is answered with an ERR "internal error".
 */
typedef int (*sp_ctl_fn)(void *ctx, struct sp_ctl_req *req);

/* Sets req's error message (printf format) and returns code (< 0) for the handler to return. */
int sp_ctl_fail(struct sp_ctl_req *req, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A request whose reply comes later (a deferred reply). */
struct sp_ctl_pending;

/*
 * Called when a pending request will never be completed because the server
 * stopped (sp_ctl_stop, sp_ctl_free): p is freed when this returns, and the
 * owner must forget it (not call sp_ctl_reply_done).  Loop thread.
 */
typedef void (*sp_ctl_cancel_fn)(void *ctx, struct sp_ctl_pending *p);

/*
 * From a handler, about to return SP_CTL_DEFERRED: takes req to answer
 * later.  Returns the handle, or NULL when the request cannot wait (out of
 * memory, or a request run by sp_ctl_execute, which has no connection); the
 * handler then answers as usual.  If the handler returns anything else than
 * SP_CTL_DEFERRED, the handle is dropped (cancel is not called) and the
 * reply is what it returned.  cancel (may be NULL) and ctx: see
 * sp_ctl_cancel_fn.  The handle stays valid until sp_ctl_reply_done or
 * cancel, whatever happens to the client; the server owns it.  Loop thread,
 * only from inside the handler that got req.
 */
struct sp_ctl_pending *sp_ctl_defer(struct sp_ctl_req *req, sp_ctl_cancel_fn cancel, void *ctx)
	__attribute__((warn_unused_result));

/*
 * The request of a pending reply, for writing the answer: its out (empty)
 * and msg (sp_ctl_fail) as a handler would; json and cmd are those of the
 * request; argv and argc are gone (NULL, 0: copy what is needed before
 * deferring).  Valid until sp_ctl_reply_done or cancel.  Loop thread.
 */
struct sp_ctl_req *sp_ctl_pending_req(struct sp_ctl_pending *p);

/*
 * Completes p with rc, as a handler's return value (0: OK with the body
 * written to sp_ctl_pending_req(p)->out; < 0: ERR with its msg) and frees
 * it.  If the client has gone, the reply is dropped (counted in
 * sp_ctl_stats.dropped).  Otherwise it is written and the connection goes
 * on with the requests that waited.  Loop thread, not from inside the
 * handler that deferred (return SP_CTL_DEFERRED first), and never after
 * cancel.
 */
void sp_ctl_reply_done(struct sp_ctl_pending *p, int rc);

struct sp_ctl_stats {
	uint64_t accepted;	  /* connections served */
	uint64_t rejected;	  /* over max_conns (or no memory): ERR and closed */
	uint64_t accept_errors;	  /* failed accepts */
	uint64_t requests;	  /* requests answered */
	uint64_t errors;	  /* of those, answered with ERR */
	uint64_t closed_overlong; /* connections closed for a line over SP_CTL_LINE_MAX */
	uint64_t closed_binary;	  /* ... for a non-text octet */
	uint64_t closed_idle;	  /* ... for idle_ms without progress */
	uint64_t deferred;	  /* requests whose handler deferred the reply */
	uint64_t dropped;	  /* ... never answered: the client went, or the server stopped */
	unsigned pending;	  /* deferred requests not completed yet */
	unsigned active;	  /* connections open (or closing) now */
};

struct sp_ctl;

/*
 * New control server on loop.  Checks cfg (path length, mode, limits) and
 * copies what it needs; opens nothing.  "help" is registered.  Returns NULL
 * on a bad cfg or no memory; the caller owns the result (sp_ctl_free).
 * Loop thread.
 */
struct sp_ctl *sp_ctl_new(uv_loop_t *loop, const struct sp_ctl_cfg *cfg)
	__attribute__((warn_unused_result));

/*
 * Registers command name ([a-z0-9][a-z0-9-]*, at most SP_CTL_NAME_MAX
 * octets) taking min_args..max_args arguments (max_args <= SP_CTL_ARGS_MAX),
 * handled by fn(ctx, req).  args is the argument synopsis for help ("ZONE",
 * "[ZONE]", "" or NULL when none) and help a one-line description; both are
 * copied.  Returns 0, DP_EINVAL (bad name or counts, NULL fn or help),
 * DP_EEXIST (name taken, "help" included) or DP_ENOMEM.  Before or after
 * sp_ctl_start; loop thread.
 */
int sp_ctl_register(struct sp_ctl *s, const char *name, unsigned min_args, unsigned max_args,
		    sp_ctl_fn fn, void *ctx, const char *args, const char *help)
	__attribute__((warn_unused_result));

/*
 * Creates the socket file and listens.  Returns 0, or: DP_EINVAL (already
 * started or stopped), -EADDRINUSE (a server listens on the path),
 * DP_EEXIST (the path exists and is not a socket), or another negative
 * errno (the directory is missing, no permission, ...).  On failure nothing
 * stays open and an existing file is left as it was (unless it was a stale
 * socket, which is gone).  Loop thread.
 */
int sp_ctl_start(struct sp_ctl *s) __attribute__((warn_unused_result));

/* The socket path (as configured). */
const char *sp_ctl_path(const struct sp_ctl *s);

/*
 * Stops: closes the listener and every connection (unanswered requests are
 * dropped; every pending reply is cancelled: its cancel callback runs, then
 * the handle is freed) and removes the socket file if it is still the one this server
 * created.  Idempotent.  The server then holds no active handle, so the
 * loop can end.  Loop thread, from any callback (a handler included: the
 * response to that request is not sent).
 */
void sp_ctl_stop(struct sp_ctl *s);

void sp_ctl_stats(const struct sp_ctl *s, struct sp_ctl_stats *out);

/*
 * Stops s if needed and frees it; NULL is a no-op.  As with
 * sp_tcpserver_free, the memory goes once the last handle has closed, so the
 * loop must run again before uv_loop_close.  Not from a handler (which may
 * call sp_ctl_stop instead).
 */
void sp_ctl_free(struct sp_ctl *s);

/* ---- the request layer without I/O (tests, fuzzing) ---- */

enum sp_ctl_result {
	SP_CTL_R_OK,	    /* an OK response */
	SP_CTL_R_ERR,	    /* an ERR response; the connection goes on */
	SP_CTL_R_ERR_CLOSE, /* an ERR response, after which the connection closes */
};

/*
 * Runs the request line[0..len) (without its "\n"; a trailing "\r" is
 * dropped) and appends the whole response, header and body, to resp.
 * A handler that defers gets NULL from sp_ctl_defer here (no connection to
 * answer later), and a handler returning SP_CTL_DEFERRED anyway gets an
 * ERR "internal error".
 * Returns an enum sp_ctl_result, or DP_ENOMEM when not even an error
 * response could be written (resp is then truncated back to its length at
 * the call) or resp already had an error.  Counts the request in the
 * stats.  Loop thread (handlers run).
 */
int sp_ctl_execute(struct sp_ctl *s, const char *line, size_t len, struct sp_buf *resp)
	__attribute__((warn_unused_result));
