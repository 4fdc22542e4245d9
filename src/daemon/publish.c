/*
 * publish: the broker on DNS-SD through avahi-client.  See publish.h.
 *
 * One AvahiClient, made with AVAHI_CLIENT_NO_FAIL so that a missing
 * avahi-daemon is a state (CONNECTING) rather than an error: avahi-client
 * watches the bus for the daemon's name and calls back when it appears.
 * Without a system bus at all avahi_client_new fails, and a timer tries
 * again (1 s doubling to 30 s).  The client's state callback may run
 * inside avahi_client_new, so it works on the client it is given; a
 * client that lost the daemon is freed and made again from the timer,
 * never from inside its own callback.  Each outage is said once.
 *
 * The service is one entry group: the first broker listener on TCP that
 * is not on loopback, on the interface holding its address if it has
 * one, named "ttyhub on HOST" (another name Avahi offers on a clash).
 * A reload that changes only the consoles updates the TXT record in
 * place; a change of listener withdraws the service and adds it anew.
 *
 * avahi-client's calls are D-Bus method calls that wait for avahi-daemon's
 * answer (on a local socket; D-Bus gives up after 25 s): made only at
 * start, on reload and on the daemon's state changes, never per client.
 *
 * A broker on TLS is published as _ttyhub-tls._tcp in the same group
 * (the slot PUBLISH_SLOT_TLS), so a client knows to speak TLS to it
 * before it connects; a plain one (insecure = yes off loopback) as
 * _ttyhub._tcp.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "publish.h"
#include "server.h"
#include "../dnssd/txt.h"

#ifndef TTYHUB_VERSION
#define TTYHUB_VERSION	"0.1.0"
#endif

#define PUBLISH_TYPE		"_ttyhub._tcp"
#define PUBLISH_TYPE_TLS	"_ttyhub-tls._tcp"
#define PUBLISH_PROTO		4	/* the broker's: ttyhub -V says it */

/* The services of one daemon: its broker, plain and on TLS. */
enum {
	PUBLISH_SLOT_PLAIN,
	PUBLISH_SLOT_TLS,
	PUBLISH_SLOTS
};

/* What a configuration asks to publish in one slot: a port and where. */
struct publish_want {
	int		 on;
	const char	*type;
	unsigned	 port;
	int		 ifindex;	/* 0: every interface */
	int		 family;	/* AF_INET, AF_INET6, or 0: both */
	int		 ro;
	char		 where[80];	/* the listener, for messages */
};

/* A listener others can reach: not on loopback.  *family: its own. */
static int
publish_reachable(const struct cfg_listen *l, int *family, void *addr)
{
	struct in6_addr	a6;
	struct in_addr	a4;

	*family = 0;
	if (l->kind == CFG_LISTEN_UNIX) {
		return 0;
	}
	if (l->host == NULL) {
		return 1;
	}
	if (inet_pton(AF_INET, l->host, &a4) == 1) {
		*family = AF_INET;
		memcpy(addr, &a4, sizeof a4);
		return (ntohl(a4.s_addr) >> 24) != 127;
	}
	if (inet_pton(AF_INET6, l->host, &a6) == 1) {
		*family = AF_INET6;
		memcpy(addr, &a6, sizeof a6);
		return !IN6_IS_ADDR_LOOPBACK(&a6) &&
		    !(IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	}
	return 0;
}

/* The interface holding addr (family's), or 0. */
static int
publish_ifindex(int family, const void *addr)
{
	struct ifaddrs	*ifa, *i;
	const void	*a;
	size_t		 len = family == AF_INET ? sizeof(struct in_addr) :
			    sizeof(struct in6_addr);
	int		 index = 0;

	if (getifaddrs(&ifa) == -1) {
		return 0;
	}
	for (i = ifa; i != NULL && index == 0; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family) {
			continue;
		}
		a = family == AF_INET ?
		    (const void *)&((struct sockaddr_in *)(void *)
		    i->ifa_addr)->sin_addr :
		    (const void *)&((struct sockaddr_in6 *)(void *)
		    i->ifa_addr)->sin6_addr;
		if (memcmp(a, addr, len) == 0) {
			index = (int)if_nametoindex(i->ifa_name);
		}
	}
	freeifaddrs(ifa);
	return index;
}

/*
 * What to publish: in each slot, the first broker listener on TCP that
 * others can reach, plain or TLS.  One bound to an address is published
 * on the interface that holds it (found now; if none does yet, on every
 * interface).
 */
static void
publish_choose(const struct cfg_listen *const *brokers, size_t n,
    struct publish_want w[PUBLISH_SLOTS])
{
	const struct cfg_listen	*l;
	struct publish_want	*s;
	struct in6_addr		 addr;
	size_t			 k;

	memset(w, 0, PUBLISH_SLOTS * sizeof *w);
	w[PUBLISH_SLOT_PLAIN].type = PUBLISH_TYPE;
	w[PUBLISH_SLOT_TLS].type = PUBLISH_TYPE_TLS;
	for (k = 0; k < n; k++) {
		l = brokers[k];
		s = &w[l->tls ? PUBLISH_SLOT_TLS : PUBLISH_SLOT_PLAIN];
		if (s->on || !publish_reachable(l, &s->family, &addr)) {
			continue;
		}
		s->on = 1;
		s->port = l->port;
		s->ro = l->ro;
		snprintf(s->where, sizeof s->where, "%s port %u%s",
		    l->host != NULL ? l->host : "*", l->port,
		    l->tls ? " over TLS" : "");
		if (s->family != 0) {
			s->ifindex = publish_ifindex(s->family, &addr);
		}
	}
}

/* Is there anything to publish? */
static int
publish_any(const struct publish_want w[PUBLISH_SLOTS])
{
	size_t	i;

	for (i = 0; i < PUBLISH_SLOTS; i++) {
		if (w[i].on) {
			return 1;
		}
	}
	return 0;
}

#if TTYHUB_AVAHI

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/domain.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>

#include "../dnssd/evpoll.h"

const char	publish_built[] = "DNS-SD: Avahi";

#define PUBLISH_RETRY_MIN_MS	1000
#define PUBLISH_RETRY_MAX_MS	30000

struct publish {
	struct server		*srv;
	struct evpoll		*ep;
	AvahiClient		*client;
	AvahiEntryGroup		*group;
	struct event		*retry;		/* a new client, later */
	unsigned		 retry_ms;

	struct publish_want	 want[PUBLISH_SLOTS];
	uint8_t			 txt[PUBLISH_SLOTS][TXT_RDATA_MAX];
	size_t			 txtlen[PUBLISH_SLOTS];
	size_t			 nconsoles;
	char			*name;		/* the services', Avahi's */

	int			 down_said;	/* this outage was told */
	int			 up_said;	/* this publication was told */
};

static void	publish_register(struct publish *, AvahiClient *);

/* The TXT record for cfg's consoles, into buf; its length. */
static size_t
publish_txt(const struct config *cfg, int ro, uint8_t *buf, size_t cap)
{
	const char	**names;
	struct txt_pub	  t;
	size_t		  i, len;

	memset(&t, 0, sizeof t);
	if ((names = calloc(cfg->nconsoles + 1, sizeof *names)) == NULL) {
		return 0;
	}
	for (i = 0; i < cfg->nconsoles; i++) {
		names[i] = cfg->consoles[i].name;
	}
	t.names = names;
	t.nnames = cfg->nconsoles;
	t.serial = txt_serial(names, cfg->nconsoles);
	t.version = TTYHUB_VERSION;
	t.proto = PUBLISH_PROTO;
	t.ro = ro;
	len = txt_build(buf, cap, &t);
	free(names);
	return len;
}

static AvahiIfIndex
publish_if(const struct publish_want *w)
{
	return w->ifindex > 0 ? w->ifindex : AVAHI_IF_UNSPEC;
}

static AvahiProtocol
publish_proto(const struct publish_want *w)
{
	return w->family == AF_INET ? AVAHI_PROTO_INET :
	    w->family == AF_INET6 ? AVAHI_PROTO_INET6 : AVAHI_PROTO_UNSPEC;
}

/* "* port 7000": the listeners published, for messages. */
static const char *
publish_where(const struct publish *p)
{
	static char	buf[2 * 100];
	size_t		i, n = 0;
	int		w;

	buf[0] = '\0';
	for (i = 0; i < PUBLISH_SLOTS; i++) {
		if (!p->want[i].on) {
			continue;
		}
		w = snprintf(buf + n, sizeof buf - n, "%s%s", n > 0 ? ", " :
		    "", p->want[i].where);
		if (w > 0 && (size_t)w < sizeof buf - n) {
			n += (size_t)w;
		}
	}
	return buf;
}

/* Could not publish: once per outage, in the user's words. */
static void
publish_down(struct publish *p, const char *why)
{
	p->up_said = 0;
	if (p->down_said) {
		log_debug("DNS-SD: still not published: %s", why);
		return;
	}
	p->down_said = 1;
	log_warn("DNS-SD: could not publish the broker (%s): %s; it is "
	    "published when avahi-daemon runs", publish_where(p), why);
}

static void
publish_drop_client(struct publish *p)
{
	if (p->client != NULL) {
		avahi_client_free(p->client);	/* and its group */
	}
	p->client = NULL;
	p->group = NULL;
}

static void
publish_retry_in(struct publish *p, unsigned ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	(void)evtimer_add(p->retry, &tv);
}

/* Another name for the services, after a clash: Avahi's next one. */
static int
publish_rename(struct publish *p)
{
	char	*alt;

	if ((alt = avahi_alternative_service_name(p->name)) == NULL) {
		return -1;
	}
	log_info("DNS-SD: the name \"%s\" is taken; trying \"%s\"", p->name,
	    alt);
	avahi_free(p->name);
	p->name = alt;
	return 0;
}

static void
publish_group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *arg)
{
	struct publish	*p = arg;

	switch (state) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		p->down_said = 0;
		if (!p->up_said) {
			p->up_said = 1;
			log_info("DNS-SD: published the broker (%s) as \"%s\" "
			    "(%zu console%s)", publish_where(p), p->name,
			    p->nconsoles, p->nconsoles == 1 ? "" : "s");
		}
		break;
	case AVAHI_ENTRY_GROUP_COLLISION:
		/* Another host has the name. */
		if (publish_rename(p) == -1) {
			publish_down(p, "out of memory");
			break;
		}
		(void)avahi_entry_group_reset(g);
		publish_register(p, avahi_entry_group_get_client(g));
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		publish_down(p, avahi_strerror(avahi_client_errno(
		    avahi_entry_group_get_client(g))));
		break;
	case AVAHI_ENTRY_GROUP_UNCOMMITED:
	case AVAHI_ENTRY_GROUP_REGISTERING:
		break;
	}
}

/* One slot's service into the group; an Avahi error code. */
static int
publish_add(struct publish *p, size_t slot)
{
	const struct publish_want	*w = &p->want[slot];
	AvahiStringList			*txt = NULL;
	int				 r;

	if (avahi_string_list_parse(p->txt[slot], p->txtlen[slot],
	    &txt) < 0) {
		return AVAHI_ERR_NO_MEMORY;
	}
	r = avahi_entry_group_add_service_strlst(p->group, publish_if(w),
	    publish_proto(w), 0, p->name, w->type, NULL, NULL,
	    (uint16_t)w->port, txt);
	avahi_string_list_free(txt);
	return r;
}

/* Every slot's service into the empty group; an Avahi error code. */
static int
publish_add_all(struct publish *p)
{
	size_t	i;
	int	r = AVAHI_OK;

	for (i = 0; i < PUBLISH_SLOTS && r >= 0; i++) {
		if (p->want[i].on) {
			r = publish_add(p, i);
		}
	}
	return r;
}

/* Add the services to the (empty) group and commit it. */
static void
publish_register(struct publish *p, AvahiClient *c)
{
	const char	*host;
	char		 name[AVAHI_LABEL_MAX];
	int		 r, tries;

	if (p->group == NULL &&
	    (p->group = avahi_entry_group_new(c, publish_group_cb, p)) == NULL) {
		publish_down(p, avahi_strerror(avahi_client_errno(c)));
		return;
	}
	if (!avahi_entry_group_is_empty(p->group)) {
		return;
	}
	if (p->name == NULL) {
		host = avahi_client_get_host_name(c);
		snprintf(name, sizeof name, "ttyhub on %s", host != NULL ?
		    host : "this host");
		if ((p->name = avahi_strdup(name)) == NULL) {
			publish_down(p, "out of memory");
			return;
		}
	}
	/* A name taken on this host (a second ttyhubd): the next one. */
	for (tries = 0; (r = publish_add_all(p)) == AVAHI_ERR_COLLISION &&
	    tries < 100; tries++) {
		(void)avahi_entry_group_reset(p->group);
		if (publish_rename(p) == -1) {
			r = AVAHI_ERR_NO_MEMORY;
			break;
		}
	}
	if (r < 0 || (r = avahi_entry_group_commit(p->group)) < 0) {
		publish_down(p, avahi_strerror(r));
	}
}

static void
publish_client_cb(AvahiClient *c, AvahiClientState state, void *arg)
{
	struct publish	*p = arg;

	switch (state) {
	case AVAHI_CLIENT_S_RUNNING:
		p->retry_ms = 0;
		publish_register(p, c);
		break;
	case AVAHI_CLIENT_S_COLLISION:
	case AVAHI_CLIENT_S_REGISTERING:
		/* The host is being renamed: register again once it runs. */
		if (p->group != NULL) {
			(void)avahi_entry_group_reset(p->group);
		}
		avahi_free(p->name);
		p->name = NULL;
		break;
	case AVAHI_CLIENT_CONNECTING:
		publish_down(p, "avahi-daemon is not running");
		break;
	case AVAHI_CLIENT_FAILURE:
		/* Gone (stopped, restarted): a new client, from the loop. */
		publish_down(p, avahi_client_errno(c) == AVAHI_ERR_DISCONNECTED ?
		    "avahi-daemon stopped" : avahi_strerror(avahi_client_errno(c)));
		p->retry_ms = 0;
		publish_retry_in(p, 0);
		break;
	}
}

/* A client, or a timer to try again when there is no system bus. */
static void
publish_connect(struct publish *p)
{
	char	why[200];
	int	error = 0;

	(void)evtimer_del(p->retry);
	publish_drop_client(p);
	p->client = avahi_client_new(evpoll_api(p->ep), AVAHI_CLIENT_NO_FAIL,
	    publish_client_cb, p, &error);
	if (p->client != NULL) {
		return;
	}
	p->group = NULL;	/* freed with the client that failed */
	p->retry_ms = p->retry_ms == 0 ? PUBLISH_RETRY_MIN_MS :
	    p->retry_ms * 2 > PUBLISH_RETRY_MAX_MS ? PUBLISH_RETRY_MAX_MS :
	    p->retry_ms * 2;
	snprintf(why, sizeof why, "no system bus to reach avahi-daemon "
	    "through (%s)", avahi_strerror(error));
	publish_down(p, why);
	publish_retry_in(p, p->retry_ms);
}

static void
publish_on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	publish_connect(arg);
}

void
publish_stop(struct server *srv)
{
	struct publish	*p = srv->publish;

	if (p == NULL) {
		return;
	}
	publish_drop_client(p);
	if (p->retry != NULL) {
		event_free(p->retry);
	}
	avahi_free(p->name);
	evpoll_free(p->ep);
	free(p);
	srv->publish = NULL;
}

/* A new record for the services already in the group. */
static void
publish_retxt(struct publish *p)
{
	AvahiStringList	*list;
	size_t		 i;
	int		 r = AVAHI_OK;

	if (p->group == NULL || avahi_entry_group_is_empty(p->group)) {
		return;		/* registered with the new record later */
	}
	for (i = 0; i < PUBLISH_SLOTS && r >= 0; i++) {
		if (!p->want[i].on) {
			continue;
		}
		list = NULL;
		if (avahi_string_list_parse(p->txt[i], p->txtlen[i],
		    &list) < 0) {
			r = AVAHI_ERR_NO_MEMORY;
			break;
		}
		r = avahi_entry_group_update_service_txt_strlst(p->group,
		    publish_if(&p->want[i]), publish_proto(&p->want[i]), 0,
		    p->name, p->want[i].type, NULL, list);
		avahi_string_list_free(list);
	}
	if (r < 0) {
		publish_down(p, avahi_strerror(r));
	} else {
		log_info("DNS-SD: \"%s\" now lists %zu console%s", p->name,
		    p->nconsoles, p->nconsoles == 1 ? "" : "s");
	}
}

void
publish_update(struct server *srv, const struct config *cfg,
    const struct cfg_listen *const *brokers, size_t nbrokers)
{
	struct publish		*p = srv->publish;
	struct publish_want	 w[PUBLISH_SLOTS];
	uint8_t			 txt[PUBLISH_SLOTS][TXT_RDATA_MAX];
	size_t			 len[PUBLISH_SLOTS], i;
	int			 same = 1;

	publish_choose(brokers, nbrokers, w);
	if (!cfg->publish || !publish_any(w)) {
		if (p != NULL) {
			log_info("DNS-SD: the broker is no longer published");
		} else if (cfg->publish) {
			log_debug("DNS-SD: no broker listener on TCP outside "
			    "loopback: nothing to publish");
		}
		publish_stop(srv);
		return;
	}
	for (i = 0; i < PUBLISH_SLOTS; i++) {
		len[i] = w[i].on ? publish_txt(cfg, w[i].ro, txt[i],
		    sizeof txt[i]) : 0;
		same &= p != NULL && len[i] == p->txtlen[i] &&
		    memcmp(txt[i], p->txt[i], len[i]) == 0;
	}
	if (p != NULL && memcmp(p->want, w, sizeof w) != 0) {
		publish_stop(srv);	/* other listeners: start over */
		p = NULL;
	}
	if (p != NULL && same) {
		return;
	}
	if (p == NULL) {
		if ((p = calloc(1, sizeof *p)) == NULL ||
		    (p->ep = evpoll_new(srv->base)) == NULL ||
		    (p->retry = evtimer_new(srv->base, publish_on_retry,
		    p)) == NULL) {
			log_warn("DNS-SD: cannot publish: out of memory");
			if (p != NULL) {
				evpoll_free(p->ep);
				free(p);
			}
			return;
		}
		srv->publish = p;
		p->srv = srv;
		memcpy(p->want, w, sizeof w);
	}
	memcpy(p->txt, txt, sizeof txt);
	memcpy(p->txtlen, len, sizeof len);
	p->nconsoles = cfg->nconsoles;
	if (p->client == NULL) {
		publish_connect(p);
	} else {
		publish_retxt(p);
	}
}

#else	/* !TTYHUB_AVAHI */

const char	publish_built[] = "DNS-SD: not built in";

void
publish_update(struct server *srv, const struct config *cfg,
    const struct cfg_listen *const *brokers, size_t nbrokers)
{
	static int		 said;
	struct publish_want	 w[PUBLISH_SLOTS];

	(void)srv;
	publish_choose(brokers, nbrokers, w);
	if (cfg->publish && publish_any(w) && !said) {
		said = 1;
		log_warn("DNS-SD: could not publish the broker (%s): this "
		    "ttyhubd was built without Avahi (publish = no in "
		    "[ttyhubd] says nothing)", w[w[PUBLISH_SLOT_PLAIN].on ?
		    PUBLISH_SLOT_PLAIN : PUBLISH_SLOT_TLS].where);
	}
}

void
publish_stop(struct server *srv)
{
	(void)srv;
}

#endif	/* TTYHUB_AVAHI */
