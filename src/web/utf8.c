/*
 * utf8: see utf8.h.  The table is RFC 3629's section 4 grammar: the lead
 * byte says how many continuation bytes follow and, for E0, ED, F0 and
 * F4, narrows the range of the first of them, which is what rules out
 * overlong forms, surrogates and code points past U+10FFFF.
 */
#include "utf8.h"

size_t
utf8_feed(struct utf8 *u, const uint8_t *buf, size_t len)
{
	size_t	i;
	uint8_t	b;

	for (i = 0; i < len; i++) {
		b = buf[i];
		if (u->need > 0) {
			if (b < u->lo || b > u->hi) {
				return i;
			}
			u->need--;
			u->lo = 0x80;
			u->hi = 0xbf;
			continue;
		}
		if (b < 0x80) {
			continue;
		}
		u->lo = 0x80;
		u->hi = 0xbf;
		if (b >= 0xc2 && b <= 0xdf) {
			u->need = 1;
		} else if (b >= 0xe0 && b <= 0xef) {
			u->need = 2;
			if (b == 0xe0) {
				u->lo = 0xa0;
			} else if (b == 0xed) {
				u->hi = 0x9f;
			}
		} else if (b >= 0xf0 && b <= 0xf4) {
			u->need = 3;
			if (b == 0xf0) {
				u->lo = 0x90;
			} else if (b == 0xf4) {
				u->hi = 0x8f;
			}
		} else {
			return i;
		}
	}
	return len;
}

int
utf8_complete(const struct utf8 *u)
{
	return u->need == 0;
}

int
utf8_valid(const uint8_t *buf, size_t len)
{
	struct utf8	u = { 0, 0, 0 };

	return utf8_feed(&u, buf, len) == len && utf8_complete(&u);
}
