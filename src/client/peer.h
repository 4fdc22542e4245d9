/*
 * peer: the client's side of a Telnet connection to the ttyhubd broker,
 * as policy over libtelnet (doc/PROTOCOL.md).
 *
 * It answers the broker's negotiation the way the protocol says: BINARY
 * both ways, NAWS with the window size, TTYPE with TERM, NEW-ENVIRON with
 * the console, mode and command asked for, and it offers TTYHUB-CONTROL.
 * Like the server's tn, it does no I/O and knows nothing of sockets,
 * terminals or the loop: everything comes back through struct peer_ops,
 * so the fuzzer links just this file and libtelnet.
 */
#ifndef TTYHUB_PEER_H
#define TTYHUB_PEER_H

#include <stddef.h>
#include <stdint.h>


/* What the client asks of the broker; strings are borrowed. */
struct peer_want {
	const char	*console;	/* TTYHUB_CONSOLE, or NULL */
	const char	*mode;		/* TTYHUB_MODE, or NULL */
	const char	*command;	/* TTYHUB_COMMAND, or NULL */
	const char	*term;		/* for TTYPE; NULL or invalid: UNKNOWN */
};

/*
 * What the connection tells its owner.  Buffers are borrowed for the
 * call only.  A callback must not free the peer; after fail() the peer
 * ignores all further input.
 */
struct peer_ops {
	/* Console output, or the lines of a command's answer. */
	void	(*data)(void *arg, const uint8_t *buf, size_t len);
	/* Bytes for the daemon. */
	void	(*send)(void *arg, const uint8_t *buf, size_t len);
	/*
	 * A TTYHUB-CONTROL message (enum tn_ctl_code).  text is NUL-ended,
	 * printable ASCII and TAB only (other bytes arrive as \xNN).
	 */
	void	(*ctl)(void *arg, int code, const char *text);
	/* The daemon took TTYHUB-CONTROL (on) or refused it; once. */
	void	(*ctl_answer)(void *arg, int on);
	/* The NEW-ENVIRON answer, naming what we want, has been sent. */
	void	(*named)(void *arg);
	/* The daemon broke the protocol in a way we do not survive. */
	void	(*fail)(void *arg, const char *why);
};

struct peer;

/* Returns NULL when out of memory. */
struct peer	*peer_new(const struct peer_ops *ops, void *arg,
		    const struct peer_want *want);
void		 peer_free(struct peer *p);

/* Our opening: offer TTYHUB-CONTROL, ask for BINARY both ways. */
void		 peer_start(struct peer *p);

/* Bytes received from the daemon. */
void		 peer_recv(struct peer *p, const uint8_t *buf, size_t len);

/* Typed bytes for the console (IAC doubled on the way). */
void		 peer_send(struct peer *p, const uint8_t *buf, size_t len);

/* IAC BRK. */
void		 peer_break(struct peer *p);

/* The window size, sent now if NAWS is on and from then on. */
void		 peer_winsize(struct peer *p, unsigned cols, unsigned rows);

/*
 * A TTYHUB-CONTROL request (enum tn_ctl_code) with optional text.
 * Returns -1 if the daemon has not taken the option.
 */
int		 peer_request(struct peer *p, int code, const char *text);

/* Has the daemon taken TTYHUB-CONTROL?  -1 not known yet, 0 no, 1 yes. */
int		 peer_ctl(const struct peer *p);

/*
 * Did the daemon's NEW-ENVIRON SEND ask for TTYHUB_CONSOLE?  A broker's
 * does; a console's own listener's did not before protocol 3.
 */
int		 peer_broker(const struct peer *p);

/* A TERM value good to send as TTYPE: [A-Za-z0-9._+-]{1,40}. */
int		 peer_term_valid(const char *s);

#endif
