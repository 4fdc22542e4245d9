/*
 * tls: TLS on a non-blocking socket.  See tls.h.
 *
 * OpenSSL is used on the socket itself (SSL_set_fd), not through
 * libevent's bufferevent_openssl: the daemon's connections are fds
 * with their own read and write interest, and console output goes from
 * the ring to the socket without a copy; a bufferevent would put a
 * queue of its own under every client.  SSL_write does not take a
 * record back once it is built, so a record the socket did not take
 * is copied here (at most TLS_RECORD_MAX bytes, only while it waits)
 * and its bytes count as written: SSL_MODE_ENABLE_PARTIAL_WRITE with
 * writes of at most one record make that record exactly what the call
 * was given.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "../telnet/tn.h"

/*
 * The client's build (TTYHUB_TLS_LAZY 1) calls OpenSSL through a table
 * filled when its first context is made (tls-lib.h); the daemon's links
 * libssl.
 */
#ifndef TTYHUB_TLS_LAZY
#define TTYHUB_TLS_LAZY	0
#endif
#if TTYHUB_TLS_LAZY
#include "tls-lib.h"
#endif

#define TLS_RECORD_MAX	16384	/* plaintext in one record */

/*
 * TLS 1.2 suites: ephemeral key exchange and AEAD only (Mozilla's
 * "intermediate" list); anonymous and static-RSA suites are not in it,
 * and !aNULL keeps them out whatever OpenSSL adds.  TLS 1.3's suites are
 * all of that kind.
 */
#define TLS_CIPHERS	"ECDHE-ECDSA-AES128-GCM-SHA256:"		\
			"ECDHE-RSA-AES128-GCM-SHA256:"			\
			"ECDHE-ECDSA-AES256-GCM-SHA384:"		\
			"ECDHE-RSA-AES256-GCM-SHA384:"			\
			"ECDHE-ECDSA-CHACHA20-POLY1305:"		\
			"ECDHE-RSA-CHACHA20-POLY1305:"			\
			"DHE-RSA-AES128-GCM-SHA256:"			\
			"DHE-RSA-AES256-GCM-SHA384:"			\
			"DHE-RSA-CHACHA20-POLY1305:!aNULL:!eNULL"

struct tls_ctx {
	SSL_CTX		*ssl;
	int		 server;
};

struct tls {
	SSL		*ssl;
	int		 want;		/* TLS_WANT_* of the last EAGAIN */
	int		 done;		/* handshake over */
	unsigned char	*wbuf;		/* a record's bytes, while it waits */
	size_t		 wlen;
};

/* OpenSSL's first error, with what we were doing. */
static void
tls_err(char *err, size_t errlen, const char *what, const char *file)
{
	unsigned long	e = ERR_get_error();
	char		buf[256];

	if (e == 0) {
		snprintf(buf, sizeof buf, "%s", errno != 0 ? strerror(errno) :
		    "failed");
	} else {
		ERR_error_string_n(e, buf, sizeof buf);
	}
	ERR_clear_error();
	if (file != NULL) {
		snprintf(err, errlen, "%s %s: %s", what, file, buf);
	} else {
		snprintf(err, errlen, "%s: %s", what, buf);
	}
}

/* Either side's context, with what both sides set. */
static SSL_CTX *
tls_ctx_common(int server, char *err, size_t errlen)
{
	SSL_CTX	*s;

#if TTYHUB_TLS_LAZY
	if (tls_lib_open(err, errlen) == -1) {
		return NULL;
	}
#endif
	if ((s = SSL_CTX_new(server ? TLS_server_method() :
	    TLS_client_method())) == NULL) {
		tls_err(err, errlen, "TLS", NULL);
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(s, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(s, TLS_CIPHERS) != 1) {
		tls_err(err, errlen, "TLS settings", NULL);
		SSL_CTX_free(s);
		return NULL;
	}
	/*
	 * No renegotiation (a peer could make us work at will), no
	 * compression (CRIME), a peer that closes without close_notify is
	 * at its end (a console stream has no length to be cut short of).
	 */
	SSL_CTX_set_options(s, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	    SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_TICKET);
	/*
	 * Idle connections give their buffers back (about 34 KiB each);
	 * writes return after each record, and the retry of a waiting one
	 * passes our copy.
	 */
	SSL_CTX_set_mode(s, SSL_MODE_RELEASE_BUFFERS |
	    SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return s;
}

/* The certificate chain and its key, which must match. */
static int
tls_ctx_own(SSL_CTX *s, const char *cert, const char *key, char *err,
    size_t errlen)
{
	if (SSL_CTX_use_certificate_chain_file(s, cert) != 1) {
		tls_err(err, errlen, "tls-cert", cert);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(s, key, SSL_FILETYPE_PEM) != 1) {
		tls_err(err, errlen, "tls-key", key);
		return -1;
	}
	if (SSL_CTX_check_private_key(s) != 1) {
		tls_err(err, errlen, "tls-key", key);
		return -1;
	}
	return 0;
}

struct tls_ctx *
tls_ctx_server(const char *cert, const char *key, const char *ca, char *err,
    size_t errlen)
{
	struct tls_ctx		*ctx;
	STACK_OF(X509_NAME)	*names;
	static const unsigned char sid[] = "ttyhubd";

	if ((ctx = calloc(1, sizeof *ctx)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ctx->server = 1;
	if ((ctx->ssl = tls_ctx_common(1, err, errlen)) == NULL) {
		free(ctx);
		return NULL;
	}
	SSL_CTX_set_session_cache_mode(ctx->ssl, SSL_SESS_CACHE_OFF);
	(void)SSL_CTX_set_num_tickets(ctx->ssl, 0);
	(void)SSL_CTX_set_session_id_context(ctx->ssl, sid, sizeof sid - 1);
	if (tls_ctx_own(ctx->ssl, cert, key, err, errlen) == -1) {
		tls_ctx_free(ctx);
		return NULL;
	}
	if (ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx->ssl, ca, NULL) != 1 ||
		    (names = SSL_load_client_CA_file(ca)) == NULL) {
			tls_err(err, errlen, "tls-ca", ca);
			tls_ctx_free(ctx);
			return NULL;
		}
		SSL_CTX_set_client_CA_list(ctx->ssl, names);
		/* Asked for, not required: a password may do instead. */
		SSL_CTX_set_verify(ctx->ssl, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_verify_depth(ctx->ssl, 8);
	}
	return ctx;
}

struct tls_ctx *
tls_ctx_client(const char *ca, const char *cert, const char *key,
    char *err, size_t errlen)
{
	struct tls_ctx	*ctx;

	if ((ctx = calloc(1, sizeof *ctx)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((ctx->ssl = tls_ctx_common(0, err, errlen)) == NULL) {
		free(ctx);
		return NULL;
	}
	if (ca != NULL ? SSL_CTX_load_verify_locations(ctx->ssl, ca,
	    NULL) != 1 : SSL_CTX_set_default_verify_paths(ctx->ssl) != 1) {
		tls_err(err, errlen, "CA certificates", ca);
		tls_ctx_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx->ssl, SSL_VERIFY_PEER, NULL);
	if (cert != NULL && tls_ctx_own(ctx->ssl, cert, key != NULL ? key :
	    cert, err, errlen) == -1) {
		tls_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

void
tls_ctx_free(struct tls_ctx *ctx)
{
	if (ctx != NULL) {
		SSL_CTX_free(ctx->ssl);	/* connections hold references */
		free(ctx);
	}
}

struct tls *
tls_new(struct tls_ctx *ctx, int fd, const char *host)
{
	struct tls	*t;
	unsigned char	 ip[16];
	X509_VERIFY_PARAM *vp;

	if ((t = calloc(1, sizeof *t)) == NULL) {
		return NULL;
	}
	if ((t->ssl = SSL_new(ctx->ssl)) == NULL || SSL_set_fd(t->ssl,
	    fd) != 1) {
		goto fail;
	}
	if (ctx->server) {
		SSL_set_accept_state(t->ssl);
		return t;
	}
	SSL_set_connect_state(t->ssl);
	if (host != NULL) {
		vp = SSL_get0_param(t->ssl);
		X509_VERIFY_PARAM_set_hostflags(vp,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (inet_pton(AF_INET, host, ip) == 1 ||
		    inet_pton(AF_INET6, host, ip) == 1) {
			if (X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1) {
				goto fail;
			}
		} else if (SSL_set_tlsext_host_name(t->ssl, host) != 1 ||
		    X509_VERIFY_PARAM_set1_host(vp, host, 0) != 1) {
			goto fail;
		}
	}
	return t;
fail:
	ERR_clear_error();
	tls_free(t);
	return NULL;
}

void
tls_free(struct tls *t)
{
	if (t == NULL) {
		return;
	}
	SSL_free(t->ssl);
	if (t->wbuf != NULL) {
		explicit_bzero(t->wbuf, TLS_RECORD_MAX);
		free(t->wbuf);
	}
	free(t);
}

/* What a call that returned r <= 0 means, as errno. */
static ssize_t
tls_fail(struct tls *t, int r)
{
	switch (SSL_get_error(t->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		t->want = TLS_WANT_READ;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		t->want = TLS_WANT_WRITE;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno == EAGAIN || errno == EINTR) {
			t->want = TLS_WANT_READ;
			errno = EAGAIN;
			return -1;
		}
		break;
	}
	ERR_clear_error();
	errno = EPIPE;
	return -1;
}

int
tls_handshake(struct tls *t, char *err, size_t errlen)
{
	long	v;
	int	r;

	if (t->done) {
		return 1;
	}
	ERR_clear_error();
	errno = 0;
	if ((r = SSL_do_handshake(t->ssl)) == 1) {
		t->done = 1;
		return 1;
	}
	switch (SSL_get_error(t->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		t->want = TLS_WANT_READ;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		t->want = TLS_WANT_WRITE;
		return 0;
	}
	if ((v = SSL_get_verify_result(t->ssl)) != X509_V_OK) {
		snprintf(err, errlen, "certificate: %s",
		    X509_verify_cert_error_string(v));
		ERR_clear_error();
	} else if (ERR_peek_error() == 0) {
		snprintf(err, errlen, "%s", errno != 0 ? strerror(errno) :
		    "the peer closed the connection");
	} else {
		tls_err(err, errlen, "handshake", NULL);
	}
	return -1;
}

ssize_t
tls_read(struct tls *t, void *buf, size_t len)
{
	int	r;

	if (len > INT32_MAX) {
		len = INT32_MAX;
	}
	ERR_clear_error();
	errno = 0;
	if ((r = SSL_read(t->ssl, buf, (int)len)) > 0) {
		return r;
	}
	return tls_fail(t, r);
}

int
tls_push(struct tls *t)
{
	int	r;

	if (t->wlen == 0) {
		return 0;
	}
	ERR_clear_error();
	errno = 0;
	if ((r = SSL_write(t->ssl, t->wbuf, (int)t->wlen)) <= 0) {
		(void)tls_fail(t, r);
		if (errno == 0) {
			errno = EPIPE;
		}
		return -1;
	}
	t->wlen = 0;
	return 0;
}

ssize_t
tls_write(struct tls *t, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	size_t			 total = 0, n;
	int			 r;

	if (tls_push(t) == -1) {
		return -1;
	}
	while (total < len) {
		n = len - total < TLS_RECORD_MAX ? len - total :
		    TLS_RECORD_MAX;
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_write(t->ssl, p + total, (int)n)) > 0) {
			total += (size_t)r;
			continue;
		}
		if (SSL_get_error(t->ssl, r) != SSL_ERROR_WANT_WRITE) {
			/* What went is told now; the failure next time. */
			return total > 0 ? (ssize_t)total : tls_fail(t, r);
		}
		/* The record holds these n bytes, and will go: taken. */
		if (t->wbuf == NULL &&
		    (t->wbuf = malloc(TLS_RECORD_MAX)) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		memcpy(t->wbuf, p + total, n);
		t->wlen = n;
		t->want = TLS_WANT_WRITE;
		total += n;
		break;
	}
	return (ssize_t)total;
}

ssize_t
tls_writev(struct tls *t, const struct iovec *iov, int cnt)
{
	ssize_t	w, total = 0;
	int	i;

	for (i = 0; i < cnt; i++) {
		if (iov[i].iov_len == 0) {
			continue;
		}
		w = tls_write(t, iov[i].iov_base, iov[i].iov_len);
		if (w == -1) {
			return total > 0 ? total : -1;
		}
		total += w;
		if ((size_t)w < iov[i].iov_len || t->wlen > 0) {
			break;
		}
	}
	return total;
}

int
tls_want(const struct tls *t)
{
	return t->want;
}

int
tls_unsent(const struct tls *t)
{
	return t->wlen > 0;
}

int
tls_pending(const struct tls *t)
{
	return SSL_pending(t->ssl) > 0;
}

void
tls_close_notify(struct tls *t)
{
	if (t->done && t->wlen == 0) {
		ERR_clear_error();
		(void)SSL_shutdown(t->ssl);
		ERR_clear_error();
	}
}

int
tls_peer_user(const struct tls *t, char *buf, size_t len)
{
	X509		*x;
	X509_NAME	*name;
	X509_NAME_ENTRY	*e;
	unsigned char	*cn = NULL;
	int		 i, n, ok = -1;

	if (SSL_get_verify_result(t->ssl) != X509_V_OK ||
	    (x = SSL_get1_peer_certificate(t->ssl)) == NULL) {
		return -1;
	}
	/* One CN, so that which of several counts is no question. */
	name = X509_get_subject_name(x);
	if ((i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) >= 0 &&
	    X509_NAME_get_index_by_NID(name, NID_commonName, i) < 0 &&
	    (e = X509_NAME_get_entry(name, i)) != NULL &&
	    (n = ASN1_STRING_to_UTF8(&cn, X509_NAME_ENTRY_get_data(e))) > 0 &&
	    (size_t)n < len && tn_user_valid((const char *)cn, (size_t)n)) {
		memcpy(buf, cn, (size_t)n);
		buf[n] = '\0';
		ok = 0;
	}
	OPENSSL_free(cn);
	X509_free(x);
	return ok;
}

const char *
tls_describe(const struct tls *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s", SSL_get_version(t->ssl),
	    SSL_get_cipher_name(t->ssl));
	return buf;
}
