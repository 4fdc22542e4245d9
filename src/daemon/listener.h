/*
 * listener: a listening socket that hands each connection to its
 * owner's callback: a login session, a console client, the broker, a
 * vhost-user device's frontend.
 */
#ifndef TTYHUB_LISTENER_H
#define TTYHUB_LISTENER_H

#include <sys/socket.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

struct cfg_listen;
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
 * What a listener hands each connection to: the owner takes fd (non-
 * blocking, close-on-exec) from then on; sa is the peer's address and
 * via the listener's listener_id.
 */
typedef void	(*listener_cb)(void *arg, int fd, const struct sockaddr *sa,
		    socklen_t salen, uint64_t via);

/* Accept connections on fd (already listening) for cb. */
struct listener	*listener_new(struct server *srv, int fd, listener_cb cb,
		    void *arg);

/*
 * Listen as `how` says (its address and unix socket mode and owners;
 * what a connection becomes is the callback's).  Returns NULL with a
 * message in err.
 */
struct listener	*listener_open(struct server *srv, const struct cfg_listen *how,
		    listener_cb cb, void *arg, char *err, size_t errlen);

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
