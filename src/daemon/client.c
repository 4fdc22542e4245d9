/*
 * client: a console's client, made, attached, read and closed.  See
 * client.h.
 *
 * Input: the socket is read only while the client's words to us can go
 * somewhere (a writer waits while the console's queue to the backend is
 * full) and at most as much as that queue can take, so nothing a writer
 * sends is dropped; Telnet decoding only shrinks what was read.
 *
 * On a console's own listener with tls or auth, a client is made at
 * accept but attached only once the handshake is over and the peer
 * has logged in (c->joining), so nobody is announced, sent output or
 * let write before then.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "client.h"
#include "config.h"
#include "conn.h"
#include "console.h"
#include "gate.h"
#include "log.h"
#include "server.h"
#include "../telnet/tn.h"

#define CLIENT_READ_MAX		(16 * 1024)
#define CLIENT_NAMING_MS	1000	/* the ttyhub client names itself */

static const char *const client_env[] = {
	"TTYHUB_CONSOLE", "TTYHUB_MODE", "TTYHUB_COMMAND", NULL
};

static uint8_t	client_rbuf[CLIENT_READ_MAX];

static const struct tn_ops		client_tn_ops;
static const struct conn_ops		client_conn_ops;
static const struct console_member_ops	client_member_ops;

/* Kicks and closes. */

void
client_kick(struct client *c)
{
	const char	*why;

	if (c->held) {
		return;		/* client_release kicks it */
	}
	if (client_out(c, &why) == -1) {
		client_close(c, why);
	}
}

void
client_close(struct client *c, const char *why)
{
	if (c->held) {
		if (!c->held_close) {
			c->held_close = 1;
			snprintf(c->held_why, sizeof c->held_why, "%s",
			    why != NULL ? why : "");
		}
		return;
	}
	conn_last_words(c->conn, why);
	if (c->m.con != NULL) {
		console_detach(c->m.con, &c->m);
	}
	gate_free(c->gate);
	conn_free(c->conn);
	free(c);
}

/* Attach decisions. */

/* A client for conn, not attached yet; the conn is its from here on. */
static struct client *
client_make(struct conn *conn, int noreplay)
{
	struct client	*c;

	if ((c = calloc(1, sizeof *c)) == NULL) {
		log_warn("%s: out of memory", conn->peer);
		return NULL;
	}
	c->conn = conn;
	c->m.ops = &client_member_ops;
	c->m.peer = conn->peer;
	c->noreplay = noreplay;
	c->told_role = -1;
	conn_own(conn, &client_conn_ops, c);
	return c;
}

/* Attach c to con as w asks (NULL: as the listener says). */
static void
client_join(struct client *c, struct console *con,
    const struct client_want *w, int access)
{
	int	want_ro = (w != NULL && w->ro) || access == 0;

	c->m.may_write = access > 0;	/* nor later, by asking or forcing */
	c->m.ro = want_ro;
	c->m.quiet = w != NULL && w->quiet;
	console_attach(con, &c->m, !(c->noreplay ||
	    (w != NULL && w->noreplay)));
	if (w != NULL && w->force && !want_ro) {
		console_take_write(con, &c->m);
	}
	if (conn_has_ctl(c->conn)) {
		/* Where the replay (possibly empty) ends: REPLAY-END. */
		c->replay_owed = 1;
		c->replay_end = con->ring.head;
	}
}

/* Refused by con's rw and ro lists: say so (the caller closes). */
static void
client_refused(struct conn *conn, const struct console *con)
{
	log_info("console %s: %s: refused by rw/ro lists (uid %ld)",
	    con->name, conn->peer, (long)conn->uid);
	conn_error(conn, "denied", "not allowed on console \"%s\"",
	    con->name);
}

struct client *
client_adopt(struct conn *conn, struct console *con,
    const struct client_want *w, int may_write, int noreplay)
{
	struct client	*c;
	int		 access = conn_access(conn, con->cfg, may_write);

	if (access < 0) {
		client_refused(conn, con);
		return NULL;
	}
	if ((c = client_make(conn, noreplay)) == NULL) {
		return NULL;
	}
	if (conn->tn != NULL) {
		tn_rebind(conn->tn, &client_tn_ops, c);
		tn_winsize_last(conn->tn, &c->m.cols, &c->m.rows);
	}
	/* Its first words wait for the broker's read to end. */
	c->held = 1;
	client_join(c, con, w, access);
	return c;
}

void
client_release(struct client *c)
{
	c->held = 0;
	if (c->held_close) {
		client_close(c, c->held_why[0] != '\0' ? c->held_why : NULL);
		return;
	}
	client_kick(c);
}

/* Input. */

static void
client_tn_data(void *arg, const uint8_t *buf, size_t len)
{
	struct client	*c = arg;

	if (c->gate != NULL) {
		gate_data(c->gate, buf, len);
		return;
	}
	if (c->conn->closing || client_naming(c) || c->m.con == NULL) {
		return;		/* it sends nothing before STATE */
	}
	if (!c->m.ro) {
		(void)console_input(c->m.con, &c->m, buf, len);
		return;
	}
	if (!c->m.told_ro) {
		c->m.told_ro = 1;
		client_notice(c, "read-only: your input is ignored");
		/* So that a script can tell (its status). */
		if (conn_has_ctl(c->conn)) {
			conn_error(c->conn, "ignored", "%s: input ignored",
			    c->m.con->name);
		}
	}
}

static void
client_tn_send(void *arg, const uint8_t *buf, size_t len)
{
	struct client	*c = arg;

	conn_queue(c->conn, buf, len);
}

static void
client_tn_winsize(void *arg, unsigned cols, unsigned rows)
{
	struct client	*c = arg;

	c->m.cols = cols;
	c->m.rows = rows;
	if (!c->conn->closing && !c->m.ro && !client_naming(c) &&
	    c->m.con != NULL) {
		console_winsize(c->m.con, &c->m, cols, rows);
	}
}

static void
client_tn_command(void *arg, enum tn_cmd cmd)
{
	struct client	*c = arg;
	uint8_t		 b;

	if (cmd == TN_CMD_AYT) {
		client_notice(c, "yes");
		return;
	}
	if (c->conn->closing || client_naming(c) || c->m.con == NULL) {
		return;
	}
	if (c->m.ro) {
		if (cmd == TN_CMD_BRK) {
			client_notice(c, "read-only: BREAK refused");
			if (conn_has_ctl(c->conn)) {
				conn_error(c->conn, "readonly",
				    "BREAK refused");
			}
		}
		return;
	}
	switch (cmd) {
	case TN_CMD_BRK:
		/* console_break has told c why, in a notice. */
		if (console_break(c->m.con, &c->m) == -1 &&
		    conn_has_ctl(c->conn)) {
			conn_error(c->conn, "break", "BREAK not sent");
		}
		return;
	case TN_CMD_IP:
		b = 0x03;
		break;
	case TN_CMD_EC:
		b = 0x7f;
		break;
	case TN_CMD_EL:
		b = 0x15;
		break;
	default:
		return;		/* AO: a console's output is shared */
	}
	(void)console_input(c->m.con, &c->m, &b, 1);
}

/* On a console's own listener, naming is over when negotiation is. */
static void
client_tn_settled(void *arg)
{
	struct client	*c = arg;

	if (c->gate != NULL) {
		gate_begin(c->gate);
	} else if (client_naming(c)) {
		client_ctl_named(c);
	}
}

static void
client_tn_fail(void *arg, const char *why)
{
	struct client	*c = arg;

	if (c->conn->failed == NULL) {
		c->conn->failed = why;
	}
}

static void
client_tn_comport(void *arg, const uint8_t *buf, size_t len)
{
	struct client	*c = arg;

	if (c->m.con != NULL) {
		client_comport_request(c, buf, len);
	}
}

static void
client_tn_ctl(void *arg, int code, const uint8_t *text, size_t len)
{
	struct client	*c = arg;

	if (c->gate != NULL) {
		if (code == TN_CTL_LOGIN) {
			gate_ctl(c->gate, text, len);
		}
		return;
	}
	if (c->m.con != NULL) {
		client_ctl_request(c, code, text, len);
	}
}

static const struct tn_ops client_tn_ops = {
	.data = client_tn_data,
	.send = client_tn_send,
	.winsize = client_tn_winsize,
	.command = client_tn_command,
	.settled = client_tn_settled,
	.fail = client_tn_fail,
	.comport = client_tn_comport,
	.ctl = client_tn_ctl,
};

static void
client_on_read(void *arg)
{
	struct client	*c = arg;
	struct console	*con = c->m.con;
	size_t		 room = sizeof client_rbuf, queued;
	ssize_t		 n;

	if (!c->m.ro && con != NULL) {
		/*
		 * A writer reads no more than the backend's queue can take,
		 * so nothing it sends is dropped; Telnet decoding only
		 * shrinks what was read.
		 */
		queued = evbuffer_get_length(con->to_be);
		room = queued < CONSOLE_IN_MAX ? CONSOLE_IN_MAX - queued : 0;
		if (room == 0) {
			client_events(c);
			return;
		}
		if (room > sizeof client_rbuf) {
			room = sizeof client_rbuf;
		}
	}
	if ((n = conn_read(c->conn, client_rbuf, room)) == -1) {
		client_close(c, NULL);
		return;
	}
	if (n == 0) {
		return;
	}
	c->held = 1;
	if (c->conn->telnet) {
		tn_recv(c->conn->tn, client_rbuf, (size_t)n);
	} else {
		client_tn_data(c, client_rbuf, (size_t)n);
	}
	c->held = 0;
	if (c->held_close) {
		client_release(c);	/* closed while it was read */
		return;
	}
	if (client_naming(c) && tn_settled(c->conn->tn)) {
		client_ctl_named(c);	/* it named itself before it offered */
	} else if (client_naming(c) &&
	    !evtimer_pending(c->conn->timer, NULL)) {
		conn_timer(c->conn, CLIENT_NAMING_MS);
	}
	client_kick(c);
}

/* The ttyhub client did not say what it wants: as it is. */
static void
client_on_timer(void *arg)
{
	struct client	*c = arg;

	if (c->gate != NULL) {
		gate_begin(c->gate);	/* negotiation took its time */
	} else if (client_naming(c)) {
		client_ctl_named(c);
	}
	client_kick(c);
}

static void
client_conn_write(void *arg)
{
	client_kick(arg);
}

static void
client_conn_close(void *arg, const char *why)
{
	client_close(arg, why);
}

static void	client_conn_secure(void *);

static const struct conn_ops client_conn_ops = {
	.read = client_on_read,
	.write = client_conn_write,
	.timer = client_on_timer,
	.secure = client_conn_secure,
	.close = client_conn_close,
};

/* What the console asks of its member. */

static struct client *
client_of(struct console_member *m)
{
	return (struct client *)(void *)((char *)m -
	    offsetof(struct client, m));
}

static void
client_m_kick(struct console_member *m)
{
	struct client	*c = client_of(m);

	/*
	 * Waiting for its socket, it is only checked for having fallen out
	 * of the ring, so that `slow = disconnect` acts at once.
	 */
	if (!c->conn->blocked || m->pos < ring_tail(&m->con->ring)) {
		client_kick(c);
	}
}

static void
client_m_notice(struct console_member *m, const char *text)
{
	client_notice(client_of(m), text);
}

static void
client_m_close(struct console_member *m, const char *why)
{
	client_close(client_of(m), why);
}

static void
client_m_events(struct console_member *m)
{
	client_events(client_of(m));
}

static void
client_m_modem(struct console_member *m, uint8_t state)
{
	client_comport_modem(client_of(m), state);
}

static const struct console_member_ops client_member_ops = {
	.kick = client_m_kick,
	.notice = client_m_notice,
	.close = client_m_close,
	.events = client_m_events,
	.modem = client_m_modem,
};

/* A console's own listeners. */

/* Attach a client that waited for TLS and a login. */
static void
client_join_now(struct client *c)
{
	struct console	*con = c->joining;
	struct conn	*conn = c->conn;
	int		 access;

	c->joining = NULL;
	conn_timer(conn, 0);
	if ((access = conn_access(conn, con->cfg, c->may_write)) < 0) {
		client_refused(conn, con);
		conn_finish(conn);
		return;
	}
	client_join(c, con, NULL, access);
	/* The ttyhub client said what it wants while it logged in. */
	if (client_naming(c) && tn_settled(conn->tn)) {
		client_ctl_named(c);
	}
}

/*
 * Negotiation's second, then the gate asks (a raw peer has nothing to
 * negotiate: its certificate is all there is).
 */
static void
client_wait_login(struct client *c)
{
	if (!c->conn->telnet) {
		gate_begin(c->gate);
	} else if (tn_settled(c->conn->tn)) {
		gate_begin(c->gate);
	} else {
		conn_timer(c->conn, CLIENT_NAMING_MS);
	}
}

static void
client_gate_done(void *arg, int ok)
{
	struct client	*c = arg;

	gate_free(c->gate);
	c->gate = NULL;
	if (!ok) {
		conn_finish(c->conn);
		return;
	}
	client_join_now(c);
	client_kick(c);
}

static void
client_conn_secure(void *arg)
{
	struct client	*c = arg;

	if (c->gate != NULL) {
		client_wait_login(c);
	} else if (c->joining != NULL) {
		client_join_now(c);
	}
	client_kick(c);
}

void
client_drop_joining(struct console *con, const char *why)
{
	struct conn	*conn, *next;
	struct client	*c;

	TAILQ_FOREACH_SAFE(conn, &con->srv->conns, entry, next) {
		if (conn->ops != &client_conn_ops) {
			continue;
		}
		c = conn->arg;
		if (c->joining == con) {
			client_close(c, why);
		}
	}
}

void
client_new(struct server *srv, int fd, const struct sockaddr *peer,
    socklen_t peerlen, const struct cfg_listen *how, struct console *con,
    uint64_t via)
{
	struct conn	*conn;
	struct client	*c;
	int		 access;

	if ((conn = conn_new(srv, fd, peer, peerlen, how->telnet,
	    how->tls ? srv->tls : NULL, via)) == NULL) {
		return;
	}
	if ((c = client_make(conn, how->noreplay)) == NULL) {
		conn_free(conn);
		return;
	}
	c->direct = 1;
	/*
	 * The broker's variables are asked for too: they are read only from
	 * a client that offers TTYHUB-CONTROL, and only to check the name it
	 * gives.
	 */
	if (how->telnet &&
	    (conn->tn = tn_new(&client_tn_ops, c, client_env)) == NULL) {
		log_warn("%s: out of memory", conn->peer);
		client_close(c, NULL);
		return;
	}
	/* RFC 2217 for clients that come straight to a serial line. */
	if (conn->tn != NULL && console_has_comport(con) &&
	    tn_enable_comport(conn->tn) == -1) {
		log_warn("%s: out of memory: no COM-PORT-OPTION", conn->peer);
	}
	/* The ttyhub client's control option. */
	if (conn->tn != NULL && tn_enable_ctl(conn->tn) == -1) {
		log_warn("%s: out of memory: no TTYHUB-CONTROL", conn->peer);
	}
	if (conn->tn != NULL) {
		tn_start(conn->tn);
	}
	if (how->tls || how->auth) {
		/* Attached once TLS is up and the peer has logged in. */
		c->joining = con;
		c->may_write = !how->ro;
		if (how->auth && (c->gate = gate_new(conn, client_gate_done,
		    c)) == NULL) {
			log_warn("%s: out of memory", conn->peer);
			client_close(c, NULL);
			return;
		}
		if (!how->tls) {
			client_wait_login(c);
		}
		client_kick(c);
		return;
	}
	if ((access = conn_access(conn, con->cfg, !how->ro)) < 0) {
		client_refused(conn, con);
		conn_finish(conn);
	} else {
		client_join(c, con, NULL, access);
	}
	client_kick(c);
}
