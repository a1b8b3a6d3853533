/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's log (src/daemon/log.h): per-target, per-category levels,
 * the line format, several targets at once, file targets appended and
 * reopened after rotation, stdout and the stderr fallback, syslog (through a
 * private /dev/log in a mount namespace of a child process), and a target
 * that cannot be opened.
 */
#include "daemon/log.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "dns/errcode.h"

static char dir[64];

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof(dir), "/tmp/dpdns-log-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void rm_tmp(void)
{
	char cmd[128];
	dd_log_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(log, .init = mkdir_tmp, .fini = rm_tmp, .timeout = 20);

static char *path_in(const char *name)
{
	static char p[4][128];
	static unsigned k;
	char *out = p[k++ % 4];
	snprintf(out, 128, "%s/%s", dir, name);
	return out;
}

static char *slurp(const char *path)
{
	static char buf[16384];
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;
	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

static struct conf_log target(const char *t, int server, int zone, int control)
{
	struct conf_log l = { .target = (char *)t,
			      .levels = { (int8_t)server, (int8_t)zone, (int8_t)control } };
	return l;
}

Test(log, levels_categories_and_format)
{
	char err[256];
	struct conf_log l = target(path_in("a.log"), DD_LOG_WARN, DD_LOG_DEBUG, CONF_LOG_NONE);
	cr_assert_eq(dd_log_open(&l, 1, err, sizeof(err)), 0, "%s", err);
	dd_logc(DD_LOG_SERVER, DD_LOG_ERR, "server error %d", 1);
	dd_logc(DD_LOG_SERVER, DD_LOG_WARN, "server warning");
	dd_logc(DD_LOG_SERVER, DD_LOG_NOTICE, "server notice (dropped)");
	dd_logc(DD_LOG_SERVER, DD_LOG_INFO, "server info (dropped)");
	dd_logc(DD_LOG_ZONE, DD_LOG_DEBUG, "zone debug");
	dd_logc(DD_LOG_CONTROL, DD_LOG_CRIT, "control critical (dropped: no level)");
	dd_log(DD_LOG_CRIT, "dd_log is the server category");
	dd_log(DD_LOG_INFO, "so this is dropped");
	const char *s = slurp(l.target);
	cr_assert_not_null(s);
	cr_assert_eq(count_lines(s), 4, "%s", s);
	cr_assert_null(strstr(s, "dropped"), "%s", s);
	cr_assert_not_null(strstr(s, " error dpdnsd: server error 1\n"), "%s", s);
	cr_assert_not_null(strstr(s, " warning dpdnsd: server warning\n"));
	cr_assert_not_null(strstr(s, " debug dpdnsd: zone debug\n"));
	cr_assert_not_null(strstr(s, " critical dpdnsd: dd_log is the server category\n"));
	/* "YYYY-MM-DDTHH:MM:SS.mmmZ " */
	cr_assert_eq(strlen(s) > 25 && s[4] == '-' && s[10] == 'T' && s[23] == 'Z' && s[24] == ' ',
		     1, "%s", s);
}

Test(log, several_targets_and_append)
{
	char err[256];
	const char *a = path_in("a.log"), *b = path_in("b.log");
	FILE *f = fopen(a, "w");
	cr_assert_not_null(f);
	fputs("kept\n", f);
	fclose(f);
	struct conf_log l[2] = {
		target(a, DD_LOG_INFO, DD_LOG_INFO, DD_LOG_INFO),
		target(b, DD_LOG_ERR, DD_LOG_ERR, DD_LOG_ERR),
	};
	cr_assert_eq(dd_log_open(l, 2, err, sizeof(err)), 0, "%s", err);
	dd_logc(DD_LOG_ZONE, DD_LOG_INFO, "info line");
	dd_logc(DD_LOG_ZONE, DD_LOG_ERR, "error line");
	char *sa = strdup(slurp(a)), *sb = strdup(slurp(b));
	cr_assert_eq(strncmp(sa, "kept\n", 5), 0, "appended, not truncated: %s", sa);
	cr_assert_eq(count_lines(sa), 3);
	cr_assert_eq(count_lines(sb), 1);
	cr_assert_not_null(strstr(sb, "error line"));
	struct stat st;
	cr_assert_eq(stat(b, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0640);
	free(sa);
	free(sb);
	/* A long line is cut, and still one line. */
	char big[4000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	dd_logc(DD_LOG_ZONE, DD_LOG_ERR, "%s", big);
	cr_assert_eq(count_lines(slurp(b)), 2);
}

Test(log, reopen_after_rotation)
{
	char err[256];
	const char *a = path_in("a.log"), *old = path_in("a.log.1");
	struct conf_log l = target(a, DD_LOG_INFO, DD_LOG_INFO, DD_LOG_INFO);
	cr_assert_eq(dd_log_open(&l, 1, err, sizeof(err)), 0, "%s", err);
	dd_log(DD_LOG_INFO, "before");
	cr_assert_eq(rename(a, old), 0);
	dd_log(DD_LOG_INFO, "between");
	dd_log_reopen();
	dd_log(DD_LOG_INFO, "after");
	char *so = strdup(slurp(old));
	const char *sn = slurp(a);
	cr_assert_not_null(sn, "reopen created the file again");
	cr_assert_not_null(strstr(so, "before") && strstr(so, "between") ? so : NULL, "%s", so);
	cr_assert_null(strstr(so, "after"));
	cr_assert_eq(count_lines(sn), 1);
	cr_assert_not_null(strstr(sn, "after"));
	free(so);
}

Test(log, bad_target_keeps_the_previous)
{
	char err[256];
	const char *a = path_in("a.log");
	struct conf_log l = target(a, DD_LOG_INFO, DD_LOG_INFO, DD_LOG_INFO);
	cr_assert_eq(dd_log_open(&l, 1, err, sizeof(err)), 0, "%s", err);
	struct conf_log bad[2] = {
		target("stdout", DD_LOG_INFO, DD_LOG_INFO, DD_LOG_INFO),
		target(path_in("no/such/dir.log"), DD_LOG_INFO, DD_LOG_INFO, DD_LOG_INFO),
	};
	cr_assert_eq(dd_log_open(bad, 2, err, sizeof(err)), -ENOENT);
	cr_assert_not_null(strstr(err, "no/such/dir.log: No such file or directory"), "%s", err);
	cr_assert_eq(strncmp(err, "log target /tmp/", 16), 0, "%s", err);
	dd_log(DD_LOG_INFO, "still here");
	cr_assert_not_null(strstr(slurp(a), "still here"));
	cr_assert_eq(dd_log_open(bad, 0, err, sizeof(err)), DP_EINVAL);
}

/* Runs fn with fd (1 or 2) sent to a file; returns what it wrote. */
static const char *capture(int fd, void (*fn)(void))
{
	const char *p = path_in(fd == 1 ? "out" : "err");
	int f = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int saved = dup(fd);
	cr_assert(f >= 0 && saved >= 0);
	fflush(NULL);
	cr_assert_eq(dup2(f, fd), fd);
	fn();
	dup2(saved, fd);
	close(saved);
	close(f);
	return slurp(p);
}

static void log_some(void)
{
	dd_logc(DD_LOG_CONTROL, DD_LOG_INFO, "control info");
	dd_logc(DD_LOG_SERVER, DD_LOG_DEBUG, "server debug");
}

Test(log, stderr_fallback_and_stdout)
{
	char err[256];
	/* Before dd_log_open: stderr at info. */
	const char *s = capture(2, log_some);
	cr_assert_eq(count_lines(s), 1, "%s", s);
	cr_assert_not_null(strstr(s, " info dpdnsd: control info\n"));
	struct conf_log l = target("stdout", DD_LOG_DEBUG, CONF_LOG_NONE, CONF_LOG_NONE);
	cr_assert_eq(dd_log_open(&l, 1, err, sizeof(err)), 0, "%s", err);
	s = capture(1, log_some);
	cr_assert_eq(count_lines(s), 1, "%s", s);
	cr_assert_not_null(strstr(s, " debug dpdnsd: server debug\n"));
	cr_assert_str_empty(capture(2, log_some), "stderr is no target now");
	dd_log_close();
	s = capture(2, log_some);
	cr_assert_not_null(strstr(s, "control info"), "back to stderr after close");
}

/*
 * syslog(3) writes to /dev/log: a child process with its own mount namespace
 * puts a datagram socket of ours there, then logs.
 */
Test(log, syslog_target)
{
	int sv[2];
	cr_assert_eq(pipe(sv), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char msgs[1024] = "", err[256];
		int code = 0;
		close(sv[0]);
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tmpfs", "/dev", "tmpfs", 0, "size=64k") < 0) {
			snprintf(msgs, sizeof(msgs), "SKIP %s", strerror(errno));
			goto out;
		}
		int s = socket(AF_UNIX, SOCK_DGRAM, 0);
		struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
		if (s < 0 || bind(s, (struct sockaddr *)&un, sizeof(un)) < 0) {
			snprintf(msgs, sizeof(msgs), "SKIP bind: %s", strerror(errno));
			goto out;
		}
		struct timeval tv = { .tv_sec = 2 };
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		struct conf_log l = target("syslog", DD_LOG_NOTICE, DD_LOG_NOTICE, DD_LOG_NOTICE);
		if (dd_log_open(&l, 1, err, sizeof(err)) < 0) {
			snprintf(msgs, sizeof(msgs), "open: %s", err);
			code = 1;
			goto out;
		}
		dd_logc(DD_LOG_ZONE, DD_LOG_INFO, "not this one");
		dd_logc(DD_LOG_ZONE, DD_LOG_WARN, "zone warning %d", 42);
		ssize_t n = recv(s, msgs, sizeof(msgs) - 1, 0);
		msgs[n > 0 ? n : 0] = '\0';
		dd_log_close();
out:
		(void)!write(sv[1], msgs, strlen(msgs));
		_exit(code);
	}
	close(sv[1]);
	char got[1024];
	ssize_t n = read(sv[0], got, sizeof(got) - 1);
	got[n > 0 ? n : 0] = '\0';
	close(sv[0]);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	if (!strncmp(got, "SKIP", 4))
		cr_skip_test("no mount namespace here (%s): needs root", got);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", got);
	/* "<28>Nov 22 06:50:59 dpdnsd[PID]: zone warning 42": daemon (3 << 3) | warning (4) */
	char want[16];
	snprintf(want, sizeof(want), "<%d>", LOG_DAEMON | LOG_WARNING);
	cr_assert_eq(strncmp(got, want, strlen(want)), 0, "%s", got);
	cr_assert_not_null(strstr(got, " dpdnsd["), "%s", got);
	cr_assert_not_null(strstr(got, "]: zone warning 42"), "%s", got);
	cr_assert_null(strstr(got, "dpdnsd: "), "no timestamp/level prefix: %s", got);
}
