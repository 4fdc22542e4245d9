/*
 * publish: the broker announced on the link with DNS-SD, through
 * avahi-daemon (doc/ttyhubd.8, "Discovery"): one _ttyhub._tcp service
 * for the first TCP broker listener that others can reach, with a TXT
 * record naming the consoles (src/dnssd/txt.h).  Without avahi-daemon
 * the daemon runs on, says once that it could not publish, and
 * publishes when avahi-daemon starts.  Built without Avahi
 * (TTYHUB_AVAHI 0), it says once that it cannot.
 */
#ifndef TTYHUB_PUBLISH_H
#define TTYHUB_PUBLISH_H

#include <stddef.h>

struct cfg_listen;
struct config;
struct server;

/* What -V says about discovery: "DNS-SD: Avahi" or "DNS-SD: not built in". */
extern const char	publish_built[];

/*
 * Publish what cfg and the broker's listeners (brokers, in file order)
 * call for, or withdraw it: at start, once the loop is about to run, and
 * after every reload.  What has not changed is left alone; a new set of
 * consoles only updates the TXT record.
 */
void	publish_update(struct server *srv, const struct config *cfg,
	    const struct cfg_listen *const *brokers, size_t nbrokers);

/* Withdraw everything and let go of avahi-daemon (shutdown). */
void	publish_stop(struct server *srv);

#endif
