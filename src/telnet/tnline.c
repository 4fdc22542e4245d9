/*
 * tnline: a line typed at a prompt of ours.  See tnline.h.
 */
#include <string.h>

#include "tnline.h"

void
tnline_start(struct tnline *l, int hidden)
{
	tnline_wipe(l);
	l->hidden = hidden;	/* last_cr stays: it is the stream's */
}

/* Room is checked before each byte (tnline_feed). */
static void
tnline_echo(uint8_t *echo, size_t *echolen, const char *s, size_t n)
{
	memcpy(echo + *echolen, s, n);
	*echolen += n;
}

/* Erase the last character typed, and its echo. */
static void
tnline_rubout(struct tnline *l, uint8_t *echo, size_t *echolen)
{
	if (l->len == 0) {
		return;
	}
	l->len--;
	l->buf[l->len] = '\0';
	if (!l->hidden) {
		tnline_echo(echo, echolen, "\b \b", 3);
	}
}

enum tnline_result
tnline_feed(struct tnline *l, const uint8_t *buf, size_t len, size_t *used,
    uint8_t *echo, size_t *echolen)
{
	size_t	i;
	uint8_t	c;

	*echolen = 0;
	for (i = 0; i < len; i++) {
		if (TNLINE_ECHO_MAX - *echolen < 3 * TNLINE_MAX + 2) {
			break;	/* a Ctrl-U might not fit: the rest later */
		}
		c = buf[i];
		if (l->last_cr) {
			l->last_cr = 0;
			if (c == '\n' || c == '\0') {
				continue;
			}
		}
		if (c == '\r' || c == '\n') {
			l->last_cr = c == '\r';
			l->buf[l->len] = '\0';
			tnline_echo(echo, echolen, "\r\n", 2);
			*used = i + 1;
			return TNLINE_DONE;
		}
		if (c == 0x03 || c == 0x04) {
			tnline_echo(echo, echolen, "\r\n", 2);
			*used = i + 1;
			return TNLINE_QUIT;
		}
		if (c == 0x7f || c == 0x08) {
			tnline_rubout(l, echo, echolen);
		} else if (c == 0x15) {
			while (l->len > 0) {
				tnline_rubout(l, echo, echolen);
			}
		} else if (c >= 0x20 && c < 0x7f && l->len < TNLINE_MAX) {
			l->buf[l->len++] = (char)c;
			l->buf[l->len] = '\0';
			if (!l->hidden) {
				tnline_echo(echo, echolen, (const char *)&c, 1);
			}
		}
	}
	*used = i;
	return TNLINE_MORE;
}

const char *
tnline_text(const struct tnline *l)
{
	return l->buf;
}

void
tnline_wipe(struct tnline *l)
{
	explicit_bzero(l->buf, sizeof l->buf);
	l->len = 0;
}
