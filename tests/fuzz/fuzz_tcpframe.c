/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_tcpframe: arbitrary bytes into the DNS-over-TCP connection state
 * machine (src/slowpath/tcpconn.h), split into reads at positions taken from
 * the input, with writes completing at times taken from the input too.
 *
 * Input: byte 0 is a set of flags (below); then chunks, each a length octet
 * L and L octets of stream (the last one may be short).  L == 0 is a write
 * event instead: it completes the write in flight, or starts one.
 *
 * The answer callback is trivial and deterministic (QR set, the query kept,
 * grown by a pattern per the flags; low ID octet 0xdd drops, 0xee claims more
 * than the buffer).  A model frames the accepted stream independently and
 * yields the exact responses expected, so the invariants are: the output is
 * exactly the expected framed responses, in order (hence always framed
 * correctly); the connection closes for exactly the expected reason; it never
 * stops reading without a write to wait for (no deadlock); it takes at most
 * one largest message plus a bounded queue (buffers are exact-size heap
 * blocks, so ASan sees any overrun); in-flight octets never change; and its
 * counters agree with what went in and out.
 */
#include <string.h>

#include "fuzz.h"

#include "slowpath/tcpconn.h"

enum {
	F_LIMIT = 0x03, /* out_limit: 0, 100, 4096, the default */
	F_LAZY = 0x04,	/* writes complete only on L == 0 events or when stuck */
	F_EOF = 0x08,	/* peer EOF after the last chunk */
	F_GROW = 0x30,	/* response sizes: same, + up to 4080, largest, mixed */
};

#define MAX_STREAM (1u << 17) /* octets of stream looked at (two largest messages) */
#define MAX_STREAM_BIG 2048u  /* when responses can be 64 KiB each */

static const uint32_t limits[4] = { 0, 100, 4096, SP_TCP_OUT_LIMIT_DEFAULT };

static unsigned grow_mode;

/* The answer: deterministic in the query octets and grow_mode. */
static size_t respond(uint8_t *msg, size_t len, size_t cap)
{
	uint8_t lo = msg[1];
	if (lo == 0xdd)
		return 0;
	if (lo == 0xee)
		return cap + 1;
	size_t rlen = len;
	switch (grow_mode) {
	case 1: rlen = len + (size_t)msg[len - 1] * 16; break;
	case 2: rlen = cap; break;
	case 3: rlen = (msg[0] & 1) ? cap : len; break;
	default: break;
	}
	if (rlen > cap)
		rlen = cap;
	msg[2] |= 0x80;
	for (size_t i = len; i < rlen; i++)
		msg[i] = (uint8_t)(i * 31 + lo);
	return rlen;
}

static size_t cb_answer(void *ctx, uint8_t *msg, size_t len, size_t cap)
{
	(void)ctx;
	FUZZ_CHECK(len >= SP_TCP_MSG_MIN && len <= SP_TCP_MSG_MAX && cap == SP_TCP_MSG_MAX);
	return respond(msg, len, cap);
}

/* ---- the model: expected output from the accepted stream ---- */

static uint8_t accepted[MAX_STREAM];
static size_t acc_len;

static struct {
	size_t off; /* next message in accepted[] */
	uint8_t frame[SP_TCP_FRAME_MAX];
	size_t flen, fpos;
	unsigned stop; /* close reason the model reached, SP_TCP_CLOSE_NONE if none */
	uint64_t frames, octets;
} m;

static uint8_t scratch[SP_TCP_MSG_MAX];

/* Makes the next expected frame; false when none is complete (m.stop says why). */
static bool model_next(void)
{
	if (m.stop != SP_TCP_CLOSE_NONE || acc_len - m.off < 2)
		return false;
	size_t len = (size_t)accepted[m.off] << 8 | accepted[m.off + 1];
	if (len == 0) {
		m.stop = SP_TCP_CLOSE_ZERO;
		return false;
	}
	if (len < SP_TCP_MSG_MIN) {
		m.stop = SP_TCP_CLOSE_SHORT;
		return false;
	}
	if (acc_len - m.off - 2 < len)
		return false;
	memcpy(scratch, accepted + m.off + 2, len);
	size_t rlen = respond(scratch, len, SP_TCP_MSG_MAX);
	if (rlen == 0) {
		m.stop = SP_TCP_CLOSE_DROP;
		return false;
	}
	if (rlen > SP_TCP_MSG_MAX) {
		m.stop = SP_TCP_CLOSE_ENGINE;
		return false;
	}
	m.off += 2 + len;
	m.frame[0] = (uint8_t)(rlen >> 8);
	m.frame[1] = (uint8_t)rlen;
	memcpy(m.frame + 2, scratch, rlen);
	m.flen = 2 + rlen;
	m.fpos = 0;
	m.frames++;
	return true;
}

/* Output octets must be exactly the next expected ones. */
static void model_check(const uint8_t *p, size_t n)
{
	while (n) {
		if (m.fpos == m.flen)
			FUZZ_CHECK(model_next()); /* output without a query to answer */
		size_t k = m.flen - m.fpos < n ? m.flen - m.fpos : n;
		FUZZ_CHECK(memcmp(p, m.frame + m.fpos, k) == 0);
		m.fpos += k;
		m.octets += k;
		p += k;
		n -= k;
	}
}

/* ---- the driver: an I/O layer with one write in flight at a time ---- */

static struct sp_tcpconn *c;
static const uint8_t *fl_buf;
static size_t fl_len;
static uint8_t fl_copy[SP_TCP_FRAME_MAX + SP_TCP_OUT_LIMIT_DEFAULT];
static uint64_t now;

static void check_bounds(void)
{
	FUZZ_CHECK(sp_tcpconn_in_pending(c) <= SP_TCP_IN_CAP);
	FUZZ_CHECK(sp_tcpconn_out_pending(c) <= sp_tcpconn_out_cap(c));
}

/* Completes the write in flight, or starts one; false when neither was possible. */
static bool write_event(void)
{
	if (fl_buf) {
		FUZZ_CHECK(memcmp(fl_buf, fl_copy, fl_len) == 0); /* in-flight octets moved */
		fl_buf = NULL;
		sp_tcpconn_write_done(c, now);
		check_bounds();
		return true;
	}
	fl_len = sp_tcpconn_write_begin(c, &fl_buf);
	if (!fl_len) {
		FUZZ_CHECK(fl_buf == NULL);
		return false;
	}
	FUZZ_CHECK(fl_buf && fl_len <= sp_tcpconn_out_cap(c) && fl_len <= sizeof(fl_copy));
	memcpy(fl_copy, fl_buf, fl_len);
	model_check(fl_buf, fl_len);
	return true;
}

static void drain(void)
{
	while (write_event())
		;
}

/* Feeds a chunk as a reader would: on backpressure, writes must unblock it. */
static void feed(const uint8_t *p, size_t n, bool lazy)
{
	while (n) {
		bool wanted = sp_tcpconn_want_read(c);
		size_t took = sp_tcpconn_feed(c, p, n, now);
		FUZZ_CHECK(took <= n && acc_len + took <= sizeof(accepted));
		FUZZ_CHECK(took > 0 || !wanted); /* wants to read, yet takes nothing */
		memcpy(accepted + acc_len, p, took);
		acc_len += took;
		p += took;
		n -= took;
		check_bounds();
		if (!lazy)
			drain();
		if (!n)
			break;
		if (sp_tcpconn_close_reason(c) != SP_TCP_CLOSE_NONE)
			return; /* closing: the rest is discarded */
		if (!sp_tcpconn_want_read(c))
			FUZZ_CHECK(write_event()); /* stopped reading with nothing to wait for */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	grow_mode = (flags & F_GROW) >> 4;
	bool lazy = flags & F_LAZY;
	size_t max_stream = grow_mode >= 2 ? MAX_STREAM_BIG : MAX_STREAM;

	memset(&m, 0, sizeof(m));
	acc_len = 0;
	fl_buf = NULL;
	fl_len = 0;
	now = 1000;
	struct sp_tcpconn_cfg cfg;
	sp_tcpconn_cfg_init(&cfg);
	cfg.out_limit = limits[flags & F_LIMIT];
	c = sp_tcpconn_new(&cfg, cb_answer, NULL, now);
	FUZZ_CHECK(c);
	FUZZ_CHECK(sp_tcpconn_out_cap(c) == SP_TCP_FRAME_MAX + cfg.out_limit);

	size_t pos = 1, streamed = 0;
	while (pos < size && streamed < max_stream && !sp_tcpconn_done(c)) {
		size_t l = data[pos++];
		now++;
		if (l == 0) {
			write_event();
			continue;
		}
		if (l > size - pos)
			l = size - pos;
		if (l > max_stream - streamed)
			l = max_stream - streamed;
		feed(data + pos, l, lazy);
		pos += l;
		streamed += l;
	}
	if (flags & F_EOF)
		sp_tcpconn_eof(c, now);
	drain();
	check_bounds();

	/* Everything complete was answered: the model has nothing left to expect. */
	FUZZ_CHECK(m.fpos == m.flen);
	FUZZ_CHECK(!model_next());
	unsigned reason = sp_tcpconn_close_reason(c);
	if (m.stop != SP_TCP_CLOSE_NONE) {
		FUZZ_CHECK(reason == m.stop);
	} else if (flags & F_EOF) {
		bool partial = acc_len > m.off;
		FUZZ_CHECK(reason == (partial ? SP_TCP_CLOSE_EOF_PARTIAL : SP_TCP_CLOSE_EOF));
	} else {
		FUZZ_CHECK(reason == SP_TCP_CLOSE_NONE);
		FUZZ_CHECK(sp_tcpconn_want_read(c));
		FUZZ_CHECK(sp_tcpconn_in_pending(c) == acc_len - m.off);
		FUZZ_CHECK(sp_tcpconn_idle(c, NULL) == (acc_len == m.off));
	}
	if (reason != SP_TCP_CLOSE_NONE)
		FUZZ_CHECK(sp_tcpconn_done(c));
	FUZZ_CHECK(sp_tcpconn_out_pending(c) == 0);

	const struct sp_tcp_stats *st = sp_tcpconn_stats(c);
	FUZZ_CHECK(st->responses == m.frames);
	FUZZ_CHECK(st->bytes_out == m.octets);
	FUZZ_CHECK(st->bytes_in == acc_len);
	FUZZ_CHECK(st->queries ==
		   m.frames + (m.stop == SP_TCP_CLOSE_DROP || m.stop == SP_TCP_CLOSE_ENGINE));
	uint64_t closes = 0;
	for (unsigned i = 0; i < SP_TCP_CLOSE__COUNT; i++)
		closes += st->closes[i];
	FUZZ_CHECK(closes == (reason != SP_TCP_CLOSE_NONE));

	sp_tcpconn_free(c);
	c = NULL;
	return 0;
}
