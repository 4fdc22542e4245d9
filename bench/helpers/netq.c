/*
 * netq: how a guest network's port queues should hold frames, measured
 * without sockets: one copy per destination (src/net/fq.c, what sw.c
 * uses) against one shared copy with a reference per destination (a
 * pool of fixed slots, as a design with shared frames would need), and
 * the whole switch (sw_input, flooding) for scale.  Each frame goes to
 * FANOUT queues; every 32 frames every queue is drained the way a stream
 * port's writev would take it, and the bytes are copied once more into
 * a sink, as the kernel copies what writev is given.
 *
 *   netq copy|shared|sw SIZE FANOUT SECONDS
 *
 * prints "frames=N secs=S cpu=C fps=F cpufps=G mbps=M": input frames per
 * second of wall time and per second of the process's CPU time (what to
 * compare on a machine others share), and MB/s of input (10^6 bytes).
 */
#include <sys/uio.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/net/fq.h"
#include "../../src/net/frame.h"
#include "../../src/net/sw.h"
#include "bench.h"

#define BATCH		32
#define PORTS_MAX	16
#define QBYTES		SW_QBYTES_DEFAULT
#define QFRAMES		SW_QFRAMES_DEFAULT
#define SINK		(256 * 1024)
#define IOV_BATCH	64

static uint8_t	sink[SINK];
static size_t	sink_at;

/* What the kernel does with a writev's iovecs: one more copy. */
static void
take(const struct iovec *iov, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		if (sink_at + iov[i].iov_len > SINK) {
			sink_at = 0;
		}
		memcpy(sink + sink_at, iov[i].iov_base, iov[i].iov_len);
		sink_at += iov[i].iov_len;
	}
}

/* ---- one copy per destination: fq ---- */

static struct fq	copyq[PORTS_MAX];

static void
copy_init(int fanout)
{
	int	i;

	for (i = 0; i < fanout; i++) {
		if (fq_init(&copyq[i], QBYTES, QFRAMES) == -1) {
			bench_die("fq_init");
		}
	}
}

static void
copy_put(int fanout, const uint8_t *f, size_t len)
{
	int	i;

	for (i = 0; i < fanout; i++) {
		fq_put(&copyq[i], f, len);
	}
}

static void
copy_drain(int fanout)
{
	struct iovec	iov[2];
	uint64_t	fb = 0;
	int		i, n;

	for (i = 0; i < fanout; i++) {
		n = fq_peek(&copyq[i], iov);
		take(iov, n);
		fq_consume(&copyq[i], fq_bytes(&copyq[i]), &fb);
	}
}

/* ---- one shared copy: a pool of slots with reference counts ---- */

struct slot {
	uint32_t	ref;
	uint32_t	len;			/* prefix included */
	uint8_t		data[FRAME_HDR + 1518];
};

struct sq {
	uint32_t	idx[QFRAMES];
	unsigned	head, n;
	size_t		bytes;
};

#define SLOTS		4096
static struct slot	*pool;
static uint32_t		 freel[SLOTS];
static unsigned		 nfree;
static struct sq	 sharedq[PORTS_MAX];

static void
shared_init(void)
{
	unsigned	i;

	if ((pool = calloc(SLOTS, sizeof *pool)) == NULL) {
		bench_die("calloc");
	}
	for (i = 0; i < SLOTS; i++) {
		freel[i] = i;
	}
	nfree = SLOTS;
}

static void
shared_put(int fanout, const uint8_t *f, size_t len)
{
	struct slot	*s;
	struct sq	*q;
	uint32_t	 k;
	int		 i;

	if (nfree == 0) {
		return;
	}
	k = freel[--nfree];
	s = &pool[k];
	frame_hdr(s->data, len);
	memcpy(s->data + FRAME_HDR, f, len);
	s->len = (uint32_t)(FRAME_HDR + len);
	s->ref = 0;
	for (i = 0; i < fanout; i++) {
		q = &sharedq[i];
		if (q->n == QFRAMES || q->bytes + s->len > QBYTES) {
			continue;
		}
		q->idx[(q->head + q->n++) % QFRAMES] = k;
		q->bytes += s->len;
		s->ref++;
	}
	if (s->ref == 0) {
		freel[nfree++] = k;
	}
}

static void
shared_drain(int fanout)
{
	struct iovec	 iov[IOV_BATCH];
	struct sq	*q;
	struct slot	*s;
	uint32_t	 k;
	unsigned	 j, n;
	int		 i;

	for (i = 0; i < fanout; i++) {
		q = &sharedq[i];
		while (q->n > 0) {
			n = q->n < IOV_BATCH ? q->n : IOV_BATCH;
			for (j = 0; j < n; j++) {
				s = &pool[q->idx[(q->head + j) % QFRAMES]];
				iov[j].iov_base = s->data;
				iov[j].iov_len = s->len;
			}
			take(iov, (int)n);
			for (j = 0; j < n; j++) {
				k = q->idx[q->head];
				q->head = (q->head + 1) % QFRAMES;
				q->n--;
				q->bytes -= pool[k].len;
				if (--pool[k].ref == 0) {
					freel[nfree++] = k;
				}
			}
		}
	}
}

/* ---- the switch: sw_input flooding to fanout ports ---- */

static struct sw	*sw;

static void
sw_setup(int fanout)
{
	struct sw_conf	c;
	int		i;

	sw_conf_default(&c);
	c.seed = 1;
	if ((sw = sw_new(&c)) == NULL) {
		bench_die("sw_new");
	}
	for (i = 0; i <= fanout; i++) {
		sw_port_add(sw);
	}
}

static void
sw_drain(int fanout)
{
	struct iovec	iov[2];
	size_t		len;
	int		i, j, n;

	while (sw_ready(sw) != -1) {
		;
	}
	for (i = 1; i <= fanout; i++) {
		n = sw_peek(sw, i, iov);
		take(iov, n);
		for (j = 0, len = 0; j < n; j++) {
			len += iov[j].iov_len;
		}
		sw_sent(sw, i, len);
	}
}

static double
cpu_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	uint8_t		 frame[1518];
	const char	*how;
	size_t		 size;
	double		 secs, t0, t, c0, c;
	uint64_t	 frames = 0, now = 0;
	int		 fanout, i, mode;

	if (argc != 5) {
		fprintf(stderr, "usage: netq copy|shared|sw SIZE FANOUT "
		    "SECONDS\n");
		return 2;
	}
	how = argv[1];
	size = strtoul(argv[2], NULL, 10);
	fanout = atoi(argv[3]);
	secs = atof(argv[4]);
	if (size < FRAME_ETH || size > sizeof frame || fanout < 1 ||
	    fanout >= PORTS_MAX) {
		bench_die("arguments");
	}
	memset(frame, 0x5a, sizeof frame);
	/* Broadcast from 02:00:00:00:00:01: the switch floods it. */
	memset(frame, 0xff, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
	if (strcmp(how, "copy") == 0) {
		mode = 0;
		copy_init(fanout);
	} else if (strcmp(how, "shared") == 0) {
		mode = 1;
		shared_init();
	} else if (strcmp(how, "sw") == 0) {
		mode = 2;
		sw_setup(fanout);
	} else {
		bench_die("strategy");
	}
	t0 = bench_now();
	c0 = cpu_now();
	do {
		for (i = 0; i < 64 * BATCH; i++) {
			frame[20] = (uint8_t)i;
			switch (mode) {
			case 0:
				copy_put(fanout, frame, size);
				break;
			case 1:
				shared_put(fanout, frame, size);
				break;
			case 2:
				sw_input(sw, 0, frame, size, now++ >> 10);
				break;
			}
			if ((i + 1) % BATCH == 0) {
				if (mode == 0) {
					copy_drain(fanout);
				} else if (mode == 1) {
					shared_drain(fanout);
				} else {
					sw_drain(fanout);
				}
			}
		}
		frames += 64 * BATCH;
		t = bench_now() - t0;
	} while (t < secs);
	c = cpu_now() - c0;
	printf("frames=%llu secs=%.3f cpu=%.3f fps=%.0f cpufps=%.0f "
	    "mbps=%.1f sink=%u\n", (unsigned long long)frames, t, c,
	    (double)frames / t, (double)frames / c,
	    (double)frames * (double)size / t / 1e6, sink[sink_at / 2]);
	return 0;
}
