/*
 * vcons: the virtio-console device's own parts, as the virtio spec
 * (5.3) and Linux's driver have them: its feature bits, its 12-byte
 * config space (the window size, max_nr_ports, the emergency-write
 * register) and, with MULTIPORT, its ports and the control queue that
 * adds, names, opens and sizes them.  No I/O: the daemon moves the bytes
 * of the control rings in and out of here, a unit test or a fuzzer
 * hands them over as plain memory.
 *
 * A device of one port offers no MULTIPORT: the guest sees /dev/hvc0,
 * and the size travels in config space, which has none of the
 * field-order trouble of the RESIZE message (research/vhost-user.md,
 * section 2).  A device of several offers MULTIPORT: port 0 is the
 * console port (/dev/hvc0), the others are console ports (/dev/hvcN)
 * or named ports (/dev/vportNpM, /dev/virtio-ports/NAME).
 */
#ifndef TTYHUB_VCONS_H
#define TTYHUB_VCONS_H

#include <stddef.h>
#include <stdint.h>

#define VCONS_F_SIZE		0
#define VCONS_F_MULTIPORT	1
#define VCONS_F_EMERG_WRITE	2
#define VCONS_CONFIG_SIZE	12
#define VCONS_RX		0	/* port 0's receiveq: to the guest */
#define VCONS_TX		1	/* its transmitq: from the guest */
#define VCONS_RINGS		2	/* without MULTIPORT */
#define VCONS_CTL_RX		2	/* control receiveq: to the guest */
#define VCONS_CTL_TX		3	/* control transmitq: from it */
#define VCONS_PORTS_MAX		16	/* as many as Linux has hvc consoles */
#define VCONS_RINGS_MAX		(2 * (VCONS_PORTS_MAX + 1))
#define VCONS_NAME_MAX		64
#define VCONS_CTL_SIZE		8	/* id, event, value */
#define VCONS_CTL_MAX		(VCONS_CTL_SIZE + VCONS_NAME_MAX)

/* The features offered by a device of one port: VERSION_1, SIZE, EMERG_WRITE. */
#define VCONS_FEATURES	((1ull << 32) | (1ull << VCONS_F_SIZE) | \
	(1ull << VCONS_F_EMERG_WRITE))

/* Control events (virtio 5.3.6.2.1); BAD_ID names no port. */
enum vcons_event {
	VCONS_DEVICE_READY = 0,
	VCONS_PORT_ADD = 1,
	VCONS_PORT_REMOVE = 2,
	VCONS_PORT_READY = 3,
	VCONS_CONSOLE_PORT = 4,
	VCONS_RESIZE = 5,
	VCONS_PORT_OPEN = 6,
	VCONS_PORT_NAME = 7,
};
#define VCONS_BAD_ID	0xffffffffu

/* What a port is owed (struct vcons_port's owed), in the order sent. */
#define VCONS_OWE_ADD		0x01
#define VCONS_OWE_CONSOLE	0x02
#define VCONS_OWE_NAME		0x04
#define VCONS_OWE_OPEN		0x08
#define VCONS_OWE_RESIZE	0x10

struct vcons_port {
	char		 name[VCONS_NAME_MAX + 1];	/* "": none sent */
	int		 console;	/* a console port (/dev/hvcN) */
	uint16_t	 cols, rows;
	int		 host_open;	/* something serves it on our side */

	/* The handshake with this driver, since its DEVICE_READY. */
	int		 ready;		/* it said PORT_READY 1 */
	int		 guest_open;	/* its last PORT_OPEN */
	unsigned	 owed;		/* messages to send, VCONS_OWE_* */
};

struct vcons {
	unsigned		 nports;	/* max_nr_ports, 1 to the max */
	int			 legacy_resize;	/* RESIZE as rows, cols */
	int			 multiport;	/* acked (vcons_negotiated) */
	int			 size;		/* F_SIZE acked */
	int			 ready;		/* DEVICE_READY 1 seen */
	struct vcons_port	 port[VCONS_PORTS_MAX];
};

/*
 * A device of nports ports, each port's name empty, port 0 a console
 * port and the others not, all sized 80x24 and closed on our side: the
 * owner fills in the rest before a frontend comes.
 */
void		vcons_init(struct vcons *vc, unsigned nports);

/* What it offers: VCONS_FEATURES, with MULTIPORT for several ports. */
uint64_t	vcons_features(const struct vcons *vc);

/* The rings it uses; port p's receiveq and transmitq. */
unsigned	vcons_nrings(const struct vcons *vc);
unsigned	vcons_rx(unsigned port);
unsigned	vcons_tx(unsigned port);

/*
 * The port whose receiveq (*tx = 0) or transmitq (*tx = 1) ring idx is,
 * or -1: a control ring, or one past the device's ports.
 */
int		vcons_ring_port(const struct vcons *vc, unsigned idx, int *tx);

/*
 * The features the driver acked, as vhost.c holds them: which way the
 * device speaks now.  Losing MULTIPORT (a driver that never asks for it)
 * leaves port 0 alone, sized through config space.
 */
void		vcons_negotiated(struct vcons *vc, uint64_t features);

/*
 * A new frontend, or the driver reset without saying so (its control
 * rings went): every port is unknown to the driver again.
 */
void		vcons_reset(struct vcons *vc);

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

/*
 * One message from the driver's control transmitq, len bytes: the
 * driver is ready (PORT_ADD for every port is then owed), a port is
 * ready (its CONSOLE_PORT, PORT_NAME, PORT_OPEN and RESIZE are owed),
 * or a program in the guest opened or closed a port.  0, or -1 with
 * *why for a message no driver sends (a wrong length, an event only
 * the device sends, a port that does not exist or was never added):
 * it changes nothing.
 */
int		vcons_ctl_in(struct vcons *vc, const uint8_t *buf, size_t len,
		    const char **why);

/*
 * The next message owed to the driver, into buf (VCONS_CTL_MAX bytes):
 * its length, or 0 when none is owed.  It is no longer owed: call this
 * only with a receive buffer of the control receiveq to put it in.
 * Per port in order: PORT_ADD, then (after PORT_READY) CONSOLE_PORT,
 * PORT_NAME, PORT_OPEN, RESIZE, as QEMU's virtio-serial sends them.
 */
size_t		vcons_ctl_next(struct vcons *vc, uint8_t *buf);

/* Is a message owed that the driver can take now? */
int		vcons_ctl_owed(const struct vcons *vc);

/*
 * Our side of port p: opened or closed (PORT_OPEN is owed when that
 * changes and the driver knows the port), and its window size (RESIZE
 * for a console port; without MULTIPORT port 0's size is the config's,
 * and the owner tells the frontend that the config changed).
 */
void		vcons_host_open(struct vcons *vc, unsigned port, int open);
void		vcons_resize(struct vcons *vc, unsigned port, uint16_t cols,
		    uint16_t rows);

/*
 * May input go to port p's receiveq now?  Without MULTIPORT, port 0
 * always (the rings say the rest); with it, while the driver says the
 * port is open: Linux throws away what arrives for a port it has not
 * opened, a console port until it has made it a console (it then says
 * PORT_OPEN 1), a named port while no program in the guest has it.
 */
int		vcons_port_takes_input(const struct vcons *vc, unsigned port);

#endif
