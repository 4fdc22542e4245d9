/*
 * tls: TLS on a non-blocking socket, through OpenSSL's libssl, for both
 * sides: the daemon's listeners (a server context made from the files
 * tls-cert, tls-key and tls-ca name) and the ttyhub client (a client
 * context that checks the server's certificate and name).
 *
 * No loop and no log: a call that cannot go on says which way the
 * socket must become ready (tls_want), and the caller waits for that in
 * its own loop.  A write takes what it reports taken for good: a record
 * built but not yet sent (the socket was full) is kept here, copied,
 * and goes out first on the next call, so a caller may treat written
 * bytes as written whatever it sends next (ring positions, queues).
 * tls_unsent says a record waits; the caller then waits for writable.
 */
#ifndef TTYHUB_TLS_H
#define TTYHUB_TLS_H

#include <sys/types.h>
#include <sys/uio.h>
#include <stddef.h>

#define TLS_WANT_READ		1
#define TLS_WANT_WRITE		2

#define TLS_USER_MAX		32	/* a user name from a certificate */
#define TLS_HANDSHAKE_MS	10000	/* a server's handshake, at most */

struct tls_ctx;
struct tls;

/*
 * The daemon's context: the certificate chain in cert (PEM), its key in
 * key, and, with ca not NULL, the certificates client certificates are
 * verified against (asked for, not required).  TLS 1.2 and 1.3, forward
 * secret AEAD suites only, no compression, no renegotiation, no session
 * tickets.  NULL with a message in err.
 */
struct tls_ctx	*tls_ctx_server(const char *cert, const char *key,
		    const char *ca, char *err, size_t errlen);

/*
 * The client's context: the server's certificate is verified against
 * ca, or the system's store when ca is NULL; cert and key (both or
 * neither) are the client's own.
 */
struct tls_ctx	*tls_ctx_client(const char *ca, const char *cert,
		    const char *key, char *err, size_t errlen);

/* Connections made from ctx keep it until they are freed. */
void		 tls_ctx_free(struct tls_ctx *ctx);

/*
 * TLS over fd (not owned: the caller closes it).  host, for a client,
 * is the name the server's certificate must carry (a DNS name or an IP
 * address); NULL on the server.  NULL when out of memory.
 */
struct tls	*tls_new(struct tls_ctx *ctx, int fd, const char *host);
void		 tls_free(struct tls *t);

/*
 * Go on with the handshake: 1 when it is over, 0 to be called again
 * once the socket is as tls_want says, -1 when it failed (why in err).
 */
int		 tls_handshake(struct tls *t, char *err, size_t errlen);

/*
 * Like read(2) and write(2): a count, 0 at the peer's end (read), or -1
 * with errno: EAGAIN when the socket must become as tls_want says, EPIPE
 * when the peer broke the protocol or went.
 */
ssize_t		 tls_read(struct tls *t, void *buf, size_t len);
ssize_t		 tls_write(struct tls *t, const void *buf, size_t len);
ssize_t		 tls_writev(struct tls *t, const struct iovec *iov,
		    int cnt);

/* Send a record still waiting: 0 when none waits, -1 as tls_write. */
int		 tls_push(struct tls *t);

/* Which readiness the last call that could not go on waits for. */
int		 tls_want(const struct tls *t);
/* A record built and not yet sent (tls_push sends it). */
int		 tls_unsent(const struct tls *t);
/* Bytes read and decrypted, not yet taken: no socket event for them. */
int		 tls_pending(const struct tls *t);

/* Our close_notify, one try (before shutdown(SHUT_WR)). */
void		 tls_close_notify(struct tls *t);

/*
 * The user a verified client certificate names: its subject's common
 * name, when that is a valid user name (tn_user_valid's rule), into
 * buf.  0, or -1 when there is no such certificate.
 */
int		 tls_peer_user(const struct tls *t, char *buf, size_t len);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384", for the log. */
const char	*tls_describe(const struct tls *t, char *buf, size_t len);

#endif
