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
#include "network.h"
#include "proc.h"
#include "publish.h"
#include "server.h"
#include "session.h"
#include "systemd.h"

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
"                   SIGUSR2 reopens the console logs and captures\n"
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

/* READY=1 to the service manager, with what is served. */
static void
ttyhubd_ready(const struct server *srv)
{
	if (srv->cfg != NULL) {
		systemd_notify("READY=1\nSTATUS=%zu console%s, %s",
		    srv->cfg->nconsoles, srv->cfg->nconsoles == 1 ? "" : "s",
		    srv->cfg->file);
	} else {
		systemd_notify("READY=1\nSTATUS=login sessions");
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
	systemd_notify("STOPPING=1");
	event_base_loopexit(srv->base, NULL);
}

struct reload {
	struct server	*srv;
	const char	*issue_path;
	int		 issue_explicit;
};

/*
 * SIGHUP: read the issue file and the configuration again, reopen the
 * console logs and network captures (a daemon must not die of it).
 */
static void
on_sighup(evutil_socket_t sig, short what, void *arg)
{
	struct reload	*r = arg;

	(void)sig;
	(void)what;
	systemd_reloading();
	login_load_issue(&r->srv->cli, r->issue_path, r->issue_explicit);
	log_info("SIGHUP: reread %s", r->issue_path);
	/* Before the reload: a log it opens must not be opened twice. */
	console_reopen_logs(r->srv);
	network_reopen_captures(r->srv);
	hub_reload(r->srv);
	systemd_unused();
	ttyhubd_ready(r->srv);
}

/* SIGUSR2: reopen the console logs and captures only (rotation). */
static void
on_sigusr2(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	console_reopen_logs(arg);
	network_reopen_captures(arg);
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

/* What the command line asked for. */
struct cmdline {
	const char	*accept_env[ACCEPT_ENV_MAX + 1];
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
};

/* --accept-env NAME: a variable name, at most ACCEPT_ENV_MAX of them. */
static void
ttyhubd_accept_env(struct cmdline *cl, const char *name)
{
	if (cl->naccept == ACCEPT_ENV_MAX) {
		bad_usage("too many --accept-env (at most %d)",
		    ACCEPT_ENV_MAX);
	}
	if (name[0] == '\0' || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name) ||
	    strlen(name) > 64) {
		bad_usage("bad value \"%s\" for --accept-env: give a variable "
		    "name", name);
	}
	cl->accept_env[cl->naccept++] = name;
	cl->login_only = "--accept-env";
}

/* The options; exits on --help, --version and anything wrong. */
static void
ttyhubd_options(int argc, char **argv, struct cmdline *cl,
    struct server *srv)
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
	int	c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:b:FKil:f:w:Sc:tdhV", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'p':
			cl->port = parse_uint("-p", optarg, 1, 65535);
			cl->login_given = 1;
			break;
		case 'b':
			cl->bind_arg = optarg;
			cl->login_given = 1;
			break;
		case 'c':
			cl->cfg_file = optarg;
			break;
		case 't':
			cl->check_only = 1;
			break;
		case 'F':
			cl->foreground = 1;
			break;
		case 'K':
			srv->cli.close_on_exit = 1;
			cl->login_only = "-K";
			break;
		case 'i':
			cl->inetd = 1;
			break;
		case 'l':
			login_set_program(&srv->cli, optarg);
			cl->login_given = 1;
			break;
		case 'f':
			cl->issue_path = optarg;
			cl->issue_explicit = 1;
			cl->login_only = "-f";
			break;
		case 'w':
			cl->wait_sec = parse_uint("-w", optarg, 0, 86400);
			cl->wait_mode = 1;
			break;
		case 'S':
			cl->use_syslog = 1;
			break;
		case 'd':
			cl->debug = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("ttyhubd %s (%s)\n", TTYHUB_VERSION,
			    publish_built);
			exit(0);
		case 1:
			srv->max_sessions = parse_uint("--max-sessions",
			    optarg, 1, 1000000);
			break;
		case 2:
			srv->max_pending = parse_uint("--max-pending", optarg,
			    1, 1000000);
			break;
		case 3:
			ttyhubd_accept_env(cl, optarg);
			break;
		case 4:
			srv->negotiate_ms = parse_uint("--negotiate-ms",
			    optarg, 0, 60000);
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
}

/* Options that do not go together, or would be taken and do nothing. */
static void
ttyhubd_check(const struct cmdline *cl)
{
	if (cl->inetd && cl->wait_mode) {
		bad_usage("-i and -w cannot be used together");
	}
	if (cl->check_only && cl->cfg_file == NULL) {
		bad_usage("-t checks a configuration file: give it with -c FILE");
	}
	if (cl->cfg_file != NULL && (cl->inetd || cl->wait_mode)) {
		bad_usage("-c cannot be used with -i or -w");
	}
	if (cl->cfg_file != NULL && !cl->login_given &&
	    cl->login_only != NULL) {
		bad_usage("%s is for the login server, which -c starts only "
		    "with -p, -b or -l (a [login] section has %s)",
		    cl->login_only, strcmp(cl->login_only, "-K") == 0 ?
		    "close-on-exit" : strcmp(cl->login_only, "-f") == 0 ?
		    "issue" : "accept-env");
	}
}

/*
 * -c FILE: read it (its absolute path, so that SIGHUP finds it after
 * daemonizing to /).  With -t, say whether it is good and exit.
 */
static struct config *
ttyhubd_config(struct cmdline *cl)
{
	struct config	*cfg = NULL;
	char		 err[256];

	if (cl->cfg_file == NULL) {
		return NULL;
	}
	if ((cl->cfg_path = realpath(cl->cfg_file, NULL)) != NULL) {
		cl->cfg_file = cl->cfg_path;
	}
	if (config_load(cl->cfg_file, &cfg, err, sizeof err) == -1) {
		fprintf(stderr, "%s: %s\n", progname, err);
		config_free(cfg);
		free(cl->cfg_path);
		exit(2);
	}
	if (cl->check_only) {
		printf("%s: %s: good (%zu console%s)\n", progname,
		    cl->cfg_file, cfg->nconsoles,
		    cfg->nconsoles == 1 ? "" : "s");
		config_free(cfg);
		free(cl->cfg_path);
		exit(0);
	}
	return cfg;
}

/*
 * Where messages go: as BusyBox, syslog unless we stay in front of a
 * terminal; stderr too until we leave it.  Returns whether syslog was
 * found listening (checked, since syslog(3) drops messages silently).
 */
static int
ttyhubd_log(const struct cmdline *cl, int background)
{
	char	err[256];
	int	use_syslog = cl->use_syslog;

	if (cl->inetd || cl->wait_mode || !cl->foreground) {
		use_syslog = 1;
	}
	log_open(progname, use_syslog);
	log_debug_enable(cl->debug);
	if (background) {
		log_stderr(1);	/* until we leave the terminal */
	}
	/* Not with -i or -w: there stderr is the client's socket. */
	if (use_syslog && !cl->inetd && !cl->wait_mode &&
	    log_syslog_check(err, sizeof err) == -1) {
		fprintf(stderr, "%s: syslog is unreachable (%s): messages%s "
		    "will be lost (%s)\n", progname, err, background ?
		    " from the background" : "", background ? "-F keeps it "
		    "in front, logging to standard error" : "without -S they "
		    "go to standard error");
		return 0;
	}
	return use_syslog;
}

/*
 * The command line's login listener: bound now, while errors can still
 * reach the terminal.  Returns its fd, -1 when there is none (-c alone,
 * -i, -w), and exits on failure.
 */
static int
ttyhubd_bind(const struct cmdline *cl)
{
	struct cfg_listen	 how;
	const char		*sdname;
	char			 err[256];
	int			 fd;

	if ((cl->cfg_file != NULL && !cl->login_given) || cl->inetd ||
	    cl->wait_mode) {
		return -1;
	}
	memset(&how, 0, sizeof how);
	how.kind = CFG_LISTEN_TELNET;
	how.host = cl->host;
	how.port = cl->port;
	if ((fd = systemd_take(&how, &sdname)) != -1) {
		log_info("listening on %s port %u (passed by systemd%s%s)",
		    cl->host != NULL ? cl->host : "*", cl->port,
		    sdname[0] != '\0' ? ": " : "", sdname);
		return fd;
	}
	if ((fd = listener_bind(cl->host, cl->port, err, sizeof err)) == -1) {
		fprintf(stderr, "%s: %s\n", progname, err);
		exit(1);
	}
	log_info("listening on %s port %u", cl->host != NULL ? cl->host : "*",
	    cl->port);
	return fd;
}

/* The signals, through libevent's self-pipe: handlers only set flags. */
struct sigs {
	struct event	*ev[5];
	struct reload	 reload;
};

static int
ttyhubd_signals(struct server *srv, const struct cmdline *cl,
    struct sigs *sg)
{
	size_t	i;

	sg->reload.srv = srv;
	sg->reload.issue_path = cl->issue_path;
	sg->reload.issue_explicit = cl->issue_explicit;
	sg->ev[0] = evsignal_new(srv->base, SIGCHLD, on_sigchld, srv);
	sg->ev[1] = evsignal_new(srv->base, SIGTERM, on_sigterm, srv);
	sg->ev[2] = evsignal_new(srv->base, SIGINT, on_sigterm, srv);
	sg->ev[3] = evsignal_new(srv->base, SIGHUP, on_sighup, &sg->reload);
	sg->ev[4] = evsignal_new(srv->base, SIGUSR2, on_sigusr2, srv);
	for (i = 0; i < 5; i++) {
		if (sg->ev[i] == NULL || event_add(sg->ev[i], NULL) == -1) {
			log_err("cannot set up signal handling");
			return -1;
		}
	}
	return 0;
}

/* -i: the one session is on stdin and stdout. */
static int
ttyhubd_inetd(struct server *srv)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof ss;

	(void)fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	(void)fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
	if (getpeername(0, (struct sockaddr *)&ss, &len) == -1) {
		len = 0;
	}
	return session_start(srv, &srv->cli, 0, 1, (struct sockaddr *)&ss,
	    len);
}

/* -w: leave once no session has been open for SEC seconds. */
static struct event *
ttyhubd_wait(struct server *srv, unsigned sec)
{
	struct timeval	 tv = { (time_t)sec, sec == 0 ? 1 : 0 };
	struct event	*ev;

	ev = event_new(srv->base, -1, EV_PERSIST, on_wait_idle, srv);
	if (ev == NULL || event_add(ev, &tv) == -1) {
		log_err("cannot set up the idle timer");
		exit(1);
	}
	return ev;
}

static void
ttyhubd_server_init(struct server *srv)
{
	memset(srv, 0, sizeof *srv);
	TAILQ_INIT(&srv->sessions);
	TAILQ_INIT(&srv->consoles);
	TAILQ_INIT(&srv->conns);
	TAILQ_INIT(&srv->brokers);
	TAILQ_INIT(&srv->networks);
	srv->max_clients = 1024;
	srv->max_per_source = 32;
	snprintf(srv->cli.name, sizeof srv->cli.name, "command line");
	srv->cli.refs = 1;		/* never released: static */
	login_set_program(&srv->cli, "/bin/login");
	srv->max_sessions = 1024;
	srv->max_pending = 64;
	srv->negotiate_ms = 1000;
	srv->linger_ms = 2000;
}

int
main(int argc, char **argv)
{
	static struct cmdline	 cl;
	struct server		 srv;
	struct listener		*l = NULL;
	struct event		*ev_idle = NULL;
	struct config		*cfg;
	struct sigs		 sg;
	char			 err[256];
	int			 fd, background, syslog_ok;
	const char		*p;
	size_t			 i;

	if ((p = strrchr(argv[0], '/')) != NULL) {
		progname = p + 1;
	} else if (argv[0][0] != '\0') {
		progname = argv[0];
	}
	systemd_init();
	ttyhubd_server_init(&srv);
	cl.issue_path = "/etc/issue.net";
	cl.port = 23;
	ttyhubd_options(argc, argv, &cl, &srv);
	ttyhubd_check(&cl);
	cfg = ttyhubd_config(&cl);
	srv.cli.accept_env = cl.naccept > 0 ? cl.accept_env : NULL;
	srv.inetd = cl.inetd;
	if ((cl.cfg_file == NULL || cl.login_given) &&
	    access(srv.cli.path, X_OK) == -1) {
		fprintf(stderr, "%s: login program %s: %s (choose one with "
		    "-l PROG)\n", progname, srv.cli.path, strerror(errno));
		return 2;
	}
	if (cl.bind_arg != NULL) {
		parse_bind(cl.bind_arg, &cl.host, &cl.port);
	}
	background = !cl.inetd && !cl.wait_mode && !cl.foreground;
	syslog_ok = ttyhubd_log(&cl, background);
	login_load_issue(&srv.cli, cl.issue_path, cl.issue_explicit);
	(void)signal(SIGPIPE, SIG_IGN);

	if ((srv.base = event_base_new()) == NULL) {
		log_err("cannot create the event loop");
		return 1;
	}
	fd = ttyhubd_bind(&cl);
	if (cfg != NULL && hub_start(&srv, cfg, err, sizeof err) == -1) {
		/* Freed, so that a refusal is clean under LeakSanitizer. */
		fprintf(stderr, "%s: %s\n", progname, err);
		if (fd != -1) {
			close(fd);
		}
		event_base_free(srv.base);
		free(srv.cli.issue);
		free(cl.cfg_path);
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
	if (ttyhubd_signals(&srv, &cl, &sg) == -1) {
		return 1;
	}
	if (cl.inetd) {
		if (ttyhubd_inetd(&srv) == -1) {
			return 1;
		}
	} else if (cl.wait_mode || fd != -1) {
		if ((l = listener_new(&srv, cl.wait_mode ? 0 : fd,
		    ttyhubd_accept, &srv)) == NULL) {
			log_err("cannot listen: out of memory");
			return 1;
		}
		if (cl.wait_mode) {
			ev_idle = ttyhubd_wait(&srv, cl.wait_sec);
		}
	}

	hub_run(&srv);
	systemd_unused();
	ttyhubd_ready(&srv);
	event_base_dispatch(srv.base);
	log_rate_flush(&srv.lr_sessions);
	log_rate_flush(&srv.lr_clients);

	session_close_all(&srv);
	hub_stop(&srv);
	listener_free(l);
	if (ev_idle != NULL) {
		event_free(ev_idle);
	}
	for (i = 0; i < 5; i++) {
		event_free(sg.ev[i]);
	}
	event_base_free(srv.base);
	free(srv.cli.issue);
	free(cl.cfg_path);
	return 0;
}
