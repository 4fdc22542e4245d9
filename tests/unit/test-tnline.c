/*
 * test-tnline: the login prompt's line reading (src/telnet/tnline.c) on
 * what Telnet peers send: each end of line, fed whole and a byte at a
 * time; editing and its echo; a hidden line's echo; the cap; giving up.
 * fuzz-tnline checks the same rules on any input.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../src/telnet/tnline.h"
#include "tcheck.h"

/*
 * Feed s (len bytes) a piece at a time (step 0: whole); lines read go
 * into lines, separated by '|', the echo into echo.  Returns the last
 * result.
 */
static enum tnline_result
run(const char *s, size_t len, size_t step, int hidden, char *lines,
    size_t llen, char *echo, size_t elen)
{
	struct tnline		l;
	uint8_t			e[TNLINE_ECHO_MAX];
	size_t			used, n, en, ec = 0;
	enum tnline_result	r = TNLINE_MORE;

	memset(&l, 0, sizeof l);
	tnline_start(&l, hidden);
	lines[0] = '\0';
	while (len > 0) {
		n = step == 0 || step > len ? len : step;
		r = tnline_feed(&l, (const uint8_t *)s, n, &used, e, &en);
		if (ec + en < elen) {
			memcpy(echo + ec, e, en);
			ec += en;
		}
		s += used;
		len -= used;
		if (r == TNLINE_QUIT) {
			break;
		}
		if (r == TNLINE_DONE) {
			snprintf(lines + strlen(lines), llen - strlen(lines),
			    "%s|", tnline_text(&l));
			tnline_start(&l, hidden);
		}
	}
	echo[ec] = '\0';
	return r;
}

/* s with control bytes as \xNN, for the report. */
static const char *
shown(const char *s)
{
	static char	out[4 * 2048 + 1];
	size_t		n = 0;

	for (; *s != '\0' && n + 5 < sizeof out; s++) {
		if (*s >= 0x20 && *s < 0x7f) {
			out[n++] = *s;
		} else {
			n += (size_t)snprintf(out + n, sizeof out - n, "\\x%02x",
			    (unsigned char)*s);
		}
	}
	out[n] = '\0';
	return out;
}

static void
check_lines(const char *what, const char *in, size_t len, int hidden,
    const char *want, const char *want_echo)
{
	char	lines[512], echo[2048];
	size_t	step;

	for (step = 0; step <= 3; step++) {
		(void)run(in, len, step, hidden, lines, sizeof lines, echo,
		    sizeof echo);
		tcheck(strcmp(lines, want) == 0, "%s, feeds of %zu: lines "
		    "\"%s\"", what, step, lines);
		tcheck(want_echo == NULL || strcmp(echo, want_echo) == 0,
		    "%s, feeds of %zu: echo \"%s\"", what, step, shown(echo));
	}
}

int
main(void)
{
	char	long_line[300], want[TNLINE_MAX + 3], lines[512], echo[2048];

	/* Every end of line a peer sends counts once. */
	check_lines("CR", "alice\rsecret\r", 13, 0, "alice|secret|", NULL);
	check_lines("CR LF", "alice\r\nsecret\r\n", 15, 0, "alice|secret|",
	    NULL);
	check_lines("CR NUL", "alice\r\0secret\r\0", 15, 0, "alice|secret|",
	    NULL);
	check_lines("LF", "alice\nsecret\n", 13, 0, "alice|secret|", NULL);
	check_lines("an empty line", "\r\n\r\nx\r", 7, 0, "||x|", NULL);

	/* Editing, and the echo that shows it. */
	check_lines("backspace and DEL", "abx\bc\x7f\x7f" "d\r", 10, 0, "ad|",
	    "abx\b \bc\b \b\b \bd\r\n");
	check_lines("Ctrl-U", "wrong\x15right\r", 12, 0, "right|",
	    "wrong\b \b\b \b\b \b\b \b\b \bright\r\n");
	check_lines("control bytes and 8-bit bytes dropped", "a\x01\x1b[b"
	    "\xff" "c\r", 8, 0, "a[bc|", "a[bc\r\n");
	check_lines("a hidden line echoes nothing it typed",
	    "pa\bss word\r", 11, 1, "pss word|", "\r\n");

	/* The cap: what goes past it is dropped, and not echoed. */
	memset(long_line, 'x', sizeof long_line);
	long_line[sizeof long_line - 1] = '\r';
	memset(want, 'x', TNLINE_MAX);
	memcpy(want + TNLINE_MAX, "|", 2);
	(void)run(long_line, sizeof long_line, 0, 0, lines, sizeof lines, echo,
	    sizeof echo);
	tcheck(strcmp(lines, want) == 0 && strlen(echo) == TNLINE_MAX + 2,
	    "a line over %d bytes keeps %d, and echoes them only",
	    TNLINE_MAX, TNLINE_MAX);

	/* Giving up. */
	tcheck(run("ali\x03", 4, 0, 0, lines, sizeof lines, echo,
	    sizeof echo) == TNLINE_QUIT && lines[0] == '\0', "Ctrl-C gives up");
	tcheck(run("\x04", 1, 0, 1, lines, sizeof lines, echo,
	    sizeof echo) == TNLINE_QUIT, "Ctrl-D gives up");

	printf("%d passed, %d failed\n", tcheck_pass, tcheck_fail);
	return tcheck_fail != 0;
}
