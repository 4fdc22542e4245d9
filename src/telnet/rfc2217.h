/*
 * rfc2217: the server's side of the Telnet COM-PORT-OPTION (RFC 2217),
 * as pure functions.  A client's subnegotiation becomes a request; a
 * request and the settings in effect become the reply; a changed modem or
 * line state becomes a notification.  No I/O and no state of its own: the
 * serial backend owns the port's settings, the client its masks, so unit
 * tests and the fuzzer link just this file.
 *
 * The rule the replies follow: the server always answers with the value
 * actually in effect.  A request that cannot be honoured (a value out of
 * range, a speed the device lacks, a read-only client) is answered with
 * the current value, which is how RFC 2217 says "no".
 */
#ifndef TTYHUB_RFC2217_H
#define TTYHUB_RFC2217_H

#include <stddef.h>
#include <stdint.h>

#define RFC2217_OPTION		44	/* COM-PORT-OPTION */
#define RFC2217_SERVER		100	/* a server's command is the client's + 100 */
#define RFC2217_SIG_MAX		64	/* signature bytes kept or sent */
/* The longest message we build: IAC SB 44 cmd, a value with every byte
 * doubled, IAC SE. */
#define RFC2217_MSG_MAX		(6 + 2 * RFC2217_SIG_MAX)

/* Commands, as the client sends them. */
enum rfc2217_cmd {
	RFC2217_SIGNATURE = 0,
	RFC2217_SET_BAUDRATE = 1,
	RFC2217_SET_DATASIZE = 2,
	RFC2217_SET_PARITY = 3,
	RFC2217_SET_STOPSIZE = 4,
	RFC2217_SET_CONTROL = 5,
	RFC2217_NOTIFY_LINESTATE = 6,
	RFC2217_NOTIFY_MODEMSTATE = 7,
	RFC2217_FLOWCONTROL_SUSPEND = 8,
	RFC2217_FLOWCONTROL_RESUME = 9,
	RFC2217_SET_LINESTATE_MASK = 10,
	RFC2217_SET_MODEMSTATE_MASK = 11,
	RFC2217_PURGE_DATA = 12,
};

/* SET-PARITY and SET-STOPSIZE values (0 asks for the current one). */
#define RFC2217_PARITY_NONE	1
#define RFC2217_PARITY_ODD	2
#define RFC2217_PARITY_EVEN	3
#define RFC2217_PARITY_MARK	4
#define RFC2217_PARITY_SPACE	5
#define RFC2217_STOP_1		1
#define RFC2217_STOP_2		2
#define RFC2217_STOP_1_5	3

/* SET-CONTROL values.  Each group has a "request" value that asks. */
#define RFC2217_CTL_FLOW_REQ		0	/* outbound (and both) */
#define RFC2217_CTL_FLOW_NONE		1
#define RFC2217_CTL_FLOW_XONXOFF	2
#define RFC2217_CTL_FLOW_HW		3
#define RFC2217_CTL_BREAK_REQ		4
#define RFC2217_CTL_BREAK_ON		5
#define RFC2217_CTL_BREAK_OFF		6
#define RFC2217_CTL_DTR_REQ		7
#define RFC2217_CTL_DTR_ON		8
#define RFC2217_CTL_DTR_OFF		9
#define RFC2217_CTL_RTS_REQ		10
#define RFC2217_CTL_RTS_ON		11
#define RFC2217_CTL_RTS_OFF		12
#define RFC2217_CTL_FLOW_IN_REQ		13	/* inbound */
#define RFC2217_CTL_FLOW_IN_NONE	14
#define RFC2217_CTL_FLOW_IN_XONXOFF	15
#define RFC2217_CTL_FLOW_IN_HW		16
#define RFC2217_CTL_FLOW_DCD		17	/* outbound */
#define RFC2217_CTL_FLOW_IN_DTR		18	/* inbound */
#define RFC2217_CTL_FLOW_DSR		19	/* outbound */

/* PURGE-DATA values: the server's buffers, as the server sees them. */
#define RFC2217_PURGE_RX	1	/* received from the device */
#define RFC2217_PURGE_TX	2	/* waiting to go to the device */
#define RFC2217_PURGE_BOTH	3

/* NOTIFY-MODEMSTATE bits. */
#define RFC2217_MODEM_CD	0x80
#define RFC2217_MODEM_RI	0x40
#define RFC2217_MODEM_DSR	0x20
#define RFC2217_MODEM_CTS	0x10
#define RFC2217_MODEM_DELTA_CD	0x08
#define RFC2217_MODEM_TERI	0x04	/* trailing edge of RI */
#define RFC2217_MODEM_DELTA_DSR	0x02
#define RFC2217_MODEM_DELTA_CTS	0x01

/* The masks a client starts with (RFC 2217: line state off, modem all). */
#define RFC2217_LINE_MASK_DEFAULT	0x00
#define RFC2217_MODEM_MASK_DEFAULT	0xff

enum rfc2217_action {
	RFC2217_SET,		/* change something (or, for a poll, act) */
	RFC2217_QUERY,		/* ask for the current value only */
	RFC2217_INVALID,	/* a value we do not take: answer the current */
};

/* A client's request.  text is borrowed from the parsed buffer. */
struct rfc2217_req {
	enum rfc2217_cmd	 cmd;
	enum rfc2217_action	 action;
	uint32_t		 value;	/* baud, size, parity, control, mask, purge */
	const uint8_t		*text;	/* SIGNATURE: the client's, if it sent one */
	size_t			 textlen;
};

/*
 * What a reply can report.  The line settings come from the backend; the
 * masks from the client that asks; the signature is ours.
 */
struct rfc2217_state {
	uint32_t	 baud;
	uint8_t		 datasize;	/* 5..8 */
	uint8_t		 parity;	/* RFC2217_PARITY_* */
	uint8_t		 stopsize;	/* RFC2217_STOP_* */
	uint8_t		 flow;		/* RFC2217_CTL_FLOW_NONE, _XONXOFF, _HW */
	uint8_t		 flow_in;	/* RFC2217_CTL_FLOW_IN_NONE, ... */
	uint8_t		 brk;		/* RFC2217_CTL_BREAK_ON or _OFF */
	uint8_t		 dtr;		/* RFC2217_CTL_DTR_ON or _OFF */
	uint8_t		 rts;		/* RFC2217_CTL_RTS_ON or _OFF */
	uint8_t		 modem;		/* NOTIFY-MODEMSTATE bits, now */
	uint8_t		 line;		/* NOTIFY-LINESTATE bits, now */
	uint8_t		 line_mask;
	uint8_t		 modem_mask;
	const char	*signature;	/* NUL-terminated; cut at RFC2217_SIG_MAX */
};

/*
 * Parse the payload of a COM-PORT-OPTION subnegotiation from a client
 * (after IAC SB 44, IACs already undoubled, without IAC SE).  Returns 0
 * with req filled, or -1 for a payload that gets no answer: empty, a
 * server's command (100 and up) or a command we do not know.
 */
int		 rfc2217_parse(const uint8_t *buf, size_t len,
		    struct rfc2217_req *req);

/* Does the request change the port or its buffers (refused to readers)? */
int		 rfc2217_changes(const struct rfc2217_req *req);

/*
 * Apply a request to a copy of the port's settings: st becomes what the
 * client asked for.  Only line settings move (baud, size, parity, stop
 * size, flow, BREAK, DTR, RTS); anything else is left alone.  Returns 1
 * if st changed, else 0.  Whether the device can do it is the backend's
 * question: it reads back what is in effect.
 */
int		 rfc2217_update(struct rfc2217_state *st,
		    const struct rfc2217_req *req);

/*
 * The reply to a request, in wire form (IAC SB 44 cmd+100 value IAC SE,
 * IACs doubled), from the settings in effect in st.  Returns its length,
 * or 0 when the request gets no reply (SUSPEND and RESUME, an invalid
 * SET-CONTROL or PURGE-DATA value, a client's own signature) or out is
 * too small (RFC2217_MSG_MAX is always enough).
 */
size_t		 rfc2217_reply(const struct rfc2217_req *req,
		    const struct rfc2217_state *st, uint8_t *out, size_t cap);

/* NOTIFY-MODEMSTATE and NOTIFY-LINESTATE: the state through the mask. */
size_t		 rfc2217_notify_modem(uint8_t state, uint8_t mask,
		    uint8_t *out, size_t cap);
size_t		 rfc2217_notify_line(uint8_t state, uint8_t mask,
		    uint8_t *out, size_t cap);

/*
 * One server message in wire form: cmd (already + 100) and its value.
 * Returns the length, or 0 if it does not fit in cap.
 */
size_t		 rfc2217_frame(uint8_t cmd, const uint8_t *val, size_t vlen,
		    uint8_t *out, size_t cap);

/* A name for logs: "SET-BAUDRATE". */
const char	*rfc2217_cmd_name(unsigned cmd);

#endif
