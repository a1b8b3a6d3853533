/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dns_name_parse on arbitrary bytes, starting at every offset (so that
 * compression pointers meet every earlier position).  Whatever parses must be
 * a valid uncompressed name that survives dns_name_to_text and
 * dns_name_from_text unchanged, and must agree with the other name helpers.
 */
#include <string.h>

#include "dns/name.h"

#include "fuzz.h"

static void check_name(const uint8_t *name, int len)
{
	FUZZ_CHECK(len >= 1 && len <= DNS_NAME_MAXLEN);
	FUZZ_CHECK(dns_name_check(name, (size_t)len) == len);
	FUZZ_CHECK(dns_name_len(name) == (size_t)len);
	int labels = dns_name_labels(name);
	FUZZ_CHECK(labels >= 0 && labels < DNS_NAME_MAXLABELS);

	/* Presentation form round trip: same octets, case included. */
	char text[DNS_NAME_TEXT_MAX];
	int tlen = dns_name_to_text(name, text, sizeof(text));
	FUZZ_CHECK(tlen > 0 && (size_t)tlen == strlen(text));
	FUZZ_CHECK(text[tlen - 1] == '.');
	uint8_t back[DNS_NAME_MAXLEN];
	int blen = dns_name_from_text(text, NULL, back);
	FUZZ_CHECK(blen == len);
	FUZZ_CHECK(dns_name_eq(back, name));
	FUZZ_CHECK(memcmp(back, name, (size_t)len) == 0);

	/* Case folding and ordering agree with equality. */
	uint8_t low[DNS_NAME_MAXLEN];
	FUZZ_CHECK(dns_name_copy_lower(low, name) == (size_t)len);
	FUZZ_CHECK(dns_name_eq(low, name) && dns_name_eq(name, low));
	FUZZ_CHECK(dns_name_cmp(low, name) == 0 && dns_name_cmp(name, name) == 0);
	FUZZ_CHECK(fuzz_fold_eq(low, name, (size_t)len));

	/*
	 * A proper suffix is an ancestor that sorts strictly before the name.
	 * Three of them (root, middle, parent) keep this O(labels) per offset.
	 */
	int picks[3] = { 0, labels / 2, labels - 1 };
	for (int i = 0; i < 3 && labels > 0; i++) {
		int n = picks[i];
		const uint8_t *sfx = dns_name_suffix(name, n);
		FUZZ_CHECK(sfx > name && sfx < name + len);
		FUZZ_CHECK(dns_name_labels(sfx) == n);
		FUZZ_CHECK(dns_name_is_sub(name, sfx));
		FUZZ_CHECK(!dns_name_is_sub(sfx, name));
		FUZZ_CHECK(dns_name_cmp(sfx, name) < 0 && dns_name_cmp(name, sfx) > 0);
	}
	const uint8_t *parent = dns_name_parent(name);
	FUZZ_CHECK(labels == 0 ? parent == NULL : parent == dns_name_suffix(name, labels - 1));
	FUZZ_CHECK(dns_name_is_wildcard(name) == (name[0] == 1 && name[1] == '*'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	for (size_t off = 0; off < size; off++) {
		struct dns_rd r;
		uint8_t name[DNS_NAME_MAXLEN];
		dns_rd_init(&r, data, size);
		dns_rd_seek(&r, off);
		int len = dns_name_parse(&r, name);

		struct dns_rd rp;
		uint8_t plain[DNS_NAME_MAXLEN];
		dns_rd_init(&rp, data, size);
		dns_rd_seek(&rp, off);
		int plen = dns_name_parse_plain(&rp, plain);

		if (len < 0) {
			FUZZ_CHECK(r.err == len);
			FUZZ_CHECK(plen < 0); /* plain accepts a subset */
			continue;
		}
		FUZZ_CHECK(r.err == 0 && r.pos > off && r.pos <= size);
		check_name(name, len);
		if (plen >= 0) {
			FUZZ_CHECK(plen == len && memcmp(plain, name, (size_t)len) == 0);
			FUZZ_CHECK(rp.pos == r.pos && rp.pos == off + (size_t)len);
			FUZZ_CHECK(dns_name_check(data + off, size - off) == len);
		} else {
			FUZZ_CHECK(rp.err == plen);
		}
	}
	return 0;
}
