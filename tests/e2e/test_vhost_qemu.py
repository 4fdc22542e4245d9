"""The vhost-user protocol layer (src/vhost/vhost.c, vq.c, unchanged) against real QEMU.

QEMU 7.2 cannot present a vhost-user console, so build/tests/vhost-rng (tests/helpers/vhost-rng.c)
gives the same layer an entropy device's personality and QEMU's vhost-user-rng-pci drives it:
QEMU's memfd guest RAM and mmap offsets, its own message order, its kick and call eventfds,
SET_VRING_ENABLE and GET_VRING_BASE when it stops the device.  The guest loads virtio_rng and
reads /dev/hwrng; every byte must be the backend's stream ("ttyhub-vhost-rng " repeated).

The tests of the main guest run in order: read, unbind and bind the driver (device reset:
stop and restart), pause and resume the VM from QEMU's monitor, power off.
"""

import base64
import os
import re
import socket
import subprocess
import tempfile
import time

import pytest

import guestrig

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VRNG = os.environ.get("TTYHUB_VHOST_RNG", os.path.join(REPO, "build", "tests", "vhost-rng"))
PATTERN = b"ttyhub-vhost-rng "
MEMORY = 256                                    # MiB; the memfd backend must match -m
HWRNG = "/sys/class/misc/hw_random"
DRIVER = "/sys/bus/virtio/drivers/virtio_rng"
READ = 4096

# Linux's hwrng core feeds the entropy pool from the current rng in a kernel thread; with the
# quality at 0 it stops, so only our reads take bytes from the device.
QUIET = "echo 0 > %s/rng_quality" % HWRNG
# The hwrng read waits for the device: bounded, and killable (virtio-rng waits killably).
DUMP = "timeout -s KILL 20 head -c %d /dev/hwrng | base64 -w 0; echo" % READ


def _check_stream(data):
    """data must be a contiguous slice of PATTERN repeated (at any offset): the backend's
    one stream, read by the guest through the driver's own buffer."""
    assert len(data) == READ, "read %d bytes, not %d" % (len(data), READ)
    k = (PATTERN * 2).find(data[:len(PATTERN)])
    assert k >= 0, "not our pattern: %r" % data[:64]
    want = (PATTERN * (READ // len(PATTERN) + 2))[k:k + READ]
    bad = next(i for i in range(READ) if data[i] != want[i]) if data != want else None
    assert bad is None, "byte %d differs: %r" % (bad, data[max(0, bad - 16):bad + 16])


class Backend:
    """build/tests/vhost-rng on SOCK, its stderr in LOG; stopped by its pid."""

    def __init__(self, d, seconds=240):
        self.sock = os.path.join(d, "rng.sock")
        self.logpath = os.path.join(d, "vrng.log")
        with open(self.logpath, "wb") as log:
            self.proc = subprocess.Popen([VRNG, self.sock, str(seconds)], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.sock):
            assert self.proc.poll() is None, "vhost-rng exited: " + self.log()
            assert time.monotonic() < deadline, "vhost-rng does not listen: " + self.log()
            time.sleep(0.02)

    def log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def requests(self):
        """[(number, name)] of every message QEMU sent, in order."""
        return [(int(n), name) for n, name in
                re.findall(r"^vrng: request (\d+) (\S+)", self.log(), re.M)]

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            if self.wait(5) is None:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


class Monitor:
    """QEMU's human monitor on a unix socket: one command at a time, up to the next prompt."""

    def __init__(self, path):
        self.path = path

    def cmd(self, line, timeout=20):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(self.path)
            self._until_prompt(s)
            s.sendall(line.encode() + b"\n")
            return self._until_prompt(s)
        finally:
            s.close()

    @staticmethod
    def _until_prompt(s):
        buf = b""
        while not buf.endswith(b"(qemu) "):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        return buf.decode(errors="replace")


def _qemu_args(sock, mon=None, device_opts=""):
    """Guest RAM QEMU can share (memfd, as big as -m), the device, optionally a monitor."""
    args = ["-object", "memory-backend-memfd,id=mem,size=%dM,share=on" % MEMORY,
            "-machine", "memory-backend=mem",
            "-chardev", "socket,id=vrng,path=%s" % sock,
            "-device", "vhost-user-rng-pci,chardev=vrng" + device_opts]
    if mon:
        args += ["-monitor", "unix:%s,server=on,wait=off" % mon]
    return args


@pytest.fixture(scope="module")
def vrng_bin():
    if not os.path.isfile(VRNG):
        pytest.skip("%s does not exist: build it with `make helpers`" % VRNG)
    return VRNG


@pytest.fixture(scope="module")
def initrd(rig):
    return rig.initramfs(modules=guestrig.DEFAULT_MODULES + ("virtio_rng",))


@pytest.fixture(scope="module")
def rundir():
    d = tempfile.mkdtemp(prefix="tth-vr-", dir="/tmp")    # short: sun_path < 108
    yield d
    if not os.environ.get("TTYHUB_E2E_KEEP"):
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        os.rmdir(d)


@pytest.fixture(scope="module")
def setup(rig, initrd, vrng_bin, rundir):
    """(guest, backend, monitor): QEMU 7.2's vhost-user-rng-pci on our backend.

    indirect_desc and event_idx are off: vq.c does neither, and 7.2's vhost-user-rng passes
    the guest's features to SET_FEATURES without asking the backend which it offers (see
    test_qemu72_sends_features_we_did_not_offer)."""
    b = Backend(rundir)
    mon = os.path.join(rundir, "mon.sock")
    g = guestrig.Guest(rig, initrd, name="vrng", forwards={}, memory=MEMORY,
                       qemu_args=_qemu_args(b.sock, mon, ",indirect_desc=off,event_idx=off"))
    try:
        g.start()
        yield g, b, Monitor(mon)
    finally:
        g.cleanup()
        b.stop()
        print("--- vhost-rng log ---\n" + b.log())


def _read_hwrng(g):
    r = g.run("%s; cat %s/rng_current; %s" % (QUIET, HWRNG, DUMP), timeout=60)
    lines = r.output.split()
    assert r.status == 0 and lines[0] == "virtio_rng.0", r.output
    return base64.b64decode(lines[1] if len(lines) > 1 else "")


def test_guest_reads_our_stream(setup):
    g, b, _ = setup
    t = time.monotonic()
    _check_stream(_read_hwrng(g))
    print("boot %.1f s, 4 KiB read in %.1f s" % (g.boot_seconds, time.monotonic() - t))
    names = [n for _, n in b.requests()]
    for want in ("GET_FEATURES", "SET_PROTOCOL_FEATURES", "SET_OWNER", "SET_FEATURES",
                 "SET_MEM_TABLE", "SET_VRING_NUM", "SET_VRING_BASE", "SET_VRING_ADDR",
                 "SET_VRING_KICK", "SET_VRING_CALL", "SET_VRING_ENABLE"):
        assert want in names, "QEMU did not send %s: %s" % (want, names)
    # The ring is set up before it is started, and started before its buffers are served.
    assert names.index("SET_MEM_TABLE") < names.index("SET_VRING_KICK")
    assert names.index("SET_VRING_ADDR") < names.index("SET_VRING_KICK")
    assert re.search(r"^vrng: map fd \d+, %d bytes: ok$" % (MEMORY << 20), b.log(), re.M)
    assert "vrng: ring 0 live" in b.log()
    assert "failed" not in b.log()


def test_device_reset_stops_and_restarts_ring(setup):
    """Unbinding the driver resets the device: QEMU stops the ring (GET_VRING_BASE, which must
    be answered) and sets everything up again when the driver binds."""
    g, b, _ = setup
    before = len(b.requests())
    r = g.run("d=$(basename %s/virtio*); echo $d > %s/unbind; echo $d > %s/bind; "
              "ls %s" % (DRIVER, DRIVER, DRIVER, DRIVER), timeout=30)
    assert r.status == 0, r.output
    _check_stream(_read_hwrng(g))
    names = [n for _, n in b.requests()[before:]]
    assert "GET_VRING_BASE" in names, names
    stop = names.index("GET_VRING_BASE")
    for want in ("SET_MEM_TABLE", "SET_VRING_ADDR", "SET_VRING_KICK", "SET_VRING_ENABLE"):
        assert want in names[stop:], "no %s after the reset: %s" % (want, names)
    assert re.search(r"^vrng: reply 11 GET_VRING_BASE size 8", b.log(), re.M)
    assert "failed" not in b.log()


def test_pause_resume_keeps_ring_position(setup):
    """`stop` then `cont`: QEMU 7.2 sends SET_VRING_ENABLE(0), then GET_VRING_BASE, and on
    resume SET_VRING_BASE with what we answered.  The answer must be where the ring is (the
    next avail index), or the resumed ring starts over at old buffers."""
    g, b, mon = setup
    _read_hwrng(g)                      # the ring has moved on from where it was started
    mark = len(b.log())
    mon.cmd("stop")
    mon.cmd("cont")
    log = b.log()
    m = re.search(r"^vrng: reply 11 GET_VRING_BASE size 8 u64 (0x[0-9a-f]+)", log[mark:], re.M)
    assert m, "no GET_VRING_BASE answered on stop:\n" + log[mark:]
    # Where the ring was: the last fill logged before that answer.  Not the log as the read
    # ended: the driver posts a buffer again as it empties the last, and the backend may
    # fill it (and say so) after the guest's read has returned.
    at = [int(x) for x in re.findall(r"next avail (\d+)", log[:mark + m.start()])][-1]
    assert int(m.group(1), 16) >> 32 == at, "answered %s, ring at %d" % (m.group(1), at)
    _check_stream(_read_hwrng(g))


def test_poweroff_stops_ring_and_disconnects(setup):
    """poweroff -f: QEMU stops the device (GET_VRING_BASE, answered), exits cleanly, and
    the backend sees it leave and exits 0."""
    g, b, _ = setup
    mark = len(b.log())
    con = g.console()
    try:
        con.send("poweroff -f\r")
        rc = g.proc.wait(30)
    finally:
        con.close()
    assert rc == 0, g.diagnostics()
    assert b.wait(10) == 0, b.log()[mark:]
    log = b.log()[mark:]
    assert re.search(r"^vrng: reply 11 GET_VRING_BASE size 8", log, re.M), log
    assert "vrng: the frontend disconnected" in log
    assert "Failed" not in open(g.qemu_log, errors="replace").read()


def test_qemu72_sends_features_we_did_not_offer(rig, initrd, vrng_bin, rundir):
    """With the device's defaults, QEMU 7.2's vhost-user-rng acks for the backend what the
    guest acked (INDIRECT_DESC, EVENT_IDX: bits 28, 29) though the backend offered only
    VERSION_1 and PROTOCOL_FEATURES; vhost.c refuses (the spec: only offered features) and
    ends the session.  Pinned so that a change on either side is noticed."""
    d = tempfile.mkdtemp(prefix="tth-vf-", dir="/tmp")
    b = Backend(d, seconds=120)
    g = guestrig.Guest(rig, initrd, name="vrng-feat", forwards={}, memory=MEMORY,
                       qemu_args=_qemu_args(b.sock))
    try:
        # Not waiting for the guest: when the backend ends the session,
        # QEMU 7.2 at times dies of it (SIGSEGV after "ring restore
        # failed") before the guest is up.  What is pinned is the backend's.
        g.start(wait=False)
        assert b.wait(120) == 1, b.log()
        log = b.log()
        m = re.search(r"^vrng: request 2 SET_FEATURES .* u64 (0x[0-9a-f]+)$", log, re.M)
        assert m and int(m.group(1), 16) == 0x170000000, log
        assert "features 0x30000000 were not offered" in log, log
    finally:
        g.cleanup()
        b.stop()
        print("--- vhost-rng log ---\n" + b.log())
        if not os.environ.get("TTYHUB_E2E_KEEP"):
            for f in os.listdir(d):
                os.unlink(os.path.join(d, f))
            os.rmdir(d)
