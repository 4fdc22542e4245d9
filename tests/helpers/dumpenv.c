/*
 * dumpenv: a stand-in login program for tests.  Prints, one item a line,
 * what ttyhubd gave it: argv, envp, open fds, signal mask and ignored
 * signals, session and controlling terminal, and the pty's mode, then
 * waits for a line on stdin so the session stays up while a test looks.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

int
main(int argc, char **argv)
{
	struct dirent	*d;
	struct stat	 st;
	sigset_t	 mask;
	struct sigaction sa;
	DIR		*dir;
	char		 line[256], *tty;
	int		 i, sig, fd;
	unsigned long	 blocked = 0, ignored = 0;

	for (i = 0; i < argc; i++) {
		printf("ARGV %d %s\n", i, argv[i]);
	}
	for (i = 0; environ[i] != NULL; i++) {
		printf("ENV %s\n", environ[i]);
	}
	if ((dir = opendir("/proc/self/fd")) != NULL) {
		int self = dirfd(dir);

		while ((d = readdir(dir)) != NULL) {
			if (d->d_name[0] == '.') {
				continue;
			}
			fd = atoi(d->d_name);
			if (fd != self) {
				printf("FD %d\n", fd);
			}
		}
		closedir(dir);
	}
	sigprocmask(SIG_SETMASK, NULL, &mask);
	for (sig = 1; sig < 64; sig++) {
		if (sigismember(&mask, sig) == 1) {
			blocked |= 1UL << (sig - 1);
		}
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) {
			ignored |= 1UL << (sig - 1);
		}
	}
	printf("SIGBLK %lx\n", blocked);
	printf("SIGIGN %lx\n", ignored);
	printf("PID %ld\n", (long)getpid());
	printf("SID %ld\n", (long)getsid(0));
	printf("TCGETSID %ld\n", (long)tcgetsid(0));
	printf("PGRP %ld FGPGRP %ld\n", (long)getpgrp(), (long)tcgetpgrp(0));
	tty = ttyname(0);
	printf("TTY %s\n", tty != NULL ? tty : "none");
	if (tty != NULL && stat(tty, &st) == 0) {
		printf("TTYMODE %o\n", (unsigned)(st.st_mode & 07777));
	}
	fd = open("/dev/tty", O_RDWR | O_NOCTTY);
	printf("DEVTTY %s\n", fd >= 0 ? "ok" : "none");
	printf("DUMPENV-END\n");
	fflush(stdout);
	if (fgets(line, sizeof line, stdin) == NULL) {
		return 0;
	}
	return 0;
}
