/*
 * wsrecv: the receive side of the benchmark's WebSocket viewers (conview
 * wsview), the counterpart of tnrecv.h: it skips the server's 101 answer,
 * then reads frames (unmasked, as a server sends them) and hands the
 * payload of binary frames out as spans of the caller's buffer; text
 * frames (the daemon's control messages) and control frames are
 * skipped.  No copy, no allocation.
 */
#ifndef WSRECV_H
#define WSRECV_H

#include <stddef.h>
#include <stdint.h>

/* One connection's parser.  All zero is the start state. */
struct wsrecv {
	int		state;		/* WSRECV_HEAD, ... (wsrecv.c) */
	unsigned	crlf;		/* of "\r\n\r\n", matched so far */
	uint8_t		hdr[10];
	unsigned	hdr_len, hdr_need;
	uint8_t		op;
	uint64_t	left;		/* payload still to come */
	int		bad;		/* not a WebSocket we understand */
};

/* The handshake a viewer sends for console name (no Origin: no browser). */
int	wsrecv_request(char *buf, size_t len, const char *name);

/*
 * As tnrecv_next: parses from *pp towards end, up to and including the
 * next span of binary payload, returns its length with *span at it, and
 * moves *pp past what was parsed; 0 once the input is used up.
 */
size_t	wsrecv_next(struct wsrecv *r, const uint8_t **pp, const uint8_t *end,
	    const uint8_t **span);

#endif
