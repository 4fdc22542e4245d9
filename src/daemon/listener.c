/*
 * listener: accept connections without ever blocking or spinning.
 *
 * A listener only accepts: it hands each connection to the callback its
 * owner gave it (hub.c for login services, consoles and the broker;
 * ttyhubd.c for the command line's login listener; backend-vhost.c for
 * a device's socket), and knows nothing of what they become.  Up to a
 * batch of connections is taken per wakeup.  When the process or the
 * system is out of file descriptors the listener pauses for a second
 * instead of spinning on a readable socket it cannot accept from.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "listener.h"
#include "log.h"
#include "server.h"
#include "systemd.h"

#define LISTENER_BATCH	64

struct listener {
	struct server		*srv;
	uint64_t		 id;		/* for its connections: conn.h */
	int			 fd;
	struct event		*ev;
	struct event		*pause;
	listener_cb		 cb;
	void			*arg;
	char			*unix_path;	/* ours to remove */
	int			 passed;	/* by systemd: given back */
	char			 name[160];
};

int
listener_bind(const char *host, unsigned port, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	int			 fd, one = 1, zero = 0;
	const char		*what = host != NULL ? host : "*";

	memset(&ss, 0, sizeof ss);
	if (host == NULL) {
		/* Every address: IPv6 with IPv4 mapped, or IPv4 alone. */
		fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd != -1) {
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
			    sizeof zero);
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = in6addr_any;
			sin6->sin6_port = htons((uint16_t)port);
			len = sizeof *sin6;
		} else {
			sin->sin_family = AF_INET;
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
			sin->sin_port = htons((uint16_t)port);
			len = sizeof *sin;
		}
	} else if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		len = sizeof *sin;
		fd = -1;
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		len = sizeof *sin6;
		fd = -1;
	} else {
		snprintf(err, errlen, "bad address \"%s\" (give a numeric "
		    "IPv4 or IPv6 address)", host);
		return -1;
	}
	if (fd == -1) {
		fd = socket(ss.ss_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		snprintf(err, errlen, "cannot bind %s port %u: %s", what, port,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (listen(fd, 1024) == -1) {
		snprintf(err, errlen, "cannot listen on %s port %u: %s", what,
		    port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void
listener_resume(evutil_socket_t fd, short what, void *arg)
{
	struct listener	*l = arg;

	(void)fd;
	(void)what;
	event_add(l->ev, NULL);
}

static void
listener_accept(evutil_socket_t fd, short what, void *arg)
{
	struct listener		*l = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	struct timeval		 tv = { 1, 0 };
	int			 c, i;

	(void)what;
	for (i = 0; i < LISTENER_BATCH; i++) {
		len = sizeof ss;
		c = accept4(fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c == -1) {
			switch (errno) {
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
				continue;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				log_warn("cannot accept: %s; pausing for 1 s",
				    strerror(errno));
				event_del(l->ev);
				evtimer_add(l->pause, &tv);
				return;
			default:
				return;	/* EAGAIN: done for now */
			}
		}
		l->cb(l->arg, c, (struct sockaddr *)&ss, len, l->id);
	}
}

int
listener_bind_unix(const char *path, mode_t mode, uid_t owner, gid_t group,
    char *err, size_t errlen)
{
	struct sockaddr_un	sun;
	struct stat		st;
	mode_t			old;
	int			fd, probe, r, e;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "unix socket path %s is too long (at "
		    "most %zu bytes)", path, sizeof sun.sun_path - 1);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket; "
			    "not replacing it", path);
			errno = EEXIST;
			return -1;
		}
		/* A socket nobody answers on is a dead daemon's: replace it. */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe != -1) {
			r = connect(probe, (struct sockaddr *)&sun, sizeof sun);
			close(probe);
			if (r == 0) {
				snprintf(err, errlen, "%s is in use by another "
				    "process", path);
				errno = EADDRINUSE;
				return -1;
			}
		}
		(void)unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* The socket is born with its final mode: no window for others. */
	old = umask(~mode & 0777);
	r = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	(void)umask(old);
	if (r == -1) {
		e = errno;
		snprintf(err, errlen, "cannot bind %s: %s", path, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	if ((owner != (uid_t)-1 || group != (gid_t)-1) &&
	    chown(path, owner, group) == -1) {
		e = errno;
		snprintf(err, errlen, "cannot set the owner of %s: %s", path,
		    strerror(e));
		(void)unlink(path);
		close(fd);
		errno = e;
		return -1;
	}
	if (listen(fd, 128) == -1) {
		e = errno;
		snprintf(err, errlen, "cannot listen on %s: %s", path,
		    strerror(e));
		(void)unlink(path);
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

struct listener *
listener_new(struct server *srv, int fd, listener_cb cb, void *arg)
{
	static uint64_t	 last_id;
	struct listener	*l;

	if ((l = calloc(1, sizeof *l)) == NULL) {
		return NULL;
	}
	l->srv = srv;
	l->id = ++last_id;
	l->fd = fd;
	l->cb = cb;
	l->arg = arg;
	snprintf(l->name, sizeof l->name, "fd %d", fd);
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	l->ev = event_new(srv->base, fd, EV_READ | EV_PERSIST, listener_accept,
	    l);
	l->pause = evtimer_new(srv->base, listener_resume, l);
	if (l->ev == NULL || l->pause == NULL) {
		listener_free(l);
		return NULL;
	}
	event_add(l->ev, NULL);
	return l;
}

struct listener *
listener_open(struct server *srv, const struct cfg_listen *how,
    listener_cb cb, void *arg, char *err, size_t errlen)
{
	struct listener	*l;
	const char	*sdname = "";
	int		 fd, passed;

	/* A socket the service manager passed: no bind, and no unlink. */
	passed = (fd = systemd_take(how, &sdname)) != -1;
	if (!passed && how->kind == CFG_LISTEN_UNIX) {
		fd = listener_bind_unix(how->path, how->mode, how->owner,
		    how->group, err, errlen);
	} else if (!passed) {
		fd = listener_bind(how->host, how->port, err, errlen);
	}
	if (fd == -1) {
		return NULL;
	}
	if ((l = listener_new(srv, fd, cb, arg)) == NULL) {
		snprintf(err, errlen, "out of memory");
		if (passed) {
			systemd_give_back(fd);
			return NULL;
		}
		if (how->kind == CFG_LISTEN_UNIX) {
			(void)unlink(how->path);
		}
		close(fd);
		return NULL;
	}
	l->passed = passed;
	if (how->kind == CFG_LISTEN_UNIX) {
		l->unix_path = passed ? NULL : strdup(how->path);
		snprintf(l->name, sizeof l->name, "%s", how->path);
	} else {
		snprintf(l->name, sizeof l->name, "%s port %u",
		    how->host != NULL ? how->host : "*", how->port);
	}
	if (passed) {
		snprintf(l->name + strlen(l->name), sizeof l->name -
		    strlen(l->name), " (passed by systemd%s%s)",
		    sdname[0] != '\0' ? ": " : "", sdname);
	}
	return l;
}

const char *
listener_name(const struct listener *l)
{
	return l->name;
}

uint64_t
listener_id(const struct listener *l)
{
	return l->id;
}

void
listener_free(struct listener *l)
{
	if (l == NULL) {
		return;
	}
	if (l->unix_path != NULL) {
		(void)unlink(l->unix_path);
		free(l->unix_path);
	}
	if (l->ev != NULL) {
		event_free(l->ev);
	}
	if (l->pause != NULL) {
		event_free(l->pause);
	}
	if (l->passed) {
		systemd_give_back(l->fd);
	} else {
		close(l->fd);
	}
	free(l);
}
