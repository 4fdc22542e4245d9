/*
 * client-comport: RFC 2217 (COM-PORT-OPTION) from a client of a serial
 * console.  See client.h.
 *
 * Readers may ask, never change: a reader's change is answered with the
 * value in effect, which is how RFC 2217 says no, and the reader is told
 * why once.  FLOWCONTROL-SUSPEND holds console output only: our own
 * replies and notices are small and bounded, and a client that never
 * resumes falls behind in the ring like any slow one.
 */
#include <stdio.h>

#include "client.h"
#include "conn.h"
#include "console.h"
#include "log.h"
#include "../telnet/rfc2217.h"

/* What a request does to c's own settings: masks and flow. */
static int
client_comport_own(struct client *c, const struct rfc2217_req *req)
{
	char	text[RFC2217_SIG_MAX * 4 + 1];

	switch (req->cmd) {
	case RFC2217_SIGNATURE:
		if (req->action == RFC2217_SET) {
			(void)log_safe(text, sizeof text, req->text,
			    req->textlen);
			log_rate_info(&c->m.lr_comport, "console %s: %s: RFC "
			    "2217 client \"%s\"", c->m.con->name, c->m.peer,
			    text);
		}
		break;
	case RFC2217_FLOWCONTROL_SUSPEND:
		c->flow_suspended = 1;
		return 1;
	case RFC2217_FLOWCONTROL_RESUME:
		c->flow_suspended = 0;
		return 1;	/* the read that brought it kicks it next */
	case RFC2217_SET_LINESTATE_MASK:
		if (req->action == RFC2217_SET) {
			c->line_mask = (uint8_t)req->value;
		}
		break;
	case RFC2217_SET_MODEMSTATE_MASK:
		if (req->action == RFC2217_SET) {
			c->m.modem_mask = (uint8_t)req->value;
			console_comport_watch(c->m.con);
		}
		break;
	default:
		break;
	}
	return 0;
}

void
client_comport_request(struct client *c, const uint8_t *buf, size_t len)
{
	struct console		*con = c->m.con;
	struct rfc2217_req	 req;
	struct rfc2217_state	 st;
	uint8_t			 out[RFC2217_MSG_MAX];
	char			 msg[160];
	size_t			 n;

	if (con == NULL || c->conn->closing ||
	    rfc2217_parse(buf, len, &req) == -1) {
		return;
	}
	if (!c->m.comport) {
		c->m.comport = 1;
		c->line_mask = RFC2217_LINE_MASK_DEFAULT;
		c->m.modem_mask = RFC2217_MODEM_MASK_DEFAULT;
		console_comport_watch(con);
	}
	if (client_comport_own(c, &req)) {
		return;
	}
	if (c->m.ro && rfc2217_changes(&req) &&
	    req.cmd != RFC2217_PURGE_DATA) {
		req.action = RFC2217_QUERY;
		if (!c->told_comport_ro) {
			c->told_comport_ro = 1;
			snprintf(msg, sizeof msg, "%s: read-only: COM-PORT "
			    "change refused", con->name);
			client_notice(c, msg);
		}
		log_rate_info(&c->m.lr_comport, "console %s: %s: read-only: "
		    "%s refused", con->name, c->m.peer,
		    rfc2217_cmd_name(req.cmd));
	}
	if (console_comport(con, &c->m, &req, &st) == -1) {
		return;
	}
	st.line_mask = c->line_mask;
	st.modem_mask = c->m.modem_mask;
	st.signature = "ttyhub " TTYHUB_VERSION;
	if ((n = rfc2217_reply(&req, &st, out, sizeof out)) > 0) {
		conn_queue(c->conn, out, n);
	}
}

void
client_comport_modem(struct client *c, uint8_t state)
{
	uint8_t	out[RFC2217_MSG_MAX], lines = 0;
	size_t	n;

	if (c->m.con == NULL) {
		return;
	}
	/* A line that changed is reported if its state or delta bit is asked for. */
	if (state & RFC2217_MODEM_DELTA_CTS) {
		lines |= RFC2217_MODEM_CTS | RFC2217_MODEM_DELTA_CTS;
	}
	if (state & RFC2217_MODEM_DELTA_DSR) {
		lines |= RFC2217_MODEM_DSR | RFC2217_MODEM_DELTA_DSR;
	}
	if (state & RFC2217_MODEM_TERI) {
		lines |= RFC2217_MODEM_RI | RFC2217_MODEM_TERI;
	}
	if (state & RFC2217_MODEM_DELTA_CD) {
		lines |= RFC2217_MODEM_CD | RFC2217_MODEM_DELTA_CD;
	}
	if ((lines & c->m.modem_mask) == 0) {
		return;
	}
	n = rfc2217_notify_modem(state, c->m.modem_mask, out, sizeof out);
	conn_queue(c->conn, out, n);
	/* Sent from the write event, as notices are. */
	c->conn->blocked = 1;
	client_events(c);
}
