/*
 * netpeer: synthetic guests on a switch, for bench/net.py: a sender A,
 * a receiver B and optionally a stalled peer C, each a port of the
 * switch under test, all driven from this one process (so the switch
 * has a CPU of its own on a 2-CPU machine).  Each port speaks what a
 * QEMU netdev or a VDE plug speaks:
 *
 *   stream:PATH     unix stream socket, frames behind 4-byte lengths
 *                   (QEMU -netdev stream; ttyhubd stream = PATH)
 *   tcp:PORT        the same over TCP on 127.0.0.1 (-netdev socket,connect=)
 *   dgram:PATH:DIR  a unix datagram socket bound in DIR, sending to PATH
 *                   (QEMU -netdev dgram; ttyhubd dgram = PATH)
 *   vde:DIR         a VDE plug on vde_switch's control directory DIR
 *                   (libvdeplug, as QEMU's -netdev vde)
 *   direct:stream   no switch: A and B on the two ends of a unix stream
 *                   socketpair, framed as stream ports are (the ceiling)
 *   direct:dgram:DIR  no switch: A sends its datagrams to B's socket
 *
 *   netpeer SPEC SIZE SECS WARM unicast|flood [stall]
 *
 * All three ports are made from one SPEC.  Each announces its own MAC
 * with one broadcast frame; then A sends SIZE-byte frames as fast as its
 * socket takes them (one write per frame, as QEMU does), to B's MAC
 * (unicast: what a learning switch does most) or to the broadcast
 * address (flood: every port gets a copy), while B reads everything;
 * with "stall", C joins and never reads again.  Frames B receives in
 * the SECS after WARM are counted.  Prints "frames= bytes= secs= fps=
 * mbps= sent= cpu=" (mbps: 10^6 bytes of frames a second at B; cpu:
 * this process's CPU seconds in the window).
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvdeplug.h>

#include "bench.h"

#define RBUF	(256 * 1024)
#define FMAX	9216

enum kind { K_STREAM, K_DGRAM, K_VDE };

struct peer {
	enum kind	 kind;
	int		 fd;
	VDECONN		*vde;
	struct sockaddr_un hub;		/* dgram: where to send */
	uint8_t		 mac[6];
	uint8_t		*rbuf;		/* stream: what was read */
	size_t		 rlen;
};

static enum kind	 kind;
static char		*arg1, *arg2;
static int		 tcp_port;
static int		 direct;		/* no switch: A to B */
static int		 pair[2] = { -1, -1 };	/* direct:stream */

static void
peer_open(struct peer *p, int n)
{
	struct sockaddr_un	sun;
	char			path[108];

	memset(p, 0, sizeof *p);
	p->kind = kind;
	memcpy(p->mac, "\x52\x54\x00\xbe\x00\x00", 6);
	p->mac[5] = (uint8_t)n;
	p->fd = -1;
	if ((p->rbuf = malloc(RBUF)) == NULL) {
		bench_die("malloc");
	}
	switch (kind) {
	case K_STREAM:
		if (direct) {
			if (pair[0] == -1 && socketpair(AF_UNIX, SOCK_STREAM, 0,
			    pair) == -1) {
				bench_die("socketpair");
			}
			p->fd = pair[n - 1];
		} else if (tcp_port != 0) {
			p->fd = bench_connect((uint16_t)tcp_port, 0);
		} else {
			memset(&sun, 0, sizeof sun);
			sun.sun_family = AF_UNIX;
			snprintf(sun.sun_path, sizeof sun.sun_path, "%s", arg1);
			p->fd = socket(AF_UNIX, SOCK_STREAM, 0);
			if (p->fd != -1 && connect(p->fd,
			    (struct sockaddr *)&sun, sizeof sun) == -1) {
				bench_die("connect");
			}
		}
		break;
	case K_DGRAM:
		memset(&p->hub, 0, sizeof p->hub);
		p->hub.sun_family = AF_UNIX;
		if (direct) {
			/* A sends to B's socket, B to A's. */
			snprintf(p->hub.sun_path, sizeof p->hub.sun_path,
			    "%s/peer%d.sock", arg2, 3 - n);
		} else {
			snprintf(p->hub.sun_path, sizeof p->hub.sun_path, "%s",
			    arg1);
		}
		snprintf(path, sizeof path, "%s/peer%d.sock", arg2, n);
		(void)unlink(path);
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
		p->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (p->fd != -1 && bind(p->fd, (struct sockaddr *)&sun,
		    sizeof sun) == -1) {
			bench_die("bind");
		}
		break;
	case K_VDE:
		if ((p->vde = vde_open(arg1, "netpeer", NULL)) == NULL) {
			bench_die("vde_open");
		}
		p->fd = vde_datafd(p->vde);
		break;
	}
	if (p->fd == -1) {
		bench_die("socket");
	}
	(void)fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) | O_NONBLOCK);
}

/*
 * One frame out, as the socket's mode says: 1 if it went, 0 if the
 * socket was full (non-blocking) or its send timeout passed.
 */
static int
peer_send(struct peer *p, const uint8_t *frame, size_t len)
{
	uint8_t	buf[4 + FMAX];
	ssize_t	w;

	switch (p->kind) {
	case K_STREAM:
		/* Whole records only, as QEMU does (it resumes a short write:
		 * with a 64 KiB socket buffer and small frames, we wait). */
		buf[0] = (uint8_t)(len >> 24);
		buf[1] = (uint8_t)(len >> 16);
		buf[2] = (uint8_t)(len >> 8);
		buf[3] = (uint8_t)len;
		memcpy(buf + 4, frame, len);
		w = send(p->fd, buf, len + 4, MSG_NOSIGNAL);
		if (w > 0 && (size_t)w < len + 4) {
			/* Finish the record, waiting: rare, and must not cut
			 * the framing. */
			(void)fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) &
			    ~O_NONBLOCK);
			if (send(p->fd, buf + w, len + 4 - (size_t)w,
			    MSG_NOSIGNAL) != (ssize_t)(len + 4 - (size_t)w)) {
				bench_die("send");
			}
			(void)fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) |
			    O_NONBLOCK);
		}
		break;
	case K_DGRAM:
		/* Unconnected, as QEMU sends: poll says "writable" even
		 * while the switch's queue is full, and EAGAIN comes again. */
		w = sendto(p->fd, frame, len, 0, (struct sockaddr *)&p->hub,
		    sizeof p->hub);
		break;
	default:
		w = vde_send(p->vde, frame, len, 0);
		break;
	}
	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == ENOBUFS || errno == EINTR)) {
		return 0;
	}
	if (w < 0) {
		bench_die("send");
	}
	return 1;
}

/*
 * Read what has come (nonblock), or wait for something (a receive
 * timeout bounds it): frames and bytes into *frames, *bytes.
 */
static void
peer_recv(struct peer *p, uint64_t *frames, uint64_t *bytes, int nonblock)
{
	ssize_t	n;
	size_t	at, len;
	int	i, fl = nonblock ? MSG_DONTWAIT : 0;

	for (i = 0; i < 64; i++) {
		switch (p->kind) {
		case K_STREAM:
			n = recv(p->fd, p->rbuf + p->rlen, RBUF - p->rlen, fl);
			if (n <= 0) {
				break;
			}
			p->rlen += (size_t)n;
			at = 0;
			while (p->rlen - at >= 4) {
				len = (size_t)p->rbuf[at] << 24 |
				    (size_t)p->rbuf[at + 1] << 16 |
				    (size_t)p->rbuf[at + 2] << 8 |
				    p->rbuf[at + 3];
				if (p->rlen - at < 4 + len) {
					break;
				}
				(*frames)++;
				*bytes += len;
				at += 4 + len;
			}
			memmove(p->rbuf, p->rbuf + at, p->rlen - at);
			p->rlen -= at;
			fl = MSG_DONTWAIT;
			continue;
		case K_DGRAM:
			n = recv(p->fd, p->rbuf, RBUF, fl);
			break;
		default:
			n = vde_recv(p->vde, p->rbuf, RBUF, fl);
			break;
		}
		fl = MSG_DONTWAIT;
		if (n <= 0) {
			break;
		}
		(*frames)++;
		*bytes += (size_t)n;
	}
}

static double
cpu_now(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
frame_fill(uint8_t *f, size_t size, const uint8_t *dst, const uint8_t *src)
{
	memset(f, 0x5a, size);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;		/* local experimental ethertype */
	f[13] = 0xb5;
}

/*
 * B: read for the window, blocking (a receive timeout to see the
 * clock), and write "frames bytes cpu" to fd.
 */
static void
receiver(struct peer *b, double start, double stop, int fd)
{
	struct timeval	tv = { 0, 50000 };
	uint64_t	frames = 0, bytes = 0, junk_f = 0, junk_b = 0;
	double		c0 = 0, t0 = 0, now;
	char		line[128];
	int		counting = 0;

	(void)fcntl(b->fd, F_SETFL, fcntl(b->fd, F_GETFL) & ~O_NONBLOCK);
	(void)setsockopt(b->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	for (;;) {
		now = bench_now();
		if (!counting && now >= start) {
			counting = 1;
			c0 = cpu_now();
			t0 = now;
		}
		if (now >= stop) {
			break;
		}
		peer_recv(b, counting ? &frames : &junk_f,
		    counting ? &bytes : &junk_b, 0);
	}
	snprintf(line, sizeof line, "%llu %llu %.3f %.3f\n",
	    (unsigned long long)frames, (unsigned long long)bytes,
	    cpu_now() - c0, bench_now() - t0);
	if (write(fd, line, strlen(line)) < 0) {
		_exit(1);
	}
	_exit(0);
}

int
main(int argc, char **argv)
{
	static const uint8_t	 bcast[6] = { 255, 255, 255, 255, 255, 255 };
	struct peer		 a, b, c;
	struct timeval		 tv = { 1, 0 };
	uint8_t			 f[FMAX], hello[64];
	unsigned long long	 frames = 0, bytes = 0;
	uint64_t		 junk_f = 0, junk_b = 0, sent = 0;
	double			 secs, warm, t0, start, stop, c0, bcpu = 0;
	double			 bsecs = 0;
	size_t			 size;
	char			*spec, *colon, line[128];
	int			 flood, stall, pfd[2], status;
	pid_t			 pid;
	ssize_t			 n;

	if (argc < 6) {
		fprintf(stderr, "usage: netpeer SPEC SIZE SECS WARM "
		    "unicast|flood [stall]\n");
		return 2;
	}
	spec = argv[1];
	size = strtoul(argv[2], NULL, 10);
	secs = atof(argv[3]);
	warm = atof(argv[4]);
	flood = strcmp(argv[5], "flood") == 0;
	stall = argc > 6 && strcmp(argv[6], "stall") == 0;
	if (size < 60 || size > FMAX) {
		bench_die("size");
	}
	if ((colon = strchr(spec, ':')) == NULL) {
		bench_die("spec");
	}
	*colon = '\0';
	arg1 = colon + 1;
	if (strcmp(spec, "stream") == 0) {
		kind = K_STREAM;
	} else if (strcmp(spec, "tcp") == 0) {
		kind = K_STREAM;
		tcp_port = atoi(arg1);
	} else if (strcmp(spec, "dgram") == 0) {
		kind = K_DGRAM;
		if ((colon = strrchr(arg1, ':')) == NULL) {
			bench_die("spec");
		}
		*colon = '\0';
		arg2 = colon + 1;
	} else if (strcmp(spec, "vde") == 0) {
		kind = K_VDE;
	} else if (strcmp(spec, "direct") == 0 &&
	    strcmp(arg1, "stream") == 0) {
		kind = K_STREAM;
		direct = 1;
	} else if (strcmp(spec, "direct") == 0 &&
	    strncmp(arg1, "dgram:", 6) == 0) {
		kind = K_DGRAM;
		direct = 1;
		arg2 = arg1 + 6;
	} else {
		bench_die("spec");
	}
	if (direct && (argc > 6 || strcmp(argv[5], "unicast") != 0)) {
		bench_die("direct: unicast only");
	}

	peer_open(&a, 1);
	peer_open(&b, 2);
	/* Each says who it is, so a learning switch knows it. */
	frame_fill(hello, sizeof hello, bcast, b.mac);
	while (!peer_send(&b, hello, sizeof hello)) {
		usleep(1000);
	}
	frame_fill(hello, sizeof hello, bcast, a.mac);
	while (!peer_send(&a, hello, sizeof hello)) {
		usleep(1000);
	}
	if (stall) {
		peer_open(&c, 3);
		frame_fill(hello, sizeof hello, bcast, c.mac);
		while (!peer_send(&c, hello, sizeof hello)) {
			usleep(1000);
		}
	}
	/* Let the hellos land, and clear them. */
	t0 = bench_now();
	while (bench_now() - t0 < 0.2) {
		peer_recv(&a, &junk_f, &junk_b, 1);
		peer_recv(&b, &junk_f, &junk_b, 1);
		usleep(10000);
	}

	/*
	 * B reads in a process of its own and A sends in this one, each
	 * blocking in the kernel when it must wait (no spinning on a full
	 * switch), as a guest's QEMU has a thread of its own.
	 */
	start = bench_now() + warm;
	stop = start + secs;
	if (pipe(pfd) == -1 || (pid = fork()) == -1) {
		bench_die("fork");
	}
	if (pid == 0) {
		close(pfd[0]);
		receiver(&b, start, stop, pfd[1]);
	}
	close(pfd[1]);
	frame_fill(f, size, flood ? bcast : b.mac, a.mac);
	(void)fcntl(a.fd, F_SETFL, fcntl(a.fd, F_GETFL) & ~O_NONBLOCK);
	(void)setsockopt(a.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	c0 = 0;
	while (bench_now() < stop) {
		if (c0 == 0 && bench_now() >= start) {
			c0 = cpu_now();
		}
		sent += (uint64_t)peer_send(&a, f, size);
	}
	c0 = c0 > 0 ? cpu_now() - c0 : 0;
	n = read(pfd[0], line, sizeof line - 1);
	if (n <= 0 || waitpid(pid, &status, 0) != pid) {
		bench_die("receiver");
	}
	line[n] = '\0';
	if (sscanf(line, "%llu %llu %lf %lf", &frames, &bytes, &bcpu,
	    &bsecs) != 4 || bsecs <= 0) {
		bench_die("receiver");
	}
	printf("frames=%llu bytes=%llu secs=%.3f fps=%.0f mbps=%.2f sent=%llu "
	    "cpu=%.2f\n", frames, bytes, bsecs, (double)frames / bsecs,
	    (double)bytes / bsecs / 1e6, (unsigned long long)sent, c0 + bcpu);
	return 0;
}
