/*
 * vhost-rng: a test-only vhost-user entropy device (virtio id 4) built
 * on the daemon's protocol layer (src/vhost/vhost.c and vq.c, as they
 * are), so that a real QEMU can drive that layer: QEMU 7.2 cannot
 * present a vhost-user console, but its vhost-user-rng-pci device
 * shares guest memory, sends its own message order, passes ioeventfd
 * kick and call fds and stops rings with GET_VRING_BASE exactly as it
 * would for a console.
 *
 *	vhost-rng SOCKET [SECONDS]
 *
 * listens on SOCKET, serves one frontend, and exits when it leaves (0),
 * when the session fails (1, with vhost.c's reason), on SIGTERM (0), or
 * after SECONDS (default 300) so that a lost test cannot leave it behind.
 * The "entropy" is the string "ttyhub-vhost-rng " over and over, one
 * stream across all buffers, so a guest reading /dev/hwrng can check
 * every byte.  Each message and each kick is logged to stderr with the
 * request's number, for the test to see what QEMU sent.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/vhost/vhost.h"
#include "../../src/vhost/vq.h"

#define VRNG_RING	0
#define VRNG_PATTERN	"ttyhub-vhost-rng "

static volatile sig_atomic_t	vrng_stop;

static struct vhost		vrng_v;
static int			vrng_kick = -1;	/* being watched; -1: none */
static unsigned long long	vrng_served;	/* bytes of the stream given */
static unsigned long		vrng_chains;

static void	 vrng_ring_changed(void *, unsigned);
static int	 vrng_get_config(void *, uint32_t, uint8_t *, uint32_t);
static int	 vrng_set_config(void *, uint32_t, const uint8_t *, uint32_t);
static void	*vrng_map(void *, int, uint64_t);

static const struct vhost_ops vrng_ops = {
	.features = 1ull << VHOST_F_VERSION_1,
	.nrings = 1,
	.config_size = 0,
	.get_config = vrng_get_config,
	.set_config = vrng_set_config,
	.ring_changed = vrng_ring_changed,
	.map = vrng_map,
	.unmap = vhost_unmap_file,
};

static const char *
vrng_name(uint32_t req)
{
	switch (req) {
	case VHOST_GET_FEATURES:		return "GET_FEATURES";
	case VHOST_SET_FEATURES:		return "SET_FEATURES";
	case VHOST_SET_OWNER:			return "SET_OWNER";
	case VHOST_RESET_OWNER:			return "RESET_OWNER";
	case VHOST_SET_MEM_TABLE:		return "SET_MEM_TABLE";
	case VHOST_SET_VRING_NUM:		return "SET_VRING_NUM";
	case VHOST_SET_VRING_ADDR:		return "SET_VRING_ADDR";
	case VHOST_SET_VRING_BASE:		return "SET_VRING_BASE";
	case VHOST_GET_VRING_BASE:		return "GET_VRING_BASE";
	case VHOST_SET_VRING_KICK:		return "SET_VRING_KICK";
	case VHOST_SET_VRING_CALL:		return "SET_VRING_CALL";
	case VHOST_SET_VRING_ERR:		return "SET_VRING_ERR";
	case VHOST_GET_PROTOCOL_FEATURES:	return "GET_PROTOCOL_FEATURES";
	case VHOST_SET_PROTOCOL_FEATURES:	return "SET_PROTOCOL_FEATURES";
	case VHOST_GET_QUEUE_NUM:		return "GET_QUEUE_NUM";
	case VHOST_SET_VRING_ENABLE:		return "SET_VRING_ENABLE";
	case VHOST_SET_BACKEND_REQ_FD:		return "SET_BACKEND_REQ_FD";
	case VHOST_GET_CONFIG:			return "GET_CONFIG";
	case VHOST_SET_CONFIG:			return "SET_CONFIG";
	}
	return "?";
}

/* An entropy device has no config space: every range is not ours. */
static int
vrng_get_config(void *arg, uint32_t off, uint8_t *buf, uint32_t len)
{
	(void)arg;
	(void)off;
	(void)buf;
	(void)len;
	return -1;
}

static int
vrng_set_config(void *arg, uint32_t off, const uint8_t *buf, uint32_t len)
{
	(void)arg;
	(void)off;
	(void)buf;
	(void)len;
	return -1;
}

/*
 * The ring's kick fd is the one to poll, while the ring is live; vhost.c
 * owns it, so we only remember its number.
 */
static void
vrng_ring_changed(void *arg, unsigned idx)
{
	unsigned	gen;

	(void)arg;
	if (idx != VRNG_RING) {
		return;
	}
	vrng_kick = vhost_vq(&vrng_v, idx) != NULL ?
	    vhost_ring_kick(&vrng_v, idx, &gen) : -1;
	fprintf(stderr, "vrng: ring %u %s, kick fd %d\n", idx,
	    vrng_kick != -1 ? "live" : "not live", vrng_kick);
}

/* Mapped as the daemon maps, and logged for the test. */
static void *
vrng_map(void *arg, int fd, uint64_t len)
{
	void	*p = vhost_map_file(arg, fd, len);

	fprintf(stderr, "vrng: map fd %d, %llu bytes: %s\n", fd,
	    (unsigned long long)len, p == NULL ? strerror(errno) : "ok");
	return p;
}

/* Fill every buffer the driver posted, continuing the one stream. */
static int
vrng_fill(void)
{
	static const char	 pat[] = VRNG_PATTERN;
	static const uint64_t	 one = 1;
	struct vq		*q = vhost_vq(&vrng_v, VRNG_RING);
	struct vq_chain		 c;
	uint32_t		 len;
	unsigned		 i, j, n;
	int			 r = 0, fd;

	if (q == NULL) {
		return 0;
	}
	for (n = 0; n < q->num && (r = vq_pop(q, &vrng_v.mem, &c)) == 1;
	    n++) {
		len = 0;
		for (i = 0; i < c.nin; i++) {
			for (j = 0; j < c.in[i].len; j++) {
				c.in[i].base[j] =
				    (uint8_t)pat[vrng_served++ %
				    (sizeof pat - 1)];
			}
			len += c.in[i].len;
		}
		vq_push(q, c.head, len);
		vrng_chains++;
	}
	if (n > 0) {
		if ((fd = vhost_notify_fd(&vrng_v, VRNG_RING)) != -1) {
			(void)!write(fd, &one, sizeof one);
		}
		fprintf(stderr, "vrng: filled %u chains, next avail %u, "
		    "%llu bytes served in %lu chains\n", n,
		    (unsigned)q->last_avail, vrng_served, vrng_chains);
	}
	if (r == -1) {
		/*
		 * As the daemon does: the ring stays stopped until the guest
		 * sets it up again, and the session goes on (stops are still
		 * to be answered).
		 */
		fprintf(stderr, "vrng: ring broken: %s\n", q->why);
	}
	return 0;
}

/*
 * Read exactly len bytes into p, taking any fds that come with them.
 * 1: done; 0: the frontend closed; -1: an error or too many fds.
 */
static int
vrng_recv(int fd, void *p, size_t len, int *fds, unsigned *nfds)
{
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(VHOST_FDS_MAX * sizeof(int))];
	} cbuf;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	size_t		 got = 0, k, n;
	ssize_t		 r;
	int		*f, ok = 1;

	while (got < len) {
		memset(&mh, 0, sizeof mh);
		iov.iov_base = (uint8_t *)p + got;
		iov.iov_len = len - got;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof cbuf.buf;
		r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (r == -1 && errno == EINTR && !vrng_stop) {
			continue;
		}
		if (r <= 0) {
			return r == 0 ? 0 : -1;
		}
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		    cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SCM_RIGHTS) {
				continue;
			}
			f = (int *)(void *)CMSG_DATA(cm);
			n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (k = 0; k < n; k++) {
				if (*nfds < VHOST_FDS_MAX) {
					fds[(*nfds)++] = f[k];
				} else {
					(void)close(f[k]);
					ok = 0;
				}
			}
		}
		if (mh.msg_flags & MSG_CTRUNC) {
			ok = 0;
		}
		got += (size_t)r;
	}
	return ok ? 1 : -1;
}

/* One message, answered.  1: go on; 0: the frontend left; -1: failed. */
static int
vrng_message(int fd)
{
	struct vhost_msg	 m, reply;
	int			 fds[VHOST_FDS_MAX];
	unsigned		 nfds = 0, i;
	uint64_t		 u = 0;
	size_t			 want;
	int			 r;

	memset(&m, 0, sizeof m);
	r = vrng_recv(fd, &m, VHOST_HDR_SIZE, fds, &nfds);
	if (r == 1 && vhost_check_header(&vrng_v, &m) == -1) {
		fprintf(stderr, "vrng: bad header: %s\n", vrng_v.why);
		r = -1;
	}
	if (r == 1 && m.size > 0) {
		r = vrng_recv(fd, m.payload, m.size, fds, &nfds);
	}
	if (r != 1) {
		for (i = 0; i < nfds; i++) {
			(void)close(fds[i]);
		}
		if (r == 0) {
			fprintf(stderr, "vrng: the frontend disconnected\n");
		} else if (!vrng_stop) {
			fprintf(stderr, "vrng: reading a message: %s\n",
			    errno != 0 ? strerror(errno) : "bad fds");
		}
		return r;
	}
	if (m.size >= 8) {
		memcpy(&u, m.payload, sizeof u);
	}
	fprintf(stderr, "vrng: request %u %s flags %#x size %u fds %u "
	    "u64 %#llx\n", m.request, vrng_name(m.request), m.flags, m.size,
	    nfds, (unsigned long long)u);
	r = vhost_handle(&vrng_v, &m, fds, nfds, &reply);
	if (r == -1) {
		fprintf(stderr, "vrng: request %u failed: %s\n", m.request,
		    vrng_v.why);
		return -1;
	}
	if (r == 1) {
		u = 0;
		if (reply.size >= 8) {
			memcpy(&u, reply.payload, sizeof u);
		}
		fprintf(stderr, "vrng: reply %u %s size %u u64 %#llx\n",
		    reply.request, vrng_name(reply.request), reply.size,
		    (unsigned long long)u);
		want = VHOST_HDR_SIZE + reply.size;
		if (send(fd, &reply, want, MSG_NOSIGNAL) != (ssize_t)want) {
			fprintf(stderr, "vrng: sending a reply: %s\n",
			    strerror(errno));
			return -1;
		}
	}
	/* Buffers the driver posted before the ring went live. */
	return vrng_fill() == 0 ? 1 : -1;
}

/* A kick: clear the eventfd, then fill what the driver posted. */
static int
vrng_kicked(int fd)
{
	uint64_t	n;

	if (read(fd, &n, sizeof n) == -1 && errno != EAGAIN &&
	    errno != EINTR) {
		fprintf(stderr, "vrng: reading the kick fd: %s\n",
		    strerror(errno));
		return -1;
	}
	return vrng_fill();
}

static void
vrng_signal(int sig)
{
	/* Running out of time is a failure; being told to stop is not. */
	vrng_stop = sig == SIGALRM ? 2 : 1;
}

static int
vrng_listen(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		fprintf(stderr, "vrng: %s: path too long\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(fd, 1) == -1) {
		fprintf(stderr, "vrng: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return fd;
}

/* Serve one frontend until it leaves, fails, or we are told to stop. */
static int
vrng_serve(int fd)
{
	struct pollfd	pfd[2];
	nfds_t		n;
	int		r = 1;

	while (r == 1 && !vrng_stop) {
		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		n = 1;
		if (vrng_kick != -1) {
			pfd[1].fd = vrng_kick;
			pfd[1].events = POLLIN;
			n = 2;
		}
		if (poll(pfd, n, -1) == -1) {
			if (errno == EINTR) {
				continue;
			}
			fprintf(stderr, "vrng: poll: %s\n", strerror(errno));
			return -1;
		}
		/* The kick first: a message may close its fd. */
		if (n == 2 && (pfd[1].revents & (POLLIN | POLLERR))) {
			fprintf(stderr, "vrng: kick\n");
			if (vrng_kicked(pfd[1].fd) == -1) {
				return -1;
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			r = vrng_message(fd);
		}
	}
	return r == -1 ? -1 : 0;
}

int
main(int argc, char **argv)
{
	struct sigaction	sa;
	unsigned		secs = 300;
	int			lfd, fd, rc;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: vhost-rng SOCKET [SECONDS]\n");
		return 2;
	}
	if (argc == 3) {
		secs = (unsigned)strtoul(argv[2], NULL, 10);
	}
	/* No SA_RESTART: a signal must wake poll and accept. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = vrng_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGALRM, &sa, NULL);
	alarm(secs);

	setvbuf(stderr, NULL, _IOLBF, 0);
	if ((lfd = vrng_listen(argv[1])) == -1) {
		return 1;
	}
	fprintf(stderr, "vrng: listening on %s\n", argv[1]);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd == -1) {
		fprintf(stderr, "vrng: accept: %s\n", vrng_stop ?
		    "stopped" : strerror(errno));
		(void)close(lfd);
		(void)unlink(argv[1]);
		return vrng_stop == 1 ? 0 : 1;
	}
	fprintf(stderr, "vrng: a frontend connected\n");
	vhost_init(&vrng_v, &vrng_ops, NULL);
	rc = vrng_serve(fd);
	vhost_reset(&vrng_v);
	(void)close(fd);
	(void)close(lfd);
	(void)unlink(argv[1]);
	fprintf(stderr, "vrng: exit %d, %llu bytes served in %lu chains%s\n",
	    rc == 0 && vrng_stop != 2 ? 0 : 1, vrng_served, vrng_chains,
	    vrng_stop == 2 ? " (out of time)" : vrng_stop ? " (signalled)" :
	    "");
	return rc == 0 && vrng_stop != 2 ? 0 : 1;
}
