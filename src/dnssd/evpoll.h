/*
 * evpoll: Avahi's main-loop abstraction (AvahiPoll) over the process's
 * one libevent loop, for the daemon's publisher and the client's
 * browser.  Avahi's own simple-poll and threaded-poll each want a loop
 * or a thread of their own; this lets avahi-client's D-Bus traffic wake
 * the same loop as everything else.
 */
#ifndef TTYHUB_EVPOLL_H
#define TTYHUB_EVPOLL_H

#include <avahi-common/watch.h>

struct event_base;
struct evpoll;

/* An AvahiPoll whose watches and timeouts are events of base. */
struct evpoll	*evpoll_new(struct event_base *base);

/* The AvahiPoll to give avahi_client_new; it lives as long as ep. */
const AvahiPoll	*evpoll_api(const struct evpoll *ep);

/*
 * How many watches and timeouts Avahi holds (tests: a client freed must
 * leave none).
 */
unsigned	 evpoll_count(const struct evpoll *ep);

/* Free ep; every Avahi object made with it must have been freed first. */
void		 evpoll_free(struct evpoll *ep);

#endif
