/* SPDX-License-Identifier: BSD-3-Clause */
/* Bounds-checked wire cursors (src/dns/wire.h): exact bounds, one past, sticky errors. */
#include "dns/wire.h"

#include <criterion/criterion.h>

#include "testutil.h"

/* ---- read cursor ---- */

Test(wire_rd, init_state)
{
	uint8_t b[3] = { 1, 2, 3 };
	struct dns_rd r;
	dns_rd_init(&r, b, sizeof(b));
	cr_assert_eq(r.buf, b);
	cr_assert_eq(r.len, 3);
	cr_assert_eq(r.pos, 0);
	cr_assert_eq(r.err, 0);
	cr_assert_eq(dns_rd_left(&r), 3);
}

Test(wire_rd, u8_exact_bound_and_one_past)
{
	uint8_t *b = guard_new("\xab", 1);
	struct dns_rd r;
	dns_rd_init(&r, b, 1);
	cr_assert_eq(dns_rd_u8(&r), 0xab);
	cr_assert_eq(r.pos, 1);
	cr_assert_eq(r.err, 0);
	cr_assert_eq(dns_rd_left(&r), 0);
	cr_assert_eq(dns_rd_u8(&r), 0);
	cr_assert_eq(r.err, DP_ETRUNC);
	cr_assert_eq(r.pos, 1);
	guard_free(b, 1);
}

Test(wire_rd, u16_big_endian_exact_and_short)
{
	uint8_t *b = guard_new("\x12\x34", 2);
	struct dns_rd r;
	dns_rd_init(&r, b, 2);
	cr_assert_eq(dns_rd_u16(&r), 0x1234);
	cr_assert_eq(r.pos, 2);
	cr_assert_eq(r.err, 0);
	guard_free(b, 2);

	b = guard_new("\xff", 1);
	dns_rd_init(&r, b, 1);
	cr_assert_eq(dns_rd_u16(&r), 0);
	cr_assert_eq(r.err, DP_ETRUNC);
	cr_assert_eq(r.pos, 0);
	guard_free(b, 1);
}

Test(wire_rd, u16_high_values)
{
	uint8_t b[4] = { 0xff, 0xff, 0x80, 0x00 };
	struct dns_rd r;
	dns_rd_init(&r, b, 4);
	cr_assert_eq(dns_rd_u16(&r), 0xffff);
	cr_assert_eq(dns_rd_u16(&r), 0x8000);
	cr_assert_eq(r.err, 0);
}

Test(wire_rd, u32_big_endian_exact_and_short)
{
	uint8_t *b = guard_new("\xde\xad\xbe\xef", 4);
	struct dns_rd r;
	dns_rd_init(&r, b, 4);
	cr_assert_eq(dns_rd_u32(&r), 0xdeadbeefu);
	cr_assert_eq(r.pos, 4);
	cr_assert_eq(r.err, 0);
	guard_free(b, 4);

	b = guard_new("\xde\xad\xbe", 3);
	dns_rd_init(&r, b, 3);
	cr_assert_eq(dns_rd_u32(&r), 0);
	cr_assert_eq(r.err, DP_ETRUNC);
	cr_assert_eq(r.pos, 0);
	guard_free(b, 3);
}

Test(wire_rd, u32_after_offset_one_short)
{
	uint8_t *b = guard_new("\x00\x01\x02\x03\x04", 5);
	struct dns_rd r;
	dns_rd_init(&r, b, 5);
	cr_assert_eq(dns_rd_u16(&r), 0x0001);
	cr_assert_eq(dns_rd_u32(&r), 0);
	cr_assert_eq(r.err, DP_ETRUNC);
	cr_assert_eq(r.pos, 2);
	guard_free(b, 5);
}

Test(wire_rd, sticky_error_blocks_later_reads)
{
	uint8_t b[6] = { 1, 2, 3, 4, 5, 6 };
	struct dns_rd r;
	dns_rd_init(&r, b, 6);
	cr_assert_eq(dns_rd_u8(&r), 1);
	/* 5 left: an 8-byte read fails... */
	uint8_t dst[8];
	memset(dst, 0x5a, sizeof(dst));
	dns_rd_bytes(&r, dst, 8);
	cr_assert_eq(r.err, DP_ETRUNC);
	for (size_t i = 0; i < sizeof(dst); i++)
		cr_assert_eq(dst[i], 0x5a, "dst touched on error at %zu", i);
	/* ...and then reads that would fit return 0 and do not move. */
	cr_assert_eq(dns_rd_u8(&r), 0);
	cr_assert_eq(dns_rd_u16(&r), 0);
	cr_assert_eq(dns_rd_u32(&r), 0);
	cr_assert_null(dns_rd_ptr(&r, 1));
	dns_rd_skip(&r, 1);
	dns_rd_seek(&r, 0);
	cr_assert_eq(r.pos, 1);
	cr_assert_eq(r.err, DP_ETRUNC);
	cr_assert_eq(dns_rd_left(&r), 0);
	cr_assert_not(dns_rd_need(&r, 0));
}

Test(wire_rd, bytes_exact_and_one_past)
{
	uint8_t *b = guard_new("abcd", 4);
	struct dns_rd r;
	uint8_t dst[5] = { 0 };
	dns_rd_init(&r, b, 4);
	dns_rd_bytes(&r, dst, 4);
	cr_assert_eq(r.err, 0);
	cr_assert_eq(r.pos, 4);
	assert_lit(dst, 4, "abcd");

	dns_rd_init(&r, b, 4);
	memset(dst, 0, sizeof(dst));
	dns_rd_bytes(&r, dst, 5);
	cr_assert_eq(r.err, DP_ETRUNC);
	cr_assert_eq(r.pos, 0);
	assert_lit(dst, 5, "\0\0\0\0\0");
	guard_free(b, 4);
}

Test(wire_rd, ptr_exact_and_one_past)
{
	uint8_t *b = guard_new("abcd", 4);
	struct dns_rd r;
	dns_rd_init(&r, b, 4);
	cr_assert_eq(dns_rd_ptr(&r, 1), b);
	cr_assert_eq(dns_rd_ptr(&r, 3), b + 1);
	cr_assert_eq(r.pos, 4);
	cr_assert_eq(dns_rd_ptr(&r, 0), b + 4);
	cr_assert_eq(r.err, 0);
	cr_assert_null(dns_rd_ptr(&r, 1));
	cr_assert_eq(r.err, DP_ETRUNC);
	cr_assert_eq(r.pos, 4);
	guard_free(b, 4);
}

Test(wire_rd, skip_exact_and_one_past)
{
	uint8_t b[4] = { 0 };
	struct dns_rd r;
	dns_rd_init(&r, b, 4);
	dns_rd_skip(&r, 4);
	cr_assert_eq(r.pos, 4);
	cr_assert_eq(r.err, 0);
	dns_rd_init(&r, b, 4);
	dns_rd_skip(&r, 5);
	cr_assert_eq(r.pos, 0);
	cr_assert_eq(r.err, DP_ETRUNC);
}

Test(wire_rd, huge_length_does_not_wrap)
{
	uint8_t b[4] = { 0 };
	struct dns_rd r;
	dns_rd_init(&r, b, 4);
	dns_rd_u8(&r);
	dns_rd_skip(&r, SIZE_MAX);
	cr_assert_eq(r.err, DP_ETRUNC);
	cr_assert_eq(r.pos, 1);
	dns_rd_init(&r, b, 4);
	cr_assert_null(dns_rd_ptr(&r, SIZE_MAX));
	cr_assert_eq(r.err, DP_ETRUNC);
}

Test(wire_rd, seek_to_len_ok_past_len_error)
{
	uint8_t b[4] = { 0 };
	struct dns_rd r;
	dns_rd_init(&r, b, 4);
	dns_rd_seek(&r, 4);
	cr_assert_eq(r.pos, 4);
	cr_assert_eq(r.err, 0);
	dns_rd_seek(&r, 0);
	cr_assert_eq(r.pos, 0);
	dns_rd_seek(&r, 5);
	cr_assert_eq(r.err, DP_ETRUNC);
	cr_assert_eq(r.pos, 0);
	dns_rd_seek(&r, 2);
	cr_assert_eq(r.pos, 0, "seek after an error must not move");
}

Test(wire_rd, peek_at_bounds)
{
	uint8_t *b = guard_new("\x01\x02", 2);
	struct dns_rd r;
	dns_rd_init(&r, b, 2);
	cr_assert_eq(dns_rd_peek_at(&r, 0), 1);
	cr_assert_eq(dns_rd_peek_at(&r, 1), 2);
	cr_assert_eq(dns_rd_peek_at(&r, 2), -1);
	cr_assert_eq(dns_rd_peek_at(&r, SIZE_MAX), -1);
	cr_assert_eq(r.pos, 0);
	cr_assert_eq(r.err, 0);
	guard_free(b, 2);
}

Test(wire_rd, need_exact)
{
	uint8_t b[3] = { 0 };
	struct dns_rd r;
	dns_rd_init(&r, b, 3);
	cr_assert(dns_rd_need(&r, 3));
	cr_assert(dns_rd_need(&r, 0));
	cr_assert_eq(r.err, 0);
	cr_assert_not(dns_rd_need(&r, 4));
	cr_assert_eq(r.err, DP_ETRUNC);
}

Test(wire_rd, zero_length_buffer)
{
	uint8_t b[1] = { 0x77 };
	struct dns_rd r;
	dns_rd_init(&r, b, 0);
	cr_assert_eq(dns_rd_left(&r), 0);
	cr_assert(dns_rd_need(&r, 0));
	cr_assert_eq(dns_rd_ptr(&r, 0), b);
	dns_rd_skip(&r, 0);
	dns_rd_seek(&r, 0);
	cr_assert_eq(r.err, 0);
	cr_assert_eq(dns_rd_peek_at(&r, 0), -1);
	cr_assert_eq(dns_rd_u8(&r), 0);
	cr_assert_eq(r.err, DP_ETRUNC);
	cr_assert_eq(r.pos, 0);

	dns_rd_init(&r, b, 0);
	cr_assert_eq(dns_rd_u16(&r), 0);
	cr_assert_eq(r.err, DP_ETRUNC);
	dns_rd_init(&r, b, 0);
	cr_assert_eq(dns_rd_u32(&r), 0);
	cr_assert_eq(r.err, DP_ETRUNC);
}

Test(wire_rd, first_error_kept)
{
	uint8_t b[1] = { 0 };
	struct dns_rd r;
	dns_rd_init(&r, b, 1);
	dns_rd_u16(&r);
	cr_assert_eq(r.err, DP_ETRUNC);
	dns_rd_seek(&r, 100);
	cr_assert_eq(r.err, DP_ETRUNC);
}

/* ---- write cursor ---- */

Test(wire_wr, init_state)
{
	uint8_t b[5];
	struct dns_wr w;
	dns_wr_init(&w, b, sizeof(b));
	cr_assert_eq(w.buf, b);
	cr_assert_eq(w.cap, 5);
	cr_assert_eq(w.pos, 0);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(dns_wr_left(&w), 5);
}

Test(wire_wr, u8_exact_and_one_past)
{
	uint8_t *b = guard_new(NULL, 1);
	struct dns_wr w;
	dns_wr_init(&w, b, 1);
	dns_wr_u8(&w, 0x42);
	cr_assert_eq(w.pos, 1);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(b[0], 0x42);
	dns_wr_u8(&w, 0x43);
	cr_assert_eq(w.err, DP_ESPACE);
	cr_assert_eq(w.pos, 1);
	cr_assert_eq(b[0], 0x42);
	guard_free(b, 1);
}

Test(wire_wr, u16_big_endian_exact_and_short)
{
	uint8_t *b = guard_new(NULL, 2);
	struct dns_wr w;
	dns_wr_init(&w, b, 2);
	dns_wr_u16(&w, 0xbeef);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(w.pos, 2);
	assert_lit(b, 2, "\xbe\xef");
	guard_free(b, 2);

	b = guard_new("\x11", 1);
	dns_wr_init(&w, b, 1);
	dns_wr_u16(&w, 0xbeef);
	cr_assert_eq(w.err, DP_ESPACE);
	cr_assert_eq(w.pos, 0);
	cr_assert_eq(b[0], 0x11, "nothing may be written on error");
	guard_free(b, 1);
}

Test(wire_wr, u32_big_endian_exact_and_short)
{
	uint8_t *b = guard_new(NULL, 4);
	struct dns_wr w;
	dns_wr_init(&w, b, 4);
	dns_wr_u32(&w, 0x01020304);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(w.pos, 4);
	assert_lit(b, 4, "\x01\x02\x03\x04");
	guard_free(b, 4);

	b = guard_new("\x11\x22\x33", 3);
	dns_wr_init(&w, b, 3);
	dns_wr_u32(&w, 0xffffffff);
	cr_assert_eq(w.err, DP_ESPACE);
	cr_assert_eq(w.pos, 0);
	assert_lit(b, 3, "\x11\x22\x33");
	guard_free(b, 3);
}

Test(wire_wr, bytes_exact_and_one_past)
{
	uint8_t *b = guard_new(NULL, 4);
	struct dns_wr w;
	dns_wr_init(&w, b, 4);
	dns_wr_bytes(&w, "wxyz", 4);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(w.pos, 4);
	assert_lit(b, 4, "wxyz");
	dns_wr_bytes(&w, NULL, 0);
	cr_assert_eq(w.err, 0);
	dns_wr_bytes(&w, "q", 1);
	cr_assert_eq(w.err, DP_ESPACE);
	cr_assert_eq(w.pos, 4);
	guard_free(b, 4);

	b = guard_new("....", 4);
	dns_wr_init(&w, b, 4);
	dns_wr_bytes(&w, "12345", 5);
	cr_assert_eq(w.err, DP_ESPACE);
	cr_assert_eq(w.pos, 0);
	assert_lit(b, 4, "....");
	guard_free(b, 4);
}

Test(wire_wr, sticky_error_blocks_later_writes)
{
	uint8_t b[4] = { 0 };
	struct dns_wr w;
	dns_wr_init(&w, b, 4);
	dns_wr_u8(&w, 1);
	dns_wr_u32(&w, 0xaabbccdd); /* 3 left: fails */
	cr_assert_eq(w.err, DP_ESPACE);
	dns_wr_u8(&w, 2);  /* would fit */
	dns_wr_u16(&w, 3); /* would fit */
	dns_wr_bytes(&w, "z", 1);
	cr_assert_eq(w.pos, 1);
	cr_assert_eq(dns_wr_left(&w), 0);
	assert_lit(b, 4, "\x01\0\0\0");
	cr_assert_not(dns_wr_need(&w, 0));
}

Test(wire_wr, huge_length_does_not_wrap)
{
	uint8_t b[4] = { 0 };
	struct dns_wr w;
	dns_wr_init(&w, b, 4);
	dns_wr_u8(&w, 9);
	dns_wr_bytes(&w, b, SIZE_MAX);
	cr_assert_eq(w.err, DP_ESPACE);
	cr_assert_eq(w.pos, 1);
}

Test(wire_wr, zero_capacity)
{
	uint8_t b[1] = { 0x77 };
	struct dns_wr w;
	dns_wr_init(&w, b, 0);
	cr_assert_eq(dns_wr_left(&w), 0);
	dns_wr_bytes(&w, "", 0);
	cr_assert_eq(w.err, 0);
	dns_wr_u8(&w, 1);
	cr_assert_eq(w.err, DP_ESPACE);
	cr_assert_eq(w.pos, 0);
	cr_assert_eq(b[0], 0x77);
	dns_wr_init(&w, b, 0);
	dns_wr_u16(&w, 1);
	cr_assert_eq(w.err, DP_ESPACE);
	dns_wr_init(&w, b, 0);
	dns_wr_u32(&w, 1);
	cr_assert_eq(w.err, DP_ESPACE);
	cr_assert_eq(b[0], 0x77);
}

Test(wire_wr, u16_at_bounds)
{
	uint8_t b[8] = { 0 };
	struct dns_wr w;
	dns_wr_init(&w, b, sizeof(b));
	dns_wr_u32(&w, 0);
	/* off + 2 == pos: the last two written bytes */
	dns_wr_u16_at(&w, 2, 0xa1b2);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(w.pos, 4, "u16_at must not move pos");
	dns_wr_u16_at(&w, 0, 0x0102);
	cr_assert_eq(w.err, 0);
	assert_lit(b, 4, "\x01\x02\xa1\xb2");
	/* off + 2 == pos + 1: straddles the write position */
	dns_wr_u16_at(&w, 3, 0xffff);
	cr_assert_eq(w.err, DP_ESPACE);
	assert_lit(b, 5, "\x01\x02\xa1\xb2\x00");
	/* sticky */
	dns_wr_u16_at(&w, 0, 0xffff);
	assert_lit(b, 2, "\x01\x02");
}

Test(wire_wr, u16_at_past_pos_but_within_cap)
{
	uint8_t b[8] = { 0 };
	struct dns_wr w;
	dns_wr_init(&w, b, sizeof(b));
	dns_wr_u8(&w, 1);
	dns_wr_u16_at(&w, 4, 0xffff);
	cr_assert_eq(w.err, DP_ESPACE);
	assert_lit(b, 8, "\x01\0\0\0\0\0\0\0");
}

Test(wire_wr, u16_at_on_empty)
{
	uint8_t b[2] = { 0 };
	struct dns_wr w;
	dns_wr_init(&w, b, sizeof(b));
	dns_wr_u16_at(&w, 0, 0xffff);
	cr_assert_eq(w.err, DP_ESPACE);
	assert_lit(b, 2, "\0\0");
}

/*
 * "Every parse function ... never reads or writes out of bounds": an offset
 * near SIZE_MAX must not wrap off + 2 around and write before the buffer.
 */
Test(wire_wr, u16_at_offset_overflow_no_write)
{
	uint8_t arena[16];
	memset(arena, 0xee, sizeof(arena));
	uint8_t *b = arena + 8;
	struct dns_wr w;
	dns_wr_init(&w, b, 8);
	dns_wr_u32(&w, 0);
	dns_wr_u16_at(&w, SIZE_MAX - 1, 0x1234);
	for (size_t i = 0; i < 8; i++)
		cr_assert_eq(arena[i], 0xee, "byte %zu before the buffer overwritten", i);
	cr_assert_eq(w.err, DP_ESPACE);
}

Test(wire_wr, truncate)
{
	uint8_t b[8] = { 0 };
	struct dns_wr w;
	dns_wr_init(&w, b, sizeof(b));
	dns_wr_u32(&w, 0x01020304);
	dns_wr_truncate(&w, 5);
	cr_assert_eq(w.pos, 4, "truncate past pos must not move");
	dns_wr_truncate(&w, 4);
	cr_assert_eq(w.pos, 4);
	dns_wr_truncate(&w, 1);
	cr_assert_eq(w.pos, 1);
	cr_assert_eq(dns_wr_left(&w), 7);
	dns_wr_u8(&w, 0xff);
	assert_lit(b, 3, "\x01\xff\x03");
	dns_wr_truncate(&w, 0);
	cr_assert_eq(w.pos, 0);
}

Test(wire, get_u16_u32)
{
	const uint8_t b[4] = { 0x80, 0x01, 0xfe, 0x7f };
	cr_assert_eq(dns_get_u16(b), 0x8001);
	cr_assert_eq(dns_get_u16(b + 2), 0xfe7f);
	cr_assert_eq(dns_get_u32(b), 0x8001fe7fu);
}

Test(wire, write_then_read_round_trip)
{
	uint8_t b[11];
	struct dns_wr w;
	dns_wr_init(&w, b, sizeof(b));
	dns_wr_u8(&w, 0xfe);
	dns_wr_u16(&w, 0xcafe);
	dns_wr_u32(&w, 0x89abcdef);
	dns_wr_bytes(&w, "four", 4);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(w.pos, sizeof(b));
	struct dns_rd r;
	dns_rd_init(&r, b, w.pos);
	cr_assert_eq(dns_rd_u8(&r), 0xfe);
	cr_assert_eq(dns_rd_u16(&r), 0xcafe);
	cr_assert_eq(dns_rd_u32(&r), 0x89abcdefu);
	const uint8_t *p = dns_rd_ptr(&r, 4);
	cr_assert_not_null(p);
	assert_lit(p, 4, "four");
	cr_assert_eq(dns_rd_left(&r), 0);
	cr_assert_eq(r.err, 0);
}
