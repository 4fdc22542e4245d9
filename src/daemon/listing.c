/*
 * listing: "list" and "who".  See listing.h.
 *
 * The prompt's list is a table for a person at an 80-column terminal.
 * A name wider than its column goes whole on a line of its own, with the
 * rest of its row below it (as df(1) does), because a name is typed
 * back; byte counts are shown as ls -h does; a log path that does not
 * fit keeps its end, after "...".  TTYHUB_COMMAND=list keeps every field
 * whole: programs read that one.  TTYHUB_COMMAND=net answers with lines
 * of networks and ports, each line's first field saying which it is.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "conn.h"
#include "console.h"
#include "listing.h"
#include "log.h"
#include "network.h"
#include "server.h"

#define LISTING_LOG	20	/* columns left for LOG */
#define LISTING_WHO_MAX	128	/* lines in a who answer */

void
listing_head(struct conn *to)
{
	conn_say(to, "%-16s %-10s %-10s %7s %5s %5s  %s\r\n", "NAME", "TYPE",
	    "STATE", "CLIENTS", "IN", "OUT", "LOG");
}

/* n bytes in at most 4 characters: 9999, 9.8K, 734K, 1.0M, ... */
static void
listing_bytes(uint64_t n, char *buf, size_t len)
{
	static const char	units[] = "KMGTPE";
	uint64_t		v = n, tenths;
	size_t			u = 0;

	if (n < 10000) {
		snprintf(buf, len, "%llu", (unsigned long long)n);
		return;
	}
	for (;;) {
		/* Tenths of the next unit, rounded, and never overflowing. */
		tenths = v / 1024 * 10 + (v % 1024 * 10 + 512) / 1024;
		v /= 1024;
		if (tenths < 100) {
			snprintf(buf, len, "%llu.%llu%c",
			    (unsigned long long)(tenths / 10),
			    (unsigned long long)(tenths % 10), units[u]);
			return;
		}
		if ((tenths + 5) / 10 < 1000 || u + 1 == sizeof units - 1) {
			snprintf(buf, len, "%llu%c",
			    (unsigned long long)((tenths + 5) / 10), units[u]);
			return;
		}
		u++;
	}
}

static void
listing_table_row(struct conn *to, const struct console *con,
    const char *name, unsigned nclients, const char *log)
{
	char		in[24], out[24];
	size_t		n = strlen(log);
	const char	*cut = "";

	if (strlen(name) > 16) {
		conn_say(to, "%s\r\n", name);
		name = "";
	}
	if (n > LISTING_LOG) {
		log += n - (LISTING_LOG - 3);
		cut = "...";
	}
	listing_bytes(con->bytes_in, in, sizeof in);
	listing_bytes(con->bytes_out, out, sizeof out);
	conn_say(to, "%-16s %-10s %-10s %7u %5s %5s  %s%s\r\n", name,
	    console_type_str(con), console_state_str(con), nclients, in, out,
	    cut, log);
}

void
listing_row(struct conn *to, const struct console *con,
    const struct console_member *asker, int table)
{
	char		 name[CFG_NAME_MAX * 4 + 1], log[1024];
	const char	*path;
	unsigned	 nclients = con->nmembers;

	if (asker != NULL && asker->con == con) {
		nclients--;
	}
	path = con->cfg->log != NULL ? con->cfg->log : "-";
	(void)log_safe(name, sizeof name, con->name, strlen(con->name));
	(void)log_safe(log, sizeof log, path, strlen(path));
	if (table) {
		listing_table_row(to, con, name, nclients, log);
		return;
	}
	conn_say(to, "%s\t%s\t%s\t%u\t%llu\t%llu\t%s\r\n", name,
	    console_type_str(con), console_state_str(con), nclients,
	    (unsigned long long)con->bytes_in,
	    (unsigned long long)con->bytes_out, log);
}

int
listing_more(struct conn *to, struct server *srv, size_t *at, int table)
{
	struct console	*con;
	size_t		 i = 0;

	TAILQ_FOREACH(con, &srv->consoles, entry) {
		if (i++ < *at) {
			continue;
		}
		if (conn_queued(to) >= CONN_OUT_MAX / 2) {
			return 0;
		}
		(*at)++;
		/* Hidden from a peer its rw and ro lists leave out. */
		if (conn_access(to, con->cfg, 0) >= 0) {
			listing_row(to, con, NULL, table);
		}
	}
	return 1;
}

static void
listing_net_row(struct conn *to, const struct network *net)
{
	struct network_info	ni;
	char			name[CFG_NAME_MAX * 4 + 1], pcap[1024];

	network_info(net, &ni);
	(void)log_safe(name, sizeof name, ni.name, strlen(ni.name));
	(void)log_safe(pcap, sizeof pcap, ni.pcap != NULL ? ni.pcap : "-",
	    ni.pcap != NULL ? strlen(ni.pcap) : 1);
	conn_say(to, "network\t%s\t%s\t%u\t%u\t%llu\t%llu\t%llu\t%llu\t"
	    "%s\t%llu\t%llu\r\n", name, ni.mode, ni.ports, ni.macs,
	    (unsigned long long)ni.frames, (unsigned long long)ni.bytes,
	    (unsigned long long)ni.drops, (unsigned long long)ni.bad, pcap,
	    (unsigned long long)ni.captured, (unsigned long long)ni.missed);
}

static void
listing_port_row(struct conn *to, const struct network *net,
    const struct network_port_info *pi, const char *macs)
{
	char	name[CFG_NAME_MAX * 4 + 1], via[512], peer[512];

	(void)log_safe(name, sizeof name, network_name(net),
	    strlen(network_name(net)));
	(void)log_safe(via, sizeof via, pi->via, strlen(pi->via));
	(void)log_safe(peer, sizeof peer, pi->peer, strlen(pi->peer));
	conn_say(to, "port\t%s\t%d\t%s\t%s\t%s\t%llu\t%llu\t%llu\t%llu\t"
	    "%llu\t%u\t%llu\t%s\r\n", name, pi->id, pi->kind, via, peer,
	    (unsigned long long)pi->frames_in,
	    (unsigned long long)pi->bytes_in,
	    (unsigned long long)pi->frames_out,
	    (unsigned long long)pi->bytes_out,
	    (unsigned long long)pi->drops, pi->queued,
	    (unsigned long long)(pi->age_ms / 1000),
	    macs[0] != '\0' ? macs : "-");
}

int
listing_net_more(struct conn *to, struct server *srv, const char *name,
    size_t *net_at, size_t *port_at)
{
	struct network			*net;
	struct network_port_info	 pi;
	char				 macs[400];
	size_t				 i = 0;

	for (net = network_next(srv, NULL); net != NULL;
	    net = network_next(srv, net)) {
		if (name != NULL && strcmp(network_name(net), name) != 0) {
			continue;
		}
		if (i++ < *net_at) {
			continue;
		}
		/* *port_at: the network's line, then its ports', done. */
		for (;;) {
			if (conn_queued(to) >= CONN_OUT_MAX / 2) {
				return 0;
			}
			if (*port_at == 0) {
				listing_net_row(to, net);
			} else if (network_port(net, *port_at - 1, &pi, macs,
			    sizeof macs)) {
				listing_port_row(to, net, &pi, macs);
			} else {
				break;
			}
			(*port_at)++;
		}
		*port_at = 0;
		(*net_at)++;
	}
	return 1;
}

void
listing_who(struct conn *to, const struct console *con,
    const struct console_member *asker, int ctl)
{
	const struct console_member	*o;
	unsigned			 n = 0, all = con->nmembers;

	if (!ctl && asker != NULL && asker->con == con) {
		all--;		/* a command on a console's own socket */
	}
	TAILQ_FOREACH(o, &con->members, entry) {
		if (!ctl && o == asker) {
			continue;
		}
		if (n++ == LISTING_WHO_MAX) {
			break;
		}
		if (ctl) {
			conn_ctl_send(to, TN_CTL_WHO_LINE, "%s\t%s\t%s",
			    console_role_str(console_role(con, o)),
			    o == asker ? "you" : "-", o->peer);
		} else {
			conn_say(to, "%s\t-\t%s\r\n",
			    console_role_str(console_role(con, o)), o->peer);
		}
	}
	if (ctl) {
		conn_ctl_send(to, TN_CTL_WHO_END, "%u", all);
	} else if (all > LISTING_WHO_MAX) {
		conn_say(to, "more\t-\t%u more clients\r\n",
		    all - LISTING_WHO_MAX);
	}
}
