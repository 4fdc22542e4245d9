/*
 * auth-pam: the check itself, through PAM, in auth.c's child process.
 *
 * The conversation answers the one thing a password check asks with
 * echo off, the password, and the user name if a module asks for it
 * with echo on; messages are dropped (nobody reads them).  The account
 * must pass too (pam_acct_mgmt: expired, locked, not allowed here), or
 * a locked account would still attach to consoles.
 */
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "auth.h"

struct auth_pam_conv {
	const char	*user;
	const char	*password;
};

static int
auth_pam_conv(int n, const struct pam_message **msg,
    struct pam_response **resp, void *arg)
{
	const struct auth_pam_conv	*c = arg;
	struct pam_response		*r;
	const char			*say;
	int				 i;

	if (n <= 0 || n > PAM_MAX_NUM_MSG ||
	    (r = calloc((size_t)n, sizeof *r)) == NULL) {
		return PAM_CONV_ERR;
	}
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			say = c->password;
			break;
		case PAM_PROMPT_ECHO_ON:
			say = c->user;
			break;
		default:
			say = NULL;
			break;
		}
		if (say != NULL && (r[i].resp = strdup(say)) == NULL) {
			for (; i >= 0; i--) {
				free(r[i].resp);
			}
			free(r);
			return PAM_CONV_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

int
auth_pam_check(const char *service, const char *user, const char *password,
    const char *rhost)
{
	struct auth_pam_conv	 c = { user, password };
	struct pam_conv		 conv = { auth_pam_conv, &c };
	pam_handle_t		*h = NULL;
	int			 r;

	if (pam_start(service, user, &conv, &h) != PAM_SUCCESS) {
		return -1;
	}
	r = pam_set_item(h, PAM_RHOST, rhost);
	if (r == PAM_SUCCESS) {
		r = pam_authenticate(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	}
	if (r == PAM_SUCCESS) {
		r = pam_acct_mgmt(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	}
	(void)pam_end(h, r);
	return r == PAM_SUCCESS ? 0 : -1;
}
