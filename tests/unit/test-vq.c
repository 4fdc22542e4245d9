/*
 * test-vq: table tests for the vhost-user layer on plain memory: the
 * guest-memory table and split rings (src/vhost/vq.c), the console's
 * config space (vcons.c) and the session's message handling (vhost.c).
 * Chains good and bad, rings placed well and badly, config reads at
 * every offset and length, the emergency writes QEMU and UML make, and
 * the messages a frontend sends, each against the answer the spec gives.
 * Ends with "N passed, N failed", as test-rfc2217 does.
 */
#include <sys/eventfd.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_ring.h>

#include "../../src/vhost/vcons.h"
#include "../../src/vhost/vhost.h"
#include "../../src/vhost/vq.h"
#include "tcheck.h"

/*
 * The guest's memory: 64 KiB in two regions whose guest addresses meet at
 * 0x108000 while their places are swapped, so a buffer across the meeting
 * point is two pieces far apart.  Frontend addresses differ from guest
 * addresses, as behind QEMU.
 */
#define TVQ_MEM		0x10000
#define TVQ_GPA		0x100000ull
#define TVQ_UVA		0x7f0000000000ull
#define TVQ_NUM		16
/* The ring, in region 1 (guest 0x108000-0x10ffff, our bytes 0-0x7fff). */
#define TVQ_DESC	(TVQ_GPA + 0x9000)
#define TVQ_AVAIL	(TVQ_GPA + 0xa000)
#define TVQ_USED	(TVQ_GPA + 0xb000)

static uint8_t	tvq_mem[TVQ_MEM] __attribute__((aligned(4096)));

static void
tvq_vmem(struct vmem *m)
{
	memset(m, 0, sizeof *m);
	m->n = 2;
	m->r[0].gpa = TVQ_GPA;
	m->r[0].size = 0x8000;
	m->r[0].uva = TVQ_UVA + TVQ_GPA;
	m->r[0].host = tvq_mem + 0x8000;
	m->r[1].gpa = TVQ_GPA + 0x8000;
	m->r[1].size = 0x8000;
	m->r[1].uva = TVQ_UVA + TVQ_GPA + 0x8000;
	m->r[1].host = tvq_mem;
}

/* Where we see guest address gpa (the harness's own translation). */
static uint8_t *
tvq_host(uint64_t gpa)
{
	return gpa < TVQ_GPA + 0x8000 ? tvq_mem + 0x8000 + (gpa - TVQ_GPA) :
	    tvq_mem + (gpa - TVQ_GPA - 0x8000);
}

static void
tvq_put16(uint64_t gpa, uint16_t x)
{
	x = htole16(x);
	memcpy(tvq_host(gpa), &x, 2);
}

static uint16_t
tvq_get16(uint64_t gpa)
{
	uint16_t	x;

	memcpy(&x, tvq_host(gpa), 2);
	return le16toh(x);
}

static uint32_t
tvq_get32(uint64_t gpa)
{
	uint32_t	x;

	memcpy(&x, tvq_host(gpa), 4);
	return le32toh(x);
}

static void
tvq_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
    uint16_t next)
{
	struct vring_desc	d;

	d.addr = htole64(addr);
	d.len = htole32(len);
	d.flags = htole16(flags);
	d.next = htole16(next);
	memcpy(tvq_host(TVQ_DESC + 16 * i), &d, sizeof d);
}

/* A started ring of TVQ_NUM entries over a clean memory. */
static int
tvq_ring(struct vq *q, const struct vmem *m, uint16_t base)
{
	const char	*why;

	memset(tvq_mem, 0, sizeof tvq_mem);
	tvq_put16(TVQ_AVAIL + 2, base);
	return vq_start(q, m, TVQ_NUM, TVQ_UVA + TVQ_DESC, TVQ_UVA + TVQ_AVAIL,
	    TVQ_UVA + TVQ_USED, base, &why);
}

/* The driver makes head available at the next avail slot. */
static void
tvq_publish(uint16_t head)
{
	uint16_t	idx = tvq_get16(TVQ_AVAIL + 2);

	tvq_put16(TVQ_AVAIL + 4 + 2 * (idx % TVQ_NUM), head);
	tvq_put16(TVQ_AVAIL + 2, (uint16_t)(idx + 1));
}

#define W	VRING_DESC_F_WRITE
#define N	VRING_DESC_F_NEXT
#define I	VRING_DESC_F_INDIRECT
#define B(x)	(TVQ_GPA + (x))		/* a buffer's guest address */

struct tvq_piece {
	uint64_t	gpa;	/* where it starts */
	uint32_t	len;
};

struct tvq_chain_case {
	const char		*name;
	uint16_t		 head;
	struct {
		uint16_t	slot;
		uint64_t	addr;
		uint32_t	len;
		uint16_t	flags, next;
	}			 d[6];
	unsigned		 nd;
	int			 want;		/* vq_pop's answer */
	const char		*why;		/* part of q->why when -1 */
	struct tvq_piece	 out[4], in[4];
	unsigned		 nout, nin;
};

static const struct tvq_chain_case tvq_chains[] = {
	{ "one readable descriptor", 0, { { 0, B(0x4000), 32, 0, 0 } }, 1,
	    1, NULL, { { B(0x4000), 32 } }, { { 0 } }, 1, 0 },
	{ "one writable descriptor", 3, { { 3, B(0x5000), 100, W, 0 } }, 1,
	    1, NULL, { { 0 } }, { { B(0x5000), 100 } }, 0, 1 },
	{ "two readable, two writable", 2, {
	    { 2, B(0x4000), 8, N, 7 }, { 7, B(0x4100), 8, N, 1 },
	    { 1, B(0x5000), 64, W | N, 15 }, { 15, B(0x5100), 64, W, 0 } }, 4,
	    1, NULL, { { B(0x4000), 8 }, { B(0x4100), 8 } },
	    { { B(0x5000), 64 }, { B(0x5100), 64 } }, 2, 2 },
	{ "a buffer across the two regions", 0,
	    { { 0, B(0x7ff0), 0x20, 0, 0 } }, 1, 1, NULL,
	    { { B(0x7ff0), 0x10 }, { B(0x8000), 0x10 } }, { { 0 } }, 2, 0 },
	{ "a writable buffer across the two regions", 0,
	    { { 0, B(0x7fff), 2, W, 0 } }, 1, 1, NULL, { { 0 } },
	    { { B(0x7fff), 1 }, { B(0x8000), 1 } }, 0, 2 },
	{ "a buffer filling the last byte", 0,
	    { { 0, B(0xffff), 1, 0, 0 } }, 1, 1, NULL, { { B(0xffff), 1 } },
	    { { 0 } }, 1, 0 },
	{ "a chain that loops", 0, { { 0, B(0x4000), 4, N, 1 },
	    { 1, B(0x4000), 4, N, 0 } }, 2, -1, "loops", { { 0 } }, { { 0 } },
	    0, 0 },
	{ "a descriptor that is its own next", 5,
	    { { 5, B(0x4000), 4, N, 5 } }, 1, -1, "loops", { { 0 } },
	    { { 0 } }, 0, 0 },
	{ "a buffer outside the memory", 0,
	    { { 0, 0x200000, 4, 0, 0 } }, 1, -1, "outside", { { 0 } },
	    { { 0 } }, 0, 0 },
	{ "a buffer below the memory", 0,
	    { { 0, TVQ_GPA - 4, 8, 0, 0 } }, 1, -1, "outside", { { 0 } },
	    { { 0 } }, 0, 0 },
	{ "a buffer running off the end", 0,
	    { { 0, B(0xfff0), 0x11, 0, 0 } }, 1, -1, "outside", { { 0 } },
	    { { 0 } }, 0, 0 },
	{ "a buffer at the guest's top address", 0,
	    { { 0, 0xfffffffffffffff0ull, 0x20, 0, 0 } }, 1, -1, "outside",
	    { { 0 } }, { { 0 } }, 0, 0 },
	{ "a writable buffer outside the memory", 0,
	    { { 0, 0x300000, 4, W, 0 } }, 1, -1, "outside", { { 0 } },
	    { { 0 } }, 0, 0 },
	{ "readable after writable", 0, { { 0, B(0x5000), 8, W | N, 1 },
	    { 1, B(0x4000), 8, 0, 0 } }, 2, -1, "readable", { { 0 } },
	    { { 0 } }, 0, 0 },
	{ "an indirect descriptor", 0, { { 0, B(0x4000), 16, I, 0 } }, 1,
	    -1, "indirect", { { 0 } }, { { 0 } }, 0, 0 },
	{ "an indirect descriptor inside a chain", 0,
	    { { 0, B(0x4000), 4, N, 1 }, { 1, B(0x4100), 16, I, 0 } }, 2,
	    -1, "indirect", { { 0 } }, { { 0 } }, 0, 0 },
	{ "a head out of the ring", TVQ_NUM, { { 0 } }, 0, -1, "head",
	    { { 0 } }, { { 0 } }, 0, 0 },
	{ "a head far out of the ring", 0xffff, { { 0 } }, 0, -1, "head",
	    { { 0 } }, { { 0 } }, 0, 0 },
	{ "a next out of the ring", 0, { { 0, B(0x4000), 4, N, TVQ_NUM } },
	    1, -1, "leaves", { { 0 } }, { { 0 } }, 0, 0 },
};

/* Where each piece of c must be, as the case has it. */
static int
tvq_same(const struct vq_iov *iov, unsigned n, const struct tvq_piece *p,
    unsigned np)
{
	unsigned	i;

	if (n != np) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (iov[i].base != tvq_host(p[i].gpa) || iov[i].len != p[i].len) {
			return 0;
		}
	}
	return 1;
}

static void
tvq_table_chains(void)
{
	const struct tvq_chain_case	*t;
	struct vmem			 m;
	struct vq			 q;
	struct vq_chain			 c;
	size_t				 i;
	unsigned			 k;
	int				 r;

	tvq_vmem(&m);
	for (i = 0; i < sizeof tvq_chains / sizeof tvq_chains[0]; i++) {
		t = &tvq_chains[i];
		if (tvq_ring(&q, &m, 0) == -1) {
			tcheck(0, "%s: the ring did not start", t->name);
			continue;
		}
		for (k = 0; k < t->nd; k++) {
			tvq_desc(t->d[k].slot, t->d[k].addr, t->d[k].len,
			    t->d[k].flags, t->d[k].next);
		}
		tvq_publish(t->head);
		r = vq_pop(&q, &m, &c);
		if (t->want == 1) {
			tcheck(r == 1 && c.head == t->head &&
			    tvq_same(c.out, c.nout, t->out, t->nout) &&
			    tvq_same(c.in, c.nin, t->in, t->nin) &&
			    q.last_avail == 1 && vq_pop(&q, &m, &c) == 0,
			    "%s: popped as %u out + %u in pieces", t->name,
			    t->nout, t->nin);
			continue;
		}
		tcheck(r == -1 && q.broken && q.why != NULL &&
		    strstr(q.why, t->why) != NULL && q.last_avail == 0,
		    "%s: the ring breaks (%s)", t->name,
		    q.why != NULL ? q.why : "no reason");
		/* Broken stays broken, whatever the driver does next. */
		tvq_desc(0, B(0x4000), 4, 0, 0);
		tvq_publish(0);
		tcheck(vq_pop(&q, &m, &c) == -1 && vq_waiting(&q) == 0,
		    "%s: and stays broken", t->name);
	}
}

/* Chains of many pieces: at most VQ_IOV_MAX a direction. */
static void
tvq_table_pieces(void)
{
	static const struct {
		unsigned	num, pieces;
		int		want;
		const char	*why;
	} cases[] = {
		{ 16, 16, 1, NULL },		/* a chain of the ring's size */
		{ 64, 64, 1, NULL },		/* the most pieces */
		{ 128, 65, -1, "too many" },
		{ 16, 17, -1, "loops" },	/* longer than the ring */
	};
	struct vmem	 m;
	struct vq	 q;
	struct vq_chain	 c;
	const char	*why = "";
	size_t		 i;
	unsigned	 k;
	int		 r;

	tvq_vmem(&m);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(tvq_mem, 0, sizeof tvq_mem);
		r = vq_start(&q, &m, cases[i].num, TVQ_UVA + TVQ_GPA,
		    TVQ_UVA + TVQ_AVAIL, TVQ_UVA + TVQ_USED, 0, &why);
		/* The table at guest 0x100000 (region 0): 16 bytes each. */
		for (k = 0; k < cases[i].pieces; k++) {
			struct vring_desc	d = {
				.addr = htole64(B(0x4000 + k)),
				.len = htole32(1),
				.flags = htole16(k + 1 < cases[i].pieces ? N :
				    0),
				.next = htole16((uint16_t)((k + 1) %
				    cases[i].num)),
			};

			memcpy(tvq_host(TVQ_GPA + 16 * k), &d, sizeof d);
		}
		tvq_put16(TVQ_AVAIL + 4, 0);
		tvq_put16(TVQ_AVAIL + 2, 1);
		if (r == 0) {
			r = vq_pop(&q, &m, &c);
		}
		if (cases[i].want == 1) {
			tcheck(r == 1 && c.nout == cases[i].pieces &&
			    c.nin == 0, "a chain of %u pieces in a ring of %u "
			    "(%u popped)", cases[i].pieces, cases[i].num,
			    r == 1 ? c.nout : 0);
		} else {
			tcheck(r == -1 && strstr(q.why, cases[i].why) !=
			    NULL, "a chain of %u pieces in a ring of %u: %s",
			    cases[i].pieces, cases[i].num,
			    r == -1 ? q.why : "taken");
		}
	}
}

/* The available index: how far ahead the driver may be. */
static void
tvq_table_avail(void)
{
	static const struct {
		const char	*name;
		uint16_t	 base, idx;
		unsigned	 waiting;	/* or ~0u: breaks */
	} cases[] = {
		{ "nothing new", 0, 0, 0 },
		{ "one", 0, 1, 1 },
		{ "the whole ring", 0, TVQ_NUM, TVQ_NUM },
		{ "one more than the ring", 0, TVQ_NUM + 1, ~0u },
		{ "a jump of 1000", 7, 1007, ~0u },
		{ "behind the base", 5, 4, ~0u },
		{ "across the wrap", 0xfffe, 1, 3 },
		{ "the whole ring across the wrap", 0xfff8, 8, TVQ_NUM },
	};
	struct vmem	 m;
	struct vq	 q;
	struct vq_chain	 c;
	size_t		 i;
	unsigned	 w, k;

	tvq_vmem(&m);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		(void)tvq_ring(&q, &m, cases[i].base);
		for (k = 0; k < TVQ_NUM; k++) {
			tvq_desc(k, B(0x4000), 1, 0, 0);
			tvq_put16(TVQ_AVAIL + 4 + 2 * k, (uint16_t)k);
		}
		tvq_put16(TVQ_AVAIL + 2, cases[i].idx);
		w = vq_waiting(&q);
		if (cases[i].waiting == ~0u) {
			tcheck(w == 0 && q.broken && vq_pop(&q, &m, &c) ==
			    -1 && strstr(q.why, "ran ahead") != NULL,
			    "avail %s (%u after %u): the ring breaks",
			    cases[i].name, cases[i].idx, cases[i].base);
			continue;
		}
		for (k = 0; k < cases[i].waiting && vq_pop(&q, &m, &c) == 1;
		    k++) {
			vq_push(&q, c.head, 0);
		}
		tcheck(w == cases[i].waiting && k == w &&
		    vq_pop(&q, &m, &c) == 0 && q.last_avail == cases[i].idx &&
		    tvq_get16(TVQ_USED + 2) == cases[i].idx,
		    "avail %s: %u waiting, all popped and pushed",
		    cases[i].name, w);
	}
	/* A broken ring comes back only by vq_start. */
	(void)tvq_ring(&q, &m, 0);
	tvq_put16(TVQ_AVAIL + 2, 100);
	(void)vq_pop(&q, &m, &c);
	tvq_put16(TVQ_AVAIL + 2, 0);
	k = vq_waiting(&q);
	tcheck(q.broken && k == 0 && tvq_ring(&q, &m, 0) == 0 &&
	    !q.broken, "a broken ring starts again with vq_start");
}

/* Where a ring may lie. */
static void
tvq_table_start(void)
{
	static const struct {
		const char	*name;
		unsigned	 num;
		uint64_t	 desc, avail, used;
		int		 host_off;	/* the regions moved by */
		const char	*why;		/* NULL: taken */
	} cases[] = {
		{ "a good ring", 16, TVQ_DESC, TVQ_AVAIL, TVQ_USED, 0, NULL },
		{ "a ring of 1", 1, TVQ_DESC, TVQ_AVAIL, TVQ_USED, 0, NULL },
		{ "parts across regions is not taken", 16, B(0x7f80),
		    TVQ_AVAIL, TVQ_USED, 0, "outside" },
		{ "size 0", 0, TVQ_DESC, TVQ_AVAIL, TVQ_USED, 0, "power" },
		{ "size 3", 3, TVQ_DESC, TVQ_AVAIL, TVQ_USED, 0, "power" },
		{ "size 65536", 65536, TVQ_DESC, TVQ_AVAIL, TVQ_USED, 0,
		    "power" },
		{ "size 32768 needs more memory", 32768, TVQ_DESC, TVQ_AVAIL,
		    TVQ_USED, 0, "outside" },
		{ "descriptors at 8", 16, TVQ_DESC + 8, TVQ_AVAIL, TVQ_USED, 0,
		    "misaligned" },
		{ "avail at 1", 16, TVQ_DESC, TVQ_AVAIL + 1, TVQ_USED, 0,
		    "misaligned" },
		{ "used at 2", 16, TVQ_DESC, TVQ_AVAIL, TVQ_USED + 2, 0,
		    "misaligned" },
		{ "descriptors partly outside", 16, B(0xff80), TVQ_AVAIL,
		    TVQ_USED, 0, "outside" },
		{ "used ring partly outside", 16, TVQ_DESC, TVQ_AVAIL,
		    B(0xff80), 0, "outside" },
		{ "avail ring outside", 16, TVQ_DESC, 0x500000, TVQ_USED, 0,
		    "outside" },
		/* Aligned addresses in a region that starts at an odd place
		 * in its mapping (a frontend's mmap offset of 1): the ring
		 * would be read through misaligned pointers. */
		{ "aligned addresses, misaligned where we see them", 16,
		    TVQ_DESC, TVQ_AVAIL, TVQ_USED, 1, "misaligned" },
	};
	struct vmem	 m;
	struct vq	 q;
	const char	*why;
	size_t		 i;
	unsigned	 k;
	int		 r;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tvq_vmem(&m);
		for (k = 0; k < m.n; k++) {
			m.r[k].host += cases[i].host_off;
			m.r[k].size -= (uint64_t)cases[i].host_off;
		}
		why = NULL;
		r = vq_start(&q, &m, cases[i].num, TVQ_UVA + cases[i].desc,
		    TVQ_UVA + cases[i].avail, TVQ_UVA + cases[i].used, 0, &why);
		if (cases[i].why == NULL) {
			tcheck(r == 0 && q.num == cases[i].num &&
			    (uint8_t *)q.desc == tvq_host(cases[i].desc) &&
			    (uint8_t *)q.avail == tvq_host(cases[i].avail) &&
			    (uint8_t *)q.used == tvq_host(cases[i].used),
			    "vq_start: %s", cases[i].name);
		} else {
			tcheck(r == -1 && why != NULL &&
			    strstr(why, cases[i].why) != NULL,
			    "vq_start: %s is refused (%s)", cases[i].name,
			    r == -1 ? why : "taken");
		}
	}
	/* Guest addresses where frontend addresses belong. */
	tvq_vmem(&m);
	r = vq_start(&q, &m, 16, TVQ_DESC, TVQ_AVAIL, TVQ_USED, 0, &why);
	tcheck(r == -1, "vq_start: guest addresses for the ring are "
	    "refused");
}

static void
tvq_table_vmem(void)
{
	static const struct {
		uint64_t	addr, len;
		int		uva;
		long		at;	/* offset in tvq_mem, or -1 */
	} cases[] = {
		{ TVQ_GPA, 1, 0, 0x8000 },
		{ TVQ_GPA, 0x8000, 0, 0x8000 },
		{ TVQ_GPA, 0x8001, 0, -1 },		/* into region 1 */
		{ TVQ_GPA + 0x7fff, 1, 0, 0xffff },
		{ TVQ_GPA + 0x8000, 0x8000, 0, 0 },
		{ TVQ_GPA + 0xffff, 1, 0, 0x7fff },
		{ TVQ_GPA + 0xffff, 2, 0, -1 },
		{ TVQ_GPA + 0x10000, 0, 0, -1 },	/* just past */
		{ TVQ_GPA + 0x10, 0, 0, 0x8010 },
		{ TVQ_GPA - 1, 1, 0, -1 },
		{ TVQ_GPA + 0x10, ~0ull, 0, -1 },
		{ TVQ_GPA + 0x10, 1, 1, -1 },		/* not a uva */
		{ TVQ_UVA + TVQ_GPA + 0x10, 1, 1, 0x8010 },
		{ TVQ_UVA + TVQ_GPA + 0x8010, 0x10, 1, 0x10 },
		{ TVQ_UVA + TVQ_GPA + 0x10, 1, 0, -1 },	/* not a gpa */
	};
	struct vmem	 m;
	uint8_t		*p;
	size_t		 i;

	tvq_vmem(&m);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		p = vmem_at(&m, cases[i].addr, cases[i].len, cases[i].uva);
		tcheck(cases[i].at == -1 ? p == NULL : p == tvq_mem +
		    cases[i].at, "vmem_at(%#llx, %llu, %s)",
		    (unsigned long long)cases[i].addr,
		    (unsigned long long)cases[i].len,
		    cases[i].uva ? "uva" : "gpa");
	}
}

static void
tvq_table_push(void)
{
	struct vmem	 m;
	struct vq	 q;

	tvq_vmem(&m);
	(void)tvq_ring(&q, &m, 0xffff);
	vq_push(&q, 9, 1234);
	tcheck(tvq_get16(TVQ_USED + 2) == 0 &&
	    tvq_get32(TVQ_USED + 4 + 8 * 15) == 9 &&
	    tvq_get32(TVQ_USED + 8 + 8 * 15) == 1234,
	    "vq_push fills the entry and moves the index across the wrap");
	tcheck(vq_should_notify(&q), "no NO_INTERRUPT: notify");
	tvq_put16(TVQ_AVAIL, VRING_AVAIL_F_NO_INTERRUPT);
	tcheck(!vq_should_notify(&q), "NO_INTERRUPT: no notify");
}

/*
 * Kicks off while the device polls, and on again: a head the driver
 * added while the flag was set (it skipped its kick) is found when the
 * flag is cleared, and the flag is only ever ours to change.
 */
static void
tvq_table_kicks(void)
{
	struct vmem	 m;
	struct vq	 q;

	tvq_vmem(&m);
	(void)tvq_ring(&q, &m, 0xfffe);
	vq_kicks_off(&q);
	tcheck(tvq_get16(TVQ_USED) == VRING_USED_F_NO_NOTIFY &&
	    tvq_get16(TVQ_USED + 2) == 0 && vq_waiting(&q) == 0,
	    "vq_kicks_off sets NO_NOTIFY in the used flags and nothing else");
	tcheck(vq_kicks_on(&q) == 0 && tvq_get16(TVQ_USED) == 0,
	    "vq_kicks_on clears it; nothing waiting");
	vq_kicks_off(&q);
	tvq_publish(4);
	tvq_publish(5);
	tcheck(vq_kicks_on(&q) == 2 && tvq_get16(TVQ_USED) == 0,
	    "heads added while kicks were off are found as they go on");
	tcheck(q.last_avail == 0xfffe && q.used_idx == 0xfffe,
	    "and are left for the caller to take");
	tvq_put16(TVQ_AVAIL + 2, (uint16_t)(0xfffe + TVQ_NUM + 1));
	vq_kicks_off(&q);
	tcheck(vq_kicks_on(&q) == 0 && q.broken && tvq_get16(TVQ_USED) == 0,
	    "an index that ran ahead: broken, and kicks on all the same");
}

/* ---- vcons ---------------------------------------------------------- */

static void
tvq_table_config_get(void)
{
	static const uint8_t	want[VCONS_CONFIG_SIZE] = {
		0x84, 0x00, 0x2b, 0x00, 1, 0, 0, 0, 0, 0, 0, 0,
	};
	struct vcons		vc;
	uint8_t			buf[16];
	uint32_t		off, len;
	unsigned		bad = 0, n = 0;
	int			r, ok;

	vcons_init(&vc, 1);
	vcons_resize(&vc, 0, 132, 43);
	for (off = 0; off <= 14; off++) {
		for (len = 0; len <= 14; len++) {
			memset(buf, 0xee, sizeof buf);
			r = vcons_get_config(&vc, off, buf, len);
			ok = off <= 12 && len <= 12 - off;
			if (ok ? r != 0 || memcmp(buf, want + off, len) != 0 ||
			    (len < sizeof buf && buf[len] != 0xee) : r != -1) {
				bad++;
				printf("# get_config(%u, %u) = %d\n", off, len,
				    r);
			}
			n++;
		}
	}
	tcheck(bad == 0, "get_config at every offset and length up to "
	    "14 (%u tried)", n);
	r = vcons_get_config(&vc, 0xfffffff8u, buf, 16);
	tcheck(r == -1, "get_config: an offset that wraps is refused");
}

static void
tvq_table_config_set(void)
{
	static const struct {
		const char	*name;
		uint32_t	 off;
		uint8_t		 buf[12];
		uint32_t	 len;
		int		 want;
		uint8_t		 ch;
	} cases[] = {
		{ "QEMU: the whole space, 'x' in emerg_wr", 0,
		    { 0x84, 0, 0x2b, 0, 1, 0, 0, 0, 'x', 0, 0, 0 }, 12, 1, 'x' },
		{ "QEMU: the same again is another 'x'", 0,
		    { 0x84, 0, 0x2b, 0, 1, 0, 0, 0, 'x', 0, 0, 0 }, 12, 1, 'x' },
		{ "QEMU: a NUL", 0, { 0 }, 12, 1, 0 },
		{ "UML: emerg_wr alone, 'y'", 8, { 'y', 0, 0, 0 }, 4, 1, 'y' },
		{ "UML: the same again", 8, { 'y', 0, 0, 0 }, 4, 1, 'y' },
		{ "emerg_wr's first byte alone", 8, { 'z' }, 1, 1, 'z' },
		{ "from byte 7 on", 7, { 1, 'w' }, 2, 1, 'w' },
		{ "inside emerg_wr, not its first byte", 9, { 0, 0, 0 }, 3,
		    -1, 0 },
		{ "the read-only part unchanged", 0,
		    { 0x84, 0, 0x2b, 0, 1, 0, 0, 0 }, 8, 0, 0 },
		{ "max_nr_ports unchanged", 4, { 1, 0, 0, 0 }, 4, 0, 0 },
		{ "cols changed", 0, { 80, 0 }, 2, -1, 0 },
		{ "past the end", 8, { 'a', 0, 0, 0, 0 }, 5, -1, 0 },
		{ "offset past the end", 13, { 0 }, 0, -1, 0 },
	};
	struct vcons	vc;
	uint8_t		ch;
	size_t		i;
	int		r;

	vcons_init(&vc, 1);
	vcons_resize(&vc, 0, 132, 43);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ch = 0xee;
		r = vcons_set_config(&vc, cases[i].off, cases[i].buf,
		    cases[i].len, &ch);
		tcheck(r == cases[i].want && (r != 1 || ch == cases[i].ch),
		    "set_config: %s: %d", cases[i].name, r);
	}
}

/* The driver's side of a control message, little-endian. */
static size_t
tvq_ctl(uint8_t *buf, uint32_t id, uint16_t event, uint16_t value)
{
	id = htole32(id);
	event = htole16(event);
	value = htole16(value);
	memcpy(buf, &id, 4);
	memcpy(buf + 4, &event, 2);
	memcpy(buf + 6, &value, 2);
	return VCONS_CTL_SIZE;
}

/* The next owed message is exactly want (len bytes). */
static int
tvq_next_is(struct vcons *vc, const uint8_t *want, size_t len)
{
	uint8_t	buf[VCONS_CTL_MAX + 8];
	size_t	n;

	memset(buf, 0xee, sizeof buf);
	n = vcons_ctl_next(vc, buf);
	if (n != len || memcmp(buf, want, len) != 0) {
		printf("# got %zu bytes:", n);
		for (size_t i = 0; i < n && i < 24; i++) {
			printf(" %02x", buf[i]);
		}
		printf("\n");
		return 0;
	}
	return 1;
}

static void
tvq_table_rings(void)
{
	struct vcons	vc;
	int		tx, port;

	vcons_init(&vc, 1);
	tcheck(vcons_features(&vc) == VCONS_FEATURES &&
	    vcons_nrings(&vc) == 2, "one port: no MULTIPORT, 2 rings");
	port = vcons_ring_port(&vc, 2, &tx);
	tcheck(port == -1, "one port: ring 2 is no port's");
	vcons_init(&vc, 3);
	tcheck(vcons_features(&vc) == (VCONS_FEATURES | 1ull << 1) &&
	    vcons_nrings(&vc) == 8, "three ports: MULTIPORT, 8 rings");
	tcheck(vcons_rx(0) == 0 && vcons_tx(0) == 1 && vcons_rx(1) == 4 &&
	    vcons_tx(1) == 5 && vcons_rx(2) == 6 && vcons_tx(2) == 7,
	    "port p uses rings 2p+2 and 2p+3, port 0 rings 0 and 1");
	port = vcons_ring_port(&vc, 5, &tx);
	tcheck(port == 1 && tx == 1, "ring 5 is port 1's transmitq");
	port = vcons_ring_port(&vc, 6, &tx);
	tcheck(port == 2 && tx == 0, "ring 6 is port 2's receiveq");
	tcheck(vcons_ring_port(&vc, 2, &tx) == -1 &&
	    vcons_ring_port(&vc, 3, &tx) == -1, "rings 2 and 3: control");
	tcheck(vcons_ring_port(&vc, 8, &tx) == -1, "ring 8: past the ports");
	vcons_init(&vc, 99);
	tcheck(vc.nports == VCONS_PORTS_MAX && vcons_nrings(&vc) ==
	    VCONS_RINGS_MAX, "ports are capped at %d", VCONS_PORTS_MAX);
}

/* A device of three ports: vm1 (console), vm1.1 (console), log. */
static void
tvq_three(struct vcons *vc)
{
	vcons_init(vc, 3);
	memcpy(vc->port[0].name, "vm1", 4);
	memcpy(vc->port[1].name, "vm1.1", 6);
	memcpy(vc->port[2].name, "log", 4);
	vc->port[1].console = 1;
	vcons_resize(vc, 0, 100, 30);
	vcons_resize(vc, 1, 0x0102, 0x0304);
	vcons_host_open(vc, 0, 1);
	vcons_host_open(vc, 1, 1);
	vcons_host_open(vc, 2, 1);
	vcons_negotiated(vc, VCONS_FEATURES | 1ull << VCONS_F_MULTIPORT);
}

static void
tvq_table_handshake(void)
{
	static const uint8_t	add0[] = { 0, 0, 0, 0, 1, 0, 1, 0 };
	static const uint8_t	add1[] = { 1, 0, 0, 0, 1, 0, 1, 0 };
	static const uint8_t	add2[] = { 2, 0, 0, 0, 1, 0, 1, 0 };
	static const uint8_t	cons1[] = { 1, 0, 0, 0, 4, 0, 1, 0 };
	static const uint8_t	name1[] = { 1, 0, 0, 0, 7, 0, 1, 0,
				    'v', 'm', '1', '.', '1' };
	static const uint8_t	open1[] = { 1, 0, 0, 0, 6, 0, 1, 0 };
	static const uint8_t	size1[] = { 1, 0, 0, 0, 5, 0, 0, 0,
				    0x02, 0x01, 0x04, 0x03 };
	static const uint8_t	name2[] = { 2, 0, 0, 0, 7, 0, 1, 0,
				    'l', 'o', 'g' };
	static const uint8_t	open2[] = { 2, 0, 0, 0, 6, 0, 1, 0 };
	static const uint8_t	close2[] = { 2, 0, 0, 0, 6, 0, 0, 0 };
	struct vcons		vc;
	const char		*why = NULL;
	uint8_t			m[VCONS_CTL_MAX];
	int			r;

	tvq_three(&vc);
	tcheck(!vcons_ctl_owed(&vc) && vcons_ctl_next(&vc, m) == 0,
	    "nothing is owed before DEVICE_READY");
	tcheck(!vcons_port_takes_input(&vc, 0), "no input before the "
	    "driver has the port");
	r = vcons_ctl_in(&vc, m, tvq_ctl(m, VCONS_BAD_ID,
	    VCONS_DEVICE_READY, 1), &why);
	tcheck(r == 0 && vc.ready && vcons_ctl_owed(&vc),
	    "DEVICE_READY: PORT_ADD owed");
	tcheck(tvq_next_is(&vc, add0, 8) && tvq_next_is(&vc, add1, 8) &&
	    tvq_next_is(&vc, add2, 8), "PORT_ADD 0, 1, 2 in order");
	tcheck(!vcons_ctl_owed(&vc) && vcons_ctl_next(&vc, m) == 0,
	    "nothing more until a port is ready");
	vcons_resize(&vc, 1, 0x0102, 0x0304);
	vcons_host_open(&vc, 1, 0);
	vcons_host_open(&vc, 1, 1);
	tcheck(!vcons_ctl_owed(&vc), "a resize and an open before "
	    "PORT_READY owe nothing yet");
	r = vcons_ctl_in(&vc, m, tvq_ctl(m, 1, VCONS_PORT_READY, 1), &why);
	tcheck(r == 0 && tvq_next_is(&vc, cons1, 8) &&
	    tvq_next_is(&vc, name1, sizeof name1) &&
	    tvq_next_is(&vc, open1, 8) && tvq_next_is(&vc, size1, 12) &&
	    vcons_ctl_next(&vc, m) == 0, "PORT_READY 1: CONSOLE_PORT, "
	    "PORT_NAME, PORT_OPEN 1, RESIZE cols 0x102 rows 0x304");
	tcheck(!vcons_port_takes_input(&vc, 1), "a console port takes no "
	    "input before the driver made it a console");
	r = vcons_ctl_in(&vc, m, tvq_ctl(m, 1, VCONS_PORT_OPEN, 1), &why);
	tcheck(r == 0 && vcons_port_takes_input(&vc, 1), "it takes input "
	    "once the driver says PORT_OPEN 1 (init_port_console)");
	r = vcons_ctl_in(&vc, m, tvq_ctl(m, 2, VCONS_PORT_READY, 1), &why);
	tcheck(r == 0 && tvq_next_is(&vc, name2, sizeof name2) &&
	    tvq_next_is(&vc, open2, 8) && vcons_ctl_next(&vc, m) == 0,
	    "PORT_READY 2: a named port, no CONSOLE_PORT, no RESIZE");
	tcheck(!vcons_port_takes_input(&vc, 2), "a named port takes no "
	    "input while the guest has it closed");
	r = vcons_ctl_in(&vc, m, tvq_ctl(m, 2, VCONS_PORT_OPEN, 1), &why);
	tcheck(r == 0 && vc.port[2].guest_open &&
	    vcons_port_takes_input(&vc, 2), "PORT_OPEN 1: the guest opened "
	    "it; input goes");
	r = vcons_ctl_in(&vc, m, tvq_ctl(m, 2, VCONS_PORT_OPEN, 0), &why);
	tcheck(r == 0 && !vc.port[2].guest_open &&
	    !vcons_port_takes_input(&vc, 2), "PORT_OPEN 0: closed again");
	vcons_host_open(&vc, 2, 0);
	tcheck(tvq_next_is(&vc, close2, 8), "our side closed: PORT_OPEN 0");
	vcons_resize(&vc, 2, 10, 10);
	tcheck(!vcons_ctl_owed(&vc), "no RESIZE for a port that is not a "
	    "console port");
	vcons_resize(&vc, 1, 1, 2);
	vcons_resize(&vc, 1, 0x0102, 0x0304);
	tcheck(tvq_next_is(&vc, size1, 12) && !vcons_ctl_owed(&vc),
	    "two resizes unread: one RESIZE, the last size");

	/* The driver again (rmmod, insmod; a reboot). */
	(void)vcons_ctl_in(&vc, m, tvq_ctl(m, 2, VCONS_PORT_OPEN, 1), &why);
	r = vcons_ctl_in(&vc, m, tvq_ctl(m, VCONS_BAD_ID,
	    VCONS_DEVICE_READY, 1), &why);
	tcheck(r == 0 && !vc.port[2].guest_open && !vc.port[1].ready &&
	    tvq_next_is(&vc, add0, 8) && tvq_next_is(&vc, add1, 8) &&
	    tvq_next_is(&vc, add2, 8), "DEVICE_READY again: every port "
	    "forgotten, PORT_ADD owed again");
	r = vcons_ctl_in(&vc, m, tvq_ctl(m, 1, VCONS_PORT_READY, 1), &why);
	tcheck(r == 0 && tvq_next_is(&vc, cons1, 8) &&
	    tvq_next_is(&vc, name1, sizeof name1) &&
	    tvq_next_is(&vc, open1, 8) && tvq_next_is(&vc, size1, 12),
	    "and the size again with the port (it was lost on reset)");
	r = vcons_ctl_in(&vc, m, tvq_ctl(m, 0, VCONS_PORT_READY, 0), &why);
	tcheck(r == 0 && !vc.port[0].ready && vcons_ctl_next(&vc, m) == 0,
	    "PORT_READY 0: the driver could not make it; nothing owed");
}

static void
tvq_table_resize_order(void)
{
	static const uint8_t	spec[] = { 0, 0, 0, 0, 5, 0, 0, 0,
				    100, 0, 30, 0 };
	static const uint8_t	legacy[] = { 0, 0, 0, 0, 5, 0, 0, 0,
				    30, 0, 100, 0 };
	struct vcons		vc;
	const char		*why;
	uint8_t			m[VCONS_CTL_MAX];

	tvq_three(&vc);
	(void)vcons_ctl_in(&vc, m, tvq_ctl(m, VCONS_BAD_ID,
	    VCONS_DEVICE_READY, 1), &why);
	(void)vcons_ctl_in(&vc, m, tvq_ctl(m, 0, VCONS_PORT_READY, 1), &why);
	while (vcons_ctl_next(&vc, m) != 12) {
		continue;
	}
	vcons_resize(&vc, 0, 100, 30);
	tcheck(tvq_next_is(&vc, spec, 12), "RESIZE: cols, then rows (the "
	    "spec; Linux since 6.15)");
	vc.legacy_resize = 1;
	vcons_resize(&vc, 0, 100, 30);
	tcheck(tvq_next_is(&vc, legacy, 12), "legacy: rows, then cols "
	    "(Linux before 6.15)");
	vcons_negotiated(&vc, VCONS_FEATURES & ~(1ull << VCONS_F_SIZE));
	tcheck(!vc.multiport && !vcons_ctl_owed(&vc) &&
	    vcons_ctl_next(&vc, m) == 0, "without MULTIPORT acked: no "
	    "control messages");
	tcheck(vcons_port_takes_input(&vc, 0) &&
	    !vcons_port_takes_input(&vc, 1), "and port 0 alone takes input");
}

static void
tvq_table_ctl_refused(void)
{
	static const struct {
		const char	*name;
		uint8_t		 buf[12];
		size_t		 len;
	} cases[] = {
		{ "7 bytes", { 1, 0, 0, 0, 6, 0, 1 }, 7 },
		{ "9 bytes", { 1, 0, 0, 0, 6, 0, 1, 0, 0 }, 9 },
		{ "a value of 2", { 1, 0, 0, 0, 6, 0, 2, 0 }, 8 },
		{ "PORT_ADD from the driver", { 1, 0, 0, 0, 1, 0, 1, 0 }, 8 },
		{ "RESIZE from the driver", { 1, 0, 0, 0, 5, 0, 0, 0 }, 8 },
		{ "an event past PORT_NAME", { 1, 0, 0, 0, 8, 0, 1, 0 }, 8 },
		{ "port 3 of 3", { 3, 0, 0, 0, 3, 0, 1, 0 }, 8 },
		{ "port 2^32-1", { 0xff, 0xff, 0xff, 0xff, 6, 0, 1, 0 }, 8 },
		{ "PORT_OPEN before PORT_READY", { 2, 0, 0, 0, 6, 0, 1, 0 },
		    8 },
	};
	struct vcons	vc, was;
	const char	*why;
	uint8_t		m[VCONS_CTL_MAX];
	size_t		i;
	int		r;

	tvq_three(&vc);
	r = vcons_ctl_in(&vc, m, tvq_ctl(m, 1, VCONS_PORT_READY, 1), &why);
	tcheck(r == -1 && !vc.port[1].ready, "PORT_READY before "
	    "DEVICE_READY: refused (%s)", r == -1 ? why : "");
	(void)vcons_ctl_in(&vc, m, tvq_ctl(m, VCONS_BAD_ID,
	    VCONS_DEVICE_READY, 1), &why);
	(void)vcons_ctl_in(&vc, m, tvq_ctl(m, 1, VCONS_PORT_READY, 1), &why);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		was = vc;
		why = NULL;
		r = vcons_ctl_in(&vc, cases[i].buf, cases[i].len, &why);
		tcheck(r == -1 && why != NULL && memcmp(&was, &vc,
		    sizeof vc) == 0, "control message refused, nothing "
		    "changed: %s", cases[i].name);
	}
}

/* ---- vhost ---------------------------------------------------------- */

struct tvq_dev {
	struct vcons	vc;
	unsigned	changed;	/* ring_changed calls */
	unsigned	maps;		/* live mappings */
	uint8_t		emerg[8];
	unsigned	nemerg;
};

static int
tvq_get_config(void *arg, uint32_t off, uint8_t *buf, uint32_t len)
{
	struct tvq_dev	*d = arg;

	return vcons_get_config(&d->vc, off, buf, len);
}

static int
tvq_set_config(void *arg, uint32_t off, const uint8_t *buf, uint32_t len)
{
	struct tvq_dev	*d = arg;
	uint8_t		 ch;
	int		 r;

	r = vcons_set_config(&d->vc, off, buf, len, &ch);
	if (r == 1 && d->nemerg < sizeof d->emerg) {
		d->emerg[d->nemerg++] = ch;
	}
	return r == -1 ? -1 : 0;
}

static void
tvq_ring_changed(void *arg, unsigned idx)
{
	struct tvq_dev	*d = arg;

	(void)idx;
	d->changed++;
}

/* Every region is a view of tvq_mem, as if all came from one memfd. */
static void *
tvq_map(void *arg, int fd, uint64_t len)
{
	struct tvq_dev	*d = arg;

	(void)fd;
	if (len > TVQ_MEM) {
		errno = EINVAL;
		return NULL;
	}
	d->maps++;
	return tvq_mem;
}

static void
tvq_unmap(void *arg, void *p, uint64_t len)
{
	struct tvq_dev	*d = arg;

	(void)p;
	(void)len;
	d->maps--;
}

static const struct vhost_ops tvq_ops = {
	.features = VCONS_FEATURES,
	.nrings = VCONS_RINGS,
	.config_size = VCONS_CONFIG_SIZE,
	.get_config = tvq_get_config,
	.set_config = tvq_set_config,
	.ring_changed = tvq_ring_changed,
	.map = tvq_map,
	.unmap = tvq_unmap,
};

static struct vhost_msg	tvq_reply;

/* One message: payload of size bytes, nfds new eventfds with it. */
static int
tvq_send(struct vhost *v, uint32_t req, uint32_t flags, const void *payload,
    uint32_t size, unsigned nfds, int *fds_out)
{
	struct vhost_msg	m;
	int			fds[VHOST_FDS_MAX];
	unsigned		i;

	memset(&m, 0, sizeof m);
	m.request = req;
	m.flags = flags;
	m.size = size;
	if (size <= VHOST_PAYLOAD_MAX) {
		memcpy(m.payload, payload, size);
	}
	for (i = 0; i < nfds; i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fds_out != NULL) {
			fds_out[i] = fds[i];
		}
	}
	memset(&tvq_reply, 0xa5, sizeof tvq_reply);
	return vhost_handle(v, &m, fds, nfds, &tvq_reply);
}

static int
tvq_send64(struct vhost *v, uint32_t req, uint32_t flags, uint64_t x,
    unsigned nfds)
{
	return tvq_send(v, req, flags, &x, sizeof x, nfds, NULL);
}

static int
tvq_state(struct vhost *v, uint32_t req, uint32_t flags, uint32_t idx,
    uint32_t num)
{
	uint32_t	s[2] = { idx, num };

	return tvq_send(v, req, flags, s, sizeof s, 0, NULL);
}

static uint64_t
tvq_reply64(void)
{
	uint64_t	x;

	memcpy(&x, tvq_reply.payload, sizeof x);
	return x;
}

static int
tvq_closed(int fd)
{
	return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

#define V1	VHOST_FLAG_VERSION
#define NR	(VHOST_FLAG_VERSION | VHOST_FLAG_NEED_REPLY)

static void
tvq_table_messages(void)
{
	static const struct {
		const char	*name;
		uint32_t	 req, flags, size;
	} refused[] = {
		{ "version 0", VHOST_GET_FEATURES, 0, 0 },
		{ "version 2", VHOST_GET_FEATURES, 2, 0 },
		{ "a size over any request's", VHOST_SET_OWNER, V1,
		    VHOST_PAYLOAD_MAX + 1 },
		{ "GET_FEATURES with 4 bytes", VHOST_GET_FEATURES, V1, 4 },
		{ "SET_FEATURES with 4 bytes", VHOST_SET_FEATURES, V1, 4 },
		{ "SET_FEATURES with 16 bytes", VHOST_SET_FEATURES, V1, 16 },
		{ "SET_VRING_NUM with 12 bytes", VHOST_SET_VRING_NUM, V1, 12 },
		{ "SET_VRING_ADDR with 32 bytes", VHOST_SET_VRING_ADDR, V1,
		    32 },
		{ "SET_MEM_TABLE with 4 bytes", VHOST_SET_MEM_TABLE, V1, 4 },
		{ "SET_MEM_TABLE with no regions", VHOST_SET_MEM_TABLE, V1,
		    8 },
		{ "GET_CONFIG with 8 bytes", VHOST_GET_CONFIG, V1, 8 },
		{ "a request we do not know (LOG_BASE)", 6, V1, 8 },
		{ "a request we do not know (99)", 99, V1, 0 },
	};
	uint8_t		 zero[VHOST_PAYLOAD_MAX] = { 0 };
	struct tvq_dev	 d = { .changed = 0 };
	struct vhost	 v;
	size_t		 i;
	int		 r, fds[3];

	vcons_init(&d.vc, 1);
	vcons_resize(&d.vc, 0, 132, 43);

	for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		vhost_init(&v, &tvq_ops, &d);
		r = tvq_send(&v, refused[i].req, refused[i].flags, zero,
		    refused[i].size, 2, fds);
		tcheck(r == -1 && v.why[0] != '\0' && tvq_closed(fds[0]) &&
		    tvq_closed(fds[1]), "refused: %s (%s)", refused[i].name,
		    v.why);
		vhost_reset(&v);
	}
	vhost_init(&v, &tvq_ops, &d);
	r = tvq_send(&v, VHOST_GET_FEATURES, V1, zero, 0, 0, NULL);
	tcheck(r == 1 && tvq_reply.flags == 0x5 &&
	    tvq_reply.request == VHOST_GET_FEATURES && tvq_reply.size == 8 &&
	    tvq_reply64() == (VCONS_FEATURES | 1ull << 30),
	    "GET_FEATURES: VERSION_1, SIZE, EMERG_WRITE and protocol features");
	r = tvq_send(&v, VHOST_GET_FEATURES, V1, zero, 8, 0, NULL);
	tcheck(r == 1, "GET_FEATURES with a zero u64, as some frontends "
	    "send it");
	r = tvq_send(&v, VHOST_GET_PROTOCOL_FEATURES, V1, zero, 0, 0, NULL);
	tcheck(r == 1 && tvq_reply.flags == 0x5 && tvq_reply64() == 0x229,
	    "GET_PROTOCOL_FEATURES: MQ, REPLY_ACK, BACKEND_REQ, CONFIG");
	r = tvq_send(&v, VHOST_GET_QUEUE_NUM, V1, zero, 0, 0, NULL);
	tcheck(r == 1 && tvq_reply64() == VHOST_RINGS_MAX,
	    "GET_QUEUE_NUM: VHOST_RINGS_MAX");
	r = tvq_send(&v, VHOST_SET_OWNER, V1, zero, 0, 2, fds);
	tcheck(r == 0 && tvq_closed(fds[0]) && tvq_closed(fds[1]),
	    "SET_OWNER: the fds that came with it are closed");
	r = tvq_send64(&v, VHOST_SET_OWNER, NR, 0, 0);
	tcheck(r == 0, "NEED_REPLY before REPLY_ACK: no reply");
	r = tvq_send64(&v, VHOST_SET_FEATURES, V1, 0x140000001ull, 0);
	tcheck(r == 0 && vhost_has(&v, VCONS_F_SIZE) &&
	    !vhost_has(&v, VCONS_F_EMERG_WRITE), "SET_FEATURES: SIZE acked");
	r = tvq_send64(&v, VHOST_SET_PROTOCOL_FEATURES, V1, 0x229, 0);
	tcheck(r == 0, "SET_PROTOCOL_FEATURES: all offered");
	r = tvq_send64(&v, VHOST_SET_OWNER, NR, 0, 0);
	tcheck(r == 1 && tvq_reply.flags == 0x5 && tvq_reply.size == 8 &&
	    tvq_reply64() == 0, "NEED_REPLY with REPLY_ACK: a zero status");
	r = tvq_send(&v, VHOST_GET_FEATURES, NR, zero, 0, 0, NULL);
	tcheck(r == 1 && tvq_reply64() == (VCONS_FEATURES | 1ull << 30),
	    "NEED_REPLY on a GET: its own reply, not a status");
	{
		uint8_t	cfg[12 + 12] = { 0, 0, 0, 0, 12 };

		r = tvq_send(&v, VHOST_GET_CONFIG, V1, cfg, sizeof cfg, 0,
		    NULL);
		tcheck(r == 1 && tvq_reply.size == 24 &&
		    memcmp(tvq_reply.payload, cfg, 12) == 0 &&
		    tvq_reply.payload[12] == 132 &&
		    tvq_reply.payload[14] == 43 && tvq_reply.payload[16] == 1,
		    "GET_CONFIG(0, 12): the header back and the config");
		cfg[0] = 4;
		r = tvq_send(&v, VHOST_GET_CONFIG, V1, cfg, sizeof cfg, 0,
		    NULL);
		tcheck(r == 1 && tvq_reply.size == 0,
		    "GET_CONFIG(4, 12): an empty reply says no");
		memset(cfg, 0, sizeof cfg);
		cfg[4] = 12;
		cfg[12 + 8] = 'Q';
		r = tvq_send(&v, VHOST_SET_CONFIG, NR, cfg, sizeof cfg, 0,
		    NULL);
		tcheck(r == 1 && tvq_reply64() == 0 && d.nemerg == 1 &&
		    d.emerg[0] == 'Q', "SET_CONFIG(0, 12) from QEMU: 'Q'");
		r = tvq_send(&v, VHOST_SET_CONFIG, NR, cfg, sizeof cfg, 0,
		    NULL);
		tcheck(r == 1 && d.nemerg == 2 && d.emerg[1] == 'Q',
		    "SET_CONFIG: the same character again is output again");
		memset(cfg, 0, sizeof cfg);
		cfg[0] = 8;
		cfg[4] = 4;
		cfg[12] = 'U';
		r = tvq_send(&v, VHOST_SET_CONFIG, NR, cfg, 16, 0, NULL);
		tcheck(r == 1 && tvq_reply64() == 0 && d.nemerg == 3 &&
		    d.emerg[2] == 'U', "SET_CONFIG(8, 4) from UML: 'U'");
		cfg[0] = 9;
		cfg[4] = 3;
		r = tvq_send(&v, VHOST_SET_CONFIG, NR, cfg, 15, 0, NULL);
		tcheck(r == 1 && tvq_reply64() == 1 && d.nemerg == 3,
		    "SET_CONFIG(9, 3): refused with status 1");
		cfg[0] = 13;
		cfg[4] = 0;
		r = tvq_send(&v, VHOST_SET_CONFIG, NR, cfg, 12, 0, NULL);
		tcheck(r == 1 && tvq_reply64() == 1,
		    "SET_CONFIG past the space: status 1");
	}
	r = tvq_send64(&v, VHOST_SET_FEATURES, V1, 1ull << 1, 0);
	tcheck(r == -1 && strstr(v.why, "not offered") != NULL,
	    "SET_FEATURES with MULTIPORT, not offered: refused");
	vhost_reset(&v);

	vhost_init(&v, &tvq_ops, &d);
	r = tvq_send64(&v, VHOST_SET_PROTOCOL_FEATURES, V1, 1ull << 13, 0);
	tcheck(r == -1, "SET_PROTOCOL_FEATURES with RESET_DEVICE, not "
	    "offered: refused");
	vhost_reset(&v);
	vhost_init(&v, &tvq_ops, &d);
	r = tvq_send(&v, VHOST_GET_CONFIG, V1, zero, 24, 0, NULL);
	tcheck(r == -1, "GET_CONFIG without the CONFIG protocol feature: "
	    "refused");
	vhost_reset(&v);
	vhost_init(&v, &tvq_ops, &d);
	r = tvq_send(&v, VHOST_SET_BACKEND_REQ_FD, V1, zero, 0, 1, fds);
	tcheck(r == -1 && tvq_closed(fds[0]), "SET_BACKEND_REQ_FD without "
	    "BACKEND_REQ: refused, the fd closed");
	vhost_reset(&v);
}

/* A ring set up as QEMU does it, used, and stopped by GET_VRING_BASE. */
static void
tvq_table_vring_base(void)
{
	struct tvq_dev	 d = { .changed = 0 };
	struct vhost	 v;
	struct vq	*q;
	struct vq_chain	 c;
	uint64_t	 mt[1 + 4 * 2];
	uint64_t	 addr[5];
	unsigned	 gen, gen2, changed;
	int		 r, kick, fds[2];

	vcons_init(&d.vc, 1);
	vhost_init(&v, &tvq_ops, &d);
	(void)tvq_send64(&v, VHOST_SET_FEATURES, V1, 0x140000001ull, 0);
	(void)tvq_send64(&v, VHOST_SET_PROTOCOL_FEATURES, V1, 0x229, 0);
	/* Region 0 guest 0x100000 at our 0x8000, region 1 after it at 0. */
	mt[0] = 2;
	mt[1] = TVQ_GPA;
	mt[2] = 0x8000;
	mt[3] = TVQ_UVA + TVQ_GPA;
	mt[4] = 0x8000;
	mt[5] = TVQ_GPA + 0x8000;
	mt[6] = 0x8000;
	mt[7] = TVQ_UVA + TVQ_GPA + 0x8000;
	mt[8] = 0;
	memset(tvq_mem, 0, sizeof tvq_mem);
	r = tvq_send(&v, VHOST_SET_MEM_TABLE, NR, mt, sizeof mt, 2, fds);
	tcheck(r == 1 && tvq_reply64() == 0 && v.mem.n == 2 &&
	    d.maps == 2 && tvq_closed(fds[0]) && tvq_closed(fds[1]),
	    "SET_MEM_TABLE: two regions mapped, their fds closed");
	r = tvq_state(&v, VHOST_SET_VRING_NUM, V1, 1, TVQ_NUM);
	r |= tvq_state(&v, VHOST_SET_VRING_BASE, V1, 1, 5);
	addr[0] = 1;
	addr[1] = TVQ_UVA + TVQ_DESC;
	addr[2] = TVQ_UVA + TVQ_USED;
	addr[3] = TVQ_UVA + TVQ_AVAIL;
	addr[4] = 0;
	r |= tvq_send(&v, VHOST_SET_VRING_ADDR, V1, addr, 40, 0, NULL);
	(void)vhost_ring_kick(&v, 1, &gen);
	r |= tvq_send64(&v, VHOST_SET_VRING_KICK, V1, 1, 1);
	kick = vhost_ring_kick(&v, 1, &gen2);
	tcheck(r == 0 && kick != -1 && gen2 != gen &&
	    vhost_vq(&v, 1) == NULL, "SET_VRING_KICK: started, not yet "
	    "enabled (protocol features were acked)");
	r = tvq_state(&v, VHOST_SET_VRING_ENABLE, V1, 1, 1);
	q = vhost_vq(&v, 1);
	tcheck(r == 0 && q != NULL && q->last_avail == 5 &&
	    vhost_vq(&v, 0) == NULL, "SET_VRING_ENABLE: ring 1 live from "
	    "index 5, ring 0 not");
	if (q == NULL) {
		vhost_reset(&v);
		return;
	}
	tvq_desc(0, B(0x7ff8), 16, 0, 0);
	tvq_put16(TVQ_AVAIL + 4 + 2 * 5, 0);
	tvq_put16(TVQ_AVAIL + 2, 6);
	r = vq_pop(q, &v.mem, &c);
	tcheck(r == 1 && c.nout == 2, "a chain across the regions, "
	    "through the session's table");
	vq_push(q, c.head, 0);
	changed = d.changed;
	r = tvq_state(&v, VHOST_GET_VRING_BASE, V1, 1, 0);
	(void)vhost_ring_kick(&v, 1, &gen);
	tcheck(r == 1 && tvq_reply.flags == 0x5 && tvq_reply.size == 8 &&
	    tvq_reply64() == (1 | 6ull << 32) && vhost_vq(&v, 1) == NULL &&
	    vhost_ring_kick(&v, 1, &gen) == -1 && gen != gen2 &&
	    tvq_closed(kick) && d.changed > changed,
	    "GET_VRING_BASE: {1, 6}, the ring stopped, its kick closed");
	r = tvq_state(&v, VHOST_GET_VRING_BASE, V1, 1, 0);
	tcheck(r == 1 && tvq_reply64() == (1 | 6ull << 32),
	    "GET_VRING_BASE again: still 6");
	r = tvq_send64(&v, VHOST_SET_VRING_KICK, V1, 1, 1);
	q = vhost_vq(&v, 1);
	tcheck(r == 0 && q != NULL && q->last_avail == 6,
	    "a new kick starts it again where it stopped");
	/* A table that leaves the ring outside ends the session. */
	mt[0] = 1;
	mt[1] = TVQ_GPA;
	mt[2] = 0x1000;
	mt[3] = TVQ_UVA + TVQ_GPA;
	mt[4] = 0;
	r = tvq_send(&v, VHOST_SET_MEM_TABLE, V1, mt, 40, 1, NULL);
	tcheck(r == -1 && strstr(v.why, "ring 1") != NULL,
	    "SET_MEM_TABLE leaving a live ring outside: refused (%s)", v.why);
	vhost_reset(&v);
	tcheck(d.maps == 0 && v.backend_fd == -1 &&
	    vhost_ring_kick(&v, 1, &gen) == -1, "vhost_reset: nothing left");
}

int
main(void)
{
	tvq_table_chains();
	tvq_table_pieces();
	tvq_table_avail();
	tvq_table_start();
	tvq_table_vmem();
	tvq_table_push();
	tvq_table_kicks();
	tvq_table_config_get();
	tvq_table_config_set();
	tvq_table_rings();
	tvq_table_handshake();
	tvq_table_resize_order();
	tvq_table_ctl_refused();
	tvq_table_messages();
	tvq_table_vring_base();
	printf("%d passed, %d failed\n", tcheck_pass, tcheck_fail);
	return tcheck_fail == 0 ? 0 : 1;
}
