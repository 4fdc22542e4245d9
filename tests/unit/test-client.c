/*
 * test-client: table tests of the client's pure parts: the escape
 * machine (escape.c), the cleaning of network bytes (clean.c), the
 * client's Telnet policy (peer.c) against scripted broker bytes, and
 * tnc's bulk paths against libtelnet byte by byte (tnc_bytewise) on
 * random streams.  Run by test_units.py for each build; prints "N
 * passed, M failed".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/client/clean.h"
#include "../../src/client/escape.h"
#include "../../src/client/peer.h"
#include "../../src/telnet/tn.h"
#include "../../src/telnet/tnc.h"
#include "../../src/telnet/tnscan.h"

static int	passed, failed;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("not ok - %s:%d: %s: ", __func__, __LINE__, #cond); \
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

/* Escapes: typed text in, what is sent and the commands out. */

struct esc_case {
	int		 ch;
	const char	*typed;
	const char	*sent;
	const char	*cmds;		/* one letter per command */
};

static char
esc_letter(enum escape_cmd c)
{
	static const char letters[] = "-.brwful\032?";

	return letters[c];
}

static void
test_escape(void)
{
	static const struct esc_case cases[] = {
		{ '~', "~.", "", "." },
		{ '~', "ls\r~.", "ls\r", "." },
		{ '~', "ls\n~.", "ls\n", "." },
		{ '~', "a~.", "a~.", "" },
		{ '~', "~~.", "~.", "" },
		{ '~', "~x", "~x", "" },
		{ '~', "~\r~.", "~\r", "." },
		{ '~', "~b~r~w~f~u~l~?~\032~.", "", "brwful?\032." },
		{ '~', "~u x\r", " x\r", "u" },
		{ '~', "x\r\r~~~.", "x\r\r~~.", "" },
		{ ESCAPE_NONE, "~.", "~.", "" },
		{ 0x1d, "\x1d.", "", "." },
		{ 0x1d, "~.\r\x1d\x1d", "~.\r\x1d", "" },
	};
	size_t		i, j, n, nc, len;
	struct escape	e;
	uint8_t		out[2];
	char		sent[64], cmds[16];
	enum escape_cmd	c;
	int		ch;
	char		name[8];

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		escape_init(&e, cases[i].ch);
		n = 0;
		nc = 0;
		for (j = 0; cases[i].typed[j] != '\0'; j++) {
			c = escape_byte(&e, (uint8_t)cases[i].typed[j], out,
			    &len);
			memcpy(sent + n, out, len);
			n += len;
			if (c != ESCAPE_SEND) {
				cmds[nc++] = esc_letter(c);
			}
		}
		sent[n] = '\0';
		cmds[nc] = '\0';
		CHECK(strcmp(sent, cases[i].sent) == 0 &&
		    strcmp(cmds, cases[i].cmds) == 0,
		    "case %zu: sent \"%s\" cmds \"%s\"", i, sent, cmds);
	}
	CHECK(escape_parse("~", &ch) == 0 && ch == '~', "~");
	CHECK(escape_parse("^]", &ch) == 0 && ch == 0x1d, "^]");
	CHECK(escape_parse("^a", &ch) == 0 && ch == 1, "^a");
	CHECK(escape_parse("^?", &ch) == 0 && ch == 0x7f, "^?");
	CHECK(escape_parse("none", &ch) == 0 && ch == ESCAPE_NONE, "none");
	CHECK(escape_parse("ab", &ch) == -1, "ab");
	CHECK(escape_parse("", &ch) == -1, "empty");
	CHECK(escape_parse("^1", &ch) == -1, "^1");
	CHECK(strcmp(escape_name(0x1d, name, sizeof name), "^]") == 0, "%s",
	    name);
	CHECK(strcmp(escape_name('~', name, sizeof name), "~") == 0, "%s",
	    name);
	CHECK(strcmp(escape_name(ESCAPE_NONE, name, sizeof name), "none") ==
	    0, "%s", name);
}

/* Cleaning: whole, and split in two at every offset, give the same. */

struct clean_case {
	const char	*in;
	size_t		 len;
	const char	*out;
};

#define CC(in, out)	{ in, sizeof in - 1, out }

static size_t
clean_all(const uint8_t *in, size_t len, size_t cut, uint8_t *out)
{
	struct clean	st;
	size_t		n;

	clean_init(&st);
	n = clean_feed(&st, in, cut, out);
	n += clean_feed(&st, in + cut, len - cut, out + n);
	n += clean_finish(&st, out + n);
	return n;
}

static void
test_clean(void)
{
	static const struct clean_case cases[] = {
		CC("plain text\n", "plain text\n"),
		CC("crlf\r\n", "crlf\n"),
		CC("pty\r\r\n", "pty\n"),
		CC("cr\rover", "cr^Mover"),
		CC("three\r\r\r\n", "three^M\n"),
		CC("end\r", "end^M"),
		CC("\x1b[2J\x07\x00\x7f\t", "^[[2J^G^@^?\t"),
		CC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
		CC("\xc2\x9b" "31m", "\\xc2\\x9b31m"),
		CC("\x9b" "31m", "\\x9b31m"),
		CC("\xc0\xaf", "\\xc0\\xaf"),
		CC("\xe0\x80\xaf", "\\xe0\\x80\\xaf"),
		CC("\xed\xa0\x80", "\\xed\\xa0\\x80"),
		CC("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"),
		CC("\xe2\x82", "\\xe2\\x82"),
		CC("\xe2\x82x", "\\xe2\\x82x"),
		CC("\xe2\r\n", "\\xe2\n"),
		CC("\r\xc3\xa9", "^M\xc3\xa9"),
		CC("\xff\xfe", "\\xff\\xfe"),
	};
	uint8_t		out[256], whole[256];
	size_t		i, cut, n, wn;
	char		text[64];

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		wn = clean_all((const uint8_t *)cases[i].in, cases[i].len,
		    cases[i].len, whole);
		CHECK(wn == strlen(cases[i].out) &&
		    memcmp(whole, cases[i].out, wn) == 0, "case %zu: got "
		    "\"%.*s\"", i, (int)wn, whole);
		for (cut = 0; cut <= cases[i].len; cut++) {
			n = clean_all((const uint8_t *)cases[i].in,
			    cases[i].len, cut, out);
			CHECK(n == wn && memcmp(out, whole, n) == 0,
			    "case %zu cut at %zu: \"%.*s\"", i, cut, (int)n,
			    out);
			CHECK(n <= CLEAN_OUT_MAX(cases[i].len), "case %zu", i);
		}
	}
	n = clean_text(text, sizeof text, "a\x1b" "b\tc\xff", 6, 0);
	CHECK(strcmp(text, "a\\x1bb\\x09c\\xff") == 0 && n == strlen(text),
	    "%s", text);
	n = clean_text(text, sizeof text, "a\tb", 3, 1);
	CHECK(strcmp(text, "a\tb") == 0, "%s", text);
	n = clean_text(text, 6, "abc\x01zz", 6, 0);
	CHECK(strcmp(text, "abc") == 0 && n == 3, "%s", text);
	n = clean_text(text, 1, "abc", 3, 0);
	CHECK(text[0] == '\0' && n == 0, "%s", text);
}

/* The client's Telnet policy, against scripted broker bytes. */

struct rec {
	uint8_t	sent[4096];
	size_t	nsent;
	uint8_t	data[4096];
	size_t	ndata;
	int	code[16];
	char	text[16][256];
	int	nctl;
	int	answer;
	int	named;
	char	failed[64];
};

static void
rec_data(void *arg, const uint8_t *buf, size_t len)
{
	struct rec	*r = arg;

	memcpy(r->data + r->ndata, buf, len);
	r->ndata += len;
}

static void
rec_send(void *arg, const uint8_t *buf, size_t len)
{
	struct rec	*r = arg;

	memcpy(r->sent + r->nsent, buf, len);
	r->nsent += len;
}

static void
rec_ctl(void *arg, int code, const char *text)
{
	struct rec	*r = arg;

	r->code[r->nctl] = code;
	snprintf(r->text[r->nctl], sizeof r->text[0], "%s", text);
	r->nctl++;
}

static void
rec_answer(void *arg, int on)
{
	((struct rec *)arg)->answer = on;
}

static void
rec_named(void *arg)
{
	((struct rec *)arg)->named++;
}

static void
rec_fail(void *arg, const char *why)
{
	snprintf(((struct rec *)arg)->failed, 64, "%s", why);
}

static const struct peer_ops rec_ops = {
	.data = rec_data,
	.send = rec_send,
	.ctl = rec_ctl,
	.ctl_answer = rec_answer,
	.named = rec_named,
	.fail = rec_fail,
};

#define IAC	0xff
#define DONT	0xfe
#define DO	0xfd
#define WILL	0xfb
#define SB	0xfa
#define SE	0xf0

static struct peer *
rec_peer(struct rec *r, const char *mode)
{
	struct peer_want	w;

	memset(r, 0, sizeof *r);
	r->answer = -1;
	memset(&w, 0, sizeof w);
	w.console = "vm1";
	w.mode = mode;
	w.term = "xterm-256color";
	return peer_new(&rec_ops, r, &w);
}

static int
has(const struct rec *r, const void *needle, size_t len)
{
	return memmem(r->sent, r->nsent, needle, len) != NULL;
}

static void
test_peer(void)
{
	static const uint8_t start[] = { IAC, WILL, TN_TELOPT_TTYHUB, IAC, WILL,
	    0, IAC, DO, 0 };
	static const uint8_t opening[] = { IAC, WILL, 1, IAC, WILL, 3, IAC, DO,
	    3, IAC, DO, 31, IAC, DO, 24, IAC, DO, 39, IAC, DO, TN_TELOPT_TTYHUB };
	static const uint8_t naws[] = { IAC, SB, 31, 0, 100, 0, 30, IAC, SE };
	static const uint8_t naws2[] = { IAC, SB, 31, 255, 255, 255, 255, 1, 0,
	    IAC, SE };
	static const uint8_t ttype_send[] = { IAC, SB, 24, 1, IAC, SE };
	static const uint8_t ttype_is[] = "\xff\xfa\x18\x00xterm-256color\xff\xf0";
	static const uint8_t env_send[] = { IAC, SB, 39, 1, 0, 'U', 'S', 'E',
	    'R', 3, 'T', 'T', 'Y', 'H', 'U', 'B', '_', 'C', 'O', 'N', 'S', 'O',
	    'L', 'E', IAC, SE };
	static const uint8_t env_is[] = "\xff\xfa\x27\x00\x03TTYHUB_CONSOLE"
	    "\x01vm1\xff\xf0";
	static const uint8_t env_all[] = { IAC, SB, 39, 1, IAC, SE };
	static const uint8_t env_is_all[] = "\xff\xfa\x27\x00\x03TTYHUB_CONSOLE"
	    "\x01vm1\x03TTYHUB_MODE\x01ro,\x02\x01\xff\xf0";
	static const uint8_t notice[] = { IAC, SB, TN_TELOPT_TTYHUB,
	    TN_CTL_NOTICE, 'h', 'i', 0x1b, '\t', 0xff, 0xff, IAC, SE };
	static const uint8_t dont[] = { IAC, DONT, TN_TELOPT_TTYHUB };
	static const uint8_t data[] = { 'a', IAC, IAC, 'b', IAC, 241, 'c' };
	static const uint8_t iacx[] = { 'x', IAC, 'y' };
	struct rec	 r;
	struct peer	*p;
	uint8_t		 big[TNSCAN_SB_MAX + 16];

	p = rec_peer(&r, NULL);
	peer_start(p);
	CHECK(r.nsent == sizeof start && memcmp(r.sent, start,
	    sizeof start) == 0, "opening: %zu bytes", r.nsent);
	CHECK(peer_request(p, TN_CTL_WHO, NULL) == -1, "request before DO");
	r.nsent = 0;
	peer_winsize(p, 100, 30);
	CHECK(r.nsent == 0, "NAWS before DO NAWS");
	peer_recv(p, opening, sizeof opening);
	CHECK(has(&r, naws, sizeof naws), "NAWS after DO");
	CHECK(r.answer == 1 && peer_ctl(p) == 1, "DO TTYHUB-CONTROL");
	peer_winsize(p, 65535, 256);
	CHECK(has(&r, naws2, sizeof naws2), "NAWS with IAC doubled");
	peer_recv(p, ttype_send, sizeof ttype_send);
	CHECK(has(&r, ttype_is, sizeof ttype_is - 1), "TTYPE IS");
	CHECK(r.named == 0, "named before NEW-ENVIRON");
	peer_recv(p, env_send, sizeof env_send);
	CHECK(has(&r, env_is, sizeof env_is - 1) && r.named == 1,
	    "NEW-ENVIRON IS with what was asked");
	peer_recv(p, notice, sizeof notice);
	CHECK(r.nctl == 1 && r.code[0] == TN_CTL_NOTICE &&
	    strcmp(r.text[0], "hi\\x1b\t\\xff") == 0, "notice \"%s\"",
	    r.text[0]);
	r.nsent = 0;
	CHECK(peer_request(p, TN_CTL_REPLAY, "5") == 0, "request");
	CHECK(r.nsent == 7 && memcmp(r.sent, "\xff\xfa\xac\x05" "5\xff\xf0",
	    7) == 0, "request bytes");
	peer_recv(p, data, sizeof data);
	CHECK(r.ndata == 4 && memcmp(r.data, "a\xff" "bc", 4) == 0,
	    "data %zu", r.ndata);
	r.nsent = 0;
	peer_send(p, iacx, sizeof iacx);
	CHECK(r.nsent == 4 && memcmp(r.sent, "x\xff\xffy", 4) == 0,
	    "typed IAC doubled");
	r.nsent = 0;
	peer_break(p);
	CHECK(r.nsent == 2 && r.sent[0] == IAC && r.sent[1] == 243, "BREAK");
	/* An endless subnegotiation fails the connection. */
	big[0] = IAC;
	big[1] = SB;
	big[2] = TN_TELOPT_TTYHUB;
	memset(big + 3, 'x', sizeof big - 3);
	peer_recv(p, big, sizeof big);
	CHECK(strcmp(r.failed, "subnegotiation too long") == 0, "%s",
	    r.failed);
	peer_free(p);

	/* A daemon of protocol 1 refuses the option: told once, no event. */
	p = rec_peer(&r, "ro,\x01");
	peer_start(p);
	peer_recv(p, dont, sizeof dont);
	CHECK(r.answer == 0 && peer_ctl(p) == 0, "DONT");
	CHECK(peer_request(p, TN_CTL_WHO, NULL) == -1, "request refused");
	/* An empty SEND asks for everything; values are ESC-quoted. */
	peer_recv(p, (const uint8_t []){ IAC, DO, 39 }, 3);
	peer_recv(p, env_all, sizeof env_all);
	CHECK(has(&r, env_is_all, sizeof env_is_all - 1), "IS everything");
	/*
	 * A NEW-ENVIRON SEND ended by IAC WILL instead of IAC SE: libtelnet
	 * would drop the WILL and read its option as a command, so the
	 * client's scanner would lose step with it; the connection fails.
	 */
	peer_recv(p, (const uint8_t []){ IAC, SB, 39, 1, IAC, WILL, SB, 24 },
	    8);
	CHECK(strcmp(r.failed, "subnegotiation not ended by IAC SE") == 0,
	    "\"%s\"", r.failed);
	peer_free(p);

	/*
	 * A daemon that keeps reversing itself, and one that starts
	 * compression, are cut off before the client answers for ever or
	 * inflates anything.
	 */
	p = rec_peer(&r, NULL);
	peer_start(p);
	{
		static const uint8_t flip[] = { IAC, WILL, 1, IAC, 252, 1,
		    IAC, DO, 3, IAC, DONT, 3 };
		int	i;

		for (i = 0; i < 300 && r.failed[0] == '\0'; i++) {
			r.nsent = 0;
			peer_recv(p, flip, sizeof flip);
		}
		CHECK(strcmp(r.failed, "more option negotiations than any "
		    "honest peer sends") == 0 && i == 251, "\"%s\" after %d",
		    r.failed, i);
	}
	peer_free(p);
	p = rec_peer(&r, NULL);
	peer_recv(p, (const uint8_t []){ 'a', IAC, SB, 86, IAC, SE, 'b' }, 7);
	CHECK(strcmp(r.failed, "peer started compression unasked") == 0 &&
	    r.ndata == 1, "\"%s\", %zu bytes of data", r.failed, r.ndata);
	peer_free(p);

	/* TERM that is not a terminal name goes as UNKNOWN. */
	CHECK(peer_term_valid("xterm-256color"), "valid");
	CHECK(!peer_term_valid("x\x1b[31m"), "escape");
	CHECK(!peer_term_valid(""), "empty");
}

/*
 * tnc's bulk paths (plain data read between commands, data escaped for
 * sending) against libtelnet byte by byte: a transcript of every event,
 * data and sends each merged, must be the same for random streams from a
 * server cut into random reads, read through tnc_recv and decoded in
 * place, with typed data (CR, 0xff) sent between reads.
 */
struct tr {
	char	buf[1 << 16];
	size_t	len;
	int	last;
};

static void
tr_put(struct tr *t, int kind, const uint8_t *p, size_t n)
{
	if (t->last != kind || (kind != 'D' && kind != 'S')) {
		if (t->len + 2 < sizeof t->buf) {
			t->buf[t->len++] = '\n';
			t->buf[t->len++] = (char)kind;
		}
	}
	t->last = kind;
	if (t->len + n < sizeof t->buf) {
		memcpy(t->buf + t->len, p, n);
		t->len += n;
	}
}

static void
tr_data(void *arg, const uint8_t *buf, size_t len)
{
	tr_put(arg, 'D', buf, len);
}

static void
tr_send(void *arg, const uint8_t *buf, size_t len)
{
	tr_put(arg, 'S', buf, len);
}

static void
tr_sub(void *arg, uint8_t opt, const uint8_t *buf, size_t len)
{
	tr_put(arg, 'B', &opt, 1);
	tr_put(arg, 'b', buf, len);
}

static void
tr_opt(void *arg, uint8_t opt, int on)
{
	uint8_t	b[2] = { opt, (uint8_t)on };

	tr_put(arg, 'O', b, 2);
}

static void
tr_fail(void *arg, const char *why)
{
	tr_put(arg, 'F', (const uint8_t *)why, strlen(why));
}

static const struct tnc_ops tr_ops = {
	.data = tr_data,
	.send = tr_send,
	.sub = tr_sub,
	.opt = tr_opt,
	.fail = tr_fail,
};

static uint32_t	rng_state = 88172645u;

static uint32_t
rng(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return n == 0 ? 0 : rng_state % n;
}

/* One random piece of what a server sends. */
static size_t
gen_piece(uint8_t *b)
{
	static const uint8_t	text[] = "ab\r\n\r\0\r\rxyz \x7f\x01";
	static const uint8_t	opts[] = { 0, 1, 3, 24, 31, 39, 172, 200 };
	size_t			n = 0, i, k;

	switch (rng(10)) {
	case 0:
	case 1:
	case 2:
		for (k = 1 + rng(40), i = 0; i < k; i++) {
			b[n++] = text[rng(sizeof text - 1)];
		}
		break;
	case 3:
		for (k = 1 + rng(40), i = 0; i < k; i++) {
			b[n++] = (uint8_t)rng(255);
		}
		break;
	case 4:
	case 5:
		for (k = 1 + rng(30), i = 0; i < 2 * k; i++) {
			b[n++] = 0xff;
		}
		break;
	case 6:
		b[n++] = 0xff;
		b[n++] = (uint8_t)(241 + rng(9));
		break;
	case 7:
	case 8:
		b[n++] = 0xff;
		b[n++] = (uint8_t)(251 + rng(4));
		b[n++] = opts[rng(sizeof opts)];
		break;
	default:
		/* TTYPE SEND, NEW-ENVIRON SEND, or a TTYHUB-CONTROL message
		 * with a doubled IAC in it; rarely one ended badly. */
		b[n++] = 0xff;
		b[n++] = 250;
		b[n++] = (uint8_t[]){ 24, 39, 172 }[rng(3)];
		b[n++] = 1;
		if (rng(2)) {
			b[n++] = 0xff;
			b[n++] = 0xff;
		}
		b[n++] = 'x';
		b[n++] = 0xff;
		b[n++] = rng(16) == 0 ? 244 : 240;
		break;
	}
	return n;
}

static void
tnc_run(const uint8_t *in, size_t len, const size_t *cuts, size_t ncuts,
    int bytewise, int decode, struct tr *t)
{
	static const uint8_t	 typed[] = { 'a', '\r', 0xff, '\r', '\n',
				    0xff, 0xff, 'b', '\r', '\0' };
	struct tnc		*c;
	uint8_t			 buf[8192];
	size_t			 i, from = 0, to, n;

	memset(t, 0, sizeof *t);
	c = tnc_new(&tr_ops, t, TNC_TTYPE | TNC_ENVIRON | TNC_CTL, "xterm");
	if (c == NULL) {
		exit(1);
	}
	if (bytewise) {
		tnc_bytewise(c);
	}
	tnc_will(c, TNC_OPT_BINARY);
	tnc_do(c, TNC_OPT_BINARY);
	for (i = 0; i <= ncuts; i++) {
		to = i < ncuts ? cuts[i] : len;
		if (to > from) {
			if (decode) {
				memcpy(buf, in + from, to - from);
				n = tnc_decode(c, buf, to - from);
				tr_data(t, buf, n);
			} else {
				tnc_recv(c, in + from, to - from);
			}
			tnc_send(c, typed + i % 4, 1 + i % 6);
		}
		from = to;
	}
	tnc_free(c);
}

static void
test_tnc_bulk(void)
{
	static uint8_t	in[4096];
	static struct tr a, b;
	size_t		cuts[256], ncuts, len, k;
	int		iter, decode, bad = 0;

	for (iter = 0; iter < 3000 && !bad; iter++) {
		for (len = 0, k = 1 + rng(40); k > 0 && len + 64 < sizeof in;
		    k--) {
			len += gen_piece(in + len);
		}
		ncuts = 0;
		for (k = 1 + rng(8); k < len && ncuts < 256;
		    k += iter % 3 == 0 && k < 64 ? 1 : 1 + rng(24)) {
			cuts[ncuts++] = k;
		}
		decode = iter % 2;
		tnc_run(in, len, cuts, ncuts, 0, decode, &a);
		tnc_run(in, len, cuts, ncuts, 1, decode, &b);
		if (a.len != b.len || memcmp(a.buf, b.buf, a.len) != 0) {
			bad = 1;
		}
	}
	CHECK(!bad, "stream %d: bulk and bytewise differ", iter - 1);
}

int
main(void)
{
	test_escape();
	test_clean();
	test_peer();
	test_tnc_bulk();
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
