/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Persistence of secondary zones (src/xfr/persist.h): file names for any
 * origin, the round trip zone -> rundir -> zone with an identical dump,
 * the timers file, and crash safety: leftover temporary files are ignored
 * (and cleaned up), and every truncated, damaged, mismatched or foreign file
 * is refused with a message, never half-loaded.  Each test works in its own
 * directory under /tmp, removed afterwards.
 */
#include "xfr/persist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <criterion/criterion.h>

#include "../zone/zonetest.h"
#include "dns/errcode.h"
#include "xfr/timers.h"
#include "zone/builder.h"
#include "zone/load.h"

static char dir[64];
static char err[512];

static void mkdir_setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/dpdns-persist-test-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_teardown(void)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	dir[0] = '\0';
}

TestSuite(persist, .init = mkdir_setup, .fini = rm_teardown);

/* ---------------------------------------------------------------- helpers */

static char *path_in(const char *name)
{
	char *p = NULL;
	cr_assert_gt(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	char *buf = NULL;
	size_t cap = 0;
	FILE *m = open_memstream(&buf, &cap);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	if (len)
		*len = cap;
	return buf;
}

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* Names in the directory, sorted, joined by spaces. */
static char *listing(void)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	char *buf = NULL;
	size_t cap = 0;
	FILE *m = open_memstream(&buf, &cap);

	bool first = true;
	cr_assert_geq(n, 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, "..")) {
			fprintf(m, "%s%s", first ? "" : " ", ents[i]->d_name);
			first = false;
		}
		free(ents[i]);
	}
	free(ents);
	fclose(m);
	return buf;
}

static struct zone_contents *load_text(const char *text, const char *origin)
{
	struct zone_contents *z = zone_load_string(text, strlen(text), "test", origin, NULL);
	cr_assert_not_null(z, "test zone does not load");
	return z;
}

static struct zone_contents *load_demo(void)
{
	char *p = data_path("../../../config/zones/example.com.zone");
	struct zone_contents *z = zone_load_file(p, "example.com.", NULL);
	cr_assert_not_null(z, "%s", p);
	free(p);
	return z;
}

static const uint8_t *origin_com(void)
{
	return wn("example.com.");
}

static struct xfr_persist_state state(int64_t last, int64_t exp, const char *primary)
{
	struct xfr_persist_state st = { .last_refresh = last, .expire_at = exp };
	snprintf(st.primary, sizeof(st.primary), "%s", primary);
	return st;
}

/* Saves z for origin with the given timers; asserts success. */
static struct xfr_persist_state save_ok(const uint8_t *origin, const struct zone_contents *z)
{
	struct xfr_persist_state st = state(1700000000, 1701209600, "198.18.0.1@53");
	int rc = xfr_persist_save(dir, origin, z, &st, err, sizeof(err));
	cr_assert_eq(rc, 0, "save: %d %s", rc, err);
	return st;
}

/* Loading must fail with rc and a message starting with path and containing needle. */
static void load_fails(const uint8_t *origin, int rc_want, const char *file, const char *needle)
{
	struct xfr_persist_state st;
	struct zone_contents *z = (struct zone_contents *)1;
	char *p = path_in(file);

	memset(err, 'x', sizeof(err));
	int rc = xfr_persist_load(dir, origin, &st, &z, err, sizeof(err));
	cr_assert_eq(rc, rc_want, "rc %d (%s), want %d: %s", rc, dp_strerror(rc), rc_want, err);
	cr_assert_null(z, "nothing may be returned on error");
	cr_assert_lt(strlen(err), sizeof(err));
	cr_assert_eq(strncmp(err, p, strlen(p)), 0, "message '%s' does not start with %s", err, p);
	cr_assert_not_null(strstr(err, needle), "'%s' not in '%s'", needle, err);
	cr_assert_null(strchr(err, '\n'));
	free(p);
}

/* ------------------------------------------------------------ file names */

static void name_is(const char *text, const char *want)
{
	char out[256];
	int n = xfr_persist_name(wn(text), out, sizeof(out));
	cr_assert_gt(n, 0, "%s: %d", text, n);
	cr_assert_eq((size_t)n, strlen(out));
	cr_assert_str_eq(out, want, "%s", text);
}

Test(persist, name_mapping)
{
	name_is("example.com.", "example.com.");
	name_is("Example.COM.", "example.com.");
	name_is(".", ".");
	name_is("a-b_c.0.example.", "a-b_c.0.example.");
	name_is("a\\.b.example.", "a%2Eb.example.");		 /* a dot inside a label */
	name_is("a/b.example.", "a%2Fb.example.");		 /* a slash */
	name_is("\\.\\./\\.\\./etc.", "%2E%2E%2F%2E%2E%2Fetc."); /* one label "../../etc" */
	name_is("\\000\\255\\032.x.", "%00%FF%20.x.");		 /* NUL, high octet, space */
	name_is("%41.x.", "%2541.x."); /* '%' itself, so %XX is unambiguous */
	name_is("*.x.", "%2A.x.");
	name_is("a\\\\b.x.", "a%5Cb.x.");
	name_is("a~b.x.", "a%7Eb.x."); /* '~' is kept for hashed names */
	name_is("\\\"'`$;|&.x.", "%22%27%60%24%3B%7C%26.x.");
}

Test(persist, name_mapping_is_safe_for_every_octet)
{
	for (unsigned c = 0; c < 256; c++) {
		uint8_t wire[4] = { 1, (uint8_t)c, 0 };
		char out[256];
		int n = xfr_persist_name(wire, out, sizeof(out));
		cr_assert_gt(n, 0);
		for (int i = 0; i < n; i++)
			cr_assert(out[i] > ' ' && out[i] < 0x7f && out[i] != '/' && out[i] != '\\',
				  "octet %u maps to '%s'", c, out);
		/* Distinct octets, distinct names (uppercase folds to lowercase). */
		for (unsigned d = 0; d < c; d++) {
			uint8_t w2[4] = { 1, (uint8_t)d, 0 };
			char o2[256];
			cr_assert_gt(xfr_persist_name(w2, o2, sizeof(o2)), 0);
			bool same_letter =
				(c | 0x20) == (d | 0x20) && (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
			cr_assert_eq(strcmp(out, o2) == 0, same_letter, "%u and %u: '%s' '%s'", c,
				     d, out, o2);
		}
	}
}

Test(persist, long_names_are_hashed)
{
	/* Four labels of 63 octets: 255 octets of name, 256 characters unhashed. */
	char l63[64], text[300], out[256], out2[256];
	memset(l63, 'a', 63);
	l63[63] = '\0';
	snprintf(text, sizeof(text), "%s.%s.%s.%.61s.", l63, l63, l63, l63);
	int n = xfr_persist_name(wn(text), out, sizeof(out));
	cr_assert_gt(n, 0);
	cr_assert_leq(n, XFR_PERSIST_NAME_MAX);
	cr_assert_not_null(strchr(out, '~'));
	cr_assert_eq(out[n - 1], '.');
	cr_assert_eq(strncmp(out, l63, 63), 0, "the readable part comes first: %s", out);
	/* Differing only at the end: different names. */
	text[strlen(text) - 2] = 'b';
	cr_assert_eq(xfr_persist_name(wn(text), out2, sizeof(out2)), n);
	cr_assert_str_neq(out, out2);
	cr_assert_eq(strncmp(out, out2, (size_t)n - 34), 0);

	/* Escapes are never cut in half: 120 escaped octets of 3 characters each. */
	char esc[600] = "";
	for (int i = 0; i < 60; i++)
		strcat(esc, "\\042");
	strcat(esc, ".");
	for (int i = 0; i < 60; i++)
		strcat(esc, "\\042");
	strcat(esc, ".");
	n = xfr_persist_name(wn(esc), out, sizeof(out));
	cr_assert_gt(n, 0);
	const char *tilde = strchr(out, '~');
	cr_assert_not_null(tilde);
	cr_assert_eq(tilde - out, 159, "53 whole escapes, not 160 characters: %s", out);

	/* Exactly at the limit: not hashed. */
	char l[XFR_PERSIST_NAME_MAX + 8];
	memset(l, 'c', sizeof(l));
	snprintf(text, sizeof(text), "%.63s.%.63s.%.63s.%.7s.", l, l, l, l);
	n = xfr_persist_name(wn(text), out, sizeof(out));
	cr_assert_eq(n, XFR_PERSIST_NAME_MAX);
	cr_assert_null(strchr(out, '~'));
	snprintf(text, sizeof(text), "%.63s.%.63s.%.63s.%.8s.", l, l, l, l);
	n = xfr_persist_name(wn(text), out, sizeof(out));
	cr_assert_not_null(strchr(out, '~'));
}

Test(persist, name_errors)
{
	char out[256];
	cr_assert_eq(xfr_persist_name(wn("example.com."), out, 12), DP_ESPACE);
	cr_assert_eq(xfr_persist_name(wn("example.com."), out, 13), 12);
	uint8_t bad[DNS_NAME_MAXLEN] = { 64 }; /* label over 63 */
	cr_assert_eq(xfr_persist_name(bad, out, sizeof(out)), DP_EINVAL);
	memset(bad, 63, sizeof(bad)); /* never ends */
	cr_assert_eq(xfr_persist_name(bad, out, sizeof(out)), DP_EINVAL);
	cr_assert_eq(xfr_persist_name(NULL, out, sizeof(out)), DP_EINVAL);
	cr_assert_eq(xfr_persist_name(wn("a."), NULL, 0), DP_EINVAL);
}

/* ------------------------------------------------------------ round trip */

Test(persist, round_trip)
{
	struct zone_contents *z = load_demo(), *back = NULL;
	struct xfr_persist_state st = save_ok(origin_com(), z), got;

	cr_assert_eq(st.serial, 2024060101);
	char *names = listing();
	cr_assert_str_eq(names, "example.com.timers example.com.zone", "%s", names);
	free(names);

	/* The zone file is the canonical dump, and the state describes it. */
	char *zpath = path_in("example.com.zone");
	size_t zlen;
	char *ztext = slurp(zpath, &zlen);
	char *dump = dump_string(z);
	cr_assert_str_eq(ztext, dump);
	cr_assert_eq(st.zone_bytes, zlen);

	int rc = xfr_persist_load(dir, origin_com(), &got, &back, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_str_empty(err);
	cr_assert_not_null(back);
	assert_same_contents(z, back);
	char *dump2 = dump_string(back);
	cr_assert_str_eq(dump, dump2, "identical dump after the round trip");
	cr_assert_eq(got.serial, 2024060101);
	cr_assert_eq(got.last_refresh, 1700000000);
	cr_assert_eq(got.expire_at, 1701209600);
	cr_assert_str_eq(got.primary, "198.18.0.1@53");
	cr_assert_eq(got.zone_bytes, st.zone_bytes);
	cr_assert_arr_eq(got.zone_sha256, st.zone_sha256, 32);

	/* The timers file, as documented. */
	char *tpath = path_in("example.com.timers");
	char *ttext = slurp(tpath, NULL);
	char want[512], hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", st.zone_sha256[i]);
	snprintf(want, sizeof(want),
		 "dpdns-timers 1\norigin example.com.\nserial 2024060101\n"
		 "last-refresh 1700000000\nexpire-at 1701209600\nprimary 198.18.0.1@53\n"
		 "zone-bytes %zu\nzone-sha256 %s\nend\n",
		 zlen, hex);
	cr_assert_str_eq(ttext, want);

	/* Loaded data feeds the timers: the deadline continues. */
	struct xfr_timer_limits lim;
	struct xfr_timers t;
	struct xfr_soa soa;
	xfr_timer_limits_default(&lim);
	cr_assert_eq(xfr_soa_from_zone(back, &soa), 0);
	xfr_timers_restore(&t, &lim, &soa, got.last_refresh, got.expire_at, 1700000500, 0);
	cr_assert_eq(t.state, XFR_ZONE_VALID);
	cr_assert_eq(t.expire_at, 1701209600);
	xfr_timers_restore(&t, &lim, &soa, got.last_refresh, got.expire_at, 1701209600, 0);
	cr_assert_eq(t.state, XFR_ZONE_EXPIRED, "past the persisted deadline: expired at once");

	free(ztext);
	free(ttext);
	free(dump);
	free(dump2);
	free(zpath);
	free(tpath);
	zone_contents_free(z);
	zone_contents_free(back);
}

/* A refresh without a transfer rewrites only the timers. */
Test(persist, timers_only_update)
{
	struct zone_contents *z = load_demo(), *back = NULL;
	struct xfr_persist_state st = save_ok(origin_com(), z), got;
	char *zpath = path_in("example.com.zone");
	struct stat before, after;

	cr_assert_eq(stat(zpath, &before), 0);
	st.last_refresh = 1700003600;
	st.expire_at = 1701213200;
	st.primary[0] = '\0';
	cr_assert_eq(xfr_persist_save_timers(dir, origin_com(), &st, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(stat(zpath, &after), 0);
	cr_assert_eq(before.st_ino, after.st_ino, "the zone file was not rewritten");
	cr_assert_eq(xfr_persist_load(dir, origin_com(), &got, &back, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(got.last_refresh, 1700003600);
	cr_assert_eq(got.expire_at, 1701213200);
	cr_assert_str_eq(got.primary, "");
	char *tpath = path_in("example.com.timers"), *t = slurp(tpath, NULL);
	cr_assert_not_null(strstr(t, "\nprimary -\n"));
	free(t);
	free(tpath);
	zone_contents_free(back);

	/* A new version: both files, and the new data comes back. */
	static const char v2[] = "$ORIGIN example.com.\n$TTL 60\n"
				 "@ SOA ns hostmaster 2024060102 7200 3600 1209600 300\n"
				 "@ NS ns\nns A 192.0.2.53\nnew TXT \"v2\"\n";
	struct zone_contents *z2 = load_text(v2, "example.com.");
	struct xfr_persist_state st2 = save_ok(origin_com(), z2);
	cr_assert_eq(st2.serial, 2024060102);
	cr_assert_eq(xfr_persist_load(dir, origin_com(), &got, &back, err, sizeof(err)), 0, "%s",
		     err);
	assert_same_contents(z2, back);
	zone_contents_free(back);
	zone_contents_free(z2);
	zone_contents_free(z);
	free(zpath);
}

/* Odd origins round-trip too, under their mapped names; so does the root. */
Test(persist, odd_origins)
{
	static const struct {
		const char *origin, *stem;
	} cases[] = {
		{ "a\\.b/c.example.", "a%2Eb%2Fc.example." },
		{ "\\200\\009x.example.", "%C8%09x.example." },
		{ ".", "." },
		{ "x*y.example.", "x%2Ay.example." },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512], want[256];
		snprintf(
			text, sizeof(text),
			"$TTL 60\n@ SOA ns.example. h.example. %zu 60 60 600 60\n@ NS ns.example.\n"
			"www A 192.0.2.%zu\n",
			i + 1, i + 1);
		struct zone_contents *z = load_text(text, cases[i].origin), *back = NULL;
		const uint8_t *o = wn(cases[i].origin);
		struct xfr_persist_state st = save_ok(o, z), got;
		snprintf(want, sizeof(want), "%stimers", cases[i].stem);
		char *p = path_in(want);
		cr_assert_eq(access(p, F_OK), 0, "%s missing", p);
		free(p);
		snprintf(want, sizeof(want), "%szone", cases[i].stem);
		p = path_in(want);
		cr_assert_eq(access(p, F_OK), 0, "%s missing", p);
		free(p);
		cr_assert_eq(xfr_persist_load(dir, o, &got, &back, err, sizeof(err)), 0, "%s: %s",
			     cases[i].origin, err);
		assert_same_contents(z, back);
		cr_assert_eq(got.serial, st.serial);
		zone_contents_free(back);
		zone_contents_free(z);
	}
	/* Eight files for four zones, nothing else. */
	char *names = listing();
	cr_assert_str_eq(names,
			 "%C8%09x.example.timers %C8%09x.example.zone .timers .zone "
			 "a%2Eb%2Fc.example.timers a%2Eb%2Fc.example.zone x%2Ay.example.timers "
			 "x%2Ay.example.zone",
			 "%s", names);
	free(names);
}

/*
 * A transfer can bring any origin, also one the zone loader cannot read back
 * (characters libzscanner refuses unescaped in $ORIGIN, see doc/transfers.md):
 * saving works under the escaped name, and loading gives either the same zone
 * or a clear refusal, never a crash or a partial zone.
 */
Test(persist, origins_the_loader_may_refuse)
{
	static const char *const origins[] = { "a%b.example.", "a!b#c&d.example.", "a~b.example." };
	/* SOA: MNAME ns.example., RNAME h.example., 1 60 60 600 60; NS ns.example. */
	static const uint8_t soa[] = { 2, 'n', 's', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				       0, 1,   'h', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				       0, 0,   0,   0, 1,   0,	 0,   0,   60,	0,   0,
				       0, 60,  0,   0, 2,   88,	 0,   0,   0,	60 };
	static const uint8_t ns[] = { 2, 'n', 's', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };

	for (size_t i = 0; i < sizeof(origins) / sizeof(origins[0]); i++) {
		const uint8_t *o = wn(origins[i]);
		struct zone_builder *b = zone_builder_new(o);
		cr_assert_not_null(b);
		cr_assert_eq(zone_builder_add(b, o, 6, 1, 60, soa, sizeof(soa), 0), 0);
		cr_assert_eq(zone_builder_add(b, o, 2, 1, 60, ns, sizeof(ns), 0), 0);
		struct zone_contents *z = zone_builder_finish(b, NULL), *back = NULL;
		zone_builder_free(b);
		cr_assert_not_null(z);
		struct xfr_persist_state st = save_ok(o, z), got;
		cr_assert_eq(st.serial, 1);
		int rc = xfr_persist_load(dir, o, &got, &back, err, sizeof(err));
		if (rc == 0) {
			assert_same_contents(z, back);
		} else {
			cr_assert_eq(rc, DP_EZONE, "%s: %d %s", origins[i], rc, err);
			cr_assert_null(back);
			cr_assert_not_null(strstr(err, "does not load: "), "%s", err);
		}
		fprintf(stderr, "%s: %s\n", origins[i], rc == 0 ? "loads back" : err);
		zone_contents_free(back);
		zone_contents_free(z);
	}
}

/* ---------------------------------------------------------- crash safety */

/* Leftover temporary files (a crash mid-write) are ignored and cleaned up;
 * other zones' temporary files and unrelated files are left alone. */
Test(persist, leftover_temp_files)
{
	struct zone_contents *z = load_demo(), *back = NULL;
	struct xfr_persist_state got;

	save_ok(origin_com(), z);
	static const char junk[] = "example.com. 60 IN SOA garbage that does not parse";
	const char *ours[] = { ".example.com.zone.tmp.AbC123", ".example.com.timers.tmp.x1Y2z3" };
	const char *others[] = { ".example.net.zone.tmp.AbC123", ".example.com.zone.tmp.ABC",
				 "example.com.zone.tmp.AbC123", "notes.txt" };
	for (size_t i = 0; i < 2; i++) {
		char *p = path_in(ours[i]);
		spit(p, junk, sizeof(junk) - 1);
		free(p);
	}
	for (size_t i = 0; i < 4; i++) {
		char *p = path_in(others[i]);
		spit(p, junk, sizeof(junk) - 1);
		free(p);
	}
	cr_assert_eq(xfr_persist_load(dir, origin_com(), &got, &back, err, sizeof(err)), 0, "%s",
		     err);
	assert_same_contents(z, back);
	zone_contents_free(back);
	back = NULL;
	char *names = listing();
	cr_assert_str_eq(names,
			 ".example.com.zone.tmp.ABC .example.net.zone.tmp.AbC123 "
			 "example.com.timers example.com.zone example.com.zone.tmp.AbC123 "
			 "notes.txt",
			 "%s", names);
	free(names);

	/* A temporary file but no final files: nothing persisted. */
	cr_assert_eq(xfr_persist_remove(dir, origin_com(), err, sizeof(err)), 0, "%s", err);
	char *p = path_in(ours[0]);
	spit(p, junk, sizeof(junk) - 1);
	cr_assert_eq(xfr_persist_load(dir, origin_com(), &got, &back, err, sizeof(err)), DP_ENOENT);
	cr_assert_str_empty(err);
	cr_assert_null(back);
	cr_assert_neq(access(p, F_OK), 0, "the temporary file is gone");
	free(p);
	zone_contents_free(z);
}

/* Every prefix of the timers file (a torn write on a file system that does
 * not order it) is refused, with the reason. */
Test(persist, truncated_timers_file)
{
	struct zone_contents *z = load_demo();
	save_ok(origin_com(), z);
	char *tpath = path_in("example.com.timers");
	size_t len;
	char *full = slurp(tpath, &len);

	for (size_t n = 0; n < len; n++) {
		spit(tpath, full, n);
		const char *why = n == 0			? "empty" :
				  memchr(full, '\n', n) == NULL ? "truncated: line 1 has no end" :
				  full[n - 1] == '\n'		? "truncated: no 'end' line" :
								  "truncated: line";
		/* A cut inside the first line, after "dpdns-timers 1", still has no newline. */
		load_fails(origin_com(), DP_EMALF, "example.com.timers", why);
	}
	spit(tpath, full, len);
	struct xfr_persist_state st;
	struct zone_contents *back = NULL;
	cr_assert_eq(xfr_persist_load(dir, origin_com(), &st, &back, err, sizeof(err)), 0, "%s",
		     err);
	zone_contents_free(back);
	free(full);
	free(tpath);
	zone_contents_free(z);
}

/* Timers files that are not what this version writes. */
Test(persist, bad_timers_files)
{
	struct zone_contents *z = load_demo();
	save_ok(origin_com(), z);
	char *tpath = path_in("example.com.timers");
	char *full = slurp(tpath, NULL);
	static const struct {
		const char *from, *to, *msg;
	} edits[] = {
		{ "dpdns-timers 1\n", "dpdns-timers 2\n", "version 2 (this dpdnsd reads 1)" },
		{ "dpdns-timers 1\n", "knot-timers 1\n", "not a dpdns timers file" },
		{ "dpdns-timers 1\n", "dpdns-timers 01\n", "not a dpdns timers file" },
		{ "origin example.com.", "origin example.net.",
		  "line 2: origin 'example.net.' is not the zone's ('example.com.')" },
		{ "serial 2024060101", "serial 4294967296", "line 3: bad serial '4294967296'" },
		{ "serial 2024060101", "serial -1", "line 3: bad serial '-1'" },
		{ "serial 2024060101", "serial 2024060100",
		  "serial 2024060101 is not the 2024060100" },
		{ "last-refresh 1700000000", "last-refresh 17e8", "line 4: bad last-refresh" },
		{ "last-refresh 1700000000", "last-refresh ", "line 4: bad last-refresh ''" },
		{ "last-refresh 1700000000", "last-refresh",
		  "line 4: 'last-refresh' needs a value" },
		{ "expire-at 1701209600", "expire-at 99999999999999999999",
		  "line 5: bad expire-at" },
		{ "primary 198.18.0.1@53", "primary 198.18.0.1 @53", "line 6: bad primary" },
		{ "primary 198.18.0.1@53", "primary a\tb", "line 6: bad primary" },
		{ "zone-bytes ", "zone-bytes 9", "its timers file says 9" }, /* wrong size */
		{ "zone-sha256 ", "zone-sha256 0", "line 8: bad zone-sha256" },
		{ "zone-sha256 ", "zone-sha256 X", "line 8: bad zone-sha256" },
		{ "\nend\n", "\nend\nmore\n", "data after the 'end' line" },
		{ "\nend\n", "\nend 1\n", "'end' takes no value" },
		{ "\nend\n", "\nextra 1\nend\n", "line 9: unknown key 'extra'" },
		{ "primary 198.18.0.1@53\n", "", "'primary' is missing" },
		{ "primary 198.18.0.1@53\n", "primary -\nprimary -\n", "'primary' given twice" },
		{ "serial", "Serial", "unknown key 'Serial'" },
		{ "\nend\n", "\nend\n\n", "data after the 'end' line" },
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *at = strstr(full, edits[i].from);
		cr_assert_not_null(at, "%s", edits[i].from);
		char *text = NULL;
		cr_assert_gt(asprintf(&text, "%.*s%s%s", (int)(at - full), full, edits[i].to,
				      at + strlen(edits[i].from)),
			     0);
		spit(tpath, text, strlen(text));
		free(text);
		/* Two of them are found only against the zone file, and named after it. */
		bool zone =
			strstr(edits[i].msg, "is not the 2024") || strstr(edits[i].msg, "says 9");
		load_fails(origin_com(), DP_EMALF, zone ? "example.com.zone" : "example.com.timers",
			   edits[i].msg);
	}
	/* A NUL octet, and a file far too large. */
	char nul[] = "dpdns-timers 1\norigin exa\0mple.com.\n";
	spit(tpath, nul, sizeof(nul) - 1);
	load_fails(origin_com(), DP_EMALF, "example.com.timers", "contains a NUL octet");
	char *big = malloc(10000);
	memset(big, '#', 10000);
	spit(tpath, big, 10000);
	free(big);
	load_fails(origin_com(), DP_EMALF, "example.com.timers", "too large");
	/* A directory where the file should be. */
	cr_assert_eq(unlink(tpath), 0);
	cr_assert_eq(mkdir(tpath, 0700), 0);
	load_fails(origin_com(), -EISDIR, "example.com.timers", "cannot read");
	cr_assert_eq(rmdir(tpath), 0);

	free(full);
	free(tpath);
	zone_contents_free(z);
}

/* The zone file damaged, cut, missing, replaced, or not loadable. */
Test(persist, bad_zone_files)
{
	struct zone_contents *z = load_demo();
	struct xfr_persist_state st = save_ok(origin_com(), z);
	char *zpath = path_in("example.com.zone"), *tpath = path_in("example.com.timers");
	size_t len;
	char *full = slurp(zpath, &len);

	/* One bit flipped anywhere: the digest catches it. */
	for (size_t i = 0; i < len; i += len / 7) {
		full[i] ^= 0x20;
		spit(zpath, full, len);
		load_fails(origin_com(), DP_EMALF, "example.com.zone",
			   "does not match the SHA-256");
		full[i] ^= 0x20;
	}
	/* Cut at a line boundary (a zone that would still load): the size catches it. */
	size_t cut = (size_t)(strrchr(full, '\n') - full);
	cut = (size_t)((char *)memrchr(full, '\n', cut) - full) + 1;
	spit(zpath, full, cut);
	char msg[128];
	snprintf(msg, sizeof(msg), "is %zu octets, its timers file says %zu", cut, len);
	load_fails(origin_com(), DP_EMALF, "example.com.zone", msg);
	/* Missing. */
	cr_assert_eq(unlink(zpath), 0);
	load_fails(origin_com(), DP_EMALF, "example.com.zone", "missing, but its timers file");
	/* Timers missing, zone present (a crash before the first timers write). */
	spit(zpath, full, len);
	cr_assert_eq(unlink(tpath), 0);
	load_fails(origin_com(), DP_EMALF, "example.com.timers", "missing, but the zone file");

	/* A zone file that matches its timers but does not load: refused, with the reason. */
	static const char broken[] = "example.com. 60 IN SOA ns hostmaster 1 2 3 4 5\n"
				     "example.com. 60 IN NS ns.example.com.\n"
				     "www.example.com. 60 IN A 192.0.2.300\n";
	spit(zpath, broken, sizeof(broken) - 1);
	uint8_t d[32];
	unsigned dl = 0;
	cr_assert_eq(EVP_Digest(broken, sizeof(broken) - 1, d, &dl, EVP_sha256(), NULL), 1);
	memcpy(st.zone_sha256, d, 32);
	st.zone_bytes = sizeof(broken) - 1;
	st.serial = 1;
	cr_assert_eq(xfr_persist_save_timers(dir, origin_com(), &st, err, sizeof(err)), 0, "%s",
		     err);
	load_fails(origin_com(), DP_EZONE, "example.com.zone", "does not load: ");
	cr_assert_not_null(strstr(err, ":3:"), "the zone error names its line: %s", err);

	/* One that loads but lacks what a zone needs (no NS): refused as well. */
	static const char no_ns[] = "example.com. 60 IN SOA ns hostmaster 1 2 3 4 5\n";
	spit(zpath, no_ns, sizeof(no_ns) - 1);
	cr_assert_eq(EVP_Digest(no_ns, sizeof(no_ns) - 1, d, &dl, EVP_sha256(), NULL), 1);
	memcpy(st.zone_sha256, d, 32);
	st.zone_bytes = sizeof(no_ns) - 1;
	cr_assert_eq(xfr_persist_save_timers(dir, origin_com(), &st, err, sizeof(err)), 0, "%s",
		     err);
	load_fails(origin_com(), DP_EZONE, "example.com.zone", "does not load: ");

	free(full);
	free(zpath);
	free(tpath);
	zone_contents_free(z);
}

/* ----------------------------------------------------- failed saves, API */

Test(persist, failed_saves_leave_the_old_files)
{
	struct zone_contents *z = load_demo(), *back = NULL;
	struct xfr_persist_state st = state(1, 2, "");

	/* No such directory. */
	char *missing = path_in("nope");
	cr_assert_eq(xfr_persist_save(missing, origin_com(), z, &st, err, sizeof(err)), -ENOENT);
	cr_assert_eq(strncmp(err, missing, strlen(missing)), 0, "%s", err);
	cr_assert_not_null(strstr(err, "cannot open the run directory"), "%s", err);
	free(missing);

	/* The final name is taken by a directory: the rename fails, the temp file goes. */
	char *zpath = path_in("example.com.zone");
	cr_assert_eq(mkdir(zpath, 0700), 0);
	int rc = xfr_persist_save(dir, origin_com(), z, &st, err, sizeof(err));
	cr_assert_eq(rc, -EISDIR, "%d %s", rc, err);
	cr_assert_not_null(strstr(err, "cannot rename the new file over"), "%s", err);
	char *names = listing();
	cr_assert_str_eq(names, "example.com.zone", "no temporary file left: %s", names);
	free(names);
	cr_assert_eq(rmdir(zpath), 0);

	/* A good save, then a failing one: the good one stays loadable. */
	st = save_ok(origin_com(), z);
	char *tpath = path_in("example.com.timers");
	char *before = slurp(tpath, NULL);
	cr_assert_eq(unlink(tpath), 0);
	cr_assert_eq(mkdir(tpath, 0700), 0);
	st.last_refresh = 5;
	cr_assert_eq(xfr_persist_save_timers(dir, origin_com(), &st, err, sizeof(err)), -EISDIR);
	cr_assert_eq(rmdir(tpath), 0);
	spit(tpath, before, strlen(before));
	cr_assert_eq(xfr_persist_load(dir, origin_com(), &st, &back, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(st.last_refresh, 1700000000);
	zone_contents_free(back);
	free(before);
	free(tpath);

	/* Bad arguments. */
	cr_assert_eq(xfr_persist_save(dir, wn("example.net."), z, &st, err, sizeof(err)), DP_EINVAL,
		     "another origin");
	cr_assert_not_null(strstr(err, "nothing to save"));
	cr_assert_eq(xfr_persist_save(dir, origin_com(), NULL, &st, err, sizeof(err)), DP_EINVAL);
	cr_assert_eq(xfr_persist_save(NULL, origin_com(), z, &st, err, sizeof(err)), DP_EINVAL);
	cr_assert_eq(xfr_persist_save("", origin_com(), z, &st, NULL, 0), DP_EINVAL);
	struct xfr_persist_state bad = state(-1, 2, "");
	cr_assert_eq(xfr_persist_save_timers(dir, origin_com(), &bad, err, sizeof(err)), DP_EINVAL);
	bad = state(1, 2, "a b");
	cr_assert_eq(xfr_persist_save_timers(dir, origin_com(), &bad, err, sizeof(err)), DP_EINVAL);
	bad = state(1, 2, "-");
	cr_assert_eq(xfr_persist_save_timers(dir, origin_com(), &bad, err, sizeof(err)), DP_EINVAL,
		     "'-' stands for none; it cannot be a primary");
	memset(bad.primary, 'a', sizeof(bad.primary)); /* no NUL */
	cr_assert_eq(xfr_persist_save_timers(dir, origin_com(), &bad, err, sizeof(err)), DP_EINVAL);
	struct zone_contents *out = (struct zone_contents *)1;
	cr_assert_eq(xfr_persist_load(dir, origin_com(), NULL, &out, err, sizeof(err)), DP_EINVAL);
	cr_assert_null(out);
	uint8_t badname[DNS_NAME_MAXLEN] = { 64 };
	cr_assert_eq(xfr_persist_load(dir, badname, &st, &out, err, sizeof(err)), DP_EINVAL);
	cr_assert_eq(xfr_persist_remove(dir, badname, err, sizeof(err)), DP_EINVAL);
	free(zpath);
	zone_contents_free(z);
}

Test(persist, remove)
{
	struct zone_contents *z = load_demo();
	struct xfr_persist_state st;
	struct zone_contents *back = NULL;

	save_ok(origin_com(), z);
	char *p = path_in(".example.com.zone.tmp.q1w2e3");
	spit(p, "x", 1);
	free(p);
	cr_assert_eq(xfr_persist_remove(dir, origin_com(), err, sizeof(err)), 0, "%s", err);
	char *names = listing();
	cr_assert_str_eq(names, "", "%s", names);
	free(names);
	cr_assert_eq(xfr_persist_load(dir, origin_com(), &st, &back, err, sizeof(err)), DP_ENOENT);
	cr_assert_eq(xfr_persist_remove(dir, origin_com(), err, sizeof(err)), 0, "twice is fine");
	zone_contents_free(z);
}
