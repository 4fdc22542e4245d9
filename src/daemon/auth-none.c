/*
 * auth-none: the static build's variant, without PAM (a static program
 * cannot load PAM's modules): every password check fails.  The static
 * ttyhubd is a telnetd for initramfs guests; it has no TLS either.
 */
#include "auth.h"

int
auth_pam_check(const char *service, const char *user, const char *password,
    const char *rhost)
{
	(void)service;
	(void)user;
	(void)password;
	(void)rhost;
	return -1;
}
