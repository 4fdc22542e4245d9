/*
 * wsrecv: WebSocket frames in, binary payload out.  See wsrecv.h.
 */
#include <stdio.h>
#include <string.h>

#include "wsrecv.h"

enum { WSRECV_HEAD, WSRECV_HDR, WSRECV_PAYLOAD };

int
wsrecv_request(char *buf, size_t len, const char *name)
{
	return snprintf(buf, len, "GET /ws/%s HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Protocol: ttyhub\r\n\r\n", name);
}

size_t
wsrecv_next(struct wsrecv *r, const uint8_t **pp, const uint8_t *end,
    const uint8_t **span)
{
	static const char	crlf[] = "\r\n\r\n";
	const uint8_t		*p = *pp;
	size_t			 n;
	unsigned		 i;

	while (p < end && !r->bad) {
		switch (r->state) {
		case WSRECV_HEAD:
			r->crlf = *p == (uint8_t)crlf[r->crlf] ? r->crlf + 1 :
			    *p == '\r';
			p++;
			if (r->crlf == 4) {
				r->state = WSRECV_HDR;
			}
			break;
		case WSRECV_HDR:
			r->hdr[r->hdr_len++] = *p++;
			if (r->hdr_len == 2) {
				n = r->hdr[1] & 0x7f;
				r->hdr_need = n == 126 ? 4 : n == 127 ? 10 : 2;
				r->bad = (r->hdr[1] & 0x80) != 0;
			}
			if (r->hdr_len < 2 || r->hdr_len < r->hdr_need) {
				break;
			}
			r->op = r->hdr[0] & 0x0f;
			n = r->hdr[1] & 0x7f;
			if (r->hdr_need == 2) {
				r->left = n;
			} else {
				for (r->left = 0, i = 2; i < r->hdr_need; i++) {
					r->left = r->left << 8 | r->hdr[i];
				}
			}
			r->hdr_len = 0;
			r->state = r->left > 0 ? WSRECV_PAYLOAD : WSRECV_HDR;
			break;
		case WSRECV_PAYLOAD:
			n = (size_t)(end - p) < r->left ? (size_t)(end - p) :
			    (size_t)r->left;
			r->left -= n;
			if (r->left == 0) {
				r->state = WSRECV_HDR;
			}
			if (r->op == 0x2 || r->op == 0x0) {
				*span = p;
				*pp = p + n;
				return n;
			}
			p += n;
			break;
		}
	}
	*pp = end;
	return 0;
}
