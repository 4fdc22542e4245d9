/*
 * test-ring: the console ring against a plain model.  Random writes (some
 * through ring_space/ring_commit, as a read(2) would, some with
 * ring_write, some larger than the ring) and random readers; every peek
 * must return exactly the model's bytes from the reader's position, and
 * ring_clamp exactly the bytes the reader lost.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ring/ring.h"

#define MODEL_MAX	(4u << 20)

static uint8_t	model[MODEL_MAX];	/* every byte ever written */
static unsigned	failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		failures++;						\
		printf("FAIL line %d: ", __LINE__);			\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

static uint32_t	rng = 12345;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return n == 0 ? 0 : rng % n;
}

static void
check_reader(const struct ring *r, uint64_t pos)
{
	struct iovec	iov[2];
	uint64_t	p = pos, lost, want_lost;
	size_t		got = 0;
	int		n, i;

	want_lost = pos < ring_tail(r) ? ring_tail(r) - pos : 0;
	lost = ring_clamp(r, &p);
	CHECK(lost == want_lost, "lost %llu, want %llu",
	    (unsigned long long)lost, (unsigned long long)want_lost);
	n = ring_peek(r, p, iov);
	for (i = 0; i < n; i++) {
		CHECK(memcmp(iov[i].iov_base, model + p + got,
		    iov[i].iov_len) == 0, "bytes differ at %llu",
		    (unsigned long long)(p + got));
		got += iov[i].iov_len;
	}
	CHECK(p + got == r->head, "peek ends at %llu, head %llu",
	    (unsigned long long)(p + got), (unsigned long long)r->head);
}

static void
run(size_t cap)
{
	struct ring	r;
	uint8_t		*dst;
	size_t		len, n, i;
	uint64_t	readers[8] = { 0 };
	int		k;

	if (ring_init(&r, cap) == -1) {
		printf("FAIL: ring_init\n");
		failures++;
		return;
	}
	while (r.head < MODEL_MAX - 3 * cap - 1) {
		n = 1 + rnd((uint32_t)(rnd(8) == 0 ? 3 * cap : cap / 4 + 1));
		if (r.head + n > MODEL_MAX) {
			break;
		}
		for (i = 0; i < n; i++) {
			model[r.head + i] = (uint8_t)rnd(256);
		}
		if (rnd(2) == 0) {
			ring_write(&r, model + r.head, n);
		} else {
			/* In place, the way a read(2) fills it. */
			while (n > 0) {
				dst = ring_space(&r, n, &len);
				CHECK(len > 0 && len <= n, "space %zu of %zu",
				    len, n);
				memcpy(dst, model + r.head, len);
				ring_commit(&r, len);
				n -= len;
			}
		}
		for (k = 0; k < 8; k++) {
			check_reader(&r, readers[k]);
			/* Readers move at their own pace, some never. */
			if (k > 0 && rnd((uint32_t)k + 1) == 0) {
				len = rnd((uint32_t)cap + 1);
				readers[k] = r.head - (len < r.head ? len : r.head);
			}
		}
		len = rnd((uint32_t)cap + 10);
		CHECK(ring_back(&r, len) == (r.head - ring_tail(&r) < len ?
		    ring_tail(&r) : r.head - len), "ring_back %zu", len);
	}
	ring_free(&r);
}

int
main(void)
{
	static const size_t	caps[] = { 1, 7, 64, 4096, 65536 };
	size_t			i;

	for (i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		run(caps[i]);
	}
	printf("ring: %zu sizes, %u failed\n", i, failures);
	return failures != 0;
}
