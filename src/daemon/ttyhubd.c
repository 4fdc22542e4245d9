/*
 * ttyhubd: main.  Reads the command line (a superset of BusyBox telnetd's,
 * so that a symlink named telnetd is a drop-in), binds, daemonizes unless
 * told not to, and runs the one event loop until a signal ends it.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <sys/un.h>

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
#include "rundir.h"
#include "server.h"
#include "session.h"
#include "systemd.h"

#ifndef TTYHUB_VERSION
#define TTYHUB_VERSION	"0.1.0"
#endif

#define ACCEPT_ENV_MAX		16
#define TTYHUBD_GUESTS_MAX	256	/* --socket-count */

static const char	*progname = "ttyhubd";

static void
usage(FILE *f)
{
	fprintf(f,
"usage: %s [-FKSd] [-p PORT] [-b ADDR[:PORT]] [-l PROG] [-f ISSUE]\n"
"           [-i | -w SEC] [--accept-env NAME]... [common options]\n"
"       %s -c FILE [-t] [-FSd] [common options]\n"
"           [-p PORT | -b ADDR[:PORT] | -l PROG, with -K -f --accept-env]\n"
"       %s --socket-path=PATH [--socket-count=N] [--tcp-port=PORT]\n"
"           [--backend=network|nested] [-Sd]\n"
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
"vhost-device-console's command line (virtio consoles over vhost-user, in\n"
"the foreground; the guests are consoles vm0, vm1, ...):\n"
"  -s, --socket-path=PATH  the vhost-user sockets: PATH0 .. PATH(N-1)\n"
"  --socket-count=N  that many guests (default 1)\n"
"  --tcp-port=PORT   network: guest i on 127.0.0.1 port PORT+i, raw TCP\n"
"                   (default 12345)\n"
"  --backend=network|nested  nested (the default): this terminal is the\n"
"                   one guest's console; Ctrl-C goes to the guest, ~. after\n"
"                   Enter leaves and stops ttyhubd\n"
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
	    progname, progname, progname);
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
	int		 no_file;	/* the command line's guests */
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
	if (r->no_file) {
		log_info("SIGHUP: the guests come from the command line: "
		    "nothing to reread");
	} else {
		hub_reload(r->srv);
	}
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

	/* vhost-device-console's command line: the compatible mode. */
	const char	*socket_path;	/* --socket-path */
	char		*socket_abs;	/* it, made absolute (ours) */
	unsigned	 socket_count;	/* --socket-count */
	unsigned	 tcp_port;	/* --tcp-port */
	int		 nested;	/* --backend=nested; -1: not given */
	const char	*compat_only;	/* one of the three, if given */
	char		 broker[256];	/* the broker's socket, or "" */
};

/* Consoles: from -c FILE or from vhost-device-console's options. */
static int
ttyhubd_consoles(const struct cmdline *cl)
{
	return cl->cfg_file != NULL || cl->socket_path != NULL;
}

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
		{ "socket-path",	required_argument,	NULL, 's' },
		{ "socket-count",	required_argument,	NULL, 5 },
		{ "tcp-port",		required_argument,	NULL, 6 },
		{ "backend",		required_argument,	NULL, 7 },
		{ NULL, 0, NULL, 0 }
	};
	int	c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:b:FKil:f:w:Sc:tdhVs:", longopts,
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
		case 's':
			if (optarg[0] == '\0') {
				bad_usage("--socket-path needs a path");
			}
			cl->socket_path = optarg;
			break;
		case 5:
			cl->socket_count = parse_uint("--socket-count",
			    optarg, 1, TTYHUBD_GUESTS_MAX);
			cl->compat_only = "--socket-count";
			break;
		case 6:
			cl->tcp_port = parse_uint("--tcp-port", optarg, 1,
			    65535);
			cl->compat_only = "--tcp-port";
			break;
		case 7:
			if (strcmp(optarg, "nested") != 0 &&
			    strcmp(optarg, "network") != 0) {
				bad_usage("bad value \"%s\" for --backend: give "
				    "network or nested", optarg);
			}
			cl->nested = strcmp(optarg, "nested") == 0;
			cl->compat_only = "--backend";
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
	/* Nested is vhost-device-console's default backend. */
	if (cl->nested == -1) {
		cl->nested = cl->socket_path != NULL;
	}
}

/*
 * vhost-device-console's command line: what goes with it.  Nested is its
 * default, and serves one guest on this terminal.
 */
static void
ttyhubd_compat_check(const struct cmdline *cl)
{
	if (cl->socket_path == NULL) {
		if (cl->compat_only != NULL) {
			bad_usage("%s is for the vhost-user guests of "
			    "--socket-path", cl->compat_only);
		}
		return;
	}
	if (cl->cfg_file != NULL) {
		bad_usage("--socket-path cannot be used with -c (there, a "
		    "console of type = vhost-user does the same)");
	}
	if (cl->inetd || cl->wait_mode) {
		bad_usage("--socket-path cannot be used with -i or -w");
	}
	if (cl->nested && cl->socket_count > 1) {
		bad_usage("--backend=nested serves one guest on this terminal: "
		    "give --socket-count=1, or --backend=network");
	}
	if (cl->nested && !isatty(STDIN_FILENO)) {
		bad_usage("--backend=nested needs a terminal on standard "
		    "input (--backend=network serves the guests on TCP)");
	}
	if (!cl->nested && cl->tcp_port + cl->socket_count - 1 > 65535) {
		bad_usage("--tcp-port=%u and --socket-count=%u go past port "
		    "65535", cl->tcp_port, cl->socket_count);
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
	ttyhubd_compat_check(cl);
	if (ttyhubd_consoles(cl) && !cl->login_given &&
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
 * vhost-device-console's command line, begin.
 *
 * --socket-path and the rest become the text a configuration file would
 * hold, read and checked as a file is: a vhost-user console a guest,
 * vm0 .. vmN-1 on PATH0 .. PATHN-1, each on 127.0.0.1 port PORT+i as raw
 * TCP without notices (nc takes every byte as the guest's), or, nested,
 * on a unix socket PATH0.console for the ttyhub client that becomes this
 * terminal.  The broker is on its default socket, unless another
 * ttyhubd answers there.
 */

/* The broker's default socket, if no other ttyhubd holds it; or "". */
static void
ttyhubd_compat_broker(struct cmdline *cl)
{
	struct sockaddr_un	sun;
	char			err[300];
	int			fd, live;

	cl->broker[0] = '\0';
	if (rundir_socket(cl->broker, sizeof cl->broker, 1, err,
	    sizeof err) == -1) {
		fprintf(stderr, "%s: no broker (%s): the guests are on their "
		    "own sockets only\n", progname, err);
		cl->broker[0] = '\0';
		return;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(cl->broker) >= sizeof sun.sun_path) {
		return;		/* the broker will say so */
	}
	memcpy(sun.sun_path, cl->broker, strlen(cl->broker));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		return;
	}
	live = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
	close(fd);
	if (live) {
		fprintf(stderr, "%s: another ttyhubd has the broker's socket "
		    "%s: this one has no broker (ttyhub -l does not list its "
		    "guests)\n", progname, cl->broker);
		cl->broker[0] = '\0';
	}
}

static void __attribute__((format(printf, 3, 4)))
ttyhubd_add(char *buf, size_t cap, const char *fmt, ...)
{
	size_t	n = strlen(buf);
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

static struct config *
ttyhubd_compat_config(struct cmdline *cl)
{
	struct config	*cfg = NULL;
	char		 cwd[PATH_MAX], err[512], *text;
	size_t		 cap, len;
	unsigned	 i;

	if (cl->socket_path[0] == '/') {
		cl->socket_abs = strdup(cl->socket_path);
	} else if (getcwd(cwd, sizeof cwd) != NULL) {
		len = strlen(cwd) + strlen(cl->socket_path) + 2;
		if ((cl->socket_abs = malloc(len)) != NULL) {
			snprintf(cl->socket_abs, len, "%s/%s", cwd,
			    cl->socket_path);
		}
	} else {
		fprintf(stderr, "%s: --socket-path: %s\n", progname,
		    strerror(errno));
		exit(1);
	}
	if (cl->socket_abs == NULL) {
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(1);
	}
	/* The guest's number and, nested, ".console" come after it. */
	if (strlen(cl->socket_abs) + (cl->nested ? 9 : 3) >=
	    sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
		bad_usage("--socket-path %s is too long for a unix socket",
		    cl->socket_abs);
	}
	ttyhubd_compat_broker(cl);
	cap = 256 + strlen(cl->broker) + cl->socket_count *
	    (256 + 2 * strlen(cl->socket_abs));
	if ((text = calloc(1, cap)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(1);
	}
	ttyhubd_add(text, cap, "[ttyhubd]\nbroker-unix = %s\n",
	    cl->broker[0] != '\0' ? cl->broker : "none");
	for (i = 0; i < cl->socket_count; i++) {
		ttyhubd_add(text, cap, "\n[console vm%u]\ntype = vhost-user\n"
		    "path = %s%u\n", i, cl->socket_abs, i);
		if (cl->nested) {
			ttyhubd_add(text, cap, "unix = %s%u.console\n",
			    cl->socket_abs, i);
		} else {
			ttyhubd_add(text, cap, "raw = 127.0.0.1:%u\n"
			    "notices = no\n", cl->tcp_port + i);
		}
	}
	if (config_parse("the command line", text, &cfg, err,
	    sizeof err) == -1) {
		fprintf(stderr, "%s: %s\n", progname, err);
		free(text);
		exit(2);
	}
	free(text);
	return cfg;
}

/* The ttyhub client: beside us, in ../bin from sbin, or on PATH. */
static void
ttyhubd_client_path(char *buf, size_t len)
{
	static const char *const	 places[] = { "/ttyhub", "/../bin/ttyhub" };
	char				 exe[PATH_MAX], *slash;
	ssize_t				 n;
	size_t				 i;

	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			for (i = 0; i < sizeof places / sizeof places[0]; i++) {
				snprintf(buf, len, "%s%s", exe, places[i]);
				if (access(buf, X_OK) == 0) {
					return;
				}
			}
		}
	}
	snprintf(buf, len, "ttyhub");
}

static void
ttyhubd_nested_done(void *arg, pid_t pid, int status)
{
	struct server	*srv = arg;
	char		 how[64];

	(void)pid;
	log_info("the terminal's client left (%s): stopping",
	    proc_status_str(status, how, sizeof how));
	event_base_loopexit(srv->base, NULL);
}

/*
 * --backend=nested: this terminal becomes the guest's console through
 * the ttyhub client, on vm0's own socket: raw mode, so Ctrl-C is the
 * guest's; the client's escapes (~. after Enter) leave, and ttyhubd
 * stops with it, as vhost-device-console does.
 */
static int
ttyhubd_nested(struct server *srv, const struct cmdline *cl)
{
	char		 client[PATH_MAX + 32], sock[PATH_MAX + 32];
	char		*argv[] = { "ttyhub", "-s", sock, "vm0", NULL };
	sigset_t	 all, old;
	pid_t		 pid;

	if (!cl->nested) {
		return 0;
	}
	ttyhubd_client_path(client, sizeof client);
	snprintf(sock, sizeof sock, "%s0.console", cl->socket_abs);
	fprintf(stderr, "%s: this terminal is the console of the guest on "
	    "%s0: Ctrl-C goes to it, ~. after Enter leaves\r\n", progname,
	    cl->socket_abs);
	sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, &old);
	if ((pid = fork()) == 0) {
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(client, argv);
		fprintf(stderr, "%s: %s: %s (the ttyhub client makes "
		    "--backend=nested)\n", progname, client, strerror(errno));
		_exit(127);
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1 || proc_add(pid, "the terminal's client",
	    ttyhubd_nested_done, srv) == -1) {
		log_err("cannot start the ttyhub client: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* vhost-device-console's command line, end. */

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

	/* Nested, the terminal is the guest's. */
	if (cl->inetd || cl->wait_mode || !cl->foreground || cl->nested) {
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
		    "in front, logging to standard error" : cl->nested ?
		    "the terminal is the guest's" : "without -S they go to "
		    "standard error");
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

	if ((ttyhubd_consoles(cl) && !cl->login_given) || cl->inetd ||
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
	sg->reload.no_file = cl->socket_path != NULL;
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
	cl.socket_count = 1;		/* vhost-device-console's defaults */
	cl.tcp_port = 12345;
	cl.nested = -1;
	ttyhubd_options(argc, argv, &cl, &srv);
	ttyhubd_check(&cl);
	if (cl.socket_path != NULL) {
		/* A vhost-user backend does not daemonize. */
		cl.foreground = 1;
		cfg = ttyhubd_compat_config(&cl);
	} else {
		cfg = ttyhubd_config(&cl);
	}
	srv.cli.accept_env = cl.naccept > 0 ? cl.accept_env : NULL;
	srv.inetd = cl.inetd;
	if ((!ttyhubd_consoles(&cl) || cl.login_given) &&
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
		free(cl.socket_abs);
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
	if (ttyhubd_nested(&srv, &cl) == -1) {
		event_base_loopexit(srv.base, NULL);
	}
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
	free(cl.socket_abs);
	return 0;
}
