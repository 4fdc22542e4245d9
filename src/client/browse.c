/*
 * browse: _ttyhub._tcp and _ttyhub-tls._tcp services through
 * avahi-client, loaded the first time (browse-lib.h).  See browse.h.
 *
 * One AvahiClient on the client's own loop (src/dnssd/evpoll.c), made
 * without AVAHI_CLIENT_NO_FAIL: a user who asks for the network wants to
 * hear at once that avahi-daemon is not there.  A service browser
 * reports each service once per interface and address family; each
 * report is resolved (at most BROWSE_RESOLVE_MAX in all), and a service
 * is kept once, by its name, on TLS when it offers both kinds of broker,
 * and with an IPv4 address when it has one (an
 * IPv6 link-local one needs the interface, which we add as %NAME).
 * Avahi says "all for now" once its first queries have had their
 * answers; the browse ends then, once the resolvers it started are done,
 * or at the deadline, whichever is first.
 *
 * What the network says is capped on the way in: names and host names
 * are cleaned into fixed buffers, the TXT record is serialized into a
 * buffer larger than txt.c reads, so that Avahi never cuts a string
 * txt.c would see, and nothing is kept past BROWSE_HOSTS_MAX services.
 */
#include <sys/types.h>

#include <net/if.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "browse.h"
#include "clean.h"

#if TTYHUB_AVAHI

#include "../dnssd/evpoll.h"
#include "browse-lib.h"

/* The broker in the clear, and on TLS (publish.c names both). */
#define BROWSE_TYPE	"_ttyhub._tcp"
#define BROWSE_TYPE_TLS	"_ttyhub-tls._tcp"
#define BROWSE_TYPES	2

struct browse {
	struct event_base	*base;
	AvahiClient		*client;
	struct browse_host	*hosts;
	size_t			 max;
	size_t			 n;
	unsigned		 started;	/* resolvers, in all */
	unsigned		 pending;	/* of them, still running */
	int			 all_for_now;	/* browsers that said so */
	int			 done;
	char			*err;
	size_t			 errlen;
};

static void
browse_check_done(struct browse *b)
{
	if (!b->done && b->all_for_now == BROWSE_TYPES && b->pending == 0) {
		b->done = 1;
		event_base_loopbreak(b->base);
	}
}

static void
browse_fail(struct browse *b, const char *what, int error)
{
	if (!b->done) {
		snprintf(b->err, b->errlen, "%s: %s", what,
		    avahi_strerror(error));
		b->done = -1;
		event_base_loopbreak(b->base);
	}
}

/* The host name as people say it: without the ".local" it ends in. */
static void
browse_hostname(char *dst, size_t len, const char *host)
{
	size_t	n = strlen(host);

	if (n > 0 && host[n - 1] == '.') {
		n--;
	}
	if (n > 6 && strncmp(host + n - 6, ".local", 6) == 0) {
		n -= 6;
	}
	(void)clean_text(dst, len, host, n, 0);
}

/* A resolved service, kept (or preferred to what was kept) by name. */
static void
browse_keep(struct browse *b, AvahiIfIndex ifindex, const char *name,
    int tls, const char *host, const AvahiAddress *a, uint16_t port,
    AvahiStringList *txt)
{
	struct browse_host	*h = NULL;
	char			 service[sizeof h->service];
	char			 addr[AVAHI_ADDRESS_STR_MAX], ifname[IF_NAMESIZE];
	uint8_t			 rdata[TXT_RDATA_MAX + 512];
	size_t			 i, len;
	int			 v6 = a->proto == AVAHI_PROTO_INET6;

	if (avahi_address_snprint(addr, sizeof addr, a) == NULL) {
		return;
	}
	(void)clean_text(service, sizeof service, name, strlen(name), 0);
	for (i = 0; i < b->n; i++) {
		if (strcmp(b->hosts[i].service, service) == 0) {
			h = &b->hosts[i];
			break;
		}
	}
	/* TLS first, then IPv4: a daemon may offer both kinds of broker. */
	if (h != NULL && (h->tls > tls || (h->tls == tls && (!h->v6 || v6)))) {
		return;		/* the one kept is as good */
	}
	if (h == NULL) {
		if (b->n == b->max) {
			return;
		}
		h = &b->hosts[b->n++];
	}
	memset(h, 0, sizeof *h);
	memcpy(h->service, service, sizeof h->service);
	browse_hostname(h->host, sizeof h->host, host);
	h->v6 = v6;
	h->tls = tls;
	if (v6 && ifindex > 0 && if_indextoname((unsigned)ifindex,
	    ifname) != NULL && strncmp(addr, "fe80:", 5) == 0) {
		snprintf(h->where, sizeof h->where, "[%s%%%s]:%u", addr,
		    ifname, (unsigned)port);
	} else if (v6) {
		snprintf(h->where, sizeof h->where, "[%s]:%u", addr,
		    (unsigned)port);
	} else {
		snprintf(h->where, sizeof h->where, "%s:%u", addr,
		    (unsigned)port);
	}
	snprintf(h->url, sizeof h->url, "%s%s", tls ? "tls://" : "", h->where);
	/*
	 * The certificate must name the host as the record announced it
	 * (HOST.local), not as whatever address it resolved to.
	 */
	(void)clean_text(h->certname, sizeof h->certname, host,
	    strcspn(host, "\r\n"), 0);
	len = strlen(h->certname);
	if (len > 0 && h->certname[len - 1] == '.') {
		h->certname[len - 1] = '\0';
	}
	len = avahi_string_list_serialize(txt, rdata, sizeof rdata);
	h->has_txt = txt_parse(rdata, len, &h->txt) == 0;
}

static void
browse_resolved(AvahiServiceResolver *r, AvahiIfIndex ifindex,
    AvahiProtocol proto, AvahiResolverEvent event, const char *name,
    const char *type, const char *domain, const char *host,
    const AvahiAddress *a, uint16_t port, AvahiStringList *txt,
    AvahiLookupResultFlags flags, void *arg)
{
	struct browse	*b = arg;

	(void)proto;
	(void)domain;
	(void)flags;
	if (event == AVAHI_RESOLVER_FOUND && name != NULL && host != NULL &&
	    a != NULL) {
		browse_keep(b, ifindex, name,
		    type != NULL && strcmp(type, BROWSE_TYPE_TLS) == 0, host, a,
		    port, txt);
	}
	avahi_service_resolver_free(r);
	b->pending--;
	browse_check_done(b);
}

static void
browse_found(AvahiServiceBrowser *sb, AvahiIfIndex ifindex,
    AvahiProtocol proto, AvahiBrowserEvent event, const char *name,
    const char *type, const char *domain, AvahiLookupResultFlags flags,
    void *arg)
{
	struct browse	*b = arg;

	(void)flags;
	switch (event) {
	case AVAHI_BROWSER_NEW:
		if (b->started == BROWSE_RESOLVE_MAX) {
			break;
		}
		if (avahi_service_resolver_new(b->client, ifindex, proto, name,
		    type, domain, proto, 0, browse_resolved, b) != NULL) {
			b->started++;
			b->pending++;
		}
		break;
	case AVAHI_BROWSER_ALL_FOR_NOW:
		b->all_for_now++;
		browse_check_done(b);
		break;
	case AVAHI_BROWSER_FAILURE:
		browse_fail(b, "browsing", avahi_client_errno(
		    avahi_service_browser_get_client(sb)));
		break;
	case AVAHI_BROWSER_REMOVE:
	case AVAHI_BROWSER_CACHE_EXHAUSTED:
		break;
	}
}

static void
browse_client_cb(AvahiClient *c, AvahiClientState state, void *arg)
{
	struct browse	*b = arg;

	if (state == AVAHI_CLIENT_FAILURE) {
		browse_fail(b, "avahi-daemon", avahi_client_errno(c));
	}
}

static void
browse_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct browse	*b = arg;

	(void)fd;
	(void)what;
	if (!b->done) {
		b->done = 1;
		event_base_loopbreak(b->base);
	}
}

int
browse_run(struct event_base *base, unsigned ms, struct browse_host *hosts,
    size_t max, char *err, size_t errlen)
{
	struct timeval		 tv = { ms / 1000, (ms % 1000) * 1000 };
	struct browse		 b;
	struct evpoll		*ep;
	struct event		*deadline;
	static const char	*types[BROWSE_TYPES] = { BROWSE_TYPE,
				     BROWSE_TYPE_TLS };
	AvahiServiceBrowser	*sb = NULL;
	size_t			 i;
	int			 error = 0;

	memset(&b, 0, sizeof b);
	b.base = base;
	b.hosts = hosts;
	b.max = max;
	b.err = err;
	b.errlen = errlen;
	if (browse_lib_open(err, errlen) == -1) {
		return -1;
	}
	if ((ep = evpoll_new(base)) == NULL ||
	    (deadline = evtimer_new(base, browse_on_deadline, &b)) == NULL) {
		snprintf(err, errlen, "out of memory");
		evpoll_free(ep);
		return -1;
	}
	b.client = avahi_client_new(evpoll_api(ep), 0, browse_client_cb, &b,
	    &error);
	if (b.client == NULL) {
		snprintf(err, errlen, "%s", error == AVAHI_ERR_NO_DAEMON ?
		    "avahi-daemon is not running" : avahi_strerror(error));
		event_free(deadline);
		evpoll_free(ep);
		return -1;
	}
	for (i = 0; i < BROWSE_TYPES && !b.done; i++) {
		sb = avahi_service_browser_new(b.client, AVAHI_IF_UNSPEC,
		    AVAHI_PROTO_UNSPEC, types[i], NULL, 0, browse_found, &b);
		if (sb == NULL) {
			browse_fail(&b, "browsing", avahi_client_errno(b.client));
		}
	}
	if (!b.done) {
		(void)evtimer_add(deadline, &tv);
		while (!b.done) {
			if (event_base_loop(base, EVLOOP_ONCE) == -1) {
				break;
			}
		}
	}
	/* Frees the browsers and any resolver still running. */
	avahi_client_free(b.client);
	event_free(deadline);
	evpoll_free(ep);
	return b.done == -1 ? -1 : (int)b.n;
}

#else	/* !TTYHUB_AVAHI */

int
browse_run(struct event_base *base, unsigned ms, struct browse_host *hosts,
    size_t max, char *err, size_t errlen)
{
	(void)base;
	(void)ms;
	(void)hosts;
	(void)max;
	snprintf(err, errlen, "this ttyhub was built without DNS-SD (Avahi)");
	return -1;
}

#endif	/* TTYHUB_AVAHI */
