/*
 * frame: a stream netdev's framing, and the lengths a network takes.
 * See frame.h.
 *
 * What QEMU does, read in its sources (net/net.c, net/socket.c, and
 * net/stream.c and net/dgram.c, new in 7.2; upstream later moved the
 * stream half into net/stream_data.c without changing it):
 *
 * - Stream, sending: net_stream_receive and net_socket_receive write
 *   htonl(size) and then the frame, as one writev of two iovecs, and
 *   resume a short write at send_index.  Nothing else goes on the wire:
 *   both set up their reader with vnet_hdr false.
 * - Stream, receiving: net_fill_rstate gathers 4 bytes of length, then
 *   the frame into rs->buf, NET_BUFSIZE = 4096 + 65536 = 69632 bytes
 *   (include/net/net.h: "maximum GSO packet size (64k) plus plenty of
 *   room for the ethernet and virtio_net headers").  A longer frame
 *   prints "serious error: oversized packet received, connection
 *   terminated." and QEMU closes the stream.  Under 7.2 a stream client
 *   has no reconnect= (8.0 added it), so that guest's link is gone until
 *   its QEMU restarts: FRAME_MAX keeps every frame we pass on under it.
 * - A length of 0 is not refused by QEMU: net_fill_rstate hands an empty
 *   packet on when the next byte arrives.  No NIC sends one; we take it,
 *   and any length under an Ethernet header, for a peer that does not
 *   speak this framing, and break the stream.
 * - Datagrams: net_dgram_receive and net_socket_receive_dgram send the
 *   frame as it is; net_dgram_send and net_socket_send_dgram recv() into
 *   NET_BUFSIZE bytes (a longer datagram is cut short).  A datagram of 0
 *   bytes is "end of connection" to them: QEMU stops polling that socket,
 *   for reading and writing, for good.  An empty datagram must therefore
 *   never reach a guest; frame_check refuses it, so no queue holds one.
 * - Sizes a guest sends: these netdevs have no vnet header, so virtio-net
 *   offers the guest no checksum or segmentation offload
 *   (virtio_net_get_features clears CSUM and the TSO bits when
 *   !peer_has_vnet_hdr), and e1000 segments TSO itself; a guest's frames
 *   are at most its MTU + 14, + 4 with a VLAN tag.  A guest with a larger
 *   MTU needs the network's mtu raised to match.
 */
#include <stdlib.h>
#include <string.h>

#include "frame.h"

size_t
frame_max(unsigned mtu)
{
	if (mtu > FRAME_MTU_MAX) {
		mtu = FRAME_MTU_MAX;
	}
	return (size_t)mtu + FRAME_ETH + FRAME_VLAN;
}

const char *
frame_check(size_t len, size_t max)
{
	if (len == 0) {
		return "a frame of length 0";
	}
	if (len < FRAME_ETH) {
		return "a frame shorter than an Ethernet header";
	}
	if (len > max || len > FRAME_MAX) {
		return "a frame longer than the network's MTU allows";
	}
	return NULL;
}

void
frame_hdr(uint8_t hdr[FRAME_HDR], size_t len)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}

int
frame_rd_init(struct frame_rd *fr, size_t max)
{
	memset(fr, 0, sizeof *fr);
	if (max > FRAME_MAX) {
		max = FRAME_MAX;
	}
	fr->max = max;
	if ((fr->buf = malloc(max > 0 ? max : 1)) == NULL) {
		return -1;
	}
	return 0;
}

void
frame_rd_free(struct frame_rd *fr)
{
	free(fr->buf);
	fr->buf = NULL;
}

/* The length just gathered: check it, and start on its frame. */
static int
frame_rd_len(struct frame_rd *fr, const uint8_t *b)
{
	size_t	n;

	n = (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 |
	    b[3];
	if ((fr->why = frame_check(n, fr->max)) != NULL) {
		fr->badlen = n;
		return -1;
	}
	fr->need = n;
	fr->got = 0;
	return 0;
}

/*
 * A frame that lies whole in the caller's bytes is handed out where it
 * is; only one split between reads is copied into buf.  need is never 0
 * for a frame (frame_check refuses 0), so it also says which part is
 * being gathered.
 */
int
frame_rd_next(struct frame_rd *fr, const uint8_t **p, size_t *left,
    const uint8_t **frame, size_t *len)
{
	size_t	n;

	for (;;) {
		if (fr->why != NULL) {
			return -1;
		}
		if (*left == 0) {
			return 0;
		}
		if (fr->need == 0) {
			if (fr->got == 0 && *left >= FRAME_HDR) {
				*p += FRAME_HDR;
				*left -= FRAME_HDR;
				if (frame_rd_len(fr, *p - FRAME_HDR) == -1) {
					return -1;
				}
				continue;
			}
			n = FRAME_HDR - fr->got;
			if (n > *left) {
				n = *left;
			}
			memcpy(fr->len + fr->got, *p, n);
			fr->got += n;
			*p += n;
			*left -= n;
			if (fr->got == FRAME_HDR &&
			    frame_rd_len(fr, fr->len) == -1) {
				return -1;
			}
			continue;
		}
		if (fr->got == 0 && *left >= fr->need) {
			*frame = *p;
			*len = fr->need;
			*p += fr->need;
			*left -= fr->need;
			fr->need = 0;
			return 1;
		}
		n = fr->need - fr->got;
		if (n > *left) {
			n = *left;
		}
		memcpy(fr->buf + fr->got, *p, n);
		fr->got += n;
		*p += n;
		*left -= n;
		if (fr->got == fr->need) {
			*frame = fr->buf;
			*len = fr->need;
			fr->need = 0;
			fr->got = 0;
			return 1;
		}
	}
}
