/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rdata layouts.  Input: 2 octets of RR type (network order), then the
 * uncompressed rdata.  When dns_rdata_check accepts it:
 *  - dns_rdata_write without compression reproduces it octet for octet;
 *  - dns_rdata_parse of it (uncompressed) returns it unchanged;
 *  - dns_rdata_lower keeps it valid, changes only ASCII case, is idempotent;
 *  - every name dns_rdata_names reports lies inside it and is valid;
 *  - written with compression (after a name that primes the table) it is no
 *    longer and dns_rdata_parse gives it back up to ASCII case.
 */
#include <string.h>

#include "dns/msg.h"
#include "dns/rrtype.h"

#include "fuzz.h"

/* A message prefix (header + priming name) plus the largest rdata. */
#define BUF_LEN (DNS_HDR_LEN + DNS_NAME_MAXLEN + DNS_RDATA_MAXLEN)

static uint8_t buf[BUF_LEN];
static uint8_t back[DNS_RDATA_MAXLEN];
static uint8_t low[DNS_RDATA_MAXLEN];
static uint8_t low2[DNS_RDATA_MAXLEN];

struct names_ctx {
	const uint8_t *rdata;
	size_t len;
	const uint8_t *first; /* first name field, to prime compression */
	unsigned count;
};

static void on_name(void *arg, unsigned flags, const uint8_t *name)
{
	struct names_ctx *x = arg;
	(void)flags;
	FUZZ_CHECK(name >= x->rdata && name < x->rdata + x->len);
	size_t left = (size_t)(x->rdata + x->len - name);
	int n = dns_name_check(name, left);
	FUZZ_CHECK(n > 0 && (size_t)n <= left);
	if (!x->first)
		x->first = name;
	x->count++;
}

/* Name fields flagged DNS_RDF_LOWER in the lowered copy are lowercase. */
struct lower_ctx {
	const uint8_t *rdata; /* original */
	const uint8_t *low;   /* lowered copy */
};

static void on_lower_name(void *arg, unsigned flags, const uint8_t *name)
{
	struct lower_ctx *x = arg;
	const uint8_t *lname = x->low + (name - x->rdata);
	uint8_t want[DNS_NAME_MAXLEN];
	size_t n = dns_name_copy_lower(want, name);
	if (flags & DNS_RDF_LOWER)
		FUZZ_CHECK(memcmp(lname, want, n) == 0);
	else
		FUZZ_CHECK(memcmp(lname, name, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size - 2 > DNS_RDATA_MAXLEN)
		return 0;
	uint16_t type = dns_get_u16(data);
	const uint8_t *rdata = data + 2;
	size_t len = size - 2;

	int rc = dns_rdata_check(type, rdata, len);
	FUZZ_CHECK(rc <= 0);
	if (rc < 0)
		return 0;

	/* Uncompressed write is the identity. */
	struct dns_wr w;
	dns_wr_init(&w, buf, sizeof(buf));
	dns_rdata_write(&w, type, rdata, len, NULL);
	FUZZ_CHECK(w.err == 0 && w.pos == len);
	FUZZ_CHECK(!len || memcmp(buf, rdata, len) == 0);

	/* Parsing the uncompressed form agrees with the check. */
	struct dns_rd r;
	dns_rd_init(&r, rdata, len);
	int n = dns_rdata_parse(&r, type, len, back, sizeof(back));
	FUZZ_CHECK(n >= 0 && (size_t)n == len && r.err == 0 && r.pos == len);
	FUZZ_CHECK(!len || memcmp(back, rdata, len) == 0);

	/* Canonical lowercasing. */
	if (len)
		memcpy(low, rdata, len);
	dns_rdata_lower(type, low, len);
	FUZZ_CHECK(dns_rdata_check(type, low, len) == 0);
	FUZZ_CHECK(fuzz_fold_eq(low, rdata, len));
	if (len)
		memcpy(low2, low, len);
	dns_rdata_lower(type, low2, len);
	FUZZ_CHECK(!len || memcmp(low2, low, len) == 0);
	FUZZ_CHECK(dns_rdata_cmp(low, len, low2, len) == 0);

	/* Name fields. */
	struct names_ctx nx = { rdata, len, NULL, 0 };
	dns_rdata_names(type, rdata, len, on_name, &nx);
	struct lower_ctx lx = { rdata, low };
	dns_rdata_names(type, rdata, len, on_lower_name, &lx);

	/*
	 * Compressed write inside a message: a zeroed header, then the first
	 * rdata name as if it were the owner, so compressible fields find a
	 * suffix to point at.  Parsing it back must restore the rdata.
	 */
	struct dns_compr c;
	dns_compr_init(&c);
	dns_wr_init(&w, buf, sizeof(buf));
	static const uint8_t hdr[DNS_HDR_LEN];
	dns_wr_bytes(&w, hdr, sizeof(hdr));
	if (nx.first)
		dns_wr_name(&w, nx.first, &c);
	size_t start = w.pos;
	dns_rdata_write(&w, type, rdata, len, &c);
	FUZZ_CHECK(w.err == 0);
	size_t wlen = w.pos - start;
	FUZZ_CHECK(wlen <= len);

	dns_rd_init(&r, buf, w.pos);
	dns_rd_seek(&r, start);
	n = dns_rdata_parse(&r, type, wlen, back, sizeof(back));
	FUZZ_CHECK(n >= 0 && (size_t)n == len && r.err == 0 && r.pos == w.pos);
	FUZZ_CHECK(fuzz_fold_eq(back, rdata, len));
	return 0;
}
