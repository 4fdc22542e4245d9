/*
 * session: a login session.  The Telnet peer and a program on a new pty,
 * joined by two bounded queues:
 *
 *   peer --read--> tn_recv --data--> [to_pty <= IN_MAX]  --write--> pty
 *   peer <--write-- [to_net <= OUT_MAX + REPLY_MAX] <--escape-- read-- pty
 *
 * Read interest is derived from queue room (see session_events), so a
 * peer that stops reading stops the pty being read, and a pty that stops
 * taking input stops the peer being read.  Output goes straight from the
 * read buffer to the socket when nothing is queued, so the common case
 * copies nothing.
 *
 * Life: NEGOTIATING (Telnet options, no pty yet) -> RUNNING (program on the
 * pty) -> FLUSHING (pty done: send what is queued, half-close, wait briefly
 * for the peer's FIN so unread input does not turn our close into a reset)
 * -> freed.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "log.h"
#include "proc.h"
#include "pty.h"
#include "server.h"
#include "session.h"
#include "../telnet/tn.h"

#define SESSION_READ_MAX	(64 * 1024)
#define SESSION_NET_READ_MAX	(16 * 1024)
#define SESSION_DRAIN_MAX	(1024 * 1024)	/* -K: pty bytes taken at exit */
#define SESSION_STALL_MS	30000	/* a finished session's peer not reading */
#define SESSION_DEFAULT_TERM	"vt100"
#define SESSION_PATH		"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

enum session_state {
	SESSION_NEGOTIATING,
	SESSION_RUNNING,
	SESSION_FLUSHING,
};

/* Bits of session.armed: which events are added to the loop. */
#define ARM_NET_RD	0x1
#define ARM_NET_WR	0x2
#define ARM_PTY_RD	0x4
#define ARM_PTY_WR	0x8

struct session {
	TAILQ_ENTRY(session)	 entry;
	struct server		*srv;
	struct login_svc	*svc;		/* held while the session lives */
	enum session_state	 state;

	int			 rfd;
	int			 wfd;
	int			 pty;
	pid_t			 pid;
	char			 peer[INET6_ADDRSTRLEN + 16];	/* "addr port" */
	char			 host[INET6_ADDRSTRLEN];	/* numeric */

	struct tn		*tn;
	struct winsize		 ws;

	struct event		*net_rd;
	struct event		*net_wr;
	struct event		*pty_rd;
	struct event		*pty_wr;
	struct event		*timer;
	unsigned		 armed;

	struct evbuffer		*to_net;
	struct evbuffer		*to_pty;
	int			 to_net_ctl;	/* to_net holds Telnet commands */
	int			 to_net_half;	/* to_net starts mid IAC IAC */

	const char		*failed;	/* set by tn callbacks */
	int			 half_closed;	/* we sent FIN */
};

/* One scratch area for the whole loop: we are single-threaded. */
static uint8_t	session_rbuf[SESSION_READ_MAX];
static uint8_t	session_ebuf[2 * SESSION_READ_MAX];

static void	session_close(struct session *, const char *);
static void	session_events(struct session *);
static void	session_finish(struct session *);

static void
session_arm(struct session *s, struct event *ev, unsigned bit, int on)
{
	if (on && !(s->armed & bit)) {
		event_add(ev, NULL);
		s->armed |= bit;
	} else if (!on && (s->armed & bit)) {
		event_del(ev);
		s->armed &= ~bit;
	}
}

/* The one place read and write interest is decided. */
static void
session_events(struct session *s)
{
	size_t	out = evbuffer_get_length(s->to_net);
	size_t	in = evbuffer_get_length(s->to_pty);
	int	flushing = s->state == SESSION_FLUSHING;

	session_arm(s, s->net_rd, ARM_NET_RD,
	    flushing ? s->half_closed : in < SESSION_IN_MAX);
	session_arm(s, s->net_wr, ARM_NET_WR, out > 0);
	if (s->pty != -1) {
		session_arm(s, s->pty_rd, ARM_PTY_RD, out < SESSION_OUT_MAX);
		session_arm(s, s->pty_wr, ARM_PTY_WR, in > 0);
	}
}

/*
 * Note that w bytes of p, which began the queue, reached the peer, and
 * work out whether what is left starts with the second half of a doubled
 * IAC.  Only meaningful while the queue holds data alone.
 */
static void
session_note_written(struct session *s, const uint8_t *p, size_t w,
    size_t total)
{
	int	half;

	if (w == total) {
		s->to_net_half = 0;
		return;
	}
	if (w == 0) {
		return;
	}
	if (s->to_net_half) {
		/* The first byte written completed the pair. */
		p++;
		w--;
	}
	(void)tn_escaped_taken(p, w, &half);
	s->to_net_half = half;
}

/* Write what is queued for the peer.  Returns -1 if the peer is gone. */
static int
session_flush_net(struct session *s)
{
	struct evbuffer_iovec	v;
	ssize_t			w;
	size_t			total;

	while ((total = evbuffer_get_length(s->to_net)) > 0) {
		if (evbuffer_peek(s->to_net, -1, NULL, &v, 1) < 1) {
			break;
		}
		w = write(s->wfd, v.iov_base, v.iov_len);
		if (w == -1) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				break;
			}
			return -1;
		}
		session_note_written(s, v.iov_base, (size_t)w, total);
		evbuffer_drain(s->to_net, (size_t)w);
		if ((size_t)w < v.iov_len) {
			break;
		}
	}
	if (evbuffer_get_length(s->to_net) == 0) {
		s->to_net_ctl = 0;
		s->to_net_half = 0;
	}
	return 0;
}

/* Queue bytes that are already in wire form; replies are capped. */
static void
session_queue_net(struct session *s, const void *buf, size_t len, int ctl)
{
	if (evbuffer_get_length(s->to_net) + len >
	    SESSION_OUT_MAX + SESSION_REPLY_MAX) {
		/*
		 * Only a peer that sends commands and never reads gets here:
		 * pty output stops at SESSION_OUT_MAX.  Keeping its replies
		 * would be unbounded, and dropping them would desynchronise
		 * the option state, so we close.
		 */
		if (s->failed == NULL) {
			s->failed = "peer sends commands but does not read";
		}
		return;
	}
	if (ctl) {
		s->to_net_ctl = 1;
	}
	evbuffer_add(s->to_net, buf, len);
}

/*
 * Pty output to the peer: double IACs, then write directly if nothing is
 * queued ahead of it, and queue only what the socket did not take.
 */
static int
session_output(struct session *s, const uint8_t *buf, size_t len)
{
	ssize_t	w;

	if (memchr(buf, 0xff, len) != NULL) {
		len = tn_escape(session_ebuf, buf, len);
		buf = session_ebuf;
	}
	if (evbuffer_get_length(s->to_net) == 0) {
		do {
			w = write(s->wfd, buf, len);
		} while (w == -1 && errno == EINTR);
		if (w == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
			return -1;
		}
		if (w > 0) {
			session_note_written(s, buf, (size_t)w, len);
			buf += w;
			len -= (size_t)w;
		}
	}
	if (len > 0) {
		evbuffer_add(s->to_net, buf, len);
	}
	return 0;
}

static int
session_flush_pty(struct session *s)
{
	int	n;

	while (s->pty != -1 && evbuffer_get_length(s->to_pty) > 0) {
		n = evbuffer_write(s->to_pty, s->pty);
		if (n == -1) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				break;
			}
			return -1;
		}
		if (n == 0) {
			break;
		}
	}
	return 0;
}

/* tn callbacks. */

static void
session_tn_data(void *arg, const uint8_t *buf, size_t len)
{
	struct session	*s = arg;

	if (s->state != SESSION_FLUSHING) {
		evbuffer_add(s->to_pty, buf, len);
	}
}

static void
session_tn_send(void *arg, const uint8_t *buf, size_t len)
{
	session_queue_net(arg, buf, len, 1);
}

static void
session_tn_winsize(void *arg, unsigned cols, unsigned rows)
{
	struct session	*s = arg;

	if (cols == 0 || rows == 0) {
		return;
	}
	s->ws.ws_col = cols > 0xffff ? 0xffff : (unsigned short)cols;
	s->ws.ws_row = rows > 0xffff ? 0xffff : (unsigned short)rows;
	if (s->pty != -1) {
		(void)pty_set_winsize(s->pty, cols, rows);
	}
}

/* The terminal's own character for cc, as the program has set it. */
static void
session_send_cc(struct session *s, int cc, uint8_t fallback)
{
	struct termios	t;
	uint8_t		c = fallback;

	if (s->pty == -1) {
		return;
	}
	if (tcgetattr(s->pty, &t) == 0 && t.c_cc[cc] != _POSIX_VDISABLE) {
		c = t.c_cc[cc];
	}
	evbuffer_add(s->to_pty, &c, 1);
}

static void
session_tn_command(void *arg, enum tn_cmd cmd)
{
	static const char	 yes[] = "\r\n[ttyhub: yes]\r\n";
	static const uint8_t	 dm[] = { 0xff, 0xf2 };	/* IAC DM */
	struct session		*s = arg;
	size_t			 keep;

	switch (cmd) {
	case TN_CMD_IP:
	case TN_CMD_BRK:
		/* An interrupt overtakes input the program has not read. */
		evbuffer_drain(s->to_pty, evbuffer_get_length(s->to_pty));
		session_send_cc(s, VINTR, 0x03);
		break;
	case TN_CMD_EC:
		session_send_cc(s, VERASE, 0x7f);
		break;
	case TN_CMD_EL:
		session_send_cc(s, VKILL, 0x15);
		break;
	case TN_CMD_AO:
		/*
		 * Drop output the program wrote and we have not sent.  Queued
		 * bytes go only when they are data alone, and never half of
		 * a doubled IAC, so the stream stays well formed.
		 */
		if (s->pty != -1) {
			(void)tcflush(s->pty, TCIFLUSH);
		}
		if (!s->to_net_ctl) {
			keep = s->to_net_half ? 1 : 0;
			evbuffer_drain(s->to_net,
			    evbuffer_get_length(s->to_net) - keep);
		}
		session_queue_net(s, dm, sizeof dm, 1);
		break;
	case TN_CMD_AYT:
		/* Answer only when nothing is queued: AYT cannot pile up. */
		if (evbuffer_get_length(s->to_net) == 0) {
			tn_send_text(s->tn, yes, sizeof yes - 1);
		}
		break;
	}
}

static void	session_spawn(struct session *);
static void	session_pty_events_new(struct session *);

static void
session_tn_settled(void *arg)
{
	struct session	*s = arg;

	if (s->state == SESSION_NEGOTIATING) {
		session_spawn(s);
	}
}

static void
session_tn_fail(void *arg, const char *why)
{
	struct session	*s = arg;

	if (s->failed == NULL) {
		s->failed = why;
	}
}

static const struct tn_ops session_tn_ops = {
	.data = session_tn_data,
	.send = session_tn_send,
	.winsize = session_tn_winsize,
	.command = session_tn_command,
	.settled = session_tn_settled,
	.fail = session_tn_fail,
};

/* The child ended.  With -K the session ends too, once the pty is read. */
static void
session_child_exit(void *arg, pid_t pid, int status)
{
	struct session	*s = arg;
	ssize_t		 n;
	size_t		 total = 0;

	(void)pid;
	(void)status;
	s->pid = -1;
	if (!s->svc->close_on_exit || s->state != SESSION_RUNNING) {
		return;
	}
	/* Take what the program wrote before it went, then finish. */
	while (total < SESSION_DRAIN_MAX) {
		n = read(s->pty, session_rbuf, sizeof session_rbuf);
		if (n <= 0) {
			if (n == -1 && errno == EINTR) {
				continue;
			}
			break;
		}
		total += (size_t)n;
		if (session_output(s, session_rbuf, (size_t)n) == -1) {
			session_close(s, "peer write failed");
			return;
		}
	}
	session_finish(s);
}

/* Build argv and envp from scratch and start the login program. */
static void
session_spawn(struct session *s)
{
	struct server		*srv = s->srv;
	char			 name[64], envbuf[TN_ENV_MAX + 2][TN_ENV_NAME_MAX + TN_ENV_VALUE_MAX + 2];
	char			*argv[8], *envp[TN_ENV_MAX + 3];
	const char		*term, *user;
	const struct tn_env	*e;
	char			 what[200], safe[64];
	size_t			 i, ne = 0;
	int			 slave, na = 0;

	s->state = SESSION_RUNNING;
	srv->npending--;
	evtimer_del(s->timer);

	if (pty_open(&s->pty, &slave, name, sizeof name, &s->ws) == -1) {
		log_warn("%s: cannot open a pty: %s", s->peer, strerror(errno));
		s->pty = -1;
		s->failed = "no pty";
		return;
	}
	session_pty_events_new(s);
	if (s->pty_rd == NULL || s->pty_wr == NULL) {
		close(slave);
		s->failed = "out of memory";
		return;
	}

	argv[na++] = (char *)s->svc->path;
	user = tn_user(s->tn);
	if (s->svc->login_default) {
		argv[na++] = (char *)"-h";
		argv[na++] = s->host;
		if (user != NULL) {
			/* A validated name, and after -- whatever it is. */
			argv[na++] = (char *)"--";
			argv[na++] = (char *)user;
		}
	}
	argv[na] = NULL;

	term = tn_term(s->tn);
	snprintf(envbuf[ne], sizeof envbuf[ne], "TERM=%s",
	    term != NULL ? term : SESSION_DEFAULT_TERM);
	envp[ne] = envbuf[ne];
	ne++;
	snprintf(envbuf[ne], sizeof envbuf[ne], "PATH=%s", SESSION_PATH);
	envp[ne] = envbuf[ne];
	ne++;
	for (i = 0; (e = tn_env_at(s->tn, i)) != NULL; i++) {
		snprintf(envbuf[ne], sizeof envbuf[ne], "%s=%s", e->name,
		    e->value);
		envp[ne] = envbuf[ne];
		ne++;
	}
	envp[ne] = NULL;

	s->pid = pty_spawn(slave, s->svc->path, argv, envp);
	close(slave);
	if (s->pid == -1) {
		log_warn("%s: cannot fork: %s", s->peer, strerror(errno));
		s->failed = "fork failed";
		return;
	}
	snprintf(what, sizeof what, "session %s on %s", s->peer, name);
	if (proc_add(s->pid, what, session_child_exit, s) == -1) {
		log_warn("%s: out of memory", s->peer);
	}
	log_info("%s: started %s on %s (pid %ld, TERM=%s%s%s)", s->peer,
	    s->svc->path, name, (long)s->pid,
	    term != NULL ? term : SESSION_DEFAULT_TERM,
	    user != NULL ? ", user " : "",
	    user != NULL ? log_safe(safe, sizeof safe, user, strlen(user)) : "");
	(void)session_flush_pty(s);
	session_events(s);
}

static void
session_timer_ms(struct session *s, unsigned ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(s->timer, &tv);
}

/*
 * After a flush: half-close once all is sent, else wait for progress.
 * Returns -1 when the session is gone (inetd: no FIN to wait for).
 */
static int
session_flushed(struct session *s)
{
	if (evbuffer_get_length(s->to_net) > 0) {
		/* A peer that stops reading gets SESSION_STALL_MS, not forever. */
		session_timer_ms(s, SESSION_STALL_MS);
		return 0;
	}
	if (!s->half_closed) {
		(void)shutdown(s->wfd, SHUT_WR);
		s->half_closed = 1;
		/* Wait briefly for its FIN: closing with its input unread
		 * would send a reset that can destroy what we just sent. */
		session_timer_ms(s, s->srv->linger_ms);
	}
	if (s->rfd != s->wfd) {
		session_close(s, NULL);
		return -1;
	}
	return 0;
}

/* The pty is done: send what is left, then close. */
static void
session_finish(struct session *s)
{
	if (s->state == SESSION_FLUSHING) {
		return;
	}
	if (s->state == SESSION_NEGOTIATING) {
		s->srv->npending--;
	}
	s->state = SESSION_FLUSHING;
	if (s->pty != -1) {
		session_arm(s, s->pty_rd, ARM_PTY_RD, 0);
		session_arm(s, s->pty_wr, ARM_PTY_WR, 0);
		close(s->pty);
		s->pty = -1;
	}
	if (s->pid > 0) {
		proc_forget(s->pid);
		s->pid = -1;
	}
	evbuffer_drain(s->to_pty, evbuffer_get_length(s->to_pty));
	if (session_flush_net(s) == -1) {
		session_close(s, NULL);
		return;
	}
	if (session_flushed(s) == -1) {
		return;
	}
	session_events(s);
}

static void
session_net_read(evutil_socket_t fd, short what, void *arg)
{
	struct session	*s = arg;
	size_t		 room;
	ssize_t		 n;

	(void)fd;
	(void)what;
	if (s->state == SESSION_FLUSHING) {
		/* Waiting for the peer's FIN; its input no longer matters. */
		n = read(s->rfd, session_rbuf, sizeof session_rbuf);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
			session_close(s, NULL);
		}
		return;
	}
	room = SESSION_IN_MAX - evbuffer_get_length(s->to_pty);
	if (room > SESSION_NET_READ_MAX) {
		room = SESSION_NET_READ_MAX;
	}
	n = read(s->rfd, session_rbuf, room);
	if (n == 0) {
		/* A clean end: give the program what the peer sent last. */
		(void)session_flush_pty(s);
		session_close(s, "peer closed the connection");
		return;
	}
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			return;
		}
		session_close(s, strerror(errno));
		return;
	}
	tn_recv(s->tn, session_rbuf, (size_t)n);
	if (s->failed != NULL) {
		session_close(s, s->failed);
		return;
	}
	if (session_flush_pty(s) == -1) {
		session_finish(s);
		return;
	}
	if (session_flush_net(s) == -1) {
		session_close(s, "peer write failed");
		return;
	}
	session_events(s);
}

static void
session_net_write(evutil_socket_t fd, short what, void *arg)
{
	struct session	*s = arg;

	(void)fd;
	(void)what;
	if (session_flush_net(s) == -1) {
		session_close(s, s->state == SESSION_FLUSHING ? NULL :
		    "peer write failed");
		return;
	}
	if (s->state == SESSION_FLUSHING) {
		if (session_flushed(s) == -1) {
			return;
		}
	}
	session_events(s);
}

static void
session_pty_read(evutil_socket_t fd, short what, void *arg)
{
	struct session	*s = arg;
	size_t		 room;
	ssize_t		 n;

	(void)fd;
	(void)what;
	room = SESSION_OUT_MAX - evbuffer_get_length(s->to_net);
	if (room > sizeof session_rbuf) {
		room = sizeof session_rbuf;
	}
	n = read(s->pty, session_rbuf, room);
	if (n > 0) {
		if (session_output(s, session_rbuf, (size_t)n) == -1) {
			session_close(s, "peer write failed");
			return;
		}
		session_events(s);
		return;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
		return;
	}
	/* EIO: every holder of the slave has closed it. */
	log_debug("%s: pty done: %s (room %zu)", s->peer,
	    n == 0 ? "end of file" : strerror(errno), room);
	session_finish(s);
}

static void
session_pty_write(evutil_socket_t fd, short what, void *arg)
{
	struct session	*s = arg;

	(void)fd;
	(void)what;
	if (session_flush_pty(s) == -1) {
		session_finish(s);
		return;
	}
	session_events(s);
}

static void
session_timer(evutil_socket_t fd, short what, void *arg)
{
	struct session	*s = arg;

	(void)fd;
	(void)what;
	if (s->state == SESSION_NEGOTIATING) {
		/* The peer did not answer everything: go with what we have. */
		session_spawn(s);
		if (s->failed != NULL) {
			session_close(s, s->failed);
		}
		return;
	}
	if (s->state == SESSION_FLUSHING) {
		session_close(s, NULL);
	}
}

static void
session_peer_name(struct session *s, const struct sockaddr *sa, socklen_t len)
{
	char	port[8];

	if (sa == NULL || len == 0 ||
	    getnameinfo(sa, len, s->host, sizeof s->host, port, sizeof port,
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(s->host, sizeof s->host, "unknown");
		snprintf(s->peer, sizeof s->peer, "unknown peer");
		return;
	}
	snprintf(s->peer, sizeof s->peer, "%s port %s", s->host, port);
}

/* Refuse a connection with a one-line reason, without waiting. */
static void
session_refuse(int rfd, int wfd, const char *why)
{
	char	line[128];
	int	n;

	n = snprintf(line, sizeof line, "ttyhubd: %s\r\n", why);
	if (n > 0) {
		(void)!write(wfd, line, (size_t)n);
	}
	close(rfd);
	if (wfd != rfd) {
		close(wfd);
	}
}

int
session_start(struct server *srv, struct login_svc *svc, int rfd, int wfd,
    const struct sockaddr *peer, socklen_t peerlen)
{
	struct session	*s, *old;
	struct timeval	 tv;
	int		 one = 1;

	if (srv->nsessions >= srv->max_sessions) {
		log_rate_warn(&srv->lr_sessions, "refused a connection: %u "
		    "sessions already", srv->nsessions);
		session_refuse(rfd, wfd, "too many sessions, try again later");
		return -1;
	}
	if (srv->npending >= srv->max_pending) {
		/* Idle sockets must not lock out real users: drop the
		 * oldest connection that has not finished negotiating. */
		TAILQ_FOREACH(old, &srv->sessions, entry) {
			if (old->state == SESSION_NEGOTIATING) {
				session_close(old, "dropped: too many "
				    "connections still negotiating");
				break;
			}
		}
	}
	if ((s = calloc(1, sizeof *s)) == NULL) {
		session_refuse(rfd, wfd, "out of memory");
		return -1;
	}
	s->srv = srv;
	s->svc = svc;
	login_hold(svc);
	s->rfd = rfd;
	s->wfd = wfd;
	s->pty = -1;
	s->pid = -1;
	session_peer_name(s, peer, peerlen);
	TAILQ_INSERT_TAIL(&srv->sessions, s, entry);
	srv->nsessions++;
	srv->npending++;

	(void)setsockopt(wfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	(void)setsockopt(wfd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);

	s->to_net = evbuffer_new();
	s->to_pty = evbuffer_new();
	s->tn = tn_new(&session_tn_ops, s, svc->accept_env);
	s->net_rd = event_new(srv->base, rfd, EV_READ | EV_PERSIST,
	    session_net_read, s);
	s->net_wr = event_new(srv->base, wfd, EV_WRITE | EV_PERSIST,
	    session_net_write, s);
	s->timer = evtimer_new(srv->base, session_timer, s);
	if (s->to_net == NULL || s->to_pty == NULL || s->tn == NULL ||
	    s->net_rd == NULL || s->net_wr == NULL || s->timer == NULL) {
		session_close(s, "out of memory");
		return -1;
	}
	log_info("%s: connected", s->peer);

	tn_start(s->tn);
	if (svc->issue_len > 0) {
		session_queue_net(s, svc->issue, svc->issue_len, 0);
	}
	tv.tv_sec = srv->negotiate_ms / 1000;
	tv.tv_usec = (srv->negotiate_ms % 1000) * 1000;
	evtimer_add(s->timer, &tv);
	if (session_flush_net(s) == -1) {
		session_close(s, "peer write failed");
		return -1;
	}
	session_events(s);
	return 0;
}

/* Called when the pty exists, to add its events. */
static void
session_pty_events_new(struct session *s)
{
	s->pty_rd = event_new(s->srv->base, s->pty, EV_READ | EV_PERSIST,
	    session_pty_read, s);
	s->pty_wr = event_new(s->srv->base, s->pty, EV_WRITE | EV_PERSIST,
	    session_pty_write, s);
}

static void
session_close(struct session *s, const char *why)
{
	struct server	*srv = s->srv;

	if (why != NULL) {
		log_info("%s: closed: %s", s->peer, why);
	} else {
		log_info("%s: closed", s->peer);
	}
	if (s->state == SESSION_NEGOTIATING) {
		srv->npending--;
	}
	if (s->pid > 0) {
		/* Closing the master hangs the session up (SIGHUP). */
		proc_forget(s->pid);
	}
	if (s->net_rd != NULL) {
		event_free(s->net_rd);
	}
	if (s->net_wr != NULL) {
		event_free(s->net_wr);
	}
	if (s->pty_rd != NULL) {
		event_free(s->pty_rd);
	}
	if (s->pty_wr != NULL) {
		event_free(s->pty_wr);
	}
	if (s->timer != NULL) {
		event_free(s->timer);
	}
	if (s->pty != -1) {
		close(s->pty);
	}
	close(s->rfd);
	if (s->wfd != s->rfd) {
		close(s->wfd);
	}
	if (s->to_net != NULL) {
		evbuffer_free(s->to_net);
	}
	if (s->to_pty != NULL) {
		evbuffer_free(s->to_pty);
	}
	tn_free(s->tn);
	login_release(s->svc);		/* after tn: it borrows accept_env */
	TAILQ_REMOVE(&srv->sessions, s, entry);
	srv->nsessions--;
	free(s);
	if (srv->inetd) {
		event_base_loopexit(srv->base, NULL);
	}
}

void
session_close_all(struct server *srv)
{
	struct session	*s;

	while ((s = TAILQ_FIRST(&srv->sessions)) != NULL) {
		session_close(s, "shutting down");
	}
}
