/*
 * pty: allocate a pseudo-terminal and start a program on it.
 *
 * The child is set up the way a login needs it: a session of its own with
 * the pty as controlling terminal, every signal disposition at its
 * default, an empty signal mask, only fds 0-2 open, and argv and envp
 * exactly as given (built by the caller from scratch).
 */
#ifndef TTYHUB_PTY_H
#define TTYHUB_PTY_H

#include <sys/ioctl.h>
#include <sys/types.h>

/*
 * Open a new pty.  The master is non-blocking and close-on-exec; the
 * slave is opened without becoming our controlling terminal.  ws may be
 * NULL.  Returns 0, or -1 with errno set.
 */
int	pty_open(int *master, int *slave, char *name, size_t namelen,
	    const struct winsize *ws);

/*
 * Fork a child that runs path with argv and envp on the slave.  The slave
 * stays open in the caller, who closes it.  Returns the pid, or -1 with
 * errno set.  If the exec fails, the child reports it on the terminal and
 * exits with status 127.
 */
pid_t	pty_spawn(int slave, const char *path, char *const argv[],
	    char *const envp[]);

/* Who a program runs as, when not as the daemon (exec consoles). */
struct pty_user {
	uid_t		 uid;		/* -1: the daemon's */
	gid_t		 gid;
	const gid_t	*groups;	/* the supplementary groups */
	size_t		 ngroups;
};

/*
 * The same, but the child becomes user as (unless NULL) and changes to
 * dir (exec consoles), and a program that cannot run is named by its
 * path in the message.  Becoming the user: the terminal is made theirs,
 * then setgroups, setgid and setuid, each checked, and that root cannot
 * be had back; a child that cannot exits with status 126.
 */
pid_t	pty_spawn_in(int slave, const char *dir, const struct pty_user *as,
	    const char *path, char *const argv[], char *const envp[]);

int	pty_set_winsize(int master, unsigned cols, unsigned rows);

/*
 * Give the program on the slave a BREAK as a serial line would: ignored,
 * SIGINT or a NUL byte, as its termios say.  Returns 0, or -1 with errno.
 */
int	pty_break(int master);

#endif
