/*
 * gate: logging in before a connection goes on.  See gate.h.
 *
 *	GATE_WAIT	negotiation not over: typed bytes start the prompt
 *	GATE_USER	"login: ", the name echoed
 *	GATE_PASSWORD	"Password: ", nothing echoed
 *	GATE_ASKED	LOGIN-ASK sent to a TTYHUB-CONTROL peer
 *	GATE_CHECKING	auth.c has it; input is dropped meanwhile
 *	GATE_DONE	answered
 *
 * Every failure is told the same way ("Login incorrect"), after the
 * same hold, whatever failed.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "auth.h"
#include "conn.h"
#include "gate.h"
#include "log.h"
#include "server.h"
#include "../telnet/tn.h"
#include "../telnet/tnline.h"

enum gate_state {
	GATE_WAIT,
	GATE_USER,
	GATE_PASSWORD,
	GATE_ASKED,
	GATE_CHECKING,
	GATE_DONE,
};

struct gate {
	struct conn		*c;
	gate_cb			 done;
	void			*arg;
	enum gate_state		 state;
	unsigned		 fails;
	struct tnline		 line;
	char			 user[TNLINE_MAX + 1];
	struct auth		*auth;
	struct event		*timer;		/* the deadline, then done */
	int			 ok;
};

/* The answer goes from the loop, never from inside the owner's calls. */
static void
gate_finish(struct gate *g, int ok)
{
	struct timeval	now = { 0, 0 };

	g->state = GATE_DONE;
	g->ok = ok;
	evtimer_add(g->timer, &now);
}

static void
gate_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct gate	*g = arg;

	(void)fd;
	(void)what;
	if (g->state == GATE_DONE) {
		g->done(g->arg, g->ok);
		return;
	}
	auth_cancel(g->auth);
	g->auth = NULL;
	conn_error(g->c, "login", "login timed out");
	g->state = GATE_DONE;
	g->done(g->arg, 0);
}

struct gate *
gate_new(struct conn *c, gate_cb done, void *arg)
{
	struct gate	*g;
	struct timeval	 tv = { GATE_LOGIN_MS / 1000, 0 };

	if ((g = calloc(1, sizeof *g)) == NULL ||
	    (g->timer = evtimer_new(c->srv->base, gate_on_timer, g)) == NULL) {
		free(g);
		return NULL;
	}
	g->c = c;
	g->done = done;
	g->arg = arg;
	evtimer_add(g->timer, &tv);
	return g;
}

void
gate_free(struct gate *g)
{
	if (g == NULL) {
		return;
	}
	auth_cancel(g->auth);
	event_free(g->timer);
	tnline_wipe(&g->line);
	free(g);
}


/* Ask for the user name (again). */
static void
gate_ask(struct gate *g)
{
	if (conn_has_ctl(g->c)) {
		g->state = GATE_ASKED;
		conn_ctl_send(g->c, TN_CTL_LOGIN_ASK, "password");
		return;
	}
	g->state = GATE_USER;
	tnline_start(&g->line, 0);
	conn_say(g->c, "login: ");
}

void
gate_begin(struct gate *g)
{
	if (g->state != GATE_WAIT) {
		return;
	}
	if (g->c->authed) {
		gate_finish(g, 1);	/* its certificate said who */
		return;
	}
	if (!g->c->telnet) {
		g->state = GATE_DONE;
		log_info("%s: refused: no client certificate (a raw listener "
		    "with auth)", g->c->peer);
		conn_say(g->c, "ttyhub: a client certificate is required "
		    "here\r\n");
		gate_finish(g, 0);
		return;
	}
	gate_ask(g);
}

static void
gate_checked(void *arg, int ok, const char *user)
{
	struct gate	*g = arg;

	g->auth = NULL;
	if (ok && conn_identify(g->c, user, "password") == 0) {
		gate_finish(g, 1);
		return;
	}
	if (ok) {
		log_warn("%s: PAM took %s, but the system has no such user",
		    g->c->peer, user);
	}
	g->fails++;
	conn_error(g->c, "login", "Login incorrect");
	if (g->fails >= GATE_TRIES) {
		gate_finish(g, 0);
		return;
	}
	gate_ask(g);
	conn_later(g->c);	/* said from the loop: send it */
}

/* Hand user and password (wiped by auth_start) to auth.c. */
static void
gate_check(struct gate *g, const char *user, char *password)
{
	g->state = GATE_CHECKING;
	if ((g->auth = auth_start(g->c->srv, user, password, g->c->addr,
	    g->c->peer, gate_checked, g)) == NULL) {
		log_warn("%s: out of memory", g->c->peer);
		gate_finish(g, 0);
	}
}

void
gate_data(struct gate *g, const uint8_t *buf, size_t len)
{
	uint8_t			echo[TNLINE_ECHO_MAX];
	size_t			used, echolen;
	enum tnline_result	r;

	if (g->state == GATE_WAIT) {
		gate_begin(g);
	}
	while (len > 0 && (g->state == GATE_USER ||
	    g->state == GATE_PASSWORD)) {
		r = tnline_feed(&g->line, buf, len, &used, echo, &echolen);
		conn_queue(g->c, echo, echolen);
		buf += used;
		len -= used;
		if (r == TNLINE_QUIT) {
			gate_finish(g, 0);
			return;
		}
		if (r == TNLINE_MORE) {
			continue;
		}
		if (g->state == GATE_USER) {
			if (tnline_text(&g->line)[0] == '\0') {
				conn_say(g->c, "login: ");
				continue;
			}
			snprintf(g->user, sizeof g->user, "%s",
			    tnline_text(&g->line));
			g->state = GATE_PASSWORD;
			tnline_start(&g->line, 1);
			conn_say(g->c, "Password: ");
			continue;
		}
		gate_check(g, g->user, g->line.buf);
		tnline_wipe(&g->line);
		return;		/* the rest was typed ahead: dropped */
	}
}

void
gate_ctl(struct gate *g, const uint8_t *text, size_t len)
{
	char		 user[TN_USER_MAX + 1], password[AUTH_PASSWORD_MAX + 1];
	const uint8_t	*tab;
	size_t		 ulen;

	if (g->state != GATE_ASKED) {
		return;		/* not asked for, or being checked */
	}
	tab = memchr(text, '\t', len);
	ulen = tab != NULL ? (size_t)(tab - text) : 0;
	if (tab == NULL || ulen > TN_USER_MAX ||
	    len - ulen - 1 > AUTH_PASSWORD_MAX ||
	    memchr(text, '\0', len) != NULL) {
		/* Checked like any other, so it fails like any other. */
		ulen = 0;
		len = 1;
		tab = text;
	}
	memcpy(user, text, ulen);
	user[ulen] = '\0';
	memcpy(password, tab + 1, len - ulen - 1);
	password[len - ulen - 1] = '\0';
	gate_check(g, user, password);
	explicit_bzero(password, sizeof password);
}
