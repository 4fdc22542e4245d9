/*
 * listener: a listening socket whose connections become login sessions,
 * console clients, or broker clients.
 */
#ifndef TTYHUB_LISTENER_H
#define TTYHUB_LISTENER_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

struct cfg_listen;
struct console;
struct server;
struct listener;

/*
 * Bind and listen on host (numeric, NULL for every address) and port.
 * Returns the socket, or -1 with a message for the user in err.
 */
int	listener_bind(const char *host, unsigned port, char *err, size_t errlen);

/*
 * Bind and listen on a unix socket path with the given mode, owner and
 * group ((uid_t)-1 and (gid_t)-1 leave them).  A stale socket left by a
 * dead daemon is replaced; a live one, or any other file, is an error.
 * Returns the socket, or -1 with a message in err and errno set:
 * EADDRINUSE when another process listens there.
 */
int	listener_bind_unix(const char *path, mode_t mode, uid_t owner,
	    gid_t group, char *err, size_t errlen);

/*
 * Accept connections on fd (already listening) into login sessions of svc
 * (held while the listener lives).
 */
struct login_svc;
struct listener	*listener_new(struct server *srv, int fd, struct login_svc *svc);

/*
 * Listen as `how` says, for console con, or for the broker if con is
 * NULL.  Returns NULL with a message in err.
 */
struct listener	*listener_open(struct server *srv, const struct cfg_listen *how,
		    struct console *con, char *err, size_t errlen);

/*
 * Listen on a unix socket path made with mode, and hand each connection
 * (non-blocking, close-on-exec) to call(arg, fd), which owns it from
 * then on.  Returns NULL with a message in err.
 */
struct listener	*listener_open_call(struct server *srv, const char *path,
		    mode_t mode, void (*call)(void *, int), void *arg,
		    char *err, size_t errlen);

/* Make a listener from listener_open serve login sessions of svc. */
void		 listener_serve_login(struct listener *l, struct login_svc *svc);

/* Stop listening; a unix socket we made is removed. */
void		 listener_free(struct listener *l);

/* "127.0.0.1 port 7001" or the path, for messages. */
const char	*listener_name(const struct listener *l);

/*
 * A number no other listener of this process has had, which its clients
 * carry (client_close_via closes them when the listener changes).
 */
uint64_t	 listener_id(const struct listener *l);

#endif
