/*
 * fuzz-vq: libFuzzer harness for the guest-memory table and the split
 * virtqueue walk (src/vhost/vq.c) on their own: a guest that lays out
 * its rings anywhere, writes anything into them, and changes them
 * between our looks.
 *
 * fuzz-sources: src/vhost/vq.c
 * fuzz-seeds: tests/fuzz/vq-seeds
 * fuzz-max-len: 4096
 *
 * Input (tests/fuzz/mkvhost.py writes the seeds):
 *   byte 0     bits 0-1: 1 to 3 regions ((b & 3) % 3 + 1)
 *   regions    8 bytes each: u16 offset into the harness's 64 KiB buffer,
 *              u16 size (0: all the rest; cut at the buffer's end), u32
 *              guest page (gpa = page << 12); the frontend's address is
 *              the gpa moved by 0x7f0000000000, so the two differ, as
 *              they do behind QEMU
 * then records, each an op byte whose low three bits say what it is
 * (those that use the ring do nothing until a vq_start has succeeded:
 * like the daemon, the harness never walks a ring that did not start):
 *   START 0    vq_start: u8 size (below 0xf0: 1 << (b % 17), else b - 0xf0:
 *              0 and sizes that are no power of 2), then desc, avail, used
 *              each as u8 region (from 0xf0 on: its guest address instead
 *              of the frontend's, as a confused frontend would send) and
 *              u16 offset, then u16 base
 *   POKE  1    u16 offset, u8 length, bytes: the guest writes its memory
 *   CHAIN 2    a chain laid in and published (vqref_add_chain, op >> 3)
 *   POP   3    bits 3-6: pop up to that many chains (+ 1), pushing each;
 *              bit 7: before every pop but the first a POKE's bytes follow
 *              and are written first: the guest changing the ring while
 *              we walk it
 *   AT    4    vmem_at: u8 region (bit 7: frontend address), u16 offset
 *              (from 0x100 below the region's start), u16 length
 *   AVAIL 5    u16: the driver's available index, set
 *   PUSH  6    u16 head, u32 length: vq_push as a confused device might
 *   WAIT  7    vq_waiting
 *
 * On top of the sanitizers the harness checks:
 *   - vq_start refuses a size that is not a power of 2 up to 32768, parts
 *     misaligned (16, 2, 4) or not whole in one region (by the reference
 *     lookup), and parts misaligned where we see them for the types vq.c
 *     reads them as (a region starts where the frontend's mmap offset
 *     says, so aligned addresses do not make aligned pointers); it takes
 *     every other ring whose descriptor table we see at 16; then its
 *     pointers are those places and base is both indexes; a refusal
 *     gives a printable reason;
 *   - vmem_at agrees with the reference lookup: NULL, or the place of
 *     the address in the first region holding it, with the whole range
 *     inside that region;
 *   - vq_pop agrees with the reference walk (vqref.c): -1, 0, or the same
 *     chain piece by piece; every piece lies in one region and in the
 *     buffer, at most VQ_IOV_MAX a direction; a chain is taken only when
 *     the available index is 1 to num ahead, and moves it by one; once
 *     -1, vq_pop stays -1 and vq_waiting 0 until vq_start again;
 *   - vq_waiting is the index's distance when it is at most num, else 0
 *     and the ring broken;
 *   - vq_push writes the used entry and index and nothing else moves;
 *     vq_should_notify is the driver's NO_INTERRUPT flag, inverted.
 */
#include <endian.h>
#include <stdint.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "../../src/vhost/vq.h"
#include "fuzzkit.h"
#include "vqref.h"

const char	fuzzkit_name[] = "fuzz-vq";

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FVQ_BUF		(64 * 1024)
#define FVQ_UVA		0x7f0000000000ull

enum {
	FVQ_START, FVQ_POKE, FVQ_CHAIN, FVQ_POP, FVQ_AT, FVQ_AVAIL, FVQ_PUSH,
	FVQ_WAIT,
};

static uint8_t	fvq_buf[FVQ_BUF] __attribute__((aligned(4096)));

struct fvq {
	struct vmem	 m;
	struct vq	 q;
	int		 started;	/* the last vq_start succeeded */
	const uint8_t	*p;		/* the input left */
	size_t		 n;
};

static int
fvq_take(struct fvq *f, void *out, size_t len)
{
	if (f->n < len) {
		f->n = 0;
		return -1;
	}
	memcpy(out, f->p, len);
	f->p += len;
	f->n -= len;
	return 0;
}

static uint16_t
fvq_le16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

static uint32_t
fvq_le32(const uint8_t *b)
{
	return (uint32_t)fvq_le16(b) | (uint32_t)fvq_le16(b + 2) << 16;
}

/* POKE: u16 offset, u8 length, bytes. */
static void
fvq_poke(struct fvq *f)
{
	uint8_t	h[3];
	size_t	at, len, keep;

	if (fvq_take(f, h, 3) == -1) {
		return;
	}
	at = fvq_le16(h);
	len = h[2] < f->n ? h[2] : f->n;
	keep = len < FVQ_BUF - at ? len : FVQ_BUF - at;
	memcpy(fvq_buf + at, f->p, keep);
	f->p += len;
	f->n -= len;
}

/* A ring part's address: in region b's frontend or guest addresses. */
static uint64_t
fvq_part(const struct fvq *f, uint8_t b, uint16_t off)
{
	const struct vmem_region	*r = &f->m.r[b % f->m.n];

	return (b < 0xf0 ? r->uva : r->gpa) + off;
}

static void
fvq_start(struct fvq *f)
{
	uint8_t		 b[12];
	uint64_t	 desc, avail, used;
	unsigned	 num;
	uint16_t	 base;
	const char	*why = NULL;
	uint8_t		*wd, *wa, *wu;
	int		 r, want, host_c, host_16;

	if (fvq_take(f, b, sizeof b) == -1) {
		return;
	}
	num = b[0] < 0xf0 ? 1u << (b[0] % 17) : b[0] - 0xf0u;
	desc = fvq_part(f, b[1], fvq_le16(b + 2));
	avail = fvq_part(f, b[4], fvq_le16(b + 5));
	used = fvq_part(f, b[7], fvq_le16(b + 8));
	base = fvq_le16(b + 10);
	wd = vqref_at(&f->m, desc, 16 * (uint64_t)num, 1);
	wa = vqref_at(&f->m, avail, 6 + 2 * (uint64_t)num, 1);
	wu = vqref_at(&f->m, used, 6 + 8 * (uint64_t)num, 1);
	want = num >= 1 && num <= 32768 && (num & (num - 1)) == 0 &&
	    desc % 16 == 0 && avail % 2 == 0 && used % 4 == 0 &&
	    wd != NULL && wa != NULL && wu != NULL;
	/*
	 * Where we see the parts: a region may start anywhere in its
	 * mapping (the frontend picks mmap_offset), so aligned guest
	 * addresses do not make aligned pointers.  Misaligned for the types
	 * vq.c reads them through: refused.  Aligned so, but the descriptor
	 * table not at 16 as virtio has it: either answer will do.
	 */
	host_c = (uintptr_t)wd % 8 == 0 && (uintptr_t)wa % 2 == 0 &&
	    (uintptr_t)wu % 4 == 0;
	host_16 = host_c && (uintptr_t)wd % 16 == 0;
	r = vq_start(&f->q, &f->m, num, desc, avail, used, base, &why);
	CHECK(r == 0 || r == -1, "vq_start returned %d", r);
	CHECK(r == -1 || (want && host_c), "vq_start(%u, %#llx, %#llx, "
	    "%#llx) took a ring it must refuse (%s)", num,
	    (unsigned long long)desc, (unsigned long long)avail,
	    (unsigned long long)used, want ? "misaligned where we see it" :
	    "misaligned, outside or a bad size");
	CHECK(r == 0 || !want || !host_16, "vq_start(%u, %#llx, %#llx, "
	    "%#llx) refused a good ring: %s", num, (unsigned long long)desc,
	    (unsigned long long)avail, (unsigned long long)used, why);
	f->started = r == 0;
	if (r == -1) {
		CHECK(why != NULL && why[0] != '\0' && fuzzkit_printable(why),
		    "vq_start refused without a reason");
		return;
	}
	CHECK(f->q.num == num && (uint8_t *)f->q.desc == wd &&
	    (uint8_t *)f->q.avail == wa && (uint8_t *)f->q.used == wu,
	    "vq_start resolved the parts elsewhere");
	CHECK(f->q.last_avail == base && f->q.used_idx == base &&
	    !f->q.broken, "vq_start's state");
	vqref_check_ring(&f->q, &f->m);
}

/* One pop, checked, and the chain pushed back. */
static int
fvq_pop_one(struct fvq *f)
{
	struct vq_chain	 c, want;
	uint16_t	 before = f->q.last_avail, ahead = 0, used;
	uint32_t	 len;
	unsigned	 i;
	int		 r, w;

	w = vqref_pop(&f->q, &f->m, &want);
	if (f->q.avail != NULL) {
		ahead = (uint16_t)(vqref_avail_idx(&f->q) - before);
	}
	r = vq_pop(&f->q, &f->m, &c);
	CHECK(r == w, "vq_pop returned %d, the reference %d (%s)", r, w,
	    f->q.broken ? f->q.why : "");
	if (r == 0) {
		CHECK(f->q.last_avail == before && !f->q.broken,
		    "an empty pop moved");
		return 0;
	}
	if (r == -1) {
		CHECK(f->q.broken && f->q.why != NULL && f->q.why[0] != '\0' &&
		    fuzzkit_printable(f->q.why), "broken without a reason");
		CHECK(f->q.last_avail == before, "a broken pop moved");
		CHECK(vq_pop(&f->q, &f->m, &c) == -1 && vq_waiting(&f->q) == 0,
		    "a broken ring popped again");
		return -1;
	}
	vqref_same_chain(&c, &want, &f->m, fvq_buf, fvq_buf + FVQ_BUF);
	CHECK(ahead >= 1 && ahead <= f->q.num &&
	    f->q.last_avail == (uint16_t)(before + 1),
	    "a chain taken with the index %u ahead", ahead);
	/* What a device does: fill the guest's buffers, give them back. */
	len = 0;
	for (i = 0; i < c.nin; i++) {
		memset(c.in[i].base, 'i', c.in[i].len);
		len += c.in[i].len;
	}
	used = f->q.used_idx;
	vq_push(&f->q, c.head, len);
	vqref_check_push(&f->q, used, c.head, len);
	CHECK(vq_should_notify(&f->q) ==
	    !(le16toh(f->q.avail->flags) & VRING_AVAIL_F_NO_INTERRUPT),
	    "vq_should_notify disagrees with the driver's flags");
	return 1;
}

static void
fvq_pop(struct fvq *f, unsigned op)
{
	unsigned	n, i;

	n = 1 + ((op >> 3) & 15);
	for (i = 0; i < n; i++) {
		if (i > 0 && (op & 0x80)) {
			fvq_poke(f);
		}
		if (fvq_pop_one(f) != 1) {
			return;
		}
	}
}

static void
fvq_at(struct fvq *f)
{
	const struct vmem_region	*r;
	uint8_t				 b[5], *got, *want;
	uint64_t			 addr, len;
	int				 uva;

	if (fvq_take(f, b, sizeof b) == -1) {
		return;
	}
	r = &f->m.r[(b[0] & 0x7f) % f->m.n];
	uva = (b[0] & 0x80) != 0;
	addr = (uva ? r->uva : r->gpa) + fvq_le16(b + 1) - 0x100;
	len = fvq_le16(b + 3);
	got = vmem_at(&f->m, addr, len, uva);
	want = vqref_at(&f->m, addr, len, uva);
	CHECK(got == want, "vmem_at(%#llx, %llu, %d) = %p, the reference %p",
	    (unsigned long long)addr, (unsigned long long)len, uva,
	    (void *)got, (void *)want);
	CHECK(got == NULL || vqref_inside(&f->m, got, len),
	    "vmem_at's range is not inside one region");
}

static void
fvq_wait(struct fvq *f)
{
	uint16_t	ahead = 0;
	unsigned	want = 0, got;
	int		broken = f->q.broken;

	if (!broken && f->q.avail != NULL) {
		ahead = (uint16_t)(vqref_avail_idx(&f->q) - f->q.last_avail);
		if (ahead > f->q.num) {
			broken = 1;
		} else {
			want = ahead;
		}
	}
	got = vq_waiting(&f->q);
	CHECK(got == want && f->q.broken == broken, "vq_waiting said %u "
	    "(broken %d), want %u (%d)", got, f->q.broken, want, broken);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fvq	 fvq;
	struct fvq		*f = &fvq;
	struct vmem_region	*r;
	struct vq		 was;
	uint8_t			 b[8], op;
	unsigned		 i, at;

	if (size < 1) {
		return 0;
	}
	memset(f, 0, sizeof *f);
	memset(fvq_buf, 0, sizeof fvq_buf);
	f->p = data + 1;
	f->n = size - 1;
	f->m.n = (data[0] & 3) % 3 + 1;
	for (i = 0; i < f->m.n; i++) {
		memset(b, 0, sizeof b);
		(void)fvq_take(f, b, sizeof b);
		r = &f->m.r[i];
		at = fvq_le16(b);
		r->host = fvq_buf + at;
		r->size = fvq_le16(b + 2) == 0 ? FVQ_BUF : fvq_le16(b + 2);
		if (r->size > FVQ_BUF - at) {
			r->size = FVQ_BUF - at;
		}
		r->gpa = (uint64_t)fvq_le32(b + 4) << 12;
		r->uva = r->gpa + FVQ_UVA;
	}
	while (f->n > 0) {
		(void)fvq_take(f, &op, 1);
		switch (op & 7) {
		case FVQ_START:
			fvq_start(f);
			break;
		case FVQ_POKE:
			fvq_poke(f);
			break;
		case FVQ_CHAIN:
			at = (unsigned)vqref_add_chain(f->started ? &f->q :
			    &(struct vq){ .num = 0 }, &f->m, op >> 3, f->p,
			    f->n);
			f->p += at;
			f->n -= at;
			break;
		case FVQ_POP:
			if (f->started) {
				fvq_pop(f, op);
			}
			break;
		case FVQ_AT:
			fvq_at(f);
			break;
		case FVQ_AVAIL:
			if (fvq_take(f, b, 2) == 0 && f->started) {
				memcpy((uint8_t *)f->q.avail + 2, b, 2);
			}
			break;
		case FVQ_PUSH:
			if (fvq_take(f, b, 6) == -1 || !f->started) {
				break;
			}
			was = f->q;
			vq_push(&f->q, fvq_le16(b), fvq_le32(b + 2));
			vqref_check_push(&f->q, was.used_idx, fvq_le16(b),
			    fvq_le32(b + 2));
			CHECK(f->q.last_avail == was.last_avail &&
			    f->q.broken == was.broken, "vq_push moved more "
			    "than the used index");
			break;
		case FVQ_WAIT:
			if (f->started) {
				fvq_wait(f);
			}
			break;
		}
	}
	return 0;
}
