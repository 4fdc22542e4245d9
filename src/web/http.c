/*
 * http: see http.h.  The request is copied into req->buf a byte at a
 * time and read a line at a time, as each line's CR LF arrives: the
 * request line, then the fields, each checked and NUL-terminated where it
 * lies, then the body.  A rule broken by a byte is found at that byte,
 * and caps are checked before the byte is stored, so the outcome does not
 * depend on how the bytes were split into reads and never waits for more
 * than the caps.
 */
#include <string.h>
#include <strings.h>

#include "http.h"

enum {
	HTTP_PH_LINE,		/* before and in the request line */
	HTTP_PH_FIELDS,
	HTTP_PH_BODY,
};

/* Fields a request may carry once only: two could be read two ways. */
static const char *const http_single[] = {
	"Host", "Origin", "Content-Type", "Authorization",
	"Sec-WebSocket-Key", "Sec-WebSocket-Version", NULL,
};

static void	http_fail(struct http_req *, int, const char *);
static void	http_line(struct http_req *, char *, size_t);
static void	http_request_line(struct http_req *, char *, size_t);
static void	http_field_line(struct http_req *, char *, size_t);
static void	http_head_end(struct http_req *);
static int	http_tchar(int);
static int	http_host_valid(const char *, size_t);
static int	http_list_has(const char *, const char *);
static size_t	http_host_name(const char *);

void
http_init(struct http_req *req)
{
	memset(req, 0, offsetof(struct http_req, buf));
	req->buf[0] = '\0';
	req->state = HTTP_MORE;
	req->phase = HTTP_PH_LINE;
}

enum http_state
http_state(const struct http_req *req)
{
	return req->state;
}

static void
http_fail(struct http_req *req, int status, const char *why)
{
	req->state = HTTP_FAIL;
	req->status = status;
	req->why = why;
}

size_t
http_feed(struct http_req *req, const uint8_t *buf, size_t len)
{
	size_t	i = 0, n;
	uint8_t	b;

	while (i < len && req->state == HTTP_MORE) {
		if (req->phase == HTTP_PH_BODY) {
			n = (size_t)(req->body + req->body_len -
			    (const uint8_t *)(req->buf + req->len));
			if (n > len - i) {
				n = len - i;
			}
			memcpy(req->buf + req->len, buf + i, n);
			req->len += n;
			i += n;
			if ((const uint8_t *)(req->buf + req->len) ==
			    req->body + req->body_len) {
				req->buf[req->len] = '\0';
				req->state = HTTP_DONE;
			}
			continue;
		}
		b = buf[i++];
		if (req->len - req->line + 1 > HTTP_LINE_MAX) {
			if (req->phase == HTTP_PH_LINE) {
				http_fail(req, 414, "request line too long");
			} else {
				http_fail(req, 431, "header field too long");
			}
			break;
		}
		if (req->len + 1 > HTTP_HEAD_MAX) {
			http_fail(req, 431, "request head too long");
			break;
		}
		req->buf[req->len++] = (char)b;
		if (req->cr && b != '\n') {
			http_fail(req, 400, "CR not followed by LF");
			break;
		}
		if (b == '\n') {
			if (!req->cr) {
				http_fail(req, 400, "line ended by LF alone");
				break;
			}
			req->buf[req->len - 2] = '\0';
			http_line(req, req->buf + req->line,
			    req->len - 2 - req->line);
			req->line = req->len;
		}
		req->cr = b == '\r';
	}
	return i;
}

static void
http_line(struct http_req *req, char *s, size_t n)
{
	if (req->phase == HTTP_PH_LINE) {
		/* Empty lines before the request are ignored (RFC 9112 2.2). */
		if (n > 0) {
			http_request_line(req, s, n);
		}
	} else if (n == 0) {
		http_head_end(req);
	} else {
		http_field_line(req, s, n);
	}
}

static int
http_tchar(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9')) {
		return 1;
	}
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/*
 * host [":" port]: a name of letters, digits, '-', '.' and '_', or an
 * IP literal in brackets; a port of 1 to 5 digits up to 65535.
 */
static int
http_host_valid(const char *s, size_t n)
{
	size_t		i = 0, start;
	unsigned	port;

	if (n == 0 || n > HTTP_HOST_MAX) {
		return 0;
	}
	if (s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++) {
			if (strchr("0123456789abcdefABCDEF:.", s[i]) == NULL) {
				return 0;
			}
		}
		if (i == n || i == 1) {
			return 0;
		}
		i++;
	} else {
		for (; i < n && s[i] != ':'; i++) {
			if (!((s[i] >= 'a' && s[i] <= 'z') ||
			    (s[i] >= 'A' && s[i] <= 'Z') ||
			    (s[i] >= '0' && s[i] <= '9') ||
			    s[i] == '-' || s[i] == '.' || s[i] == '_')) {
				return 0;
			}
		}
		if (i == 0) {
			return 0;
		}
	}
	if (i == n) {
		return 1;
	}
	if (s[i] != ':') {
		return 0;
	}
	start = ++i;
	port = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || i - start >= 5) {
			return 0;
		}
		port = port * 10 + (unsigned)(s[i] - '0');
	}
	return i > start && port <= 65535;
}

static void
http_request_line(struct http_req *req, char *s, size_t n)
{
	char	*target, *version, *q, *auth;
	size_t	 i, alen;

	for (i = 0; i < n; i++) {
		if ((uint8_t)s[i] <= 0x20 && s[i] != ' ') {
			http_fail(req, 400, "control byte in request line");
			return;
		}
		if ((uint8_t)s[i] >= 0x7f) {
			http_fail(req, 400, "non-ASCII byte in request line");
			return;
		}
	}
	target = memchr(s, ' ', n);
	if (target == NULL || target == s) {
		http_fail(req, 400, "no method");
		return;
	}
	*target++ = '\0';
	for (i = 0; s[i] != '\0'; i++) {
		if (!http_tchar((uint8_t)s[i])) {
			http_fail(req, 400, "bad method");
			return;
		}
	}
	version = strchr(target, ' ');
	if (version == NULL || version == target) {
		http_fail(req, 400, "no request target");
		return;
	}
	*version++ = '\0';
	if (strlen(version) != 8 || strncmp(version, "HTTP/", 5) != 0 ||
	    version[5] < '0' || version[5] > '9' || version[6] != '.' ||
	    version[7] < '0' || version[7] > '9') {
		http_fail(req, 400, "bad HTTP version");
		return;
	}
	if (version[5] != '1') {
		http_fail(req, 505, "HTTP version not 1.x");
		return;
	}
	req->minor = version[7] == '0' ? 0 : 1;

	req->method_name = s;
	if (strcmp(s, "GET") == 0) {
		req->method = HTTP_GET;
	} else if (strcmp(s, "HEAD") == 0) {
		req->method = HTTP_HEAD;
	} else if (strcmp(s, "POST") == 0) {
		req->method = HTTP_POST;
	} else {
		req->method = HTTP_OTHER;
	}

	if (strchr(target, '#') != NULL) {
		http_fail(req, 400, "fragment in request target");
		return;
	}
	if (target[0] != '/') {
		/* absolute-form, which a server must take (RFC 9112 3.2.2) */
		if (strncasecmp(target, "http://", 7) == 0) {
			auth = target + 7;
		} else if (strncasecmp(target, "https://", 8) == 0) {
			auth = target + 8;
		} else {
			http_fail(req, 400, "bad request target");
			return;
		}
		alen = strcspn(auth, "/?");
		if (!http_host_valid(auth, alen)) {
			http_fail(req, 400, "bad authority in request target");
			return;
		}
		memcpy(req->authority, auth, alen);
		req->authority[alen] = '\0';
		req->host = req->authority;
		target = auth + alen;
	}
	q = strchr(target, '?');
	if (q != NULL) {
		*q++ = '\0';
		req->query = q;
	}
	req->path = target[0] == '\0' ? "/" : target;
	req->phase = HTTP_PH_FIELDS;
}

static void
http_field_line(struct http_req *req, char *s, size_t n)
{
	struct http_field	*f;
	char			*v, *end, *p;
	uint64_t		 clen;
	size_t			 i;

	if (s[0] == ' ' || s[0] == '\t') {
		http_fail(req, 400, "folded header field");
		return;
	}
	for (i = 0; i < n && s[i] != ':'; i++) {
		if (!http_tchar((uint8_t)s[i])) {
			http_fail(req, 400, "bad header field name");
			return;
		}
	}
	if (i == 0 || i == n) {
		http_fail(req, 400, "bad header field name");
		return;
	}
	s[i] = '\0';
	v = s + i + 1;
	end = s + n;
	for (p = v; p < end; p++) {
		if (((uint8_t)*p < 0x20 && *p != '\t') || *p == 0x7f) {
			http_fail(req, 400, "control byte in header field");
			return;
		}
	}
	while (v < end && (*v == ' ' || *v == '\t')) {
		v++;
	}
	while (end > v && (end[-1] == ' ' || end[-1] == '\t')) {
		end--;
	}
	*end = '\0';
	if (req->nfields == HTTP_FIELDS_MAX) {
		http_fail(req, 431, "too many header fields");
		return;
	}
	for (i = 0; http_single[i] != NULL; i++) {
		if (strcasecmp(s, http_single[i]) == 0 &&
		    http_field(req, s) != NULL) {
			http_fail(req, 400, "header field given twice");
			return;
		}
	}
	f = &req->fields[req->nfields++];
	f->name = s;
	f->value = v;

	if (strcasecmp(s, "Host") == 0) {
		if (!http_host_valid(v, (size_t)(end - v))) {
			http_fail(req, 400, "bad Host");
			return;
		}
		req->nhost++;
		if (req->host == NULL) {
			req->host = v;
		}
	} else if (strcasecmp(s, "Origin") == 0) {
		req->origin = v;
	} else if (strcasecmp(s, "Content-Length") == 0) {
		if (v == end) {
			http_fail(req, 400, "bad Content-Length");
			return;
		}
		clen = 0;
		for (p = v; p < end; p++) {
			if (*p < '0' || *p > '9') {
				http_fail(req, 400, "bad Content-Length");
				return;
			}
			/* Past the cap every value is one: too long. */
			clen = clen * 10 + (uint64_t)(*p - '0');
			if (clen > HTTP_BODY_MAX) {
				clen = HTTP_BODY_MAX + 1;
			}
		}
		if (req->has_length && req->body_len != clen) {
			http_fail(req, 400, "Content-Length given twice, "
			    "differently");
			return;
		}
		req->has_length = 1;
		req->body_len = (size_t)clen;
	} else if (strcasecmp(s, "Transfer-Encoding") == 0) {
		http_fail(req, 501, "Transfer-Encoding in a request");
		return;
	} else if (strcasecmp(s, "Connection") == 0) {
		if (http_list_has(v, "close")) {
			req->conn |= HTTP_CONN_CLOSE;
		}
		if (http_list_has(v, "keep-alive")) {
			req->conn |= HTTP_CONN_KEEP_ALIVE;
		}
		if (http_list_has(v, "upgrade")) {
			req->conn |= HTTP_CONN_UPGRADE;
		}
	} else if (strcasecmp(s, "Upgrade") == 0) {
		if (http_list_has(v, "websocket")) {
			req->upgrade_ws = 1;
		}
	}
}

static void
http_head_end(struct http_req *req)
{
	if (req->minor == 1 && req->nhost == 0) {
		http_fail(req, 400, "no Host");
		return;
	}
	if (req->body_len > HTTP_BODY_MAX) {
		http_fail(req, 413, "body too long");
		return;
	}
	req->body = (const uint8_t *)(req->buf + req->len);
	req->buf[req->len] = '\0';
	if (req->body_len == 0) {
		req->state = HTTP_DONE;
	} else {
		req->phase = HTTP_PH_BODY;
	}
}

int
http_keep_alive(const struct http_req *req)
{
	if (req->state != HTTP_DONE) {
		return 0;
	}
	if (req->minor == 0) {
		return (req->conn & HTTP_CONN_KEEP_ALIVE) &&
		    !(req->conn & HTTP_CONN_CLOSE);
	}
	return !(req->conn & HTTP_CONN_CLOSE);
}

const char *
http_field(const struct http_req *req, const char *name)
{
	size_t	i;

	for (i = 0; i < req->nfields; i++) {
		if (strcasecmp(req->fields[i].name, name) == 0) {
			return req->fields[i].value;
		}
	}
	return NULL;
}

/* Does the comma-separated list hold token, without case? */
static int
http_list_has(const char *list, const char *token)
{
	size_t		n = strlen(token), len;
	const char	*p = list, *e;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',') {
			p++;
		}
		if (*p == '\0') {
			return 0;
		}
		len = strcspn(p, ",");
		e = p + len;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t')) {
			e--;
		}
		if ((size_t)(e - p) == n && strncasecmp(p, token, n) == 0) {
			return 1;
		}
		p += len;
	}
}

int
http_has_token(const struct http_req *req, const char *name,
    const char *token)
{
	size_t	i;

	for (i = 0; i < req->nfields; i++) {
		if (strcasecmp(req->fields[i].name, name) == 0 &&
		    http_list_has(req->fields[i].value, token)) {
			return 1;
		}
	}
	return 0;
}

const char *
http_cookie(const struct http_req *req, const char *name, size_t *len)
{
	size_t		 i, n = strlen(name), plen;
	const char	*p, *eq;

	for (i = 0; i < req->nfields; i++) {
		if (strcasecmp(req->fields[i].name, "Cookie") != 0) {
			continue;
		}
		for (p = req->fields[i].value; *p != '\0'; p += plen) {
			while (*p == ' ' || *p == ';') {
				p++;
			}
			plen = strcspn(p, ";");
			eq = memchr(p, '=', plen);
			if (eq != NULL && (size_t)(eq - p) == n &&
			    strncmp(p, name, n) == 0) {
				*len = plen - n - 1;
				while (*len > 0 && eq[*len] == ' ') {
					(*len)--;
				}
				return eq + 1;
			}
		}
	}
	return NULL;
}

static int
http_hex(int c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

int
http_form(const uint8_t *body, size_t len, const char *name, char *dst,
    size_t cap)
{
	const uint8_t	*p = body, *end = body + len, *amp, *v;
	size_t		 n = strlen(name), o;
	int		 hi, lo, c;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL) {
			amp = end;
		}
		if ((size_t)(amp - p) > n && memcmp(p, name, n) == 0 &&
		    p[n] == '=') {
			o = 0;
			for (v = p + n + 1; v < amp; v++) {
				c = *v;
				if (c < 0x20 || c == 0x7f) {
					return -1;
				}
				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					if (amp - v < 3 ||
					    (hi = http_hex(v[1])) < 0 ||
					    (lo = http_hex(v[2])) < 0 ||
					    hi + lo == 0) {
						return -1;
					}
					c = hi << 4 | lo;
					v += 2;
				}
				if (o + 1 >= cap) {
					return -1;
				}
				dst[o++] = (char)c;
			}
			if (cap == 0) {
				return -1;
			}
			dst[o] = '\0';
			return (int)o;
		}
		p = amp + 1;
	}
	return -1;
}

/* The length of a host's name: without ":port", brackets kept. */
static size_t
http_host_name(const char *host)
{
	const char	*e;

	if (host[0] == '[') {
		e = strchr(host, ']');
		return e == NULL ? strlen(host) : (size_t)(e - host) + 1;
	}
	return strcspn(host, ":");
}

/*
 * Compare two host[:port] without case, a missing port read as dport
 * (80 or 443).
 */
static int
http_host_same(const char *a, size_t alen, const char *b, size_t blen,
    const char *dport)
{
	size_t	an = http_host_name(a), bn = http_host_name(b);
	char	pa[8], pb[8];

	if (an > alen || bn > blen || an != bn ||
	    strncasecmp(a, b, an) != 0) {
		return 0;
	}
	if (alen - an > sizeof(pa) - 1 || blen - bn > sizeof(pb) - 1) {
		return 0;
	}
	memcpy(pa, a + an, alen - an);
	pa[alen - an] = '\0';
	memcpy(pb, b + bn, blen - bn);
	pb[blen - bn] = '\0';
	return strcmp(pa[0] == '\0' ? dport : pa,
	    pb[0] == '\0' ? dport : pb) == 0;
}

int
http_origin_ok(const struct http_req *req, int tls,
    const char *const *origins)
{
	const char	*o = req->origin, *scheme = tls ? "https://" :
			    "http://";
	size_t		 i, n = strlen(scheme);

	if (o == NULL) {
		return 1;
	}
	for (i = 0; origins != NULL && origins[i] != NULL; i++) {
		if (strcasecmp(o, origins[i]) == 0) {
			return 1;
		}
	}
	if (req->host == NULL || strncasecmp(o, scheme, n) != 0 ||
	    !http_host_valid(o + n, strlen(o + n))) {
		return 0;
	}
	return http_host_same(o + n, strlen(o + n), req->host,
	    strlen(req->host), tls ? ":443" : ":80");
}

int
http_host_ok(const struct http_req *req, const char *const *hosts)
{
	size_t	i, n;

	if (hosts == NULL) {
		return 1;
	}
	if (req->host == NULL) {
		return 0;
	}
	n = http_host_name(req->host);
	for (i = 0; hosts[i] != NULL; i++) {
		if (strlen(hosts[i]) == n &&
		    strncasecmp(req->host, hosts[i], n) == 0) {
			return 1;
		}
	}
	return 0;
}
