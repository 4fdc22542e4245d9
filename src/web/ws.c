/*
 * ws: see ws.h.  A frame is read in two steps: its header, collected
 * into hdr until complete (2 to 14 bytes, however the reads split it),
 * then its payload, unmasked in place and handed on or kept.  Every
 * check that the first two bytes allow is made as soon as they are in,
 * and every length check as soon as the length is: a peer learns of its
 * mistake at the same byte whatever its reads, and a frame too big is
 * refused before its payload is read.
 */
#include <string.h>

#include "ws.h"

static void	ws_fail(struct ws *, unsigned, const char *);
static int	ws_header_check(struct ws *);
static void	ws_payload(struct ws *, uint8_t *, size_t);
static void	ws_frame_end(struct ws *);
static void	ws_control(struct ws *);
static void	ws_send_close(struct ws *, unsigned, const uint8_t *, size_t);

void
ws_init(struct ws *ws, const struct ws_ops *ops, void *arg,
    uint64_t max_binary)
{
	memset(ws, 0, sizeof(*ws));
	ws->ops = ops;
	ws->arg = arg;
	ws->max_binary = max_binary;
}

int
ws_close_sent(const struct ws *ws)
{
	return ws->close_sent;
}

int
ws_done(const struct ws *ws)
{
	return ws->done;
}

int
ws_close_code_valid(unsigned code)
{
	/*
	 * 1004 is reserved, 1005 and 1006 mean "no code" and "no close"
	 * to the API and 1015 "TLS failed": none is ever on the wire.
	 * 1016 to 2999 are for future RFCs, 3000 to 4999 for everyone.
	 */
	if (code >= 1000 && code <= 1003) {
		return 1;
	}
	if (code >= 1007 && code <= 1014) {
		return 1;
	}
	return code >= 3000 && code <= 4999;
}

size_t
ws_header(uint8_t hdr[WS_HEADER_MAX], enum ws_op op, int fin, uint64_t len)
{
	int	i;

	hdr[0] = (uint8_t)((fin ? 0x80 : 0) | (op & 0x0f));
	if (len < 126) {
		hdr[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xffff) {
		hdr[1] = 126;
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)len;
		return 4;
	}
	hdr[1] = 127;
	for (i = 0; i < 8; i++) {
		hdr[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	}
	return 10;
}

static void
ws_fail(struct ws *ws, unsigned code, const char *why)
{
	if (!ws->close_sent) {
		ws_send_close(ws, code, NULL, 0);
	}
	ws->done = 1;
	ws->ops->fail(ws->arg, code, why);
}

static void
ws_send_close(struct ws *ws, unsigned code, const uint8_t *reason,
    size_t len)
{
	uint8_t	frame[2 + 2 + WS_REASON_MAX];
	size_t	n;

	n = ws_header(frame, WS_OP_CLOSE, 1, code == 0 ? 0 : 2 + len);
	if (code != 0) {
		frame[n++] = (uint8_t)(code >> 8);
		frame[n++] = (uint8_t)code;
		if (len > 0) {
			memcpy(frame + n, reason, len);
			n += len;
		}
	}
	ws->close_sent = 1;
	ws->ops->send(ws->arg, frame, n);
}

void
ws_close(struct ws *ws, unsigned code, const char *reason)
{
	size_t	len = 0;

	if (ws->close_sent) {
		return;
	}
	if (!ws_close_code_valid(code)) {
		code = WS_CLOSE_NORMAL;
	}
	if (reason != NULL) {
		len = strlen(reason);
		if (len > WS_REASON_MAX) {
			len = WS_REASON_MAX;
		}
		/* Cut at a character boundary: back over continuations. */
		while (len > 0 && len < strlen(reason) &&
		    ((uint8_t)reason[len] & 0xc0) == 0x80) {
			len--;
		}
		if (!utf8_valid((const uint8_t *)reason, len)) {
			len = 0;
		}
	}
	ws_send_close(ws, code, (const uint8_t *)reason, len);
}

int
ws_send(struct ws *ws, enum ws_op op, const uint8_t *buf, size_t len)
{
	uint8_t	frame[WS_HEADER_MAX + WS_TEXT_MAX];
	size_t	n;

	if (ws->close_sent || len > WS_TEXT_MAX) {
		return -1;
	}
	if (op != WS_OP_TEXT && op != WS_OP_BINARY && op != WS_OP_PING) {
		return -1;
	}
	if (op == WS_OP_PING && len > WS_CTL_MAX) {
		return -1;
	}
	if (op == WS_OP_TEXT && !utf8_valid(buf, len)) {
		return -1;
	}
	n = ws_header(frame, op, 1, len);
	if (len > 0) {
		memcpy(frame + n, buf, len);
	}
	ws->ops->send(ws->arg, frame, n + len);
	return 0;
}

/*
 * The header is complete up to hdr_len bytes: check what can be checked.
 * Returns 0 to go on (hdr_need may have grown), -1 after a failure.
 */
static int
ws_header_check(struct ws *ws)
{
	uint64_t	len, cap, sofar;
	uint8_t		b0 = ws->hdr[0], b1 = ws->hdr[1];
	int		i, ext;

	if (ws->hdr_len == 2) {
		ws->fin = b0 >> 7;
		ws->op = b0 & 0x0f;
		if ((b0 & 0x70) != 0) {
			ws_fail(ws, WS_CLOSE_PROTOCOL, "reserved bits set");
			return -1;
		}
		if ((b1 & 0x80) == 0) {
			ws_fail(ws, WS_CLOSE_PROTOCOL, "frame not masked");
			return -1;
		}
		switch (ws->op) {
		case WS_OP_CONT:
			if (ws->msg == 0) {
				ws_fail(ws, WS_CLOSE_PROTOCOL,
				    "continuation outside a message");
				return -1;
			}
			break;
		case WS_OP_TEXT:
		case WS_OP_BINARY:
			if (ws->msg != 0) {
				ws_fail(ws, WS_CLOSE_PROTOCOL,
				    "new message inside a message");
				return -1;
			}
			break;
		case WS_OP_CLOSE:
		case WS_OP_PING:
		case WS_OP_PONG:
			if (!ws->fin) {
				ws_fail(ws, WS_CLOSE_PROTOCOL,
				    "fragmented control frame");
				return -1;
			}
			if ((b1 & 0x7f) > WS_CTL_MAX) {
				ws_fail(ws, WS_CLOSE_PROTOCOL,
				    "control frame over 125 bytes");
				return -1;
			}
			break;
		default:
			ws_fail(ws, WS_CLOSE_PROTOCOL, "reserved opcode");
			return -1;
		}
		ext = (b1 & 0x7f) == 126 ? 2 : (b1 & 0x7f) == 127 ? 8 : 0;
		ws->hdr_need = (uint8_t)(2 + ext + 4);
		return 0;
	}
	if (ws->hdr_len < ws->hdr_need) {
		return 0;
	}

	/* Complete: the length (network order), then the mask after it. */
	len = b1 & 0x7f;
	if (len == 126) {
		len = (uint64_t)ws->hdr[2] << 8 | ws->hdr[3];
	} else if (len == 127) {
		len = 0;
		for (i = 0; i < 8; i++) {
			len = len << 8 | ws->hdr[2 + i];
		}
		if (len >> 63) {
			ws_fail(ws, WS_CLOSE_PROTOCOL,
			    "payload length over 2^63");
			return -1;
		}
	}
	if (ws->op == WS_OP_TEXT || ws->op == WS_OP_BINARY) {
		ws->msg = ws->op;
		ws->msg_len = 0;
		memset(&ws->utf8, 0, sizeof(ws->utf8));
		ws->text_len = 0;
	}
	if (ws->op == WS_OP_TEXT || ws->op == WS_OP_BINARY ||
	    ws->op == WS_OP_CONT) {
		cap = ws->msg == WS_OP_TEXT ? WS_TEXT_MAX : ws->max_binary;
		sofar = ws->msg_len;
		if (len > cap || sofar > cap - len) {
			ws_fail(ws, WS_CLOSE_TOO_BIG, ws->msg == WS_OP_TEXT ?
			    "text message too long" :
			    "binary message too long");
			return -1;
		}
	}
	ws->left = len;
	ws->off = 0;
	return 0;
}

/* Unmask n payload bytes of the current frame in place and use them. */
static void
ws_payload(struct ws *ws, uint8_t *p, size_t n)
{
	const uint8_t	*mask = ws->hdr + ws->hdr_need - 4;
	size_t		 i, bad;
	unsigned	 k = (unsigned)(ws->off & 3);

	for (i = 0; i < n; i++) {
		p[i] ^= mask[k];
		k = (k + 1) & 3;
	}
	switch (ws->op) {
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		memcpy(ws->ctl + ws->off, p, n);
		break;
	default:
		if (ws->msg == WS_OP_TEXT) {
			bad = utf8_feed(&ws->utf8, p, n);
			if (bad != n) {
				ws->off += n;
				ws_fail(ws, WS_CLOSE_BAD_DATA,
				    "text message not UTF-8");
				return;
			}
			memcpy(ws->text + ws->text_len, p, n);
			ws->text_len += n;
		} else if (!ws->close_sent) {
			ws->ops->binary(ws->arg, p, n);
		}
		ws->msg_len += n;
		break;
	}
	ws->off += n;
	ws->left -= n;
}

/* The current frame's payload is all in. */
static void
ws_frame_end(struct ws *ws)
{
	switch (ws->op) {
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		ws_control(ws);
		return;
	default:
		break;
	}
	if (!ws->fin) {
		return;
	}
	if (ws->msg == WS_OP_TEXT) {
		if (!utf8_complete(&ws->utf8)) {
			ws_fail(ws, WS_CLOSE_BAD_DATA,
			    "text message ends inside a character");
			return;
		}
		ws->msg = 0;
		if (!ws->close_sent) {
			ws->ops->text(ws->arg, ws->text, ws->text_len);
		}
		return;
	}
	ws->msg = 0;
}

static void
ws_control(struct ws *ws)
{
	uint8_t		frame[2 + WS_CTL_MAX];
	size_t		n, len = (size_t)ws->off;
	unsigned	code;

	switch (ws->op) {
	case WS_OP_PING:
		if (ws->close_sent) {
			return;
		}
		n = ws_header(frame, WS_OP_PONG, 1, len);
		memcpy(frame + n, ws->ctl, len);
		ws->ops->send(ws->arg, frame, n + len);
		return;
	case WS_OP_PONG:
		if (ws->ops->pong != NULL) {
			ws->ops->pong(ws->arg, ws->ctl, len);
		}
		return;
	default:
		break;
	}
	/* Close. */
	if (len == 1) {
		ws_fail(ws, WS_CLOSE_PROTOCOL, "close frame of one byte");
		return;
	}
	code = WS_CLOSE_NO_STATUS;
	if (len >= 2) {
		code = (unsigned)ws->ctl[0] << 8 | ws->ctl[1];
		if (!ws_close_code_valid(code)) {
			ws_fail(ws, WS_CLOSE_PROTOCOL, "invalid close code");
			return;
		}
		if (!utf8_valid(ws->ctl + 2, len - 2)) {
			ws_fail(ws, WS_CLOSE_BAD_DATA,
			    "close reason not UTF-8");
			return;
		}
	}
	if (!ws->close_sent) {
		/* Echo the code, as endpoints usually do (5.5.1). */
		ws_send_close(ws, code == WS_CLOSE_NO_STATUS ? 0 : code,
		    NULL, 0);
	}
	ws->done = 1;
	ws->ops->closed(ws->arg, code, len >= 2 ? ws->ctl + 2 : ws->ctl,
	    len >= 2 ? len - 2 : 0);
}

void
ws_recv(struct ws *ws, uint8_t *buf, size_t len)
{
	size_t	n;

	while (len > 0 && !ws->done) {
		if (ws->hdr_need == 0 || ws->hdr_len < ws->hdr_need) {
			ws->hdr[ws->hdr_len++] = *buf++;
			len--;
			if (ws->hdr_len == 1) {
				continue;
			}
			if (ws_header_check(ws) != 0) {
				return;
			}
			if (ws->hdr_len < ws->hdr_need) {
				continue;
			}
			/* A frame with nothing in it ends with its header. */
			if (ws->left > 0) {
				continue;
			}
		} else {
			n = len < ws->left ? len : (size_t)ws->left;
			ws_payload(ws, buf, n);
			buf += n;
			len -= n;
			if (ws->done || ws->left > 0) {
				continue;
			}
		}
		ws_frame_end(ws);
		ws->hdr_len = 0;
		ws->hdr_need = 0;
	}
}
