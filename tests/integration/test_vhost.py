"""vhost-user consoles: ttyhubd listens on a unix socket and serves one
vhost-user frontend at a time as a single-port virtio-console device.
The frontend is tests/vhostfront.py, written from the vhost-user spec: it
plays QEMU's message sequence and the Linux driver's side of the rings.
Clients are what users run: socat on raw listeners, the byte-exact Telnet
client (tests/telnetc.py) where NAWS matters.

What is checked: bytes both ways, exactly; window size through config
space and CONFIG_CHANGE_MSG; emergency writes; frontends leaving and
coming back; GET_VRING_BASE stop and restart; input held until the guest
posts buffers; and hostile frontends (malformed messages, bad memory
tables and rings, bad descriptor chains, abused fds), after each of
which the daemon must be alive, must not have leaked a descriptor, and
must serve a good frontend.  The hub fixture fails a test whose daemon
printed a sanitizer report.

Every wait is bounded; the only processes signalled are the daemon this
test started (through the fixture) and socat processes it started."""
import fcntl
import os
import resource
import socket
import struct
import time

import pytest

from ttyhubtest import console_section, cpu_seconds, free_port, wait_for
from telnetc import NAWS, Telnet
import vhostfront as vf
from vhostfront import (RX_Q, TX_Q, BackendGone, Frontend, ProtocolError,
                        Timeout)

ALL_BYTES = bytes(range(256))
DOWN = b"[ttyhub: vm1: backend down"
UP = b"[ttyhub: vm1: backend up]"
# rings a frontend may set up: a console of 16 ports (src/vhost/vhost.h)
RINGS_MAX = 34


def vhost_console(path, raw=None, telnet=None, extra="", name="vm1"):
    return console_section(name, "vhost-user", path=path, raw=raw or None,
                           telnet=telnet or None, extra=extra)


def start_hub(hub, tmp_path, extra="", telnet=False):
    """A daemon with console vm1; returns (hub, socket path, raw port,
    telnet port or None)."""
    path = str(tmp_path / "vm1.vhost")
    raw = free_port()
    tport = free_port() if telnet else None
    h = hub(vhost_console(path, raw=raw, telnet=tport, extra=extra))
    deadline = time.monotonic() + 10
    while not os.path.exists(path):
        assert time.monotonic() < deadline, "no socket at %s" % path
        time.sleep(0.02)
    return h, path, raw, tport


def tcp_in_flight(port):
    """Bytes queued in the kernel on both ends of the loopback TCP
    connections to port (sent, not yet read)."""
    total = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote, st = fields[1], fields[2], fields[3]
            if st != "01" or port not in (int(local.split(":")[1], 16),
                                          int(remote.split(":")[1], 16)):
                continue
            txq, rxq = fields[4].split(":")
            total += int(txq, 16) + int(rxq, 16)
    return total


def read_until(fe, needle, timeout=10):
    """Guest input until needle is in it (earlier input may precede)."""
    got = bytearray()
    deadline = time.monotonic() + timeout
    while needle not in got:
        left = deadline - time.monotonic()
        assert left > 0, "guest never got %r; got %r" % (needle, bytes(got))
        got += fe.read(len(needle), timeout=min(left, 0.5))
    return bytes(got)


def connect_frontend(make, path, timeout=10, **kw):
    """A working frontend, retrying while the daemon is still letting go
    of the previous one."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return make(path, reply_timeout=2, connect_timeout=5, **kw)
        except (BackendGone, Timeout):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def frontend():
    """Factory: frontend(path, **kw) -> vhostfront.Frontend; all are
    closed at the end of the test, before the daemon stops."""
    made = []

    def make(path, **kw):
        fe = Frontend(path, **kw)
        made.append(fe)
        return fe

    yield make
    for fe in made:
        fe.close()


# ------------------------------------------------------------- basics


def test_negotiation_and_initial_config(hub, frontend, tmp_path):
    """What the backend offers, and config space before DRIVER_OK."""
    h, path, raw, _ = start_hub(hub, tmp_path, extra="size = 100x30")
    fe = frontend(path, start=False)
    f = fe.features
    assert f & vf.VIRTIO_F_VERSION_1
    assert f & vf.VHOST_USER_F_PROTOCOL_FEATURES
    assert f & vf.VIRTIO_CONSOLE_F_SIZE
    assert f & vf.VIRTIO_CONSOLE_F_EMERG_WRITE
    for bit in (vf.VIRTIO_CONSOLE_F_MULTIPORT, vf.VIRTIO_F_RING_EVENT_IDX,
                vf.VIRTIO_F_RING_INDIRECT_DESC):
        assert not f & bit, hex(f)
    for bit in (vf.PROTOCOL_F_MQ, vf.PROTOCOL_F_REPLY_ACK,
                vf.PROTOCOL_F_BACKEND_REQ, vf.PROTOCOL_F_CONFIG):
        assert fe.protocol_offered & bit, hex(fe.protocol_offered)
    # Room for a frontend that makes MULTIPORT's rings (num_vqs=4) and
    # more; the guest uses 2 (test_frontend_with_more_rings...).
    assert fe.queue_num == RINGS_MAX
    assert fe.config() == (100, 30, 1, 0)
    # UML reads partial config (offset 0, 2 then 4 bytes).
    p = fe.config_raw(0, 2)
    assert p == vf.CONFIG_HDR.pack(0, 2, 0) + struct.pack("<H", 100)
    p = fe.config_raw(2, 2)
    assert p == vf.CONFIG_HDR.pack(2, 2, 0) + struct.pack("<H", 30)
    fe.start()
    fe.write(b"up\r\n")
    assert h.proc.poll() is None
    assert not fe.errors, fe.errors


@pytest.mark.parametrize("need_reply", [True, False],
                         ids=["need-reply", "no-reply"])
def test_bytes_both_ways(hub, socat, frontend, tmp_path, need_reply):
    """Guest output in chains across regions reaches a raw client byte
    for byte; client input reaches the guest byte for byte, across
    small and chained rx buffers."""
    h, path, raw, _ = start_hub(hub, tmp_path, extra="notices = no")
    c = socat("TCP:127.0.0.1:%d" % raw)
    fe = frontend(path, need_reply=need_reply)
    h.wait_attached("vm1")      # what follows is live output
    out = ALL_BYTES * 24 + bytes((i * 7 + 3) & 255 for i in range(3001))
    out += b"\r\nend of output\r\n"
    fe.write(out, chunk=500, split=3)
    fe.write(b"single", split=1)
    fe.write(b"\x00\xff\r\n" * 20, chunk=3, split=3)
    want = out + b"single" + b"\x00\xff\r\n" * 20
    at = c.expect(want)
    c.pump(0.3)
    assert bytes(c.data[at:]) == want
    assert fe.vqs[TX_Q].calls > 0, "tx buffers came back without a call"
    c.send(b"typed\r" + ALL_BYTES)
    assert fe.read(262) == b"typed\r" + ALL_BYTES
    big = bytes((i * 31 + 7) & 255 for i in range(20000))
    c.send(big)
    assert fe.read(len(big), timeout=15) == big
    assert fe.read(1, timeout=0.3) == b""       # nothing extra
    assert not fe.errors, fe.errors


def test_frontend_with_more_rings_than_the_guest_uses(hub, socat, frontend,
                                                     tmp_path):
    """vhost-device-console's instructions make QEMU's generic device
    with num_vqs=4 (MULTIPORT's rings) for one console.  QEMU then sets a
    call and an err fd on rings 2 and 3 at realize, and GET_QUEUE_NUM
    must allow 4; the guest, without MULTIPORT, uses rings 0 and 1."""
    h, path, raw, _ = start_hub(hub, tmp_path, extra="notices = no")
    c = socat("TCP:127.0.0.1:%d" % raw)
    fe = frontend(path, start=False)
    assert fe.queue_num >= 4
    fds = [os.eventfd(0, os.EFD_NONBLOCK) for _ in range(4)]
    try:
        for n in (2, 3):
            fe.set(vf.SET_VRING_CALL, vf.U64.pack(n), [fds[2 * n - 4]],
                   need_reply=True)
            fe.set(vf.SET_VRING_ERR, vf.U64.pack(n), [fds[2 * n - 3]],
                   need_reply=True)
    finally:
        for fd in fds:
            os.close(fd)
    fe.start()
    h.wait_attached("vm1")
    fe.write(b"four rings, two used\r\n")
    c.expect(b"four rings, two used\r\n")
    c.send(b"typed\r")
    assert fe.read(6) == b"typed\r"
    assert not fe.errors, fe.errors


def test_output_without_clients_never_stalls_the_guest(hub, socat, frontend,
                                                      tmp_path):
    """TX buffers come back promptly with nobody attached, with the call
    eventfd and with interrupts suppressed (polling); what was printed is
    replayed to a client that attaches later."""
    h, path, raw, _ = start_hub(hub, tmp_path)
    fe = frontend(path)
    t0 = time.monotonic()
    fe.write(b"x" * 200000 + b"\r\ntail-1\r\n", kick_each=True, timeout=20)
    fe.vqs[TX_Q].set_no_interrupt(True)
    fe.write(b"y" * 100000 + b"\r\ntail-2\r\n", timeout=20)
    assert time.monotonic() - t0 < 20
    c = socat("TCP:127.0.0.1:%d" % raw)
    c.expect(b"y" * 1000 + b"\r\ntail-2\r\n")


def test_kicks_skipped_while_the_device_polls_lose_nothing(
        hub, socat, frontend, tmp_path):
    """A driver that kicks as Linux's does: only when the device has not
    set NO_NOTIFY in the used ring (virtqueue_kick_prepare).  ttyhubd sets
    it while it polls a transmit ring after bulk output; buffers added
    meanwhile get no kick and must still be taken, also one added just
    as the device stops polling (it looks again once the flag is off).
    In rounds: every chain laid out first, then published one after the
    other as fast as we can, so that some land while the device polls.
    Every byte reaches the client in order, no buffer is left waiting,
    and the flag is off when the device is idle."""
    h, path, raw, _ = start_hub(hub, tmp_path, extra="notices = no")
    c = socat("TCP:127.0.0.1:%d" % raw)
    fe = frontend(path)
    h.wait_attached("vm1")
    vq = fe.vqs[TX_Q]
    want = bytearray()
    skipped = 0
    for rnd in range(40):
        heads = []
        for i in range(vq.num // 2):
            piece = b"%02d.%02d:" % (rnd, i) + bytes(
                (rnd + i + k) & 255 for k in range(1100))
            want += piece
            heads.append(vq.add([("r", piece[:600]), ("r", piece[600:])]))
        for head in heads:
            vq.publish(head)
            if vq.used_flags() & vf.USED_F_NO_NOTIFY:
                skipped += 1
            else:
                vq.notify(force=True)
        deadline = time.monotonic() + 10
        while vq.chains:
            assert time.monotonic() < deadline, \
                "round %d: %d buffers not taken (%d kicks skipped)" % (
                    rnd, len(vq.chains), skipped)
            vq.harvest()
        vq.take_call()
    at = c.expect(bytes(want), timeout=20)
    assert bytes(c.data[at:at + len(want)]) == bytes(want)
    # The bytes reach the client before the device's last watch of the
    # ring ends (200 us at most, longer if it is preempted meanwhile):
    # idle is when the flag goes off.
    wait_for(lambda: vq.used_flags() & vf.USED_F_NO_NOTIFY == 0, 10,
             "the device to turn kicks back on")
    assert not fe.errors, fe.errors
    print("kicks skipped: %d of %d" % (skipped, 40 * (vq.num // 2)))


def test_window_size_from_telnet_naws(hub, frontend, tmp_path):
    """size = sets the first config; a writer's NAWS changes cols/rows
    in config space and sends CONFIG_CHANGE_MSG on the backend channel."""
    h, path, _, tport = start_hub(hub, tmp_path, extra="size = 100x30",
                                  telnet=True)
    fe = frontend(path)
    assert fe.config()[:3] == (100, 30, 1)
    n = fe.config_changes
    t = Telnet(tport, agree={NAWS}, naws=(132, 43))
    wait_for(lambda: fe.config_changes > n and fe.config()[:2] == (132, 43),
             10, "CONFIG_CHANGE_MSG and config 132x43 after NAWS", [t])
    assert fe.config()[:3] == (132, 43, 1)
    n = fe.config_changes
    t.send_naws(90, 20)
    wait_for(lambda: fe.config_changes > n and fe.config()[:2] == (90, 20),
             10, "CONFIG_CHANGE_MSG and config 90x20 after NAWS", [t])
    # Output still flows, and the config change messages were well formed.
    fe.write(b"resized\r\n")
    t.expect(b"resized\r\n")
    assert not fe.errors, fe.errors
    assert all(m[0] == vf.BACKEND_CONFIG_CHANGE_MSG and m[2] == b""
               for m in fe.backend_msgs), fe.backend_msgs
    t.close()


def test_size_told_again_each_time_the_driver_starts(hub, frontend,
                                                     tmp_path):
    """Linux reads cols and rows only when told the config changed: the
    device tells it whenever the driver starts the rings, so a guest
    whose driver was reset (rmmod and insmod, a reboot on the same
    connection) does not see 0x0 until a writer resizes."""
    h, path, _, _ = start_hub(hub, tmp_path, extra="size = 100x30")
    fe = frontend(path)
    assert fe.wait_config_change(10), "no CONFIG_CHANGE_MSG at start"
    for _ in range(3):
        fe.reboot()
        assert fe.wait_config_change(10), \
            "no CONFIG_CHANGE_MSG after the driver started again"
        assert fe.config()[:2] == (100, 30)
    assert not fe.errors, fe.errors


def test_no_config_change_message_without_f_size(hub, frontend, tmp_path):
    """A guest that did not ack F_SIZE is not told about resizes."""
    h, path, _, tport = start_hub(hub, tmp_path, extra="size = 100x30",
                                  telnet=True)
    fe = frontend(path, ack=vf.VIRTIO_F_VERSION_1)
    assert not fe.acked & vf.VIRTIO_CONSOLE_F_SIZE
    t = Telnet(tport, agree={NAWS}, naws=(132, 43))
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        t.pump(0.05)
    assert ("us", NAWS) in t.options_on
    assert fe.config_changes == 0, fe.backend_msgs
    fe.write(b"still fine\r\n")
    t.expect(b"still fine\r\n")
    t.close()


def test_emergency_writes(hub, socat, frontend, tmp_path):
    """emerg_wr characters reach clients, before the rings exist and
    after; the same character twice is two characters; both QEMU's
    whole-config write and UML's 4-byte write count."""
    h, path, raw, _ = start_hub(hub, tmp_path, extra="notices = no")
    c = socat("TCP:127.0.0.1:%d" % raw)
    fe = frontend(path, start=False)
    h.wait_attached("vm1")
    fe.emerg_write("E")
    fe.emerg_write("E")
    fe.emerg_write("!", style="uml")
    fe.emerg_write("!", style="uml")
    at = c.expect(b"EE!!")
    fe.ack |= vf.VIRTIO_CONSOLE_F_EMERG_WRITE
    fe.start()
    fe.write(b"<ring>")
    c.expect(b"<ring>", start=at)
    fe.emerg_write("Z")
    fe.emerg_write("Z")
    fe.emerg_write(0xff)
    c.expect(b"<ring>ZZ\xff", start=at)
    c.pump(0.3)
    assert bytes(c.data[at:]) == b"EE!!<ring>ZZ\xff"
    # emerg_wr is write-only as far as output goes: reading config does
    # not print anything.
    fe.config()
    c.pump(0.3)
    assert bytes(c.data[at:]) == b"EE!!<ring>ZZ\xff"


# ------------------------------------------------------ frontend lifecycle


def test_frontend_away_and_back(hub, socat, frontend, tmp_path):
    """The frontend leaving is the backend going down: clients are told
    once and stay; the next frontend brings it up, output and input flow
    again.  Three times over, each with fresh guest memory."""
    h, path, raw, tport = start_hub(hub, tmp_path, telnet=True)
    c = socat("TCP:127.0.0.1:%d" % raw)
    t = Telnet(tport)
    fe = frontend(path)
    fe.write(b"before\r\n")
    c.expect(b"before\r\n")
    t.expect(b"before\r\n")
    for rnd in range(3):
        at_c, at_t = len(c.data), len(t.data)
        fe.close()
        c.expect(DOWN, start=at_c)
        wait_for(lambda: DOWN in t.data[at_t:], 10, "backend down", [t])
        assert not c.closed and c.proc.poll() is None
        t.pump(0.2)
        assert not t.closed
        fe = connect_frontend(frontend, path)
        c.expect(UP, start=at_c)
        wait_for(lambda: UP in t.data[at_t:], 10, "backend up", [t])
        # Told once per outage.
        assert t.data[at_t:].count(b"backend down") == 1
        msg = b"after %d\r\n" % rnd
        fe.write(msg)
        c.expect(msg, start=at_c)
        t.expect(msg)
        c.send(b"typed %d\n" % rnd)
        read_until(fe, b"typed %d\n" % rnd)
    assert h.proc.poll() is None


def test_reload_keeps_the_guest_and_a_changed_device_lets_it_go(
        hub, socat, frontend, tmp_path):
    """SIGHUP with the vhost-user console's section unchanged keeps the
    frontend's session (the guest is not disturbed); a changed section
    makes a new device: the old session ends, the socket is made again,
    and a frontend reconnecting (QEMU's reconnect=) is served."""
    h, path, raw, _ = start_hub(hub, tmp_path, extra="notices = no")
    c = socat("TCP:127.0.0.1:%d" % raw)
    fe = frontend(path)
    fe.write(b"before reload\r\n")
    c.expect(b"before reload\r\n")
    base = vhost_console(path, raw=raw, extra="notices = no")
    h.rewrite(base + "[console other]\ntype = pty\nlink = %s\n"
              % (tmp_path / "other.pty"))
    h.wait_output(" kept, ")
    fe.write(b"after reload\r\n")
    c.expect(b"after reload\r\n")
    c.send(b"typed\n")
    read_until(fe, b"typed\n")
    assert not fe.errors, fe.errors
    # Changed: size = differs.
    h.rewrite(vhost_console(path, raw=raw, extra="notices = no\n"
                            "size = 132x43"))
    deadline = time.monotonic() + 10
    while True:
        try:
            fe.sync()
        except (BackendGone, ProtocolError, Timeout, OSError):
            break
        assert time.monotonic() < deadline, "the old session lived on"
        time.sleep(0.05)
    fe.close()
    fe = connect_frontend(frontend, path)
    assert fe.config()[:2] == (132, 43)
    c = socat("TCP:127.0.0.1:%d" % raw)
    h.wait_attached("vm1", count=2)
    fe.write(b"new device\r\n")
    c.expect(b"new device\r\n")
    assert h.proc.poll() is None


def test_out_of_fds_the_device_socket_pauses_not_spins(hub, frontend,
                                                       tmp_path):
    """With the daemon at RLIMIT_NOFILE, a frontend waiting on the
    device's socket cannot be accepted: the socket is listener.c's, so it
    pauses a second at a time as every listener does, instead of waking
    the loop for ever; once fds are free a frontend is served."""
    h, path, raw, _ = start_hub(hub, tmp_path, extra="notices = no")
    resource.prlimit(h.pid, resource.RLIMIT_NOFILE, (64, 64))
    clients, waiting = [], []
    try:
        # From four addresses: one gets only max-clients-per-source.
        for i in range(100):
            clients.append(socket.create_connection(
                ("127.0.0.1", raw), 5, ("127.0.3.%d" % (i % 4 + 1), 0)))
        wait_for(lambda: "cannot accept" in h.output(), 10, "EMFILE")
        for _ in range(3):
            u = socket.socket(socket.AF_UNIX)
            u.connect(path)
            waiting.append(u)
        time.sleep(0.5)
        cpu0, t0 = cpu_seconds(h.pid), time.monotonic()
        time.sleep(1.5)
        cpu = cpu_seconds(h.pid) - cpu0
        assert cpu < 0.15, "daemon used %.2f s CPU in %.1f s at EMFILE" % (
            cpu, time.monotonic() - t0)
    finally:
        for c in clients + waiting:
            c.close()
    fe = connect_frontend(frontend, path)
    fe.write(b"served\r\n")
    c = socket.create_connection(("127.0.0.1", raw), 5)
    try:
        fe.write(b"after\r\n")
        got = b""
        deadline = time.monotonic() + 10
        while b"after\r\n" not in got and time.monotonic() < deadline:
            c.settimeout(0.5)
            try:
                got += c.recv(4096)
            except socket.timeout:
                pass
        assert b"after\r\n" in got
    finally:
        c.close()
    assert h.proc.poll() is None


def test_second_frontend_does_not_displace_the_first(hub, socat, frontend,
                                                     tmp_path):
    """One frontend at a time: a second connection gets no service and
    the first keeps working; once the first leaves, a new one attaches."""
    h, path, raw, _ = start_hub(hub, tmp_path)
    c = socat("TCP:127.0.0.1:%d" % raw)
    fe1 = frontend(path)
    fe1.write(b"first\r\n")
    c.expect(b"first\r\n")
    served = False
    try:
        frontend(path, connect_timeout=1, reply_timeout=1.5)
        served = True
    except ProtocolError:
        pass
    assert not served, "a second frontend was served alongside the first"
    fe1.write(b"first still\r\n")
    c.expect(b"first still\r\n")
    c.send(b"to first\n")
    read_until(fe1, b"to first\n")
    fe1.close()
    fe3 = connect_frontend(frontend, path)
    fe3.write(b"third\r\n")
    c.expect(b"third\r\n")
    assert h.proc.poll() is None


def test_second_frontends_refused_cannot_flood_the_log(hub, frontend,
                                                       tmp_path):
    """50 connections while a frontend is served, each refused: the
    daemon says so 10 times, then the 50th with how many more it left
    out (when the console goes)."""
    h, path, raw, _ = start_hub(hub, tmp_path)
    fe = frontend(path)
    for _ in range(50):
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(path)
            assert s.recv(1) == b""             # closed at once
    fe.sync()
    fe.close()
    said = h.stop().splitlines()
    lines = [x for x in said if "a second frontend connected" in x]
    assert len(lines) == 11, "\n".join(said)
    assert lines[-1].endswith("(39 more like this suppressed)"), lines[-1]


def test_get_vring_base_stops_rings_and_restart(hub, socat, frontend,
                                                tmp_path):
    """GET_VRING_BASE stops a ring and returns the next avail index; the
    device leaves the stopped ring alone (output and input wait); the
    QEMU restart sequence (NUM, BASE, ADDR, KICK, CALL, ENABLE) picks up
    exactly where it stopped."""
    h, path, raw, _ = start_hub(hub, tmp_path, extra="notices = no")
    c = socat("TCP:127.0.0.1:%d" % raw)
    fe = frontend(path, rx_bufsize=16)
    h.wait_attached("vm1")
    tx, rx = fe.vqs[TX_Q], fe.vqs[RX_Q]
    for i in range(5):
        fe.write(b"line %d\r\n" % i, split=2)
    c.expect(b"line 4\r\n")
    base = fe.stop_ring(TX_Q)
    assert base == tx.avail_idx == tx.used_idx()
    before = tx.snapshot()
    fe.write(b"while stopped\r\n", split=2, wait=False)
    time.sleep(0.5)
    # Only our avail entry changed: used ring untouched, buffer held.
    assert tx.used_idx() == base
    assert tx.snapshot()[-(6 + 8 * tx.num):] == before[-(6 + 8 * tx.num):]
    c.pump(0.2)
    assert b"while stopped" not in c.data
    fe.restart_ring(TX_Q)
    fe.flush()
    c.expect(b"while stopped\r\n")
    assert tx.used_idx() == (base + 1) & 0xffff

    c.send(b"abc")
    assert fe.read(3) == b"abc"
    base = fe.stop_ring(RX_Q)
    assert base == rx.used_idx() == rx.last_used
    ring, bufs = rx.snapshot(), rx.buffers_snapshot()
    c.send(b"typed while stopped")
    time.sleep(0.5)
    assert rx.snapshot() == ring and rx.buffers_snapshot() == bufs
    assert fe.read(1, timeout=0.2) == b""
    fe.restart_ring(RX_Q, new_kick=True)
    assert fe.read(19) == b"typed while stopped"
    # Both rings still run after another stop/restart.
    for n in (TX_Q, RX_Q):
        fe.stop_ring(n)
        fe.restart_ring(n)
    fe.write(b"again\r\n")
    c.expect(b"again\r\n")
    c.send(b"more")
    assert fe.read(4) == b"more"
    assert not fe.errors, fe.errors


def test_pause_disables_then_asks_where_the_rings_are(hub, socat, frontend,
                                                     tmp_path):
    """What QEMU does on a VM pause (and before migration): it disables
    each ring, then asks with GET_VRING_BASE, then on resume gives that
    index back with SET_VRING_BASE.  The answer must be where the ring
    stopped, not where it started, or the resumed ring is broken."""
    h, path, raw, _ = start_hub(hub, tmp_path, extra="notices = no")
    c = socat("TCP:127.0.0.1:%d" % raw)
    fe = frontend(path)
    h.wait_attached("vm1")
    tx, rx = fe.vqs[TX_Q], fe.vqs[RX_Q]
    for i in range(5):
        fe.write(b"line %d\r\n" % i)
    c.expect(b"line 4\r\n")
    c.send(b"abc")
    assert fe.read(3) == b"abc"
    for n in (TX_Q, RX_Q):
        fe.enable_ring(n, False)
    assert fe.stop_ring(TX_Q) == tx.avail_idx == tx.used_idx() != 0
    assert fe.stop_ring(RX_Q) == rx.used_idx() != 0
    for n in (TX_Q, RX_Q):
        fe.restart_ring(n)
    fe.write(b"resumed\r\n")
    c.expect(b"resumed\r\n")
    c.send(b"typed after resume")
    assert fe.read(18) == b"typed after resume"
    assert not fe.errors, fe.errors


def test_call_eventfd_replaced(hub, socat, frontend, tmp_path):
    """SET_VRING_CALL may come again at any time (QEMU's mask/unmask):
    the new eventfd is the one signalled."""
    h, path, raw, _ = start_hub(hub, tmp_path)
    c = socat("TCP:127.0.0.1:%d" % raw)
    fe = frontend(path)
    for n in (TX_Q, RX_Q):
        fe.set_call(n)
    fe.vqs[TX_Q].calls = fe.vqs[RX_Q].calls = 0
    fe.write(b"after swap\r\n")      # raises if the new fd is never signalled
    c.expect(b"after swap\r\n")
    c.send(b"in")
    assert fe.read(2) == b"in"
    assert fe.vqs[TX_Q].calls > 0 and fe.vqs[RX_Q].calls > 0


def test_guest_reboot(hub, socat, frontend, tmp_path):
    """The guest resets the device: rings stopped, zeroed, started again
    from index 0 on the same connection.  Input typed meanwhile is held
    and delivered afterwards."""
    h, path, raw, _ = start_hub(hub, tmp_path)
    c = socat("TCP:127.0.0.1:%d" % raw)
    fe = frontend(path)
    for i in range(3):
        fe.write(b"boot %d\r\n" % i)
        c.expect(b"boot %d\r\n" % i)
        for n in (TX_Q, RX_Q):
            fe.stop_ring(n)
        c.send(b"during reboot %d\n" % i)
        time.sleep(0.2)
        for vq in fe.vqs:
            vq.reset()
        fe.rx_data.clear()
        fe.start()
        assert read_until(fe, b"during reboot %d\n" % i).endswith(
            b"during reboot %d\n" % i)


def test_input_held_until_guest_posts_buffers(hub, socat, frontend,
                                              tmp_path):
    """Input typed while the guest has no rx buffers is neither lost nor
    reordered: it goes into buffers as they appear, a few bytes at a
    time if they are small."""
    h, path, raw, _ = start_hub(hub, tmp_path)
    c = socat("TCP:127.0.0.1:%d" % raw)
    fe = frontend(path, rx_buffers=0, auto_repost=False)
    c.send(b"early input\r")
    time.sleep(0.5)
    assert fe.read(1, timeout=0.3) == b""
    assert fe.post_rx(1, size=4) == 1
    assert fe.read(4) == b"earl"
    assert fe.read(1, timeout=0.3) == b""
    c.send(b"+more")
    time.sleep(0.3)
    fe.post_rx(3, size=5)
    assert fe.read(13) == b"y input\r+more"
    fe.post_rx(8, size=64)
    c.send(b"later")
    assert fe.read(5) == b"later"


def test_input_typed_with_no_frontend_waits_for_the_guest(
        hub, socat, frontend, tmp_path):
    """Input typed while no frontend is connected (the guest not started
    yet, or rebooting) is kept for the next one, in order: 64 KiB, four
    times the console's queue, of which the rest waits in the client's
    socket while the daemon does not read it."""
    h, path, raw, _ = start_hub(hub, tmp_path)
    c = socat("TCP:127.0.0.1:%d" % raw)
    h.wait_attached("vm1")
    data = bytes((i * 7 + i // 256) & 0xff for i in range(64 * 1024))
    c.send(data)
    # The daemon takes what its queue holds (16 KiB) and reads no more.
    wait_for(lambda: len(data) - tcp_in_flight(raw) >= 16 * 1024, 10,
             "the daemon to take 16 KiB of input")
    fe = frontend(path, rx_bufsize=1024)
    got = fe.read(len(data), timeout=20)
    assert got == data, "%d of %d bytes, first difference at %s" % (
        len(got), len(data), next((i for i, (a, b) in enumerate(
            zip(got, data)) if a != b), min(len(got), len(data))))
    # And typed while the frontend is away (a reboot) too.
    fe.close()
    c.expect(DOWN)
    c.send(b"typed while away\n")
    fe = connect_frontend(frontend, path)
    assert read_until(fe, b"typed while away\n") == b"typed while away\n"


def test_notices_no_keeps_every_notice_out_of_the_stream(
        hub, socat, frontend, tmp_path):
    """notices = no: a client that takes every byte as the guest's (nc,
    socat, a script) gets exactly the guest's bytes, also when the
    frontend goes and comes back and when others attach."""
    h, path, raw, _ = start_hub(hub, tmp_path, extra="notices = no")
    c = socat("TCP:127.0.0.1:%d" % raw)
    h.wait_attached("vm1")
    fe = frontend(path)
    fe.write(b"first boot\r\n")
    c.expect(b"first boot\r\n")
    fe.close()
    wait_for(lambda: b"frontend" in h.output().encode() and
             h.output().count("frontend connected") == 1, 10,
             "the daemon saw the frontend go")
    other = socat("TCP:127.0.0.1:%d" % raw)
    fe = connect_frontend(frontend, path)
    fe.write(b"second boot\r\n")
    c.expect(b"second boot\r\n")
    other.expect(b"second boot\r\n")
    c.pump(0.3)
    assert bytes(c.data) == b"first boot\r\nsecond boot\r\n"


# ------------------------------------------------------------- hostile


class Hostile:
    """What a hostile case gets: the socket path, a raw client and the
    Telnet port, and frontends it makes (closed after the case)."""

    def __init__(self, hub, path, client, tport):
        self.hub = hub
        self.path = path
        self.client = client
        self.tport = tport
        self.made = []
        self.deferred = []      # fds closed only after the final checks

    def make(self, **kw):
        kw.setdefault("reply_timeout", 3)
        kw.setdefault("connect_timeout", 5)
        fe = Frontend(self.path, **kw)
        self.made.append(fe)
        return fe

    def ready(self, **kw):
        """A frontend the daemon serves (retrying while it lets go of the
        previous ones, closed first), set up as far as kw says."""
        self.close_all()
        deadline = time.monotonic() + 10
        while True:
            try:
                return self.make(**kw)
            except (BackendGone, Timeout):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def served(self):
        """A bare connection, proven served by one GET_FEATURES."""
        self.close_all()
        deadline = time.monotonic() + 10
        while True:
            fe = self.make(setup=False)
            try:
                fe.sync()
                return fe
            except (BackendGone, Timeout):
                fe.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def fresh(self):
        """A bare connection for messages that must come first."""
        self.close_all()
        time.sleep(0.2)
        return self.make(setup=False)

    def close_all(self):
        for fe in self.made:
            fe.close()
        self.made = []

    def probe(self, what):
        """The daemon's event loop still runs: a new Telnet client is
        offered options at once."""
        t = Telnet(self.tport)
        try:
            wait_for(lambda: t.commands, 5,
                     "telnet negotiation (daemon blocked?) " + what, [t])
        finally:
            t.close()

    def defer_close(self, *fds):
        """Keep fds open until the daemon has been checked: closing a
        pipe's read end would release a writer blocked on it."""
        self.deferred += fds

    def close_deferred(self):
        for fd in self.deferred:
            os.close(fd)
        self.deferred = []


def expect_refused(fe, req, payload=b"", fds=(), what=None):
    """Send a malformed message with NEED_REPLY: the daemon must drop the
    connection or answer with an error (a non-zero status, or an empty
    payload for a request with a reply of its own)."""
    what = what or vf.REQUEST_NAMES.get(req, str(req))
    try:
        fe.send_msg(req, payload, fds, vf.VERSION | vf.FLAG_NEED_REPLY)
        rreq, rflags, p = fe.recv_msg(timeout=3, what=what)
    except BackendGone:
        return
    except Timeout:
        raise AssertionError("%s: neither an error nor a dropped connection"
                             % what)
    assert rreq == req, (what, rreq)
    assert len(p) == 0 or (len(p) == 8 and vf.U64.unpack(p)[0] != 0), \
        "%s was accepted: reply %r" % (what, p)


def attempt(*steps):
    """Run steps until one fails because the daemon refused or dropped."""
    for step in steps:
        try:
            step()
        except ProtocolError:
            return False
    return True


def driver_ok(fe, rings=None, regions=None, num=None, enable=True):
    """The DRIVER_OK sequence with some parts replaced: rings maps a ring
    index to (desc, used, avail) user addresses, regions replaces the
    memory table, num the ring size.  Stops quietly at a refusal."""
    rings = rings or {}

    def ring_steps(vq):
        n = vq.index
        desc, used, avail = rings.get(n, (vq.desc_uva, vq.used_uva,
                                          vq.avail_uva))
        return [
            lambda: fe.set(vf.SET_VRING_NUM, vf.VRING_STATE.pack(
                n, num if num is not None else vq.num)),
            lambda: fe.set(vf.SET_VRING_BASE, vf.VRING_STATE.pack(n, 0)),
            lambda: fe.set(vf.SET_VRING_ADDR, vf.VRING_ADDR.pack(
                n, 0, desc, used, avail, 0)),
            lambda: fe.set(vf.SET_VRING_KICK, vf.U64.pack(n), [vq.kick]),
            lambda: fe.set(vf.SET_VRING_CALL, vf.U64.pack(n), [vq.call]),
        ] + ([lambda: fe.enable_ring(n, True)] if enable else [])

    acked = vf.LINUX_DRIVER_FEATURES & fe.features | \
        vf.VHOST_USER_F_PROTOCOL_FEATURES
    steps = [lambda: fe.set(vf.SET_FEATURES, vf.U64.pack(acked)),
             lambda: fe.set(vf.SET_MEM_TABLE, *fe.mem.table(regions))]
    for vq in fe.vqs:
        steps += ring_steps(vq)
    fe.acked = acked
    ok = attempt(*steps)
    if ok:
        for vq in fe.vqs:
            try:
                vq.notify(force=True)
            except OSError:
                pass
    return ok


HOSTILE = {}


def hostile(fn):
    HOSTILE[fn.__name__] = fn
    return fn


@hostile
def wrong_payload_sizes(env):
    cases = [
        (vf.SET_FEATURES, b"\0" * 4), (vf.SET_PROTOCOL_FEATURES, b"\x01"),
        (vf.SET_VRING_NUM, b"\0" * 4), (vf.SET_VRING_BASE, b"\0" * 7),
        (vf.SET_VRING_ADDR, b"\0" * 16), (vf.SET_VRING_ENABLE, b"\0" * 2),
        (vf.SET_VRING_KICK, b""), (vf.SET_VRING_CALL, b"\0" * 3),
        (vf.SET_MEM_TABLE, b"\x01\0\0\0"), (vf.SET_CONFIG, b"\0" * 6),
        (vf.GET_CONFIG, b"\0" * 4), (vf.GET_VRING_BASE, b"\0" * 2),
        (vf.SET_FEATURES, b"\0" * 16),
    ]
    for req, payload in cases:
        fe = env.ready(start=False)
        expect_refused(fe, req, payload,
                       what="%s with %d bytes" % (vf.REQUEST_NAMES[req],
                                                  len(payload)))
        env.close_all()


@hostile
def unknown_requests(env):
    for req in (0, 99, 4096, 0xffffffff):
        fe = env.ready(start=False)
        expect_refused(fe, req, b"\0" * 8, what="request %d" % req)
        env.close_all()


@hostile
def bad_headers(env):
    # Size field of 2 GiB, then nothing.
    env.fresh().send_msg(vf.GET_FEATURES, b"", size=0x7fffffff)
    # A message cut short, then the connection closed.
    env.fresh().send_msg(vf.SET_MEM_TABLE, b"\0" * 10, size=40)
    # Half a header.
    env.fresh().sock.sendall(b"\x01\0\0")
    # Version 0, version 3, and a "reply" sent to the backend.
    for flags in (0x0, 0x3, vf.VERSION | vf.FLAG_REPLY):
        fe = env.served()
        try:
            fe.send_msg(vf.SET_OWNER, b"", flags=flags)
            fe.send_msg(vf.GET_FEATURES, b"", flags=flags)
            fe.recv_msg(timeout=0.5)
        except ProtocolError:
            pass
        env.close_all()
    # A config payload bigger than config space allows.
    fe = env.ready(start=False)
    expect_refused(fe, vf.SET_CONFIG,
                   vf.CONFIG_HDR.pack(0, 4000, 0) + bytes(4000))


@hostile
def extra_fds(env):
    """fds on messages that take none must be closed, not kept."""
    fe = env.served()
    efds = [os.eventfd(0) for _ in range(vf.MAX_FDS)]
    try:
        for req in (vf.GET_FEATURES, vf.SET_OWNER, vf.GET_PROTOCOL_FEATURES):
            try:
                fe.send_msg(req, b"", efds)
            except ProtocolError:
                break
        time.sleep(0.2)
    finally:
        for fd in efds:
            os.close(fd)


@hostile
def mem_table_bad_regions(env):
    mib = 1 << 20
    r, w = os.pipe()
    try:
        def table(regions):
            return vf.MEM_HDR.pack(len(regions), 0) + b"".join(
                vf.MEM_REGION.pack(*x) for x in regions)
        good = (0x100000, mib, 0x40000000, 0)
        variants = [
            ("9 regions", table([good] * 9), 8),
            ("2 regions, 1 fd", table([good, (0x200000, mib, 0x50000000,
                                              0)]), 1),
            ("no fd", table([good]), 0),
            ("huge size", table([(0x100000, 1 << 60, 0x40000000, 0)]), 1),
            ("gpa wraps", table([(2 ** 64 - 4096, 8192, 0x40000000, 0)]), 1),
            ("uva wraps", table([(0x100000, 8192, 2 ** 64 - 4096, 0)]), 1),
            ("offset wraps", table([(0x100000, 8192, 0x40000000,
                                     2 ** 64 - 4096)]), 1),
            ("nregions says 2, payload 1", vf.MEM_HDR.pack(2, 0) +
             vf.MEM_REGION.pack(*good), 2),
        ]
        for what, payload, nfds in variants:
            fe = env.ready(start=False)
            fds = [fe.mem.regions[0].fd] * nfds
            expect_refused(fe, vf.SET_MEM_TABLE, payload, fds, what=what)
            env.close_all()
        # Not mappable at all: a pipe.
        fe = env.ready(start=False)
        expect_refused(fe, vf.SET_MEM_TABLE, table([good]), [r],
                       what="pipe as memory")
        env.close_all()
        # Size zero: refusing or ignoring are both fine; then use it.
        fe = env.ready(start=False)
        zero = vf.Region("zero", 0x100000, 0, 0x40000000)
        driver_ok(fe, regions=[zero])
        env.client.send(b"to nowhere\n")
        time.sleep(0.2)
        zero.close()
    finally:
        os.close(r)
        os.close(w)


@hostile
def rings_beyond_end_of_file(env):
    """A region claims 1 MiB but its file has 4 KiB: touching the rest
    would be SIGBUS.  The rings are put there."""
    fe = env.ready(start=False)
    short = vf.Region("short", 0x8000_0000, 1 << 20, 0x9000_0000,
                      file_size=4096)
    try:
        base = short.uva + 0x80000
        driver_ok(fe, regions=[short] + fe.mem.regions, rings={
            TX_Q: (base, base + 0x2000, base + 0x1000),
            RX_Q: (base + 0x4000, base + 0x6000, base + 0x5000)})
        env.client.send(b"input\n")
        time.sleep(0.3)
    finally:
        short.close()


@hostile
def ring_addresses_outside_memory(env):
    for rings in (
            {TX_Q: (0xdead_0000_0000, 0xdead_0000_2000, 0xdead_0000_1000)},
            {RX_Q: (0xdead_0000_0000, 0xdead_0000_2000, 0xdead_0000_1000)},
            # Tables that start inside a region and run past its end.
            {TX_Q: (0x0010_0000 + (1 << 20) - 64, 0x0010_0000,
                    0x0010_1000)},
            {RX_Q: (0x0010_8000, 0x0010_0000 + (1 << 20) - 8,
                    0x0010_1000)},
            # Near the top of the address space.
            {TX_Q: (2 ** 64 - 16, 2 ** 64 - 8, 2 ** 64 - 4)},
            # Misaligned used ring (must be 4-aligned).
            {TX_Q: (0x0010_8000, 0x0010_9001, 0x0010_a000)}):
        fe = env.ready(start=False)
        driver_ok(fe, rings=rings)
        env.client.send(b"input\n")
        head = fe.vqs[TX_Q].add([("r", b"output")])
        fe.vqs[TX_Q].publish(head)
        fe.vqs[TX_Q].notify(force=True)
        time.sleep(0.2)
        env.close_all()


@hostile
def bad_ring_sizes(env):
    for num in (0, 3, 65536, 0xffffffff):
        fe = env.ready(start=False)
        driver_ok(fe, num=num)
        head = fe.vqs[TX_Q].add([("r", b"size %d" % num)])
        fe.vqs[TX_Q].publish(head)
        fe.vqs[TX_Q].notify(force=True)
        env.client.send(b"input\n")
        time.sleep(0.2)
        env.close_all()


@hostile
def ring_index_out_of_range(env):
    efd = os.eventfd(0)
    try:
        for what, req, payload, fds in (
                ("NUM 34", vf.SET_VRING_NUM, vf.VRING_STATE.pack(34, 64),
                 []),
                ("NUM 255", vf.SET_VRING_NUM, vf.VRING_STATE.pack(255, 64),
                 []),
                ("BASE 1000", vf.SET_VRING_BASE,
                 vf.VRING_STATE.pack(1000, 0), []),
                ("ADDR 34", vf.SET_VRING_ADDR,
                 vf.VRING_ADDR.pack(34, 0, 0x100000, 0x102000, 0x101000, 0),
                 []),
                ("KICK 200", vf.SET_VRING_KICK, vf.U64.pack(200), [efd]),
                ("CALL 255", vf.SET_VRING_CALL, vf.U64.pack(255), [efd]),
                ("ERR 34", vf.SET_VRING_ERR, vf.U64.pack(34), [efd]),
                ("ENABLE 35", vf.SET_VRING_ENABLE, vf.VRING_STATE.pack(35, 1),
                 [])):
            fe = env.ready()
            expect_refused(fe, req, payload, fds, what=what)
            env.close_all()
        fe = env.ready()
        try:
            fe.request(vf.GET_VRING_BASE, vf.VRING_STATE.pack(5, 0))
        except ProtocolError:
            pass
        # KICK/CALL with bits above the index and the no-fd flag set but
        # an fd sent anyway.
        fe = env.ready()
        attempt(lambda: fe.set(vf.SET_VRING_KICK,
                               vf.U64.pack(TX_Q | 1 << 40), [efd]),
                lambda: fe.set(vf.SET_VRING_CALL,
                               vf.U64.pack(TX_Q | vf.VRING_NOFD), [efd]),
                lambda: fe.write(b"x", timeout=1))
    finally:
        os.close(efd)


def _tx_chain(env, build):
    """A started frontend; build(vq, mem) writes descriptors and returns
    a head to make available on the tx ring."""
    fe = env.ready()
    vq = fe.vqs[TX_Q]
    head = build(vq, fe.mem)
    vq.put_avail(head)
    vq.notify(force=True)
    time.sleep(0.2)
    env.close_all()


@hostile
def tx_descriptor_chains(env):
    def data_desc(vq, i, text):
        r, off = vq.slots[i]
        r.write(off, text)
        return r.gpa_of(off)

    def loop2(vq, mem):
        vq.set_desc(0, data_desc(vq, 0, b"LOOP"), 4, vf.DESC_F_NEXT, 1)
        vq.set_desc(1, data_desc(vq, 1, b"loop"), 4, vf.DESC_F_NEXT, 0)
        return 0

    def self_loop(vq, mem):
        vq.set_desc(3, data_desc(vq, 3, b"SELF"), 4, vf.DESC_F_NEXT, 3)
        return 3

    def next_out_of_range(vq, mem):
        vq.set_desc(0, data_desc(vq, 0, b"NEXT"), 4, vf.DESC_F_NEXT, 200)
        return 0

    def in_hole(vq, mem):
        vq.set_desc(0, mem.hole_gpa(), 64, 0, 0)
        return 0

    def across_region_end(vq, mem):
        lo = mem.regions[0]
        vq.set_desc(0, lo.gpa + lo.size - 4, 64, 0, 0)
        return 0

    def huge_len(vq, mem):
        vq.set_desc(0, vq.slot_gpa(0), 0xffffffff, 0, 0)
        return 0

    def top_of_space(vq, mem):
        vq.set_desc(0, 2 ** 64 - 8, 64, 0, 0)
        return 0

    def indirect(vq, mem):
        # INDIRECT was not negotiated; the "table" points at garbage.
        r, off = vq.slots[0]
        r.write(off, bytes([0xee]) * 64)
        vq.set_desc(0, r.gpa_of(off), 64, vf.DESC_F_INDIRECT, 0)
        return 0

    def head_out_of_range(vq, mem):
        return 1000

    def write_only_tx(vq, mem):
        vq.set_desc(0, data_desc(vq, 0, b"WO"), 2, vf.DESC_F_WRITE, 0)
        return 0

    def long_chain(vq, mem):
        # Every descriptor chained, the last back to the first.
        for i in range(vq.num):
            vq.set_desc(i, data_desc(vq, i, b"."), 1, vf.DESC_F_NEXT,
                        (i + 1) % vq.num)
        return 0

    for build in (loop2, self_loop, next_out_of_range, in_hole,
                  across_region_end, huge_len, top_of_space, indirect,
                  head_out_of_range, write_only_tx, long_chain):
        _tx_chain(env, build)


@hostile
def avail_index_runaway(env):
    """The driver claims 5000 new buffers in a 64-entry ring."""
    fe = env.ready()
    vq = fe.vqs[TX_Q]
    r, off = vq.slots[0]
    r.write(off, b"R")
    vq.set_desc(0, r.gpa_of(off), 1, 0, 0)
    vq.set_avail_idx(5000)
    vq.notify(force=True)
    env.client.send(b"input\n")
    time.sleep(0.3)


@hostile
def rx_descriptor_chains(env):
    """Buffers posted for input that the device must not (or cannot)
    write: read-only, outside memory, looping, zero length."""
    def setup(build):
        fe = env.ready(rx_buffers=0)
        vq = fe.vqs[RX_Q]
        head = build(vq, fe.mem)
        vq.put_avail(head)
        vq.notify(force=True)
        env.client.send(b"input!")
        time.sleep(0.3)
        return fe, vq

    # Read-only buffer: a device MUST NOT write to a device-readable one.
    def readonly(vq, mem):
        r, off = vq.slots[0]
        r.fill(off, 64, vf.POISON)
        vq.set_desc(0, r.gpa_of(off), 64, 0, 0)
        return 0
    fe, vq = setup(readonly)
    r, off = vq.slots[0]
    assert r.read(off, 64) == bytes([vf.POISON]) * 64, \
        "device wrote into a device-readable buffer"
    env.close_all()

    def in_hole(vq, mem):
        vq.set_desc(0, mem.hole_gpa(), 64, vf.DESC_F_WRITE, 0)
        return 0

    def across_region_end(vq, mem):
        hi = mem.regions[1]
        vq.set_desc(0, hi.gpa + hi.size - 2, 64, vf.DESC_F_WRITE, 0)
        return 0

    def loop(vq, mem):
        flags = vf.DESC_F_WRITE | vf.DESC_F_NEXT
        vq.set_desc(0, vq.slot_gpa(0), 8, flags, 1)
        vq.set_desc(1, vq.slot_gpa(1), 8, flags, 0)
        return 0

    def zero_length(vq, mem):
        vq.set_desc(0, vq.slot_gpa(0), 0, vf.DESC_F_WRITE, 0)
        return 0

    def head_out_of_range(vq, mem):
        return 4000

    for build in (in_hole, across_region_end, loop, zero_length,
                  head_out_of_range):
        setup(build)
        env.close_all()


@hostile
def mem_table_replaced_under_running_rings(env):
    """A new memory table that no longer holds the rings (or nothing):
    the device must not keep using the old mappings."""
    for keep in ([0], []):
        fe = env.ready()
        fe.write(b"ok\r\n")
        regions = [fe.mem.regions[i] for i in keep]
        attempt(lambda: fe.set(vf.SET_MEM_TABLE, *fe.mem.table(regions)))
        vq = fe.vqs[TX_Q]
        head = vq.add([("r", b"stale")])
        if head is not None:
            vq.publish(head)
        vq.notify(force=True)
        env.client.send(b"input\n")
        time.sleep(0.3)
        env.close_all()


@hostile
def config_space_abuse(env):
    fe = env.ready(start=False)
    expect_refused(fe, vf.GET_CONFIG,
                   vf.CONFIG_HDR.pack(0, 300, 0) + bytes(300),
                   what="GET_CONFIG of 300 bytes")
    env.close_all()
    fe = env.ready(start=False)
    expect_refused(fe, vf.GET_CONFIG, vf.CONFIG_HDR.pack(0, 12, 0) + bytes(4),
                   what="GET_CONFIG size 12 with 4 bytes")
    env.close_all()
    for offset, size, flags in ((8, 12, 0), (0xfffffff8, 16, 0),
                                (12, 4, 0), (0, 0, 0)):
        fe = env.ready(start=False)
        try:
            fe.config_raw(offset, size, flags)
            fe.set_config(offset, bytes(size), flags)
            fe.set_config(0, bytes(12), 1)          # "migration" write
            fe.sync()
        except ProtocolError:
            pass
        env.close_all()


@hostile
def backend_channel_abuse(env):
    """The backend-request socket: not a socket, missing, closed by the
    frontend, never read.  Resizes must not kill or block the daemon."""
    t = Telnet(env.tport, agree={NAWS}, naws=(100, 40))
    t.pump(0.3)

    def resize_storm(n):
        for i in range(n):
            t.send_naws(80 + i % 50, 24 + i % 30)
            if i % 200 == 0:
                t.pump(0.01)
        t.pump(0.2)

    def manual_init(fe, fds):
        fe.features = fe.request_u64(vf.GET_FEATURES)
        proto = fe.request_u64(vf.GET_PROTOCOL_FEATURES) & \
            vf.PROTOCOL_SUPPORTED
        fe.set(vf.SET_PROTOCOL_FEATURES, vf.U64.pack(proto),
               need_reply=False)
        fe.protocol = proto
        attempt(lambda: fe.set(vf.SET_BACKEND_REQ_FD, b"", fds))
        fe.set(vf.SET_OWNER)
        fe.start()

    efd = os.eventfd(0)
    try:
        for fds in ([efd], []):
            fe = env.served()
            if attempt(lambda: manual_init(fe, fds)):
                resize_storm(20)
                attempt(lambda: fe.write(b"x", timeout=2))
            env.close_all()
    finally:
        os.close(efd)
    # The frontend closes its end: sends fail with EPIPE (and SIGPIPE).
    fe = env.ready()
    fe._stop.set()
    fe._thread.join(2)
    fe.backend_sock.close()
    fe.backend_sock = None
    resize_storm(20)
    attempt(lambda: fe.write(b"after epipe", timeout=2))
    env.close_all()
    # Never read: the socket fills; the daemon must not block on it.
    fe = env.ready(read_backend=False)
    resize_storm(3000)
    env.probe("with a full backend channel")
    try:
        fe.write(b"still serving\r\n", timeout=5)
    except BackendGone:
        pass                    # dropping such a frontend is fine
    else:
        env.client.expect(b"still serving\r\n")
    env.close_all()
    t.close()


@hostile
def replies_never_read(env):
    """A frontend that asks and asks but never reads: the replies fill
    its socket; the daemon must drop it or wait, not block."""
    fe = env.served()
    try:
        for _ in range(50000):
            fe.send_msg(vf.GET_FEATURES)
    except ProtocolError:
        pass                    # dropped, or no longer read: both fine
    env.probe("with replies piling up")


@hostile
def call_fd_is_a_full_pipe(env):
    """A call "eventfd" that is a full, blocking pipe: signalling it must
    not block the daemon.  The read end stays open until the daemon has
    been checked (closing it would unblock a blocked writer)."""
    r, w = os.pipe()
    env.defer_close(r, w)
    fl = fcntl.fcntl(w, fcntl.F_GETFL)
    fcntl.fcntl(w, fcntl.F_SETFL, fl | os.O_NONBLOCK)
    try:
        while True:
            os.write(w, b"\0" * 65536)
    except BlockingIOError:
        pass
    fcntl.fcntl(w, fcntl.F_SETFL, fl)
    fe = env.ready()
    if not attempt(
            lambda: fe.set(vf.SET_VRING_CALL, vf.U64.pack(TX_Q), [w]),
            lambda: fe.set(vf.SET_VRING_CALL, vf.U64.pack(RX_Q), [w])):
        return
    fe.write(b"x" * 100, wait=False)
    env.client.send(b"input\n")
    time.sleep(0.3)
    env.probe("after signalling a full pipe")
    try:
        fe.sync()
    except Timeout:
        raise AssertionError("ttyhubd stopped answering after signalling "
                             "a full pipe as call fd")
    except BackendGone:
        pass


@hostile
def kick_fd_oddities(env):
    """Kick "eventfds" that are always readable: a socket whose peer has
    gone (reads return 0) and /dev/null.  The daemon must neither block
    nor spin on them."""
    for what in ("/dev/null", "a socket at end of file"):
        if what == "/dev/null":
            fd = os.open("/dev/null", os.O_RDONLY)
        else:
            a, b = socket.socketpair()
            b.send(b"kick")
            b.close()
            fd = os.dup(a.fileno())
            a.close()
        try:
            fe = env.ready()
            attempt(lambda: fe.set(vf.SET_VRING_KICK, vf.U64.pack(TX_Q),
                                   [fd]))
            time.sleep(0.2)
            t0 = cpu_seconds(env.hub.pid)
            time.sleep(1)
            used = cpu_seconds(env.hub.pid) - t0
            env.probe("with a kick fd that is " + what)
            assert used < 0.3, "ttyhubd spins on a kick fd that is %s " \
                "(%.2f s of CPU in 1 s)" % (what, used)
            env.close_all()
        finally:
            os.close(fd)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_frontend(hub, socat, frontend, tmp_path, case):
    """After a hostile frontend the daemon is alive, holds no more
    descriptors than before it, and serves a good frontend: output to a
    raw client, input back to the guest."""
    h, path, raw, tport = start_hub(hub, tmp_path, telnet=True)
    c = socat("TCP:127.0.0.1:%d" % raw)
    h.wait_attached("vm1")      # its fd is in the baseline
    baseline = h.fd_count()
    env = Hostile(h, path, c, tport)
    try:
        try:
            HOSTILE[case](env)
        finally:
            env.close_all()
        assert h.proc.poll() is None, "ttyhubd died:\n" + h.output()
        fe = connect_frontend(frontend, path)
        fe.write(b"\r\nalive after %s\r\n" % case.encode())
        c.expect(b"alive after %s\r\n" % case.encode())
        c.send(b"typed after %s\n" % case.encode())
        read_until(fe, b"typed after %s\n" % case.encode())
        fe.close()
    finally:
        env.close_deferred()
    assert h.proc.poll() is None, "ttyhubd died:\n" + h.output()
    deadline = time.monotonic() + 20
    while h.fd_count() > baseline:
        if time.monotonic() > deadline:
            fds = sorted(os.readlink("/proc/%d/fd/%s" % (h.pid, n))
                         for n in os.listdir("/proc/%d/fd" % h.pid))
            raise AssertionError("ttyhubd holds %d fds, %d before:\n%s" %
                                 (h.fd_count(), baseline, "\n".join(fds)))
        time.sleep(0.05)


# ------------------------------------------------- several ports

PORTS_CONF = """[console vm1]
type = vhost-user
path = %(path)s
ports = 3
size = 100x30
raw = 127.0.0.1:%(r0)d
%(extra)s
[console vm1-b]
type = vhost-port
port = vm1:1
console-port = yes
size = 90x20
raw = 127.0.0.1:%(r1)d
telnet = 127.0.0.1:%(t1)d

[console vm1.log]
type = vhost-port
port = vm1:2
port-name = org.ttyhub.log
raw = 127.0.0.1:%(r2)d
"""


def start_ports_hub(hub, tmp_path, extra=""):
    """A device of three ports: vm1 (port 0), vm1-b (port 1, a console
    port), vm1.log (port 2, named org.ttyhub.log).  Returns (hub, socket
    path, {port: raw port}, vm1-b's Telnet port)."""
    path = str(tmp_path / "vm1.vhost")
    ports = {0: free_port(), 1: free_port(), 2: free_port()}
    t1 = free_port()
    h = hub(PORTS_CONF % {"path": path, "r0": ports[0], "r1": ports[1],
                          "r2": ports[2], "t1": t1, "extra": extra})
    deadline = time.monotonic() + 10
    while not os.path.exists(path):
        assert time.monotonic() < deadline, "no socket at %s" % path
        time.sleep(0.02)
    return h, path, ports, t1


def port_msgs(fe, port):
    """What the device said about port, in order: (event name, value,
    extra)."""
    return [(vf.CTL_NAMES.get(e, e), v, x) for p, e, v, x in fe.ctl_log
            if p == port]


def test_multiport_handshake_as_linux_sees_it(hub, frontend, tmp_path):
    """ports = 3 offers MULTIPORT with max_nr_ports 3.  On DEVICE_READY
    the device adds every port; on each PORT_READY it makes port 0 and
    vm1-b console ports, names every port, says it is open on our side
    and gives each console port its size, cols then rows; a named port
    gets no CONSOLE_PORT and no RESIZE."""
    h, path, ports, _ = start_ports_hub(hub, tmp_path)
    fe = frontend(path, ports=3, start=False)
    assert fe.features & vf.VIRTIO_CONSOLE_F_MULTIPORT
    assert fe.config() == (100, 30, 3, 0)
    fe.start()
    fe.handshake()
    adds = [p for p, e, v, x in fe.ctl_log if e == vf.PORT_ADD]
    assert adds == [0, 1, 2], fe.ctl_log
    assert port_msgs(fe, 0) == [
        ("PORT_ADD", 1, b""), ("CONSOLE_PORT", 1, b""),
        ("PORT_NAME", 1, b"vm1"), ("PORT_OPEN", 1, b""),
        ("RESIZE", 0, struct.pack("<HH", 100, 30))]
    assert port_msgs(fe, 1) == [
        ("PORT_ADD", 1, b""), ("CONSOLE_PORT", 1, b""),
        ("PORT_NAME", 1, b"vm1-b"), ("PORT_OPEN", 1, b""),
        ("RESIZE", 0, struct.pack("<HH", 90, 20))]
    assert port_msgs(fe, 2) == [
        ("PORT_ADD", 1, b""), ("PORT_NAME", 1, b"org.ttyhub.log"),
        ("PORT_OPEN", 1, b"")]
    assert not fe.errors, fe.errors


def test_multiport_bytes_each_way_and_a_port_reopened(hub, socat, frontend,
                                                      tmp_path):
    """Output of each port reaches that port's console alone, input each
    port's guest side alone.  Input for the named port waits while the
    guest has it closed (Linux would throw it away) and comes when it
    opens; its clients are told each open and close."""
    h, path, ports, _ = start_ports_hub(hub, tmp_path)
    c = {p: socat("TCP:127.0.0.1:%d" % ports[p]) for p in ports}
    h.wait_attached("vm1.log")
    c[2].send(b"typed before the guest opened it\n")
    fe = frontend(path, ports=3)
    fe.handshake()
    for p in ports:
        fe.write(b"out %d\r\n" % p, port=p)
    for p in ports:
        c[p].expect(b"out %d\r\n" % p)
    for p in ports:
        for q in ports:
            if q != p:
                assert b"out %d" % q not in c[p].data
    c[0].send(b"in 0\n")
    c[1].send(b"in 1\n")
    assert read_until(fe_port(fe, 0), b"in 0\n") == b"in 0\n"
    assert read_until(fe_port(fe, 1), b"in 1\n") == b"in 1\n"
    time.sleep(0.3)     # what would have come, came
    fe.pump_ctl(0.1)
    assert fe.poll_rx(0.1, port=2) == 0 and not fe.discarded[2]
    fe.open_port(2)
    c[2].expect(b"[ttyhub: vm1.log: the guest opened the port]\r\n")
    assert fe.read(33, port=2) == b"typed before the guest opened it\n"
    fe.close_port(2)
    c[2].expect(b"[ttyhub: vm1.log: the guest closed the port]\r\n")
    c[2].send(b"typed while closed\n")
    time.sleep(0.3)
    fe.pump_ctl(0.1)
    fe.poll_rx(0.1, port=2)
    assert not fe.discarded[2], fe.discarded
    at = len(c[2].data)
    fe.open_port(2)
    assert fe.read(19, port=2) == b"typed while closed\n"
    c[2].expect(b"[ttyhub: vm1.log: the guest opened the port]\r\n",
                start=at)
    assert not fe.discarded[2] and not fe.errors, fe.errors


class fe_port:
    """One port of a frontend, read as read_until reads a frontend."""

    def __init__(self, fe, port):
        self.fe, self.port = fe, port

    def read(self, n, timeout=15):
        return self.fe.read(n, timeout, port=self.port)


@pytest.mark.parametrize("order", ["spec", "legacy"])
def test_multiport_resize_reaches_its_port_only(hub, frontend, tmp_path,
                                                order):
    """A writer's NAWS on vm1-b is a RESIZE for port 1 alone, cols then
    rows, or rows then cols with resize-order = legacy (Linux before
    6.15 reads them so)."""
    h, path, ports, t1 = start_ports_hub(
        hub, tmp_path, extra="resize-order = %s\n" % order)
    fe = frontend(path, ports=3)
    fe.handshake()
    n = len(fe.ctl_log)
    t = Telnet(t1, agree={NAWS}, naws=(132, 43))
    want = (132, 43) if order == "spec" else (43, 132)
    wait_for(lambda: fe.pump_ctl(0.02) >= 0 and
             fe.port_state[1]["size"] == want, 10, "RESIZE of port 1", [t])
    fe.pump_ctl(0.3)
    assert [(p, e) for p, e, v, x in fe.ctl_log[n:]] == [(1, vf.RESIZE)]
    assert fe.port_state[0]["size"] == ((100, 30) if order == "spec" else
                                        (30, 100))
    t.close()


def test_multiport_device_with_a_driver_without_multiport(hub, socat,
                                                          frontend,
                                                          tmp_path):
    """A driver that does not ack MULTIPORT gets a plain console on
    port 0 (size through config space); the other ports' consoles are up
    but nothing reaches them."""
    h, path, ports, _ = start_ports_hub(hub, tmp_path)
    c0 = socat("TCP:127.0.0.1:%d" % ports[0])
    c1 = socat("TCP:127.0.0.1:%d" % ports[1])
    fe = frontend(path, ports=3,
                  ack=vf.VIRTIO_F_VERSION_1 | vf.VIRTIO_CONSOLE_F_SIZE)
    assert not fe.multiport
    assert fe.wait_config_change(10)
    assert fe.config()[:3] == (100, 30, 3)
    fe.write(b"plain\r\n")
    c0.expect(b"plain\r\n")
    c0.send(b"typed\n")
    assert read_until(fe, b"typed\n") == b"typed\n"
    c1.send(b"for port 1\n")
    assert h.row("vm1-b")["state"] == "up"
    assert h.row("vm1-b")["in"] == 0
    assert not fe.ctl_log and not fe.errors


def test_multiport_guest_reboot(hub, socat, frontend, tmp_path):
    """The driver starts again on the same connection: the handshake is
    done again, sizes included, and input typed meanwhile reaches the
    console port once it is a console again."""
    h, path, ports, _ = start_ports_hub(hub, tmp_path)
    c0 = socat("TCP:127.0.0.1:%d" % ports[0])
    fe = frontend(path, ports=3)
    fe.handshake()
    for i in range(2):
        for vq in fe.vqs:
            fe.stop_ring(vq.index)
        c0.send(b"during reboot %d\n" % i)
        time.sleep(0.2)
        n = len(fe.ctl_log)
        fe.reboot()
        fe.handshake()
        assert (0, vf.RESIZE, 0, struct.pack("<HH", 100, 30)) in \
            fe.ctl_log[n:]
        assert read_until(fe_port(fe, 0), b"during reboot %d\n" % i). \
            endswith(b"during reboot %d\n" % i)
    assert not fe.errors, fe.errors


# The guest's driver misbehaving on the control queue, or on the rings
# of ports: each case leaves the frontend's session running (a guest's
# bug is not the frontend's protocol), after which the daemon must be
# alive, hold no more fds than before, not have filled its log, and
# serve the next frontend on every port.
CTL_HOSTILE = {}


def ctl_hostile(fn):
    CTL_HOSTILE[fn.__name__] = fn
    return fn


@ctl_hostile
def ctl_messages_no_driver_sends(fe):
    fe.handshake()
    for raw in (b"\x01\x00\x00\x00\x06\x00", b"\x01\x00\x00\x00\x06\x00"
                b"\x01\x00\x00\x00\x00\x00", vf.CTL.pack(1, vf.PORT_OPEN, 2),
                vf.CTL.pack(1, vf.PORT_ADD, 1), vf.CTL.pack(1, vf.RESIZE, 0),
                vf.CTL.pack(1, vf.CONSOLE_PORT, 1),
                vf.CTL.pack(1, vf.PORT_NAME, 1), vf.CTL.pack(1, 99, 1),
                vf.CTL.pack(3, vf.PORT_READY, 1),
                vf.CTL.pack(0xfffffffe, vf.PORT_OPEN, 1), b"",
                b"\xff" * 200):
        fe.ctl_send(0, 0, 0, raw=raw[:vf.MAX_PAYLOAD] or b"\x00")


@ctl_hostile
def ctl_flood(fe):
    fe.handshake()
    for _ in range(300):
        fe.ctl_send(0, 0, 0, raw=vf.CTL.pack(7, vf.PORT_OPEN, 1))


@ctl_hostile
def ctl_before_device_ready(fe):
    for ev in (vf.PORT_READY, vf.PORT_OPEN):
        fe.ctl_send(1, ev, 1)


@ctl_hostile
def ctl_device_ready_again_and_again(fe):
    for _ in range(100):
        fe.ctl_send(vf.BAD_ID, vf.DEVICE_READY, 1)
    fe.handshake()
    fe.ctl_send(vf.BAD_ID, vf.DEVICE_READY, 0)
    fe.ctl_send(1, vf.PORT_READY, 1)


@ctl_hostile
def ctl_tiny_receive_buffers(fe):
    """Control buffers of 1 byte: each message cut to its first byte."""
    vq = fe.vqs[vf.CTL_RX_Q]
    while vq.chains:
        if not fe._wait_used(vq, 1):
            break
    fe.post_rx(8, size=1, port=None)
    fe.ctl_send(vf.BAD_ID, vf.DEVICE_READY, 1)
    fe.pump_ctl(0.3)


@ctl_hostile
def ctl_receive_buffers_never_posted(fe):
    """No control buffers and a writer resizing all along: what is owed
    stays one message per kind and port."""
    vq = fe.vqs[vf.CTL_RX_Q]
    for _ in range(5):
        fe._wait_used(vq, 0.2)
    fe.ctl_send(vf.BAD_ID, vf.DEVICE_READY, 1)
    fe.ctl_resizes = True


@ctl_hostile
def ctl_read_only_receive_buffers(fe):
    """Control 'receive' buffers the device cannot write."""
    vq = fe.vqs[vf.CTL_RX_Q]
    while vq.chains:
        if not fe._wait_used(vq, 1):
            break
    for _ in range(4):
        head = vq.add([("r", b"x" * 16)])
        vq.publish(head)
    vq.notify()
    fe.ctl_send(vf.BAD_ID, vf.DEVICE_READY, 1)
    fe.pump_ctl(0.3)


@ctl_hostile
def ctl_chain_outside_memory(fe):
    """A control message whose descriptor points outside guest memory:
    the control transmitq breaks and stays stopped; ports go on."""
    fe.handshake()
    vq = fe.vqs[vf.CTL_TX_Q]
    d = vq.free.pop(0)
    vq.set_desc(d, fe.mem.hole_gpa(), 8)
    vq.publish(d)
    vq.notify()
    fe.write(b"port 1 still\r\n", port=1)


@ctl_hostile
def ctl_open_every_port_many_times(fe):
    fe.handshake()
    for _ in range(50):
        fe.open_port(2)
        fe.close_port(2)


@ctl_hostile
def port_rings_garbage(fe):
    """Port 2's receiveq with a chain that loops, port 1's transmitq
    with a descriptor past memory: each stops alone."""
    fe.handshake()
    fe.open_port(2)
    rx = fe.vqs[vf.rx_ring(2)]
    d = rx.free.pop(0)
    rx.set_desc(d, rx.slot_gpa(d), 16, vf.DESC_F_WRITE | vf.DESC_F_NEXT, d)
    rx.publish(d)
    rx.notify()
    tx = fe.vqs[vf.tx_ring(1)]
    d = tx.free.pop(0)
    tx.set_desc(d, fe.mem.hole_gpa(), 64)
    tx.publish(d)
    tx.notify()
    fe.write(b"port 0 still\r\n", port=0)


@pytest.mark.parametrize("case", sorted(CTL_HOSTILE))
def test_hostile_guest_on_the_control_queue(hub, socat, frontend, tmp_path,
                                            case):
    h, path, ports, t1 = start_ports_hub(hub, tmp_path)
    c = {p: socat("TCP:127.0.0.1:%d" % ports[p]) for p in ports}
    for name in ("vm1", "vm1-b", "vm1.log"):
        h.wait_attached(name)   # their fds are in the baseline
    baseline = h.fd_count()
    fe = frontend(path, ports=3, reply_timeout=3)
    fe.ctl_resizes = False
    CTL_HOSTILE[case](fe)
    if fe.ctl_resizes:
        t = Telnet(t1, agree={NAWS}, naws=(100, 30))
        for i in range(200):
            t.send_naws(100 + i % 50, 30)
        t.pump(0.3)
        t.close()
    # The frontend's session is not ended by its guest's mistakes.
    fe.sync()
    assert h.proc.poll() is None, "ttyhubd died:\n" + h.output()
    lines = [x for x in h.output().splitlines() if "driver sent" in x]
    assert len(lines) <= 11, "\n".join(lines)
    fe.close()
    fe = connect_frontend(frontend, path, ports=3)
    fe.handshake()
    fe.open_port(2)
    for p in ports:
        at = len(c[p].data)
        fe.write(b"\r\nalive on %d after %s\r\n" % (p, case.encode()),
                 port=p)
        c[p].expect(b"alive on %d after %s\r\n" % (p, case.encode()),
                    start=at)
        c[p].send(b"typed on %d\n" % p)
        read_until(fe_port(fe, p), b"typed on %d\n" % p)
    fe.close()
    assert h.proc.poll() is None, "ttyhubd died:\n" + h.output()
    deadline = time.monotonic() + 20
    while h.fd_count() > baseline:
        assert time.monotonic() < deadline, "ttyhubd holds %d fds, %d " \
            "before:\n%s" % (h.fd_count(), baseline, "\n".join(sorted(
                os.readlink("/proc/%d/fd/%s" % (h.pid, n))
                for n in os.listdir("/proc/%d/fd" % h.pid))))
        time.sleep(0.05)
