/*
 * tnscan: a shadow of libtelnet's framing.  See tnscan.h.
 *
 * A subnegotiation ended by IAC and a command other than SE: libtelnet
 * 0.21 ends it there and acts on the command, except after ENVIRON or
 * NEW-ENVIRON, where its environ parser's success is taken for
 * "compression started", the command byte is dropped and the next byte
 * read as the command.  Following that would mean parsing environ bodies
 * as libtelnet does; no real peer sends such an ending, so it is reported
 * and our users close the connection.
 */
#include "tnscan.h"

#define TNSCAN_IAC	255
#define TNSCAN_DONT	254
#define TNSCAN_WILL	251
#define TNSCAN_SB	250
#define TNSCAN_SE	240
#define TNSCAN_COMPRESS	85	/* MCCP v1 */
#define TNSCAN_COMPRESS2 86	/* MCCP v2: libtelnet inflates after it */

enum {
	TNSCAN_DATA,
	TNSCAN_IAC_SEEN,
	TNSCAN_OPT,
	TNSCAN_SB_OPT,
	TNSCAN_SB_BODY,
	TNSCAN_SB_IAC,
};

enum tnscan_seen
tnscan_byte(struct tnscan *s, uint8_t b)
{
	switch (s->state) {
	case TNSCAN_DATA:
		if (b == TNSCAN_IAC) {
			s->state = TNSCAN_IAC_SEEN;
		}
		break;
	case TNSCAN_IAC_SEEN:
		if (b == TNSCAN_SB) {
			s->state = TNSCAN_SB_OPT;
		} else if (b >= TNSCAN_WILL && b <= TNSCAN_DONT) {
			s->cmd = b;
			s->state = TNSCAN_OPT;
		} else {
			s->state = TNSCAN_DATA;
		}
		break;
	case TNSCAN_OPT:
		s->state = TNSCAN_DATA;
		s->opt = b;
		if (++s->negs > TNSCAN_NEG_MAX) {
			return TNSCAN_NEG_TOO_MANY;
		}
		return TNSCAN_NEG;
	case TNSCAN_SB_OPT:
		s->state = TNSCAN_SB_BODY;
		s->sb_len = 0;
		if (b == TNSCAN_COMPRESS || b == TNSCAN_COMPRESS2) {
			return TNSCAN_SB_COMPRESS;
		}
		break;
	case TNSCAN_SB_BODY:
		if (b == TNSCAN_IAC) {
			s->state = TNSCAN_SB_IAC;
		} else if (++s->sb_len > TNSCAN_SB_MAX) {
			return TNSCAN_SB_TOO_LONG;
		}
		break;
	case TNSCAN_SB_IAC:
		if (b == TNSCAN_SE) {
			s->state = TNSCAN_DATA;
		} else if (b == TNSCAN_IAC) {
			s->state = TNSCAN_SB_BODY;
			if (++s->sb_len > TNSCAN_SB_MAX) {
				return TNSCAN_SB_TOO_LONG;
			}
		} else {
			return TNSCAN_SB_BROKEN;
		}
		break;
	}
	return TNSCAN_NOTHING;
}

int
tnscan_plain(const struct tnscan *s)
{
	return s->state == TNSCAN_DATA;
}

int
tnscan_fatal(enum tnscan_seen seen)
{
	return seen != TNSCAN_NOTHING && seen != TNSCAN_NEG;
}

const char *
tnscan_why(enum tnscan_seen seen)
{
	switch (seen) {
	case TNSCAN_SB_TOO_LONG:
		return "subnegotiation too long";
	case TNSCAN_SB_BROKEN:
		return "subnegotiation not ended by IAC SE";
	case TNSCAN_SB_COMPRESS:
		return "peer started compression unasked";
	case TNSCAN_NEG_TOO_MANY:
		return "more option negotiations than any honest peer sends";
	default:
		return "";
	}
}
