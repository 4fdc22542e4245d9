/*
 * conn: a peer's connection.  See conn.h.
 *
 * Output order on the wire: the owed half of a doubled IAC, then our own
 * queued words (negotiation replies, notices, the prompt), then whatever
 * the owner writes itself (console output, from the ring).  Our words
 * are only ever put between whole pairs, so the Telnet stream stays well
 * formed whatever the socket takes.
 *
 * With TLS every byte goes through tls.c on the same fd, and the same
 * interest: a read that needs the socket writable (TLS answering the
 * peer) or a write that needs it readable is noted, and the other
 * event runs it.  Until the handshake is over the owner hears nothing
 * and its output waits (blocked); a peer that does not finish it in
 * TLS_HANDSHAKE_MS is closed, having held a slot of the budget like
 * any other connection.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/uio.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "config.h"
#include "conn.h"
#include "log.h"
#include "server.h"

#define CONN_KEEPIDLE		20	/* s: dead peers go within a minute */
#define CONN_KEEPINTVL		10
#define CONN_KEEPCNT		3
#define CONN_USER_TIMEOUT_MS	60000
#define CONN_LINGER_MS		2000	/* wait for a closing peer's FIN */

#define ARM_RD	0x1
#define ARM_WR	0x2

/* Handshakes that fail: anyone can make more. */
static struct log_rate	conn_lr_tls;

/*
 * A unix peer's supplementary groups, as the kernel recorded them at
 * connect, into *out (NULL when there are none; the caller frees it).
 * Users may have more than a first guess holds: ERANGE tells how much is
 * needed.  Returns the count, 0 when they cannot be had.
 */
static size_t
conn_peer_groups(int fd, gid_t **out)
{
	socklen_t	 len = 64 * sizeof **out;
	gid_t		*g;

	*out = NULL;
#ifdef SO_PEERGROUPS
	if ((g = malloc(len)) == NULL) {
		return 0;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == -1) {
		free(g);
		if (errno != ERANGE || len == 0 || (g = malloc(len)) == NULL) {
			return 0;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == -1) {
			free(g);
			return 0;
		}
	}
	if (len == 0) {
		free(g);
		return 0;
	}
	*out = g;
	return len / sizeof *g;
#else
	(void)fd;
	(void)len;
	(void)g;
	return 0;
#endif
}

/* Who is at the other end: its address, or the kernel's word on it. */
static void
conn_peer_name(struct conn *c, const struct sockaddr *sa, socklen_t len)
{
	char		host[INET6_ADDRSTRLEN] = "?";
	struct ucred	cred;
	socklen_t	clen = sizeof cred;
	struct passwd	*pw;
	char		user[40];

	if (sa != NULL && len > 0 && sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		c->tcp = 1;
		c->addr[10] = c->addr[11] = 0xff;
		memcpy(c->addr + 12, &sin->sin_addr, 4);
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		snprintf(c->peer, sizeof c->peer, "%s %u", host,
		    ntohs(sin->sin_port));
		return;
	}
	if (sa != NULL && len > 0 && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		c->tcp = 1;
		memcpy(c->addr, &sin6->sin6_addr, 16);
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		snprintf(c->peer, sizeof c->peer, "%s %u", host,
		    ntohs(sin6->sin6_port));
		return;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
		c->has_cred = 1;
		c->uid = cred.uid;
		c->gid = cred.gid;
		/*
		 * Its groups as the kernel recorded them at connect: they do
		 * not change, and a listing checks them once per console.
		 */
		c->ngroups = conn_peer_groups(c->fd, &c->groups);
		/*
		 * getpwuid may read files: acceptable once per unix client,
		 * and it names who did what in notices and the log.
		 */
		pw = getpwuid(cred.uid);
		(void)log_safe(user, sizeof user, pw != NULL ? pw->pw_name :
		    "?", pw != NULL ? strlen(pw->pw_name) : 1);
		snprintf(c->peer, sizeof c->peer, "%s (uid %ld, pid %ld)",
		    user, (long)cred.uid, (long)cred.pid);
		return;
	}
	snprintf(c->peer, sizeof c->peer, "unix peer");
}

int
conn_trusted(const struct conn *c)
{
	return c->has_cred && (c->uid == 0 || c->uid == geteuid());
}

static int
conn_same_source(const struct conn *a, const struct conn *b)
{
	if (a->tcp || b->tcp) {
		return a->tcp && b->tcp && memcmp(a->addr, b->addr, 16) == 0;
	}
	return a->has_cred && b->has_cred && a->uid == b->uid;
}

/* How many connections come from where c comes from. */
static unsigned
conn_count_source(const struct server *srv, const struct conn *c)
{
	const struct conn	*o;
	unsigned		 n = 0;

	TAILQ_FOREACH(o, &srv->conns, entry) {
		n += conn_same_source(o, c);
	}
	return n;
}

/*
 * The budget (ttyhubd(8), SECURITY CONSIDERATIONS): max-clients in all;
 * TCP peers, known only by an address, at most seven eighths of it, so
 * that unix-socket peers (local users the kernel vouches for) always find
 * room; and one source, an address or a local user other than root and
 * ours, at most max-clients-per-source.  NULL, or why c may not come in.
 */
static const char *
conn_budget(const struct server *srv, const struct conn *c)
{
	if (srv->nclients >= srv->max_clients) {
		return "too many clients (max-clients)";
	}
	if (c->tcp && srv->ntcp >= srv->max_clients - srv->max_clients / 8) {
		return "too many network clients (max-clients keeps an eighth "
		    "for unix-socket clients)";
	}
	if (!conn_trusted(c) &&
	    conn_count_source(srv, c) >= srv->max_per_source) {
		return c->tcp ? "too many connections from this address "
		    "(max-clients-per-source)" : "too many connections from "
		    "this user (max-clients-per-source)";
	}
	return NULL;
}

/*
 * Say no in one line, if the socket takes it now, and close.  (A TLS
 * peer would take the line for a broken handshake: it gets the close.)
 */
static void
conn_refuse(int fd, const char *why)
{
	char	line[256];
	int	n;

	n = snprintf(line, sizeof line, "ttyhub: refused: %s; try again "
	    "later\r\n", why);
	if (n > 0 && (size_t)n < sizeof line) {
		(void)send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	close(fd);
}

static void
conn_arm(struct conn *c, struct event *ev, unsigned bit, int on)
{
	if (on && !(c->armed & bit)) {
		event_add(ev, NULL);
		c->armed |= bit;
	} else if (!on && (c->armed & bit)) {
		event_del(ev);
		c->armed &= ~bit;
	}
}

void
conn_events(struct conn *c, int rd)
{
	int	wr;

	if (c->closing) {
		rd = c->half_closed;	/* only to see its FIN */
	} else if (evbuffer_get_length(c->out) >= CONN_OUT_MAX) {
		rd = 0;		/* it asks and does not read our answers */
	}
	c->rd_on = rd;
	wr = c->blocked;
	if (c->tls != NULL && c->hs) {
		rd = tls_want(c->tls) == TLS_WANT_READ;
		wr = !rd;
	} else if (c->tls != NULL) {
		rd = rd || c->wr_wants_rd;
		wr = (wr && !c->wr_wants_rd) || (c->rd_on && c->rd_wants_wr);
	}
	conn_arm(c, c->rd, ARM_RD, rd);
	conn_arm(c, c->wr, ARM_WR, wr);
	/* Read and decrypted already: the socket will not say so. */
	if (c->tls != NULL && !c->hs && c->rd_on && tls_pending(c->tls)) {
		event_active(c->rd, EV_READ, 1);
	}
}

void
conn_later(struct conn *c)
{
	c->blocked = 1;
	conn_events(c, c->rd_on);
}

void
conn_timer(struct conn *c, unsigned ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	if (ms == 0) {
		evtimer_del(c->timer);
	} else {
		evtimer_add(c->timer, &tv);
	}
}

static void	conn_handshake(struct conn *);

static void
conn_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	char		 buf[512];
	ssize_t		 n;

	(void)fd;
	(void)what;
	if (c->hs) {
		conn_handshake(c);
		return;
	}
	if (c->wr_wants_rd) {
		/* TLS: a write waited for this; reading comes next time. */
		c->wr_wants_rd = 0;
		c->blocked = 0;
		c->ops->write(c->arg);
		return;
	}
	if (!c->closing) {
		c->ops->read(c->arg);
		return;
	}
	/* After our last words, input is moot: we wait for its FIN. */
	n = c->tls != NULL ? tls_read(c->tls, buf, sizeof buf) :
	    read(c->fd, buf, sizeof buf);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		c->ops->close(c->arg, NULL);
	}
}

static void
conn_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)what;
	if (c->hs) {
		conn_handshake(c);
		return;
	}
	if (c->rd_wants_wr) {
		/* TLS: a read waited for this. */
		c->rd_wants_wr = 0;
		if (!c->closing) {
			c->ops->read(c->arg);
			return;
		}
	}
	c->blocked = 0;
	c->ops->write(c->arg);
}

static void
conn_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)what;
	if (c->closing) {
		c->ops->close(c->arg, NULL);	/* never took our last words */
	} else {
		c->ops->timer(c->arg);
	}
}

static void
conn_on_hs_timer(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)what;
	log_rate_info(&conn_lr_tls, "%s: closed: no TLS handshake in %u s",
	    c->peer, TLS_HANDSHAKE_MS / 1000);
	c->ops->close(c->arg, NULL);
}

/* Go on with the handshake; once over, the owner takes the conn. */
static void
conn_handshake(struct conn *c)
{
	char	err[256], how[128];
	int	r;

	if ((r = tls_handshake(c->tls, err, sizeof err)) == 0) {
		conn_events(c, c->rd_on);
		return;
	}
	if (r == -1) {
		log_rate_info(&conn_lr_tls, "%s: TLS handshake failed: %s",
		    c->peer, err);
		c->ops->close(c->arg, NULL);
		return;
	}
	c->hs = 0;
	event_free(c->hs_timer);
	c->hs_timer = NULL;
	log_debug("%s: %s", c->peer, tls_describe(c->tls, how, sizeof how));
	if (tls_peer_user(c->tls, err, sizeof err) == 0 &&
	    conn_identify(c, err, "certificate") == -1) {
		log_rate_info(&conn_lr_tls, "%s: closed: the client "
		    "certificate names a user this system does not have",
		    c->peer);
		c->ops->close(c->arg, NULL);
		return;
	}
	c->blocked = 0;
	if (c->ops->secure != NULL) {
		c->ops->secure(c->arg);
	} else {
		c->ops->write(c->arg);
	}
}

static void
conn_keepalive(int fd)
{
	int		one = 1, v;
	unsigned	ut = CONN_USER_TIMEOUT_MS;

	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	v = CONN_KEEPIDLE;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v);
	v = CONN_KEEPINTVL;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, sizeof v);
	v = CONN_KEEPCNT;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof v);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof ut);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int	conn_tls(struct conn *, struct tls_ctx *);

struct conn *
conn_new(struct server *srv, int fd, const struct sockaddr *sa,
    socklen_t salen, int telnet, struct tls_ctx *tls, uint64_t via)
{
	struct conn	*c;
	const char	*why;

	if ((c = calloc(1, sizeof *c)) == NULL) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	conn_peer_name(c, sa, salen);
	if ((why = conn_budget(srv, c)) != NULL) {
		log_rate_warn(&srv->lr_clients, "refusing %s: %s", c->peer,
		    why);
		if (tls != NULL) {
			close(fd);
		} else {
			conn_refuse(fd, why);
		}
		free(c);
		return NULL;
	}
	c->srv = srv;
	c->via = via;
	c->telnet = telnet;
	if (c->tcp) {
		conn_keepalive(fd);
	}
	c->out = evbuffer_new();
	c->rd = event_new(srv->base, fd, EV_READ | EV_PERSIST, conn_on_read,
	    c);
	c->wr = event_new(srv->base, fd, EV_WRITE | EV_PERSIST,
	    conn_on_write, c);
	c->timer = evtimer_new(srv->base, conn_on_timer, c);
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->nclients++;
	srv->ntcp += c->tcp;
	if (c->out == NULL || c->rd == NULL || c->wr == NULL ||
	    c->timer == NULL) {
		log_warn("%s: out of memory", c->peer);
		conn_free(c);
		return NULL;
	}
	if (tls != NULL && conn_tls(c, tls) == -1) {
		conn_free(c);
		return NULL;
	}
	return c;
}

/* TLS on c: the handshake goes first. */
static int
conn_tls(struct conn *c, struct tls_ctx *ctx)
{
	struct timeval	tv = { TLS_HANDSHAKE_MS / 1000, 0 };

	if ((c->tls = tls_new(ctx, c->fd, NULL)) == NULL ||
	    (c->hs_timer = evtimer_new(c->srv->base, conn_on_hs_timer,
	    c)) == NULL) {
		log_warn("%s: out of memory", c->peer);
		return -1;
	}
	evtimer_add(c->hs_timer, &tv);
	c->hs = 1;
	c->blocked = 1;		/* nothing of ours goes before it */
	return 0;
}

int
conn_identify(struct conn *c, const char *user, const char *how)
{
	struct passwd	*pw;
	gid_t		*g = NULL;
	char		 peer[sizeof c->peer];
	int		 n = 0, want;

	/* The system's word on the user: its ids, and its groups. */
	if ((pw = getpwnam(user)) == NULL) {
		return -1;
	}
	for (want = 16; want <= 65536; want = n > want ? n : want * 2) {
		free(g);
		if ((g = calloc((size_t)want, sizeof *g)) == NULL) {
			return -1;
		}
		n = want;
		if (getgrouplist(pw->pw_name, pw->pw_gid, g, &n) != -1) {
			break;
		}
		n = 0;
	}
	free(c->groups);
	c->groups = g;
	c->ngroups = (size_t)n;
	c->authed = 1;
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	snprintf(c->user, sizeof c->user, "%s", user);
	log_info("%s: authenticated as %s (%s)", c->peer, c->user, how);
	snprintf(peer, sizeof peer, "%s", c->peer);
	snprintf(c->peer, sizeof c->peer, "%s (%.*s)", c->user,
	    (int)(sizeof c->peer - sizeof c->user - 4), peer);
	return 0;
}

int
conn_identified(const struct conn *c)
{
	return c->has_cred || c->authed;
}

/* Who may use a console. */

static int
conn_in_acl(const struct conn *conn, const struct cfg_acl *acl)
{
	size_t	 i, j;
	int	 in = 0;

	for (i = 0; i < acl->nuids; i++) {
		if (acl->uids[i] == conn->uid) {
			return 1;
		}
	}
	for (i = 0; i < acl->ngids; i++) {
		if (acl->gids[i] == conn->gid) {
			return 1;
		}
	}
	if (acl->ngids == 0) {
		return 0;
	}
	/*
	 * A network user's groups as the system lists them, or a unix
	 * peer's as the kernel recorded them at connect.
	 */
	for (i = 0; i < acl->ngids && !in; i++) {
		for (j = 0; j < conn->ngroups && !in; j++) {
			in = acl->gids[i] == conn->groups[j];
		}
	}
	return in;
}

int
conn_access(const struct conn *conn, const struct cfg_console *cfg,
    int may_write)
{
	if (!conn_identified(conn) || (!cfg->rw.set && !cfg->ro.set) ||
	    conn->uid == 0 || conn->uid == geteuid() ||
	    conn_in_acl(conn, &cfg->rw)) {
		return may_write ? 1 : 0;
	}
	return conn_in_acl(conn, &cfg->ro) ? 0 : -1;
}

void
conn_own(struct conn *c, const struct conn_ops *ops, void *arg)
{
	c->ops = ops;
	c->arg = arg;
}

void
conn_free(struct conn *c)
{
	struct server	*srv = c->srv;

	TAILQ_REMOVE(&srv->conns, c, entry);
	srv->nclients--;
	srv->ntcp -= c->tcp;
	if (c->rd != NULL) {
		event_free(c->rd);
	}
	if (c->wr != NULL) {
		event_free(c->wr);
	}
	if (c->timer != NULL) {
		event_free(c->timer);
	}
	if (c->hs_timer != NULL) {
		event_free(c->hs_timer);
	}
	tls_free(c->tls);
	free(c->groups);
	tn_free(c->tn);
	if (c->out != NULL) {
		evbuffer_free(c->out);
	}
	close(c->fd);
	free(c);
}

int
conn_has_ctl(const struct conn *c)
{
	return c->tn != NULL && tn_ctl(c->tn);
}

void
conn_queue(struct conn *c, const void *buf, size_t len)
{
	if (evbuffer_get_length(c->out) + len > CONN_OUT_MAX) {
		if (c->failed == NULL) {
			c->failed = "client does not read";
		}
		return;
	}
	evbuffer_add(c->out, buf, len);
}

size_t
conn_queued(const struct conn *c)
{
	return evbuffer_get_length(c->out);
}

void
conn_say(struct conn *c, const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0) {
		conn_queue(c, buf, (size_t)n < sizeof buf ? (size_t)n :
		    sizeof buf - 1);
	}
}

void
conn_ctl_send(struct conn *c, enum tn_ctl_code code, const char *fmt, ...)
{
	char	buf[TN_CTL_TEXT_MAX + 1];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || c->tn == NULL) {
		return;
	}
	tn_send_ctl(c->tn, code, buf, strlen(buf));
}

void
conn_notice(struct conn *c, const char *text)
{
	char	safe[512], line[560];
	int	n;

	if (c->closing) {
		return;
	}
	(void)log_safe(safe, sizeof safe, text, strlen(text));
	if (conn_has_ctl(c)) {
		/* Out of band: a console cannot forge these. */
		tn_send_ctl(c->tn, TN_CTL_NOTICE, safe, strlen(safe));
	} else {
		n = snprintf(line, sizeof line, "\r\n[ttyhub: %s]\r\n", safe);
		if (n > 0) {
			conn_queue(c, line, (size_t)n < sizeof line ?
			    (size_t)n : sizeof line - 1);
		}
	}
	c->blocked = 1;
	conn_arm(c, c->wr, ARM_WR, 1);
}

void
conn_error(struct conn *c, const char *code, const char *fmt, ...)
{
	char	text[512], safe[512];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	(void)log_safe(safe, sizeof safe, text, strlen(text));
	if (conn_has_ctl(c)) {
		conn_ctl_send(c, TN_CTL_ERROR, "%s %s", code, safe);
	} else {
		conn_say(c, "\r\nttyhub: %s\r\n", safe);
	}
}

ssize_t
conn_read(struct conn *c, void *buf, size_t room)
{
	ssize_t	n;

	if (c->hs) {
		return 0;
	}
	n = c->tls != NULL ? tls_read(c->tls, buf, room) :
	    read(c->fd, buf, room);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR &&
	    errno != EWOULDBLOCK)) {
		return -1;
	}
	if (n == -1 && c->tls != NULL &&
	    tls_want(c->tls) == TLS_WANT_WRITE) {
		c->rd_wants_wr = 1;
	}
	return n < 0 ? 0 : n;
}

/* After a write of len that returned w: is the socket full? */
static void
conn_wrote(struct conn *c, ssize_t w, size_t len)
{
	if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->blocked = 1;
		if (c->tls != NULL && tls_want(c->tls) == TLS_WANT_READ) {
			c->wr_wants_rd = 1;
		}
	} else if (w >= 0 && ((size_t)w < len ||
	    (c->tls != NULL && tls_unsent(c->tls)))) {
		c->blocked = 1;
	}
}

ssize_t
conn_write(struct conn *c, const void *buf, size_t len)
{
	ssize_t	w;

	if (c->hs) {
		c->blocked = 1;
		errno = EAGAIN;
		return -1;
	}
	w = c->tls != NULL ? tls_write(c->tls, buf, len) :
	    write(c->fd, buf, len);
	conn_wrote(c, w, len);
	return w;
}

ssize_t
conn_writev(struct conn *c, const struct iovec *iov, int cnt)
{
	ssize_t	w;
	size_t	len = 0;
	int	i;

	if (c->hs) {
		c->blocked = 1;
		errno = EAGAIN;
		return -1;
	}
	for (i = 0; i < cnt; i++) {
		len += iov[i].iov_len;
	}
	w = c->tls != NULL ? tls_writev(c->tls, iov, cnt) :
	    writev(c->fd, iov, cnt);
	conn_wrote(c, w, len);
	return w;
}

/*
 * Our queued words, as far as the socket takes them: 0 when all are
 * out, 1 when it is full, -1 when the peer has gone.
 */
static int
conn_write_out(struct conn *c)
{
	struct evbuffer_iovec	 v[8];
	struct iovec		 iov[8];
	ssize_t			 w;
	int			 n, i;

	while (evbuffer_get_length(c->out) > 0) {
		n = evbuffer_peek(c->out, -1, NULL, v, 8);
		if (n > 8) {
			n = 8;
		}
		for (i = 0; i < n; i++) {
			iov[i].iov_base = v[i].iov_base;
			iov[i].iov_len = v[i].iov_len;
		}
		if ((w = conn_writev(c, iov, n)) == -1) {
			if (errno == EINTR) {
				continue;
			}
			return errno == EAGAIN || errno == EWOULDBLOCK ? 1 :
			    -1;
		}
		evbuffer_drain(c->out, (size_t)w);
		if (c->blocked) {
			return 1;
		}
	}
	return 0;
}

int
conn_flush(struct conn *c)
{
	static const uint8_t	iac = 0xff;
	ssize_t			w;
	int			r;

	if (c->failed != NULL) {
		return -1;
	}
	if (c->blocked) {
		return 1;
	}
	if (c->tls != NULL && tls_unsent(c->tls)) {
		if (tls_push(c->tls) == -1) {
			if (errno != EAGAIN) {
				return -1;
			}
			conn_wrote(c, -1, 1);
			return 1;
		}
	}
	if (c->half) {
		w = conn_write(c, &iac, 1);
		if (w == 1) {
			c->half = 0;
		} else if (w == -1 && errno != EAGAIN && errno != EINTR) {
			return -1;
		} else {
			c->blocked = 1;
			return 1;
		}
		if (c->blocked) {
			return 1;
		}
	}
	if ((r = conn_write_out(c)) != 0) {
		return r;
	}
	if (c->closing && !c->half_closed) {
		if (c->tls != NULL) {
			tls_close_notify(c->tls);
		}
		(void)shutdown(c->fd, SHUT_WR);
		c->half_closed = 1;
		conn_timer(c, CONN_LINGER_MS);
	}
	return 0;
}

void
conn_finish(struct conn *c)
{
	c->closing = 1;
	conn_timer(c, 0);
	/* From the write event, like a notice. */
	c->blocked = 1;
	conn_events(c, 0);
}

void
conn_last_words(struct conn *c, const char *why)
{
	if (why != NULL && !c->closing) {
		conn_notice(c, why);
		/* One try to say it; a peer that cannot take it now goes. */
		if (!c->hs) {
			c->blocked = 0;
			(void)conn_write_out(c);
		}
	}
}

void
conn_close_via(struct server *srv, uint64_t via, const char *why)
{
	struct conn	*c, *next;

	TAILQ_FOREACH_SAFE(c, &srv->conns, entry, next) {
		if (c->via == via) {
			c->ops->close(c->arg, why);
		}
	}
}

void
conn_close_all(struct server *srv)
{
	struct conn	*c;

	while ((c = TAILQ_FIRST(&srv->conns)) != NULL) {
		c->ops->close(c->arg, NULL);
	}
}
