/*
 * config-table: every key of the configuration file, one entry each
 * (after tmux's options-table.c), and the walks over them: looking a key
 * up, filling a section's defaults, its reload digest, freeing it, the
 * checks of which keys a console type takes, and the key a misspelt one
 * was meant to be.  A new key is one entry here and its line in
 * doc/ttyhub.conf.5; tests/unit/test-config.c walks the table.
 */
#ifndef TTYHUB_CONFIG_TABLE_H
#define TTYHUB_CONFIG_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "config-kind.h"

#define CFG_T(t)	(1U << (t))
#define CFG_T_SERIAL	CFG_T(CFG_BACKEND_SERIAL)
#define CFG_T_UNIX	CFG_T(CFG_BACKEND_UNIX)
#define CFG_T_TCP	CFG_T(CFG_BACKEND_TCP)
#define CFG_T_EXEC	CFG_T(CFG_BACKEND_EXEC)
#define CFG_T_PTY	CFG_T(CFG_BACKEND_PTY)
#define CFG_T_VHOST	CFG_T(CFG_BACKEND_VHOST)
#define CFG_T_VPORT	CFG_T(CFG_BACKEND_VPORT)
#define CFG_T_ALL	0x7fU
#define CFG_NTYPES	7

#define CFG_KEYS_MAX	96	/* entries of cfg_keys, at most */

extern const struct cfg_key	cfg_keys[];
extern const size_t		cfg_nkeys;

/* The console types by enum cfg_backend_kind, NULL-ended. */
extern const char *const	cfg_table_types[];

/*
 * The entry for name = value in sect, and its index in cfg_keys (what
 * keyline arrays are indexed by); NULL if there is none.
 */
const struct cfg_key *cfg_table_find(enum cfg_sect sect, const char *name,
		    const char *value, size_t *index);

/*
 * Read s into k's field in base (the section's struct): its kind's
 * parse, then the key's own rule.  The loader's keys and the defaults
 * both come here.
 */
int		 cfg_table_read(struct cfg_ctx *x, const struct cfg_key *k,
		    void *base, const char *s);

/* The line where a section gave key name (keyline: its lines), or 0. */
unsigned	 cfg_table_given(const unsigned *keyline, const char *name);

/*
 * Give a zeroed section struct its defaults: each key's default text read
 * by its kind, or the kind's "not given".  -1 (only when out of memory)
 * with the reason in why.
 */
int		 cfg_table_defaults(enum cfg_sect sect, void *base, char *why,
		    size_t whylen);

/*
 * Every key's value in its parsed form, in table order: moving lines or
 * respelling a value ("64k", "65536") changes nothing, while any change
 * of meaning, a user's uid included, changes the digest.
 */
uint64_t	 cfg_table_digest(enum cfg_sect sect, const void *base);

/* Free what the keys of sect allocated in base (not base itself). */
void		 cfg_table_free(enum cfg_sect sect, void *base);

/*
 * Console sections: the key given first (its line into *line) that does
 * not apply to type; the first key type needs that was not given.  NULL
 * if there is none.
 */
const struct cfg_key *cfg_table_misplaced(enum cfg_backend_kind type,
		    const unsigned *keyline, unsigned *line);
const struct cfg_key *cfg_table_missing(enum cfg_backend_kind type,
		    const unsigned *keyline);

/* "serial", "unix or tcp", "exec, pty or vhost-user". */
void		 cfg_table_type_list(unsigned types, char *buf, size_t len);

/*
 * The key of sect that name was most likely meant to be: at most two
 * edits away (one for names of up to four bytes), or one of the two
 * starts the other ("baudrate", "baud").  NULL if none is that close.
 */
const char	*cfg_table_suggest(enum cfg_sect sect, const char *name);

#endif
