/*
 * utf8: a UTF-8 validator (RFC 3629) that can be fed a stream in pieces,
 * for WebSocket text messages, which must be valid UTF-8 as a whole
 * though a code point may straddle two frames, and which should be
 * refused at the first byte that cannot be part of valid UTF-8 (RFC
 * 6455, 8.1).  No overlong forms, no surrogates (U+D800..U+DFFF), nothing
 * past U+10FFFF.  No I/O, no allocation.
 */
#ifndef TTYHUB_UTF8_H
#define TTYHUB_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* All zero is the start: between code points. */
struct utf8 {
	uint8_t		need;	/* continuation bytes still to come */
	uint8_t		lo;	/* bounds of the next one */
	uint8_t		hi;
};

/*
 * Take len more bytes.  Returns len when they can all be part of valid
 * UTF-8, else the offset of the first byte that cannot (the state is then
 * undefined).
 */
size_t		utf8_feed(struct utf8 *u, const uint8_t *buf, size_t len);

/* Does the stream so far end on a code point boundary? */
int		utf8_complete(const struct utf8 *u);

/* Is the whole of buf valid UTF-8? */
int		utf8_valid(const uint8_t *buf, size_t len);

#endif
