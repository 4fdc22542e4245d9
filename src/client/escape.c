/*
 * escape: the escape-character state machine.  See escape.h.
 */
#include <stdio.h>
#include <string.h>

#include "escape.h"

#define ESCAPE_CTRL(c)	((c) & 0x1f)

void
escape_init(struct escape *e, int ch)
{
	e->ch = ch;
	e->bol = 1;
	e->pending = 0;
}

static enum escape_cmd
escape_command(uint8_t b)
{
	switch (b) {
	case '.':
		return ESCAPE_DETACH;
	case 'b':
		return ESCAPE_BREAK;
	case 'r':
		return ESCAPE_RO;
	case 'w':
		return ESCAPE_RW;
	case 'f':
		return ESCAPE_FORCE;
	case 'u':
		return ESCAPE_WHO;
	case 'l':
		return ESCAPE_REPLAY;
	case ESCAPE_CTRL('Z'):
		return ESCAPE_SUSPEND;
	case '?':
		return ESCAPE_HELP;
	}
	return ESCAPE_SEND;
}

enum escape_cmd
escape_byte(struct escape *e, uint8_t b, uint8_t out[2], size_t *outlen)
{
	enum escape_cmd	cmd;

	*outlen = 0;
	if (e->pending) {
		e->pending = 0;
		if (b == e->ch) {
			out[(*outlen)++] = b;
			e->bol = 0;
			return ESCAPE_SEND;
		}
		if ((cmd = escape_command(b)) != ESCAPE_SEND) {
			/* Still at the start of a line: ~u~. works. */
			return cmd;
		}
		/* Not ours: both bytes go, as typed. */
		out[(*outlen)++] = (uint8_t)e->ch;
	} else if (e->bol && e->ch != ESCAPE_NONE && b == e->ch) {
		e->pending = 1;
		return ESCAPE_SEND;
	}
	out[(*outlen)++] = b;
	e->bol = b == '\r' || b == '\n';
	return ESCAPE_SEND;
}

int
escape_parse(const char *s, int *ch)
{
	if (strcmp(s, "none") == 0) {
		*ch = ESCAPE_NONE;
		return 0;
	}
	if (s[0] != '\0' && s[1] == '\0') {
		*ch = (unsigned char)s[0];
		return 0;
	}
	if (s[0] == '^' && s[1] != '\0' && s[2] == '\0') {
		if (s[1] == '?') {
			*ch = 0x7f;
			return 0;
		}
		if (s[1] >= '@' && s[1] <= '_') {
			*ch = ESCAPE_CTRL(s[1]);
			return 0;
		}
		if (s[1] >= 'a' && s[1] <= 'z') {
			*ch = ESCAPE_CTRL(s[1]);
			return 0;
		}
	}
	return -1;
}

const char *
escape_name(int ch, char *buf, size_t len)
{
	if (ch == ESCAPE_NONE) {
		snprintf(buf, len, "none");
	} else if (ch == 0x7f) {
		snprintf(buf, len, "^?");
	} else if (ch < 0x20) {
		snprintf(buf, len, "^%c", ch + '@');
	} else if (ch < 0x7f) {
		snprintf(buf, len, "%c", ch);
	} else {
		snprintf(buf, len, "\\x%02x", (unsigned)ch);
	}
	return buf;
}
