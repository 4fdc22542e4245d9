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

/*
 * The conversation: PAM asks, one message or several; each answer is a
 * string of its own in an array of answers, all of which PAM frees.
 * The answers are made first and put in the array after, all at once:
 * gcc 12's -fanalyzer takes a string stored into r[i] in a loop for one
 * slot written twice, and reports a leak that is not there.
 */
static int
auth_pam_conv(int n, const struct pam_message **msg,
    struct pam_response **resp, void *arg)
{
	const struct auth_pam_conv	*c = arg;
	struct pam_response		*r;
	char				*say[PAM_MAX_NUM_MSG];
	int				 i, ok = 1;

	if (n <= 0 || n > PAM_MAX_NUM_MSG) {
		return PAM_CONV_ERR;
	}
	for (i = 0; i < n; i++) {
		say[i] = NULL;
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
			ok &= (say[i] = strdup(c->password)) != NULL;
		} else if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
			ok &= (say[i] = strdup(c->user)) != NULL;
		}
	}
	if (!ok || (r = calloc((size_t)n, sizeof *r)) == NULL) {
		for (i = 0; i < n; i++) {
			if (say[i] != NULL) {
				explicit_bzero(say[i], strlen(say[i]));
			}
			free(say[i]);
		}
		return PAM_CONV_ERR;
	}
	for (i = 0; i < n; i++) {
		r[i].resp = say[i];
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
