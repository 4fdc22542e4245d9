/*
 * server: what every part of the daemon shares: the event base, the
 * settings from the command line, and the counts that limits are checked
 * against.
 */
#ifndef TTYHUB_SERVER_H
#define TTYHUB_SERVER_H

#include <sys/queue.h>
#include <stddef.h>

#include "log.h"
#include "login.h"

/* glibc's sys/queue.h lacks the BSDs' safe iterator. */
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST((head));				\
	    (var) && ((tvar) = TAILQ_NEXT((var), field), 1);		\
	    (var) = (tvar))
#endif

struct event_base;
struct session;
struct console;
struct conn;
struct broker;
struct config;
struct hub;
struct network;
struct tls_ctx;
struct publish;

TAILQ_HEAD(session_list, session);
TAILQ_HEAD(console_list, console);
TAILQ_HEAD(server_conns, conn);
TAILQ_HEAD(server_brokers, broker);
TAILQ_HEAD(network_list, network);

struct server {
	struct event_base	*base;

	/* Login sessions: the command line's service (-l, -K, -f, ...). */
	struct login_svc	 cli;
	unsigned		 max_sessions;
	unsigned		 max_pending;
	unsigned		 negotiate_ms;
	unsigned		 linger_ms;	/* flush time for a closing peer */

	/* State. */
	struct session_list	 sessions;	/* oldest first */
	unsigned		 nsessions;
	unsigned		 npending;	/* still negotiating */
	int			 inetd;		/* -i: stop with the session */

	/* Consoles (-c FILE). */
	struct config		*cfg;		/* the running configuration */
	struct hub		*hub;		/* its listeners and services */
	struct tls_ctx		*tls;		/* for ,tls listeners */
	struct publish		*publish;	/* the broker on DNS-SD */
	struct console_list	 consoles;
	struct server_conns	 conns;		/* every client connection */
	struct server_brokers	 brokers;	/* those still at the broker */
	struct network_list	 networks;	/* [network] sections running */
	unsigned		 nclients;	/* connections, counted */
	unsigned		 ntcp;		/* of them over TCP */
	unsigned		 max_clients;
	unsigned		 max_per_source;

	/* Connections refused at a limit: anyone can make more. */
	struct log_rate		 lr_sessions;
	struct log_rate		 lr_clients;
};

#endif
