/*
 * vcons: the virtio-console device's own parts, as the virtio spec
 * (5.3) and Linux's driver have them: its feature bits, and its 12-byte
 * config space with the window size and the emergency-write register.
 * One port, no MULTIPORT: the guest sees /dev/hvc0, and the size travels
 * in config space, which has none of the field-order trouble of the
 * multiport RESIZE message (research/vhost-user.md, section 2).
 */
#ifndef TTYHUB_VCONS_H
#define TTYHUB_VCONS_H

#include <stdint.h>

#define VCONS_F_SIZE		0
#define VCONS_F_EMERG_WRITE	2
#define VCONS_CONFIG_SIZE	12
#define VCONS_RX		0	/* receiveq: to the guest */
#define VCONS_TX		1	/* transmitq: from the guest */
#define VCONS_RINGS		2

struct vcons {
	uint16_t	cols, rows;
};

/* The features offered: VERSION_1, SIZE, EMERG_WRITE. */
#define VCONS_FEATURES	((1ull << 32) | (1ull << VCONS_F_SIZE) | \
	(1ull << VCONS_F_EMERG_WRITE))

/* Config bytes [off, off + len): 0, or -1 outside the 12 bytes. */
int		vcons_get_config(const struct vcons *vc, uint32_t off,
		    uint8_t *buf, uint32_t len);

/*
 * A config write.  The guest may write only emerg_wr (bytes 8-11): a
 * write that covers it is one character of output, put in *ch (returns
 * 1).  Frontends write the whole space (QEMU) or just the field (UML);
 * each write is a character, even the same one again.  0: nothing to
 * output; -1: a write outside emerg_wr.
 */
int		vcons_set_config(const struct vcons *vc, uint32_t off,
		    const uint8_t *buf, uint32_t len, uint8_t *ch);

#endif
