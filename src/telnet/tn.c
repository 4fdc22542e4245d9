/*
 * tn: Telnet option policy for a login or console server, over libtelnet.
 *
 * We offer ECHO and SGA, ask for SGA, NAWS, TTYPE and NEW-ENVIRON, and take
 * BINARY in either direction when asked.  Everything else (LINEMODE,
 * AUTHENTICATION, ENCRYPT, the old ENVIRON) is refused by libtelnet because
 * it is not in the table.  COM-PORT-OPTION (RFC 2217) is taken only from
 * peers of serial consoles, when the owner asks (tn_enable_comport); its
 * meaning is rfc2217.c's and the owner's.  TTYHUB-CONTROL, our private
 * option, is taken only from broker clients (tn_enable_ctl).
 * Subnegotiations count only for options the peer has enabled, and only
 * values that pass a validator are kept.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <libtelnet.h>

#include "tn.h"
#include "tnscan.h"

/* Progress of an option we asked the peer for and need an answer to. */
enum tn_ask {
	TN_ASK_SENT,	/* DO sent, no answer yet */
	TN_ASK_AGREED,	/* WILL received, waiting for its IS */
	TN_ASK_DONE,	/* refused, or the IS arrived */
};

/*
 * tn_recv runs a shadow of libtelnet's framing (tnscan.c) over the same
 * bytes: libtelnet reports a refusal of our DO silently (the RFC 1143
 * state just goes back to NO), but we must know when the peer has
 * answered everything to start the session without waiting for a
 * timeout; and it cannot be trusted with an over-long or broken
 * subnegotiation.
 */
#define TN_TELOPT_COMPORT 44	/* RFC 2217; libtelnet has no name for it */
#define TN_ESCAPE_RUN	16	/* bytes without IAC before tn_escape uses memchr */
#define TN_OPTS_MAX	9	/* the base options, COM-PORT, TTYHUB, the end */

struct tn {
	telnet_t		*telnet;
	const struct tn_ops	*ops;
	void			*arg;
	const char *const	*accept_env;

	unsigned		 cols, rows;	/* the last NAWS, sides kept */
	int			 dead;		/* fail() was called */
	int			 is_settled;
	int			 cr_pending;	/* last byte to the terminal was CR */
	int			 bytewise;	/* tn_bytewise: no bulk path */

	/* Options in effect, from libtelnet's events. */
	int			 him_binary;
	int			 him_naws;
	int			 him_ttype;
	int			 him_environ;
	int			 him_comport;
	int			 him_ctl;

	int			 comport_ok;	/* tn_enable_comport */
	int			 ctl_ok;	/* tn_enable_ctl */

	enum tn_ask		 ask_ttype;
	enum tn_ask		 ask_environ;

	struct tnscan		 scan;


	char			 ttype[TN_TERM_MAX + 1];	/* from TTYPE */
	char			 env_term[TN_TERM_MAX + 1];	/* from NEW-ENVIRON */
	char			 user[TN_USER_MAX + 1];
	struct tn_env		*env;		/* allocated on first use */
	size_t			 env_count;
};

static void	tn_event(telnet_t *, telnet_event_t *, void *);
static void	tn_data(struct tn *, const uint8_t *, size_t);

int
tn_term_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > TN_TERM_MAX) {
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && strchr("._+-", s[i]) == NULL) {
			return 0;
		}
		if (s[i] == '\0') {
			return 0;
		}
	}
	return 1;
}

int
tn_user_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > TN_USER_MAX || s[0] == '-') {
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '\0') {
			return 0;
		}
		if (!isalnum((unsigned char)s[i]) && strchr("._-", s[i]) == NULL) {
			return 0;
		}
	}
	return 1;
}

/* An environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
static int
tn_env_name_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > TN_ENV_NAME_MAX ||
	    isdigit((unsigned char)s[0])) {
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_') {
			return 0;
		}
	}
	return 1;
}

/* A value we would put in a child's environment: printable ASCII only. */
static int
tn_env_value_valid(const char *s, size_t len)
{
	size_t	i;

	if (len > TN_ENV_VALUE_MAX) {
		return 0;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
			return 0;
		}
	}
	return 1;
}

/*
 * libtelnet's option table for what a tn takes: WILL ECHO and SGA; DO
 * SGA, NAWS, TTYPE, NEW-ENVIRON; BINARY both ways when asked; and
 * COM-PORT-OPTION and TTYHUB-CONTROL from the peer when enabled.  One
 * table per combination, built from the flags on first use and shared
 * by every connection (libtelnet keeps the pointer it is given, and
 * reads the table only).
 */
#define TN_TAKE_COMPORT	0x1
#define TN_TAKE_CTL	0x2

static const telnet_telopt_t *
tn_table(unsigned take)
{
	static telnet_telopt_t	tables[4][TN_OPTS_MAX];
	static int		built[4];
	telnet_telopt_t		*o = tables[take & 3];

	if (built[take & 3]) {
		return tables[take & 3];
	}
	built[take & 3] = 1;
	*o++ = (telnet_telopt_t){ TELNET_TELOPT_ECHO, TELNET_WILL, TELNET_DONT };
	*o++ = (telnet_telopt_t){ TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO };
	*o++ = (telnet_telopt_t){ TELNET_TELOPT_BINARY, TELNET_WILL,
	    TELNET_DO };
	*o++ = (telnet_telopt_t){ TELNET_TELOPT_NAWS, TELNET_WONT, TELNET_DO };
	*o++ = (telnet_telopt_t){ TELNET_TELOPT_TTYPE, TELNET_WONT, TELNET_DO };
	*o++ = (telnet_telopt_t){ TELNET_TELOPT_NEW_ENVIRON, TELNET_WONT,
	    TELNET_DO };
	if (take & TN_TAKE_COMPORT) {
		*o++ = (telnet_telopt_t){ TN_TELOPT_COMPORT, TELNET_WONT,
		    TELNET_DO };
	}
	if (take & TN_TAKE_CTL) {
		*o++ = (telnet_telopt_t){ TN_TELOPT_TTYHUB, TELNET_WONT,
		    TELNET_DO };
	}
	*o = (telnet_telopt_t){ -1, 0, 0 };
	return tables[take & 3];
}

struct tn *
tn_new(const struct tn_ops *ops, void *arg, const char *const *accept_env)
{
	struct tn	*tn;

	if ((tn = calloc(1, sizeof *tn)) == NULL) {
		return NULL;
	}
	tn->ops = ops;
	tn->arg = arg;
	tn->accept_env = accept_env;
	tn->telnet = telnet_init(tn_table(0), tn_event, 0, tn);
	if (tn->telnet == NULL) {
		free(tn);
		return NULL;
	}
	tn->ask_ttype = TN_ASK_DONE;
	tn->ask_environ = TN_ASK_DONE;
	return tn;
}

/*
 * libtelnet takes its option table once, at telnet_init, so a tn that
 * takes COM-PORT-OPTION or TTYHUB-CONTROL gets a telnet_t of its own,
 * with the table for what it takes.  Nothing has been received or sent
 * yet, so there is no state to carry over.
 */
static int
tn_retable(struct tn *tn, int comport, int ctl)
{
	telnet_t	*t;

	t = telnet_init(tn_table((comport ? TN_TAKE_COMPORT : 0) |
	    (ctl ? TN_TAKE_CTL : 0)), tn_event, 0, tn);
	if (t == NULL) {
		return -1;
	}
	telnet_free(tn->telnet);
	tn->telnet = t;
	tn->comport_ok = comport;
	tn->ctl_ok = ctl;
	return 0;
}

int
tn_enable_comport(struct tn *tn)
{
	if (tn->comport_ok) {
		return 0;
	}
	return tn_retable(tn, 1, tn->ctl_ok);
}

int
tn_enable_ctl(struct tn *tn)
{
	if (tn->ctl_ok) {
		return 0;
	}
	return tn_retable(tn, tn->comport_ok, 1);
}

int
tn_ctl(const struct tn *tn)
{
	return tn->him_ctl;
}

void
tn_send_ctl(struct tn *tn, enum tn_ctl_code code, const char *text,
    size_t len)
{
	char	buf[1 + TN_CTL_TEXT_MAX];

	if (!tn->him_ctl || tn->dead) {
		return;
	}
	if (len > TN_CTL_TEXT_MAX) {
		len = TN_CTL_TEXT_MAX;
	}
	buf[0] = (char)code;
	if (len > 0) {
		memcpy(buf + 1, text, len);
	}
	telnet_subnegotiation(tn->telnet, TN_TELOPT_TTYHUB, buf, len + 1);
}

int
tn_comport(const struct tn *tn)
{
	return tn->him_comport;
}

void
tn_rebind(struct tn *tn, const struct tn_ops *ops, void *arg)
{
	tn->ops = ops;
	tn->arg = arg;
}

void
tn_winsize_last(const struct tn *tn, unsigned *cols, unsigned *rows)
{
	*cols = tn->cols;
	*rows = tn->rows;
}

void
tn_free(struct tn *tn)
{
	if (tn == NULL) {
		return;
	}
	telnet_free(tn->telnet);
	free(tn->env);
	free(tn);
}

static void
tn_fail(struct tn *tn, const char *why)
{
	if (tn->dead) {
		return;
	}
	tn->dead = 1;
	tn->ops->fail(tn->arg, why);
}

static void
tn_check_settled(struct tn *tn)
{
	if (tn->is_settled || tn->dead) {
		return;
	}
	if (tn->ask_ttype == TN_ASK_DONE && tn->ask_environ == TN_ASK_DONE) {
		tn->is_settled = 1;
		tn->ops->settled(tn->arg);
	}
}

/* Anything typed settles negotiation: the peer is not waiting for us. */
static void
tn_settle_now(struct tn *tn)
{
	tn->ask_ttype = TN_ASK_DONE;
	tn->ask_environ = TN_ASK_DONE;
	tn_check_settled(tn);
}

void
tn_start(struct tn *tn)
{
	telnet_negotiate(tn->telnet, TELNET_WILL, TELNET_TELOPT_ECHO);
	telnet_negotiate(tn->telnet, TELNET_WILL, TELNET_TELOPT_SGA);
	telnet_negotiate(tn->telnet, TELNET_DO, TELNET_TELOPT_SGA);
	telnet_negotiate(tn->telnet, TELNET_DO, TELNET_TELOPT_NAWS);
	if (tn->ask_ttype == TN_ASK_DONE && !tn->him_ttype) {
		tn->ask_ttype = TN_ASK_SENT;
	}
	telnet_negotiate(tn->telnet, TELNET_DO, TELNET_TELOPT_TTYPE);
	if (tn->ask_environ == TN_ASK_DONE && !tn->him_environ) {
		tn->ask_environ = TN_ASK_SENT;
	}
	telnet_negotiate(tn->telnet, TELNET_DO, TELNET_TELOPT_NEW_ENVIRON);
}

/* Stop waiting for an answer; negotiation may now be settled. */
static void
tn_ask_done(struct tn *tn, enum tn_ask *ask)
{
	*ask = TN_ASK_DONE;
	tn_check_settled(tn);
}

/*
 * Feed libtelnet in step with the scanner, from where the stream is not
 * plain data until the first byte that brings it back there: input is
 * cut after each byte the scanner acts on, so what we do happens at the
 * same point of the stream however the peer's bytes were split into
 * reads.  Returns the bytes taken (at least one).
 */
static size_t
tn_framed(struct tn *tn, const uint8_t *buf, size_t len)
{
	size_t			from = 0, i;
	enum tnscan_seen	seen;

	for (i = 0; i < len && !tn->dead; i++) {
		seen = tnscan_byte(&tn->scan, buf[i]);
		if (seen == TNSCAN_NOTHING || (seen == TNSCAN_NEG &&
		    tn->scan.cmd != TELNET_WONT)) {
			if (tnscan_plain(&tn->scan) && !tn->bytewise) {
				i++;
				break;
			}
			continue;
		}
		if (tnscan_fatal(seen)) {
			/*
			 * libtelnet would drop the subnegotiation at 16 KiB
			 * and hand its tail to us as typed data, or inflate
			 * what follows a compression marker.  What came
			 * before this byte is acted on first, as it would be
			 * had it come in a read of its own.
			 */
			telnet_recv(tn->telnet, (const char *)buf + from,
			    i - from);
			tn_fail(tn, tnscan_why(seen));
			return len;
		}
		telnet_recv(tn->telnet, (const char *)buf + from, i + 1 - from);
		from = i + 1;
		if (tn->scan.opt == TELNET_TELOPT_TTYPE) {
			tn_ask_done(tn, &tn->ask_ttype);
		} else if (tn->scan.opt == TELNET_TELOPT_NEW_ENVIRON) {
			tn_ask_done(tn, &tn->ask_environ);
		}
		if (!tn->bytewise) {
			i++;
			break;	/* a negotiation ends on plain ground */
		}
	}
	if (!tn->dead && from < i) {
		telnet_recv(tn->telnet, (const char *)buf + from, i - from);
	}
	return i;
}

/*
 * Plain data, between commands: runs without IAC go to tn_data as they
 * lie, and a run of doubled IACs as its first half, which is already the
 * data it stands for, where libtelnet raises one event per IAC (an upload
 * of binary data is half IACs).  Stops at an IAC that starts a command,
 * or is the first of a pair cut by the end of the read, for tn_framed.
 * Returns the bytes taken.
 */
static size_t
tn_plain(struct tn *tn, const uint8_t *buf, size_t len)
{
	const uint8_t	*p = buf, *end = buf + len, *iac;
	size_t		 run;

	while (p < end && !tn->dead) {
		if ((iac = memchr(p, 0xff, (size_t)(end - p))) == NULL) {
			tn_data(tn, p, (size_t)(end - p));
			return len;
		}
		if (iac > p) {
			tn_data(tn, p, (size_t)(iac - p));
		}
		for (run = 1; iac + run < end && iac[run] == 0xff; run++) {
		}
		if (run >= 2 && !tn->dead) {
			tn_data(tn, iac, run / 2);
		}
		p = iac + run / 2 * 2;
		if (run % 2 == 1) {
			break;
		}
	}
	return (size_t)(p - buf);
}

void
tn_recv(struct tn *tn, const uint8_t *buf, size_t len)
{
	size_t	i = 0;

	if (tn->dead) {
		return;
	}
	tn_check_settled(tn);
	while (i < len && !tn->dead) {
		if (!tn->bytewise && tnscan_plain(&tn->scan)) {
			i += tn_plain(tn, buf + i, len - i);
			if (i == len || tn->dead) {
				break;
			}
		}
		i += tn_framed(tn, buf + i, len - i);
	}
	tn_check_settled(tn);
}

void
tn_bytewise(struct tn *tn)
{
	tn->bytewise = 1;
}

void
tn_send_text(struct tn *tn, const char *text, size_t len)
{
	telnet_send(tn->telnet, text, len);
}

/*
 * Data for the terminal.  Unless the peer sends BINARY, a Telnet end of
 * line is CR LF or CR NUL; the terminal wants a lone CR (its ICRNL makes
 * the newline), so the byte after a CR is dropped when it is LF or NUL.
 * cr_pending carries this across reads.
 */
static void
tn_data(struct tn *tn, const uint8_t *buf, size_t len)
{
	const uint8_t	*cr;
	size_t		 n;

	tn_settle_now(tn);
	if (tn->him_binary) {
		tn->cr_pending = 0;
		tn->ops->data(tn->arg, buf, len);
		return;
	}
	while (len > 0 && !tn->dead) {
		if (tn->cr_pending) {
			tn->cr_pending = 0;
			if (buf[0] == '\n' || buf[0] == '\0') {
				buf++;
				len--;
				continue;
			}
		}
		cr = memchr(buf, '\r', len);
		n = cr == NULL ? len : (size_t)(cr - buf) + 1;
		tn->ops->data(tn->arg, buf, n);
		tn->cr_pending = cr != NULL;
		buf += n;
		len -= n;
	}
}

static unsigned
tn_side(unsigned got, unsigned last)
{
	if (got == 0) {
		return last;	/* unknown: RFC 1073 lets us keep ours */
	}
	return got > TN_WINSIZE_MAX ? TN_WINSIZE_MAX : got;
}

static void
tn_naws(struct tn *tn, const uint8_t *buf, size_t len)
{
	if (!tn->him_naws || len != 4) {
		return;
	}
	tn->cols = tn_side((unsigned)buf[0] << 8 | buf[1], tn->cols);
	tn->rows = tn_side((unsigned)buf[2] << 8 | buf[3], tn->rows);
	tn->ops->winsize(tn->arg, tn->cols, tn->rows);
}

static void
tn_ttype(struct tn *tn, const char *name)
{
	size_t	i, len;

	if (!tn->him_ttype) {
		return;
	}
	len = strlen(name);
	if (tn->ttype[0] == '\0' && tn_term_valid(name, len)) {
		/* Terminal type names travel in upper case (RFC 1091). */
		for (i = 0; i < len; i++) {
			tn->ttype[i] = (char)tolower((unsigned char)name[i]);
		}
		tn->ttype[len] = '\0';
	}
	tn_ask_done(tn, &tn->ask_ttype);
}

static int
tn_env_accepted(const struct tn *tn, const char *name)
{
	const char *const	*p;

	if (tn->accept_env == NULL) {
		return 0;
	}
	for (p = tn->accept_env; *p != NULL; p++) {
		if (strcmp(*p, name) == 0) {
			return 1;
		}
	}
	return 0;
}

/*
 * One variable from NEW-ENVIRON IS or INFO; keep it only if allowed.  An
 * empty value, or none, means "not given": inetutils telnet answers SEND
 * by listing every name asked for, valueless, and such a name neither
 * sets a variable nor clears one given before.
 */
static void
tn_env_apply(struct tn *tn, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
	size_t	i;

	if (vlen == 0) {
		return;
	}
	if (nlen == 4 && memcmp(name, "TERM", 4) == 0) {
		if (tn_term_valid(value, vlen)) {
			for (i = 0; i < vlen; i++) {
				tn->env_term[i] =
				    (char)tolower((unsigned char)value[i]);
			}
			tn->env_term[vlen] = '\0';
		}
		return;
	}
	if (nlen == 4 && memcmp(name, "USER", 4) == 0) {
		if (tn_user_valid(value, vlen)) {
			memcpy(tn->user, value, vlen);
			tn->user[vlen] = '\0';
		}
		return;
	}
	if (!tn_env_name_valid(name, nlen) ||
	    !tn_env_value_valid(value, vlen)) {
		return;
	}
	for (i = 0; i < tn->env_count; i++) {
		if (strcmp(tn->env[i].name, name) == 0) {
			break;
		}
	}
	if (i == tn->env_count) {
		if (!tn_env_accepted(tn, name) || tn->env_count == TN_ENV_MAX) {
			return;
		}
		if (tn->env == NULL &&
		    (tn->env = calloc(TN_ENV_MAX, sizeof *tn->env)) == NULL) {
			return;
		}
		memcpy(tn->env[i].name, name, nlen);
		tn->env[i].name[nlen] = '\0';
		tn->env_count++;
	}
	memcpy(tn->env[i].value, value, vlen);
	tn->env[i].value[vlen] = '\0';
}

/*
 * Read one NEW-ENVIRON field (a name or a value) into out, undoing ESC,
 * up to the next VAR, VALUE or USERVAR.  Returns the field length, or
 * cap + 1 when it did not fit (the field is then skipped whole).
 */
static size_t
tn_env_field(const uint8_t *buf, size_t len, size_t *pos, char *out,
    size_t cap)
{
	size_t	n = 0;
	uint8_t	b;

	while (*pos < len) {
		b = buf[*pos];
		if (b == TELNET_ENVIRON_VAR || b == TELNET_ENVIRON_VALUE ||
		    b == TELNET_ENVIRON_USERVAR) {
			break;
		}
		(*pos)++;
		if (b == TELNET_ENVIRON_ESC) {
			if (*pos == len) {
				break;
			}
			b = buf[(*pos)++];
		}
		if (n < cap) {
			out[n] = (char)b;
		}
		if (n <= cap) {
			n++;
		}
	}
	return n;
}

static void
tn_environ(struct tn *tn, const uint8_t *buf, size_t len)
{
	char	name[TN_ENV_NAME_MAX + 1], value[TN_ENV_VALUE_MAX + 1];
	size_t	pos, nlen, vlen;
	uint8_t	type;

	if (!tn->him_environ || len == 0) {
		return;
	}
	if (buf[0] != TELNET_ENVIRON_IS && buf[0] != TELNET_ENVIRON_INFO) {
		return;
	}
	pos = 1;
	while (pos < len) {
		type = buf[pos++];
		if (type != TELNET_ENVIRON_VAR &&
		    type != TELNET_ENVIRON_USERVAR) {
			/* A VALUE with no name: skip to the next name. */
			(void)tn_env_field(buf, len, &pos, value,
			    TN_ENV_VALUE_MAX);
			continue;
		}
		nlen = tn_env_field(buf, len, &pos, name, TN_ENV_NAME_MAX);
		vlen = 0;
		if (pos < len && buf[pos] == TELNET_ENVIRON_VALUE) {
			pos++;
			vlen = tn_env_field(buf, len, &pos, value,
			    TN_ENV_VALUE_MAX);
		}
		if (nlen > TN_ENV_NAME_MAX || vlen > TN_ENV_VALUE_MAX) {
			continue;
		}
		name[nlen] = '\0';
		value[vlen] = '\0';
		tn_env_apply(tn, name, nlen, value, vlen);
	}
	if (buf[0] == TELNET_ENVIRON_IS) {
		tn_ask_done(tn, &tn->ask_environ);
	}
}

/*
 * Ask for the variables we would use: USER, TERM and the allowed ones.
 * Built by hand: libtelnet 0.21's telnet_begin_newenviron() leaves out
 * the SEND byte, and clients ignore the malformed request.
 */
static void
tn_environ_send(struct tn *tn)
{
	char			 buf[1 + (1 + TN_ENV_NAME_MAX) * (TN_ENV_MAX + 2)];
	const char *const	*p;
	size_t			 len = 0, n, i;

	buf[len++] = TELNET_ENVIRON_SEND;
	buf[len++] = TELNET_ENVIRON_VAR;
	memcpy(buf + len, "USER", 4);
	len += 4;
	buf[len++] = TELNET_ENVIRON_USERVAR;
	memcpy(buf + len, "TERM", 4);
	len += 4;
	for (p = tn->accept_env, i = 0; p != NULL && *p != NULL &&
	    i < TN_ENV_MAX; p++, i++) {
		n = strnlen(*p, TN_ENV_NAME_MAX);
		buf[len++] = TELNET_ENVIRON_USERVAR;
		memcpy(buf + len, *p, n);
		len += n;
	}
	telnet_subnegotiation(tn->telnet, TELNET_TELOPT_NEW_ENVIRON, buf, len);
}

static void
tn_will(struct tn *tn, uint8_t opt, int on)
{
	switch (opt) {
	case TELNET_TELOPT_BINARY:
		tn->him_binary = on;
		break;
	case TELNET_TELOPT_NAWS:
		tn->him_naws = on;
		break;
	case TELNET_TELOPT_TTYPE:
		tn->him_ttype = on;
		if (on) {
			telnet_ttype_send(tn->telnet);
		}
		if (on && tn->ask_ttype != TN_ASK_DONE) {
			tn->ask_ttype = TN_ASK_AGREED;
		} else if (!on) {
			tn_ask_done(tn, &tn->ask_ttype);
		}
		break;
	case TELNET_TELOPT_NEW_ENVIRON:
		tn->him_environ = on;
		if (on) {
			tn_environ_send(tn);
		}
		if (on && tn->ask_environ != TN_ASK_DONE) {
			tn->ask_environ = TN_ASK_AGREED;
		} else if (!on) {
			tn_ask_done(tn, &tn->ask_environ);
		}
		break;
	case TN_TELOPT_COMPORT:
		/*
		 * An RFC 2217 client moves a serial line's bytes, not a
		 * person's lines: ask for BINARY both ways, so that CR LF
		 * and CR NUL reach the device as sent, and keep it.
		 */
		tn->him_comport = on && tn->comport_ok;
		if (tn->him_comport) {
			telnet_negotiate(tn->telnet, TELNET_WILL,
			    TELNET_TELOPT_BINARY);
			telnet_negotiate(tn->telnet, TELNET_DO,
			    TELNET_TELOPT_BINARY);
		}
		break;
	case TN_TELOPT_TTYHUB:
		tn->him_ctl = on && tn->ctl_ok;
		break;
	}
}

static void
tn_iac(struct tn *tn, uint8_t cmd)
{
	switch (cmd) {
	case TELNET_IP:
		tn->ops->command(tn->arg, TN_CMD_IP);
		break;
	case TELNET_BREAK:
		tn->ops->command(tn->arg, TN_CMD_BRK);
		break;
	case TELNET_AO:
		tn->ops->command(tn->arg, TN_CMD_AO);
		break;
	case TELNET_AYT:
		tn->ops->command(tn->arg, TN_CMD_AYT);
		break;
	case TELNET_EC:
		tn->ops->command(tn->arg, TN_CMD_EC);
		break;
	case TELNET_EL:
		tn->ops->command(tn->arg, TN_CMD_EL);
		break;
	}
}

static void
tn_event(telnet_t *telnet, telnet_event_t *ev, void *arg)
{
	struct tn	*tn = arg;

	(void)telnet;
	if (tn->dead) {
		return;
	}
	switch (ev->type) {
	case TELNET_EV_DATA:
		tn_data(tn, (const uint8_t *)ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_SEND:
		tn->ops->send(tn->arg, (const uint8_t *)ev->data.buffer,
		    ev->data.size);
		break;
	case TELNET_EV_IAC:
		tn_iac(tn, ev->iac.cmd);
		break;
	case TELNET_EV_WILL:
		tn_will(tn, ev->neg.telopt, 1);
		break;
	case TELNET_EV_WONT:
		tn_will(tn, ev->neg.telopt, 0);
		break;
	case TELNET_EV_SUBNEGOTIATION:
		if (ev->sub.telopt == TELNET_TELOPT_NAWS) {
			tn_naws(tn, (const uint8_t *)ev->sub.buffer,
			    ev->sub.size);
		} else if (ev->sub.telopt == TELNET_TELOPT_NEW_ENVIRON) {
			tn_environ(tn, (const uint8_t *)ev->sub.buffer,
			    ev->sub.size);
		} else if (ev->sub.telopt == TN_TELOPT_COMPORT &&
		    tn->him_comport && tn->ops->comport != NULL) {
			tn->ops->comport(tn->arg,
			    (const uint8_t *)ev->sub.buffer, ev->sub.size);
		} else if (ev->sub.telopt == TN_TELOPT_TTYHUB &&
		    tn->him_ctl && tn->ops->ctl != NULL && ev->sub.size > 0 &&
		    ev->sub.size - 1 <= TN_CTL_TEXT_MAX) {
			tn->ops->ctl(tn->arg, (uint8_t)ev->sub.buffer[0],
			    (const uint8_t *)ev->sub.buffer + 1,
			    ev->sub.size - 1);
		}
		break;
	case TELNET_EV_TTYPE:
		if (ev->ttype.cmd == TELNET_TTYPE_IS) {
			tn_ttype(tn, ev->ttype.name);
		}
		break;
	case TELNET_EV_COMPRESS:
		/*
		 * libtelnet starts inflating input on a COMPRESS2 marker
		 * whether or not the option was ever negotiated; tnscan
		 * stops the input before the marker ends, so this is only
		 * the second line of defence.
		 */
		if (ev->compress.state) {
			tn_fail(tn, "peer started COMPRESS2 unasked");
		}
		break;
	case TELNET_EV_ERROR:
		/* libtelnet's fatal errors: out of memory, inflate. */
		tn_fail(tn, ev->error.msg != NULL ? ev->error.msg :
		    "Telnet protocol error");
		break;
	default:
		/* DO/DONT need no action; ZMP, MSSP and old ENVIRON are
		 * not ours. */
		break;
	}
}

const char *
tn_term(const struct tn *tn)
{
	if (tn->ttype[0] != '\0') {
		return tn->ttype;
	}
	return tn->env_term[0] != '\0' ? tn->env_term : NULL;
}

const char *
tn_user(const struct tn *tn)
{
	return tn->user[0] != '\0' ? tn->user : NULL;
}

size_t
tn_env_count(const struct tn *tn)
{
	return tn->env_count;
}

const struct tn_env *
tn_env_at(const struct tn *tn, size_t i)
{
	return i < tn->env_count ? &tn->env[i] : NULL;
}

int
tn_settled(const struct tn *tn)
{
	return tn->is_settled;
}

size_t
tn_escape(uint8_t *dst, const uint8_t *src, size_t len)
{
	const uint8_t	*end = src + len, *iac;
	uint8_t		*out = dst;
	size_t		 n, quiet = 0;

	/*
	 * A byte loop is fastest where IACs are dense (binary data, the
	 * all-0xFF case measured in bench/); memchr is fastest over plain
	 * text.  Copy byte by byte, and after a run of TN_ESCAPE_RUN bytes
	 * without an IAC let memchr find the next one.
	 */
	while (src < end) {
		if (quiet >= TN_ESCAPE_RUN) {
			iac = memchr(src, 0xff, (size_t)(end - src));
			n = iac == NULL ? (size_t)(end - src) : (size_t)(iac - src);
			memcpy(out, src, n);
			out += n;
			src += n;
			quiet = 0;
			continue;
		}
		if ((*out++ = *src++) == 0xff) {
			*out++ = 0xff;
			quiet = 0;
		} else
			quiet++;
	}
	return (size_t)(out - dst);
}

size_t
tn_escaped_taken(const uint8_t *esc, size_t w, int *half)
{
	size_t	i = 0, n = 0;

	*half = 0;
	while (i < w) {
		if (esc[i] == 0xff && i + 1 == w) {
			*half = 1;	/* the pair's first byte went alone */
			i++;
		} else {
			i += esc[i] == 0xff ? 2 : 1;
		}
		n++;
	}
	return n;
}
