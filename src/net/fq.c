/*
 * fq: a port's frame queue.  See fq.h.
 *
 * Positions are absolute byte counts, as in src/ring: byte p lives at
 * buf[p % cap] for tail <= p < head.  Unlike the console ring the writer
 * never overwrites: a frame that does not fit is refused, because a
 * stream port's reader is a guest's QEMU and a record overwritten under
 * a half-written one would break its framing for good.
 *
 * Why a copy per port and not one shared copy with references: every
 * frame is copied once into each destination's queue, so a flood to k
 * ports costs k copies.  In return a port's queue is plain bytes in the
 * wire format: no reference counts, no pool to size, caps that are exact
 * byte counts, and a stream port sends a run of frames in one writev of
 * at most two iovecs.
 */
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fq.h"

int
fq_init(struct fq *q, size_t cap, unsigned fmax)
{
	memset(q, 0, sizeof *q);
	if ((q->buf = malloc(cap > 0 ? cap : 1)) == NULL) {
		return -1;
	}
	q->cap = cap;
	q->fmax = fmax;
	return 0;
}

void
fq_free(struct fq *q)
{
	free(q->buf);
	q->buf = NULL;
	q->cap = 0;
	q->head = q->tail = q->rec = 0;
	q->frames = 0;
}

size_t
fq_bytes(const struct fq *q)
{
	return (size_t)(q->head - q->tail);
}

static void
fq_copy_in(struct fq *q, const uint8_t *src, size_t len)
{
	size_t	at, n;

	while (len > 0) {
		at = (size_t)(q->head % q->cap);
		n = q->cap - at < len ? q->cap - at : len;
		memcpy(q->buf + at, src, n);
		q->head += n;
		src += n;
		len -= n;
	}
}

int
fq_put(struct fq *q, const void *frame, size_t len)
{
	uint8_t	hdr[FRAME_HDR];

	if (len == 0 || len > FRAME_MAX || q->frames >= q->fmax ||
	    q->cap - fq_bytes(q) < FRAME_HDR + len) {
		return -1;
	}
	frame_hdr(hdr, len);
	fq_copy_in(q, hdr, FRAME_HDR);
	fq_copy_in(q, frame, len);
	if (q->frames++ == 0) {
		q->flen = len;
	}
	return 0;
}

/*
 * The length in the record that starts at pos, which must not be sent
 * yet or sent only since the last fq_put: sent bytes are free space.
 */
static size_t
fq_len_at(const struct fq *q, uint64_t pos)
{
	size_t	len = 0, at = (size_t)(pos % q->cap);
	int	i;

	for (i = 0; i < FRAME_HDR; i++) {
		len = len << 8 | q->buf[at];
		if (++at == q->cap) {
			at = 0;
		}
	}
	return len;
}

/* The bytes from pos to end (tail <= pos <= end <= head) as iovecs. */
static int
fq_span(const struct fq *q, uint64_t pos, uint64_t end, struct iovec iov[2])
{
	size_t	at, len, first;

	if (pos >= end) {
		return 0;
	}
	len = (size_t)(end - pos);
	at = (size_t)(pos % q->cap);
	first = q->cap - at < len ? q->cap - at : len;
	iov[0].iov_base = q->buf + at;
	iov[0].iov_len = first;
	if (first == len) {
		return 1;
	}
	iov[1].iov_base = q->buf;
	iov[1].iov_len = len - first;
	return 2;
}

int
fq_peek(const struct fq *q, struct iovec iov[2])
{
	return fq_span(q, q->tail, q->head, iov);
}

int
fq_peek_frame(const struct fq *q, struct iovec iov[2])
{
	uint64_t	start, end;

	if (q->frames == 0) {
		return 0;
	}
	start = q->rec + FRAME_HDR;
	end = start + q->flen;
	return fq_span(q, q->tail > start ? q->tail : start, end, iov);
}

unsigned
fq_consume(struct fq *q, size_t n, uint64_t *fbytes)
{
	unsigned	done = 0;

	if (n > fq_bytes(q)) {
		n = fq_bytes(q);
	}
	q->tail += n;
	while (q->frames > 0 && q->rec + FRAME_HDR + q->flen <= q->tail) {
		q->rec += FRAME_HDR + q->flen;
		*fbytes += q->flen;
		done++;
		/* The next prefix was unsent until now: still intact. */
		if (--q->frames > 0) {
			q->flen = fq_len_at(q, q->rec);
		}
	}
	return done;
}

size_t
fq_next(struct fq *q)
{
	uint64_t	fb = 0;
	size_t		len = q->flen;

	if (q->frames == 0) {
		return 0;
	}
	fq_consume(q, (size_t)(q->rec + FRAME_HDR + len - q->tail), &fb);
	return len;
}
