/*
 * web-out: what a web connection is sent.  See web.h.
 *
 * Answers' heads are built here and queued among our words.
 *
 * Order on the wire: the rest of a binary frame the socket took only
 * part of, our own words (whole frames, or an answer's head), then an
 * answer's body or console output from the member's ring position.  A
 * frame is never cut by one of ours: when the socket takes part of a
 * ring frame, what it left is copied aside (at most a frame) and goes
 * out before anything else, and the member's position moves past the
 * frame at once.  The ring can then move on under a slow browser
 * without a frame ever pointing at bytes that are gone.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conn.h"
#include "console.h"
#include "log.h"
#include "web.h"
#include "../web/http.h"
#include "../web/httpres.h"
#include "../web/webmsg.h"
#include "../web/ws.h"

/*
 * What the pages may do: their own files and their own WebSocket,
 * nothing from elsewhere, in no one else's frame.  xterm.js writes style
 * elements of its own, hence the inline styles.
 */
#define WEB_CSP	"default-src 'self'; style-src 'self' 'unsafe-inline'; " \
		"img-src 'self' data:; connect-src 'self'; " \
		"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

/* Refusals anyone can make us log again and again. */
static struct log_rate	web_lr_refused;

/* Answers. */

void
web_fields(struct httpres *r, int keep_alive)
{
	httpres_date(r, time(NULL));
	httpres_field(r, "X-Content-Type-Options", "nosniff");
	/*
	 * Not no-referrer: with it a browser's form POST says "Origin:
	 * null", and the login's Origin check could not tell our own form.
	 */
	httpres_field(r, "Referrer-Policy", "same-origin");
	httpres_field(r, "X-Frame-Options", "DENY");
	httpres_field(r, "Content-Security-Policy", WEB_CSP);
	if (!keep_alive) {
		httpres_field(r, "Connection", "close");
	}
}

/* Queue a head that is whole; the body, if any, follows it. */
static void
web_head(struct web *w, struct httpres *r, const uint8_t *body, size_t len,
    uint8_t *own)
{
	if (httpres_end(r) == -1) {
		log_warn("%s: an answer did not fit", w->peer);
		free(own);
		conn_finish(w->conn);
		return;
	}
	conn_queue(w->conn, r->buf, r->len);
	if (w->req->method != HTTP_HEAD) {
		w->body = body;
		w->body_len = len;
	}
	w->body_own = own;
	w->answering = w->answered = 1;
}

void
web_answer(struct web *w, const char *type, const uint8_t *body, size_t len,
    uint8_t *own, const char *cache)
{
	struct httpres	r;

	httpres_start(&r, 200);
	httpres_field(&r, "Content-Type", type);
	httpres_field_num(&r, "Content-Length", len);
	httpres_field(&r, "Cache-Control", cache);
	web_fields(&r, w->keep_alive);
	web_head(w, &r, body, len, own);
}

void
web_answer_page(struct web *w, int status, uint8_t *own, size_t len,
    const char *cookie)
{
	struct httpres	r;

	httpres_start(&r, status);
	httpres_field(&r, "Content-Type", "text/html; charset=utf-8");
	httpres_field_num(&r, "Content-Length", len);
	httpres_field(&r, "Cache-Control", "no-store");
	if (cookie != NULL) {
		httpres_field(&r, "Set-Cookie", cookie);
	}
	web_fields(&r, w->keep_alive);
	web_head(w, &r, own, len, own);
}

void
web_redirect(struct web *w, const char *where, const char *cookie)
{
	struct httpres	r;

	httpres_start(&r, 303);
	httpres_field(&r, "Location", where);
	httpres_field_num(&r, "Content-Length", 0);
	httpres_field(&r, "Cache-Control", "no-store");
	if (cookie != NULL) {
		httpres_field(&r, "Set-Cookie", cookie);
	}
	web_fields(&r, w->keep_alive);
	web_head(w, &r, NULL, 0, NULL);
}

void
web_refuse(struct web *w, int status, const char *why)
{
	struct httpres	r;

	if (status == 403) {
		log_rate_info(&web_lr_refused, "%s: refused: %s", w->peer, why);
	} else {
		log_debug("%s: %d: %s", w->peer, status, why);
	}
	if (status >= 500 || status == 400 || status == 413 || status == 414 ||
	    status == 431) {
		w->keep_alive = 0;	/* the request was not read whole */
	}
	if (httpres_error(&r, status, w->keep_alive) == -1) {
		conn_finish(w->conn);
		return;
	}
	conn_queue(w->conn, r.buf, r.len);
	w->answering = w->answered = 1;
}

/* Writing. */

/*
 * Where the web console writes its socket itself: ring bytes behind a
 * frame header, the rest of a frame, and answers' bodies (our words go
 * through conn_flush).  Through the connection, in the clear or TLS.
 * Returns what was written, 0 when the socket is full (c->blocked is
 * then set), or -1 when the peer has gone.
 */
static ssize_t
web_writev(struct web *w, const struct iovec *iov, int cnt)
{
	ssize_t	n;

	do {
		n = conn_writev(w->conn, iov, cnt);
	} while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		w->conn->blocked = 1;
		return 0;
	}
	return n;
}

void
web_frame(struct web *w, const uint8_t *buf, size_t len)
{
	struct conn	*conn = w->conn;

	conn_queue(conn, buf, len);
	/* From the write event, like a notice. */
	conn->blocked = 1;
	web_events(w);
}

void
web_say(struct web *w, enum webmsg_type type, const char *text, size_t len)
{
	char	msg[WEBMSG_MAX];
	size_t	n;

	if (w->ws == NULL || w->conn->closing) {
		return;
	}
	if ((n = webmsg_format(msg, sizeof msg, type, text, len)) > 0) {
		(void)ws_send(w->ws, WS_OP_TEXT, (const uint8_t *)msg, n);
	}
}

void
web_tell(struct web *w, enum webmsg_type type, const char *fmt, ...)
{
	char	text[WEBMSG_TEXT_MAX + 1];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (n >= 0) {
		web_say(w, type, text, strlen(text));
	}
}

void
web_notice(struct web *w, const char *text)
{
	web_say(w, WEBMSG_NOTICE, text, strlen(text));
}

void
web_events(struct web *w)
{
	struct console	*con = w->m.con;
	int		 rd;

	if (w->phase == WEB_HTTP) {
		/* One request at a time: the next waits for this answer. */
		rd = !w->answering && w->in_len == 0;
	} else {
		/* A writer waits while the backend's queue is full. */
		rd = con == NULL || w->m.ro || console_input_room(con);
	}
	conn_events(w->conn, rd);
}

/* The rest of a frame first.  Returns 0 when it is out, 1, or -1. */
static int
web_pend(struct web *w)
{
	struct iovec	iov;
	ssize_t		n;

	if (w->pend_len == 0) {
		return 0;
	}
	if (w->conn->blocked) {
		return 1;
	}
	iov.iov_base = w->pend + w->pend_off;
	iov.iov_len = w->pend_len - w->pend_off;
	if ((n = web_writev(w, &iov, 1)) == -1) {
		return -1;
	}
	w->pend_off += (size_t)n;
	if (w->pend_off < w->pend_len) {
		w->conn->blocked = 1;
		return 1;
	}
	free(w->pend);
	w->pend = NULL;
	w->pend_len = w->pend_off = 0;
	return 0;
}

/* Keep what the socket did not take of iov (it took done bytes). */
static int
web_stash(struct web *w, const struct iovec *iov, int cnt, size_t done)
{
	size_t	left = 0, n;
	int	i;

	for (i = 0; i < cnt; i++) {
		left += iov[i].iov_len;
	}
	left -= done;
	if ((w->pend = malloc(left)) == NULL) {
		return -1;
	}
	w->pend_len = left;
	w->pend_off = 0;
	for (i = 0, left = 0; i < cnt; i++) {
		if (done >= iov[i].iov_len) {
			done -= iov[i].iov_len;
			continue;
		}
		n = iov[i].iov_len - done;
		memcpy(w->pend + left, (const uint8_t *)iov[i].iov_base + done,
		    n);
		left += n;
		done = 0;
	}
	w->conn->blocked = 1;
	return 0;
}

/* Cut the ring's iovecs to at most max bytes. */
static void
web_clip(struct iovec *iov, int *cnt, uint64_t max)
{
	if (iov[0].iov_len >= max) {
		iov[0].iov_len = (size_t)max;
		*cnt = 1;
	} else if (*cnt == 2 && iov[0].iov_len + iov[1].iov_len > max) {
		iov[1].iov_len = (size_t)(max - iov[0].iov_len);
	}
}

/*
 * Console output from the member's position, a binary frame at a time,
 * each header and its ring bytes in one writev.  Returns -1 on a dead
 * socket, 1 when it stopped for a message of ours that goes first.
 */
static int
web_write_ring(struct web *w)
{
	struct console	*con = w->m.con;
	struct iovec	 iov[3];
	uint8_t		 hdr[WS_HEADER_MAX];
	uint64_t	 max;
	size_t		 len;
	ssize_t		 n;
	int		 cnt;

	while (!w->conn->blocked) {
		if (w->replay_owed && w->m.pos >= w->replay_end) {
			/* The replay ends here: the marker goes next. */
			w->replay_owed = 0;
			web_say(w, WEBMSG_REPLAY_END, NULL, 0);
			return 1;
		}
		if ((cnt = ring_peek(&con->ring, w->m.pos, iov + 1)) == 0) {
			break;
		}
		max = WEB_FRAME_MAX;
		if (w->replay_owed && w->replay_end - w->m.pos < max) {
			max = w->replay_end - w->m.pos;
		}
		web_clip(iov + 1, &cnt, max);
		len = iov[1].iov_len + (cnt == 2 ? iov[2].iov_len : 0);
		iov[0].iov_base = hdr;
		iov[0].iov_len = ws_header(hdr, WS_OP_BINARY, 1, len);
		if ((n = web_writev(w, iov, cnt + 1)) == -1) {
			return -1;
		}
		if (n == 0) {
			break;		/* full: nothing of the frame went */
		}
		if ((size_t)n < iov[0].iov_len + len &&
		    web_stash(w, iov, cnt + 1, (size_t)n) == -1) {
			log_warn("%s: out of memory", w->peer);
			return -1;
		}
		w->m.pos += len;
	}
	return 0;
}

/* An answer's body, from where it is (built in, or made for it). */
static int
web_write_body(struct web *w)
{
	struct iovec	iov;
	ssize_t		n;

	while (w->body_len > 0 && !w->conn->blocked) {
		iov.iov_base = (void *)(uintptr_t)w->body;
		iov.iov_len = w->body_len;
		if ((n = web_writev(w, &iov, 1)) == -1) {
			return -1;
		}
		w->body += n;
		w->body_len -= (size_t)n;
	}
	if (w->body_len == 0 && w->answering) {
		w->answering = 0;
		free(w->body_own);
		w->body_own = NULL;
		w->body = NULL;
	}
	return 0;
}

/* Tell it what it lost since the last drop notice, if anything. */
static void
web_say_drops(struct web *w)
{
	if (w->unsaid == 0 || w->m.con == NULL) {
		return;
	}
	web_tell(w, WEBMSG_NOTICE, "%llu bytes dropped",
	    (unsigned long long)w->unsaid);
	console_log_event(w->m.con, "%s: %llu bytes dropped (slow client)",
	    w->peer, (unsigned long long)w->unsaid);
	w->unsaid = 0;
}

/*
 * Has it fallen out of its console's ring?  Skip it ahead to live
 * output, as client-out.c does a Telnet client.  -1: close it instead
 * (slow = disconnect).
 */
static int
web_clamp(struct web *w)
{
	struct console	*con = w->m.con;
	uint64_t	 lost;

	if (con == NULL || (lost = ring_clamp(&con->ring, &w->m.pos)) == 0) {
		return 0;
	}
	if (con->cfg->slow_disconnect) {
		log_info("console %s: %s: %llu bytes behind: disconnected "
		    "(slow = disconnect)", con->name, w->peer,
		    (unsigned long long)lost);
		return -1;
	}
	if (con->live > w->m.pos) {
		lost += con->live - w->m.pos;
		w->m.pos = con->live;
	}
	w->dropped += lost;
	w->unsaid += lost;
	return 0;
}

/* "state NAME ROLE BACKEND" on attach and whenever either changed. */
static void
web_state(struct web *w)
{
	struct console	*con = w->m.con;
	int		 role;

	if (con == NULL) {
		return;
	}
	role = console_role(con, &w->m);
	if (role == w->told_role && (int)con->state == w->told_state) {
		return;
	}
	w->told_role = role;
	w->told_state = (int)con->state;
	web_tell(w, WEBMSG_STATE, "%s %s %s", con->name,
	    console_role_str(role), console_state_str(con));
}

int
web_out(struct web *w, const char **why)
{
	struct conn	*conn = w->conn;
	int		 r;

	*why = NULL;
	if (conn->failed != NULL) {
		log_info("%s: closed: %s", w->peer, conn->failed);
		return -1;
	}
	if (w->phase == WEB_WS && !conn->closing) {
		if (web_clamp(w) == -1) {
			*why = "you fell too far behind: disconnected";
			return -1;
		}
		/* One drop notice at a time, as for a Telnet client. */
		if (w->pend_len == 0 && conn_queued(conn) == 0) {
			web_say_drops(w);
		}
		web_state(w);
	}
	for (;;) {
		if ((r = web_pend(w)) == 0) {
			r = conn_flush(conn);
		}
		if (r == -1) {
			return -1;
		}
		if (r == 1) {
			break;
		}
		if (w->unsaid > 0 && !conn->closing) {
			web_say_drops(w);
			continue;
		}
		if (conn->closing) {
			break;
		}
		if (w->phase == WEB_HTTP) {
			r = web_write_body(w);
		} else if (w->m.con != NULL) {
			r = web_write_ring(w);
		} else {
			r = 0;
		}
		if (r == -1) {
			return -1;
		}
		if (r == 0) {
			break;
		}
	}
	web_events(w);
	return 0;
}

void
web_last_words(struct web *w)
{
	w->conn->blocked = 0;
	if (web_pend(w) == 0) {
		(void)conn_flush(w->conn);
	}
}
