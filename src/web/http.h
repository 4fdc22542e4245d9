/*
 * http: one HTTP/1.1 request (RFC 9112) from bytes, for the web console:
 * GET and HEAD for pages and the WebSocket handshake, POST with a small
 * body for a login form.  It does no I/O: the owner feeds what it reads
 * and gets back how much was taken, so bytes after the request (the next
 * pipelined request, or WebSocket frames after an upgrade) stay with it.
 *
 * It is strict where leniency has let requests be read two ways
 * (smuggling) or costs memory: lines end in CR LF, a field name is
 * followed by its colon, no line folding, no control bytes, one Host, a
 * Content-Length of digits (repeats must agree), no Transfer-Encoding;
 * the head, each line, the number of fields and the body have caps.  A
 * request that breaks a rule fails with the status to answer and a
 * reason for the log.
 */
#ifndef TTYHUB_HTTP_H
#define TTYHUB_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX	8192	/* request line and fields, CR LFs included */
#define HTTP_LINE_MAX	4096	/* one line of it */
#define HTTP_FIELDS_MAX	64	/* header fields */
#define HTTP_BODY_MAX	4096	/* a body (a login form) */
#define HTTP_HOST_MAX	262	/* a DNS name, ':' and a port */

enum http_method {
	HTTP_GET = 1,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_OTHER,		/* any other method: a valid token */
};

enum http_state {
	HTTP_MORE,		/* give it more bytes */
	HTTP_DONE,		/* a whole request: see struct http_req */
	HTTP_FAIL,		/* answer status, then close */
};

/* Connection tokens (RFC 9110, 7.6.1) we act on. */
#define HTTP_CONN_CLOSE		0x1
#define HTTP_CONN_KEEP_ALIVE	0x2
#define HTTP_CONN_UPGRADE	0x4

struct http_field {
	const char	*name;		/* as sent; compare without case */
	const char	*value;		/* leading and trailing blanks cut */
};

/*
 * One request.  Once HTTP_DONE, the fields above the line are what was
 * read: strings are NUL-terminated, point into the request (valid until
 * it is reset), and are NULL when absent.  Strings hold no control bytes
 * but HTAB; field values may hold bytes over 0x7f (obs-text).
 */
struct http_req {
	enum http_method	 method;
	const char		*method_name;
	int			 minor;		/* 0, or 1 for 1.1 and later */
	const char		*path;		/* still %-encoded */
	const char		*query;		/* after '?' */
	const char		*host;		/* or the target's authority */
	const char		*origin;	/* Origin */
	unsigned		 conn;		/* HTTP_CONN_* in Connection */
	int			 upgrade_ws;	/* Upgrade names websocket */
	int			 has_length;	/* Content-Length was given */
	size_t			 body_len;	/* Content-Length */
	const uint8_t		*body;		/* the body, NUL after it */
	struct http_field	 fields[HTTP_FIELDS_MAX];
	size_t			 nfields;
	int			 status;	/* HTTP_FAIL: the status to answer */
	const char		*why;		/* HTTP_FAIL: for the log */

	/* The parser's. */
	enum http_state		 state;
	int			 phase;
	size_t			 len;		/* bytes kept in buf */
	size_t			 line;		/* the current line's start */
	int			 cr;		/* the last byte was CR */
	int			 nhost;
	char			 authority[HTTP_HOST_MAX + 1];
	char			 buf[HTTP_HEAD_MAX + HTTP_BODY_MAX + 1];
};

/* Make req ready for a request (also after one, for the next). */
void		 http_init(struct http_req *req);

/*
 * Feed bytes; returns how many were taken (all of them while the request
 * is incomplete, fewer once it is complete; none after HTTP_DONE or
 * HTTP_FAIL).  Then see http_state.
 */
size_t		 http_feed(struct http_req *req, const uint8_t *buf,
		    size_t len);
enum http_state	 http_state(const struct http_req *req);

/*
 * May the connection carry another request after this one?  HTTP/1.1
 * unless Connection says close; HTTP/1.0 only if it says keep-alive.
 */
int		 http_keep_alive(const struct http_req *req);

/* The first value of the field name (no case), or NULL. */
const char	*http_field(const struct http_req *req, const char *name);

/*
 * Does a field name (no case), in any of its lines, list token (no case)
 * in its comma-separated value?  For Connection, Upgrade and
 * Sec-WebSocket-Protocol.
 */
int		 http_has_token(const struct http_req *req, const char *name,
		    const char *token);

/*
 * The value of cookie name (case counts) in the Cookie fields: the first
 * one sent, as RFC 6265 orders them (longest path, then oldest).  Sets
 * *len and returns a pointer into the request, not NUL-terminated, or
 * NULL.
 */
const char	*http_cookie(const struct http_req *req, const char *name,
		    size_t *len);

/*
 * The field name of an application/x-www-form-urlencoded body, decoded
 * ('+' as space, %XX) into dst, NUL-terminated.  Returns its length, or
 * -1 when it is absent, longer than cap - 1, or badly encoded (a % not
 * followed by two hex digits, %00, or a control byte as it is).
 */
int		 http_form(const uint8_t *body, size_t len, const char *name,
		    char *dst, size_t cap);

/*
 * Is the request same-origin, or from an origin allowed?  Origin must be
 * "http://" (or "https://" when tls) and the request's host, default
 * ports ignored, or equal one of origins (a NULL-ended list, or NULL).
 * "null" and anything else are refused.  A request without Origin is
 * allowed: browsers always send one for WebSocket and POST, so it is not
 * from a browser, and what a program sends proves nothing either way.
 */
int		 http_origin_ok(const struct http_req *req, int tls,
		    const char *const *origins);

/*
 * Is the request's host (its name, the port aside) one of hosts, a
 * NULL-ended list, without case?  hosts NULL allows any.  Against DNS
 * rebinding: a page whose name an attacker points at our address is
 * same-origin with itself, but names itself in Host.
 */
int		 http_host_ok(const struct http_req *req,
		    const char *const *hosts);

#endif
