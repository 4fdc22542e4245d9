/*
 * network-dgram: a network's datagram sockets and the senders learned on
 * them as ports.  See network-int.h.
 *
 * Frames in: a datagram socket is read a batch of datagrams at a time
 * (recvmmsg), each one frame, and its sender found by address (a hash
 * of the address bytes) or made a port.
 *
 * Frames out: a datagram port sends a frame per sendmsg: for a unix
 * sender, through a socket of its own connected to the sender's
 * address, so that the kernel tells, per port, when that guest's queue
 * has room (a connected unix datagram socket polls writable only then)
 * and one guest that stops reading holds none of the network's socket
 * buffer; QEMU receives with recv() and does not care where a datagram
 * came from.  A sender whose socket is connected to the network's
 * address refuses datagrams from anywhere else (EPERM): that port is
 * written through the network's socket instead, and, as the kernel
 * cannot say when that guest has room, tried again a millisecond after
 * it had none.  A UDP sender is written to through the network's
 * socket, which a receiver does not hold up: UDP drops in the
 * receiver's buffer.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "network-int.h"
#include "server.h"
#include "../net/frame.h"
#include "../net/sw.h"

#define NET_RCVBUF	(1024 * 1024)	/* a datagram socket's */
#define NET_RETRY_US	1000		/* a full unix guest we cannot poll */

static void	net_dgram_write(struct net_port *);

static uint32_t
net_dgram_hash(const struct sockaddr_storage *a, socklen_t len)
{
	const uint8_t	*b = (const uint8_t *)a;
	uint32_t	 h = 2166136261U;
	socklen_t	 i;

	for (i = 0; i < len; i++) {
		h = (h ^ b[i]) * 16777619U;
	}
	return h;
}

/*
 * The address bytes that name a sender: the family and what follows, as
 * far as the family's own address goes (recvmmsg leaves the rest of the
 * storage as it was).
 */
static socklen_t
net_dgram_addr_len(const struct sockaddr_storage *a, socklen_t len)
{
	switch (a->ss_family) {
	case AF_INET:
		return len >= sizeof(struct sockaddr_in) ?
		    sizeof(struct sockaddr_in) : 0;
	case AF_INET6:
		return len >= sizeof(struct sockaddr_in6) ?
		    sizeof(struct sockaddr_in6) : 0;
	case AF_UNIX:
		/* Just the family: an unbound socket, nobody to answer. */
		return len > offsetof(struct sockaddr_un, sun_path) &&
		    len <= sizeof(struct sockaddr_un) ? len : 0;
	default:
		return 0;
	}
}

static struct net_port *
net_dgram_find(struct network *net, struct net_dsock *ds,
    const struct sockaddr_storage *a, socklen_t len, uint32_t h)
{
	struct net_port	*p;

	for (p = net->bucket[h & net->bmask]; p != NULL; p = p->hnext) {
		if (p->hash == h && p->ds == ds && p->alen == len &&
		    memcmp(&p->addr, a, len) == 0) {
			return p;
		}
	}
	return NULL;
}

/* A datagram port's own socket goes: it is written through the network's. */
static void
net_dgram_unconnect(struct net_port *p)
{
	if (p->fd != -1) {
		event_free(p->wr);
		p->wr = NULL;
		p->wr_on = 0;
		close(p->fd);
		p->fd = -1;
	}
}

/*
 * The unix socket a datagram port writes through, connected anew.
 * Returns -1 with errno set; EPERM when the guest's socket is connected
 * to the network's address and takes datagrams from there alone.
 */
static int
net_dgram_connect(struct net_port *p)
{
	int	fd, e;

	net_dgram_unconnect(p);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&p->addr, p->alen) == -1 ||
	    (p->wr = event_new(p->net->srv->base, fd, EV_WRITE | EV_PERSIST,
	    net_port_on_write, p)) == NULL) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	p->fd = fd;
	return 0;
}

static void
net_dgram_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	net_dgram_write(arg);
}

/*
 * A datagram port's guest has no room.  With a socket of its own, its
 * write event says when it has.  Written through the network's socket,
 * a UDP port waits for that socket's room (UDP does not wait for the
 * receiver); a unix one cannot be waited for at all (the socket polls
 * writable while this guest is full), so it is tried again shortly,
 * and given a socket of its own again if its guest now takes one (its
 * QEMU started again).
 */
static void
net_dgram_full(struct net_port *p)
{
	struct timeval	tv = { 0, NET_RETRY_US };

	if (p->fd != -1) {
		net_port_want_write(p, 1);
	} else if (p->ds->family == AF_UNIX && net_dgram_connect(p) == 0) {
		net_port_want_write(p, 1);	/* it may be polled again */
	} else if (p->ds->family != AF_UNIX) {
		if (!p->ds->wr_on) {
			p->ds->wr_on = 1;
			event_add(p->ds->wr, NULL);
		}
	} else if (p->retry != NULL ||
	    (p->retry = evtimer_new(p->net->srv->base, net_dgram_retry,
	    p)) != NULL) {
		evtimer_add(p->retry, &tv);
	}
}

static struct net_port *
net_dgram_add(struct network *net, struct net_dsock *ds,
    const struct sockaddr_storage *a, socklen_t len, uint32_t h)
{
	struct net_port	*p;
	char		 peer[128];
	int		 e;

	net_port_peer(-1, (const struct sockaddr *)a, len, peer, sizeof peer);
	if ((p = net_port_new(net, NET_DGRAM, net_dgram_write, ds->name,
	    peer)) == NULL) {
		return NULL;
	}
	p->ds = ds;
	memcpy(&p->addr, a, len);
	p->alen = len;
	p->hash = h;
	p->hnext = net->bucket[h & net->bmask];
	net->bucket[h & net->bmask] = p;
	if (ds->family == AF_UNIX && net_dgram_connect(p) == -1 &&
	    (e = errno) != EPERM) {
		net_port_close(p, 1, "cannot send to it: %s", strerror(e));
		return NULL;
	}
	log_rate_info(&net->lr_join, "network %s: port %d: dgram %s joined "
	    "on %s", net->name, p->id, p->peer, p->via);
	return p;
}

/* Send p's queued frames, one datagram each, as long as it takes them. */
static void
net_dgram_write(struct net_port *p)
{
	struct network	*net = p->net;
	struct iovec	 iov[2];
	struct msghdr	 msg;
	ssize_t		 w;
	int		 n, again = 0, e;

	for (;;) {
		if ((n = sw_peek_frame(net->sw, p->id, iov)) == 0) {
			if (p->fd != -1) {
				net_port_want_write(p, 0);
			}
			return;
		}
		memset(&msg, 0, sizeof msg);
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)n;
		if (p->fd == -1) {
			msg.msg_name = &p->addr;
			msg.msg_namelen = p->alen;
		}
		w = sendmsg(p->fd != -1 ? p->fd : p->ds->fd, &msg,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w >= 0) {
			sw_next(net->sw, p->id, 1);
			again = 0;
			continue;
		}
		e = errno;
		if (e == EINTR) {
			continue;
		}
		if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) {
			net_dgram_full(p);
			return;
		}
		if (p->fd != -1 && e == EPERM) {
			/*
			 * The guest's socket was connected to the network's
			 * address since: it takes datagrams from there alone.
			 */
			net_dgram_unconnect(p);
			continue;
		}
		if (p->fd != -1 && (e == ECONNREFUSED || e == ECONNRESET ||
		    e == ENOTCONN || e == ENOENT)) {
			/* Its QEMU may have bound the path again. */
			if (again || net_dgram_connect(p) == -1) {
				net_port_close(p, 0, "gone (%s)",
				    strerror(e));
				return;
			}
			again = 1;
			continue;
		}
		sw_next(net->sw, p->id, 0);	/* this frame: counted */
	}
}

/* The datagram socket has room: its UDP ports that wait go on. */
static void
net_dgram_room(evutil_socket_t fd, short what, void *arg)
{
	struct net_dsock	*ds = arg;
	struct network		*net = ds->net;
	struct net_port		*p;
	unsigned		 i;

	(void)fd;
	(void)what;
	ds->wr_on = 0;
	event_del(ds->wr);
	for (i = 0; i < net->cfg->max_ports && !ds->wr_on; i++) {
		p = net->port[i];
		if (p != NULL && p->ds == ds && p->fd == -1 &&
		    ds->family != AF_UNIX) {
			net_dgram_write(p);
		}
	}
}

/* One batch of datagrams, sent on: returns how many were read. */
static int
net_dgram_batch(struct net_dsock *ds)
{
	struct network		*net = ds->net;
	struct mmsghdr		 mm[NET_BATCH];
	struct iovec		 iov[NET_BATCH];
	struct sockaddr_storage	 from[NET_BATCH];
	struct net_port		*p;
	const char		*why;
	char			 peer[128];
	size_t			 bsz = net->frame_max + 1, len;
	socklen_t		 alen;
	uint32_t		 h;
	uint64_t		 now;
	int			 i, n;

	memset(mm, 0, sizeof mm);
	/* Written by recvmmsg, which gcc -fanalyzer cannot see. */
	memset(from, 0, sizeof from);
	for (i = 0; i < NET_BATCH; i++) {
		iov[i].iov_base = net->dbuf + (size_t)i * bsz;
		iov[i].iov_len = bsz;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = &from[i];
		mm[i].msg_hdr.msg_namelen = sizeof from[i];
	}
	/* MSG_TRUNC: a datagram cut short says how long it was. */
	n = recvmmsg(ds->fd, mm, NET_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (n <= 0) {
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR) {
			log_rate_warn(&net->lr_bad, "network %s: %s: %s",
			    net->name, ds->name, strerror(errno));
		}
		return 0;
	}
	now = net_port_now();
	for (i = 0; i < n; i++) {
		len = mm[i].msg_len;
		alen = net_dgram_addr_len(&from[i], mm[i].msg_hdr.msg_namelen);
		if (alen == 0) {
			net->bad++;
			log_rate_warn(&net->lr_bad, "network %s: %s: a datagram "
			    "from a sender without an address (an unbound "
			    "socket) dropped: it could not be answered",
			    net->name, ds->name);
			continue;
		}
		h = net_dgram_hash(&from[i], alen);
		p = net_dgram_find(net, ds, &from[i], alen, h);
		why = mm[i].msg_hdr.msg_flags & MSG_TRUNC ?
		    "a frame longer than the network's MTU allows" :
		    frame_check(len, net->frame_max);
		if (why != NULL) {
			if (p != NULL && len == 0) {
				net_port_close(p, 1, "%s", why);
			} else if (p != NULL) {
				net_port_close(p, 1, "%s (%zu bytes)", why,
				    len);
			} else {
				net->bad++;
				net_port_peer(-1, (struct sockaddr *)&from[i],
				    alen, peer, sizeof peer);
				log_rate_warn(&net->lr_bad, "network %s: dgram "
				    "%s: dropped %s (%zu bytes)", net->name,
				    peer, why, len);
			}
			continue;
		}
		if (p == NULL && (p = net_dgram_add(net, ds, &from[i], alen,
		    h)) == NULL) {
			continue;
		}
		net_port_input(net, p, net->dbuf + (size_t)i * bsz, len, now);
	}
	net_port_flush(net);
	return n;
}

static void
net_dgram_read(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)net_dgram_batch(arg);
}

/*
 * Bind a datagram address as how says: a unix socket born with its mode
 * (a stale one, that nobody holds, is replaced), or a UDP port.  Returns
 * the socket, or -1 with a message in err.
 */
static int
net_dgram_bind(const struct cfg_listen *how, int *family, char *err,
    size_t errlen)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_un	*sun = (struct sockaddr_un *)&ss;
	struct stat		 st;
	socklen_t		 len;
	mode_t			 old;
	int			 fd, probe, r, zero = 0, sz = NET_RCVBUF;

	memset(&ss, 0, sizeof ss);
	if (how->kind == CFG_LISTEN_UNIX) {
		sun->sun_family = AF_UNIX;
		if (strlen(how->path) >= sizeof sun->sun_path) {
			snprintf(err, errlen, "unix socket path %s is too long",
			    how->path);
			return -1;
		}
		memcpy(sun->sun_path, how->path, strlen(how->path) + 1);
		len = sizeof *sun;
		if (lstat(how->path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode)) {
				snprintf(err, errlen, "%s exists and is not a "
				    "socket; not replacing it", how->path);
				return -1;
			}
			probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (probe != -1) {
				r = connect(probe, (struct sockaddr *)sun, len);
				close(probe);
				if (r == 0) {
					snprintf(err, errlen, "%s is in use by "
					    "another process", how->path);
					return -1;
				}
			}
			(void)unlink(how->path);
		}
	} else if (how->host == NULL) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons((uint16_t)how->port);
		len = sizeof *sin6;
	} else if (inet_pton(AF_INET, how->host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)how->port);
		len = sizeof *sin;
	} else if (inet_pton(AF_INET6, how->host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)how->port);
		len = sizeof *sin6;
	} else {
		snprintf(err, errlen, "bad address \"%s\" (give a numeric IPv4 "
		    "or IPv6 address)", how->host);
		return -1;
	}
	*family = ss.ss_family;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (how->kind != CFG_LISTEN_UNIX && how->host == NULL) {
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
		    sizeof zero);
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	if (how->kind == CFG_LISTEN_UNIX) {
		/* Born with its final mode: no window for others. */
		old = umask(~how->mode & 0777);
		r = bind(fd, (struct sockaddr *)&ss, len);
		(void)umask(old);
	} else {
		r = bind(fd, (struct sockaddr *)&ss, len);
	}
	if (r == -1 && how->kind == CFG_LISTEN_UNIX) {
		snprintf(err, errlen, "cannot bind %s: %s", how->path,
		    strerror(errno));
	} else if (r == -1) {
		snprintf(err, errlen, "cannot bind udp %s port %u: %s",
		    how->host != NULL ? how->host : "*", how->port,
		    strerror(errno));
	}
	if (r == -1) {
		close(fd);
		return -1;
	}
	if (how->kind == CFG_LISTEN_UNIX && (how->owner != (uid_t)-1 ||
	    how->group != (gid_t)-1) &&
	    chown(how->path, how->owner, how->group) == -1) {
		snprintf(err, errlen, "cannot set the owner of %s: %s",
		    how->path, strerror(errno));
		(void)unlink(how->path);
		close(fd);
		return -1;
	}
	return fd;
}

int
net_dgram_open(struct network *net, struct net_dsock *ds,
    const struct cfg_listen *how, char *err, size_t errlen)
{
	ds->net = net;
	if ((ds->fd = net_dgram_bind(how, &ds->family, err, errlen)) == -1) {
		return -1;
	}
	if (how->kind == CFG_LISTEN_UNIX) {
		snprintf(ds->name, sizeof ds->name, "%s", how->path);
		if ((ds->path = strdup(how->path)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	} else {
		snprintf(ds->name, sizeof ds->name, "udp %s port %u",
		    how->host != NULL ? how->host : "*", how->port);
	}
	ds->rd = event_new(net->srv->base, ds->fd, EV_READ | EV_PERSIST,
	    net_dgram_read, ds);
	ds->wr = event_new(net->srv->base, ds->fd, EV_WRITE | EV_PERSIST,
	    net_dgram_room, ds);
	if (ds->rd == NULL || ds->wr == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	event_add(ds->rd, NULL);
	return 0;
}

void
net_dgram_close(struct net_dsock *ds)
{
	if (ds->rd != NULL) {
		event_free(ds->rd);
	}
	if (ds->wr != NULL) {
		event_free(ds->wr);
	}
	if (ds->fd != -1) {
		close(ds->fd);
	}
	if (ds->path != NULL) {
		(void)unlink(ds->path);
		free(ds->path);
	}
	memset(ds, 0, sizeof *ds);
	ds->fd = -1;
}
