/*
 * fq: one port's queue of frames waiting for its socket.  A byte ring of
 * records, each a frame behind its 4-byte big-endian length, capped in
 * bytes and in frames.  The records are the stream netdev's own wire
 * format, so a stream port writes straight from the ring, many frames in
 * one writev; a datagram port takes one frame at a time.  A full queue
 * refuses the new frame and the caller counts it: what is queued, and a
 * frame half written, is never touched.  No I/O.
 */
#ifndef TTYHUB_FQ_H
#define TTYHUB_FQ_H

#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

struct fq {
	uint8_t		*buf;
	size_t		 cap;		/* bytes, length prefixes included */
	unsigned	 fmax;		/* frames */
	unsigned	 frames;	/* records not wholly consumed */
	size_t		 len;		/* bytes not consumed */
	size_t		 head;		/* where the next byte goes in buf */
	size_t		 rec;		/* where the first record not wholly
					   consumed starts */
	size_t		 sent;		/* how much of it was consumed */
	size_t		 flen;		/* its frame's length, kept here:
					   once sent, its prefix's bytes may
					   be written over */
	uint64_t	 fsum;		/* the lengths of all those records'
					   frames */
};

/* An empty queue of cap bytes and fmax frames.  0, or -1 (no memory). */
int		 fq_init(struct fq *q, size_t cap, unsigned fmax);
void		 fq_free(struct fq *q);

/* Queue a copy of a frame (1 to FRAME_MAX bytes).  0, or -1 if full. */
int		 fq_put(struct fq *q, const void *frame, size_t len);

/* Bytes queued and not yet consumed, length prefixes included. */
size_t		 fq_bytes(const struct fq *q);

/*
 * Stream ports: every byte not yet consumed, in wire format, as at most
 * two iovecs.  Returns the count, 0 when the queue is empty.
 */
int		 fq_peek(const struct fq *q, struct iovec iov[2]);

/*
 * Datagram ports: the first frame's bytes not yet consumed, without the
 * prefix, as at most two iovecs.  Returns the count, 0 when empty.
 */
int		 fq_peek_frame(const struct fq *q, struct iovec iov[2]);

/*
 * Drop n sent bytes from the front (at most fq_bytes; the last may end
 * inside a frame).  Returns how many frames this completed, and adds
 * their lengths (prefixes not counted) to *fbytes.
 */
unsigned	 fq_consume(struct fq *q, size_t n, uint64_t *fbytes);

/* Drop what is left of the first frame; returns its length, or 0. */
size_t		 fq_next(struct fq *q);

#endif
