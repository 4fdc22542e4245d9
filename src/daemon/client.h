/*
 * client: one connection to a console, or to the broker that leads to
 * one.
 *
 * A client speaks Telnet (through tn) or raw bytes.  Attached, it is a
 * position in its console's ring: output goes from the ring straight to
 * the socket (IACs doubled on the way for Telnet), and only what the
 * client itself says (negotiation, notices, the broker's prompt) is
 * queued, in a small capped buffer that goes first.
 */
#ifndef TTYHUB_CLIENT_H
#define TTYHUB_CLIENT_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <stdint.h>

#include "log.h"

struct console;
struct server;
struct cfg_listen;

#define CLIENT_CTL_MAX	(32 * 1024)	/* our own text queued to a client */

enum client_state {
	CLIENT_NEGOTIATING,	/* broker: waiting for NEW-ENVIRON */
	CLIENT_PROMPT,		/* broker: reading a command line */
	CLIENT_ATTACHED,
	CLIENT_CLOSING,		/* flushing our last words */
};

/* A list of consoles being written as the socket takes it. */
enum client_listing {
	CLIENT_LIST_NONE,
	CLIENT_LIST_TSV,	/* TTYHUB_COMMAND=list: tab-separated */
	CLIENT_LIST_TABLE,	/* the prompt's list: a table, then the prompt */
};

struct client {
	TAILQ_ENTRY(client)	 entry;		/* console's or server's list */
	struct server		*srv;
	struct console		*con;		/* NULL until attached */
	enum client_state	 state;

	int			 fd;
	uint64_t		 via;		/* the listener's listener_id */
	int			 telnet;
	struct tn		*tn;
	char			 peer[128];	/* for people: "127.0.0.1 40312" */

	/*
	 * Who it is: for unix sockets the kernel's word (SO_PEERCRED), for
	 * TCP only its address (IPv4 as IPv4-mapped IPv6), which is what
	 * max-clients-per-source counts.
	 */
	int			 has_cred;
	uid_t			 uid;
	gid_t			 gid;
	int			 tcp;
	uint8_t			 addr[16];

	/* Role. */
	int			 may_write;	/* listener and ACL allow it */
	int			 ro;		/* attached read-only now */
	int			 chose_ro;	/* asked for read-only */
	int			 noreplay;	/* listener option */
	int			 quiet;		/* no join/leave notices */

	/* Output. */
	uint64_t		 pos;		/* next ring byte to send */
	int			 half;		/* owes the second IAC of a pair */
	struct evbuffer		*ctl;		/* our own text, goes first */
	int			 blocked;	/* socket full: wait for writable */
	int			 half_closed;	/* closing: we sent FIN */
	uint64_t		 dropped;	/* bytes skipped, total */
	uint64_t		 unsaid;	/* dropped, not yet in a notice */

	/* Broker prompt. */
	char			 line[256];
	size_t			 linelen;
	int			 last_cr;

	unsigned		 cols, rows;	/* its window, 0 unknown */
	int			 told_ro;

	/*
	 * TTYHUB-CONTROL (doc/PROTOCOL.md), for broker clients that offer
	 * it: the role and backend state last told in a STATE message, the
	 * ring position where a REPLAY-END is owed, and a TTYHUB_COMMAND
	 * list still being written out.
	 */
	int			 told_role;	/* -1: no STATE sent yet */
	int			 told_state;
	int			 replay_owed;
	uint64_t		 replay_end;
	enum client_listing	 listing;	/* consoles still to list */
	size_t			 list_at;
	/*
	 * A console's own listener: attached at accept.  If it offers
	 * TTYHUB-CONTROL (the ttyhub client) it is held, no output and no
	 * input, until it has named what it wants (client_named).
	 */
	int			 direct;
	int			 named;

	/* RFC 2217 (COM-PORT-OPTION), on serial consoles. */
	int			 comport;	/* it has sent a request */
	int			 told_comport_ro;
	struct log_rate		 lr_comport;	/* requests that change nothing */
	int			 flow_suspended; /* FLOWCONTROL-SUSPEND */
	uint8_t			 line_mask;
	uint8_t			 modem_mask;

	struct event		*rd;
	struct event		*wr;
	struct event		*timer;
	unsigned		 armed;
	const char		*failed;
};

/*
 * A new connection from a listener (via is its listener_id).  con is the
 * console it leads to, or NULL for the broker.  The client owns fd from
 * here on.
 */
struct client	*client_new(struct server *srv, int fd,
		    const struct sockaddr *peer, socklen_t peerlen,
		    const struct cfg_listen *how, struct console *con,
		    uint64_t via);

/* Send what can be sent now; close on error.  Returns -1 if closed. */
int		 client_kick(struct client *c);

/* Queue a notice line "[ttyhub: ...]" (made safe, CR LF added). */
void		 client_notice(struct client *c, const char *text);
void		 client_forget_console(const struct console *con);

/* RFC 2217: tell c of a modem-line change, through its mask. */
void		 client_modem_changed(struct client *c, uint8_t state);

/* Decide read interest again (the console's input queue changed). */
void		 client_events(struct client *c);

/* Close now, with a last notice if why is not NULL. */
void		 client_close(struct client *c, const char *why);

/* Close every client not attached (broker prompts; shutdown). */
void		 client_close_all(struct server *srv);

/*
 * Close every client that came through listener via, attached or not,
 * telling it why (a reload changed or removed the listener).
 */
void		 client_close_via(struct server *srv, uint64_t via,
		    const char *why);

#endif
