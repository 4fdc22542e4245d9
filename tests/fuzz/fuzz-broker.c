/*
 * fuzz-broker: libFuzzer harness for the daemon side of the client-daemon
 * protocol (doc/PROTOCOL.md): every byte a broker client can send, before
 * and after it attaches, through tn (src/telnet/tn.c over libtelnet) set
 * up as client.c sets it up for a broker connection, and since protocol
 * 3 for a console's own Telnet listener too: the TTYHUB_* NEW-ENVIRON
 * variables accepted, TTYHUB-CONTROL (option 172) enabled, our opening
 * sent.
 *
 * fuzz-sources: src/telnet/tn.c src/telnet/tnscan.c
 * fuzz-pkgs: libtelnet
 * fuzz-seeds: tests/fuzz/broker-seeds:in tests/fuzz/telnet-seeds:in tests/golden/telnet:in
 * fuzz-max-len: 16384
 *
 * Input: byte 0 chooses how the second run splits the input into reads
 * (random lengths from 1 to N, N from the same table as fuzz-telnet, the
 * lengths drawn from a generator seeded with it); the rest is what the
 * client sends.  There is no other set-up to choose: a broker connection
 * is always made the same way.  (Seeds made by mkseeds.py carry their
 * @start/@accept bits in byte 0; here they only pick a split.)
 *
 * Each input is run twice, in one tn_recv call and split into reads, and
 * the two transcripts (events, control messages, merged data and sends,
 * and the final state) must be equal.  On top of the sanitizers:
 *   - no callback after fail(); settled() at most once; fail() gives a
 *     printable reason;
 *   - ctl() gets a code in 0..255 and text within TN_CTL_TEXT_MAX, only
 *     while tn_ctl() is on, and only once the client has sent WILL 172;
 *     between reads tn_ctl() is on exactly when the client's last WILL
 *     or WONT 172, as libtelnet 0.21 reads its bytes, was a WILL;
 *   - the state tn keeps passes tnkit_check_state (the same checks as
 *     fuzz-telnet's), with the broker's names as the accepted ones;
 *   - what tn sends is well-formed Telnet: IAC only as IAC IAC, a
 *     negotiation, or a subnegotiation that ends in IAC SE.  We offer
 *     only ECHO, SGA and BINARY and ask only for SGA, BINARY, NAWS,
 *     TTYPE, NEW-ENVIRON and 172; option 172 is never offered (no WILL
 *     172, ever) and is only answered: DO 172 no more often than the
 *     client sent WILL 172, DONT 172 than WONT 172, WONT 172 than DO
 *     172.  We subnegotiate only TTYPE SEND, NEW-ENVIRON SEND naming
 *     exactly USER, TERM and the broker's three variables, and 172 with
 *     a server code and text of at most TN_CTL_TEXT_MAX bytes;
 *   - replies are bounded: one send is at most TN_FUZZ_SEND_MAX bytes and
 *     a read of n bytes makes at most TN_FUZZ_AMP * n + TN_FUZZ_SEND_MAX;
 *   - terminal data never exceeds the input; it is echoed back with
 *     tn_send_text, as the broker's prompt does;
 *   - control requests are answered from inside the ctl callback with
 *     tn_send_ctl, the re-entrant call client.c makes: PING with a PONG
 *     that must carry the PING's text (cut at TN_CTL_TEXT_MAX), WHO with
 *     WHO-LINE and WHO-END, the others with STATE, REPLAY-END or ERROR;
 *     AYT from inside the command callback, with a NOTICE once the
 *     option is on (client_notice), else a line of text;
 *   - tn_send_ctl sends nothing while the option is off, after every
 *     read; at the end a NOTICE over TN_CTL_TEXT_MAX, IACs in it, goes
 *     out cut at TN_CTL_TEXT_MAX, IACs doubled.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/telnet/tn.h"
#include "fuzzkit.h"
#include "tnkit.h"

#define TN_FUZZ_SEND_MAX	2048	/* largest single send */
#define TN_FUZZ_AMP		32	/* reply bytes per input byte, at most */

#define LT_SB_MAX		16384	/* _buffer_sizes[] in libtelnet.c */

#define IAC	0xff
#define SB	0xfa
#define SE	0xf0
#define WILL	0xfb
#define WONT	0xfc
#define DO	0xfd
#define DONT	0xfe

#define OPT_TTYPE	24
#define OPT_ENVIRON	39
#define OPT_CTL		TN_TELOPT_TTYHUB

const char	fuzzkit_name[] = "fuzz-broker";

/*
 * client_broker_env in src/daemon/client.c, a static there: the
 * variables a broker client may set.  Keep the two the same.
 */
static const char *const broker_env[] = {
	"TTYHUB_CONSOLE", "TTYHUB_MODE", "TTYHUB_COMMAND", NULL
};

/*
 * Telnet framing of the client's bytes, to know what libtelnet made of
 * its words on option 172 (ours are fuzzkit_wire's to read).
 */
enum scan {
	S_DATA, S_IAC, S_NEG, S_SB_OPT, S_SB, S_SB_IAC,
};

/*
 * libtelnet 0.21's reading of the client's bytes, exactly, where tn.c's
 * shadow scanner is only close: after a subnegotiation ended by IAC and
 * a byte other than SE or IAC, libtelnet takes that byte as a command,
 * except when the subnegotiation was an ENVIRON or NEW-ENVIRON one that
 * _environ_telnet parsed: it returns 1 for those, _process takes that as
 * "COMPRESS2 started, feed the rest again", and the byte is lost (see
 * "Findings" in doc/FUZZING.md: tn now fails the connection on any such
 * ending, and the model stands up to that point).  It also stops
 * buffering at 16 KiB
 * (the byte that overflows is lost and the rest is data), which tn's
 * 8 KiB cap forestalls only while its scanner agrees with libtelnet.
 */
#define OPT_ENVIRON_OLD	36

struct peer_ctl {
	enum scan	 scan;
	uint8_t		 cmd;
	uint8_t		 sb_opt;
	size_t		 sb_len;		/* bytes buffered */
	uint8_t		 sb0, sb1, sb_last;	/* of them */
	int		 on;		/* its last WILL/WONT 172 was WILL */
	size_t		 will, wont, do_;	/* counts */
};

/* Would libtelnet 0.21's _environ_telnet return 1 for this SB? */
static int
peer_sb_reparsed(const struct peer_ctl *p)
{
	if (p->sb_opt != OPT_ENVIRON && p->sb_opt != OPT_ENVIRON_OLD) {
		return 0;
	}
	if (p->sb_len == 0 || p->sb0 > 2) {	/* not SEND, IS or INFO */
		return 0;
	}
	if (p->sb_len == 1) {
		return 1;
	}
	/* VAR or USERVAR next, and no ESC at the end. */
	return (p->sb1 == 0 || p->sb1 == 3) && p->sb_last != 2;
}

/* One byte into libtelnet's subnegotiation buffer; 0 if it overflowed. */
static int
peer_sb_add(struct peer_ctl *p, uint8_t b)
{
	if (p->sb_len == LT_SB_MAX) {
		return 0;
	}
	if (p->sb_len == 0) {
		p->sb0 = b;
	} else if (p->sb_len == 1) {
		p->sb1 = b;
	}
	p->sb_last = b;
	p->sb_len++;
	return 1;
}

static void
peer_byte(struct peer_ctl *p, uint8_t b)
{
	switch (p->scan) {
	case S_DATA:
		if (b == IAC) {
			p->scan = S_IAC;
		}
		break;
	case S_IAC:
		if (b == SB) {
			p->scan = S_SB_OPT;
		} else if (b >= WILL && b <= DONT) {
			p->cmd = b;
			p->scan = S_NEG;
		} else {
			p->scan = S_DATA;
		}
		break;
	case S_NEG:
		p->scan = S_DATA;
		if (b != OPT_CTL) {
			break;
		}
		if (p->cmd == WILL) {
			p->will++;
			p->on = 1;
		} else if (p->cmd == WONT) {
			p->wont++;
			p->on = 0;
		} else if (p->cmd == DO) {
			p->do_++;
		}
		break;
	case S_SB_OPT:
		p->sb_opt = b;
		p->sb_len = 0;
		p->scan = S_SB;
		break;
	case S_SB:
		if (b == IAC) {
			p->scan = S_SB_IAC;
		} else if (!peer_sb_add(p, b)) {
			p->scan = S_DATA;
		}
		break;
	case S_SB_IAC:
		if (b == SE) {
			p->scan = S_DATA;
		} else if (b == IAC) {
			p->scan = peer_sb_add(p, b) ? S_SB : S_DATA;
		} else {
			p->scan = S_IAC;
			if (!peer_sb_reparsed(p)) {
				peer_byte(p, b);
			}
		}
		break;
	}
}

/* Room for the longest subnegotiation we may send, and one byte more. */
#define WIRE_BODY_MAX	(1 + TN_CTL_TEXT_MAX + 1)

struct run {
	struct tn		*tn;
	struct fuzzkit_tr	 tr;	/* transcript */
	int			 failed;
	int			 settled_calls;
	int			 in_ayt;
	int			 in_ctl;
	int			 echoing;	/* sends may be data-sized */
	int			 probing;	/* sends not compared */
	size_t			 data_total;
	size_t			 sent_call;	/* sent during this tn_ call */
	struct peer_ctl		 peer;

	/* What we send, read back; the body of our last subnegotiation
	 * (its length is wire.sb_len, which may pass WIRE_BODY_MAX). */
	struct fuzzkit_wire	 wire;
	uint8_t			 body[WIRE_BODY_MAX];
	size_t			 sent_do, sent_dont, sent_wont;	/* of 172 */
	size_t			 ctl_msgs;	/* 172 messages sent */

	/* The PONG a PING asks for, while tn_send_ctl makes it. */
	const uint8_t		*pong;
	size_t			 pong_len;
	size_t			 pongs;
};

/* NEW-ENVIRON SEND as tn_environ_send must build it for broker_env. */
static uint8_t	environ_send[256];
static size_t	environ_send_len;

static void
environ_send_init(void)
{
	const char *const	*p;
	size_t			 n = 0, len;

	environ_send[n++] = 1;		/* SEND */
	environ_send[n++] = 0;		/* VAR */
	memcpy(environ_send + n, "USER", 4);
	n += 4;
	environ_send[n++] = 3;		/* USERVAR */
	memcpy(environ_send + n, "TERM", 4);
	n += 4;
	for (p = broker_env; *p != NULL; p++) {
		len = strlen(*p);
		CHECK(n + 1 + len <= sizeof environ_send, "SEND too long");
		environ_send[n++] = 3;
		memcpy(environ_send + n, *p, len);
		n += len;
	}
	environ_send_len = n;
}

/* A negotiation we sent. */
static void
wire_neg(struct run *r, uint8_t cmd, uint8_t opt)
{
	switch (cmd) {
	case WILL:
		/* ECHO, SGA, BINARY: never 172, the client offers it. */
		CHECK(opt == 1 || opt == 3 || opt == 0, "we offered %u", opt);
		break;
	case DO:
		/* SGA, BINARY, NAWS, TTYPE, NEW-ENVIRON, TTYHUB-CONTROL */
		CHECK(opt == 3 || opt == 0 || opt == 31 || opt == 24 ||
		    opt == 39 || opt == OPT_CTL, "we asked for %u", opt);
		if (opt == OPT_CTL) {
			r->sent_do++;
			CHECK(r->sent_do <= r->peer.will,
			    "DO 172 %zu times for %zu WILLs", r->sent_do,
			    r->peer.will);
		}
		break;
	case DONT:
		if (opt == OPT_CTL) {
			r->sent_dont++;
			CHECK(r->sent_dont <= r->peer.wont,
			    "DONT 172 %zu times for %zu WONTs", r->sent_dont,
			    r->peer.wont);
		}
		break;
	case WONT:
		/* A refusal of the client's DO 172: never unasked. */
		if (opt == OPT_CTL) {
			r->sent_wont++;
			CHECK(r->sent_wont <= r->peer.do_,
			    "WONT 172 %zu times for %zu DOs", r->sent_wont,
			    r->peer.do_);
		}
		break;
	}
}

/* A subnegotiation we sent, IACs undoubled, at its IAC SE. */
static void
wire_sb_end(struct run *r)
{
	size_t	len = r->wire.sb_len;

	switch (r->wire.opt) {
	case OPT_TTYPE:
		CHECK(len == 1 && r->body[0] == 1, "TTYPE subnegotiation "
		    "of %zu bytes is not SEND", len);
		break;
	case OPT_ENVIRON:
		CHECK(len == environ_send_len &&
		    memcmp(r->body, environ_send, len) == 0,
		    "NEW-ENVIRON subnegotiation (%zu bytes) is not the "
		    "broker's SEND", len);
		break;
	case OPT_CTL:
		CHECK(len >= 1, "empty TTYHUB-CONTROL message");
		CHECK(r->body[0] >= TN_CTL_STATE && r->body[0] <= TN_CTL_PONG,
		    "we sent control code %u", r->body[0]);
		CHECK(len - 1 <= TN_CTL_TEXT_MAX, "control text of %zu",
		    len - 1);
		r->ctl_msgs++;
		if (r->pong != NULL && r->body[0] == TN_CTL_PONG) {
			CHECK(len - 1 == r->pong_len &&
			    memcmp(r->body + 1, r->pong, r->pong_len) == 0,
			    "PONG of %zu bytes does not carry the PING's "
			    "%zu", len - 1, r->pong_len);
			r->pongs++;
		}
		break;
	default:
		CHECK(0, "we subnegotiated option %u", r->wire.opt);
	}
}

static void
wire_byte(struct run *r, uint8_t b)
{
	struct fuzzkit_wire	*w = &r->wire;

	switch (fuzzkit_wire_byte(w, b)) {
	case FUZZKIT_WIRE_NEG:
		wire_neg(r, w->cmd, b);
		break;
	case FUZZKIT_WIRE_SB_BODY:
		if (w->sb_len <= WIRE_BODY_MAX) {
			r->body[w->sb_len - 1] = b;
		}
		CHECK(w->sb_len <= WIRE_BODY_MAX, "we sent a subnegotiation "
		    "of option %u over %d bytes", w->opt, WIRE_BODY_MAX);
		break;
	case FUZZKIT_WIRE_SB_END:
		wire_sb_end(r);
		break;
	default:
		break;
	}
}

static void
ev_data(void *arg, const uint8_t *buf, size_t len)
{
	struct run	*r = arg;

	CHECK(!r->failed, "data after fail");
	r->data_total += len;
	fuzzkit_tr_rec(&r->tr, 'D', buf, len);
	/* The broker's prompt echoes what is typed. */
	r->echoing = 1;
	tn_send_text(r->tn, (const char *)buf, len);
	r->echoing = 0;
}

static void
ev_send(void *arg, const uint8_t *buf, size_t len)
{
	struct run	*r = arg;
	size_t		 i;

	CHECK(!r->failed, "send after fail");
	CHECK(len <= TN_FUZZ_SEND_MAX || r->echoing,
	    "one send of %zu bytes", len);
	for (i = 0; i < len; i++) {
		wire_byte(r, buf[i]);
	}
	r->sent_call += len;
	if (!r->echoing && !r->probing) {
		/* Echoes follow the data's split, probes the reads':
		 * checked, not compared. */
		fuzzkit_tr_rec(&r->tr, 'S', buf, len);
	}
}

static void
ev_winsize(void *arg, unsigned cols, unsigned rows)
{
	struct run	*r = arg;
	uint8_t		 w[4];

	CHECK(!r->failed, "winsize after fail");
	CHECK(cols <= 0xffff && rows <= 0xffff, "winsize %u %u", cols, rows);
	w[0] = (uint8_t)(cols >> 8);
	w[1] = (uint8_t)cols;
	w[2] = (uint8_t)(rows >> 8);
	w[3] = (uint8_t)rows;
	fuzzkit_tr_rec(&r->tr, 'W', w, sizeof w);
}

static void
ev_command(void *arg, enum tn_cmd cmd)
{
	static const char	 yes[] = "\r\n[ttyhub: yes]\r\n";
	struct run		*r = arg;
	uint8_t			 c = (uint8_t)cmd;
	size_t			 before = r->ctl_msgs;

	CHECK(!r->failed, "command after fail");
	CHECK(cmd <= TN_CMD_EL, "command %d", (int)cmd);
	fuzzkit_tr_rec(&r->tr, 'C', &c, 1);
	if (cmd == TN_CMD_AYT && !r->in_ayt) {
		/* client_notice, from inside the callback: a NOTICE once
		 * the option is on, else a line of text. */
		r->in_ayt = 1;
		if (tn_ctl(r->tn)) {
			tn_send_ctl(r->tn, TN_CTL_NOTICE, "yes", 3);
			CHECK(r->ctl_msgs == before + 1, "NOTICE not sent");
		} else {
			tn_send_text(r->tn, yes, sizeof yes - 1);
		}
		r->in_ayt = 0;
	}
}

/*
 * A control request, answered from inside the callback as client.c
 * answers it (client_tn_ctl and what it calls): the answer goes out
 * through tn while tn is still dispatching the request.
 */
static void
ev_ctl(void *arg, int code, const uint8_t *text, size_t len)
{
	static const char	 line[] = "rw\tyou\tfuzz (uid 0, pid 1)";
	static const char	 err[] =
	    "notattached not attached to a console";
	static const char	 bad[] = "badcommand replay: not a byte count";
	static const char	 state[] = "vm1 rw up";
	struct run		*r = arg;
	uint8_t			 c;
	size_t			 i, before;

	CHECK(!r->failed, "ctl after fail");
	CHECK(!r->in_ctl, "ctl inside ctl");
	CHECK(code >= 0 && code <= 255, "control code %d", code);
	CHECK(len <= TN_CTL_TEXT_MAX, "control text of %zu bytes", len);
	CHECK(text != NULL || len == 0, "control text NULL");
	CHECK(tn_ctl(r->tn), "ctl while tn_ctl() is off");
	CHECK(r->peer.will > 0, "ctl before the client sent WILL 172");
	c = (uint8_t)code;
	fuzzkit_tr_rec(&r->tr, 'K', &c, 1);
	fuzzkit_buf_add(&r->tr.b, text, len);

	r->in_ctl = 1;
	before = r->ctl_msgs;
	switch (code) {
	case TN_CTL_PING:
		/* client.c: the text as it came, tn_send_ctl cuts it. */
		r->pong = text;
		r->pong_len = len < TN_CTL_TEXT_MAX ? len : TN_CTL_TEXT_MAX;
		i = r->pongs;
		tn_send_ctl(r->tn, TN_CTL_PONG, (const char *)text, len);
		CHECK(r->pongs == i + 1, "PING not answered with one PONG");
		r->pong = NULL;
		break;
	case TN_CTL_WHO:
		tn_send_ctl(r->tn, TN_CTL_WHO_LINE, line, sizeof line - 1);
		tn_send_ctl(r->tn, TN_CTL_WHO_END, "1", 1);
		break;
	case TN_CTL_REPLAY:
		i = 0;
		while (i < len && text[i] >= '0' && text[i] <= '9') {
			i++;
		}
		if (i == len) {
			tn_send_ctl(r->tn, TN_CTL_REPLAY_END, NULL, 0);
		} else {
			tn_send_ctl(r->tn, TN_CTL_ERROR, bad, sizeof bad - 1);
		}
		break;
	case TN_CTL_RO:
	case TN_CTL_RW:
	case TN_CTL_FORCE:
		tn_send_ctl(r->tn, TN_CTL_STATE, state, sizeof state - 1);
		tn_send_ctl(r->tn, TN_CTL_ERROR, err, sizeof err - 1);
		break;
	default:
		/* Unknown codes are ignored, so either side may add some. */
		break;
	}
	CHECK(r->ctl_msgs > before || code < TN_CTL_RO || code > TN_CTL_PING,
	    "request %d not answered", code);
	r->in_ctl = 0;
}

static void check_state(struct run *);

static void
ev_settled(void *arg)
{
	struct run	*r = arg;

	CHECK(!r->failed, "settled after fail");
	CHECK(r->settled_calls == 0, "settled twice");
	CHECK(tn_settled(r->tn), "settled() but not tn_settled()");
	r->settled_calls++;
	/* This is when client_tn_settled reads the TTYHUB_* variables. */
	check_state(r);
	fuzzkit_tr_rec(&r->tr, 'Z', NULL, 0);
}

static void
ev_fail(void *arg, const char *why)
{
	struct run	*r = arg;

	CHECK(!r->failed, "fail twice");
	CHECK(why != NULL && why[0] != '\0', "fail without a reason");
	CHECK(fuzzkit_printable(why), "unprintable reason");
	r->failed = 1;
	fuzzkit_tr_rec(&r->tr, 'F', why, strlen(why));
}

/* client_tn_ops has comport too, but tn only calls it once enabled,
 * which client.c never does for a broker connection. */
static const struct tn_ops fuzz_ops = {
	.data = ev_data,
	.send = ev_send,
	.winsize = ev_winsize,
	.command = ev_command,
	.settled = ev_settled,
	.fail = ev_fail,
	.ctl = ev_ctl,
};

/* What negotiation left must be valid whenever the daemon could look. */
static void
check_state(struct run *r)
{
	tnkit_check_state(r->tn, broker_env, r->settled_calls);
	CHECK(!tn_ctl(r->tn) || r->peer.will > 0,
	    "tn_ctl() on before the client sent WILL 172");
}

/*
 * tn_send_ctl from outside a callback, as client_notice calls it: while
 * the option is off (or after fail) it must send nothing; while it is on,
 * a text over TN_CTL_TEXT_MAX goes out cut, with its IACs doubled.
 * Not in the transcript: the split run probes more often.
 */
static void
probe_ctl(struct run *r, size_t len)
{
	static uint8_t	text[TN_CTL_TEXT_MAX + 100];
	size_t		before = r->ctl_msgs, sent = r->sent_call, want;
	int		on = tn_ctl(r->tn) && !r->failed;

	if (text[0] == 0) {
		memset(text, 'n', sizeof text);
		text[1] = IAC;
		text[TN_CTL_TEXT_MAX - 1] = IAC;
		text[TN_CTL_TEXT_MAX] = IAC;	/* cut off */
	}
	if (len > sizeof text) {
		len = sizeof text;
	}
	r->probing = 1;
	tn_send_ctl(r->tn, TN_CTL_NOTICE, (const char *)text, len);
	r->probing = 0;
	CHECK(fuzzkit_wire_idle(&r->wire), "tn_send_ctl ended mid-command");
	if (!on) {
		CHECK(r->ctl_msgs == before && r->sent_call == sent,
		    "tn_send_ctl sent while the option is off");
		return;
	}
	CHECK(r->ctl_msgs == before + 1, "tn_send_ctl sent %zu messages",
	    r->ctl_msgs - before);
	want = len < TN_CTL_TEXT_MAX ? len : TN_CTL_TEXT_MAX;
	CHECK(r->wire.sb_len == 1 + want &&
	    memcmp(r->body + 1, text, want) == 0,
	    "NOTICE of %zu bytes went out as %zu", len, r->wire.sb_len - 1);
}

static void
final_state(struct run *r)
{
	const struct tn_env	*e;
	const char		*s;
	size_t			 i;

	r->tr.last = 0;
	s = tn_term(r->tn);
	fuzzkit_tr_rec(&r->tr, 'T', s ? s : "-", strlen(s ? s : "-"));
	s = tn_user(r->tn);
	fuzzkit_tr_rec(&r->tr, 'U', s ? s : "-", strlen(s ? s : "-"));
	for (i = 0; (e = tn_env_at(r->tn, i)) != NULL; i++) {
		fuzzkit_tr_rec(&r->tr, 'E', e->name, strlen(e->name));
		fuzzkit_tr_rec(&r->tr, '=', e->value, strlen(e->value));
	}
	fuzzkit_tr_rec(&r->tr, tn_settled(r->tn) ? 'Y' : 'N', NULL, 0);
	fuzzkit_tr_rec(&r->tr, tn_ctl(r->tn) ? 'O' : 'o', NULL, 0);
}

/* One call into tn, then the checks that hold between calls. */
static void
feed(struct run *r, const uint8_t *p, size_t len)
{
	size_t	i;

	/* The client's words on 172 in this read are known before tn acts
	 * on them, so replies inside it can be checked against them. */
	for (i = 0; i < len; i++) {
		peer_byte(&r->peer, p[i]);
	}
	r->sent_call = 0;
	tn_recv(r->tn, p, len);
	CHECK(fuzzkit_wire_idle(&r->wire), "a send ended mid-command "
	    "(state %d)", r->wire.state);
	CHECK(r->sent_call <= (size_t)TN_FUZZ_AMP * len + TN_FUZZ_SEND_MAX,
	    "%zu bytes sent for a read of %zu", r->sent_call, len);
	check_state(r);
	/*
	 * tn never asks for 172 itself, so once a read is through, the
	 * option is exactly what the client last said of it (inside the
	 * read, r->peer is ahead of tn).  After fail() tn stops reading
	 * mid-read (and after COMPRESS2 libtelnet would inflate the rest):
	 * only then may the two differ.
	 */
	CHECK(r->failed || tn_ctl(r->tn) == r->peer.on,
	    "tn_ctl() %d, the client's last word on 172 %d",
	    tn_ctl(r->tn), r->peer.on);
	if (!tn_ctl(r->tn) || r->failed) {
		probe_ctl(r, 3);
	}
}

/* Run the input in one read (split 0) or split into reads as split
 * says; returns the transcript. */
static struct fuzzkit_buf
run(const uint8_t *data, size_t size, unsigned split)
{
	struct run		 r;
	struct fuzzkit_reads	 rd;
	size_t			 off, n;

	memset(&r, 0, sizeof r);
	/* As client_new for a Telnet broker connection. */
	r.tn = tn_new(&fuzz_ops, &r, broker_env);
	CHECK(r.tn != NULL, "tn_new failed");
	CHECK(tn_enable_ctl(r.tn) == 0, "tn_enable_ctl failed");
	CHECK(!tn_ctl(r.tn), "tn_ctl() on before anything was read");
	tn_start(r.tn);
	CHECK(fuzzkit_wire_idle(&r.wire), "tn_start ended mid-command");
	check_state(&r);
	/* Long inputs in at most about 256 reads, to keep the fuzzer
	 * fast. */
	fuzzkit_reads_init(&rd, split, size / 256);
	for (off = 0; off < size; off += n) {
		n = fuzzkit_reads_next(&rd, size - off);
		feed(&r, data + off, n);
	}
	CHECK(r.data_total <= size, "%zu data bytes from %zu input bytes",
	    r.data_total, size);
	probe_ctl(&r, TN_CTL_TEXT_MAX + 100);
	final_state(&r);
	tn_free(r.tn);
	return r.tr.b;
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzzkit_buf	whole, split;
	unsigned		how;

	if (size == 0) {
		return 0;
	}
	if (environ_send_len == 0) {
		environ_send_init();
	}
	/* 1 + byte 0: never 0, so the second run always splits. */
	how = 1 + data[0];
	data++;
	size--;

	whole = run(data, size, 0);
	split = run(data, size, how);
	if (!fuzzkit_buf_same(&whole, &split)) {
		fuzzkit_buf_show("in one read", &whole);
		fuzzkit_buf_show("split into reads", &split);
		CHECK(0, "transcripts differ with split %u", how);
	}
	free(whole.p);
	free(split.p);
	return 0;
}
