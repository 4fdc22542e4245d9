"""Pty consoles (backend-pty.c): ttyhubd holds a pty and publishes its
slave at `link`, for `qemu -serial /dev/pts/N` and local tools.  The test
plays that program: it opens the slave through the link, as QEMU would,
and checks bytes both ways against real clients (socat on raw listeners,
the byte-exact Telnet client on Telnet ones).

Every wait is bounded; the only processes signalled are the daemon this
test started (through the fixture) and socat processes it started."""
import fcntl
import os
import select
import struct
import termios
import time

from ttyhubtest import console_section, free_port
from telnetc import NAWS, Telnet

ALL_BYTES = bytes(range(256))


def pty_console(name, link, raw=None, telnet=None, extra=""):
    return console_section(name, "pty", link=link, raw=raw or None,
                           telnet=telnet or None, extra=extra)


def wait_link(link, timeout=10):
    deadline = time.monotonic() + timeout
    while not os.path.islink(link):
        assert time.monotonic() < deadline, "no link at %s" % link
        time.sleep(0.02)
    return os.readlink(link)


def open_slave(link):
    """Open the pty as its user would (QEMU's -serial /dev/pts/N)."""
    return os.open(link, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)


def read_slave(fd, want, timeout=10):
    """Read from the slave until want bytes (or the deadline)."""
    got = bytearray()
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            got += os.read(fd, 65536)
    return bytes(got)


def write_all(fd, data, timeout=10):
    deadline = time.monotonic() + timeout
    while data:
        assert time.monotonic() < deadline, "slave write stalled"
        _, w, _ = select.select([], [fd], [], 0.1)
        if w:
            data = data[os.write(fd, data):]


def test_pty_link_points_to_a_pts(hub, tmp_path):
    link = str(tmp_path / "vm1.pty")
    hub(pty_console("vm1", link, raw=free_port()))
    target = wait_link(link)
    assert target.startswith("/dev/pts/"), target
    fd = open_slave(link)
    try:
        assert os.isatty(fd)
        assert os.ttyname(fd) == target
        # Raw: bytes pass unchanged, nothing echoes.
        attrs = termios.tcgetattr(fd)
        assert not attrs[3] & (termios.ECHO | termios.ICANON | termios.ISIG)
        assert not attrs[1] & termios.OPOST
    finally:
        os.close(fd)


def test_pty_bytes_both_ways(hub, socat, tmp_path):
    link = str(tmp_path / "vm1.pty")
    raw = free_port()
    h = hub(pty_console("vm1", link, raw=raw))
    wait_link(link)
    fd = open_slave(link)
    try:
        c = socat("TCP:127.0.0.1:%d" % raw)
        h.wait_attached("vm1")  # what follows is live output
        write_all(fd, b"guest says hi\n" + ALL_BYTES)
        c.expect(b"guest says hi\n" + ALL_BYTES)
        c.send(b"typed\r" + ALL_BYTES)
        got = read_slave(fd, 6 + 256)
        assert got == b"typed\r" + ALL_BYTES
    finally:
        os.close(fd)


def test_pty_telnet_client_bytes_both_ways(hub, tmp_path):
    link = str(tmp_path / "vm1.pty")
    port = free_port()
    h = hub(pty_console("vm1", link, telnet=port))
    wait_link(link)
    fd = open_slave(link)
    try:
        t = Telnet(port)
        h.wait_attached("vm1", t.sock)
        write_all(fd, b"boot: " + bytes([0xff, 0x00, 0x0d, 0x0a]))
        t.expect(b"boot: " + bytes([0xff, 0x00, 0x0d, 0x0a]))
        t.send(b"root\r")
        assert read_slave(fd, 5).startswith(b"root")
        t.close()
    finally:
        os.close(fd)


def test_pty_users_come_and_go_console_stays_up(hub, socat, tmp_path):
    """The user of the slave closing it is not the console going down: a
    serial line stays up while nothing is plugged in."""
    link = str(tmp_path / "vm1.pty")
    raw = free_port()
    h = hub(pty_console("vm1", link, raw=raw))
    target = wait_link(link)
    c = socat("TCP:127.0.0.1:%d" % raw)
    h.wait_attached("vm1")
    for i in range(3):
        fd = open_slave(link)
        write_all(fd, b"run %d\n" % i)
        c.expect(b"run %d\n" % i)
        os.close(fd)
        # A moment for the hang-up to be seen: nothing must follow it,
        # which no condition can show.
        time.sleep(0.2)
    c.pump(0.3)
    assert b"backend down" not in c.data
    assert "backend down" not in h.output()
    assert os.readlink(link) == target      # same pty throughout
    # Input typed while nobody has the slave open waits for the next user.
    c.send(b"hello?")
    h.wait_written("vm1", 6)                # in the pty before it opens
    fd = open_slave(link)
    try:
        assert read_slave(fd, 6) == b"hello?"
    finally:
        os.close(fd)


def test_pty_window_size(hub, tmp_path):
    link = str(tmp_path / "vm1.pty")
    port = free_port()
    hub(pty_console("vm1", link, telnet=port, extra="size = 100x30\n"))
    wait_link(link)
    fd = open_slave(link)
    try:
        def size():
            rows, cols = struct.unpack("hh", fcntl.ioctl(
                fd, termios.TIOCGWINSZ, b"\0" * 4))
            return cols, rows
        assert size() == (100, 30)
        t = Telnet(port, agree={NAWS}, naws=(132, 43))
        deadline = time.monotonic() + 10
        while size() != (132, 43):
            assert time.monotonic() < deadline, size()
            t.pump(0.05)
        t.close()
    finally:
        os.close(fd)


def test_pty_link_removed_when_daemon_stops(hub, tmp_path):
    link = str(tmp_path / "vm1.pty")
    h = hub(pty_console("vm1", link, raw=free_port()))
    wait_link(link)
    h.stop()
    assert h.proc.returncode == 0
    assert not os.path.lexists(link)


def test_pty_link_removed_with_console_on_sighup(hub, tmp_path):
    link1 = str(tmp_path / "a.pty")
    link2 = str(tmp_path / "b.pty")
    keep = pty_console("a", link1, raw=free_port())
    h = hub(keep + pty_console("b", link2, raw=free_port()))
    t1 = wait_link(link1)
    wait_link(link2)
    h.rewrite(keep)
    deadline = time.monotonic() + 10
    while os.path.lexists(link2):
        assert time.monotonic() < deadline, "link b still there"
        time.sleep(0.02)
    assert os.readlink(link1) == t1


def test_pty_stale_symlink_is_replaced(hub, tmp_path):
    link = str(tmp_path / "vm1.pty")
    os.symlink("/dev/pts/nonexistent", link)
    hub(pty_console("vm1", link, raw=free_port()))
    deadline = time.monotonic() + 10
    while os.readlink(link) == "/dev/pts/nonexistent":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert os.readlink(link).startswith("/dev/pts/")
    # Nothing of ours is left beside it.
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["vm1.pty", "ttyhub.conf", "broker.sock"] +
        [f for f in os.listdir(tmp_path) if f.startswith("ttyhubd-")])


def test_pty_refuses_to_replace_a_file(hub, socat, tmp_path):
    link = tmp_path / "vm1.pty"
    link.write_text("precious\n")
    raw = free_port()
    h = hub(pty_console("vm1", str(link), raw=raw))
    c = socat("TCP:127.0.0.1:%d" % raw)
    c.expect(b"[ttyhub: vm1: backend down (link %s exists and is not a "
             b"symlink: not replacing it); retrying]" % str(link).encode())
    assert link.read_text() == "precious\n"
    h.wait_output("not replacing it")
    # Once the file is out of the way, the retry publishes the pty.
    link.unlink()
    wait_link(str(link), timeout=15)
    c.expect(b"[ttyhub: vm1: backend up]", timeout=15)
