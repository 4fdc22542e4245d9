/*
 * fuzz-tnline: libFuzzer harness for the login prompt's line reading
 * (src/telnet/tnline.c), as gate.c feeds it the bytes a Telnet peer
 * typed.
 *
 * fuzz-sources: src/telnet/tnline.c
 * fuzz-seeds: tests/fuzz/tnline-seeds
 * fuzz-max-len: 4096
 *
 * Input: byte 0 chooses the set-up, the rest is what the peer typed.
 *   bit 0     the line is hidden (a password)
 *   bits 1-7  how the second run splits the input into feeds (1 to 128
 *             bytes)
 *
 * The input is fed whole, and again split into feeds; each time a line
 * ends the next is started (hidden as the first), as gate.c does.  On
 * top of the sanitizers:
 *   - the lines read, and the way the input ends (a line, Ctrl-C or
 *     Ctrl-D, or more wanted), are the same however it was split;
 *   - a line is at most TNLINE_MAX bytes of printable ASCII;
 *   - the echo of a feed is at most TNLINE_ECHO_MAX bytes; it never
 *     holds a typed byte of a hidden line; for a shown line, playing the
 *     echo on a screen (a byte adds, "\b \b" takes one away) ends with
 *     exactly the line read;
 *   - every feed takes at least one byte (no loop can stall on it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/telnet/tnline.h"

#define FZ_LINES_MAX	64

struct fz_run {
	char	lines[FZ_LINES_MAX][TNLINE_MAX + 1];
	size_t	nlines;
	int	quit;
};

static void
fz_fail(void)
{
	abort();
}

/* The screen a shown line's echo leaves: typed bytes minus rubouts. */
static void
fz_screen(char *screen, size_t *len, const uint8_t *echo, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (i + 2 < n && memcmp(echo + i, "\b \b", 3) == 0) {
			if (*len == 0) {
				fz_fail();	/* a rubout of nothing */
			}
			(*len)--;
			i += 2;
		} else if (echo[i] == '\r' && i + 1 < n && echo[i + 1] == '\n') {
			i++;		/* the end of the line */
		} else if (*len < TNLINE_MAX) {
			screen[(*len)++] = (char)echo[i];
		} else {
			fz_fail();	/* echoed past the cap */
		}
	}
}

static void
fz_run(const uint8_t *buf, size_t len, int hidden, size_t step,
    struct fz_run *r)
{
	struct tnline		l;
	uint8_t			echo[TNLINE_ECHO_MAX];
	char			screen[TNLINE_MAX + 1];
	size_t			used, echolen, n, i, slen = 0;
	enum tnline_result	res;

	memset(r, 0, sizeof *r);
	memset(&l, 0, sizeof l);
	tnline_start(&l, hidden);
	while (len > 0) {
		n = len < step ? len : step;
		res = tnline_feed(&l, buf, n, &used, echo, &echolen);
		if (used == 0 || used > n || echolen > TNLINE_ECHO_MAX) {
			fz_fail();
		}
		for (i = 0; hidden && i < echolen; i++) {
			if (echo[i] != '\r' && echo[i] != '\n') {
				fz_fail();	/* a hidden line echoed */
			}
		}
		if (!hidden) {
			fz_screen(screen, &slen, echo, echolen);
		}
		buf += used;
		len -= used;
		if (res == TNLINE_QUIT) {
			r->quit = 1;
			return;
		}
		if (res != TNLINE_DONE) {
			continue;
		}
		if (strlen(tnline_text(&l)) > TNLINE_MAX) {
			fz_fail();
		}
		for (i = 0; tnline_text(&l)[i] != '\0'; i++) {
			if (tnline_text(&l)[i] < 0x20 ||
			    tnline_text(&l)[i] > 0x7e) {
				fz_fail();
			}
		}
		if (!hidden && (slen != strlen(tnline_text(&l)) ||
		    memcmp(screen, tnline_text(&l), slen) != 0)) {
			fz_fail();	/* the echo showed another line */
		}
		if (r->nlines < FZ_LINES_MAX) {
			memcpy(r->lines[r->nlines++], tnline_text(&l),
			    strlen(tnline_text(&l)) + 1);
		}
		slen = 0;
		tnline_start(&l, hidden);	/* the next, as gate.c does */
	}
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_run	whole, split;
	int			hidden;
	size_t			step;

	if (size < 1) {
		return 0;
	}
	hidden = data[0] & 1;
	step = (size_t)(data[0] >> 1) + 1;
	fz_run(data + 1, size - 1, hidden, size, &whole);
	fz_run(data + 1, size - 1, hidden, step, &split);
	if (whole.nlines != split.nlines || whole.quit != split.quit ||
	    memcmp(whole.lines, split.lines, sizeof whole.lines) != 0) {
		fz_fail();
	}
	return 0;
}
