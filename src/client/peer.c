/*
 * peer: the client's Telnet policy over libtelnet.  See peer.h.
 *
 * The option table says what we do: we will SGA, BINARY, NAWS, TTYPE,
 * NEW-ENVIRON and TTYHUB-CONTROL when asked (and offer the last one and
 * BINARY ourselves); we let the server ECHO (we never echo locally), SGA
 * and send BINARY; everything else is refused by libtelnet.
 *
 * As in the server's tn.c, a shadow of libtelnet's framing (tnscan.c)
 * runs over the same bytes, for what libtelnet does not tell: a refusal
 * of an option we offered (RFC 1143 just goes back to NO, with no event)
 * and a subnegotiation longer than we will keep or broken.  Input is cut
 * after each byte the scanner acts on, so what we do happens at the same
 * point of the stream however the daemon's bytes were split into reads.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtelnet.h>

#include "../telnet/tn.h"
#include "../telnet/tnscan.h"
#include "clean.h"
#include "peer.h"

#define PEER_TERM_MAX	40
#define PEER_ENV_MAX	512	/* a NEW-ENVIRON IS we build */


struct peer {
	telnet_t		*telnet;
	const struct peer_ops	*ops;
	void			*arg;

	char			 console[TN_CTL_TEXT_MAX + 1];
	char			 mode[64];
	char			 command[32];
	char			 term[PEER_TERM_MAX + 1];
	int			 has_console;
	int			 has_mode;
	int			 has_command;

	int			 dead;
	int			 ctl;		/* -1 unknown, 0 refused, 1 on */
	int			 naws;		/* the daemon said DO NAWS */
	unsigned		 cols, rows;
	int			 named;
	int			 broker;	/* its SEND asked for a console */

	struct tnscan		 scan;
};

static const telnet_telopt_t peer_telopts[] = {
	{ TELNET_TELOPT_ECHO,		TELNET_WONT,	TELNET_DO },
	{ TELNET_TELOPT_SGA,		TELNET_WILL,	TELNET_DO },
	{ TELNET_TELOPT_BINARY,		TELNET_WILL,	TELNET_DO },
	{ TELNET_TELOPT_NAWS,		TELNET_WILL,	TELNET_DONT },
	{ TELNET_TELOPT_TTYPE,		TELNET_WILL,	TELNET_DONT },
	{ TELNET_TELOPT_NEW_ENVIRON,	TELNET_WILL,	TELNET_DONT },
	{ TN_TELOPT_TTYHUB,		TELNET_WILL,	TELNET_DONT },
	{ -1, 0, 0 }
};

static void	peer_event(telnet_t *, telnet_event_t *, void *);

int
peer_term_valid(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > PEER_TERM_MAX) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && strchr("._+-", s[i]) == NULL) {
			return 0;
		}
	}
	return 1;
}

/* Copy a wanted value; 0 when absent or too long to send. */
static int
peer_copy(char *dst, size_t len, const char *src)
{
	if (src == NULL || strlen(src) >= len) {
		dst[0] = '\0';
		return 0;
	}
	memcpy(dst, src, strlen(src) + 1);
	return 1;
}

struct peer *
peer_new(const struct peer_ops *ops, void *arg, const struct peer_want *want)
{
	struct peer	*p;

	if ((p = calloc(1, sizeof *p)) == NULL) {
		return NULL;
	}
	p->ops = ops;
	p->arg = arg;
	p->ctl = -1;
	p->has_console = peer_copy(p->console, sizeof p->console,
	    want->console);
	p->has_mode = peer_copy(p->mode, sizeof p->mode, want->mode);
	p->has_command = peer_copy(p->command, sizeof p->command,
	    want->command);
	if (want->term == NULL || !peer_term_valid(want->term)) {
		(void)peer_copy(p->term, sizeof p->term, "UNKNOWN");
	} else {
		(void)peer_copy(p->term, sizeof p->term, want->term);
	}
	if ((p->telnet = telnet_init(peer_telopts, peer_event, 0, p)) == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void
peer_free(struct peer *p)
{
	if (p == NULL) {
		return;
	}
	telnet_free(p->telnet);
	free(p);
}

static void
peer_fail(struct peer *p, const char *why)
{
	if (p->dead) {
		return;
	}
	p->dead = 1;
	p->ops->fail(p->arg, why);
}

static void
peer_ctl_answer(struct peer *p, int on)
{
	if (p->ctl != -1) {
		return;
	}
	p->ctl = on;
	p->ops->ctl_answer(p->arg, on);
}

void
peer_start(struct peer *p)
{
	telnet_negotiate(p->telnet, TELNET_WILL, TN_TELOPT_TTYHUB);
	telnet_negotiate(p->telnet, TELNET_WILL, TELNET_TELOPT_BINARY);
	telnet_negotiate(p->telnet, TELNET_DO, TELNET_TELOPT_BINARY);
}

void
peer_recv(struct peer *p, const uint8_t *buf, size_t len)
{
	size_t			from = 0, i;
	enum tnscan_seen	seen;

	for (i = 0; i < len && !p->dead; i++) {
		seen = tnscan_byte(&p->scan, buf[i]);
		if (seen == TNSCAN_NOTHING || (seen == TNSCAN_NEG &&
		    (p->scan.cmd != TELNET_DONT ||
		    p->scan.opt != TN_TELOPT_TTYHUB))) {
			continue;
		}
		if (seen != TNSCAN_NEG) {
			telnet_recv(p->telnet, (const char *)buf + from,
			    i - from);
			peer_fail(p, seen == TNSCAN_SB_TOO_LONG ?
			    "subnegotiation too long" :
			    "subnegotiation not ended by IAC SE");
			return;
		}
		telnet_recv(p->telnet, (const char *)buf + from, i + 1 - from);
		from = i + 1;
		if (!p->dead) {
			peer_ctl_answer(p, 0);
		}
	}
	if (!p->dead && from < len) {
		telnet_recv(p->telnet, (const char *)buf + from, len - from);
	}
}

void
peer_send(struct peer *p, const uint8_t *buf, size_t len)
{
	if (!p->dead && len > 0) {
		telnet_send(p->telnet, (const char *)buf, len);
	}
}

void
peer_break(struct peer *p)
{
	if (!p->dead) {
		telnet_iac(p->telnet, TELNET_BREAK);
	}
}

static void
peer_naws_send(struct peer *p)
{
	char	body[4];

	if (!p->naws || p->dead || p->cols == 0 || p->rows == 0) {
		return;
	}
	body[0] = (char)(p->cols >> 8);
	body[1] = (char)(p->cols & 0xff);
	body[2] = (char)(p->rows >> 8);
	body[3] = (char)(p->rows & 0xff);
	telnet_subnegotiation(p->telnet, TELNET_TELOPT_NAWS, body, 4);
}

void
peer_winsize(struct peer *p, unsigned cols, unsigned rows)
{
	p->cols = cols > 0xffff ? 0xffff : cols;
	p->rows = rows > 0xffff ? 0xffff : rows;
	peer_naws_send(p);
}

int
peer_request(struct peer *p, int code, const char *text)
{
	char	buf[1 + TN_CTL_TEXT_MAX];
	size_t	len = text != NULL ? strlen(text) : 0;

	if (p->ctl != 1 || p->dead) {
		return -1;
	}
	if (len > TN_CTL_TEXT_MAX) {
		len = TN_CTL_TEXT_MAX;
	}
	buf[0] = (char)code;
	if (len > 0) {
		memcpy(buf + 1, text, len);
	}
	telnet_subnegotiation(p->telnet, TN_TELOPT_TTYHUB, buf, len + 1);
	return 0;
}

int
peer_broker(const struct peer *p)
{
	return p->broker;
}

int
peer_ctl(const struct peer *p)
{
	return p->ctl;
}

/* Append a NEW-ENVIRON field to buf, ESC before the four type bytes. */
static int
peer_env_field(char *buf, size_t *len, size_t cap, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*len + 2 > cap) {
			return -1;
		}
		if ((unsigned char)*s <= TELNET_ENVIRON_USERVAR) {
			buf[(*len)++] = TELNET_ENVIRON_ESC;
		}
		buf[(*len)++] = *s;
	}
	return 0;
}

static int
peer_env_var(char *buf, size_t *len, size_t cap, const char *name,
    const char *value)
{
	if (*len + 1 > cap) {
		return -1;
	}
	buf[(*len)++] = TELNET_ENVIRON_USERVAR;
	if (peer_env_field(buf, len, cap, name) == -1 || *len + 1 > cap) {
		return -1;
	}
	buf[(*len)++] = TELNET_ENVIRON_VALUE;
	return peer_env_field(buf, len, cap, value);
}

/* Is name among the variables a SEND asks for (or does it ask for all)? */
static int
peer_env_asked(const uint8_t *req, size_t len, const char *name)
{
	size_t	pos = 1, n, want = strlen(name);
	char	field[TN_ENV_NAME_MAX + 1];
	uint8_t	b;
	int	any = 0;

	while (pos < len) {
		b = req[pos++];
		if (b != TELNET_ENVIRON_VAR && b != TELNET_ENVIRON_USERVAR) {
			continue;
		}
		any = 1;
		n = 0;
		while (pos < len && req[pos] > TELNET_ENVIRON_USERVAR) {
			if (n < TN_ENV_NAME_MAX) {
				field[n] = (char)req[pos];
			}
			n++;
			pos++;
		}
		if (pos < len && req[pos] == TELNET_ENVIRON_ESC) {
			/* Our names have no bytes to escape: not ours. */
			continue;
		}
		if (n == want && memcmp(field, name, n) == 0) {
			return 1;
		}
	}
	return !any;	/* an empty SEND asks for everything */
}

/* The broker's NEW-ENVIRON SEND: name what we want. */
static void
peer_environ(struct peer *p, const uint8_t *req, size_t len)
{
	char	buf[PEER_ENV_MAX];
	size_t	n = 0;
	int	r = 0;

	if (len == 0 || req[0] != TELNET_ENVIRON_SEND) {
		return;
	}
	buf[n++] = TELNET_ENVIRON_IS;
	p->broker = peer_env_asked(req, len, "TTYHUB_CONSOLE");
	if (p->has_console && p->broker) {
		r |= peer_env_var(buf, &n, sizeof buf, "TTYHUB_CONSOLE",
		    p->console);
	}
	if (p->has_mode && peer_env_asked(req, len, "TTYHUB_MODE")) {
		r |= peer_env_var(buf, &n, sizeof buf, "TTYHUB_MODE", p->mode);
	}
	if (p->has_command && peer_env_asked(req, len, "TTYHUB_COMMAND")) {
		r |= peer_env_var(buf, &n, sizeof buf, "TTYHUB_COMMAND",
		    p->command);
	}
	if (r != 0) {
		peer_fail(p, "console name too long");
		return;
	}
	telnet_subnegotiation(p->telnet, TELNET_TELOPT_NEW_ENVIRON, buf, n);
	if (!p->named) {
		p->named = 1;
		p->ops->named(p->arg);
	}
}

static void
peer_ctl_msg(struct peer *p, const uint8_t *buf, size_t len)
{
	char	text[4 * TN_CTL_TEXT_MAX + 1];

	if (p->ctl != 1 || len == 0) {
		return;
	}
	if (len - 1 > TN_CTL_TEXT_MAX) {
		len = TN_CTL_TEXT_MAX + 1;
	}
	(void)clean_text(text, sizeof text, buf + 1, len - 1, 1);
	p->ops->ctl(p->arg, buf[0], text);
}

static void
peer_subneg(struct peer *p, uint8_t opt, const uint8_t *buf, size_t len)
{
	switch (opt) {
	case TELNET_TELOPT_TTYPE:
		if (len > 0 && buf[0] == TELNET_TTYPE_SEND) {
			telnet_ttype_is(p->telnet, p->term);
		}
		break;
	case TELNET_TELOPT_NEW_ENVIRON:
		peer_environ(p, buf, len);
		break;
	case TN_TELOPT_TTYHUB:
		peer_ctl_msg(p, buf, len);
		break;
	}
}

static void
peer_event(telnet_t *telnet, telnet_event_t *ev, void *arg)
{
	struct peer	*p = arg;

	(void)telnet;
	if (p->dead) {
		return;
	}
	switch (ev->type) {
	case TELNET_EV_DATA:
		if (ev->data.size > 0) {
			p->ops->data(p->arg, (const uint8_t *)ev->data.buffer,
			    ev->data.size);
		}
		break;
	case TELNET_EV_SEND:
		p->ops->send(p->arg, (const uint8_t *)ev->data.buffer,
		    ev->data.size);
		break;
	case TELNET_EV_DO:
		if (ev->neg.telopt == TELNET_TELOPT_NAWS) {
			p->naws = 1;
			peer_naws_send(p);
		} else if (ev->neg.telopt == TN_TELOPT_TTYHUB) {
			peer_ctl_answer(p, 1);
		}
		break;
	case TELNET_EV_DONT:
		if (ev->neg.telopt == TELNET_TELOPT_NAWS) {
			p->naws = 0;
		} else if (ev->neg.telopt == TN_TELOPT_TTYHUB) {
			/* Taken and then withdrawn: off from here on. */
			p->ctl = p->ctl == 1 ? 0 : p->ctl;
			peer_ctl_answer(p, 0);
		}
		break;
	case TELNET_EV_SUBNEGOTIATION:
		peer_subneg(p, ev->sub.telopt, (const uint8_t *)ev->sub.buffer,
		    ev->sub.size);
		break;
	case TELNET_EV_COMPRESS:
		/* Never offered: a daemon that starts it is not ours. */
		if (ev->compress.state) {
			peer_fail(p, "the daemon started COMPRESS2 unasked");
		}
		break;
	case TELNET_EV_ERROR:
		peer_fail(p, "Telnet protocol error");
		break;
	default:
		/* WILL/WONT are answered by libtelnet from the table; IAC
		 * commands (NOP, GA, DM) mean nothing to a console. */
		break;
	}
}
