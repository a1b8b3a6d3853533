/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Persistence of secondary zones in the run directory (server.rundir), so
 * that a restarted dpdnsd serves what it had at once and its expire clock
 * goes on from where it stopped.  Two files per zone, NAME being
 * xfr_persist_name(origin):
 *
 *	<rundir>/NAMEzone	the zone as canonical text (zone_dump), written
 *				after each successful transfer
 *	<rundir>/NAMEtimers	serial, last successful refresh, expire deadline,
 *				last primary, and the size and SHA-256 of the zone
 *				file; written after each successful refresh
 *
 * e.g. example.com.zone and example.com.timers.  Each file is written to a
 * temporary file in the same directory (".NAMEzone.tmp.XXXXXX"), fsync'ed,
 * renamed over the final name, and the directory fsync'ed: a crash leaves the
 * old file or the new one, never a mix, and at worst a stray temporary file
 * (ignored by the loader, which deletes those of the zone it loads).  The
 * timers file names the zone file's size and digest, so a zone file that does
 * not belong to it (a crash between the two renames, damage, a hand edit) is
 * detected and the zone treated as absent; so is any truncated, malformed or
 * unknown-version file.  Nothing is ever half-loaded: either load returns a
 * complete, checked zone or nothing.
 *
 * The timers file is text, one "key value" per line, versioned:
 *
 *	dpdns-timers 1
 *	origin example.com.
 *	serial 2024010101
 *	last-refresh 1700000000		seconds since the epoch
 *	expire-at 1701209600		seconds since the epoch
 *	primary 198.18.0.1@53		"-" when unknown
 *	zone-bytes 1234
 *	zone-sha256 <64 lowercase hex digits>
 *	end
 *
 * Every key exactly once, in any order between the first line and "end";
 * anything else is an error.
 *
 * Blocking POSIX file I/O (write, fsync, rename): slow-path thread only,
 * never the fastpath.  One caller per zone at a time; different zones may be
 * saved from different threads.  Errors come back as a negative dp_errcode
 * plus one line "PATH: message" in the caller's err buffer (NUL-terminated,
 * truncated to errlen; err may be NULL when errlen is 0).
 */

#include <stddef.h>
#include <stdint.h>

#include "zone/contents.h"

#define XFR_PERSIST_VERSION 1
#define XFR_PERSIST_PRIMARY_MAX 64 /* a primary's text, NUL included (= xfr_uv_result.primary) */

/*
 * Longest NAME xfr_persist_name writes (without NUL): long enough for any
 * usual origin, short enough that ".NAMEtimers.tmp.XXXXXX" stays within
 * NAME_MAX (255).
 */
#define XFR_PERSIST_NAME_MAX 200
#define XFR_PERSIST_NAME_KEEP 160 /* octets of the readable part a hashed NAME keeps */

/* What the timers file holds (and, after a save, what the zone file is). */
struct xfr_persist_state {
	uint32_t serial;      /* the persisted zone's SOA serial */
	int64_t last_refresh; /* last successful refresh, seconds since the epoch */
	int64_t expire_at;    /* expire deadline, seconds since the epoch */
	char primary[XFR_PERSIST_PRIMARY_MAX]; /* last primary, e.g. "198.18.0.1@53"; "": unknown */
	uint64_t zone_bytes;		       /* size of the zone file */
	uint8_t zone_sha256[32];	       /* SHA-256 of the zone file */
};

/*
 * The file-name stem for origin (wire form, any case) into out[0..cap):
 * lowercase labels, each followed by '.', so the root is "." and example.com
 * is "example.com.".  Octets other than a-z 0-9 '-' '_' are written as %XX
 * (two uppercase hex digits): '.' inside a label, '/', '%', '\\', '*', space,
 * every non-printable.  A stem longer than XFR_PERSIST_NAME_MAX is cut
 * after its last whole character or escape within the first
 * XFR_PERSIST_NAME_KEEP octets and completed with '~', the first 32 hex
 * digits (lowercase) of the SHA-256 of the lowercase wire name, and '.'.
 * '~' appears in no uncut stem, so the stems of different origins never
 * collide (short of a SHA-256 collision).
 * Returns the stem's length (without NUL), DP_ESPACE (cap too small;
 * XFR_PERSIST_NAME_MAX + 1 is always enough), DP_EINVAL (origin not a valid
 * wire name) or DP_ENOMEM (OpenSSL could not hash).
 */
int xfr_persist_name(const uint8_t *origin, char *out, size_t cap)
	__attribute__((warn_unused_result));

/*
 * Writes z as <rundir>/NAMEzone (crash-safe, as above) and sets st->serial,
 * st->zone_bytes and st->zone_sha256 from what was written; the timers file
 * is not touched (xfr_persist_save_timers next; xfr_persist_save does both).
 * origin is the zone's origin (wire form).  The directory must exist.
 * Returns 0, DP_EINVAL (bad arguments, z without an SOA), DP_ENOMEM,
 * DP_ERDATA (an RR libknot cannot print) or a negated errno (open, write,
 * fsync, rename failed); on error the old file is untouched and no
 * temporary file is left.
 */
int xfr_persist_save_zone(const char *rundir, const uint8_t *origin, const struct zone_contents *z,
			  struct xfr_persist_state *st, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * Writes st as <rundir>/NAMEtimers (crash-safe).  st->primary must be
 * printable ASCII without spaces (or empty).
 * Returns 0, DP_EINVAL (bad arguments, negative times, bad primary) or a
 * negated errno.
 */
int xfr_persist_save_timers(const char *rundir, const uint8_t *origin,
			    const struct xfr_persist_state *st, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * xfr_persist_save_zone then xfr_persist_save_timers: what follows a
 * successful transfer.  If the second step fails, the new zone file is in
 * place but the timers file still describes the old one: a load refuses the
 * pair (the zone is transferred again after a restart) until a later save
 * succeeds.
 */
int xfr_persist_save(const char *rundir, const uint8_t *origin, const struct zone_contents *z,
		     struct xfr_persist_state *st, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * Reads back the zone of origin: parses the timers file, checks the zone
 * file's size and SHA-256 against it, loads the zone file (zone_load_file,
 * with every check of a zone load) and checks that its serial is the one
 * recorded.  Deletes the zone's leftover temporary files (call at start,
 * before any save of that zone).
 * Returns 0 with *st and *out (the caller owns it: zone_contents_free);
 * DP_ENOENT when neither file exists (nothing persisted: not an error, err
 * empty); otherwise *out is NULL, err says what is wrong and the code is
 * DP_EMALF (a file is malformed, truncated, of another version or origin, or
 * the two files do not match), DP_EZONE (the zone file does not load),
 * DP_ENOMEM, DP_EINVAL (bad arguments) or a negated errno.
 */
int xfr_persist_load(const char *rundir, const uint8_t *origin, struct xfr_persist_state *st,
		     struct zone_contents **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * Deletes the zone's files and leftover temporary files (a zone no longer
 * configured, or persisted data to discard).  Missing files are fine.
 * Returns 0, DP_EINVAL or the first negated errno.
 */
int xfr_persist_remove(const char *rundir, const uint8_t *origin, char *err, size_t errlen)
	__attribute__((warn_unused_result));
