/*
 * vq: guest memory and split virtqueues.  See vq.h.
 *
 * The guest shares these pages and may change them while we look, so
 * every field is loaded once (an atomic load, so the compiler cannot
 * load it again later) into a local that is then checked and used.
 * virtio 1 rings are little-endian whatever the host.
 */
#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "vq.h"

#define VQ_LOAD(p)	__atomic_load_n((p), __ATOMIC_RELAXED)

/*
 * The span of guest memory at addr, up to len bytes, that lies in one
 * region: its start for us, and in *got how long it is (0: addr is in
 * no region).
 */
static uint8_t *
vmem_span(const struct vmem *m, uint64_t addr, uint64_t len, int uva,
    uint64_t *got)
{
	const struct vmem_region	*r;
	uint64_t			 start, off;
	unsigned			 i;

	*got = 0;
	for (i = 0; i < m->n; i++) {
		r = &m->r[i];
		start = uva ? r->uva : r->gpa;
		if (addr < start || addr - start >= r->size) {
			continue;
		}
		off = addr - start;
		*got = r->size - off < len ? r->size - off : len;
		return r->host + off;
	}
	return NULL;
}

uint8_t *
vmem_at(const struct vmem *m, uint64_t addr, uint64_t len, int uva)
{
	uint64_t	 got;
	uint8_t		*p;

	p = vmem_span(m, addr, len, uva, &got);
	return p != NULL && got == len ? p : NULL;
}

static int
vq_fail(struct vq *q, const char *why)
{
	q->broken = 1;
	q->why = why;
	return -1;
}

int
vq_start(struct vq *q, const struct vmem *m, unsigned num, uint64_t desc,
    uint64_t avail, uint64_t used, uint16_t base, const char **why)
{
	uint8_t	*d, *a, *u;

	memset(q, 0, sizeof *q);
	if (num == 0 || num > VQ_SIZE_MAX || (num & (num - 1)) != 0) {
		*why = "the ring size is not a power of 2 up to 32768";
		return -1;
	}
	/* The alignments virtio requires, as the frontend gives them... */
	if (desc % 16 != 0 || avail % 2 != 0 || used % 4 != 0) {
		*why = "a ring part is misaligned";
		return -1;
	}
	d = vmem_at(m, desc, (uint64_t)num * sizeof(struct vring_desc), 1);
	/* Flags, index, the ring, and used_event. */
	a = vmem_at(m, avail, 4 + 2 * (uint64_t)num + 2, 1);
	u = vmem_at(m, used, 4 + (uint64_t)num *
	    sizeof(struct vring_used_elem) + 2, 1);
	if (d == NULL || a == NULL || u == NULL) {
		*why = "a ring part is outside the guest's memory";
		return -1;
	}
	/*
	 * ...and where we see them: a region's mmap_offset moves them, and a
	 * misaligned atomic faults on some CPUs.  (Found by fuzz-vq.)
	 */
	if ((uintptr_t)d % 16 != 0 || (uintptr_t)a % 2 != 0 ||
	    (uintptr_t)u % 4 != 0) {
		*why = "a ring part is misaligned where we map it";
		return -1;
	}
	q->desc = (struct vring_desc *)(void *)d;
	q->avail = (struct vring_avail *)(void *)a;
	q->used = (struct vring_used *)(void *)u;
	q->num = num;
	q->last_avail = base;
	q->used_idx = base;
	return 0;
}

unsigned
vq_waiting(struct vq *q)
{
	uint16_t	idx;

	if (q->broken || q->avail == NULL) {
		return 0;
	}
	idx = le16toh(__atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE));
	if ((uint16_t)(idx - q->last_avail) > q->num) {
		(void)vq_fail(q, "the available index ran ahead of the ring");
		return 0;
	}
	return (uint16_t)(idx - q->last_avail);
}

/* Add a descriptor's buffer to c, split where it crosses regions. */
static int
vq_add(struct vq *q, const struct vmem *m, struct vq_chain *c, uint64_t addr,
    uint32_t len, int in)
{
	struct vq_iov	*iov = in ? c->in : c->out;
	unsigned	*n = in ? &c->nin : &c->nout;
	uint64_t	 got;
	uint8_t		*p;

	while (len > 0) {
		if (*n == VQ_IOV_MAX) {
			return vq_fail(q, "a chain has too many buffers");
		}
		if ((p = vmem_span(m, addr, len, 0, &got)) == NULL) {
			return vq_fail(q, "a buffer is outside the guest's "
			    "memory");
		}
		iov[*n].base = p;
		iov[*n].len = (uint32_t)got;
		(*n)++;
		addr += got;
		len -= (uint32_t)got;
	}
	return 0;
}

int
vq_pop(struct vq *q, const struct vmem *m, struct vq_chain *c)
{
	uint16_t	head, flags, i;
	uint32_t	len;
	uint64_t	addr;
	unsigned	count = 0;

	if (vq_waiting(q) == 0) {
		return q->broken ? -1 : 0;
	}
	head = le16toh(VQ_LOAD(&q->avail->ring[q->last_avail & (q->num - 1)]));
	if (head >= q->num) {
		return vq_fail(q, "a head is outside the ring");
	}
	c->head = head;
	c->nout = c->nin = 0;
	for (i = head;;) {
		if (++count > q->num) {
			return vq_fail(q, "a chain loops");
		}
		addr = le64toh(VQ_LOAD(&q->desc[i].addr));
		len = le32toh(VQ_LOAD(&q->desc[i].len));
		flags = le16toh(VQ_LOAD(&q->desc[i].flags));
		if (flags & VRING_DESC_F_INDIRECT) {
			/* Not offered, so a driver may not use it. */
			return vq_fail(q, "an indirect descriptor (not "
			    "negotiated)");
		}
		if (flags & VRING_DESC_F_WRITE) {
			if (vq_add(q, m, c, addr, len, 1) == -1) {
				return -1;
			}
		} else if (c->nin > 0) {
			return vq_fail(q, "a readable buffer after a writable "
			    "one");
		} else if (vq_add(q, m, c, addr, len, 0) == -1) {
			return -1;
		}
		if (!(flags & VRING_DESC_F_NEXT)) {
			break;
		}
		i = le16toh(VQ_LOAD(&q->desc[i].next));
		if (i >= q->num) {
			return vq_fail(q, "a chain leaves the ring");
		}
	}
	q->last_avail++;
	return 1;
}

void
vq_push(struct vq *q, uint16_t head, uint32_t len)
{
	struct vring_used_elem	*e;

	if (q->used == NULL) {
		return;
	}
	e = &q->used->ring[q->used_idx & (q->num - 1)];
	__atomic_store_n(&e->id, htole32(head), __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, htole32(len), __ATOMIC_RELAXED);
	q->used_idx++;
	/* The entry is visible before the index that announces it. */
	__atomic_store_n(&q->used->idx, htole16(q->used_idx),
	    __ATOMIC_RELEASE);
}

int
vq_should_notify(const struct vq *q)
{
	uint16_t	flags;

	if (q->avail == NULL) {
		return 0;
	}
	/* Our index store is seen before we read the driver's flags. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = le16toh(VQ_LOAD(&q->avail->flags));
	return !(flags & VRING_AVAIL_F_NO_INTERRUPT);
}

void
vq_kicks_off(struct vq *q)
{
	if (q->used != NULL) {
		__atomic_store_n(&q->used->flags,
		    htole16(VRING_USED_F_NO_NOTIFY), __ATOMIC_RELAXED);
	}
}

unsigned
vq_kicks_on(struct vq *q)
{
	if (q->used == NULL) {
		return 0;
	}
	__atomic_store_n(&q->used->flags, 0, __ATOMIC_RELAXED);
	/*
	 * The driver stores its index, then (a full barrier) loads our flags
	 * (virtqueue_kick_prepare_split); we store the flags, then load its
	 * index.  With a full barrier on each side one of us sees the other:
	 * it kicks, or we find its head here.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vq_waiting(q);
}
