/*
 * bench: what the benchmark helpers (condev, conview, ptybench, tnclient)
 * have in common: the clock every rate and round trip is timed with, the
 * way a helper gives up, the loopback client socket, and the round-trip
 * samples with the summary line that run.py and console.py parse.  One
 * copy, so that the helpers cannot drift apart in how they time or
 * report.  run.py's HELPER_LIBS says which helpers are linked with it.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in seconds. */
double		bench_now(void);

/* Prints "error=WHAT errno=N" on stdout (the scripts read stdout; blanks in
 * WHAT become '_') and exits with status 1. */
_Noreturn void	bench_die(const char *what);

/* A TCP connection to 127.0.0.1:port with TCP_NODELAY; with nonblock the
 * connect may still be in progress.  -1 with errno set on failure. */
int		bench_connect(uint16_t port, int nonblock);

/*
 * A new pty: its master (read-write, no controlling tty, close-on-exec),
 * its slave unlocked and named in name.  -1 with errno set on failure.
 */
int		bench_pty_open(char *name, size_t len);

/*
 * A new pty with argv[0] (a path) on its slave: in a session of its own,
 * the slave its controlling tty and its stdin, stdout and stderr, SIGHUP
 * at its default; the pty at the kernel's default modes, as ttyhubd
 * leaves a login session's.  Returns the master (blocking, close-on-exec)
 * and the child in *pid; dies if it cannot.
 */
int		bench_pty_spawn(char *const argv[], int *pid);

/*
 * The bare start, as quick as a program gets onto a pty: posix_spawn
 * (glibc's vfork-like child) of path with only TERM=vt100, in a session
 * of its own with the slave (opened after setsid) its controlling tty and
 * its stdin, stdout and stderr.  Returns the master (blocking,
 * close-on-exec) and the child in *pid, or -1 with errno set.
 */
int		bench_pty_start(const char *path, int *pid);

/*
 * argv[0] (a path) started with its stdin and stdout on pipes and its
 * stderr on /dev/null (the ttyhub client, hubclient and tnclient's hub:
 * peers).  Our ends in *in (its stdin) and *out (its stdout,
 * non-blocking); returns the PID, or -1 with errno set.
 */
int		bench_pipe_spawn(char *const argv[], int *in, int *out);

/* Hangs up on the child (SIGHUP), waits at most 2 s for it, then
 * SIGKILL; reaped either way. */
void		bench_pty_end(int pid);

/* The same with sig for SIGHUP. */
void		bench_proc_end(int pid, int sig);

/* Sorts v ascending. */
void		bench_sort(double *v, size_t n);

/* The p-quantile (0 to 1) of the sorted v[0..n), n > 0: nearest rank. */
double		bench_pct(const double *v, size_t n, double p);

/* Round trips, in µs, in the order measured. */
struct bench_rtt {
	double		*v;
	unsigned	 n, max;
	double		 sum;
};

/* Room for max samples (dies if there is none). */
void		bench_rtt_init(struct bench_rtt *r, unsigned max);

/* One round trip of secs seconds; past max it is not kept. */
void		bench_rtt_add(struct bench_rtt *r, double secs);

/* Sorts the samples (at least one) and prints "count= p50= p90= p99= min=
 * mean= max=" without the newline, so that a caller can add fields. */
void		bench_rtt_print(struct bench_rtt *r);

#endif
