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
 *   tnclient mix   COUNT WARMUP BATCH PEER... rtt on every PEER at once,
 *                                             interleaved: WARMUP on each,
 *                                             then rounds of BATCH round
 *                                             trips on each in turn until
 *                                             each has COUNT; a result line
 *                                             per PEER (conn=I, in order)
 *   tnclient sess  PORT SECONDS CONC TIMEOUT_MS  connect, wait for TB-READY,
 *                                             close; CONC at once, SECONDS
 *   tnclient smix  SECONDS TIMEOUT_MS PEER... sess on every PEER, one
 *                                             session at a time,
 *                                             interleaved: rounds of one
 *                                             session on each in turn
 *                                             until SECONDS are up; a
 *                                             result line per PEER
 *                                             (conn=I, in order)
 *   tnclient hold  PORT N WINDOW TIMEOUT_MS   open N sessions (at most WINDOW
 *                                             still starting), print HELD,
 *                                             wait for a line on stdin, close
 *
 * A PEER of mix is PORT (Telnet), raw:PORT (no Telnet: a TCP echo server,
 * a relay; bytes taken as they come) or pty:PATH (PATH started on a pty
 * of our own, bench_pty_spawn, its master read and written: the pty echo
 * with no daemon and no network).  Interleaving is the point: this
 * machine's round trips flip between a fast and a slow mode from one
 * minute to the next (bench/README.md), and peers measured one after the
 * other can land in different modes; rounds of BATCH give every peer the
 * same mix.  The order is shuffled every round, and each batch starts
 * with one round trip not counted (see mode_mix), so that no peer always
 * pays for the same one before it.
 *
 * A PEER of smix is PORT (a login session, or a console's listener:
 * TB-READY after the negotiation), con:NAME:PORT (Telnet to PORT naming
 * console NAME, as -c NAME does: the broker), raw:PORT (the relay
 * running ready: no Telnet), hub:TTYHUB,SOCK,NAME (`TTYHUB -s SOCK NAME`
 * on pipes, as hubclient sess runs it: TB-READY on its output, then
 * SIGTERM by PID and reaped) or spawn:PATH (the bare start: PATH started
 * on a pty of our own as ptybench spawn pty does it, bench_pty_start,
 * its master read until TB-READY, then closed and the child reaped).  Its rate is its sessions
 * over the time spent on them (start to close, and reaping for spawn:),
 * not over the whole run, so that it reads as a sequential rate does.
 *
 * Options, before the mode:
 *   -c NAME   name console NAME at ttyhubd's broker (NEW-ENVIRON, as a
 *             program does; tnrecv.c)
 *   -q        the program said its TB-*-READY long ago (a console's
 *             program, with replay off): in and rtt send a probe instead
 *             ('Z', which a looping sink answers with a DONE line; 'x')
 *             until it comes back, then wait for quiet; in mix, for the
 *             Telnet peers only
 *
 * CAP_S bounds a transfer: past it, the rate so far is reported.  Every
 * wait has a deadline.  Only 127.0.0.1.  The Telnet parsing is tnrecv.c's,
 * shared with conview; the clock and the summaries are bench.c's.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "tnrecv.h"

#define IAC	255		/* doubled in what mode_in sends */

#define RBUF	(1024 * 1024)

struct conn;
typedef void	payload_fn(struct conn *, const uint8_t *, size_t);

struct conn {
	int		 fd;
	int		 raw;		/* no Telnet: a raw TCP peer or a pty */
	int		 probe;		/* -q, for this one */
	int		 pid;		/* pty: the program on it, else -1 */
	int		 hin;		/* hub: its stdin */
	const char	*err;		/* mix: why it was dropped, or NULL */
	struct tnrecv	 rx;		/* Telnet parser, refusals to send */
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

/* Hands every payload span of a read to c->payload, in order. */
static void
feed(struct conn *c, const uint8_t *p, size_t n)
{
	const uint8_t	*end = p + n, *span;
	size_t		 k;

	if (c->raw) {
		c->payload(c, p, n);
		return;
	}
	while ((k = tnrecv_next(&c->rx, &p, end, &span)) > 0) {
		c->payload(c, span, k);
	}
}

/* Payload handlers. */

static void
pl_count(struct conn *c, const uint8_t *p, size_t n)
{
	size_t	i;

	if (c->got == 0 && n > 0) {
		c->t_first = bench_now();
	}
	c->got += n;
	if (n > 0 && (p[0] != c->want || p[n - 1] != c->want ||
	    (n > 1 && memcmp(p, p + 1, n - 1) != 0))) {
		for (i = 0; i < n; i++) {
			c->bad += p[i] != c->want;
		}
	}
}

/*
 * Does marker occur in p[0..n), or across the seam between the window
 * (the payload before p) and p?  The window keeps only the last bytes, so
 * a span is searched whole before it is cut: a marker followed in the
 * same read by more than a window of other output (a console's notices)
 * is still seen.
 */
static int
seen_in(const char *win, size_t nwin, const uint8_t *p, size_t n,
    const char *marker)
{
	char	seam[128];
	size_t	mlen = strlen(marker), a, b;

	if (memmem(p, n, marker, mlen) != NULL) {
		return 1;
	}
	if (mlen < 2 || mlen > sizeof seam / 2) {
		return 0;
	}
	a = nwin < mlen - 1 ? nwin : mlen - 1;
	b = n < mlen - 1 ? n : mlen - 1;
	memcpy(seam, win + nwin - a, a);
	memcpy(seam + a, p, b);
	return memmem(seam, a + b, marker, mlen) != NULL;
}

/* Round trips: counts the bytes equal to c->want, so that anything else
 * still on its way (the end of a ready line) is not taken for an echo. */
static void
pl_echo(struct conn *c, const uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		c->got += p[i] == c->want;
	}
}

static void
pl_watch(struct conn *c, const uint8_t *p, size_t n)
{
	size_t	keep, take;

	c->got += n;
	if (c->marker != NULL && !c->seen &&
	    seen_in(c->win, c->nwin, p, n, c->marker)) {
		c->seen = 1;
	}
	/* Keep the last bytes of payload (parse_done reads them). */
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
}

/* Connections. */

static uint16_t	 port;		/* the daemon's, on 127.0.0.1 */
static const char	*console;	/* -c */
static int		 probe;		/* -q */

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
	/* read, not recv: a pty's master too. */
	n = read(c->fd, buf, len);
	if (n < 0) {
		return errno == EINTR || errno == EAGAIN ? -2 : -1;
	}
	if (n > 0) {
		feed(c, buf, (size_t)n);
		if (!c->raw && tnrecv_flush(&c->rx, c->fd) < 0) {
			return -1;
		}
	}
	return n;
}

/*
 * Wait for the marker; 0 when seen.  With -q, send the probe every 100 ms
 * until marker comes back, then read until 200 ms pass without a byte,
 * so that answers to earlier probes are not taken for what comes next.
 */
static int
wait_marker(struct conn *c, uint8_t *buf, const char *marker, double secs,
    const char *probe_bytes)
{
	double	end = bench_now() + secs, next = 0;
	ssize_t	n;

	c->payload = pl_watch;
	c->marker = marker;
	c->seen = 0;
	c->nwin = 0;
	c->win[0] = '\0';
	while (!c->seen) {
		if (bench_now() > end) {
			return -1;
		}
		if (c->probe && bench_now() >= next) {
			if (write(c->fd, probe_bytes, strlen(probe_bytes)) < 0) {
				return -1;
			}
			next = bench_now() + 0.1;
		}
		n = pump(c, buf, RBUF, c->probe ? 20 : 100);
		if (n == 0 || n == -1) {
			return -1;
		}
	}
	while (c->probe) {
		if (bench_now() > end) {
			return -1;
		}
		n = pump(c, buf, RBUF, 200);
		if (n == -2) {
			break;
		}
		if (n == 0 || n == -1) {
			return -1;
		}
	}
	return 0;
}

static struct conn *
conn_open(struct conn *c)
{
	memset(c, 0, sizeof *c);
	c->rx.console = console;
	c->probe = probe;
	c->pid = -1;
	if ((c->fd = bench_connect(port, 0)) < 0) {
		bench_die("connect");
	}
	return c;
}

static int
mode_out(unsigned long long bytes, uint8_t want, double cap)
{
	struct conn	c;
	uint8_t		*buf = malloc(RBUF);
	double		t0 = bench_now(), end, t_last;
	ssize_t		n;
	int		eof = 0, capped = 0;

	if (buf == NULL) {
		bench_die("out of memory");
	}
	conn_open(&c);
	c.payload = pl_count;
	c.want = want;
	end = t0 + cap + 10;	/* the program must start within 10 s */
	t_last = t0;
	while (c.got - c.bad < bytes) {
		if (c.got > 0 && bench_now() - c.t_first > cap) {
			capped = 1;
			break;
		}
		if (bench_now() > end) {
			capped = 1;
			break;
		}
		n = pump(&c, buf, RBUF, 200);
		if (n == 0 || n == -1) {
			eof = 1;
			break;
		}
		if (n > 0) {
			t_last = bench_now();
		}
	}
	if (c.got - c.bad >= bytes) {
		t_last = bench_now();
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
	struct conn	c;
	uint8_t		*buf = malloc(RBUF), *wire = malloc(2 * IN_CHUNK);
	unsigned long long sent = 0, total = 0, ff = 0, other = 0;
	size_t		off = 0, clen = 0, cpay = 0;
	struct pollfd	pfd;
	double		t0, end, secs;
	ssize_t		n;
	int		fl, capped = 0, sent_z = 0;

	if (buf == NULL || wire == NULL) {
		bench_die("out of memory");
	}
	conn_open(&c);
	if (wait_marker(&c, buf, probe ? "TB-SINK-DONE" : "TB-SINK-READY", 10,
	    "Z") < 0) {
		bench_die("no TB-SINK-READY");
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
	t0 = bench_now();
	end = t0 + cap + 30;
	while (!c.seen || parse_done(&c, &total, &ff, &other) < 0) {
		if (bench_now() > end) {
			bench_die("no TB-SINK-DONE");
		}
		if (!sent_z && off == 0) {
			/* Between chunks: the next one, or the end mark. */
			if (sent >= bytes || bench_now() - t0 > cap) {
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
			bench_die("poll");
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(c.fd, buf, RBUF, 0);
			if (n == 0 || (n < 0 && errno != EAGAIN &&
			    errno != EINTR)) {
				bench_die("connection closed");
			}
			if (n > 0) {
				feed(&c, buf, (size_t)n);
				(void)tnrecv_flush(&c.rx, c.fd);
			}
		}
		if (!sent_z && clen > 0 && (pfd.revents & POLLOUT)) {
			n = send(c.fd, wire + off, clen - off, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR) {
					continue;
				}
				bench_die("send");
			}
			off += (size_t)n;
			if (off == clen) {
				sent += cpay;
				off = 0;
				clen = 0;
			}
		}
	}
	secs = bench_now() - t0;
	printf("sent=%llu got=%llu ff=%llu other=%llu secs=%.6f mbps=%.3f "
	    "capped=%d\n", sent, total, ff, other, secs,
	    (double)total / secs / 1e6, capped);
	close(c.fd);
	return 0;
}

/* Waits for c's ready line (or, with -q, for its probe to come back),
 * then counts echoes of 'x' from zero.  -1 with c->err set if none. */
static int
rtt_ready(struct conn *c, uint8_t *buf)
{
	if (wait_marker(c, buf, c->probe ? "x" : "TB-ECHO-READY", 10,
	    "x") < 0) {
		c->err = "no TB-ECHO-READY";
		return -1;
	}
	c->marker = NULL;
	c->payload = pl_echo;
	c->want = 'x';
	c->got = 0;
	return 0;
}

/* One byte out, wait (at most 5 s) for it back; into rt unless NULL.
 * -1 with c->err set if it did not come. */
static int
rtt_one(struct conn *c, uint8_t *buf, struct bench_rtt *rt)
{
	unsigned long long	want = c->got + 1;
	double			t;
	ssize_t			n;

	t = bench_now();
	if (write(c->fd, "x", 1) != 1) {
		c->err = "send";
		return -1;
	}
	while (c->got < want) {
		n = pump(c, buf, RBUF, 5000);
		if (n == 0 || n == -1 || n == -2) {
			c->err = "no echo";
			return -1;
		}
	}
	t = bench_now() - t;
	if (rt != NULL) {
		bench_rtt_add(rt, t);
	}
	return 0;
}

static int
mode_rtt(unsigned count, unsigned warmup)
{
	struct conn	c;
	uint8_t		*buf = malloc(RBUF);
	struct bench_rtt rt;
	unsigned	 i;

	bench_rtt_init(&rt, count);
	if (buf == NULL) {
		bench_die("out of memory");
	}
	conn_open(&c);
	if (rtt_ready(&c, buf) < 0) {
		bench_die(c.err);
	}
	for (i = 0; i < warmup + count; i++) {
		if (rtt_one(&c, buf, i >= warmup ? &rt : NULL) < 0) {
			bench_die(c.err);
		}
	}
	bench_rtt_print(&rt);
	printf("\n");
	close(c.fd);
	return 0;
}

/* A PEER of mix (see the top of the file). */
static void
mix_open(struct conn *c, const char *peer)
{
	char	*argv[2];

	memset(c, 0, sizeof *c);
	c->rx.console = console;
	c->pid = -1;
	if (strncmp(peer, "pty:", 4) == 0) {
		argv[0] = (char *)(uintptr_t)(peer + 4);
		argv[1] = NULL;
		c->fd = bench_pty_spawn(argv, &c->pid);
		c->raw = 1;
		return;
	}
	if (strncmp(peer, "raw:", 4) == 0) {
		c->raw = 1;
		peer += 4;
	} else {
		c->probe = probe;
	}
	if ((c->fd = bench_connect((uint16_t)atoi(peer), 0)) < 0) {
		bench_die("connect");
	}
}

static int
mode_mix(unsigned count, unsigned warmup, unsigned batch, char **peers,
    unsigned n)
{
	struct conn	*c = calloc(n, sizeof *c);
	struct bench_rtt *rt = calloc(n, sizeof *rt);
	uint8_t		*buf = malloc(RBUF);
	unsigned	*order = calloc(n, sizeof *order);
	unsigned long long seed = 1;	/* the same shuffles every run */
	const char	*e;
	unsigned	 i, j, k, r, more;

	if (c == NULL || rt == NULL || buf == NULL || order == NULL ||
	    batch == 0) {
		bench_die("out of memory");
	}
	/*
	 * Every one open and ready before any is measured, each as rtt
	 * does it: opened, then read (its negotiation answered) until its
	 * ready line, before the next is opened, so that no daemon waits
	 * for its refusals while another is being served (inetutils turns
	 * the tty's echo off on DONT ECHO, and should not do that late).
	 * A peer that fails is dropped (its line says why); the rest go on.
	 */
	for (i = 0; i < n; i++) {
		bench_rtt_init(&rt[i], count);
		mix_open(&c[i], peers[i]);
		(void)rtt_ready(&c[i], buf);
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < warmup && c[i].err == NULL; k++) {
			(void)rtt_one(&c[i], buf, NULL);
		}
	}
	/*
	 * Each round adds at least one sample to each peer short of count.
	 * The order is shuffled every round, and each batch begins with one
	 * round trip that is not counted: the first after a switch pays for
	 * the peer before it (caches, the pty worker's CPU), which in a
	 * fixed order is always the same peer, and at a batch of 100 those
	 * first round trips are a p99 of their own.
	 */
	for (i = 0; i < n; i++) {
		order[i] = i;
	}
	for (r = 0, more = 1; more; r++) {
		more = 0;
		for (j = n; j > 1; j--) {
			seed = seed * 6364136223846793005ULL +
			    1442695040888963407ULL;
			k = (unsigned)((seed >> 33) % j);
			i = order[j - 1];
			order[j - 1] = order[k];
			order[k] = i;
		}
		for (j = 0; j < n; j++) {
			i = order[j];
			if (rt[i].n < count && c[i].err == NULL) {
				(void)rtt_one(&c[i], buf, NULL);
			}
			for (k = 0; k < batch && rt[i].n < count &&
			    c[i].err == NULL; k++) {
				(void)rtt_one(&c[i], buf, &rt[i]);
			}
			more |= rt[i].n < count && c[i].err == NULL;
		}
	}
	free(order);
	for (i = 0; i < n; i++) {
		printf("conn=%u ", i);
		if (c[i].err != NULL) {
			/* One word, as bench_die's. */
			printf("error=");
			for (e = c[i].err; *e != '\0'; e++) {
				putchar(*e == ' ' ? '_' : *e);
			}
			printf(" samples=%u\n", rt[i].n);
		} else {
			bench_rtt_print(&rt[i]);
			printf(" rounds=%u\n", r);
		}
		close(c[i].fd);
		bench_pty_end(c[i].pid);
	}
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
	uint16_t	 port;		/* the peer's, or 0 for spawn: */
	int		 raw;		/* no Telnet (raw:, spawn:) */
	const char	*prog;		/* spawn:, or NULL */
	const char	*con;		/* con:, or NULL */
	char		*hub[5];	/* hub:'s ttyhub command, or NULL */
	double		 busy;		/* smix: time spent on this peer */
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
	c->rx.console = m->con != NULL ? m->con : console;
	c->raw = m->raw;
	if (m->prog != NULL) {
		/* The pty's opening is part of a bare start, as a daemon's. */
		c->t_start = bench_now();
		c->fd = bench_pty_start(m->prog, &c->pid);
	} else if (m->hub[0] != NULL) {
		c->t_start = bench_now();
		c->pid = bench_pipe_spawn(m->hub, &c->hin, &c->fd);
		if (c->pid < 0) {
			c->fd = -1;
		}
	} else {
		c->fd = bench_connect(m->port, 1);
		c->t_start = bench_now();
	}
	if (c->fd < 0) {
		m->fail[errno == ECONNREFUSED ? F_REFUSED : F_OTHER]++;
		return -1;
	}
	c->payload = pl_watch;
	c->marker = "TB-READY";
	c->deadline = c->t_start + m->timeout;
	c->phase = 1;
	return 0;
}

/*
 * The end of a bare start, as ptybench's: the master closed (the hang-up
 * ends the program) and the child reaped, waited for at most 2 s (a
 * pidfd's poll), then bench_pty_end's SIGHUP and SIGKILL.
 */
static void
spawn_reap(int pid)
{
	struct pollfd	pfd;
	int		st;

	pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	pfd.events = POLLIN;
	if (pfd.fd >= 0) {
		if (poll(&pfd, 1, 2000) == 1 &&
		    waitpid((pid_t)pid, &st, WNOHANG) == (pid_t)pid) {
			close(pfd.fd);
			return;
		}
		close(pfd.fd);
	}
	bench_pty_end(pid);
}

static void
slot_end(struct many *m, unsigned i, int fail)
{
	struct conn	*c = &m->c[i];

	if (fail < 0) {
		m->ok++;
		if (m->nlat < m->maxlat) {
			m->lat[m->nlat++] = (bench_now() - c->t_start) * 1e6;
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
	if (m->hub[0] != NULL) {
		close(c->hin);
		bench_proc_end(c->pid, SIGTERM);
		c->pid = 0;
	} else if (c->pid > 0) {
		spawn_reap(c->pid);
		c->pid = 0;
	}
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
	t = bench_now();
	for (unsigned k = 0; k < np; k++) {
		struct conn *c = &m->c[idx[k]];

		if (m->pfd[k].revents == 0) {
			if (t > c->deadline) {
				slot_end(m, idx[k], F_TIMEOUT);
			}
			continue;
		}
		/* read, not recv: a pty's master too. */
		n = read(c->fd, buf, RBUF);
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
		feed(c, buf, (size_t)n);
		if (!c->raw && tnrecv_flush(&c->rx, c->fd) < 0) {
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
	m->port = port;
	if (m->c == NULL || m->pfd == NULL || m->lat == NULL) {
		bench_die("out of memory");
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

static void
print_lat(struct many *m)
{
	bench_sort(m->lat, m->nlat);
	if (m->nlat > 0) {
		printf(" p50_us=%.0f p99_us=%.0f max_us=%.0f",
		    bench_pct(m->lat, m->nlat, 0.5),
		    bench_pct(m->lat, m->nlat, 0.99),
		    m->lat[m->nlat - 1]);
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
		bench_die("out of memory");
	}
	many_init(&m, conc, timeout, 0);
	t0 = bench_now();
	tend = t0 + secs;
	for (;;) {
		t = bench_now();
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
	t = bench_now() - t0;
	printf("ok=%llu secs=%.3f rate=%.1f", m.ok, t, (double)m.ok / t);
	print_fails(&m);
	print_lat(&m);
	printf("\n");
	return 0;
}

/* A PEER of smix (see the top of the file). */
static void
smix_peer(struct many *m, const char *peer)
{
	char	*s, *p;
	int	 k;

	if (strncmp(peer, "hub:", 4) == 0) {
		if ((s = strdup(peer + 4)) == NULL) {
			bench_die("out of memory");
		}
		/* TTYHUB -s SOCK NAME */
		m->hub[0] = strsep(&s, ",");
		m->hub[1] = (char *)"-s";
		for (k = 2; k < 4; k++) {
			if ((p = strsep(&s, ",")) == NULL) {
				bench_die("hub:TTYHUB,SOCK,NAME");
			}
			m->hub[k] = p;
		}
		m->hub[4] = NULL;
		m->raw = 1;
		return;
	}
	if (strncmp(peer, "con:", 4) == 0) {
		if ((s = strdup(peer + 4)) == NULL) {
			bench_die("out of memory");
		}
		m->con = strsep(&s, ":");
		if (s == NULL) {
			bench_die("con:NAME:PORT");
		}
		m->port = (uint16_t)atoi(s);
		return;
	}
	if (strncmp(peer, "spawn:", 6) == 0) {
		m->prog = peer + 6;
		m->raw = 1;
		m->port = 0;
		return;
	}
	if (strncmp(peer, "raw:", 4) == 0) {
		m->raw = 1;
		peer += 4;
	}
	m->port = (uint16_t)atoi(peer);
}

static int
mode_smix(double secs, double timeout, char **peers, unsigned n)
{
	struct many	*m = calloc(n, sizeof *m);
	uint8_t		*buf = malloc(RBUF);
	double		 t0, t;
	unsigned	 i, j, r;

	if (m == NULL || buf == NULL) {
		bench_die("out of memory");
	}
	for (i = 0; i < n; i++) {
		many_init(&m[i], 1, timeout, 0);
		smix_peer(&m[i], peers[i]);
	}
	/*
	 * A round is one session on each peer, every peer's ended (closed,
	 * reaped) before the next one's starts; each session is bounded by
	 * timeout, so a round is too.
	 */
	t0 = bench_now();
	for (r = 0; bench_now() < t0 + secs; r++) {
		for (j = 0; j < n; j++) {
			i = (r + j) % n;
			t = bench_now();
			if (slot_start(&m[i], 0) == 0) {
				while (m[i].c[0].phase != 0) {
					many_poll(&m[i], buf, 50);
				}
			}
			m[i].busy += bench_now() - t;
		}
	}
	t = bench_now() - t0;
	for (i = 0; i < n; i++) {
		printf("conn=%u ok=%llu secs=%.3f rate=%.1f", i, m[i].ok,
		    m[i].busy, m[i].busy > 0 ? (double)m[i].ok / m[i].busy :
		    0.0);
		print_fails(&m[i]);
		print_lat(&m[i]);
		printf(" rounds=%u wall=%.3f\n", r, t);
	}
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
		bench_die("out of memory");
	}
	many_init(&m, n, timeout, 1);
	t0 = bench_now();
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
	t = bench_now() - t0;
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
	int		 opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A peer gone shows as EPIPE (writes go to ptys too, not send). */
	(void)signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt(argc, argv, "+c:q")) != -1) {
		if (opt == 'c') {
			console = optarg;
		} else if (opt == 'q') {
			probe = 1;
		} else {
			return 2;
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 3) {
		fprintf(stderr, "usage: tnclient [-c NAME] [-q] "
		    "out|in|rtt|sess|hold PORT ... | mix COUNT WARMUP BATCH "
		    "PEER... | smix SECONDS TIMEOUT_MS PEER...\n");
		return 2;
	}
	mode = argv[1];
	if (strcmp(mode, "mix") == 0 && argc >= 6) {
		return mode_mix((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]),
		    (unsigned)atoi(argv[4]), argv + 5, (unsigned)(argc - 5));
	}
	if (strcmp(mode, "smix") == 0 && argc >= 5) {
		return mode_smix(atof(argv[2]), atof(argv[3]) / 1000, argv + 4,
		    (unsigned)(argc - 4));
	}
	port = (uint16_t)atoi(argv[2]);

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
