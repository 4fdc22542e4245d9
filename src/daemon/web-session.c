/*
 * web-session: who a browser is, after it logged in on a web listener
 * with auth.  See web.h.
 *
 * A session is a random token (WEB_TOKEN_BYTES from getrandom, sent as
 * hex in a cookie) and the user it names.  The table has a fixed size,
 * so no number of logins grows the daemon: when it is full, the session
 * used least recently goes.  A session ends when it is not used for
 * WEB_SESSION_IDLE_S, WEB_SESSION_LIFE_S after the login whatever its
 * use, or at a logout; the clock is the monotonic one, so setting the
 * time of day neither ends nor lengthens any.  A token is compared in
 * time that does not depend on where it differs, and only on the
 * listener it was made on (a listener's options are part of what the
 * login allowed).
 */
#include <sys/random.h>
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "web.h"

struct web_session {
	int		 live;
	uint8_t		 token[WEB_TOKEN_BYTES];
	char		 user[TLS_USER_MAX + 1];
	uint64_t	 via;		/* the listener's listener_id */
	uint64_t	 serial;	/* for its WebSockets: never 0 */
	time_t		 made;		/* monotonic seconds */
	time_t		 used;
};

static struct web_session	web_sessions[WEB_SESSIONS_MAX];
static uint64_t			web_serial;

static time_t
web_session_now(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
web_session_end(struct web_session *s)
{
	explicit_bzero(s, sizeof *s);
}

static int
web_session_expired(const struct web_session *s, time_t now)
{
	return now - s->used >= WEB_SESSION_IDLE_S ||
	    now - s->made >= WEB_SESSION_LIFE_S;
}

/* The cookie's hex into a token: -1 unless it is exactly one. */
static int
web_session_token(const char *hex, size_t len, uint8_t *tok)
{
	size_t	i;
	int	hi, lo;

	if (len != WEB_COOKIE_LEN) {
		return -1;
	}
	for (i = 0; i < WEB_TOKEN_BYTES; i++) {
		hi = hex[2 * i];
		lo = hex[2 * i + 1];
		hi = hi >= '0' && hi <= '9' ? hi - '0' :
		    hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 : -1;
		lo = lo >= '0' && lo <= '9' ? lo - '0' :
		    lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 : -1;
		if (hi < 0 || lo < 0) {
			return -1;
		}
		tok[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Equal, in a time that does not say where they differ. */
static int
web_session_same(const uint8_t *a, const uint8_t *b)
{
	uint8_t	d = 0;
	size_t	i;

	for (i = 0; i < WEB_TOKEN_BYTES; i++) {
		d |= a[i] ^ b[i];
	}
	return d == 0;
}

/* The live session tok names, or NULL. */
static struct web_session *
web_session_lookup(const char *hex, size_t len)
{
	struct web_session	*s, *found = NULL;
	uint8_t			 tok[WEB_TOKEN_BYTES];
	size_t			 i;

	if (hex == NULL || web_session_token(hex, len, tok) == -1) {
		return NULL;
	}
	for (i = 0; i < WEB_SESSIONS_MAX; i++) {
		s = &web_sessions[i];
		if (s->live && web_session_same(s->token, tok)) {
			found = s;
		}
	}
	explicit_bzero(tok, sizeof tok);
	return found;
}

int
web_session_new(const char *user, uint64_t via, char *cookie, size_t len)
{
	struct web_session	*s = NULL, *old = NULL;
	time_t			 now = web_session_now();
	size_t			 i, got;
	ssize_t			 n;

	if (len < WEB_COOKIE_LEN + 1 || strlen(user) > TLS_USER_MAX) {
		return -1;
	}
	for (i = 0; i < WEB_SESSIONS_MAX; i++) {
		if (web_sessions[i].live &&
		    web_session_expired(&web_sessions[i], now)) {
			web_session_end(&web_sessions[i]);
		}
		if (!web_sessions[i].live) {
			s = s != NULL ? s : &web_sessions[i];
		} else if (old == NULL || web_sessions[i].used < old->used) {
			old = &web_sessions[i];
		}
	}
	if (s == NULL) {
		log_info("web: %d sessions: %s's, used least recently, ended",
		    WEB_SESSIONS_MAX, old->user);
		web_session_end(old);
		s = old;
	}
	for (got = 0; got < sizeof s->token; got += (size_t)n) {
		n = getrandom(s->token + got, sizeof s->token - got, 0);
		if (n == -1 && errno != EINTR) {
			log_warn("web: getrandom: %s", strerror(errno));
			web_session_end(s);
			return -1;
		}
		n = n == -1 ? 0 : n;
	}
	snprintf(s->user, sizeof s->user, "%s", user);
	s->via = via;
	s->made = s->used = now;
	s->serial = ++web_serial;
	s->live = 1;
	for (i = 0; i < WEB_TOKEN_BYTES; i++) {
		snprintf(cookie + 2 * i, 3, "%02x", s->token[i]);
	}
	return 0;
}

const char *
web_session_user(const char *hex, size_t len, uint64_t via, uint64_t *serial,
    unsigned *left)
{
	struct web_session	*s;
	time_t			 now = web_session_now();

	if ((s = web_session_lookup(hex, len)) == NULL || s->via != via) {
		return NULL;
	}
	if (web_session_expired(s, now)) {
		web_session_end(s);
		return NULL;
	}
	s->used = now;
	*serial = s->serial;
	*left = (unsigned)(WEB_SESSION_LIFE_S - (now - s->made));
	return s->user;
}

uint64_t
web_session_drop(const char *hex, size_t len)
{
	struct web_session	*s;
	uint64_t		 serial = 0;

	if ((s = web_session_lookup(hex, len)) != NULL) {
		serial = s->serial;
		web_session_end(s);
	}
	return serial;
}
