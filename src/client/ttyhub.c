/*
 * ttyhub: the client.  `ttyhub NAME` puts the user's terminal on a
 * console of ttyhubd; `ttyhub -l`, `who`, `tail`, `break` and `send` are
 * for scripts, and `ttyhub net NAME` shows a guest network.  This file reads the command line, finds the daemon and
 * runs one command; doc/ttyhub.1 is the user's side of it.
 *
 * The daemon is found without configuration on the same host: -s, else
 * $TTYHUB_SOCKET, else the broker's default socket, which is where
 * ttyhubd puts it (src/daemon/rundir.c, linked into both):
 * /run/ttyhub/ttyhub.sock for a root daemon, $XDG_RUNTIME_DIR/ttyhub.sock
 * or /tmp/ttyhub-UID/ttyhub.sock for a user's.  A user whose own daemon
 * is not running reaches the root one.  Another host's broker is
 * tls://HOST:PORT (conn.c), with --tls-ca, --tls-cert, --tls-key and
 * --user, or TTYHUB_TLS_CA, TTYHUB_TLS_CERT, TTYHUB_TLS_KEY and
 * TTYHUB_USER.
 */
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "client.h"
#include "escape.h"

enum {
	OPT_NO_REPLAY = 256,
	OPT_RECONNECT,
	OPT_RAW,
	OPT_TLS_CA,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_USER,
	OPT_ALL,
	OPT_TIMEOUT,
};

static const struct option ttyhub_longopts[] = {
	{ "help",	no_argument,		NULL,	'h' },
	{ "version",	no_argument,		NULL,	'V' },
	{ "no-replay",	no_argument,		NULL,	OPT_NO_REPLAY },
	{ "reconnect",	no_argument,		NULL,	OPT_RECONNECT },
	{ "raw",	no_argument,		NULL,	OPT_RAW },
	{ "tls-ca",	required_argument,	NULL,	OPT_TLS_CA },
	{ "tls-cert",	required_argument,	NULL,	OPT_TLS_CERT },
	{ "tls-key",	required_argument,	NULL,	OPT_TLS_KEY },
	{ "user",	required_argument,	NULL,	OPT_USER },
	{ "all",	no_argument,		NULL,	OPT_ALL },
	{ "timeout",	required_argument,	NULL,	OPT_TIMEOUT },
	{ NULL,		0,			NULL,	0 }
};


static void
ttyhub_usage(FILE *f)
{
	fprintf(f,
	    "usage: %s [-rf] [-e char] [-s socket] [--no-replay] [--reconnect]\n"
	    "              [--timeout sec] name[@host]\n"
	    "       %s [-s socket] -l\n"
	    "       %s -l --all [--timeout sec]\n"
	    "       %s [-s socket] who name\n"
	    "       %s [-s socket] tail [-f] [-n lines] [--raw] name\n"
	    "       %s [-s socket] break [-f] name\n"
	    "       %s [-s socket] send [-fn] name text ...\n"
	    "       %s [-s socket] net network\n"
	    "       %s [-s socket] attach [options] name\n"
	    "  -s tls://host:port also takes --tls-ca file, --tls-cert file,\n"
	    "  --tls-key file and --user name\n",
	    PROGNAME, PROGNAME, PROGNAME, PROGNAME, PROGNAME, PROGNAME,
	    PROGNAME, PROGNAME, PROGNAME);
}

static int	ttyhub_bad_usage(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));

static int
ttyhub_bad_usage(const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s (%s --help shows the usage)\n", PROGNAME, msg,
	    PROGNAME);
	return EXIT_ERR;
}

/* An environment variable's value, NULL when unset or empty. */
static const char *
ttyhub_env(const char *name)
{
	const char	*v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Run a command once it knows where the daemon is. */
static int
ttyhub_run(int (*fn)(const struct opts *), struct opts *o)
{
	return conn_where(o) == -1 ? EXIT_ERR : fn(o);
}

/*
 * Options.  Those before the command (or the console's name) apply to
 * any command; each command reads its own after its word.  Returns -1
 * for a usage error (already reported), 1 for --help or --version.
 */
static int
ttyhub_options(int argc, char **argv, const char *optstring,
    struct opts *o, int *list)
{
	double	 secs;
	char	*end;
	int	 ch;

	optind = 0;		/* glibc: start afresh for each argv */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, ttyhub_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			o->socket = optarg;
			break;
		case 'e':
			if (escape_parse(optarg, &o->escape) == -1) {
				(void)ttyhub_bad_usage("-e %s: an escape is "
				    "one character, ^X, or none", optarg);
				return -1;
			}
			o->escape_set = 1;
			break;
		case 'r':
			o->ro = 1;
			break;
		case 'f':
			o->force = 1;	/* tail: follow */
			o->follow = 1;
			break;
		case 'l':
			*list = 1;
			break;
		case 'n':
			if (optarg == NULL) {
				o->no_enter = 1;	/* send -n */
				break;
			}
			errno = 0;
			o->lines = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    o->lines < 0) {
				(void)ttyhub_bad_usage("-n %s: not a number of "
				    "lines", optarg);
				return -1;
			}
			break;
		case OPT_NO_REPLAY:
			o->noreplay = 1;
			break;
		case OPT_RECONNECT:
			o->reconnect = 1;
			break;
		case OPT_RAW:
			o->raw = 1;
			break;
		case OPT_TLS_CA:
			o->tls_ca = optarg;
			break;
		case OPT_TLS_CERT:
			o->tls_cert = optarg;
			break;
		case OPT_TLS_KEY:
			o->tls_key = optarg;
			break;
		case OPT_USER:
			o->user = optarg;
			break;
		case OPT_ALL:
			o->all = 1;
			break;
		case OPT_TIMEOUT:
			errno = 0;
			secs = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    !(secs > 0 && secs <= 600)) {
				(void)ttyhub_bad_usage("--timeout %s: a number of "
				    "seconds, up to 600", optarg);
				return -1;
			}
			o->timeout_ms = (unsigned)(secs * 1000 + 0.5);
			if (o->timeout_ms == 0) {
				o->timeout_ms = 1;
			}
			break;
		case 'h':
			printf("%s %s: a console client for ttyhubd\n", PROGNAME,
			    TTYHUB_VERSION);
			ttyhub_usage(stdout);
			printf("(man ttyhub for the details)\n");
			return 1;
		case 'V':
			printf("%s %s (protocol %d, DNS-SD: %s)\n", PROGNAME,
			    TTYHUB_VERSION, PROTOCOL_VERSION, TTYHUB_AVAHI ?
			    "Avahi" : "not built in");
			return 1;
		default:
			if (optopt != 0 && strchr("sen", optopt) != NULL) {
				(void)ttyhub_bad_usage("-%c needs a value",
				    optopt);
			} else if (optopt != 0) {
				(void)ttyhub_bad_usage("unknown option -%c",
				    optopt);
			} else {
				(void)ttyhub_bad_usage("unknown option %s",
				    argv[optind - 1]);
			}
			return -1;
		}
	}
	return 0;
}

/* The command's own options and its name; argv[0] is the command word. */
static int
ttyhub_command(int argc, char **argv, const char *optstring, struct opts *o,
    int min_args)
{
	int	list = 0, r;

	r = ttyhub_options(argc, argv, optstring, o, &list);
	if (r != 0) {
		return r;
	}
	if (list) {
		(void)ttyhub_bad_usage("-l is a command of its own");
		return -1;
	}
	if (argc - optind < 1) {
		(void)ttyhub_bad_usage("%s: which %s?", argv[0],
		    strcmp(argv[0], "net") == 0 ? "network" : "console");
		return -1;
	}
	if (argc - optind < min_args) {
		(void)ttyhub_bad_usage("%s: no text after the console's name",
		    argv[0]);
		return -1;
	}
	o->name = argv[optind];
	return 0;
}

/*
 * A name the daemon could hold: printable ASCII, at most what NEW-ENVIRON
 * carries (tn.h: TN_ENV_VALUE_MAX).  Anything else could never name a
 * console, and must not leave the broker without a name (it would give
 * us its prompt).
 */
static int
ttyhub_name_ok(const char *name)
{
	size_t	i, n = strlen(name);

	if (n == 0 || n > 256) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)name[i] < 0x21 ||
		    (unsigned char)name[i] > 0x7e) {
			return 0;
		}
	}
	return 1;
}

/*
 * NAME@HOST's host: a host name, an address, or a service's name as
 * avahi-browse shows it ("ttyhub on lab2"): printable ASCII, spaces
 * included, at most 255 bytes (a DNS name's length).
 */
static int
ttyhub_host_ok(const char *host)
{
	size_t	i, n = strlen(host);

	if (n == 0 || n > 255) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)host[i] < 0x20 ||
		    (unsigned char)host[i] > 0x7e) {
			return 0;
		}
	}
	return 1;
}

static int
ttyhub_bad_name_of(const char *what, const char *name)
{
	char	safe[64];
	size_t	i, n = 0;

	for (i = 0; name[i] != '\0' && n + 5 < sizeof safe; i++) {
		if ((unsigned char)name[i] >= 0x21 &&
		    (unsigned char)name[i] <= 0x7e) {
			safe[n++] = name[i];
		} else {
			n += (size_t)snprintf(safe + n, sizeof safe - n,
			    "\\x%02x", (unsigned char)name[i]);
		}
	}
	safe[n] = '\0';
	ui_error("no %s named \"%s%s\" (%s -l lists them)", what, safe,
	    name[i] != '\0' ? "..." : "", PROGNAME);
	return EXIT_ERR;
}

static int
ttyhub_bad_name(const char *name)
{
	return ttyhub_bad_name_of("console", name);
}

/*
 * NAME, or NAME@HOST.  A console of that name here comes first; with no
 * such console, or no daemon, here (and no -s choosing the daemon), the
 * network is asked which host has it (hosts.c).  NAME@HOST asks the
 * network for HOST alone: '@' is in no console's name.
 */
static int
ttyhub_attach(struct opts *o)
{
	static char	 name[257];
	char		 why[700];
	const char	*at = strrchr(o->name, '@');
	int		 status;

	if (at != NULL) {
		if (at == o->name || at[1] == '\0' ||
		    (size_t)(at - o->name) >= sizeof name) {
			return ttyhub_bad_usage("%s: give NAME@HOST", o->name);
		}
		if (o->socket != NULL) {
			return ttyhub_bad_usage("NAME@HOST looks for HOST on the "
			    "network, -s names the daemon: give one of them");
		}
		memcpy(name, o->name, (size_t)(at - o->name));
		name[at - o->name] = '\0';
		o->host = at + 1;
		o->name = name;
		if (!ttyhub_name_ok(o->name)) {
			return ttyhub_bad_name(o->name);
		}
		if (!ttyhub_host_ok(o->host)) {
			return ttyhub_bad_usage("%s: not a host name, service "
			    "name or address", o->host);
		}
		return hosts_attach(o);
	}
	if (!ttyhub_name_ok(o->name)) {
		return ttyhub_bad_name(o->name);
	}
	why[0] = '\0';
	o->lookup = o->socket == NULL;
	o->local_why = why;
	o->local_whylen = sizeof why;
	status = ttyhub_run(attach_main, o);
	if (status == EXIT_ELSEWHERE) {
		status = hosts_attach(o);
	}
	return status;
}

/* send's words, joined by spaces. */
static char *
ttyhub_join(int argc, char **argv)
{
	size_t	len = 1, n;
	char	*s;
	int	 i;

	for (i = 0; i < argc; i++) {
		len += strlen(argv[i]) + 1;
	}
	if ((s = malloc(len)) == NULL) {
		return NULL;
	}
	s[0] = '\0';
	for (i = 0, n = 0; i < argc; i++) {
		if (i > 0) {
			s[n++] = ' ';
		}
		memcpy(s + n, argv[i], strlen(argv[i]) + 1);
		n += strlen(argv[i]);
	}
	return s;
}

int
main(int argc, char **argv)
{
	struct opts	 o;
	const char	*cmd;
	char		*text = NULL;
	int		 list = 0, r, status, first;

	memset(&o, 0, sizeof o);
	o.lines = 10;
	o.tls_ca = ttyhub_env("TTYHUB_TLS_CA");
	o.tls_cert = ttyhub_env("TTYHUB_TLS_CERT");
	o.tls_key = ttyhub_env("TTYHUB_TLS_KEY");
	o.user = ttyhub_env("TTYHUB_USER");
	(void)signal(SIGPIPE, SIG_IGN);

	r = ttyhub_options(argc, argv, "+s:e:rflhV", &o, &list);
	if (r != 0) {
		return r == 1 ? EXIT_OK : EXIT_ERR;
	}
	argc -= optind;
	argv += optind;
	cmd = argc > 0 ? argv[0] : NULL;
	if (list || (cmd != NULL && strcmp(cmd, "list") == 0)) {
		if (argc > (list ? 0 : 1)) {
			return ttyhub_bad_usage("-l takes no console name");
		}
		if (o.all && o.socket != NULL) {
			return ttyhub_bad_usage("-l --all asks the network, -s "
			    "one daemon: give one of them");
		}
		return o.all ? hosts_list(&o) : ttyhub_run(cmd_list, &o);
	}
	if (o.all) {
		return ttyhub_bad_usage("--all goes with -l");
	}
	if (cmd == NULL) {
		ttyhub_usage(stderr);
		return EXIT_ERR;
	}
	if (strcmp(cmd, "who") == 0) {
		if ((r = ttyhub_command(argc, argv, "+s:", &o, 1)) != 0) {
			return r == 1 ? EXIT_OK : EXIT_ERR;
		}
		return ttyhub_name_ok(o.name) ? ttyhub_run(cmd_who, &o) :
		    ttyhub_bad_name(o.name);
	}
	if (strcmp(cmd, "tail") == 0) {
		o.follow = 0;
		if ((r = ttyhub_command(argc, argv, "+s:fn:", &o, 1)) != 0) {
			return r == 1 ? EXIT_OK : EXIT_ERR;
		}
		o.force = 0;
		return ttyhub_name_ok(o.name) ? ttyhub_run(cmd_tail, &o) :
		    ttyhub_bad_name(o.name);
	}
	if (strcmp(cmd, "break") == 0) {
		if ((r = ttyhub_command(argc, argv, "+s:f", &o, 1)) != 0) {
			return r == 1 ? EXIT_OK : EXIT_ERR;
		}
		return ttyhub_name_ok(o.name) ? ttyhub_run(cmd_break, &o) :
		    ttyhub_bad_name(o.name);
	}
	if (strcmp(cmd, "net") == 0) {
		if ((r = ttyhub_command(argc, argv, "+s:", &o, 1)) != 0) {
			return r == 1 ? EXIT_OK : EXIT_ERR;
		}
		return ttyhub_name_ok(o.name) ? ttyhub_run(cmd_net, &o) :
		    ttyhub_bad_name_of("network", o.name);
	}
	if (strcmp(cmd, "send") == 0) {
		if ((r = ttyhub_command(argc, argv, "+s:fn", &o, 2)) != 0) {
			return r == 1 ? EXIT_OK : EXIT_ERR;
		}
		if (!ttyhub_name_ok(o.name)) {
			return ttyhub_bad_name(o.name);
		}
		if ((text = ttyhub_join(argc - optind - 1,
		    argv + optind + 1)) == NULL) {
			ui_error("out of memory");
			return EXIT_ERR;
		}
		o.text = text;
		status = ttyhub_run(cmd_send, &o);
		free(text);
		return status;
	}
	/*
	 * "attach [options] NAME", or just NAME; either way more attach
	 * options may follow the name.
	 */
	first = 0;
	if (strcmp(cmd, "attach") == 0) {
		if ((r = ttyhub_command(argc, argv, "+s:e:rf", &o, 1)) != 0) {
			return r == 1 ? EXIT_OK : EXIT_ERR;
		}
		first = optind;
	}
	o.name = argv[first];
	if (argc - first > 1) {
		r = ttyhub_options(argc - first, argv + first, "+s:e:rf", &o,
		    &list);
		if (r != 0) {
			return r == 1 ? EXIT_OK : EXIT_ERR;
		}
		if (list || optind < argc - first) {
			return ttyhub_bad_usage("one console at a time (%s)",
			    list ? "-l" : argv[first + optind]);
		}
	}
	if (o.all) {
		return ttyhub_bad_usage("--all goes with -l");
	}
	return ttyhub_attach(&o);
}
