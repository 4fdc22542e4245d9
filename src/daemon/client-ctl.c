/*
 * client-ctl: TTYHUB-CONTROL (doc/PROTOCOL.md) from an attached client:
 * its requests (~r, ~w, ~f, ~u, ~l and PING), and, on a console's own
 * listener, the naming the broker would otherwise have done.  See
 * client.h.
 */
#include <errno.h>
#include <string.h>

#include "client.h"
#include "conn.h"
#include "console.h"
#include "listing.h"
#include "../telnet/tn.h"

/* Is word one of the comma- or space-separated words of mode? */
static int
client_ctl_has(const char *mode, const char *word)
{
	size_t	n, wl = strlen(word);

	while (*mode != '\0') {
		mode += strspn(mode, ", ");
		n = strcspn(mode, ", ");
		if (n == wl && strncmp(mode, word, n) == 0) {
			return 1;
		}
		mode += n;
	}
	return 0;
}

void
client_ctl_want(const char *mode, struct client_want *w)
{
	w->ro = client_ctl_has(mode, "ro");
	w->force = client_ctl_has(mode, "force");
	w->noreplay = client_ctl_has(mode, "noreplay");
	w->quiet = client_ctl_has(mode, "quiet");
}

/* What the peer said in NEW-ENVIRON (NULL: nothing; mode: ""). */
static void
client_ctl_env(const struct client *c, const char **name, const char **mode,
    const char **cmd)
{
	const struct tn_env	*e;
	size_t			 i;

	*name = *cmd = NULL;
	*mode = "";
	for (i = 0; (e = tn_env_at(c->conn->tn, i)) != NULL; i++) {
		if (strcmp(e->name, "TTYHUB_CONSOLE") == 0) {
			*name = e->value;
		} else if (strcmp(e->name, "TTYHUB_MODE") == 0) {
			*mode = e->value;
		} else if (strcmp(e->name, "TTYHUB_COMMAND") == 0) {
			*cmd = e->value;
		}
	}
}

/* TTYHUB_COMMAND on a console's own socket: for that console alone. */
static void
client_ctl_command(struct client *c, const char *cmd, const char *name)
{
	struct console	*con = c->m.con;

	if (strcmp(cmd, "list") == 0) {
		listing_row(c->conn, con, &c->m, 0);
	} else if (strcmp(cmd, "who") != 0) {
		conn_error(c->conn, "badcommand", "unknown command \"%s\"",
		    cmd);
	} else if (name != NULL && strcmp(name, con->name) != 0) {
		conn_error(c->conn, "otherconsole", "this socket is console "
		    "\"%s\"'s, not \"%s\"'s", con->name, name);
	} else {
		listing_who(c->conn, con, &c->m, 0);
	}
	conn_finish(c->conn);
}

/*
 * The ttyhub client on a console's own listener has named what it wants,
 * or had its time to.  It was attached at accept, as anyone there is (so
 * its arrival was announced, whatever its mode says), and has been held
 * since it offered TTYHUB-CONTROL; what it was sent before that, it
 * drops.  Now it gets what the broker would give it for this console: a
 * command is answered for this console alone, another console's name is
 * refused, and an attach gets STATE, its mode, its replay from the start
 * and REPLAY-END.
 */
void
client_ctl_named(struct client *c)
{
	struct console		*con = c->m.con;
	struct client_want	 w;
	const char		*name, *mode, *cmd;

	c->named = 1;
	conn_timer(c->conn, 0);
	client_ctl_env(c, &name, &mode, &cmd);
	if (cmd != NULL) {
		client_ctl_command(c, cmd, name);
		return;
	}
	if (name != NULL && strcmp(name, con->name) != 0) {
		conn_error(c->conn, "otherconsole", "this socket is console "
		    "\"%s\"'s, not \"%s\"'s", con->name, name);
		conn_finish(c->conn);
		return;
	}
	client_ctl_want(mode, &w);
	if (w.ro) {
		c->m.ro = 1;
		c->m.chose_ro = 1;	/* first: it is not next in line */
		if (con->writer == &c->m) {
			console_pass_write(con);
		}
	} else if (w.force) {
		console_take_write(con, &c->m);
	}
	c->m.pos = w.noreplay || c->noreplay ||
	    con->cfg->replay == 0 ? con->ring.head :
	    ring_back(&con->ring, con->cfg->replay);
	c->replay_owed = 1;
	c->replay_end = con->ring.head;
	if (!c->m.ro) {
		console_winsize(con, &c->m, c->m.cols, c->m.rows);
	}
}

/* ~w (ask) and ~f (force): write; the refusals as ERRORs a program reads. */
static void
client_ctl_rw(struct client *c, int force)
{
	struct console	*con = c->m.con;

	if (console_choose_rw(con, &c->m, force) == 0) {
		return;
	}
	if (errno == EPERM) {
		conn_error(c->conn, "denied", "%s: you may not write here (a "
		    "read-only listener, or the console's ro list)", con->name);
	} else {
		conn_error(c->conn, "busy", "%s: %s is writing", con->name,
		    con->writer->peer);
	}
}

/* ~l: the recent output again, from the ring, then live output. */
static void
client_ctl_replay(struct client *c, const uint8_t *text, size_t len)
{
	struct console	*con = c->m.con;
	uint64_t	 want = con->cfg->replay;
	size_t		 i;

	if (len > 0) {
		want = 0;
		for (i = 0; i < len && i < 12; i++) {
			if (text[i] < '0' || text[i] > '9') {
				conn_error(c->conn, "badcommand", "replay: "
				    "not a byte count");
				return;
			}
			want = want * 10 + (text[i] - '0');
		}
	} else if (want == 0) {
		conn_error(c->conn, "noreplay", "%s: replay is off for this "
		    "console", con->name);
		return;
	}
	console_rewind(con, &c->m, want);
	c->replay_owed = 1;
	c->replay_end = con->ring.head;
}

void
client_ctl_request(struct client *c, int code, const uint8_t *text,
    size_t len)
{
	if (c->conn->closing) {
		return;
	}
	if (code == TN_CTL_PING) {
		tn_send_ctl(c->conn->tn, TN_CTL_PONG, (const char *)text, len);
		return;
	}
	if (code < TN_CTL_RO || code > TN_CTL_REPLAY) {
		return;		/* unknown: ignored, so either side may add */
	}
	if (c->m.con == NULL || client_naming(c)) {
		conn_error(c->conn, "notattached", "not attached to a console");
		return;
	}
	switch (code) {
	case TN_CTL_RO:
		console_choose_ro(c->m.con, &c->m);
		break;
	case TN_CTL_RW:
	case TN_CTL_FORCE:
		client_ctl_rw(c, code == TN_CTL_FORCE);
		break;
	case TN_CTL_WHO:
		listing_who(c->conn, c->m.con, &c->m, 1);
		break;
	case TN_CTL_REPLAY:
		client_ctl_replay(c, text, len);
		break;
	}
}
