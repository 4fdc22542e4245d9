/*
 * ttyecho: the session program for the keystroke round trip with tty
 * echo.  Raw mode but ECHO on, so the line discipline echoes each byte as
 * it arrives, as a shell at its prompt does with readline off; says
 * TB-ECHO-READY, then reads and drops what comes.  The program itself
 * writes nothing back: the echo does not wait for it to be scheduled.
 */
#include <errno.h>
#include <termios.h>
#include <unistd.h>

int
main(void)
{
	char		buf[4096];
	struct termios	t;
	ssize_t		n;

	if (tcgetattr(0, &t) == 0) {
		cfmakeraw(&t);
		t.c_lflag |= ECHO;
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		(void)tcsetattr(0, TCSANOW, &t);
	}
	(void)!write(1, "TB-ECHO-READY\n", 14);
	for (;;) {
		n = read(0, buf, sizeof buf);
		if (n == 0 || (n < 0 && errno != EINTR)) {
			return 0;
		}
	}
}
