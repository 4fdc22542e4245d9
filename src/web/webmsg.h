/*
 * webmsg: the web console's control messages, the WebSocket text frames
 * between a browser and ttyhubd (doc/PROTOCOL.md, "Web console").  Each
 * is one word and, for some, a space and arguments: printable ASCII (and
 * TAB), at most WEBMSG_TEXT_MAX bytes of them.  The words mirror the
 * broker's TTYHUB-CONTROL codes, plus SIZE and BREAK, which Telnet has as
 * NAWS and IAC BRK.  Console bytes are not here: they travel in binary
 * frames, both ways, as they are.  No I/O, no allocation.
 */
#ifndef TTYHUB_WEBMSG_H
#define TTYHUB_WEBMSG_H

#include <stddef.h>
#include <stdint.h>

#define WEBMSG_TEXT_MAX		1024	/* arguments, as TN_CTL_TEXT_MAX */
#define WEBMSG_WORD_MAX		16
#define WEBMSG_MAX		(WEBMSG_WORD_MAX + 1 + WEBMSG_TEXT_MAX)
#define WEBMSG_SIZE_MAX		4096	/* as TN_WINSIZE_MAX */
#define WEBMSG_COUNT_DIGITS	12	/* replay N */

enum webmsg_type {
	WEBMSG_UNKNOWN,		/* a word we do not know: ignore it */
	WEBMSG_BAD,		/* a word we know with bad arguments */
	/* Browser to daemon. */
	WEBMSG_SIZE,		/* "size COLS ROWS", each 1 to 4096 */
	WEBMSG_BREAK,		/* "break" */
	WEBMSG_RO,		/* "ro" */
	WEBMSG_RW,		/* "rw" */
	WEBMSG_FORCE,		/* "force" */
	WEBMSG_WHO,		/* "who" */
	WEBMSG_REPLAY,		/* "replay" or "replay N" */
	WEBMSG_PING,		/* "ping" or "ping TEXT" */
	/* Daemon to browser: the words and TEXT of TTYHUB-CONTROL. */
	WEBMSG_STATE,		/* "state NAME ROLE BACKEND" */
	WEBMSG_NOTICE,		/* "notice TEXT" */
	WEBMSG_ERROR,		/* "error CODE TEXT" */
	WEBMSG_WHO_LINE,	/* "who-line ROLE<TAB>you|-<TAB>PEER" */
	WEBMSG_WHO_END,		/* "who-end N" */
	WEBMSG_REPLAY_END,	/* "replay-end" */
	WEBMSG_PONG,		/* "pong" or "pong TEXT" */
};

struct webmsg {
	enum webmsg_type	 type;
	unsigned		 cols, rows;	/* SIZE */
	int			 has_count;	/* REPLAY with N */
	uint64_t		 count;
	const char		*text;		/* the arguments, borrowed */
	size_t			 len;
};

/*
 * Read one text message (a whole WebSocket text frame's payload).  Fills
 * m and returns its type.  Arguments are checked for the browser's words;
 * for the daemon's (which a test or benchmark client reads) only that
 * they are printable, and they are left in text.
 */
enum webmsg_type webmsg_parse(const uint8_t *buf, size_t len,
		    struct webmsg *m);

/* The word of a type ("who-line"), or NULL for UNKNOWN and BAD. */
const char	*webmsg_word(enum webmsg_type type);

/*
 * Build a message: the word, and when len > 0 a space and text, every
 * byte of it outside printable ASCII and TAB written as \xNN, cut (never
 * inside an escape) to WEBMSG_TEXT_MAX bytes and to the room in dst.
 * Returns its length (not NUL-terminated); 0 if type has no word or cap
 * is too small for it.
 */
size_t		 webmsg_format(char *dst, size_t cap, enum webmsg_type type,
		    const char *text, size_t len);

#endif
