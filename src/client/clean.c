/*
 * clean: bytes from the network, made harmless.  See clean.h.
 *
 * Console output (clean_feed):
 *   printable ASCII, TAB, LF     as they are
 *   CR LF, CR CR LF              LF (a pty's ONLCR makes CR CR LF of CR LF)
 *   a CR not before LF           ^M (it could overwrite what was shown)
 *   other C0 controls, DEL       ^@ .. ^_, ^? (so ESC [ 2 J reads ^[[2J)
 *   UTF-8 for U+00A0 and up      as it is
 *   UTF-8 for U+0080..U+009F     \xC2\x9B: C1 controls (0x9B is CSI)
 *   anything not UTF-8           \xNN per byte: overlong forms,
 *                                surrogates, past U+10FFFF, stray bytes
 */
#include <stdio.h>
#include <string.h>

#include "clean.h"

#define CLEAN_CR_HELD	2	/* CRs held back; more are shown at once */

static const char clean_hex[] = "0123456789abcdef";

void
clean_init(struct clean *st)
{
	memset(st, 0, sizeof *st);
}

static size_t
clean_hexbyte(uint8_t *out, uint8_t b)
{
	out[0] = '\\';
	out[1] = 'x';
	out[2] = (uint8_t)clean_hex[b >> 4];
	out[3] = (uint8_t)clean_hex[b & 0xf];
	return 4;
}

/* The bytes of a sequence that did not complete, each as \xNN. */
static size_t
clean_flush_pend(struct clean *st, uint8_t *out)
{
	size_t	i, n = 0;

	for (i = 0; i < st->npend; i++) {
		n += clean_hexbyte(out + n, st->pend[i]);
	}
	st->npend = 0;
	st->need = 0;
	return n;
}

/* The CRs held back, shown: no LF came after them. */
static size_t
clean_flush_cr(struct clean *st, uint8_t *out)
{
	size_t	n = 0;

	for (; st->cr > 0; st->cr--) {
		out[n++] = '^';
		out[n++] = 'M';
	}
	return n;
}

/* A single byte below 0x80. */
static size_t
clean_ascii(struct clean *st, uint8_t b, uint8_t *out)
{
	size_t	n = 0;

	if (b == '\r') {
		if (st->cr == CLEAN_CR_HELD) {
			out[n++] = '^';
			out[n++] = 'M';
		} else {
			st->cr++;
		}
		return n;
	}
	if (b == '\n') {
		st->cr = 0;
		out[n++] = '\n';
		return n;
	}
	n += clean_flush_cr(st, out);
	if ((b >= 0x20 && b < 0x7f) || b == '\t') {
		out[n++] = b;
	} else {
		out[n++] = '^';
		out[n++] = b == 0x7f ? '?' : (uint8_t)(b + '@');
	}
	return n;
}

/* Is the complete sequence in st->pend valid UTF-8 for a character we show? */
static int
clean_utf8_ok(const struct clean *st)
{
	const uint8_t	*p = st->pend;
	unsigned long	 cp;

	switch (st->npend) {
	case 2:
		cp = (unsigned long)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
		return cp >= 0xa0;	/* not overlong, not C1 */
	case 3:
		cp = (unsigned long)(p[0] & 0x0f) << 12 |
		    (unsigned long)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		return cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff);
	case 4:
		cp = (unsigned long)(p[0] & 0x07) << 18 |
		    (unsigned long)(p[1] & 0x3f) << 12 |
		    (unsigned long)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
		return cp >= 0x10000 && cp <= 0x10ffff;
	}
	return 0;
}

size_t
clean_feed(struct clean *st, const uint8_t *in, size_t len, uint8_t *out)
{
	size_t	i, n = 0;
	uint8_t	b;

	for (i = 0; i < len; i++) {
		b = in[i];
		if (st->npend > 0) {
			if ((b & 0xc0) == 0x80) {
				st->pend[st->npend++] = b;
				if (st->npend < st->need) {
					continue;
				}
				if (clean_utf8_ok(st)) {
					memcpy(out + n, st->pend, st->npend);
					n += st->npend;
					st->npend = 0;
					st->need = 0;
				} else {
					n += clean_flush_pend(st, out + n);
				}
				continue;
			}
			/* Cut short: what came so far is not text. */
			n += clean_flush_pend(st, out + n);
		}
		if (b < 0x80) {
			n += clean_ascii(st, b, out + n);
			continue;
		}
		n += clean_flush_cr(st, out + n);
		if (b >= 0xc2 && b <= 0xdf) {
			st->need = 2;
		} else if (b >= 0xe0 && b <= 0xef) {
			st->need = 3;
		} else if (b >= 0xf0 && b <= 0xf4) {
			st->need = 4;
		} else {
			n += clean_hexbyte(out + n, b);
			continue;
		}
		st->pend[0] = b;
		st->npend = 1;
	}
	return n;
}

size_t
clean_finish(struct clean *st, uint8_t *out)
{
	size_t	n = clean_flush_pend(st, out);

	return n + clean_flush_cr(st, out + n);
}

size_t
clean_text(char *dst, size_t dstlen, const void *src, size_t len, int tab)
{
	const uint8_t	*p = src;
	size_t		 i, n = 0;
	uint8_t		 esc[4];

	if (dstlen == 0) {
		return 0;
	}
	for (i = 0; i < len; i++) {
		if ((p[i] >= 0x20 && p[i] < 0x7f) || (tab && p[i] == '\t')) {
			if (n + 1 >= dstlen) {
				break;
			}
			dst[n++] = (char)p[i];
			continue;
		}
		if (n + 4 >= dstlen) {
			break;
		}
		(void)clean_hexbyte(esc, p[i]);
		memcpy(dst + n, esc, 4);
		n += 4;
	}
	dst[n] = '\0';
	return n;
}
