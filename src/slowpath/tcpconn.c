/* SPDX-License-Identifier: BSD-3-Clause */
#include "slowpath/tcpconn.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"

struct sp_tcpconn {
	sp_tcp_answer_fn answer;
	void *ctx;
	uint64_t opened;  /* ms */
	uint64_t last_io; /* ms: last octets received or write completed */
	uint32_t idle_ms;
	uint32_t lifetime_ms;
	size_t out_limit;
	size_t out_cap;
	size_t in_head; /* in[in_head..in_tail) received, not yet answered */
	size_t in_tail;
	size_t out_len;	   /* out[0..out_len) queued responses */
	size_t out_flight; /* out[0..out_flight) handed to a write */
	uint8_t reason;	   /* enum sp_tcp_close */
	bool hard;	   /* closing without flushing */
	bool eof;
	bool stalled; /* a complete message waits for the output queue */
	struct sp_tcp_stats st;
	uint8_t *out; /* out_cap octets, its own allocation (so ASan sees both bounds) */
	uint8_t in[]; /* SP_TCP_IN_CAP octets, at the end of this allocation */
};

static const char *const close_names[SP_TCP_CLOSE__COUNT] = {
	[SP_TCP_CLOSE_NONE] = "none",
	[SP_TCP_CLOSE_EOF] = "eof",
	[SP_TCP_CLOSE_EOF_PARTIAL] = "eof-partial",
	[SP_TCP_CLOSE_ZERO] = "zero-length",
	[SP_TCP_CLOSE_SHORT] = "short",
	[SP_TCP_CLOSE_DROP] = "drop",
	[SP_TCP_CLOSE_ENGINE] = "engine",
	[SP_TCP_CLOSE_IDLE] = "idle",
	[SP_TCP_CLOSE_LIFETIME] = "lifetime",
	[SP_TCP_CLOSE_IO] = "io",
	[SP_TCP_CLOSE_SHUTDOWN] = "shutdown",
};

const char *sp_tcp_close_str(unsigned reason)
{
	return reason < SP_TCP_CLOSE__COUNT ? close_names[reason] : "?";
}

void sp_tcp_stats_add(struct sp_tcp_stats *dst, const struct sp_tcp_stats *src)
{
	dst->queries += src->queries;
	dst->responses += src->responses;
	dst->bytes_in += src->bytes_in;
	dst->bytes_out += src->bytes_out;
	dst->stalls += src->stalls;
	for (unsigned i = 0; i < SP_TCP_CLOSE__COUNT; i++)
		dst->closes[i] += src->closes[i];
}

void sp_tcpconn_cfg_init(struct sp_tcpconn_cfg *cfg)
{
	cfg->idle_ms = SP_TCP_IDLE_MS_DEFAULT;
	cfg->lifetime_ms = SP_TCP_LIFETIME_MS_DEFAULT;
	cfg->out_limit = SP_TCP_OUT_LIMIT_DEFAULT;
}

struct sp_tcpconn *sp_tcpconn_new(const struct sp_tcpconn_cfg *cfg, sp_tcp_answer_fn answer,
				  void *ctx, uint64_t now_ms)
{
	if (!cfg || !answer || cfg->idle_ms == 0 || cfg->out_limit > SP_TCP_OUT_LIMIT_MAX)
		return NULL;

	struct sp_tcpconn *c = malloc(sizeof(*c) + SP_TCP_IN_CAP);
	if (!c)
		goto fail;
	memset(c, 0, sizeof(*c));
	c->out_cap = SP_TCP_FRAME_MAX + (size_t)cfg->out_limit;
	c->out = malloc(c->out_cap);
	if (!c->out)
		goto fail_conn;

	c->answer = answer;
	c->ctx = ctx;
	c->opened = now_ms;
	c->last_io = now_ms;
	c->idle_ms = cfg->idle_ms;
	c->lifetime_ms = cfg->lifetime_ms;
	c->out_limit = cfg->out_limit;
	return c;

fail_conn:
	free(c);
fail:
	return NULL;
}

void sp_tcpconn_free(struct sp_tcpconn *c)
{
	if (!c)
		return;
	free(c->out);
	free(c);
}

/* Sets the close reason (the first one wins and is counted); drops unanswered input. */
static void set_reason(struct sp_tcpconn *c, enum sp_tcp_close reason, bool hard)
{
	assert(reason > SP_TCP_CLOSE_NONE && reason < SP_TCP_CLOSE__COUNT);
	if (c->reason == SP_TCP_CLOSE_NONE) {
		c->reason = (uint8_t)reason;
		c->st.closes[reason]++;
	}
	if (hard)
		c->hard = true;
	c->in_head = 0;
	c->in_tail = 0;
	c->stalled = false;
}

/*
 * Answers the query msg[0..len) into the tail of the output queue: prefix
 * placeholder, the query copied after it, then the callback rewrites it in
 * place with the whole 65535-octet capacity.  The caller checked that the
 * queue is within out_limit, so SP_TCP_FRAME_MAX octets are free.
 */
static void answer_one(struct sp_tcpconn *c, const uint8_t *msg, size_t len)
{
	assert(c->out_len <= c->out_limit);
	struct dns_wr w;
	dns_wr_init(&w, c->out + c->out_len, c->out_cap - c->out_len);
	dns_wr_u16(&w, 0);
	dns_wr_bytes(&w, msg, len);
	assert(w.err == 0 && dns_wr_left(&w) >= SP_TCP_MSG_MAX - len);

	c->st.queries++;
	size_t rlen = c->answer(c->ctx, w.buf + 2, len, SP_TCP_MSG_MAX);
	if (rlen == 0) {
		set_reason(c, SP_TCP_CLOSE_DROP, false);
		return;
	}
	if (rlen > SP_TCP_MSG_MAX) {
		set_reason(c, SP_TCP_CLOSE_ENGINE, false);
		return;
	}
	dns_wr_u16_at(&w, 0, (uint16_t)rlen);
	assert(w.err == 0);
	c->out_len += 2 + rlen;
	c->st.responses++;
}

/*
 * Answers complete messages in order while the output queue has room; closes
 * on a bad length as soon as its prefix is in.  After a peer EOF, closes
 * once nothing complete is left to answer.
 */
static void process(struct sp_tcpconn *c)
{
	while (c->reason == SP_TCP_CLOSE_NONE) {
		struct dns_rd r;
		dns_rd_init(&r, c->in, c->in_tail);
		dns_rd_seek(&r, c->in_head);
		uint16_t len = dns_rd_u16(&r);
		if (r.err)
			break; /* not even a prefix */
		if (len == 0) {
			set_reason(c, SP_TCP_CLOSE_ZERO, false);
			break;
		}
		if (len < SP_TCP_MSG_MIN) {
			set_reason(c, SP_TCP_CLOSE_SHORT, false);
			break;
		}
		if (dns_rd_left(&r) < len)
			break; /* the rest has not arrived */
		if (c->out_len > c->out_limit) {
			if (!c->stalled)
				c->st.stalls++;
			c->stalled = true;
			break;
		}
		c->stalled = false;
		const uint8_t *msg = dns_rd_ptr(&r, len);
		assert(msg);
		answer_one(c, msg, len);
		if (c->reason == SP_TCP_CLOSE_NONE)
			c->in_head = r.pos;
	}
	if (c->in_head == c->in_tail) {
		c->in_head = 0;
		c->in_tail = 0;
	}
	if (c->eof && c->reason == SP_TCP_CLOSE_NONE && !c->stalled)
		set_reason(c, c->in_tail ? SP_TCP_CLOSE_EOF_PARTIAL : SP_TCP_CLOSE_EOF, false);
}

bool sp_tcpconn_want_read(const struct sp_tcpconn *c)
{
	return c->reason == SP_TCP_CLOSE_NONE && !c->eof && c->out_len <= c->out_limit;
}

uint8_t *sp_tcpconn_rbuf(struct sp_tcpconn *c, size_t *space)
{
	*space = 0;
	if (!sp_tcpconn_want_read(c))
		return NULL;
	/*
	 * Everything complete has been answered (the queue is within its
	 * limit), so what is left is the start of one message, shorter than
	 * the buffer: moving it to the front makes room for all of it.  It
	 * moves at most once per message, since the head stays at 0 until
	 * that message is answered.
	 */
	if (c->in_head) {
		memmove(c->in, c->in + c->in_head, c->in_tail - c->in_head);
		c->in_tail -= c->in_head;
		c->in_head = 0;
	}
	assert(c->in_tail < SP_TCP_IN_CAP);
	*space = SP_TCP_IN_CAP - c->in_tail;
	return c->in + c->in_tail;
}

void sp_tcpconn_received(struct sp_tcpconn *c, size_t n, uint64_t now_ms)
{
	assert(n <= SP_TCP_IN_CAP - c->in_tail);
	if (n > SP_TCP_IN_CAP - c->in_tail)
		n = SP_TCP_IN_CAP - c->in_tail; /* caller bug; never run past the buffer */
	if (n == 0)
		return;
	c->st.bytes_in += n;
	c->last_io = now_ms;
	if (!sp_tcpconn_want_read(c))
		return; /* closing (or a read the caller should not have made): discard */
	c->in_tail += n;
	process(c);
}

size_t sp_tcpconn_feed(struct sp_tcpconn *c, const void *data, size_t len, uint64_t now_ms)
{
	struct dns_rd r;
	dns_rd_init(&r, data, len);
	while (dns_rd_left(&r)) {
		size_t space;
		uint8_t *p = sp_tcpconn_rbuf(c, &space);
		if (!p)
			break;
		size_t n = dns_rd_left(&r) < space ? dns_rd_left(&r) : space;
		dns_rd_bytes(&r, p, n);
		sp_tcpconn_received(c, n, now_ms);
	}
	return r.pos;
}

void sp_tcpconn_eof(struct sp_tcpconn *c, uint64_t now_ms)
{
	if (c->eof)
		return;
	c->eof = true;
	c->last_io = now_ms;
	if (c->reason == SP_TCP_CLOSE_NONE)
		process(c);
}

size_t sp_tcpconn_write_begin(struct sp_tcpconn *c, const uint8_t **buf)
{
	*buf = NULL;
	if (c->out_flight || c->out_len == 0 || c->hard)
		return 0;
	c->out_flight = c->out_len;
	*buf = c->out;
	return c->out_flight;
}

void sp_tcpconn_write_done(struct sp_tcpconn *c, uint64_t now_ms)
{
	assert(c->out_flight && c->out_flight <= c->out_len);
	if (!c->out_flight)
		return;
	c->st.bytes_out += c->out_flight;
	c->last_io = now_ms;
	/* Only now may the front move: the in-flight octets were the writer's until this call. */
	memmove(c->out, c->out + c->out_flight, c->out_len - c->out_flight);
	c->out_len -= c->out_flight;
	c->out_flight = 0;
	if (c->reason == SP_TCP_CLOSE_NONE)
		process(c);
}

void sp_tcpconn_close(struct sp_tcpconn *c, enum sp_tcp_close reason)
{
	if (reason <= SP_TCP_CLOSE_NONE || reason >= SP_TCP_CLOSE__COUNT)
		reason = SP_TCP_CLOSE_IO;
	set_reason(c, reason, true);
}

bool sp_tcpconn_done(const struct sp_tcpconn *c)
{
	return c->reason != SP_TCP_CLOSE_NONE && (c->hard || c->out_len == 0);
}

enum sp_tcp_close sp_tcpconn_close_reason(const struct sp_tcpconn *c)
{
	return (enum sp_tcp_close)c->reason;
}

uint64_t sp_tcpconn_deadline(const struct sp_tcpconn *c)
{
	uint64_t d = c->last_io + c->idle_ms;
	if (c->lifetime_ms && c->opened + c->lifetime_ms < d)
		d = c->opened + c->lifetime_ms;
	return d;
}

bool sp_tcpconn_expire(struct sp_tcpconn *c, uint64_t now_ms)
{
	if (c->lifetime_ms && now_ms >= c->opened + c->lifetime_ms)
		set_reason(c, SP_TCP_CLOSE_LIFETIME, true);
	else if (now_ms >= c->last_io + c->idle_ms)
		set_reason(c, SP_TCP_CLOSE_IDLE, true);
	return sp_tcpconn_done(c);
}

bool sp_tcpconn_idle(const struct sp_tcpconn *c, uint64_t *since)
{
	bool idle = c->reason == SP_TCP_CLOSE_NONE && !c->eof && c->in_tail == c->in_head &&
		    c->out_len == 0;
	if (idle && since)
		*since = c->last_io;
	return idle;
}

const struct sp_tcp_stats *sp_tcpconn_stats(const struct sp_tcpconn *c)
{
	return &c->st;
}

size_t sp_tcpconn_in_pending(const struct sp_tcpconn *c)
{
	return c->in_tail - c->in_head;
}

size_t sp_tcpconn_out_pending(const struct sp_tcpconn *c)
{
	return c->out_len;
}

size_t sp_tcpconn_out_cap(const struct sp_tcpconn *c)
{
	return c->out_cap;
}
