/*
 * clean: make bytes from the network harmless before a terminal sees
 * them.
 *
 * Two uses.  clean_text is for anything the client prints as its own
 * (notices, names, who and list answers): printable ASCII only, every
 * other byte as \xNN, so nothing from the network can move the cursor,
 * retitle the window or pass itself off as ttyhub.  clean_feed is for
 * console output shown without attaching (ttyhub tail): text and UTF-8
 * go through, line ends become LF, and control characters, escape
 * sequences and C1 controls are shown as caret or \x notation instead
 * of being acted on.  Both are pure functions of their input.
 */
#ifndef TTYHUB_CLEAN_H
#define TTYHUB_CLEAN_H

#include <stddef.h>
#include <stdint.h>

/* Streaming state of clean_feed: a UTF-8 sequence or a CR cut by a read. */
struct clean {
	uint8_t	pend[4];
	size_t	npend;
	size_t	need;		/* bytes the pending sequence has in all */
	int	cr;		/* CRs held back, to see if an LF follows */
};

/* Room clean_feed needs in out for len bytes in, and clean_finish. */
#define CLEAN_OUT_MAX(len)	(4 * (len) + 32)

void	clean_init(struct clean *st);

/*
 * Render len bytes of console output into out, which has room for
 * CLEAN_OUT_MAX(len) bytes.  Returns the bytes written.
 */
size_t	clean_feed(struct clean *st, const uint8_t *in, size_t len,
	    uint8_t *out);

/* What is still pending at the end of the stream. */
size_t	clean_finish(struct clean *st, uint8_t *out);

/*
 * One line of text for people: printable ASCII kept (and TAB, when tab
 * is set), anything else as \xNN.  dst is always NUL-terminated; the
 * output stops before an escape that would not fit.  Returns its length.
 */
size_t	clean_text(char *dst, size_t dstlen, const void *src, size_t len,
	    int tab);

#endif
