/*
 * conview: Telnet clients of one console, for bench/console.py.  In C so
 * that the clients are not what is measured.  Like tnclient it refuses
 * every option (DO x -> WONT x, WILL x -> DONT x), skips subnegotiations
 * and un-doubles IAC IAC; only payload bytes are counted.
 *
 *   conview view PORT K STALLED HEX WINDOW_S [WARM_S]
 *       K connections to 127.0.0.1:PORT, the last STALLED of which never
 *       read anything (not even negotiation).  The others read for SETTLE
 *       (0.3 s: negotiation, replay of old output, join notices) and
 *       discard it, then "READY" is printed and they count payload bytes
 *       equal to HEX.  The window is WINDOW_S seconds from the first such
 *       byte at any reader, or from WARM_S seconds after it.  Prints one line per reader ("viewer I bytes=
 *       late= first_ms= other=", late: bytes in the second half of the
 *       window) and then a summary line.
 *   conview rtt PORT COUNT WARMUP CAP_S
 *       one connection; after SETTLE, WARMUP + COUNT times: send 'x', wait
 *       until an 'x' comes back.  Stops early after CAP_S seconds of
 *       measured round trips (a slow server), and says how many it did.
 *
 * The device behind the console sends the bytes (bench/helpers/condev.c);
 * HEX is never 0xff, '\r' or printable ASCII, so notices and replayed
 * output of an earlier run are never counted.  Every wait has a deadline.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IAC	255
#define DONT	254
#define DO	253
#define WONT	252
#define WILL	251
#define SB	250
#define SE	240

#define RBUF		(256 * 1024)
#define SETTLE_S	0.3
#define START_S		10.0	/* the first counted byte must come by then */

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void __attribute__((noreturn))
die(const char *what)
{
	printf("error=%s errno=%d\n", what, errno);
	fflush(stdout);
	exit(1);
}

enum { T_DATA, T_IAC, T_OPT, T_SB, T_SB_IAC };

struct conn {
	int		 fd;
	int		 state;
	uint8_t		 cmd;
	uint8_t		 reply[768];
	size_t		 nreply;
	int		 stalled;
	int		 greeted;	/* the server has sent something */
	int		 eof;
	/* counting */
	int		 counting;	/* in the window */
	uint8_t		 want;
	unsigned long long got, other, late;
	double		 t_first;
};

/*
 * The window: from the first counted byte at any reader (g_first), after
 * g_warm seconds of warm-up (t_from), to t_end; t_half is its middle.
 * All 0 until the first byte.
 */
static double	g_first, g_warm, g_window, t_from, t_half, t_end;

static void
add_reply(struct conn *c, uint8_t cmd, uint8_t opt)
{
	if (c->nreply + 3 <= sizeof c->reply) {
		c->reply[c->nreply++] = IAC;
		c->reply[c->nreply++] = cmd;
		c->reply[c->nreply++] = opt;
	}
}

static void
flush_replies(struct conn *c)
{
	ssize_t	w;
	size_t	off = 0;
	double	end = now() + 5;

	while (off < c->nreply && now() < end) {
		w = send(c->fd, c->reply + off, c->nreply - off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EAGAIN) {
				struct pollfd p = { c->fd, POLLOUT, 0 };
				(void)poll(&p, 1, 100);
				continue;
			}
			break;
		}
		off += (size_t)w;
	}
	c->nreply = 0;
}

/* Payload: count bytes equal to want, and the rest. */
static void
payload(struct conn *c, const uint8_t *p, size_t n, double t)
{
	size_t	i, k = 0;

	if (!c->counting) {
		return;
	}
	if (n > 0 && p[0] == c->want && p[n - 1] == c->want &&
	    (n == 1 || memcmp(p, p + 1, n - 1) == 0)) {
		k = n;		/* the usual case: all of them */
	} else {
		for (i = 0; i < n; i++) {
			k += p[i] == c->want;
		}
	}
	if (k > 0 && c->t_first == 0) {
		c->t_first = t;
	}
	if (k > 0 && g_first == 0) {
		g_first = t;
		t_from = t + g_warm;
		t_half = t_from + g_window / 2;
		t_end = t_from + g_window;
	}
	c->other += n - k;
	if (g_first == 0 || t < t_from) {
		return;		/* warming up */
	}
	c->got += k;
	if (t >= t_half) {
		c->late += k;
	}
}

static void
tn_feed(struct conn *c, const uint8_t *p, size_t n, double t)
{
	static const uint8_t	iac = IAC;
	const uint8_t		*end = p + n, *q;

	while (p < end) {
		switch (c->state) {
		case T_DATA:
			q = memchr(p, IAC, (size_t)(end - p));
			if (q == NULL) {
				q = end;
			}
			payload(c, p, (size_t)(q - p), t);
			if (q < end) {
				c->state = T_IAC;
				q++;
			}
			p = q;
			break;
		case T_IAC:
			if (*p == IAC) {
				payload(c, &iac, 1, t);
				c->state = T_DATA;
			} else if (*p >= WILL && *p <= DONT) {
				c->cmd = *p;
				c->state = T_OPT;
			} else if (*p == SB) {
				c->state = T_SB;
			} else {
				c->state = T_DATA;
			}
			p++;
			break;
		case T_OPT:
			if (c->cmd == DO) {
				add_reply(c, WONT, *p);
			} else if (c->cmd == WILL) {
				add_reply(c, DONT, *p);
			}
			c->state = T_DATA;
			p++;
			break;
		case T_SB:
			c->state = *p == IAC ? T_SB_IAC : T_SB;
			p++;
			break;
		case T_SB_IAC:
			c->state = *p == SE ? T_DATA : T_SB;
			p++;
			break;
		}
	}
}

static struct sockaddr_in	peer;

static int
open_conn(void)
{
	int	fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&peer, sizeof peer) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One read on c; returns bytes, 0 at EOF, -1 if nothing there. */
static ssize_t
pump(struct conn *c, uint8_t *buf, size_t len)
{
	ssize_t	n = recv(c->fd, buf, len, MSG_DONTWAIT);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR) {
			return -1;
		}
		n = 0;		/* reset: as EOF */
	}
	if (n == 0) {
		c->eof = 1;
		return 0;
	}
	tn_feed(c, buf, (size_t)n, now());
	if (c->nreply > 0) {
		flush_replies(c);
	}
	return n;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const double *v, size_t n, double p)
{
	size_t	i = (size_t)(p * (double)(n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

#define OPEN_WINDOW	4
#define OPEN_WAIT_S	5.0

/*
 * Wait until at most `most` of c[0..n) have not been greeted yet.  A reader
 * is greeted when it has read something (and answered it); a stalled
 * connection when poll says there is something to read, which it leaves
 * unread.  Gives up after OPEN_WAIT_S.
 */
static void
open_wait(struct conn *c, unsigned n, unsigned most, uint8_t *buf)
{
	struct pollfd	p[OPEN_WINDOW + 1];
	unsigned	idx[OPEN_WINDOW + 1], i, np;
	double		end = now() + OPEN_WAIT_S;

	for (;;) {
		np = 0;
		for (i = 0; i < n && np <= OPEN_WINDOW; i++) {
			if (!c[i].greeted) {
				p[np].fd = c[i].fd;
				p[np].events = POLLIN;
				p[np].revents = 0;
				idx[np++] = i;
			}
		}
		if (np <= most || now() > end) {
			return;
		}
		if (poll(p, np, 100) <= 0) {
			continue;
		}
		for (i = 0; i < np; i++) {
			struct conn *cc = &c[idx[i]];

			if (p[i].revents == 0) {
				continue;
			}
			cc->greeted = 1;
			if (!cc->stalled) {
				(void)pump(cc, buf, RBUF);
			}
		}
	}
}

static int
mode_view(unsigned k, unsigned stalled, uint8_t want, double window,
    double warm)
{
	struct conn		*c = calloc(k, sizeof *c);
	struct epoll_event	*evs = calloc(k, sizeof *evs), ev;
	uint8_t			*buf = malloc(RBUF);
	double			 t, start, *rates, connect_s;
	unsigned		 i, readers = k - stalled, eofs = 0;
	unsigned long long	 total = 0, other = 0, late = 0;
	int			 ep, n, j;

	rates = calloc(k, sizeof *rates);
	g_window = window;
	g_warm = warm;
	if (c == NULL || evs == NULL || buf == NULL || rates == NULL ||
	    stalled >= k) {
		die("setup");
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		die("epoll_create1");
	}
	start = now();
	for (i = 0; i < k; i++) {
		/*
		 * At most OPEN_WINDOW connections not yet greeted by the
		 * server (its first negotiation bytes): a server with a short
		 * listen backlog (ser2net: 5) would drop the SYNs of a burst
		 * and the kernel would retry them only a second later.
		 */
		open_wait(c, i, OPEN_WINDOW - 1, buf);
		c[i].fd = open_conn();
		if (c[i].fd < 0) {
			printf("error=connect conn=%u errno=%d\n", i, errno);
			return 1;
		}
		c[i].want = want;
		c[i].stalled = i >= readers;
	}
	open_wait(c, k, 0, buf);
	for (i = 0; i < readers; i++) {
		ev.events = EPOLLIN;
		ev.data.u32 = i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev) < 0) {
			die("epoll_ctl");
		}
	}
	connect_s = now() - start;
	/* Settle: negotiation, replay, notices; all discarded. */
	start = now();
	while ((t = now()) < start + SETTLE_S) {
		n = epoll_wait(ep, evs, (int)k,
		    (int)((start + SETTLE_S - t) * 1000) + 1);
		for (j = 0; j < n; j++) {
			struct conn *cc = &c[evs[j].data.u32];
			if (!cc->eof && pump(cc, buf, RBUF) == 0) {
				(void)epoll_ctl(ep, EPOLL_CTL_DEL, cc->fd, NULL);
			}
		}
	}
	for (i = 0; i < readers; i++) {
		eofs += c[i].eof;
		c[i].counting = 1;
	}
	printf("READY readers=%u stalled=%u closed=%u connect_s=%.3f\n",
	    readers, stalled, eofs, connect_s);
	fflush(stdout);
	if (eofs == readers) {
		die("all closed");
	}
	start = now();
	for (;;) {
		t = now();
		if (g_first == 0 && t > start + START_S) {
			die("no data");
		}
		if (g_first != 0 && t >= t_end) {
			break;
		}
		n = epoll_wait(ep, evs, (int)k, 50);
		for (j = 0; j < n; j++) {
			struct conn *cc = &c[evs[j].data.u32];
			if (cc->eof) {
				continue;
			}
			if (pump(cc, buf, RBUF) == 0) {
				(void)epoll_ctl(ep, EPOLL_CTL_DEL, cc->fd, NULL);
				continue;
			}
			if (g_first != 0 && now() >= t_end) {
				/* What arrived after the end is not counted. */
				for (i = 0; i < readers; i++) {
					c[i].counting = 0;
				}
				break;
			}
		}
	}
	eofs = 0;
	for (i = 0; i < readers; i++) {
		total += c[i].got;
		late += c[i].late;
		other += c[i].other;
		eofs += c[i].eof;
		rates[i] = (double)c[i].got / window / 1e6;
		printf("viewer %u bytes=%llu late=%llu first_ms=%.3f "
		    "other=%llu eof=%d\n", i, c[i].got, c[i].late,
		    c[i].t_first ? (c[i].t_first - g_first) * 1e3 : -1.0,
		    c[i].other,
		    c[i].eof);
	}
	qsort(rates, readers, sizeof *rates, cmp_double);
	printf("readers=%u stalled=%u window=%.3f total_mbps=%.3f "
	    "per_min=%.3f per_med=%.3f per_max=%.3f per_mean=%.3f "
	    "late_per_mean=%.3f total_bytes=%llu other=%llu eof=%u\n",
	    readers, stalled, window,
	    (double)total / window / 1e6, rates[0],
	    pct(rates, readers, 0.5), rates[readers - 1],
	    (double)total / window / 1e6 / readers,
	    (double)late / (window / 2) / 1e6 / readers, total, other, eofs);
	fflush(stdout);
	for (i = 0; i < k; i++) {
		close(c[i].fd);
	}
	return 0;
}

static int
mode_rtt(unsigned count, unsigned warmup, double cap)
{
	struct conn	c = { 0 };
	uint8_t		*buf = malloc(RBUF);
	double		*v = calloc(count + 1, sizeof *v), t, sum = 0;
	double		start, t_meas = 0;
	unsigned	i, done = 0;
	unsigned long long before;

	if (buf == NULL || v == NULL) {
		die("setup");
	}
	if ((c.fd = open_conn()) < 0) {
		die("connect");
	}
	start = now();
	while (now() < start + SETTLE_S) {
		struct pollfd p = { c.fd, POLLIN, 0 };
		(void)poll(&p, 1, 20);
		if (p.revents && pump(&c, buf, RBUF) == 0) {
			die("closed");
		}
	}
	c.want = 'x';
	c.counting = 1;
	for (i = 0; i < warmup + count; i++) {
		if (i == warmup) {
			t_meas = now();
		}
		if (i > warmup && now() - t_meas > cap) {
			break;
		}
		before = c.got;
		t = now();
		if (send(c.fd, "x", 1, MSG_NOSIGNAL) != 1) {
			die("send");
		}
		while (c.got == before) {
			struct pollfd p = { c.fd, POLLIN, 0 };
			if (poll(&p, 1, 5000) <= 0) {
				die("no echo");
			}
			if (pump(&c, buf, RBUF) == 0) {
				die("closed");
			}
		}
		t = now() - t;
		if (i >= warmup) {
			v[done++] = t * 1e6;
			sum += t * 1e6;
		}
	}
	if (done == 0) {
		die("no round trips");
	}
	qsort(v, done, sizeof *v, cmp_double);
	printf("count=%u p50=%.1f p90=%.1f p99=%.1f min=%.1f mean=%.1f "
	    "max=%.1f other=%llu\n", done, pct(v, done, 0.50),
	    pct(v, done, 0.90), pct(v, done, 0.99), v[0], sum / done,
	    v[done - 1], c.other);
	close(c.fd);
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: conview view|rtt PORT ...\n");
		return 2;
	}
	memset(&peer, 0, sizeof peer);
	peer.sin_family = AF_INET;
	peer.sin_port = htons((uint16_t)atoi(argv[2]));
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (strcmp(argv[1], "view") == 0 && (argc == 7 || argc == 8)) {
		return mode_view((unsigned)atoi(argv[3]),
		    (unsigned)atoi(argv[4]),
		    (uint8_t)strtoul(argv[5], NULL, 16), atof(argv[6]),
		    argc == 8 ? atof(argv[7]) : 0.0);
	}
	if (strcmp(argv[1], "rtt") == 0 && argc == 6) {
		return mode_rtt((unsigned)atoi(argv[3]),
		    (unsigned)atoi(argv[4]), atof(argv[5]));
	}
	fprintf(stderr, "conview: bad arguments\n");
	return 2;
}
