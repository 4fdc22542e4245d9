/*
 * conview: Telnet clients of one console, for bench/console.py.  In C so
 * that the clients are not what is measured.  Like tnclient (and with the
 * same code, tnrecv.c) it refuses every option (DO x -> WONT x, WILL x ->
 * DONT x), skips subnegotiations and un-doubles IAC IAC; only payload
 * bytes are counted.
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
 *   conview wsview PORT K STALLED HEX WINDOW_S [WARM_S]
 *       the same as WebSocket clients of the web console (web = in
 *       [ttyhubd]), of console "bench" (wsrecv.c): each sends the
 *       handshake at once, stalled ones too, and counts the payload of
 *       binary frames; the daemon's text messages are not payload.
 *   conview view-tls|wsview-tls ...
 *       the same over TLS (a listener with tls): each connection's
 *       handshake is over before the next connects.  The server's
 *       certificate is not checked: what is measured is the daemon.
 *       Sockets stay blocking, as for the others: epoll says which to
 *       read, and SSL_read finishes a record read in part.
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

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "bench.h"
#include "tnrecv.h"
#include "wsrecv.h"

#define RBUF		(256 * 1024)
#define SETTLE_S	0.3
#define START_S		10.0	/* the first counted byte must come by then */

struct conn {
	int		 fd;
	SSL		*ssl;		/* over TLS */
	struct tnrecv	 rx;		/* Telnet parser, refusals to send */
	struct wsrecv	 ws;		/* or WebSocket (wsview) */
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
static int	g_ws;		/* wsview: WebSocket, not Telnet */
static SSL_CTX	*g_tls;		/* -tls: the client's context */

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

/* Counts every payload span of a read, all as arrived at t. */
static void
feed(struct conn *c, const uint8_t *p, size_t n, double t)
{
	const uint8_t	*end = p + n, *span;
	size_t		 k;

	if (g_ws) {
		while ((k = wsrecv_next(&c->ws, &p, end, &span)) > 0) {
			payload(c, span, k, t);
		}
		return;
	}
	while ((k = tnrecv_next(&c->rx, &p, end, &span)) > 0) {
		payload(c, span, k, t);
	}
}

static uint16_t	port;		/* the server's, on 127.0.0.1 */

/* One read on c; returns bytes, 0 at EOF, -1 if nothing there. */
static ssize_t
pump(struct conn *c, uint8_t *buf, size_t len)
{
	ssize_t	n;

	if (c->ssl != NULL) {
		n = SSL_read(c->ssl, buf, (int)len);
		if (n <= 0) {
			c->eof = 1;
			return 0;
		}
		feed(c, buf, (size_t)n, bench_now());
		if (c->rx.nreply > 0) {
			/* Refusals: a few bytes, the way the data came. */
			(void)SSL_write(c->ssl, c->rx.reply, (int)c->rx.nreply);
			c->rx.nreply = 0;
		}
		return n;
	}
	n = recv(c->fd, buf, len, MSG_DONTWAIT);
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
	feed(c, buf, (size_t)n, bench_now());
	if (!g_ws) {
		(void)tnrecv_flush(&c->rx, c->fd);
	}
	return n;
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
	double		end = bench_now() + OPEN_WAIT_S;

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
		if (np <= most || bench_now() > end) {
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
	int			 ep, n, j, reqlen;
	char			 req[512];

	rates = calloc(k, sizeof *rates);
	reqlen = wsrecv_request(req, sizeof req, "bench");
	g_window = window;
	g_warm = warm;
	if (c == NULL || evs == NULL || buf == NULL || rates == NULL ||
	    stalled >= k) {
		bench_die("setup");
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		bench_die("epoll_create1");
	}
	start = bench_now();
	for (i = 0; i < k; i++) {
		/*
		 * At most OPEN_WINDOW connections not yet greeted by the
		 * server (its first negotiation bytes): a server with a short
		 * listen backlog (ser2net: 5) would drop the SYNs of a burst
		 * and the kernel would retry them only a second later.
		 */
		open_wait(c, i, OPEN_WINDOW - 1, buf);
		c[i].fd = bench_connect(port, 0);
		if (c[i].fd < 0) {
			printf("error=connect conn=%u errno=%d\n", i, errno);
			return 1;
		}
		if (g_tls != NULL && ((c[i].ssl = SSL_new(g_tls)) == NULL ||
		    SSL_set_fd(c[i].ssl, c[i].fd) != 1 ||
		    SSL_connect(c[i].ssl) != 1)) {
			bench_die("TLS handshake");
		}
		if (g_ws && (c[i].ssl != NULL ? SSL_write(c[i].ssl, req,
		    reqlen) : send(c[i].fd, req, (size_t)reqlen,
		    MSG_NOSIGNAL)) != reqlen) {
			bench_die("send handshake");
		}
		c[i].want = want;
		c[i].stalled = i >= readers;
	}
	open_wait(c, k, 0, buf);
	for (i = 0; i < readers; i++) {
		ev.events = EPOLLIN;
		ev.data.u32 = i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev) < 0) {
			bench_die("epoll_ctl");
		}
	}
	connect_s = bench_now() - start;
	/* Settle: negotiation, replay, notices; all discarded. */
	start = bench_now();
	while ((t = bench_now()) < start + SETTLE_S) {
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
		bench_die("all closed");
	}
	start = bench_now();
	for (;;) {
		t = bench_now();
		if (g_first == 0 && t > start + START_S) {
			bench_die("no data");
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
			if (g_first != 0 && bench_now() >= t_end) {
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
	bench_sort(rates, readers);
	printf("readers=%u stalled=%u window=%.3f total_mbps=%.3f "
	    "per_min=%.3f per_med=%.3f per_max=%.3f per_mean=%.3f "
	    "late_per_mean=%.3f total_bytes=%llu other=%llu eof=%u\n",
	    readers, stalled, window,
	    (double)total / window / 1e6, rates[0],
	    bench_pct(rates, readers, 0.5), rates[readers - 1],
	    (double)total / window / 1e6 / readers,
	    (double)late / (window / 2) / 1e6 / readers, total, other, eofs);
	fflush(stdout);
	for (i = 0; i < k; i++) {
		SSL_free(c[i].ssl);
		close(c[i].fd);
	}
	return 0;
}

static int
mode_rtt(unsigned count, unsigned warmup, double cap)
{
	struct conn	c = { 0 };
	uint8_t		*buf = malloc(RBUF);
	struct bench_rtt rt;
	double		t, start, t_meas = 0;
	unsigned	i;
	unsigned long long before;

	if (buf == NULL) {
		bench_die("setup");
	}
	bench_rtt_init(&rt, count);
	if ((c.fd = bench_connect(port, 0)) < 0) {
		bench_die("connect");
	}
	start = bench_now();
	while (bench_now() < start + SETTLE_S) {
		struct pollfd p = { c.fd, POLLIN, 0 };
		(void)poll(&p, 1, 20);
		if (p.revents && pump(&c, buf, RBUF) == 0) {
			bench_die("closed");
		}
	}
	c.want = 'x';
	c.counting = 1;
	for (i = 0; i < warmup + count; i++) {
		if (i == warmup) {
			t_meas = bench_now();
		}
		if (i > warmup && bench_now() - t_meas > cap) {
			break;
		}
		before = c.got;
		t = bench_now();
		if (send(c.fd, "x", 1, MSG_NOSIGNAL) != 1) {
			bench_die("send");
		}
		while (c.got == before) {
			struct pollfd p = { c.fd, POLLIN, 0 };
			if (poll(&p, 1, 5000) <= 0) {
				bench_die("no echo");
			}
			if (pump(&c, buf, RBUF) == 0) {
				bench_die("closed");
			}
		}
		t = bench_now() - t;
		if (i >= warmup) {
			bench_rtt_add(&rt, t);
		}
	}
	if (rt.n == 0) {
		bench_die("no round trips");
	}
	bench_rtt_print(&rt);
	printf(" other=%llu\n", c.other);
	close(c.fd);
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: conview view|wsview|view-tls|"
		    "wsview-tls|rtt PORT ...\n");
		return 2;
	}
	port = (uint16_t)atoi(argv[2]);
	if (strcmp(argv[1], "view-tls") == 0 ||
	    strcmp(argv[1], "wsview-tls") == 0) {
		argv[1][strlen(argv[1]) - 4] = '\0';
		if ((g_tls = SSL_CTX_new(TLS_client_method())) == NULL) {
			bench_die("TLS context");
		}
		SSL_CTX_set_verify(g_tls, SSL_VERIFY_NONE, NULL);
	}
	g_ws = strcmp(argv[1], "wsview") == 0;
	if ((strcmp(argv[1], "view") == 0 || g_ws) &&
	    (argc == 7 || argc == 8)) {
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
