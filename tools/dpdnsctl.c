/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpdnsctl: sends one command to dpdnsd's control socket and prints the
 * answer (protocol: src/slowpath/control.h, doc/control.md).
 *
 *   dpdnsctl [-s SOCKET | -c CONFIG] [-j|--json] [-t SECONDS] COMMAND [ARG...]
 *
 * The socket is -s SOCKET, or control.listen of the configuration file
 * CONFIG (its default: <server.rundir>/dpdnsd.sock), or
 * /var/lib/dpdns/dpdnsd.sock.  The command is forwarded as it is: the
 * server decides which commands exist ("dpdnsctl help" lists them).
 *
 * Output: an OK answer's body goes to stdout.  An ERR answer's goes to
 * stderr after "error: " (to stdout as it is with --json, for scripts).
 * Exit status: 0 for OK, 1 for ERR or any failure to get an answer (no
 * socket, refused, timeout, broken answer, bad configuration), 2 for a
 * usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"

#define DEFAULT_SOCKET "/var/lib/dpdns/dpdnsd.sock"
#define DEFAULT_TIMEOUT_S 60
#define LINE_MAX_OCTETS 4096 /* SP_CTL_LINE_MAX: the request with its newline */
#define HEADER_MAX 32
#define BODY_MAX ((uint64_t)1 << 40) /* a larger length is a broken answer */
#define ERR_BODY_MAX 65536

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dpdnsctl [-s SOCKET | -c CONFIG] [-j|--json] [-t SECONDS]\n"
		"                COMMAND [ARG...]\n"
		"\n"
		"Sends COMMAND to dpdnsd's control socket and prints the answer.\n"
		"  -s, --socket SOCKET    the control socket (default " DEFAULT_SOCKET ")\n"
		"  -c, --config CONFIG    take the socket from this configuration file\n"
		"                         (control.listen, default <server.rundir>/dpdnsd.sock)\n"
		"  -j, --json             ask for a JSON answer instead of text\n"
		"  -t, --timeout SECONDS  how long to wait for the answer (default %d)\n"
		"  -h, --help             this text\n"
		"\n"
		"Commands (the server decides which it has: \"dpdnsctl help\" lists them):\n"
		"  status                 uptime, lcores, ports, queries per second\n"
		"  zone-status [ZONE]     serials, refresh times and errors of a zone, or all\n"
		"  zone-refresh ZONE      ask the primary for a newer serial now\n"
		"  zone-retransfer ZONE   transfer the whole zone again (AXFR) now\n"
		"  zone-show ZONE         the records served, as zone text\n"
		"  reload                 re-read the configuration\n"
		"  stats                  counters\n"
		"  help [COMMAND]         the server's commands, or one command's usage\n"
		"\n"
		"Exit status: 0 OK, 1 error (from the server, or no answer), 2 usage.\n",
		DEFAULT_TIMEOUT_S);
}

__attribute__((noreturn, format(printf, 1, 2))) static void usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("dpdnsctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(dpdnsctl -h for help)\n", stderr);
	exit(2);
}

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
	va_list ap;
	fputs("dpdnsctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* A word the protocol can carry: printable ASCII, no space. */
static bool word_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

/* Milliseconds left until deadline (CLOCK_MONOTONIC, ms), at least 0. */
static int left_ms(uint64_t deadline)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	return now >= deadline ? 0 : (int)(deadline - now > INT32_MAX ? INT32_MAX : deadline - now);
}

/* Reads up to n octets before deadline; returns the count, 0 at EOF, -1 (errno) on error. */
static ssize_t read_some(int fd, void *buf, size_t n, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int rc = poll(&p, 1, left_ms(deadline));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		if (rc == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		ssize_t k = recv(fd, buf, n, 0);
		if (k < 0 && errno == EINTR)
			continue;
		return k;
	}
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fail("%s: socket path too long (at most %zu octets)", path,
		     sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail("socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	int e = errno;
	close(fd);
	switch (e) {
	case ENOENT:
		fail("cannot connect to %s: no such socket (is dpdnsd running? its socket is "
		     "control.listen in its configuration)",
		     path);
		break;
	case ECONNREFUSED:
		fail("cannot connect to %s: connection refused (nothing listens there: dpdnsd is "
		     "not running, or the file is not its socket)",
		     path);
		break;
	case EACCES:
	case EPERM:
		fail("cannot connect to %s: permission denied (the socket is for its owner and "
		     "group only: run as one of them)",
		     path);
		break;
	case EAGAIN:
		fail("cannot connect to %s: the server is not accepting connections (busy)", path);
		break;
	default: fail("cannot connect to %s: %s", path, strerror(e));
	}
	return -1;
}

/* The request line, [--json ]COMMAND ARG...\n, into line (LINE_MAX_OCTETS); its length. */
static size_t make_request(char *line, bool json, char **words, int n)
{
	size_t len = 0;
	if (json) {
		memcpy(line, "--json ", 7);
		len = 7;
	}
	for (int i = 0; i < n; i++) {
		size_t w = strlen(words[i]);
		if (w + 1 > LINE_MAX_OCTETS - len)
			usage_error("the request is too long (at most %d octets)",
				    LINE_MAX_OCTETS - 1);
		memcpy(line + len, words[i], w);
		len += w;
		line[len++] = i + 1 < n ? ' ' : '\n';
	}
	return len;
}

static int send_request(int fd, const char *line, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t k = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return fail("sending the request: %s", strerror(errno));
		off += (size_t)k;
	}
	return 0;
}

/* Reads the answer and prints it; returns the exit status. */
static int read_answer(int fd, bool json, int timeout_s)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t deadline = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 +
			    (uint64_t)timeout_s * 1000;

	/* The header, octet by octet: the body follows it in the same stream. */
	char hdr[HEADER_MAX + 1];
	size_t n = 0;
	for (;;) {
		ssize_t k = read_some(fd, hdr + n, 1, deadline);
		if (k < 0 && errno == ETIMEDOUT)
			return fail("no answer within %d s", timeout_s);
		if (k < 0)
			return fail("reading the answer: %s", strerror(errno));
		if (k == 0)
			return fail(n ? "the connection closed in the middle of the answer" :
					"the connection closed without an answer");
		if (hdr[n++] == '\n')
			break;
		if (n == HEADER_MAX)
			return fail("not a dpdnsd control socket (bad answer header)");
	}
	hdr[n] = '\0';
	bool ok;
	const char *num;
	if (!strncmp(hdr, "OK ", 3)) {
		ok = true;
		num = hdr + 3;
	} else if (!strncmp(hdr, "ERR ", 4)) {
		ok = false;
		num = hdr + 4;
	} else {
		return fail("not a dpdnsd control socket (bad answer header)");
	}
	uint64_t len = 0;
	const char *p = num;
	for (; *p >= '0' && *p <= '9' && len <= BODY_MAX; p++)
		len = len * 10 + (uint64_t)(*p - '0');
	if (p == num || *p != '\n' || len > BODY_MAX)
		return fail("not a dpdnsd control socket (bad answer header)");

	/* The body: streamed to stdout, or kept for stderr (an ERR in text). */
	bool to_err = !ok && !json;
	char *errbody = NULL;
	size_t errlen = 0;
	if (to_err) {
		errbody = malloc(ERR_BODY_MAX + 1);
		if (!errbody)
			return fail("out of memory");
	}
	char buf[65536];
	uint64_t got = 0;
	int status = ok ? 0 : 1;
	while (got < len) {
		size_t want = len - got < sizeof(buf) ? (size_t)(len - got) : sizeof(buf);
		ssize_t k = read_some(fd, buf, want, deadline);
		if (k <= 0) {
			if (k < 0 && errno == ETIMEDOUT)
				status = fail("the answer did not finish within %d s", timeout_s);
			else if (k < 0)
				status = fail("reading the answer: %s", strerror(errno));
			else
				status = fail("the connection closed in the middle of the answer");
			break;
		}
		got += (uint64_t)k;
		if (!to_err) {
			fwrite(buf, 1, (size_t)k, stdout);
		} else {
			size_t room = ERR_BODY_MAX - errlen;
			size_t take = (size_t)k < room ? (size_t)k : room;
			memcpy(errbody + errlen, buf, take);
			errlen += take;
		}
	}
	if (to_err) {
		while (errlen && errbody[errlen - 1] == '\n')
			errlen--;
		errbody[errlen] = '\0';
		if (got == len)
			fprintf(stderr, "error: %s\n", errbody);
		free(errbody);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		status = fail("writing the answer: %s", strerror(errno));
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *config = NULL;
	bool json = false;
	int timeout_s = DEFAULT_TIMEOUT_S;
	int c;

	opterr = 0;
	/* "+": options end at the command, so its arguments are never taken for ours. */
	while ((c = getopt_long(argc, argv, "+:s:c:jt:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'c': config = optarg; break;
		case 'j': json = true; break;
		case 't': {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 86400)
				usage_error("bad timeout '%s' (seconds, 1..86400)", optarg);
			timeout_s = (int)v;
			break;
		}
		case 'h': usage(stdout); return 0;
		case ':': usage_error("option %s needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				usage_error("unknown option -%c", optopt);
			usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (sock && config)
		usage_error("-s and -c are exclusive");
	if (optind == argc)
		usage_error("no command");
	for (int i = optind; i < argc; i++)
		if (!word_ok(argv[i]))
			usage_error("'%s' cannot be sent: commands and arguments are words of "
				    "printable ASCII without spaces",
				    argv[i]);

	char line[LINE_MAX_OCTETS];
	size_t len = make_request(line, json, argv + optind, argc - optind);

	struct conf *cf = NULL;
	if (config) {
		char err[1024];
		int rc = conf_load(config, &cf, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "dpdnsctl: %s\n", err);
			return 1;
		}
		sock = cf->control.listen;
	}
	if (!sock)
		sock = DEFAULT_SOCKET;

	int status = 1;
	int fd = connect_socket(sock);
	if (fd >= 0) {
		status = send_request(fd, line, len);
		if (status == 0)
			status = read_answer(fd, json, timeout_s);
		close(fd);
	}
	conf_free(cf);
	return status;
}
