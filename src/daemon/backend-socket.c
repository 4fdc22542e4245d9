/*
 * backend-socket: a console whose terminal is a stream socket served by
 * someone else, above all QEMU's `-chardev socket,server=on,wait=off` for
 * a guest's serial port or virtconsole (unix), or a terminal server's TCP
 * port.  Connects without blocking and reconnects with capped, jittered
 * exponential back-off while the peer is away.  For a unix socket the
 * directory is also watched with inotify while it is away, so a guest that
 * comes back after minutes is reattached at once, not at the next back-off
 * step (which may be 30 s away).  With telnet = yes the peer speaks
 * Telnet (terminal servers, QEMU's telnet=on): its output is decoded,
 * writers' bytes are escaped, BREAK is IAC BRK and the writer's window
 * size goes out as NAWS when the peer asks for it.
 */
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "backend.h"
#include "config.h"
#include "server.h"
#include "../telnet/tnc.h"

struct backend_socket {
	/* The inotify watch on a unix socket's directory, while it is away. */
	int		 ino;		/* inotify fd, or -1 */
	struct event	*ev;
	char		 name[NAME_MAX + 1];	/* the socket's basename */

	/* telnet = yes: our side of the peer's Telnet, per connection. */
	struct tnc	*tn;
	const char	*failed;	/* the peer broke the protocol */
	char		 why[160];	/* ... said for the console */
	unsigned	 cols, rows;	/* the writer's, for NAWS */
};

static struct backend_socket *
backend_socket_priv(struct backend *b)
{
	struct backend_socket	*bs = b->priv;

	if (bs == NULL && (bs = calloc(1, sizeof *bs)) != NULL) {
		bs->ino = -1;
		b->priv = bs;
	}
	return bs;
}

static void
backend_socket_unwatch(struct backend *b)
{
	struct backend_socket	*bs = b->priv;

	if (bs == NULL) {
		return;
	}
	if (bs->ev != NULL) {
		event_free(bs->ev);
		bs->ev = NULL;
	}
	if (bs->ino != -1) {
		close(bs->ino);
		bs->ino = -1;
	}
}

static void
backend_socket_free(struct backend *b)
{
	struct backend_socket	*bs = b->priv;

	if (bs == NULL) {
		return;
	}
	backend_socket_unwatch(b);
	tnc_free(bs->tn);
	free(bs);
	b->priv = NULL;
}

static void
backend_socket_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct backend			*b = arg;
	struct backend_socket		*bs = b->priv;
	char				 buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event	*ie;
	ssize_t				 n;
	char				*p;
	int				 hit = 0;

	(void)what;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (p = buf; p < buf + n; p += sizeof *ie + ie->len) {
			ie = (const struct inotify_event *)p;
			if (ie->len > 0 && strcmp(ie->name, bs->name) == 0) {
				hit = 1;
			}
		}
	}
	if (hit) {
		backend_retry_soon(b);
	}
}

/* Watch the directory of a unix socket that is not there (yet). */
static void
backend_socket_watch(struct backend *b)
{
	struct backend_socket	*bs;
	char			 dir[PATH_MAX], base[PATH_MAX];

	if (b->cfg->type != CFG_BACKEND_UNIX ||
	    strlen(b->cfg->path) >= sizeof dir) {
		return;
	}
	if ((bs = backend_socket_priv(b)) == NULL || bs->ino != -1) {
		return;		/* watching already, or back-off alone */
	}
	memcpy(dir, b->cfg->path, strlen(b->cfg->path) + 1);
	memcpy(base, b->cfg->path, strlen(b->cfg->path) + 1);
	snprintf(bs->name, sizeof bs->name, "%s", basename(base));
	bs->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (bs->ino == -1 || inotify_add_watch(bs->ino, dirname(dir),
	    IN_CREATE | IN_MOVED_TO | IN_ATTRIB) == -1 ||
	    (bs->ev = event_new(b->base, bs->ino,
	    EV_READ | EV_PERSIST, backend_socket_inotify, b)) == NULL ||
	    event_add(bs->ev, NULL) == -1) {
		backend_socket_unwatch(b);
	}
}

/* Telnet peers (telnet = yes): terminal servers, QEMU's telnet=on. */

static void
backend_socket_tn_send(void *arg, const uint8_t *buf, size_t len)
{
	struct backend	*b = arg;

	backend_send(b, buf, len);
}

static void
backend_socket_tn_fail(void *arg, const char *why)
{
	struct backend		*b = arg;
	struct backend_socket	*bs = b->priv;

	if (bs->failed == NULL) {
		bs->failed = why;
	}
}

/* No data callback: the output is decoded in place (tnc_decode). */
static const struct tnc_ops backend_socket_tn_ops = {
	.send = backend_socket_tn_send,
	.fail = backend_socket_tn_fail,
};

static size_t
backend_socket_decode(struct backend *b, uint8_t *buf, size_t len,
    int *broken)
{
	struct backend_socket	*bs = b->priv;
	size_t			 n;

	if (bs == NULL || bs->tn == NULL) {
		return len;
	}
	n = tnc_decode(bs->tn, buf, len);
	*broken = tnc_dead(bs->tn);
	return n;
}

/* Asked when the console goes down: a broken protocol says how. */
static const char *
backend_socket_reason(struct backend *b)
{
	struct backend_socket	*bs = b->priv;

	if (bs == NULL || bs->failed == NULL) {
		return NULL;
	}
	snprintf(bs->why, sizeof bs->why, "the Telnet peer broke the "
	    "protocol: %s", bs->failed);
	return bs->why;
}

static void
backend_socket_encode(struct backend *b, const uint8_t *buf, size_t len)
{
	struct backend_socket	*bs = b->priv;

	if (bs == NULL || bs->tn == NULL) {
		backend_send(b, buf, len);
		return;
	}
	tnc_send(bs->tn, buf, len);
}

static int
backend_socket_brk(struct backend *b, unsigned ms)
{
	struct backend_socket	*bs = b->priv;

	(void)ms;
	if (bs == NULL || bs->tn == NULL) {
		errno = ENOTSUP;
		return -1;
	}
	tnc_break(bs->tn);
	return 0;
}

static void
backend_socket_winsize(struct backend *b, unsigned cols, unsigned rows)
{
	struct backend_socket	*bs = b->priv;

	if (bs == NULL) {
		return;
	}
	bs->cols = cols;
	bs->rows = rows;
	if (bs->tn != NULL) {
		tnc_winsize(bs->tn, cols, rows);
	}
}

/* A new connection: a fresh Telnet state for it. */
static int
backend_socket_telnet_start(struct backend *b)
{
	struct backend_socket	*bs;

	if (!b->cfg->telnet) {
		return 0;
	}
	if ((bs = backend_socket_priv(b)) == NULL) {
		return -1;
	}
	tnc_free(bs->tn);
	bs->failed = NULL;
	if ((bs->tn = tnc_new(&backend_socket_tn_ops, b, 0, NULL)) == NULL) {
		return -1;
	}
	/* Ask for what a terminal wants; offer the window size. */
	tnc_winsize(bs->tn, bs->cols, bs->rows);
	tnc_do(bs->tn, TNC_OPT_SGA);
	tnc_do(bs->tn, TNC_OPT_ECHO);
	tnc_will(bs->tn, TNC_OPT_NAWS);
	return 0;
}

static enum backend_open
backend_socket_connect(struct backend *b, const struct sockaddr *sa,
    socklen_t len, char *why, size_t whylen)
{
	int	fd, one = 1, r;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return BACKEND_OPEN_FAIL;
	}
	if (sa->sa_family != AF_UNIX) {
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	}
	if ((r = connect(fd, sa, len)) == 0 || errno == EINPROGRESS) {
		b->fd = fd;
		if (backend_socket_telnet_start(b) == -1) {
			snprintf(why, whylen, "out of memory");
			close(fd);
			b->fd = -1;
			return BACKEND_OPEN_FAIL;
		}
		return r == 0 ? BACKEND_OPEN_UP : BACKEND_OPEN_PENDING;
	}
	snprintf(why, whylen, "cannot connect to %s: %s",
	    b->cfg->type == CFG_BACKEND_UNIX ? b->cfg->path : b->cfg->host,
	    strerror(errno));
	close(fd);
	return BACKEND_OPEN_FAIL;
}

static enum backend_open
backend_socket_open(struct backend *b, char *why, size_t whylen)
{
	const struct cfg_console	*cfg = b->cfg;
	struct sockaddr_un		 sun;
	struct addrinfo			 hints, *res = NULL;
	char				 port[8];
	enum backend_open		 r;
	int				 e;

	if (cfg->type == CFG_BACKEND_UNIX) {
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		if (strlen(cfg->path) >= sizeof sun.sun_path) {
			snprintf(why, whylen, "path %s is too long", cfg->path);
			return BACKEND_OPEN_FAIL;
		}
		memcpy(sun.sun_path, cfg->path, strlen(cfg->path) + 1);
		r = backend_socket_connect(b, (struct sockaddr *)&sun,
		    sizeof sun, why, whylen);
		if (r == BACKEND_OPEN_FAIL) {
			backend_socket_watch(b);
		} else {
			backend_socket_unwatch(b);
		}
		return r;
	}
	/*
	 * Numeric addresses resolve without a lookup.  A name needs DNS,
	 * which blocks: acceptable for a reconnect every few seconds, and
	 * said in ttyhub.conf(5) so people prefer numbers.
	 */
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%u", cfg->port);
	if ((e = getaddrinfo(cfg->host, port, &hints, &res)) != 0) {
		snprintf(why, whylen, "cannot resolve %s: %s", cfg->host,
		    gai_strerror(e));
		return BACKEND_OPEN_FAIL;
	}
	r = backend_socket_connect(b, res->ai_addr, res->ai_addrlen, why,
	    whylen);
	freeaddrinfo(res);
	return r;
}

static void
backend_socket_close(struct backend *b)
{
	if (b->fd != -1) {
		close(b->fd);
		b->fd = -1;
	}
}

static unsigned
backend_socket_retry_ms(struct backend *b, unsigned failures)
{
	(void)b;
	return backend_backoff_ms(failures);
}

const struct backend_ops backend_socket_ops = {
	.name = "socket",
	.open = backend_socket_open,
	.close = backend_socket_close,
	.retry_ms = backend_socket_retry_ms,
	.free = backend_socket_free,
	.brk = backend_socket_brk,
	.winsize = backend_socket_winsize,
	.reason = backend_socket_reason,
	.decode = backend_socket_decode,
	.encode = backend_socket_encode,
};
