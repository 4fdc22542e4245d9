/*
 * login: a login service: which program a login session runs, how it is
 * called, what the client is shown first and which of its environment is
 * taken.  The command line makes one (ttyhubd -l ...); every [login NAME]
 * section of the configuration makes another.  Sessions hold a reference,
 * so a reload can replace a service while its sessions run on.
 */
#ifndef TTYHUB_LOGIN_H
#define TTYHUB_LOGIN_H

#include <stddef.h>

#include "../telnet/tn.h"

struct cfg_login;

struct login_svc {
	char		 name[80];	/* "command line" or the section name */
	const char	*path;		/* the program */
	int		 login_default;	/* it is login: -h PEER [-- USER] */
	int		 close_on_exit;	/* -K */
	char		*issue;		/* CR LF line ends, IAC doubled */
	size_t		 issue_len;
	const char *const *accept_env;	/* beyond TERM; NULL-ended or NULL */
	unsigned	 refs;
	int		 owned;		/* made by login_new: freed at 0 */
	char		*own_path;	/* what path points to, if owned */
	char		**own_env;	/* what accept_env points to, if owned */
};

/* The service a [login] section describes (one reference). */
struct login_svc	*login_new(const struct cfg_login *cfg);

void		 login_hold(struct login_svc *svc);
void		 login_release(struct login_svc *svc);

/* Set path and decide login_default from the program's name. */
void		 login_set_program(struct login_svc *svc, const char *path);

/*
 * (Re)read the issue file: at most 4 KiB, LF made CR LF, IAC doubled.
 * A missing file is only reported when it was asked for by name.
 */
void		 login_load_issue(struct login_svc *svc, const char *path,
		    int explicit);

/*
 * How the program is started for one peer: argv (with -h PEER [-- USER]
 * for login itself) and an environment built from scratch: TERM, a
 * fixed PATH and the variables the Telnet peer sent that the service
 * accepts (tn already dropped the others).  Pointers into x itself.
 */
struct login_exec {
	char		*argv[8];
	char		*envp[TN_ENV_MAX + 3];
	const char	*term;		/* the peer's, or the default */
	const char	*user;		/* the peer's USER, or NULL */
	char		 buf[TN_ENV_MAX + 2]
			    [TN_ENV_NAME_MAX + TN_ENV_VALUE_MAX + 2];
};

void		 login_exec(const struct login_svc *svc, const struct tn *tn,
		    char *host, struct login_exec *x);

#endif
