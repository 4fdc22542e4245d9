/*
 * blast: the session program for the bulk output benchmark.  Writes BYTES
 * bytes, all equal to BYTE (hex), to stdout as fast as it can, in 64 KiB
 * writes, then exits.  With "raw" it first puts stdout's tty in raw mode.
 *
 *   blast BYTES BYTE [raw]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	static char	buf[64 * 1024];
	unsigned long long n, left;
	struct termios	t;
	ssize_t		w;
	size_t		len;

	if (argc < 3) {
		fprintf(stderr, "usage: blast BYTES BYTE [raw]\n");
		return 2;
	}
	n = strtoull(argv[1], NULL, 10);
	memset(buf, (int)strtoul(argv[2], NULL, 16), sizeof buf);
	if (argc > 3 && strcmp(argv[3], "raw") == 0 &&
	    tcgetattr(1, &t) == 0) {
		cfmakeraw(&t);
		(void)tcsetattr(1, TCSANOW, &t);
	}
	for (left = n; left > 0; left -= (unsigned long long)w) {
		len = left < sizeof buf ? (size_t)left : sizeof buf;
		w = write(1, buf, len);
		if (w < 0) {
			if (errno == EINTR) {
				w = 0;
				continue;
			}
			return 1;	/* EIO: the peer went away */
		}
	}
	return 0;
}
