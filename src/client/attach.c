/*
 * attach: `ttyhub NAME`, the user's terminal on a console.
 *
 * The terminal is raw while attached and is put back on every way out:
 * each ends the loop through attach_leave, and the terminal is restored
 * once, after the loop, before the last message; tty.c covers exits that
 * never reach that point.  Callbacks never close the connection or exit
 * themselves: they say what should happen and break the loop.
 *
 * What the user types goes through the escape machine (escape.c) when
 * stdin is a terminal.  From a pipe, bytes go as they are, and at the end
 * of the input ttyhub waits until the daemon has acted on all of it (a
 * PING answered) and the console has been quiet for a moment, so that a
 * script sees the answer to what it sent.
 *
 * Everything ttyhub says itself is one line "[ttyhub: ...]" on stderr,
 * built only from clean text (clean.c), so the network cannot put
 * control bytes into it or pass its own words off as ours.
 */
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "../telnet/tn.h"
#include "clean.h"
#include "client.h"
#include "escape.h"
#include "tty.h"

#define ATTACH_READ_MAX		4096
#define ATTACH_BACKOFF_MIN_MS	250
#define ATTACH_BACKOFF_MAX_MS	5000
#define ATTACH_QUIET_MS		1000	/* after EOF: console quiet this long */
#define ATTACH_LINGER_MAX_MS	10000	/* after EOF: at most this long */
#define ATTACH_FLUSH_MS		500	/* detach: time to send what was typed */

enum attach_wait {
	ATTACH_WAIT_NONE,
	ATTACH_WAIT_RETRY,	/* reconnecting */
	ATTACH_WAIT_QUIET,	/* end of input: waiting for quiet */
};

struct attach {
	const struct opts	*o;
	struct event_base	*base;
	struct conn		 conn;
	char			 mode[64];
	char			 name[4 * 64 + 1];	/* clean, for messages */
	struct escape		 esc;

	int			 tty;		/* stdin is a terminal */
	int			 out_tty;	/* stdout is a terminal */
	int			 col0;		/* output is at column 0 */

	int			 attached;
	int			 was_attached;	/* once, ever */
	int			 ctl;		/* the daemon speaks protocol 2 */
	char			 role[16];
	char			 error[600];	/* an ERROR before attaching */
	char			 error_code[32];
	char			 last_notice[512];
	int			 replays;	/* ~l REPLAY-ENDs owed */
	unsigned		 who_lines;

	int			 reading;
	int			 in_eof;
	int			 pinged;
	int			 ignored;	/* the daemon dropped some input */

	int			 away;		/* lost; reconnecting */
	int			 told_away;
	int			 told_dropped;
	int			 told_stalled;
	unsigned		 backoff_ms;

	enum attach_wait	 wait;
	struct timeval		 linger_end;

	int			 done;
	int			 status;
	int			 detach;	/* leaving by ~.: flush first */
	char			 final[700];	/* the last line, after restore */
	int			 final_plain;	/* "ttyhub: ..." not "[ttyhub: ...]" */

	struct event		*in;
	struct event		*timer;
	struct event		*sig[8];
	size_t			 nsig;
};

static const struct {
	int		 sig;
	const char	*name;
} attach_signames[] = {
	{ SIGTERM, "SIGTERM" }, { SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" },
	{ SIGQUIT, "SIGQUIT" },
};

static void	attach_connect(struct attach *);
static void	attach_reading(struct attach *, int);

/* "[ttyhub: TEXT]" on a line of its own.  text must be clean. */
static void	attach_say(struct attach *a, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static void
attach_say(struct attach *a, const char *fmt, ...)
{
	char	text[1024], line[1100];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (tty_is_raw()) {
		n = snprintf(line, sizeof line, "%s[ttyhub: %s]\r\n",
		    a->col0 ? "" : "\r\n", text);
	} else {
		n = snprintf(line, sizeof line, "%s[ttyhub: %s]\n",
		    a->col0 || !a->out_tty ? "" : "\n", text);
	}
	if (n > 0) {
		(void)ui_write(STDERR_FILENO, line, (size_t)n <
		    sizeof line ? (size_t)n : sizeof line - 1);
	}
	a->col0 = 1;
}

/* End the session: what to say once the terminal is back, and the status. */
static void	attach_leave(struct attach *a, int status, int plain, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));

static void
attach_leave(struct attach *a, int status, int plain, const char *fmt, ...)
{
	va_list	ap;

	if (a->done) {
		return;
	}
	a->done = 1;
	a->status = status;
	a->final_plain = plain;
	a->final[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		(void)vsnprintf(a->final, sizeof a->final, fmt, ap);
		va_end(ap);
	}
	event_base_loopbreak(a->base);
}

static void
attach_timer(struct attach *a, enum attach_wait wait, unsigned ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	a->wait = wait;
	evtimer_add(a->timer, &tv);
}

/*
 * The end of piped input, acted on by the daemon: leave once the console
 * has been quiet for a moment (attach_data restarts the wait), and after
 * ATTACH_LINGER_MAX_MS however chatty it is.
 */
static void
attach_linger(struct attach *a)
{
	gettimeofday(&a->linger_end, NULL);
	a->linger_end.tv_sec += ATTACH_LINGER_MAX_MS / 1000;
	attach_timer(a, ATTACH_WAIT_QUIET, ATTACH_QUIET_MS);
}

/*
 * The session is over after the end of piped input.  Input the daemon
 * ignored (read-only) was not delivered: a script must be able to tell.
 */
static void
attach_input_done(struct attach *a)
{
	if (a->ignored) {
		attach_leave(a, EXIT_ERR, 0, "%s: read-only: the input was not "
		    "sent", a->name);
	} else {
		attach_leave(a, EXIT_OK, 0, NULL);
	}
}

/* Lost, or not there yet: try again later, or give up. */
static void	attach_lost(struct attach *a, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static void
attach_lost(struct attach *a, const char *fmt, ...)
{
	char	why[600], e[8];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	a->attached = 0;
	if (!a->o->reconnect || a->in_eof) {
		attach_leave(a, EXIT_ERR, 0, "%s", why);
		return;
	}
	if (!a->told_away) {
		a->told_away = 1;
		if (a->tty && a->esc.ch != ESCAPE_NONE) {
			attach_say(a, "%s; reconnecting (%s. leaves)", why,
			    escape_name(a->esc.ch, e, sizeof e));
		} else {
			attach_say(a, "%s; reconnecting", why);
		}
	}
	a->away = 1;
	a->told_dropped = 0;
	attach_timer(a, ATTACH_WAIT_RETRY, a->backoff_ms);
	a->backoff_ms = a->backoff_ms * 2 > ATTACH_BACKOFF_MAX_MS ?
	    ATTACH_BACKOFF_MAX_MS : a->backoff_ms * 2;
	/* While away the user can still leave with ~. */
	attach_reading(a, a->tty);
}

static void
attach_resize(struct attach *a)
{
	unsigned	cols, rows;

	if (tty_size(STDIN_FILENO, &cols, &rows) == 0 ||
	    tty_size(STDOUT_FILENO, &cols, &rows) == 0) {
		conn_winsize(&a->conn, cols, rows);
	}
}

static void
attach_help(struct attach *a)
{
	static const struct {
		const char	*keys;
		const char	*what;
	} help[] = {
		{ ".", "detach" },
		{ "b", "send a BREAK" },
		{ "r", "become read-only" },
		{ "w", "ask to write" },
		{ "f", "force: take over writing" },
		{ "u", "who is attached" },
		{ "l", "replay the recent output" },
		{ "^Z", "suspend ttyhub" },
		{ "?", "this help" },
	};
	char	e[8];
	size_t	i;

	(void)escape_name(a->esc.ch, e, sizeof e);
	attach_say(a, "%s: escapes, typed after Enter:", a->name);
	for (i = 0; i < sizeof help / sizeof help[0]; i++) {
		attach_say(a, "  %s%-3s %s", e, help[i].keys, help[i].what);
	}
	attach_say(a, "  %s%-3s send %s itself", e, e, e);
}

/* A request that needs protocol 2. */
static void
attach_request(struct attach *a, int code, const char *what)
{
	if (!a->attached) {
		attach_say(a, "%s: not attached", a->name);
		return;
	}
	if (conn_request(&a->conn, code, NULL) == -1) {
		attach_say(a, "%s: this ttyhubd cannot %s (it speaks protocol "
		    "1)", a->name, what);
	}
}

static void
attach_suspend(struct attach *a)
{
	int	raw = tty_is_raw();

	tty_restore();
	(void)kill(getpid(), SIGSTOP);
	/* Continued. */
	if (raw && !a->done) {
		(void)tty_raw(STDIN_FILENO);
		attach_resize(a);
	}
}

static void
attach_command(struct attach *a, enum escape_cmd cmd)
{
	switch (cmd) {
	case ESCAPE_SEND:
		break;
	case ESCAPE_DETACH:
		a->detach = 1;
		attach_leave(a, EXIT_OK, 0, "%s: detached", a->name);
		break;
	case ESCAPE_BREAK:
		if (a->attached) {
			conn_break(&a->conn);
			attach_say(a, "%s: BREAK", a->name);
		} else {
			attach_say(a, "%s: not attached", a->name);
		}
		break;
	case ESCAPE_RO:
		attach_request(a, TN_CTL_RO, "make you read-only");
		break;
	case ESCAPE_RW:
		attach_request(a, TN_CTL_RW, "give you the write");
		break;
	case ESCAPE_FORCE:
		attach_request(a, TN_CTL_FORCE, "give you the write");
		break;
	case ESCAPE_WHO:
		a->who_lines = 0;
		attach_request(a, TN_CTL_WHO, "say who is attached");
		break;
	case ESCAPE_REPLAY:
		if (a->attached && a->ctl) {
			a->replays++;
			attach_say(a, "%s: replaying the recent output", a->name);
		}
		attach_request(a, TN_CTL_REPLAY, "replay");
		break;
	case ESCAPE_SUSPEND:
		attach_suspend(a);
		break;
	case ESCAPE_HELP:
		attach_help(a);
		break;
	}
}

/* Typed bytes for the console, while attached (or dropped while away). */
static void
attach_input(struct attach *a, const uint8_t *buf, size_t len)
{
	if (len == 0) {
		return;
	}
	if (!a->attached) {
		if (!a->told_dropped) {
			a->told_dropped = 1;
			attach_say(a, "%s: not attached: input dropped", a->name);
		}
		return;
	}
	if (a->tty && conn_pending(&a->conn) >= CONN_OUT_MAX) {
		/*
		 * The console takes nothing (its queue in the daemon is full).
		 * From a terminal we keep reading, so that an escape still
		 * works; what is typed meanwhile is dropped, and said so.
		 */
		if (!a->told_stalled) {
			a->told_stalled = 1;
			attach_say(a, "%s: the console takes no input: what is "
			    "typed is dropped", a->name);
		}
		return;
	}
	a->told_stalled = 0;
	conn_send(&a->conn, buf, len);
}

static void
attach_on_stdin(evutil_socket_t fd, short what, void *arg)
{
	struct attach	*a = arg;
	uint8_t		 buf[ATTACH_READ_MAX], out[2 * ATTACH_READ_MAX], o2[2];
	size_t		 i, n = 0, olen;
	ssize_t		 r;
	enum escape_cmd	 cmd;

	(void)what;
	r = read(fd, buf, sizeof buf);
	if (r == -1 && (errno == EINTR || errno == EAGAIN)) {
		return;
	}
	if (r <= 0) {
		attach_reading(a, 0);
		a->in_eof = 1;
		if (r == -1 || a->tty) {
			/* A terminal gives EOF or EIO only when it is gone. */
			attach_leave(a, r == -1 ? EXIT_ERR : EXIT_OK, 0,
			    "%s: end of input", a->name);
			return;
		}
		if (!a->attached) {
			attach_leave(a, EXIT_OK, 0, NULL);
		} else if (a->ctl && conn_request(&a->conn, TN_CTL_PING,
		    "eof") == 0) {
			a->pinged = 1;
		} else {
			attach_linger(a);
		}
		return;
	}
	for (i = 0; i < (size_t)r && !a->done; i++) {
		cmd = escape_byte(&a->esc, buf[i], o2, &olen);
		memcpy(out + n, o2, olen);
		n += olen;
		if (cmd != ESCAPE_SEND) {
			attach_input(a, out, n);
			n = 0;
			attach_command(a, cmd);
		}
	}
	if (!a->done) {
		attach_input(a, out, n);
	}
	/*
	 * From a pipe, sent faster than the daemon takes it: read again
	 * when it has taken some (attach_drained).
	 */
	if (!a->tty && conn_pending(&a->conn) >= CONN_OUT_MAX) {
		attach_reading(a, 0);
	}
}

static void
attach_reading(struct attach *a, int on)
{
	if (a->in_eof) {
		on = 0;
	}
	if (on && !a->reading) {
		event_add(a->in, NULL);
	} else if (!on && a->reading) {
		event_del(a->in);
	}
	a->reading = on;
}

/* conn callbacks. */

static void
attach_data(void *arg, const uint8_t *buf, size_t len)
{
	struct attach	*a = arg;
	struct timeval	 now, left;
	unsigned	 ms;

	if (a->done) {
		return;
	}
	if (ui_write(STDOUT_FILENO, buf, len) == -1) {
		if (errno == EPIPE) {
			attach_leave(a, EXIT_OK, 0, NULL);
		} else {
			attach_leave(a, EXIT_ERR, 1, "standard output: %s",
			    strerror(errno));
		}
		return;
	}
	a->col0 = buf[len - 1] == '\n';
	if (a->wait == ATTACH_WAIT_QUIET) {
		/* Not quiet yet: wait again, up to the limit. */
		gettimeofday(&now, NULL);
		timersub(&a->linger_end, &now, &left);
		ms = left.tv_sec < 0 ? 0 : (unsigned)(left.tv_sec * 1000 +
		    left.tv_usec / 1000);
		attach_timer(a, ATTACH_WAIT_QUIET, ms < ATTACH_QUIET_MS ? ms :
		    ATTACH_QUIET_MS);
	}
}

/* "NAME ROLE BACKEND" */
static void
attach_state(struct attach *a, const char *text)
{
	char	name[65], role[16], backend[16];
	char	e[8];

	if (sscanf(text, "%64s %15s %15s", name, role, backend) != 3) {
		return;
	}
	memcpy(a->role, role, sizeof role);
	if (a->attached) {
		return;		/* notices have said what changed */
	}
	a->attached = 1;
	a->was_attached = 1;
	a->backoff_ms = ATTACH_BACKOFF_MIN_MS;
	if (a->away) {
		a->away = 0;
		a->told_away = 0;
		attach_say(a, "%s: reconnected (%s)", a->name, role);
	} else if (!a->tty) {
		/* From a script: nothing to say. */
	} else if (a->esc.ch == ESCAPE_NONE) {
		attach_say(a, "attached to %s (%s)", a->name, role);
	} else {
		(void)escape_name(a->esc.ch, e, sizeof e);
		attach_say(a, "attached to %s (%s); %s? for help", a->name, role,
		    e);
	}
	attach_reading(a, 1);
}

static void
attach_error(struct attach *a, const char *text)
{
	size_t	n = strcspn(text, " ");
	char	e[8];

	if (n >= sizeof a->error_code) {
		n = sizeof a->error_code - 1;
	}
	if (!a->attached) {
		memcpy(a->error_code, text, n);
		a->error_code[n] = '\0';
		snprintf(a->error, sizeof a->error, "%s", text[n] == ' ' ?
		    text + n + 1 : text + n);
		return;
	}
	if (strncmp(text, "ignored ", 8) == 0) {
		a->ignored = 1;		/* a NOTICE has said so */
		return;
	}
	if (strncmp(text, "noreplay ", 9) == 0 && a->replays > 0) {
		a->replays--;	/* no REPLAY-END will come for it */
	}
	if (strncmp(text, "busy ", 5) == 0 && a->esc.ch != ESCAPE_NONE) {
		attach_say(a, "%s (%sf takes over)", text + 5,
		    escape_name(a->esc.ch, e, sizeof e));
	} else {
		attach_say(a, "%s", text[n] == ' ' ? text + n + 1 : text);
	}
}

static void
attach_ctl(void *arg, int code, const char *text)
{
	struct attach	*a = arg;
	char		 role[16], you[8];
	const char	*peer;

	if (a->done) {
		return;
	}
	switch (code) {
	case TN_CTL_STATE:
		attach_state(a, text);
		break;
	case TN_CTL_NOTICE:
		snprintf(a->last_notice, sizeof a->last_notice, "%s", text);
		attach_say(a, "%s", text);
		break;
	case TN_CTL_ERROR:
		attach_error(a, text);
		break;
	case TN_CTL_WHO_LINE:
		/* "ROLE<TAB>you|-<TAB>PEER" */
		a->who_lines++;
		if (sscanf(text, "%15[^\t]\t%7[^\t]\t", role, you) != 2 ||
		    (peer = strchr(strchr(text, '\t') + 1, '\t')) == NULL) {
			break;
		}
		attach_say(a, "%s: %-6s %s%s", a->name, role, peer + 1,
		    strcmp(you, "you") == 0 ? " (you)" : "");
		break;
	case TN_CTL_WHO_END:
		if ((unsigned)atoi(text) > a->who_lines) {
			attach_say(a, "%s: %s clients in all", a->name, text);
		}
		break;
	case TN_CTL_REPLAY_END:
		if (a->replays > 0) {
			a->replays--;
			attach_say(a, "%s: end of replay", a->name);
		}
		break;
	case TN_CTL_PONG:
		if (a->pinged) {
			a->pinged = 0;
			attach_linger(a);
		}
		break;
	}
}

static void
attach_ready(void *arg, int ctl)
{
	struct attach	*a = arg;

	a->ctl = ctl;
	if (ctl) {
		return;		/* STATE or ERROR follows */
	}
	/* Protocol 1: attached as soon as it has the name; no STATE. */
	a->attached = 1;
	a->was_attached = 1;
	a->away = 0;
	a->told_away = 0;
	if (a->tty) {
		attach_say(a, "attached to %s (no TTYHUB-CONTROL here: ~r ~w "
		    "~f ~u ~l do not work)", a->name);
	}
	attach_reading(a, 1);
}

static void
attach_closed(void *arg, const char *why)
{
	struct attach	*a = arg;

	if (a->done) {
		return;
	}
	attach_reading(a, a->tty && a->o->reconnect);
	if (a->error_code[0] != '\0') {
		if (strcmp(a->error_code, "noconsole") == 0) {
			a->error_code[0] = '\0';
			if (a->o->lookup && !a->was_attached) {
				/* Not here: ttyhub.c looks elsewhere. */
				attach_leave(a, EXIT_ELSEWHERE, 1, NULL);
				return;
			}
			if (a->o->reconnect && !a->in_eof) {
				attach_lost(a, "%s: no console of that name",
				    a->name);
				return;
			}
			attach_leave(a, EXIT_ERR, 1, "no console named \"%s\" "
			    "(%s -l lists them)", a->name, PROGNAME);
			return;
		}
		attach_leave(a, EXIT_ERR, 1, "%s", a->error);
		return;
	}
	if (a->in_eof && a->attached) {
		attach_input_done(a);
		return;
	}
	if (why == NULL) {
		attach_lost(a, "%s: ttyhubd closed the connection", a->name);
	} else {
		attach_lost(a, "%s: connection to ttyhubd lost: %s", a->name,
		    why);
	}
}

static void
attach_drained(void *arg)
{
	struct attach	*a = arg;

	if (a->attached && !a->done) {
		attach_reading(a, 1);
	}
}

/* Not a daemon we can use: trying again would not help. */
static void
attach_refused(void *arg, const char *why)
{
	struct attach	*a = arg;

	attach_leave(a, EXIT_ERR, 1, "%s", why);
}

static const struct conn_ops attach_conn_ops = {
	.data = attach_data,
	.ctl = attach_ctl,
	.ready = attach_ready,
	.closed = attach_closed,
	.drained = attach_drained,
	.refused = attach_refused,
};

static void
attach_connect(struct attach *a)
{
	char	err[300], where[300];

	a->error_code[0] = '\0';
	if (conn_open(&a->conn, err, sizeof err) == 0) {
		attach_resize(a);
		return;
	}
	(void)clean_text(where, sizeof where, a->o->socket,
	    strlen(a->o->socket), 0);
	if (a->o->lookup && !a->was_attached && (a->conn.error == ENOENT ||
	    a->conn.error == ECONNREFUSED)) {
		/* No daemon here: ttyhub.c looks elsewhere, and says this. */
		snprintf(a->o->local_why, a->o->local_whylen, "cannot connect "
		    "to ttyhubd at %s: %s", where, err);
		attach_leave(a, EXIT_ELSEWHERE, 1, NULL);
		return;
	}
	if (a->o->reconnect && !a->in_eof) {
		attach_lost(a, "%s: cannot connect to ttyhubd at %s: %s",
		    a->name, where, err);
		return;
	}
	attach_leave(a, EXIT_ERR, 1, "cannot connect to ttyhubd at %s: %s "
	    "(%s)", where, err, conn_advice(&a->conn));
}

static void
attach_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct attach	*a = arg;
	enum attach_wait wait = a->wait;

	(void)fd;
	(void)what;
	a->wait = ATTACH_WAIT_NONE;
	switch (wait) {
	case ATTACH_WAIT_RETRY:
		attach_connect(a);
		break;
	case ATTACH_WAIT_QUIET:
		attach_input_done(a);
		break;
	case ATTACH_WAIT_NONE:
		break;
	}
}

static void
attach_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct attach	*a = arg;
	size_t		 i;

	(void)what;
	switch (sig) {
	case SIGWINCH:
		attach_resize(a);
		return;
	case SIGTSTP:
		attach_suspend(a);
		return;
	case SIGCONT:
		/* Stopped by someone else and continued: raw again. */
		if (a->tty && !tty_is_raw() && !a->done) {
			(void)tty_raw(STDIN_FILENO);
			attach_resize(a);
		}
		return;
	}
	for (i = 0; i < sizeof attach_signames / sizeof attach_signames[0];
	    i++) {
		if (attach_signames[i].sig == sig) {
			attach_leave(a, EXIT_SIGNAL + (int)sig, 0, "%s: %s: "
			    "detached", a->name, attach_signames[i].name);
			return;
		}
	}
}

static int
attach_signals(struct attach *a)
{
	static const int sigs[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT,
	    SIGWINCH, SIGTSTP, SIGCONT };
	size_t		 i;

	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		a->sig[i] = evsignal_new(a->base, sigs[i], attach_on_signal, a);
		if (a->sig[i] == NULL || evsignal_add(a->sig[i], NULL) == -1) {
			return -1;
		}
		a->nsig++;
	}
	return 0;
}

int
attach_main(const struct opts *o)
{
	struct attach		a;
	struct peer_want	want;
	size_t			i;
	int			ch;

	memset(&a, 0, sizeof a);
	a.o = o;
	a.base = ui_base();
	a.tty = isatty(STDIN_FILENO);
	a.out_tty = isatty(STDOUT_FILENO);
	a.col0 = 1;
	a.backoff_ms = ATTACH_BACKOFF_MIN_MS;
	(void)clean_text(a.name, sizeof a.name, o->name, strlen(o->name), 0);
	/* Escapes from a terminal; from a pipe only when asked for (-e). */
	ch = o->escape_set ? o->escape : a.tty ? '~' : ESCAPE_NONE;
	escape_init(&a.esc, ch);

	memset(&want, 0, sizeof want);
	want.console = o->name;
	want.mode = ui_mode(o, NULL, a.mode, sizeof a.mode);
	want.term = getenv("TERM");
	conn_init(&a.conn, a.base, &attach_conn_ops, &a, o, &want);

	a.in = event_new(a.base, STDIN_FILENO, EV_READ | EV_PERSIST,
	    attach_on_stdin, &a);
	a.timer = evtimer_new(a.base, attach_on_timer, &a);
	if (a.in == NULL || a.timer == NULL || attach_signals(&a) == -1) {
		ui_error("out of memory");
		return EXIT_ERR;
	}
	attach_connect(&a);
	if (!a.done && a.tty && tty_raw(STDIN_FILENO) == -1) {
		ui_error("cannot make the terminal raw: %s",
		    strerror(errno));
		a.done = 1;
		a.status = EXIT_ERR;
	}
	if (!a.done) {
		(void)event_base_dispatch(a.base);
	}
	if (a.detach) {
		conn_flush(&a.conn, ATTACH_FLUSH_MS);
	}
	conn_close(&a.conn);
	tty_restore();
	if (a.final[0] != '\0') {
		if (a.final_plain) {
			if (!a.col0 && a.out_tty) {
				(void)ui_write(STDERR_FILENO, "\n", 1);
			}
			ui_error("%s", a.final);
		} else {
			attach_say(&a, "%s", a.final);
		}
	}
	for (i = 0; i < a.nsig; i++) {
		event_free(a.sig[i]);
	}
	event_free(a.in);
	event_free(a.timer);
	return a.status;
}
