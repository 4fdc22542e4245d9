/*
 * backend-exec: a console whose terminal is a program we run on a pty, as
 * procServ does.  The program starts in its directory, as its user and
 * group if the console names them, with an environment built from
 * scratch, and is started again after a hold-off when it ends (restart =
 * yes), or runs once only.
 *
 * One run of the program is a struct exec_run, registered with proc so
 * its end is known.  The daemon keeps its own copy of the pty's slave
 * while the program runs, so the master cannot report EIO before the
 * program's exit status is in (nor when a program closes its terminal to
 * run on in the background): when the program is reaped we describe how
 * it ended, let go of the slave, and the master then gives what the
 * program wrote last and EIO (Linux hands over pending output before it
 * says EIO).  The console goes down on that EIO, and asks us why.
 *
 * A program still running when its console lets go of it (console
 * removed, daemon stopping) is hung up on: SIGHUP, SIGTERM and SIGCONT to
 * its process group, and SIGKILL after EXEC_GRACE_MS.  While the loop
 * runs the grace is a timer; once the daemon is stopping there is no
 * later, so we wait for it here, bounded.
 */
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "backend.h"
#include "config.h"
#include "log.h"
#include "proc.h"
#include "pty.h"
#include "server.h"

/*
 * vt100, not xterm: the program's output goes to every client at once,
 * to late ones through the replay and to the log, whatever terminals they
 * have; vt100 is what nearly all of them understand, and it keeps
 * programs from xterm-only modes (alternate screen, mouse reports) that a
 * client attaching later would not know were switched on.  It is also
 * the login sessions' default when the client names no terminal.
 */
#define EXEC_TERM	"vt100"
#define EXEC_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:" \
			"/sbin:/bin"

#define EXEC_GRACE_MS	2000	/* after SIGHUP and SIGTERM, then SIGKILL */
#define EXEC_LINGER_MS	1000	/* program reaped, slave still held by others */
#define EXEC_STEADY_MS	10000	/* a shorter run counts as dying at once */
#define EXEC_HOLDOFF_MIN 100	/* doubling starts here if restart-delay is 0 */
#define EXEC_HOLDOFF_MAX 30000

struct exec;

/* One run of the program. */
struct exec_run {
	TAILQ_ENTRY(exec_run)	 entry;		/* on exec_gone once let go */
	struct exec		*x;		/* NULL once let go */
	pid_t			 pid;		/* also its process group */
	struct timespec		 started;
	struct event		*kill;		/* SIGKILL when grace is over */
};

/* The variant's state, b->priv. */
struct exec {
	struct backend		*b;
	struct exec_run		*run;		/* the program, while it runs */
	int			 slave;		/* our copy, while it runs */
	struct event		*linger;	/* reaped, but no EIO yet */
	int			 ran;		/* a program was started */
	unsigned		 quick;		/* runs in a row that died at once */
	char			 why[80];	/* how the last run ended */
	unsigned		 cols, rows;	/* a writer's size; 0: config's */
};

TAILQ_HEAD(exec_runs, exec_run);

/* Programs let go of and not yet reaped. */
static struct exec_runs	exec_gone = TAILQ_HEAD_INITIALIZER(exec_gone);

static unsigned
backend_exec_since_ms(const struct timespec *t0)
{
	struct timespec	now;
	long long	ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(now.tv_sec - t0->tv_sec) * 1000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 0x7fffffff ? 0x7fffffff : (unsigned)ms;
}

/* Signal the program's process group, or the program if it left it. */
static void
backend_exec_signal(pid_t pid, int sig)
{
	if (kill(-pid, sig) == -1) {
		(void)kill(pid, sig);
	}
}

static void
backend_exec_run_free(struct exec_run *r)
{
	if (r->kill != NULL) {
		event_free(r->kill);
	}
	free(r);
}

/* proc: the program ended (or one we let go of did). */
static void
backend_exec_exited(void *arg, pid_t pid, int status)
{
	struct exec_run	*r = arg;
	struct exec	*x = r->x;
	struct timeval	 tv = { EXEC_LINGER_MS / 1000,
	    (EXEC_LINGER_MS % 1000) * 1000 };
	char		 how[64];

	(void)pid;
	if (x == NULL) {
		TAILQ_REMOVE(&exec_gone, r, entry);
		backend_exec_run_free(r);
		return;
	}
	if (WIFEXITED(status)) {
		snprintf(x->why, sizeof x->why, "program exited with status %d",
		    WEXITSTATUS(status));
	} else {
		snprintf(x->why, sizeof x->why, "program %s",
		    proc_status_str(status, how, sizeof how));
	}
	if (backend_exec_since_ms(&r->started) < EXEC_STEADY_MS) {
		x->quick++;
	} else {
		x->quick = 0;
	}
	x->run = NULL;
	x->b->pid = -1;
	backend_exec_run_free(r);

	/*
	 * With our copy closed the master says EIO once it has given the
	 * program's last output, and the console goes down then.  Whoever
	 * else still holds the slave (a child that ignored the hang-up) gets
	 * EXEC_LINGER_MS before we stop waiting for them.
	 */
	if (x->slave != -1) {
		close(x->slave);
		x->slave = -1;
	}
	evtimer_add(x->linger, &tv);
}

static void
backend_exec_linger(evutil_socket_t fd, short what, void *arg)
{
	struct exec	*x = arg;

	(void)fd;
	(void)what;
	backend_gone(x->b, x->why);
}

static void
backend_exec_kill(evutil_socket_t fd, short what, void *arg)
{
	struct exec_run	*r = arg;

	(void)fd;
	(void)what;
	log_info("program (pid %ld) still running %u ms after the hang-up: "
	    "SIGKILL", (long)r->pid, EXEC_GRACE_MS);
	backend_exec_signal(r->pid, SIGKILL);
}

/*
 * Is pid a child of ours, running or not yet reaped?  It is not if the
 * program was started before the daemon forked into the background.
 */
static int
backend_exec_ours(pid_t pid)
{
	siginfo_t	si;

	memset(&si, 0, sizeof si);
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/*
 * The daemon is stopping: the loop will not run again, so wait here for
 * every program we let go of, at most EXEC_GRACE_MS before SIGKILL and as
 * long again after it.  One that survives even that (stuck in the kernel)
 * is left to init.  The exit callbacks free the runs as they are reaped.
 */
static void
backend_exec_wait_gone(void)
{
	struct timespec	 t0, nap = { 0, 10 * 1000 * 1000 };
	struct exec_run	*r;
	int		 killed = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		proc_reap();
		if (TAILQ_EMPTY(&exec_gone)) {
			return;
		}
		if (backend_exec_since_ms(&t0) >= EXEC_GRACE_MS) {
			if (killed) {
				log_warn("a console program survived SIGKILL");
				return;
			}
			TAILQ_FOREACH(r, &exec_gone, entry) {
				log_info("program (pid %ld) still running: "
				    "SIGKILL", (long)r->pid);
				backend_exec_signal(r->pid, SIGKILL);
			}
			killed = 1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
		}
		(void)nanosleep(&nap, NULL);
	}
}

/*
 * Let go of a program that is still running: hang up on it, the way its
 * terminal going away would, and as a supervisor stopping it would
 * (SIGTERM: some programs read SIGHUP as "reload").  SIGCONT wakes a
 * stopped one so it can act on them.  Then SIGKILL after the grace.
 */
static void
backend_exec_let_go(struct exec *x)
{
	struct exec_run		*r = x->run;
	struct event_base	*base = x->b->base;
	struct timeval		 tv = { EXEC_GRACE_MS / 1000,
	    (EXEC_GRACE_MS % 1000) * 1000 };

	x->run = NULL;
	x->b->pid = -1;
	r->x = NULL;
	if (!backend_exec_ours(r->pid)) {
		/* Someone else reaps it, and its pid may be reused by now. */
		log_warn("program (pid %ld) is not our child: not signalled",
		    (long)r->pid);
		proc_forget(r->pid);
		backend_exec_run_free(r);
		return;
	}
	TAILQ_INSERT_TAIL(&exec_gone, r, entry);
	backend_exec_signal(r->pid, SIGHUP);
	backend_exec_signal(r->pid, SIGTERM);
	backend_exec_signal(r->pid, SIGCONT);
	if (event_base_got_exit(base)) {
		backend_exec_wait_gone();
		return;
	}
	if ((r->kill = evtimer_new(base, backend_exec_kill, r)) == NULL ||
	    evtimer_add(r->kill, &tv) == -1) {
		backend_exec_signal(r->pid, SIGKILL);	/* no timer: no grace */
	}
}

static struct exec *
backend_exec_state(struct backend *b)
{
	struct exec	*x;

	if (b->priv != NULL) {
		return b->priv;
	}
	if ((x = calloc(1, sizeof *x)) == NULL) {
		return NULL;
	}
	x->b = b;
	x->slave = -1;
	x->linger = evtimer_new(b->base, backend_exec_linger, x);
	if (x->linger == NULL) {
		free(x);
		return NULL;
	}
	b->priv = x;
	return x;
}

/* Checks that give a reason people can act on, before we fork. */
static int
backend_exec_check(const struct cfg_console *cfg, char *why, size_t whylen)
{
	struct stat	st;

	if (access(cfg->argv[0], X_OK) == -1) {
		snprintf(why, whylen, "cannot run %s: %s", cfg->argv[0],
		    strerror(errno));
		return -1;
	}
	if (stat(cfg->dir, &st) == -1 || access(cfg->dir, X_OK) == -1) {
		snprintf(why, whylen, "cannot use directory %s: %s", cfg->dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "cannot use directory %s: not a "
		    "directory", cfg->dir);
		return -1;
	}
	return 0;
}

static enum backend_open
backend_exec_open(struct backend *b, char *why, size_t whylen)
{
	static char		 term[] = "TERM=" EXEC_TERM;
	static char		 path[] = "PATH=" EXEC_PATH;
	char			 home[PATH_MAX + 8];
	char			*envp[] = { term, path, home, NULL };
	const struct cfg_console *cfg = b->cfg;
	struct exec		*x;
	struct exec_run		*r;
	struct winsize		 ws;
	struct pty_user		 user, *as = NULL;
	char			 name[64], what[200];
	int			 master, slave;

	if ((x = backend_exec_state(b)) == NULL ||
	    (r = calloc(1, sizeof *r)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return BACKEND_OPEN_FAIL;
	}
	if (backend_exec_check(cfg, why, whylen) == -1) {
		free(r);
		return BACKEND_OPEN_FAIL;
	}
	memset(&ws, 0, sizeof ws);
	ws.ws_col = (unsigned short)(x->cols != 0 ? x->cols : cfg->cols);
	ws.ws_row = (unsigned short)(x->rows != 0 ? x->rows : cfg->rows);
	if (pty_open(&master, &slave, name, sizeof name, &ws) == -1) {
		snprintf(why, whylen, "cannot open a pty: %s", strerror(errno));
		free(r);
		return BACKEND_OPEN_FAIL;
	}
	/*
	 * user = and group = (resolved as the file is read, by config-table.c;
	 * config.c refuses them to a daemon that is not root unless they are
	 * its own: then there is nothing to change).
	 */
	snprintf(home, sizeof home, "HOME=%s", cfg->home != NULL ?
	    cfg->home : "/");
	if (cfg->ngroups > 0 && geteuid() == 0) {
		user.uid = cfg->uid;
		user.gid = cfg->gid;
		user.groups = cfg->groups;
		user.ngroups = cfg->ngroups;
		as = &user;
	}
	r->pid = pty_spawn_in(slave, cfg->dir, as, cfg->argv[0], cfg->argv,
	    envp);
	if (r->pid == -1) {
		snprintf(why, whylen, "cannot fork: %s", strerror(errno));
		goto fail;
	}
	snprintf(what, sizeof what, "console %s: %s", cfg->name,
	    cfg->argv[0]);
	if (proc_add(r->pid, what, backend_exec_exited, r) == -1) {
		/* Unknown to proc, it is still reaped, with a log line. */
		backend_exec_signal(r->pid, SIGKILL);
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	r->x = x;
	x->run = r;
	x->slave = slave;
	x->ran = 1;
	x->why[0] = '\0';
	b->fd = master;
	b->pid = r->pid;
	log_info("console %s: started %s on %s (pid %ld)", cfg->name,
	    cfg->argv[0], name, (long)r->pid);
	return BACKEND_OPEN_UP;

fail:
	close(slave);
	close(master);
	free(r);
	return BACKEND_OPEN_FAIL;
}

/* Called on every way down, and again by console_free: idempotent. */
static void
backend_exec_close(struct backend *b)
{
	struct exec	*x = b->priv;

	if (x != NULL) {
		evtimer_del(x->linger);
		if (x->slave != -1) {
			close(x->slave);
			x->slave = -1;
		}
	}
	/* Closing the master hangs up the terminal too. */
	if (b->fd != -1) {
		close(b->fd);
		b->fd = -1;
	}
	if (x != NULL && x->run != NULL) {
		backend_exec_let_go(x);
	}
}

static const char *
backend_exec_reason(struct backend *b)
{
	struct exec	*x = b->priv;

	if (x == NULL || x->run != NULL || x->why[0] == '\0') {
		return NULL;
	}
	return x->why;
}

/*
 * After a run: the hold-off, doubled for each run in a row that died
 * within EXEC_STEADY_MS, up to EXEC_HOLDOFF_MAX, so a program that cannot
 * start (bad arguments, a missing library) costs a fork every 30 s rather
 * than a busy loop.  A run that lasts resets it.  After a failed open
 * (no pty, no fork, no program): the common back-off.
 */
static unsigned
backend_exec_retry_ms(struct backend *b, unsigned failures)
{
	const struct cfg_console	*cfg = b->cfg;
	struct exec			*x = b->priv;
	unsigned			 d, max, i;

	if (failures > 0 || x == NULL || !x->ran) {
		d = backend_backoff_ms(failures);
		return d > cfg->restart_ms ? d : cfg->restart_ms;
	}
	if (!cfg->restart) {
		return BACKEND_NO_RETRY;
	}
	max = cfg->restart_ms > EXEC_HOLDOFF_MAX ? cfg->restart_ms :
	    EXEC_HOLDOFF_MAX;
	d = cfg->restart_ms;
	for (i = 1; i < x->quick && d < max; i++) {
		d = d < EXEC_HOLDOFF_MIN ? EXEC_HOLDOFF_MIN : d * 2;
	}
	return d < max ? d : max;
}

/* See pty_break: what a terminal does with a BREAK, by its settings. */
static int
backend_exec_brk(struct backend *b, unsigned ms)
{
	(void)ms;
	return pty_break(b->fd);
}

/* The kernel tells the program with SIGWINCH; a restart keeps the size. */
static void
backend_exec_winsize(struct backend *b, unsigned cols, unsigned rows)
{
	struct exec	*x = b->priv;

	if (x != NULL) {
		x->cols = cols;
		x->rows = rows;
	}
	if (b->fd != -1) {
		(void)pty_set_winsize(b->fd, cols, rows);
	}
}

static void
backend_exec_free(struct backend *b)
{
	struct exec	*x = b->priv;

	if (x == NULL) {
		return;
	}
	backend_exec_close(b);
	event_free(x->linger);
	free(x);
	b->priv = NULL;
}

const struct backend_ops backend_exec_ops = {
	.name = "exec",
	.open = backend_exec_open,
	.close = backend_exec_close,
	.reason = backend_exec_reason,
	.retry_ms = backend_exec_retry_ms,
	.brk = backend_exec_brk,
	.winsize = backend_exec_winsize,
	.free = backend_exec_free,
};
