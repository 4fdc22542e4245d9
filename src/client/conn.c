/*
 * conn: one connection to the ttyhubd broker.  See client.h.
 *
 * A unix socket path, HOST:PORT (the broker's Telnet on TCP), or
 * tls://HOST:PORT, the same inside TLS: the server's certificate is
 * verified (against --tls-ca or the system's store) and must name HOST,
 * and ours is sent if we have one.  A server that asks us to log in
 * (LOGIN-ASK) gets the user's password, asked for on the terminal.  What
 * the daemon sends goes through peer.c to the user's callbacks; what we
 * send is queued in `out` and written from the write event, never from
 * inside a callback, so a dead socket is only found, and the connection
 * only closed, at the top of a loop callback.
 *
 * ttyhubd always speaks first (its Telnet opening), so we wait for it
 * before we say anything: a socket that answers with anything but
 * Telnet (a console's raw socket) is refused before a byte of ours can
 * reach a console as input.  Data before the daemon's answer to our
 * TTYHUB-CONTROL is not for us: a broker sends none, and a console's own
 * socket attaches at accept and sends output until it hears the option
 * from us, then starts again once we have named the console.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "clean.h"
#include "client.h"
#include "peer.h"
#include "../daemon/rundir.h"
#include "../daemon/tls.h"
#include "../telnet/tn.h"

#define CONN_READ_MAX		(64 * 1024)
#define CONN_CONNECT_MS		10000	/* TCP connect */
#define CONN_HELLO_MS		10000	/* for the daemon's first byte */
#define CONN_LOGIN_TRIES	3	/* the daemon's own limit */

static uint8_t	conn_rbuf[CONN_READ_MAX];

static void	conn_peer_data(void *, const uint8_t *, size_t);
static void	conn_peer_send(void *, const uint8_t *, size_t);
static void	conn_peer_ctl(void *, int, const char *);
static void	conn_peer_ctl_answer(void *, int);
static void	conn_peer_named(void *);
static void	conn_peer_fail(void *, const char *);

static const struct peer_ops conn_peer_ops = {
	.data = conn_peer_data,
	.send = conn_peer_send,
	.ctl = conn_peer_ctl,
	.ctl_answer = conn_peer_ctl_answer,
	.named = conn_peer_named,
	.fail = conn_peer_fail,
};

void
conn_init(struct conn *c, struct event_base *base, const struct conn_ops *ops,
    void *arg, const struct opts *o, const struct peer_want *want)
{
	memset(c, 0, sizeof *c);
	c->base = base;
	c->ops = ops;
	c->arg = arg;
	c->where = o->socket;
	c->o = o;
	c->want = *want;
	c->fd = -1;
	c->ctl = -1;
}

int
conn_is_open(const struct conn *c)
{
	return c->fd != -1;
}

static int
conn_unix(const char *path, char *err, size_t errlen, int *error)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	while (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		if (errno != EINTR) {
			*error = errno;
			snprintf(err, errlen, "%s", strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* A non-blocking connect, waited for up to ms. */
static int
conn_tcp_one(const struct addrinfo *ai, int *error, int ms)
{
	struct pollfd	pfd;
	socklen_t	len = sizeof *error;
	int		fd, one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd == -1) {
		*error = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS) {
			*error = errno;
			close(fd);
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, ms) != 1) {
			*error = ETIMEDOUT;
			close(fd);
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, error, &len) == -1 ||
		    *error != 0) {
			close(fd);
			return -1;
		}
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	return fd;
}

/* "HOST:PORT" or "[V6]:PORT"; host gets HOST. */
static int
conn_tcp(const char *where, char *host, size_t hostlen, char *err,
    size_t errlen, int *error, int ms)
{
	struct addrinfo	 hints, *res, *ai;
	const char	*port, *end;
	size_t		 hlen;
	int		 fd = -1, r;

	if (where[0] == '[' && (end = strchr(where, ']')) != NULL &&
	    end[1] == ':') {
		hlen = (size_t)(end - where - 1);
		where++;
		port = end + 2;
	} else if ((end = strrchr(where, ':')) != NULL) {
		hlen = (size_t)(end - where);
		port = end + 1;
	} else {
		hlen = 0;
		port = "";
	}
	if (hlen == 0 || hlen >= hostlen || *port == '\0') {
		snprintf(err, errlen, "%s: not HOST:PORT", where);
		return -1;
	}
	memcpy(host, where, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s", gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		fd = conn_tcp_one(ai, error, ms);
	}
	freeaddrinfo(res);
	if (fd == -1) {
		snprintf(err, errlen, "%s", strerror(*error));
	}
	return fd;
}

static void
conn_set_write(struct conn *c, int on)
{
	if (on && !c->wr_on) {
		event_add(c->wr, NULL);
		c->wr_on = 1;
	} else if (!on && c->wr_on) {
		event_del(c->wr);
		c->wr_on = 0;
	}
}

/* The connection is over: close it and tell the user (last). */
static void
conn_gone(struct conn *c, const char *why)
{
	char	reason[256];

	reason[0] = '\0';
	if (why != NULL) {
		snprintf(reason, sizeof reason, "%s", why);
	}
	conn_close(c);
	c->ops->closed(c->arg, why != NULL ? reason : NULL);
}

/* Write some of what is queued, in the clear or through TLS. */
static int
conn_write_some(struct conn *c)
{
	struct evbuffer_iovec	v;
	ssize_t			n;

	if (c->tls == NULL) {
		return evbuffer_write(c->out, c->fd);
	}
	if (evbuffer_peek(c->out, -1, NULL, &v, 1) < 1) {
		return tls_push(c->tls);
	}
	if ((n = tls_write(c->tls, v.iov_base, v.iov_len)) > 0) {
		evbuffer_drain(c->out, (size_t)n);
		if (tls_unsent(c->tls)) {
			errno = EAGAIN;
			return -1;
		}
	}
	return (int)n;
}

static void	conn_on_read(evutil_socket_t, short, void *);

static void
conn_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	size_t		 before = evbuffer_get_length(c->out);
	int		 n;

	(void)what;
	if (c->tls != NULL && tls_want(c->tls) == TLS_WANT_WRITE &&
	    !tls_unsent(c->tls) && evbuffer_get_length(c->out) == 0) {
		conn_on_read(fd, EV_READ, c);	/* a read waited for this */
		return;
	}
	if (c->tls != NULL && tls_unsent(c->tls) && tls_push(c->tls) == -1) {
		if (errno != EAGAIN) {
			conn_gone(c, "connection lost");
		}
		return;
	}
	while (evbuffer_get_length(c->out) > 0) {
		n = conn_write_some(c);
		if (n == -1 && errno == EINTR) {
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		}
		if (n <= 0) {
			conn_gone(c, n == 0 ? "connection closed" :
			    strerror(errno));
			return;
		}
	}
	if (evbuffer_get_length(c->out) == 0) {
		conn_set_write(c, 0);
	}
	/* The user stopped reading its input at CONN_OUT_MAX: go on. */
	if (before >= CONN_OUT_MAX / 2 &&
	    evbuffer_get_length(c->out) < CONN_OUT_MAX / 2 &&
	    c->ops->drained != NULL) {
		c->ops->drained(c->arg);
	}
}

/*
 * Closed before it answered our option: what it said meanwhile, if it
 * was a line of ttyhubd's (a console's own listener refusing us by its
 * rw and ro lists says so in the data), else NULL.
 */
static const char *
conn_early(struct conn *c)
{
	static char	 why[300];
	char		 text[256];
	const uint8_t	*p = c->early, *end = c->early + c->nearly, *nl;

	while (end > p && (end[-1] == '\r' || end[-1] == '\n')) {
		end--;
	}
	for (nl = end; nl > p && nl[-1] != '\n'; nl--) {
		continue;
	}
	if (end - nl < 9 || memcmp(nl, "ttyhub: ", 8) != 0) {
		return NULL;
	}
	(void)clean_text(text, sizeof text, nl + 8, (size_t)(end - nl - 8), 0);
	snprintf(why, sizeof why, "it said: %s", text);
	return why;
}

/* Not a broker we can use: close, and say why (naming the socket). */
static void
conn_refuse(struct conn *c, const char *why)
{
	char	where[300], msg[700];

	(void)clean_text(where, sizeof where, c->where, strlen(c->where), 0);
	snprintf(msg, sizeof msg, "%s %s", where, why);
	conn_close(c);
	c->ops->refused(c->arg, msg);
}

static void
conn_on_hello(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_refuse(arg, "said nothing for 10 s: is it ttyhubd? (a console's "
	    "raw socket says nothing until the console prints)");
}

static void
conn_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	ssize_t		 n;

	(void)what;
	if (c->tls != NULL) {
		n = tls_read(c->tls, conn_rbuf, sizeof conn_rbuf);
		if (n > 0 && tls_pending(c->tls)) {
			event_active(c->rd, EV_READ, 1);	/* the rest */
		} else if (n == -1 && errno == EAGAIN &&
		    tls_want(c->tls) == TLS_WANT_WRITE) {
			conn_set_write(c, 1);
		}
	} else {
		n = read(fd, conn_rbuf, sizeof conn_rbuf);
	}
	if (n == -1 && (errno == EINTR || errno == EAGAIN ||
	    errno == EWOULDBLOCK)) {
		return;
	}
	if (n == 0 && c->ctl == -1) {
		conn_gone(c, conn_early(c));
		return;
	}
	if (n <= 0) {
		conn_gone(c, n == 0 ? NULL : strerror(errno));
		return;
	}
	if (!c->started) {
		if (conn_rbuf[0] != 0xff) {	/* IAC */
			conn_refuse(c, "does not speak Telnet: not ttyhubd's "
			    "broker (a console's raw socket? socat or nc "
			    "reaches that)");
			return;
		}
		c->started = 1;
		evtimer_del(c->hello);
		peer_start(c->peer);
	}
	peer_recv(c->peer, conn_rbuf, (size_t)n);
	if (c->refusal != NULL && c->fd != -1) {
		conn_refuse(c, c->refusal);
	} else if (c->failed != NULL && c->fd != -1) {
		conn_gone(c, c->failed);
	}
}

static char		conn_sockbuf[512];
static const char	*conn_own;	/* missing, so root's tried */

/*
 * Where the daemon is (see the top of ttyhub.c), in o->socket unless -s
 * gave it.  -1, said, when the default directory is not ours to trust.
 */
int
conn_where(struct opts *o)
{
	const char	*env = getenv("TTYHUB_SOCKET");
	char		 err[300];

	if (o->socket != NULL) {
		return 0;
	}
	if (env != NULL && env[0] != '\0') {
		o->socket = env;
		return 0;
	}
	if (rundir_socket(conn_sockbuf, sizeof conn_sockbuf, 0, err,
	    sizeof err) == -1) {
		ui_error("not using the default socket: %s (or set "
		    "XDG_RUNTIME_DIR, or give -s)", err);
		return -1;
	}
	o->socket = conn_sockbuf;
	if (geteuid() != 0 && access(conn_sockbuf, F_OK) == -1 &&
	    access(RUNDIR_ROOT_SOCKET, F_OK) == 0) {
		conn_own = conn_sockbuf;
		o->socket = RUNDIR_ROOT_SOCKET;
	}
	return 0;
}

static const char *
conn_own_socket(const char *where)
{
	if (conn_own == NULL || strcmp(where, RUNDIR_ROOT_SOCKET) != 0) {
		return NULL;
	}
	return conn_own;
}

const char *
conn_advice(const struct conn *c)
{
	static char	 advice[600];
	const char	*own = conn_own_socket(c->where);

	if ((c->error == EACCES || c->error == EPERM) && own != NULL) {
		/* The mode is only why root's is closed, not the cause. */
		snprintf(advice, sizeof advice, "that is root's daemon; this "
		    "user has none running at %s: start one with ttyhubd -c "
		    "FILE, or see broker-unix-mode and broker-unix-group in "
		    "ttyhub.conf(5) to open root's", own);
		return advice;
	}
	if (c->error == EACCES || c->error == EPERM) {
		return "its socket is closed to this user: see broker-unix-mode "
		    "and broker-unix-group in ttyhub.conf(5)";
	}
	if (c->error == EPROTO) {
		return "--tls-ca names the CA that signed the daemon's "
		    "certificate, which must name the host as -s does";
	}
	return "is it running? -s names its socket";
}

/*
 * tls://: the handshake, waited for here (we have nothing else to do
 * yet), within CONN_CONNECT_MS.
 */
static int
conn_tls(struct conn *c, int fd, const char *host, char *err, size_t errlen)
{
	struct pollfd	pfd;
	char		why[300];
	int		r, ms = c->connect_ms > 0 ? (int)c->connect_ms :
			    CONN_CONNECT_MS;

	if (c->tlsctx == NULL && (c->tlsctx = tls_ctx_client(c->o->tls_ca,
	    c->o->tls_cert, c->o->tls_key, why, sizeof why)) == NULL) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if ((c->tls = tls_new(c->tlsctx, fd, host)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pfd.fd = fd;
	while ((r = tls_handshake(c->tls, why, sizeof why)) == 0) {
		pfd.events = tls_want(c->tls) == TLS_WANT_READ ? POLLIN :
		    POLLOUT;
		if (poll(&pfd, 1, ms) != 1) {
			snprintf(why, sizeof why, "no TLS handshake in %d ms",
			    ms);
			r = -1;
			break;
		}
	}
	if (r == -1) {
		snprintf(err, errlen, "TLS: %s", why);
		c->error = EPROTO;
		tls_free(c->tls);
		c->tls = NULL;
		return -1;
	}
	return 0;
}

int
conn_open(struct conn *c, char *err, size_t errlen)
{
	struct timeval	 hello = { CONN_HELLO_MS / 1000, 0 };
	const char	*tcp = NULL;
	char		 host[256];
	int		 fd;

	if (c->connect_ms > 0 && c->connect_ms < CONN_HELLO_MS) {
		hello.tv_sec = c->connect_ms / 1000;
		hello.tv_usec = (c->connect_ms % 1000) * 1000;
	}
	/*
	 * tls://HOST:PORT; a path has a slash or no colon; anything else is
	 * HOST:PORT.
	 */
	c->error = 0;
	if (strncmp(c->where, "tls://", 6) == 0) {
		tcp = c->where + 6;
	} else if (strchr(c->where, '/') == NULL &&
	    strchr(c->where, ':') != NULL) {
		tcp = c->where;
	}
	if (tcp != NULL) {
		fd = conn_tcp(tcp, host, sizeof host, err, errlen, &c->error,
		    c->connect_ms > 0 ? (int)c->connect_ms : CONN_CONNECT_MS);
	} else {
		fd = conn_unix(c->where, err, errlen, &c->error);
	}
	if (fd == -1) {
		return -1;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "fcntl: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (tcp != c->where && tcp != NULL &&
	    conn_tls(c, fd, c->o->tls_name != NULL ? c->o->tls_name : host,
	    err, errlen) == -1) {
		tls_ctx_free(c->tlsctx);
		c->tlsctx = NULL;
		close(fd);
		return -1;
	}
	c->fd = fd;
	c->logins = 0;
	c->named = 0;
	c->ready = 0;
	c->ctl = -1;
	c->started = 0;
	c->failed = NULL;
	c->refusal = NULL;
	c->nearly = 0;
	c->peer = peer_new(&conn_peer_ops, c, &c->want);
	c->out = evbuffer_new();
	c->rd = event_new(c->base, fd, EV_READ | EV_PERSIST, conn_on_read, c);
	c->wr = event_new(c->base, fd, EV_WRITE | EV_PERSIST, conn_on_write,
	    c);
	c->hello = evtimer_new(c->base, conn_on_hello, c);
	if (c->peer == NULL || c->out == NULL || c->rd == NULL ||
	    c->wr == NULL || c->hello == NULL) {
		snprintf(err, errlen, "out of memory");
		conn_close(c);
		return -1;
	}
	event_add(c->rd, NULL);
	evtimer_add(c->hello, &hello);
	if (c->cols > 0) {
		peer_winsize(c->peer, c->cols, c->rows);
	}
	return 0;
}

void
conn_close(struct conn *c)
{
	if (c->rd != NULL) {
		event_free(c->rd);
		c->rd = NULL;
	}
	if (c->wr != NULL) {
		event_free(c->wr);
		c->wr = NULL;
	}
	if (c->hello != NULL) {
		event_free(c->hello);
		c->hello = NULL;
	}
	c->wr_on = 0;
	if (c->out != NULL) {
		evbuffer_free(c->out);
		c->out = NULL;
	}
	peer_free(c->peer);
	c->peer = NULL;
	if (c->tls != NULL) {
		tls_close_notify(c->tls);
		tls_free(c->tls);
		c->tls = NULL;
	}
	tls_ctx_free(c->tlsctx);
	c->tlsctx = NULL;
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
}

void
conn_send(struct conn *c, const uint8_t *buf, size_t len)
{
	if (c->peer != NULL) {
		peer_send(c->peer, buf, len);
	}
}

void
conn_break(struct conn *c)
{
	if (c->peer != NULL) {
		peer_break(c->peer);
	}
}

int
conn_request(struct conn *c, int code, const char *text)
{
	if (c->peer == NULL) {
		return -1;
	}
	return peer_request(c->peer, code, text);
}

void
conn_winsize(struct conn *c, unsigned cols, unsigned rows)
{
	c->cols = cols;
	c->rows = rows;
	if (c->peer != NULL) {
		peer_winsize(c->peer, cols, rows);
	}
}

size_t
conn_pending(const struct conn *c)
{
	return c->out != NULL ? evbuffer_get_length(c->out) : 0;
}

void
conn_flush(struct conn *c, int ms)
{
	struct pollfd	pfd;
	int		n;

	if (c->fd == -1) {
		return;
	}
	pfd.fd = c->fd;
	pfd.events = POLLOUT;
	while (evbuffer_get_length(c->out) > 0 ||
	    (c->tls != NULL && tls_unsent(c->tls))) {
		if (poll(&pfd, 1, ms) != 1) {
			return;
		}
		n = conn_write_some(c);
		if (n <= 0 && errno != EINTR && errno != EAGAIN) {
			return;
		}
	}
}

/* peer callbacks. */

static void
conn_check_ready(struct conn *c)
{
	if (c->ready || !c->named || c->ctl == -1) {
		return;
	}
	c->ready = 1;
	if (!c->ctl && !peer_broker(c->peer)) {
		/*
		 * A console's own socket of a ttyhubd before protocol 3: it
		 * attached us at once, to a console it does not name.  From
		 * inside peer_recv: conn_on_read closes after it.
		 */
		c->refusal = "is a console's own socket, and this ttyhubd "
		    "cannot say which console: reach it with telnet or socat, "
		    "or use the broker's socket";
		return;
	}
	c->ops->ready(c->arg, c->ctl);
}

static void
conn_peer_data(void *arg, const uint8_t *buf, size_t len)
{
	struct conn	*c = arg;

	if (c->ctl == -1 || c->refusal != NULL) {
		/* See the top of this file; the tail is kept for conn_early. */
		if (len >= sizeof c->early) {
			buf += len - sizeof c->early;
			len = sizeof c->early;
			c->nearly = 0;
		} else if (c->nearly + len > sizeof c->early) {
			memmove(c->early, c->early + (c->nearly + len -
			    sizeof c->early), sizeof c->early - len);
			c->nearly = sizeof c->early - len;
		}
		memcpy(c->early + c->nearly, buf, len);
		c->nearly += len;
		return;
	}
	c->ops->data(c->arg, buf, len);
}

static void
conn_peer_send(void *arg, const uint8_t *buf, size_t len)
{
	struct conn	*c = arg;

	evbuffer_add(c->out, buf, len);
	conn_set_write(c, 1);
}

/*
 * Ask the user for the password on the terminal, with echo off (and
 * line editing on, whatever mode the terminal is in).  -1 when there
 * is no terminal to ask on.
 */
static int
conn_ask(const char *prompt, char *buf, size_t len)
{
	struct termios	 saved, quiet;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd, have;
	char		 ch;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1) {
		return -1;
	}
	have = tcgetattr(fd, &saved) == 0;
	if (have) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
		quiet.c_lflag |= ICANON | ISIG;
		quiet.c_iflag |= ICRNL;
		(void)tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	(void)ui_write(fd, prompt, strlen(prompt));
	while ((n = read(fd, &ch, 1)) == 1 && ch != '\n' && ch != '\r') {
		if (got + 1 < len) {
			buf[got++] = ch;
		}
	}
	buf[got] = '\0';
	(void)ui_write(fd, "\r\n", 2);
	if (have) {
		(void)tcsetattr(fd, TCSAFLUSH, &saved);
	}
	close(fd);
	return n == 1 ? 0 : -1;
}

/* LOGIN-ASK: the user's name and password, once per try. */
static void
conn_login(struct conn *c)
{
	char		 msg[TN_CTL_TEXT_MAX + 1], prompt[400], password[512];
	char		 where[300];
	const char	*user = c->o->user;
	struct passwd	*pw;

	if (++c->logins > CONN_LOGIN_TRIES) {
		return;		/* the daemon closes */
	}
	if (user == NULL && (pw = getpwuid(getuid())) != NULL) {
		user = pw->pw_name;
	}
	(void)clean_text(where, sizeof where, c->where, strlen(c->where), 0);
	snprintf(prompt, sizeof prompt, "%s@%s's password: ", user != NULL ?
	    user : "?", where);
	if (user == NULL || conn_ask(prompt, password,
	    sizeof password) == -1) {
		c->failed = "the daemon asks for a password, and there is no "
		    "terminal to ask on (a client certificate, --tls-cert, "
		    "needs none)";
		return;
	}
	snprintf(msg, sizeof msg, "%s\t%s", user, password);
	(void)peer_request(c->peer, TN_CTL_LOGIN, msg);
	explicit_bzero(password, sizeof password);
	explicit_bzero(msg, sizeof msg);
}

static void
conn_peer_ctl(void *arg, int code, const char *text)
{
	struct conn	*c = arg;

	if (code == TN_CTL_LOGIN_ASK) {
		conn_login(c);
		return;
	}
	c->ops->ctl(c->arg, code, text);
}

static void
conn_peer_ctl_answer(void *arg, int on)
{
	struct conn	*c = arg;

	c->ctl = on;
	conn_check_ready(c);
}

static void
conn_peer_named(void *arg)
{
	struct conn	*c = arg;

	c->named = 1;
	conn_check_ready(c);
}

static void
conn_peer_fail(void *arg, const char *why)
{
	struct conn	*c = arg;

	if (c->failed == NULL) {
		c->failed = why;
	}
}
