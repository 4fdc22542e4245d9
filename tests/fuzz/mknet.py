#!/usr/bin/python3
"""Write the seed corpus of fuzz-net (tests/fuzz/net-seeds/): switch
conversations (learning, a stalled port, a port removed and its number
reused, ageing, a full table, hub mode) and framed streams (good frames,
lengths 0, 13 and too long, text).  The input format is in the header
comment of tests/fuzz/fuzz-net.c; the seeds are checked in, and this
script writes them again:

    mknet.py [DIR]        (default: net-seeds beside this script)
"""
import os
import struct
import sys

ADD, DEL, IN, SEND, DGRAM, READY, AGE, STORM = range(8)
# Address selectors: 0-9 unicast 02:00:00:00:00:0N, then these.
BCAST, MCAST4, MCAST6, ZERO = 10, 11, 12, 13


def cfg(fmax=0, split=0, hub=False, k=0, seed=7):
    """Byte 0 (bits: largest frame, split, hub, conf set) and byte 1."""
    return bytes([fmax | split << 2 | (0x20 if hub else 0) | k << 6, seed])


def add(n=1):
    return bytes([ADD]) * n


def inp(port, dst, src, ms=1, size=None, small=46):
    if size is None:
        return bytes([IN, port, small & 0x3F, dst, src, ms])
    return bytes([IN, port, 0x80 | (size >> 16)]) + \
        struct.pack(">H", size - (size >> 16)) + bytes([dst, src, ms])


def send(port, n):
    return bytes([SEND, port]) + struct.pack(">H", n)


def dgram(port, sent=1):
    return bytes([DGRAM, port, sent])


def age(units):
    return bytes([AGE]) + struct.pack(">H", units)


def storm(port, n):
    return bytes([STORM, port, n])


def frames(*lens):
    out = b""
    for n in lens:
        out += struct.pack(">I", n) + bytes((i * 7) & 0xFF for i in range(n))
    return out


SEEDS = {
    "learning": cfg() + add(3) + inp(0, 1, 0) + bytes([READY]) +
    inp(1, 0, 1) + inp(0, 1, 0) + inp(0, BCAST, 0) + inp(1, MCAST4, 1) +
    inp(2, 2, 2) + bytes([READY]) + send(1, 200) + dgram(2) + dgram(0, 0),
    "moved": cfg() + add(3) + inp(0, BCAST, 1) + inp(2, BCAST, 1) +
    inp(1, 1, 0) + bytes([READY]),
    "stalled": cfg(k=3) + add(3) + storm(0, 31) + send(1, 0xFFFF) +
    storm(0, 31) + bytes([READY]) + send(1, 5000),
    "reuse": cfg() + add(3) + inp(1, BCAST, 1) + inp(0, 1, 0) + bytes([READY])
    + bytes([DEL, 1]) + bytes([READY]) + add() + inp(0, 1, 0) +
    bytes([READY]) + add(6) + bytes([DEL, 4, DEL, 8]) + add(),
    "ageing": cfg(k=2) + add(2) + inp(0, BCAST, 0) + inp(1, 0, 1, ms=200) +
    age(15) + inp(1, 0, 1) + age(20) + inp(1, 0, 1),
    "never-ages": cfg(k=1) + add(2) + inp(0, BCAST, 0) + age(0xFFFF) +
    inp(1, 0, 1),
    "table-full": cfg(k=1) + add(4) + inp(0, BCAST, 0) + inp(1, BCAST, 1) +
    inp(2, 0, 2) + inp(3, 1, 3),
    "hub": cfg(hub=True) + add(3) + inp(0, BCAST, 0) + inp(1, 0, 1) +
    inp(0, 0, 0) + bytes([READY]),
    "group-sources": cfg() + add(2) + inp(0, 1, BCAST) + inp(0, 1, MCAST6) +
    inp(0, 1, ZERO) + inp(1, 0, 1),
    "sizes": cfg(fmax=1) + add(2) + inp(0, BCAST, 0, size=82) +
    inp(0, BCAST, 0, size=83) + inp(0, BCAST, 0, size=13) +
    inp(0, BCAST, 0, size=0) + inp(9, BCAST, 0) + dgram(1) + dgram(1),
    "jumbo": cfg(fmax=3) + add(2) + inp(0, BCAST, 0, size=65536) +
    send(1, 30000) + send(1, 0xFFFF),
    "partial-then-dgram": cfg(k=2) + add(2) + storm(0, 5) + send(1, 1) +
    dgram(1) + send(1, 1006) + dgram(1, 0),
    "stream-good": cfg(split=3) + frames(14, 60, 1518, 64),
    "stream-zero": cfg(split=1) + frames(60) + struct.pack(">I", 0) +
    b"\xaa" * 20,
    "stream-runt": cfg(split=2) + frames(20) + struct.pack(">I", 13) +
    b"\xaa" * 20,
    "stream-long": cfg() + frames(1518) + struct.pack(">I", 1519) +
    b"\xaa" * 20,
    "stream-huge": cfg(fmax=3) + frames(100) + b"\xff\xff\xff\xff",
    "stream-text": cfg() + b"hello, are you QEMU?\r\n",
    "stream-cut": cfg(split=5) + frames(60, 61)[:-10],
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "net-seeds")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
