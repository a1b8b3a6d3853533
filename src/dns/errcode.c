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
	default:
		if (code < 0 && code > DP_ERR_BASE)
			return strerror(-code);
		return "unknown error";
	}
}
