/*
 * tn: the server side of one Telnet connection, as policy over libtelnet.
 *
 * libtelnet does the wire work (RFC 1143 option state, IAC framing and
 * subnegotiation buffering); this layer decides which options we take, what
 * a NAWS, TTYPE or NEW-ENVIRON answer means, and turns the peer's bytes into
 * terminal input.  It does no I/O and knows nothing of sockets, ptys or the
 * event loop: everything comes back through the callbacks in struct tn_ops,
 * so unit tests and fuzzers link just this file and libtelnet.
 */
#ifndef TTYHUB_TN_H
#define TTYHUB_TN_H

#include <stddef.h>
#include <stdint.h>

/* Caps on what a peer can make us keep. */
#define TN_TERM_MAX	40	/* TTYPE and TERM: [A-Za-z0-9._+-]{1,40} */
#define TN_USER_MAX	32	/* [A-Za-z0-9._][A-Za-z0-9._-]{0,31} */
#define TN_ENV_NAME_MAX	64
#define TN_ENV_VALUE_MAX 256
#define TN_ENV_MAX	16	/* accepted variables kept, TERM aside */
/*
 * The largest window side passed on from outside (NAWS): curses programs
 * size buffers from it, and no screen is wider.  ttyhub.conf(5)'s size
 * has the same bound.
 */
#define TN_WINSIZE_MAX	4096

/* Telnet commands that act on the terminal. */
enum tn_cmd {
	TN_CMD_IP,	/* interrupt process */
	TN_CMD_BRK,	/* break */
	TN_CMD_AO,	/* abort output */
	TN_CMD_AYT,	/* are you there */
	TN_CMD_EC,	/* erase character */
	TN_CMD_EL,	/* erase line */
};

/*
 * What a connection asks of its owner.  Buffers are borrowed for the
 * duration of the call only.  A callback must not free the tn; after fail()
 * the tn ignores all further input and the owner should close.
 */
struct tn_ops {
	/* Bytes the peer typed, ready for the terminal. */
	void	(*data)(void *arg, const uint8_t *buf, size_t len);
	/* Bytes to send to the peer (negotiation, replies). */
	void	(*send)(void *arg, const uint8_t *buf, size_t len);
	/*
	 * The peer's window size changed (NAWS).  Each side is at most
	 * TN_WINSIZE_MAX; a side the peer gave as 0 (unknown, RFC 1073)
	 * keeps its previous value, and is 0 only if none came before.
	 */
	void	(*winsize)(void *arg, unsigned cols, unsigned rows);
	/* A Telnet command that acts on the terminal. */
	void	(*command)(void *arg, enum tn_cmd cmd);
	/* Negotiation has settled: TERM, user and environment are known. */
	void	(*settled)(void *arg);
	/* The peer broke the protocol in a way we do not survive. */
	void	(*fail)(void *arg, const char *why);
	/*
	 * A COM-PORT-OPTION (RFC 2217) subnegotiation from a peer that
	 * enabled the option: its payload after the option byte, IACs
	 * undoubled (parse it with rfc2217_parse).  Only called after
	 * tn_enable_comport; may be NULL otherwise.
	 */
	void	(*comport)(void *arg, const uint8_t *buf, size_t len);
	/*
	 * A TTYHUB-CONTROL subnegotiation (below) from a peer that enabled
	 * the option: its code and the text after it, IACs undoubled, at
	 * most TN_CTL_TEXT_MAX bytes (a longer message is ignored).  Only
	 * called after tn_enable_ctl; may be NULL otherwise.
	 */
	void	(*ctl)(void *arg, int code, const uint8_t *text, size_t len);
};

struct tn_env {
	char	name[TN_ENV_NAME_MAX + 1];
	char	value[TN_ENV_VALUE_MAX + 1];
};

struct tn;

/*
 * A new connection.  accept_env is a NULL-terminated list of variable
 * names, beyond TERM, that a peer may set through NEW-ENVIRON (it may be
 * NULL); the list is borrowed and must outlive the tn.  Returns NULL when
 * out of memory.
 */
struct tn	*tn_new(const struct tn_ops *ops, void *arg,
		    const char *const *accept_env);
void		 tn_free(struct tn *tn);

/*
 * Hand the connection to another owner (the broker's connection becomes
 * a console client's): its callbacks from now on, negotiation and all
 * as they stand.
 */
void		 tn_rebind(struct tn *tn, const struct tn_ops *ops, void *arg);

/* The window size the last NAWS left (0: not known). */
void		 tn_winsize_last(const struct tn *tn, unsigned *cols,
		    unsigned *rows);

/* Send our opening negotiation. */
void		 tn_start(struct tn *tn);

/*
 * Accept COM-PORT-OPTION (RFC 2217) from this peer: its WILL is answered
 * with DO (the client offers the option, the server takes it), BINARY is
 * then asked for both ways, since an RFC 2217 client is a program that
 * talks to a serial line, and its subnegotiations go to ops->comport.
 * Call before tn_start and tn_recv.  Returns -1 when out of memory; the
 * tn then goes on without the option.
 */
int		 tn_enable_comport(struct tn *tn);

/* Has the peer enabled COM-PORT-OPTION? */
int		 tn_comport(const struct tn *tn);

/*
 * TTYHUB-CONTROL: a private Telnet option (doc/PROTOCOL.md) that the
 * ttyhub client offers (WILL) and the broker takes (DO), carrying the
 * in-session commands and their answers as subnegotiations:
 * IAC SB TN_TELOPT_TTYHUB <code> <text> IAC SE, text printable ASCII
 * (and TAB) of at most TN_CTL_TEXT_MAX bytes.  Plain Telnet peers never
 * see it: the server never offers it and refuses it where it was not
 * enabled.  Unknown codes are ignored by both sides, so either may add
 * some without breaking the other.
 */
#define TN_TELOPT_TTYHUB	172
#define TN_CTL_TEXT_MAX		1024

enum tn_ctl_code {
	/* Client to server. */
	TN_CTL_RO = 1,		/* become read-only */
	TN_CTL_RW = 2,		/* ask to write */
	TN_CTL_FORCE = 3,	/* take over writing */
	TN_CTL_WHO = 4,		/* who is attached */
	TN_CTL_REPLAY = 5,	/* send recent output again; text: bytes */
	TN_CTL_PING = 6,	/* answered by PONG with the same text */
	TN_CTL_LOGIN = 7,	/* "USER<TAB>PASSWORD", asked by LOGIN-ASK */
	/* Server to client. */
	TN_CTL_STATE = 65,	/* "NAME ROLE BACKEND": attached, or changed */
	TN_CTL_NOTICE = 66,	/* a notice, instead of one in the data */
	TN_CTL_ERROR = 67,	/* "CODE text": a request or attach refused */
	TN_CTL_WHO_LINE = 68,	/* "ROLE<TAB>you|-<TAB>PEER", one per client */
	TN_CTL_WHO_END = 69,	/* the end of a WHO answer */
	TN_CTL_REPLAY_END = 70,	/* replayed output ends here */
	TN_CTL_PONG = 71,	/* everything before PING has been acted on */
	TN_CTL_LOGIN_ASK = 72,	/* log in first: "password" */
};

/*
 * Accept TTYHUB-CONTROL from this peer (broker clients): its WILL is
 * answered with DO and its subnegotiations go to ops->ctl.  Call before
 * tn_start and tn_recv.  Returns -1 when out of memory; the tn then goes
 * on without the option.
 */
int		 tn_enable_ctl(struct tn *tn);

/* Has the peer enabled TTYHUB-CONTROL? */
int		 tn_ctl(const struct tn *tn);

/*
 * Send a TTYHUB-CONTROL message (the peer must have enabled the option);
 * text is cut at TN_CTL_TEXT_MAX bytes.
 */
void		 tn_send_ctl(struct tn *tn, enum tn_ctl_code code,
		    const char *text, size_t len);

/*
 * Feed bytes received from the peer.  Plain data between commands is
 * taken in bulk (runs without IAC, and doubled IACs), the rest through
 * libtelnet.
 */
void		 tn_recv(struct tn *tn, const uint8_t *buf, size_t len);

/*
 * From now on every byte goes through libtelnet, as before the bulk
 * path: slower, the same events and data.  The reference that the unit
 * test and the fuzzer compare the bulk path with.
 */
void		 tn_bytewise(struct tn *tn);

/* Send text of our own (notices), escaping IAC; no CR/LF translation. */
void		 tn_send_text(struct tn *tn, const char *text, size_t len);

/*
 * What negotiation left us.  NULL when the peer said nothing usable; a
 * variable sent empty or without a value was not given, so a kept value
 * is never empty.
 */
const char	*tn_term(const struct tn *tn);
const char	*tn_user(const struct tn *tn);
size_t		 tn_env_count(const struct tn *tn);
const struct tn_env *tn_env_at(const struct tn *tn, size_t i);
int		 tn_settled(const struct tn *tn);

/* Validators, exposed for the daemon and for tests. */
int		 tn_term_valid(const char *s, size_t len);
int		 tn_user_valid(const char *s, size_t len);

/*
 * Double every IAC in src into dst, which must have room for 2 * len
 * bytes.  Returns the number of bytes written.  This is the bulk path for
 * session output; it scans with memchr so plain data is a memcpy.
 */
size_t		 tn_escape(uint8_t *dst, const uint8_t *src, size_t len);

/*
 * The first w bytes of esc, a stream tn_escape made (starting on a pair
 * boundary), reached the peer: how many source bytes they carried, and
 * in *half whether the last of them was an IAC whose second byte did not
 * go, which the writer then owes before anything else.  One answer for
 * every short write of escaped output (sessions, console clients).
 */
size_t		 tn_escaped_taken(const uint8_t *esc, size_t w, int *half);

#endif
