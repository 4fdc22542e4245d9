/*
 * config-parser: the messages of a parse and its claims.  The first
 * problem ends a parse with one message, "FILE:LINE: reason", naming the
 * section it is in where that helps.  A claim is something a file may
 * use only once: a TCP endpoint, a UDP port or a path; a second use is
 * refused with the line and section of the first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "config-kind.h"
#include "config-parser.h"
#include "config-value.h"


/*
 * Something a file may use only once: a TCP endpoint (listened on or
 * connected to), a UDP port, or a path (socket, device, link, log,
 * capture).  The strings are borrowed from the config being built.
 */
struct cfg_claim {
	const char	*host;		/* TCP, UDP; NULL: every address */
	unsigned	 port;		/* TCP, UDP; 0 for a path */
	const char	*path;
	int		 how;		/* CFG_CLAIM_*: listen, connect, UDP */
	unsigned	 line;
	enum cfg_sect	 sect;
	size_t		 index;		/* of the console or login */
};

/* Messages. */

/* s as it goes between quotes in a message: at most CFG_QUOTE_MAX bytes. */
const char *
cfg_quote(const char *s, char *buf, size_t len)
{
	size_t	n = strlen(s);

	if (n <= CFG_QUOTE_MAX) {
		return s;
	}
	snprintf(buf, len, "%.*s...", CFG_QUOTE_MAX, s);
	return buf;
}

/* "console "vm1"", "login "lab"", "network "lan"" or "[ttyhubd]". */
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
	case CFG_SECT_NETWORK:
		snprintf(buf, len, "network \"%s\"",
		    p->cfg->networks[index].name);
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
int __attribute__((format(printf, 3, 4)))
cfg_fail_line(struct cfg_parser *p, unsigned line, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cfg_vfail(p, line, 0, fmt, ap);
	va_end(ap);
	return -1;
}

/* "FILE:LINE: SECTION: message". */
int __attribute__((format(printf, 3, 4)))
cfg_fail(struct cfg_parser *p, unsigned line, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cfg_vfail(p, line, 1, fmt, ap);
	va_end(ap);
	return -1;
}

/* Claims: what may be used once in a file. */

/* "127.0.0.1:7001", "[::1]:7001", "*:7001". */
void
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
 * A key's claim (struct cfg_ctx) of a TCP or UDP endpoint (path NULL) or
 * a path for the current section, on the current line; word is quoted
 * in the message if it is taken.  A UDP port and a TCP one of the same
 * number are two things.
 */
int
cfg_claim(struct cfg_ctx *x, const char *word, const char *host,
    unsigned port, const char *path, int how)
{
	struct cfg_parser	*p = x->arg;
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
			return cfg_kind_bad(x, word, "already used at line %u "
			    "(%s)", c->line, where);
		}
		if (port != c->port ||
		    (how == CFG_CLAIM_UDP) != (c->how == CFG_CLAIM_UDP)) {
			continue;
		}
		if (host != NULL && c->host != NULL) {
			same = strcasecmp(host, c->host) == 0;
			if (!same) {
				continue;
			}
		} else if (host == NULL && c->host == NULL) {
			same = 1;
		} else if (how != CFG_CLAIM_CONNECT &&
		    c->how != CFG_CLAIM_CONNECT) {
			same = 0;	/* every address overlaps each one */
		} else {
			continue;
		}
		cfg_where(p, c->sect, c->index, where, sizeof where);
		cfg_tcp_name(host, port, mine, sizeof mine);
		cfg_tcp_name(c->host, c->port, theirs, sizeof theirs);
		if (same) {
			return cfg_kind_bad(x, word, "%s is already used at "
			    "line %u (%s)", mine, c->line, where);
		}
		return cfg_kind_bad(x, word, "%s overlaps %s at line %u (%s)",
		    mine, theirs, c->line, where);
	}
	if (p->nclaims == p->claims_cap) {
		cap = p->claims_cap != 0 ? p->claims_cap * 2 : 32;
		if ((n = reallocarray(p->claims, cap, sizeof *n)) == NULL) {
			return cfg_kind_fail(x, "out of memory");
		}
		p->claims = n;
		p->claims_cap = cap;
	}
	c = &p->claims[p->nclaims++];
	c->host = host;
	c->port = port;
	c->path = path;
	c->how = how;
	c->line = p->line;
	c->sect = p->sect;
	c->index = p->index;
	return 0;
}
