/*
 * sink: the session program for the bulk input benchmark.  Puts its tty in
 * raw mode, says TB-SINK-READY, then reads and counts until it reads a 'Z'
 * (the client's end mark), and says what it got:
 *
 *   TB-SINK-DONE total=N ff=N other=N
 *
 * (total excludes the 'Z'; ff counts 0xFF bytes, other the rest).
 *
 * With the argument "loop" (a console's program, which outlives its
 * clients) it counts again from zero after each 'Z', for ever; a 'Z'
 * alone is a client's probe that the way in works, answered with total=0.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	static unsigned char	buf[64 * 1024];
	unsigned long long	total = 0, ff = 0;
	struct termios		t;
	char			line[128];
	ssize_t			n, i;
	int			len, done = 0, loop;

	loop = argc > 1 && strcmp(argv[1], "loop") == 0;
	if (tcgetattr(0, &t) == 0) {
		cfmakeraw(&t);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		(void)tcsetattr(0, TCSANOW, &t);
	}
	(void)!write(1, "TB-SINK-READY\n", 14);
	while (!done) {
		n = read(0, buf, sizeof buf);
		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (buf[i] != 'Z') {
				ff += buf[i] == 0xff;
				total++;
				continue;
			}
			len = snprintf(line, sizeof line,
			    "TB-SINK-DONE total=%llu ff=%llu other=%llu\n",
			    total, ff, total - ff);
			(void)!write(1, line, (size_t)len);
			total = ff = 0;
			if (!loop) {
				done = 1;
				break;
			}
		}
	}
	/* Stay until the client hangs up, so nothing written is lost. */
	while (read(0, buf, sizeof buf) > 0) {
	}
	return 0;
}
