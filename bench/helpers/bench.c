/*
 * bench: the clock, exit, loopback socket, pty child and round-trip
 * samples shared by the benchmark helpers (see bench.h).
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
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

double
bench_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

_Noreturn void
bench_die(const char *what)
{
	int	e = errno;

	/* One word, so that the scripts' key=value reading keeps it whole. */
	printf("error=");
	for (; *what != '\0'; what++) {
		putchar(*what == ' ' ? '_' : *what);
	}
	printf(" errno=%d\n", e);
	fflush(stdout);
	exit(1);
}

int
bench_connect(uint16_t port, int nonblock)
{
	struct sockaddr_in	sa;
	int			fd, one = 1, saved;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
	    (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0) {
		return -1;
	}
	/* Keystrokes and refusals go out at once, not after a delayed ACK. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 &&
	    errno != EINPROGRESS) {
		/* The caller reports why: keep connect's errno over close's. */
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
bench_pty_open(char *name, size_t len)
{
	int	m, e;

	if ((m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		return -1;
	}
	if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, len) != 0) {
		e = errno;
		close(m);
		errno = e;
		return -1;
	}
	return m;
}

int
bench_pty_spawn(char *const argv[], int *pid)
{
	char	name[128];
	pid_t	p;
	int	m, s;

	if ((m = bench_pty_open(name, sizeof name)) < 0) {
		bench_die("pty");
	}
	p = fork();
	if (p < 0) {
		bench_die("fork");
	}
	if (p == 0) {
		/* Under nohup too: bench_pty_end's hang-up must end it. */
		(void)signal(SIGHUP, SIG_DFL);
		(void)setsid();
		s = open(name, O_RDWR);
		if (s < 0) {
			_exit(126);
		}
		(void)ioctl(s, TIOCSCTTY, 0);
		if (dup2(s, 0) < 0 || dup2(s, 1) < 0 || dup2(s, 2) < 0) {
			_exit(126);
		}
		if (s > 2) {
			close(s);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	*pid = (int)p;
	return m;
}

int
bench_pty_start(const char *path, int *pid)
{
	char			*argv[] = { (char *)(uintptr_t)path, NULL };
	char			*envp[] = { (char *)"TERM=vt100", NULL };
	char			 name[128];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t	 at;
	pid_t			 p;
	int			 m, e;

	if ((m = bench_pty_open(name, sizeof name)) < 0) {
		return -1;
	}
	/* setsid first: the slave, opened without O_NOCTTY, becomes the
	 * controlling tty of the new session. */
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, name, O_RDWR, 0);
	posix_spawn_file_actions_adddup2(&fa, 0, 2);
	posix_spawn_file_actions_adddup2(&fa, 0, 1);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
	e = posix_spawn(&p, path, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (e != 0) {
		close(m);
		errno = e;
		return -1;
	}
	*pid = (int)p;
	return m;
}

/*
 * posix_spawn, as the bare start (bench_pty_start) starts its program:
 * the driver's own fork would count the copy of its page tables (it holds
 * a megabyte of buffers) against the program it starts.
 */
int
bench_pipe_spawn(char *const argv[], int *in, int *out)
{
	posix_spawn_file_actions_t fa;
	pid_t	p;
	int	pin[2], pout[2], e;

	if (pipe2(pin, O_CLOEXEC) < 0) {
		return -1;
	}
	if (pipe2(pout, O_CLOEXEC) < 0) {
		e = errno;
		close(pin[0]);
		close(pin[1]);
		errno = e;
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	/* What the program says itself (notices) is not measured. */
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	e = posix_spawn(&p, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pin[0]);
	close(pout[1]);
	if (e != 0) {
		close(pin[1]);
		close(pout[0]);
		errno = e;
		return -1;
	}
	*in = pin[1];
	*out = pout[0];
	(void)fcntl(*out, F_SETFL, O_NONBLOCK);
	return (int)p;
}

void
bench_pty_end(int pid)
{
	bench_proc_end(pid, SIGHUP);
}

void
bench_proc_end(int pid, int sig)
{
	double	end = bench_now() + 2;
	int	st;

	if (pid <= 0) {
		return;
	}
	(void)kill((pid_t)pid, sig);
	while (waitpid((pid_t)pid, &st, WNOHANG) == 0) {
		if (bench_now() > end) {
			(void)kill((pid_t)pid, SIGKILL);
			(void)waitpid((pid_t)pid, &st, 0);
			return;
		}
		usleep(1000);
	}
}

static int
bench_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void
bench_sort(double *v, size_t n)
{
	qsort(v, n, sizeof *v, bench_cmp);
}

double
bench_pct(const double *v, size_t n, double p)
{
	size_t	i = (size_t)(p * (double)(n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

void
bench_rtt_init(struct bench_rtt *r, unsigned max)
{
	/* Allocated before the first round trip, not while measuring. */
	r->v = calloc((size_t)max + 1, sizeof *r->v);
	if (r->v == NULL) {
		bench_die("out of memory");
	}
	r->n = 0;
	r->max = max;
	r->sum = 0;
}

void
bench_rtt_add(struct bench_rtt *r, double secs)
{
	if (r->n < r->max) {
		r->v[r->n++] = secs * 1e6;
		r->sum += secs * 1e6;
	}
}

void
bench_rtt_print(struct bench_rtt *r)
{
	double		*v = r->v;
	unsigned	 n = r->n;

	bench_sort(v, n);
	printf("count=%u p50=%.1f p90=%.1f p99=%.1f min=%.1f mean=%.1f "
	    "max=%.1f", n, bench_pct(v, n, 0.50), bench_pct(v, n, 0.90),
	    bench_pct(v, n, 0.99), v[0], r->sum / n, v[n - 1]);
}
