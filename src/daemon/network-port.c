/*
 * network-port: a network's ports, stream and datagram alike: made as a
 * switch port, fed frames (net_port_input), written through their kind's
 * own function when the switch queued something for them
 * (net_port_flush, their write events), and closed with the reason
 * logged, rate-limited per network, since a guest can repeat what closes
 * its port.  It calls nothing above it.  See network-int.h.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "netcap.h"
#include "network-int.h"
#include "../net/frame.h"
#include "../net/sw.h"

uint64_t
net_port_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
net_port_free(struct net_port *p)
{
	struct network	*net = p->net;
	struct net_port	**pp;
	struct sw_stats	 st;

	sw_stats(net->sw, p->id, &st);
	net->drops_gone += st.qdrops + st.txerr;
	sw_port_del(net->sw, p->id);
	net->port[p->id] = NULL;
	net->nports--;
	if (p->kind == NET_DGRAM) {
		for (pp = &net->bucket[p->hash & net->bmask]; *pp != NULL;
		    pp = &(*pp)->hnext) {
			if (*pp == p) {
				*pp = p->hnext;
				break;
			}
		}
	}
	if (p->rd != NULL) {
		event_free(p->rd);
	}
	if (p->wr != NULL) {
		event_free(p->wr);
	}
	if (p->retry != NULL) {
		event_free(p->retry);
	}
	if (p->fd != -1) {
		close(p->fd);
	}
	frame_rd_free(&p->fr);
	free(p);
}

/*
 * Close a port, saying why: bad (what it sent) as a warning, else as
 * news; both rate-limited, as a guest or any local process can repeat
 * them.
 */
void __attribute__((format(printf, 3, 4)))
net_port_close(struct net_port *p, int bad, const char *fmt, ...)
{
	struct network	*net = p->net;
	struct sw_stats	 st;
	char		 why[300];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	sw_stats(net->sw, p->id, &st);
	if (bad) {
		net->bad++;
		log_rate_warn(&net->lr_bad, "network %s: port %d (%s %s): "
		    "closed: %s", net->name, p->id, p->kind == NET_STREAM ?
		    "stream" : "dgram", p->peer, why);
	} else {
		log_rate_info(&net->lr_join, "network %s: port %d (%s %s): "
		    "%s; %llu frames in, %llu out, %llu dropped", net->name,
		    p->id, p->kind == NET_STREAM ? "stream" : "dgram", p->peer,
		    why, (unsigned long long)st.frames_in,
		    (unsigned long long)st.frames_out,
		    (unsigned long long)(st.qdrops + st.txerr));
	}
	net_port_free(p);
}

/* A new port of the switch, or NULL (refused, said). */
struct net_port *
net_port_new(struct network *net, enum net_kind kind,
    void (*write)(struct net_port *), const char *via, const char *peer)
{
	struct net_port	*p;
	int		 id;

	if ((id = sw_port_add(net->sw)) == -1) {
		log_rate_warn(&net->lr_full, "network %s: %s %s refused: all "
		    "%u ports in use (max-ports)", net->name,
		    kind == NET_STREAM ? "stream" : "dgram", peer,
		    net->cfg->max_ports);
		return NULL;
	}
	if ((p = calloc(1, sizeof *p)) == NULL) {
		sw_port_del(net->sw, id);
		log_rate_warn(&net->lr_full, "network %s: %s %s refused: out "
		    "of memory", net->name, kind == NET_STREAM ? "stream" :
		    "dgram", peer);
		return NULL;
	}
	p->net = net;
	p->id = id;
	p->kind = kind;
	p->write = write;
	p->fd = -1;
	p->via = via;
	snprintf(p->peer, sizeof p->peer, "%s", peer);
	p->since = p->last_in = net_port_now();
	net->port[id] = p;
	net->nports++;
	return p;
}

/* A frame from p: into the switch and the capture. */
void
net_port_input(struct network *net, struct net_port *p, const uint8_t *frame,
    size_t len, uint64_t now)
{
	if (sw_input(net->sw, p->id, frame, len, now) < 0) {
		return;		/* frame_check refused it: checked before */
	}
	net->frames++;
	net->bytes += len;
	p->last_in = now;
	if (net->cap != NULL) {
		netcap_frame(net->cap, frame, len);
	}
}

/* Start writing to every port that has something new to send. */
void
net_port_flush(struct network *net)
{
	int	id;

	while ((id = sw_ready(net->sw)) != -1) {
		if (net->port[id] != NULL) {
			net->port[id]->write(net->port[id]);
		}
	}
}

void
net_port_want_write(struct net_port *p, int on)
{
	if (on == p->wr_on) {
		return;
	}
	p->wr_on = on;
	if (on) {
		event_add(p->wr, NULL);
	} else {
		event_del(p->wr);
	}
}

void
net_port_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct net_port	*p = arg;

	(void)fd;
	(void)what;
	p->write(p);
}

/* "root (uid 0, pid 4242)" for a unix peer, "127.0.0.1 40312" for TCP. */
void
net_port_peer(int fd, const struct sockaddr *sa, socklen_t salen, char *buf,
    size_t len)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_un	*sun = (const struct sockaddr_un *)sa;
	struct ucred			 cred;
	socklen_t			 clen = sizeof cred;
	struct passwd			*pw;
	char				 host[INET6_ADDRSTRLEN], user[64];
	size_t				 n;

	if (sa->sa_family == AF_INET && salen >= sizeof *sin) {
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		snprintf(buf, len, "%s %u", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6 && salen >= sizeof *sin6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		snprintf(buf, len, "%s %u", host, ntohs(sin6->sin6_port));
	} else if (fd != -1 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred,
	    &clen) == 0) {
		pw = getpwuid(cred.uid);
		(void)log_safe(user, sizeof user, pw != NULL ? pw->pw_name :
		    "?", pw != NULL ? strlen(pw->pw_name) : 1);
		snprintf(buf, len, "%s (uid %ld, pid %ld)", user,
		    (long)cred.uid, (long)cred.pid);
	} else if (sa->sa_family == AF_UNIX &&
	    salen > offsetof(struct sockaddr_un, sun_path)) {
		n = salen - offsetof(struct sockaddr_un, sun_path);
		if (sun->sun_path[0] != '\0') {
			n = strnlen(sun->sun_path, n);
		}
		(void)log_safe(buf, len, sun->sun_path, n);
	} else {
		snprintf(buf, len, "unix peer");
	}
}
