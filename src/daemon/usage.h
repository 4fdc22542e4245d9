/*
 * usage: what ttyhubd tells the user about its command line: the help
 * text, and the one line naming a wrong option before exit status 2.
 * Every message of the daemon's main starts with our name as invoked
 * (usage_progname), so that a symlink named telnetd speaks as telnetd.
 */
#ifndef TTYHUB_USAGE_H
#define TTYHUB_USAGE_H

#include <stdio.h>

/* Our name as invoked: argv[0]'s last part, "ttyhubd" until then. */
extern const char	*usage_progname;

void	usage_init(const char *argv0);

/* The help text of --help, to f. */
void	usage_print(FILE *f);

/* One line naming the problem, then exit status 2. */
void	usage_bad(const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));

/*
 * The number s given to option opt, from min to max; anything else
 * (sign, junk, out of range) is usage_bad.
 */
unsigned	usage_uint(const char *opt, const char *s, unsigned min,
		    unsigned max);

#endif
