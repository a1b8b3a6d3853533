/* SPDX-License-Identifier: BSD-3-Clause */
#include "slowpath/buf.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/errcode.h"

#define SP_BUF_MIN_CAP 256

void sp_buf_init(struct sp_buf *b, size_t max)
{
	assert(max > 0);
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void sp_buf_deinit(struct sp_buf *b)
{
	size_t max = b->max;
	free(b->data);
	sp_buf_init(b, max);
}

void sp_buf_reset(struct sp_buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Room for need more octets and the NUL; false (error set) when not. */
static bool reserve(struct sp_buf *b, size_t need)
{
	if (b->err)
		return false;
	if (need > b->max - b->len) {
		b->err = DP_ESPACE;
		return false;
	}
	size_t want = b->len + need + 1;
	if (want <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : SP_BUF_MIN_CAP;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	/* Never more than the limit needs (the NUL included). */
	if (cap > b->max + 1)
		cap = b->max + 1;
	char *d = realloc(b->data, cap);
	if (!d) {
		b->err = DP_ENOMEM;
		return false;
	}
	b->data = d;
	b->cap = cap;
	return true;
}

void sp_buf_add(struct sp_buf *b, const void *p, size_t n)
{
	if (!reserve(b, n))
		return;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void sp_buf_puts(struct sp_buf *b, const char *s)
{
	sp_buf_add(b, s, strlen(s));
}

void sp_buf_putc(struct sp_buf *b, char c)
{
	sp_buf_add(b, &c, 1);
}

void sp_buf_vprintf(struct sp_buf *b, const char *fmt, va_list ap)
{
	if (b->err)
		return;
	va_list ap2;
	va_copy(ap2, ap);
	char small[256];
	int n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->err = DP_EINVAL; /* a bad format or wide character: the caller's bug */
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sp_buf_add(b, small, (size_t)n);
		return;
	}
	if (!reserve(b, (size_t)n))
		return;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void sp_buf_printf(struct sp_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sp_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void sp_buf_truncate(struct sp_buf *b, size_t len)
{
	assert(len <= b->len);
	b->len = len;
	if (b->data)
		b->data[len] = '\0';
}

int sp_buf_error(const struct sp_buf *b)
{
	return b->err;
}
