/*
 * config-table: the keys of the configuration file (config-table.h).
 * Each entry says where its key goes, what kind of value it holds, its
 * default as a file would write it, and a line of help; the walks below
 * do the rest for every key alike.  What no kind can say is written here
 * beside the table: a speed termios has, "telnet = 1", the user a
 * program runs as, and broker-unix = none.
 */
#include <sys/types.h>

#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config-kind.h"
#include "config-table.h"
#include "config-value.h"
#include "../net/frame.h"
#include "../telnet/tn.h"

const char *const cfg_table_types[] = {
	"serial", "unix", "tcp", "exec", "pty", "vhost-user", "vhost-port", NULL
};
const char *
config_type_name(enum cfg_backend_kind type)
{
	return (unsigned)type < sizeof cfg_table_types /
	    sizeof cfg_table_types[0] - 1 ? cfg_table_types[type] : "?";
}

static const char *const cfg_table_parities[] = {
	"none", "even", "odd", "mark", "space", NULL
};
static const char *const cfg_table_flows[] = {
	"none", "rtscts", "xonxoff", NULL
};
static const char *const cfg_table_writers[] = { "all", "one", NULL };
static const char *const cfg_table_net_modes[] = { "switch", "hub", NULL };
static const char *const cfg_table_resize[] = { "spec", "legacy", NULL };
static const char *const cfg_table_slow[] = { "drop", "disconnect", NULL };

/* Speeds termios has a Bxxx constant for on Linux, up to 4000000. */
static const unsigned cfg_table_bauds[] = {
	50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600,
	19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600,
	1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000
};
#define CFG_NBAUDS	(sizeof cfg_table_bauds / sizeof cfg_table_bauds[0])

/* Keys with rules of their own. */

/* baud: a number in range (the kind said so), and one termios has. */
static int
cfg_table_baud(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	unsigned	v = *CFG_CFIELD(base, k->off, unsigned);
	size_t		i;

	for (i = 0; i < CFG_NBAUDS; i++) {
		if (cfg_table_bauds[i] == v) {
			return 0;
		}
		if (cfg_table_bauds[i] > v) {
			break;
		}
	}
	return cfg_kind_bad(x, s, "not a speed termios has (the nearest are "
	    "%u and %u)", cfg_table_bauds[i - 1], cfg_table_bauds[i]);
}

/* "telnet = 1" could as well be a listener on port 1. */
static int
cfg_table_telnet(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	(void)k;
	(void)base;
	if (strcmp(s, "1") == 0 || strcmp(s, "0") == 0) {
		return cfg_kind_bad(x, s, "write yes or no for a Telnet "
		    "backend, or HOST:PORT for a listener");
	}
	return 0;
}

/*
 * user = and group =: who an exec console's program runs as, resolved
 * here, when the file is read, so that between fork and exec the child
 * only calls setgroups, setgid and setuid.  Each of the two keys
 * resolves again with what the other has said so far: the group (the
 * user's own unless group = names one), the groups as initgroups would
 * set them, the user's home.  config.c checks the result at the end of
 * the section.
 */
static int
cfg_table_run_as(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	struct cfg_console	*c = base;
	struct passwd		*pw;
	gid_t			*g = NULL;
	char			*home = NULL;
	int			 n = 0, want;

	(void)k;
	(void)s;
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
			return cfg_kind_fail(x, "out of memory");
		}
		c->groups[0] = c->gid;
		c->ngroups = 1;
		return 0;
	}
	if (x->keyline == NULL || cfg_table_given(x->keyline, "group") == 0) {
		c->gid = pw->pw_gid;
	}
	if (pw->pw_dir[0] == '/' && strlen(pw->pw_dir) < PATH_MAX &&
	    (home = strdup(pw->pw_dir)) == NULL) {
		return cfg_kind_fail(x, "out of memory");
	}
	/* Asked until they fit: getgrouplist says how many there are. */
	for (want = 16; want <= 65536; want = n > want ? n : want * 2) {
		free(g);
		if ((g = calloc((size_t)want, sizeof *g)) == NULL) {
			free(home);
			return cfg_kind_fail(x, "out of memory");
		}
		n = want;
		if (getgrouplist(pw->pw_name, c->gid, g, &n) != -1) {
			c->groups = g;
			c->ngroups = (size_t)n;
			c->home = home;
			return 0;
		}
	}
	free(g);
	free(home);
	return cfg_kind_fail(x, "user %s: cannot list its groups",
	    pw->pw_name);
}

/*
 * user = as a kind: a user, and with it what the program runs with (the
 * groups and home cfg_table_run_as found, for group = too), hashed and
 * freed with it.
 */
static int
cfg_table_user_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	if (cfg_kind_user.parse(x, k, base, s) == -1) {
		return -1;
	}
	return cfg_table_run_as(x, k, base, s);
}

static void
cfg_table_user_unset(const struct cfg_key *k, void *base)
{
	cfg_kind_user.unset(k, base);
}

static void
cfg_table_user_digest(uint64_t *h, const struct cfg_key *k,
    const void *base)
{
	const struct cfg_console	*c = base;
	size_t				 i;

	cfg_kind_user.digest(h, k, base);
	for (i = 0; i < c->ngroups; i++) {
		cfg_kind_hashf(h, "groups", "%ld", (long)c->groups[i]);
	}
	cfg_kind_hashs(h, "home", c->home);
}

static void
cfg_table_user_free(const struct cfg_key *k, void *base)
{
	struct cfg_console	*c = base;

	(void)k;
	free(c->groups);
	free(c->home);
	c->groups = NULL;
	c->ngroups = 0;
	c->home = NULL;
}

static const struct cfg_kind cfg_table_user = {
	"user", cfg_table_user_parse, cfg_table_user_unset,
	cfg_table_user_digest, cfg_table_user_free
};
#define CFG_CHECK_cfg_table_user(f)	_Generic((f), uid_t: 1)

/* broker-unix = PATH | none: a socket, or an int at off2 saying none. */
static int
cfg_table_broker_unix_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	if (strcmp(s, "none") == 0) {
		*CFG_FIELD(base, k->off2, int) = 1;
		return 0;
	}
	return cfg_kind_socket.parse(x, k, base, s);
}

static void
cfg_table_broker_unix_digest(uint64_t *h, const struct cfg_key *k,
    const void *base)
{
	cfg_kind_hashf(h, k->name, "%d", *CFG_CFIELD(base, k->off2, int));
	cfg_kind_socket.digest(h, k, base);
}

static void
cfg_table_broker_unix_free(const struct cfg_key *k, void *base)
{
	cfg_kind_socket.free(k, base);
}

static const struct cfg_kind cfg_table_broker_unix = {
	"socket or none", cfg_table_broker_unix_parse, NULL,
	cfg_table_broker_unix_digest, cfg_table_broker_unix_free
};
#define CFG_CHECK_cfg_table_broker_unix(f)	_Generic((f), char *: 1)
#define CFG_CHECK2_cfg_table_broker_unix(f)	_Generic((f), int: 1)

/*
 * vhost-user ports.  port = DEVICE:N names port N of the vhost-user
 * console DEVICE (config.c checks that it has one, once the file is
 * read); port-name = is a port's name as the guest sees it
 * (/dev/virtio-ports/NAME), with the characters of a console's name.
 */
static int
cfg_table_port_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	char		**dev = CFG_FIELD(base, k->off, char *);
	const char	 *colon = strrchr(s, ':');
	char		  name[CFG_NAME_MAX + 1];
	unsigned	  n;
	size_t		  len;

	len = colon != NULL ? (size_t)(colon - s) : 0;
	if (colon == NULL || len == 0 || len > CFG_NAME_MAX) {
		return cfg_kind_bad(x, s, "write the vhost-user console and "
		    "the port's number, as in vm1:1");
	}
	memcpy(name, s, len);
	name[len] = '\0';
	if (!cfg_value_name(name)) {
		return cfg_kind_bad(x, s, "\"%s\" is not a console's name",
		    name);
	}
	if (cfg_value_uint(colon + 1, (unsigned)k->min, (unsigned)k->max,
	    &n) == -1) {
		return cfg_kind_bad(x, s, "the port is a number from %lu to "
		    "%lu (port 0 is the vhost-user console itself)", k->min,
		    k->max);
	}
	free(*dev);
	if ((*dev = strdup(name)) == NULL) {
		return cfg_kind_fail(x, "out of memory");
	}
	*CFG_FIELD(base, k->off2, unsigned) = n;
	return 0;
}

static void
cfg_table_port_digest(uint64_t *h, const struct cfg_key *k, const void *base)
{
	cfg_kind_hashs(h, k->name, *CFG_CFIELD(base, k->off, char *));
	cfg_kind_hashf(h, k->name, "%u", *CFG_CFIELD(base, k->off2, unsigned));
}

static void
cfg_table_string_free(const struct cfg_key *k, void *base)
{
	char	**field = CFG_FIELD(base, k->off, char *);

	free(*field);
	*field = NULL;
}

static const struct cfg_kind cfg_table_port = {
	"port", cfg_table_port_parse, NULL, cfg_table_port_digest,
	cfg_table_string_free
};
#define CFG_CHECK_cfg_table_port(f)	_Generic((f), char *: 1)
#define CFG_CHECK2_cfg_table_port(f)	_Generic((f), unsigned: 1)

static int
cfg_table_portname_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	char	**field = CFG_FIELD(base, k->off, char *);

	if (!cfg_value_name(s)) {
		return cfg_kind_bad(x, s, "use 1 to %d letters, digits, '.', "
		    "'_' or '-', not starting with '.' or '-'", CFG_NAME_MAX);
	}
	free(*field);
	if ((*field = strdup(s)) == NULL) {
		return cfg_kind_fail(x, "out of memory");
	}
	return 0;
}

static void
cfg_table_portname_digest(uint64_t *h, const struct cfg_key *k,
    const void *base)
{
	cfg_kind_hashs(h, k->name, *CFG_CFIELD(base, k->off, char *));
}

static const struct cfg_kind cfg_table_portname = {
	"name", cfg_table_portname_parse, NULL, cfg_table_portname_digest,
	cfg_table_string_free
};
#define CFG_CHECK_cfg_table_portname(f)	_Generic((f), char *: 1)

/*
 * Where a key's value goes: the field f of the section's struct T, which
 * must have the type the kind k fills (CFG_CHECK_k), or the entry does
 * not compile.
 */
#define CFG_AT(T, k, f)							\
	.kind = &k,							\
	.off = offsetof(T, f) + 0 * sizeof(CFG_CHECK_##k(((T *)NULL)->f))
#define CFG_AT2(T, k, f2)						\
	.off2 = offsetof(T, f2) + 0 * sizeof(CFG_CHECK2_##k(((T *)NULL)->f2))
#define CONSOLE(k, f)							\
	.sect = CFG_SECT_CONSOLE, CFG_AT(struct cfg_console, k, f)
#define CONSOLE2(k, f, f2)						\
	CONSOLE(k, f), CFG_AT2(struct cfg_console, k, f2)
#define LOGIN(k, f)							\
	.sect = CFG_SECT_LOGIN, CFG_AT(struct cfg_login, k, f)
#define LOGIN2(k, f, f2)						\
	LOGIN(k, f), CFG_AT2(struct cfg_login, k, f2)
#define NETWORK(k, f)							\
	.sect = CFG_SECT_NETWORK, CFG_AT(struct cfg_network, k, f)
#define NETWORK2(k, f, f2)						\
	NETWORK(k, f), CFG_AT2(struct cfg_network, k, f2)
#define DAEMON(k, f)							\
	.sect = CFG_SECT_DAEMON, CFG_AT(struct config, k, f)
#define DAEMON2(k, f, f2)						\
	DAEMON(k, f), CFG_AT2(struct config, k, f2)
/* A NULL-ended array of strings: how many it holds before its end. */
#define CFG_SLOTS(T, f)							\
	(sizeof(((T *)NULL)->f) / sizeof(((T *)NULL)->f[0]) - 1)

/* Every key, by section; doc/ttyhub.conf.5 describes each. */
const struct cfg_key cfg_keys[] = {
	{ .name = "type", CONSOLE(cfg_kind_enum, type),
	  .types = CFG_T_ALL, .required = CFG_T_ALL,
	  .names = cfg_table_types, .scope = CFG_SCOPE_BACKEND,
	  .example = "pty", .help = "the backend" },

	/* Serial lines. */
	{ .name = "device", CONSOLE(cfg_kind_path, device),
	  .types = CFG_T_SERIAL, .required = CFG_T_SERIAL,
	  .flags = CFG_K_CLAIM, .scope = CFG_SCOPE_BACKEND,
	  .example = "/dev/ttyS0", .help = "the tty device" },
	{ .name = "baud", CONSOLE(cfg_kind_uint, baud),
	  .types = CFG_T_SERIAL, .after = cfg_table_baud,
	  .min = 50, .max = 4000000, .scope = CFG_SCOPE_BACKEND,
	  .def = "115200", .example = "9600", .help = "the line's speed" },
	{ .name = "data-bits", CONSOLE(cfg_kind_uint, data_bits),
	  .types = CFG_T_SERIAL, .min = 5, .max = 8,
	  .must = "5, 6, 7 or 8", .scope = CFG_SCOPE_BACKEND,
	  .def = "8", .example = "7", .help = "bits of a character" },
	{ .name = "parity", CONSOLE(cfg_kind_enum, parity),
	  .types = CFG_T_SERIAL, .names = cfg_table_parities,
	  .scope = CFG_SCOPE_BACKEND,
	  .def = "none", .example = "even", .help = "the parity bit" },
	{ .name = "stop-bits", CONSOLE(cfg_kind_uint, stop_bits),
	  .types = CFG_T_SERIAL, .min = 1, .max = 2, .must = "1 or 2",
	  .scope = CFG_SCOPE_BACKEND,
	  .def = "1", .example = "2", .help = "stop bits of a character" },
	{ .name = "flow", CONSOLE(cfg_kind_enum, flow),
	  .types = CFG_T_SERIAL, .names = cfg_table_flows,
	  .scope = CFG_SCOPE_BACKEND,
	  .def = "none", .example = "rtscts", .help = "flow control" },

	/* Sockets, and vhost-user's own. */
	{ .name = "path", CONSOLE(cfg_kind_socket, path),
	  .types = CFG_T_UNIX | CFG_T_VHOST,
	  .required = CFG_T_UNIX | CFG_T_VHOST,
	  .flags = CFG_K_CLAIM, .scope = CFG_SCOPE_BACKEND,
	  .example = "/run/vm1.sock",
	  .help = "the socket to connect to (vhost-user: to serve on)" },
	{ .name = "address", CONSOLE2(cfg_kind_hostport, host, port),
	  .types = CFG_T_TCP, .required = CFG_T_TCP,
	  .flags = CFG_K_CLAIM, .scope = CFG_SCOPE_BACKEND,
	  .example = "ts1.example:7001", .help = "the TCP port to connect to" },
	{ .name = "telnet", CONSOLE(cfg_kind_bool, telnet),
	  .types = CFG_T_UNIX | CFG_T_TCP, .match = cfg_value_is_bool,
	  .after = cfg_table_telnet, .scope = CFG_SCOPE_BACKEND,
	  .hint = "as yes or no; telnet = ADDRESS adds a Telnet listener",
	  .def = "no", .example = "yes", .help = "the peer speaks Telnet" },

	/* Programs. */
	{ .name = "command", CONSOLE(cfg_kind_argv, argv),
	  .types = CFG_T_EXEC, .required = CFG_T_EXEC,
	  .max = CFG_SLOTS(struct cfg_console, argv),
	  .scope = CFG_SCOPE_BACKEND,
	  .example = "/bin/sh -c 'exec cat'",
	  .help = "the program and its arguments, without a shell" },
	{ .name = "directory", CONSOLE(cfg_kind_path, dir),
	  .types = CFG_T_EXEC, .scope = CFG_SCOPE_BACKEND,
	  .def = "/", .example = "/tmp", .help = "where the program starts" },
	{ .name = "restart", CONSOLE(cfg_kind_bool, restart),
	  .types = CFG_T_EXEC, .scope = CFG_SCOPE_BACKEND,
	  .def = "yes", .example = "no",
	  .help = "start the program again when it exits" },
	{ .name = "restart-delay", CONSOLE(cfg_kind_duration, restart_ms),
	  .types = CFG_T_EXEC, .min = 0, .max = 3600 * 1000,
	  .must = "a duration from 0 to 3600s (e.g. 500ms, 2s, 1m)",
	  .scope = CFG_SCOPE_BACKEND,
	  .def = "1s", .example = "250ms", .help = "the wait before that" },
	{ .name = "user", CONSOLE(cfg_table_user, uid),
	  .types = CFG_T_EXEC, .scope = CFG_SCOPE_BACKEND,
	  .example = "root", .help = "the user the program runs as" },
	{ .name = "group", CONSOLE(cfg_kind_group, gid),
	  .types = CFG_T_EXEC, .after = cfg_table_run_as,
	  .scope = CFG_SCOPE_BACKEND,
	  .example = "root", .help = "its group, instead of the user's" },
	{ .name = "size", CONSOLE2(cfg_kind_winsize, cols, rows),
	  .types = CFG_T_EXEC | CFG_T_PTY | CFG_T_VHOST | CFG_T_VPORT,
	  .min = 1, .max = TN_WINSIZE_MAX, .scope = CFG_SCOPE_BACKEND,
	  .def = "80x24", .example = "132x43",
	  .help = "the window size until a writer sends its own" },

	/* vhost-user devices of several ports. */
	{ .name = "ports", CONSOLE(cfg_kind_uint, ports),
	  .types = CFG_T_VHOST, .min = 1, .max = CFG_PORTS_MAX,
	  .scope = CFG_SCOPE_BACKEND,
	  .def = "1", .example = "3",
	  .help = "the device's ports (MULTIPORT from 2)" },
	{ .name = "resize-order", CONSOLE(cfg_kind_enum, resize_legacy),
	  .types = CFG_T_VHOST, .names = cfg_table_resize,
	  .scope = CFG_SCOPE_BACKEND,
	  .def = "spec", .example = "legacy",
	  .help = "RESIZE as cols, rows (spec) or rows, cols (Linux < 6.15)" },
	{ .name = "port", CONSOLE2(cfg_table_port, vport_of, vport),
	  .types = CFG_T_VPORT, .required = CFG_T_VPORT,
	  .min = 1, .max = CFG_PORTS_MAX - 1, .scope = CFG_SCOPE_BACKEND,
	  .example = "vm1:1",
	  .help = "the vhost-user console and the port's number" },
	{ .name = "port-name", CONSOLE(cfg_table_portname, port_name),
	  .types = CFG_T_VHOST | CFG_T_VPORT, .scope = CFG_SCOPE_BACKEND,
	  .example = "org.qemu.guest_agent.0",
	  .help = "the port's name in the guest (default: the console's)" },
	{ .name = "console-port", CONSOLE(cfg_kind_bool, console_port),
	  .types = CFG_T_VPORT, .scope = CFG_SCOPE_BACKEND,
	  .def = "no", .example = "yes",
	  .help = "a console of the guest (/dev/hvcN), not a named port" },

	/* Pseudo-terminals. */
	{ .name = "link", CONSOLE(cfg_kind_path, link),
	  .types = CFG_T_PTY, .required = CFG_T_PTY,
	  .flags = CFG_K_CLAIM, .scope = CFG_SCOPE_BACKEND,
	  .example = "/run/ttyhub/vm2",
	  .help = "the symbolic link to the pty's other side" },

	/* Clients. */
	{ .name = "telnet", CONSOLE2(cfg_kind_listen, listen, nlisten),
	  .types = CFG_T_ALL, .arg = CFG_LISTEN_TELNET,
	  .flags = CFG_K_OPTIONS, .scope = CFG_SCOPE_CLIENTS,
	  .example = "7001", .help = "Telnet listeners on TCP" },
	{ .name = "raw", CONSOLE2(cfg_kind_listen, listen, nlisten),
	  .types = CFG_T_ALL, .arg = CFG_LISTEN_RAW,
	  .flags = CFG_K_OPTIONS, .scope = CFG_SCOPE_CLIENTS,
	  .example = "7002,ro", .help = "TCP listeners without Telnet" },
	{ .name = "unix", CONSOLE2(cfg_kind_listen, listen, nlisten),
	  .types = CFG_T_ALL, .arg = CFG_LISTEN_UNIX,
	  .flags = CFG_K_OPTIONS, .scope = CFG_SCOPE_CLIENTS,
	  .example = "/run/ttyhub/vm1.sock",
	  .help = "unix socket listeners, Telnet unless raw" },
	{ .name = "unix-mode", CONSOLE(cfg_kind_mode, unix_mode),
	  .types = CFG_T_ALL, .scope = CFG_SCOPE_CLIENTS,
	  .def = "0600", .example = "0660",
	  .help = "the file mode of the unix listeners" },
	{ .name = "unix-owner", CONSOLE(cfg_kind_user, unix_owner),
	  .types = CFG_T_ALL, .scope = CFG_SCOPE_CLIENTS,
	  .example = "root", .help = "their owner" },
	{ .name = "unix-group", CONSOLE(cfg_kind_group, unix_group),
	  .types = CFG_T_ALL, .scope = CFG_SCOPE_CLIENTS,
	  .example = "root", .help = "their group" },
	{ .name = "rw", CONSOLE(cfg_kind_acl, rw),
	  .types = CFG_T_ALL, .scope = CFG_SCOPE_CLIENTS,
	  .example = "root @root",
	  .help = "users and @groups that may attach read-write" },
	{ .name = "ro", CONSOLE(cfg_kind_acl, ro),
	  .types = CFG_T_ALL, .scope = CFG_SCOPE_CLIENTS,
	  .example = "@0 4242",
	  .help = "users and @groups that may attach read-only" },
	{ .name = "writers", CONSOLE(cfg_kind_enum, writers_one),
	  .types = CFG_T_ALL, .names = cfg_table_writers,
	  .scope = CFG_SCOPE_CLIENTS,
	  .def = "all", .example = "one", .help = "who of them writes" },
	{ .name = "replay", CONSOLE(cfg_kind_size, replay),
	  .types = CFG_T_ALL, .min = 0, .max = (size_t)64 * 1024 * 1024,
	  .must = "a size from 0 to 64m (e.g. 0, 64k, 1m)",
	  .scope = CFG_SCOPE_CONSOLE,
	  .def = "64k", .example = "128k",
	  .help = "recent output a client gets when it attaches" },
	{ .name = "backlog", CONSOLE(cfg_kind_size, backlog),
	  .types = CFG_T_ALL, .min = (size_t)4 * 1024,
	  .max = (size_t)1024 * 1024 * 1024,
	  .must = "a size from 4k to 1g (e.g. 256k, 1m)",
	  .scope = CFG_SCOPE_CONSOLE,
	  .def = "1m", .example = "4m",
	  .help = "output that may wait for one client" },
	{ .name = "slow", CONSOLE(cfg_kind_enum, slow_disconnect),
	  .types = CFG_T_ALL, .names = cfg_table_slow,
	  .scope = CFG_SCOPE_CLIENTS,
	  .def = "drop", .example = "disconnect",
	  .help = "what happens to a client whose backlog is full" },
	{ .name = "notices", CONSOLE(cfg_kind_bool, notices),
	  .types = CFG_T_ALL, .scope = CFG_SCOPE_CLIENTS,
	  .def = "yes", .example = "no",
	  .help = "tell clients what happens to the console" },
	{ .name = "insecure", CONSOLE(cfg_kind_bool, insecure),
	  .types = CFG_T_ALL, .scope = CFG_SCOPE_CLIENTS,
	  .def = "no", .example = "yes",
	  .help = "allow TCP listeners a network reaches without TLS" },

	/* Logs. */
	{ .name = "log", CONSOLE(cfg_kind_path, log),
	  .types = CFG_T_ALL, .flags = CFG_K_CLAIM,
	  .scope = CFG_SCOPE_CONSOLE,
	  .example = "/var/log/ttyhub/vm1.log",
	  .help = "the file the console's output is appended to" },
	{ .name = "log-timestamps", CONSOLE(cfg_kind_bool, log_timestamps),
	  .types = CFG_T_ALL, .scope = CFG_SCOPE_CONSOLE,
	  .def = "no", .example = "yes",
	  .help = "a time at the start of each line of the log" },

	{ .name = "listen", LOGIN2(cfg_kind_listen, listen, nlisten),
	  .required = 1, .arg = CFG_LISTEN_TELNET,
	  .example = "2323", .help = "the addresses to serve logins on" },
	{ .name = "program", LOGIN(cfg_kind_path, program),
	  .def = "/bin/login", .example = "/bin/sh",
	  .help = "the login program" },
	{ .name = "issue", LOGIN(cfg_kind_path, issue),
	  .def = "/etc/issue.net", .example = "/dev/null",
	  .help = "the text shown before it" },
	{ .name = "accept-env", LOGIN(cfg_kind_names, accept_env),
	  .max = CFG_SLOTS(struct cfg_login, accept_env),
	  .example = "LANG LC_ALL",
	  .help = "environment variables taken from the client" },
	{ .name = "close-on-exit", LOGIN(cfg_kind_bool, close_on_exit),
	  .def = "no", .example = "yes",
	  .help = "close when the program exits, without waiting for "
	  "others on the terminal" },
	{ .name = "insecure", LOGIN(cfg_kind_bool, insecure),
	  .def = "no", .example = "yes",
	  .help = "allow listeners a network reaches without TLS" },

	/* Networks. */
	{ .name = "stream", NETWORK2(cfg_kind_listen, stream, nstream),
	  .arg = CFG_LISTEN_RAW, .flags = CFG_K_NETPORT | CFG_K_REPEAT,
	  .example = "/run/ttyhub/lan.sock",
	  .help = "where guests connect: a unix socket or a TCP port" },
	{ .name = "dgram", NETWORK2(cfg_kind_listen, dgram, ndgram),
	  .arg = CFG_LISTEN_RAW,
	  .flags = CFG_K_NETPORT | CFG_K_UDP | CFG_K_REPEAT,
	  .example = "127.0.0.1:7100",
	  .help = "where guests send datagrams: a unix socket or a UDP port" },
	{ .name = "mode", NETWORK(cfg_kind_enum, hub),
	  .names = cfg_table_net_modes, .def = "switch", .example = "hub",
	  .help = "learn addresses, or send every frame to every port" },
	{ .name = "mtu", NETWORK(cfg_kind_uint, mtu),
	  .min = 68, .max = FRAME_MTU_MAX, .def = "1500", .example = "9000",
	  .help = "the largest packet a guest may send, without Ethernet's "
	  "header" },
	{ .name = "ageing", NETWORK(cfg_kind_duration, ageing_ms),
	  .min = 0, .max = 86400 * 1000,
	  .must = "a duration from 0 to 24h (0: never)",
	  .def = "5m", .example = "30s",
	  .help = "how long a learned address is kept without a frame "
	  "from it" },
	{ .name = "dgram-ageing", NETWORK(cfg_kind_duration, dgram_ageing_ms),
	  .min = 0, .max = 86400 * 1000,
	  .must = "a duration from 0 to 24h (0: never)",
	  .def = "1h", .example = "10m",
	  .help = "how long a datagram sender stays a port without "
	  "sending" },
	{ .name = "max-ports", NETWORK(cfg_kind_uint, max_ports),
	  .min = 2, .max = 4096, .def = "64", .example = "8",
	  .help = "ports at once" },
	{ .name = "max-macs", NETWORK(cfg_kind_uint, max_macs),
	  .min = 16, .max = 1048576, .def = "4096", .example = "256",
	  .help = "addresses learned at once" },
	{ .name = "queue", NETWORK(cfg_kind_size, queue),
	  .min = (size_t)1024, .max = (size_t)64 * 1024 * 1024,
	  .must = "a size from 1k to 64m (e.g. 256k, 1m)",
	  .def = "512k", .example = "2m",
	  .help = "frames that may wait for one port, in bytes" },
	{ .name = "queue-frames", NETWORK(cfg_kind_uint, queue_frames),
	  .min = 1, .max = 1048576, .def = "1024", .example = "64",
	  .help = "and in frames" },
	{ .name = "pcap", NETWORK(cfg_kind_path, pcap),
	  .flags = CFG_K_CLAIM, .example = "/var/log/ttyhub/lan.pcap",
	  .help = "a capture of every frame, for tcpdump and wireshark" },
	{ .name = "pcap-size", NETWORK(cfg_kind_size, pcap_size),
	  .min = (size_t)64 * 1024, .max = SIZE_MAX,
	  .must = "a size of at least 64k (e.g. 100m, 2g)",
	  .def = "1g", .example = "10m",
	  .help = "the capture's size, after which it stops until reopened" },
	{ .name = "unix-mode", NETWORK(cfg_kind_mode, unix_mode),
	  .def = "0600", .example = "0660",
	  .help = "the file mode of its unix sockets" },
	{ .name = "unix-owner", NETWORK(cfg_kind_user, unix_owner),
	  .example = "root", .help = "their owner" },
	{ .name = "unix-group", NETWORK(cfg_kind_group, unix_group),
	  .example = "root", .help = "their group" },

	{ .name = "broker", DAEMON2(cfg_kind_listen, broker, nbroker),
	  .arg = CFG_LISTEN_TELNET, .flags = CFG_K_NONE | CFG_K_OPTIONS,
	  .example = "7000 [::1]:7000,ro",
	  .help = "Telnet listeners of the broker" },
	{ .name = "broker-unix",
	  DAEMON2(cfg_table_broker_unix, broker_unix, broker_unix_off),
	  .flags = CFG_K_CLAIM, .example = "/run/ttyhub/broker.sock",
	  .help = "the broker's unix socket, or none" },
	{ .name = "broker-unix-mode", DAEMON(cfg_kind_mode, broker_unix_mode),
	  .def = "0600", .example = "0660",
	  .help = "the file mode of that socket" },
	{ .name = "broker-unix-group",
	  DAEMON(cfg_kind_group, broker_unix_group),
	  .example = "0", .help = "its group" },
	{ .name = "max-clients", DAEMON(cfg_kind_uint, max_clients),
	  .min = 1, .max = 65536, .def = "1024", .example = "64",
	  .help = "clients of all consoles and the broker together" },
	{ .name = "max-clients-per-source",
	  DAEMON(cfg_kind_uint, max_per_source),
	  .min = 1, .max = 65536, .def = "32", .example = "8",
	  .help = "connections from one address or local user" },
	{ .name = "insecure", DAEMON(cfg_kind_bool, insecure),
	  .def = "no", .example = "yes",
	  .help = "allow broker and web listeners a network reaches without TLS" },
	{ .name = "tls-cert", DAEMON(cfg_kind_path, tls_cert),
	  .example = "/etc/ttyhub/tls/host.pem",
	  .help = "the certificate chain of tls listeners (PEM)" },
	{ .name = "tls-key", DAEMON(cfg_kind_path, tls_key),
	  .example = "/etc/ttyhub/tls/host.key",
	  .help = "its private key (PEM)" },
	{ .name = "tls-ca", DAEMON(cfg_kind_path, tls_ca),
	  .example = "/etc/ttyhub/tls/users-ca.pem",
	  .help = "the CA certificates client certificates are checked "
	  "against" },
	{ .name = "pam-service", DAEMON(cfg_kind_word, pam_service),
	  .def = "ttyhub", .example = "login",
	  .help = "the PAM service passwords are checked with" },
	{ .name = "web", DAEMON2(cfg_kind_listen, web, nweb),
	  .arg = CFG_LISTEN_WEB, .flags = CFG_K_OPTIONS,
	  .example = "8080 [::1]:8080,ro",
	  .help = "HTTP listeners of the web console" },
	{ .name = "web-host", DAEMON(cfg_kind_hosts, web_hosts),
	  .max = CFG_SLOTS(struct config, web_hosts),
	  .example = "console.example.org",
	  .help = "names the web console answers to besides addresses "
	  "and localhost" },
	{ .name = "publish", DAEMON(cfg_kind_bool, publish),
	  .def = "yes", .example = "no",
	  .help = "announce the broker on the network with DNS-SD" },
};
const size_t cfg_nkeys = sizeof cfg_keys / sizeof cfg_keys[0];
_Static_assert(sizeof cfg_keys / sizeof cfg_keys[0] <= CFG_KEYS_MAX,
    "cfg_keys outgrew CFG_KEYS_MAX");

/* Walks. */

const struct cfg_key *
cfg_table_find(enum cfg_sect sect, const char *name, const char *value,
    size_t *index)
{
	const struct cfg_key	*k;
	size_t			 i;

	for (i = 0; i < cfg_nkeys; i++) {
		k = &cfg_keys[i];
		if (k->sect == sect && strcmp(k->name, name) == 0 &&
		    (k->match == NULL || k->match(value))) {
			*index = i;
			return k;
		}
	}
	return NULL;
}

unsigned
cfg_table_given(const unsigned *keyline, const char *name)
{
	size_t	i;

	for (i = 0; i < cfg_nkeys; i++) {
		if (keyline[i] != 0 && strcmp(cfg_keys[i].name, name) == 0) {
			return keyline[i];
		}
	}
	return 0;
}

int
cfg_table_read(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	if (k->kind->parse(x, k, base, s) == -1) {
		return -1;
	}
	if (k->after != NULL) {
		return k->after(x, k, base, s);
	}
	return 0;
}

int
cfg_table_defaults(enum cfg_sect sect, void *base, char *why,
    size_t whylen)
{
	struct cfg_ctx		 x;
	const struct cfg_key	*k;
	size_t			 i;

	x.keyline = NULL;
	x.claim = NULL;
	x.arg = NULL;
	for (i = 0; i < cfg_nkeys; i++) {
		k = &cfg_keys[i];
		if (k->sect != sect) {
			continue;
		}
		if (k->def == NULL) {
			if (k->kind->unset != NULL) {
				k->kind->unset(k, base);
			}
		} else if (cfg_table_read(&x, k, base, k->def) == -1) {
			snprintf(why, whylen, "%s", x.why);
			return -1;
		}
	}
	return 0;
}

/* Is k the first key of its section to fill its field? */
static int
cfg_table_owns(const struct cfg_key *k)
{
	const struct cfg_key	*o;

	for (o = cfg_keys; o < k; o++) {
		if (o->sect == k->sect && o->off == k->off) {
			return 0;
		}
	}
	return 1;
}

uint64_t
cfg_table_digest(enum cfg_sect sect, const void *base)
{
	const struct cfg_key	*k;
	uint64_t		 h = CFG_FNV_BASIS;
	size_t			 i;

	for (i = 0; i < cfg_nkeys; i++) {
		k = &cfg_keys[i];
		if (k->sect == sect && cfg_table_owns(k)) {
			k->kind->digest(&h, k, base);
		}
	}
	return h;
}

void
cfg_table_free(enum cfg_sect sect, void *base)
{
	const struct cfg_key	*k;
	size_t			 i;

	for (i = 0; i < cfg_nkeys; i++) {
		k = &cfg_keys[i];
		if (k->sect == sect && k->kind->free != NULL &&
		    cfg_table_owns(k)) {
			k->kind->free(k, base);
		}
	}
}

const struct cfg_key *
cfg_table_misplaced(enum cfg_backend_kind type, const unsigned *keyline,
    unsigned *line)
{
	const struct cfg_key	*k, *worst = NULL;
	size_t			 i;

	*line = 0;
	for (i = 0; i < cfg_nkeys; i++) {
		k = &cfg_keys[i];
		if (k->sect == CFG_SECT_CONSOLE && keyline[i] != 0 &&
		    (k->types & CFG_T(type)) == 0 && (*line == 0 ||
		    keyline[i] < *line)) {
			*line = keyline[i];
			worst = k;
		}
	}
	return worst;
}

const struct cfg_key *
cfg_table_missing(enum cfg_backend_kind type, const unsigned *keyline)
{
	const struct cfg_key	*k;
	size_t			 i;

	for (i = 0; i < cfg_nkeys; i++) {
		k = &cfg_keys[i];
		if (k->sect == CFG_SECT_CONSOLE &&
		    (k->required & CFG_T(type)) != 0 && keyline[i] == 0) {
			return k;
		}
	}
	return NULL;
}

void
cfg_table_type_list(unsigned types, char *buf, size_t len)
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
		    left == 0 ? " or " : ", ", cfg_table_types[i]);
		first = 0;
	}
}

/* Suggestions. */

/* Levenshtein distance of a and b, both shorter than 40 bytes. */
static unsigned
cfg_table_distance(const char *a, size_t la, const char *b, size_t lb)
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

const char *
cfg_table_suggest(enum cfg_sect sect, const char *name)
{
	const char	*found = NULL, *k;
	unsigned	 best = UINT_MAX, cost, limit;
	size_t		 i, la, lb;
	int		 prefix;

	la = strlen(name);
	if (la == 0 || la >= 40) {
		return NULL;
	}
	for (i = 0; i < cfg_nkeys; i++) {
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
		cost = cfg_table_distance(name, la, k, lb);
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
