/*
 * tnscan: a shadow of libtelnet's framing, for what libtelnet does not
 * tell its user, or tells too late: that the peer refused an option we
 * offered or asked for (RFC 1143 just goes back to NO, with no event);
 * that a subnegotiation is longer than we will keep (libtelnet 0.21 would
 * give up at 16 KiB and pass the rest on as data) or not ended by IAC SE
 * (where libtelnet's reading cannot be followed: see tnscan.c); that a
 * subnegotiation starts compression (libtelnet would inflate the rest of
 * the very buffer it was given, into more data than was read, whether
 * or not the option was ever negotiated); and that the peer has
 * negotiated more than any honest peer does.
 *
 * The server's tn.c and the client's peer.c run one over the same bytes
 * they give libtelnet, and cut their input after each byte it reports,
 * so that what they do happens at the same point of the stream however
 * the peer's bytes were split into reads.  No I/O, no allocation.
 */
#ifndef TTYHUB_TNSCAN_H
#define TTYHUB_TNSCAN_H

#include <stddef.h>
#include <stdint.h>

#define TNSCAN_SB_MAX	8192	/* longest subnegotiation body we keep */

/*
 * Option negotiations a peer may send on one connection.  Each may cost
 * a reply, and RFC 1143 only keeps honest peers out of loops: one that
 * keeps reversing its answers would keep us answering for ever.  An
 * honest peer sends a few dozen; telnet clients that toggle BINARY for
 * every file transfer stay far below this too.
 */
#define TNSCAN_NEG_MAX	1000

/* All zero is the start: between commands. */
struct tnscan {
	int		state;
	uint8_t		cmd;		/* WILL, WONT, DO or DONT being read */
	uint8_t		opt;		/* its option, once TNSCAN_NEG */
	size_t		sb_len;		/* subnegotiation bytes so far */
	unsigned	negs;		/* negotiations so far */
};

enum tnscan_seen {
	TNSCAN_NOTHING,
	TNSCAN_NEG,		/* the byte ended IAC cmd opt: see cmd, opt */
	/* What no connection survives (tnscan_fatal): */
	TNSCAN_SB_TOO_LONG,	/* the byte took a body past TNSCAN_SB_MAX */
	TNSCAN_SB_BROKEN,	/* IAC and the byte ended a body, but not SE */
	TNSCAN_SB_COMPRESS,	/* the byte named COMPRESS or COMPRESS2 in SB */
	TNSCAN_NEG_TOO_MANY,	/* the byte ended negotiation TNSCAN_NEG_MAX+1 */
};

/* One byte of the peer's stream, in order. */
enum tnscan_seen tnscan_byte(struct tnscan *s, uint8_t b);

/*
 * Is the stream between commands, where libtelnet too is in its data
 * state?  Then a run of bytes without IAC, and IAC IAC, are data alone,
 * which its users may take in bulk without either scanner: neither would
 * change state or count anything for them.
 */
int		 tnscan_plain(const struct tnscan *s);

/*
 * Is seen a fault no connection survives, and why, in words for a log?
 * Its user hands libtelnet the input before the byte, never the byte.
 */
int		 tnscan_fatal(enum tnscan_seen seen);
const char	*tnscan_why(enum tnscan_seen seen);

#endif
