/*
 * evpoll: AvahiPoll over libevent.  See evpoll.h.
 *
 * A watch is two persistent events on its fd, one for reading and one
 * for writing, added or deleted as Avahi asks, so a watch can change
 * what it waits for from inside its own callback without an event being
 * reassigned while it runs.  libevent has no separate error or hangup
 * condition: poll and epoll report both as readable (and writable), and
 * the reader finds the error, which is what D-Bus's transport does.
 *
 * Avahi's timeouts are absolute times of gettimeofday(2); each becomes a
 * libevent timer for the time left, counted once when it is set.  A
 * timeout fires once and is then disabled until Avahi updates it.
 *
 * Avahi may free a watch or a timeout from inside its own callback, and
 * libevent lets an event be freed from its callback, so nothing here
 * touches either after the callback returns.
 */
#include <sys/time.h>

#include <stdlib.h>

#include <event2/event.h>

#include "evpoll.h"

struct evpoll {
	AvahiPoll		 api;	/* first: Avahi hands &api back */
	struct event_base	*base;
	unsigned		 nwatch;
	unsigned		 ntimeout;
};

struct AvahiWatch {
	struct evpoll		*ep;
	int			 fd;
	AvahiWatchEvent		 want;
	AvahiWatchEvent		 got;	/* during the callback */
	struct event		*rd;
	struct event		*wr;
	AvahiWatchCallback	 cb;
	void			*arg;
};

struct AvahiTimeout {
	struct evpoll		*ep;
	struct event		*ev;
	AvahiTimeoutCallback	 cb;
	void			*arg;
};

static void
evpoll_watch_fire(evutil_socket_t fd, short what, void *arg)
{
	AvahiWatch	*w = arg;

	w->got = (what & EV_READ) != 0 ? AVAHI_WATCH_IN : AVAHI_WATCH_OUT;
	w->cb(w, (int)fd, w->got, w->arg);
}

static void
evpoll_watch_update(AvahiWatch *w, AvahiWatchEvent event)
{
	w->want = event;
	if ((event & AVAHI_WATCH_IN) != 0) {
		(void)event_add(w->rd, NULL);
	} else {
		(void)event_del(w->rd);
	}
	if ((event & AVAHI_WATCH_OUT) != 0) {
		(void)event_add(w->wr, NULL);
	} else {
		(void)event_del(w->wr);
	}
}

static void
evpoll_watch_free(AvahiWatch *w)
{
	if (w == NULL) {
		return;
	}
	if (w->rd != NULL) {
		event_free(w->rd);
	}
	if (w->wr != NULL) {
		event_free(w->wr);
	}
	w->ep->nwatch--;
	free(w);
}

static AvahiWatch *
evpoll_watch_new(const AvahiPoll *api, int fd, AvahiWatchEvent event,
    AvahiWatchCallback cb, void *arg)
{
	struct evpoll	*ep = api->userdata;
	AvahiWatch	*w;

	if ((w = calloc(1, sizeof *w)) == NULL) {
		return NULL;
	}
	w->ep = ep;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	ep->nwatch++;
	w->rd = event_new(ep->base, fd, EV_READ | EV_PERSIST,
	    evpoll_watch_fire, w);
	w->wr = event_new(ep->base, fd, EV_WRITE | EV_PERSIST,
	    evpoll_watch_fire, w);
	if (w->rd == NULL || w->wr == NULL) {
		evpoll_watch_free(w);
		return NULL;
	}
	evpoll_watch_update(w, event);
	return w;
}

static AvahiWatchEvent
evpoll_watch_get_events(AvahiWatch *w)
{
	return w->got;
}

static void
evpoll_timeout_fire(evutil_socket_t fd, short what, void *arg)
{
	AvahiTimeout	*t = arg;

	(void)fd;
	(void)what;
	t->cb(t, t->arg);
}

static void
evpoll_timeout_update(AvahiTimeout *t, const struct timeval *tv)
{
	struct timeval	now, left;

	(void)event_del(t->ev);
	if (tv == NULL) {
		return;
	}
	(void)gettimeofday(&now, NULL);
	if (timercmp(tv, &now, <)) {
		timerclear(&left);
	} else {
		timersub(tv, &now, &left);
	}
	(void)event_add(t->ev, &left);
}

static void
evpoll_timeout_free(AvahiTimeout *t)
{
	if (t == NULL) {
		return;
	}
	if (t->ev != NULL) {
		event_free(t->ev);
	}
	t->ep->ntimeout--;
	free(t);
}

static AvahiTimeout *
evpoll_timeout_new(const AvahiPoll *api, const struct timeval *tv,
    AvahiTimeoutCallback cb, void *arg)
{
	struct evpoll	*ep = api->userdata;
	AvahiTimeout	*t;

	if ((t = calloc(1, sizeof *t)) == NULL) {
		return NULL;
	}
	t->ep = ep;
	t->cb = cb;
	t->arg = arg;
	ep->ntimeout++;
	if ((t->ev = evtimer_new(ep->base, evpoll_timeout_fire, t)) == NULL) {
		evpoll_timeout_free(t);
		return NULL;
	}
	evpoll_timeout_update(t, tv);
	return t;
}

struct evpoll *
evpoll_new(struct event_base *base)
{
	struct evpoll	*ep;

	if ((ep = calloc(1, sizeof *ep)) == NULL) {
		return NULL;
	}
	ep->base = base;
	ep->api.userdata = ep;
	ep->api.watch_new = evpoll_watch_new;
	ep->api.watch_update = evpoll_watch_update;
	ep->api.watch_get_events = evpoll_watch_get_events;
	ep->api.watch_free = evpoll_watch_free;
	ep->api.timeout_new = evpoll_timeout_new;
	ep->api.timeout_update = evpoll_timeout_update;
	ep->api.timeout_free = evpoll_timeout_free;
	return ep;
}

const AvahiPoll *
evpoll_api(const struct evpoll *ep)
{
	return &ep->api;
}

unsigned
evpoll_count(const struct evpoll *ep)
{
	return ep->nwatch + ep->ntimeout;
}

void
evpoll_free(struct evpoll *ep)
{
	free(ep);
}
