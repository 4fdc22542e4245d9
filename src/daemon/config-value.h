/*
 * config-value: one value of the configuration file read from its text:
 * numbers, sizes, durations, modes, users and groups, paths, HOST:PORT,
 * listeners, words.  Each reader gives the value or -1 and knows nothing
 * of files, lines or keys (those are config.c's); the readers of values
 * with several ways to be wrong also say why.  config.h declares the ones
 * the rest of the daemon uses (config_size, config_listen, ...); these
 * are for config*.c.
 */
#ifndef TTYHUB_CONFIG_VALUE_H
#define TTYHUB_CONFIG_VALUE_H

#include <sys/types.h>
#include <stddef.h>

#define CFG_QUOTE_MAX	60	/* bytes of a value repeated in a message */

/* A blank between words: space or tab. */
int		 cfg_value_space(int c);

/*
 * A name: of a console, a login, a port as the guest sees it.
 * [A-Za-z0-9._-]{1,64}, not starting with '.' or '-'.
 */
int		 cfg_value_name(const char *s);

/*
 * The next blank-separated word of *sp into buf (len bytes, at least
 * CFG_LINE_MAX + 1), moving *sp past it.  Returns 0 at the end.
 */
int		 cfg_value_word(const char **sp, char *buf, size_t len);

/* Decimal digits only, from min to max: no sign, no blank, no 0x. */
int		 cfg_value_uint(const char *s, unsigned min, unsigned max,
		    unsigned *out);

/* yes, true, on, 1 and no, false, off, 0. */
int		 cfg_value_bool(const char *s, int *out);
int		 cfg_value_is_bool(const char *s);

/* One of names (NULL-ended), as its index. */
int		 cfg_value_enum(const char *s, const char *const *names,
		    int *out);

/* A file mode: octal permission bits, 0 to 0777. */
int		 cfg_value_mode(const char *s, mode_t *out);

/* A user or group as a name or a number; -1 if there is none such. */
int		 cfg_value_uid(const char *s, uid_t *out);
int		 cfg_value_gid(const char *s, gid_t *out);

/* An absolute path; a socket's (sock) must also fit a sockaddr_un. */
int		 cfg_value_path(const char *s, int sock, char *why,
		    size_t whylen);

/*
 * HOST:PORT with HOST "[V6]", a numeric IPv4 address, or (names) a host
 * name.  Without names, "*" is every address and a port alone means
 * 127.0.0.1.  *host is allocated (NULL for every address).
 */
int		 cfg_value_hostport(const char *s, int names, char **host,
		    unsigned *port, char *why, size_t whylen);

#endif
