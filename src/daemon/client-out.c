/*
 * client-out: what a console client is sent.  See client.h.
 *
 * Output order on the wire: what the connection owes (the half of a
 * doubled IAC, our queued words), then console output from the client's
 * ring position.  A client that fell out of the ring is skipped ahead to
 * live output and told how much it lost, or closed (slow = disconnect);
 * a TTYHUB-CONTROL client is told its role and the backend's state when
 * either changed, and where a replay ends.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "conn.h"
#include "console.h"
#include "log.h"
#include "../telnet/tn.h"

#define CLIENT_WRITE_MAX	(64 * 1024)	/* ring bytes per write */

static uint8_t	client_ebuf[2 * CLIENT_WRITE_MAX];

/*
 * What client_ebuf holds: the escaped form of n ring bytes of console
 * id from pos.  Clients that keep up ask for the same bytes one after
 * another, so one escape serves them all.  A ring byte never changes
 * under its position (positions only grow) and console ids are never
 * reused, so the key stays true for as long as it can be asked for.
 */
static struct {
	uint64_t	id;		/* 0: nothing */
	uint64_t	pos;
	size_t		n, len;
} client_esc;

/*
 * On a console's own listener, the ttyhub client is held from the very
 * byte its WILL TTYHUB-CONTROL arrived until it has named what it wants,
 * so that nothing it sends after that (its window size above all) acts
 * yet, and nothing is sent to it.
 */
int
client_naming(const struct client *c)
{
	return c->direct && !c->named && c->m.con != NULL &&
	    conn_has_ctl(c->conn);
}

void
client_events(struct client *c)
{
	struct console	*con = c->m.con;

	/* A writer waits while the backend's queue is full. */
	conn_events(c->conn, con == NULL || c->m.ro ||
	    console_input_room(con));
}

void
client_notice(struct client *c, const char *text)
{
	conn_notice(c->conn, text);
}

/*
 * Tell a TTYHUB-CONTROL client its role and the backend's state when
 * either changed.  Role changes are made in console.c too (a writer
 * forced out, the next one promoted), always with a notice, which kicks
 * the client, so looking here, on every kick, sees them all.
 */
static void
client_state_update(struct client *c)
{
	struct console	*con = c->m.con;
	int		 role;

	if (con == NULL || !conn_has_ctl(c->conn) || client_naming(c)) {
		return;
	}
	role = console_role(con, &c->m);
	if (role == c->told_role && (int)con->state == c->told_state) {
		return;
	}
	c->told_role = role;
	c->told_state = (int)con->state;
	conn_ctl_send(c->conn, TN_CTL_STATE, "%s %s %s", con->name,
	    console_role_str(role), console_state_str(con));
}

/* Cut the iovecs to at most max bytes. */
static void
client_clip(struct iovec *iov, int *cnt, uint64_t max)
{
	if (iov[0].iov_len >= max) {
		iov[0].iov_len = (size_t)max;
		*cnt = 1;
	} else if (*cnt == 2 && iov[0].iov_len + iov[1].iov_len > max) {
		iov[1].iov_len = (size_t)(max - iov[0].iov_len);
	}
}

/*
 * n ring bytes from c's position, IAC doubled, through the one escape
 * buffer; returns what the socket took (-1 with errno).
 */
static ssize_t
client_write_escaped(struct client *c, const uint8_t *src, size_t n)
{
	struct conn	*conn = c->conn;
	uint64_t	 id = c->m.con->id;
	size_t		 len;
	ssize_t		 w;
	int		 half;

	if (client_esc.id != id || client_esc.pos != c->m.pos ||
	    client_esc.n != n) {
		client_esc.id = id;
		client_esc.pos = c->m.pos;
		client_esc.n = n;
		client_esc.len = tn_escape(client_ebuf, src, n);
	}
	len = client_esc.len;
	w = conn_write(conn, client_ebuf, len);
	if ((size_t)w == len) {
		/* All of it: no need to count pairs. */
		conn->half = 0;
		c->m.pos += n;
	} else if (w > 0) {
		c->m.pos += tn_escaped_taken(client_ebuf, (size_t)w, &half);
		conn->half = half;
		conn->blocked = 1;
	}
	return w;
}

/*
 * Write ring output from c's position.  Returns -1 on a dead socket, 1
 * when it stopped to queue a message of ours that must go before more
 * output.
 */
static int
client_write_ring(struct client *c)
{
	struct conn	*conn = c->conn;
	struct console	*con = c->m.con;
	struct iovec	 iov[2];
	ssize_t		 w;
	int		 cnt;

	if (c->flow_suspended) {
		return 0;	/* RFC 2217: until FLOWCONTROL-RESUME */
	}
	while (!conn->blocked) {
		if (c->replay_owed && c->m.pos >= c->replay_end) {
			/* The replay ends here: the marker goes next. */
			c->replay_owed = 0;
			tn_send_ctl(conn->tn, TN_CTL_REPLAY_END, NULL, 0);
			return 1;
		}
		if ((cnt = ring_peek(&con->ring, c->m.pos, iov)) == 0) {
			break;
		}
		if (c->replay_owed) {
			client_clip(iov, &cnt, c->replay_end - c->m.pos);
		}
		if (conn->telnet) {
			w = client_write_escaped(c, iov[0].iov_base,
			    iov[0].iov_len < CLIENT_WRITE_MAX ?
			    iov[0].iov_len : CLIENT_WRITE_MAX);
			if (w > 0) {
				continue;
			}
		} else {
			w = conn_writev(conn, iov, cnt);
		}
		if (w == -1) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				conn->blocked = 1;
				break;
			}
			return -1;
		}
		c->m.pos += (size_t)w;
		if ((size_t)w < iov[0].iov_len +
		    (cnt == 2 ? iov[1].iov_len : 0)) {
			conn->blocked = 1;
		}
	}
	return 0;
}

/* Tell the client what it lost since the last drop notice, if anything. */
static void
client_say_drops(struct client *c)
{
	char	msg[96];

	if (c->unsaid == 0 || c->m.con == NULL) {
		return;
	}
	snprintf(msg, sizeof msg, "%llu bytes dropped",
	    (unsigned long long)c->unsaid);
	client_notice(c, msg);
	console_log_event(c->m.con, "%s: %llu bytes dropped (slow client)",
	    c->m.peer, (unsigned long long)c->unsaid);
	c->unsaid = 0;
}

/*
 * Has c fallen out of its console's ring?  Skip it ahead to live output,
 * the backend's latest read (still in the ring: a read is at most half
 * of it), and count what went; skipping to the head would drop that read
 * too.  Returns -1 when it is to be closed instead (slow = disconnect).
 */
static int
client_clamp(struct client *c)
{
	struct console	*con = c->m.con;
	uint64_t	 lost;

	if (con == NULL || client_naming(c) ||
	    (lost = ring_clamp(&con->ring, &c->m.pos)) == 0) {
		return 0;
	}
	if (con->cfg->slow_disconnect) {
		log_info("console %s: %s: %llu bytes behind: disconnected "
		    "(slow = disconnect)", con->name, c->m.peer,
		    (unsigned long long)lost);
		return -1;
	}
	if (con->live > c->m.pos) {
		lost += con->live - c->m.pos;
		c->m.pos = con->live;
	}
	c->dropped += lost;
	c->unsaid += lost;
	return 0;
}

int
client_out(struct client *c, const char **why)
{
	struct conn	*conn = c->conn;

	*why = NULL;
	if (conn->failed != NULL) {
		log_info("%s: closed: %s", conn->peer, conn->failed);
		return -1;
	}
	if (client_clamp(c) == -1) {
		*why = "you fell too far behind: disconnected";
		return -1;
	}
	/*
	 * One drop notice at a time: while the last is still queued, later
	 * drops add to the next one, so a client that never reads cannot
	 * fill its notice queue with them and be closed for it.
	 */
	if (conn_queued(conn) == 0) {
		client_say_drops(c);
	}
	client_state_update(c);
	for (;;) {
		switch (conn_flush(conn)) {
		case -1:
			return -1;
		case 1:
			client_events(c);
			return 0;
		}
		if (c->unsaid > 0) {
			/* Skipped while the last notice waited: say so first. */
			client_say_drops(c);
			continue;
		}
		if (conn->closing || c->m.con == NULL ||
		    client_naming(c)) {
			break;
		}
		switch (client_write_ring(c)) {
		case -1:
			return -1;
		case 1:
			continue;	/* a message of ours goes first */
		}
		break;
	}
	client_events(c);
	return 0;
}
