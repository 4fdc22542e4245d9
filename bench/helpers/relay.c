/*
 * relay: the least a telnetd could do, as a floor for the keystroke
 * round trip.  No Telnet at all (no negotiation, no IAC), no options, no
 * buffers of its own: it listens on 127.0.0.1:PORT, accepts one
 * connection at a time, starts PROG on a new pty (bench_pty_spawn: a
 * session of its own, the slave its controlling tty, the kernel's default
 * modes, as ttyhubd leaves a login session's pty and close to BusyBox's
 * cooked ECHO ICRNL ONLCR; echo and ttyecho set their own modes before
 * their ready line), and copies bytes both ways with one poll() loop,
 * read() and write(), TCP_NODELAY on the socket.  When either side ends,
 * the connection is closed and PROG hung up on and reaped.
 *
 *   relay PORT PROG
 *
 * A server: it waits for connections until it is sent SIGTERM (run.py
 * stops it by PID); every wait within a connection is bounded by the
 * peer's (the socket's end, the pty's hang-up).  Writes block: a round
 * trip never fills either side.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* All of buf to fd; -1 if fd is gone. */
static int
relay_put(int fd, const char *buf, size_t len)
{
	ssize_t	w;

	while (len > 0) {
		w = write(fd, buf, len);
		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* One connection: PROG on a pty, bytes both ways until either ends. */
static void
relay_serve(int c, char *const argv[])
{
	struct pollfd	p[2];
	char		buf[4096];
	ssize_t		n;
	int		m, pid, i, one = 1;

	(void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	m = bench_pty_spawn(argv, &pid);
	p[0].fd = c;
	p[1].fd = m;
	for (;;) {
		p[0].events = p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR) {
				continue;
			}
			break;
		}
		for (i = 0; i < 2; i++) {
			if (p[i].revents == 0) {
				continue;
			}
			/* EIO on the master: PROG is gone. */
			n = read(p[i].fd, buf, sizeof buf);
			if (n <= 0 && !(n < 0 && errno == EINTR)) {
				goto done;
			}
			if (n > 0 && relay_put(p[1 - i].fd, buf,
			    (size_t)n) < 0) {
				goto done;
			}
		}
	}
done:
	close(c);
	close(m);
	bench_pty_end(pid);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	int		l, c, one = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: relay PORT PROG\n");
		return 2;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof one) < 0 || bind(l, (struct sockaddr *)&sa,
	    sizeof sa) < 0 || listen(l, 16) < 0) {
		bench_die("listen");
	}
	for (;;) {
		c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED) {
				continue;
			}
			bench_die("accept");
		}
		relay_serve(c, argv + 2);
	}
}
