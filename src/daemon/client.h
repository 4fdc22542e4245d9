/*
 * client: one client of a console, over Telnet or raw bytes.
 *
 * A client is a connection (conn.h) and a member of its console
 * (console.h): a position in the console's ring and a role.  Output goes
 * from the ring straight to the socket (IACs doubled on the way for
 * Telnet); only what the daemon itself says (negotiation, notices,
 * answers) is queued, in the connection's capped buffer that goes first.
 *
 * A client comes from a console's own listener (client_new, attached at
 * once) or from the broker once a console is named (client_adopt, which
 * takes the broker's connection, Telnet state and all).  The files:
 *
 *	client.c		making, attaching, reading, closing
 *	client-out.c		the ring to the socket, notices, STATE
 *	client-ctl.c		TTYHUB-CONTROL requests; naming on a
 *				console's own listener
 *	client-comport.c	RFC 2217 from clients of serial consoles
 *
 * client.c calls the other three; they call none of client.c.
 */
#ifndef TTYHUB_CLIENT_H
#define TTYHUB_CLIENT_H

#include <sys/socket.h>
#include <sys/types.h>
#include <stdint.h>

#include "conn.h"
#include "console.h"

struct cfg_listen;
struct gate;
struct server;

/* What the broker asks for on the peer's behalf (TTYHUB_MODE words). */
struct client_want {
	int	ro;
	int	force;
	int	noreplay;
	int	quiet;
};

struct client {
	struct conn		*conn;
	struct console_member	 m;		/* its place at the console */
	int			 noreplay;	/* the listener's option */

	/* Output. */
	uint64_t		 dropped;	/* bytes skipped, total */
	uint64_t		 unsaid;	/* dropped, not yet in a notice */

	/*
	 * TTYHUB-CONTROL (doc/PROTOCOL.md), for clients that offer it: the
	 * role and backend state last told in a STATE message, and the ring
	 * position where a REPLAY-END is owed.
	 */
	int			 told_role;	/* -1: no STATE sent yet */
	int			 told_state;
	int			 replay_owed;
	uint64_t		 replay_end;

	/*
	 * A console's own listener: attached at accept.  If it offers
	 * TTYHUB-CONTROL (the ttyhub client) it is held, no output and no
	 * input, until it has named what it wants (client_ctl_named).
	 */
	int			 direct;
	int			 named;

	/*
	 * A console's own listener with tls or auth: attached only once
	 * the handshake is over and the peer has logged in (gate.c).
	 */
	struct console		*joining;
	int			 may_write;	/* the listener's, meanwhile */
	struct gate		*gate;

	/*
	 * Held while a read of its connection is on the stack (its own, or
	 * the broker's that handed it over): the Telnet state in use there
	 * must not be freed, so a close waits for the read to end
	 * (client_release), with its reason, and so do kicks.
	 */
	int			 held;
	int			 held_close;
	char			 held_why[96];

	/* RFC 2217 (COM-PORT-OPTION), on serial consoles. */
	int			 told_comport_ro;
	int			 flow_suspended; /* FLOWCONTROL-SUSPEND */
	uint8_t			 line_mask;
};

/* client.c */

/*
 * A connection from one of con's own listeners (how is its options, via
 * its listener_id): attached at once.  The client owns fd from here on.
 */
void		 client_new(struct server *srv, int fd,
		    const struct sockaddr *peer, socklen_t peerlen,
		    const struct cfg_listen *how, struct console *con,
		    uint64_t via);

/*
 * The broker's connection, now that the peer has named con: checked
 * against con's rw and ro lists, then attached as w asks.  On success
 * the client owns conn (its tn, its queued words, its events); NULL when
 * refused, with the refusal queued on conn, which the broker still owns.
 * may_write and noreplay are the broker listener's options.  The client
 * is held (struct client): the broker's read of conn may still be on the
 * stack, so it says nothing and is not freed until client_release.
 */
struct client	*client_adopt(struct conn *conn, struct console *con,
		    const struct client_want *w, int may_write, int noreplay);
/* The broker's read is over: the client speaks, or goes if it was closed. */
void		 client_release(struct client *c);

/*
 * con is going: close the clients of its own listeners that have not
 * attached yet (TLS or a login still under way), telling them why.
 */
void		 client_drop_joining(struct console *con, const char *why);

/* Send what can be sent now; close on a dead or too slow peer. */
void		 client_kick(struct client *c);

/* Close now, with a last notice if why is not NULL. */
void		 client_close(struct client *c, const char *why);

/* client-out.c */

/*
 * Write our queued words, then console output from c's position, as far
 * as the socket takes them.  Returns 0, or -1 when c must close (why
 * is then what to tell it, or NULL).
 */
int		 client_out(struct client *c, const char **why);
/* Is c on a console's own listener, not yet past naming what it wants? */
int		 client_naming(const struct client *c);
/* A notice for c alone. */
void		 client_notice(struct client *c, const char *text);
/* Decide read interest (a writer waits while the backend is full). */
void		 client_events(struct client *c);

/* client-ctl.c */

/* TTYHUB_MODE's words ("ro,force", "noreplay quiet") as a client_want. */
void		 client_ctl_want(const char *mode, struct client_want *w);

/* It has named what it wants, or had its time to: answer it. */
void		 client_ctl_named(struct client *c);
/* A TTYHUB-CONTROL request of an attached client. */
void		 client_ctl_request(struct client *c, int code,
		    const uint8_t *text, size_t len);

/* client-comport.c */

/* A COM-PORT-OPTION subnegotiation from c (tn_ops.comport). */
void		 client_comport_request(struct client *c, const uint8_t *buf,
		    size_t len);
/* The modem lines changed: tell c, through its mask. */
void		 client_comport_modem(struct client *c, uint8_t state);

#endif
