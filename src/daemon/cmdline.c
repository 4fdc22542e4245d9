/*
 * cmdline: ttyhubd's command line, read into a struct cmdline.  One
 * getopt_long table for every option; each group (the login server's,
 * the common ones, vhost-device-console's in vdc.c) takes its own, so
 * that a group's options and their checks sit together.  Whatever is
 * wrong is said in one line and exits 2 (usage.c), before anything is
 * bound or opened.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "login.h"
#include "publish.h"
#include "server.h"
#include "usage.h"
#include "vdc.h"

#ifndef TTYHUB_VERSION
#define TTYHUB_VERSION	"0.1.0"
#endif

/* getopt_long's codes for the long options without a letter. */
enum cmdline_opt {
	CMDLINE_OPT_MAX_SESSIONS = 1,
	CMDLINE_OPT_MAX_PENDING,
	CMDLINE_OPT_ACCEPT_ENV,
	CMDLINE_OPT_NEGOTIATE_MS	/* vdc.h's start after this */
};

void
cmdline_init(struct cmdline *cl)
{
	memset(cl, 0, sizeof *cl);
	cl->issue_path = "/etc/issue.net";
	cl->port = 23;
	vdc_init(&cl->vdc);
}

int
cmdline_consoles(const struct cmdline *cl)
{
	return cl->cfg_file != NULL || cl->vdc.socket_path != NULL;
}

/* --accept-env NAME: a variable name, at most CMDLINE_ACCEPT_ENV_MAX. */
static void
cmdline_accept_env(struct cmdline *cl, const char *name)
{
	if (cl->naccept == CMDLINE_ACCEPT_ENV_MAX) {
		usage_bad("too many --accept-env (at most %d)",
		    CMDLINE_ACCEPT_ENV_MAX);
	}
	if (name[0] == '\0' || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name) ||
	    strlen(name) > 64) {
		usage_bad("bad value \"%s\" for --accept-env: give a variable "
		    "name", name);
	}
	cl->accept_env[cl->naccept++] = name;
	cl->login_only = "--accept-env";
}

/* The login server's options; 0 if c is not one of them. */
static int
cmdline_login(struct cmdline *cl, struct server *srv, int c, char *arg)
{
	switch (c) {
	case 'p':
		cl->port = usage_uint("-p", arg, 1, 65535);
		cl->login_given = 1;
		return 1;
	case 'b':
		cl->bind_arg = arg;
		cl->login_given = 1;
		return 1;
	case 'K':
		srv->cli.close_on_exit = 1;
		cl->login_only = "-K";
		return 1;
	case 'i':
		cl->inetd = 1;
		return 1;
	case 'l':
		login_set_program(&srv->cli, arg);
		cl->login_given = 1;
		return 1;
	case 'f':
		cl->issue_path = arg;
		cl->issue_explicit = 1;
		cl->login_only = "-f";
		return 1;
	case 'w':
		cl->wait_sec = usage_uint("-w", arg, 0, 86400);
		cl->wait_mode = 1;
		return 1;
	case CMDLINE_OPT_ACCEPT_ENV:
		cmdline_accept_env(cl, arg);
		return 1;
	}
	return 0;
}

/* The consoles' and everyone's options; 0 if c is not one of them. */
static int
cmdline_common(struct cmdline *cl, struct server *srv, int c,
    const char *arg)
{
	switch (c) {
	case 'c':
		cl->cfg_file = arg;
		return 1;
	case 't':
		cl->check_only = 1;
		return 1;
	case 'F':
		cl->foreground = 1;
		return 1;
	case 'S':
		cl->use_syslog = 1;
		return 1;
	case 'd':
		cl->debug = 1;
		return 1;
	case 'h':
		usage_print(stdout);
		exit(0);
	case 'V':
		printf("ttyhubd %s (%s)\n", TTYHUB_VERSION, publish_built);
		exit(0);
	case CMDLINE_OPT_MAX_SESSIONS:
		srv->max_sessions = usage_uint("--max-sessions", arg, 1,
		    1000000);
		return 1;
	case CMDLINE_OPT_MAX_PENDING:
		srv->max_pending = usage_uint("--max-pending", arg, 1,
		    1000000);
		return 1;
	case CMDLINE_OPT_NEGOTIATE_MS:
		srv->negotiate_ms = usage_uint("--negotiate-ms", arg, 0,
		    60000);
		return 1;
	}
	return 0;
}

void
cmdline_parse(struct cmdline *cl, struct server *srv, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help",	  no_argument,	     NULL, 'h' },
		{ "version",	  no_argument,	     NULL, 'V' },
		{ "debug",	  no_argument,	     NULL, 'd' },
		{ "max-sessions", required_argument, NULL,
		    CMDLINE_OPT_MAX_SESSIONS },
		{ "max-pending",  required_argument, NULL,
		    CMDLINE_OPT_MAX_PENDING },
		{ "accept-env",	  required_argument, NULL,
		    CMDLINE_OPT_ACCEPT_ENV },
		{ "negotiate-ms", required_argument, NULL,
		    CMDLINE_OPT_NEGOTIATE_MS },
		{ "socket-path",  required_argument, NULL,
		    VDC_OPT_SOCKET_PATH },
		{ "socket-count", required_argument, NULL,
		    VDC_OPT_SOCKET_COUNT },
		{ "tcp-port",	  required_argument, NULL, VDC_OPT_TCP_PORT },
		{ "backend",	  required_argument, NULL, VDC_OPT_BACKEND },
		{ NULL, 0, NULL, 0 }
	};
	int	c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:b:FKil:f:w:Sc:tdhVs:", longopts,
	    NULL)) != -1) {
		if (cmdline_login(cl, srv, c, optarg) ||
		    cmdline_common(cl, srv, c, optarg) ||
		    vdc_option(&cl->vdc, c, optarg)) {
			continue;
		}
		if (c == ':') {
			if (optopt != 0) {
				usage_bad("option -%c needs a value", optopt);
			}
			usage_bad("option %s needs a value", argv[optind - 1]);
		}
		if (optopt != 0) {
			usage_bad("unknown option -%c", optopt);
		}
		usage_bad("unknown option %s", argv[optind - 1]);
	}
	if (optind < argc) {
		usage_bad("unexpected argument \"%s\"", argv[optind]);
	}
}

void
cmdline_check(struct cmdline *cl)
{
	if (cl->inetd && cl->wait_mode) {
		usage_bad("-i and -w cannot be used together");
	}
	if (cl->check_only && cl->cfg_file == NULL) {
		usage_bad("-t checks a configuration file: give it with -c FILE");
	}
	if (cl->cfg_file != NULL && (cl->inetd || cl->wait_mode)) {
		usage_bad("-c cannot be used with -i or -w");
	}
	vdc_check(&cl->vdc, cl->cfg_file != NULL, cl->inetd || cl->wait_mode);
	if (cmdline_consoles(cl) && !cl->login_given &&
	    cl->login_only != NULL) {
		usage_bad("%s is for the login server, which -c starts only "
		    "with -p, -b or -l (a [login] section has %s)",
		    cl->login_only, strcmp(cl->login_only, "-K") == 0 ?
		    "close-on-exit" : strcmp(cl->login_only, "-f") == 0 ?
		    "issue" : "accept-env");
	}
}

/* -b ADDR[:PORT], with [ADDR]:PORT or a bare address for IPv6. */
void
cmdline_bind(struct cmdline *cl)
{
	char	*arg = cl->bind_arg, *p;

	if (arg == NULL) {
		return;
	}
	if (arg[0] == '[') {
		if ((p = strchr(arg, ']')) == NULL) {
			usage_bad("bad value \"%s\" for -b: missing ]", arg);
		}
		*p++ = '\0';
		cl->host = arg + 1;
		if (*p == ':') {
			cl->port = usage_uint("-b", p + 1, 1, 65535);
		} else if (*p != '\0') {
			usage_bad("bad value for -b: junk after ]");
		}
		return;
	}
	p = strrchr(arg, ':');
	if (p != NULL && strchr(arg, ':') == p) {
		*p = '\0';
		cl->port = usage_uint("-b", p + 1, 1, 65535);
	}
	cl->host = arg;
}
