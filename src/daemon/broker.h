/*
 * broker: where a client names the console it wants (doc/PROTOCOL.md):
 * in NEW-ENVIRON (TTYHUB_CONSOLE, TTYHUB_MODE, TTYHUB_COMMAND), or at a
 * prompt for people with a plain telnet.  A connection is the broker's
 * from accept until a console is named; then it goes to client.c
 * (client_adopt), one way, with its Telnet state and everything queued,
 * and the broker is done with it.
 */
#ifndef TTYHUB_BROKER_H
#define TTYHUB_BROKER_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdint.h>

struct cfg_listen;
struct server;
struct broker;

TAILQ_HEAD(broker_list, broker);

/*
 * A connection to a broker listener (how is its options, via its
 * listener_id).  The broker owns fd from here on.
 */
void	broker_accept(struct server *srv, int fd, const struct sockaddr *sa,
	    socklen_t salen, const struct cfg_listen *how, uint64_t via);

/* Close every connection still at the broker (shutdown). */
void	broker_close_all(struct server *srv);

#endif
