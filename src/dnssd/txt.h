/*
 * txt: the TXT record a ttyhubd publishes with its _ttyhub._tcp service
 * (RFC 6763), built by the daemon and read by the client, on bytes
 * alone: no Avahi, no sockets, so the unit test and fuzz-txt link only
 * this file.
 *
 * The record is DNS wire format: strings of a length byte and up to 255
 * bytes, each "key=value".  Ours (doc/PROTOCOL.md, "Discovery"):
 *
 *   txtvers=1        this layout
 *   proto=4          the broker's protocol (the client's PROTOCOL_VERSION)
 *   v=0.1.0          the daemon's version, for people
 *   serial=HEX16     changes whenever the set of consoles changes
 *   n=COUNT          how many consoles the daemon has
 *   c0=a,b,c c1=...  their names, as many as fit in TXT_RDATA_MAX
 *   ro=1             the listener makes clients read-only
 *
 * A client that finds fewer names than n asks the broker for its list.
 * What a peer sends is untrusted: every value is checked and capped, a
 * bad name is left out (so the list is incomplete and the broker is
 * asked), and nothing past TXT_RDATA_MAX is read.
 */
#ifndef TTYHUB_TXT_H
#define TTYHUB_TXT_H

#include <stddef.h>
#include <stdint.h>

/*
 * The whole record: what one mDNS packet carries comfortably (RFC 6763
 * 6.2 asks for well under 1300 bytes; Avahi sends larger, fragmented).
 */
#define TXT_RDATA_MAX	1300
#define TXT_NAME_MAX	64	/* a console's name (config.h CFG_NAME_MAX) */
#define TXT_VERSION_MAX	32
#define TXT_NAMEKEYS	16	/* c0 to c15 */

struct txt_info {
	unsigned	 txtvers;	/* 0: not ours, or no txtvers */
	unsigned	 proto;
	char		 version[TXT_VERSION_MAX + 1];	/* printable */
	uint64_t	 serial;
	int		 has_serial;
	unsigned	 count;		/* n= */
	int		 has_count;
	int		 ro;
	/* The names read, each NUL-ended, one after the other. */
	char		 names[TXT_RDATA_MAX];
	size_t		 nnames;
	size_t		 names_len;
	int		 bad;		/* names left out: the list is partial */
};

/* What the daemon publishes. */
struct txt_pub {
	const char *const	*names;		/* valid as txt_name_valid says */
	size_t			 nnames;
	uint64_t		 serial;	/* txt_serial(names) */
	const char		*version;
	unsigned		 proto;
	int			 ro;
};

/*
 * Write the record for p into buf (cap bytes, at most TXT_RDATA_MAX
 * used) and return its length, or 0 if not even the fixed strings fit.
 * Names are listed in their order until one does not fit; it and those
 * after it are left out, and n= still counts them.
 */
size_t		 txt_build(uint8_t *buf, size_t cap, const struct txt_pub *p);

/* A set of names as a serial: FNV-1a over each name and its NUL. */
uint64_t	 txt_serial(const char *const *names, size_t nnames);

/*
 * Read a record (wire format).  Returns 0 and fills *out, or -1 when it
 * is not a ttyhub record (no txtvers=1, or a string running past the
 * end); out is then cleared.
 */
int		 txt_parse(const uint8_t *rdata, size_t len,
		    struct txt_info *out);

/* Does the record list every console it counts? */
int		 txt_complete(const struct txt_info *t);

/* Is name among the names read? */
int		 txt_has_name(const struct txt_info *t, const char *name);

/* The names read: the next after prev (NULL: the first), or NULL. */
const char	*txt_name_next(const struct txt_info *t, const char *prev);

/*
 * A console's name as config.c accepts it: [A-Za-z0-9._-]{1,64}, not
 * starting with '.' or '-'; len is its length.
 */
int		 txt_name_valid(const char *s, size_t len);

#endif
