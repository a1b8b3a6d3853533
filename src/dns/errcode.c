/* SPDX-License-Identifier: BSD-3-Clause */
#include "dns/errcode.h"

#include <string.h>

const char *dp_strerror(int code)
{
	switch (code) {
	case DP_OK: return "success";
	case DP_ETRUNC: return "input truncated";
	case DP_ESPACE: return "output buffer too small";
	case DP_EMALF: return "malformed data";
	case DP_ELABEL: return "label longer than 63 octets or of a reserved type";
	case DP_ENAMELEN: return "name longer than 255 octets";
	case DP_EPTR: return "bad compression pointer";
	case DP_ERDATA: return "rdata does not match its type";
	case DP_ESYNTAX: return "syntax error";
	case DP_EZONE: return "zone check failed";
	case DP_EDUP: return "duplicate item";
	case DP_EBADVERS: return "unsupported EDNS version";
	case DP_ETSIG_BADSIG: return "TSIG signature does not verify (BADSIG)";
	case DP_ETSIG_BADKEY: return "TSIG key or algorithm unknown (BADKEY)";
	case DP_ETSIG_BADTIME: return "TSIG time outside the allowed fudge (BADTIME)";
	case DP_ETSIG_BADTRUNC: return "TSIG MAC truncated too far (BADTRUNC)";
	case DP_ETSIG_NOSIG: return "TSIG missing";
	case DP_ETSIG_PEER: return "the peer reported a TSIG error";
	case DP_ETSIG_ALG: return "unknown TSIG algorithm";
	case DP_EBASE64: return "not valid base64";
	case DP_ETSIG_SECRET: return "TSIG secret is empty";
	case DP_EXFR_ID: return "reply ID does not match the query";
	case DP_EXFR_QUESTION: return "reply question does not match the query";
	case DP_EXFR_RCODE: return "the primary answered with an error RCODE";
	case DP_EXFR_TC: return "reply truncated (TC): retry over TCP";
	case DP_EXFR_NOTAUTH: return "reply is not authoritative (no AA)";
	case DP_EXFR_NOSOA: return "no SOA for the zone in the reply";
	case DP_EXFR_FORMAT: return "malformed transfer stream";
	case DP_EXFR_SERIAL: return "IXFR serial chain broken";
	case DP_EXFR_OUTSIDE: return "record outside the zone or of another class";
	case DP_EXFR_EOF: return "transfer ended before its closing SOA";
	case DP_EXFR_LIMIT: return "transfer over the configured limit";
	case DP_EXFR_OLD: return "transferred serial is not newer than ours";
	case DP_EXFR_TIMEOUT: return "timed out";
	case DP_EXFR_CONN: return "connection failed";
	case DP_EXFR_CANCELED: return "transfer canceled";
	case DP_EXFR_STATE: return "transfer call out of order";
	default:
		if (code < 0 && code > DP_ERR_BASE)
			return strerror(-code);
		return "unknown error";
	}
}
