/*
 * web-login: logging in to the web console, on a listener with auth.
 * See web.h.
 *
 * A browser logs in once, with the form at /login: its POST goes to
 * auth.c, as a Telnet login prompt's answer does (PAM in a child, the
 * same slow-down per address, one answer for every failure), and a
 * login that passes gets a session (web-session.c) in a cookie that
 * script cannot read (HttpOnly), that goes only over TLS (Secure) and
 * that no other site's page can make the browser send (SameSite=
 * Strict); the POSTs here also check Origin.  A client certificate
 * that named a user needs no form.  Every later request says who it
 * is by its cookie alone, so a WebSocket is a user's as its page is.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "conn.h"
#include "log.h"
#include "server.h"
#include "web.h"
#include "../web/http.h"
#include "../telnet/tn.h"

#define WEB_LOGIN_PAGE_MAX	2048

/* "__Host-": a cookie only this origin, over TLS, at path /, can set. */
static const char *
web_cookie_name(const struct web *w)
{
	return w->tls ? "__Host-ttyhub" : "ttyhub";
}

/* The peer is user, as how says: its ids and groups from the system. */
static int
web_login_identify(struct web *w, const char *user, const char *how)
{
	struct conn	*c = w->conn;

	snprintf(c->peer, sizeof c->peer, "%s", w->addr);
	if (conn_identify(c, user, how) == -1) {
		log_warn("%s: %s names %s, but the system has no such user",
		    w->peer, how, user);
		return -1;
	}
	snprintf(w->peer, sizeof w->peer, "%s (web)", c->peer);
	return 0;
}

void
web_login_who(struct web *w)
{
	const char	*tok, *user;
	size_t		 len;

	w->logged = 0;
	w->sid = 0;
	if (!w->auth) {
		return;
	}
	if (w->cert) {
		w->logged = 1;
		return;
	}
	if ((tok = http_cookie(w->req, web_cookie_name(w), &len)) == NULL ||
	    (user = web_session_user(tok, len, w->conn->via, &w->sid,
	    &w->sid_left)) == NULL) {
		w->sid = 0;
		return;
	}
	if ((!w->conn->authed || strcmp(w->conn->user, user) != 0) &&
	    web_login_identify(w, user, "session") == -1) {
		w->sid = 0;
		return;
	}
	w->logged = 1;
}

/* The form, with "Login incorrect" above it after a failure. */
static void
web_login_page(struct web *w, int status, int failed)
{
	uint8_t	*page;
	int	 n;

	if ((page = malloc(WEB_LOGIN_PAGE_MAX)) == NULL) {
		web_refuse(w, 503, "out of memory");
		return;
	}
	n = snprintf((char *)page, WEB_LOGIN_PAGE_MAX, "<!doctype html>\n"
	    "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>ttyhub: log in</title>\n"
	    "<link rel=\"icon\" href=\"data:,\">\n"
	    "<link rel=\"stylesheet\" href=\"/static/ttyhub.css\">\n"
	    "</head>\n<body class=\"list login\">\n<h1>ttyhub</h1>\n%s"
	    "<form method=\"post\" action=\"/login\">\n"
	    "<p><label>User <input name=\"user\" id=\"user\" "
	    "autocomplete=\"username\" autocapitalize=\"none\" required "
	    "autofocus></label></p>\n"
	    "<p><label>Password <input name=\"password\" id=\"password\" "
	    "type=\"password\" autocomplete=\"current-password\" "
	    "required></label></p>\n"
	    "<p><button type=\"submit\" id=\"login\">Log in</button></p>\n"
	    "</form>\n</body>\n</html>\n", failed ?
	    "<p class=\"error\" id=\"error\">Login incorrect</p>\n" : "");
	if (n < 0 || n >= WEB_LOGIN_PAGE_MAX) {
		free(page);
		web_refuse(w, 500, "the login page did not fit");
		return;
	}
	web_answer_page(w, status, page, (size_t)n, NULL);
}

/* auth.c's answer, from the loop. */
static void
web_login_checked(void *arg, int ok, const char *user)
{
	struct web	*w = arg;
	char		 tok[WEB_COOKIE_LEN + 1], cookie[256];

	w->check = NULL;
	w->answering = 0;
	if (ok && web_login_identify(w, user, "password") == 0 &&
	    web_session_new(user, w->conn->via, tok, sizeof tok) == 0) {
		snprintf(cookie, sizeof cookie, "%s=%s; Path=/; Max-Age=%d; "
		    "HttpOnly%s; SameSite=Strict", web_cookie_name(w), tok,
		    WEB_SESSION_LIFE_S, w->tls ? "; Secure" : "");
		w->logged = 1;
		web_redirect(w, "/", cookie);
		explicit_bzero(tok, sizeof tok);
		explicit_bzero(cookie, sizeof cookie);
	} else {
		web_login_page(w, 403, 1);
	}
	conn_later(w->conn);
}

/* POST /login: user and password from the form, to auth.c. */
static void
web_login_post(struct web *w)
{
	struct http_req	*req = w->req;
	char		 user[TN_USER_MAX + 1];
	char		 password[AUTH_PASSWORD_MAX + 1];
	size_t		 len = req->body != NULL ? req->body_len : 0;

	if (!http_origin_ok(req, w->tls, NULL)) {
		explicit_bzero(req->buf, sizeof req->buf);
		web_refuse(w, 403, "a login from another site (Origin)");
		return;
	}
	/* A field missing or too long fails as a wrong password does. */
	if (http_form(req->body, len, "user", user, sizeof user) < 0) {
		user[0] = '\0';
	}
	if (http_form(req->body, len, "password", password,
	    sizeof password) < 0) {
		password[0] = '\0';
	}
	explicit_bzero(req->buf, sizeof req->buf);
	/* Nothing is read or answered until auth.c answers. */
	w->answering = 1;
	w->answered = 0;
	w->check = auth_start(w->conn->srv, user, password, w->conn->addr,
	    w->peer, web_login_checked, w);
	explicit_bzero(password, sizeof password);
	if (w->check == NULL) {
		w->answering = 0;
		web_refuse(w, 503, "out of memory");
	}
}

/* POST /logout: the session ends, and the browser forgets its cookie. */
static void
web_logout(struct web *w)
{
	char		 cookie[128];
	const char	*tok;
	size_t		 len;

	if (!http_origin_ok(w->req, w->tls, NULL)) {
		web_refuse(w, 403, "a logout from another site (Origin)");
		return;
	}
	if ((tok = http_cookie(w->req, web_cookie_name(w), &len)) != NULL) {
		w->ended = web_session_drop(tok, len);
	}
	if (w->logged && !w->cert) {
		log_info("%s: logged out", w->peer);
	}
	w->logged = w->cert;
	snprintf(cookie, sizeof cookie, "%s=; Path=/; Max-Age=0; HttpOnly%s; "
	    "SameSite=Strict", web_cookie_name(w), w->tls ? "; Secure" : "");
	web_redirect(w, w->cert ? "/" : "/login", cookie);
}

int
web_login_request(struct web *w, const char *path)
{
	enum http_method	m = w->req->method;

	if (!w->auth) {
		return 0;
	}
	if (strcmp(path, "/login") == 0) {
		if (m == HTTP_POST) {
			web_login_post(w);
		} else if (m != HTTP_GET && m != HTTP_HEAD) {
			web_refuse(w, 405, "not GET, HEAD or POST");
		} else if (w->logged) {
			web_redirect(w, "/", NULL);
		} else {
			web_login_page(w, 200, 0);
		}
		return 1;
	}
	if (strcmp(path, "/logout") == 0) {
		if (m == HTTP_POST) {
			web_logout(w);
		} else {
			web_refuse(w, 405, "not POST");
		}
		return 1;
	}
	return 0;
}

void
web_login_free(struct web *w)
{
	auth_cancel(w->check);
	w->check = NULL;
}
