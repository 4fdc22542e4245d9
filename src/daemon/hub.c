/*
 * hub: a configuration, put into effect.  See hub.h.
 *
 * A reload builds the new configuration completely before touching the
 * running one: a file that does not parse changes nothing.  Then consoles
 * whose section is byte for byte the same (by digest) adopt the new copy
 * and keep their backend and clients; removed and changed ones are
 * closed, with a notice to their clients; new and changed ones start.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "console.h"
#include "hub.h"
#include "listener.h"
#include "log.h"
#include "login.h"
#include "rundir.h"
#include "server.h"

#define HUB_BROKER_MAX	(CFG_LISTEN_MAX + 1)

/*
 * A broker listener and what it was opened as, host and path copied: a
 * reload keeps it only if the new file asks for exactly the same.
 */
struct hub_broker {
	struct cfg_listen	 how;
	struct listener		*l;
};

static struct hub_broker	hub_broker[HUB_BROKER_MAX];
static size_t			hub_nbroker;

/*
 * A running [login NAME] section: its service and listeners.  Sessions
 * hold the service themselves, so closing this leaves them running.
 */
struct hub_login {
	char			 name[CFG_NAME_MAX + 1];
	uint64_t		 digest;
	struct login_svc	*svc;
	struct listener		*listeners[CFG_LISTEN_MAX];
	size_t			 nlisteners;
};

static struct hub_login	*hub_logins;
static size_t		 hub_nlogins;

static void
hub_login_close(struct hub_login *hl)
{
	size_t	i;

	for (i = 0; i < hl->nlisteners; i++) {
		listener_free(hl->listeners[i]);
	}
	hl->nlisteners = 0;
	if (hl->svc != NULL) {
		login_release(hl->svc);
		hl->svc = NULL;
	}
}

static int
hub_login_open(struct server *srv, struct hub_login *hl,
    const struct cfg_login *cfg, char *err, size_t errlen)
{
	struct cfg_listen	 how;
	char			 lerr[300];
	size_t			 i;

	memset(hl, 0, sizeof *hl);
	snprintf(hl->name, sizeof hl->name, "%s", cfg->name);
	hl->digest = cfg->digest;
	if (access(cfg->program, X_OK) == -1) {
		snprintf(err, errlen, "login %s: program %s: %s", cfg->name,
		    cfg->program, strerror(errno));
		return -1;
	}
	if ((hl->svc = login_new(cfg)) == NULL) {
		snprintf(err, errlen, "login %s: out of memory", cfg->name);
		return -1;
	}
	for (i = 0; i < cfg->nlisten; i++) {
		how = cfg->listen[i];
		hl->listeners[i] = listener_open(srv, &how, NULL, lerr,
		    sizeof lerr);
		if (hl->listeners[i] == NULL) {
			snprintf(err, errlen, "login %s: %s", cfg->name, lerr);
			hub_login_close(hl);
			return -1;
		}
		listener_serve_login(hl->listeners[i], hl->svc);
		log_info("login %s: listening on %s", cfg->name,
		    listener_name(hl->listeners[i]));
		hl->nlisteners++;
	}
	return 0;
}

/*
 * Bring the running logins in line with cfg: keep those whose section is
 * unchanged, close the rest, open new and changed ones.
 */
static int
hub_logins_apply(struct server *srv, const struct config *cfg, char *err,
    size_t errlen, int strict)
{
	struct hub_login	*next;
	size_t			 i, j, n = 0;
	int			 found, rc = 0;

	if ((next = calloc(cfg->nlogins + 1, sizeof *next)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Close removed and changed ones first: they may hold the ports. */
	for (j = 0; j < hub_nlogins; j++) {
		found = 0;
		for (i = 0; i < cfg->nlogins; i++) {
			if (strcmp(cfg->logins[i].name, hub_logins[j].name) == 0 &&
			    cfg->logins[i].digest == hub_logins[j].digest) {
				found = 1;
			}
		}
		if (!found) {
			log_info("login %s: %s", hub_logins[j].name,
			    strict ? "closed" : "removed or changed");
			hub_login_close(&hub_logins[j]);
			hub_logins[j].name[0] = '\0';
		}
	}
	for (i = 0; i < cfg->nlogins; i++) {
		found = 0;
		for (j = 0; j < hub_nlogins; j++) {
			if (hub_logins[j].name[0] != '\0' &&
			    strcmp(cfg->logins[i].name, hub_logins[j].name) == 0) {
				next[n++] = hub_logins[j];
				hub_logins[j].name[0] = '\0';
				found = 1;
			}
		}
		if (found) {
			continue;
		}
		if (hub_login_open(srv, &next[n], &cfg->logins[i], err,
		    errlen) == -1) {
			if (strict) {
				rc = -1;
				break;
			}
			log_warn("SIGHUP: %s", err);
			continue;
		}
		n++;
	}
	free(hub_logins);
	hub_logins = next;
	hub_nlogins = n;
	return rc;
}

static void
hub_logins_close(void)
{
	size_t	i;

	for (i = 0; i < hub_nlogins; i++) {
		hub_login_close(&hub_logins[i]);
	}
	free(hub_logins);
	hub_logins = NULL;
	hub_nlogins = 0;
}

static void
hub_broker_free(struct hub_broker *hb)
{
	listener_free(hb->l);
	hb->l = NULL;
	config_listen_clear(&hb->how);
}

static void
hub_broker_close(void)
{
	size_t	i;

	for (i = 0; i < hub_nbroker; i++) {
		hub_broker_free(&hub_broker[i]);
	}
	hub_nbroker = 0;
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
hub_broker_add(struct server *srv, const struct cfg_listen *how,
    int default_socket, char *err, size_t errlen)
{
	struct hub_broker	*hb = &hub_broker[hub_nbroker];
	char			 lerr[300];

	if ((hb->l = listener_open(srv, how, NULL, lerr,
	    sizeof lerr)) == NULL) {
		/* Most often a second daemon started with the defaults. */
		snprintf(err, errlen, "broker: %s%s", lerr,
		    how->kind != CFG_LISTEN_UNIX || errno != EADDRINUSE ? "" :
		    default_socket ? " (another ttyhubd? give this one its "
		    "own: broker-unix = PATH, or none, in the [ttyhubd] "
		    "section)" : " (another ttyhubd? move this one's with "
		    "broker-unix in the [ttyhubd] section)");
		return -1;
	}
	hb->how = *how;
	hb->how.host = how->host != NULL ? strdup(how->host) : NULL;
	hb->how.path = how->path != NULL ? strdup(how->path) : NULL;
	if ((how->host != NULL && hb->how.host == NULL) ||
	    (how->path != NULL && hb->how.path == NULL)) {
		hub_broker_free(hb);
		snprintf(err, errlen, "broker: out of memory");
		return -1;
	}
	log_info("broker: listening on %s", listener_name(hb->l));
	hub_nbroker++;
	return 0;
}

static int
hub_broker_open(struct server *srv, const struct config *cfg, char *err,
    size_t errlen)
{
	struct cfg_listen	 want[HUB_BROKER_MAX];
	char			 path[256];
	int			 i, n;

	if ((n = hub_broker_wanted(cfg, want, path, sizeof path, err,
	    errlen)) == -1) {
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (hub_broker_add(srv, &want[i], want[i].path == path, err,
		    errlen) == -1) {
			hub_broker_close();
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
	for (i = 0; i < hub_nbroker; i++) {
		found = 0;
		for (j = 0; j < nwant && !found; j++) {
			if (!kept[j] &&
			    config_listen_same(&hub_broker[i].how, &want[j])) {
				kept[j] = found = 1;
			}
		}
		if (found) {
			hub_broker[n++] = hub_broker[i];
			continue;
		}
		log_info("SIGHUP: broker: %s %s", listener_name(hub_broker[i].l),
		    "changed or removed: closing it and its clients");
		client_close_via(srv, listener_id(hub_broker[i].l),
		    "the broker's listener was reconfigured: reconnect");
		hub_broker_free(&hub_broker[i]);
	}
	hub_nbroker = n;
	for (j = 0; j < nwant; j++) {
		if (!kept[j] && hub_broker_add(srv, &want[j],
		    want[j].path == path, err, sizeof err) == -1) {
			log_warn("SIGHUP: %s", err);
		}
	}
}

int
hub_start(struct server *srv, struct config *cfg, char *err, size_t errlen)
{
	size_t	i;

	srv->max_clients = cfg->max_clients;
	srv->max_per_source = cfg->max_per_source;
	for (i = 0; i < cfg->nconsoles; i++) {
		if (console_new(srv, &cfg->consoles[i], err, errlen) == NULL) {
			hub_stop(srv);
			config_free(cfg);
			return -1;
		}
	}
	if (hub_broker_open(srv, cfg, err, errlen) == -1 ||
	    hub_logins_apply(srv, cfg, err, errlen, 1) == -1) {
		hub_stop(srv);
		config_free(cfg);
		return -1;
	}
	srv->cfg = cfg;
	log_info("%s: %zu console%s", cfg->file, cfg->nconsoles,
	    cfg->nconsoles == 1 ? "" : "s");
	return 0;
}

void
hub_run(struct server *srv)
{
	struct console	*con;

	TAILQ_FOREACH(con, &srv->consoles, entry) {
		console_start(con);
	}
}

void
hub_reload(struct server *srv)
{
	struct config			*old = srv->cfg, *cfg;
	struct console			*con, *next;
	const struct cfg_console	*nc;
	char				 err[512];
	size_t				 i, kept = 0, started = 0, closed = 0;

	if (old == NULL) {
		return;
	}
	if (config_load(old->file, &cfg, err, sizeof err) == -1) {
		log_warn("SIGHUP: %s; keeping the running configuration", err);
		return;
	}
	TAILQ_FOREACH_SAFE(con, &srv->consoles, entry, next) {
		nc = config_console(cfg, con->name);
		if (nc != NULL && nc->digest == con->cfg->digest) {
			console_adopt(con, nc);
			kept++;
			continue;
		}
		log_info("SIGHUP: console %s %s", con->name,
		    nc == NULL ? "removed" : "changed: restarting it");
		console_free(con, nc == NULL ? "console removed from the "
		    "configuration" : "console reconfigured: reattach");
		closed++;
	}
	for (i = 0; i < cfg->nconsoles; i++) {
		if (console_find(srv, cfg->consoles[i].name) != NULL) {
			continue;
		}
		if ((con = console_new(srv, &cfg->consoles[i], err,
		    sizeof err)) == NULL) {
			log_warn("SIGHUP: %s", err);
			continue;
		}
		console_start(con);
		started++;
	}
	srv->max_clients = cfg->max_clients;
	srv->max_per_source = cfg->max_per_source;
	(void)hub_logins_apply(srv, cfg, err, sizeof err, 0);
	hub_broker_reload(srv, cfg);
	srv->cfg = cfg;
	config_free(old);
	log_info("SIGHUP: %s: %zu console%s kept, %zu closed, %zu started",
	    cfg->file, kept, kept == 1 ? "" : "s", closed, started);
}

void
hub_stop(struct server *srv)
{
	struct console	*con;

	hub_broker_close();
	hub_logins_close();
	client_close_all(srv);
	while ((con = TAILQ_FIRST(&srv->consoles)) != NULL) {
		console_free(con, NULL);
	}
	if (srv->cfg != NULL) {
		config_free(srv->cfg);
		srv->cfg = NULL;
	}
}
