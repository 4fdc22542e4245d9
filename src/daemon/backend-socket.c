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

#include <stddef.h>	/* libtelnet.h needs it first */
#include <libtelnet.h>

#include "backend.h"
#include "config.h"
#include "console.h"
#include "server.h"

struct backend_socket {
	/* The inotify watch on a unix socket's directory, while it is away. */
	int		 ino;		/* inotify fd, or -1 */
	struct event	*ev;
	char		 name[NAME_MAX + 1];	/* the socket's basename */

	/* telnet = yes: the peer's side of the wire, per connection. */
	telnet_t	*tn;
	uint8_t		*out;		/* decode: where output goes */
	size_t		 outlen;
	const char	*failed;	/* the peer broke the protocol */
	int		 naws_ok;	/* it said DO NAWS */
	int		 bin_out;	/* it said DO BINARY */
	unsigned	 cols, rows;	/* the writer's, for NAWS */
};

/* What we take from a Telnet peer, and offer it (see backend_socket_open). */
static const telnet_telopt_t backend_socket_telopts[] = {
	{ TELNET_TELOPT_ECHO,		TELNET_WONT,	TELNET_DO },
	{ TELNET_TELOPT_SGA,		TELNET_WILL,	TELNET_DO },
	{ TELNET_TELOPT_BINARY,		TELNET_WILL,	TELNET_DO },
	{ TELNET_TELOPT_NAWS,		TELNET_WILL,	TELNET_DONT },
	{ -1, 0, 0 }
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
	if (bs->tn != NULL) {
		telnet_free(bs->tn);
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
	    (bs->ev = event_new(b->con->srv->base, bs->ino,
	    EV_READ | EV_PERSIST, backend_socket_inotify, b)) == NULL ||
	    event_add(bs->ev, NULL) == -1) {
		backend_socket_unwatch(b);
	}
}

/* Telnet peers (telnet = yes): terminal servers, QEMU's telnet=on. */

static void
backend_socket_naws(struct backend_socket *bs)
{
	uint8_t	sz[4];

	if (bs->tn == NULL || !bs->naws_ok || bs->cols == 0 || bs->rows == 0) {
		return;
	}
	sz[0] = (uint8_t)(bs->cols >> 8);
	sz[1] = (uint8_t)bs->cols;
	sz[2] = (uint8_t)(bs->rows >> 8);
	sz[3] = (uint8_t)bs->rows;
	telnet_subnegotiation(bs->tn, TELNET_TELOPT_NAWS, (const char *)sz,
	    sizeof sz);
}

static void
backend_socket_tn_event(telnet_t *t, telnet_event_t *ev, void *arg)
{
	struct backend		*b = arg;
	struct backend_socket	*bs = b->priv;

	(void)t;
	switch (ev->type) {
	case TELNET_EV_DATA:
		/*
		 * Decoding only shrinks, and libtelnet hands over slices of
		 * the buffer being decoded in order, so output written at
		 * out + outlen never overtakes what is still to be read.
		 */
		if (bs->out != NULL) {
			memmove(bs->out + bs->outlen, ev->data.buffer,
			    ev->data.size);
			bs->outlen += ev->data.size;
		}
		break;
	case TELNET_EV_SEND:
		console_backend_send(b->con, ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_DO:
		if (ev->neg.telopt == TELNET_TELOPT_NAWS) {
			bs->naws_ok = 1;
			backend_socket_naws(bs);
		} else if (ev->neg.telopt == TELNET_TELOPT_BINARY) {
			bs->bin_out = 1;
		}
		break;
	case TELNET_EV_DONT:
		if (ev->neg.telopt == TELNET_TELOPT_NAWS) {
			bs->naws_ok = 0;
		} else if (ev->neg.telopt == TELNET_TELOPT_BINARY) {
			bs->bin_out = 0;
		}
		break;
	case TELNET_EV_COMPRESS:
		/* Never negotiated: libtelnet would inflate what follows. */
		bs->failed = "the Telnet peer started compression";
		break;
	case TELNET_EV_ERROR:
		bs->failed = "Telnet protocol error";
		break;
	default:
		break;
	}
}

static size_t
backend_socket_decode(struct backend *b, uint8_t *buf, size_t len)
{
	struct backend_socket	*bs = b->priv;

	if (bs == NULL || bs->tn == NULL) {
		return len;
	}
	bs->out = buf;
	bs->outlen = 0;
	telnet_recv(bs->tn, (const char *)buf, len);
	bs->out = NULL;
	return bs->failed != NULL ? BACKEND_DECODE_FAIL : bs->outlen;
}

static void
backend_socket_encode(struct backend *b, const uint8_t *buf, size_t len)
{
	struct backend_socket	*bs = b->priv;
	static const char	 crnul[2] = { '\r', '\0' };
	const uint8_t		*cr;

	if (bs == NULL || bs->tn == NULL) {
		console_backend_send(b->con, buf, len);
		return;
	}
	/* NVT: a bare CR goes as CR NUL unless the peer takes binary. */
	while (len > 0 && !bs->bin_out &&
	    (cr = memchr(buf, '\r', len)) != NULL) {
		telnet_send(bs->tn, (const char *)buf, (size_t)(cr - buf));
		telnet_send(bs->tn, crnul, sizeof crnul);
		len -= (size_t)(cr - buf) + 1;
		buf = cr + 1;
	}
	if (len > 0) {
		telnet_send(bs->tn, (const char *)buf, len);
	}
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
	telnet_iac(bs->tn, TELNET_BREAK);
	return 0;
}

static void
backend_socket_winsize(struct backend *b, unsigned cols, unsigned rows)
{
	struct backend_socket	*bs = b->priv;

	if (bs == NULL) {
		return;
	}
	bs->cols = cols > 0xffff ? 0xffff : cols;
	bs->rows = rows > 0xffff ? 0xffff : rows;
	backend_socket_naws(bs);
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
	if (bs->tn != NULL) {
		telnet_free(bs->tn);
	}
	bs->failed = NULL;
	bs->naws_ok = bs->bin_out = 0;
	bs->tn = telnet_init(backend_socket_telopts, backend_socket_tn_event,
	    0, b);
	if (bs->tn == NULL) {
		return -1;
	}
	/* Ask for what a terminal wants; offer the window size. */
	telnet_negotiate(bs->tn, TELNET_DO, TELNET_TELOPT_SGA);
	telnet_negotiate(bs->tn, TELNET_DO, TELNET_TELOPT_ECHO);
	telnet_negotiate(bs->tn, TELNET_WILL, TELNET_TELOPT_NAWS);
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
	.decode = backend_socket_decode,
	.encode = backend_socket_encode,
};
