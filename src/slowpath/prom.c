/* SPDX-License-Identifier: BSD-3-Clause */
#include "slowpath/prom.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/errcode.h"

void sp_prom_init(struct sp_prom *p, struct sp_buf *b)
{
	memset(p, 0, sizeof(*p));
	p->b = b;
}

static bool name_ok(const char *s, bool colon)
{
	size_t n = strlen(s);
	if (n == 0 || n > SP_PROM_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			  (colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
		if (!ok)
			return false;
	}
	return true;
}

bool sp_prom_metric_name_ok(const char *name)
{
	return name && name_ok(name, true);
}

bool sp_prom_label_name_ok(const char *name)
{
	return name && name_ok(name, false) && strncmp(name, "__", 2) != 0;
}

/* FNV-1a, never 0 (0 marks a free slot). */
static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h ? h : 1;
}

/* Records name; false when it was declared before. */
static bool remember(struct sp_prom *p, const char *name)
{
	if (p->nseen >= SP_PROM_FAMILIES_SEEN / 2)
		return true; /* keep the table sparse; past this, unchecked (documented) */
	uint64_t h = name_hash(name);
	size_t i = (size_t)(h % SP_PROM_FAMILIES_SEEN);
	while (p->seen[i]) {
		if (p->seen[i] == h)
			return false;
		i = (i + 1) % SP_PROM_FAMILIES_SEEN;
	}
	p->seen[i] = h;
	p->nseen++;
	return true;
}

/* Text with '\\' and newline escaped, and '"' too when quote. */
static void escaped(struct sp_buf *b, const char *s, bool quote)
{
	size_t run = 0, i = 0;
	for (; s[i]; i++) {
		const char *esc = NULL;
		if (s[i] == '\\')
			esc = "\\\\";
		else if (s[i] == '\n')
			esc = "\\n";
		else if (quote && s[i] == '"')
			esc = "\\\"";
		if (!esc) {
			run++;
			continue;
		}
		sp_buf_add(b, s + i - run, run);
		run = 0;
		sp_buf_puts(b, esc);
	}
	sp_buf_add(b, s + i - run, run);
}

static const char *const type_names[] = {
	[SP_PROM_COUNTER] = "counter",
	[SP_PROM_GAUGE] = "gauge",
	[SP_PROM_UNTYPED] = "untyped",
	[SP_PROM_SUMMARY] = "summary",
	[SP_PROM_HISTOGRAM] = "histogram",
};

void sp_prom_family(struct sp_prom *p, const char *name, enum sp_prom_type type, const char *help)
{
	if (p->err)
		return;
	if (!sp_prom_metric_name_ok(name) || (unsigned)type > SP_PROM_HISTOGRAM ||
	    !remember(p, name)) {
		p->err = DP_EINVAL;
		return;
	}
	snprintf(p->family, sizeof(p->family), "%s", name);
	p->ftype = type;
	if (help) {
		sp_buf_printf(p->b, "# HELP %s ", name);
		escaped(p->b, help, false);
		sp_buf_putc(p->b, '\n');
	}
	sp_buf_printf(p->b, "# TYPE %s %s\n", name, type_names[type]);
}

/* Whether a sample called name belongs to the family declared last. */
static bool in_family(const struct sp_prom *p, const char *name)
{
	size_t n = strlen(p->family);
	if (strncmp(name, p->family, n) != 0)
		return false;
	const char *sfx = name + n;
	switch (p->ftype) {
	case SP_PROM_SUMMARY:
		return !*sfx || !strcmp(sfx, "_sum") || !strcmp(sfx, "_count");
	case SP_PROM_HISTOGRAM:
		return !strcmp(sfx, "_bucket") || !strcmp(sfx, "_sum") || !strcmp(sfx, "_count");
	default:
		return !*sfx;
	}
}

/* name{labels} and the space before the value; false on misuse. */
static bool sample_begin(struct sp_prom *p, const char *name, const struct sp_prom_label *l,
			 unsigned n)
{
	if (p->err)
		return false;
	if (!name || !p->family[0] || !in_family(p, name) || (n && !l))
		goto misuse;
	for (unsigned i = 0; i < n; i++) {
		if (!sp_prom_label_name_ok(l[i].name) || !l[i].value)
			goto misuse;
		for (unsigned k = 0; k < i; k++)
			if (!strcmp(l[k].name, l[i].name))
				goto misuse;
	}
	sp_buf_puts(p->b, name);
	if (n) {
		sp_buf_putc(p->b, '{');
		for (unsigned i = 0; i < n; i++) {
			sp_buf_printf(p->b, "%s%s=\"", i ? "," : "", l[i].name);
			escaped(p->b, l[i].value, true);
			sp_buf_putc(p->b, '"');
		}
		sp_buf_putc(p->b, '}');
	}
	sp_buf_putc(p->b, ' ');
	return true;

misuse:
	p->err = DP_EINVAL;
	return false;
}

void sp_prom_u64(struct sp_prom *p, const char *name, const struct sp_prom_label *labels,
		 unsigned n, uint64_t v)
{
	if (sample_begin(p, name, labels, n))
		sp_buf_printf(p->b, "%" PRIu64 "\n", v);
}

void sp_prom_i64(struct sp_prom *p, const char *name, const struct sp_prom_label *labels,
		 unsigned n, int64_t v)
{
	if (sample_begin(p, name, labels, n))
		sp_buf_printf(p->b, "%" PRId64 "\n", v);
}

void sp_prom_double(struct sp_prom *p, const char *name, const struct sp_prom_label *labels,
		    unsigned n, double v)
{
	if (!sample_begin(p, name, labels, n))
		return;
	if (isnan(v)) {
		sp_buf_puts(p->b, "NaN\n");
	} else if (isinf(v)) {
		sp_buf_puts(p->b, v > 0 ? "+Inf\n" : "-Inf\n");
	} else {
		char s[32];
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(s, sizeof(s), "%.*g", prec, v);
			if (strtod(s, NULL) == v)
				break;
		}
		sp_buf_printf(p->b, "%s\n", s);
	}
}

int sp_prom_finish(const struct sp_prom *p)
{
	return p->err ? p->err : sp_buf_error(p->b);
}
