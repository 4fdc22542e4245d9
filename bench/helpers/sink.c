/*
 * sink: the session program for the bulk input benchmark.  Puts its tty in
 * raw mode, says TB-SINK-READY, then reads and counts until it reads a 'Z'
 * (the client's end mark), and says what it got:
 *
 *   TB-SINK-DONE total=N ff=N other=N
 *
 * (total excludes the 'Z'; ff counts 0xFF bytes, other the rest).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int
main(void)
{
	static unsigned char	buf[64 * 1024];
	unsigned long long	total = 0, ff = 0;
	struct termios		t;
	char			line[128];
	ssize_t			n, i;
	int			len, done = 0;

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
			if (buf[i] == 'Z') {
				done = 1;
				break;
			}
			ff += buf[i] == 0xff;
		}
		total += (unsigned long long)i;
	}
	len = snprintf(line, sizeof line,
	    "TB-SINK-DONE total=%llu ff=%llu other=%llu\n", total, ff,
	    total - ff);
	(void)!write(1, line, (size_t)len);
	/* Stay until the client hangs up, so nothing written is lost. */
	while (read(0, buf, sizeof buf) > 0) {
	}
	return 0;
}
