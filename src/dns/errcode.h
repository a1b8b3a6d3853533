/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The one project-wide error space.  Functions that can fail return 0 (or a
 * non-negative count/length) on success and one of these negative codes on
 * failure.  The errno-based codes keep their errno meaning; the DNS/XFR codes
 * live below DP_ERR_BASE so they never collide with errno values.
 */

#include <errno.h>

enum dp_errcode {
	DP_OK = 0,
	DP_ENOMEM = -ENOMEM,
	DP_EINVAL = -EINVAL,
	DP_ENOENT = -ENOENT,
	DP_EEXIST = -EEXIST,
	DP_ERANGE = -ERANGE,
	DP_EIO = -EIO,

	DP_ERR_BASE = -1000,
	DP_ETRUNC = DP_ERR_BASE,	/* input ends before the item does */
	DP_ESPACE = DP_ERR_BASE - 1,	/* output buffer too small */
	DP_EMALF = DP_ERR_BASE - 2,	/* malformed (structure violates the format) */
	DP_ELABEL = DP_ERR_BASE - 3,	/* label over 63 octets or reserved label type */
	DP_ENAMELEN = DP_ERR_BASE - 4,	/* name over 255 octets */
	DP_EPTR = DP_ERR_BASE - 5,	/* compression pointer forward, looping or out of bounds */
	DP_ERDATA = DP_ERR_BASE - 6,	/* rdata does not match its type's layout */
	DP_ESYNTAX = DP_ERR_BASE - 7,	/* text (presentation format) syntax error */
	DP_EZONE = DP_ERR_BASE - 8,	/* zone content fails a semantic check */
	DP_EDUP = DP_ERR_BASE - 9,	/* duplicate item where one is allowed (e.g. OPT) */
	DP_EBADVERS = DP_ERR_BASE - 10, /* EDNS version not supported */
	DP_ERR_LAST = DP_ERR_BASE - 11,

	/* TSIG (RFC 8945), src/xfr/tsig.h */
	DP_ETSIG_BADSIG = DP_ERR_BASE - 100,   /* MAC does not verify (BADSIG) */
	DP_ETSIG_BADKEY = DP_ERR_BASE - 101,   /* key name or algorithm not ours (BADKEY) */
	DP_ETSIG_BADTIME = DP_ERR_BASE - 102,  /* time signed outside the fudge (BADTIME) */
	DP_ETSIG_BADTRUNC = DP_ERR_BASE - 103, /* MAC truncated below local policy (BADTRUNC) */
	DP_ETSIG_NOSIG = DP_ERR_BASE - 104,    /* no TSIG where one is required */
	DP_ETSIG_PEER = DP_ERR_BASE - 105,     /* the peer answered with a TSIG error */
	DP_ETSIG_ALG = DP_ERR_BASE - 106,      /* unknown TSIG algorithm (configuration) */
	DP_EBASE64 = DP_ERR_BASE - 107,	       /* not valid base64 (configuration) */
	DP_ETSIG_SECRET = DP_ERR_BASE - 108,   /* TSIG secret is empty (configuration) */

	/* Transfer client (SOA check, IXFR, AXFR), src/xfr/xfr.h and xfr_uv.h */
	DP_EXFR_ID = DP_ERR_BASE - 200,	      /* reply ID differs from the query's */
	DP_EXFR_QUESTION = DP_ERR_BASE - 201, /* reply question differs, or not a reply */
	DP_EXFR_RCODE = DP_ERR_BASE - 202,    /* the primary answered with an error RCODE */
	DP_EXFR_TC = DP_ERR_BASE - 203,	      /* UDP reply truncated: ask again over TCP */
	DP_EXFR_NOTAUTH = DP_ERR_BASE - 204,  /* reply without the AA bit */
	DP_EXFR_NOSOA = DP_ERR_BASE - 205,    /* no SOA of the zone where one is required */
	DP_EXFR_FORMAT = DP_ERR_BASE - 206,   /* record stream breaks the RFC 1995/5936 layout */
	DP_EXFR_SERIAL = DP_ERR_BASE - 207,   /* IXFR serial chain broken */
	DP_EXFR_OUTSIDE = DP_ERR_BASE - 208,  /* record outside the zone, or not class IN */
	DP_EXFR_EOF = DP_ERR_BASE - 209,      /* stream ended before the closing SOA */
	DP_EXFR_LIMIT = DP_ERR_BASE - 210,    /* over the record, byte or message limit */
	DP_EXFR_OLD = DP_ERR_BASE - 211,      /* transferred serial not newer than ours */
	DP_EXFR_TIMEOUT = DP_ERR_BASE - 212,  /* connect, read, idle or total timeout */
	DP_EXFR_CONN = DP_ERR_BASE - 213,     /* socket error: refused, reset, unreachable */
	DP_EXFR_CANCELED = DP_ERR_BASE - 214, /* the caller canceled the transfer */
	DP_EXFR_STATE = DP_ERR_BASE - 215,    /* call out of order (no query, already done) */
};

/* Human-readable text for a code from this enum (or any errno negated). */
const char *dp_strerror(int code);
