/*
 * ws: the server side of one WebSocket connection (RFC 6455) after the
 * handshake, as framing and nothing else: the peer's bytes in, messages
 * and the frames we answer with out.  It does no I/O and knows nothing of
 * sockets or the event loop; the opening handshake is wsopen.c's.
 *
 * What it enforces, closing the connection with the RFC's status code:
 * every client frame masked, no reserved bits or opcodes (no extension is
 * ever agreed), control frames of at most 125 bytes and never fragmented,
 * continuation frames only inside a message and data frames never inside
 * one, text messages valid UTF-8 (refused at the first bad byte) and at
 * most WS_TEXT_MAX bytes, binary messages at most the cap given to
 * ws_init (a frame whose header announces more is refused before its
 * payload), close frames with a valid code and a UTF-8 reason.
 *
 * Binary messages are handed on as they arrive, unmasked in the caller's
 * buffer, and never kept: in ttyhub they carry terminal bytes, a stream
 * whose message boundaries mean nothing.  Text messages are kept whole
 * (they carry the small control protocol, webmsg.h) and handed on once
 * complete and checked.
 */
#ifndef TTYHUB_WS_H
#define TTYHUB_WS_H

#include <stddef.h>
#include <stdint.h>

#include "utf8.h"

#define WS_CTL_MAX	125		/* control frame payload (5.5) */
#define WS_REASON_MAX	123		/* a close reason: 125 less the code */
#define WS_TEXT_MAX	4096		/* a text message, reassembled */
#define WS_BINARY_MAX	(1u << 20)	/* the usual cap on a binary message */
#define WS_HEADER_MAX	14		/* 2 + 8 (length) + 4 (mask) */

enum ws_op {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xa,
};

/* Close status codes (7.4.1) we send or name. */
#define WS_CLOSE_NORMAL		1000
#define WS_CLOSE_GOING_AWAY	1001
#define WS_CLOSE_PROTOCOL	1002
#define WS_CLOSE_NO_STATUS	1005	/* never sent: a close without a code */
#define WS_CLOSE_BAD_DATA	1007	/* text that is not UTF-8 */
#define WS_CLOSE_POLICY		1008
#define WS_CLOSE_TOO_BIG	1009

/*
 * What a connection asks of its owner.  Buffers are borrowed for the call
 * only.  A callback may call ws_send and ws_close, but must not free the
 * ws.
 */
struct ws_ops {
	/*
	 * Payload of a binary message, unmasked, as it arrives (a message
	 * may come in any number of calls; len is never 0).
	 */
	void	(*binary)(void *arg, const uint8_t *buf, size_t len);
	/* A whole text message: valid UTF-8, at most WS_TEXT_MAX bytes. */
	void	(*text)(void *arg, const uint8_t *buf, size_t len);
	/*
	 * Bytes to send to the peer: frames of ours (pong, close, and what
	 * ws_send builds), each whole in one call.  The owner must not put
	 * them inside a frame of its own that it is still writing.
	 */
	void	(*send)(void *arg, const uint8_t *buf, size_t len);
	/* A pong came (an answer to our ping, or unasked).  May be NULL. */
	void	(*pong)(void *arg, const uint8_t *buf, size_t len);
	/*
	 * The peer's close: its code (WS_CLOSE_NO_STATUS when it gave none)
	 * and reason (valid UTF-8).  Our close has been sent, in answer or
	 * before.  Nothing more will come; the owner sends what it has
	 * queued and closes the TCP connection.
	 */
	void	(*closed)(void *arg, unsigned code, const uint8_t *reason,
		    size_t len);
	/*
	 * The peer broke the protocol: a close with code has been sent
	 * (unless one had been already), why is for the log.  Nothing more
	 * will come; the owner sends what it has queued and closes.
	 */
	void	(*fail)(void *arg, unsigned code, const char *why);
};

/* One connection.  Set up with ws_init; the fields are the layer's. */
struct ws {
	const struct ws_ops *ops;
	void		*arg;
	uint64_t	 max_binary;
	uint8_t		 hdr[WS_HEADER_MAX];	/* a frame's header so far */
	uint8_t		 hdr_len;
	uint8_t		 hdr_need;	/* its length, once known */
	uint8_t		 op;		/* this frame's */
	uint8_t		 fin;
	uint64_t	 left;		/* payload still to come */
	uint64_t	 off;		/* payload so far */
	uint8_t		 msg;		/* TEXT, BINARY, or 0 between */
	uint64_t	 msg_len;
	struct utf8	 utf8;
	uint8_t		 ctl[WS_CTL_MAX];
	uint8_t		 text[WS_TEXT_MAX];
	size_t		 text_len;
	unsigned	 close_sent:1;
	unsigned	 done:1;		/* closed or failed: input ignored */
};

/*
 * Start a connection whose binary messages may be up to max_binary bytes
 * (WS_BINARY_MAX is the usual).  ops and arg are borrowed.
 */
void		ws_init(struct ws *ws, const struct ws_ops *ops, void *arg,
		    uint64_t max_binary);

/*
 * Feed bytes received from the peer.  They are changed in place: binary
 * payload is unmasked where it lies and handed on from there.
 */
void		ws_recv(struct ws *ws, uint8_t *buf, size_t len);

/*
 * Send one whole frame of ours through ops->send: text, binary or a ping
 * (at most WS_CTL_MAX bytes), with at most WS_TEXT_MAX bytes.  Text must
 * be valid UTF-8.  Returns 0, or -1 (nothing sent) when the frame is not
 * one of those, is too long, or our close has been sent.
 */
int		ws_send(struct ws *ws, enum ws_op op, const uint8_t *buf,
		    size_t len);

/*
 * Start the closing handshake: a close with code (1000 to 4999, not one
 * the RFC keeps off the wire) and reason (cut to WS_REASON_MAX bytes at a
 * character boundary; NULL for none).  Input goes on until the peer's
 * close (ops->closed); data frames are then dropped.  Does nothing once
 * our close is sent.
 */
void		ws_close(struct ws *ws, unsigned code, const char *reason);

/* Has our close been sent?  Is the connection over (no more input)? */
int		ws_close_sent(const struct ws *ws);
int		ws_done(const struct ws *ws);

/*
 * The header of a server frame (unmasked, RSV 0) with len payload bytes,
 * for an owner that writes the payload itself (a writev of the console
 * ring).  Returns its length: 2, 4 or 10 bytes.
 */
size_t		ws_header(uint8_t hdr[WS_HEADER_MAX], enum ws_op op, int fin,
		    uint64_t len);

/* May a close frame carry this code (7.4)? */
int		ws_close_code_valid(unsigned code);

#endif
