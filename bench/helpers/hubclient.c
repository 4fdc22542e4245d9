/*
 * hubclient: the benchmark's driver of the real ttyhub(1) client.  It
 * runs `ttyhub -s SOCK [--no-replay] NAME` with its standard input and
 * output on pipes (so ttyhub is in its scripting mode: no raw mode, no
 * escapes), writes to one and reads the other, and prints one line of
 * key=value results, as tnclient does for a Telnet client.
 *
 *   hubclient in   TTYHUB SOCK NAME BYTES BYTE CAP_S
 *                  NAME runs `sink loop`: probe with 'Z' until a DONE
 *                  line, then BYTES of BYTE (hex) and 'Z'; MB/s
 *   hubclient rtt  TTYHUB SOCK NAME COUNT WARMUP
 *                  NAME echoes (the program or its tty): probe with 'x'
 *                  until it comes back, then one byte out, wait for it
 *                  back, COUNT times
 *   hubclient sess TTYHUB SOCK NAME SECONDS CONC TIMEOUT_MS
 *                  NAME's replay holds TB-READY: start ttyhub, wait for
 *                  it on its output, end ttyhub (SIGTERM, by PID); CONC
 *                  at once, for SECONDS
 *
 * Every ttyhub started is ended by its PID and reaped; every wait has a
 * deadline.  The clock, the summary lines and the start and end of a
 * ttyhub on pipes are bench.c's (tnclient smix's hub: peers start it the
 * same way).
 */
#define _GNU_SOURCE
#include <sys/types.h>

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

#define RBUF		(1024 * 1024)
#define IN_CHUNK	(64 * 1024)

static const char	*ttyhub, *sock, *name;

/* One ttyhub we started: its PID and our ends of its pipes. */
struct hub {
	pid_t		 pid;
	int		 in;		/* its standard input */
	int		 out;		/* its standard output */
	double		 t0, deadline;
	char		 win[256];	/* the last bytes it printed */
	size_t		 nwin;
};

static void
hub_start(struct hub *h, int replay)
{
	char	*argv[6];
	int	 na = 0;

	argv[na++] = (char *)ttyhub;
	argv[na++] = (char *)"-s";
	argv[na++] = (char *)sock;
	if (!replay) {
		argv[na++] = (char *)"--no-replay";
	}
	argv[na++] = (char *)name;
	argv[na] = NULL;
	memset(h, 0, sizeof *h);
	h->t0 = bench_now();
	if ((h->pid = bench_pipe_spawn(argv, &h->in, &h->out)) < 0) {
		bench_die("start ttyhub");
	}
}

/* End it by its PID and reap it (SIGKILL if it lingers past 2 s). */
static void
hub_end(struct hub *h)
{
	if (h->pid <= 0) {
		return;
	}
	close(h->in);
	close(h->out);
	bench_proc_end(h->pid, SIGTERM);
	h->pid = -1;
}

/*
 * Keep the last bytes printed; has marker been printed, in them or in
 * p[0..n) (searched whole before it is cut to the window's size)?
 */
static int
hub_watch(struct hub *h, const uint8_t *p, size_t n, const char *marker)
{
	size_t	take = n > sizeof h->win - 1 ? sizeof h->win - 1 : n, keep;
	int	seen = memmem(p, n, marker, strlen(marker)) != NULL;

	p += n - take;
	if (h->nwin + take > sizeof h->win - 1) {
		keep = sizeof h->win - 1 - take;
		memmove(h->win, h->win + h->nwin - keep, keep);
		h->nwin = keep;
	}
	memcpy(h->win + h->nwin, p, take);
	h->nwin += take;
	h->win[h->nwin] = '\0';
	return seen || memmem(h->win, h->nwin, marker, strlen(marker)) != NULL;
}

/* Read what it printed, waiting at most ms.  Bytes, 0 at EOF, -2 none. */
static ssize_t
hub_read(struct hub *h, uint8_t *buf, size_t len, int ms)
{
	struct pollfd	p = { h->out, POLLIN, 0 };
	ssize_t		n;

	if (poll(&p, 1, ms) <= 0) {
		return -2;
	}
	n = read(h->out, buf, len);
	if (n < 0) {
		return errno == EAGAIN || errno == EINTR ? -2 : -1;
	}
	return n;
}

/*
 * Send probe every 100 ms until marker comes back, then read until 200 ms
 * pass without a byte: the answers to earlier probes are not taken for
 * what comes next.  ttyhub drops what it reads before it is attached.
 */
static void
hub_probe(struct hub *h, uint8_t *buf, const char *probe, const char *marker)
{
	double	end = bench_now() + 10, next = 0;
	ssize_t	n;
	int	seen = 0;

	while (!seen) {
		if (bench_now() > end) {
			bench_die("no answer to the probe");
		}
		if (bench_now() >= next) {
			if (write(h->in, probe, strlen(probe)) < 0) {
				bench_die("write");
			}
			next = bench_now() + 0.1;
		}
		n = hub_read(h, buf, RBUF, 20);
		if (n == 0 || n == -1) {
			bench_die("ttyhub ended");
		}
		if (n > 0) {
			seen = hub_watch(h, buf, (size_t)n, marker);
		}
	}
	while ((n = hub_read(h, buf, RBUF, 200)) != -2) {
		if (n == 0 || n == -1 || bench_now() > end) {
			bench_die("ttyhub ended");
		}
	}
	h->nwin = 0;
	h->win[0] = '\0';
}

static int
mode_in(unsigned long long bytes, uint8_t want, double cap)
{
	struct hub	h;
	uint8_t		*buf = malloc(RBUF), *data = malloc(IN_CHUNK);
	unsigned long long sent = 0, total = 0, ff = 0, other = 0;
	struct pollfd	p[2];
	size_t		off = 0, clen = 0;
	double		t0, end, secs;
	ssize_t		n;
	int		capped = 0, sent_z = 0, done = 0;
	const char	*d;

	if (buf == NULL || data == NULL) {
		bench_die("out of memory");
	}
	memset(data, want, IN_CHUNK);
	hub_start(&h, 0);
	hub_probe(&h, buf, "Z", "TB-SINK-DONE");
	(void)fcntl(h.in, F_SETFL, O_NONBLOCK);
	t0 = bench_now();
	end = t0 + cap + 30;
	while (!done) {
		if (bench_now() > end) {
			bench_die("no TB-SINK-DONE");
		}
		if (!sent_z && off == clen) {
			off = 0;
			if (sent >= bytes || bench_now() - t0 > cap) {
				capped = sent < bytes;
				if (write(h.in, "Z", 1) == 1) {
					sent_z = 1;
				}
				clen = 0;
			} else {
				clen = bytes - sent < IN_CHUNK ?
				    (size_t)(bytes - sent) : IN_CHUNK;
			}
		}
		p[0].fd = h.out;
		p[0].events = POLLIN;
		p[1].fd = h.in;
		p[1].events = sent_z ? 0 : POLLOUT;
		if (poll(p, 2, 200) < 0 && errno != EINTR) {
			bench_die("poll");
		}
		if (p[0].revents & (POLLIN | POLLHUP)) {
			n = read(h.out, buf, RBUF);
			if (n == 0) {
				bench_die("ttyhub ended");
			}
			if (n > 0 && hub_watch(&h, buf, (size_t)n,
			    "TB-SINK-DONE") && (d = strstr(h.win,
			    "TB-SINK-DONE")) != NULL && strchr(d, '\n') !=
			    NULL) {
				if (sscanf(d, "TB-SINK-DONE total=%llu ff=%llu "
				    "other=%llu", &total, &ff, &other) != 3) {
					bench_die("bad done line");
				}
				done = 1;
			}
		}
		if (!sent_z && clen > off && (p[1].revents & POLLOUT)) {
			n = write(h.in, data + off, clen - off);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				bench_die("write");
			}
			if (n > 0) {
				off += (size_t)n;
				sent += (size_t)n;
			}
		}
	}
	secs = bench_now() - t0;
	printf("sent=%llu got=%llu ff=%llu other=%llu secs=%.6f mbps=%.3f "
	    "capped=%d\n", sent, total, ff, other, secs,
	    (double)total / secs / 1e6, capped);
	hub_end(&h);
	return 0;
}

static int
mode_rtt(unsigned count, unsigned warmup)
{
	struct hub	 h;
	struct bench_rtt rt;
	uint8_t		*buf = malloc(RBUF);
	double		 t;
	unsigned	 i;
	ssize_t		 n;

	if (buf == NULL) {
		bench_die("out of memory");
	}
	bench_rtt_init(&rt, count);
	hub_start(&h, 0);
	hub_probe(&h, buf, "x", "x");
	for (i = 0; i < warmup + count; i++) {
		t = bench_now();
		if (write(h.in, "x", 1) != 1) {
			bench_die("write");
		}
		do {
			n = hub_read(&h, buf, RBUF, 5000);
		} while (n == -2 && bench_now() - t < 5);
		if (n <= 0) {
			bench_die("no echo");
		}
		t = bench_now() - t;
		if (i >= warmup) {
			bench_rtt_add(&rt, t);
		}
	}
	bench_rtt_print(&rt);
	printf("\n");
	hub_end(&h);
	return 0;
}

static int
mode_sess(double secs, unsigned conc, double timeout)
{
	struct hub	*h = calloc(conc, sizeof *h);
	struct pollfd	*p = calloc(conc, sizeof *p);
	unsigned	*idx = calloc(conc, sizeof *idx);
	uint8_t		*buf = malloc(RBUF);
	struct bench_rtt lat;
	unsigned long long ok = 0, fail = 0, eof = 0, timeouts = 0;
	double		 t0, tend, t;
	unsigned	 i, np, busy;
	ssize_t		 n;

	if (h == NULL || p == NULL || idx == NULL || buf == NULL) {
		bench_die("out of memory");
	}
	bench_rtt_init(&lat, 1000000);
	t0 = bench_now();
	tend = t0 + secs;
	for (;;) {
		t = bench_now();
		busy = np = 0;
		for (i = 0; i < conc; i++) {
			if (h[i].pid <= 0 && t < tend) {
				hub_start(&h[i], 1);
				h[i].deadline = h[i].t0 + timeout;
			}
			if (h[i].pid > 0) {
				busy++;
				p[np].fd = h[i].out;
				p[np].events = POLLIN;
				p[np].revents = 0;
				idx[np++] = i;
			}
		}
		if (busy == 0 && t >= tend) {
			break;
		}
		(void)poll(p, np, 50);
		t = bench_now();
		for (unsigned k = 0; k < np; k++) {
			struct hub *c = &h[idx[k]];

			if (p[k].revents == 0) {
				if (t > c->deadline) {
					timeouts++;
					fail++;
					hub_end(c);
				}
				continue;
			}
			n = read(c->out, buf, RBUF);
			if (n == 0 || (n < 0 && errno != EAGAIN &&
			    errno != EINTR)) {
				eof++;
				fail++;
				hub_end(c);
				continue;
			}
			if (n > 0 && hub_watch(c, buf, (size_t)n,
			    "TB-READY")) {
				bench_rtt_add(&lat, bench_now() - c->t0);
				ok++;
				hub_end(c);
			}
		}
	}
	t = bench_now() - t0;
	printf("ok=%llu secs=%.3f rate=%.1f fail=%llu eof=%llu timeout=%llu",
	    ok, t, (double)ok / t, fail, eof, timeouts);
	if (lat.n > 0) {
		bench_sort(lat.v, lat.n);
		printf(" p50_us=%.0f p99_us=%.0f max_us=%.0f",
		    bench_pct(lat.v, lat.n, 0.5), bench_pct(lat.v, lat.n, 0.99),
		    lat.v[lat.n - 1]);
	}
	printf("\n");
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 5) {
		fprintf(stderr, "usage: hubclient in|rtt|sess TTYHUB SOCK "
		    "NAME ...\n");
		return 2;
	}
	ttyhub = argv[2];
	sock = argv[3];
	name = argv[4];
	if (strcmp(argv[1], "in") == 0 && argc == 8) {
		return mode_in(strtoull(argv[5], NULL, 10),
		    (uint8_t)strtoul(argv[6], NULL, 16), atof(argv[7]));
	}
	if (strcmp(argv[1], "rtt") == 0 && argc == 7) {
		return mode_rtt((unsigned)atoi(argv[5]),
		    (unsigned)atoi(argv[6]));
	}
	if (strcmp(argv[1], "sess") == 0 && argc == 8) {
		return mode_sess(atof(argv[5]), (unsigned)atoi(argv[6]),
		    atof(argv[7]) / 1000);
	}
	fprintf(stderr, "hubclient: bad arguments\n");
	return 2;
}
