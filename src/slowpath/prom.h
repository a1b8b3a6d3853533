/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Writer of the Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/), into a
 * struct sp_buf: metric families ("# HELP" and "# TYPE" lines) and their
 * samples, with labels, for counters, gauges, untyped metrics, summaries
 * and histograms (whose quantile/le labels the caller writes).
 *
 * Checked, so that the exposition stays parseable whatever the caller
 * passes: metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
 * [a-zA-Z_][a-zA-Z0-9_]* and do not start with "__" (reserved), a sample
 * has no label name twice, every sample belongs to the family declared last
 * (same name; for a summary also NAME_sum and NAME_count, for a histogram
 * NAME_bucket, NAME_sum and NAME_count instead), and no family is declared twice (among the first
 * SP_PROM_FAMILIES_SEEN / 2 families, by 64-bit hash).  Any violation is a bug in
 * the caller: a sticky DP_EINVAL reported by sp_prom_finish(), after which
 * nothing more is written.  Escaping (label values: '\\', '"', newline;
 * HELP text: '\\', newline) is done here; the text is otherwise copied as
 * is (the format is UTF-8, which the caller's strings should be).
 *
 * Values: integers exactly; doubles in their shortest exact decimal form,
 * NaN as "NaN" and infinities as "+Inf"/"-Inf".  No timestamps.
 *
 * Threads: a writer belongs to one thread (its buffer's).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slowpath/buf.h"

#define SP_PROM_NAME_MAX 200	  /* octets of a metric or label name */
#define SP_PROM_FAMILIES_SEEN 512 /* hash slots; the first half as many families are checked */

enum sp_prom_type {
	SP_PROM_COUNTER,
	SP_PROM_GAUGE,
	SP_PROM_UNTYPED,
	SP_PROM_SUMMARY,   /* samples NAME{quantile=...}, NAME_sum, NAME_count */
	SP_PROM_HISTOGRAM, /* samples NAME_bucket{le=...}, NAME_sum, NAME_count */
};

/* One label of a sample: name="value". */
struct sp_prom_label {
	const char *name;
	const char *value;
};

struct sp_prom {
	struct sp_buf *b;
	int err;
	char family[SP_PROM_NAME_MAX + 1];    /* declared last; "" before the first */
	enum sp_prom_type ftype;	      /* its type */
	uint64_t seen[SP_PROM_FAMILIES_SEEN]; /* hashes of the declared names (0: free) */
	unsigned nseen;
};

/* A writer appending to b (which it does not own).  Allocates nothing. */
void sp_prom_init(struct sp_prom *p, struct sp_buf *b);

/*
 * Declares the family name: "# HELP name help" (help may be NULL: no HELP
 * line) and "# TYPE name type".
 */
void sp_prom_family(struct sp_prom *p, const char *name, enum sp_prom_type type, const char *help);

/* A sample of the current family: name{labels} value.  labels may be NULL when n is 0. */
void sp_prom_u64(struct sp_prom *p, const char *name, const struct sp_prom_label *labels,
		 unsigned n, uint64_t v);
void sp_prom_i64(struct sp_prom *p, const char *name, const struct sp_prom_label *labels,
		 unsigned n, int64_t v);
void sp_prom_double(struct sp_prom *p, const char *name, const struct sp_prom_label *labels,
		    unsigned n, double v);

/* 0, DP_EINVAL after misuse, or the buffer's error (DP_ENOMEM, DP_ESPACE). */
int sp_prom_finish(const struct sp_prom *p) __attribute__((warn_unused_result));

/* Name checks, as above. */
bool sp_prom_metric_name_ok(const char *name);
bool sp_prom_label_name_ok(const char *name);
