"""Consoles of a real QEMU guest: ttyhubd on the host attaches to the
guest's ttyS0 and virtconsole (hvc0) chardev sockets, as a user would
configure it for `-chardev socket,server=on,wait=off`.  Several clients
share a console, a late one gets the boot output by replay, and the
guest's restart is lived through: clients stay, are told, and output
resumes; the log holds everything."""
import os
import time

import pytest

from telnetc import Telnet
import guestrig
from ttyhubtest import Hub, ROOT, SAN_MARKERS, free_port, wait_file, wait_for

MARKER = guestrig.READY_MARKER.encode()


def test_guest_consoles_shared_replayed_logged_across_a_restart(make_guest,
                                                               tmp_path):
    binary = os.path.join(ROOT, "build", "ttyhubd")
    if not os.access(binary, os.X_OK):
        pytest.fail("build/ttyhubd is missing: run make check")
    g = make_guest(start=False, virtconsole=True, forwards={})
    g.reuse_dir = True
    g.start(wait=False)
    s0_port, h0_port = free_port(), free_port()
    s0_unix = str(tmp_path / "s0.sock")
    s0_log, h0_log = tmp_path / "ttyS0.log", tmp_path / "hvc0.log"
    conf = """[console ttyS0]
type = unix
path = %s
telnet = 127.0.0.1:%d
unix = %s
log = %s

[console hvc0]
type = unix
path = %s
telnet = 127.0.0.1:%d
log = %s
""" % (g.sock("ttyS0"), s0_port, s0_unix, s0_log,
       g.sock("hvc0"), h0_port, h0_log)
    hub = Hub(binary, conf, tmp_path)
    try:
        # Boot with nobody attached: the ready marker only goes to the
        # ring and the log.
        wait_for(lambda: MARKER in s0_log.read_bytes(), 60, "guest boot")
        wait_for(lambda: MARKER in h0_log.read_bytes(), 10, "hvc0 marker")

        # Two Telnet clients and a unix-socket client: replay first.
        t1, t2 = Telnet(s0_port), Telnet(s0_port)
        u = Telnet(path=s0_unix)
        for c in (t1, t2, u):
            c.expect(MARKER, timeout=10)
        t1.expect(b"/# ", timeout=20)          # the shell is reading
        t1.send(b"echo shared-$((6*7))\r")
        for c in (t1, t2, u):
            c.expect(b"shared-42", timeout=20)
        h = Telnet(h0_port)
        h.expect(MARKER, timeout=10)
        h.expect(b"/# ", timeout=20)
        h.send(b"echo virtio-$((40+2))\r")
        h.expect(b"virtio-42", timeout=20)

        # QEMU killed: clients stay and are told.
        g.stop()
        for c in (t1, t2, u, h):
            c.expect(b"backend down", timeout=10)
        assert not (t1.closed or t2.closed or u.closed or h.closed)

        # Started again on the same sockets: reattached, output resumes.
        # QEMU killed leaves its socket files behind; the new ones are
        # new files.  Reattaching is timed from when they appear.
        def inode(path):
            try:
                return os.stat(path).st_ino
            except FileNotFoundError:
                return None
        old = {p: inode(p) for p in (g.sock("ttyS0"), g.sock("hvc0"))}
        g.start(wait=False)
        wait_for(lambda: all(inode(p) not in (None, i)
                             for p, i in old.items()), 60,
                 "QEMU's new console sockets")
        t0 = time.monotonic()
        for c in (t1, t2, u, h):
            c.expect(b"backend up]", timeout=20)
        reattach = time.monotonic() - t0
        for c in (t1, u):
            wait_for(lambda: c.pump(0.1) and c.data.count(MARKER) >= 2, 60,
                     "second boot's marker")
        wait_for(lambda: t1.pump(0.1) and
                 b"/# " in t1.data[t1.data.rindex(MARKER):], 20,
                 "the second boot's prompt")
        t1.send(b"echo again-$((2*3))\r")
        for c in (t1, t2, u):
            c.expect(b"again-6", timeout=20)
        print("reattached %.2f s after QEMU started again" % reattach)
        assert reattach < 5

        # Our log and QEMU's may be read while the guest's last output
        # (the prompt after again-6) is still on its way to either: wait
        # for ours to hold what it must, then for it to hold the first
        # 200 bytes of QEMU's record of the second life.
        log = wait_file(s0_log, lambda b: all(
            n in b for n in (b"shared-42", b"again-6", b"backend down",
                             b"backend up")))
        assert log.count(MARKER) >= 2
        for needle in (b"shared-42", b"again-6", b"backend down",
                       b"backend up"):
            assert needle in log, needle
        assert b"virtio-42" in wait_file(h0_log, b"virtio-42")
        # Everything the guest printed on ttyS0 in its second life is in
        # our log: QEMU's own logfile of the chardev holds the same bytes.
        qemu_log = wait_file(g.logpath("ttyS0"), lambda b: MARKER in b and
                             b"again-6" in b[b.index(MARKER):])
        tail = qemu_log[qemu_log.index(MARKER):]
        log = wait_file(s0_log, tail[:200])
        assert tail[:200] in log
    finally:
        out = hub.stop()
        for m in SAN_MARKERS:
            assert m not in out, out


def test_guest_serial_behind_qemus_telnet_server(make_guest, tmp_path):
    """QEMU's own Telnet server (-chardev socket,telnet=on) as a backend
    that speaks Telnet: ttyhubd decodes it, and a client sees clean
    output and reaches the shell."""
    binary = os.path.join(ROOT, "build", "ttyhubd")
    g = make_guest(start=False, telnet_serial=True, forwards={})
    g.start(wait=False)
    port = free_port()
    log = tmp_path / "ttyS1.log"
    hub = Hub(binary, """[console s1]
type = tcp
address = 127.0.0.1:%d
telnet = yes
telnet = 127.0.0.1:%d
log = %s
""" % (g.telnet_port, port, log), tmp_path)
    try:
        wait_for(lambda: log.exists() and MARKER in log.read_bytes(), 60,
                 "ttyS1's ready marker through QEMU's Telnet server")
        c = Telnet(port)
        c.expect(MARKER, timeout=10)
        # Typed before the shell's line editor starts, a key is lost
        # (it flushes its input): wait for the prompt.
        c.expect(b"/# ", timeout=20)
        c.send(b"echo over-telnet-$((5*5))\r")
        c.expect(b"over-telnet-25", timeout=20)
        # Nothing of QEMU's negotiation leaked into the output or the log.
        assert b"\xff" not in c.data
        assert b"\xff" not in wait_file(log, b"over-telnet-25")
    finally:
        out = hub.stop()
        for m in SAN_MARKERS:
            assert m not in out, out
