/*
 * listing: the answers to "list" and "who", for the broker and for a
 * console's own listener: what consoles there are, and who is attached
 * to one, written into a connection's queued words.
 */
#ifndef TTYHUB_LISTING_H
#define TTYHUB_LISTING_H

#include <stddef.h>

struct conn;
struct console;
struct console_member;
struct server;

/* The prompt's table: its header line. */
void	listing_head(struct conn *to);

/*
 * One console's line: a table row for a person at an 80-column terminal
 * (table), or TTYHUB_COMMAND=list's tab-separated fields, which programs
 * read.  asker is left out of the count of clients (a command on a
 * console's own socket), or NULL.
 */
void	listing_row(struct conn *to, const struct console *con,
	    const struct console_member *asker, int table);

/*
 * Every console's line from the at'th on (a console whose rw and ro
 * lists leave the peer out has none), as long as the connection's
 * queue stays under half its cap (there may be thousands).  Returns 1
 * when the list is done, 0 when it is to go on once the socket took
 * what is queued; *at follows.  A reload in between may shift the list
 * by a line: the answer is a snapshot, not a transaction.
 */
int	listing_more(struct conn *to, struct server *srv, size_t *at,
	    int table);

/*
 * TTYHUB_COMMAND=net: every network's line, each followed by its ports'
 * lines (name: that network alone), from where *net_at and *port_at say
 * on, as long as the connection's queue stays under half its cap.
 * Returns 1 when the answer is done, 0 when it is to go on.
 */
int	listing_net_more(struct conn *to, struct server *srv,
	    const char *name, size_t *net_at, size_t *port_at);

/*
 * Who is attached to con: one line per member, and the end of the
 * answer.  With ctl, as TTYHUB-CONTROL WHO-LINE and WHO-END messages,
 * asker marked "you"; without, as TTYHUB_COMMAND=who's lines, asker left
 * out (it asked on the console's own socket) or NULL.
 */
void	listing_who(struct conn *to, const struct console *con,
	    const struct console_member *asker, int ctl);

#endif
