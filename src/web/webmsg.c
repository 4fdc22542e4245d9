/*
 * webmsg: see webmsg.h.
 */
#include <stdio.h>
#include <string.h>

#include "webmsg.h"

static const char *const webmsg_words[] = {
	[WEBMSG_SIZE] = "size",
	[WEBMSG_BREAK] = "break",
	[WEBMSG_RO] = "ro",
	[WEBMSG_RW] = "rw",
	[WEBMSG_FORCE] = "force",
	[WEBMSG_WHO] = "who",
	[WEBMSG_REPLAY] = "replay",
	[WEBMSG_PING] = "ping",
	[WEBMSG_STATE] = "state",
	[WEBMSG_NOTICE] = "notice",
	[WEBMSG_ERROR] = "error",
	[WEBMSG_WHO_LINE] = "who-line",
	[WEBMSG_WHO_END] = "who-end",
	[WEBMSG_REPLAY_END] = "replay-end",
	[WEBMSG_PONG] = "pong",
};

#define WEBMSG_NWORDS	(sizeof(webmsg_words) / sizeof(webmsg_words[0]))

const char *
webmsg_word(enum webmsg_type type)
{
	if ((size_t)type >= WEBMSG_NWORDS) {
		return NULL;
	}
	return webmsg_words[type];
}

static int
webmsg_printable(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if ((s[i] < 0x20 && s[i] != '\t') || (uint8_t)s[i] >= 0x7f) {
			return 0;
		}
	}
	return 1;
}

/* 1 to digits decimal digits, no more; the value in *v. */
static int
webmsg_number(const char *s, size_t n, size_t digits, uint64_t *v)
{
	size_t	i;

	if (n == 0 || n > digits) {
		return 0;
	}
	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return 0;
		}
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return 1;
}

enum webmsg_type
webmsg_parse(const uint8_t *buf, size_t len, struct webmsg *m)
{
	const char	*s = (const char *)buf, *sp, *arg = NULL;
	size_t		 wlen, alen = 0, i;
	uint64_t	 a, b;
	int		 t = -1;

	memset(m, 0, sizeof(*m));
	sp = memchr(s, ' ', len);
	wlen = sp == NULL ? len : (size_t)(sp - s);
	if (sp != NULL) {
		arg = sp + 1;
		alen = len - wlen - 1;
	}
	for (i = WEBMSG_SIZE; i < WEBMSG_NWORDS; i++) {
		if (strlen(webmsg_words[i]) == wlen &&
		    memcmp(webmsg_words[i], s, wlen) == 0) {
			t = (int)i;
			break;
		}
	}
	if (t < 0) {
		return m->type = WEBMSG_UNKNOWN;
	}
	m->type = (enum webmsg_type)t;
	if (alen > WEBMSG_TEXT_MAX || !webmsg_printable(arg, alen)) {
		return m->type = WEBMSG_BAD;
	}
	m->text = arg != NULL ? arg : s + len;
	m->len = alen;
	switch (m->type) {
	case WEBMSG_SIZE:
		sp = arg != NULL ? memchr(arg, ' ', alen) : NULL;
		if (sp == NULL ||
		    !webmsg_number(arg, (size_t)(sp - arg), 4, &a) ||
		    !webmsg_number(sp + 1, alen - (size_t)(sp - arg) - 1, 4,
		    &b) || a < 1 || a > WEBMSG_SIZE_MAX || b < 1 ||
		    b > WEBMSG_SIZE_MAX) {
			return m->type = WEBMSG_BAD;
		}
		m->cols = (unsigned)a;
		m->rows = (unsigned)b;
		break;
	case WEBMSG_REPLAY:
		if (arg != NULL) {
			if (!webmsg_number(arg, alen, WEBMSG_COUNT_DIGITS,
			    &m->count)) {
				return m->type = WEBMSG_BAD;
			}
			m->has_count = 1;
		}
		break;
	case WEBMSG_BREAK:
	case WEBMSG_RO:
	case WEBMSG_RW:
	case WEBMSG_FORCE:
	case WEBMSG_WHO:
	case WEBMSG_REPLAY_END:
		if (arg != NULL) {
			return m->type = WEBMSG_BAD;
		}
		break;
	default:
		/* PING, PONG and the daemon's words with text: any. */
		break;
	}
	return m->type;
}

size_t
webmsg_format(char *dst, size_t cap, enum webmsg_type type,
    const char *text, size_t len)
{
	const char	*word = webmsg_word(type);
	size_t		 n, i, room, t = 0;
	uint8_t		 c;
	char		 esc[5];

	if (word == NULL || (n = strlen(word)) > cap) {
		return 0;
	}
	memcpy(dst, word, n);
	if (len == 0 || n + 1 >= cap) {
		return n;
	}
	dst[n++] = ' ';
	room = cap - n;
	if (room > WEBMSG_TEXT_MAX) {
		room = WEBMSG_TEXT_MAX;
	}
	for (i = 0; i < len; i++) {
		c = (uint8_t)text[i];
		if ((c >= 0x20 && c < 0x7f) || c == '\t') {
			if (t + 1 > room) {
				break;
			}
			dst[n + t++] = (char)c;
		} else {
			if (t + 4 > room) {
				break;
			}
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			memcpy(dst + n + t, esc, 4);
			t += 4;
		}
	}
	return n + t;
}
