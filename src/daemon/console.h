/*
 * console: a named terminal that outlives its clients.
 *
 * A console has one backend, a ring of its output, any number of attached
 * clients (each a position in the ring), an optional log, and the
 * listeners that lead to it.  The backend is read whenever it has output:
 * the ring never waits, and a client that falls more than the ring's size
 * behind is skipped ahead or dropped (slow = drop | disconnect), so no
 * client can slow the backend, the log or the other clients.  Input from
 * writers goes through one bounded queue to the backend; writers are read
 * only while it has room.
 */
#ifndef TTYHUB_CONSOLE_H
#define TTYHUB_CONSOLE_H

#include <sys/queue.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "log.h"
#include "../ring/ring.h"

struct client;
struct server;
struct rfc2217_req;
struct rfc2217_state;
struct listener;
struct conlog;

#define CONSOLE_IN_MAX	(16 * 1024)	/* writers' input queued to backend */

enum console_state {
	CONSOLE_DOWN,		/* waiting to open the backend again */
	CONSOLE_CONNECTING,
	CONSOLE_UP,
};

TAILQ_HEAD(client_list, client);

struct console {
	TAILQ_ENTRY(console)	 entry;
	struct server		*srv;
	/*
	 * Points into the running struct config.  A reload that leaves the
	 * section as it was moves this to the new config's identical copy.
	 */
	const struct cfg_console *cfg;
	const char		*name;		/* cfg->name */

	struct backend		*be;
	enum console_state	 state;
	unsigned		 failures;	/* opens failed in a row */
	char			 down_why[128];
	int			 told_down;	/* clients were told */
	int			 no_retry;	/* down for good (restart = no) */

	struct ring		 ring;
	uint64_t		 live;		/* where the latest read began */
	size_t			 batch;		/* output not yet fanned out */
	struct client_list	 clients;
	unsigned		 nclients;
	struct client		*writer;	/* writers = one */
	struct evbuffer		*to_be;		/* writers' input */

	struct conlog		*log;
	struct listener		*listeners[CFG_LISTEN_MAX];
	size_t			 nlisteners;

	struct event		*be_rd;
	struct event		*be_wr;
	struct event		*retry;
	unsigned		 armed;

	uint64_t		 bytes_in;	/* to the backend */
	uint64_t		 bytes_out;	/* from the backend */
	int			 started;	/* console_start ran */
	int			 closing;

	/* What its backend can make us say again and again. */
	struct log_rate		 lr_deaf;	/* it does not read */
	struct log_rate		 lr_up;		/* it comes and goes */
	struct log_rate		 lr_down;
};

/*
 * Make a console from its configuration: listeners bound, log opened
 * (nothing written in it yet).  Returns NULL with a message in err.
 */
struct console	*console_new(struct server *srv, const struct cfg_console *cfg,
		    char *err, size_t errlen);

/*
 * The daemon runs: log that the console started and open its backend
 * from the loop.  A console freed before this leaves its log as it was.
 */
void		 console_start(struct console *con);

/* Tell the clients why, detach them, and free everything. */
void		 console_free(struct console *con, const char *why);

struct console	*console_find(struct server *srv, const char *name);

/* Clients. */
void		 console_attach(struct console *con, struct client *c,
		    int replay);
void		 console_detach(struct console *con, struct client *c);
/* Input from a client; returns bytes taken (0 when full). */
size_t		 console_input(struct console *con, struct client *c,
		    const uint8_t *buf, size_t len);
int		 console_break(struct console *con, struct client *c);
void		 console_winsize(struct console *con, struct client *c,
		    unsigned cols, unsigned rows);
/* Make c the writer (force), demoting the current one. */
void		 console_take_write(struct console *con, struct client *c);
void		 console_pass_write(struct console *con);
/* A line of text to every client but `except` (notices). */
void		 console_notice(struct console *con, struct client *except,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* An event line in the console's log (and the daemon's debug log). */
void		 console_log_event(struct console *con, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* Writers' input queue has room again: read writers. */
int		 console_input_room(const struct console *con);

/*
 * RFC 2217 (COM-PORT-OPTION) on consoles whose backend has a line.  A
 * request from c is carried out (client.c has already turned a reader's
 * change into a query) and st filled with what is in effect, for the
 * reply.  PURGE-DATA's receive side is c's own; its transmit side is the
 * writers' queue and the device's, untouched by a reader.  -1 with
 * EOPNOTSUPP when the backend has no line.
 */
int		 console_has_comport(const struct console *con);
int		 console_comport(struct console *con, struct client *c,
		    const struct rfc2217_req *req, struct rfc2217_state *st);
/* A client's wish for modem-line changes came or went: recount. */
void		 console_comport_watch(struct console *con);

/* Reload: adopt an identical section of a new config. */
void		 console_adopt(struct console *con, const struct cfg_console *cfg);

/* Logs: reopen for rotation. */
void		 console_reopen_logs(struct server *srv);

const char	*console_state_str(const struct console *con);
const char	*console_type_str(const struct console *con);

#endif
