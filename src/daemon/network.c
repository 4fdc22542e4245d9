/*
 * network: a guest network's sockets around its switch.  See network.h.
 * This file is the network itself (made, kept across a reload, freed,
 * what ttyhub -l shows of it), its stream listeners and its stream
 * ports; network-dgram.c holds its datagram sockets and network-port.c
 * the ports of both kinds (network-int.h).
 *
 * Frames in: a stream port is read a buffer at a time into frame_rd,
 * which hands out each whole frame where it lies.  Every frame goes
 * through sw_input, and into the capture (net_port_input).
 *
 * Frames out: after each read, the ports whose queues went from empty to
 * not empty (sw_ready) are written at once; what their sockets do not
 * take waits for their write event.  A stream port writes a run of
 * queued frames in one writev.
 *
 * Nothing here waits: a port whose queue is full loses the new frame
 * (counted by the switch), and its socket's state never delays another
 * port.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "listener.h"
#include "log.h"
#include "netcap.h"
#include "network.h"
#include "network-int.h"
#include "server.h"
#include "../net/frame.h"
#include "../net/sw.h"

#define NET_READ_MAX	(64 * 1024)	/* a stream port's read */
#define NET_TICK_MS	1000		/* ageing */
#define NET_KEEPIDLE	60		/* s: TCP ports, a dead host */
#define NET_KEEPINTVL	10
#define NET_KEEPCNT	6

/* One read buffer for every stream port: the loop has one thread. */
static uint8_t	net_rbuf[NET_READ_MAX];

/* Stream ports. */

static void
net_stream_write(struct net_port *p)
{
	struct network	*net = p->net;
	struct iovec	 iov[2];
	ssize_t		 w;
	int		 n;

	for (;;) {
		if ((n = sw_peek(net->sw, p->id, iov)) == 0) {
			net_port_want_write(p, 0);
			return;
		}
		w = writev(p->fd, iov, n);
		if (w == -1 && errno == EINTR) {
			continue;
		}
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			net_port_want_write(p, 1);
			return;
		}
		if (w == -1) {
			net_port_close(p, 0, "gone (%s)", strerror(errno));
			return;
		}
		sw_sent(net->sw, p->id, (size_t)w);
	}
}

static void
net_stream_read(evutil_socket_t fd, short what, void *arg)
{
	struct net_port	*p = arg;
	struct network	*net = p->net;
	const uint8_t	*at = net_rbuf, *frame;
	size_t		 left, len;
	ssize_t		 n;
	uint64_t	 now;
	int		 r;

	(void)what;
	n = read(fd, net_rbuf, sizeof net_rbuf);
	if (n == -1 && (errno == EINTR || errno == EAGAIN ||
	    errno == EWOULDBLOCK)) {
		return;
	}
	if (n <= 0) {
		net_port_close(p, 0, n == 0 ? "left" : "gone (%s)",
		    strerror(errno));
		return;
	}
	now = net_port_now();
	left = (size_t)n;
	while ((r = frame_rd_next(&p->fr, &at, &left, &frame, &len)) == 1) {
		net_port_input(net, p, frame, len, now);
	}
	net_port_flush(net);
	if (r == -1 && p->fr.badlen == 0) {
		net_port_close(p, 1, "%s", p->fr.why);
	} else if (r == -1) {
		net_port_close(p, 1, "%s (%zu bytes)", p->fr.why,
		    p->fr.badlen);
	}
}

/* A guest connected to a stream address: a new port. */
static void
net_accept(void *arg, int fd, const struct sockaddr *sa, socklen_t salen,
    uint64_t via)
{
	struct net_listen	*nl = arg;
	struct network		*net = nl->net;
	struct net_port		*p;
	char			 peer[128];
	int			 one = 1, v;

	(void)via;
	net_port_peer(fd, sa, salen, peer, sizeof peer);
	if ((p = net_port_new(net, NET_STREAM, net_stream_write,
	    listener_name(nl->l), peer)) == NULL) {
		close(fd);
		return;
	}
	p->fd = fd;
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) {
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof one);
		(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one,
		    sizeof one);
		v = NET_KEEPIDLE;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v);
		v = NET_KEEPINTVL;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, sizeof v);
		v = NET_KEEPCNT;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof v);
	}
	if (frame_rd_init(&p->fr, net->frame_max) == -1 ||
	    (p->rd = event_new(net->srv->base, fd, EV_READ | EV_PERSIST,
	    net_stream_read, p)) == NULL ||
	    (p->wr = event_new(net->srv->base, fd, EV_WRITE | EV_PERSIST,
	    net_port_on_write, p)) == NULL) {
		net_port_close(p, 0, "out of memory");
		return;
	}
	event_add(p->rd, NULL);
	log_rate_info(&net->lr_join, "network %s: port %d: stream %s joined "
	    "on %s", net->name, p->id, p->peer, p->via);
}

/* Once a second: addresses and datagram senders not heard from go. */
static void
net_tick(evutil_socket_t fd, short what, void *arg)
{
	struct network	*net = arg;
	struct net_port	*p;
	uint64_t	 now = net_port_now(), age = net->cfg->dgram_ageing_ms;
	unsigned	 i;

	(void)fd;
	(void)what;
	sw_age(net->sw, now);
	if (age == 0) {
		return;
	}
	for (i = 0; i < net->cfg->max_ports; i++) {
		p = net->port[i];
		if (p != NULL && p->kind == NET_DGRAM &&
		    now - p->last_in >= age) {
			net_port_close(p, 0, "silent for %llu s: forgotten",
			    (unsigned long long)((now - p->last_in) / 1000));
		}
	}
}

/* The network. */

struct network *
network_new(struct server *srv, const struct cfg_network *cfg, char *err,
    size_t errlen)
{
	struct network	*net;
	struct sw_conf	 sc;
	struct timeval	 tv = { NET_TICK_MS / 1000, 0 };
	char		 why[300];
	size_t		 i;
	uint32_t	 nb;

	if ((net = calloc(1, sizeof *net)) == NULL) {
		snprintf(err, errlen, "network %s: out of memory", cfg->name);
		return NULL;
	}
	net->srv = srv;
	net->cfg = cfg;
	snprintf(net->name, sizeof net->name, "%s", cfg->name);
	for (i = 0; i < CFG_LISTEN_MAX; i++) {
		net->ds[i].fd = -1;
	}
	TAILQ_INSERT_TAIL(&srv->networks, net, entry);

	sw_conf_default(&sc);
	sc.ports = cfg->max_ports;
	sc.macs = cfg->max_macs;
	sc.age_ms = cfg->ageing_ms;
	sc.frame_max = net->frame_max = frame_max(cfg->mtu);
	sc.qbytes = cfg->queue;
	sc.qframes = cfg->queue_frames;
	sc.hub = cfg->hub;
	arc4random_buf(&sc.seed, sizeof sc.seed);
	for (nb = 16; nb < cfg->max_ports; nb *= 2) {
		/* nothing */
	}
	net->bmask = nb - 1;
	if ((net->sw = sw_new(&sc)) == NULL ||
	    (net->port = calloc(cfg->max_ports, sizeof *net->port)) == NULL ||
	    (net->bucket = calloc(nb, sizeof *net->bucket)) == NULL ||
	    (cfg->ndgram > 0 && (net->dbuf = malloc(NET_BATCH *
	    (net->frame_max + 1))) == NULL) ||
	    (net->tick = event_new(srv->base, -1, EV_PERSIST, net_tick,
	    net)) == NULL) {
		snprintf(err, errlen, "network %s: out of memory", cfg->name);
		network_free(net);
		return NULL;
	}
	if (cfg->pcap != NULL && (net->cap = netcap_open(srv->base,
	    cfg->pcap, cfg->pcap_size, net->frame_max, cfg->name, why,
	    sizeof why)) == NULL) {
		snprintf(err, errlen, "network %s: %s", cfg->name, why);
		network_free(net);
		return NULL;
	}
	for (i = 0; i < cfg->nstream; i++) {
		net->ls[i].net = net;
		if ((net->ls[i].l = listener_open(srv, &cfg->stream[i],
		    net_accept, &net->ls[i], why, sizeof why)) == NULL) {
			snprintf(err, errlen, "network %s: %s", cfg->name, why);
			network_free(net);
			return NULL;
		}
		net->nls++;
		log_info("network %s: stream ports on %s", cfg->name,
		    listener_name(net->ls[i].l));
	}
	for (i = 0; i < cfg->ndgram; i++) {
		net->nds++;
		if (net_dgram_open(net, &net->ds[i], &cfg->dgram[i], why,
		    sizeof why) == -1) {
			snprintf(err, errlen, "network %s: %s", cfg->name, why);
			network_free(net);
			return NULL;
		}
		log_info("network %s: dgram ports on %s", cfg->name,
		    net->ds[i].name);
	}
	event_add(net->tick, &tv);
	return net;
}

void
network_free(struct network *net)
{
	size_t	i;

	if (net == NULL) {
		return;
	}
	for (i = 0; net->port != NULL && i < net->cfg->max_ports; i++) {
		if (net->port[i] != NULL) {
			net_port_free(net->port[i]);
		}
	}
	for (i = 0; i < net->nls; i++) {
		listener_free(net->ls[i].l);
	}
	for (i = 0; i < net->nds; i++) {
		net_dgram_close(&net->ds[i]);
	}
	netcap_close(net->cap);
	if (net->tick != NULL) {
		event_free(net->tick);
	}
	log_rate_flush(&net->lr_join);
	log_rate_flush(&net->lr_bad);
	log_rate_flush(&net->lr_full);
	TAILQ_REMOVE(&net->srv->networks, net, entry);
	sw_free(net->sw);
	free(net->port);
	free(net->bucket);
	free(net->dbuf);
	free(net);
}

void
network_adopt(struct network *net, const struct cfg_network *cfg)
{
	net->cfg = cfg;
}

const struct cfg_network *
network_cfg(const struct network *net)
{
	return net->cfg;
}

const char *
network_name(const struct network *net)
{
	return net->name;
}

struct network *
network_find(struct server *srv, const char *name)
{
	struct network	*net;

	TAILQ_FOREACH(net, &srv->networks, entry) {
		if (strcmp(net->name, name) == 0) {
			return net;
		}
	}
	return NULL;
}

struct network *
network_next(struct server *srv, struct network *net)
{
	return net == NULL ? TAILQ_FIRST(&srv->networks) :
	    TAILQ_NEXT(net, entry);
}

void
network_reopen_captures(struct server *srv)
{
	struct network	*net;

	TAILQ_FOREACH(net, &srv->networks, entry) {
		if (net->cap != NULL) {
			netcap_reopen(net->cap);
		}
	}
}

void
network_info(const struct network *net, struct network_info *ni)
{
	struct sw_stats	st;
	unsigned	i;

	memset(ni, 0, sizeof *ni);
	ni->name = net->name;
	ni->mode = net->cfg->hub ? "hub" : "switch";
	ni->ports = net->nports;
	ni->macs = net->sw->fdb.n;
	ni->frames = net->frames;
	ni->bytes = net->bytes;
	ni->drops = net->drops_gone;
	ni->bad = net->bad;
	for (i = 0; i < net->cfg->max_ports; i++) {
		if (net->port[i] != NULL) {
			sw_stats(net->sw, (int)i, &st);
			ni->drops += st.qdrops + st.txerr;
		}
	}
	if (net->cap != NULL) {
		ni->pcap = net->cfg->pcap;
		ni->captured = netcap_frames(net->cap);
		ni->missed = netcap_missed(net->cap);
	}
}

int
network_port(const struct network *net, size_t at,
    struct network_port_info *pi, char *macs, size_t len)
{
	const struct net_port	*p = NULL;
	const struct fdb_ent	*e;
	struct sw_stats		 st;
	int32_t			 cur = -1;
	size_t			 i, n = 0, used = 0;
	uint64_t		 now = net_port_now();

	for (i = 0; i < net->cfg->max_ports; i++) {
		if (net->port[i] != NULL && n++ == at) {
			p = net->port[i];
			break;
		}
	}
	if (p == NULL) {
		return 0;
	}
	sw_stats(net->sw, p->id, &st);
	memset(pi, 0, sizeof *pi);
	pi->id = p->id;
	pi->kind = p->kind == NET_STREAM ? "stream" : "dgram";
	pi->via = p->via;
	pi->peer = p->peer;
	pi->frames_in = st.frames_in;
	pi->bytes_in = st.bytes_in;
	pi->frames_out = st.frames_out;
	pi->bytes_out = st.bytes_out;
	pi->drops = st.qdrops + st.txerr;
	pi->queued = (unsigned)st.qframes;
	pi->macs = st.macs;
	pi->age_ms = now - p->since;
	macs[0] = '\0';
	while ((e = fdb_walk(&net->sw->fdb, &cur)) != NULL) {
		if (e->port != p->id || fdb_lookup(&net->sw->fdb, e->mac,
		    now) != p->id) {
			continue;
		}
		if (used + 18 + 4 >= len) {
			snprintf(macs + used, len - used, "%s...",
			    used > 0 ? "," : "");
			break;
		}
		used += (size_t)snprintf(macs + used, len - used,
		    "%s%02x:%02x:%02x:%02x:%02x:%02x", used > 0 ? "," : "",
		    e->mac[0], e->mac[1], e->mac[2], e->mac[3], e->mac[4],
		    e->mac[5]);
	}
	return 1;
}
