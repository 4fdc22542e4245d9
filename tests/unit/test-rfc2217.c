/*
 * test-rfc2217: table tests for the COM-PORT-OPTION module
 * (src/telnet/rfc2217.c): what each request parses to, which are changes,
 * how a request moves the settings, and the exact bytes of every reply
 * and notification.  Then every payload of up to three bytes is parsed
 * and answered, and each answer must be a well-formed message.  Ends with
 * "N passed, N failed", as test-tn does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/telnet/rfc2217.h"
#include "tcheck.h"

/* Bytes as "ff fa 2c": for messages. */
static const char *
hex(const uint8_t *p, size_t len)
{
	static char	buf[1024];
	size_t		i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < len && n + 4 < sizeof buf; i++) {
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%02x",
		    i > 0 ? " " : "", p[i]);
	}
	return buf;
}

/* A state like a console at 115200 8N1 with no flow control. */
static struct rfc2217_state
state(void)
{
	struct rfc2217_state	st;

	memset(&st, 0, sizeof st);
	st.baud = 115200;
	st.datasize = 8;
	st.parity = RFC2217_PARITY_NONE;
	st.stopsize = RFC2217_STOP_1;
	st.flow = RFC2217_CTL_FLOW_NONE;
	st.flow_in = RFC2217_CTL_FLOW_IN_NONE;
	st.brk = RFC2217_CTL_BREAK_OFF;
	st.dtr = RFC2217_CTL_DTR_ON;
	st.rts = RFC2217_CTL_RTS_ON;
	st.modem = RFC2217_MODEM_CTS | RFC2217_MODEM_DSR;
	st.line = 0x60;
	st.line_mask = RFC2217_LINE_MASK_DEFAULT;
	st.modem_mask = RFC2217_MODEM_MASK_DEFAULT;
	st.signature = "ttyhub test";
	return st;
}

struct parse_case {
	const char	*what;
	uint8_t		 in[8];
	size_t		 len;
	int		 ret;
	int		 action;
	uint32_t	 value;
	int		 changes;
};

static void
table_parse(void)
{
	static const struct parse_case cases[] = {
		{ "empty", { 0 }, 0, -1, 0, 0, 0 },
		{ "unknown command 13", { 13 }, 1, -1, 0, 0, 0 },
		{ "a server's reply (101)", { 101, 0, 0, 0, 0 }, 5, -1, 0, 0, 0 },
		{ "signature request", { 0 }, 1, 0, RFC2217_QUERY, 0, 0 },
		{ "client signature", { 0, 'p', 'y' }, 3, 0, RFC2217_SET, 0, 0 },
		{ "baud 9600", { 1, 0, 0, 0x25, 0x80 }, 5, 0, RFC2217_SET,
		    9600, 1 },
		{ "baud 0 asks", { 1, 0, 0, 0, 0 }, 5, 0, RFC2217_QUERY, 0, 0 },
		{ "baud 4 000 000", { 1, 0, 0x3d, 0x09, 0x00 }, 5, 0,
		    RFC2217_SET, 4000000, 1 },
		{ "baud short", { 1, 0, 0x25, 0x80 }, 4, 0, RFC2217_INVALID,
		    0, 0 },
		{ "baud with 8 bytes (sredird)", { 1, 0, 0, 0x25, 0x80, 0, 0,
		    0 }, 8, 0, RFC2217_INVALID, 0, 0 },
		{ "data size 0 asks", { 2, 0 }, 2, 0, RFC2217_QUERY, 0, 0 },
		{ "data size 5", { 2, 5 }, 2, 0, RFC2217_SET, 5, 1 },
		{ "data size 8", { 2, 8 }, 2, 0, RFC2217_SET, 8, 1 },
		{ "data size 4 is invalid", { 2, 4 }, 2, 0, RFC2217_INVALID,
		    4, 0 },
		{ "data size 9 is invalid", { 2, 9 }, 2, 0, RFC2217_INVALID,
		    9, 0 },
		{ "data size without a value", { 2 }, 1, 0, RFC2217_INVALID,
		    0, 0 },
		{ "parity space", { 3, 5 }, 2, 0, RFC2217_SET, 5, 1 },
		{ "parity 6 is invalid", { 3, 6 }, 2, 0, RFC2217_INVALID, 6, 0 },
		{ "stop size 1.5", { 4, 3 }, 2, 0, RFC2217_SET, 3, 1 },
		{ "stop size 4 is invalid", { 4, 4 }, 2, 0, RFC2217_INVALID,
		    4, 0 },
		{ "control: ask flow", { 5, 0 }, 2, 0, RFC2217_QUERY, 0, 0 },
		{ "control: hardware flow", { 5, 3 }, 2, 0, RFC2217_SET, 3, 1 },
		{ "control: ask BREAK", { 5, 4 }, 2, 0, RFC2217_QUERY, 4, 0 },
		{ "control: BREAK on", { 5, 5 }, 2, 0, RFC2217_SET, 5, 1 },
		{ "control: ask DTR", { 5, 7 }, 2, 0, RFC2217_QUERY, 7, 0 },
		{ "control: RTS off", { 5, 12 }, 2, 0, RFC2217_SET, 12, 1 },
		{ "control: ask inbound flow", { 5, 13 }, 2, 0, RFC2217_QUERY,
		    13, 0 },
		{ "control: DSR flow", { 5, 19 }, 2, 0, RFC2217_SET, 19, 1 },
		{ "control: 20 is for future use", { 5, 20 }, 2, 0,
		    RFC2217_INVALID, 20, 0 },
		{ "control: 255", { 5, 255 }, 2, 0, RFC2217_INVALID, 255, 0 },
		{ "notify-modemstate from a client polls", { 7 }, 1, 0,
		    RFC2217_QUERY, 0, 0 },
		{ "suspend", { 8 }, 1, 0, RFC2217_SET, 0, 0 },
		{ "resume", { 9 }, 1, 0, RFC2217_SET, 0, 0 },
		{ "line state mask", { 10, 0xff }, 2, 0, RFC2217_SET, 0xff, 0 },
		{ "modem state mask 0", { 11, 0 }, 2, 0, RFC2217_SET, 0, 0 },
		{ "modem state mask short", { 11 }, 1, 0, RFC2217_INVALID, 0,
		    0 },
		{ "purge both", { 12, 3 }, 2, 0, RFC2217_SET, 3, 1 },
		{ "purge 0 is invalid", { 12, 0 }, 2, 0, RFC2217_INVALID, 0, 0 },
		{ "purge 4 is invalid", { 12, 4 }, 2, 0, RFC2217_INVALID, 4, 0 },
	};
	struct rfc2217_req	req;
	size_t			i;
	int			r;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct parse_case	*pc = &cases[i];

		r = rfc2217_parse(pc->in, pc->len, &req);
		if (pc->ret == -1) {
			tcheck(r == -1, "parse: %s: ignored", pc->what);
			continue;
		}
		tcheck(r == 0 && req.cmd == pc->in[0] &&
		    (int)req.action == pc->action && req.value == pc->value &&
		    rfc2217_changes(&req) == pc->changes,
		    "parse: %s (got %d, cmd %d, action %d, value %u, "
		    "changes %d)", pc->what, r, (int)req.cmd, (int)req.action,
		    (unsigned)req.value, rfc2217_changes(&req));
	}
	r = rfc2217_parse((const uint8_t *)"\0python", 7, &req);
	tcheck(r == 0 && req.textlen == 6 && req.text != NULL &&
	    memcmp(req.text, "python", 6) == 0, "parse: signature text");
}

static struct rfc2217_req
req_of(const uint8_t *p, size_t len)
{
	struct rfc2217_req	req;

	if (rfc2217_parse(p, len, &req) == -1) {
		memset(&req, 0, sizeof req);
		req.cmd = RFC2217_PURGE_DATA;
		req.action = RFC2217_INVALID;
	}
	return req;
}

static void
table_update(void)
{
	static const uint8_t	 hw[] = { 5, 3 }, in_none[] = { 5, 14 },
				 dtr_off[] = { 5, 9 }, brk_on[] = { 5, 5 },
				 dcd[] = { 5, 17 }, baud[] = { 1, 0, 0, 0x4b, 0 },
				 size9[] = { 2, 9 }, mask[] = { 11, 0x10 };
	struct rfc2217_state	 st = state(), was = st;
	struct rfc2217_req	 req;

	req = req_of(hw, sizeof hw);
	tcheck(rfc2217_update(&st, &req) == 1 &&
	    st.flow == RFC2217_CTL_FLOW_HW &&
	    st.flow_in == RFC2217_CTL_FLOW_IN_HW,
	    "update: hardware flow (outbound/both) sets both directions");
	tcheck(rfc2217_update(&st, &req) == 0,
	    "update: the same value again changes nothing");
	req = req_of(in_none, sizeof in_none);
	tcheck(rfc2217_update(&st, &req) == 1 &&
	    st.flow == RFC2217_CTL_FLOW_HW &&
	    st.flow_in == RFC2217_CTL_FLOW_IN_NONE,
	    "update: inbound flow moves only the inbound direction");
	req = req_of(dtr_off, sizeof dtr_off);
	tcheck(rfc2217_update(&st, &req) == 1 && st.dtr ==
	    RFC2217_CTL_DTR_OFF && st.rts == RFC2217_CTL_RTS_ON,
	    "update: DTR off leaves RTS");
	req = req_of(brk_on, sizeof brk_on);
	tcheck(rfc2217_update(&st, &req) == 1 && st.brk ==
	    RFC2217_CTL_BREAK_ON, "update: BREAK on");
	st = was;
	req = req_of(dcd, sizeof dcd);
	tcheck(rfc2217_update(&st, &req) == 0 && memcmp(&st, &was,
	    sizeof st) == 0, "update: DCD flow (not in termios) moves nothing");
	req = req_of(baud, sizeof baud);
	tcheck(rfc2217_update(&st, &req) == 1 && st.baud == 19200,
	    "update: baud 19200");
	st = was;
	req = req_of(size9, sizeof size9);
	tcheck(rfc2217_update(&st, &req) == 0 && st.datasize == 8,
	    "update: an invalid data size moves nothing");
	req = req_of(mask, sizeof mask);
	tcheck(rfc2217_update(&st, &req) == 0 && st.modem_mask == 0xff,
	    "update: masks are the client's, not the line's");
}

struct reply_case {
	const char	*what;
	uint8_t		 in[8];
	size_t		 len;
	const char	*want;	/* hex, or "" for no reply */
};

static void
table_reply(void)
{
	static const struct reply_case cases[] = {
		{ "signature request", { 0 }, 1,
		    "ff fa 2c 64 74 74 79 68 75 62 20 74 65 73 74 ff f0" },
		{ "client signature: no reply", { 0, 'x' }, 2, "" },
		{ "baud query", { 1, 0, 0, 0, 0 }, 5,
		    "ff fa 2c 65 00 01 c2 00 ff f0" },
		{ "baud set answers what is in effect", { 1, 0, 0, 0x25, 0x80 },
		    5, "ff fa 2c 65 00 01 c2 00 ff f0" },
		{ "data size 9: the current size", { 2, 9 }, 2,
		    "ff fa 2c 66 08 ff f0" },
		{ "data size query", { 2, 0 }, 2, "ff fa 2c 66 08 ff f0" },
		{ "parity", { 3, 3 }, 2, "ff fa 2c 67 01 ff f0" },
		{ "stop size", { 4, 2 }, 2, "ff fa 2c 68 01 ff f0" },
		{ "control: flow query", { 5, 0 }, 2, "ff fa 2c 69 01 ff f0" },
		{ "control: DSR flow answers the flow in effect", { 5, 19 }, 2,
		    "ff fa 2c 69 01 ff f0" },
		{ "control: BREAK query", { 5, 4 }, 2, "ff fa 2c 69 06 ff f0" },
		{ "control: DTR off answers DTR", { 5, 9 }, 2,
		    "ff fa 2c 69 08 ff f0" },
		{ "control: RTS query", { 5, 10 }, 2, "ff fa 2c 69 0b ff f0" },
		{ "control: inbound flow", { 5, 15 }, 2,
		    "ff fa 2c 69 0e ff f0" },
		{ "control: DTR flow is inbound", { 5, 18 }, 2,
		    "ff fa 2c 69 0e ff f0" },
		{ "control 20: no reply", { 5, 20 }, 2, "" },
		{ "line state poll, through the mask (0)", { 6 }, 1,
		    "ff fa 2c 6a 00 ff f0" },
		{ "modem state poll", { 7 }, 1, "ff fa 2c 6b 30 ff f0" },
		{ "suspend: no reply", { 8 }, 1, "" },
		{ "resume: no reply", { 9 }, 1, "" },
		{ "line state mask: the client's mask", { 10, 3 }, 2,
		    "ff fa 2c 6e 00 ff f0" },
		{ "modem state mask 255 doubled", { 11, 0xff }, 2,
		    "ff fa 2c 6f ff ff ff f0" },
		{ "purge transmit", { 12, 2 }, 2, "ff fa 2c 70 02 ff f0" },
		{ "purge 7: no reply", { 12, 7 }, 2, "" },
	};
	struct rfc2217_state	st = state();
	struct rfc2217_req	req;
	uint8_t			out[RFC2217_MSG_MAX];
	char			got[1024];
	size_t			i, n;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct reply_case	*rc = &cases[i];

		if (rfc2217_parse(rc->in, rc->len, &req) == -1) {
			tcheck(0, "reply: %s: did not parse", rc->what);
			continue;
		}
		n = rfc2217_reply(&req, &st, out, sizeof out);
		snprintf(got, sizeof got, "%s", hex(out, n));
		tcheck(strcmp(got, rc->want) == 0, "reply: %s (got \"%s\")",
		    rc->what, got);
	}

	/* IACs in a value are doubled: baud 255 and 0xffffffff. */
	st.baud = 255;
	req = req_of((const uint8_t *)"\1\0\0\0\0", 5);
	n = rfc2217_reply(&req, &st, out, sizeof out);
	tcheck(strcmp(hex(out, n), "ff fa 2c 65 00 00 00 ff ff ff f0") == 0,
	    "reply: baud 255 doubles its IAC (%s)", hex(out, n));
	st.baud = 0xffffffffu;
	n = rfc2217_reply(&req, &st, out, sizeof out);
	tcheck(n == 14 && strcmp(hex(out, n),
	    "ff fa 2c 65 ff ff ff ff ff ff ff ff ff f0") == 0,
	    "reply: baud 0xffffffff (%s)", hex(out, n));
	tcheck(rfc2217_reply(&req, &st, out, 13) == 0,
	    "reply: 0 when it does not fit");
}

static void
table_notify(void)
{
	uint8_t	out[RFC2217_MSG_MAX];
	size_t	n;

	n = rfc2217_notify_modem(RFC2217_MODEM_CTS | RFC2217_MODEM_DELTA_CTS |
	    RFC2217_MODEM_CD, 0x11, out, sizeof out);
	tcheck(strcmp(hex(out, n), "ff fa 2c 6b 11 ff f0") == 0,
	    "notify: modem state through the mask (%s)", hex(out, n));
	n = rfc2217_notify_line(0xff, 0xff, out, sizeof out);
	tcheck(strcmp(hex(out, n), "ff fa 2c 6a ff ff ff f0") == 0,
	    "notify: line state 255 doubled (%s)", hex(out, n));
	tcheck(rfc2217_notify_line(1, 1, out, 6) == 0,
	    "notify: 0 when it does not fit");
}

static void
table_frame(void)
{
	uint8_t	val[RFC2217_SIG_MAX], out[RFC2217_MSG_MAX];
	char	sig[RFC2217_SIG_MAX + 10];
	struct rfc2217_state	st = state();
	struct rfc2217_req	req = req_of((const uint8_t *)"", 1);
	size_t	n;

	memset(val, 0xff, sizeof val);
	n = rfc2217_frame(100, val, sizeof val, out, sizeof out);
	tcheck(n == RFC2217_MSG_MAX, "frame: the longest message fits "
	    "RFC2217_MSG_MAX (%zu)", n);
	/* A signature longer than the cap is cut there. */
	memset(sig, 'a', sizeof sig - 1);
	sig[sizeof sig - 1] = '\0';
	st.signature = sig;
	n = rfc2217_reply(&req, &st, out, sizeof out);
	tcheck(n == 6 + RFC2217_SIG_MAX, "frame: signature cut at %d bytes",
	    RFC2217_SIG_MAX);
	tcheck(strcmp(rfc2217_cmd_name(RFC2217_SET_BAUDRATE), "SET-BAUDRATE")
	    == 0 && strcmp(rfc2217_cmd_name(112), "PURGE-DATA") == 0 &&
	    strcmp(rfc2217_cmd_name(13), "UNKNOWN") == 0, "command names");
}

/*
 * A reply is IAC SB 44 <cmd + 100> <value, IACs doubled> IAC SE, with the
 * command the request's; returns 1 if so.
 */
static int
well_formed(const struct rfc2217_req *req, const uint8_t *p, size_t n)
{
	size_t	i;

	if (n < 6 || n > RFC2217_MSG_MAX || p[0] != 0xff || p[1] != 0xfa ||
	    p[2] != RFC2217_OPTION || p[n - 2] != 0xff || p[n - 1] != 0xf0) {
		return 0;
	}
	if (p[3] != req->cmd + RFC2217_SERVER) {
		return 0;
	}
	for (i = 4; i < n - 2; i++) {
		if (p[i] == 0xff) {
			if (p[i + 1] != 0xff) {
				return 0;
			}
			i++;
		}
	}
	return 1;
}

/* Every payload of up to three bytes, against two different states. */
static void
table_exhaustive(void)
{
	struct rfc2217_state	st[2];
	struct rfc2217_req	req;
	uint8_t			in[3], out[RFC2217_MSG_MAX];
	unsigned long		x, total = 0, bad = 0, replies = 0;
	size_t			len, n;
	int			k;

	st[0] = state();
	st[1] = state();
	st[1].baud = 0xff00ff;
	st[1].modem = 0xff;
	st[1].line = 0xff;
	st[1].line_mask = 0xff;
	for (len = 1; len <= 3; len++) {
		for (x = 0; x < (1ul << (8 * len)); x++) {
			in[0] = (uint8_t)x;
			in[1] = (uint8_t)(x >> 8);
			in[2] = (uint8_t)(x >> 16);
			if (rfc2217_parse(in, len, &req) == -1) {
				continue;
			}
			total++;
			for (k = 0; k < 2; k++) {
				n = rfc2217_reply(&req, &st[k], out,
				    sizeof out);
				if (n == 0) {
					continue;
				}
				replies++;
				if (!well_formed(&req, out, n)) {
					if (bad++ < 5) {
						printf("# %s -> %s\n",
						    hex(in, len), hex(out, n));
					}
				}
			}
		}
	}
	tcheck(bad == 0 && replies > 0, "every payload of 1 to 3 bytes: %lu "
	    "parsed, %lu replies, %lu malformed", total, replies, bad);
}

int
main(void)
{
	table_parse();
	table_update();
	table_reply();
	table_notify();
	table_frame();
	table_exhaustive();
	printf("%d passed, %d failed\n", tcheck_pass, tcheck_fail);
	return tcheck_fail == 0 ? 0 : 1;
}
