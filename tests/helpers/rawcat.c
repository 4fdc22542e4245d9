/*
 * rawcat: put the terminal in raw mode and copy input to output, byte for
 * byte.  Tests use it to see that every byte value crosses a session.
 * Exits after its input holds the line "RAWCAT-QUIT" or at EOF.
 */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int
main(void)
{
	struct termios	t;
	char		buf[65536];
	ssize_t		n;
	static const char quit[] = "RAWCAT-QUIT";
	size_t		matched = 0, i;

	if (tcgetattr(0, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(0, TCSANOW, &t);
	}
	if (write(1, "RAWCAT-READY\n", 13) != 13) {
		return 1;
	}
	while ((n = read(0, buf, sizeof buf)) > 0) {
		if (write(1, buf, (size_t)n) != n) {
			return 1;
		}
		for (i = 0; i < (size_t)n; i++) {
			matched = buf[i] == quit[matched] ? matched + 1 :
			    (buf[i] == quit[0] ? 1 : 0);
			if (matched == sizeof quit - 1) {
				return 0;
			}
		}
	}
	return 0;
}
