/*
 * fuzz-telnet: libFuzzer harness for the Telnet input path (src/telnet/tn.c
 * over libtelnet): every byte a peer can send before and after login.
 *
 * fuzz-sources: src/telnet/tn.c
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
 * Each input is run twice, in one tn_recv call and split into reads, and
 * the two transcripts (events, merged data and sends, and the final state)
 * must be equal: tn acts at the same point of the stream however the
 * peer's bytes were split.  On top of the sanitizers, the callbacks check:
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/telnet/tn.h"

#define TN_FUZZ_SEND_MAX	2048	/* largest single send */
#define TN_FUZZ_AMP		400	/* reply bytes per input byte, at most */

#define IAC	0xff
#define SB	0xfa
#define SE	0xf0
#define WILL	0xfb
#define WONT	0xfc
#define DO	0xfd
#define DONT	0xfe

#define CHECK(c, ...) do {						\
	if (!(c)) {							\
		fprintf(stderr, "fuzz-telnet: check failed: %s: ", #c);\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		abort();						\
	}								\
} while (0)

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

/* A growing byte buffer. */
struct buf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
};

static void
buf_add(struct buf *b, const void *src, size_t len)
{
	if (b->len + len > b->cap) {
		while (b->len + len > b->cap) {
			b->cap = b->cap ? 2 * b->cap : 1024;
		}
		b->p = realloc(b->p, b->cap);
		CHECK(b->p != NULL, "out of memory");
	}
	if (len > 0) {
		memcpy(b->p + b->len, src, len);
	}
	b->len += len;
}

/* A checker for the wire form of what we send. */
enum wire {
	W_DATA, W_IAC, W_NEG, W_SB_OPT, W_SB_BODY0, W_SB, W_SB_IAC,
};

struct run {
	struct tn		*tn;
	const char *const	*accept;
	struct buf		 tr;	/* transcript */
	int			 last;	/* 'D' or 'S' while merging */
	int			 failed;
	int			 settled_calls;
	int			 in_ayt;
	int			 echoing;	/* sends may be data-sized */
	size_t			 data_total;
	size_t			 sent_call;	/* sent during this tn_ call */

	enum wire		 wire;
	uint8_t			 wire_cmd;
	uint8_t			 wire_opt;
};

static void
tr_rec(struct run *r, int kind, const void *p, size_t len)
{
	uint8_t	k = (uint8_t)kind;

	if ((kind == 'D' || kind == 'S') && r->last == kind) {
		buf_add(&r->tr, p, len);
		return;
	}
	buf_add(&r->tr, "\n", 1);
	buf_add(&r->tr, &k, 1);
	buf_add(&r->tr, p, len);
	r->last = (kind == 'D' || kind == 'S') ? kind : 0;
}

static void
wire_byte(struct run *r, uint8_t b)
{
	switch (r->wire) {
	case W_DATA:
		if (b == IAC) {
			r->wire = W_IAC;
		}
		break;
	case W_IAC:
		if (b == IAC) {
			r->wire = W_DATA;
		} else if (b >= WILL && b <= DONT) {
			r->wire_cmd = b;
			r->wire = W_NEG;
		} else if (b == SB) {
			r->wire = W_SB_OPT;
		} else {
			CHECK(0, "we sent IAC %02x", b);
		}
		break;
	case W_NEG:
		if (r->wire_cmd == WILL) {
			/* ECHO, SGA, BINARY */
			CHECK(b == 1 || b == 3 || b == 0, "we offered %u", b);
		} else if (r->wire_cmd == DO) {
			/* SGA, BINARY, NAWS, TTYPE, NEW-ENVIRON */
			CHECK(b == 3 || b == 0 || b == 31 || b == 24 ||
			    b == 39, "we asked for %u", b);
		}
		r->wire = W_DATA;
		break;
	case W_SB_OPT:
		CHECK(b == 24 || b == 39, "we subnegotiated option %u", b);
		r->wire_opt = b;
		r->wire = W_SB_BODY0;
		break;
	case W_SB_BODY0:
		CHECK(b == 1, "our subnegotiation of %u is not SEND (%u)",
		    r->wire_opt, b);
		r->wire = W_SB;
		break;
	case W_SB:
		if (b == IAC) {
			r->wire = W_SB_IAC;
		}
		break;
	case W_SB_IAC:
		CHECK(b == SE || b == IAC, "we sent IAC %02x inside SB", b);
		r->wire = b == SE ? W_DATA : W_SB;
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
	tr_rec(r, 'D', buf, len);

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
		tr_rec(r, 'S', buf, len);
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
	tr_rec(r, 'W', w, sizeof w);
}

static void
ev_command(void *arg, enum tn_cmd cmd)
{
	static const char	 yes[] = "\r\n[yes]\r\n";
	struct run		*r = arg;
	uint8_t			 c = (uint8_t)cmd;

	CHECK(!r->failed, "command after fail");
	CHECK(cmd <= TN_CMD_EL, "command %d", (int)cmd);
	tr_rec(r, 'C', &c, 1);
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
	tr_rec(r, 'Z', NULL, 0);
}

static void
ev_fail(void *arg, const char *why)
{
	struct run	*r = arg;
	size_t		 i;

	CHECK(!r->failed, "fail twice");
	CHECK(why != NULL && why[0] != '\0', "fail without a reason");
	for (i = 0; why[i] != '\0'; i++) {
		CHECK(why[i] >= 0x20 && why[i] < 0x7f, "unprintable reason");
	}
	r->failed = 1;
	tr_rec(r, 'F', why, strlen(why));
}

static const struct tn_ops fuzz_ops = {
	.data = ev_data,
	.send = ev_send,
	.winsize = ev_winsize,
	.command = ev_command,
	.settled = ev_settled,
	.fail = ev_fail,
};

static int
printable(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) {
			return 0;
		}
	}
	return 1;
}

static int
accepted(const struct run *r, const char *name)
{
	const char *const	*p;

	for (p = r->accept; p != NULL && *p != NULL; p++) {
		if (strcmp(*p, name) == 0) {
			return 1;
		}
	}
	return 0;
}

/* What negotiation left must be valid whenever the daemon could look. */
static void
check_state(struct run *r)
{
	const struct tn_env	*e, *f;
	const char		*s;
	size_t			 i, j, n;

	if ((s = tn_term(r->tn)) != NULL) {
		CHECK(tn_term_valid(s, strlen(s)), "bad TERM kept");
		for (i = 0; s[i] != '\0'; i++) {
			CHECK(s[i] < 'A' || s[i] > 'Z', "TERM not lower case");
		}
	}
	if ((s = tn_user(r->tn)) != NULL) {
		CHECK(tn_user_valid(s, strlen(s)), "bad USER kept");
		CHECK(s[0] != '-', "USER starts with -");
	}
	n = tn_env_count(r->tn);
	CHECK(n <= TN_ENV_MAX, "%zu variables kept", n);
	CHECK(tn_env_at(r->tn, n) == NULL, "tn_env_at past the end");
	for (i = 0; i < n; i++) {
		e = tn_env_at(r->tn, i);
		CHECK(e != NULL, "tn_env_at(%zu) is NULL", i);
		CHECK(strnlen(e->name, sizeof e->name) <= TN_ENV_NAME_MAX &&
		    strnlen(e->value, sizeof e->value) <= TN_ENV_VALUE_MAX,
		    "variable %zu not terminated within its cap", i);
		CHECK(accepted(r, e->name), "variable %s not accepted",
		    e->name);
		CHECK(strcmp(e->name, "TERM") != 0 &&
		    strcmp(e->name, "USER") != 0, "TERM or USER in env");
		CHECK(printable(e->value), "unprintable value for %s",
		    e->name);
		for (j = 0; j < i; j++) {
			f = tn_env_at(r->tn, j);
			CHECK(strcmp(e->name, f->name) != 0, "%s twice",
			    e->name);
		}
	}
	CHECK(tn_settled(r->tn) == (r->settled_calls > 0),
	    "tn_settled %d after %d settled calls", tn_settled(r->tn),
	    r->settled_calls);
}

static void
final_state(struct run *r)
{
	const struct tn_env	*e;
	const char		*s;
	size_t			 i;

	r->last = 0;
	s = tn_term(r->tn);
	tr_rec(r, 'T', s ? s : "-", strlen(s ? s : "-"));
	s = tn_user(r->tn);
	tr_rec(r, 'U', s ? s : "-", strlen(s ? s : "-"));
	for (i = 0; (e = tn_env_at(r->tn, i)) != NULL; i++) {
		tr_rec(r, 'E', e->name, strlen(e->name));
		tr_rec(r, '=', e->value, strlen(e->value));
	}
	tr_rec(r, tn_settled(r->tn) ? 'Y' : 'N', NULL, 0);
}

/* One call into tn, then the checks that hold between calls. */
static void
feed(struct run *r, const uint8_t *p, size_t len)
{
	r->sent_call = 0;
	tn_recv(r->tn, p, len);
	CHECK(r->wire == W_DATA, "a send ended mid-command (state %d)",
	    (int)r->wire);
	/* Echoed data counts twice at most (IAC doubled). */
	CHECK(r->sent_call <= (size_t)TN_FUZZ_AMP * len + TN_FUZZ_SEND_MAX,
	    "%zu bytes sent for a read of %zu", r->sent_call, len);
	check_state(r);
}

/* Run the input in one read (split 0) or split into reads as split
 * says; returns the transcript. */
static struct buf
run(const uint8_t *data, size_t size, const char *const *accept,
    int start, unsigned split)
{
	static const size_t	 maxchunk[8] = { 1, 2, 3, 5, 16, 64, 512, 4096 };
	struct run		 r;
	uint32_t		 x = 2463534242u ^ (split * 2654435761u);
	size_t			 off = 0, n, most;

	memset(&r, 0, sizeof r);
	r.accept = accept;
	r.tn = tn_new(&fuzz_ops, &r, accept);
	CHECK(r.tn != NULL, "tn_new failed");
	if (start) {
		r.sent_call = 0;
		tn_start(r.tn);
		CHECK(r.wire == W_DATA, "tn_start ended mid-command");
		check_state(&r);
	}
	while (off < size) {
		if (split == 0) {
			n = size - off;
		} else {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			/* Long inputs (over-long subnegotiations) in at
			 * most about 256 reads, to keep the fuzzer fast. */
			most = maxchunk[split & 7];
			if (most < size / 256) {
				most = size / 256;
			}
			n = 1 + x % most;
			if (n > size - off) {
				n = size - off;
			}
		}
		feed(&r, data + off, n);
		off += n;
	}
	CHECK(r.data_total <= size, "%zu data bytes from %zu input bytes",
	    r.data_total, size);
	final_state(&r);
	tn_free(r.tn);
	return r.tr;
}

static void
show(const char *what, const struct buf *b)
{
	size_t	i, n = b->len < 4000 ? b->len : 4000;

	fprintf(stderr, "--- %s (%zu bytes)\n", what, b->len);
	for (i = 0; i < n; i++) {
		if (b->p[i] == '\n' || (b->p[i] >= 0x20 && b->p[i] < 0x7f)) {
			fputc(b->p[i], stderr);
		} else {
			fprintf(stderr, "\\x%02x", b->p[i]);
		}
	}
	fputc('\n', stderr);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *const	*accept;
	struct buf		 whole, split;
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

	whole = run(data, size, accept, cfg & 1, 0);
	split = run(data, size, accept, cfg & 1, how);
	if (whole.len != split.len || memcmp(whole.p, split.p, whole.len)) {
		show("in one read", &whole);
		show("split into reads", &split);
		CHECK(0, "transcripts differ with split %u", how);
	}
	free(whole.p);
	free(split.p);
	return 0;
}
