/*
 * usage: ttyhubd's help text, and what it says when an option is wrong:
 * one line naming the problem and exit status 2, as BusyBox telnetd's
 * callers expect of a bad command line.  The bottom of the daemon's
 * main: cmdline.c, vdc.c and ttyhubd.c call it, it calls nothing of
 * theirs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usage.h"

const char	*usage_progname = "ttyhubd";

void
usage_init(const char *argv0)
{
	const char	*p;

	if ((p = strrchr(argv0, '/')) != NULL) {
		usage_progname = p + 1;
	} else if (argv0[0] != '\0') {
		usage_progname = argv0;
	}
}

void
usage_print(FILE *f)
{
	fprintf(f,
"usage: %s [-FKSd] [-p PORT] [-b ADDR[:PORT]] [-l PROG] [-f ISSUE]\n"
"           [-i | -w SEC] [--accept-env NAME]... [common options]\n"
"       %s -c FILE [-t] [-FSd] [common options]\n"
"           [-p PORT | -b ADDR[:PORT] | -l PROG, with -K -f --accept-env]\n"
"       %s --socket-path=PATH [--socket-count=N] [--tcp-port=PORT]\n"
"           [--backend=network|nested] [-Sd]\n"
"\n"
"Serve login sessions over Telnet: each connection gets a new pty and a\n"
"login program.  A drop-in for BusyBox telnetd; run as \"telnetd\" it is the same.\n"
"With -c, serve the consoles that FILE describes (see ttyhub.conf(5)), and\n"
"login sessions too only if -p, -b or -l is given.\n"
"\n"
"The login server (-K -f -i -w --accept-env: only with it):\n"
"  -p PORT          port to listen on (default 23)\n"
"  -b ADDR[:PORT]   address to listen on (numeric; [v6addr]:PORT for IPv6;\n"
"                   default: every address)\n"
"  -l PROG          login program (default /bin/login).  A program named\n"
"                   login runs as \"login -h PEER [-- USER]\"; any other\n"
"                   runs with no arguments\n"
"  -K               close the connection as soon as the login program exits\n"
"                   (default: when every program has closed the pty)\n"
"  -f ISSUE         file shown before the login program (default\n"
"                   /etc/issue.net, if it exists)\n"
"  -i               inetd mode: serve one connection on stdin and stdout\n"
"  -w SEC           inetd wait mode: accept on the socket on stdin, exit after\n"
"                   SEC seconds with no session\n"
"  --accept-env NAME  take NAME from the client's NEW-ENVIRON too (repeatable;\n"
"                   default: only TERM; USER only names the login user)\n"
"Consoles:\n"
"  -c FILE          consoles and listeners from FILE; SIGHUP rereads it,\n"
"                   SIGUSR2 reopens the console logs and captures\n"
"  -t               check FILE and exit (0 if good, 2 with the first error)\n"
"vhost-device-console's command line (virtio consoles over vhost-user, in\n"
"the foreground; the guests are consoles vm0, vm1, ...):\n"
"  -s, --socket-path=PATH  the vhost-user sockets: PATH0 .. PATH(N-1)\n"
"  --socket-count=N  that many guests (default 1)\n"
"  --tcp-port=PORT   network: guest i on 127.0.0.1 port PORT+i, raw TCP\n"
"                   (default 12345)\n"
"  --backend=network|nested  nested (the default): this terminal is the\n"
"                   one guest's console; Ctrl-C goes to the guest, ~. after\n"
"                   Enter leaves and stops ttyhubd\n"
"Common options (login sessions of -p/-b/-l and of [login] sections):\n"
"  -F               stay in the foreground (log to stderr)\n"
"  -S               log to syslog (implied by -i, -w and by running without -F)\n"
"  --max-sessions N at most N sessions at once (default 1024)\n"
"  --max-pending N  at most N connections still negotiating; beyond it the\n"
"                   oldest is dropped (default 64)\n"
"  --negotiate-ms MS  how long to wait for Telnet answers before starting the\n"
"                   login program (default 1000)\n"
"  -d, --debug      log more\n"
"  -h, --help       show this help\n"
"  -V, --version    show the version\n",
	    usage_progname, usage_progname, usage_progname);
}

void
usage_bad(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: ", usage_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (%s --help lists the options)\n", usage_progname);
	exit(2);
}

unsigned
usage_uint(const char *opt, const char *s, unsigned min, unsigned max)
{
	unsigned long	v;
	char		*end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || *s == '-' ||
	    v < min || v > max) {
		usage_bad("bad value \"%s\" for %s: give a number from %u to %u",
		    s, opt, min, max);
	}
	return (unsigned)v;
}
