/*
 * tnc: the client side of Telnet over libtelnet.  See tnc.h.
 *
 * libtelnet takes its option table once, at telnet_init, so the table
 * is built from the flags into the tnc itself.  As in the server's tn.c,
 * a shadow of libtelnet's framing (tnscan.c) runs over the same bytes:
 * input is cut after each byte it reports, so what we do happens at the
 * same point of the stream however the peer's bytes were split into
 * reads, and a fault is caught before libtelnet acts on its last byte.
 */
#include <stdlib.h>
#include <string.h>

#include <libtelnet.h>

#include "tn.h"
#include "tnc.h"
#include "tnscan.h"

#define TNC_OPTS_MAX	8	/* base options, the flags', and the end */
#define TNC_SEND_CHUNK	4096	/* data escaped at a time by tnc_send */

struct tnc {
	telnet_t		*telnet;
	const struct tnc_ops	*ops;
	void			*arg;
	unsigned		 flags;
	telnet_telopt_t		 telopts[TNC_OPTS_MAX];
	char			 term[TN_TERM_MAX + 1];

	int			 dead;
	int			 bytewise;	/* tnc_bytewise: no bulk path */
	size_t			 budget;	/* data still allowed this call */
	uint8_t			*out;		/* tnc_decode: the data goes here */
	size_t			 outlen;
	/* Our options: 1 the peer said DO, 0 DONT, -1 not yet either. */
	int			 naws;
	int			 binary;
	int			 ctl;
	unsigned		 cols, rows;

	struct tnscan		 scan;
};

static void	tnc_event(telnet_t *, telnet_event_t *, void *);
static void	tnc_data(struct tnc *, const uint8_t *, size_t);

static void
tnc_opt(telnet_telopt_t *o, short opt, unsigned char us, unsigned char him)
{
	o->telopt = opt;
	o->us = us;
	o->him = him;
}

struct tnc *
tnc_new(const struct tnc_ops *ops, void *arg, unsigned flags,
    const char *term)
{
	struct tnc	*t;
	size_t		 n = 0;

	if ((t = calloc(1, sizeof *t)) == NULL) {
		return NULL;
	}
	t->ops = ops;
	t->arg = arg;
	t->flags = flags;
	t->naws = t->binary = t->ctl = -1;
	tnc_opt(&t->telopts[n++], TELNET_TELOPT_ECHO, TELNET_WONT, TELNET_DO);
	tnc_opt(&t->telopts[n++], TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO);
	tnc_opt(&t->telopts[n++], TELNET_TELOPT_BINARY, TELNET_WILL, TELNET_DO);
	tnc_opt(&t->telopts[n++], TELNET_TELOPT_NAWS, TELNET_WILL, TELNET_DONT);
	if (flags & TNC_TTYPE) {
		tnc_opt(&t->telopts[n++], TELNET_TELOPT_TTYPE, TELNET_WILL,
		    TELNET_DONT);
	}
	if (flags & TNC_ENVIRON) {
		tnc_opt(&t->telopts[n++], TELNET_TELOPT_NEW_ENVIRON,
		    TELNET_WILL, TELNET_DONT);
	}
	if (flags & TNC_CTL) {
		tnc_opt(&t->telopts[n++], TN_TELOPT_TTYHUB, TELNET_WILL,
		    TELNET_DONT);
	}
	tnc_opt(&t->telopts[n], -1, 0, 0);
	if (term != NULL && tn_term_valid(term, strlen(term))) {
		memcpy(t->term, term, strlen(term) + 1);
	} else {
		memcpy(t->term, "UNKNOWN", sizeof "UNKNOWN");
	}
	if ((t->telnet = telnet_init(t->telopts, tnc_event, 0, t)) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void
tnc_free(struct tnc *t)
{
	if (t == NULL) {
		return;
	}
	telnet_free(t->telnet);
	free(t);
}

int
tnc_dead(const struct tnc *t)
{
	return t->dead;
}

static void
tnc_fail(struct tnc *t, const char *why)
{
	if (t->dead) {
		return;
	}
	t->dead = 1;
	t->ops->fail(t->arg, why);
}

void
tnc_will(struct tnc *t, uint8_t opt)
{
	if (!t->dead) {
		telnet_negotiate(t->telnet, TELNET_WILL, opt);
	}
}

void
tnc_do(struct tnc *t, uint8_t opt)
{
	if (!t->dead) {
		telnet_negotiate(t->telnet, TELNET_DO, opt);
	}
}

static void
tnc_naws_send(struct tnc *t)
{
	uint8_t	sz[4];

	if (t->naws != 1 || t->dead || t->cols == 0 || t->rows == 0) {
		return;
	}
	sz[0] = (uint8_t)(t->cols >> 8);
	sz[1] = (uint8_t)t->cols;
	sz[2] = (uint8_t)(t->rows >> 8);
	sz[3] = (uint8_t)t->rows;
	telnet_subnegotiation(t->telnet, TELNET_TELOPT_NAWS, (const char *)sz,
	    sizeof sz);
}

void
tnc_winsize(struct tnc *t, unsigned cols, unsigned rows)
{
	t->cols = cols > 0xffff ? 0xffff : cols;
	t->rows = rows > 0xffff ? 0xffff : rows;
	tnc_naws_send(t);
}

/* Our option opt is on or off now; tell the owner of a change. */
static void
tnc_us(struct tnc *t, uint8_t opt, int on)
{
	int	*state;

	switch (opt) {
	case TELNET_TELOPT_NAWS:
		state = &t->naws;
		break;
	case TELNET_TELOPT_BINARY:
		state = &t->binary;
		break;
	case TN_TELOPT_TTYHUB:
		state = &t->ctl;
		break;
	default:
		return;
	}
	if (*state == on) {
		return;
	}
	*state = on;
	if (opt == TELNET_TELOPT_NAWS) {
		tnc_naws_send(t);
	}
	if (t->ops->opt != NULL && !t->dead) {
		t->ops->opt(t->arg, opt, on);
	}
}

/*
 * Feed libtelnet in step with the scanner, from where the stream is not
 * plain data until the first byte that brings it back there (tn.c's
 * tn_framed does the same for the server).  Returns the bytes taken, at
 * least one.
 */
static size_t
tnc_framed(struct tnc *t, const uint8_t *buf, size_t len)
{
	size_t			from = 0, i;
	enum tnscan_seen	seen;

	for (i = 0; i < len && !t->dead; i++) {
		seen = tnscan_byte(&t->scan, buf[i]);
		if (tnscan_fatal(seen)) {
			/* Act on what came before, never on this byte. */
			telnet_recv(t->telnet, (const char *)buf + from,
			    i - from);
			tnc_fail(t, tnscan_why(seen));
			return len;
		}
		if (seen != TNSCAN_NEG || t->scan.cmd != TELNET_DONT) {
			if (tnscan_plain(&t->scan) && !t->bytewise) {
				i++;
				break;
			}
			continue;
		}
		/*
		 * A DONT: libtelnet says nothing when it refuses an offer
		 * still pending (RFC 1143 goes back to NO), so we look
		 * after it has acted.
		 */
		telnet_recv(t->telnet, (const char *)buf + from, i + 1 - from);
		from = i + 1;
		tnc_us(t, t->scan.opt, 0);
		if (!t->bytewise) {
			i++;
			break;
		}
	}
	if (!t->dead && from < i) {
		telnet_recv(t->telnet, (const char *)buf + from, i - from);
	}
	return i;
}

/*
 * Plain data between commands, in bulk: runs without IAC as they lie, a
 * run of doubled IACs as its first half (libtelnet raises one event per
 * IAC).  Stops at an IAC that starts a command or is cut from its pair
 * by the end of the read.  Returns the bytes taken.
 */
static size_t
tnc_plain(struct tnc *t, const uint8_t *buf, size_t len)
{
	const uint8_t	*p = buf, *end = buf + len, *iac;
	size_t		 run;

	while (p < end && !t->dead) {
		if ((iac = memchr(p, 0xff, (size_t)(end - p))) == NULL) {
			tnc_data(t, p, (size_t)(end - p));
			return len;
		}
		if (iac > p) {
			tnc_data(t, p, (size_t)(iac - p));
		}
		for (run = 1; iac + run < end && iac[run] == 0xff; run++) {
		}
		if (run >= 2 && !t->dead) {
			tnc_data(t, iac, run / 2);
		}
		p = iac + run / 2 * 2;
		if (run % 2 == 1) {
			break;
		}
	}
	return (size_t)(p - buf);
}

void
tnc_recv(struct tnc *t, const uint8_t *buf, size_t len)
{
	size_t	i = 0;

	t->budget = len;
	while (i < len && !t->dead) {
		if (!t->bytewise && tnscan_plain(&t->scan)) {
			i += tnc_plain(t, buf + i, len - i);
			if (i == len || t->dead) {
				break;
			}
		}
		i += tnc_framed(t, buf + i, len - i);
	}
}

void
tnc_bytewise(struct tnc *t)
{
	t->bytewise = 1;
}

size_t
tnc_decode(struct tnc *t, uint8_t *buf, size_t len)
{
	t->out = buf;
	t->outlen = 0;
	tnc_recv(t, buf, len);
	t->out = NULL;
	return t->outlen;
}

/*
 * Data for the peer, escaped here rather than by telnet_send, which
 * raises one event per IAC: IAC doubled, and unless the peer takes
 * BINARY from us, CR followed by NUL.  Handed on in pieces of at most
 * TNC_SEND_CHUNK bytes of data.
 */
void
tnc_send(struct tnc *t, const uint8_t *buf, size_t len)
{
	static const char	 crnul[2] = { '\r', '\0' };
	uint8_t			 out[2 * TNC_SEND_CHUNK], *o;
	const uint8_t		*cr;
	size_t			 n, i;

	if (t->dead) {
		return;
	}
	if (t->bytewise) {
		while (len > 0 && t->binary != 1 &&
		    (cr = memchr(buf, '\r', len)) != NULL) {
			telnet_send(t->telnet, (const char *)buf,
			    (size_t)(cr - buf));
			telnet_send(t->telnet, crnul, sizeof crnul);
			len -= (size_t)(cr - buf) + 1;
			buf = cr + 1;
		}
		if (len > 0) {
			telnet_send(t->telnet, (const char *)buf, len);
		}
		return;
	}
	while (len > 0 && !t->dead) {
		n = len < TNC_SEND_CHUNK ? len : TNC_SEND_CHUNK;
		if (t->binary == 1) {
			o = out + tn_escape(out, buf, n);
		} else {
			for (o = out, i = 0; i < n; i++) {
				*o++ = buf[i];
				if (buf[i] == 0xff) {
					*o++ = 0xff;
				} else if (buf[i] == '\r') {
					*o++ = '\0';
				}
			}
		}
		t->ops->send(t->arg, out, (size_t)(o - out));
		buf += n;
		len -= n;
	}
}

void
tnc_break(struct tnc *t)
{
	if (!t->dead) {
		telnet_iac(t->telnet, TELNET_BREAK);
	}
}

void
tnc_sub(struct tnc *t, uint8_t opt, const uint8_t *buf, size_t len)
{
	if (!t->dead) {
		telnet_subnegotiation(t->telnet, opt, (const char *)buf, len);
	}
}

static void
tnc_data(struct tnc *t, const uint8_t *buf, size_t len)
{
	/*
	 * Decoding only shrinks, since nothing is ever inflated (tnscan
	 * stops compression first); the owner may decode in place on that
	 * promise, so it is kept here whatever libtelnet does.
	 */
	if (len > t->budget) {
		tnc_fail(t, "the peer's data grew in decoding");
		return;
	}
	t->budget -= len;
	if (len == 0) {
		return;
	}
	if (t->out == NULL) {
		t->ops->data(t->arg, buf, len);
		return;
	}
	/*
	 * In place: libtelnet hands over slices of the buffer it is
	 * reading, in order, or a byte of its own (IAC IAC), so out +
	 * outlen never overtakes what it has still to read.  The budget
	 * just checked is the room left there.
	 */
	memmove(t->out + t->outlen, buf, len);
	t->outlen += len;
}

static void
tnc_event(telnet_t *telnet, telnet_event_t *ev, void *arg)
{
	struct tnc	*t = arg;

	(void)telnet;
	if (t->dead) {
		return;
	}
	switch (ev->type) {
	case TELNET_EV_DATA:
		tnc_data(t, (const uint8_t *)ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_SEND:
		t->ops->send(t->arg, (const uint8_t *)ev->data.buffer,
		    ev->data.size);
		break;
	case TELNET_EV_DO:
		tnc_us(t, ev->neg.telopt, 1);
		break;
	case TELNET_EV_DONT:
		tnc_us(t, ev->neg.telopt, 0);
		break;
	case TELNET_EV_TTYPE:
		if ((t->flags & TNC_TTYPE) &&
		    ev->ttype.cmd == TELNET_TTYPE_SEND) {
			telnet_ttype_is(t->telnet, t->term);
		}
		break;
	case TELNET_EV_SUBNEGOTIATION:
		if (t->ops->sub != NULL &&
		    ((ev->sub.telopt == TELNET_TELOPT_NEW_ENVIRON &&
		    (t->flags & TNC_ENVIRON)) ||
		    (ev->sub.telopt == TN_TELOPT_TTYHUB &&
		    (t->flags & TNC_CTL)))) {
			t->ops->sub(t->arg, (uint8_t)ev->sub.telopt,
			    (const uint8_t *)ev->sub.buffer, ev->sub.size);
		}
		break;
	case TELNET_EV_COMPRESS:
		/* Unreachable past tnscan; never follow it regardless. */
		tnc_fail(t, "peer started COMPRESS2 unasked");
		break;
	case TELNET_EV_ERROR:
		tnc_fail(t, "Telnet protocol error");
		break;
	default:
		/*
		 * WILL/WONT are answered by libtelnet from the table; IAC
		 * commands (NOP, GA, DM) mean nothing to a console.
		 */
		break;
	}
}
