/*
 * ready: the cheap session program for the sessions-per-second and memory
 * benchmarks (linked statically by run.py).  Says TB-READY, then waits for
 * its terminal to go away (EOF, EIO or SIGHUP).
 */
#include <errno.h>
#include <unistd.h>

int
main(void)
{
	char	buf[256];
	ssize_t	n;

	(void)!write(1, "TB-READY\n", 9);
	for (;;) {
		n = read(0, buf, sizeof buf);
		if (n == 0 || (n < 0 && errno != EINTR)) {
			return 0;
		}
	}
}
