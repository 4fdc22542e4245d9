/*
 * test-client: table tests of the client's pure parts: the escape
 * machine (escape.c), the cleaning of network bytes (clean.c), and the
 * client's Telnet policy (peer.c) against scripted broker bytes.  Run by
 * test_units.py for each build; prints "N passed, M failed".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/client/clean.h"
#include "../../src/client/escape.h"
#include "../../src/client/peer.h"
#include "../../src/telnet/tn.h"
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

int
main(void)
{
	test_escape();
	test_clean();
	test_peer();
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
