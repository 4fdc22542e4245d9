/*
 * tnrecv: the Telnet receive state machine of the benchmark's clients
 * (see tnrecv.h): refuse every option, skip subnegotiations, un-double
 * IAC IAC, pass payload out without copying it.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "bench.h"
#include "tnrecv.h"

#define IAC	255
#define DONT	254
#define DO	253
#define WONT	252
#define WILL	251
#define SB	250
#define SE	240
#define NEW_ENVIRON	39
#define ENV_IS		0
#define ENV_SEND	1
#define ENV_VALUE	1
#define ENV_USERVAR	3

enum {
	TNRECV_DATA = 0,	/* zero: the start state (tnrecv.h) */
	TNRECV_IAC,		/* after an IAC that starts a command */
	TNRECV_OPT,		/* after IAC DO/DONT/WILL/WONT: the option */
	TNRECV_SB,		/* inside a subnegotiation */
	TNRECV_SB_IAC		/* an IAC inside one: SE ends it */
};

static void
tnrecv_reply(struct tnrecv *r, uint8_t cmd, uint8_t opt)
{
	/* A flood of options past the buffer goes unanswered rather than
	 * overflowing it; servers send a handful. */
	if (r->nreply + 3 <= sizeof r->reply) {
		r->reply[r->nreply++] = IAC;
		r->reply[r->nreply++] = cmd;
		r->reply[r->nreply++] = opt;
	}
}

/* NEW-ENVIRON IS with the console's name (the broker's SEND asked). */
static void
tnrecv_name(struct tnrecv *r)
{
	static const uint8_t	head[] = { IAC, SB, NEW_ENVIRON, ENV_IS,
				    ENV_USERVAR, 'T', 'T', 'Y', 'H', 'U', 'B',
				    '_', 'C', 'O', 'N', 'S', 'O', 'L', 'E',
				    ENV_VALUE };
	size_t			n = strlen(r->console);

	if (r->nreply + sizeof head + n + 2 <= sizeof r->reply) {
		memcpy(r->reply + r->nreply, head, sizeof head);
		r->nreply += sizeof head;
		memcpy(r->reply + r->nreply, r->console, n);
		r->nreply += n;
		r->reply[r->nreply++] = IAC;
		r->reply[r->nreply++] = SE;
	}
}

size_t
tnrecv_next(struct tnrecv *r, const uint8_t **pp, const uint8_t *end,
    const uint8_t **span)
{
	const uint8_t	*p = *pp, *q;
	size_t		 n = 0, run;

	while (n == 0 && p < end) {
		switch (r->state) {
		case TNRECV_DATA:
			if (*p != IAC) {
				/* Plain data up to the next IAC: one span. */
				q = memchr(p, IAC, (size_t)(end - p));
				if (q == NULL) {
					q = end;
				}
				*span = p;
				n = (size_t)(q - p);
				p = q;
				break;
			}
			/*
			 * A run of IACs: pairs are data, an odd one starts a
			 * command.  The run's first half is already the
			 * un-doubled payload, so it is handed out in place
			 * (an all-0xFF stream costs one span per read, not one
			 * per byte).
			 */
			for (run = 0; p + run < end && p[run] == IAC; run++) {
			}
			*span = p;
			n = run / 2;
			p += run;
			if (run % 2) {
				r->state = TNRECV_IAC;
			}
			break;
		case TNRECV_IAC:
			if (*p == IAC) {
				/* The pair was split across two reads. */
				*span = p;
				n = 1;
				r->state = TNRECV_DATA;
			} else if (*p >= WILL && *p <= DONT) {
				r->cmd = *p;
				r->state = TNRECV_OPT;
			} else if (*p == SB) {
				r->state = TNRECV_SB;
				r->sbn = 0;
			} else {
				/* NOP, GA, ...: ignored. */
				r->state = TNRECV_DATA;
			}
			p++;
			break;
		case TNRECV_OPT:
			/* Refuse what is asked (WONT, DONT need no answer). */
			if (r->cmd == DO && *p == NEW_ENVIRON &&
			    r->console != NULL) {
				tnrecv_reply(r, WILL, *p);
			} else if (r->cmd == DO) {
				tnrecv_reply(r, WONT, *p);
			} else if (r->cmd == WILL) {
				tnrecv_reply(r, DONT, *p);
			}
			r->state = TNRECV_DATA;
			p++;
			break;
		case TNRECV_SB:
			if (*p == IAC) {
				r->state = TNRECV_SB_IAC;
			} else if (r->sbn++ == 0) {
				r->sbopt = *p;
			} else if (r->sbn == 2) {
				r->sbcmd = *p;
			}
			p++;
			break;
		case TNRECV_SB_IAC:
			r->state = *p == SE ? TNRECV_DATA : TNRECV_SB;
			if (*p == SE && r->console != NULL && r->sbn >= 2 &&
			    r->sbopt == NEW_ENVIRON && r->sbcmd == ENV_SEND) {
				tnrecv_name(r);
			}
			p++;
			break;
		}
	}
	*pp = p;
	return n;
}

int
tnrecv_flush(struct tnrecv *r, int fd)
{
	size_t	off = 0, len = r->nreply;
	ssize_t	w;
	double	end;

	if (len == 0) {
		return 0;
	}
	end = bench_now() + 5;
	while (off < len) {
		w = send(fd, r->reply + off, len - off, MSG_NOSIGNAL);
		if (w >= 0) {
			off += (size_t)w;
			continue;
		}
		if ((errno != EINTR && errno != EAGAIN) || bench_now() >= end) {
			break;
		}
		if (errno == EAGAIN) {
			/* A non-blocking socket that is full: wait for room. */
			struct pollfd	p = { fd, POLLOUT, 0 };

			(void)poll(&p, 1, 100);
		}
	}
	r->nreply = 0;
	return off == len ? 0 : -1;
}
