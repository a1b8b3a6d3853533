/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Bounds-checked wire cursors.  Every read or write of packet bytes in dpdns
 * goes through these; nothing else does pointer arithmetic on packet data.
 *
 * Errors are sticky (as in Knot's wire_ctx): the first out-of-bounds access
 * sets ->err (DP_ETRUNC for reads, DP_ESPACE for writes), after which reads
 * return 0, writes do nothing and the position no longer moves.  Callers do a
 * run of accesses and check ->err once.  All functions are fastpath-safe:
 * no allocation, no locks, no syscalls.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns/errcode.h"

/* Read cursor over an immutable buffer (a whole DNS message, usually). */
struct dns_rd {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	int err;
};

/* Write cursor over a caller-owned buffer of capacity cap. */
struct dns_wr {
	uint8_t *buf;
	size_t cap;
	size_t pos;
	int err;
};

static inline void dns_rd_init(struct dns_rd *r, const void *buf, size_t len)
{
	r->buf = (const uint8_t *)buf;
	r->len = len;
	r->pos = 0;
	r->err = 0;
}

static inline size_t dns_rd_left(const struct dns_rd *r)
{
	return r->err ? 0 : r->len - r->pos;
}

/* True when n more bytes can be read; sets ->err otherwise. */
static inline bool dns_rd_need(struct dns_rd *r, size_t n)
{
	if (r->err)
		return false;
	if (n > r->len - r->pos) {
		r->err = DP_ETRUNC;
		return false;
	}
	return true;
}

static inline uint8_t dns_rd_u8(struct dns_rd *r)
{
	if (!dns_rd_need(r, 1))
		return 0;
	return r->buf[r->pos++];
}

static inline uint16_t dns_rd_u16(struct dns_rd *r)
{
	if (!dns_rd_need(r, 2))
		return 0;
	uint16_t v = (uint16_t)(r->buf[r->pos] << 8 | r->buf[r->pos + 1]);
	r->pos += 2;
	return v;
}

static inline uint32_t dns_rd_u32(struct dns_rd *r)
{
	if (!dns_rd_need(r, 4))
		return 0;
	const uint8_t *p = r->buf + r->pos;
	r->pos += 4;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Copies n bytes to dst (dst untouched on error). */
static inline void dns_rd_bytes(struct dns_rd *r, void *dst, size_t n)
{
	if (!dns_rd_need(r, n))
		return;
	memcpy(dst, r->buf + r->pos, n);
	r->pos += n;
}

/* Returns a pointer to the next n bytes and steps over them; NULL on error. */
static inline const uint8_t *dns_rd_ptr(struct dns_rd *r, size_t n)
{
	if (!dns_rd_need(r, n))
		return NULL;
	const uint8_t *p = r->buf + r->pos;
	r->pos += n;
	return p;
}

static inline void dns_rd_skip(struct dns_rd *r, size_t n)
{
	if (dns_rd_need(r, n))
		r->pos += n;
}

/* Moves to an absolute offset (<= len). */
static inline void dns_rd_seek(struct dns_rd *r, size_t pos)
{
	if (r->err)
		return;
	if (pos > r->len)
		r->err = DP_ETRUNC;
	else
		r->pos = pos;
}

/* Reads the byte at absolute offset off without moving; -1 when outside. */
static inline int dns_rd_peek_at(const struct dns_rd *r, size_t off)
{
	return off < r->len ? r->buf[off] : -1;
}

static inline void dns_wr_init(struct dns_wr *w, void *buf, size_t cap)
{
	w->buf = (uint8_t *)buf;
	w->cap = cap;
	w->pos = 0;
	w->err = 0;
}

static inline size_t dns_wr_left(const struct dns_wr *w)
{
	return w->err ? 0 : w->cap - w->pos;
}

static inline bool dns_wr_need(struct dns_wr *w, size_t n)
{
	if (w->err)
		return false;
	if (n > w->cap - w->pos) {
		w->err = DP_ESPACE;
		return false;
	}
	return true;
}

static inline void dns_wr_u8(struct dns_wr *w, uint8_t v)
{
	if (dns_wr_need(w, 1))
		w->buf[w->pos++] = v;
}

static inline void dns_wr_u16(struct dns_wr *w, uint16_t v)
{
	if (!dns_wr_need(w, 2))
		return;
	w->buf[w->pos] = (uint8_t)(v >> 8);
	w->buf[w->pos + 1] = (uint8_t)v;
	w->pos += 2;
}

static inline void dns_wr_u32(struct dns_wr *w, uint32_t v)
{
	if (!dns_wr_need(w, 4))
		return;
	uint8_t *p = w->buf + w->pos;
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	w->pos += 4;
}

static inline void dns_wr_bytes(struct dns_wr *w, const void *src, size_t n)
{
	if (!dns_wr_need(w, n))
		return;
	if (n)
		memcpy(w->buf + w->pos, src, n);
	w->pos += n;
}

/* Overwrites a u16 already written at absolute offset off (< pos). */
static inline void dns_wr_u16_at(struct dns_wr *w, size_t off, uint16_t v)
{
	if (w->err)
		return;
	if (off > w->pos || w->pos - off < 2) { /* no off + 2: it could wrap */
		w->err = DP_ESPACE;
		return;
	}
	w->buf[off] = (uint8_t)(v >> 8);
	w->buf[off + 1] = (uint8_t)v;
}

/* Moves the write position back to off (<= pos), discarding what followed. */
static inline void dns_wr_truncate(struct dns_wr *w, size_t off)
{
	if (off <= w->pos)
		w->pos = off;
}

/* Reads a big-endian u16/u32 from a buffer whose bounds the caller has checked. */
static inline uint16_t dns_get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Stores a big-endian u16 into a buffer whose bounds the caller has checked. */
static inline void dns_put_u16(uint8_t *p, uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap16(v); /* one 16-bit store (gcc 12 made two byte stores of it) */
	memcpy(p, &v, 2);
#else
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
#endif
}

static inline uint32_t dns_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
