/*
 * test-net: table tests for the guest network layer (src/net): the
 * stream framing (frame.c) whole, split at every offset and byte by
 * byte, and its bad lengths; the frame queue (fq.c) at its caps and
 * across the ring's end; the forwarding database (fdb.c): learning,
 * ageing, moves, eviction, a port's removal; and the switch (sw.c):
 * flooding, unicast, filtering, hub mode, queue caps, a stalled port
 * beside a live one.  Time is a number the test moves.  Ends with
 * "N passed, N failed", as test-vq does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/net/fdb.h"
#include "../../src/net/fq.h"
#include "../../src/net/frame.h"
#include "../../src/net/sw.h"
#include "tcheck.h"

static const uint8_t	bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t	mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

/* A locally administered unicast address: 02:00:00:00:hi:lo. */
static void
mac(uint8_t m[6], unsigned n)
{
	m[0] = 0x02;
	m[1] = m[2] = m[3] = 0;
	m[4] = (uint8_t)(n >> 8);
	m[5] = (uint8_t)n;
}

/* A frame from src to dst of len bytes, its payload from seed. */
static size_t
mkframe(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], size_t len,
    unsigned seed)
{
	size_t	i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	for (i = FRAME_ETH; i < len; i++) {
		f[i] = (uint8_t)(seed * 31 + i * 7);
	}
	return len;
}

static uint32_t	rng = 2463534242u;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return n == 0 ? 0 : rng % n;
}

/* ---- frame ---- */

/* A stream: frames of these lengths, each behind its prefix. */
static const size_t	flens[] = { 14, 60, 1518, 15, 64, 1000, 14 };
#define NFLENS		(sizeof flens / sizeof flens[0])

static uint8_t	stream[8192];
static size_t	stream_len;

static void
mkstream(void)
{
	size_t	i;
	uint8_t	d[6], s[6];

	stream_len = 0;
	for (i = 0; i < NFLENS; i++) {
		mac(d, (unsigned)i);
		mac(s, (unsigned)i + 100);
		frame_hdr(stream + stream_len, flens[i]);
		stream_len += FRAME_HDR;
		stream_len += mkframe(stream + stream_len, d, s, flens[i],
		    (unsigned)i);
	}
}

/* Feed the stream in chunks cut at cuts[] (ascending); count frames right. */
static int
feed(const size_t *cuts, size_t ncuts, size_t *nframes)
{
	struct frame_rd	 fr;
	const uint8_t	*p, *f;
	size_t		 left, len, at = 0, end, k, want = 0, fi = 0;
	int		 r, ok = 1;

	if (frame_rd_init(&fr, frame_max(FRAME_MTU_DEFAULT)) == -1) {
		return 0;
	}
	for (k = 0; k <= ncuts; k++) {
		end = k < ncuts ? cuts[k] : stream_len;
		p = stream + at;
		left = end - at;
		while ((r = frame_rd_next(&fr, &p, &left, &f, &len)) == 1) {
			want += FRAME_HDR;
			if (fi >= NFLENS || len != flens[fi] ||
			    memcmp(f, stream + want, len) != 0) {
				ok = 0;
			}
			want += len;
			fi++;
		}
		if (r != 0 || left != 0) {
			ok = 0;
		}
		at = end;
	}
	*nframes = fi;
	if (fr.need != 0 || fr.got != 0) {
		ok = 0;
	}
	frame_rd_free(&fr);
	return ok && fi == NFLENS;
}

static void
test_frame_split(void)
{
	size_t	cuts[2], n = 0, off, off2, bad = 0, i;
	size_t	*every;
	int	ok;

	mkstream();
	ok = feed(NULL, 0, &n);
	tcheck(ok, "a stream of %zu frames in one read: %zu", NFLENS, n);
	for (off = 1; off < stream_len; off++) {
		cuts[0] = off;
		if (!feed(cuts, 1, &n)) {
			bad++;
		}
	}
	tcheck(bad == 0, "split in two at every offset: %zu wrong", bad);
	bad = 0;
	for (off = 1; off < 200; off++) {
		for (off2 = off + 1; off2 < stream_len; off2 += 37) {
			cuts[0] = off;
			cuts[1] = off2;
			if (!feed(cuts, 2, &n)) {
				bad++;
			}
		}
	}
	tcheck(bad == 0, "split in three at many pairs: %zu wrong", bad);
	every = malloc(stream_len * sizeof *every);
	for (i = 0; i + 1 < stream_len; i++) {
		every[i] = i + 1;
	}
	ok = feed(every, stream_len - 1, &n);
	tcheck(ok, "byte by byte: %zu frames", n);
	free(every);
}

/* A frame held whole by one read is handed out where it lies. */
static void
test_frame_nocopy(void)
{
	struct frame_rd	 fr;
	const uint8_t	*p, *f;
	size_t		 left, len;
	int		 r;

	mkstream();
	frame_rd_init(&fr, 1518);
	p = stream;
	left = stream_len;
	r = frame_rd_next(&fr, &p, &left, &f, &len);
	tcheck(r == 1 && f == stream + FRAME_HDR && len == flens[0],
	    "a whole frame points into the caller's bytes");
	p = stream + FRAME_HDR + flens[0];
	left = 7;
	r = frame_rd_next(&fr, &p, &left, &f, &len);
	tcheck(r == 0 && left == 0, "a part frame is taken, not handed out");
	left = stream_len - (size_t)(p - stream);
	r = frame_rd_next(&fr, &p, &left, &f, &len);
	tcheck(r == 1 && f == fr.buf && len == flens[1] &&
	    memcmp(f, stream + 2 * FRAME_HDR + flens[0], len) == 0,
	    "a split frame comes from the reader's buffer");
	frame_rd_free(&fr);
}

/* A stream whose second length is bad: the first frame, then -1. */
static void
bad_len(uint32_t badlen, size_t max, const char *want, size_t split)
{
	struct frame_rd	 fr;
	uint8_t		 b[64], d[6], s[6];
	const uint8_t	*p, *f;
	size_t		 left, len, n = 0, at = 0, end, stop = 0;
	int		 r, frames = 0, broke = 0;

	mac(d, 1);
	mac(s, 2);
	frame_hdr(b, 20);
	n = FRAME_HDR + mkframe(b + FRAME_HDR, d, s, 20, 1);
	b[n++] = (uint8_t)(badlen >> 24);
	b[n++] = (uint8_t)(badlen >> 16);
	b[n++] = (uint8_t)(badlen >> 8);
	b[n++] = (uint8_t)badlen;
	memset(b + n, 0xaa, 30);
	n += 30;
	frame_rd_init(&fr, max);
	while (at < n) {
		end = split ? (at + split < n ? at + split : n) : n;
		p = b + at;
		left = end - at;
		while ((r = frame_rd_next(&fr, &p, &left, &f, &len)) == 1) {
			frames++;
		}
		if (r == -1) {
			broke = 1;
			stop = (size_t)(p - b);
			break;
		}
		at = end;
	}
	p = b;
	left = n;
	r = frame_rd_next(&fr, &p, &left, &f, &len);
	tcheck(frames == 1 && broke && fr.why != NULL &&
	    strcmp(fr.why, want) == 0 && fr.badlen == badlen && r == -1 &&
	    stop == 2 * FRAME_HDR + 20,
	    "length %lu (max %zu, reads of %zu): one frame, then \"%s\" "
	    "just past the length",
	    (unsigned long)badlen, max, split, fr.why ? fr.why : "(none)");
	frame_rd_free(&fr);
}

static void
test_frame_bad(void)
{
	static const size_t	splits[] = { 0, 1, 2, 3, 5, 25 };
	size_t			i;

	for (i = 0; i < sizeof splits / sizeof splits[0]; i++) {
		bad_len(0, 1518, "a frame of length 0", splits[i]);
		bad_len(13, 1518, "a frame shorter than an Ethernet header",
		    splits[i]);
		bad_len(1519, 1518,
		    "a frame longer than the network's MTU allows", splits[i]);
		bad_len(0xffffffffu, FRAME_MAX,
		    "a frame longer than the network's MTU allows", splits[i]);
		bad_len(0x68656c6cu, 1518,	/* "hell": not our framing */
		    "a frame longer than the network's MTU allows", splits[i]);
	}
	tcheck(frame_check(14, 1518) == NULL && frame_check(1518, 1518) ==
	    NULL && frame_check(1519, 1518) != NULL &&
	    frame_check(FRAME_MAX + 1, FRAME_MAX + 10) != NULL,
	    "frame_check at the edges");
	tcheck(frame_max(1500) == 1518 && frame_max(9000) == 9018 &&
	    frame_max(1000000) == FRAME_MAX && frame_max(FRAME_MTU_MAX) ==
	    FRAME_MAX, "frame_max: MTU + 18, at most FRAME_MAX");
}

static void
test_frame_hdr(void)
{
	uint8_t			 h[FRAME_HDR], big[FRAME_HDR + FRAME_MAX];
	struct frame_rd		 fr;
	const uint8_t		*p, *f;
	size_t			 left, len;
	int			 r;

	frame_hdr(h, 1518);
	tcheck(h[0] == 0 && h[1] == 0 && h[2] == 0x05 && h[3] == 0xee,
	    "frame_hdr(1518) is 00 00 05 ee");
	frame_hdr(h, FRAME_MAX);
	tcheck(h[0] == 0 && h[1] == 1 && h[2] == 0 && h[3] == 0,
	    "frame_hdr(65536) is 00 01 00 00");
	/* The largest frame, split near its end. */
	memcpy(big, h, FRAME_HDR);
	memset(big + FRAME_HDR, 0x5a, FRAME_MAX);
	frame_rd_init(&fr, FRAME_MAX);
	p = big;
	left = sizeof big - 1;
	r = frame_rd_next(&fr, &p, &left, &f, &len);
	tcheck(r == 0, "65,535 of a 65,536-byte frame: not yet");
	left = 1;
	r = frame_rd_next(&fr, &p, &left, &f, &len);
	tcheck(r == 1 && len == FRAME_MAX && f[FRAME_MAX - 1] == 0x5a,
	    "a 65,536-byte frame with MTU %u", FRAME_MTU_MAX);
	frame_rd_free(&fr);
}

/* ---- fq ---- */

/* The queue's bytes as fq_peek gives them, joined. */
static size_t
fq_flat(const struct fq *q, uint8_t *out)
{
	struct iovec	iov[2];
	size_t		n = 0;
	int		i, c;

	c = fq_peek(q, iov);
	for (i = 0; i < c; i++) {
		memcpy(out + n, iov[i].iov_base, iov[i].iov_len);
		n += iov[i].iov_len;
	}
	return n;
}

static void
test_fq_caps(void)
{
	struct fq	 q;
	uint8_t		 f[200], flat[256];
	uint64_t	 fb = 0;
	unsigned	 done;

	memset(f, 0x11, sizeof f);
	fq_init(&q, 100, 3);
	tcheck(fq_put(&q, f, 50) == 0, "50 bytes into a 100-byte queue");
	tcheck(fq_put(&q, f, 50) == -1 && fq_bytes(&q) == 54,
	    "another 50 do not fit (4 of prefix each)");
	tcheck(fq_put(&q, f, 42) == 0 && fq_bytes(&q) == 100,
	    "42 more fill it to the byte");
	tcheck(fq_put(&q, f, 1) == -1, "then nothing fits");
	tcheck(fq_flat(&q, flat) == 100 && flat[0] == 0 && flat[3] == 50 &&
	    flat[54] == 0 && flat[57] == 42, "peek is the wire format");
	done = fq_consume(&q, 3, &fb);
	tcheck(done == 0 && q.frames == 2 && fb == 0,
	    "3 bytes sent: no frame done");
	done = fq_consume(&q, 51, &fb);
	tcheck(done == 1 && q.frames == 1 && fb == 50,
	    "the rest of the first: one frame of 50 done");
	fq_free(&q);

	fq_init(&q, 1000, 2);
	fq_put(&q, f, 20);
	fq_put(&q, f, 20);
	tcheck(fq_put(&q, f, 20) == -1, "the frame cap (2) holds with room");
	tcheck(fq_next(&q) == 20 && q.frames == 1 && fq_bytes(&q) == 24,
	    "fq_next drops one frame");
	tcheck(fq_put(&q, f, 20) == 0, "and makes room for one");
	fq_free(&q);
}

/*
 * Many frames through a small ring, so that records straddle its end,
 * drained as a stream port (writes of any size) and as a datagram port
 * (a frame at a time) by turns, against a model: the bytes from the
 * first unsent one, the lengths of the frames not wholly sent, and how
 * much of the first one was sent.
 */
static void
test_fq_wrap(void)
{
	struct fq	 q;
	struct iovec	 iov[2];
	uint8_t		 f[80], model[4096], flat[256], got[80];
	size_t		 fl[64], mlen = 0, off = 0, n, len, rest, k;
	unsigned	 round, bad = 0, nf, want, first = 0, mf = 0;
	uint64_t	 fb, wantfb;
	int		 i, c;

	fq_init(&q, 97, 8);
	for (round = 0; round < 20000 && bad == 0; round++) {
		switch (rnd(3)) {
		case 0:
			len = 1 + rnd(60);
			for (k = 0; k < len; k++) {
				f[k] = (uint8_t)rnd(256);
			}
			if (fq_put(&q, f, len) == -1) {
				if (mlen + FRAME_HDR + len <= 97 && mf < 8) {
					bad++;
				}
				break;
			}
			frame_hdr(model + mlen, len);
			memcpy(model + mlen + FRAME_HDR, f, len);
			mlen += FRAME_HDR + len;
			fl[(first + mf++) % 64] = len;
			break;
		case 1:
			if (mlen == 0) {
				break;
			}
			n = 1 + rnd((uint32_t)mlen);
			fb = 0;
			nf = fq_consume(&q, n, &fb);
			memmove(model, model + n, mlen - n);
			mlen -= n;
			off += n;
			want = 0;
			wantfb = 0;
			while (mf > 0 && off >= FRAME_HDR + fl[first % 64]) {
				off -= FRAME_HDR + fl[first % 64];
				wantfb += fl[first % 64];
				first++;
				mf--;
				want++;
			}
			if (nf != want || fb != wantfb) {
				bad++;
			}
			break;
		case 2:
			if (mf == 0) {
				if (fq_peek_frame(&q, iov) != 0 ||
				    fq_next(&q) != 0) {
					bad++;
				}
				break;
			}
			len = fl[first % 64];
			rest = FRAME_HDR + len - off;
			c = fq_peek_frame(&q, iov);
			n = 0;
			for (i = 0; i < c; i++) {
				memcpy(got + n, iov[i].iov_base,
				    iov[i].iov_len);
				n += iov[i].iov_len;
			}
			k = rest < len ? rest : len;
			if (n != k || memcmp(got, model + rest - k, k) != 0) {
				bad++;
			}
			if (fq_next(&q) != len) {
				bad++;
			}
			memmove(model, model + rest, mlen - rest);
			mlen -= rest;
			off = 0;
			first++;
			mf--;
			break;
		}
		if (fq_flat(&q, flat) != mlen || memcmp(flat, model, mlen) !=
		    0 || q.frames != mf || fq_bytes(&q) != mlen) {
			bad++;
		}

	}
	tcheck(bad == 0, "20,000 random puts, writes and datagrams in a "
	    "97-byte ring: bytes and frames always the model's (round %u)",
	    round);
	fq_free(&q);
}

/* ---- fdb ---- */

static void
test_fdb(void)
{
	struct fdb		 f;
	const struct fdb_ent	*e;
	uint8_t			 a[6], b[6], c[6], zero[6] = { 0 };
	int32_t			 cur = -1;
	unsigned		 i, n, bad;

	tcheck(!fdb_learnable(bcast) && !fdb_learnable(mcast) &&
	    !fdb_learnable(zero), "group and zero addresses are not learned");
	mac(a, 1);
	tcheck(fdb_learnable(a), "a unicast address is");

	fdb_init(&f, 4, 300000, 1);
	mac(a, 1);
	mac(b, 2);
	mac(c, 3);
	tcheck(fdb_lookup(&f, a, 0) == -1, "empty: unknown");
	fdb_learn(&f, a, 0, 1000);
	fdb_learn(&f, b, 1, 2000);
	tcheck(fdb_lookup(&f, a, 1000) == 0 && fdb_lookup(&f, b, 2000) == 1,
	    "learned on their ports");
	tcheck(fdb_lookup(&f, a, 1000 + 299999) == 0 &&
	    fdb_lookup(&f, a, 1000 + 300000) == -1,
	    "aged out at exactly 300 s");
	tcheck(fdb_lookup(&f, a, 500) == 0, "a clock gone back ages nothing");
	fdb_learn(&f, a, 2, 3000);
	tcheck(fdb_lookup(&f, a, 3000) == 2 && f.moved == 1,
	    "heard on another port: moved");
	fdb_expire(&f, 2000 + 300000);
	tcheck(f.n == 1 && fdb_lookup(&f, b, 0) == -1 &&
	    fdb_lookup(&f, a, 3000) == 2, "expire forgets only the old one");
	fdb_free(&f);

	/* Full: the least recently heard goes. */
	fdb_init(&f, 3, 0, 2);
	for (i = 1; i <= 3; i++) {
		mac(a, i);
		fdb_learn(&f, a, (int)i, i);
	}
	mac(a, 1);
	fdb_learn(&f, a, 1, 10);	/* 1 is heard again: 2 is oldest */
	mac(a, 4);
	fdb_learn(&f, a, 4, 11);
	mac(b, 2);
	mac(c, 1);
	tcheck(f.n == 3 && f.evicted == 1 && fdb_lookup(&f, b, 11) == -1 &&
	    fdb_lookup(&f, c, 11) == 1 && fdb_lookup(&f, a, 11) == 4,
	    "full: the oldest (2) is forgotten, a refreshed one (1) kept");
	tcheck(fdb_lookup(&f, c, 1u << 30) == 1, "age 0: never aged");
	n = 0;
	cur = -1;
	while ((e = fdb_walk(&f, &cur)) != NULL) {
		n++;
	}
	tcheck(n == 3 && fdb_walk(&f, &cur) == NULL, "walk: 3 entries");
	cur = -1;
	e = fdb_walk(&f, &cur);
	tcheck(e != NULL && e->mac[5] == 3, "walk starts with the oldest");
	tcheck(fdb_flush_port(&f, 4) == 1 && f.n == 2 &&
	    fdb_lookup(&f, a, 11) == -1, "flush_port forgets its addresses");
	fdb_free(&f);

	/* Many more addresses than room: bounded, the newest all found. */
	fdb_init(&f, 4096, 300000, 3);
	for (i = 0; i < 20000; i++) {
		mac(a, i);
		a[2] = (uint8_t)(i >> 16);
		fdb_learn(&f, a, (int)(i % 7), 1000 + i);
	}
	bad = 0;
	for (i = 20000 - 4096; i < 20000; i++) {
		mac(a, i);
		a[2] = (uint8_t)(i >> 16);
		if (fdb_lookup(&f, a, 21000) != (int)(i % 7)) {
			bad++;
		}
	}
	tcheck(f.n == 4096 && f.evicted == 20000 - 4096 && bad == 0,
	    "20,000 addresses into 4,096: the newest 4,096 kept (%u wrong)",
	    bad);
	fdb_expire(&f, 1000 + 19999 + 300000);
	tcheck(f.n == 0, "all aged out together");
	fdb_free(&f);
}

/* ---- sw ---- */

static struct sw *
mksw(int hub, unsigned macs, size_t qbytes, unsigned qframes)
{
	struct sw_conf	c;

	sw_conf_default(&c);
	c.ports = 8;
	c.hub = hub;
	c.seed = 42;
	if (macs) {
		c.macs = macs;
	}
	if (qbytes) {
		c.qbytes = qbytes;
	}
	if (qframes) {
		c.qframes = qframes;
	}
	return sw_new(&c);
}

static size_t
qframes(const struct sw *sw, int port)
{
	struct sw_stats	st;

	sw_stats(sw, port, &st);
	return st.qframes;
}

/* Take a datagram port's next frame; its length, 0 if none. */
static size_t
take(struct sw *sw, int port, uint8_t *out)
{
	struct iovec	iov[2];
	size_t		n = 0;
	int		i, c;

	c = sw_peek_frame(sw, port, iov);
	for (i = 0; i < c; i++) {
		memcpy(out + n, iov[i].iov_base, iov[i].iov_len);
		n += iov[i].iov_len;
	}
	if (c > 0) {
		sw_next(sw, port, 1);
	}
	return n;
}

static void
drain(struct sw *sw, int port)
{
	uint8_t	buf[FRAME_MAX];

	while (take(sw, port, buf) > 0) {
		;
	}
}

static void
test_sw_conf(void)
{
	struct sw_conf	c;
	struct sw	*sw;

	sw_conf_default(&c);
	tcheck(c.ports == 64 && c.macs == 4096 && c.age_ms == 300000 &&
	    c.frame_max == 1518 && !c.hub, "defaults");
	c.qbytes = 1518 + 3;
	tcheck(sw_new(&c) == NULL, "a queue that cannot hold one frame");
	c.qbytes = 1518 + 4;
	sw = sw_new(&c);
	tcheck(sw != NULL, "a queue of exactly one largest frame");
	sw_free(sw);
	c.ports = 0;
	tcheck(sw_new(&c) == NULL, "no ports");
}

static void
test_sw_learning(void)
{
	struct sw	*sw = mksw(0, 0, 0, 0);
	struct sw_stats	 st;
	uint8_t		 f[1518], got[1518], ma[6], mb[6], mc[6];
	size_t		 len;
	int		 A, B, C, r, p1, p2, p3;

	A = sw_port_add(sw);
	B = sw_port_add(sw);
	C = sw_port_add(sw);
	tcheck(A == 0 && B == 1 && C == 2, "ports 0, 1, 2");
	mac(ma, 0xa);
	mac(mb, 0xb);
	mac(mc, 0xc);

	len = mkframe(f, mb, ma, 60, 1);
	r = sw_input(sw, A, f, len, 1000);
	tcheck(r == 2 && qframes(sw, A) == 0 && qframes(sw, B) == 1 &&
	    qframes(sw, C) == 1, "A to unknown B: flooded to B and C, not A");
	p1 = sw_ready(sw);
	p2 = sw_ready(sw);
	p3 = sw_ready(sw);
	tcheck(p1 == B && p2 == C && p3 == -1, "ready: B, C, then none");
	tcheck(take(sw, B, got) == 60 && memcmp(got, f, 60) == 0,
	    "B gets the frame as sent");
	drain(sw, C);

	len = mkframe(f, ma, mb, 70, 2);
	r = sw_input(sw, B, f, len, 1001);
	tcheck(r == 1 && qframes(sw, A) == 1 && qframes(sw, C) == 0,
	    "B to A (learned): A only");
	tcheck(sw_ready(sw) == A && sw_ready(sw) == -1, "ready: A");
	drain(sw, A);

	len = mkframe(f, mb, ma, 80, 3);
	r = sw_input(sw, A, f, len, 1002);
	tcheck(r == 1 && qframes(sw, B) == 1 && qframes(sw, C) == 0,
	    "A to B (learned from its reply): B only");
	drain(sw, B);

	len = mkframe(f, bcast, ma, 60, 4);
	r = sw_input(sw, A, f, len, 1003);
	tcheck(r == 2 && qframes(sw, B) == 1 && qframes(sw, C) == 1 &&
	    qframes(sw, A) == 0, "broadcast: every other port");
	drain(sw, B);
	drain(sw, C);
	len = mkframe(f, mcast, mb, 60, 5);
	r = sw_input(sw, B, f, len, 1004);
	tcheck(r == 2 && qframes(sw, A) == 1 && qframes(sw, C) == 1,
	    "multicast: every other port");
	drain(sw, A);
	drain(sw, C);

	/* A frame for an address on its own port goes nowhere. */
	len = mkframe(f, ma, mc, 60, 6);
	sw_input(sw, C, f, len, 1005);	/* C is learned on C */
	drain(sw, A);
	len = mkframe(f, mc, mc, 60, 7);
	r = sw_input(sw, C, f, len, 1006);
	sw_stats(sw, C, &st);
	tcheck(r == 0 && st.filtered == 1 && qframes(sw, A) == 0 &&
	    qframes(sw, B) == 0, "to its own port: filtered, counted");

	/* An address that moves follows its new port. */
	len = mkframe(f, bcast, mb, 60, 8);
	sw_input(sw, C, f, len, 1007);		/* B's address, now on C */
	drain(sw, A);
	drain(sw, B);
	len = mkframe(f, mb, ma, 60, 9);
	r = sw_input(sw, A, f, len, 1008);
	tcheck(r == 1 && qframes(sw, C) == 1 && qframes(sw, B) == 0 &&
	    sw->fdb.moved == 1, "B's address heard on C: frames for it "
	    "go to C");
	drain(sw, C);

	/* A group source address is forwarded, never learned. */
	len = mkframe(f, ma, bcast, 60, 10);
	sw_input(sw, B, f, len, 1009);
	drain(sw, A);
	len = mkframe(f, bcast, ma, 60, 11);
	sw_input(sw, A, f, len, 1010);
	drain(sw, B);
	drain(sw, C);
	tcheck(fdb_lookup(&sw->fdb, bcast, 1010) == -1,
	    "a broadcast source is not learned");

	/* Ageing: 300 s after B's last frame, frames for it flood again. */
	len = mkframe(f, mc, ma, 60, 12);
	r = sw_input(sw, A, f, len, 1006 + 299999);
	tcheck(r == 1, "C's address 300 s less 1 ms later: still known");
	drain(sw, C);
	len = mkframe(f, mb, ma, 60, 13);
	r = sw_input(sw, A, f, len, 1007 + 300000);
	tcheck(r == 2 && qframes(sw, B) == 1 && qframes(sw, C) == 1,
	    "300 s after B's address was last heard: flooded");

	sw_stats(sw, A, &st);
	tcheck(st.frames_in == 7 && st.last_in == 1007 + 300000 &&
	    st.macs == 1, "A's counters: %llu in, %u address",
	    (unsigned long long)st.frames_in, st.macs);
	sw_free(sw);
}

static void
test_sw_hub(void)
{
	struct sw	*sw = mksw(1, 0, 0, 0);
	uint8_t		 f[100], ma[6], mb[6];
	int		 A, B, C, r;

	A = sw_port_add(sw);
	B = sw_port_add(sw);
	C = sw_port_add(sw);
	mac(ma, 1);
	mac(mb, 2);
	mkframe(f, ma, mb, 60, 1);
	sw_input(sw, B, f, 60, 1);
	mkframe(f, mb, ma, 60, 2);
	r = sw_input(sw, A, f, 60, 2);
	tcheck(r == 2 && qframes(sw, B) == 1 && qframes(sw, C) == 2 &&
	    qframes(sw, A) == 1, "hub: a known unicast frame still floods");
	mkframe(f, mb, mb, 60, 3);
	r = sw_input(sw, B, f, 60, 3);
	tcheck(r == 2, "hub: even one for the sender's own address");
	sw_free(sw);
}

static void
test_sw_ports(void)
{
	struct sw	*sw = mksw(0, 0, 0, 0);
	struct sw_stats	 st;
	uint8_t		 f[100], ma[6], mb[6], mx[6];
	uint64_t	 fl;
	int		 A, B, C, B2, r, i, n;

	A = sw_port_add(sw);
	B = sw_port_add(sw);
	C = sw_port_add(sw);
	mac(ma, 1);
	mac(mb, 2);
	mkframe(f, ma, mb, 60, 1);
	sw_input(sw, B, f, 60, 1);	/* mb learned on B */
	drain(sw, A);
	drain(sw, C);
	mkframe(f, mb, ma, 60, 2);
	sw_input(sw, A, f, 60, 2);	/* queued for B */
	tcheck(qframes(sw, B) == 1, "B has a frame queued");
	sw_port_del(sw, B);
	sw_stats(sw, B, &st);
	tcheck(st.qframes == 0 && st.frames_in == 0,
	    "a removed port has nothing");
	tcheck(sw_input(sw, B, f, 60, 3) == -1, "input from it is refused");
	B2 = sw_port_add(sw);
	sw_stats(sw, B2, &st);
	tcheck(B2 == B && st.frames_in == 0 && st.qframes == 0 &&
	    st.macs == 0, "its number is reused, with nothing of the old port");
	fl = sw->flooded;
	mkframe(f, mb, ma, 60, 4);
	r = sw_input(sw, A, f, 60, 4);
	tcheck(r == 2 && sw->flooded == fl + 1 && qframes(sw, C) == 1,
	    "the old port's address is unknown: flooded, not sent to the "
	    "new occupant alone");
	/* A removed port's place on the ready list goes with it. */
	drain(sw, C);
	while (sw_ready(sw) != -1) {
		;
	}
	drain(sw, B2);
	mkframe(f, bcast, ma, 60, 5);
	sw_input(sw, A, f, 60, 5);
	sw_port_del(sw, B2);
	tcheck(sw_ready(sw) == C && sw_ready(sw) == -1,
	    "a removed port is not returned as ready");
	/* The switch fills. */
	n = 0;
	while ((i = sw_port_add(sw)) != -1) {
		n++;
	}
	tcheck(n == 6, "8 ports at most: 6 more added");
	sw_port_del(sw, 5);
	tcheck(sw_port_add(sw) == 5, "the lowest free number is reused");
	/* Runts and giants are refused and counted. */
	mac(mx, 9);
	mkframe(f, bcast, mx, 14, 6);
	tcheck(sw_input(sw, A, f, 13, 6) == -1 && sw_input(sw, A, f, 0, 6) ==
	    -1, "13 and 0 bytes: refused");
	sw_stats(sw, A, &st);
	tcheck(st.bad == 2, "and counted as bad");
	tcheck(sw_input(sw, 99, f, 60, 6) == -1 &&
	    sw_input(sw, -1, f, 60, 6) == -1, "no such port");
	sw_free(sw);
}

/* A stalled port loses its own frames; the others get every one. */
static void
test_sw_stall(void)
{
	struct sw	*sw = mksw(0, 0, 16 * 1024, 100);
	struct sw_stats	 sa, sb, sc;
	uint8_t		 f[1518], got[1518], ma[6];
	int		 A, B, C, i, bad = 0;
	unsigned	 sent = 1000;

	A = sw_port_add(sw);
	B = sw_port_add(sw);
	C = sw_port_add(sw);	/* never read */
	mac(ma, 1);
	for (i = 0; i < (int)sent; i++) {
		mkframe(f, bcast, ma, 1000, (unsigned)i);
		sw_input(sw, A, f, 1000, (uint64_t)i);
		if (take(sw, B, got) != 1000 || memcmp(got, f, 1000) != 0) {
			bad++;
		}
	}
	sw_stats(sw, A, &sa);
	sw_stats(sw, B, &sb);
	sw_stats(sw, C, &sc);
	tcheck(bad == 0 && sb.frames_out == sent && sb.qdrops == 0,
	    "B, beside a stalled C, got all %u frames", sent);
	tcheck(sc.qframes == 16 && sc.qbytes == 16 * 1004 &&
	    sc.qdrops == sent - 16 && sc.queued == 16,
	    "C holds 16 (16 KiB queue), lost %llu, counted",
	    (unsigned long long)sc.qdrops);
	tcheck(sa.frames_in == sent && sa.bytes_in == sent * 1000ull,
	    "A's input counted");
	/* The frame cap holds with bytes to spare. */
	sw_free(sw);
	sw = mksw(0, 0, 1 << 20, 5);
	A = sw_port_add(sw);
	B = sw_port_add(sw);
	for (i = 0; i < 10; i++) {
		mkframe(f, bcast, ma, 64, (unsigned)i);
		sw_input(sw, A, f, 64, 1);
	}
	sw_stats(sw, B, &sb);
	tcheck(sb.qframes == 5 && sb.qdrops == 5, "a 5-frame queue: 5 kept, "
	    "5 lost");
	sw_free(sw);
}

/* A stream port drains in writes of any size; counters follow frames. */
static void
test_sw_stream(void)
{
	struct sw	*sw = mksw(0, 0, 0, 0);
	struct sw_stats	 st;
	struct iovec	 iov[2];
	uint8_t		 f[200], wire[2048], ma[6];
	size_t		 n = 0, want = 0;
	int		 A, B, c, i;

	A = sw_port_add(sw);
	B = sw_port_add(sw);
	mac(ma, 1);
	for (i = 0; i < 5; i++) {
		mkframe(f, bcast, ma, 100 + (size_t)i, (unsigned)i);
		sw_input(sw, A, f, 100 + (size_t)i, 1);
		frame_hdr(wire + want, 100 + (size_t)i);
		memcpy(wire + want + FRAME_HDR, f, 100 + (size_t)i);
		want += FRAME_HDR + 100 + (size_t)i;
	}
	c = sw_peek(sw, B, iov);
	for (i = 0; i < c; i++) {
		n += iov[i].iov_len;
	}
	tcheck(c == 1 && n == want && memcmp(iov[0].iov_base, wire, want) ==
	    0, "peek: five frames, wire format, one iovec");
	sw_sent(sw, B, 150);
	sw_stats(sw, B, &st);
	tcheck(st.frames_out == 1 && st.bytes_out == 100 && st.qframes == 4,
	    "150 bytes written: one frame out, the second begun");
	c = sw_peek(sw, B, iov);
	tcheck(c == 1 && iov[0].iov_len == want - 150 &&
	    memcmp(iov[0].iov_base, wire + 150, want - 150) == 0,
	    "peek resumes inside the second frame");
	sw_sent(sw, B, want - 150);
	sw_stats(sw, B, &st);
	tcheck(st.frames_out == 5 && st.bytes_out == 510 && st.qframes == 0 &&
	    st.qbytes == 0, "the rest: five out, 510 bytes");
	mkframe(f, bcast, ma, 60, 9);
	sw_input(sw, A, f, 60, 2);
	sw_next(sw, B, 0);
	sw_stats(sw, B, &st);
	tcheck(st.txerr == 1 && st.frames_out == 5 && st.qframes == 0,
	    "a datagram its socket refused: txerr");
	sw_free(sw);
}

/* A full fdb: the oldest address is forgotten, its frames flood. */
static void
test_sw_table_full(void)
{
	struct sw	*sw = mksw(0, 4, 0, 0);
	uint8_t		 f[100], m[6], ma[6];
	int		 A, P[5], r;
	unsigned	 i;

	A = sw_port_add(sw);
	for (i = 0; i < 5; i++) {
		P[i] = sw_port_add(sw);
		mac(m, 0x10 + i);
		mkframe(f, bcast, m, 60, i);
		sw_input(sw, P[i], f, 60, 10 + i);
	}
	for (i = 0; i < 6; i++) {
		drain(sw, (int)i);
	}
	mac(ma, 0xa);
	mac(m, 0x10);
	mkframe(f, m, ma, 60, 99);
	r = sw_input(sw, A, f, 60, 20);
	tcheck(r == 5 && fdb_lookup(&sw->fdb, m, 20) == -1 &&
	    sw->fdb.evicted == 2 && sw->fdb.n == 4,
	    "4 entries, 6 addresses: the oldest are forgotten and frames for "
	    "them flood (%d ports)", r);
	for (i = 0; i < 6; i++) {
		drain(sw, (int)i);
	}
	mac(m, 0x14);
	mkframe(f, m, ma, 60, 100);
	/* A's address went in, pushing out 0x11; 0x14 is still there. */
	r = sw_input(sw, A, f, 60, 21);
	tcheck(r == 1 && qframes(sw, P[4]) == 1, "the newest still unicast");
	sw_free(sw);
}

int
main(void)
{
	test_frame_split();
	test_frame_nocopy();
	test_frame_bad();
	test_frame_hdr();
	test_fq_caps();
	test_fq_wrap();
	test_fdb();
	test_sw_conf();
	test_sw_learning();
	test_sw_hub();
	test_sw_ports();
	test_sw_stall();
	test_sw_stream();
	test_sw_table_full();
	printf("%d passed, %d failed\n", tcheck_pass, tcheck_fail);
	return tcheck_fail == 0 ? 0 : 1;
}
