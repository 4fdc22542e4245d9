/*
 * ttyhubd: main.  Reads the command line (cmdline.c: a superset of
 * BusyBox telnetd's, so that a symlink named telnetd is a drop-in, and
 * vdc.c: vhost-device-console's), binds the login listener, daemonizes
 * unless told not to, sets up the signals, says READY=1 and runs the one
 * event loop until a signal ends it.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cmdline.h"
#include "config.h"
#include "console.h"
#include "hub.h"
#include "listener.h"
#include "log.h"
#include "network.h"
#include "proc.h"
#include "server.h"
#include "session.h"
#include "systemd.h"
#include "usage.h"
#include "vdc.h"

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
		fprintf(stderr, "%s: fork: %s\n", usage_progname,
		    strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		fprintf(stderr, "%s: running in the background as pid %ld%s\n",
		    usage_progname, (long)pid, syslog_ok ?
		    "; messages go to syslog" : "");
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
		fprintf(stderr, "%s: %s\n", usage_progname, err);
		config_free(cfg);
		free(cl->cfg_path);
		exit(2);
	}
	if (cl->check_only) {
		printf("%s: %s: good (%zu console%s)\n", usage_progname,
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

	/* Nested, the terminal is the guest's. */
	if (cl->inetd || cl->wait_mode || !cl->foreground || cl->vdc.nested) {
		use_syslog = 1;
	}
	log_open(usage_progname, use_syslog);
	log_debug_enable(cl->debug);
	if (background) {
		log_stderr(1);	/* until we leave the terminal */
	}
	/* Not with -i or -w: there stderr is the client's socket. */
	if (use_syslog && !cl->inetd && !cl->wait_mode &&
	    log_syslog_check(err, sizeof err) == -1) {
		fprintf(stderr, "%s: syslog is unreachable (%s): messages%s "
		    "will be lost (%s)\n", usage_progname, err, background ?
		    " from the background" : "", background ? "-F keeps it "
		    "in front, logging to standard error" : cl->vdc.nested ?
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

	if ((cmdline_consoles(cl) && !cl->login_given) || cl->inetd ||
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
		fprintf(stderr, "%s: %s\n", usage_progname, err);
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
	sigset_t	 before;	/* the mask ttyhubd_hold found */
};

/*
 * From the first socket that answers until the handlers are in, the
 * signals we handle wait, blocked: a reload or a stop sent as soon as a
 * socket answers must not meet the default action, which for SIGHUP and
 * SIGUSR2 is to die.  ttyhubd_signals lets them through.
 */
static void
ttyhubd_hold(struct sigs *sg)
{
	sigset_t	held;

	sigemptyset(&held);
	sigaddset(&held, SIGCHLD);
	sigaddset(&held, SIGTERM);
	sigaddset(&held, SIGINT);
	sigaddset(&held, SIGHUP);
	sigaddset(&held, SIGUSR2);
	(void)sigprocmask(SIG_BLOCK, &held, &sg->before);
}

static int
ttyhubd_signals(struct server *srv, const struct cmdline *cl,
    struct sigs *sg)
{
	size_t	i;

	sg->reload.srv = srv;
	sg->reload.issue_path = cl->issue_path;
	sg->reload.issue_explicit = cl->issue_explicit;
	sg->reload.no_file = cl->vdc.socket_path != NULL;
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
	/* What came while they were held is handled in the loop. */
	(void)sigprocmask(SIG_SETMASK, &sg->before, NULL);
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
	size_t			 i;

	usage_init(argv[0]);
	systemd_init();
	ttyhubd_server_init(&srv);
	cmdline_init(&cl);
	cmdline_parse(&cl, &srv, argc, argv);
	cmdline_check(&cl);
	if (cl.vdc.socket_path != NULL) {
		/* A vhost-user backend does not daemonize. */
		cl.foreground = 1;
		cfg = vdc_config(&cl.vdc);
	} else {
		cfg = ttyhubd_config(&cl);
	}
	srv.cli.accept_env = cl.naccept > 0 ? cl.accept_env : NULL;
	srv.inetd = cl.inetd;
	if ((!cmdline_consoles(&cl) || cl.login_given) &&
	    access(srv.cli.path, X_OK) == -1) {
		fprintf(stderr, "%s: login program %s: %s (choose one with "
		    "-l PROG)\n", usage_progname, srv.cli.path,
		    strerror(errno));
		return 2;
	}
	cmdline_bind(&cl);
	background = !cl.inetd && !cl.wait_mode && !cl.foreground;
	syslog_ok = ttyhubd_log(&cl, background);
	login_load_issue(&srv.cli, cl.issue_path, cl.issue_explicit);
	(void)signal(SIGPIPE, SIG_IGN);

	if ((srv.base = event_base_new()) == NULL) {
		log_err("cannot create the event loop");
		return 1;
	}
	ttyhubd_hold(&sg);
	fd = ttyhubd_bind(&cl);
	if (cfg != NULL && hub_start(&srv, cfg, err, sizeof err) == -1) {
		/* Freed, so that a refusal is clean under LeakSanitizer. */
		fprintf(stderr, "%s: %s\n", usage_progname, err);
		if (fd != -1) {
			close(fd);
		}
		event_base_free(srv.base);
		free(srv.cli.issue);
		free(cl.cfg_path);
		vdc_free(&cl.vdc);
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
	if (vdc_nested(&srv, &cl.vdc) == -1) {
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
	vdc_free(&cl.vdc);
	return 0;
}
