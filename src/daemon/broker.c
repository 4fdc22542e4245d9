/*
 * broker: naming a console.  See broker.h.
 *
 * A connection waits here while it negotiates (up to a second for its
 * NEW-ENVIRON), or sits at the prompt (up to a minute idle).  Waiting
 * costs a client nothing, so at most BROKER_PENDING_MAX wait at once: a
 * new one pushes out the oldest that is not root's or ours, as login's
 * --max-pending does.  A command (list, who, net) is answered and the
 * connection closed; a console named hands the connection to client.c.
 *
 * On a listener with auth the peer logs in first (gate.c): what it
 * sends meanwhile goes to the gate, and its NEW-ENVIRON waits in its tn
 * until the gate lets it through.  Over TLS the clock starts once the
 * handshake is over.
 */
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "client.h"
#include "config.h"
#include "conn.h"
#include "console.h"
#include "gate.h"
#include "listing.h"
#include "log.h"
#include "network.h"
#include "server.h"
#include "../telnet/tn.h"

#define BROKER_READ_MAX		(16 * 1024)
#define BROKER_NEGOTIATE_MS	1000	/* wait for NEW-ENVIRON */
#define BROKER_PROMPT_MAX_MS	(60 * 1000)	/* idle at the prompt */
#define BROKER_PENDING_MAX	64	/* waiting at once */

enum broker_state {
	BROKER_NEGOTIATING,	/* waiting for NEW-ENVIRON */
	BROKER_PROMPT,		/* reading a command line */
	BROKER_DONE,		/* closing, or handed to a client */
};

/* A list of consoles being written as the socket takes it. */
enum broker_listing {
	BROKER_LIST_NONE,
	BROKER_LIST_TSV,	/* TTYHUB_COMMAND=list: tab-separated */
	BROKER_LIST_TABLE,	/* the prompt's list: a table, then the prompt */
	BROKER_LIST_NET,	/* TTYHUB_COMMAND=net: networks and ports */
};

struct broker {
	TAILQ_ENTRY(broker)	 entry;		/* srv->brokers */
	struct server		*srv;
	struct conn		*conn;
	enum broker_state	 state;
	int			 may_write;	/* the listener's options */
	int			 noreplay;

	char			 line[256];	/* the prompt's line */
	size_t			 linelen;
	int			 last_cr;

	enum broker_listing	 listing;	/* consoles still to list */
	size_t			 list_at;
	size_t			 list_port;	/* net: of network list_at */
	char			 list_net[CFG_NAME_MAX + 1]; /* net: or all */

	struct client		*client;	/* handed to, in a callback */
	struct gate		*gate;		/* logging in first */
};

static const char *const broker_env[] = {
	"TTYHUB_CONSOLE", "TTYHUB_MODE", "TTYHUB_COMMAND", NULL
};

static uint8_t	broker_rbuf[BROKER_READ_MAX];

static void	broker_prompt_start(struct broker *);

static void
broker_free(struct broker *b)
{
	TAILQ_REMOVE(&b->srv->brokers, b, entry);
	gate_free(b->gate);
	free(b);
}

static void
broker_close(struct broker *b, const char *why)
{
	conn_last_words(b->conn, why);
	conn_free(b->conn);
	broker_free(b);
}

void
broker_close_all(struct server *srv)
{
	struct broker	*b;

	while ((b = TAILQ_FIRST(&srv->brokers)) != NULL) {
		broker_close(b, NULL);
	}
}

/* Our last words are queued: they go, then the connection. */
static void
broker_finish(struct broker *b)
{
	b->state = BROKER_DONE;
	if (b->listing == BROKER_LIST_NONE) {
		conn_finish(b->conn);
	}
}

/*
 * The console called name, as this peer may know it.  One whose rw and
 * ro lists leave the peer out is not there for it, as on the web: the
 * list leaves it out too (listing.c), so a name can be neither listed
 * nor confirmed by trying it.  The log says why.
 */
static struct console *
broker_find(struct broker *b, const char *name)
{
	struct console	*con = console_find(b->srv, name);

	if (con != NULL && conn_access(b->conn, con->cfg, 0) < 0) {
		log_info("console %s: %s: refused by rw/ro lists (uid %ld): "
		    "told there is no such console", con->name, b->conn->peer,
		    (long)b->conn->uid);
		return NULL;
	}
	return con;
}

/* Add to the list being sent; 1 when it is all there. */
static int
broker_list_more(struct broker *b)
{
	if (b->listing == BROKER_LIST_NET) {
		return listing_net_more(b->conn, b->srv, b->list_net[0] !=
		    '\0' ? b->list_net : NULL, &b->list_at, &b->list_port);
	}
	return listing_more(b->conn, b->srv, &b->list_at,
	    b->listing == BROKER_LIST_TABLE);
}

/* Send what can be sent now, the list as the socket takes it. */
static void
broker_kick(struct broker *b)
{
	int	r;

	for (;;) {
		if (b->listing != BROKER_LIST_NONE && broker_list_more(b)) {
			b->listing = BROKER_LIST_NONE;
			if (b->state == BROKER_PROMPT) {
				conn_say(b->conn, "ttyhub> ");
			} else {
				conn_finish(b->conn);
			}
		}
		if ((r = conn_flush(b->conn)) == -1) {
			if (b->conn->failed != NULL) {
				log_info("%s: closed: %s", b->conn->peer,
				    b->conn->failed);
			}
			broker_close(b, NULL);
			return;
		}
		if (r == 1 || b->listing == BROKER_LIST_NONE) {
			break;
		}
	}
	conn_events(b->conn, 1);
}

/* TTYHUB_COMMAND: answer and close. */
static void
broker_command(struct broker *b, const char *cmd, const char *name)
{
	struct console	*con;

	if (strcmp(cmd, "list") == 0) {
		b->listing = BROKER_LIST_TSV;
		b->list_at = 0;
	} else if (strcmp(cmd, "net") == 0 && name != NULL &&
	    network_find(b->srv, name) == NULL) {
		conn_error(b->conn, "nonetwork", "no network named \"%s\"",
		    name);
	} else if (strcmp(cmd, "net") == 0) {
		/* A network's name: it fits (found above). */
		b->list_net[0] = '\0';
		if (name != NULL && strlen(name) < sizeof b->list_net) {
			memcpy(b->list_net, name, strlen(name) + 1);
		}
		b->listing = BROKER_LIST_NET;
		b->list_at = b->list_port = 0;
	} else if (strcmp(cmd, "who") != 0) {
		conn_error(b->conn, "badcommand", "unknown command \"%s\"",
		    cmd);
	} else if (name == NULL) {
		conn_error(b->conn, "badcommand", "who: TTYHUB_CONSOLE names "
		    "no console");
	} else if ((con = broker_find(b, name)) == NULL) {
		conn_error(b->conn, "noconsole", "no console named \"%s\"",
		    name);
	} else {
		listing_who(b->conn, con, NULL, 0);
	}
	broker_finish(b);
}

/* Hand the connection to a client of con; the broker is done. */
static void
broker_attach(struct broker *b, struct console *con,
    const struct client_want *w)
{
	conn_timer(b->conn, 0);
	b->state = BROKER_DONE;
	b->client = client_adopt(b->conn, con, w, b->may_write, b->noreplay);
	if (b->client == NULL) {
		conn_finish(b->conn);	/* refused: it was told why */
	}
}

/* The peer named its console in NEW-ENVIRON, or it did not. */
static void
broker_tn_settled(void *arg)
{
	struct broker		*b = arg;
	struct console		*con;
	struct client_want	 w;
	const struct tn_env	*e;
	const char		*name = NULL, *mode = "", *cmd = NULL;
	size_t			 i;

	if (b->state != BROKER_NEGOTIATING) {
		return;
	}
	if (b->gate != NULL) {
		gate_begin(b->gate);	/* NEW-ENVIRON waits in the tn */
		return;
	}
	conn_timer(b->conn, 0);
	for (i = 0; (e = tn_env_at(b->conn->tn, i)) != NULL; i++) {
		if (strcmp(e->name, "TTYHUB_CONSOLE") == 0) {
			name = e->value;
		} else if (strcmp(e->name, "TTYHUB_MODE") == 0) {
			mode = e->value;
		} else if (strcmp(e->name, "TTYHUB_COMMAND") == 0) {
			cmd = e->value;
		}
	}
	if (cmd != NULL) {
		broker_command(b, cmd, name);
		return;
	}
	if (name == NULL) {
		broker_prompt_start(b);
		return;
	}
	if ((con = broker_find(b, name)) == NULL) {
		if (conn_has_ctl(b->conn)) {
			conn_error(b->conn, "noconsole", "no console named "
			    "\"%s\"", name);
		} else {
			conn_say(b->conn, "ttyhub: no console named \"%s\"\r\n",
			    name);
		}
		broker_finish(b);
		return;
	}
	client_ctl_want(mode, &w);
	broker_attach(b, con, &w);
}

/* The prompt. */

static void
broker_prompt_start(struct broker *b)
{
	if (b->state != BROKER_NEGOTIATING) {
		return;
	}
	b->state = BROKER_PROMPT;
	conn_timer(b->conn, BROKER_PROMPT_MAX_MS);
	conn_say(b->conn, "ttyhub %s: name a console, or type \"help\".\r\n"
	    "ttyhub> ", TTYHUB_VERSION);
}

static void
broker_who(struct broker *b, const char *name)
{
	struct console			*con = broker_find(b, name);
	const struct console_member	*o;

	if (con == NULL) {
		conn_say(b->conn, "no console named \"%s\" (\"list\" lists "
		    "them)\r\n", name);
		return;
	}
	TAILQ_FOREACH(o, &con->members, entry) {
		conn_say(b->conn, "%s %s%s\r\n", o->peer, o->ro ? "ro" : "rw",
		    con->writer == o ? " writer" : "");
	}
}

/* "attach NAME [ro] [force] [noreplay] [quiet]", or just "NAME". */
static void
broker_line_attach(struct broker *b, char **w, size_t n)
{
	struct client_want	 want;
	struct console		*con;
	size_t			 i = strcmp(w[0], "attach") == 0 ? 1 : 0;

	if (i >= n) {
		conn_say(b->conn, "attach what? (\"list\" lists the "
		    "consoles)\r\nttyhub> ");
		return;
	}
	if ((con = broker_find(b, w[i])) == NULL) {
		conn_say(b->conn, "no console named \"%s\" (\"list\" lists "
		    "them)\r\nttyhub> ", w[i]);
		return;
	}
	memset(&want, 0, sizeof want);
	for (i++; i < n; i++) {
		if (strcmp(w[i], "ro") == 0) {
			want.ro = 1;
		} else if (strcmp(w[i], "force") == 0) {
			want.force = 1;
		} else if (strcmp(w[i], "noreplay") == 0) {
			want.noreplay = 1;
		} else if (strcmp(w[i], "quiet") == 0) {
			want.quiet = 1;
		} else {
			conn_say(b->conn, "unknown option \"%s\" (ro, force, "
			    "noreplay, quiet)\r\nttyhub> ", w[i]);
			return;
		}
	}
	broker_attach(b, con, &want);
}

static void
broker_line(struct broker *b)
{
	char	*w[6], *save = NULL, *p;
	size_t	 n = 0;

	b->line[b->linelen] = '\0';
	b->linelen = 0;
	conn_say(b->conn, "\r\n");
	for (p = strtok_r(b->line, " \t", &save); p != NULL && n < 6;
	    p = strtok_r(NULL, " \t", &save)) {
		w[n++] = p;
	}
	if (n == 0) {
		conn_say(b->conn, "ttyhub> ");
	} else if (strcmp(w[0], "help") == 0 || strcmp(w[0], "?") == 0) {
		conn_say(b->conn,
		    "  NAME                       attach to console NAME\r\n"
		    "  attach NAME [ro] [force] [noreplay] [quiet]\r\n"
		    "  list                       list the consoles\r\n"
		    "  who NAME                   who is attached to NAME\r\n"
		    "  quit                       leave\r\nttyhub> ");
	} else if (strcmp(w[0], "list") == 0 || strcmp(w[0], "ls") == 0) {
		listing_head(b->conn);
		b->listing = BROKER_LIST_TABLE;	/* the prompt follows it */
		b->list_at = 0;
	} else if (strcmp(w[0], "who") == 0 && n == 2) {
		broker_who(b, w[1]);
		conn_say(b->conn, "ttyhub> ");
	} else if (strcmp(w[0], "quit") == 0 || strcmp(w[0], "exit") == 0) {
		broker_finish(b);
	} else {
		broker_line_attach(b, w, n);
	}
}

/* tn callbacks. */

static void
broker_tn_data(void *arg, const uint8_t *buf, size_t len)
{
	struct broker	*b = arg;
	size_t		 i;
	uint8_t		 c;

	if (b->gate != NULL) {
		gate_data(b->gate, buf, len);
		return;
	}
	/* Typed before negotiation ended: start the prompt now. */
	broker_prompt_start(b);
	for (i = 0; i < len && b->state == BROKER_PROMPT; i++) {
		c = buf[i];
		if (c == '\r' || c == '\n') {
			if (c == '\n' && b->last_cr) {
				b->last_cr = 0;
				continue;
			}
			b->last_cr = c == '\r';
			broker_line(b);
			continue;
		}
		b->last_cr = 0;
		if (c == 0x7f || c == 0x08) {
			if (b->linelen > 0) {
				b->linelen--;
				conn_queue(b->conn, "\b \b", 3);
			}
		} else if (c == 0x03 || c == 0x04) {
			conn_say(b->conn, "\r\n");
			b->conn->failed = "quit at the prompt";
			return;
		} else if (c == 0x15) {
			while (b->linelen > 0) {
				b->linelen--;
				conn_queue(b->conn, "\b \b", 3);
			}
		} else if (c >= 0x20 && c < 0x7f &&
		    b->linelen < sizeof b->line - 1) {
			b->line[b->linelen++] = (char)c;
			conn_queue(b->conn, &c, 1);
		}
	}
}

static void
broker_tn_send(void *arg, const uint8_t *buf, size_t len)
{
	struct broker	*b = arg;

	conn_queue(b->conn, buf, len);
}

static void
broker_tn_winsize(void *arg, unsigned cols, unsigned rows)
{
	/* Kept by tn (tn_winsize_last) for the client it becomes. */
	(void)arg;
	(void)cols;
	(void)rows;
}

static void
broker_tn_command(void *arg, enum tn_cmd cmd)
{
	struct broker	*b = arg;

	if (cmd == TN_CMD_AYT) {
		conn_notice(b->conn, "yes");
	}
}

static void
broker_tn_fail(void *arg, const char *why)
{
	struct broker	*b = arg;

	if (b->conn->failed == NULL) {
		b->conn->failed = why;
	}
}

static void
broker_tn_ctl(void *arg, int code, const uint8_t *text, size_t len)
{
	struct broker	*b = arg;

	if (b->state == BROKER_DONE) {
		return;
	}
	if (b->gate != NULL && code == TN_CTL_LOGIN) {
		gate_ctl(b->gate, text, len);
	} else if (code == TN_CTL_PING) {
		tn_send_ctl(b->conn->tn, TN_CTL_PONG, (const char *)text, len);
	} else if (code >= TN_CTL_RO && code <= TN_CTL_REPLAY) {
		conn_error(b->conn, "notattached", "not attached to a console");
	}
}

/*
 * The gate's answer, from the loop: logged in, the broker goes on as
 * if negotiation were just over (or still to come); not, it closes.
 */
static void
broker_gate_done(void *arg, int ok)
{
	struct broker	*b = arg;
	struct client	*c;

	gate_free(b->gate);
	b->gate = NULL;
	if (!ok) {
		broker_finish(b);
		conn_later(b->conn);
		return;
	}
	if (tn_settled(b->conn->tn)) {
		broker_tn_settled(b);
	} else {
		conn_timer(b->conn, BROKER_NEGOTIATE_MS);
	}
	if ((c = b->client) != NULL) {
		broker_free(b);
		client_release(c);
		return;
	}
	conn_later(b->conn);
}

static const struct tn_ops broker_tn_ops = {
	.data = broker_tn_data,
	.send = broker_tn_send,
	.winsize = broker_tn_winsize,
	.command = broker_tn_command,
	.settled = broker_tn_settled,
	.fail = broker_tn_fail,
	.ctl = broker_tn_ctl,
};

/* Connection events. */

static void
broker_on_read(void *arg)
{
	struct broker	*b = arg;
	struct client	*c;
	ssize_t		 n;

	if ((n = conn_read(b->conn, broker_rbuf, sizeof broker_rbuf)) == -1) {
		broker_close(b, NULL);
		return;
	}
	if (n == 0) {
		return;
	}
	if (b->conn->telnet) {
		tn_recv(b->conn->tn, broker_rbuf, (size_t)n);
	} else {
		broker_tn_data(b, broker_rbuf, (size_t)n);
	}
	if ((c = b->client) != NULL) {
		/* Handed over inside tn_recv: the rest is the client's. */
		broker_free(b);
		client_release(c);
		return;
	}
	broker_kick(b);
}

static void
broker_on_timer(void *arg)
{
	struct broker	*b = arg;

	if (b->gate != NULL) {
		gate_begin(b->gate);	/* negotiation took its time */
	} else if (b->state == BROKER_NEGOTIATING) {
		broker_prompt_start(b);
	} else if (b->state == BROKER_PROMPT) {
		conn_say(b->conn, "\r\nttyhub: idle at the prompt: bye\r\n");
		broker_finish(b);
	}
	broker_kick(b);
}

static void
broker_conn_write(void *arg)
{
	broker_kick(arg);
}

static void
broker_conn_close(void *arg, const char *why)
{
	broker_close(arg, why);
}

/* TLS is up: negotiation's clock starts now. */
static void
broker_conn_secure(void *arg)
{
	struct broker	*b = arg;

	conn_timer(b->conn, BROKER_NEGOTIATE_MS);
	broker_kick(b);
}

static const struct conn_ops broker_conn_ops = {
	.read = broker_on_read,
	.write = broker_conn_write,
	.timer = broker_on_timer,
	.secure = broker_conn_secure,
	.close = broker_conn_close,
};

/*
 * Waiting at the broker costs a client nothing, so a flood of idle
 * connections there must not push out real users: past
 * BROKER_PENDING_MAX, the oldest waiting one (not root's or ours) goes.
 */
static void
broker_trim(struct server *srv)
{
	struct broker	*o, *oldest = NULL;
	unsigned	 n = 0;

	TAILQ_FOREACH(o, &srv->brokers, entry) {
		if (o->state == BROKER_DONE) {
			continue;
		}
		n++;
		if (oldest == NULL && !conn_trusted(o->conn)) {
			oldest = o;
		}
	}
	if (n >= BROKER_PENDING_MAX && oldest != NULL) {
		log_rate_info(&srv->lr_clients, "%s: dropped: %u connections "
		    "waiting at the broker", oldest->conn->peer, n);
		broker_close(oldest, "dropped: too many connections waiting "
		    "at the broker");
	}
}

void
broker_accept(struct server *srv, int fd, const struct sockaddr *sa,
    socklen_t salen, const struct cfg_listen *how, uint64_t via)
{
	struct conn	*conn;
	struct broker	*b;

	if ((conn = conn_new(srv, fd, sa, salen, how->telnet,
	    how->tls ? srv->tls : NULL, via)) == NULL) {
		return;
	}
	if ((b = calloc(1, sizeof *b)) == NULL) {
		log_warn("%s: out of memory", conn->peer);
		conn_free(conn);
		return;
	}
	broker_trim(srv);
	b->srv = srv;
	b->conn = conn;
	b->may_write = !how->ro;
	b->noreplay = how->noreplay;
	TAILQ_INSERT_TAIL(&srv->brokers, b, entry);
	conn_own(conn, &broker_conn_ops, b);
	if (how->auth && (b->gate = gate_new(conn, broker_gate_done,
	    b)) == NULL) {
		log_warn("%s: out of memory", conn->peer);
		broker_close(b, NULL);
		return;
	}
	if (how->telnet) {
		if ((conn->tn = tn_new(&broker_tn_ops, b, broker_env)) == NULL ||
		    tn_enable_ctl(conn->tn) == -1) {
			log_warn("%s: out of memory", conn->peer);
			broker_close(b, NULL);
			return;
		}
		tn_start(conn->tn);
		if (conn->tls == NULL) {
			conn_timer(conn, BROKER_NEGOTIATE_MS);
		}
	} else {
		broker_prompt_start(b);
	}
	broker_kick(b);
}
