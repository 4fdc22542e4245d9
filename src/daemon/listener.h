/*
 * listener: a listening TCP socket whose connections become sessions.
 */
#ifndef TTYHUB_LISTENER_H
#define TTYHUB_LISTENER_H

struct server;
struct listener;

/*
 * Bind and listen on host (numeric, NULL for every address) and port.
 * Returns the socket, or -1 with a message for the user in err.
 */
int	listener_bind(const char *host, unsigned port, char *err, size_t errlen);

/* Accept connections on fd (already listening) into sessions. */
struct listener	*listener_new(struct server *srv, int fd);
void		 listener_free(struct listener *l);

#endif
