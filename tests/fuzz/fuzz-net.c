/*
 * fuzz-net: libFuzzer harness for the guest network layer (src/net): the
 * stream framing a guest's QEMU (or anyone who connects) writes, and the
 * switch that frames, ports and time drive, each checked against a plain
 * model.
 *
 * fuzz-sources: src/net/frame.c src/net/fq.c src/net/fdb.c src/net/sw.c
 * fuzz-seeds: tests/fuzz/net-seeds
 * fuzz-max-len: 8192
 *
 * Input (tests/fuzz/mknet.py writes the seeds): byte 0 sets things up,
 *   bits 0-1  the largest frame: 1518, 82 (MTU 64), 9018, 65536
 *   bits 2-4  how the framing's second run splits its reads (fuzzkit)
 *   bit 5     hub mode
 *   bits 6-7  the switch's fdb, queue and ageing: see set_conf
 * and byte 1 seeds the fdb's hash.  The rest is read twice.
 *
 * First as a stream: frame_rd takes it in one read and split into
 * reads; both runs must yield the same frames and break at the same
 * length with the same reason; every frame is 14 bytes to the largest,
 * and the frames, each behind frame_hdr's prefix, are exactly the input
 * up to where the reader stopped (the bytes after a broken length aside).
 *
 * Then as records, each an op byte whose low three bits say what it is:
 *   ADD   0    sw_port_add
 *   DEL   1    u8 port (mod 9: 8 is no port): sw_port_del
 *   IN    2    u8 port, u8 flags, (with flags bit 7: u16 n,) u8 dst,
 *              u8 src, u8 ms: the frame is 14 + flags % 64 bytes, or
 *              n + flags bit 0 mod the largest + 2 (0 to one too many);
 *              dst and src pick from ten unicast addresses, broadcast,
 *              two multicast ones and zero; time moves on by ms
 *   SEND  3    u8 port, u16: a stream write of that many bytes (mod what
 *              is queued + 1), from sw_peek, then sw_sent
 *   DGRAM 4    u8 port, u8: a datagram port's next frame, sent (bit 0)
 *              or refused by its socket
 *   READY 5    sw_ready until -1
 *   AGE   6    u16: time jumps by 64 ms times that; sw_age
 *   STORM 7    u8 port, u8 n: n % 32 broadcasts of 1,000 bytes from it
 * Every frame is in a buffer of its own exact length, so a read past
 * its end is ASan's.  The model is a plain list of addresses (the oldest
 * by last use goes when full; an entry heard from an ageing time ago or
 * more is gone at the next input or sw_age) and, per port, the bytes it
 * should have queued and its counters.  After every record:
 *   - sw_input's result is the model's, and so is every port's queue,
 *     byte for byte (sw_peek, sw_peek_frame), and every counter;
 *   - no frame is queued for the port it came from;
 *   - queues stay within their bytes and frames, the fdb within its size,
 *     with the model's number of addresses per port;
 *   - sw_ready gives the ports whose queues filled, in the model's order,
 *     each once, and never a removed port.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/net/fdb.h"
#include "../../src/net/fq.h"
#include "../../src/net/frame.h"
#include "../../src/net/sw.h"
#include "fuzzkit.h"

const char	fuzzkit_name[] = "fuzz-net";

#define PORTS		8
#define QFRAMES_MAX	1024
#define MACS_MAX	4096
#define QBYTES_MAX	(FRAME_HDR + FRAME_MAX)

/* ---- the stream ---- */

struct rd_run {
	struct fuzzkit_buf	 tr;	/* each frame: 4-byte length, bytes */
	const char		*why;
	size_t			 badlen;
	size_t			 used;	/* input bytes taken before breaking */
};

static void
rd_run(const uint8_t *data, size_t size, size_t max, unsigned split,
    struct rd_run *out)
{
	struct frame_rd		 fr;
	struct fuzzkit_reads	 rd;
	const uint8_t		*p, *f;
	uint8_t			 hdr[FRAME_HDR];
	size_t			 off, n, left, len;
	int			 r = 0;

	memset(out, 0, sizeof *out);
	CHECK(frame_rd_init(&fr, max) == 0, "frame_rd_init");
	fuzzkit_reads_init(&rd, split, 0);
	for (off = 0; off < size && r != -1; off += n) {
		n = fuzzkit_reads_next(&rd, size - off);
		p = data + off;
		left = n;
		while ((r = frame_rd_next(&fr, &p, &left, &f, &len)) == 1) {
			CHECK(len >= FRAME_ETH && len <= max,
			    "a frame of %zu bytes, largest %zu", len, max);
			CHECK(frame_check(len, max) == NULL, "frame_check");
			frame_hdr(hdr, len);
			fuzzkit_buf_add(&out->tr, hdr, FRAME_HDR);
			fuzzkit_buf_add(&out->tr, f, len);
		}
		if (r == 0) {
			CHECK(left == 0, "0 with %zu bytes left", left);
		}
		if (r == -1) {
			CHECK(fr.why != NULL && frame_check(fr.badlen, max) ==
			    fr.why, "broken without its reason");
			/* Up to and with the bad length's 4 bytes. */
			out->used = off + (size_t)(p - (data + off));
		}
	}
	if (r != -1) {
		out->used = size;
		CHECK(fr.why == NULL, "a reason without a break");
	} else {
		p = data;
		left = size;
		CHECK(frame_rd_next(&fr, &p, &left, &f, &len) == -1,
		    "a broken stream read on");
	}
	out->why = fr.why;
	out->badlen = fr.badlen;
	frame_rd_free(&fr);
}

static void
stream_check(const uint8_t *data, size_t size, size_t max, unsigned split)
{
	struct rd_run	a, b;

	rd_run(data, size, max, 0, &a);
	rd_run(data, size, max, split, &b);
	CHECK(fuzzkit_buf_same(&a.tr, &b.tr) && a.why == b.why &&
	    a.badlen == b.badlen, "split reads give other frames");
	/* The frames, framed again, are the input read so far. */
	CHECK(a.tr.len <= a.used && (a.tr.len == 0 ||
	    memcmp(a.tr.p, data, a.tr.len) == 0), "frames are not the input");
	if (a.why == NULL) {
		/* A part frame may be left over, no more than one. */
		CHECK(size - a.tr.len < FRAME_HDR + max, "%zu bytes not framed",
		    size - a.tr.len);
	} else {
		CHECK(a.used == a.tr.len + FRAME_HDR, "broke at %zu, framed %zu",
		    a.used, a.tr.len);
	}
	free(a.tr.p);
	free(b.tr.p);
}

/* ---- the model of the switch ---- */

struct ment {
	uint8_t		mac[6];
	int		port;
	uint64_t	seen;
	uint64_t	stamp;	/* when last learned: the oldest goes */
};

struct mport {
	int		 used;
	int		 ready;
	uint8_t		*wire;		/* its queue's unsent bytes */
	size_t		 wlen;
	size_t		 lens[QFRAMES_MAX];
	unsigned	 first, nf;
	size_t		 off;		/* of the first record, sent */
	struct sw_stats	 st;		/* qframes, qbytes, macs unused */
};

struct model {
	struct sw_conf	 c;
	struct ment	 e[MACS_MAX];
	unsigned	 n;
	uint64_t	 clock;
	struct mport	 p[PORTS];
	int		 live[PORTS];
	unsigned	 nlive;
	int		 ready[PORTS];
	unsigned	 nready;
};

static int
m_expired(const struct model *m, const struct ment *e, uint64_t now)
{
	return m->c.age_ms != 0 && now > e->seen &&
	    now - e->seen >= m->c.age_ms;
}

static void
m_del(struct model *m, unsigned i)
{
	m->e[i] = m->e[--m->n];
}

static void
m_expire(struct model *m, uint64_t now)
{
	unsigned	i = 0;

	while (i < m->n) {
		if (m_expired(m, &m->e[i], now)) {
			m_del(m, i);
		} else {
			i++;
		}
	}
}

static int
m_find(const struct model *m, const uint8_t mac[6])
{
	unsigned	i;

	for (i = 0; i < m->n; i++) {
		if (memcmp(m->e[i].mac, mac, 6) == 0) {
			return (int)i;
		}
	}
	return -1;
}

static void
m_learn(struct model *m, const uint8_t mac[6], int port, uint64_t now)
{
	unsigned	i, old;
	int		k;

	if ((k = m_find(m, mac)) != -1) {
		m->e[k].port = port;
		m->e[k].seen = now;
		m->e[k].stamp = ++m->clock;
		return;
	}
	if (m->n == m->c.macs) {
		old = 0;
		for (i = 1; i < m->n; i++) {
			if (m->e[i].stamp < m->e[old].stamp) {
				old = i;
			}
		}
		m_del(m, old);
	}
	memcpy(m->e[m->n].mac, mac, 6);
	m->e[m->n].port = port;
	m->e[m->n].seen = now;
	m->e[m->n].stamp = ++m->clock;
	m->n++;
}

static int
m_lookup(const struct model *m, const uint8_t mac[6], uint64_t now)
{
	int	k;

	if ((k = m_find(m, mac)) == -1 || m_expired(m, &m->e[k], now)) {
		return -1;
	}
	return m->e[k].port;
}

static int
m_put(struct model *m, int q, const uint8_t *f, size_t len)
{
	struct mport	*d = &m->p[q];

	if (d->nf >= m->c.qframes || d->wlen + FRAME_HDR + len >
	    m->c.qbytes) {
		d->st.qdrops++;
		return 0;
	}
	frame_hdr(d->wire + d->wlen, len);
	memcpy(d->wire + d->wlen + FRAME_HDR, f, len);
	d->wlen += FRAME_HDR + len;
	d->lens[(d->first + d->nf) % QFRAMES_MAX] = len;
	if (d->nf++ == 0 && !d->ready) {
		d->ready = 1;
		m->ready[m->nready++] = q;
	}
	d->st.queued++;
	return 1;
}

static int
m_input(struct model *m, int port, const uint8_t *f, size_t len,
    uint64_t now)
{
	struct mport	*s;
	unsigned	 i;
	int		 dst, n = 0;

	if (port < 0 || port >= PORTS || !m->p[port].used) {
		return -1;
	}
	s = &m->p[port];
	if (len < FRAME_ETH || len > m->c.frame_max) {
		s->st.bad++;
		return -1;
	}
	s->st.frames_in++;
	s->st.bytes_in += len;
	s->st.last_in = now;
	m_expire(m, now);
	if (fdb_learnable(f + 6)) {
		m_learn(m, f + 6, port, now);
	}
	if (!m->c.hub && !(f[0] & 1)) {
		dst = m_lookup(m, f, now);
		if (dst == port) {
			s->st.filtered++;
			return 0;
		}
		if (dst != -1) {
			return m_put(m, dst, f, len);
		}
	}
	for (i = 0; i < m->nlive; i++) {
		if (m->live[i] != port) {
			n += m_put(m, m->live[i], f, len);
		}
	}
	return n;
}

static void
m_consume(struct mport *d, size_t n)
{
	size_t	len;

	memmove(d->wire, d->wire + n, d->wlen - n);
	d->wlen -= n;
	d->off += n;
	while (d->nf > 0 && d->off >= FRAME_HDR + d->lens[d->first]) {
		len = d->lens[d->first];
		d->off -= FRAME_HDR + len;
		d->st.frames_out++;
		d->st.bytes_out += len;
		d->first = (d->first + 1) % QFRAMES_MAX;
		d->nf--;
	}
}

/* A datagram port's first frame (rest bytes of it) sent or refused. */
static void
m_next(struct mport *d, size_t rest, int sent)
{
	size_t	len = d->lens[d->first];

	memmove(d->wire, d->wire + rest, d->wlen - rest);
	d->wlen -= rest;
	d->off = 0;
	d->first = (d->first + 1) % QFRAMES_MAX;
	d->nf--;
	if (sent) {
		d->st.frames_out++;
		d->st.bytes_out += len;
	} else {
		d->st.txerr++;
	}
}

static int
m_add(struct model *m)
{
	int	i;

	for (i = 0; i < PORTS; i++) {
		if (!m->p[i].used) {
			break;
		}
	}
	if (i == PORTS) {
		return -1;
	}
	memset(&m->p[i].st, 0, sizeof m->p[i].st);
	m->p[i].used = 1;
	m->p[i].ready = 0;
	m->p[i].wlen = 0;
	m->p[i].first = m->p[i].nf = 0;
	m->p[i].off = 0;
	m->live[m->nlive++] = i;
	return i;
}

static void
m_port_del(struct model *m, int port)
{
	unsigned	i, n;

	if (port < 0 || port >= PORTS || !m->p[port].used) {
		return;
	}
	for (i = 0; i < m->n;) {
		if (m->e[i].port == port) {
			m_del(m, i);
		} else {
			i++;
		}
	}
	for (i = n = 0; i < m->nready; i++) {
		if (m->ready[i] != port) {
			m->ready[n++] = m->ready[i];
		}
	}
	m->nready = n;
	for (i = 0; i < m->nlive; i++) {
		if (m->live[i] == port) {
			m->live[i] = m->live[--m->nlive];
			break;
		}
	}
	m->p[port].used = 0;
}

/* ---- the checks ---- */

static size_t
flat(const struct iovec *iov, int n, uint8_t *out)
{
	size_t	len = 0;
	int	i;

	for (i = 0; i < n; i++) {
		memcpy(out + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	return len;
}

static uint8_t	peekbuf[QBYTES_MAX];
static uint8_t	mwire[PORTS][QBYTES_MAX];

static void
check_all(const struct sw *sw, const struct model *m)
{
	const struct mport	*d;
	struct sw_stats		 st;
	struct iovec		 iov[2];
	unsigned		 macs, i;
	int			 p, n;

	CHECK(sw->fdb.n == m->n && sw->fdb.n <= m->c.macs,
	    "fdb holds %u, model %u", sw->fdb.n, m->n);
	for (p = 0; p < PORTS; p++) {
		d = &m->p[p];
		sw_stats(sw, p, &st);
		if (!d->used) {
			CHECK(st.frames_in == 0 && st.qframes == 0 &&
			    sw_peek(sw, p, iov) == 0, "a removed port %d", p);
			continue;
		}
		macs = 0;
		for (i = 0; i < m->n; i++) {
			macs += m->e[i].port == p;
		}
		CHECK(st.frames_in == d->st.frames_in &&
		    st.bytes_in == d->st.bytes_in &&
		    st.frames_out == d->st.frames_out &&
		    st.bytes_out == d->st.bytes_out &&
		    st.queued == d->st.queued && st.qdrops == d->st.qdrops &&
		    st.filtered == d->st.filtered && st.bad == d->st.bad &&
		    st.txerr == d->st.txerr && st.last_in == d->st.last_in &&
		    st.macs == macs, "port %d's counters", p);
		CHECK(st.qframes == d->nf && st.qbytes == d->wlen &&
		    st.qframes <= m->c.qframes && st.qbytes <= m->c.qbytes,
		    "port %d's queue: %zu frames, %zu bytes", p, st.qframes,
		    st.qbytes);
		CHECK(st.queued == st.frames_out + st.txerr + st.qframes,
		    "port %d: queued is not out + refused + waiting", p);
		n = sw_peek(sw, p, iov);
		CHECK(flat(iov, n, peekbuf) == d->wlen &&
		    memcmp(peekbuf, d->wire, d->wlen) == 0,
		    "port %d's queued bytes", p);
	}
}

static void
set_conf(struct sw_conf *c, uint8_t cfg, uint8_t seed)
{
	static const size_t	fmax[4] = { 1518, 82, 9018, FRAME_MAX };
	static const unsigned	macs[4] = { 4096, 1, 3, 10 };
	static const size_t	qbytes[4] = { 16384, 0, 4096, 65536 };
	static const unsigned	qframes[4] = { 1024, 1, 3, 64 };
	static const uint64_t	age[4] = { 300000, 0, 1000, 50 };
	unsigned		k = cfg >> 6;

	sw_conf_default(c);
	c->ports = PORTS;
	c->frame_max = fmax[cfg & 3];
	c->hub = (cfg >> 5) & 1;
	c->seed = seed;
	c->macs = macs[k];
	c->qframes = qframes[k];
	c->age_ms = age[k];
	/*
	 * Small queues (0: room for one largest frame), so that they fill;
	 * none smaller than one largest frame, which sw_new refuses.
	 */
	c->qbytes = qbytes[k];
	if (c->qbytes < FRAME_HDR + c->frame_max) {
		c->qbytes = FRAME_HDR + c->frame_max;
	}
}

struct in {
	const uint8_t	*p;
	size_t		 left;
};

static unsigned
in8(struct in *in)
{
	if (in->left == 0) {
		return 0;
	}
	in->left--;
	return *in->p++;
}

static unsigned
in16(struct in *in)
{
	unsigned	hi = in8(in);

	return hi << 8 | in8(in);
}

static void
mkmac(uint8_t mac[6], unsigned sel)
{
	static const uint8_t	group[3][6] = {
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 },
		{ 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 },
	};

	sel %= 14;
	if (sel < 10) {
		mac[0] = 0x02;
		mac[1] = mac[2] = mac[3] = mac[4] = 0;
		mac[5] = (uint8_t)sel;
	} else if (sel < 13) {
		memcpy(mac, group[sel - 10], 6);
	} else {
		memset(mac, 0, 6);
	}
}

/* Payloads: byte i of frame k is pattern[k % 251 + i]. */
static uint8_t	pattern[FRAME_MAX + 251];
static uint32_t	seq;

/* One frame into the switch and the model; their answers must agree. */
static void
input(struct sw *sw, struct model *m, int port, size_t len, unsigned dsel,
    unsigned ssel, uint64_t now)
{
	uint8_t		*f, hdr[FRAME_ETH];
	size_t		 i;
	int		 r, w;

	if (pattern[1] == 0) {
		for (i = 0; i < sizeof pattern; i++) {
			pattern[i] = (uint8_t)(i % 251 + 1);
		}
	}
	mkmac(hdr, dsel);
	mkmac(hdr + 6, ssel);
	hdr[12] = 0x08;
	hdr[13] = 0x00;
	f = malloc(len > 0 ? len : 1);
	CHECK(f != NULL, "out of memory");
	memcpy(f, pattern + seq++ % 251, len);
	memcpy(f, hdr, len < FRAME_ETH ? len : FRAME_ETH);
	r = sw_input(sw, port, f, len, now);
	w = m_input(m, port, f, len, now);
	CHECK(r == w, "sw_input gave %d, the model %d", r, w);
	free(f);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model	 m;
	struct sw		*sw;
	struct in		 in;
	struct iovec		 iov[2];
	struct mport		*d;
	uint8_t			 cfg;
	uint64_t		 now = 1;
	size_t			 len, n, total, rest, k;
	unsigned		 op, i;
	int			 port, q, c, j;

	if (size < 2) {
		return 0;
	}
	cfg = data[0];
	memset(&m, 0, sizeof m);
	for (i = 0; i < PORTS; i++) {
		m.p[i].wire = mwire[i];
	}
	set_conf(&m.c, cfg, data[1]);
	data += 2;
	size -= 2;

	stream_check(data, size, m.c.frame_max, 1 + ((cfg >> 2) & 7));

	sw = sw_new(&m.c);
	CHECK(sw != NULL, "sw_new");
	in.p = data;
	in.left = size;
	while (in.left > 0) {
		op = in8(&in);
		switch (op & 7) {
		case 0:
			q = sw_port_add(sw);
			CHECK(q == m_add(&m), "sw_port_add gave %d", q);
			break;
		case 1:
			port = (int)(in8(&in) % 9);
			sw_port_del(sw, port);
			m_port_del(&m, port);
			break;
		case 2:
			port = (int)(in8(&in) % 9);
			c = (int)in8(&in);
			len = (c & 0x80) ? (in16(&in) + (size_t)(c & 1)) %
			    (m.c.frame_max + 2) : FRAME_ETH + (size_t)(c % 64);
			j = (int)in8(&in);
			k = in8(&in);
			now += in8(&in);
			input(sw, &m, port, len, (unsigned)j, (unsigned)k, now);
			break;
		case 3:
			port = (int)(in8(&in) % 9);
			n = in16(&in);
			c = sw_peek(sw, port, iov);
			total = 0;
			for (j = 0; j < c; j++) {
				total += iov[j].iov_len;
			}
			n %= total + 1;
			sw_sent(sw, port, n);
			if (port < PORTS && m.p[port].used) {
				m_consume(&m.p[port], n);
			}
			break;
		case 4:
			port = (int)(in8(&in) % 9);
			j = (int)(in8(&in) & 1);
			c = sw_peek_frame(sw, port, iov);
			len = flat(iov, c, peekbuf);
			if (port >= PORTS || !m.p[port].used ||
			    m.p[port].nf == 0) {
				CHECK(c == 0, "a frame from an empty queue");
				sw_next(sw, port, j);
				break;
			}
			d = &m.p[port];
			n = d->lens[d->first];
			rest = FRAME_HDR + n - d->off;
			k = rest < n ? rest : n;
			CHECK(len == k && memcmp(peekbuf, d->wire + rest - k,
			    k) == 0, "port %d's next frame", port);
			sw_next(sw, port, j);
			m_next(d, rest, j);
			break;
		case 5:
			for (i = 0; (q = sw_ready(sw)) != -1; i++) {
				CHECK(i < m.nready && q == m.ready[i] &&
				    m.p[q].used, "sw_ready gave %d", q);
				m.p[q].ready = 0;
			}
			CHECK(i == m.nready, "sw_ready gave %u of %u", i,
			    m.nready);
			m.nready = 0;
			break;
		case 6:
			now += (uint64_t)in16(&in) * 64;
			sw_age(sw, now);
			m_expire(&m, now);
			break;
		case 7:
			port = (int)(in8(&in) % 9);
			n = in8(&in) % 32;
			for (k = 0; k < n; k++) {
				input(sw, &m, port, m.c.frame_max < 1000 ?
				    m.c.frame_max : 1000, 10, port, now);
			}
			break;
		}
		check_all(sw, &m);
	}
	sw_free(sw);
	return 0;
}
