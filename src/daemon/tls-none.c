/*
 * tls-none: the static build's variant, without OpenSSL (its static
 * libraries would triple the program, ARCHITECTURE.md): no context can
 * be made, so a configuration that asks for TLS does not start, and
 * nothing else here is ever reached.
 */
#include <errno.h>
#include <stdio.h>

#include "tls.h"

struct tls_ctx *
tls_ctx_server(const char *cert, const char *key, const char *ca, char *err,
    size_t errlen)
{
	(void)cert;
	(void)key;
	(void)ca;
	snprintf(err, errlen, "this ttyhubd was built without TLS");
	return NULL;
}

struct tls_ctx *
tls_ctx_client(const char *ca, const char *cert, const char *key,
    char *err, size_t errlen)
{
	(void)ca;
	(void)cert;
	(void)key;
	snprintf(err, errlen, "built without TLS");
	return NULL;
}

void
tls_ctx_free(struct tls_ctx *ctx)
{
	(void)ctx;
}

struct tls *
tls_new(struct tls_ctx *ctx, int fd, const char *host)
{
	(void)ctx;
	(void)fd;
	(void)host;
	return NULL;
}

void
tls_free(struct tls *t)
{
	(void)t;
}

int
tls_handshake(struct tls *t, char *err, size_t errlen)
{
	(void)t;
	snprintf(err, errlen, "built without TLS");
	return -1;
}

ssize_t
tls_read(struct tls *t, void *buf, size_t len)
{
	(void)t;
	(void)buf;
	(void)len;
	errno = EPIPE;
	return -1;
}

ssize_t
tls_write(struct tls *t, const void *buf, size_t len)
{
	(void)t;
	(void)buf;
	(void)len;
	errno = EPIPE;
	return -1;
}

ssize_t
tls_writev(struct tls *t, const struct iovec *iov, int cnt)
{
	(void)t;
	(void)iov;
	(void)cnt;
	errno = EPIPE;
	return -1;
}

int
tls_push(struct tls *t)
{
	(void)t;
	errno = EPIPE;
	return -1;
}

int
tls_want(const struct tls *t)
{
	(void)t;
	return 0;
}

int
tls_unsent(const struct tls *t)
{
	(void)t;
	return 0;
}

int
tls_pending(const struct tls *t)
{
	(void)t;
	return 0;
}

void
tls_close_notify(struct tls *t)
{
	(void)t;
}

int
tls_peer_user(const struct tls *t, char *buf, size_t len)
{
	(void)t;
	(void)buf;
	(void)len;
	return -1;
}

const char *
tls_describe(const struct tls *t, char *buf, size_t len)
{
	(void)t;
	snprintf(buf, len, "no TLS");
	return buf;
}
