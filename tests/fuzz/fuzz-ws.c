/*
 * fuzz-ws: libFuzzer harness for WebSocket framing (src/web/ws.c) and the
 * control messages in its text frames (src/web/webmsg.c): what a browser
 * can send once the handshake is done.
 *
 * fuzz-sources: src/web/ws.c src/web/utf8.c src/web/webmsg.c
 * fuzz-seeds: tests/fuzz/ws-seeds
 * fuzz-max-len: 32768
 *
 * Input: byte 0 chooses the set-up, byte 1 how the second run splits the
 * rest into reads (fuzzkit_reads); the rest is what the peer sends.
 *   bits 0-1  the binary message cap: WS_BINARY_MAX, 100, 4096 or 0
 *   bit 2     we close (1001) after the first text message, as the daemon
 *             does when a console goes away
 *   bit 3     text messages are answered from inside the callback
 *             (ws_send), as the daemon answers ping and who
 *
 * The input runs twice, in one read and split into reads; the two
 * transcripts (binary bytes, text messages, pongs, close, failure, and
 * the bytes we send) must be equal.  On top of the sanitizers:
 *   - no callback after closed or fail, neither twice nor both; input
 *     fed after the end (the whole input again) changes nothing;
 *   - a text message is valid UTF-8 by a second, plain decoder and at
 *     most WS_TEXT_MAX bytes; binary bytes never outnumber the input;
 *   - what we send is server frames only: FIN set, no RSV, no mask, a
 *     known opcode, lengths in their shortest form, control frames of at
 *     most 125 bytes, a close with nothing or a valid code and a UTF-8
 *     reason, text frames valid UTF-8, nothing after our close; and no
 *     more than the input and 256 bytes;
 *   - every text message through webmsg_parse gives a type whose
 *     arguments keep its rules (a size of 1 to 4096 each way, printable
 *     text of at most 1024 bytes), and what webmsg_format makes of a
 *     message parses back to the same type.
 */
#include <stdlib.h>
#include <string.h>

#include "../../src/web/webmsg.h"
#include "../../src/web/ws.h"
#include "fuzzkit.h"

const char	fuzzkit_name[] = "fuzz-ws";

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct run {
	struct ws		ws;
	unsigned		cfg;
	struct fuzzkit_tr	tr;
	struct fuzzkit_buf	sent;
	size_t			binary;
	int			ended;		/* closed or fail called */
	int			messages;
};

/* UTF-8 decoded to code points and each checked: not utf8.c's way. */
static int
ref_utf8(const uint8_t *p, size_t n)
{
	size_t		i = 0, k, j;
	uint32_t	c, min;

	while (i < n) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1;
			c &= 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			c &= 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3;
			c &= 0x07;
			min = 0x10000;
		} else {
			return 0;
		}
		for (j = 1; j <= k; j++) {
			if (i + j >= n || (p[i + j] & 0xc0) != 0x80) {
				return 0;
			}
			c = c << 6 | (p[i + j] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
			return 0;
		}
		i += k + 1;
	}
	return 1;
}

static void
check_webmsg(const uint8_t *buf, size_t len)
{
	struct webmsg	m, back;
	char		out[WEBMSG_MAX];
	size_t		i, n;

	webmsg_parse(buf, len, &m);
	switch (m.type) {
	case WEBMSG_UNKNOWN:
	case WEBMSG_BAD:
		return;
	case WEBMSG_SIZE:
		CHECK(m.cols >= 1 && m.cols <= WEBMSG_SIZE_MAX &&
		    m.rows >= 1 && m.rows <= WEBMSG_SIZE_MAX, "size %u %u",
		    m.cols, m.rows);
		break;
	default:
		break;
	}
	CHECK(m.len <= WEBMSG_TEXT_MAX, "arguments of %zu bytes", m.len);
	for (i = 0; i < m.len; i++) {
		CHECK((m.text[i] >= 0x20 && m.text[i] < 0x7f) ||
		    m.text[i] == '\t', "a byte 0x%02x in arguments",
		    (uint8_t)m.text[i]);
	}
	n = webmsg_format(out, sizeof(out), m.type, m.text, m.len);
	CHECK(n > 0 && n <= sizeof(out), "format gave %zu", n);
	webmsg_parse((const uint8_t *)out, n, &back);
	CHECK(back.type == m.type && back.len == m.len &&
	    back.cols == m.cols && back.rows == m.rows &&
	    back.count == m.count, "a message does not survive format");
}

static void
on_binary(void *arg, const uint8_t *buf, size_t len)
{
	struct run	*r = arg;

	CHECK(!r->ended, "binary after the end");
	CHECK(len > 0, "an empty binary call");
	r->binary += len;
	fuzzkit_tr_rec(&r->tr, 'D', buf, len);
}

static void
on_text(void *arg, const uint8_t *buf, size_t len)
{
	struct run	*r = arg;

	CHECK(!r->ended, "text after the end");
	CHECK(len <= WS_TEXT_MAX, "text of %zu bytes", len);
	CHECK(ref_utf8(buf, len), "text that is not UTF-8");
	fuzzkit_tr_rec(&r->tr, 'T', buf, len);
	check_webmsg(buf, len);
	if (r->cfg & 8) {
		CHECK(ws_send(&r->ws, WS_OP_TEXT, buf, len) == 0 ||
		    ws_close_sent(&r->ws), "an answer refused");
	}
	if ((r->cfg & 4) && r->messages++ == 0) {
		ws_close(&r->ws, WS_CLOSE_GOING_AWAY, "console removed");
	}
}

static void
on_send(void *arg, const uint8_t *buf, size_t len)
{
	struct run	*r = arg;

	fuzzkit_tr_rec(&r->tr, 'S', buf, len);
	fuzzkit_buf_add(&r->sent, buf, len);
}

static void
on_pong(void *arg, const uint8_t *buf, size_t len)
{
	struct run	*r = arg;

	CHECK(!r->ended, "pong after the end");
	CHECK(len <= WS_CTL_MAX, "pong of %zu", len);
	fuzzkit_tr_rec(&r->tr, 'P', buf, len);
}

static void
on_closed(void *arg, unsigned code, const uint8_t *reason, size_t len)
{
	struct run	*r = arg;
	uint8_t		 rec[2 + WS_REASON_MAX];

	CHECK(!r->ended, "closed after the end");
	r->ended = 1;
	CHECK(code == WS_CLOSE_NO_STATUS || ws_close_code_valid(code),
	    "closed with %u", code);
	CHECK(len <= WS_REASON_MAX && ref_utf8(reason, len),
	    "a close reason");
	CHECK(ws_close_sent(&r->ws) && ws_done(&r->ws), "closed, not done");
	rec[0] = (uint8_t)(code >> 8);
	rec[1] = (uint8_t)code;
	memcpy(rec + 2, reason, len);
	fuzzkit_tr_rec(&r->tr, 'C', rec, 2 + len);
}

static void
on_fail(void *arg, unsigned code, const char *why)
{
	struct run	*r = arg;

	CHECK(!r->ended, "fail after the end");
	r->ended = 1;
	CHECK(code == WS_CLOSE_PROTOCOL || code == WS_CLOSE_BAD_DATA ||
	    code == WS_CLOSE_TOO_BIG, "failed with %u", code);
	CHECK(ws_close_sent(&r->ws) && ws_done(&r->ws), "failed, not done");
	fuzzkit_tr_rec(&r->tr, 'F', why, strlen(why));
}

static const struct ws_ops	ops = {
	on_binary, on_text, on_send, on_pong, on_closed, on_fail,
};

/* What we sent: server frames, nothing after a close. */
static void
check_sent(const struct fuzzkit_buf *s, size_t insize)
{
	const uint8_t	*p, *end;
	uint64_t	 len;
	unsigned	 op, code;
	int		 i, closed = 0;

	CHECK(s->len <= insize + 256, "%zu bytes sent for %zu", s->len,
	    insize);
	if (s->len == 0) {
		return;
	}
	p = s->p;
	end = s->p + s->len;
	while (p < end) {
		CHECK(!closed, "a frame after our close");
		CHECK(end - p >= 2, "a cut frame header");
		CHECK((p[0] & 0xf0) == 0x80, "FIN or RSV: 0x%02x", p[0]);
		CHECK((p[1] & 0x80) == 0, "a masked server frame");
		op = p[0] & 0x0f;
		len = p[1] & 0x7f;
		p += 2;
		if (len == 126) {
			CHECK(end - p >= 2, "a cut length");
			len = (uint64_t)p[0] << 8 | p[1];
			CHECK(len >= 126, "a long form for %llu",
			    (unsigned long long)len);
			p += 2;
		} else if (len == 127) {
			CHECK(end - p >= 8, "a cut length");
			for (len = 0, i = 0; i < 8; i++) {
				len = len << 8 | p[i];
			}
			CHECK(len > 0xffff, "a long form");
			p += 8;
		}
		CHECK(len <= (uint64_t)(end - p), "a cut payload");
		switch (op) {
		case WS_OP_TEXT:
			CHECK(ref_utf8(p, (size_t)len), "our text not UTF-8");
			break;
		case WS_OP_PONG:
			CHECK(len <= WS_CTL_MAX, "a long pong");
			break;
		case WS_OP_CLOSE:
			CHECK(len == 0 || (len >= 2 && len <= WS_CTL_MAX),
			    "a close of %llu", (unsigned long long)len);
			if (len >= 2) {
				code = (unsigned)p[0] << 8 | p[1];
				CHECK(ws_close_code_valid(code),
				    "we closed with %u", code);
				CHECK(ref_utf8(p + 2, (size_t)len - 2),
				    "our close reason");
			}
			closed = 1;
			break;
		default:
			CHECK(0, "we sent opcode %u", op);
		}
		p += len;
	}
}

static struct fuzzkit_tr
run(const uint8_t *data, size_t size, unsigned cfg, unsigned split)
{
	static const uint64_t	caps[4] = { WS_BINARY_MAX, 100, 4096, 0 };
	struct run		r;
	struct fuzzkit_reads	rd;
	uint8_t			*copy;
	size_t			off, n, before;

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	ws_init(&r.ws, &ops, &r, caps[cfg & 3]);
	copy = malloc(size + 1);
	CHECK(copy != NULL, "out of memory");
	memcpy(copy, data, size);
	fuzzkit_reads_init(&rd, split, 1);
	for (off = 0; off < size; off += n) {
		n = fuzzkit_reads_next(&rd, size - off);
		ws_recv(&r.ws, copy + off, n);
		CHECK(r.ended == ws_done(&r.ws), "done without the callback");
	}
	CHECK(r.binary <= size, "%zu binary bytes from %zu", r.binary, size);
	check_sent(&r.sent, size);
	if (r.ended) {
		memcpy(copy, data, size);
		before = r.tr.b.len;
		ws_recv(&r.ws, copy, size);
		CHECK(r.tr.b.len == before, "input taken after the end");
	}
	free(copy);
	free(r.sent.p);
	return r.tr;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzzkit_tr	whole, split;

	if (size < 2) {
		return 0;
	}
	whole = run(data + 2, size - 2, data[0], 0);
	split = run(data + 2, size - 2, data[0], 1 + data[1]);
	if (!fuzzkit_buf_same(&whole.b, &split.b)) {
		fuzzkit_buf_show("whole", &whole.b);
		fuzzkit_buf_show("split", &split.b);
		CHECK(0, "the transcripts differ when the input is split");
	}
	free(whole.b.p);
	free(split.b.p);
	return 0;
}
