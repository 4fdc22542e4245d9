/*
 * web: the web console's connections.  A connection from a web =
 * listener reads HTTP/1.1 requests (the list of consoles, a console's
 * terminal page, the built-in files) until its page opens a WebSocket;
 * from then on it is one more client of that console: a struct
 * console_member, as client.c's clients are, whose output goes from the
 * ring to the socket in binary frames and whose control words (webmsg.h)
 * are what ~r, ~w, ~f, ~u, ~l and ~b are to the ttyhub client.  The
 * protocol is src/web/'s, without sockets; this is what the daemon does
 * with it.  The files:
 *
 *	web.c		making, requests and pages, the upgrade, reading,
 *			the control words, closing
 *	web-login.c	on a listener with auth: who a request is from,
 *			the login form, logging in and out
 *	web-session.c	the sessions a login makes, named by a cookie
 *	web-out.c	what goes out: answers, our words, page bodies,
 *			ring frames
 *	web-asset.c	the files served as they are, built in
 *
 * web.c calls the others, web-login.c web-session.c and web-out.c; none
 * calls web.c.  Nothing below this (console, conn, listing, config)
 * knows it exists.
 */
#ifndef TTYHUB_WEB_H
#define TTYHUB_WEB_H

#include <sys/socket.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "console.h"
#include "../web/webmsg.h"

struct auth;
struct cfg_listen;
struct http_req;
struct httpres;
struct server;
struct ws;

#define WEB_FRAME_MAX	(64 * 1024)	/* ring bytes in one binary frame */

#define WEB_TOKEN_BYTES		32	/* a session's random token */
#define WEB_COOKIE_LEN		(2 * WEB_TOKEN_BYTES)	/* in hex */
#define WEB_SESSIONS_MAX	1024
#define WEB_SESSION_IDLE_S	(60 * 60)	/* unused this long: ended */
#define WEB_SESSION_LIFE_S	(12 * 60 * 60)	/* after the login, at most */

enum web_phase {
	WEB_HTTP,		/* reading requests, writing answers */
	WEB_WS,			/* a console's client over a WebSocket */
};

struct web {
	struct conn		*conn;
	enum web_phase		 phase;
	int			 may_write;	/* the listener is not ,ro */
	int			 noreplay;	/* the listener's ,noreplay */
	int			 tls;		/* the listener's ,tls */
	int			 auth;		/* the listener's ,auth */
	/*
	 * Who it is: on a listener with auth, the user a client
	 * certificate named (cert), or the session cookie of this
	 * request names (logged); conn->user then, and conn_access
	 * checks it against each console's rw and ro lists.
	 */
	int			 cert;
	int			 logged;
	uint64_t		 sid;		/* its session's serial, or 0 */
	unsigned		 sid_left;	/* seconds of it left */
	uint64_t		 ended;		/* a logout ended this session */
	struct auth		*check;		/* a login being checked */
	char			 addr[128];	/* conn->peer as it was made */
	char			 peer[160];	/* for people: who-lines, logs */

	/* HTTP: the request being read, and the answer's body. */
	struct http_req		*req;
	uint8_t			*in;		/* read past a request: the next */
	size_t			 in_len;
	const uint8_t		*body;		/* what is left to send of it */
	size_t			 body_len;
	uint8_t			*body_own;	/* a page made for this answer */
	int			 answering;	/* its head or body is going out */
	int			 answered;	/* and then: the next request */
	int			 keep_alive;

	/* WebSocket: the framing, our place at the console. */
	struct ws		*ws;
	struct console_member	 m;
	uint8_t			*pend;		/* the rest of a frame the socket */
	size_t			 pend_len;	/*   did not take, sent first */
	size_t			 pend_off;
	uint64_t		 dropped;	/* bytes skipped, total */
	uint64_t		 unsaid;	/* dropped, not yet in a notice */
	int			 told_role;	/* -1: no state sent yet */
	int			 told_state;
	int			 replay_owed;	/* a replay-end at replay_end */
	uint64_t		 replay_end;
};

/* web.c */

/*
 * A connection from a web listener (how is its options, via its
 * listener_id).  The web connection owns fd from here on.
 */
void		 web_accept(struct server *srv, int fd, const struct sockaddr *sa,
		    socklen_t salen, const struct cfg_listen *how, uint64_t via);

/* web-login.c */

/*
 * On a listener with auth, before a request is answered: is it from a
 * user (w->logged), by a client certificate or by its session cookie?
 */
void		 web_login_who(struct web *w);
/*
 * The login pages: GET /login, POST /login and POST /logout.  Returns
 * 1 when path is one of them (answered, or being checked), else 0.
 */
int		 web_login_request(struct web *w, const char *path);
/* The peer has gone: stop a check. */
void		 web_login_free(struct web *w);

/* web-session.c */

/*
 * A new session for user on listener via: its cookie value (hex, NUL
 * ended) into cookie, len at least WEB_COOKIE_LEN + 1.  -1 when no
 * random bytes could be had.
 */
int		 web_session_new(const char *user, uint64_t via, char *cookie,
		    size_t len);
/*
 * The user of the live session a cookie names on via, or NULL; its
 * serial (never 0) and the seconds left of its life into *serial and
 * *left.
 */
const char	*web_session_user(const char *cookie, size_t len,
		    uint64_t via, uint64_t *serial, unsigned *left);
/* Logging out: the session a cookie names ends.  Its serial, or 0. */
uint64_t	 web_session_drop(const char *cookie, size_t len);

/* web-out.c */

/* What every answer of ours says of itself, pages and errors alike. */
void		 web_fields(struct httpres *r, int keep_alive);
/*
 * Answer 200 with a body: built in, or own (malloc'd: freed once sent).
 * HEAD gets the head alone.
 */
void		 web_answer(struct web *w, const char *type,
		    const uint8_t *body, size_t len, uint8_t *own,
		    const char *cache);
/* Answer status with a body of our own making (own, as web_answer). */
void		 web_answer_page(struct web *w, int status, uint8_t *own,
		    size_t len, const char *cookie);
/* 303 See Other to where, setting a cookie if not NULL. */
void		 web_redirect(struct web *w, const char *where,
		    const char *cookie);
/* An error status, with its short text. */
void		 web_refuse(struct web *w, int status, const char *why);

/*
 * A text message of ours: a webmsg word and len bytes of text (made
 * printable), queued whole among the connection's words and sent from
 * the write event, as a notice is, never from inside another callback.
 * web_tell formats the text.
 */
void		 web_say(struct web *w, enum webmsg_type type,
		    const char *text, size_t len);
void		 web_tell(struct web *w, enum webmsg_type type,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A notice: "notice TEXT". */
void		 web_notice(struct web *w, const char *text);
/* ws_ops.send: a frame the WebSocket layer made (pong, close). */
void		 web_frame(struct web *w, const uint8_t *buf, size_t len);

/*
 * Write what is owed, as far as the socket takes it: the rest of a
 * frame, our words, then the answer's body (HTTP) or the ring from the
 * member's position (WebSocket).  Returns 0, or -1 when w must close
 * (why is then what to tell it, or NULL).
 */
int		 web_out(struct web *w, const char **why);
/*
 * Closing: one try to send the rest of a frame and our words, whatever
 * the socket takes now.
 */
void		 web_last_words(struct web *w);
/* Decide read interest (a writer waits while the backend is full). */
void		 web_events(struct web *w);

/* web-asset.c */

struct web_asset {
	const char	*path;		/* "/static/xterm.js" */
	const char	*type;		/* its Content-Type */
	const uint8_t	*data;
	size_t		 len;
};

/* The built-in file at path, or NULL. */
const struct web_asset *web_asset_find(const char *path);
/* The terminal page, served at /c/NAME for every console. */
const struct web_asset *web_asset_console(void);

#endif
