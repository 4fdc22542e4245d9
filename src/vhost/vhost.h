/*
 * vhost: the backend's half of a vhost-user session (QEMU's
 * docs/interop/vhost-user.rst), for one frontend on one socket.  It
 * takes whole messages with the fds that came with them and answers
 * them: features, the memory table, ring setup and state, config space,
 * the backend channel.  It knows nothing of sockets or the event loop:
 * the daemon reads and writes the socket and watches the kick fds; a
 * fuzzer feeds it bytes and a pretend mmap.
 *
 * Anything a frontend sends that the spec does not allow, or that we did
 * not offer, ends the session (vhost_handle returns -1 and says why):
 * a frontend that gets a message wrong is not one to guess about.
 */
#ifndef TTYHUB_VHOST_H
#define TTYHUB_VHOST_H

#include <stddef.h>
#include <stdint.h>

#include "vq.h"

/*
 * Rings a frontend may set up: enough for a console of 16 ports (2 per
 * port and 2 for control).  A device uses ops->nrings of them; the rest
 * are kept as told and never walked, because a frontend may make more
 * than its guest uses: QEMU's generic device makes num_vqs of them, and
 * vhost-device-console's instructions say num_vqs=4 for one console.
 */
#define VHOST_RINGS_MAX		34
#define VHOST_PAYLOAD_MAX	(12 + 256)	/* config, the largest */
#define VHOST_HDR_SIZE		12
#define VHOST_FDS_MAX		8	/* per message, as QEMU sends */

/* Requests, frontend to backend. */
enum vhost_req {
	VHOST_GET_FEATURES = 1,
	VHOST_SET_FEATURES = 2,
	VHOST_SET_OWNER = 3,
	VHOST_RESET_OWNER = 4,
	VHOST_SET_MEM_TABLE = 5,
	VHOST_SET_VRING_NUM = 8,
	VHOST_SET_VRING_ADDR = 9,
	VHOST_SET_VRING_BASE = 10,
	VHOST_GET_VRING_BASE = 11,
	VHOST_SET_VRING_KICK = 12,
	VHOST_SET_VRING_CALL = 13,
	VHOST_SET_VRING_ERR = 14,
	VHOST_GET_PROTOCOL_FEATURES = 15,
	VHOST_SET_PROTOCOL_FEATURES = 16,
	VHOST_GET_QUEUE_NUM = 17,
	VHOST_SET_VRING_ENABLE = 18,
	VHOST_SET_BACKEND_REQ_FD = 21,
	VHOST_GET_CONFIG = 24,
	VHOST_SET_CONFIG = 25,
};

/* Backend to frontend, on the backend channel. */
#define VHOST_BACKEND_CONFIG_CHANGE_MSG	2

#define VHOST_FLAG_VERSION	0x1
#define VHOST_FLAG_REPLY	(1u << 2)
#define VHOST_FLAG_NEED_REPLY	(1u << 3)

/* Feature bits. */
#define VHOST_F_PROTOCOL_FEATURES	30
#define VHOST_F_VERSION_1		32
#define VHOST_PF_MQ			0
#define VHOST_PF_REPLY_ACK		3
#define VHOST_PF_BACKEND_REQ		5
#define VHOST_PF_CONFIG			9
#define VHOST_PROTOCOL_OFFERED	((1ull << VHOST_PF_MQ) | \
	(1ull << VHOST_PF_REPLY_ACK) | (1ull << VHOST_PF_BACKEND_REQ) | \
	(1ull << VHOST_PF_CONFIG))

#define VHOST_VRING_IDX_MASK	0xffu
#define VHOST_VRING_NOFD	(1u << 8)

struct vhost_msg {
	uint32_t	request;
	uint32_t	flags;
	uint32_t	size;
	uint8_t		payload[VHOST_PAYLOAD_MAX];
};

/* What the device and the daemon around the session provide. */
struct vhost_ops {
	uint64_t	 features;	/* the device's virtio features */
	unsigned	 nrings;	/* used; at most VHOST_RINGS_MAX */
	uint32_t	 config_size;

	/* Config space: 0, or -1 when the range is not the device's. */
	int		(*get_config)(void *arg, uint32_t off, uint8_t *buf,
			    uint32_t len);
	int		(*set_config)(void *arg, uint32_t off,
			    const uint8_t *buf, uint32_t len);

	/*
	 * A ring started, stopped, or got a new kick or call fd: look at
	 * vhost_ring_kick and vhost_vq again.
	 */
	void		(*ring_changed)(void *arg, unsigned idx);

	/* Map len bytes of fd shared (NULL on failure); and unmap. */
	void		*(*map)(void *arg, int fd, uint64_t len);
	void		(*unmap)(void *arg, void *p, uint64_t len);
};

struct vhost_ring {
	unsigned	 num;
	uint16_t	 base;
	uint64_t	 desc, avail, used;	/* the frontend's addresses */
	int		 kick, call, err;	/* -1: none */
	unsigned	 kick_gen;		/* counts kick changes */
	int		 started;		/* kick given, not stopped */
	int		 enabled;
	int		 running;		/* q is live */
	struct vq	 q;
};

struct vhost {
	const struct vhost_ops	*ops;
	void			*arg;
	uint64_t		 features;	/* acked */
	uint64_t		 protocol;	/* acked */
	struct vmem		 mem;
	void			*map[VMEM_REGIONS_MAX];
	uint64_t		 map_len[VMEM_REGIONS_MAX];
	struct vhost_ring	 ring[VHOST_RINGS_MAX];
	int			 backend_fd;	/* -1: no channel */
	char			 why[160];	/* why the session failed */
};

void		 vhost_init(struct vhost *v, const struct vhost_ops *ops,
		    void *arg);
/* Close every fd and mapping the session holds. */
void		 vhost_reset(struct vhost *v);

/*
 * Answer one message.  The session owns fds from here on (it keeps or
 * closes each).  Returns 1 with reply filled (send VHOST_HDR_SIZE +
 * reply->size bytes), 0 when there is nothing to send, -1 when the
 * session must end (v->why says why).
 */
int		 vhost_handle(struct vhost *v, const struct vhost_msg *m,
		    const int *fds, unsigned nfds, struct vhost_msg *reply);

/*
 * Check a header before its payload is read: -1 (v->why) when size is
 * more than any request may carry.
 */
int		 vhost_check_header(struct vhost *v, const struct vhost_msg *m);

/* The ring, while it is live (started, enabled, resolved), or NULL. */
struct vq	*vhost_vq(struct vhost *v, unsigned idx);
/*
 * Its kick fd (-1: none), and in gen a count that changes whenever the
 * fd does: a new fd can have the number of the one it replaced.
 */
int		 vhost_ring_kick(const struct vhost *v, unsigned idx,
		    unsigned *gen);

/*
 * map and unmap for real guest memory: mmap of the region's file, only
 * a regular file at least len long, since touching a page past a file's
 * end is SIGBUS.  (A frontend that shrinks the file later still can; it
 * is trusted not to, doc/SECURITY.md.)  Fuzzers bring their own.
 */
void		*vhost_map_file(void *arg, int fd, uint64_t len);
void		 vhost_unmap_file(void *arg, void *p, uint64_t len);

/*
 * After used buffers: the call fd to signal (write an 8-byte 1) if the
 * driver wants to know, or -1.  The layer does no I/O: its owner writes.
 */
int		 vhost_notify_fd(struct vhost *v, unsigned idx);

/* Is feature bit (of the virtio device) acked? */
int		 vhost_has(const struct vhost *v, unsigned bit);

/*
 * Telling the frontend the config space changed (the guest re-reads
 * it): the message, into msg (room for VHOST_HDR_SIZE) and *len, and the
 * backend channel's fd to send it on; -1 when there is no channel.
 */
int		 vhost_config_change_msg(const struct vhost *v, uint8_t *msg,
		    size_t *len);

#endif
