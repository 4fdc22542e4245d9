/*
 * rfc2217: COM-PORT-OPTION requests in, replies and notifications out.
 * See rfc2217.h.
 *
 * Lengths are checked exactly: a SET-BAUDRATE is four bytes and every
 * other setting one.  A request of the wrong length is not guessed at
 * (sredird, says pyserial, answers with eight bytes of baud): it is
 * treated as an invalid value and answered with the current one, so the
 * client still hears what is in effect.
 */
#include <string.h>

#include "rfc2217.h"

static const char *const rfc2217_names[] = {
	[RFC2217_SIGNATURE] = "SIGNATURE",
	[RFC2217_SET_BAUDRATE] = "SET-BAUDRATE",
	[RFC2217_SET_DATASIZE] = "SET-DATASIZE",
	[RFC2217_SET_PARITY] = "SET-PARITY",
	[RFC2217_SET_STOPSIZE] = "SET-STOPSIZE",
	[RFC2217_SET_CONTROL] = "SET-CONTROL",
	[RFC2217_NOTIFY_LINESTATE] = "NOTIFY-LINESTATE",
	[RFC2217_NOTIFY_MODEMSTATE] = "NOTIFY-MODEMSTATE",
	[RFC2217_FLOWCONTROL_SUSPEND] = "FLOWCONTROL-SUSPEND",
	[RFC2217_FLOWCONTROL_RESUME] = "FLOWCONTROL-RESUME",
	[RFC2217_SET_LINESTATE_MASK] = "SET-LINESTATE-MASK",
	[RFC2217_SET_MODEMSTATE_MASK] = "SET-MODEMSTATE-MASK",
	[RFC2217_PURGE_DATA] = "PURGE-DATA",
};

const char *
rfc2217_cmd_name(unsigned cmd)
{
	if (cmd >= RFC2217_SERVER) {
		cmd -= RFC2217_SERVER;
	}
	if (cmd < sizeof rfc2217_names / sizeof rfc2217_names[0]) {
		return rfc2217_names[cmd];
	}
	return "UNKNOWN";
}

/* A one-byte setting: 0 asks, lo..hi sets, anything else is invalid. */
static void
rfc2217_byte(const uint8_t *buf, size_t len, unsigned lo, unsigned hi,
    struct rfc2217_req *req)
{
	if (len != 2) {
		req->action = RFC2217_INVALID;
		return;
	}
	req->value = buf[1];
	if (req->value == 0) {
		req->action = RFC2217_QUERY;
	} else if (req->value >= lo && req->value <= hi) {
		req->action = RFC2217_SET;
	} else {
		req->action = RFC2217_INVALID;
	}
}

static void
rfc2217_control(uint32_t v, struct rfc2217_req *req)
{
	switch (v) {
	case RFC2217_CTL_FLOW_REQ:
	case RFC2217_CTL_BREAK_REQ:
	case RFC2217_CTL_DTR_REQ:
	case RFC2217_CTL_RTS_REQ:
	case RFC2217_CTL_FLOW_IN_REQ:
		req->action = RFC2217_QUERY;
		break;
	default:
		/* 20-127 are for future use, 128-255 undefined. */
		req->action = v <= RFC2217_CTL_FLOW_DSR ? RFC2217_SET :
		    RFC2217_INVALID;
		break;
	}
}

int
rfc2217_parse(const uint8_t *buf, size_t len, struct rfc2217_req *req)
{
	memset(req, 0, sizeof *req);
	if (len == 0 || buf[0] > RFC2217_PURGE_DATA) {
		return -1;
	}
	req->cmd = (enum rfc2217_cmd)buf[0];
	req->action = RFC2217_SET;
	switch (req->cmd) {
	case RFC2217_SIGNATURE:
		/* Empty asks for ours; text is the client's own. */
		if (len == 1) {
			req->action = RFC2217_QUERY;
		} else {
			req->text = buf + 1;
			req->textlen = len - 1 < RFC2217_SIG_MAX ? len - 1 :
			    RFC2217_SIG_MAX;
		}
		break;
	case RFC2217_SET_BAUDRATE:
		if (len != 5) {
			req->action = RFC2217_INVALID;
			break;
		}
		req->value = (uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 |
		    (uint32_t)buf[3] << 8 | buf[4];
		if (req->value == 0) {
			req->action = RFC2217_QUERY;
		}
		break;
	case RFC2217_SET_DATASIZE:
		rfc2217_byte(buf, len, 5, 8, req);
		break;
	case RFC2217_SET_PARITY:
		rfc2217_byte(buf, len, RFC2217_PARITY_NONE,
		    RFC2217_PARITY_SPACE, req);
		break;
	case RFC2217_SET_STOPSIZE:
		rfc2217_byte(buf, len, RFC2217_STOP_1, RFC2217_STOP_1_5, req);
		break;
	case RFC2217_SET_CONTROL:
		if (len != 2) {
			req->action = RFC2217_INVALID;
			break;
		}
		req->value = buf[1];
		rfc2217_control(req->value, req);
		break;
	case RFC2217_NOTIFY_LINESTATE:
	case RFC2217_NOTIFY_MODEMSTATE:
		/*
		 * Notifications go from server to client; a client that
		 * sends one is polling (pyserial's poll_modem does), so it
		 * is answered with the state now.
		 */
		req->action = RFC2217_QUERY;
		break;
	case RFC2217_FLOWCONTROL_SUSPEND:
	case RFC2217_FLOWCONTROL_RESUME:
		break;
	case RFC2217_SET_LINESTATE_MASK:
	case RFC2217_SET_MODEMSTATE_MASK:
		if (len != 2) {
			req->action = RFC2217_INVALID;
			break;
		}
		req->value = buf[1];	/* every mask is valid */
		break;
	case RFC2217_PURGE_DATA:
		if (len != 2 || buf[1] < RFC2217_PURGE_RX ||
		    buf[1] > RFC2217_PURGE_BOTH) {
			req->action = RFC2217_INVALID;
			req->value = len == 2 ? buf[1] : 0;
			break;
		}
		req->value = buf[1];
		break;
	}
	return 0;
}

int
rfc2217_changes(const struct rfc2217_req *req)
{
	if (req->action != RFC2217_SET) {
		return 0;
	}
	switch (req->cmd) {
	case RFC2217_SET_BAUDRATE:
	case RFC2217_SET_DATASIZE:
	case RFC2217_SET_PARITY:
	case RFC2217_SET_STOPSIZE:
	case RFC2217_SET_CONTROL:
	case RFC2217_PURGE_DATA:
		return 1;
	default:
		return 0;
	}
}

static int
rfc2217_set8(uint8_t *field, uint32_t v)
{
	if (*field == (uint8_t)v) {
		return 0;
	}
	*field = (uint8_t)v;
	return 1;
}

int
rfc2217_update(struct rfc2217_state *st, const struct rfc2217_req *req)
{
	int	n = 0;

	if (req->action != RFC2217_SET) {
		return 0;
	}
	switch (req->cmd) {
	case RFC2217_SET_BAUDRATE:
		if (st->baud == req->value) {
			return 0;
		}
		st->baud = req->value;
		return 1;
	case RFC2217_SET_DATASIZE:
		return rfc2217_set8(&st->datasize, req->value);
	case RFC2217_SET_PARITY:
		return rfc2217_set8(&st->parity, req->value);
	case RFC2217_SET_STOPSIZE:
		return rfc2217_set8(&st->stopsize, req->value);
	case RFC2217_SET_CONTROL:
		break;
	default:
		return 0;
	}
	switch (req->value) {
	case RFC2217_CTL_FLOW_NONE:
	case RFC2217_CTL_FLOW_XONXOFF:
	case RFC2217_CTL_FLOW_HW:
		/* "Outbound/both": the inbound direction follows. */
		n = rfc2217_set8(&st->flow, req->value);
		n |= rfc2217_set8(&st->flow_in, req->value -
		    RFC2217_CTL_FLOW_NONE + RFC2217_CTL_FLOW_IN_NONE);
		return n;
	case RFC2217_CTL_BREAK_ON:
	case RFC2217_CTL_BREAK_OFF:
		return rfc2217_set8(&st->brk, req->value);
	case RFC2217_CTL_DTR_ON:
	case RFC2217_CTL_DTR_OFF:
		return rfc2217_set8(&st->dtr, req->value);
	case RFC2217_CTL_RTS_ON:
	case RFC2217_CTL_RTS_OFF:
		return rfc2217_set8(&st->rts, req->value);
	case RFC2217_CTL_FLOW_IN_NONE:
	case RFC2217_CTL_FLOW_IN_XONXOFF:
	case RFC2217_CTL_FLOW_IN_HW:
		return rfc2217_set8(&st->flow_in, req->value);
	default:
		/*
		 * DCD, DTR and DSR flow control: termios has none of them,
		 * so nothing moves and the reply says what is in effect.
		 */
		return 0;
	}
}

size_t
rfc2217_frame(uint8_t cmd, const uint8_t *val, size_t vlen, uint8_t *out,
    size_t cap)
{
	size_t	n = 0, i, need = 6 + vlen;

	for (i = 0; i < vlen; i++) {
		need += val[i] == 0xff;
	}
	if (need > cap) {
		return 0;
	}
	out[n++] = 0xff;	/* IAC */
	out[n++] = 0xfa;	/* SB */
	out[n++] = RFC2217_OPTION;
	out[n++] = cmd;
	for (i = 0; i < vlen; i++) {
		out[n++] = val[i];
		if (val[i] == 0xff) {
			out[n++] = 0xff;
		}
	}
	out[n++] = 0xff;	/* IAC */
	out[n++] = 0xf0;	/* SE */
	return n;
}

/* The SET-CONTROL value in effect for the group req->value is in. */
static int
rfc2217_control_now(uint32_t v, const struct rfc2217_state *st)
{
	switch (v) {
	case RFC2217_CTL_FLOW_REQ:
	case RFC2217_CTL_FLOW_NONE:
	case RFC2217_CTL_FLOW_XONXOFF:
	case RFC2217_CTL_FLOW_HW:
	case RFC2217_CTL_FLOW_DCD:
	case RFC2217_CTL_FLOW_DSR:
		return st->flow;
	case RFC2217_CTL_BREAK_REQ:
	case RFC2217_CTL_BREAK_ON:
	case RFC2217_CTL_BREAK_OFF:
		return st->brk;
	case RFC2217_CTL_DTR_REQ:
	case RFC2217_CTL_DTR_ON:
	case RFC2217_CTL_DTR_OFF:
		return st->dtr;
	case RFC2217_CTL_RTS_REQ:
	case RFC2217_CTL_RTS_ON:
	case RFC2217_CTL_RTS_OFF:
		return st->rts;
	case RFC2217_CTL_FLOW_IN_REQ:
	case RFC2217_CTL_FLOW_IN_NONE:
	case RFC2217_CTL_FLOW_IN_XONXOFF:
	case RFC2217_CTL_FLOW_IN_HW:
	case RFC2217_CTL_FLOW_IN_DTR:
		return st->flow_in;
	}
	return -1;
}

size_t
rfc2217_reply(const struct rfc2217_req *req, const struct rfc2217_state *st,
    uint8_t *out, size_t cap)
{
	uint8_t	v[4], cmd = (uint8_t)(req->cmd + RFC2217_SERVER);
	int	now;

	switch (req->cmd) {
	case RFC2217_SIGNATURE:
		if (req->action != RFC2217_QUERY || st->signature == NULL) {
			return 0;
		}
		return rfc2217_frame(cmd, (const uint8_t *)st->signature,
		    strnlen(st->signature, RFC2217_SIG_MAX), out, cap);
	case RFC2217_SET_BAUDRATE:
		v[0] = (uint8_t)(st->baud >> 24);
		v[1] = (uint8_t)(st->baud >> 16);
		v[2] = (uint8_t)(st->baud >> 8);
		v[3] = (uint8_t)st->baud;
		return rfc2217_frame(cmd, v, 4, out, cap);
	case RFC2217_SET_DATASIZE:
		return rfc2217_frame(cmd, &st->datasize, 1, out, cap);
	case RFC2217_SET_PARITY:
		return rfc2217_frame(cmd, &st->parity, 1, out, cap);
	case RFC2217_SET_STOPSIZE:
		return rfc2217_frame(cmd, &st->stopsize, 1, out, cap);
	case RFC2217_SET_CONTROL:
		if (req->action == RFC2217_INVALID ||
		    (now = rfc2217_control_now(req->value, st)) == -1) {
			return 0;	/* no group, so no value to report */
		}
		v[0] = (uint8_t)now;
		return rfc2217_frame(cmd, v, 1, out, cap);
	case RFC2217_NOTIFY_LINESTATE:
		return rfc2217_notify_line(st->line, st->line_mask, out, cap);
	case RFC2217_NOTIFY_MODEMSTATE:
		return rfc2217_notify_modem(st->modem, st->modem_mask, out,
		    cap);
	case RFC2217_FLOWCONTROL_SUSPEND:
	case RFC2217_FLOWCONTROL_RESUME:
		return 0;	/* RFC 2217 has no acknowledgement for these */
	case RFC2217_SET_LINESTATE_MASK:
		return rfc2217_frame(cmd, &st->line_mask, 1, out, cap);
	case RFC2217_SET_MODEMSTATE_MASK:
		return rfc2217_frame(cmd, &st->modem_mask, 1, out, cap);
	case RFC2217_PURGE_DATA:
		if (req->action != RFC2217_SET) {
			return 0;	/* nothing was purged: nothing to say */
		}
		v[0] = (uint8_t)req->value;
		return rfc2217_frame(cmd, v, 1, out, cap);
	}
	return 0;
}

size_t
rfc2217_notify_modem(uint8_t state, uint8_t mask, uint8_t *out, size_t cap)
{
	uint8_t	v = state & mask;

	return rfc2217_frame(RFC2217_SERVER + RFC2217_NOTIFY_MODEMSTATE, &v, 1,
	    out, cap);
}

size_t
rfc2217_notify_line(uint8_t state, uint8_t mask, uint8_t *out, size_t cap)
{
	uint8_t	v = state & mask;

	return rfc2217_frame(RFC2217_SERVER + RFC2217_NOTIFY_LINESTATE, &v, 1,
	    out, cap);
}
