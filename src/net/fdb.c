/*
 * fdb: the forwarding database.  See fdb.h.
 *
 * Entries live in one array made at the start: a hash table of chains
 * (twice as many buckets as entries) to find an address, and a list in
 * the order entries were last heard from, oldest first, so that both
 * ageing and "forget the oldest when full" look at its head only.  A
 * refresh moves the entry to the end of the list; with time never going
 * back, the list stays in order of `seen`.  Nothing is allocated after
 * fdb_init, so a guest sending from a new address every frame costs a
 * fixed amount of memory and the time of one eviction per frame.
 */
#include <stdlib.h>
#include <string.h>

#include "fdb.h"

#define FDB_MAX_LIMIT	(1u << 24)

static uint64_t
fdb_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * Keyed so that a guest cannot pick addresses that share a chain without
 * knowing the key, which it only sees through the timing of its own
 * frames.  Not a cryptographic hash: a chain is at most max entries long
 * in any case, which bounds what such a guess could win.
 */
static uint32_t
fdb_hash(const struct fdb *f, const uint8_t mac[6])
{
	uint64_t	x = 0;
	int		i;

	for (i = 0; i < 6; i++) {
		x = x << 8 | mac[i];
	}
	x = (x ^ f->k0) * 0x9e3779b97f4a7c15ull;
	x ^= x >> 29;
	x = (x ^ f->k1) * 0xbf58476d1ce4e5b9ull;
	x ^= x >> 32;
	return (uint32_t)x & f->mask;
}

int
fdb_init(struct fdb *f, unsigned max, uint64_t age_ms, uint64_t seed)
{
	uint32_t	nb = 16;
	unsigned	i;

	memset(f, 0, sizeof *f);
	if (max < 1) {
		max = 1;
	}
	if (max > FDB_MAX_LIMIT) {
		max = FDB_MAX_LIMIT;
	}
	while (nb < 2 * max) {
		nb *= 2;
	}
	f->e = calloc(max, sizeof *f->e);
	f->bucket = malloc(nb * sizeof *f->bucket);
	if (f->e == NULL || f->bucket == NULL) {
		fdb_free(f);
		return -1;
	}
	for (i = 0; i < nb; i++) {
		f->bucket[i] = -1;
	}
	for (i = 0; i < max; i++) {
		f->e[i].hnext = i + 1 < max ? (int32_t)(i + 1) : -1;
	}
	f->mask = nb - 1;
	f->max = max;
	f->free = 0;
	f->oldest = f->newest = -1;
	f->age = age_ms;
	f->k0 = fdb_mix(seed);
	f->k1 = fdb_mix(f->k0 ^ 0x5851f42d4c957f2dull);
	return 0;
}

void
fdb_free(struct fdb *f)
{
	free(f->e);
	free(f->bucket);
	f->e = NULL;
	f->bucket = NULL;
	f->n = f->max = 0;
}

int
fdb_learnable(const uint8_t mac[6])
{
	if (mac[0] & 1) {
		return 0;
	}
	return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) != 0;
}

/* A clock that went back makes an entry young, never old. */
static int
fdb_expired(const struct fdb *f, const struct fdb_ent *e, uint64_t now)
{
	return f->age != 0 && now > e->seen && now - e->seen >= f->age;
}

static int32_t
fdb_find(const struct fdb *f, const uint8_t mac[6])
{
	int32_t	i;

	for (i = f->bucket[fdb_hash(f, mac)]; i != -1; i = f->e[i].hnext) {
		if (memcmp(f->e[i].mac, mac, 6) == 0) {
			return i;
		}
	}
	return -1;
}

static void
fdb_list_unlink(struct fdb *f, int32_t i)
{
	struct fdb_ent	*e = &f->e[i];

	if (e->older != -1) {
		f->e[e->older].newer = e->newer;
	} else {
		f->oldest = e->newer;
	}
	if (e->newer != -1) {
		f->e[e->newer].older = e->older;
	} else {
		f->newest = e->older;
	}
}

static void
fdb_list_append(struct fdb *f, int32_t i)
{
	f->e[i].older = f->newest;
	f->e[i].newer = -1;
	if (f->newest != -1) {
		f->e[f->newest].newer = i;
	} else {
		f->oldest = i;
	}
	f->newest = i;
}

static void
fdb_del(struct fdb *f, int32_t i)
{
	int32_t	*pp;

	for (pp = &f->bucket[fdb_hash(f, f->e[i].mac)]; *pp != i;
	    pp = &f->e[*pp].hnext) {
		;
	}
	*pp = f->e[i].hnext;
	fdb_list_unlink(f, i);
	f->e[i].hnext = f->free;
	f->free = i;
	f->n--;
}

int
fdb_lookup(const struct fdb *f, const uint8_t mac[6], uint64_t now)
{
	int32_t	i;

	if ((i = fdb_find(f, mac)) == -1 || fdb_expired(f, &f->e[i], now)) {
		return -1;
	}
	return f->e[i].port;
}

void
fdb_learn(struct fdb *f, const uint8_t mac[6], int port, uint64_t now)
{
	struct fdb_ent	*e;
	uint32_t	 h;
	int32_t		 i;

	if ((i = fdb_find(f, mac)) != -1) {
		e = &f->e[i];
		if (e->port != port) {
			e->port = port;
			f->moved++;
		}
		e->seen = now;
		if (i != f->newest) {
			fdb_list_unlink(f, i);
			fdb_list_append(f, i);
		}
		return;
	}
	if (f->free == -1) {
		f->evicted++;
		fdb_del(f, f->oldest);
	}
	i = f->free;
	e = &f->e[i];
	f->free = e->hnext;
	memcpy(e->mac, mac, 6);
	e->port = port;
	e->seen = now;
	h = fdb_hash(f, mac);
	e->hnext = f->bucket[h];
	f->bucket[h] = i;
	fdb_list_append(f, i);
	f->n++;
}

void
fdb_expire(struct fdb *f, uint64_t now)
{
	while (f->oldest != -1 && fdb_expired(f, &f->e[f->oldest], now)) {
		fdb_del(f, f->oldest);
	}
}

unsigned
fdb_flush_port(struct fdb *f, int port)
{
	int32_t		i, next;
	unsigned	n = 0;

	for (i = f->oldest; i != -1; i = next) {
		next = f->e[i].newer;
		if (f->e[i].port == port) {
			fdb_del(f, i);
			n++;
		}
	}
	return n;
}

const struct fdb_ent *
fdb_walk(const struct fdb *f, int32_t *cur)
{
	int32_t	i;

	if (*cur == -2) {
		return NULL;
	}
	i = *cur == -1 ? f->oldest : f->e[*cur].newer;
	if (i == -1) {
		*cur = -2;
		return NULL;
	}
	*cur = i;
	return &f->e[i];
}
