/*
 * fq: a port's frame queue.  See fq.h.
 *
 * Places are offsets in buf, moved on with a compare rather than a
 * division (a 64-bit % per piece cost more than copying a small frame).
 * Unlike the console ring the writer never overwrites: a frame that does
 * not fit is refused, because a stream port's reader is a guest's QEMU
 * and a record overwritten under a half-written one would break its
 * framing for good.
 *
 * Why a copy per port and not one shared copy with references: every
 * frame is copied once into each destination's queue, so a flood to k
 * ports costs k copies.  In return a port's queue is plain bytes in the
 * wire format: no reference counts, no pool to size, caps that are exact
 * byte counts, and a stream port sends a run of frames in one writev of
 * at most two iovecs.  bench/RESULTS.md ("Network queues") measures it
 * against one shared copy: as fast to one queue, up to twice as slow to
 * seven, and even then far faster than sockets take frames.
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
	memset(q, 0, sizeof *q);
}

size_t
fq_bytes(const struct fq *q)
{
	return q->len;
}

/* An offset in buf moved on by n (n <= cap). */
static size_t
fq_wrap(const struct fq *q, size_t at, size_t n)
{
	return at + n >= q->cap ? at + n - q->cap : at + n;
}

static void
fq_copy_in(struct fq *q, const uint8_t *src, size_t len)
{
	size_t	n = q->cap - q->head;

	if (len < n) {
		memcpy(q->buf + q->head, src, len);
		q->head += len;
	} else {
		memcpy(q->buf + q->head, src, n);
		memcpy(q->buf, src + n, len - n);
		q->head = len - n;
	}
	q->len += len;
}

int
fq_put(struct fq *q, const void *frame, size_t len)
{
	uint8_t	hdr[FRAME_HDR];

	if (len == 0 || len > FRAME_MAX || q->frames >= q->fmax ||
	    q->cap - q->len < FRAME_HDR + len) {
		return -1;
	}
	frame_hdr(hdr, len);
	fq_copy_in(q, hdr, FRAME_HDR);
	fq_copy_in(q, frame, len);
	if (q->frames++ == 0) {
		q->flen = len;
	}
	q->fsum += len;
	return 0;
}

/*
 * The length in the record that starts at offset at, which must not be
 * consumed yet or consumed only since the last fq_put: consumed bytes
 * are free space.
 */
static size_t
fq_len_at(const struct fq *q, size_t at)
{
	size_t	len = 0;
	int	i;

	if (q->cap - at >= FRAME_HDR) {
		return (size_t)q->buf[at] << 24 | (size_t)q->buf[at + 1] << 16 |
		    (size_t)q->buf[at + 2] << 8 | q->buf[at + 3];
	}
	for (i = 0; i < FRAME_HDR; i++) {
		len = len << 8 | q->buf[at];
		at = fq_wrap(q, at, 1);
	}
	return len;
}

/* len bytes from offset at as iovecs. */
static int
fq_span(const struct fq *q, size_t at, size_t len, struct iovec iov[2])
{
	size_t	first;

	if (len == 0) {
		return 0;
	}
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
	return fq_span(q, fq_wrap(q, q->rec, q->sent), q->len, iov);
}

int
fq_peek_frame(const struct fq *q, struct iovec iov[2])
{
	size_t	from;

	if (q->frames == 0) {
		return 0;
	}
	from = q->sent > FRAME_HDR ? q->sent : FRAME_HDR;
	return fq_span(q, fq_wrap(q, q->rec, from), FRAME_HDR + q->flen - from,
	    iov);
}

unsigned
fq_consume(struct fq *q, size_t n, uint64_t *fbytes)
{
	unsigned	done = 0;

	if (n >= q->len) {
		/* All of it, as a port that keeps up writes: no walk. */
		done = q->frames;
		*fbytes += q->fsum;
		q->frames = 0;
		q->fsum = 0;
		q->len = 0;
		q->rec = q->head;
		q->sent = 0;
		return done;
	}
	q->len -= n;
	q->sent += n;
	while (q->sent >= FRAME_HDR + q->flen) {
		q->sent -= FRAME_HDR + q->flen;
		q->rec = fq_wrap(q, q->rec, FRAME_HDR + q->flen);
		*fbytes += q->flen;
		q->fsum -= q->flen;
		done++;
		/* Not all was consumed: another record is left, and its
		 * prefix was unsent until now, so still intact. */
		q->frames--;
		q->flen = fq_len_at(q, q->rec);
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
	fq_consume(q, FRAME_HDR + len - q->sent, &fb);
	return len;
}
