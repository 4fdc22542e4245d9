/*
 * cmd: the commands for scripts: list, who, tail, break, send and net.
 *
 * Each is one connection to the broker and one pass of the loop.  list,
 * who and net ask with TTYHUB_COMMAND and read lines until the daemon
 * closes (list asks twice: its consoles, then its networks, which a
 * daemon before protocol 4 does not know: it says so, and we show none;
 * net on a terminal asks again every second);
 * tail attaches read-only and prints the replay (and, with -f, what
 * follows); break and send attach without replay, act once the daemon
 * has said they may write, and leave when a PING sent after the act is
 * answered, so the exit status says whether the daemon acted.  Errors
 * are one line on stderr and exit status 1; anything from the network in
 * them is clean text.
 */
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

#define CMD_DATA_MAX	(16 * 1024 * 1024)	/* list, who; tail's replay */
#define CMD_FIELDS_MAX	8	/* list, who: what we show */
#define CMD_FIELD_MAX	1024

enum cmd_kind {
	CMD_LIST,
	CMD_WHO,
	CMD_TAIL,
	CMD_BREAK,
	CMD_SEND,
	CMD_NET,	/* networks: -l's second half, net NAME */
};

struct cmd {
	enum cmd_kind		 kind;
	const struct opts	*o;
	struct event_base	*base;
	struct conn		 conn;
	char			 mode[64];
	char			 name[4 * 64 + 1];	/* clean */

	uint8_t			*data;		/* answer lines; tail's replay */
	size_t			 len;
	size_t			 cap;

	int			 done;
	int			 status;
	char			 error_code[32];
	char			 error[600];
	char			 last_notice[512];
	int			 attached;
	int			 acted;		/* break, send: PING sent */
	int			 replayed;	/* tail: REPLAY-END seen */
	int			 out_tty;	/* tail: stdout is a terminal */
	int			 col0;		/* tail: output is at column 0 */
	struct netview		*nv;		/* net */
	struct clean		 clean;
	struct event		*sig[3];
};

static void
cmd_leave(struct cmd *c, int status)
{
	if (!c->done) {
		c->done = 1;
		c->status = status;
	}
	event_base_loopbreak(c->base);
}

static void	cmd_fail(struct cmd *c, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static void
cmd_fail(struct cmd *c, const char *fmt, ...)
{
	char	msg[800];
	va_list	ap;

	if (c->done) {
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ui_error("%s", msg);
	cmd_leave(c, EXIT_ERR);
}

/* Keep len bytes; tail keeps the newest CMD_DATA_MAX, the others fail. */
static int
cmd_keep(struct cmd *c, const uint8_t *buf, size_t len)
{
	size_t	cap;
	uint8_t	*p;

	if (len > CMD_DATA_MAX) {
		buf += len - CMD_DATA_MAX;
		len = CMD_DATA_MAX;
	}
	if (c->len + len > CMD_DATA_MAX) {
		if (c->kind != CMD_TAIL) {
			return -1;
		}
		memmove(c->data, c->data + (c->len + len - CMD_DATA_MAX),
		    CMD_DATA_MAX - len);
		c->len = CMD_DATA_MAX - len;
	}
	if (c->len + len > c->cap) {
		cap = c->cap == 0 ? 65536 : c->cap;
		while (cap < c->len + len) {
			cap *= 2;
		}
		if ((p = realloc(c->data, cap)) == NULL) {
			return -1;
		}
		c->data = p;
		c->cap = cap;
	}
	memcpy(c->data + c->len, buf, len);
	c->len += len;
	return 0;
}

/* tail: console output to stdout, made harmless unless --raw. */
static void
cmd_output(struct cmd *c, const uint8_t *buf, size_t len, int end)
{
	uint8_t	 out[CLEAN_OUT_MAX(4096)];
	size_t	 n, chunk;

	if (c->o->raw) {
		if (len > 0 && ui_write(STDOUT_FILENO, buf, len) == -1) {
			cmd_leave(c, errno == EPIPE ? EXIT_OK : EXIT_ERR);
			return;
		}
		if (len > 0) {
			c->col0 = buf[len - 1] == '\n';
		}
		return;
	}
	while (len > 0 || end) {
		chunk = len < 4096 ? len : 4096;
		n = clean_feed(&c->clean, buf, chunk, out);
		buf += chunk;
		len -= chunk;
		if (len == 0 && end) {
			n += clean_finish(&c->clean, out + n);
			end = 0;
		}
		if (n > 0 && ui_write(STDOUT_FILENO, out, n) == -1) {
			cmd_leave(c, errno == EPIPE ? EXIT_OK : EXIT_ERR);
			return;
		}
		if (n > 0) {
			c->col0 = out[n - 1] == '\n';
		}
	}
}

/*
 * tail: the end of the output.  On a terminal, a last line the console
 * left unfinished (a shell's prompt, a line still being printed when
 * tail -f is interrupted) is ended, so that the shell's own prompt
 * starts on a line of its own.  Into a pipe or a file the bytes stay as
 * the console printed them.
 */
static void
cmd_output_end(struct cmd *c)
{
	cmd_output(c, NULL, 0, 1);
	if (c->out_tty && !c->col0) {
		(void)ui_write(STDOUT_FILENO, "\n", 1);
		c->col0 = 1;
	}
}

/* tail: where the last n lines of the replay begin. */
static size_t
cmd_last_lines(const uint8_t *p, size_t len, long n)
{
	size_t	i = len;

	if (n <= 0) {
		return len;
	}
	if (i > 0 && p[i - 1] == '\n') {
		i--;		/* the last line's own end */
	}
	while (i > 0) {
		if (p[i - 1] == '\n' && --n == 0) {
			return i;
		}
		i--;
	}
	return 0;
}

/* Split the answer into lines of TAB-separated, cleaned fields. */
static size_t
cmd_fields(const uint8_t *line, size_t len, char f[][CMD_FIELD_MAX],
    size_t max)
{
	size_t		 n = 0, flen;
	const uint8_t	*tab;

	while (n < max) {
		tab = memchr(line, '\t', len);
		flen = tab == NULL ? len : (size_t)(tab - line);
		(void)clean_text(f[n++], CMD_FIELD_MAX, line, flen, 0);
		if (tab == NULL) {
			break;
		}
		line += flen + 1;
		len -= flen + 1;
	}
	return n;
}

/* For each line of an answer (CR LF or LF ended): fn(fields, n, arg). */
static void
cmd_each_line(const uint8_t *p, size_t left, void (*fn)(char [][CMD_FIELD_MAX],
    size_t, void *), void *arg)
{
	static char	 f[CMD_FIELDS_MAX][CMD_FIELD_MAX];
	const uint8_t	*nl;
	size_t		 n, llen;

	while (left > 0) {
		nl = memchr(p, '\n', left);
		llen = nl == NULL ? left : (size_t)(nl - p);
		n = llen;
		if (n > 0 && p[n - 1] == '\r') {
			n--;
		}
		if (n > 0) {
			fn(f, cmd_fields(p, n, f, CMD_FIELDS_MAX), arg);
		}
		if (nl == NULL) {
			break;
		}
		p += llen + 1;
		left -= llen + 1;
	}
}

/*
 * list: widths first, then the table; with a HOST column first when
 * the answers are several daemons'.
 */
struct cmd_table {
	int		 print;
	const char	*host;		/* NULL: no HOST column */
	size_t		 hostw;
	size_t		 width[CMD_FIELDS_MAX];
	size_t		 rows;
};

static void
cmd_list_row(char f[][CMD_FIELD_MAX], size_t n, void *arg)
{
	struct cmd_table	*t = arg;
	char			 line[9 * CMD_FIELD_MAX + 64];
	size_t			 i, len = 0;
	int			 w;

	if (n < 7) {
		return;		/* not a console line */
	}
	if (!t->print) {
		for (i = 0; i < 6; i++) {
			if (strlen(f[i]) > t->width[i]) {
				t->width[i] = strlen(f[i]);
			}
		}
		if (t->host != NULL && strlen(t->host) > t->hostw) {
			t->hostw = strlen(t->host);
		}
		t->rows++;
		return;
	}
	if (t->host != NULL) {
		w = snprintf(line, sizeof line, "%-*s  ", (int)t->hostw,
		    t->host);
		len += w > 0 ? (size_t)w : 0;
	}
	/* Numbers to the right, words to the left; LOG last, as it is. */
	for (i = 0; i < 6; i++) {
		if (i >= 3) {
			w = snprintf(line + len, sizeof line - len, "%*s  ",
			    (int)t->width[i], f[i]);
		} else {
			w = snprintf(line + len, sizeof line - len, "%-*s  ",
			    (int)t->width[i], f[i]);
		}
		len += w > 0 ? (size_t)w : 0;
	}
	w = snprintf(line + len, sizeof line - len, "%s\n", f[6]);
	len += w > 0 ? (size_t)w : 0;
	if (len >= sizeof line) {
		len = sizeof line - 1;
	}
	(void)ui_write(STDOUT_FILENO, line, len);
}

void
cmd_list_table(const char *const *hosts, const uint8_t *const *data,
    const size_t *len, size_t n)
{
	static const char *const head[] = { "NAME", "TYPE", "STATE",
	    "CLIENTS", "IN", "OUT", "LOG" };
	static char		 f[CMD_FIELDS_MAX][CMD_FIELD_MAX];
	struct cmd_table	 t;
	size_t			 i;

	memset(&t, 0, sizeof t);
	for (i = 0; i < 7; i++) {
		snprintf(f[i], sizeof f[i], "%s", head[i]);
		t.width[i] = strlen(head[i]);
	}
	if (hosts != NULL) {
		t.hostw = strlen("HOST");
	}
	for (i = 0; i < n; i++) {
		t.host = hosts != NULL ? hosts[i] : NULL;
		cmd_each_line(data[i], len[i], cmd_list_row, &t);
	}
	t.print = 1;
	t.host = hosts != NULL ? "HOST" : NULL;
	cmd_list_row(f, 7, &t);
	for (i = 0; i < n; i++) {
		t.host = hosts != NULL ? hosts[i] : NULL;
		cmd_each_line(data[i], len[i], cmd_list_row, &t);
	}
}

static void
cmd_who_row(char f[][CMD_FIELD_MAX], size_t n, void *arg)
{
	char	line[2 * CMD_FIELD_MAX + 16];
	int	len;

	(void)arg;
	if (n < 3) {
		return;
	}
	len = snprintf(line, sizeof line, "%-7s %s\n", f[0], f[2]);
	if (len > 0) {
		(void)ui_write(STDOUT_FILENO, line, (size_t)len <
		    sizeof line ? (size_t)len : sizeof line - 1);
	}
}

/* conn callbacks, shared by the commands. */

static void
cmd_data(void *arg, const uint8_t *buf, size_t len)
{
	struct cmd	*c = arg;

	if (c->done) {
		return;
	}
	switch (c->kind) {
	case CMD_LIST:
	case CMD_WHO:
	case CMD_NET:
		if (cmd_keep(c, buf, len) == -1) {
			cmd_fail(c, "the answer is too long");
		}
		break;
	case CMD_TAIL:
		if (c->replayed) {
			cmd_output(c, buf, len, 0);
		} else if (cmd_keep(c, buf, len) == -1) {
			cmd_fail(c, "out of memory");
		}
		break;
	case CMD_BREAK:
	case CMD_SEND:
		break;		/* attached without replay: not ours to show */
	}
}

/* break, send: attached; act if we may. */
static void
cmd_act(struct cmd *c, const char *role, const char *backend)
{
	static const uint8_t	cr = '\r';

	if (strcmp(role, "ro") == 0) {
		if (c->last_notice[0] != '\0') {
			cmd_fail(c, "%s%s", c->last_notice, c->o->force ? "" :
			    " (-f takes over)");
		} else {
			cmd_fail(c, "%s: read-only for you", c->name);
		}
		return;
	}
	if (strcmp(backend, "up") != 0) {
		if (c->last_notice[0] != '\0') {
			cmd_fail(c, "%s; nothing sent", c->last_notice);
		} else {
			cmd_fail(c, "%s: the backend is %s; nothing sent",
			    c->name, backend);
		}
		return;
	}
	if (c->kind == CMD_BREAK) {
		conn_break(&c->conn);
	} else {
		conn_send(&c->conn, (const uint8_t *)c->o->text,
		    strlen(c->o->text));
		if (!c->o->no_enter) {
			conn_send(&c->conn, &cr, 1);
		}
	}
	c->last_notice[0] = '\0';
	(void)conn_request(&c->conn, TN_CTL_PING, "done");
	c->acted = 1;
}

static void
cmd_ctl(void *arg, int code, const char *text)
{
	struct cmd	*c = arg;
	char		 name[65], role[16], backend[16];
	size_t		 n;

	if (c->done) {
		return;
	}
	switch (code) {
	case TN_CTL_STATE:
		if (c->attached ||
		    sscanf(text, "%64s %15s %15s", name, role, backend) != 3) {
			break;
		}
		c->attached = 1;
		if (c->kind == CMD_BREAK || c->kind == CMD_SEND) {
			cmd_act(c, role, backend);
		}
		break;
	case TN_CTL_NOTICE:
		snprintf(c->last_notice, sizeof c->last_notice, "%s", text);
		if (c->kind == CMD_TAIL) {
			(void)ui_write(STDERR_FILENO, "[ttyhub: ", 9);
			(void)ui_write(STDERR_FILENO, text, strlen(text));
			(void)ui_write(STDERR_FILENO, "]\n", 2);
		}
		break;
	case TN_CTL_ERROR:
		n = strcspn(text, " ");
		if (n >= sizeof c->error_code) {
			n = sizeof c->error_code - 1;
		}
		memcpy(c->error_code, text, n);
		c->error_code[n] = '\0';
		snprintf(c->error, sizeof c->error, "%s", text[n] == ' ' ?
		    text + n + 1 : text + n);
		if (c->acted) {
			/* The notice before it says why (BREAK refused). */
			cmd_fail(c, "%s", c->last_notice[0] != '\0' ?
			    c->last_notice : c->error);
		}
		break;
	case TN_CTL_REPLAY_END:
		if (c->kind != CMD_TAIL || c->replayed) {
			break;
		}
		c->replayed = 1;
		n = cmd_last_lines(c->data, c->len, c->o->lines);
		cmd_output(c, c->data + n, c->len - n, 0);
		if (!c->o->follow) {
			cmd_output_end(c);
		}
		free(c->data);
		c->data = NULL;
		c->len = c->cap = 0;
		if (!c->o->follow) {
			cmd_leave(c, EXIT_OK);
		}
		break;
	case TN_CTL_PONG:
		if (c->acted) {
			cmd_leave(c, EXIT_OK);
		}
		break;
	}
}

static void
cmd_ready(void *arg, int ctl)
{
	struct cmd	*c = arg;

	if (!ctl) {
		cmd_fail(c, "the ttyhubd at %s speaks protocol 1; this needs "
		    "protocol 2 (a newer ttyhubd)", c->o->socket);
	}
}

static void
cmd_refused(void *arg, const char *why)
{
	cmd_fail(arg, "%s", why);
}

static void
cmd_closed(void *arg, const char *why)
{
	struct cmd	*c = arg;

	if (c->done) {
		return;
	}
	if (strcmp(c->error_code, "noconsole") == 0) {
		cmd_fail(c, "no console named \"%s\" (%s -l lists them)",
		    c->name, PROGNAME);
		return;
	}
	if (strcmp(c->error_code, "nonetwork") == 0) {
		cmd_fail(c, "no network named \"%s\" (%s -l lists them)",
		    c->name, PROGNAME);
		return;
	}
	if (c->kind == CMD_NET && strcmp(c->error_code, "badcommand") == 0) {
		/* A daemon before protocol 4: it has no networks. */
		if (c->o->name == NULL) {
			cmd_leave(c, EXIT_OK);
		} else {
			cmd_fail(c, "the ttyhubd at %s has no networks (it "
			    "speaks a protocol before 4)", c->o->socket);
		}
		return;
	}
	if (c->error_code[0] != '\0') {
		cmd_fail(c, "%s", c->error);
		return;
	}
	if (why != NULL) {
		cmd_fail(c, "connection to ttyhubd lost: %s", why);
		return;
	}
	switch (c->kind) {
	case CMD_LIST:
		cmd_list_table(NULL, (const uint8_t *const *)&c->data,
		    &c->len, 1);
		cmd_leave(c, EXIT_OK);
		return;
	case CMD_WHO:
		cmd_each_line(c->data, c->len, cmd_who_row, NULL);
		cmd_leave(c, EXIT_OK);
		return;
	case CMD_NET:
		if (c->nv != NULL && c->data != NULL) {
			(void)netview_print(c->nv, c->data, c->len);
		}
		cmd_leave(c, EXIT_OK);
		return;
	case CMD_TAIL:
		if (c->replayed) {
			cmd_output_end(c);
			cmd_fail(c, "%s: ttyhubd closed the connection", c->name);
			return;
		}
		break;
	case CMD_BREAK:
	case CMD_SEND:
		break;
	}
	if (c->kind == CMD_NET) {
		cmd_fail(c, "ttyhubd closed the connection");
		return;
	}
	if (c->last_notice[0] != '\0') {
		cmd_fail(c, "%s: ttyhubd closed the connection after: %s",
		    c->name, c->last_notice);
	} else {
		cmd_fail(c, "%s: ttyhubd closed the connection", c->name);
	}
}

static const struct conn_ops cmd_conn_ops = {
	.data = cmd_data,
	.ctl = cmd_ctl,
	.ready = cmd_ready,
	.closed = cmd_closed,
	.refused = cmd_refused,
};

static void
cmd_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct cmd	*c = arg;

	(void)what;
	if (c->kind == CMD_TAIL && c->replayed) {
		cmd_output_end(c);
	}
	cmd_leave(c, EXIT_SIGNAL + (int)sig);
}

static int
cmd_run(enum cmd_kind kind, const struct opts *o, const char *command,
    const char *mode, struct netview *nv)
{
	static const int	 sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct cmd		 c;
	struct peer_want	 want;
	char			 err[300], where[300];
	size_t			 i;

	memset(&c, 0, sizeof c);
	c.kind = kind;
	c.o = o;
	c.nv = nv;
	c.base = ui_base();
	c.out_tty = kind == CMD_TAIL && isatty(STDOUT_FILENO);
	c.col0 = 1;
	clean_init(&c.clean);
	if (o->name != NULL) {
		(void)clean_text(c.name, sizeof c.name, o->name,
		    strlen(o->name), 0);
	}
	memset(&want, 0, sizeof want);
	want.console = o->name;
	want.command = command;
	want.mode = mode;
	want.term = getenv("TERM");
	conn_init(&c.conn, c.base, &cmd_conn_ops, &c, o, &want);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		c.sig[i] = evsignal_new(c.base, sigs[i], cmd_on_signal, &c);
		if (c.sig[i] == NULL || evsignal_add(c.sig[i], NULL) == -1) {
			ui_error("out of memory");
			return EXIT_ERR;
		}
	}
	if (conn_open(&c.conn, err, sizeof err) == -1) {
		(void)clean_text(where, sizeof where, o->socket,
		    strlen(o->socket), 0);
		ui_error("cannot connect to ttyhubd at %s: %s (%s)",
		    where, err, conn_advice(&c.conn));
		c.status = EXIT_ERR;
	} else {
		(void)event_base_dispatch(c.base);
	}
	conn_close(&c.conn);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		if (c.sig[i] != NULL) {
			event_free(c.sig[i]);
		}
	}
	free(c.data);
	return c.status;
}

int
cmd_list(const struct opts *o)
{
	struct netview	*nv;
	int		 status;

	if ((status = cmd_run(CMD_LIST, o, "list", NULL, NULL)) != EXIT_OK) {
		return status;
	}
	if ((nv = netview_new(0, 1)) == NULL) {
		ui_error("out of memory");
		return EXIT_ERR;
	}
	status = cmd_run(CMD_NET, o, "net", NULL, nv);
	netview_free(nv);
	return status;
}

int
cmd_who(const struct opts *o)
{
	return cmd_run(CMD_WHO, o, "who", NULL, NULL);
}

int
cmd_tail(const struct opts *o)
{
	return cmd_run(CMD_TAIL, o, NULL, "ro,quiet", NULL);
}

static volatile sig_atomic_t	cmd_net_stop;

static void
cmd_net_signal(int sig)
{
	cmd_net_stop = sig;
}

/*
 * net NAME: once into a pipe or a file; on a terminal, again every
 * second until a signal, with the rates since the last look.
 */
int
cmd_net(const struct opts *o)
{
	struct sigaction	 sa;
	struct timespec		 ts = { 1, 0 };
	struct netview		*nv;
	int			 status, live = isatty(STDOUT_FILENO);

	if ((nv = netview_new(live, 0)) == NULL) {
		ui_error("out of memory");
		return EXIT_ERR;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cmd_net_signal;
	sigemptyset(&sa.sa_mask);
	for (;;) {
		status = cmd_run(CMD_NET, o, "net", NULL, nv);
		if (status != EXIT_OK || !live) {
			break;
		}
		/* Between looks, a signal ends it (the loop's are gone). */
		(void)sigaction(SIGINT, &sa, NULL);
		(void)sigaction(SIGTERM, &sa, NULL);
		(void)sigaction(SIGHUP, &sa, NULL);
		while (!cmd_net_stop && nanosleep(&ts, &ts) == -1 &&
		    errno == EINTR) {
			/* nothing */
		}
		ts.tv_sec = 1;
		ts.tv_nsec = 0;
		if (cmd_net_stop) {
			status = EXIT_SIGNAL + (int)cmd_net_stop;
			break;
		}
	}
	netview_free(nv);
	return status;
}

int
cmd_break(const struct opts *o)
{
	char	mode[64];

	return cmd_run(CMD_BREAK, o, NULL,
	    ui_mode(o, "noreplay,quiet", mode, sizeof mode), NULL);
}

int
cmd_send(const struct opts *o)
{
	char	mode[64];

	return cmd_run(CMD_SEND, o, NULL,
	    ui_mode(o, "noreplay,quiet", mode, sizeof mode), NULL);
}
