/*
 * gate: a network peer logs in before its connection goes on, on a
 * listener with the option auth: at a Telnet login prompt (the user
 * name echoed, the password not: we said WILL ECHO), or, for the
 * ttyhub client, by a LOGIN-ASK and its LOGIN over TTYHUB-CONTROL; on
 * a raw listener only a client certificate will do.  A peer whose
 * certificate named its user (conn->authed) passes at once.  auth.c
 * checks the password; conn_identify records who it is.
 *
 * The owner (broker.c, client.c) keeps the connection and its events,
 * and hands the gate what comes meanwhile: the end of negotiation or
 * its time (gate_begin), typed bytes (gate_data), a LOGIN message
 * (gate_ctl).  The gate answers through done, once, always from the
 * loop (never inside those calls): ok, or not (what went wrong was
 * said; the owner closes).  The owner then goes on writing (conn_later)
 * and may free the gate there: it touches nothing after calling done.
 */
#ifndef TTYHUB_GATE_H
#define TTYHUB_GATE_H

#include <stddef.h>
#include <stdint.h>

#define GATE_TRIES	3		/* failed logins, then closed */
#define GATE_LOGIN_MS	(60 * 1000)	/* to log in, in all */

struct conn;
struct gate;

typedef void	(*gate_cb)(void *arg, int ok);

struct gate	*gate_new(struct conn *c, gate_cb done, void *arg);
void		 gate_free(struct gate *g);

/* Negotiation is over (or took its time): ask. */
void		 gate_begin(struct gate *g);
/* Bytes the peer typed (the prompt starts if it had not). */
void		 gate_data(struct gate *g, const uint8_t *buf, size_t len);
/* TTYHUB-CONTROL LOGIN: "USER<TAB>PASSWORD". */
void		 gate_ctl(struct gate *g, const uint8_t *text, size_t len);

#endif
