/*
 * ring: a bounded byte ring that many readers follow at their own pace.
 *
 * The writer never waits: new bytes overwrite the oldest.  Positions are
 * absolute 64-bit byte counts since the ring was made, so a reader is just
 * a number.  A reader whose position has fallen out of the ring (pos <
 * ring_tail) has lost the bytes in between and is told how many; it is
 * the caller's policy whether to skip it ahead or drop it.  Nothing here
 * knows about sockets or the event loop.
 */
#ifndef TTYHUB_RING_H
#define TTYHUB_RING_H

#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

struct ring {
	uint8_t		*buf;
	size_t		 cap;	/* bytes kept; 0 keeps nothing */
	uint64_t	 head;	/* bytes ever written */
};

/* Make an empty ring of cap bytes.  Returns 0, or -1 if out of memory. */
int		 ring_init(struct ring *r, size_t cap);
void		 ring_free(struct ring *r);

/* Oldest position still held. */
uint64_t	 ring_tail(const struct ring *r);

/*
 * Where the next bytes go: a contiguous run of *len bytes (at most want,
 * never 0 unless cap is 0) that may then be filled and committed with
 * ring_commit.  Lets a read(2) go straight into the ring.
 */
uint8_t		*ring_space(struct ring *r, size_t want, size_t *len);
void		 ring_commit(struct ring *r, size_t len);

/* Append len bytes (copies; the oldest are overwritten). */
void		 ring_write(struct ring *r, const void *p, size_t len);

/*
 * The bytes from pos to the head as at most two iovecs.  pos must be
 * between ring_tail and head (clamp it with ring_clamp first).  Returns
 * the iovec count (0 when there is nothing to read).
 */
int		 ring_peek(const struct ring *r, uint64_t pos, struct iovec iov[2]);

/*
 * Bring a reader's position back into the ring.  Returns the number of
 * bytes it lost (0 if it had lost none) and sets *pos to ring_tail.
 */
uint64_t	 ring_clamp(const struct ring *r, uint64_t *pos);

/* A start position for a new reader that wants the last `back` bytes. */
uint64_t	 ring_back(const struct ring *r, size_t back);

#endif
