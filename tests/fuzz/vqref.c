/*
 * vqref: the reference split-ring walk and the guest driver's side, for
 * fuzz-vq and fuzz-vhost (see vqref.h).  Built with each harness that
 * uses it, sanitizers on and no coverage: it is the yardstick, not what
 * is fuzzed.
 */
#include <endian.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "fuzzkit.h"
#include "vqref.h"

/* Little-endian fields, read byte by byte: no alignment assumed. */
static uint16_t
vqref_le16(const void *p)
{
	const uint8_t	*b = p;

	return (uint16_t)(b[0] | b[1] << 8);
}

static uint32_t
vqref_le32(const void *p)
{
	const uint8_t	*b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}

static uint64_t
vqref_le64(const void *p)
{
	return vqref_le32(p) | (uint64_t)vqref_le32((const uint8_t *)p + 4) <<
	    32;
}

static void
vqref_put16(void *p, uint16_t x)
{
	uint8_t	*b = p;

	b[0] = (uint8_t)x;
	b[1] = (uint8_t)(x >> 8);
}

static void
vqref_put32(void *p, uint32_t x)
{
	vqref_put16(p, (uint16_t)x);
	vqref_put16((uint8_t *)p + 2, (uint16_t)(x >> 16));
}

static void
vqref_put64(void *p, uint64_t x)
{
	vqref_put32(p, (uint32_t)x);
	vqref_put32((uint8_t *)p + 4, (uint32_t)(x >> 32));
}

/* The first region whose addresses hold addr, or NULL. */
static const struct vmem_region *
vqref_region(const struct vmem *m, uint64_t addr, int uva)
{
	const struct vmem_region	*r;
	unsigned			 i;

	for (i = 0; i < m->n; i++) {
		r = &m->r[i];
		if ((uva ? r->uva : r->gpa) <= addr &&
		    addr - (uva ? r->uva : r->gpa) < r->size) {
			return r;
		}
	}
	return NULL;
}

uint8_t *
vqref_at(const struct vmem *m, uint64_t addr, uint64_t len, int uva)
{
	const struct vmem_region	*r = vqref_region(m, addr, uva);
	uint64_t			 off;

	if (r == NULL) {
		return NULL;
	}
	off = addr - (uva ? r->uva : r->gpa);
	return len <= r->size - off ? r->host + off : NULL;
}

int
vqref_inside(const struct vmem *m, const void *p, uint64_t len)
{
	const uint8_t	*b = p;
	unsigned	 i;

	for (i = 0; i < m->n; i++) {
		if (b >= m->r[i].host && b <= m->r[i].host + m->r[i].size &&
		    len <= (uint64_t)(m->r[i].host + m->r[i].size - b)) {
			return 1;
		}
	}
	return 0;
}

/* One buffer of a chain, cut where regions end; -1 when it leaves them. */
static int
vqref_add(const struct vmem *m, struct vq_chain *c, uint64_t addr,
    uint32_t len, int in)
{
	const struct vmem_region	*r;
	struct vq_iov			*iov = in ? c->in : c->out;
	unsigned			*n = in ? &c->nin : &c->nout;
	uint64_t			 take;

	while (len > 0) {
		if ((r = vqref_region(m, addr, 0)) == NULL ||
		    *n == VQ_IOV_MAX) {
			return -1;
		}
		take = r->size - (addr - r->gpa);
		if (take > len) {
			take = len;
		}
		iov[*n].base = r->host + (addr - r->gpa);
		iov[*n].len = (uint32_t)take;
		(*n)++;
		addr += take;
		len -= (uint32_t)take;
	}
	return 0;
}

int
vqref_pop(const struct vq *q, const struct vmem *m, struct vq_chain *c)
{
	const uint8_t	*d;
	uint16_t	 avail, head, i, flags;
	unsigned	 steps;

	if (q->broken) {
		return -1;
	}
	if (q->avail == NULL) {
		return 0;
	}
	avail = vqref_avail_idx(q);
	if ((uint16_t)(avail - q->last_avail) > q->num) {
		return -1;	/* the driver claims more than the ring holds */
	}
	if (avail == q->last_avail) {
		return 0;
	}
	head = vqref_le16((const uint8_t *)q->avail + 4 +
	    2 * (q->last_avail % q->num));
	if (head >= q->num) {
		return -1;
	}
	c->head = head;
	c->nout = c->nin = 0;
	for (i = head, steps = 1;; steps++) {
		/* A chain has at most num descriptors; more means a loop. */
		if (steps > q->num) {
			return -1;
		}
		d = (const uint8_t *)q->desc + 16 * (size_t)i;
		flags = vqref_le16(d + 12);
		if ((flags & VRING_DESC_F_INDIRECT) ||
		    (!(flags & VRING_DESC_F_WRITE) && c->nin > 0) ||
		    vqref_add(m, c, vqref_le64(d), vqref_le32(d + 8),
		    (flags & VRING_DESC_F_WRITE) != 0) == -1) {
			return -1;
		}
		if (!(flags & VRING_DESC_F_NEXT)) {
			return 1;
		}
		if ((i = vqref_le16(d + 14)) >= q->num) {
			return -1;
		}
	}
}

static void
vqref_same_iov(const char *dir, const struct vq_iov *got,
    const struct vq_iov *want, unsigned n, const struct vmem *m,
    const uint8_t *lo, const uint8_t *hi)
{
	unsigned	i;

	for (i = 0; i < n; i++) {
		CHECK(got[i].base == want[i].base && got[i].len == want[i].len,
		    "%s piece %u: %p+%u, the reference has %p+%u", dir, i,
		    (void *)got[i].base, got[i].len, (void *)want[i].base,
		    want[i].len);
		CHECK(got[i].len > 0, "%s piece %u is empty", dir, i);
		CHECK(vqref_inside(m, got[i].base, got[i].len),
		    "%s piece %u is not inside one region", dir, i);
		CHECK(got[i].base >= lo && got[i].base <= hi &&
		    got[i].len <= (size_t)(hi - got[i].base),
		    "%s piece %u is outside the harness's memory", dir, i);
	}
}

void
vqref_same_chain(const struct vq_chain *got, const struct vq_chain *want,
    const struct vmem *m, const uint8_t *lo, const uint8_t *hi)
{
	CHECK(got->nout <= VQ_IOV_MAX && got->nin <= VQ_IOV_MAX,
	    "%u + %u pieces", got->nout, got->nin);
	CHECK(got->head == want->head, "head %u, the reference has %u",
	    got->head, want->head);
	CHECK(got->nout == want->nout && got->nin == want->nin,
	    "%u out + %u in pieces, the reference has %u + %u", got->nout,
	    got->nin, want->nout, want->nin);
	vqref_same_iov("out", got->out, want->out, got->nout, m, lo, hi);
	vqref_same_iov("in", got->in, want->in, got->nin, m, lo, hi);
}

void
vqref_check_ring(const struct vq *q, const struct vmem *m)
{
	CHECK(q->num >= 1 && q->num <= VQ_SIZE_MAX &&
	    (q->num & (q->num - 1)) == 0, "ring size %u", q->num);
	CHECK(vqref_inside(m, q->desc, 16 * (uint64_t)q->num),
	    "the descriptor table is not inside one region");
	CHECK(vqref_inside(m, q->avail, 6 + 2 * (uint64_t)q->num),
	    "the available ring is not inside one region");
	CHECK(vqref_inside(m, q->used, 6 + 8 * (uint64_t)q->num),
	    "the used ring is not inside one region");
	/* vq.c reads them through these types: misaligned is undefined. */
	CHECK((uintptr_t)q->desc % alignof(struct vring_desc) == 0 &&
	    (uintptr_t)q->avail % alignof(struct vring_avail) == 0 &&
	    (uintptr_t)q->used % alignof(struct vring_used) == 0,
	    "a ring part is misaligned where we see it: desc %p avail %p "
	    "used %p", (void *)q->desc, (void *)q->avail, (void *)q->used);
}

uint16_t
vqref_avail_idx(const struct vq *q)
{
	return vqref_le16((const uint8_t *)q->avail + 2);
}

void
vqref_check_push(const struct vq *q, uint16_t before, uint16_t head,
    uint32_t len)
{
	const uint8_t	*u = (const uint8_t *)q->used;
	const uint8_t	*e = u + 4 + 8 * (size_t)(before % q->num);

	CHECK(q->used_idx == (uint16_t)(before + 1), "used index %u after %u",
	    q->used_idx, before);
	CHECK(vqref_le16(u + 2) == q->used_idx, "used->idx %u, ours %u",
	    vqref_le16(u + 2), q->used_idx);
	CHECK(vqref_le32(e) == head && vqref_le32(e + 4) == len,
	    "used entry %u is {%u, %u}, pushed {%u, %u}", before % q->num,
	    vqref_le32(e), vqref_le32(e + 4), head, len);
}

/* A head or next index from a byte: mostly in range, sometimes not. */
static uint16_t
vqref_index(uint8_t b, unsigned num)
{
	return b < 0xf0 ? (uint16_t)(b % num) : b;
}

size_t
vqref_add_chain(const struct vq *q, const struct vmem *m, unsigned arg,
    const uint8_t *p, size_t n)
{
	unsigned	ndesc = 1 + (arg & 3), adv = (arg >> 2) & 7, k;
	size_t		need = 1 + 7 * (size_t)ndesc + (adv == 7);
	uint16_t	head, slot, next, flags, idx;
	uint64_t	addr;
	uint8_t		*d;
	const uint8_t	*x;

	if (n < need) {
		return n;
	}
	if (q->num == 0 || q->desc == NULL || q->avail == NULL) {
		return need;
	}
	head = slot = vqref_index(p[0], q->num);
	for (k = 0; k < ndesc && slot < q->num; k++) {
		x = p + 1 + 7 * k;
		addr = (m->n > 0 ? m->r[x[0] % m->n].gpa : 0) +
		    vqref_le16(x + 1);
		flags = x[5];
		next = vqref_index(x[6], q->num);
		d = (uint8_t *)q->desc + 16 * (size_t)slot;
		vqref_put64(d, addr);
		vqref_put32(d + 8, vqref_le16(x + 3));
		vqref_put16(d + 12, flags);
		vqref_put16(d + 14, next);
		if (!(flags & VRING_DESC_F_NEXT)) {
			break;
		}
		slot = next;
	}
	idx = vqref_avail_idx(q);
	vqref_put16((uint8_t *)q->avail + 4 + 2 * (idx % q->num), head);
	idx += adv == 7 ? p[need - 1] : adv == 6 ? 0 : 1;
	vqref_put16((uint8_t *)q->avail + 2, idx);
	return need;
}
