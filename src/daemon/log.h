/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The daemon's log: one line per event, to the targets of the configuration's
 * log section (doc/config.md): stderr, stdout, files (appended), syslog.  Each
 * line has a category (server, zone, control) and a level (syslog's
 * priorities, critical to debug); a target writes a line when its level for
 * that category is set and at least as verbose as the line's.
 *
 * On stderr, stdout and files a line is "TIME LEVEL dpdnsd: text" with a UTC
 * timestamp, written with one write(2), so lines from several threads never
 * interleave; syslog gets "text" with the level as priority, facility daemon,
 * ident dpdnsd.  Before dd_log_open (and after dd_log_close) lines go to
 * stderr at info, every category.
 *
 * Never called from a poll loop (it formats, and may block on a slow target).
 * Threads: dd_logc from any thread; dd_log_open and dd_log_close on the main
 * thread while no other thread logs (at start and at the end);
 * dd_log_reopen from any thread.
 */

#include <stddef.h>

#include "conf/conf.h"

/* syslog(3) priorities, as the configuration's levels. */
enum dd_log_level {
	DD_LOG_CRIT = CONF_LOG_CRIT,
	DD_LOG_ERR = CONF_LOG_ERR,
	DD_LOG_WARN = CONF_LOG_WARNING,
	DD_LOG_NOTICE = CONF_LOG_NOTICE,
	DD_LOG_INFO = CONF_LOG_INFO,
	DD_LOG_DEBUG = CONF_LOG_DEBUG,
};

enum dd_log_cat {
	DD_LOG_SERVER = CONF_LOG_SERVER,
	DD_LOG_ZONE = CONF_LOG_ZONE,
	DD_LOG_CONTROL = CONF_LOG_CONTROL,
};

/* Logs one line of category cat at level (printf format; no newline needed). */
void dd_logc(enum dd_log_cat cat, enum dd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * dd_log(level, fmt, ...): a line of the file's category, DD_LOG_CATEGORY,
 * which a .c file may define before including this header (as zonemgr.c
 * does with DD_LOG_ZONE); DD_LOG_SERVER otherwise.
 */
#ifndef DD_LOG_CATEGORY
#define DD_LOG_CATEGORY DD_LOG_SERVER
#endif
#define dd_log(level, ...) dd_logc(DD_LOG_CATEGORY, (level), __VA_ARGS__)

/*
 * Makes logs[0..n) (a loaded configuration's log section, n >= 1) the
 * targets: opens the files (O_APPEND, created 0640) and syslog.  Returns 0,
 * or a negative dp_errcode (-errno of a file that cannot be opened,
 * DP_ENOMEM, DP_EINVAL for n == 0) with "log target PATH: reason" in err
 * (NUL-terminated, truncated to errlen); on error the previous targets stay.
 * logs is copied: it need not outlive the call.
 */
int dd_log_open(const struct conf_log *logs, unsigned n, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * Reopens every file target at its path (after log rotation moved it):
 * lines logged while it runs go to the old or the new file, none is lost.
 * A file that cannot be reopened keeps its old descriptor (and the problem
 * is logged).  SIGHUP calls this.
 */
void dd_log_reopen(void);

/* Closes the targets (files, syslog); stderr at info from then on. */
void dd_log_close(void);
