/*
 * tnclient: the benchmark's Telnet client, in C so that the client is not
 * what gets measured.  It refuses every option (DO x -> WONT x, WILL x ->
 * DONT x), skips subnegotiations, un-doubles IAC IAC, and prints one line
 * of key=value results on stdout.
 *
 *   tnclient out   PORT BYTES BYTE CAP_S      read BYTES of payload, all
 *                                             BYTE (hex); MB/s
 *   tnclient in    PORT BYTES BYTE CAP_S      wait for TB-SINK-READY, send
 *                                             BYTES (IAC doubled), then 'Z';
 *                                             wait for TB-SINK-DONE
 *   tnclient rtt   PORT COUNT WARMUP          wait for TB-ECHO-READY; one byte
 *                                             out, wait for it back; COUNT
 *                                             times
 *   tnclient sess  PORT SECONDS CONC TIMEOUT_MS  connect, wait for TB-READY,
 *                                             close; CONC at once, SECONDS
 *   tnclient hold  PORT N WINDOW TIMEOUT_MS   open N sessions (at most WINDOW
 *                                             still starting), print HELD,
 *                                             wait for a line on stdin, close
 *
 * CAP_S bounds a transfer: past it, the rate so far is reported.  Every
 * wait has a deadline.  Only 127.0.0.1.
 */
#define _GNU_SOURCE
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

#define RBUF	(1024 * 1024)

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

/* The Telnet receive side: a state machine that hands out payload spans. */

enum { T_DATA, T_IAC, T_OPT, T_SB, T_SB_IAC };

struct conn;
typedef void	payload_fn(struct conn *, const uint8_t *, size_t);

struct conn {
	int		 fd;
	int		 state;
	uint8_t		 cmd;		/* DO/DONT/WILL/WONT being read */
	uint8_t		 reply[256];	/* refusals not yet sent */
	size_t		 nreply;
	payload_fn	*payload;
	/* Marker watching. */
	char		 win[256];
	size_t		 nwin;
	const char	*marker;
	int		 seen;
	/* Counting. */
	unsigned long long got, bad;
	uint8_t		 want;
	double		 t_first, t_start, deadline;
	int		 phase;		/* sess/hold: 0 free, 1 opening, 2 held */
};

static const uint8_t	iac_run[4096] = { [0 ... 4095] = 0xff };

static void
add_reply(struct conn *c, uint8_t cmd, uint8_t opt)
{
	if (c->nreply + 3 <= sizeof c->reply) {
		c->reply[c->nreply++] = IAC;
		c->reply[c->nreply++] = cmd;
		c->reply[c->nreply++] = opt;
	}
}

static int
flush_replies(struct conn *c)
{
	ssize_t	w;
	size_t	off = 0;
	double	end = now() + 5;

	while (off < c->nreply) {
		w = send(c->fd, c->reply + off, c->nreply - off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EAGAIN && now() < end) {
				struct pollfd p = { c->fd, POLLOUT, 0 };
				(void)poll(&p, 1, 100);
				continue;
			}
			return -1;
		}
		off += (size_t)w;
	}
	c->nreply = 0;
	return 0;
}

static void
tn_feed(struct conn *c, const uint8_t *p, size_t n)
{
	const uint8_t	*end = p + n, *q;
	size_t		 run, pairs, k;

	while (p < end) {
		switch (c->state) {
		case T_DATA:
			if (*p != IAC) {
				q = memchr(p, IAC, (size_t)(end - p));
				if (q == NULL) {
					q = end;
				}
				c->payload(c, p, (size_t)(q - p));
				p = q;
				break;
			}
			/* A run of IACs: pairs are data, an odd one starts
			 * a command. */
			for (run = 0; p + run < end && p[run] == IAC; run++) {
			}
			for (pairs = run / 2; pairs > 0; pairs -= k) {
				k = pairs < sizeof iac_run ? pairs : sizeof iac_run;
				c->payload(c, iac_run, k);
			}
			p += run;
			if (run % 2) {
				c->state = T_IAC;
			}
			break;
		case T_IAC:
			if (*p == IAC) {
				c->payload(c, iac_run, 1);
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

/* Payload handlers. */

static void
pl_count(struct conn *c, const uint8_t *p, size_t n)
{
	size_t	i;

	if (c->got == 0 && n > 0) {
		c->t_first = now();
	}
	c->got += n;
	if (n > 0 && (p[0] != c->want || p[n - 1] != c->want ||
	    (n > 1 && memcmp(p, p + 1, n - 1) != 0))) {
		for (i = 0; i < n; i++) {
			c->bad += p[i] != c->want;
		}
	}
}

static void
pl_watch(struct conn *c, const uint8_t *p, size_t n)
{
	size_t	keep, take;

	c->got += n;
	/* Keep the last bytes of payload; look for the marker in them. */
	take = n > sizeof c->win - 1 ? sizeof c->win - 1 : n;
	p += n - take;
	if (c->nwin + take > sizeof c->win - 1) {
		keep = sizeof c->win - 1 - take;
		memmove(c->win, c->win + c->nwin - keep, keep);
		c->nwin = keep;
	}
	memcpy(c->win + c->nwin, p, take);
	c->nwin += take;
	c->win[c->nwin] = '\0';
	if (c->marker != NULL && !c->seen &&
	    memmem(c->win, c->nwin, c->marker, strlen(c->marker)) != NULL) {
		c->seen = 1;
	}
}

/* Connections. */

static struct sockaddr_in	peer;

static int
open_conn(int nonblock)
{
	int	fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
	    (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0) {
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&peer, sizeof peer) < 0 &&
	    errno != EINPROGRESS) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Read once (waiting at most ms), feed the parser, send refusals.
 * Returns bytes read, 0 on EOF, -1 on error, -2 on timeout. */
static ssize_t
pump(struct conn *c, uint8_t *buf, size_t len, int ms)
{
	struct pollfd	pfd = { c->fd, POLLIN, 0 };
	ssize_t		n;
	int		r;

	r = poll(&pfd, 1, ms);
	if (r == 0) {
		return -2;
	}
	if (r < 0) {
		return errno == EINTR ? -2 : -1;
	}
	n = recv(c->fd, buf, len, 0);
	if (n < 0) {
		return errno == EINTR || errno == EAGAIN ? -2 : -1;
	}
	if (n > 0) {
		tn_feed(c, buf, (size_t)n);
		if (c->nreply > 0 && flush_replies(c) < 0) {
			return -1;
		}
	}
	return n;
}

/* Wait for the marker; 0 when seen. */
static int
wait_marker(struct conn *c, uint8_t *buf, const char *marker, double secs)
{
	double	end = now() + secs;
	ssize_t	n;

	c->payload = pl_watch;
	c->marker = marker;
	c->seen = 0;
	while (!c->seen) {
		if (now() > end) {
			return -1;
		}
		n = pump(c, buf, RBUF, 100);
		if (n == 0 || n == -1) {
			return -1;
		}
	}
	return 0;
}

static int
mode_out(unsigned long long bytes, uint8_t want, double cap)
{
	struct conn	c = { 0 };
	uint8_t		*buf = malloc(RBUF);
	double		t0 = now(), end, t_last;
	ssize_t		n;
	int		eof = 0, capped = 0;

	if (buf == NULL || (c.fd = open_conn(0)) < 0) {
		die("connect");
	}
	c.payload = pl_count;
	c.want = want;
	end = t0 + cap + 10;	/* the program must start within 10 s */
	t_last = t0;
	while (c.got - c.bad < bytes) {
		if (c.got > 0 && now() - c.t_first > cap) {
			capped = 1;
			break;
		}
		if (now() > end) {
			capped = 1;
			break;
		}
		n = pump(&c, buf, RBUF, 200);
		if (n == 0 || n == -1) {
			eof = 1;
			break;
		}
		if (n > 0) {
			t_last = now();
		}
	}
	if (c.got - c.bad >= bytes) {
		t_last = now();
	}
	printf("bytes=%llu secs=%.6f mbps=%.3f bad=%llu eof=%d capped=%d "
	    "startup=%.6f\n", c.got, t_last - c.t_first,
	    c.got > 0 && t_last > c.t_first ?
	    (double)c.got / (t_last - c.t_first) / 1e6 : 0.0,
	    c.bad, eof, capped, c.t_first > 0 ? c.t_first - t0 : -1.0);
	close(c.fd);
	return 0;
}

#define IN_CHUNK	(64 * 1024)	/* payload bytes per chunk sent */

static int
parse_done(struct conn *c, unsigned long long *total, unsigned long long *ff,
    unsigned long long *other)
{
	const char	*p = strstr(c->win, "TB-SINK-DONE");

	return p != NULL && strchr(p, '\n') != NULL &&
	    sscanf(p, "TB-SINK-DONE total=%llu ff=%llu other=%llu", total, ff,
	    other) == 3 ? 0 : -1;
}

static int
mode_in(unsigned long long bytes, uint8_t want, double cap)
{
	struct conn	c = { 0 };
	uint8_t		*buf = malloc(RBUF), *wire = malloc(2 * IN_CHUNK);
	unsigned long long sent = 0, total = 0, ff = 0, other = 0;
	size_t		off = 0, clen = 0, cpay = 0;
	struct pollfd	pfd;
	double		t0, end, secs;
	ssize_t		n;
	int		fl, capped = 0, sent_z = 0;

	if (buf == NULL || wire == NULL || (c.fd = open_conn(0)) < 0) {
		die("connect");
	}
	if (wait_marker(&c, buf, "TB-SINK-READY", 10) < 0) {
		die("no TB-SINK-READY");
	}
	/*
	 * A small send buffer bounds what is still in flight when the cap
	 * ends a slow transfer, so draining it stays short; it is far more
	 * than a pty holds, so it does not slow a fast one.
	 */
	{
		int sz = 128 * 1024;
		(void)setsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	}
	/* The wire form of a chunk: IAC doubled. */
	memset(wire, want, 2 * IN_CHUNK);
	fl = fcntl(c.fd, F_GETFL);
	(void)fcntl(c.fd, F_SETFL, fl | O_NONBLOCK);
	c.marker = "TB-SINK-DONE";
	c.seen = 0;
	c.nwin = 0;
	c.win[0] = '\0';
	t0 = now();
	end = t0 + cap + 30;
	while (!c.seen || parse_done(&c, &total, &ff, &other) < 0) {
		if (now() > end) {
			die("no TB-SINK-DONE");
		}
		if (!sent_z && off == 0) {
			/* Between chunks: the next one, or the end mark. */
			if (sent >= bytes || now() - t0 > cap) {
				capped = sent < bytes;
				if (send(c.fd, "Z", 1, MSG_NOSIGNAL) == 1) {
					sent_z = 1;
				}
			} else {
				cpay = bytes - sent < IN_CHUNK ?
				    (size_t)(bytes - sent) : IN_CHUNK;
				clen = want == IAC ? 2 * cpay : cpay;
			}
		}
		pfd.fd = c.fd;
		pfd.events = POLLIN | (sent_z ? 0 : POLLOUT);
		pfd.revents = 0;
		if (poll(&pfd, 1, 200) < 0 && errno != EINTR) {
			die("poll");
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(c.fd, buf, RBUF, 0);
			if (n == 0 || (n < 0 && errno != EAGAIN &&
			    errno != EINTR)) {
				die("connection closed");
			}
			if (n > 0) {
				tn_feed(&c, buf, (size_t)n);
				if (c.nreply > 0) {
					(void)flush_replies(&c);
				}
			}
		}
		if (!sent_z && clen > 0 && (pfd.revents & POLLOUT)) {
			n = send(c.fd, wire + off, clen - off, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR) {
					continue;
				}
				die("send");
			}
			off += (size_t)n;
			if (off == clen) {
				sent += cpay;
				off = 0;
				clen = 0;
			}
		}
	}
	secs = now() - t0;
	printf("sent=%llu got=%llu ff=%llu other=%llu secs=%.6f mbps=%.3f "
	    "capped=%d\n", sent, total, ff, other, secs,
	    (double)total / secs / 1e6, capped);
	close(c.fd);
	return 0;
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

static int
mode_rtt(unsigned count, unsigned warmup)
{
	struct conn	c = { 0 };
	uint8_t		*buf = malloc(RBUF);
	double		*v = calloc(count + 1, sizeof *v), t, sum = 0;
	unsigned	 i;
	unsigned long long before;
	ssize_t		n;

	if (buf == NULL || v == NULL || (c.fd = open_conn(0)) < 0) {
		die("connect");
	}
	if (wait_marker(&c, buf, "TB-ECHO-READY", 10) < 0) {
		die("no TB-ECHO-READY");
	}
	c.marker = NULL;
	for (i = 0; i < warmup + count; i++) {
		before = c.got;
		t = now();
		if (send(c.fd, "x", 1, MSG_NOSIGNAL) != 1) {
			die("send");
		}
		while (c.got == before) {
			n = pump(&c, buf, RBUF, 5000);
			if (n == 0 || n == -1 || n == -2) {
				die("no echo");
			}
		}
		t = now() - t;
		if (i >= warmup) {
			v[i - warmup] = t * 1e6;
			sum += t * 1e6;
		}
	}
	qsort(v, count, sizeof *v, cmp_double);
	printf("count=%u p50=%.1f p90=%.1f p99=%.1f min=%.1f mean=%.1f "
	    "max=%.1f\n", count, pct(v, count, 0.50), pct(v, count, 0.90),
	    pct(v, count, 0.99), v[0], sum / count, v[count - 1]);
	close(c.fd);
	return 0;
}

/*
 * Many connections at once, for sess and hold.  Each slot is free, opening
 * (connecting, negotiating, waiting for TB-READY) or held.
 */
enum { F_REFUSED, F_RESET, F_EOF, F_TIMEOUT, F_OTHER, F_N };
static const char *fail_name[F_N] = {
	"refused", "reset", "eof", "timeout", "other"
};

struct many {
	struct conn	*c;
	struct pollfd	*pfd;
	unsigned	 n;
	unsigned long long ok, fail[F_N];
	double		*lat;
	size_t		 nlat, maxlat;
	double		 timeout;
	int		 hold;
};

static int
slot_start(struct many *m, unsigned i)
{
	struct conn	*c = &m->c[i];

	memset(c, 0, sizeof *c);
	c->fd = open_conn(1);
	if (c->fd < 0) {
		m->fail[errno == ECONNREFUSED ? F_REFUSED : F_OTHER]++;
		return -1;
	}
	c->payload = pl_watch;
	c->marker = "TB-READY";
	c->t_start = now();
	c->deadline = c->t_start + m->timeout;
	c->phase = 1;
	return 0;
}

static void
slot_end(struct many *m, unsigned i, int fail)
{
	struct conn	*c = &m->c[i];

	if (fail < 0) {
		m->ok++;
		if (m->nlat < m->maxlat) {
			m->lat[m->nlat++] = (now() - c->t_start) * 1e6;
		}
		if (m->hold) {
			c->phase = 2;
			return;
		}
	} else {
		m->fail[fail]++;
	}
	close(c->fd);
	c->fd = -1;
	c->phase = 0;
}

/* One pass of poll over the opening slots. */
static void
many_poll(struct many *m, uint8_t *buf, int ms)
{
	unsigned	i, np = 0;
	unsigned	*idx = (unsigned *)(m->pfd + m->n);
	ssize_t		n;
	double		t;

	for (i = 0; i < m->n; i++) {
		if (m->c[i].phase == 1) {
			m->pfd[np].fd = m->c[i].fd;
			m->pfd[np].events = POLLIN;
			m->pfd[np].revents = 0;
			idx[np++] = i;
		}
	}
	if (np == 0) {
		return;
	}
	if (poll(m->pfd, np, ms) < 0) {
		return;
	}
	t = now();
	for (unsigned k = 0; k < np; k++) {
		struct conn *c = &m->c[idx[k]];

		if (m->pfd[k].revents == 0) {
			if (t > c->deadline) {
				slot_end(m, idx[k], F_TIMEOUT);
			}
			continue;
		}
		n = recv(c->fd, buf, RBUF, 0);
		if (n == 0) {
			slot_end(m, idx[k], F_EOF);
			continue;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				continue;
			}
			slot_end(m, idx[k], errno == ECONNREFUSED ? F_REFUSED :
			    errno == ECONNRESET ? F_RESET : F_OTHER);
			continue;
		}
		tn_feed(c, buf, (size_t)n);
		if (c->nreply > 0 && flush_replies(c) < 0) {
			slot_end(m, idx[k], F_RESET);
			continue;
		}
		if (c->seen) {
			slot_end(m, idx[k], -1);
		} else if (t > c->deadline) {
			slot_end(m, idx[k], F_TIMEOUT);
		}
	}
}

static void
many_init(struct many *m, unsigned n, double timeout, int hold)
{
	memset(m, 0, sizeof *m);
	m->n = n;
	m->c = calloc(n, sizeof *m->c);
	/* pollfds, then the slot index of each. */
	m->pfd = calloc(n, sizeof *m->pfd + sizeof(unsigned));
	m->maxlat = 1000000;
	m->lat = calloc(m->maxlat, sizeof *m->lat);
	m->timeout = timeout;
	m->hold = hold;
	if (m->c == NULL || m->pfd == NULL || m->lat == NULL) {
		die("out of memory");
	}
}

static void
print_fails(const struct many *m)
{
	unsigned long long total = 0;
	int	 i;

	for (i = 0; i < F_N; i++) {
		total += m->fail[i];
	}
	printf(" fail=%llu", total);
	for (i = 0; i < F_N; i++) {
		printf(" %s=%llu", fail_name[i], m->fail[i]);
	}
}

static int
mode_sess(double secs, unsigned conc, double timeout)
{
	struct many	m;
	uint8_t		*buf = malloc(RBUF);
	double		t0, tend, t;
	unsigned	i, busy;

	if (buf == NULL) {
		die("out of memory");
	}
	many_init(&m, conc, timeout, 0);
	t0 = now();
	tend = t0 + secs;
	for (;;) {
		t = now();
		busy = 0;
		for (i = 0; i < conc; i++) {
			if (m.c[i].phase == 0 && t < tend) {
				(void)slot_start(&m, i);
			}
			busy += m.c[i].phase != 0;
		}
		if (busy == 0 && t >= tend) {
			break;
		}
		many_poll(&m, buf, 50);
	}
	t = now() - t0;
	qsort(m.lat, m.nlat, sizeof *m.lat, cmp_double);
	printf("ok=%llu secs=%.3f rate=%.1f", m.ok, t, (double)m.ok / t);
	print_fails(&m);
	if (m.nlat > 0) {
		printf(" p50_us=%.0f p99_us=%.0f max_us=%.0f",
		    pct(m.lat, m.nlat, 0.5), pct(m.lat, m.nlat, 0.99),
		    m.lat[m.nlat - 1]);
	}
	printf("\n");
	return 0;
}

/*
 * A failed open is retried (up to 3 N attempts in all), so that "held"
 * says how many sessions the daemon can keep, not how many connects were
 * dropped on the way (a listen backlog of 1 drops SYNs under load).
 */
static int
mode_hold(unsigned n, unsigned window, double timeout)
{
	struct many	m;
	uint8_t		*buf = malloc(RBUF);
	char		line[64];
	double		t0, t;
	unsigned	i, opening, held, attempts = 0, max_attempts = 3 * n;

	if (buf == NULL) {
		die("out of memory");
	}
	many_init(&m, n, timeout, 1);
	t0 = now();
	for (;;) {
		opening = held = 0;
		for (i = 0; i < n; i++) {
			opening += m.c[i].phase == 1;
			held += m.c[i].phase == 2;
		}
		for (i = 0; i < n && opening < window &&
		    attempts < max_attempts; i++) {
			if (m.c[i].phase == 0) {
				attempts++;
				if (slot_start(&m, i) == 0) {
					opening++;
				}
			}
		}
		if (opening == 0 && (held == n || attempts >= max_attempts)) {
			break;
		}
		many_poll(&m, buf, 50);
	}
	t = now() - t0;
	printf("HELD ok=%llu held=%u attempts=%u secs=%.3f", m.ok, held,
	    attempts, t);
	print_fails(&m);
	printf("\n");
	fflush(stdout);
	/* Hold them until told (or stdin ends). */
	if (fgets(line, sizeof line, stdin) == NULL) {
		/* EOF: close anyway */
	}
	for (i = 0; i < n; i++) {
		if (m.c[i].phase == 2) {
			close(m.c[i].fd);
		}
	}
	printf("CLOSED\n");
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*mode;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: tnclient out|in|rtt|sess|hold PORT ...\n");
		return 2;
	}
	mode = argv[1];
	memset(&peer, 0, sizeof peer);
	peer.sin_family = AF_INET;
	peer.sin_port = htons((uint16_t)atoi(argv[2]));
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	if (strcmp(mode, "out") == 0 && argc == 6) {
		return mode_out(strtoull(argv[3], NULL, 10),
		    (uint8_t)strtoul(argv[4], NULL, 16), atof(argv[5]));
	}
	if (strcmp(mode, "in") == 0 && argc == 6) {
		return mode_in(strtoull(argv[3], NULL, 10),
		    (uint8_t)strtoul(argv[4], NULL, 16), atof(argv[5]));
	}
	if (strcmp(mode, "rtt") == 0 && argc == 5) {
		return mode_rtt((unsigned)atoi(argv[3]),
		    (unsigned)atoi(argv[4]));
	}
	if (strcmp(mode, "sess") == 0 && argc == 6) {
		return mode_sess(atof(argv[3]), (unsigned)atoi(argv[4]),
		    atof(argv[5]) / 1000);
	}
	if (strcmp(mode, "hold") == 0 && argc == 6) {
		return mode_hold((unsigned)atoi(argv[3]),
		    (unsigned)atoi(argv[4]), atof(argv[5]) / 1000);
	}
	fprintf(stderr, "tnclient: bad arguments\n");
	return 2;
}
