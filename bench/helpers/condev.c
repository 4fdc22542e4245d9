/*
 * condev: the "device" at the far end of a console, for bench/console.py.
 * A pty pair made with openpty: the server under test (ttyhubd's serial
 * console, ser2net's serialdev) opens the slave as its serial port, and
 * this process drives the master as the board would.
 *
 *   condev dev LINK        make the pty (raw, no echo), point LINK at the
 *                          slave (/dev/pts/N), print "dev=/dev/pts/N", then
 *                          obey commands, one per line, on stdin:
 *                            blast HEX   write the byte HEX to the master
 *                                        as fast as it takes it, until the
 *                                        next command
 *                            echo        write back what the server writes
 *                            idle        read and discard
 *                            quit        (or EOF) exit
 *                          Each command is answered with "ok CMD" once in
 *                          force; on leaving blast it prints how much went
 *                          ("blasted bytes=N secs=S").  Anything the server
 *                          writes while not echoing is read and discarded.
 *   condev ceiling SECS HEX [spin]
 *                          the bare pty, no server, no network: a writer
 *                          (this process) on the master and a reader (a
 *                          child, 1 MiB reads) on the raw slave; the reader
 *                          counts SECS seconds from its first byte.  With
 *                          spin the reader never sleeps (non-blocking reads
 *                          in a loop): no wake-up costs, what the pty
 *                          itself carries
 *   condev rttceil COUNT WARMUP
 *                          the bare pty echo: a child echoes on the master
 *                          as "echo" does; this process writes one byte to
 *                          the raw slave and waits for it to come back
 *
 * The slave is kept open here as well (never read) so the pty does not
 * hang up when a server closes it (ser2net closes its device when its last
 * client leaves).  Every wait has a deadline.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "bench.h"

#define WCHUNK	(64 * 1024)
#define RBUF	(1024 * 1024)

static void
make_raw(int fd)
{
	struct termios	t;

	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		(void)tcsetattr(fd, TCSANOW, &t);
	}
}

static void
set_nonblock(int fd)
{
	int	fl = fcntl(fd, F_GETFL);

	(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void
make_pty(int *m, int *s, char *name)
{
	if (openpty(m, s, name, NULL, NULL) < 0) {
		bench_die("openpty");
	}
	(void)fcntl(*m, F_SETFD, FD_CLOEXEC);
	(void)fcntl(*s, F_SETFD, FD_CLOEXEC);
	make_raw(*s);
}

/* --- dev ------------------------------------------------------------------ */

enum { M_IDLE, M_BLAST, M_ECHO };

static int
mode_dev(const char *link)
{
	static uint8_t	wbuf[WCHUNK], rbuf[RBUF];
	char		name[256], line[256];
	size_t		nline = 0, eoff = 0, elen = 0;
	unsigned long long blasted = 0;
	double		t_blast = 0;
	int		m, s, mode = M_IDLE, quit = 0;
	ssize_t		n;

	make_pty(&m, &s, name);
	set_nonblock(m);
	(void)unlink(link);
	if (symlink(name, link) < 0) {
		bench_die("symlink");
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("dev=%s\n", name);

	while (!quit) {
		struct pollfd	p[2];

		p[0].fd = 0;
		p[0].events = POLLIN;
		p[1].fd = m;
		p[1].events = mode == M_BLAST ? POLLIN | POLLOUT :
		    mode == M_ECHO && elen > 0 ? POLLOUT : POLLIN;
		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, 1000) < 0) {
			if (errno == EINTR) {
				continue;
			}
			bench_die("poll");
		}
		if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !(mode == M_ECHO && elen > 0)) {
			/* A hang-up cannot last: the slave is open here. */
			n = read(m, rbuf, mode == M_ECHO ? sizeof rbuf : RBUF);
			if (n > 0 && mode == M_ECHO) {
				elen = (size_t)n;
				eoff = 0;
			}
		}
		if (mode == M_ECHO && elen > 0) {
			n = write(m, rbuf + eoff, elen - eoff);
			if (n > 0) {
				eoff += (size_t)n;
				if (eoff == elen) {
					eoff = elen = 0;
				}
			}
		} else if (mode == M_BLAST && (p[1].revents & POLLOUT)) {
			/* Until the master says EAGAIN. */
			for (;;) {
				n = write(m, wbuf, sizeof wbuf);
				if (n <= 0) {
					break;
				}
				blasted += (unsigned long long)n;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(0, line + nline, sizeof line - 1 - nline);
			if (n <= 0) {
				quit = 1;
				break;
			}
			nline += (size_t)n;
			line[nline] = '\0';
			char *nl;
			while ((nl = strchr(line, '\n')) != NULL) {
				*nl = '\0';
				if (mode == M_BLAST) {
					printf("blasted bytes=%llu secs=%.6f\n",
					    blasted, bench_now() - t_blast);
				}
				unsigned hex;
				if (strncmp(line, "blast ", 6) == 0 &&
				    sscanf(line + 6, "%x", &hex) == 1) {
					memset(wbuf, (int)hex, sizeof wbuf);
					mode = M_BLAST;
					blasted = 0;
					t_blast = bench_now();
				} else if (strcmp(line, "echo") == 0) {
					mode = M_ECHO;
					eoff = elen = 0;
				} else if (strcmp(line, "idle") == 0) {
					mode = M_IDLE;
				} else if (strcmp(line, "quit") == 0) {
					quit = 1;
				}
				printf("ok %s\n", line);
				nline -= (size_t)(nl + 1 - line);
				memmove(line, nl + 1, nline + 1);
			}
			if (nline >= sizeof line - 1) {
				nline = 0;	/* a line too long: dropped */
			}
		}
	}
	(void)unlink(link);
	close(s);
	close(m);
	return 0;
}

/* --- ceilings ------------------------------------------------------------- */

static pid_t	child = -1;

static void
reap(void)
{
	int	st;

	if (child > 0) {
		kill(child, SIGTERM);
		(void)waitpid(child, &st, 0);
		child = -1;
	}
}

/* The bare pty: writer on the master, reader on the slave. */
static int
mode_ceiling(double secs, uint8_t byte, int spin)
{
	static uint8_t	wbuf[WCHUNK];
	int		m, s, pfd[2];
	char		name[256], res[256];
	ssize_t		n;

	make_pty(&m, &s, name);
	if (pipe(pfd) < 0) {
		bench_die("pipe");
	}
	child = fork();
	if (child < 0) {
		bench_die("fork");
	}
	if (child == 0) {
		/* The reader: what a server's read of its serial port sees. */
		uint8_t	*buf = malloc(RBUF);
		unsigned long long got = 0, bad = 0, reads = 0;
		double	t0 = 0, t, end = bench_now() + secs + 10;

		close(m);
		close(pfd[0]);
		alarm((unsigned)secs + 20);
		if (spin) {
			set_nonblock(s);
		}
		for (;;) {
			n = read(s, buf, RBUF);
			if (n < 0 && errno == EAGAIN && bench_now() < end) {
				continue;	/* spin: never sleep */
			}
			if (n <= 0) {
				break;
			}
			t = bench_now();
			if (t0 == 0) {
				t0 = t;
			}
			reads++;
			for (ssize_t i = 0; i < n; i++) {
				bad += buf[i] != byte;
			}
			got += (unsigned long long)n;
			if (t - t0 >= secs || t > end) {
				break;
			}
		}
		t = bench_now() - t0;
		n = snprintf(res, sizeof res, "bytes=%llu secs=%.6f mbps=%.3f "
		    "bad=%llu reads=%llu per_read=%.0f\n", got, t,
		    t > 0 ? (double)got / t / 1e6 : 0.0, bad, reads,
		    reads ? (double)got / (double)reads : 0.0);
		if (write(pfd[1], res, (size_t)n) < 0) {
			_exit(1);
		}
		_exit(0);
	}
	close(s);
	close(pfd[1]);
	atexit(reap);
	memset(wbuf, byte, sizeof wbuf);
	set_nonblock(m);
	set_nonblock(pfd[0]);
	/* Write until the reader reports. */
	for (;;) {
		struct pollfd	p[2] = { { m, POLLOUT, 0 }, { pfd[0], POLLIN, 0 } };

		if (poll(p, 2, 1000) < 0 && errno != EINTR) {
			bench_die("poll");
		}
		if (p[1].revents) {
			break;
		}
		if (p[0].revents & POLLOUT) {
			while (write(m, wbuf, sizeof wbuf) > 0) {
			}
		}
	}
	n = read(pfd[0], res, sizeof res - 1);
	if (n <= 0) {
		bench_die("reader");
	}
	res[n] = '\0';
	fputs(res, stdout);
	reap();
	return 0;
}

/* The bare pty echo: the device echoes on the master, as "dev" + "echo". */
static int
mode_rttceil(unsigned count, unsigned warmup)
{
	int		m, s;
	char		name[256], c;
	struct bench_rtt rt;
	double		t;
	unsigned	i;

	bench_rtt_init(&rt, count);
	make_pty(&m, &s, name);
	child = fork();
	if (child < 0) {
		bench_die("fork");
	}
	if (child == 0) {
		uint8_t	buf[4096];
		ssize_t	n;

		close(s);
		alarm(300);
		for (;;) {
			struct pollfd	p = { m, POLLIN, 0 };

			/* poll then read, as the dev mode's loop does */
			if (poll(&p, 1, 1000) < 0 && errno != EINTR) {
				_exit(1);
			}
			if (!(p.revents & POLLIN)) {
				continue;
			}
			n = read(m, buf, sizeof buf);
			if (n <= 0) {
				_exit(0);
			}
			if (write(m, buf, (size_t)n) != n) {
				_exit(1);
			}
		}
	}
	close(m);
	atexit(reap);
	for (i = 0; i < warmup + count; i++) {
		struct pollfd	p = { s, POLLIN, 0 };

		t = bench_now();
		if (write(s, "x", 1) != 1) {
			bench_die("write");
		}
		do {
			if (poll(&p, 1, 5000) <= 0) {
				bench_die("no echo");
			}
		} while (read(s, &c, 1) != 1 || c != 'x');
		t = bench_now() - t;
		if (i >= warmup) {
			bench_rtt_add(&rt, t);
		}
	}
	bench_rtt_print(&rt);
	printf("\n");
	reap();
	return 0;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "dev") == 0) {
		return mode_dev(argv[2]);
	}
	if ((argc == 4 || (argc == 5 && strcmp(argv[4], "spin") == 0)) &&
	    strcmp(argv[1], "ceiling") == 0) {
		return mode_ceiling(atof(argv[2]),
		    (uint8_t)strtoul(argv[3], NULL, 16), argc == 5);
	}
	if (argc == 4 && strcmp(argv[1], "rttceil") == 0) {
		return mode_rttceil((unsigned)atoi(argv[2]),
		    (unsigned)atoi(argv[3]));
	}
	fprintf(stderr, "usage: condev dev LINK | ceiling SECS HEX [spin] | "
	    "rttceil COUNT WARMUP\n");
	return 2;
}
