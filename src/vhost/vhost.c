/*
 * vhost: the backend's half of a vhost-user session.  See vhost.h.
 *
 * Payloads are decoded field by field from the bytes (host order, as
 * the spec says), never by casting the buffer, and each request's size
 * is checked against what it must be before any field is read.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vhost.h"

#define VHOST_CONFIG_HDR	12	/* offset, size, flags */
#define VHOST_REGION_SIZE	32	/* gpa, size, uva, mmap_offset */

static int	vhost_fail(struct vhost *v, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static int
vhost_fail(struct vhost *v, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(v->why, sizeof v->why, fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t
vhost_u32(const uint8_t *p)
{
	uint32_t	x;

	memcpy(&x, p, sizeof x);
	return x;
}

static uint64_t
vhost_u64(const uint8_t *p)
{
	uint64_t	x;

	memcpy(&x, p, sizeof x);
	return x;
}

static void
vhost_close(int *fd)
{
	if (*fd != -1) {
		(void)close(*fd);
		*fd = -1;
	}
}

static void
vhost_unmap_all(struct vhost *v)
{
	unsigned	i;

	for (i = 0; i < VMEM_REGIONS_MAX; i++) {
		if (v->map[i] != NULL) {
			v->ops->unmap(v->arg, v->map[i], v->map_len[i]);
			v->map[i] = NULL;
		}
	}
	memset(&v->mem, 0, sizeof v->mem);
}

void
vhost_init(struct vhost *v, const struct vhost_ops *ops, void *arg)
{
	unsigned	i;

	memset(v, 0, sizeof *v);
	v->ops = ops;
	v->arg = arg;
	v->backend_fd = -1;
	for (i = 0; i < VHOST_RINGS_MAX; i++) {
		v->ring[i].kick = v->ring[i].call = v->ring[i].err = -1;
	}
}

void
vhost_reset(struct vhost *v)
{
	unsigned	i;

	for (i = 0; i < VHOST_RINGS_MAX; i++) {
		v->ring[i].kick_gen++;
		vhost_close(&v->ring[i].kick);
		vhost_close(&v->ring[i].call);
		vhost_close(&v->ring[i].err);
		v->ring[i].started = v->ring[i].running = 0;
	}
	vhost_close(&v->backend_fd);
	vhost_unmap_all(v);
}

/*
 * Bring a ring live when it has all it needs, or take it down.  The
 * ring's pointers are resolved again from the frontend's addresses each
 * time, as a new memory table may have moved everything.
 */
static int
vhost_ring_update(struct vhost *v, unsigned idx)
{
	struct vhost_ring	*r = &v->ring[idx];
	const char		*why;
	uint16_t		 at;
	int			 was = r->running;

	if (idx >= v->ops->nrings) {
		return 0;	/* a ring the device does not use */
	}
	if (r->started && r->enabled && v->mem.n > 0) {
		at = was ? r->q.last_avail : r->base;
		if (vq_start(&r->q, &v->mem, r->num, r->desc, r->avail,
		    r->used, at, &why) == -1) {
			r->running = 0;
			v->ops->ring_changed(v->arg, idx);
			return vhost_fail(v, "ring %u: %s", idx, why);
		}
		r->running = 1;
	} else {
		/*
		 * Stopped or disabled: keep the position, for GET_VRING_BASE
		 * and for enabling again.  QEMU disables a ring before it
		 * asks where it is, on every pause.  (Found with QEMU 7.2.)
		 */
		if (was) {
			r->base = r->q.last_avail;
		}
		r->running = 0;
	}
	v->ops->ring_changed(v->arg, idx);
	return 0;
}

static unsigned
vhost_ring_index(const struct vhost_msg *m)
{
	return vhost_u32(m->payload);
}

/* The sizes each request must have; -1 for "any up to 8" (no payload). */
static int
vhost_size_ok(struct vhost *v, const struct vhost_msg *m)
{
	long	want;
	size_t	n;

	switch (m->request) {
	case VHOST_GET_FEATURES:
	case VHOST_GET_PROTOCOL_FEATURES:
	case VHOST_GET_QUEUE_NUM:
	case VHOST_SET_OWNER:
	case VHOST_RESET_OWNER:
	case VHOST_SET_BACKEND_REQ_FD:
		/* No payload; some frontends send a zero u64 anyway. */
		if (m->size != 0 && m->size != 8) {
			return vhost_fail(v, "request %u: size %u (want 0)",
			    m->request, m->size);
		}
		return 0;
	case VHOST_SET_FEATURES:
	case VHOST_SET_PROTOCOL_FEATURES:
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL:
	case VHOST_SET_VRING_ERR:
	case VHOST_SET_VRING_NUM:
	case VHOST_SET_VRING_BASE:
	case VHOST_GET_VRING_BASE:
	case VHOST_SET_VRING_ENABLE:
		want = 8;
		break;
	case VHOST_SET_VRING_ADDR:
		want = 40;
		break;
	case VHOST_SET_MEM_TABLE:
		if (m->size < 8) {
			return vhost_fail(v, "memory table: size %u", m->size);
		}
		n = vhost_u32(m->payload);
		if (n == 0 || n > VMEM_REGIONS_MAX) {
			return vhost_fail(v, "memory table: %zu regions "
			    "(1 to %d)", n, VMEM_REGIONS_MAX);
		}
		/*
		 * The regions, then room for more that is not read: UML sends
		 * its whole two-region struct whatever n is.
		 */
		if (m->size < 8 + n * VHOST_REGION_SIZE ||
		    m->size > 8 + VMEM_REGIONS_MAX * VHOST_REGION_SIZE) {
			return vhost_fail(v, "memory table: size %u for %zu "
			    "regions", m->size, n);
		}
		return 0;
	case VHOST_GET_CONFIG:
	case VHOST_SET_CONFIG:
		if (m->size < VHOST_CONFIG_HDR) {
			return vhost_fail(v, "config: size %u", m->size);
		}
		n = vhost_u32(m->payload + 4);
		if (n > VHOST_PAYLOAD_MAX - VHOST_CONFIG_HDR) {
			return vhost_fail(v, "config: %zu bytes (at most 256)",
			    n);
		}
		want = VHOST_CONFIG_HDR + (long)n;
		break;
	default:
		return vhost_fail(v, "request %u is not supported",
		    m->request);
	}
	if ((long)m->size != want) {
		return vhost_fail(v, "request %u: size %u (want %ld)",
		    m->request, m->size, want);
	}
	return 0;
}

int
vhost_check_header(struct vhost *v, const struct vhost_msg *m)
{
	if ((m->flags & 0x3) != VHOST_FLAG_VERSION) {
		return vhost_fail(v, "protocol version %u (want 1)",
		    m->flags & 0x3);
	}
	if (m->size > VHOST_PAYLOAD_MAX) {
		return vhost_fail(v, "request %u: %u bytes is more than any "
		    "request carries", m->request, m->size);
	}
	return 0;
}

static int
vhost_mem_table(struct vhost *v, const struct vhost_msg *m, const int *fds,
    unsigned nfds)
{
	struct vmem	 mem;
	void		*map[VMEM_REGIONS_MAX] = { NULL };
	uint64_t	 len[VMEM_REGIONS_MAX] = { 0 };
	uint64_t	 off;
	const uint8_t	*p;
	unsigned	 i, n = vhost_u32(m->payload);
	int		 rc = -1;

	memset(&mem, 0, sizeof mem);
	if (nfds != n) {
		vhost_fail(v, "memory table: %u regions but %u fds", n, nfds);
		goto out;
	}
	for (i = 0; i < n; i++) {
		p = m->payload + 8 + i * VHOST_REGION_SIZE;
		mem.r[i].gpa = vhost_u64(p);
		mem.r[i].size = vhost_u64(p + 8);
		mem.r[i].uva = vhost_u64(p + 16);
		off = vhost_u64(p + 24);
		if (mem.r[i].size == 0 ||
		    mem.r[i].gpa + mem.r[i].size < mem.r[i].gpa ||
		    mem.r[i].uva + mem.r[i].size < mem.r[i].uva ||
		    off + mem.r[i].size < off) {
			vhost_fail(v, "memory table: region %u wraps", i);
			goto out;
		}
		len[i] = off + mem.r[i].size;
		if ((map[i] = v->ops->map(v->arg, fds[i], len[i])) == NULL) {
			vhost_fail(v, "memory table: region %u (%llu bytes) "
			    "cannot be mapped: %s", i,
			    (unsigned long long)len[i], strerror(errno));
			goto out;
		}
		mem.r[i].host = (uint8_t *)map[i] + off;
	}
	mem.n = n;
	vhost_unmap_all(v);
	v->mem = mem;
	memcpy(v->map, map, sizeof map);
	memcpy(v->map_len, len, sizeof len);
	memset(map, 0, sizeof map);
	rc = 0;
	for (i = 0; i < v->ops->nrings && rc == 0; i++) {
		rc = vhost_ring_update(v, i);
	}
	/* One ring left out of the new memory: none runs on the old. */
	for (i = 0; i < v->ops->nrings && rc == -1; i++) {
		v->ring[i].running = 0;
	}
out:
	for (i = 0; i < VMEM_REGIONS_MAX; i++) {
		if (map[i] != NULL) {
			v->ops->unmap(v->arg, map[i], len[i]);
		}
	}
	/* The mappings hold the memory: the fds are no longer needed. */
	for (i = 0; i < nfds; i++) {
		(void)close(fds[i]);
	}
	return rc;
}

/* SET_VRING_KICK, CALL and ERR: an fd, or the flag saying there is none. */
static int
vhost_ring_fd(struct vhost *v, const struct vhost_msg *m, const int *fds,
    unsigned nfds, unsigned *used)
{
	uint64_t		 u = vhost_u64(m->payload);
	unsigned		 idx = u & VHOST_VRING_IDX_MASK;
	int			 nofd = (u & VHOST_VRING_NOFD) != 0;
	struct vhost_ring	*r;
	int			*slot;

	if (idx >= VHOST_RINGS_MAX) {
		return vhost_fail(v, "ring %u does not exist", idx);
	}
	if (nfds != (nofd ? 0u : 1u)) {
		return vhost_fail(v, "request %u: %u fds", m->request, nfds);
	}
	r = &v->ring[idx];
	slot = m->request == VHOST_SET_VRING_KICK ? &r->kick :
	    m->request == VHOST_SET_VRING_CALL ? &r->call : &r->err;
	if (slot == &r->kick) {
		r->kick_gen++;	/* a new fd may reuse the old one's number */
	}
	vhost_close(slot);
	if (!nofd) {
		/*
		 * Never block on them: UML's call fd is a pipe that fills
		 * while its guest is busy, and an eventfd near its maximum
		 * blocks a write too.  (QEMU's are O_NONBLOCK already.)
		 */
		if (fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) |
		    O_NONBLOCK) == -1) {
			return vhost_fail(v, "ring %u: fd: %s", idx,
			    strerror(errno));
		}
		*slot = fds[0];
		*used = 1;
	}
	if (m->request != VHOST_SET_VRING_KICK) {
		if (idx < v->ops->nrings) {
			v->ops->ring_changed(v->arg, idx);
		}
		return 0;
	}
	if (nofd) {
		return vhost_fail(v, "ring %u: polled rings (no kick fd) are "
		    "not supported", idx);
	}
	r->started = 1;
	/* Without protocol features a ring is enabled when it starts. */
	if (!(v->features & (1ull << VHOST_F_PROTOCOL_FEATURES))) {
		r->enabled = 1;
	}
	return vhost_ring_update(v, idx);
}

static int
vhost_config(struct vhost *v, const struct vhost_msg *m,
    struct vhost_msg *reply)
{
	uint32_t	off = vhost_u32(m->payload);
	uint32_t	len = vhost_u32(m->payload + 4);
	int		ok;

	ok = off <= v->ops->config_size && len <= v->ops->config_size - off;
	if (m->request == VHOST_SET_CONFIG) {
		if (ok) {
			ok = v->ops->set_config(v->arg, off,
			    m->payload + VHOST_CONFIG_HDR, len) == 0;
		}
		return ok ? 0 : 1;
	}
	/* GET_CONFIG: the same header back, the bytes filled; 0 bytes: no. */
	memcpy(reply->payload, m->payload, VHOST_CONFIG_HDR);
	memset(reply->payload + VHOST_CONFIG_HDR, 0, len);
	if (ok && v->ops->get_config(v->arg, off,
	    reply->payload + VHOST_CONFIG_HDR, len) == 0) {
		reply->size = VHOST_CONFIG_HDR + len;
	} else {
		reply->size = 0;
	}
	return 0;
}

static void
vhost_reply_u64(struct vhost_msg *reply, uint64_t x)
{
	reply->size = 8;
	memcpy(reply->payload, &x, sizeof x);
}

/* The messages about one ring's size, place, position and state. */
static int
vhost_ring_msg(struct vhost *v, const struct vhost_msg *m,
    struct vhost_msg *reply)
{
	unsigned		 idx = vhost_ring_index(m);
	struct vhost_ring	*r;
	uint32_t		 x = vhost_u32(m->payload + 4);
	uint16_t		 at;

	if (idx >= VHOST_RINGS_MAX) {
		return vhost_fail(v, "ring %u does not exist", idx);
	}
	r = &v->ring[idx];
	switch (m->request) {
	case VHOST_SET_VRING_NUM:
		if (x == 0 || x > VQ_SIZE_MAX || (x & (x - 1)) != 0) {
			return vhost_fail(v, "ring %u: size %u (a power of 2 "
			    "up to %d)", idx, x, VQ_SIZE_MAX);
		}
		r->num = x;
		return 0;
	case VHOST_SET_VRING_BASE:
		r->base = (uint16_t)x;
		return 0;
	case VHOST_GET_VRING_BASE:
		/* Stops the ring: we do not touch it again until a kick. */
		at = r->running ? r->q.last_avail : r->base;
		r->base = at;
		r->started = 0;
		r->kick_gen++;
		vhost_close(&r->kick);
		vhost_reply_u64(reply, idx | (uint64_t)at << 32);
		return vhost_ring_update(v, idx);
	case VHOST_SET_VRING_ADDR:
		r->desc = vhost_u64(m->payload + 8);
		r->used = vhost_u64(m->payload + 16);
		r->avail = vhost_u64(m->payload + 24);
		return r->started ? vhost_ring_update(v, idx) : 0;
	case VHOST_SET_VRING_ENABLE:
		if (!(v->features & (1ull << VHOST_F_PROTOCOL_FEATURES))) {
			return vhost_fail(v, "ring enable without protocol "
			    "features");
		}
		r->enabled = x != 0;
		return vhost_ring_update(v, idx);
	}
	return vhost_fail(v, "request %u is not about a ring", m->request);
}

int
vhost_handle(struct vhost *v, const struct vhost_msg *m, const int *fds,
    unsigned nfds, struct vhost_msg *reply)
{
	uint64_t	u = 0, offered;
	unsigned	i, used = 0;
	int		rc = 0, has_reply = 0, status = 0;

	reply->request = m->request;
	reply->flags = VHOST_FLAG_VERSION | VHOST_FLAG_REPLY;
	reply->size = 0;
	if (vhost_check_header(v, m) == -1 || vhost_size_ok(v, m) == -1) {
		rc = -1;
		goto out;
	}
	if (m->size >= 8) {
		u = vhost_u64(m->payload);
	}
	offered = v->ops->features | (1ull << VHOST_F_PROTOCOL_FEATURES);

	switch (m->request) {
	case VHOST_GET_FEATURES:
		vhost_reply_u64(reply, offered);
		has_reply = 1;
		break;
	case VHOST_SET_FEATURES:
		if (u & ~offered) {
			rc = vhost_fail(v, "features %#llx were not offered",
			    (unsigned long long)(u & ~offered));
			break;
		}
		v->features = u;
		break;
	case VHOST_GET_PROTOCOL_FEATURES:
		vhost_reply_u64(reply, VHOST_PROTOCOL_OFFERED);
		has_reply = 1;
		break;
	case VHOST_SET_PROTOCOL_FEATURES:
		if (u & ~(uint64_t)VHOST_PROTOCOL_OFFERED) {
			rc = vhost_fail(v, "protocol features %#llx were not "
			    "offered", (unsigned long long)(u &
			    ~(uint64_t)VHOST_PROTOCOL_OFFERED));
			break;
		}
		v->protocol = u;
		break;
	case VHOST_GET_QUEUE_NUM:
		vhost_reply_u64(reply, VHOST_RINGS_MAX);
		has_reply = 1;
		break;
	case VHOST_SET_OWNER:
		break;
	case VHOST_RESET_OWNER:
		/* Deprecated; taken as "stop everything". */
		for (i = 0; i < v->ops->nrings; i++) {
			v->ring[i].started = 0;
			(void)vhost_ring_update(v, i);
		}
		break;
	case VHOST_SET_MEM_TABLE:
		used = nfds;
		rc = vhost_mem_table(v, m, fds, nfds);
		break;
	case VHOST_SET_VRING_NUM:
	case VHOST_SET_VRING_BASE:
	case VHOST_GET_VRING_BASE:
	case VHOST_SET_VRING_ADDR:
	case VHOST_SET_VRING_ENABLE:
		rc = vhost_ring_msg(v, m, reply);
		has_reply = m->request == VHOST_GET_VRING_BASE;
		break;
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL:
	case VHOST_SET_VRING_ERR:
		rc = vhost_ring_fd(v, m, fds, nfds, &used);
		break;
	case VHOST_SET_BACKEND_REQ_FD:
		if (!(v->protocol & (1ull << VHOST_PF_BACKEND_REQ)) ||
		    nfds != 1) {
			rc = vhost_fail(v, "backend channel: not negotiated, "
			    "or %u fds", nfds);
			break;
		}
		vhost_close(&v->backend_fd);
		v->backend_fd = fds[0];
		used = 1;
		break;
	case VHOST_GET_CONFIG:
	case VHOST_SET_CONFIG:
		if (!(v->protocol & (1ull << VHOST_PF_CONFIG))) {
			rc = vhost_fail(v, "config space without the CONFIG "
			    "protocol feature");
			break;
		}
		status = vhost_config(v, m, reply);
		has_reply = m->request == VHOST_GET_CONFIG;
		break;
	}
out:
	/* fds nobody took: a frontend may not make us keep them. */
	for (i = used; i < nfds; i++) {
		(void)close(fds[i]);
	}
	if (rc == -1) {
		return -1;
	}
	if (has_reply) {
		return 1;
	}
	if ((m->flags & VHOST_FLAG_NEED_REPLY) &&
	    (v->protocol & (1ull << VHOST_PF_REPLY_ACK))) {
		vhost_reply_u64(reply, (uint64_t)status);
		return 1;
	}
	return 0;
}

void *
vhost_map_file(void *arg, int fd, uint64_t len)
{
	struct stat	 st;
	void		*p;

	(void)arg;
	if (fstat(fd, &st) == -1) {
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < len ||
	    len > (uint64_t)SIZE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

void
vhost_unmap_file(void *arg, void *p, uint64_t len)
{
	(void)arg;
	(void)munmap(p, (size_t)len);
}

struct vq *
vhost_vq(struct vhost *v, unsigned idx)
{
	if (idx >= v->ops->nrings || !v->ring[idx].running ||
	    v->ring[idx].q.broken) {
		return NULL;
	}
	return &v->ring[idx].q;
}

int
vhost_ring_kick(const struct vhost *v, unsigned idx, unsigned *gen)
{
	*gen = v->ring[idx].kick_gen;
	return v->ring[idx].kick;
}

int
vhost_notify_fd(struct vhost *v, unsigned idx)
{
	int	fd = v->ring[idx].call;

	return fd != -1 && vq_should_notify(&v->ring[idx].q) ? fd : -1;
}

int
vhost_has(const struct vhost *v, unsigned bit)
{
	return (v->features & (1ull << bit)) != 0;
}

int
vhost_config_change_msg(const struct vhost *v, uint8_t *msg, size_t *len)
{
	uint32_t	hdr[3] = { VHOST_BACKEND_CONFIG_CHANGE_MSG,
			    VHOST_FLAG_VERSION, 0 };

	if (v->backend_fd == -1) {
		return -1;
	}
	memcpy(msg, hdr, sizeof hdr);
	*len = sizeof hdr;
	return v->backend_fd;
}
