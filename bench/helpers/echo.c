/*
 * echo: the session program for the keystroke round trip.  Raw mode (no
 * tty echo, no line editing), says TB-ECHO-READY, then writes back every
 * byte it reads, at once.
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
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		(void)tcsetattr(0, TCSANOW, &t);
	}
	(void)!write(1, "TB-ECHO-READY\n", 14);
	for (;;) {
		n = read(0, buf, sizeof buf);
		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			return 0;
		}
		if (write(1, buf, (size_t)n) != n) {
			return 1;
		}
	}
}
