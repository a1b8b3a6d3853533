/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * A growable octet buffer for slow-path output (control responses, metrics
 * expositions, JSON), with a size limit and a sticky error.
 *
 * Appending cannot fail from the caller's point of view: the first failure
 * (no memory, or the limit would be exceeded) is remembered, later appends
 * do nothing, and the writer checks sp_buf_error() once at the end.  Output
 * code then reads as a list of appends instead of a check after each one
 * (as with stdio's ferror).  The contents are NUL-terminated whenever the
 * buffer holds memory, so text can be used as a C string.
 *
 * Threads: a buffer belongs to one thread; nothing locks.
 */

#include <stdarg.h>
#include <stddef.h>

struct sp_buf {
	char *data; /* len octets, then a NUL; NULL until the first append */
	size_t len;
	size_t cap; /* allocated octets, the NUL's included */
	size_t max; /* len never exceeds it */
	int err;    /* 0 or the first failure (sp_buf_error); sticky until sp_buf_reset */
};

/* An empty buffer holding at most max octets (> 0).  Allocates nothing. */
void sp_buf_init(struct sp_buf *b, size_t max);

/* Frees the memory; b is then as after sp_buf_init (same max). */
void sp_buf_deinit(struct sp_buf *b);

/* Empties b and clears its error, keeping its memory for reuse. */
void sp_buf_reset(struct sp_buf *b);

/* Appends n octets from p (any octets, NULs included). */
void sp_buf_add(struct sp_buf *b, const void *p, size_t n);

/* Appends the C string s. */
void sp_buf_puts(struct sp_buf *b, const char *s);

/* Appends one octet. */
void sp_buf_putc(struct sp_buf *b, char c);

/* Appends formatted text (vsnprintf's format). */
void sp_buf_printf(struct sp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sp_buf_vprintf(struct sp_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Drops octets past len (len <= b->len); the error stays. */
void sp_buf_truncate(struct sp_buf *b, size_t len);

/*
 * 0, or the first failure: DP_ENOMEM, DP_ESPACE (the limit was reached), or
 * DP_EINVAL (a format vsnprintf refused; a bug in the caller).
 */
int sp_buf_error(const struct sp_buf *b);
