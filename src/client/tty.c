/*
 * tty: raw mode on and off.  See tty.h.
 *
 * The ways out that do not pass through the client's own exit path are
 * covered here: an atexit handler, and handlers for the signals that end
 * a process with a core (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT), which
 * put the terminal back and then let the signal do what it would have
 * done.  SIGKILL cannot be caught; nothing can help a terminal then.
 */
#include <sys/ioctl.h>
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tty.h"

static struct termios	tty_saved;
static volatile sig_atomic_t tty_fd = -1;	/* raw while not -1 */
static int		tty_handlers;

static const int tty_fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

void
tty_restore(void)
{
	int	fd = tty_fd, saved = errno;

	if (fd == -1) {
		return;
	}
	tty_fd = -1;
	while (tcsetattr(fd, TCSADRAIN, &tty_saved) == -1 && errno == EINTR)
		;
	errno = saved;
}

static void
tty_on_fatal(int sig)
{
	tty_restore();
	/* SA_RESETHAND put the default action back: do it. */
	raise(sig);
}

static void
tty_on_exit(void)
{
	tty_restore();
}

static void
tty_install(void)
{
	struct sigaction	sa;
	size_t			i;

	if (tty_handlers) {
		return;
	}
	tty_handlers = 1;
	(void)atexit(tty_on_exit);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tty_on_fatal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof tty_fatal / sizeof tty_fatal[0]; i++) {
		(void)sigaction(tty_fatal[i], &sa, NULL);
	}
}

int
tty_raw(int fd)
{
	struct termios	t;

	if (tty_fd != -1) {
		return 0;
	}
	if (tcgetattr(fd, &tty_saved) == -1) {
		return -1;
	}
	tty_install();
	t = tty_saved;
	cfmakeraw(&t);
	/* Reads return as soon as one byte is there. */
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	/* Set before the change, so a signal in between restores too. */
	tty_fd = fd;
	while (tcsetattr(fd, TCSADRAIN, &t) == -1) {
		if (errno != EINTR) {
			tty_fd = -1;
			return -1;
		}
	}
	return 0;
}

int
tty_is_raw(void)
{
	return tty_fd != -1;
}

int
tty_size(int fd, unsigned *cols, unsigned *rows)
{
	struct winsize	ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) == -1 || ws.ws_col == 0 ||
	    ws.ws_row == 0) {
		return -1;
	}
	*cols = ws.ws_col;
	*rows = ws.ws_row;
	return 0;
}
