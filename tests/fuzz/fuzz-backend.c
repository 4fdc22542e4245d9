/*
 * fuzz-backend: libFuzzer harness for the input path of a console whose
 * backend speaks Telnet (telnet = yes on a unix or tcp console): tnc over
 * libtelnet (src/telnet/tnc.c), set up as backend-socket.c's
 * backend_socket_telnet_start sets up a connection (flags 0, no term, the
 * writer's size, DO SGA, DO ECHO, WILL NAWS, no data, sub or opt
 * callback) and read as its backend_socket_decode reads: tnc_decode in
 * place, over a buffer of exactly the bytes read.  The peer is a terminal
 * server or QEMU's telnet=on chardev, that is a guest: untrusted.
 *
 * fuzz-sources: src/telnet/tnc.c src/telnet/tnscan.c src/telnet/tn.c
 * fuzz-pkgs: libtelnet
 * fuzz-seeds: tests/fuzz/backend-seeds tests/fuzz/client-seeds:in
 *             tests/golden/telnet:in
 *
 * Input: byte 0 chooses the set-up, the rest is what the peer sends.
 *   bits 0-1  the writer's window size when the connection starts: 0x0
 *             (none yet), 80x24, 0x24 (half known: no NAWS) or 255x65535
 *             (three IACs in the NAWS body); in the script format of
 *             mkseeds.py, @start gives 80x24, @accept 0x24, both
 *             255x65535
 *   bits 2-7  how the second run splits the input into reads: random
 *             lengths from 1 to N, N one of 1, 2, 3, 5, 16, 64, 512, 4096
 *             (at least 1/256 of the input, so long inputs stay fast)
 *
 * Each input runs three times, in one read, split into reads, and split
 * the same way with the bulk paths off (tnc_bytewise: every byte read
 * through libtelnet, what is typed through telnet_send), and the
 * transcripts (data, what we send, the failure and its reason) must be
 * equal.  Every read is also followed by a reference reading of the same
 * bytes: the Telnet framing (RFC 854) and the faults tnscan.h promises
 * to stop at (a COMPRESS or COMPRESS2 subnegotiation at its option byte,
 * a body over TNSCAN_SB_MAX, IAC and anything but SE or IAC in a body,
 * negotiation TNSCAN_NEG_MAX + 1).  On top of the sanitizers:
 *   - tnc_decode returns at most the bytes given, and the data it leaves
 *     there is exactly the reference's data for that read: never a byte
 *     of a command, a negotiation or a subnegotiation, and nothing from
 *     the fault on (so never a byte after a compression marker);
 *   - the connection fails exactly where the reference finds a fault,
 *     with tnscan's words for it ("compression" for COMPRESS and
 *     COMPRESS2); after that no data, no send, no second fail, and
 *     tnc_decode gives 0, also for the writer's calls below;
 *   - what we send is well-formed Telnet (fuzzkit_wire): first exactly
 *     DO SGA, DO ECHO, WILL NAWS; then we offer only SGA, BINARY and
 *     NAWS, ask only for SGA, ECHO and BINARY, refuse anything (WONT,
 *     DONT), and subnegotiate only NAWS: 4 bytes, the size set, sent
 *     exactly when the peer's DO NAWS turns it on (the first DO, or one
 *     after a DONT) and at a resize while on, never with a size unknown;
 *     no data and no command while reading;
 *   - replies are bounded: at most one negotiation sent per negotiation
 *     read, so (with NAWS) at most 16 bytes per 3 read and 16,000 in all;
 *   - after the input, unless failed, a writer's bytes (the first 64 of
 *     the input), a BREAK and a resize to 132x43: the bytes go out with
 *     IAC doubled and CR as CR NUL unless the peer's last word on BINARY
 *     was DO, then exactly one IAC BRK, and NAWS exactly when it is on;
 *     the wire ends between commands.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/telnet/tnc.h"
#include "../../src/telnet/tnscan.h"
#include "fuzzkit.h"

const char	fuzzkit_name[] = "fuzz-backend";

#define IAC	255
#define DONT	254
#define DO	253
#define WILL	251
#define SB	250
#define SE	240

#define OPT_BINARY	0
#define OPT_ECHO	1
#define OPT_SGA		3
#define OPT_NAWS	31
#define OPT_COMPRESS	85
#define OPT_COMPRESS2	86

#define TYPED_MAX	64	/* the writer's bytes after the input */

/*
 * The reference: the Telnet framing and the faults we stop at, written
 * from RFC 854 and tnscan.h's promises, and what the peer's words on
 * our options (DO and DONT) leave on.
 */
enum { REF_DATA, REF_IAC, REF_NEG, REF_SB_OPT, REF_SB, REF_SB_IAC };

struct ref {
	int			 state;
	uint8_t			 cmd;
	size_t			 sb_len;
	unsigned		 negs;		/* negotiations read */
	enum tnscan_seen	 fault;		/* or TNSCAN_NOTHING */
	/* The peer's last word on our option: 1 DO, 0 DONT or none. */
	int			 naws;
	int			 binary;
	unsigned		 naws_ons;	/* DO NAWS that turned it on */
};

/* One byte of the peer's; returns 1 if it is data (for IAC IAC, the
 * second IAC). */
static int
ref_byte(struct ref *f, uint8_t b)
{
	if (f->fault != TNSCAN_NOTHING) {
		return 0;
	}
	switch (f->state) {
	case REF_DATA:
		if (b == IAC) {
			f->state = REF_IAC;
			return 0;
		}
		return 1;
	case REF_IAC:
		f->state = REF_DATA;
		if (b == IAC) {
			return 1;
		}
		if (b == SB) {
			f->state = REF_SB_OPT;
		} else if (b >= WILL && b <= DONT) {
			f->cmd = b;
			f->state = REF_NEG;
		}
		return 0;		/* a command: NOP, GA, DM, BRK, ... */
	case REF_NEG:
		f->state = REF_DATA;
		if (++f->negs > TNSCAN_NEG_MAX) {
			f->negs--;
			f->fault = TNSCAN_NEG_TOO_MANY;
			return 0;
		}
		if (f->cmd == DO && b == OPT_NAWS && !f->naws) {
			f->naws_ons++;
		}
		if ((f->cmd == DO || f->cmd == DONT) && b == OPT_NAWS) {
			f->naws = f->cmd == DO;
		}
		if ((f->cmd == DO || f->cmd == DONT) && b == OPT_BINARY) {
			f->binary = f->cmd == DO;
		}
		return 0;
	case REF_SB_OPT:
		f->state = REF_SB;
		f->sb_len = 0;
		if (b == OPT_COMPRESS || b == OPT_COMPRESS2) {
			f->fault = TNSCAN_SB_COMPRESS;
		}
		return 0;
	case REF_SB:
		if (b == IAC) {
			f->state = REF_SB_IAC;
		} else if (++f->sb_len > TNSCAN_SB_MAX) {
			f->fault = TNSCAN_SB_TOO_LONG;
		}
		return 0;
	case REF_SB_IAC:
		if (b == SE) {
			f->state = REF_DATA;
		} else if (b == IAC) {
			f->state = REF_SB;
			if (++f->sb_len > TNSCAN_SB_MAX) {
				f->fault = TNSCAN_SB_TOO_LONG;
			}
		} else {
			f->fault = TNSCAN_SB_BROKEN;
		}
		return 0;
	}
	CHECK(0, "reference state %d", f->state);
}

struct run {
	struct tnc		*tnc;
	struct ref		 ref;
	/*
	 * The transcript, in three parts: data is seen only after each
	 * tnc_decode, sends during it, so their order is the reference's
	 * to check, not the transcript's.
	 */
	struct fuzzkit_buf	 data;
	struct fuzzkit_buf	 wirebytes;	/* all we sent */
	int			 failed;
	char			 why[80];	/* fail's reason */
	unsigned		 cols, rows;	/* the size set, for NAWS */

	/* What we send, read back. */
	struct fuzzkit_wire	 wire;
	int			 iac;		/* an IAC between commands */
	struct fuzzkit_buf	 typed;		/* data bytes, IAC undoubled */
	uint8_t			 naws[4];	/* the body being read */
	unsigned		 negs_sent;
	unsigned		 naws_sent;
	unsigned		 brks_sent;
	size_t			 sent;
};

/* A data byte on our wire: kept, to be compared with what was typed. */
static void
wire_data(struct run *r, uint8_t b)
{
	fuzzkit_buf_add(&r->typed, &b, 1);
}

/* What we may send of each option; the framing is fuzzkit's to check. */
static void
wire_byte(struct run *r, uint8_t b)
{
	struct fuzzkit_wire	*w = &r->wire;
	int			 idle = fuzzkit_wire_idle(w);

	if (r->iac) {
		r->iac = 0;
		if (b == IAC) {
			wire_data(r, b);
		}
	} else if (idle && b == IAC) {
		r->iac = 1;
	} else if (idle) {
		wire_data(r, b);
	}
	switch (fuzzkit_wire_byte(w, b)) {
	case FUZZKIT_WIRE_CMD:
		r->brks_sent++;
		break;
	case FUZZKIT_WIRE_NEG:
		if (w->cmd == WILL) {
			CHECK(b == OPT_SGA || b == OPT_BINARY || b == OPT_NAWS,
			    "we offered %u", b);
		} else if (w->cmd == DO) {
			CHECK(b == OPT_SGA || b == OPT_ECHO || b == OPT_BINARY,
			    "we asked for %u", b);
		}
		r->negs_sent++;
		break;
	case FUZZKIT_WIRE_SB_OPT:
		CHECK(b == OPT_NAWS, "we subnegotiated option %u", b);
		break;
	case FUZZKIT_WIRE_SB_BODY:
		CHECK(w->sb_len <= 4, "NAWS body over 4 bytes");
		r->naws[w->sb_len - 1] = b;
		break;
	case FUZZKIT_WIRE_SB_END:
		CHECK(w->sb_len == 4, "NAWS of %zu bytes", w->sb_len);
		CHECK(r->cols != 0 && r->rows != 0,
		    "NAWS with a size unknown");
		CHECK(r->naws[0] == (uint8_t)(r->cols >> 8) &&
		    r->naws[1] == (uint8_t)r->cols &&
		    r->naws[2] == (uint8_t)(r->rows >> 8) &&
		    r->naws[3] == (uint8_t)r->rows,
		    "NAWS %02x%02x %02x%02x for %ux%u", r->naws[0], r->naws[1],
		    r->naws[2], r->naws[3], r->cols, r->rows);
		r->naws_sent++;
		break;
	default:
		break;
	}
}

static void
ev_send(void *arg, const uint8_t *buf, size_t len)
{
	struct run	*r = arg;
	size_t		 i;

	CHECK(!r->failed, "send after fail");
	for (i = 0; i < len; i++) {
		wire_byte(r, buf[i]);
	}
	r->sent += len;
	fuzzkit_buf_add(&r->wirebytes, buf, len);
}

static void
ev_fail(void *arg, const char *why)
{
	struct run	*r = arg;

	CHECK(!r->failed, "fail twice");
	CHECK(why != NULL && why[0] != '\0', "fail without a reason");
	CHECK(fuzzkit_printable(why), "unprintable reason");
	r->failed = 1;
	(void)snprintf(r->why, sizeof r->why, "%s", why);
}

/* As backend-socket.c's: no data (tnc_decode), no sub, no opt. */
static const struct tnc_ops fuzz_ops = {
	.send = ev_send,
	.fail = ev_fail,
};

/*
 * One read, as backend_socket_decode does it: in place, in a buffer of
 * exactly the bytes read (so that ASan sees a write past them), then the
 * reference over the same bytes.
 */
static void
feed(struct run *r, const uint8_t *in, size_t len)
{
	uint8_t		*buf;
	size_t		 got, i, want = 0;
	unsigned	 negs_sent = r->negs_sent, naws_sent = r->naws_sent;
	size_t		 typed = r->typed.len, brks = r->brks_sent;
	int		 was_failed = r->failed;

	buf = malloc(len);
	CHECK(buf != NULL, "out of memory");
	memcpy(buf, in, len);
	got = tnc_decode(r->tnc, buf, len);
	CHECK(got <= len, "%zu decoded from %zu read", got, len);
	CHECK(!was_failed || got == 0, "%zu decoded after fail", got);
	CHECK(fuzzkit_wire_idle(&r->wire) && !r->iac, "a read left our "
	    "wire mid-command");
	CHECK(r->typed.len == typed && r->brks_sent == brks,
	    "data or a command sent while reading");

	/* The data is exactly the reference's, and nothing after a fault. */
	for (i = 0; i < len; i++) {
		if (ref_byte(&r->ref, in[i])) {
			CHECK(want < got && buf[want] == in[i],
			    "data byte %zu of the read (input byte %zu) "
			    "is not the reference's", want, i);
			want++;
		}
	}
	CHECK(want == got, "%zu bytes decoded, the reference has %zu", got,
	    want);
	CHECK(r->failed == (r->ref.fault != TNSCAN_NOTHING),
	    "failed %d, the reference's fault %d", r->failed,
	    (int)r->ref.fault);
	CHECK(tnc_dead(r->tnc) == r->failed, "tnc_dead %d, failed %d",
	    tnc_dead(r->tnc), r->failed);
	fuzzkit_buf_add(&r->data, buf, got);
	free(buf);

	/* Replies: one per negotiation read; NAWS as DO NAWS turns it on. */
	CHECK(r->negs_sent - 3 <= r->ref.negs, "%u negotiations sent for %u "
	    "read", r->negs_sent - 3, r->ref.negs);
	CHECK(r->naws_sent == (r->cols && r->rows ? r->ref.naws_ons : 0),
	    "%u NAWS sent, %u times on", r->naws_sent, r->ref.naws_ons);
	CHECK(!was_failed || (r->negs_sent == negs_sent &&
	    r->naws_sent == naws_sent), "replies after fail");
}

/* After the input: what a writer does, typed bytes, BREAK, a resize. */
static void
writer(struct run *r, const uint8_t *in, size_t len)
{
	struct fuzzkit_buf	 want = { NULL, 0, 0 };
	size_t			 sent = r->sent, i, n = len;
	unsigned		 naws = r->naws_sent;
	static const uint8_t	 nul = 0;

	if (n > TYPED_MAX) {
		n = TYPED_MAX;
	}
	r->typed.len = 0;
	tnc_send(r->tnc, in, n);
	tnc_break(r->tnc);
	r->cols = 132;
	r->rows = 43;
	tnc_winsize(r->tnc, r->cols, r->rows);
	CHECK(fuzzkit_wire_idle(&r->wire) && !r->iac,
	    "the writer's bytes left our wire mid-command");
	if (r->failed) {
		CHECK(r->sent == sent, "%zu bytes sent after fail",
		    r->sent - sent);
		return;
	}
	for (i = 0; i < n; i++) {
		fuzzkit_buf_add(&want, &in[i], 1);
		if (in[i] == '\r' && !r->ref.binary) {
			fuzzkit_buf_add(&want, &nul, 1);
		}
	}
	CHECK(fuzzkit_buf_same(&want, &r->typed),
	    "%zu bytes typed went out as %zu, not %zu (binary %d)", n,
	    r->typed.len, want.len, r->ref.binary);
	CHECK(r->brks_sent == 1, "%u BREAKs sent for one", r->brks_sent);
	CHECK(r->naws_sent == naws + (unsigned)r->ref.naws,
	    "NAWS at a resize: %u sent, on %d", r->naws_sent - naws,
	    r->ref.naws);
	free(want.p);
}

static const unsigned	sizes[4][2] = {
	{ 0, 0 }, { 80, 24 }, { 0, 24 }, { 255, 65535 },
};

/* Run the input in one read (split 0) or split as split says, into r-> */
static void
run(struct run *r, const uint8_t *data, size_t size, unsigned setup,
    unsigned split, int bytewise)
{
	static const uint8_t	 opening[] = {
		IAC, DO, OPT_SGA, IAC, DO, OPT_ECHO, IAC, WILL, OPT_NAWS,
	};
	struct fuzzkit_reads	 rd;
	size_t			 off, n;

	memset(r, 0, sizeof *r);
	r->wire.cmds = "\xf3";		/* IAC BRK, from tnc_break */
	r->tnc = tnc_new(&fuzz_ops, r, 0, NULL);
	CHECK(r->tnc != NULL, "tnc_new failed");
	if (bytewise) {
		tnc_bytewise(r->tnc);
	}
	/* backend_socket_telnet_start */
	r->cols = sizes[setup & 3][0];
	r->rows = sizes[setup & 3][1];
	tnc_winsize(r->tnc, r->cols, r->rows);
	tnc_do(r->tnc, OPT_SGA);
	tnc_do(r->tnc, OPT_ECHO);
	tnc_will(r->tnc, OPT_NAWS);
	CHECK(r->wirebytes.len == sizeof opening &&
	    memcmp(r->wirebytes.p, opening, sizeof opening) == 0,
	    "the opening is not DO SGA, DO ECHO, WILL NAWS");
	CHECK(r->negs_sent == 3 && r->typed.len == 0, "the opening");

	fuzzkit_reads_init(&rd, split, size / 256);
	for (off = 0; off < size; off += n) {
		n = fuzzkit_reads_next(&rd, size - off);
		feed(r, data + off, n);
	}
	/* At most 13 bytes of NAWS and 3 of reply per negotiation read. */
	CHECK(r->sent <= sizeof opening + 16 * (size_t)r->ref.negs &&
	    r->ref.negs <= TNSCAN_NEG_MAX, "%zu bytes sent for %u "
	    "negotiations", r->sent, r->ref.negs);
	if (r->failed) {
		CHECK(strcmp(r->why, tnscan_why(r->ref.fault)) == 0,
		    "failed with \"%s\" at a fault of kind %d", r->why,
		    (int)r->ref.fault);
		CHECK(r->ref.fault != TNSCAN_SB_COMPRESS ||
		    strstr(r->why, "compression") != NULL,
		    "compression refused as \"%s\"", r->why);
	}
	writer(r, data, size);
	tnc_free(r->tnc);
	free(r->typed.p);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run	 whole, split, ref;
	unsigned	 setup, how;

	if (size == 0) {
		return 0;
	}
	setup = data[0];
	data++;
	size--;
	/* 1 + (setup >> 2): never 0, so the second run always splits. */
	how = 1 + (setup >> 2);

	run(&whole, data, size, setup, 0, 0);
	run(&split, data, size, setup, how, 0);
	run(&ref, data, size, setup, how, 1);
	if (!fuzzkit_buf_same(&split.wirebytes, &ref.wirebytes)) {
		fuzzkit_buf_show("sent, bulk", &split.wirebytes);
		fuzzkit_buf_show("sent, bytewise", &ref.wirebytes);
		CHECK(0, "what we sent differs from bytewise, split %u", how);
	}
	CHECK(fuzzkit_buf_same(&split.data, &ref.data),
	    "data differs from bytewise, split %u", how);
	CHECK(split.failed == ref.failed && strcmp(split.why, ref.why) == 0,
	    "failure differs from bytewise: \"%s\", \"%s\"", split.why,
	    ref.why);
	if (!fuzzkit_buf_same(&whole.wirebytes, &split.wirebytes)) {
		fuzzkit_buf_show("sent, in one read", &whole.wirebytes);
		fuzzkit_buf_show("sent, split into reads", &split.wirebytes);
		CHECK(0, "what we sent differs with split %u", how);
	}
	CHECK(fuzzkit_buf_same(&whole.data, &split.data),
	    "data differs with split %u", how);
	CHECK(whole.failed == split.failed &&
	    strcmp(whole.why, split.why) == 0,
	    "failure differs with split %u: \"%s\", \"%s\"", how, whole.why,
	    split.why);
	free(whole.data.p);
	free(whole.wirebytes.p);
	free(split.data.p);
	free(split.wirebytes.p);
	free(ref.data.p);
	free(ref.wirebytes.p);
	return 0;
}
