/*
 * config: the configuration file (doc/ttyhub.conf.5), read with inih.
 *
 * inih splits each line into a key and a value; everything else is ours.
 * Our reader hands inih one line at a time, so it knows the line number,
 * refuses long lines and control characters, and reads section headers
 * itself: inih cuts section names at 49 bytes and says nothing about a
 * section without keys.  Keys are looked up in cfg_keys, which says where
 * each one applies.  Keys may come in any order, so a section is checked
 * as a whole when the next one starts or the file ends.
 *
 * The first problem ends the parse with one message "FILE:LINE: reason";
 * whatever was built so far is freed.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "config-value.h"
#include "../telnet/tn.h"

#define CFG_FILE_MAX	(16 * 1024 * 1024)	/* config_load reads no more */
#define CFG_MSG_MAX	1024

#define CFG_T(t)	(1U << (t))
#define CFG_T_SERIAL	CFG_T(CFG_BACKEND_SERIAL)
#define CFG_T_UNIX	CFG_T(CFG_BACKEND_UNIX)
#define CFG_T_TCP	CFG_T(CFG_BACKEND_TCP)
#define CFG_T_EXEC	CFG_T(CFG_BACKEND_EXEC)
#define CFG_T_PTY	CFG_T(CFG_BACKEND_PTY)
#define CFG_T_VHOST	CFG_T(CFG_BACKEND_VHOST)
#define CFG_T_ALL	0x3fU
#define CFG_NTYPES	6

#define CFG_REPLAY_MAX	((size_t)64 * 1024 * 1024)
#define CFG_BACKLOG_MIN	((size_t)4 * 1024)
#define CFG_BACKLOG_MAX	((size_t)1024 * 1024 * 1024)
#define CFG_RESTART_MAX	(3600U * 1000)
#define CFG_KEYS_MAX	64	/* entries of cfg_keys, at most */

enum cfg_sect {
	CFG_SECT_NONE,		/* before the first header */
	CFG_SECT_DAEMON,	/* [ttyhubd] */
	CFG_SECT_CONSOLE,	/* [console NAME] */
	CFG_SECT_LOGIN,		/* [login NAME] */
};

/*
 * Something a file may use only once: a TCP endpoint (listened on or
 * connected to) or a path (socket, device, link, log).  The strings are
 * borrowed from the config being built.
 */
struct cfg_claim {
	const char	*host;		/* TCP; NULL: every address */
	unsigned	 port;		/* TCP; 0 for a path */
	const char	*path;
	int		 listener;	/* TCP: we listen (else connect) */
	unsigned	 line;
	enum cfg_sect	 sect;
	size_t		 index;		/* of the console or login */
};

struct cfg_parser;
struct cfg_key;

typedef int (*cfg_parse_fn)(struct cfg_parser *, const struct cfg_key *,
    const char *);

static unsigned	cfg_key_given(const struct cfg_parser *, const char *);

/*
 * A key: the section it belongs in, for consoles the types it applies
 * to and the types that need it, and its parser.  A key may have two
 * entries told apart by value (match): "telnet = yes" is the backend's
 * protocol, "telnet = 7001" a listener.
 */
struct cfg_key {
	const char	*name;
	enum cfg_sect	 sect;
	unsigned	 types;		/* console: CFG_T_* it applies to */
	unsigned	 required;	/* console: CFG_T_*; others: nonzero */
	int		(*match)(const char *);
	cfg_parse_fn	 parse;
	const char	*hint;		/* added to "only for type" */
};

/* The state of one parse, shared by the reader, the handler and the keys. */
struct cfg_parser {
	const char		*name;		/* the file, for messages */
	const char		*text;
	size_t			 len;
	size_t			 pos;		/* of the next line */
	unsigned		 line;		/* the line inih is on */
	int			 failed;
	char			*err;
	size_t			 errlen;

	struct config		*cfg;
	enum cfg_sect		 sect;		/* the section being read */
	unsigned		 sect_line;
	size_t			 index;		/* of its console or login */
	struct cfg_console	*con;
	struct cfg_login	*login;
	unsigned		 daemon_line;	/* of [ttyhubd], once seen */
	size_t			 cons_cap;
	size_t			 logins_cap;

	unsigned		 keyline[CFG_KEYS_MAX];	/* by cfg_keys index:
							   where it was given
							   in this section */

	struct cfg_claim	*claims;
	size_t			 nclaims;
	size_t			 claims_cap;
};

/* Speeds termios has a Bxxx constant for on Linux, up to 4000000. */
static const unsigned cfg_bauds[] = {
	50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600,
	19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600,
	1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000
};
#define CFG_NBAUDS	(sizeof cfg_bauds / sizeof cfg_bauds[0])

static const char *const cfg_types[] = {
	"serial", "unix", "tcp", "exec", "pty", "vhost-user", NULL
};
static const char *const cfg_parities[] = {
	"none", "even", "odd", "mark", "space", NULL
};
static const char *const cfg_flows[] = {
	"none", "rtscts", "xonxoff", NULL
};

/* Messages. */

/* s as it goes between quotes in a message: at most CFG_QUOTE_MAX bytes. */
static const char *
cfg_quote(const char *s, char *buf, size_t len)
{
	size_t	n = strlen(s);

	if (n <= CFG_QUOTE_MAX) {
		return s;
	}
	snprintf(buf, len, "%.*s...", CFG_QUOTE_MAX, s);
	return buf;
}

/* "console "vm1"", "login "lab"" or "[ttyhubd]". */
static void
cfg_where(const struct cfg_parser *p, enum cfg_sect sect, size_t index,
    char *buf, size_t len)
{
	switch (sect) {
	case CFG_SECT_DAEMON:
		snprintf(buf, len, "[ttyhubd]");
		break;
	case CFG_SECT_CONSOLE:
		snprintf(buf, len, "console \"%s\"",
		    p->cfg->consoles[index].name);
		break;
	case CFG_SECT_LOGIN:
		snprintf(buf, len, "login \"%s\"", p->cfg->logins[index].name);
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
}

/* The first failure ends the parse; anything after it is not reported. */
static int __attribute__((format(printf, 4, 0)))
cfg_vfail(struct cfg_parser *p, unsigned line, int in_section,
    const char *fmt, va_list ap)
{
	char	msg[CFG_MSG_MAX], where[CFG_NAME_MAX + 32];

	if (p->failed) {
		return -1;
	}
	p->failed = 1;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (p->err == NULL || p->errlen == 0) {
		return -1;
	}
	if (in_section && p->sect != CFG_SECT_NONE) {
		cfg_where(p, p->sect, p->index, where, sizeof where);
		snprintf(p->err, p->errlen, "%s:%u: %s: %s", p->name, line,
		    where, msg);
	} else {
		snprintf(p->err, p->errlen, "%s:%u: %s", p->name, line, msg);
	}
	return -1;
}

/* "FILE:LINE: message", for what is wrong with the line itself. */
static int __attribute__((format(printf, 3, 4)))
cfg_fail_line(struct cfg_parser *p, unsigned line, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cfg_vfail(p, line, 0, fmt, ap);
	va_end(ap);
	return -1;
}

/* "FILE:LINE: SECTION: message". */
static int __attribute__((format(printf, 3, 4)))
cfg_fail(struct cfg_parser *p, unsigned line, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cfg_vfail(p, line, 1, fmt, ap);
	va_end(ap);
	return -1;
}

/* "FILE:LINE: SECTION: KEY "VALUE": message", on the current line. */
static int __attribute__((format(printf, 4, 5)))
cfg_bad(struct cfg_parser *p, const char *key, const char *value,
    const char *fmt, ...)
{
	char	msg[CFG_MSG_MAX], q[CFG_QUOTE_MAX + 4];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return cfg_fail(p, p->line, "%s \"%s\": %s", key,
	    cfg_quote(value, q, sizeof q), msg);
}

static char *
cfg_strdup(struct cfg_parser *p, const char *s)
{
	char	*d;

	if ((d = strdup(s)) == NULL) {
		cfg_fail(p, p->line, "out of memory");
	}
	return d;
}

/* Values. */

static int
cfg_bool(struct cfg_parser *p, const struct cfg_key *k, const char *s,
    int *out)
{
	if (cfg_value_bool(s, out) == 0) {
		return 0;
	}
	return cfg_bad(p, k->name, s, "must be yes or no");
}

/*
 * An absolute path; sockets also fit a sockaddr_un.  *out holds NULL or
 * the default, which this replaces.
 */
static int
cfg_path(struct cfg_parser *p, const char *key, const char *s, int sock,
    char **out)
{
	char	why[256];

	if (cfg_value_path(s, sock, why, sizeof why) == -1) {
		return cfg_bad(p, key, s, "%s", why);
	}
	free(*out);
	if ((*out = cfg_strdup(p, s)) == NULL) {
		return -1;
	}
	return 0;
}

/* Claims: what may be used once in a file. */

/* "127.0.0.1:7001", "[::1]:7001", "*:7001". */
static void
cfg_tcp_name(const char *host, unsigned port, char *buf, size_t len)
{
	if (host == NULL) {
		snprintf(buf, len, "*:%u", port);
	} else if (strchr(host, ':') != NULL) {
		snprintf(buf, len, "[%s]:%u", host, port);
	} else {
		snprintf(buf, len, "%s:%u", host, port);
	}
}

/*
 * Claim a TCP endpoint (path NULL) or a path for the current section, on
 * the current line.  key and value start the message if it is taken.
 */
static int
cfg_claim(struct cfg_parser *p, const char *key, const char *value,
    const char *host, unsigned port, const char *path, int listener)
{
	struct cfg_claim	*c, *n;
	char			 mine[320], theirs[320];  /* names <= 253 */
	char			 where[CFG_NAME_MAX + 32];
	size_t			 i, cap;
	int			 same;

	for (i = 0; i < p->nclaims; i++) {
		c = &p->claims[i];
		if (path != NULL || c->path != NULL) {
			if (path == NULL || c->path == NULL ||
			    strcmp(path, c->path) != 0) {
				continue;
			}
			cfg_where(p, c->sect, c->index, where, sizeof where);
			return cfg_bad(p, key, value, "already used at line %u "
			    "(%s)", c->line, where);
		}
		if (port != c->port) {
			continue;
		}
		if (host != NULL && c->host != NULL) {
			same = strcasecmp(host, c->host) == 0;
			if (!same) {
				continue;
			}
		} else if (host == NULL && c->host == NULL) {
			same = 1;
		} else if (listener && c->listener) {
			same = 0;	/* every address overlaps each one */
		} else {
			continue;
		}
		cfg_where(p, c->sect, c->index, where, sizeof where);
		cfg_tcp_name(host, port, mine, sizeof mine);
		cfg_tcp_name(c->host, c->port, theirs, sizeof theirs);
		if (same) {
			return cfg_bad(p, key, value, "%s is already used at "
			    "line %u (%s)", mine, c->line, where);
		}
		return cfg_bad(p, key, value, "%s overlaps %s at line %u (%s)",
		    mine, theirs, c->line, where);
	}
	if (p->nclaims == p->claims_cap) {
		cap = p->claims_cap != 0 ? p->claims_cap * 2 : 32;
		if ((n = reallocarray(p->claims, cap, sizeof *n)) == NULL) {
			return cfg_fail(p, p->line, "out of memory");
		}
		p->claims = n;
		p->claims_cap = cap;
	}
	c = &p->claims[p->nclaims++];
	c->host = host;
	c->port = port;
	c->path = path;
	c->listener = listener;
	c->line = p->line;
	c->sect = p->sect;
	c->index = p->index;
	return 0;
}

/*
 * A list of listeners for key into list (with *n already there), kind
 * as the key says; allow is "ro,noreplay" options are allowed.
 */
static int
cfg_listeners(struct cfg_parser *p, const char *key, const char *value,
    enum cfg_listen_kind kind, int allow, struct cfg_listen *list,
    size_t *n)
{
	char			 word[CFG_LINE_MAX + 1], why[256];
	const char		*s = value;
	struct cfg_listen	*l;
	size_t			 got = 0;

	while (cfg_value_word(&s, word, sizeof word)) {
		if (*n == CFG_LISTEN_MAX) {
			return cfg_bad(p, key, word, "more than %d listeners "
			    "in one section", CFG_LISTEN_MAX);
		}
		l = &list[*n];
		if (config_listen(word, kind, l, why, sizeof why) == -1) {
			return cfg_bad(p, key, word, "%s", why);
		}
		(*n)++;
		got++;
		if (!allow && (l->ro || l->noreplay)) {
			return cfg_bad(p, key, word, "option \"%s\" is only "
			    "for console listeners", l->ro ? "ro" : "noreplay");
		}
		if (kind == CFG_LISTEN_UNIX) {
			if (cfg_claim(p, key, word, NULL, 0, l->path,
			    1) == -1) {
				return -1;
			}
		} else if (cfg_claim(p, key, word, l->host, l->port, NULL,
		    1) == -1) {
			return -1;
		}
	}
	if (got == 0) {
		return cfg_bad(p, key, value, "give one or more addresses");
	}
	return 0;
}

/* Console keys. */

static int
cfg_con_type(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	int	t;

	if (cfg_value_enum(s, cfg_types, &t) == -1) {
		return cfg_bad(p, k->name, s, "must be serial, unix, tcp, exec, "
		    "pty or vhost-user");
	}
	p->con->type = (enum cfg_backend_kind)t;
	return 0;
}

static int
cfg_con_device(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	if (cfg_path(p, k->name, s, 0, &p->con->device) == -1) {
		return -1;
	}
	return cfg_claim(p, k->name, s, NULL, 0, p->con->device, 0);
}

static int
cfg_con_baud(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	unsigned	v;
	size_t		i;

	if (cfg_value_uint(s, cfg_bauds[0], cfg_bauds[CFG_NBAUDS - 1], &v) == -1) {
		return cfg_bad(p, k->name, s, "must be a number from %u to %u",
		    cfg_bauds[0], cfg_bauds[CFG_NBAUDS - 1]);
	}
	for (i = 0; i < CFG_NBAUDS; i++) {
		if (cfg_bauds[i] == v) {
			p->con->baud = v;
			return 0;
		}
		if (cfg_bauds[i] > v) {
			break;
		}
	}
	return cfg_bad(p, k->name, s, "not a speed termios has (the nearest "
	    "are %u and %u)", cfg_bauds[i - 1], cfg_bauds[i]);
}

static int
cfg_con_data_bits(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	if (cfg_value_uint(s, 5, 8, &p->con->data_bits) == -1) {
		return cfg_bad(p, k->name, s, "must be 5, 6, 7 or 8");
	}
	return 0;
}

static int
cfg_con_parity(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	int	v;

	if (cfg_value_enum(s, cfg_parities, &v) == -1) {
		return cfg_bad(p, k->name, s, "must be none, even, odd, mark "
		    "or space");
	}
	p->con->parity = (enum cfg_parity)v;
	return 0;
}

static int
cfg_con_stop_bits(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	if (cfg_value_uint(s, 1, 2, &p->con->stop_bits) == -1) {
		return cfg_bad(p, k->name, s, "must be 1 or 2");
	}
	return 0;
}

static int
cfg_con_flow(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	int	v;

	if (cfg_value_enum(s, cfg_flows, &v) == -1) {
		return cfg_bad(p, k->name, s, "must be none, rtscts or "
		    "xonxoff");
	}
	p->con->flow = (enum cfg_flow)v;
	return 0;
}

static int
cfg_con_path(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	if (cfg_path(p, k->name, s, 1, &p->con->path) == -1) {
		return -1;
	}
	return cfg_claim(p, k->name, s, NULL, 0, p->con->path, 0);
}

static int
cfg_con_address(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	char	why[256];

	if (cfg_value_hostport(s, 1, &p->con->host, &p->con->port, why,
	    sizeof why) == -1) {
		return cfg_bad(p, k->name, s, "%s", why);
	}
	return cfg_claim(p, k->name, s, p->con->host, p->con->port, NULL, 0);
}

static int
cfg_con_telnet(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	/* "telnet = 1" could as well be a listener on port 1. */
	if (strcmp(s, "1") == 0 || strcmp(s, "0") == 0) {
		return cfg_bad(p, k->name, s, "write yes or no for a Telnet "
		    "backend, or HOST:PORT for a listener");
	}
	return cfg_bool(p, k, s, &p->con->telnet);
}

/*
 * An exec command into words, without a shell: spaces and tabs separate
 * words; '...' is literal; in "..." a backslash escapes " and \ only;
 * elsewhere a backslash escapes any character.
 */
static int
cfg_con_command(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	char		 word[CFG_LINE_MAX + 1];
	const char	*in = s;
	size_t		 n, argc = 0;
	int		 quote, have;

	for (;;) {
		while (cfg_value_space(*in)) {
			in++;
		}
		if (*in == '\0') {
			break;
		}
		n = 0;
		quote = 0;
		have = 0;
		for (; *in != '\0'; in++) {
			if (quote == '\'') {
				if (*in == '\'') {
					quote = 0;
				} else {
					word[n++] = *in;
				}
			} else if (quote == '"') {
				if (*in == '"') {
					quote = 0;
				} else if (*in == '\\' &&
				    (in[1] == '"' || in[1] == '\\')) {
					word[n++] = *++in;
				} else {
					word[n++] = *in;
				}
			} else if (cfg_value_space(*in)) {
				break;
			} else if (*in == '\'' || *in == '"') {
				quote = *in;
				have = 1;
			} else if (*in == '\\') {
				if (in[1] == '\0') {
					return cfg_bad(p, k->name, s, "ends "
					    "with a backslash");
				}
				word[n++] = *++in;
			} else {
				word[n++] = *in;
			}
		}
		if (quote != 0) {
			return cfg_bad(p, k->name, s, "missing closing %c",
			    quote);
		}
		if (n == 0 && !have) {
			continue;
		}
		word[n] = '\0';
		if (argc == CFG_ARGV_MAX) {
			return cfg_bad(p, k->name, s, "more than %d words",
			    CFG_ARGV_MAX);
		}
		if (argc == 0 && word[0] != '/') {
			return cfg_bad(p, k->name, s, "the program must be an "
			    "absolute path (there is no shell and no PATH "
			    "search)");
		}
		if ((p->con->argv[argc] = cfg_strdup(p, word)) == NULL) {
			return -1;
		}
		argc++;
	}
	if (argc == 0) {
		return cfg_bad(p, k->name, s, "give a program and its "
		    "arguments");
	}
	p->con->argv[argc] = NULL;
	return 0;
}

static int
cfg_con_directory(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	return cfg_path(p, k->name, s, 0, &p->con->dir);
}

/*
 * user = and group =: who an exec console's program runs as, resolved
 * here, when the file is read, so that between fork and exec the child
 * only calls setgroups, setgid and setuid.  Each of the two keys
 * resolves again with what the other has said so far: the group (the
 * user's own unless group = names one), the groups as initgroups would
 * set them, the user's home.  cfg_con_run_as_check checks the result.
 */
static int
cfg_con_run_as(struct cfg_parser *p)
{
	struct cfg_console	*c = p->con;
	struct passwd		*pw;
	gid_t			*g = NULL;
	int			 n = 0, want;

	free(c->groups);
	free(c->home);
	c->groups = NULL;
	c->ngroups = 0;
	c->home = NULL;
	if (c->uid == (uid_t)-1 || (pw = getpwuid(c->uid)) == NULL) {
		if (c->gid == (gid_t)-1) {
			return 0;	/* so far, no group to run with */
		}
		/* The daemon's user, or one known by number: that group. */
		if ((c->groups = malloc(sizeof *c->groups)) == NULL) {
			return cfg_fail(p, p->line, "out of memory");
		}
		c->groups[0] = c->gid;
		c->ngroups = 1;
		return 0;
	}
	if (cfg_key_given(p, "group") == 0) {
		c->gid = pw->pw_gid;
	}
	if (pw->pw_dir[0] == '/' && strlen(pw->pw_dir) < PATH_MAX &&
	    (c->home = strdup(pw->pw_dir)) == NULL) {
		return cfg_fail(p, p->line, "out of memory");
	}
	/* Asked until they fit: getgrouplist says how many there are. */
	for (want = 16; want <= 65536; want = n > want ? n : want * 2) {
		free(g);
		if ((g = calloc((size_t)want, sizeof *g)) == NULL) {
			return cfg_fail(p, p->line, "out of memory");
		}
		n = want;
		if (getgrouplist(pw->pw_name, c->gid, g, &n) != -1) {
			c->groups = g;
			c->ngroups = (size_t)n;
			return 0;
		}
	}
	free(g);
	return cfg_fail(p, p->line, "user %s: cannot list its groups",
	    pw->pw_name);
}

static int
cfg_con_user(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	if (cfg_value_uid(s, &p->con->uid) == -1) {
		return cfg_bad(p, k->name, s, "no such user");
	}
	return cfg_con_run_as(p);
}

static int
cfg_con_group(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	if (cfg_value_gid(s, &p->con->gid) == -1) {
		return cfg_bad(p, k->name, s, "no such group");
	}
	return cfg_con_run_as(p);
}

static int
cfg_con_restart(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	return cfg_bool(p, k, s, &p->con->restart);
}

static int
cfg_con_restart_delay(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	unsigned	ms;

	if (config_duration_ms(s, &ms) == -1 || ms > CFG_RESTART_MAX) {
		return cfg_bad(p, k->name, s, "must be a duration from 0 to "
		    "3600s (e.g. 500ms, 2s, 1m)");
	}
	p->con->restart_ms = ms;
	return 0;
}

static int
cfg_con_size(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	char		 num[8];
	const char	*x;
	size_t		 n;

	x = strchr(s, 'x');
	n = x != NULL ? (size_t)(x - s) : 0;
	if (x == NULL || n >= sizeof num) {
		goto bad;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	if (cfg_value_uint(num, 1, TN_WINSIZE_MAX, &p->con->cols) == -1 ||
	    cfg_value_uint(x + 1, 1, TN_WINSIZE_MAX, &p->con->rows) == -1) {
		goto bad;
	}
	return 0;
bad:
	return cfg_bad(p, k->name, s, "must be COLUMNSxROWS, each from 1 to "
	    "4096 (e.g. 80x24)");
}

static int
cfg_con_link(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	if (cfg_path(p, k->name, s, 0, &p->con->link) == -1) {
		return -1;
	}
	return cfg_claim(p, k->name, s, NULL, 0, p->con->link, 0);
}

static int
cfg_con_listen(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	enum cfg_listen_kind	kind;

	if (strcmp(k->name, "unix") == 0) {
		kind = CFG_LISTEN_UNIX;
	} else if (strcmp(k->name, "raw") == 0) {
		kind = CFG_LISTEN_RAW;
	} else {
		kind = CFG_LISTEN_TELNET;
	}
	return cfg_listeners(p, k->name, s, kind, 1, p->con->listen,
	    &p->con->nlisten);
}

static int
cfg_con_unix_mode(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	if (cfg_value_mode(s, &p->con->unix_mode) == -1) {
		return cfg_bad(p, k->name, s, "must be an octal mode from 0 to "
		    "0777 (e.g. 0660)");
	}
	return 0;
}

static int
cfg_con_unix_owner(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	if (cfg_value_uid(s, &p->con->unix_owner) == -1) {
		return cfg_bad(p, k->name, s, "no such user");
	}
	return 0;
}

static int
cfg_con_unix_group(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	if (cfg_value_gid(s, &p->con->unix_group) == -1) {
		return cfg_bad(p, k->name, s, "no such group");
	}
	return 0;
}

/* rw, ro: users and @groups, by name or number. */
static int
cfg_con_acl(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	char		 word[CFG_LINE_MAX + 1];
	struct cfg_acl	*acl;
	const char	*in = s;

	acl = strcmp(k->name, "rw") == 0 ? &p->con->rw : &p->con->ro;
	while (cfg_value_word(&in, word, sizeof word)) {
		if (word[0] == '@') {
			if (acl->ngids == CFG_ACL_MAX) {
				return cfg_bad(p, k->name, word, "more than %d "
				    "groups", CFG_ACL_MAX);
			}
			if (word[1] == '\0') {
				return cfg_bad(p, k->name, word, "give a group "
				    "after @");
			}
			if (cfg_value_gid(word + 1, &acl->gids[acl->ngids]) == -1) {
				return cfg_bad(p, k->name, word, "no such "
				    "group");
			}
			acl->ngids++;
		} else {
			if (acl->nuids == CFG_ACL_MAX) {
				return cfg_bad(p, k->name, word, "more than %d "
				    "users", CFG_ACL_MAX);
			}
			if (cfg_value_uid(word, &acl->uids[acl->nuids]) == -1) {
				return cfg_bad(p, k->name, word, "no such user "
				    "(groups are written @group)");
			}
			acl->nuids++;
		}
	}
	if (acl->nuids == 0 && acl->ngids == 0) {
		return cfg_bad(p, k->name, s, "give users and @groups");
	}
	acl->set = 1;
	return 0;
}

static int
cfg_con_writers(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	static const char *const names[] = { "all", "one", NULL };

	if (cfg_value_enum(s, names, &p->con->writers_one) == -1) {
		return cfg_bad(p, k->name, s, "must be all or one");
	}
	return 0;
}

static int
cfg_con_replay(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	if (config_size(s, &p->con->replay) == -1 ||
	    p->con->replay > CFG_REPLAY_MAX) {
		return cfg_bad(p, k->name, s, "must be a size from 0 to 64m "
		    "(e.g. 0, 64k, 1m)");
	}
	return 0;
}

static int
cfg_con_backlog(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	if (config_size(s, &p->con->backlog) == -1 ||
	    p->con->backlog < CFG_BACKLOG_MIN ||
	    p->con->backlog > CFG_BACKLOG_MAX) {
		return cfg_bad(p, k->name, s, "must be a size from 4k to 1g "
		    "(e.g. 256k, 1m)");
	}
	return 0;
}

static int
cfg_con_slow(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	static const char *const names[] = { "drop", "disconnect", NULL };

	if (cfg_value_enum(s, names, &p->con->slow_disconnect) == -1) {
		return cfg_bad(p, k->name, s, "must be drop or disconnect");
	}
	return 0;
}

static int
cfg_con_notices(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	return cfg_bool(p, k, s, &p->con->notices);
}

static int
cfg_con_log(struct cfg_parser *p, const struct cfg_key *k, const char *s)
{
	if (cfg_path(p, k->name, s, 0, &p->con->log) == -1) {
		return -1;
	}
	return cfg_claim(p, k->name, s, NULL, 0, p->con->log, 0);
}

static int
cfg_con_log_timestamps(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	return cfg_bool(p, k, s, &p->con->log_timestamps);
}

/* Login keys. */

static int
cfg_login_listen(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	return cfg_listeners(p, k->name, s, CFG_LISTEN_TELNET, 0,
	    p->login->listen, &p->login->nlisten);
}

static int
cfg_login_program(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	return cfg_path(p, k->name, s, 0, &p->login->program);
}

static int
cfg_login_issue(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	return cfg_path(p, k->name, s, 0, &p->login->issue);
}

/* Variable names as the environment has them: [A-Z_][A-Z0-9_]*. */
static int
cfg_login_accept_env(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	char		 word[CFG_LINE_MAX + 1];
	const char	*in = s;
	size_t		 n = 0, len;

	while (cfg_value_word(&in, word, sizeof word)) {
		len = strlen(word);
		if (len > 64 || strspn(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
		    "0123456789") != len || (word[0] >= '0' &&
		    word[0] <= '9')) {
			return cfg_bad(p, k->name, word, "a name is upper-case "
			    "letters, digits and _, at most 64, not starting "
			    "with a digit");
		}
		if (n == CFG_ACL_MAX) {
			return cfg_bad(p, k->name, word, "more than %d names",
			    CFG_ACL_MAX);
		}
		if ((p->login->accept_env[n] = cfg_strdup(p, word)) == NULL) {
			return -1;
		}
		n++;
	}
	if (n == 0) {
		return cfg_bad(p, k->name, s, "give variable names");
	}
	p->login->accept_env[n] = NULL;
	return 0;
}

static int
cfg_login_close_on_exit(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	return cfg_bool(p, k, s, &p->login->close_on_exit);
}

/* [ttyhubd] keys. */

static int
cfg_daemon_broker(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	if (strcmp(s, "none") == 0) {
		return 0;
	}
	return cfg_listeners(p, k->name, s, CFG_LISTEN_TELNET, 1,
	    p->cfg->broker, &p->cfg->nbroker);
}

static int
cfg_daemon_broker_unix(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	if (strcmp(s, "none") == 0) {
		p->cfg->broker_unix_off = 1;
		return 0;
	}
	if (cfg_path(p, k->name, s, 1, &p->cfg->broker_unix) == -1) {
		return -1;
	}
	return cfg_claim(p, k->name, s, NULL, 0, p->cfg->broker_unix, 0);
}

static int
cfg_daemon_broker_unix_mode(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	if (cfg_value_mode(s, &p->cfg->broker_unix_mode) == -1) {
		return cfg_bad(p, k->name, s, "must be an octal mode from 0 to "
		    "0777 (e.g. 0660)");
	}
	return 0;
}

static int
cfg_daemon_broker_unix_group(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	if (cfg_value_gid(s, &p->cfg->broker_unix_group) == -1) {
		return cfg_bad(p, k->name, s, "no such group");
	}
	return 0;
}

static int
cfg_daemon_max_clients(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	if (cfg_value_uint(s, 1, 65536, &p->cfg->max_clients) == -1) {
		return cfg_bad(p, k->name, s, "must be a number from 1 to "
		    "65536");
	}
	return 0;
}

static int
cfg_daemon_max_per_source(struct cfg_parser *p, const struct cfg_key *k,
    const char *s)
{
	if (cfg_value_uint(s, 1, 65536, &p->cfg->max_per_source) == -1) {
		return cfg_bad(p, k->name, s, "must be a number from 1 to "
		    "65536");
	}
	return 0;
}

/* Every key, by section; doc/ttyhub.conf.5 describes each. */
static const struct cfg_key cfg_keys[] = {
	{ "type", CFG_SECT_CONSOLE, CFG_T_ALL, CFG_T_ALL, NULL,
	    cfg_con_type, NULL },

	{ "device", CFG_SECT_CONSOLE, CFG_T_SERIAL, CFG_T_SERIAL, NULL,
	    cfg_con_device, NULL },
	{ "baud", CFG_SECT_CONSOLE, CFG_T_SERIAL, 0, NULL,
	    cfg_con_baud, NULL },
	{ "data-bits", CFG_SECT_CONSOLE, CFG_T_SERIAL, 0, NULL,
	    cfg_con_data_bits, NULL },
	{ "parity", CFG_SECT_CONSOLE, CFG_T_SERIAL, 0, NULL,
	    cfg_con_parity, NULL },
	{ "stop-bits", CFG_SECT_CONSOLE, CFG_T_SERIAL, 0, NULL,
	    cfg_con_stop_bits, NULL },
	{ "flow", CFG_SECT_CONSOLE, CFG_T_SERIAL, 0, NULL,
	    cfg_con_flow, NULL },

	{ "path", CFG_SECT_CONSOLE, CFG_T_UNIX | CFG_T_VHOST,
	    CFG_T_UNIX | CFG_T_VHOST, NULL,
	    cfg_con_path, NULL },
	{ "address", CFG_SECT_CONSOLE, CFG_T_TCP, CFG_T_TCP, NULL,
	    cfg_con_address, NULL },
	{ "telnet", CFG_SECT_CONSOLE, CFG_T_UNIX | CFG_T_TCP, 0, cfg_value_is_bool,
	    cfg_con_telnet, "as yes or no; telnet = ADDRESS adds a Telnet "
	    "listener" },

	{ "command", CFG_SECT_CONSOLE, CFG_T_EXEC, CFG_T_EXEC, NULL,
	    cfg_con_command, NULL },
	{ "directory", CFG_SECT_CONSOLE, CFG_T_EXEC, 0, NULL,
	    cfg_con_directory, NULL },
	{ "restart", CFG_SECT_CONSOLE, CFG_T_EXEC, 0, NULL,
	    cfg_con_restart, NULL },
	{ "restart-delay", CFG_SECT_CONSOLE, CFG_T_EXEC, 0, NULL,
	    cfg_con_restart_delay, NULL },
	{ "user", CFG_SECT_CONSOLE, CFG_T_EXEC, 0, NULL,
	    cfg_con_user, NULL },
	{ "group", CFG_SECT_CONSOLE, CFG_T_EXEC, 0, NULL,
	    cfg_con_group, NULL },
	{ "size", CFG_SECT_CONSOLE, CFG_T_EXEC | CFG_T_PTY | CFG_T_VHOST, 0,
	    NULL,
	    cfg_con_size, NULL },

	{ "link", CFG_SECT_CONSOLE, CFG_T_PTY, CFG_T_PTY, NULL,
	    cfg_con_link, NULL },

	{ "telnet", CFG_SECT_CONSOLE, CFG_T_ALL, 0, NULL,
	    cfg_con_listen, NULL },
	{ "raw", CFG_SECT_CONSOLE, CFG_T_ALL, 0, NULL,
	    cfg_con_listen, NULL },
	{ "unix", CFG_SECT_CONSOLE, CFG_T_ALL, 0, NULL,
	    cfg_con_listen, NULL },
	{ "unix-mode", CFG_SECT_CONSOLE, CFG_T_ALL, 0, NULL,
	    cfg_con_unix_mode, NULL },
	{ "unix-owner", CFG_SECT_CONSOLE, CFG_T_ALL, 0, NULL,
	    cfg_con_unix_owner, NULL },
	{ "unix-group", CFG_SECT_CONSOLE, CFG_T_ALL, 0, NULL,
	    cfg_con_unix_group, NULL },
	{ "rw", CFG_SECT_CONSOLE, CFG_T_ALL, 0, NULL,
	    cfg_con_acl, NULL },
	{ "ro", CFG_SECT_CONSOLE, CFG_T_ALL, 0, NULL,
	    cfg_con_acl, NULL },
	{ "writers", CFG_SECT_CONSOLE, CFG_T_ALL, 0, NULL,
	    cfg_con_writers, NULL },
	{ "replay", CFG_SECT_CONSOLE, CFG_T_ALL, 0, NULL,
	    cfg_con_replay, NULL },
	{ "backlog", CFG_SECT_CONSOLE, CFG_T_ALL, 0, NULL,
	    cfg_con_backlog, NULL },
	{ "slow", CFG_SECT_CONSOLE, CFG_T_ALL, 0, NULL,
	    cfg_con_slow, NULL },
	{ "notices", CFG_SECT_CONSOLE, CFG_T_ALL, 0, NULL,
	    cfg_con_notices, NULL },
	{ "log", CFG_SECT_CONSOLE, CFG_T_ALL, 0, NULL,
	    cfg_con_log, NULL },
	{ "log-timestamps", CFG_SECT_CONSOLE, CFG_T_ALL, 0, NULL,
	    cfg_con_log_timestamps, NULL },

	{ "listen", CFG_SECT_LOGIN, 0, 1, NULL,
	    cfg_login_listen, NULL },
	{ "program", CFG_SECT_LOGIN, 0, 0, NULL,
	    cfg_login_program, NULL },
	{ "issue", CFG_SECT_LOGIN, 0, 0, NULL,
	    cfg_login_issue, NULL },
	{ "accept-env", CFG_SECT_LOGIN, 0, 0, NULL,
	    cfg_login_accept_env, NULL },
	{ "close-on-exit", CFG_SECT_LOGIN, 0, 0, NULL,
	    cfg_login_close_on_exit, NULL },

	{ "broker", CFG_SECT_DAEMON, 0, 0, NULL,
	    cfg_daemon_broker, NULL },
	{ "broker-unix", CFG_SECT_DAEMON, 0, 0, NULL,
	    cfg_daemon_broker_unix, NULL },
	{ "broker-unix-mode", CFG_SECT_DAEMON, 0, 0, NULL,
	    cfg_daemon_broker_unix_mode, NULL },
	{ "broker-unix-group", CFG_SECT_DAEMON, 0, 0, NULL,
	    cfg_daemon_broker_unix_group, NULL },
	{ "max-clients", CFG_SECT_DAEMON, 0, 0, NULL,
	    cfg_daemon_max_clients, NULL },
	{ "max-clients-per-source", CFG_SECT_DAEMON, 0, 0, NULL,
	    cfg_daemon_max_per_source, NULL },
};
#define CFG_NKEYS	(sizeof cfg_keys / sizeof cfg_keys[0])
_Static_assert(CFG_NKEYS <= CFG_KEYS_MAX, "cfg_keys outgrew CFG_KEYS_MAX");

/* Digests. */

#define CFG_FNV_BASIS	0xcbf29ce484222325ULL
#define CFG_FNV_PRIME	0x100000001b3ULL

static void
cfg_hash(uint64_t *h, const void *buf, size_t len)
{
	const unsigned char	*b = buf;
	size_t			 i;

	for (i = 0; i < len; i++) {
		*h ^= b[i];
		*h *= CFG_FNV_PRIME;
	}
}

/* "key=value\n"; the value formatted, so it is one normalised form. */
static void __attribute__((format(printf, 3, 4)))
cfg_hashf(uint64_t *h, const char *key, const char *fmt, ...)
{
	char	buf[256];
	va_list	ap;
	int	n;

	cfg_hash(h, key, strlen(key));
	cfg_hash(h, "=", 1);
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0) {
		cfg_hash(h, buf, (size_t)n < sizeof buf ? (size_t)n :
		    sizeof buf - 1);
	}
	cfg_hash(h, "\n", 1);
}

/* A string value; NULL (not given) differs from every string. */
static void
cfg_hashs(uint64_t *h, const char *key, const char *s)
{
	cfg_hash(h, key, strlen(key));
	if (s == NULL) {
		cfg_hash(h, "!\n", 2);
		return;
	}
	cfg_hash(h, "=", 1);
	cfg_hash(h, s, strlen(s) + 1);
	cfg_hash(h, "\n", 1);
}

static void
cfg_hash_listen(uint64_t *h, const char *key, const struct cfg_listen *l,
    size_t n)
{
	size_t	i;

	cfg_hashf(h, key, "%zu", n);
	for (i = 0; i < n; i++) {
		cfg_hashf(h, key, "%d %u %o %ld %ld %d %d %d", (int)l[i].kind,
		    l[i].port, (unsigned)l[i].mode, (long)l[i].owner,
		    (long)l[i].group, l[i].telnet, l[i].ro, l[i].noreplay);
		cfg_hashs(h, "host", l[i].host);
		cfg_hashs(h, "path", l[i].path);
	}
}

static void
cfg_hash_acl(uint64_t *h, const char *key, const struct cfg_acl *a)
{
	size_t	i;

	cfg_hashf(h, key, "%d %zu %zu", a->set, a->nuids, a->ngids);
	for (i = 0; i < a->nuids; i++) {
		cfg_hashf(h, key, "u%lu", (unsigned long)a->uids[i]);
	}
	for (i = 0; i < a->ngids; i++) {
		cfg_hashf(h, key, "g%lu", (unsigned long)a->gids[i]);
	}
}

/*
 * Every setting in its parsed form, key by key in a fixed order: moving
 * lines or respelling a value ("64k", "65536") changes nothing, while
 * any change of meaning, a user's uid included, changes the digest.
 */
static uint64_t
cfg_console_digest(const struct cfg_console *c)
{
	uint64_t	h = CFG_FNV_BASIS;
	size_t		i;

	cfg_hashs(&h, "address", c->host);
	cfg_hashf(&h, "address-port", "%u", c->port);
	cfg_hash_listen(&h, "listen", c->listen, c->nlisten);
	cfg_hashf(&h, "backlog", "%zu", c->backlog);
	cfg_hashf(&h, "baud", "%u", c->baud);
	for (i = 0; c->argv[i] != NULL; i++) {
		cfg_hashs(&h, "command", c->argv[i]);
	}
	cfg_hashf(&h, "data-bits", "%u", c->data_bits);
	cfg_hashs(&h, "device", c->device);
	cfg_hashs(&h, "directory", c->dir);
	cfg_hashf(&h, "flow", "%d", (int)c->flow);
	/* The user's groups and home too: what the program runs with. */
	cfg_hashf(&h, "group", "%ld", (long)c->gid);
	for (i = 0; i < c->ngroups; i++) {
		cfg_hashf(&h, "groups", "%ld", (long)c->groups[i]);
	}
	cfg_hashs(&h, "home", c->home);
	cfg_hashs(&h, "link", c->link);
	cfg_hashs(&h, "log", c->log);
	cfg_hashf(&h, "log-timestamps", "%d", c->log_timestamps);
	cfg_hashf(&h, "notices", "%d", c->notices);
	cfg_hashf(&h, "parity", "%d", (int)c->parity);
	cfg_hashs(&h, "path", c->path);
	cfg_hashf(&h, "replay", "%zu", c->replay);
	cfg_hashf(&h, "restart", "%d", c->restart);
	cfg_hashf(&h, "restart-delay", "%u", c->restart_ms);
	cfg_hash_acl(&h, "ro", &c->ro);
	cfg_hash_acl(&h, "rw", &c->rw);
	cfg_hashf(&h, "size", "%ux%u", c->cols, c->rows);
	cfg_hashf(&h, "slow", "%d", c->slow_disconnect);
	cfg_hashf(&h, "stop-bits", "%u", c->stop_bits);
	cfg_hashf(&h, "telnet", "%d", c->telnet);
	cfg_hashf(&h, "type", "%d", (int)c->type);
	cfg_hashf(&h, "unix-group", "%ld", (long)c->unix_group);
	cfg_hashf(&h, "unix-mode", "%o", (unsigned)c->unix_mode);
	cfg_hashf(&h, "unix-owner", "%ld", (long)c->unix_owner);
	cfg_hashf(&h, "user", "%ld", (long)c->uid);
	cfg_hashf(&h, "writers", "%d", c->writers_one);
	return h;
}

static uint64_t
cfg_login_digest(const struct cfg_login *l)
{
	uint64_t	h = CFG_FNV_BASIS;
	size_t		i;

	for (i = 0; l->accept_env[i] != NULL; i++) {
		cfg_hashs(&h, "accept-env", l->accept_env[i]);
	}
	cfg_hashf(&h, "close-on-exit", "%d", l->close_on_exit);
	cfg_hashs(&h, "issue", l->issue);
	cfg_hash_listen(&h, "listen", l->listen, l->nlisten);
	cfg_hashs(&h, "program", l->program);
	return h;
}

/* Sections. */

/* The line where the section gave key name, or 0. */
static unsigned
cfg_key_given(const struct cfg_parser *p, const char *name)
{
	size_t	i;

	for (i = 0; i < CFG_NKEYS; i++) {
		if (p->keyline[i] != 0 && strcmp(cfg_keys[i].name, name) == 0) {
			return p->keyline[i];
		}
	}
	return 0;
}

/* "serial", "unix or tcp", "exec or pty". */
static void
cfg_type_list(unsigned types, char *buf, size_t len)
{
	size_t	i, n = 0, left;
	int	first = 1;

	buf[0] = '\0';
	for (i = 0; i < CFG_NTYPES; i++) {
		if ((types & CFG_T(i)) == 0) {
			continue;
		}
		left = types & ~(CFG_T(i + 1) - 1);
		n = strlen(buf);
		snprintf(buf + n, len - n, "%s%s", first ? "" :
		    left == 0 ? " or " : ", ", cfg_types[i]);
		first = 0;
	}
}

/*
 * user = and group =: a daemon that is not root can run a program only
 * as itself, and a user the password database does not know needs its
 * group named.
 */
static int
cfg_con_run_as_check(struct cfg_parser *p, const struct cfg_console *c)
{
	unsigned	lu = cfg_key_given(p, "user");
	unsigned	lg = cfg_key_given(p, "group");

	if (geteuid() != 0 && ((lu != 0 && c->uid != geteuid()) ||
	    (lg != 0 && c->gid != getegid()))) {
		return cfg_fail(p, lu != 0 ? lu : lg, "user and group other "
		    "than ttyhubd's own need ttyhubd to run as root");
	}
	if (lu != 0 && c->ngroups == 0) {
		return cfg_fail(p, lu, "user %ld has no entry in the password "
		    "database: give its group with group =", (long)c->uid);
	}
	return 0;
}

static int
cfg_console_end(struct cfg_parser *p)
{
	struct cfg_console	*c = p->con;
	const struct cfg_key	*k, *worst = NULL;
	char			 types[64];
	unsigned		 bit, line = 0, l;
	size_t			 i;
	int			 unix_listeners = 0;

	if (cfg_key_given(p, "type") == 0) {
		return cfg_fail(p, p->sect_line, "missing key \"type\" "
		    "(serial, unix, tcp, exec, pty or vhost-user)");
	}
	bit = CFG_T(c->type);

	/* The first key that does not apply to this type. */
	for (i = 0; i < CFG_NKEYS; i++) {
		k = &cfg_keys[i];
		if (k->sect == CFG_SECT_CONSOLE && p->keyline[i] != 0 &&
		    (k->types & bit) == 0 && (line == 0 ||
		    p->keyline[i] < line)) {
			line = p->keyline[i];
			worst = k;
		}
	}
	if (worst != NULL) {
		cfg_type_list(worst->types, types, sizeof types);
		return cfg_fail(p, line, "key \"%s\" is only for type = "
		    "%s%s%s%s", worst->name, types,
		    worst->hint != NULL ? " (" : "",
		    worst->hint != NULL ? worst->hint : "",
		    worst->hint != NULL ? ")" : "");
	}
	for (i = 0; i < CFG_NKEYS; i++) {
		k = &cfg_keys[i];
		if (k->sect == CFG_SECT_CONSOLE && (k->required & bit) != 0 &&
		    p->keyline[i] == 0) {
			return cfg_fail(p, p->sect_line, "missing key \"%s\" "
			    "(needed for type = %s)", k->name,
			    cfg_types[c->type]);
		}
	}

	if (cfg_con_run_as_check(p, c) == -1) {
		return -1;
	}

	/* unix-mode, -owner and -group go to every unix listener. */
	for (i = 0; i < c->nlisten; i++) {
		if (c->listen[i].kind == CFG_LISTEN_UNIX) {
			c->listen[i].mode = c->unix_mode;
			c->listen[i].owner = c->unix_owner;
			c->listen[i].group = c->unix_group;
			unix_listeners = 1;
		}
	}
	if (!unix_listeners) {
		if ((l = cfg_key_given(p, "unix-mode")) != 0 ||
		    (l = cfg_key_given(p, "unix-owner")) != 0 ||
		    (l = cfg_key_given(p, "unix-group")) != 0) {
			return cfg_fail(p, l, "unix-mode, unix-owner and "
			    "unix-group need a unix listener (unix = PATH)");
		}
	}

	c->digest = cfg_console_digest(c);
	return 0;
}

static int
cfg_login_end(struct cfg_parser *p)
{
	struct cfg_login	*l = p->login;

	if (cfg_key_given(p, "listen") == 0) {
		return cfg_fail(p, p->sect_line, "missing key \"listen\" "
		    "(the addresses to serve logins on)");
	}
	l->digest = cfg_login_digest(l);
	return 0;
}

static int
cfg_daemon_end(struct cfg_parser *p)
{
	unsigned	l;

	if (p->cfg->broker_unix_off &&
	    (l = cfg_key_given(p, "broker-unix-mode")) != 0) {
		return cfg_fail(p, l, "broker-unix-mode is of no use with "
		    "broker-unix = none");
	}
	if (p->cfg->broker_unix_off &&
	    (l = cfg_key_given(p, "broker-unix-group")) != 0) {
		return cfg_fail(p, l, "broker-unix-group is of no use with "
		    "broker-unix = none");
	}
	return 0;
}

static int
cfg_section_end(struct cfg_parser *p)
{
	int	r = 0;

	switch (p->sect) {
	case CFG_SECT_CONSOLE:
		r = cfg_console_end(p);
		break;
	case CFG_SECT_LOGIN:
		r = cfg_login_end(p);
		break;
	case CFG_SECT_DAEMON:
		r = cfg_daemon_end(p);
		break;
	default:
		break;
	}
	p->sect = CFG_SECT_NONE;
	p->con = NULL;
	p->login = NULL;
	memset(p->keyline, 0, sizeof p->keyline);
	return r;
}

/* [A-Za-z0-9._-]{1,64}, not starting with '.' or '-'. */
static int
cfg_name_valid(const char *s)
{
	size_t	n = strlen(s);

	if (n == 0 || n > CFG_NAME_MAX || s[0] == '.' || s[0] == '-') {
		return 0;
	}
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == n;
}

static int
cfg_new_console(struct cfg_parser *p, const char *name)
{
	struct config		*cfg = p->cfg;
	struct cfg_console	*c, *n;
	size_t			 i, cap;

	for (i = 0; i < cfg->nconsoles; i++) {
		if (strcmp(cfg->consoles[i].name, name) == 0) {
			return cfg_fail_line(p, p->line, "duplicate console "
			    "\"%s\" (first defined at line %u)", name,
			    cfg->consoles[i].line);
		}
	}
	if (cfg->nconsoles == CFG_CONSOLES_MAX) {
		return cfg_fail_line(p, p->line, "more than %d consoles",
		    CFG_CONSOLES_MAX);
	}
	if (cfg->nconsoles == p->cons_cap) {
		cap = p->cons_cap != 0 ? p->cons_cap * 2 : 8;
		if ((n = reallocarray(cfg->consoles, cap, sizeof *n)) == NULL) {
			return cfg_fail_line(p, p->line, "out of memory");
		}
		cfg->consoles = n;
		p->cons_cap = cap;
	}
	c = &cfg->consoles[cfg->nconsoles++];
	memset(c, 0, sizeof *c);
	if ((c->file = strdup(p->name)) == NULL ||
	    (c->dir = strdup("/")) == NULL) {
		return cfg_fail_line(p, p->line, "out of memory");
	}
	memcpy(c->name, name, strlen(name) + 1);
	c->line = p->line;
	c->baud = 115200;
	c->data_bits = 8;
	c->stop_bits = 1;
	c->restart = 1;
	c->restart_ms = 1000;
	c->cols = 80;
	c->rows = 24;
	c->unix_mode = 0600;
	c->unix_owner = (uid_t)-1;
	c->unix_group = (gid_t)-1;
	c->uid = (uid_t)-1;
	c->gid = (gid_t)-1;
	c->replay = 64 * 1024;
	c->backlog = 1024 * 1024;
	c->notices = 1;

	p->sect = CFG_SECT_CONSOLE;
	p->index = cfg->nconsoles - 1;
	p->con = c;
	return 0;
}

static int
cfg_new_login(struct cfg_parser *p, const char *name)
{
	struct config		*cfg = p->cfg;
	struct cfg_login	*l, *n;
	size_t			 i, cap;

	for (i = 0; i < cfg->nlogins; i++) {
		if (strcmp(cfg->logins[i].name, name) == 0) {
			return cfg_fail_line(p, p->line, "duplicate login "
			    "\"%s\" (first defined at line %u)", name,
			    cfg->logins[i].line);
		}
	}
	if (cfg->nlogins == CFG_CONSOLES_MAX) {
		return cfg_fail_line(p, p->line, "more than %d logins",
		    CFG_CONSOLES_MAX);
	}
	if (cfg->nlogins == p->logins_cap) {
		cap = p->logins_cap != 0 ? p->logins_cap * 2 : 4;
		if ((n = reallocarray(cfg->logins, cap, sizeof *n)) == NULL) {
			return cfg_fail_line(p, p->line, "out of memory");
		}
		cfg->logins = n;
		p->logins_cap = cap;
	}
	l = &cfg->logins[cfg->nlogins++];
	memset(l, 0, sizeof *l);
	if ((l->program = strdup("/bin/login")) == NULL ||
	    (l->issue = strdup("/etc/issue.net")) == NULL) {
		return cfg_fail_line(p, p->line, "out of memory");
	}
	memcpy(l->name, name, strlen(name) + 1);
	l->line = p->line;

	p->sect = CFG_SECT_LOGIN;
	p->index = cfg->nlogins - 1;
	p->login = l;
	return 0;
}

/*
 * A section header, "[ttyhubd]", "[console NAME]" or "[login NAME]",
 * from s (after leading blanks) to close (its ']').
 */
static int
cfg_header(struct cfg_parser *p, const char *s, const char *close)
{
	char		 in[CFG_LINE_MAX + 1], text[CFG_LINE_MAX + 1];
	char		 q[CFG_QUOTE_MAX + 4];
	char		*kind, *name, *e;
	const char	*after;
	size_t		 n;

	/* The section before is complete: its problems come first. */
	if (cfg_section_end(p) == -1) {
		return -1;
	}
	for (after = close + 1; cfg_value_space(*after); after++) {
		/* nothing */
	}
	if (*after != '\0') {
		return cfg_fail_line(p, p->line, "text after the section "
		    "header's ] (comments go on lines of their own)");
	}
	n = (size_t)(close - s - 1);
	memcpy(in, s + 1, n);
	in[n] = '\0';
	memcpy(text, in, n + 1);	/* for a message: in is cut up below */
	for (kind = in; cfg_value_space(*kind); kind++) {
		/* nothing */
	}
	for (e = kind; *e != '\0' && !cfg_value_space(*e); e++) {
		/* nothing */
	}
	name = e;
	while (cfg_value_space(*name)) {
		name++;
	}
	*e = '\0';
	for (e = name + strlen(name); e > name && cfg_value_space(e[-1]); e--) {
		/* nothing */
	}
	*e = '\0';

	if (strcmp(kind, "ttyhubd") == 0) {
		if (*name != '\0') {
			return cfg_fail_line(p, p->line, "[ttyhubd] takes no "
			    "name");
		}
		if (p->daemon_line != 0) {
			return cfg_fail_line(p, p->line, "duplicate [ttyhubd] "
			    "(first at line %u)", p->daemon_line);
		}
		p->daemon_line = p->line;
		p->sect = CFG_SECT_DAEMON;
		p->sect_line = p->line;
		return 0;
	}
	if (strcmp(kind, "console") != 0 && strcmp(kind, "login") != 0) {
		return cfg_fail_line(p, p->line, "unknown section [%s] "
		    "(expected [ttyhubd], [console NAME] or [login NAME])",
		    cfg_quote(text, q, sizeof q));
	}
	if (*name == '\0') {
		return cfg_fail_line(p, p->line, "[%s] needs a name: [%s NAME]",
		    kind, kind);
	}
	if (!cfg_name_valid(name)) {
		return cfg_fail_line(p, p->line, "%s name \"%s\": use 1 to %d "
		    "letters, digits, '.', '_' or '-', not starting with '.' "
		    "or '-'", kind, cfg_quote(name, q, sizeof q),
		    CFG_NAME_MAX);
	}
	p->sect_line = p->line;
	if (strcmp(kind, "console") == 0) {
		return cfg_new_console(p, name);
	}
	return cfg_new_login(p, name);
}

/*
 * inih's reader: the next line into str (num bytes).  Lines are checked
 * here, and section headers read, before inih sees them; returning NULL
 * ends the parse, at the end of the text or after a failure.
 */
static char *
cfg_reader(char *str, int num, void *arg)
{
	struct cfg_parser	*p = arg;
	const char		*line, *nl, *s, *close, *eq, *colon;
	size_t			 len, i;
	unsigned char		 c;

	if (p->failed || p->pos >= p->len) {
		return NULL;
	}
	line = p->text + p->pos;
	nl = memchr(line, '\n', p->len - p->pos);
	len = nl != NULL ? (size_t)(nl - line) : p->len - p->pos;
	p->pos += len + (nl != NULL);
	p->line++;

	if (len > 0 && line[len - 1] == '\r') {
		len--;
	}
	if (p->line == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;	/* a UTF-8 byte order mark */
		len -= 3;
	}
	if (len > CFG_LINE_MAX) {
		cfg_fail_line(p, p->line, "line too long (more than %d bytes)",
		    CFG_LINE_MAX);
		return NULL;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			cfg_fail_line(p, p->line, "control character 0x%02x "
			    "(only tabs and printable text are allowed)", c);
			return NULL;
		}
	}
	if (num < 0 || len + 2 > (size_t)num) {
		cfg_fail_line(p, p->line, "line too long for inih");
		return NULL;
	}
	/*
	 * Without its leading blanks, so that no inih, whatever its build
	 * options, takes an indented line as the continuation of a value.
	 */
	while (len > 0 && cfg_value_space(*line)) {
		line++;
		len--;
	}
	memcpy(str, line, len);
	str[len] = '\n';
	str[len + 1] = '\0';

	s = str;
	if (*s == '[' && (close = strchr(s, ']')) != NULL) {
		str[len] = '\0';
		if (cfg_header(p, s, close) == -1) {
			return NULL;
		}
		str[len] = '\n';
	} else if (*s != '\n' && *s != ';' && *s != '#') {
		/* inih also takes "key: value"; we want one form only. */
		eq = strchr(s, '=');
		colon = strchr(s, ':');
		if (colon != NULL && (eq == NULL || colon < eq)) {
			cfg_fail_line(p, p->line, "syntax error (expected "
			    "[section] or key = value)");
			return NULL;
		}
	}
	return str;
}

/* Levenshtein distance of a and b, both shorter than 40 bytes. */
static unsigned
cfg_distance(const char *a, size_t la, const char *b, size_t lb)
{
	unsigned	d[2][40], x, cost;
	size_t		i, j;

	for (j = 0; j <= lb; j++) {
		d[0][j] = (unsigned)j;
	}
	for (i = 1; i <= la; i++) {
		d[i & 1][0] = (unsigned)i;
		for (j = 1; j <= lb; j++) {
			cost = a[i - 1] != b[j - 1];
			x = d[(i - 1) & 1][j - 1] + cost;
			if (d[(i - 1) & 1][j] + 1 < x) {
				x = d[(i - 1) & 1][j] + 1;
			}
			if (d[i & 1][j - 1] + 1 < x) {
				x = d[i & 1][j - 1] + 1;
			}
			d[i & 1][j] = x;
		}
	}
	return d[la & 1][lb];
}

/*
 * The key of sect that name was most likely meant to be: at most two
 * edits away (one for names of up to four bytes), or one of the two
 * starts the other ("baudrate", "baud").  NULL if none is that close.
 */
static const char *
cfg_suggest(enum cfg_sect sect, const char *name)
{
	const char	*found = NULL, *k;
	unsigned	 best = UINT_MAX, cost, limit;
	size_t		 i, la, lb;
	int		 prefix;

	la = strlen(name);
	if (la == 0 || la >= 40) {
		return NULL;
	}
	for (i = 0; i < CFG_NKEYS; i++) {
		if (cfg_keys[i].sect != sect) {
			continue;
		}
		k = cfg_keys[i].name;
		lb = strlen(k);
		if (lb >= 40) {
			continue;
		}
		prefix = (la >= 3 && strncmp(k, name, la) == 0) ||
		    (lb >= 3 && strncmp(k, name, lb) == 0);
		cost = cfg_distance(name, la, k, lb);
		limit = la <= 4 ? 1 : 2;
		if (prefix && cost > limit) {
			cost = limit;
		}
		if (cost <= limit && cost < best) {
			best = cost;
			found = k;
		}
	}
	return found;
}

static int
cfg_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct cfg_parser	*p = arg;
	const struct cfg_key	*k = NULL;
	const char		*hint;
	char			 q[CFG_QUOTE_MAX + 4];
	size_t			 i;

	(void)section;		/* cut at 49 bytes: cfg_header keeps ours */
	if (p->failed) {
		return 0;
	}
	if (*name == '\0') {
		cfg_fail_line(p, p->line, "syntax error (expected [section] "
		    "or key = value)");
		return 0;
	}
	if (p->sect == CFG_SECT_NONE) {
		cfg_fail_line(p, p->line, "key \"%s\" before any section "
		    "(start with [ttyhubd], [console NAME] or [login NAME])",
		    cfg_quote(name, q, sizeof q));
		return 0;
	}
	for (i = 0; i < CFG_NKEYS; i++) {
		if (cfg_keys[i].sect != p->sect ||
		    strcmp(cfg_keys[i].name, name) != 0) {
			continue;
		}
		if (cfg_keys[i].match == NULL || cfg_keys[i].match(value)) {
			k = &cfg_keys[i];
			break;
		}
	}
	if (k == NULL) {
		hint = cfg_suggest(p->sect, name);
		cfg_fail(p, p->line, "unknown key \"%s\"%s%s%s",
		    cfg_quote(name, q, sizeof q),
		    hint != NULL ? " (did you mean \"" : "",
		    hint != NULL ? hint : "", hint != NULL ? "\"?)" : "");
		return 0;
	}
	if (p->keyline[i] != 0) {
		cfg_fail(p, p->line, "duplicate key \"%s\" (first at line %u)",
		    name, p->keyline[i]);
		return 0;
	}
	p->keyline[i] = p->line;
	return k->parse(p, k, value) == 0;
}

static int
cfg_parse_text(const char *name, const char *text, size_t len,
    struct config **out, char *err, size_t errlen)
{
	struct cfg_parser	 p;
	int			 r;

	*out = NULL;
	if (err != NULL && errlen > 0) {
		err[0] = '\0';
	}
	memset(&p, 0, sizeof p);
	p.name = name;
	p.text = text;
	p.len = len;
	p.err = err;
	p.errlen = errlen;
	if ((p.cfg = calloc(1, sizeof *p.cfg)) == NULL ||
	    (p.cfg->file = strdup(name)) == NULL) {
		free(p.cfg);
		if (err != NULL && errlen > 0) {
			snprintf(err, errlen, "%s: out of memory", name);
		}
		return -1;
	}
	p.cfg->broker_unix_mode = 0600;	/* the daemon's user only */
	p.cfg->broker_unix_group = (gid_t)-1;
	p.cfg->max_clients = 1024;
	p.cfg->max_per_source = 32;

	/*
	 * Values are exact: no continuation lines, no comments after a
	 * value.  Our reader checks the length, so inih's buffer only has to
	 * hold the longest line we accept.  These are globals of the library
	 * (Debian builds it with INI_RUNTIME_OPTIONS); the daemon has one
	 * thread.
	 */
	ini_allow_multiline = false;
	ini_start_comment_prefixes = (char *)";#";
	ini_allow_inline_comments = false;
	ini_allow_bom = false;
	ini_allow_no_value = false;
	ini_stop_on_first_error = true;
	ini_use_stack = true;
	ini_max_line = CFG_LINE_MAX + 3;

	r = ini_parse_stream(cfg_reader, &p, cfg_handler, &p);
	if (!p.failed && r > 0) {
		cfg_fail_line(&p, (unsigned)r, "syntax error (expected "
		    "[section] or key = value)");
	} else if (!p.failed && r < 0) {
		cfg_fail_line(&p, p.line, "out of memory");
	}
	if (!p.failed) {
		cfg_section_end(&p);
	}
	free(p.claims);
	if (p.failed) {
		config_free(p.cfg);
		return -1;
	}
	*out = p.cfg;
	return 0;
}

int
config_parse(const char *name, const char *text, struct config **out,
    char *err, size_t errlen)
{
	return cfg_parse_text(name, text, strlen(text), out, err, errlen);
}

int
config_load(const char *file, struct config **out, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*buf = NULL, *n;
	size_t		 len = 0, cap = 0;
	ssize_t		 got;
	int		 fd, r, saved;

	*out = NULL;
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		saved = errno;
		if (saved == 0 || S_ISDIR(st.st_mode)) {
			saved = EISDIR;
		}
		close(fd);
		snprintf(err, errlen, "%s: %s", file, strerror(saved));
		return -1;
	}
	/* One byte more than the cap tells a file of exactly the cap. */
	for (;;) {
		if (len == cap) {
			if (cap == CFG_FILE_MAX + 1) {
				break;
			}
			cap = cap != 0 ? cap * 2 : 64 * 1024;
			if (cap > CFG_FILE_MAX + 1) {
				cap = CFG_FILE_MAX + 1;
			}
			if ((n = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				close(fd);
				snprintf(err, errlen, "%s: out of memory",
				    file);
				return -1;
			}
			buf = n;
		}
		got = read(fd, buf + len, cap - len);
		if (got == -1 && errno == EINTR) {
			continue;
		}
		if (got == -1) {
			saved = errno;
			free(buf);
			close(fd);
			snprintf(err, errlen, "%s: %s", file, strerror(saved));
			return -1;
		}
		if (got == 0) {
			break;
		}
		len += (size_t)got;
	}
	if (len > CFG_FILE_MAX) {
		free(buf);
		close(fd);
		snprintf(err, errlen, "%s: larger than %d MiB", file,
		    CFG_FILE_MAX / (1024 * 1024));
		return -1;
	}
	close(fd);
	if (buf == NULL && (buf = malloc(1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		return -1;
	}
	buf[len] = '\0';	/* the reader refuses a NUL inside, by line */
	r = cfg_parse_text(file, buf, len, out, err, errlen);
	free(buf);
	return r;
}

static void
cfg_console_free(struct cfg_console *c)
{
	size_t	i;

	free(c->file);
	free(c->device);
	free(c->path);
	free(c->host);
	for (i = 0; i < CFG_ARGV_MAX && c->argv[i] != NULL; i++) {
		free(c->argv[i]);
	}
	free(c->dir);
	free(c->groups);
	free(c->home);
	free(c->link);
	for (i = 0; i < c->nlisten; i++) {
		config_listen_clear(&c->listen[i]);
	}
	free(c->log);
}

void
config_free(struct config *c)
{
	size_t	i, j;

	if (c == NULL) {
		return;
	}
	free(c->file);
	for (i = 0; i < c->nbroker; i++) {
		config_listen_clear(&c->broker[i]);
	}
	free(c->broker_unix);
	for (i = 0; i < c->nconsoles; i++) {
		cfg_console_free(&c->consoles[i]);
	}
	free(c->consoles);
	for (i = 0; i < c->nlogins; i++) {
		for (j = 0; j < c->logins[i].nlisten; j++) {
			config_listen_clear(&c->logins[i].listen[j]);
		}
		free(c->logins[i].program);
		free(c->logins[i].issue);
		for (j = 0; c->logins[i].accept_env[j] != NULL; j++) {
			free(c->logins[i].accept_env[j]);
		}
	}
	free(c->logins);
	free(c);
}

const struct cfg_console *
config_console(const struct config *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->nconsoles; i++) {
		if (strcmp(c->consoles[i].name, name) == 0) {
			return &c->consoles[i];
		}
	}
	return NULL;
}
