/*
 * wsopen: see wsopen.h.  The checks follow RFC 6455 4.2.1 in its order,
 * so that the status a client gets names its first mistake.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "wsopen.h"

#define WSOPEN_GUID	"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static const char	wsopen_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
wsopen_key_valid(const char *key)
{
	const char	*p;
	size_t		 i;

	if (strlen(key) != WSOPEN_KEY_LEN || key[22] != '=' ||
	    key[23] != '=') {
		return 0;
	}
	for (i = 0; i < 22; i++) {
		if (key[i] == '\0' ||
		    (p = strchr(wsopen_b64, key[i])) == NULL) {
			return 0;
		}
	}
	/* 16 bytes are 128 bits: the 22nd character carries 2 of them. */
	return ((p - wsopen_b64) & 0x0f) == 0;
}

int
wsopen_accept(const char *key, char out[WSOPEN_ACCEPT_LEN + 1])
{
	unsigned char	in[WSOPEN_KEY_LEN + sizeof(WSOPEN_GUID)];
	unsigned char	md[SHA_DIGEST_LENGTH];
	size_t		n = strlen(key);

	if (n > WSOPEN_KEY_LEN) {
		return -1;
	}
	memcpy(in, key, n);
	memcpy(in + n, WSOPEN_GUID, sizeof(WSOPEN_GUID) - 1);
	if (SHA1(in, n + sizeof(WSOPEN_GUID) - 1, md) == NULL) {
		return -1;
	}
	if (EVP_EncodeBlock((unsigned char *)out, md, sizeof(md)) !=
	    WSOPEN_ACCEPT_LEN) {
		return -1;
	}
	return 0;
}

int
wsopen_check(const struct http_req *req, const struct wsopen_opts *o,
    const char **why)
{
	const char	*key, *version;

	*why = NULL;
	if (req->method != HTTP_GET) {
		*why = "WebSocket handshake not a GET";
		return 405;
	}
	if (req->minor < 1) {
		*why = "WebSocket handshake over HTTP/1.0";
		return 400;
	}
	if (!http_host_ok(req, o->hosts)) {
		*why = "Host not allowed";
		return 403;
	}
	if (!req->upgrade_ws || !(req->conn & HTTP_CONN_UPGRADE)) {
		*why = "no WebSocket upgrade asked for";
		return 426;
	}
	key = http_field(req, "Sec-WebSocket-Key");
	if (key == NULL || !wsopen_key_valid(key)) {
		*why = "bad Sec-WebSocket-Key";
		return 400;
	}
	version = http_field(req, "Sec-WebSocket-Version");
	if (version == NULL || strcmp(version, "13") != 0) {
		*why = "WebSocket version not 13";
		return 426;
	}
	if (!http_origin_ok(req, o->tls, o->origins)) {
		*why = "Origin not allowed";
		return 403;
	}
	if (req->body_len != 0) {
		*why = "WebSocket handshake with a body";
		return 400;
	}
	if (o->protocol != NULL &&
	    !http_has_token(req, "Sec-WebSocket-Protocol", o->protocol)) {
		*why = "WebSocket subprotocol not offered";
		return 400;
	}
	return 101;
}

int
wsopen_reply(struct httpres *r, const struct http_req *req,
    const struct wsopen_opts *o)
{
	const char	*key = http_field(req, "Sec-WebSocket-Key");
	char		 accept[WSOPEN_ACCEPT_LEN + 1];

	if (key == NULL || !wsopen_key_valid(key) ||
	    wsopen_accept(key, accept) != 0) {
		return -1;
	}
	httpres_start(r, 101);
	httpres_field(r, "Upgrade", "websocket");
	httpres_field(r, "Connection", "Upgrade");
	httpres_field(r, "Sec-WebSocket-Accept", accept);
	if (o->protocol != NULL) {
		httpres_field(r, "Sec-WebSocket-Protocol", o->protocol);
	}
	return httpres_end(r);
}
