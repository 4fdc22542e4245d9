/*
 * tnline: one line typed by a Telnet peer, for a prompt of ours: the
 * login prompt's user name and password.  Bytes in, a line out, and
 * the echo the peer should see (we said WILL ECHO, so its own echo is
 * off): what is typed, unless the line is hidden (a password), and the
 * rubout of what Backspace and Ctrl-U erase.  No I/O, like tn.
 *
 * A line ends at CR or LF (CR LF, CR NUL and LF CR... count once: the
 * byte after a CR that is LF or NUL is skipped); Ctrl-C and Ctrl-D give
 * up.  Only printable ASCII is kept, at most TNLINE_MAX bytes; more,
 * and any other byte, is dropped where it stands, so the line that is
 * read is always what the echo showed.
 */
#ifndef TTYHUB_TNLINE_H
#define TTYHUB_TNLINE_H

#include <stddef.h>
#include <stdint.h>

#define TNLINE_MAX	128
#define TNLINE_ECHO_MAX	(8 * TNLINE_MAX)	/* one feed's echo */

enum tnline_result {
	TNLINE_MORE,		/* no line yet: *used taken, feed the rest */
	TNLINE_DONE,		/* a line: tnline_text; *used bytes taken */
	TNLINE_QUIT,		/* Ctrl-C or Ctrl-D */
};

struct tnline {
	char		buf[TNLINE_MAX + 1];
	size_t		len;
	int		hidden;		/* no echo of what is typed */
	int		last_cr;	/* skip an LF or NUL after CR */
};

/*
 * Start a new line; hidden for a password.  A zeroed struct is ready for
 * the first; an LF or NUL that ends the last line's CR is still skipped.
 */
void		 tnline_start(struct tnline *l, int hidden);

/*
 * Take bytes up to the end of a line.  *used says how many were taken
 * (after a line, the rest belong to what follows it; with TNLINE_MORE,
 * feed the rest again: the echo was full), echo gets what to send back,
 * at most TNLINE_ECHO_MAX bytes (*echolen).
 */
enum tnline_result tnline_feed(struct tnline *l, const uint8_t *buf,
		    size_t len, size_t *used, uint8_t *echo, size_t *echolen);

/* The line just read, NUL-terminated. */
const char	*tnline_text(const struct tnline *l);

/* Forget the line (a password, once checked). */
void		 tnline_wipe(struct tnline *l);

#endif
