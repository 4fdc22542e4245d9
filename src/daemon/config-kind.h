/*
 * config-kind: what a key of the configuration file is (struct cfg_key,
 * one entry of config-table.c's table) and the kinds of value a key can
 * hold.  A kind is four functions over the key's field: read a value into
 * it, give it its "not given" state, hash it for the reload digest, free
 * it.  So a key is data, and what a value means is written once per kind.
 */
#ifndef TTYHUB_CONFIG_KIND_H
#define TTYHUB_CONFIG_KIND_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define CFG_MSG_MAX	1024

enum cfg_sect {
	CFG_SECT_NONE,		/* before the first header */
	CFG_SECT_DAEMON,	/* [ttyhubd] */
	CFG_SECT_CONSOLE,	/* [console NAME] */
	CFG_SECT_LOGIN,		/* [login NAME] */
	CFG_SECT_NETWORK,	/* [network NAME] */
};

/*
 * What a console key is about.  A reload restarts a console whose section
 * changed at all (doc/ttyhub.conf.5, RELOADING), but only a change of its
 * backend keys needs that: the others could one day be applied to the
 * running console.  Keys of [ttyhubd], [login] and [network] sections
 * are CFG_SCOPE_SECTION.
 */
enum cfg_scope {
	CFG_SCOPE_SECTION,	/* the section as a whole */
	CFG_SCOPE_BACKEND,	/* the program, device or peer */
	CFG_SCOPE_CONSOLE,	/* the ring and the log */
	CFG_SCOPE_CLIENTS,	/* listeners, who may attach, client policy */
};

#define CFG_K_CLAIM	0x01	/* a path or endpoint: used once per file */
#define CFG_K_NONE	0x02	/* listeners: "none" is no address at all */
#define CFG_K_OPTIONS	0x04	/* listeners: ro and noreplay allowed */
#define CFG_K_REPEAT	0x08	/* may be given again: adds to the list */
#define CFG_K_NETPORT	0x10	/* listeners: a path (unix) or a TCP or
				   UDP port, no options */
#define CFG_K_UDP	0x20	/* with CFG_K_NETPORT: ports are UDP */

/* How a claim uses a TCP or UDP endpoint (struct cfg_ctx). */
#define CFG_CLAIM_CONNECT	0	/* we connect to it */
#define CFG_CLAIM_LISTEN	1	/* we listen on it, TCP */
#define CFG_CLAIM_UDP		2	/* we bind it, UDP: never one of TCP's */

struct cfg_ctx;
struct cfg_kind;

/*
 * A key.  It goes in sect; a console key applies to the types in types
 * (CFG_T_*) and is required by those in required (other sections: any
 * nonzero required).  Its value is read by kind into the field at off
 * (and off2) of the section's struct, within min and max, one of names,
 * and then checked by after, for what the kind cannot tell.  def is its
 * default as a file writes it, read the same way (NULL: the kind's "not
 * given").  must replaces what a kind says a bad value must be, where
 * the bounds do not say it well; hint is added to "only for type".
 * example is a good value other than the default, for tests.
 *
 * A name may have two entries told apart by value (match): "telnet =
 * yes" is the backend's protocol, "telnet = 7001" a listener.  Keys that
 * fill one field (telnet, raw and unix: the console's listener list)
 * share it; it is hashed and freed once.
 */
struct cfg_key {
	const char		*name;
	enum cfg_sect		 sect;
	unsigned		 types;
	unsigned		 required;
	int			(*match)(const char *);
	const struct cfg_kind	*kind;
	int			(*after)(struct cfg_ctx *,
				    const struct cfg_key *, void *,
				    const char *);
	size_t			 off;
	size_t			 off2;		/* a port, rows, a count */
	unsigned long		 min, max;
	const char *const	*names;		/* NULL-ended */
	int			 arg;		/* enum cfg_listen_kind */
	unsigned		 flags;		/* CFG_K_* */
	enum cfg_scope		 scope;
	const char		*def;
	const char		*must;
	const char		*hint;
	const char		*example;
	const char		*help;		/* one line */
};

/*
 * A kind of value, over the key's field in base, the section's struct.
 * parse reads a value into it (replacing a default); unset gives a key
 * without a default its "not given" state (NULL: all zero); digest hashes
 * it in a form that is the same for every spelling of the same value;
 * free (NULL: nothing) frees what parse allocated, also after a parse
 * that failed half-way, and leaves the field empty.  base is a parameter
 * of its own rather than a member of the context: gcc 12's -fanalyzer
 * loses what is stored through a pointer read from a struct once the
 * function calls out, and calls each such string a leak.
 */
struct cfg_kind {
	const char	*name;
	int		(*parse)(struct cfg_ctx *, const struct cfg_key *,
			    void *, const char *);
	void		(*unset)(const struct cfg_key *, void *);
	void		(*digest)(uint64_t *, const struct cfg_key *,
			    const void *);
	void		(*free)(const struct cfg_key *, void *);
};

/*
 * What a parse is given, and where it says what is wrong: the message
 * alone, or (quote) about word, which the caller puts in a message as
 * KEY "WORD": why.  claim (NULL for defaults: nothing is claimed) asks
 * the loader whether a path or TCP or UDP endpoint is still free in this
 * file (how: CFG_CLAIM_*), and fails like a parse.
 */
struct cfg_ctx {
	const unsigned	*keyline;	/* by cfg_keys index: where each key
					   was given; NULL for defaults */
	int		(*claim)(struct cfg_ctx *, const char *word,
			    const char *host, unsigned port, const char *path,
			    int how);
	void		*arg;		/* claim's */
	int		 quote;
	char		 word[CFG_LINE_MAX + 1];
	char		 why[CFG_MSG_MAX];
};

/* The field at off in base, as a type. */
#define CFG_FIELD(base, off, type)					\
	((type *)(void *)((char *)(base) + (off)))
#define CFG_CFIELD(base, off, type)					\
	((type const *)(const void *)((const char *)(base) + (off)))

/* Fail the parse: a message about word, or one alone.  Return -1. */
int		 cfg_kind_bad(struct cfg_ctx *x, const char *word,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int		 cfg_kind_fail(struct cfg_ctx *x, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* "must be ...": k->must, else what the kind says. */
int		 cfg_kind_must(struct cfg_ctx *x, const struct cfg_key *k,
		    const char *value, const char *fallback);

/* Digests: FNV-1a over "key=value\n" lines. */
#define CFG_FNV_BASIS	0xcbf29ce484222325ULL
void		 cfg_kind_hashf(uint64_t *h, const char *key,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void		 cfg_kind_hashs(uint64_t *h, const char *key, const char *s);

/*
 * The kinds, each with the type of the field it fills (and of the second
 * one, at off2): config-table.c's entries are checked against these when
 * they compile.  min and max bound numbers; for arrays of strings, max is
 * the most they hold.
 */
extern const struct cfg_kind	cfg_kind_path;		/* absolute path */
#define CFG_CHECK_cfg_kind_path(f)	_Generic((f), char *: 1)
extern const struct cfg_kind	cfg_kind_socket;	/* fits sun_path */
#define CFG_CHECK_cfg_kind_socket(f)	_Generic((f), char *: 1)
extern const struct cfg_kind	cfg_kind_word;		/* a file's name */
#define CFG_CHECK_cfg_kind_word(f)	_Generic((f), char *: 1)
extern const struct cfg_kind	cfg_kind_bool;
#define CFG_CHECK_cfg_kind_bool(f)	_Generic((f), int: 1)
extern const struct cfg_kind	cfg_kind_uint;
#define CFG_CHECK_cfg_kind_uint(f)	_Generic((f), unsigned: 1)
extern const struct cfg_kind	cfg_kind_size;		/* 64k, 1m */
#define CFG_CHECK_cfg_kind_size(f)	_Generic((f), size_t: 1)
extern const struct cfg_kind	cfg_kind_duration;	/* in ms */
#define CFG_CHECK_cfg_kind_duration(f)	_Generic((f), unsigned: 1)
extern const struct cfg_kind	cfg_kind_enum;		/* index in names */
#define CFG_CHECK_cfg_kind_enum(f)	char[sizeof(f) == sizeof(int) ? 1 : -1]
extern const struct cfg_kind	cfg_kind_mode;
#define CFG_CHECK_cfg_kind_mode(f)	_Generic((f), mode_t: 1)
extern const struct cfg_kind	cfg_kind_user;		/* -1: not given */
#define CFG_CHECK_cfg_kind_user(f)	_Generic((f), uid_t: 1)
extern const struct cfg_kind	cfg_kind_group;		/* -1: not given */
#define CFG_CHECK_cfg_kind_group(f)	_Generic((f), gid_t: 1)
extern const struct cfg_kind	cfg_kind_hostport;	/* host, port */
#define CFG_CHECK_cfg_kind_hostport(f)	_Generic((f), char *: 1)
#define CFG_CHECK2_cfg_kind_hostport(f)	_Generic((f), unsigned: 1)
extern const struct cfg_kind	cfg_kind_winsize;	/* cols, rows */
#define CFG_CHECK_cfg_kind_winsize(f)	_Generic((f), unsigned: 1)
#define CFG_CHECK2_cfg_kind_winsize(f)	_Generic((f), unsigned: 1)
extern const struct cfg_kind	cfg_kind_listen;	/* list, length */
#define CFG_CHECK_cfg_kind_listen(f)	_Generic((f), struct cfg_listen *: 1)
#define CFG_CHECK2_cfg_kind_listen(f)	_Generic((f), size_t: 1)
extern const struct cfg_kind	cfg_kind_acl;
#define CFG_CHECK_cfg_kind_acl(f)	_Generic((f), struct cfg_acl: 1)
extern const struct cfg_kind	cfg_kind_argv;		/* a command */
#define CFG_CHECK_cfg_kind_argv(f)	_Generic((f), char **: 1)
extern const struct cfg_kind	cfg_kind_names;		/* env names */
#define CFG_CHECK_cfg_kind_names(f)	_Generic((f), char **: 1)
extern const struct cfg_kind	cfg_kind_hosts;		/* DNS names */
#define CFG_CHECK_cfg_kind_hosts(f)	_Generic((f), char **: 1)

#endif
