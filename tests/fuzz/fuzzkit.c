/*
 * fuzzkit: the helpers the libFuzzer harnesses in tests/fuzz/ share (see
 * fuzzkit.h).  Built with each harness that uses it, sanitizers on and
 * no coverage, like the harness: its branches are not what is fuzzed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzkit.h"

#define IAC	0xff
#define SB	0xfa
#define SE	0xf0
#define WILL	0xfb
#define DONT	0xfe

void
fuzzkit_fail(const char *cond, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: check failed: %s: ", fuzzkit_name, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

void
fuzzkit_buf_add(struct fuzzkit_buf *b, const void *src, size_t len)
{
	if (b->len + len > b->cap) {
		while (b->len + len > b->cap) {
			b->cap = b->cap ? 2 * b->cap : 1024;
		}
		b->p = realloc(b->p, b->cap);
		CHECK(b->p != NULL, "out of memory");
	}
	if (len > 0) {
		memcpy(b->p + b->len, src, len);
	}
	b->len += len;
}

/* Equal contents; an empty buffer may have no p, which memcmp may not
 * be given. */
int
fuzzkit_buf_same(const struct fuzzkit_buf *a, const struct fuzzkit_buf *b)
{
	return a->len == b->len &&
	    (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* The first 4,000 bytes of a transcript, escaped, for a failure report. */
void
fuzzkit_buf_show(const char *what, const struct fuzzkit_buf *b)
{
	size_t	i, n = b->len < 4000 ? b->len : 4000;

	fprintf(stderr, "--- %s (%zu bytes)\n", what, b->len);
	for (i = 0; i < n; i++) {
		if (b->p[i] == '\n' || (b->p[i] >= 0x20 && b->p[i] < 0x7f)) {
			fputc(b->p[i], stderr);
		} else {
			fprintf(stderr, "\\x%02x", b->p[i]);
		}
	}
	fputc('\n', stderr);
}

void
fuzzkit_tr_rec(struct fuzzkit_tr *t, int kind, const void *p, size_t len)
{
	uint8_t	k = (uint8_t)kind;

	if ((kind == 'D' || kind == 'S') && t->last == kind) {
		fuzzkit_buf_add(&t->b, p, len);
		return;
	}
	fuzzkit_buf_add(&t->b, "\n", 1);
	fuzzkit_buf_add(&t->b, &k, 1);
	fuzzkit_buf_add(&t->b, p, len);
	t->last = (kind == 'D' || kind == 'S') ? kind : 0;
}

/*
 * least_most lets a harness read long inputs in fewer reads (size / 256:
 * at most about 256 of them) so that the fuzzer stays fast.
 */
void
fuzzkit_reads_init(struct fuzzkit_reads *rd, unsigned split,
    size_t least_most)
{
	static const size_t	maxchunk[8] = { 1, 2, 3, 5, 16, 64, 512, 4096 };

	rd->x = 2463534242u ^ (split * 2654435761u);
	rd->most = 0;
	if (split != 0) {
		rd->most = maxchunk[split & 7];
		if (rd->most < least_most) {
			rd->most = least_most;
		}
	}
}

/* The length of the next read, left bytes being left (left > 0). */
size_t
fuzzkit_reads_next(struct fuzzkit_reads *rd, size_t left)
{
	size_t	n;

	if (rd->most == 0) {
		return left;
	}
	rd->x ^= rd->x << 13;
	rd->x ^= rd->x >> 17;
	rd->x ^= rd->x << 5;
	n = 1 + rd->x % rd->most;
	return n < left ? n : left;
}

enum {
	WIRE_DATA, WIRE_IAC, WIRE_NEG, WIRE_SB_OPT, WIRE_SB, WIRE_SB_IAC,
};

/* A body byte: counted, and the first one kept (SEND, IS, a code). */
static enum fuzzkit_wire_ev
wire_body(struct fuzzkit_wire *w, uint8_t b)
{
	if (w->sb_len++ == 0) {
		w->sb_first = b;
	}
	return FUZZKIT_WIRE_SB_BODY;
}

enum fuzzkit_wire_ev
fuzzkit_wire_byte(struct fuzzkit_wire *w, uint8_t b)
{
	switch (w->state) {
	case WIRE_DATA:
		if (b == IAC) {
			w->state = WIRE_IAC;
		}
		return FUZZKIT_WIRE_NONE;
	case WIRE_IAC:
		if (b == IAC) {
			w->state = WIRE_DATA;
			return FUZZKIT_WIRE_NONE;
		}
		if (b >= WILL && b <= DONT) {
			w->cmd = b;
			w->state = WIRE_NEG;
			return FUZZKIT_WIRE_NONE;
		}
		if (b == SB) {
			w->state = WIRE_SB_OPT;
			return FUZZKIT_WIRE_NONE;
		}
		/* memchr, not strchr: IAC NUL is not allowed by "". */
		CHECK(w->cmds != NULL && memchr(w->cmds, b, strlen(w->cmds)),
		    "we sent IAC %02x", b);
		w->cmd = b;
		w->state = WIRE_DATA;
		return FUZZKIT_WIRE_CMD;
	case WIRE_NEG:
		w->opt = b;
		w->state = WIRE_DATA;
		return FUZZKIT_WIRE_NEG;
	case WIRE_SB_OPT:
		w->opt = b;
		w->sb_len = 0;
		w->state = WIRE_SB;
		return FUZZKIT_WIRE_SB_OPT;
	case WIRE_SB:
		if (b == IAC) {
			w->state = WIRE_SB_IAC;
			return FUZZKIT_WIRE_NONE;
		}
		return wire_body(w, b);
	case WIRE_SB_IAC:
		CHECK(b == SE || b == IAC, "we sent IAC %02x inside SB", b);
		if (b == SE) {
			w->state = WIRE_DATA;
			return FUZZKIT_WIRE_SB_END;
		}
		w->state = WIRE_SB;
		return wire_body(w, b);
	}
	CHECK(0, "wire state %d", w->state);
}

/* Between commands: where every send, and every call into tn, ends. */
int
fuzzkit_wire_idle(const struct fuzzkit_wire *w)
{
	return w->state == WIRE_DATA;
}

int
fuzzkit_printable(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) {
			return 0;
		}
	}
	return 1;
}

int
fuzzkit_listed(const char *const *list, const char *name)
{
	const char *const	*p;

	for (p = list; p != NULL && *p != NULL; p++) {
		if (strcmp(*p, name) == 0) {
			return 1;
		}
	}
	return 0;
}
