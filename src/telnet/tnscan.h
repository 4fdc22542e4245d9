/*
 * tnscan: a shadow of libtelnet's framing, for the two things libtelnet
 * does not tell its user: that the peer refused an option we offered or
 * asked for (RFC 1143 just goes back to NO, with no event), and that a
 * subnegotiation is longer than we will keep (libtelnet 0.21 would give
 * up at 16 KiB and pass the rest on as data) or not ended by IAC SE
 * (where libtelnet's reading cannot be followed: see tnscan.c).
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

/* All zero is the start: between commands. */
struct tnscan {
	int		state;
	uint8_t		cmd;		/* WILL, WONT, DO or DONT being read */
	uint8_t		opt;		/* its option, once TNSCAN_NEG */
	size_t		sb_len;		/* subnegotiation bytes so far */
};

enum tnscan_seen {
	TNSCAN_NOTHING,
	TNSCAN_NEG,		/* the byte ended IAC cmd opt: see cmd, opt */
	TNSCAN_SB_TOO_LONG,	/* the byte took a body past TNSCAN_SB_MAX */
	TNSCAN_SB_BROKEN,	/* IAC and the byte ended a body, but not SE */
};

/* One byte of the peer's stream, in order. */
enum tnscan_seen tnscan_byte(struct tnscan *s, uint8_t b);

#endif
