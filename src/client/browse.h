/*
 * browse: the ttyhubds on the link, found with DNS-SD through
 * avahi-daemon: every _ttyhub._tcp service, resolved to an address,
 * a port and its TXT record (src/dnssd/txt.h), within a time limit.
 * Everything in a result came from the network and is cleaned and
 * capped here; hosts.c decides what to do with them.
 */
#ifndef TTYHUB_BROWSE_H
#define TTYHUB_BROWSE_H

#include <stddef.h>

#include "../dnssd/txt.h"

struct event_base;

#define BROWSE_HOSTS_MAX	64	/* services kept */
#define BROWSE_RESOLVE_MAX	256	/* resolvers, over the whole browse */

struct browse_host {
	char		 service[64];	/* the instance name, clean */
	char		 host[64];	/* its host, clean, without ".local" */
	char		 where[96];	/* ADDR:PORT or [ADDR%IF]:PORT */
	char		 url[104];	/* where, or tls://where */
	char		 certname[80];	/* on TLS: HOST.local, as announced */
	int		 tls;		/* _ttyhub-tls._tcp */
	int		 v6;		/* where is IPv6 */
	int		 has_txt;	/* txt is a ttyhub record */
	struct txt_info	 txt;
};

/*
 * Browse for at most ms milliseconds, or until avahi-daemon has said it
 * has everything for now and every service found is resolved.  Fills
 * hosts (each service once, by name; TLS preferred, then an IPv4 address) and
 * returns how many, or -1 with the reason in err (avahi-client not
 * installed; avahi-daemon not running; built without Avahi).
 */
int	browse_run(struct event_base *base, unsigned ms,
	    struct browse_host *hosts, size_t max, char *err, size_t errlen);

#endif
