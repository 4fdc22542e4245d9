/*
 * web: a web console connection, made, answered, upgraded, read and
 * closed.  See web.h.
 *
 * Pages: GET / lists the consoles the user may see, GET /c/NAME is the
 * terminal page (one page for every console: it reads the name from its
 * address), /static/ the built-in files, and /ws/NAME the WebSocket the
 * page opens (doc/PROTOCOL.md, "Web console").  Every request must name
 * a host we answer to (web_host_ok) before anything else is looked at;
 * on a listener with auth, web-login.c then says who sent it, answers
 * /login and /logout, and nothing but the built-in files is served
 * before a login.
 * Requests are answered one at a time, in order: while an answer goes
 * out the socket is not read, and bytes read past a request wait.
 *
 * After the upgrade it is a console's client: attached with its role and
 * replay, read only while a writer's input has room, and its control
 * words do what the Telnet client's escapes do.
 */
#include <sys/types.h>

#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>

#include "config.h"
#include "conn.h"
#include "console.h"
#include "log.h"
#include "server.h"
#include "web.h"
#include "../web/http.h"
#include "../web/httpres.h"
#include "../web/webmsg.h"
#include "../web/ws.h"
#include "../web/wsopen.h"
#include "../telnet/tn.h"

#define WEB_READ_MAX	(16 * 1024)
#define WEB_IDLE_MS	30000	/* for a whole request, and between two */
#define WEB_WHO_MAX	128	/* who-lines, as for the Telnet client */

/* A browser's window is bounded as a Telnet client's NAWS is. */
_Static_assert(WEBMSG_SIZE_MAX == TN_WINSIZE_MAX,
    "a browser's size and NAWS differ in their bounds");

/* What TTYHUB_MODE's words ask for, from the WebSocket's ?mode=. */
struct web_want {
	int	ro;
	int	force;
	int	noreplay;
	int	quiet;
};

static uint8_t	web_rbuf[WEB_READ_MAX];

static const struct conn_ops		web_conn_ops;
static const struct ws_ops		web_ws_ops;
static const struct console_member_ops	web_member_ops;

static void	web_input(struct web *, uint8_t *, size_t);
static void	web_end_session(struct server *, uint64_t);

/* Closing. */

/* Leave the console, if it is attached. */
static void
web_leave(struct web *w)
{
	if (w->m.con != NULL) {
		console_detach(w->m.con, &w->m);
	}
}

/* A WebSocket that is going: why, then our close (1001). */
static void
web_goodbye(struct web *w, const char *why)
{
	if (w->phase != WEB_WS || w->conn->closing || ws_close_sent(w->ws)) {
		return;
	}
	if (why != NULL) {
		web_notice(w, why);
	}
	ws_close(w->ws, WS_CLOSE_GOING_AWAY, NULL);
}

static void
web_free(struct web *w)
{
	web_leave(w);
	web_login_free(w);
	conn_free(w->conn);
	free(w->req);
	free(w->in);
	free(w->body_own);
	free(w->ws);
	free(w->pend);
	free(w);
}

/*
 * Close now: one try to say why (or, already closing, to send what is
 * still queued: a reload may close a listener's connections right after
 * their console did), and go.
 */
static void
web_close(struct web *w, const char *why)
{
	if (!w->conn->closing) {
		web_leave(w);
		web_goodbye(w, why);
	}
	if (!w->conn->half_closed) {
		web_last_words(w);
	}
	web_free(w);
}

/* Send what can be sent now; then, in HTTP, go on to the next request. */
static void
web_kick(struct web *w)
{
	const char	*why;
	uint8_t		*in;
	size_t		 len;

	for (;;) {
		if (web_out(w, &why) == -1) {
			web_close(w, why);
			return;
		}
		if (w->phase != WEB_HTTP || !w->answered || w->answering ||
		    w->conn->closing) {
			return;
		}
		/* The answer is out. */
		w->answered = 0;
		if (!w->keep_alive) {
			conn_finish(w->conn);
			return;
		}
		conn_timer(w->conn, WEB_IDLE_MS);
		if ((in = w->in) == NULL) {
			web_events(w);
			return;
		}
		len = w->in_len;
		w->in = NULL;
		w->in_len = 0;
		web_input(w, in, len);
		free(in);
	}
}

/* Who may do what. */

/*
 * May w's user see con, and write to it?  -1: no; 0: read only; 1: read
 * and write.  On a listener with auth, nobody before logging in; then
 * the user (or one a client certificate named on any TLS listener)
 * goes through con's rw and ro lists, the same lists every kind of
 * client answers to.  Anyone else gets what the listener allows, as a
 * TCP client does.
 */
static int
web_access(const struct web *w, const struct console *con)
{
	if (w->auth && !w->logged) {
		return -1;
	}
	return conn_access(w->conn, con->cfg, w->may_write);
}

/* The console a path names, if the user may see it. */
static struct console *
web_console(struct web *w, const char *name)
{
	struct console	*con = console_find(w->conn->srv, name);

	return con != NULL && web_access(w, con) >= 0 ? con : NULL;
}

/*
 * Does the request name a host we answer to: an address, localhost, or
 * a web-host?  Against DNS rebinding: a page whose own name an attacker
 * points at this machine is same-origin with the console, but cannot
 * change the name in Host.  A request without Host (HTTP/1.0) names
 * none and is not from a browser.
 */
static int
web_host_ok(const struct web *w, const struct http_req *req)
{
	const struct config	*cfg = w->conn->srv->cfg;
	char			 name[HTTP_HOST_MAX + 1];
	struct in6_addr		 a6;
	struct in_addr		 a4;
	size_t			 n;

	if (req->host == NULL) {
		return 1;
	}
	if (req->host[0] == '[') {
		n = strcspn(req->host + 1, "]");
		if (n >= sizeof name) {
			return 0;
		}
		memcpy(name, req->host + 1, n);
		name[n] = '\0';
		return inet_pton(AF_INET6, name, &a6) == 1;
	}
	n = strcspn(req->host, ":");
	if (n >= sizeof name) {
		return 0;
	}
	memcpy(name, req->host, n);
	name[n] = '\0';
	if (inet_pton(AF_INET, name, &a4) == 1 ||
	    strcasecmp(name, "localhost") == 0) {
		return 1;
	}
	return cfg != NULL &&
	    http_host_ok(req, (const char *const *)cfg->web_hosts);
}

/*
 * ?mode=ro,noreplay: TTYHUB_MODE's words, separated by commas (%2C as a
 * browser may write one), '+' or spaces.
 */
static void
web_mode(const char *query, struct web_want *want)
{
	char		 words[64];
	const char	*p, *v;
	size_t		 n = 0;

	memset(want, 0, sizeof *want);
	for (p = query; p != NULL && *p != '\0'; p = strchr(p, '&')) {
		p += *p == '&';
		if (strncmp(p, "mode=", 5) == 0) {
			break;
		}
	}
	if (p == NULL || *p == '\0') {
		return;
	}
	for (v = p + 5; *v != '\0' && *v != '&' && n < sizeof words - 1; v++) {
		if (strncasecmp(v, "%2C", 3) == 0 || *v == '+' ||
		    strncmp(v, "%20", 3) == 0) {
			words[n++] = ',';
			v += *v == '%' ? 2 : 0;
		} else {
			words[n++] = *v;
		}
	}
	words[n] = '\0';
	for (p = words; *p != '\0'; p += n) {
		p += strspn(p, ", ");
		n = strcspn(p, ", ");
		want->ro |= n == 2 && strncmp(p, "ro", n) == 0;
		want->force |= n == 5 && strncmp(p, "force", n) == 0;
		want->noreplay |= n == 8 && strncmp(p, "noreplay", n) == 0;
		want->quiet |= n == 5 && strncmp(p, "quiet", n) == 0;
	}
}

/* Answers. */

/* A console's name, made safe for HTML (names are [A-Za-z0-9._-]). */
static void
web_html(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			evbuffer_add(b, "&amp;", 5);
			break;
		case '<':
			evbuffer_add(b, "&lt;", 4);
			break;
		case '>':
			evbuffer_add(b, "&gt;", 4);
			break;
		case '"':
			evbuffer_add(b, "&quot;", 6);
			break;
		default:
			evbuffer_add(b, s, 1);
		}
	}
}

/* GET /: the consoles this user may see, in the configuration's order. */
static void
web_list(struct web *w)
{
	struct server	*srv = w->conn->srv;
	struct console	*con;
	struct evbuffer	*b;
	uint8_t		*page;
	size_t		 len, n = 0;
	int		 access;

	if ((b = evbuffer_new()) == NULL) {
		web_refuse(w, 503, "out of memory");
		return;
	}
	evbuffer_add_printf(b, "<!doctype html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<title>ttyhub</title>\n<link rel=\"icon\" href=\"data:,\">\n"
	    "<link rel=\"stylesheet\" href=\"/static/ttyhub.css\">\n"
	    "</head>\n<body class=\"list\">\n<h1>Consoles</h1>\n<table>\n"
	    "<tr><th>name</th><th>type</th><th>state</th><th>clients</th>"
	    "<th>you</th></tr>\n");
	TAILQ_FOREACH(con, &srv->consoles, entry) {
		if ((access = web_access(w, con)) < 0) {
			continue;
		}
		evbuffer_add_printf(b, "<tr><td><a href=\"/c/");
		web_html(b, con->name);
		evbuffer_add_printf(b, "\">");
		web_html(b, con->name);
		evbuffer_add_printf(b, "</a></td><td>%s</td><td>%s</td>"
		    "<td class=\"num\">%u</td><td>%s</td></tr>\n",
		    console_type_str(con), console_state_str(con),
		    con->nmembers, access > 0 ? "rw" : "ro");
		n++;
	}
	evbuffer_add_printf(b, "</table>\n%s", n == 0 ?
	    "<p>No consoles.</p>\n" : "");
	if (w->auth) {
		/* A user name is [A-Za-z0-9._-] (tn_user_valid). */
		evbuffer_add_printf(b, "<form method=\"post\" "
		    "action=\"/logout\">\n<p>You are <span id=\"user\">");
		web_html(b, w->conn->user);
		evbuffer_add_printf(b, "</span>.%s</p>\n</form>\n", w->cert ?
		    "" : " <button type=\"submit\" id=\"logout\">Log "
		    "out</button>");
	}
	evbuffer_add_printf(b, "</body>\n</html>\n");
	len = evbuffer_get_length(b);
	if ((page = malloc(len)) == NULL) {
		evbuffer_free(b);
		web_refuse(w, 503, "out of memory");
		return;
	}
	evbuffer_remove(b, page, len);
	evbuffer_free(b);
	web_answer(w, "text/html; charset=utf-8", page, len, page, "no-store");
}

/* The WebSocket. */

/* Attach to con as it asked, within what it may. */
static void
web_join(struct web *w, struct console *con, const struct web_want *want,
    int access)
{
	w->m.may_write = access > 0;	/* nor later, by asking or forcing */
	w->m.ro = want->ro || access == 0;
	w->m.quiet = want->quiet;
	console_attach(con, &w->m, !(w->noreplay || want->noreplay));
	if (want->force && !w->m.ro) {
		console_take_write(con, &w->m);
	}
	/* Where the replay (possibly empty) ends: replay-end. */
	w->replay_owed = 1;
	w->replay_end = con->ring.head;
}

/* GET /ws/NAME: the handshake, then a client of console NAME. */
static void
web_upgrade(struct web *w, const char *name)
{
	struct wsopen_opts		 opts = { .protocol = "ttyhub" };
	struct http_req			*req = w->req;
	struct console			*con;
	struct web_want			 want;
	struct httpres			 r;
	const char			*why;
	int				 status;

	opts.tls = w->tls;
	if (w->auth && !w->logged) {
		web_refuse(w, 403, "not logged in");
		return;
	}
	if ((con = web_console(w, name)) == NULL) {
		web_refuse(w, 404, "no such console");
		return;
	}
	if ((status = wsopen_check(req, &opts, &why)) != 101) {
		web_refuse(w, status, why);
		return;
	}
	if (wsopen_reply(&r, req, &opts) == -1 ||
	    (w->ws = malloc(sizeof *w->ws)) == NULL) {
		web_refuse(w, 503, "out of memory");
		return;
	}
	conn_queue(w->conn, r.buf, r.len);
	web_mode(req->query, &want);
	ws_init(w->ws, &web_ws_ops, w, WS_BINARY_MAX);
	w->phase = WEB_WS;
	/* A session's WebSocket ends with it (web_on_timer). */
	conn_timer(w->conn, w->sid != 0 ? (w->sid_left > UINT_MAX / 1000 ?
	    UINT_MAX : w->sid_left * 1000) : 0);
	web_join(w, con, &want, web_access(w, con));
}

/* One whole request. */
static void
web_request(struct web *w)
{
	const struct http_req		*req = w->req;
	const struct web_asset		*a;
	const char			*path = req->path;

	w->keep_alive = http_keep_alive(req);
	if (!web_host_ok(w, req)) {
		web_refuse(w, 403, "a host name we do not answer to (web-host)");
		return;
	}
	web_login_who(w);
	if (web_login_request(w, path)) {
		if (w->ended != 0) {
			web_end_session(w->conn->srv, w->ended);
			w->ended = 0;
		}
		return;
	}
	if (w->auth && !w->logged && (strcmp(path, "/") == 0 ||
	    strncmp(path, "/c/", 3) == 0)) {
		/* Log in first.  The built-in files are no secret. */
		web_redirect(w, "/login", NULL);
		return;
	}
	if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
		web_refuse(w, 405, "not GET or HEAD");
	} else if (strncmp(path, "/ws/", 4) == 0) {
		web_upgrade(w, path + 4);
	} else if (strcmp(path, "/") == 0) {
		web_list(w);
	} else if (strncmp(path, "/c/", 3) == 0) {
		if (web_console(w, path + 3) == NULL) {
			web_refuse(w, 404, "no such console");
			return;
		}
		a = web_asset_console();
		web_answer(w, a->type, a->data, a->len, NULL, "no-store");
	} else if ((a = web_asset_find(path)) != NULL) {
		web_answer(w, a->type, a->data, a->len, NULL, "no-cache");
	} else {
		web_refuse(w, 404, "no such page");
	}
}

/*
 * Bytes from the peer while it speaks HTTP: a request, then what came
 * after it, which is the next request (kept until this one's answer is
 * out) or, after an upgrade, the WebSocket's first frames.
 */
static void
web_input(struct web *w, uint8_t *buf, size_t len)
{
	size_t	taken;

	taken = http_feed(w->req, buf, len);
	switch (http_state(w->req)) {
	case HTTP_MORE:
		return;
	case HTTP_FAIL:
		w->keep_alive = 0;
		web_refuse(w, w->req->status, w->req->why);
		return;
	case HTTP_DONE:
		break;
	}
	web_request(w);
	buf += taken;
	len -= taken;
	if (w->phase == WEB_WS) {
		free(w->req);
		w->req = NULL;
		if (len > 0) {
			ws_recv(w->ws, buf, len);
		}
		return;
	}
	http_init(w->req);
	if (len == 0 || !w->keep_alive) {
		return;
	}
	if ((w->in = malloc(len)) == NULL) {
		w->keep_alive = 0;
		return;
	}
	memcpy(w->in, buf, len);
	w->in_len = len;
}

/* Reading. */

static void
web_on_read(void *arg)
{
	struct web	*w = arg;
	struct console	*con = w->m.con;
	size_t		 room = sizeof web_rbuf, queued;
	ssize_t		 n;

	if (w->phase == WEB_WS && con != NULL && !w->m.ro) {
		/*
		 * A writer reads no more than the backend's queue can take:
		 * its console bytes are at most what was read.
		 */
		queued = evbuffer_get_length(con->to_be);
		room = queued < CONSOLE_IN_MAX ? CONSOLE_IN_MAX - queued : 0;
		if (room == 0) {
			web_events(w);
			return;
		}
		if (room > sizeof web_rbuf) {
			room = sizeof web_rbuf;
		}
	}
	if ((n = conn_read(w->conn, web_rbuf, room)) == -1) {
		web_close(w, NULL);
		return;
	}
	if (n == 0) {
		return;
	}
	if (w->phase == WEB_HTTP) {
		web_input(w, web_rbuf, (size_t)n);
		/* It may have held a password (a login form). */
		explicit_bzero(web_rbuf, (size_t)n);
	} else {
		ws_recv(w->ws, web_rbuf, (size_t)n);
	}
	web_kick(w);
}

/*
 * A request not whole in time, or nothing asked for a while; or the
 * session of a WebSocket has come to the end of its life.
 */
static void
web_on_timer(void *arg)
{
	struct web	*w = arg;

	if (w->phase == WEB_WS) {
		log_info("%s: its web session ended: closed", w->peer);
		web_close(w, "your web session has ended: log in again");
		return;
	}
	log_debug("%s: idle: closed", w->peer);
	web_close(w, NULL);
}

static void
web_conn_write(void *arg)
{
	web_kick(arg);
}

/* TLS is up: a client certificate may have named the user. */
static void
web_conn_secure(void *arg)
{
	struct web	*w = arg;

	if (w->conn->authed) {
		w->cert = 1;
		snprintf(w->peer, sizeof w->peer, "%s (web)", w->conn->peer);
	}
	web_kick(w);
}

static void
web_conn_close(void *arg, const char *why)
{
	web_close(arg, why);
}

/* A logout: the session's WebSockets go too. */
static void
web_end_session(struct server *srv, uint64_t sid)
{
	struct conn	*c;
	struct web	*o;

	TAILQ_FOREACH(c, &srv->conns, entry) {
		if (c->ops != &web_conn_ops || c->closing ||
		    (o = c->arg)->phase != WEB_WS || o->sid != sid) {
			continue;
		}
		log_info("%s: logged out: closed", o->peer);
		web_leave(o);
		web_goodbye(o, "you logged out");
		conn_finish(c);
	}
}

static const struct conn_ops web_conn_ops = {
	.read = web_on_read,
	.write = web_conn_write,
	.secure = web_conn_secure,
	.timer = web_on_timer,
	.close = web_conn_close,
};

/* The control words. */

static void
web_break(struct web *w)
{
	struct console	*con = w->m.con;

	if (w->m.ro) {
		web_notice(w, "read-only: BREAK refused");
		web_tell(w, WEBMSG_ERROR, "readonly BREAK refused");
		return;
	}
	/* console_break has told it why, in a notice. */
	if (console_break(con, &w->m) == -1) {
		web_tell(w, WEBMSG_ERROR, "break BREAK not sent");
	}
}

static void
web_write(struct web *w, int force)
{
	struct console	*con = w->m.con;

	if (console_choose_rw(con, &w->m, force) == 0) {
		return;
	}
	if (errno == EPERM) {
		web_tell(w, WEBMSG_ERROR, "denied %s: you may not write here (a "
		    "read-only listener)", con->name);
	} else {
		web_tell(w, WEBMSG_ERROR, "busy %s: %s is writing", con->name,
		    con->writer->peer);
	}
}

static void
web_who(struct web *w)
{
	struct console			*con = w->m.con;
	const struct console_member	*o;
	unsigned			 n = 0;

	TAILQ_FOREACH(o, &con->members, entry) {
		if (n++ == WEB_WHO_MAX) {
			break;
		}
		web_tell(w, WEBMSG_WHO_LINE, "%s\t%s\t%s",
		    console_role_str(console_role(con, o)),
		    o == &w->m ? "you" : "-", o->peer);
	}
	web_tell(w, WEBMSG_WHO_END, "%u", con->nmembers);
}

static void
web_replay(struct web *w, const struct webmsg *msg)
{
	struct console	*con = w->m.con;
	uint64_t	 want = msg->has_count ? msg->count : con->cfg->replay;

	if (want == 0 && !msg->has_count) {
		web_tell(w, WEBMSG_ERROR, "noreplay %s: replay is off for this "
		    "console", con->name);
		return;
	}
	console_rewind(con, &w->m, want);
	w->replay_owed = 1;
	w->replay_end = con->ring.head;
}

static void
web_control(struct web *w, const uint8_t *buf, size_t len)
{
	struct console	*con = w->m.con;
	struct webmsg	 msg;

	switch (webmsg_parse(buf, len, &msg)) {
	case WEBMSG_PING:
		web_say(w, WEBMSG_PONG, msg.text, msg.len);
		return;
	case WEBMSG_BAD:
		web_tell(w, WEBMSG_ERROR, "badcommand bad arguments to a "
		    "known word");
		return;
	default:
		break;
	}
	if (con == NULL) {
		return;
	}
	switch (msg.type) {
	case WEBMSG_SIZE:
		w->m.cols = msg.cols;
		w->m.rows = msg.rows;
		if (!w->m.ro) {
			console_winsize(con, &w->m, msg.cols, msg.rows);
		}
		break;
	case WEBMSG_BREAK:
		web_break(w);
		break;
	case WEBMSG_RO:
		console_choose_ro(con, &w->m);
		break;
	case WEBMSG_RW:
	case WEBMSG_FORCE:
		web_write(w, msg.type == WEBMSG_FORCE);
		break;
	case WEBMSG_WHO:
		web_who(w);
		break;
	case WEBMSG_REPLAY:
		web_replay(w, &msg);
		break;
	default:
		break;		/* unknown, or a word of ours: ignored */
	}
}

/* What the WebSocket layer hands on. */

static void
web_ws_binary(void *arg, const uint8_t *buf, size_t len)
{
	struct web	*w = arg;
	struct console	*con = w->m.con;

	if (con == NULL || w->conn->closing) {
		return;
	}
	if (!w->m.ro) {
		(void)console_input(con, &w->m, buf, len);
		return;
	}
	if (!w->m.told_ro) {
		w->m.told_ro = 1;
		web_notice(w, "read-only: your input is ignored");
		web_tell(w, WEBMSG_ERROR, "ignored %s: input ignored",
		    con->name);
	}
}

static void
web_ws_text(void *arg, const uint8_t *buf, size_t len)
{
	struct web	*w = arg;

	if (!w->conn->closing) {
		web_control(w, buf, len);
	}
}

static void
web_ws_send(void *arg, const uint8_t *buf, size_t len)
{
	web_frame(arg, buf, len);
}

/* The peer closed, or broke the protocol: our close is queued. */
static void
web_ws_closed(void *arg, unsigned code, const uint8_t *reason, size_t len)
{
	struct web	*w = arg;

	(void)reason;
	(void)len;
	log_debug("%s: closed the WebSocket (%u)", w->peer, code);
	web_leave(w);
	conn_finish(w->conn);
}

static void
web_ws_fail(void *arg, unsigned code, const char *why)
{
	struct web	*w = arg;

	log_info("%s: WebSocket closed (%u): %s", w->peer, code, why);
	web_leave(w);
	conn_finish(w->conn);
}

static const struct ws_ops web_ws_ops = {
	.binary = web_ws_binary,
	.text = web_ws_text,
	.send = web_ws_send,
	.pong = NULL,
	.closed = web_ws_closed,
	.fail = web_ws_fail,
};

/* What the console asks of its member. */

static struct web *
web_of(struct console_member *m)
{
	return (struct web *)(void *)((char *)m - offsetof(struct web, m));
}

static void
web_m_kick(struct console_member *m)
{
	struct web	*w = web_of(m);

	/* Waiting for its socket, it is only checked for falling behind. */
	if (!w->conn->blocked || m->pos < ring_tail(&m->con->ring)) {
		web_kick(w);
	}
}

static void
web_m_notice(struct console_member *m, const char *text)
{
	web_notice(web_of(m), text);
}

/* The console is going: say why, close the WebSocket, then the socket. */
static void
web_m_close(struct console_member *m, const char *why)
{
	struct web	*w = web_of(m);

	web_leave(w);
	web_goodbye(w, why);
	conn_finish(w->conn);
}

static void
web_m_events(struct console_member *m)
{
	web_events(web_of(m));
}

/* No RFC 2217 for browsers: nothing asks for the modem lines. */
static void
web_m_modem(struct console_member *m, uint8_t state)
{
	(void)m;
	(void)state;
}

static const struct console_member_ops web_member_ops = {
	.kick = web_m_kick,
	.notice = web_m_notice,
	.close = web_m_close,
	.events = web_m_events,
	.modem = web_m_modem,
};

/* Making one. */

void
web_accept(struct server *srv, int fd, const struct sockaddr *sa,
    socklen_t salen, const struct cfg_listen *how, uint64_t via)
{
	struct conn	*conn;
	struct web	*w;

	if ((conn = conn_new(srv, fd, sa, salen, 0, how->tls ? srv->tls :
	    NULL, via)) == NULL) {
		return;
	}
	if ((w = calloc(1, sizeof *w)) == NULL ||
	    (w->req = malloc(sizeof *w->req)) == NULL) {
		log_warn("%s: out of memory", conn->peer);
		free(w);
		conn_free(conn);
		return;
	}
	http_init(w->req);
	w->conn = conn;
	w->may_write = !how->ro;
	w->noreplay = how->noreplay;
	w->tls = how->tls;
	w->auth = how->auth;
	snprintf(w->addr, sizeof w->addr, "%s", conn->peer);
	snprintf(w->peer, sizeof w->peer, "%s (web)", conn->peer);
	w->m.ops = &web_member_ops;
	w->m.peer = w->peer;
	w->told_role = -1;
	conn_own(conn, &web_conn_ops, w);
	conn_timer(conn, WEB_IDLE_MS);
	web_events(w);
}
