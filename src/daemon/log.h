/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The daemon's log: one line per event on stderr, "TIME LEVEL dpdnsd: text",
 * with a UTC timestamp.  Never called from a poll loop.  Thread-safe (one
 * fprintf per line).
 */

enum dd_log_level { DD_LOG_ERR, DD_LOG_WARN, DD_LOG_INFO, DD_LOG_DEBUG };

void dd_log(enum dd_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Lines with a level above this are not written (default DD_LOG_INFO). */
void dd_log_set_level(enum dd_log_level level);
