/*
 * rundir: where the broker's unix socket is when nothing says otherwise.
 * One answer for the daemon, which makes the directory, and the client
 * (src/client/ttyhub.c links this file too), which finds the socket:
 *
 *	root			/run/ttyhub/ttyhub.sock
 *	XDG_RUNTIME_DIR set	$XDG_RUNTIME_DIR/ttyhub.sock
 *	otherwise		/tmp/ttyhub-UID/ttyhub.sock
 *
 * /tmp is everyone's, so a directory there is used only if it is ours
 * and nobody else may write to it: another user could otherwise make it
 * first and put a daemon of their own in our place.
 */
#ifndef TTYHUB_RUNDIR_H
#define TTYHUB_RUNDIR_H

#include <stddef.h>

#define RUNDIR_ROOT		"/run/ttyhub"
#define RUNDIR_ROOT_SOCKET	RUNDIR_ROOT "/ttyhub.sock"

/*
 * The default socket's path for this user, in buf.  With make, its
 * directory is made if missing.  The directory is checked (a missing one
 * is fine without make: there is nothing there to trust yet).  Returns
 * 0, or -1 with a message in err naming the directory, what is wrong
 * with it and, where there is one, the fix; the caller adds the other
 * ways out it has.
 */
int	rundir_socket(char *buf, size_t len, int make, char *err,
	    size_t errlen);

#endif
