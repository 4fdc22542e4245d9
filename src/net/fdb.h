/*
 * fdb: a switch's forwarding database, the MAC addresses it has learned
 * and the port each was last heard on.  A fixed number of entries, made
 * once: a full table forgets its oldest entry for a new one, and an
 * entry not heard from for the ageing time is gone.  Time is given by
 * the caller as a monotonic count of milliseconds.  No I/O, no clock.
 */
#ifndef TTYHUB_FDB_H
#define TTYHUB_FDB_H

#include <stddef.h>
#include <stdint.h>

#define FDB_MAX_DEFAULT		4096
#define FDB_AGE_DEFAULT		300000	/* ms, as 802.1D and Linux bridges */

struct fdb_ent {
	uint8_t		 mac[6];
	int		 port;
	uint64_t	 seen;		/* when last heard, ms */
	int32_t		 hnext;		/* bucket chain, or the free list */
	int32_t		 older;		/* the list from oldest to newest */
	int32_t		 newer;
};

struct fdb {
	struct fdb_ent	*e;
	int32_t		*bucket;
	uint32_t	 mask;		/* buckets - 1 */
	unsigned	 max;
	unsigned	 n;
	int32_t		 free;
	int32_t		 oldest;
	int32_t		 newest;
	uint64_t	 age;		/* ms; 0: entries never age */
	uint64_t	 k0, k1;	/* the hash's key */
	uint64_t	 evicted;	/* entries forgotten because full */
	uint64_t	 moved;		/* addresses heard on a new port */
};

/*
 * A table of max entries (at least 1).  seed keys its hash: give it a
 * random value, so that a guest cannot choose addresses that all land in
 * one chain.  Returns 0, or -1 if out of memory.
 */
int		 fdb_init(struct fdb *f, unsigned max, uint64_t age_ms,
		    uint64_t seed);
void		 fdb_free(struct fdb *f);

/* The port mac was learned on, or -1 if unknown or aged out by now. */
int		 fdb_lookup(const struct fdb *f, const uint8_t mac[6],
		    uint64_t now);

/* mac was heard on port at now: add it, refresh it, or move it. */
void		 fdb_learn(struct fdb *f, const uint8_t mac[6], int port,
		    uint64_t now);

/* Forget every entry older than the ageing time. */
void		 fdb_expire(struct fdb *f, uint64_t now);

/* Forget every entry on port (it is gone); returns how many. */
unsigned	 fdb_flush_port(struct fdb *f, int port);

/*
 * The entries, oldest first: *cur starts at -1; each call returns the
 * next entry, or NULL at the end.  No entry may be added or removed
 * during a walk.
 */
const struct fdb_ent *fdb_walk(const struct fdb *f, int32_t *cur);

/*
 * Whether a source address may be learned: not a group address
 * (multicast or broadcast) and not all zero.
 */
int		 fdb_learnable(const uint8_t mac[6]);

#endif
