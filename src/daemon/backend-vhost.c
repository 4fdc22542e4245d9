/*
 * backend-vhost: consoles that are the ports of a virtio console device
 * we provide ourselves, over vhost-user: ttyhubd listens on path =, a
 * frontend (QEMU's vhost-user device, User-Mode Linux's virtio_uml)
 * connects and shares the guest's memory.  src/vhost/ does the
 * protocol, the rings, the device's config and its control queue; this
 * file does the socket, the kick and call eventfds, and moving bytes
 * between the rings and the consoles.
 *
 * A device (struct vdev) is its socket, the frontend's session and its
 * ports.  Each port is a console of its own (type = vhost-user for port
 * 0, vhost-port for the others), whose backend attaches to the device
 * when it first opens and lets go when it is freed; the device goes with
 * its last port.  So the arrows stay as they are: the hub makes
 * consoles, a console its backend, and the backends of one device share
 * it here, below them all.  The devices are found by their socket's
 * path, one process, one loop.
 *
 * The ports' consoles are up while a frontend is connected.  Their rings
 * come and go with the guest (boot, reset, reboot); input waits in each
 * console's capped queue until the guest can take it.  Transmit buffers
 * are handed back as soon as they are read, whoever is watching: Linux
 * spins in hvc's write, and in sending a control message, until its
 * buffer comes back, so holding one would stall the guest.  After bulk
 * output a transmit ring is polled briefly with the guest's kicks off.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "backend.h"
#include "config.h"
#include "listener.h"
#include "log.h"
#include "server.h"
#include "../vhost/vcons.h"
#include "../vhost/vhost.h"

#define VB_MSGS_MAX	64	/* messages handled per wakeup: fairness */
#define VB_CTL_IN_MAX	64	/* a driver's control message, at most */
#define VB_SETTLE_MS	500	/* port 0 without MULTIPORT: see below */
#define VB_POLL_US	20	/* a transmit ring watched for more: see */
#define VB_POLL_MAX_US	200	/* backend_vhost_tx_poll */
#define VB_POLL_BYTES	1024	/* after this much output at once */

struct vdev;

/* A port's console's backend: b->priv. */
struct vport {
	struct vdev	*d;		/* NULL until the first open */
	struct backend	*b;
	unsigned	 id;
	int		 told_open;	/* what its clients were told */
};

/* One ring's kick fd, watched. */
struct vring_watch {
	struct vdev	*d;
	unsigned	 idx;
	struct event	*ev;
	unsigned	 gen;
};

/* A device: its socket, the frontend's session, its ports. */
struct vdev {
	LIST_ENTRY(vdev)	 entry;
	struct server		*srv;
	char			*path;
	char			 name[CFG_NAME_MAX + 1];  /* port 0's console */
	unsigned		 refs;		/* ports attached */
	struct listener		*l;
	int			 fd;		/* the frontend; -1: none */
	struct event		*rev;
	struct vring_watch	 kick[VHOST_RINGS_MAX];

	struct vhost_ops	 ops;
	struct vhost		 v;
	struct vcons		 vc;
	struct vport		*port[VCONS_PORTS_MAX];
	int			 live0;		/* port 0's rings both live */
	int			 settled0;	/* and its driver has the port */
	struct event		*settle;
	int			 size_warned;	/* said it could not tell */
	struct log_rate		 lr_second;	/* second frontends refused */
	struct log_rate		 lr_ctl;	/* control messages refused */

	struct vhost_msg	 in;		/* being read */
	size_t			 got;
	int			 fds[VHOST_FDS_MAX];
	unsigned		 nfds;
};

static LIST_HEAD(, vdev) backend_vhost_devices =
    LIST_HEAD_INITIALIZER(backend_vhost_devices);

static void	backend_vhost_ring(void *, unsigned);
static int	backend_vhost_get_config(void *, uint32_t, uint8_t *,
		    uint32_t);
static int	backend_vhost_set_config(void *, uint32_t, const uint8_t *,
		    uint32_t);
static void	backend_vhost_rx(struct vdev *, unsigned);

static void
backend_vhost_free_fds(struct vdev *d)
{
	while (d->nfds > 0) {
		(void)close(d->fds[--d->nfds]);
	}
}

/* End the frontend's session; the listener stays for the next one. */
static void
backend_vhost_end(struct vdev *d)
{
	unsigned	i;

	for (i = 0; i < VHOST_RINGS_MAX; i++) {
		if (d->kick[i].ev != NULL) {
			event_free(d->kick[i].ev);
			d->kick[i].ev = NULL;
		}
	}
	if (d->rev != NULL) {
		event_free(d->rev);
		d->rev = NULL;
	}
	vhost_reset(&d->v);
	backend_vhost_free_fds(d);
	d->got = 0;
	d->live0 = d->settled0 = 0;
	if (d->settle != NULL) {
		evtimer_del(d->settle);
	}
	if (d->fd != -1) {
		(void)close(d->fd);
		d->fd = -1;
	}
}

/*
 * The frontend broke the protocol or went: every port's console goes
 * down (told once), and the session ends.  Nothing of the session may be
 * used after this.
 */
static void
backend_vhost_drop(struct vdev *d, const char *why)
{
	unsigned	i;

	if (d->fd == -1) {
		return;
	}
	/* Each port's console says it went down, and why. */
	log_debug("console %s: frontend: %s", d->name, why);
	backend_vhost_end(d);
	for (i = 0; i < VCONS_PORTS_MAX; i++) {
		if (d->port[i] != NULL) {
			(void)backend_gone(d->port[i]->b, why);
		}
	}
}

/* Signal the driver that ring idx has used buffers, if it wants that. */
static void
backend_vhost_notify(struct vdev *d, unsigned idx)
{
	uint64_t	one = 1;
	int		fd;

	if ((fd = vhost_notify_fd(&d->v, idx)) != -1) {
		/* An eventfd: only a counter at its maximum refuses. */
		(void)!write(fd, &one, sizeof one);
	}
}

/* A ring found broken: said in the daemon's log and the port's. */
static void
backend_vhost_broken(struct vdev *d, struct vport *vp, const char *what,
    const char *why)
{
	log_warn("console %s: the guest's %s is broken (%s); stopped until "
	    "the guest sets it up again", vp != NULL ? vp->b->cfg->name :
	    d->name, what, why);
	if (vp != NULL) {
		backend_event(vp->b, "%s broken: %s", what, why);
	}
}

/*
 * Take what port id's transmit ring holds (a ring's worth at most), each
 * buffer handed back at once, the clients told once for all (the driver
 * is told by the caller).  The buffers taken, their bytes in *len; *r:
 * 1 more wait, 0 none, -1 the ring broke.  No console for the port (a
 * reload): the output goes nowhere.
 */
static unsigned
backend_vhost_tx_take(struct vdev *d, unsigned id, struct vq *q, int *r,
    size_t *len)
{
	struct vport	*vp = d->port[id];
	struct vq_chain	 c;
	unsigned	 i, n;

	*r = 0;
	*len = 0;
	for (n = 0; n < q->num && (*r = vq_pop(q, &d->v.mem, &c)) == 1; n++) {
		for (i = 0; i < c.nout; i++) {
			if (vp != NULL) {
				backend_output(vp->b, c.out[i].base,
				    c.out[i].len);
			}
			*len += c.out[i].len;
		}
		vq_push(q, c.head, 0);
	}
	if (n > 0 && vp != NULL) {
		backend_flush(vp->b);
	}
	return n;
}

static uint64_t
backend_vhost_us(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * Linux's tty layer writes to hvc 2 KiB at a time, hvc gives
 * virtio_console a page at most per put_chars, and __send_to_port
 * (drivers/char/virtio_console.c, 6.1) spins on virtqueue_get_buf until
 * that buffer comes back: bulk output is one small buffer after another,
 * each added a few microseconds after the last came back.  Woken for
 * each by a kick, and calling the driver back for each (in User-Mode
 * Linux a SIGIO and an interrupt, though the driver is spinning anyway),
 * we spend more on wakeups than on bytes.  So, as vhost-net's
 * busyloop_timeout does, after taking VB_POLL_BYTES or more at once we
 * watch the ring VB_POLL_US for the next buffer with the driver's kicks
 * off (vq_kicks_off: virtqueue_kick_prepare_split in
 * drivers/virtio/virtio_ring.c skips the kick while the device sets
 * VRING_USED_F_NO_NOTIFY and EVENT_IDX is not negotiated), for as long
 * as each watch finds one and VB_POLL_MAX_US in all: the loop is never
 * held longer, and a keystroke's echo (less than VB_POLL_BYTES) is not
 * followed by a spin that would take a CPU from the client waiting for
 * it.  The driver is called once, at the end.  The console never waits
 * for its clients, so taking buffers is never wrong.  At the end the
 * kicks are turned back on and the ring looked at once more (a buffer
 * added before the driver saw the flag cleared came without a kick);
 * what is there is taken on the next turn of the loop.  Returns as
 * backend_vhost_tx_take's *r.
 */
static int
backend_vhost_tx_poll(struct vdev *d, unsigned id, struct vq *q)
{
	uint64_t	now, end, watch;
	size_t		len;
	int		r = 0;

	vq_kicks_off(q);
	now = backend_vhost_us();
	end = now + VB_POLL_MAX_US;
	while (now < end) {
		watch = now + VB_POLL_US < end ? now + VB_POLL_US : end;
		while (vq_waiting(q) == 0 && !q->broken &&
		    (now = backend_vhost_us()) < watch) {
			continue;
		}
		if (q->broken || vq_waiting(q) == 0 ||
		    backend_vhost_tx_take(d, id, q, &r, &len) == 0 || r != 0) {
			break;
		}
		now = backend_vhost_us();
	}
	if (vq_kicks_on(q) > 0 && r == 0) {
		r = 1;
	}
	return q->broken ? -1 : r;
}

/*
 * Guest output on port id: hand every transmit buffer back at once, and
 * after bulk output look for more (backend_vhost_tx_poll).
 */
static void
backend_vhost_tx(struct vdev *d, unsigned id)
{
	struct vq	*q = vhost_vq(&d->v, vcons_tx(id));
	size_t		 len;
	int		 r;

	if (q == NULL) {
		return;
	}
	if (id == 0 && !d->settled0) {
		/* Output: the driver has the port, input may go. */
		d->settled0 = 1;
		evtimer_del(d->settle);
		backend_vhost_rx(d, 0);
	}
	if (backend_vhost_tx_take(d, id, q, &r, &len) > 0) {
		if (r == 0 && len >= VB_POLL_BYTES) {
			r = backend_vhost_tx_poll(d, id, q);
		}
		backend_vhost_notify(d, vcons_tx(id));
	}
	if (r == -1) {
		backend_vhost_broken(d, d->port[id], "transmit queue", q->why);
	} else if (r == 1 && d->kick[vcons_tx(id)].ev != NULL) {
		event_active(d->kick[vcons_tx(id)].ev, EV_TIMEOUT, 0); /* more */
	}
}

/* Writers' input into port id's receive buffers, while both last. */
static void
backend_vhost_rx(struct vdev *d, unsigned id)
{
	struct vport	*vp = d->port[id];
	struct vq	*q = vhost_vq(&d->v, vcons_rx(id));
	struct vq_chain	 c;
	size_t		 len;
	unsigned	 i, n = 0;
	int		 r = 0;

	if (q == NULL || vp == NULL || !vcons_port_takes_input(&d->vc, id) ||
	    (!d->vc.multiport && !d->settled0)) {
		return;
	}
	while (backend_pending(vp->b) > 0 &&
	    (r = vq_pop(q, &d->v.mem, &c)) == 1) {
		len = 0;
		for (i = 0; i < c.nin; i++) {
			len += backend_take(vp->b, c.in[i].base, c.in[i].len);
		}
		vq_push(q, c.head, (uint32_t)len);
		n++;
	}
	if (n > 0) {
		backend_vhost_notify(d, vcons_rx(id));
	}
	if (r == -1) {
		backend_vhost_broken(d, vp, "receive queue", q->why);
	}
}

/*
 * What the control queue owes the driver, into its receive buffers
 * while there are both.  A buffer smaller than a message (no driver
 * posts one) gets what fits.
 */
static void
backend_vhost_ctl_flush(struct vdev *d)
{
	struct vq	*q = vhost_vq(&d->v, VCONS_CTL_RX);
	struct vq_chain	 c;
	uint8_t		 msg[VCONS_CTL_MAX];
	size_t		 len, off, n;
	unsigned	 i, used = 0;
	int		 r = 0;

	if (q == NULL || !d->vc.multiport) {
		return;
	}
	while (vcons_ctl_owed(&d->vc) &&
	    (r = vq_pop(q, &d->v.mem, &c)) == 1) {
		len = vcons_ctl_next(&d->vc, msg);
		for (i = 0, off = 0; i < c.nin && off < len; i++) {
			n = len - off < c.in[i].len ? len - off : c.in[i].len;
			memcpy(c.in[i].base, msg + off, n);
			off += n;
		}
		vq_push(q, c.head, (uint32_t)off);
		used++;
	}
	if (used > 0) {
		backend_vhost_notify(d, VCONS_CTL_RX);
	}
	if (r == -1) {
		backend_vhost_broken(d, d->port[0], "control receive queue",
		    q->why);
	}
}

/*
 * After the driver said something: tell each port's clients what the
 * guest did with it, send what is owed, and give input to ports that
 * can take it now.
 */
static void
backend_vhost_ctl_after(struct vdev *d)
{
	struct vport	*vp;
	unsigned	 i;
	int		 open;

	for (i = 0; i < d->vc.nports; i++) {
		if ((vp = d->port[i]) == NULL || d->vc.port[i].console) {
			continue;
		}
		open = d->vc.port[i].ready && d->vc.port[i].guest_open;
		if (open != vp->told_open) {
			vp->told_open = open;
			backend_notice(vp->b, "the guest %s the port",
			    open ? "opened" : "closed");
		}
	}
	backend_vhost_ctl_flush(d);
	for (i = 0; i < d->vc.nports; i++) {
		backend_vhost_rx(d, i);
	}
}

/*
 * The driver's control messages: each is read and its buffer handed
 * back at once (Linux spins until it is), then acted on.  A message no
 * driver sends changes nothing and is logged, a few a minute.
 */
static void
backend_vhost_ctl_tx(struct vdev *d)
{
	struct vq	*q = vhost_vq(&d->v, VCONS_CTL_TX);
	struct vq_chain	 c;
	uint8_t		 msg[VB_CTL_IN_MAX];
	const char	*why;
	size_t		 len, n;
	unsigned	 i, k;
	int		 r = 0;

	if (q == NULL || !d->vc.multiport) {
		return;
	}
	for (k = 0; k < q->num && (r = vq_pop(q, &d->v.mem, &c)) == 1; k++) {
		len = 0;
		why = NULL;
		for (i = 0; i < c.nout; i++) {
			n = c.out[i].len;
			if (n > sizeof msg - len) {
				why = "a control message longer than any";
				break;
			}
			memcpy(msg + len, c.out[i].base, n);
			len += n;
		}
		vq_push(q, c.head, 0);
		if (why == NULL && vcons_ctl_in(&d->vc, msg, len, &why) == 0) {
			continue;
		}
		log_rate_warn(&d->lr_ctl, "console %s: the guest's driver "
		    "sent %s; ignored", d->name, why);
	}
	if (k > 0) {
		backend_vhost_notify(d, VCONS_CTL_TX);
		backend_vhost_ctl_after(d);
	}
	if (r == -1) {
		backend_vhost_broken(d, d->port[0], "control transmit queue",
		    q->why);
	} else if (r == 1 && d->kick[VCONS_CTL_TX].ev != NULL) {
		event_active(d->kick[VCONS_CTL_TX].ev, EV_TIMEOUT, 0);
	}
}

/*
 * A kick: the eventfd is cleared (one we made ourselves has nothing to
 * clear).  A kick fd at its end (a pipe whose writer is gone) would wake
 * us for ever: the frontend is broken, and dropped.  0, or -1 when it was.
 */
static int
backend_vhost_clear(struct vdev *d, evutil_socket_t fd, short what)
{
	uint64_t	n;
	ssize_t		r;

	if (!(what & EV_READ)) {
		return 0;
	}
	r = read(fd, &n, sizeof n);
	if (r > 0 || (r == -1 && (errno == EAGAIN || errno == EINTR))) {
		return 0;
	}
	backend_vhost_drop(d, r == 0 ? "a kick fd of the frontend is at its "
	    "end" : strerror(errno));
	return -1;
}

/* Ring idx was kicked (or is looked at again): what it is for. */
static void
backend_vhost_kick(evutil_socket_t fd, short what, void *arg)
{
	struct vring_watch	*w = arg;
	struct vdev		*d = w->d;
	int			 port, tx;

	if (backend_vhost_clear(d, fd, what) == -1) {
		return;
	}
	if (w->idx == VCONS_CTL_TX || w->idx == VCONS_CTL_RX) {
		if (w->idx == VCONS_CTL_TX) {
			backend_vhost_ctl_tx(d);
		} else {
			backend_vhost_ctl_flush(d);
		}
		return;
	}
	if ((port = vcons_ring_port(&d->vc, w->idx, &tx)) == -1 ||
	    (port > 0 && !d->vc.multiport)) {
		return;		/* a ring the guest does not use */
	}
	if (tx) {
		backend_vhost_tx(d, (unsigned)port);
	} else {
		backend_vhost_rx(d, (unsigned)port);
	}
}

/* Tell the guest its config changed; say once a session when we cannot. */
static void
backend_vhost_tell_size(struct vdev *d)
{
	uint8_t	msg[VHOST_HDR_SIZE];
	size_t	len;
	int	fd;

	errno = 0;
	if ((fd = vhost_config_change_msg(&d->v, msg, &len)) != -1 &&
	    send(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len) {
		return;
	}
	if (d->size_warned) {
		return;
	}
	d->size_warned = 1;
	log_warn("console %s: cannot tell the guest its size: %s", d->name,
	    fd == -1 ? "the frontend has no backend channel" : errno != 0 ?
	    strerror(errno) : "a short send");
}

static void
backend_vhost_settled(evutil_socket_t fd, short what, void *arg)
{
	struct vdev	*d = arg;

	(void)fd;
	(void)what;
	d->settled0 = 1;
	backend_vhost_rx(d, 0);
}

/*
 * Port 0's rings came up or went.  Without MULTIPORT its size is in
 * config space, and Linux reads it when told it changed (it did not at
 * probe before 6.x): tell it whenever the driver (re)starts the rings,
 * not once per frontend, or a guest whose driver was reset sees 0x0
 * until a writer resizes.  With MULTIPORT the size goes with each
 * port's PORT_READY (vcons.c).
 *
 * Nor does a driver without MULTIPORT say when it has made its port:
 * Linux posts its receive buffers first, and a buffer filled before the
 * port is on its list is thrown away (in_intr finds no port; seen in
 * UML with input typed before the guest booted).  So input that waited
 * goes VB_SETTLE_MS after the rings start, or at the guest's first
 * output, whichever comes first; with MULTIPORT, PORT_OPEN says it.
 */
static void
backend_vhost_port0_live(struct vdev *d)
{
	struct timeval	tv = { 0, VB_SETTLE_MS * 1000 };
	int		live = vhost_vq(&d->v, VCONS_RX) != NULL &&
			    vhost_vq(&d->v, VCONS_TX) != NULL;

	if (live && !d->live0) {
		if (!d->vc.multiport && vhost_has(&d->v, VCONS_F_SIZE)) {
			backend_vhost_tell_size(d);
		}
		d->settled0 = 0;
		evtimer_add(d->settle, &tv);
	} else if (!live && d->live0) {
		d->settled0 = 0;
		evtimer_del(d->settle);
	}
	d->live0 = live;
}

/*
 * A ring changed: watch its kick fd (or stop), and look at it at once,
 * after this message, for buffers the guest queued before.
 */
static void
backend_vhost_ring(void *arg, unsigned idx)
{
	struct vdev		*d = arg;
	struct vring_watch	*w = &d->kick[idx];
	unsigned		 gen;
	int			 fd = vhost_ring_kick(&d->v, idx, &gen);
	int			 live = vhost_vq(&d->v, idx) != NULL;

	if (w->ev != NULL && (gen != w->gen || !live)) {
		event_free(w->ev);
		w->ev = NULL;
	}
	if (w->ev == NULL && fd != -1 && live) {
		w->d = d;
		w->idx = idx;
		w->ev = event_new(d->srv->base, fd, EV_READ | EV_PERSIST,
		    backend_vhost_kick, w);
		if (w->ev == NULL || event_add(w->ev, NULL) == -1) {
			log_warn("console %s: cannot watch ring %u", d->name,
			    idx);
			return;
		}
		w->gen = gen;
		event_active(w->ev, EV_TIMEOUT, 0);
	}
	if (idx == VCONS_RX || idx == VCONS_TX) {
		backend_vhost_port0_live(d);
	}
}

static int
backend_vhost_get_config(void *arg, uint32_t off, uint8_t *buf, uint32_t len)
{
	struct vdev	*d = arg;

	return vcons_get_config(&d->vc, off, buf, len);
}

static int
backend_vhost_set_config(void *arg, uint32_t off, const uint8_t *buf,
    uint32_t len)
{
	struct vdev	*d = arg;
	uint8_t		 ch;
	int		 r;

	r = vcons_set_config(&d->vc, off, buf, len, &ch);
	if (r == 1 && d->port[0] != NULL) {
		/* Emergency write: port 0's output like any other. */
		backend_output(d->port[0]->b, &ch, 1);
		backend_flush(d->port[0]->b);
	}
	return r == -1 ? -1 : 0;
}

/* Take the fds that came with the bytes; more than a message may carry
 * ends the session. */
static int
backend_vhost_cmsg(struct vdev *d, struct msghdr *mh)
{
	struct cmsghdr	*cm;
	int		*fd;
	size_t		 n, i;
	int		 ok = !(mh->msg_flags & MSG_CTRUNC);

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS) {
			continue;
		}
		fd = (int *)(void *)CMSG_DATA(cm);
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			if (d->nfds < VHOST_FDS_MAX) {
				d->fds[d->nfds++] = fd[i];
			} else {
				(void)close(fd[i]);
				ok = 0;
			}
		}
	}
	return ok ? 0 : -1;
}

/* One message in, answered.  0: go on; 1: no more now; -1: dropped. */
static int
backend_vhost_message(struct vdev *d)
{
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(VHOST_FDS_MAX * sizeof(int))];
	} cbuf;
	struct vhost_msg	 reply;
	struct msghdr		 mh;
	struct iovec		 iov;
	size_t			 want;
	ssize_t			 n;
	int			 r;

	want = d->got < VHOST_HDR_SIZE ? VHOST_HDR_SIZE :
	    VHOST_HDR_SIZE + d->in.size;
	if (d->got < want) {
		memset(&mh, 0, sizeof mh);
		iov.iov_base = (uint8_t *)&d->in + d->got;
		iov.iov_len = want - d->got;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof cbuf.buf;
		n = recvmsg(d->fd, &mh, MSG_CMSG_CLOEXEC);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			return 1;
		}
		if (n <= 0) {
			backend_vhost_drop(d, n == 0 ? "the frontend "
			    "disconnected" : strerror(errno));
			return -1;
		}
		if (backend_vhost_cmsg(d, &mh) == -1) {
			backend_vhost_drop(d, "the frontend sent more fds "
			    "than a message carries");
			return -1;
		}
		d->got += (size_t)n;
		if (d->got == VHOST_HDR_SIZE &&
		    vhost_check_header(&d->v, &d->in) == -1) {
			backend_vhost_drop(d, d->v.why);
			return -1;
		}
		if (d->got < VHOST_HDR_SIZE ||
		    d->got < VHOST_HDR_SIZE + d->in.size) {
			return 0;
		}
	}
	/* Whole: the session owns the fds from here. */
	r = vhost_handle(&d->v, &d->in, d->fds, d->nfds, &reply);
	d->nfds = 0;
	d->got = 0;
	if (r == -1) {
		log_warn("console %s: frontend: %s", d->name, d->v.why);
		backend_vhost_drop(d, d->v.why);
		return -1;
	}
	vcons_negotiated(&d->vc, d->v.features);
	if (r == 1) {
		want = VHOST_HDR_SIZE + reply.size;
		n = send(d->fd, &reply, want, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n != (ssize_t)want) {
			/* Replies answer requests one at a time: a frontend
			 * whose socket is full is not reading them. */
			backend_vhost_drop(d, n == -1 && errno != EAGAIN ?
			    strerror(errno) : "the frontend does not read "
			    "its replies");
			return -1;
		}
	}
	return 0;
}

static void
backend_vhost_read(evutil_socket_t fd, short what, void *arg)
{
	struct vdev	*d = arg;
	int		 i, r = 0;

	(void)fd;
	(void)what;
	for (i = 0; i < VB_MSGS_MAX && r == 0; i++) {
		r = backend_vhost_message(d);
	}
}

/* A frontend connected (listener.c accepted it, or paused for fds). */
static void
backend_vhost_accept(void *arg, int fd, const struct sockaddr *sa,
    socklen_t salen, uint64_t via)
{
	struct vdev	*d = arg;
	unsigned	 i;

	(void)sa;
	(void)salen;
	(void)via;
	if (d->fd != -1) {
		log_rate_warn(&d->lr_second, "console %s: a second "
		    "frontend connected to %s; refused (one at a time)",
		    d->name, d->path);
		(void)close(fd);
		return;
	}
	d->fd = fd;
	d->rev = event_new(d->srv->base, fd, EV_READ | EV_PERSIST,
	    backend_vhost_read, d);
	if (d->rev == NULL || event_add(d->rev, NULL) == -1) {
		backend_vhost_drop(d, "out of memory");
		return;
	}
	vhost_init(&d->v, &d->ops, d);
	vcons_reset(&d->vc);
	vcons_negotiated(&d->vc, 0);
	d->size_warned = 0;
	d->live0 = d->settled0 = 0;
	log_info("console %s: a frontend connected to %s", d->name, d->path);
	for (i = 0; i < VCONS_PORTS_MAX; i++) {
		if (d->port[i] != NULL) {
			d->port[i]->told_open = 0;
			backend_up(d->port[i]->b);
		}
	}
}

/* The device at cfg's path: the one running, or a new one listening. */
static struct vdev *
backend_vhost_device(struct backend *b, char *why, size_t whylen)
{
	const struct cfg_console	*cfg = b->cfg;
	struct cfg_listen		 how;
	struct vdev			*d;
	const char			*name;

	LIST_FOREACH(d, &backend_vhost_devices, entry) {
		if (d->srv == b->srv && strcmp(d->path, cfg->path) == 0) {
			if (d->vc.nports != cfg->ports ||
			    d->vc.legacy_resize != cfg->resize_legacy) {
				snprintf(why, whylen, "the device at %s still "
				    "runs with other settings", cfg->path);
				return NULL;
			}
			return d;
		}
	}
	if ((d = calloc(1, sizeof *d)) == NULL ||
	    (d->path = strdup(cfg->path)) == NULL) {
		free(d);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	d->srv = b->srv;
	d->fd = -1;
	name = cfg->type == CFG_BACKEND_VPORT ? cfg->vport_of : cfg->name;
	snprintf(d->name, sizeof d->name, "%s", name);
	vcons_init(&d->vc, cfg->ports);
	d->vc.legacy_resize = cfg->resize_legacy;
	d->ops.features = vcons_features(&d->vc);
	d->ops.nrings = vcons_nrings(&d->vc);
	d->ops.config_size = VCONS_CONFIG_SIZE;
	d->ops.get_config = backend_vhost_get_config;
	d->ops.set_config = backend_vhost_set_config;
	d->ops.ring_changed = backend_vhost_ring;
	d->ops.map = vhost_map_file;
	d->ops.unmap = vhost_unmap_file;
	vhost_init(&d->v, &d->ops, d);
	if ((d->settle = evtimer_new(b->srv->base, backend_vhost_settled,
	    d)) == NULL) {
		free(d->path);
		free(d);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}

	memset(&how, 0, sizeof how);
	how.kind = CFG_LISTEN_UNIX;
	how.path = d->path;
	how.mode = 0600;
	how.owner = (uid_t)-1;
	how.group = (gid_t)-1;
	if ((d->l = listener_open(b->srv, &how, backend_vhost_accept, d, why,
	    whylen)) == NULL) {
		event_free(d->settle);
		free(d->path);
		free(d);
		return NULL;
	}
	log_info("console %s: vhost-user device at %s (%u port%s)", d->name,
	    d->path, d->vc.nports, d->vc.nports == 1 ? "" : "s");
	LIST_INSERT_HEAD(&backend_vhost_devices, d, entry);
	return d;
}

static void
backend_vhost_device_free(struct vdev *d)
{
	backend_vhost_end(d);
	listener_free(d->l);		/* and removes the socket */
	log_rate_flush(&d->lr_second);
	log_rate_flush(&d->lr_ctl);
	LIST_REMOVE(d, entry);
	event_free(d->settle);
	free(d->path);
	free(d);
}

/* The port's console takes its place on the device. */
static int
backend_vhost_attach(struct vport *vp, char *why, size_t whylen)
{
	const struct cfg_console	*cfg = vp->b->cfg;
	struct vcons_port		*p;
	struct vdev			*d;
	const char			*name;

	if ((d = backend_vhost_device(vp->b, why, whylen)) == NULL) {
		return -1;
	}
	if (vp->id >= d->vc.nports || d->port[vp->id] != NULL) {
		snprintf(why, whylen, "port %u of %s is taken", vp->id,
		    d->path);
		if (d->refs == 0) {
			backend_vhost_device_free(d);
		}
		return -1;
	}
	d->port[vp->id] = vp;
	d->refs++;
	vp->d = d;
	vp->told_open = 0;
	p = &d->vc.port[vp->id];
	name = cfg->port_name != NULL ? cfg->port_name : cfg->name;
	snprintf(p->name, sizeof p->name, "%s", name);
	p->console = vp->id == 0 || cfg->console_port;
	vcons_resize(&d->vc, vp->id, (uint16_t)cfg->cols, (uint16_t)cfg->rows);
	vcons_host_open(&d->vc, vp->id, 1);
	if (d->fd != -1) {
		backend_vhost_ctl_flush(d);
	}
	return 0;
}

static enum backend_open
backend_vhost_open(struct backend *b, char *why, size_t whylen)
{
	struct vport	*vp = b->priv;

	if (vp == NULL) {
		if ((vp = calloc(1, sizeof *vp)) == NULL) {
			snprintf(why, whylen, "out of memory");
			return BACKEND_OPEN_FAIL;
		}
		vp->b = b;
		vp->id = b->cfg->type == CFG_BACKEND_VPORT ? b->cfg->vport : 0;
		b->priv = vp;
	}
	if (vp->d == NULL && backend_vhost_attach(vp, why, whylen) == -1) {
		return BACKEND_OPEN_FAIL;
	}
	/* A frontend that came while we were down is already here. */
	return vp->d->fd != -1 ? BACKEND_OPEN_UP : BACKEND_OPEN_PENDING;
}

/*
 * The console went down: the frontend went (the device ended its
 * session and told every port), or the console is going (free follows).
 * The port stays on the device either way.
 */
static void
backend_vhost_close(struct backend *b)
{
	(void)b;
}

static unsigned
backend_vhost_retry_ms(struct backend *b, unsigned failures)
{
	(void)b;
	/* After a frontend leaves, wait for the next at once. */
	return failures == 0 ? 0 : backend_backoff_ms(failures);
}

static void
backend_vhost_winsize(struct backend *b, unsigned cols, unsigned rows)
{
	struct vport	*vp = b->priv;
	struct vdev	*d;

	if (vp == NULL || (d = vp->d) == NULL || cols > 0xffff ||
	    rows > 0xffff) {
		return;
	}
	vcons_resize(&d->vc, vp->id, (uint16_t)cols, (uint16_t)rows);
	if (d->fd == -1) {
		return;
	}
	if (d->vc.multiport) {
		backend_vhost_ctl_flush(d);
	} else if (vp->id == 0 && vhost_has(&d->v, VCONS_F_SIZE)) {
		backend_vhost_tell_size(d);
	}
}

static void
backend_vhost_input(struct backend *b)
{
	struct vport	*vp = b->priv;

	if (vp != NULL && vp->d != NULL && vp->d->fd != -1) {
		backend_vhost_rx(vp->d, vp->id);
	}
}

/* The console is going: its port is free, and the device goes with its
 * last port. */
static void
backend_vhost_free(struct backend *b)
{
	struct vport	*vp = b->priv;
	struct vdev	*d;

	if (vp == NULL) {
		return;
	}
	if ((d = vp->d) != NULL) {
		d->port[vp->id] = NULL;
		vcons_host_open(&d->vc, vp->id, 0);
		if (--d->refs == 0) {
			backend_vhost_device_free(d);
		} else if (d->fd != -1) {
			backend_vhost_ctl_flush(d);
		}
	}
	free(vp);
	b->priv = NULL;
}

const struct backend_ops backend_vhost_ops = {
	.name = "vhost-user",
	.open = backend_vhost_open,
	.close = backend_vhost_close,
	.retry_ms = backend_vhost_retry_ms,
	.winsize = backend_vhost_winsize,
	.free = backend_vhost_free,
	.input = backend_vhost_input,
	.hold_input = 1,
};
