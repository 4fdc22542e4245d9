/*
 * config-kind: the kinds of value a key holds (config-kind.h).  Each
 * reads a value with config-value.c's readers into the key's field and
 * says what is wrong in the words the user sees; claims of paths and
 * endpoints go to the loader through the context.  The digests hash
 * parsed values, so other spellings of one value hash the same.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config-kind.h"
#include "config-value.h"

#define CFG_FNV_PRIME	0x100000001b3ULL

/* Messages. */

int
cfg_kind_bad(struct cfg_ctx *x, const char *word, const char *fmt, ...)
{
	va_list	ap;

	x->quote = 1;
	snprintf(x->word, sizeof x->word, "%s", word);
	va_start(ap, fmt);
	vsnprintf(x->why, sizeof x->why, fmt, ap);
	va_end(ap);
	return -1;
}

int
cfg_kind_fail(struct cfg_ctx *x, const char *fmt, ...)
{
	va_list	ap;

	x->quote = 0;
	x->word[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(x->why, sizeof x->why, fmt, ap);
	va_end(ap);
	return -1;
}

int
cfg_kind_must(struct cfg_ctx *x, const struct cfg_key *k, const char *value,
    const char *fallback)
{
	return cfg_kind_bad(x, value, "must be %s",
	    k->must != NULL ? k->must : fallback);
}

/*
 * Claim path or host:port for the key (how: CFG_CLAIM_*), unless this is
 * a default.
 */
static int
cfg_kind_claim(struct cfg_ctx *x, const char *word, const char *host,
    unsigned port, const char *path, int how)
{
	if (x->claim == NULL) {
		return 0;
	}
	return x->claim(x, word, host, port, path, how);
}

/* Digests. */

static void
cfg_kind_hash(uint64_t *h, const void *buf, size_t len)
{
	const unsigned char	*b = buf;
	size_t			 i;

	for (i = 0; i < len; i++) {
		*h ^= b[i];
		*h *= CFG_FNV_PRIME;
	}
}

/* "key=value\n"; the value formatted, so it is one normalised form. */
void
cfg_kind_hashf(uint64_t *h, const char *key, const char *fmt, ...)
{
	char	buf[256];
	va_list	ap;
	int	n;

	cfg_kind_hash(h, key, strlen(key));
	cfg_kind_hash(h, "=", 1);
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0) {
		cfg_kind_hash(h, buf, (size_t)n < sizeof buf ? (size_t)n :
		    sizeof buf - 1);
	}
	cfg_kind_hash(h, "\n", 1);
}

/* A string value; NULL (not given) differs from every string. */
void
cfg_kind_hashs(uint64_t *h, const char *key, const char *s)
{
	cfg_kind_hash(h, key, strlen(key));
	if (s == NULL) {
		cfg_kind_hash(h, "!\n", 2);
		return;
	}
	cfg_kind_hash(h, "=", 1);
	cfg_kind_hash(h, s, strlen(s) + 1);
	cfg_kind_hash(h, "\n", 1);
}

/* Paths. */

static int
cfg_kind_path_read(struct cfg_ctx *x, const struct cfg_key *k, void *base,
    const char *s, int sock)
{
	char	**field = CFG_FIELD(base, k->off, char *);
	char	  why[256];

	if (cfg_value_path(s, sock, why, sizeof why) == -1) {
		return cfg_kind_bad(x, s, "%s", why);
	}
	free(*field);
	if ((*field = strdup(s)) == NULL) {
		return cfg_kind_fail(x, "out of memory");
	}
	if (k->flags & CFG_K_CLAIM) {
		return cfg_kind_claim(x, s, NULL, 0, *field, 0);
	}
	return 0;
}

static int
cfg_kind_path_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	return cfg_kind_path_read(x, k, base, s, 0);
}

static int
cfg_kind_socket_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	return cfg_kind_path_read(x, k, base, s, 1);
}

static void
cfg_kind_path_digest(uint64_t *h, const struct cfg_key *k, const void *base)
{
	cfg_kind_hashs(h, k->name, *CFG_CFIELD(base, k->off, char *));
}

static void
cfg_kind_path_free(const struct cfg_key *k, void *base)
{
	char	**field = CFG_FIELD(base, k->off, char *);

	free(*field);
	*field = NULL;
}

const struct cfg_kind cfg_kind_path = {
	"path", cfg_kind_path_parse, NULL, cfg_kind_path_digest,
	cfg_kind_path_free
};

const struct cfg_kind cfg_kind_socket = {
	"socket", cfg_kind_socket_parse, NULL, cfg_kind_path_digest,
	cfg_kind_path_free
};

/* A name of a file in a fixed directory: [A-Za-z0-9._-], not ".x". */
static int
cfg_kind_word_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	char	**field = CFG_FIELD(base, k->off, char *);
	size_t	  n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-' || strspn(s,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") != n) {
		return cfg_kind_bad(x, s, "must be 1 to 64 letters, digits, "
		    "., _ or -, not starting with . or -");
	}
	free(*field);
	if ((*field = strdup(s)) == NULL) {
		return cfg_kind_fail(x, "out of memory");
	}
	return 0;
}

const struct cfg_kind cfg_kind_word = {
	"name", cfg_kind_word_parse, NULL, cfg_kind_path_digest,
	cfg_kind_path_free
};

/* Numbers and words. */

static int
cfg_kind_bool_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	if (cfg_value_bool(s, CFG_FIELD(base, k->off, int)) == -1) {
		return cfg_kind_bad(x, s, "must be yes or no");
	}
	return 0;
}

static void
cfg_kind_int_digest(uint64_t *h, const struct cfg_key *k, const void *base)
{
	cfg_kind_hashf(h, k->name, "%d", *CFG_CFIELD(base, k->off, int));
}

const struct cfg_kind cfg_kind_bool = {
	"bool", cfg_kind_bool_parse, NULL, cfg_kind_int_digest, NULL
};

static int
cfg_kind_uint_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	char	range[64];

	if (cfg_value_uint(s, (unsigned)k->min, (unsigned)k->max,
	    CFG_FIELD(base, k->off, unsigned)) == -1) {
		snprintf(range, sizeof range, "a number from %lu to %lu",
		    k->min, k->max);
		return cfg_kind_must(x, k, s, range);
	}
	return 0;
}

static void
cfg_kind_uint_digest(uint64_t *h, const struct cfg_key *k, const void *base)
{
	cfg_kind_hashf(h, k->name, "%u", *CFG_CFIELD(base, k->off, unsigned));
}

const struct cfg_kind cfg_kind_uint = {
	"uint", cfg_kind_uint_parse, NULL, cfg_kind_uint_digest, NULL
};

static int
cfg_kind_size_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	char	range[64];
	size_t	v;

	if (config_size(s, &v) == -1 || v < k->min || v > k->max) {
		snprintf(range, sizeof range, "a size from %lu to %lu", k->min,
		    k->max);
		return cfg_kind_must(x, k, s, range);
	}
	*CFG_FIELD(base, k->off, size_t) = v;
	return 0;
}

static void
cfg_kind_size_digest(uint64_t *h, const struct cfg_key *k, const void *base)
{
	cfg_kind_hashf(h, k->name, "%zu", *CFG_CFIELD(base, k->off, size_t));
}

const struct cfg_kind cfg_kind_size = {
	"size", cfg_kind_size_parse, NULL, cfg_kind_size_digest, NULL
};

static int
cfg_kind_duration_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	char		range[64];
	unsigned	ms;

	if (config_duration_ms(s, &ms) == -1 || ms < k->min || ms > k->max) {
		snprintf(range, sizeof range, "a duration from %lums to %lums",
		    k->min, k->max);
		return cfg_kind_must(x, k, s, range);
	}
	*CFG_FIELD(base, k->off, unsigned) = ms;
	return 0;
}

const struct cfg_kind cfg_kind_duration = {
	"duration", cfg_kind_duration_parse, NULL, cfg_kind_uint_digest, NULL
};

/* "a, b or c" from names. */
static void
cfg_kind_names_list(const char *const *names, char *buf, size_t len)
{
	size_t	i, n;

	buf[0] = '\0';
	for (i = 0; names[i] != NULL; i++) {
		n = strlen(buf);
		snprintf(buf + n, len - n, "%s%s", i == 0 ? "" :
		    names[i + 1] == NULL ? " or " : ", ", names[i]);
	}
}

static int
cfg_kind_enum_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	char	list[256];

	if (cfg_value_enum(s, k->names, CFG_FIELD(base, k->off, int)) ==
	    -1) {
		cfg_kind_names_list(k->names, list, sizeof list);
		return cfg_kind_must(x, k, s, list);
	}
	return 0;
}

const struct cfg_kind cfg_kind_enum = {
	"enum", cfg_kind_enum_parse, NULL, cfg_kind_int_digest, NULL
};

static int
cfg_kind_mode_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	if (cfg_value_mode(s, CFG_FIELD(base, k->off, mode_t)) == -1) {
		return cfg_kind_must(x, k, s, "an octal mode from 0 to 0777 "
		    "(e.g. 0660)");
	}
	return 0;
}

static void
cfg_kind_mode_digest(uint64_t *h, const struct cfg_key *k, const void *base)
{
	cfg_kind_hashf(h, k->name, "%o",
	    (unsigned)*CFG_CFIELD(base, k->off, mode_t));
}

const struct cfg_kind cfg_kind_mode = {
	"mode", cfg_kind_mode_parse, NULL, cfg_kind_mode_digest, NULL
};

/* Users and groups: -1 when not given, as for chown(2). */

static int
cfg_kind_user_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	if (cfg_value_uid(s, CFG_FIELD(base, k->off, uid_t)) == -1) {
		return cfg_kind_bad(x, s, "no such user");
	}
	return 0;
}

static void
cfg_kind_user_unset(const struct cfg_key *k, void *base)
{
	*CFG_FIELD(base, k->off, uid_t) = (uid_t)-1;
}

static void
cfg_kind_user_digest(uint64_t *h, const struct cfg_key *k, const void *base)
{
	cfg_kind_hashf(h, k->name, "%ld",
	    (long)*CFG_CFIELD(base, k->off, uid_t));
}

const struct cfg_kind cfg_kind_user = {
	"user", cfg_kind_user_parse, cfg_kind_user_unset,
	cfg_kind_user_digest, NULL
};

static int
cfg_kind_group_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	if (cfg_value_gid(s, CFG_FIELD(base, k->off, gid_t)) == -1) {
		return cfg_kind_bad(x, s, "no such group");
	}
	return 0;
}

static void
cfg_kind_group_unset(const struct cfg_key *k, void *base)
{
	*CFG_FIELD(base, k->off, gid_t) = (gid_t)-1;
}

static void
cfg_kind_group_digest(uint64_t *h, const struct cfg_key *k, const void *base)
{
	cfg_kind_hashf(h, k->name, "%ld",
	    (long)*CFG_CFIELD(base, k->off, gid_t));
}

const struct cfg_kind cfg_kind_group = {
	"group", cfg_kind_group_parse, cfg_kind_group_unset,
	cfg_kind_group_digest, NULL
};

/* Addresses. */

/* HOST:PORT to connect to: host at off, port at off2. */
static int
cfg_kind_hostport_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	char		**host = CFG_FIELD(base, k->off, char *);
	unsigned	 *port = CFG_FIELD(base, k->off2, unsigned);
	char		  why[256];

	free(*host);
	if (cfg_value_hostport(s, 1, host, port, why, sizeof why) == -1) {
		return cfg_kind_bad(x, s, "%s", why);
	}
	if (k->flags & CFG_K_CLAIM) {
		return cfg_kind_claim(x, s, *host, *port, NULL,
		    CFG_CLAIM_CONNECT);
	}
	return 0;
}

static void
cfg_kind_hostport_digest(uint64_t *h, const struct cfg_key *k,
    const void *base)
{
	cfg_kind_hashs(h, k->name, *CFG_CFIELD(base, k->off, char *));
	cfg_kind_hashf(h, k->name, "%u", *CFG_CFIELD(base, k->off2, unsigned));
}

const struct cfg_kind cfg_kind_hostport = {
	"host:port", cfg_kind_hostport_parse, NULL, cfg_kind_hostport_digest,
	cfg_kind_path_free
};

/* COLUMNSxROWS: columns at off, rows at off2. */
static int
cfg_kind_winsize_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	char		 num[8], must[64];
	const char	*at;
	size_t		 n;
	unsigned	 cols, rows;

	at = strchr(s, 'x');
	n = at != NULL ? (size_t)(at - s) : 0;
	if (at != NULL && n < sizeof num) {
		memcpy(num, s, n);
		num[n] = '\0';
		if (cfg_value_uint(num, (unsigned)k->min, (unsigned)k->max,
		    &cols) == 0 && cfg_value_uint(at + 1, (unsigned)k->min,
		    (unsigned)k->max, &rows) == 0) {
			*CFG_FIELD(base, k->off, unsigned) = cols;
			*CFG_FIELD(base, k->off2, unsigned) = rows;
			return 0;
		}
	}
	snprintf(must, sizeof must, "COLUMNSxROWS, each from %lu to %lu "
	    "(e.g. 80x24)", k->min, k->max);
	return cfg_kind_must(x, k, s, must);
}

static void
cfg_kind_winsize_digest(uint64_t *h, const struct cfg_key *k,
    const void *base)
{
	cfg_kind_hashf(h, k->name, "%ux%u", *CFG_CFIELD(base, k->off, unsigned),
	    *CFG_CFIELD(base, k->off2, unsigned));
}

const struct cfg_kind cfg_kind_winsize = {
	"winsize", cfg_kind_winsize_parse, NULL, cfg_kind_winsize_digest, NULL
};

/*
 * Listeners of kind k->arg, appended to the list at off (its length at
 * off2), each claimed as it is read.  A network's ports (CFG_K_NETPORT)
 * are a unix socket when the word is a path, else a TCP port (UDP with
 * CFG_K_UDP), and take no options.
 */
static int
cfg_kind_listen_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *value)
{
	struct cfg_listen	*list = CFG_FIELD(base, k->off,
				    struct cfg_listen);
	size_t			*n = CFG_FIELD(base, k->off2, size_t);
	char			 word[CFG_LINE_MAX + 1], why[256];
	const char		*s = value;
	struct cfg_listen	*l;
	enum cfg_listen_kind	 kind = (enum cfg_listen_kind)k->arg;
	size_t			 got = 0;

	if ((k->flags & CFG_K_NONE) && strcmp(value, "none") == 0) {
		return 0;
	}
	while (cfg_value_word(&s, word, sizeof word)) {
		if (*n == CFG_LISTEN_MAX) {
			return cfg_kind_bad(x, word, "more than %d %s in one "
			    "section", CFG_LISTEN_MAX, k->flags & CFG_K_NETPORT ?
			    "addresses of a kind" : "listeners");
		}
		if (k->flags & CFG_K_NETPORT) {
			if (strchr(word, ',') != NULL) {
				return cfg_kind_bad(x, word, "a network's "
				    "addresses take no options (addresses "
				    "are separated by blanks)");
			}
			kind = word[0] == '/' ? CFG_LISTEN_UNIX :
			    CFG_LISTEN_RAW;
		}
		l = &list[*n];
		if (config_listen(word, kind, l, why, sizeof why) == -1) {
			return cfg_kind_bad(x, word, "%s", why);
		}
		(*n)++;
		got++;
		if (k->flags & CFG_K_NETPORT) {
			l->telnet = 0;
		}
		if (!(k->flags & CFG_K_OPTIONS) && (l->ro || l->noreplay ||
		    l->auth)) {
			return cfg_kind_bad(x, word, "option \"%s\" is only "
			    "for console and broker listeners%s", l->ro ? "ro" :
			    l->noreplay ? "noreplay" : "auth", l->auth ? " (a "
			    "login program asks for its own password)" : "");
		}
		if (cfg_kind_claim(x, word, l->host, l->port, l->path,
		    k->flags & CFG_K_UDP ? CFG_CLAIM_UDP :
		    CFG_CLAIM_LISTEN) == -1) {
			return -1;
		}
	}
	if (got == 0) {
		return cfg_kind_bad(x, value, "give one or more addresses");
	}
	return 0;
}

static void
cfg_kind_listen_digest(uint64_t *h, const struct cfg_key *k,
    const void *base)
{
	const struct cfg_listen	*l = CFG_CFIELD(base, k->off,
				    struct cfg_listen);
	size_t			 n = *CFG_CFIELD(base, k->off2, size_t), i;

	cfg_kind_hashf(h, k->name, "%zu", n);
	for (i = 0; i < n; i++) {
		cfg_kind_hashf(h, k->name, "%d %u %o %ld %ld %d %d %d %d %d",
		    (int)l[i].kind, l[i].port, (unsigned)l[i].mode,
		    (long)l[i].owner, (long)l[i].group, l[i].telnet, l[i].ro,
		    l[i].noreplay, l[i].tls, l[i].auth);
		cfg_kind_hashs(h, "host", l[i].host);
		cfg_kind_hashs(h, "path", l[i].path);
	}
}

static void
cfg_kind_listen_free(const struct cfg_key *k, void *base)
{
	struct cfg_listen	*l = CFG_FIELD(base, k->off, struct cfg_listen);
	size_t			 n = *CFG_FIELD(base, k->off2, size_t), i;

	for (i = 0; i < n; i++) {
		config_listen_clear(&l[i]);
	}
}

const struct cfg_kind cfg_kind_listen = {
	"listeners", cfg_kind_listen_parse, NULL, cfg_kind_listen_digest,
	cfg_kind_listen_free
};

/* Lists. */

/* Users and @groups, by name or number. */
static int
cfg_kind_acl_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	struct cfg_acl	*acl = CFG_FIELD(base, k->off, struct cfg_acl);
	char		 word[CFG_LINE_MAX + 1];
	const char	*in = s;

	while (cfg_value_word(&in, word, sizeof word)) {
		if (word[0] == '@') {
			if (acl->ngids == CFG_ACL_MAX) {
				return cfg_kind_bad(x, word, "more than %d "
				    "groups", CFG_ACL_MAX);
			}
			if (word[1] == '\0') {
				return cfg_kind_bad(x, word, "give a group "
				    "after @");
			}
			if (cfg_value_gid(word + 1,
			    &acl->gids[acl->ngids]) == -1) {
				return cfg_kind_bad(x, word, "no such group");
			}
			acl->ngids++;
		} else {
			if (acl->nuids == CFG_ACL_MAX) {
				return cfg_kind_bad(x, word, "more than %d "
				    "users", CFG_ACL_MAX);
			}
			if (cfg_value_uid(word, &acl->uids[acl->nuids]) == -1) {
				return cfg_kind_bad(x, word, "no such user "
				    "(groups are written @group)");
			}
			acl->nuids++;
		}
	}
	if (acl->nuids == 0 && acl->ngids == 0) {
		return cfg_kind_bad(x, s, "give users and @groups");
	}
	acl->set = 1;
	return 0;
}

static void
cfg_kind_acl_digest(uint64_t *h, const struct cfg_key *k, const void *base)
{
	const struct cfg_acl	*a = CFG_CFIELD(base, k->off, struct cfg_acl);
	size_t			 i;

	cfg_kind_hashf(h, k->name, "%d %zu %zu", a->set, a->nuids, a->ngids);
	for (i = 0; i < a->nuids; i++) {
		cfg_kind_hashf(h, k->name, "u%lu", (unsigned long)a->uids[i]);
	}
	for (i = 0; i < a->ngids; i++) {
		cfg_kind_hashf(h, k->name, "g%lu", (unsigned long)a->gids[i]);
	}
}

const struct cfg_kind cfg_kind_acl = {
	"acl", cfg_kind_acl_parse, NULL, cfg_kind_acl_digest, NULL
};

/*
 * A NULL-ended array of strings (at most max): hashed and freed alike.
 * The parsers fill it through a pointer to the array, which gcc 12's
 * -fanalyzer follows; through a char ** it takes a string stored in a
 * loop that calls out (cfg_value_word) for a leak.
 */
static void
cfg_kind_strings_digest(uint64_t *h, const struct cfg_key *k,
    const void *base)
{
	char *const	*v = CFG_CFIELD(base, k->off, char *);
	size_t		 i;

	for (i = 0; i < k->max && v[i] != NULL; i++) {
		cfg_kind_hashs(h, k->name, v[i]);
	}
}

static void
cfg_kind_strings_free(const struct cfg_key *k, void *base)
{
	char	**v = CFG_FIELD(base, k->off, char *);
	size_t	  i;

	for (i = 0; i < k->max && v[i] != NULL; i++) {
		free(v[i]);
		v[i] = NULL;
	}
}

/*
 * One word of a command into word (CFG_LINE_MAX + 1 bytes), from *inp:
 * '...' is literal; in "..." a backslash escapes " and \ only; elsewhere
 * a backslash escapes any character.  Returns 1 for a word, 0 at the end
 * (or for quotes alone with nothing in them: "" is a word, nothing is
 * not), -1 with the reason in x.
 */
static int
cfg_kind_argv_word(struct cfg_ctx *x, const char *s, const char **inp,
    char *word)
{
	const char	*in = *inp;
	size_t		 n = 0;
	int		 quote = 0, have = 0;

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
				return cfg_kind_bad(x, s, "ends with a "
				    "backslash");
			}
			word[n++] = *++in;
		} else {
			word[n++] = *in;
		}
	}
	*inp = in;
	if (quote != 0) {
		return cfg_kind_bad(x, s, "missing closing %c", quote);
	}
	word[n] = '\0';
	return n > 0 || have;
}

/* A program and its arguments, without a shell: blanks separate words. */
static int
cfg_kind_argv_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	char		*(*argv)[] = (char *(*)[])CFG_FIELD(base, k->off,
			     char *);
	char		  word[CFG_LINE_MAX + 1];
	const char	 *in = s;
	size_t		  argc = 0;
	int		  r;

	for (;;) {
		while (cfg_value_space(*in)) {
			in++;
		}
		if (*in == '\0') {
			break;
		}
		if ((r = cfg_kind_argv_word(x, s, &in, word)) == -1) {
			return -1;
		}
		if (r == 0) {
			continue;
		}
		if (argc == k->max) {
			return cfg_kind_bad(x, s, "more than %lu words",
			    k->max);
		}
		if (argc == 0 && word[0] != '/') {
			return cfg_kind_bad(x, s, "the program must be an "
			    "absolute path (there is no shell and no PATH "
			    "search)");
		}
		if (((*argv)[argc] = strdup(word)) == NULL) {
			return cfg_kind_fail(x, "out of memory");
		}
		argc++;
	}
	if (argc == 0) {
		return cfg_kind_bad(x, s, "give a program and its arguments");
	}
	(*argv)[argc] = NULL;
	return 0;
}

const struct cfg_kind cfg_kind_argv = {
	"command", cfg_kind_argv_parse, NULL, cfg_kind_strings_digest,
	cfg_kind_strings_free
};

/* Variable names as the environment has them: [A-Z_][A-Z0-9_]*. */
static int
cfg_kind_names_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	char		*(*v)[] = (char *(*)[])CFG_FIELD(base, k->off,
			     char *);
	char		  word[CFG_LINE_MAX + 1];
	const char	 *in = s;
	size_t		  n = 0, len;

	while (cfg_value_word(&in, word, sizeof word)) {
		len = strlen(word);
		if (len > 64 || strspn(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
		    "0123456789") != len || (word[0] >= '0' &&
		    word[0] <= '9')) {
			return cfg_kind_bad(x, word, "a name is upper-case "
			    "letters, digits and _, at most 64, not starting "
			    "with a digit");
		}
		if (n == k->max) {
			return cfg_kind_bad(x, word, "more than %lu names",
			    k->max);
		}
		if (((*v)[n] = strdup(word)) == NULL) {
			return cfg_kind_fail(x, "out of memory");
		}
		n++;
	}
	if (n == 0) {
		return cfg_kind_bad(x, s, "give variable names");
	}
	(*v)[n] = NULL;
	return 0;
}

const struct cfg_kind cfg_kind_names = {
	"names", cfg_kind_names_parse, NULL, cfg_kind_strings_digest,
	cfg_kind_strings_free
};

/*
 * Host names as a browser puts them in Host (web-host): letters, digits,
 * '-' and '.', a label at most 63 and the name at most 253 bytes.
 */
static int
cfg_kind_hosts_parse(struct cfg_ctx *x, const struct cfg_key *k,
    void *base, const char *s)
{
	char		*(*v)[] = (char *(*)[])CFG_FIELD(base, k->off,
			     char *);
	char		  word[CFG_LINE_MAX + 1];
	const char	 *in = s;
	size_t		  n = 0, len, label;

	while (cfg_value_word(&in, word, sizeof word)) {
		len = strlen(word);
		if (len > 253 || strspn(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-.") != len ||
		    word[0] == '.' || word[0] == '-' || word[len - 1] == '.' ||
		    strstr(word, "..") != NULL) {
			return cfg_kind_bad(x, word, "a host name is letters, "
			    "digits, '-' and '.' (an IP address needs no "
			    "web-host)");
		}
		for (label = 0; label < len; label += strcspn(word + label,
		    ".") + 1) {
			if (strcspn(word + label, ".") > 63) {
				return cfg_kind_bad(x, word, "a label of a "
				    "host name is at most 63 bytes");
			}
		}
		if (n == k->max) {
			return cfg_kind_bad(x, word, "more than %lu names",
			    k->max);
		}
		if (((*v)[n] = strdup(word)) == NULL) {
			return cfg_kind_fail(x, "out of memory");
		}
		n++;
	}
	if (n == 0) {
		return cfg_kind_bad(x, s, "give host names");
	}
	(*v)[n] = NULL;
	return 0;
}

const struct cfg_kind cfg_kind_hosts = {
	"host names", cfg_kind_hosts_parse, NULL, cfg_kind_strings_digest,
	cfg_kind_strings_free
};
