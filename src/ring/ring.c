/*
 * ring: the byte ring consoles keep their output in.  See ring.h.
 *
 * head counts every byte ever written; byte number p lives at
 * buf[p % cap] for as long as head - p <= cap.  Readers are positions,
 * so adding one costs nothing and a slow one costs the writer nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "ring.h"

int
ring_init(struct ring *r, size_t cap)
{
	r->head = 0;
	r->cap = cap;
	r->buf = NULL;
	if (cap > 0 && (r->buf = malloc(cap)) == NULL) {
		r->cap = 0;
		return -1;
	}
	return 0;
}

void
ring_free(struct ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
}

uint64_t
ring_tail(const struct ring *r)
{
	return r->head > r->cap ? r->head - r->cap : 0;
}

uint8_t *
ring_space(struct ring *r, size_t want, size_t *len)
{
	size_t	at;

	if (r->cap == 0) {
		*len = 0;
		return NULL;
	}
	at = (size_t)(r->head % r->cap);
	*len = r->cap - at < want ? r->cap - at : want;
	return r->buf + at;
}

void
ring_commit(struct ring *r, size_t len)
{
	r->head += len;
}

void
ring_write(struct ring *r, const void *p, size_t len)
{
	const uint8_t	*src = p;
	size_t		 at, n;

	if (r->cap == 0) {
		r->head += len;
		return;
	}
	/* Only the last cap bytes can survive; skip the rest. */
	if (len > r->cap) {
		r->head += len - r->cap;
		src += len - r->cap;
		len = r->cap;
	}
	while (len > 0) {
		at = (size_t)(r->head % r->cap);
		n = r->cap - at < len ? r->cap - at : len;
		memcpy(r->buf + at, src, n);
		r->head += n;
		src += n;
		len -= n;
	}
}

int
ring_peek(const struct ring *r, uint64_t pos, struct iovec iov[2])
{
	size_t	at, len, first;

	if (pos >= r->head || pos < ring_tail(r) || r->cap == 0) {
		return 0;
	}
	len = (size_t)(r->head - pos);
	at = (size_t)(pos % r->cap);
	first = r->cap - at < len ? r->cap - at : len;
	iov[0].iov_base = r->buf + at;
	iov[0].iov_len = first;
	if (first == len) {
		return 1;
	}
	iov[1].iov_base = r->buf;
	iov[1].iov_len = len - first;
	return 2;
}

uint64_t
ring_clamp(const struct ring *r, uint64_t *pos)
{
	uint64_t	tail = ring_tail(r), lost;

	if (*pos >= tail) {
		return 0;
	}
	lost = tail - *pos;
	*pos = tail;
	return lost;
}

uint64_t
ring_back(const struct ring *r, size_t back)
{
	uint64_t	tail = ring_tail(r);

	if (r->head - tail < back) {
		return tail;
	}
	return r->head - back;
}
