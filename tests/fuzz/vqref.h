/*
 * vqref: a second, plain reading of the split ring for the harnesses that
 * walk src/vhost/vq.c (fuzz-vq, fuzz-vhost): what vmem_at and vq_pop must
 * answer for the memory as it is now, the checks that what they hand back
 * lies in the guest's memory, and a guest driver's side that lays chains
 * into a ring from fuzzer bytes.
 *
 * The reference walk reads the ring one field at a time, as the virtio
 * spec (2.7, split virtqueues) lays it out, and translates every buffer
 * with its own region lookup: a walk that took the wrong bytes and yet
 * stayed inside the buffer shows up as a difference, which bounds checks
 * alone would not see.  Where vq.c is more lenient than the spec and that
 * is harmless (a zero-length descriptor adds no piece, so it neither
 * needs memory nor counts as writable), the reference follows vq.c.
 *
 * Compiled into each harness that includes it, without coverage, as
 * fuzzkit.c is.
 */
#ifndef VQREF_H
#define VQREF_H

#include <stddef.h>
#include <stdint.h>

#include "../../src/vhost/vq.h"

/*
 * What vmem_at(m, addr, len, uva) must return: the place of addr in the
 * first region that holds it, if that region holds all len bytes.
 */
uint8_t	*vqref_at(const struct vmem *, uint64_t, uint64_t, int);

/* Does [p, p + len) lie inside one region of m, as we see it? */
int	 vqref_inside(const struct vmem *, const void *, uint64_t);

/*
 * What vq_pop(q, m, c) must return now, with the chain it must fill
 * when that is 1; q is not changed.
 */
int	 vqref_pop(const struct vq *, const struct vmem *, struct vq_chain *);

/*
 * CHECK that vq_pop's chain is the reference's piece by piece, and that
 * every piece lies in one region of m and inside [lo, hi), the memory
 * the harness owns.
 */
void	 vqref_same_chain(const struct vq_chain *, const struct vq_chain *,
	    const struct vmem *, const uint8_t *, const uint8_t *);

/*
 * CHECK a started ring: its three parts lie whole in regions of m, each
 * aligned for the C type it is read through.
 */
void	 vqref_check_ring(const struct vq *, const struct vmem *);

/* The driver's available index, as it is in memory now. */
uint16_t vqref_avail_idx(const struct vq *);

/*
 * CHECK what vq_push(q, head, len) left, the used index having been
 * before before it.
 */
void	 vqref_check_push(const struct vq *, uint16_t, uint16_t, uint32_t);

/*
 * The guest driver: lay a chain into q from fuzzer bytes and publish it.
 * arg (5 bits from the record's op byte): bits 0-1 the descriptors less
 * one; bits 2-4 how far avail->idx moves (0-5: 1; 6: not at all; 7: by
 * one more input byte, which may run past the ring).  Bytes: the head,
 * then per descriptor a region selector, u16 offset into that region's
 * guest addresses, u16 length, flags, next.  A head or next byte below
 * 0xf0 is taken modulo the ring's size, one above is used as it is (out
 * of range for rings up to 128).  Returns the bytes used; writes nothing
 * when q is not started.
 */
size_t	 vqref_add_chain(const struct vq *, const struct vmem *, unsigned,
	    const uint8_t *, size_t);

#endif
