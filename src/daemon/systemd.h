/*
 * systemd: the service manager's two protocols, spoken without
 * libsystemd: readiness notification (sd_notify(3): READY, RELOADING,
 * STOPPING, STATUS on the datagram socket $NOTIFY_SOCKET names) and
 * socket activation (sd_listen_fds(3): listening sockets passed from fd
 * 3 on, with $LISTEN_PID, $LISTEN_FDS and $LISTEN_FDNAMES).  Without
 * those variables every call here does nothing.
 */
#ifndef TTYHUB_SYSTEMD_H
#define TTYHUB_SYSTEMD_H

#include <stddef.h>

struct cfg_listen;

/*
 * Take what the service manager passed: the notification socket's
 * address and the listening sockets meant for this process, which become
 * close-on-exec.  Clears the variables, so no child sees them.  Call
 * first thing in main.
 */
void		 systemd_init(void);

/*
 * A passed socket that listens where how says (the same unix path, or
 * TCP address and port: "*" is the any address of either family), taken
 * out of the pool; -1 if there is none.  *name is its name from
 * $LISTEN_FDNAMES (borrowed; "" if none).
 */
int		 systemd_take(const struct cfg_listen *how, const char **name);

/*
 * A listener that took fd stops using it (a reload changed it): back in
 * the pool, for the listener that replaces it.
 */
void		 systemd_give_back(int fd);

/* Say once, for each passed socket nobody took, that it is not used. */
void		 systemd_unused(void);

/* How many sockets were passed. */
size_t		 systemd_passed(void);

/*
 * Send one notification ("READY=1\nSTATUS=...") if there is a socket to
 * send it to.  Errors are ignored, as sd_notify's callers do.
 */
void		 systemd_notify(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));

/* The RELOADING=1 notification, with MONOTONIC_USEC (systemd 253). */
void		 systemd_reloading(void);

#endif
