/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "dns/errcode.h"

#define LINE_MAX_LEN 2048

enum target_kind {
	T_FD,
	T_FILE,
	T_SYSLOG
};

struct target {
	enum target_kind kind;
	int fd;	    /* T_FD, T_FILE */
	char *path; /* T_FILE */
	int8_t levels[CONF_LOG_CATS];
};

/*
 * The targets change only in dd_log_open and dd_log_close, which run while
 * no other thread logs; dd_log_reopen swaps a file under its descriptor
 * number with dup2(2), which is atomic, so no lock is needed anywhere.
 */
static struct target fallback = { .kind = T_FD,
				  .fd = STDERR_FILENO,
				  .levels = { CONF_LOG_INFO, CONF_LOG_INFO, CONF_LOG_INFO } };
static struct target *targets = &fallback;
static unsigned ntargets = 1;
static bool syslog_open;

static const char *const level_names[] = {
	[0] = "emergency",	    [1] = "alert",
	[DD_LOG_CRIT] = "critical", [DD_LOG_ERR] = "error",
	[DD_LOG_WARN] = "warning",  [DD_LOG_NOTICE] = "notice",
	[DD_LOG_INFO] = "info",	    [DD_LOG_DEBUG] = "debug",
};

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere left to say so */
		s += w;
		n -= (size_t)w;
	}
}

void dd_logc(enum dd_log_cat cat, enum dd_log_level level, const char *fmt, ...)
{
	char line[LINE_MAX_LEN];
	bool want_fd = false, want_syslog = false;
	unsigned c = (unsigned)cat < CONF_LOG_CATS ? (unsigned)cat : DD_LOG_SERVER;
	int lv = level < DD_LOG_CRIT ? DD_LOG_CRIT : level > DD_LOG_DEBUG ? DD_LOG_DEBUG : level;

	for (unsigned i = 0; i < ntargets; i++) {
		if (targets[i].levels[c] < lv)
			continue; /* CONF_LOG_NONE (-1) is below every level */
		if (targets[i].kind == T_SYSLOG)
			want_syslog = true;
		else
			want_fd = true;
	}
	if (!want_fd && !want_syslog)
		return;
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line),
			 "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s dpdnsd: ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 ts.tv_nsec / 1000000, level_names[lv]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	size_t head = (size_t)n;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + head, sizeof(line) - head - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	size_t len = head + (size_t)m;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2; /* cut: still one line */
	line[len] = '\n';
	line[len + 1] = '\0';
	for (unsigned i = 0; i < ntargets; i++) {
		const struct target *t = &targets[i];
		if (t->levels[c] < lv)
			continue;
		if (t->kind == T_SYSLOG) {
			line[len] = '\0';
			syslog(lv, "%s", line + head);
			line[len] = '\n';
		} else {
			write_all(t->fd, line, len + 1);
		}
	}
}

static void free_targets(struct target *ts, unsigned n)
{
	if (ts == &fallback)
		return;
	for (unsigned i = 0; i < n; i++) {
		if (ts[i].kind == T_FILE && ts[i].fd >= 0)
			close(ts[i].fd);
		free(ts[i].path);
	}
	free(ts);
}

static int open_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	return fd < 0 ? -errno : fd;
}

int dd_log_open(const struct conf_log *logs, unsigned n, char *err, size_t errlen)
{
	struct target *ts;
	bool want_syslog = false;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!logs || n == 0)
		return DP_EINVAL;
	ts = calloc(n, sizeof(*ts));
	if (!ts)
		return DP_ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		struct target *t = &ts[i];
		const char *tg = logs[i].target;
		t->fd = -1;
		memcpy(t->levels, logs[i].levels, sizeof(t->levels));
		if (!strcmp(tg, "stderr") || !strcmp(tg, "stdout")) {
			t->kind = T_FD;
			t->fd = tg[3] == 'e' ? STDERR_FILENO : STDOUT_FILENO;
		} else if (!strcmp(tg, "syslog")) {
			t->kind = T_SYSLOG;
			want_syslog = true;
		} else {
			t->kind = T_FILE;
			t->path = strdup(tg);
			if (!t->path) {
				rc = DP_ENOMEM;
				goto fail;
			}
			rc = open_file(tg);
			if (rc < 0) {
				if (err && errlen)
					snprintf(err, errlen, "log target %s: %s", tg,
						 strerror(-rc));
				goto fail;
			}
			t->fd = rc;
		}
	}
	dd_log_close();
	if (want_syslog) {
		openlog("dpdnsd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		syslog_open = true;
	}
	targets = ts;
	ntargets = n;
	return 0;
fail:
	free_targets(ts, n);
	return rc;
}

void dd_log_reopen(void)
{
	for (unsigned i = 0; i < ntargets; i++) {
		struct target *t = &targets[i];
		if (t->kind != T_FILE)
			continue;
		int fd = open_file(t->path);
		if (fd < 0) {
			dd_logc(DD_LOG_SERVER, DD_LOG_ERR, "log target %s: cannot reopen: %s",
				t->path, strerror(-fd));
			continue;
		}
		/* Atomic: a concurrent write goes to the old file or the new one. */
		if (dup2(fd, t->fd) < 0)
			dd_logc(DD_LOG_SERVER, DD_LOG_ERR, "log target %s: cannot reopen: %s",
				t->path, strerror(errno));
		close(fd);
	}
}

void dd_log_close(void)
{
	struct target *old = targets;
	unsigned n = ntargets;

	targets = &fallback;
	ntargets = 1;
	free_targets(old, n);
	if (syslog_open) {
		closelog();
		syslog_open = false;
	}
}
