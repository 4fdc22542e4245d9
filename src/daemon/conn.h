/*
 * conn: one peer's connection to the broker or to a console, as both
 * share it: the socket, Telnet (through tn) or raw bytes, who the peer
 * is, our own words queued to it in a capped buffer that goes first, and
 * a close that lets our last words arrive.
 *
 * The owner (broker.c before a console is named, client.c after) reads
 * and decides; conn moves our words and tells the owner, through struct
 * conn_ops, when the socket can be read or written.  A connection moves
 * from the broker to a client with conn_own, one way.
 */
#ifndef TTYHUB_CONN_H
#define TTYHUB_CONN_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <stdint.h>

#include "tls.h"
#include "../telnet/tn.h"

struct cfg_console;
struct evbuffer;
struct iovec;
struct server;

#define CONN_OUT_MAX	(32 * 1024)	/* our own words queued to a peer */

struct conn_ops {
	/* The socket is readable (not called once the conn is closing). */
	void	(*read)(void *arg);
	/*
	 * Go on writing: the socket took what was waiting, or our words
	 * were queued from elsewhere.  conn_flush first, then the owner's
	 * own output.
	 */
	void	(*write)(void *arg);
	/* The owner's timer (conn_timer) ran out. */
	void	(*timer)(void *arg);
	/*
	 * TLS only, optional: the handshake is over (c->user is set if a
	 * client certificate named one).  Without it, write is called.
	 */
	void	(*secure)(void *arg);
	/*
	 * Free the owner and the conn (conn_free), telling the peer why
	 * first if why is not NULL.  Called by conn when the peer has gone
	 * or our last words are out, and by conn_close_via.
	 */
	void	(*close)(void *arg, const char *why);
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;		/* srv->conns */
	struct server		*srv;
	const struct conn_ops	*ops;
	void			*arg;

	int			 fd;
	uint64_t		 via;		/* the listener's listener_id */
	int			 telnet;
	struct tn		*tn;		/* Telnet only */
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

	/*
	 * A network peer that authenticated (a client certificate or a
	 * password, conn_identify): its user, and that user's ids and
	 * groups as the system knows them.
	 */
	int			 authed;
	char			 user[TLS_USER_MAX + 1];
	/*
	 * Whom a console's rw and ro lists are checked against besides uid
	 * and gid: the authenticated user's groups, or a unix peer's as the
	 * kernel recorded them at connect (SO_PEERGROUPS, read once).
	 */
	gid_t			*groups;
	size_t			 ngroups;

	/* TLS (NULL: plain): the handshake first, then every byte. */
	struct tls		*tls;
	int			 hs;		/* handshake not over */
	int			 rd_wants_wr;	/* a read waits for writable */
	int			 wr_wants_rd;	/* a write waits for readable */
	struct event		*hs_timer;	/* the handshake's deadline */

	struct evbuffer		*out;		/* our own words, go first */
	int			 half;		/* owes the second IAC of a pair */
	int			 blocked;	/* socket full: wait for writable */
	int			 closing;	/* our last words, then close */
	int			 half_closed;	/* closing: we sent FIN */
	const char		*failed;	/* the peer broke something */

	struct event		*rd;
	struct event		*wr;
	struct event		*timer;
	unsigned		 armed;
	int			 rd_on;		/* the owner's read interest */
};

TAILQ_HEAD(conn_list, conn);

/*
 * A connection a listener accepted (via is its listener_id): checked
 * against the budget (ttyhubd(8): max-clients, seven eighths of it for
 * TCP peers, max-clients-per-source), which refuses it with a line that
 * says why; otherwise counted, with TCP keepalive set.  With tls (not
 * NULL) the connection is TLS made from it: the handshake runs before
 * the owner hears of anything (ops->secure, or write), within
 * TLS_HANDSHAKE_MS.  The conn owns fd either way.  Returns NULL when
 * refused or out of memory; set its owner with conn_own before
 * returning to the loop.
 */
struct conn	*conn_new(struct server *srv, int fd, const struct sockaddr *sa,
		    socklen_t salen, int telnet, struct tls_ctx *tls,
		    uint64_t via);

/*
 * The peer authenticated as user (how: "certificate", "password"):
 * looked up in the system's users for its ids and groups, and named so
 * in notices and the log.  -1 when the system has no such user.
 */
int		 conn_identify(struct conn *c, const char *user,
		    const char *how);
/* A unix peer, or a network peer that authenticated. */
int		 conn_identified(const struct conn *c);
/*
 * May the peer use a console configured as cfg, and may it write?
 * Unix peers, and network peers that authenticated, are checked
 * against its rw and ro lists when either is set; root and our own
 * user always may.  Returns -1 (refused), 0 (read-only) or 1 (what the
 * listener allows: may_write).  Every kind of client asks this.
 */
int		 conn_access(const struct conn *c,
		    const struct cfg_console *cfg, int may_write);
void		 conn_own(struct conn *c, const struct conn_ops *ops,
		    void *arg);
/* Close the socket and free everything, the tn included. */
void		 conn_free(struct conn *c);

/* Root or the daemon's own user, over a unix socket. */
int		 conn_trusted(const struct conn *c);
/* Does c speak TTYHUB-CONTROL (the ttyhub client)? */
int		 conn_has_ctl(const struct conn *c);

/*
 * Our own words, in wire form, queued: at most CONN_OUT_MAX, past which
 * the peer is taken to not read (c->failed, and read interest stops).
 */
void		 conn_queue(struct conn *c, const void *buf, size_t len);
size_t		 conn_queued(const struct conn *c);
void		 conn_say(struct conn *c, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* TTYHUB-CONTROL: a message of ours, formatted. */
void		 conn_ctl_send(struct conn *c, enum tn_ctl_code code,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * A notice: "[ttyhub: text]" on a line of its own, made safe, or out of
 * band for a peer that speaks TTYHUB-CONTROL.  Sent from the write
 * event, never from here: a notice is often given from inside another
 * client's callback, where closing this one on a write error would pull
 * it out from under a loop.
 */
void		 conn_notice(struct conn *c, const char *text);
/*
 * A request refused, or an attach that failed: an ERROR for a peer that
 * speaks TTYHUB-CONTROL (code is one word a program can act on), else
 * the text as a line.
 */
void		 conn_error(struct conn *c, const char *code,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Read up to room bytes.  Returns the count, 0 when there is nothing
 * now, -1 when the peer has gone (the owner closes).
 */
ssize_t		 conn_read(struct conn *c, void *buf, size_t room);

/*
 * Write as write(2) and writev(2) do, in the clear or through TLS:
 * a count, or -1 with errno (EAGAIN: the socket is full).  Either way,
 * c->blocked is set when the socket took less than it was given, or
 * TLS holds a record it could not send yet: wait for the write event.
 * A byte counted is sent, whatever is written next.
 */
ssize_t		 conn_write(struct conn *c, const void *buf, size_t len);
ssize_t		 conn_writev(struct conn *c, const struct iovec *iov,
		    int cnt);

/*
 * Write the owed half of an IAC pair and our queued words.  Returns 0
 * when all is out, 1 when the socket is full (c->blocked), -1 when the
 * peer has gone or failed (the owner closes).
 */
int		 conn_flush(struct conn *c);

/*
 * Decide read and write interest: read while rd and our words are
 * below their cap, write while blocked.
 */
void		 conn_events(struct conn *c, int rd);

/*
 * Go on from the write event (ops->write), as a notice does: for an
 * owner answered from the loop, outside its own callbacks.
 */
void		 conn_later(struct conn *c);

/* Run the owner's timer after ms (0: stop it). */
void		 conn_timer(struct conn *c, unsigned ms);

/*
 * Our last words are queued: flush them, half-close and wait briefly for
 * the peer's FIN (closing with its input unread would reset the
 * connection and could destroy what we just sent), then ops->close.
 */
void		 conn_finish(struct conn *c);

/* One try to send our queued words, for a close that says why. */
void		 conn_last_words(struct conn *c, const char *why);

/*
 * Close every connection that came through listener via, telling it
 * why (a reload changed or removed the listener).
 */
void		 conn_close_via(struct server *srv, uint64_t via,
		    const char *why);

/* Close every connection (shutdown). */
void		 conn_close_all(struct server *srv);

#endif
