/*
 * cmdline: what ttyhubd's command line asked for.  A superset of BusyBox
 * telnetd's (a symlink named telnetd is a drop-in), -c's consoles, and
 * vhost-device-console's (vdc.h).  Anything wrong exits 2 with one line
 * saying what (usage.h); ttyhubd.c then acts on what is left.
 */
#ifndef TTYHUB_CMDLINE_H
#define TTYHUB_CMDLINE_H

#include "vdc.h"

struct server;

#define CMDLINE_ACCEPT_ENV_MAX	16

struct cmdline {
	const char	*accept_env[CMDLINE_ACCEPT_ENV_MAX + 1];
	unsigned	 naccept;
	const char	*cfg_file;
	char		*cfg_path;	/* realpath of cfg_file, ours */
	int		 check_only;
	int		 login_given;	/* -p, -b or -l */
	const char	*login_only;	/* -K, -f or --accept-env, if given */
	const char	*issue_path;
	int		 issue_explicit;
	char		*bind_arg;
	char		*host;
	unsigned	 port;
	unsigned	 wait_sec;
	int		 foreground;
	int		 inetd;
	int		 wait_mode;
	int		 use_syslog;
	int		 debug;
	struct vdc	 vdc;		/* the compatible mode's */
};

/* The defaults, before the options. */
void	cmdline_init(struct cmdline *cl);

/*
 * The options, into cl and (the login server's limits and -K, -l) srv;
 * exits on --help, --version and anything wrong.
 */
void	cmdline_parse(struct cmdline *cl, struct server *srv, int argc,
	    char **argv);

/* Options that do not go together, or would be taken and do nothing. */
void	cmdline_check(struct cmdline *cl);

/* Consoles: from -c FILE or from vhost-device-console's options. */
int	cmdline_consoles(const struct cmdline *cl);

/* -b ADDR[:PORT] into host and port; exits if it is wrong. */
void	cmdline_bind(struct cmdline *cl);

#endif
