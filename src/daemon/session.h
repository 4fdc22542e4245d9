/*
 * session: one login session, a Telnet peer on one side and a program on
 * a fresh pty on the other.
 *
 * Data moves through two bounded queues, one each way.  The pty is read
 * only while the queue to the peer has room and the peer only while the
 * queue to the pty has room, so a session holds at most
 * SESSION_OUT_MAX + SESSION_REPLY_MAX + SESSION_IN_MAX bytes whatever
 * either side does.
 */
#ifndef TTYHUB_SESSION_H
#define TTYHUB_SESSION_H

#include <sys/socket.h>

struct server;
struct login_svc;
struct tls_ctx;

#define SESSION_OUT_MAX		(64 * 1024)	/* pty output queued to peer */
#define SESSION_REPLY_MAX	(16 * 1024)	/* our replies beyond that */
#define SESSION_IN_MAX		(16 * 1024)	/* peer input queued to pty */

/*
 * Start a session of service svc for a connected peer: rfd is read and
 * wfd written (the same socket, or stdin and stdout in inetd mode).  The session owns the
 * fds from here on, even when it fails.  Returns 0 or -1.
 */
int	session_start(struct server *srv, struct login_svc *svc, int rfd,
	    int wfd, const struct sockaddr *peer, socklen_t peerlen);

/*
 * The same over TLS made from ctx, on one socket fd: the handshake
 * first (within TLS_HANDSHAKE_MS, counted as negotiating), then the
 * session as any other.
 */
int	session_start_tls(struct server *srv, struct login_svc *svc, int fd,
	    const struct sockaddr *peer, socklen_t peerlen,
	    struct tls_ctx *ctx);

/* Close every session at once (shutdown). */
void	session_close_all(struct server *srv);

#endif
