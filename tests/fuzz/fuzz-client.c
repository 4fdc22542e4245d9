/*
 * fuzz-client: libFuzzer harness for the ttyhub client's reading of what
 * a broker sends: peer_recv over libtelnet (src/client/peer.c), and the
 * cleaning of console output and of the daemon's words (src/client/
 * clean.c), as conn.c, attach.c and cmd.c use them.  A broker is trusted
 * with console output but not with the client's own terminal: nothing it
 * sends may crash the client, make it say what it does not mean, or put
 * control bytes into the lines it prints as its own.
 *
 * fuzz-sources: src/client/peer.c src/client/clean.c src/telnet/tnscan.c
 *               src/telnet/tnc.c src/telnet/tn.c
 * fuzz-pkgs: libtelnet
 * fuzz-seeds: tests/fuzz/client-seeds:in tests/golden/telnet:in
 * fuzz-max-len: 16384
 *
 * Input: byte 0 chooses the set-up, the rest is what the broker sends.
 *   bit 0     call peer_start first (the client always does)
 *   bit 1     a window size is known before negotiation
 *   bits 2-7  how the second run splits the input into reads (1 to N
 *             bytes)
 *
 * The input runs through a peer twice, in one read and split into reads,
 * and the transcripts (console data, what the client sends, control
 * messages, the answer to the option offer, naming, failure) must be
 * equal.  On top of the sanitizers:
 *   - what the client sends is well-formed Telnet: IAC only doubled, in a
 *     negotiation, or in a subnegotiation ended by IAC SE; it offers only
 *     SGA, BINARY, NAWS, TTYPE, NEW-ENVIRON and TTYHUB-CONTROL, asks only
 *     for ECHO, SGA and BINARY, and subnegotiates only NAWS (4 bytes),
 *     TTYPE IS, NEW-ENVIRON IS and TTYHUB-CONTROL requests;
 *   - its replies are bounded: at most 64 bytes plus 600 per input byte;
 *   - typed bytes and a BREAK after the input leave the wire between
 *     commands;
 *   - control messages carry printable ASCII and TAB only, within
 *     4 x TN_CTL_TEXT_MAX bytes, and only while the option is on;
 *   - ctl_answer and named come at most once; nothing after fail;
 *   - console data never exceeds the input;
 *   - clean_feed of the data, whole and split, gives the same bytes,
 *     within CLEAN_OUT_MAX, and only TAB, LF, printable ASCII and
 *     well-formed UTF-8 for U+00A0 and above.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/client/clean.h"
#include "../../src/client/peer.h"
#include "../../src/telnet/tn.h"
#include "fuzzkit.h"

const char	fuzzkit_name[] = "fuzz-client";

#define DO	253
#define WILL	251

struct run {
	struct peer		*peer;
	struct fuzzkit_tr	 tr;		/* transcript */
	struct fuzzkit_buf	 data;
	int			 failed;
	int			 answers;
	int			 ctl_on;
	int			 named;
	size_t			 sent;
	struct fuzzkit_wire	 wire;	/* what the client sends, read back */
};

/* What the client may send of each option; fuzzkit checks the framing. */
static void
wire_byte(struct run *r, uint8_t b)
{
	struct fuzzkit_wire	*w = &r->wire;

	switch (fuzzkit_wire_byte(w, b)) {
	case FUZZKIT_WIRE_NEG:
		if (w->cmd == WILL) {
			CHECK(b == 3 || b == 0 || b == 31 || b == 24 ||
			    b == 39 || b == TN_TELOPT_TTYHUB, "we offered %u", b);
		} else if (w->cmd == DO) {
			CHECK(b == 1 || b == 3 || b == 0, "we asked for %u", b);
		}
		break;
	case FUZZKIT_WIRE_SB_OPT:
		CHECK(b == 31 || b == 24 || b == 39 || b == TN_TELOPT_TTYHUB,
		    "we subnegotiated option %u", b);
		break;
	case FUZZKIT_WIRE_SB_END:
		switch (w->opt) {
		case 31:
			CHECK(w->sb_len == 4, "NAWS of %zu bytes", w->sb_len);
			break;
		case 24:
		case 39:
			CHECK(w->sb_len >= 1 && w->sb_first == 0,
			    "TTYPE/NEW-ENVIRON subnegotiation is not IS");
			break;
		case TN_TELOPT_TTYHUB:
			CHECK(w->sb_len >= 1 && w->sb_first >= TN_CTL_RO &&
			    w->sb_first <= TN_CTL_PING, "request %u",
			    w->sb_first);
			break;
		}
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
	CHECK(len > 0, "empty data");
	fuzzkit_tr_rec(&r->tr, 'D', buf, len);
	fuzzkit_buf_add(&r->data, buf, len);
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
	fuzzkit_tr_rec(&r->tr, 'S', buf, len);
}

static void
ev_ctl(void *arg, int code, const char *text)
{
	struct run	*r = arg;
	size_t		 i, n = strlen(text);
	uint8_t		 c = (uint8_t)code;

	CHECK(!r->failed, "ctl after fail");
	CHECK(r->ctl_on, "ctl while the option is off");
	CHECK(n <= 4 * TN_CTL_TEXT_MAX, "ctl text of %zu bytes", n);
	for (i = 0; i < n; i++) {
		CHECK((text[i] >= 0x20 && text[i] < 0x7f) || text[i] == '\t',
		    "ctl text byte %02x", (unsigned char)text[i]);
	}
	fuzzkit_tr_rec(&r->tr, 'C', &c, 1);
	fuzzkit_buf_add(&r->tr.b, text, n);
}

static void
ev_answer(void *arg, int on)
{
	struct run	*r = arg;
	uint8_t		 c = (uint8_t)on;

	CHECK(!r->failed, "answer after fail");
	CHECK(r->answers++ == 0, "ctl_answer twice");
	r->ctl_on = on;
	fuzzkit_tr_rec(&r->tr, 'A', &c, 1);
}

static void
ev_named(void *arg)
{
	struct run	*r = arg;

	CHECK(!r->failed, "named after fail");
	CHECK(r->named++ == 0, "named twice");
	fuzzkit_tr_rec(&r->tr, 'N', "", 0);
}

static void
ev_fail(void *arg, const char *why)
{
	struct run	*r = arg;

	CHECK(!r->failed, "fail twice");
	r->failed = 1;
	fuzzkit_tr_rec(&r->tr, 'F', why, strlen(why));
}

static const struct peer_ops fuzz_ops = {
	.data = ev_data,
	.send = ev_send,
	.ctl = ev_ctl,
	.ctl_answer = ev_answer,
	.named = ev_named,
	.fail = ev_fail,
};

static void
run_input(struct run *r, uint8_t setup, const uint8_t *in, size_t len,
    size_t chunk)
{
	struct peer_want	w;
	size_t			off, n, asked = 0;

	memset(r, 0, sizeof *r);
	memset(&w, 0, sizeof w);
	w.console = "vm1";
	w.mode = "ro,\x01\x02\xff";
	w.command = NULL;
	w.term = "xterm-256color";
	/* The client's one lone command: BREAK (IAC BRK). */
	r->wire.cmds = "\xf3";
	r->peer = peer_new(&fuzz_ops, r, &w);
	CHECK(r->peer != NULL, "peer_new");
	if (setup & 1) {
		peer_start(r->peer);
	}
	if (setup & 2) {
		peer_winsize(r->peer, 0xffff, 255);
	}
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		peer_recv(r->peer, in + off, n);
		/* What the owner does between reads: ask, when it may. */
		if (peer_ctl(r->peer) == 1 && !r->failed && asked++ < 8) {
			CHECK(peer_request(r->peer, TN_CTL_PING, "p\xff") == 0,
			    "request refused while on");
		}
	}
	CHECK(r->sent <= 64 + 600 * len + (len / chunk + 1) * 16,
	    "%zu bytes sent for %zu in", r->sent, len);
	/* What the user types, and a BREAK: still well-formed Telnet. */
	if (!r->failed) {
		peer_send(r->peer, in, len < 64 ? len : 64);
		peer_break(r->peer);
		CHECK(fuzzkit_wire_idle(&r->wire),
		    "typing left the wire mid-command");
	}
	CHECK(r->data.len <= len, "more data than input");
	peer_free(r->peer);
}

/* Is what clean_feed made harmless?  Returns 0 or the offending offset+1. */
static size_t
clean_bad(const uint8_t *p, size_t n)
{
	size_t		i = 0, k, need;
	unsigned long	cp;

	while (i < n) {
		if (p[i] == '\t' || p[i] == '\n' ||
		    (p[i] >= 0x20 && p[i] < 0x7f)) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			need = 2;
			cp = p[i] & 0x1f;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			need = 3;
			cp = p[i] & 0x0f;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			need = 4;
			cp = p[i] & 0x07;
		} else {
			return i + 1;
		}
		if (i + need > n) {
			return i + 1;
		}
		for (k = 1; k < need; k++) {
			if ((p[i + k] & 0xc0) != 0x80) {
				return i + 1;
			}
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < 0xa0 || (need == 3 && cp < 0x800) ||
		    (need == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			return i + 1;
		}
		i += need;
	}
	return 0;
}

static void
check_clean(const uint8_t *in, size_t len, size_t chunk)
{
	struct clean	st;
	uint8_t		*whole, *split;
	size_t		wn = 0, sn = 0, off, n, bad;

	whole = malloc(CLEAN_OUT_MAX(len));
	split = malloc(CLEAN_OUT_MAX(len) + 4 * (len / chunk + 1));
	CHECK(whole != NULL && split != NULL, "out of memory");
	clean_init(&st);
	wn = clean_feed(&st, in, len, whole);
	wn += clean_finish(&st, whole + wn);
	CHECK(wn <= CLEAN_OUT_MAX(len), "%zu out for %zu in", wn, len);
	clean_init(&st);
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		sn += clean_feed(&st, in + off, n, split + sn);
	}
	sn += clean_finish(&st, split + sn);
	CHECK(sn == wn && memcmp(whole, split, wn) == 0, "split cleaning "
	    "differs");
	bad = clean_bad(whole, wn);
	CHECK(bad == 0, "cleaned output has byte %02x at %zu", whole[bad - 1],
	    bad - 1);
	free(whole);
	free(split);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t	chunks[] = { 1, 2, 3, 5, 7, 16, 64, 4096 };
	struct run		a, b;
	uint8_t			setup;
	size_t			chunk;
	char			text[256];

	if (size < 1) {
		return 0;
	}
	setup = data[0];
	chunk = chunks[(setup >> 2) % (sizeof chunks / sizeof chunks[0])];
	data++;
	size--;

	run_input(&a, setup, data, size, size > 0 ? size : 1);
	run_input(&b, setup, data, size, chunk);
	/*
	 * Once the option is on, the harness's requests between reads
	 * depend on the split, so whole transcripts are compared only when
	 * it never came on; data and outcome always.
	 */
	if (!a.ctl_on) {
		CHECK(fuzzkit_buf_same(&a.tr.b, &b.tr.b), "split run differs");
	}
	CHECK(fuzzkit_buf_same(&a.data, &b.data),
	    "console data differs when split");
	CHECK(a.failed == b.failed && a.named == b.named &&
	    a.answers == b.answers, "outcome differs when split");

	check_clean(a.data.p != NULL ? a.data.p : (const uint8_t *)"",
	    a.data.len, chunk);
	check_clean(data, size, chunk);
	(void)clean_text(text, sizeof text, data, size, setup & 1);
	CHECK(strlen(text) < sizeof text, "clean_text overran");

	free(a.tr.b.p);
	free(a.data.p);
	free(b.tr.b.p);
	free(b.data.p);
	return 0;
}
