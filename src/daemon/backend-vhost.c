/*
 * backend-vhost: a console that is a virtio console device we provide
 * ourselves, over vhost-user: ttyhubd listens on path =, a frontend
 * (QEMU's vhost-user device, User-Mode Linux's virtio_uml) connects and
 * shares the guest's memory, and the guest's /dev/hvc0 is the console.
 * src/vhost/ does the protocol, the rings and the device's config; this
 * file does the socket, the kick and call eventfds, and moving bytes
 * between the rings and the console.
 *
 * The console is up while a frontend is connected.  Its rings come and
 * go with the guest (boot, reset, reboot); input waits in the console's
 * capped queue until the guest offers receive buffers.  Transmit buffers
 * are handed back as soon as they are read, whoever is watching: Linux
 * spins in hvc's write until its buffer comes back, so holding one would
 * stall the guest's console.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The variant's state, b->priv. */
struct vhostb {
	struct backend		*b;
	struct listener		*l;		/* our socket; NULL: not yet */
	int			 fd;		/* the frontend; -1: none */
	struct event		*rev;
	struct event		*kick[VCONS_RINGS];
	unsigned		 kick_gen[VCONS_RINGS];

	struct vhost		 v;
	struct vcons		 vc;
	int			 sized;		/* size pushed this session */
	int			 size_warned;	/* and said it could not */
	struct log_rate		 lr_second;	/* second frontends refused */

	struct vhost_msg	 in;		/* being read */
	size_t			 got;
	int			 fds[VHOST_FDS_MAX];
	unsigned		 nfds;
};

static void	backend_vhost_ring(void *, unsigned);
static int	backend_vhost_get_config(void *, uint32_t, uint8_t *,
		    uint32_t);
static int	backend_vhost_set_config(void *, uint32_t, const uint8_t *,
		    uint32_t);

static const struct vhost_ops backend_vhost_dev = {
	.features = VCONS_FEATURES,
	.nrings = VCONS_RINGS,
	.config_size = VCONS_CONFIG_SIZE,
	.get_config = backend_vhost_get_config,
	.set_config = backend_vhost_set_config,
	.ring_changed = backend_vhost_ring,
	.map = vhost_map_file,
	.unmap = vhost_unmap_file,
};

static void
backend_vhost_free_fds(struct vhostb *vb)
{
	while (vb->nfds > 0) {
		(void)close(vb->fds[--vb->nfds]);
	}
}

/* End the frontend's session; the listener stays for the next one. */
static void
backend_vhost_end(struct vhostb *vb)
{
	unsigned	i;

	for (i = 0; i < VCONS_RINGS; i++) {
		if (vb->kick[i] != NULL) {
			event_free(vb->kick[i]);
			vb->kick[i] = NULL;
		}
	}
	if (vb->rev != NULL) {
		event_free(vb->rev);
		vb->rev = NULL;
	}
	vhost_reset(&vb->v);
	backend_vhost_free_fds(vb);
	vb->got = 0;
	if (vb->fd != -1) {
		(void)close(vb->fd);
		vb->fd = -1;
	}
}

/*
 * The frontend broke the protocol or went.  The console goes down (and
 * ends the session through close); while it is already down there is
 * nobody to tell.  Nothing of the session may be used after this.
 */
static void
backend_vhost_drop(struct vhostb *vb, const char *why)
{
	struct backend	*b = vb->b;

	if (backend_gone(b, why) == 0) {
		log_info("console %s: frontend: %s", b->cfg->name, why);
		backend_vhost_end(vb);
	}
}

/* Guest output: hand every transmit buffer back at once. */
/* Signal the driver that ring idx has used buffers, if it wants that. */
static void
backend_vhost_notify(struct vhostb *vb, unsigned idx)
{
	uint64_t	one = 1;
	int		fd;

	if ((fd = vhost_notify_fd(&vb->v, idx)) != -1) {
		/* An eventfd: only a counter at its maximum refuses. */
		(void)!write(fd, &one, sizeof one);
	}
}

static void
backend_vhost_tx(struct vhostb *vb)
{
	struct backend	*b = vb->b;
	struct vq	*q = vhost_vq(&vb->v, VCONS_TX);
	struct vq_chain	 c;
	unsigned	 i, n;
	int		 r = 0;

	if (q == NULL) {
		return;
	}
	for (n = 0; n < q->num && (r = vq_pop(q, &vb->v.mem, &c)) == 1; n++) {
		for (i = 0; i < c.nout; i++) {
			backend_output(b, c.out[i].base,
			    c.out[i].len);
		}
		vq_push(q, c.head, 0);
	}
	if (n > 0) {
		backend_vhost_notify(vb, VCONS_TX);
		backend_flush(b);
	}
	if (r == -1) {
		log_warn("console %s: the guest's transmit queue is broken "
		    "(%s); stopped until the guest sets it up again",
		    b->cfg->name, q->why);
		backend_event(b, "transmit queue broken: %s", q->why);
	} else if (r == 1 && vb->kick[VCONS_TX] != NULL) {
		event_active(vb->kick[VCONS_TX], EV_TIMEOUT, 0);  /* more */
	}
}

/* Writers' input into the guest's receive buffers, while both last. */
static void
backend_vhost_rx(struct vhostb *vb)
{
	struct backend	*b = vb->b;
	struct vq	*q = vhost_vq(&vb->v, VCONS_RX);
	struct vq_chain	 c;
	size_t		 len;
	unsigned	 i, n = 0;
	int		 r = 0;

	if (q == NULL) {
		return;
	}
	while (backend_pending(b) > 0 &&
	    (r = vq_pop(q, &vb->v.mem, &c)) == 1) {
		len = 0;
		for (i = 0; i < c.nin; i++) {
			len += backend_take(b, c.in[i].base,
			    c.in[i].len);
		}
		vq_push(q, c.head, (uint32_t)len);
		n++;
	}
	if (n > 0) {
		backend_vhost_notify(vb, VCONS_RX);
	}
	if (r == -1) {
		log_warn("console %s: the guest's receive queue is broken "
		    "(%s); stopped until the guest sets it up again",
		    b->cfg->name, q->why);
		backend_event(b, "receive queue broken: %s", q->why);
	}
}

/*
 * A kick: the eventfd is cleared (one we made ourselves has nothing to
 * clear).  A kick fd at its end (a pipe whose writer is gone) would wake
 * us for ever: the frontend is broken, and dropped.  0, or -1 when it was.
 */
static int
backend_vhost_clear(struct vhostb *vb, evutil_socket_t fd, short what)
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
	backend_vhost_drop(vb, r == 0 ? "a kick fd of the frontend is at its "
	    "end" : strerror(errno));
	return -1;
}

static void
backend_vhost_kick_tx(evutil_socket_t fd, short what, void *arg)
{
	struct vhostb	*vb = arg;

	if (backend_vhost_clear(vb, fd, what) == 0) {
		backend_vhost_tx(vb);
	}
}

static void
backend_vhost_kick_rx(evutil_socket_t fd, short what, void *arg)
{
	struct vhostb	*vb = arg;

	if (backend_vhost_clear(vb, fd, what) == 0) {
		backend_vhost_rx(vb);
	}
}

/* Tell the guest its size has changed; say once a session when we cannot. */
static void
backend_vhost_tell_size(struct vhostb *vb)
{
	uint8_t	msg[VHOST_HDR_SIZE];
	size_t	len;
	int	fd;

	errno = 0;
	if ((fd = vhost_config_change_msg(&vb->v, msg, &len)) != -1 &&
	    send(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len) {
		return;
	}
	if (vb->size_warned) {
		return;
	}
	vb->size_warned = 1;
	log_warn("console %s: cannot tell the guest its size: %s",
	    vb->b->cfg->name, fd == -1 ? "the frontend has no backend "
	    "channel" : errno != 0 ? strerror(errno) : "a short send");
}

/* The guest's console is ready for a size: push ours once. */
static void
backend_vhost_push_size(struct vhostb *vb)
{
	if (vb->sized || !vhost_has(&vb->v, VCONS_F_SIZE) ||
	    vhost_vq(&vb->v, VCONS_RX) == NULL ||
	    vhost_vq(&vb->v, VCONS_TX) == NULL) {
		return;
	}
	vb->sized = 1;
	backend_vhost_tell_size(vb);
}

/*
 * A ring changed: watch its kick fd (or stop), and look at it at once,
 * after this message, for buffers the guest queued before.
 */
static void
backend_vhost_ring(void *arg, unsigned idx)
{
	struct vhostb		*vb = arg;
	struct event_base	*base = vb->b->base;
	unsigned		 gen;
	int			 fd = vhost_ring_kick(&vb->v, idx, &gen);
	int			 live = vhost_vq(&vb->v, idx) != NULL;

	if (vb->kick[idx] != NULL && (gen != vb->kick_gen[idx] || !live)) {
		event_free(vb->kick[idx]);
		vb->kick[idx] = NULL;
	}
	if (vb->kick[idx] == NULL && fd != -1 && live) {
		vb->kick[idx] = event_new(base, fd, EV_READ | EV_PERSIST,
		    idx == VCONS_TX ? backend_vhost_kick_tx :
		    backend_vhost_kick_rx, vb);
		if (vb->kick[idx] == NULL || event_add(vb->kick[idx],
		    NULL) == -1) {
			log_warn("console %s: cannot watch ring %u",
			    vb->b->cfg->name, idx);
			return;
		}
		vb->kick_gen[idx] = gen;
		event_active(vb->kick[idx], EV_TIMEOUT, 0);
	}
	backend_vhost_push_size(vb);
}

static int
backend_vhost_get_config(void *arg, uint32_t off, uint8_t *buf, uint32_t len)
{
	struct vhostb	*vb = arg;

	return vcons_get_config(&vb->vc, off, buf, len);
}

static int
backend_vhost_set_config(void *arg, uint32_t off, const uint8_t *buf,
    uint32_t len)
{
	struct vhostb	*vb = arg;
	uint8_t		 ch;
	int		 r;

	r = vcons_set_config(&vb->vc, off, buf, len, &ch);
	if (r == 1) {
		/* Emergency write: output like any other. */
		backend_output(vb->b, &ch, 1);
		backend_flush(vb->b);
	}
	return r == -1 ? -1 : 0;
}

/* Take the fds that came with the bytes; more than a message may carry
 * ends the session. */
static int
backend_vhost_cmsg(struct vhostb *vb, struct msghdr *mh)
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
			if (vb->nfds < VHOST_FDS_MAX) {
				vb->fds[vb->nfds++] = fd[i];
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
backend_vhost_message(struct vhostb *vb)
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

	want = vb->got < VHOST_HDR_SIZE ? VHOST_HDR_SIZE :
	    VHOST_HDR_SIZE + vb->in.size;
	if (vb->got < want) {
		memset(&mh, 0, sizeof mh);
		iov.iov_base = (uint8_t *)&vb->in + vb->got;
		iov.iov_len = want - vb->got;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof cbuf.buf;
		n = recvmsg(vb->fd, &mh, MSG_CMSG_CLOEXEC);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			return 1;
		}
		if (n <= 0) {
			backend_vhost_drop(vb, n == 0 ? "the frontend "
			    "disconnected" : strerror(errno));
			return -1;
		}
		if (backend_vhost_cmsg(vb, &mh) == -1) {
			backend_vhost_drop(vb, "the frontend sent more fds "
			    "than a message carries");
			return -1;
		}
		vb->got += (size_t)n;
		if (vb->got == VHOST_HDR_SIZE &&
		    vhost_check_header(&vb->v, &vb->in) == -1) {
			backend_vhost_drop(vb, vb->v.why);
			return -1;
		}
		if (vb->got < VHOST_HDR_SIZE ||
		    vb->got < VHOST_HDR_SIZE + vb->in.size) {
			return 0;
		}
	}
	/* Whole: the session owns the fds from here. */
	r = vhost_handle(&vb->v, &vb->in, vb->fds, vb->nfds, &reply);
	vb->nfds = 0;
	vb->got = 0;
	if (r == -1) {
		log_warn("console %s: frontend: %s", vb->b->cfg->name,
		    vb->v.why);
		backend_vhost_drop(vb, vb->v.why);
		return -1;
	}
	if (r == 1) {
		want = VHOST_HDR_SIZE + reply.size;
		n = send(vb->fd, &reply, want, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n != (ssize_t)want) {
			/* Replies answer requests one at a time: a frontend
			 * whose socket is full is not reading them. */
			backend_vhost_drop(vb, n == -1 && errno != EAGAIN ?
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
	struct vhostb	*vb = arg;
	int		 i, r = 0;

	(void)fd;
	(void)what;
	for (i = 0; i < VB_MSGS_MAX && r == 0; i++) {
		r = backend_vhost_message(vb);
	}
}

/* A frontend connected (listener.c accepted it, or paused for fds). */
static void
backend_vhost_accept(void *arg, int fd, const struct sockaddr *sa,
    socklen_t salen, uint64_t via)
{
	struct vhostb	*vb = arg;
	struct backend	*b = vb->b;

	(void)sa;
	(void)salen;
	(void)via;
	if (vb->fd != -1) {
		log_rate_warn(&vb->lr_second, "console %s: a second "
		    "frontend connected to %s; refused (one at a time)",
		    b->cfg->name, vb->b->cfg->path);
		(void)close(fd);
		return;
	}
	vb->fd = fd;
	vb->rev = event_new(b->base, fd, EV_READ | EV_PERSIST,
	    backend_vhost_read, vb);
	if (vb->rev == NULL || event_add(vb->rev, NULL) == -1) {
		backend_vhost_drop(vb, "out of memory");
		return;
	}
	vhost_init(&vb->v, &backend_vhost_dev, vb);
	vcons_init(&vb->vc, 1);
	vcons_resize(&vb->vc, 0, (uint16_t)vb->b->cfg->cols,
	    (uint16_t)vb->b->cfg->rows);
	vb->sized = vb->size_warned = 0;
	log_info("console %s: a frontend connected to %s", b->cfg->name,
	    vb->b->cfg->path);
	backend_up(b);
}

static enum backend_open
backend_vhost_open(struct backend *b, char *why, size_t whylen)
{
	struct vhostb	*vb = b->priv;

	if (vb == NULL) {
		if ((vb = calloc(1, sizeof *vb)) == NULL) {
			snprintf(why, whylen, "out of memory");
			return BACKEND_OPEN_FAIL;
		}
		vb->b = b;
		vb->fd = -1;
		vhost_init(&vb->v, &backend_vhost_dev, vb);
		b->priv = vb;
	}
	if (vb->l == NULL) {
		struct cfg_listen	how;

		memset(&how, 0, sizeof how);
		how.kind = CFG_LISTEN_UNIX;
		how.path = b->cfg->path;
		how.mode = 0600;
		how.owner = (uid_t)-1;
		how.group = (gid_t)-1;
		vb->l = listener_open(b->srv, &how, backend_vhost_accept, vb,
		    why, whylen);
		if (vb->l == NULL) {
			return BACKEND_OPEN_FAIL;
		}
		log_info("console %s: vhost-user device at %s", b->cfg->name,
		    b->cfg->path);
	}
	/* A frontend that came while we were down is already here. */
	return vb->fd != -1 ? BACKEND_OPEN_UP : BACKEND_OPEN_PENDING;
}

static void
backend_vhost_close(struct backend *b)
{
	struct vhostb	*vb = b->priv;

	if (vb != NULL) {
		backend_vhost_end(vb);
	}
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
	struct vhostb	*vb = b->priv;

	if (vb == NULL || cols > 0xffff || rows > 0xffff) {
		return;
	}
	vcons_resize(&vb->vc, 0, (uint16_t)cols, (uint16_t)rows);
	if (vb->fd != -1 && vhost_has(&vb->v, VCONS_F_SIZE)) {
		backend_vhost_tell_size(vb);
	}
}

static void
backend_vhost_input(struct backend *b)
{
	struct vhostb	*vb = b->priv;

	if (vb != NULL && vb->fd != -1) {
		backend_vhost_rx(vb);
	}
}

static void
backend_vhost_free(struct backend *b)
{
	struct vhostb	*vb = b->priv;

	if (vb == NULL) {
		return;
	}
	backend_vhost_end(vb);
	listener_free(vb->l);		/* and removes the socket */
	log_rate_flush(&vb->lr_second);
	free(vb);
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
