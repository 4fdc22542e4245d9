/*
 * tnrecv: the receive side of the benchmark's Telnet clients (tnclient,
 * conview).  It refuses every option (DO x -> WONT x, WILL x -> DONT x) so
 * that any server settles at once, skips subnegotiations and un-doubles
 * IAC IAC, and hands the payload out as spans of the caller's buffer, so
 * that counting bytes costs no copy.  One copy of it, so that both clients
 * see the same payload from the same bytes on the wire.  Given a console's
 * name, it takes NEW-ENVIRON alone and answers the SEND with that name
 * (TTYHUB_CONSOLE, doc/PROTOCOL.md), as a program naming a console at
 * ttyhubd's broker does.
 */
#ifndef TNRECV_H
#define TNRECV_H

#include <stddef.h>
#include <stdint.h>

/* One connection's parser.  All zero is the start state, so a calloc'd or
 * memset connection needs nothing more. */
struct tnrecv {
	int		state;		/* TNRECV_DATA, ... (tnrecv.c) */
	uint8_t		cmd;		/* DO/DONT/WILL/WONT being read */
	uint8_t		reply[768];	/* refusals not yet sent */
	size_t		nreply;
	const char	*console;	/* NULL, or the name the broker gets */
	size_t		sbn;		/* bytes of this subnegotiation */
	uint8_t		sbopt, sbcmd;	/* its option and first byte */
};

/*
 * Parses from *pp towards end, up to and including the next payload span,
 * and returns that span's length with *span pointing at it (inside
 * [*pp, end)); *pp is moved past what was parsed.  Returns 0 once the
 * input is used up.  Refusals are collected in r->reply for
 * tnrecv_flush().  The usual loop:
 *
 *	while ((k = tnrecv_next(&rx, &p, end, &span)) > 0)
 *		count(span, k);
 */
size_t	tnrecv_next(struct tnrecv *r, const uint8_t **pp, const uint8_t *end,
	    const uint8_t **span);

/*
 * Sends the collected refusals on fd (blocking or not), waiting at most
 * 5 s for room.  0 when all went (or there were none); -1 on an error or
 * at the deadline.  Either way the buffer is emptied: a refusal cut off
 * half-sent could not be sent again later without garbling the stream.
 */
int	tnrecv_flush(struct tnrecv *r, int fd);

#endif
