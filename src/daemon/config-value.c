/*
 * config-value: the readers of one value (config-value.h), and those of
 * config.h that the command line may share: config_size,
 * config_duration_ms and the listeners.  Nothing here knows a file, a
 * line or a key.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config-value.h"

#define CFG_SUN_MAX	(sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1)

int
cfg_value_space(int c)
{
	return c == ' ' || c == '\t';
}

int
cfg_value_name(const char *s)
{
	size_t	n = strlen(s);

	if (n == 0 || n > CFG_NAME_MAX || s[0] == '.' || s[0] == '-') {
		return 0;
	}
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == n;
}

int
cfg_value_word(const char **sp, char *buf, size_t len)
{
	const char	*s = *sp;
	size_t		 n = 0;

	while (cfg_value_space(*s)) {
		s++;
	}
	if (*s == '\0') {
		*sp = s;
		return 0;
	}
	while (*s != '\0' && !cfg_value_space(*s)) {
		if (n + 1 < len) {
			buf[n++] = *s;
		}
		s++;
	}
	buf[n] = '\0';
	*sp = s;
	return 1;
}

/* Decimal digits only: no sign, no space, no 0x. */
static int
cfg_value_ulong(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long	v = 0;
	unsigned	d;

	if (*s == '\0') {
		return -1;
	}
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9') {
			return -1;
		}
		d = (unsigned)(*s - '0');
		if (d > max || v > (max - d) / 10) {
			return -1;
		}
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
cfg_value_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	unsigned long	v;

	if (cfg_value_ulong(s, max, &v) == -1 || v < min) {
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int
config_size(const char *s, size_t *out)
{
	unsigned long	v, mult = 1;
	char		num[32];
	size_t		n;

	n = strlen(s);
	if (n == 0 || n >= sizeof num) {
		return -1;
	}
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 'k':
	case 'K':
		mult = 1024UL;
		break;
	case 'm':
	case 'M':
		mult = 1024UL * 1024;
		break;
	case 'g':
	case 'G':
		mult = 1024UL * 1024 * 1024;
		break;
	}
	if (mult != 1) {
		num[--n] = '\0';
	}
	if (cfg_value_ulong(num, SIZE_MAX / mult, &v) == -1) {
		return -1;
	}
	*out = (size_t)(v * mult);
	return 0;
}

int
config_duration_ms(const char *s, unsigned *out)
{
	unsigned long	v, mult = 1000;
	char		num[32];
	size_t		n;

	n = strlen(s);
	if (n == 0 || n >= sizeof num) {
		return -1;
	}
	memcpy(num, s, n + 1);
	if (n > 2 && strcmp(num + n - 2, "ms") == 0) {
		mult = 1;
		n -= 2;
	} else if (num[n - 1] == 's') {
		n--;
	} else if (num[n - 1] == 'm') {
		mult = 60 * 1000;
		n--;
	} else if (num[n - 1] == 'h') {
		mult = 3600 * 1000;
		n--;
	}
	num[n] = '\0';
	if (cfg_value_ulong(num, UINT_MAX / mult, &v) == -1) {
		return -1;
	}
	*out = (unsigned)(v * mult);
	return 0;
}

int
cfg_value_bool(const char *s, int *out)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0 ||
	    strcmp(s, "on") == 0 || strcmp(s, "1") == 0) {
		*out = 1;
		return 0;
	}
	if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0 ||
	    strcmp(s, "off") == 0 || strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	return -1;
}

int
cfg_value_is_bool(const char *s)
{
	int	v;

	return cfg_value_bool(s, &v) == 0;
}

int
cfg_value_enum(const char *s, const char *const *names, int *out)
{
	int	i;

	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

int
cfg_value_mode(const char *s, mode_t *out)
{
	unsigned	v = 0;

	if (*s == '\0' || strlen(s) > 4) {
		return -1;
	}
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '7') {
			return -1;
		}
		v = v * 8 + (unsigned)(*s - '0');
	}
	if (v > 0777) {
		return -1;
	}
	*out = (mode_t)v;
	return 0;
}

int
cfg_value_uid(const char *s, uid_t *out)
{
	struct passwd	*pw;
	unsigned long	 v;

	if (*s >= '0' && *s <= '9') {
		if (cfg_value_ulong(s, (unsigned long)(uid_t)-2, &v) == -1) {
			return -1;
		}
		*out = (uid_t)v;
		return 0;
	}
	if ((pw = getpwnam(s)) == NULL) {
		return -1;
	}
	*out = pw->pw_uid;
	return 0;
}

int
cfg_value_gid(const char *s, gid_t *out)
{
	struct group	*gr;
	unsigned long	 v;

	if (*s >= '0' && *s <= '9') {
		if (cfg_value_ulong(s, (unsigned long)(gid_t)-2, &v) == -1) {
			return -1;
		}
		*out = (gid_t)v;
		return 0;
	}
	if ((gr = getgrnam(s)) == NULL) {
		return -1;
	}
	*out = gr->gr_gid;
	return 0;
}

int
cfg_value_path(const char *s, int sock, char *why, size_t whylen)
{
	if (s[0] != '/') {
		snprintf(why, whylen, "must be an absolute path");
		return -1;
	}
	if (sock && strlen(s) > CFG_SUN_MAX) {
		snprintf(why, whylen, "a socket path must be at most %zu bytes",
		    CFG_SUN_MAX);
		return -1;
	}
	if (strlen(s) >= PATH_MAX) {
		snprintf(why, whylen, "must be shorter than %d bytes",
		    PATH_MAX);
		return -1;
	}
	return 0;
}

static int
cfg_value_port(const char *s, unsigned *out)
{
	return cfg_value_uint(s, 1, 65535, out);
}

/* A host name: letters, digits and '-' in dot-separated labels. */
static int
cfg_value_hostname(const char *s)
{
	size_t	label = 0, n = 0;

	for (; *s != '\0'; s++, n++) {
		if (*s == '.') {
			if (label == 0 || s[-1] == '-') {
				return -1;
			}
			label = 0;
			continue;
		}
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-')) {
			return -1;
		}
		if ((label == 0 && *s == '-') || ++label > 63) {
			return -1;
		}
	}
	if (n == 0 || n > 253 || label == 0 || s[-1] == '-') {
		return -1;
	}
	return 0;
}

/* A numeric address in the form inet_ntop writes it, or -1. */
static int
cfg_value_numeric(const char *s, int v6, char *buf, size_t len)
{
	struct in6_addr	a;
	int		af = v6 ? AF_INET6 : AF_INET;

	if (inet_pton(af, s, &a) != 1 ||
	    inet_ntop(af, &a, buf, (socklen_t)len) == NULL) {
		return -1;
	}
	return 0;
}

int
cfg_value_hostport(const char *s, int names, char **host, unsigned *port,
    char *why, size_t whylen)
{
	char		 h[CFG_LINE_MAX + 1], norm[INET6_ADDRSTRLEN];
	const char	*colon, *close, *use;
	size_t		 n;

	*host = NULL;
	if (strlen(s) > CFG_LINE_MAX) {
		snprintf(why, whylen, "too long");
		return -1;
	}
	if (s[0] == '[') {
		if ((close = strchr(s, ']')) == NULL) {
			snprintf(why, whylen, "missing ] after the IPv6 "
			    "address");
			return -1;
		}
		if (close[1] != ':') {
			snprintf(why, whylen, "a port must follow the address, "
			    "as in [::1]:7001");
			return -1;
		}
		n = (size_t)(close - s - 1);
		memcpy(h, s + 1, n);
		h[n] = '\0';
		if (cfg_value_numeric(h, 1, norm, sizeof norm) == -1) {
			snprintf(why, whylen, "not an IPv6 address between "
			    "[ and ]");
			return -1;
		}
		colon = close + 1;
		use = norm;
	} else if ((colon = strrchr(s, ':')) == NULL) {
		if (names) {
			snprintf(why, whylen, "must be HOST:PORT");
			return -1;
		}
		colon = s - 1;
		use = "127.0.0.1";
	} else if (strchr(s, ':') != colon) {
		snprintf(why, whylen, "an IPv6 address goes between [ and ], "
		    "as in [::1]:7001");
		return -1;
	} else {
		n = (size_t)(colon - s);
		memcpy(h, s, n);
		h[n] = '\0';
		if (!names && strcmp(h, "*") == 0) {
			use = NULL;
		} else if (cfg_value_numeric(h, 0, norm, sizeof norm) == 0) {
			use = norm;
		} else if (names && cfg_value_hostname(h) == 0) {
			use = h;
		} else if (names) {
			snprintf(why, whylen, "the host must be a name, an "
			    "IPv4 address or an IPv6 address between [ and ]");
			return -1;
		} else {
			snprintf(why, whylen, "the host must be a numeric "
			    "address (127.0.0.1, [::1]) or * for every "
			    "address");
			return -1;
		}
	}
	if (cfg_value_port(colon + 1, port) == -1) {
		snprintf(why, whylen, "the port must be a number from 1 to "
		    "65535");
		return -1;
	}
	if (use != NULL && (*host = strdup(use)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

int
config_listen(const char *s, enum cfg_listen_kind kind,
    struct cfg_listen *out, char *err, size_t errlen)
{
	char		 addr[CFG_LINE_MAX + 1];
	const char	*opt, *comma;
	size_t		 n;
	int		 raw = 0, *flag;

	memset(out, 0, sizeof *out);
	out->kind = kind;
	out->owner = (uid_t)-1;
	out->group = (gid_t)-1;

	comma = strchr(s, ',');
	n = comma != NULL ? (size_t)(comma - s) : strlen(s);
	if (n > CFG_LINE_MAX) {
		snprintf(err, errlen, "too long");
		return -1;
	}
	memcpy(addr, s, n);
	addr[n] = '\0';

	for (opt = comma; opt != NULL; opt = comma) {
		opt++;
		comma = strchr(opt, ',');
		n = comma != NULL ? (size_t)(comma - opt) : strlen(opt);
		if (n == 2 && strncmp(opt, "ro", n) == 0) {
			flag = &out->ro;
		} else if (n == 8 && strncmp(opt, "noreplay", n) == 0) {
			flag = &out->noreplay;
		} else if (n == 3 && strncmp(opt, "tls", n) == 0 &&
		    kind != CFG_LISTEN_UNIX) {
			flag = &out->tls;
		} else if (n == 4 && strncmp(opt, "auth", n) == 0 &&
		    kind != CFG_LISTEN_UNIX) {
			flag = &out->auth;
		} else if ((n == 3 && strncmp(opt, "tls", n) == 0) ||
		    (n == 4 && strncmp(opt, "auth", n) == 0)) {
			snprintf(err, errlen, "option \"%.*s\" is only for TCP "
			    "listeners (a unix socket's peers are known by "
			    "the kernel)", (int)n, opt);
			return -1;
		} else if (n == 3 && strncmp(opt, "raw", n) == 0 &&
		    kind == CFG_LISTEN_UNIX) {
			flag = &raw;
		} else if (n == 3 && strncmp(opt, "raw", n) == 0) {
			snprintf(err, errlen, "option \"raw\" is only for unix "
			    "listeners (raw = ADDRESS listens for raw TCP)");
			return -1;
		} else if (n == 0 || strchr("0123456789/[*", opt[0]) != NULL) {
			/* "7001,7002" or "7001, 7002": a list with commas. */
			snprintf(err, errlen, "%s%.*s%s: addresses are "
			    "separated by blanks, and a comma starts an option "
			    "(ro, noreplay%s)",
			    n == 0 ? "nothing after a comma" : "\"",
			    (int)(n > CFG_QUOTE_MAX ? CFG_QUOTE_MAX : n), opt,
			    n == 0 ? "" : "\" is not an option",
			    kind == CFG_LISTEN_UNIX ? ", raw" : ", tls, auth");
			return -1;
		} else {
			snprintf(err, errlen, "unknown option \"%.*s\" (ro, "
			    "noreplay%s)", (int)(n > CFG_QUOTE_MAX ?
			    CFG_QUOTE_MAX : n), opt,
			    kind == CFG_LISTEN_UNIX ? ", raw" : ", tls, auth");
			return -1;
		}
		if (*flag) {
			snprintf(err, errlen, "option \"%.*s\" given twice",
			    (int)n, opt);
			return -1;
		}
		*flag = 1;
	}

	if (kind == CFG_LISTEN_UNIX) {
		if (addr[0] != '/') {
			snprintf(err, errlen, "must be an absolute path");
			return -1;
		}
		if (strlen(addr) > CFG_SUN_MAX) {
			snprintf(err, errlen, "a socket path must be at most "
			    "%zu bytes", CFG_SUN_MAX);
			return -1;
		}
		if ((out->path = strdup(addr)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		out->mode = 0600;
		out->telnet = !raw;
		return 0;
	}
	if (cfg_value_hostport(addr, 0, &out->host, &out->port, err,
	    errlen) == -1) {
		return -1;
	}
	out->telnet = kind == CFG_LISTEN_TELNET;
	return 0;
}

static int
cfg_value_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
config_listen_same(const struct cfg_listen *a, const struct cfg_listen *b)
{
	return a->kind == b->kind && a->port == b->port &&
	    cfg_value_same(a->host, b->host) &&
	    cfg_value_same(a->path, b->path) &&
	    a->mode == b->mode && a->owner == b->owner &&
	    a->group == b->group && a->telnet == b->telnet && a->ro == b->ro &&
	    a->noreplay == b->noreplay && a->tls == b->tls &&
	    a->auth == b->auth;
}

int
config_listen_loopback(const struct cfg_listen *l)
{
	struct in6_addr	a6;
	struct in_addr	a4;

	if (l->kind == CFG_LISTEN_UNIX) {
		return 1;
	}
	if (l->host == NULL) {
		return 0;	/* every address */
	}
	if (inet_pton(AF_INET, l->host, &a4) == 1) {
		return (ntohl(a4.s_addr) >> 24) == 127;
	}
	if (inet_pton(AF_INET6, l->host, &a6) == 1) {
		return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) &&
		    a6.s6_addr[12] == 127);
	}
	return 0;
}

void
config_listen_clear(struct cfg_listen *l)
{
	free(l->host);
	free(l->path);
	l->host = NULL;
	l->path = NULL;
}
