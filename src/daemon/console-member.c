/*
 * console-member: a console's members, as console.h describes them:
 * attaching and detaching, roles and the writer's turn, rewinding, and
 * what a member asks of a serial line (RFC 2217).  console.c, the
 * console's own life and bytes, calls none of this: it reaches its
 * members only through their ops.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "log.h"
#include "../telnet/rfc2217.h"

/* Members. */

static struct console_member *
console_next_writer(struct console *con)
{
	struct console_member	*m;

	TAILQ_FOREACH(m, &con->members, entry) {
		if (m->may_write && !m->chose_ro) {
			return m;
		}
	}
	return NULL;
}

int
console_role(const struct console *con, const struct console_member *m)
{
	if (m->ro) {
		return 0;
	}
	return con->cfg->writers_one ? 2 : 1;
}

const char *
console_role_str(int role)
{
	return role == 2 ? "writer" : role == 1 ? "rw" : "ro";
}

void
console_attach(struct console *con, struct console_member *m, int replay)
{
	const char	*role;
	char		 msg[200];

	m->con = con;
	m->pos = replay && con->cfg->replay > 0 ?
	    ring_back(&con->ring, con->cfg->replay) : con->ring.head;
	m->chose_ro = m->ro;
	if (!m->ro && con->cfg->writers_one) {
		if (con->writer == NULL) {
			con->writer = m;
		} else {
			m->ro = 1;
			snprintf(msg, sizeof msg, "%s: read-only: %s is "
			    "writing", con->name, con->writer->peer);
			m->ops->notice(m, msg);
		}
	}
	TAILQ_INSERT_TAIL(&con->members, m, entry);
	con->nmembers++;
	role = m->ro ? "ro" : "rw";
	log_info("console %s: %s attached (%s)", con->name, m->peer, role);
	console_log_event(con, "attach %s (%s)", m->peer, role);
	if (con->cfg->notices && !m->quiet) {
		console_notice(con, m, "%s: %s attached (%s)", con->name,
		    m->peer, role);
	}
	if (con->state != CONSOLE_UP && con->down_why[0] != '\0') {
		snprintf(msg, sizeof msg, "%s: backend down (%s)%s",
		    con->name, con->down_why,
		    con->no_retry ? "" : "; retrying");
		m->ops->notice(m, msg);
		con->told_down = 1;
	}
	if (!m->ro && m->cols > 0 && m->rows > 0) {
		console_winsize(con, m, m->cols, m->rows);
	}
}

void
console_detach(struct console *con, struct console_member *m)
{
	TAILQ_REMOVE(&con->members, m, entry);
	con->nmembers--;
	m->con = NULL;
	if (m->comport) {
		console_comport_watch(con);
	}
	log_rate_flush(&m->lr_comport);
	log_info("console %s: %s detached", con->name, m->peer);
	console_log_event(con, "detach %s", m->peer);
	if (con->closing) {
		return;
	}
	if (con->cfg->notices && !m->quiet) {
		console_notice(con, NULL, "%s: %s detached", con->name,
		    m->peer);
	}
	if (con->writer == m) {
		console_pass_write(con);
	}
}

/*
 * The writer has left or chosen to read only: with writers = one the
 * first member that may write and has not chosen otherwise writes next.
 */
void
console_pass_write(struct console *con)
{
	struct console_member	*next;
	char			 msg[200];

	con->writer = NULL;
	if ((next = console_next_writer(con)) == NULL) {
		return;
	}
	con->writer = next;
	next->ro = 0;
	next->told_ro = 0;
	snprintf(msg, sizeof msg, "%s: you are the writer now", con->name);
	next->ops->notice(next, msg);
	console_log_event(con, "%s writes", next->peer);
	console_winsize(con, next, next->cols, next->rows);
}

void
console_take_write(struct console *con, struct console_member *m)
{
	struct console_member	*old = con->writer;
	char			 msg[200];

	if (!m->may_write || old == m) {
		return;
	}
	m->ro = 0;
	m->chose_ro = 0;
	if (!con->cfg->writers_one) {
		return;
	}
	con->writer = m;
	if (old != NULL) {
		old->ro = 1;
		snprintf(msg, sizeof msg, "%s: %s took over writing; you are "
		    "read-only", con->name, m->peer);
		old->ops->notice(old, msg);
	}
	console_winsize(con, m, m->cols, m->rows);
	console_log_event(con, "%s forced write", m->peer);
}

void
console_choose_ro(struct console *con, struct console_member *m)
{
	char	msg[200];

	m->chose_ro = 1;
	if (m->ro) {
		snprintf(msg, sizeof msg, "%s: you are read-only already",
		    con->name);
		m->ops->notice(m, msg);
		return;
	}
	m->ro = 1;
	m->told_ro = 0;
	console_log_event(con, "%s became read-only", m->peer);
	snprintf(msg, sizeof msg, "%s: you are read-only now", con->name);
	m->ops->notice(m, msg);
	if (con->writer == m) {
		console_pass_write(con);
	}
}

int
console_choose_rw(struct console *con, struct console_member *m, int force)
{
	char	msg[200];

	if (!m->may_write) {
		errno = EPERM;
		return -1;
	}
	m->chose_ro = 0;	/* it wants to: next in line when it is free */
	if (!m->ro) {
		snprintf(msg, sizeof msg, "%s: you are writing already",
		    con->name);
		m->ops->notice(m, msg);
		return 0;
	}
	if (con->cfg->writers_one && con->writer != NULL && !force) {
		errno = EBUSY;
		return -1;
	}
	if (con->cfg->writers_one && con->writer != NULL) {
		console_take_write(con, m);
	} else {
		m->ro = 0;
		if (con->cfg->writers_one) {
			con->writer = m;
		}
		console_log_event(con, "%s writes", m->peer);
		console_winsize(con, m, m->cols, m->rows);
	}
	m->told_ro = 0;
	snprintf(msg, sizeof msg, "%s: %s", con->name, con->cfg->writers_one ?
	    "you are the writer now" : "you may write now");
	m->ops->notice(m, msg);
	return 0;
}

void
console_rewind(struct console *con, struct console_member *m, uint64_t want)
{
	uint64_t	pos;

	if (want > con->ring.cap) {
		want = con->ring.cap;
	}
	pos = ring_back(&con->ring, (size_t)want);
	if (pos < m->pos) {
		m->pos = pos;
	}
}

/* RFC 2217 (COM-PORT-OPTION). */

int
console_has_comport(const struct console *con)
{
	return con->be->ops->comport != NULL;
}

/* "9600 8N1, flow none, DTR on, RTS on": the line, for logs. */
static void
console_line_str(const struct rfc2217_state *st, char *buf, size_t len)
{
	static const char	parity[] = "?NOEMS";
	static const char *const stop[] = { "?", "1", "2", "1.5" };
	const char		*flow;

	flow = st->flow == RFC2217_CTL_FLOW_HW ? "rtscts" :
	    st->flow == RFC2217_CTL_FLOW_XONXOFF ? "xonxoff" : "none";
	snprintf(buf, len, "%u %u%c%s, flow %s, DTR %s, RTS %s, BREAK %s",
	    (unsigned)st->baud, st->datasize,
	    st->parity <= RFC2217_PARITY_SPACE ? parity[st->parity] : '?',
	    st->stopsize <= RFC2217_STOP_1_5 ? stop[st->stopsize] : "?", flow,
	    st->dtr == RFC2217_CTL_DTR_ON ? "on" : "off",
	    st->rts == RFC2217_CTL_RTS_ON ? "on" : "off",
	    st->brk == RFC2217_CTL_BREAK_ON ? "on" : "off");
}

int
console_comport(struct console *con, struct console_member *m,
    const struct rfc2217_req *req, struct rfc2217_state *st)
{
	const struct backend_ops	*ops = con->be->ops;
	struct rfc2217_req		 ask = *req, q;
	struct rfc2217_state		 was;
	char				 line[160];
	int				 r, e;

	if (ops->comport == NULL) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (req->cmd == RFC2217_PURGE_DATA && req->action == RFC2217_SET) {
		/*
		 * The receive side is per client: what the device sent and
		 * c has not been sent yet.  The transmit side is shared by
		 * every writer, as a real port's queue is; a reader has
		 * nothing in it, so its purge touches nothing else.
		 */
		if (req->value & RFC2217_PURGE_RX) {
			m->pos = con->ring.head;
		}
		if (m->ro) {
			ask.action = RFC2217_QUERY;
		} else if (req->value & RFC2217_PURGE_TX) {
			console_input_purge(con);
		}
	}
	q = ask;
	q.action = RFC2217_QUERY;
	(void)ops->comport(con->be, &q, &was);
	r = ops->comport(con->be, &ask, st);
	e = errno;
	if (ask.cmd == RFC2217_PURGE_DATA && ask.action == RFC2217_SET) {
		console_log_event(con, "%s purged the device's queues (%u)",
		    m->peer, (unsigned)ask.value);
	}
	if (!rfc2217_changes(&ask) || ask.cmd == RFC2217_PURGE_DATA) {
		if (r == -1) {
			log_rate_warn(&m->lr_comport, "console %s: %s from "
			    "%s: %s", con->name, rfc2217_cmd_name(req->cmd),
			    m->peer, strerror(e));
		}
		return 0;
	}
	console_line_str(st, line, sizeof line);
	if (was.baud != st->baud || was.datasize != st->datasize ||
	    was.parity != st->parity || was.stopsize != st->stopsize ||
	    was.flow != st->flow || was.flow_in != st->flow_in ||
	    was.brk != st->brk || was.dtr != st->dtr || was.rts != st->rts) {
		log_info("console %s: %s set the line: %s", con->name,
		    m->peer, line);
		console_log_event(con, "%s set the line: %s", m->peer, line);
	} else if (rfc2217_update(&was, &ask)) {
		/*
		 * It asked for something else and the device kept this: a
		 * pty, for one, refuses all but CS8 without parity (glibc
		 * reports that as EINVAL).
		 */
		log_rate_info(&m->lr_comport, "console %s: %s: %s %u not "
		    "taken%s%s; the line stays %s", con->name, m->peer,
		    rfc2217_cmd_name(req->cmd), (unsigned)req->value,
		    r == -1 ? ": " : "", r == -1 ? strerror(e) : "", line);
	} else if (r == -1) {
		log_rate_warn(&m->lr_comport, "console %s: %s from %s: %s",
		    con->name, rfc2217_cmd_name(req->cmd), m->peer,
		    strerror(e));
	}
	return 0;
}

