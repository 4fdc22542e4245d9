/*
 * ptybench: the ceilings the daemons are measured against, with no daemon
 * and no network in the way.
 *
 *   ptybench DIR out BYTES BYTE      DIR/blast on a pty slave (its own
 *                                    session, controlling tty), this process
 *                                    reads the master with 1 MiB reads
 *   ptybench DIR in BYTES BYTE       DIR/sink on the slave; this process
 *                                    writes BYTES to the master, then 'Z'
 *   ptybench DIR rtt COUNT WARMUP PROG
 *                                    DIR/PROG (echo or ttyecho) on the
 *                                    slave; one byte in, wait for it back
 *   ptybench DIR spawn SECS pty|fork|pipe
 *                                    start DIR/ready, wait for its
 *                                    TB-READY, hang up; again for SECS: a
 *                                    session's start with nothing else
 *   ptybench DIR tcpecho             no pty: a TCP echo server on 127.0.0.1
 *                                    (port on stdout), for tnclient rtt
 *   ptybench DIR tcpsrc BYTES BYTE   no pty: listen on 127.0.0.1 (port on
 *                                    stdout), send BYTES of payload in
 *                                    Telnet form to the first client
 *                                    (the client's own ceiling)
 *
 * The pty has the kernel's default termios, as a daemon's new pty does.
 * Every wait for the other side is a blocking read, as a daemon's is (no
 * sleep of our own between bytes, no spinning): run on one CPU, the CPU
 * then never idles in a round trip, and what is measured is the work
 * (bench/README.md says why that matters on this machine).
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define RBUF	(1024 * 1024)

static pid_t	child = -1;

static void
reap(void)
{
	bench_pty_end(child);
}

/* A pty with PROG on its slave; returns the master. */
static int
spawn(char *const argv[])
{
	int	m, pid;

	m = bench_pty_spawn(argv, &pid);
	child = pid;
	atexit(reap);
	return m;
}

/* Read from the master until the marker shows up (at most 10 s). */
static void
wait_for(int m, const char *marker, char *win, size_t winlen)
{
	double		end = bench_now() + 10;
	struct pollfd	p = { m, POLLIN, 0 };
	size_t		have = 0;
	ssize_t		n;

	win[0] = '\0';
	while (strstr(win, marker) == NULL || strchr(strstr(win, marker),
	    '\n') == NULL) {
		if (bench_now() > end || have + 1 >= winlen) {
			bench_die("no marker");
		}
		if (poll(&p, 1, 100) <= 0) {
			continue;
		}
		n = read(m, win + have, winlen - 1 - have);
		if (n <= 0) {
			bench_die("read");
		}
		have += (size_t)n;
		win[have] = '\0';
	}
}

static int
mode_out(const char *dir, const char *bytes, const char *byte)
{
	char		path[4096];
	char		*argv[] = { path, (char *)bytes, (char *)byte, NULL };
	unsigned long long want = strtoull(bytes, NULL, 10), got = 0, bad = 0;
	unsigned char	*buf = malloc(RBUF), b = (unsigned char)strtoul(byte,
			    NULL, 16);
	double		t0 = 0, t1;
	ssize_t		n, i;
	int		m;

	snprintf(path, sizeof path, "%s/blast", dir);
	m = spawn(argv);
	while (got < want) {
		n = read(m, buf, RBUF);
		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			break;	/* EIO: blast is gone */
		}
		if (got == 0) {
			t0 = bench_now();
		}
		got += (unsigned long long)n;
		if (buf[0] != b || buf[n - 1] != b ||
		    memcmp(buf, buf + 1, (size_t)n - 1) != 0) {
			for (i = 0; i < n; i++) {
				bad += buf[i] != b;
			}
		}
	}
	t1 = bench_now();
	printf("bytes=%llu secs=%.6f mbps=%.3f bad=%llu\n", got, t1 - t0,
	    (double)got / (t1 - t0) / 1e6, bad);
	return 0;
}

static int
mode_in(const char *dir, const char *bytes, const char *byte)
{
	char		path[4096], win[4096];
	char		*argv[] = { path, NULL };
	unsigned long long want = strtoull(bytes, NULL, 10), sent = 0;
	unsigned long long total = 0, ff = 0, other = 0;
	unsigned char	*buf = malloc(RBUF);
	struct pollfd	p[1];
	size_t		have = 0, len;
	double		t0, end;
	ssize_t		n;
	int		m, zdone = 0;
	char		*d;

	snprintf(path, sizeof path, "%s/sink", dir);
	m = spawn(argv);
	wait_for(m, "TB-SINK-READY", win, sizeof win);
	memset(buf, (int)strtoul(byte, NULL, 16), RBUF);
	(void)fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
	win[0] = '\0';
	t0 = bench_now();
	end = t0 + 60;
	for (;;) {
		if (bench_now() > end) {
			bench_die("timeout");
		}
		if ((d = strstr(win, "TB-SINK-DONE")) != NULL &&
		    strchr(d, '\n') != NULL) {
			break;
		}
		p[0].fd = m;
		p[0].events = POLLIN | (zdone ? 0 : POLLOUT);
		if (poll(p, 1, 200) < 0 && errno != EINTR) {
			bench_die("poll");
		}
		if (p[0].revents & POLLIN) {
			n = read(m, win + have, sizeof win - 1 - have);
			if (n > 0) {
				have += (size_t)n;
				win[have] = '\0';
			}
		}
		if (!zdone && (p[0].revents & POLLOUT)) {
			if (sent >= want) {
				if (write(m, "Z", 1) == 1) {
					zdone = 1;
				}
				continue;
			}
			len = want - sent < RBUF ? (size_t)(want - sent) : RBUF;
			n = write(m, buf, len);
			if (n > 0) {
				sent += (unsigned long long)n;
			}
		}
	}
	t0 = bench_now() - t0;
	if (sscanf(d, "TB-SINK-DONE total=%llu ff=%llu other=%llu", &total,
	    &ff, &other) != 3) {
		bench_die("bad done line");
	}
	printf("sent=%llu got=%llu ff=%llu other=%llu secs=%.6f mbps=%.3f\n",
	    sent, total, ff, other, t0, (double)total / t0 / 1e6);
	return 0;
}

static int
mode_rtt(const char *dir, unsigned count, unsigned warmup, const char *prog)
{
	char		path[4096], win[4096], c;
	char		*argv[] = { path, NULL };
	struct bench_rtt rt;
	double		t;
	unsigned	i;
	int		m;

	bench_rtt_init(&rt, count);
	snprintf(path, sizeof path, "%s/%s", dir, prog);
	m = spawn(argv);
	wait_for(m, "TB-ECHO-READY", win, sizeof win);
	for (i = 0; i < warmup + count; i++) {
		t = bench_now();
		if (write(m, "x", 1) != 1 || read(m, &c, 1) != 1) {
			bench_die("echo");
		}
		t = bench_now() - t;
		if (i >= warmup) {
			bench_rtt_add(&rt, t);
		}
	}
	bench_rtt_print(&rt);
	printf("\n");
	return 0;
}

/*
 * A session's start with no daemon: a pty as a daemon opens one, a child
 * in a session of its own with the slave as its controlling tty, exec of
 * DIR/ready, and its first line read on the master; then the master is
 * closed (the hang-up ends ready) and the child reaped.  Sequential, for
 * SECS.  How the child is started:
 *   pty   posix_spawn (setsid, the slave opened after it): glibc's vfork-
 *         like child, the quickest way there is; the ceiling (bench.c's
 *         bench_pty_start, tnclient smix's spawn:PROG too)
 *   fork  fork, setsid, open, TIOCSCTTY, exec: the classic way, ttyhubd's
 *   pipe  posix_spawn, ready writing to a pipe: no pty at all
 */
static int
mode_spawn(const char *dir, double secs, const char *how)
{
	char			 path[4096], name[128], win[256];
	char			*argv[] = { path, NULL };
	char			*envp[] = { (char *)"TERM=vt100", NULL };
	posix_spawn_file_actions_t fa;
	struct bench_rtt	 rt;
	double			 t0, t, end;
	size_t			 have;
	ssize_t			 n;
	pid_t			 pid;
	int			 m, s, p[2], st;
	int			 use_pty = strcmp(how, "pipe") != 0;
	int			 use_fork = strcmp(how, "fork") == 0;

	snprintf(path, sizeof path, "%s/ready", dir);
	bench_rtt_init(&rt, 1000000);
	t0 = bench_now();
	end = t0 + secs;
	while ((t = bench_now()) < end) {
		s = -1;
		if (use_pty && !use_fork) {
			if ((m = bench_pty_start(path, &pid)) < 0) {
				bench_die("posix_spawn");
			}
		} else if (use_pty) {
			if ((m = bench_pty_open(name, sizeof name)) < 0) {
				bench_die("pty");
			}
			if ((pid = fork()) < 0) {
				bench_die("fork");
			}
			if (pid == 0) {
				setsid();
				if ((s = open(name, O_RDWR)) < 0) {
					_exit(126);
				}
				(void)ioctl(s, TIOCSCTTY, 0);
				dup2(s, 0);
				dup2(s, 1);
				dup2(s, 2);
				execve(path, argv, envp);
				_exit(127);
			}
		} else {
			if (pipe2(p, O_CLOEXEC) < 0) {
				bench_die("pipe");
			}
			m = p[0];
			s = p[1];
			posix_spawn_file_actions_init(&fa);
			posix_spawn_file_actions_adddup2(&fa, s, 1);
			if (posix_spawn(&pid, path, &fa, NULL, argv, envp) != 0) {
				bench_die("posix_spawn");
			}
			posix_spawn_file_actions_destroy(&fa);
		}
		if (!use_pty) {
			close(s);
		}
		have = 0;
		win[0] = '\0';
		while (strstr(win, "TB-READY") == NULL) {
			n = read(m, win + have, sizeof win - 1 - have);
			if (n <= 0 || (have += (size_t)n) >= sizeof win - 1) {
				bench_die("no TB-READY");
			}
			win[have] = '\0';
		}
		bench_rtt_add(&rt, bench_now() - t);
		close(m);
		if (!use_pty) {
			kill(pid, SIGHUP);
		}
		(void)waitpid(pid, &st, 0);
	}
	t = bench_now() - t0;
	printf("ok=%u secs=%.3f rate=%.1f ", rt.n, t, rt.n / t);
	bench_rtt_print(&rt);
	printf("\n");
	return 0;
}

/*
 * The TCP modes' one client: listens on an ephemeral 127.0.0.1 port, says
 * "port=N" on stdout for the script, and accepts within 10 s.  The
 * listener stays open until exit: only the one client is served.
 */
static int
accept_one(void)
{
	struct sockaddr_in sa;
	socklen_t	len = sizeof sa;
	struct pollfd	p;
	int		l, c;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(l, 1) < 0 || getsockname(l, (struct sockaddr *)&sa,
	    &len) < 0) {
		bench_die("listen");
	}
	printf("port=%u\n", ntohs(sa.sin_port));
	fflush(stdout);
	p.fd = l;
	p.events = POLLIN;
	if (poll(&p, 1, 10000) != 1 || (c = accept(l, NULL, NULL)) < 0) {
		bench_die("accept");
	}
	return c;
}

/* A TCP echo server for one client (no pty): says TB-ECHO-READY, then
 * writes back what it reads.  The network part of a round trip. */
static int
mode_tcpecho(void)
{
	struct pollfd	p;
	char		buf[4096];
	ssize_t		n;
	int		c, one = 1;

	c = accept_one();
	(void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (send(c, "TB-ECHO-READY\n", 14, MSG_NOSIGNAL) != 14) {
		bench_die("send");
	}
	p.fd = c;
	p.events = POLLIN;
	/* Bounded: a client gone quiet for 30 s ends it. */
	while (poll(&p, 1, 30000) == 1) {
		n = recv(c, buf, sizeof buf, 0);
		if (n <= 0 || send(c, buf, (size_t)n, MSG_NOSIGNAL) != n) {
			break;
		}
	}
	return 0;
}

static int
mode_tcpsrc(const char *bytes, const char *byte)
{
	unsigned long long want = strtoull(bytes, NULL, 10), sent = 0;
	unsigned char	b = (unsigned char)strtoul(byte, NULL, 16);
	unsigned char	*buf = malloc(RBUF);
	size_t		chunk;
	ssize_t		n;
	int		c, mult = b == 0xff ? 2 : 1;

	c = accept_one();
	memset(buf, b, RBUF);
	/* Payload in Telnet form: IAC doubled, so the wire is mult x. */
	want *= (unsigned long long)mult;
	while (sent < want) {
		chunk = want - sent < RBUF ? (size_t)(want - sent) : RBUF;
		n = send(c, buf, chunk, MSG_NOSIGNAL);
		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			break;
		}
		sent += (unsigned long long)n;
	}
	close(c);
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && strcmp(argv[2], "out") == 0) {
		return mode_out(argv[1], argv[3], argv[4]);
	}
	if (argc == 5 && strcmp(argv[2], "in") == 0) {
		return mode_in(argv[1], argv[3], argv[4]);
	}
	if (argc == 6 && strcmp(argv[2], "rtt") == 0) {
		return mode_rtt(argv[1], (unsigned)atoi(argv[3]),
		    (unsigned)atoi(argv[4]), argv[5]);
	}
	if (argc == 5 && strcmp(argv[2], "spawn") == 0) {
		return mode_spawn(argv[1], atof(argv[3]), argv[4]);
	}
	if (argc == 3 && strcmp(argv[2], "tcpecho") == 0) {
		return mode_tcpecho();
	}
	if (argc == 5 && strcmp(argv[2], "tcpsrc") == 0) {
		return mode_tcpsrc(argv[3], argv[4]);
	}
	fprintf(stderr, "usage: ptybench DIR out|in|rtt|spawn|tcpecho|tcpsrc ...\n");
	return 2;
}
