/*
 * peer: the client's policy towards the broker, over tnc (the client
 * side of Telnet, src/telnet/tnc.c, which also holds the guards against
 * a broken daemon).  See peer.h.
 *
 * We answer TTYPE with TERM, name what we want in NEW-ENVIRON, and offer
 * TTYHUB-CONTROL and BINARY; tnc answers the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../telnet/tn.h"
#include "../telnet/tnc.h"
#include "clean.h"
#include "peer.h"

#define PEER_ENV_MAX	512	/* a NEW-ENVIRON IS we build */

/* NEW-ENVIRON (RFC 1572). */
#define PEER_ENV_IS	0
#define PEER_ENV_SEND	1
#define PEER_ENV_VAR	0
#define PEER_ENV_VALUE	1
#define PEER_ENV_ESC	2
#define PEER_ENV_USERVAR 3
#define PEER_TELOPT_NEW_ENVIRON 39


struct peer {
	struct tnc		*tnc;
	const struct peer_ops	*ops;
	void			*arg;

	char			 console[TN_CTL_TEXT_MAX + 1];
	char			 mode[64];
	char			 command[32];
	int			 has_console;
	int			 has_mode;
	int			 has_command;

	int			 dead;
	int			 ctl;		/* -1 unknown, 0 refused, 1 on */
	int			 named;
	int			 broker;	/* its SEND asked for a console */
};

static const struct tnc_ops	peer_tnc_ops;

int
peer_term_valid(const char *s)
{
	return tn_term_valid(s, strlen(s));
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
	p->tnc = tnc_new(&peer_tnc_ops, p, TNC_TTYPE | TNC_ENVIRON | TNC_CTL,
	    want->term);
	if (p->tnc == NULL) {
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
	tnc_free(p->tnc);
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
	tnc_will(p->tnc, TN_TELOPT_TTYHUB);
	tnc_will(p->tnc, TNC_OPT_BINARY);
	tnc_do(p->tnc, TNC_OPT_BINARY);
}

void
peer_recv(struct peer *p, const uint8_t *buf, size_t len)
{
	if (!p->dead) {
		tnc_recv(p->tnc, buf, len);
	}
}

void
peer_send(struct peer *p, const uint8_t *buf, size_t len)
{
	if (!p->dead && len > 0) {
		tnc_send(p->tnc, buf, len);
	}
}

void
peer_break(struct peer *p)
{
	if (!p->dead) {
		tnc_break(p->tnc);
	}
}

void
peer_winsize(struct peer *p, unsigned cols, unsigned rows)
{
	tnc_winsize(p->tnc, cols, rows);
}

int
peer_request(struct peer *p, int code, const char *text)
{
	uint8_t	buf[1 + TN_CTL_TEXT_MAX];
	size_t	len = text != NULL ? strlen(text) : 0;

	if (p->ctl != 1 || p->dead) {
		return -1;
	}
	if (len > TN_CTL_TEXT_MAX) {
		len = TN_CTL_TEXT_MAX;
	}
	buf[0] = (uint8_t)code;
	if (len > 0) {
		memcpy(buf + 1, text, len);
	}
	tnc_sub(p->tnc, TN_TELOPT_TTYHUB, buf, len + 1);
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
		if ((unsigned char)*s <= PEER_ENV_USERVAR) {
			buf[(*len)++] = PEER_ENV_ESC;
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
	buf[(*len)++] = PEER_ENV_USERVAR;
	if (peer_env_field(buf, len, cap, name) == -1 || *len + 1 > cap) {
		return -1;
	}
	buf[(*len)++] = PEER_ENV_VALUE;
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
		if (b != PEER_ENV_VAR && b != PEER_ENV_USERVAR) {
			continue;
		}
		any = 1;
		n = 0;
		while (pos < len && req[pos] > PEER_ENV_USERVAR) {
			if (n < TN_ENV_NAME_MAX) {
				field[n] = (char)req[pos];
			}
			n++;
			pos++;
		}
		if (pos < len && req[pos] == PEER_ENV_ESC) {
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

	if (len == 0 || req[0] != PEER_ENV_SEND) {
		return;
	}
	buf[n++] = PEER_ENV_IS;
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
	tnc_sub(p->tnc, PEER_TELOPT_NEW_ENVIRON, (const uint8_t *)buf, n);
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
peer_tnc_data(void *arg, const uint8_t *buf, size_t len)
{
	struct peer	*p = arg;

	if (!p->dead) {
		p->ops->data(p->arg, buf, len);
	}
}

static void
peer_tnc_send(void *arg, const uint8_t *buf, size_t len)
{
	struct peer	*p = arg;

	p->ops->send(p->arg, buf, len);
}

static void
peer_tnc_sub(void *arg, uint8_t opt, const uint8_t *buf, size_t len)
{
	struct peer	*p = arg;

	if (p->dead) {
		return;
	}
	if (opt == PEER_TELOPT_NEW_ENVIRON) {
		peer_environ(p, buf, len);
	} else if (opt == TN_TELOPT_TTYHUB) {
		peer_ctl_msg(p, buf, len);
	}
}

static void
peer_tnc_opt(void *arg, uint8_t opt, int on)
{
	struct peer	*p = arg;

	if (opt != TN_TELOPT_TTYHUB || p->dead) {
		return;
	}
	if (!on && p->ctl == 1) {
		p->ctl = 0;	/* taken and then withdrawn: off from here on */
	}
	peer_ctl_answer(p, on);
}

static void
peer_tnc_fail(void *arg, const char *why)
{
	peer_fail(arg, why);
}

static const struct tnc_ops peer_tnc_ops = {
	.data = peer_tnc_data,
	.send = peer_tnc_send,
	.sub = peer_tnc_sub,
	.opt = peer_tnc_opt,
	.fail = peer_tnc_fail,
};
