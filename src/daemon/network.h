/*
 * network: a [network NAME] section running: an Ethernet switch between
 * QEMU guests' socket netdevs, so that no guest is another's server.
 *
 * Every connection to one of its stream addresses is a port (QEMU's
 * -netdev stream and socket,connect=: frames behind a 4-byte length),
 * and so is every sender to one of its dgram addresses (-netdev dgram,
 * socket,udp=: a frame per datagram), learned from what it sends and
 * forgotten after dgram-ageing without a frame.  src/net/ decides where
 * each frame goes and holds each port's bounded queue; this file owns
 * the sockets, reads frames into the switch and writes each port's queue
 * as its socket takes it, so a port that stops reading loses its own
 * frames and slows no other.  A port that sends what no guest sends (a
 * bad length, a frame over the MTU) is closed with the reason logged.
 * hub.c opens and closes networks as the configuration says; listing.c
 * reads them for ttyhub -l and ttyhub net.
 */
#ifndef TTYHUB_NETWORK_H
#define TTYHUB_NETWORK_H

#include <stddef.h>
#include <stdint.h>

struct cfg_network;
struct network;
struct server;

/* A network as ttyhub net shows it. */
struct network_info {
	const char	*name;
	const char	*mode;		/* "switch" or "hub" */
	unsigned	 ports;
	unsigned	 macs;		/* addresses learned */
	uint64_t	 frames;	/* taken from ports since it started */
	uint64_t	 bytes;
	uint64_t	 drops;		/* queues full, sockets refusing */
	uint64_t	 bad;		/* ports closed for what they sent */
	const char	*pcap;		/* the capture's path, or NULL */
	uint64_t	 captured;
	uint64_t	 missed;	/* frames the capture left out */
};

/* One port. */
struct network_port_info {
	int		 id;		/* the switch's port number */
	const char	*kind;		/* "stream" or "dgram" */
	const char	*via;		/* the address it came to */
	const char	*peer;		/* who: "127.0.0.1 40312", a path,
					   "root (uid 0, pid 42)" */
	uint64_t	 frames_in, bytes_in;
	uint64_t	 frames_out, bytes_out;
	uint64_t	 drops;		/* frames for it lost: queue full,
					   socket refused */
	unsigned	 queued;	/* frames waiting for it now */
	unsigned	 macs;		/* addresses learned on it */
	uint64_t	 age_ms;	/* since it joined */
};

/*
 * Start a network: bind its addresses, open its capture.  Returns NULL
 * with a message in err, and nothing left open.
 */
struct network	*network_new(struct server *srv, const struct cfg_network *cfg,
		    char *err, size_t errlen);

/* Close every port and socket (shutdown, or removed from the file). */
void		 network_free(struct network *net);

/* SIGHUP, section unchanged: point at the new file's copy of it. */
void		 network_adopt(struct network *net,
		    const struct cfg_network *cfg);

const struct cfg_network *network_cfg(const struct network *net);
const char	*network_name(const struct network *net);
struct network	*network_find(struct server *srv, const char *name);
/* The networks in file order: the first, or the one after net. */
struct network	*network_next(struct server *srv, struct network *net);

/* SIGHUP, SIGUSR2: reopen every network's capture (rotation). */
void		 network_reopen_captures(struct server *srv);

void		 network_info(const struct network *net,
		    struct network_info *ni);
/*
 * The at'th port in port number order, from 0; 0 past the last one.
 * macs (len bytes) gets its learned addresses, comma-separated, cut with
 * ",..." when they do not fit.
 */
int		 network_port(const struct network *net, size_t at,
		    struct network_port_info *pi, char *macs, size_t len);

#endif
