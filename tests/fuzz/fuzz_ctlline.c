/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_ctlline: arbitrary bytes as control socket requests
 * (src/slowpath/control.h, the request layer sp_ctl_execute) and as JSON
 * string content (src/slowpath/json.h).
 *
 * The input is cut into lines at each "\n", as a connection does (a line
 * at SP_CTL_LINE_MAX octets without a newline is cut there, and the rest
 * after a closing error is dropped), and each line runs against a server
 * with commands "echo" (0..16 words back: text, or JSON {"args":[...]}) and
 * "fail" (an error whose message repeats its argument).  An independent
 * model of the request syntax predicts each outcome.  Invariants: the
 * response is exactly one frame, "OK N\n" or "ERR N\n" and N octets, N
 * counting to the end; a non-empty body ends with "\n"; the result agrees
 * with the header and with the model (OK, ERR, or ERR and close for a
 * non-text octet or an overlong line); echo's body is what the model
 * expects; in JSON mode every body (ERR ones included) is one valid JSON
 * document in valid UTF-8, and in text mode an ERR body is one line.
 *
 * Separately, the whole input is quoted as a JSON string: the output must
 * be a valid JSON string in valid UTF-8 whose decoded value is the input
 * when the input is valid UTF-8 (and has the same length in code points
 * when it is not, each bad octet becoming U+FFFD).
 */
#include <stdbool.h>
#include <string.h>

#include <uv.h>

#include "fuzz.h"

#include "dns/errcode.h"
#include "slowpath/buf.h"
#include "slowpath/control.h"
#include "slowpath/json.h"

/* ---- a JSON checker: grammar (RFC 8259) and UTF-8, nothing more ---- */

struct jp {
	const unsigned char *s;
	size_t n, i;
	unsigned depth;
};

/* Length of the well-formed UTF-8 sequence at s[0..n), 0 if none (independent of json.c). */
static size_t u8len(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0];
	size_t len;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		len = 2;
		c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3;
		c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[k] & 0x3f);
	}
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static int hexv(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_utf8(struct sp_buf *b, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	}
	sp_buf_add(b, u, n);
}

/* A string at p->i; its decoded value appended to out (may be NULL). */
static bool jp_string(struct jp *p, struct sp_buf *out)
{
	if (p->i >= p->n || p->s[p->i] != '"')
		return false;
	p->i++;
	while (p->i < p->n) {
		unsigned char c = p->s[p->i];
		if (c == '"') {
			p->i++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (p->i + 1 >= p->n)
				return false;
			unsigned char e = p->s[p->i + 1];
			const char *simple = strchr("\"\\/bfnrt", e);
			if (e && simple) {
				static const char val[] = "\"\\/\b\f\n\r\t";
				if (out)
					sp_buf_putc(out, val[simple - "\"\\/bfnrt"]);
				p->i += 2;
				continue;
			}
			if (e != 'u' || p->i + 6 > p->n)
				return false;
			uint32_t cp = 0;
			for (int k = 0; k < 4; k++) {
				int h = hexv(p->s[p->i + 2 + k]);
				if (h < 0)
					return false;
				cp = cp << 4 | (uint32_t)h;
			}
			if (cp >= 0xd800 && cp <= 0xdfff)
				return false; /* json.c never writes surrogate escapes */
			if (out)
				put_utf8(out, cp);
			p->i += 6;
			continue;
		}
		uint32_t cp;
		size_t len = u8len(p->s + p->i, p->n - p->i, &cp);
		if (len == 0)
			return false;
		if (out)
			sp_buf_add(out, p->s + p->i, len);
		p->i += len;
	}
	return false;
}

static bool jp_value(struct jp *p);

static bool jp_lit(struct jp *p, const char *lit)
{
	size_t n = strlen(lit);
	if (p->n - p->i < n || memcmp(p->s + p->i, lit, n) != 0)
		return false;
	p->i += n;
	return true;
}

static bool jp_number(struct jp *p)
{
	size_t st = p->i;
	if (p->i < p->n && p->s[p->i] == '-')
		p->i++;
	if (p->i >= p->n)
		return false;
	if (p->s[p->i] == '0') {
		p->i++;
	} else if (p->s[p->i] >= '1' && p->s[p->i] <= '9') {
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	} else {
		return false;
	}
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		size_t d = p->i;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
		if (p->i == d)
			return false;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		size_t d = p->i;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
		if (p->i == d)
			return false;
	}
	return p->i > st;
}

static bool jp_value(struct jp *p)
{
	if (p->i >= p->n || ++p->depth > 64)
		return false;
	bool ok;
	unsigned char c = p->s[p->i];
	if (c == '{' || c == '[') {
		unsigned char close = c == '{' ? '}' : ']';
		p->i++;
		ok = true;
		if (p->i < p->n && p->s[p->i] == close) {
			p->i++;
		} else {
			for (;;) {
				if (c == '{' && (!jp_string(p, NULL) || !jp_lit(p, ":"))) {
					ok = false;
					break;
				}
				if (!jp_value(p)) {
					ok = false;
					break;
				}
				if (jp_lit(p, ","))
					continue;
				ok = p->i < p->n && p->s[p->i] == close;
				p->i++;
				break;
			}
		}
	} else if (c == '"') {
		ok = jp_string(p, NULL);
	} else if (c == 't' || c == 'f' || c == 'n') {
		ok = jp_lit(p, "true") || jp_lit(p, "false") || jp_lit(p, "null");
	} else {
		ok = jp_number(p);
	}
	p->depth--;
	return ok;
}

/* s[0..n) is exactly one JSON document (compact: no whitespace), maybe then "\n". */
static bool json_doc(const char *s, size_t n)
{
	if (n && s[n - 1] == '\n')
		n--;
	struct jp p = { (const unsigned char *)s, n, 0, 0 };
	return jp_value(&p) && p.i == n;
}

/* ---- the server and its commands ---- */

static int cmd_echo(void *ctx, struct sp_ctl_req *req)
{
	(void)ctx;
	if (!req->json) {
		for (unsigned i = 0; i < req->argc; i++)
			sp_buf_printf(req->out, "%s%s", i ? " " : "", req->argv[i]);
		sp_buf_putc(req->out, '\n');
		return 0;
	}
	struct sp_json j;
	sp_json_init(&j, req->out);
	sp_json_obj_begin(&j);
	sp_json_key(&j, "args");
	sp_json_arr_begin(&j);
	for (unsigned i = 0; i < req->argc; i++)
		sp_json_str(&j, req->argv[i]);
	sp_json_arr_end(&j);
	sp_json_obj_end(&j);
	return sp_json_finish(&j);
}

static int cmd_fail(void *ctx, struct sp_ctl_req *req)
{
	(void)ctx;
	return sp_ctl_fail(req, DP_ENOENT, "no such thing: '%s'", req->argv[0]);
}

static uv_loop_t loop;
static bool loop_ready;

/* ---- the model ---- */

enum {
	M_OK,
	M_ERR,
	M_CLOSE
};

/* Predicts the result of line[0..len) and, for an echo, its text body. */
static int model(const char *line, size_t len, bool *json, struct sp_buf *body)
{
	*json = false;
	if (len >= SP_CTL_LINE_MAX)
		return M_CLOSE; /* whatever its last octet */
	if (len && line[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (!((c >= 0x20 && c <= 0x7e) || c == '\t'))
			return M_CLOSE;
	}
	const char *w[SP_CTL_LINE_MAX];
	size_t wl[SP_CTL_LINE_MAX];
	unsigned nw = 0;
	for (size_t i = 0; i < len;) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		w[nw] = line + i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		wl[nw] = (size_t)(line + i - w[nw]);
		nw++;
	}
	if (nw > SP_CTL_ARGS_MAX + 2)
		return M_ERR;
	unsigned k = 0;
	if (nw && wl[0] == 6 && !memcmp(w[0], "--json", 6)) {
		*json = true;
		k = 1;
	}
	if (k == nw)
		return M_ERR;
	bool echo = wl[k] == 4 && !memcmp(w[k], "echo", 4);
	bool fail = wl[k] == 4 && !memcmp(w[k], "fail", 4);
	bool help = wl[k] == 4 && !memcmp(w[k], "help", 4);
	unsigned argc = nw - k - 1;
	if (echo && argc <= SP_CTL_ARGS_MAX) {
		for (unsigned i = 0; i < argc; i++) {
			if (i)
				sp_buf_putc(body, ' ');
			sp_buf_add(body, w[k + 1 + i], wl[k + 1 + i]);
		}
		sp_buf_putc(body, '\n');
		return M_OK;
	}
	if (help && argc == 0)
		return M_OK;
	if (help && argc == 1) {
		const char *a = w[k + 1];
		size_t al = wl[k + 1];
		bool known = (al == 4 && (!memcmp(a, "echo", 4) || !memcmp(a, "fail", 4) ||
					  !memcmp(a, "help", 4)));
		return known ? M_OK : M_ERR;
	}
	(void)fail; /* fail always fails; anything else is unknown or miscounted */
	return M_ERR;
}

/* Checks one line's response in resp (all of it) against the result and the model. */
static void check(const char *line, size_t len, int res, const struct sp_buf *resp)
{
	bool json;
	struct sp_buf want;
	sp_buf_init(&want, 1 << 16);
	int m = model(line, len, &json, &want);
	FUZZ_CHECK(res == SP_CTL_R_OK || res == SP_CTL_R_ERR || res == SP_CTL_R_ERR_CLOSE);
	FUZZ_CHECK((m == M_OK) == (res == SP_CTL_R_OK));
	FUZZ_CHECK((m == M_CLOSE) == (res == SP_CTL_R_ERR_CLOSE));

	/* One frame, its length exact. */
	const char *r = resp->data;
	FUZZ_CHECK(r && resp->len > 0);
	const char *nl = memchr(r, '\n', resp->len);
	FUZZ_CHECK(nl);
	bool ok = !strncmp(r, "OK ", 3);
	FUZZ_CHECK(ok || !strncmp(r, "ERR ", 4));
	FUZZ_CHECK(ok == (res == SP_CTL_R_OK));
	const char *num = r + (ok ? 3 : 4);
	FUZZ_CHECK(num < nl && (num[0] != '0' || num + 1 == nl));
	size_t n = 0;
	for (const char *p = num; p < nl; p++) {
		FUZZ_CHECK(*p >= '0' && *p <= '9');
		n = n * 10 + (size_t)(*p - '0');
	}
	const char *body = nl + 1;
	FUZZ_CHECK(n == resp->len - (size_t)(body - r));
	FUZZ_CHECK(n == 0 || body[n - 1] == '\n');

	if (json && m != M_CLOSE) {
		FUZZ_CHECK(json_doc(body, n));
	} else if (!ok) {
		FUZZ_CHECK(n > 0 && memchr(body, '\n', n) == body + n - 1); /* one line */
	}
	if (m == M_OK && want.len && !json) {
		FUZZ_CHECK(n == want.len && !memcmp(body, want.data, n));
	}
	sp_buf_deinit(&want);
}

/* Quotes the input as a JSON string and checks the result (see the top). */
static void check_quote(const uint8_t *data, size_t size)
{
	struct sp_buf q, dec;
	sp_buf_init(&q, 8 * size + 16);
	sp_buf_init(&dec, 4 * size + 16);
	sp_json_quote(&q, (const char *)data, size);
	FUZZ_CHECK(sp_buf_error(&q) == 0);
	struct jp p = { (const unsigned char *)q.data, q.len, 0, 0 };
	FUZZ_CHECK(jp_string(&p, &dec) && p.i == q.len);
	FUZZ_CHECK(sp_buf_error(&dec) == 0);
	/* Code points in, code points out; the same octets when the input is well-formed. */
	size_t cps = 0;
	bool valid = true;
	for (size_t i = 0; i < size;) {
		uint32_t cp;
		size_t l = u8len(data + i, size - i, &cp);
		valid &= l > 0;
		i += l ? l : 1;
		cps++;
	}
	size_t dcps = 0;
	for (size_t i = 0; i < dec.len;) {
		uint32_t cp;
		size_t l = u8len((const unsigned char *)dec.data + i, dec.len - i, &cp);
		FUZZ_CHECK(l > 0);
		i += l;
		dcps++;
	}
	FUZZ_CHECK(dcps == cps);
	if (valid)
		FUZZ_CHECK(dec.len == size && (size == 0 || !memcmp(dec.data, data, size)));
	sp_buf_deinit(&q);
	sp_buf_deinit(&dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	check_quote(data, size);

	if (!loop_ready) {
		FUZZ_CHECK(uv_loop_init(&loop) == 0);
		loop_ready = true;
	}
	struct sp_ctl_cfg cfg;
	sp_ctl_cfg_init(&cfg);
	cfg.path = "/nonexistent/fuzz.sock"; /* never started */
	cfg.max_response = 1 << 20;
	struct sp_ctl *s = sp_ctl_new(&loop, &cfg);
	FUZZ_CHECK(s);
	FUZZ_CHECK(sp_ctl_register(s, "echo", 0, SP_CTL_ARGS_MAX, cmd_echo, NULL, "[WORD...]",
				   "words") == 0);
	FUZZ_CHECK(sp_ctl_register(s, "fail", 1, 1, cmd_fail, NULL, "X", "fails") == 0);

	struct sp_buf resp;
	sp_buf_init(&resp, (1 << 20) + 64);
	const char *in = (const char *)data;
	size_t off = 0;
	unsigned requests = 0;
	while (off < size) {
		const char *nl = memchr(in + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - in - off) : size - off;
		size_t step = len + (nl ? 1 : 0);
		/* A connection cuts a line without a newline at its buffer's size. */
		if (len >= SP_CTL_LINE_MAX) {
			len = SP_CTL_LINE_MAX;
			step = len;
		}
		sp_buf_reset(&resp);
		int res = sp_ctl_execute(s, in + off, len, &resp);
		requests++;
		check(in + off, len, res, &resp);
		off += step;
		if (res == SP_CTL_R_ERR_CLOSE)
			break; /* the connection would close: the rest is never read */
	}
	struct sp_ctl_stats st;
	sp_ctl_stats(s, &st);
	FUZZ_CHECK(st.requests == requests);
	sp_buf_deinit(&resp);
	sp_ctl_free(s);
	return 0;
}
