/*
 * auth: is this the user's password?  For the broker's and Telnet
 * listeners' login prompt (gate.c) and the web console's login form.
 *
 * PAM may take its time (a remote directory, pam_faildelay, a module
 * that sleeps), so each check runs in a child process of its own (the
 * PAM service "ttyhub", or pam-service in [ttyhubd]) and the answer
 * comes back to the loop through the callback, never from inside
 * auth_start.  A failure is answered late, later for each failure from
 * the same address in a row, and said the same way whatever went wrong
 * (no such user, a wrong password, an account refused), so an answer
 * neither tells whether the user exists nor comes quickly enough to
 * guess at speed.  Checks at once are capped, in all and per address.
 */
#ifndef TTYHUB_AUTH_H
#define TTYHUB_AUTH_H

#include <stdint.h>

#define AUTH_PASSWORD_MAX	512
#define AUTH_TIMEOUT_MS		15000	/* a longer check has failed */

struct auth;
struct server;

/*
 * The answer: ok is 1 when PAM took the user and password (and the
 * account), else 0.  user is the name as it was asked for.
 */
typedef void	(*auth_cb)(void *arg, int ok, const char *user);

/*
 * Check user and password for a peer at addr (16 bytes, IPv4 mapped;
 * the slow-down is kept per address) named peer in the log.  The
 * password is wiped from our memory before this returns.  Returns the
 * check, whose answer comes later through cb, or NULL when out of
 * memory (nothing will come).
 */
struct auth	*auth_start(struct server *srv, const char *user,
		    char *password, const uint8_t addr[16], const char *peer,
		    auth_cb cb, void *arg);

/* The asker has gone: no answer will come; the child is ended. */
void		 auth_cancel(struct auth *a);

/*
 * The variant that does the checking, in the child (auth-pam.c, or
 * auth-none.c where PAM is not built in): 0 when service takes user
 * and password, -1 otherwise.  rhost is the peer's address.
 */
int		 auth_pam_check(const char *service, const char *user,
		    const char *password, const char *rhost);

#endif
