/*
 * escape: the escape character that lets a user talk to ttyhub rather
 * than to the console (~. and friends), as in ssh, cu and conserver.
 *
 * It is recognised only at the start of a line: first thing typed, or
 * right after Enter (CR or LF), so a ~ in the middle of a command goes
 * through unchanged.  The escape character followed by itself sends one;
 * followed by anything that is not a command it sends both.  Pure: bytes
 * in, bytes to send and commands out.
 */
#ifndef TTYHUB_ESCAPE_H
#define TTYHUB_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

#define ESCAPE_NONE	(-1)	/* an escape character that never matches */

enum escape_cmd {
	ESCAPE_SEND,		/* no command: send what was put in out */
	ESCAPE_DETACH,		/* ~. */
	ESCAPE_BREAK,		/* ~b */
	ESCAPE_RO,		/* ~r */
	ESCAPE_RW,		/* ~w */
	ESCAPE_FORCE,		/* ~f */
	ESCAPE_WHO,		/* ~u */
	ESCAPE_REPLAY,		/* ~l */
	ESCAPE_SUSPEND,		/* ~^Z */
	ESCAPE_HELP,		/* ~? */
};

struct escape {
	int	ch;		/* the escape character, or ESCAPE_NONE */
	int	bol;		/* at the start of a line */
	int	pending;	/* the escape character was typed at bol */
};

/* Start at the beginning of a line; ch is a byte or ESCAPE_NONE. */
void		 escape_init(struct escape *e, int ch);

/*
 * One typed byte.  Bytes to send (0, 1 or 2) go into out and *outlen;
 * the return value says whether a command was typed instead.
 */
enum escape_cmd	 escape_byte(struct escape *e, uint8_t b, uint8_t out[2],
		    size_t *outlen);

/* Parse "~", "^]", "^?" or "none" into *ch.  Returns 0, or -1. */
int		 escape_parse(const char *s, int *ch);

/* How ch is written for people: "~", "^]", "none"; buf of 8 bytes. */
const char	*escape_name(int ch, char *buf, size_t len);

#endif
