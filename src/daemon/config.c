/*
 * config: the configuration file (doc/ttyhub.conf.5), read with inih.
 *
 * inih splits each line into a key and a value; everything else is ours.
 * Our reader hands inih one line at a time, so it knows the line number,
 * refuses long lines and control characters, and reads section headers
 * itself: inih cuts section names at 49 bytes and says nothing about a
 * section without keys.  Keys are looked up in config-table.c's table,
 * which reads their values; this file keeps the rules that tie keys
 * together.  Keys may come in any order, so a section is checked as a
 * whole when the next one starts or the file ends.
 *
 * The first problem ends the parse with one message "FILE:LINE: reason"
 * (config-parser.c, with the claims: what a file may use once); whatever
 * was built so far is freed.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "config-kind.h"
#include "config-parser.h"
#include "config-table.h"
#include "config-value.h"
#include "../net/frame.h"

#define CFG_FILE_MAX	(16 * 1024 * 1024)	/* config_load reads no more */

/* Sections. */

/*
 * user = and group = (config-table.c resolved them as they were read):
 * a daemon that is not root can run a program only as itself, and a user
 * the password database does not know needs its group named.
 */
static int
cfg_con_run_as_check(struct cfg_parser *p, const struct cfg_console *c)
{
	unsigned	lu = cfg_table_given(p->keyline, "user");
	unsigned	lg = cfg_table_given(p->keyline, "group");

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

/*
 * A section's TCP listeners: one that a network can reach takes TLS,
 * and so does a web listener with auth (its form takes passwords, its
 * cookie stands for one), unless the section says insecure = yes;
 * remember the first with TLS, which needs [ttyhubd]'s tls-cert
 * (checked at the end of the file).
 */
static int
cfg_listeners_end(struct cfg_parser *p, const struct cfg_listen *l,
    size_t n, int insecure)
{
	char		 where[300];
	unsigned	 line;
	size_t		 i;

	for (i = 0; i < n; i++) {
		line = cfg_table_given(p->keyline, l[i].kind == CFG_LISTEN_WEB ?
		    "web" : p->sect == CFG_SECT_LOGIN ? "listen" :
		    p->sect == CFG_SECT_DAEMON ? "broker" :
		    l[i].kind == CFG_LISTEN_RAW ? "raw" : "telnet");
		if (line == 0) {
			line = p->sect_line;
		}
		if (l[i].tls && p->tls_line == 0) {
			p->tls_line = line;
		}
		if (l[i].tls || insecure) {
			continue;
		}
		cfg_tcp_name(l[i].host, l[i].port, where, sizeof where);
		/* Even on loopback: a tunnel's or a proxy's far end. */
		if (l[i].kind == CFG_LISTEN_WEB && l[i].auth) {
			return cfg_fail(p, line, "%s has auth without tls: "
			    "passwords and session cookies would cross it in "
			    "clear text; add ,tls, or say insecure = yes in "
			    "this section", where);
		}
		if (config_listen_loopback(&l[i])) {
			continue;
		}
		return cfg_fail(p, line, "%s can be reached from a network: "
		    "clients would cross it in clear text; add ,tls (with "
		    "tls-cert and tls-key in [ttyhubd]), or say insecure = "
		    "yes in this section", where);
	}
	return 0;
}

static int
cfg_console_end(struct cfg_parser *p)
{
	struct cfg_console	*c = p->con;
	const struct cfg_key	*k;
	char			 types[64];
	unsigned		 line, l;
	size_t			 i;
	int			 unix_listeners = 0;

	if (cfg_table_given(p->keyline, "type") == 0) {
		return cfg_fail(p, p->sect_line, "missing key \"type\" "
		    "(serial, unix, tcp, exec, pty, vhost-user or "
		    "vhost-port)");
	}
	if ((k = cfg_table_misplaced(c->type, p->keyline, &line)) != NULL) {
		cfg_table_type_list(k->types, types, sizeof types);
		return cfg_fail(p, line, "key \"%s\" is only for type = "
		    "%s%s%s%s", k->name, types,
		    k->hint != NULL ? " (" : "",
		    k->hint != NULL ? k->hint : "",
		    k->hint != NULL ? ")" : "");
	}
	if ((k = cfg_table_missing(c->type, p->keyline)) != NULL) {
		return cfg_fail(p, p->sect_line, "missing key \"%s\" "
		    "(needed for type = %s)", k->name,
		    cfg_table_types[c->type]);
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
	if (cfg_listeners_end(p, c->listen, c->nlisten, c->insecure) == -1) {
		return -1;
	}
	if (!unix_listeners) {
		if ((l = cfg_table_given(p->keyline, "unix-mode")) != 0 ||
		    (l = cfg_table_given(p->keyline, "unix-owner")) != 0 ||
		    (l = cfg_table_given(p->keyline, "unix-group")) != 0) {
			return cfg_fail(p, l, "unix-mode, unix-owner and "
			    "unix-group need a unix listener (unix = PATH)");
		}
	}

	c->digest = cfg_table_digest(CFG_SECT_CONSOLE, c);
	return 0;
}

static int
cfg_login_end(struct cfg_parser *p)
{
	struct cfg_login	*l = p->login;

	if (cfg_table_given(p->keyline, "listen") == 0) {
		return cfg_fail(p, p->sect_line, "missing key \"listen\" "
		    "(the addresses to serve logins on)");
	}
	if (cfg_listeners_end(p, l->listen, l->nlisten, l->insecure) == -1) {
		return -1;
	}
	l->digest = cfg_table_digest(CFG_SECT_LOGIN, l);
	return 0;
}

/*
 * A network: ports to join, unix-mode and the rest for its unix sockets,
 * queues that hold a largest frame, a capture bound only with a capture.
 */
static int
cfg_network_end(struct cfg_parser *p)
{
	struct cfg_network	*n = p->net;
	struct cfg_listen	*l;
	size_t			 i, max;
	unsigned		 line;
	int			 unix_sockets = 0;

	if (n->nstream == 0 && n->ndgram == 0) {
		return cfg_fail(p, p->sect_line, "no ports: give stream = "
		    "ADDRESS or dgram = ADDRESS (or both) for guests to "
		    "join");
	}
	for (i = 0; i < n->nstream + n->ndgram; i++) {
		l = i < n->nstream ? &n->stream[i] : &n->dgram[i - n->nstream];
		if (l->kind == CFG_LISTEN_UNIX) {
			l->mode = n->unix_mode;
			l->owner = n->unix_owner;
			l->group = n->unix_group;
			unix_sockets = 1;
		}
	}
	if (!unix_sockets &&
	    ((line = cfg_table_given(p->keyline, "unix-mode")) != 0 ||
	    (line = cfg_table_given(p->keyline, "unix-owner")) != 0 ||
	    (line = cfg_table_given(p->keyline, "unix-group")) != 0)) {
		return cfg_fail(p, line, "unix-mode, unix-owner and unix-group "
		    "need a unix socket (stream = PATH or dgram = PATH)");
	}
	/* The largest frame, as frame_max() says, behind its length. */
	max = (size_t)n->mtu + FRAME_ETH + FRAME_VLAN;
	if (n->queue < max + FRAME_HDR) {
		line = cfg_table_given(p->keyline, "queue");
		return cfg_fail(p, line != 0 ? line : p->sect_line, "queue "
		    "must hold one largest frame: at least %zu bytes for "
		    "mtu = %u", max + FRAME_HDR, n->mtu);
	}
	if (n->pcap == NULL &&
	    (line = cfg_table_given(p->keyline, "pcap-size")) != 0) {
		return cfg_fail(p, line, "pcap-size is of no use without "
		    "pcap = PATH");
	}
	n->digest = cfg_table_digest(CFG_SECT_NETWORK, n);
	return 0;
}

static int
cfg_daemon_end(struct cfg_parser *p)
{
	struct config	*c = p->cfg;
	unsigned	 l;

	if (cfg_listeners_end(p, c->broker, c->nbroker, c->insecure) == -1 ||
	    cfg_listeners_end(p, c->web, c->nweb, c->insecure) == -1) {
		return -1;
	}
	if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		return cfg_fail(p, cfg_table_given(p->keyline, c->tls_cert ==
		    NULL ? "tls-key" : "tls-cert"), "tls-cert and tls-key go "
		    "together: the certificate and its private key");
	}
	if (c->tls_ca != NULL && c->tls_cert == NULL) {
		return cfg_fail(p, cfg_table_given(p->keyline, "tls-ca"),
		    "tls-ca needs tls-cert and tls-key: client certificates "
		    "are asked for by TLS listeners");
	}

	if (p->cfg->broker_unix_off &&
	    (l = cfg_table_given(p->keyline, "broker-unix-mode")) != 0) {
		return cfg_fail(p, l, "broker-unix-mode is of no use with "
		    "broker-unix = none");
	}
	if (p->cfg->broker_unix_off &&
	    (l = cfg_table_given(p->keyline, "broker-unix-group")) != 0) {
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
	case CFG_SECT_NETWORK:
		r = cfg_network_end(p);
		break;
	default:
		break;
	}
	p->sect = CFG_SECT_NONE;
	p->con = NULL;
	p->login = NULL;
	p->net = NULL;
	memset(p->keyline, 0, sizeof p->keyline);
	return r;
}

static int
cfg_new_console(struct cfg_parser *p, const char *name)
{
	struct config		*cfg = p->cfg;
	struct cfg_console	*c, *n;
	char			 why[CFG_MSG_MAX];
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
	if ((c->file = strdup(p->name)) == NULL) {
		return cfg_fail_line(p, p->line, "out of memory");
	}
	memcpy(c->name, name, strlen(name) + 1);
	c->line = p->line;
	if (cfg_table_defaults(CFG_SECT_CONSOLE, c, why, sizeof why) == -1) {
		return cfg_fail_line(p, p->line, "%s", why);
	}

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
	char			 why[CFG_MSG_MAX];
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
	memcpy(l->name, name, strlen(name) + 1);
	l->line = p->line;
	if (cfg_table_defaults(CFG_SECT_LOGIN, l, why, sizeof why) == -1) {
		return cfg_fail_line(p, p->line, "%s", why);
	}

	p->sect = CFG_SECT_LOGIN;
	p->index = cfg->nlogins - 1;
	p->login = l;
	return 0;
}

static int
cfg_new_network(struct cfg_parser *p, const char *name)
{
	struct config		*cfg = p->cfg;
	struct cfg_network	*n, *a;
	char			 why[CFG_MSG_MAX];
	size_t			 i, cap;

	for (i = 0; i < cfg->nnetworks; i++) {
		if (strcmp(cfg->networks[i].name, name) == 0) {
			return cfg_fail_line(p, p->line, "duplicate network "
			    "\"%s\" (first defined at line %u)", name,
			    cfg->networks[i].line);
		}
	}
	if (cfg->nnetworks == CFG_CONSOLES_MAX) {
		return cfg_fail_line(p, p->line, "more than %d networks",
		    CFG_CONSOLES_MAX);
	}
	if (cfg->nnetworks == p->nets_cap) {
		cap = p->nets_cap != 0 ? p->nets_cap * 2 : 4;
		if ((a = reallocarray(cfg->networks, cap, sizeof *a)) == NULL) {
			return cfg_fail_line(p, p->line, "out of memory");
		}
		cfg->networks = a;
		p->nets_cap = cap;
	}
	n = &cfg->networks[cfg->nnetworks++];
	memset(n, 0, sizeof *n);
	memcpy(n->name, name, strlen(name) + 1);
	n->line = p->line;
	if (cfg_table_defaults(CFG_SECT_NETWORK, n, why, sizeof why) == -1) {
		return cfg_fail_line(p, p->line, "%s", why);
	}

	p->sect = CFG_SECT_NETWORK;
	p->index = cfg->nnetworks - 1;
	p->net = n;
	return 0;
}

/*
 * A section header, "[ttyhubd]", "[console NAME]", "[login NAME]" or
 * "[network NAME]", from s (after leading blanks) to close (its ']').
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
	if (strcmp(kind, "console") != 0 && strcmp(kind, "login") != 0 &&
	    strcmp(kind, "network") != 0) {
		return cfg_fail_line(p, p->line, "unknown section [%s] "
		    "(expected [ttyhubd], [console NAME], [login NAME] or "
		    "[network NAME])", cfg_quote(text, q, sizeof q));
	}
	if (*name == '\0') {
		return cfg_fail_line(p, p->line, "[%s] needs a name: [%s NAME]",
		    kind, kind);
	}
	if (!cfg_value_name(name)) {
		return cfg_fail_line(p, p->line, "%s name \"%s\": use 1 to %d "
		    "letters, digits, '.', '_' or '-', not starting with '.' "
		    "or '-'", kind, cfg_quote(name, q, sizeof q),
		    CFG_NAME_MAX);
	}
	p->sect_line = p->line;
	if (strcmp(kind, "console") == 0) {
		return cfg_new_console(p, name);
	}
	if (strcmp(kind, "network") == 0) {
		return cfg_new_network(p, name);
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

/* Keys. */

/*
 * One key's value, read by the table into the section's struct; what is
 * wrong with it becomes "KEY "WORD": reason" or a message of its own.
 */
static int
cfg_set(struct cfg_parser *p, const struct cfg_key *k, const char *value)
{
	struct cfg_ctx	 x;
	void		*base;
	char		 q[CFG_QUOTE_MAX + 4];

	switch (p->sect) {
	case CFG_SECT_CONSOLE:
		base = p->con;
		break;
	case CFG_SECT_LOGIN:
		base = p->login;
		break;
	case CFG_SECT_NETWORK:
		base = p->net;
		break;
	default:
		base = p->cfg;
		break;
	}
	x.keyline = p->keyline;
	x.claim = cfg_claim;
	x.arg = p;
	if (cfg_table_read(&x, k, base, value) == 0) {
		return 0;
	}
	if (x.quote) {
		return cfg_fail(p, p->line, "%s \"%s\": %s", k->name,
		    cfg_quote(x.word, q, sizeof q), x.why);
	}
	return cfg_fail(p, p->line, "%s", x.why);
}

static int
cfg_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct cfg_parser	*p = arg;
	const struct cfg_key	*k;
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
		    "(start with [ttyhubd], [console NAME], [login NAME] or "
		    "[network NAME])",
		    cfg_quote(name, q, sizeof q));
		return 0;
	}
	k = cfg_table_find(p->sect, name, value, &i);
	if (k == NULL) {
		hint = cfg_table_suggest(p->sect, name);
		cfg_fail(p, p->line, "unknown key \"%s\"%s%s%s",
		    cfg_quote(name, q, sizeof q),
		    hint != NULL ? " (did you mean \"" : "",
		    hint != NULL ? hint : "", hint != NULL ? "\"?)" : "");
		return 0;
	}
	if (p->keyline[i] != 0 && !(k->flags & CFG_K_REPEAT)) {
		cfg_fail(p, p->line, "duplicate key \"%s\" (first at line %u)",
		    name, p->keyline[i]);
		return 0;
	}
	if (p->keyline[i] == 0) {
		p->keyline[i] = p->line;
	}
	return cfg_set(p, k, value) == 0;
}

/*
 * vhost-user devices and their ports, once every section is read: a
 * vhost-port section names a vhost-user console that has its port, no
 * two name the same port, and no two ports of a device the same name in
 * the guest.  A port no section names gets a console of its own, NAME.N,
 * with the device's client settings and no listeners or log.  Every
 * port takes its device's socket, ports and RESIZE order, so that a
 * change of the device changes each port's digest too.
 */

/* The vhost-user console called name among the first n, or -1. */
static long
cfg_vhost_device(const struct config *cfg, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(cfg->consoles[i].name, name) == 0) {
			return cfg->consoles[i].type == CFG_BACKEND_VHOST ?
			    (long)i : -1;
		}
	}
	return -1;
}

static int
cfg_vhost_take(struct cfg_console *c, const struct cfg_console *d)
{
	free(c->path);
	c->path = strdup(d->path);
	c->ports = d->ports;
	c->resize_legacy = d->resize_legacy;
	return c->path != NULL ? 0 : -1;
}

/* Console NAME.port for a port of device di no section names. */
static int
cfg_vhost_generate(struct cfg_parser *p, size_t di, unsigned port)
{
	struct config		*cfg = p->cfg;
	struct cfg_console	*c, *d, *n;
	char			 name[CFG_NAME_MAX + 16], why[CFG_MSG_MAX];
	size_t			 cap;

	snprintf(name, sizeof name, "%s.%u", cfg->consoles[di].name, port);
	if (strlen(name) > CFG_NAME_MAX || config_console(cfg, name) != NULL) {
		return cfg_fail_line(p, cfg->consoles[di].line, "console "
		    "\"%s\": port %u would be console \"%s\", %s: give the "
		    "port a section (type = vhost-port, port = %s:%u)",
		    cfg->consoles[di].name, port, name, strlen(name) >
		    CFG_NAME_MAX ? "a name too long" : "a name already used",
		    cfg->consoles[di].name, port);
	}
	if (cfg->nconsoles == CFG_CONSOLES_MAX) {
		return cfg_fail_line(p, cfg->consoles[di].line, "more than %d "
		    "consoles, counting the ports of vhost-user consoles",
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
	d = &cfg->consoles[di];
	memset(c, 0, sizeof *c);
	memcpy(c->name, name, strlen(name) + 1);
	c->line = d->line;
	if ((c->file = strdup(d->file)) == NULL ||
	    cfg_table_defaults(CFG_SECT_CONSOLE, c, why, sizeof why) == -1 ||
	    (c->vport_of = strdup(d->name)) == NULL ||
	    cfg_vhost_take(c, d) == -1) {
		return cfg_fail_line(p, d->line, "out of memory");
	}
	c->type = CFG_BACKEND_VPORT;
	c->vport = port;
	c->generated = 1;
	/* Who may attach and how: as on the device's console. */
	c->rw = d->rw;
	c->ro = d->ro;
	c->writers_one = d->writers_one;
	c->replay = d->replay;
	c->backlog = d->backlog;
	c->slow_disconnect = d->slow_disconnect;
	c->notices = d->notices;
	c->cols = d->cols;
	c->rows = d->rows;
	return 0;
}

static const char *
cfg_vhost_port_name(const struct cfg_console *c)
{
	return c->port_name != NULL ? c->port_name : c->name;
}

static int
cfg_vhost_ports(struct cfg_parser *p)
{
	struct config		*cfg = p->cfg;
	struct cfg_console	*c, *o;
	size_t			 i, j, n = cfg->nconsoles;
	unsigned		 port;
	long			 di;

	for (i = 0; i < n; i++) {
		c = &cfg->consoles[i];
		if (c->type != CFG_BACKEND_VPORT) {
			continue;
		}
		if ((di = cfg_vhost_device(cfg, n, c->vport_of)) == -1) {
			return cfg_fail_line(p, c->line, "console \"%s\": port "
			    "= %s:%u: there is no vhost-user console \"%s\"",
			    c->name, c->vport_of, c->vport, c->vport_of);
		}
		if (c->vport >= cfg->consoles[di].ports) {
			return cfg_fail_line(p, c->line, "console \"%s\": port "
			    "= %s:%u: console \"%s\" has %u port%s (ports = in "
			    "its section, line %u)", c->name, c->vport_of,
			    c->vport, c->vport_of, cfg->consoles[di].ports,
			    cfg->consoles[di].ports == 1 ? "" : "s",
			    cfg->consoles[di].line);
		}
		for (j = 0; j < i; j++) {
			o = &cfg->consoles[j];
			if (o->type == CFG_BACKEND_VPORT &&
			    o->vport == c->vport &&
			    strcmp(o->vport_of, c->vport_of) == 0) {
				return cfg_fail_line(p, c->line, "console "
				    "\"%s\": port %s:%u is console \"%s\"'s "
				    "already (line %u)", c->name, c->vport_of,
				    c->vport, o->name, o->line);
			}
		}
		if (cfg_vhost_take(c, &cfg->consoles[di]) == -1) {
			return cfg_fail_line(p, c->line, "out of memory");
		}
	}
	for (i = 0; i < n; i++) {
		if (cfg->consoles[i].type != CFG_BACKEND_VHOST) {
			continue;
		}
		for (port = 1; port < cfg->consoles[i].ports; port++) {
			for (j = 0; j < n; j++) {
				o = &cfg->consoles[j];
				if (o->type == CFG_BACKEND_VPORT &&
				    o->vport == port && strcmp(o->vport_of,
				    cfg->consoles[i].name) == 0) {
					break;
				}
			}
			if (j == n && cfg_vhost_generate(p, i, port) == -1) {
				return -1;
			}
		}
	}
	/* Two ports of one device with one name: one link in the guest. */
	for (i = 0; i < cfg->nconsoles; i++) {
		c = &cfg->consoles[i];
		if (c->type != CFG_BACKEND_VPORT) {
			continue;
		}
		for (j = 0; j < cfg->nconsoles; j++) {
			o = &cfg->consoles[j];
			if (j == i || strcmp(cfg_vhost_port_name(c),
			    cfg_vhost_port_name(o)) != 0) {
				continue;
			}
			if ((o->type == CFG_BACKEND_VPORT &&
			    strcmp(o->vport_of, c->vport_of) == 0) ||
			    (o->type == CFG_BACKEND_VHOST &&
			    strcmp(o->name, c->vport_of) == 0)) {
				return cfg_fail_line(p, c->line, "console "
				    "\"%s\": the guest would see two ports of "
				    "%s named \"%s\" (the other is console "
				    "\"%s\"): give one another port-name",
				    c->name, c->vport_of,
				    cfg_vhost_port_name(c), o->name);
			}
		}
		c->digest = cfg_table_digest(CFG_SECT_CONSOLE, c);
	}
	return 0;
}

static int
cfg_parse_text(const char *name, const char *text, size_t len,
    struct config **out, char *err, size_t errlen)
{
	struct cfg_parser	 p;
	char			 why[CFG_MSG_MAX];
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
	if (cfg_table_defaults(CFG_SECT_DAEMON, p.cfg, why, sizeof why) ==
	    -1) {
		config_free(p.cfg);
		if (err != NULL && errlen > 0) {
			snprintf(err, errlen, "%s: %s", name, why);
		}
		return -1;
	}

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
	if (!p.failed && cfg_section_end(&p) == 0) {
		(void)cfg_vhost_ports(&p);
	}
	if (!p.failed && p.tls_line != 0 && p.cfg->tls_cert == NULL) {
		cfg_fail_line(&p, p.tls_line, "a listener with tls needs "
		    "tls-cert and tls-key in the [ttyhubd] section");
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

void
config_free(struct config *c)
{
	size_t	i;

	if (c == NULL) {
		return;
	}
	free(c->file);
	cfg_table_free(CFG_SECT_DAEMON, c);
	for (i = 0; i < c->nconsoles; i++) {
		free(c->consoles[i].file);
		cfg_table_free(CFG_SECT_CONSOLE, &c->consoles[i]);
	}
	free(c->consoles);
	for (i = 0; i < c->nlogins; i++) {
		cfg_table_free(CFG_SECT_LOGIN, &c->logins[i]);
	}
	free(c->logins);
	for (i = 0; i < c->nnetworks; i++) {
		cfg_table_free(CFG_SECT_NETWORK, &c->networks[i]);
	}
	free(c->networks);
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

const struct cfg_network *
config_network(const struct config *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->nnetworks; i++) {
		if (strcmp(c->networks[i].name, name) == 0) {
			return &c->networks[i];
		}
	}
	return NULL;
}
