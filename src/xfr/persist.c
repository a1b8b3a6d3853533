/* SPDX-License-Identifier: BSD-3-Clause */
#include "xfr/persist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "dns/errcode.h"
#include "dns/name.h"
#include "xfr/timers.h"
#include "zone/dump.h"
#include "zone/load.h"

#define TIMERS_FILE_MAX 4096 /* a version-1 timers file is far smaller */
#define TMP_SUFFIX ".tmp.XXXXXX"
#define TMP_RAND 6 /* the Xs mkostemp replaces */

static const char magic[] = "dpdns-timers";

/* ------------------------------------------------------------ messages */

static void say(char *err, size_t errlen, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "PATH: message" into the caller's buffer. */
static void say(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || errlen == 0)
		return;
	n = snprintf(err, errlen, "%s: ", path);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static int fail_errno(char *err, size_t errlen, const char *path, const char *what, int e)
{
	say(err, errlen, path, "cannot %s: %s", what, strerror(e));
	return -e;
}

/* ---------------------------------------------------------- file names */

static bool keep_octet(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* SHA-256 of n octets; false when OpenSSL fails (out of memory). */
static bool sha256(const void *data, size_t n, uint8_t out[32])
{
	unsigned len = 0;
	return EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32;
}

int xfr_persist_name(const uint8_t *origin, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	char buf[DNS_NAME_MAXLEN * 3 + 2];
	size_t o = 0, keep = 0;
	uint8_t lower[DNS_NAME_MAXLEN];
	int len;

	if (!origin || !out)
		return DP_EINVAL;
	len = dns_name_check(origin, DNS_NAME_MAXLEN);
	if (len < 0)
		return DP_EINVAL;
	dns_name_copy_lower(lower, origin);
	if (lower[0] == 0)
		buf[o++] = '.';
	for (size_t i = 0; lower[i];) {
		size_t l = lower[i++];
		for (size_t j = 0; j < l; j++, i++) {
			uint8_t c = lower[i];
			if (keep_octet(c)) {
				buf[o++] = (char)c;
			} else {
				buf[o++] = '%';
				buf[o++] = hex[c >> 4];
				buf[o++] = hex[c & 15];
			}
			if (o <= XFR_PERSIST_NAME_KEEP)
				keep = o; /* whole characters and escapes only */
		}
		buf[o++] = '.';
		if (o <= XFR_PERSIST_NAME_KEEP)
			keep = o;
	}
	if (o > XFR_PERSIST_NAME_MAX) {
		uint8_t d[32];
		if (!sha256(lower, (size_t)len, d))
			return DP_ENOMEM;
		o = keep;
		buf[o++] = '~';
		for (size_t i = 0; i < 16; i++) {
			buf[o++] = (char)"0123456789abcdef"[d[i] >> 4];
			buf[o++] = (char)"0123456789abcdef"[d[i] & 15];
		}
		buf[o++] = '.';
	}
	if (o + 1 > cap)
		return DP_ESPACE;
	memcpy(out, buf, o);
	out[o] = '\0';
	return (int)o;
}

/* <rundir>/<stem><suffix> into out (PATH_MAX-sized). */
static int make_path(char *out, size_t cap, const char *rundir, const char *stem,
		     const char *prefix, const char *suffix)
{
	int n = snprintf(out, cap, "%s/%s%s%s", rundir, prefix, stem, suffix);
	return n < 0 || (size_t)n >= cap ? DP_ESPACE : 0;
}

/* ------------------------------------------------------- atomic writes */

/* A stdio stream that writes to fd and digests what passes through. */
struct sink {
	int fd;
	EVP_MD_CTX *md; /* NULL: no digest wanted */
	uint64_t bytes;
	int err; /* first errno, or DP_ENOMEM for the digest */
};

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
	struct sink *s = cookie;
	size_t done = 0;

	if (s->err)
		return 0;
	if (s->md && EVP_DigestUpdate(s->md, buf, n) != 1) {
		s->err = ENOMEM;
		return 0;
	}
	while (done < n) {
		ssize_t w = write(s->fd, buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			s->err = w < 0 ? errno : EIO;
			return 0; /* fopencookie: 0 is the error return */
		}
		done += (size_t)w;
	}
	s->bytes += n;
	return (ssize_t)n;
}

typedef int (*write_fn)(FILE *f, void *arg);

/*
 * Writes a file through fn into a temporary file beside <rundir>/<name>,
 * fsyncs it, renames it over the final name and fsyncs the directory.
 * With md, the bytes written are digested into it; *bytes gets their count.
 * On failure the temporary file is removed and the old file stays as it was.
 */
static int write_atomic(const char *rundir, const char *final, const char *tmpl, write_fn fn,
			void *arg, EVP_MD_CTX *md, uint64_t *bytes, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	struct sink s = { .fd = -1, .md = md };
	FILE *f = NULL;
	int dfd = -1, rc;

	if (snprintf(tmp, sizeof(tmp), "%s", tmpl) >= (int)sizeof(tmp)) {
		say(err, errlen, final, "path too long");
		return DP_EINVAL;
	}
	dfd = open(rundir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail_errno(err, errlen, rundir, "open the run directory", errno);
	s.fd = mkostemp(tmp, O_CLOEXEC);
	if (s.fd < 0) {
		rc = fail_errno(err, errlen, tmp, "create", errno);
		close(dfd);
		return rc;
	}
	f = fopencookie(&s, "w", (cookie_io_functions_t){ .write = sink_write });
	if (!f) {
		rc = fail_errno(err, errlen, tmp, "open a stream on", errno);
		goto fail;
	}
	/* Large writes: a zone of a million records is tens of megabytes. */
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	rc = fn(f, arg);
	if (fclose(f) != 0 && rc == 0)
		rc = DP_EIO;
	f = NULL;
	if (s.err) {
		rc = fail_errno(err, errlen, tmp, "write", s.err);
		goto fail;
	}
	if (rc < 0) {
		say(err, errlen, tmp, "cannot write: %s", dp_strerror(rc));
		goto fail;
	}
	if (fsync(s.fd) < 0) {
		rc = fail_errno(err, errlen, tmp, "fsync", errno);
		goto fail;
	}
	rc = close(s.fd);
	s.fd = -1;
	if (rc < 0) {
		rc = fail_errno(err, errlen, tmp, "close", errno);
		goto fail;
	}
	if (rename(tmp, final) < 0) {
		rc = fail_errno(err, errlen, final, "rename the new file over", errno);
		goto fail;
	}
	/* The rename is durable only once the directory is. */
	if (fsync(dfd) < 0) {
		rc = fail_errno(err, errlen, rundir, "fsync", errno);
		close(dfd);
		return rc;
	}
	close(dfd);
	if (bytes)
		*bytes = s.bytes;
	return 0;

fail:
	if (s.fd >= 0)
		close(s.fd);
	unlink(tmp);
	close(dfd);
	return rc;
}

static int dump_cb(FILE *f, void *arg)
{
	return zone_dump(arg, f);
}

/* The lowercase presentation form of a valid origin, as the timers file records it. */
static void origin_text(const uint8_t *origin, char *text, size_t cap)
{
	uint8_t lower[DNS_NAME_MAXLEN];

	dns_name_copy_lower(lower, origin);
	if (dns_name_to_text(lower, text, cap) < 0)
		abort(); /* DNS_NAME_TEXT_MAX holds any valid name */
}

/* The stem, checked arguments: 0 or DP_EINVAL with a message. */
static int stem_of(const char *rundir, const uint8_t *origin, char *stem, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!rundir || !*rundir || xfr_persist_name(origin, stem, XFR_PERSIST_NAME_MAX + 1) < 0) {
		say(err, errlen, rundir && *rundir ? rundir : "(rundir)",
		    "bad arguments (no run directory or an invalid origin)");
		return DP_EINVAL;
	}
	return 0;
}

int xfr_persist_save_zone(const char *rundir, const uint8_t *origin, const struct zone_contents *z,
			  struct xfr_persist_state *st, char *err, size_t errlen)
{
	char stem[XFR_PERSIST_NAME_MAX + 1], final[PATH_MAX], tmpl[PATH_MAX];
	struct xfr_soa soa;
	uint64_t bytes = 0;
	unsigned mdlen = 0;
	EVP_MD_CTX *md;
	int rc = stem_of(rundir, origin, stem, err, errlen);

	if (rc < 0)
		return rc;
	if (make_path(final, sizeof(final), rundir, stem, "", "zone") < 0 ||
	    make_path(tmpl, sizeof(tmpl), rundir, stem, ".", "zone" TMP_SUFFIX) < 0) {
		say(err, errlen, rundir, "path too long");
		return DP_EINVAL;
	}
	if (!z || !st || xfr_soa_from_zone(z, &soa) < 0 || !dns_name_eq(z->origin, origin)) {
		say(err, errlen, final, "nothing to save (no zone, no SOA or another origin)");
		return DP_EINVAL;
	}
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		say(err, errlen, final, "out of memory");
		return DP_ENOMEM;
	}
	rc = write_atomic(rundir, final, tmpl, dump_cb, (void *)z, md, &bytes, err, errlen);
	if (rc == 0) {
		if (EVP_DigestFinal_ex(md, st->zone_sha256, &mdlen) != 1 || mdlen != 32) {
			/* The new file is in place but we cannot describe it: its timers file
			 * will not match and the zone is refetched after a restart. */
			say(err, errlen, final, "cannot finish the digest");
			rc = DP_ENOMEM;
		} else {
			st->serial = soa.serial;
			st->zone_bytes = bytes;
		}
	}
	EVP_MD_CTX_free(md);
	return rc;
}

static bool primary_ok(const char *p)
{
	size_t n = strnlen(p, XFR_PERSIST_PRIMARY_MAX);

	if (n == XFR_PERSIST_PRIMARY_MAX || !strcmp(p, "-"))
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] > '~')
			return false;
	return true;
}

struct timers_text {
	const char *origin;
	const struct xfr_persist_state *st;
};

static int timers_cb(FILE *f, void *arg)
{
	const struct timers_text *t = arg;
	const struct xfr_persist_state *st = t->st;
	char hex[65];

	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", st->zone_sha256[i]);
	fprintf(f,
		"%s %d\norigin %s\nserial %" PRIu32 "\nlast-refresh %" PRId64 "\nexpire-at %" PRId64
		"\nprimary %s\nzone-bytes %" PRIu64 "\nzone-sha256 %s\nend\n",
		magic, XFR_PERSIST_VERSION, t->origin, st->serial, st->last_refresh, st->expire_at,
		st->primary[0] ? st->primary : "-", st->zone_bytes, hex);
	return ferror(f) ? DP_EIO : 0;
}

int xfr_persist_save_timers(const char *rundir, const uint8_t *origin,
			    const struct xfr_persist_state *st, char *err, size_t errlen)
{
	char stem[XFR_PERSIST_NAME_MAX + 1], final[PATH_MAX], tmpl[PATH_MAX];
	char text[DNS_NAME_TEXT_MAX];
	int rc = stem_of(rundir, origin, stem, err, errlen);

	if (rc < 0)
		return rc;
	if (make_path(final, sizeof(final), rundir, stem, "", "timers") < 0 ||
	    make_path(tmpl, sizeof(tmpl), rundir, stem, ".", "timers" TMP_SUFFIX) < 0) {
		say(err, errlen, rundir, "path too long");
		return DP_EINVAL;
	}
	if (!st || st->last_refresh < 0 || st->expire_at < 0 || !primary_ok(st->primary)) {
		say(err, errlen, final, "bad timers (negative time or unprintable primary)");
		return DP_EINVAL;
	}
	origin_text(origin, text, sizeof(text));
	struct timers_text t = { .origin = text, .st = st };
	return write_atomic(rundir, final, tmpl, timers_cb, &t, NULL, NULL, err, errlen);
}

int xfr_persist_save(const char *rundir, const uint8_t *origin, const struct zone_contents *z,
		     struct xfr_persist_state *st, char *err, size_t errlen)
{
	int rc = xfr_persist_save_zone(rundir, origin, z, st, err, errlen);
	return rc < 0 ? rc : xfr_persist_save_timers(rundir, origin, st, err, errlen);
}

/* ------------------------------------------------------------- reading */

/* Decimal digits only, no sign, at most max. */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

enum tkey {
	K_ORIGIN,
	K_SERIAL,
	K_LAST,
	K_EXPIRE,
	K_PRIMARY,
	K_BYTES,
	K_SHA,
	K_END,
	K_COUNT
};
static const char *const tkeys[K_COUNT] = {
	"origin",  "serial",	 "last-refresh", "expire-at",
	"primary", "zone-bytes", "zone-sha256",	 "end",
};

/* One "key value" line; returns 0 or DP_EMALF with the message. */
static int parse_line(char *line, unsigned lineno, const char *origin, bool *seen,
		      struct xfr_persist_state *st, const char *path, char *err, size_t errlen)
{
	char *val = strchr(line, ' ');
	uint64_t v;
	unsigned k;

	if (val)
		*val++ = '\0';
	for (k = 0; k < K_COUNT; k++)
		if (!strcmp(line, tkeys[k]))
			break;
	if (k == K_COUNT) {
		say(err, errlen, path, "line %u: unknown key '%.32s'", lineno, line);
		return DP_EMALF;
	}
	if (seen[k]) {
		say(err, errlen, path, "line %u: '%s' given twice", lineno, tkeys[k]);
		return DP_EMALF;
	}
	seen[k] = true;
	if ((k == K_END) != (val == NULL)) {
		say(err, errlen, path, "line %u: '%s' %s", lineno, tkeys[k],
		    k == K_END ? "takes no value" : "needs a value");
		return DP_EMALF;
	}
	switch (k) {
	case K_ORIGIN:
		if (strcmp(val, origin) != 0) {
			say(err, errlen, path, "line %u: origin '%.64s' is not the zone's ('%s')",
			    lineno, val, origin);
			return DP_EMALF;
		}
		return 0;
	case K_SERIAL:
		if (!parse_u64(val, UINT32_MAX, &v))
			break;
		st->serial = (uint32_t)v;
		return 0;
	case K_LAST:
	case K_EXPIRE:
		if (!parse_u64(val, INT64_MAX, &v))
			break;
		*(k == K_LAST ? &st->last_refresh : &st->expire_at) = (int64_t)v;
		return 0;
	case K_PRIMARY:
		if (!strcmp(val, "-")) {
			st->primary[0] = '\0';
			return 0;
		}
		if (strlen(val) >= XFR_PERSIST_PRIMARY_MAX || !primary_ok(val))
			break;
		strcpy(st->primary, val);
		return 0;
	case K_BYTES:
		if (!parse_u64(val, INT64_MAX, &v))
			break;
		st->zone_bytes = v;
		return 0;
	case K_SHA:
		if (strlen(val) != 64)
			break;
		for (size_t i = 0; i < 32; i++) {
			int hi = hexval(val[2 * i]), lo = hexval(val[2 * i + 1]);
			if (hi < 0 || lo < 0)
				goto bad;
			st->zone_sha256[i] = (uint8_t)(hi << 4 | lo);
		}
		return 0;
	default: return 0;
	}
bad:
	say(err, errlen, path, "line %u: bad %s '%.64s'", lineno, tkeys[k], val);
	return DP_EMALF;
}

/* Parses a whole timers file text[0..len); 0 or DP_EMALF with the message. */
static int parse_timers(char *text, size_t len, const char *origin, struct xfr_persist_state *st,
			const char *path, char *err, size_t errlen)
{
	bool seen[K_COUNT] = { false };
	char *p = text, *end = text + len;
	unsigned lineno = 0;
	int rc;

	if (memchr(text, '\0', len)) {
		say(err, errlen, path, "not a timers file (contains a NUL octet)");
		return DP_EMALF;
	}
	while (p < end && !seen[K_END]) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		lineno++;
		if (!nl) {
			say(err, errlen, path, "truncated: line %u has no end", lineno);
			return DP_EMALF;
		}
		*nl = '\0';
		if (lineno == 1) {
			size_t m = strlen(magic);
			uint64_t ver;
			if (strncmp(p, magic, m) != 0 || p[m] != ' ' ||
			    !parse_u64(p + m + 1, UINT32_MAX, &ver)) {
				say(err, errlen, path,
				    "not a dpdns timers file (first line '%.40s')", p);
				return DP_EMALF;
			}
			if (ver != XFR_PERSIST_VERSION) {
				say(err, errlen, path, "version %" PRIu64 " (this dpdnsd reads %d)",
				    ver, XFR_PERSIST_VERSION);
				return DP_EMALF;
			}
		} else {
			rc = parse_line(p, lineno, origin, seen, st, path, err, errlen);
			if (rc < 0)
				return rc;
		}
		p = nl + 1;
	}
	if (lineno == 0) {
		say(err, errlen, path, "empty");
		return DP_EMALF;
	}
	if (!seen[K_END]) {
		say(err, errlen, path, "truncated: no 'end' line after line %u", lineno);
		return DP_EMALF;
	}
	if (p != end) {
		say(err, errlen, path, "data after the 'end' line (line %u)", lineno);
		return DP_EMALF;
	}
	for (unsigned k = 0; k < K_END; k++)
		if (!seen[k]) {
			say(err, errlen, path, "'%s' is missing", tkeys[k]);
			return DP_EMALF;
		}
	return 0;
}

/* Reads the timers file into buf (TIMERS_FILE_MAX); returns its length or -errno / DP_EMALF. */
static ssize_t read_small(const char *path, char *buf, char *err, size_t errlen)
{
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + len, TIMERS_FILE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return fail_errno(err, errlen, path, "read", e);
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == TIMERS_FILE_MAX) {
			close(fd);
			say(err, errlen, path, "too large (over %d octets)", TIMERS_FILE_MAX - 1);
			return DP_EMALF;
		}
	}
	close(fd);
	return (ssize_t)len;
}

/* Checks the zone file's size and digest against st; 0, DP_EMALF or -errno. */
static int check_zone_file(const char *path, const struct xfr_persist_state *st, char *err,
			   size_t errlen)
{
	uint8_t d[32], buf[65536];
	EVP_MD_CTX *md = NULL;
	unsigned mdlen = 0;
	uint64_t total = 0;
	struct stat sb;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			say(err, errlen, path, "missing, but its timers file exists");
			return DP_EMALF;
		}
		return fail_errno(err, errlen, path, "open", errno);
	}
	if (fstat(fd, &sb) < 0) {
		rc = fail_errno(err, errlen, path, "stat", errno);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		say(err, errlen, path, "not a regular file");
		rc = DP_EMALF;
		goto out;
	}
	if ((uint64_t)sb.st_size != st->zone_bytes) {
		say(err, errlen, path,
		    "is %jd octets, its timers file says %" PRIu64
		    " (an interrupted save or damage)",
		    (intmax_t)sb.st_size, st->zone_bytes);
		rc = DP_EMALF;
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		say(err, errlen, path, "out of memory");
		rc = DP_ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fail_errno(err, errlen, path, "read", errno);
			goto out;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1) {
			say(err, errlen, path, "out of memory");
			rc = DP_ENOMEM;
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(md, d, &mdlen) != 1 || mdlen != 32) {
		say(err, errlen, path, "out of memory");
		rc = DP_ENOMEM;
		goto out;
	}
	if (total != st->zone_bytes || memcmp(d, st->zone_sha256, 32) != 0) {
		say(err, errlen, path, "does not match the SHA-256 in its timers file (damaged)");
		rc = DP_EMALF;
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	close(fd);
	return rc;
}

/* Keeps the first error line of the zone load for the caller's message. */
struct first_diag {
	char line[256];
	bool set;
};

static void first_diag_fn(void *ctx, enum zone_diag_level level, const char *line)
{
	struct first_diag *f = ctx;

	if (level == ZONE_DIAG_ERROR && !f->set) {
		snprintf(f->line, sizeof(f->line), "%s", line);
		f->set = true;
	}
}

/* True for ".<stem><zone|timers>.tmp.XXXXXX" (X: what mkostemp writes). */
static bool is_our_tmp(const char *name, const char *stem)
{
	static const char *const kinds[] = { "zone", "timers" };
	size_t sl = strlen(stem), nl = strlen(name);

	if (name[0] != '.' || strncmp(name + 1, stem, sl) != 0)
		return false;
	for (size_t k = 0; k < 2; k++) {
		const char *rest = name + 1 + sl;
		size_t kl = strlen(kinds[k]);
		if (nl != 1 + sl + kl + 5 + TMP_RAND || strncmp(rest, kinds[k], kl) != 0 ||
		    strncmp(rest + kl, ".tmp.", 5) != 0)
			continue;
		return true;
	}
	return false;
}

/* Deletes the zone's leftover temporary files; returns 0 or the first -errno. */
static int remove_tmp(const char *rundir, const char *stem)
{
	DIR *d = opendir(rundir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)) != NULL) {
		if (!is_our_tmp(e->d_name, stem))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT && rc == 0)
			rc = -errno;
	}
	closedir(d);
	return rc;
}

int xfr_persist_load(const char *rundir, const uint8_t *origin, struct xfr_persist_state *st,
		     struct zone_contents **out, char *err, size_t errlen)
{
	char stem[XFR_PERSIST_NAME_MAX + 1], zpath[PATH_MAX], tpath[PATH_MAX];
	char text[DNS_NAME_TEXT_MAX], buf[TIMERS_FILE_MAX];
	struct xfr_persist_state s = { 0 };
	struct first_diag fd = { .set = false };
	struct zone_diag diag;
	struct zone_contents *z;
	struct xfr_soa soa;
	ssize_t n;
	int rc;

	if (out)
		*out = NULL;
	rc = stem_of(rundir, origin, stem, err, errlen);
	if (rc < 0)
		return rc;
	if (!st || !out) {
		say(err, errlen, rundir, "bad arguments");
		return DP_EINVAL;
	}
	if (make_path(zpath, sizeof(zpath), rundir, stem, "", "zone") < 0 ||
	    make_path(tpath, sizeof(tpath), rundir, stem, "", "timers") < 0) {
		say(err, errlen, rundir, "path too long");
		return DP_EINVAL;
	}
	/* Only we write here, and not yet: whatever temporary file is left is dead. */
	(void)remove_tmp(rundir, stem);
	origin_text(origin, text, sizeof(text));

	n = read_small(tpath, buf, err, errlen);
	if (n == -ENOENT) {
		if (access(zpath, F_OK) == 0) {
			say(err, errlen, tpath, "missing, but the zone file %s exists", zpath);
			return DP_EMALF;
		}
		return DP_ENOENT;
	}
	if (n < 0) {
		if (n != DP_EMALF && err && errlen && !err[0])
			fail_errno(err, errlen, tpath, "open", (int)-n);
		return (int)n;
	}
	rc = parse_timers(buf, (size_t)n, text, &s, tpath, err, errlen);
	if (rc < 0)
		return rc;
	rc = check_zone_file(zpath, &s, err, errlen);
	if (rc < 0)
		return rc;

	zone_diag_init(&diag, first_diag_fn, &fd);
	z = zone_load_file(zpath, text, &diag);
	if (!z) {
		say(err, errlen, zpath, "does not load: %s", fd.set ? fd.line : "unknown error");
		return DP_EZONE;
	}
	rc = xfr_soa_from_zone(z, &soa);
	if (rc < 0 || soa.serial != s.serial) {
		say(err, errlen, zpath,
		    "serial %" PRIu32 " is not the %" PRIu32 " of its timers file",
		    rc < 0 ? 0 : soa.serial, s.serial);
		zone_contents_free(z);
		return DP_EMALF;
	}
	*st = s;
	*out = z;
	return 0;
}

int xfr_persist_remove(const char *rundir, const uint8_t *origin, char *err, size_t errlen)
{
	char stem[XFR_PERSIST_NAME_MAX + 1], path[PATH_MAX];
	static const char *const kinds[] = { "zone", "timers" };
	int rc = stem_of(rundir, origin, stem, err, errlen), first = 0;

	if (rc < 0)
		return rc;
	for (size_t k = 0; k < 2; k++) {
		if (make_path(path, sizeof(path), rundir, stem, "", kinds[k]) < 0) {
			say(err, errlen, rundir, "path too long");
			return DP_EINVAL;
		}
		if (unlink(path) < 0 && errno != ENOENT && first == 0)
			first = fail_errno(err, errlen, path, "delete", errno);
	}
	/* The directory entry removals are made durable like the writes. */
	int dfd = open(rundir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) < 0 && first == 0)
			first = fail_errno(err, errlen, rundir, "fsync", errno);
		close(dfd);
	}
	rc = remove_tmp(rundir, stem);
	if (rc < 0 && first == 0)
		first = fail_errno(err, errlen, rundir, "delete temporary files in", -rc);
	return first;
}
