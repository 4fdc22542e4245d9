/*
 * fuzz-vhost: libFuzzer harness for the backend's half of a vhost-user
 * session (src/vhost/vhost.c) with the console's config space (vcons.c)
 * and the split rings it brings up (vq.c): whatever a frontend sends,
 * fds included, and whatever a guest leaves in the rings of the memory
 * it shares.
 *
 * fuzz-sources: src/vhost/vhost.c src/vhost/vq.c src/vhost/vcons.c
 * fuzz-seeds: tests/fuzz/vhost-seeds
 * fuzz-max-len: 8192
 *
 * Input: byte 0 chooses the set-up, then records, each an op byte whose
 * low two bits say what it is (tests/fuzz/mkvhost.py writes them):
 *   byte 0    bit 0: first run a known-good set-up, so that the fuzzer
 *             starts with port 0's rings running; bit 1: UML's (research
 *             §1.2: guest address = frontend address, 256 entries) rather
 *             than QEMU's (§1.1: they differ, 64 entries); bits 2-3: the
 *             device's ports, 1, 2, 3 or 16 (MULTIPORT offered from 2,
 *             2 + 2 per port rings used); bits 4-7: how many chains to
 *             walk on each ring after every message
 *   MSG   0   bits 2-5: how many fds come with it (at most 8, as the
 *             daemon takes them); then the 12-byte header (request,
 *             flags, size: u32, little-endian) and min(size, 268) bytes
 *             of payload (a larger size is refused on the header alone)
 *   POKE  1   u16 offset, u8 length, bytes: the guest writes its memory
 *   CHAIN 2   bit 2: which ring; bits 3-7 and the bytes: a chain laid in
 *             and published, as vqref_add_chain says
 *   WALK  3   bit 2: which ring; bits 3-6: walk up to that many chains;
 *             bit 7: also tell the frontend the config changed
 * The frontend's fds are eventfds, but for SET_BACKEND_REQ_FD a socket
 * whose other end the harness reads.  The guest's memory is one 64 KiB
 * buffer the harness owns; map hands it out for every region (each fd
 * is a view of the same memfd) when the mapping fits in it.  After a
 * message the session refuses (-1) the harness ends it (vhost_reset), as
 * the daemon does, and the rest of the input is the next frontend's.
 *
 * On top of the sanitizers (the payload past the message's size is
 * poisoned, so reading it is an error) the harness checks:
 *   - vhost_check_header refuses exactly a version other than 1 and a
 *     size over VHOST_PAYLOAD_MAX, and vhost_handle refuses those too;
 *   - every reply has flags 0x5 (QEMU takes no other), the request's
 *     number and a size of at most VHOST_PAYLOAD_MAX; a message gets a
 *     reply exactly when it has one of its own (GET_FEATURES,
 *     GET_PROTOCOL_FEATURES, GET_QUEUE_NUM, GET_VRING_BASE, GET_CONFIG)
 *     or it asked for one (NEED_REPLY) with REPLY_ACK negotiated, and
 *     then it is a u64 status, 1 only for a refused SET_CONFIG;
 *   - the values: features offered (MULTIPORT with several ports),
 *     protocol features 0x229, VHOST_RINGS_MAX queues,
 *     GET_VRING_BASE {index, next avail index}; acked features are what
 *     was set and only what was offered;
 *   - GET_CONFIG answers 0 bytes or 12 + the length asked for, exactly
 *     when the range is inside the 12 bytes, with the request's header
 *     and the config bytes (cols, rows, max_nr_ports, emerg_wr 0);
 *     SET_CONFIG is one emergency character exactly when it covers byte
 *     8 (QEMU's 0/12, UML's 8/4), that byte, each time;
 *   - after a refusal v->why is a non-empty printable string;
 *   - fds: the session closes only fds it holds, each once (close() is
 *     interposed), and after every message the fds it holds are exactly
 *     the ones in its kick, call, err and backend slots, each once; after
 *     vhost_reset it holds none and has unmapped every mapping; the
 *     process has as many fds open after an input as before;
 *   - map is asked only for an fd that came with the message, unmap only
 *     for a live mapping with its length;
 *   - ring_changed names only rings the device uses; vhost_vq returns a
 *     ring exactly when it is started, enabled and the memory table set
 *     (and it is not broken); a live ring's parts lie
 *     in the memory table, aligned, and the table inside live mappings;
 *     the kick generation moves whenever SET_VRING_KICK or GET_VRING_BASE
 *     touched the kick fd;
 *   - walking a live ring: each vq_pop agrees with the reference walk
 *     (vqref.c) piece by piece, every piece lies in a region and in the
 *     buffer, at most VQ_IOV_MAX a direction; a chain is taken only
 *     while the available index is 1 to num ahead (checked before each
 *     pop: what we write into the guest's buffers, as the daemon does,
 *     may move it), and moves it by one; once vq_pop says -1 it says it
 *     again and vhost_vq hides the ring until it is set up again; vq_push
 *     writes the used entry; vhost_notify_fd names the call fd exactly
 *     when the driver did not set NO_INTERRUPT;
 *   - vhost_config_change_msg gives exactly {2, 1, 0} for the backend
 *     channel, and fails without one.
 */
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_ring.h>
#include <sanitizer/asan_interface.h>

#include "../../src/vhost/vcons.h"
#include "../../src/vhost/vhost.h"
#include "../../src/vhost/vq.h"
#include "fuzzkit.h"
#include "vqref.h"

const char	fuzzkit_name[] = "fuzz-vhost";

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FVHOST_GUEST	(64 * 1024)
#define FVHOST_FDS	1024		/* fds the registry can follow */
#define FVHOST_MAPS	64
#define FVHOST_PEERS	16
#define FVHOST_COLS	0x012c		/* 300: two different bytes */
#define FVHOST_ROWS	0x0053

enum { FVHOST_MSG, FVHOST_POKE, FVHOST_CHAIN, FVHOST_WALK };

/* The guest's memory: every mapping is a view of it. */
static uint8_t	fvhost_guest[FVHOST_GUEST] __attribute__((aligned(4096)));

/*
 * Who holds which fd.  The session must close only what it holds, and
 * only once: a second close could hit an fd someone else has opened
 * since, which no count of open fds would show.
 */
static uint8_t	fvhost_held[FVHOST_FDS];
static unsigned	fvhost_nheld;
static int	fvhost_in_session;

struct fvhost_map {
	void		*p;
	uint64_t	 len;
};

struct fvhost {
	struct vhost		 v;
	struct vcons		 vc;
	unsigned		 walk;		/* chains per ring per message */
	struct fvhost_map	 maps[FVHOST_MAPS];
	unsigned		 nmaps;
	const int		*msg_fds;	/* this message's, for map */
	unsigned		 msg_nfds;
	int			 peer[FVHOST_PEERS];	/* backend channels' */
	int			 peer_of[FVHOST_FDS];	/* other ends */
	unsigned		 npeers;
	int			 broken[VHOST_RINGS_MAX];	/* since last change */
	unsigned		 nrings;	/* the device's: vcons_nrings */
	uint16_t		 base[VHOST_RINGS_MAX];	/* SET_VRING_BASE */
	uint64_t		 protocol;	/* acked, as we count */
	uint64_t		 features;
	/* What the set_config callback saw in this message. */
	int			 set_calls, set_r;
	uint8_t			 set_ch;
};

static struct fvhost		fvhost_run;
static unsigned			fvhost_nports;	/* the device's ports */
static struct vhost_msg		fvhost_msg __attribute__((aligned(8)));

/*
 * The session's closes come here.  Outside the session's calls this is
 * plain close; inside them an fd the session does not hold is a bug.
 */
int
close(int fd)
{
	if (fvhost_in_session) {
		CHECK(fd >= 0 && fd < FVHOST_FDS && fvhost_held[fd],
		    "the session closed fd %d, which it does not hold", fd);
		fvhost_held[fd] = 0;
		fvhost_nheld--;
	}
	return (int)syscall(SYS_close, fd);
}

static unsigned
fvhost_count_fds(void)
{
	DIR		*d = opendir("/proc/self/fd");
	unsigned	 n = 0;

	CHECK(d != NULL, "/proc/self/fd: %s", strerror(errno));
	while (readdir(d) != NULL) {
		n++;
	}
	closedir(d);
	return n;
}

static int
fvhost_get_config(void *arg, uint32_t off, uint8_t *buf, uint32_t len)
{
	struct fvhost	*f = arg;

	CHECK(off <= VCONS_CONFIG_SIZE && len <= VCONS_CONFIG_SIZE - off,
	    "get_config(%u, %u) outside the config space", off, len);
	return vcons_get_config(&f->vc, off, buf, len);
}

static int
fvhost_set_config(void *arg, uint32_t off, const uint8_t *buf, uint32_t len)
{
	struct fvhost	*f = arg;
	uint8_t		 ch = 0;

	CHECK(off <= VCONS_CONFIG_SIZE && len <= VCONS_CONFIG_SIZE - off,
	    "set_config(%u, %u) outside the config space", off, len);
	f->set_calls++;
	f->set_r = vcons_set_config(&f->vc, off, buf, len, &ch);
	f->set_ch = ch;
	return f->set_r == -1 ? -1 : 0;
}

/* The config bytes as virtio 5.3.4 lays them out. */
static void
fvhost_config_bytes(uint8_t cfg[VCONS_CONFIG_SIZE])
{
	memset(cfg, 0, VCONS_CONFIG_SIZE);
	cfg[0] = FVHOST_COLS & 0xff;
	cfg[1] = FVHOST_COLS >> 8;
	cfg[2] = FVHOST_ROWS & 0xff;
	cfg[3] = FVHOST_ROWS >> 8;
	cfg[4] = (uint8_t)fvhost_nports;
}

/* A live mapping that holds [p, p + len)? */
static int
fvhost_mapped(const struct fvhost *f, const void *p, uint64_t len)
{
	const uint8_t	*b = p;
	unsigned	 i;

	for (i = 0; i < f->nmaps; i++) {
		if (b >= (uint8_t *)f->maps[i].p &&
		    b <= (uint8_t *)f->maps[i].p + f->maps[i].len &&
		    len <= (uint64_t)((uint8_t *)f->maps[i].p +
		    f->maps[i].len - b)) {
			return 1;
		}
	}
	return 0;
}

/*
 * Ring idx as it stands: sound when live, and (strict: between messages
 * the session took) live exactly when it should be.  During a message a
 * ring whose vq_start failed is down while still started and enabled,
 * and the session is about to end.
 */
static void
fvhost_check_ring(struct fvhost *f, unsigned idx, int strict)
{
	struct vhost_ring	*r = &f->v.ring[idx];
	struct vq		*q = vhost_vq(&f->v, idx);
	unsigned		 i;

	if (q == NULL) {
		CHECK(!strict || !r->started || !r->enabled || f->v.mem.n == 0 ||
		    (r->running && r->q.broken), "ring %u is started, "
		    "enabled and has memory, but is not live", idx);
		return;
	}
	CHECK(q == &r->q, "ring %u: vhost_vq gave another ring", idx);
	CHECK(r->started && r->enabled && f->v.mem.n > 0, "ring %u is live "
	    "without being started (%d), enabled (%d) and given memory "
	    "(%u regions)", idx, r->started, r->enabled, f->v.mem.n);
	CHECK(!q->broken, "ring %u is live but broken", idx);
	CHECK(!f->broken[idx], "ring %u came back without being set up "
	    "again", idx);
	vqref_check_ring(q, &f->v.mem);
	for (i = 0; i < f->v.mem.n; i++) {
		CHECK(fvhost_mapped(f, f->v.mem.r[i].host, f->v.mem.r[i].size),
		    "region %u is not inside a live mapping", i);
	}
}

static void
fvhost_ring_changed(void *arg, unsigned idx)
{
	struct fvhost	*f = arg;

	CHECK(idx < f->nrings, "ring_changed(%u)", idx);
	/* It may have started again: a broken ring may come back now. */
	f->broken[idx] = 0;
	fvhost_check_ring(f, idx, 0);
}

static void *
fvhost_map(void *arg, int fd, uint64_t len)
{
	struct fvhost	*f = arg;
	unsigned	 i;

	for (i = 0; i < f->msg_nfds && f->msg_fds[i] != fd; i++) {
		continue;
	}
	CHECK(i < f->msg_nfds, "map of fd %d, which did not come with the "
	    "message", fd);
	CHECK(fd >= 0 && fd < FVHOST_FDS && fvhost_held[fd], "map of fd %d, "
	    "which is closed", fd);
	CHECK(len > 0, "a mapping of 0 bytes");
	/* mmap would refuse, or SIGBUS later: a memfd has its size. */
	if (len > FVHOST_GUEST) {
		errno = EINVAL;
		return NULL;
	}
	CHECK(f->nmaps < FVHOST_MAPS, "more than %d mappings", FVHOST_MAPS);
	f->maps[f->nmaps].p = fvhost_guest;
	f->maps[f->nmaps].len = len;
	f->nmaps++;
	return fvhost_guest;
}

static void
fvhost_unmap(void *arg, void *p, uint64_t len)
{
	struct fvhost	*f = arg;
	unsigned	 i;

	for (i = 0; i < f->nmaps; i++) {
		if (f->maps[i].p == p && f->maps[i].len == len) {
			f->maps[i] = f->maps[--f->nmaps];
			return;
		}
	}
	CHECK(0, "unmap of %p+%llu, which is not a live mapping", p,
	    (unsigned long long)len);
}

/* Features and rings are the device's, set per input. */
static struct vhost_ops fvhost_ops = {
	.features = VCONS_FEATURES,
	.nrings = VCONS_RINGS,
	.config_size = VCONS_CONFIG_SIZE,
	.get_config = fvhost_get_config,
	.set_config = fvhost_set_config,
	.ring_changed = fvhost_ring_changed,
	.map = fvhost_map,
	.unmap = fvhost_unmap,
};

/* The session holds exactly the fds in its slots, each once. */
static void
fvhost_check_fds(const struct fvhost *f)
{
	int		 slot[3 * VHOST_RINGS_MAX + 1];
	unsigned	 n = 0, used = 0, i, j;

	for (i = 0; i < VHOST_RINGS_MAX; i++) {
		slot[n++] = f->v.ring[i].kick;
		slot[n++] = f->v.ring[i].call;
		slot[n++] = f->v.ring[i].err;
	}
	slot[n++] = f->v.backend_fd;
	for (i = 0; i < n; i++) {
		if (slot[i] == -1) {
			continue;
		}
		CHECK(slot[i] >= 0 && slot[i] < FVHOST_FDS &&
		    fvhost_held[slot[i]], "slot %u holds fd %d, which is not "
		    "the session's", i, slot[i]);
		for (j = i + 1; j < n; j++) {
			CHECK(slot[i] != slot[j], "fd %d in two slots",
			    slot[i]);
		}
		used++;
	}
	CHECK(fvhost_nheld == used, "the session holds %u fds, %u in slots: "
	    "it leaks", fvhost_nheld, used);
}

/* The session ends: everything it held is given back. */
static void
fvhost_end(struct fvhost *f)
{
	unsigned	i;

	fvhost_in_session = 1;
	vhost_reset(&f->v);
	fvhost_in_session = 0;
	CHECK(fvhost_nheld == 0, "%u fds still held after vhost_reset",
	    fvhost_nheld);
	CHECK(f->nmaps == 0, "%u mappings left after vhost_reset", f->nmaps);
	for (i = 0; i < f->nrings; i++) {
		CHECK(vhost_vq(&f->v, i) == NULL, "ring %u live after "
		    "vhost_reset", i);
	}
}

static void
fvhost_begin(struct fvhost *f)
{
	vhost_init(&f->v, &fvhost_ops, f);
	memset(f->broken, 0, sizeof f->broken);
	memset(f->base, 0, sizeof f->base);
	f->protocol = f->features = 0;
}

/* Give the fds a message comes with: eventfds, or a backend channel. */
static void
fvhost_make_fds(struct fvhost *f, uint32_t request, int *fds, unsigned n)
{
	int		 sv[2];
	unsigned	 i;

	for (i = 0; i < n; i++) {
		if (i == 0 && request == VHOST_SET_BACKEND_REQ_FD &&
		    f->npeers < FVHOST_PEERS) {
			CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
			    SOCK_CLOEXEC, 0, sv) == 0, "socketpair: %s",
			    strerror(errno));
			fds[i] = sv[0];
			f->peer[f->npeers++] = sv[1];
		} else {
			fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			CHECK(fds[i] != -1, "eventfd: %s", strerror(errno));
			sv[1] = -1;
		}
		CHECK(fds[i] < FVHOST_FDS && !fvhost_held[fds[i]],
		    "fd %d", fds[i]);
		fvhost_held[fds[i]] = 1;
		fvhost_nheld++;
		f->peer_of[fds[i]] = sv[1];
	}
}

static uint32_t
fvhost_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
fvhost_payload64(const struct vhost_msg *m, size_t at)
{
	uint64_t	x;

	memcpy(&x, m->payload + at, sizeof x);
	return x;
}

static uint32_t
fvhost_payload32(const struct vhost_msg *m, size_t at)
{
	uint32_t	x;

	memcpy(&x, m->payload + at, sizeof x);
	return x;
}

/* What a SET_CONFIG of these bytes must do, by vcons.h: 1, 0 or -1. */
static int
fvhost_set_model(uint32_t off, uint32_t len, const uint8_t *buf)
{
	uint8_t	cfg[VCONS_CONFIG_SIZE];

	if (off <= 8 && off + len > 8) {
		return 1;
	}
	if (off + len <= 8) {
		fvhost_config_bytes(cfg);
		return memcmp(cfg + off, buf, len) == 0 ? 0 : -1;
	}
	return -1;
}

/* A message with its own reply: which ones have one. */
static int
fvhost_own_reply(uint32_t request)
{
	return request == VHOST_GET_FEATURES ||
	    request == VHOST_GET_PROTOCOL_FEATURES ||
	    request == VHOST_GET_QUEUE_NUM ||
	    request == VHOST_GET_VRING_BASE || request == VHOST_GET_CONFIG;
}

/* Check a reply (r = 1) or its absence against the message. */
static void
fvhost_check_reply(struct fvhost *f, const struct vhost_msg *m, int r,
    const struct vhost_msg *reply, uint16_t want_base)
{
	const uint64_t	 offered = fvhost_ops.features | 1ull << 30;
	uint8_t		 cfg[VCONS_CONFIG_SIZE];
	uint64_t	 x = 0;
	uint32_t	 off, len;
	int		 ack, in, want_set;

	ack = (m->flags & VHOST_FLAG_NEED_REPLY) &&
	    (f->protocol & 1ull << VHOST_PF_REPLY_ACK);
	CHECK(r == (fvhost_own_reply(m->request) || ack),
	    "request %u (flags %#x) returned %d", m->request, m->flags, r);
	if (r == 0) {
		return;
	}
	CHECK(reply->flags == 0x5, "reply flags %#x", reply->flags);
	CHECK(reply->request == m->request, "reply to %u is %u", m->request,
	    reply->request);
	CHECK(reply->size <= VHOST_PAYLOAD_MAX, "reply of %u bytes",
	    reply->size);
	if (reply->size >= 8) {
		x = fvhost_payload64(reply, 0);
	}
	switch (m->request) {
	case VHOST_GET_FEATURES:
		CHECK(reply->size == 8 && x == offered, "features %#llx",
		    (unsigned long long)x);
		return;
	case VHOST_GET_PROTOCOL_FEATURES:
		CHECK(reply->size == 8 && x == 0x229, "protocol features "
		    "%#llx", (unsigned long long)x);
		return;
	case VHOST_GET_QUEUE_NUM:
		CHECK(reply->size == 8 && x == VHOST_RINGS_MAX, "%llu queues",
		    (unsigned long long)x);
		return;
	case VHOST_GET_VRING_BASE:
		CHECK(reply->size == 8 && (uint32_t)x == fvhost_payload32(m,
		    0) && x >> 32 == want_base, "vring base %#llx, want "
		    "index %u base %u", (unsigned long long)x,
		    fvhost_payload32(m, 0), want_base);
		return;
	case VHOST_GET_CONFIG:
		off = fvhost_payload32(m, 0);
		len = fvhost_payload32(m, 4);
		in = off <= VCONS_CONFIG_SIZE && len <= VCONS_CONFIG_SIZE - off;
		CHECK(reply->size == (in ? 12 + len : 0), "GET_CONFIG(%u, %u) "
		    "answered with %u bytes", off, len, reply->size);
		if (in) {
			fvhost_config_bytes(cfg);
			CHECK(memcmp(reply->payload, m->payload, 12) == 0,
			    "GET_CONFIG's header not echoed");
			CHECK(memcmp(reply->payload + 12, cfg + off, len) == 0,
			    "GET_CONFIG(%u, %u): wrong bytes", off, len);
		}
		return;
	default:
		break;
	}
	/* An ack: the status. */
	CHECK(reply->size == 8, "ack of %u bytes", reply->size);
	want_set = 0;
	if (m->request == VHOST_SET_CONFIG) {
		off = fvhost_payload32(m, 0);
		len = fvhost_payload32(m, 4);
		in = off <= VCONS_CONFIG_SIZE && len <= VCONS_CONFIG_SIZE - off;
		want_set = !in || fvhost_set_model(off, len, m->payload + 12) ==
		    -1;
	}
	CHECK(x == (uint64_t)want_set, "request %u acked with status %llu",
	    m->request, (unsigned long long)x);
}

/* What the session's state must be after a message it took. */
static void
fvhost_check_state(struct fvhost *f, const struct vhost_msg *m,
    unsigned kick_gen[VHOST_RINGS_MAX])
{
	uint32_t	 off, len;
	unsigned	 i, gen;
	int		 want;

	CHECK(f->v.protocol == f->protocol, "protocol features %#llx, "
	    "acked %#llx", (unsigned long long)f->v.protocol,
	    (unsigned long long)f->protocol);
	CHECK(f->v.features == f->features, "features %#llx, acked %#llx",
	    (unsigned long long)f->v.features,
	    (unsigned long long)f->features);
	CHECK(f->v.mem.n <= VMEM_REGIONS_MAX, "%u regions", f->v.mem.n);
	for (i = 0; i < 64; i++) {
		CHECK(vhost_has(&f->v, i) == (int)((f->features >> i) & 1),
		    "vhost_has(%u)", i);
	}
	for (i = 0; i < f->nrings; i++) {
		fvhost_check_ring(f, i, 1);
		(void)vhost_ring_kick(&f->v, i, &gen);
		if ((m->request == VHOST_SET_VRING_KICK &&
		    (fvhost_payload64(m, 0) & 0xff) == i) ||
		    (m->request == VHOST_GET_VRING_BASE &&
		    fvhost_payload32(m, 0) == i)) {
			CHECK(gen != kick_gen[i], "ring %u: the kick fd "
			    "changed, its generation did not", i);
		}
	}
	if (m->request == VHOST_SET_CONFIG) {
		off = fvhost_payload32(m, 0);
		len = fvhost_payload32(m, 4);
		if (off <= VCONS_CONFIG_SIZE && len <= VCONS_CONFIG_SIZE - off) {
			want = fvhost_set_model(off, len, m->payload + 12);
			CHECK(f->set_calls == 1 && f->set_r == want,
			    "SET_CONFIG(%u, %u): vcons said %d, want %d", off,
			    len, f->set_r, want);
			CHECK(want != 1 || f->set_ch == m->payload[12 + 8 -
			    off], "emergency write of %#x, sent %#x",
			    f->set_ch, m->payload[12 + 8 - off]);
		} else {
			CHECK(f->set_calls == 0, "SET_CONFIG(%u, %u) reached "
			    "the device", off, len);
		}
	}
}

/* Walk ring idx as the daemon would: pop, use, push, notify. */
static void
fvhost_walk(struct fvhost *f, unsigned idx, unsigned budget)
{
	static const uint64_t one = 1;
	struct vq	*q = vhost_vq(&f->v, idx);
	struct vq_chain	 c, want;
	uint64_t	 count;
	uint32_t	 len;
	uint16_t	 ahead, before;
	unsigned	 n, pops = 0, i;
	int		 r, w, fd, nfd;

	if (q == NULL) {
		return;
	}
	for (n = 0; n < budget; n++) {
		w = vqref_pop(q, &f->v.mem, &want);
		before = q->last_avail;
		/* Our writes into the guest's buffers may move it. */
		ahead = (uint16_t)(vqref_avail_idx(q) - before);
		r = vq_pop(q, &f->v.mem, &c);
		CHECK(r == w, "ring %u: vq_pop returned %d, the reference %d "
		    "(%s)", idx, r, w, r == -1 ? q->why : "");
		if (r == 0) {
			CHECK(q->last_avail == before, "an empty pop moved");
			break;
		}
		if (r == -1) {
			CHECK(q->broken && q->why != NULL &&
			    q->why[0] != '\0' && fuzzkit_printable(q->why),
			    "ring %u broken without a reason", idx);
			CHECK(vq_pop(q, &f->v.mem, &c) == -1 &&
			    vq_waiting(q) == 0, "ring %u: a broken ring "
			    "popped again", idx);
			CHECK(vhost_vq(&f->v, idx) == NULL, "ring %u: "
			    "broken but still live", idx);
			f->broken[idx] = 1;
			break;
		}
		vqref_same_chain(&c, &want, &f->v.mem, fvhost_guest,
		    fvhost_guest + FVHOST_GUEST);
		pops++;
		CHECK(ahead >= 1 && ahead <= q->num &&
		    q->last_avail == (uint16_t)(before + 1), "ring %u: a "
		    "chain taken with the index %u ahead", idx, ahead);
		/* The daemon's input into the guest's buffers. */
		len = 0;
		for (i = 0; i < c.nin; i++) {
			memset(c.in[i].base, 'i', c.in[i].len);
			len += c.in[i].len;
		}
		before = q->used_idx;
		vq_push(q, c.head, len);
		vqref_check_push(q, before, c.head, len);
	}
	if (pops == 0 || (fd = f->v.ring[idx].call) == -1) {
		return;
	}
	/* Empty the call eventfd, notify, and see what it got. */
	(void)!read(fd, &count, sizeof count);
	w = !(le16toh(q->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	fvhost_in_session = 1;
	nfd = vhost_notify_fd(&f->v, idx);
	fvhost_in_session = 0;
	CHECK(nfd == -1 || nfd == fd, "ring %u: notify fd %d, call fd %d",
	    idx, nfd, fd);
	if (nfd != -1) {
		(void)!write(nfd, &one, sizeof one);
	}
	count = 0;
	r = read(fd, &count, sizeof count) == sizeof count;
	CHECK(r == w && (!r || count == 1), "ring %u: notified %d (%llu), "
	    "the driver wants %d", idx, r, (unsigned long long)count, w);
}

/* vhost_config_change_msg: the message and the channel, or a refusal. */
static void
fvhost_config_changed(struct fvhost *f)
{
	uint8_t		 msg[VHOST_HDR_SIZE];
	uint32_t	 hdr[3];
	size_t		 len = 0;
	int		 fd = f->v.backend_fd, r;

	fvhost_in_session = 1;
	r = vhost_config_change_msg(&f->v, msg, &len);
	fvhost_in_session = 0;
	CHECK(r == fd, "config change on fd %d, the channel is %d", r, fd);
	if (fd == -1) {
		return;
	}
	memcpy(hdr, msg, sizeof hdr);
	CHECK(len == 12 && hdr[0] == VHOST_BACKEND_CONFIG_CHANGE_MSG &&
	    hdr[1] == VHOST_FLAG_VERSION && hdr[2] == 0, "config change "
	    "message of %zu bytes", len);
}

/* One message from the frontend, with nfds fds. */
static void
fvhost_message(struct fvhost *f, const struct vhost_msg *m, unsigned nfds)
{
	static struct vhost_msg	 reply;
	int			 fds[VHOST_FDS_MAX];
	unsigned		 gen[VHOST_RINGS_MAX], i, idx;
	int			 was_run[VHOST_RINGS_MAX];
	uint16_t		 was_at[VHOST_RINGS_MAX];
	uint64_t		 u = 0;
	uint16_t		 want_base = 0;
	size_t			 have;
	int			 bad, hc, r;

	fvhost_make_fds(f, m->request, fds, nfds);
	bad = (m->flags & 3) != 1 || m->size > VHOST_PAYLOAD_MAX;
	fvhost_in_session = 1;
	hc = vhost_check_header(&f->v, m);
	fvhost_in_session = 0;
	CHECK((hc == -1) == bad, "vhost_check_header said %d for flags %#x, "
	    "size %u", hc, m->flags, m->size);
	for (i = 0; i < f->nrings; i++) {
		(void)vhost_ring_kick(&f->v, i, &gen[i]);
		was_run[i] = f->v.ring[i].running;
		was_at[i] = f->v.ring[i].q.last_avail;
	}
	if (m->request == VHOST_GET_VRING_BASE && m->size == 8) {
		idx = fvhost_payload32(m, 0);
		if (idx < VHOST_RINGS_MAX) {
			want_base = f->v.ring[idx].running ?
			    f->v.ring[idx].q.last_avail : f->base[idx];
		}
	}
	f->msg_fds = fds;
	f->msg_nfds = nfds;
	f->set_calls = 0;
	/* Whatever lies past the payload is not the message's to read. */
	have = m->size < VHOST_PAYLOAD_MAX ? m->size : VHOST_PAYLOAD_MAX;
	if (bad) {
		have = 0;
	}
	ASAN_POISON_MEMORY_REGION(m->payload + have, VHOST_PAYLOAD_MAX - have);
	memset(&reply, 0xa5, sizeof reply);
	fvhost_in_session = 1;
	r = vhost_handle(&f->v, m, fds, nfds, &reply);
	fvhost_in_session = 0;
	ASAN_UNPOISON_MEMORY_REGION(m->payload, VHOST_PAYLOAD_MAX);
	f->msg_nfds = 0;
	CHECK(r >= -1 && r <= 1, "vhost_handle returned %d", r);
	CHECK(!bad || r == -1, "vhost_handle took a message its header "
	    "check refused");
	if (r == -1) {
		CHECK(f->v.why[0] != '\0' && memchr(f->v.why, '\0',
		    sizeof f->v.why) != NULL && fuzzkit_printable(f->v.why),
		    "request %u refused without a printable reason",
		    m->request);
		fvhost_end(f);
		fvhost_begin(f);
		return;
	}
	if (m->size >= 8) {
		u = fvhost_payload64(m, 0);
	}
	/* What the frontend has now acked, by the spec. */
	if (m->request == VHOST_SET_PROTOCOL_FEATURES) {
		CHECK((u & ~0x229ull) == 0, "protocol features %#llx taken",
		    (unsigned long long)u);
		f->protocol = u;
	} else if (m->request == VHOST_SET_FEATURES) {
		CHECK((u & ~(fvhost_ops.features | 1ull << 30)) == 0,
		    "features %#llx taken", (unsigned long long)u);
		f->features = u;
	} else if (m->request == VHOST_SET_VRING_BASE) {
		f->base[fvhost_payload32(m, 0)] = (uint16_t)(u >> 32);
	} else if (m->request == VHOST_GET_VRING_BASE) {
		f->base[fvhost_payload32(m, 0)] = want_base;
	}
	/* A ring that stops (or is disabled) keeps where it was. */
	for (i = 0; i < f->nrings; i++) {
		if (was_run[i] && !f->v.ring[i].running) {
			f->base[i] = was_at[i];
		}
	}
	fvhost_check_reply(f, m, r, &reply, want_base);
	fvhost_check_fds(f);
	fvhost_check_state(f, m, gen);
	for (i = 0; i < f->nrings && f->walk > 0; i++) {
		fvhost_walk(f, i, f->walk);
	}
}

/* Run records from p; returns nothing, the checks are inside. */
static void
fvhost_feed(struct fvhost *f, const uint8_t *p, size_t n)
{
	struct vhost_msg	*m = &fvhost_msg;
	struct vq		*q;
	size_t			 take, at;
	unsigned		 op, nfds, len;

	while (n > 0) {
		op = *p++;
		n--;
		switch (op & 3) {
		case FVHOST_MSG:
			if (n < 12) {
				return;
			}
			memset(m, 0, sizeof *m);
			m->request = fvhost_u32(p);
			m->flags = fvhost_u32(p + 4);
			m->size = fvhost_u32(p + 8);
			p += 12;
			n -= 12;
			take = m->size <= VHOST_PAYLOAD_MAX ? m->size : 0;
			take = take < n ? take : n;
			memcpy(m->payload, p, take);
			p += take;
			n -= take;
			nfds = (op >> 2) & 15;
			fvhost_message(f, m, nfds < VHOST_FDS_MAX ? nfds :
			    VHOST_FDS_MAX);
			break;
		case FVHOST_POKE:
			if (n < 3) {
				return;
			}
			at = (size_t)(p[0] | p[1] << 8);
			len = p[2];
			p += 3;
			n -= 3;
			take = len < n ? len : n;
			if (take > FVHOST_GUEST - at) {
				take = FVHOST_GUEST - at;
			}
			memcpy(fvhost_guest + at, p, take);
			p += len < n ? len : n;
			n -= len < n ? len : n;
			break;
		case FVHOST_CHAIN:
			q = &f->v.ring[(op >> 2) & 1].q;
			if (vhost_vq(&f->v, (op >> 2) & 1) == NULL) {
				q = NULL;
			}
			take = vqref_add_chain(q != NULL ? q :
			    &(struct vq){ .num = 0 }, &f->v.mem, op >> 3, p, n);
			p += take;
			n -= take;
			break;
		case FVHOST_WALK:
			fvhost_walk(f, (op >> 2) & 1, 1 + ((op >> 3) & 15));
			if (op & 0x80) {
				fvhost_config_changed(f);
			}
			break;
		}
	}
}

/* A message record, for the set-up sequences below. */
static size_t
fvhost_put(uint8_t *buf, size_t at, uint32_t req, uint32_t flags,
    unsigned nfds, const void *payload, uint32_t size)
{
	uint32_t	hdr[3] = { htole32(req), htole32(flags),
			    htole32(size) };

	buf[at++] = (uint8_t)(FVHOST_MSG | nfds << 2);
	memcpy(buf + at, hdr, sizeof hdr);
	at += sizeof hdr;
	memcpy(buf + at, payload, size);
	return at + size;
}

static size_t
fvhost_put64(uint8_t *buf, size_t at, uint32_t req, uint32_t flags,
    unsigned nfds, uint64_t x)
{
	return fvhost_put(buf, at, req, flags, nfds, &x, 8);
}

/* Where the set-up puts ring i: 16 KiB apart from 4 KiB on. */
#define FVHOST_RING(i)	(0x1000 + 0x4000 * (uint64_t)(i))

/*
 * The set-ups, as research/vhost-user.md §1.1 and §1.2 have them: QEMU's
 * generic device (guest and frontend addresses differ, 64 entries,
 * NEED_REPLY on the memory table) and UML's (the same address for both,
 * 256 entries, NEED_REPLY on nearly every set-message).
 */
static size_t
fvhost_setup(uint8_t *buf, int uml)
{
	const uint32_t	vf = VHOST_FLAG_VERSION;
	const uint32_t	nr = vf | (uml ? VHOST_FLAG_NEED_REPLY : 0);
	uint64_t	gpa = uml ? 0x60000000 : 0;
	uint64_t	uva = uml ? 0x60000000 : 0x7f1234560000ull;
	/* One region; UML sends room for a second one too (72 bytes). */
	uint64_t	mt[9] = { 1, gpa, FVHOST_GUEST, uva, 0 };
	uint64_t	addr[5];
	uint32_t	cfg[3] = { 0, 0, 0 };
	uint32_t	state[2];
	unsigned	num = uml ? 256 : 64, i;
	size_t		at = 0;
	uint8_t		cfgmsg[12 + 12];

	if (!uml) {
		at = fvhost_put(buf, at, VHOST_GET_FEATURES, vf, 0, "", 0);
		at = fvhost_put(buf, at, VHOST_GET_PROTOCOL_FEATURES, vf, 0,
		    "", 0);
		at = fvhost_put64(buf, at, VHOST_SET_PROTOCOL_FEATURES, vf, 0,
		    0x229);
		at = fvhost_put(buf, at, VHOST_GET_QUEUE_NUM, vf, 0, "", 0);
		at = fvhost_put(buf, at, VHOST_SET_BACKEND_REQ_FD, vf, 1, "",
		    0);
		at = fvhost_put(buf, at, VHOST_SET_OWNER, vf, 0, "", 0);
		at = fvhost_put(buf, at, VHOST_GET_FEATURES, vf, 0, "", 0);
		for (i = 0; i < VCONS_RINGS; i++) {
			at = fvhost_put64(buf, at, VHOST_SET_VRING_CALL, vf, 1,
			    i);
			at = fvhost_put64(buf, at, VHOST_SET_VRING_ERR, vf, 1,
			    i);
		}
		at = fvhost_put(buf, at, VHOST_GET_CONFIG, vf, 0,
		    (uint8_t[24]){ 0, 0, 0, 0, 12 }, 24);
		at = fvhost_put64(buf, at, VHOST_SET_FEATURES, vf, 0,
		    0x140000001ull);
		at = fvhost_put(buf, at, VHOST_SET_MEM_TABLE,
		    vf | VHOST_FLAG_NEED_REPLY, 1, mt, 40);
	} else {
		at = fvhost_put(buf, at, VHOST_SET_OWNER, vf, 0, "", 0);
		at = fvhost_put(buf, at, VHOST_GET_FEATURES, vf, 0, "", 0);
		at = fvhost_put(buf, at, VHOST_GET_PROTOCOL_FEATURES, vf, 0,
		    "", 0);
		at = fvhost_put64(buf, at, VHOST_SET_PROTOCOL_FEATURES, vf, 0,
		    0x228);
		at = fvhost_put(buf, at, VHOST_SET_BACKEND_REQ_FD, nr, 1, "",
		    0);
		at = fvhost_put64(buf, at, VHOST_SET_FEATURES, nr, 0,
		    0x140000001ull);
		at = fvhost_put(buf, at, VHOST_GET_CONFIG, vf, 0,
		    (uint8_t[20]){ 0, 0, 0, 0, 8 }, 20);
		at = fvhost_put(buf, at, VHOST_SET_MEM_TABLE, nr, 1, mt,
		    sizeof mt);
	}
	for (i = 0; i < VCONS_RINGS; i++) {
		if (uml) {
			at = fvhost_put64(buf, at, VHOST_SET_VRING_CALL, nr, 1,
			    i);
		}
		state[0] = i;
		state[1] = num;
		at = fvhost_put(buf, at, VHOST_SET_VRING_NUM, nr, 0, state, 8);
		state[1] = 0;
		at = fvhost_put(buf, at, VHOST_SET_VRING_BASE, nr, 0, state, 8);
		addr[0] = i;
		addr[1] = uva + FVHOST_RING(i);			/* desc */
		addr[2] = uva + FVHOST_RING(i) + 0x2000;	/* used */
		addr[3] = uva + FVHOST_RING(i) + 0x1000;	/* avail */
		addr[4] = 0;
		at = fvhost_put(buf, at, VHOST_SET_VRING_ADDR, nr, 0, addr, 40);
		if (!uml) {
			at = fvhost_put64(buf, at, VHOST_SET_VRING_KICK, vf, 1,
			    i);
			at = fvhost_put64(buf, at, VHOST_SET_VRING_CALL, vf, 1,
			    i);
		}
	}
	for (i = 0; i < VCONS_RINGS; i++) {
		if (uml) {
			at = fvhost_put64(buf, at, VHOST_SET_VRING_KICK, nr, 1,
			    i);
		}
		state[0] = i;
		state[1] = 1;
		at = fvhost_put(buf, at, VHOST_SET_VRING_ENABLE, nr, 0, state,
		    8);
	}
	/* The guest's emergency write of 'E', as each frontend sends it:
	 * QEMU the whole config space, UML just emerg_wr. */
	memset(cfgmsg, 0, sizeof cfgmsg);
	cfg[0] = uml ? 8 : 0;
	cfg[1] = uml ? 4 : 12;
	memcpy(cfgmsg, cfg, sizeof cfg);
	cfgmsg[12 + 8 - cfg[0]] = 'E';
	at = fvhost_put(buf, at, VHOST_SET_CONFIG, nr, 0, cfgmsg,
	    12 + cfg[1]);
	return at;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t	 setup[2][4096];
	static size_t	 setup_len[2];
	struct fvhost	*f = &fvhost_run;
	unsigned	 nfd, i;
	int		 uml;

	if (size < 1) {
		return 0;
	}
	if (setup_len[0] == 0) {
		setup_len[0] = fvhost_setup(setup[0], 0);
		setup_len[1] = fvhost_setup(setup[1], 1);
	}
	nfd = fvhost_count_fds();
	memset(fvhost_guest, 0, sizeof fvhost_guest);
	memset(f, 0, sizeof *f);
	memset(f->peer_of, 0xff, sizeof f->peer_of);
	fvhost_nports = (unsigned[]){ 1, 2, 3, 16 }[(data[0] >> 2) & 3];
	vcons_init(&f->vc, fvhost_nports);
	vcons_resize(&f->vc, 0, FVHOST_COLS, FVHOST_ROWS);
	fvhost_ops.features = vcons_features(&f->vc);
	fvhost_ops.nrings = vcons_nrings(&f->vc);
	f->nrings = fvhost_ops.nrings;
	f->walk = data[0] >> 4;
	fvhost_begin(f);
	if (data[0] & 1) {
		uml = (data[0] >> 1) & 1;
		fvhost_feed(f, setup[uml], setup_len[uml]);
		for (i = 0; i < VCONS_RINGS; i++) {
			CHECK(vhost_vq(&f->v, i) != NULL, "the %s set-up did "
			    "not start ring %u", uml ? "UML" : "QEMU", i);
		}
	}
	fvhost_feed(f, data + 1, size - 1);
	fvhost_end(f);
	for (i = 0; i < f->npeers; i++) {
		(void)close(f->peer[i]);
	}
	CHECK(fvhost_count_fds() == nfd, "%u fds open before the input, %u "
	    "after", nfd, fvhost_count_fds());
	return 0;
}
