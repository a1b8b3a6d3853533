/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS over TCP connection state machine (src/slowpath/tcpconn.h): framing in
 * every split, pipelining order, closes, backpressure, deadlines, counters.
 * No sockets: bytes in with sp_tcpconn_feed, bytes out with write_begin/done.
 */
#include "slowpath/tcpconn.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sptest.h"

/* ---- a test engine ---- */

struct eng {
	unsigned calls;
	uint16_t ids[1024]; /* query IDs in the order answered */
	size_t grow;	    /* response = query + grow octets (capped at cap) */
	bool drop;	    /* drop the query whose ID is drop_id */
	uint16_t drop_id;
	bool overflow; /* claim a response longer than cap */
};

static size_t eng_answer(void *ctx, uint8_t *msg, size_t len, size_t cap)
{
	struct eng *e = ctx;
	cr_assert_eq(cap, SP_TCP_MSG_MAX);
	cr_assert_geq(len, SP_TCP_MSG_MIN);
	uint16_t id = (uint16_t)(msg[0] << 8 | msg[1]);
	if (e->calls < 1024)
		e->ids[e->calls] = id;
	e->calls++;
	if (e->drop && id == e->drop_id)
		return 0;
	if (e->overflow)
		return cap + 1;
	msg[2] |= 0x80; /* QR */
	size_t rlen = len + e->grow > cap ? cap : len + e->grow;
	memset(msg + len, 0xab, rlen - len);
	return rlen;
}

/* Writes a framed query of message length len (>= 12 unless testing) with ID id. */
static size_t mkq(uint8_t *out, uint16_t id, size_t len)
{
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	for (size_t i = 0; i < len; i++)
		out[2 + i] = (uint8_t)(i * 7 + 1);
	if (len >= 2) {
		out[2] = (uint8_t)(id >> 8);
		out[3] = (uint8_t)id;
	}
	if (len >= 3)
		out[4] = 0x01; /* RD, QR clear */
	return 2 + len;
}

/* Everything the connection writes, with each write completed at once. */
struct sink {
	uint8_t *buf;
	size_t len, cap;
	unsigned writes;
};

static void sink_init(struct sink *s)
{
	s->cap = 1u << 22;
	s->buf = malloc(s->cap);
	cr_assert_not_null(s->buf);
	s->len = 0;
	s->writes = 0;
}

/* Completes one write if there is one; returns its length. */
static size_t drain_one(struct sp_tcpconn *c, struct sink *s, uint64_t now)
{
	const uint8_t *p;
	size_t n = sp_tcpconn_write_begin(c, &p);
	if (!n)
		return 0;
	cr_assert_leq(n, sp_tcpconn_out_cap(c));
	cr_assert_leq(s->len + n, s->cap);
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->writes++;
	sp_tcpconn_write_done(c, now);
	return n;
}

static void drain(struct sp_tcpconn *c, struct sink *s, uint64_t now)
{
	while (drain_one(c, s, now))
		;
}

/*
 * Checks the sink holds exactly n framed responses with IDs first, first+1,
 * ..., each with QR set and length qlen + grow.
 */
static void check_responses(const struct sink *s, unsigned n, uint16_t first, size_t rlen)
{
	size_t off = 0;
	for (unsigned i = 0; i < n; i++) {
		cr_assert_leq(off + 2, s->len, "response %u missing", i);
		size_t len = (size_t)s->buf[off] << 8 | s->buf[off + 1];
		cr_assert_eq(len, rlen, "response %u: length %zu, want %zu", i, len, rlen);
		cr_assert_leq(off + 2 + len, s->len);
		uint16_t id = (uint16_t)(s->buf[off + 2] << 8 | s->buf[off + 3]);
		cr_assert_eq(id, (uint16_t)(first + i), "response %u: id %u", i, id);
		cr_assert(s->buf[off + 4] & 0x80, "response %u: QR clear", i);
		off += 2 + len;
	}
	cr_assert_eq(off, s->len, "%zu octets after %u responses", s->len - off, n);
}

static struct sp_tcpconn *mkconn(struct eng *e, uint32_t out_limit, uint64_t now)
{
	struct sp_tcpconn_cfg cfg;
	sp_tcpconn_cfg_init(&cfg);
	cfg.out_limit = out_limit;
	struct sp_tcpconn *c = sp_tcpconn_new(&cfg, eng_answer, e, now);
	cr_assert_not_null(c);
	return c;
}

/* ---- construction ---- */

Test(tcpconn, cfg_defaults)
{
	struct sp_tcpconn_cfg cfg;
	sp_tcpconn_cfg_init(&cfg);
	cr_assert_eq(cfg.idle_ms, 10000);
	cr_assert_eq(cfg.lifetime_ms, SP_TCP_LIFETIME_MS_DEFAULT);
	cr_assert_eq(cfg.out_limit, SP_TCP_OUT_LIMIT_DEFAULT);
	sptest_leak_check();
}

Test(tcpconn, new_rejects_bad_cfg)
{
	struct eng e = { 0 };
	struct sp_tcpconn_cfg cfg;
	sp_tcpconn_cfg_init(&cfg);
	cr_assert_null(sp_tcpconn_new(NULL, eng_answer, &e, 0));
	cr_assert_null(sp_tcpconn_new(&cfg, NULL, &e, 0));
	cfg.idle_ms = 0;
	cr_assert_null(sp_tcpconn_new(&cfg, eng_answer, &e, 0));
	sp_tcpconn_cfg_init(&cfg);
	cfg.out_limit = SP_TCP_OUT_LIMIT_MAX + 1;
	cr_assert_null(sp_tcpconn_new(&cfg, eng_answer, &e, 0));
	cfg.out_limit = SP_TCP_OUT_LIMIT_MAX;
	struct sp_tcpconn *c = sp_tcpconn_new(&cfg, eng_answer, &e, 0);
	cr_assert_not_null(c);
	cr_assert_eq(sp_tcpconn_out_cap(c), SP_TCP_FRAME_MAX + SP_TCP_OUT_LIMIT_MAX);
	sp_tcpconn_free(c);
	sp_tcpconn_free(NULL);
	sptest_leak_check();
}

Test(tcpconn, fresh_state)
{
	struct eng e = { 0 };
	struct sp_tcpconn *c = mkconn(&e, 100, 5000);
	uint64_t since = 0;
	cr_assert(sp_tcpconn_want_read(c));
	cr_assert(sp_tcpconn_idle(c, &since));
	cr_assert_eq(since, 5000);
	cr_assert_not(sp_tcpconn_done(c));
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_NONE);
	const uint8_t *p = (const uint8_t *)1;
	cr_assert_eq(sp_tcpconn_write_begin(c, &p), 0);
	cr_assert_null(p);
	size_t space;
	cr_assert_not_null(sp_tcpconn_rbuf(c, &space));
	cr_assert_eq(space, SP_TCP_IN_CAP);
	sp_tcpconn_free(c);
	sptest_leak_check();
}

/* ---- framing ---- */

Test(tcpconn, whole_message)
{
	struct eng e = { 0 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
	uint8_t q[64];
	size_t n = mkq(q, 0x1234, 30);
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 1), n);
	cr_assert_eq(e.calls, 1);
	cr_assert_eq(sp_tcpconn_in_pending(c), 0);
	cr_assert_eq(sp_tcpconn_out_pending(c), 32);
	cr_assert_not(sp_tcpconn_idle(c, NULL));
	drain(c, &s, 2);
	check_responses(&s, 1, 0x1234, 30);
	cr_assert_eq(memcmp(s.buf + 5, q + 5, 27), 0, "body changed");
	cr_assert(sp_tcpconn_idle(c, NULL));
	const struct sp_tcp_stats *st = sp_tcpconn_stats(c);
	cr_assert_eq(st->queries, 1);
	cr_assert_eq(st->responses, 1);
	cr_assert_eq(st->bytes_in, 32);
	cr_assert_eq(st->bytes_out, 32);
	sp_tcpconn_free(c);
	free(s.buf);
	sptest_leak_check();
}

Test(tcpconn, byte_by_byte)
{
	struct eng e = { 0 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
	uint8_t q[3 * 600];
	size_t n = 0;
	for (unsigned i = 0; i < 3; i++)
		n += mkq(q + n, (uint16_t)(100 + i), 12 + 200 * i);
	size_t ends[3] = { 14, 14 + 214, n };
	unsigned k = 0;
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(sp_tcpconn_feed(c, q + i, 1, i), 1);
		if (k < 3 && i + 1 == ends[k])
			k++;
		cr_assert_eq(e.calls, k, "after %zu octets: %u answers, want %u", i + 1, e.calls,
			     k);
		drain(c, &s, i);
	}
	cr_assert_eq(s.writes, 3);
	size_t off = 0;
	for (unsigned i = 0; i < 3; i++) {
		size_t len = (size_t)s.buf[off] << 8 | s.buf[off + 1];
		cr_assert_eq(len, 12 + 200 * i);
		cr_assert_eq(s.buf[off + 3], 100 + i);
		off += 2 + len;
	}
	cr_assert_eq(off, s.len);
	sp_tcpconn_free(c);
	free(s.buf);
	sptest_leak_check();
}

Test(tcpconn, prefix_split_across_reads)
{
	struct eng e = { 0 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
	uint8_t q[2 * 300];
	size_t n1 = mkq(q, 1, 260); /* prefix 0x01 0x04: both octets matter */
	size_t n2 = mkq(q + n1, 2, 300);
	/* First message plus the first prefix octet of the second. */
	cr_assert_eq(sp_tcpconn_feed(c, q, n1 + 1, 0), n1 + 1);
	cr_assert_eq(e.calls, 1);
	cr_assert_eq(sp_tcpconn_in_pending(c), 1);
	cr_assert_eq(sp_tcpconn_feed(c, q + n1 + 1, 1, 0), 1);
	cr_assert_eq(e.calls, 1);
	cr_assert_eq(sp_tcpconn_feed(c, q + n1 + 2, n2 - 2, 0), n2 - 2);
	cr_assert_eq(e.calls, 2);
	drain(c, &s, 0);
	cr_assert_eq(s.len, n1 + n2);
	cr_assert_eq(s.buf[n1 + 1], 300 & 0xff);
	cr_assert_eq(s.buf[n1 + 3], 2);
	sp_tcpconn_free(c);
	free(s.buf);
	sptest_leak_check();
}

Test(tcpconn, split_after_prefix_and_mid_body)
{
	struct eng e = { 0 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
	uint8_t q[100];
	size_t n = mkq(q, 7, 40);
	size_t cuts[] = { 2, 3, 14, 41, n };
	size_t prev = 0;
	for (unsigned i = 0; i < 5; i++) {
		cr_assert_eq(sp_tcpconn_feed(c, q + prev, cuts[i] - prev, 0), cuts[i] - prev);
		cr_assert_eq(e.calls, i == 4 ? 1u : 0u);
		prev = cuts[i];
	}
	drain(c, &s, 0);
	check_responses(&s, 1, 7, 40);
	sp_tcpconn_free(c);
	free(s.buf);
	sptest_leak_check();
}

Test(tcpconn, every_split_point_of_two_messages)
{
	uint8_t q[200];
	size_t n = mkq(q, 1, 50);
	n += mkq(q + n, 2, 60);
	for (size_t cut = 0; cut <= n; cut++) {
		struct eng e = { 0 };
		struct sink s;
		sink_init(&s);
		struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
		cr_assert_eq(sp_tcpconn_feed(c, q, cut, 0), cut);
		cr_assert_eq(sp_tcpconn_feed(c, q + cut, n - cut, 0), n - cut);
		cr_assert_eq(e.calls, 2, "cut %zu", cut);
		drain(c, &s, 0);
		cr_assert_eq(s.len, n);
		cr_assert_eq(s.buf[3], 1);
		cr_assert_eq(s.buf[52 + 3], 2);
		sp_tcpconn_free(c);
		free(s.buf);
	}
	sptest_leak_check();
}

Test(tcpconn, many_messages_in_one_feed_pipelined)
{
	struct eng e = { .grow = 100 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
	enum {
		N = 50
	};
	uint8_t q[N * 40];
	size_t n = 0;
	for (unsigned i = 0; i < N; i++)
		n += mkq(q + n, (uint16_t)(1000 + i), 30);
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 0), n);
	/* All answered in one go, in order, and coalesced into one write. */
	cr_assert_eq(e.calls, N);
	for (unsigned i = 0; i < N; i++)
		cr_assert_eq(e.ids[i], 1000 + i);
	cr_assert_eq(drain_one(c, &s, 0), N * (2 + 130));
	cr_assert_eq(s.writes, 1);
	check_responses(&s, N, 1000, 130);
	sp_tcpconn_free(c);
	free(s.buf);
	sptest_leak_check();
}

Test(tcpconn, responses_queued_during_a_write_go_in_the_next)
{
	struct eng e = { 0 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
	uint8_t q[64];
	const uint8_t *p1, *p2;
	size_t n = mkq(q, 1, 20);
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 0), n);
	size_t w1 = sp_tcpconn_write_begin(c, &p1);
	cr_assert_eq(w1, 22);
	uint8_t copy[22];
	memcpy(copy, p1, 22);
	/* Two more answered while the first write is in flight. */
	mkq(q, 2, 20);
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 0), n);
	mkq(q, 3, 20);
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 0), n);
	cr_assert_eq(e.calls, 3);
	cr_assert_eq(sp_tcpconn_write_begin(c, &p2), 0, "second write while one is in flight");
	cr_assert_eq(memcmp(p1, copy, 22), 0, "in-flight octets moved");
	cr_assert_eq(sp_tcpconn_out_pending(c), 66);
	sp_tcpconn_write_done(c, 0);
	cr_assert_eq(sp_tcpconn_write_begin(c, &p2), 44);
	cr_assert_eq(p2[3], 2);
	cr_assert_eq(p2[22 + 3], 3);
	sp_tcpconn_write_done(c, 0);
	cr_assert_eq(sp_tcpconn_out_pending(c), 0);
	sp_tcpconn_free(c);
	free(s.buf);
	sptest_leak_check();
}

Test(tcpconn, largest_message)
{
	struct eng e = { 0 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn *c = mkconn(&e, 0, 0);
	uint8_t *q = malloc(2 * SP_TCP_FRAME_MAX);
	size_t n = mkq(q, 0xfffe, SP_TCP_MSG_MAX);
	n += mkq(q + n, 0xffff, 12);
	/* In chunks of 1000: the second message arrives with the end of the first. */
	size_t off = 0;
	while (off < n) {
		size_t k = n - off < 1000 ? n - off : 1000;
		size_t took = sp_tcpconn_feed(c, q + off, k, 0);
		off += took;
		if (took < k)
			drain(c, &s, 0); /* out_limit 0: one response at a time */
	}
	drain(c, &s, 0);
	cr_assert_eq(e.calls, 2);
	cr_assert_eq(s.len, n);
	cr_assert_eq(s.buf[0], 0xff);
	cr_assert_eq(s.buf[1], 0xff);
	cr_assert_eq(s.buf[SP_TCP_FRAME_MAX + 3], 0xff);
	sp_tcpconn_free(c);
	free(q);
	free(s.buf);
	sptest_leak_check();
}

Test(tcpconn, input_buffer_is_bounded)
{
	struct eng e = { 0 };
	struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
	uint8_t *q = calloc(1, 3 * SP_TCP_FRAME_MAX);
	/* A partial largest message: all of it fits, nothing more arrives. */
	mkq(q, 9, SP_TCP_MSG_MAX);
	cr_assert_eq(sp_tcpconn_feed(c, q, SP_TCP_FRAME_MAX - 1, 0), SP_TCP_FRAME_MAX - 1);
	cr_assert_eq(sp_tcpconn_in_pending(c), SP_TCP_FRAME_MAX - 1);
	size_t space;
	cr_assert_not_null(sp_tcpconn_rbuf(c, &space));
	cr_assert_eq(space, 1);
	sp_tcpconn_free(c);

	/* Responses growing to 65535 with out_limit 0: it takes one, then stops. */
	struct eng big = { .grow = SP_TCP_MSG_MAX };
	c = mkconn(&big, 0, 0);
	size_t n = 0;
	for (unsigned i = 0; i < 10000; i++)
		n += mkq(q + n, (uint16_t)i, 12);
	cr_assert_leq(n, 3 * SP_TCP_FRAME_MAX);
	size_t took = sp_tcpconn_feed(c, q, n, 0);
	cr_assert_eq(big.calls, 1);
	cr_assert_eq(took, SP_TCP_IN_CAP, "took %zu of %zu", took, n);
	cr_assert_not(sp_tcpconn_want_read(c));
	cr_assert_null(sp_tcpconn_rbuf(c, &space));
	cr_assert_eq(space, 0);
	cr_assert_leq(sp_tcpconn_out_pending(c), sp_tcpconn_out_cap(c));
	sp_tcpconn_free(c);
	free(q);
	sptest_leak_check();
}

/* ---- closes ---- */

Test(tcpconn, zero_length_closes_after_flushing_earlier_answers)
{
	struct eng e = { 0 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
	uint8_t q[200];
	size_t n = mkq(q, 1, 20);
	q[n++] = 0;
	q[n++] = 0;
	n += mkq(q + n, 2, 20); /* after the bad one: never answered */
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 0), n);
	cr_assert_eq(e.calls, 1);
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_ZERO);
	cr_assert_not(sp_tcpconn_want_read(c));
	cr_assert_not(sp_tcpconn_done(c), "closed before flushing");
	cr_assert_eq(sp_tcpconn_in_pending(c), 0);
	drain(c, &s, 0);
	check_responses(&s, 1, 1, 20);
	cr_assert(sp_tcpconn_done(c));
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 0), 0, "input taken after close");
	const struct sp_tcp_stats *st = sp_tcpconn_stats(c);
	cr_assert_eq(st->closes[SP_TCP_CLOSE_ZERO], 1);
	cr_assert_eq(st->queries, 1);
	sp_tcpconn_free(c);
	free(s.buf);
	sptest_leak_check();
}

Test(tcpconn, zero_length_alone_closes_at_once)
{
	struct eng e = { 0 };
	struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
	cr_assert_eq(sp_tcpconn_feed(c, "\0", 1, 0), 1);
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_NONE);
	cr_assert_eq(sp_tcpconn_feed(c, "\0", 1, 0), 1);
	cr_assert(sp_tcpconn_done(c));
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_ZERO);
	cr_assert_eq(e.calls, 0);
	sp_tcpconn_free(c);
	sptest_leak_check();
}

Test(tcpconn, short_message_closes_on_its_prefix)
{
	for (unsigned len = 1; len < SP_TCP_MSG_MIN; len++) {
		struct eng e = { 0 };
		struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
		uint8_t pfx[2] = { 0, (uint8_t)len };
		/* Closed on the prefix alone: no need to wait for the body. */
		cr_assert_eq(sp_tcpconn_feed(c, pfx, 2, 0), 2);
		cr_assert(sp_tcpconn_done(c), "len %u", len);
		cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_SHORT);
		cr_assert_eq(sp_tcpconn_stats(c)->closes[SP_TCP_CLOSE_SHORT], 1);
		cr_assert_eq(e.calls, 0);
		sp_tcpconn_free(c);
	}
	sptest_leak_check();
}

Test(tcpconn, header_sized_message_is_answered)
{
	struct eng e = { 0 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
	uint8_t q[20];
	size_t n = mkq(q, 5, SP_TCP_MSG_MIN);
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 0), n);
	drain(c, &s, 0);
	check_responses(&s, 1, 5, SP_TCP_MSG_MIN);
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_NONE);
	sp_tcpconn_free(c);
	free(s.buf);
	sptest_leak_check();
}

Test(tcpconn, engine_drop_closes)
{
	struct eng e = { .drop = true, .drop_id = 3 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
	uint8_t q[400];
	size_t n = 0;
	for (unsigned i = 1; i <= 5; i++)
		n += mkq(q + n, (uint16_t)i, 20);
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 0), n);
	cr_assert_eq(e.calls, 3, "answered past the dropped query");
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_DROP);
	cr_assert_not(sp_tcpconn_done(c));
	drain(c, &s, 0);
	check_responses(&s, 2, 1, 20);
	cr_assert(sp_tcpconn_done(c));
	const struct sp_tcp_stats *st = sp_tcpconn_stats(c);
	cr_assert_eq(st->queries, 3);
	cr_assert_eq(st->responses, 2);
	cr_assert_eq(st->closes[SP_TCP_CLOSE_DROP], 1);
	sp_tcpconn_free(c);
	free(s.buf);
	sptest_leak_check();
}

Test(tcpconn, engine_overflow_closes)
{
	struct eng e = { .overflow = true };
	struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
	uint8_t q[40];
	size_t n = mkq(q, 1, 20);
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 0), n);
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_ENGINE);
	cr_assert(sp_tcpconn_done(c));
	cr_assert_eq(sp_tcpconn_out_pending(c), 0);
	sp_tcpconn_free(c);
	sptest_leak_check();
}

Test(tcpconn, eof_answers_complete_then_closes)
{
	struct eng e = { 0 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
	uint8_t q[100];
	size_t n = mkq(q, 1, 20);
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 0), n);
	sp_tcpconn_eof(c, 1);
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_EOF);
	cr_assert_not(sp_tcpconn_want_read(c));
	cr_assert_not(sp_tcpconn_done(c));
	drain(c, &s, 2);
	check_responses(&s, 1, 1, 20);
	cr_assert(sp_tcpconn_done(c));
	sp_tcpconn_free(c);

	/* With a partial message left over. */
	memset(&e, 0, sizeof(e));
	c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
	cr_assert_eq(sp_tcpconn_feed(c, q, 5, 0), 5);
	sp_tcpconn_eof(c, 1);
	cr_assert(sp_tcpconn_done(c));
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_EOF_PARTIAL);
	cr_assert_eq(sp_tcpconn_stats(c)->closes[SP_TCP_CLOSE_EOF_PARTIAL], 1);
	sp_tcpconn_free(c);
	free(s.buf);
	sptest_leak_check();
}

Test(tcpconn, eof_while_stalled_answers_the_rest)
{
	struct eng e = { .grow = 1000 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn *c = mkconn(&e, 0, 0);
	uint8_t q[400];
	size_t n = 0;
	for (unsigned i = 0; i < 4; i++)
		n += mkq(q + n, (uint16_t)(10 + i), 20);
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 0), n);
	cr_assert_eq(e.calls, 1);
	sp_tcpconn_eof(c, 0);
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_NONE, "closed with queries waiting");
	drain(c, &s, 0);
	cr_assert_eq(e.calls, 4);
	check_responses(&s, 4, 10, 1020);
	cr_assert(sp_tcpconn_done(c));
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_EOF);
	sp_tcpconn_free(c);
	free(s.buf);
	sptest_leak_check();
}

Test(tcpconn, hard_close_drops_output)
{
	struct eng e = { 0 };
	struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
	uint8_t q[40];
	size_t n = mkq(q, 1, 20);
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 0), n);
	sp_tcpconn_close(c, SP_TCP_CLOSE_SHUTDOWN);
	cr_assert(sp_tcpconn_done(c));
	const uint8_t *p;
	cr_assert_eq(sp_tcpconn_write_begin(c, &p), 0);
	/* The first reason stays. */
	sp_tcpconn_close(c, SP_TCP_CLOSE_IO);
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_SHUTDOWN);
	cr_assert_eq(sp_tcpconn_stats(c)->closes[SP_TCP_CLOSE_SHUTDOWN], 1);
	cr_assert_eq(sp_tcpconn_stats(c)->closes[SP_TCP_CLOSE_IO], 0);
	sp_tcpconn_free(c);
	sptest_leak_check();
}

Test(tcpconn, close_str)
{
	cr_assert_str_eq(sp_tcp_close_str(SP_TCP_CLOSE_IDLE), "idle");
	cr_assert_str_eq(sp_tcp_close_str(SP_TCP_CLOSE_ZERO), "zero-length");
	cr_assert_str_eq(sp_tcp_close_str(SP_TCP_CLOSE__COUNT), "?");
	for (unsigned i = 0; i < SP_TCP_CLOSE__COUNT; i++)
		cr_assert_not_null(sp_tcp_close_str(i));
	sptest_leak_check();
}

/* ---- backpressure ---- */

Test(tcpconn, backpressure_stops_reading_and_resumes)
{
	/* Responses of 2000 octets against a limit of 3000: two fit, then stop. */
	struct eng e = { .grow = 2000 - 20 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn *c = mkconn(&e, 3000, 0);
	enum {
		N = 10
	};
	uint8_t q[N * 22];
	size_t n = 0;
	for (unsigned i = 0; i < N; i++)
		n += mkq(q + n, (uint16_t)(500 + i), 20);
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 0), n);
	cr_assert_eq(e.calls, 2);
	cr_assert_eq(sp_tcpconn_out_pending(c), 2 * 2002);
	cr_assert_not(sp_tcpconn_want_read(c));
	cr_assert_eq(sp_tcpconn_feed(c, q, 1, 0), 0, "took input while stalled");
	cr_assert_eq(sp_tcpconn_in_pending(c), (N - 2) * 22);
	cr_assert_eq(sp_tcpconn_stats(c)->stalls, 1);

	/* Each completed write lets more through, still in order. */
	unsigned rounds = 0;
	while (drain_one(c, &s, 0))
		rounds++;
	cr_assert_eq(e.calls, N);
	cr_assert_gt(rounds, 1);
	check_responses(&s, N, 500, 2000);
	cr_assert(sp_tcpconn_want_read(c));
	cr_assert(sp_tcpconn_idle(c, NULL));
	cr_assert_geq(sp_tcpconn_stats(c)->stalls, 1);
	sp_tcpconn_free(c);
	free(s.buf);
	sptest_leak_check();
}

Test(tcpconn, out_limit_zero_one_at_a_time)
{
	struct eng e = { 0 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn *c = mkconn(&e, 0, 0);
	uint8_t q[5 * 22];
	size_t n = 0;
	for (unsigned i = 0; i < 5; i++)
		n += mkq(q + n, (uint16_t)i, 20);
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 0), n);
	for (unsigned i = 1; i <= 5; i++) {
		cr_assert_eq(e.calls, i);
		cr_assert_eq(drain_one(c, &s, 0), 22);
	}
	cr_assert_eq(drain_one(c, &s, 0), 0);
	check_responses(&s, 5, 0, 20);
	cr_assert_eq(sp_tcpconn_stats(c)->stalls, 4);
	sp_tcpconn_free(c);
	free(s.buf);
	sptest_leak_check();
}

Test(tcpconn, stalled_then_bad_message_still_answers_the_good_ones)
{
	struct eng e = { 0 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn *c = mkconn(&e, 0, 0);
	uint8_t q[100];
	size_t n = mkq(q, 1, 20);
	n += mkq(q + n, 2, 20);
	q[n++] = 0;
	q[n++] = 3; /* short */
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 0), n);
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_NONE);
	drain(c, &s, 0);
	check_responses(&s, 2, 1, 20);
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_SHORT);
	cr_assert(sp_tcpconn_done(c));
	sp_tcpconn_free(c);
	free(s.buf);
	sptest_leak_check();
}

/* ---- time ---- */

Test(tcpconn, idle_deadline_follows_progress)
{
	struct eng e = { 0 };
	struct sp_tcpconn_cfg cfg = { .idle_ms = 200, .lifetime_ms = 0, .out_limit = 1000 };
	struct sp_tcpconn *c = sp_tcpconn_new(&cfg, eng_answer, &e, 1000);
	cr_assert_not_null(c);
	uint64_t since;
	cr_assert_eq(sp_tcpconn_deadline(c), 1200);
	cr_assert_not(sp_tcpconn_expire(c, 1199));

	/* A partial message: busy, and progress moves the deadline. */
	uint8_t q[40];
	size_t n = mkq(q, 1, 20);
	cr_assert_eq(sp_tcpconn_feed(c, q, 5, 1100), 5);
	cr_assert_not(sp_tcpconn_idle(c, &since));
	cr_assert_eq(sp_tcpconn_deadline(c), 1300);
	cr_assert_eq(sp_tcpconn_feed(c, q + 5, n - 5, 1150), n - 5);
	cr_assert_not(sp_tcpconn_idle(c, &since), "idle with a response queued");
	const uint8_t *p;
	cr_assert_gt(sp_tcpconn_write_begin(c, &p), 0);
	sp_tcpconn_write_done(c, 1170);
	cr_assert(sp_tcpconn_idle(c, &since));
	cr_assert_eq(since, 1170);
	cr_assert_eq(sp_tcpconn_deadline(c), 1370);
	cr_assert_not(sp_tcpconn_expire(c, 1369));
	cr_assert(sp_tcpconn_expire(c, 1370));
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_IDLE);
	cr_assert_eq(sp_tcpconn_stats(c)->closes[SP_TCP_CLOSE_IDLE], 1);
	cr_assert_not(sp_tcpconn_idle(c, NULL));
	sp_tcpconn_free(c);
	sptest_leak_check();
}

Test(tcpconn, stuck_writer_times_out)
{
	struct eng e = { 0 };
	struct sp_tcpconn_cfg cfg = { .idle_ms = 100, .lifetime_ms = 0, .out_limit = 1000 };
	struct sp_tcpconn *c = sp_tcpconn_new(&cfg, eng_answer, &e, 0);
	uint8_t q[40];
	size_t n = mkq(q, 1, 20);
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 10), n);
	const uint8_t *p;
	cr_assert_gt(sp_tcpconn_write_begin(c, &p), 0);
	/* The write never completes: the peer is not reading. */
	cr_assert_not(sp_tcpconn_expire(c, 109));
	cr_assert(sp_tcpconn_expire(c, 110));
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_IDLE);
	sp_tcpconn_free(c);
	sptest_leak_check();
}

Test(tcpconn, soft_close_that_cannot_flush_times_out)
{
	struct eng e = { .drop = true, .drop_id = 2 };
	struct sp_tcpconn_cfg cfg = { .idle_ms = 100, .lifetime_ms = 0, .out_limit = 1000 };
	struct sp_tcpconn *c = sp_tcpconn_new(&cfg, eng_answer, &e, 0);
	uint8_t q[80];
	size_t n = mkq(q, 1, 20);
	n += mkq(q + n, 2, 20);
	cr_assert_eq(sp_tcpconn_feed(c, q, n, 0), n);
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_DROP);
	cr_assert_not(sp_tcpconn_done(c));
	cr_assert(sp_tcpconn_expire(c, 100));
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_DROP, "reason replaced");
	sp_tcpconn_free(c);
	sptest_leak_check();
}

Test(tcpconn, lifetime_caps_a_busy_connection)
{
	struct eng e = { 0 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn_cfg cfg = { .idle_ms = 100, .lifetime_ms = 350, .out_limit = 1000 };
	struct sp_tcpconn *c = sp_tcpconn_new(&cfg, eng_answer, &e, 1000);
	uint8_t q[40];
	size_t n = mkq(q, 1, 20);
	uint64_t t = 1000;
	/* A query every 50 ms keeps it from idling... */
	for (; t < 1350; t += 50) {
		cr_assert_not(sp_tcpconn_expire(c, t), "closed at %lu", (unsigned long)t);
		cr_assert_eq(sp_tcpconn_feed(c, q, n, t), n);
		drain(c, &s, t);
		cr_assert_leq(sp_tcpconn_deadline(c), 1350);
	}
	/* ...until its lifetime is up. */
	cr_assert_eq(sp_tcpconn_deadline(c), 1350);
	cr_assert(sp_tcpconn_expire(c, 1350));
	cr_assert_eq(sp_tcpconn_close_reason(c), SP_TCP_CLOSE_LIFETIME);
	cr_assert_eq(sp_tcpconn_stats(c)->closes[SP_TCP_CLOSE_LIFETIME], 1);
	sp_tcpconn_free(c);
	free(s.buf);
	sptest_leak_check();
}

/* ---- counters ---- */

Test(tcpconn, stats_add)
{
	struct sp_tcp_stats a = {
		.queries = 1, .responses = 2, .bytes_in = 3, .bytes_out = 4, .stalls = 5
	};
	a.closes[SP_TCP_CLOSE_EOF] = 6;
	struct sp_tcp_stats b = a;
	sp_tcp_stats_add(&b, &a);
	cr_assert_eq(b.queries, 2);
	cr_assert_eq(b.responses, 4);
	cr_assert_eq(b.bytes_in, 6);
	cr_assert_eq(b.bytes_out, 8);
	cr_assert_eq(b.stalls, 10);
	cr_assert_eq(b.closes[SP_TCP_CLOSE_EOF], 12);
	sptest_leak_check();
}

Test(tcpconn, counters_over_a_session)
{
	struct eng e = { .grow = 10 };
	struct sink s;
	sink_init(&s);
	struct sp_tcpconn *c = mkconn(&e, SP_TCP_OUT_LIMIT_DEFAULT, 0);
	uint8_t q[10 * 32];
	size_t n = 0;
	for (unsigned i = 0; i < 10; i++)
		n += mkq(q + n, (uint16_t)i, 30);
	for (size_t off = 0; off < n; off += 7) {
		size_t k = n - off < 7 ? n - off : 7;
		cr_assert_eq(sp_tcpconn_feed(c, q + off, k, 0), k);
		if (off % 3 == 0)
			drain(c, &s, 0);
	}
	sp_tcpconn_eof(c, 0);
	drain(c, &s, 0);
	cr_assert(sp_tcpconn_done(c));
	const struct sp_tcp_stats *st = sp_tcpconn_stats(c);
	cr_assert_eq(st->queries, 10);
	cr_assert_eq(st->responses, 10);
	cr_assert_eq(st->bytes_in, n);
	cr_assert_eq(st->bytes_out, 10 * 42);
	cr_assert_eq(st->bytes_out, s.len);
	cr_assert_eq(st->closes[SP_TCP_CLOSE_EOF], 1);
	unsigned total = 0;
	for (unsigned i = 0; i < SP_TCP_CLOSE__COUNT; i++)
		total += (unsigned)st->closes[i];
	cr_assert_eq(total, 1);
	check_responses(&s, 10, 0, 40);
	sp_tcpconn_free(c);
	free(s.buf);
	sptest_leak_check();
}
