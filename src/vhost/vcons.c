/*
 * vcons: the virtio-console device: config space, ports and the control
 * queue.  See vcons.h.
 *
 * The handshake, as Linux's virtio_console drives it (drivers/char/
 * virtio_console.c): the driver posts its control receive buffers and
 * says DEVICE_READY; the device says PORT_ADD for each port; for each,
 * the driver makes the port, posts its receive buffers and says
 * PORT_READY; the device then says CONSOLE_PORT (the port becomes an
 * hvc console), PORT_NAME and PORT_OPEN.  The driver drops any message
 * about a port it has not made yet, so nothing but PORT_ADD goes to a
 * port before its PORT_READY.  What is owed is a set of bits per port,
 * not a queue: a guest that never reads its control queue cannot make
 * it grow, and a second resize replaces the first.
 */
#include <string.h>

#include "vcons.h"

#define VCONS_EMERG_OFF		8

void
vcons_init(struct vcons *vc, unsigned nports)
{
	unsigned	i;

	memset(vc, 0, sizeof *vc);
	vc->nports = nports < 1 ? 1 : nports > VCONS_PORTS_MAX ?
	    VCONS_PORTS_MAX : nports;
	for (i = 0; i < VCONS_PORTS_MAX; i++) {
		vc->port[i].cols = 80;
		vc->port[i].rows = 24;
	}
	vc->port[0].console = 1;
}

uint64_t
vcons_features(const struct vcons *vc)
{
	return VCONS_FEATURES |
	    (vc->nports > 1 ? 1ull << VCONS_F_MULTIPORT : 0);
}

unsigned
vcons_nrings(const struct vcons *vc)
{
	return vc->nports > 1 ? 2 * (vc->nports + 1) : VCONS_RINGS;
}

unsigned
vcons_rx(unsigned port)
{
	return port == 0 ? VCONS_RX : 2 * port + 2;
}

unsigned
vcons_tx(unsigned port)
{
	return vcons_rx(port) + 1;
}

int
vcons_ring_port(const struct vcons *vc, unsigned idx, int *tx)
{
	unsigned	port;

	*tx = idx & 1;
	if (idx < 2) {
		return 0;
	}
	if (idx < 4 || idx >= vcons_nrings(vc)) {
		return -1;
	}
	port = idx / 2 - 1;
	return (int)port;
}

void
vcons_negotiated(struct vcons *vc, uint64_t features)
{
	vc->multiport = vc->nports > 1 &&
	    (features & (1ull << VCONS_F_MULTIPORT)) != 0;
	vc->size = (features & (1ull << VCONS_F_SIZE)) != 0;
}

void
vcons_reset(struct vcons *vc)
{
	unsigned	i;

	vc->ready = 0;
	for (i = 0; i < VCONS_PORTS_MAX; i++) {
		vc->port[i].ready = 0;
		vc->port[i].guest_open = 0;
		vc->port[i].owed = 0;
	}
}

static void
vcons_config(const struct vcons *vc, uint8_t cfg[VCONS_CONFIG_SIZE])
{
	memset(cfg, 0, VCONS_CONFIG_SIZE);
	/* Little-endian, as virtio 1 config is. */
	cfg[0] = (uint8_t)(vc->port[0].cols & 0xff);
	cfg[1] = (uint8_t)(vc->port[0].cols >> 8);
	cfg[2] = (uint8_t)(vc->port[0].rows & 0xff);
	cfg[3] = (uint8_t)(vc->port[0].rows >> 8);
	cfg[4] = (uint8_t)vc->nports;	/* max_nr_ports, at most 16 */
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

/* The port is ready: what it is owed once the driver has it. */
static void
vcons_port_ready(struct vcons *vc, struct vcons_port *p)
{
	p->ready = 1;
	p->owed &= ~VCONS_OWE_ADD;
	if (p->console) {
		p->owed |= VCONS_OWE_CONSOLE;
		if (vc->size) {
			p->owed |= VCONS_OWE_RESIZE;
		}
	}
	if (p->name[0] != '\0') {
		p->owed |= VCONS_OWE_NAME;
	}
	if (p->host_open) {
		p->owed |= VCONS_OWE_OPEN;
	}
}

static uint32_t
vcons_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint16_t
vcons_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int
vcons_ctl_in(struct vcons *vc, const uint8_t *buf, size_t len,
    const char **why)
{
	struct vcons_port	*p;
	uint32_t		 id;
	uint16_t		 event, value;
	unsigned		 i;

	if (len != VCONS_CTL_SIZE) {
		*why = "a control message that is not 8 bytes";
		return -1;
	}
	id = vcons_le32(buf);
	event = vcons_le16(buf + 4);
	value = vcons_le16(buf + 6);
	if (value > 1) {
		*why = "a control message whose value is not 0 or 1";
		return -1;
	}
	if (event == VCONS_DEVICE_READY) {
		/* A driver (again): it knows no port. */
		vcons_reset(vc);
		vc->ready = value;
		for (i = 0; value && i < vc->nports; i++) {
			vc->port[i].owed = VCONS_OWE_ADD;
		}
		return 0;
	}
	if (event != VCONS_PORT_READY && event != VCONS_PORT_OPEN) {
		*why = "a control event only the device sends";
		return -1;
	}
	if (!vc->ready || id >= vc->nports) {
		*why = "a control message for a port that does not exist";
		return -1;
	}
	p = &vc->port[id];
	if (event == VCONS_PORT_READY) {
		/* 0: the driver could not make it; it says so again. */
		if (value) {
			vcons_port_ready(vc, p);
		} else {
			p->ready = 0;
			p->guest_open = 0;
			p->owed = 0;
		}
		return 0;
	}
	if (!p->ready) {
		*why = "PORT_OPEN for a port the driver has not made";
		return -1;
	}
	p->guest_open = value;
	return 0;
}

/* The message a bit stands for, port id, into buf: its length. */
static size_t
vcons_ctl_msg(const struct vcons *vc, uint32_t id, unsigned owe,
    uint8_t *buf)
{
	const struct vcons_port	*p = &vc->port[id];
	uint16_t		 event, value = 1, a, b;
	size_t			 len = VCONS_CTL_SIZE, n;

	switch (owe) {
	case VCONS_OWE_ADD:
		event = VCONS_PORT_ADD;
		break;
	case VCONS_OWE_CONSOLE:
		event = VCONS_CONSOLE_PORT;
		break;
	case VCONS_OWE_NAME:
		event = VCONS_PORT_NAME;
		n = strlen(p->name);
		memcpy(buf + VCONS_CTL_SIZE, p->name, n);
		len += n;
		break;
	case VCONS_OWE_OPEN:
		event = VCONS_PORT_OPEN;
		value = (uint16_t)(p->host_open != 0);
		break;
	default:
		/*
		 * RESIZE: cols then rows, as the spec has it and Linux reads
		 * them since 5326ab737a47 (6.15, and stable kernels that took
		 * it); before, Linux read rows first.
		 */
		event = VCONS_RESIZE;
		value = 0;
		a = vc->legacy_resize ? p->rows : p->cols;
		b = vc->legacy_resize ? p->cols : p->rows;
		buf[8] = (uint8_t)(a & 0xff);
		buf[9] = (uint8_t)(a >> 8);
		buf[10] = (uint8_t)(b & 0xff);
		buf[11] = (uint8_t)(b >> 8);
		len += 4;
		break;
	}
	buf[0] = (uint8_t)(id & 0xff);
	buf[1] = (uint8_t)(id >> 8 & 0xff);
	buf[2] = (uint8_t)(id >> 16 & 0xff);
	buf[3] = (uint8_t)(id >> 24);
	buf[4] = (uint8_t)(event & 0xff);
	buf[5] = (uint8_t)(event >> 8);
	buf[6] = (uint8_t)(value & 0xff);
	buf[7] = (uint8_t)(value >> 8);
	return len;
}

/* The bits of p the driver can take now. */
static unsigned
vcons_sendable(const struct vcons_port *p)
{
	return p->ready ? p->owed : p->owed & VCONS_OWE_ADD;
}

int
vcons_ctl_owed(const struct vcons *vc)
{
	unsigned	i;

	if (!vc->multiport || !vc->ready) {
		return 0;
	}
	for (i = 0; i < vc->nports; i++) {
		if (vcons_sendable(&vc->port[i]) != 0) {
			return 1;
		}
	}
	return 0;
}

size_t
vcons_ctl_next(struct vcons *vc, uint8_t *buf)
{
	struct vcons_port	*p;
	unsigned		 i, can, owe;

	if (!vc->multiport || !vc->ready) {
		return 0;
	}
	for (i = 0; i < vc->nports; i++) {
		p = &vc->port[i];
		if ((can = vcons_sendable(p)) == 0) {
			continue;
		}
		owe = can & -can;	/* the lowest: the order they go in */
		p->owed &= ~owe;
		return vcons_ctl_msg(vc, i, owe, buf);
	}
	return 0;
}

void
vcons_host_open(struct vcons *vc, unsigned port, int open)
{
	struct vcons_port	*p;

	if (port >= vc->nports) {
		return;
	}
	p = &vc->port[port];
	if ((p->host_open != 0) == (open != 0)) {
		return;
	}
	p->host_open = open != 0;
	if (p->ready) {
		p->owed |= VCONS_OWE_OPEN;
	}
}

void
vcons_resize(struct vcons *vc, unsigned port, uint16_t cols, uint16_t rows)
{
	struct vcons_port	*p;

	if (port >= vc->nports) {
		return;
	}
	p = &vc->port[port];
	p->cols = cols;
	p->rows = rows;
	if (p->ready && p->console && vc->size) {
		p->owed |= VCONS_OWE_RESIZE;
	}
}

int
vcons_port_takes_input(const struct vcons *vc, unsigned port)
{
	const struct vcons_port	*p;

	if (!vc->multiport) {
		return port == 0;
	}
	if (port >= vc->nports) {
		return 0;
	}
	/*
	 * Linux throws away what arrives for a port it has not opened: a
	 * named port until a program opens it, a console port until
	 * CONSOLE_PORT has made it a console, when the driver says
	 * PORT_OPEN 1 too.
	 */
	p = &vc->port[port];
	return p->ready && p->guest_open;
}
