/*
 * webpeer: a WebSocket server on fds 0 and 1 (one accepted connection),
 * made of src/web/ and nothing else, so that real WebSocket clients (a
 * browser's library, Python's websocket-client, Node's WebSocket) can be
 * held against the protocol layer before the daemon serves them:
 * tests/unit/test_web_peers.py.  Blocking reads and writes; one
 * connection; it ends when the WebSocket does.
 *
 *   webpeer [ORIGIN...]     origins allowed besides the same origin
 *
 * The subprotocol "ttyhub" is required.  Text messages are commands:
 *   echo      send back, as one binary message, the binary bytes so far
 *   big N     send a binary message of N bytes (byte i is i * 7 + 3)
 *   ping      send a ping "hb"
 *   close     close with 1000 "done"
 *   other     webmsg_parse it, then send it back as text
 * What happens goes to stderr, a line each: "refused STATUS WHY",
 * "open PATH", "text TYPE MESSAGE", "binary N", "pong DATA",
 * "closed CODE REASON", "fail CODE WHY".
 */
#include <sys/uio.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/web/http.h"
#include "../../src/web/httpres.h"
#include "../../src/web/webmsg.h"
#include "../../src/web/ws.h"
#include "../../src/web/wsopen.h"

static struct ws	ws;
static uint8_t		*held;
static size_t		 held_len;

static void
put(const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(1, p, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			fprintf(stderr, "write failed\n");
			exit(1);
		}
		p += n;
		len -= (size_t)n;
	}
}

/* A binary message of ours: the header, then the payload as it is. */
static void
put_binary(const uint8_t *buf, size_t len)
{
	uint8_t	hdr[WS_HEADER_MAX];

	put(hdr, ws_header(hdr, WS_OP_BINARY, 1, len));
	put(buf, len);
}

static void
on_binary(void *arg, const uint8_t *buf, size_t len)
{
	(void)arg;
	held = realloc(held, held_len + len);
	if (held == NULL) {
		exit(1);
	}
	memcpy(held + held_len, buf, len);
	held_len += len;
	fprintf(stderr, "binary %zu\n", len);
}

static void
on_text(void *arg, const uint8_t *buf, size_t len)
{
	struct webmsg	m;
	uint8_t		*big;
	char		 num[16];
	size_t		 i, n;

	(void)arg;
	if (len == 4 && memcmp(buf, "echo", 4) == 0) {
		put_binary(held, held_len);
		held_len = 0;
	} else if (len > 4 && len < 16 && memcmp(buf, "big ", 4) == 0) {
		memcpy(num, buf + 4, len - 4);
		num[len - 4] = '\0';
		n = (size_t)strtoul(num, NULL, 10);
		if ((big = malloc(n + 1)) == NULL) {
			exit(1);
		}
		for (i = 0; i < n; i++) {
			big[i] = (uint8_t)(i * 7 + 3);
		}
		put_binary(big, n);
		free(big);
	} else if (len == 4 && memcmp(buf, "ping", 4) == 0) {
		ws_send(&ws, WS_OP_PING, (const uint8_t *)"hb", 2);
	} else if (len == 5 && memcmp(buf, "close", 5) == 0) {
		ws_close(&ws, WS_CLOSE_NORMAL, "done");
	} else {
		webmsg_parse(buf, len, &m);
		fprintf(stderr, "text %d %.*s\n", (int)m.type, (int)len,
		    (const char *)buf);
		ws_send(&ws, WS_OP_TEXT, buf, len);
	}
}

static void
on_send(void *arg, const uint8_t *buf, size_t len)
{
	(void)arg;
	put(buf, len);
}

static void
on_pong(void *arg, const uint8_t *buf, size_t len)
{
	(void)arg;
	fprintf(stderr, "pong %.*s\n", (int)len, (const char *)buf);
}

static void
on_closed(void *arg, unsigned code, const uint8_t *reason, size_t len)
{
	(void)arg;
	fprintf(stderr, "closed %u %.*s\n", code, (int)len,
	    (const char *)reason);
}

static void
on_fail(void *arg, unsigned code, const char *why)
{
	(void)arg;
	fprintf(stderr, "fail %u %s\n", code, why);
}

static const struct ws_ops	ops = {
	on_binary, on_text, on_send, on_pong, on_closed, on_fail,
};

static struct http_req	req;

int
main(int argc, char **argv)
{
	struct wsopen_opts	o;
	struct httpres		r;
	const char		*why;
	uint8_t			buf[16384];
	ssize_t			n = 0;
	size_t			used = 0;
	int			st;

	setvbuf(stderr, NULL, _IOLBF, 0);
	memset(&o, 0, sizeof(o));
	o.protocol = "ttyhub";
	o.origins = (const char *const *)(argv + 1);
	(void)argc;

	http_init(&req);
	while (http_state(&req) == HTTP_MORE) {
		n = read(0, buf, sizeof(buf));
		if (n <= 0) {
			fprintf(stderr, "eof before a request\n");
			return 1;
		}
		used = http_feed(&req, buf, (size_t)n);
		if (http_state(&req) == HTTP_MORE) {
			used = 0;
		}
	}
	if (http_state(&req) == HTTP_FAIL) {
		st = req.status;
		why = req.why;
	} else {
		st = wsopen_check(&req, &o, &why);
	}
	if (st != 101) {
		fprintf(stderr, "refused %d %s\n", st, why);
		httpres_error(&r, st, 0);
		put(r.buf, r.len);
		return 0;
	}
	if (wsopen_reply(&r, &req, &o) != 0) {
		fprintf(stderr, "no reply\n");
		return 1;
	}
	put(r.buf, r.len);
	fprintf(stderr, "open %s\n", req.path);

	ws_init(&ws, &ops, NULL, WS_BINARY_MAX);
	/* What came after the head is the first of the frames. */
	ws_recv(&ws, buf + used, (size_t)n - used);
	while (!ws_done(&ws)) {
		n = read(0, buf, sizeof(buf));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			fprintf(stderr, "eof\n");
			break;
		}
		ws_recv(&ws, buf, (size_t)n);
	}
	free(held);
	return 0;
}
