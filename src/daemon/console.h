/*
 * console: a named terminal that outlives its clients.
 *
 * A console has one backend, a ring of its output, any number of members
 * (its clients, each a position in the ring and a role), and an optional
 * log.  The backend is read whenever it has output: the ring never
 * waits, and a member that falls more than the ring's size behind is
 * skipped ahead or dropped (slow = drop | disconnect), so no client can
 * slow the backend, the log or the other clients.  Input from writers
 * goes through one bounded queue to the backend; writers are read only
 * while it has room.
 *
 * The console knows its members only as struct console_member: the
 * connection types that attach (client.c: Telnet and raw clients) embed
 * one and fill its ops, so the arrows run one way, client -> console.
 * Listeners are not the console's: whoever opens them (hub.c) attaches
 * what they accept.
 */
#ifndef TTYHUB_CONSOLE_H
#define TTYHUB_CONSOLE_H

#include <sys/queue.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "config.h"
#include "log.h"
#include "../ring/ring.h"

struct console;
struct console_member;
struct server;
struct rfc2217_req;
struct rfc2217_state;
struct conlog;

#define CONSOLE_IN_MAX	(16 * 1024)	/* writers' input queued to backend */

enum console_state {
	CONSOLE_DOWN,		/* waiting to open the backend again */
	CONSOLE_CONNECTING,
	CONSOLE_UP,
};

/*
 * What the console asks of a member.  Each may be called from inside
 * another member's callback: a member must not free another, and may
 * free itself only in kick and close (it is then detached first).
 */
struct console_member_ops {
	/*
	 * There is new output in the ring, or the member's role or the
	 * backend's state changed: write what can be written now.  A member
	 * found too far behind is dealt with here (skipped or closed).
	 */
	void	(*kick)(struct console_member *m);
	/* A notice for this member alone. */
	void	(*notice)(struct console_member *m, const char *text);
	/* The console is going: detach, and close with why (or quietly). */
	void	(*close)(struct console_member *m, const char *why);
	/* The writers' queue has room again, or not: read a writer or not. */
	void	(*events)(struct console_member *m);
	/* RFC 2217: the modem lines changed (NOTIFY-MODEMSTATE form). */
	void	(*modem)(struct console_member *m, uint8_t state);
};

/* A client as the console sees it.  All zero but ops and peer to start. */
struct console_member {
	TAILQ_ENTRY(console_member) entry;
	const struct console_member_ops *ops;
	struct console		*con;		/* NULL until attached */
	const char		*peer;		/* for people: notices, logs */

	uint64_t		 pos;		/* next ring byte to send */

	/* Role. */
	int			 may_write;	/* listener and ACL allow it */
	int			 ro;		/* attached read-only now */
	int			 chose_ro;	/* asked for read-only */
	int			 told_ro;	/* was told its input is ignored */
	int			 quiet;		/* no join/leave notices */
	unsigned		 cols, rows;	/* its window, 0 unknown */

	/* RFC 2217 (COM-PORT-OPTION), on serial consoles. */
	int			 comport;	/* it has sent a request */
	uint8_t			 modem_mask;
	struct log_rate		 lr_comport;	/* requests that change nothing */
};

TAILQ_HEAD(console_members, console_member);

struct console {
	TAILQ_ENTRY(console)	 entry;
	struct server		*srv;
	uint64_t		 id;		/* never reused in this process */
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
	struct console_members	 members;
	unsigned		 nmembers;
	struct console_member	*writer;	/* writers = one */
	struct evbuffer		*to_be;		/* writers' input */

	struct conlog		*log;

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
 * Make a console from its configuration: log opened (nothing written in
 * it yet).  Returns NULL with a message in err.
 */
struct console	*console_new(struct server *srv, const struct cfg_console *cfg,
		    char *err, size_t errlen);

/*
 * The daemon runs: log that the console started and open its backend
 * from the loop.  A console freed before this leaves its log as it was.
 */
void		 console_start(struct console *con);

/* Tell the members why, close them, and free everything. */
void		 console_free(struct console *con, const char *why);

struct console	*console_find(struct server *srv, const char *name);

/*
 * Members (console-member.c).  console_attach puts m at the replay's
 * start (or at the live output) and gives it its role; console_detach
 * takes it out, passing the writer's role on if it had it.
 */
void		 console_attach(struct console *con, struct console_member *m,
		    int replay);
void		 console_detach(struct console *con, struct console_member *m);
/* Input from a writer; returns bytes taken (0 when full or down). */
size_t		 console_input(struct console *con, struct console_member *m,
		    const uint8_t *buf, size_t len);
/* May a writer be read: has the writers' queue room? */
int		 console_input_room(const struct console *con);
/* Drop the writers' input not yet sent (RFC 2217 PURGE-DATA). */
void		 console_input_purge(struct console *con);
int		 console_break(struct console *con, struct console_member *m);
void		 console_winsize(struct console *con, struct console_member *m,
		    unsigned cols, unsigned rows);
/* Make m the writer (force), demoting the current one. */
void		 console_take_write(struct console *con,
		    struct console_member *m);
void		 console_pass_write(struct console *con);
/*
 * m chooses to read only (~r), and is told; with writers = one the next
 * in line writes.
 */
void		 console_choose_ro(struct console *con,
		    struct console_member *m);
/*
 * m asks to write (~w), or takes over from the writer (force, ~f).
 * Returns 0 (it writes, and is told), or -1 with errno EPERM (it may not
 * write here) or EBUSY (con->writer writes, and m did not force).
 */
int		 console_choose_rw(struct console *con,
		    struct console_member *m, int force);
/* 0 read-only, 1 read-write, 2 the writer (writers = one). */
int		 console_role(const struct console *con,
		    const struct console_member *m);
const char	*console_role_str(int role);
/* Set m's position back by up to want bytes of recent output. */
void		 console_rewind(struct console *con, struct console_member *m,
		    uint64_t want);
/* A line of text to every member but `except` (notices). */
void		 console_notice(struct console *con,
		    struct console_member *except, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/* An event line in the console's log (and the daemon's debug log). */
void		 console_log_event(struct console *con, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * RFC 2217 (COM-PORT-OPTION) on consoles whose backend has a line.  A
 * request from m is carried out (the caller has already turned a
 * reader's change into a query) and st filled with what is in effect,
 * for the reply.  PURGE-DATA's receive side is m's own; its transmit
 * side is the writers' queue and the device's, untouched by a reader.
 * -1 with EOPNOTSUPP when the backend has no line.
 */
int		 console_has_comport(const struct console *con);
int		 console_comport(struct console *con, struct console_member *m,
		    const struct rfc2217_req *req, struct rfc2217_state *st);
/* A member's wish for modem-line changes came or went: recount. */
void		 console_comport_watch(struct console *con);

/* Reload: adopt an identical section of a new config. */
void		 console_adopt(struct console *con, const struct cfg_console *cfg);

/* Logs: reopen for rotation. */
void		 console_reopen_logs(struct server *srv);

const char	*console_state_str(const struct console *con);
const char	*console_type_str(const struct console *con);

#endif
