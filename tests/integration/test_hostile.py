"""The console side under attack: hostile backends, hostile local peers,
reloads that must not forget what a listener was told.  Each test here
failed on the code before its fix (issue 11)."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

from ttyhubtest import FakeGuest, free_port
from telnetc import Telnet

IAC, SB, SE = 255, 250, 240
COMPRESS, COMPRESS2 = 85, 86


def wait_until(cond, what, timeout=10):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_a_telnet_backend_that_starts_compression_is_cut_off(hub, tmp_path):
    """A guest behind a Telnet backend sends the COMPRESS2 start marker
    (never negotiated) and then a zlib stream that inflates to 4 MiB.
    libtelnet would inflate it and hand over far more than was read, into
    room made for the bytes read: the daemon must refuse the marker
    before anything is inflated, take the backend down, and come back on
    the next connection with nothing of the stream shown."""
    g = FakeGuest(str(tmp_path / "vm1.serial"))
    try:
        tport = free_port()
        h = hub("""[console vm1]
type = unix
path = %s
telnet = yes
telnet = 127.0.0.1:%d
""" % (g.path, tport))
        g.wait_connected()
        c = Telnet(tport)
        g.send(b"before\r\n")
        c.expect(b"before\r\n")
        bomb = zlib.compress(b"A" * (4 << 20), 9)
        first = g.conn
        g.send(b"x" + bytes([IAC, SB, COMPRESS2, IAC, SE]) + bomb)
        c.expect(b"backend down")
        h.wait_output("broke the protocol: peer started compression")
        # The daemon comes back (a new connection): served as before.
        wait_until(lambda: h.output().count("unix backend up") == 2,
                   "the backend never came back:\n" + h.output())
        wait_until(lambda: g.conn not in (None, first),
                   "the guest never took the new connection")
        g.send(b"after\r\n")
        c.expect(b"after\r\n")
        assert b"AAAA" not in c.data
        assert h.proc.poll() is None
    finally:
        g.stop()


def test_a_telnet_backend_old_compress_marker_is_refused_too(hub, tmp_path):
    """MCCP's first version (option 85) is not ours either."""
    g = FakeGuest(str(tmp_path / "vm1.serial"))
    try:
        tport = free_port()
        h = hub("""[console vm1]
type = unix
path = %s
telnet = yes
telnet = 127.0.0.1:%d
""" % (g.path, tport))
        g.wait_connected()
        c = Telnet(tport)
        g.send(bytes([IAC, SB, COMPRESS, 251, SE]) + b"junk")
        c.expect(b"backend down")
        h.wait_output("broke the protocol: peer started compression")
    finally:
        g.stop()


def as_user_with_groups(path, groups, uid=65534, gid=65534):
    """Connect to the unix socket at path as uid with these supplementary
    groups and return the first bytes the daemon sends (from a child
    process: setgroups is per process)."""
    script = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(10)
sys.stdout.buffer.write(s.recv(4096))
"""
    p = subprocess.run([sys.executable, "-c", script, path],
                       user=uid, group=gid, extra_groups=groups,
                       capture_output=True, timeout=30)
    return p.stdout


def test_a_unix_peer_with_many_groups_is_checked_against_all_of_them(
        hub, tmp_path):
    """SO_PEERGROUPS used to be read into room for 63 groups with a
    length of 64: a peer with 64 groups overflowed the stack.  Users may
    have many more: the group that lets this one in is its 300th."""
    g = FakeGuest(str(tmp_path / "vm1.serial"))
    # pytest's tmp_path is closed to other users: a directory they can
    # pass through holds the console's socket.
    d = tempfile.mkdtemp(prefix="ttyhub-groups-")
    try:
        os.chmod(d, 0o711)
        sock = os.path.join(d, "vm1.sock")
        h = hub("""[console vm1]
type = unix
path = %s
unix = %s
unix-mode = 0666
rw = @40300
ro = @40063
""" % (g.path, sock))
        g.wait_connected()
        for n, expect in ((64, "attached (ro)"), (300, "attached (rw)"),
                          (10, "refused by rw/ro lists")):
            seen = len(h.output())
            as_user_with_groups(sock, list(range(40001, 40001 + n)))
            wait_until(lambda: "nobody (uid 65534" in h.output()[seen:],
                       "the daemon never saw the peer:\n" + h.output())
            assert expect in h.output()[seen:], (n, h.output()[seen:])
        assert h.proc.poll() is None
    finally:
        g.stop()
        shutil.rmtree(d, ignore_errors=True)
