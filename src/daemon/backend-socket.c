/*
 * backend-socket: a console whose terminal is a stream socket served by
 * someone else, above all QEMU's `-chardev socket,server=on,wait=off` for
 * a guest's serial port or virtconsole (unix), or a terminal server's TCP
 * port.  Connects without blocking and reconnects with capped, jittered
 * exponential back-off while the peer is away.  For a unix socket the
 * directory is also watched with inotify while it is away, so a guest that
 * comes back after minutes is reattached at once, not at the next back-off
 * step (which may be 30 s away).
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
#include "console.h"
#include "server.h"

/* The inotify watch on a unix socket's directory, while it is away. */
struct backend_socket {
	int		 ino;		/* inotify fd, or -1 */
	struct event	*ev;
	char		 name[NAME_MAX + 1];	/* the socket's basename */
};

static void
backend_socket_unwatch(struct backend *b)
{
	struct backend_socket	*bs = b->priv;

	if (bs == NULL) {
		return;
	}
	if (bs->ev != NULL) {
		event_free(bs->ev);
	}
	if (bs->ino != -1) {
		close(bs->ino);
	}
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
		console_backend_retry_soon(b->con);
	}
}

/* Watch the directory of a unix socket that is not there (yet). */
static void
backend_socket_watch(struct backend *b)
{
	struct backend_socket	*bs;
	char			 dir[PATH_MAX], base[PATH_MAX];

	if (b->priv != NULL || b->cfg->type != CFG_BACKEND_UNIX ||
	    strlen(b->cfg->path) >= sizeof dir) {
		return;
	}
	if ((bs = calloc(1, sizeof *bs)) == NULL) {
		return;		/* back-off alone still works */
	}
	memcpy(dir, b->cfg->path, strlen(b->cfg->path) + 1);
	memcpy(base, b->cfg->path, strlen(b->cfg->path) + 1);
	snprintf(bs->name, sizeof bs->name, "%s", basename(base));
	bs->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	b->priv = bs;
	if (bs->ino == -1 || inotify_add_watch(bs->ino, dirname(dir),
	    IN_CREATE | IN_MOVED_TO | IN_ATTRIB) == -1 ||
	    (bs->ev = event_new(b->con->srv->base, bs->ino,
	    EV_READ | EV_PERSIST, backend_socket_inotify, b)) == NULL ||
	    event_add(bs->ev, NULL) == -1) {
		backend_socket_unwatch(b);
	}
}

static enum backend_open
backend_socket_connect(struct backend *b, const struct sockaddr *sa,
    socklen_t len, char *why, size_t whylen)
{
	int	fd, one = 1;

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
	if (connect(fd, sa, len) == 0) {
		b->fd = fd;
		return BACKEND_OPEN_UP;
	}
	if (errno == EINPROGRESS) {
		b->fd = fd;
		return BACKEND_OPEN_PENDING;
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
	.free = backend_socket_unwatch,
};
