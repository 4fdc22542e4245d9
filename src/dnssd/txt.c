/*
 * txt: the _ttyhub._tcp TXT record, built and read.  See txt.h.
 *
 * Reading follows RFC 6763 6.4-6.6: a string without '=' is a boolean
 * attribute, keys compare without case, only a key's first string
 * counts, an empty string or one starting with '=' is skipped.  The
 * record comes from any host on the link, so each value is checked
 * before it is kept, and a string that claims more bytes than the
 * record holds ends the reading.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "txt.h"

#define TXT_STRING_MAX	255

/* Known keys, by the bit that says one has been seen. */
enum {
	TXT_K_TXTVERS = 0,
	TXT_K_PROTO,
	TXT_K_V,
	TXT_K_SERIAL,
	TXT_K_N,
	TXT_K_RO,
	TXT_K_C0,		/* c0 to c15 follow */
};

int
txt_name_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > TXT_NAME_MAX || s[0] == '.' || s[0] == '-') {
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-')) {
			return 0;
		}
	}
	return 1;
}

uint64_t
txt_serial(const char *const *names, size_t nnames)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	const char	*p;
	size_t		 i;

	for (i = 0; i < nnames; i++) {
		for (p = names[i]; ; p++) {
			h ^= (unsigned char)*p;
			h *= 0x100000001b3ULL;
			if (*p == '\0') {
				break;
			}
		}
	}
	return h;
}

/* Append one string of len bytes at *at; -1 if it does not fit. */
static int
txt_put(uint8_t *buf, size_t cap, size_t *at, const char *s, size_t len)
{
	if (len > TXT_STRING_MAX || *at + 1 + len > cap) {
		return -1;
	}
	buf[(*at)++] = (uint8_t)len;
	memcpy(buf + *at, s, len);
	*at += len;
	return 0;
}

static int	txt_putf(uint8_t *, size_t, size_t *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

static int
txt_putf(uint8_t *buf, size_t cap, size_t *at, const char *fmt, ...)
{
	char	s[TXT_STRING_MAX + 1];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(s, sizeof s, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof s) {
		return -1;
	}
	return txt_put(buf, cap, at, s, (size_t)n);
}

size_t
txt_build(uint8_t *buf, size_t cap, const struct txt_pub *p)
{
	char	 s[TXT_STRING_MAX + 1];
	size_t	 at = 0, i, len, slen = 0, key = 0;
	char	 version[TXT_VERSION_MAX + 1];

	if (cap > TXT_RDATA_MAX) {
		cap = TXT_RDATA_MAX;
	}
	snprintf(version, sizeof version, "%s", p->version);
	if (txt_putf(buf, cap, &at, "txtvers=1") == -1 ||
	    txt_putf(buf, cap, &at, "proto=%u", p->proto) == -1 ||
	    txt_putf(buf, cap, &at, "v=%s", version) == -1 ||
	    txt_putf(buf, cap, &at, "serial=%016llx",
	    (unsigned long long)p->serial) == -1 ||
	    txt_putf(buf, cap, &at, "n=%zu", p->nnames) == -1 ||
	    (p->ro && txt_putf(buf, cap, &at, "ro=1") == -1)) {
		return 0;
	}
	/*
	 * The names, comma-separated, in strings c0=, c1=, ...: a string is
	 * written out when the next name would make it too long, and the
	 * names stop at the first that fits in no string.
	 */
	for (i = 0; i < p->nnames; i++) {
		len = strlen(p->names[i]);
		if (!txt_name_valid(p->names[i], len)) {
			continue;
		}
		if (slen > 0 && slen + 1 + len <= TXT_STRING_MAX &&
		    at + 1 + slen + 1 + len <= cap) {
			s[slen++] = ',';
			memcpy(s + slen, p->names[i], len);
			slen += len;
			continue;
		}
		if (slen > 0) {
			(void)txt_put(buf, cap, &at, s, slen);
			slen = 0;
			key++;
		}
		if (key == TXT_NAMEKEYS) {
			break;
		}
		slen = (size_t)snprintf(s, sizeof s, "c%zu=", key);
		if (at + 1 + slen + len > cap) {
			slen = 0;
			break;
		}
		memcpy(s + slen, p->names[i], len);
		slen += len;
	}
	if (slen > 0) {
		(void)txt_put(buf, cap, &at, s, slen);
	}
	return at;
}

/* A decimal number of at most digits digits, no sign, no spaces. */
static int
txt_decimal(const uint8_t *s, size_t len, size_t digits, unsigned *out)
{
	unsigned long	v = 0;
	size_t		i;

	if (len == 0 || len > digits) {
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return -1;
		}
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = (unsigned)v;
	return 0;
}

static int
txt_hex64(const uint8_t *s, size_t len, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;
	int		d;

	if (len == 0 || len > 16) {
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			d = s[i] - '0';
		} else if (s[i] >= 'a' && s[i] <= 'f') {
			d = s[i] - 'a' + 10;
		} else if (s[i] >= 'A' && s[i] <= 'F') {
			d = s[i] - 'A' + 10;
		} else {
			return -1;
		}
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return 0;
}

/* Which known key s (len bytes) is, or -1. */
static int
txt_key(const uint8_t *s, size_t len)
{
	static const char *const keys[] = { "txtvers", "proto", "v",
	    "serial", "n", "ro" };
	size_t	i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strlen(keys[i]) == len &&
		    strncasecmp((const char *)s, keys[i], len) == 0) {
			return (int)i;
		}
	}
	/* c0 to c15: no leading zero, so each key has one spelling. */
	if ((s[0] == 'c' || s[0] == 'C') && len >= 2 && len <= 3 &&
	    (len == 2 || s[1] != '0')) {
		unsigned	k;

		if (txt_decimal(s + 1, len - 1, 2, &k) == 0 &&
		    k < TXT_NAMEKEYS) {
			return TXT_K_C0 + (int)k;
		}
	}
	return -1;
}

/* The names of one cK= value, each checked. */
static void
txt_names(struct txt_info *t, const uint8_t *s, size_t len)
{
	const uint8_t	*comma;
	size_t		 n;

	while (len > 0) {
		comma = memchr(s, ',', len);
		n = comma != NULL ? (size_t)(comma - s) : len;
		if (!txt_name_valid((const char *)s, n) ||
		    t->names_len + n + 1 > sizeof t->names) {
			t->bad = 1;
		} else {
			memcpy(t->names + t->names_len, s, n);
			t->names_len += n;
			t->names[t->names_len++] = '\0';
			t->nnames++;
		}
		if (comma == NULL) {
			break;
		}
		s += n + 1;
		len -= n + 1;
		if (len == 0) {
			t->bad = 1;	/* a trailing comma: a name lost */
		}
	}
}

/* One string: a key, and a value unless it is a boolean attribute. */
static void
txt_string(struct txt_info *t, const uint8_t *s, size_t len,
    uint32_t *seen)
{
	const uint8_t	*eq = memchr(s, '=', len), *v;
	size_t		 klen = eq != NULL ? (size_t)(eq - s) : len, vlen, i;
	int		 k;

	if (klen == 0) {
		return;
	}
	for (i = 0; i < klen; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e) {
			return;
		}
	}
	if ((k = txt_key(s, klen)) == -1 || (*seen & (1U << k)) != 0) {
		return;
	}
	*seen |= 1U << k;
	v = eq != NULL ? eq + 1 : s + len;
	vlen = eq != NULL ? len - klen - 1 : 0;
	switch (k) {
	case TXT_K_TXTVERS:
		if (txt_decimal(v, vlen, 3, &t->txtvers) == -1) {
			t->txtvers = 0;
		}
		break;
	case TXT_K_PROTO:
		if (txt_decimal(v, vlen, 9, &t->proto) == -1) {
			t->proto = 0;
		}
		break;
	case TXT_K_V:
		for (i = 0; i < vlen && i < TXT_VERSION_MAX; i++) {
			t->version[i] = v[i] >= 0x21 && v[i] <= 0x7e ?
			    (char)v[i] : '?';
		}
		t->version[i] = '\0';
		break;
	case TXT_K_SERIAL:
		t->has_serial = txt_hex64(v, vlen, &t->serial) == 0;
		break;
	case TXT_K_N:
		t->has_count = txt_decimal(v, vlen, 6, &t->count) == 0;
		break;
	case TXT_K_RO:
		t->ro = eq == NULL || (vlen == 1 && v[0] == '1');
		break;
	default:
		txt_names(t, v, vlen);
		break;
	}
}

int
txt_parse(const uint8_t *rdata, size_t len, struct txt_info *out)
{
	uint32_t	seen = 0;
	size_t		at = 0, l, end = len;

	memset(out, 0, sizeof *out);
	if (end > TXT_RDATA_MAX) {
		end = TXT_RDATA_MAX;	/* the rest is not read */
	}
	while (at < end) {
		l = rdata[at];
		if (l > len - at - 1) {
			memset(out, 0, sizeof *out);
			return -1;
		}
		if (l > end - at - 1) {
			out->bad = 1;
			break;
		}
		if (l > 0) {
			txt_string(out, rdata + at + 1, l, &seen);
		}
		at += 1 + l;
	}
	if (end < len) {
		out->bad = 1;
	}
	if (out->txtvers != 1) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	return 0;
}

int
txt_complete(const struct txt_info *t)
{
	return t->has_count && !t->bad && t->nnames == t->count;
}

const char *
txt_name_next(const struct txt_info *t, const char *prev)
{
	const char	*p;

	if (prev == NULL) {
		return t->nnames > 0 ? t->names : NULL;
	}
	p = prev + strlen(prev) + 1;
	return p < t->names + t->names_len ? p : NULL;
}

int
txt_has_name(const struct txt_info *t, const char *name)
{
	const char	*p;

	for (p = txt_name_next(t, NULL); p != NULL;
	    p = txt_name_next(t, p)) {
		if (strcmp(p, name) == 0) {
			return 1;
		}
	}
	return 0;
}
