/*
 * config-parser: the state of one parse of a configuration file (struct
 * cfg_parser), shared by the reader (config.c) and the sections' rules
 * (config-section.c), and what every part of a parse does with it: the
 * one message that ends it, and the claims (what a file may use only
 * once).
 */
#ifndef TTYHUB_CONFIG_PARSER_H
#define TTYHUB_CONFIG_PARSER_H

#include <stddef.h>

#include "config.h"
#include "config-kind.h"
#include "config-table.h"

struct cfg_claim;		/* config-parser.c's */


/* The state of one parse, shared by the reader, the handler and claims. */
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
	struct cfg_network	*net;
	unsigned		 daemon_line;	/* of [ttyhubd], once seen */
	unsigned		 tls_line;	/* the first ,tls listener */
	size_t			 cons_cap;
	size_t			 logins_cap;
	size_t			 nets_cap;

	unsigned		 keyline[CFG_KEYS_MAX];	/* by cfg_keys index:
							   where it was given
							   in this section */

	struct cfg_claim	*claims;
	size_t			 nclaims;
	size_t			 claims_cap;
};

/* s as it goes between quotes in a message: at most CFG_QUOTE_MAX bytes. */
const char	*cfg_quote(const char *s, char *buf, size_t len);

/*
 * The first failure ends the parse, with "FILE:LINE: message" in the
 * caller's buffer (cfg_fail_line: what is wrong with the line itself) or
 * "FILE:LINE: SECTION: message" (cfg_fail); anything after it is not
 * reported.  Both return -1.
 */
int		 cfg_fail_line(struct cfg_parser *p, unsigned line,
		    const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
int		 cfg_fail(struct cfg_parser *p, unsigned line,
		    const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

/* "127.0.0.1:7001", "[::1]:7001", "*:7001". */
void		 cfg_tcp_name(const char *host, unsigned port, char *buf,
		    size_t len);

/*
 * struct cfg_ctx's claim, with the parser as its arg: an endpoint or a
 * path for the current section on the current line, refused if the file
 * used it already.  The strings are borrowed from the config being
 * built; the parser's claims array is freed by whoever made the parser.
 */
int		 cfg_claim(struct cfg_ctx *x, const char *word,
		    const char *host, unsigned port, const char *path,
		    int how);

#endif
