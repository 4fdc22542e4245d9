/*
 * vdc: vhost-device-console's command line (rust-vmm's vhost-device
 * crate), taken by ttyhubd so that a VMM's recipe for it runs us
 * unchanged.  --socket-path and the rest become the text a
 * configuration file would hold, read and checked as a file is: each
 * guest a console of type vhost-user, vm0 .. vmN-1 on PATH0 .. PATHN-1,
 * each on 127.0.0.1 port PORT+i as raw TCP without notices (nc takes
 * every byte as the guest's), or, nested, on a unix socket PATH0.console
 * for the ttyhub client that becomes this terminal.  The broker is on
 * its default socket, unless another ttyhubd answers there.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "rundir.h"
#include "server.h"
#include "usage.h"
#include "vdc.h"

void
vdc_init(struct vdc *v)
{
	memset(v, 0, sizeof *v);
	v->socket_count = 1;
	v->tcp_port = 12345;
	v->nested = -1;
}

int
vdc_option(struct vdc *v, int c, const char *arg)
{
	switch (c) {
	case VDC_OPT_SOCKET_PATH:
		if (arg[0] == '\0') {
			usage_bad("--socket-path needs a path");
		}
		v->socket_path = arg;
		return 1;
	case VDC_OPT_SOCKET_COUNT:
		v->socket_count = usage_uint("--socket-count", arg, 1,
		    VDC_GUESTS_MAX);
		v->only = "--socket-count";
		return 1;
	case VDC_OPT_TCP_PORT:
		v->tcp_port = usage_uint("--tcp-port", arg, 1, 65535);
		v->only = "--tcp-port";
		return 1;
	case VDC_OPT_BACKEND:
		if (strcmp(arg, "nested") != 0 &&
		    strcmp(arg, "network") != 0) {
			usage_bad("bad value \"%s\" for --backend: give "
			    "network or nested", arg);
		}
		v->nested = strcmp(arg, "nested") == 0;
		v->only = "--backend";
		return 1;
	}
	return 0;
}

/*
 * Nested is vhost-device-console's default backend, and serves one guest
 * on this terminal.
 */
void
vdc_check(struct vdc *v, int cfg_file, int inetd_or_wait)
{
	if (v->nested == -1) {
		v->nested = v->socket_path != NULL;
	}
	if (v->socket_path == NULL) {
		if (v->only != NULL) {
			usage_bad("%s is for the vhost-user guests of "
			    "--socket-path", v->only);
		}
		return;
	}
	if (cfg_file) {
		usage_bad("--socket-path cannot be used with -c (there, a "
		    "console of type = vhost-user does the same)");
	}
	if (inetd_or_wait) {
		usage_bad("--socket-path cannot be used with -i or -w");
	}
	if (v->nested && v->socket_count > 1) {
		usage_bad("--backend=nested serves one guest on this terminal: "
		    "give --socket-count=1, or --backend=network");
	}
	if (v->nested && !isatty(STDIN_FILENO)) {
		usage_bad("--backend=nested needs a terminal on standard "
		    "input (--backend=network serves the guests on TCP)");
	}
	if (!v->nested && v->tcp_port + v->socket_count - 1 > 65535) {
		usage_bad("--tcp-port=%u and --socket-count=%u go past port "
		    "65535", v->tcp_port, v->socket_count);
	}
}

/* The broker's default socket, if no other ttyhubd holds it; or "". */
static void
vdc_broker(struct vdc *v)
{
	struct sockaddr_un	sun;
	char			err[300];
	int			fd, live;

	v->broker[0] = '\0';
	if (rundir_socket(v->broker, sizeof v->broker, 1, err,
	    sizeof err) == -1) {
		fprintf(stderr, "%s: no broker (%s): the guests are on their "
		    "own sockets only\n", usage_progname, err);
		v->broker[0] = '\0';
		return;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(v->broker) >= sizeof sun.sun_path) {
		return;		/* the broker will say so */
	}
	memcpy(sun.sun_path, v->broker, strlen(v->broker));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		return;
	}
	live = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
	close(fd);
	if (live) {
		fprintf(stderr, "%s: another ttyhubd has the broker's socket "
		    "%s: this one has no broker (ttyhub -l does not list its "
		    "guests)\n", usage_progname, v->broker);
		v->broker[0] = '\0';
	}
}

static void __attribute__((format(printf, 3, 4)))
vdc_add(char *buf, size_t cap, const char *fmt, ...)
{
	size_t	n = strlen(buf);
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

struct config *
vdc_config(struct vdc *v)
{
	struct config	*cfg = NULL;
	char		 cwd[PATH_MAX], err[512], *text;
	size_t		 cap, len;
	unsigned	 i;

	if (v->socket_path[0] == '/') {
		v->socket_abs = strdup(v->socket_path);
	} else if (getcwd(cwd, sizeof cwd) != NULL) {
		len = strlen(cwd) + strlen(v->socket_path) + 2;
		if ((v->socket_abs = malloc(len)) != NULL) {
			snprintf(v->socket_abs, len, "%s/%s", cwd,
			    v->socket_path);
		}
	} else {
		fprintf(stderr, "%s: --socket-path: %s\n", usage_progname,
		    strerror(errno));
		exit(1);
	}
	if (v->socket_abs == NULL) {
		fprintf(stderr, "%s: out of memory\n", usage_progname);
		exit(1);
	}
	/* The guest's number and, nested, ".console" come after it. */
	if (strlen(v->socket_abs) + (v->nested ? 9 : 3) >=
	    sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
		usage_bad("--socket-path %s is too long for a unix socket",
		    v->socket_abs);
	}
	vdc_broker(v);
	cap = 256 + strlen(v->broker) + v->socket_count *
	    (256 + 2 * strlen(v->socket_abs));
	if ((text = calloc(1, cap)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", usage_progname);
		exit(1);
	}
	vdc_add(text, cap, "[ttyhubd]\nbroker-unix = %s\n",
	    v->broker[0] != '\0' ? v->broker : "none");
	for (i = 0; i < v->socket_count; i++) {
		vdc_add(text, cap, "\n[console vm%u]\ntype = vhost-user\n"
		    "path = %s%u\n", i, v->socket_abs, i);
		if (v->nested) {
			vdc_add(text, cap, "unix = %s%u.console\n",
			    v->socket_abs, i);
		} else {
			vdc_add(text, cap, "raw = 127.0.0.1:%u\n"
			    "notices = no\n", v->tcp_port + i);
		}
	}
	if (config_parse("the command line", text, &cfg, err,
	    sizeof err) == -1) {
		fprintf(stderr, "%s: %s\n", usage_progname, err);
		free(text);
		exit(2);
	}
	free(text);
	return cfg;
}

/* The ttyhub client: beside us, in ../bin from sbin, or on PATH. */
static void
vdc_client_path(char *buf, size_t len)
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
vdc_nested_done(void *arg, pid_t pid, int status)
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
int
vdc_nested(struct server *srv, const struct vdc *v)
{
	char		 client[PATH_MAX + 32], sock[PATH_MAX + 32];
	char		*argv[] = { "ttyhub", "-s", sock, "vm0", NULL };
	sigset_t	 all, old;
	pid_t		 pid;

	if (!v->nested) {
		return 0;
	}
	vdc_client_path(client, sizeof client);
	snprintf(sock, sizeof sock, "%s0.console", v->socket_abs);
	fprintf(stderr, "%s: this terminal is the console of the guest on "
	    "%s0: Ctrl-C goes to it, ~. after Enter leaves\r\n", usage_progname,
	    v->socket_abs);
	sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, &old);
	if ((pid = fork()) == 0) {
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(client, argv);
		fprintf(stderr, "%s: %s: %s (the ttyhub client makes "
		    "--backend=nested)\n", usage_progname, client,
		    strerror(errno));
		_exit(127);
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1 || proc_add(pid, "the terminal's client",
	    vdc_nested_done, srv) == -1) {
		log_err("cannot start the ttyhub client: %s", strerror(errno));
		return -1;
	}
	return 0;
}


void
vdc_free(struct vdc *v)
{
	free(v->socket_abs);
	v->socket_abs = NULL;
}
