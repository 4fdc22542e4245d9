/*
 * network-int: the insides of a running network, shared by its files and
 * no other: network.c (the network, its stream ports, the public side),
 * network-dgram.c (its datagram sockets and their senders) and
 * network-port.c (the ports of both kinds, below them).  Calls go one
 * way: network.c -> network-dgram.c -> network-port.c, and network.c ->
 * network-port.c; a port is written through its kind's own function.
 */
#ifndef TTYHUB_NETWORK_INT_H
#define TTYHUB_NETWORK_INT_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

#include "config.h"
#include "log.h"
#include "../net/frame.h"

struct event;
struct listener;
struct netcap;
struct server;
struct sw;

#define NET_BATCH	32		/* datagrams per recvmmsg */

enum net_kind {
	NET_STREAM,
	NET_DGRAM,
};

/* A stream address: each connection to it is a port. */
struct net_listen {
	struct network		*net;
	struct listener		*l;
};

/* A datagram address: each sender to it is a port. */
struct net_dsock {
	struct network		*net;
	int			 fd;
	int			 family;
	char			*path;		/* ours to remove */
	struct event		*rd;
	struct event		*wr;		/* a UDP port waits for room */
	int			 wr_on;
	char			 name[128];
};

struct net_port {
	struct network		*net;
	int			 id;		/* the switch's port number */
	enum net_kind		 kind;
	void			(*write)(struct net_port *);	/* its kind's */
	/*
	 * Stream: the connection.  Datagram: for a unix sender, a socket
	 * connected to it, which only writes; -1 for UDP, written through
	 * the datagram socket.
	 */
	int			 fd;
	struct event		*rd;		/* stream */
	struct event		*wr;
	int			 wr_on;
	struct event		*retry;		/* datagram: see net_dgram_full */
	struct frame_rd		 fr;		/* stream */
	struct net_dsock	*ds;		/* datagram */
	struct sockaddr_storage	 addr;		/* datagram: the sender */
	socklen_t		 alen;
	uint32_t		 hash;
	struct net_port		*hnext;		/* datagram: net->bucket */
	const char		*via;		/* the address it came to */
	char			 peer[128];
	uint64_t		 since;		/* ms */
	uint64_t		 last_in;	/* ms */
};

struct network {
	TAILQ_ENTRY(network)	 entry;		/* srv->networks */
	struct server		*srv;
	const struct cfg_network *cfg;
	char			 name[CFG_NAME_MAX + 1];
	struct sw		*sw;
	size_t			 frame_max;
	struct net_port		**port;		/* by number, max_ports */
	unsigned		 nports;
	struct net_port		**bucket;	/* datagram ports by sender */
	uint32_t		 bmask;
	struct net_listen	 ls[CFG_LISTEN_MAX];
	size_t			 nls;
	struct net_dsock	 ds[CFG_LISTEN_MAX];
	size_t			 nds;
	uint8_t			*dbuf;		/* NET_BATCH datagrams */
	struct netcap		*cap;
	struct event		*tick;
	uint64_t		 frames, bytes;	/* taken in */
	uint64_t		 drops_gone;	/* of ports since closed */
	uint64_t		 bad;		/* ports closed for it */
	struct log_rate		 lr_join;	/* ports come and go */
	struct log_rate		 lr_bad;	/* what closes a port */
	struct log_rate		 lr_full;	/* refused: no port free */
};

/* network-port.c */

/* Monotonic milliseconds: the network's clock. */
uint64_t	 net_port_now(void);
/* A new port of the switch, written by write, or NULL (refused, said). */
struct net_port	*net_port_new(struct network *net, enum net_kind kind,
		    void (*write)(struct net_port *), const char *via,
		    const char *peer);
/* Close a port, saying why (bad: what it sent, a warning). */
void		 net_port_close(struct net_port *p, int bad, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
/* Free a port without a word: the network goes. */
void		 net_port_free(struct net_port *p);
/* A frame from p: into the switch and the capture. */
void		 net_port_input(struct network *net, struct net_port *p,
		    const uint8_t *frame, size_t len, uint64_t now);
/* Start writing to every port that has something new to send. */
void		 net_port_flush(struct network *net);
void		 net_port_want_write(struct net_port *p, int on);
/* A port's write event (arg: the port). */
void		 net_port_on_write(evutil_socket_t fd, short what, void *arg);
/* The peer of fd (or, with fd -1, of sa) as the log names it. */
void		 net_port_peer(int fd, const struct sockaddr *sa,
		    socklen_t salen, char *buf, size_t len);

/* network-dgram.c */

/*
 * Bind a datagram address of net as how says and read it.  Returns 0, or
 * -1 with a message in err; ds is closed with net_dgram_close either way.
 */
int		 net_dgram_open(struct network *net, struct net_dsock *ds,
		    const struct cfg_listen *how, char *err, size_t errlen);
void		 net_dgram_close(struct net_dsock *ds);

#endif
