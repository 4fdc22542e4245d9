/*
 * tnc: the client side of one Telnet connection, as policy over
 * libtelnet.  It is what the ttyhub client is to the broker, and what a
 * console is to a Telnet backend (a terminal server, QEMU's telnet=on
 * chardev): the peer is a server, and for a backend an untrusted one (a
 * guest controls what its serial port says).
 *
 * We let the peer ECHO and SGA and send BINARY, and will SGA, BINARY and
 * NAWS; the flags add TTYPE, NEW-ENVIRON and TTYHUB-CONTROL.  Everything
 * else is refused by libtelnet.  The same guards as the server's tn run
 * under it (tnscan.h): compression is refused before libtelnet could
 * inflate anything, subnegotiations are capped, and so are negotiations.
 * No I/O: everything comes back through struct tnc_ops, so a fuzzer
 * links just this file, tnscan.c, tn.c and libtelnet.
 */
#ifndef TTYHUB_TNC_H
#define TTYHUB_TNC_H

#include <stddef.h>
#include <stdint.h>

/* Options an owner offers or asks for (RFC 856, 857, 858, 1073). */
#define TNC_OPT_BINARY	0
#define TNC_OPT_ECHO	1
#define TNC_OPT_SGA	3
#define TNC_OPT_NAWS	31

/* What a connection takes beyond the base options. */
#define TNC_TTYPE	0x1	/* answer TTYPE SEND with the term given */
#define TNC_ENVIRON	0x2	/* take NEW-ENVIRON: its SENDs go to ops->sub */
#define TNC_CTL		0x4	/* TTYHUB-CONTROL: its messages go to ops->sub */

/*
 * What the connection tells its owner.  Buffers are borrowed for the
 * call only.  A callback must not free the tnc; after fail() the tnc
 * ignores all further input and sends nothing more.
 */
struct tnc_ops {
	/*
	 * The peer's data, in order.  Over one tnc_recv call the data
	 * never adds up to more than the bytes given to it.  May be NULL
	 * when the owner reads only through tnc_decode.
	 */
	void	(*data)(void *arg, const uint8_t *buf, size_t len);
	/* Bytes for the peer. */
	void	(*send)(void *arg, const uint8_t *buf, size_t len);
	/*
	 * A subnegotiation of an option the flags took (NEW-ENVIRON,
	 * TTYHUB-CONTROL), its body after the option byte, IACs undoubled.
	 * May be NULL when no flag asks for one.
	 */
	void	(*sub)(void *arg, uint8_t opt, const uint8_t *buf, size_t len);
	/*
	 * The peer turned an option of ours on (it said DO) or off (DONT,
	 * including a refusal of our offer, which libtelnet does not
	 * report).  Called on changes only.  May be NULL.
	 */
	void	(*opt)(void *arg, uint8_t opt, int on);
	/* The peer broke the protocol in a way we do not survive. */
	void	(*fail)(void *arg, const char *why);
};

struct tnc;

/*
 * A new connection.  term is our terminal type for TTYPE (copied; NULL
 * or not [A-Za-z0-9._+-]{1,40}: UNKNOWN).  Returns NULL when out of
 * memory.
 */
struct tnc	*tnc_new(const struct tnc_ops *ops, void *arg, unsigned flags,
		    const char *term);
void		 tnc_free(struct tnc *t);

/* Offer an option of ours (WILL), or ask the peer for one (DO). */
void		 tnc_will(struct tnc *t, uint8_t opt);
void		 tnc_do(struct tnc *t, uint8_t opt);

/*
 * Bytes received from the peer.  Plain data between commands is taken
 * in bulk (runs without IAC, and doubled IACs), the rest through
 * libtelnet.
 */
void		 tnc_recv(struct tnc *t, const uint8_t *buf, size_t len);

/*
 * From now on every byte received goes through libtelnet, and what is
 * sent through telnet_send, as before the bulk paths: slower, the same
 * events and bytes.  The reference that the unit test and the fuzzer
 * compare the bulk paths with.
 */
void		 tnc_bytewise(struct tnc *t);

/*
 * Bytes received from the peer, decoded in place: the peer's data is
 * written over buf from its start instead of going to ops->data, and
 * its length returned (never more than len).  When the peer breaks the
 * protocol, what it sent before the fault is still there and counted;
 * tnc_dead then says so.  For a console, whose reads go straight into
 * its ring.
 */
size_t		 tnc_decode(struct tnc *t, uint8_t *buf, size_t len);

/*
 * Data for the peer: IAC doubled, and every CR sent as CR NUL unless the
 * peer takes BINARY from us (RFC 854: a CR is followed by NUL or LF; a
 * typed CR LF goes as CR NUL LF, which a server reads the same way, so
 * no CR has to wait for the byte after it).
 */
void		 tnc_send(struct tnc *t, const uint8_t *buf, size_t len);

/* IAC BRK. */
void		 tnc_break(struct tnc *t);

/*
 * Our window size, sent as NAWS now if the peer asked for it, and again
 * whenever it does.  Zero fields mean unknown: nothing is sent.
 */
void		 tnc_winsize(struct tnc *t, unsigned cols, unsigned rows);

/* A subnegotiation of ours (NEW-ENVIRON IS, TTYHUB-CONTROL requests). */
void		 tnc_sub(struct tnc *t, uint8_t opt, const uint8_t *buf,
		    size_t len);

/* Has the peer failed the connection? */
int		 tnc_dead(const struct tnc *t);

#endif
