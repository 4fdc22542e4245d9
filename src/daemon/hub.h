/*
 * hub: puts a configuration into effect: its consoles and the broker's
 * listeners at start, and on SIGHUP only the differences.
 */
#ifndef TTYHUB_HUB_H
#define TTYHUB_HUB_H

#include <stddef.h>

struct config;
struct server;

/*
 * Set up everything cfg describes; srv takes cfg.  Returns 0, or -1 with
 * a message in err (and nothing left running).
 */
int		 hub_start(struct server *srv, struct config *cfg, char *err,
		    size_t errlen);

/*
 * The loop is about to run: start the consoles.  Until then nothing is
 * written in their logs, so a daemon that fails to start claims nothing.
 */
void		 hub_run(struct server *srv);

/* SIGHUP: read the file again and apply what changed. */
void		 hub_reload(struct server *srv);

/* Close every console and the broker (shutdown). */
void		 hub_stop(struct server *srv);

#endif
