#!/usr/bin/python3
"""Write the seed corpora of fuzz-vhost (tests/fuzz/vhost-seeds/),
fuzz-vq (tests/fuzz/vq-seeds/) and fuzz-vcons (tests/fuzz/vcons-seeds/):
frontends' conversations as QEMU and UML hold them (research/vhost-user.md,
sections 1.1 and 1.2), the Linux driver's side of the control queue, and
the shapes of what a hostile frontend or guest could send.  The input
formats are in the header comments of tests/fuzz/fuzz-vhost.c, fuzz-vq.c
and fuzz-vcons.c; the
seeds are checked in, and this script writes them again:

    mkvhost.py [DIR]        (default: the directory this script is in)
"""
import os
import struct
import sys

# vhost-user requests (src/vhost/vhost.h).
GET_FEATURES, SET_FEATURES, SET_OWNER, RESET_OWNER = 1, 2, 3, 4
SET_MEM_TABLE = 5
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE = 8, 9, 10, 11
SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR = 12, 13, 14
GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, GET_QUEUE_NUM = 15, 16, 17
SET_VRING_ENABLE, SET_BACKEND_REQ_FD = 18, 21
GET_CONFIG, SET_CONFIG = 24, 25

V1, NEED_REPLY = 0x1, 0x8
NOFD = 1 << 8
# Split ring descriptor flags.
NEXT, WRITE, INDIRECT = 1, 2, 4

GUEST = 0x10000
QEMU_UVA = 0x7F1234560000
UML_ADDR = 0x60000000
OFFERED = (1 << 32) | (1 << 30) | (1 << 2) | 1


# ---- fuzz-vhost records -------------------------------------------------

def msg(req, payload=b"", flags=V1, nfds=0, size=None):
    """MSG: op (fd count in bits 2-5), header, payload."""
    if size is None:
        size = len(payload)
    return (bytes([0 | (nfds << 2)]) + struct.pack("<III", req, flags, size)
            + payload)


def u64(req, x, flags=V1, nfds=0):
    return msg(req, struct.pack("<Q", x), flags, nfds)


def state(req, idx, num, flags=V1):
    return msg(req, struct.pack("<II", idx, num), flags)


def addr(idx, desc, used, avail, flags=V1):
    return msg(SET_VRING_ADDR, struct.pack("<IIQQQQ", idx, 0, desc, used,
                                           avail, 0), flags)


def mem_table(regions, flags=V1, nfds=None, room=0):
    """regions: (gpa, size, uva, mmap_offset) each; room: that many more,
    zero, after them (UML sends its whole two-region struct)."""
    body = struct.pack("<II", len(regions), 0)
    for r in regions:
        body += struct.pack("<QQQQ", *r)
    body += bytes(32 * room)
    return msg(SET_MEM_TABLE, body, flags,
               len(regions) if nfds is None else nfds)


def get_config(off, size, flags=V1):
    return msg(GET_CONFIG, struct.pack("<III", off, size, 0) + bytes(size),
               flags)


def set_config(off, data, flags=V1):
    return msg(SET_CONFIG, struct.pack("<III", off, len(data), 0) + data,
               flags)


def poke(at, data):
    """POKE: the guest writes its memory (at most 255 bytes a record)."""
    out = b""
    while data:
        part, data = data[:255], data[255:]
        out += bytes([1]) + struct.pack("<HB", at, len(part)) + part
        at += len(part)
    return out


def chain_record(op, head, descs, adv=0, jump=0):
    """A chain for vqref_add_chain: op's low bits name the record, bits
    3-7 are the descriptors less one and how avail->idx moves; descs are
    (region, offset, len, flags, next), 1 to 4 of them."""
    arg = (len(descs) - 1) | (adv << 2)
    out = bytes([op | (arg << 3), head])
    for d in descs:
        out += struct.pack("<BHHBB", *d)
    if adv == 7:
        out += bytes([jump])
    return out


def chain(ring, head, descs, adv=0, jump=0):
    """CHAIN: laid into ring and published."""
    return chain_record(2 | (ring << 2), head, descs, adv, jump)


def walk(ring, n=8, config=False):
    return bytes([3 | (ring << 2) | (((n - 1) & 15) << 3) |
                  (0x80 if config else 0)])


def ring_at(i):
    """Where the set-ups put ring i (fuzz-vhost.c FVHOST_RING)."""
    return 0x1000 + 0x4000 * i


def desc_bytes(addr_, length, flags, nxt):
    return struct.pack("<QIHH", addr_, length, flags, nxt)


def qemu_setup(regions=None, num=64, uva=QEMU_UVA, features=0x140000001):
    """QEMU's generic device, as research §1.1 has it."""
    if regions is None:
        regions = [(0, GUEST, uva, 0)]
    s = msg(GET_FEATURES) + msg(GET_PROTOCOL_FEATURES)
    s += u64(SET_PROTOCOL_FEATURES, 0x229) + msg(GET_QUEUE_NUM)
    s += msg(SET_BACKEND_REQ_FD, nfds=1) + msg(SET_OWNER) + msg(GET_FEATURES)
    for i in range(2):
        s += u64(SET_VRING_CALL, i, nfds=1) + u64(SET_VRING_ERR, i, nfds=1)
    s += get_config(0, 12)
    s += u64(SET_FEATURES, features)
    s += mem_table(regions, V1 | NEED_REPLY)
    for i in range(2):
        s += state(SET_VRING_NUM, i, num) + state(SET_VRING_BASE, i, 0)
        b = uva + ring_at(i)
        s += addr(i, b, b + 0x2000, b + 0x1000)
        s += u64(SET_VRING_KICK, i, nfds=1) + u64(SET_VRING_CALL, i, nfds=1)
    for i in range(2):
        s += state(SET_VRING_ENABLE, i, 1)
    return s


def uml_setup(num=256):
    """UML's virtio_uml, as research §1.2 observed it."""
    nr = V1 | NEED_REPLY
    s = msg(SET_OWNER) + msg(GET_FEATURES) + msg(GET_PROTOCOL_FEATURES)
    s += u64(SET_PROTOCOL_FEATURES, 0x228)
    s += msg(SET_BACKEND_REQ_FD, flags=nr, nfds=1)
    s += u64(SET_FEATURES, 0x140000001, flags=nr)
    s += get_config(0, 8) + get_config(0, 2) + get_config(0, 4)
    s += mem_table([(UML_ADDR, GUEST, UML_ADDR, 0)], nr, room=1)
    for i in range(2):
        s += u64(SET_VRING_CALL, i, flags=nr, nfds=1)
        s += state(SET_VRING_NUM, i, num, nr) + state(SET_VRING_BASE, i, 0, nr)
        b = UML_ADDR + ring_at(i)
        s += addr(i, b, b + 0x2000, b + 0x1000, nr)
    for i in range(2):
        s += u64(SET_VRING_KICK, i, flags=nr, nfds=1)
        s += state(SET_VRING_ENABLE, i, 1, nr)
    return s


def vhost_seeds():
    """name -> bytes for fuzz-vhost.  Byte 0: set-up (bit 0: the
    harness's own, bit 1: UML's), walk budget in bits 4-7."""
    s = {}
    out = b"hello, world\r\n"
    tx = poke(0x9000, out) + chain(1, 0, [(0, 0x9000, len(out), 0, 0)])
    rx = chain(0, 0, [(0, 0xa000, 64, WRITE, 0)])

    # Whole conversations, every message in the seed.
    s["qemu-setup"] = (b"\x20" + qemu_setup() + get_config(0, 12) +
                       set_config(0, b"\0" * 8 + b"E\0\0\0") + tx + rx +
                       walk(1) + walk(0, config=True) +
                       state(GET_VRING_BASE, 0, 0) +
                       state(GET_VRING_BASE, 1, 0))
    s["uml-setup"] = (b"\x20" + uml_setup() + set_config(8, b"E\0\0\0",
                                                          V1 | NEED_REPLY) +
                      tx + rx + walk(1) + walk(0, config=True))
    # The harness's set-ups, then the guest.
    s["prelude-qemu-tx"] = b"\x11" + tx + walk(1, config=True)
    s["prelude-uml-rx"] = b"\x13" + rx + chain(0, 1, [
        (0, 0xb000, 16, WRITE | NEXT, 2), (0, 0xc000, 16, WRITE, 0)]) + \
        walk(0)
    s["prelude-chain4"] = b"\x11" + chain(1, 3, [
        (0, 0x9000, 8, NEXT, 4), (0, 0x9100, 8, NEXT, 5),
        (0, 0xa000, 32, WRITE | NEXT, 6), (0, 0xa100, 32, WRITE, 0)]) + \
        walk(1)
    s["prelude-restart"] = (b"\x11" + tx + walk(1) +
                            state(GET_VRING_BASE, 1, 0) +
                            state(SET_VRING_BASE, 1, 1) +
                            u64(SET_VRING_KICK, 1, nfds=1) + tx + walk(1))
    s["prelude-no-interrupt"] = (b"\x11" + poke(0x5000, b"\x01\x00") + tx +
                                 walk(1))
    # A memory table moving the rings while they run, and one that
    # leaves them outside.
    s["prelude-new-table"] = (b"\x11" + tx + walk(1) +
                              mem_table([(0, GUEST, QEMU_UVA, 0)]) + tx +
                              walk(1) +
                              mem_table([(0, 0x1000, QEMU_UVA, 0)]))
    # Config space: every read, and the writes each frontend makes.
    cfg = b"\x01" + b"".join(get_config(o, n) for o in range(14)
                             for n in (0, 1, 2, 4, 12 - o if o <= 12 else 1))
    s["prelude-config-reads"] = cfg
    s["prelude-config-writes"] = (
        b"\x01" + u64(SET_PROTOCOL_FEATURES, 0x229) +
        set_config(0, b"\0" * 8 + b"A\0\0\0", V1 | NEED_REPLY) +
        set_config(0, b"\0" * 8 + b"A\0\0\0", V1 | NEED_REPLY) +
        set_config(8, b"B\0\0\0", V1 | NEED_REPLY) +
        set_config(8, b"B", V1 | NEED_REPLY) +
        set_config(0, b"\x2c\x01\x53\x00\x01\x00\x00\x00", V1 | NEED_REPLY) +
        set_config(0, b"\x50\x00\x18\x00\x01\x00\x00\x00", V1 | NEED_REPLY) +
        set_config(9, b"\0\0\0", V1 | NEED_REPLY) +
        set_config(12, b"", V1 | NEED_REPLY) +
        set_config(13, b"", V1 | NEED_REPLY) +
        set_config(4, b"\0" * 9, V1 | NEED_REPLY))
    s["prelude-get-config-256"] = b"\x01" + get_config(0, 256)

    # Malformed messages, each ending the session.
    s["oversize"] = b"\x00" + msg(SET_OWNER, size=VHOST_PAYLOAD_MAX + 1)
    s["oversize-huge"] = b"\x00" + msg(SET_OWNER, size=0xFFFFFFFF)
    s["version-0"] = b"\x00" + msg(GET_FEATURES, flags=0)
    s["version-2"] = b"\x00" + msg(GET_FEATURES, flags=2 | NEED_REPLY)
    s["unknown-request"] = b"\x00" + msg(99) + msg(GET_FEATURES)
    s["wrong-sizes"] = b"\x00" + b"".join([
        msg(GET_FEATURES, b"\0" * 4), msg(SET_FEATURES, b"\0" * 4),
        msg(SET_VRING_NUM, b"\0" * 12), msg(SET_VRING_ADDR, b"\0" * 32),
        msg(SET_MEM_TABLE, b"\0" * 4),
        msg(SET_MEM_TABLE, struct.pack("<II", 0, 0)),
        # Nine regions' count in a message the size of eight: a message
        # over VHOST_PAYLOAD_MAX is refused on its header alone, so its
        # payload is never read (and must not be in the seed).
        msg(SET_MEM_TABLE, struct.pack("<II", 9, 0) + bytes(8 * 32)),
        msg(SET_MEM_TABLE, struct.pack("<II", 2, 0) + bytes(32), nfds=2),
        u64(SET_PROTOCOL_FEATURES, 0x200) +
        msg(GET_CONFIG, struct.pack("<III", 0, 257, 0)),
        u64(SET_PROTOCOL_FEATURES, 0x200) +
        msg(GET_CONFIG, struct.pack("<III", 0, 12, 0)),
        msg(GET_CONFIG, b"\0" * 8),
    ])
    s["too-many-fds"] = b"\x00" + msg(SET_OWNER, nfds=8) + msg(GET_FEATURES,
                                                               nfds=3)
    s["not-offered"] = b"\x00" + b"".join([
        u64(SET_FEATURES, 1 << 1), u64(SET_PROTOCOL_FEATURES, 1 << 13),
        state(SET_VRING_ENABLE, 0, 1), msg(SET_BACKEND_REQ_FD, nfds=1),
        get_config(0, 12), u64(SET_VRING_KICK, 2, nfds=1),
        state(SET_VRING_NUM, 2, 64), state(SET_VRING_NUM, 0, 100),
        state(SET_VRING_NUM, 0, 65536), u64(SET_VRING_KICK, 0 | NOFD),
        u64(SET_VRING_CALL, 0, nfds=0), u64(SET_VRING_CALL, 0 | NOFD,
                                            nfds=1),
    ])
    s["need-reply"] = b"\x00" + b"".join([
        msg(SET_OWNER, flags=V1 | NEED_REPLY),
        u64(SET_PROTOCOL_FEATURES, 0x8, V1 | NEED_REPLY),
        msg(SET_OWNER, flags=V1 | NEED_REPLY),
        msg(GET_FEATURES, flags=V1 | NEED_REPLY),
        u64(SET_FEATURES, 0x100000000, V1 | NEED_REPLY),
        state(GET_VRING_BASE, 1, 0, V1 | NEED_REPLY),
        u64(SET_PROTOCOL_FEATURES, 0, V1 | NEED_REPLY),
        msg(SET_OWNER, flags=V1 | NEED_REPLY),
        msg(RESET_OWNER),
    ])
    # Memory tables a frontend must not send.
    big = 1 << 64
    s["region-wraps"] = b"\x00" + b"".join(
        mem_table([r]) for r in [
            (big - 0x1000, 0x2000, 0, 0), (0, 0x2000, big - 0x1000, 0),
            (0, 0x2000, 0, big - 0x1000), (0, 0, 0, 0),
            (0, GUEST + 1, 0, 0), (0, GUEST, 0, 1)])
    s["region-fd-mismatch"] = b"\x00" + mem_table(
        [(0, 0x1000, 0, 0), (0x1000, 0x1000, 0x1000, 0x1000)], nfds=1)
    s["ring-outside-memory"] = b"\x00" + qemu_setup(
        regions=[(0, 0x5000, QEMU_UVA, 0)])
    s["ring-misaligned"] = b"\x01" + addr(1, QEMU_UVA + ring_at(1) + 8,
                                          QEMU_UVA + ring_at(1) + 0x2000,
                                          QEMU_UVA + ring_at(1) + 0x1000)
    # A region that starts at an odd place in its mapping (mmap offset
    # 1): the rings' addresses are aligned, the pointers to them are not.
    s["region-odd-offset"] = b"\x11" + mem_table(
        [(0, 0xff00, QEMU_UVA, 1)]) + tx + walk(1)
    s["ring-gpa-not-uva"] = b"\x01" + addr(1, ring_at(1), ring_at(1) + 0x2000,
                                           ring_at(1) + 0x1000)
    # Two regions, their guest addresses adjacent and their places
    # swapped: a buffer across the boundary is two pieces.
    two = [(0, 0x8000, QEMU_UVA, 0x8000), (0x8000, 0x8000,
                                           QEMU_UVA + 0x8000, 0)]
    s["two-regions-crossing"] = (b"\x00" + qemu_setup(
        regions=[(0, GUEST, QEMU_UVA, 0)]) + mem_table(two) +
        chain(1, 0, [(0, 0x7ff0, 0x20, 0, 0)]) + walk(1) +
        chain(0, 0, [(0, 0x7ff8, 0x10, WRITE, 0)]) + walk(0))
    # Rings a guest must not write.
    s["chain-loops"] = b"\x11" + chain(1, 0, [(0, 0x9000, 4, NEXT, 1),
                                             (0, 0x9000, 4, NEXT, 0)]) + \
        walk(1)
    s["chain-self"] = b"\x11" + chain(1, 5, [(0, 0x9000, 4, NEXT, 5)]) + \
        walk(1)
    s["chain-indirect"] = b"\x11" + chain(1, 0, [(0, 0x9000, 16,
                                                 INDIRECT, 0)]) + walk(1)
    s["chain-read-after-write"] = b"\x11" + chain(0, 0, [
        (0, 0xa000, 8, WRITE | NEXT, 1), (0, 0x9000, 8, 0, 0)]) + walk(0)
    s["chain-head-out-of-range"] = b"\x11" + chain(1, 0xF5, [
        (0, 0x9000, 4, 0, 0)]) + walk(1)
    s["chain-next-out-of-range"] = b"\x11" + chain(1, 0, [
        (0, 0x9000, 4, NEXT, 0xFA)]) + walk(1)
    s["chain-outside-memory"] = b"\x11" + chain(1, 0, [
        (0, 0xFFF0, 0x20, 0, 0)]) + walk(1)
    s["avail-jump"] = b"\x11" + chain(1, 0, [(0, 0x9000, 4, 0, 0)], adv=7,
                                      jump=200) + walk(1) + tx + walk(1)
    s["avail-jump-uml"] = b"\x13" + chain(1, 0, [(0, 0x9000, 4, 0, 0)],
                                          adv=7, jump=255) + walk(1)
    # 64 pieces is a chain's most; 65 breaks the ring (UML's rings have
    # 256 entries, so the chain is not cut at the ring's size first).
    for n in (64, 65):
        table = b"".join(desc_bytes(UML_ADDR + 0x9000 + i, 1,
                                    NEXT if i < n - 1 else 0, i + 1)
                         for i in range(n))
        s["chain-%d-pieces" % n] = (
            b"\x13" + poke(ring_at(1), table) +
            poke(ring_at(1) + 0x1000, b"\0\0\x01\0\0\0") + walk(1))
    s["chain-write-outside-memory"] = b"\x11" + chain(0, 0, [
        (0, 0xFFF0, 0x20, WRITE, 0)]) + walk(0)
    # The second region cannot be mapped: the first is given back.
    s["region-second-unmappable"] = b"\x01" + mem_table(
        [(0, 0x1000, QEMU_UVA, 0),
         (0x1000, GUEST, QEMU_UVA + 0x1000, 0x1000)])
    # No protocol features: rings are enabled when they start, and there
    # is no backend channel to tell of a config change.
    plain = mem_table([(0, GUEST, QEMU_UVA, 0)])
    for i in range(2):
        b = QEMU_UVA + ring_at(i)
        plain += state(SET_VRING_NUM, i, 16) + addr(i, b, b + 0x2000,
                                                    b + 0x1000)
        plain += u64(SET_VRING_CALL, i, nfds=1) + u64(SET_VRING_KICK, i,
                                                      nfds=1)
    s["no-protocol-features"] = (b"\x10" + msg(SET_OWNER) +
                                 u64(SET_FEATURES, 0x100000005) + plain +
                                 tx + walk(1, config=True) +
                                 msg(RESET_OWNER) + walk(1))
    return s


VHOST_PAYLOAD_MAX = 12 + 256


# ---- fuzz-vq ------------------------------------------------------------

def vq_head(regions):
    """Byte 0 and the regions: (host offset, size, guest page)."""
    out = bytes([len(regions) - 1])
    for at, size, page in regions:
        out += struct.pack("<HHI", at, size, page)
    return out


def vq_num(n):
    return n.bit_length() - 1 if n and n & (n - 1) == 0 else 0xF0 + n


def vq_start(num, desc, avail, used, base=0):
    """desc, avail, used: (region selector, offset)."""
    out = bytes([0, vq_num(num)])
    for sel, off in (desc, avail, used):
        out += struct.pack("<BH", sel, off)
    return out + struct.pack("<H", base)


def vq_pop(n=1, mutate=None):
    out = bytes([3 | (((n - 1) & 15) << 3) | (0x80 if mutate else 0)])
    for at, data in mutate or []:
        out += struct.pack("<HB", at, len(data)) + data
    return out


def vq_at(sel, off, length, uva=False):
    return bytes([4, sel | (0x80 if uva else 0)]) + struct.pack(
        "<HH", off + 0x100, length)


def vq_avail(idx):
    return bytes([5]) + struct.pack("<H", idx)


def vq_push(head, length):
    return bytes([6]) + struct.pack("<HI", head, length)


def vq_chain(head, descs, adv=0, jump=0):
    return chain_record(2, head, descs, adv, jump)


def vq_wait():
    return bytes([7])


def vq_seeds():
    s = {}
    one = vq_head([(0, 0, 0x100)])          # all 64 KiB at gpa 0x100000
    # Rings at 0x0000 (desc), 0x1000 (avail), 0x2000 (used), 16 entries.
    ring16 = vq_start(16, (0, 0), (0, 0x1000), (0, 0x2000))
    s["one-good"] = one + ring16 + vq_chain(0, [(0, 0x4000, 32, 0, 0)]) + \
        vq_pop() + vq_wait()
    s["several"] = one + ring16 + vq_chain(2, [
        (0, 0x4000, 8, NEXT, 3), (0, 0x4100, 8, NEXT, 4),
        (0, 0x5000, 64, WRITE | NEXT, 5), (0, 0x5100, 64, WRITE, 0)]) + \
        vq_chain(7, [(0, 0x6000, 1, 0, 0)]) + vq_pop(4)
    # Two regions whose guest addresses meet at 0x10000 but whose
    # places are apart: one buffer, two pieces.
    two = vq_head([(0x8000, 0x8000, 0x100), (0x0000, 0x4000, 0x108)])
    s["crossing"] = two + vq_start(16, (1, 0x1000), (1, 0x2000),
                                   (1, 0x3000)) + \
        vq_chain(0, [(0, 0x7ff0, 0x20, 0, 0)]) + \
        vq_chain(1, [(0, 0x7ffc, 0x8, WRITE, 0)]) + vq_pop(2)
    three = vq_head([(0x0000, 0x1000, 0x10), (0x8000, 0x1000, 0x11),
                     (0x4000, 0x4000, 0x40)])
    s["three-regions"] = three + vq_start(64, (2, 0), (2, 0x400),
                                          (2, 0x800)) + \
        vq_chain(0, [(0, 0xff0, 0x1010, 0, 0)]) + vq_pop() + \
        vq_at(0, 0xff0, 0x20) + vq_at(1, 0, 0x1000) + vq_at(2, 0, 0x4001) + \
        vq_at(2, 0, 0x10, uva=True) + vq_at(0, 0, 0x10)
    s["loop"] = one + ring16 + vq_chain(0, [(0, 0x4000, 4, NEXT, 1),
                                            (0, 0x4000, 4, NEXT, 0)]) + \
        vq_pop(2) + vq_wait()
    s["outside"] = one + ring16 + vq_chain(0, [(0, 0xfff0, 0x20, 0, 0)]) + \
        vq_pop()
    s["read-after-write"] = one + ring16 + vq_chain(0, [
        (0, 0x5000, 8, WRITE | NEXT, 1), (0, 0x4000, 8, 0, 0)]) + vq_pop()
    s["indirect"] = one + ring16 + vq_chain(0, [(0, 0x4000, 16,
                                                 INDIRECT, 0)]) + vq_pop()
    s["head-out-of-range"] = one + ring16 + vq_chain(0xF3, [
        (0, 0x4000, 4, 0, 0)]) + vq_pop()
    s["avail-jump"] = one + ring16 + vq_avail(17) + vq_wait() + vq_pop()
    s["avail-wraps"] = one + vq_start(16, (0, 0), (0, 0x1000), (0, 0x2000),
                                      base=0xfffe) + \
        vq_avail(0xfffe) + vq_chain(0, [(0, 0x4000, 4, 0, 0)]) + \
        vq_chain(1, [(0, 0x4000, 4, 0, 0)]) + \
        vq_chain(2, [(0, 0x4000, 4, 0, 0)]) + vq_pop(3)
    s["misaligned"] = one + vq_start(16, (0, 8), (0, 0x1001), (0, 0x2002))
    s["ring-partly-outside"] = one + vq_start(256, (0, 0xf800), (0, 0x1000),
                                              (0, 0x2000))
    s["ring-gpa-not-uva"] = one + vq_start(16, (0xf0, 0), (0xf0, 0x1000),
                                           (0xf0, 0x2000))
    s["sizes"] = one + b"".join(
        bytes([0, n]) + struct.pack("<BHBHBHH", 0, 0, 0, 0x1000, 0, 0x2000, 0)
        for n in (0xF0, 0xF3, 0x0F, 0x10, 0x0E))
    # The region one byte into the buffer: aligned addresses, misaligned
    # pointers.
    s["host-misaligned"] = vq_head([(1, 0, 0x100)]) + ring16 + \
        vq_chain(0, [(0, 0x4000, 4, 0, 0)]) + vq_pop()
    s["mutate-mid-walk"] = one + ring16 + vq_chain(0, [
        (0, 0x4000, 4, 0, 0)]) + vq_chain(1, [(0, 0x4000, 4, 0, 0)]) + \
        vq_pop(2, mutate=[(0x10, struct.pack("<QIHH", 0x100000 + 0x4000,
                                             4, NEXT, 1))]) + vq_pop()
    s["push-raw"] = one + ring16 + vq_push(0xffff, 0xffffffff) + \
        vq_push(3, 0) + vq_pop()
    s["used-over-desc"] = one + vq_start(16, (0, 0), (0, 0x1000), (0, 0)) + \
        vq_chain(0, [(0, 0x4000, 4, 0, 0)]) + vq_pop(4)
    table = b"".join(struct.pack("<QIHH", 0x100000 + 0x4000 + i, 1,
                                 NEXT if i < 64 else 0, i + 1)
                     for i in range(65))
    s["pieces-65"] = one + vq_start(128, (0, 0), (0, 0x1000), (0, 0x2000)) + \
        poke(0, table) + poke(0x1000, b"\0\0\x01\0\0\0") + vq_pop()
    return s


# ---- fuzz-vcons records ---------------------------------------------------

VC_CTL, VC_NEXT, VC_OPEN, VC_RESIZE, VC_ACK, VC_RESET, VC_PORT, VC_CONFIG = \
    range(8)
DEVICE_READY, PORT_ADD, PORT_REMOVE, PORT_READY = 0, 1, 2, 3
CONSOLE_PORT, RESIZE, PORT_OPEN, PORT_NAME = 4, 5, 6, 7
NAME_CHARS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
    b"0123456789._-"


def vc_ctl(port, event, value):
    """A well-formed driver message (port 0xff: BAD_ID)."""
    return bytes([VC_CTL | 8, port, event, value])


def vc_raw(data):
    assert len(data) < 16
    return bytes([VC_CTL | len(data) << 4]) + data


def vc_next(n=16):
    return bytes([VC_NEXT | (n - 1) << 3])


def vc_open(port, on=True):
    return bytes([VC_OPEN | (8 if on else 0), port])


def vc_resize(port, cols, rows):
    return bytes([VC_RESIZE, port]) + struct.pack("<HH", cols, rows)


def vc_ack(multiport=True, size=True):
    return bytes([VC_ACK | (8 if multiport else 0) | (16 if size else 0)])


def vc_port(port, name, console=False):
    idx = bytes(NAME_CHARS.index(c) for c in name.encode())
    return bytes([VC_PORT | (8 if console else 0), port, len(idx)]) + idx


def vc_config(off, length, data=None):
    if data is None:
        return bytes([VC_CONFIG, off, length])
    return bytes([VC_CONFIG | 8, off, length]) + data


def vcons_seeds():
    """The device as the daemon fills it, and the Linux driver's side of
    the handshake (drivers/char/virtio_console.c), then what else a
    driver could say."""
    s = {}
    three = bytes([2]) + vc_port(0, "vm1", True) + \
        vc_port(1, "vm1-b", True) + vc_port(2, "org.ttyhub.log") + \
        vc_open(0) + vc_open(1) + vc_open(2) + vc_resize(0, 100, 30) + \
        vc_resize(1, 90, 20) + vc_ack()
    linux = vc_ctl(0xff, DEVICE_READY, 1) + vc_next() + \
        b"".join(vc_ctl(p, PORT_READY, 1) + vc_next() for p in range(3)) + \
        vc_ctl(0, PORT_OPEN, 1) + vc_ctl(1, PORT_OPEN, 1)
    s["handshake-three-ports"] = three + linux
    s["handshake-legacy"] = bytes([0x12]) + three[1:] + linux + \
        vc_resize(1, 132, 43) + vc_next()
    s["port-reopened"] = three + linux + vc_ctl(2, PORT_OPEN, 1) + \
        vc_ctl(2, PORT_OPEN, 0) + vc_open(2, False) + vc_next() + \
        vc_ctl(2, PORT_OPEN, 1) + vc_open(2) + vc_next()
    s["driver-again"] = three + linux + vc_ctl(0xff, DEVICE_READY, 1) + \
        vc_next(4) + vc_ctl(1, PORT_READY, 1) + vc_next() + \
        vc_ctl(0xff, DEVICE_READY, 0) + vc_next()
    s["resize-storm"] = three + linux + b"".join(
        vc_resize(i % 3, 80 + i, 24 + i) for i in range(40)) + vc_next()
    s["no-multiport"] = bytes([2]) + vc_ack(False, True) + linux + \
        vc_config(0, 12)
    s["refused"] = three + vc_ctl(1, PORT_READY, 1) + linux + b"".join(
        vc_ctl(p, e, v) for p, e, v in ((1, PORT_ADD, 1), (1, RESIZE, 0),
                                        (1, CONSOLE_PORT, 1), (1, 8, 1),
                                        (3, PORT_READY, 1), (4, PORT_OPEN, 1),
                                        (1, PORT_OPEN, 2))) + \
        vc_raw(b"\x01\0\0\0\x06\0\x01") + \
        vc_raw(b"\x01\0\0\0\x06\0\x01\0\0") + vc_next()
    s["sixteen-ports"] = bytes([15]) + b"".join(
        vc_port(p, "p%d" % p, p % 2 == 0) + vc_open(p) for p in range(16)) + \
        vc_ack() + vc_ctl(0xff, DEVICE_READY, 1) + vc_next(16) + \
        b"".join(vc_ctl(p, PORT_READY, 1) for p in range(16)) + \
        vc_next(16) + vc_next(16) + vc_next(16) + vc_next(16)
    s["config-emergency"] = bytes([0]) + vc_config(8, 4, b"E\0\0\0") + \
        vc_config(0, 12, bytes(8) + b"F\0\0\0") + vc_config(4, 4) + \
        vc_config(9, 3, b"\0\0\0")
    return s


def write(dirname, seeds):
    os.makedirs(dirname, exist_ok=True)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(dirname, name), "wb") as f:
            f.write(data)


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    write(os.path.join(top, "vhost-seeds"), vhost_seeds())
    write(os.path.join(top, "vq-seeds"), vq_seeds())
    write(os.path.join(top, "vcons-seeds"), vcons_seeds())


if __name__ == "__main__":
    main()
