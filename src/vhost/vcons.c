/*
 * vcons: the virtio-console device's config space.  See vcons.h.
 */
#include <string.h>

#include "vcons.h"

#define VCONS_EMERG_OFF		8

static void
vcons_config(const struct vcons *vc, uint8_t cfg[VCONS_CONFIG_SIZE])
{
	memset(cfg, 0, VCONS_CONFIG_SIZE);
	/* Little-endian, as virtio 1 config is. */
	cfg[0] = (uint8_t)(vc->cols & 0xff);
	cfg[1] = (uint8_t)(vc->cols >> 8);
	cfg[2] = (uint8_t)(vc->rows & 0xff);
	cfg[3] = (uint8_t)(vc->rows >> 8);
	cfg[4] = 1;		/* max_nr_ports */
}

int
vcons_get_config(const struct vcons *vc, uint32_t off, uint8_t *buf,
    uint32_t len)
{
	uint8_t	cfg[VCONS_CONFIG_SIZE];

	if (off > VCONS_CONFIG_SIZE || len > VCONS_CONFIG_SIZE - off) {
		return -1;
	}
	vcons_config(vc, cfg);
	memcpy(buf, cfg + off, len);
	return 0;
}

int
vcons_set_config(const struct vcons *vc, uint32_t off, const uint8_t *buf,
    uint32_t len, uint8_t *ch)
{
	uint8_t	cfg[VCONS_CONFIG_SIZE];

	if (off > VCONS_CONFIG_SIZE || len > VCONS_CONFIG_SIZE - off) {
		return -1;
	}
	if (off + len <= VCONS_EMERG_OFF) {
		/* Rewriting the read-only part unchanged (QEMU's whole write
		 * always covers emerg_wr too, so this is a stray write). */
		vcons_config(vc, cfg);
		return memcmp(cfg + off, buf, len) == 0 ? 0 : -1;
	}
	if (off > VCONS_EMERG_OFF) {
		return -1;	/* inside the register: not a write of it */
	}
	/* emerg_wr is a le32; the character is its low byte. */
	*ch = buf[VCONS_EMERG_OFF - off];
	return 1;
}
