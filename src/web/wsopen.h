/*
 * wsopen: the opening handshake of a WebSocket (RFC 6455, 4.2): whether a
 * parsed request (http.h) may become a WebSocket, and the 101 answer.
 * SHA-1 comes from OpenSSL's libcrypto, which TLS needs anyway.
 */
#ifndef TTYHUB_WSOPEN_H
#define TTYHUB_WSOPEN_H

#include <stddef.h>

#include "http.h"
#include "httpres.h"

#define WSOPEN_KEY_LEN		24	/* base64 of 16 bytes */
#define WSOPEN_ACCEPT_LEN	28	/* base64 of a SHA-1 */

/*
 * tls: the listener speaks TLS (origins are https://); protocol: the
 * subprotocol the client must offer, or NULL; origins and hosts: as
 * http_origin_ok and http_host_ok take them.
 */
struct wsopen_opts {
	int			 tls;
	const char		*protocol;
	const char *const	*origins;
	const char *const	*hosts;
};

/*
 * May this request (HTTP_DONE, on the WebSocket's path) be accepted?
 * Returns 101, or the status to refuse it with (then *why says why, for
 * the log):
 *   405  not GET;
 *   400  HTTP/1.0, a missing or malformed Sec-WebSocket-Key, a body, or
 *        the protocol not offered;
 *   403  a Host not in hosts, or an Origin not allowed;
 *   426  no "Upgrade: websocket" with "Connection: upgrade", or a
 *        Sec-WebSocket-Version other than 13 (httpres_error's 426 names
 *        the version we speak).
 */
int	wsopen_check(const struct http_req *req, const struct wsopen_opts *o,
	    const char **why);

/*
 * The 101 answer to a request wsopen_check accepted: Upgrade, Connection,
 * Sec-WebSocket-Accept and, when o->protocol, Sec-WebSocket-Protocol.
 * No extension is agreed.  Returns 0, or -1 (nothing to send).
 */
int	wsopen_reply(struct httpres *r, const struct http_req *req,
	    const struct wsopen_opts *o);

/*
 * Is key what a client must send: base64 of 16 bytes, exactly 24
 * characters, ending "==", with nothing in the bits the padding leaves?
 */
int	wsopen_key_valid(const char *key);

/*
 * Sec-WebSocket-Accept for key: base64(SHA-1(key and the RFC's GUID)),
 * NUL-terminated in out.  Returns 0, or -1 if libcrypto failed.
 */
int	wsopen_accept(const char *key, char out[WSOPEN_ACCEPT_LEN + 1]);

#endif
