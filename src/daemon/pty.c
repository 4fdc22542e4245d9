/*
 * pty: ptys and the child that runs on one (the only fork we do, with
 * vfork: see pty_fork).
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "pty.h"

/* Where the kernel still has 16-bit ids (i386, arm), the 32-bit calls. */
#ifdef SYS_setresuid32
#define PTY_SYS_SETGROUPS	SYS_setgroups32
#define PTY_SYS_SETRESGID	SYS_setresgid32
#define PTY_SYS_SETRESUID	SYS_setresuid32
#else
#define PTY_SYS_SETGROUPS	SYS_setgroups
#define PTY_SYS_SETRESGID	SYS_setresgid
#define PTY_SYS_SETRESUID	SYS_setresuid
#endif

int
pty_open(int *master, int *slave, char *name, size_t namelen,
    const struct winsize *ws)
{
	struct stat	st;
	int		m, s = -1;

	m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (m == -1) {
		return -1;
	}
	if (grantpt(m) == -1 || unlockpt(m) == -1 ||
	    ptsname_r(m, name, namelen) != 0) {
		goto fail;
	}
#ifdef TIOCGPTPEER
	/* Opening the peer through the master cannot race with a rename. */
	s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
#endif
	if (s == -1) {
		s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (s == -1) {
			goto fail;
		}
	}
	/*
	 * devpts creates the slave with its mount's mode (0620 with
	 * gid=tty, 0600 by default); never let it be wider than that.
	 */
	if (fstat(s, &st) == 0 && (st.st_mode & 0157) != 0 &&
	    fchmod(s, st.st_mode & 0620) == -1) {
		goto fail;
	}
	if (ws != NULL && ws->ws_col != 0 && ws->ws_row != 0) {
		(void)ioctl(m, TIOCSWINSZ, ws);
	}
	*master = m;
	*slave = s;
	return 0;

fail:
	if (s != -1) {
		close(s);
	}
	close(m);
	return -1;
}

int
pty_set_winsize(int master, unsigned cols, unsigned rows)
{
	struct winsize	ws;

	memset(&ws, 0, sizeof ws);
	ws.ws_col = cols > 0xffff ? 0xffff : (unsigned short)cols;
	ws.ws_row = rows > 0xffff ? 0xffff : (unsigned short)rows;
	return ioctl(master, TIOCSWINSZ, &ws);
}

/* Close every fd from lowfd up. */
static void
pty_closefrom(int lowfd)
{
	long	max, fd;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0) {
		return;
	}
#endif
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536) {
		max = 65536;
	}
	for (fd = lowfd; fd < max; fd++) {
		(void)close((int)fd);
	}
}

/* errno in words, without the locale's catalogue or its allocations. */
static const char *
pty_errno_text(int e)
{
	const char	*t = strerrordesc_np(e);

	return t != NULL ? t : "unknown error";
}

/* Write a NUL-terminated string; in the child, so no stdio. */
static void
pty_say(const char *s)
{
	if (write(2, s, strlen(s)) < 0) {
		/* Nothing more we can do: the exit status says it. */
	}
}

/*
 * In the child: give up root for as, in the order that works (groups
 * while we still may, the user last) and check that it stuck.  The
 * kernel's calls, not glibc's: in a process with threads glibc's setuid
 * and friends signal every thread to change with it, and the threads of
 * the memory a vfork child shares are its parent's.  As root, setresuid
 * and setresgid with the id three times are what setuid and setgid do.
 */
static int
pty_become(const struct pty_user *as)
{
	if (as->uid != (uid_t)-1 && fchown(0, as->uid, (gid_t)-1) == -1) {
		return -1;	/* the terminal is its user's, as login does */
	}
	if (syscall(PTY_SYS_SETGROUPS, as->ngroups, as->groups) == -1 ||
	    syscall(PTY_SYS_SETRESGID, as->gid, as->gid, as->gid) == -1) {
		return -1;
	}
	if (as->uid != (uid_t)-1 &&
	    syscall(PTY_SYS_SETRESUID, as->uid, as->uid, as->uid) == -1) {
		return -1;
	}
	if (getgid() != as->gid || getegid() != as->gid) {
		return -1;
	}
	if (as->uid != (uid_t)-1 && (getuid() != as->uid ||
	    geteuid() != as->uid || (as->uid != 0 &&
	    syscall(PTY_SYS_SETRESUID, 0, 0, 0) != -1))) {
		return -1;
	}
	return 0;
}

/*
 * glibc's sigaction refuses the signals it keeps for itself (32 and 33,
 * EINVAL), yet one ignored by whoever started the daemon is ignored in
 * every program we start, as an ignored signal survives exec.  The
 * kernel's call resets them: an all-zero sigaction is SIG_DFL, no flags
 * and an empty mask whatever the architecture's layout, and the buffer is
 * larger than any of them.
 */
static void
pty_default_reserved(void)
{
#ifdef SYS_rt_sigaction
	unsigned long	ksa[16];
	int		sig;

	memset(ksa, 0, sizeof ksa);
	for (sig = 32; sig < SIGRTMIN; sig++) {
		(void)syscall(SYS_rt_sigaction, sig, ksa, NULL,
		    (size_t)(NSIG - 1) / 8);
	}
#endif
}

/*
 * In the child, between vfork and exec, in the daemon's memory: system
 * calls only (no malloc, no stdio, no locale: strerrordesc_np, not
 * strerror), and it never returns.  what names the program in the
 * message if it cannot run (NULL: its path).
 */
static __attribute__((noinline, noreturn)) void
pty_child(int slave, const char *dir, const struct pty_user *as,
    const char *path, char *const argv[], char *const envp[],
    const char *what, const sigset_t *empty)
{
	struct sigaction	sa;
	int			sig;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		(void)sigaction(sig, &sa, NULL);	/* EINVAL for some */
	}
	pty_default_reserved();
	if (setsid() == -1 || ioctl(slave, TIOCSCTTY, 0) == -1) {
		_exit(126);
	}
	if (dup2(slave, 0) == -1 || dup2(slave, 1) == -1 ||
	    dup2(slave, 2) == -1) {
		_exit(126);
	}
	pty_closefrom(3);
	if (sigprocmask(SIG_SETMASK, empty, NULL) == -1) {
		_exit(126);
	}
	if (as != NULL && pty_become(as) == -1) {
		pty_say("ttyhubd: cannot become the console's user: ");
		pty_say(pty_errno_text(errno));
		pty_say("\r\n");
		_exit(126);
	}
	if (dir != NULL && chdir(dir) == -1) {
		pty_say("ttyhubd: cannot change to directory ");
		pty_say(dir);
		pty_say("\r\n");
		_exit(126);
	}
	execve(path, argv, envp);
	pty_say("ttyhubd: cannot run ");
	pty_say(what != NULL ? what : path);
	pty_say("\r\n");
	_exit(127);
}

static pid_t
pty_fork(int slave, const char *dir, const struct pty_user *as,
    const char *path, char *const argv[], char *const envp[],
    const char *what)
{
	sigset_t	all, old, empty;
	pid_t		pid;
	int		saved;

	/*
	 * vfork, not fork: fork copied the daemon's page tables (some 130
	 * mappings, libcrypto's and avahi's among them) in 158 us p50 on
	 * the development machine, on the way to every session's first
	 * output, and the child then paid a copy for each page it wrote.
	 * A vfork child borrows our memory and stack, and we wait until it
	 * has exec'd or exited, so it runs only pty_child (see there),
	 * whose frames lie below ours.
	 *
	 * Block everything across it so that no handler of ours runs in
	 * the child before it has reset the dispositions (its own: a vfork
	 * child shares memory, not the signal table).
	 */
	sigfillset(&all);
	sigemptyset(&empty);
	if (sigprocmask(SIG_SETMASK, &all, &old) == -1) {
		return -1;
	}
	pid = vfork();
	if (pid == 0) {
		pty_child(slave, dir, as, path, argv, envp, what, &empty);
	}
	/* The child's calls set errno too: it is ours only on failure. */
	saved = errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return pid;
}

pid_t
pty_spawn(int slave, const char *path, char *const argv[], char *const envp[])
{
	return pty_fork(slave, NULL, NULL, path, argv, envp,
	    "the login program");
}

pid_t
pty_spawn_in(int slave, const char *dir, const struct pty_user *as,
    const char *path, char *const argv[], char *const envp[])
{
	return pty_fork(slave, dir, as, path, argv, envp, NULL);
}

/*
 * A pty has no line to hold in the break condition (TCSBRK on either side
 * does nothing), so do what the line discipline does when a serial port
 * reports one (n_tty_receive_break): by the slave's termios, ignore it
 * (IGNBRK), interrupt the foreground process group (BRKINT, as `stty sane`
 * and login set it), or hand the reader a NUL byte (the raw modes).
 */
int
pty_break(int master)
{
	struct termios	t;
	pid_t		pgrp;
	ssize_t		n;

	/* On a master, TCGETS and TIOCGPGRP answer for the slave. */
	if (tcgetattr(master, &t) == -1) {
		return -1;
	}
	if (t.c_iflag & IGNBRK) {
		return 0;
	}
	if (t.c_iflag & BRKINT) {
		if ((pgrp = tcgetpgrp(master)) <= 0) {
			return -1;
		}
		return kill(-pgrp, SIGINT);
	}
	do {
		n = write(master, "", 1);
	} while (n == -1 && errno == EINTR);
	return n == 1 ? 0 : -1;
}
