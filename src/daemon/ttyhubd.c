/*
 * ttyhubd: main.  Reads the command line (a superset of BusyBox telnetd's,
 * so that a symlink named telnetd is a drop-in), binds, daemonizes unless
 * told not to, and runs the one event loop until a signal ends it.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "console.h"
#include "hub.h"
#include "listener.h"
#include "log.h"
#include "proc.h"
#include "server.h"
#include "session.h"

#ifndef TTYHUB_VERSION
#define TTYHUB_VERSION	"0.1.0"
#endif

#define ACCEPT_ENV_MAX		16

static const char	*progname = "ttyhubd";

static void
usage(FILE *f)
{
	fprintf(f,
"usage: %s [-FKSd] [-p PORT] [-b ADDR[:PORT]] [-l PROG] [-f ISSUE]\n"
"           [-i | -w SEC] [--accept-env NAME]... [common options]\n"
"       %s -c FILE [-t] [-FSd] [common options]\n"
"           [-p PORT | -b ADDR[:PORT] | -l PROG, with -K -f --accept-env]\n"
"\n"
"Serve login sessions over Telnet: each connection gets a new pty and a\n"
"login program.  A drop-in for BusyBox telnetd; run as \"telnetd\" it is the same.\n"
"With -c, serve the consoles that FILE describes (see ttyhub.conf(5)), and\n"
"login sessions too only if -p, -b or -l is given.\n"
"\n"
"The login server (-K -f -i -w --accept-env: only with it):\n"
"  -p PORT          port to listen on (default 23)\n"
"  -b ADDR[:PORT]   address to listen on (numeric; [v6addr]:PORT for IPv6;\n"
"                   default: every address)\n"
"  -l PROG          login program (default /bin/login).  A program named\n"
"                   login runs as \"login -h PEER [-- USER]\"; any other\n"
"                   runs with no arguments\n"
"  -K               close the connection as soon as the login program exits\n"
"                   (default: when every program has closed the pty)\n"
"  -f ISSUE         file shown before the login program (default\n"
"                   /etc/issue.net, if it exists)\n"
"  -i               inetd mode: serve one connection on stdin and stdout\n"
"  -w SEC           inetd wait mode: accept on the socket on stdin, exit after\n"
"                   SEC seconds with no session\n"
"  --accept-env NAME  take NAME from the client's NEW-ENVIRON too (repeatable;\n"
"                   default: only TERM; USER only names the login user)\n"
"Consoles:\n"
"  -c FILE          consoles and listeners from FILE; SIGHUP rereads it,\n"
"                   SIGUSR2 reopens the console logs\n"
"  -t               check FILE and exit (0 if good, 2 with the first error)\n"
"Common options (login sessions of -p/-b/-l and of [login] sections):\n"
"  -F               stay in the foreground (log to stderr)\n"
"  -S               log to syslog (implied by -i, -w and by running without -F)\n"
"  --max-sessions N at most N sessions at once (default 1024)\n"
"  --max-pending N  at most N connections still negotiating; beyond it the\n"
"                   oldest is dropped (default 64)\n"
"  --negotiate-ms MS  how long to wait for Telnet answers before starting the\n"
"                   login program (default 1000)\n"
"  -d, --debug      log more\n"
"  -h, --help       show this help\n"
"  -V, --version    show the version\n",
	    progname, progname);
}

/* One line naming the problem, then exit status 2. */
static void __attribute__((noreturn, format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (%s --help lists the options)\n", progname);
	exit(2);
}

static unsigned
parse_uint(const char *opt, const char *s, unsigned min, unsigned max)
{
	unsigned long	v;
	char		*end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || *s == '-' ||
	    v < min || v > max) {
		bad_usage("bad value \"%s\" for %s: give a number from %u to %u",
		    s, opt, min, max);
	}
	return (unsigned)v;
}

/* -b ADDR[:PORT], with [ADDR]:PORT or a bare address for IPv6. */
static void
parse_bind(char *arg, char **host, unsigned *port)
{
	char	*p;

	if (arg[0] == '[') {
		if ((p = strchr(arg, ']')) == NULL) {
			bad_usage("bad value \"%s\" for -b: missing ]", arg);
		}
		*p++ = '\0';
		*host = arg + 1;
		if (*p == ':') {
			*port = parse_uint("-b", p + 1, 1, 65535);
		} else if (*p != '\0') {
			bad_usage("bad value for -b: junk after ]");
		}
		return;
	}
	p = strrchr(arg, ':');
	if (p != NULL && strchr(arg, ':') == p) {
		*p = '\0';
		*port = parse_uint("-b", p + 1, 1, 65535);
	}
	*host = arg;
}

/*
 * Leave the terminal.  The parent says which process stays, so that the
 * user knows it is there and what to signal.
 */
static void
daemonize(int syslog_ok)
{
	pid_t	pid;
	int	fd;

	if ((pid = fork()) == -1) {
		fprintf(stderr, "%s: fork: %s\n", progname, strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		fprintf(stderr, "%s: running in the background as pid %ld%s\n",
		    progname, (long)pid, syslog_ok ? "; messages go to syslog" :
		    "");
		_exit(0);
	}
	log_stderr(0);
	(void)setsid();
	if (chdir("/") == -1) {
		/* Keep going: the cwd only matters for core files. */
	}
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		(void)dup2(fd, 0);
		(void)dup2(fd, 1);
		(void)dup2(fd, 2);
		if (fd > 2) {
			close(fd);
		}
	}
}

static void
on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	proc_reap();
}

static void
on_sigterm(evutil_socket_t sig, short what, void *arg)
{
	struct server	*srv = arg;

	(void)what;
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopexit(srv->base, NULL);
}

struct reload {
	struct server	*srv;
	const char	*issue_path;
	int		 issue_explicit;
};

/*
 * SIGHUP: read the issue file and the configuration again, reopen the
 * console logs (a daemon must not die of it).
 */
static void
on_sighup(evutil_socket_t sig, short what, void *arg)
{
	struct reload	*r = arg;

	(void)sig;
	(void)what;
	login_load_issue(&r->srv->cli, r->issue_path, r->issue_explicit);
	log_info("SIGHUP: reread %s", r->issue_path);
	/* Before the reload: a log it opens must not be opened twice. */
	console_reopen_logs(r->srv);
	hub_reload(r->srv);
}

/* SIGUSR2: reopen the console logs only (rotation). */
static void
on_sigusr2(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	console_reopen_logs(arg);
}

/* -w: leave once no session has been open for the linger time. */
static void
on_wait_idle(evutil_socket_t fd, short what, void *arg)
{
	struct server	*srv = arg;

	(void)fd;
	(void)what;
	if (srv->nsessions == 0) {
		log_info("no session for a while: exiting (inetd wait mode)");
		event_base_loopexit(srv->base, NULL);
	}
}

/* The command line's login listener: every connection a session. */
static void
ttyhubd_accept(void *arg, int fd, const struct sockaddr *sa, socklen_t salen,
    uint64_t via)
{
	struct server	*srv = arg;

	(void)via;
	(void)session_start(srv, &srv->cli, fd, fd, sa, salen);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help",		no_argument,		NULL, 'h' },
		{ "version",		no_argument,		NULL, 'V' },
		{ "debug",		no_argument,		NULL, 'd' },
		{ "max-sessions",	required_argument,	NULL, 1 },
		{ "max-pending",	required_argument,	NULL, 2 },
		{ "accept-env",		required_argument,	NULL, 3 },
		{ "negotiate-ms",	required_argument,	NULL, 4 },
		{ NULL, 0, NULL, 0 }
	};
	static const char	*accept_env[ACCEPT_ENV_MAX + 1];
	struct server		 srv;
	struct listener		*l = NULL;
	struct event		*ev_chld, *ev_term, *ev_int, *ev_hup, *ev_usr2;
	struct config		*cfg = NULL;
	const char		*cfg_file = NULL;
	char			*cfg_path = NULL;
	int			 check_only = 0, login_given = 0;
	const char		*login_only = NULL;	/* -K, -f, --accept-env */
	struct event		*ev_idle = NULL;
	struct reload		 reload;
	const char		*issue_path = "/etc/issue.net";
	char			*bind_arg = NULL, *host = NULL, err[256];
	unsigned		 port = 23, wait_sec = 0, naccept = 0;
	int			 c, foreground = 0, inetd = 0, wait_mode = 0;
	int			 use_syslog = 0, issue_explicit = 0;
	int			 fd, debug = 0, background, syslog_ok = 0;
	const char		*p;

	if ((p = strrchr(argv[0], '/')) != NULL) {
		progname = p + 1;
	} else if (argv[0][0] != '\0') {
		progname = argv[0];
	}
	memset(&srv, 0, sizeof srv);
	TAILQ_INIT(&srv.sessions);
	TAILQ_INIT(&srv.consoles);
	TAILQ_INIT(&srv.conns);
	TAILQ_INIT(&srv.brokers);
	srv.max_clients = 1024;
	srv.max_per_source = 32;
	snprintf(srv.cli.name, sizeof srv.cli.name, "command line");
	srv.cli.refs = 1;		/* never released: static */
	login_set_program(&srv.cli, "/bin/login");
	srv.max_sessions = 1024;
	srv.max_pending = 64;
	srv.negotiate_ms = 1000;
	srv.linger_ms = 2000;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:b:FKil:f:w:Sc:tdhV", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'p':
			port = parse_uint("-p", optarg, 1, 65535);
			login_given = 1;
			break;
		case 'b':
			bind_arg = optarg;
			login_given = 1;
			break;
		case 'c':
			cfg_file = optarg;
			break;
		case 't':
			check_only = 1;
			break;
		case 'F':
			foreground = 1;
			break;
		case 'K':
			srv.cli.close_on_exit = 1;
			login_only = "-K";
			break;
		case 'i':
			inetd = 1;
			break;
		case 'l':
			login_set_program(&srv.cli, optarg);
			login_given = 1;
			break;
		case 'f':
			issue_path = optarg;
			issue_explicit = 1;
			login_only = "-f";
			break;
		case 'w':
			wait_sec = parse_uint("-w", optarg, 0, 86400);
			wait_mode = 1;
			break;
		case 'S':
			use_syslog = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ttyhubd %s\n", TTYHUB_VERSION);
			return 0;
		case 1:
			srv.max_sessions = parse_uint("--max-sessions", optarg,
			    1, 1000000);
			break;
		case 2:
			srv.max_pending = parse_uint("--max-pending", optarg,
			    1, 1000000);
			break;
		case 3:
			if (naccept == ACCEPT_ENV_MAX) {
				bad_usage("too many --accept-env (at most %d)",
				    ACCEPT_ENV_MAX);
			}
			if (optarg[0] == '\0' ||
			    strspn(optarg, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789_") !=
			    strlen(optarg) || strlen(optarg) > 64) {
				bad_usage("bad value \"%s\" for --accept-env: "
				    "give a variable name", optarg);
			}
			accept_env[naccept++] = optarg;
			login_only = "--accept-env";
			break;
		case 4:
			srv.negotiate_ms = parse_uint("--negotiate-ms", optarg,
			    0, 60000);
			break;
		case ':':
			if (optopt != 0) {
				bad_usage("option -%c needs a value", optopt);
			}
			bad_usage("option %s needs a value", argv[optind - 1]);
		default:
			if (optopt != 0) {
				bad_usage("unknown option -%c", optopt);
			}
			bad_usage("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		bad_usage("unexpected argument \"%s\"", argv[optind]);
	}
	if (inetd && wait_mode) {
		bad_usage("-i and -w cannot be used together");
	}
	if (check_only && cfg_file == NULL) {
		bad_usage("-t checks a configuration file: give it with -c FILE");
	}
	if (cfg_file != NULL && (inetd || wait_mode)) {
		bad_usage("-c cannot be used with -i or -w");
	}
	if (cfg_file != NULL && !login_given && login_only != NULL) {
		/* It would be accepted and do nothing: say why. */
		bad_usage("%s is for the login server, which -c starts only "
		    "with -p, -b or -l (a [login] section has %s)", login_only,
		    strcmp(login_only, "-K") == 0 ? "close-on-exit" :
		    strcmp(login_only, "-f") == 0 ? "issue" : "accept-env");
	}
	if (cfg_file != NULL) {
		/* Absolute, so SIGHUP finds it after daemonizing (cd /). */
		if ((cfg_path = realpath(cfg_file, NULL)) != NULL) {
			cfg_file = cfg_path;
		}
		if (config_load(cfg_file, &cfg, err, sizeof err) == -1) {
			fprintf(stderr, "%s: %s\n", progname, err);
			config_free(cfg);
			free(cfg_path);
			return 2;
		}
		if (check_only) {
			printf("%s: %s: good (%zu console%s)\n", progname,
			    cfg_file, cfg->nconsoles,
			    cfg->nconsoles == 1 ? "" : "s");
			config_free(cfg);
			free(cfg_path);
			return 0;
		}
	}
	srv.cli.accept_env = naccept > 0 ? accept_env : NULL;
	srv.inetd = inetd;
	if ((cfg_file == NULL || login_given) &&
	    access(srv.cli.path, X_OK) == -1) {
		fprintf(stderr, "%s: login program %s: %s (choose one with "
		    "-l PROG)\n", progname, srv.cli.path, strerror(errno));
		return 2;
	}
	if (bind_arg != NULL) {
		parse_bind(bind_arg, &host, &port);
	}

	/* As BusyBox: syslog unless we stay in front of a terminal. */
	if (inetd || wait_mode || !foreground) {
		use_syslog = 1;
	}
	log_open(progname, use_syslog);
	log_debug_enable(debug);
	background = !inetd && !wait_mode && !foreground;
	if (background) {
		log_stderr(1);	/* until we leave the terminal */
	}
	/* Not with -i or -w: there stderr is the client's socket. */
	if (use_syslog && !inetd && !wait_mode &&
	    log_syslog_check(err, sizeof err) == -1) {
		fprintf(stderr, "%s: syslog is unreachable (%s): messages%s "
		    "will be lost (%s)\n", progname, err, background ?
		    " from the background" : "", background ? "-F keeps it "
		    "in front, logging to standard error" : "without -S they "
		    "go to standard error");
	} else {
		syslog_ok = use_syslog;
	}
	login_load_issue(&srv.cli, issue_path, issue_explicit);
	(void)signal(SIGPIPE, SIG_IGN);

	if ((srv.base = event_base_new()) == NULL) {
		log_err("cannot create the event loop");
		return 1;
	}
	/* Bind everything while errors can still reach the terminal. */
	fd = 0;
	if (cfg_file == NULL || login_given) {
		if (!inetd && !wait_mode && (fd = listener_bind(host, port, err,
		    sizeof err)) == -1) {
			fprintf(stderr, "%s: %s\n", progname, err);
			return 1;
		}
		if (!inetd && !wait_mode) {
			log_info("listening on %s port %u", host != NULL ?
			    host : "*", port);
		}
	} else {
		fd = -1;
	}
	if (cfg != NULL && hub_start(&srv, cfg, err, sizeof err) == -1) {
		/* Freed, so that a refusal is clean under LeakSanitizer. */
		fprintf(stderr, "%s: %s\n", progname, err);
		if (fd != -1) {
			close(fd);
		}
		event_base_free(srv.base);
		free(srv.cli.issue);
		free(cfg_path);
		return 1;
	}
	if (background) {
		daemonize(syslog_ok);
		/* The kernel's epoll set does not survive fork for us. */
		if (event_reinit(srv.base) == -1) {
			log_err("cannot set up the event loop after fork");
			return 1;
		}
	}
	ev_chld = evsignal_new(srv.base, SIGCHLD, on_sigchld, &srv);
	ev_term = evsignal_new(srv.base, SIGTERM, on_sigterm, &srv);
	ev_int = evsignal_new(srv.base, SIGINT, on_sigterm, &srv);
	reload.srv = &srv;
	reload.issue_path = issue_path;
	reload.issue_explicit = issue_explicit;
	ev_hup = evsignal_new(srv.base, SIGHUP, on_sighup, &reload);
	ev_usr2 = evsignal_new(srv.base, SIGUSR2, on_sigusr2, &srv);
	if (ev_chld == NULL || ev_term == NULL || ev_int == NULL ||
	    ev_hup == NULL || ev_usr2 == NULL ||
	    event_add(ev_chld, NULL) == -1 ||
	    event_add(ev_term, NULL) == -1 || event_add(ev_int, NULL) == -1 ||
	    event_add(ev_hup, NULL) == -1 || event_add(ev_usr2, NULL) == -1) {
		log_err("cannot set up signal handling");
		return 1;
	}

	if (inetd) {
		(void)fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
		(void)fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
		struct sockaddr_storage	ss;
		socklen_t		len = sizeof ss;

		if (getpeername(0, (struct sockaddr *)&ss, &len) == -1) {
			len = 0;
		}
		if (session_start(&srv, &srv.cli, 0, 1, (struct sockaddr *)&ss,
		    len) == -1) {
			return 1;
		}
	} else if (fd != -1) {
		if ((l = listener_new(&srv, fd, ttyhubd_accept, &srv)) == NULL) {
			log_err("cannot listen: out of memory");
			return 1;
		}
		if (wait_mode) {
			struct timeval	tv = { (time_t)wait_sec, 0 };

			if (wait_sec == 0) {
				tv.tv_usec = 1;
			}
			ev_idle = event_new(srv.base, -1, EV_PERSIST,
			    on_wait_idle, &srv);
			if (ev_idle == NULL || event_add(ev_idle, &tv) == -1) {
				log_err("cannot set up the idle timer");
				return 1;
			}
		}
	}

	hub_run(&srv);
	event_base_dispatch(srv.base);
	log_rate_flush(&srv.lr_sessions);
	log_rate_flush(&srv.lr_clients);

	session_close_all(&srv);
	hub_stop(&srv);
	listener_free(l);
	if (ev_idle != NULL) {
		event_free(ev_idle);
	}
	event_free(ev_chld);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	event_free(ev_usr2);
	event_base_free(srv.base);
	free(srv.cli.issue);
	free(cfg_path);
	return 0;
}
