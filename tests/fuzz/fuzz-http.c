/*
 * fuzz-http: libFuzzer harness for the web console's HTTP side
 * (src/web/http.c, httpres.c, wsopen.c): what a browser, or anyone who
 * reaches a web listener, can send before a WebSocket is open.
 *
 * fuzz-sources: src/web/http.c src/web/httpres.c src/web/wsopen.c
 * fuzz-pkgs: libcrypto
 * fuzz-seeds: tests/fuzz/http-seeds
 * fuzz-max-len: 32768
 *
 * Input: byte 0 chooses how the second run splits the rest into reads
 * (fuzzkit_reads); the rest is what the peer sends: requests one after
 * the other, as a keep-alive connection carries them.
 *
 * The input runs twice, in one read and split into reads, as the daemon
 * will run it: feed what was read, and after each request (while it may
 * be kept alive, up to 8) start the next with the bytes left over.  The
 * two transcripts (every request as parsed, or its failure) must be
 * equal.  On top of the sanitizers, for every request:
 *   - a failure has a status of 400, 413, 414, 431, 501 or 505 and a
 *     reason, and httpres_error builds a well-formed answer for it;
 *   - a request takes at most HTTP_HEAD_MAX bytes of head and its body
 *     (at most HTTP_BODY_MAX, exactly Content-Length) is the input's
 *     bytes after the head;
 *   - what it holds keeps the rules: a method that is a token, a path
 *     that starts with '/' and holds printable ASCII only, a valid host
 *     (required in 1.1), field names that are tokens, values without
 *     control bytes or blanks at either end, never two of a field that
 *     may come once, never Transfer-Encoding;
 *   - http_cookie, http_form, http_origin_ok and http_host_ok stay in
 *     bounds and give answers in range;
 *   - wsopen_check answers 101, 400, 403, 405 or 426, and for 101
 *     wsopen_reply builds a well-formed 101 with a 28-byte accept;
 *   - a response head with the request's path, Origin or raw input
 *     bytes as field values is either refused or well-formed: no CR or
 *     LF but in CR LF, one line per field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../src/web/http.h"
#include "../../src/web/httpres.h"
#include "../../src/web/wsopen.h"
#include "fuzzkit.h"

const char	fuzzkit_name[] = "fuzz-http";

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define REQUESTS_MAX	8

static struct http_req	req;

static int
tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * A head built by httpres: lines of CR LF, no lone CR or LF, nfields
 * field lines "name: value" after the status line, then the empty line.
 */
static void
check_head(const char *buf, size_t len, size_t nfields)
{
	size_t	i, lines = 0;

	CHECK(len >= 4 && memcmp(buf + len - 4, "\r\n\r\n", 4) == 0,
	    "a head that does not end in an empty line");
	CHECK(memcmp(buf, "HTTP/1.1 ", 9) == 0, "a head's status line");
	for (i = 0; i < len; i++) {
		if (buf[i] == '\r') {
			CHECK(i + 1 < len && buf[i + 1] == '\n',
			    "a CR alone at %zu", i);
		} else if (buf[i] == '\n') {
			CHECK(i > 0 && buf[i - 1] == '\r',
			    "an LF alone at %zu", i);
			lines++;
		} else {
			CHECK((uint8_t)buf[i] >= 0x20 || buf[i] == '\t',
			    "a control byte in a head");
		}
	}
	CHECK(lines == nfields + 2, "%zu lines for %zu fields", lines,
	    nfields);
}

static void
check_done(const uint8_t *in, size_t used, struct fuzzkit_buf *tr)
{
	static const char *const once[] = {
		"Host", "Origin", "Content-Type", "Authorization",
		"Sec-WebSocket-Key", "Sec-WebSocket-Version", NULL,
	};
	static const char *const origins[] = { "https://console.example.org",
	    NULL };
	static const char *const hosts[] = { "localhost", "127.0.0.1", NULL };
	struct wsopen_opts	 o;
	struct httpres		 r;
	const char		*s, *why, *c;
	char			 line[600], dst[33], raw[101];
	size_t			 i, j, n, clen;
	int			 st, f;

	CHECK(req.method_name != NULL && req.method_name[0] != '\0',
	    "no method");
	for (s = req.method_name; *s != '\0'; s++) {
		CHECK(tchar((uint8_t)*s), "a method that is not a token");
	}
	CHECK((req.method == HTTP_GET) == (strcmp(req.method_name, "GET") ==
	    0) && (req.method == HTTP_POST) ==
	    (strcmp(req.method_name, "POST") == 0), "method and its name");
	CHECK(req.path != NULL && req.path[0] == '/', "path %s", req.path);
	for (s = req.path; *s != '\0'; s++) {
		CHECK(*s > 0x20 && *s < 0x7f && *s != '#' && *s != '?',
		    "a byte 0x%02x in the path", (uint8_t)*s);
	}
	for (s = req.query; s != NULL && *s != '\0'; s++) {
		CHECK(*s > 0x20 && *s < 0x7f && *s != '#',
		    "a byte 0x%02x in the query", (uint8_t)*s);
	}
	CHECK(req.minor == 0 || req.host != NULL, "1.1 without a host");
	if (req.host != NULL) {
		CHECK(strlen(req.host) > 0 && strlen(req.host) <= HTTP_HOST_MAX,
		    "host of %zu bytes", strlen(req.host));
		CHECK(strspn(req.host, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:[]") ==
		    strlen(req.host), "host %s", req.host);
	}
	CHECK(req.nfields <= HTTP_FIELDS_MAX, "%zu fields", req.nfields);
	for (i = 0; i < req.nfields; i++) {
		s = req.fields[i].name;
		CHECK(s[0] != '\0', "an empty field name");
		for (; *s != '\0'; s++) {
			CHECK(tchar((uint8_t)*s), "a field name not a token");
		}
		s = req.fields[i].value;
		n = strlen(s);
		CHECK(n == 0 || (s[0] != ' ' && s[0] != '\t' &&
		    s[n - 1] != ' ' && s[n - 1] != '\t'),
		    "blanks around a value");
		for (; *s != '\0'; s++) {
			CHECK((uint8_t)*s >= 0x20 ? *s != 0x7f : *s == '\t',
			    "a control byte in a value");
		}
		CHECK(strcasecmp(req.fields[i].name, "Transfer-Encoding") != 0,
		    "Transfer-Encoding taken");
		for (j = 0; once[j] != NULL; j++) {
			if (strcasecmp(req.fields[i].name, once[j]) != 0) {
				continue;
			}
			for (f = 0, n = 0; n < req.nfields; n++) {
				f += strcasecmp(req.fields[n].name,
				    once[j]) == 0;
			}
			CHECK(f == 1, "%s %d times", once[j], f);
		}
	}
	clen = req.body_len;
	CHECK(clen <= HTTP_BODY_MAX && (req.has_length || clen == 0),
	    "a body of %zu", clen);
	CHECK(used >= clen && used - clen <= HTTP_HEAD_MAX,
	    "%zu bytes used for a body of %zu", used, clen);
	CHECK(memcmp(req.body, in + used - clen, clen) == 0 &&
	    req.body[clen] == '\0', "the body is not the input's");

	n = (size_t)snprintf(line, sizeof(line), "R %s %s%s%s host=%s "
	    "origin=%.100s conn=%u ws=%d body=%zu fields=%zu keep=%d\n",
	    req.method_name, req.path, req.query ? "?" : "",
	    req.query ? req.query : "", req.host ? req.host : "-",
	    req.origin ? req.origin : "-", req.conn, req.upgrade_ws, clen,
	    req.nfields, http_keep_alive(&req));
	fuzzkit_buf_add(tr, line, n < sizeof(line) ? n : sizeof(line) - 1);
	fuzzkit_buf_add(tr, req.body, clen);

	/* The helpers. */
	c = http_cookie(&req, "ttyhub", &n);
	if (c != NULL) {
		CHECK(c >= req.buf && c + n <= req.buf + sizeof(req.buf) &&
		    memchr(c, ';', n) == NULL, "http_cookie out of bounds");
	}
	f = http_form(req.body, clen, "user", dst, sizeof(dst));
	CHECK(f == -1 || (f >= 0 && f < (int)sizeof(dst) &&
	    strlen(dst) == (size_t)f), "http_form gave %d", f);
	f = http_origin_ok(&req, 0, origins);
	CHECK(f == 0 || f == 1, "http_origin_ok gave %d", f);
	CHECK(req.origin != NULL || f == 1, "no Origin refused");
	CHECK(http_host_ok(&req, NULL) == 1, "http_host_ok without a list");
	f = http_host_ok(&req, hosts);
	CHECK(f == 0 || f == 1, "http_host_ok gave %d", f);

	/* The handshake. */
	memset(&o, 0, sizeof(o));
	o.protocol = "ttyhub";
	o.origins = origins;
	st = wsopen_check(&req, &o, &why);
	CHECK(st == 101 || st == 400 || st == 403 || st == 405 || st == 426,
	    "wsopen_check gave %d", st);
	CHECK((st == 101) == (why == NULL), "a reason with %d", st);
	if (st == 101) {
		CHECK(req.method == HTTP_GET && req.upgrade_ws &&
		    (req.conn & HTTP_CONN_UPGRADE), "101 for a non-upgrade");
		CHECK(wsopen_reply(&r, &req, &o) == 0, "no 101 answer");
		check_head(r.buf, r.len, 4);
		s = strstr(r.buf, "Sec-WebSocket-Accept: ");
		CHECK(s != NULL && s[22 + WSOPEN_ACCEPT_LEN] == '\r',
		    "the accept value");
		fuzzkit_buf_add(tr, "101\n", 4);
	}

	/* Request bytes as response values: refused, or harmless. */
	httpres_start(&r, 303);
	httpres_field(&r, "Location", req.path);
	if (req.origin != NULL) {
		httpres_field(&r, "X-Origin", req.origin);
	}
	n = used < 100 ? used : 100;
	memcpy(raw, in, n);
	raw[n] = '\0';
	httpres_field(&r, "X-Raw", raw);
	if (httpres_end(&r) == 0) {
		check_head(r.buf, r.len, 2 + (req.origin != NULL));
	}
}

static void
check_fail(struct fuzzkit_buf *tr)
{
	struct httpres	r;
	char		line[100];
	int		n;

	CHECK(req.status == 400 || req.status == 413 || req.status == 414 ||
	    req.status == 431 || req.status == 501 || req.status == 505,
	    "failed with %d", req.status);
	CHECK(req.why != NULL, "failed without a reason");
	CHECK(httpres_error(&r, req.status, 0) == 0, "no error answer");
	CHECK(r.len > 4, "an empty error answer");
	n = snprintf(line, sizeof(line), "F %d %s\n", req.status, req.why);
	fuzzkit_buf_add(tr, line, (size_t)n);
}

/* The input as the daemon reads it: reads of rd's lengths. */
static struct fuzzkit_buf
run(const uint8_t *data, size_t size, unsigned split)
{
	struct fuzzkit_buf	tr;
	struct fuzzkit_reads	rd;
	size_t			off = 0, n, used, start = 0, fed = 0;
	int			requests = 0;

	memset(&tr, 0, sizeof(tr));
	fuzzkit_reads_init(&rd, split, 1);
	http_init(&req);
	while (off < size) {
		n = fuzzkit_reads_next(&rd, size - off);
		while (n > 0) {
			used = http_feed(&req, data + off, n);
			off += used;
			n -= used;
			fed += used;
			if (http_state(&req) == HTTP_MORE) {
				CHECK(n == 0, "bytes left with more wanted");
				break;
			}
			if (http_state(&req) == HTTP_FAIL) {
				check_fail(&tr);
				return tr;
			}
			check_done(data + start, fed, &tr);
			if (!http_keep_alive(&req) ||
			    ++requests == REQUESTS_MAX) {
				return tr;
			}
			http_init(&req);
			start = off;
			fed = 0;
		}
	}
	fuzzkit_buf_add(&tr, "more\n", 5);
	return tr;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzzkit_buf	whole, split;

	if (size == 0) {
		return 0;
	}
	whole = run(data + 1, size - 1, 0);
	split = run(data + 1, size - 1, 1 + data[0]);
	if (!fuzzkit_buf_same(&whole, &split)) {
		fuzzkit_buf_show("whole", &whole);
		fuzzkit_buf_show("split", &split);
		CHECK(0, "the requests differ when the input is split");
	}
	free(whole.p);
	free(split.p);
	return 0;
}
