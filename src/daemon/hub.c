/*
 * hub: a configuration, put into effect.  See hub.h.
 *
 * The hub owns every listener the file names and decides what their
 * connections become: a console's own listeners make its clients
 * (client.c), the broker's listeners hand to broker.c, a [login]
 * section's to login sessions (session.c), the web console's to web.c.
 * A [network] section's addresses are its network's own (network.c); the
 * hub opens and closes networks as it does consoles.
 *
 * A reload builds the new configuration completely before touching the
 * running one: a file that does not parse changes nothing.  Then consoles
 * whose section is byte for byte the same (by digest) adopt the new copy
 * and keep their backend, listeners and clients; removed and changed ones
 * are closed, with a notice to their clients; new and changed ones
 * start.  Broker listeners, login services and networks go the same
 * way, each by what it was opened as; a network kept keeps its ports.
 */
#include <sys/queue.h>
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "client.h"
#include "config.h"
#include "conn.h"
#include "console.h"
#include "hub.h"
#include "listener.h"
#include "log.h"
#include "login.h"
#include "network.h"
#include "publish.h"
#include "rundir.h"
#include "server.h"
#include "session.h"
#include "web.h"

/* make static leaves the web console out (ARCHITECTURE.md). */
#ifndef TTYHUB_WEB
#define TTYHUB_WEB	1
#endif
#include "tls.h"

#define HUB_BROKER_MAX	(CFG_LISTEN_MAX + 1)

/*
 * One of a console's own listeners: its options are the console's
 * cfg->listen[index], whichever copy of the section the console holds.
 */
struct hub_conlisten {
	struct server		*srv;
	struct console		*con;
	size_t			 index;
	struct listener		*l;
};

/* A console and its listeners. */
struct hub_console {
	TAILQ_ENTRY(hub_console) entry;
	struct console		*con;
	struct hub_conlisten	 ls[CFG_LISTEN_MAX];
	size_t			 nls;
};

/*
 * A broker listener and what it was opened as, host and path copied: a
 * reload keeps it only if the new file asks for exactly the same.
 */
struct hub_broker {
	struct server		*srv;
	struct cfg_listen	 how;
	struct listener		*l;
};

/*
 * A running [login NAME] section: its service and listeners.  Sessions
 * hold the service themselves, so closing this leaves them running.
 */
struct hub_login {
	struct server		*srv;
	char			 name[CFG_NAME_MAX + 1];
	uint64_t		 digest;
	struct login_svc	*svc;
	struct listener		*listeners[CFG_LISTEN_MAX];
	int			 tls[CFG_LISTEN_MAX];	/* ,tls */
	size_t			 nlisteners;
};

/* A web console listener, kept on reload as a broker listener is. */
struct hub_web {
	struct server		*srv;
	struct cfg_listen	 how;
	struct listener		*l;
};

struct hub {
	TAILQ_HEAD(, hub_console) consoles;
	struct hub_broker	*broker[HUB_BROKER_MAX];
	size_t			 nbroker;
	struct hub_web		*web[CFG_LISTEN_MAX];
	size_t			 nweb;
	struct hub_login	*logins[CFG_CONSOLES_MAX];	/* file order */
	size_t			 nlogins;
};

static struct hub *
hub_of(struct server *srv)
{
	if (srv->hub == NULL && (srv->hub = calloc(1,
	    sizeof *srv->hub)) != NULL) {
		TAILQ_INIT(&srv->hub->consoles);
	}
	return srv->hub;
}

/* Consoles and their listeners. */

static void
hub_console_accept(void *arg, int fd, const struct sockaddr *sa,
    socklen_t salen, uint64_t via)
{
	struct hub_conlisten	*hl = arg;

	client_new(hl->srv, fd, sa, salen, &hl->con->cfg->listen[hl->index],
	    hl->con, via);
}

static void
hub_console_close(struct hub *hub, struct hub_console *hc, const char *why)
{
	size_t	i;

	for (i = 0; i < hc->nls; i++) {
		listener_free(hc->ls[i].l);
	}
	client_drop_joining(hc->con, why);
	console_free(hc->con, why);
	TAILQ_REMOVE(&hub->consoles, hc, entry);
	free(hc);
}

static struct hub_console *
hub_console_open(struct server *srv, const struct cfg_console *cfg,
    char *err, size_t errlen)
{
	struct hub		*hub = hub_of(srv);
	struct hub_console	*hc;
	struct hub_conlisten	*hl;
	char			 lerr[300];
	size_t			 i;

	if (hub == NULL || (hc = calloc(1, sizeof *hc)) == NULL) {
		snprintf(err, errlen, "console %s: out of memory", cfg->name);
		return NULL;
	}
	if ((hc->con = console_new(srv, cfg, err, errlen)) == NULL) {
		free(hc);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&hub->consoles, hc, entry);
	for (i = 0; i < cfg->nlisten; i++) {
		hl = &hc->ls[i];
		hl->srv = srv;
		hl->con = hc->con;
		hl->index = i;
		if ((hl->l = listener_open(srv, &cfg->listen[i],
		    hub_console_accept, hl, lerr, sizeof lerr)) == NULL) {
			snprintf(err, errlen, "console %s: %s", cfg->name,
			    lerr);
			hub_console_close(hub, hc, NULL);
			return NULL;
		}
		log_info("console %s: listening on %s (%s%s%s)", cfg->name,
		    listener_name(hl->l), cfg->listen[i].telnet ? "telnet" :
		    "raw", cfg->listen[i].tls ? ", TLS" : "",
		    cfg->listen[i].auth ? ", logins" : "");
		hc->nls++;
	}
	return hc;
}

static struct hub_console *
hub_console_find(struct hub *hub, const char *name)
{
	struct hub_console	*hc;

	TAILQ_FOREACH(hc, &hub->consoles, entry) {
		if (strcmp(hc->con->name, name) == 0) {
			return hc;
		}
	}
	return NULL;
}

/* Login services. */

static void
hub_login_accept(void *arg, int fd, const struct sockaddr *sa,
    socklen_t salen, uint64_t via)
{
	struct hub_login	*hl = arg;
	size_t			 i;

	for (i = 0; i < hl->nlisteners; i++) {
		if (listener_id(hl->listeners[i]) == via && hl->tls[i]) {
			(void)session_start_tls(hl->srv, hl->svc, fd, sa,
			    salen, hl->srv->tls);
			return;
		}
	}
	(void)session_start(hl->srv, hl->svc, fd, fd, sa, salen);
}

static void
hub_login_close(struct hub *hub, struct hub_login *hl)
{
	size_t	i;

	for (i = 0; i < hl->nlisteners; i++) {
		listener_free(hl->listeners[i]);
	}
	if (hl->svc != NULL) {
		login_release(hl->svc);
	}
	for (i = 0; i < hub->nlogins; i++) {
		if (hub->logins[i] == hl) {
			memmove(&hub->logins[i], &hub->logins[i + 1],
			    (hub->nlogins - i - 1) * sizeof *hub->logins);
			hub->nlogins--;
			break;
		}
	}
	free(hl);
}

static struct hub_login *
hub_login_open(struct server *srv, struct hub *hub,
    const struct cfg_login *cfg, char *err, size_t errlen)
{
	struct hub_login	*hl;
	char			 lerr[300];
	size_t			 i;

	if (access(cfg->program, X_OK) == -1) {
		snprintf(err, errlen, "login %s: program %s: %s", cfg->name,
		    cfg->program, strerror(errno));
		return NULL;
	}
	if (hub->nlogins == CFG_CONSOLES_MAX ||
	    (hl = calloc(1, sizeof *hl)) == NULL) {
		snprintf(err, errlen, "login %s: out of memory", cfg->name);
		return NULL;
	}
	hub->logins[hub->nlogins++] = hl;
	if ((hl->svc = login_new(cfg)) == NULL) {
		hub_login_close(hub, hl);
		snprintf(err, errlen, "login %s: out of memory", cfg->name);
		return NULL;
	}
	hl->srv = srv;
	snprintf(hl->name, sizeof hl->name, "%s", cfg->name);
	hl->digest = cfg->digest;
	for (i = 0; i < cfg->nlisten; i++) {
		hl->listeners[i] = listener_open(srv, &cfg->listen[i],
		    hub_login_accept, hl, lerr, sizeof lerr);
		if (hl->listeners[i] == NULL) {
			snprintf(err, errlen, "login %s: %s", cfg->name, lerr);
			hub_login_close(hub, hl);
			return NULL;
		}
		log_info("login %s: listening on %s%s", cfg->name,
		    listener_name(hl->listeners[i]), cfg->listen[i].tls ?
		    " (TLS)" : "");
		hl->tls[i] = cfg->listen[i].tls;
		hl->nlisteners++;
	}
	return hl;
}

/*
 * Bring the running logins in line with cfg: keep those whose section is
 * unchanged, close the rest (first: they may hold the ports), open new
 * and changed ones.
 */
static int
hub_logins_apply(struct server *srv, const struct config *cfg, char *err,
    size_t errlen, int strict)
{
	struct hub		*hub = hub_of(srv);
	struct hub_login	*hl;
	size_t			 i, j;
	int			 found;

	if (hub == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (j = hub->nlogins; j > 0; j--) {
		hl = hub->logins[j - 1];
		found = 0;
		for (i = 0; i < cfg->nlogins && !found; i++) {
			found = strcmp(cfg->logins[i].name, hl->name) == 0 &&
			    cfg->logins[i].digest == hl->digest;
		}
		if (!found) {
			log_info("login %s: %s", hl->name, strict ? "closed" :
			    "removed or changed");
			hub_login_close(hub, hl);
		}
	}
	for (i = 0; i < cfg->nlogins; i++) {
		found = 0;
		for (j = 0; j < hub->nlogins; j++) {
			found |= strcmp(cfg->logins[i].name,
			    hub->logins[j]->name) == 0;
		}
		if (found || hub_login_open(srv, hub, &cfg->logins[i], err,
		    errlen) != NULL) {
			continue;
		}
		if (strict) {
			return -1;
		}
		log_warn("SIGHUP: %s", err);
	}
	return 0;
}

/* Networks. */

/*
 * Bring the running networks in line with cfg: keep those whose section
 * is unchanged, with their ports; close the rest first (they may hold
 * the addresses), then open new and changed ones.  At start (strict) a
 * network that cannot open fails the start; on SIGHUP it is logged.
 * Counts what was kept, closed and started, when asked.
 */
static int
hub_networks_apply(struct server *srv, const struct config *cfg, char *err,
    size_t errlen, int strict, size_t counts[3])
{
	struct network			*net, *next;
	const struct cfg_network	*nc;
	size_t				 i;

	for (net = network_next(srv, NULL); net != NULL; net = next) {
		next = network_next(srv, net);
		nc = config_network(cfg, network_name(net));
		if (nc != NULL && nc->digest == network_cfg(net)->digest) {
			network_adopt(net, nc);
			counts[0]++;
			continue;
		}
		log_info("SIGHUP: network %s %s", network_name(net),
		    nc == NULL ? "removed: closing it and its ports" :
		    "changed: restarting it (its stream guests must "
		    "reconnect)");
		network_free(net);
		counts[1]++;
	}
	for (i = 0; i < cfg->nnetworks; i++) {
		if (network_find(srv, cfg->networks[i].name) != NULL) {
			continue;
		}
		if (network_new(srv, &cfg->networks[i], err, errlen) != NULL) {
			counts[2]++;
			continue;
		}
		if (strict) {
			return -1;
		}
		log_warn("SIGHUP: %s", err);
	}
	return 0;
}

/* The broker's listeners. */

static void
hub_broker_accept(void *arg, int fd, const struct sockaddr *sa,
    socklen_t salen, uint64_t via)
{
	struct hub_broker	*hb = arg;

	broker_accept(hb->srv, fd, sa, salen, &hb->how, via);
}

static void
hub_broker_free(struct hub_broker *hb)
{
	listener_free(hb->l);
	config_listen_clear(&hb->how);
	free(hb);
}

static void
hub_broker_close(struct hub *hub)
{
	size_t	i;

	for (i = 0; i < hub->nbroker; i++) {
		hub_broker_free(hub->broker[i]);
	}
	hub->nbroker = 0;
}

/*
 * The broker's listeners a configuration asks for: its broker = lines,
 * then the unix socket (path is room for the default one, whose
 * directory is made if missing).  Returns how many, or -1 with a message
 * when the default socket's directory may not be used.
 */
static int
hub_broker_wanted(const struct config *cfg, struct cfg_listen *out,
    char *path, size_t pathlen, char *err, size_t errlen)
{
	struct cfg_listen	*how;
	char			 why[300];
	size_t			 n;

	for (n = 0; n < cfg->nbroker; n++) {
		out[n] = cfg->broker[n];
	}
	if (cfg->broker_unix_off) {
		return (int)n;
	}
	how = &out[n];
	memset(how, 0, sizeof *how);
	how->kind = CFG_LISTEN_UNIX;
	how->telnet = 1;
	how->mode = cfg->broker_unix_mode;
	how->owner = (uid_t)-1;
	how->group = cfg->broker_unix_group;
	how->path = cfg->broker_unix;
	if (how->path == NULL) {
		if (rundir_socket(path, pathlen, 1, why, sizeof why) == -1) {
			snprintf(err, errlen, "broker: not using the default "
			    "socket: %s (or set XDG_RUNTIME_DIR, or give "
			    "broker-unix = PATH in the [ttyhubd] section)",
			    why);
			return -1;
		}
		how->path = path;
	}
	return (int)n + 1;
}

/* Open one broker listener as how says, into the table. */
static int
hub_broker_add(struct server *srv, struct hub *hub,
    const struct cfg_listen *how, int default_socket, char *err,
    size_t errlen)
{
	struct hub_broker	*hb;
	char			 lerr[300];

	if ((hb = calloc(1, sizeof *hb)) == NULL) {
		snprintf(err, errlen, "broker: out of memory");
		return -1;
	}
	hb->srv = srv;
	hb->how = *how;
	hb->how.host = how->host != NULL ? strdup(how->host) : NULL;
	hb->how.path = how->path != NULL ? strdup(how->path) : NULL;
	if ((how->host != NULL && hb->how.host == NULL) ||
	    (how->path != NULL && hb->how.path == NULL)) {
		config_listen_clear(&hb->how);
		free(hb);
		snprintf(err, errlen, "broker: out of memory");
		return -1;
	}
	if ((hb->l = listener_open(srv, how, hub_broker_accept, hb, lerr,
	    sizeof lerr)) == NULL) {
		/* Most often a second daemon started with the defaults. */
		snprintf(err, errlen, "broker: %s%s", lerr,
		    how->kind != CFG_LISTEN_UNIX || errno != EADDRINUSE ? "" :
		    default_socket ? " (another ttyhubd? give this one its "
		    "own: broker-unix = PATH, or none, in the [ttyhubd] "
		    "section)" : " (another ttyhubd? move this one's with "
		    "broker-unix in the [ttyhubd] section)");
		config_listen_clear(&hb->how);
		free(hb);
		return -1;
	}
	log_info("broker: listening on %s%s%s", listener_name(hb->l),
	    how->tls ? " (TLS)" : "", how->auth ? " (logins)" : "");
	hub->broker[hub->nbroker++] = hb;
	return 0;
}

static int
hub_broker_open(struct server *srv, const struct config *cfg, char *err,
    size_t errlen)
{
	struct hub		*hub = hub_of(srv);
	struct cfg_listen	 want[HUB_BROKER_MAX];
	char			 path[256];
	int			 i, n;

	if (hub == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((n = hub_broker_wanted(cfg, want, path, sizeof path, err,
	    errlen)) == -1) {
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (hub_broker_add(srv, hub, &want[i], want[i].path == path,
		    err, errlen) == -1) {
			hub_broker_close(hub);
			return -1;
		}
	}
	return 0;
}

/*
 * SIGHUP: keep each broker listener the new file asks for exactly as it
 * is; close the others, and with them the clients that came through
 * them (a listener that is now read-only must not leave writers behind,
 * as a fresh start would not); open what is new.
 */
static void
hub_broker_reload(struct server *srv, const struct config *cfg)
{
	struct hub		*hub = srv->hub;
	struct cfg_listen	 want[HUB_BROKER_MAX];
	int			 kept[HUB_BROKER_MAX] = { 0 };
	char			 path[256], err[512];
	size_t			 i, n = 0;
	int			 j, nwant, found;

	if ((nwant = hub_broker_wanted(cfg, want, path, sizeof path, err,
	    sizeof err)) == -1) {
		log_warn("SIGHUP: %s", err);
		nwant = (int)cfg->nbroker;	/* the broker = lines, still */
	}
	for (i = 0; i < hub->nbroker; i++) {
		found = 0;
		for (j = 0; j < nwant && !found; j++) {
			if (!kept[j] &&
			    config_listen_same(&hub->broker[i]->how, &want[j])) {
				kept[j] = found = 1;
			}
		}
		if (found) {
			hub->broker[n++] = hub->broker[i];
			continue;
		}
		log_info("SIGHUP: broker: %s %s", listener_name(
		    hub->broker[i]->l), "changed or removed: closing it and "
		    "its clients");
		conn_close_via(srv, listener_id(hub->broker[i]->l),
		    "the broker's listener was reconfigured: reconnect");
		hub_broker_free(hub->broker[i]);
	}
	hub->nbroker = n;
	for (j = 0; j < nwant; j++) {
		if (!kept[j] && hub_broker_add(srv, hub, &want[j],
		    want[j].path == path, err, sizeof err) == -1) {
			log_warn("SIGHUP: %s", err);
		}
	}
}

/* The web console's listeners. */

static void
hub_web_accept(void *arg, int fd, const struct sockaddr *sa,
    socklen_t salen, uint64_t via)
{
	struct hub_web	*hw = arg;

#if TTYHUB_WEB
	web_accept(hw->srv, fd, sa, salen, &hw->how, via);
#else
	/* Never opened (hub_web_add): only for the compiler's sake. */
	(void)hw;
	(void)sa;
	(void)salen;
	(void)via;
	close(fd);
#endif
}

static void
hub_web_free(struct hub_web *hw)
{
	listener_free(hw->l);
	config_listen_clear(&hw->how);
	free(hw);
}

static void
hub_web_close(struct hub *hub)
{
	while (hub->nweb > 0) {
		hub_web_free(hub->web[--hub->nweb]);
	}
}

/* Open one web listener as how says, into the table. */
static int
hub_web_add(struct server *srv, struct hub *hub, const struct cfg_listen *how,
    char *err, size_t errlen)
{
	struct hub_web	*hw;
	char		 lerr[300];

	if (!TTYHUB_WEB) {
		snprintf(err, errlen, "web: this ttyhubd was built without the "
		    "web console (make static leaves it out)");
		return -1;
	}
	if ((hw = calloc(1, sizeof *hw)) == NULL) {
		snprintf(err, errlen, "web: out of memory");
		return -1;
	}
	hw->srv = srv;
	hw->how = *how;
	hw->how.path = NULL;
	if (how->host != NULL && (hw->how.host = strdup(how->host)) == NULL) {
		free(hw);
		snprintf(err, errlen, "web: out of memory");
		return -1;
	}
	if ((hw->l = listener_open(srv, how, hub_web_accept, hw, lerr,
	    sizeof lerr)) == NULL) {
		snprintf(err, errlen, "web: %s", lerr);
		config_listen_clear(&hw->how);
		free(hw);
		return -1;
	}
	log_info("web: listening on %s%s%s%s", listener_name(hw->l),
	    how->ro ? " (read-only)" : "", how->tls ? " (TLS)" : "",
	    how->auth ? " (logins)" : "");
	hub->web[hub->nweb++] = hw;
	return 0;
}

static int
hub_web_open(struct server *srv, const struct config *cfg, char *err,
    size_t errlen)
{
	struct hub	*hub = hub_of(srv);
	size_t		 i;

	for (i = 0; hub != NULL && i < cfg->nweb; i++) {
		if (hub_web_add(srv, hub, &cfg->web[i], err, errlen) == -1) {
			hub_web_close(hub);
			return -1;
		}
	}
	return 0;
}

/* SIGHUP: as hub_broker_reload, for the web = lines. */
static void
hub_web_reload(struct server *srv, const struct config *cfg)
{
	struct hub	*hub = srv->hub;
	int		 kept[CFG_LISTEN_MAX] = { 0 };
	char		 err[512];
	size_t		 i, j, n = 0;
	int		 found;

	for (i = 0; i < hub->nweb; i++) {
		found = 0;
		for (j = 0; j < cfg->nweb && !found; j++) {
			if (!kept[j] &&
			    config_listen_same(&hub->web[i]->how, &cfg->web[j])) {
				kept[j] = found = 1;
			}
		}
		if (found) {
			hub->web[n++] = hub->web[i];
			continue;
		}
		log_info("SIGHUP: web: %s changed or removed: closing it and "
		    "its clients", listener_name(hub->web[i]->l));
		conn_close_via(srv, listener_id(hub->web[i]->l),
		    "the web listener was reconfigured: reconnect");
		hub_web_free(hub->web[i]);
	}
	hub->nweb = n;
	for (j = 0; j < cfg->nweb; j++) {
		if (!kept[j] && hub_web_add(srv, hub, &cfg->web[j], err,
		    sizeof err) == -1) {
			log_warn("SIGHUP: %s", err);
		}
	}
}

/*
 * The TLS context of a configuration, made from its files: on SIGHUP
 * too, so renewed certificates take effect without touching a listener
 * (connections keep the context they were made with).
 */
static int
hub_tls(struct server *srv, const struct config *cfg, char *err,
    size_t errlen)
{
	struct tls_ctx	*ctx = NULL;

	if (cfg->tls_cert != NULL && (ctx = tls_ctx_server(cfg->tls_cert,
	    cfg->tls_key, cfg->tls_ca, err, errlen)) == NULL) {
		return -1;
	}
	tls_ctx_free(srv->tls);
	srv->tls = ctx;
	return 0;
}

int
hub_start(struct server *srv, struct config *cfg, char *err, size_t errlen)
{
	size_t	i, counts[3] = { 0, 0, 0 };

	if (hub_tls(srv, cfg, err, errlen) == -1) {
		config_free(cfg);
		return -1;
	}
	srv->max_clients = cfg->max_clients;
	srv->max_per_source = cfg->max_per_source;
	for (i = 0; i < cfg->nconsoles; i++) {
		if (hub_console_open(srv, &cfg->consoles[i], err,
		    errlen) == NULL) {
			hub_stop(srv);
			config_free(cfg);
			return -1;
		}
	}
	/*
	 * The broker last: once it answers, all is there, so whoever
	 * waits for it may reach a web or login listener at once.
	 */
	if (hub_networks_apply(srv, cfg, err, errlen, 1, counts) == -1 ||
	    hub_web_open(srv, cfg, err, errlen) == -1 ||
	    hub_logins_apply(srv, cfg, err, errlen, 1) == -1 ||
	    hub_broker_open(srv, cfg, err, errlen) == -1) {
		hub_stop(srv);
		config_free(cfg);
		return -1;
	}
	srv->cfg = cfg;
	if (cfg->nnetworks > 0) {
		log_info("%s: %zu console%s, %zu network%s", cfg->file,
		    cfg->nconsoles, cfg->nconsoles == 1 ? "" : "s",
		    cfg->nnetworks, cfg->nnetworks == 1 ? "" : "s");
	} else {
		log_info("%s: %zu console%s", cfg->file, cfg->nconsoles,
		    cfg->nconsoles == 1 ? "" : "s");
	}
	return 0;
}

/* The broker's listeners to DNS-SD, as they are now. */
static void
hub_publish(struct server *srv)
{
	const struct cfg_listen	*how[HUB_BROKER_MAX];
	struct hub		*hub = srv->hub;
	size_t			 i;

	if (hub == NULL || srv->cfg == NULL) {
		return;
	}
	for (i = 0; i < hub->nbroker; i++) {
		how[i] = &hub->broker[i]->how;
	}
	publish_update(srv, srv->cfg, how, hub->nbroker);
}

void
hub_run(struct server *srv)
{
	struct console	*con;

	TAILQ_FOREACH(con, &srv->consoles, entry) {
		console_start(con);
	}
	hub_publish(srv);
}

/* SIGHUP for consoles: how many kept, closed and started. */
static void
hub_consoles_reload(struct server *srv, const struct config *cfg,
    size_t *kept, size_t *closed, size_t *started)
{
	struct hub			*hub = srv->hub;
	struct hub_console		*hc, *next;
	const struct cfg_console	*nc;
	char				 err[512];
	size_t				 i;

	TAILQ_FOREACH_SAFE(hc, &hub->consoles, entry, next) {
		nc = config_console(cfg, hc->con->name);
		if (nc != NULL && nc->digest == hc->con->cfg->digest) {
			console_adopt(hc->con, nc);
			(*kept)++;
			continue;
		}
		log_info("SIGHUP: console %s %s", hc->con->name,
		    nc == NULL ? "removed" : "changed: restarting it");
		hub_console_close(hub, hc, nc == NULL ? "console removed from "
		    "the configuration" : "console reconfigured: reattach");
		(*closed)++;
	}
	for (i = 0; i < cfg->nconsoles; i++) {
		if (hub_console_find(hub, cfg->consoles[i].name) != NULL) {
			continue;
		}
		if ((hc = hub_console_open(srv, &cfg->consoles[i], err,
		    sizeof err)) == NULL) {
			log_warn("SIGHUP: %s", err);
			continue;
		}
		console_start(hc->con);
		(*started)++;
	}
}

void
hub_reload(struct server *srv)
{
	struct config	*old = srv->cfg, *cfg;
	char		 err[512];
	size_t		 kept = 0, started = 0, closed = 0;
	size_t		 nets[3] = { 0, 0, 0 };

	if (old == NULL || srv->hub == NULL) {
		return;
	}
	if (config_load(old->file, &cfg, err, sizeof err) == -1) {
		log_warn("SIGHUP: %s; keeping the running configuration", err);
		return;
	}
	if (hub_tls(srv, cfg, err, sizeof err) == -1) {
		log_warn("SIGHUP: %s; keeping the running configuration", err);
		config_free(cfg);
		return;
	}
	hub_consoles_reload(srv, cfg, &kept, &closed, &started);
	srv->max_clients = cfg->max_clients;
	srv->max_per_source = cfg->max_per_source;
	(void)hub_logins_apply(srv, cfg, err, sizeof err, 0);
	(void)hub_networks_apply(srv, cfg, err, sizeof err, 0, nets);
	hub_broker_reload(srv, cfg);
	hub_web_reload(srv, cfg);
	srv->cfg = cfg;
	config_free(old);
	log_info("SIGHUP: %s: %zu console%s kept, %zu closed, %zu started",
	    cfg->file, kept, kept == 1 ? "" : "s", closed, started);
	if (nets[0] + nets[1] + nets[2] > 0) {
		log_info("SIGHUP: %s: %zu network%s kept, %zu closed, %zu "
		    "started", cfg->file, nets[0], nets[0] == 1 ? "" : "s",
		    nets[1], nets[2]);
	}
	hub_publish(srv);
}

void
hub_stop(struct server *srv)
{
	struct hub		*hub = srv->hub;
	struct hub_console	*hc;

	publish_stop(srv);
	if (hub != NULL) {
		hub_broker_close(hub);
		hub_web_close(hub);
		while (hub->nlogins > 0) {
			hub_login_close(hub, hub->logins[0]);
		}
	}
	while (network_next(srv, NULL) != NULL) {
		network_free(network_next(srv, NULL));
	}
	broker_close_all(srv);
	if (hub != NULL) {
		while ((hc = TAILQ_FIRST(&hub->consoles)) != NULL) {
			hub_console_close(hub, hc, NULL);
		}
	}
	/* Connections still saying their last words. */
	conn_close_all(srv);
	free(hub);
	srv->hub = NULL;
	tls_ctx_free(srv->tls);
	srv->tls = NULL;
	if (srv->cfg != NULL) {
		config_free(srv->cfg);
		srv->cfg = NULL;
	}
}
