/*
 * config-section: one section of the configuration file, begun with its
 * defaults when its header is read and checked as a whole when it ends
 * (keys may come in any order): the rules that tie its keys together.
 * Once every section is read, the vhost-user devices and their ports
 * are tied across sections, and the ports no section names get one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config-kind.h"
#include "config-parser.h"
#include "config-section.h"
#include "config-table.h"
#include "../net/frame.h"


/*
 * user = and group = (config-table.c resolved them as they were read):
 * a daemon that is not root can run a program only as itself, and a user
 * the password database does not know needs its group named.
 */
static int
cfg_con_run_as_check(struct cfg_parser *p, const struct cfg_console *c)
{
	unsigned	lu = cfg_table_given(p->keyline, "user");
	unsigned	lg = cfg_table_given(p->keyline, "group");

	if (geteuid() != 0 && ((lu != 0 && c->uid != geteuid()) ||
	    (lg != 0 && c->gid != getegid()))) {
		return cfg_fail(p, lu != 0 ? lu : lg, "user and group other "
		    "than ttyhubd's own need ttyhubd to run as root");
	}
	if (lu != 0 && c->ngroups == 0) {
		return cfg_fail(p, lu, "user %ld has no entry in the password "
		    "database: give its group with group =", (long)c->uid);
	}
	return 0;
}

/*
 * A section's TCP listeners: one that a network can reach takes TLS,
 * and so does a web listener with auth (its form takes passwords, its
 * cookie stands for one), unless the section says insecure = yes;
 * remember the first with TLS, which needs [ttyhubd]'s tls-cert
 * (checked at the end of the file).
 */
static int
cfg_listeners_end(struct cfg_parser *p, const struct cfg_listen *l,
    size_t n, int insecure)
{
	char		 where[300];
	unsigned	 line;
	size_t		 i;

	for (i = 0; i < n; i++) {
		line = cfg_table_given(p->keyline, l[i].kind == CFG_LISTEN_WEB ?
		    "web" : p->sect == CFG_SECT_LOGIN ? "listen" :
		    p->sect == CFG_SECT_DAEMON ? "broker" :
		    l[i].kind == CFG_LISTEN_RAW ? "raw" : "telnet");
		if (line == 0) {
			line = p->sect_line;
		}
		if (l[i].tls && p->tls_line == 0) {
			p->tls_line = line;
		}
		if (l[i].tls || insecure) {
			continue;
		}
		cfg_tcp_name(l[i].host, l[i].port, where, sizeof where);
		/* Even on loopback: a tunnel's or a proxy's far end. */
		if (l[i].kind == CFG_LISTEN_WEB && l[i].auth) {
			return cfg_fail(p, line, "%s has auth without tls: "
			    "passwords and session cookies would cross it in "
			    "clear text; add ,tls, or say insecure = yes in "
			    "this section", where);
		}
		if (config_listen_loopback(&l[i])) {
			continue;
		}
		return cfg_fail(p, line, "%s can be reached from a network: "
		    "clients would cross it in clear text; add ,tls (with "
		    "tls-cert and tls-key in [ttyhubd]), or say insecure = "
		    "yes in this section", where);
	}
	return 0;
}

static int
cfg_console_end(struct cfg_parser *p)
{
	struct cfg_console	*c = p->con;
	const struct cfg_key	*k;
	char			 types[64];
	unsigned		 line, l;
	size_t			 i;
	int			 unix_listeners = 0;

	if (cfg_table_given(p->keyline, "type") == 0) {
		return cfg_fail(p, p->sect_line, "missing key \"type\" "
		    "(serial, unix, tcp, exec, pty, vhost-user or "
		    "vhost-port)");
	}
	if ((k = cfg_table_misplaced(c->type, p->keyline, &line)) != NULL) {
		cfg_table_type_list(k->types, types, sizeof types);
		return cfg_fail(p, line, "key \"%s\" is only for type = "
		    "%s%s%s%s", k->name, types,
		    k->hint != NULL ? " (" : "",
		    k->hint != NULL ? k->hint : "",
		    k->hint != NULL ? ")" : "");
	}
	if ((k = cfg_table_missing(c->type, p->keyline)) != NULL) {
		return cfg_fail(p, p->sect_line, "missing key \"%s\" "
		    "(needed for type = %s)", k->name,
		    cfg_table_types[c->type]);
	}

	if (cfg_con_run_as_check(p, c) == -1) {
		return -1;
	}

	/* unix-mode, -owner and -group go to every unix listener. */
	for (i = 0; i < c->nlisten; i++) {
		if (c->listen[i].kind == CFG_LISTEN_UNIX) {
			c->listen[i].mode = c->unix_mode;
			c->listen[i].owner = c->unix_owner;
			c->listen[i].group = c->unix_group;
			unix_listeners = 1;
		}
	}
	if (cfg_listeners_end(p, c->listen, c->nlisten, c->insecure) == -1) {
		return -1;
	}
	if (!unix_listeners) {
		if ((l = cfg_table_given(p->keyline, "unix-mode")) != 0 ||
		    (l = cfg_table_given(p->keyline, "unix-owner")) != 0 ||
		    (l = cfg_table_given(p->keyline, "unix-group")) != 0) {
			return cfg_fail(p, l, "unix-mode, unix-owner and "
			    "unix-group need a unix listener (unix = PATH)");
		}
	}

	c->digest = cfg_table_digest(CFG_SECT_CONSOLE, c);
	return 0;
}

static int
cfg_login_end(struct cfg_parser *p)
{
	struct cfg_login	*l = p->login;

	if (cfg_table_given(p->keyline, "listen") == 0) {
		return cfg_fail(p, p->sect_line, "missing key \"listen\" "
		    "(the addresses to serve logins on)");
	}
	if (cfg_listeners_end(p, l->listen, l->nlisten, l->insecure) == -1) {
		return -1;
	}
	l->digest = cfg_table_digest(CFG_SECT_LOGIN, l);
	return 0;
}

/*
 * A network: ports to join, unix-mode and the rest for its unix sockets,
 * queues that hold a largest frame, a capture bound only with a capture.
 */
static int
cfg_network_end(struct cfg_parser *p)
{
	struct cfg_network	*n = p->net;
	struct cfg_listen	*l;
	size_t			 i, max;
	unsigned		 line;
	int			 unix_sockets = 0;

	if (n->nstream == 0 && n->ndgram == 0) {
		return cfg_fail(p, p->sect_line, "no ports: give stream = "
		    "ADDRESS or dgram = ADDRESS (or both) for guests to "
		    "join");
	}
	for (i = 0; i < n->nstream + n->ndgram; i++) {
		l = i < n->nstream ? &n->stream[i] : &n->dgram[i - n->nstream];
		if (l->kind == CFG_LISTEN_UNIX) {
			l->mode = n->unix_mode;
			l->owner = n->unix_owner;
			l->group = n->unix_group;
			unix_sockets = 1;
		}
	}
	if (!unix_sockets &&
	    ((line = cfg_table_given(p->keyline, "unix-mode")) != 0 ||
	    (line = cfg_table_given(p->keyline, "unix-owner")) != 0 ||
	    (line = cfg_table_given(p->keyline, "unix-group")) != 0)) {
		return cfg_fail(p, line, "unix-mode, unix-owner and unix-group "
		    "need a unix socket (stream = PATH or dgram = PATH)");
	}
	/* The largest frame, as frame_max() says, behind its length. */
	max = (size_t)n->mtu + FRAME_ETH + FRAME_VLAN;
	if (n->queue < max + FRAME_HDR) {
		line = cfg_table_given(p->keyline, "queue");
		return cfg_fail(p, line != 0 ? line : p->sect_line, "queue "
		    "must hold one largest frame: at least %zu bytes for "
		    "mtu = %u", max + FRAME_HDR, n->mtu);
	}
	if (n->pcap == NULL &&
	    (line = cfg_table_given(p->keyline, "pcap-size")) != 0) {
		return cfg_fail(p, line, "pcap-size is of no use without "
		    "pcap = PATH");
	}
	n->digest = cfg_table_digest(CFG_SECT_NETWORK, n);
	return 0;
}

static int
cfg_daemon_end(struct cfg_parser *p)
{
	struct config	*c = p->cfg;
	unsigned	 l;

	if (cfg_listeners_end(p, c->broker, c->nbroker, c->insecure) == -1 ||
	    cfg_listeners_end(p, c->web, c->nweb, c->insecure) == -1) {
		return -1;
	}
	if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		return cfg_fail(p, cfg_table_given(p->keyline, c->tls_cert ==
		    NULL ? "tls-key" : "tls-cert"), "tls-cert and tls-key go "
		    "together: the certificate and its private key");
	}
	if (c->tls_ca != NULL && c->tls_cert == NULL) {
		return cfg_fail(p, cfg_table_given(p->keyline, "tls-ca"),
		    "tls-ca needs tls-cert and tls-key: client certificates "
		    "are asked for by TLS listeners");
	}

	if (p->cfg->broker_unix_off &&
	    (l = cfg_table_given(p->keyline, "broker-unix-mode")) != 0) {
		return cfg_fail(p, l, "broker-unix-mode is of no use with "
		    "broker-unix = none");
	}
	if (p->cfg->broker_unix_off &&
	    (l = cfg_table_given(p->keyline, "broker-unix-group")) != 0) {
		return cfg_fail(p, l, "broker-unix-group is of no use with "
		    "broker-unix = none");
	}
	return 0;
}

int
cfg_section_end(struct cfg_parser *p)
{
	int	r = 0;

	switch (p->sect) {
	case CFG_SECT_CONSOLE:
		r = cfg_console_end(p);
		break;
	case CFG_SECT_LOGIN:
		r = cfg_login_end(p);
		break;
	case CFG_SECT_DAEMON:
		r = cfg_daemon_end(p);
		break;
	case CFG_SECT_NETWORK:
		r = cfg_network_end(p);
		break;
	default:
		break;
	}
	p->sect = CFG_SECT_NONE;
	p->con = NULL;
	p->login = NULL;
	p->net = NULL;
	memset(p->keyline, 0, sizeof p->keyline);
	return r;
}

/*
 * Room for one more section of a kind (what) in its array arr, n in use
 * and *cap allocated: the array, grown by doubling if it was full, or
 * NULL once the reason is set.
 */
static void *
cfg_section_room(struct cfg_parser *p, const char *what, void *arr,
    size_t n, size_t *cap, size_t size)
{
	void	*grown;
	size_t	 more;

	if (n == CFG_CONSOLES_MAX) {
		(void)cfg_fail_line(p, p->line, "more than %d %ss",
		    CFG_CONSOLES_MAX, what);
		return NULL;
	}
	if (n < *cap) {
		return arr;
	}
	more = *cap != 0 ? *cap * 2 : 4;
	if ((grown = reallocarray(arr, more, size)) == NULL) {
		(void)cfg_fail_line(p, p->line, "out of memory");
		return NULL;
	}
	*cap = more;
	return grown;
}

/* The section's header names one defined before, at line first. */
static int
cfg_section_dup(struct cfg_parser *p, const char *what, const char *name,
    unsigned first)
{
	return cfg_fail_line(p, p->line, "duplicate %s \"%s\" (first "
	    "defined at line %u)", what, name, first);
}

/* A new section begins with its defaults; which names its kind. */
static int
cfg_section_begin(struct cfg_parser *p, enum cfg_sect which, void *sect,
    size_t index)
{
	char	why[CFG_MSG_MAX];

	if (cfg_table_defaults(which, sect, why, sizeof why) == -1) {
		return cfg_fail_line(p, p->line, "%s", why);
	}
	p->sect = which;
	p->index = index;
	return 0;
}

/*
 * gcc 12's -fanalyzer loses a pointer stored three loads away from a
 * parameter (p->cfg->consoles[i].file) and reports it leaked, here and
 * in cfg_vhost_take and cfg_vhost_generate below; it drew no report
 * while these were static in config.c, reached only from a parser on
 * the stack.  config_free frees each (test-config and fuzz-config run
 * under ASan's leak checker).
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"	/* above */
#endif
int
cfg_new_console(struct cfg_parser *p, const char *name)
{
	struct config		*cfg = p->cfg;
	struct cfg_console	*c;
	size_t			 i;

	for (i = 0; i < cfg->nconsoles; i++) {
		if (strcmp(cfg->consoles[i].name, name) == 0) {
			return cfg_section_dup(p, "console", name,
			    cfg->consoles[i].line);
		}
	}
	if ((c = cfg_section_room(p, "console", cfg->consoles,
	    cfg->nconsoles, &p->cons_cap, sizeof *c)) == NULL) {
		return -1;
	}
	cfg->consoles = c;
	c = &cfg->consoles[cfg->nconsoles++];
	memset(c, 0, sizeof *c);
	if ((c->file = strdup(p->name)) == NULL) {
		return cfg_fail_line(p, p->line, "out of memory");
	}
	memcpy(c->name, name, strlen(name) + 1);
	c->line = p->line;
	if (cfg_section_begin(p, CFG_SECT_CONSOLE, c, cfg->nconsoles - 1) == -1) {
		return -1;
	}
	p->con = c;
	return 0;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

int
cfg_new_login(struct cfg_parser *p, const char *name)
{
	struct config		*cfg = p->cfg;
	struct cfg_login	*l;
	size_t			 i;

	for (i = 0; i < cfg->nlogins; i++) {
		if (strcmp(cfg->logins[i].name, name) == 0) {
			return cfg_section_dup(p, "login", name,
			    cfg->logins[i].line);
		}
	}
	if ((l = cfg_section_room(p, "login", cfg->logins, cfg->nlogins,
	    &p->logins_cap, sizeof *l)) == NULL) {
		return -1;
	}
	cfg->logins = l;
	l = &cfg->logins[cfg->nlogins++];
	memset(l, 0, sizeof *l);
	memcpy(l->name, name, strlen(name) + 1);
	l->line = p->line;
	if (cfg_section_begin(p, CFG_SECT_LOGIN, l, cfg->nlogins - 1) == -1) {
		return -1;
	}
	p->login = l;
	return 0;
}

int
cfg_new_network(struct cfg_parser *p, const char *name)
{
	struct config		*cfg = p->cfg;
	struct cfg_network	*n;
	size_t			 i;

	for (i = 0; i < cfg->nnetworks; i++) {
		if (strcmp(cfg->networks[i].name, name) == 0) {
			return cfg_section_dup(p, "network", name,
			    cfg->networks[i].line);
		}
	}
	if ((n = cfg_section_room(p, "network", cfg->networks,
	    cfg->nnetworks, &p->nets_cap, sizeof *n)) == NULL) {
		return -1;
	}
	cfg->networks = n;
	n = &cfg->networks[cfg->nnetworks++];
	memset(n, 0, sizeof *n);
	memcpy(n->name, name, strlen(name) + 1);
	n->line = p->line;
	if (cfg_section_begin(p, CFG_SECT_NETWORK, n, cfg->nnetworks - 1) == -1) {
		return -1;
	}
	p->net = n;
	return 0;
}

/*
 * vhost-user devices and their ports, once every section is read: a
 * vhost-port section names a vhost-user console that has its port, no
 * two name the same port, and no two ports of a device the same name in
 * the guest.  A port no section names gets a console of its own, NAME.N,
 * with the device's client settings and no listeners or log.  Every
 * port takes its device's socket, ports and RESIZE order, so that a
 * change of the device changes each port's digest too.
 */

/* The vhost-user console called name among the first n, or -1. */
static long
cfg_vhost_device(const struct config *cfg, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(cfg->consoles[i].name, name) == 0) {
			return cfg->consoles[i].type == CFG_BACKEND_VHOST ?
			    (long)i : -1;
		}
	}
	return -1;
}

/* Whether any console is called name (config_console is a layer up). */
static int
cfg_vhost_used(const struct config *cfg, const char *name)
{
	size_t	i;

	for (i = 0; i < cfg->nconsoles; i++) {
		if (strcmp(cfg->consoles[i].name, name) == 0) {
			return 1;
		}
	}
	return 0;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"	/* above */
#endif
static int
cfg_vhost_take(struct cfg_console *c, const struct cfg_console *d)
{
	free(c->path);
	c->path = strdup(d->path);
	c->ports = d->ports;
	c->resize_legacy = d->resize_legacy;
	return c->path != NULL ? 0 : -1;
}

/* Console NAME.port for a port of device di no section names. */
static int
cfg_vhost_generate(struct cfg_parser *p, size_t di, unsigned port)
{
	struct config		*cfg = p->cfg;
	struct cfg_console	*c, *d, *n;
	char			 name[CFG_NAME_MAX + 16], why[CFG_MSG_MAX];
	size_t			 cap;

	snprintf(name, sizeof name, "%s.%u", cfg->consoles[di].name, port);
	if (strlen(name) > CFG_NAME_MAX || cfg_vhost_used(cfg, name)) {
		return cfg_fail_line(p, cfg->consoles[di].line, "console "
		    "\"%s\": port %u would be console \"%s\", %s: give the "
		    "port a section (type = vhost-port, port = %s:%u)",
		    cfg->consoles[di].name, port, name, strlen(name) >
		    CFG_NAME_MAX ? "a name too long" : "a name already used",
		    cfg->consoles[di].name, port);
	}
	if (cfg->nconsoles == CFG_CONSOLES_MAX) {
		return cfg_fail_line(p, cfg->consoles[di].line, "more than %d "
		    "consoles, counting the ports of vhost-user consoles",
		    CFG_CONSOLES_MAX);
	}
	if (cfg->nconsoles == p->cons_cap) {
		cap = p->cons_cap != 0 ? p->cons_cap * 2 : 8;
		if ((n = reallocarray(cfg->consoles, cap, sizeof *n)) == NULL) {
			return cfg_fail_line(p, p->line, "out of memory");
		}
		cfg->consoles = n;
		p->cons_cap = cap;
	}
	c = &cfg->consoles[cfg->nconsoles++];
	d = &cfg->consoles[di];
	memset(c, 0, sizeof *c);
	memcpy(c->name, name, strlen(name) + 1);
	c->line = d->line;
	if ((c->file = strdup(d->file)) == NULL ||
	    cfg_table_defaults(CFG_SECT_CONSOLE, c, why, sizeof why) == -1 ||
	    (c->vport_of = strdup(d->name)) == NULL ||
	    cfg_vhost_take(c, d) == -1) {
		return cfg_fail_line(p, d->line, "out of memory");
	}
	c->type = CFG_BACKEND_VPORT;
	c->vport = port;
	c->generated = 1;
	/* Who may attach and how: as on the device's console. */
	c->rw = d->rw;
	c->ro = d->ro;
	c->writers_one = d->writers_one;
	c->replay = d->replay;
	c->backlog = d->backlog;
	c->slow_disconnect = d->slow_disconnect;
	c->notices = d->notices;
	c->cols = d->cols;
	c->rows = d->rows;
	return 0;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

static const char *
cfg_vhost_port_name(const struct cfg_console *c)
{
	return c->port_name != NULL ? c->port_name : c->name;
}

int
cfg_vhost_ports(struct cfg_parser *p)
{
	struct config		*cfg = p->cfg;
	struct cfg_console	*c, *o;
	size_t			 i, j, n = cfg->nconsoles;
	unsigned		 port;
	long			 di;

	for (i = 0; i < n; i++) {
		c = &cfg->consoles[i];
		if (c->type != CFG_BACKEND_VPORT) {
			continue;
		}
		if ((di = cfg_vhost_device(cfg, n, c->vport_of)) == -1) {
			return cfg_fail_line(p, c->line, "console \"%s\": port "
			    "= %s:%u: there is no vhost-user console \"%s\"",
			    c->name, c->vport_of, c->vport, c->vport_of);
		}
		if (c->vport >= cfg->consoles[di].ports) {
			return cfg_fail_line(p, c->line, "console \"%s\": port "
			    "= %s:%u: console \"%s\" has %u port%s (ports = in "
			    "its section, line %u)", c->name, c->vport_of,
			    c->vport, c->vport_of, cfg->consoles[di].ports,
			    cfg->consoles[di].ports == 1 ? "" : "s",
			    cfg->consoles[di].line);
		}
		for (j = 0; j < i; j++) {
			o = &cfg->consoles[j];
			if (o->type == CFG_BACKEND_VPORT &&
			    o->vport == c->vport &&
			    strcmp(o->vport_of, c->vport_of) == 0) {
				return cfg_fail_line(p, c->line, "console "
				    "\"%s\": port %s:%u is console \"%s\"'s "
				    "already (line %u)", c->name, c->vport_of,
				    c->vport, o->name, o->line);
			}
		}
		if (cfg_vhost_take(c, &cfg->consoles[di]) == -1) {
			return cfg_fail_line(p, c->line, "out of memory");
		}
	}
	for (i = 0; i < n; i++) {
		if (cfg->consoles[i].type != CFG_BACKEND_VHOST) {
			continue;
		}
		for (port = 1; port < cfg->consoles[i].ports; port++) {
			for (j = 0; j < n; j++) {
				o = &cfg->consoles[j];
				if (o->type == CFG_BACKEND_VPORT &&
				    o->vport == port && strcmp(o->vport_of,
				    cfg->consoles[i].name) == 0) {
					break;
				}
			}
			if (j == n && cfg_vhost_generate(p, i, port) == -1) {
				return -1;
			}
		}
	}
	/* Two ports of one device with one name: one link in the guest. */
	for (i = 0; i < cfg->nconsoles; i++) {
		c = &cfg->consoles[i];
		if (c->type != CFG_BACKEND_VPORT) {
			continue;
		}
		for (j = 0; j < cfg->nconsoles; j++) {
			o = &cfg->consoles[j];
			if (j == i || strcmp(cfg_vhost_port_name(c),
			    cfg_vhost_port_name(o)) != 0) {
				continue;
			}
			if ((o->type == CFG_BACKEND_VPORT &&
			    strcmp(o->vport_of, c->vport_of) == 0) ||
			    (o->type == CFG_BACKEND_VHOST &&
			    strcmp(o->name, c->vport_of) == 0)) {
				return cfg_fail_line(p, c->line, "console "
				    "\"%s\": the guest would see two ports of "
				    "%s named \"%s\" (the other is console "
				    "\"%s\"): give one another port-name",
				    c->name, c->vport_of,
				    cfg_vhost_port_name(c), o->name);
			}
		}
		c->digest = cfg_table_digest(CFG_SECT_CONSOLE, c);
	}
	return 0;
}
