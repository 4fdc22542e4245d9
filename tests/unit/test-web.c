/*
 * test-web: the web console's protocol layer (src/web/) on plain bytes.
 * RFC 6455's own examples (the handshake key of 1.3 and the frames of
 * 5.7), then WebSocket conversations, each fed whole, a byte at a time
 * and split in two at every offset, which must all give one transcript:
 * fragmentation, control frames between fragments, close codes, the
 * caps, bad UTF-8, unmasked frames.  Then HTTP requests (what is read,
 * what is refused with which status, each also split at every offset),
 * the handshake's checks, responses, and the control messages.  Ends with
 * "N passed, N failed", as test-tn does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/web/http.h"
#include "../../src/web/httpres.h"
#include "../../src/web/utf8.h"
#include "../../src/web/webmsg.h"
#include "../../src/web/ws.h"
#include "../../src/web/wsopen.h"
#include "tcheck.h"

/* A growing byte string. */
struct str {
	char	*p;
	size_t	 len, cap;
};

static void
str_add(struct str *s, const void *p, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		s->p = realloc(s->p, s->cap);
		if (s->p == NULL) {
			abort();
		}
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
}

static void
str_addf(struct str *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
str_addf(struct str *s, const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	str_add(s, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void
str_hex(struct str *s, const uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		str_addf(s, "%02x", p[i]);
	}
}

static void
str_free(struct str *s)
{
	free(s->p);
	memset(s, 0, sizeof(*s));
}

/* ---- UTF-8 ---- */

static void
test_utf8(void)
{
	static const struct {
		const char	*what;
		const char	*s;
		size_t		 len;
		int		 valid;
	} cases[] = {
		{ "ASCII", "hello", 5, 1 },
		{ "empty", "", 0, 1 },
		{ "NUL is a character", "a\0b", 3, 1 },
		{ "kosme (Markus Kuhn's test)", "\xce\xba\xe1\xbd\xb9\xcf\x83"
		    "\xce\xbc\xce\xb5", 11, 1 },
		{ "U+0080", "\xc2\x80", 2, 1 },
		{ "U+07FF", "\xdf\xbf", 2, 1 },
		{ "U+0800", "\xe0\xa0\x80", 3, 1 },
		{ "U+D7FF", "\xed\x9f\xbf", 3, 1 },
		{ "U+E000", "\xee\x80\x80", 3, 1 },
		{ "U+FFFF", "\xef\xbf\xbf", 3, 1 },
		{ "U+10000", "\xf0\x90\x80\x80", 4, 1 },
		{ "U+10FFFF", "\xf4\x8f\xbf\xbf", 4, 1 },
		{ "overlong NUL C0 80", "\xc0\x80", 2, 0 },
		{ "overlong C1 BF", "\xc1\xbf", 2, 0 },
		{ "overlong E0 9F BF", "\xe0\x9f\xbf", 3, 0 },
		{ "overlong F0 8F BF BF", "\xf0\x8f\xbf\xbf", 4, 0 },
		{ "surrogate U+D800", "\xed\xa0\x80", 3, 0 },
		{ "surrogate U+DFFF", "\xed\xbf\xbf", 3, 0 },
		{ "U+110000", "\xf4\x90\x80\x80", 4, 0 },
		{ "F5", "\xf5\x80\x80\x80", 4, 0 },
		{ "FF", "\xff", 1, 0 },
		{ "lone continuation", "\x80", 1, 0 },
		{ "cut after lead", "a\xe2\x82", 3, 0 },
		{ "lead then ASCII", "\xe2" "a", 2, 0 },
	};
	struct utf8	u;
	size_t		i, k, n, bad;
	int		same;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = cases[i].len;
		tcheck(utf8_valid((const uint8_t *)cases[i].s, n) ==
		    cases[i].valid, "utf8: %s", cases[i].what);
		/* A byte at a time: the same answer. */
		memset(&u, 0, sizeof(u));
		bad = 0;
		for (k = 0; k < n && !bad; k++) {
			bad = utf8_feed(&u, (const uint8_t *)cases[i].s + k,
			    1) != 1;
		}
		same = (!bad && utf8_complete(&u)) == cases[i].valid;
		tcheck(same, "utf8: %s, a byte at a time", cases[i].what);
	}
	/* The offset of the first bad byte. */
	memset(&u, 0, sizeof(u));
	tcheck(utf8_feed(&u, (const uint8_t *)"ab\xc3\xa9\xc3z", 6) == 5,
	    "utf8: the first bad byte's offset");
}

/* ---- WebSocket frames ---- */

struct wsrun {
	struct ws	ws;
	struct str	tr;	/* the transcript */
	struct str	bin;	/* binary bytes not yet written down */
	int		reply;	/* answer text messages with ws_send */
};

static void
wsrun_flush(struct wsrun *r)
{
	if (r->bin.len > 0) {
		str_add(&r->tr, "B:", 2);
		str_hex(&r->tr, (const uint8_t *)r->bin.p, r->bin.len);
		str_add(&r->tr, "\n", 1);
		r->bin.len = 0;
	}
}

static void
on_binary(void *arg, const uint8_t *buf, size_t len)
{
	struct wsrun	*r = arg;

	if (len == 0) {
		str_add(&r->tr, "EMPTY-BINARY-CALL\n", 18);
	}
	str_add(&r->bin, buf, len);
}

static void
on_text(void *arg, const uint8_t *buf, size_t len)
{
	struct wsrun	*r = arg;

	wsrun_flush(r);
	str_add(&r->tr, "T:", 2);
	str_add(&r->tr, buf, len);
	str_add(&r->tr, "\n", 1);
	if (r->reply) {
		ws_send(&r->ws, WS_OP_TEXT, buf, len);
	}
}

static void
on_send(void *arg, const uint8_t *buf, size_t len)
{
	struct wsrun	*r = arg;

	wsrun_flush(r);
	str_add(&r->tr, "S:", 2);
	str_hex(&r->tr, buf, len);
	str_add(&r->tr, "\n", 1);
}

static void
on_pong(void *arg, const uint8_t *buf, size_t len)
{
	struct wsrun	*r = arg;

	wsrun_flush(r);
	str_addf(&r->tr, "P:%.*s\n", (int)len, (const char *)buf);
}

static void
on_closed(void *arg, unsigned code, const uint8_t *reason, size_t len)
{
	struct wsrun	*r = arg;

	wsrun_flush(r);
	str_addf(&r->tr, "C:%u:%.*s\n", code, (int)len,
	    (const char *)reason);
}

static void
on_fail(void *arg, unsigned code, const char *why)
{
	struct wsrun	*r = arg;

	wsrun_flush(r);
	str_addf(&r->tr, "F:%u:%s\n", code, why);
}

static const struct ws_ops	wsrun_ops = {
	on_binary, on_text, on_send, on_pong, on_closed, on_fail,
};

/* A client frame: masked with key unless key is NULL. */
static void
frame(struct str *s, int fin, int rsv, int op, const void *payload,
    size_t len, const uint8_t *key)
{
	uint8_t		 hdr[WS_HEADER_MAX];
	const uint8_t	*p = payload;
	size_t		 n, i;
	uint8_t		 c;

	n = ws_header(hdr, (enum ws_op)op, fin, len);
	hdr[0] |= (uint8_t)(rsv << 4);
	if (key != NULL) {
		hdr[1] |= 0x80;
		memcpy(hdr + n, key, 4);
		n += 4;
	}
	str_add(s, hdr, n);
	for (i = 0; i < len; i++) {
		c = p[i];
		if (key != NULL) {
			c ^= key[i & 3];
		}
		str_add(s, &c, 1);
	}
}

static const uint8_t	KEY[4] = { 0x37, 0xfa, 0x21, 0x3d };

#define MFRAME(s, fin, op, str, len) frame(s, fin, 0, op, str, len, KEY)

/*
 * Feed in to a new connection in pieces: split 0 is one read, -1 a byte
 * at a time, n > 0 two reads cut at n.  Returns the transcript.
 */
static void
ws_run(const struct str *in, long split, uint64_t max_binary, int reply,
    struct str *out)
{
	struct wsrun	r;
	uint8_t		*copy;
	size_t		 i;

	memset(&r, 0, sizeof(r));
	r.reply = reply;
	ws_init(&r.ws, &wsrun_ops, &r, max_binary);
	copy = malloc(in->len + 1);
	if (copy == NULL) {
		abort();
	}
	memcpy(copy, in->p, in->len);
	if (split == 0) {
		ws_recv(&r.ws, copy, in->len);
	} else if (split < 0) {
		for (i = 0; i < in->len; i++) {
			ws_recv(&r.ws, copy + i, 1);
		}
	} else {
		ws_recv(&r.ws, copy, (size_t)split);
		ws_recv(&r.ws, copy + split, in->len - (size_t)split);
	}
	wsrun_flush(&r);
	if (ws_done(&r.ws)) {
		str_add(&r.tr, "done\n", 5);
	}
	free(copy);
	str_free(&r.bin);
	*out = r.tr;
}

/*
 * Run a conversation whole, a byte at a time and split at every offset:
 * all must equal want.
 */
static void
ws_expect(const char *what, const struct str *in, uint64_t max_binary,
    const char *want)
{
	struct str	got;
	long		split;
	int		same = 1;

	ws_run(in, 0, max_binary, 0, &got);
	if (strcmp(got.p == NULL ? "" : got.p, want) != 0) {
		printf("# got:\n%.300s# want:\n%.300s",
		    got.p == NULL ? "" : got.p, want);
		tcheck(0, "ws: %s", what);
	} else {
		tcheck(1, "ws: %s", what);
	}
	str_free(&got);
	for (split = -1; split < (long)in->len; split++) {
		if (split == 0) {
			continue;
		}
		ws_run(in, split, max_binary, 0, &got);
		if (strcmp(got.p == NULL ? "" : got.p, want) != 0) {
			if (same) {
				printf("# split %ld:\n%.300s", split,
				    got.p == NULL ? "" : got.p);
			}
			same = 0;
		}
		str_free(&got);
	}
	tcheck(same, "ws: %s, the same at every split", what);
}

static void
test_ws_rfc_examples(void)
{
	uint8_t		 hdr[WS_HEADER_MAX];
	struct str	 in = { 0 };
	static const uint8_t masked_hello[] = {
		0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51,
		0x58,
	};
	static const uint8_t masked_pong[] = {
		0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51,
		0x58,
	};
	static const uint8_t unmasked_hello[] = {
		0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f,
	};
	size_t		 n;

	/* 5.7: a single-frame masked text message. */
	str_add(&in, masked_hello, sizeof(masked_hello));
	ws_expect("RFC 6455 5.7, single-frame masked text", &in,
	    WS_BINARY_MAX, "T:Hello\n");
	str_free(&in);

	/* The same unmasked: a server must fail it (5.1). */
	str_add(&in, unmasked_hello, sizeof(unmasked_hello));
	ws_expect("RFC 6455 5.7, single-frame unmasked text from a client",
	    &in, WS_BINARY_MAX, "S:880203ea\nF:1002:frame not masked\ndone\n");
	str_free(&in);

	/* 5.7: a masked pong (the answer to "Hello" pinged). */
	str_add(&in, masked_pong, sizeof(masked_pong));
	ws_expect("RFC 6455 5.7, masked pong", &in, WS_BINARY_MAX,
	    "P:Hello\n");
	str_free(&in);

	/* 5.7: the fragmented text, masked, with the RFC's bytes. */
	MFRAME(&in, 0, WS_OP_TEXT, "Hel", 3);
	MFRAME(&in, 1, WS_OP_CONT, "lo", 2);
	ws_expect("RFC 6455 5.7, fragmented text", &in, WS_BINARY_MAX,
	    "T:Hello\n");
	str_free(&in);

	/* Our (server, unmasked) headers are the RFC's. */
	n = ws_header(hdr, WS_OP_TEXT, 1, 5);
	tcheck(n == 2 && hdr[0] == 0x81 && hdr[1] == 0x05,
	    "ws_header: 5.7 single-frame unmasked text");
	n = ws_header(hdr, WS_OP_TEXT, 0, 3);
	tcheck(n == 2 && hdr[0] == 0x01 && hdr[1] == 0x03,
	    "ws_header: 5.7 first fragment");
	n = ws_header(hdr, WS_OP_CONT, 1, 2);
	tcheck(n == 2 && hdr[0] == 0x80 && hdr[1] == 0x02,
	    "ws_header: 5.7 last fragment");
	n = ws_header(hdr, WS_OP_PING, 1, 5);
	tcheck(n == 2 && hdr[0] == 0x89 && hdr[1] == 0x05,
	    "ws_header: 5.7 unmasked ping");
	n = ws_header(hdr, WS_OP_BINARY, 1, 256);
	tcheck(n == 4 && memcmp(hdr, "\x82\x7e\x01\x00", 4) == 0,
	    "ws_header: 5.7 256 bytes binary");
	n = ws_header(hdr, WS_OP_BINARY, 1, 65536);
	tcheck(n == 10 && memcmp(hdr,
	    "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10) == 0,
	    "ws_header: 5.7 64 KiB binary");
	n = ws_header(hdr, WS_OP_BINARY, 1, 125);
	tcheck(n == 2 && hdr[1] == 125, "ws_header: 125 in 7 bits");
	n = ws_header(hdr, WS_OP_BINARY, 1, 126);
	tcheck(n == 4 && hdr[1] == 126 && hdr[3] == 126,
	    "ws_header: 126 in 16 bits");
	n = ws_header(hdr, WS_OP_BINARY, 1, 65535);
	tcheck(n == 4 && hdr[2] == 0xff && hdr[3] == 0xff,
	    "ws_header: 65535 in 16 bits");
}

static void
test_ws_conversations(void)
{
	struct str	 in = { 0 }, want = { 0 };
	uint8_t		 big[70000], close[130];
	size_t		 i;
	static const struct {
		unsigned	code;
		int		ok;
	} codes[] = {
		{ 0, 0 }, { 999, 0 }, { 1000, 1 }, { 1001, 1 }, { 1002, 1 },
		{ 1003, 1 }, { 1004, 0 }, { 1005, 0 }, { 1006, 0 },
		{ 1007, 1 }, { 1008, 1 }, { 1009, 1 }, { 1010, 1 },
		{ 1011, 1 }, { 1014, 1 }, { 1015, 0 }, { 1016, 0 },
		{ 2999, 0 }, { 3000, 1 }, { 4999, 1 }, { 5000, 0 },
		{ 65535, 0 },
	};

	for (i = 0; i < sizeof(big); i++) {
		big[i] = (uint8_t)(i * 7 + 3);
	}

	/* Binary: every byte value, over a 16-bit length. */
	MFRAME(&in, 1, WS_OP_BINARY, big, 256);
	str_add(&want, "B:", 2);
	str_hex(&want, big, 256);
	str_add(&want, "\n", 1);
	ws_expect("binary of 256 bytes", &in, WS_BINARY_MAX, want.p);
	str_free(&in);
	str_free(&want);

	/* Fragmented binary with a ping and a pong between fragments. */
	MFRAME(&in, 0, WS_OP_BINARY, "ab", 2);
	MFRAME(&in, 1, WS_OP_PING, "p1", 2);
	MFRAME(&in, 0, WS_OP_CONT, "", 0);
	MFRAME(&in, 1, WS_OP_PONG, "q", 1);
	MFRAME(&in, 1, WS_OP_CONT, "cd", 2);
	ws_expect("fragmented binary, control frames between", &in,
	    WS_BINARY_MAX, "B:6162\nS:8a027031\nP:q\nB:6364\n");
	str_free(&in);

	/* Fragmented text, a character cut between fragments, a ping. */
	MFRAME(&in, 0, WS_OP_TEXT, "caf\xc3", 4);
	MFRAME(&in, 1, WS_OP_PING, "", 0);
	MFRAME(&in, 1, WS_OP_CONT, "\xa9!", 2);
	MFRAME(&in, 1, WS_OP_TEXT, "", 0);
	ws_expect("fragmented text, a character across fragments", &in,
	    WS_BINARY_MAX, "S:8a00\nT:caf\xc3\xa9!\nT:\n");
	str_free(&in);

	/* Non-minimal lengths are read. */
	frame(&in, 1, 0, WS_OP_TEXT, NULL, 0, NULL);
	in.len = 0;
	str_add(&in, "\x81\xfe\x00\x02", 4);
	str_add(&in, KEY, 4);
	str_add(&in, "\x5f\x93", 2);		/* "hi" masked */
	ws_expect("text with a 16-bit length of 2", &in, WS_BINARY_MAX,
	    "T:hi\n");
	str_free(&in);

	/* Close handshakes. */
	MFRAME(&in, 1, WS_OP_CLOSE, "\x03\xe8" "bye", 5);
	MFRAME(&in, 1, WS_OP_TEXT, "after", 5);
	ws_expect("close 1000 with a reason, then nothing", &in,
	    WS_BINARY_MAX, "S:880203e8\nC:1000:bye\ndone\n");
	str_free(&in);

	MFRAME(&in, 1, WS_OP_CLOSE, "", 0);
	ws_expect("close without a code", &in, WS_BINARY_MAX,
	    "S:8800\nC:1005:\ndone\n");
	str_free(&in);

	MFRAME(&in, 1, WS_OP_CLOSE, "\x03", 1);
	ws_expect("close of one byte", &in, WS_BINARY_MAX,
	    "S:880203ea\nF:1002:close frame of one byte\ndone\n");
	str_free(&in);

	MFRAME(&in, 1, WS_OP_CLOSE, "\x03\xe8\xff", 3);
	ws_expect("close reason not UTF-8", &in, WS_BINARY_MAX,
	    "S:880203ef\nF:1007:close reason not UTF-8\ndone\n");
	str_free(&in);

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		char	w[128];

		close[0] = (uint8_t)(codes[i].code >> 8);
		close[1] = (uint8_t)codes[i].code;
		MFRAME(&in, 1, WS_OP_CLOSE, close, 2);
		if (codes[i].ok) {
			snprintf(w, sizeof(w), "S:8802%04x\nC:%u:\ndone\n",
			    codes[i].code, codes[i].code);
		} else {
			snprintf(w, sizeof(w), "S:880203ea\n"
			    "F:1002:invalid close code\ndone\n");
		}
		tcheck(ws_close_code_valid(codes[i].code) == codes[i].ok,
		    "ws_close_code_valid(%u)", codes[i].code);
		{
			struct str	got;

			ws_run(&in, 0, WS_BINARY_MAX, 0, &got);
			tcheck(strcmp(got.p, w) == 0, "ws: close code %u %s",
			    codes[i].code, codes[i].ok ? "echoed" :
			    "refused");
			str_free(&got);
		}
		str_free(&in);
	}

	/* Protocol errors. */
	frame(&in, 1, 4, WS_OP_TEXT, "x", 1, KEY);
	ws_expect("RSV1 set", &in, WS_BINARY_MAX,
	    "S:880203ea\nF:1002:reserved bits set\ndone\n");
	str_free(&in);

	for (i = 3; i < 16; i++) {
		struct str	got;

		if (i >= 8 && i <= 10) {
			continue;
		}
		frame(&in, 1, 0, (int)i, "", 0, KEY);
		ws_run(&in, 0, WS_BINARY_MAX, 0, &got);
		tcheck(strcmp(got.p, "S:880203ea\nF:1002:reserved opcode\n"
		    "done\n") == 0, "ws: opcode %zu refused", i);
		str_free(&got);
		str_free(&in);
	}

	memset(close, 'p', sizeof(close));
	MFRAME(&in, 1, WS_OP_PING, close, 125);
	str_add(&want, "S:897d", 6);
	str_hex(&want, close, 125);
	str_add(&want, "\n", 1);
	want.p[2] = '8';
	want.p[3] = 'a';
	ws_expect("ping of 125 bytes is answered", &in, WS_BINARY_MAX,
	    want.p);
	str_free(&want);
	str_free(&in);

	MFRAME(&in, 1, WS_OP_PING, close, 126);
	ws_expect("ping of 126 bytes", &in, WS_BINARY_MAX,
	    "S:880203ea\nF:1002:control frame over 125 bytes\ndone\n");
	str_free(&in);

	MFRAME(&in, 0, WS_OP_PING, "x", 1);
	ws_expect("fragmented ping", &in, WS_BINARY_MAX,
	    "S:880203ea\nF:1002:fragmented control frame\ndone\n");
	str_free(&in);

	MFRAME(&in, 1, WS_OP_CONT, "x", 1);
	ws_expect("continuation first", &in, WS_BINARY_MAX,
	    "S:880203ea\nF:1002:continuation outside a message\ndone\n");
	str_free(&in);

	MFRAME(&in, 0, WS_OP_TEXT, "a", 1);
	MFRAME(&in, 1, WS_OP_BINARY, "b", 1);
	ws_expect("a message inside a message", &in, WS_BINARY_MAX,
	    "S:880203ea\nF:1002:new message inside a message\ndone\n");
	str_free(&in);

	str_add(&in, "\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00", 10);
	str_add(&in, KEY, 4);
	ws_expect("length over 2^63", &in, UINT64_MAX,
	    "S:880203ea\nF:1002:payload length over 2^63\ndone\n");
	str_free(&in);

	/* UTF-8: refused at the first bad byte, before the frame ends. */
	MFRAME(&in, 1, WS_OP_TEXT, "ok\xff and more", 12);
	in.len -= 9;
	ws_expect("text not UTF-8, fail fast", &in, WS_BINARY_MAX,
	    "S:880203ef\nF:1007:text message not UTF-8\ndone\n");
	str_free(&in);

	MFRAME(&in, 0, WS_OP_TEXT, "\xed", 1);
	MFRAME(&in, 1, WS_OP_CONT, "\xa0\x80", 2);
	ws_expect("a surrogate across fragments", &in, WS_BINARY_MAX,
	    "S:880203ef\nF:1007:text message not UTF-8\ndone\n");
	str_free(&in);

	MFRAME(&in, 1, WS_OP_TEXT, "ab\xe2\x82", 4);
	ws_expect("text ends inside a character", &in, WS_BINARY_MAX,
	    "S:880203ef\nF:1007:text message ends inside a character\n"
	    "done\n");
	str_free(&in);

	/* Caps. */
	memset(big, 'a', sizeof(big));
	MFRAME(&in, 1, WS_OP_TEXT, big, WS_TEXT_MAX);
	str_add(&want, "T:", 2);
	str_add(&want, big, WS_TEXT_MAX);
	str_add(&want, "\n", 1);
	ws_expect("text of WS_TEXT_MAX bytes", &in, WS_BINARY_MAX, want.p);
	str_free(&want);
	str_free(&in);

	MFRAME(&in, 1, WS_OP_TEXT, big, WS_TEXT_MAX + 1);
	in.len = 8;	/* refused on its header */
	ws_expect("text of WS_TEXT_MAX + 1 bytes", &in, WS_BINARY_MAX,
	    "S:880203f1\nF:1009:text message too long\ndone\n");
	str_free(&in);

	MFRAME(&in, 0, WS_OP_TEXT, big, 4000);
	MFRAME(&in, 1, WS_OP_CONT, big, 97);
	ws_expect("text over the cap in two fragments", &in, WS_BINARY_MAX,
	    "S:880203f1\nF:1009:text message too long\ndone\n");
	str_free(&in);

	MFRAME(&in, 0, WS_OP_BINARY, big, 60);
	MFRAME(&in, 1, WS_OP_CONT, big, 40);
	str_add(&want, "B:", 2);
	str_hex(&want, big, 100);
	str_add(&want, "\n", 1);
	ws_expect("binary at its cap of 100", &in, 100, want.p);
	str_free(&in);

	MFRAME(&in, 0, WS_OP_BINARY, big, 60);
	MFRAME(&in, 1, WS_OP_CONT, big, 41);
	want.len = 0;
	str_add(&want, "B:", 2);
	str_hex(&want, big, 60);
	str_addf(&want, "\nS:880203f1\nF:1009:binary message too long\n"
	    "done\n");
	ws_expect("binary over its cap of 100", &in, 100, want.p);
	str_free(&want);
	str_free(&in);

	MFRAME(&in, 1, WS_OP_BINARY, big, 65536);
	str_add(&want, "B:", 2);
	str_hex(&want, big, 65536);
	str_add(&want, "\n", 1);
	{
		struct str	got;

		ws_run(&in, 0, WS_BINARY_MAX, 0, &got);
		tcheck(strcmp(got.p, want.p) == 0, "ws: binary of 64 KiB");
		str_free(&got);
		ws_run(&in, 30001, WS_BINARY_MAX, 0, &got);
		tcheck(strcmp(got.p, want.p) == 0,
		    "ws: binary of 64 KiB in two reads");
		str_free(&got);
	}
	str_free(&want);
	str_free(&in);
}

static void
test_ws_sending(void)
{
	struct wsrun	r;
	struct str	in = { 0 };
	static const char long_reason[] = "0123456789012345678901234567890"
	    "1234567890123456789012345678901234567890123456789012345678901"
	    "234567890123456789012345678901\xc3\xa9";

	memset(&r, 0, sizeof(r));
	ws_init(&r.ws, &wsrun_ops, &r, WS_BINARY_MAX);
	tcheck(ws_send(&r.ws, WS_OP_TEXT, (const uint8_t *)"hi", 2) == 0 &&
	    strcmp(r.tr.p, "S:81026869\n") == 0, "ws_send: text");
	tcheck(ws_send(&r.ws, WS_OP_TEXT, (const uint8_t *)"\xff", 1) == -1,
	    "ws_send: text not UTF-8 refused");
	tcheck(ws_send(&r.ws, WS_OP_CLOSE, (const uint8_t *)"", 0) == -1,
	    "ws_send: close is ws_close's");
	tcheck(ws_send(&r.ws, WS_OP_PING, (const uint8_t *)long_reason,
	    126) == -1, "ws_send: ping over 125 refused");
	r.tr.len = 0;
	ws_close(&r.ws, 4000, long_reason);
	/* 123 bytes of reason cut before the 2-byte character at 122. */
	tcheck(ws_close_sent(&r.ws) && r.tr.len == 2 + 2 * (2 + 2 + 122) + 1,
	    "ws_close: the reason cut at a character boundary (%zu)",
	    r.tr.len);
	tcheck(ws_send(&r.ws, WS_OP_TEXT, (const uint8_t *)"hi", 2) == -1,
	    "ws_send: nothing after our close");

	/* After our close: data dropped, ping not answered, close ends. */
	r.tr.len = 0;
	MFRAME(&in, 1, WS_OP_TEXT, "late", 4);
	MFRAME(&in, 1, WS_OP_BINARY, "late", 4);
	MFRAME(&in, 1, WS_OP_PING, "late", 4);
	MFRAME(&in, 1, WS_OP_CLOSE, "\x0f\xa0", 2);
	ws_recv(&r.ws, (uint8_t *)in.p, in.len);
	tcheck(r.tr.p != NULL && strcmp(r.tr.p, "C:4000:\n") == 0 &&
	    ws_done(&r.ws), "ws: after our close only the peer's close");
	str_free(&in);
	str_free(&r.tr);

	/* A text callback that answers from inside it. */
	memset(&r, 0, sizeof(r));
	r.reply = 1;
	ws_init(&r.ws, &wsrun_ops, &r, WS_BINARY_MAX);
	MFRAME(&in, 1, WS_OP_TEXT, "ping x", 6);
	ws_recv(&r.ws, (uint8_t *)in.p, in.len);
	tcheck(strcmp(r.tr.p, "T:ping x\nS:810670696e672078\n") == 0,
	    "ws: ws_send from inside the text callback");
	str_free(&in);
	str_free(&r.tr);
}

/* ---- HTTP requests ---- */

/* What a parse gave, as text, for comparisons. */
static void
http_digest(const struct http_req *req, size_t used, struct str *s)
{
	size_t	i;

	str_addf(s, "used %zu state %d", used, (int)http_state(req));
	if (http_state(req) == HTTP_FAIL) {
		str_addf(s, " status %d why %s", req->status, req->why);
		return;
	}
	if (http_state(req) != HTTP_DONE) {
		return;
	}
	str_addf(s, " method %d %s minor %d path %s query %s host %s "
	    "origin %s conn %u ws %d len %d/%zu body %.*s", (int)req->method,
	    req->method_name, req->minor, req->path,
	    req->query ? req->query : "-", req->host ? req->host : "-",
	    req->origin ? req->origin : "-", req->conn, req->upgrade_ws,
	    req->has_length, req->body_len, (int)req->body_len,
	    (const char *)req->body);
	for (i = 0; i < req->nfields; i++) {
		str_addf(s, " [%s=%s]", req->fields[i].name,
		    req->fields[i].value);
	}
}

static struct http_req	hreq;

/* Parse in: whole, a byte at a time, in two at every offset; digest. */
static int
http_parse(const char *in, size_t len, struct str *digest)
{
	struct str	d = { 0 };
	size_t		used, i, cut;
	int		same = 1;

	http_init(&hreq);
	used = http_feed(&hreq, (const uint8_t *)in, len);
	http_digest(&hreq, used, digest);

	http_init(&hreq);
	for (used = 0, i = 0; i < len; i++) {
		used += http_feed(&hreq, (const uint8_t *)in + i, 1);
	}
	http_digest(&hreq, used, &d);
	same = strcmp(d.p, digest->p) == 0;
	str_free(&d);
	for (cut = 1; cut < len && same; cut++) {
		http_init(&hreq);
		used = http_feed(&hreq, (const uint8_t *)in, cut);
		if (used == cut) {
			used += http_feed(&hreq, (const uint8_t *)in + cut,
			    len - cut);
		}
		http_digest(&hreq, used, &d);
		if (strcmp(d.p, digest->p) != 0) {
			printf("# cut %zu: %s\n", cut, d.p);
			same = 0;
		}
		str_free(&d);
	}
	/* Leave hreq as the whole parse left it. */
	http_init(&hreq);
	http_feed(&hreq, (const uint8_t *)in, len);
	return same;
}

#define CHROME_UPGRADE \
	"GET /ws/vm1 HTTP/1.1\r\n" \
	"Host: 127.0.0.1:8080\r\n" \
	"Connection: Upgrade\r\n" \
	"Pragma: no-cache\r\n" \
	"Cache-Control: no-cache\r\n" \
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0\r\n" \
	"Upgrade: websocket\r\n" \
	"Origin: http://127.0.0.1:8080\r\n" \
	"Sec-WebSocket-Version: 13\r\n" \
	"Accept-Encoding: gzip, deflate, br\r\n" \
	"Accept-Language: en-US,en;q=0.9\r\n" \
	"Cookie: theme=dark; ttyhub=0123abcd; other=x\r\n" \
	"Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n" \
	"Sec-WebSocket-Extensions: permessage-deflate; " \
	"client_max_window_bits\r\n" \
	"Sec-WebSocket-Protocol: ttyhub\r\n" \
	"\r\n"

static void
test_http_requests(void)
{
	struct str	 d = { 0 };
	const char	*v;
	size_t		 n;
	char		 big[HTTP_HEAD_MAX + 100];
	static const struct {
		const char	*what;
		const char	*in;
		int		 state;
		int		 status;
	} cases[] = {
		{ "minimal 1.1", "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		    HTTP_DONE, 0 },
		{ "1.0 without Host", "GET / HTTP/1.0\r\n\r\n", HTTP_DONE, 0 },
		{ "HTTP/1.2 is read as 1.1",
		    "GET / HTTP/1.2\r\nHost: a\r\n\r\n", HTTP_DONE, 0 },
		{ "empty lines before the request",
		    "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_DONE, 0 },
		{ "incomplete", "GET / HTTP/1.1\r\nHost: a\r\n", HTTP_MORE,
		    0 },
		{ "bare LF", "GET / HTTP/1.1\nHost: a\n\n", HTTP_FAIL, 400 },
		{ "bare CR", "GET / HTTP/1.1\rHost: a\r\n\r\n", HTTP_FAIL,
		    400 },
		{ "folded field", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n"
		    "\r\n", HTTP_FAIL, 400 },
		{ "space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
		    HTTP_FAIL, 400 },
		{ "no colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", HTTP_FAIL,
		    400 },
		{ "empty field name", "GET / HTTP/1.1\r\n: a\r\n\r\n",
		    HTTP_FAIL, 400 },
		{ "no Host in 1.1", "GET / HTTP/1.1\r\n\r\n", HTTP_FAIL, 400 },
		{ "two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n",
		    HTTP_FAIL, 400 },
		{ "bad Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
		    HTTP_FAIL, 400 },
		{ "Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n",
		    HTTP_FAIL, 400 },
		{ "Host port too big",
		    "GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", HTTP_FAIL, 400 },
		{ "Host empty port", "GET / HTTP/1.1\r\nHost: a:\r\n\r\n",
		    HTTP_FAIL, 400 },
		{ "Host IPv6", "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
		    HTTP_DONE, 0 },
		{ "two Origins", "GET / HTTP/1.1\r\nHost: a\r\nOrigin: http://a"
		    "\r\nOrigin: http://b\r\n\r\n", HTTP_FAIL, 400 },
		{ "two WebSocket keys", "GET / HTTP/1.1\r\nHost: a\r\n"
		    "Sec-WebSocket-Key: a\r\nsec-websocket-key: a\r\n\r\n",
		    HTTP_FAIL, 400 },
		{ "Content-Length +1", "POST / HTTP/1.1\r\nHost: a\r\n"
		    "Content-Length: +1\r\n\r\nx", HTTP_FAIL, 400 },
		{ "Content-Length empty", "POST / HTTP/1.1\r\nHost: a\r\n"
		    "Content-Length:\r\n\r\n", HTTP_FAIL, 400 },
		{ "Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\n"
		    "Content-Length: 1, 1\r\n\r\nx", HTTP_FAIL, 400 },
		{ "Content-Length twice, differently", "POST / HTTP/1.1\r\n"
		    "Host: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
		    "xx", HTTP_FAIL, 400 },
		{ "Content-Length twice, the same", "POST / HTTP/1.1\r\n"
		    "Host: a\r\nContent-Length: 1\r\nContent-Length: 01\r\n\r\n"
		    "x", HTTP_DONE, 0 },
		{ "Content-Length over the cap", "POST / HTTP/1.1\r\nHost: a\r\n"
		    "Content-Length: 4097\r\n\r\n", HTTP_FAIL, 413 },
		{ "Content-Length of 30 digits", "POST / HTTP/1.1\r\nHost: a\r\n"
		    "Content-Length: 999999999999999999999999999999\r\n\r\n",
		    HTTP_FAIL, 413 },
		{ "Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", HTTP_FAIL,
		    501 },
		{ "HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", HTTP_FAIL, 505 },
		{ "HTTP/0.9", "GET /\r\n\r\n", HTTP_FAIL, 400 },
		{ "lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n",
		    HTTP_FAIL, 400 },
		{ "two spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
		    HTTP_FAIL, 400 },
		{ "TAB in target", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n",
		    HTTP_FAIL, 400 },
		{ "byte 0x80 in target", "GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n",
		    HTTP_FAIL, 400 },
		{ "fragment in target", "GET /#x HTTP/1.1\r\nHost: a\r\n\r\n",
		    HTTP_FAIL, 400 },
		{ "asterisk form", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
		    HTTP_FAIL, 400 },
		{ "authority form", "CONNECT a:80 HTTP/1.1\r\nHost: a\r\n\r\n",
		    HTTP_FAIL, 400 },
		{ "bad method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_FAIL,
		    400 },
		{ "control byte in a value", "GET / HTTP/1.1\r\nHost: a\r\n"
		    "X: a\x01" "b\r\n\r\n", HTTP_FAIL, 400 },
		{ "DEL in a value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n"
		    "\r\n", HTTP_FAIL, 400 },
		{ "obs-text in a value", "GET / HTTP/1.1\r\nHost: a\r\n"
		    "X: caf\xc3\xa9\r\n\r\n", HTTP_DONE, 0 },
		{ "absolute form", "GET http://example.org:81/p?q HTTP/1.1\r\n"
		    "Host: other\r\n\r\n", HTTP_DONE, 0 },
		{ "absolute form, bad authority", "GET http://a b/ HTTP/1.1\r\n"
		    "Host: a\r\n\r\n", HTTP_FAIL, 400 },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int	same;

		d.len = 0;
		same = http_parse(cases[i].in, strlen(cases[i].in), &d);
		tcheck(same, "http: %s: the same at every split", cases[i].what);
		tcheck((int)http_state(&hreq) == cases[i].state &&
		    (cases[i].state != HTTP_FAIL ||
		    hreq.status == cases[i].status), "http: %s: %s",
		    cases[i].what, d.p);
	}
	str_free(&d);

	/* What a browser's upgrade request gives. */
	tcheck(http_parse(CHROME_UPGRADE, strlen(CHROME_UPGRADE), &d),
	    "http: Chrome's upgrade, the same at every split");
	tcheck(http_state(&hreq) == HTTP_DONE &&
	    hreq.method == HTTP_GET && strcmp(hreq.path, "/ws/vm1") == 0 &&
	    hreq.query == NULL && strcmp(hreq.host, "127.0.0.1:8080") == 0 &&
	    strcmp(hreq.origin, "http://127.0.0.1:8080") == 0 &&
	    hreq.conn == HTTP_CONN_UPGRADE && hreq.upgrade_ws &&
	    hreq.nfields == 14 && http_keep_alive(&hreq),
	    "http: Chrome's upgrade: %s", d.p);
	v = http_cookie(&hreq, "ttyhub", &n);
	tcheck(v != NULL && n == 8 && memcmp(v, "0123abcd", 8) == 0,
	    "http_cookie: the session cookie");
	tcheck(http_cookie(&hreq, "ttyhu", &n) == NULL &&
	    http_cookie(&hreq, "TTYHUB", &n) == NULL,
	    "http_cookie: names are whole and keep their case");
	tcheck(http_has_token(&hreq, "sec-websocket-protocol", "TTYHUB") &&
	    !http_has_token(&hreq, "Sec-WebSocket-Protocol", "ttyhu"),
	    "http_has_token: without case, whole tokens");
	tcheck(strcmp(http_field(&hreq, "accept-language"),
	    "en-US,en;q=0.9") == 0, "http_field: without case");
	str_free(&d);

	/* Absolute form: the authority is the host. */
	http_init(&hreq);
	v = "GET https://Example.org:81?x=1 HTTP/1.1\r\nHost: o\r\n\r\n";
	http_feed(&hreq, (const uint8_t *)v, strlen(v));
	tcheck(http_state(&hreq) == HTTP_DONE &&
	    strcmp(hreq.host, "Example.org:81") == 0 &&
	    strcmp(hreq.path, "/") == 0 && strcmp(hreq.query, "x=1") == 0,
	    "http: absolute form without a path");

	/* Caps: the request line, a field line, the head, the fields. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	http_init(&hreq);
	n = http_feed(&hreq, (const uint8_t *)big, HTTP_LINE_MAX + 10);
	tcheck(http_state(&hreq) == HTTP_FAIL && hreq.status == 414 &&
	    n == HTTP_LINE_MAX + 1, "http: request line over the cap: 414 at "
	    "byte %zu", n);
	memcpy(big + HTTP_LINE_MAX - 16, " HTTP/1.1\r\n", 11);
	http_init(&hreq);
	n = http_feed(&hreq, (const uint8_t *)big, HTTP_LINE_MAX - 5);
	tcheck(http_state(&hreq) == HTTP_MORE, "http: a request line of "
	    "HTTP_LINE_MAX bytes");
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nX: ");
	memset(big + n, 'b', sizeof(big) - n);
	http_init(&hreq);
	n = http_feed(&hreq, (const uint8_t *)big, sizeof(big));
	tcheck(http_state(&hreq) == HTTP_FAIL && hreq.status == 431 &&
	    n == 16 + HTTP_LINE_MAX + 1, "http: field line over the cap: "
	    "431 at byte %zu", n);
	http_init(&hreq);
	v = "GET / HTTP/1.1\r\n";
	n = http_feed(&hreq, (const uint8_t *)v, strlen(v));
	for (i = 0; http_state(&hreq) == HTTP_MORE && i < 1000; i++) {
		v = "X-Filler: 01234567890123456789012345678901234567\r\n";
		n += http_feed(&hreq, (const uint8_t *)v, strlen(v));
	}
	tcheck(http_state(&hreq) == HTTP_FAIL && hreq.status == 431,
	    "http: too many fields: 431 after %zu", i);
	http_init(&hreq);
	v = "GET / HTTP/1.1\r\n";
	n = http_feed(&hreq, (const uint8_t *)v, strlen(v));
	for (i = 0; http_state(&hreq) == HTTP_MORE && i < 1000; i++) {
		memset(big, 'c', 3000);
		memcpy(big, "X: ", 3);
		memcpy(big + 2998, "\r\n", 2);
		n += http_feed(&hreq, (const uint8_t *)big, 3000);
	}
	tcheck(http_state(&hreq) == HTTP_FAIL && hreq.status == 431 &&
	    n == HTTP_HEAD_MAX + 1, "http: head over the cap: 431 at byte %zu",
	    n);
}

static void
test_http_body_pipeline(void)
{
	static const char	two[] = "POST /login HTTP/1.1\r\nHost: a\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 37\r\n\r\n"
	    "user=al+ice&password=p%40ss%2Bw%C3%B6"
	    "GET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	char			dst[32];
	size_t			n, m;
	int			r;

	http_init(&hreq);
	n = http_feed(&hreq, (const uint8_t *)two, sizeof(two) - 1);
	tcheck(http_state(&hreq) == HTTP_DONE && hreq.method == HTTP_POST &&
	    hreq.body_len == 37 && http_keep_alive(&hreq),
	    "http: a POST with a body");
	r = http_form(hreq.body, hreq.body_len, "user", dst, sizeof(dst));
	tcheck(r == 6 && strcmp(dst, "al ice") == 0, "http_form: user");
	r = http_form(hreq.body, hreq.body_len, "password", dst, sizeof(dst));
	tcheck(r == 8 && strcmp(dst, "p@ss+w\xc3\xb6") == 0,
	    "http_form: password, %%-encoded");
	tcheck(http_form(hreq.body, hreq.body_len, "pass", dst,
	    sizeof(dst)) == -1, "http_form: a prefix is not a name");
	tcheck(http_form(hreq.body, hreq.body_len, "password", dst, 8) == -1,
	    "http_form: too long for dst");
	tcheck(http_form((const uint8_t *)"a=%00", 5, "a", dst,
	    sizeof(dst)) == -1, "http_form: %%00 refused");
	tcheck(http_form((const uint8_t *)"a=x\0y", 5, "a", dst,
	    sizeof(dst)) == -1, "http_form: a raw NUL refused");
	tcheck(http_form((const uint8_t *)"a=%4", 4, "a", dst,
	    sizeof(dst)) == -1, "http_form: a cut escape refused");
	tcheck(http_form((const uint8_t *)"a=%zz", 5, "a", dst,
	    sizeof(dst)) == -1, "http_form: a bad escape refused");
	tcheck(http_form((const uint8_t *)"b=1&a=", 6, "a", dst,
	    sizeof(dst)) == 0 && dst[0] == '\0', "http_form: empty value");

	/* The pipelined request is left to the caller, then parsed. */
	http_init(&hreq);
	m = http_feed(&hreq, (const uint8_t *)two + n, sizeof(two) - 1 - n);
	tcheck(n + m == sizeof(two) - 1 && http_state(&hreq) == HTTP_DONE &&
	    strcmp(hreq.path, "/next") == 0 && !http_keep_alive(&hreq),
	    "http: the pipelined request after it");

	/* Keep-alive. */
	http_init(&hreq);
	http_feed(&hreq, (const uint8_t *)"GET / HTTP/1.0\r\n\r\n", 18);
	tcheck(!http_keep_alive(&hreq), "http_keep_alive: 1.0");
	http_init(&hreq);
	http_feed(&hreq, (const uint8_t *)"GET / HTTP/1.0\r\nConnection: "
	    "Keep-Alive\r\n\r\n", 42);
	tcheck(http_keep_alive(&hreq), "http_keep_alive: 1.0 keep-alive");
	http_init(&hreq);
	http_feed(&hreq, (const uint8_t *)"GET / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: keep-alive, CLOSE\r\n\r\n", 58);
	tcheck(http_state(&hreq) == HTTP_DONE && !http_keep_alive(&hreq),
	    "http_keep_alive: 1.1 close");
}

static int
origin_case(const char *host, const char *origin, int tls,
    const char *const *origins)
{
	char	req[512];
	int	n;

	n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\n"
	    "%s%s%s\r\n", host, origin ? "Origin: " : "", origin ? origin : "",
	    origin ? "\r\n" : "");
	http_init(&hreq);
	http_feed(&hreq, (const uint8_t *)req, (size_t)n);
	if (http_state(&hreq) != HTTP_DONE) {
		return -1;
	}
	return http_origin_ok(&hreq, tls, origins);
}

static void
test_origin(void)
{
	static const char *const allow[] = { "https://console.example.org",
	    NULL };
	static const char *const hosts[] = { "localhost", "127.0.0.1",
	    "[::1]", NULL };
	static const struct {
		const char	*host;
		const char	*origin;
		int		 tls;
		int		 ok;
	} cases[] = {
		{ "127.0.0.1:8080", "http://127.0.0.1:8080", 0, 1 },
		{ "127.0.0.1:8080", NULL, 0, 1 },
		{ "Example.ORG", "http://example.org", 0, 1 },
		{ "example.org", "http://example.org:80", 0, 1 },
		{ "example.org:80", "http://example.org", 0, 1 },
		{ "example.org:443", "https://example.org", 1, 1 },
		{ "example.org", "https://example.org", 0, 0 },
		{ "example.org", "http://example.org", 1, 0 },
		{ "example.org:8080", "http://example.org:8081", 0, 0 },
		{ "example.org", "http://evil.org", 0, 0 },
		{ "example.org", "http://example.org.evil.org", 0, 0 },
		{ "example.org", "http://example.org/", 0, 0 },
		{ "example.org", "http://user@example.org", 0, 0 },
		{ "example.org", "null", 0, 0 },
		{ "example.org", "", 0, 0 },
		{ "[::1]:8080", "http://[::1]:8080", 0, 1 },
		{ "example.org", "https://console.example.org", 0, 1 },
		{ "example.org", "https://console.example.org:444", 0, 0 },
	};
	size_t	i;
	char	req[128];
	int	n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tcheck(origin_case(cases[i].host, cases[i].origin, cases[i].tls,
		    allow) == cases[i].ok, "http_origin_ok: Host %s, Origin %s,"
		    " %s: %s", cases[i].host, cases[i].origin ?
		    cases[i].origin : "(none)", cases[i].tls ? "TLS" : "plain",
		    cases[i].ok ? "allowed" : "refused");
	}
	n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: LocalHost:80"
	    "\r\n\r\n");
	http_init(&hreq);
	http_feed(&hreq, (const uint8_t *)req, (size_t)n);
	tcheck(http_host_ok(&hreq, hosts) && http_host_ok(&hreq, NULL),
	    "http_host_ok: localhost, port aside, without case");
	n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: [::1]:80"
	    "\r\n\r\n");
	http_init(&hreq);
	http_feed(&hreq, (const uint8_t *)req, (size_t)n);
	tcheck(http_host_ok(&hreq, hosts), "http_host_ok: [::1]");
	n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: rebind.evil."
	    "org:8080\r\n\r\n");
	http_init(&hreq);
	http_feed(&hreq, (const uint8_t *)req, (size_t)n);
	tcheck(!http_host_ok(&hreq, hosts), "http_host_ok: another name");
}

/* ---- The handshake ---- */

static void
test_handshake(void)
{
	static const char	rfc[] = "GET /chat HTTP/1.1\r\n"
	    "Host: server.example.com\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Origin: http://example.com\r\n"
	    "Sec-WebSocket-Protocol: chat, superchat\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n";
	static const char *const allow[] = { "http://example.com", NULL };
	static const char	*keys[][2] = {
		{ "dGhlIHNhbXBsZSBub25jZQ==", "1" },
		{ "x3JJHMbDL1EzLkh9GBhXDw==", "1" },
		{ "AAAAAAAAAAAAAAAAAAAAAA==", "1" },
		{ "/////////////////////w==", "1" },
		{ "/////////////////////x==", "0" },	/* bits in padding */
		{ "dGhlIHNhbXBsZSBub25jZQ=", "0" },
		{ "dGhlIHNhbXBsZSBub25jZQ===", "0" },
		{ "dGhlIHNhbXBsZSBub25jZ===", "0" },
		{ "dGhlIHNhbXBsZSBub25jZ-==", "0" },
		{ "dGhlIHNhbXBsZSBub25jZQ", "0" },
		{ "dGhlIHNhbXBsZSBub25jZQAA", "0" },
		{ "", "0" },
	};
	struct wsopen_opts	o;
	struct httpres		r;
	char			accept[WSOPEN_ACCEPT_LEN + 1];
	const char		*why;
	size_t			i;
	struct {
		const char	*what;
		const char	*from;
		const char	*to;
		int		 status;
	} changes[] = {
		{ "POST", "GET /chat", "POST /chat", 405 },
		{ "HTTP/1.0", "HTTP/1.1\r\nHost", "HTTP/1.0\r\nHost", 400 },
		{ "no Upgrade", "Upgrade: websocket", "X-Upgrade: websocket",
		    426 },
		{ "Upgrade: h2c", "Upgrade: websocket", "Upgrade: h2c", 426 },
		{ "no Connection: upgrade", "Connection: Upgrade",
		    "Connection: keep-alive", 426 },
		{ "Connection: keep-alive, Upgrade", "Connection: Upgrade",
		    "Connection: keep-alive, Upgrade", 101 },
		{ "version 8", "Version: 13", "Version: 8", 426 },
		{ "version 013", "Version: 13", "Version: 013", 426 },
		{ "a short key", "jZQ==", "jZ==", 400 },
		{ "another origin", "Origin: http://example.com",
		    "Origin: http://evil.com", 403 },
		{ "the origin over TLS", "Origin: http://example.com",
		    "Origin: https://example.com", 403 },
		{ "no protocol offered", "Protocol: chat, superchat",
		    "Protocol: superchat", 400 },
		{ "a body", "Version: 13\r\n\r\n", "Version: 13\r\n"
		    "Content-Length: 1\r\n\r\nx", 400 },
	};

	tcheck(wsopen_accept("dGhlIHNhbXBsZSBub25jZQ==", accept) == 0 &&
	    strcmp(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0,
	    "wsopen_accept: RFC 6455 1.3's key gives %s", accept);
	tcheck(wsopen_accept("x3JJHMbDL1EzLkh9GBhXDw==", accept) == 0 &&
	    strcmp(accept, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=") == 0,
	    "wsopen_accept: RFC 6455 4.1's key gives %s", accept);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		tcheck(wsopen_key_valid(keys[i][0]) == (keys[i][1][0] == '1'),
		    "wsopen_key_valid: \"%s\"", keys[i][0]);
	}

	memset(&o, 0, sizeof(o));
	o.protocol = "chat";
	o.origins = allow;
	http_init(&hreq);
	http_feed(&hreq, (const uint8_t *)rfc, sizeof(rfc) - 1);
	tcheck(wsopen_check(&hreq, &o, &why) == 101,
	    "wsopen_check: RFC 6455 1.3's request");
	tcheck(wsopen_reply(&r, &hreq, &o) == 0 && r.len ==
	    strlen("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Accept: "
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n"
	    "\r\n") && memcmp(r.buf, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n"
	    "\r\n", r.len) == 0, "wsopen_reply: RFC 6455 1.3's answer");
	o.origins = NULL;
	tcheck(wsopen_check(&hreq, &o, &why) == 403,
	    "wsopen_check: cross-origin without the allow-list: 403 (%s)",
	    why);
	o.origins = allow;

	for (i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		char		 req[1024];
		const char	*at = strstr(rfc, changes[i].from);
		size_t		 a = (size_t)(at - rfc);
		int		 st;

		snprintf(req, sizeof(req), "%.*s%s%s", (int)a, rfc,
		    changes[i].to, at + strlen(changes[i].from));
		http_init(&hreq);
		http_feed(&hreq, (const uint8_t *)req, strlen(req));
		if (http_state(&hreq) != HTTP_DONE) {
			tcheck(0, "wsopen_check: %s: request not parsed",
			    changes[i].what);
			continue;
		}
		st = wsopen_check(&hreq, &o, &why);
		tcheck(st == changes[i].status, "wsopen_check: %s: %d (%s)",
		    changes[i].what, st, why ? why : "");
	}
}

/* ---- Responses ---- */

static void
test_responses(void)
{
	struct httpres	r;
	static const int statuses[] = {
		400, 403, 404, 405, 408, 411, 413, 414, 426, 431, 500, 501,
		505,
	};
	size_t		i;
	char		*body, want[64];

	httpres_start(&r, 200);
	httpres_field(&r, "Content-Type", "text/html; charset=utf-8");
	httpres_field_num(&r, "Content-Length", 1234);
	httpres_date(&r, 784111777);
	tcheck(httpres_end(&r) == 0 && r.len == strlen("HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/html; charset=utf-8\r\nContent-Length: 1234\r\n"
	    "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n") &&
	    memcmp(r.buf, "HTTP/1.1 200 OK\r\nContent-Type: text/html; "
	    "charset=utf-8\r\nContent-Length: 1234\r\nDate: Sun, 06 Nov 1994 "
	    "08:49:37 GMT\r\n\r\n", r.len) == 0,
	    "httpres: a head, with RFC 9110's example date");

	httpres_start(&r, 303);
	httpres_field(&r, "Location", "/c/vm1\r\nSet-Cookie: x=1");
	tcheck(httpres_end(&r) == -1, "httpres: CR LF in a value spoils it");
	httpres_start(&r, 200);
	httpres_field(&r, "X Y", "1");
	tcheck(httpres_end(&r) == -1, "httpres: a space in a name spoils it");
	httpres_start(&r, 200);
	httpres_field(&r, "X", "caf\xc3\xa9");
	tcheck(httpres_end(&r) == -1, "httpres: non-ASCII spoils it");
	httpres_start(&r, 200);
	for (i = 0; i < 100; i++) {
		httpres_field(&r, "X-Filler", "01234567890123456789");
	}
	tcheck(httpres_end(&r) == -1 && r.len <= HTTPRES_MAX,
	    "httpres: a head that does not fit spoils it");

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		tcheck(httpres_error(&r, statuses[i], 0) == 0,
		    "httpres_error: %d built", statuses[i]);
		r.buf[r.len < sizeof(r.buf) ? r.len : sizeof(r.buf) - 1] =
		    '\0';
		body = strstr(r.buf, "\r\n\r\n");
		snprintf(want, sizeof(want), "%d %s\n", statuses[i],
		    httpres_reason(statuses[i]));
		tcheck(body != NULL && strcmp(body + 4, want) == 0 &&
		    strstr(r.buf, "close\r\n") != NULL &&
		    strstr(r.buf, "X-Content-Type-Options: nosniff\r\n") !=
		    NULL && strncmp(r.buf, "HTTP/1.1 ", 9) == 0,
		    "httpres_error: %d is whole", statuses[i]);
	}
	httpres_error(&r, 426, 1);
	tcheck(strstr(r.buf, "Sec-WebSocket-Version: 13\r\n") != NULL &&
	    strstr(r.buf, "Upgrade: websocket\r\n") != NULL,
	    "httpres_error: 426 names WebSocket 13");
	httpres_error(&r, 405, 1);
	tcheck(strstr(r.buf, "Allow: GET, HEAD\r\n") != NULL &&
	    strstr(r.buf, "Connection: keep-alive\r\n") != NULL,
	    "httpres_error: 405 with Allow, kept alive");
}

/* ---- Control messages ---- */

static void
test_webmsg(void)
{
	static const struct {
		const char		*in;
		enum webmsg_type	 type;
		unsigned		 a, b;
	} cases[] = {
		{ "size 80 24", WEBMSG_SIZE, 80, 24 },
		{ "size 4096 1", WEBMSG_SIZE, 4096, 1 },
		{ "size 4097 24", WEBMSG_BAD, 0, 0 },
		{ "size 0 24", WEBMSG_BAD, 0, 0 },
		{ "size 80", WEBMSG_BAD, 0, 0 },
		{ "size 80 24 1", WEBMSG_BAD, 0, 0 },
		{ "size 80  24", WEBMSG_BAD, 0, 0 },
		{ "size -1 24", WEBMSG_BAD, 0, 0 },
		{ "size 00080 24", WEBMSG_BAD, 0, 0 },
		{ "break", WEBMSG_BREAK, 0, 0 },
		{ "break ", WEBMSG_BAD, 0, 0 },
		{ "ro", WEBMSG_RO, 0, 0 },
		{ "rw", WEBMSG_RW, 0, 0 },
		{ "force", WEBMSG_FORCE, 0, 0 },
		{ "who", WEBMSG_WHO, 0, 0 },
		{ "who me", WEBMSG_BAD, 0, 0 },
		{ "replay", WEBMSG_REPLAY, 0, 0 },
		{ "replay 4096", WEBMSG_REPLAY, 1, 4096 },
		{ "replay 999999999999", WEBMSG_REPLAY, 1, 999999999 },
		{ "replay 9999999999999", WEBMSG_BAD, 0, 0 },
		{ "replay x", WEBMSG_BAD, 0, 0 },
		{ "ping", WEBMSG_PING, 0, 0 },
		{ "ping 42 a\tb", WEBMSG_PING, 0, 0 },
		{ "ping caf\xc3\xa9", WEBMSG_BAD, 0, 0 },
		{ "PING", WEBMSG_UNKNOWN, 0, 0 },
		{ "hello there", WEBMSG_UNKNOWN, 0, 0 },
		{ "", WEBMSG_UNKNOWN, 0, 0 },
		{ "state vm1 writer up", WEBMSG_STATE, 0, 0 },
		{ "who-line rw\tyou\t127.0.0.1 4000", WEBMSG_WHO_LINE, 0, 0 },
		{ "replay-end", WEBMSG_REPLAY_END, 0, 0 },
	};
	struct webmsg	m;
	char		out[WEBMSG_MAX], text[2000];
	size_t		i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		webmsg_parse((const uint8_t *)cases[i].in, strlen(cases[i].in),
		    &m);
		tcheck(m.type == cases[i].type &&
		    (m.type != WEBMSG_SIZE || (m.cols == cases[i].a &&
		    m.rows == cases[i].b)) &&
		    (m.type != WEBMSG_REPLAY || (m.has_count == (int)cases[i].a &&
		    (m.count == cases[i].b || cases[i].b == 999999999))),
		    "webmsg_parse: \"%s\"", cases[i].in);
	}
	webmsg_parse((const uint8_t *)"ping 42 a\tb", 11, &m);
	tcheck(m.len == 6 && memcmp(m.text, "42 a\tb", 6) == 0,
	    "webmsg_parse: ping's text");
	memset(text, 'x', sizeof(text));
	memcpy(text, "ping ", 5);
	webmsg_parse((const uint8_t *)text, 5 + WEBMSG_TEXT_MAX, &m);
	tcheck(m.type == WEBMSG_PING, "webmsg_parse: ping of 1024 bytes");
	webmsg_parse((const uint8_t *)text, 6 + WEBMSG_TEXT_MAX, &m);
	tcheck(m.type == WEBMSG_BAD, "webmsg_parse: ping of 1025 bytes");

	n = webmsg_format(out, sizeof(out), WEBMSG_STATE, "vm1 writer up", 13);
	tcheck(n == 19 && memcmp(out, "state vm1 writer up", n) == 0,
	    "webmsg_format: state");
	n = webmsg_format(out, sizeof(out), WEBMSG_REPLAY_END, NULL, 0);
	tcheck(n == 10 && memcmp(out, "replay-end", n) == 0,
	    "webmsg_format: replay-end");
	n = webmsg_format(out, sizeof(out), WEBMSG_NOTICE, "a\x1b[2Jb\xff", 7);
	tcheck(n == 20 && memcmp(out, "notice a\\x1b[2Jb\\xff", 20) == 0,
	    "webmsg_format: control bytes escaped: %.*s", (int)n, out);
	memset(text, 0x01, sizeof(text));
	n = webmsg_format(out, sizeof(out), WEBMSG_NOTICE, text, sizeof(text));
	tcheck(n == 7 + 1024, "webmsg_format: cut at 1024 bytes, whole "
	    "escapes (%zu)", n);
	n = webmsg_format(out, 10, WEBMSG_NOTICE, "abcdef", 6);
	tcheck(n == 10 && memcmp(out, "notice abc", 10) == 0,
	    "webmsg_format: cut to the room");
	tcheck(webmsg_format(out, sizeof(out), WEBMSG_BAD, "x", 1) == 0,
	    "webmsg_format: no word for BAD");
	webmsg_parse((const uint8_t *)out, webmsg_format(out, sizeof(out),
	    WEBMSG_PONG, "42", 2), &m);
	tcheck(m.type == WEBMSG_PONG && m.len == 2, "webmsg: pong round trip");
}

int
main(void)
{
	test_utf8();
	test_ws_rfc_examples();
	test_ws_conversations();
	test_ws_sending();
	test_http_requests();
	test_http_body_pipeline();
	test_origin();
	test_handshake();
	test_responses();
	test_webmsg();
	printf("%d passed, %d failed\n", tcheck_pass, tcheck_fail);
	return tcheck_fail == 0 ? 0 : 1;
}
