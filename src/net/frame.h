/*
 * frame: Ethernet frames as QEMU's socket netdevs carry them.  On a
 * stream (-netdev stream, -netdev socket,connect=) each frame follows its
 * length, 4 bytes big-endian; a datagram (-netdev dgram, socket,udp=) is
 * one frame with nothing around it.  frame_rd takes a stream's bytes as
 * they arrive, split anywhere, and yields whole frames; a length the
 * network cannot carry breaks the stream, with the reason.  No I/O.
 */
#ifndef TTYHUB_FRAME_H
#define TTYHUB_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR		4	/* a stream frame's length prefix */
#define FRAME_ETH		14	/* destination, source, type */
#define FRAME_VLAN		4	/* one 802.1Q tag */
#define FRAME_MTU_DEFAULT	1500
/*
 * The largest frame any network takes, whatever its MTU: under QEMU's
 * NET_BUFSIZE (69632), so that no frame we pass on closes a guest's link.
 */
#define FRAME_MAX		65536
#define FRAME_MTU_MAX		(FRAME_MAX - FRAME_ETH - FRAME_VLAN)

/* The largest frame a network of this MTU carries (one VLAN tag allowed). */
size_t		 frame_max(unsigned mtu);

/*
 * NULL if a frame of len bytes may cross a network whose largest frame is
 * max, else why not ("a frame of length 0", ...), for the log with len.
 */
const char	*frame_check(size_t len, size_t max);

/* Write the length prefix of a len-byte frame (len <= FRAME_MAX). */
void		 frame_hdr(uint8_t hdr[FRAME_HDR], size_t len);

/* A stream's reader: the part of a frame or length already taken. */
struct frame_rd {
	size_t		 max;		/* the largest frame accepted */
	size_t		 need;		/* the frame being gathered, or 0 */
	size_t		 got;		/* bytes of the length or frame */
	uint8_t		 len[FRAME_HDR];
	uint8_t		*buf;		/* max bytes: a frame split by reads */
	const char	*why;		/* why the stream broke, or NULL */
	size_t		 badlen;	/* the length that broke it */
};

/* Returns 0, or -1 if out of memory.  max is at most FRAME_MAX. */
int		 frame_rd_init(struct frame_rd *fr, size_t max);
void		 frame_rd_free(struct frame_rd *fr);

/*
 * Take bytes from *p (*left of them) until a frame is whole: then return
 * 1 with the frame in *frame and *len, borrowed until the next call (it
 * points into the caller's bytes when they held it whole, else into
 * fr->buf), and *p and *left moved past it.  Return 0 when every byte
 * was taken and no frame is whole yet, and -1 once the stream is broken
 * (fr->why, fr->badlen; *p is then just past the bad length), and on
 * every later call.
 */
int		 frame_rd_next(struct frame_rd *fr, const uint8_t **p,
		    size_t *left, const uint8_t **frame, size_t *len);

#endif
