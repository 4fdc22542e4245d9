/*
 * client: what the parts of ttyhub(1) share.
 *
 * ttyhub.c reads the command line into struct opts and runs one command.
 * conn.c is one connection to the broker: the socket, the loop's events
 * for it, and peer.c's Telnet glued to them.  attach.c is the
 * interactive session (the terminal, escapes, signals, reconnecting);
 * cmd.c the commands for scripts (list, who, tail, break, send, net),
 * netview.c the tables of networks they show.
 */
#ifndef TTYHUB_CLIENT_H
#define TTYHUB_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "peer.h"

struct event;
struct event_base;
struct evbuffer;
struct tls;
struct tls_ctx;

#define PROGNAME	"ttyhub"
#define PROTOCOL_VERSION 4

/* Exit statuses. */
#define EXIT_OK		0	/* done, or detached */
#define EXIT_ERR	1	/* anything went wrong: the message says what */
#define EXIT_SIGNAL	128	/* + the signal's number */
/* attach_main's own: no such console here; ttyhub.c looks elsewhere. */
#define EXIT_ELSEWHERE	3

/* The command line. */
struct opts {
	const char	*socket;	/* -s: a path or HOST:PORT */
	int		 escape;	/* -e: a byte, or ESCAPE_NONE */
	int		 escape_set;	/* -e was given */
	int		 ro;		/* -r */
	int		 force;		/* -f (attach, break, send) */
	int		 noreplay;	/* --no-replay */
	int		 reconnect;	/* --reconnect */
	int		 follow;	/* tail -f */
	long		 lines;		/* tail -n */
	int		 raw;		/* tail --raw */
	int		 no_enter;	/* send -n */
	const char	*name;		/* the console */
	const char	*text;		/* send: the words joined */

	/* tls://HOST:PORT (--tls-ca, --tls-cert, --tls-key, --user) */
	const char	*tls_ca;	/* NULL: the system's store */
	const char	*tls_cert;	/* our certificate, if asked for */
	const char	*tls_key;
	const char	*user;		/* to log in as, if asked to */
	const char	*tls_name;	/* the certificate's name, if not HOST */
	int		 all;		/* -l --all: every host's */
	unsigned	 timeout_ms;	/* --timeout: for the network */
	const char	*host;		/* NAME@HOST: the host */
	/*
	 * attach may return EXIT_ELSEWHERE instead of saying there is no
	 * such console (or no daemon) here; why it says then, into
	 * local_why.
	 */
	int		 lookup;
	char		*local_why;
	size_t		 local_whylen;
};

/* What a connection tells its user; buffers are borrowed for the call. */
struct conn_ops {
	/* Console output, or a command's answer lines. */
	void	(*data)(void *arg, const uint8_t *buf, size_t len);
	/* A TTYHUB-CONTROL message; text is clean (peer.h). */
	void	(*ctl)(void *arg, int code, const char *text);
	/*
	 * The daemon has our request and answered TTYHUB-CONTROL: ctl says
	 * whether it speaks it (protocol 2) or not.
	 */
	void	(*ready)(void *arg, int ctl);
	/*
	 * The connection is gone and has been closed: why is NULL when the
	 * daemon closed it cleanly, else a reason.
	 */
	void	(*closed)(void *arg, const char *why);
	/* What was queued for the daemon has gone below CONN_OUT_MAX / 2. */
	void	(*drained)(void *arg);
	/*
	 * What answers is no broker we can use (it does not speak Telnet,
	 * or is a console's own socket that cannot say which console); the
	 * connection has been closed and trying again will not help.  why
	 * is clean text that names the socket.
	 */
	void	(*refused)(void *arg, const char *why);
};

struct conn {
	struct event_base	*base;
	const struct conn_ops	*ops;
	void			*arg;
	struct peer_want	 want;
	const char		*where;		/* socket path or HOST:PORT */
	const struct opts	*o;		/* its TLS and login options */
	struct tls_ctx		*tlsctx;	/* tls://, while open */
	struct tls		*tls;
	int			 logins;	/* LOGIN-ASKs answered */

	int			 fd;		/* -1 when not connected */
	struct peer		*peer;
	struct evbuffer		*out;		/* to the daemon */
	struct event		*rd;
	struct event		*wr;
	struct event		*hello;		/* the daemon has said nothing */
	int			 started;	/* it has: our opening went */
	int			 wr_on;
	int			 named;
	int			 ctl;		/* -1 unknown, 0, 1 */
	int			 ready;
	const char		*failed;
	const char		*refusal;	/* not a broker: why */
	uint8_t			 early[256];	/* the tail of what was dropped */
	size_t			 nearly;
	int			 error;		/* errno of the last conn_open */
	unsigned		 cols, rows;	/* sent as NAWS when asked */
	unsigned		 connect_ms;	/* TCP connect, hello: 0 for 10 s */
};

#define CONN_OUT_MAX	(64 * 1024)	/* stop reading the user past this */

/* conn.c */
void		 conn_init(struct conn *c, struct event_base *base,
		    const struct conn_ops *ops, void *arg, const struct opts *o,
		    const struct peer_want *want);
/* Connect and start negotiating.  -1 with a message in err. */
int		 conn_open(struct conn *c, char *err, size_t errlen);
/* What to do about conn_open's last failure, for the user. */
const char	*conn_advice(const struct conn *c);
/* Close (also frees what conn_open made); safe to call twice. */
void		 conn_close(struct conn *c);
int		 conn_is_open(const struct conn *c);
void		 conn_send(struct conn *c, const uint8_t *buf, size_t len);
void		 conn_break(struct conn *c);
int		 conn_request(struct conn *c, int code, const char *text);
void		 conn_winsize(struct conn *c, unsigned cols, unsigned rows);
size_t		 conn_pending(const struct conn *c);
/* Write what is queued, waiting at most ms; best effort, before closing. */
void		 conn_flush(struct conn *c, int ms);

/* conn.c, finding the daemon */
/*
 * Where the daemon is (the top of ttyhub.c says how it is found), in
 * o->socket unless -s gave it.  -1, said, when the default directory is
 * not ours to trust.
 */
int		 conn_where(struct opts *o);

/* ui.c */
struct event_base *ui_base(void);
/* "ttyhub: " + message on stderr, for errors before or after a session. */
void		 ui_error(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
/* Write all of buf to fd, waiting when it is full.  -1 on error. */
int		 ui_write(int fd, const void *buf, size_t len);
/* The TTYHUB_MODE value for opts (and extra words), in buf. */
const char	*ui_mode(const struct opts *o, const char *extra,
		    char *buf, size_t len);

/* attach.c */
int		 attach_main(const struct opts *o);

/* cmd.c */
int		 cmd_list(const struct opts *o);
/*
 * list's table of n answers (TTYHUB_COMMAND=list lines), with a HOST
 * column of hosts[i] for answer i unless hosts is NULL.
 */
void		 cmd_list_table(const char *const *hosts,
		    const uint8_t *const *data, const size_t *len, size_t n);
int		 cmd_who(const struct opts *o);
int		 cmd_tail(const struct opts *o);
int		 cmd_break(const struct opts *o);
int		 cmd_send(const struct opts *o);
int		 cmd_net(const struct opts *o);

/* netview.c */
struct netview;
/*
 * live: each look clears the screen and shows rates since the last;
 * below: a table is above ours, so a blank line comes first.
 */
struct netview	*netview_new(int live, int below);
void		 netview_free(struct netview *nv);
/* TTYHUB_COMMAND=net's answer as tables; returns the networks shown. */
size_t		 netview_print(struct netview *nv, const uint8_t *data,
		    size_t len);

/* hosts.c */
/* ttyhub -l --all: the consoles of every ttyhubd on the network. */
int		 hosts_list(const struct opts *o);
/*
 * ttyhub NAME with no console NAME here, or NAME@HOST: find its host on
 * the network and attach there.
 */
int		 hosts_attach(struct opts *o);

#endif
