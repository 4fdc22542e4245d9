/*
 * sw: an Ethernet switch of ports, as a [network] in ttyhubd is.  A frame
 * taken from a port is forwarded as a learning bridge does it (its source
 * address is learned; a frame to a learned unicast address goes to that
 * port alone, and one to a group or unknown address to every other port)
 * or, in hub mode, to every other port.  Each port has its own bounded
 * queue (fq) that its socket drains as it takes the bytes, so a port that
 * stops reading loses its own frames, counted, and costs the others
 * nothing.  No sockets, no loop, no clock: the caller gives the time as a
 * monotonic count of milliseconds, and moves the bytes.
 */
#ifndef TTYHUB_SW_H
#define TTYHUB_SW_H

#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

#include "fdb.h"
#include "fq.h"

#define SW_PORTS_DEFAULT	64
#define SW_QBYTES_DEFAULT	(512u * 1024)
#define SW_QFRAMES_DEFAULT	1024

struct sw_conf {
	unsigned	 ports;		/* the most ports at once */
	unsigned	 macs;		/* forwarding database entries */
	uint64_t	 age_ms;	/* forget a MAC not heard for this long
					   (0: never) */
	size_t		 frame_max;	/* the largest frame (frame_max(mtu)) */
	size_t		 qbytes;	/* each port's queue: bytes, 4 more
					   per frame for its length */
	unsigned	 qframes;	/* and frames */
	int		 hub;		/* forward every frame to every port */
	uint64_t	 seed;		/* random, for the fdb's hash */
};

/* A port's counters since it was added. */
struct sw_stats {
	uint64_t	 frames_in;	/* taken from its socket */
	uint64_t	 bytes_in;
	uint64_t	 frames_out;	/* wholly handed to its socket */
	uint64_t	 bytes_out;
	uint64_t	 queued;	/* frames put in its queue */
	uint64_t	 qdrops;	/* frames for it lost: queue full */
	uint64_t	 txerr;		/* frames its socket refused */
	uint64_t	 filtered;	/* from it, for an address on it */
	uint64_t	 bad;		/* from it, refused (frame_check) */
	uint64_t	 last_in;	/* now at its last frame in, or 0 */
	size_t		 qframes;	/* in its queue now */
	size_t		 qbytes;
	unsigned	 macs;		/* addresses learned on it now */
};

struct sw_port {
	int		 used;
	int		 ready;		/* on the ready list */
	struct fq	 q;
	struct sw_stats	 st;
};

struct sw {
	struct sw_conf	 conf;
	struct sw_port	*port;		/* conf.ports of them */
	int		*live;		/* the ports in use, in no order */
	unsigned	 nlive;
	int		*ready;		/* ports whose queue filled, FIFO */
	unsigned	 rhead, nready;
	struct fdb	 fdb;
	uint64_t	 flooded;	/* frames sent to every other port */
};

/*
 * A conf with the defaults: 64 ports, 4096 MACs aged out after 300 s,
 * MTU 1500, 512 KiB and 1024 frames per queue, switch mode.
 */
void		 sw_conf_default(struct sw_conf *c);

/*
 * A switch with no ports; returns NULL if out of memory or if the conf
 * cannot work (no ports, a queue too small for one largest frame).
 */
struct sw	*sw_new(const struct sw_conf *c);
void		 sw_free(struct sw *sw);

/*
 * Add a port: returns its number (the lowest free, from 0 to ports - 1),
 * or -1 if the switch is full or memory is short.  A number is reused
 * once its port is removed; nothing of the old port (queue, counters,
 * learned addresses) reaches the new one.
 */
int		 sw_port_add(struct sw *sw);

/* Remove a port: its queue is dropped and its addresses forgotten. */
void		 sw_port_del(struct sw *sw, int port);

/*
 * A frame taken from port at now.  Returns how many ports it was queued
 * for (0 when it was filtered or every destination was full), or -1
 * when it was refused because frame_check refuses it (counted as bad;
 * the caller, who should have checked, decides what to do with the
 * port) or the port does not exist.  The frame is copied; the caller
 * keeps it.
 */
int		 sw_input(struct sw *sw, int port, const uint8_t *frame,
		    size_t len, uint64_t now);

/*
 * The next port whose queue went from empty to not empty since it was
 * last returned here, or -1: the ports to start writing to.
 */
int		 sw_ready(struct sw *sw);

/*
 * A stream port's queued bytes, wire format (lengths included), as at
 * most two iovecs; after a write, sw_sent with the bytes it took.
 */
int		 sw_peek(const struct sw *sw, int port, struct iovec iov[2]);
void		 sw_sent(struct sw *sw, int port, size_t n);

/*
 * A datagram port's next frame as at most two iovecs; then sw_next, with
 * sent 1 when it went out and 0 when its socket refused it for good
 * (counted as txerr).
 */
int		 sw_peek_frame(const struct sw *sw, int port,
		    struct iovec iov[2]);
void		 sw_next(struct sw *sw, int port, int sent);

/* Forget addresses older than the ageing time (sw_input does it too). */
void		 sw_age(struct sw *sw, uint64_t now);

/* A port's counters, with its queue and learned addresses as they are. */
void		 sw_stats(const struct sw *sw, int port, struct sw_stats *st);

#endif
