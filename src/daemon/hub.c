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

static struct listener	*hub_broker[HUB_BROKER_MAX];
static size_t		 hub_nbroker;

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
hub_broker_close(void)
{
	size_t	i;

	for (i = 0; i < hub_nbroker; i++) {
		listener_free(hub_broker[i]);
	}
	hub_nbroker = 0;
}

static int
hub_broker_open(struct server *srv, const struct config *cfg, char *err,
    size_t errlen)
{
	struct cfg_listen	 how;
	char			 path[256], lerr[300];
	size_t			 i;

	for (i = 0; i < cfg->nbroker; i++) {
		hub_broker[hub_nbroker] = listener_open(srv, &cfg->broker[i],
		    NULL, lerr, sizeof lerr);
		if (hub_broker[hub_nbroker] == NULL) {
			snprintf(err, errlen, "broker: %s", lerr);
			hub_broker_close();
			return -1;
		}
		log_info("broker: listening on %s", listener_name(
		    hub_broker[hub_nbroker]));
		hub_nbroker++;
	}
	if (cfg->broker_unix_off) {
		return 0;
	}
	memset(&how, 0, sizeof how);
	how.kind = CFG_LISTEN_UNIX;
	how.telnet = 1;
	how.mode = cfg->broker_unix_mode;
	how.owner = (uid_t)-1;
	how.group = cfg->broker_unix_group;
	how.path = cfg->broker_unix;
	if (how.path == NULL) {
		if (rundir_socket(path, sizeof path, 1, lerr,
		    sizeof lerr) == -1) {
			snprintf(err, errlen, "broker: not using the default "
			    "socket: %s (or set XDG_RUNTIME_DIR, or give "
			    "broker-unix = PATH in the [ttyhubd] section)",
			    lerr);
			hub_broker_close();
			return -1;
		}
		how.path = path;
	}
	hub_broker[hub_nbroker] = listener_open(srv, &how, NULL, lerr,
	    sizeof lerr);
	if (hub_broker[hub_nbroker] == NULL) {
		/* Most often a second daemon started with the defaults. */
		snprintf(err, errlen, "broker: %s%s", lerr, errno != EADDRINUSE ?
		    "" : cfg->broker_unix == NULL ? " (another ttyhubd? give "
		    "this one its own: broker-unix = PATH, or none, in the "
		    "[ttyhubd] section)" : " (another ttyhubd? move this "
		    "one's with broker-unix in the [ttyhubd] section)");
		hub_broker_close();
		return -1;
	}
	log_info("broker: listening on %s", listener_name(
	    hub_broker[hub_nbroker]));
	hub_nbroker++;
	return 0;
}

int
hub_start(struct server *srv, struct config *cfg, char *err, size_t errlen)
{
	size_t	i;

	srv->max_clients = cfg->max_clients;
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

static int
hub_same_broker(const struct config *a, const struct config *b)
{
	size_t	i;

	if (a->nbroker != b->nbroker || a->broker_unix_off !=
	    b->broker_unix_off || a->broker_unix_mode != b->broker_unix_mode ||
	    a->broker_unix_group != b->broker_unix_group)
		return 0;
	if ((a->broker_unix == NULL) != (b->broker_unix == NULL) ||
	    (a->broker_unix != NULL &&
	    strcmp(a->broker_unix, b->broker_unix) != 0))
		return 0;
	for (i = 0; i < a->nbroker; i++) {
		if (a->broker[i].port != b->broker[i].port ||
		    (a->broker[i].host == NULL) != (b->broker[i].host == NULL) ||
		    (a->broker[i].host != NULL &&
		    strcmp(a->broker[i].host, b->broker[i].host) != 0))
			return 0;
	}
	return 1;
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
		if (console_new(srv, &cfg->consoles[i], err,
		    sizeof err) == NULL) {
			log_warn("SIGHUP: %s", err);
			continue;
		}
		started++;
	}
	srv->max_clients = cfg->max_clients;
	(void)hub_logins_apply(srv, cfg, err, sizeof err, 0);
	if (!hub_same_broker(old, cfg)) {
		hub_broker_close();
		if (hub_broker_open(srv, cfg, err, sizeof err) == -1) {
			log_warn("SIGHUP: %s", err);
		}
	}
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
