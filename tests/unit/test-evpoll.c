/*
 * test-evpoll: Avahi's main-loop API over libevent (src/dnssd/evpoll.c)
 * as avahi-client's D-Bus glue uses it: a watch reports input, changes
 * what it waits for and frees itself from inside its own callback; a
 * timeout fires once at its absolute time, not again until updated, not
 * at all once disabled, and may be freed from its callback; nothing is
 * left when all are freed.  Order, not time, is what is checked: a later
 * timeout ends each run of the loop.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "../../src/dnssd/evpoll.h"
#include "tcheck.h"

struct seen {
	int		 in, out, other;
	int		 fired;
	int		 free_self;	/* free the watch or timeout when called */
	int		 stop_out;	/* watch: after one OUT, wait for nothing */
	const AvahiPoll	*api;
	AvahiWatch	*w;
	AvahiTimeout	*t;
	struct event_base *base;
};

static void
watch_cb(AvahiWatch *w, int fd, AvahiWatchEvent ev, void *arg)
{
	struct seen	*s = arg;
	char		 c;

	if (ev == AVAHI_WATCH_IN) {
		s->in++;
		tcheck(read(fd, &c, 1) == 1, "the byte read");
		/* As D-Bus does when it has something to send. */
		s->api->watch_update(w, AVAHI_WATCH_OUT);
	} else if (ev == AVAHI_WATCH_OUT) {
		s->out++;
		tcheck(s->api->watch_get_events(w) == AVAHI_WATCH_OUT,
		    "watch_get_events in the callback");
		if (s->free_self) {
			s->api->watch_free(w);
			s->w = NULL;
		} else if (s->stop_out) {
			s->api->watch_update(w, 0);
		}
	} else {
		s->other++;
	}
}

static void
timeout_cb(AvahiTimeout *t, void *arg)
{
	struct seen	*s = arg;

	s->fired++;
	if (s->free_self) {
		s->api->timeout_free(t);
		s->t = NULL;
	}
}

/* Ends a run of the loop: a timeout after the others. */
static void
end_cb(AvahiTimeout *t, void *arg)
{
	(void)t;
	event_base_loopbreak(arg);
}

static void
in_ms(struct timeval *tv, int ms)
{
	struct timeval	d = { ms / 1000, (ms % 1000) * 1000 };

	gettimeofday(tv, NULL);
	if (ms >= 0) {
		timeradd(tv, &d, tv);
	} else {
		d.tv_sec = -ms / 1000;
		d.tv_usec = (-ms % 1000) * 1000;
		timersub(tv, &d, tv);
	}
}

/* Run the loop until an end timeout ms from now fires. */
static void
run_until(struct evpoll *ep, struct event_base *base, int ms)
{
	const AvahiPoll	*api = evpoll_api(ep);
	struct timeval	 tv;
	AvahiTimeout	*end;

	in_ms(&tv, ms);
	end = api->timeout_new(api, &tv, end_cb, base);
	(void)event_base_dispatch(base);
	api->timeout_free(end);
}

static void
test_watch(struct event_base *base)
{
	struct evpoll	*ep = evpoll_new(base);
	struct seen	 s;
	int		 sv[2];

	memset(&s, 0, sizeof s);
	s.api = evpoll_api(ep);
	s.stop_out = 1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		abort();
	}
	s.w = s.api->watch_new(s.api, sv[0], AVAHI_WATCH_IN, watch_cb, &s);
	tcheck(s.w != NULL && evpoll_count(ep) == 1, "a watch");
	run_until(ep, base, 30);
	tcheck(s.in == 0 && s.out == 0, "nothing to read: no callback");
	tcheck(write(sv[1], "x", 1) == 1, "a byte written");
	run_until(ep, base, 30);
	tcheck(s.in == 1, "input reported once (%d)", s.in);
	tcheck(s.out == 1, "OUT asked for in the callback, reported once, "
	    "then not waited for (%d)", s.out);
	tcheck(s.other == 0, "no other event");

	/* Freed from inside its own callback. */
	s.stop_out = 0;
	s.free_self = 1;
	s.api->watch_update(s.w, AVAHI_WATCH_OUT);
	run_until(ep, base, 30);
	tcheck(s.out == 2 && s.w == NULL && evpoll_count(ep) == 0,
	    "a watch freed in its callback: gone (%d)", s.out);
	tcheck(write(sv[1], "y", 1) == 1, "another byte written");
	run_until(ep, base, 30);
	tcheck(s.in == 1, "and nothing after");
	close(sv[0]);
	close(sv[1]);
	evpoll_free(ep);
}

static void
test_timeout(struct event_base *base)
{
	struct evpoll	*ep = evpoll_new(base);
	struct seen	 s, t;
	struct timeval	 tv;

	memset(&s, 0, sizeof s);
	memset(&t, 0, sizeof t);
	s.api = t.api = evpoll_api(ep);
	in_ms(&tv, 10);
	s.t = s.api->timeout_new(s.api, &tv, timeout_cb, &s);
	run_until(ep, base, 60);
	tcheck(s.fired == 1, "a timeout fires once (%d)", s.fired);
	run_until(ep, base, 30);
	tcheck(s.fired == 1, "and not again until updated (%d)", s.fired);

	in_ms(&tv, -1000);
	s.api->timeout_update(s.t, &tv);
	run_until(ep, base, 30);
	tcheck(s.fired == 2, "a time already past fires at once (%d)",
	    s.fired);

	in_ms(&tv, 10);
	s.api->timeout_update(s.t, &tv);
	s.api->timeout_update(s.t, NULL);
	run_until(ep, base, 60);
	tcheck(s.fired == 2, "disabled: does not fire (%d)", s.fired);

	t.free_self = 1;
	t.t = t.api->timeout_new(t.api, NULL, timeout_cb, &t);
	run_until(ep, base, 20);
	tcheck(t.fired == 0, "made disabled: does not fire");
	in_ms(&tv, 0);
	t.api->timeout_update(t.t, &tv);
	run_until(ep, base, 30);
	tcheck(t.fired == 1 && t.t == NULL, "freed in its callback");

	tcheck(evpoll_count(ep) == 1, "one left (%u)", evpoll_count(ep));
	s.api->timeout_free(s.t);
	tcheck(evpoll_count(ep) == 0, "none left");
	evpoll_free(ep);
}

int
main(void)
{
	struct event_base	*base = event_base_new();

	if (base == NULL) {
		return 1;
	}
	test_watch(base);
	test_timeout(base);
	event_base_free(base);
	printf("%d passed, %d failed\n", tcheck_pass, tcheck_fail);
	return tcheck_fail != 0;
}
