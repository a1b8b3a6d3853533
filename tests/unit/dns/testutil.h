/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Helpers shared by the src/dns/ unit tests: guarded buffers that fault on
 * any access one past their end, a dotted-name builder independent of the
 * code under test, and a byte comparison that prints both sides in hex.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <criterion/criterion.h>

/*
 * Copies len bytes of src (NULL: zero-filled) into fresh memory that ends
 * exactly at a PROT_NONE page, so reading or writing buf[len] faults.
 */
static inline uint8_t *guard_new(const void *src, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t npg = (len + pg - 1) / pg + 1;
	uint8_t *base =
		mmap(NULL, npg * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(base, MAP_FAILED, "mmap failed");
	cr_assert_eq(mprotect(base + (npg - 1) * pg, pg, PROT_NONE), 0, "mprotect failed");
	uint8_t *p = base + (npg - 1) * pg - len;
	if (src && len)
		memcpy(p, src, len);
	return p;
}

static inline void guard_free(uint8_t *p, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t npg = (len + pg - 1) / pg + 1;
	uint8_t *base = p + len - (npg - 1) * pg;
	munmap(base, npg * pg);
}

/*
 * Builds an uncompressed wire name from plain dotted text ("www.example.com",
 * "" or "." for the root); no escapes.  Returns its length.
 */
static inline size_t tn(uint8_t *out, const char *dotted)
{
	size_t o = 0;
	const char *p = dotted;
	while (*p && strcmp(p, ".") != 0) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		out[o++] = (uint8_t)l;
		memcpy(out + o, p, l);
		o += l;
		p += l;
		if (*p == '.')
			p++;
	}
	out[o++] = 0;
	return o;
}

static inline const char *hexs(const void *buf, size_t len, char *out, size_t cap)
{
	const uint8_t *b = buf;
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < len && o + 4 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x ", b[i]);
	return out;
}

#define assert_bytes(got, gotlen, exp, explen)                                  \
	do {                                                                    \
		char hx_g_[1024], hx_e_[1024];                                  \
		size_t gl_ = (size_t)(gotlen), el_ = (size_t)(explen);          \
		cr_assert(gl_ == el_ && memcmp((got), (exp), el_) == 0,         \
			  "bytes differ:\n got (%zu): %s\n exp (%zu): %s", gl_, \
			  hexs((got), gl_, hx_g_, sizeof(hx_g_)), el_,          \
			  hexs((exp), el_, hx_e_, sizeof(hx_e_)));              \
	} while (0)

/* Compares against a string literal's bytes (without its terminating NUL). */
#define assert_lit(got, gotlen, lit) assert_bytes((got), (gotlen), (lit), sizeof(lit) - 1)
