/*
 * fuzz-vcons: libFuzzer harness for the virtio console's ports and
 * control queue (src/vhost/vcons.c): whatever a guest's driver says on
 * the control transmitq, in whatever order, mixed with what the daemon
 * does on our side (ports opened and closed, resizes, features acked, a
 * new frontend) and with the control receive buffers the driver gives
 * back at any pace.
 *
 * fuzz-sources: src/vhost/vcons.c
 * fuzz-seeds: tests/fuzz/vcons-seeds
 * fuzz-max-len: 4096
 *
 * Input: byte 0: the device's ports (1 + b % 16) and, bit 4, the legacy
 * RESIZE order; then records, each an op byte whose low three bits say
 * what it is:
 *   CTL     0  the driver's control message: with bit 3 a well-formed one
 *              from 3 bytes (port: 0xff BAD_ID, else b % (ports + 2);
 *              event b % 9; value b % 3), else bits 4-7 bytes as they are
 *   NEXT    1  take up to 1 + bits 3-6 owed messages (a receive buffer
 *              each)
 *   OPEN    2  u8 port, bit 3: our side of the port opens or closes
 *   RESIZE  3  u8 port, u16 cols, u16 rows
 *   ACK     4  the features acked: bit 3 MULTIPORT, bit 4 SIZE
 *   RESET   5  a new frontend (vcons_reset)
 *   PORT    6  u8 port, u8 name length (% 20; 0: none), the name's bytes
 *              (mapped into a console name's characters), bit 3: a
 *              console port; as the daemon fills it when a port's console
 *              attaches
 *   CONFIG  7  u8 offset, u8 length (each % 16), bit 3: a write of the
 *              next length bytes, else a read
 *
 * The harness keeps its own reading of the protocol (virtio 1.x 5.3.6,
 * drivers/char/virtio_console.c) and checks, on top of the sanitizers:
 *   - vcons_ctl_in takes exactly the messages a driver may send (8 bytes,
 *     value 0 or 1; DEVICE_READY any time, PORT_READY of an existing port
 *     after it, PORT_OPEN of a port the driver has made) and changes
 *     nothing, with a printable reason, for the rest;
 *   - every owed message is the one due: nothing without MULTIPORT acked
 *     or before DEVICE_READY, PORT_ADD for every port after it, the other
 *     messages of a port only after its PORT_READY and in the order
 *     CONSOLE_PORT, PORT_NAME, PORT_OPEN, RESIZE; CONSOLE_PORT and RESIZE
 *     for console ports only, RESIZE only with SIZE acked; the bytes: the
 *     port's id, the event, PORT_OPEN our side's state, PORT_NAME the
 *     name, RESIZE the size now in the configured order;
 *   - what is owed is bounded: at most five messages a port, whatever the
 *     guest and the daemon did, and vcons_ctl_owed says whether one is;
 *   - input may go to a port exactly when the driver has it open (port 0
 *     alone without MULTIPORT);
 *   - config space: cols and rows of port 0, max_nr_ports, an emergency
 *     write exactly when a write covers byte 8.
 */
#include <stdint.h>
#include <string.h>

#include "../../src/vhost/vcons.h"
#include "fuzzkit.h"

const char	fuzzkit_name[] = "fuzz-vcons";

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

enum {
	FVC_CTL, FVC_NEXT, FVC_OPEN, FVC_RESIZE, FVC_ACK, FVC_RESET, FVC_PORT,
	FVC_CONFIG,
};

/* Our reading of a port, and of the device. */
struct fvc_port {
	int		 ready, guest_open, host_open, console;
	unsigned	 owed;		/* VCONS_OWE_* */
	uint16_t	 cols, rows;
	char		 name[VCONS_NAME_MAX + 1];
};

struct fvc {
	unsigned	 nports;
	int		 legacy, multiport, size, ready;
	struct fvc_port	 p[VCONS_PORTS_MAX];
};

static uint32_t
fvc_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint16_t
fvc_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* What a driver's message must do: 0 taken, -1 refused. */
static int
fvc_ctl_model(struct fvc *m, const uint8_t *b, size_t len)
{
	struct fvc_port	*p;
	uint32_t	 id;
	uint16_t	 ev, val;
	unsigned	 i;

	if (len != 8) {
		return -1;
	}
	id = fvc_le32(b);
	ev = fvc_le16(b + 4);
	val = fvc_le16(b + 6);
	if (val > 1) {
		return -1;
	}
	if (ev == VCONS_DEVICE_READY) {
		m->ready = val;
		for (i = 0; i < VCONS_PORTS_MAX; i++) {
			m->p[i].ready = m->p[i].guest_open = 0;
			m->p[i].owed = val && i < m->nports ? VCONS_OWE_ADD : 0;
		}
		return 0;
	}
	if ((ev != VCONS_PORT_READY && ev != VCONS_PORT_OPEN) || !m->ready ||
	    id >= m->nports) {
		return -1;
	}
	p = &m->p[id];
	if (ev == VCONS_PORT_OPEN) {
		if (!p->ready) {
			return -1;
		}
		p->guest_open = val;
		return 0;
	}
	if (!val) {
		p->ready = p->guest_open = 0;
		p->owed = 0;
		return 0;
	}
	p->ready = 1;
	p->owed &= ~VCONS_OWE_ADD;
	p->owed |= (p->console ? VCONS_OWE_CONSOLE : 0) |
	    (p->name[0] != '\0' ? VCONS_OWE_NAME : 0) |
	    (p->host_open ? VCONS_OWE_OPEN : 0) |
	    (p->console && m->size ? VCONS_OWE_RESIZE : 0);
	return 0;
}

/* The message due next, by our reading: its length into want, or 0. */
static size_t
fvc_next_model(struct fvc *m, uint8_t *want)
{
	static const uint16_t	 events[] = { VCONS_PORT_ADD,
				    VCONS_CONSOLE_PORT, VCONS_PORT_NAME,
				    VCONS_PORT_OPEN, VCONS_RESIZE };
	struct fvc_port		*p;
	unsigned		 i, k, can;
	uint16_t		 a, b, val = 1;
	size_t			 len = 8;

	if (!m->multiport || !m->ready) {
		return 0;
	}
	for (i = 0; i < m->nports; i++) {
		p = &m->p[i];
		can = p->ready ? p->owed : p->owed & VCONS_OWE_ADD;
		for (k = 0; k < 5 && !(can & (1u << k)); k++) {
			continue;
		}
		if (k == 5) {
			continue;
		}
		p->owed &= ~(1u << k);
		memset(want, 0, VCONS_CTL_MAX);
		want[0] = (uint8_t)i;
		want[4] = (uint8_t)events[k];
		if (events[k] == VCONS_PORT_NAME) {
			memcpy(want + 8, p->name, strlen(p->name));
			len += strlen(p->name);
		} else if (events[k] == VCONS_PORT_OPEN) {
			val = (uint16_t)(p->host_open != 0);
		} else if (events[k] == VCONS_RESIZE) {
			val = 0;
			a = m->legacy ? p->rows : p->cols;
			b = m->legacy ? p->cols : p->rows;
			want[8] = (uint8_t)a;
			want[9] = (uint8_t)(a >> 8);
			want[10] = (uint8_t)b;
			want[11] = (uint8_t)(b >> 8);
			len += 4;
		}
		want[6] = (uint8_t)val;
		return len;
	}
	return 0;
}

/* What must hold between any two steps. */
static void
fvc_check(const struct vcons *vc, const struct fvc *m)
{
	unsigned	i, owed = 0;
	int		want;

	CHECK(vc->ready == m->ready, "ready %d, want %d", vc->ready,
	    m->ready);
	for (i = 0; i < m->nports; i++) {
		CHECK(vc->port[i].ready == m->p[i].ready &&
		    vc->port[i].guest_open == m->p[i].guest_open &&
		    vc->port[i].owed == m->p[i].owed, "port %u: ready %d open "
		    "%d owed %#x, want %d %d %#x", i, vc->port[i].ready,
		    vc->port[i].guest_open, vc->port[i].owed, m->p[i].ready,
		    m->p[i].guest_open, m->p[i].owed);
		CHECK((vc->port[i].owed & ~0x1fu) == 0, "port %u owes %#x", i,
		    vc->port[i].owed);
		want = m->multiport ? m->p[i].ready && m->p[i].guest_open :
		    i == 0;
		CHECK(vcons_port_takes_input(vc, i) == want, "port %u takes "
		    "input: %d, want %d", i, vcons_port_takes_input(vc, i),
		    want);
		if (m->multiport && m->ready && (m->p[i].ready ?
		    m->p[i].owed : m->p[i].owed & VCONS_OWE_ADD) != 0) {
			owed = 1;
		}
	}
	CHECK(vcons_ctl_owed(vc) == (int)owed, "owed %d, want %u",
	    vcons_ctl_owed(vc), owed);
	CHECK(!vcons_port_takes_input(vc, m->nports) &&
	    !vcons_port_takes_input(vc, 1000), "input for a port past the "
	    "device's");
}

static void
fvc_config(const struct vcons *vc, const struct fvc *m, unsigned op,
    const uint8_t *p, size_t n, size_t *used)
{
	uint8_t		buf[16], want[VCONS_CONFIG_SIZE] = { 0 };
	uint32_t	off, len;
	uint8_t		ch = 0;
	int		r, in;

	*used = 0;
	if (n < 2) {
		return;
	}
	off = p[0] % 16;
	len = p[1] % 16;
	*used = 2;
	in = off <= 12 && len <= 12 - off;
	want[0] = (uint8_t)m->p[0].cols;
	want[1] = (uint8_t)(m->p[0].cols >> 8);
	want[2] = (uint8_t)m->p[0].rows;
	want[3] = (uint8_t)(m->p[0].rows >> 8);
	want[4] = (uint8_t)m->nports;
	if (!(op & 8)) {
		memset(buf, 0xee, sizeof buf);
		r = vcons_get_config(vc, off, buf, len);
		CHECK(r == (in ? 0 : -1) && (!in || memcmp(buf, want + off,
		    len) == 0), "get_config(%u, %u) = %d", off, len, r);
		return;
	}
	memset(buf, 0, sizeof buf);
	memcpy(buf, p + 2, len < n - 2 ? len : n - 2);
	*used += len < n - 2 ? len : n - 2;
	r = vcons_set_config(vc, off, buf, len, &ch);
	if (!in) {
		CHECK(r == -1, "set_config(%u, %u) outside: %d", off, len, r);
	} else if (off <= 8 && off + len > 8) {
		CHECK(r == 1 && ch == buf[8 - off], "an emergency write "
		    "(%u, %u): %d", off, len, r);
	} else if (off + len <= 8) {
		CHECK(r == (memcmp(buf, want + off, len) == 0 ? 0 : -1),
		    "a write of the read-only part: %d", r);
	} else {
		CHECK(r == -1, "a write inside emerg_wr: %d", r);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 chars[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
	struct vcons		 vc, before;
	struct fvc		 m;
	uint8_t			 msg[VCONS_CTL_MAX + 8], want[VCONS_CTL_MAX];
	const uint8_t		*p = data + 1;
	const char		*why;
	size_t			 n, len, wlen, used;
	unsigned		 op, i, port, k, got;
	int			 r, wr;

	if (size < 1) {
		return 0;
	}
	memset(&m, 0, sizeof m);
	m.nports = 1 + data[0] % VCONS_PORTS_MAX;
	m.legacy = (data[0] >> 4) & 1;
	vcons_init(&vc, m.nports);
	vc.legacy_resize = m.legacy;
	for (i = 0; i < VCONS_PORTS_MAX; i++) {
		m.p[i].cols = 80;
		m.p[i].rows = 24;
	}
	m.p[0].console = 1;
	n = size - 1;
	fvc_check(&vc, &m);
	while (n > 0) {
		op = *p++;
		n--;
		used = 0;
		switch (op & 7) {
		case FVC_CTL:
			if (op & 8) {
				if (n < 3) {
					return 0;
				}
				memset(msg, 0, 8);
				if (p[0] == 0xff) {
					memset(msg, 0xff, 4);
				} else {
					msg[0] = (uint8_t)(p[0] %
					    (m.nports + 2));
				}
				msg[4] = (uint8_t)(p[1] % 9);
				msg[6] = (uint8_t)(p[2] % 3);
				len = 8;
				used = 3;
			} else {
				len = (op >> 4) < n ? op >> 4 : n;
				memcpy(msg, p, len);
				used = len;
			}
			before = vc;
			why = NULL;
			r = vcons_ctl_in(&vc, msg, len, &why);
			wr = fvc_ctl_model(&m, msg, len);
			CHECK(r == wr, "vcons_ctl_in said %d, want %d", r, wr);
			if (r == -1) {
				CHECK(why != NULL && why[0] != '\0' &&
				    fuzzkit_printable(why), "no reason");
				CHECK(memcmp(&before, &vc, sizeof vc) == 0,
				    "a refused message changed the device");
			}
			break;
		case FVC_NEXT:
			k = 1 + ((op >> 3) & 15);
			for (got = 0; got < k; got++) {
				memset(msg, 0xee, sizeof msg);
				len = vcons_ctl_next(&vc, msg);
				wlen = fvc_next_model(&m, want);
				CHECK(len == wlen && memcmp(msg, want, len) ==
				    0, "owed message of %zu bytes, want %zu "
				    "(event %u, port %u)", len, wlen, msg[4],
				    msg[0]);
				CHECK(msg[len] == 0xee, "a message ran past "
				    "its length");
				if (len == 0) {
					break;
				}
			}
			break;
		case FVC_OPEN:
			if (n < 1) {
				return 0;
			}
			port = p[0] % (m.nports + 1);
			used = 1;
			vcons_host_open(&vc, port, (op >> 3) & 1);
			if (port < m.nports && (m.p[port].host_open != 0) !=
			    ((op >> 3) & 1)) {
				m.p[port].host_open = (op >> 3) & 1;
				if (m.p[port].ready) {
					m.p[port].owed |= VCONS_OWE_OPEN;
				}
			}
			break;
		case FVC_RESIZE:
			if (n < 5) {
				return 0;
			}
			port = p[0] % (m.nports + 1);
			used = 5;
			vcons_resize(&vc, port, fvc_le16(p + 1),
			    fvc_le16(p + 3));
			if (port < m.nports) {
				m.p[port].cols = fvc_le16(p + 1);
				m.p[port].rows = fvc_le16(p + 3);
				if (m.p[port].ready && m.p[port].console &&
				    m.size) {
					m.p[port].owed |= VCONS_OWE_RESIZE;
				}
			}
			break;
		case FVC_ACK:
			vcons_negotiated(&vc, ((op >> 3) & 1 ?
			    1ull << VCONS_F_MULTIPORT : 0) | ((op >> 4) & 1 ?
			    1ull << VCONS_F_SIZE : 0));
			m.multiport = m.nports > 1 && ((op >> 3) & 1);
			m.size = (op >> 4) & 1;
			CHECK(vc.multiport == m.multiport && vc.size == m.size,
			    "negotiated %d %d", vc.multiport, vc.size);
			break;
		case FVC_RESET:
			vcons_reset(&vc);
			m.ready = 0;
			for (i = 0; i < VCONS_PORTS_MAX; i++) {
				m.p[i].ready = m.p[i].guest_open = 0;
				m.p[i].owed = 0;
			}
			break;
		case FVC_PORT:
			if (n < 2) {
				return 0;
			}
			port = p[0] % m.nports;
			len = p[1] % 20;
			used = 2 + (len < n - 2 ? len : n - 2);
			if (len > n - 2) {
				len = n - 2;
			}
			for (i = 0; i < len; i++) {
				vc.port[port].name[i] =
				    chars[p[2 + i] % (sizeof chars - 1)];
			}
			vc.port[port].name[len] = '\0';
			memcpy(m.p[port].name, vc.port[port].name, len + 1);
			vc.port[port].console = port == 0 || ((op >> 3) & 1);
			m.p[port].console = vc.port[port].console;
			break;
		case FVC_CONFIG:
			fvc_config(&vc, &m, op, p, n, &used);
			break;
		}
		p += used;
		n -= used;
		fvc_check(&vc, &m);
	}
	/* Whatever happened, what is owed drains in at most 5 a port. */
	for (got = 0; got <= 5 * VCONS_PORTS_MAX; got++) {
		len = vcons_ctl_next(&vc, msg);
		wlen = fvc_next_model(&m, want);
		CHECK(len == wlen && memcmp(msg, want, len) == 0, "draining: "
		    "%zu bytes, want %zu", len, wlen);
		if (len == 0) {
			break;
		}
	}
	CHECK(got <= 5 * m.nports, "%u messages owed for %u ports", got,
	    m.nports);
	CHECK(!vcons_ctl_owed(&vc), "still owed after draining");
	return 0;
}
