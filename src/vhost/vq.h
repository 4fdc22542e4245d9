/*
 * vq: the guest's memory as the frontend shared it, and split virtqueues
 * laid out in it.  Everything here reads memory a guest can write at any
 * moment, so nothing it says is trusted twice: a descriptor is copied out
 * once and then checked, every address is looked up in the region table
 * with its length, a chain is cut at the ring's size, and a ring found
 * broken stays stopped.  No sockets, no loop: a unit test or a fuzzer
 * hands it plain memory.
 */
#ifndef TTYHUB_VQ_H
#define TTYHUB_VQ_H

#include <stddef.h>
#include <stdint.h>

#define VMEM_REGIONS_MAX	8	/* VHOST_MEMORY_BASELINE_NREGIONS */
#define VQ_SIZE_MAX		32768	/* the split ring's own limit */

struct vmem_region {
	uint64_t	 gpa;		/* guest physical address */
	uint64_t	 size;
	uint64_t	 uva;		/* the frontend's own address for it */
	uint8_t		*host;		/* where we see it */
};

struct vmem {
	struct vmem_region	 r[VMEM_REGIONS_MAX];
	unsigned		 n;
};

/*
 * Where len bytes at addr (a guest physical address, or with uva set a
 * frontend address) are for us, when they lie in one region; NULL if
 * they do not.
 */
uint8_t		*vmem_at(const struct vmem *m, uint64_t addr, uint64_t len,
		    int uva);

/*
 * One split virtqueue.  vq_start resolves the three parts (given as
 * frontend addresses, as SET_VRING_ADDR sends them) and checks them;
 * from then on the ring is walked only through these pointers.
 */
struct vq {
	unsigned		 num;		/* entries, a power of 2 */
	struct vring_desc	*desc;
	struct vring_avail	*avail;
	struct vring_used	*used;
	uint16_t		 last_avail;	/* next head to take */
	uint16_t		 used_idx;	/* next used entry to fill */
	int			 broken;
	const char		*why;		/* when broken */
};

int		 vq_start(struct vq *q, const struct vmem *m, unsigned num,
		    uint64_t desc, uint64_t avail, uint64_t used,
		    uint16_t base, const char **why);

/* Heads waiting (0 when broken). */
unsigned	 vq_waiting(struct vq *q);

/*
 * A chain's buffers, walked: each piece is a span of guest memory that
 * the driver made readable (out) or writable (in) for us.
 */
#define VQ_IOV_MAX	64

struct vq_iov {
	uint8_t		*base;
	uint32_t	 len;
};

struct vq_chain {
	uint16_t	 head;
	struct vq_iov	 out[VQ_IOV_MAX];	/* the driver's data for us */
	unsigned	 nout;
	struct vq_iov	 in[VQ_IOV_MAX];	/* room for our data */
	unsigned	 nin;
};

/*
 * Take the next chain.  1: c is filled; 0: none waiting; -1: the ring is
 * broken (q->why says how; it stays stopped).
 */
int		 vq_pop(struct vq *q, const struct vmem *m, struct vq_chain *c);

/* Give a chain back with len bytes written into its in-buffers. */
void		 vq_push(struct vq *q, uint16_t head, uint32_t len);

/* After pushing: does the driver want to be told (no NO_INTERRUPT)? */
int		 vq_should_notify(const struct vq *q);

/*
 * While the device polls the ring it asks the driver not to kick it:
 * VRING_USED_F_NO_NOTIFY in the used ring's flags (honoured while
 * EVENT_IDX is not negotiated; we do not offer it).  vq_kicks_on clears
 * the flag and returns the heads waiting, looked at after the flag is
 * seen cleared: a head the driver added while the flag was still set
 * came without a kick, and no kick will come for it.
 */
void		 vq_kicks_off(struct vq *q);
unsigned	 vq_kicks_on(struct vq *q);

#endif
