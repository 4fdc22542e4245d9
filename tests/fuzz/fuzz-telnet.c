/*
 * fuzz-telnet: libFuzzer harness for the Telnet input path (src/telnet/tn.c
 * over libtelnet): every byte a peer can send before and after login.
 *
 * fuzz-sources: src/telnet/tn.c src/telnet/tnscan.c
 * fuzz-pkgs: libtelnet
 * fuzz-seeds: tests/golden/telnet:in tests/fuzz/telnet-seeds:in
 * fuzz-max-len: 16384
 *
 * Input: byte 0 chooses the set-up, the rest is what the peer sends.
 *   bit 0     call tn_start first (our opening negotiation), as the daemon does
 *   bit 1     an --accept-env list of TN_ENV_MAX names (two of the longest
 *             allowed length; with bit 7 too, all of them 64 bytes long,
 *             the largest NEW-ENVIRON SEND we build), else none
 *   bits 2-7  how the second run splits the input into reads: random
 *             lengths from 1 to N, N one of 1, 2, 3, 5, 16, 64, 512, 4096
 *             (at least 1/256 of the input, so long inputs stay fast)
 *
 * Each input is run three times, in one tn_recv call, split into reads,
 * and split the same way with the bulk path for plain data off
 * (tn_bytewise: every byte through libtelnet), and the three transcripts
 * (events, merged data and sends, and the final state) must be equal: tn
 * acts at the same point of the stream however the peer's bytes were
 * split, and the bulk path changes nothing but the speed.  On top of the sanitizers, the callbacks check:
 *   - no callback after fail(); settled() at most once, and only when
 *     tn_settled() says so; fail() gives a printable reason;
 *   - tn_term() and tn_user() are NULL or pass tn_term_valid/tn_user_valid
 *     (and TERM is lower case); tn_env_* holds only accepted, distinct
 *     names with printable values within the caps;
 *   - what tn sends is well-formed Telnet: IAC only as IAC IAC, a
 *     negotiation, or a subnegotiation that ends in IAC SE; we offer only
 *     ECHO, SGA and BINARY, ask only for SGA, BINARY, NAWS, TTYPE and
 *     NEW-ENVIRON, and subnegotiate only TTYPE SEND and NEW-ENVIRON SEND
 *     (so no reply is ever generated for LINEMODE SLC and the like);
 *   - replies are bounded: one send is at most TN_FUZZ_SEND_MAX bytes and
 *     a read of n bytes makes at most TN_FUZZ_AMP * n + TN_FUZZ_SEND_MAX;
 *   - terminal data never exceeds the peer's input;
 *   - the data is echoed back through tn_send_text (as a terminal would),
 *     and tn_escape of it is checked against a byte-at-a-time reference
 *     (into a buffer of exactly the 2 * len the contract promises);
 *   - AYT is answered with tn_send_text from inside the callback, the
 *     re-entrant call the daemon makes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/telnet/tn.h"
#include "fuzzkit.h"
#include "tnkit.h"

#define TN_FUZZ_SEND_MAX	2048	/* largest single send */
#define TN_FUZZ_AMP		400	/* reply bytes per input byte, at most */

#define IAC	0xff
#define WILL	0xfb
#define DO	0xfd

const char	fuzzkit_name[] = "fuzz-telnet";

static const char *const accept_full[TN_ENV_MAX + 1] = {
	"LANG", "LC_ALL", "DISPLAY", "TZ", "A", "B", "X_1", "COLORTERM",
	"PRINTER", "EDITOR", "PAGER", "LC_CTYPE", "HOME", "SHELL",
	/* two names of the longest length --accept-env allows */
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz_0123456789",
	"Z123456789Z123456789Z123456789Z123456789Z123456789Z123456789ZZZZ",
	NULL
};

/* The largest list the daemon takes: TN_ENV_MAX names of 64 bytes. */
#define N64(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
static const char *const accept_long[TN_ENV_MAX + 1] = {
	N64("A"), N64("B"), N64("C"), N64("D"), N64("E"), N64("F"), N64("G"),
	N64("H"), N64("I"), N64("J"), N64("K"), N64("L"), N64("M"), N64("N"),
	N64("O"), N64("P"), NULL
};

struct run {
	struct tn		*tn;
	const char *const	*accept;
	struct fuzzkit_tr	 tr;	/* transcript */
	int			 failed;
	int			 settled_calls;
	int			 in_ayt;
	int			 echoing;	/* sends may be data-sized */
	size_t			 data_total;
	size_t			 sent_call;	/* sent during this tn_ call */
	struct fuzzkit_wire	 wire;	/* what we send, read back */
};


/* What we may send of each option; the framing is fuzzkit's to check. */
static void
wire_byte(struct run *r, uint8_t b)
{
	struct fuzzkit_wire	*w = &r->wire;

	switch (fuzzkit_wire_byte(w, b)) {
	case FUZZKIT_WIRE_NEG:
		if (w->cmd == WILL) {
			/* ECHO, SGA, BINARY */
			CHECK(b == 1 || b == 3 || b == 0, "we offered %u", b);
		} else if (w->cmd == DO) {
			/* SGA, BINARY, NAWS, TTYPE, NEW-ENVIRON */
			CHECK(b == 3 || b == 0 || b == 31 || b == 24 ||
			    b == 39, "we asked for %u", b);
		}
		break;
	case FUZZKIT_WIRE_SB_OPT:
		CHECK(b == 24 || b == 39, "we subnegotiated option %u", b);
		break;
	case FUZZKIT_WIRE_SB_BODY:
		CHECK(w->sb_len > 1 || b == 1,
		    "our subnegotiation of %u is not SEND (%u)", w->opt, b);
		break;
	case FUZZKIT_WIRE_SB_END:
		CHECK(w->sb_len > 0, "our subnegotiation of %u is not SEND "
		    "(empty)", w->opt);
		break;
	default:
		break;
	}
}

static void
ev_data(void *arg, const uint8_t *buf, size_t len)
{
	struct run	*r = arg;
	uint8_t		*esc;
	size_t		 i, j, n, want = 0;

	CHECK(!r->failed, "data after fail");
	r->data_total += len;
	fuzzkit_tr_rec(&r->tr, 'D', buf, len);

	/* tn_escape against a reference, into exactly 2 * len bytes. */
	esc = malloc(2 * len + 1);
	CHECK(esc != NULL, "out of memory");
	n = tn_escape(esc, buf, len);
	for (i = 0; i < len; i++) {
		want += buf[i] == IAC ? 2 : 1;
	}
	CHECK(n == want, "tn_escape gave %zu bytes, want %zu", n, want);
	for (i = j = 0; i < len; i++) {
		CHECK(esc[j] == buf[i], "tn_escape byte %zu", i);
		j++;
		if (buf[i] == IAC) {
			CHECK(esc[j] == IAC, "tn_escape did not double %zu", i);
			j++;
		}
	}
	free(esc);

	/* Echo it back, as a terminal in ECHO mode does. */
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
	if (!r->echoing) {
		/* Echoes follow the data's split: checked, not compared. */
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
	static const char	 yes[] = "\r\n[yes]\r\n";
	struct run		*r = arg;
	uint8_t			 c = (uint8_t)cmd;

	CHECK(!r->failed, "command after fail");
	CHECK(cmd <= TN_CMD_EL, "command %d", (int)cmd);
	fuzzkit_tr_rec(&r->tr, 'C', &c, 1);
	if (cmd == TN_CMD_AYT && !r->in_ayt) {
		/* The daemon answers from inside the callback. */
		r->in_ayt = 1;
		tn_send_text(r->tn, yes, sizeof yes - 1);
		r->in_ayt = 0;
	}
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
	/* This is when the daemon reads TERM, USER and the environment. */
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

static const struct tn_ops fuzz_ops = {
	.data = ev_data,
	.send = ev_send,
	.winsize = ev_winsize,
	.command = ev_command,
	.settled = ev_settled,
	.fail = ev_fail,
};

/* What negotiation left must be valid whenever the daemon could look. */
static void
check_state(struct run *r)
{
	tnkit_check_state(r->tn, r->accept, r->settled_calls);
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
}

/* One call into tn, then the checks that hold between calls. */
static void
feed(struct run *r, const uint8_t *p, size_t len)
{
	r->sent_call = 0;
	tn_recv(r->tn, p, len);
	CHECK(fuzzkit_wire_idle(&r->wire), "a send ended mid-command "
	    "(state %d)", r->wire.state);
	/* Echoed data counts twice at most (IAC doubled). */
	CHECK(r->sent_call <= (size_t)TN_FUZZ_AMP * len + TN_FUZZ_SEND_MAX,
	    "%zu bytes sent for a read of %zu", r->sent_call, len);
	check_state(r);
}

/* Run the input in one read (split 0) or split into reads as split
 * says; returns the transcript. */
static struct fuzzkit_buf
run(const uint8_t *data, size_t size, const char *const *accept,
    int start, unsigned split, int bytewise)
{
	struct run		 r;
	struct fuzzkit_reads	 rd;
	size_t			 off, n;

	memset(&r, 0, sizeof r);
	r.accept = accept;
	r.tn = tn_new(&fuzz_ops, &r, accept);
	CHECK(r.tn != NULL, "tn_new failed");
	if (bytewise) {
		tn_bytewise(r.tn);
	}
	if (start) {
		r.sent_call = 0;
		tn_start(r.tn);
		CHECK(fuzzkit_wire_idle(&r.wire),
		    "tn_start ended mid-command");
		check_state(&r);
	}
	/* Long inputs (over-long subnegotiations) in at most about 256
	 * reads, to keep the fuzzer fast. */
	fuzzkit_reads_init(&rd, split, size / 256);
	for (off = 0; off < size; off += n) {
		n = fuzzkit_reads_next(&rd, size - off);
		feed(&r, data + off, n);
	}
	CHECK(r.data_total <= size, "%zu data bytes from %zu input bytes",
	    r.data_total, size);
	final_state(&r);
	tn_free(r.tn);
	return r.tr.b;
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *const	*accept;
	struct fuzzkit_buf	 whole, split, ref;
	unsigned		 cfg, how;

	if (size == 0) {
		return 0;
	}
	cfg = data[0];
	data++;
	size--;
	accept = !(cfg & 2) ? NULL : (cfg & 0x80) ? accept_long : accept_full;
	/* 1 + (cfg >> 2): never 0, so the second run always splits. */
	how = 1 + (cfg >> 2);

	whole = run(data, size, accept, cfg & 1, 0, 0);
	split = run(data, size, accept, cfg & 1, how, 0);
	ref = run(data, size, accept, cfg & 1, how, 1);
	if (!fuzzkit_buf_same(&whole, &split)) {
		fuzzkit_buf_show("in one read", &whole);
		fuzzkit_buf_show("split into reads", &split);
		CHECK(0, "transcripts differ with split %u", how);
	}
	if (!fuzzkit_buf_same(&split, &ref)) {
		fuzzkit_buf_show("bulk path", &split);
		fuzzkit_buf_show("bytewise", &ref);
		CHECK(0, "the bulk path differs from libtelnet's, split %u",
		    how);
	}
	free(whole.p);
	free(split.p);
	free(ref.p);
	return 0;
}
